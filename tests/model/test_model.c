/*
 * tests/model/test_model.c - the Gaussian-process surrogate (src/model).
 *
 * Data are generated here from seeded generators, so every case is
 * deterministic; comparisons use tolerances.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"

#include "core/alloc.h"
#include "model/gp.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct trng {
    uint64_t s;
} trng;

static double t_uniform(trng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

static double t_normal(trng *r)
{
    double u = t_uniform(r), v = t_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static double *t_points(trng *r, size_t n, size_t dim)
{
    double *X = malloc(n * dim * sizeof(double));
    size_t i;
    assert_non_null(X);
    for (i = 0; i < n * dim; i++)
        X[i] = t_uniform(r);
    return X;
}

static gn_gp *t_fit(size_t dim, gn_kernel_type kernel, gn_warp_type warp, const double *X, const double *y,
                    size_t n)
{
    gn_gp_options o;
    gn_gp *gp = NULL;
    gn_err err;
    gn_gp_options_default(&o);
    o.kernel = kernel;
    o.warp = warp;
    o.seed = 42;
    assert_int_equal(gn_gp_new(dim, &o, &gp, &err), GN_OK);
    if (gn_gp_fit(gp, X, y, n, &err) != GN_OK)
        fail_msg("fit: %s", err.msg);
    return gp;
}

/* Scale of the standardisation (unwarped models): original = mu + sd z. */
static double t_sd(const gn_gp *gp) { return 1.0 / (gn_gp_to_standard(gp, 1.0) - gn_gp_to_standard(gp, 0.0)); }

/* A smooth random function close to a GP sample with an RBF kernel of
 * lengthscale 0.25 (random Fourier features). */
#define RFF 300
typedef struct gpfun {
    size_t dim;
    double w[RFF][4], b[RFF], a[RFF];
} gpfun;

static void gpfun_init(gpfun *f, size_t dim, trng *r)
{
    size_t k, j;
    f->dim = dim;
    for (k = 0; k < RFF; k++) {
        for (j = 0; j < dim; j++)
            f->w[k][j] = t_normal(r) / 0.25;
        f->b[k] = 6.283185307179586 * t_uniform(r);
        f->a[k] = t_normal(r);
    }
}

static double gpfun_eval(const gpfun *f, const double *x)
{
    double s = 0.0;
    size_t k, j;
    for (k = 0; k < RFF; k++) {
        double t = f->b[k];
        for (j = 0; j < f->dim; j++)
            t += f->w[k][j] * x[j];
        s += f->a[k] * cos(t);
    }
    return s * sqrt(2.0 / RFF);
}

/* ---- cases ------------------------------------------------------------------ */

static void interpolates_noise_free(void **state)
{
    trng r = {1};
    size_t n = 12, i;
    double *X = t_points(&r, n, 1), y[12], mean[12], var[12];
    gn_gp *gp;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = sin(6.0 * X[i]) + 2.0;
    gp = t_fit(1, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_predict(gp, X, n, mean, var, NULL), GN_OK);
    for (i = 0; i < n; i++) {
        assert_near(mean[i], y[i], 1e-3);
        assert_true(var[i] >= 0.0 && var[i] < 1e-3);
    }
    gn_gp_free(gp);
    free(X);
}

/* Central differences of the log posterior at a point away from the
 * optimum, for every hyperparameter. */
