/*
 * test_store_process.c - the store with real processes: durability when a
 * process dies without closing, and several processes on one database.
 *
 * Children never use cmocka (its asserts would unwind into the parent's
 * copy of the test runner): they report through their exit status and
 * stderr, and leave with _exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/timeutil.h"
#include "store_test_util.h"

/* Waits for pid and fails the case unless it exited with status 0. */
static void wait_ok(pid_t pid)
{
    int ws = 0;
    pid_t r;
    do
        r = waitpid(pid, &ws, 0);
    while (r < 0 && errno == EINTR);
    assert_int_equal(r, pid);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        fail_msg("child %d ended badly (status 0x%x)", (int)pid, ws);
}

/* In a child: opens the store or leaves with status 10. */
static gn_store *child_open(const char *path)
{
    gn_store *s = NULL;
    gn_err err;
    if (gn_store_open(path, &s, &err) != GN_OK) {
        fprintf(stderr, "child %d: open: %s\n", (int)getpid(), err.msg);
        _exit(10);
    }
    return s;
}

/* In a child: adds one experiment with the given origin; returns its
 * number, or leaves with status 11. */
static int64_t child_add(gn_store *s, int64_t campaign_id, const char *origin, size_t n)
{
    gn_experiment_rec recs[8];
    gn_err err;
    size_t i;
    memset(recs, 0, sizeof recs);
    for (i = 0; i < n; i++) {
        recs[i].params = "{\"x\": 0.5}";
        recs[i].origin = (char *)origin;
    }
    if (gn_store_experiments_add(s, campaign_id, recs, n, &err) != GN_OK) {
        fprintf(stderr, "child %d: add: %s\n", (int)getpid(), err.msg);
        _exit(11);
    }
    return recs[n - 1].number;
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

/* Asserts that campaign `cid` has experiments numbered 1..want, no gap, no
 * duplicate, and that the database is sound. */
static void assert_numbering(const char *path, int64_t cid, size_t want)
{
    gn_store *s = db_open(path);
    gn_experiment_rec *list;
    size_t n, i;
    gn_err err;

    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_int_equal(n, want);
    for (i = 0; i < n; i++)
        if (list[i].number != (int64_t)i + 1)
            fail_msg("row %zu has number %lld", i, (long long)list[i].number);
    gn_experiment_rec_array_free(list, n);
    assert_ok(gn_store_check(s, &err));
    gn_store_close(s);
}

static void durable_after_exit(void **state)
{
    char path[512];
    gn_store *s;
    gn_campaign_rec c;
    gn_attempt_rec *list;
    size_t n;
    gn_err err;
    pid_t pid;

    db_path(path, sizeof path, "durable_after_exit");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gn_store *cs = child_open(path);
        gn_campaign_rec cc;
        gn_attempt_rec a;
        gn_attempt_finish f;
        gn_experiment_rec e;

        memset(&cc, 0, sizeof cc);
        cc.name = "durable";
        cc.seed = 7;
        if (gn_store_campaign_create(cs, &cc, &err) != GN_OK)
            _exit(12);
        child_add(cs, cc.id, "child", 3);
        if (gn_store_experiment_get(cs, cc.id, 2, &e, &err) != GN_OK)
            _exit(13);
        memset(&a, 0, sizeof a);
        a.experiment_id = e.id;
        gn_experiment_rec_free(&e);
        if (gn_store_attempt_start(cs, &a, &err) != GN_OK)
            _exit(14);
        a.status = GN_ATT_SUCCEEDED;
        f.attempt = &a;
        f.exp_status = GN_EXP_COMPLETED;
        f.exp_outcome = "{\"y\": 42}";
        if (gn_store_attempts_finish(cs, &f, 1, &err) != GN_OK)
            _exit(15);
        /* no close, no atexit handlers, no checkpoint: the WAL is all there is */
        _exit(0);
    }
    wait_ok(pid);

    s = db_open(path);
    assert_ok(gn_store_campaign_get(s, "durable", &c, &err));
    assert_true(c.seed == 7);
    assert_numbering(path, c.id, 3);
    {
        gn_experiment_rec e;
        assert_ok(gn_store_experiment_get(s, c.id, 2, &e, &err));
        assert_int_equal(e.status, GN_EXP_COMPLETED);
        assert_string_equal(e.outcome, "{\"y\": 42}");
        assert_ok(gn_store_attempt_list(s, e.id, &list, &n, &err));
        assert_int_equal(n, 1);
        assert_int_equal(list[0].status, GN_ATT_SUCCEEDED);
        gn_attempt_rec_array_free(list, n);
        gn_experiment_rec_free(&e);
    }
    gn_campaign_rec_free(&c);
    gn_store_close(s);
}

static void durable_after_kill(void **state)
{
    char path[512];
    gn_store *s;
    int64_t cid, acked = 0, got;
    int fds[2];
    size_t n;
    gn_experiment_rec *list;
    gn_err err;
    pid_t pid;
    ssize_t r;

    db_path(path, sizeof path, "durable_after_kill");
    s = db_open(path);
    cid = campaign_new(s, "killed");
    gn_store_close(s);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gn_store *cs;
        close(fds[0]);
        cs = child_open(path);
        for (;;) {
            int64_t number = child_add(cs, cid, "child", 1);
            /* acknowledged only after the commit returned */
            if (write(fds[1], &number, sizeof number) != (ssize_t)sizeof number)
                _exit(16);
        }
    }
    close(fds[1]);
    while (acked < 40) {
        r = read(fds[0], &got, sizeof got);
        assert_int_equal(r, sizeof got);
        acked = got;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while ((r = read(fds[0], &got, sizeof got)) == (ssize_t)sizeof got)
        acked = got;
    close(fds[0]);

    /* every acknowledged experiment is there, numbering without gaps */
    s = db_open(path);
    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_true((int64_t)n >= acked);
    gn_experiment_rec_array_free(list, n);
    gn_store_close(s);
    assert_numbering(path, cid, n);
}

