/* speechtree outline: the structure of one speech as an indented tree.
 *
 *   TITLE
 *   一、存在的问题 [problems] (4 items)
 *     （一）理论学习不够深入。
 *       一是学习不够系统。
 *
 *   diagnostics:
 *     12:3 ordinal-gap expected 三 after 一
 *   removed: 2 noise spans
 *
 * Lines are cut to the terminal width with "…" (CJK characters take two
 * columns); top-level sections get their kind and the number of children. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char outline_usage[] =
    CLI_NAME " outline FILE [--depth N] [--color=auto|always|never] [OPTIONS]";

enum { OUTLINE_DEPTH = CLI_OPT_FIRST_COMMAND_OPTION, OUTLINE_COLOR, OUTLINE_WIDTH };

static const cli_option outline_options[] = {
    CLI_COMMON_OPTIONS,
    {"depth", 'd', CLI_ARG_REQUIRED, OUTLINE_DEPTH},
    {"color", 0, CLI_ARG_OPTIONAL, OUTLINE_COLOR},
    {"colour", 0, CLI_ARG_OPTIONAL, OUTLINE_COLOR},
    {"width", 'w', CLI_ARG_REQUIRED, OUTLINE_WIDTH},
    {0, 0, 0, 0},
};

static void print_outline_help(void)
{
    printf("usage: %s\n"
           "\n"
           "Print the structure of one speech as an indented tree: the title, then\n"
           "one line per node (marker and heading), top-level sections with their\n"
           "[kind] and (N items); then diagnostics and the number of noise spans\n"
           "removed. FILE may be '-' for stdin.\n"
           "\n"
           "  -d, --depth N       show N levels (1: top-level sections only)\n"
           "  --color[=WHEN]      colour by kind: auto (default: when stdout is a\n"
           "                      terminal), always, never\n"
           "  -w, --width N       cut lines at N columns (default: the terminal width,\n"
           "                      else $COLUMNS, else 100)\n"
           "%s",
           outline_usage, cli_common_help);
}

/* ---- display ---- */

typedef struct outline_out {
    FILE *out;
    int width;
    int color;
    size_t max_depth; /* 0: all */
} outline_out;

static const char *outline_kind_color(st_kind kind)
{
    switch (kind) {
    case ST_KIND_PROBLEMS: return "\033[31m";
    case ST_KIND_CAUSES: return "\033[33m";
    case ST_KIND_MEASURES: return "\033[32m";
    case ST_KIND_PREPARATION: return "\033[34m";
    case ST_KIND_RECTIFICATION: return "\033[35m";
    default: return "";
    }
}

#define OUTLINE_RESET "\033[0m"
#define OUTLINE_BOLD "\033[1m"
#define OUTLINE_DIM "\033[2m"

static int outline_text_width(const char *s, size_t len)
{
    int width = 0;
    size_t n;
    for (size_t i = 0; i < len; i += n) width += cli_char_width(cli_utf8_next(s + i, len - i, &n));
    return width;
}

/* Writes text on one line, at most `room` columns: whitespace runs (a
 * paragraph break included) become one space, and a cut ends with "…". */
static void outline_put_clipped(FILE *out, const char *s, size_t len, int room)
{
    /* Trim so that leading or trailing breaks do not cost a column. */
    size_t n;
    while (len) {
        unsigned c = cli_utf8_next(s, len, &n);
        if (!cli_is_space(c)) break;
        s += n;
        len -= n;
    }
    size_t content_end = 0;
    for (size_t i = 0; i < len; i += n)
        if (!cli_is_space(cli_utf8_next(s + i, len - i, &n))) content_end = i + n;
    len = content_end;

    /* First pass: does it fit whole? */
    int total = 0;
    int in_space = 0;
    for (size_t i = 0; i < len; i += n) {
        unsigned c = cli_utf8_next(s + i, len - i, &n);
        if (cli_is_space(c)) {
            if (!in_space) total++;
            in_space = 1;
            continue;
        }
        in_space = 0;
        total += cli_char_width(c);
    }
    int limit = total <= room ? room : room - 1; /* keep a column for … */
    int used = 0;
    in_space = 0;
    for (size_t i = 0; i < len; i += n) {
        unsigned c = cli_utf8_next(s + i, len - i, &n);
        if (cli_is_space(c)) {
            if (!in_space && used + 1 <= limit) {
                fputc(' ', out);
                used++;
            }
            in_space = 1;
            continue;
        }
        in_space = 0;
        int w = cli_char_width(c);
        if (c < 0x20 || c == 0x7F) continue; /* control characters never reach the terminal */
        if (used + w > limit) break;
        fwrite(s + i, 1, n, out);
        used += w;
    }
    if (total > room && room >= 1) fputs("…", out);
}

