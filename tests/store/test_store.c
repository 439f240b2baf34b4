/*
 * test_store.c - the store on real SQLite files, one behaviour per case.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "store/store_lease.h"
#include "store_test_util.h"

/* Runs SQL on a database with a plain SQLite connection (to hand-make
 * databases or look under the store). */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* The first column of the first row of a query, as an integer. */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* ---- campaigns ---------------------------------------------------------- */

static void campaign_create_get(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec c, got;
    gn_err err;

    db_path(path, sizeof path, "campaign_create_get");
    s = db_open(path);
    assert_string_equal(gn_store_path(s), path);
    memset(&c, 0, sizeof c);
    c.name = "flow";
    c.spec_text = "name: flow\nbudget: {experiments: 60}\n";
    c.spec_format = "yaml";
    c.spec_path = "/tmp/flow.yaml";
    c.seed = 42;
    c.budget = 60;
    assert_ok(gn_store_campaign_create(s, &c, &err));
    assert_true(c.id > 0);
    assert_true(c.created > 1e9);
    assert_near(c.created, c.updated, 1e-9);

    assert_ok(gn_store_campaign_get(s, "flow", &got, &err));
    assert_int_equal(got.id, c.id);
    assert_string_equal(got.name, "flow");
    assert_string_equal(got.state, "active");
    assert_string_equal(got.spec_text, c.spec_text);
    assert_string_equal(got.spec_format, "yaml");
    assert_string_equal(got.spec_path, "/tmp/flow.yaml");
    assert_true(got.seed == 42);
    assert_int_equal(got.budget, 60);
    assert_near(got.created, c.created, 1e-6);
    gn_campaign_rec_free(&got);

    assert_status(gn_store_campaign_get(s, "nope", &got, &err), GN_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "nope"));
    gn_store_close(s);
}

static void campaign_list(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec *list = NULL;
    size_t n = 99;
    gn_err err;

    db_path(path, sizeof path, "campaign_list");
    s = db_open(path);
    assert_ok(gn_store_campaign_list(s, &list, &n, &err));
    assert_null(list);
    assert_int_equal(n, 0);
    campaign_new(s, "b-second");
    campaign_new(s, "a-first");
    campaign_new(s, "c-third");
    assert_ok(gn_store_campaign_list(s, &list, &n, &err));
    assert_int_equal(n, 3);
    /* in creation order */
    assert_string_equal(list[0].name, "b-second");
    assert_string_equal(list[1].name, "a-first");
    assert_string_equal(list[2].name, "c-third");
    gn_campaign_rec_array_free(list, n);
    gn_store_close(s);
}

static void campaign_duplicate_name(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec c, *list;
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "campaign_duplicate_name");
    s = db_open(path);
    campaign_new(s, "dup");
    memset(&c, 0, sizeof c);
    c.name = "dup";
    c.spec_text = "other";
    assert_status(gn_store_campaign_create(s, &c, &err), GN_ERR_EXISTS);
    assert_non_null(strstr(err.msg, "dup"));
    assert_int_equal(c.id, 0);
    assert_ok(gn_store_campaign_list(s, &list, &n, &err));
    assert_int_equal(n, 1);
    gn_campaign_rec_array_free(list, n);
    gn_store_close(s);
}

static void campaign_invalid_fields(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec c;
    gn_err err;

    db_path(path, sizeof path, "campaign_invalid_fields");
    s = db_open(path);
    memset(&c, 0, sizeof c);
    assert_status(gn_store_campaign_create(s, &c, &err), GN_ERR_INVALID);
    c.name = "x";
    c.state = "sleeping";
    assert_status(gn_store_campaign_create(s, &c, &err), GN_ERR_INVALID);
    c.state = NULL;
    c.spec_format = "toml";
    assert_status(gn_store_campaign_create(s, &c, &err), GN_ERR_INVALID);
    c.spec_format = "json";
    assert_ok(gn_store_campaign_create(s, &c, &err));
    gn_store_close(s);
}

