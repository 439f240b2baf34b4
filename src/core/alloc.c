/* core/alloc.c - see alloc.h */
#include "core/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_at;   /* countdown; 0 = disabled */
static long n_allocs;

void gn__alloc_fail_at(long n) { fail_at = n > 0 ? n : 0; }
long gn__alloc_count(void) { return n_allocs; }

/* Returns 1 when this allocation must fail (test hook). */
static int should_fail(void)
{
    n_allocs++;
    if (fail_at > 0 && --fail_at == 0)
        return 1;
    return 0;
}

void *gn_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *gn_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *gn_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void *gn_reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return gn_realloc(ptr, n * size);
}

void gn_free(void *ptr) { free(ptr); }

char *gn_strndup(const char *s, size_t n)
{
    char *d;
    size_t len = 0;
    if (!s)
        return NULL;
    while (len < n && s[len])
        len++;
    d = gn_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *gn_strdup(const char *s)
{
    return s ? gn_strndup(s, strlen(s)) : NULL;
}

char *gn_asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *s;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return NULL;
    }
    s = gn_malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}
