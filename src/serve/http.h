/*
 * serve/http.h - what the files of the HTTP layer share (internal).
 *
 *   router.c   the route table, path decoding and matching
 *   body.c     request bodies and query strings against a route's schema
 *   openapi.c  the OpenAPI document, generated from the route table
 *   limits.c   per-token rate limits and failed-authentication throttling
 *   handles.c  the cache of open campaign handles (one mutex each)
 *   routes.c   the handlers
 *   server.c   libmicrohttpd: connections, TLS, bodies, responses
 *
 * The router and the body parsers are pure functions of their input (no
 * server, no database) so that the fuzz targets can drive them.
 */
#ifndef GN_SERVE_HTTP_H
#define GN_SERVE_HTTP_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "genesis/campaign.h"
#include "genesis/serve.h"
#include "serve/identity.h"

#define GN_HTTP_BODY_MAX_DEFAULT (1u << 20)
#define GN_HTTP_BODY_MAX_LIMIT (16u << 20)
#define GN_HTTP_PATH_MAX 2048     /* raw path bytes */
#define GN_HTTP_SEGMENT_MAX 256   /* one decoded path segment, bytes */
#define GN_HTTP_MAX_PARAMS 4      /* {name}/{id} segments in one pattern */
#define GN_HTTP_MAX_QUERY 16      /* query parameters in one request */
#define GN_HTTP_NAME_MAX 128      /* campaign and dataset names in paths */

/* ---- request schemas (body.c) ------------------------------------------ */

typedef enum {
    GN__F_STRING = 0, /* min..max bytes; printable: no control characters */
    GN__F_TEXT,       /* min..max bytes; any UTF-8 text (spec text, reasons) */
    GN__F_INT,        /* a whole number in min..max */
    GN__F_ENUM,       /* one of values */
    GN__F_NAME,       /* a campaign/project/dataset name (gn__name_valid) */
    GN__F_NUMBERS,    /* an object of 1..max finite numbers named by NAMEs */
    GN__F_KEY         /* idempotency key: 1..128 printable ASCII */
} gn__ftype;

typedef struct gn__field {
    const char *name;
    gn__ftype type;
    int required;
    long long min, max;
    const char *const *values; /* ENUM: NULL-terminated */
    const char *desc;          /* for the OpenAPI document */
} gn__field;

/* What went wrong with a request, in the terms of docs/api.md. */
typedef struct gn__req_error {
    int status;          /* 400, 404, ... */
    const char *code;    /* "invalid_json", "bad_request", "unknown_field", ... */
    char message[512];
    char field[130];     /* "" when no one field is at fault */
    int line, column;    /* invalid_json: where (1-based); 0 otherwise */
} gn__req_error;

