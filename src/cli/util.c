/* Helpers shared by the commands: option parsing, the shared options,
 * reading input, error messages, atomic writes, streamed JSON output, UTF-8
 * and display width. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- option parsing ---- */

void cli_getopt_init(cli_getopt *g, int argc, char **argv, const char *command, const char *usage)
{
    memset(g, 0, sizeof *g);
    g->argc = argc;
    g->argv = argv;
    g->index = 1; /* argv[0] is the command name */
    g->command = command;
    g->usage = usage;
}

int cli_usage_error(const cli_getopt *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, CLI_NAME ": %s: ", g->command);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\nTry '" CLI_NAME " %s --help'.\n", g->usage, g->command);
    return CLI_EXIT_USAGE;
}

static const cli_option *cli_find_long(const cli_option *options, const char *name, size_t len)
{
    for (const cli_option *o = options; o->id; o++)
        if (o->long_name && strlen(o->long_name) == len && memcmp(o->long_name, name, len) == 0)
            return o;
    return NULL;
}

static const cli_option *cli_find_short(const cli_option *options, char c)
{
    for (const cli_option *o = options; o->id; o++)
        if (o->short_name == c) return o;
    return NULL;
}

int cli_getopt_next(cli_getopt *g, const cli_option *options)
{
    g->value = NULL;
    if (g->index >= g->argc) return CLI_OPT_END;
    const char *arg = g->argv[g->index++];
    if (g->options_ended || arg[0] != '-' || arg[1] == '\0') {
        g->value = arg;
        return CLI_OPT_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        g->options_ended = 1;
        return cli_getopt_next(g, options);
    }
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *o = cli_find_long(options, name, len);
        if (!o) {
            cli_usage_error(g, "unknown option '--%.*s'", (int)len, name);
            return CLI_OPT_BAD;
        }
        if (o->arg == CLI_ARG_NONE && eq) {
            cli_usage_error(g, "option '--%s' takes no value", o->long_name);
            return CLI_OPT_BAD;
        }
        if (eq) {
            g->value = eq + 1;
        } else if (o->arg == CLI_ARG_REQUIRED) {
            if (g->index >= g->argc) {
                cli_usage_error(g, "option '--%s' needs a value", o->long_name);
                return CLI_OPT_BAD;
            }
            g->value = g->argv[g->index++];
        }
        return o->id;
    }
    /* One short option per argument, with its value attached or next. */
    const cli_option *o = cli_find_short(options, arg[1]);
    if (!o) {
        cli_usage_error(g, "unknown option '%s'", arg);
        return CLI_OPT_BAD;
    }
    if (o->arg == CLI_ARG_NONE) {
        if (arg[2]) {
            cli_usage_error(g, "unknown option '%s'", arg);
            return CLI_OPT_BAD;
        }
        return o->id;
    }
    if (arg[2]) {
        g->value = arg + 2;
    } else if (g->index < g->argc) {
        g->value = g->argv[g->index++];
    } else {
        cli_usage_error(g, "option '-%c' needs a value", o->short_name);
        return CLI_OPT_BAD;
    }
    return o->id;
}

/* ---- shared options ---- */

const char cli_common_help[] =
    "  --encoding NAME     read the input in this encoding (an ICU converter name,\n"
    "                      e.g. GB18030, Big5, UTF-16LE) instead of detecting it\n"
    "  --lossy             replace invalid bytes with U+FFFD instead of failing\n"
    "  --keep-noise        do not remove watermarks, ads and other noise\n"
    "  --noise-rules FILE  extra noise rules (JSON, same format as noise-rules.json)\n"
    "  --dict FILE         extra censored-word dictionary (TSV: word, expansion)\n"
    "  --max-bytes N       refuse inputs larger than N bytes (suffixes K, M, G;\n"
    "                      default 256M)\n"
    "  -h, --help          show this help\n";

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->max_bytes = ST_DEFAULT_MAX_BYTES;
}

