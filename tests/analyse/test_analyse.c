/*
 * test_analyse.c - the analyst and its report.
 *
 * Campaigns are real SQLite files. Some are driven through the public
 * ask/tell API with known functions; the calibration cases insert
 * experiments with hand-made predictions through the store, so that the
 * truth of the predictions is known. The browser case opens the HTML
 * report in headless Chromium and leaves a screenshot in the build folder.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gn_test.h"
#include "analyse/analyse.h"
#include "genesis/genesis.h"

/* ---- helpers ------------------------------------------------------------------ */

static void fresh_db(char *buf, size_t size, const char *name)
{
    char side[600];
    snprintf(buf, size, GN_TEST_TMP "/analyse-%s.db", name);
    unlink(buf);
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static void open_text(const char *path, const char *spec, gn_db **db, gn_campaign **c)
{
    assert_int_equal(gn_db_open(path, db), GN_OK);
    if (gn_campaign_create_from_text(*db, spec, strlen(spec), c) != GN_OK)
        fail_msg("create: %s", gn_db_errmsg(*db));
}

static json_t *analyse(gn_campaign *c)
{
    char *text = NULL;
    json_t *j;
    json_error_t jerr;
    if (gn_campaign_analyse_json(c, &text) != GN_OK)
        fail_msg("analyse: %s", gn_campaign_errmsg(c));
    j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("analysis is not JSON: %s", jerr.text);
    gn_string_free(text);
    return j;
}

/* The importance entry of parameter `name` of the first objective. */
static json_t *importance_of(json_t *root, const char *name)
{
    json_t *ps = json_object_get(json_object_get(json_array_get(json_object_get(root, "objectives"), 0), "importance"),
                                 "parameters"),
           *e;
    size_t i;
    json_array_foreach(ps, i, e) if (!strcmp(json_string_value(json_object_get(e, "parameter")), name)) return e;
    fail_msg("no importance entry for %s", name);
    return NULL;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("%s is not a number", key);
    return json_number_value(v);
}

/* Asks n points of the campaign's planner and tells f(x) for each. */
static void run_function(gn_campaign *c, size_t n, size_t dim, double (*f)(const double *))
{
    int64_t *ids = calloc(n, sizeof *ids);
    double *x = calloc(n * dim, sizeof *x), y;
    size_t got, i;
    const char *names[] = {"y"};
    assert_non_null(ids);
    assert_non_null(x);
    assert_int_equal(gn_campaign_ask(c, n, ids, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, n);
    for (i = 0; i < n; i++) {
        y = f(x + i * dim);
        assert_int_equal(gn_campaign_tell(c, ids[i], 1, names, &y), GN_OK);
    }
    free(ids);
    free(x);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = calloc((size_t)n + 1, 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- importance ---------------------------------------------------------------- */

static double ignores_x3(const double *x) { return 2.0 * sin(4.0 * x[0]) + 0.5 * x[1]; }

/* y depends strongly on x1, weakly on x2, not at all on x3. */
static void importance_ignored_input(void **state)
{
    char path[512];
    const char *spec = "name: ignore\n"
                       "parameters:\n"
                       "  - {name: x1, type: real, low: 0, high: 1}\n"
                       "  - {name: x2, type: real, low: 0, high: 1}\n"
                       "  - {name: x3, type: real, low: 0, high: 1}\n"
                       "objectives:\n  - {name: y, goal: maximize}\n"
                       "planner: {strategy: sobol, seed: 3}\n"
                       "budget: {experiments: 64}\n";
    gn_db *db;
    gn_campaign *c;
    json_t *root, *first;

    (void)state;
    fresh_db(path, sizeof path, "ignore");
    open_text(path, spec, &db, &c);
    run_function(c, 64, 3, ignores_x3);
    root = analyse(c);
    first = json_array_get(
        json_object_get(json_object_get(json_array_get(json_object_get(root, "objectives"), 0), "importance"),
                        "parameters"),
        0);
    assert_string_equal(json_string_value(json_object_get(first, "parameter")), "x1");
    assert_true(num(importance_of(root, "x3"), "st") < 0.02);
    assert_true(num(importance_of(root, "x3"), "st") < num(importance_of(root, "x2"), "st"));
    assert_true(num(importance_of(root, "x3"), "ard") < num(importance_of(root, "x2"), "ard"));
    assert_true(num(importance_of(root, "x3"), "ard") < num(importance_of(root, "x1"), "ard"));
    assert_true(num(importance_of(root, "x1"), "st") > 0.8);
    json_decref(root);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* ---- Sobol' indices of the Ishigami function (a = 7, b = 0.1) -------------------------- */

static const double ish_s1[3] = {0.3139, 0.4424, 0.0}, ish_st[3] = {0.5576, 0.4424, 0.2437};

static double ishigami(const double *x)
{
    return sin(x[0]) + 7.0 * sin(x[1]) * sin(x[1]) + 0.1 * pow(x[2], 4) * sin(x[0]);
}

/* Unit cube -> [-pi, pi]^3. */
static gn_status ishigami_unit(void *ctx, const double *u, size_t m, double *out, gn_err *err)
{
    size_t i, k;
    (void)ctx;
    (void)err;
    for (i = 0; i < m; i++) {
        double x[3];
        for (k = 0; k < 3; k++)
            x[k] = -M_PI + 2.0 * M_PI * u[i * 3 + k];
        out[i] = ishigami(x);
    }
    return GN_OK;
}

/* The estimators on the exact function: the analytic values within a few
 * bootstrap standard errors (and 0.02). */
static void sobol_ishigami_exact(void **state)
{
    gn__sobol s;
    size_t i;
    (void)state;
    assert_int_equal(gn__sobol_indices(ishigami_unit, NULL, 3, 8192, 1, &s, NULL), GN_OK);
    for (i = 0; i < 3; i++) {
        assert_near(s.s1[i], ish_s1[i], fmax(0.02, 3 * s.s1_se[i]));
        assert_near(s.st[i], ish_st[i], fmax(0.02, 3 * s.st_se[i]));
        assert_true(s.s1_se[i] > 0 && s.s1_se[i] < 0.05);
        assert_true(s.st_se[i] > 0 && s.st_se[i] < 0.05);
    }
    assert_near(s.variance, 13.8446, 0.3); /* V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2 */
    gn__sobol_destroy(&s);
}

/* Through the GP surrogate fitted to 200 experiments: loosely. */
static void sobol_ishigami_gp(void **state)
{
    char path[512];
    const char *spec = "name: ishigami\n"
                       "parameters:\n"
                       "  - {name: x1, type: real, low: -3.141592653589793, high: 3.141592653589793}\n"
                       "  - {name: x2, type: real, low: -3.141592653589793, high: 3.141592653589793}\n"
                       "  - {name: x3, type: real, low: -3.141592653589793, high: 3.141592653589793}\n"
                       "objectives:\n  - {name: y, goal: maximize}\n"
                       "planner: {strategy: sobol, seed: 5}\n"
                       "budget: {experiments: 200}\n";
    const char *names[] = {"x1", "x2", "x3"};
    gn_db *db;
    gn_campaign *c;
    json_t *root;
    size_t i;

    (void)state;
    fresh_db(path, sizeof path, "ishigami");
    open_text(path, spec, &db, &c);
    run_function(c, 200, 3, ishigami);
    root = analyse(c);
    for (i = 0; i < 3; i++) {
        json_t *e = importance_of(root, names[i]);
        print_message("%s: S1 %.3f (%.4f), ST %.3f (%.4f)\n", names[i], num(e, "s1"), ish_s1[i], num(e, "st"),
                      ish_st[i]);
        assert_near(num(e, "s1"), ish_s1[i], 0.05);
        assert_near(num(e, "st"), ish_st[i], 0.05);
    }
    json_decref(root);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* ---- calibration -------------------------------------------------------------------- */

#define CAL_N 300
#define CAL_PLAIN 12 /* experiments without a prediction */

/* A campaign whose predictions are N(mean, sd_true) draws, stated with sd
 * = sd_true * stated: 1 is exact, < 1 overconfident. */
static json_t *calibration_campaign(const char *name, double stated)
{
    char path[512], spec[512], params[64], pred[128];
    gn_db *db;
    gn_campaign *c;
    gn_experiment_rec *recs = calloc(CAL_N + CAL_PLAIN, sizeof *recs);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *truth = calloc(CAL_N + CAL_PLAIN, sizeof *truth);
    const char *names[] = {"y"};
    json_t *root;
    size_t i;

    assert_non_null(recs);
    assert_non_null(truth);
    fresh_db(path, sizeof path, name);
    snprintf(spec, sizeof spec,
             "name: %s\nparameters:\n  - {name: x, type: real, low: 0, high: 1}\nobjectives:\n"
             "  - {name: y, goal: minimize}\nbudget: {experiments: %d}\n",
             name, CAL_N + CAL_PLAIN);
    open_text(path, spec, &db, &c);
    gsl_rng_set(rng, 42);
    for (i = 0; i < CAL_N + CAL_PLAIN; i++) {
        double x = (double)i / (CAL_N + CAL_PLAIN), mean = sin(6 * x), sd = 0.1 + 0.2 * x;
        snprintf(params, sizeof params, "{\"x\": %.17g}", x);
        recs[i].params = strdup(params);
        if (i >= CAL_PLAIN) {
            snprintf(pred, sizeof pred, "{\"y\": {\"mean\": %.17g, \"sd\": %.17g}}", mean, sd * stated);
            recs[i].prediction = strdup(pred);
        }
        recs[i].origin = "planner:test";
        truth[i] = mean + gsl_ran_gaussian(rng, sd);
    }
    assert_int_equal(gn_store_experiments_add(c->db->store, c->rec.id, recs, CAL_N + CAL_PLAIN, NULL), GN_OK);
    for (i = 0; i < CAL_N + CAL_PLAIN; i++) {
        assert_int_equal(gn_campaign_tell(c, recs[i].number, 1, names, &truth[i]), GN_OK);
        free(recs[i].params);
        free(recs[i].prediction);
    }
    root = analyse(c);
    free(recs);
    free(truth);
    gsl_rng_free(rng);
    gn_campaign_close(c);
    gn_db_close(db);
    return root;
}

static json_t *calib_of(json_t *root)
{
    return json_object_get(json_array_get(json_object_get(root, "objectives"), 0), "calibration");
}

/* Exact predictions: coverage within 3 binomial standard errors of 68.3%
 * and 95%, z ~ N(0, 1), and the experiments without a prediction counted. */
static void calibration_exact(void **state)
{
    json_t *root = calibration_campaign("calexact", 1.0), *k = calib_of(root);
    double se68 = sqrt(0.6827 * 0.3173 / CAL_N), se95 = sqrt(0.95 * 0.05 / CAL_N);
    (void)state;
    assert_int_equal(json_integer_value(json_object_get(k, "n")), CAL_N);
    assert_int_equal(json_integer_value(json_object_get(k, "excluded_no_prediction")), CAL_PLAIN);
    assert_near(num(k, "coverage_68"), 0.6827, 3 * se68);
    assert_near(num(k, "coverage_95"), 0.95, 3 * se95);
    assert_near(num(k, "z_mean"), 0.0, 3.0 / sqrt(CAL_N));
    assert_near(num(k, "z_sd"), 1.0, 0.15);
    assert_true(num(k, "mae") > 0.05 && num(k, "mae") < 0.25); /* E|e| = sd sqrt(2/pi), sd in 0.1..0.3 */
    assert_string_equal(json_string_value(json_object_get(k, "verdict")), "calibrated");
    json_decref(root);
}

/* Stated sd four times too small: coverage collapses (P(|z| < 1/4) = 20%). */
static void calibration_overconfident(void **state)
{
    json_t *root = calibration_campaign("calover", 0.25), *k = calib_of(root);
    (void)state;
    assert_true(num(k, "coverage_68") < 0.35);
    assert_true(num(k, "coverage_95") < 0.55);
    assert_near(num(k, "z_sd"), 4.0, 0.6);
    assert_string_equal(json_string_value(json_object_get(k, "verdict")), "overconfident");
    json_decref(root);
}

/* ---- random search: exact formula against enumeration ------------------------------------ */

static void random_search_brute_force(void **state)
{
    /* N = 7 finished experiments, 5 with values (2 failed/infeasible) */
    const double vals[7] = {0.3, -1.2, 2.5, 0.3, 1.1, NAN, NAN};
    const size_t N = 7, n = 5;
    size_t k, mask;
    (void)state;
    for (k = 1; k <= N; k++) {
        double sum = 0.0, cnt = 0.0, v[5], e;
        for (mask = 0; mask < (1u << N); mask++) {
            double best = -INFINITY;
            size_t i, bits = 0;
            for (i = 0; i < N; i++)
                if (mask & (1u << i)) {
                    bits++;
                    if (!isnan(vals[i]))
                        best = fmax(best, vals[i]);
                }
            if (bits != k || !isfinite(best))
                continue; /* conditional on at least one value drawn */
            sum += best;
            cnt += 1.0;
        }
        memcpy(v, vals, sizeof v);
        e = gn__random_search_expect(v, n, N, k);
        assert_near(e, sum / cnt, 1e-12);
    }
    {
        double v[3] = {1, 2, 3};
        assert_true(isnan(gn__random_search_expect(v, 3, 3, 0)));
        assert_near(gn__random_search_expect(v, 3, 3, 1), 2.0, 1e-12);
        assert_near(gn__random_search_expect(v, 3, 3, 3), 3.0, 1e-12);
    }
}

/* ---- the report ----------------------------------------------------------------------- */

/* A campaign with every kind of parameter, units, an outcome constraint,
 * predictions for most experiments, failures with awkward reasons and an
 * abandoned experiment. Returns the database path in `path`. */
static void showcase_campaign(char *path, size_t size, const char *name)
{
    char spec[2048];
    gn_db *db;
    gn_campaign *c;
    const size_t n = 48;
    gn_experiment_rec *recs = calloc(n, sizeof *recs);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    static const char *solvents[] = {"water", "ethanol", "<toluene>"};
    const char *names[] = {"yield", "cost"};
    size_t i;

    assert_non_null(recs);
    fresh_db(path, size, name);
    snprintf(spec, sizeof spec,
             "name: %s\n"
             "description: \"A toy reactor <b>with</b> & odd 'characters'\"\n"
             "parameters:\n"
             "  - {name: temperature, type: real, low: 300, high: 400, unit: K}\n"
             "  - {name: time, type: real, low: 1, high: 100, scale: log, unit: min}\n"
             "  - {name: stages, type: int, low: 1, high: 5}\n"
             "  - {name: solvent, type: choice, values: [water, ethanol, \"<toluene>\"]}\n"
             "  - {name: stirring, type: real, low: 0, high: 1, unit: a.u.}\n"
             "objectives:\n  - {name: yield, goal: maximize}\n"
             "outcome_constraints:\n  - {name: cost, max: 12}\n"
             "budget: {experiments: 60}\n",
             name);
    open_text(path, spec, &db, &c);
    gsl_rng_set(rng, 7);
    for (i = 0; i < n; i++) {
        double T = 300 + 100 * gsl_rng_uniform(rng), t = exp(log(100.0) * gsl_rng_uniform(rng));
        int st = 1 + (int)gsl_rng_uniform_int(rng, 5), so = (int)gsl_rng_uniform_int(rng, 3);
        double stir = gsl_rng_uniform(rng);
        double y = exp(-pow((T - 355) / 30, 2)) * (1 - exp(-t / 15)) * (so == 1 ? 1.0 : 0.8) + 0.02 * st;
        char buf[512];
        snprintf(buf, sizeof buf,
                 "{\"temperature\": %.17g, \"time\": %.17g, \"stages\": %d, \"solvent\": \"%s\", \"stirring\": %.17g}",
                 T, t, st, so == 2 ? "<toluene>" : solvents[so], stir);
        recs[i].params = strdup(buf);
        if (i >= 8) {
            double sd = 0.04 + 0.04 * gsl_rng_uniform(rng);
            snprintf(buf, sizeof buf, "{\"yield\": {\"mean\": %.17g, \"sd\": %.17g}}", y + gsl_ran_gaussian(rng, sd),
                     sd);
            recs[i].prediction = strdup(buf);
        }
        recs[i].origin = "planner:test";
    }
    assert_int_equal(gn_store_experiments_add(c->db->store, c->rec.id, recs, n, NULL), GN_OK);
    for (i = 0; i < n; i++) {
        if (i == 5)
            assert_int_equal(gn_campaign_tell_failure(c, recs[i].number, "runner said <script>alert(1)</script> & died"),
                             GN_OK);
        else if (i == 17)
            assert_int_equal(gn_campaign_tell_failure(c, recs[i].number, "timeout after 600 s"), GN_OK);
        else if (i == 30)
            assert_int_equal(gn_store_experiment_abandon(c->db->store, recs[i].id, "sample lost", NULL), GN_OK);
        else {
            double x[5], vals[2];
            assert_int_equal(gn_space_params_parse(&c->space, recs[i].params, x, NULL), GN_OK);
            vals[0] = exp(-pow((x[0] - 355) / 30, 2)) * (1 - exp(-x[1] / 15)) * (x[3] == 1 ? 1.0 : 0.8) +
                      0.02 * x[2] + gsl_ran_gaussian(rng, 0.01);
            vals[1] = 5 + x[1] / 5;
            assert_int_equal(gn_campaign_tell(c, recs[i].number, 2, names, vals), GN_OK);
        }
        free(recs[i].params);
        free(recs[i].prediction);
    }
    free(recs);
    gsl_rng_free(rng);
    gn_campaign_close(c);
    gn_db_close(db);
}

static void write_report(const char *db_path, const char *name, const char *format, const char *out)
{
    gn_db *db;
    gn_campaign *c;
    assert_int_equal(gn_db_open(db_path, &db), GN_OK);
    assert_int_equal(gn_campaign_open(db, name, &c), GN_OK);
    if (gn_campaign_report(c, format, out) != GN_OK)
        fail_msg("report: %s", gn_campaign_errmsg(c));
    assert_int_equal(gn_campaign_report(c, "pdf", out), GN_ERR_INVALID);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* Every section is there, the page is self-contained (no http, no
 * scripts, no external resources), every <svg> is closed, and text from
 * the database is escaped. */
static void report_contents(void **state)
{
    char path[512], out[600];
    char *html, *md, *js;
    json_t *root;
    json_error_t jerr;
    static const char *sections[] = {"id=\"summary\"", "id=\"best\"", "id=\"convergence\"", "id=\"importance\"",
                                     "id=\"partial-dependence\"", "id=\"calibration\"", "id=\"feasibility\"",
                                     "id=\"failures\"", "id=\"provenance\"", "Campaign spec (verbatim",
                                     "random search", "best so far", "y = x", "temperature [K]",
                                     "time [min] (log scale)", "Genesis version", "planner seed", "datasets"};
    size_t i;

    (void)state;
    showcase_campaign(path, sizeof path, "showcase");
    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-showcase.html");
    write_report(path, "showcase", "html", out);
    html = read_file(out);
    for (i = 0; i < sizeof sections / sizeof *sections; i++)
        if (!strstr(html, sections[i]))
            fail_msg("the report lacks %s", sections[i]);
    assert_null(strstr(html, "http"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "url("));
    assert_true(count(html, "<svg") >= 6);
    assert_int_equal(count(html, "<svg"), count(html, "</svg>"));
    assert_int_equal(count(html, "<figure>"), count(html, "</figure>"));
    assert_int_equal(count(html, "<section"), count(html, "</section>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; died"));
    assert_non_null(strstr(html, "&lt;toluene&gt;"));
    assert_non_null(strstr(html, "A toy reactor &lt;b&gt;with&lt;/b&gt; &amp; odd &#39;characters&#39;"));
    assert_non_null(strstr(html, "sample lost"));
    assert_non_null(strstr(html, "timeout after 600 s"));
    assert_non_null(strstr(html, "@media print"));
    free(html);

    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-showcase.md");
    write_report(path, "showcase", "md", out);
    md = read_file(out);
    assert_non_null(strstr(md, "see the HTML report"));
    assert_non_null(strstr(md, "## Best experiments"));
    assert_non_null(strstr(md, "### Calibration"));
    assert_non_null(strstr(md, "## Provenance"));
    assert_non_null(strstr(md, "| temperature |"));
    free(md);

    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-showcase.json");
    write_report(path, "showcase", "json", out);
    js = read_file(out);
    root = json_loads(js, 0, &jerr);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "failures")), 3);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(root, "feasibility"), "constraints"), 0),
                         "violated")) +
                         json_integer_value(json_object_get(
                             json_array_get(json_object_get(json_object_get(root, "feasibility"), "constraints"), 0),
                             "satisfied")),
                     45);
    assert_int_equal(json_integer_value(json_object_get(calib_of(root), "excluded_no_prediction")), 7); /* 8 without, one of them failed */
    json_decref(root);
    free(js);
}

