/* One arena per document: bump allocation in growing blocks, freed at once. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct st_arena_block {
    st_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

enum { ST_ARENA_MIN_BLOCK = 16 * 1024 };

static void st_die_oom(void)
{
    fputs("speechtree: out of memory\n", stderr);
    abort();
}

void *st_arena_alloc(st_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    st_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t want = b ? b->size * 2 : ST_ARENA_MIN_BLOCK;
        if (want < size) want = size;
        if (want > (64u << 20) && size <= (64u << 20)) want = 64u << 20;
        b = malloc(sizeof *b + want);
        if (!b) st_die_oom();
        b->next = a->head;
        b->used = 0;
        b->size = want;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *st_arena_strndup(st_arena *a, const char *s, size_t n)
{
    char *p = st_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *st_arena_printf(st_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = st_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void st_arena_free(st_arena *a)
{
    st_arena_block *b = a->head;
    while (b) {
        st_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void *st_grow(void *ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return ptr;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *p = realloc(ptr, c * elem);
    if (!p) st_die_oom();
    *cap = c;
    return p;
}
