/* speechtree command-line program: shared declarations.
 * The program is a thin layer over the public API in speechtree.h. */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "speechtree.h"

#define CLI_NAME "speechtree"

/* ---- commands ---- */
int cmd_parse(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_outline(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* Exit codes shared by every command. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

/* ---- option parsing (util.c) ----
 * Accepts --name VALUE, --name=VALUE, -x VALUE, -xVALUE, "--" to end options,
 * and "-" as an ordinary argument (stdin). */
enum { CLI_ARG_NONE = 0, CLI_ARG_REQUIRED = 1, CLI_ARG_OPTIONAL = 2 /* only as --name=VALUE */ };

typedef struct cli_option {
    const char *long_name;
    char short_name; /* 0 when none */
    int arg;         /* CLI_ARG_* */
    int id;          /* > 0 */
} cli_option;

enum { CLI_OPT_END = 0, CLI_OPT_POSITIONAL = -1, CLI_OPT_BAD = -2 };

typedef struct cli_getopt {
    int argc;
    char **argv;
    int index;           /* next argv element */
    int options_ended;   /* "--" seen */
    const char *value;   /* the option's value or the positional argument */
    const char *command; /* for messages */
    const char *usage;   /* one-line usage printed on errors */
} cli_getopt;

void cli_getopt_init(cli_getopt *g, int argc, char **argv, const char *command, const char *usage);
/* Next option id, CLI_OPT_POSITIONAL (value set), CLI_OPT_END, or CLI_OPT_BAD
 * (message and usage already printed). */
int cli_getopt_next(cli_getopt *g, const cli_option *options);
/* Print "speechtree: COMMAND: MESSAGE" and the usage line; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_getopt *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options shared by parse, batch, outline and stats (util.c) ---- */
enum {
    CLI_OPT_HELP = 1,
    CLI_OPT_ENCODING,
    CLI_OPT_LOSSY,
    CLI_OPT_KEEP_NOISE,
    CLI_OPT_NOISE_RULES,
    CLI_OPT_DICT,
    CLI_OPT_MAX_BYTES,
    CLI_OPT_FIRST_COMMAND_OPTION = 32 /* command-specific ids start here */
};

#define CLI_COMMON_OPTIONS                                    \
    {"help", 'h', CLI_ARG_NONE, CLI_OPT_HELP},                \
    {"encoding", 0, CLI_ARG_REQUIRED, CLI_OPT_ENCODING},      \
    {"lossy", 0, CLI_ARG_NONE, CLI_OPT_LOSSY},                \
    {"keep-noise", 0, CLI_ARG_NONE, CLI_OPT_KEEP_NOISE},      \
    {"noise-rules", 0, CLI_ARG_REQUIRED, CLI_OPT_NOISE_RULES}, \
    {"dict", 0, CLI_ARG_REQUIRED, CLI_OPT_DICT},              \
    {"max-bytes", 0, CLI_ARG_REQUIRED, CLI_OPT_MAX_BYTES}

/* Help text for the shared options, for each command's --help. */
extern const char cli_common_help[];

typedef struct cli_common {
    const char *encoding;
    int lossy;
    int keep_noise;
    const char *noise_rules;
    const char *dict;
    size_t max_bytes;
    st_rules *own_rules; /* built by cli_common_start when extra rules are given */
} cli_common;

void cli_common_init(cli_common *c);
/* Applies a shared option: 1 handled, 0 not a shared option, -1 bad value
 * (reported). CLI_OPT_HELP is left to the caller. */
int cli_common_option(cli_common *c, cli_getopt *g, int id);
/* Builds the rules once for the run and fills the parse options (source_name
 * left NULL). Returns 0, or an exit code after reporting the problem. */
int cli_common_start(cli_common *c, st_options *opt);
void cli_common_finish(cli_common *c);

/* ---- input, errors, output (util.c) ---- */

/* A growable byte buffer, reused between files by one thread. */
typedef struct cli_buffer {
    char *data;
    size_t len, cap;
} cli_buffer;
void cli_buffer_free(cli_buffer *b);

/* Reads a whole file ("-" is stdin) into buf, refusing more than max_bytes
 * without reading them. Returns 0, or fills err (ST_ERR_IO or ST_ERR_TOO_LARGE)
 * and returns -1. */
int cli_read_input(const char *path, size_t max_bytes, cli_buffer *buf, st_error *err);

/* The name to show for an input path: "(stdin)" for "-". */
const char *cli_display_name(const char *path);

/* err->message plus " (line L, column C)" when the error has a place and the
 * message does not already give it. */
void cli_describe_error(const st_error *err, char *out, size_t size);

/* Short status word for failures.jsonl: "decode", "binary", "too-large", … */
const char *cli_status_name(st_status status);

/* Prints "speechtree: WHAT: MESSAGE" on stderr. */
void cli_report(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes data to path atomically: a temporary file PATH.tmp.PID in the same
 * directory, fsync, rename. The directory is fsync'ed too when sync_dir.
 * Returns 0 or an errno value; the temporary file never survives an error.
 * A device or FIFO is written in place (never replaced); through a symbolic
 * link, the link's target is replaced and the link kept. */
int cli_write_atomic(const char *path, const char *data, size_t len, int sync_dir);

/* Writes what `produce` writes into the open file descriptor it is given
 * (returning 0 or an errno value), with the guarantees of cli_write_atomic. */
typedef int (*cli_producer)(int fd, void *ctx);
int cli_write_atomic_with(const char *path, cli_producer produce, void *ctx, int sync_dir);

/* Writes all of data to fd (retrying short writes and EINTR): 0 or errno. */
int cli_write_fd(int fd, const char *data, size_t len);

/* The JSON of doc and a newline, streamed (st_render_json_to) rather than
 * built in memory: to path atomically (as cli_write_atomic), to a file
 * descriptor, or to a stream (flushed). Each returns 0 or an errno value;
 * after an error, what was written is a truncated JSON. */
int cli_write_json_atomic(const char *path, const st_doc *doc, unsigned flags, int sync_dir);
int cli_write_json_fd(int fd, const st_doc *doc, unsigned flags);
int cli_write_json_stream(FILE *out, const st_doc *doc, unsigned flags);

/* mkdir -p; returns 0 or an errno value. */
int cli_make_dirs(const char *dir);

/* Parses a size such as 1048576, 512K, 10M, 2G (powers of 1024; an optional
 * trailing B or iB). Returns 0 or -1. */
int cli_parse_size(const char *text, size_t *out);
/* Parses a positive int; returns 0 or -1. */
int cli_parse_positive(const char *text, int *out);

/* Number of online processors, at least 1. */
int cli_online_cores(void);
double cli_now(void); /* monotonic seconds */

/* ---- text helpers (util.c) ---- */

/* Decodes one UTF-8 code point; invalid bytes yield U+FFFD and length 1. */
unsigned cli_utf8_next(const char *s, size_t len, size_t *n);
int cli_is_space(unsigned c);
/* Terminal columns taken by a code point: 0, 1 or 2 (CJK and fullwidth = 2). */
int cli_char_width(unsigned c);

/* ---- input listing (walk.c) ---- */

typedef struct cli_input {
    char *path;     /* as given or joined with the argument: "in/a/b.txt" */
    char *relative; /* path to mirror under an output directory: "a/b.txt" */
    long long size; /* bytes, for progress; -1 when unknown */
    char *error;    /* set when the argument could not be listed */
} cli_input;

typedef struct cli_input_list {
    cli_input *items;
    size_t count, cap;
    long long total_bytes;
} cli_input_list;

typedef struct cli_walk_options {
    const char *glob;        /* fnmatch pattern on basenames in directories */
    const char *exclude_dir; /* a directory never entered (the output); may be NULL */
} cli_walk_options;

/* Lists the files of one argument: a file is taken as it is; a directory is
 * walked recursively in byte order of names, keeping files whose basename
 * matches the glob. Problems become items with an error set. */
void cli_list_inputs(cli_input_list *list, const char *arg, const cli_walk_options *opt);
/* Reads one path per line from a stream (the "-" argument of batch). Files
 * listed there are mirrored by their path as written (less a leading "/" or
 * "./"), not by basename. Returns 0 or an errno value. */
int cli_list_from_stream(cli_input_list *list, FILE *in, const cli_walk_options *opt);
void cli_input_list_free(cli_input_list *list);

/* ---- worker pool (pool.c) ----
 * Tasks are the indices 0..count-1. Workers run `work` on them in parallel;
 * the calling thread receives each result through `emit`, strictly in index
 * order, so output order never depends on timing. At most `window` tasks are
 * taken and not yet emitted, which bounds the memory held by results. */
typedef struct cli_pool_config {
    size_t count;
    int jobs;
    size_t window;
    void *context;
    /* Runs on a worker thread; `scratch` is that worker's buffer. */
    void *(*work)(void *context, size_t index, cli_buffer *scratch);
    /* Runs on the calling thread in index order; takes ownership of result.
     * Returning non-zero stops taking new tasks (tasks under way finish). */
    int (*emit)(void *context, size_t index, void *result);
    /* Runs on the calling thread about every `tick_seconds` and after each
     * emit; returning non-zero stops taking new tasks. May be NULL. */
    int (*tick)(void *context);
    double tick_seconds;
} cli_pool_config;

/* Returns the number of tasks emitted (all of them unless stopped). */
size_t cli_pool_run(const cli_pool_config *config);

#endif
