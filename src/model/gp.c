/*
 * model/gp.c - the Gaussian-process surrogate (contract in gp.h, the
 * mathematics in docs/model.md).
 *
 * Layout: all n*n matrices are column-major, lower triangle (LAPACK 'L').
 * Lc (leading dimension cap) holds the Cholesky factor of
 * K = s2 k(X, X) + (noise + jitter) I between calls; A and B (leading
 * dimension n) are scratch for the kernel matrix and its G factors while
 * fitting; during a gradient evaluation Lc is overwritten by K^-1 and the
 * factor is recomputed at the end of the fit.
 *
 * Internal parameters theta (p = dim + 3):
 *   theta[j]       = log lengthscale j                 j < dim
 *   theta[dim]     = log s2
 *   theta[dim + 1] = log(noise - noise_floor)          (noise >= floor always)
 *   theta[dim + 2] = m, the constant mean
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#include <nlopt.h>

#include "core/alloc.h"
#include "model/gp.h"
#include "model/internal.h"

#define GP_MAX_DIM 10000
#define GP_MAX_N 30000
#define LOG_2PI 1.8378770664093453
#define VAR_MIN 1e-12
#define PREDICT_BLOCK 64

/* Priors (docs/model.md): log densities of the natural parameters, as
 * GPyTorch/BoTorch evaluate them. */
#define LS_SIGMA 1.7320508075688772 /* sqrt 3; loc = sqrt 2 + log(dim) / 2 */
#define OS_A 2.0                    /* s2 ~ Gamma(2, 0.15) */
#define OS_B 0.15
#define NZ_A 1.1                    /* noise ~ Gamma(1.1, 0.05) */
#define NZ_B 0.05
#define MEAN_SD 1.0                 /* m ~ N(0, 1) in standardised units */

#define IX_OS(gp) ((gp)->dim)
#define IX_NZ(gp) ((gp)->dim + 1)
#define IX_MEAN(gp) ((gp)->dim + 2)
#define NTHETA(gp) ((gp)->dim + 3)

