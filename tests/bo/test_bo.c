/*
 * tests/bo/test_bo.c - the bo planner (src/plan/bo.c) and its acquisition
 * functions (src/plan/acquisition.c).
 *
 * Specs are built by hand (tspec below); the planner is driven through its
 * gn_planner_type operations directly. Benchmarks run a fixed number of
 * evaluations over fixed seeds and assert on regret, never on time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"

#include "core/alloc.h"
#include "plan/acquisition.h"
#include "plan/bo.h"
#include "plan/planner.h"
#include "plan/space.h"

/* ---- a hand-built spec ------------------------------------------------------ */

#define T_MAX_PARAMS 16

typedef struct tspec {
    gn_spec spec;
    gn_param params[T_MAX_PARAMS];
    char *choice_text[T_MAX_PARAMS][8];
    gn_linear_constraint cons[2];
    double coef[2][T_MAX_PARAMS];
    gn_objective obj[2];
    gn_outcome_constraint oc[2];
    gn_space space;
} tspec;

static tspec *ts_new(int maximize, long budget)
{
    tspec *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->spec.name = "test";
    t->spec.params = t->params;
    t->spec.constraints = t->cons;
    t->spec.objectives = t->obj;
    t->spec.outcome_constraints = t->oc;
    t->obj[0].name = "y";
    t->obj[0].maximize = maximize;
    t->spec.n_objectives = 1;
    t->spec.budget.experiments = budget;
    gn_space_init(&t->space, &t->spec);
    return t;
}

static void ts_param(tspec *t, gn_param_type type, double low, double high, size_t n_choices)
{
    static char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h",
                                  "i", "j", "k", "l", "m", "n", "o", "p"};
    static char *const values[] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"};
    gn_param *p = &t->params[t->spec.n_params];
    size_t k;
    assert_true(t->spec.n_params < T_MAX_PARAMS && n_choices <= 8);
    p->name = names[t->spec.n_params];
    p->type = type;
    p->low = low;
    p->high = high;
    if (type == GN_PARAM_CHOICE) {
        for (k = 0; k < n_choices; k++)
            t->choice_text[t->spec.n_params][k] = values[k];
        p->choices = t->choice_text[t->spec.n_params];
        p->n_choices = n_choices;
    }
    t->spec.n_params++;
    gn_space_init(&t->space, &t->spec);
}

static void ts_real(tspec *t, double low, double high)
{
    ts_param(t, GN_PARAM_REAL, low, high, 0);
}

/* coef . x <= rhs */
static void ts_constraint(tspec *t, const double *coef, double rhs)
{
    gn_linear_constraint *c = &t->cons[t->spec.n_constraints];
    memcpy(t->coef[t->spec.n_constraints], coef, t->spec.n_params * sizeof *coef);
    c->text = "linear";
    c->coef = t->coef[t->spec.n_constraints];
    c->rhs = rhs;
    t->spec.n_constraints++;
}

/* ---- driving the planner ------------------------------------------------------- */

/* An experiment: fills y (objectives) and c (outcome constraints); returns
 * 0 when the experiment fails. */
typedef int (*tfun)(const double *x, double *y, double *c);

typedef struct trun {
    double best;      /* best feasible objective (in the spec's direction) */
    double best_x[T_MAX_PARAMS];
    int n_pred;       /* model-based proposals with a prediction */
    int n_bad_pred;   /* ... whose sd is not positive or mean not finite */
} trun;

static void *bo_new(tspec *t, uint64_t seed, const gn_bo_options *o)
{
    void *s = NULL;
    gn_err err;
    assert_int_equal(gn_planner_bo.create(&t->space, seed, &s, &err), GN_OK);
    if (o)
        assert_int_equal(gn_bo_set_options(s, o, &err), GN_OK);
    return s;
}

static int feasible_outcome(const tspec *t, const double *c)
{
    size_t j;
    for (j = 0; j < t->spec.n_outcome_constraints; j++) {
        if (t->oc[j].has_min && c[j] < t->oc[j].min)
            return 0;
        if (t->oc[j].has_max && c[j] > t->oc[j].max)
            return 0;
    }
    return 1;
}

