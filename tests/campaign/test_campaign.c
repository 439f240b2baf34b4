/*
 * test_campaign.c - the public C API: ask/tell, run, resume, export.
 * Real SQLite files and real runner processes.
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gn_test.h"
#include "genesis/genesis.h"

#define RUNNERS GN_SOURCE_DIR "/tests/campaign/runners"

/* A fresh database path for this case. */
static void db_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, GN_TEST_TMP "/campaign-%s.db", name);
    unlink(buf);
    {
        char side[600];
        snprintf(side, sizeof side, "%s-wal", buf);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", buf);
        unlink(side);
        snprintf(side, sizeof side, "rm -rf '%s.runs'", buf);
        if (system(side) != 0)
            fail_msg("cannot clean %s.runs", buf);
    }
}

/* Spec text for the quadratic test problem (x real, z int, c choice). */
static void quad_spec(char *buf, size_t size, const char *name, const char *runner, const char *strategy,
                      int budget, int parallel, int retries)
{
    int n = snprintf(buf, size,
                     "name: %s\n"
                     "parameters:\n"
                     "  - {name: x, type: real, low: 0, high: 1}\n"
                     "  - {name: z, type: int, low: 0, high: 4}\n"
                     "  - {name: c, type: choice, values: [red, green]}\n"
                     "objectives:\n"
                     "  - {name: y, goal: minimize}\n"
                     "planner: {strategy: %s, seed: 7}\n"
                     "budget: {experiments: %d, parallel: %d}\n",
                     name, strategy, budget, parallel);
    if (runner)
        snprintf(buf + n, size - (size_t)n,
                 "runner:\n  command: [\"" RUNNERS "/%s\", \"{x}\", \"{z}\"]\n  retries: %d\n  timeout: 30\n",
                 runner, retries);
}

static double quad(const double *x) { return (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 2) * (x[1] - 2); }