static void check_logpost_gradient(gn_kernel_type kernel)
{
    trng r = {2};
    size_t n = 25, dim = 3, p = dim + 3, i, j;
    double *X = t_points(&r, n, dim), y[25], th[6], g[6], gd[6], lp, lp1, lp2;
    gn_gp *gp;
    for (i = 0; i < n; i++)
        y[i] = sin(4.0 * X[i * dim]) + X[i * dim + 1] * X[i * dim + 1] + 0.1 * t_normal(&r);
    gp = t_fit(dim, kernel, GN_WARP_NONE, X, y, n);
    gn__gp_theta(gp, th);
    for (j = 0; j < p; j++) /* off the optimum, where the gradient is not ~0 */
        th[j] += 0.3 * (t_uniform(&r) - 0.5);
    assert_int_equal(gn__gp_log_posterior_at(gp, th, &lp, g, NULL), GN_OK);
    for (j = 0; j < p; j++) {
        const double h = 1e-5;
        double t0 = th[j];
        th[j] = t0 + h;
        assert_int_equal(gn__gp_log_posterior_at(gp, th, &lp1, NULL, NULL), GN_OK);
        th[j] = t0 - h;
        assert_int_equal(gn__gp_log_posterior_at(gp, th, &lp2, NULL, NULL), GN_OK);
        th[j] = t0;
        gd[j] = (lp1 - lp2) / (2.0 * h);
        if (fabs(gd[j] - g[j]) > 1e-4 * fmax(1.0, fabs(g[j])))
            fail_msg("theta[%zu]: analytic %.10g, numeric %.10g", j, g[j], gd[j]);
    }
    gn_gp_free(gp);
    free(X);
}

static void logpost_gradient_matern(void **state)
{
    (void)state;
    check_logpost_gradient(GN_KERNEL_MATERN52);
}

static void logpost_gradient_rbf(void **state)
{
    (void)state;
    check_logpost_gradient(GN_KERNEL_RBF);
}

/* Central differences of mean and variance with respect to x, in
 * standardised and original units. */
static void check_predict_gradient(gn_kernel_type kernel)
{
    trng r = {3};
    size_t n = 30, dim = 3, i, j, q;
    double *X = t_points(&r, n, dim), y[30], x[3], dm[3], dv[3], m0, v0, m1, v1, m2, v2;
    gn_gp *gp;
    int stdu;
    for (i = 0; i < n; i++)
        y[i] = 5.0 * sin(5.0 * X[i * dim]) * X[i * dim + 2] + 3.0 * X[i * dim + 1] + 0.05 * t_normal(&r);
    gp = t_fit(dim, kernel, GN_WARP_NONE, X, y, n);
    for (q = 0; q < 5; q++) {
        for (j = 0; j < dim; j++)
            x[j] = t_uniform(&r);
        for (stdu = 0; stdu <= 1; stdu++) {
            assert_int_equal(gn_gp_predict_grad(gp, x, stdu, &m0, &v0, dm, dv, NULL), GN_OK);
            if (!stdu) { /* consistent with gn_gp_predict */
                double pm, pv;
                assert_int_equal(gn_gp_predict(gp, x, 1, &pm, &pv, NULL), GN_OK);
                assert_near(pm, m0, 1e-9 * fmax(1.0, fabs(pm)));
                assert_near(pv, v0, 1e-9 * fmax(1.0, fabs(pv)));
            }
            for (j = 0; j < dim; j++) {
                const double h = 1e-6;
                double t0 = x[j], gm, gv;
                x[j] = t0 + h;
                assert_int_equal(gn_gp_predict_grad(gp, x, stdu, &m1, &v1, NULL, NULL, NULL), GN_OK);
                x[j] = t0 - h;
                assert_int_equal(gn_gp_predict_grad(gp, x, stdu, &m2, &v2, NULL, NULL, NULL), GN_OK);
                x[j] = t0;
                gm = (m1 - m2) / (2.0 * h);
                gv = (v1 - v2) / (2.0 * h);
                if (fabs(gm - dm[j]) > 1e-4 * fmax(1e-2, fabs(dm[j])))
                    fail_msg("dmean[%zu]: analytic %.10g, numeric %.10g", j, dm[j], gm);
                if (fabs(gv - dv[j]) > 1e-4 * fmax(1e-2, fabs(dv[j])))
                    fail_msg("dvar[%zu]: analytic %.10g, numeric %.10g", j, dv[j], gv);
            }
        }
    }
    gn_gp_free(gp);
    free(X);
}

static void predict_gradient_matern(void **state)
{
    (void)state;
    check_predict_gradient(GN_KERNEL_MATERN52);
}

