/* The public API end to end: parse a seed from a buffer, walk the tree with
 * the accessors, check places against the source, render JSON and read it
 * back with cJSON, stream it (st_render_json_to) and get the same bytes, and
 * parse in two threads at once with identical results. */
#include "speechtree.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;
#define CHECK(cond, ...)                                          \
    do {                                                          \
        checks++;                                                 \
        if (!(cond)) {                                            \
            failures++;                                           \
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                         \
            fputc('\n', stderr);                                  \
        }                                                         \
    } while (0)

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static int str_eq(st_str s, const char *lit) { return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0; }
static int str_starts(st_str s, const char *lit) { return s.len >= strlen(lit) && memcmp(s.ptr, lit, strlen(lit)) == 0; }

/* Characters of the decoded source from `start` (in characters), as bytes. */
static const char *source_at(const st_doc *doc, size_t char_offset)
{
    st_str src = st_doc_source(doc);
    size_t chars = 0, i = 0;
    while (i < src.len && chars < char_offset) {
        i++;
        while (i < src.len && ((unsigned char)src.ptr[i] & 0xC0) == 0x80) i++;
        chars++;
    }
    return src.ptr + i;
}

static size_t count_nodes(const st_node *n)
{
    size_t c = 0;
    for (; n; n = st_node_next(n)) c += 1 + count_nodes(st_node_first_child(n));
    return c;
}

