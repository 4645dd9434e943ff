#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
int cli_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return errno;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) { cap *= 2; buf = realloc(buf, cap); }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int e = ferror(f) ? EIO : 0;
    if (f != stdin) fclose(f);
    if (e) { free(buf); return e; }
    *data = buf; *len = n;
    return 0;
}