struct gn_gp {
    size_t dim;
    gn_gp_options opts;
    size_t n, cap;   /* observations, capacity of the buffers below */
    double *X;       /* cap*dim row-major, as given */
    double *y;       /* cap, original units */
    double *z;       /* cap, standardised (warped) */
    double *S;       /* cap*dim, X scaled by 1/lengthscale (current theta) */
    double *alpha;   /* cap, K^-1 (z - m) */
    double *Lc;      /* cap*cap */
    double *A, *B;   /* cap*cap scratch */
    double *work;    /* 2*cap scratch */
    double *Xw, *zw; /* cap*dim, cap: the subset for large-n fits */
    size_t *idx;     /* cap */
    /* p-sized: fitted theta, best so far, a start, bounds; dim-sized: scratch */
    double *theta, *tbest, *tstart, *lb, *ub, *ilen, *gtmp;
    int ready;       /* Lc, alpha, S describe (X, z) at theta */
    int has_theta;   /* theta comes from a previous fit */
    double jitter;   /* added to the diagonal of the current factor */
    double logpost;
    double mu, sd;   /* standardisation of the warped y */
    gn__warp warp;
    uint64_t rng;
    long evals;      /* likelihood evaluations of the last fit */
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

static int all_finite(const double *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static double ls_loc(const gn_gp *gp) { return 1.4142135623730951 + 0.5 * log((double)gp->dim); }

void gn_gp_options_default(gn_gp_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->kernel = GN_KERNEL_MATERN52;
    opts->warp = GN_WARP_NONE;
    opts->noise_floor = 1e-6;
    opts->restarts = 5;
    opts->max_evals = 200;
    opts->seed = 0;
    opts->fit_subset = 200;
    opts->polish_evals = 5;
}

/* ---- life cycle --------------------------------------------------------- */

/* Frees the data buffers (not the struct nor the p-sized arrays). */
static void free_buffers(gn_gp *gp)
{
    gn_free(gp->X);
    gn_free(gp->y);
    gn_free(gp->z);
    gn_free(gp->S);
    gn_free(gp->alpha);
    gn_free(gp->Lc);
    gn_free(gp->A);
    gn_free(gp->B);
    gn_free(gp->work);
    gn_free(gp->Xw);
    gn_free(gp->zw);
    gn_free(gp->idx);
}

void gn_gp_free(gn_gp *gp)
{
    if (!gp)
        return;
    free_buffers(gp);
    gn_free(gp->theta);
    gn_free(gp->tbest);
    gn_free(gp->tstart);
    gn_free(gp->lb);
    gn_free(gp->ub);
    gn_free(gp->ilen);
    gn_free(gp->gtmp);
    gn_free(gp);
}

/* Sets theta to the centre of the prior: lengthscales at the LogNormal's
 * mode, s2 = 1 (the standardised variance), noise 1e-2, m = 0. */
static void theta_centre(const gn_gp *gp, double *t)
{
    size_t j;
    for (j = 0; j < gp->dim; j++)
        t[j] = clampd(ls_loc(gp) - LS_SIGMA * LS_SIGMA, gp->lb[j], gp->ub[j]);
    t[IX_OS(gp)] = 0.0;
    t[IX_NZ(gp)] = clampd(log(1e-2), gp->lb[IX_NZ(gp)], gp->ub[IX_NZ(gp)]);
    t[IX_MEAN(gp)] = 0.0;
}

/* Contract in gp.h. Bounds: lengthscales in [0.005, 100 sqrt(dim)] (unit
 * cube units), s2 in [1e-4, 1e4], noise - floor in [1e-10, 10], m in
 * [-10, 10] (standardised units). */
gn_status gn_gp_new(size_t dim, const gn_gp_options *opts, gn_gp **out, gn_err *err)
{
    gn_gp *gp;
    size_t p, j;

    if (!out)
        return gn_err_set(err, GN_ERR_INVALID, "gp: out is NULL");
    *out = NULL;
    if (dim < 1 || dim > GP_MAX_DIM)
        return gn_err_set(err, GN_ERR_INVALID, "gp: dim %zu outside [1, %d]", dim, GP_MAX_DIM);
    if (opts && (!(opts->noise_floor >= 0.0) || !isfinite(opts->noise_floor) ||
                 (opts->kernel != GN_KERNEL_MATERN52 && opts->kernel != GN_KERNEL_RBF) ||
                 (opts->warp != GN_WARP_NONE && opts->warp != GN_WARP_LOG && opts->warp != GN_WARP_POWER)))
        return gn_err_set(err, GN_ERR_INVALID, "gp: bad options (kernel, warp or noise_floor)");
    gp = gn_calloc(1, sizeof *gp);
    if (!gp)
        return gn_err_nomem(err);
    gp->dim = dim;
    if (opts)
        gp->opts = *opts;
    else
        gn_gp_options_default(&gp->opts);
    if (gp->opts.restarts < 1)
        gp->opts.restarts = 1;
    if (gp->opts.max_evals < 1)
        gp->opts.max_evals = 1;
    if (gp->opts.polish_evals < 1)
        gp->opts.polish_evals = 1;
    p = NTHETA(gp);
    gp->theta = gn_calloc(p, sizeof(double));
    gp->tbest = gn_calloc(p, sizeof(double));
    gp->tstart = gn_calloc(p, sizeof(double));
    gp->lb = gn_calloc(p, sizeof(double));
    gp->ub = gn_calloc(p, sizeof(double));
    gp->ilen = gn_calloc(dim, sizeof(double));
    gp->gtmp = gn_calloc(dim, sizeof(double));
    if (!gp->theta || !gp->tbest || !gp->tstart || !gp->lb || !gp->ub || !gp->ilen || !gp->gtmp) {
        gn_gp_free(gp);
        return gn_err_nomem(err);
    }
    for (j = 0; j < dim; j++) {
        gp->lb[j] = log(0.005);
        gp->ub[j] = log(100.0) + 0.5 * log((double)dim);
    }
    gp->lb[IX_OS(gp)] = log(1e-4);
    gp->ub[IX_OS(gp)] = log(1e4);
    gp->lb[IX_NZ(gp)] = log(1e-10);
    gp->ub[IX_NZ(gp)] = log(10.0);
    gp->lb[IX_MEAN(gp)] = -10.0;
    gp->ub[IX_MEAN(gp)] = 10.0;
    theta_centre(gp, gp->theta);
    gp->mu = 0.0;
    gp->sd = 1.0;
    gp->warp.type = GN_WARP_NONE;
    gp->rng = gp->opts.seed;
    *out = gp;
    return GN_OK;
}

/* Makes room for n observations. The first gp->n entries of X, y, z, S,
 * alpha and the factor Lc are kept; the rest is scratch. With grow, the
 * capacity grows geometrically (for gn_gp_add_point). On failure nothing
 * changes. */
static gn_status ensure_cap(gn_gp *gp, size_t n, int grow, gn_err *err)
{
    gn_gp t;
    size_t cap, k, d = gp->dim;

    if (n <= gp->cap)
        return GN_OK;
    cap = n;
    if (grow && cap < gp->cap + gp->cap / 2 + 8)
        cap = gp->cap + gp->cap / 2 + 8;
    if (cap > GP_MAX_N)
        cap = n;
    memset(&t, 0, sizeof t);
    t.X = gn_calloc(cap * d, sizeof(double));
    t.y = gn_calloc(cap, sizeof(double));
    t.z = gn_calloc(cap, sizeof(double));
    t.S = gn_calloc(cap * d, sizeof(double));
    t.alpha = gn_calloc(cap, sizeof(double));
    t.Lc = gn_calloc(cap * cap, sizeof(double));
    t.A = gn_calloc(cap * cap, sizeof(double));
    t.B = gn_calloc(cap * cap, sizeof(double));
    t.work = gn_calloc(2 * cap, sizeof(double));
    t.Xw = gn_calloc(cap * d, sizeof(double));
    t.zw = gn_calloc(cap, sizeof(double));
    t.idx = gn_calloc(cap, sizeof(size_t));
    if (!t.X || !t.y || !t.z || !t.S || !t.alpha || !t.Lc || !t.A || !t.B || !t.work || !t.Xw || !t.zw ||
        !t.idx) {
        free_buffers(&t);
        return gn_err_nomem(err);
    }
    if (gp->n) {
        memcpy(t.X, gp->X, gp->n * d * sizeof(double));
        memcpy(t.y, gp->y, gp->n * sizeof(double));
        memcpy(t.z, gp->z, gp->n * sizeof(double));
        memcpy(t.S, gp->S, gp->n * d * sizeof(double));
        memcpy(t.alpha, gp->alpha, gp->n * sizeof(double));
        for (k = 0; k < gp->n; k++)
            memcpy(t.Lc + k * cap, gp->Lc + k * gp->cap, gp->n * sizeof(double));
    }
    free_buffers(gp);
    gp->X = t.X;
    gp->y = t.y;
    gp->z = t.z;
    gp->S = t.S;
    gp->alpha = t.alpha;
    gp->Lc = t.Lc;
    gp->A = t.A;
    gp->B = t.B;
    gp->work = t.work;
    gp->Xw = t.Xw;
    gp->zw = t.zw;
    gp->idx = t.idx;
    gp->cap = cap;
    return GN_OK;
}

/* ---- the log posterior ---------------------------------------------------- */

/* Log prior of theta; with grad, writes its gradient there (all p entries). */
static double log_prior(const gn_gp *gp, const double *th, double *grad)
{
    double lp = 0.0, mu = ls_loc(gp), s2v = LS_SIGMA * LS_SIGMA;
    double s2 = exp(th[IX_OS(gp)]), en = exp(th[IX_NZ(gp)]);
    double noise = gp->opts.noise_floor + en, m = th[IX_MEAN(gp)];
    size_t j;

    for (j = 0; j < gp->dim; j++) {
        /* LogNormal density of l at u = log l: -u - (u - mu)^2 / (2 sigma^2) */
        double u = th[j];
        lp += -u - 0.5 * (u - mu) * (u - mu) / s2v - log(LS_SIGMA) - 0.5 * LOG_2PI;
        if (grad)
            grad[j] = -1.0 - (u - mu) / s2v;
    }
    lp += OS_A * log(OS_B) - lgamma(OS_A) + (OS_A - 1.0) * th[IX_OS(gp)] - OS_B * s2;
    lp += NZ_A * log(NZ_B) - lgamma(NZ_A) + (NZ_A - 1.0) * log(noise) - NZ_B * noise;
    lp += -0.5 * m * m / (MEAN_SD * MEAN_SD) - log(MEAN_SD) - 0.5 * LOG_2PI;
    if (grad) {
        grad[IX_OS(gp)] = (OS_A - 1.0) - OS_B * s2;
        grad[IX_NZ(gp)] = ((NZ_A - 1.0) / noise - NZ_B) * en;
        grad[IX_MEAN(gp)] = -m / (MEAN_SD * MEAN_SD);
    }
    return lp;
}

/* Factors A (lower, leading dimension n) + (noise + jitter) I into Lc. The
 * jitter starts at 0 and escalates from 1e-8 to 1e-2 times the mean
 * diagonal by factors of 10 until LAPACK's dpotrf succeeds. */
static gn_status chol_jitter(gn_gp *gp, size_t n, double noise, gn_err *err)
{
    size_t k, ld = gp->cap;
    double dm = 0.0, jit = 0.0;
    lapack_int info;

    for (k = 0; k < n; k++)
        dm += gp->A[k + k * n];
    dm = dm / (double)n + noise;
    for (;;) {
        for (k = 0; k < n; k++) {
            memcpy(gp->Lc + k * ld + k, gp->A + k * n + k, (n - k) * sizeof(double));
            gp->Lc[k + k * ld] += noise + jit;
        }
        info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, gp->Lc, (lapack_int)ld);
        if (info == 0) {
            gp->jitter = jit;
            return GN_OK;
        }
        jit = jit == 0.0 ? 1e-8 * dm : jit * 10.0;
        if (jit > 1.000001e-2 * dm || info < 0)
            return gn_err_set(err, GN_ERR_INTERNAL, "gp: Cholesky failed even with jitter %g", jit / 10.0);
    }
}

/* Scales the n rows of X by 1/lengthscale into S. */
static void scale_inputs(gn_gp *gp, const double *X, size_t n, const double *th)
{
    size_t i, j, d = gp->dim;
    for (j = 0; j < d; j++)
        gp->ilen[j] = exp(-th[j]);
    for (i = 0; i < n; i++)
        for (j = 0; j < d; j++)
            gp->S[i * d + j] = X[i * d + j] * gp->ilen[j];
}

/* The log posterior at theta for n points (X, z) and, if grad is not NULL,
 * its gradient. Without grad it leaves the model ready (Lc = factor,
 * alpha, S) for (X, z) at theta; with grad Lc ends up holding K^-1 and the
 * model is not ready. O(n^3): one dpotrf, plus one dpotri with grad; the
 * gradient then costs O(n^2 dim) from the symmetric lower triangles:
 *   d lml / d theta_j = 1/2 sum_ik W_ik dK_ik / d theta_j,  W = a a^T - K^-1. */
static gn_status eval_logpost(gn_gp *gp, const double *X, const double *z, size_t n, const double *th,
                              double *grad, double *out, gn_err *err)
{
    size_t d = gp->dim, i, j, k, ld = gp->cap;
    double s2 = exp(th[IX_OS(gp)]), en = exp(th[IX_NZ(gp)]);
    double noise = gp->opts.noise_floor + en, m = th[IX_MEAN(gp)];
    double quad = 0.0, logdet = 0.0, lml, lp, gw = 0.0, gv = 0.0, gm = 0.0;
    gn_status st;
    lapack_int info;

    gp->ready = 0;
    scale_inputs(gp, X, n, th);
    gn__kernel_matrix(gp->opts.kernel, gp->S, n, d, s2, gp->A, n, grad ? gp->B : NULL);
    st = chol_jitter(gp, n, noise, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < n; i++)
        gp->alpha[i] = z[i] - m;
    info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, gp->Lc, (lapack_int)ld, gp->alpha,
                          (lapack_int)n);
    if (info != 0)
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: dpotrs failed (%d)", (int)info);
    for (i = 0; i < n; i++) {
        quad += (z[i] - m) * gp->alpha[i];
        logdet += 2.0 * log(gp->Lc[i + i * ld]);
    }
    lml = -0.5 * quad - 0.5 * logdet - 0.5 * (double)n * LOG_2PI;
    lp = lml + log_prior(gp, th, grad);
    if (!isfinite(lp))
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: non-finite log posterior");
    if (!grad) {
        gp->ready = 1;
        *out = lp;
        return GN_OK;
    }
    info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int)n, gp->Lc, (lapack_int)ld);
    if (info != 0)
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: dpotri failed (%d)", (int)info);
    memset(gp->gtmp, 0, d * sizeof(double));
    for (k = 0; k < n; k++) {
        const double *kinv = gp->Lc + k * ld, *Ak = gp->A + k * n, *Bk = gp->B + k * n;
        const double *sk = gp->S + k * d;
        double ak = gp->alpha[k];
        double w = ak * ak - kinv[k];
        gm += ak;
        gw += 0.5 * w * Ak[k];
        gv += 0.5 * w;
        for (i = k + 1; i < n; i++) {
            const double *si = gp->S + i * d;
            double mw;
            w = gp->alpha[i] * ak - kinv[i];
            gw += w * Ak[i];
            mw = w * Bk[i];
            for (j = 0; j < d; j++) {
                double t = si[j] - sk[j];
                gp->gtmp[j] += mw * t * t;
            }
        }
    }
    for (j = 0; j < d; j++)
        grad[j] += gp->gtmp[j];
    grad[IX_OS(gp)] += gw;
    grad[IX_NZ(gp)] += gv * en;
    grad[IX_MEAN(gp)] += gm;
    if (!all_finite(grad, NTHETA(gp)))
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: non-finite gradient");
    *out = lp;
    return GN_OK;
}