static void test_walk(const char *seeds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/004_2a6d75f4afb75138.txt", seeds);
    size_t len;
    char *data = read_file(path, &len);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return;
    st_options opt;
    st_options_init(&opt);
    opt.source_name = "004.txt";
    st_error err;
    st_doc *doc = st_parse(data, len, &opt, &err);
    free(data);
    CHECK(doc != NULL, "parse failed: %s", err.message);
    if (!doc) return;

    CHECK(st_doc_has_title(doc), "title expected");
    CHECK(str_starts(st_doc_title(doc), "党支部2021年党史学习教育"), "title %.*s", (int)st_doc_title(doc).len,
          st_doc_title(doc).ptr);
    CHECK(str_starts(st_doc_preamble(doc), "根据县党史学习教育办公室"), "preamble");
    CHECK(st_doc_section_count(doc) == 3, "3 sections, got %zu", st_doc_section_count(doc));
    CHECK(strcmp(st_doc_encoding(doc), "UTF-8") == 0, "encoding %s", st_doc_encoding(doc));

    static const st_kind kinds[] = {ST_KIND_PROBLEMS, ST_KIND_CAUSES, ST_KIND_MEASURES};
    static const char *const markers[] = {"一、", "二、", "三、"};
    static const size_t children[] = {4, 5, 3};
    size_t i = 0;
    for (const st_node *s = st_doc_first_section(doc); s; s = st_node_next(s), i++) {
        if (i >= 3) break;
        CHECK(str_eq(st_node_marker(s), markers[i]), "marker of section %zu", i);
        CHECK(st_node_kind(s) == kinds[i], "kind of section %zu: %s", i, st_kind_name(st_node_kind(s)));
        CHECK(st_node_ordinal(s) == (int)i + 1, "ordinal of section %zu", i);
        CHECK(st_node_style(s) == ST_STYLE_CN_COMMA, "style of section %zu", i);
        CHECK(st_node_depth(s) == 0 && st_node_parent(s) == NULL, "top level %zu", i);
        CHECK(st_node_child_count(s) == children[i], "children of section %zu: %zu", i, st_node_child_count(s));
        /* the place of a node points at its marker in the source */
        st_place p = st_node_place(s);
        CHECK(memcmp(source_at(doc, p.start), markers[i], strlen(markers[i])) == 0, "place of section %zu", i);
        CHECK(p.column == 1, "column of section %zu", i);
    }
    CHECK(i == 3, "walked %zu sections", i);
    CHECK(count_nodes(st_doc_first_section(doc)) == 39, "39 nodes, got %zu", count_nodes(st_doc_first_section(doc)));

    /* 三、 > （一） > 1. : a nested item with an ASCII marker, found inline */
    const st_node *third = st_node_next(st_node_next(st_doc_first_section(doc)));
    const st_node *sub = st_node_first_child(third);
    const st_node *item = sub ? st_node_first_child(sub) : NULL;
    CHECK(item && str_eq(st_node_marker(item), "1."), "1. under 三、（一）");
    if (item) {
        CHECK(st_node_is_inline(item), "1. is inline");
        CHECK(st_node_depth(item) == 2 && st_node_parent(item) == sub, "depth and parent of 1.");
        CHECK(str_starts(st_node_heading(item), "理论和实践相结合"), "heading of 1.");
        CHECK(st_node_kind(item) == ST_KIND_NONE && st_kind_name(ST_KIND_NONE) == NULL, "nested items have no kind");
        CHECK(str_eq(st_node_heading(item), "理论和实践相结合。"), "heading is the lead sentence");
    }

    /* censored words are listed, with their expansion */
    size_t zuzhi = 0;
    for (size_t k = 0; k < st_doc_censored_count(doc); k++) {
        st_censored c = st_doc_censored(doc, k);
        if (str_eq(c.word, "zuzhi")) {
            zuzhi++;
            CHECK(c.expansion && strcmp(c.expansion, "组织") == 0, "zuzhi expands to 组织");
        }
    }
    CHECK(zuzhi >= 5, "zuzhi found %zu times", zuzhi);

    /* JSON reads back and agrees with the accessors */
    size_t jlen;
    char *json = st_render_json(doc, ST_JSON_PRETTY | ST_JSON_EXPAND, &jlen);
    CHECK(json && strlen(json) == jlen, "JSON length");
    cJSON *root = cJSON_Parse(json);
    CHECK(root != NULL, "JSON parses");
    if (root) {
        cJSON *sections = cJSON_GetObjectItem(root, "sections");
        CHECK(cJSON_GetArraySize(sections) == 3, "3 sections in JSON");
        cJSON *first = cJSON_GetArrayItem(sections, 0);
        CHECK(strcmp(cJSON_GetObjectItem(first, "kind")->valuestring, "problems") == 0, "kind in JSON");
        CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "source"), "path")->valuestring, "004.txt") == 0,
              "source path in JSON");
        cJSON *expanded = cJSON_GetObjectItem(root, "expanded");
        CHECK(expanded && strstr(expanded->valuestring, "组织生活会") && !strstr(expanded->valuestring, "zuzhi"),
              "expanded text spells out censored words");
        cJSON_Delete(root);
    }
    free(json);
    st_doc_free(doc);
}

typedef struct job {
    const char *data;
    size_t len;
    char *json;
} job;

static void *parse_job(void *arg)
{
    job *j = arg;
    for (int round = 0; round < 20; round++) {
        st_doc *doc = st_parse(j->data, j->len, NULL, NULL);
        if (!doc) return NULL;
        size_t n;
        char *json = st_render_json(doc, 0, &n);
        st_doc_free(doc);
        if (j->json && strcmp(j->json, json) != 0) {
            free(json);
            free(j->json);
            j->json = NULL;
            return NULL;
        }
        free(j->json);
        j->json = json;
    }
    return NULL;
}

static void test_threads(const char *seeds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/001_bed1cf96018be3ef.txt", seeds);
    size_t len;
    char *data = read_file(path, &len);
    if (!data) return;
    job a = {data, len, NULL}, b = {data, len, NULL};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, parse_job, &a);
    pthread_create(&tb, NULL, parse_job, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.json && b.json && strcmp(a.json, b.json) == 0, "two threads give the same JSON");
    free(a.json);
    free(b.json);
    free(data);
}