/* section_kind: the kind of the top-level section above, whose colour the
 * markers of its items take. */
static void outline_node(const outline_out *o, const st_node *node, st_kind section_kind)
{
    size_t depth = st_node_depth(node);
    int top = depth == 0;
    st_kind kind = st_node_kind(node);
    const char *kind_name = st_kind_name(kind);
    if (top) section_kind = kind;
    const char *color = o->color ? outline_kind_color(kind != ST_KIND_NONE ? kind : section_kind) : "";

    char suffix[96] = "";
    int suffix_len = 0;
    if (kind_name) suffix_len += snprintf(suffix + suffix_len, sizeof suffix - (size_t)suffix_len, " [%s]", kind_name);
    if (top) {
        size_t items = st_node_child_count(node);
        snprintf(suffix + suffix_len, sizeof suffix - (size_t)suffix_len, " (%zu item%s)", items, items == 1 ? "" : "s");
    }

    st_str marker = st_node_marker(node);
    st_str heading = st_node_heading(node);
    /* A node without a lead sentence shows the start of its text. */
    if (heading.len == 0) heading = st_node_text(node);
    const char *marker_text = marker.len ? marker.ptr : "·";
    size_t marker_len = marker.len ? marker.len : strlen("·");

    int indent = (int)depth * 2;
    int marker_width = outline_text_width(marker_text, marker_len);
    int room = o->width - indent - marker_width - 1 - outline_text_width(suffix, strlen(suffix));
    if (room < 1) room = 1;

    fprintf(o->out, "%*s", indent, "");
    if (o->color && top) fprintf(o->out, OUTLINE_BOLD "%s", color);
    else if (o->color && *color) fputs(color, o->out);
    fwrite(marker_text, 1, marker_len, o->out);
    if (o->color && !top) fputs(OUTLINE_RESET, o->out);
    fputc(' ', o->out);
    outline_put_clipped(o->out, heading.ptr, heading.len, room);
    if (o->color) fputs(OUTLINE_RESET, o->out);
    if (*suffix) {
        if (o->color) fprintf(o->out, "%s%s" OUTLINE_RESET, *color ? color : OUTLINE_DIM, suffix);
        else fputs(suffix, o->out);
    }
    fputc('\n', o->out);

    if (o->max_depth && depth + 1 >= o->max_depth) return;
    for (const st_node *child = st_node_first_child(node); child; child = st_node_next(child))
        outline_node(o, child, section_kind);
}

