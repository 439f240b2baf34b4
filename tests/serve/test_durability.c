/*
 * test_durability.c - "an outcome acknowledged with 2xx is durable": the
 * real `genesis serve` is killed with SIGKILL in the middle of a burst of
 * concurrent tells from many clients, started again on the same database
 * and port, and then:
 *
 *   - every tell that got a 2xx answer is there, exactly once, with the
 *     value that was sent;
 *   - every tell that got no answer is either absent or there once, and
 *     retrying it with the same key and body records it (replayed: false)
 *     or answers that it was recorded (replayed: true), never twice;
 *   - no experiment that was not told is completed;
 *   - the database passes PRAGMA integrity_check and the audit chain
 *     verifies (`genesis audit verify`).
 *
 * CLIENTS threads, each with its own token and its own keep-alive
 * connection (libcurl), tell distinct experiments leased beforehand.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "e2e_harness.h"
#include "gn_test.h"

#define CLIENTS 16
#define PER_CLIENT 48
#define ROUNDS 3 /* kills */

enum { NOT_SENT = 0, ACKED, NO_ANSWER, REFUSED };

typedef struct client {
    int index;
    char token[64];
    long long ids[PER_CLIENT];
    int state[PER_CLIENT];
    long refused_status[PER_CLIENT];
    char refused_body[PER_CLIENT][160];
    const e2e_server *srv;
    atomic_int *acked;
    atomic_int *go;
} client;

static double value_of(long long id) { return (double)id + 0.25; }

static void tell_body(char *buf, size_t size, const client *c, int k)
{
    snprintf(buf, size, "{\"key\": \"c%d-e%lld\", \"outcome\": {\"f\": %.17g}}", c->index,
             c->ids[k], value_of(c->ids[k]));
}

/* Tells the client's experiments not sent yet, one after the other, until
 * all are sent or the server stops answering (it was killed). 429 and 503
 * are retried: they are not answers to the tell. */
