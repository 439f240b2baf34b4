/* core/strbuf.c - see strbuf.h */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

void gn_strbuf_init(gn_strbuf *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = 0;
}

void gn_strbuf_destroy(gn_strbuf *sb)
{
    gn_free(sb->data);
    gn_strbuf_init(sb);
}

/* Makes room for `extra` more bytes plus the NUL. */
static int reserve(gn_strbuf *sb, size_t extra)
{
    size_t need, cap;
    char *p;
    if (sb->failed)
        return 0;
    need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 1;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    p = gn_realloc(sb->data, cap);
    if (!p) {
        sb->failed = 1;
        return 0;
    }
    sb->data = p;
    sb->cap = cap;
    return 1;
}

void gn_strbuf_append_n(gn_strbuf *sb, const char *s, size_t n)
{
    if (!reserve(sb, n))
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void gn_strbuf_append(gn_strbuf *sb, const char *s) { gn_strbuf_append_n(sb, s, strlen(s)); }

void gn_strbuf_putc(gn_strbuf *sb, char c) { gn_strbuf_append_n(sb, &c, 1); }

void gn_strbuf_appendf(gn_strbuf *sb, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && reserve(sb, (size_t)n)) {
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap2);
        sb->len += (size_t)n;
    }
    va_end(ap2);
}

char *gn_strbuf_take(gn_strbuf *sb)
{
    char *s;
    if (sb->failed) {
        gn_strbuf_destroy(sb);
        return NULL;
    }
    if (!sb->data && !reserve(sb, 0))
        return NULL;
    if (sb->len == 0)
        sb->data[0] = '\0';
    s = sb->data;
    gn_strbuf_init(sb);
    return s;
}
