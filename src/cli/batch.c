/* speechtree batch: convert a tree of speeches into JSON files (or JSON
 * lines on stdout), in parallel, resumable, one failure never stopping the
 * rest.
 *
 * The inputs are listed first (names and sizes only), then streamed through
 * the worker pool: each worker reads, parses, renders and writes one file at
 * a time. Results come back to the main thread in input order, which prints
 * failures, --jsonl lines and progress, so those never interleave.
 *
 * JSON is streamed from the document to its destination (st_render_json_to),
 * not built in memory: output files by the worker; a --jsonl line by the
 * worker too when every earlier result has been printed (its line is next
 * on stdout, and the main thread prints nothing until the worker is done),
 * else rendered into memory and printed by the main thread in its turn. */
#include "cli.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char batch_usage[] =
    CLI_NAME " batch PATH... --out DIR [-j N] [--glob PATTERN] [--force] [--quiet] [--pretty] [OPTIONS]\n"
    "       " CLI_NAME " batch --jsonl PATH... [-j N] [--glob PATTERN] [--quiet] [OPTIONS]";

enum {
    BATCH_OUT = CLI_OPT_FIRST_COMMAND_OPTION,
    BATCH_JOBS,
    BATCH_GLOB,
    BATCH_FORCE,
    BATCH_QUIET,
    BATCH_JSONL,
    BATCH_PRETTY,
    BATCH_EXPAND
};

static const cli_option batch_options[] = {
    CLI_COMMON_OPTIONS,
    {"out", 0, CLI_ARG_REQUIRED, BATCH_OUT},
    {"jobs", 'j', CLI_ARG_REQUIRED, BATCH_JOBS},
    {"glob", 0, CLI_ARG_REQUIRED, BATCH_GLOB},
    {"force", 0, CLI_ARG_NONE, BATCH_FORCE},
    {"quiet", 'q', CLI_ARG_NONE, BATCH_QUIET},
    {"jsonl", 0, CLI_ARG_NONE, BATCH_JSONL},
    {"pretty", 0, CLI_ARG_NONE, BATCH_PRETTY},
    {"expand", 0, CLI_ARG_NONE, BATCH_EXPAND},
    {0, 0, 0, 0},
};

static void print_batch_help(void)
{
    printf("usage: %s\n"
           "\n"
           "Convert every file under the PATHs (folders are walked recursively) into\n"
           "one JSON file each under DIR, mirroring the relative path: a/b/c.txt\n"
           "becomes DIR/a/b/c.json (a file named on the command line: DIR/c.json).\n"
           "Outputs are written atomically. An output newer than its input is skipped,\n"
           "so an interrupted run resumes. Failures are listed on stderr and in\n"
           "DIR/failures.jsonl. A PATH of '-' reads a list of paths from stdin.\n"
           "\n"
           "  --out DIR           output folder (created if missing)\n"
           "  -j, --jobs N        parallel workers (default: online cores)\n"
           "  --glob PATTERN      files to take in folders (default '*.txt')\n"
           "  --force             convert even when the output is up to date\n"
           "  -q, --quiet         no progress and no summary\n"
           "  --jsonl             print one compact JSON object per line on stdout,\n"
           "                      in input order, instead of writing files\n"
           "  --pretty            indent the JSON files\n"
           "  --expand            add \"expanded\" text to each JSON\n"
           "%s"
           "\n"
           "exit status: 0 all converted or skipped, 1 some failed, 2 usage error.\n",
           batch_usage, cli_common_help);
}

/* Set by SIGINT/SIGTERM: finish the files under way, report, exit. Workers
 * read it too, so it is a lock-free atomic rather than sig_atomic_t. */
static atomic_int batch_interrupted;

static void batch_on_signal(int sig)
{
    (void)sig;
    int saved_errno = errno;
    atomic_store(&batch_interrupted, 1);
    errno = saved_errno;
}

/* ---- crashes ----
 * A file that crashes the parser would crash every rerun of the batch and so
 * stop the archive for good. Worker threads share the process, so the crash
 * still ends this run, but first the fatal-signal handler names the file
 * and appends its path to DIR/crashes.txt; later runs skip the files listed
 * there (status "crashed") until --force tries them again. */

