/* Helpers shared by the fuzz targets (public API only, plus cJSON).
 *
 * A finding is reported by st_fuzz_fail(): it prints what broke and aborts,
 * so that libFuzzer (or the replay driver) records the input. */
#ifndef ST_FUZZ_COMMON_H
#define ST_FUZZ_COMMON_H

#include "speechtree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void st_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void st_fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FUZZ FINDING: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns the
 * number of code points, or (size_t)-1 with *bad set to the bad offset. */
static size_t st_fuzz_utf8_check(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        unsigned c = u[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) { i++; n++; continue; }
        else if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; }
        else goto fail;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= len || (u[i + j] & 0xC0) != 0x80) goto fail;
            cp = (cp << 6) | (u[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            goto fail;
        i += k + 1;
        n++;
    }
    return n;
fail:
    if (bad) *bad = i;
    return (size_t)-1;
}

/* Whitespace for the lossless checks: the library's st_is_space() set, line
 * ends, and the other Unicode spaces (a superset, applied to both sides). */
static int st_fuzz_is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == 0x3000 || c == 0xA0 || c == 0x85 || c == 0x1680 || (c >= 0x1C && c <= 0x1F) ||
           c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF || c == 0x2060 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F;
}

/* Next code point of valid UTF-8; *n gets its length (1 on a bad byte). */
static uint32_t st_fuzz_next(const char *s, size_t len, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80 || len < 2) { *n = 1; return u[0]; }
    if ((u[0] & 0xE0) == 0xC0) { *n = 2; return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F); }
    if ((u[0] & 0xF0) == 0xE0 && len >= 3) {
        *n = 3;
        return ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    }
    if ((u[0] & 0xF8) == 0xF0 && len >= 4) {
        *n = 4;
        return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
               ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
    }
    *n = 1;
    return 0xFFFD;
}

/* Code points of s that are not whitespace. */
static size_t st_fuzz_nonspace(st_str s)
{
    size_t count = 0, i = 0, n;
    while (i < s.len) {
        uint32_t c = st_fuzz_next(s.ptr + i, s.len - i, &n);
        count += !st_fuzz_is_space(c);
        i += n;
    }
    return count;
}

/* Every view handed out must be readable in full, valid UTF-8, and (when the
 * caller knows it) inside the document. */
static void st_fuzz_check_str(st_str s, const char *what)
{
    if (s.len && !s.ptr) st_fuzz_fail("%s: NULL pointer with length %zu", what, s.len);
    volatile unsigned sum = 0;
    for (size_t i = 0; i < s.len; i++) sum += (unsigned char)s.ptr[i];
    (void)sum;
    size_t bad = 0;
    if (st_fuzz_utf8_check(s.ptr, s.len, &bad) == (size_t)-1)
        st_fuzz_fail("%s: not valid UTF-8 at byte %zu of %zu", what, bad, s.len);
}

static void st_fuzz_check_place(st_place p, size_t chars, const char *what)
{
    if (p.line < 1 || p.column < 1) st_fuzz_fail("%s: line %zu column %zu", what, p.line, p.column);
    if (p.start > p.end || p.end > chars)
        st_fuzz_fail("%s: place [%zu,%zu) outside the source of %zu chars", what, p.start, p.end, chars);
}


/* ---- the lossless contract of docs/FORMAT.md, checked in process ---- */
#ifdef ST_FUZZ_WITH_CJSON
#include <cJSON.h>

typedef struct st_fuzz_src {
    st_str src;
    size_t chars;
    uint32_t *cp;  /* chars code points */
    size_t *boff;  /* chars + 1 byte offsets */
    size_t *line;  /* chars + 1: 1-based line of each offset */
    size_t *col;   /* chars + 1: 1-based column */
} st_fuzz_src;

