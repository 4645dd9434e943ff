/* Render: the document as JSON (docs/FORMAT.md), written straight into one
 * buffer — no intermediate tree, no per-value allocation.
 *
 * The buffer is either a fixed chunk handed to the caller's write callback
 * each time it fills (st_render_json_to), or one growing string
 * (st_render_json); the rendering code is the same for both. Every write
 * first makes room (`room`), which is one compare on the hot path; fixed-size
 * parts (a key with its comma and indentation, the four members of a place)
 * make room once and then store without checks. When the callback fails or
 * memory runs out, `make_room` longjmps out of the renderer. */
#include "internal.h"

#include <assert.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum {
    MAX_NESTING = 512,
    CHUNK = 64 * 1024, /* st_render_json_to's buffer */
    /* The most room any one write asks for: place_members, four members
     * each with a comma, a newline, the deepest indentation (2 × (MAX_NESTING
     * - 1) spaces), a key and a number. Longer data (strings) is cut up. */
    MAX_ROOM = 4 * (2 + 2 * MAX_NESTING + 32) + 64
};
_Static_assert(MAX_ROOM < CHUNK, "a fixed-size write must fit in a streaming chunk");

typedef struct writer {
    char *buf;
    size_t len, cap;
    st_write_fn write; /* NULL: buf grows instead of being flushed */
    void *ctx;
    int status;        /* why rendering stopped */
    jmp_buf fail;
    bool pretty;
    int depth;
    size_t pending_newlines; /* put_expanded: '\n's not yet known not to be trailing */
    st_place_hint hint;      /* places are asked for in mostly increasing order */
    bool first[MAX_NESTING]; /* no member written yet at this depth */
} writer;

static _Noreturn void fail(writer *w, int status)
{
    w->status = status;
    longjmp(w->fail, 1);
}

/* Hand the buffer to the callback (streaming) or grow it, so that at least
 * `need` bytes are free. Streaming asks for at most MAX_ROOM at a time. */
static __attribute__((noinline)) void make_room(writer *w, size_t need)
{
    if (w->write) {
        if (w->len && w->write(w->ctx, w->buf, w->len) != 0) fail(w, ST_ERR_IO);
        w->len = 0;
        assert(need < w->cap);
        return;
    }
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < need + 1) { /* + 1: the final NUL */
        if (cap > SIZE_MAX / 2) fail(w, ST_ERR_NOMEM);
        cap *= 2;
    }
    char *b = realloc(w->buf, cap);
    if (!b) fail(w, ST_ERR_NOMEM);
    w->buf = b;
    w->cap = cap;
}

/* Returns where the next `need` bytes go; the caller advances w->len. */
static inline char *room(writer *w, size_t need)
{
    if (__builtin_expect(w->cap - w->len < need + 1, 0)) make_room(w, need);
    return w->buf + w->len;
}

/* Short literals only (at most MAX_ROOM bytes). */
static void put(writer *w, const char *s, size_t n)
{
    memcpy(room(w, n), s, n);
    w->len += n;
}

static void putc1(writer *w, char c)
{
    *room(w, 1) = c;
    w->len++;
}

/* Room for a comma, a newline and the indentation of the current depth. */
static inline size_t item_room(const writer *w)
{
    return 2 + 2 * (size_t)w->depth;
}

/* Unchecked stores after a `room`: each returns the new end. */
static inline char *o_newline(const writer *w, char *o)
{
    if (!w->pretty) return o;
    *o++ = '\n';
    memset(o, ' ', 2 * (size_t)w->depth);
    return o + 2 * (size_t)w->depth;
}

/* Before a member or element: comma and indentation. */
static inline char *o_item(writer *w, char *o)
{
    if (!w->first[w->depth]) *o++ = ',';
    w->first[w->depth] = false;
    return o_newline(w, o);
}

/* lit is "\"name\": " (quotes, colon, space); compact output drops the space. */
static inline char *o_key(writer *w, char *o, const char *lit, size_t n)
{
    o = o_item(w, o);
    memcpy(o, lit, n);
    return o + n - !w->pretty;
}

