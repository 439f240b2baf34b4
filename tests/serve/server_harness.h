/*
 * server_harness.h - the in-process server of test_server.c and
 * test_openapi.c: gn_serve_run in a thread on 127.0.0.1 port 0, a
 * database with users, projects, tokens and campaigns made through the
 * library, and a small libcurl client.
 */
#ifndef GN_TESTS_SERVE_SERVER_HARNESS_H
#define GN_TESTS_SERVE_SERVER_HARNESS_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "genesis/serve.h"

/* The people of every test database:
 *   root   server admin
 *   alice  maintainer in chem, clearance controlled
 *   eve    experimenter in chem, clearance internal
 *   vic    viewer in chem, clearance internal
 *   bob    member of nothing
 * and campaigns in project chem: flow (internal, 1 real parameter x,
 * objective y maximised, budget 20), secret (restricted), ctl
 * (controlled), plus dataset "beads" (chem, internal, 3 rows). */
typedef struct ts_world {
    char dir[512];
    char db[600];
    char root[64], alice[64], eve[64], vic[64], bob[64];
} ts_world;

/* Makes GN_TEST_TMP/serve-<name>/ afresh and the world in it. */
void ts_world_make(ts_world *w, const char *name);

typedef struct ts_server {
    gn_serve_options o;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned port;
    int ready, done;
    int status;         /* gn_serve_run's result */
    char err[512];
    char base[128];     /* "http://127.0.0.1:PORT/api/v1" */
    long log_lines;
} ts_server;

/* Starts gn_serve_run(o) in a thread (o's on_ready/on_log are set here)
 * and waits until it listens. */
void ts_server_start(ts_server *s, const gn_serve_options *o);
/* gn_serve_request_stop and join; asserts that it returned GN_OK. */
void ts_server_stop(ts_server *s);

typedef struct ts_resp {
    long status;
    char *body;
    json_t *json;
    char allow[128];
    char retry_after[32];
    char cache_control[64];
    char nosniff[64];
    char content_type[128];
} ts_resp;

/* One request: method, url (absolute, or a path appended to s->base when
 * it starts with '/'), bearer token (may be NULL), body (may be NULL),
 * content type (NULL: application/json when there is a body), one extra
 * header line (may be NULL). */
ts_resp ts_http(const ts_server *s, const char *method, const char *url, const char *token,
                const char *body, const char *ctype, const char *header);
void ts_resp_free(ts_resp *r);
/* The error code of an error body ("" when none). */
const char *ts_code(const ts_resp *r);

#endif