int cli_common_option(cli_common *c, cli_getopt *g, int id)
{
    switch (id) {
    case CLI_OPT_ENCODING:
        if (!*g->value) {
            cli_usage_error(g, "--encoding needs a name");
            return -1;
        }
        c->encoding = g->value;
        return 1;
    case CLI_OPT_LOSSY: c->lossy = 1; return 1;
    case CLI_OPT_KEEP_NOISE: c->keep_noise = 1; return 1;
    case CLI_OPT_NOISE_RULES: c->noise_rules = g->value; return 1;
    case CLI_OPT_DICT: c->dict = g->value; return 1;
    case CLI_OPT_MAX_BYTES:
        if (cli_parse_size(g->value, &c->max_bytes) != 0 || c->max_bytes == 0) {
            cli_usage_error(g, "--max-bytes: '%s' is not a size (e.g. 1048576, 512K, 10M, 2G)", g->value);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

int cli_common_start(cli_common *c, st_options *opt)
{
    st_options_init(opt);
    opt->encoding = c->encoding;
    opt->lossy = c->lossy;
    opt->keep_noise = c->keep_noise;
    opt->max_bytes = c->max_bytes;
    if (c->noise_rules || c->dict) {
        st_error err;
        memset(&err, 0, sizeof err);
        c->own_rules = st_rules_new(c->noise_rules, c->dict, &err);
        if (!c->own_rules) {
            /* The error does not say which file it was; on this rare path,
             * loading the noise rules alone tells. */
            const char *culprit = c->noise_rules ? c->noise_rules : c->dict;
            if (c->noise_rules && c->dict) {
                st_error probe;
                st_rules *alone = st_rules_new(c->noise_rules, NULL, &probe);
                if (alone) {
                    culprit = c->dict;
                    st_rules_free(alone);
                }
            }
            char message[320];
            cli_describe_error(&err, message, sizeof message);
            if (strstr(message, culprit)) fprintf(stderr, CLI_NAME ": %s\n", message);
            else cli_report(culprit, "%s", message);
            return CLI_EXIT_USAGE;
        }
        opt->rules = c->own_rules;
    } else {
        opt->rules = st_rules_default();
    }
    if (c->encoding) {
        /* Refuse an unknown encoding once, instead of once per file. */
        st_error err;
        st_doc *probe = st_parse("x", 1, opt, &err);
        if (probe) st_doc_free(probe);
        else if (err.status == ST_ERR_ENCODING) {
            if (strstr(err.message, c->encoding)) fprintf(stderr, CLI_NAME ": %s\n", err.message);
            else fprintf(stderr, CLI_NAME ": unknown encoding '%s': %s\n", c->encoding, err.message);
            cli_common_finish(c);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

void cli_common_finish(cli_common *c)
{
    st_rules_free(c->own_rules);
    c->own_rules = NULL;
}

/* ---- input ---- */

void cli_buffer_free(cli_buffer *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int cli_buffer_reserve(cli_buffer *b, size_t need)
{
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *data = realloc(b->data, cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static void cli_set_error(st_error *err, st_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cli_set_error(st_error *err, st_status status, const char *fmt, ...)
{
    memset(err, 0, sizeof *err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

int cli_read_input(const char *path, size_t max_bytes, cli_buffer *buf, st_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_set_error(err, ST_ERR_IO, "cannot open: %s", strerror(errno));
        return -1;
    }
    buf->len = 0;
    struct stat st;
    size_t expected = 0;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_set_error(err, ST_ERR_IO, "is a directory");
            goto fail;
        }
        if (S_ISREG(st.st_mode)) {
            if ((unsigned long long)st.st_size > max_bytes) {
                cli_set_error(err, ST_ERR_TOO_LARGE,
                              "input is %lld bytes, more than the limit of %zu bytes (--max-bytes)",
                              (long long)st.st_size, max_bytes);
                err->byte_offset = max_bytes;
                goto fail;
            }
            expected = (size_t)st.st_size;
        }
    }
    if (cli_buffer_reserve(buf, expected + 1) != 0) goto nomem;
    for (;;) {
        if (buf->len == buf->cap && cli_buffer_reserve(buf, buf->cap + 1) != 0) goto nomem;
        ssize_t got = read(fd, buf->data + buf->len, buf->cap - buf->len);
        if (got < 0) {
            if (errno == EINTR) continue;
            cli_set_error(err, ST_ERR_IO, "read error: %s", strerror(errno));
            goto fail;
        }
        if (got == 0) break;
        buf->len += (size_t)got;
        /* A pipe or a file that grew: stop as soon as the limit is passed. */
        if (buf->len > max_bytes) {
            cli_set_error(err, ST_ERR_TOO_LARGE,
                          "input is more than the limit of %zu bytes (--max-bytes)", max_bytes);
            err->byte_offset = max_bytes;
            goto fail;
        }
    }
    if (!is_stdin) close(fd);
    return 0;
nomem:
    cli_set_error(err, ST_ERR_NOMEM, "out of memory while reading");
fail:
    if (!is_stdin) close(fd);
    return -1;
}

const char *cli_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "(stdin)" : path;
}

void cli_describe_error(const st_error *err, char *out, size_t size)
{
    const char *message = err->message[0] ? err->message : "failed";
    if (err->line == 0) {
        snprintf(out, size, "%s", message);
        return;
    }
    char probe[64];
    snprintf(probe, sizeof probe, "line %zu", err->line);
    char probe_colon[64];
    snprintf(probe_colon, sizeof probe_colon, "%zu:%zu", err->line, err->column);
    if (strstr(message, probe) || strstr(message, probe_colon))
        snprintf(out, size, "%s", message);
    else if (err->column)
        snprintf(out, size, "%s (line %zu, column %zu)", message, err->line, err->column);
    else
        snprintf(out, size, "%s (line %zu)", message, err->line);
}

const char *cli_status_name(st_status status)
{
    switch (status) {
    case ST_OK: return "ok";
    case ST_ERR_DECODE: return "decode";
    case ST_ERR_ENCODING: return "encoding";
    case ST_ERR_TOO_LARGE: return "too-large";
    case ST_ERR_BINARY: return "binary";
    case ST_ERR_IO: return "io";
    case ST_ERR_RULES: return "rules";
    case ST_ERR_NOMEM: return "nomem";
    case ST_ERR_ARG: return "arg";
    }
    return "error";
}

void cli_report(const char *what, const char *fmt, ...)
{
    /* One fprintf so that lines from different threads do not interleave. */
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fprintf(stderr, CLI_NAME ": %s: %s\n", what, message);
}

/* ---- output ---- */

int cli_write_fd(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int cli_sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    close(fd);
    return e;
}

/* Devices, FIFOs and sockets are written in place: renaming over them would
 * replace, say, /dev/null with a regular file. */
static int cli_write_in_place(const char *path, cli_producer produce, void *ctx, int create)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0666);
    if (fd < 0) return errno;
    int e = produce(fd, ctx);
    if (close(fd) != 0 && !e) e = errno;
    return e;
}

int cli_write_atomic_with(const char *path, cli_producer produce, void *ctx, int sync_dir)
{
    struct stat st;
    char resolved[PATH_MAX];
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            /* Through a symbolic link: replace its target, keep the link. */
            if (stat(path, &st) != 0) /* dangling: create the target */
                return cli_write_in_place(path, produce, ctx, 1);
            if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? EISDIR : cli_write_in_place(path, produce, ctx, 0);
            if (!realpath(path, resolved)) return errno;
            path = resolved;
        } else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            return cli_write_in_place(path, produce, ctx, 0);
        }
    }
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST) {
        /* Left by an earlier run that was killed and had our pid. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    if (fd < 0) return errno;
    int e = produce(fd, ctx);
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return e;
    }
    return sync_dir ? cli_sync_parent_dir(path) : 0;
}

typedef struct cli_bytes {
    const char *data;
    size_t len;
} cli_bytes;

static int cli_produce_bytes(int fd, void *ctx)
{
    const cli_bytes *b = ctx;
    return cli_write_fd(fd, b->data, b->len);
}

int cli_write_atomic(const char *path, const char *data, size_t len, int sync_dir)
{
    cli_bytes b = {data, len};
    return cli_write_atomic_with(path, cli_produce_bytes, &b, sync_dir);
}

/* ---- JSON output: streamed, never built in memory ---- */

typedef struct cli_json_sink {
    int fd;    /* or */
    FILE *out;
    int error; /* errno of the failed write */
} cli_json_sink;

static int cli_json_to_fd(void *ctx, const char *data, size_t len)
{
    cli_json_sink *s = ctx;
    s->error = cli_write_fd(s->fd, data, len);
    return s->error != 0;
}

static int cli_json_to_stream(void *ctx, const char *data, size_t len)
{
    cli_json_sink *s = ctx;
    if (fwrite(data, 1, len, s->out) == len) return 0;
    s->error = errno ? errno : EIO;
    return 1;
}

/* The errno to report for a failed st_render_json_to. */
static int cli_render_errno(int status, const cli_json_sink *s)
{
    if (status == ST_ERR_IO) return s->error ? s->error : EIO;
    return status == ST_ERR_NOMEM ? ENOMEM : EINVAL;
}

/* The JSON is one line: it never ends with a newline, so one is added. */
int cli_write_json_fd(int fd, const st_doc *doc, unsigned flags)
{
    cli_json_sink s = {.fd = fd};
    int status = st_render_json_to(doc, flags, cli_json_to_fd, &s);
    if (status != ST_OK) return cli_render_errno(status, &s);
    return cli_write_fd(fd, "\n", 1);
}

int cli_write_json_stream(FILE *out, const st_doc *doc, unsigned flags)
{
    cli_json_sink s = {.fd = -1, .out = out};
    errno = 0;
    int status = st_render_json_to(doc, flags, cli_json_to_stream, &s);
    if (status != ST_OK) return cli_render_errno(status, &s);
    if (putc('\n', out) == EOF || fflush(out) != 0) return errno ? errno : EIO;
    return 0;
}

typedef struct cli_json_job {
    const st_doc *doc;
    unsigned flags;
} cli_json_job;

static int cli_produce_json(int fd, void *ctx)
{
    const cli_json_job *job = ctx;
    return cli_write_json_fd(fd, job->doc, job->flags);
}

int cli_write_json_atomic(const char *path, const st_doc *doc, unsigned flags, int sync_dir)
{
    cli_json_job job = {doc, flags};
    return cli_write_atomic_with(path, cli_produce_json, &job, sync_dir);
}

int cli_make_dirs(const char *dir)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path) return ENAMETOOLONG;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
    struct stat st;
    if (stat(path, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return errno;
    if (stat(path, &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* ---- numbers ---- */

int cli_parse_size(const char *text, size_t *out)
{
    if (!text || *text < '0' || *text > '9') return -1;
    errno = 0;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno) return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'b' || end[1] == 'B')) end += 2;
    else if (*end == 'b' || *end == 'B') end++;
    if (*end) return -1;
    if (value > (unsigned long long)SIZE_MAX >> shift) return -1;
    *out = (size_t)(value << shift);
    return 0;
}

int cli_parse_positive(const char *text, int *out)
{
    if (!text || *text < '0' || *text > '9') return -1;
    errno = 0;
    char *end;
    long value = strtol(text, &end, 10);
    if (errno || *end || value < 1 || value > INT_MAX) return -1;
    *out = (int)value;
    return 0;
}

int cli_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- UTF-8 and display width ---- */

unsigned cli_utf8_next(const char *s, size_t len, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) {
        *n = 0;
        return 0;
    }
    unsigned c = u[0];
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (need == 0 || need > len) {
        *n = 1;
        return 0xFFFD;
    }
    if (need == 1) {
        *n = 1;
        return c;
    }
    c &= 0x7F >> need;
    for (size_t i = 1; i < need; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    *n = need;
    return c;
}

int cli_is_space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == 0x3000 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200D) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x2060 || c == 0xFEFF;
}

int cli_char_width(unsigned c)
{
    if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;
    /* Combining marks, zero-width spaces and joiners, variation selectors. */
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x2060 && c <= 0x2064) ||
        (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || (c >= 0x1AB0 && c <= 0x1AFF) ||
        (c >= 0x20D0 && c <= 0x20FF))
        return 0;
    /* East Asian Wide and Fullwidth ranges (ambiguous ones such as “ ” … count as 1). */
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
        (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE10 && c <= 0xFE19) ||
        (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) ||
        (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
        (c >= 0x20000 && c <= 0x2FFFD) || (c >= 0x30000 && c <= 0x3FFFD))
        return 2;
    return 1;
}