static void *client_main(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    char path[128], body[256];
    while (!atomic_load(c->go))
        ;
    for (int k = 0; k < PER_CLIENT; k++) {
        if (c->state[k] != NOT_SENT)
            continue;
        snprintf(path, sizeof path, "/experiments/%lld/outcome", c->ids[k]);
        tell_body(body, sizeof body, c, k);
        e2e_resp r;
        for (int tries = 0;; tries++) {
            e2e_http(h, c->srv, "POST", path, c->token, body, NULL, NULL, &r);
            if ((r.status == 429 || r.status == 503) && tries < 200) {
                e2e_resp_free(&r);
                e2e_sleep_ms(5);
                continue;
            }
            break;
        }
        if (r.status == 200 || r.status == 201) {
            c->state[k] = ACKED;
            atomic_fetch_add(c->acked, 1);
        } else if (r.status == 0) {
            c->state[k] = NO_ANSWER;
            e2e_resp_free(&r);
            break; /* the server is gone */
        } else {
            c->state[k] = REFUSED;
            c->refused_status[k] = r.status;
            snprintf(c->refused_body[k], sizeof c->refused_body[k], "%s", r.body);
        }
        e2e_resp_free(&r);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void run_clients(client *cs, const e2e_server *srv, int kill_after_acked,
                        e2e_server *to_kill)
{
    pthread_t th[CLIENTS];
    atomic_int acked = 0, go = 0;
    for (int i = 0; i < CLIENTS; i++) {
        cs[i].srv = srv;
        cs[i].acked = &acked;
        cs[i].go = &go;
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &cs[i]), 0);
    }
    atomic_store(&go, 1);
    if (kill_after_acked > 0) {
        double t0 = e2e_now_ms();
        while (atomic_load(&acked) < kill_after_acked && e2e_now_ms() - t0 < 60000)
            e2e_sleep_ms(0.2);
        e2e_server_kill9(to_kill);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    print_message("round: %d tells acknowledged before %s\n", atomic_load(&acked),
                  kill_after_acked > 0 ? "kill -9" : "the end");
}

/* The experiment as the server has it: status and outcome f (NAN when none). */
static void experiment_now(const e2e_server *s, const char *token, long long id, char *status,
                           size_t size, double *f)
{
    char path[128];
    snprintf(path, sizeof path, "/experiments/%lld", id);
    json_t *e = e2e_call(s, "GET", path, token, NULL, 200);
    snprintf(status, size, "%s", e2e_str(e, "status"));
    json_t *v = json_object_get(json_object_get(e, "outcome"), "f");
    *f = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(e);
}

/* After a restart: acknowledged tells are there; unanswered ones are
 * there or absent, and a retry with the same key settles them once. */
static void check_and_settle(client *cs, const e2e_server *s, int *present_unanswered,
                             int *absent_unanswered)
{
    char status[64], path[128], body[256];
    double f;
    for (int i = 0; i < CLIENTS; i++) {
        for (int k = 0; k < PER_CLIENT; k++) {
            client *c = &cs[i];
            if (c->state[k] == REFUSED)
                fail_msg("client %d: tell of experiment %lld answered %ld: %s", i, c->ids[k],
                         c->refused_status[k], c->refused_body[k]);
            if (c->state[k] == NOT_SENT)
                continue;
            experiment_now(s, c->token, c->ids[k], status, sizeof status, &f);
            int present = strcmp(status, "completed") == 0;
            if (c->state[k] == ACKED) {
                if (!present)
                    fail_msg("experiment %lld: its tell was acknowledged (2xx) before kill -9, "
                             "but after the restart it is '%s'",
                             c->ids[k], status);
                assert_near(f, value_of(c->ids[k]), 0);
                continue;
            }
            /* NO_ANSWER */
            if (present)
                assert_near(f, value_of(c->ids[k]), 0);
            else if (strcmp(status, "proposed") != 0 && strcmp(status, "running") != 0)
                fail_msg("experiment %lld: unanswered tell left it '%s'", c->ids[k], status);
            *(present ? present_unanswered : absent_unanswered) += 1;
            snprintf(path, sizeof path, "/experiments/%lld/outcome", c->ids[k]);
            tell_body(body, sizeof body, c, k);
            json_t *r = e2e_call(s, "POST", path, c->token, body, 200);
            int replayed = json_is_true(json_object_get(r, "replayed"));
            json_decref(r);
            if (replayed != present)
                fail_msg("experiment %lld: retried tell answered replayed=%d, but the outcome was "
                         "%s before it",
                         c->ids[k], replayed, present ? "recorded" : "absent");
            r = e2e_call(s, "POST", path, c->token, body, 200);
            assert_true(json_is_true(json_object_get(r, "replayed")));
            json_decref(r);
            c->state[k] = ACKED;
        }
    }
}

static void integrity_ok(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *res = (const char *)sqlite3_column_text(st, 0);
    if (!res || strcmp(res, "ok") != 0)
        fail_msg("PRAGMA integrity_check: %s", res ? res : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void acknowledged_tells_survive_kill9(void **state)
{
    static const char *const maint[][3] = {{"lab", "maintainer", "internal"}};
    static const char *const exper[][3] = {{"lab", "experimenter", "internal"}};
    static client cs[CLIENTS];
    e2e_server s;
    char alice[64], spec[1024], out[4096];
    (void)state;

    memset(cs, 0, sizeof cs);
    e2e_server_init(&s, "durability");
    e2e_cli_ok(&s, NULL, 0, "project add lab");
    e2e_user(&s, "alice", alice, 1, maint);
    e2e_user(&s, "robot", cs[0].token, 1, exper);
    for (int i = 1; i < CLIENTS; i++) {
        e2e_cli_ok(&s, out, sizeof out, "token create robot");
        const char *t = strstr(out, "gns_");
        assert_non_null(t);
        snprintf(
            cs[i].token, sizeof cs[i].token, "%.*s",
            (int)strspn(t, "gns_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"),
            t);
    }
    e2e_server_start(&s);
    e2e_spec(spec, sizeof spec, "burst", "sobol", CLIENTS * PER_CLIENT + 100);
    json_decref(e2e_callf(&s, "POST", "/campaigns", alice, 201, "{s:s, s:s, s:s}", "spec", spec,
                          "project", "lab", "classification", "internal"));

    /* the pool: every client's experiments, leased to the robot */
    int n = 0;
    while (n < CLIENTS * PER_CLIENT) {
        json_t *r = e2e_callf(&s, "POST", "/campaigns/burst/suggest", cs[0].token, 200,
                              "{s:i, s:i}", "count", 64, "lease_seconds", 3600);
        json_t *exps = json_object_get(r, "experiments");
        assert_true(json_array_size(exps) > 0);
        for (size_t i = 0; i < json_array_size(exps) && n < CLIENTS * PER_CLIENT; i++, n++) {
            cs[n % CLIENTS].index = n % CLIENTS;
            cs[n % CLIENTS].ids[n / CLIENTS] = e2e_int(json_array_get(exps, i), "id");
        }
        json_decref(r);
    }

    int present = 0, absent = 0;
    srand(12345);
    for (int round = 0; round < ROUNDS; round++) {
        int acked_before = 0;
        for (int i = 0; i < CLIENTS; i++)
            for (int k = 0; k < PER_CLIENT; k++)
                acked_before += cs[i].state[k] == ACKED;
        run_clients(cs, &s, 60 + rand() % 120, &s);
        e2e_server_start(&s);
        check_and_settle(cs, &s, &present, &absent);
        (void)acked_before;
    }
    run_clients(cs, &s, 0, NULL); /* the rest, without a kill */
    check_and_settle(cs, &s, &present, &absent);
    print_message("unanswered tells at the kills: %d recorded, %d not recorded\n", present, absent);

    /* nothing else was completed: the counts are exactly the tells */
    json_t *c = e2e_call(&s, "GET", "/campaigns/burst", alice, NULL, 200);
    json_t *counts = json_object_get(c, "counts");
    assert_int_equal(e2e_int(counts, "completed"), CLIENTS * PER_CLIENT);
    json_decref(c);
    json_t *l = e2e_call(&s, "GET", "/campaigns/burst/experiments?status=completed&limit=1", alice,
                         NULL, 200);
    assert_int_equal(e2e_int(l, "total"), CLIENTS * PER_CLIENT);
    json_decref(l);

    assert_int_equal(e2e_server_stop(&s), 0);
    integrity_ok(s.db);
    int st = e2e_cli(&s, out, sizeof out, "audit verify");
    if (st != 0)
        fail_msg("genesis audit verify exited with %d after %d kills: %s", st, ROUNDS, out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(acknowledged_tells_survive_kill9, NULL, e2e_teardown),
    };
    e2e_require_serve();
    curl_global_init(CURL_GLOBAL_ALL);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
