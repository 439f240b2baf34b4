/*
 * test_audit.c - the hash-chained audit log on real SQLite files.
 *
 * Tampering is done with a plain SQLite connection under the store, as an
 * intruder with the file would: edit a field, delete a record, reorder
 * records, delete the newest ones. gn_audit_verify must name the first
 * bad record every time, over many random trials (fixed seed, so a
 * failure replays). Deferred records must commit with the change they
 * describe or not at all: a trigger that makes the audit insert fail
 * proves the change is rolled back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "identity_test_util.h"

#define LOG_LEN 40
#define TRIALS 250 /* per kind of tampering */

/* Appends n records that differ in every field, as the service would. */
static void fill_log(gn_store *s, int n)
{
    char obj[64], detail[64];
    gn_audit_event ev;
    gn_err err;
    int i;
    for (i = 1; i <= n; i++) {
        snprintf(obj, sizeof obj, "experiment/%d", i);
        snprintf(detail, sizeof detail, "{\"n\": %d}", i);
        memset(&ev, 0, sizeof ev);
        ev.user = i % 3 ? "alice" : NULL;
        ev.token_id = i % 3 ? i : 0;
        ev.action = i % 2 ? "experiment.tell" : "campaign.read";
        ev.object = obj;
        ev.result = i % 5 ? "ok" : "denied";
        ev.detail = i % 4 ? detail : NULL;
        ev.remote = "127.0.0.1";
        assert_ok(gn_audit_append(s, &ev, &err));
    }
}

static void expect_bad(gn_store *s, int64_t want_bad, const char *what)
{
    int64_t bad = -1, checked = -1;
    gn_err err;
    gn_status st = gn_audit_verify(s, &bad, &checked, &err);
    if (want_bad == 0) {
        if (st != GN_OK)
            fail_msg("%s: verify failed: %s", what, err.msg);
        assert_int_equal(bad, 0);
        return;
    }
    if (st != GN_ERR_DATA || bad != want_bad)
        fail_msg("%s: verify -> %s bad=%lld, wanted record %lld (%s)", what, gn_status_str(st),
                 (long long)bad, (long long)want_bad, err.msg);
    assert_int_equal(checked, want_bad - 1);
    {
        char needle[32];
        snprintf(needle, sizeof needle, "record %lld", (long long)want_bad);
        if (!strstr(err.msg, needle))
            fail_msg("%s: the message does not name %s: %s", what, needle, err.msg);
    }
}

static void chain_intact(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "audit_intact");
    int64_t bad = -1, checked = -1;
    gn_audit_rec *a = NULL;
    size_t n = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_audit_verify(s, &bad, &checked, &err)); /* empty is intact */
    assert_int_equal(checked, 0);
    fill_log(s, LOG_LEN);
    assert_ok(gn_audit_verify(s, &bad, &checked, &err));
    assert_int_equal(bad, 0);
    assert_int_equal(checked, LOG_LEN);
    assert_int_equal(raw_int(path, "SELECT seq FROM audit_head"), LOG_LEN);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit_head, audit "
                                   "WHERE audit.seq = audit_head.seq "
                                   "AND audit.hash = audit_head.hash"),
                     1);
    /* newest first, filters */
    assert_ok(gn_store_audit_list(s, NULL, NULL, 5, &a, &n, &err));
    assert_int_equal(n, 5);
    assert_int_equal(a[0].seq, LOG_LEN);
    assert_int_equal(a[4].seq, LOG_LEN - 4);
    assert_int_equal(strlen(a[0].hash), 64);
    gn_audit_rec_array_free(a, n);
    assert_ok(gn_store_audit_list(s, "alice", "campaign.read", 1000, &a, &n, &err));
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].user, "alice");
        assert_string_equal(a[i].action, "campaign.read");
    }
    gn_audit_rec_array_free(a, n);
    gn_store_close(s);
}

/* Saves the pristine log next to it, under the store, to restore after
 * each trial. */
static void snapshot(sqlite3 *db)
{
    raw_exec_on(db, "CREATE TABLE pristine AS SELECT * FROM audit;"
                   "CREATE TABLE pristine_head AS SELECT * FROM audit_head;");
}

static void restore(sqlite3 *db)
{
    raw_exec_on(db, "BEGIN; DELETE FROM audit; INSERT INTO audit SELECT * FROM pristine;"
                   "DELETE FROM audit_head; INSERT INTO audit_head SELECT * FROM pristine_head;"
                   "COMMIT;");
}

