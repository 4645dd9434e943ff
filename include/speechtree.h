/* speechtree: parse Chinese Party review speeches into a tree of sections.
 *
 * One public header. A document (st_doc) owns everything reachable from it
 * and is freed with one call. Strings handed out are views (pointer + length)
 * into the document; they are not NUL-terminated and live as long as it.
 * Nothing here keeps global mutable state: two threads may parse at once,
 * each with its own st_doc; a st_rules is read-only once built and may be
 * shared by any number of threads. */
#ifndef SPEECHTREE_H
#define SPEECHTREE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ST_VERSION "0.1.0"
#define ST_SCHEMA_VERSION "1.0"

typedef struct st_doc st_doc;
typedef struct st_node st_node;
typedef struct st_rules st_rules;

/* A view into a document's text: UTF-8, not NUL-terminated. */
typedef struct st_str {
    const char *ptr;
    size_t len;
} st_str;

typedef enum st_kind {
    ST_KIND_NONE = 0, /* not classified (nested items) */
    ST_KIND_PREPARATION,
    ST_KIND_PROBLEMS,
    ST_KIND_CAUSES,
    ST_KIND_MEASURES,
    ST_KIND_RECTIFICATION,
    ST_KIND_OTHER
} st_kind;

/* Marker families. The style tells how an ordinal is written, so that a
 * list continues only with markers of its own style. */
typedef enum st_style {
    ST_STYLE_NONE = 0,     /* heading paragraph without a marker */
    ST_STYLE_CN_COMMA,     /* 一、 一． */
    ST_STYLE_CN_PAREN,     /* （一） (一) */
    ST_STYLE_NUM_DOT,      /* 1. 1． */
    ST_STYLE_NUM_COMMA,    /* 1、 */
    ST_STYLE_NUM_RPAREN,   /* 1) 1） */
    ST_STYLE_NUM_PAREN,    /* （1） (1) */
    ST_STYLE_CIRCLED,      /* ① */
    ST_STYLE_DI,           /* 第一， 第一、 第一： */
    ST_STYLE_LEAD_SHI,     /* 一是 */
    ST_STYLE_LEAD_YAO,     /* 一要 */
    ST_STYLE_LEAD_ZE,      /* 一则 */
    ST_STYLE_DI_PART,      /* 第一部分 (at the start of a line) */
    ST_STYLE_NUM_DECIMAL,  /* 1.1 2.3 (at the start of a line) */
    ST_STYLE_QI,           /* 其一， 其二： */
    ST_STYLE_COUNT
} st_style;

/* Error codes of st_parse and the rule loaders. */
typedef enum st_status {
    ST_OK = 0,
    ST_ERR_DECODE = 1,   /* bytes invalid in the chosen encoding */
    ST_ERR_ENCODING = 2, /* unknown encoding name or undetectable input */
    ST_ERR_TOO_LARGE = 3,
    ST_ERR_BINARY = 4,   /* input is not text (NUL bytes, control junk) */
    ST_ERR_IO = 5,
    ST_ERR_RULES = 6,    /* a rule or dictionary file is malformed */
    ST_ERR_NOMEM = 7,
    ST_ERR_ARG = 8
} st_status;

typedef struct st_error {
    st_status status;
    size_t byte_offset; /* place in the input bytes, when it has one */
    size_t line;        /* 1-based; 0 when unknown */
    size_t column;      /* 1-based, in characters; 0 when unknown */
    char message[256];
} st_error;

#define ST_DEFAULT_MAX_BYTES ((size_t)256 << 20)

typedef struct st_options {
    const char *encoding;    /* NULL: detect; else an ICU converter name */
    int lossy;               /* invalid sequences become U+FFFD (+ diagnostic) */
    int keep_noise;          /* do not remove noise */
    size_t max_bytes;        /* refuse larger inputs; 0 means ST_DEFAULT_MAX_BYTES */
    const st_rules *rules;   /* NULL: the built-in default rules */
    const char *source_name; /* recorded in the output; may be NULL */
} st_options;

void st_options_init(st_options *opt);

/* Rules: noise patterns and the dictionary of censored words.
 * st_rules_default() is built once, on first use, and never freed. */
const st_rules *st_rules_default(void);
/* A copy of the defaults plus the rules in each file (may be NULL).
 * Returns NULL and fills err on a malformed file. */
st_rules *st_rules_new(const char *extra_noise_rules, const char *extra_dictionary,
                       st_error *err);
void st_rules_free(st_rules *rules);
size_t st_rules_noise_count(const st_rules *rules);

