/* libFuzzer target: st_parse with several option sets, a walk over the whole
 * tree through the public accessors, st_render_json, and the lossless
 * contract of docs/FORMAT.md checked in process.
 *
 * Set ST_FUZZ_NO_LOSSLESS=1 in the environment to skip the lossless check
 * (to hunt crashes while a known lossless bug is open). */
#define ST_FUZZ_WITH_CJSON 1
#include "fuzz_common.h"

static void walk_tree(const st_doc *doc)
{
    size_t chars = st_doc_source_chars(doc);
    size_t sections = 0;
    for (const st_node *s = st_doc_first_section(doc); s; s = st_node_next(s)) {
        sections++;
        if (st_node_parent(s)) st_fuzz_fail("section %zu has a parent", sections);
        if (st_node_depth(s) != 0) st_fuzz_fail("section %zu has depth %zu", sections, st_node_depth(s));
    }
    if (sections != st_doc_section_count(doc))
        st_fuzz_fail("st_doc_section_count()=%zu, %zu sections linked", st_doc_section_count(doc), sections);

    size_t index = 0;
    const st_node *n = st_doc_first_section(doc);
    const char *covered = NULL; /* end of the last non-empty span, in document order */
    while (n) {
        char what[64];
        snprintf(what, sizeof what, "node #%zu", index++);
        /* marker, heading and text of the nodes, in pre-order, never overlap */
        const st_str spans[3] = {st_node_marker(n), st_node_heading(n), st_node_text(n)};
        for (int k = 0; k < 3; k++) {
            if (!spans[k].len) continue;
            if (covered && spans[k].ptr < covered)
                st_fuzz_fail("%s: span %d starts %td bytes before the end of the previous one", what, k,
                             covered - spans[k].ptr);
            covered = spans[k].ptr + spans[k].len;
        }
        st_fuzz_check_str(st_node_marker(n), what);
        st_fuzz_check_str(st_node_heading(n), what);
        st_fuzz_check_str(st_node_text(n), what);
        st_fuzz_check_place(st_node_place(n), chars, what);
        st_style style = st_node_style(n);
        if ((unsigned)style >= ST_STYLE_COUNT) st_fuzz_fail("%s: style %d", what, (int)style);
        if (!st_style_name(style)) st_fuzz_fail("%s: no style name", what);
        st_kind kind = st_node_kind(n);
        if ((unsigned)kind > ST_KIND_OTHER) st_fuzz_fail("%s: kind %d", what, (int)kind);
        if (kind != ST_KIND_NONE && !st_kind_name(kind)) st_fuzz_fail("%s: no kind name", what);
        if (st_node_ordinal(n) < -1) st_fuzz_fail("%s: ordinal %d", what, st_node_ordinal(n));
        if (style == ST_STYLE_NONE && st_node_marker(n).len)
            st_fuzz_fail("%s: style none with a marker", what);
        (void)st_node_is_inline(n);
        size_t kids = 0;
        for (const st_node *c = st_node_first_child(n); c; c = st_node_next(c)) {
            kids++;
            if (st_node_parent(c) != n) st_fuzz_fail("%s: child %zu has another parent", what, kids);
            if (st_node_depth(c) != st_node_depth(n) + 1)
                st_fuzz_fail("%s: depth %zu, child %zu depth %zu", what, st_node_depth(n), kids, st_node_depth(c));
        }
        if (kids != st_node_child_count(n))
            st_fuzz_fail("%s: st_node_child_count()=%zu, %zu children linked", what, st_node_child_count(n), kids);
        if (st_node_first_child(n)) n = st_node_first_child(n);
        else {
            while (n && !st_node_next(n)) n = st_node_parent(n);
            if (n) n = st_node_next(n);
        }
    }

    for (size_t i = 0; i < st_doc_diagnostic_count(doc); i++) {
        st_diagnostic d = st_doc_diagnostic(doc, i);
        if (!d.code || !d.message) st_fuzz_fail("diagnostic %zu: no code or message", i);
        st_fuzz_check_str((st_str){d.message, strlen(d.message)}, "diagnostic message");
        st_fuzz_check_place(d.place, chars, "diagnostic");
    }
    for (size_t i = 0; i < st_doc_censored_count(doc); i++) {
        st_censored c = st_doc_censored(doc, i);
        st_fuzz_check_str(c.word, "censored word");
        st_fuzz_check_place(c.place, chars, "censored");
        size_t nchars = st_fuzz_utf8_check(c.word.ptr, c.word.len, NULL);
        if (c.place.end - c.place.start != nchars)
            st_fuzz_fail("censored[%zu]: place is %zu chars, word is %zu", i, c.place.end - c.place.start, nchars);
        if (c.expansion) st_fuzz_check_str((st_str){c.expansion, strlen(c.expansion)}, "expansion");
    }
    for (size_t i = 0; i < st_doc_removed_count(doc); i++) {
        st_removed r = st_doc_removed(doc, i);
        st_fuzz_check_str(r.text, "removed text");
        st_fuzz_check_place(r.place, chars, "removed");
    }
    /* out-of-range indexes must not crash */
    (void)st_doc_diagnostic(doc, st_doc_diagnostic_count(doc));
    (void)st_doc_removed(doc, st_doc_removed_count(doc));
    (void)st_doc_censored(doc, st_doc_censored_count(doc));

    st_fuzz_check_str(st_doc_title(doc), "title");
    st_fuzz_check_str(st_doc_preamble(doc), "preamble");
    st_fuzz_check_str(st_doc_closing(doc), "closing");
    if (!st_doc_has_title(doc) && st_doc_title(doc).len) st_fuzz_fail("title text without a title");
    if (!st_doc_encoding(doc) || !st_doc_encoding_source(doc)) st_fuzz_fail("no encoding name");
    int conf = st_doc_encoding_confidence(doc);
    if (conf < 0 || conf > 100) st_fuzz_fail("confidence %d", conf);
    (void)st_doc_is_traditional(doc);
}