static int pick(int lo, int hi) { return lo + rand() % (hi - lo + 1); }

/* Random edits of one field of one record: found at that record. */
static void tamper_edit_random(void **state)
{
    static const char *const edits[] = {
        "user = coalesce(user, '') || 'x'",
        "action = 'campaign.delete'",
        "object = coalesce(object, '') || '/'",
        "result = CASE result WHEN 'ok' THEN 'denied' ELSE 'ok' END",
        "detail = coalesce(detail, '') || ' '",
        "remote = '10.0.0.66'",
        "time = time + 0.001",
        "token_id = coalesce(token_id, 0) + 1",
        "hash = (CASE substr(hash, 1, 1) WHEN 'a' THEN 'b' ELSE 'a' END) || substr(hash, 2)",
        "user = NULL, token_id = NULL",
    };
    char path[1024], sql[512], what[128];
    sqlite3 *raw = NULL;
    gn_store *s = id_store(path, sizeof path, "audit_edit");
    int t, k, e;
    (void)state;

    srand(20261123);
    fill_log(s, LOG_LEN);
    raw = raw_open(path);
    snapshot(raw);
    for (t = 0; t < TRIALS; t++) {
        k = pick(1, LOG_LEN);
        e = pick(0, (int)(sizeof edits / sizeof edits[0]) - 1);
        snprintf(sql, sizeof sql, "UPDATE audit SET %s WHERE seq = %d", edits[e], k);
        raw_exec_on(raw, sql);
        if (raw_int_on(raw, "SELECT count(*) FROM audit a JOIN pristine p USING (seq) WHERE "
                          "a.hash IS p.hash AND a.user IS p.user AND a.token_id IS p.token_id "
                          "AND a.action IS p.action AND a.object IS p.object AND "
                          "a.result IS p.result AND a.detail IS p.detail AND "
                          "a.remote IS p.remote AND a.time IS p.time") == LOG_LEN)
            restore(raw), t--; /* the edit changed nothing (e.g. NULL set to NULL) */
        else {
            snprintf(what, sizeof what, "trial %d: edit %s of record %d", t, edits[e], k);
            expect_bad(s, k, what);
            restore(raw);
        }
    }
    expect_bad(s, 0, "restored");
    sqlite3_close(raw);
    gn_store_close(s);
}

/* Random deletions in the middle (with or without renumbering the later
 * records to hide the gap): found at the deleted record. */
static void tamper_delete_random(void **state)
{
    char path[1024], sql[512], what[128];
    sqlite3 *raw = NULL;
    gn_store *s = id_store(path, sizeof path, "audit_delete");
    int t, k, renumber;
    (void)state;

    srand(20261124);
    fill_log(s, LOG_LEN);
    raw = raw_open(path);
    snapshot(raw);
    for (t = 0; t < TRIALS; t++) {
        k = pick(1, LOG_LEN - 1);
        renumber = t % 2;
        if (renumber)
            snprintf(sql, sizeof sql,
                     "DELETE FROM audit WHERE seq = %d;"
                     "UPDATE audit SET seq = -(seq - 1) WHERE seq > %d;"
                     "UPDATE audit SET seq = -seq WHERE seq < 0;"
                     "UPDATE audit_head SET seq = seq - 1;",
                     k, k);
        else
            snprintf(sql, sizeof sql, "DELETE FROM audit WHERE seq = %d", k);
        raw_exec_on(raw, sql);
        snprintf(what, sizeof what, "trial %d: delete record %d%s", t, k,
                 renumber ? " and renumber" : "");
        expect_bad(s, k, what);
        restore(raw);
    }
    sqlite3_close(raw);
    gn_store_close(s);
}

/* Random reorderings: two records swapped, or a run of records rotated;
 * found at the first record out of place. */