/* ---- fitting ------------------------------------------------------------ */

typedef struct nl_ctx {
    gn_gp *gp;
    const double *X, *z;
    size_t n;
    double best;
    int have_best;
} nl_ctx;

/* NLopt objective: the log posterior (maximised). A failed evaluation (the
 * Cholesky failing even with jitter) is a very low value with a zero
 * gradient, so the line search backs off. */
static double nl_objective(unsigned p, const double *x, double *g, void *data)
{
    nl_ctx *c = data;
    double v = 0.0;
    unsigned i;

    c->gp->evals++;
    if (eval_logpost(c->gp, c->X, c->z, c->n, x, g, &v, NULL) != GN_OK) {
        if (g)
            for (i = 0; i < p; i++)
                g[i] = 0.0;
        return -1e100;
    }
    if (!c->have_best || v > c->best) {
        c->best = v;
        c->have_best = 1;
        memcpy(c->gp->tbest, x, p * sizeof(double));
    }
    return v;
}

/* Runs L-BFGS (at most maxeval evaluations each) from nstarts starts:
 * `first` (if not NULL), the prior's centre, then seeded random draws; and
 * leaves the best theta seen in gp->tbest. GN_ERR_NOMEM if NLopt cannot
 * allocate; GN_ERR_INTERNAL if no evaluation succeeded. */