static void one_parse(const uint8_t *data, size_t size, const st_options *opt, int lossless)
{
    st_error err;
    memset(&err, 0x5A, sizeof err); /* must be overwritten */
    st_doc *doc = st_parse((const char *)data, size, opt, &err);
    if (!doc) {
        if (err.status == ST_OK) st_fuzz_fail("st_parse returned NULL with status OK");
        if (!memchr(err.message, 0, sizeof err.message)) st_fuzz_fail("error message not terminated");
        if (!err.message[0]) st_fuzz_fail("st_parse failed (status %d) with an empty message", err.status);
        if (err.status == ST_ERR_NOMEM || err.status == ST_ERR_ARG || err.status == ST_ERR_RULES)
            st_fuzz_fail("st_parse failed with status %d: %s", err.status, err.message);
        if (err.byte_offset > size && err.status != ST_ERR_TOO_LARGE)
            st_fuzz_fail("error offset %zu beyond the input of %zu bytes", err.byte_offset, size);
        if (opt->lossy && !opt->encoding && err.status == ST_ERR_DECODE)
            st_fuzz_fail("lossy parse failed to decode: %s", err.message);
        return;
    }
    walk_tree(doc);
    size_t len = 0;
    char *json = st_render_json(doc, 0, &len);
    if (!json) st_fuzz_fail("st_render_json returned NULL");
    if (strlen(json) != len) st_fuzz_fail("render: length %zu, strlen %zu", len, strlen(json));
    if (lossless) {
        cJSON *root = cJSON_ParseWithLength(json, len);
        if (!root) st_fuzz_fail("render: not valid JSON");
        st_fuzz_check_lossless(doc, root);
        cJSON_Delete(root);
    }
    free(json);
    st_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int lossless = -1;
    if (lossless < 0) {
        const char *e = getenv("ST_FUZZ_NO_LOSSLESS");
        lossless = !(e && *e && *e != '0');
    }
    st_options opt;

    st_options_init(&opt);
    one_parse(data, size, &opt, lossless);

    st_options_init(&opt);
    opt.lossy = 1;
    one_parse(data, size, &opt, lossless);

    /* a forced encoding and keep_noise, picked by a hash of the input */
    static const char *const encodings[] = {"UTF-8", "GB18030", "Big5", "UTF-16LE",
                                            "UTF-16BE", "bogus-encoding", NULL};
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    st_options_init(&opt);
    opt.encoding = encodings[h % (sizeof encodings / sizeof *encodings)];
    opt.lossy = (h >> 8) & 1;
    opt.keep_noise = 1;
    opt.max_bytes = (h >> 9) % 8 == 0 ? 64 : 0;
    opt.source_name = "fuzz \"input\"\n\\\x01.txt";
    one_parse(data, size, &opt, lossless);
    return 0;
}