/* The HTML report in a real browser: no console messages at all (the page
 * has no scripts, so any message is an error), and a screenshot for a
 * person to look at: <build>/report-screenshot.png. A page with a script
 * error is checked first, so that a silent browser proves something. */
static void report_browser(void **state)
{
    char path[512], out[600], cmd[3000], profile[600];
    const char *chromium = NULL;
    static const char *candidates[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"};
    const char *shot = GN_BINARY_DIR "/report-screenshot.png";
    struct stat sb;
    char *log;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof candidates / sizeof *candidates; i++)
        if (access(candidates[i], X_OK) == 0) {
            chromium = candidates[i];
            break;
        }
    if (!chromium) {
        print_message("SKIPPED: chromium is not installed (scripts/install-deps installs it); no browser check\n");
        skip();
    }
    /* the control: a broken page must be reported */
    {
        FILE *f = fopen(GN_TEST_TMP "/analyse-broken.html", "w");
        assert_non_null(f);
        fputs("<!DOCTYPE html><html><body><script>undefined_function();</script></body></html>\n", f);
        fclose(f);
    }
#define CHROMIUM_RUN(url, png, logfile)                                                                             \
    do {                                                                                                            \
        snprintf(profile, sizeof profile, GN_TEST_TMP "/analyse-chromium-%ld", (long)getpid());                    \
        snprintf(cmd, sizeof cmd,                                                                                   \
                 "rm -rf '%s' && mkdir -p '%s' && '%s' --headless --no-sandbox --disable-gpu "                      \
                 "--disable-background-networking --disable-component-update --disable-sync --no-first-run "       \
                 "--user-data-dir='%s' --window-size=1280,4000 --screenshot='%s' --enable-logging=stderr --v=0 "    \
                 "'%s' > '%s' 2>&1; rm -rf '%s'",                                                                   \
                 profile, profile, chromium, profile, png, url, logfile, profile);                                  \
        assert_int_equal(system(cmd), 0);                                                                           \
    } while (0)
    CHROMIUM_RUN("file://" GN_TEST_TMP "/analyse-broken.html", GN_TEST_TMP "/analyse-broken.png",
                 GN_TEST_TMP "/analyse-broken.log");
    log = read_file(GN_TEST_TMP "/analyse-broken.log");
    if (!strstr(log, "Uncaught") && !strstr(log, ":CONSOLE"))
        fail_msg("chromium did not report the control page's error; the check would prove nothing:\n%s", log);
    free(log);

    showcase_campaign(path, sizeof path, "browser");
    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-browser.html");
    write_report(path, "browser", "html", out);
    unlink(shot);
    {
        char url[700];
        snprintf(url, sizeof url, "file://%s", out);
        CHROMIUM_RUN(url, shot, GN_TEST_TMP "/analyse-browser.log");
    }
    log = read_file(GN_TEST_TMP "/analyse-browser.log");
    if (strstr(log, ":CONSOLE") || strstr(log, "Uncaught"))
        fail_msg("console messages while rendering the report:\n%s", log);
    free(log);
    assert_int_equal(stat(shot, &sb), 0);
    assert_true(sb.st_size > 20000); /* a rendered page, not a blank one */
    print_message("screenshot of the report: %s\n", shot);
}