static void tamper_reorder_random(void **state)
{
    char path[1024], sql[1024], what[128];
    sqlite3 *raw = NULL;
    gn_store *s = id_store(path, sizeof path, "audit_reorder");
    int t, i, j;
    (void)state;

    srand(20261125);
    fill_log(s, LOG_LEN);
    raw = raw_open(path);
    snapshot(raw);
    for (t = 0; t < TRIALS; t++) {
        i = pick(1, LOG_LEN - 1);
        j = pick(i + 1, LOG_LEN);
        if (t % 2 == 0)
            /* swap the contents (hash included) of records i and j */
            snprintf(sql, sizeof sql,
                     "UPDATE audit SET (time, user, token_id, action, object, result, detail, "
                     "remote, hash) = (SELECT time, user, token_id, action, object, result, "
                     "detail, remote, hash FROM pristine p WHERE p.seq = "
                     "CASE audit.seq WHEN %d THEN %d ELSE %d END) WHERE seq IN (%d, %d)",
                     i, j, i, i, j);
        else
            /* move record j to position i: i..j-1 shift up by one */
            snprintf(sql, sizeof sql,
                     "UPDATE audit SET (time, user, token_id, action, object, result, detail, "
                     "remote, hash) = (SELECT time, user, token_id, action, object, result, "
                     "detail, remote, hash FROM pristine p WHERE p.seq = "
                     "CASE WHEN audit.seq = %d THEN %d ELSE audit.seq - 1 END) "
                     "WHERE seq BETWEEN %d AND %d",
                     i, j, i, j);
        raw_exec_on(raw, sql);
        snprintf(what, sizeof what, "trial %d: %s records %d..%d", t,
                 t % 2 ? "rotate" : "swap", i, j);
        expect_bad(s, i, what);
        restore(raw);
    }
    sqlite3_close(raw);
    gn_store_close(s);
}

/* Deleting the newest records leaves a perfect chain; the head says more
 * records existed: found at the first one deleted. */
static void tamper_delete_newest(void **state)
{
    char path[1024], sql[256], what[128];
    sqlite3 *raw = NULL;
    gn_store *s = id_store(path, sizeof path, "audit_newest");
    int t, m;
    (void)state;

    srand(20261126);
    fill_log(s, LOG_LEN);
    raw = raw_open(path);
    snapshot(raw);
    for (t = 0; t < TRIALS; t++) {
        m = pick(1, 5);
        snprintf(sql, sizeof sql, "DELETE FROM audit WHERE seq > %d", LOG_LEN - m);
        raw_exec_on(raw, sql);
        snprintf(what, sizeof what, "trial %d: delete the newest %d", t, m);
        expect_bad(s, LOG_LEN - m + 1, what);
        restore(raw);
    }
    /* everything deleted, the head left: record 1 is missing */
    raw_exec_on(raw, "DELETE FROM audit");
    expect_bad(s, 1, "all records deleted");
    restore(raw);
    sqlite3_close(raw);
    gn_store_close(s);
}

/* The head itself: removed, rolled back, or its hash changed. */
static void tamper_head(void **state)
{
    char path[1024];
    sqlite3 *raw = NULL;
    gn_store *s = id_store(path, sizeof path, "audit_head");
    (void)state;

    fill_log(s, 10);
    raw = raw_open(path);
    snapshot(raw);
    raw_exec_on(raw, "DELETE FROM audit_head");
    expect_bad(s, 1, "head removed");
    restore(raw);
    raw_exec_on(raw, "UPDATE audit_head SET seq = 7");
    expect_bad(s, 8, "head rolled back");
    restore(raw);
    raw_exec_on(raw, "UPDATE audit_head SET hash = replace(hash, substr(hash, 1, 1), 'f')");
    if (raw_int_on(raw, "SELECT count(*) FROM audit_head h, pristine_head p WHERE h.hash = p.hash"))
        raw_exec_on(raw, "UPDATE audit_head SET hash = replace(hash, substr(hash, 1, 1), '0')");
    expect_bad(s, 10, "head hash changed");
    restore(raw);
    expect_bad(s, 0, "restored");
    /* the head rolled back to record 7 (seq and hash), as if 8..10 had
     * never been written: found at 8; and appending after it keeps the
     * evidence (the new record 11 chains to 7, not to 10) */
    raw_exec_on(raw, "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit WHERE seq = 7)");
    expect_bad(s, 8, "head rolled back to record 7");
    fill_log(s, 1);
    assert_int_equal(raw_int_on(raw, "SELECT max(seq) FROM audit"), 11);
    expect_bad(s, 11, "appended after a rolled-back head");
    sqlite3_close(raw);
    gn_store_close(s);
}

/* An intruder with write access to the database can rewrite the whole
 * log consistently (delete it, write a new chain): the chain alone then
 * verifies. An anchor noted outside the database (a record's seq and
 * hash, printed by `genesis audit verify`) catches it. */