/* Runs n sequential evaluations of f; every proposal must be feasible. */
static trun run_bo(tspec *t, uint64_t seed, const gn_bo_options *o, tfun f, int n)
{
    void *s = bo_new(t, seed, o);
    size_t d = t->space.dim;
    double x[T_MAX_PARAMS], y[2], c[2], mean[2], sd[2];
    int has_pred, i, maximize = t->obj[0].maximize;
    trun r;
    gn_err err;

    memset(&r, 0, sizeof r);
    r.best = maximize ? -HUGE_VAL : HUGE_VAL;
    for (i = 0; i < n; i++) {
        gn_ask_ctx ctx = {i, NULL, 0};
        gn_ask_out out = {x, mean, sd, &has_pred};
        gn_observation ob;
        gn_status st = gn_planner_bo.ask(s, &ctx, 1, &out, &err);
        int ok;
        if (st != GN_OK)
            fprintf(stderr, "ask %d: %s\n", i, err.msg);
        assert_int_equal(st, GN_OK);
        assert_true(gn_space_feasible(&t->space, x));
        if (has_pred) {
            r.n_pred++;
            if (!(sd[0] > 0.0) || !isfinite(mean[0]))
                r.n_bad_pred++;
        }
        ok = f(x, y, c);
        ob.x = x;
        ob.status = ok ? GN_OBS_COMPLETED : GN_OBS_FAILED;
        ob.y = ok ? y : NULL;
        ob.c = ok && t->spec.n_outcome_constraints ? c : NULL;
        assert_int_equal(gn_planner_bo.tell(s, &ob, 1, &err), GN_OK);
        if (ok && feasible_outcome(t, c) && (maximize ? y[0] > r.best : y[0] < r.best)) {
            r.best = y[0];
            memcpy(r.best_x, x, d * sizeof *x);
        }
    }
    gn_planner_bo.destroy(s);
    return r;
}

/* The same loop with the sobol planner, for comparison. */
static double run_sobol(tspec *t, uint64_t seed, tfun f, int n)
{
    void *s = NULL;
    double x[T_MAX_PARAMS], y[2], c[2], best = HUGE_VAL;
    int i;
    gn_err err;
    assert_int_equal(gn_planner_sobol.create(&t->space, seed, &s, &err), GN_OK);
    for (i = 0; i < n; i++) {
        gn_ask_ctx ctx = {i, NULL, 0};
        gn_ask_out out = {x, NULL, NULL, NULL};
        assert_int_equal(gn_planner_sobol.ask(s, &ctx, 1, &out, &err), GN_OK);
        f(x, y, c);
        if (y[0] < best)
            best = y[0];
    }
    gn_planner_sobol.destroy(s);
    return best;
}

static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    return c < a ? a : c > b ? b : c;
}

/* ---- test functions -------------------------------------------------------------- */

#define BRANIN_MIN 0.397887357729739
#define HARTMANN6_MIN (-3.32236801141551)

static int branin(const double *x, double *y, double *c)
{
    const double a = 1.0, b = 5.1 / (4.0 * M_PI * M_PI), cc = 5.0 / M_PI, r = 6.0, s = 10.0,
                 t = 1.0 / (8.0 * M_PI);
    double u = x[1] - b * x[0] * x[0] + cc * x[0] - r;
    (void)c;
    y[0] = a * u * u + s * (1.0 - t) * cos(x[0]) + s;
    return 1;
}

static int hartmann6(const double *x, double *y, double *c)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double v = 0.0;
    int i, j;
    (void)c;
    for (i = 0; i < 4; i++) {
        double e = 0.0;
        for (j = 0; j < 6; j++)
            e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
        v -= alpha[i] * exp(-e);
    }
    y[0] = v;
    return 1;
}

/* ---- acquisition functions ---------------------------------------------------- */

static double ei_direct(double mean, double sd, double best)
{
    double z = (mean - best) / sd;
    double Phi = 0.5 * erfc(-z / sqrt(2.0)), phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    return sd * (z * Phi + phi);
}

static void logei_matches_direct(void **state)
{
    double z;
    (void)state;
    for (z = -5.0; z <= 5.0; z += 0.125) {
        double sd = 0.7, best = 1.3, mean = best + z * sd;
        double direct = ei_direct(mean, sd, best);
        double lv = gn_acq_log_ei(mean, sd, best, NULL, NULL);
        assert_true(fabs(exp(lv) - direct) <= 1e-9 * direct);
    }
}

/* d/dmean and d/dsd of log EI against central differences. */
static void check_logei_gradient(double mean, double sd, double best)
{
    double dm, ds, h = 1e-6 * sd;
    double v = gn_acq_log_ei(mean, sd, best, &dm, &ds);
    double fm = (gn_acq_log_ei(mean + h, sd, best, NULL, NULL) - gn_acq_log_ei(mean - h, sd, best, NULL, NULL)) /
                (2.0 * h);
    double fs = (gn_acq_log_ei(mean, sd + h, best, NULL, NULL) - gn_acq_log_ei(mean, sd - h, best, NULL, NULL)) /
                (2.0 * h);
    assert_true(isfinite(v) && isfinite(dm) && isfinite(ds));
    assert_true(fabs(dm - fm) <= 1e-5 * fmax(1.0, fabs(fm)));
    assert_true(fabs(ds - fs) <= 1e-5 * fmax(1.0, fabs(fs)));
}