static _Thread_local const char *batch_current_input; /* the file this thread converts */
static char batch_crash_record[PATH_MAX];             /* DIR/crashes.txt, "" with --jsonl */
static int batch_stderr_tty;                          /* a progress bar may be on the line */

/* write(2) until done; async-signal-safe */
static void batch_write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void batch_on_fatal(int sig)
{
    const char *path = batch_current_input;
    if (path) {
        char num[4] = {(char)('0' + sig / 10 % 10), (char)('0' + sig % 10), 0, 0};
        if (batch_stderr_tty) batch_write_str(STDERR_FILENO, "\n");
        batch_write_str(STDERR_FILENO, CLI_NAME ": ");
        batch_write_str(STDERR_FILENO, path);
        batch_write_str(STDERR_FILENO, ": crashed " CLI_NAME " (signal ");
        batch_write_str(STDERR_FILENO, num[0] == '0' ? num + 1 : num);
        batch_write_str(STDERR_FILENO, ")");
        int fd = batch_crash_record[0] ? open(batch_crash_record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
        if (fd >= 0) {
            batch_write_str(fd, path);
            batch_write_str(fd, "\n");
            fsync(fd);
            close(fd);
            batch_write_str(STDERR_FILENO, "; recorded in ");
            batch_write_str(STDERR_FILENO, batch_crash_record);
            batch_write_str(STDERR_FILENO, ": a rerun skips it");
        }
        batch_write_str(STDERR_FILENO, "\n");
    }
    raise(sig); /* SA_RESETHAND: the default action, which ends the process */
}

static void batch_catch_fatal_signals(void)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = batch_on_fatal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) sigaction(fatal[i], &action, NULL);
}

/* The paths of DIR/crashes.txt, sorted and unique, each with a flag set when
 * --force tried it again in this run. */
typedef struct batch_crashes {
    char **paths;
    atomic_uchar *retried;
    size_t count;
} batch_crashes;

static int batch_compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void batch_load_crashes(batch_crashes *c, const char *record)
{
    FILE *f = fopen(record, "re");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue;
        if (c->count == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            c->paths = realloc(c->paths, alloc * sizeof *c->paths);
            if (!c->paths) abort();
        }
        c->paths[c->count] = strdup(line);
        if (!c->paths[c->count]) abort();
        c->count++;
    }
    free(line);
    fclose(f);
    if (!c->count) return;
    qsort(c->paths, c->count, sizeof *c->paths, batch_compare_strings);
    size_t kept = 1; /* a file that crashed twice is listed twice */
    for (size_t i = 1; i < c->count; i++) {
        if (strcmp(c->paths[i], c->paths[kept - 1]) == 0) free(c->paths[i]);
        else c->paths[kept++] = c->paths[i];
    }
    c->count = kept;
    c->retried = calloc(c->count, sizeof *c->retried);
    if (!c->retried) abort();
}

static size_t batch_find_crash(const batch_crashes *c, const char *path)
{
    char *const *hit = c->count ? bsearch(&path, c->paths, c->count, sizeof *c->paths, batch_compare_strings) : NULL;
    return hit ? (size_t)(hit - c->paths) : SIZE_MAX;
}

/* After a run that ended normally: the files --force tried again leave the
 * record (the record goes when it is empty). Returns 0 or an errno value. */
static int batch_save_crashes(const batch_crashes *c, const char *record)
{
    size_t len = 0, kept = 0;
    for (size_t i = 0; i < c->count; i++)
        if (!atomic_load(&c->retried[i])) len += strlen(c->paths[i]) + 1, kept++;
    if (kept == c->count) return 0;
    if (!kept) return unlink(record) == 0 || errno == ENOENT ? 0 : errno;
    char *text = malloc(len + 1), *o = text;
    if (!text) return ENOMEM;
    for (size_t i = 0; i < c->count; i++) {
        if (atomic_load(&c->retried[i])) continue;
        size_t n = strlen(c->paths[i]);
        memcpy(o, c->paths[i], n);
        o[n] = '\n';
        o += n + 1;
    }
    int e = cli_write_atomic(record, text, len, 1);
    free(text);
    return e;
}