static void concurrent_numbering(void **state)
{
    enum { PER_CHILD = 500 };
    char path[512];
    gn_store *s;
    int64_t cid;
    pid_t pids[2];
    int go[2];
    int k;

    db_path(path, sizeof path, "concurrent_numbering");
    s = db_open(path);
    cid = campaign_new(s, "race");
    gn_store_close(s);
    assert_int_equal(pipe(go), 0);
    for (k = 0; k < 2; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            gn_store *cs;
            char origin[64], c;
            size_t done = 0, batch = 0, m;
            close(go[1]);
            cs = child_open(path);
            if (read(go[0], &c, 1) != 0) /* start together: EOF is the signal */
                _exit(17);
            while (done < PER_CHILD) {
                m = 1 + batch % 4; /* small transactions of 1..4 */
                if (m > PER_CHILD - done)
                    m = PER_CHILD - done;
                snprintf(origin, sizeof origin, "child%d-batch%zu", k, batch);
                child_add(cs, cid, origin, m);
                done += m;
                batch++;
                /* a moment of other work between commits, as an executor
                 * has, so the two writers really take turns */
                gn_time_sleep(0.0005, NULL);
            }
            gn_store_close(cs);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    wait_ok(pids[0]);
    wait_ok(pids[1]);

    assert_numbering(path, cid, 2 * PER_CHILD);
    /* each batch got consecutive numbers: transactions did not interleave */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM (SELECT origin FROM experiments "
                                   "GROUP BY origin HAVING max(number) - min(number) + 1 "
                                   "!= count(*))"),
                     0);
    assert_int_equal(raw_int(path, "SELECT count(DISTINCT origin) FROM experiments "
                                   "WHERE origin LIKE 'child0-%'"),
                     200);
}

static void concurrent_first_open(void **state)
{
    enum { N = 4 };
    char path[512];
    gn_store *s;
    gn_campaign_rec *list;
    size_t n;
    pid_t pids[N];
    int go[2], k;
    gn_err err;

    db_path(path, sizeof path, "concurrent_first_open");
    assert_int_equal(pipe(go), 0);
    for (k = 0; k < N; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            gn_store *cs;
            gn_campaign_rec cc;
            char name[32], c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0)
                _exit(17);
            cs = child_open(path); /* all create and migrate the same new file */
            memset(&cc, 0, sizeof cc);
            snprintf(name, sizeof name, "c%d", k);
            cc.name = name;
            if (gn_store_campaign_create(cs, &cc, &err) != GN_OK) {
                fprintf(stderr, "child %d: %s\n", k, err.msg);
                _exit(12);
            }
            gn_store_close(cs);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (k = 0; k < N; k++)
        wait_ok(pids[k]);
    s = db_open(path);
    assert_ok(gn_store_campaign_list(s, &list, &n, &err));
    assert_int_equal(n, N);
    gn_campaign_rec_array_free(list, n);
    assert_ok(gn_store_check(s, &err));
    gn_store_close(s);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), GN_STORE_SCHEMA_VERSION);
}

static void busy_timeout(void **state)
{
    char path[512], c = 'x';
    gn_store *s;
    gn_experiment_rec *list;
    int64_t cid;
    size_t n;
    int locked[2], release[2];
    gn_err err;
    pid_t pid;

    db_path(path, sizeof path, "busy_timeout");
    s = db_open(path);
    cid = campaign_new(s, "c");
    gn_store_close(s);
    assert_int_equal(pipe(locked), 0);
    assert_int_equal(pipe(release), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* another writer holds the write lock until told to let go */
        sqlite3 *db = NULL;
        close(locked[0]);
        close(release[1]);
        if (sqlite3_open(path, &db) != SQLITE_OK ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            _exit(18);
        if (write(locked[1], &c, 1) != 1 || read(release[0], &c, 1) != 1)
            _exit(19);
        gn_time_sleep(0.3, NULL);
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            _exit(20);
        sqlite3_close(db);
        _exit(0);
    }
    close(locked[1]);
    close(release[0]);
    assert_int_equal(read(locked[0], &c, 1), 1);

    s = db_open(path); /* reading works while another process writes */
    gn__store_set_busy_timeout(s, 200);
    {
        gn_experiment_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.params = "{}";
        assert_status(gn_store_experiments_add(s, cid, &rec, 1, &err), GN_ERR_BUSY);
        assert_non_null(strstr(err.msg, "locked"));
        assert_int_equal(rec.number, 0);
    }
    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_int_equal(n, 0);

    /* with time enough, the same call waits for the lock and succeeds */
    gn__store_set_busy_timeout(s, 30000);
    assert_int_equal(write(release[1], &c, 1), 1);
    experiments_new(s, cid, 1, NULL);
    wait_ok(pid);
    close(locked[0]);
    close(release[1]);
    assert_ok(gn_store_experiment_list(s, cid, NULL, &list, &n, &err));
    assert_int_equal(n, 1);
    gn_experiment_rec_array_free(list, n);
    gn_store_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(durable_after_exit),
    cmocka_unit_test(durable_after_kill),
    cmocka_unit_test(concurrent_numbering),
    cmocka_unit_test(concurrent_first_open),
    cmocka_unit_test(busy_timeout),
};

GN_TEST_MAIN(tests)