static void campaign_set_state(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec got;
    int64_t id;
    gn_err err;

    db_path(path, sizeof path, "campaign_set_state");
    s = db_open(path);
    id = campaign_new(s, "st");
    assert_ok(gn_store_campaign_set_state(s, id, "paused", &err));
    assert_ok(gn_store_campaign_get(s, "st", &got, &err));
    assert_string_equal(got.state, "paused");
    assert_true(got.updated >= got.created);
    gn_campaign_rec_free(&got);
    assert_status(gn_store_campaign_set_state(s, id, "bogus", &err), GN_ERR_INVALID);
    assert_status(gn_store_campaign_set_state(s, id + 100, "active", &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void seed_uint64_roundtrip(void **state)
{
    static const uint64_t seeds[] = {0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1,
                                     0xfedcba9876543210u, UINT64_MAX};
    char path[512], name[32];
    gn_store *s;
    gn_campaign_rec c, got;
    gn_err err;
    size_t i;

    db_path(path, sizeof path, "seed_uint64_roundtrip");
    s = db_open(path);
    for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(name, sizeof name, "seed%zu", i);
        memset(&c, 0, sizeof c);
        c.name = name;
        c.seed = seeds[i];
        assert_ok(gn_store_campaign_create(s, &c, &err));
    }
    gn_store_close(s);
    s = db_open(path); /* from the file, not from a cache */
    for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(name, sizeof name, "seed%zu", i);
        assert_ok(gn_store_campaign_get(s, name, &got, &err));
        if (got.seed != seeds[i])
            fail_msg("seed %zu: got %llu, want %llu", i, (unsigned long long)got.seed,
                     (unsigned long long)seeds[i]);
        gn_campaign_rec_free(&got);
    }
    gn_store_close(s);
}

/* ---- experiments ---------------------------------------------------------- */

static void experiments_add_numbering(void **state)
{
    char path[512];
    gn_store *s;
    gn_experiment_rec recs[3], *list;
    int64_t a, b;
    size_t n, i;
    gn_err err;

    db_path(path, sizeof path, "experiments_add_numbering");
    s = db_open(path);
    a = campaign_new(s, "a");
    b = campaign_new(s, "b");
    memset(recs, 0, sizeof recs);
    recs[0].params = "{\"x\": 1}";
    recs[0].prediction = "{\"y\": {\"mean\": 1.5, \"sd\": 0.25}}";
    recs[0].origin = "planner:random";
    recs[1].params = "{\"x\": 2}";
    recs[2].params = "{\"x\": 3}";
    assert_ok(gn_store_experiments_add(s, a, recs, 3, &err));
    for (i = 0; i < 3; i++) {
        assert_int_equal(recs[i].number, (int64_t)i + 1);
        assert_int_equal(recs[i].campaign_id, a);
        assert_true(recs[i].id > 0);
        assert_int_equal(recs[i].status, GN_EXP_PROPOSED);
    }
    experiments_new(s, b, 2, NULL); /* numbering is per campaign */
    assert_ok(gn_store_experiments_add(s, a, recs, 2, &err));
    assert_int_equal(recs[0].number, 4);
    assert_int_equal(recs[1].number, 5);

    assert_ok(gn_store_experiment_list(s, a, NULL, &list, &n, &err));
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++) {
        assert_int_equal(list[i].number, (int64_t)i + 1);
        assert_int_equal(list[i].status, GN_EXP_PROPOSED);
        assert_int_equal(list[i].attempts, 0);
        assert_null(list[i].outcome);
    }
    assert_string_equal(list[0].params, "{\"x\": 1}");
    assert_string_equal(list[0].prediction, "{\"y\": {\"mean\": 1.5, \"sd\": 0.25}}");
    assert_string_equal(list[0].origin, "planner:random");
    assert_null(list[1].prediction);
    gn_experiment_rec_array_free(list, n);

    assert_ok(gn_store_experiment_list(s, b, NULL, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_int_equal(list[1].number, 2);
    gn_experiment_rec_array_free(list, n);

    assert_status(gn_store_experiments_add(s, 999, recs, 1, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void experiments_add_bad_json_writes_nothing(void **state)
{
    char path[512];
    gn_store *s;
    gn_experiment_rec recs[3], *list;
    int64_t a;
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "experiments_add_bad_json_writes_nothing");
    s = db_open(path);
    a = campaign_new(s, "a");
    memset(recs, 0, sizeof recs);
    recs[0].params = "{\"x\": 1}";
    recs[1].params = "{\"x\": 2}";
    recs[2].params = "{\"x\": "; /* truncated */
    assert_status(gn_store_experiments_add(s, a, recs, 3, &err), GN_ERR_INVALID);
    assert_non_null(strstr(err.msg, "experiment 3 of 3"));
    assert_int_equal(recs[0].id, 0);
    assert_int_equal(recs[0].number, 0);
    assert_ok(gn_store_experiment_list(s, a, NULL, &list, &n, &err));
    assert_int_equal(n, 0);
    /* and the numbering is not disturbed */
    experiments_new(s, a, 1, NULL);
    assert_ok(gn_store_experiment_list(s, a, NULL, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].number, 1);
    gn_experiment_rec_array_free(list, n);
    gn_store_close(s);
}

static void experiment_list_by_status(void **state)
{
    char path[512];
    gn_store *s;
    gn_experiment_rec *list;
    gn_attempt_rec a1, a2;
    gn_exp_status want;
    int64_t cid, ids[5];
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "experiment_list_by_status");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 5, ids);
    memset(&a1, 0, sizeof a1);
    a1.experiment_id = ids[1];
    assert_ok(gn_store_attempt_start(s, &a1, &err));
    memset(&a2, 0, sizeof a2);
    a2.experiment_id = ids[3];
    assert_ok(gn_store_attempt_start(s, &a2, &err));

    want = GN_EXP_RUNNING;
    assert_ok(gn_store_experiment_list(s, cid, &want, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_int_equal(list[0].number, 2);
    assert_int_equal(list[1].number, 4);
    assert_int_equal(list[0].status, GN_EXP_RUNNING);
    gn_experiment_rec_array_free(list, n);

    want = GN_EXP_PROPOSED;
    assert_ok(gn_store_experiment_list(s, cid, &want, &list, &n, &err));
    assert_int_equal(n, 3);
    assert_int_equal(list[0].number, 1);
    assert_int_equal(list[1].number, 3);
    assert_int_equal(list[2].number, 5);
    gn_experiment_rec_array_free(list, n);

    want = GN_EXP_COMPLETED;
    assert_ok(gn_store_experiment_list(s, cid, &want, &list, &n, &err));
    assert_int_equal(n, 0);
    assert_null(list);
    gn_store_close(s);
}

static void experiment_get(void **state)
{
    char path[512];
    gn_store *s;
    gn_experiment_rec e;
    int64_t cid, ids[2];
    gn_err err;

    db_path(path, sizeof path, "experiment_get");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 2, ids);
    assert_ok(gn_store_experiment_get(s, cid, 2, &e, &err));
    assert_int_equal(e.id, ids[1]);
    assert_int_equal(e.number, 2);
    assert_string_equal(e.params, "{\"x\": 1}");
    gn_experiment_rec_free(&e);
    assert_status(gn_store_experiment_get(s, cid, 3, &e, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

/* ---- attempts --------------------------------------------------------------- */

static void attempt_lifecycle(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a, b, *list;
    gn_attempt_finish f;
    gn_experiment_rec e;
    int64_t cid, ids[1];
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "attempt_lifecycle");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 1, ids);

    /* attempt 1 starts and fails: the experiment goes back for a retry */
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    a.number = 1;
    a.runner = "command";
    a.host = "node7";
    a.pid = 4242;
    a.pid_start = 123456789;
    a.workdir = "/tmp/w1";
    a.exit_code = -1;
    assert_ok(gn_store_attempt_start(s, &a, &err));
    assert_true(a.id > 0);
    assert_true(a.started > 1e9);
    assert_int_equal(a.status, GN_ATT_RUNNING);
    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_int_equal(e.status, GN_EXP_RUNNING);
    assert_int_equal(e.attempts, 1);
    gn_experiment_rec_free(&e);

    a.status = GN_ATT_FAILED;
    a.exit_code = 3;
    a.reason = "exit status 3";
    a.stderr_tail = "boom\n";
    f.attempt = &a;
    f.exp_status = GN_EXP_PROPOSED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_true(a.finished >= a.started);
    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_int_equal(e.status, GN_EXP_PROPOSED);
    gn_experiment_rec_free(&e);

    /* attempt 2 (number chosen by the store) succeeds */
    memset(&b, 0, sizeof b);
    b.experiment_id = ids[0];
    b.runner = "command";
    assert_ok(gn_store_attempt_start(s, &b, &err));
    assert_int_equal(b.number, 2);
    b.status = GN_ATT_SUCCEEDED;
    b.exit_code = 0;
    b.outcome = "{\"y\": 0.5}";
    b.stdout_tail = "{\"y\": 0.5}\n";
    f.attempt = &b;
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 0.5}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));

    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_int_equal(e.status, GN_EXP_COMPLETED);
    assert_string_equal(e.outcome, "{\"y\": 0.5}");
    assert_int_equal(e.attempts, 2);
    gn_experiment_rec_free(&e);

    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_int_equal(n, 2);
    assert_int_equal(list[0].number, 1);
    assert_int_equal(list[0].status, GN_ATT_FAILED);
    assert_int_equal(list[0].exit_code, 3);
    assert_string_equal(list[0].reason, "exit status 3");
    assert_string_equal(list[0].stderr_tail, "boom\n");
    assert_string_equal(list[0].host, "node7");
    assert_string_equal(list[0].workdir, "/tmp/w1");
    assert_int_equal(list[0].pid, 4242);
    assert_int_equal(list[0].pid_start, 123456789);
    assert_true(list[0].finished > 0);
    assert_int_equal(list[1].number, 2);
    assert_int_equal(list[1].status, GN_ATT_SUCCEEDED);
    assert_string_equal(list[1].outcome, "{\"y\": 0.5}");
    assert_null(list[1].reason);
    gn_attempt_rec_array_free(list, n);
    gn_store_close(s);
}

static void attempt_start_requires_proposed(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a, b;
    int64_t cid, ids[2];
    gn_err err;

    db_path(path, sizeof path, "attempt_start_requires_proposed");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 2, ids);
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    assert_ok(gn_store_attempt_start(s, &a, &err));
    memset(&b, 0, sizeof b);
    b.experiment_id = ids[0];
    assert_status(gn_store_attempt_start(s, &b, &err), GN_ERR_STATE);
    assert_non_null(strstr(err.msg, "running"));
    assert_int_equal(b.id, 0);

    assert_ok(gn_store_experiment_abandon(s, ids[1], "not needed", &err));
    b.experiment_id = ids[1];
    assert_status(gn_store_attempt_start(s, &b, &err), GN_ERR_STATE);

    b.experiment_id = 12345;
    assert_status(gn_store_attempt_start(s, &b, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void attempt_number_taken(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a;
    gn_attempt_finish f;
    int64_t cid, ids[1];
    gn_err err;

    db_path(path, sizeof path, "attempt_number_taken");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 1, ids);
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    a.number = 1;
    assert_ok(gn_store_attempt_start(s, &a, &err));
    a.status = GN_ATT_TIMEOUT;
    f.attempt = &a;
    f.exp_status = GN_EXP_PROPOSED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    a.number = 1;
    assert_status(gn_store_attempt_start(s, &a, &err), GN_ERR_EXISTS);
    gn_store_close(s);
}

/* Starts one attempt on each of ids[0..n) into atts. */
static void start_all(gn_store *s, const int64_t *ids, gn_attempt_rec *atts, size_t n)
{
    gn_err err;
    size_t i;
    for (i = 0; i < n; i++) {
        memset(&atts[i], 0, sizeof atts[i]);
        atts[i].experiment_id = ids[i];
        atts[i].runner = "command";
        assert_ok(gn_store_attempt_start(s, &atts[i], &err));
    }
}

static void attempts_finish_batch(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[3];
    gn_attempt_finish f[3];
    gn_experiment_rec *list;
    int64_t cid, ids[3];
    size_t n, i;
    gn_err err;

    db_path(path, sizeof path, "attempts_finish_batch");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 3, ids);
    start_all(s, ids, atts, 3);
    for (i = 0; i < 3; i++) {
        atts[i].status = i == 1 ? GN_ATT_FAILED : GN_ATT_SUCCEEDED;
        f[i].attempt = &atts[i];
        f[i].exp_status = i == 1 ? GN_EXP_FAILED : GN_EXP_COMPLETED;
        f[i].exp_outcome = i == 1 ? NULL : "{\"y\": 1}";
    }
    assert_ok(gn_store_attempts_finish(s, f, 3, &err));
    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_int_equal(list[0].status, GN_EXP_COMPLETED);
    assert_int_equal(list[1].status, GN_EXP_FAILED);
    assert_null(list[1].outcome);
    assert_int_equal(list[2].status, GN_EXP_COMPLETED);
    gn_experiment_rec_array_free(list, n);
    gn_store_close(s);
}

static void attempts_finish_batch_atomic(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[3], late, *alist;
    gn_attempt_finish f[3];
    gn_experiment_rec *list;
    int64_t cid, ids[3];
    size_t n, i;
    gn_err err;

    db_path(path, sizeof path, "attempts_finish_batch_atomic");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 3, ids);
    start_all(s, ids, atts, 3);

    /* experiment 3 gets its outcome from a manual observation first */
    memset(&late, 0, sizeof late);
    late.experiment_id = ids[2];
    late.runner = "manual";
    late.status = GN_ATT_SUCCEEDED;
    f[0].attempt = &late;
    f[0].exp_status = GN_EXP_COMPLETED;
    f[0].exp_outcome = "{\"y\": 9}";
    assert_ok(gn_store_attempts_finish(s, f, 1, &err));

    /* a batch whose last item is that experiment: nothing is written */
    for (i = 0; i < 3; i++) {
        atts[i].status = GN_ATT_SUCCEEDED;
        atts[i].stdout_tail = "done";
        f[i].attempt = &atts[i];
        f[i].exp_status = GN_EXP_COMPLETED;
        f[i].exp_outcome = "{\"y\": 1}";
    }
    assert_status(gn_store_attempts_finish(s, f, 3, &err), GN_ERR_STATE);
    assert_non_null(strstr(err.msg, "experiment 3 of campaign 'c'"));
    assert_non_null(strstr(err.msg, "nothing was recorded"));
    assert_true(atts[0].finished == 0); /* nothing written back */

    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_int_equal(list[0].status, GN_EXP_RUNNING);
    assert_null(list[0].outcome);
    assert_int_equal(list[1].status, GN_EXP_RUNNING);
    assert_int_equal(list[2].status, GN_EXP_COMPLETED);
    assert_string_equal(list[2].outcome, "{\"y\": 9}");
    gn_experiment_rec_array_free(list, n);
    for (i = 0; i < 2; i++) {
        assert_ok(gn_store_attempt_list(s, ids[i], &alist, &n, &err));
        assert_int_equal(n, 1);
        assert_int_equal(alist[0].status, GN_ATT_RUNNING);
        assert_null(alist[0].stdout_tail);
        assert_true(alist[0].finished == 0);
        gn_attempt_rec_array_free(alist, n);
    }

    /* the first two alone go through */
    assert_ok(gn_store_attempts_finish(s, f, 2, &err));
    gn_store_close(s);
}