/* Sets e (status, code, printf message) and returns -1. */
int gn__req_fail(gn__req_error *e, int status, const char *code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A route-specific check run after the schema (e.g. "exactly one of"). */
typedef int (*gn__body_check)(const json_t *body, gn__req_error *e);

/* Parses body (len bytes, need not be NUL-terminated) as one JSON object
 * and checks it against schema (NULL-name-terminated array): unknown
 * fields, types, ranges, required fields, then check (may be NULL). An
 * empty or all-whitespace body is {}. Returns 0 with *out a new reference,
 * or -1 with e filled (invalid_json says where). */
int gn__body_parse(const gn__field *schema, gn__body_check check, const char *body, size_t len,
                   json_t **out, gn__req_error *e);

/* Checks query parameters (names[i]=values[i], already decoded) against
 * schema: unknown or repeated names, types and ranges. Values are stored
 * in *out as a JSON object (integers as integers). 0 or -1 with e. */
int gn__query_parse(const gn__field *schema, size_t n, const char *const *names,
                    const char *const *values, json_t **out, gn__req_error *e);

/* 1 when s is a valid name of a campaign, project or dataset: 1..128
 * bytes of letters, digits, '.', '_', '-', starting with a letter, digit
 * or '_' (so never "." or ".."). */
int gn__name_valid(const char *s, size_t len);

/* Strict percent-decoding of n bytes of src into dst (at least n+1 bytes;
 * NUL-terminated): '%' must be followed by two hex digits, a decoded NUL
 * is refused, and '+' stays '+'. Returns the decoded length or -1. */
long gn__percent_decode(const char *src, size_t n, char *dst);

/* ---- routes (router.c) -------------------------------------------------- */

struct gn__call;
typedef void (*gn__handler)(struct gn__call *call);

typedef struct gn__route {
    const char *method;        /* "GET" or "POST" */
    const char *pattern;       /* "/api/v1/campaigns/{name}/pause" */
    gn__handler fn;
    int auth;                  /* 0: no token needed */
    gn_action act;             /* least action (its role is in docs/api.md) */
    const char *op_id;         /* OpenAPI operationId */
    const char *summary;
    const gn__field *body;     /* NULL: the route takes no body (empty or {}) */
    gn__body_check check;
    const gn__field *query;    /* NULL: no query parameters */
    int ok_status;             /* 200 or 201 */
    const char *schema;        /* the response's component schema */
    const int *errors;         /* error statuses, 0-terminated */
} gn__route;

/* The route table, n entries. */
const gn__route *gn__routes(size_t *n);

typedef struct gn__match {
    const gn__route *route;    /* NULL unless matched */
    size_t n_params;
    char params[GN_HTTP_MAX_PARAMS][GN_HTTP_SEGMENT_MAX + 1]; /* decoded, by position */
    int64_t id;                /* the {id} segment when the pattern has one */
    char allow[64];            /* 405: "GET, POST" */
} gn__match;

/* Matches method and the raw (still percent-encoded) path against the
 * table. 0: matched (m->route); -1: e filled with 404 not_found, 405
 * method_not_allowed (m->allow set) or 400 bad_request (malformed path).
 * HEAD matches as GET. */
int gn__route_match(const char *method, const char *path, gn__match *m, gn__req_error *e);

/* The OpenAPI 3.0 document of the table (openapi.c); new reference. */
json_t *gn__openapi(void);

/* Renders the error body of docs/api.md; new string (free()) or NULL. */
char *gn__error_json(const gn__req_error *e);

/* ---- limits (limits.c) --------------------------------------------------- */

typedef struct gn__limits gn__limits;
/* rate: tokens/s per token id (< 0: unlimited), burst: bucket size. */
gn__limits *gn__limits_new(double rate, double burst, unsigned fail_max, double fail_window,
                           double block);
void gn__limits_free(gn__limits *l);
/* Takes one request from token_id's bucket at time now (monotonic s).
 * 0 allowed; otherwise the seconds to wait (>= 1). */
int gn__limits_take(gn__limits *l, int64_t token_id, double now);
/* Seconds `addr` remains blocked (0: not blocked). */
int gn__limits_blocked(gn__limits *l, const char *addr, double now);
/* Records one failed authentication from addr; returns 1 when this one
 * starts a block. */
int gn__limits_fail(gn__limits *l, const char *addr, double now);

/* ---- campaign handles (handles.c) ---------------------------------------- */

typedef struct gn__handles gn__handles;
typedef struct gn__chandle {
    char name[GN_HTTP_NAME_MAX + 1];
    gn_db *db;            /* this handle's own connection */
    gn_campaign *c;
    pthread_mutex_t mu;   /* held while c is used */
    int refs;             /* guarded by the cache's lock */
    double last_used;
    int broken;           /* failed to open: dropped on release */
    /* group commit of tells (gn__handles_tell): a queue, its lock, and
     * whether a thread is committing batches of it */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    struct gn__tell_job *qhead, *qtail;
    int leading;
    struct gn__chandle *next;
} gn__chandle;

/* One tell waiting for its group commit (gn__handles_tell). */
typedef struct gn__tell_job {
    int64_t number;                    /* the experiment's number in the campaign */
    int64_t id;                        /* and its store-wide id */
    const struct gn_tell_req *req;     /* campaign/service.h */
    const gn_audit_event *ev;          /* its audit record (deferred to its write) */
    gn_status st;                      /* out: as gn__campaign_tell_req */
    int replayed;                      /* out */
    char *stored;                      /* out: a replay's stored answer (gn_string_free) */
    gn_err err;                        /* out: why, when st != GN_OK */
    int done;                          /* guarded by the handle's qmu */
    struct gn__tell_job *next;
} gn__tell_job;

/* Records job's tell on the campaign `name` with GROUP COMMIT: concurrent
 * tells of one campaign queue up; one thread at a time (the leader) takes
 * up to 64 of them, runs each as its own savepoint (its own audit record
 * and key row; a failure undoes that tell alone) inside ONE write
 * transaction, commits it (one fsync) and wakes them. Returns when job's
 * data is committed (job->st GN_OK) or it failed (job->st, job->err).
 * The return value is job->st. */
gn_status gn__handles_tell(gn__handles *h, const char *name, gn__tell_job *job);

/* The cached view of a campaign's spec for reads (parameters, objectives
 * as JSON, what picks the best experiment) and its best completed
 * experiment, validated by the count of completed experiments (completed
 * is a final status: the set only grows, whichever process writes). */
typedef struct gn__best {
    int found;
    int64_t number, id;
    double y[16]; /* GN_SPEC_MAX_OBJECTIVES */
} gn__best;
/* Fills *params and *objectives (new references) for campaign rec, and
 * *best for `completed` completed experiments: from the cache when its
 * count matches, else from the store (s), cached then. */
gn_status gn__handles_view(gn__handles *h, gn_store *s, const gn_campaign_rec *rec,
                           long completed, json_t **params, json_t **objectives,
                           gn__best *best, gn_err *err);

gn__handles *gn__handles_new(const char *db_path, size_t max_open);
void gn__handles_free(gn__handles *h); /* closes every handle; none may be in use */
/* Returns the campaign's handle locked (ch->mu held) and refreshed from the
 * store, opening it if needed. GN_ERR_NOT_FOUND when there is no such
 * campaign; err says why on failure. */
gn_status gn__handles_acquire(gn__handles *h, const char *name, gn__chandle **out, gn_err *err);
/* Unlocks a handle from acquire/adopt. */
void gn__handles_release(gn__handles *h, gn__chandle *ch);
/* Opens a new connection for creating a campaign; gn__handles_adopt then
 * takes db and the new campaign into the cache and returns its handle
 * locked; NULL (db and c closed) when out of memory or when the name was
 * cached meanwhile: acquire it by name then. */
gn_status gn__handles_new_db(gn__handles *h, gn_db **db, gn_err *err);
gn__chandle *gn__handles_adopt(gn__handles *h, gn_db *db, gn_campaign *c);

/* ---- the server and a call (server.c, routes.c) ---------------------------- */

typedef struct gn__server gn__server;

/* One request being answered. The handler reads the match, the principal,
 * the parsed body and query, and sets the response with gn__reply /
 * gn__reply_error. */
typedef struct gn__call {
    gn__server *srv;
    const gn__match *m;
    const gn_principal *p;    /* NULL on public routes */
    json_t *body;             /* parsed, schema-checked object ({} when none) */
    json_t *query;            /* parsed query parameters (object) */
    const char *remote;       /* client address text */
    const char *idem_header;  /* the Idempotency-Key header, or NULL */
    gn_db *db;                /* this worker thread's connection */
    /* the response */
    int status;
    char *json;               /* body text, malloc()ed */
    char user_for_log[130];
} gn__call;

/* Sets the response to status and the JSON j (reference stolen). A JSON
 * encoding failure becomes 500. */
void gn__reply(gn__call *call, int status, json_t *j);
/* Sets the response to status and already-encoded JSON text (copied). */
void gn__reply_text(gn__call *call, int status, const char *text);
/* Sets an error response (docs/api.md shape). */
void gn__reply_error(gn__call *call, int status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* What routes.c needs from the server. */
gn__handles *gn__server_handles(gn__server *s);
const json_t *gn__server_openapi(gn__server *s);

#endif