static void logei_far_tail(void **state)
{
    double z, lh, dz, asym;
    (void)state;
    /* at z = -40 EI itself underflows to 0 */
    assert_true(ei_direct(-40.0, 1.0, 0.0) == 0.0);
    lh = gn_acq_log_h(-40.0, &dz);
    /* log h(z) = log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4 - ...) */
    asym = -800.0 - 0.5 * log(2.0 * M_PI) - 2.0 * log(40.0) + log(1.0 - 3.0 / 1600.0 + 15.0 / 2560000.0);
    assert_true(isfinite(lh) && fabs(lh - asym) < 1e-7);
    assert_true(dz > 39.0 && dz < 41.0); /* d log h / dz ~ -z */
    check_logei_gradient(-40.0, 1.0, 0.0);
    check_logei_gradient(-4.0 * 0.3, 0.3, 0.0);
    for (z = -6.0; z <= 6.0; z += 0.37)
        check_logei_gradient(z * 2.0, 2.0, 0.0);
    /* finite and increasing all the way out */
    {
        double prev = -HUGE_VAL;
        for (z = -1e8; z < 10.0; z = z < -10.0 ? z / 3.0 : z + 0.5) {
            double v = gn_acq_log_h(z, &dz);
            assert_true(isfinite(v) && isfinite(dz) && dz > 0.0);
            assert_true(v > prev);
            prev = v;
        }
    }
    /* continuity where the two formulas meet (z = -3) */
    assert_near(gn_acq_log_h(-3.0 - 1e-12, NULL), gn_acq_log_h(-3.0 + 1e-12, NULL), 1e-10);
}

static void log_prob_between_tails(void **state)
{
    double m;
    (void)state;
    for (m = -3.0; m <= 3.0; m += 0.25) {
        double sd = 0.8, lo = -0.5, hi = 1.0, dm, ds;
        double p = 0.5 * erfc(-(hi - m) / sd / sqrt(2.0)) - 0.5 * erfc(-(lo - m) / sd / sqrt(2.0));
        double v = gn_acq_log_prob_between(m, sd, lo, hi, &dm, &ds), h = 1e-6;
        double fm = (gn_acq_log_prob_between(m + h, sd, lo, hi, NULL, NULL) -
                     gn_acq_log_prob_between(m - h, sd, lo, hi, NULL, NULL)) / (2 * h);
        double fs = (gn_acq_log_prob_between(m, sd + h, lo, hi, NULL, NULL) -
                     gn_acq_log_prob_between(m, sd - h, lo, hi, NULL, NULL)) / (2 * h);
        assert_true(fabs(exp(v) - p) <= 1e-12 + 1e-9 * p);
        assert_true(fabs(dm - fm) <= 1e-5 * fmax(1.0, fabs(fm)));
        assert_true(fabs(ds - fs) <= 1e-5 * fmax(1.0, fabs(fs)));
        /* one-sided */
        v = gn_acq_log_prob_between(m, sd, -INFINITY, hi, NULL, NULL);
        assert_true(fabs(exp(v) - 0.5 * erfc(-(hi - m) / sd / sqrt(2.0))) <= 1e-12);
        v = gn_acq_log_prob_between(m, sd, lo, INFINITY, NULL, NULL);
        assert_true(fabs(exp(v) - 0.5 * erfc((lo - m) / sd / sqrt(2.0))) <= 1e-12);
    }
    /* far out: finite logs with a usable gradient */
    {
        double dm, ds, v = gn_acq_log_prob_between(50.0, 1.0, -INFINITY, 0.0, &dm, &ds);
        assert_true(isfinite(v) && v < -1000.0 && dm < -49.0);
        v = gn_acq_log_prob_between(50.0, 1.0, -1.0, 0.0, &dm, &ds);
        assert_true(isfinite(v) && v < -1000.0 && isfinite(dm) && dm < 0.0);
        v = gn_acq_log_prob_between(-50.0, 1.0, 1.0, 2.0, &dm, &ds);
        assert_true(isfinite(v) && v < -1000.0 && isfinite(dm) && dm > 0.0);
    }
}

/* ---- options ---------------------------------------------------------------------- */

