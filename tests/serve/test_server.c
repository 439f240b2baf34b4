/*
 * test_server.c - the HTTP layer of `genesis serve` (src/serve/server.c,
 * router.c, body.c, limits.c, routes.c) through real HTTP: the server
 * runs in-process on 127.0.0.1 port 0 (or as the genesis binary, for TLS
 * and signals) and is talked to with libcurl and the curl program.
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gn_test.h"
#include "server_harness.h"
#include "store/store.h"
#include "serve/identity.h"
#include "store/store_serve.h"

static ts_world W;
static ts_server S;

static void start(const char *name, double rate, unsigned fail_max)
{
    gn_serve_options o;
    ts_world_make(&W, name);
    gn_serve_options_init(&o);
    o.port = 0;
    o.db_path = W.db;
    o.threads = 4;
    o.rate_limit = rate;
    o.auth_fail_max = fail_max;
    ts_server_start(&S, &o);
}

#define REQ(m, u, t, b) ts_http(&S, m, u, t, b, NULL, NULL)

static void expect(ts_resp *r, long status, const char *code)
{
    if (r->status != status || (code && strcmp(ts_code(r), code)))
        fail_msg("expected %ld %s, got %ld: %s", status, code ? code : "", r->status, r->body);
}

/* ---- basics ----------------------------------------------------------------- */