static inline char *o_uint(char *o, size_t v)
{
    /* pow10[0] is 0 rather than 1 so that 0 has one digit too */
    static const uint64_t pow10[20] = {
        0u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    /* digit count without a division per digit: log10 from the bit length
     * (1233 / 4096 ~ log10 2), corrected by one compare */
    unsigned t = ((64u - (unsigned)__builtin_clzll((uint64_t)v | 1)) * 1233u) >> 12;
    size_t n = t + ((uint64_t)v >= pow10[t]);
    char *e = o + n;
    while (v >= 100) { /* two digits per division */
        e -= 2;
        memcpy(e, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) memcpy(e - 2, pairs + 2 * v, 2);
    else e[-1] = (char)('0' + v);
    return o + n;
}

static inline void done(writer *w, char *o)
{
    w->len = (size_t)(o - w->buf);
}

/* The room a key needs: its literal, comma and indentation. */
#define KEY_ROOM(w, lit) (sizeof(lit) - 1 + item_room(w))
#define O_KEY(w, o, lit) o_key((w), (o), (lit), sizeof(lit) - 1)
#define KEY(w, lit) done((w), O_KEY((w), room((w), KEY_ROOM((w), lit)), lit))

static void newline(writer *w)
{
    if (!w->pretty) return;
    done(w, o_newline(w, room(w, item_room(w))));
}

/* Bytes that JSON strings need escaped: < 0x20, '"' and '\\'. */
static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

#define ONES ((uint64_t)0x0101010101010101u)
#define HIGHS ((uint64_t)0x8080808080808080u)

/* High bit set in each byte of x that needs escaping, and perhaps in bytes
 * above (at higher addresses) the first such byte: the borrow of the
 * subtraction only runs upwards, so the lowest flag is always exact. */
static inline uint64_t escape_flags(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
    return ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);
}

static void put_escape(writer *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char *o = room(w, 6);
    o[0] = '\\';
    switch (c) {
    case '"': o[1] = '"'; break;
    case '\\': o[1] = '\\'; break;
    case '\n': o[1] = 'n'; break;
    case '\t': o[1] = 't'; break;
    case '\r': o[1] = 'r'; break;
    default:
        memcpy(o + 1, "u00", 3);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        w->len += 6;
        return;
    }
    w->len += 2;
}

/* The escaped bytes of a string, without the quotes. Runs that need no
 * escaping are copied a vector (or word) at a time: each is stored whole,
 * then the end moves past the bytes that were plain. */
#ifdef __SSE2__
/* 0xFF in each byte of x that needs escaping: x <= 0x1F, '"' or '\\' */
#define ESCAPES(x)                                                                    \
    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8((x), below), (x)),                      \
                 _mm_or_si128(_mm_cmpeq_epi8((x), quote), _mm_cmpeq_epi8((x), bslash)))
#endif

static void put_string_body(writer *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t avail = w->cap - w->len;
        if (avail < 64 + 1) {
            make_room(w, 64);
            continue;
        }
        char *o = w->buf + w->len;
        /* Copy at most avail - 17 bytes, so that a vector stored at any point
         * stays inside the buffer (and a NUL still fits). */
        size_t m = (size_t)(end - p);
        if (m > avail - 17) m = avail - 17;
        const unsigned char *stop = p + m;
#ifdef __SSE2__
        if (m >= 16) {
            const __m128i below = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8('"'),
                          bslash = _mm_set1_epi8('\\');
            size_t i = 0, k;
            unsigned mask;
            for (; m - i >= 16; i += 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)(p + i));
                _mm_storeu_si128((__m128i *)(o + i), x);
                mask = (unsigned)_mm_movemask_epi8(ESCAPES(x));
                if (mask) goto found;
            }
            if (i < m) {
                /* the last vector overlaps the one before (m >= 16 keeps it
                 * inside the run): its bytes below i were plain and are
                 * stored again unchanged */
                size_t back = 16 - (m - i);
                __m128i x = _mm_loadu_si128((const __m128i *)(p + m - 16));
                _mm_storeu_si128((__m128i *)(o + m - 16), x);
                mask = (unsigned)_mm_movemask_epi8(ESCAPES(x)) >> back;
                if (mask) goto found;
            }
            p += m;
            o += m;
            done(w, o);
            continue;
        found:
            k = i + (size_t)__builtin_ctz(mask);
            p += k;
            o += k;
            goto escape;
        }