static void attempts_finish_twice_refused(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a, again;
    gn_attempt_finish f;
    gn_experiment_rec e;
    int64_t cid, ids[2];
    gn_err err;

    db_path(path, sizeof path, "attempts_finish_twice_refused");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 2, ids);

    /* completed: a second outcome is refused */
    start_all(s, ids, &a, 1);
    a.status = GN_ATT_SUCCEEDED;
    f.attempt = &a;
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    f.exp_outcome = "{\"y\": 2}";
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_STATE);
    again = a;
    again.id = 0; /* nor as a new (manual) attempt */
    f.attempt = &again;
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_STATE);
    assert_non_null(strstr(err.msg, "never recorded twice"));
    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_string_equal(e.outcome, "{\"y\": 1}");
    gn_experiment_rec_free(&e);

    /* retried (PROPOSED): finishing the same attempt again is refused */
    start_all(s, &ids[1], &a, 1);
    a.status = GN_ATT_FAILED;
    f.attempt = &a;
    f.exp_status = GN_EXP_PROPOSED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_STATE);
    assert_non_null(strstr(err.msg, "already failed"));
    gn_store_close(s);
}

static void attempts_finish_invalid(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a;
    gn_attempt_finish f;
    int64_t cid, ids[1];
    gn_err err;

    db_path(path, sizeof path, "attempts_finish_invalid");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 1, ids);
    start_all(s, ids, &a, 1);
    f.attempt = &a;
    f.exp_outcome = "{\"y\": 1}";
    a.status = GN_ATT_RUNNING; /* not a final status */
    f.exp_status = GN_EXP_COMPLETED;
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_INVALID);
    a.status = GN_ATT_SUCCEEDED;
    f.exp_status = GN_EXP_RUNNING; /* not a final experiment status */
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_INVALID);
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = NULL; /* completed without an outcome */
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_INVALID);
    f.exp_outcome = "{not json"; /* refused by the database */
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_INVALID);
    a.experiment_id = ids[0] + 1; /* the attempt belongs to another experiment */
    f.exp_outcome = "{\"y\": 1}";
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_INVALID);
    a.experiment_id = ids[0];
    a.id += 1000;
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_NOT_FOUND);
    a.id -= 1000;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    gn_store_close(s);
}

