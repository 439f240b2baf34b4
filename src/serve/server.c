/*
 * serve/server.c - the HTTP(S) server of `genesis serve` (libmicrohttpd).
 *
 * Connections: an internal thread pool (epoll), each thread answering its
 * requests to the end (handlers block on SQLite; the pool is the
 * concurrency). Bounded everywhere: connection count, per-connection
 * memory (headers), idle timeout, request body (413 before reading it
 * when Content-Length says so, else as soon as it is exceeded).
 *
 * A request goes through, in order, before its handler runs:
 *   route (404 / 405 with Allow / 400 for a malformed path)
 *   address throttle (while blocked after failed authentications: 429
 *     for no token or an invalid one; a valid token still passes)
 *   authentication (401; audited; counts towards the throttle; a token
 *     seen within PCACHE_TTL = 1 s is not looked up again)
 *   per-token rate limit (429 with Retry-After)
 *   body size and type (413 from Content-Length, 411 without one, 415),
 *   then, after the body arrived:
 *   query and body schema (400 invalid_json with where, unknown_field, ...)
 * The first four happen when the headers arrive, so an unauthenticated
 * caller never gets to upload a body.
 *
 * Every response is JSON with Cache-Control: no-store and
 * X-Content-Type-Options: nosniff (docs/api.md).
 *
 * Threads: each pool thread opens its own database connection on its
 * first request (reads and authentication); campaign handles come from
 * the shared cache (handles.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign/internal.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "serve/http.h"
#include "store/store_lease.h"

#include <sodium.h>

#define CONN_MEMORY_LIMIT (64 * 1024)
#define CONN_LIMIT 1024
#define PEM_MAX (1 << 20)
#define LOG_PATH_MAX 200

typedef struct worker {
    gn__server *srv;
    gn_db *db;
    struct worker *next;
} worker;

struct gn__server {
    gn_serve_options o;
    char db_path[4096];
    size_t body_limit;
    int tls;
    struct MHD_Daemon *d;
    gn__limits *lim;
    gn__handles *handles;
    json_t *openapi;
    pthread_mutex_t mu; /* workers list and log calls */
    worker *workers;
    char mhd_err[512];
    struct pcache *pc; /* principals of recent tokens (NULL: none kept) */
};

/* ---- the principal cache ------------------------------------------------------------ */

/* A token authenticated within the last PCACHE_TTL seconds is not looked
 * up again: revocation, expiry, a disabled user or a changed membership
 * take effect within PCACHE_TTL (docs/serve.md). Keyed by the token's
 * hash (the token itself is not kept), compared in constant time. */
#define PCACHE_TTL 1.0
#define PCACHE_SLOTS 256
#define PCACHE_STRIPES 16

typedef struct pcache_slot {
    unsigned char hash[32];
    double until; /* monotonic; 0: empty */
    gn_principal p;
} pcache_slot;

struct pcache {
    pthread_mutex_t mu[PCACHE_STRIPES];
    pcache_slot slot[PCACHE_SLOTS];
};

static struct pcache *pcache_new(void)
{
    struct pcache *pc = calloc(1, sizeof *pc);
    size_t i;
    if (pc)
        for (i = 0; i < PCACHE_STRIPES; i++)
            pthread_mutex_init(&pc->mu[i], NULL);
    return pc;
}

static void pcache_free(struct pcache *pc)
{
    size_t i;
    if (!pc)
        return;
    for (i = 0; i < PCACHE_STRIPES; i++)
        pthread_mutex_destroy(&pc->mu[i]);
    sodium_memzero(pc, sizeof *pc);
    free(pc);
}

static size_t pcache_index(const unsigned char hash[32])
{
    return ((size_t)hash[0] | (size_t)hash[1] << 8) % PCACHE_SLOTS;
}

static size_t principal_size(const gn_principal *p)
{
    return offsetof(gn_principal, projects) + p->n_projects * sizeof p->projects[0];
}