#endif
        while ((size_t)(stop - p) >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            memcpy(o, &x, 8);
            uint64_t t = escape_flags(x) & HIGHS;
            if (t) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                size_t k = (size_t)__builtin_ctzll(t) >> 3;
                p += k;
                o += k;
#else
                while (!needs_escape(*p)) p++, o++;
#endif
                goto escape;
            }
            p += 8;
            o += 8;
        }
        while (p < stop) {
            if (needs_escape(*p)) goto escape;
            *o++ = (char)*p++;
        }
        done(w, o);
        continue;
    escape:
        done(w, o);
        put_escape(w, *p++);
    }
}

static void open_(writer *w, char c)
{
    putc1(w, c);
    if (w->depth + 1 < MAX_NESTING) w->depth++;
    w->first[w->depth] = true;
}

static void close_(writer *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) newline(w);
    putc1(w, c);
}

/* Before an element of an array: comma and indentation. */
static void item(writer *w)
{
    done(w, o_item(w, room(w, item_room(w))));
}

static void put_null(writer *w) { put(w, "null", 4); }

static void put_bool(writer *w, bool v)
{
    if (v) put(w, "true", 4);
    else put(w, "false", 5);
}

#define KEY_STRING(w, lit, s, n)                                     \
    do {                                                             \
        char *o_ = O_KEY((w), room((w), KEY_ROOM((w), lit) + 1), lit); \
        *o_++ = '"';                                                 \
        done((w), o_);                                               \
        put_string_body((w), (s), (n));                              \
        putc1((w), '"');                                             \
    } while (0)

#define KEY_CSTRING(w, lit, s)                        \
    do {                                              \
        const char *s_ = (s);                         \
        if (s_) KEY_STRING((w), lit, s_, strlen(s_)); \
        else {                                        \
            KEY((w), lit);                            \
            put_null(w);                              \
        }                                             \
    } while (0)

#define KEY_UINT(w, lit, v) done((w), o_uint(O_KEY((w), room((w), KEY_ROOM((w), lit) + 20), lit), (v)))

/* "line", "column", "start", "end": one room for the four. Compact output
 * (the common case) writes the keys after the first as plain literals. */
static void place_members(writer *w, st_place p)
{
    char *o = room(w, 4 * (item_room(w) + 20) + sizeof "\"line\"\"column\"\"start\"\"end\"" + 4 * 2);
    o = o_uint(O_KEY(w, o, "\"line\": "), p.line);
    if (w->pretty) {
        o = o_uint(O_KEY(w, o, "\"column\": "), p.column);
        o = o_uint(O_KEY(w, o, "\"start\": "), p.start);
        o = o_uint(O_KEY(w, o, "\"end\": "), p.end);
    } else {
        memcpy(o, ",\"column\":", 10);
        o = o_uint(o + 10, p.column);
        memcpy(o, ",\"start\":", 9);
        o = o_uint(o + 9, p.start);
        memcpy(o, ",\"end\":", 7);
        o = o_uint(o + 7, p.end);
    }
    done(w, o);
}

static void place_object(writer *w, const st_doc *doc, size_t start, size_t end)
{
    if (end <= start) {
        put_null(w);
        return;
    }
    open_(w, '{');
    place_members(w, st_place_of_clean_hint(doc, &w->hint, start, end));
    close_(w, '}');
}