static void predict_gradient_rbf(void **state)
{
    (void)state;
    check_predict_gradient(GN_KERNEL_RBF);
}

static void irrelevant_input_long_lengthscale(void **state)
{
    trng r = {4};
    size_t n = 40, i;
    double *X = t_points(&r, n, 2), y[40], ls[2];
    gn_gp *gp;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = sin(6.0 * X[2 * i]);
    gp = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    gn_gp_hyper(gp, ls, NULL, NULL, NULL);
    if (!(ls[1] > 5.0 * ls[0]))
        fail_msg("lengthscales %g (relevant) and %g (irrelevant)", ls[0], ls[1]);
    gn_gp_free(gp);
    free(X);
}

static void noise_learned(void **state)
{
    trng r = {5};
    size_t n = 80, i;
    const double sigma = 0.2;
    double *X = t_points(&r, n, 1), y[80], noise, sd;
    gn_gp *gp;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = 2.0 * sin(6.0 * X[i]) + sigma * t_normal(&r);
    gp = t_fit(1, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    gn_gp_hyper(gp, NULL, NULL, &noise, NULL);
    sd = t_sd(gp);
    noise *= sd * sd; /* to original units */
    if (!(noise > 0.5 * sigma * sigma && noise < 2.0 * sigma * sigma))
        fail_msg("noise variance %g, truth %g", noise, sigma * sigma);
    gn_gp_free(gp);
    free(X);
}

static void predictions_calibrated(void **state)
{
    trng r = {6};
    gpfun *f = malloc(sizeof *f);
    size_t n = 60, m = 400, i, inside = 0;
    double *X, *Xt, y[60], *mean, *var, frac;
    gn_gp *gp;
    (void)state;
    assert_non_null(f);
    gpfun_init(f, 2, &r);
    X = t_points(&r, n, 2);
    Xt = t_points(&r, m, 2);
    mean = malloc(2 * m * sizeof(double));
    assert_non_null(mean);
    var = mean + m;
    for (i = 0; i < n; i++)
        y[i] = gpfun_eval(f, X + 2 * i) + 0.05 * t_normal(&r);
    gp = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_predict(gp, Xt, m, mean, var, NULL), GN_OK);
    for (i = 0; i < m; i++)
        if (fabs(gpfun_eval(f, Xt + 2 * i) - mean[i]) <= 1.96 * sqrt(var[i]))
            inside++;
    frac = (double)inside / (double)m;
    if (frac < 0.85)
        fail_msg("only %.1f%% of held-out values inside the 95%% band", 100.0 * frac);
    gn_gp_free(gp);
    free(X);
    free(Xt);
    free(mean);
    free(f);
}

static void duplicate_inputs_jitter(void **state)
{
    trng r = {7};
    size_t n = 100, i;
    double X[200], y[100], xs[6] = {0.3, 0.3, 0.0, 1.0, 0.9, 0.1}, mean[3], var[3], dm[2], dv[2];
    gn_gp_options o;
    gn_gp *gp = NULL;
    (void)state;
    for (i = 0; i < n; i++) {
        X[2 * i] = 0.3;
        X[2 * i + 1] = 0.3;
        y[i] = 1.0; /* exact duplicates: the noise goes to its floor */
    }
    gn_gp_options_default(&o);
    o.noise_floor = 0.0; /* the hardest case: K is singular up to 1e-10 */
    assert_int_equal(gn_gp_new(2, &o, &gp, NULL), GN_OK);
    assert_int_equal(gn_gp_fit(gp, X, y, n, NULL), GN_OK);
    assert_int_equal(gn_gp_predict(gp, xs, 3, mean, var, NULL), GN_OK);
    for (i = 0; i < 3; i++)
        assert_true(isfinite(mean[i]) && isfinite(var[i]) && var[i] > 0.0);
    assert_near(mean[0], 1.0, 1e-6);
    for (i = 0; i < n; i++)
        y[i] = 1.0 + 0.1 * t_normal(&r);
    assert_int_equal(gn_gp_fit(gp, X, y, n, NULL), GN_OK);
    assert_int_equal(gn_gp_predict(gp, xs, 3, mean, var, NULL), GN_OK);
    assert_int_equal(gn_gp_predict_grad(gp, xs + 2, 1, mean, var, dm, dv, NULL), GN_OK);
    for (i = 0; i < 2; i++)
        assert_true(isfinite(mean[i]) && isfinite(var[i]) && isfinite(dm[i]) && isfinite(dv[i]));
    gn_gp_free(gp);
}