static void attempts_finish_manual(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a, *list;
    gn_attempt_finish f;
    gn_experiment_rec e;
    int64_t cid, ids[1];
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "attempts_finish_manual");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 1, ids);
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    a.runner = "manual";
    a.status = GN_ATT_SUCCEEDED;
    a.exit_code = -1;
    a.outcome = "{\"y\": 3.25}";
    f.attempt = &a;
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 3.25}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_true(a.id > 0);
    assert_int_equal(a.number, 1);
    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, a.id);
    assert_string_equal(list[0].runner, "manual");
    assert_int_equal(list[0].status, GN_ATT_SUCCEEDED);
    assert_true(list[0].finished > 0);
    gn_attempt_rec_array_free(list, n);
    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_int_equal(e.status, GN_EXP_COMPLETED);
    assert_int_equal(e.attempts, 1);
    gn_experiment_rec_free(&e);
    gn_store_close(s);
}

/* Attempts of batch jobs: job id and state are stored when they start and
 * when they finish (with the node as host); recovery that keeps jobs leaves
 * them running and interrupts only the others. */
static void recover_keeps_jobs(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[3], *got, *list;
    gn_attempt_finish f;
    gn_experiment_rec *exps;
    int64_t cid, ids[3];
    size_t n;
    gn_err err;
    (void)state;

    db_path(path, sizeof path, "recover_keeps_jobs");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 3, ids);
    memset(atts, 0, sizeof atts);
    atts[0].experiment_id = ids[0];
    atts[0].runner = "command";
    atts[0].job_id = "4242";
    atts[0].job_state = "PENDING";
    assert_ok(gn_store_attempt_start(s, &atts[0], &err));
    atts[1].experiment_id = ids[1];
    atts[1].runner = "command";
    atts[1].job_state = "SUBMITTING"; /* an array element before its array is submitted */
    assert_ok(gn_store_attempt_start(s, &atts[1], &err));
    atts[2].experiment_id = ids[2];
    atts[2].runner = "command"; /* a local runner */
    atts[2].host = "here";
    assert_ok(gn_store_attempt_start(s, &atts[2], &err));
    gn_store_close(s);

    s = db_open(path);
    assert_ok(gn_store_recover_interrupted_keep_jobs(s, cid, "genesis died", &got, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(got[0].id, atts[2].id);
    assert_int_equal(got[0].status, GN_ATT_INTERRUPTED);
    assert_null(got[0].job_id);
    gn_attempt_rec_array_free(got, n);
    assert_ok(gn_store_experiment_list(s, cid, NULL, &exps, &n, &err));
    assert_int_equal(exps[0].status, GN_EXP_RUNNING);
    assert_int_equal(exps[1].status, GN_EXP_RUNNING);
    assert_int_equal(exps[2].status, GN_EXP_PROPOSED);
    gn_experiment_rec_array_free(exps, n);
    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_int_equal(list[0].status, GN_ATT_RUNNING);
    assert_string_equal(list[0].job_id, "4242");
    assert_string_equal(list[0].job_state, "PENDING");
    gn_attempt_rec_array_free(list, n);

    /* the finish records the final state and the node; a NULL job id keeps the stored one */
    atts[0].status = GN_ATT_SUCCEEDED;
    atts[0].job_id = NULL;
    atts[0].job_state = "COMPLETED";
    atts[0].host = "node7";
    f.attempt = &atts[0];
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    /* an array element learns its job id at the end */
    atts[1].status = GN_ATT_FAILED;
    atts[1].job_id = "77_3";
    atts[1].job_state = "TIMEOUT";
    atts[1].reason = "Slurm job 77_3 reached its time limit";
    f.attempt = &atts[1];
    f.exp_status = GN_EXP_PROPOSED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_string_equal(list[0].job_id, "4242");
    assert_string_equal(list[0].job_state, "COMPLETED");
    assert_string_equal(list[0].host, "node7");
    gn_attempt_rec_array_free(list, n);
    assert_ok(gn_store_attempt_list(s, ids[1], &list, &n, &err));
    assert_string_equal(list[0].job_id, "77_3");
    assert_string_equal(list[0].job_state, "TIMEOUT");
    gn_attempt_rec_array_free(list, n);

    /* the plain recovery interrupts everything, jobs included */
    atts[1].job_id = NULL;
    atts[1].job_state = NULL;
    atts[1].number = 0;
    atts[1].id = 0;
    atts[1].status = GN_ATT_RUNNING;
    atts[1].reason = NULL;
    atts[1].job_id = "78";
    assert_ok(gn_store_attempt_start(s, &atts[1], &err));
    assert_ok(gn_store_recover_interrupted(s, cid, "gone", &got, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(got[0].job_id, "78");
    gn_attempt_rec_array_free(got, n);
    gn_store_close(s);
}

static void recover_interrupted(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[3], other, *got, *list;
    gn_attempt_finish f;
    gn_experiment_rec *exps;
    int64_t cid, cid2, ids[3], ids2[1];
    size_t n, i;
    gn_err err;

    db_path(path, sizeof path, "recover_interrupted");
    s = db_open(path);
    cid = campaign_new(s, "c");
    cid2 = campaign_new(s, "other");
    experiments_new(s, cid, 3, ids);
    experiments_new(s, cid2, 1, ids2);
    start_all(s, ids, atts, 3);
    start_all(s, ids2, &other, 1);
    atts[0].status = GN_ATT_SUCCEEDED; /* one finished before the crash */
    f.attempt = &atts[0];
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    gn_store_close(s);

    s = db_open(path);
    assert_ok(gn_store_recover_interrupted(s, cid, "genesis died", &got, &n, &err));
    assert_int_equal(n, 2);
    for (i = 0; i < n; i++) {
        assert_int_equal(got[i].id, atts[i + 1].id);
        assert_int_equal(got[i].status, GN_ATT_INTERRUPTED);
        assert_string_equal(got[i].reason, "genesis died");
        assert_string_equal(got[i].runner, "command");
        assert_true(got[i].finished > 0);
    }
    gn_attempt_rec_array_free(got, n);

    assert_ok(gn_store_experiment_list(s, cid, NULL, &exps, &n, &err));
    assert_int_equal(exps[0].status, GN_EXP_COMPLETED);
    assert_int_equal(exps[1].status, GN_EXP_PROPOSED);
    assert_int_equal(exps[2].status, GN_EXP_PROPOSED);
    gn_experiment_rec_array_free(exps, n);
    assert_ok(gn_store_attempt_list(s, ids[1], &list, &n, &err));
    assert_int_equal(list[0].status, GN_ATT_INTERRUPTED);
    assert_string_equal(list[0].reason, "genesis died");
    gn_attempt_rec_array_free(list, n);

    /* the other campaign is untouched */
    assert_ok(gn_store_attempt_list(s, ids2[0], &list, &n, &err));
    assert_int_equal(list[0].status, GN_ATT_RUNNING);
    gn_attempt_rec_array_free(list, n);

    /* the late finish of an interrupted attempt is refused */
    atts[1].status = GN_ATT_SUCCEEDED;
    f.attempt = &atts[1];
    assert_status(gn_store_attempts_finish(s, &f, 1, &err), GN_ERR_STATE);
    assert_non_null(strstr(err.msg, "interrupted"));

    /* nothing left to recover; NULL/NULL is allowed */
    assert_ok(gn_store_recover_interrupted(s, cid, "again", NULL, NULL, &err));
    assert_ok(gn_store_recover_interrupted(s, cid, NULL, &got, &n, &err));
    assert_int_equal(n, 0);
    assert_null(got);
    assert_status(gn_store_recover_interrupted(s, 999, "x", NULL, NULL, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

/* A batch: each call is a savepoint (a failing one undone alone), one
 * commit for all; nothing before the commit is visible elsewhere; a
 * rolled-back batch leaves nothing. */
static void batch_savepoints(void **state)
{
    char path[512];
    gn_store *s, *other;
    gn_campaign_counts n;
    gn_experiment_rec e;
    int64_t cid, ids[4];
    gn_err err;

    (void)state;
    db_path(path, sizeof path, "batch_savepoints");
    s = db_open(path);
    other = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 4, ids);
    assert_ok(gn_store_batch_begin(s, &err));
    assert_status(gn_store_batch_begin(s, &err), GN_ERR_STATE);
    assert_ok(gn_store_experiment_abandon(s, ids[0], "one", &err));
    /* fails (no such experiment): undone alone */
    assert_int_not_equal(gn_store_experiment_abandon(s, 999999, "none", &err), GN_OK);
    assert_ok(gn_store_experiment_abandon(s, ids[1], "two", &err));
    /* this store sees its batch; another connection does not yet */
    assert_ok(gn_store_experiment_get(s, cid, 2, &e, &err));
    assert_int_equal(e.status, GN_EXP_ABANDONED);
    gn_experiment_rec_free(&e);
    assert_ok(gn_store_campaign_status_counts(other, cid, &n, &err));
    assert_int_equal(n.abandoned, 0);
    assert_ok(gn_store_batch_end(s, 1, &err));
    assert_ok(gn_store_campaign_status_counts(other, cid, &n, &err));
    assert_int_equal(n.abandoned, 2);
    assert_int_equal(n.proposed, 2);
    /* rolled back: nothing */
    assert_ok(gn_store_batch_begin(s, &err));
    assert_ok(gn_store_experiment_abandon(s, ids[2], "three", &err));
    assert_ok(gn_store_batch_end(s, 0, &err));
    assert_ok(gn_store_campaign_status_counts(other, cid, &n, &err));
    assert_int_equal(n.abandoned, 2);
    assert_status(gn_store_batch_end(s, 1, &err), GN_ERR_STATE);
    /* ordinary calls commit again by themselves */
    assert_ok(gn_store_experiment_abandon(s, ids[3], "four", &err));
    assert_ok(gn_store_campaign_status_counts(other, cid, &n, &err));
    assert_int_equal(n.abandoned, 3);
    assert_int_equal(n.proposed, 1);
    gn_store_close(other);
    gn_store_close(s);
}

static void experiment_abandon(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[3];
    gn_attempt_finish f;
    gn_experiment_rec e;
    int64_t cid, ids[3];
    gn_err err;

    db_path(path, sizeof path, "experiment_abandon");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 3, ids);
    assert_ok(gn_store_experiment_abandon(s, ids[0], "a person gave up", &err));
    assert_ok(gn_store_experiment_get(s, cid, 1, &e, &err));
    assert_int_equal(e.status, GN_EXP_ABANDONED);
    assert_string_equal(e.reason, "a person gave up");
    gn_experiment_rec_free(&e);

    /* completed: refused */
    start_all(s, &ids[1], &atts[1], 2);
    atts[1].status = GN_ATT_SUCCEEDED;
    f.attempt = &atts[1];
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_status(gn_store_experiment_abandon(s, ids[1], "late", &err), GN_ERR_STATE);

    /* running: abandoned; a failed attempt does not bring it back */
    assert_ok(gn_store_experiment_abandon(s, ids[2], NULL, &err));
    atts[2].status = GN_ATT_FAILED;
    f.attempt = &atts[2];
    f.exp_status = GN_EXP_PROPOSED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    assert_ok(gn_store_experiment_get(s, cid, 3, &e, &err));
    assert_int_equal(e.status, GN_EXP_ABANDONED);
    assert_null(e.reason);
    gn_experiment_rec_free(&e);

    assert_status(gn_store_experiment_abandon(s, 999, NULL, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void campaign_counts(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec atts[4], retry;
    gn_attempt_finish f[2];
    gn_campaign_counts c;
    int64_t cid, ids[5];
    gn_err err;

    db_path(path, sizeof path, "campaign_counts");
    s = db_open(path);
    cid = campaign_new(s, "c");
    assert_ok(gn_store_campaign_counts(s, cid, &c, &err));
    assert_int_equal(c.proposed + c.running + c.completed + c.failed + c.abandoned, 0);
    assert_int_equal(c.attempts, 0);

    experiments_new(s, cid, 5, ids);
    start_all(s, ids, atts, 4);
    atts[0].status = GN_ATT_SUCCEEDED;
    f[0].attempt = &atts[0];
    f[0].exp_status = GN_EXP_COMPLETED;
    f[0].exp_outcome = "{\"y\": 1}";
    atts[1].status = GN_ATT_TIMEOUT;
    f[1].attempt = &atts[1];
    f[1].exp_status = GN_EXP_FAILED;
    f[1].exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, f, 2, &err));
    atts[2].status = GN_ATT_FAILED;
    f[0].attempt = &atts[2];
    f[0].exp_status = GN_EXP_PROPOSED;
    f[0].exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, f, 1, &err));
    start_all(s, &ids[2], &retry, 1);
    assert_ok(gn_store_experiment_abandon(s, ids[4], "no", &err));

    assert_ok(gn_store_campaign_counts(s, cid, &c, &err));
    assert_int_equal(c.proposed, 0);
    assert_int_equal(c.running, 2);  /* 3 (retry) and 4 */
    assert_int_equal(c.completed, 1);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.abandoned, 1);
    assert_int_equal(c.attempts, 5);
    assert_int_equal(c.failed_attempts, 2); /* the timeout and the failure */
    assert_status(gn_store_campaign_counts(s, 999, &c, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void text_bytes_faithful(void **state)
{
    /* invalid UTF-8, control characters, a lone continuation byte */
    static const char junk[] = "ok \xff\xfe bad \x80 \xc3\x28 \x01\x7f tab\there\n\xe2\x82";
    char path[512];
    gn_store *s;
    gn_attempt_rec a, *list;
    gn_attempt_finish f;
    int64_t cid, ids[1];
    size_t n;
    gn_err err;

    db_path(path, sizeof path, "text_bytes_faithful");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 1, ids);
    start_all(s, ids, &a, 1);
    a.status = GN_ATT_FAILED;
    a.stdout_tail = (char *)junk;
    a.stderr_tail = (char *)junk + 3;
    a.reason = (char *)junk;
    f.attempt = &a;
    f.exp_status = GN_EXP_FAILED;
    f.exp_outcome = NULL;
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));
    gn_store_close(s);
    s = db_open(path);
    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(strlen(list[0].stdout_tail), strlen(junk));
    assert_memory_equal(list[0].stdout_tail, junk, sizeof junk);
    assert_memory_equal(list[0].stderr_tail, junk + 3, sizeof junk - 3);
    assert_memory_equal(list[0].reason, junk, sizeof junk);
    gn_attempt_rec_array_free(list, n);
    gn_store_close(s);
}

/* ---- the file: settings, schema, migrations, integrity --------------------------- */

static void wal_and_schema_on_open(void **state)
{
    char path[512];
    gn_store *s;
    gn_err err;

    db_path(path, sizeof path, "wal_and_schema_on_open");
    s = db_open(path);
    assert_ok(gn_store_check(s, &err));
    gn_store_close(s);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), GN_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                   "AND name IN ('campaigns', 'experiments', 'attempts')"),
                     3);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                   "AND name = 'experiments_by_status'"),
                     1);
    {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    /* opening again is a no-op for the schema */
    s = db_open(path);
    gn_store_close(s);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), GN_STORE_SCHEMA_VERSION);
}