static gn_status optimise(gn_gp *gp, const double *X, const double *z, size_t n, int nstarts, int maxeval,
                          const double *first, gn_err *err)
{
    size_t p = NTHETA(gp), j;
    nlopt_opt opt;
    nl_ctx ctx;
    double f;
    int s;

    opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)p);
    if (!opt)
        return gn_err_nomem(err);
    ctx.gp = gp;
    ctx.X = X;
    ctx.z = z;
    ctx.n = n;
    ctx.best = -HUGE_VAL;
    ctx.have_best = 0;
    nlopt_set_lower_bounds(opt, gp->lb);
    nlopt_set_upper_bounds(opt, gp->ub);
    nlopt_set_max_objective(opt, nl_objective, &ctx);
    nlopt_set_maxeval(opt, maxeval);
    /* hyperparameters matter to ~1e-4 in log units; tighter tolerances only
     * burn O(n^3) evaluations */
    nlopt_set_ftol_rel(opt, 1e-7);
    nlopt_set_ftol_abs(opt, 1e-5);
    nlopt_set_xtol_rel(opt, 1e-5);
    for (s = 0; s < nstarts; s++) {
        double *t = gp->tstart;
        if (s == 0 && first) {
            memcpy(t, first, p * sizeof(double));
        } else if (s == (first ? 1 : 0)) {
            theta_centre(gp, t);
        } else {
            /* random: lengthscales log-uniform in [0.03, 3] sqrt(dim) */
            for (j = 0; j < gp->dim; j++)
                t[j] = log(0.03) + rng_uniform(&gp->rng) * log(100.0) + 0.5 * log((double)gp->dim);
            t[IX_OS(gp)] = log(0.3) + rng_uniform(&gp->rng) * log(10.0);
            t[IX_NZ(gp)] = log(1e-4) + rng_uniform(&gp->rng) * log(3e3);
            t[IX_MEAN(gp)] = rng_uniform(&gp->rng) - 0.5;
        }
        for (j = 0; j < p; j++)
            t[j] = clampd(t[j], gp->lb[j], gp->ub[j]);
        f = 0.0;
        (void)nlopt_optimize(opt, t, &f); /* any stop reason: the best point is kept */
    }
    nlopt_destroy(opt);
    if (!ctx.have_best)
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: no likelihood evaluation succeeded");
    return GN_OK;
}