static void open_text(const char *path, const char *spec, gn_db **db, gn_campaign **c)
{
    assert_int_equal(gn_db_open(path, db), GN_OK);
    if (gn_campaign_create_from_text(*db, spec, strlen(spec), c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(*db));
}

static void ask_tell_loop(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    int64_t id;
    double x[3], mean[1], best_y[1];
    size_t got;
    const char *names[] = {"y"};
    int rounds = 0;

    (void)state;
    db_path(path, sizeof path, "asktell");
    quad_spec(spec, sizeof spec, "asktell", NULL, "sobol", 12, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_param_count(c), 3);
    assert_string_equal(gn_campaign_param_name(c, 2), "c");
    assert_int_equal(gn_campaign_choice_count(c, 2), 2);
    assert_string_equal(gn_campaign_choice_label(c, 2, 1), "green");
    while (!gn_campaign_done(c)) {
        double y;
        assert_int_equal(gn_campaign_ask(c, 1, &id, x, mean, NULL, &got), GN_OK);
        assert_int_equal(got, 1);
        assert_true(isnan(mean[0])); /* sobol has no model */
        assert_true(x[0] >= 0 && x[0] <= 1 && x[1] >= 0 && x[1] <= 4 && x[1] == floor(x[1]));
        y = quad(x);
        assert_int_equal(gn_campaign_tell(c, id, 1, names, &y), GN_OK);
        rounds++;
        assert_true(rounds <= 12);
    }
    assert_int_equal(rounds, 12);
    /* the budget is spent: ask gives nothing, successfully */
    assert_int_equal(gn_campaign_ask(c, 1, &id, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, 0);
    assert_int_equal(gn_campaign_best(c, &id, x, best_y), GN_OK);
    assert_near(best_y[0], quad(x), 1e-12);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void tell_twice_refused(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    int64_t id;
    double x[3], y = 1.0, y2 = 2.0, best;
    size_t got;
    const char *names[] = {"y"};

    (void)state;
    db_path(path, sizeof path, "twice");
    quad_spec(spec, sizeof spec, "twice", NULL, "random", 5, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_ask(c, 1, &id, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(gn_campaign_tell(c, id, 1, names, &y), GN_OK);
    assert_int_equal(gn_campaign_tell(c, id, 1, names, &y2), GN_ERR_STATE);
    assert_non_null(strstr(gn_campaign_errmsg(c), "completed already"));
    assert_int_equal(gn_campaign_best(c, NULL, NULL, &best), GN_OK);
    assert_near(best, 1.0, 1e-12); /* the first outcome stands */
    assert_int_equal(gn_campaign_tell(c, 99, 1, names, &y), GN_ERR_NOT_FOUND);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void tell_missing_objective(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    int64_t id;
    double x[3], v = 3.0, nan_v = NAN;
    size_t got;
    long finished = -1;
    const char *other[] = {"not_y"}, *names[] = {"y"};

    (void)state;
    db_path(path, sizeof path, "missing");
    quad_spec(spec, sizeof spec, "missing", NULL, "random", 5, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_ask(c, 1, &id, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(gn_campaign_tell(c, id, 1, other, &v), GN_ERR_OUTCOME);
    assert_non_null(strstr(gn_campaign_errmsg(c), "missing objective 'y'"));
    assert_int_equal(gn_campaign_tell(c, id, 1, names, &nan_v), GN_ERR_OUTCOME);
    assert_int_equal(gn_campaign_finished_count(c, &finished), GN_OK);
    assert_int_equal(finished, 0); /* nothing recorded */
    /* and the experiment can still be told properly */
    assert_int_equal(gn_campaign_tell(c, id, 1, names, &v), GN_OK);
    assert_int_equal(gn_campaign_tell_failure(c, id, "spilled"), GN_ERR_STATE);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* A proposal that nobody ran (the asking process died) is handed out again
 * by a new handle, but never twice by one handle. */
static void orphan_proposals_reused(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c, *c2;
    int64_t ids[2], id3;
    double x[6], x3[3];
    size_t got;

    (void)state;
    db_path(path, sizeof path, "orphan");
    quad_spec(spec, sizeof spec, "orphan", NULL, "sobol", 10, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_ask(c, 2, ids, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, 2);
    assert_int_equal(gn_campaign_ask(c, 1, &id3, x3, NULL, NULL, &got), GN_OK);
    assert_int_equal(id3, 3); /* the same handle gets a new one */
    assert_int_equal(gn_campaign_open(db, "orphan", &c2), GN_OK);
    assert_int_equal(gn_campaign_ask(c2, 1, &id3, x3, NULL, NULL, &got), GN_OK);
    assert_int_equal(id3, ids[0]); /* a new handle gets the oldest unrun one */
    assert_near(x3[0], x[0], 1e-15);
    assert_int_equal(gn_campaign_ask_new(c2, 1, &id3, x3, NULL, NULL, &got), GN_OK);
    assert_int_equal(id3, 4);
    gn_campaign_close(c2);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void create_same_spec_reopens_different_refused(void **state)
{
    char path[512], spec[2048], spec2[2048];
    gn_db *db;
    gn_campaign *c, *c2 = NULL;

    (void)state;
    db_path(path, sizeof path, "respec");
    quad_spec(spec, sizeof spec, "respec", NULL, "sobol", 10, 1, 0);
    quad_spec(spec2, sizeof spec2, "respec", NULL, "sobol", 11, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_create_from_text(db, spec, strlen(spec), &c2), GN_OK);
    gn_campaign_close(c2);
    c2 = NULL;
    assert_int_equal(gn_campaign_create_from_text(db, spec2, strlen(spec2), &c2), GN_ERR_EXISTS);
    assert_null(c2);
    assert_non_null(strstr(gn_db_errmsg(db), "different spec"));
    assert_int_equal(gn_campaign_open(db, "nope", &c2), GN_ERR_NOT_FOUND);
    assert_non_null(strstr(gn_db_errmsg(db), "no campaign 'nope'"));
    gn_campaign_close(c);
    gn_db_close(db);
}

/* Events of a run, for assertions. */
typedef struct events {
    int started, completed, retried, failed;
    gn_campaign *stop_after_target;
    int stop_after; /* request a stop after this many completions */
} events;

static void on_event(const char *line, void *ctx)
{
    events *ev = ctx;
    if (strstr(line, " started"))
        ev->started++;
    if (strstr(line, " completed in "))
        ev->completed++;
    if (strstr(line, "retrying"))
        ev->retried++;
    if (strstr(line, " failed after "))
        ev->failed++;
    if (ev->stop_after && ev->completed == ev->stop_after && ev->stop_after_target)
        gn_campaign_request_stop(ev->stop_after_target);
}

/* Exports JSON to memory and parses it. */
static json_t *export_json(gn_campaign *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *j;
    json_error_t jerr;
    assert_non_null(f);
    assert_int_equal(gn_campaign_export(c, "json", f), GN_OK);
    fclose(f);
    j = json_loadb(buf, len, 0, &jerr);
    if (!j)
        fail_msg("export is not JSON: %s at %d:%d", jerr.text, jerr.line, jerr.column);
    free(buf);
    return j;
}

static void run_to_budget(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    gn_run_options opts;
    events ev;
    json_t *j, *e;
    size_t i;

    (void)state;
    db_path(path, sizeof path, "run");
    quad_spec(spec, sizeof spec, "run", "quad.sh", "sobol", 10, 3, 0);
    open_text(path, spec, &db, &c);
    memset(&opts, 0, sizeof opts);
    memset(&ev, 0, sizeof ev);
    opts.on_event = on_event;
    opts.ctx = &ev;
    assert_int_equal(gn_campaign_run(c, &opts), GN_OK);
    assert_int_equal(ev.completed, 10);
    assert_int_equal(ev.started, 10);
    assert_true(gn_campaign_done(c));
    j = export_json(c);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "campaign"), "state")),
                        "completed");
    assert_int_equal(json_array_size(json_object_get(j, "experiments")), 10);
    json_array_foreach(json_object_get(j, "experiments"), i, e)
    {
        json_t *p = json_object_get(e, "parameters");
        double x[2] = {json_number_value(json_object_get(p, "x")),
                       json_number_value(json_object_get(p, "z"))};
        assert_string_equal(json_string_value(json_object_get(e, "status")), "completed");
        assert_near(json_number_value(json_object_get(json_object_get(e, "outcome"), "y")), quad(x), 1e-9);
        assert_int_equal(json_integer_value(json_object_get(e, "attempts")), 1);
        assert_int_equal(json_integer_value(json_object_get(e, "id")), (json_int_t)i + 1);
    }
    json_decref(j);
    /* running a done campaign again does nothing and succeeds */
    memset(&ev, 0, sizeof ev);
    assert_int_equal(gn_campaign_run(c, &opts), GN_OK);
    assert_int_equal(ev.started, 0);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void run_retries_then_succeeds(void **state)
{
    char path[512], spec[2048], *text = NULL;
    gn_db *db;
    gn_campaign *c;
    gn_run_options opts;
    events ev;
    json_t *j;
    json_error_t jerr;

    (void)state;
    db_path(path, sizeof path, "retry");
    quad_spec(spec, sizeof spec, "retry", "quad.sh", "random", 4, 2, 1);
    open_text(path, spec, &db, &c);
    setenv("FAIL_FIRST", "1", 1);
    memset(&opts, 0, sizeof opts);
    memset(&ev, 0, sizeof ev);
    opts.on_event = on_event;
    opts.ctx = &ev;
    assert_int_equal(gn_campaign_run(c, &opts), GN_OK);
    unsetenv("FAIL_FIRST");
    assert_int_equal(ev.retried, 4);
    assert_int_equal(ev.completed, 4);
    assert_int_equal(gn_campaign_experiment_json(c, 1, &text), GN_OK);
    j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 2);
    {
        json_t *log = json_object_get(j, "attempt_log");
        json_t *a1 = json_array_get(log, 0), *a2 = json_array_get(log, 1);
        assert_int_equal(json_array_size(log), 2);
        assert_string_equal(json_string_value(json_object_get(a1, "status")), "failed");
        assert_int_equal(json_integer_value(json_object_get(a1, "exit_code")), 3);
        assert_non_null(strstr(json_string_value(json_object_get(a1, "stderr_tail")), "failing on purpose"));
        assert_string_equal(json_string_value(json_object_get(a2, "status")), "succeeded");
        /* each attempt ran in its own fresh folder */
        assert_string_not_equal(json_string_value(json_object_get(a1, "workdir")),
                                json_string_value(json_object_get(a2, "workdir")));
    }
    json_decref(j);
    gn_string_free(text);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void run_retries_exhausted(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    gn_run_options opts;
    events ev;
    long finished;

    (void)state;
    db_path(path, sizeof path, "exhaust");
    quad_spec(spec, sizeof spec, "exhaust", "noobjective.sh", "random", 3, 3, 2);
    open_text(path, spec, &db, &c);
    memset(&opts, 0, sizeof opts);
    memset(&ev, 0, sizeof ev);
    opts.on_event = on_event;
    opts.ctx = &ev;
    assert_int_equal(gn_campaign_run(c, &opts), GN_OK);
    assert_int_equal(ev.failed, 3);    /* every experiment failed ... */
    assert_int_equal(ev.retried, 6);   /* ... after 1 + 2 attempts */
    assert_int_equal(ev.completed, 0);
    assert_int_equal(gn_campaign_finished_count(c, &finished), GN_OK);
    assert_int_equal(finished, 3);
    assert_int_equal(gn_campaign_best(c, NULL, NULL, NULL), GN_ERR_NOT_FOUND);
    {
        char *text = NULL;
        assert_int_equal(gn_campaign_experiment_json(c, 2, &text), GN_OK);
        assert_non_null(strstr(text, "missing objective 'y'"));
        gn_string_free(text);
    }
    gn_campaign_close(c);
    gn_db_close(db);
}

static void run_missing_runner_stops(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    long finished;

    (void)state;
    db_path(path, sizeof path, "norunner");
    quad_spec(spec, sizeof spec, "norunner", "does-not-exist.sh", "random", 3, 1, 0);
    open_text(path, spec, &db, &c);
    assert_int_not_equal(gn_campaign_run(c, NULL), GN_OK);
    assert_non_null(strstr(gn_campaign_errmsg(c), "does-not-exist.sh"));
    assert_int_equal(gn_campaign_finished_count(c, &finished), GN_OK);
    assert_int_equal(finished, 0);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* Collects the parameters of every experiment, by number, as text. */
static json_t *params_by_number(gn_campaign *c)
{
    json_t *j = export_json(c), *out = json_array(), *e;
    size_t i;
    json_array_foreach(json_object_get(j, "experiments"), i, e)
        json_array_append(out, json_object_get(e, "parameters"));
    json_decref(j);
    return out;
}

/* A run stopped half-way and resumed proposes exactly the experiments of
 * an uninterrupted run (seeded), and none twice. */
static void stop_and_resume_reproducible(void **state)
{
    char p1[512], p2[512], spec[2048];
    gn_db *db1, *db2;
    gn_campaign *c1, *c2;
    gn_run_options opts;
    events ev;
    json_t *a, *b;

    (void)state;
    db_path(p1, sizeof p1, "whole");
    db_path(p2, sizeof p2, "halves");
    quad_spec(spec, sizeof spec, "repro", "quad.sh", "sobol", 12, 2, 0);
    open_text(p1, spec, &db1, &c1);
    open_text(p2, spec, &db2, &c2);
    assert_int_equal(gn_campaign_run(c1, NULL), GN_OK);

    memset(&opts, 0, sizeof opts);
    memset(&ev, 0, sizeof ev);
    opts.on_event = on_event;
    opts.ctx = &ev;
    opts.grace = -1; /* stop running experiments at once */
    ev.stop_after = 4;
    ev.stop_after_target = c2;
    assert_int_equal(gn_campaign_run(c2, &opts), GN_ERR_INTERRUPTED);
    assert_false(gn_campaign_done(c2));
    gn_campaign_close(c2);
    assert_int_equal(gn_campaign_open(db2, "repro", &c2), GN_OK);
    assert_int_equal(gn_campaign_run(c2, NULL), GN_OK);
    assert_true(gn_campaign_done(c2));

    a = params_by_number(c1);
    b = params_by_number(c2);
    assert_int_equal(json_array_size(a), 12);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    gn_campaign_close(c1);
    gn_campaign_close(c2);
    gn_db_close(db1);
    gn_db_close(db2);
}

/* JSON and CSV exports agree with each other and with the store. */
static void export_round_trip(void **state)
{
    char path[512], spec[2048], *buf = NULL, line[4096];
    gn_db *db;
    gn_campaign *c;
    json_t *j, *exps;
    size_t len = 0, row = 0;
    FILE *f;

    (void)state;
    db_path(path, sizeof path, "export");
    quad_spec(spec, sizeof spec, "export", "quad.sh", "lhs", 6, 2, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_run(c, NULL), GN_OK);
    j = export_json(c);
    exps = json_object_get(j, "experiments");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "campaign"), "name")), "export");
    assert_non_null(json_object_get(json_object_get(j, "campaign"), "spec"));
    f = open_memstream(&buf, &len);
    assert_int_equal(gn_campaign_export(c, "csv", f), GN_OK);
    fclose(f);
    f = fmemopen(buf, len, "r");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "id,status,x,z,c,y,attempt,pred_y_mean,pred_y_sd,attempts\n");
    while (fgets(line, sizeof line, f)) {
        json_t *e = json_array_get(exps, row++), *p = json_object_get(e, "parameters");
        long long id;
        char status[32], cval[32];
        double x, z, y;
        assert_int_equal(sscanf(line, "%lld,%31[^,],%lf,%lf,%31[^,],%lf", &id, status, &x, &z, cval, &y), 6);
        assert_int_equal(id, json_integer_value(json_object_get(e, "id")));
        assert_string_equal(status, "completed");
        assert_near(x, json_number_value(json_object_get(p, "x")), 1e-15);
        assert_near(z, json_number_value(json_object_get(p, "z")), 1e-15);
        assert_string_equal(cval, json_string_value(json_object_get(p, "c")));
        assert_near(y, json_number_value(json_object_get(json_object_get(e, "outcome"), "y")), 1e-15);
    }
    assert_int_equal(row, 6);
    fclose(f);
    free(buf);
    assert_int_equal(gn_campaign_export(c, "xml", stdout), GN_ERR_INVALID);
    json_decref(j);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* The database is sound after everything above (PRAGMA integrity_check). */
static void store_integrity_after_run(void **state)
{
    char path[512], spec[2048];
    gn_db *db;
    gn_campaign *c;
    sqlite3 *s;
    sqlite3_stmt *q;

    (void)state;
    db_path(path, sizeof path, "integrity");
    quad_spec(spec, sizeof spec, "integrity", "quad.sh", "sobol", 8, 4, 0);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_run(c, NULL), GN_OK);
    gn_campaign_close(c);
    gn_db_close(db);
    assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
    sqlite3_close(s);
}

/* A candidate pool: bo proposes only rows of the CSV, never one twice. */
static void candidates_pool_never_repeats(void **state)
{
    char path[512], spec[4096], csv[512];
    gn_db *db;
    gn_campaign *c;
    FILE *f;
    json_t *j, *e, *seen;
    size_t i;
    int k;
    static const char *colours[] = {"red", "green"};

    (void)state;
    db_path(path, sizeof path, "pool");
    snprintf(csv, sizeof csv, GN_TEST_TMP "/pool.csv");
    f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "c,x,z,measured\n"); /* any column order; extra columns ignored */
    for (k = 0; k < 24; k++)
        fprintf(f, "%s,%.4f,%d,%d\n", colours[k % 2], (k * 37 % 24) / 23.0, k % 5, k);
    fclose(f);
    snprintf(spec, sizeof spec,
             "name: pool\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: z, type: int, low: 0, high: 4}\n"
             "  - {name: c, type: choice, values: [red, green]}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "candidates: %s\n"
             "runner:\n  command: [\"" RUNNERS "/quad.sh\", \"{x}\", \"{z}\"]\n"
             "planner: {strategy: bo, seed: 5, initial: 4}\n"
             "budget: {experiments: 24, parallel: 2}\n",
             csv);
    open_text(path, spec, &db, &c);
    assert_int_equal(gn_campaign_run(c, NULL), GN_OK);
    j = export_json(c);
    seen = json_object();
    json_array_foreach(json_object_get(j, "experiments"), i, e)
    {
        json_t *p = json_object_get(e, "parameters");
        char key[128];
        snprintf(key, sizeof key, "%s/%.4f/%lld", json_string_value(json_object_get(p, "c")),
                 json_number_value(json_object_get(p, "x")), (long long)json_integer_value(json_object_get(p, "z")));
        assert_null(json_object_get(seen, key)); /* never twice */
        json_object_set_new(seen, key, json_true());
    }
    assert_int_equal(json_object_size(seen), 24); /* the whole pool, each row once */
    json_decref(seen);
    json_decref(j);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void candidates_bad_file(void **state)
{
    char path[512], spec[2048], csv[512];
    gn_db *db;
    gn_campaign *c = NULL;
    FILE *f;

    (void)state;
    db_path(path, sizeof path, "badpool");
    snprintf(csv, sizeof csv, GN_TEST_TMP "/badpool.csv");
    f = fopen(csv, "w");
    fprintf(f, "x,z,c\n0.5,1,red\n0.25,7,green\n");
    fclose(f);
    snprintf(spec, sizeof spec,
             "name: badpool\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: z, type: int, low: 0, high: 4}\n"
             "  - {name: c, type: choice, values: [red, green]}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "candidates: %s\n"
             "planner: {strategy: bo}\n"
             "budget: {experiments: 2}\n",
             csv);
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    assert_int_equal(gn_campaign_create_from_text(db, spec, strlen(spec), &c), GN_ERR_DATA);
    assert_non_null(strstr(gn_db_errmsg(db), "row 3, column 'z': 7 is outside [0, 4]"));
    /* nothing was created */
    assert_int_equal(gn_campaign_open(db, "badpool", &c), GN_ERR_NOT_FOUND);
    gn_db_close(db);
}

/* ---- campaigns on stored datasets --------------------------------------------- */

/* y of the lab pool: a bowl with its minimum at x = 0.25, z = 2, c = green. */
static double lab_y(int k) { return fabs((k % 8) / 7.0 - 0.25) + abs(k % 5 - 2) + (k % 2 ? 0 : 0.5); }

/* Imports a small lab dataset "lab" (header x,z,c,y,note): 20 distinct
 * points, the first one measured twice (y 1 and 3: the lookup answers 2). */
static void import_lab(gn_db *db, const char *name)
{
    char csv[512];
    gn_dataset_options o;
    FILE *f;
    int k;
    static const char *colours[] = {"green", "red"};

    snprintf(csv, sizeof csv, GN_TEST_TMP "/%s.csv", name);
    f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "x,z,c,y,note\n");
    fprintf(f, "0.5,0,green,1,first\n0.5,0,green,3,replicate\n");
    for (k = 1; k < 20; k++)
        fprintf(f, "%.17g,%d,%s,%.17g,row%d\n", (k % 8) / 7.0, k % 5, colours[k % 2], lab_y(k), k);
    fclose(f);
    memset(&o, 0, sizeof o);
    o.name = name;
    if (gn_dataset_import(db, csv, &o, NULL) != GN_OK)
        fail_msg("import: %s", gn_db_errmsg(db));
}

static void lab_spec(char *buf, size_t size, const char *name, const char *extra)
{
    snprintf(buf, size,
             "name: %s\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: z, type: int, low: 0, high: 4}\n"
             "  - {name: c, type: choice, values: [red, green]}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "%s",
             name, extra);
}

/* A pool from a dataset and the lookup runner: every row at most once, the
 * replicated row answered with the mean, and the run ends at the best row. */
static void pool_dataset_lookup(void **state)
{
    char path[512], spec[4096];
    gn_db *db;
    gn_campaign *c;
    json_t *j, *e, *seen;
    size_t i;
    double best = INFINITY, pool_best = 2.0;
    int k, saw_replicate = 0;

    (void)state;
    db_path(path, sizeof path, "labpool");
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    import_lab(db, "lab");
    for (k = 1; k < 20; k++)
        if (lab_y(k) < pool_best)
            pool_best = lab_y(k);
    lab_spec(spec, sizeof spec, "labpool",
             "candidates: {dataset: lab}\n"
             "runner: {lookup: lab}\n"
             "planner: {strategy: bo, seed: 3, initial: 4}\n"
             "budget: {experiments: 20, parallel: 2}\n");
    if (gn_campaign_create_from_text(db, spec, strlen(spec), &c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(db));
    if (gn_campaign_run(c, NULL) != GN_OK)
        fail_msg("run: %s", gn_campaign_errmsg(c));
    j = export_json(c);
    seen = json_object();
    json_array_foreach(json_object_get(j, "experiments"), i, e)
    {
        json_t *p = json_object_get(e, "parameters");
        double y = json_number_value(json_object_get(json_object_get(e, "outcome"), "y"));
        char key[128];
        assert_string_equal(json_string_value(json_object_get(e, "status")), "completed");
        snprintf(key, sizeof key, "%s/%.17g/%lld", json_string_value(json_object_get(p, "c")),
                 json_number_value(json_object_get(p, "x")),
                 (long long)json_integer_value(json_object_get(p, "z")));
        assert_null(json_object_get(seen, key)); /* never twice */
        json_object_set_new(seen, key, json_true());
        if (json_number_value(json_object_get(p, "x")) == 0.5 &&
            json_integer_value(json_object_get(p, "z")) == 0) {
            assert_true(fabs(y - 2.0) < 1e-12); /* mean of the replicates */
            saw_replicate = 1;
        }
        if (y < best)
            best = y;
    }
    assert_int_equal(json_object_size(seen), 20);
    assert_true(saw_replicate);
    assert_true(fabs(best - pool_best) < 1e-12);
    json_decref(seen);
    json_decref(j);
    {
        /* the report's provenance names the datasets read, with their hashes */
        char report[600], *text = NULL;
        size_t len = 0;
        FILE *rf;
        snprintf(report, sizeof report, "%s.report.md", path);
        assert_int_equal(gn_campaign_report(c, "md", report), GN_OK);
        rf = fopen(report, "r");
        assert_non_null(rf);
        assert_true(getdelim(&text, &len, '\0', rf) > 0);
        fclose(rf);
        assert_non_null(strstr(text, "candidates: lab version 1"));
        assert_non_null(strstr(text, "runner.lookup: lab version 1"));
        assert_non_null(strstr(text, "BLAKE2b-256 `"));
        free(text);
    }
    gn_campaign_close(c);
    gn_db_close(db);
}

/* Enough budget, part of the pool: bo still ends at the pool's best. */
static void pool_dataset_finds_best(void **state)
{
    char path[512], spec[4096];
    gn_db *db;
    gn_campaign *c;
    json_t *j, *e;
    size_t i;
    double best = INFINITY, pool_best = 2.0;
    int k;

    (void)state;
    db_path(path, sizeof path, "labbest");
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    import_lab(db, "lab");
    for (k = 1; k < 20; k++)
        if (lab_y(k) < pool_best)
            pool_best = lab_y(k);
    lab_spec(spec, sizeof spec, "labbest",
             "candidates: {dataset: lab, version: 1}\n"
             "runner: {lookup: lab, version: 1}\n"
             "planner: {strategy: bo, seed: 11, initial: 4}\n"
             "budget: {experiments: 16, parallel: 1}\n");
    if (gn_campaign_create_from_text(db, spec, strlen(spec), &c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(db));
    if (gn_campaign_run(c, NULL) != GN_OK)
        fail_msg("run: %s", gn_campaign_errmsg(c));
    j = export_json(c);
    json_array_foreach(json_object_get(j, "experiments"), i, e)
    {
        double y = json_number_value(json_object_get(json_object_get(e, "outcome"), "y"));
        if (y < best)
            best = y;
    }
    assert_true(fabs(best - pool_best) < 1e-12);
    json_decref(j);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* A point with no row: the attempt fails and says why. */
static void lookup_no_match_fails(void **state)
{
    char path[512], spec[4096], *ej = NULL;
    gn_db *db;
    gn_campaign *c;
    json_t *e, *att;
    json_error_t jerr;
    const char *reason;

    (void)state;
    db_path(path, sizeof path, "labmiss");
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    import_lab(db, "lab");
    lab_spec(spec, sizeof spec, "labmiss",
             "runner: {lookup: lab}\n"
             "planner: {strategy: sobol, seed: 3}\n"
             "budget: {experiments: 1, parallel: 1}\n");
    if (gn_campaign_create_from_text(db, spec, strlen(spec), &c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(db));
    gn_campaign_run(c, NULL);
    assert_int_equal(gn_campaign_experiment_json(c, 1, &ej), GN_OK);
    e = json_loads(ej, 0, &jerr);
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "failed");
    att = json_array_get(json_object_get(e, "attempt_log"), 0);
    reason = json_string_value(json_object_get(att, "reason"));
    assert_non_null(reason);
    if (!strstr(reason, "lookup: no row of dataset 'lab' version 1 has these parameter values: x="))
        fail_msg("reason: %s", reason);
    json_decref(e);
    gn_string_free(ej);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* Bad dataset references are refused at creation with a clear message. */
static void dataset_bad_specs(void **state)
{
    static const struct {
        const char *extra;
        gn_status st;
        const char *msg;
    } cases[] = {
        {"candidates: {dataset: nolab}\nplanner: {strategy: bo}\nbudget: {experiments: 2}\n",
         GN_ERR_NOT_FOUND, "candidates: there is no dataset 'nolab' in "},
        {"candidates: {dataset: lab, version: 7}\nplanner: {strategy: bo}\nbudget: {experiments: 2}\n",
         GN_ERR_NOT_FOUND, "candidates: there is no dataset 'lab' version 7 in "},
        {"runner: {lookup: nolab}\nbudget: {experiments: 2}\n", GN_ERR_NOT_FOUND,
         "runner.lookup: there is no dataset 'nolab' in "},
        {"candidates: {dataset: lab}\nplanner: {strategy: bo}\nbudget: {experiments: 21}\n",
         GN_ERR_SPEC, "budget.experiments (21) is larger than the 20 distinct candidates in dataset "
                      "'lab' version 1"},
        {"prior: {dataset: lab, columns: {y: yield}}\nbudget: {experiments: 2}\n", GN_ERR_DATA,
         "prior: dataset 'lab' version 1 has no column 'yield' (for 'y'); its columns are: x, z, c, "
         "y, note"},
    };
    char path[512], spec[4096];
    gn_db *db;
    gn_campaign *c = NULL;
    size_t i;

    (void)state;
    db_path(path, sizeof path, "labbad");
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    import_lab(db, "lab");
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        gn_status st;
        lab_spec(spec, sizeof spec, "labbad", cases[i].extra);
        st = gn_campaign_create_from_text(db, spec, strlen(spec), &c);
        if (st != cases[i].st || !strstr(gn_db_errmsg(db), cases[i].msg))
            fail_msg("case %zu: status %d, message: %s", i, (int)st, gn_db_errmsg(db));
        assert_null(c);
    }
    /* an objective that is not a measured column */
    snprintf(spec, sizeof spec,
             "name: labbad\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: z, type: int, low: 0, high: 4}\n"
             "  - {name: c, type: choice, values: [red, green]}\n"
             "objectives:\n"
             "  - {name: yield, goal: maximize}\n"
             "runner: {lookup: lab}\n"
             "budget: {experiments: 2}\n");
    assert_int_equal(gn_campaign_create_from_text(db, spec, strlen(spec), &c), GN_ERR_SPEC);
    if (!strstr(gn_db_errmsg(db), "runner.lookup: objective 'yield' is not a measured column of "
                                  "dataset 'lab' version 1 (its numeric columns that are not "
                                  "parameters: y)"))
        fail_msg("message: %s", gn_db_errmsg(db));
    /* a parameter without a column */
    snprintf(spec, sizeof spec,
             "name: labbad\n"
             "parameters:\n"
             "  - {name: x, type: real, low: 0, high: 1}\n"
             "  - {name: w, type: int, low: 0, high: 4}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "candidates: {dataset: lab}\n"
             "planner: {strategy: bo}\n"
             "budget: {experiments: 2}\n");
    assert_int_equal(gn_campaign_create_from_text(db, spec, strlen(spec), &c), GN_ERR_DATA);
    if (!strstr(gn_db_errmsg(db), "candidates: dataset 'lab' version 1 has no column 'w' (needed "
                                  "for 'w')"))
        fail_msg("message: %s", gn_db_errmsg(db));
    assert_int_equal(gn_campaign_open(db, "labbad", &c), GN_ERR_NOT_FOUND);
    gn_db_close(db);
}

/* The first proposals of bo (same seed) with and without a warm start. */
static void ask_first(gn_db *db, const char *name, const char *extra, double *x, char **summary)
{
    char spec[4096];
    gn_campaign *c;
    size_t got;
    int64_t ids[3];

    lab_spec(spec, sizeof spec, name, extra);
    if (gn_campaign_create_from_text(db, spec, strlen(spec), &c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(db));
    assert_int_equal(gn_campaign_ask(c, 3, ids, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, 3);
    assert_int_equal(gn_campaign_summary_json(c, summary), GN_OK);
    gn_campaign_close(c);
}

static void prior_warm_start(void **state)
{
    char path[512], *sum_cold = NULL, *sum_warm = NULL;
    gn_db *db;
    double cold[9], warm[9];
    json_t *j;
    json_error_t jerr;
    size_t k;
    int differ = 0;

    (void)state;
    db_path(path, sizeof path, "labprior");
    assert_int_equal(gn_db_open(path, &db), GN_OK);
    import_lab(db, "lab");
    ask_first(db, "cold", "planner: {strategy: bo, seed: 9}\nbudget: {experiments: 10}\n", cold,
              &sum_cold);
    ask_first(db, "warm",
              "planner: {strategy: bo, seed: 9}\nbudget: {experiments: 10}\n"
              "prior: {dataset: lab, columns: {y: y}}\n",
              warm, &sum_warm);
    for (k = 0; k < 9; k++)
        if (fabs(cold[k] - warm[k]) > 1e-9)
            differ = 1;
    assert_true(differ);
    j = json_loads(sum_warm, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(j, "prior")), 21);
    json_decref(j);
    j = json_loads(sum_cold, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(j, "prior")), 0);
    json_decref(j);
    gn_string_free(sum_cold);
    gn_string_free(sum_warm);
    gn_db_close(db);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ask_tell_loop),
        cmocka_unit_test(tell_twice_refused),
        cmocka_unit_test(tell_missing_objective),
        cmocka_unit_test(orphan_proposals_reused),
        cmocka_unit_test(create_same_spec_reopens_different_refused),
        cmocka_unit_test(run_to_budget),
        cmocka_unit_test(run_retries_then_succeeds),
        cmocka_unit_test(run_retries_exhausted),
        cmocka_unit_test(run_missing_runner_stops),
        cmocka_unit_test(stop_and_resume_reproducible),
        cmocka_unit_test(export_round_trip),
        cmocka_unit_test(store_integrity_after_run),
        cmocka_unit_test(candidates_pool_never_repeats),
        cmocka_unit_test(candidates_bad_file),
        cmocka_unit_test(pool_dataset_lookup),
        cmocka_unit_test(pool_dataset_finds_best),
        cmocka_unit_test(lookup_no_match_fails),
        cmocka_unit_test(dataset_bad_specs),
        cmocka_unit_test(prior_warm_start),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
