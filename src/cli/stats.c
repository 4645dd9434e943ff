/* speechtree stats: one CSV (or TSV) row of counts per speech.
 *
 * Columns, in order (a header row names them):
 *
 *   file          the path as given or found under a folder argument
 *   title         the title, "" when the speech has none
 *   encoding      the detected (or forced) input encoding, e.g. UTF-8, GB18030
 *   chars_total   non-whitespace characters of the title, preamble, closing and
 *                 of every node's marker, heading and text. Removed noise is not
 *                 in the tree, so it is not counted.
 *   chars_problems, chars_causes, chars_measures
 *                 non-whitespace characters (marker, heading, text) of the
 *                 top-level sections of that kind and all their descendants
 *   chars_other   chars_total minus the three above: title, preamble, closing
 *                 and the sections of any other kind (preparation,
 *                 rectification, other, unclassified)
 *   share_problems_causes
 *                 (chars_problems + chars_causes) / chars_total, 3 decimals;
 *                 0.000 when chars_total is 0
 *   sections      number of top-level sections
 *   items_problems, items_causes, items_measures
 *                 number of descendant nodes, at any depth, of the top-level
 *                 sections of that kind (the sections themselves excluded)
 *   examples_problems, examples_causes, examples_measures
 *                 occurrences of 比如, 例如, 再如, 譬如 (so 比如说 counts once)
 *                 in the headings and texts of those sections and their
 *                 descendants; occurrences do not overlap
 *   figures_problems, figures_causes, figures_measures
 *                 numbers with units in the same headings and texts (see
 *                 "Figures" below)
 *   diagnostics   number of parser diagnostics
 *   removed       number of noise spans removed
 *
 * Whitespace is ASCII whitespace, U+00A0, U+1680, U+2000-U+200D, U+2028,
 * U+2029, U+202F, U+205F, U+2060, U+3000 and U+FEFF.
 *
 * Figures. A figure is a number followed by a unit, found by a small scanner:
 *   number   Arabic digits (0-9 or fullwidth ０-９), with an optional decimal
 *            part (. or ．) and thousands separators (, followed by exactly three
 *            digits); or a run of Chinese numerals 〇零一二两三四五六七八九十百千万亿
 *            that starts with one of 〇零一二两三四五六七八九十. A run that is only
 *            一 is not a number (一个, 一次 mostly mean "a"). A number right after
 *            第 (an ordinal), after another digit or after a Latin letter (G20)
 *            is not counted.
 *   modifier optional: 余, 多 or 几 (3100余万元, 十多个, 二十几次)
 *   unit     one or more of, longest first: 小时 公里 个 项 条 次 人 名 位 家 件
 *            万 亿 元 % ％ 倍 年 月 日 天 周 篇 场 期 批 户 亩. A Chinese run
 *            ending in 万 or 亿 (三万) needs no further unit.
 *   Groups that follow each other directly (2021年10月, 3小时20分钟 is
 *   3小时 then 20 without a unit) form one figure. So 12项, 3100余万元, 1.5倍,
 *   三次, 80%, 2021年10月 count one each; 一次, 第三次, 十九届 count none.
 *   Slogans such as 四个意识 do count: the scanner does not know meaning.
 *
 * A file that cannot be read or parsed is reported on stderr and gets no
 * row; the exit status is then 1. Rows come in input order whatever -j is.
 * CSV follows RFC 4180 quoting (fields with , " or line breaks are quoted,
 * quotes doubled), lines end with \n. --tsv: tabs between fields, tabs and
 * line breaks inside fields replaced by spaces, no quoting. */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char stats_usage[] = CLI_NAME " stats PATH... [--tsv] [-j N] [--glob PATTERN] [OPTIONS]";

enum { STATS_TSV = CLI_OPT_FIRST_COMMAND_OPTION, STATS_JOBS, STATS_GLOB };

