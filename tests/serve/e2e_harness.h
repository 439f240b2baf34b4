/*
 * e2e_harness.h - what the end-to-end tests of `genesis serve` share
 * (test_e2e.c, test_matrix.c, test_durability.c): the real genesis binary
 * run as a server on 127.0.0.1 with a port of its choosing, the genesis
 * command for users, projects and tokens, and a small libcurl client.
 *
 * Every server started here is killed when the test ends, also when it
 * fails: e2e_teardown (the cmocka teardown of every case) stops them, an
 * atexit handler does too, and each server gets PR_SET_PDEATHSIG so that
 * even a crashed test program takes it along.
 */
#ifndef GN_TESTS_SERVE_E2E_HARNESS_H
#define GN_TESTS_SERVE_E2E_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

/* ctest's SKIP_RETURN_CODE for these programs. */
#define E2E_SKIP 77

typedef struct e2e_server {
    pid_t pid;      /* 0 when not running */
    int port;       /* chosen by the first start; reused by restarts */
    char dir[512];  /* the test's own folder under GN_TEST_TMP */
    char db[600];   /* dir/genesis.db */
    char base[128]; /* "http://127.0.0.1:PORT" */
    char api[160];  /* base + "/api/v1" */
    char log[640];  /* the server's stdout and stderr */
    int starts;
} e2e_server;

/* The genesis binary (GENESIS_BIN, else GN_BINARY_DIR/genesis). */
const char *e2e_bin(void);

/* Exits the program with E2E_SKIP and a clear message when the genesis
 * binary has no `serve` command; returns otherwise. */
void e2e_require_serve(void);

/* Makes an empty folder GN_TEST_TMP/serve-<name> and sets up s (not
 * started) to use it, with the database dir/genesis.db. */
void e2e_server_init(e2e_server *s, const char *name);

/* Starts `genesis serve --listen 127.0.0.1:PORT --db DB` (PORT 0 the first
 * time, the same port afterwards) and waits for its "listening on" line;
 * fails the test (with the server's log) when it does not come. */
void e2e_server_start(e2e_server *s);
/* SIGTERM, then waits (SIGKILL after 15 s); a no-op when not running.
 * Returns the exit status seen (128+signal when killed). */
int e2e_server_stop(e2e_server *s);
/* kill -9 and reap. */
void e2e_server_kill9(e2e_server *s);
/* The cmocka teardown: stops every server still running. */
int e2e_teardown(void **state);

/* Runs `genesis ARGS --db DB` (ARGS a printf format; quote yourself) and
 * returns its exit status; its standard output goes to out (may be NULL),
 * its standard error to dir/cli.log. */
int e2e_cli(const e2e_server *s, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* As e2e_cli, but fails the test unless the exit status is 0. */
void e2e_cli_ok(const e2e_server *s, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* `genesis user add NAME`, and for each of the n (project, role,
 * clearance) triples `genesis project member`; then `genesis token create`:
 * the secret lands in token[GN..]. Projects must exist. */
void e2e_user(const e2e_server *s, const char *name, char token[64], size_t n,
              const char *const memberships[][3]);

/* ---- HTTP --------------------------------------------------------------- */

typedef struct e2e_resp {
    long status;   /* 0: no answer (transport error) */
    CURLcode curl; /* CURLE_OK when an answer came */
    char *body;    /* NUL-terminated, owned */
    size_t len;
    json_t *json;       /* the body parsed, or NULL */
    double retry_after; /* Retry-After header, seconds; -1 when absent */
    char allow[128];    /* Allow header */
} e2e_resp;

void e2e_resp_free(e2e_resp *r);

/* One request on handle h (reused: keep-alive); path is appended to
 * s->api unless it starts with "http". token may be NULL; body NULL: no
 * body. content_type NULL: application/json when there is a body. extra
 * header (e.g. "Idempotency-Key: k") may be NULL. Returns r->status. */
long e2e_http(CURL *h, const e2e_server *s, const char *method, const char *path, const char *token,
              const char *body, const char *content_type, const char *extra_header, e2e_resp *r);

/* As e2e_http on a per-thread handle kept by the harness; fails the test
 * unless the status is `want` (0: any), printing the body. */
json_t *e2e_call(const e2e_server *s, const char *method, const char *path, const char *token,
                 const char *body, long want);
/* e2e_call for a JSON body built with json_pack-style format. */
json_t *e2e_callf(const e2e_server *s, const char *method, const char *path, const char *token,
                  long want, const char *fmt, ...);

/* The string field `key` of obj ("" when absent or not a string). */
const char *e2e_str(const json_t *obj, const char *key);
/* The integer field `key` (-1 when absent). */
long long e2e_int(const json_t *obj, const char *key);

/* A campaign spec without a runner: x1 in [-5, 10], x2 in [0, 15],
 * objective f minimised, the given planner and budget; YAML text in buf. */
void e2e_spec(char *buf, size_t size, const char *name, const char *planner, int budget);

/* Milliseconds of monotonic time. */
double e2e_now_ms(void);
void e2e_sleep_ms(double ms);

#endif