static void constant_y_and_single_point(void **state)
{
    double X[10] = {0.1, 0.2, 0.5, 0.5, 0.9, 0.1, 0.3, 0.7, 0.6, 0.4}, y[5] = {3, 3, 3, 3, 3};
    double xs[4] = {0.1, 0.2, 0.95, 0.95}, mean[2], var[2], dm[2], dv[2];
    gn_gp *gp;
    size_t i;
    (void)state;
    gp = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, 5);
    assert_int_equal(gn_gp_predict(gp, xs, 2, mean, var, NULL), GN_OK);
    for (i = 0; i < 2; i++) {
        assert_near(mean[i], 3.0, 1e-6);
        assert_true(isfinite(var[i]) && var[i] > 0.0);
    }
    assert_true(isfinite(gn_gp_log_posterior(gp)));
    gn_gp_free(gp);

    y[0] = -7.5;
    gp = t_fit(2, GN_KERNEL_RBF, GN_WARP_NONE, X, y, 1);
    assert_int_equal(gn_gp_n(gp), 1);
    assert_int_equal(gn_gp_predict(gp, xs, 2, mean, var, NULL), GN_OK);
    assert_near(mean[0], -7.5, 1e-3);
    assert_true(isfinite(mean[1]) && isfinite(var[1]) && var[1] > var[0]);
    assert_int_equal(gn_gp_predict_grad(gp, xs + 2, 0, mean, var, dm, dv, NULL), GN_OK);
    assert_true(isfinite(dm[0]) && isfinite(dv[1]));
    gn_gp_free(gp);
}

/* Mean held-out log predictive density of a model. */
static double t_mlpd(const gn_gp *gp, const double *Xt, const double *yt, size_t m)
{
    double *lp = malloc(m * sizeof(double)), s = 0.0;
    size_t i;
    assert_non_null(lp);
    assert_int_equal(gn_gp_log_predictive(gp, Xt, yt, m, lp, NULL), GN_OK);
    for (i = 0; i < m; i++) {
        assert_true(isfinite(lp[i]));
        s += lp[i];
    }
    free(lp);
    return s / (double)m;
}

static void log_warp_improves_density(void **state)
{
    trng r = {8};
    size_t n = 50, m = 300, i;
    double *X = t_points(&r, n, 2), *Xt = t_points(&r, m, 2), y[50], yt[300], plain, logw, mean[1];
    gn_gp *g0, *g1;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = exp(3.0 * X[2 * i] + 2.0 * sin(4.0 * X[2 * i + 1]) + 0.1 * t_normal(&r));
    for (i = 0; i < m; i++)
        yt[i] = exp(3.0 * Xt[2 * i] + 2.0 * sin(4.0 * Xt[2 * i + 1]) + 0.1 * t_normal(&r));
    g0 = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    g1 = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_LOG, X, y, n);
    plain = t_mlpd(g0, Xt, yt, m);
    logw = t_mlpd(g1, Xt, yt, m);
    if (!(logw > plain + 0.1))
        fail_msg("log warp %g vs none %g", logw, plain);
    /* the warp is inverted exactly and predictions stay positive */
    assert_near(gn_gp_from_standard(g1, gn_gp_to_standard(g1, 7.25)), 7.25, 1e-9);
    assert_int_equal(gn_gp_predict(g1, Xt, 1, mean, NULL, NULL), GN_OK);
    assert_true(mean[0] > 0.0);
    assert_int_equal(gn_gp_predict_grad(g1, Xt, 0, mean, NULL, NULL, NULL, NULL), GN_ERR_UNSUPPORTED);
    gn_gp_free(g0);
    gn_gp_free(g1);
    free(X);
    free(Xt);
}