static const cli_option stats_options[] = {
    CLI_COMMON_OPTIONS,
    {"tsv", 0, CLI_ARG_NONE, STATS_TSV},
    {"jobs", 'j', CLI_ARG_REQUIRED, STATS_JOBS},
    {"glob", 0, CLI_ARG_REQUIRED, STATS_GLOB},
    {0, 0, 0, 0},
};

static void print_stats_help(void)
{
    printf("usage: %s\n"
           "\n"
           "Print one CSV row of counts per speech, with a header row. Folders are\n"
           "walked recursively. Columns: file, title, encoding, chars_total,\n"
           "chars_problems, chars_causes, chars_measures, chars_other,\n"
           "share_problems_causes, sections, items_problems, items_causes,\n"
           "items_measures, examples_problems, examples_causes, examples_measures,\n"
           "figures_problems, figures_causes, figures_measures, diagnostics, removed\n"
           "(see speechtree(1) for their exact meaning).\n"
           "\n"
           "  --tsv               tab-separated instead of CSV\n"
           "  -j, --jobs N        parallel workers (default: online cores)\n"
           "  --glob PATTERN      files to take in folders (default '*.txt')\n"
           "%s",
           stats_usage, cli_common_help);
}

/* ---- counting ---- */

enum { KIND_PROBLEMS, KIND_CAUSES, KIND_MEASURES, KIND_COUNTED };

typedef struct stats_counts {
    size_t chars_total;
    size_t chars[KIND_COUNTED];
    size_t items[KIND_COUNTED];
    size_t examples[KIND_COUNTED];
    size_t figures[KIND_COUNTED];
} stats_counts;

static int stats_kind_slot(st_kind kind)
{
    switch (kind) {
    case ST_KIND_PROBLEMS: return KIND_PROBLEMS;
    case ST_KIND_CAUSES: return KIND_CAUSES;
    case ST_KIND_MEASURES: return KIND_MEASURES;
    default: return -1;
    }
}

static size_t stats_nonspace_chars(st_str s)
{
    size_t count = 0, n;
    for (size_t i = 0; i < s.len; i += n)
        if (!cli_is_space(cli_utf8_next(s.ptr + i, s.len - i, &n))) count++;
    return count;
}

/* Code points of a view, for a scanner that looks ahead. */
typedef struct stats_text {
    uint32_t *c;
    size_t len;
} stats_text;

static int stats_decode(st_str s, stats_text *t)
{
    t->c = malloc((s.len + 1) * sizeof *t->c);
    t->len = 0;
    if (!t->c) return -1;
    size_t n;
    for (size_t i = 0; i < s.len; i += n) t->c[t->len++] = cli_utf8_next(s.ptr + i, s.len - i, &n);
    return 0;
}

static size_t stats_count_examples(const stats_text *t)
{
    static const uint32_t words[][2] = {
        {0x6BD4, 0x5982}, /* 比如 (比如说 starts with it) */
        {0x4F8B, 0x5982}, /* 例如 */
        {0x518D, 0x5982}, /* 再如 */
        {0x8B6C, 0x5982}, /* 譬如 */
    };
    size_t count = 0;
    for (size_t i = 0; i + 1 < t->len;) {
        int found = 0;
        for (size_t w = 0; w < sizeof words / sizeof *words; w++)
            if (t->c[i] == words[w][0] && t->c[i + 1] == words[w][1]) found = 1;
        if (found) {
            count++;
            i += 2;
        } else {
            i++;
        }
    }
    return count;
}

static int stats_is_digit(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19);
}

/* 〇零一二两三四五六七八九十 */
static int stats_is_cn_start(uint32_t c)
{
    static const uint32_t starts[] = {0x3007, 0x96F6, 0x4E00, 0x4E8C, 0x4E24, 0x4E09, 0x56DB,
                                      0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D, 0x5341};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (c == starts[i]) return 1;
    return 0;
}