static void options_defaults(void **state)
{
    tspec *t = ts_new(0, 0);
    gn_bo_options o;
    void *s;
    gn_err err;
    double x[2], y = 1.0;
    gn_ask_ctx ctx = {0, NULL, 0};
    gn_ask_out out = {x, NULL, NULL, NULL};
    (void)state;

    ts_real(t, 0, 1);
    ts_real(t, 0, 1);
    gn_bo_options_default(&o, &t->spec);
    assert_int_equal(o.initial, 5); /* max(2*2+1, 5) */
    assert_int_equal(o.acquisition, GN_BO_ACQ_LOGEI);
    assert_int_equal(o.exploit_every, 2);
    t->spec.budget.experiments = 9;
    gn_bo_options_default(&o, &t->spec);
    assert_int_equal(o.initial, 3); /* capped at budget/3 */
    t->spec.planner.initial = 7;
    gn_bo_options_default(&o, &t->spec);
    assert_int_equal(o.initial, 7);

    s = bo_new(t, 1, NULL);
    o.ucb_beta = -1.0;
    assert_int_equal(gn_bo_set_options(s, &o, &err), GN_ERR_INVALID);
    o.ucb_beta = 2.0;
    o.initial = 0;
    assert_int_equal(gn_bo_set_options(s, &o, &err), GN_ERR_INVALID);
    o.initial = 3;
    assert_int_equal(gn_bo_set_options(s, &o, &err), GN_OK);
    assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
    assert_int_equal(gn_bo_set_options(s, &o, &err), GN_ERR_STATE);
    (void)y;
    gn_planner_bo.destroy(s);
    free(t);
}

/* ---- benchmarks --------------------------------------------------------------------- */

static tspec *branin_spec(void)
{
    tspec *t = ts_new(0, 30);
    ts_real(t, -5, 10);
    ts_real(t, 0, 15);
    return t;
}

static void branin_regret(void **state)
{
    uint64_t seed;
    (void)state;
    for (seed = 1; seed <= 3; seed++) {
        tspec *t = branin_spec();
        trun r = run_bo(t, seed, NULL, branin, 30);
        printf("branin seed %d: best %.6f regret %.2e (x = %.4f, %.4f)\n", (int)seed, r.best,
               r.best - BRANIN_MIN, r.best_x[0], r.best_x[1]);
        assert_true(r.best - BRANIN_MIN < 0.05);
        assert_true(r.n_pred == 30 - 5 && r.n_bad_pred == 0);
        free(t);
    }
}

static void branin_ucb_lognei(void **state)
{
    gn_bo_options o;
    int a;
    (void)state;
    for (a = 0; a < 2; a++) {
        tspec *t = branin_spec();
        trun r;
        gn_bo_options_default(&o, &t->spec);
        o.acquisition = a == 0 ? GN_BO_ACQ_UCB : GN_BO_ACQ_LOGNEI;
        r = run_bo(t, 7, &o, branin, 30);
        printf("branin %s: regret %.2e\n", a == 0 ? "UCB" : "LogNEI", r.best - BRANIN_MIN);
        assert_true(r.best - BRANIN_MIN < 0.1);
        free(t);
    }
}

static void hartmann6_beats_sobol(void **state)
{
    double bo[3], so[3];
    int k;
    (void)state;
    for (k = 0; k < 3; k++) {
        tspec *t = ts_new(0, 50);
        int j;
        trun r;
        for (j = 0; j < 6; j++)
            ts_real(t, 0, 1);
        r = run_bo(t, (uint64_t)k + 1, NULL, hartmann6, 50);
        bo[k] = r.best - HARTMANN6_MIN;
        so[k] = run_sobol(t, (uint64_t)k + 1, hartmann6, 50) - HARTMANN6_MIN;
        printf("hartmann6 seed %d: regret bo %.3e sobol %.3e\n", k + 1, bo[k], so[k]);
        free(t);
    }
    assert_true(median3(bo[0], bo[1], bo[2]) < median3(so[0], so[1], so[2]));
}

/* ---- mixed and constrained spaces ---------------------------------------------------------- */

/* int a in 1..5, choice b of 3, real c in [0,1]: maximum 0 at a = 4, b = 2, c = 0.3 */
static int mixed_fun(const double *x, double *y, double *c)
{
    static const double by_choice[3] = {-1.0, -0.6, 0.0};
    (void)c;
    assert_true(x[0] == floor(x[0]) && x[0] >= 1 && x[0] <= 5);
    assert_true(x[1] == 0 || x[1] == 1 || x[1] == 2);
    y[0] = -0.25 * (x[0] - 4) * (x[0] - 4) + by_choice[(int)x[1]] - 4.0 * (x[2] - 0.3) * (x[2] - 0.3);
    return 1;
}

static void ints_and_choices(void **state)
{
    tspec *t = ts_new(1, 40);
    trun r;
    (void)state;
    ts_param(t, GN_PARAM_INT, 1, 5, 0);
    ts_param(t, GN_PARAM_CHOICE, 0, 0, 3);
    ts_real(t, 0, 1);
    r = run_bo(t, 3, NULL, mixed_fun, 30);
    printf("mixed: best %.5f at (%g, %g, %.4f)\n", r.best, r.best_x[0], r.best_x[1], r.best_x[2]);
    assert_true(r.best_x[0] == 4 && r.best_x[1] == 2);
    assert_true(r.best > -0.01);
    free(t);
}

