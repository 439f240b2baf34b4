/*
 * test_service.c - what the HTTP service needs from a campaign
 * (campaign/service.h): leases and their expiry, keyed (idempotent),
 * partial and failure tells, abandon, state transitions, paging, lookup
 * by id, and the write-hook atomicity of tell keys. Real SQLite files;
 * the races use real processes.
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gn_test.h"
#include "campaign/internal.h"
#include "campaign/service.h"
#include "genesis/genesis.h"
#include "store/store_lease.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

/* ---- helpers ---------------------------------------------------------------- */

static double fake_now = 1.0e9;
static double fake_clock(void) { return fake_now; }

static void db_path(char *buf, size_t size, const char *name)
{
    char side[600];
    snprintf(buf, size, GN_TEST_TMP "/service-%s.db", name);
    unlink(buf);
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static void spec_text(char *buf, size_t size, const char *name, const char *strategy, int budget)
{
    snprintf(buf, size,
             "name: %s\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: z, type: int, low: 0, high: 4}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "planner: {strategy: %s, seed: 7%s}\n"
             "budget: {experiments: %d}\n",
             name, strategy, strcmp(strategy, "bo") ? "" : ", initial: 4", budget);
}

/* Opens a fresh database with one campaign owned by alice. */
static void setup(const char *name, const char *strategy, int budget, gn_db **db, gn_campaign **c)
{
    char path[512], spec[1024];
    db_path(path, sizeof path, name);
    spec_text(spec, sizeof spec, name, strategy, budget);
    assert_int_equal(gn_db_open(path, db), GN_OK);
    if (gn__campaign_create_owned(*db, spec, strlen(spec), "chem", "controlled", "alice", c) !=
        GN_OK)
        fail_msg("create: %s", gn_db_errmsg(*db));
    gn__campaign_set_clock(fake_clock);
}

static void teardown(gn_db *db, gn_campaign *c)
{
    gn_campaign_close(c);
    gn_db_close(db);
    gn__campaign_set_clock(NULL);
}

/* Leases n experiments to (token, user) for ttl; checks how many came. */
static gn_experiment_rec *lease(gn_campaign *c, size_t n, int64_t token, const char *user,
                                double ttl, size_t expect)
{
    gn_experiment_rec *r = NULL;
    size_t got = 0;
    if (gn__campaign_lease(c, n, token, user, ttl, &r, &got) != GN_OK)
        fail_msg("lease: %s", gn_campaign_errmsg(c));
    assert_int_equal(got, expect);
    return r;
}

static gn_status tell_y(gn_campaign *c, int64_t number, double y, const char *key,
                        const char *hash, const char *response, int *replayed, char **stored)
{
    const char *names[] = {"y"};
    gn_tell_req req;
    memset(&req, 0, sizeof req);
    req.kind = GN_TELL_OUTCOME;
    req.n = 1;
    req.names = names;
    req.values = &y;
    req.key = key;
    req.request_hash = hash;
    req.response = response;
    return gn__campaign_tell_req(c, number, &req, replayed, stored);
}

static gn_status tell_partial(gn_campaign *c, int64_t number, size_t n, const char *const *names,
                              const double *values, const char *key, const char *hash,
                              int *replayed)
{
    gn_tell_req req;
    memset(&req, 0, sizeof req);
    req.kind = GN_TELL_PARTIAL;
    req.n = n;
    req.names = names;
    req.values = values;
    req.key = key;
    req.request_hash = hash;
    req.response = key ? "{\"partial\": true}" : NULL;
    return gn__campaign_tell_req(c, number, &req, replayed, NULL);
}

static gn_status tell_failure(gn_campaign *c, int64_t number, const char *reason)
{
    gn_tell_req req;
    memset(&req, 0, sizeof req);
    req.kind = GN_TELL_FAILURE;
    req.reason = reason;
    return gn__campaign_tell_req(c, number, &req, NULL, NULL);
}

static gn_experiment_rec get_exp(gn_campaign *c, int64_t number)
{
    gn_experiment_rec e;
    memset(&e, 0, sizeof e);
    assert_int_equal(gn_store_experiment_get(c->db->store, c->rec.id, number, &e, NULL), GN_OK);
    return e;
}

static gn_exp_status status_of(gn_campaign *c, int64_t number)
{
    gn_experiment_rec e = get_exp(c, number);
    gn_exp_status s = e.status;
    gn_experiment_rec_free(&e);
    return s;
}

static gn_campaign_counts counts(gn_campaign *c)
{
    gn_campaign_counts n;
    assert_int_equal(gn_store_campaign_counts(c->db->store, c->rec.id, &n, NULL), GN_OK);
    return n;
}

static size_t attempts_of(gn_campaign *c, int64_t number)
{
    gn_experiment_rec e = get_exp(c, number);
    gn_attempt_rec *a = NULL;
    size_t n = 0;
    assert_int_equal(gn_store_attempt_list(c->db->store, e.id, &a, &n, NULL), GN_OK);
    gn_attempt_rec_array_free(a, n);
    gn_experiment_rec_free(&e);
    return n;
}

/* ---- leases ------------------------------------------------------------------ */

/* A lease holds until its deadline; then the next suggest of anyone gets
 * the experiment again before anything new is proposed. */
static void lease_expires_and_is_released(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, *b, *r;
    int64_t tok;
    char user[64];
    double deadline;

    (void)state;
    setup("expiry", "sobol", 10, &db, &c);
    a = lease(c, 2, 11, "alice", 60, 2);
    assert_int_equal(a[0].number, 1);
    assert_int_equal(a[1].number, 2);
    assert_int_equal(a[0].lease_token, 11);
    assert_string_equal(a[0].lease_user, "alice");
    assert_near(a[0].lease_deadline, fake_now + 60, 1e-6);
    assert_non_null(a[0].params);

    /* still held: bob gets a new one */
    fake_now += 30;
    b = lease(c, 1, 22, "bob", 60, 1);
    assert_int_equal(b[0].number, 3);
    gn_experiment_rec_array_free(b, 1);

    /* alice vanished: her two come back to bob first, then a new one */
    fake_now += 31;
    r = lease(c, 3, 22, "bob", 60, 3);
    assert_int_equal(r[0].number, 1);
    assert_int_equal(r[1].number, 2);
    assert_int_equal(r[2].number, 4);
    assert_string_equal(r[0].lease_user, "bob");
    assert_string_equal(r[0].params, a[0].params); /* the same experiment */
    assert_int_equal(gn__campaign_lease_get(c, 1, &tok, user, sizeof user, &deadline), GN_OK);
    assert_int_equal(tok, 22);
    assert_string_equal(user, "bob");
    assert_near(deadline, fake_now + 60, 1e-6);
    gn_experiment_rec_array_free(r, 3);
    gn_experiment_rec_array_free(a, 2);

    /* alice's tell after expiry is still accepted: a measurement is kept */
    assert_int_equal(tell_y(c, 1, 0.5, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_int_equal(status_of(c, 1), GN_EXP_COMPLETED);
    teardown(db, c);
}

/* The same with the real clock and a short lease. */
static void lease_expires_real_clock(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, *b;

    (void)state;
    setup("realclock", "random", 5, &db, &c);
    gn__campaign_set_clock(NULL);
    a = lease(c, 1, 1, "alice", 0.3, 1);
    b = lease(c, 1, 2, "bob", 30, 1);
    assert_int_equal(b[0].number, 2);
    gn_experiment_rec_array_free(b, 1);
    usleep(400 * 1000);
    b = lease(c, 1, 2, "bob", 30, 1);
    assert_int_equal(b[0].number, a[0].number);
    assert_string_equal(b[0].lease_user, "bob");
    gn_experiment_rec_array_free(b, 1);
    gn_experiment_rec_array_free(a, 1);
    teardown(db, c);
}

static void lease_renew_and_get(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, *b;
    double deadline;
    char user[8];
    int64_t tok;

    (void)state;
    setup("renew", "sobol", 5, &db, &c);
    a = lease(c, 1, 5, "alice", 10, 1);
    fake_now += 8;
    assert_int_equal(gn__campaign_lease_renew(c, 1, 5, "alice", 10), GN_OK);
    fake_now += 8; /* past the first deadline, not the renewed one */
    b = lease(c, 1, 6, "bob", 10, 1);
    assert_int_equal(b[0].number, 2);
    gn_experiment_rec_array_free(b, 1);
    /* user is cut to the buffer */
    assert_int_equal(gn__campaign_lease_get(c, 1, &tok, user, 4, &deadline), GN_OK);
    assert_string_equal(user, "ali");
    assert_int_equal(tell_y(c, 1, 1.0, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_int_equal(gn__campaign_lease_renew(c, 1, 5, "alice", 10), GN_ERR_STATE);
    assert_int_equal(gn__campaign_lease_renew(c, 99, 5, "alice", 10), GN_ERR_NOT_FOUND);
    assert_int_equal(gn__campaign_lease_renew(c, 2, 5, "alice", -1), GN_ERR_INVALID);
    gn_experiment_rec_array_free(a, 1);
    teardown(db, c);
}

/* Every proposed experiment (leased or not) is pending for the planner,
 * and the budget caps what is handed out. */
static void lease_budget_and_done(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    size_t got = 7;
    int64_t k;

    (void)state;
    setup("budget", "sobol", 4, &db, &c);
    a = lease(c, 3, 1, "alice", 60, 3);
    gn_experiment_rec_array_free(a, 3);
    a = lease(c, 3, 1, "alice", 60, 1); /* the budget allows one more */
    gn_experiment_rec_array_free(a, 1);
    assert_int_equal(gn__campaign_lease(c, 2, 1, "alice", 60, &a, &got), GN_OK);
    assert_int_equal(got, 0);
    assert_null(a);
    for (k = 1; k <= 3; k++)
        assert_int_equal(tell_y(c, k, (double)k, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_string_equal(gn__campaign_rec(c)->state, "active");
    /* the tell that reaches the budget completes the campaign */
    assert_int_equal(tell_y(c, 4, 4.0, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_string_equal(gn__campaign_rec(c)->state, "completed");
    assert_int_equal(gn__campaign_lease(c, 2, 1, "alice", 60, &a, &got), GN_ERR_STATE);
    assert_int_equal(got, 0);
    assert_true(gn_campaign_done(c));
    teardown(db, c);
}

/* Two processes take expired leases at the same time: every experiment is
 * handed to exactly one of them. */
static void lease_race_two_processes(void **state)
{
    enum { N = 24, KIDS = 2 };
    char path[512];
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    int fds[2], seen[N + 1], k, total = 0;
    pid_t kids[KIDS];
    int64_t num;

    (void)state;
    setup("race", "sobol", N, &db, &c);
    snprintf(path, sizeof path, "%s", gn_db_path(db));
    a = lease(c, N, 1, "gone", 10, N);
    gn_experiment_rec_array_free(a, N);
    teardown(db, c);
    assert_int_equal(pipe(fds), 0);
    for (k = 0; k < KIDS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            gn_db *kdb = NULL;
            gn_campaign *kc = NULL;
            gn_experiment_rec *r;
            size_t got;
            close(fds[0]);
            fake_now = 1.0e9 + 1000; /* every lease above has expired */
            gn__campaign_set_clock(fake_clock);
            if (gn_db_open(path, &kdb) != GN_OK || gn_campaign_open(kdb, "race", &kc) != GN_OK)
                _exit(2);
            for (;;) {
                if (gn__campaign_lease(kc, 1, 100 + k, "kid", 3600, &r, &got) != GN_OK)
                    _exit(3);
                if (got == 0)
                    break;
                num = r[0].number;
                if (write(fds[1], &num, sizeof num) != (ssize_t)sizeof num)
                    _exit(4);
                gn_experiment_rec_array_free(r, got);
            }
            gn_campaign_close(kc);
            gn_db_close(kdb);
            _exit(0);
        }
    }
    close(fds[1]);
    memset(seen, 0, sizeof seen);
    while (read(fds[0], &num, sizeof num) == (ssize_t)sizeof num) {
        assert_true(num >= 1 && num <= N);
        seen[num]++;
        total++;
    }
    close(fds[0]);
    for (k = 0; k < KIDS; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(total, N);
    for (k = 1; k <= N; k++)
        assert_int_equal(seen[k], 1);
}

/* ---- tells ------------------------------------------------------------------- */

static void keyed_tell_replayed(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, e;
    int replayed = -1;
    char *stored = NULL;

    (void)state;
    setup("replay", "sobol", 5, &db, &c);
    a = lease(c, 2, 1, "alice", 60, 2);
    assert_int_equal(tell_y(c, 1, 0.25, "k-1", H1, "{\"first\": 1}", &replayed, &stored), GN_OK);
    assert_int_equal(replayed, 0);
    assert_null(stored);
    e = get_exp(c, 1);
    assert_int_equal(e.status, GN_EXP_COMPLETED);
    gn_experiment_rec_free(&e);
    /* the retry: same key, same request */
    assert_int_equal(tell_y(c, 1, 0.25, "k-1", H1, "{\"second\": 2}", &replayed, &stored), GN_OK);
    assert_int_equal(replayed, 1);
    assert_string_equal(stored, "{\"first\": 1}");
    gn_string_free(stored);
    assert_int_equal(counts(c).completed, 1);
    assert_int_equal(attempts_of(c, 1), 1);
    /* keys are per experiment */
    assert_int_equal(tell_y(c, 2, 0.5, "k-1", H1, "{\"two\": 2}", &replayed, &stored), GN_OK);
    assert_int_equal(replayed, 0);
    /* without a key a second final tell is refused */
    assert_int_equal(tell_y(c, 2, 0.5, NULL, NULL, NULL, &replayed, &stored), GN_ERR_STATE);
    /* bad keys and hashes */
    assert_int_equal(tell_y(c, 3, 0.5, "", H1, "{}", NULL, NULL), GN_ERR_INVALID);
    assert_int_equal(tell_y(c, 3, 0.5, "a\nb", H1, "{}", NULL, NULL), GN_ERR_INVALID);
    assert_int_equal(tell_y(c, 3, 0.5, "k", "abc", "{}", NULL, NULL), GN_ERR_INVALID);
    assert_int_equal(tell_y(c, 3, 0.5, "k", H1, NULL, NULL, NULL), GN_ERR_INVALID);
    assert_int_equal(counts(c).completed, 2);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

static void keyed_tell_other_hash_exists(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    int replayed = -1;
    char *stored = NULL;

    (void)state;
    setup("reuse", "sobol", 5, &db, &c);
    a = lease(c, 2, 1, "alice", 60, 2);
    assert_int_equal(tell_y(c, 1, 0.25, "k", H1, "{}", &replayed, &stored), GN_OK);
    assert_int_equal(tell_y(c, 1, 0.75, "k", H2, "{}", &replayed, &stored), GN_ERR_EXISTS);
    assert_int_equal(replayed, 0);
    assert_null(stored);
    assert_non_null(strstr(gn_campaign_errmsg(c), "another request"));
    /* the key of a failed tell is not stored */
    assert_int_equal(tell_y(c, 2, NAN, "j", H1, "{}", NULL, NULL), GN_ERR_OUTCOME);
    assert_int_equal(tell_y(c, 2, 0.5, "j", H2, "{}", &replayed, NULL), GN_OK);
    assert_int_equal(replayed, 0);
    assert_int_equal(attempts_of(c, 1), 1);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

/* Two processes send the same keyed tell at once (a client retrying while
 * its first request is still being served): one records it, the other is
 * its replay; never two outcomes, never an error. */
static void keyed_tell_races_replay(void **state)
{
    enum { N = 12 };
    char path[512];
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    int fds[2], k, firsts = 0, replays = 0;
    pid_t kids[2];
    int64_t num;

    (void)state;
    setup("tellrace", "sobol", N, &db, &c);
    snprintf(path, sizeof path, "%s", gn_db_path(db));
    a = lease(c, N, 1, "robot", 60, N);
    gn_experiment_rec_array_free(a, N);
    gn_campaign_close(c);
    gn_db_close(db);
    assert_int_equal(pipe(fds), 0);
    for (k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            gn_db *kdb = NULL;
            gn_campaign *kc = NULL;
            close(fds[0]);
            if (gn_db_open(path, &kdb) != GN_OK || gn_campaign_open(kdb, "tellrace", &kc) != GN_OK)
                _exit(2);
            for (num = 1; num <= N; num++) {
                int replayed = -1;
                char *stored = NULL, key[32];
                int code;
                snprintf(key, sizeof key, "robot-%lld", (long long)num);
                if (tell_y(kc, num, 0.1 * (double)num, key, H1, "{\"ok\": true}", &replayed,
                           &stored) != GN_OK)
                    _exit(3);
                if (replayed && (!stored || strcmp(stored, "{\"ok\": true}")))
                    _exit(4);
                gn_string_free(stored);
                code = replayed ? 2 : 1;
                if (write(fds[1], &code, sizeof code) != (ssize_t)sizeof code)
                    _exit(5);
            }
            gn_campaign_close(kc);
            gn_db_close(kdb);
            _exit(0);
        }
    }
    close(fds[1]);
    while (read(fds[0], &k, sizeof k) == (ssize_t)sizeof k) {
        if (k == 1)
            firsts++;
        else
            replays++;
    }
    close(fds[0]);
    for (k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(firsts, N);
    assert_int_equal(replays, N);
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    assert_int_equal(gn_campaign_open(db, "tellrace", &c), GN_OK);
    assert_int_equal(counts(c).completed, N);
    for (num = 1; num <= N; num++)
        assert_int_equal(attempts_of(c, num), 1);
    assert_int_equal(gn_store_check(c->db->store, NULL), GN_OK);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void partial_merged(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, e;
    const char *n1[] = {"temp"}, *n2[] = {"pressure", "temp"}, *bad[] = {"temp"};
    double v1[] = {349.0}, v2[] = {2.5, 351.0}, vbad[] = {INFINITY};
    json_t *j;
    double updated;
    int replayed = -1;

    (void)state;
    setup("partial", "sobol", 5, &db, &c);
    a = lease(c, 1, 1, "alice", 60, 1);
    assert_int_equal(tell_partial(c, 1, 1, n1, v1, NULL, NULL, NULL), GN_OK);
    assert_int_equal(tell_partial(c, 1, 2, n2, v2, "p2", H1, &replayed), GN_OK);
    assert_int_equal(replayed, 0);
    e = get_exp(c, 1);
    assert_int_equal(e.status, GN_EXP_PROPOSED); /* a partial leaves the status alone */
    j = json_loads(e.partial, 0, NULL);
    assert_non_null(j);
    assert_near(json_number_value(json_object_get(j, "temp")), 351.0, 1e-12);
    assert_near(json_number_value(json_object_get(j, "pressure")), 2.5, 1e-12);
    json_decref(j);
    updated = e.updated;
    gn_experiment_rec_free(&e);
    /* a keyed partial replayed changes nothing */
    assert_int_equal(tell_partial(c, 1, 2, n2, v2, "p2", H1, &replayed), GN_OK);
    assert_int_equal(replayed, 1);
    e = get_exp(c, 1);
    assert_near(e.updated, updated, 1e-9);
    gn_experiment_rec_free(&e);
    assert_int_equal(tell_partial(c, 1, 1, bad, vbad, NULL, NULL, NULL), GN_ERR_OUTCOME);
    assert_int_equal(tell_partial(c, 1, 0, NULL, NULL, NULL, NULL, NULL), GN_ERR_OUTCOME);
    /* the final outcome completes it; partials after that are refused */
    assert_int_equal(tell_y(c, 1, 0.3, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_int_equal(tell_partial(c, 1, 1, n1, v1, NULL, NULL, NULL), GN_ERR_STATE);
    e = get_exp(c, 1);
    assert_int_equal(e.status, GN_EXP_COMPLETED);
    assert_non_null(e.partial);
    gn_experiment_rec_free(&e);
    gn_experiment_rec_array_free(a, 1);
    teardown(db, c);
}

static void failure_told(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    char big[1200];

    (void)state;
    setup("failure", "sobol", 5, &db, &c);
    a = lease(c, 2, 1, "alice", 60, 2);
    assert_int_equal(tell_failure(c, 1, NULL), GN_ERR_OUTCOME);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(tell_failure(c, 1, big), GN_ERR_OUTCOME);
    assert_int_equal(tell_failure(c, 1, "pump pressure fault"), GN_OK);
    assert_int_equal(status_of(c, 1), GN_EXP_FAILED);
    assert_int_equal(counts(c).failed, 1);
    assert_int_equal(tell_failure(c, 1, "again"), GN_ERR_STATE);
    assert_int_equal(tell_y(c, 1, 1.0, NULL, NULL, NULL, NULL, NULL), GN_ERR_STATE);
    assert_int_equal(tell_failure(c, 99, "no such"), GN_ERR_NOT_FOUND);
    {
        gn_tell_req req;
        memset(&req, 0, sizeof req);
        req.kind = (gn_tell_kind)7;
        assert_int_equal(gn__campaign_tell_req(c, 2, &req, NULL, NULL), GN_ERR_OUTCOME);
    }
    /* a missing objective */
    {
        const char *names[] = {"other"};
        double v = 1.0;
        gn_tell_req req;
        memset(&req, 0, sizeof req);
        req.kind = GN_TELL_OUTCOME;
        req.n = 1;
        req.names = names;
        req.values = &v;
        assert_int_equal(gn__campaign_tell_req(c, 2, &req, NULL, NULL), GN_ERR_OUTCOME);
        assert_non_null(strstr(gn_campaign_errmsg(c), "'y'"));
    }
    assert_int_equal(status_of(c, 2), GN_EXP_PROPOSED);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

/* A tell is accepted while the experiment is RUNNING too (its runner's
 * later result is then refused): a measured result is never thrown away. */
static void tell_while_running_accepted(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    gn_attempt_rec att;

    (void)state;
    setup("running", "sobol", 3, &db, &c);
    a = lease(c, 1, 1, "alice", 60, 1);
    memset(&att, 0, sizeof att);
    att.experiment_id = a[0].id;
    att.runner = "command";
    assert_int_equal(gn_store_attempt_start(c->db->store, &att, NULL), GN_OK);
    assert_int_equal(status_of(c, 1), GN_EXP_RUNNING);
    /* the plain API still refuses it: the runner owns it there */
    {
        const char *names[] = {"y"};
        double y = 1.0;
        assert_int_equal(gn_campaign_tell(c, 1, 1, names, &y), GN_ERR_STATE);
    }
    assert_int_equal(tell_y(c, 1, 0.5, "r", H1, "{}", NULL, NULL), GN_OK);
    assert_int_equal(status_of(c, 1), GN_EXP_COMPLETED);
    assert_int_equal(attempts_of(c, 1), 2);
    gn_experiment_rec_array_free(a, 1);
    teardown(db, c);
}

static void abandon_frees_budget(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, *b;

    (void)state;
    setup("abandon", "sobol", 2, &db, &c);
    a = lease(c, 2, 1, "alice", 60, 2);
    assert_int_equal(gn__campaign_abandon(c, 1, "sample spilled"), GN_OK);
    assert_int_equal(status_of(c, 1), GN_EXP_ABANDONED);
    assert_int_equal(gn__campaign_abandon(c, 1, NULL), GN_ERR_STATE);
    assert_int_equal(tell_y(c, 1, 1.0, NULL, NULL, NULL, NULL, NULL), GN_ERR_STATE);
    assert_int_equal(tell_y(c, 2, 1.0, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_int_equal(gn__campaign_abandon(c, 2, NULL), GN_ERR_STATE);
    assert_int_equal(gn__campaign_abandon(c, 9, NULL), GN_ERR_NOT_FOUND);
    /* the abandoned one no longer counts against the budget */
    b = lease(c, 2, 1, "alice", 60, 1);
    assert_int_equal(b[0].number, 3);
    {
        gn_experiment_rec e = get_exp(c, 1);
        assert_string_equal(e.reason, "sample spilled");
        gn_experiment_rec_free(&e);
    }
    gn_experiment_rec_array_free(b, 1);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

/* ---- campaign states ------------------------------------------------------------ */

static void state_transitions(void **state)
{
    static const char *const starts[] = {"active", "paused", "archived", "completed"};
    static const char *const ops[] = {"paused", "active", "archived"};
    /* expected[start][op]: GN_OK or GN_ERR_STATE */
    static const gn_status expected[4][3] = {
        /* active */ {GN_OK, GN_OK, GN_OK},
        /* paused */ {GN_OK, GN_OK, GN_OK},
        /* archived */ {GN_ERR_STATE, GN_ERR_STATE, GN_OK},
        /* completed */ {GN_ERR_STATE, GN_ERR_STATE, GN_OK},
    };
    gn_db *db;
    gn_campaign *c;
    size_t i, j;

    (void)state;
    setup("states", "sobol", 5, &db, &c);
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 3; j++) {
            gn_status got;
            assert_int_equal(gn_store_campaign_set_state(c->db->store, c->rec.id, starts[i], NULL),
                             GN_OK);
            got = gn__campaign_set_state(c, ops[j]);
            if (got != expected[i][j])
                fail_msg("%s -> %s: got %d, expected %d (%s)", starts[i], ops[j], (int)got,
                         (int)expected[i][j], gn_campaign_errmsg(c));
            if (got == GN_ERR_STATE) {
                assert_non_null(strstr(gn_campaign_errmsg(c), starts[i]));
                assert_non_null(strstr(gn_campaign_errmsg(c), ops[j]));
            }
            assert_int_equal(gn__campaign_refresh(c), GN_OK);
            assert_string_equal(gn__campaign_rec(c)->state, got == GN_OK ? ops[j] : starts[i]);
        }
    }
    assert_int_equal(gn__campaign_set_state(c, "completed"), GN_ERR_INVALID);
    assert_int_equal(gn__campaign_set_state(c, "bogus"), GN_ERR_INVALID);
    teardown(db, c);
}

/* Suggest needs an active campaign; tells go on while paused and stop
 * when it is archived (but a keyed retry is still answered). */
static void paused_and_archived(void **state)
{
    gn_db *db, *db2;
    gn_campaign *c, *other;
    gn_experiment_rec *a, *r = NULL;
    size_t got = 9;
    const char *names[] = {"y"};
    double v = 1.0;
    int replayed = -1;
    char *stored = NULL;

    (void)state;
    setup("paused", "sobol", 6, &db, &c);
    a = lease(c, 4, 1, "alice", 60, 4);
    /* another handle pauses it: this handle sees it on the next call */
    assert_int_equal(gn_db_open(gn_db_path(db), &db2), GN_OK);
    assert_int_equal(gn_campaign_open(db2, "paused", &other), GN_OK);
    assert_int_equal(gn__campaign_set_state(other, "paused"), GN_OK);
    assert_int_equal(gn__campaign_lease(c, 1, 1, "alice", 60, &r, &got), GN_ERR_STATE);
    assert_int_equal(got, 0);
    assert_non_null(strstr(gn_campaign_errmsg(c), "paused"));
    assert_int_equal(tell_y(c, 1, 0.5, "k1", H1, "{\"a\": 1}", NULL, NULL), GN_OK);
    assert_int_equal(tell_partial(c, 2, 1, names, &v, NULL, NULL, NULL), GN_OK);
    assert_int_equal(gn__campaign_abandon(c, 3, NULL), GN_OK);
    assert_int_equal(gn__campaign_set_state(other, "archived"), GN_OK);
    assert_int_equal(tell_y(c, 2, 0.5, NULL, NULL, NULL, NULL, NULL), GN_ERR_STATE);
    assert_non_null(strstr(gn_campaign_errmsg(c), "archived"));
    assert_int_equal(tell_partial(c, 2, 1, names, &v, NULL, NULL, NULL), GN_ERR_STATE);
    assert_int_equal(tell_failure(c, 2, "late"), GN_ERR_STATE);
    assert_int_equal(gn__campaign_abandon(c, 4, NULL), GN_ERR_STATE);
    assert_int_equal(gn__campaign_lease(c, 1, 1, "alice", 60, &r, &got), GN_ERR_STATE);
    /* the retry of a tell made before the archive is answered as before */
    assert_int_equal(tell_y(c, 1, 0.5, "k1", H1, "{\"b\": 2}", &replayed, &stored), GN_OK);
    assert_int_equal(replayed, 1);
    assert_string_equal(stored, "{\"a\": 1}");
    gn_string_free(stored);
    assert_int_equal(status_of(c, 2), GN_EXP_PROPOSED);
    assert_int_equal(gn__campaign_set_state(other, "active"), GN_ERR_STATE);
    gn_campaign_close(other);
    gn_db_close(db2);
    gn_experiment_rec_array_free(a, 4);
    teardown(db, c);
}

/* ---- listing, lookup, creation, JSON --------------------------------------------- */

static void paging_and_totals(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a, *page = NULL;
    size_t n = 0, total = 0;
    gn_exp_status completed = GN_EXP_COMPLETED, failed = GN_EXP_FAILED;
    int64_t k;

    (void)state;
    setup("paging", "sobol", 10, &db, &c);
    a = lease(c, 7, 1, "alice", 60, 7);
    for (k = 2; k <= 6; k += 2)
        assert_int_equal(tell_y(c, k, (double)k, NULL, NULL, NULL, NULL, NULL), GN_OK);
    assert_int_equal(gn__campaign_experiments(c, NULL, 0, 3, &page, &n, &total), GN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(total, 7);
    for (k = 0; k < 3; k++)
        assert_int_equal(page[k].number, k + 1);
    assert_string_equal(page[0].lease_user, "alice");
    gn_experiment_rec_array_free(page, n);
    assert_int_equal(gn__campaign_experiments(c, NULL, 6, 3, &page, &n, &total), GN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(total, 7);
    assert_int_equal(page[0].number, 7);
    gn_experiment_rec_array_free(page, n);
    assert_int_equal(gn__campaign_experiments(c, NULL, 9, 3, &page, &n, &total), GN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(total, 7);
    gn_experiment_rec_array_free(page, n);
    assert_int_equal(gn__campaign_experiments(c, &completed, 1, 0, &page, &n, &total), GN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(total, 3);
    assert_int_equal(page[0].number, 4);
    assert_int_equal(page[1].number, 6);
    gn_experiment_rec_array_free(page, n);
    assert_int_equal(gn__campaign_experiments(c, &failed, 0, 0, &page, &n, &total), GN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    gn_experiment_rec_array_free(page, n);
    gn_experiment_rec_array_free(a, 7);
    teardown(db, c);
}

static void locate_by_id(void **state)
{
    gn_db *db;
    gn_campaign *c, *c2;
    gn_experiment_rec *a, *b;
    char spec[1024], name[64], tiny[3];
    int64_t number = 0;

    (void)state;
    setup("locate", "sobol", 5, &db, &c);
    spec_text(spec, sizeof spec, "locate-two", "random", 5);
    assert_int_equal(gn__campaign_create_owned(db, spec, strlen(spec), NULL, NULL, NULL, &c2),
                     GN_OK);
    a = lease(c, 2, 1, "alice", 60, 2);
    b = lease(c2, 3, 1, "alice", 60, 3);
    assert_int_equal(gn__db_experiment_locate(db, b[2].id, name, sizeof name, &number), GN_OK);
    assert_string_equal(name, "locate-two");
    assert_int_equal(number, 3);
    assert_int_equal(gn__db_experiment_locate(db, a[1].id, name, sizeof name, &number), GN_OK);
    assert_string_equal(name, "locate");
    assert_int_equal(number, 2);
    assert_int_equal(gn__db_experiment_locate(db, 424242, name, sizeof name, &number),
                     GN_ERR_NOT_FOUND);
    assert_int_equal(gn__db_experiment_locate(db, a[0].id, tiny, sizeof tiny, &number),
                     GN_ERR_LIMIT);
    gn_experiment_rec_array_free(a, 2);
    gn_experiment_rec_array_free(b, 3);
    gn_campaign_close(c2);
    teardown(db, c);
}

static void create_owned_and_json(void **state)
{
    gn_db *db;
    gn_campaign *c, *dup = NULL;
    gn_experiment_rec *a;
    char spec[1024], *text = NULL;
    const char *n1[] = {"temp"};
    double v1 = 300.0;
    json_t *j, *e, *arr;

    (void)state;
    setup("owned", "sobol", 5, &db, &c);
    assert_string_equal(gn__campaign_rec(c)->project, "chem");
    assert_string_equal(gn__campaign_rec(c)->classification, "controlled");
    assert_string_equal(gn__campaign_rec(c)->owner, "alice");
    /* an existing name is always refused, even with the same spec */
    spec_text(spec, sizeof spec, "owned", "sobol", 5);
    assert_int_equal(gn__campaign_create_owned(db, spec, strlen(spec), "chem", NULL, "bob", &dup),
                     GN_ERR_EXISTS);
    assert_null(dup);
    assert_int_equal(gn__campaign_create_owned(db, spec, strlen(spec), "chem", "secret", "bob",
                                               &dup),
                     GN_ERR_INVALID);
    assert_int_equal(gn__campaign_create_owned(db, "name: x\nbudget: [\n", 17, "chem", NULL,
                                               "bob", &dup),
                     GN_ERR_SPEC);
    assert_non_null(strstr(gn_db_errmsg(db), "<request>:"));

    a = lease(c, 2, 1, "robot-1", 60, 2);
    assert_int_equal(tell_partial(c, 1, 1, n1, &v1, NULL, NULL, NULL), GN_OK);
    assert_int_equal(tell_y(c, 2, 0.5, NULL, NULL, NULL, NULL, NULL), GN_OK);

    assert_int_equal(gn_campaign_summary_json(c, &text), GN_OK);
    j = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "project")), "chem");
    assert_string_equal(json_string_value(json_object_get(j, "classification")), "controlled");
    assert_string_equal(json_string_value(json_object_get(j, "owner")), "alice");
    json_decref(j);
    gn_string_free(text);

    assert_int_equal(gn_db_campaigns_json(db, &text), GN_OK);
    arr = json_loads(text, 0, NULL);
    j = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(j, "project")), "chem");
    assert_string_equal(json_string_value(json_object_get(j, "owner")), "alice");
    json_decref(arr);
    gn_string_free(text);

    assert_int_equal(gn_campaign_experiment_json(c, 1, &text), GN_OK);
    e = json_loads(text, 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "lease"), "user")), "robot-1");
    assert_near(json_number_value(json_object_get(json_object_get(e, "lease"), "deadline")),
                fake_now + 60, 1e-3);
    assert_near(json_number_value(json_object_get(json_object_get(e, "partial"), "temp")), 300.0,
                1e-12);
    json_decref(e);
    gn_string_free(text);
    /* a finished experiment shows no lease */
    assert_int_equal(gn_campaign_experiment_json(c, 2, &text), GN_OK);
    e = json_loads(text, 0, NULL);
    assert_null(json_object_get(e, "lease"));
    assert_null(json_object_get(e, "partial"));
    json_decref(e);
    gn_string_free(text);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

/* gn_campaign_ask (the CLI, embedding codes) sets no lease; the service
 * may hand such an unleased proposal out. */
static void ask_sets_no_lease(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    int64_t number, tok = -1;
    double x[2], deadline = -1;
    char user[8];
    size_t got;

    (void)state;
    setup("asklease", "sobol", 5, &db, &c);
    assert_int_equal(gn_campaign_ask(c, 1, &number, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, 1);
    assert_int_equal(gn__campaign_lease_get(c, number, &tok, user, sizeof user, &deadline), GN_OK);
    assert_int_equal(tok, 0);
    assert_string_equal(user, "");
    assert_near(deadline, 0, 0);
    a = lease(c, 1, 3, "robot", 60, 1);
    assert_int_equal(a[0].number, number);
    gn_experiment_rec_array_free(a, 1);
    teardown(db, c);
}

/* The planner learns of tells made through the service: with bo, a
 * proposal after the initial design has a model prediction only when the
 * initial design's outcomes were told. */
static void planner_sees_tells(void **state)
{
    gn_db *db, *db2;
    gn_campaign *c, *c2;
    gn_experiment_rec *a, *b;
    char spec[1024];
    int64_t k;

    (void)state;
    setup("planner", "bo", 8, &db, &c);
    a = lease(c, 4, 1, "alice", 60, 4);
    for (k = 0; k < 4; k++) {
        double x = 0, y;
        json_t *p = json_loads(a[k].params, 0, NULL);
        x = json_number_value(json_object_get(p, "x"));
        json_decref(p);
        y = (x - 0.3) * (x - 0.3);
        if (k == 3)
            assert_int_equal(tell_failure(c, a[k].number, "broke"), GN_OK);
        else
            assert_int_equal(tell_y(c, a[k].number, y, k == 0 ? "key" : NULL, k == 0 ? H1 : NULL,
                                    k == 0 ? "{}" : NULL, NULL, NULL),
                             GN_OK);
    }
    b = lease(c, 1, 1, "alice", 60, 1);
    assert_non_null(b[0].prediction); /* a model of the told outcomes */
    assert_int_equal(c->planner != NULL, 1);
    gn_experiment_rec_array_free(b, 1);
    gn_experiment_rec_array_free(a, 4);

    /* the same campaign with nothing told: no model yet */
    spec_text(spec, sizeof spec, "planner", "bo", 8);
    {
        char path[600];
        snprintf(path, sizeof path, "%s.2", gn_db_path(db));
        unlink(path);
        assert_int_equal(gn_db_open(path, &db2), GN_OK);
    }
    assert_int_equal(gn__campaign_create_owned(db2, spec, strlen(spec), NULL, NULL, NULL, &c2),
                     GN_OK);
    a = lease(c2, 4, 1, "alice", 60, 4);
    b = lease(c2, 1, 1, "alice", 60, 1);
    assert_null(b[0].prediction);
    gn_experiment_rec_array_free(b, 1);
    gn_experiment_rec_array_free(a, 4);
    gn_campaign_close(c2);
    gn_db_close(db2);
    teardown(db, c);
}

/* A suggestion reads only what it needs (gn_store_lease_snapshot): the
 * open experiments and the finished ones above the highest number up to
 * which everything was told. An experiment that finishes late, below
 * numbers already told (here through another handle, as another server
 * process would), is still told to the planner. */
static void suggest_reads_only_what_is_new(void **state)
{
    gn_db *db, *db2;
    gn_campaign *c, *c2;
    gn_experiment_rec *a, *b;
    int64_t k;

    (void)state;
    setup("watermark", "random", 20, &db, &c);
    a = lease(c, 6, 1, "alice", 60, 6);
    assert_int_equal(gn_db_open(gn_db_path(db), &db2), GN_OK);
    assert_int_equal(gn_campaign_open(db2, c->rec.name, &c2), GN_OK);
    for (k = 2; k <= 6; k++)
        assert_int_equal(tell_y(c2, k, (double)k, NULL, NULL, NULL, NULL, NULL), GN_OK);
    b = lease(c, 1, 1, "alice", 60, 1);
    gn_experiment_rec_array_free(b, 1);
    for (k = 2; k <= 6; k++)
        assert_true((size_t)k < c->told_cap && c->told[k]);
    assert_true(c->told_cap <= 1 || !c->told[1]);
    assert_int_equal(c->told_through, 0); /* 1 is still out */

    assert_int_equal(tell_y(c2, 1, 1.0, NULL, NULL, NULL, NULL, NULL), GN_OK);
    b = lease(c, 1, 1, "alice", 60, 1);
    gn_experiment_rec_array_free(b, 1);
    assert_true(c->told[1]);
    assert_int_equal(c->told_through, 6);

    gn_experiment_rec_array_free(a, 6);
    gn_campaign_close(c2);
    gn_db_close(db2);
    teardown(db, c);
}

/* ---- write-hook atomicity ------------------------------------------------------------ */

static int prev_calls;
static gn_status prev_hook_ok(gn_store *s, void *ctx, gn_err *err)
{
    (void)s;
    (void)err;
    prev_calls++;
    assert_ptr_equal(ctx, &prev_calls);
    return GN_OK;
}
static gn_status prev_hook_fails(gn_store *s, void *ctx, gn_err *err)
{
    (void)s;
    (void)ctx;
    prev_calls++;
    return gn_err_set(err, GN_ERR_IO, "the audit record could not be written");
}

/* The key row commits with the outcome or neither does: a trigger makes
 * the key insert fail for real, and the outcome is not recorded. */
static void key_insert_failure_rolls_back(void **state)
{
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *a;
    sqlite3 *raw;
    gn_store_write_hook h;
    void *hctx;
    int replayed = -1;
    char *stored = NULL;

    (void)state;
    setup("hookfail", "sobol", 5, &db, &c);
    a = lease(c, 2, 1, "alice", 60, 2);
    assert_int_equal(sqlite3_open(gn_db_path(db), &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "CREATE TRIGGER no_keys BEFORE INSERT ON tell_keys "
                                  "BEGIN SELECT RAISE(ABORT, 'tell keys are refused'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_not_equal(tell_y(c, 1, 0.5, "k", H1, "{}", &replayed, &stored), GN_OK);
    assert_non_null(strstr(gn_campaign_errmsg(c), "tell keys are refused"));
    assert_int_equal(status_of(c, 1), GN_EXP_PROPOSED);
    assert_int_equal(attempts_of(c, 1), 0);
    assert_int_equal(counts(c).completed, 0);
    /* a partial is rolled back as well */
    {
        const char *n1[] = {"temp"};
        double v1 = 1.0;
        gn_experiment_rec e;
        assert_int_not_equal(tell_partial(c, 1, 1, n1, &v1, "p", H1, NULL), GN_OK);
        e = get_exp(c, 1);
        assert_null(e.partial);
        gn_experiment_rec_free(&e);
    }
    assert_int_equal(sqlite3_exec(raw, "DROP TRIGGER no_keys", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);

    /* with a hook installed before (the service's audit record): it runs
     * once in the same transaction and is put back afterwards */
    prev_calls = 0;
    gn_store_set_write_hook(c->db->store, prev_hook_ok, &prev_calls);
    assert_int_equal(tell_y(c, 1, 0.5, "k", H1, "{}", &replayed, &stored), GN_OK);
    assert_int_equal(prev_calls, 1);
    gn_store_get_write_hook(c->db->store, &h, &hctx);
    assert_true(h == prev_hook_ok);
    assert_ptr_equal(hctx, &prev_calls);
    /* a failing previous hook rolls back the outcome and the key */
    prev_calls = 0;
    gn_store_set_write_hook(c->db->store, prev_hook_fails, NULL);
    assert_int_equal(tell_y(c, 2, 0.5, "k2", H1, "{}", &replayed, &stored), GN_ERR_IO);
    assert_int_equal(prev_calls, 1);
    gn_store_set_write_hook(c->db->store, NULL, NULL);
    assert_int_equal(status_of(c, 2), GN_EXP_PROPOSED);
    {
        gn_experiment_rec e = get_exp(c, 2);
        assert_int_equal(gn_store_tell_key_get(c->db->store, e.id, "k2", NULL, NULL, NULL),
                         GN_ERR_NOT_FOUND);
        gn_experiment_rec_free(&e);
    }
    /* outside a hook a key cannot be inserted */
    assert_int_equal(gn_store_tell_key_put_in_hook(c->db->store, a[1].id, "x", H1, "{}", NULL),
                     GN_ERR_STATE);
    assert_int_equal(tell_y(c, 2, 0.5, "k2", H1, "{}", &replayed, &stored), GN_OK);
    assert_int_equal(replayed, 0);
    assert_int_equal(counts(c).completed, 2);
    gn_experiment_rec_array_free(a, 2);
    teardown(db, c);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lease_expires_and_is_released),
        cmocka_unit_test(lease_expires_real_clock),
        cmocka_unit_test(lease_renew_and_get),
        cmocka_unit_test(lease_budget_and_done),
        cmocka_unit_test(lease_race_two_processes),
        cmocka_unit_test(keyed_tell_replayed),
        cmocka_unit_test(keyed_tell_other_hash_exists),
        cmocka_unit_test(keyed_tell_races_replay),
        cmocka_unit_test(partial_merged),
        cmocka_unit_test(failure_told),
        cmocka_unit_test(tell_while_running_accepted),
        cmocka_unit_test(abandon_frees_budget),
        cmocka_unit_test(state_transitions),
        cmocka_unit_test(paused_and_archived),
        cmocka_unit_test(paging_and_totals),
        cmocka_unit_test(locate_by_id),
        cmocka_unit_test(create_owned_and_json),
        cmocka_unit_test(ask_sets_no_lease),
        cmocka_unit_test(planner_sees_tells),
        cmocka_unit_test(suggest_reads_only_what_is_new),
        cmocka_unit_test(key_insert_failure_rolls_back),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
