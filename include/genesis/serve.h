/*
 * genesis/serve.h - the Genesis HTTP service (`genesis serve`).
 *
 * gn_serve_run starts an HTTP(S) server on a campaign database and serves
 * the API of docs/api.md until gn_serve_request_stop is called. The rules
 * users see (identity, roles, limits, leases, idempotent tells) are in
 * docs/serve.md.
 *
 *     gn_serve_options o;
 *     gn_serve_options_init(&o);
 *     o.host = "127.0.0.1"; o.port = 8080; o.db_path = "lab.db";
 *     gn_serve_run(&o, errbuf, sizeof errbuf);   // blocks; SIGINT -> request_stop
 */
#ifndef GENESIS_SERVE_H
#define GENESIS_SERVE_H

#include <stddef.h>

#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gn_serve_options {
    const char *host;      /* an IPv4 or IPv6 address literal; default "127.0.0.1" */
    unsigned port;         /* 0: the system picks a free port (on_ready says which) */
    const char *db_path;   /* NULL: $GENESIS_DB, else ./genesis.db */
    /* TLS: both PEM files or neither (GN_ERR_INVALID naming the missing
     * one; GN_ERR_IO when one cannot be read). */
    const char *tls_cert;
    const char *tls_key;
    unsigned threads;      /* worker threads; 0: twice the number of cores */
    double rate_limit;     /* requests per second per token; burst twice that.
                              0: 2000/s; < 0: no limit */
    size_t body_limit;     /* request body bytes; 0: 1 MiB (at most 16 MiB) */
    unsigned timeout;      /* idle connection timeout, seconds; 0: 30 */
    /* Failed authentications from one address: auth_fail_max
     * (0: 10) within auth_fail_window seconds (0: 60) blocks the address
     * with 429 for auth_block seconds (0: 60). */
    unsigned auth_fail_max;
    double auth_fail_window;
    double auth_block;
    /* Called once when the server accepts connections, with the real port
     * and 1 when it speaks TLS. May be NULL. */
    void (*on_ready)(void *ctx, const char *host, unsigned port, int tls);
    /* One line per request ("POST /api/v1/... 200 3.1ms alice"), never a
     * token; called from worker threads, one call at a time. May be NULL. */
    void (*on_log)(void *ctx, const char *line);
    void *ctx;
} gn_serve_options;

/* Sets the defaults described above (everything 0/NULL, host 127.0.0.1). */
GN_API void gn_serve_options_init(gn_serve_options *o);

/* Serves until gn_serve_request_stop; then finishes the requests in
 * flight and returns GN_OK. Fails without serving when the options are
 * invalid, the database cannot be opened, the TLS files are unusable or
 * the address cannot be bound; a message saying why is written to
 * errbuf (may be NULL). */
GN_API gn_status gn_serve_run(const gn_serve_options *opts, char *errbuf, size_t errbuf_size);

/* Makes every running gn_serve_run return. Async-signal-safe: call it from
 * a SIGINT/SIGTERM handler. A request made before gn_serve_run starts is
 * forgotten when it starts. */
GN_API void gn_serve_request_stop(void);

#ifdef __cplusplus
}
#endif
#endif