/* ---- the commands ----------------------------------------------------------------------- */

static int run_cmd(const char *fmt, const char *a, const char *b)
{
    char cmd[2000];
    int rc;
    snprintf(cmd, sizeof cmd, fmt, getenv("GENESIS_BIN") ? getenv("GENESIS_BIN") : GN_BINARY_DIR "/genesis", a, b);
    rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void cli_commands(void **state)
{
    char path[512], out[600], *text;
    (void)state;
    showcase_campaign(path, sizeof path, "cli");
    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-cli.txt");
    assert_int_equal(run_cmd("'%s' analyse cli --db '%s' > '%s'", path, out), 0);
    text = read_file(out);
    assert_non_null(strstr(text, "objective yield (maximize)"));
    assert_non_null(strstr(text, "importance"));
    assert_non_null(strstr(text, "coverage of mean"));
    assert_non_null(strstr(text, "convergence"));
    assert_true(strstr(text, "continue:") || strstr(text, "stop:"));
    free(text);
    assert_int_equal(run_cmd("'%s' analyse cli --db '%s' --json > '%s'", path, out), 0);
    text = read_file(out);
    assert_non_null(strstr(text, "\"calibration\""));
    free(text);
    assert_int_equal(run_cmd("'%s' analyse nosuch --db '%s' 2>/dev/null%s", path, ""), 4);
    assert_int_equal(run_cmd("'%s' analyse --help > /dev/null%s%s", "", ""), 0);
    assert_int_equal(run_cmd("'%s' report cli --db '%s' 2>/dev/null%s", path, ""), 2); /* no -o */
    snprintf(out, sizeof out, GN_TEST_TMP "/analyse-cli.html");
    assert_int_equal(run_cmd("'%s' report cli --db '%s' -o '%s' > /dev/null", path, out), 0);
    assert_int_equal(access(out, R_OK), 0);
    assert_int_equal(run_cmd("'%s' report cli --db '%s' -o '%s' --format pdf 2>/dev/null", path, out), 2);
    assert_int_equal(run_cmd("'%s' report --help > /dev/null%s%s", "", ""), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(importance_ignored_input),
        cmocka_unit_test(sobol_ishigami_exact),
        cmocka_unit_test(sobol_ishigami_gp),
        cmocka_unit_test(calibration_exact),
        cmocka_unit_test(calibration_overconfident),
        cmocka_unit_test(random_search_brute_force),
        cmocka_unit_test(report_contents),
        cmocka_unit_test(report_browser),
        cmocka_unit_test(cli_commands),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