static void power_warp_fits_skewed_data(void **state)
{
    trng r = {9};
    size_t n = 40, m = 200, i;
    double *X = t_points(&r, n, 1), *Xt = t_points(&r, m, 1), y[40], yt[200], mean[200], var[200];
    double plain, pw, v;
    gn_gp *g0, *g1;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = -exp(3.0 * X[i] + 0.2 * t_normal(&r)); /* negative and skewed: the log warp does not apply */
    for (i = 0; i < m; i++)
        yt[i] = -exp(3.0 * Xt[i] + 0.2 * t_normal(&r));
    g0 = t_fit(1, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    g1 = t_fit(1, GN_KERNEL_MATERN52, GN_WARP_POWER, X, y, n);
    plain = t_mlpd(g0, Xt, yt, m);
    pw = t_mlpd(g1, Xt, yt, m);
    if (!(pw > plain))
        fail_msg("power warp %g vs none %g", pw, plain);
    for (v = -30.0; v <= 0.0; v += 1.5)
        assert_near(gn_gp_from_standard(g1, gn_gp_to_standard(g1, v)), v, 1e-8 * fmax(1.0, fabs(v)));
    assert_int_equal(gn_gp_predict(g1, Xt, m, mean, var, NULL), GN_OK);
    for (i = 0; i < m; i++)
        assert_true(isfinite(mean[i]) && isfinite(var[i]) && var[i] > 0.0);
    /* extreme standardised values map to finite numbers */
    assert_true(isfinite(gn_gp_from_standard(g1, 1e6)) && isfinite(gn_gp_from_standard(g1, -1e6)));
    gn_gp_free(g0);
    gn_gp_free(g1);
    free(X);
    free(Xt);
}

static void set_data_and_add_point_match_refit(void **state)
{
    trng r = {10};
    size_t n = 30, extra = 12, m = 20, i;
    double *X = t_points(&r, n + extra, 2), *Xt = t_points(&r, m, 2), y[42];
    double m0[20], v0[20], m1[20], v1[20], d0[2], d1[2], a, b;
    gn_gp *g0, *g1;
    (void)state;
    for (i = 0; i < n + extra; i++)
        y[i] = sin(5.0 * X[2 * i]) * cos(3.0 * X[2 * i + 1]) + 0.05 * t_normal(&r);
    g0 = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    g1 = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_set_data(g0, X, y, n + extra, NULL), GN_OK);
    for (i = n; i < n + extra; i++)
        assert_int_equal(gn_gp_add_point(g1, X + 2 * i, y[i], NULL), GN_OK);
    assert_int_equal(gn_gp_n(g1), n + extra);
    assert_int_equal(gn_gp_predict(g0, Xt, m, m0, v0, NULL), GN_OK);
    assert_int_equal(gn_gp_predict(g1, Xt, m, m1, v1, NULL), GN_OK);
    for (i = 0; i < m; i++) {
        assert_near(m0[i], m1[i], 1e-8);
        assert_near(v0[i], v1[i], 1e-8);
    }
    assert_near(gn_gp_log_posterior(g0), gn_gp_log_posterior(g1), 1e-6);
    assert_int_equal(gn_gp_predict_grad(g0, Xt, 1, &a, &b, d0, NULL, NULL), GN_OK);
    assert_int_equal(gn_gp_predict_grad(g1, Xt, 1, &a, &b, d1, NULL, NULL), GN_OK);
    assert_near(d0[0], d1[0], 1e-7);
    /* set_data back to the fitted data reproduces the fit's posterior */
    assert_int_equal(gn_gp_set_data(g0, X, y, n, NULL), GN_OK);
    gn_gp_free(g1);
    g1 = t_fit(2, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_predict(g0, Xt, m, m0, v0, NULL), GN_OK);
    assert_int_equal(gn_gp_predict(g1, Xt, m, m1, v1, NULL), GN_OK);
    for (i = 0; i < m; i++) {
        assert_near(m0[i], m1[i], 1e-9);
        assert_near(v0[i], v1[i], 1e-9);
    }
    gn_gp_free(g0);
    gn_gp_free(g1);
    free(X);
    free(Xt);
}

