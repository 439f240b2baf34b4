/*
 * test_e2e.c - the HTTP contract of docs/api.md, end to end: the real
 * `genesis serve` on 127.0.0.1, users and tokens made with the genesis
 * command, every request a real HTTP request (libcurl).
 *
 * Each case starts its own server on its own database (port 0, the
 * "listening on" line says which) and stops it at the end, also when the
 * case fails (e2e_teardown). Skipped (exit 77) when genesis has no serve.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e_harness.h"
#include "genesis/campaign.h"
#include "gn_test.h"

typedef struct world {
    e2e_server srv;
    char alice[64];  /* maintainer, restricted, in lab */
    char robot1[64]; /* experimenter, internal, in lab */
    char robot2[64]; /* experimenter, internal, in lab */
    char viewer[64]; /* viewer, internal, in lab */
} world;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A fresh database with the users above, and the server on it. */
static void world_start(world *w, const char *name)
{
    static const char *const alice_m[][3] = {{"lab", "maintainer", "restricted"}};
    static const char *const robot_m[][3] = {{"lab", "experimenter", "internal"}};
    static const char *const viewer_m[][3] = {{"lab", "viewer", "internal"}};
    memset(w, 0, sizeof *w);
    e2e_server_init(&w->srv, name);
    e2e_cli_ok(&w->srv, NULL, 0, "project add lab");
    e2e_user(&w->srv, "alice", w->alice, 1, alice_m);
    e2e_user(&w->srv, "robot1", w->robot1, 1, robot_m);
    e2e_user(&w->srv, "robot2", w->robot2, 1, robot_m);
    e2e_user(&w->srv, "viewer", w->viewer, 1, viewer_m);
    e2e_server_start(&w->srv);
}

/* POST /campaigns as `token`; returns the campaign object (201). */
static json_t *create_campaign(world *w, const char *token, const char *name, const char *planner,
                               int budget, const char *cls)
{
    char spec[2048];
    e2e_spec(spec, sizeof spec, name, planner, budget);
    return e2e_callf(&w->srv, "POST", "/campaigns", token, 201, "{s:s, s:s, s:s}", "spec", spec,
                     "project", "lab", "classification", cls);
}

/* POST /campaigns/NAME/suggest; returns the experiments array (a new
 * reference) and checks each is leased to `user`. */
static json_t *suggest(world *w, const char *token, const char *user, const char *name, int count,
                       int lease_seconds)
{
    char path[256];
    snprintf(path, sizeof path, "/campaigns/%s/suggest", name);
    json_t *r = e2e_callf(&w->srv, "POST", path, token, 200, "{s:i, s:i}", "count", count,
                          "lease_seconds", lease_seconds);
    json_t *exps = json_incref(json_object_get(r, "experiments"));
    json_decref(r);
    assert_true(json_is_array(exps));
    size_t i;
    json_t *e;
    json_array_foreach (exps, i, e) {
        assert_true(e2e_int(e, "id") > 0);
        assert_string_equal(e2e_str(e, "campaign"), name);
        assert_string_equal(e2e_str(e, "status"), "proposed");
        json_t *p = json_object_get(e, "parameters");
        assert_true(json_is_number(json_object_get(p, "x1")));
        assert_true(json_is_number(json_object_get(p, "x2")));
        json_t *lease = json_object_get(e, "lease");
        assert_string_equal(e2e_str(lease, "user"), user);
        double deadline = json_number_value(json_object_get(lease, "deadline"));
        assert_true(deadline > wall_now() + lease_seconds - 30);
        assert_true(deadline < wall_now() + lease_seconds + 30);
    }
    return exps;
}

static long long exp_id(const json_t *exps, size_t i)
{
    return e2e_int(json_array_get(exps, i), "id");
}

/* POST /experiments/ID/outcome with `body`; returns the full answer. */
static json_t *tell(world *w, const char *token, long long id, long want, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld/outcome", id);
    return e2e_call(&w->srv, "POST", path, token, body, want);
}