static void batch_free_crashes(batch_crashes *c)
{
    for (size_t i = 0; i < c->count; i++) free(c->paths[i]);
    free(c->paths);
    free(c->retried);
}

/* RESULT_NOT_ATTEMPTED: taken after the run began to stop. */
enum { RESULT_CONVERTED, RESULT_SKIPPED, RESULT_FAILED, RESULT_NOT_ATTEMPTED };

typedef struct batch_result {
    int outcome;
    const char *status; /* for failures.jsonl */
    char *error;
    int write_errno;    /* the output could not be written */
    char *json;         /* --jsonl, rendered into memory */
    size_t json_len;
    int streamed;       /* --jsonl, already written to stdout by the worker */
    int stdout_errno;   /* that write failed */
    long long bytes_read;
} batch_result;

typedef struct batch_run {
    cli_input_list inputs;
    size_t *collides_with; /* 1 + index of an earlier input with the same output, or 0 */
    const char *out_dir;
    batch_crashes crashes; /* files that crashed an earlier run */
    int force, quiet, jsonl;
    unsigned json_flags;
    st_options opt;
    size_t max_bytes;
    /* Set by a worker that found the output file system full (or by the main
     * thread when stdout breaks), so that the other workers stop taking
     * files at once rather than fail them one by one. */
    atomic_int stop_now;
    /* Results the main thread has emitted (--jsonl lines printed and
     * flushed): a worker whose index equals it owns stdout. */
    atomic_size_t emitted;

    /* main thread only */
    size_t converted, skipped, failed, not_attempted, done;
    long long bytes_done;
    int output_full, stdout_broken;
    char *failures; /* failures.jsonl content, one line per failure */
    size_t failures_len, failures_cap;

    int progress_tty;
    double started, last_draw;
    int bar_shown;
} batch_run;

/* ---- output paths ---- */

/* DIR/relative with the extension of the last component replaced by .json. */
static char *batch_output_path(const char *dir, const char *relative)
{
    const char *base = strrchr(relative, '/');
    base = base ? base + 1 : relative;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - relative) : strlen(relative);
    size_t dir_len = strlen(dir);
    while (dir_len > 1 && dir[dir_len - 1] == '/') dir_len--;
    size_t total = dir_len + 1 + stem + sizeof ".json";
    char *path = malloc(total);
    if (!path) return NULL;
    snprintf(path, total, "%.*s/%.*s.json", (int)dir_len, dir, (int)stem, relative);
    return path;
}

typedef struct batch_name {
    char *output;
    size_t index;
} batch_name;

static int batch_compare_names(const void *a, const void *b)
{
    const batch_name *x = a, *y = b;
    int c = strcmp(x->output, y->output);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Two inputs mapping to one output (a/x.txt and b/x.txt given as files, or
 * x.txt and x.text): the later one fails rather than overwrite the first. */
static void batch_find_collisions(batch_run *run)
{
    size_t n = run->inputs.count;
    run->collides_with = calloc(n ? n : 1, sizeof *run->collides_with);
    batch_name *names = calloc(n ? n : 1, sizeof *names);
    if (!run->collides_with || !names) abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (run->inputs.items[i].error) continue;
        names[m].output = batch_output_path(".", run->inputs.items[i].relative);
        if (!names[m].output) abort();
        names[m].index = i;
        m++;
    }
    qsort(names, m, sizeof *names, batch_compare_names);
    for (size_t i = 1; i < m; i++) {
        size_t first = i - 1;
        while (i < m && strcmp(names[i].output, names[first].output) == 0) {
            run->collides_with[names[i].index] = names[first].index + 1;
            i++;
        }
    }
    for (size_t i = 0; i < m; i++) free(names[i].output);
    free(names);
}

/* ---- the work of one file (worker threads) ---- */

