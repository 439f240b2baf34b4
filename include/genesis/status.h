/*
 * genesis/status.h - the one status type of the Genesis C API.
 *
 * Every function that can fail returns a gn_status. GN_OK is 0; anything
 * else is an error whose details are on the handle the call was made on
 * (see gn_campaign_errmsg). Codes are append-only: a code, once released,
 * keeps its number forever.
 */
#ifndef GENESIS_STATUS_H
#define GENESIS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GN_BUILDING_LIBRARY) && defined(__GNUC__)
#define GN_API __attribute__((visibility("default")))
#else
#define GN_API
#endif

typedef enum gn_status {
    GN_OK = 0,
    GN_ERR_NOMEM = 1,        /* an allocation failed */
    GN_ERR_INVALID = 2,      /* a bad argument (a programmer error) */
    GN_ERR_SPEC = 3,         /* the campaign spec is invalid */
    GN_ERR_IO = 4,           /* a file or process operation failed */
    GN_ERR_STORE = 5,        /* the store (database) failed */
    GN_ERR_NOT_FOUND = 6,    /* no such campaign, experiment, ... */
    GN_ERR_EXISTS = 7,       /* the object exists already */
    GN_ERR_RUNNER = 8,       /* a runner could not be started or loaded */
    GN_ERR_INFEASIBLE = 9,   /* no point satisfies the constraints */
    GN_ERR_BUSY = 10,        /* the database stayed locked past the timeout */
    GN_ERR_INTERRUPTED = 11, /* stopped on request (Ctrl-C) */
    GN_ERR_STATE = 12,       /* not allowed in the object's current state */
    GN_ERR_UNSUPPORTED = 13, /* not available in this build or back end */
    GN_ERR_LIMIT = 14,       /* a size, depth or count limit was exceeded */
    GN_ERR_OUTCOME = 15,     /* an outcome is malformed or incomplete */
    GN_ERR_INTERNAL = 16,    /* a bug: please report it */
    GN_ERR_DATA = 17,        /* a data file (CSV, HDF5) is malformed */
    GN_ERR_AUTH = 18,        /* authentication failed (bad, expired or revoked token) */
    GN_ERR_DENIED = 19       /* the caller may not do this */
} gn_status;

/* A short constant English name for a status ("out of memory", ...).
 * Never NULL; unknown codes give "unknown status". */
GN_API const char *gn_status_str(gn_status status);

#ifdef __cplusplus
}
#endif
#endif
