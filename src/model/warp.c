/*
 * model/warp.c - monotone output warps: log (with a linear tail below a
 * threshold, so values under the training minimum stay defined) and
 * Yeo-Johnson with its exponent fitted by maximum likelihood.
 */
#include <float.h>
#include <math.h>

#include "model/internal.h"

#define YJ_LAMBDA_MIN (-3.0)
#define YJ_LAMBDA_MAX 3.0
#define EXP_MAX 700.0 /* exp() of more overflows */

static double safe_exp(double a) { return exp(a < EXP_MAX ? a : EXP_MAX); }

static double clamp_finite(double v)
{
    if (isnan(v))
        return 0.0;
    if (v > DBL_MAX)
        return DBL_MAX;
    if (v < -DBL_MAX)
        return -DBL_MAX;
    return v;
}

/* ---- Yeo-Johnson on the pre-standardised x ---- */

static double yj_fwd(double x, double lam)
{
    if (x >= 0.0)
        return fabs(lam) < 1e-10 ? log1p(x) : expm1(lam * log1p(x)) / lam;
    return fabs(lam - 2.0) < 1e-10 ? -log1p(-x) : -expm1((2.0 - lam) * log1p(-x)) / (2.0 - lam);
}

static double yj_deriv(double x, double lam)
{
    return x >= 0.0 ? safe_exp((lam - 1.0) * log1p(x)) : safe_exp((1.0 - lam) * log1p(-x));
}

/* Inverse of yj_fwd. Values outside the transform's range (possible for
 * lambda < 0 above, lambda > 2 below) are mapped to the range's end, a
 * large finite number. */
static double yj_inv(double v, double lam)
{
    double b;
    if (v >= 0.0) {
        if (fabs(lam) < 1e-10)
            return expm1(v < EXP_MAX ? v : EXP_MAX);
        b = 1.0 + lam * v;
        if (b < 1e-300)
            b = 1e-300;
        return expm1(fmin(log(b) / lam, EXP_MAX));
    }
    if (fabs(lam - 2.0) < 1e-10)
        return -expm1(-v < EXP_MAX ? -v : EXP_MAX);
    b = 1.0 - (2.0 - lam) * v;
    if (b < 1e-300)
        b = 1e-300;
    return -expm1(fmin(log(b) / (2.0 - lam), EXP_MAX));
}

/* Profile log-likelihood of lambda for normally distributed transformed
 * values (the Jacobian term makes lambdas comparable). */
static double yj_loglik(const double *x, size_t n, double lam, double *work)
{
    double mean = 0.0, var = 0.0, jac = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        work[i] = yj_fwd(x[i], lam);
        mean += work[i];
        jac += (x[i] >= 0.0 ? 1.0 : -1.0) * log1p(fabs(x[i]));
    }
    mean /= (double)n;
    for (i = 0; i < n; i++)
        var += (work[i] - mean) * (work[i] - mean);
    var /= (double)n;
    if (!(var > 1e-300))
        var = 1e-300;
    return -0.5 * (double)n * log(var) + (lam - 1.0) * jac;
}

/* Contract in internal.h. The power warp pre-standardises y (so lambda does
 * not depend on the units) and maximises the profile likelihood by golden
 * section on [-3, 3]; it is unimodal in practice. */
void gn__warp_fit(gn__warp *w, gn_warp_type type, const double *y, size_t n, double *work)
{
    double lo = y[0], hi = y[0], mean = 0.0, var = 0.0;
    size_t i;

    w->type = type;
    w->shift = 0.0;
    w->t0 = 1.0;
    w->m0 = 0.0;
    w->s0 = 1.0;
    w->lambda = 1.0;
    for (i = 0; i < n; i++) {
        lo = fmin(lo, y[i]);
        hi = fmax(hi, y[i]);
        mean += y[i];
    }
    mean /= (double)n;
    if (type == GN_WARP_LOG) {
        /* positive data: plain log(y); otherwise log(y - min + offset)
         * with an offset of a tenth of the range */
        double offset = lo > 0.0 ? lo : (hi > lo ? 0.1 * (hi - lo) : 1.0);
        w->shift = lo - offset;
        w->t0 = 0.5 * offset;
    } else if (type == GN_WARP_POWER) {
        double a = YJ_LAMBDA_MIN, b = YJ_LAMBDA_MAX, c, d, fc, fd;
        const double gr = 0.6180339887498949;
        int it;
        for (i = 0; i < n; i++)
            var += (y[i] - mean) * (y[i] - mean);
        var = n > 1 ? var / (double)(n - 1) : 0.0;
        w->m0 = mean;
        w->s0 = var > 0.0 && sqrt(var) > 1e-12 * fmax(1.0, fabs(mean)) ? sqrt(var) : 1.0;
        if (hi - lo <= 0.0 || n < 3)
            return; /* nothing to learn from: identity (lambda = 1) */
        for (i = 0; i < n; i++)
            work[i] = (y[i] - w->m0) / w->s0;
        c = b - gr * (b - a);
        d = a + gr * (b - a);
        fc = yj_loglik(work, n, c, work + n);
        fd = yj_loglik(work, n, d, work + n);
        for (it = 0; it < 60 && b - a > 1e-6; it++) {
            if (fc >= fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - gr * (b - a);
                fc = yj_loglik(work, n, c, work + n);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + gr * (b - a);
                fd = yj_loglik(work, n, d, work + n);
            }
        }
        w->lambda = 0.5 * (a + b);
    }
}

double gn__warp_fwd(const gn__warp *w, double y)
{
    double t;
    switch (w->type) {
    case GN_WARP_LOG:
        t = y - w->shift;
        return clamp_finite(t >= w->t0 ? log(t) : log(w->t0) + (t - w->t0) / w->t0);
    case GN_WARP_POWER:
        return clamp_finite(yj_fwd((y - w->m0) / w->s0, w->lambda));
    default:
        return y;
    }
}

double gn__warp_inv(const gn__warp *w, double v)
{
    double lt0;
    switch (w->type) {
    case GN_WARP_LOG:
        lt0 = log(w->t0);
        return clamp_finite(w->shift + (v >= lt0 ? safe_exp(v) : w->t0 + w->t0 * (v - lt0)));
    case GN_WARP_POWER:
        return clamp_finite(w->m0 + w->s0 * yj_inv(v, w->lambda));
    default:
        return v;
    }
}

double gn__warp_deriv(const gn__warp *w, double y)
{
    double t, d;
    switch (w->type) {
    case GN_WARP_LOG:
        t = y - w->shift;
        d = t >= w->t0 ? 1.0 / t : 1.0 / w->t0;
        break;
    case GN_WARP_POWER:
        d = yj_deriv((y - w->m0) / w->s0, w->lambda) / w->s0;
        break;
    default:
        d = 1.0;
    }
    if (!(d > 1e-300))
        d = 1e-300;
    return d > DBL_MAX ? DBL_MAX : d;
}