static void st_fuzz_src_init(st_fuzz_src *s, const st_doc *doc)
{
    s->src = st_doc_source(doc);
    st_fuzz_check_str(s->src, "source");
    if (memchr(s->src.ptr, '\r', s->src.len)) st_fuzz_fail("source: contains a CR");
    size_t chars = st_fuzz_utf8_check(s->src.ptr, s->src.len, NULL);
    if (chars != st_doc_source_chars(doc))
        st_fuzz_fail("source: st_doc_source_chars()=%zu, but it holds %zu chars",
                     st_doc_source_chars(doc), chars);
    s->chars = chars;
    s->cp = malloc((chars + 1) * sizeof *s->cp);
    s->boff = malloc((chars + 1) * sizeof *s->boff);
    s->line = malloc((chars + 1) * sizeof *s->line);
    s->col = malloc((chars + 1) * sizeof *s->col);
    if (!s->cp || !s->boff || !s->line || !s->col) abort();
    size_t b = 0, line = 1, col = 1, n;
    for (size_t i = 0; i < chars; i++) {
        s->boff[i] = b;
        s->line[i] = line;
        s->col[i] = col;
        s->cp[i] = st_fuzz_next(s->src.ptr + b, s->src.len - b, &n);
        b += n;
        if (s->cp[i] == '\n') { line++; col = 1; }
        else col++;
    }
    s->boff[chars] = b;
    s->line[chars] = line;
    s->col[chars] = col;
}

static void st_fuzz_src_free(st_fuzz_src *s)
{
    free(s->cp);
    free(s->boff);
    free(s->line);
    free(s->col);
}

/* A place must be inside the source and its line/column must match start. */
static void st_fuzz_check_place_in(const st_fuzz_src *s, st_place p, const char *what)
{
    st_fuzz_check_place(p, s->chars, what);
    if (p.line != s->line[p.start] || p.column != s->col[p.start])
        st_fuzz_fail("%s: start %zu is line %zu column %zu, but the place says %zu:%zu", what,
                     p.start, s->line[p.start], s->col[p.start], p.line, p.column);
}

static int st_fuzz_place_from_json(const cJSON *o, st_place *p)
{
    const char *keys[4] = {"line", "column", "start", "end"};
    size_t *dst[4] = {&p->line, &p->column, &p->start, &p->end};
    if (!cJSON_IsObject(o)) return 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0) return 0;
        *dst[i] = (size_t)v->valuedouble;
    }
    return 1;
}

typedef struct st_fuzz_field {
    char name[64];
    st_place place;
    st_str part[3]; /* the field's text: marker, heading, text (or one string) */
} st_fuzz_field;

/* Compare span minus removed minus whitespace with the field text minus
 * whitespace. */
static void st_fuzz_compare_field(const st_fuzz_src *s, const unsigned char *removed,
                                  const st_fuzz_field *f)
{
    size_t i = f->place.start, pi = 0, bi = 0, n;
    for (;;) {
        while (i < f->place.end && (removed[i] || st_fuzz_is_space(s->cp[i]))) i++;
        uint32_t want = 0;
        int have = 0;
        while (pi < 3) {
            st_str p = f->part[pi];
            if (bi >= p.len) { pi++; bi = 0; continue; }
            uint32_t c = st_fuzz_next(p.ptr + bi, p.len - bi, &n);
            bi += n;
            if (st_fuzz_is_space(c)) continue;
            want = c;
            have = 1;
            break;
        }
        if (i >= f->place.end && !have) return;
        if (i >= f->place.end)
            st_fuzz_fail("lossless: %s: its text has U+%04X beyond the end of its span [%zu,%zu)",
                         f->name, (unsigned)want, f->place.start, f->place.end);
        if (!have)
            st_fuzz_fail("lossless: %s: source char U+%04X at offset %zu (line %zu column %zu) is in "
                         "its span [%zu,%zu) but not in its text", f->name, (unsigned)s->cp[i], i,
                         s->line[i], s->col[i], f->place.start, f->place.end);
        if (s->cp[i] != want)
            st_fuzz_fail("lossless: %s: source has U+%04X at offset %zu (line %zu column %zu), "
                         "its text has U+%04X", f->name, (unsigned)s->cp[i], i, s->line[i],
                         s->col[i], (unsigned)want);
        i++;
    }
}

/* root: the document rendered as JSON (for the places of title, preamble,
 * closing, which the C API does not expose). */