static json_t *get_experiment(world *w, const char *token, long long id)
{
    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld", id);
    return e2e_call(&w->srv, "GET", path, token, NULL, 200);
}

static json_t *get_campaign(world *w, const char *token, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/campaigns/%s", name);
    return e2e_call(&w->srv, "GET", path, token, NULL, 200);
}

static const char *err_code(const json_t *j)
{
    return e2e_str(json_object_get(j, "error"), "code");
}

static void audit_verifies(world *w)
{
    char out[4096];
    int st = e2e_cli(&w->srv, out, sizeof out, "audit verify");
    if (st != 0)
        fail_msg("genesis audit verify exited with %d: %s", st, out);
}

/* ---- cases ----------------------------------------------------------------- */

/* A retried tell records one outcome; a reused key with another body is
 * refused; a second final tell without a key is already_finished. */
static void tell_is_idempotent(void **state)
{
    world w;
    (void)state;
    world_start(&w, "idem");
    json_t *c = create_campaign(&w, w.alice, "idem", "sobol", 10, "internal");
    assert_string_equal(e2e_str(c, "name"), "idem");
    assert_string_equal(e2e_str(c, "project"), "lab");
    assert_string_equal(e2e_str(c, "classification"), "internal");
    assert_string_equal(e2e_str(c, "owner"), "alice");
    assert_string_equal(e2e_str(c, "state"), "active");
    json_decref(c);

    json_t *exps = suggest(&w, w.robot1, "robot1", "idem", 2, 600);
    assert_int_equal(json_array_size(exps), 2);
    long long e1 = exp_id(exps, 0), e2 = exp_id(exps, 1);
    assert_true(e1 != e2);

    const char *body = "{\"key\": \"robot1-idem-1\", \"outcome\": {\"f\": 1.5}}";
    json_t *first = tell(&w, w.robot1, e1, 200, body);
    assert_false(json_is_true(json_object_get(first, "replayed")));
    json_t *ex = json_object_get(first, "experiment");
    assert_string_equal(e2e_str(ex, "status"), "completed");
    assert_near(json_number_value(json_object_get(json_object_get(ex, "outcome"), "f")), 1.5, 0);

    /* the retry answers what the first answered, and records nothing */
    json_t *again = tell(&w, w.robot1, e1, 200, body);
    assert_true(json_is_true(json_object_get(again, "replayed")));
    assert_true(json_equal(json_object_get(again, "experiment"), ex));
    json_decref(again);
    /* even from another robot (keys are per experiment, not per caller) */
    again = tell(&w, w.robot2, e1, 200, body);
    assert_true(json_is_true(json_object_get(again, "replayed")));
    json_decref(again);
    json_decref(first);

    json_t *reused =
        tell(&w, w.robot1, e1, 409, "{\"key\": \"robot1-idem-1\", \"outcome\": {\"f\": 2.5}}");
    assert_string_equal(err_code(reused), "idempotency_key_reused");
    json_decref(reused);
    json_t *twice = tell(&w, w.robot1, e1, 409, "{\"outcome\": {\"f\": 3.5}}");
    assert_string_equal(err_code(twice), "already_finished");
    json_decref(twice);
    json_t *got = get_experiment(&w, w.viewer, e1);
    assert_near(json_number_value(json_object_get(json_object_get(got, "outcome"), "f")), 1.5, 0);
    json_decref(got);

    /* the key as an Idempotency-Key header */
    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld/outcome", e2);
    for (int k = 0; k < 2; k++) {
        e2e_resp r;
        CURL *h = curl_easy_init();
        e2e_http(h, &w.srv, "POST", path, w.robot1, "{\"outcome\": {\"f\": 4.25}}", NULL,
                 "Idempotency-Key: robot1-idem-2", &r);
        if (r.status != 200)
            fail_msg("tell with Idempotency-Key, try %d: %ld %s", k, r.status, r.body);
        assert_int_equal(json_is_true(json_object_get(r.json, "replayed")), k == 1);
        e2e_resp_free(&r);
        curl_easy_cleanup(h);
    }
    json_decref(exps);

    c = get_campaign(&w, w.viewer, "idem");
    json_t *counts = json_object_get(c, "counts");
    assert_int_equal(e2e_int(counts, "completed"), 2);
    assert_int_equal(e2e_int(counts, "proposed"), 0);
    json_decref(c);
    assert_int_equal(e2e_server_stop(&w.srv), 0);
    audit_verifies(&w);
}