/* Warps and standardises y[0..n) into z, fitting the transform. */
static void fit_transform(gn_gp *gp, size_t n)
{
    double mean = 0.0, var = 0.0;
    size_t i;

    gn__warp_fit(&gp->warp, gp->opts.warp, gp->y, n, gp->work);
    for (i = 0; i < n; i++) {
        gp->z[i] = gn__warp_fwd(&gp->warp, gp->y[i]);
        mean += gp->z[i];
    }
    mean /= (double)n;
    for (i = 0; i < n; i++)
        var += (gp->z[i] - mean) * (gp->z[i] - mean);
    var = n > 1 ? var / (double)(n - 1) : 0.0;
    gp->mu = mean;
    /* constant y (or n == 1): sd = 1 */
    gp->sd = var > 0.0 && sqrt(var) > 1e-12 * fmax(1.0, fabs(mean)) ? sqrt(var) : 1.0;
    for (i = 0; i < n; i++)
        gp->z[i] = (gp->z[i] - gp->mu) / gp->sd;
}

static gn_status check_data(const gn_gp *gp, const double *X, const double *y, size_t n, gn_err *err)
{
    if (!X || !y)
        return gn_err_set(err, GN_ERR_INVALID, "gp: X or y is NULL");
    if (n < 1)
        return gn_err_set(err, GN_ERR_INVALID, "gp: no observations");
    if (n > GP_MAX_N)
        return gn_err_set(err, GN_ERR_LIMIT, "gp: %zu observations, at most %d", n, GP_MAX_N);
    if (!all_finite(X, n * gp->dim) || !all_finite(y, n))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite X or y");
    return GN_OK;
}

/* Contract in gp.h. Starts: the previous optimum (if any), the prior's
 * centre, then random draws, opts.restarts in all. For n > fit_subset the
 * starts run on a seeded random subset and the winner is polished on all
 * data. On GN_ERR_NOMEM for the buffers the model is untouched; if NLopt
 * cannot allocate, the model holds the new data at the previous theta and
 * GN_ERR_NOMEM is returned; after other failures it is not ready
 * (predictions return GN_ERR_STATE). */
static gn_status fit_impl(gn_gp *gp, const double *X, const double *y, size_t n, int warm_evals, gn_err *err);

gn_status gn_gp_fit(gn_gp *gp, const double *X, const double *y, size_t n, gn_err *err)
{
    return fit_impl(gp, X, y, n, 0, err);
}

/* Contract in gp.h. */
gn_status gn_gp_refit(gn_gp *gp, const double *X, const double *y, size_t n, int max_evals, gn_err *err)
{
    if (gp && !gp->has_theta)
        return fit_impl(gp, X, y, n, 0, err);
    if (max_evals < 1)
        max_evals = 1;
    /* past fit_subset every evaluation is O(n^3) on all points: polish only */
    if (gp && gp->opts.fit_subset > 0 && n > gp->opts.fit_subset && max_evals > gp->opts.polish_evals)
        max_evals = gp->opts.polish_evals;
    return fit_impl(gp, X, y, n, max_evals, err);
}

/* warm_evals > 0: one start from the previous theta, at most warm_evals
 * evaluations, on all points. */