static void st_fuzz_check_lossless(const st_doc *doc, const cJSON *root)
{
    st_fuzz_src s;
    st_fuzz_src_init(&s, doc);
    size_t chars = s.chars;
    unsigned char *removed = calloc(chars + 1, 1);
    unsigned *owner = calloc(chars + 1, sizeof *owner); /* field index + 1 */
    st_fuzz_field *fields = NULL;
    size_t nfields = 0, cap = 0;
    if (!removed || !owner) abort();

    for (size_t i = 0; i < st_doc_removed_count(doc); i++) {
        st_removed r = st_doc_removed(doc, i);
        char what[64];
        snprintf(what, sizeof what, "removed[%zu]", i);
        st_fuzz_check_place_in(&s, r.place, what);
        if (r.text.ptr != s.src.ptr + s.boff[r.place.start] ||
            r.text.len != s.boff[r.place.end] - s.boff[r.place.start])
            st_fuzz_fail("%s: its text is not source[%zu:%zu]", what, r.place.start, r.place.end);
        if (!r.rule) st_fuzz_fail("%s: no rule", what);
        for (size_t c = r.place.start; c < r.place.end; c++) {
            if (removed[c])
                st_fuzz_fail("removed[%zu] and removed[%u] overlap at offset %zu", i, removed[c] - 1u, c);
            removed[c] = (unsigned char)(i < 254 ? i + 1 : 255);
        }
    }

    /* title, preamble, closing */
    const cJSON *places = cJSON_GetObjectItemCaseSensitive(root, "places");
    if (!cJSON_IsObject(places)) st_fuzz_fail("JSON: no \"places\" object");
    const char *names[3] = {"title", "preamble", "closing"};
    st_str texts[3] = {st_doc_title(doc), st_doc_preamble(doc), st_doc_closing(doc)};
    for (int k = 0; k < 3; k++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(places, names[k]);
        st_fuzz_check_str(texts[k], names[k]);
        if (cJSON_IsNull(p) || !p) {
            if (st_fuzz_nonspace(texts[k]))
                st_fuzz_fail("lossless: %s is %zu bytes but places.%s is null", names[k], texts[k].len, names[k]);
            continue;
        }
        if (nfields == cap) {
            cap = cap ? cap * 2 : 16;
            fields = realloc(fields, cap * sizeof *fields);
            if (!fields) abort();
        }
        st_fuzz_field *f = &fields[nfields++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "%s", names[k]);
        if (!st_fuzz_place_from_json(p, &f->place)) st_fuzz_fail("JSON: places.%s is not a place", names[k]);
        st_fuzz_check_place_in(&s, f->place, names[k]);
        f->part[0] = texts[k];
    }

    /* nodes, iteratively (trees may be deep) */
    size_t index = 0;
    const st_node *n = st_doc_first_section(doc);
    while (n) {
        if (nfields == cap) {
            cap = cap ? cap * 2 : 16;
            fields = realloc(fields, cap * sizeof *fields);
            if (!fields) abort();
        }
        st_fuzz_field *f = &fields[nfields++];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "node #%zu (depth %zu)", index++, st_node_depth(n));
        f->place = st_node_place(n);
        st_fuzz_check_place_in(&s, f->place, f->name);
        f->part[0] = st_node_marker(n);
        f->part[1] = st_node_heading(n);
        f->part[2] = st_node_text(n);
        if (st_node_first_child(n)) n = st_node_first_child(n);
        else {
            while (n && !st_node_next(n)) n = st_node_parent(n);
            if (n) n = st_node_next(n);
        }
    }

    for (size_t k = 0; k < nfields; k++) {
        st_fuzz_field *f = &fields[k];
        for (size_t c = f->place.start; c < f->place.end; c++) {
            if (owner[c])
                st_fuzz_fail("lossless: %s [%zu,%zu) and %s [%zu,%zu) overlap at offset %zu (line %zu column %zu)",
                             fields[owner[c] - 1].name, fields[owner[c] - 1].place.start,
                             fields[owner[c] - 1].place.end, f->name, f->place.start, f->place.end,
                             c, s.line[c], s.col[c]);
            owner[c] = (unsigned)k + 1;
        }
        st_fuzz_compare_field(&s, removed, f);
    }
    for (size_t c = 0; c < chars; c++) {
        if (!owner[c] && !removed[c] && !st_fuzz_is_space(s.cp[c]))
            st_fuzz_fail("lossless: source char U+%04X at offset %zu (line %zu column %zu) is in no "
                         "field and no removed span", (unsigned)s.cp[c], c, s.line[c], s.col[c]);
    }
    free(fields);
    free(owner);
    free(removed);
    st_fuzz_src_free(&s);
}
#endif /* ST_FUZZ_WITH_CJSON */

#endif
