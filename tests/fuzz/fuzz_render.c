/* libFuzzer target for the JSON rendering: parse, then render with every
 * flag combination; each result must be valid JSON (cJSON), valid UTF-8 with
 * no raw control characters inside strings, the same document in compact and
 * pretty form, and must say what the C API says (strings, places, tree). */
#define ST_FUZZ_WITH_CJSON 1
#include "fuzz_common.h"

/* RFC 8259: no raw control characters inside strings. */
static void check_json_text(const char *json, size_t len, unsigned flags)
{
    size_t bad;
    if (st_fuzz_utf8_check(json, len, &bad) == (size_t)-1)
        st_fuzz_fail("render(flags=%u): not valid UTF-8 at byte %zu", flags, bad);
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)json[i];
        if (in_str) {
            if (c == '\\') { i++; continue; }
            if (c == '"') in_str = 0;
            else if (c < 0x20) st_fuzz_fail("render(flags=%u): raw control byte 0x%02X in a string at %zu", flags, c, i);
        } else if (c == '"') in_str = 1;
    }
    if (in_str) st_fuzz_fail("render(flags=%u): unterminated string", flags);
}

static void check_strings(const cJSON *j, unsigned flags)
{
    /* iterative over siblings, recursive over depth (JSON depth is bounded by
     * cJSON's nesting limit) */
    for (; j; j = j->next) {
        if (j->string) st_fuzz_check_str((st_str){j->string, strlen(j->string)}, "JSON key");
        if (cJSON_IsString(j)) {
            size_t bad;
            if (st_fuzz_utf8_check(j->valuestring, strlen(j->valuestring), &bad) == (size_t)-1)
                st_fuzz_fail("render(flags=%u): string value of \"%s\" not valid UTF-8 at %zu", flags,
                             j->string ? j->string : "", bad);
        }
        if (j->child) check_strings(j->child, flags);
    }
}

static void same_str(const cJSON *j, st_str s, const char *what)
{
    if (!cJSON_IsString(j)) st_fuzz_fail("JSON %s: not a string", what);
    size_t jl = strlen(j->valuestring);
    /* a NUL inside the view ends the cJSON copy early */
    if (jl > s.len || memcmp(j->valuestring, s.ptr, jl) != 0 || (jl < s.len && s.ptr[jl] != 0))
        st_fuzz_fail("JSON %s differs from the C API (%zu vs %zu bytes)", what, jl, s.len);
}

static size_t num(const cJSON *o, const char *key, const char *what)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0) st_fuzz_fail("JSON %s.%s: not a number >= 0", what, key);
    return (size_t)v->valuedouble;
}

static void same_place(const cJSON *o, st_place p, const char *what)
{
    if (num(o, "line", what) != p.line || num(o, "column", what) != p.column ||
        num(o, "start", what) != p.start || num(o, "end", what) != p.end)
        st_fuzz_fail("JSON %s: place differs from the C API", what);
}

static const cJSON *item(const cJSON *o, const char *key, const char *what)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) st_fuzz_fail("JSON %s: no \"%s\"", what, key);
    return v;
}