#define CN_HUNDRED 0x767E  /* 百 */
#define CN_THOUSAND 0x5343 /* 千 */
#define CN_WAN 0x4E07      /* 万 */
#define CN_YI 0x4EBF       /* 亿 */
#define CN_ONE 0x4E00      /* 一 */
#define CN_DI 0x7B2C       /* 第 */

static int stats_is_cn_numeral(uint32_t c)
{
    return stats_is_cn_start(c) || c == CN_HUNDRED || c == CN_THOUSAND || c == CN_WAN || c == CN_YI;
}

/* Units, two-character ones first so that the longest matches. */
static const uint32_t stats_units[][2] = {
    {0x5C0F, 0x65F6}, /* 小时 */
    {0x516C, 0x91CC}, /* 公里 */
    {0x4E2A, 0}, /* 个 */ {0x9879, 0}, /* 项 */ {0x6761, 0}, /* 条 */ {0x6B21, 0}, /* 次 */
    {0x4EBA, 0}, /* 人 */ {0x540D, 0}, /* 名 */ {0x4F4D, 0}, /* 位 */ {0x5BB6, 0}, /* 家 */
    {0x4EF6, 0}, /* 件 */ {0x4E07, 0}, /* 万 */ {0x4EBF, 0}, /* 亿 */ {0x5143, 0}, /* 元 */
    {'%', 0},    /* % */  {0xFF05, 0}, /* ％ */ {0x500D, 0}, /* 倍 */ {0x5E74, 0}, /* 年 */
    {0x6708, 0}, /* 月 */ {0x65E5, 0}, /* 日 */ {0x5929, 0}, /* 天 */ {0x5468, 0}, /* 周 */
    {0x7BC7, 0}, /* 篇 */ {0x573A, 0}, /* 场 */ {0x671F, 0}, /* 期 */ {0x6279, 0}, /* 批 */
    {0x6237, 0}, /* 户 */ {0x4EA9, 0}, /* 亩 */
};

/* Length of the unit at i, 0 when none. */
static size_t stats_unit_at(const stats_text *t, size_t i)
{
    if (i >= t->len) return 0;
    for (size_t u = 0; u < sizeof stats_units / sizeof *stats_units; u++) {
        if (t->c[i] != stats_units[u][0]) continue;
        if (stats_units[u][1] == 0) return 1;
        if (i + 1 < t->len && t->c[i + 1] == stats_units[u][1]) return 2;
    }
    return 0;
}

/* A number starting at i: its end, or i when there is none there. Sets
 * *ends_in_magnitude for a Chinese run ending in 万 or 亿. */
static size_t stats_number_at(const stats_text *t, size_t i, int *ends_in_magnitude)
{
    *ends_in_magnitude = 0;
    size_t j = i;
    if (j < t->len && stats_is_digit(t->c[j])) {
        while (j < t->len && stats_is_digit(t->c[j])) j++;
        for (;;) {
            /* 3,100: a separator followed by exactly three digits */
            if (j + 3 < t->len && t->c[j] == ',' && stats_is_digit(t->c[j + 1]) &&
                stats_is_digit(t->c[j + 2]) && stats_is_digit(t->c[j + 3]) &&
                (j + 4 >= t->len || !stats_is_digit(t->c[j + 4]))) {
                j += 4;
                continue;
            }
            break;
        }
        if (j + 1 < t->len && (t->c[j] == '.' || t->c[j] == 0xFF0E) && stats_is_digit(t->c[j + 1])) {
            j++;
            while (j < t->len && stats_is_digit(t->c[j])) j++;
        }
        return j;
    }
    if (j < t->len && stats_is_cn_start(t->c[j])) {
        while (j < t->len && stats_is_cn_numeral(t->c[j])) j++;
        if (j - i == 1 && t->c[i] == CN_ONE) return i;
        *ends_in_magnitude = j - i > 1 && (t->c[j - 1] == CN_WAN || t->c[j - 1] == CN_YI);
        return j;
    }
    return i;
}