static void migrate_from_version0(void **state)
{
    char path[512];
    gn_store *s;
    int64_t cid;
    gn_err err;

    db_path(path, sizeof path, "migrate_from_version0");
    /* a hand-made database with something of its own, user_version 0 */
    raw_exec(path, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep me');");
    assert_int_equal(raw_int(path, "PRAGMA user_version"), 0);
    s = db_open(path);
    cid = campaign_new(s, "after-migration");
    experiments_new(s, cid, 2, NULL);
    assert_ok(gn_store_check(s, &err));
    gn_store_close(s);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), GN_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM notes"), 1);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM experiments"), 2);
}

static void migration_is_atomic(void **state)
{
    char path[512];
    gn_store *s = NULL;
    gn_err err;

    db_path(path, sizeof path, "migration_is_atomic");
    /* the migration's second table collides: the first must not remain */
    raw_exec(path, "CREATE TABLE experiments (x INTEGER);");
    assert_status(gn_store_open(path, &s, &err), GN_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "migrating the schema from version 0 to 1"));
    assert_int_equal(raw_int(path, "PRAGMA user_version"), 0);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'campaigns'"),
                     0);
}

static void newer_version_refused(void **state)
{
    char path[512], want[128];
    gn_store *s;
    gn_err err;

    db_path(path, sizeof path, "newer_version_refused");
    s = db_open(path);
    gn_store_close(s);
    raw_exec(path, "PRAGMA user_version = 7;");
    s = NULL;
    assert_status(gn_store_open(path, &s, &err), GN_ERR_STORE);
    assert_null(s);
    snprintf(want, sizeof want,
             "database schema version 7 is newer than this genesis supports (%d); upgrade genesis",
             GN_STORE_SCHEMA_VERSION);
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(raw_int(path, "PRAGMA user_version"), 7);
}

