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
    /* The most room any one write asks for: a fixed-size group of at most
     * eight members, each with a comma, a newline, the deepest indentation
     * (2 × (MAX_NESTING - 1) spaces), a key and a number. Longer data
     * (strings) is cut up. */
    MAX_ROOM = 8 * (8 + 2 * MAX_NESTING + 32) + 64
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

/* Unchecked stores after a `room`: each returns the new end. `pretty` is
 * w->pretty, passed in: a caller reads it once, where the compiler would
 * read it again after each store through o (a char store may alias it). */
static inline char *o_newline(const writer *w, char *o, bool pretty)
{
    if (!pretty) return o;
    *o++ = '\n';
    memset(o, ' ', 2 * (size_t)w->depth);
    return o + 2 * (size_t)w->depth;
}

/* Before a member or element: comma and indentation. */
static inline char *o_item(writer *w, char *o, bool pretty)
{
    if (!w->first[w->depth]) *o++ = ',';
    w->first[w->depth] = false;
    return o_newline(w, o, pretty);
}

/* lit is "\"name\": " (quotes, colon, space); compact output drops the space. */
static inline char *o_key(writer *w, char *o, const char *lit, size_t n, bool pretty)
{
    o = o_item(w, o, pretty);
    memcpy(o, lit, n);
    return o + n - !pretty;
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                  "8081828384858687888990919293949596979899";

/* v < 10000, without leading zeros */
static inline char *o_uint4(char *o, unsigned v)
{
    if (v < 100) {
        if (v < 10) {
            *o = (char)('0' + v);
            return o + 1;
        }
        memcpy(o, digit_pairs + 2 * v, 2);
        return o + 2;
    }
    unsigned hi = v / 100, lo = v % 100;
    if (hi < 10) *o++ = (char)('0' + hi);
    else {
        memcpy(o, digit_pairs + 2 * hi, 2);
        o += 2;
    }
    memcpy(o, digit_pairs + 2 * lo, 2);
    return o + 2;
}

static inline char *o_uint(char *o, size_t v)
{
    /* places, counts and ordinals are mostly below 10^8: four digits at a
     * time, two per table lookup */
    if (v < 10000) return o_uint4(o, (unsigned)v);
    if (v < 100000000) {
        unsigned hi = (unsigned)v / 10000, lo = (unsigned)v % 10000;
        o = o_uint4(o, hi);
        memcpy(o, digit_pairs + 2 * (lo / 100), 2);
        memcpy(o + 2, digit_pairs + 2 * (lo % 100), 2);
        return o + 4;
    }
    /* pow10[0] is 0 rather than 1 so that 0 has one digit too */
    static const uint64_t pow10[20] = {
        0u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    /* digit count without a division per digit: log10 from the bit length
     * (1233 / 4096 ~ log10 2), corrected by one compare */
    unsigned t = ((64u - (unsigned)__builtin_clzll((uint64_t)v | 1)) * 1233u) >> 12;
    size_t n = t + ((uint64_t)v >= pow10[t]);
    char *e = o + n;
    while (v >= 100) { /* two digits per division */
        e -= 2;
        memcpy(e, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) memcpy(e - 2, digit_pairs + 2 * v, 2);
    else e[-1] = (char)('0' + v);
    return o + n;
}

static inline void done(writer *w, char *o)
{
    w->len = (size_t)(o - w->buf);
}

/* The room a key needs: its literal, comma and indentation. */
#define KEY_ROOM(w, lit) (sizeof(lit) - 1 + item_room(w))
#define O_KEY(w, o, lit, pretty) o_key((w), (o), (lit), sizeof(lit) - 1, (pretty))
#define KEY(w, lit) done((w), O_KEY((w), room((w), KEY_ROOM((w), lit)), lit, (w)->pretty))

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

/* The same for the four bytes of x. */
static inline uint32_t escape_flags32(uint32_t x)
{
    const uint32_t ones = (uint32_t)ONES;
    uint32_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b);
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
            /* 64 bytes a step; when none of them is ASCII (Han text) there
             * is nothing to escape without looking further. When one needs
             * escaping, the loop below finds it. */
            for (; m - i >= 64; i += 64) {
                __m128i x0 = _mm_loadu_si128((const __m128i *)(p + i)),
                        x1 = _mm_loadu_si128((const __m128i *)(p + i + 16)),
                        x2 = _mm_loadu_si128((const __m128i *)(p + i + 32)),
                        x3 = _mm_loadu_si128((const __m128i *)(p + i + 48));
                _mm_storeu_si128((__m128i *)(o + i), x0);
                _mm_storeu_si128((__m128i *)(o + i + 16), x1);
                _mm_storeu_si128((__m128i *)(o + i + 32), x2);
                _mm_storeu_si128((__m128i *)(o + i + 48), x3);
                if (_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(x0, x1), _mm_and_si128(x2, x3))) == 0xFFFF)
                    continue;
                if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ESCAPES(x0), ESCAPES(x1)),
                                                   _mm_or_si128(ESCAPES(x2), ESCAPES(x3)))))
                    break;
            }
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
#else
        while ((size_t)(stop - p) >= 16) {
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
        m = (size_t)(stop - p);
#endif
        if (m >= 4) {
            /* a short run: two overlapping words (8 or 4 bytes) cover it */
            bool plain;
            if (m >= 8) {
                uint64_t a, b;
                memcpy(&a, p, 8);
                memcpy(&b, stop - 8, 8);
                plain = !((escape_flags(a) | escape_flags(b)) & HIGHS);
                if (plain) {
                    memcpy(o, &a, 8);
                    memcpy(o + m - 8, &b, 8);
                }
            } else {
                uint32_t a, b;
                memcpy(&a, p, 4);
                memcpy(&b, stop - 4, 4);
                plain = !((escape_flags32(a) | escape_flags32(b)) & (uint32_t)HIGHS);
                if (plain) {
                    memcpy(o, &a, 4);
                    memcpy(o + m - 4, &b, 4);
                }
            }
            if (plain) {
                p = stop;
                done(w, o + m);
                continue;
            }
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

/* A string's body. Short strings are copied here, without a call, when
 * none of their bytes needs escaping: two overlapping words (8 or 4 bytes,
 * or three single bytes) cover them. */
static inline void put_str(writer *w, const char *s, size_t n)
{
    if (n < 16 && w->cap - w->len > 16) {
        char *o = w->buf + w->len;
        if (n >= 8) {
            uint64_t a, b;
            memcpy(&a, s, 8);
            memcpy(&b, s + n - 8, 8);
            if (!((escape_flags(a) | escape_flags(b)) & HIGHS)) {
                memcpy(o, &a, 8);
                memcpy(o + n - 8, &b, 8);
                done(w, o + n);
                return;
            }
        } else if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            if (!((escape_flags32(a) | escape_flags32(b)) & (uint32_t)HIGHS)) {
                memcpy(o, &a, 4);
                memcpy(o + n - 4, &b, 4);
                done(w, o + n);
                return;
            }
        } else if (n) {
            char c0 = s[0], c1 = s[n / 2], c2 = s[n - 1];
            if (!needs_escape((unsigned char)c0) && !needs_escape((unsigned char)c1) &&
                !needs_escape((unsigned char)c2)) {
                o[0] = c0;
                o[n / 2] = c1;
                o[n - 1] = c2;
                done(w, o + n);
                return;
            }
        } else {
            return;
        }
    }
    put_string_body(w, s, n);
}

/* Unchecked (after a `room`): open an object or array, close one. */
static inline char *o_open(writer *w, char *o, char c)
{
    *o++ = c;
    if (w->depth + 1 < MAX_NESTING) w->depth++;
    w->first[w->depth] = true;
    return o;
}

static inline char *o_close(writer *w, char *o, char c, bool pretty)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) o = o_newline(w, o, pretty);
    *o++ = c;
    return o;
}

