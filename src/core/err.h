/*
 * core/err.h - error details carried next to a gn_status.
 *
 * Internal functions take a `gn_err *err` as their last argument (may be
 * NULL when the caller does not want details) and return a gn_status. On
 * failure they fill err with the status and a message that says what and
 * where. Public handles keep a gn_err and expose its message.
 */
#ifndef GN_CORE_ERR_H
#define GN_CORE_ERR_H

#include <stdarg.h>
#include "genesis/status.h"

#define GN_ERR_MSG_MAX 2048

typedef struct gn_err {
    gn_status status;
    char msg[GN_ERR_MSG_MAX];
} gn_err;

/* Resets err to GN_OK with an empty message. err may be NULL. */
void gn_err_clear(gn_err *err);

/* Sets status and a printf-formatted message; returns `status` so callers
 * can write `return gn_err_set(err, GN_ERR_IO, "...")`. err may be NULL. */
gn_status gn_err_set(gn_err *err, gn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
gn_status gn_err_setv(gn_err *err, gn_status status, const char *fmt, va_list ap);

/* Prepends "<prefix>: " to the current message (context on the way up).
 * Returns err->status (GN_OK if err is NULL). */
gn_status gn_err_prefix(gn_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets GN_ERR_NOMEM with "out of memory" and returns it. */
gn_status gn_err_nomem(gn_err *err);

#endif
