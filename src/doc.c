/* Drives the pipeline stages and implements the public accessors. */
#include "internal.h"
#include "rules.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

enum { ST_CHAR_BLOCK = 64 }; /* block_chars has an entry per block; a place counts within one */

void st_options_init(st_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->max_bytes = ST_DEFAULT_MAX_BYTES;
}

static void st_set_error(st_error *err, st_status status, const char *msg)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->status = status;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

st_doc *st_parse(const char *data, size_t len, const st_options *opt, st_error *err)
{
    st_options defaults;
    st_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    if (!opt) {
        st_options_init(&defaults);
        opt = &defaults;
    }
    if (!data && len) {
        st_set_error(err, ST_ERR_ARG, "no input buffer");
        return NULL;
    }
    size_t max = opt->max_bytes ? opt->max_bytes : ST_DEFAULT_MAX_BYTES;
    if (len > max) {
        st_set_error(err, ST_ERR_TOO_LARGE, "");
        snprintf(err->message, sizeof err->message,
                 "input is %zu bytes, more than the limit of %zu bytes (--max-bytes)", len, max);
        err->byte_offset = max;
        return NULL;
    }
    const st_rules *rules = opt->rules ? opt->rules : st_rules_default();
    if (!rules) {
        st_set_error(err, ST_ERR_RULES, "the built-in noise rules failed to load");
        return NULL;
    }
    st_doc *doc = calloc(1, sizeof *doc);
    if (!doc) {
        st_set_error(err, ST_ERR_NOMEM, "out of memory");
        return NULL;
    }
    doc->rules = rules;
    doc->root.ordinal = -1;
    if (opt->source_name) doc->source_name = st_arena_strndup(&doc->arena, opt->source_name, strlen(opt->source_name));
    if (st_decode(doc, data ? data : "", len, opt, err)) {
        st_doc_free(doc);
        return NULL;
    }
    st_build_line_table(doc);
    if (st_clean(doc, rules, opt->keep_noise != 0) || st_segment(doc) || st_lex(doc) ||
        st_parse_tree(doc)) {
        st_set_error(err, ST_ERR_NOMEM, "internal error while parsing");
        st_doc_free(doc);
        return NULL;
    }
    st_classify(doc);
    return doc;
}

void st_doc_free(st_doc *doc)
{
    if (!doc) return;
    st_rules_doc_cleanup(doc);
    free(doc->src);
    free(doc->line_start);
    free(doc->line_chars);
    free(doc->block_chars);
    free(doc->removed);
    free(doc->censored);
    free(doc->text);
    free(doc->map);
    free(doc->paras);
    free(doc->lex);
    free(doc->diags);
    st_arena_free(&doc->arena);
    free(doc);
}

/* ---- helpers for the stages ---- */

void st_add_removed(st_doc *doc, size_t start, size_t end, const char *rule)
{
    st_removed_span *r = ST_PUSH(doc->removed, doc->removed_count, doc->removed_cap);
    r->start = start;
    r->end = end;
    r->rule = rule;
}

void st_add_diag(st_doc *doc, const char *code, size_t src_start, size_t src_end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    st_diag *d = ST_PUSH(doc->diags, doc->diag_count, doc->diag_cap);
    d->code = code;
    d->message = st_arena_strndup(&doc->arena, buf, strlen(buf));
    d->start = src_start;
    d->end = src_end;
}

/* Characters among the first r (<= ST_CHAR_BLOCK) bytes of the whole block at
 * s, which must lie inside the buffer. */
static inline size_t st_block_prefix_chars(const char *s, size_t r)
{
#ifdef __SSE2__
    /* lane j of keep_lanes + 64 - r is set when j < r; the bytes that are
     * not continuation bytes are the signed ones above -65 */
    static const signed char keep_lanes[2 * ST_CHAR_BLOCK] = {
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    __m128i lead = _mm_set1_epi8(-65), zero = _mm_setzero_si128();
    __asm__("" : "+x"(lead)); /* see st_build_line_table */
    const signed char *keep = keep_lanes + ST_CHAR_BLOCK - r;
    __m128i acc = zero;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + 16 * k));
        __m128i m = _mm_loadu_si128((const __m128i *)(keep + 16 * k));
        acc = _mm_sub_epi8(acc, _mm_and_si128(_mm_cmpgt_epi8(x, lead), m));
    }
    __m128i sum = _mm_sad_epu8(acc, zero);
    return (size_t)_mm_cvtsi128_si64(_mm_add_epi64(sum, _mm_unpackhi_epi64(sum, sum)));
#else
    return st_utf8_count(s, r);
#endif
}