/* A number, an optional modifier and units starting at i: the end of the
 * group, or i when there is none there. */
static size_t stats_group_at(const stats_text *t, size_t i)
{
    int magnitude;
    size_t j = stats_number_at(t, i, &magnitude);
    if (j == i) return i;
    size_t after_number = j;
    /* 余 多 几 */
    if (j < t->len && (t->c[j] == 0x4F59 || t->c[j] == 0x591A || t->c[j] == 0x51E0)) j++;
    size_t unit = stats_unit_at(t, j);
    if (!unit) return magnitude ? after_number : i;
    while (unit) {
        j += unit;
        unit = stats_unit_at(t, j);
    }
    return j;
}

static size_t stats_count_figures(const stats_text *t)
{
    size_t count = 0;
    for (size_t i = 0; i < t->len;) {
        uint32_t c = t->c[i];
        int starts = stats_is_digit(c) || stats_is_cn_start(c);
        if (!starts) {
            i++;
            continue;
        }
        uint32_t before = i ? t->c[i - 1] : 0;
        int blocked = before == CN_DI || ((before | 0x20) >= 'a' && (before | 0x20) <= 'z');
        int magnitude;
        size_t number_end = stats_number_at(t, i, &magnitude);
        if (number_end == i) number_end = i + 1;
        size_t end = blocked ? i : stats_group_at(t, i);
        if (end == i) {
            /* Skip the whole number so that its tail is not taken for a new one. */
            i = number_end;
            continue;
        }
        /* Groups written together (2021年10月) make one figure. */
        for (size_t next; (next = stats_group_at(t, end)) != end;) end = next;
        count++;
        i = end;
    }
    return count;
}

static void stats_scan_field(stats_counts *counts, int slot, st_str s)
{
    stats_text t;
    if (s.len == 0 || stats_decode(s, &t) != 0) return;
    counts->examples[slot] += stats_count_examples(&t);
    counts->figures[slot] += stats_count_figures(&t);
    free(t.c);
}

/* Counts one node and its descendants; slot is the kind of its top-level
 * section, or -1 when that is not a counted kind. */
static size_t stats_node(stats_counts *counts, const st_node *node, int slot)
{
    st_str heading = st_node_heading(node), text = st_node_text(node);
    size_t chars = stats_nonspace_chars(st_node_marker(node)) + stats_nonspace_chars(heading) +
                   stats_nonspace_chars(text);
    if (slot >= 0) {
        stats_scan_field(counts, slot, heading);
        stats_scan_field(counts, slot, text);
    }
    for (const st_node *child = st_node_first_child(node); child; child = st_node_next(child)) {
        if (slot >= 0) counts->items[slot]++;
        chars += stats_node(counts, child, slot);
    }
    return chars;
}

static void stats_count(const st_doc *doc, stats_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    counts->chars_total = stats_nonspace_chars(st_doc_title(doc)) + stats_nonspace_chars(st_doc_preamble(doc)) +
                          stats_nonspace_chars(st_doc_closing(doc));
    for (const st_node *s = st_doc_first_section(doc); s; s = st_node_next(s)) {
        int slot = stats_kind_slot(st_node_kind(s));
        size_t chars = stats_node(counts, s, slot);
        counts->chars_total += chars;
        if (slot >= 0) counts->chars[slot] += chars;
    }
}

/* ---- rows ---- */

typedef struct stats_row {
    char *data;
    size_t len, cap;
    int tsv;
} stats_row;

static void stats_put(stats_row *row, const char *s, size_t len)
{
    if (row->len + len + 1 > row->cap) {
        size_t cap = row->cap ? row->cap : 256;
        while (cap < row->len + len + 1) cap *= 2;
        char *grown = realloc(row->data, cap);
        if (!grown) abort();
        row->data = grown;
        row->cap = cap;
    }
    memcpy(row->data + row->len, s, len);
    row->len += len;
    row->data[row->len] = '\0';
}