/* A lease that expires returns the experiment to the pool; the late tell
 * of the first holder is still accepted (a measured result is never
 * thrown away) and the second holder's is then already_finished. */
static void expired_lease_returns_experiment(void **state)
{
    world w;
    (void)state;
    world_start(&w, "lease");
    json_decref(create_campaign(&w, w.alice, "lease", "sobol", 20, "internal"));
    json_t *a = suggest(&w, w.robot1, "robot1", "lease", 2, 1);
    e2e_sleep_ms(1600);
    json_t *b = suggest(&w, w.robot2, "robot2", "lease", 2, 600);
    assert_int_equal(json_array_size(b), 2);
    long long a1 = exp_id(a, 0), a2 = exp_id(a, 1), b1 = exp_id(b, 0), b2 = exp_id(b, 1);
    if (!((a1 == b1 && a2 == b2) || (a1 == b2 && a2 == b1)))
        fail_msg("expired leases %lld, %lld were not handed out again (got %lld, %lld)", a1, a2, b1,
                 b2);
    /* a fresh suggestion is a new experiment */
    json_t *c = suggest(&w, w.robot1, "robot1", "lease", 1, 600);
    long long c1 = exp_id(c, 0);
    assert_true(c1 != a1 && c1 != a2);

    json_decref(tell(&w, w.robot1, a1, 200, "{\"key\": \"r1-late\", \"outcome\": {\"f\": 7}}"));
    json_t *late = tell(&w, w.robot2, a1, 409, "{\"key\": \"r2\", \"outcome\": {\"f\": 8}}");
    assert_string_equal(err_code(late), "already_finished");
    json_decref(late);

    /* renewing a lease moves its deadline */
    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld/lease", a2);
    json_t *r = e2e_callf(&w.srv, "POST", path, w.robot2, 200, "{s:i}", "lease_seconds", 5000);
    double deadline = json_number_value(json_object_get(json_object_get(r, "lease"), "deadline"));
    assert_true(fabs(deadline - (wall_now() + 5000)) < 30);
    json_decref(r);
    /* a viewer may not renew */
    json_decref(e2e_callf(&w.srv, "POST", path, w.viewer, 403, "{s:i}", "lease_seconds", 50));
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* Failures, partial outcomes and abandons. */
static void failure_partial_abandon(void **state)
{
    world w;
    (void)state;
    world_start(&w, "fpa");
    json_decref(create_campaign(&w, w.alice, "fpa", "sobol", 20, "internal"));
    json_t *exps = suggest(&w, w.robot1, "robot1", "fpa", 2, 600);
    long long e1 = exp_id(exps, 0), e2 = exp_id(exps, 1);

    json_t *p = tell(&w, w.robot1, e1, 200,
                     "{\"key\": \"p1\", \"partial\": {\"temperature_reached\": 349.0}}");
    json_t *ex = json_object_get(p, "experiment");
    assert_string_not_equal(e2e_str(ex, "status"), "completed");
    assert_near(
        json_number_value(json_object_get(json_object_get(ex, "partial"), "temperature_reached")),
        349.0, 0);
    json_decref(p);

    json_t *f =
        tell(&w, w.robot1, e1, 200, "{\"key\": \"f1\", \"failure\": \"pump pressure fault\"}");
    ex = json_object_get(f, "experiment");
    assert_string_equal(e2e_str(ex, "status"), "failed");
    assert_non_null(strstr(e2e_str(ex, "reason"), "pump pressure fault"));
    json_decref(f);
    /* and the server keeps it: the experiment read back says why it failed */
    json_t *back = get_experiment(&w, w.viewer, e1);
    if (!strstr(e2e_str(back, "reason"), "pump pressure fault"))
        fail_msg("GET /experiments/%lld after a failure tell: reason '%s' (null: ''), expected the "
                 "failure text",
                 e1, e2e_str(back, "reason"));
    json_decref(back);

    /* exactly one of outcome, failure, partial */
    json_decref(tell(&w, w.robot1, e2, 400, "{\"outcome\": {\"f\": 1}, \"failure\": \"x\"}"));
    json_decref(tell(&w, w.robot1, e2, 400, "{\"key\": \"k\"}"));
    /* every objective, as a number */
    json_t *bad = tell(&w, w.robot1, e2, 400, "{\"outcome\": {\"g\": 1}}");
    const char *msg = e2e_str(json_object_get(bad, "error"), "message");
    const char *field = e2e_str(json_object_get(bad, "error"), "field");
    if (!(strstr(msg, "'f'") || strstr(msg, "\"f\"") || strstr(msg, " f") || strstr(field, "f")))
        fail_msg("an outcome without objective f: the error does not name it: %s", msg);
    json_decref(bad);
    json_decref(tell(&w, w.robot1, e2, 400, "{\"outcome\": {\"f\": \"high\"}}"));

    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld/abandon", e2);
    json_t *ab = e2e_callf(&w.srv, "POST", path, w.robot1, 200, "{s:s}", "reason",
                           "the robot dropped the vial");
    assert_string_equal(e2e_str(ab, "status"), "abandoned");
    json_decref(ab);
    json_t *after = tell(&w, w.robot1, e2, 409, "{\"outcome\": {\"f\": 1}}");
    assert_string_equal(err_code(after), "already_finished");
    json_decref(after);
    json_decref(exps);

    json_t *c = get_campaign(&w, w.viewer, "fpa");
    json_t *counts = json_object_get(c, "counts");
    assert_int_equal(e2e_int(counts, "failed"), 1);
    assert_int_equal(e2e_int(counts, "abandoned"), 1);
    json_decref(c);

    /* the experiments list, filtered by status */
    json_t *l =
        e2e_call(&w.srv, "GET", "/campaigns/fpa/experiments?status=failed", w.viewer, NULL, 200);
    assert_int_equal(e2e_int(l, "total"), 1);
    assert_int_equal(e2e_int(json_array_get(json_object_get(l, "items"), 0), "id"), e1);
    json_decref(l);
}

/* Pause stops suggestions, not tells; archive is final. */
static void pause_resume_archive(void **state)
{
    world w;
    (void)state;
    world_start(&w, "states");
    json_decref(create_campaign(&w, w.alice, "states", "sobol", 20, "internal"));
    json_t *exps = suggest(&w, w.robot1, "robot1", "states", 2, 600);

    json_t *c = e2e_call(&w.srv, "POST", "/campaigns/states/pause", w.alice, NULL, 200);
    assert_string_equal(e2e_str(c, "state"), "paused");
    json_decref(c);
    json_t *no =
        e2e_callf(&w.srv, "POST", "/campaigns/states/suggest", w.robot1, 409, "{s:i}", "count", 1);
    assert_string_equal(err_code(no), "conflict");
    json_decref(no);
    json_decref(
        tell(&w, w.robot1, exp_id(exps, 0), 200, "{\"key\": \"a\", \"outcome\": {\"f\": 2}}"));
    json_decref(e2e_call(&w.srv, "POST", "/campaigns/states/resume", w.robot1, NULL, 403));
    json_decref(e2e_call(&w.srv, "POST", "/campaigns/states/resume", w.viewer, NULL, 403));
    c = e2e_call(&w.srv, "POST", "/campaigns/states/resume", w.alice, NULL, 200);
    assert_string_equal(e2e_str(c, "state"), "active");
    json_decref(c);
    json_t *more = suggest(&w, w.robot1, "robot1", "states", 1, 600);
    json_decref(more);

    c = e2e_call(&w.srv, "POST", "/campaigns/states/archive", w.alice, NULL, 200);
    assert_string_equal(e2e_str(c, "state"), "archived");
    json_decref(c);
    json_decref(e2e_call(&w.srv, "POST", "/campaigns/states/resume", w.alice, NULL, 409));
    json_decref(
        e2e_callf(&w.srv, "POST", "/campaigns/states/suggest", w.robot1, 409, "{s:i}", "count", 1));
    json_decref(
        tell(&w, w.robot1, exp_id(exps, 1), 409, "{\"key\": \"b\", \"outcome\": {\"f\": 2}}"));
    json_decref(exps);
    c = get_campaign(&w, w.viewer, "states");
    assert_string_equal(e2e_str(c, "state"), "archived");
    json_decref(c);
}

/* The budget bounds the suggestions; the last outcome completes the
 * campaign, and a completed campaign suggests nothing. */
static void budget_completes_campaign(void **state)
{
    world w;
    (void)state;
    world_start(&w, "budget");
    json_decref(create_campaign(&w, w.alice, "budget", "sobol", 3, "internal"));
    json_t *exps = suggest(&w, w.robot1, "robot1", "budget", 5, 600);
    assert_int_equal(json_array_size(exps), 3);
    json_t *none = suggest(&w, w.robot2, "robot2", "budget", 2, 600);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    for (size_t i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"key\": \"b%zu\", \"outcome\": {\"f\": %zu.5}}", i, i);
        json_decref(tell(&w, w.robot1, exp_id(exps, i), 200, body));
    }
    json_t *c = get_campaign(&w, w.viewer, "budget");
    assert_string_equal(e2e_str(c, "state"), "completed");
    assert_int_equal(e2e_int(json_object_get(c, "counts"), "completed"), 3);
    json_t *best = json_object_get(c, "best");
    assert_near(json_number_value(json_object_get(json_object_get(best, "objectives"), "f")), 0.5,
                1e-12);
    json_decref(c);
    json_t *no =
        e2e_callf(&w.srv, "POST", "/campaigns/budget/suggest", w.robot1, 409, "{s:i}", "count", 1);
    assert_string_equal(err_code(no), "conflict");
    json_decref(no);
    json_decref(exps);
}

