/*
 * core/alloc.h - the allocator every Genesis module uses.
 *
 * Thin wrappers over malloc & co. with one addition: a test hook that makes
 * the Nth following allocation fail, so out-of-memory paths can be tested
 * (the idea of Lua's ltests.c). gn_free(NULL) is a no-op.
 */
#ifndef GN_CORE_ALLOC_H
#define GN_CORE_ALLOC_H

#include <stddef.h>

void *gn_malloc(size_t size);
void *gn_calloc(size_t n, size_t size);           /* checks n*size overflow */
void *gn_realloc(void *ptr, size_t size);
void *gn_reallocarray(void *ptr, size_t n, size_t size); /* checks overflow */
void gn_free(void *ptr);
char *gn_strdup(const char *s);                    /* NULL in -> NULL out */
char *gn_strndup(const char *s, size_t n);
/* printf into a new string; NULL on failure. Caller frees with gn_free. */
char *gn_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Test hook: the nth allocation from now (1 = the next one) fails, and
 * every one after it succeeds again. n <= 0 disables. Not thread-safe;
 * for tests only. */
void gn__alloc_fail_at(long n);
/* Number of allocations made through this module (tests use it to iterate
 * gn__alloc_fail_at over every allocation of an operation). */
long gn__alloc_count(void);

#endif