static void health_and_headers(void **state)
{
    ts_resp r;
    (void)state;
    start("health", 0, 0);
    r = REQ("GET", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    assert_string_equal(r.cache_control, "no-store");
    assert_string_equal(r.nosniff, "nosniff");
    assert_non_null(strstr(r.content_type, "application/json"));
    ts_resp_free(&r);
    /* errors carry them too */
    r = REQ("GET", "/nope", NULL, NULL);
    expect(&r, 404, "not_found");
    assert_string_equal(r.cache_control, "no-store");
    assert_non_null(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")));
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void unknown_routes_and_methods(void **state)
{
    static const char *const not_found[] = {
        "/", "/api", "/api/v1", "/api/v1/", "/api/v2/health", "/api/v1/health/",
        "/api/v1//health", "/api/v1/campaigns/flow/nope", "/api/v1/experiments/0",
        "/api/v1/experiments/01", "/api/v1/experiments/-1", "/api/v1/experiments/1x",
        "/api/v1/experiments/99999999999999999999", "/api/v1/campaigns/-lead",
        "/api/v1/campaigns/a%20b", "/api/v1/campaigns/.hidden"};
    static const char *const bad[] = {"/api/v1/campaigns/%2e%2e", "/api/v1/campaigns/..",
                                      "/api/v1/campaigns/a%2Fb", "/api/v1/campaigns/a%00b",
                                      "/api/v1/campaigns/a%zz", "/api/v1/campaigns/a%4"};
    char longpath[600];
    size_t i;
    ts_resp r;
    (void)state;

    start("routes", 0, 0);
    for (i = 0; i < sizeof not_found / sizeof *not_found; i++) {
        r = REQ("GET", not_found[i], W.root, NULL);
        if (r.status != 404)
            fail_msg("%s: expected 404, got %ld %s", not_found[i], r.status, r.body);
        assert_string_equal(ts_code(&r), "not_found");
        ts_resp_free(&r);
    }
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = REQ("GET", bad[i], W.root, NULL);
        if (r.status != 400)
            fail_msg("%s: expected 400, got %ld %s", bad[i], r.status, r.body);
        ts_resp_free(&r);
    }
    memset(longpath, 'a', sizeof longpath);
    memcpy(longpath, "/campaigns/", 11);
    longpath[sizeof longpath - 1] = '\0';
    r = REQ("GET", longpath, W.root, NULL);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    /* 405 with Allow */
    r = REQ("DELETE", "/campaigns/flow", W.root, NULL);
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET");
    ts_resp_free(&r);
    r = REQ("PUT", "/campaigns", W.root, "{}");
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET, POST");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow/suggest", W.root, NULL);
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "POST");
    ts_resp_free(&r);
    /* percent-encoded names decode */
    r = REQ("GET", "/campaigns/%66low", W.root, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void malformed_json_says_where(void **state)
{
    ts_resp r;
    json_t *where;
    (void)state;
    start("json", 0, 0);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\n  \"count\": 2,\n  \"x\" 3\n}");
    expect(&r, 400, "invalid_json");
    where = json_object_get(json_object_get(r.json, "error"), "where");
    assert_int_equal(json_integer_value(json_object_get(where, "line")), 3);
    assert_true(json_integer_value(json_object_get(where, "column")) >= 5);
    ts_resp_free(&r);
    /* not an object, duplicate keys, wrong types, ranges */
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "[1]");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": 1, \"count\": 2}");
    expect(&r, 400, "invalid_json");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": \"2\"}");
    expect(&r, 400, "bad_request");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "error"), "field")),
                        "count");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": 65}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": 1e400}");
    expect(&r, 400, "invalid_json");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": 1, \"s\": \"a\\u0000b\"}");
    expect(&r, 400, "invalid_json");
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void unknown_and_forbidden_fields(void **state)
{
    static const char *const fields[] = {"owner", "state", "id", "created", "classification",
                                         "role", "bogus"};
    char body[128];
    size_t i;
    ts_resp r;
    (void)state;
    start("fields", 0, 0);
    for (i = 0; i < sizeof fields / sizeof *fields; i++) {
        snprintf(body, sizeof body, "{\"count\": 1, \"%s\": \"x\"}", fields[i]);
        r = REQ("POST", "/campaigns/flow/suggest", W.eve, body);
        expect(&r, 400, "unknown_field");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r.json, "error"), "field")),
            fields[i]);
        ts_resp_free(&r);
    }
    /* a body where none is taken; unknown query parameters */
    r = REQ("POST", "/campaigns/flow/pause", W.alice, "{\"state\": \"active\"}");
    expect(&r, 400, "unknown_field");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns?owner=alice", W.alice, NULL);
    expect(&r, 400, "unknown_field");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns?limit=0", W.alice, NULL);
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns?limit=1&limit=2", W.alice, NULL);
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void body_limits_and_types(void **state)
{
    size_t n = (1u << 20) + 10;
    char *big = malloc(n + 1);
    ts_resp r;
    (void)state;
    start("limits", 0, 0);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, big);
    expect(&r, 413, "payload_too_large");
    ts_resp_free(&r);
    /* just under the limit is read whole, through 64 KiB of connection memory */
    big[(1u << 20) - 2] = '}';
    big[(1u << 20) - 1] = '\0';
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, big);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    /* chunked: no Content-Length, refused before the body is read */
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.eve, big, NULL,
                "Transfer-Encoding: chunked");
    expect(&r, 411, "length_required");
    ts_resp_free(&r);
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.eve, "{}", NULL,
                "Transfer-Encoding: chunked");
    expect(&r, 411, "length_required");
    ts_resp_free(&r);
    free(big);
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.eve, "{}", "text/plain", NULL);
    expect(&r, 415, "unsupported_media_type");
    ts_resp_free(&r);
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.eve, "{}", "application/jsonx", NULL);
    expect(&r, 415, "unsupported_media_type");
    ts_resp_free(&r);
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.eve, "{}",
                "application/json; charset=utf-8", NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    /* the server still answers after all that */
    r = REQ("GET", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

/* IPv6: the server listens on ::1 (port 0: any free one), answers there,
 * and the access log and audit name the caller's IPv6 address. Skipped
 * (with the reason) on a machine without an IPv6 loopback. */
static void ipv6_loopback(void **state)
{
    gn_serve_options o;
    ts_resp r;
    int fd;
    (void)state;
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "ipv6_loopback: skipped: no IPv6 sockets here\n");
        skip();
    }
    close(fd);
    ts_world_make(&W, "ipv6");
    gn_serve_options_init(&o);
    o.host = "::1";
    o.port = 0;
    o.db_path = W.db;
    o.threads = 2;
    ts_server_start(&S, &o);
    assert_non_null(strstr(S.base, "://[::1]:"));
    r = REQ("GET", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    r = REQ("GET", "/me", W.alice, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "user")), "alice");
    ts_resp_free(&r);
    /* a failed authentication is audited with the IPv6 address */
    r = REQ("GET", "/me", "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
    expect(&r, 401, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
    {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(W.db, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE remote = '::1'", -1,
                                            &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_true(sqlite3_column_int(st, 0) >= 1);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
}

/* A revoked token stops working within the principal cache's lifetime
 * (PCACHE_TTL, 1 s; docs/serve.md) even while it is used all the time:
 * the bound is checked with room for a loaded machine (3 s). */
static void revoked_token_refused_soon(void **state)
{
    gn_store *st = NULL;
    char secret[GN_TOKEN_LEN + 1];
    int64_t id = 0;
    gn_err err;
    ts_resp r;
    double t0, refused_after = -1;
    struct timespec ts;
    (void)state;
    start("revoke", 0, 0);
    assert_int_equal(gn_store_open(W.db, &st, &err), GN_OK);
    assert_int_equal(gn_token_create(st, "eve", "short-lived", 0, secret, &id, &err), GN_OK);
    r = REQ("GET", "/me", secret, NULL); /* now in the principal cache */
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    assert_int_equal(gn_store_token_revoke(st, id, &err), GN_OK);
    gn_store_close(st);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec + ts.tv_nsec * 1e-9;
    for (;;) {
        double now;
        r = REQ("GET", "/me", secret, NULL);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = ts.tv_sec + ts.tv_nsec * 1e-9;
        if (r.status == 401) {
            refused_after = now - t0;
            ts_resp_free(&r);
            break;
        }
        expect(&r, 200, NULL); /* cached until then, never anything else */
        ts_resp_free(&r);
        if (now - t0 > 3.0)
            break;
        usleep(20000);
    }
    fprintf(stderr, "revoked token refused after %.3f s\n", refused_after);
    assert_true(refused_after >= 0 && refused_after <= 3.0);
    /* and from then on */
    r = REQ("GET", "/me", secret, NULL);
    expect(&r, 401, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

/* ---- authentication, throttling, rate limits ---------------------------------- */

static void unauthorized(void **state)
{
    static const char *const bad[] = {NULL, "", "gns_", "nope",
                                      "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    size_t i;
    ts_resp r, first;
    (void)state;
    start("unauth", 0, 100);
    first = REQ("GET", "/me", NULL, NULL);
    expect(&first, 401, "unauthorized");
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = REQ("GET", "/campaigns", bad[i], NULL);
        expect(&r, 401, "unauthorized");
        assert_string_equal(r.body, first.body); /* one message for every case */
        ts_resp_free(&r);
    }
    r = ts_http(&S, "GET", "/me", NULL, NULL, NULL, "Authorization: Basic YTpi");
    expect(&r, 401, "unauthorized");
    ts_resp_free(&r);
    ts_resp_free(&first);
    r = REQ("GET", "/me", W.alice, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "user")), "alice");
    assert_null(strstr(r.body, W.alice)); /* the token is never echoed */
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void auth_failures_throttled(void **state)
{
    gn_store *st = NULL;
    gn_audit_rec *recs = NULL;
    size_t n = 0, i, blocks;
    gn_err err;
    ts_resp r;
    (void)state;
    start("throttle", 0, 5);
    for (i = 0; i < 5; i++) {
        r = REQ("GET", "/me", "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
        expect(&r, 401, "unauthorized");
        ts_resp_free(&r);
    }
    /* the address is blocked now: an invalid token or none gets 429 ... */
    r = REQ("GET", "/me", "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
    expect(&r, 429, "rate_limited");
    assert_true(atoi(r.retry_after) >= 1);
    ts_resp_free(&r);
    r = REQ("GET", "/me", "gns_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", NULL);
    expect(&r, 429, "rate_limited");
    ts_resp_free(&r);
    r = REQ("GET", "/me", NULL, NULL);
    expect(&r, 429, "rate_limited");
    ts_resp_free(&r);
    /* ... but a valid token still passes: one client with a bad token does
     * not lock out every client behind the same address */
    r = REQ("GET", "/me", W.alice, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "user")), "alice");
    ts_resp_free(&r);
    r = REQ("GET", "/me", W.alice, NULL); /* again, from the principal cache */
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    /* and an invalid one after it is still refused */
    r = REQ("GET", "/me", "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
    expect(&r, 429, "rate_limited");
    ts_resp_free(&r);
    /* public routes stay open */
    r = REQ("GET", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
    /* every failure was audited, with the address */
    assert_int_equal(gn_store_open(W.db, &st, &err), GN_OK);
    assert_int_equal(gn_store_audit_list(st, NULL, "auth.fail", 100, &recs, &n, &err), GN_OK);
    assert_true(n >= 5);
    for (i = 0; i < n; i++) {
        assert_string_equal(recs[i].remote, "127.0.0.1");
        assert_null(recs[i].user);
    }
    /* the block itself too; the 429s during it are not audited one by one */
    for (i = 0, blocks = 0; i < n; i++)
        blocks += !strcmp(recs[i].result, "blocked");
    assert_int_equal(blocks, 1);
    assert_int_equal(n, 6);
    gn_audit_rec_array_free(recs, n);
    gn_store_close(st);
}

static void rate_limited(void **state)
{
    int i, limited = 0, ok = 0;
    ts_resp r;
    (void)state;
    start("rate", 5, 0); /* 5/s, burst 10 */
    for (i = 0; i < 40 && !limited; i++) {
        r = REQ("GET", "/me", W.vic, NULL);
        if (r.status == 429) {
            limited = 1;
            assert_string_equal(ts_code(&r), "rate_limited");
            assert_true(atoi(r.retry_after) >= 1);
        } else {
            expect(&r, 200, NULL);
            ok++;
        }
        ts_resp_free(&r);
    }
    assert_true(limited);
    assert_true(ok >= 9);
    /* per token: another token is not affected */
    r = REQ("GET", "/me", W.alice, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

/* ---- objects and roles ----------------------------------------------------------- */

static void hidden_is_404(void **state)
{
    ts_resp missing, hidden, r;
    (void)state;
    start("hidden", 0, 0);
    /* restricted: alice (controlled) cannot see it; a missing one looks the same */
    missing = REQ("GET", "/campaigns/secrex", W.alice, NULL);
    expect(&missing, 404, "not_found");
    hidden = REQ("GET", "/campaigns/secret", W.alice, NULL);
    expect(&hidden, 404, "not_found");
    {
        /* the same answer, but for the name */
        char expected[512];
        char *p = strstr(missing.body, "secrex");
        assert_non_null(p);
        snprintf(expected, sizeof expected, "%.*ssecret%s", (int)(p - missing.body), missing.body,
                 p + 6);
        assert_string_equal(hidden.body, expected);
    }
    ts_resp_free(&missing);
    ts_resp_free(&hidden);
    r = REQ("POST", "/campaigns/secret/pause", W.alice, NULL);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    /* listings and totals leave it out */
    r = REQ("GET", "/campaigns", W.alice, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2); /* flow, ctl */
    assert_null(strstr(r.body, "\"secret\""));
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns", W.vic, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1); /* flow */
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns", W.bob, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow", W.bob, NULL);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns", W.root, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 3);
    ts_resp_free(&r);
    r = REQ("GET", "/datasets", W.bob, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
    ts_resp_free(&r);
    r = REQ("GET", "/datasets/beads", W.bob, NULL);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    r = REQ("GET", "/datasets/beads", W.vic, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "rows")), 3);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static void forbidden_is_403(void **state)
{
    ts_resp r;
    (void)state;
    start("forbidden", 0, 0);
    r = REQ("POST", "/campaigns/flow/suggest", W.vic, "{}");
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/pause", W.eve, NULL);
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/pause", W.alice, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "paused");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{}");
    expect(&r, 409, "conflict");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/resume", W.alice, "{}");
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/archive", W.alice, "");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "archived");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/resume", W.alice, NULL);
    expect(&r, 409, "conflict");
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static char *create_body(const char *spec, const char *project, const char *cls)
{
    json_t *j = json_pack("{s:s, s:s}", "spec", spec, "project", project);
    char *text;
    if (cls)
        json_object_set_new(j, "classification", json_string(cls));
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static void create_campaign(void **state)
{
    static const char spec[] = "name: reactor\nparameters:\n  - {name: t, type: real, low: 300, "
                               "high: 450}\nobjectives:\n  - {name: yield, goal: maximize}\n"
                               "budget: {experiments: 5}\n";
    static const char bad_spec[] = "name: r2\nparameters: 3\n";
    static const char cmd_spec[] = "name: r3\nparameters:\n  - {name: t, type: real, low: 0, "
                                   "high: 1}\nobjectives:\n  - {name: y, goal: maximize}\n"
                                   "budget: {experiments: 5}\nrunner: {command: [sh, -c, "
                                   "'echo {t}']}\n";
    char *b;
    ts_resp r;
    (void)state;
    start("create", 0, 0);
    b = create_body(spec, "chem", NULL);
    r = REQ("POST", "/campaigns", W.eve, b); /* experimenter: not enough */
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 201, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "owner")), "alice");
    assert_string_equal(json_string_value(json_object_get(r.json, "classification")), "internal");
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "active");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 409, "exists");
    ts_resp_free(&r);
    free(b);
    /* above the caller's clearance; a project they are not in */
    b = create_body(spec, "chem", "restricted");
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    free(b);
    b = create_body(spec, "physics", NULL);
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    free(b);
    b = create_body(bad_spec, "chem", NULL);
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 400, "invalid_spec");
    assert_non_null(strstr(r.body, "<request>:"));
    ts_resp_free(&r);
    free(b);
    b = create_body(cmd_spec, "chem", NULL);
    r = REQ("POST", "/campaigns", W.alice, b);
    expect(&r, 400, "invalid_spec");
    ts_resp_free(&r);
    free(b);
    r = REQ("POST", "/campaigns", W.alice, "{\"spec\": \"x\", \"project\": \"chem\", \"owner\": \"vic\"}");
    expect(&r, 400, "unknown_field");
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns", W.alice, "{\"project\": \"chem\"}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/reactor", W.vic, NULL);
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

/* ---- ask and tell ------------------------------------------------------------------- */

static json_int_t suggest_one(const char *token)
{
    ts_resp r = REQ("POST", "/campaigns/flow/suggest", token, "{\"count\": 1, \"lease_seconds\": 60}");
    json_t *e;
    json_int_t id;
    expect(&r, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "experiments")), 1);
    e = json_array_get(json_object_get(r.json, "experiments"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "proposed");
    assert_non_null(json_object_get(json_object_get(e, "lease"), "deadline"));
    id = json_integer_value(json_object_get(e, "id"));
    ts_resp_free(&r);
    return id;
}

static void ask_tell_over_http(void **state)
{
    char url[128], url2[128];
    json_int_t a, b, c, d;
    ts_resp r, r2;
    (void)state;
    start("asktell", 0, 0);
    a = suggest_one(W.eve);
    b = suggest_one(W.eve);
    c = suggest_one(W.eve);
    d = suggest_one(W.eve);
    assert_true(a != b);
    /* tell with a key; the retry replays the same answer */
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)a);
    r = REQ("POST", url, W.eve, "{\"key\": \"k-1\", \"outcome\": {\"y\": 0.5}}");
    expect(&r, 200, NULL);
    assert_false(json_is_true(json_object_get(r.json, "replayed")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "experiment"),
                                                          "status")),
                        "completed");
    r2 = REQ("POST", url, W.eve, "{\"outcome\": {\"y\": 0.5}, \"key\": \"k-1\"}");
    expect(&r2, 200, NULL);
    assert_true(json_is_true(json_object_get(r2.json, "replayed")));
    assert_true(json_equal(json_object_get(r.json, "experiment"),
                           json_object_get(r2.json, "experiment")));
    ts_resp_free(&r2);
    ts_resp_free(&r);
    /* the header works as the key */
    r = ts_http(&S, "POST", url, W.eve, "{\"outcome\": {\"y\": 0.5}}", NULL, "Idempotency-Key: k-1");
    expect(&r, 200, NULL);
    assert_true(json_is_true(json_object_get(r.json, "replayed")));
    ts_resp_free(&r);
    r = REQ("POST", url, W.eve, "{\"key\": \"k-1\", \"outcome\": {\"y\": 0.7}}");
    expect(&r, 409, "idempotency_key_reused");
    ts_resp_free(&r);
    r = REQ("POST", url, W.eve, "{\"outcome\": {\"y\": 0.7}}");
    expect(&r, 409, "already_finished");
    ts_resp_free(&r);
    /* bad outcomes */
    snprintf(url2, sizeof url2, "/experiments/%lld/outcome", (long long)b);
    r = REQ("POST", url2, W.eve, "{\"outcome\": {\"z\": 1}}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("POST", url2, W.eve, "{\"outcome\": {\"y\": 1}, \"failure\": \"x\"}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("POST", url2, W.eve, "{}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    r = REQ("POST", url2, W.eve, "{\"outcome\": {\"y\": \"high\"}}");
    expect(&r, 400, "bad_request");
    ts_resp_free(&r);
    /* partial, then failure */
    r = REQ("POST", url2, W.eve, "{\"partial\": {\"temp\": 349.5}}");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "experiment"),
                                                          "status")),
                        "proposed");
    ts_resp_free(&r);
    r = REQ("POST", url2, W.eve, "{\"failure\": \"pump fault\"}");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "experiment"),
                                                          "status")),
                        "failed");
    ts_resp_free(&r);
    snprintf(url2, sizeof url2, "/experiments/%lld", (long long)b);
    r = REQ("GET", url2, W.vic, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(r.json, "reason")), "pump fault");
    assert_near(json_number_value(json_object_get(json_object_get(r.json, "partial"), "temp")),
                349.5, 1e-9);
    ts_resp_free(&r);
    /* lease renewal and abandon */
    snprintf(url, sizeof url, "/experiments/%lld/lease", (long long)c);
    r = REQ("POST", url, W.eve, "{\"lease_seconds\": 7200}");
    expect(&r, 200, NULL);
    assert_true(json_number_value(json_object_get(json_object_get(r.json, "lease"), "deadline")) >
                (double)time(NULL) + 7000);
    ts_resp_free(&r);
    snprintf(url, sizeof url, "/experiments/%lld/abandon", (long long)d);
    r = REQ("POST", url, W.eve, "{\"reason\": \"no reagent\"}");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "abandoned");
    assert_string_equal(json_string_value(json_object_get(r.json, "reason")), "no reagent");
    ts_resp_free(&r);
    r = REQ("POST", url, W.eve, NULL);
    expect(&r, 409, "already_finished");
    ts_resp_free(&r);
    /* viewers may read; not tell */
    snprintf(url, sizeof url, "/experiments/%lld", (long long)a);
    r = REQ("GET", url, W.vic, NULL);
    expect(&r, 200, NULL);
    assert_near(json_number_value(json_object_get(json_object_get(r.json, "outcome"), "y")), 0.5,
                1e-12);
    ts_resp_free(&r);
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)c);
    r = REQ("POST", url, W.vic, "{\"outcome\": {\"y\": 1}}");
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    r = REQ("GET", "/experiments/999999", W.vic, NULL);
    expect(&r, 404, "not_found");
    ts_resp_free(&r);
    /* listing, filtered and paged */
    r = REQ("GET", "/campaigns/flow/experiments?status=completed", W.vic, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow/experiments?limit=2&offset=1", W.vic, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 4);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow", W.vic, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "counts"),
                                                        "completed")),
                     1);
    ts_resp_free(&r);
    ts_server_stop(&S);
}

