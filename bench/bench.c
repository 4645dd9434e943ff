/* speechtree-bench: throughput and memory of the speechtree library.
 *
 *   speechtree-bench ARCHIVE_DIR [--runs N] [--big FILE] [--json OUT]
 *                    [--max-mb M] [--max-files N] [--only parse|json|mem]
 *   speechtree-bench ARCHIVE_DIR --profile [--enc utf8|gb18030|all] [--max-mb M]
 *
 * Loads every file under ARCHIVE_DIR into memory, sorts the files by encoding
 * (UTF-16 BOM; valid UTF-8; else GB18030), then times, on one thread with the
 * shared st_rules_default():
 *   parse       st_parse + st_doc_free
 *   parse+json  st_parse + st_render_json + free + st_doc_free
 * for each encoding group, each figure the median of N runs (default 5).
 * MB/s are of input bytes, MB = 10^6 bytes.
 *
 * --big FILE: peak memory of parsing + rendering one (large) document, measured
 * in a fresh process (this program re-executed with --mem-child) as VmHWM from
 * /proc/self/status, done before the archive is loaded. The JSON is rendered
 * as the CLI does, streamed (st_render_json_to) into a sink that only counts
 * the bytes: the figure is the parse plus the renderer's fixed buffer.
 *
 * --profile: one parse+json pass over the selected files between
 * CALLGRIND_START/STOP_INSTRUMENTATION (run it under
 * valgrind --tool=callgrind --instr-atstart=no); see bench/profile.sh. */
#include "speechtree.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_START_INSTRUMENTATION ((void)0)
#define CALLGRIND_STOP_INSTRUMENTATION ((void)0)
#define CALLGRIND_ZERO_STATS ((void)0)
#endif

enum { ENC_UTF8, ENC_GB18030, ENC_UTF16, ENC_N };
static const char *enc_name[ENC_N] = {"UTF-8", "GB18030", "UTF-16"};

typedef struct file {
    char *path;
    char *data;
    size_t len;
    int enc;
} file;

typedef struct files {
    file *v;
    size_t n, cap;
} files;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "speechtree-bench: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: on a machine shared with other work, wall time
 * includes the time the scheduler gave to others; this does not. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int read_all(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat st;
    size_t cap = (fstat(fileno(f), &st) == 0 && st.st_size > 0) ? (size_t)st.st_size + 1 : 65536;
    char *buf = malloc(cap);
    size_t n = 0;
    if (!buf) { fclose(f); return -1; }
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return -1; }
    *data = buf;
    *len = n;
    return 0;
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t k;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) { k = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { k = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { k = 3; cp = c & 0x07; }
        else return 0;
        if (k >= n - i) return 0; /* truncated sequence */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int sniff(const char *d, size_t n)
{
    const unsigned char *u = (const unsigned char *)d;
    if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) return ENC_UTF16;
    if (valid_utf8(u, n)) return ENC_UTF8;
    return ENC_GB18030;
}

static void walk(const char *dir, files *out)
{
    DIR *d = opendir(dir);
    if (!d) die("cannot open directory %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) { free(p); continue; }
        if (S_ISDIR(st.st_mode)) {
            walk(p, out);
            free(p);
        } else if (S_ISREG(st.st_mode)) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 1024;
                out->v = realloc(out->v, out->cap * sizeof *out->v);
                if (!out->v) die("%s", "out of memory");
            }
            out->v[out->n++] = (file){.path = p};
        } else {
            free(p);
        }
    }
    closedir(d);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const file *)a)->path, ((const file *)b)->path);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct pass_result {
    double cpu_s;
    size_t failures;
    size_t out_bytes;
    char first_error[300];
} pass_result;

/* One pass over the files: parse (and render). Kept out of line so that it
 * shows up as one function in a profile. */
