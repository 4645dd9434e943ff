/* Listing the input files of batch and stats. Only names and sizes are
 * gathered here; contents are read later, one file per worker at a time. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *cli_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (!copy) abort(); /* a list of names does not run out of memory in practice */
    memcpy(copy, s, n);
    return copy;
}

static char *cli_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *path = malloc(a + (size_t)slash + b + 1);
    if (!path) abort();
    memcpy(path, dir, a);
    if (slash) path[a] = '/';
    memcpy(path + a + (size_t)slash, name, b + 1);
    return path;
}

static cli_input *cli_push(cli_input_list *list)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 256;
        cli_input *items = realloc(list->items, cap * sizeof *items);
        if (!items) abort();
        list->items = items;
        list->cap = cap;
    }
    cli_input *item = &list->items[list->count++];
    memset(item, 0, sizeof *item);
    item->size = -1;
    return item;
}

static void cli_push_file(cli_input_list *list, char *path, char *relative, long long size)
{
    cli_input *item = cli_push(list);
    item->path = path;
    item->relative = relative;
    item->size = size;
    if (size > 0) list->total_bytes += size;
}

static void cli_push_error(cli_input_list *list, const char *path, const char *error)
{
    cli_input *item = cli_push(list);
    item->path = cli_strdup(path);
    item->relative = cli_strdup(path);
    item->error = cli_strdup(error);
}

static int cli_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir (whose path relative to the argument is rel, "" at the top). */
static void cli_walk_dir(cli_input_list *list, const char *dir, const char *rel,
                         const cli_walk_options *opt, const struct stat *exclude)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_push_error(list, dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *entry;
    while ((entry = readdir(d))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) abort();
        }
        names[count++] = cli_strdup(entry->d_name);
    }
    closedir(d);
    /* Byte order of names, so that "input order" is the same on every run. */
    qsort(names, count, sizeof *names, cli_compare_names);
    for (size_t i = 0; i < count; i++) {
        char *path = cli_join(dir, names[i]);
        char *relative = *rel ? cli_join(rel, names[i]) : cli_strdup(names[i]);
        struct stat st;
        /* lstat first: symbolic links to directories are not followed, so a
         * link cycle cannot make the walk endless; links to files are. */
        if (lstat(path, &st) != 0) {
            cli_push_error(list, path, strerror(errno));
            free(path);
            free(relative);
        } else if (S_ISDIR(st.st_mode)) {
            if (!(exclude && st.st_dev == exclude->st_dev && st.st_ino == exclude->st_ino))
                cli_walk_dir(list, path, relative, opt, exclude);
            free(path);
            free(relative);
        } else if (fnmatch(opt->glob, names[i], 0) == 0 &&
                   (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode)))) {
            cli_push_file(list, path, relative, (long long)st.st_size);
        } else {
            free(path);
            free(relative);
        }
        free(names[i]);
    }
    free(names);
}

/* The relative path of a file named directly: its basename. */
static char *cli_basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return cli_strdup(slash ? slash + 1 : path);
}

/* The relative path of a file listed on stdin: the path itself without a
 * leading "/" or "./", so that a list made by find keeps its folders; the
 * basename when the path climbs with "..". */
static char *cli_mirror_of(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")); p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) return cli_basename_of(path);
    for (;;) {
        if (path[0] == '/') path++;
        else if (path[0] == '.' && path[1] == '/') path += 2;
        else break;
    }
    return cli_strdup(path);
}

static void cli_list_one(cli_input_list *list, const char *arg, const cli_walk_options *opt, int mirror_file_path)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        cli_push_error(list, arg, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        struct stat exclude;
        int have_exclude = opt->exclude_dir && stat(opt->exclude_dir, &exclude) == 0;
        /* Trailing slashes are dropped so that joined paths read "dir/a.txt". */
        char *dir = cli_strdup(arg);
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
        cli_walk_dir(list, dir, "", opt, have_exclude ? &exclude : NULL);
        free(dir);
        return;
    }
    /* A file named on the command line is taken whatever its name. */
    cli_push_file(list, cli_strdup(arg), mirror_file_path ? cli_mirror_of(arg) : cli_basename_of(arg),
                  S_ISREG(st.st_mode) ? (long long)st.st_size : -1);
}

void cli_list_inputs(cli_input_list *list, const char *arg, const cli_walk_options *opt)
{
    cli_list_one(list, arg, opt, 0);
}

int cli_list_from_stream(cli_input_list *list, FILE *in, const cli_walk_options *opt)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        cli_list_one(list, line, opt, 1);
    }
    int e = ferror(in) ? errno : 0;
    free(line);
    return e;
}

void cli_input_list_free(cli_input_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].path);
        free(list->items[i].relative);
        free(list->items[i].error);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}