_Static_assert(ST_CHAR_BLOCK == 4 * 16, "st_block_prefix_chars and st_build_line_table load a block as four vectors");

/* Grow both line arrays to hold *cap * 2 lines. */
static void st_grow_lines(st_doc *doc, size_t *cap)
{
    size_t c = *cap * 2;
    size_t *s = realloc(doc->line_start, c * sizeof *s);
    if (s) doc->line_start = s;
    size_t *n = realloc(doc->line_chars, c * sizeof *n);
    if (n) doc->line_chars = n;
    if (!s || !n) abort();
    *cap = c;
}

static __attribute__((noinline)) size_t st_char_of_last_block(const st_doc *doc, size_t off)
{
    size_t b = off / ST_CHAR_BLOCK;
    return doc->block_chars[b] + st_utf8_count(doc->src + b * ST_CHAR_BLOCK, off % ST_CHAR_BLOCK);
}

/* Characters before byte `off` (<= src_len): its block's count plus those of
 * the bytes before it in the block, so a place costs the same wherever it is
 * (a document may be one huge line). */
static inline size_t st_char_of(const st_doc *doc, size_t off)
{
    size_t b = off / ST_CHAR_BLOCK;
    if (b < doc->src_len / ST_CHAR_BLOCK)
        return doc->block_chars[b] + st_block_prefix_chars(doc->src + b * ST_CHAR_BLOCK, off % ST_CHAR_BLOCK);
    return st_char_of_last_block(doc, off); /* the partial block at the end */
}

void st_build_line_table(st_doc *doc)
{
    const char *src = doc->src;
    const char *end = src + doc->src_len;
    size_t full = doc->src_len / ST_CHAR_BLOCK; /* whole blocks; then a partial (or empty) one */
    /* one pass over the newlines: the line arrays start at a guess (speeches
     * have lines of a few hundred bytes) and grow when it falls short */
    size_t cap = 64 + doc->src_len / 128;
    doc->line_start = malloc(cap * sizeof *doc->line_start);
    doc->line_chars = malloc(cap * sizeof *doc->line_chars);
    doc->block_chars = malloc((full + 1) * sizeof *doc->block_chars);
    if (!doc->line_start || !doc->line_chars || !doc->block_chars) abort();

    size_t chars = 0;
#ifdef __SSE2__
    /* characters are the bytes that are not continuation bytes: the signed
     * ones above -65. The empty asm hides the constant from GCC, which would
     * otherwise rewrite x > -65 as !(x < -64): two more instructions a vector. */
    __m128i lead = _mm_set1_epi8(-65);
    __asm__("" : "+x"(lead));
    const __m128i zero = _mm_setzero_si128();
    for (size_t b = 0; b < full; b++) {
        const char *s = src + b * ST_CHAR_BLOCK;
        __m128i acc = zero;
        for (int k = 0; k < 4; k++) /* each lane counts up to four */
            acc = _mm_sub_epi8(acc, _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(s + 16 * k)), lead));
        __m128i sum = _mm_sad_epu8(acc, zero);
        doc->block_chars[b] = chars;
        chars += (size_t)_mm_cvtsi128_si64(_mm_add_epi64(sum, _mm_unpackhi_epi64(sum, sum)));
    }
#else
    for (size_t b = 0; b < full; b++) {
        doc->block_chars[b] = chars;
        chars += st_utf8_count(src + b * ST_CHAR_BLOCK, ST_CHAR_BLOCK);
    }
#endif
    doc->block_chars[full] = chars;
    doc->src_chars = chars + st_utf8_count(src + full * ST_CHAR_BLOCK, doc->src_len - full * ST_CHAR_BLOCK);

    size_t l = 0;
    doc->line_start[0] = 0;
    doc->line_chars[0] = 0;
    for (const char *p = src; (p = memchr(p, '\n', (size_t)(end - p))) != NULL;) {
        p++;
        if (++l == cap) st_grow_lines(doc, &cap);
        doc->line_start[l] = (size_t)(p - src);
        doc->line_chars[l] = st_char_of(doc, (size_t)(p - src));
    }
    doc->line_count = l + 1;
}

/* The line holding byte off, searched from line `from` on. Not inlined: the
 * place functions mostly find the line in a step or two from their hint. */