/* 1 and *p filled when the token's principal is cached and fresh. */
static int pcache_get(struct pcache *pc, const unsigned char hash[32], double now, gn_principal *p)
{
    size_t i = pcache_index(hash);
    pcache_slot *sl;
    int hit = 0;

    if (!pc)
        return 0;
    sl = &pc->slot[i];
    pthread_mutex_lock(&pc->mu[i % PCACHE_STRIPES]);
    if (sl->until > now && sodium_memcmp(sl->hash, hash, 32) == 0) {
        memcpy(p, &sl->p, principal_size(&sl->p));
        hit = 1;
    }
    pthread_mutex_unlock(&pc->mu[i % PCACHE_STRIPES]);
    return hit;
}

static void pcache_put(struct pcache *pc, const unsigned char hash[32], double now,
                       const gn_principal *p)
{
    size_t i = pcache_index(hash);
    pcache_slot *sl;

    if (!pc)
        return;
    sl = &pc->slot[i];
    pthread_mutex_lock(&pc->mu[i % PCACHE_STRIPES]);
    memcpy(sl->hash, hash, 32);
    memcpy(&sl->p, p, principal_size(p));
    sl->until = now + PCACHE_TTL;
    pthread_mutex_unlock(&pc->mu[i % PCACHE_STRIPES]);
}

static _Thread_local worker *tl_worker;

/* One request in flight. */
typedef struct req {
    double t0;
    gn__match m;
    int matched;
    int responded;
    int status;
    gn_principal p;
    int authed;
    char remote[64];
    char method[16];
    char path[LOG_PATH_MAX + 4];
    char user[130];
    char *body;
    size_t len, cap;
} req;

/* ---- stop ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_gen;
static int stop_pipe[2] = {-1, -1};
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void stop_pipe_init(void)
{
    if (pipe(stop_pipe) == 0) {
        fcntl(stop_pipe[0], F_SETFL, O_NONBLOCK);
        fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
        fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC);
        fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC);
    } else {
        stop_pipe[0] = stop_pipe[1] = -1;
    }
}

void gn_serve_request_stop(void)
{
    int saved = errno;
    stop_gen = stop_gen + 1;
    if (stop_pipe[1] >= 0) {
        ssize_t w = write(stop_pipe[1], "x", 1);
        (void)w;
    }
    errno = saved;
}

void gn_serve_options_init(gn_serve_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
}

/* ---- small helpers ------------------------------------------------------------------ */

gn__handles *gn__server_handles(gn__server *s) { return s->handles; }
const json_t *gn__server_openapi(gn__server *s) { return s->openapi; }

/* This thread's database connection, opened on first use (NULL when it
 * cannot be opened; *msg says why). */
static gn_db *worker_db(gn__server *srv, const char **msg)
{
    worker *w = tl_worker;
    gn_db *db = NULL;

    if (w && w->srv == srv)
        return w->db;
    w = calloc(1, sizeof *w);
    if (!w) {
        *msg = "out of memory";
        return NULL;
    }
    if (gn_db_open(srv->db_path, &db) != GN_OK) {
        *msg = "the database could not be opened";
        gn_db_close(db);
        free(w);
        return NULL;
    }
    w->srv = srv;
    w->db = db;
    pthread_mutex_lock(&srv->mu);
    w->next = srv->workers;
    srv->workers = w;
    pthread_mutex_unlock(&srv->mu);
    tl_worker = w;
    return db;
}

static void copy_printable(char *dst, size_t size, const char *src)
{
    size_t i;
    for (i = 0; src && src[i] && i + 1 < size; i++)
        dst[i] = ((unsigned char)src[i] < 0x21 || (unsigned char)src[i] >= 0x7f) ? '?' : src[i];
    dst[i] = '\0';
    if (src && strlen(src) >= size && size > 4)
        memcpy(dst + size - 4, "...", 4);
}

/* ---- responses --------------------------------------------------------------------- */