static long audit_count(const char *db, const char *action)
{
    gn_store *st = NULL;
    gn_audit_rec *recs = NULL;
    size_t n = 0;
    gn_err err;
    assert_int_equal(gn_store_open(db, &st, &err), GN_OK);
    assert_int_equal(gn_store_audit_list(st, NULL, action, 100000, &recs, &n, &err), GN_OK);
    gn_audit_rec_array_free(recs, n);
    gn_store_close(st);
    return (long)n;
}

static void audit_of_changes_and_reads(void **state)
{
    char url[128];
    json_int_t a;
    ts_resp r;
    (void)state;
    start("auditrw", 0, 0);
    a = suggest_one(W.eve);
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)a);
    r = REQ("POST", url, W.eve, "{\"outcome\": {\"y\": 0.25}}");
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/ctl", W.alice, NULL); /* controlled: audited */
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow", W.alice, NULL); /* internal: not */
    expect(&r, 200, NULL);
    ts_resp_free(&r);
    r = REQ("POST", "/campaigns/flow/pause", W.vic, NULL); /* forbidden: audited */
    expect(&r, 403, "forbidden");
    ts_resp_free(&r);
    ts_server_stop(&S);
    /* one record per write transaction: a suggestion may take two (new
     * proposals, then their leases) */
    assert_int_equal(audit_count(W.db, "campaign.suggest"), 1);
    assert_int_equal(audit_count(W.db, "experiment.tell"), 1);
    assert_int_equal(audit_count(W.db, "campaign.read"), 1);
    assert_int_equal(audit_count(W.db, "campaign.pause"), 1); /* the denied attempt */
}