/* A warm refit after one more point lands close to a full multi-start
 * fit of the same data (log posterior within a small margin, predictions
 * close), and before any fit it is a full fit. */
static void refit_close_to_full_fit(void **state)
{
    trng r = {21};
    size_t n = 40, m = 25, i;
    double *X = t_points(&r, n + 1, 3), *Xt = t_points(&r, m, 3), y[41];
    double mf[25], mr[25], vf[25], vr[25], sd;
    gn_gp *full, *warm, *cold;
    gn_gp_options o;
    gn_err err;
    (void)state;
    for (i = 0; i <= n; i++)
        y[i] = sin(4.0 * X[3 * i]) + X[3 * i + 1] * X[3 * i + 1] + 0.02 * t_normal(&r);
    full = t_fit(3, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n + 1);
    warm = t_fit(3, GN_KERNEL_MATERN52, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_refit(warm, X, y, n + 1, 60, &err), GN_OK);
    assert_int_equal(gn_gp_n(warm), n + 1);
    /* the warm start from a nearby optimum loses at most a little */
    assert_true(gn_gp_log_posterior(warm) >= gn_gp_log_posterior(full) - 1.0);
    assert_int_equal(gn_gp_predict(full, Xt, m, mf, vf, NULL), GN_OK);
    assert_int_equal(gn_gp_predict(warm, Xt, m, mr, vr, NULL), GN_OK);
    sd = t_sd(full);
    for (i = 0; i < m; i++) {
        assert_near(mr[i], mf[i], 0.1 * sd);
        assert_true(vr[i] >= 0.0);
    }
    /* no previous fit: refit is a full fit (same seed, same result) */
    gn_gp_options_default(&o);
    o.seed = 42;
    assert_int_equal(gn_gp_new(3, &o, &cold, &err), GN_OK);
    assert_int_equal(gn_gp_refit(cold, X, y, n + 1, 5, &err), GN_OK);
    assert_near(gn_gp_log_posterior(cold), gn_gp_log_posterior(full), 1e-9);
    /* bad input is refused, and the model is unchanged */
    y[0] = NAN;
    assert_int_equal(gn_gp_refit(warm, X, y, n + 1, 60, &err), GN_ERR_INVALID);
    assert_int_equal(gn_gp_n(warm), n + 1);
    gn_gp_free(full);
    gn_gp_free(warm);
    gn_gp_free(cold);
    free(X);
    free(Xt);
}

/* The blocked standardised prediction equals the point-wise one mapped to
 * standard units: mean_std = to_standard(mean), var_std = var / sd^2. */
static void predict_standard_matches_predict(void **state)
{
    trng r = {22};
    size_t n = 35, m = 300, i; /* m spans several blocks */
    double *X = t_points(&r, n, 2), *Xt = t_points(&r, m, 2), y[35];
    double *mo = malloc(m * sizeof(double)), *vo = malloc(m * sizeof(double));
    double *ms = malloc(m * sizeof(double)), *vs = malloc(m * sizeof(double));
    double sd, gm, gv;
    gn_gp *gp;
    (void)state;
    assert_true(mo && vo && ms && vs);
    for (i = 0; i < n; i++)
        y[i] = 10.0 + 3.0 * cos(5.0 * X[2 * i]) * X[2 * i + 1];
    gp = t_fit(2, GN_KERNEL_RBF, GN_WARP_NONE, X, y, n);
    assert_int_equal(gn_gp_predict(gp, Xt, m, mo, vo, NULL), GN_OK);
    assert_int_equal(gn_gp_predict_standard(gp, Xt, m, ms, vs, NULL), GN_OK);
    sd = t_sd(gp);
    for (i = 0; i < m; i++) {
        assert_near(ms[i], gn_gp_to_standard(gp, mo[i]), 1e-8);
        assert_near(vs[i] * sd * sd, vo[i], 1e-8 * (1.0 + vo[i]));
        assert_true(vs[i] >= 0.0);
    }
    /* and agrees with the gradient path in standardised units */
    assert_int_equal(gn_gp_predict_grad(gp, Xt + 2 * 7, 1, &gm, &gv, NULL, NULL, NULL), GN_OK);
    assert_near(gm, ms[7], 1e-9);
    assert_near(gv, vs[7], 1e-9);
    /* var may be NULL */
    assert_int_equal(gn_gp_predict_standard(gp, Xt, m, ms, NULL, NULL), GN_OK);
    gn_gp_free(gp);
    free(X);
    free(Xt);
    free(mo);
    free(vo);
    free(ms);
    free(vs);
}

