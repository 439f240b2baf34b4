/* core/err.c - see err.h */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

void gn_err_clear(gn_err *err)
{
    if (!err)
        return;
    err->status = GN_OK;
    err->msg[0] = '\0';
}

gn_status gn_err_setv(gn_err *err, gn_status status, const char *fmt, va_list ap)
{
    if (!err)
        return status;
    err->status = status;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return status;
}

gn_status gn_err_set(gn_err *err, gn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gn_err_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

gn_status gn_err_prefix(gn_err *err, const char *fmt, ...)
{
    char prefix[512];
    char old[GN_ERR_MSG_MAX];
    va_list ap;

    if (!err)
        return GN_OK;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return err->status;
}

gn_status gn_err_nomem(gn_err *err)
{
    return gn_err_set(err, GN_ERR_NOMEM, "out of memory");
}

const char *gn_status_str(gn_status status)
{
    switch (status) {
    case GN_OK: return "ok";
    case GN_ERR_NOMEM: return "out of memory";
    case GN_ERR_INVALID: return "invalid argument";
    case GN_ERR_SPEC: return "invalid campaign spec";
    case GN_ERR_IO: return "input/output error";
    case GN_ERR_STORE: return "store error";
    case GN_ERR_NOT_FOUND: return "not found";
    case GN_ERR_EXISTS: return "already exists";
    case GN_ERR_RUNNER: return "runner error";
    case GN_ERR_INFEASIBLE: return "no feasible point";
    case GN_ERR_BUSY: return "database busy";
    case GN_ERR_INTERRUPTED: return "interrupted";
    case GN_ERR_STATE: return "not allowed in the current state";
    case GN_ERR_UNSUPPORTED: return "not supported";
    case GN_ERR_LIMIT: return "limit exceeded";
    case GN_ERR_OUTCOME: return "bad outcome";
    case GN_ERR_INTERNAL: return "internal error";
    case GN_ERR_DATA: return "invalid data file";
    case GN_ERR_AUTH: return "authentication failed";
    case GN_ERR_DENIED: return "permission denied";
    }
    return "unknown status";
}