/* If the audit record cannot be written, the request fails and nothing
 * changes. */
static void audit_failure_fails_request(void **state)
{
    sqlite3 *sq;
    char url[128];
    json_int_t a;
    ts_resp r;
    (void)state;
    start("auditfail", 0, 0);
    a = suggest_one(W.eve);
    assert_int_equal(sqlite3_open(W.db, &sq), SQLITE_OK);
    sqlite3_busy_timeout(sq, 10000);
    assert_int_equal(sqlite3_exec(sq,
                                  "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN "
                                  "SELECT RAISE(ABORT, 'audit disk full'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)a);
    r = REQ("POST", url, W.eve, "{\"key\": \"k\", \"outcome\": {\"y\": 0.25}}");
    expect(&r, 500, "internal");
    ts_resp_free(&r);
    assert_int_equal(sqlite3_exec(sq, "DROP TRIGGER no_audit;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(sq);
    snprintf(url, sizeof url, "/experiments/%lld", (long long)a);
    r = REQ("GET", url, W.eve, NULL);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "proposed");
    ts_resp_free(&r);
    /* and the same key works now (nothing was stored with it) */
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)a);
    r = REQ("POST", url, W.eve, "{\"key\": \"k\", \"outcome\": {\"y\": 0.25}}");
    expect(&r, 200, NULL);
    assert_false(json_is_true(json_object_get(r.json, "replayed")));
    ts_resp_free(&r);
    ts_server_stop(&S);
}

/* ---- the genesis binary: TLS, options, signals ------------------------------------- */

/* Starts `genesis serve ARGS`, reads its "listening on" line into url.
 * Returns the pid (0 when it exited; *status then). */
static pid_t serve_bin(const char *args, char *url, size_t size, int *status, char *errout,
                       size_t errsize)
{
    char cmd[2048], line[512], logp[700];
    int fds[2];
    pid_t pid;
    FILE *f;
    const char *bin = getenv("GENESIS_BIN");

    snprintf(logp, sizeof logp, "%s/serve.log", W.dir);
    snprintf(cmd, sizeof cmd, "exec '%s' serve %s 2>'%s'",
             bin ? bin : GN_BINARY_DIR "/genesis", args, logp);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    url[0] = '\0';
    if (fgets(line, sizeof line, f) && !strncmp(line, "listening on ", 13)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(url, size, "%s", line + 13);
        fclose(f);
        return pid;
    }
    fclose(f);
    waitpid(pid, status, 0);
    if (errout) {
        FILE *lf = fopen(logp, "r");
        size_t n = lf ? fread(errout, 1, errsize - 1, lf) : 0;
        errout[n] = '\0';
        if (lf)
            fclose(lf);
    }
    return 0;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void tls_with_curl(void **state)
{
    char cert[700], key[700], tmpl[700], cmd[4096], url[256], args[2048], out[700], msg[2048];
    int status = 0;
    pid_t pid;
    FILE *f;
    (void)state;

    ts_world_make(&W, "tls");
    snprintf(cert, sizeof cert, "%s/cert.pem", W.dir);
    snprintf(key, sizeof key, "%s/key.pem", W.dir);
    snprintf(tmpl, sizeof tmpl, "%s/cert.cfg", W.dir);
    snprintf(out, sizeof out, "%s/curl.out", W.dir);
    if (run("command -v certtool >/dev/null") == 0) {
        f = fopen(tmpl, "w");
        fputs("cn = 127.0.0.1\nip_address = 127.0.0.1\nexpiration_days = 2\n"
              "tls_www_server\nsigning_key\nencryption_key\n", f);
        fclose(f);
        snprintf(cmd, sizeof cmd,
                 "certtool --generate-privkey --key-type=ecdsa --outfile '%s' 2>/dev/null && "
                 "certtool --generate-self-signed --load-privkey '%s' --template '%s' "
                 "--outfile '%s' >/dev/null 2>&1",
                 key, key, tmpl, cert);
    } else {
        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                 "-keyout '%s' -out '%s' -days 2 -subj /CN=127.0.0.1 "
                 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
                 key, cert);
    }
    assert_int_equal(run(cmd), 0);

    /* half a TLS configuration, or an unreadable file: refused, clearly */
    snprintf(args, sizeof args, "--listen 127.0.0.1:0 --db '%s' --tls-cert '%s'", W.db, cert);
    pid = serve_bin(args, url, sizeof url, &status, msg, sizeof msg);
    assert_int_equal(pid, 0);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_non_null(strstr(msg, "--tls-key"));
    snprintf(args, sizeof args, "--listen 127.0.0.1:0 --db '%s' --tls-cert '%s' --tls-key '%s/nope.pem'",
             W.db, cert, W.dir);
    pid = serve_bin(args, url, sizeof url, &status, msg, sizeof msg);
    assert_int_equal(pid, 0);
    assert_int_not_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(msg, "nope.pem"));
    /* a certificate given as the key */
    snprintf(args, sizeof args, "--listen 127.0.0.1:0 --db '%s' --tls-cert '%s' --tls-key '%s'",
             W.db, cert, cert);
    pid = serve_bin(args, url, sizeof url, &status, msg, sizeof msg);
    assert_int_equal(pid, 0);
    assert_int_not_equal(WEXITSTATUS(status), 0);

    snprintf(args, sizeof args, "--listen 127.0.0.1:0 --db '%s' --tls-cert '%s' --tls-key '%s'",
             W.db, cert, key);
    pid = serve_bin(args, url, sizeof url, &status, msg, sizeof msg);
    if (!pid)
        fail_msg("genesis serve with TLS did not start: %s", msg);
    assert_true(!strncmp(url, "https://127.0.0.1:", 18));
    /* the real curl, trusting only our certificate */
    snprintf(cmd, sizeof cmd, "curl -sS --fail --cacert '%s' -o '%s' '%s/api/v1/health'", cert,
             out, url);
    assert_int_equal(run(cmd), 0);
    f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(msg, sizeof msg, f));
    fclose(f);
    assert_non_null(strstr(msg, "\"ok\""));
    snprintf(cmd, sizeof cmd,
             "curl -sS --fail --cacert '%s' -H 'Authorization: Bearer %s' -o '%s' "
             "'%s/api/v1/campaigns/flow'",
             cert, W.eve, out, url);
    assert_int_equal(run(cmd), 0);
    /* without trusting it, curl refuses; plain HTTP to the TLS port fails */
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null '%s/api/v1/health'", url);
    assert_int_not_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "curl -s --max-time 5 -o /dev/null -w '%%{http_code}' 'http%s/api/v1/health' | grep -q 200",
             url + 5);
    assert_int_not_equal(run(cmd), 0);
    /* SIGTERM: a clean stop */
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* the access log: one line per request, no token */
    snprintf(cmd, sizeof cmd, "grep -c 'GET /api/v1/' '%s/serve.log' | grep -qv '^0$' && ! grep -q '%s' '%s/serve.log'",
             W.dir, W.eve, W.dir);
    assert_int_equal(run(cmd), 0);
}