/* Queues status + JSON text with the headers every answer carries. */
static enum MHD_Result send_json(gn__server *srv, struct MHD_Connection *conn, req *r,
                                 int status, const char *text, const char *allow,
                                 int retry_after)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    static const char fallback[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"the response could not be encoded\"}}";

    if (!text) {
        text = fallback;
        status = 500;
    }
    resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (srv->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (allow && *allow)
        MHD_add_response_header(resp, "Allow", allow);
    if (retry_after > 0) {
        char ra[32];
        snprintf(ra, sizeof ra, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (r) {
        r->responded = 1;
        r->status = status;
    }
    return ret;
}

static enum MHD_Result send_error(gn__server *srv, struct MHD_Connection *conn, req *r,
                                  const gn__req_error *e, const char *allow, int retry_after)
{
    char *text = gn__error_json(e);
    enum MHD_Result ret = send_json(srv, conn, r, e->status, text, allow, retry_after);
    free(text);
    return ret;
}

void gn__reply(gn__call *call, int status, json_t *j)
{
    free(call->json);
    call->json = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    call->status = call->json ? status : 500;
}

void gn__reply_text(gn__call *call, int status, const char *text)
{
    free(call->json);
    call->json = text ? strdup(text) : NULL;
    call->status = call->json ? status : 500;
}

void gn__reply_error(gn__call *call, int status, const char *code, const char *field,
                     const char *fmt, ...)
{
    gn__req_error e;
    va_list ap;
    char msg[sizeof e.message];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gn__req_fail(&e, status, code, field, "%s", msg);
    free(call->json);
    call->json = gn__error_json(&e);
    call->status = status;
}

/* ---- the request pipeline -------------------------------------------------------- */

static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

typedef struct {
    size_t n;
    int overflow, bad;
    char *names[GN_HTTP_MAX_QUERY];
    char *values[GN_HTTP_MAX_QUERY];
} query_args;

/* Decodes a raw query key or value ('+' is a space there). */
static char *query_decode(const char *raw)
{
    size_t n = raw ? strlen(raw) : 0, i;
    char *tmp = malloc(n + 1), *out = malloc(n + 1);
    if (!tmp || !out) {
        free(tmp);
        free(out);
        return NULL;
    }
    for (i = 0; i < n; i++)
        tmp[i] = raw[i] == '+' ? ' ' : raw[i];
    if (gn__percent_decode(tmp, n, out) < 0) {
        free(out);
        out = NULL;
    }
    free(tmp);
    return out;
}

static enum MHD_Result query_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    query_args *q = cls;
    (void)kind;
    if (q->n == GN_HTTP_MAX_QUERY) {
        q->overflow = 1;
        return MHD_NO;
    }
    q->names[q->n] = query_decode(key);
    q->values[q->n] = query_decode(value ? value : "");
    if (!q->names[q->n] || !q->values[q->n]) {
        free(q->names[q->n]);
        free(q->values[q->n]);
        q->bad = 1;
        return MHD_NO;
    }
    q->n++;
    return MHD_YES;
}

static void query_args_free(query_args *q)
{
    size_t i;
    for (i = 0; i < q->n; i++) {
        free(q->names[i]);
        free(q->values[i]);
    }
}

static int is_json_type(const char *ct)
{
    size_t n = strlen("application/json");
    if (!ct || strncasecmp(ct, "application/json", n))
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static void audit_auth_failure(gn_db *db, const char *remote, const char *result,
                               const char *detail)
{
    gn_audit_event ev = {NULL, 0, "auth.fail", NULL, result, detail, remote};
    gn_err err;
    if (db)
        gn_audit_append(db->store, &ev, &err);
}

/* Decides what can be decided from the headers alone. Returns 1 when a
 * response was queued (or the connection must close: *ret). */
static int on_headers(gn__server *srv, struct MHD_Connection *conn, req *r, const char *url,
                      const char *method, enum MHD_Result *ret)
{
    gn__req_error e;
    const char *h, *msg = NULL, *token = NULL;
    unsigned char thash[32];
    gn_db *db;
    double now = gn_time_mono();
    int wait, blocked, cached = 0;

    if (gn__route_match(method, url, &r->m, &e)) {
        *ret = send_error(srv, conn, r, &e, e.status == 405 ? r->m.allow : NULL, 0);
        return 1;
    }
    r->matched = 1;
    if (!r->m.route->auth)
        goto body_checks;
    /* an address blocked after failed authentications: a request with a
     * VALID token still passes (one robot with a bad token does not lock
     * out every robot behind the same NAT); one without, or with an
     * invalid one, gets 429 without counting or auditing again (the block
     * itself was audited) */
    blocked = gn__limits_blocked(srv->lim, r->remote, now);
    h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        token = h + 7;
        while (*token == ' ')
            token++;
        if (!gn__token_well_formed(token))
            token = NULL;
    }
    if (blocked > 0 && !token) {
        gn__req_fail(&e, 429, "rate_limited", NULL,
                     "too many failed authentications from this address; retry later");
        *ret = send_error(srv, conn, r, &e, NULL, blocked);
        return 1;
    }
    if (token) {
        gn__token_hash(token, GN_TOKEN_LEN, thash);
        cached = pcache_get(srv->pc, thash, now, &r->p);
    }
    db = cached ? NULL : worker_db(srv, &msg);
    if (!cached && !db) {
        gn__req_fail(&e, 503, "unavailable", NULL, "%s", msg);
        *ret = send_error(srv, conn, r, &e, NULL, 1);
        return 1;
    }
    {
        gn_err err;
        gn_status st = GN_ERR_AUTH;
        gn_err_clear(&err);
        if (cached) {
            st = GN_OK;
        } else if (token) {
            st = gn_authenticate(db->store, token, &r->p, &err);
            if (st == GN_OK)
                pcache_put(srv->pc, thash, now, &r->p);
        }
        if (st == GN_OK) {
            r->authed = 1;
            snprintf(r->user, sizeof r->user, "%s", r->p.user);
        } else if (blocked > 0 && (st == GN_ERR_AUTH || st == GN_ERR_NOT_FOUND ||
                                   st == GN_ERR_DENIED || st == GN_ERR_INVALID)) {
            gn__req_fail(&e, 429, "rate_limited", NULL,
                         "too many failed authentications from this address; retry later");
            *ret = send_error(srv, conn, r, &e, NULL, blocked);
            return 1;
        } else if (st == GN_ERR_AUTH || st == GN_ERR_NOT_FOUND || st == GN_ERR_DENIED ||
                   st == GN_ERR_INVALID) {
            int now_blocked = gn__limits_fail(srv->lim, r->remote, now);
            audit_auth_failure(db, r->remote, "failed", h ? "invalid token" : "no token");
            if (now_blocked)
                audit_auth_failure(db, r->remote, "blocked",
                                   "too many failed authentications: address blocked");
            gn__req_fail(&e, 401, "unauthorized", NULL, "a valid API token is required");
            *ret = send_error(srv, conn, r, &e, NULL, 0);
            return 1;
        } else {
            gn_log(GN_LOG_ERROR, "serve: authentication: %s: %s", gn_status_str(st), err.msg);
            gn__req_fail(&e, st == GN_ERR_BUSY ? 503 : 500,
                         st == GN_ERR_BUSY ? "unavailable" : "internal", NULL,
                         st == GN_ERR_BUSY ? "the database is busy; retry"
                                           : "authentication failed: store error");
            *ret = send_error(srv, conn, r, &e, NULL, st == GN_ERR_BUSY ? 1 : 0);
            return 1;
        }
    }
    wait = gn__limits_take(srv->lim, r->p.token_id, now);
    if (wait > 0) {
        gn__req_fail(&e, 429, "rate_limited", NULL, "too many requests for this token");
        *ret = send_error(srv, conn, r, &e, NULL, wait);
        return 1;
    }
body_checks:
    {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_TRANSFER_ENCODING);
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
        int has_body = len > 0 || te != NULL;

        if (te && !cl) {
            /* a chunked body could only be refused half-read; ask for its length */
            gn__req_fail(&e, 411, "length_required", NULL,
                         "a request body needs a Content-Length (chunked bodies are not "
                         "accepted)");
            *ret = send_error(srv, conn, r, &e, NULL, 0);
            return 1;
        }
        if (len > srv->body_limit) {
            gn__req_fail(&e, 413, "payload_too_large", NULL,
                         "the request body is larger than the limit of %zu bytes",
                         srv->body_limit);
            *ret = send_error(srv, conn, r, &e, NULL, 0);
            return 1;
        }
        if (has_body && !r->m.route->body) {
            gn__req_fail(&e, 400, "bad_request", NULL, "this route takes no request body");
            *ret = send_error(srv, conn, r, &e, NULL, 0);
            return 1;
        }
        if (has_body && !is_json_type(ct)) {
            gn__req_fail(&e, 415, "unsupported_media_type", NULL,
                         "the request body must be application/json");
            *ret = send_error(srv, conn, r, &e, NULL, 0);
            return 1;
        }
    }
    return 0;
}

/* Runs the handler once the whole body is in. */
static enum MHD_Result dispatch(gn__server *srv, struct MHD_Connection *conn, req *r)
{
    const gn__route *rt = r->m.route;
    gn__req_error e;
    query_args q;
    gn__call call;
    json_t *body = NULL, *query = NULL;
    const char *msg = NULL;
    enum MHD_Result ret;

    memset(&q, 0, sizeof q);
    memset(&call, 0, sizeof call);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_cb, &q);
    if (q.overflow || q.bad) {
        query_args_free(&q);
        gn__req_fail(&e, 400, "bad_request", NULL,
                     q.bad ? "malformed query string" : "too many query parameters");
        return send_error(srv, conn, r, &e, NULL, 0);
    }
    if (gn__query_parse(rt->query, q.n, (const char *const *)q.names,
                        (const char *const *)q.values, &query, &e)) {
        query_args_free(&q);
        return send_error(srv, conn, r, &e, NULL, 0);
    }
    query_args_free(&q);
    if (gn__body_parse(rt->body, rt->check, r->body ? r->body : "", r->len, &body, &e)) {
        json_decref(query);
        return send_error(srv, conn, r, &e, NULL, 0);
    }
    call.srv = srv;
    call.m = &r->m;
    call.p = r->authed ? &r->p : NULL;
    call.body = body;
    call.query = query;
    call.remote = r->remote;
    call.idem_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    call.db = worker_db(srv, &msg);
    call.status = 500;
    if (!call.db) {
        gn__reply_error(&call, 503, "unavailable", NULL, "%s", msg);
    } else {
        rt->fn(&call);
    }
    if (!call.json)
        gn__reply_error(&call, 500, "internal", NULL, "no response");
    ret = send_json(srv, conn, r, call.status, call.json, NULL, call.status == 503 ? 1 : 0);
    free(call.json);
    json_decref(body);
    json_decref(query);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    gn__server *srv = cls;
    req *r = *con_cls;
    enum MHD_Result ret = MHD_YES;
    (void)version;

    if (!r) {
        const union MHD_ConnectionInfo *ci;
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->t0 = gn_time_mono();
        copy_printable(r->method, sizeof r->method, method);
        copy_printable(r->path, sizeof r->path, url);
        snprintf(r->user, sizeof r->user, "-");
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->remote,
                          sizeof r->remote);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->remote,
                          sizeof r->remote);
        }
        if (!r->remote[0])
            snprintf(r->remote, sizeof r->remote, "unknown");
        if (on_headers(srv, conn, r, url, method, &ret))
            return ret;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->responded)
            return MHD_YES; /* discarding what follows a refusal */
        if (n > srv->body_limit - r->len) {
            gn__req_error e;
            gn__req_fail(&e, 413, "payload_too_large", NULL,
                         "the request body is larger than the limit of %zu bytes",
                         srv->body_limit);
            ret = send_error(srv, conn, r, &e, NULL, 0);
            /* a response cannot always be queued mid-body: then close */
            return ret == MHD_YES ? MHD_YES : MHD_NO;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            char *nb;
            while (cap < r->len + n)
                cap *= 2;
            if (cap > srv->body_limit)
                cap = srv->body_limit;
            nb = realloc(r->body, cap);
            if (!nb)
                return MHD_NO;
            r->body = nb;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    return dispatch(srv, conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gn__server *srv = cls;
    req *r = *con_cls;
    (void)conn;

    if (!r)
        return;
    if (srv->o.on_log) {
        char line[512];
        double ms = (gn_time_mono() - r->t0) * 1e3;
        if (r->responded)
            snprintf(line, sizeof line, "%s %s %d %.1fms %s", r->method, r->path, r->status, ms,
                     r->user);
        else
            snprintf(line, sizeof line, "%s %s - %.1fms %s (closed: %d)", r->method, r->path,
                     ms, r->user, (int)toe);
        pthread_mutex_lock(&srv->mu);
        srv->o.on_log(srv->o.ctx, line);
        pthread_mutex_unlock(&srv->mu);
    }
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    gn__server *srv = cls;
    char line[512];
    size_t n;
    vsnprintf(line, sizeof line, fmt, ap);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    pthread_mutex_lock(&srv->mu);
    snprintf(srv->mhd_err, sizeof srv->mhd_err, "%s", line);
    pthread_mutex_unlock(&srv->mu);
}

/* ---- starting and stopping ----------------------------------------------------- */

static int fail(char *errbuf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t size, const char *fmt, ...)
{
    va_list ap;
    if (errbuf && size) {
        va_start(ap, fmt);
        vsnprintf(errbuf, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Reads a PEM file (at most PEM_MAX bytes) into a new string. */
static char *read_pem(const char *what, const char *path, char *errbuf, size_t size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    struct stat stbuf;

    if (!f) {
        fail(errbuf, size, "cannot read the TLS %s '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &stbuf) != 0 || !S_ISREG(stbuf.st_mode) || stbuf.st_size <= 0 ||
        stbuf.st_size > PEM_MAX) {
        fail(errbuf, size, "the TLS %s '%s' is not a PEM file of 1 byte to 1 MiB", what, path);
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)stbuf.st_size + 1);
    if (!buf) {
        fclose(f);
        fail(errbuf, size, "out of memory");
        return NULL;
    }
    n = fread(buf, 1, (size_t)stbuf.st_size, f);
    fclose(f);
    buf[n] = '\0';
    if (n == 0 || !strstr(buf, "-----BEGIN ")) {
        fail(errbuf, size, "the TLS %s '%s' is not in PEM format", what, path);
        free(buf);
        return NULL;
    }
    return buf;
}

static void server_destroy(gn__server *srv)
{
    worker *w, *next;
    if (srv->d)
        MHD_stop_daemon(srv->d);
    for (w = srv->workers; w; w = next) {
        next = w->next;
        gn_db_close(w->db);
        free(w);
    }
    gn__handles_free(srv->handles);
    gn__limits_free(srv->lim);
    pcache_free(srv->pc);
    json_decref(srv->openapi);
    pthread_mutex_destroy(&srv->mu);
}

gn_status gn_serve_run(const gn_serve_options *opts, char *errbuf, size_t errbuf_size)
{
    gn__server srv;
    gn_serve_options o;
    char *cert = NULL, *key = NULL;
    struct sockaddr_storage ss;
    unsigned flags, threads, port = 0;
    gn_status st = GN_OK;
    gn_db *db = NULL;
    int my_gen;
    long cores;
    const union MHD_DaemonInfo *di;
    const char *path;

    if (errbuf && errbuf_size)
        errbuf[0] = '\0';
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.mu, NULL);
    if (!opts) {
        fail(errbuf, errbuf_size, "no options");
        st = GN_ERR_INVALID;
        goto out;
    }
    o = *opts;
    if (!o.host || !*o.host)
        o.host = "127.0.0.1";
    if (o.port > 65535) {
        fail(errbuf, errbuf_size, "port %u is out of range (0 to 65535)", o.port);
        st = GN_ERR_INVALID;
        goto out;
    }
    srv.o = o;
    /* TLS: both or neither, readable, PEM */
    if (!o.tls_cert != !o.tls_key) {
        fail(errbuf, errbuf_size, "TLS needs both a certificate and a key: %s is missing",
             o.tls_cert ? "the key (--tls-key)" : "the certificate (--tls-cert)");
        st = GN_ERR_INVALID;
        goto out;
    }
    if (o.tls_cert) {
        cert = read_pem("certificate", o.tls_cert, errbuf, errbuf_size);
        key = cert ? read_pem("key", o.tls_key, errbuf, errbuf_size) : NULL;
        if (!cert || !key) {
            st = GN_ERR_IO;
            goto out;
        }
        srv.tls = 1;
    }
    /* the address */
    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, o.host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)o.port);
    } else if (inet_pton(AF_INET6, o.host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)o.port);
    } else {
        fail(errbuf, errbuf_size, "'%s' is not an IPv4 or IPv6 address", o.host);
        st = GN_ERR_INVALID;
        goto out;
    }
    /* limits */
    srv.body_limit = o.body_limit ? o.body_limit : GN_HTTP_BODY_MAX_DEFAULT;
    if (srv.body_limit > GN_HTTP_BODY_MAX_LIMIT) {
        fail(errbuf, errbuf_size, "the body limit is over the maximum of %u bytes",
             GN_HTTP_BODY_MAX_LIMIT);
        st = GN_ERR_INVALID;
        goto out;
    }
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* handlers block (a tell waits for its group commit's fsync) and a
     * pool thread serves its connections one request at a time: many
     * threads keep one slow request from holding up the others */
    threads = o.threads ? o.threads : (unsigned)(cores > 0 ? 16 * cores : 16);
    if (threads > 1024) {
        fail(errbuf, errbuf_size, "%u threads is over the maximum of 1024", threads);
        st = GN_ERR_INVALID;
        goto out;
    }
    {
        double rate = o.rate_limit == 0 ? 2000 : o.rate_limit;
        srv.lim = gn__limits_new(rate, rate > 0 ? 2 * rate : 1, o.auth_fail_max ? o.auth_fail_max : 10,
                                 o.auth_fail_window > 0 ? o.auth_fail_window : 60,
                                 o.auth_block > 0 ? o.auth_block : 60);
        srv.pc = pcache_new(); /* without it every request is looked up */
    }
    /* the database: opened (and migrated) once here, before any worker */
    path = o.db_path && *o.db_path ? o.db_path : getenv("GENESIS_DB");
    if (!path || !*path)
        path = "genesis.db";
    if (strlen(path) >= sizeof srv.db_path) {
        fail(errbuf, errbuf_size, "the database path is too long");
        st = GN_ERR_INVALID;
        goto out;
    }
    snprintf(srv.db_path, sizeof srv.db_path, "%s", path);
    st = gn_db_open(srv.db_path, &db);
    if (st != GN_OK) {
        fail(errbuf, errbuf_size, "%s", gn_db_errmsg(db));
        goto out;
    }
    srv.handles = gn__handles_new(srv.db_path, 64);
    srv.openapi = gn__openapi();
    if (!srv.lim || !srv.handles || !srv.openapi) {
        fail(errbuf, errbuf_size, "out of memory");
        st = GN_ERR_NOMEM;
        goto out;
    }
    pthread_once(&stop_once, stop_pipe_init);
    {
        char drain[64];
        while (stop_pipe[0] >= 0 && read(stop_pipe[0], drain, sizeof drain) > 0)
            ;
    }
    my_gen = stop_gen;

    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv.tls)
        flags |= MHD_USE_TLS;
    {
        struct MHD_OptionItem tls_opts[] = {
            {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
            {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
            {MHD_OPTION_HTTPS_PRIORITIES, 0,
             (void *)"NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL"},
            {MHD_OPTION_END, 0, NULL}};
        struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
        srv.d = MHD_start_daemon(
            flags, (uint16_t)o.port, NULL, NULL, on_request, &srv, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_TIMEOUT, o.timeout ? o.timeout : 30u,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, &srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &srv, MHD_OPTION_LISTENING_ADDRESS_REUSE,
            1u, MHD_OPTION_ARRAY, srv.tls ? tls_opts : no_opts, MHD_OPTION_END);
    }
    if (!srv.d) {
        fail(errbuf, errbuf_size, "cannot serve on %s port %u%s%s%s", o.host, o.port,
             srv.tls ? " with TLS (is the key the certificate's, both PEM?)" : "",
             srv.mhd_err[0] ? ": " : "", srv.mhd_err);
        st = GN_ERR_IO;
        goto out;
    }
    di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
    port = di ? di->port : o.port;
    if (o.on_ready)
        o.on_ready(o.ctx, o.host, port, srv.tls);
    while (stop_gen == my_gen) {
        struct pollfd pfd = {stop_pipe[0], POLLIN, 0};
        gn_err ignored;
        if (stop_pipe[0] >= 0)
            poll(&pfd, 1, 50);
        else
            gn_time_sleep(0.05, NULL);
        /* the WAL is copied into the database here, off the request path
         * (the campaign handles' commits do not: handles.c) */
        (void)gn_store_wal_checkpoint(db->store, NULL, NULL, &ignored);
    }
out:
    server_destroy(&srv);
    gn_db_close(db);
    free(cert);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    return st;
}