/* A st_write_fn that collects the pieces, and fails at piece fail_at. */
typedef struct sink {
    char *data;
    size_t len, cap;
    size_t calls, largest, empty;
    size_t fail_at; /* 1-based; 0: never */
} sink;

static int sink_write(void *ctx, const char *data, size_t len)
{
    sink *s = ctx;
    s->calls++;
    if (len == 0) s->empty++;
    if (len > s->largest) s->largest = len;
    if (s->fail_at && s->calls >= s->fail_at) return -1;
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2;
        s->data = realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

/* st_render_json_to gives exactly st_render_json's bytes in pieces of at
 * most 64 KiB, and stops at once with an error when a write fails. */
static void check_stream(const st_doc *doc, const char *what, int big)
{
    static const unsigned flag_sets[] = {0, ST_JSON_PRETTY, ST_JSON_EXPAND, ST_JSON_PRETTY | ST_JSON_EXPAND};
    for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++) {
        unsigned flags = flag_sets[f];
        size_t len = 0;
        char *json = st_render_json(doc, flags, &len);
        CHECK(json != NULL, "%s flags %u: st_render_json", what, flags);
        if (!json) continue;

        sink s = {0};
        int status = st_render_json_to(doc, flags, sink_write, &s);
        CHECK(status == ST_OK, "%s flags %u: st_render_json_to returns %d", what, flags, status);
        CHECK(s.len == len && memcmp(s.data, json, len) == 0,
              "%s flags %u: streamed JSON (%zu bytes) equals st_render_json's (%zu bytes)", what, flags, s.len, len);
        CHECK(s.largest <= 64 * 1024 && s.empty == 0, "%s flags %u: pieces of 1 byte to 64 KiB (largest %zu)", what,
              flags, s.largest);
        if (big) CHECK(s.calls > 2, "%s flags %u: a large JSON comes in several pieces (%zu)", what, flags, s.calls);
        free(s.data);

        /* A failing write: non-zero at once, no call after it, and what was
         * written before it is the start of the JSON. */
        size_t fail_points[] = {1, big ? 2 : 1, big ? 3 : 1};
        for (size_t k = 0; k < sizeof fail_points / sizeof *fail_points; k++) {
            sink bad = {.fail_at = fail_points[k]};
            status = st_render_json_to(doc, flags, sink_write, &bad);
            CHECK(status == ST_ERR_IO, "%s flags %u: failing write %zu gives ST_ERR_IO (got %d)",
                  what, flags, fail_points[k], status);
            CHECK(bad.calls == fail_points[k], "%s flags %u: no write after the failed one (%zu calls, failed at %zu)",
                  what, flags, bad.calls, fail_points[k]);
            CHECK(bad.len < len && (bad.len == 0 || memcmp(bad.data, json, bad.len) == 0),
                  "%s flags %u: bytes before the failure are a prefix of the JSON", what, flags);
            free(bad.data);
        }
        free(json);
    }
}