static void not_a_database(void **state)
{
    static const char text[] = "name: flow\nthis is a YAML spec, not a database\n";
    char path[512], back[sizeof text];
    gn_store *s = NULL;
    gn_err err;
    FILE *fp;

    db_path(path, sizeof path, "not_a_database");
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_status(gn_store_open(path, &s, &err), GN_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "not a SQLite database"));
    /* untouched */
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(back, 1, sizeof back, fp), sizeof text - 1);
    fclose(fp);
    assert_memory_equal(back, text, sizeof text - 1);
    assert_int_not_equal(access(path, F_OK), -1);
    {
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", path);
        assert_int_equal(access(wal, F_OK), -1);
    }

    /* a directory is not one either */
    assert_status(gn_store_open(GN_TEST_TMP, &s, &err), GN_ERR_IO);
    assert_null(s);
    /* nor a path in a missing directory */
    assert_int_not_equal(gn_store_open(GN_TEST_TMP "/no/such/dir/x.db", &s, &err), GN_OK);
    assert_null(s);
}

static void check_finds_orphans(void **state)
{
    char path[512];
    gn_store *s;
    gn_err err;

    db_path(path, sizeof path, "check_finds_orphans");
    s = db_open(path);
    assert_ok(gn_store_check(s, &err));
    gn_store_close(s);
    /* a connection without foreign keys writes an orphan */
    raw_exec(path, "INSERT INTO experiments (campaign_id, number, status, created, updated) "
                   "VALUES (77, 1, 'proposed', 0, 0);");
    s = db_open(path);
    assert_status(gn_store_check(s, &err), GN_ERR_STORE);
    assert_non_null(strstr(err.msg, "foreign_key_check"));
    gn_store_close(s);
}