static void open_(writer *w, char c)
{
    done(w, o_open(w, room(w, 1), c));
}

static void close_(writer *w, char c)
{
    done(w, o_close(w, room(w, item_room(w) + 1), c, w->pretty));
}

/* Before an element of an array: comma and indentation. */
static void item(writer *w)
{
    done(w, o_item(w, room(w, item_room(w)), w->pretty));
}

/* A member that is known not to be the first of its object: the same bytes
 * as o_key, without looking at first[]. */
static inline char *o_next_key(const writer *w, char *o, const char *lit, size_t n, bool pretty)
{
    *o++ = ',';
    o = o_newline(w, o, pretty);
    memcpy(o, lit, n);
    return o + n - !pretty;
}

/* Room for one member (or element, or closing bracket) of the fixed-size
 * groups below, not counting its key and value: comma and indentation, up to
 * two levels deeper than now. */
static inline size_t slot_room(const writer *w)
{
    return 8 + 2 * (size_t)w->depth;
}

#define O_NEXT_KEY(w, o, lit, pretty) o_next_key((w), (o), (lit), sizeof(lit) - 1, (pretty))

static void put_null(writer *w) { put(w, "null", 4); }

static void put_bool(writer *w, bool v)
{
    if (v) put(w, "true", 4);
    else put(w, "false", 5);
}

