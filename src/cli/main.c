/* speechtree: entry point, command dispatch and the parse command. */
#include "cli.h"

#include <string.h>

static const char main_usage[] = CLI_NAME " COMMAND [OPTIONS] ...";

static void print_main_help(FILE *out)
{
    fputs("usage: " CLI_NAME " COMMAND [OPTIONS] ...\n"
          "\n"
          "Parse Chinese Party review speeches into a JSON tree of sections.\n"
          "\n"
          "commands:\n"
          "  parse FILE        JSON of one speech\n"
          "  batch PATH...     convert many files (a folder tree) into JSON files\n"
          "  outline FILE      the structure as an indented tree\n"
          "  stats PATH...     one CSV row of counts per speech\n"
          "\n"
          "  " CLI_NAME " COMMAND --help   options of a command\n"
          "  " CLI_NAME " --version        version and JSON schema version\n"
          "\n"
          "exit status: 0 success, 1 an input failed, 2 usage error.\n",
          out);
}

/* ---- parse ---- */

static const char parse_usage[] = CLI_NAME " parse FILE [-o OUT] [--pretty] [--expand] [OPTIONS]";

enum { PARSE_OUTPUT = CLI_OPT_FIRST_COMMAND_OPTION, PARSE_PRETTY, PARSE_EXPAND };

static const cli_option parse_options[] = {
    CLI_COMMON_OPTIONS,
    {"output", 'o', CLI_ARG_REQUIRED, PARSE_OUTPUT},
    {"pretty", 0, CLI_ARG_NONE, PARSE_PRETTY},
    {"expand", 0, CLI_ARG_NONE, PARSE_EXPAND},
    {0, 0, 0, 0},
};

static void print_parse_help(void)
{
    printf("usage: %s\n"
           "\n"
           "Parse one speech and print its JSON tree (see the schema in\n"
           "$datadir/speechtree/speechtree.schema.json). FILE may be '-' for stdin.\n"
           "\n"
           "  -o, --output OUT    write the JSON to OUT atomically instead of stdout\n"
           "  --pretty            indent the JSON\n"
           "  --expand            add \"expanded\": the clean text, censored words spelled out\n"
           "%s",
           parse_usage, cli_common_help);
}

int cmd_parse(int argc, char **argv)
{
    cli_getopt g;
    cli_getopt_init(&g, argc, argv, "parse", parse_usage);
    cli_common common;
    cli_common_init(&common);
    const char *input = NULL, *output = NULL;
    unsigned flags = 0;
    int id;
    while ((id = cli_getopt_next(&g, parse_options)) != CLI_OPT_END) {
        if (id == CLI_OPT_BAD) return CLI_EXIT_USAGE;
        int shared = cli_common_option(&common, &g, id);
        if (shared < 0) return CLI_EXIT_USAGE;
        if (shared) continue;
        switch (id) {
        case CLI_OPT_HELP: print_parse_help(); return CLI_EXIT_OK;
        case PARSE_OUTPUT: output = g.value; break;
        case PARSE_PRETTY: flags |= ST_JSON_PRETTY; break;
        case PARSE_EXPAND: flags |= ST_JSON_EXPAND; break;
        case CLI_OPT_POSITIONAL:
            if (input) return cli_usage_error(&g, "only one FILE (use batch for more)");
            input = g.value;
            break;
        default: break;
        }
    }
    if (!input) return cli_usage_error(&g, "missing FILE");
    if (output && !*output) return cli_usage_error(&g, "-o needs a file name");

    st_options opt;
    int status = cli_common_start(&common, &opt);
    if (status) return status;
    /* stdin has no path: the JSON says null rather than "-". */
    opt.source_name = strcmp(input, "-") == 0 ? NULL : input;

    const char *name = cli_display_name(input);
    cli_buffer buf = {0};
    st_error err;
    char message[320];
    st_doc *doc = NULL;
    if (cli_read_input(input, common.max_bytes, &buf, &err) == 0) doc = st_parse(buf.data, buf.len, &opt, &err);
    cli_buffer_free(&buf);
    if (!doc) {
        cli_describe_error(&err, message, sizeof message);
        cli_report(name, "%s", message);
        cli_common_finish(&common);
        return CLI_EXIT_FAILED;
    }

    /* The JSON goes straight from the document to its destination, in 64 KiB
     * pieces: it is never held whole in memory. */
    int result = CLI_EXIT_OK;
    if (output) {
        int e = cli_write_json_atomic(output, doc, flags, 1);
        if (e) {
            cli_report(output, "cannot write: %s", strerror(e));
            result = CLI_EXIT_FAILED;
        }
    } else {
        int e = cli_write_json_stream(stdout, doc, flags);
        if (e) {
            cli_report("stdout", "write error: %s", strerror(e));
            result = CLI_EXIT_FAILED;
        }
    }
    st_doc_free(doc);
    cli_common_finish(&common);
    return result;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s\nTry '" CLI_NAME " --help'.\n", main_usage);
        return CLI_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
        printf(CLI_NAME " " ST_VERSION " (schema " ST_SCHEMA_VERSION ")\n");
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        print_main_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "parse") == 0) return cmd_parse(argc - 1, argv + 1);
    if (strcmp(command, "batch") == 0) return cmd_batch(argc - 1, argv + 1);
    if (strcmp(command, "outline") == 0) return cmd_outline(argc - 1, argv + 1);
    if (strcmp(command, "stats") == 0) return cmd_stats(argc - 1, argv + 1);
    fprintf(stderr, CLI_NAME ": unknown command '%s'\nusage: %s\nTry '" CLI_NAME " --help'.\n", command,
            main_usage);
    return CLI_EXIT_USAGE;
}
