/* Test shim for batch-crash (LD_PRELOAD): opening a file whose path contains
 * "CRASH-ME" raises SIGSEGV in the calling thread, as a parser bug would, so
 * the test can check what batch does when one file crashes it. */
/* both open and open64 are defined here: no redirection of one to the other */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

typedef int (*open_fn)(const char *, int, ...);

static int crash_or_open(const char *name, const char *path, int flags, mode_t mode)
{
    if (strstr(path, "CRASH-ME")) raise(SIGSEGV);
    open_fn real = (open_fn)dlsym(RTLD_NEXT, name);
    return real(path, flags, mode);
}

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return crash_or_open("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return crash_or_open("open64", path, flags, mode);
}