static gn_status fit_impl(gn_gp *gp, const double *X, const double *y, size_t n, int warm_evals, gn_err *err)
{
    size_t p, i, d;
    double lp = 0.0;
    gn_status st;

    if (!gp)
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL model");
    st = check_data(gp, X, y, n, err);
    if (st != GN_OK)
        return st;
    st = ensure_cap(gp, n, 0, err);
    if (st != GN_OK)
        return st;
    p = NTHETA(gp);
    d = gp->dim;
    gp->ready = 0;
    gp->evals = 0;
    gp->n = n;
    memcpy(gp->X, X, n * d * sizeof(double));
    memcpy(gp->y, y, n * sizeof(double));
    fit_transform(gp, n);

    if (warm_evals > 0) {
        st = optimise(gp, gp->X, gp->z, n, 1, warm_evals, gp->theta, err);
    } else if (gp->opts.fit_subset > 0 && n > gp->opts.fit_subset) {
        size_t ns = gp->opts.fit_subset;
        for (i = 0; i < n; i++)
            gp->idx[i] = i;
        for (i = 0; i < ns; i++) { /* partial Fisher-Yates */
            size_t r = i + (size_t)(rng_uniform(&gp->rng) * (double)(n - i));
            size_t t = gp->idx[i];
            if (r >= n)
                r = n - 1;
            gp->idx[i] = gp->idx[r];
            gp->idx[r] = t;
            memcpy(gp->Xw + i * d, gp->X + gp->idx[i] * d, d * sizeof(double));
            gp->zw[i] = gp->z[gp->idx[i]];
        }
        st = optimise(gp, gp->Xw, gp->zw, ns, gp->opts.restarts, gp->opts.max_evals,
                      gp->has_theta ? gp->theta : NULL, err);
        if (st == GN_OK) {
            memcpy(gp->theta, gp->tbest, p * sizeof(double));
            st = optimise(gp, gp->X, gp->z, n, 1, gp->opts.polish_evals, gp->theta, err);
        }
    } else {
        st = optimise(gp, gp->X, gp->z, n, gp->opts.restarts, gp->opts.max_evals,
                      gp->has_theta ? gp->theta : NULL, err);
    }
    if (st != GN_OK && st != GN_ERR_NOMEM)
        return st;
    if (st == GN_OK)
        memcpy(gp->theta, gp->tbest, p * sizeof(double));
    /* on NOMEM from NLopt: a valid model at the current theta, then the error */
    {
        gn_status st2 = eval_logpost(gp, gp->X, gp->z, n, gp->theta, NULL, &lp, err);
        if (st2 != GN_OK)
            return st2;
    }
    if (st != GN_OK)
        return st;
    gp->logpost = lp;
    gp->has_theta = 1;
    return GN_OK;
}

/* Contract in gp.h. The output transform (warp, standardisation) of the
 * last fit is kept, so fantasy values stay in the units the model knows. */
gn_status gn_gp_set_data(gn_gp *gp, const double *X, const double *y, size_t n, gn_err *err)
{
    size_t i;
    gn_status st;

    if (!gp)
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL model");
    if (!gp->has_theta)
        return gn_err_set(err, GN_ERR_STATE, "gp: set_data before the first fit");
    st = check_data(gp, X, y, n, err);
    if (st != GN_OK)
        return st;
    st = ensure_cap(gp, n, 0, err);
    if (st != GN_OK)
        return st;
    gp->n = n;
    memcpy(gp->X, X, n * gp->dim * sizeof(double));
    memcpy(gp->y, y, n * sizeof(double));
    for (i = 0; i < n; i++)
        gp->z[i] = gn_gp_to_standard(gp, y[i]);
    return eval_logpost(gp, gp->X, gp->z, n, gp->theta, NULL, &gp->logpost, err);
}

/* Contract in gp.h. The new row of the factor is l = L^-1 k(X, x) and its
 * diagonal sqrt(s2 + noise + jitter - l^T l), kept >= sqrt(1e-12 (s2 +
 * noise)) against rounding (duplicates of a point). */
gn_status gn_gp_add_point(gn_gp *gp, const double *x, double y, gn_err *err)
{
    size_t n, d, i, k, ld;
    double s2, noise, m, dd, quad = 0.0, logdet = 0.0, *l;
    gn_status st;
    lapack_int info;

    if (!gp || !x)
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->ready)
        return gn_err_set(err, GN_ERR_STATE, "gp: add_point before a successful fit");
    if (!all_finite(x, gp->dim) || !isfinite(y))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite x or y");
    if (gp->n + 1 > GP_MAX_N)
        return gn_err_set(err, GN_ERR_LIMIT, "gp: at most %d observations", GP_MAX_N);
    st = ensure_cap(gp, gp->n + 1, 1, err);
    if (st != GN_OK)
        return st;
    n = gp->n;
    d = gp->dim;
    ld = gp->cap;
    s2 = exp(gp->theta[IX_OS(gp)]);
    noise = gp->opts.noise_floor + exp(gp->theta[IX_NZ(gp)]);
    m = gp->theta[IX_MEAN(gp)];
    memcpy(gp->X + n * d, x, d * sizeof(double));
    gp->y[n] = y;
    gp->z[n] = gn_gp_to_standard(gp, y);
    for (i = 0; i < d; i++)
        gp->S[n * d + i] = x[i] * exp(-gp->theta[i]);
    l = gp->work;
    gn__kernel_cross(gp->opts.kernel, gp->S, n, gp->S + n * d, 1, d, s2, l);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->Lc, (int)ld, l, 1);
    dd = s2 + noise + gp->jitter;
    for (k = 0; k < n; k++) {
        dd -= l[k] * l[k];
        gp->Lc[n + k * ld] = l[k];
    }
    if (!(dd > 1e-12 * (s2 + noise)))
        dd = 1e-12 * (s2 + noise);
    gp->Lc[n + n * ld] = sqrt(dd);
    gp->n = ++n;
    for (i = 0; i < n; i++)
        gp->alpha[i] = gp->z[i] - m;
    info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, gp->Lc, (lapack_int)ld, gp->alpha,
                          (lapack_int)n);
    if (info != 0) {
        gp->ready = 0;
        return gn_err_set(err, GN_ERR_INTERNAL, "gp: dpotrs failed (%d)", (int)info);
    }
    for (i = 0; i < n; i++) {
        quad += (gp->z[i] - m) * gp->alpha[i];
        logdet += 2.0 * log(gp->Lc[i + i * ld]);
    }
    gp->logpost = -0.5 * quad - 0.5 * logdet - 0.5 * (double)n * LOG_2PI + log_prior(gp, gp->theta, NULL);
    return GN_OK;
}