/* minimum of (a-1)^2 + (b-1)^2 subject to a + b <= 1: (0.5, 0.5), value 0.5 */
static int corner_fun(const double *x, double *y, double *c)
{
    (void)c;
    assert_true(x[0] + x[1] <= 1.0 + 1e-9);
    y[0] = (x[0] - 1) * (x[0] - 1) + (x[1] - 1) * (x[1] - 1);
    return 1;
}

static void linear_constraint(void **state)
{
    tspec *t = ts_new(0, 30);
    const double coef[2] = {1.0, 1.0};
    trun r;
    (void)state;
    ts_real(t, 0, 1);
    ts_real(t, 0, 1);
    ts_constraint(t, coef, 1.0);
    r = run_bo(t, 5, NULL, corner_fun, 25);
    printf("linear constraint: best %.5f at (%.4f, %.4f)\n", r.best, r.best_x[0], r.best_x[1]);
    assert_true(r.best - 0.5 < 0.01);
    free(t);
}

/* maximise a + b subject to c = a^2 + b^2 <= 0.5: the optimum is a = b = 0.5 */
static int disk_fun(const double *x, double *y, double *c)
{
    y[0] = x[0] + x[1];
    c[0] = x[0] * x[0] + x[1] * x[1];
    return 1;
}

static void outcome_constraint(void **state)
{
    tspec *t = ts_new(1, 30);
    trun r;
    (void)state;
    ts_real(t, 0, 1);
    ts_real(t, 0, 1);
    t->oc[0].name = "c";
    t->oc[0].has_max = 1;
    t->oc[0].max = 0.5;
    t->spec.n_outcome_constraints = 1;
    r = run_bo(t, 2, NULL, disk_fun, 30);
    printf("outcome constraint: best %.5f at (%.4f, %.4f); %d predictions\n", r.best, r.best_x[0],
           r.best_x[1], r.n_pred);
    assert_true(r.best > 0.97);
    assert_int_equal(r.n_pred, 30 - 5);
    assert_int_equal(r.n_bad_pred, 0);
    free(t);
}

/* ---- batches, pending points, pools ------------------------------------------------------- */

static void tell_one(void *s, const double *x, tfun f)
{
    double y[2], c[2];
    gn_observation ob;
    gn_err err;
    int ok = f(x, y, c);
    ob.x = x;
    ob.status = ok ? GN_OBS_COMPLETED : GN_OBS_FAILED;
    ob.y = ok ? y : NULL;
    ob.c = c;
    assert_int_equal(gn_planner_bo.tell(s, &ob, 1, &err), GN_OK);
}

static void batch_distinct(void **state)
{
    tspec *t = branin_spec();
    void *s = bo_new(t, 11, NULL);
    double x[4 * 2], mean[4], sd[4];
    int has[4], i, j, round;
    gn_err err;
    (void)state;

    for (round = 0; round < 4; round++) {
        gn_ask_ctx ctx = {round * 4, NULL, 0};
        gn_ask_out out = {x, mean, sd, has};
        assert_int_equal(gn_planner_bo.ask(s, &ctx, 4, &out, &err), GN_OK);
        for (i = 0; i < 4; i++) {
            assert_true(gn_space_feasible(&t->space, x + 2 * i));
            for (j = 0; j < i; j++)
                assert_true(fabs(x[2 * i] - x[2 * j]) + fabs(x[2 * i + 1] - x[2 * j + 1]) > 1e-6);
            if (round >= 2) {
                assert_int_equal(has[i], 1);
                assert_true(sd[i] > 0.0 && isfinite(mean[i]));
            }
        }
        for (i = 0; i < 4; i++)
            tell_one(s, x + 2 * i, branin);
    }
    gn_planner_bo.destroy(s);
    free(t);
}

/* In a batch, the exploitation steps come first (docs/bo.md, "Batches"):
 * with a global model and exploit_every = 2, the first two proposals of
 * a model-based batch of 4 maximise UCB with beta 0.1, so both have a
 * better predicted mean (Branin is minimised) than the two the
 * acquisition chose after them (by index alone, the 1st and 3rd would
 * exploit). */