static void invalid_arguments(void **state)
{
    char path[512];
    gn_store *s = NULL;
    gn_experiment_rec *list;
    gn_exp_status bad = (gn_exp_status)42;
    size_t n;
    gn_err err;
    gn_exp_status es;
    gn_att_status as;

    assert_status(gn_store_open(NULL, &s, &err), GN_ERR_INVALID);
    assert_status(gn_store_open("", &s, &err), GN_ERR_INVALID);
    db_path(path, sizeof path, "invalid_arguments");
    s = db_open(path);
    assert_status(gn_store_experiment_list(s, 1, &bad, &list, &n, &err), GN_ERR_INVALID);
    assert_status(gn_store_campaign_get(s, NULL, NULL, &err), GN_ERR_INVALID);
    assert_ok(gn_store_experiments_add(s, 1, NULL, 0, &err));
    assert_ok(gn_store_attempts_finish(s, NULL, 0, &err));
    gn_store_close(s);
    gn_store_close(NULL);

    assert_string_equal(gn_exp_status_name(GN_EXP_ABANDONED), "abandoned");
    assert_string_equal(gn_exp_status_name(bad), "unknown");
    assert_string_equal(gn_att_status_name(GN_ATT_INTERRUPTED), "interrupted");
    assert_int_equal(gn_exp_status_parse("completed", &es), 0);
    assert_int_equal(es, GN_EXP_COMPLETED);
    assert_int_equal(gn_exp_status_parse("done", &es), -1);
    assert_int_equal(gn_att_status_parse("timeout", &as), 0);
    assert_int_equal(as, GN_ATT_TIMEOUT);
    assert_int_equal(gn_att_status_parse(NULL, &as), -1);
}

/* ---- out of memory ---------------------------------------------------------------- */

/* A run through every call of the store; stops at the first failure and
 * returns it. Everything it allocates is freed on every path. */
static gn_status oom_sequence(const char *path)
{
    gn_store *s = NULL;
    gn_campaign_rec c, got, *clist = NULL;
    gn_experiment_rec recs[3], e, *elist = NULL;
    gn_attempt_rec a, b, *alist = NULL, *rlist = NULL;
    gn_attempt_finish f;
    gn_campaign_counts counts;
    gn_exp_status want = GN_EXP_PROPOSED;
    size_t cn = 0, en = 0, an = 0, rn = 0;
    gn_err err;
    gn_status st;

    memset(&got, 0, sizeof got);
    memset(&e, 0, sizeof e);
    st = gn_store_open(path, &s, &err);
    if (st != GN_OK)
        goto out;
    memset(&c, 0, sizeof c);
    c.name = "oom";
    c.spec_text = "name: oom\n";
    c.spec_format = "yaml";
    c.seed = UINT64_MAX;
    if ((st = gn_store_campaign_create(s, &c, &err)))
        goto out;
    memset(recs, 0, sizeof recs);
    recs[0].params = recs[1].params = recs[2].params = "{\"x\": 1}";
    recs[0].prediction = "{\"y\": {\"mean\": 0, \"sd\": 1}}";
    if ((st = gn_store_experiments_add(s, c.id, recs, 3, &err)))
        goto out;
    if ((st = gn_store_experiment_list(s, c.id, &want, &elist, &en, &err)))
        goto out;
    memset(&a, 0, sizeof a);
    a.experiment_id = recs[0].id;
    a.host = "h";
    if ((st = gn_store_attempt_start(s, &a, &err)))
        goto out;
    a.status = GN_ATT_SUCCEEDED;
    a.stdout_tail = "out";
    f.attempt = &a;
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    if ((st = gn_store_attempts_finish(s, &f, 1, &err)))
        goto out;
    if ((st = gn_store_attempt_list(s, recs[0].id, &alist, &an, &err)))
        goto out;
    memset(&b, 0, sizeof b);
    b.experiment_id = recs[1].id;
    b.workdir = "/w";
    if ((st = gn_store_attempt_start(s, &b, &err)))
        goto out;
    if ((st = gn_store_recover_interrupted(s, c.id, "crash", &rlist, &rn, &err)))
        goto out;
    if ((st = gn_store_experiment_abandon(s, recs[2].id, "why", &err)))
        goto out;
    if ((st = gn_store_campaign_counts(s, c.id, &counts, &err)))
        goto out;
    if ((st = gn_store_campaign_get(s, "oom", &got, &err)))
        goto out;
    if ((st = gn_store_campaign_list(s, &clist, &cn, &err)))
        goto out;
    if ((st = gn_store_experiment_get(s, c.id, 3, &e, &err)))
        goto out;
    st = gn_store_check(s, &err);
out:
    gn_experiment_rec_free(&e);
    gn_campaign_rec_array_free(clist, cn);
    gn_campaign_rec_free(&got);
    gn_attempt_rec_array_free(rlist, rn);
    gn_attempt_rec_array_free(alist, an);
    gn_experiment_rec_array_free(elist, en);
    gn_store_close(s);
    if (st != GN_OK && st != GN_ERR_NOMEM)
        fail_msg("a call failed with %s instead of out of memory: %s", gn_status_str(st),
                 err.msg);
    return st;
}

static void oom_walk(void **state)
{
    char path[512];
    gn_store *s;
    gn_status st;
    gn_err err;
    long k, before, failures = 0;

    db_path(path, sizeof path, "oom_walk");
    for (k = 1; k < 10000; k++) {
        db_remove(path);
        before = gn__alloc_count();
        gn__alloc_fail_at(k);
        st = oom_sequence(path);
        gn__alloc_fail_at(0);
        if (gn__alloc_count() - before < k) {
            /* the failure never came: every allocation has been tried */
            assert_int_equal(st, GN_OK);
            break;
        }
        assert_int_equal(st, GN_ERR_NOMEM);
        failures++;
        /* whatever was committed is sound */
        if (access(path, F_OK) == 0) {
            s = db_open(path);
            assert_ok(gn_store_check(s, &err));
            gn_store_close(s);
        }
    }
    assert_true(failures > 10);
    assert_true(k < 10000);
}

