/* Render: the document as JSON (docs/FORMAT.md), written straight into one
 * growing buffer — no intermediate tree, no per-value allocation. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

enum { MAX_NESTING = 512 };

typedef struct writer {
    char *buf;
    size_t len, cap;
    bool pretty;
    int depth;
    bool first[MAX_NESTING]; /* no member written yet at this depth */
} writer;

static void reserve(writer *w, size_t extra)
{
    if (w->len + extra + 1 <= w->cap) return;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + extra + 1) cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) abort();
    w->buf = b;
    w->cap = cap;
}

static void put(writer *w, const char *s, size_t n)
{
    reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc1(writer *w, char c)
{
    reserve(w, 1);
    w->buf[w->len++] = c;
}

static void newline(writer *w)
{
    if (!w->pretty) return;
    reserve(w, 1 + 2 * (size_t)w->depth);
    w->buf[w->len++] = '\n';
    for (int i = 0; i < w->depth; i++) {
        w->buf[w->len++] = ' ';
        w->buf[w->len++] = ' ';
    }
}

static void put_string(writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    reserve(w, n + 2);
    w->buf[w->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(w, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\t': put(w, "\\t", 2); break;
        case '\r': put(w, "\\r", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(w, e, 6);
        }
        }
    }
    put(w, s + run, n - run);
    putc1(w, '"');
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

/* Before a member or element: comma and indentation. */
static void item(writer *w)
{
    if (!w->first[w->depth]) putc1(w, ',');
    w->first[w->depth] = false;
    newline(w);
}

static void key(writer *w, const char *k)
{
    item(w);
    putc1(w, '"');
    put(w, k, strlen(k));
    put(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
}

static void put_uint(writer *w, size_t v)
{
    char b[24];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(w, b + i, sizeof b - i);
}

static void put_int(writer *w, long v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%ld", v);
    put(w, b, (size_t)n);
}

static void key_string(writer *w, const char *k, const char *s, size_t n)
{
    key(w, k);
    put_string(w, s, n);
}

static void key_cstring(writer *w, const char *k, const char *s)
{
    key(w, k);
    if (s) put_string(w, s, strlen(s));
    else put(w, "null", 4);
}

static void key_uint(writer *w, const char *k, size_t v)
{
    key(w, k);
    put_uint(w, v);
}

static void place_members(writer *w, st_place p)
{
    key_uint(w, "line", p.line);
    key_uint(w, "column", p.column);
    key_uint(w, "start", p.start);
    key_uint(w, "end", p.end);
}

static void key_place(writer *w, const char *k, const st_doc *doc, size_t start, size_t end)
{
    key(w, k);
    if (end <= start) {
        put(w, "null", 4);
        return;
    }
    open_(w, '{');
    place_members(w, st_place_of_clean(doc, start, end));
    close_(w, '}');
}

static void render_nodes(writer *w, const st_doc *doc, const st_node *n)
{
    for (; n; n = n->next) {
        item(w);
        open_(w, '{');
        key_string(w, "marker", doc->text + n->marker_start, n->marker_end - n->marker_start);
        key_cstring(w, "style", st_style_name(n->style));
        key(w, "ordinal");
        if (n->ordinal >= 0) put_int(w, n->ordinal);
        else put(w, "null", 4);
        key(w, "inline");
        put(w, n->is_inline ? "true" : "false", n->is_inline ? 4 : 5);
        key_string(w, "heading", doc->text + n->heading_start, n->heading_end - n->heading_start);
        key_string(w, "text", doc->text + n->text_start, n->text_end - n->text_start);
        key_cstring(w, "kind", st_kind_name(n->kind));
        size_t end = n->text_end > n->heading_end ? n->text_end : n->heading_end;
        if (end < n->marker_end) end = n->marker_end;
        place_members(w, st_place_of_clean(doc, n->marker_start, end));
        key(w, "children");
        open_(w, '[');
        render_nodes(w, doc, n->first_child);
        close_(w, ']');
        close_(w, '}');
    }
}

/* The clean text with censored words spelled out. */
static void put_expanded(writer *w, const st_doc *doc)
{
    size_t ci = 0, c = 0;
    char *tmp = NULL;
    size_t tmp_len = 0, tmp_cap = 0;
    for (size_t m = 0; m < doc->map_count; m++) {
        const st_map_seg *seg = &doc->map[m];
        tmp = st_grow(tmp, &tmp_cap, tmp_len + (seg->clean_start - c) + 1, 1);
        memcpy(tmp + tmp_len, doc->text + c, seg->clean_start - c);
        tmp_len += seg->clean_start - c;
        size_t s = seg->src_start, e = seg->src_start + seg->len;
        while (ci < doc->censored_count && doc->censored[ci].start < s) ci++;
        size_t pos = s;
        for (; ci < doc->censored_count && doc->censored[ci].end <= e; ci++) {
            const st_censor_span *cs = &doc->censored[ci];
            if (!cs->expansion) continue;
            size_t el = strlen(cs->expansion);
            tmp = st_grow(tmp, &tmp_cap, tmp_len + (cs->start - pos) + el + 1, 1);
            memcpy(tmp + tmp_len, doc->src + pos, cs->start - pos);
            tmp_len += cs->start - pos;
            memcpy(tmp + tmp_len, cs->expansion, el);
            tmp_len += el;
            pos = cs->end;
        }
        tmp = st_grow(tmp, &tmp_cap, tmp_len + (e - pos) + 1, 1);
        memcpy(tmp + tmp_len, doc->src + pos, e - pos);
        tmp_len += e - pos;
        c = seg->clean_start + seg->len;
    }
    if (c < doc->text_len) {
        tmp = st_grow(tmp, &tmp_cap, tmp_len + (doc->text_len - c) + 1, 1);
        memcpy(tmp + tmp_len, doc->text + c, doc->text_len - c);
        tmp_len += doc->text_len - c;
    }
    while (tmp_len && (tmp[tmp_len - 1] == '\n')) tmp_len--;
    put_string(w, tmp ? tmp : "", tmp_len);
    free(tmp);
}

char *st_render(const st_doc *doc, unsigned flags, size_t *len)
{
    writer w;
    memset(&w, 0, sizeof w);
    w.pretty = (flags & ST_JSON_PRETTY) != 0;
    reserve(&w, doc->text_len * 2 + 4096);
    open_(&w, '{');
    key_cstring(&w, "schema_version", ST_SCHEMA_VERSION);
    key_cstring(&w, "generator", "speechtree " ST_VERSION);

    key(&w, "source");
    open_(&w, '{');
    key_cstring(&w, "path", doc->source_name);
    key_cstring(&w, "encoding", doc->encoding ? doc->encoding : "UTF-8");
    key_cstring(&w, "encoding_source", doc->encoding_source ? doc->encoding_source : "default");
    key_uint(&w, "confidence", (size_t)(doc->confidence < 0 ? 0 : doc->confidence));
    key(&w, "traditional");
    put(&w, doc->traditional ? "true" : "false", doc->traditional ? 4 : 5);
    key_uint(&w, "chars", doc->src_chars);
    size_t lines = doc->src_len == 0 ? 0 : doc->line_count - (doc->src[doc->src_len - 1] == '\n');
    key_uint(&w, "lines", lines);
    close_(&w, '}');

    key(&w, "title");
    if (doc->has_title) put_string(&w, doc->text + doc->title_start, doc->title_end - doc->title_start);
    else put(&w, "null", 4);
    key_string(&w, "preamble", doc->text + doc->preamble_start, doc->preamble_end - doc->preamble_start);
    key_string(&w, "closing", doc->text + doc->closing_start, doc->closing_end - doc->closing_start);

    key(&w, "places");
    open_(&w, '{');
    key_place(&w, "title", doc, doc->title_start, doc->has_title ? doc->title_end : doc->title_start);
    key_place(&w, "preamble", doc, doc->preamble_start, doc->preamble_end);
    key_place(&w, "closing", doc, doc->closing_start, doc->closing_end);
    close_(&w, '}');

    key(&w, "sections");
    open_(&w, '[');
    render_nodes(&w, doc, doc->root.first_child);
    close_(&w, ']');

    key(&w, "removed");
    open_(&w, '[');
    for (size_t i = 0; i < doc->removed_count; i++) {
        const st_removed_span *r = &doc->removed[i];
        item(&w);
        open_(&w, '{');
        key_cstring(&w, "rule", r->rule);
        key_string(&w, "text", doc->src + r->start, r->end - r->start);
        place_members(&w, st_place_of_src(doc, r->start, r->end));
        close_(&w, '}');
    }
    close_(&w, ']');

    key(&w, "censored");
    open_(&w, '[');
    for (size_t i = 0; i < doc->censored_count; i++) {
        const st_censor_span *c = &doc->censored[i];
        item(&w);
        open_(&w, '{');
        key_string(&w, "word", doc->src + c->start, c->end - c->start);
        key_cstring(&w, "expansion", c->expansion);
        place_members(&w, st_place_of_src(doc, c->start, c->end));
        close_(&w, '}');
    }
    close_(&w, ']');

    key(&w, "diagnostics");
    open_(&w, '[');
    for (size_t i = 0; i < doc->diag_count; i++) {
        const st_diag *d = &doc->diags[i];
        item(&w);
        open_(&w, '{');
        key_cstring(&w, "code", d->code);
        key_cstring(&w, "message", d->message);
        place_members(&w, st_place_of_src(doc, d->start, d->end));
        close_(&w, '}');
    }
    close_(&w, ']');

    if (flags & ST_JSON_EXPAND) {
        key(&w, "expanded");
        put_expanded(&w, doc);
    }
    close_(&w, '}');
    reserve(&w, 1);
    w.buf[w.len] = 0;
    if (len) *len = w.len;
    return w.buf;
}