static void cli_usage(void **state)
{
    char url[256], msg[2048], args[1024];
    int status = 0;
    (void)state;
    ts_world_make(&W, "cliusage");
    assert_int_equal(serve_bin("--listen nonsense", url, sizeof url, &status, msg, sizeof msg), 0);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_int_equal(serve_bin("--threads 0", url, sizeof url, &status, msg, sizeof msg), 0);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_int_equal(serve_bin("--help", url, sizeof url, &status, msg, sizeof msg), 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    snprintf(args, sizeof args, "--listen 127.0.0.1:0 --db '%s/no/such/dir/x.db'", W.dir);
    assert_int_equal(serve_bin(args, url, sizeof url, &status, msg, sizeof msg), 0);
    assert_int_not_equal(WEXITSTATUS(status), 0);
}

/* ---- concurrency --------------------------------------------------------------------- */

typedef struct {
    json_int_t id;
    long status;
} tell_job;

static void *tell_thread(void *arg)
{
    tell_job *j = arg;
    char url[128], body[128];
    ts_resp r;
    snprintf(url, sizeof url, "/experiments/%lld/outcome", (long long)j->id);
    snprintf(body, sizeof body, "{\"key\": \"c-%lld\", \"outcome\": {\"y\": %lld}}",
             (long long)j->id, (long long)j->id);
    r = REQ("POST", url, W.eve, body);
    j->status = r.status;
    ts_resp_free(&r);
    return NULL;
}

static void concurrent_tells(void **state)
{
    enum { N = 12 };
    tell_job jobs[2 * N];
    pthread_t th[2 * N];
    ts_resp r;
    json_t *exps;
    size_t i;
    (void)state;
    start("concurrent", 0, 0);
    r = REQ("POST", "/campaigns/flow/suggest", W.eve, "{\"count\": 12}");
    expect(&r, 200, NULL);
    exps = json_object_get(r.json, "experiments");
    assert_int_equal(json_array_size(exps), N);
    /* every tell twice, all at once: each recorded once, all answered 200 */
    for (i = 0; i < 2 * N; i++) {
        jobs[i].id = json_integer_value(json_object_get(json_array_get(exps, i % N), "id"));
        assert_int_equal(pthread_create(&th[i], NULL, tell_thread, &jobs[i]), 0);
    }
    for (i = 0; i < 2 * N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].status, 200);
    }
    ts_resp_free(&r);
    r = REQ("GET", "/campaigns/flow", W.eve, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "counts"),
                                                        "completed")),
                     N);
    ts_resp_free(&r);
    ts_server_stop(&S);
    assert_int_equal(audit_count(W.db, "experiment.tell"), N);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_and_headers),
        cmocka_unit_test(ipv6_loopback),
        cmocka_unit_test(revoked_token_refused_soon),
        cmocka_unit_test(unknown_routes_and_methods),
        cmocka_unit_test(malformed_json_says_where),
        cmocka_unit_test(unknown_and_forbidden_fields),
        cmocka_unit_test(body_limits_and_types),
        cmocka_unit_test(unauthorized),
        cmocka_unit_test(auth_failures_throttled),
        cmocka_unit_test(rate_limited),
        cmocka_unit_test(hidden_is_404),
        cmocka_unit_test(forbidden_is_403),
        cmocka_unit_test(create_campaign),
        cmocka_unit_test(ask_tell_over_http),
        cmocka_unit_test(audit_of_changes_and_reads),
        cmocka_unit_test(audit_failure_fails_request),
        cmocka_unit_test(concurrent_tells),
        cmocka_unit_test(tls_with_curl),
        cmocka_unit_test(cli_usage),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