static double best_f(world *w, const char *name, long long *number)
{
    json_t *c = get_campaign(w, w->viewer, name);
    json_t *best = json_object_get(c, "best");
    double f = NAN;
    *number = -1;
    if (json_is_object(best)) {
        f = json_number_value(json_object_get(json_object_get(best, "objectives"), "f"));
        *number = (long long)json_integer_value(json_object_get(best, "number"));
    }
    json_decref(c);
    return f;
}

/* The campaign's best follows the tells of the server (kept up to date on
 * each tell) and of another connection to the database (found by the
 * changed count, recomputed). */
static void best_follows_tells(void **state)
{
    world w;
    long long num;
    (void)state;
    world_start(&w, "best");
    json_decref(create_campaign(&w, w.alice, "best", "sobol", 10, "internal"));
    json_t *exps = suggest(&w, w.robot1, "robot1", "best", 5, 600);
    assert_int_equal(json_array_size(exps), 5);
    assert_true(isnan(best_f(&w, "best", &num)));
    json_decref(tell(&w, w.robot1, exp_id(exps, 0), 200, "{\"key\": \"a\", \"outcome\": {\"f\": 2}}"));
    assert_near(best_f(&w, "best", &num), 2, 0);
    assert_int_equal(num, 1);
    json_decref(tell(&w, w.robot1, exp_id(exps, 1), 200, "{\"key\": \"b\", \"outcome\": {\"f\": 3}}"));
    json_decref(tell(&w, w.robot1, exp_id(exps, 2), 200, "{\"key\": \"c\", \"outcome\": {\"f\": 1}}"));
    assert_near(best_f(&w, "best", &num), 1, 0);
    assert_int_equal(num, 3);
    /* a replay and a failure change nothing */
    json_decref(tell(&w, w.robot1, exp_id(exps, 2), 200, "{\"key\": \"c\", \"outcome\": {\"f\": 1}}"));
    json_decref(tell(&w, w.robot1, exp_id(exps, 3), 200, "{\"key\": \"d\", \"failure\": \"broke\"}"));
    assert_near(best_f(&w, "best", &num), 1, 0);
    /* another writer (as `genesis observe` would) */
    {
        gn_db *db = NULL;
        gn_campaign *c = NULL;
        const char *names[] = {"f"};
        double v[] = {0.25};
        assert_int_equal(gn_db_open(w.srv.db, &db), GN_OK);
        assert_int_equal(gn_campaign_open(db, "best", &c), GN_OK);
        assert_int_equal(gn_campaign_tell(c, 5, 1, names, v), GN_OK);
        gn_campaign_close(c);
        gn_db_close(db);
    }
    assert_near(best_f(&w, "best", &num), 0.25, 0);
    assert_int_equal(num, 5);
    json_t *c = get_campaign(&w, w.viewer, "best");
    assert_int_equal(e2e_int(json_object_get(c, "counts"), "completed"), 4);
    assert_int_equal(e2e_int(json_object_get(c, "counts"), "failed"), 1);
    json_decref(c);
    json_decref(exps);
}