static void test_stream(const char *seeds)
{
    DIR *dir = opendir(seeds);
    CHECK(dir != NULL, "open %s", seeds);
    if (!dir) return;
    struct dirent *e;
    char path[4096];
    size_t docs = 0;
    /* The seeds one by one, and all of them many times over as one document
     * whose JSON takes many 64 KiB pieces. */
    char *all = NULL;
    size_t all_len = 0;
    while ((e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".txt") != 0) continue;
        snprintf(path, sizeof path, "%s/%s", seeds, e->d_name);
        size_t len;
        char *data = read_file(path, &len);
        CHECK(data != NULL, "read %s", path);
        if (!data) continue;
        st_options opt;
        st_options_init(&opt);
        opt.source_name = e->d_name;
        st_doc *doc = st_parse(data, len, &opt, NULL);
        CHECK(doc != NULL, "parse %s", path);
        if (doc) {
            check_stream(doc, e->d_name, 0);
            docs++;
            st_doc_free(doc);
        }
        all = realloc(all, all_len + len + 1);
        memcpy(all + all_len, data, len);
        all_len += len;
        all[all_len++] = '\n';
        free(data);
    }
    closedir(dir);
    CHECK(docs >= 5, "%zu seeds streamed", docs);

    size_t big_len = all_len * 12;
    char *big = malloc(big_len);
    for (size_t i = 0; i < 12; i++) memcpy(big + i * all_len, all, all_len);
    st_options opt;
    st_options_init(&opt);
    opt.source_name = "dir/\"quoted\"\\name\t.txt";
    st_doc *doc = st_parse(big, big_len, &opt, NULL);
    CHECK(doc != NULL, "parse the seeds × 12 (%zu bytes)", big_len);
    if (doc) {
        check_stream(doc, "seeds x 12", 1);
        CHECK(st_render_json_to(NULL, 0, sink_write, &(sink){0}) == ST_ERR_ARG, "NULL document");
        CHECK(st_render_json_to(doc, 0, NULL, NULL) == ST_ERR_ARG, "NULL write function");
        st_doc_free(doc);
    }
    free(big);
    free(all);
}

static void test_errors(void)
{
    st_error err;
    st_options opt;
    st_options_init(&opt);
    opt.max_bytes = 10;
    st_doc *doc = st_parse("一、存在的问题\n（一）学习不够。", strlen("一、存在的问题\n（一）学习不够。"), &opt, &err);
    CHECK(doc == NULL && err.status == ST_ERR_TOO_LARGE, "max_bytes refuses larger input");
    doc = st_parse("", 0, NULL, &err);
    CHECK(doc != NULL && st_doc_section_count(doc) == 0 && !st_doc_has_title(doc), "empty input parses to nothing");
    st_doc_free(doc);
    static const char with_nul[] = "一、存在的问题\n\0（一）学习不够深入，还有差距。二、原因分析";
    doc = st_parse(with_nul, sizeof with_nul - 1, NULL, &err);
    CHECK(doc == NULL && err.status == ST_ERR_BINARY && err.byte_offset == strlen("一、存在的问题\n"),
          "a NUL byte inside text is binary data at its offset (got status %d, offset %zu)", err.status,
          err.byte_offset);
}

/* A heading paragraph without a marker ends where an inline item inside it
 * starts: the items are its children, not part of its heading. */
static void test_heading_paragraph_with_inline_items(void)
{
    static const char text[] = "标题\n一、存在的问题\n正文。\n学习方面：一要学习，二要工作：\n正文。\n二、原因\n";
    st_error err;
    st_doc *doc = st_parse(text, sizeof text - 1, NULL, &err);
    CHECK(doc != NULL, "parse: %s", doc ? "" : err.message);
    if (!doc) return;
    /* the first part of 一、, which has no numbered parts */
    const st_node *part = st_node_first_child(st_doc_first_section(doc));
    CHECK(part != NULL && st_node_style(part) == ST_STYLE_NONE, "the heading paragraph is a node under 一、");
    if (part) {
        CHECK(str_eq(st_node_heading(part), "学习方面："), "heading is \"%.*s\"", (int)st_node_heading(part).len,
              st_node_heading(part).ptr);
        CHECK(st_node_text(part).len == 0, "no text of its own");
        CHECK(st_node_child_count(part) == 2, "the inline items are its children (%zu)", st_node_child_count(part));
    }
    size_t len = 0;
    char *json = st_render_json(doc, 0, &len);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    CHECK(root != NULL, "renders valid JSON");
    cJSON_Delete(root);
    free(json);
    st_doc_free(doc);
}

int main(int argc, char **argv)
{
    const char *seeds = argc > 1 ? argv[1] : "fixtures/seeds";
    test_walk(seeds);
    test_threads(seeds);
    test_stream(seeds);
    test_errors();
    test_heading_paragraph_with_inline_items();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
