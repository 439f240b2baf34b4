/*
 * core/strbuf.h - a growable NUL-terminated string.
 *
 * gn_strbuf is caller-owned storage: gn_strbuf_init, append, then either
 * gn_strbuf_destroy or gn_strbuf_take (ownership of the text passes to the
 * caller). After an allocation failure the buffer remembers it (`failed`),
 * later appends are no-ops and gn_strbuf_take returns NULL, so a sequence of
 * appends needs one check at the end.
 */
#ifndef GN_CORE_STRBUF_H
#define GN_CORE_STRBUF_H

#include <stddef.h>

typedef struct gn_strbuf {
    char *data; /* always NUL-terminated when len > 0 or after init */
    size_t len;
    size_t cap;
    int failed;
} gn_strbuf;

void gn_strbuf_init(gn_strbuf *sb);
void gn_strbuf_destroy(gn_strbuf *sb);
void gn_strbuf_append(gn_strbuf *sb, const char *s);
void gn_strbuf_append_n(gn_strbuf *sb, const char *s, size_t n);
void gn_strbuf_appendf(gn_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gn_strbuf_putc(gn_strbuf *sb, char c);
/* Returns the text (caller frees with gn_free) and resets sb; NULL if any
 * append failed. */
char *gn_strbuf_take(gn_strbuf *sb);

#endif