/* Outcomes, leases and idempotency keys are in the database: a server
 * stopped and started again on it answers as before. */
static void state_survives_restart(void **state)
{
    world w;
    (void)state;
    world_start(&w, "restart");
    json_decref(create_campaign(&w, w.alice, "restart", "sobol", 20, "internal"));
    json_t *exps = suggest(&w, w.robot1, "robot1", "restart", 2, 900);
    long long e1 = exp_id(exps, 0), e2 = exp_id(exps, 1);
    double deadline = json_number_value(
        json_object_get(json_object_get(json_array_get(exps, 1), "lease"), "deadline"));
    const char *body = "{\"key\": \"before-restart\", \"outcome\": {\"f\": 0.75}}";
    json_decref(tell(&w, w.robot1, e1, 200, body));

    assert_int_equal(e2e_server_stop(&w.srv), 0);
    audit_verifies(&w);
    e2e_server_start(&w.srv);

    json_t *again = tell(&w, w.robot1, e1, 200, body);
    assert_true(json_is_true(json_object_get(again, "replayed")));
    json_decref(again);
    json_t *x2 = get_experiment(&w, w.viewer, e2);
    assert_string_equal(e2e_str(x2, "status"), "proposed");
    json_t *lease = json_object_get(x2, "lease");
    assert_string_equal(e2e_str(lease, "user"), "robot1");
    assert_near(json_number_value(json_object_get(lease, "deadline")), deadline, 1e-3);
    json_decref(x2);
    /* the leased experiment is not handed to someone else */
    json_t *other = suggest(&w, w.robot2, "robot2", "restart", 1, 900);
    assert_true(exp_id(other, 0) != e2);
    json_decref(other);
    json_decref(exps);
    assert_int_equal(e2e_server_stop(&w.srv), 0);
    audit_verifies(&w);
}