static void batch_exploits_first(void **state)
{
    tspec *t = branin_spec();
    void *s = bo_new(t, 5, NULL);
    double x[4 * 2], mean[4], sd[4];
    int has[4], i, round;
    gn_err err;
    (void)state;

    for (round = 0; round < 5; round++) {
        gn_ask_ctx ctx = {round * 4, NULL, 0};
        gn_ask_out out = {x, mean, sd, has};
        assert_int_equal(gn_planner_bo.ask(s, &ctx, 4, &out, &err), GN_OK);
        if (round >= 2) {
            printf("round %d: predicted means %.4g %.4g | %.4g %.4g\n", round, mean[0], mean[1], mean[2],
                   mean[3]);
            for (i = 0; i < 4; i++)
                assert_int_equal(has[i], 1);
            assert_true(fmax(mean[0], mean[1]) <= fmin(mean[2], mean[3]));
        }
        for (i = 0; i < 4; i++)
            tell_one(s, x + 2 * i, branin);
    }
    gn_planner_bo.destroy(s);
    free(t);
}

/* A space of 3 x 2 = 6 points: with 3 observed and 2 pending, the one
 * left must be proposed. Also: a continuous space where the planner's own
 * proposal is passed back as pending is never proposed again. */
static int small_fun(const double *x, double *y, double *c)
{
    (void)c;
    y[0] = x[0] + 2.0 * x[1];
    return 1;
}

static void pending_not_reproposed(void **state)
{
    tspec *t = ts_new(1, 20);
    gn_bo_options o;
    void *s;
    double obs[3][2] = {{1, 0}, {2, 1}, {3, 0}}, pend[2 * 2] = {1, 1, 3, 1}, x[2], mean[1], sd[1];
    int has, i;
    gn_err err;
    gn_ask_ctx ctx = {5, pend, 2};
    gn_ask_out out = {x, mean, sd, &has};
    (void)state;

    ts_param(t, GN_PARAM_INT, 1, 3, 0);
    ts_param(t, GN_PARAM_CHOICE, 0, 0, 2);
    gn_bo_options_default(&o, &t->spec);
    o.initial = 3;
    s = bo_new(t, 1, &o);
    for (i = 0; i < 3; i++)
        tell_one(s, obs[i], small_fun);
    assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
    assert_true(x[0] == 2 && x[1] == 0);
    /* nothing left */
    pend[0] = 2;
    pend[1] = 0;
    tell_one(s, (double[]){1, 1}, small_fun);
    tell_one(s, (double[]){3, 1}, small_fun);
    ctx.n_pending = 1;
    assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_ERR_INFEASIBLE);
    gn_planner_bo.destroy(s);
    free(t);

    /* continuous: the acquisition's maximiser, once pending, is not proposed again */
    t = branin_spec();
    s = bo_new(t, 4, NULL);
    {
        double p[2 * 8], xs[2];
        gn_ask_ctx c2 = {0, p, 0};
        gn_ask_out o2 = {xs, NULL, NULL, NULL};
        for (i = 0; i < 10; i++) {
            c2.n_issued = i;
            assert_int_equal(gn_planner_bo.ask(s, &c2, 1, &o2, &err), GN_OK);
            tell_one(s, xs, branin);
        }
        for (i = 0; i < 8; i++) {
            int j;
            c2.n_issued = 10 + i;
            c2.n_pending = (size_t)i;
            assert_int_equal(gn_planner_bo.ask(s, &c2, 1, &o2, &err), GN_OK);
            for (j = 0; j < i; j++)
                assert_true(fabs(xs[0] - p[2 * j]) > 1e-9 || fabs(xs[1] - p[2 * j + 1]) > 1e-9);
            p[2 * i] = xs[0];
            p[2 * i + 1] = xs[1];
        }
    }
    gn_planner_bo.destroy(s);
    free(t);
}

static void candidate_pool(void **state)
{
    tspec *t = branin_spec();
    void *s = bo_new(t, 9, NULL);
    double pool[200 * 2], x[2], y[1], best = HUGE_VAL;
    unsigned char used[200];
    uint64_t r = 12345;
    int i, k, found_at = -1;
    gn_err err;
    (void)state;

    for (i = 0; i < 200; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        pool[2 * i] = -5.0 + 15.0 * (double)(r >> 11) * 0x1.0p-53;
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        pool[2 * i + 1] = 15.0 * (double)(r >> 11) * 0x1.0p-53;
        branin(pool + 2 * i, y, NULL);
        if (y[0] < best)
            best = y[0];
    }
    memset(used, 0, sizeof used);
    assert_int_equal(gn_bo_set_candidates(s, pool, 200, &err), GN_OK);
    for (i = 0; i < 60; i++) {
        gn_ask_ctx ctx = {i, NULL, 0};
        gn_ask_out out = {x, NULL, NULL, NULL};
        assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
        for (k = 0; k < 200; k++)
            if (x[0] == pool[2 * k] && x[1] == pool[2 * k + 1])
                break;
        assert_true(k < 200);
        assert_false(used[k]);
        used[k] = 1;
        branin(x, y, NULL);
        if (y[0] <= best && found_at < 0)
            found_at = i + 1;
        tell_one(s, x, branin);
    }
    printf("pool: best of 200 found at ask %d\n", found_at);
    assert_true(found_at > 0 && found_at <= 40);
    /* an infeasible candidate is refused */
    pool[0] = 11.0;
    assert_int_equal(gn_bo_set_candidates(s, pool, 200, &err), GN_ERR_INVALID);
    gn_planner_bo.destroy(s);
    free(t);
}