static __attribute__((noinline)) size_t st_line_of(const st_doc *doc, size_t off, size_t from)
{
    size_t lo = from, hi = doc->line_count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (doc->line_start[mid] <= off) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Characters among the first k (< 8) of the 8 bytes at s: short spans
 * (censored words) are counted on one word. */
static inline size_t st_short_chars(const char *s, size_t k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    memcpy(&x, s, 8);
    /* high bit of each byte that is not a continuation byte (10xxxxxx), in
     * the first k bytes (the low ones), summed by the multiply */
    uint64_t lead = (~x | x << 1) & 0x8080808080808080u & ~(~(uint64_t)0 << (8 * k));
    return (size_t)(((lead >> 7) * 0x0101010101010101u) >> 56);
#else
    return st_utf8_count(s, k);
#endif
}

/* The line holding byte off, given a line l that starts at or before it:
 * the next few lines are tried in turn first, as places asked for in order
 * are mostly close together. */
static size_t st_line_after(const st_doc *doc, size_t off, size_t l)
{
    for (int k = 0; k < 4; k++, l++)
        if (l + 1 >= doc->line_count || doc->line_start[l + 1] > off) return l;
    return st_line_of(doc, off, l);
}

st_place st_place_of_src_hint(const st_doc *doc, st_place_hint *h, size_t start, size_t end)
{
    st_place p;
    if (start > doc->src_len) start = doc->src_len;
    if (end < start) end = start;
    if (end > doc->src_len) end = doc->src_len;
    size_t l = start >= h->off && h->line < doc->line_count ? st_line_after(doc, start, h->line)
                                                             : st_line_of(doc, start, 0);
    p.line = l + 1;
    p.start = st_char_of(doc, start);
    p.column = p.start - doc->line_chars[l] + 1;
    size_t le = st_line_after(doc, end, l);
    p.end = end - start < 8 && start + 8 <= doc->src_len ? p.start + st_short_chars(doc->src + start, end - start)
                                                         : st_char_of(doc, end);
    h->line = le;
    h->off = end;
    return p;
}

st_place st_place_of_src(const st_doc *doc, size_t start, size_t end)
{
    st_place_hint h = {0};
    return st_place_of_src_hint(doc, &h, start, end);
}

/* The map segment holding clean offset `off`, preferring the one that
 * starts there (for starts) or ends there (for ends): the last segment whose
 * start is before off (or at it, for starts), else the first. The search
 * begins at segment `from`, which must be 0 or one whose start qualifies. */
static size_t st_map_find_from(const st_doc *doc, size_t off, bool as_end, size_t from)
{
    size_t lo = from, hi = doc->map_count;
    /* nearby first: places asked for in order are mostly close together */
    for (int k = 0; k < 4 && lo + 1 < hi; k++) {
        size_t s = doc->map[lo + 1].clean_start;
        if (!(s < off || (!as_end && s == off))) return lo;
        lo++;
    }
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        size_t s = doc->map[mid].clean_start;
        if (s < off || (!as_end && s == off)) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* A search start for st_map_find_from: the hint's segment when it qualifies. */
static size_t st_map_from(const st_doc *doc, size_t off, bool as_end, size_t hint)
{
    if (hint == 0 || hint >= doc->map_count) return 0;
    size_t s = doc->map[hint].clean_start;
    return s < off || (!as_end && s == off) ? hint : 0;
}

static size_t st_map_find(const st_doc *doc, size_t off, bool as_end)
{
    return st_map_find_from(doc, off, as_end, 0);
}

/* The src offset of clean offset off in map segment m. For a start, an off
 * before the segment (only possible in the first) wraps around and is
 * clamped to the segment's end; for an end it is clamped to its start. */
static size_t st_map_to_src(const st_doc *doc, size_t m, size_t off, bool as_end)
{
    const st_map_seg *seg = &doc->map[m];
    size_t d = as_end && off < seg->clean_start ? 0 : off - seg->clean_start;
    if (d > seg->len) d = seg->len;
    return seg->src_start + d;
}

size_t st_clean_to_src(const st_doc *doc, size_t off)
{
    if (!doc->map_count) return 0;
    return st_map_to_src(doc, st_map_find(doc, off, false), off, false);
}

st_place st_place_of_clean_hint(const st_doc *doc, st_place_hint *h, size_t start, size_t end)
{
    size_t s = 0, e = 0;
    if (doc->map_count) {
        size_t ms = st_map_find_from(doc, start, false, st_map_from(doc, start, false, h->map));
        s = e = st_map_to_src(doc, ms, start, false);
        h->map = ms;
        if (end > start) {
            /* every segment that qualifies for the start qualifies for the end */
            size_t me = st_map_find_from(doc, end, true, ms);
            e = st_map_to_src(doc, me, end, true);
            h->map = me;
        }
    }
    return st_place_of_src_hint(doc, h, s, e);
}

st_place st_place_of_clean(const st_doc *doc, size_t start, size_t end)
{
    st_place_hint h = {0};
    return st_place_of_clean_hint(doc, &h, start, end);
}

/* ---- public accessors ---- */

static st_str st_clean_str(const st_doc *doc, size_t start, size_t end)
{
    st_str s = {doc->text ? doc->text + start : "", end > start ? end - start : 0};
    return s;
}

int st_doc_has_title(const st_doc *doc) { return doc->has_title; }
st_str st_doc_title(const st_doc *doc) { return st_clean_str(doc, doc->title_start, doc->title_end); }
st_str st_doc_preamble(const st_doc *doc) { return st_clean_str(doc, doc->preamble_start, doc->preamble_end); }
st_str st_doc_closing(const st_doc *doc) { return st_clean_str(doc, doc->closing_start, doc->closing_end); }
const st_node *st_doc_first_section(const st_doc *doc) { return doc->root.first_child; }
size_t st_doc_section_count(const st_doc *doc) { return doc->root.child_count; }
const char *st_doc_encoding(const st_doc *doc) { return doc->encoding; }
const char *st_doc_encoding_source(const st_doc *doc) { return doc->encoding_source; }
int st_doc_encoding_confidence(const st_doc *doc) { return doc->confidence; }
int st_doc_is_traditional(const st_doc *doc) { return doc->traditional; }
size_t st_doc_source_chars(const st_doc *doc) { return doc->src_chars; }
st_str st_doc_source(const st_doc *doc)
{
    st_str s = {doc->src, doc->src_len};
    return s;
}

const st_node *st_node_next(const st_node *n) { return n->next; }
const st_node *st_node_parent(const st_node *n) { return n->parent && n->parent->parent ? n->parent : NULL; }
const st_node *st_node_first_child(const st_node *n) { return n->first_child; }
size_t st_node_child_count(const st_node *n) { return n->child_count; }
size_t st_node_depth(const st_node *n) { return n->depth; }
int st_node_ordinal(const st_node *n) { return n->ordinal; }
st_style st_node_style(const st_node *n) { return n->style; }
int st_node_is_inline(const st_node *n) { return n->is_inline; }
st_kind st_node_kind(const st_node *n) { return n->kind; }

/* Nodes do not point at their document, but every view is into doc->text;
 * the node stores offsets, so accessors need the text base. We keep a
 * back pointer in the root's parent slot chain: the root is embedded in the
 * document, so walking up to it finds the document. */
static const st_doc *st_doc_of(const st_node *n)
{
    while (n->parent) n = n->parent;
    return (const st_doc *)((const char *)n - offsetof(st_doc, root));
}

st_str st_node_marker(const st_node *n) { return st_clean_str(st_doc_of(n), n->marker_start, n->marker_end); }
st_str st_node_heading(const st_node *n) { return st_clean_str(st_doc_of(n), n->heading_start, n->heading_end); }
st_str st_node_text(const st_node *n) { return st_clean_str(st_doc_of(n), n->text_start, n->text_end); }

st_place st_node_place(const st_node *n)
{
    const st_doc *doc = st_doc_of(n);
    size_t end = n->text_end > n->heading_end ? n->text_end : n->heading_end;
    return st_place_of_clean(doc, n->marker_start, end);
}

/* st_kind_name and st_style_name are in render.c, next to their JSON forms. */

size_t st_doc_diagnostic_count(const st_doc *doc) { return doc->diag_count; }
st_diagnostic st_doc_diagnostic(const st_doc *doc, size_t i)
{
    st_diagnostic d = {0};
    if (i >= doc->diag_count) return d;
    d.code = doc->diags[i].code;
    d.message = doc->diags[i].message;
    d.place = st_place_of_src(doc, doc->diags[i].start, doc->diags[i].end);
    return d;
}

size_t st_doc_removed_count(const st_doc *doc) { return doc->removed_count; }
st_removed st_doc_removed(const st_doc *doc, size_t i)
{
    st_removed r = {0};
    if (i >= doc->removed_count) return r;
    const st_removed_span *s = &doc->removed[i];
    r.rule = s->rule;
    r.text.ptr = doc->src + s->start;
    r.text.len = s->end - s->start;
    r.place = st_place_of_src(doc, s->start, s->end);
    return r;
}

size_t st_doc_censored_count(const st_doc *doc) { return doc->censored_count; }
st_censored st_doc_censored(const st_doc *doc, size_t i)
{
    st_censored c = {0};
    if (i >= doc->censored_count) return c;
    const st_censor_span *s = &doc->censored[i];
    c.word.ptr = doc->src + s->start;
    c.word.len = s->end - s->start;
    c.expansion = s->expansion;
    c.place = st_place_of_src(doc, s->start, s->end);
    return c;
}

char *st_render_json(const st_doc *doc, unsigned flags, size_t *len)
{
    return st_render(doc, flags, len);
}