static void stats_field(stats_row *row, const char *s, size_t len)
{
    if (row->len) stats_put(row, row->tsv ? "\t" : ",", 1);
    if (row->tsv) {
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            stats_put(row, c == '\t' || c == '\n' || c == '\r' ? " " : &c, 1);
        }
        return;
    }
    int quote = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = 1;
    if (!quote) {
        stats_put(row, s, len);
        return;
    }
    stats_put(row, "\"", 1);
    for (size_t i = 0; i < len; i++) stats_put(row, s[i] == '"' ? "\"\"" : &s[i], s[i] == '"' ? 2 : 1);
    stats_put(row, "\"", 1);
}

static void stats_field_str(stats_row *row, const char *s)
{
    stats_field(row, s, strlen(s));
}

static void stats_field_size(stats_row *row, size_t n)
{
    char text[32];
    stats_field(row, text, (size_t)snprintf(text, sizeof text, "%zu", n));
}

static const char *const stats_header[] = {
    "file", "title", "encoding", "chars_total", "chars_problems", "chars_causes", "chars_measures",
    "chars_other", "share_problems_causes", "sections", "items_problems", "items_causes", "items_measures",
    "examples_problems", "examples_causes", "examples_measures", "figures_problems", "figures_causes",
    "figures_measures", "diagnostics", "removed",
};

static void stats_format_row(stats_row *row, const char *path, const st_doc *doc)
{
    stats_counts c;
    stats_count(doc, &c);
    stats_field_str(row, path);
    st_str title = st_doc_title(doc);
    stats_field(row, title.ptr ? title.ptr : "", st_doc_has_title(doc) ? title.len : 0);
    stats_field_str(row, st_doc_encoding(doc) ? st_doc_encoding(doc) : "");
    size_t counted = c.chars[KIND_PROBLEMS] + c.chars[KIND_CAUSES] + c.chars[KIND_MEASURES];
    stats_field_size(row, c.chars_total);
    for (int k = 0; k < KIND_COUNTED; k++) stats_field_size(row, c.chars[k]);
    stats_field_size(row, c.chars_total > counted ? c.chars_total - counted : 0);
    char share[32];
    double ratio = c.chars_total ? (double)(c.chars[KIND_PROBLEMS] + c.chars[KIND_CAUSES]) / (double)c.chars_total : 0;
    stats_field(row, share, (size_t)snprintf(share, sizeof share, "%.3f", ratio));
    stats_field_size(row, st_doc_section_count(doc));
    for (int k = 0; k < KIND_COUNTED; k++) stats_field_size(row, c.items[k]);
    for (int k = 0; k < KIND_COUNTED; k++) stats_field_size(row, c.examples[k]);
    for (int k = 0; k < KIND_COUNTED; k++) stats_field_size(row, c.figures[k]);
    stats_field_size(row, st_doc_diagnostic_count(doc));
    stats_field_size(row, st_doc_removed_count(doc));
    stats_put(row, "\n", 1);
}

/* ---- the run ---- */

typedef struct stats_run {
    cli_input_list inputs;
    st_options opt;
    size_t max_bytes;
    int tsv;
    size_t failed;
    int stdout_broken;
} stats_run;

typedef struct stats_result {
    char *row;   /* a complete line, or NULL */
    char *error; /* when the file failed */
    size_t row_len;
} stats_result;

static void *stats_work(void *context, size_t index, cli_buffer *scratch)
{
    stats_run *run = context;
    const cli_input *input = &run->inputs.items[index];
    stats_result *r = calloc(1, sizeof *r);
    if (!r) abort();
    if (input->error) {
        r->error = strdup(input->error);
        return r;
    }
    st_error err;
    st_doc *doc = NULL;
    if (cli_read_input(input->path, run->max_bytes, scratch, &err) == 0) {
        st_options opt = run->opt;
        opt.source_name = input->path;
        doc = st_parse(scratch->data, scratch->len, &opt, &err);
    }
    if (scratch->cap > ((size_t)16 << 20)) cli_buffer_free(scratch);
    if (!doc) {
        char message[320];
        cli_describe_error(&err, message, sizeof message);
        r->error = strdup(message);
        return r;
    }
    stats_row row = {NULL, 0, 0, run->tsv};
    stats_format_row(&row, input->path, doc);
    st_doc_free(doc);
    r->row = row.data;
    r->row_len = row.len;
    return r;
}