__attribute__((noinline)) static double run_pass(file **fs, size_t n, int json, const st_options *opt,
                                                 pass_result *res)
{
    memset(res, 0, sizeof *res);
    double c0 = cpu_now();
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        st_error err;
        st_doc *doc = st_parse(fs[i]->data, fs[i]->len, opt, &err);
        if (!doc) {
            if (!res->failures++)
                snprintf(res->first_error, sizeof res->first_error, "%s: %s", fs[i]->path, err.message);
            continue;
        }
        if (json) {
            size_t len = 0;
            char *s = st_render_json(doc, 0, &len);
            res->out_bytes += len;
            free(s);
        }
        st_doc_free(doc);
    }
    double t = now() - t0;
    res->cpu_s = cpu_now() - c0;
    return t;
}

typedef struct measure {
    const char *name;
    int enc; /* -1 all */
    int json;
    size_t files, bytes, failures, out_bytes;
    double median, min, max, cpu_median;
    int runs;
    int done;
} measure;

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* A st_write_fn that only counts the bytes. */
static int count_bytes(void *ctx, const char *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

/* Child mode: parse + render one file, print sizes and VmHWM. */
static int mem_child(const char *path)
{
    char *data;
    size_t len;
    long start_kb = vm_hwm_kb();
    if (read_all(path, &data, &len)) die("cannot read %s", path);
    /* touch the rules and converters once with a tiny parse so that their
       one-time cost is in the baseline, not in the document's figure */
    st_options opt;
    st_options_init(&opt);
    opt.rules = st_rules_default();
    st_doc *warm = st_parse("一、问题\n", strlen("一、问题\n"), &opt, NULL);
    if (warm) {
        size_t wl = 0;
        st_render_json_to(warm, 0, count_bytes, &wl);
        st_doc_free(warm);
    }
    long base_kb = vm_hwm_kb();
    double t0 = now();
    st_error err;
    st_doc *doc = st_parse(data, len, &opt, &err);
    double t1 = now();
    long parse_kb = vm_hwm_kb();
    size_t out = 0;
    int ok = doc != NULL;
    int rendered = ST_OK;
    if (doc) {
        rendered = st_render_json_to(doc, 0, count_bytes, &out);
        st_doc_free(doc);
    }
    double t2 = now();
    long peak_kb = vm_hwm_kb();
    if (!ok) fprintf(stderr, "speechtree-bench: %s: %s\n", path, err.message);
    else if (rendered != ST_OK)
        fprintf(stderr, "speechtree-bench: %s: st_render_json_to failed (%d)\n", path, rendered);
    ok = ok && rendered == ST_OK;
    printf("%zu %ld %ld %ld %.6f %.6f %zu %d %ld\n", len, start_kb, base_kb, peak_kb, t1 - t0, t2 - t0, out, ok,
           parse_kb);
    free(data);
    return ok ? 0 : 1;
}

typedef struct mem_result {
    int done, ok;
    size_t size, json_bytes;
    long start_kb, base_kb, peak_kb, maxrss_kb, parse_kb;
    double parse_s, total_s;
} mem_result;

static void measure_mem(const char *self, const char *path, mem_result *m)
{
    memset(m, 0, sizeof *m);
    int fd[2];
    if (pipe(fd)) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(self, self, "--mem-child", path, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[512];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
    buf[n] = 0;
    close(fd[0]);
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    int ok = 0;
    if (sscanf(buf, "%zu %ld %ld %ld %lf %lf %zu %d %ld", &m->size, &m->start_kb, &m->base_kb, &m->peak_kb,
               &m->parse_s, &m->total_s, &m->json_bytes, &ok, &m->parse_kb) == 9) {
        m->done = 1;
        m->ok = ok;
        m->maxrss_kb = ru.ru_maxrss;
    }
}

static void usage(void)
{
    fputs("usage: speechtree-bench ARCHIVE_DIR [--runs N] [--big FILE] [--json OUT] [--max-mb M] [--max-files N]\n"
          "                        [--only parse|json|mem] [--profile [--enc utf8|gb18030|utf16|all]]\n",
          stderr);
    exit(2);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *big = NULL, *json_out = NULL, *only = NULL, *profile_enc = "all";
    int runs = 5, profile = 0;
    size_t max_files = 0;
    double max_mb = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--mem-child") && i + 1 < argc) return mem_child(argv[i + 1]);
        else if (!strcmp(a, "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(a, "--big") && i + 1 < argc) big = argv[++i];
        else if (!strcmp(a, "--json") && i + 1 < argc) json_out = argv[++i];
        else if (!strcmp(a, "--max-mb") && i + 1 < argc) max_mb = atof(argv[++i]);
        else if (!strcmp(a, "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(a, "--max-files") && i + 1 < argc) max_files = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--profile")) profile = 1;
        else if (!strcmp(a, "--enc") && i + 1 < argc) profile_enc = argv[++i];
        else if (a[0] == '-') usage();
        else if (!dir) dir = a;
        else usage();
    }
    if (!dir && !big) usage();
    if (runs < 1) runs = 1;

    /* 1. memory of one large document, first, while this process is small */
    mem_result mem = {0};
    if (big && !profile && (!only || !strcmp(only, "mem"))) {
        char self[4096];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k <= 0) die("%s", "cannot find /proc/self/exe");
        self[k] = 0;
        measure_mem(self, big, &mem);
        if (!mem.done) fprintf(stderr, "speechtree-bench: memory measurement of %s failed\n", big);
    }

    /* 2. load the archive */
    files all = {0};
    size_t count[ENC_N] = {0}, bytes[ENC_N] = {0};
    if (dir) {
        walk(dir, &all);
        qsort(all.v, all.n, sizeof *all.v, by_path);
        if (max_files && all.n > max_files) {
            for (size_t i = max_files; i < all.n; i++) free(all.v[i].path);
            all.n = max_files;
        }
        size_t limit = max_mb > 0 ? (size_t)(max_mb * 1e6) : SIZE_MAX;
        size_t keep = 0;
        for (size_t i = 0; i < all.n; i++) {
            file f = all.v[i];
            if (read_all(f.path, &f.data, &f.len)) die("cannot read %s", f.path);
            f.enc = sniff(f.data, f.len);
            if (bytes[f.enc] >= limit) { free(f.data); free(f.path); continue; }
            count[f.enc]++;
            bytes[f.enc] += f.len;
            all.v[keep++] = f;
        }
        all.n = keep;
        if (!all.n) die("no files under %s", dir);
        size_t tb = bytes[0] + bytes[1] + bytes[2];
        fprintf(stderr, "speechtree-bench: %zu files, %.1f MB (UTF-8 %zu files %.1f MB, GB18030 %zu files %.1f MB, "
                        "UTF-16 %zu files %.1f MB)\n",
                all.n, tb / 1e6, count[0], bytes[0] / 1e6, count[1], bytes[1] / 1e6, count[2], bytes[2] / 1e6);
    }
    file **by_enc[ENC_N], **every = malloc((all.n + 1) * sizeof *every);
    size_t nby[ENC_N] = {0};
    for (int e = 0; e < ENC_N; e++) by_enc[e] = malloc((count[e] + 1) * sizeof **by_enc);
    for (size_t i = 0; i < all.n; i++) {
        every[i] = &all.v[i];
        by_enc[all.v[i].enc][nby[all.v[i].enc]++] = &all.v[i];
    }

    st_options opt;
    st_options_init(&opt);
    opt.rules = st_rules_default();
    if (!opt.rules) die("%s", "st_rules_default() failed");

    if (profile) {
        file **sel = every;
        size_t n = all.n;
        if (!strcmp(profile_enc, "utf8")) sel = by_enc[ENC_UTF8], n = nby[ENC_UTF8];
        else if (!strcmp(profile_enc, "gb18030")) sel = by_enc[ENC_GB18030], n = nby[ENC_GB18030];
        else if (!strcmp(profile_enc, "utf16")) sel = by_enc[ENC_UTF16], n = nby[ENC_UTF16];
        if (!n) die("no files of encoding %s", profile_enc);
        pass_result pr;
        run_pass(sel, n > 2 ? 2 : n, 1, &opt, &pr); /* warm-up: rules, converters */
        CALLGRIND_ZERO_STATS;
        CALLGRIND_START_INSTRUMENTATION;
        double t = run_pass(sel, n, 1, &opt, &pr);
        CALLGRIND_STOP_INSTRUMENTATION;
        size_t b = 0;
        for (size_t i = 0; i < n; i++) b += sel[i]->len;
        printf("profiled %zu files %zu bytes %.3f s %zu failures\n", n, b, t, pr.failures);
        if (pr.failures) fprintf(stderr, "speechtree-bench: first failure: %s\n", pr.first_error);
        return 0;
    }

    /* 3. throughput */
    measure ms[] = {
        {.name = "parse", .enc = ENC_UTF8, .json = 0},
        {.name = "parse+json", .enc = ENC_UTF8, .json = 1},
        {.name = "parse", .enc = ENC_GB18030, .json = 0},
        {.name = "parse+json", .enc = ENC_GB18030, .json = 1},
        {.name = "parse", .enc = ENC_UTF16, .json = 0},
        {.name = "parse+json", .enc = ENC_UTF16, .json = 1},
    };
    size_t nms = sizeof ms / sizeof ms[0];
    double *times = malloc((size_t)runs * sizeof *times);
    double *cpus = malloc((size_t)runs * sizeof *cpus);
    if (dir) {
        run_pass(every, all.n < 50 ? all.n : 50, 1, &opt, &(pass_result){0}); /* warm-up */
        for (size_t k = 0; k < nms; k++) {
            measure *m = &ms[k];
            if (only && strcmp(only, m->json ? "json" : "parse")) continue;
            size_t n = nby[m->enc];
            if (!n) continue;
            pass_result pr = {0};
            for (int r = 0; r < runs; r++) {
                times[r] = run_pass(by_enc[m->enc], n, m->json, &opt, &pr);
                cpus[r] = pr.cpu_s;
            }
            qsort(times, (size_t)runs, sizeof *times, cmp_double);
            qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
            m->cpu_median = runs % 2 ? cpus[runs / 2] : (cpus[runs / 2 - 1] + cpus[runs / 2]) / 2;
            m->median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
            m->min = times[0];
            m->max = times[runs - 1];
            m->runs = runs;
            m->files = n;
            m->bytes = bytes[m->enc];
            m->failures = pr.failures;
            m->out_bytes = pr.out_bytes;
            m->done = 1;
            if (pr.failures)
                fprintf(stderr, "speechtree-bench: %s %s: %zu of %zu files failed, first: %s\n", m->name,
                        enc_name[m->enc], pr.failures, n, pr.first_error);
            fprintf(stderr, "  %-10s %-8s %8.1f MB/s %9.0f docs/s  (median %.3f s of %d, min %.3f max %.3f; "
                            "cpu %.3f s = %.1f MB/s)\n",
                    m->name, enc_name[m->enc], m->bytes / 1e6 / m->median, m->files / m->median, m->median, runs,
                    m->min, m->max, m->cpu_median, m->bytes / 1e6 / m->cpu_median);
        }
    }

    /* 4. report */
    printf("%-22s %10s %10s %10s %9s %9s %10s\n", "measurement", "MB/s", "docs/s", "median s", "files", "failed",
           "cpu MB/s");
    for (size_t k = 0; k < nms; k++) {
        measure *m = &ms[k];
        if (!m->done) continue;
        char label[64];
        snprintf(label, sizeof label, "%s %s", m->name, enc_name[m->enc]);
        printf("%-22s %10.1f %10.0f %10.3f %9zu %9zu %10.1f\n", label, m->bytes / 1e6 / m->median,
               m->files / m->median, m->median, m->files, m->failures, m->bytes / 1e6 / m->cpu_median);
    }
    /* all files = the sum of the groups (no separate pass) */
    for (int json = 0; json < 2; json++) {
        double t = 0, c = 0;
        size_t b = 0, f = 0, fail = 0;
        int have = 0;
        for (size_t k = 0; k < nms; k++) {
            if (!ms[k].done || ms[k].json != json) continue;
            t += ms[k].median, c += ms[k].cpu_median, b += ms[k].bytes, f += ms[k].files;
            fail += ms[k].failures, have++;
        }
        if (have && t > 0)
            printf("%-22s %10.1f %10.0f %10.3f %9zu %9zu %10.1f\n", json ? "parse+json all" : "parse all",
                   b / 1e6 / t, f / t, t, f, fail, b / 1e6 / c);
    }
    if (mem.done) {
        double size_mb = mem.size / 1048576.0;
        double peak_mb = mem.peak_kb / 1024.0;
        double limit_mb = 4 * size_mb + 32;
        printf("\nlarge document: %.1f MiB, parse %.3f s, parse+json (streamed) %.3f s (%.1f MB/s), json %.1f MiB%s\n",
               size_mb, mem.parse_s, mem.total_s, mem.size / 1e6 / mem.total_s, mem.json_bytes / 1048576.0,
               mem.ok ? "" : " (FAILED)");
        printf("peak RSS (VmHWM) %.1f MiB = %.2f x size; before parsing %.1f MiB (input loaded), after st_parse "
               "%.1f MiB; limit 4 x size + 32 MiB = %.1f MiB: %s\n",
               peak_mb, peak_mb / size_mb, mem.base_kb / 1024.0, mem.parse_kb / 1024.0, limit_mb,
               peak_mb <= limit_mb ? "met" : "NOT met");
    }

    if (json_out) {
        FILE *f = fopen(json_out, "w");
        if (!f) die("cannot write %s", json_out);
        fprintf(f, "{\n  \"runs\": %d,\n  \"measurements\": [", runs);
        int first = 1;
        for (size_t k = 0; k < nms; k++) {
            measure *m = &ms[k];
            if (!m->done) continue;
            fprintf(f, "%s\n    {\"name\": \"%s\", \"encoding\": \"%s\", \"files\": %zu, \"bytes\": %zu, "
                       "\"median_s\": %.6f, \"min_s\": %.6f, \"max_s\": %.6f, \"mb_per_s\": %.3f, "
                       "\"docs_per_s\": %.3f, \"failures\": %zu, \"json_bytes\": %zu, \"cpu_median_s\": %.6f, "
                    "\"cpu_mb_per_s\": %.3f}",
                    first ? "" : ",", m->name, enc_name[m->enc], m->files, m->bytes, m->median, m->min, m->max,
                    m->bytes / 1e6 / m->median, m->files / m->median, m->failures, m->out_bytes, m->cpu_median,
                    m->bytes / 1e6 / m->cpu_median);
            first = 0;
        }
        fprintf(f, "\n  ]");
        if (mem.done) {
            fprintf(f, ",\n  \"big\": {\"path\": ");
            json_str(f, big);
            fprintf(f, ", \"ok\": %s, \"bytes\": %zu, \"json_bytes\": %zu, \"start_kb\": %ld, \"base_kb\": %ld, "
                       "\"peak_kb\": %ld, \"parse_peak_kb\": %ld, \"maxrss_kb\": %ld, \"parse_s\": %.6f, "
                       "\"parse_json_s\": %.6f}",
                    mem.ok ? "true" : "false", mem.size, mem.json_bytes, mem.start_kb, mem.base_kb, mem.peak_kb,
                    mem.parse_kb, mem.maxrss_kb, mem.parse_s, mem.total_s);
        }
        fprintf(f, "\n}\n");
        fclose(f);
    }

    for (size_t i = 0; i < all.n; i++) free(all.v[i].data), free(all.v[i].path);
    free(all.v);
    free(every);
    free(times);
    free(cpus);
    for (int e = 0; e < ENC_N; e++) free(by_enc[e]);
    return 0;
}