#define KEY_STRING(w, lit, s, n)                                     \
    do {                                                             \
        char *o_ = O_KEY((w), room((w), KEY_ROOM((w), lit) + 1), lit, (w)->pretty); \
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

#define KEY_UINT(w, lit, v) done((w), o_uint(O_KEY((w), room((w), KEY_ROOM((w), lit) + 20), lit, (w)->pretty), (v)))

/* The names of styles and kinds, and the same as JSON values (quoted, or
 * null) padded to 16 bytes, so that a value is copied as one fixed-size
 * block; the list of each is written once. */
#define STYLE_NAMES(X)                                                                            \
    X("none") X("cn-comma") X("cn-paren") X("num-dot") X("num-comma") X("num-rparen")             \
    X("num-paren") X("circled") X("di") X("lead-shi") X("lead-yao") X("lead-ze") X("di-part") X("num-decimal") X("qi")
#define KIND_NAMES(X) X("preparation") X("problems") X("causes") X("measures") X("rectification") X("other")
#define NAME_STRING(s) s,
#define NAME_JSON(s) {"\"" s "\"", sizeof(s) + 1},

typedef struct json_value {
    char text[16]; /* not NUL-terminated when 16 long */
    size_t len;
} json_value;

static const char *const style_names[] = {STYLE_NAMES(NAME_STRING)};
static const json_value style_json[] = {STYLE_NAMES(NAME_JSON)};
static const char *const kind_names[] = {NULL, KIND_NAMES(NAME_STRING)};
static const json_value kind_json[] = {{"null", 4}, KIND_NAMES(NAME_JSON)};
_Static_assert(sizeof style_names / sizeof *style_names == ST_STYLE_COUNT, "a name for each style");
#define NAME_FITS(s) _Static_assert(sizeof(s) + 1 <= 16, "a quoted name fits its 16 bytes: " s);
STYLE_NAMES(NAME_FITS)
KIND_NAMES(NAME_FITS)

const char *st_kind_name(st_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : NULL;
}

const char *st_style_name(st_style s)
{
    return (unsigned)s < sizeof style_names / sizeof *style_names ? style_names[s] : "none";
}

static inline char *o_json_value(char *o, const json_value *v)
{
    memcpy(o, v->text, 16);
    return o + v->len;
}

/* "line", "column", "start", "end", after other members of the object (or,
 * with `first`, as its first). Compact output (the common case) writes the
 * keys after the first as plain literals. Needs 4 slots and PLACE_ROOM. */
enum { PLACE_ROOM = sizeof "\"line\": \"column\": \"start\": \"end\": " + 4 * 20 };
static inline char *o_place(writer *w, char *o, st_place p, bool first, bool pretty)
{
    o = first ? O_KEY(w, o, "\"line\": ", pretty) : O_NEXT_KEY(w, o, "\"line\": ", pretty);
    o = o_uint(o, p.line);
    if (pretty) {
        o = o_uint(O_NEXT_KEY(w, o, "\"column\": ", pretty), p.column);
        o = o_uint(O_NEXT_KEY(w, o, "\"start\": ", pretty), p.start);
        o = o_uint(O_NEXT_KEY(w, o, "\"end\": ", pretty), p.end);
    } else {
        memcpy(o, ",\"column\":", 10);
        o = o_uint(o + 10, p.column);
        memcpy(o, ",\"start\":", 9);
        o = o_uint(o + 9, p.start);
        memcpy(o, ",\"end\":", 7);
        o = o_uint(o + 7, p.end);
    }
    return o;
}

static void place_object(writer *w, const st_doc *doc, size_t start, size_t end)
{
    if (end <= start) {
        put_null(w);
        return;
    }
    st_place p = st_place_of_clean_hint(doc, &w->hint, start, end);
    char *o = room(w, 6 * slot_room(w) + PLACE_ROOM);
    o = o_place(w, o_open(w, o, '{'), p, true, w->pretty);
    done(w, o_close(w, o, '}', w->pretty));
}

/* The place members after others, and the end of the object. */
static void put_place_end(writer *w, st_place p)
{
    const bool pretty = w->pretty;
    char *o = room(w, 5 * slot_room(w) + PLACE_ROOM);
    done(w, o_close(w, o_place(w, o, p, false, pretty), '}', pretty));
}

/* A node up to its children, and after them. Each is written as a few
 * fixed-size groups, each after one `room`, between the node's strings. */
static inline __attribute__((always_inline)) void node_head(writer *w, const st_doc *doc, const st_node *n,
                                                              bool pretty)
{
    char *o = room(w, 2 * slot_room(w) + 16);
    o = o_open(w, o_item(w, o, pretty), '{');
    o = O_KEY(w, o, "\"marker\": ", pretty);
    *o++ = '"';
    done(w, o);
    put_str(w, doc->text + n->marker_start, n->marker_end - n->marker_start);

    o = room(w, 4 * slot_room(w) + 96);
    *o++ = '"';
    o = O_NEXT_KEY(w, o, "\"style\": ", pretty);
    o = o_json_value(o, &style_json[(unsigned)n->style < ST_STYLE_COUNT ? n->style : ST_STYLE_NONE]);
    o = O_NEXT_KEY(w, o, "\"ordinal\": ", pretty);
    if (n->ordinal >= 0) o = o_uint(o, (size_t)n->ordinal);
    else o = (char *)memcpy(o, "null", 4) + 4;
    o = O_NEXT_KEY(w, o, "\"inline\": ", pretty);
    if (n->is_inline) o = (char *)memcpy(o, "true", 4) + 4;
    else o = (char *)memcpy(o, "false", 5) + 5;
    o = O_NEXT_KEY(w, o, "\"heading\": ", pretty);
    *o++ = '"';
    done(w, o);
    put_str(w, doc->text + n->heading_start, n->heading_end - n->heading_start);

    o = room(w, slot_room(w) + 16);
    *o++ = '"';
    o = O_NEXT_KEY(w, o, "\"text\": ", pretty);
    *o++ = '"';
    done(w, o);
    put_str(w, doc->text + n->text_start, n->text_end - n->text_start);

    size_t end = n->text_end > n->heading_end ? n->text_end : n->heading_end;
    if (end < n->marker_end) end = n->marker_end;
    st_place p = st_place_of_clean_hint(doc, &w->hint, n->marker_start, end);
    o = room(w, 6 * slot_room(w) + PLACE_ROOM + 64);
    *o++ = '"';
    o = O_NEXT_KEY(w, o, "\"kind\": ", pretty);
    o = o_json_value(o, &kind_json[(unsigned)n->kind < sizeof kind_json / sizeof *kind_json ? n->kind : 0]);
    o = o_place(w, o, p, false, pretty);
    o = O_NEXT_KEY(w, o, "\"children\": ", pretty);
    done(w, o_open(w, o, '['));
}

static inline __attribute__((always_inline)) void node_tail(writer *w, bool pretty)
{
    char *o = room(w, 2 * slot_room(w) + 2);
    done(w, o_close(w, o_close(w, o, ']', pretty), '}', pretty));
}

/* One copy for each output style, so that neither tests for it. */
static void render_nodes_compact(writer *w, const st_doc *doc, const st_node *n)
{
    for (; n; n = n->next) {
        node_head(w, doc, n, false);
        render_nodes_compact(w, doc, n->first_child);
        node_tail(w, false);
    }
}

static void render_nodes_pretty(writer *w, const st_doc *doc, const st_node *n)
{
    for (; n; n = n->next) {
        node_head(w, doc, n, true);
        render_nodes_pretty(w, doc, n->first_child);
        node_tail(w, true);
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
    if (w->pretty) render_nodes_pretty(w, doc, doc->root.first_child);
    else render_nodes_compact(w, doc, doc->root.first_child);
    close_(w, ']');

    KEY(w, "\"removed\": ");
    open_(w, '[');
    for (size_t i = 0; i < doc->removed_count; i++) {
        const st_removed_span *r = &doc->removed[i];
        item(w);
        open_(w, '{');
        KEY_CSTRING(w, "\"rule\": ", r->rule);
        KEY_STRING(w, "\"text\": ", doc->src + r->start, r->end - r->start);
        put_place_end(w, st_place_of_src_hint(doc, &w->hint, r->start, r->end));
    }
    close_(w, ']');

    KEY(w, "\"censored\": ");
    open_(w, '[');
    const bool pretty = w->pretty;
    for (size_t i = 0; i < doc->censored_count; i++) {
        const st_censor_span *c = &doc->censored[i];
        st_place p = st_place_of_src_hint(doc, &w->hint, c->start, c->end);
        char *o = room(w, 2 * slot_room(w) + 16);
        o = o_open(w, o_item(w, o, pretty), '{');
        o = O_KEY(w, o, "\"word\": ", pretty);
        *o++ = '"';
        done(w, o);
        put_str(w, doc->src + c->start, c->end - c->start);
        /* the rest is one group, unless there is an expansion to write */
        o = room(w, 6 * slot_room(w) + PLACE_ROOM + 24);
        *o++ = '"';
        o = O_NEXT_KEY(w, o, "\"expansion\": ", pretty);
        if (c->expansion) {
            *o++ = '"';
            done(w, o);
            put_str(w, c->expansion, strlen(c->expansion));
            o = room(w, 5 * slot_room(w) + PLACE_ROOM + 1);
            *o++ = '"';
        } else {
            o = (char *)memcpy(o, "null", 4) + 4;
        }
        done(w, o_close(w, o_place(w, o, p, false, pretty), '}', pretty));
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
        put_place_end(w, st_place_of_src_hint(doc, &w->hint, d->start, d->end));
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