static void render_nodes(writer *w, const st_doc *doc, const st_node *n)
{
    for (; n; n = n->next) {
        item(w);
        open_(w, '{');
        KEY_STRING(w, "\"marker\": ", doc->text + n->marker_start, n->marker_end - n->marker_start);
        KEY_CSTRING(w, "\"style\": ", st_style_name(n->style));
        if (n->ordinal >= 0) KEY_UINT(w, "\"ordinal\": ", (size_t)n->ordinal);
        else {
            KEY(w, "\"ordinal\": ");
            put_null(w);
        }
        KEY(w, "\"inline\": ");
        put_bool(w, n->is_inline);
        KEY_STRING(w, "\"heading\": ", doc->text + n->heading_start, n->heading_end - n->heading_start);
        KEY_STRING(w, "\"text\": ", doc->text + n->text_start, n->text_end - n->text_start);
        KEY_CSTRING(w, "\"kind\": ", st_kind_name(n->kind));
        size_t end = n->text_end > n->heading_end ? n->text_end : n->heading_end;
        if (end < n->marker_end) end = n->marker_end;
        place_members(w, st_place_of_clean_hint(doc, &w->hint, n->marker_start, end));
        KEY(w, "\"children\": ");
        open_(w, '[');
        render_nodes(w, doc, n->first_child);
        close_(w, ']');
        close_(w, '}');
    }
}

/* One piece of the expanded text. Newlines at the end of a piece are held
 * back until more text follows, so that the trailing ones of the whole text
 * are dropped without building it first. */
static void put_expanded_piece(writer *w, const char *s, size_t n)
{
    size_t k = n;
    while (k && s[k - 1] == '\n') k--;
    if (k == 0) {
        w->pending_newlines += n;
        return;
    }
    for (; w->pending_newlines; w->pending_newlines--) put(w, "\\n", 2);
    put_string_body(w, s, k);
    w->pending_newlines = n - k;
}

/* The clean text with censored words spelled out, trailing newlines
 * dropped, streamed piece by piece. */
static void put_expanded(writer *w, const st_doc *doc)
{
    size_t ci = 0, c = 0;
    putc1(w, '"');
    w->pending_newlines = 0;
    for (size_t m = 0; m < doc->map_count; m++) {
        const st_map_seg *seg = &doc->map[m];
        put_expanded_piece(w, doc->text + c, seg->clean_start - c);
        size_t s = seg->src_start, e = seg->src_start + seg->len;
        while (ci < doc->censored_count && doc->censored[ci].start < s) ci++;
        size_t pos = s;
        for (; ci < doc->censored_count && doc->censored[ci].end <= e; ci++) {
            const st_censor_span *cs = &doc->censored[ci];
            if (!cs->expansion) continue;
            put_expanded_piece(w, doc->src + pos, cs->start - pos);
            put_expanded_piece(w, cs->expansion, strlen(cs->expansion));
            pos = cs->end;
        }
        put_expanded_piece(w, doc->src + pos, e - pos);
        c = seg->clean_start + seg->len;
    }
    if (c < doc->text_len) put_expanded_piece(w, doc->text + c, doc->text_len - c);
    putc1(w, '"');
}