static void reproducible(void **state)
{
    double xs[2][20 * 2];
    int rep, i;
    (void)state;
    for (rep = 0; rep < 2; rep++) {
        tspec *t = branin_spec();
        void *s = bo_new(t, 21, NULL);
        gn_err err;
        for (i = 0; i < 20; i++) {
            gn_ask_ctx ctx = {i, NULL, 0};
            gn_ask_out out = {xs[rep] + 2 * i, NULL, NULL, NULL};
            assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
            tell_one(s, xs[rep] + 2 * i, branin);
        }
        gn_planner_bo.destroy(s);
        free(t);
    }
    for (i = 0; i < 40; i++)
        assert_true(xs[0][i] == xs[1][i]);
}

/* Branin that fails where a > 5: failed points are not proposed again and
 * the optimum on the remaining region (two of Branin's minima are there) is
 * found. */
static int branin_failing(const double *x, double *y, double *c)
{
    if (x[0] > 5.0)
        return 0;
    return branin(x, y, c);
}

static void failures(void **state)
{
    uint64_t seed;
    int late_total = 0;
    (void)state;
    for (seed = 1; seed <= 3; seed++) {
        tspec *t = branin_spec();
        void *s = bo_new(t, seed, NULL);
        double xs[40 * 2], y[1], best = HUGE_VAL;
        int i, j, n_fail_late = 0;
        gn_err err;

        for (i = 0; i < 40; i++) {
            gn_ask_ctx ctx = {i, NULL, 0};
            gn_ask_out out = {xs + 2 * i, NULL, NULL, NULL};
            assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
            for (j = 0; j < i; j++)
                assert_true(xs[2 * i] != xs[2 * j] || xs[2 * i + 1] != xs[2 * j + 1]);
            if (branin_failing(xs + 2 * i, y, NULL)) {
                if (y[0] < best)
                    best = y[0];
            } else if (i >= 20) {
                n_fail_late++;
            }
            tell_one(s, xs + 2 * i, branin_failing);
        }
        printf("failures seed %d: regret %.2e, %d failures among the last 20 (a third of the space fails)\n",
               (int)seed, best - BRANIN_MIN, n_fail_late);
        assert_true(best - BRANIN_MIN < 0.05);
        late_total += n_fail_late;
        gn_planner_bo.destroy(s);
        free(t);
    }
    /* uninformed sampling would fail a third of the time (20 of 60) */
    assert_true(late_total <= 12);
}

/* ---- high dimension: the trust region ------------------------------------------------- */

/* a shifted, scaled sphere in 12-D over [0,1]^12: minimum 0 */
static int sphere12(const double *x, double *y, double *c)
{
    double v = 0.0;
    int j;
    (void)c;
    for (j = 0; j < 12; j++)
        v += (1.0 + 0.5 * j) * (x[j] - 0.3 - 0.03 * j) * (x[j] - 0.3 - 0.03 * j);
    y[0] = v;
    return 1;
}

static void trust_region_high_dim(void **state)
{
    double bo[3], so[3];
    int k;
    (void)state;
    for (k = 0; k < 3; k++) {
        tspec *t = ts_new(0, 80);
        int j;
        trun r;
        for (j = 0; j < 12; j++)
            ts_real(t, 0, 1);
        r = run_bo(t, (uint64_t)k + 1, NULL, sphere12, 80); /* AUTO: trust region at dim 12 */
        bo[k] = r.best;
        so[k] = run_sobol(t, (uint64_t)k + 1, sphere12, 80);
        printf("sphere12 seed %d: bo %.4f sobol %.4f\n", k + 1, bo[k], so[k]);
        free(t);
    }
    assert_true(median3(bo[0], bo[1], bo[2]) < 0.5 * median3(so[0], so[1], so[2]));
}

/* TuRBO's batch rule: a tell of 4 observations of which one (the last)
 * improves the best is one success; three in a row double the box (0.8 ->
 * 1.6). Counted observation by observation, each such batch would be 3
 * failures then 1 success, and the box would never grow. A batch without
 * an improvement is 4 failures: at dim 10, three of them (12 >= 10) halve
 * the box. No ask is needed: the bookkeeping happens at tell. */