static int stats_emit(void *context, size_t index, void *result)
{
    stats_run *run = context;
    stats_result *r = result;
    if (r->error) {
        run->failed++;
        cli_report(run->inputs.items[index].path, "%s", r->error);
    } else if (r->row && !run->stdout_broken) {
        if (fwrite(r->row, 1, r->row_len, stdout) != r->row_len) {
            cli_report("stdout", "write error");
            run->stdout_broken = 1;
        }
    }
    free(r->row);
    free(r->error);
    free(r);
    return run->stdout_broken;
}

int cmd_stats(int argc, char **argv)
{
    cli_getopt g;
    cli_getopt_init(&g, argc, argv, "stats", stats_usage);
    cli_common common;
    cli_common_init(&common);
    stats_run run;
    memset(&run, 0, sizeof run);
    int jobs = cli_online_cores();
    cli_walk_options walk = {"*.txt", NULL};
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t path_count = 0;
    if (!paths) return CLI_EXIT_FAILED;
    int id, status = CLI_EXIT_OK;
    while (status == CLI_EXIT_OK && (id = cli_getopt_next(&g, stats_options)) != CLI_OPT_END) {
        if (id == CLI_OPT_BAD) {
            status = CLI_EXIT_USAGE;
            break;
        }
        int shared = cli_common_option(&common, &g, id);
        if (shared < 0) status = CLI_EXIT_USAGE;
        if (shared) continue;
        switch (id) {
        case CLI_OPT_HELP: free(paths); print_stats_help(); return CLI_EXIT_OK;
        case STATS_TSV: run.tsv = 1; break;
        case STATS_JOBS:
            if (cli_parse_positive(g.value, &jobs) != 0)
                status = cli_usage_error(&g, "-j: '%s' is not a positive number", g.value);
            break;
        case STATS_GLOB: walk.glob = g.value; break;
        case CLI_OPT_POSITIONAL: paths[path_count++] = (char *)g.value; break;
        default: break;
        }
    }
    if (status == CLI_EXIT_OK && path_count == 0) status = cli_usage_error(&g, "missing PATH");
    if (status == CLI_EXIT_OK) status = cli_common_start(&common, &run.opt);
    if (status) {
        free(paths);
        return status;
    }
    run.max_bytes = common.max_bytes;
    for (size_t i = 0; i < path_count; i++) cli_list_inputs(&run.inputs, paths[i], &walk);
    free(paths);

    if (run.inputs.count == 0)
        fprintf(stderr, CLI_NAME ": stats: no input files (folders are searched for '%s')\n", walk.glob);

    stats_row header = {NULL, 0, 0, run.tsv};
    for (size_t i = 0; i < sizeof stats_header / sizeof *stats_header; i++) stats_field_str(&header, stats_header[i]);
    stats_put(&header, "\n", 1);
    fwrite(header.data, 1, header.len, stdout);
    free(header.data);

    cli_pool_config pool = {
        .count = run.inputs.count,
        .jobs = jobs,
        .window = (size_t)jobs * 4 + 4,
        .context = &run,
        .work = stats_work,
        .emit = stats_emit,
    };
    cli_pool_run(&pool);
    if (fflush(stdout) != 0 && !run.stdout_broken) {
        cli_report("stdout", "write error");
        run.stdout_broken = 1;
    }
    cli_input_list_free(&run.inputs);
    cli_common_finish(&common);
    return run.failed || run.stdout_broken ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