/* ---- prediction --------------------------------------------------------- */

/* Standardised (mean, var) -> original units: the median w^-1(mu + sd mz)
 * and the delta-method variance var * (sd / w'(y))^2. */
static void to_original(const gn_gp *gp, double mz, double vz, double *mo, double *vo)
{
    double yv = gn__warp_inv(&gp->warp, gp->mu + gp->sd * mz);
    double sc = gp->sd / gn__warp_deriv(&gp->warp, yv);
    double v = vz * sc * sc;
    *mo = yv;
    if (vo)
        *vo = isfinite(v) ? (v > 0.0 ? v : DBL_MIN) : DBL_MAX;
}

/* Standardised latent mean and variance (var may be NULL) at m points. */
static gn_status predict_std(const gn_gp *gp, const double *Xs, size_t m, double *mean, double *var, gn_err *err)
{
    size_t n = gp->n, d = gp->dim, b = m < PREDICT_BLOCK ? m : PREDICT_BLOCK, off, i, j;
    double s2 = exp(gp->theta[IX_OS(gp)]), mc = gp->theta[IX_MEAN(gp)];
    double *Ks, *T;

    if (m == 0)
        return GN_OK;
    Ks = gn_malloc((n * b + b * d) * sizeof(double));
    if (!Ks)
        return gn_err_nomem(err);
    T = Ks + n * b;
    for (off = 0; off < m; off += b) {
        size_t bb = m - off < b ? m - off : b;
        for (i = 0; i < bb; i++)
            for (j = 0; j < d; j++)
                T[i * d + j] = Xs[(off + i) * d + j] * gp->ilen[j];
        gn__kernel_cross(gp->opts.kernel, gp->S, n, T, bb, d, s2, Ks);
        cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)bb, 1.0, Ks, (int)n, gp->alpha, 1, 0.0, mean + off,
                    1);
        for (i = 0; i < bb; i++)
            mean[off + i] += mc;
        if (var) {
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)bb, 1.0,
                        gp->Lc, (int)gp->cap, Ks, (int)n);
            for (i = 0; i < bb; i++) {
                double v = s2 - cblas_ddot((int)n, Ks + i * n, 1, Ks + i * n, 1);
                var[off + i] = v > VAR_MIN ? v : VAR_MIN;
            }
        }
    }
    gn_free(Ks);
    return GN_OK;
}

/* Contract in gp.h. Warped models: the mean returned is the posterior
 * median w^-1(.) of the latent value, the variance the delta method's. */
gn_status gn_gp_predict(const gn_gp *gp, const double *Xs, size_t m, double *mean, double *var, gn_err *err)
{
    size_t i;
    gn_status st;

    if (!gp || (m && (!Xs || !mean)))
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->ready)
        return gn_err_set(err, GN_ERR_STATE, "gp: predict before a successful fit");
    if (!all_finite(Xs, m * gp->dim))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite prediction input");
    st = predict_std(gp, Xs, m, mean, var, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < m; i++)
        to_original(gp, mean[i], var ? var[i] : 1.0, &mean[i], var ? &var[i] : NULL);
    return GN_OK;
}

/* Contract in gp.h. */
gn_status gn_gp_predict_standard(const gn_gp *gp, const double *Xs, size_t m, double *mean, double *var,
                                 gn_err *err)
{
    if (!gp || (m && (!Xs || !mean)))
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->ready)
        return gn_err_set(err, GN_ERR_STATE, "gp: predict before a successful fit");
    if (!all_finite(Xs, m * gp->dim))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite prediction input");
    return predict_std(gp, Xs, m, mean, var, err);
}

/* Contract in gp.h. O(n dim + n^2): k = k(X, x) and G, v = L^-1 k,
 * beta = L^-T v = K^-1 k; then dmean_j = sum_i alpha_i dk_i/dx_j and
 * dvar_j = -2 sum_i beta_i dk_i/dx_j with dk_i/dx_j = -G_i (a_j - a_ij) / l_j. */