static void check_against_api(const st_doc *doc, const cJSON *root, unsigned flags)
{
    if (!cJSON_IsObject(root)) st_fuzz_fail("JSON: not an object");
    if (!cJSON_IsString(item(root, "schema_version", "root"))) st_fuzz_fail("JSON: schema_version");
    const cJSON *source = item(root, "source", "root");
    if (num(source, "chars", "source") != st_doc_source_chars(doc)) st_fuzz_fail("JSON source.chars");
    const cJSON *enc = item(source, "encoding", "source");
    if (!cJSON_IsString(enc) || strcmp(enc->valuestring, st_doc_encoding(doc)))
        st_fuzz_fail("JSON source.encoding");

    const cJSON *title = item(root, "title", "root");
    if (st_doc_has_title(doc)) same_str(title, st_doc_title(doc), "title");
    else if (!cJSON_IsNull(title)) st_fuzz_fail("JSON title: not null for a document without title");
    same_str(item(root, "preamble", "root"), st_doc_preamble(doc), "preamble");
    same_str(item(root, "closing", "root"), st_doc_closing(doc), "closing");

    const cJSON *expanded = cJSON_GetObjectItemCaseSensitive(root, "expanded");
    if (!!(flags & ST_JSON_EXPAND) != !!expanded)
        st_fuzz_fail("JSON: \"expanded\" %s with flags %u", expanded ? "present" : "missing", flags);
    if (expanded && !cJSON_IsString(expanded)) st_fuzz_fail("JSON: expanded is not a string");

    const cJSON *arr = item(root, "removed", "root");
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != st_doc_removed_count(doc))
        st_fuzz_fail("JSON removed: count");
    size_t i = 0;
    for (const cJSON *r = arr->child; r; r = r->next, i++) {
        st_removed x = st_doc_removed(doc, i);
        same_str(item(r, "text", "removed"), x.text, "removed.text");
        same_str(item(r, "rule", "removed"), (st_str){x.rule, strlen(x.rule)}, "removed.rule");
        same_place(r, x.place, "removed");
    }
    arr = item(root, "censored", "root");
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != st_doc_censored_count(doc))
        st_fuzz_fail("JSON censored: count");
    i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        st_censored x = st_doc_censored(doc, i);
        same_str(item(c, "word", "censored"), x.word, "censored.word");
        const cJSON *e = item(c, "expansion", "censored");
        if (x.expansion) same_str(e, (st_str){x.expansion, strlen(x.expansion)}, "censored.expansion");
        else if (!cJSON_IsNull(e)) st_fuzz_fail("JSON censored.expansion: not null");
        same_place(c, x.place, "censored");
    }
    arr = item(root, "diagnostics", "root");
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != st_doc_diagnostic_count(doc))
        st_fuzz_fail("JSON diagnostics: count");
    i = 0;
    for (const cJSON *d = arr->child; d; d = d->next, i++) {
        st_diagnostic x = st_doc_diagnostic(doc, i);
        same_str(item(d, "code", "diagnostic"), (st_str){x.code, strlen(x.code)}, "diagnostic.code");
        same_str(item(d, "message", "diagnostic"), (st_str){x.message, strlen(x.message)}, "diagnostic.message");
        same_place(d, x.place, "diagnostic");
    }

    const cJSON *sections = item(root, "sections", "root");
    if (!cJSON_IsArray(sections) || (size_t)cJSON_GetArraySize(sections) != st_doc_section_count(doc))
        st_fuzz_fail("JSON sections: count");
    size_t cap = 64, depth = 0;
    const cJSON **stack = malloc(cap * sizeof *stack);
    const st_node *n = st_doc_first_section(doc);
    const cJSON *j = sections->child;
    while (n) {
        if (!j) st_fuzz_fail("JSON: fewer nodes than the C API");
        same_str(item(j, "marker", "node"), st_node_marker(n), "node.marker");
        same_str(item(j, "heading", "node"), st_node_heading(n), "node.heading");
        same_str(item(j, "text", "node"), st_node_text(n), "node.text");
        const char *style = st_style_name(st_node_style(n));
        same_str(item(j, "style", "node"), (st_str){style, strlen(style)}, "node.style");
        const cJSON *ord = item(j, "ordinal", "node");
        if (st_node_ordinal(n) < 0 ? !cJSON_IsNull(ord)
                                   : !cJSON_IsNumber(ord) || ord->valuedouble != st_node_ordinal(n))
            st_fuzz_fail("JSON node.ordinal differs");
        const cJSON *inl = item(j, "inline", "node");
        if (!cJSON_IsBool(inl) || !!cJSON_IsTrue(inl) != !!st_node_is_inline(n))
            st_fuzz_fail("JSON node.inline differs");
        const cJSON *kind = item(j, "kind", "node");
        const char *kn = st_kind_name(st_node_kind(n));
        if (kn) same_str(kind, (st_str){kn, strlen(kn)}, "node.kind");
        else if (!cJSON_IsNull(kind)) st_fuzz_fail("JSON node.kind: not null");
        same_place(j, st_node_place(n), "node");
        const cJSON *children = item(j, "children", "node");
        if (!cJSON_IsArray(children) || (size_t)cJSON_GetArraySize(children) != st_node_child_count(n))
            st_fuzz_fail("JSON node.children: count");
        if (st_node_first_child(n)) {
            if (depth == cap) {
                cap *= 2;
                stack = realloc(stack, cap * sizeof *stack);
                if (!stack) abort();
            }
            stack[depth++] = j;
            n = st_node_first_child(n);
            j = children->child;
        } else {
            while (n && !st_node_next(n)) {
                n = st_node_parent(n);
                if (n) j = stack[--depth];
            }
            if (n) {
                n = st_node_next(n);
                j = j->next;
            }
        }
    }
    free(stack);
}

static size_t max_depth(const st_doc *doc)
{
    size_t m = 0;
    const st_node *n = st_doc_first_section(doc);
    while (n) {
        if (st_node_depth(n) > m) m = st_node_depth(n);
        if (st_node_first_child(n)) n = st_node_first_child(n);
        else {
            while (n && !st_node_next(n)) n = st_node_parent(n);
            if (n) n = st_node_next(n);
        }
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_options opt;
    st_options_init(&opt);
    opt.source_name = size ? "dir/\"quoted\"\\name\t\x7f.txt" : NULL;
    st_doc *doc = st_parse((const char *)data, size, &opt, NULL);
    if (!doc) {
        opt.lossy = 1;
        doc = st_parse((const char *)data, size, &opt, NULL);
    }
    if (!doc) return 0;
    /* cJSON refuses nesting deeper than CJSON_NESTING_LIMIT (1000); the tree
     * adds two levels per depth */
    int deep = max_depth(doc) * 2 + 8 >= CJSON_NESTING_LIMIT;
    char *first = NULL;
    for (unsigned flags = 0; flags < 4; flags++) {
        size_t len = (size_t)-1;
        char *json = st_render_json(doc, flags, &len);
        if (!json) st_fuzz_fail("st_render_json(flags=%u) returned NULL", flags);
        if (len != strlen(json)) st_fuzz_fail("render(flags=%u): length %zu, strlen %zu", flags, len, strlen(json));
        check_json_text(json, len, flags);
        if (!deep) {
            const char *end = NULL;
            cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
            if (!root) st_fuzz_fail("render(flags=%u): not valid JSON near byte %zu", flags,
                                    end ? (size_t)(end - json) : 0);
            while (end && end < json + len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')) end++;
            if (end && end != json + len) st_fuzz_fail("render(flags=%u): junk after the JSON value", flags);
            check_strings(root, flags);
            check_against_api(doc, root, flags);
            if (flags == 0) st_fuzz_check_lossless(doc, root);
            cJSON_DeleteItemFromObjectCaseSensitive(root, "expanded");
            /* compared as compact text: cJSON_Compare recurses both ways
             * through objects, exponential in the nesting depth */
            char *text = cJSON_PrintUnformatted(root);
            if (!text) abort();
            cJSON_Delete(root);
            if (!first) first = text;
            else {
                if (strcmp(first, text) != 0)
                    st_fuzz_fail("render(flags=%u) is not the same document as render(flags=0)", flags);
                free(text);
            }
        }
        free(json);
    }
    free(first);
    st_doc_free(doc);
    return 0;
}