static void seeded_fit_deterministic(void **state)
{
    trng r = {11};
    size_t n = 30, i;
    double *X = t_points(&r, n, 3), y[30], l0[3], l1[3], s0, s1, z0, z1;
    gn_gp *g0, *g1;
    (void)state;
    for (i = 0; i < n; i++)
        y[i] = X[3 * i] - 2.0 * X[3 * i + 1] * X[3 * i + 2] + 0.1 * t_normal(&r);
    g0 = t_fit(3, GN_KERNEL_RBF, GN_WARP_NONE, X, y, n);
    g1 = t_fit(3, GN_KERNEL_RBF, GN_WARP_NONE, X, y, n);
    gn_gp_hyper(g0, l0, &s0, &z0, NULL);
    gn_gp_hyper(g1, l1, &s1, &z1, NULL);
    for (i = 0; i < 3; i++)
        assert_near(l0[i], l1[i], 1e-12 * l0[i]);
    assert_near(s0, s1, 1e-12 * s0);
    assert_near(z0, z1, 1e-12 * z0);
    assert_near(gn_gp_log_posterior(g0), gn_gp_log_posterior(g1), 1e-9);
    gn_gp_free(g0);
    gn_gp_free(g1);
    free(X);
}

static void large_n_uses_subset_then_polishes(void **state)
{
    trng r = {12};
    size_t n = 400, i;
    double *X = t_points(&r, n, 2), *y = malloc(n * sizeof(double)), ls[2], noise, sd;
    gn_gp_options o;
    gn_gp *gp = NULL;
    (void)state;
    assert_non_null(y);
    for (i = 0; i < n; i++)
        y[i] = sin(6.0 * X[2 * i]) + 0.1 * t_normal(&r);
    gn_gp_options_default(&o);
    o.fit_subset = 100;
    assert_int_equal(gn_gp_new(2, &o, &gp, NULL), GN_OK);
    assert_int_equal(gn_gp_fit(gp, X, y, n, NULL), GN_OK);
    gn_gp_hyper(gp, ls, NULL, &noise, NULL);
    sd = t_sd(gp);
    assert_true(ls[1] > 5.0 * ls[0]);
    assert_true(noise * sd * sd > 0.5 * 0.01 && noise * sd * sd < 2.0 * 0.01);
    assert_int_equal(gn_gp_fit(gp, X, y, n, NULL), GN_OK); /* warm start */
    gn_gp_free(gp);
    free(X);
    free(y);
}