static void outline_print(const outline_out *o, const st_doc *doc)
{
    st_str title = st_doc_title(doc);
    if (st_doc_has_title(doc) && title.len) {
        if (o->color) fputs(OUTLINE_BOLD, o->out);
        outline_put_clipped(o->out, title.ptr, title.len, o->width);
        if (o->color) fputs(OUTLINE_RESET, o->out);
        fputc('\n', o->out);
    } else {
        fputs(o->color ? OUTLINE_DIM "(no title)" OUTLINE_RESET "\n" : "(no title)\n", o->out);
    }
    for (const st_node *s = st_doc_first_section(doc); s; s = st_node_next(s)) outline_node(o, s, ST_KIND_NONE);

    fputc('\n', o->out);
    size_t count = st_doc_diagnostic_count(doc);
    if (count) {
        fputs(o->color ? OUTLINE_BOLD "diagnostics:" OUTLINE_RESET "\n" : "diagnostics:\n", o->out);
        for (size_t i = 0; i < count; i++) {
            st_diagnostic d = st_doc_diagnostic(doc, i);
            char place[64];
            int place_len = snprintf(place, sizeof place, "%zu:%zu", d.place.line, d.place.column);
            const char *code = d.code ? d.code : "?";
            const char *message = d.message ? d.message : "";
            fprintf(o->out, "  %s %s%s%s ", place, o->color ? "\033[33m" : "", code, o->color ? OUTLINE_RESET : "");
            int room = o->width - 2 - place_len - 1 - outline_text_width(code, strlen(code)) - 1;
            outline_put_clipped(o->out, message, strlen(message), room < 1 ? 1 : room);
            fputc('\n', o->out);
        }
    }
    size_t removed = st_doc_removed_count(doc);
    fprintf(o->out, "removed: %zu noise span%s\n", removed, removed == 1 ? "" : "s");
}

static int outline_width(int fd)
{
    struct winsize ws;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    int n;
    if (columns && cli_parse_positive(columns, &n) == 0) return n;
    return 100;
}

int cmd_outline(int argc, char **argv)
{
    cli_getopt g;
    cli_getopt_init(&g, argc, argv, "outline", outline_usage);
    cli_common common;
    cli_common_init(&common);
    const char *input = NULL;
    int depth = 0, width = 0;
    const char *color = "auto";
    int id;
    while ((id = cli_getopt_next(&g, outline_options)) != CLI_OPT_END) {
        if (id == CLI_OPT_BAD) return CLI_EXIT_USAGE;
        int shared = cli_common_option(&common, &g, id);
        if (shared < 0) return CLI_EXIT_USAGE;
        if (shared) continue;
        switch (id) {
        case CLI_OPT_HELP: print_outline_help(); return CLI_EXIT_OK;
        case OUTLINE_DEPTH:
            if (cli_parse_positive(g.value, &depth) != 0)
                return cli_usage_error(&g, "--depth: '%s' is not a positive number", g.value);
            break;
        case OUTLINE_WIDTH:
            if (cli_parse_positive(g.value, &width) != 0)
                return cli_usage_error(&g, "--width: '%s' is not a positive number", g.value);
            break;
        case OUTLINE_COLOR:
            color = g.value ? g.value : "always"; /* plain --color, as in ls and grep */
            if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
                return cli_usage_error(&g, "--color: '%s' is not auto, always or never", color);
            break;
        case CLI_OPT_POSITIONAL:
            if (input) return cli_usage_error(&g, "only one FILE");
            input = g.value;
            break;
        default: break;
        }
    }
    if (!input) return cli_usage_error(&g, "missing FILE");

    st_options opt;
    int status = cli_common_start(&common, &opt);
    if (status) return status;
    opt.source_name = strcmp(input, "-") == 0 ? NULL : input;
    cli_buffer buf = {0};
    st_error err;
    st_doc *doc = NULL;
    if (cli_read_input(input, common.max_bytes, &buf, &err) == 0) doc = st_parse(buf.data, buf.len, &opt, &err);
    cli_buffer_free(&buf);
    if (!doc) {
        char message[320];
        cli_describe_error(&err, message, sizeof message);
        cli_report(cli_display_name(input), "%s", message);
        cli_common_finish(&common);
        return CLI_EXIT_FAILED;
    }

    outline_out o = {
        .out = stdout,
        .width = width ? width : outline_width(STDOUT_FILENO),
        .color = strcmp(color, "always") == 0 || (strcmp(color, "auto") == 0 && isatty(STDOUT_FILENO) &&
                                                  !getenv("NO_COLOR")),
        .max_depth = (size_t)depth,
    };
    outline_print(&o, doc);
    st_doc_free(doc);
    cli_common_finish(&common);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_report("stdout", "write error");
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}