/* Parse one speech from a buffer of bytes in any supported encoding.
 * Returns NULL and fills err on a fatal error. */
st_doc *st_parse(const char *data, size_t len, const st_options *opt, st_error *err);
void st_doc_free(st_doc *doc);

/* Document. */
int st_doc_has_title(const st_doc *doc);
st_str st_doc_title(const st_doc *doc);
st_str st_doc_preamble(const st_doc *doc);
st_str st_doc_closing(const st_doc *doc);
const st_node *st_doc_first_section(const st_doc *doc);
size_t st_doc_section_count(const st_doc *doc);
const char *st_doc_encoding(const st_doc *doc);        /* e.g. "UTF-8", "GB18030" */
const char *st_doc_encoding_source(const st_doc *doc); /* "bom" "detected" "forced" "default" */
int st_doc_encoding_confidence(const st_doc *doc);     /* 0-100 */
int st_doc_is_traditional(const st_doc *doc);
st_str st_doc_source(const st_doc *doc); /* decoded text, line ends normalised to \n */
size_t st_doc_source_chars(const st_doc *doc);

/* Node. */
const st_node *st_node_next(const st_node *node);
const st_node *st_node_parent(const st_node *node);
const st_node *st_node_first_child(const st_node *node);
size_t st_node_child_count(const st_node *node);
size_t st_node_depth(const st_node *node); /* 0 for top-level sections */
st_str st_node_marker(const st_node *node);
st_str st_node_heading(const st_node *node);
st_str st_node_text(const st_node *node); /* own body, children excluded */
int st_node_ordinal(const st_node *node); /* -1 when unnumbered */
st_style st_node_style(const st_node *node);
int st_node_is_inline(const st_node *node); /* marker found inside a paragraph */
st_kind st_node_kind(const st_node *node);
const char *st_kind_name(st_kind kind);  /* "problems", …; NULL for NONE */
const char *st_style_name(st_style style);

/* A place in the decoded source: offsets count characters (code points). */
typedef struct st_place {
    size_t line, column; /* 1-based */
    size_t start, end;   /* [start, end) in characters */
} st_place;

st_place st_node_place(const st_node *node); /* marker start to end of own text */

/* Diagnostics: never fatal. */
typedef struct st_diagnostic {
    const char *code; /* "ordinal-gap", "ordinal-repeat", "style-depth",
                         "not-a-marker", "invalid-bytes", … */
    const char *message;
    st_place place;
} st_diagnostic;
size_t st_doc_diagnostic_count(const st_doc *doc);
st_diagnostic st_doc_diagnostic(const st_doc *doc, size_t i);

/* Noise removed from the text, each with the rule that removed it. */
typedef struct st_removed {
    const char *rule;
    st_str text;
    st_place place;
} st_removed;
size_t st_doc_removed_count(const st_doc *doc);
st_removed st_doc_removed(const st_doc *doc, size_t i);

/* Censored words found (mzshh, xjp, …) and redaction placeholders (XX, ××). */
typedef struct st_censored {
    st_str word;
    const char *expansion; /* NUL-terminated; NULL for a redaction */
    st_place place;
} st_censored;
size_t st_doc_censored_count(const st_doc *doc);
st_censored st_doc_censored(const st_doc *doc, size_t i);

/* JSON rendering. The result is malloc'ed and NUL-terminated; free() it.
 * Returns NULL when memory runs out. The JSON does not end with a newline. */
enum {
    ST_JSON_PRETTY = 1 << 0, /* indent */
    ST_JSON_EXPAND = 1 << 1  /* add "expanded" text with censored words spelled out */
};
char *st_render_json(const st_doc *doc, unsigned flags, size_t *len);

/* Receives the next `len` bytes of the JSON (len > 0). Returns 0 to go on,
 * non-zero to stop (a write error); keep the reason in ctx if it matters. */
typedef int (*st_write_fn)(void *ctx, const char *data, size_t len);

/* The same JSON as st_render_json, byte for byte, handed to `write` in
 * pieces of at most 64 KiB instead of built in memory: a document of any
 * size renders in a fixed 64 KiB buffer. The pieces are not NUL-terminated
 * and are valid only during the call. Returns ST_OK; ST_ERR_IO when `write`
 * returned non-zero (it is not called again, and what it was given is a
 * truncated JSON); ST_ERR_NOMEM when the buffer cannot be allocated;
 * ST_ERR_ARG when doc or write is NULL. */
int st_render_json_to(const st_doc *doc, unsigned flags, st_write_fn write, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