/* Job updates change the job fields of running attempts only, and leave
 * what is not given (NULL) as it was. */
static void attempts_job_update(void **state)
{
    char path[512];
    gn_store *s;
    gn_attempt_rec a, b, *list;
    gn_attempt_finish f;
    gn_attempt_job u[2];
    int64_t cid, ids[2];
    size_t n;
    gn_err err;

    (void)state;
    db_path(path, sizeof path, "attempts_job_update");
    s = db_open(path);
    cid = campaign_new(s, "c");
    experiments_new(s, cid, 2, ids);
    memset(&a, 0, sizeof a);
    a.experiment_id = ids[0];
    a.host = "login1";
    a.job_id = "77";
    a.job_state = "PENDING";
    assert_ok(gn_store_attempt_start(s, &a, &err));
    memset(&b, 0, sizeof b);
    b.experiment_id = ids[1];
    b.job_id = "78";
    b.job_state = "PENDING";
    assert_ok(gn_store_attempt_start(s, &b, &err));
    b.status = GN_ATT_SUCCEEDED;
    b.outcome = "{\"y\": 1}";
    b.job_state = "COMPLETED";
    f.attempt = &b;
    f.exp_status = GN_EXP_COMPLETED;
    f.exp_outcome = "{\"y\": 1}";
    assert_ok(gn_store_attempts_finish(s, &f, 1, &err));

    memset(u, 0, sizeof u);
    u[0].attempt_id = a.id;
    u[0].job_state = "RUNNING";
    u[0].host = "node3";
    u[1].attempt_id = b.id; /* finished: left alone */
    u[1].job_state = "RUNNING";
    assert_ok(gn_store_attempts_job_update(s, u, 2, &err));

    assert_ok(gn_store_attempt_list(s, ids[0], &list, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].job_state, "RUNNING");
    assert_string_equal(list[0].host, "node3");
    assert_string_equal(list[0].job_id, "77"); /* not given: kept */
    gn_attempt_rec_array_free(list, n);
    assert_ok(gn_store_attempt_list(s, ids[1], &list, &n, &err));
    assert_string_equal(list[0].job_state, "COMPLETED");
    gn_attempt_rec_array_free(list, n);

    u[0].attempt_id = 0;
    assert_status(gn_store_attempts_job_update(s, u, 1, &err), GN_ERR_INVALID);
    gn_store_close(s);
}

/* The store's connection gathers a commit's WAL frames (store/walbuf.c):
 * a commit larger than one gathered write (124 KiB) is read back whole by
 * a plain SQLite connection (the default VFS) while the store stays open,
 * and a transaction that fails keeps nothing. */
static void wal_gathered_commit_visible(void **state)
{
    enum { N = 300, PARAM = 1500 };
    char path[512];
    gn_store *s;
    gn_experiment_rec *recs;
    char *params;
    int64_t cid;
    gn_err err;
    size_t i;
    char sql[256];

    (void)state;
    db_path(path, sizeof path, "wal_gathered_commit_visible");
    s = db_open(path);
    cid = campaign_new(s, "big");
    recs = gn_calloc(N, sizeof *recs);
    params = gn_malloc((size_t)N * (PARAM + 32));
    assert_non_null(recs);
    assert_non_null(params);
    for (i = 0; i < N; i++) {
        char *p = params + i * (PARAM + 32);
        int len = snprintf(p, 32, "{\"x\": %zu, \"pad\": \"", i);
        memset(p + len, 'a' + (int)(i % 26), PARAM);
        memcpy(p + len + PARAM, "\"}", 3);
        recs[i].params = p;
        recs[i].origin = (char *)"manual";
    }
    /* about 450 KiB of rows in one transaction: several gathered writes */
    assert_ok(gn_store_experiments_add(s, cid, recs, N, &err));
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM experiments WHERE campaign_id = %lld AND length(params) > %d",
             (long long)cid, PARAM);
    assert_int_equal(raw_int(path, sql), N);
    snprintf(sql, sizeof sql,
             "SELECT sum(json_extract(params, '$.x')) FROM experiments WHERE campaign_id = %lld",
             (long long)cid);
    assert_int_equal(raw_int(path, sql), (long long)N * (N - 1) / 2);

    /* a failing batch (the last item's params are not JSON) leaves nothing */
    recs[N - 1].params = (char *)"not json";
    assert_true(gn_store_experiments_add(s, cid, recs, N, &err) != GN_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM experiments WHERE campaign_id = %lld",
             (long long)cid);
    assert_int_equal(raw_int(path, sql), N);
    assert_ok(gn_store_check(s, &err));
    gn_free(params);
    gn_free(recs);
    gn_store_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(wal_gathered_commit_visible),
    cmocka_unit_test(attempts_job_update),
    cmocka_unit_test(campaign_create_get),
    cmocka_unit_test(campaign_list),
    cmocka_unit_test(campaign_duplicate_name),
    cmocka_unit_test(campaign_invalid_fields),
    cmocka_unit_test(campaign_set_state),
    cmocka_unit_test(seed_uint64_roundtrip),
    cmocka_unit_test(experiments_add_numbering),
    cmocka_unit_test(experiments_add_bad_json_writes_nothing),
    cmocka_unit_test(experiment_list_by_status),
    cmocka_unit_test(experiment_get),
    cmocka_unit_test(attempt_lifecycle),
    cmocka_unit_test(attempt_start_requires_proposed),
    cmocka_unit_test(attempt_number_taken),
    cmocka_unit_test(attempts_finish_batch),
    cmocka_unit_test(attempts_finish_batch_atomic),
    cmocka_unit_test(attempts_finish_twice_refused),
    cmocka_unit_test(attempts_finish_invalid),
    cmocka_unit_test(attempts_finish_manual),
    cmocka_unit_test(recover_interrupted),
    cmocka_unit_test(recover_keeps_jobs),
    cmocka_unit_test(experiment_abandon),
    cmocka_unit_test(batch_savepoints),
    cmocka_unit_test(campaign_counts),
    cmocka_unit_test(text_bytes_faithful),
    cmocka_unit_test(wal_and_schema_on_open),
    cmocka_unit_test(migrate_from_version0),
    cmocka_unit_test(migration_is_atomic),
    cmocka_unit_test(newer_version_refused),
    cmocka_unit_test(not_a_database),
    cmocka_unit_test(check_finds_orphans),
    cmocka_unit_test(invalid_arguments),
    cmocka_unit_test(oom_walk),
};

GN_TEST_MAIN(tests)