gn_status gn_gp_predict_grad(const gn_gp *gp, const double *x, int standardised, double *mean, double *var,
                             double *dmean, double *dvar, gn_err *err)
{
    size_t n, d, i, j;
    double s2, mz, vz, *kv, *gv, *v, *t;
    int clamped = 0;

    if (!gp || !x)
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->ready)
        return gn_err_set(err, GN_ERR_STATE, "gp: predict before a successful fit");
    if (!standardised && gp->warp.type != GN_WARP_NONE)
        return gn_err_set(err, GN_ERR_UNSUPPORTED, "gp: gradients of a warped model only in standardised units");
    if (!all_finite(x, gp->dim))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite prediction input");
    n = gp->n;
    d = gp->dim;
    s2 = exp(gp->theta[IX_OS(gp)]);
    kv = gn_malloc((3 * n + d) * sizeof(double));
    if (!kv)
        return gn_err_nomem(err);
    gv = kv + n;
    v = gv + n;
    t = v + n;
    for (j = 0; j < d; j++)
        t[j] = x[j] * gp->ilen[j];
    mz = gp->theta[IX_MEAN(gp)];
    for (i = 0; i < n; i++) {
        const double *si = gp->S + i * d;
        double r2 = 0.0;
        for (j = 0; j < d; j++)
            r2 += (t[j] - si[j]) * (t[j] - si[j]);
        kv[i] = gn__kernel_eval(gp->opts.kernel, r2, s2, &gv[i]);
        mz += gp->alpha[i] * kv[i];
    }
    memcpy(v, kv, n * sizeof(double));
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->Lc, (int)gp->cap, v, 1);
    vz = s2 - cblas_ddot((int)n, v, 1, v, 1);
    if (!(vz > VAR_MIN)) {
        vz = VAR_MIN;
        clamped = 1;
    }
    if (dvar)
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, gp->Lc, (int)gp->cap, v, 1);
    for (j = 0; j < d; j++) {
        double dm = 0.0, dv = 0.0;
        for (i = 0; i < n; i++) {
            double dk = -gv[i] * (t[j] - gp->S[i * d + j]) * gp->ilen[j];
            dm += gp->alpha[i] * dk;
            dv += v[i] * dk;
        }
        if (dmean)
            dmean[j] = standardised ? dm : gp->sd * dm;
        if (dvar)
            dvar[j] = clamped ? 0.0 : (standardised ? -2.0 * dv : -2.0 * dv * gp->sd * gp->sd);
    }
    if (mean)
        *mean = standardised ? mz : gp->mu + gp->sd * mz;
    if (var)
        *var = standardised ? vz : vz * gp->sd * gp->sd;
    gn_free(kv);
    return GN_OK;
}

/* Contract in gp.h. */
gn_status gn_gp_log_predictive(const gn_gp *gp, const double *Xs, const double *ys, size_t m, double *logp,
                               gn_err *err)
{
    double noise, *mz, *vz;
    size_t i;
    gn_status st;

    if (!gp || (m && (!Xs || !ys || !logp)))
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->ready)
        return gn_err_set(err, GN_ERR_STATE, "gp: predict before a successful fit");
    if (!all_finite(Xs, m * gp->dim) || !all_finite(ys, m))
        return gn_err_set(err, GN_ERR_INVALID, "gp: non-finite input");
    if (m == 0)
        return GN_OK;
    mz = gn_calloc(2 * m, sizeof(double));
    if (!mz)
        return gn_err_nomem(err);
    vz = mz + m;
    st = predict_std(gp, Xs, m, mz, vz, err);
    if (st == GN_OK) {
        noise = gp->opts.noise_floor + exp(gp->theta[IX_NZ(gp)]);
        for (i = 0; i < m; i++) {
            double s = vz[i] + noise, r = gn_gp_to_standard(gp, ys[i]) - mz[i];
            logp[i] = -0.5 * (LOG_2PI + log(s) + r * r / s) + log(gn__warp_deriv(&gp->warp, ys[i]) / gp->sd);
        }
    }
    gn_free(mz);
    return st;
}

/* ---- accessors ---------------------------------------------------------- */

double gn_gp_to_standard(const gn_gp *gp, double y) { return (gn__warp_fwd(&gp->warp, y) - gp->mu) / gp->sd; }

double gn_gp_from_standard(const gn_gp *gp, double z) { return gn__warp_inv(&gp->warp, gp->mu + gp->sd * z); }

void gn_gp_hyper(const gn_gp *gp, double *lengthscales, double *outputscale, double *noise, double *mean)
{
    size_t j;
    if (lengthscales)
        for (j = 0; j < gp->dim; j++)
            lengthscales[j] = exp(gp->theta[j]);
    if (outputscale)
        *outputscale = exp(gp->theta[IX_OS(gp)]);
    if (noise)
        *noise = gp->opts.noise_floor + exp(gp->theta[IX_NZ(gp)]);
    if (mean)
        *mean = gp->theta[IX_MEAN(gp)];
}

double gn_gp_log_posterior(const gn_gp *gp) { return gp->logpost; }
size_t gn_gp_n(const gn_gp *gp) { return gp->n; }
size_t gn_gp_dim(const gn_gp *gp) { return gp->dim; }

long gn__gp_evals(const gn_gp *gp) { return gp->evals; }

void gn__gp_theta(const gn_gp *gp, double *theta) { memcpy(theta, gp->theta, NTHETA(gp) * sizeof(double)); }

/* Contract in gp.h. Evaluates at theta, then restores the factor at the
 * fitted theta. */
gn_status gn__gp_log_posterior_at(gn_gp *gp, const double *theta, double *logpost, double *grad, gn_err *err)
{
    gn_status st, st2;
    double lp;

    if (!gp || !theta || !logpost)
        return gn_err_set(err, GN_ERR_INVALID, "gp: NULL argument");
    if (!gp->has_theta || gp->n == 0)
        return gn_err_set(err, GN_ERR_STATE, "gp: no data");
    st = eval_logpost(gp, gp->X, gp->z, gp->n, theta, grad, logpost, err);
    st2 = eval_logpost(gp, gp->X, gp->z, gp->n, gp->theta, NULL, &lp, st == GN_OK ? err : NULL);
    return st != GN_OK ? st : st2;
}
