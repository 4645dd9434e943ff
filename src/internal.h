/* Internal structures shared by the pipeline stages.
 *
 * Pipeline (one file per stage):
 *   decode.c   bytes in any encoding -> doc->src (UTF-8, line ends \n)
 *   clean.c    noise -> doc->removed (byte ranges of src, with rule);
 *              censored words and redactions -> doc->censored
 *   segment.c  src minus removed, hard-wrapped lines joined -> doc->text
 *              (the "clean text"), its map back to src, and paragraphs
 *   lex.c      marker candidates in the clean text -> doc->lex
 *   parse.c    recursive descent over the lexemes -> tree, title,
 *              preamble, closing, diagnostics
 *   classify.c kinds of top-level sections and heading paragraphs
 *   render.c   JSON
 * doc.c drives the stages and implements the public accessors. */
#ifndef ST_INTERNAL_H
#define ST_INTERNAL_H

#include "speechtree.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- memory: one arena per document, freed at once ---- */
typedef struct st_arena_block st_arena_block;
typedef struct st_arena {
    st_arena_block *head;
} st_arena;

void *st_arena_alloc(st_arena *a, size_t size);   /* zeroed, 16-aligned; aborts on OOM */
char *st_arena_strndup(st_arena *a, const char *s, size_t n);
char *st_arena_printf(st_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void st_arena_free(st_arena *a);

/* Grow a malloc'ed array so that it holds at least `need` elements.
 * Aborts on OOM: running out of memory is not a property of the input. */
void *st_grow(void *ptr, size_t *cap, size_t need, size_t elem);
/* The capacity check is inline: st_grow is called only when the array is full. */
#define ST_PUSH(arr, n, cap)                                                              \
    ((void)((n) < (cap) || ((arr) = st_grow((arr), &(cap), (n) + 1, sizeof *(arr)), 1)), \
     &(arr)[(n)++])

/* ---- spans ---- */
typedef struct st_removed_span {
    size_t start, end; /* byte range in doc->src */
    const char *rule;  /* owned by the rules or static */
} st_removed_span;

typedef struct st_censor_span {
    size_t start, end;     /* byte range in doc->src */
    const char *expansion; /* NULL for a redaction placeholder */
} st_censor_span;

typedef struct st_diag {
    const char *code; /* static string */
    const char *message; /* arena */
    size_t start, end;   /* byte range in doc->src */
} st_diag;

/* The clean text is src with removed spans and joined line breaks cut out.
 * Each map segment says: clean[clean_start, clean_start+len) ==
 * src[src_start, src_start+len). Segments are sorted and cover the clean text. */
typedef struct st_map_seg {
    size_t clean_start, src_start, len;
} st_map_seg;

/* A paragraph of the clean text: [start, end), no \n inside. */
typedef struct st_para {
    size_t start, end;
} st_para;

/* A marker candidate found by the lexer. */
typedef struct st_lexeme {
    size_t start, end;   /* the marker itself, clean-text bytes */
    st_style style;
    int ordinal;         /* 1-based */
    unsigned para;       /* index of its paragraph */
    bool line_start;     /* first thing in its paragraph */
    bool after_comma;    /* inline, preceded by ，or , rather than sentence punctuation */
} st_lexeme;

struct st_node {
    st_node *parent, *first_child, *last_child, *next;
    size_t child_count, depth;
    st_style style;
    int ordinal; /* -1 when unnumbered */
    bool is_inline;
    st_kind kind;
    /* clean-text byte offsets; heading and text are trimmed of spaces */
    size_t marker_start, marker_end;
    size_t heading_start, heading_end;
    size_t text_start, text_end;
    /* parse state: the node's active child list, and where it stands */
    st_style list_style;
    int list_last;
    unsigned para;
    bool block; /* starts its paragraph (marker at line start, or a heading paragraph) */
};

struct st_doc {
    st_arena arena;
    const st_rules *rules;
    const char *source_name;

    /* decode */
    char *src; /* malloc'ed, NUL-terminated; always valid UTF-8 (decode.c makes it so,
                * and the byte-level scans of clean, segment and lex rely on it) */
    size_t src_len;
    const char *encoding, *encoding_source;
    int confidence;
    bool traditional;

    /* line table of src, for places */
    size_t *line_start;  /* byte offset of each line */
    size_t *line_chars;  /* characters before each line */
    size_t line_count;
    size_t src_chars;
    size_t *block_chars; /* characters before each 64-byte block of src */

    /* clean */
    st_removed_span *removed;
    size_t removed_count, removed_cap;
    st_censor_span *censored;
    size_t censored_count, censored_cap;

    /* segment */
    char *text; /* malloc'ed, NUL-terminated */
    size_t text_len;
    st_map_seg *map;
    size_t map_count, map_cap;
    st_para *paras;
    size_t para_count, para_cap;
    bool flattened; /* the speech came on one or two very long lines */

    /* lex */
    st_lexeme *lex;
    size_t lex_count, lex_cap;

    /* parse */
    st_node root; /* its children are the sections */
    bool has_title;
    size_t title_start, title_end;       /* clean-text bytes */
    size_t preamble_start, preamble_end;
    size_t closing_start, closing_end;

    st_diag *diags;
    size_t diag_count, diag_cap;

    /* rules.c: ICU transliterator of st_to_simplified, opened on first use;
     * closed by st_rules_doc_cleanup() (src/rules.h) from st_doc_free */
    void *trans;
};

/* ---- stages; each returns 0 or fills err and returns non-zero ---- */
int st_decode(st_doc *doc, const char *data, size_t len, const st_options *opt, st_error *err);
int st_clean(st_doc *doc, const st_rules *rules, bool keep_noise);
int st_segment(st_doc *doc);
int st_lex(st_doc *doc);
int st_parse_tree(st_doc *doc);
void st_classify(st_doc *doc);
/* Kind of a heading (classify.c); ST_KIND_OTHER when nothing matches. With
 * keyword_at_end the kind's keyword must end the heading (存在的问题). */
st_kind st_kind_of_heading(st_doc *doc, const char *s, size_t len, bool keyword_at_end);
/* JSON into a malloc'ed buffer */
char *st_render(const st_doc *doc, unsigned flags, size_t *len);

/* ---- helpers in doc.c ---- */
void st_add_removed(st_doc *doc, size_t start, size_t end, const char *rule);
void st_add_diag(st_doc *doc, const char *code, size_t src_start, size_t src_end,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t st_clean_to_src(const st_doc *doc, size_t clean_off);
st_place st_place_of_src(const st_doc *doc, size_t start, size_t end);
st_place st_place_of_clean(const st_doc *doc, size_t start, size_t end);
/* Where the last place asked for through it ended, so that the next one, if
 * it comes later in the text, is found by looking forward from there rather
 * than from the start (render.c asks for places in mostly increasing order).
 * Zero-initialise; the results are the same as without. */
typedef struct st_place_hint {
    size_t line, off; /* the line of src byte off */
    size_t map;              /* a map segment at or before the last clean end */
} st_place_hint;
st_place st_place_of_src_hint(const st_doc *doc, st_place_hint *h, size_t start, size_t end);
st_place st_place_of_clean_hint(const st_doc *doc, st_place_hint *h, size_t start, size_t end);
void st_build_line_table(st_doc *doc);

/* ---- lexer helper (lex.c), also used by segment.c ---- */
/* Is there an enumeration marker at text[0..len)? Fills style/ordinal and
 * returns the marker's length in bytes, or 0. */
size_t st_marker_at(const char *text, size_t len, st_style *style, int *ordinal);
static inline bool st_style_is_lead(st_style s)
{
    return s == ST_STYLE_DI || s == ST_STYLE_QI || s == ST_STYLE_LEAD_SHI || s == ST_STYLE_LEAD_YAO ||
           s == ST_STYLE_LEAD_ZE;
}

/* ---- rules (rules.c) ---- */
typedef struct st_noise_rule st_noise_rule;
/* Traditional->Simplified for short strings (classify); returns arena copy.
 * Falls back to the input when ICU has no transliterator. */
const char *st_to_simplified(st_doc *doc, const char *s, size_t len, size_t *out_len);

/* ---- UTF-8 ---- */
/* Decode one code point at s (valid UTF-8 assumed); sets *n to its length. */
static inline uint32_t st_utf8_next(const char *s, size_t len, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) { *n = 0; return 0; }
    if (u[0] < 0x80) { *n = 1; return u[0]; }
    if ((u[0] & 0xE0) == 0xC0 && len >= 2) { *n = 2; return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F); }
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

/* Start of the character that ends just before s[end], at start or after it
 * (end > start). */
static inline size_t st_utf8_char_start(const char *s, size_t start, size_t end)
{
    size_t i = end - 1;
    while (i > start && ((unsigned char)s[i] & 0xC0) == 0x80 && end - i < 4) i--;
    return i;
}

/* Code point ending just before `end` (start of string is `s`). */
static inline uint32_t st_utf8_prev(const char *s, size_t end, size_t *n)
{
    if (end == 0) { *n = 0; return 0; }
    size_t i = st_utf8_char_start(s, 0, end);
    size_t m;
    uint32_t c = st_utf8_next(s + i, end - i, &m);
    *n = end - i;
    return c;
}

/* Characters in s[0..len): the bytes that are not continuation bytes
 * (10xxxxxx), counted 16 at a time with SSE2, else 8 at a time. */
static inline size_t st_utf8_count(const char *s, size_t len)
{
    size_t i = 0, cont = 0;
#ifdef __SSE2__
    /* 16 bytes a step: continuation bytes are the signed ones below -64;
     * each lane counts up to 255 of them before the lanes are summed */
    const __m128i c0 = _mm_set1_epi8(-64), zero = _mm_setzero_si128();
    if (len >= 16) {
        while (len - i >= 16) {
            size_t vecs = (len - i) / 16;
            if (vecs > 255) vecs = 255;
            __m128i acc = zero;
            for (size_t k = 0; k < vecs; k++, i += 16)
                acc = _mm_sub_epi8(acc, _mm_cmplt_epi8(_mm_loadu_si128((const __m128i *)(s + i)), c0));
            __m128i sum = _mm_sad_epu8(acc, zero);
            cont += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
        }
        if (i < len) {
            /* the last 16 bytes, keeping only the lanes not yet counted:
             * lane j of tail_lanes + r is set when j >= 16 - r */
            static const signed char tail_lanes[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            __m128i x = _mm_loadu_si128((const __m128i *)(s + len - 16));
            __m128i keep = _mm_loadu_si128((const __m128i *)(tail_lanes + (len - i)));
            __m128i sum = _mm_sad_epu8(_mm_and_si128(_mm_cmplt_epi8(x, c0), keep), zero);
            cont += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
        }
        return len - cont;
    }
#endif
    while (len - i >= 8) {
        size_t words = (len - i) / 8;
        if (words > 255) words = 255;
        uint64_t lanes = 0;
        for (size_t k = 0; k < words; k++, i += 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            lanes += (w & ~(w << 1) & 0x8080808080808080ull) >> 7;
        }
        /* 16-bit lanes first: eight lanes of up to 255 may sum past a byte */
        lanes = (lanes & 0x00FF00FF00FF00FFull) + ((lanes >> 8) & 0x00FF00FF00FF00FFull);
        cont += (size_t)((lanes * 0x0001000100010001ull) >> 48);
    }
    for (; i < len; i++) cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    return len - cont;
}

static inline bool st_is_space(uint32_t c)
{
    if (c > 0x3000) return c == 0xFEFF; /* Chinese text: decided at once */
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == 0x3000 ||
           c == 0xA0 || c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF ||
           c == 0x2060 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F;
}

/* Byte length of the st_is_space character at s[0..avail), or 0 when s does not
 * start with one. Decided on the bytes: Han text is rejected by its first
 * byte without being decoded. (For valid UTF-8, which doc->src and the clean
 * text are, this agrees with st_is_space(st_utf8_next(...)).) */
static inline size_t st_space_len(const char *s, size_t avail)
{
    const unsigned char *u = (const unsigned char *)s;
    switch (u[0]) {
    case ' ': case '\t': case '\v': case '\f': case '\r':
        return 1;
    case 0xC2: /* U+00A0 */
        return avail >= 2 && u[1] == 0xA0 ? 2 : 0;
    case 0xE2:
        if (avail < 3) return 0;
        if (u[1] == 0x80) /* U+2000-200D, U+202F */
            return u[2] <= 0x8D || u[2] == 0xAF ? 3 : 0;
        if (u[1] == 0x81) /* U+205F, U+2060 */
            return u[2] == 0x9F || u[2] == 0xA0 ? 3 : 0;
        return 0;
    case 0xE3: /* U+3000 */
        return avail >= 3 && u[1] == 0x80 && u[2] == 0x80 ? 3 : 0;
    case 0xEF: /* U+FEFF */
        return avail >= 3 && u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
    default:
        return 0;
    }
}

/* Sentence-final punctuation that ends a heading: 。！？；： and ASCII ! ? ; : */
static inline bool st_is_sentence_end(uint32_t c)
{
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B || c == 0xFF1A ||
           c == '!' || c == '?' || c == ';' || c == ':' || c == 0xFF0E;
}

/* Does s[0..len) contain the literal lit? For short texts (a line, a
 * heading) and literals: memcmp only where the first byte matches. */
static inline bool st_contains_lit(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    for (size_t i = 0; i + n <= len; i++)
        if (s[i] == lit[0] && memcmp(s + i, lit, n) == 0) return true;
    return false;
}

static inline bool st_is_han(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF);
}

/* ---- plain characters (table in lex.c) ---- */
/* Byte length of the character that starts with byte b when that character is
 * "plain", whatever bytes follow: a letter, a Han character, any character that
 * is no space, digit, bracket, quote or punctuation (those have the lead bytes
 * 00-7F, C0-C2, E0, E2, E3, EF or F0). 0: decode it. The length is the one
 * st_utf8_next gives (1 for a stray byte, which decodes to U+FFFD). */
extern const unsigned char st_plain_len[256];

#endif