static void render(writer *w, const st_doc *doc, unsigned flags)
{
    open_(w, '{');
    KEY_CSTRING(w, "\"schema_version\": ", ST_SCHEMA_VERSION);
    KEY_CSTRING(w, "\"generator\": ", "speechtree " ST_VERSION);

    KEY(w, "\"source\": ");
    open_(w, '{');
    KEY_CSTRING(w, "\"path\": ", doc->source_name);
    KEY_CSTRING(w, "\"encoding\": ", doc->encoding ? doc->encoding : "UTF-8");
    KEY_CSTRING(w, "\"encoding_source\": ", doc->encoding_source ? doc->encoding_source : "default");
    KEY_UINT(w, "\"confidence\": ", (size_t)(doc->confidence < 0 ? 0 : doc->confidence));
    KEY(w, "\"traditional\": ");
    put_bool(w, doc->traditional);
    KEY_UINT(w, "\"chars\": ", doc->src_chars);
    size_t lines = doc->src_len == 0 ? 0 : doc->line_count - (doc->src[doc->src_len - 1] == '\n');
    KEY_UINT(w, "\"lines\": ", lines);
    close_(w, '}');

    if (doc->has_title)
        KEY_STRING(w, "\"title\": ", doc->text + doc->title_start, doc->title_end - doc->title_start);
    else {
        KEY(w, "\"title\": ");
        put_null(w);
    }
    KEY_STRING(w, "\"preamble\": ", doc->text + doc->preamble_start, doc->preamble_end - doc->preamble_start);
    KEY_STRING(w, "\"closing\": ", doc->text + doc->closing_start, doc->closing_end - doc->closing_start);

    KEY(w, "\"places\": ");
    open_(w, '{');
    KEY(w, "\"title\": ");
    place_object(w, doc, doc->title_start, doc->has_title ? doc->title_end : doc->title_start);
    KEY(w, "\"preamble\": ");
    place_object(w, doc, doc->preamble_start, doc->preamble_end);
    KEY(w, "\"closing\": ");
    place_object(w, doc, doc->closing_start, doc->closing_end);
    close_(w, '}');

    KEY(w, "\"sections\": ");
    open_(w, '[');
    render_nodes(w, doc, doc->root.first_child);
    close_(w, ']');

    KEY(w, "\"removed\": ");
    open_(w, '[');
    for (size_t i = 0; i < doc->removed_count; i++) {
        const st_removed_span *r = &doc->removed[i];
        item(w);
        open_(w, '{');
        KEY_CSTRING(w, "\"rule\": ", r->rule);
        KEY_STRING(w, "\"text\": ", doc->src + r->start, r->end - r->start);
        place_members(w, st_place_of_src_hint(doc, &w->hint, r->start, r->end));
        close_(w, '}');
    }
    close_(w, ']');

    KEY(w, "\"censored\": ");
    open_(w, '[');
    for (size_t i = 0; i < doc->censored_count; i++) {
        const st_censor_span *c = &doc->censored[i];
        item(w);
        open_(w, '{');
        KEY_STRING(w, "\"word\": ", doc->src + c->start, c->end - c->start);
        KEY_CSTRING(w, "\"expansion\": ", c->expansion);
        place_members(w, st_place_of_src_hint(doc, &w->hint, c->start, c->end));
        close_(w, '}');
    }
    close_(w, ']');

    KEY(w, "\"diagnostics\": ");
    open_(w, '[');
    for (size_t i = 0; i < doc->diag_count; i++) {
        const st_diag *d = &doc->diags[i];
        item(w);
        open_(w, '{');
        KEY_CSTRING(w, "\"code\": ", d->code);
        KEY_CSTRING(w, "\"message\": ", d->message);
        place_members(w, st_place_of_src_hint(doc, &w->hint, d->start, d->end));
        close_(w, '}');
    }
    close_(w, ']');

    if (flags & ST_JSON_EXPAND) {
        KEY(w, "\"expanded\": ");
        put_expanded(w, doc);
    }
    close_(w, '}');
}

/* setjmp lives here, apart from the writer (the caller's), so that nothing
 * local to this function changes between setjmp and longjmp. */
static int render_guarded(writer *w, const st_doc *doc, unsigned flags)
{
    if (setjmp(w->fail)) return w->status;
    render(w, doc, flags);
    if (w->write) make_room(w, 0); /* the last partial chunk */
    return ST_OK;
}

static void writer_init(writer *w, unsigned flags)
{
    memset(w, 0, offsetof(writer, first));
    w->pretty = (flags & ST_JSON_PRETTY) != 0;
    w->first[0] = false;
}

int st_render_json_to(const st_doc *doc, unsigned flags, st_write_fn write, void *ctx)
{
    if (!doc || !write) return ST_ERR_ARG;
    writer w;
    writer_init(&w, flags);
    w.write = write;
    w.ctx = ctx;
    w.cap = CHUNK;
    w.buf = malloc(w.cap);
    if (!w.buf) return ST_ERR_NOMEM;
    int status = render_guarded(&w, doc, flags);
    free(w.buf);
    return status;
}

char *st_render(const st_doc *doc, unsigned flags, size_t *len)
{
    writer w;
    writer_init(&w, flags);
    /* JSON is about 1.6 × the text; one allocation for most documents. */
    size_t guess = doc->text_len * 2 + 4096;
    w.buf = malloc(guess);
    if (!w.buf) return NULL;
    w.cap = guess;
    if (render_guarded(&w, doc, flags) != ST_OK) {
        free(w.buf);
        return NULL;
    }
    w.buf[w.len] = 0;
    if (len) *len = w.len;
    return w.buf;
}