static void bad_input_rejected(void **state)
{
    double X[4] = {0.1, 0.2, 0.3, NAN}, y[2] = {1.0, 2.0}, m;
    gn_gp_options o;
    gn_gp *gp = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(gn_gp_new(0, NULL, &gp, &err), GN_ERR_INVALID);
    gn_gp_options_default(&o);
    o.noise_floor = -1.0;
    assert_int_equal(gn_gp_new(2, &o, &gp, &err), GN_ERR_INVALID);
    assert_int_equal(gn_gp_new(2, NULL, &gp, &err), GN_OK);
    assert_int_equal(gn_gp_predict(gp, X, 1, &m, NULL, &err), GN_ERR_STATE);
    assert_int_equal(gn_gp_set_data(gp, X, y, 1, &err), GN_ERR_STATE);
    assert_int_equal(gn_gp_add_point(gp, X, 1.0, &err), GN_ERR_STATE);
    assert_int_equal(gn_gp_fit(gp, X, y, 2, &err), GN_ERR_INVALID);
    assert_int_equal(gn_gp_fit(gp, X, y, 0, &err), GN_ERR_INVALID);
    y[1] = INFINITY;
    X[3] = 0.4;
    assert_int_equal(gn_gp_fit(gp, X, y, 2, &err), GN_ERR_INVALID);
    gn_gp_free(gp);
    gn_gp_free(NULL);
}

/* Every allocation of new + fit + set_data + add_point + predict fails in
 * turn: each failure is GN_ERR_NOMEM and nothing leaks (ASan). */
static void oom_walk(void **state)
{
    trng r = {13};
    size_t n = 20, i;
    double *X = t_points(&r, n + 1, 2), y[21], mean[2], var[2], dm[2], lp[2];
    gn_gp_options o;
    long total, k;
    (void)state;
    for (i = 0; i <= n; i++)
        y[i] = X[2 * i] + sin(3.0 * X[2 * i + 1]);
    gn_gp_options_default(&o);
    o.restarts = 2;
    o.max_evals = 20;
    o.fit_subset = 10; /* the subset path too */
    for (k = 0;; k++) {
        gn_gp *gp = NULL;
        long before = gn__alloc_count();
        gn_status st;
        gn__alloc_fail_at(k);
        st = gn_gp_new(2, &o, &gp, NULL);
        if (st == GN_OK)
            st = gn_gp_fit(gp, X, y, n, NULL);
        if (st == GN_OK)
            st = gn_gp_add_point(gp, X + 2 * n, y[n], NULL);
        if (st == GN_OK)
            st = gn_gp_set_data(gp, X, y, n + 1, NULL);
        if (st == GN_OK)
            st = gn_gp_predict(gp, X, 2, mean, var, NULL);
        if (st == GN_OK)
            st = gn_gp_predict_grad(gp, X, 1, mean, var, dm, dm, NULL);
        if (st == GN_OK)
            st = gn_gp_log_predictive(gp, X, y, 2, lp, NULL);
        total = gn__alloc_count() - before;
        gn__alloc_fail_at(0);
        gn_gp_free(gp);
        if (k == 0) {
            assert_int_equal(st, GN_OK);
            continue;
        }
        if (k > total) {
            assert_int_equal(st, GN_OK);
            break;
        }
        assert_int_equal(st, GN_ERR_NOMEM);
    }
    assert_true(k > 5);
    free(X);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(interpolates_noise_free),
    cmocka_unit_test(logpost_gradient_matern),
    cmocka_unit_test(logpost_gradient_rbf),
    cmocka_unit_test(predict_gradient_matern),
    cmocka_unit_test(predict_gradient_rbf),
    cmocka_unit_test(irrelevant_input_long_lengthscale),
    cmocka_unit_test(noise_learned),
    cmocka_unit_test(predictions_calibrated),
    cmocka_unit_test(duplicate_inputs_jitter),
    cmocka_unit_test(constant_y_and_single_point),
    cmocka_unit_test(log_warp_improves_density),
    cmocka_unit_test(power_warp_fits_skewed_data),
    cmocka_unit_test(set_data_and_add_point_match_refit),
    cmocka_unit_test(refit_close_to_full_fit),
    cmocka_unit_test(predict_standard_matches_predict),
    cmocka_unit_test(seeded_fit_deterministic),
    cmocka_unit_test(large_n_uses_subset_then_polishes),
    cmocka_unit_test(bad_input_rejected),
    cmocka_unit_test(oom_walk),
};

GN_TEST_MAIN(tests)