static void anchor_catches_rewrite(void **state)
{
    char path[1024], head[65], head2[65], wrong[65];
    gn_store *s = id_store(path, sizeof path, "audit_anchor");
    int64_t bad = -1, checked = -1, head_seq = 0, head_seq2 = 0;
    gn_err err;
    (void)state;

    fill_log(s, 12);
    assert_ok(gn_audit_verify_anchored(s, 0, NULL, &bad, &checked, &head_seq, head, &err));
    assert_int_equal(head_seq, 12);
    assert_int_equal(strlen(head), 64);
    /* the anchor holds while the log only grows */
    fill_log(s, 3);
    assert_ok(gn_audit_verify_anchored(s, 12, head, &bad, &checked, &head_seq2, head2, &err));
    assert_int_equal(head_seq2, 15);
    assert_int_equal(checked, 15);
    /* a wrong anchor hash is a rewrite at that record */
    memcpy(wrong, head, sizeof wrong);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    assert_status(gn_audit_verify_anchored(s, 12, wrong, &bad, &checked, NULL, NULL, &err),
                  GN_ERR_DATA);
    assert_int_equal(bad, 12);

    /* the rewrite: everything deleted, 15 other records appended */
    raw_exec(path, "DELETE FROM audit; DELETE FROM audit_head;");
    {
        gn_audit_event ev;
        int i;
        for (i = 0; i < 15; i++) {
            memset(&ev, 0, sizeof ev);
            ev.user = "mallory";
            ev.action = "campaign.read";
            ev.object = "campaign/flow";
            ev.result = "ok";
            assert_ok(gn_audit_append(s, &ev, &err));
        }
    }
    expect_bad(s, 0, "a consistent rewrite passes the chain check alone");
    assert_status(gn_audit_verify_anchored(s, 12, head, &bad, &checked, NULL, NULL, &err),
                  GN_ERR_DATA);
    assert_int_equal(bad, 12);
    assert_non_null(strstr(err.msg, "rewritten"));
    /* a shorter rewrite: the anchored record is not there */
    raw_exec(path, "DELETE FROM audit WHERE seq > 5; UPDATE audit_head SET seq = 5, "
                   "hash = (SELECT hash FROM audit WHERE seq = 5);");
    assert_status(gn_audit_verify_anchored(s, 12, head, &bad, &checked, NULL, NULL, &err),
                  GN_ERR_DATA);
    assert_int_equal(bad, 12);
    assert_non_null(strstr(err.msg, "not there"));
    /* a malformed anchor is refused before anything is read */
    assert_status(gn_audit_verify_anchored(s, 3, "abc", &bad, &checked, NULL, NULL, &err),
                  GN_ERR_INVALID);
    gn_store_close(s);
}

/* ---- deferred records: the change and its record together ------------- */