/* Errors are JSON with the stable codes of docs/api.md. */
static void errors_are_json_with_stable_codes(void **state)
{
    world w;
    e2e_resp r;
    CURL *h = curl_easy_init();
    (void)state;
    world_start(&w, "errors");
    json_decref(create_campaign(&w, w.alice, "errs", "sobol", 20, "internal"));

    json_t *health = e2e_call(&w.srv, "GET", "/health", NULL, NULL, 200);
    assert_string_equal(e2e_str(health, "status"), "ok");
    json_decref(health);
    json_t *me = e2e_call(&w.srv, "GET", "/me", w.robot1, NULL, 200);
    assert_string_equal(e2e_str(me, "user"), "robot1");
    json_t *proj = json_array_get(json_object_get(me, "projects"), 0);
    assert_string_equal(e2e_str(proj, "project"), "lab");
    assert_string_equal(e2e_str(proj, "role"), "experimenter");
    assert_string_equal(e2e_str(proj, "clearance"), "internal");
    json_decref(me);

    json_t *a = e2e_call(&w.srv, "GET", "/campaigns", NULL, NULL, 401);
    json_t *b = e2e_call(&w.srv, "GET", "/campaigns",
                         "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, 401);
    assert_string_equal(err_code(a), "unauthorized");
    assert_string_equal(err_code(b), "unauthorized");
    assert_string_equal(e2e_str(json_object_get(a, "error"), "message"),
                        e2e_str(json_object_get(b, "error"), "message"));
    json_decref(a);
    json_decref(b);

    json_t *nf = e2e_call(&w.srv, "GET", "/no/such/route", w.robot1, NULL, 404);
    assert_string_equal(err_code(nf), "not_found");
    json_decref(nf);
    nf = e2e_call(&w.srv, "GET", "/campaigns/no-such-campaign", w.robot1, NULL, 404);
    assert_string_equal(err_code(nf), "not_found");
    json_decref(nf);

    json_t *bad =
        e2e_call(&w.srv, "POST", "/campaigns/errs/suggest", w.robot1, "{\n  \"count\": ,\n}", 400);
    assert_string_equal(err_code(bad), "invalid_json");
    json_t *where = json_object_get(json_object_get(bad, "error"), "where");
    assert_int_equal(e2e_int(where, "line"), 2);
    assert_true(e2e_int(where, "column") > 0);
    json_decref(bad);

    json_t *unk = e2e_call(&w.srv, "POST", "/campaigns/errs/suggest", w.robot1,
                           "{\"count\": 1, \"colour\": \"red\"}", 400);
    assert_string_equal(err_code(unk), "unknown_field");
    assert_string_equal(e2e_str(json_object_get(unk, "error"), "field"), "colour");
    json_decref(unk);
    json_t *range =
        e2e_call(&w.srv, "POST", "/campaigns/errs/suggest", w.robot1, "{\"count\": 65}", 400);
    assert_string_equal(err_code(range), "bad_request");
    json_decref(range);

    e2e_http(h, &w.srv, "POST", "/campaigns/errs/suggest", w.robot1, "count=1", "text/plain", NULL,
             &r);
    assert_int_equal(r.status, 415);
    assert_string_equal(err_code(r.json), "unsupported_media_type");
    e2e_resp_free(&r);

    size_t big = (1u << 20) + 4096;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "{\"count\": 1, \"x\": \"", 19);
    memset(huge + 19, 'a', big - 21);
    memcpy(huge + big - 2, "\"}", 2);
    huge[big] = '\0';
    e2e_http(h, &w.srv, "POST", "/campaigns/errs/suggest", w.robot1, huge, NULL, NULL, &r);
    free(huge);
    assert_int_equal(r.status, 413);
    assert_string_equal(err_code(r.json), "payload_too_large");
    e2e_resp_free(&r);

    e2e_http(h, &w.srv, "DELETE", "/campaigns/errs", w.alice, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(err_code(r.json), "method_not_allowed");
    assert_non_null(strstr(r.allow, "GET"));
    e2e_resp_free(&r);

    char spec[1024];
    e2e_spec(spec, sizeof spec, "errs", "sobol", 20);
    json_t *dup = e2e_callf(&w.srv, "POST", "/campaigns", w.alice, 409, "{s:s, s:s}", "spec", spec,
                            "project", "lab");
    assert_string_equal(err_code(dup), "exists");
    json_decref(dup);
    json_t *inv = e2e_callf(&w.srv, "POST", "/campaigns", w.alice, 400, "{s:s, s:s}", "spec",
                            "name: x\nparamters: []\n", "project", "lab");
    assert_string_equal(err_code(inv), "invalid_spec");
    assert_non_null(strstr(e2e_str(json_object_get(inv, "error"), "message"), "2:"));
    json_decref(inv);
    curl_easy_cleanup(h);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tell_is_idempotent, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(expired_lease_returns_experiment, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(failure_partial_abandon, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(pause_resume_archive, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(best_follows_tells, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(budget_completes_campaign, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(state_survives_restart, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(errors_are_json_with_stable_codes, NULL, e2e_teardown),
    };
    e2e_require_serve();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
