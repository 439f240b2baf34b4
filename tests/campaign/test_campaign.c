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
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