static void defer_commits_with_change(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "audit_defer");
    gn_audit_event ev = {.user = "root", .token_id = 3, .action = "user.add",
                         .object = "user/bob", .result = "ok", .remote = "10.1.2.3"};
    gn_audit_event other = {.action = "auth.fail", .result = "denied"};
    gn_audit_rec *a = NULL;
    size_t n = 0;
    gn_err err;
    (void)state;

    gn_audit_defer_begin(s, &ev);
    assert_ok(gn_store_user_add(s, "bob", 0, NULL, &err));
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 1);
    /* an explicit append while deferring: one record, not two */
    assert_ok(gn_audit_append(s, &other, &err));
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 2);
    /* reads write nothing */
    {
        gn_user_rec u;
        assert_ok(gn_store_user_get(s, "bob", &u, &err));
        gn_user_rec_free(&u);
    }
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 2);
    /* every write transaction gets its record */
    assert_ok(gn_store_project_add(s, "chem", NULL, NULL, &err));
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 3);
    gn_audit_defer_end(s);
    assert_ok(gn_store_user_add(s, "carol", 0, NULL, &err));
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 3);

    assert_ok(gn_store_audit_list(s, NULL, "user.add", 10, &a, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(a[0].user, "root");
    assert_int_equal(a[0].token_id, 3);
    assert_string_equal(a[0].object, "user/bob");
    assert_string_equal(a[0].remote, "10.1.2.3");
    gn_audit_rec_array_free(a, n);
    expect_bad(s, 0, "deferred records chain");

    /* the in-hook variant refuses outside a hook */
    {
        gn_audit_rec r;
        memset(&r, 0, sizeof r);
        r.action = (char *)"x";
        r.result = (char *)"ok";
        assert_status(gn_store_audit_append_in_hook(s, &r, gn__audit_chain, &err), GN_ERR_STATE);
    }
    gn_store_close(s);
}

/* The audit insert is made to fail for real, by a trigger created in this
 * test's database (test_audit_full) that RAISEs for one action: the
 * change the record describes is rolled back with it, and the call fails
 * saying so. */
static void defer_failure_rolls_back(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "audit_defer_fail");
    gn_audit_event ev = {.user = "root", .action = "test.audit_fails", .object = "user/eve",
                         .result = "ok"};
    gn_campaign_rec c;
    gn_user_rec u;
    gn_status st;
    gn_err err;
    (void)state;

    fill_log(s, 3);
    assert_ok(gn_store_user_add(s, "bob", 0, NULL, &err));
    raw_exec(path, "CREATE TRIGGER test_audit_full BEFORE INSERT ON audit "
                   "WHEN NEW.action = 'test.audit_fails' "
                   "BEGIN SELECT RAISE(ABORT, 'audit log full (test trigger test_audit_full)'); "
                   "END;");

    gn_audit_defer_begin(s, &ev);
    st = gn_store_user_add(s, "eve", 0, NULL, &err);
    assert_int_not_equal(st, GN_OK);
    assert_non_null(strstr(err.msg, "audit record could not be written"));
    assert_non_null(strstr(err.msg, "test_audit_full"));
    assert_status(gn_store_user_get(s, "eve", &u, &err), GN_ERR_NOT_FOUND);

    /* a library state change: a campaign is not created either */
    memset(&c, 0, sizeof c);
    c.name = (char *)"flow";
    c.spec_text = (char *)"name: flow\n";
    c.spec_format = (char *)"yaml";
    c.budget = 5;
    assert_int_not_equal(gn_store_campaign_create(s, &c, &err), GN_OK);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM campaigns"), 0);
    /* nor a membership change, nor a disable */
    assert_int_not_equal(gn_store_user_set_disabled(s, "bob", 1, &err), GN_OK);
    assert_ok(gn_store_user_get(s, "bob", &u, &err));
    assert_int_equal(u.disabled, 0);
    gn_user_rec_free(&u);
    gn_audit_defer_end(s);

    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 3);
    expect_bad(s, 0, "after the failed appends");
    /* without the failing record everything works again */
    assert_ok(gn_store_user_add(s, "eve", 0, NULL, &err));
    gn_store_close(s);
}

/* Processes appending at once never fork the chain. */
static void concurrent_appenders(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "audit_concurrent");
    pid_t kids[4];
    int i, status;
    (void)state;

    for (i = 0; i < 4; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            gn_store *c = NULL;
            gn_audit_event ev = {.user = "robot", .action = "experiment.tell", .result = "ok"};
            gn_err err;
            int k;
            if (gn_store_open(path, &c, &err) != GN_OK)
                _exit(2);
            for (k = 0; k < 15; k++)
                if (gn_audit_append(c, &ev, &err) != GN_OK)
                    _exit(3);
            gn_store_close(c);
            _exit(0);
        }
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 60);
    expect_bad(s, 0, "four appenders");
    gn_store_close(s);
}

/* Long fields are cut, not refused: the record is written. */
static void long_fields_bounded(void **state)
{
    char path[1024], *big = malloc(100000);
    gn_store *s = id_store(path, sizeof path, "audit_long");
    gn_audit_event ev = {.action = "x", .result = "ok"};
    gn_err err;
    (void)state;

    assert_non_null(big);
    memset(big, 'z', 99999);
    big[99999] = 0;
    ev.detail = big;
    ev.object = big;
    assert_ok(gn_audit_append(s, &ev, &err));
    assert_int_equal(raw_int(path, "SELECT length(detail) FROM audit"), 4096);
    assert_int_equal(raw_int(path, "SELECT length(object) FROM audit"), 256);
    ev.action = NULL;
    assert_status(gn_audit_append(s, &ev, &err), GN_ERR_INVALID);
    expect_bad(s, 0, "long fields");
    free(big);
    gn_store_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(chain_intact),
    cmocka_unit_test(tamper_edit_random),
    cmocka_unit_test(tamper_delete_random),
    cmocka_unit_test(tamper_reorder_random),
    cmocka_unit_test(tamper_delete_newest),
    cmocka_unit_test(tamper_head),
    cmocka_unit_test(anchor_catches_rewrite),
    cmocka_unit_test(defer_commits_with_change),
    cmocka_unit_test(defer_failure_rolls_back),
    cmocka_unit_test(concurrent_appenders),
    cmocka_unit_test(long_fields_bounded),
};

GN_TEST_MAIN(tests)
