/*
 * analyse/stats.c - statistics of the stored data: calibration of the
 * predictions and the expected best of random search.
 */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"

#define Z68 1.0
#define Z95 1.959963984540054
#define HIST_LO (-4.0)
#define HIST_STEP 0.5

/* The central 95% range of Binomial(n, p) / n: the smallest k with
 * P(X <= k) >= 0.025 and the smallest k with P(X <= k) >= 0.975. */
static void binomial_range(size_t n, double p, double *lo, double *hi)
{
    double cum = 0.0;
    size_t k;
    int have_lo = 0;

    *lo = 0.0;
    *hi = 1.0;
    for (k = 0; k <= n; k++) {
        cum += gsl_ran_binomial_pdf((unsigned)k, p, (unsigned)n);
        if (!have_lo && cum >= 0.025) {
            *lo = (double)k / (double)n;
            have_lo = 1;
        }
        if (cum >= 0.975) {
            *hi = (double)k / (double)n;
            return;
        }
    }
}

void gn__calibration(const double *y, const double *mean, const double *sd, size_t n, gn__calib *out)
{
    size_t i, in68 = 0, in95 = 0;
    double sz = 0, sz2 = 0, sa = 0, se2 = 0;

    memset(out, 0, sizeof *out);
    out->cover68 = out->cover95 = out->z_mean = out->z_sd = out->mae = out->rmse = NAN;
    out->lo68 = out->hi68 = out->lo95 = out->hi95 = NAN;
    for (i = 0; i < n; i++) {
        double z, e;
        if (!isfinite(y[i]) || !isfinite(mean[i]) || !isfinite(sd[i]) || !(sd[i] > 0)) {
            out->n_excluded++;
            continue;
        }
        e = y[i] - mean[i];
        z = e / sd[i];
        out->n++;
        in68 += fabs(z) <= Z68;
        in95 += fabs(z) <= Z95;
        sz += z;
        sz2 += z * z;
        sa += fabs(e);
        se2 += e * e;
        {
            long b = (long)floor((z - HIST_LO) / HIST_STEP);
            if (b < 0)
                b = 0;
            if (b >= GN_ANALYSE_HIST_BINS)
                b = GN_ANALYSE_HIST_BINS - 1;
            out->hist[b]++;
        }
    }
    if (out->n == 0) {
        out->verdict = "no predictions";
        return;
    }
    out->cover68 = (double)in68 / (double)out->n;
    out->cover95 = (double)in95 / (double)out->n;
    out->z_mean = sz / (double)out->n;
    out->z_sd = out->n > 1 ? sqrt(fmax(0.0, (sz2 - sz * sz / (double)out->n) / (double)(out->n - 1))) : NAN;
    out->mae = sa / (double)out->n;
    out->rmse = sqrt(se2 / (double)out->n);
    binomial_range(out->n, 0.6826894921370859, &out->lo68, &out->hi68);
    binomial_range(out->n, 0.95, &out->lo95, &out->hi95);
    if (out->n < 5)
        out->verdict = "too few predictions";
    else if (out->cover68 < out->lo68 || out->cover95 < out->lo95)
        out->verdict = "overconfident";
    else if (out->cover68 > out->hi68 || (out->cover95 > out->hi95 && out->hi95 < 1.0))
        out->verdict = "underconfident";
    else if (fabs(out->z_mean) > 3.0 / sqrt((double)out->n))
        out->verdict = "biased";
    else
        out->verdict = "calibrated";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double lchoose(double a, double b)
{
    return lgamma(a + 1.0) - lgamma(b + 1.0) - lgamma(a - b + 1.0);
}

/* Contract in analyse.h. Weights w_j = C(j-1+N-n, k-1) / C(N, k) are
 * formed in log space; their sum is P(at least one value drawn), so
 * dividing by it conditions on that. */
double gn__random_search_expect(double *v, size_t n, size_t N, size_t k)
{
    double top = -INFINITY, sw = 0.0, swv = 0.0;
    size_t j, bad;

    if (k == 0 || n == 0 || k > N || n > N)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    bad = N - n;
    for (j = 1; j <= n; j++) {
        double a = (double)(j - 1 + bad);
        if (a >= (double)(k - 1)) {
            double l = lchoose(a, (double)(k - 1));
            if (l > top)
                top = l;
        }
    }
    for (j = 1; j <= n; j++) {
        double a = (double)(j - 1 + bad), w;
        if (a < (double)(k - 1))
            continue;
        w = exp(lchoose(a, (double)(k - 1)) - top);
        sw += w;
        swv += w * v[j - 1];
    }
    return sw > 0 ? swv / sw : NAN;
}