static void trust_region_batch_rule(void **state)
{
    tspec *t = ts_new(1, 100);
    void *s;
    double x[4 * 10], y[4], len = 0.0;
    gn_observation ob[4];
    gn_err err;
    int j, b, k;
    (void)state;

    for (j = 0; j < 10; j++)
        ts_real(t, 0, 1);
    s = bo_new(t, 1, NULL);
    for (b = 0; b < 6 + 3; b++) {
        /* first the initial design (21 points, 6 batches), then 3 batches
         * whose last observation is a new best */
        for (k = 0; k < 4; k++) {
            for (j = 0; j < 10; j++)
                x[k * 10 + j] = 0.01 * (double)(b * 4 + k + 1) + 0.001 * (double)j;
            y[k] = (k == 3) ? 10.0 + (double)b : 1.0;
            ob[k].x = x + k * 10;
            ob[k].status = GN_OBS_COMPLETED;
            ob[k].y = &y[k];
            ob[k].c = NULL;
        }
        assert_int_equal(gn_planner_bo.tell(s, ob, 4, &err), GN_OK);
    }
    gn__bo_trust_region(s, &len, NULL);
    assert_true(fabs(len - 1.6) < 1e-12);

    for (b = 0; b < 3; b++) { /* no improvement: 4 failures each */
        for (k = 0; k < 4; k++) {
            for (j = 0; j < 10; j++)
                x[k * 10 + j] = 0.5 + 0.01 * (double)(b * 4 + k + 1) + 0.001 * (double)j;
            y[k] = 0.0;
            ob[k].x = x + k * 10;
            ob[k].status = GN_OBS_COMPLETED;
            ob[k].y = &y[k];
            ob[k].c = NULL;
        }
        assert_int_equal(gn_planner_bo.tell(s, ob, 4, &err), GN_OK);
    }
    gn__bo_trust_region(s, &len, NULL);
    assert_true(fabs(len - 0.8) < 1e-12);
    gn_planner_bo.destroy(s);
    free(t);
}

/* ---- out of memory ------------------------------------------------------------------ */

static void out_of_memory(void **state)
{
    tspec *t = branin_spec();
    void *s = bo_new(t, 3, NULL);
    double x[2 * 2], pend[2] = {1.0, 2.0};
    long n_allocs, k;
    int i;
    gn_err err;
    (void)state;

    for (i = 0; i < 8; i++) {
        gn_ask_ctx ctx = {i, NULL, 0};
        gn_ask_out out = {x, NULL, NULL, NULL};
        assert_int_equal(gn_planner_bo.ask(s, &ctx, 1, &out, &err), GN_OK);
        tell_one(s, x, branin);
    }
    {
        gn_ask_ctx ctx = {8, pend, 1};
        gn_ask_out out = {x, NULL, NULL, NULL};
        long before = gn__alloc_count();
        assert_int_equal(gn_planner_bo.ask(s, &ctx, 2, &out, &err), GN_OK);
        n_allocs = gn__alloc_count() - before;
    }
    /* every allocation up to 120, then a sample of the rest: NOMEM or OK, never a crash or leak */
    for (k = 1; k <= n_allocs; k += k < 120 ? 1 : 211) {
        gn_ask_ctx ctx = {8, pend, 1};
        gn_ask_out out = {x, NULL, NULL, NULL};
        gn_status st;
        gn__alloc_fail_at(k);
        st = gn_planner_bo.ask(s, &ctx, 2, &out, &err);
        gn__alloc_fail_at(0);
        assert_true(st == GN_OK || st == GN_ERR_NOMEM);
        tell_one(s, (double[]){-5.0 + 1e-3 * (double)k, 7.5}, branin); /* new data: a refit each time */
    }
    gn_planner_bo.destroy(s);
    free(t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(logei_matches_direct),
    cmocka_unit_test(logei_far_tail),
    cmocka_unit_test(log_prob_between_tails),
    cmocka_unit_test(options_defaults),
    cmocka_unit_test(branin_regret),
    cmocka_unit_test(branin_ucb_lognei),
    cmocka_unit_test(hartmann6_beats_sobol),
    cmocka_unit_test(ints_and_choices),
    cmocka_unit_test(linear_constraint),
    cmocka_unit_test(outcome_constraint),
    cmocka_unit_test(batch_distinct),
    cmocka_unit_test(batch_exploits_first),
    cmocka_unit_test(pending_not_reproposed),
    cmocka_unit_test(candidate_pool),
    cmocka_unit_test(reproducible),
    cmocka_unit_test(failures),
    cmocka_unit_test(trust_region_high_dim),
    cmocka_unit_test(trust_region_batch_rule),
    cmocka_unit_test(out_of_memory),
};

GN_TEST_MAIN(tests)