static batch_result *batch_fail(batch_result *r, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static batch_result *batch_fail(batch_result *r, const char *status, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    r->outcome = RESULT_FAILED;
    r->status = status;
    r->error = strdup(message);
    return r;
}

static int batch_up_to_date(const char *input, const char *output)
{
    struct stat in, out;
    if (stat(output, &out) != 0 || stat(input, &in) != 0) return 0;
    if (out.st_mtim.tv_sec != in.st_mtim.tv_sec) return out.st_mtim.tv_sec > in.st_mtim.tv_sec;
    /* Equal times count as up to date: coarse file-system clocks often give
     * an input and its output, written in the same tick, the same time. */
    return out.st_mtim.tv_nsec >= in.st_mtim.tv_nsec;
}

static void *batch_convert(batch_run *run, const cli_input *input, size_t index, cli_buffer *scratch);

static void *batch_work(void *context, size_t index, cli_buffer *scratch)
{
    batch_run *run = context;
    const cli_input *input = &run->inputs.items[index];
    batch_current_input = input->path;
    void *result = batch_convert(run, input, index, scratch);
    batch_current_input = NULL;
    return result;
}

static void *batch_convert(batch_run *run, const cli_input *input, size_t index, cli_buffer *scratch)
{
    batch_result *r = calloc(1, sizeof *r);
    if (!r) abort();
    if (atomic_load(&run->stop_now) || atomic_load(&batch_interrupted)) {
        r->outcome = RESULT_NOT_ATTEMPTED;
        return r;
    }
    if (input->error) return batch_fail(r, "io", "%s", input->error);
    if (run->collides_with[index])
        return batch_fail(r, "collision", "has the same output file as %s",
                          run->inputs.items[run->collides_with[index] - 1].path);

    char *output = NULL;
    if (!run->jsonl) {
        output = batch_output_path(run->out_dir, input->relative);
        if (!output) return batch_fail(r, "nomem", "out of memory");
        if (!run->force && batch_up_to_date(input->path, output)) {
            free(output);
            r->outcome = RESULT_SKIPPED;
            return r;
        }
        size_t crashed = batch_find_crash(&run->crashes, input->path);
        if (crashed != SIZE_MAX) {
            if (!run->force) {
                free(output);
                return batch_fail(r, "crashed", "crashed " CLI_NAME " in an earlier run (listed in %s); skipped: --force tries it again",
                                  batch_crash_record);
            }
            atomic_store(&run->crashes.retried[crashed], 1);
        }
    }

    st_error err;
    st_doc *doc = NULL;
    if (cli_read_input(input->path, run->max_bytes, scratch, &err) == 0) {
        r->bytes_read = (long long)scratch->len;
        st_options opt = run->opt;
        opt.source_name = input->path;
        doc = st_parse(scratch->data, scratch->len, &opt, &err);
    }
    /* A huge file read once should not keep its buffer for the whole run. */
    if (scratch->cap > ((size_t)16 << 20)) cli_buffer_free(scratch);
    if (!doc) {
        char message[320];
        cli_describe_error(&err, message, sizeof message);
        free(output);
        return batch_fail(r, cli_status_name(err.status), "%s", message);
    }
    if (run->jsonl) {
        /* Next on stdout (and stdout still good): write the line now. */
        if (atomic_load(&run->emitted) == index && !atomic_load(&run->stop_now)) {
            r->stdout_errno = cli_write_json_stream(stdout, doc, run->json_flags);
            r->streamed = 1;
        } else {
            size_t len = 0;
            char *json = st_render_json(doc, run->json_flags, &len);
            char *grown = json ? realloc(json, len + 2) : NULL;
            if (!grown) {
                free(json);
                st_doc_free(doc);
                return batch_fail(r, "nomem", "out of memory while rendering JSON");
            }
            json = grown;
            json[len++] = '\n';
            json[len] = '\0';
            r->json = json;
            r->json_len = len;
        }
        st_doc_free(doc);
        r->outcome = RESULT_CONVERTED;
        return r;
    }
    char *slash = strrchr(output, '/');
    *slash = '\0';
    int e = cli_make_dirs(output);
    *slash = '/';
    if (!e) e = cli_write_json_atomic(output, doc, run->json_flags, 0);
    st_doc_free(doc);
    if (e) {
        r->write_errno = e;
        if (e == ENOSPC || e == EDQUOT) atomic_store(&run->stop_now, 1);
        batch_fail(r, "write", "cannot write %s: %s", output, strerror(e));
        free(output);
        return r;
    }
    free(output);
    r->outcome = RESULT_CONVERTED;
    return r;
}

/* ---- progress (main thread) ---- */

static int batch_terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

static void batch_format_eta(char *out, size_t size, double seconds)
{
    if (seconds < 0 || seconds > 1e7) {
        snprintf(out, size, "--:--");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

static void batch_clear_bar(batch_run *run)
{
    if (run->bar_shown) {
        fputs("\r\033[K", stderr);
        run->bar_shown = 0;
    }
}

static void batch_draw_progress(batch_run *run, int force)
{
    if (run->quiet) return;
    double now = cli_now();
    double interval = run->progress_tty ? 0.1 : 2.0;
    if (!force && now - run->last_draw < interval) return;
    run->last_draw = now;
    double elapsed = now - run->started;
    double rate = elapsed > 0 ? (double)run->bytes_done / elapsed : 0;
    size_t total = run->inputs.count;
    /* Time left from the bytes still to read; skipped files cost nothing,
     * so by files when no bytes have been read yet. */
    double eta = -1;
    long long bytes_left = run->inputs.total_bytes - run->bytes_done;
    if (rate > 0 && bytes_left >= 0) eta = (double)bytes_left / rate;
    else if (run->done > 0) eta = elapsed / (double)run->done * (double)(total - run->done);
    char eta_text[32];
    batch_format_eta(eta_text, sizeof eta_text, eta);
    double mb_per_s = rate / (1024.0 * 1024.0);

    if (!run->progress_tty) {
        fprintf(stderr, CLI_NAME ": batch: %zu/%zu files, %.1f MB/s, ETA %s\n", run->done, total, mb_per_s,
                eta_text);
        return;
    }
    char stats[128];
    int stats_len = snprintf(stats, sizeof stats, " %zu/%zu files  %.1f MB/s  ETA %s", run->done, total,
                             mb_per_s, eta_text);
    int width = batch_terminal_width() - 1; /* the last column would wrap on some terminals */
    int bar = width - stats_len - 2;
    if (bar > 40) bar = 40;
    char line[512];
    int pos = 0;
    if (bar >= 5) {
        int filled = total ? (int)((double)bar * (double)run->done / (double)total) : bar;
        line[pos++] = '[';
        for (int i = 0; i < bar; i++) line[pos++] = i < filled ? '#' : '-';
        line[pos++] = ']';
    }
    snprintf(line + pos, sizeof line - (size_t)pos, "%s", stats);
    if ((int)strlen(line) > width && width > 0) line[width] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    run->bar_shown = 1;
}

static int batch_tick(void *context)
{
    batch_run *run = context;
    batch_draw_progress(run, 0);
    return atomic_load(&batch_interrupted) || run->output_full || run->stdout_broken;
}

/* ---- results (main thread, input order) ---- */

static void batch_append_failure(batch_run *run, const char *path, const char *error, const char *status)
{
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "path", path);
    cJSON_AddStringToObject(line, "error", error);
    cJSON_AddStringToObject(line, "status", status);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!text) return;
    size_t len = strlen(text);
    if (run->failures_len + len + 1 > run->failures_cap) {
        size_t cap = run->failures_cap ? run->failures_cap * 2 : 4096;
        while (cap < run->failures_len + len + 1) cap *= 2;
        char *grown = realloc(run->failures, cap);
        if (!grown) {
            free(text);
            return;
        }
        run->failures = grown;
        run->failures_cap = cap;
    }
    memcpy(run->failures + run->failures_len, text, len);
    run->failures_len += len;
    run->failures[run->failures_len++] = '\n';
    free(text);
}

static int batch_emit(void *context, size_t index, void *result)
{
    batch_run *run = context;
    batch_result *r = result;
    const cli_input *input = &run->inputs.items[index];
    if (r->outcome != RESULT_NOT_ATTEMPTED) run->done++;
    run->bytes_done += r->bytes_read;
    switch (r->outcome) {
    case RESULT_CONVERTED: {
        /* Written by the worker, or to be written now. */
        int e = r->streamed ? r->stdout_errno : 0;
        if (r->json && !run->stdout_broken &&
            (fwrite(r->json, 1, r->json_len, stdout) != r->json_len || fflush(stdout) != 0))
            e = errno ? errno : EIO;
        if (e && !run->stdout_broken) {
            batch_clear_bar(run);
            cli_report("stdout", "write error: %s", strerror(e));
            run->stdout_broken = 1;
            atomic_store(&run->stop_now, 1);
        }
        run->converted++;
        break;
    }
    case RESULT_SKIPPED: run->skipped++; break;
    case RESULT_NOT_ATTEMPTED: run->not_attempted++; break;
    default:
        run->failed++;
        batch_clear_bar(run);
        cli_report(input->path, "%s", r->error ? r->error : "failed");
        batch_append_failure(run, input->path, r->error ? r->error : "failed", r->status ? r->status : "error");
        if (r->write_errno == ENOSPC || r->write_errno == EDQUOT) run->output_full = 1;
        break;
    }
    free(r->error);
    free(r->json);
    free(r);
    /* Everything up to this result is on stdout: the next one may write. */
    atomic_store(&run->emitted, index + 1);
    return run->output_full || run->stdout_broken;
}

/* ---- the command ---- */

int cmd_batch(int argc, char **argv)
{
    cli_getopt g;
    cli_getopt_init(&g, argc, argv, "batch", batch_usage);
    cli_common common;
    cli_common_init(&common);
    batch_run run;
    memset(&run, 0, sizeof run);
    int jobs = cli_online_cores();
    const char *glob = "*.txt";
    int pretty = 0, expand = 0;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t path_count = 0;
    if (!paths) return CLI_EXIT_FAILED;
    int id, status = CLI_EXIT_OK;
    while ((id = cli_getopt_next(&g, batch_options)) != CLI_OPT_END) {
        if (id == CLI_OPT_BAD) {
            free(paths);
            return CLI_EXIT_USAGE;
        }
        int shared = cli_common_option(&common, &g, id);
        if (shared < 0) {
            free(paths);
            return CLI_EXIT_USAGE;
        }
        if (shared) continue;
        switch (id) {
        case CLI_OPT_HELP: free(paths); print_batch_help(); return CLI_EXIT_OK;
        case BATCH_OUT: run.out_dir = g.value; break;
        case BATCH_JOBS:
            if (cli_parse_positive(g.value, &jobs) != 0) {
                free(paths);
                return cli_usage_error(&g, "-j: '%s' is not a positive number", g.value);
            }
            break;
        case BATCH_GLOB: glob = g.value; break;
        case BATCH_FORCE: run.force = 1; break;
        case BATCH_QUIET: run.quiet = 1; break;
        case BATCH_JSONL: run.jsonl = 1; break;
        case BATCH_PRETTY: pretty = 1; break;
        case BATCH_EXPAND: expand = 1; break;
        case CLI_OPT_POSITIONAL: paths[path_count++] = (char *)g.value; break;
        default: break;
        }
    }
    if (path_count == 0) status = cli_usage_error(&g, "missing PATH");
    else if (!run.jsonl && !run.out_dir) status = cli_usage_error(&g, "missing --out DIR (or use --jsonl)");
    else if (run.jsonl && run.out_dir) status = cli_usage_error(&g, "--jsonl prints to stdout; --out is not used");
    else if (run.out_dir && !*run.out_dir) status = cli_usage_error(&g, "--out needs a folder name");
    if (status) {
        free(paths);
        return status;
    }
    /* --jsonl lines are compact whatever --pretty says. */
    run.json_flags = (pretty && !run.jsonl ? ST_JSON_PRETTY : 0) | (expand ? ST_JSON_EXPAND : 0);
    run.max_bytes = common.max_bytes;

    status = cli_common_start(&common, &run.opt);
    if (status) {
        free(paths);
        return status;
    }
    if (run.out_dir) {
        int e = cli_make_dirs(run.out_dir);
        if (e) {
            cli_report(run.out_dir, "cannot create the output folder: %s", strerror(e));
            cli_common_finish(&common);
            free(paths);
            return CLI_EXIT_FAILED;
        }
    }

    if (run.out_dir) {
        if ((size_t)snprintf(batch_crash_record, sizeof batch_crash_record, "%s/crashes.txt", run.out_dir) >=
            sizeof batch_crash_record)
            batch_crash_record[0] = '\0';
        if (batch_crash_record[0]) batch_load_crashes(&run.crashes, batch_crash_record);
    }
    batch_stderr_tty = isatty(STDERR_FILENO);
    batch_catch_fatal_signals();

    cli_walk_options walk = {glob, run.out_dir};
    int stdin_listed = 0;
    for (size_t i = 0; i < path_count; i++) {
        if (strcmp(paths[i], "-") == 0) {
            if (stdin_listed++) continue; /* stdin can be read only once */
            int e = cli_list_from_stream(&run.inputs, stdin, &walk);
            if (e) cli_report("(stdin)", "cannot read the list of paths: %s", strerror(e));
        } else {
            cli_list_inputs(&run.inputs, paths[i], &walk);
        }
    }
    free(paths);
    if (!run.jsonl) batch_find_collisions(&run);
    else run.collides_with = calloc(run.inputs.count ? run.inputs.count : 1, sizeof *run.collides_with);
    if (!run.collides_with) abort();

    if (run.inputs.count == 0 && !run.quiet)
        fprintf(stderr, CLI_NAME ": batch: no input files (folders are searched for '%s')\n", glob);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = batch_on_signal;
    action.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&action.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);

    run.progress_tty = isatty(STDERR_FILENO);
    run.started = cli_now();
    run.last_draw = run.started;
    cli_pool_config pool = {
        .count = run.inputs.count,
        .jobs = jobs,
        /* File mode results are a few bytes, so a long reorder window costs
         * nothing; --jsonl results hold whole documents, so keep it short. */
        .window = run.jsonl ? (size_t)jobs * 4 + 4 : (size_t)jobs * 16 + 256,
        .context = &run,
        .work = batch_work,
        .emit = batch_emit,
        .tick = batch_tick,
        .tick_seconds = run.progress_tty ? 0.1 : 0.5,
    };
    size_t emitted = cli_pool_run(&pool);
    double seconds = cli_now() - run.started;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    batch_clear_bar(&run);

    if (run.out_dir) {
        char failures_path[PATH_MAX];
        snprintf(failures_path, sizeof failures_path, "%s/failures.jsonl", run.out_dir);
        int e = cli_write_atomic(failures_path, run.failures ? run.failures : "", run.failures_len, 1);
        if (e) {
            cli_report(failures_path, "cannot write: %s", strerror(e));
            status = CLI_EXIT_FAILED;
        }
        e = batch_save_crashes(&run.crashes, batch_crash_record);
        if (e) {
            cli_report(batch_crash_record, "cannot write: %s", strerror(e));
            status = CLI_EXIT_FAILED;
        }
    }

    size_t not_attempted = run.inputs.count - emitted + run.not_attempted;
    if (!run.quiet) {
        double mb_per_s = seconds > 0 ? (double)run.bytes_done / (1024.0 * 1024.0) / seconds : 0;
        fprintf(stderr, CLI_NAME ": batch: %zu converted, %zu skipped, %zu failed in %.2f s (%.1f MB/s)\n",
                run.converted, run.skipped, run.failed, seconds, mb_per_s);
    }
    if (not_attempted) {
        const char *why = run.output_full     ? "the output file system is full"
                          : run.stdout_broken ? "stdout cannot be written"
                                              : "interrupted";
        fprintf(stderr, CLI_NAME ": batch: stopped: %s; %zu file%s not attempted\n", why, not_attempted,
                not_attempted == 1 ? "" : "s");
    }
    if (run.failed || not_attempted || run.stdout_broken || atomic_load(&batch_interrupted)) status = CLI_EXIT_FAILED;

    free(run.failures);
    batch_free_crashes(&run.crashes);
    free(run.collides_with);
    cli_input_list_free(&run.inputs);
    cli_common_finish(&common);
    return status;
}
