/* plan/acquisition.c - see acquisition.h */
#include "plan/acquisition.h"

#include <math.h>
#include <stddef.h>

#define LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define CF_TERMS 60                         /* continued fraction depth (see the header) */
#define TAIL_Z (-3.0)                       /* below it, the continued fraction */

/* t(x) = 1/(x + 2/(x + 3/(x + ...))) for x >= 3: the Mills ratio is
 * m(x) = (1 - Phi(x))/phi(x) = 1/(x + t(x)). */
static double mills_tail(double x)
{
    double v = 0.0;
    int k;
    for (k = CF_TERMS; k >= 2; k--)
        v = (double)k / (x + v);
    return 1.0 / (x + v);
}

static double log_phi(double z)
{
    return -0.5 * z * z - LOG_SQRT_2PI;
}

static double cdf(double z)
{
    return 0.5 * erfc(-z * M_SQRT1_2);
}

/* log(1 - exp(a)) for a < 0, accurate near 0 and far from it (Maechler). */
static double log1mexp(double a)
{
    return a > -M_LN2 ? log(-expm1(a)) : log1p(-exp(a));
}

double gn_acq_log_h(double z, double *dz)
{
    double v;
    if (z > TAIL_Z) {
        double Phi = cdf(z), h = exp(log_phi(z)) + z * Phi;
        v = log(h);
        if (dz)
            *dz = Phi / h;
    } else {
        double x = -z, t = mills_tail(x);
        v = log_phi(x) + log(t) - log(x + t);
        if (dz)
            *dz = 1.0 / t;
    }
    return v;
}

double gn_acq_log_ei(double mean, double sd, double best, double *dmean, double *dsd)
{
    double z = (mean - best) / sd, dh;
    double v = gn_acq_log_h(z, &dh) + log(sd);
    /* dz/dmean = 1/sd, dz/dsd = -z/sd */
    if (dmean)
        *dmean = dh / sd;
    if (dsd)
        *dsd = (1.0 - dh * z) / sd;
    return v;
}

double gn_acq_log_cdf(double z, double *dz)
{
    double v, d;
    if (z > TAIL_Z) {
        double Phi = cdf(z);
        v = z > 0.0 ? log1p(-0.5 * erfc(z * M_SQRT1_2)) : log(Phi);
        d = exp(log_phi(z)) / Phi;
    } else {
        double x = -z, t = mills_tail(x);
        v = log_phi(x) - log(x + t);
        d = x + t;
    }
    if (dz)
        *dz = d;
    return v;
}

double gn_acq_log_prob_between(double mean, double sd, double lo, double hi, double *dmean, double *dsd)
{
    double za = isinf(lo) ? -INFINITY : (lo - mean) / sd;
    double zb = isinf(hi) ? INFINITY : (hi - mean) / sd;
    double v, ga = 0.0, gb = 0.0; /* d v / d za, d v / d zb */

    if (isinf(za) && isinf(zb)) {
        v = 0.0;
    } else if (isinf(za)) {
        v = gn_acq_log_cdf(zb, &gb);
    } else if (isinf(zb)) {
        v = gn_acq_log_cdf(-za, &ga);
        ga = -ga;
    } else {
        if (za > 0.0) {
            /* both bounds above the mean: Phi(-za) - Phi(-zb) */
            double a = gn_acq_log_cdf(-za, NULL), b = gn_acq_log_cdf(-zb, NULL);
            v = a + log1mexp(fmin(b - a, -1e-300));
        } else if (zb < 0.0) {
            double a = gn_acq_log_cdf(za, NULL), b = gn_acq_log_cdf(zb, NULL);
            v = b + log1mexp(fmin(a - b, -1e-300));
        } else {
            v = log1p(-(cdf(za) + cdf(-zb)));
        }
        ga = -exp(log_phi(za) - v);
        gb = exp(log_phi(zb) - v);
    }
    /* dz/dmean = -1/sd, dz/dsd = -z/sd (the infinite bound contributes 0) */
    if (dmean)
        *dmean = -(ga + gb) / sd;
    if (dsd)
        *dsd = -((isinf(za) ? 0.0 : ga * za) + (isinf(zb) ? 0.0 : gb * zb)) / sd;
    return v;
}

double gn_acq_ucb(double mean, double sd, double beta, double *dmean, double *dsd)
{
    double r = sqrt(beta > 0.0 ? beta : 0.0);
    if (dmean)
        *dmean = 1.0;
    if (dsd)
        *dsd = r;
    return mean + r * sd;
}
