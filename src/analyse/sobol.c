/*
 * analyse/sobol.c - first-order and total Sobol' indices by Monte Carlo.
 *
 * The design (Saltelli 2002, 2010): two N x d matrices A and B whose rows
 * are the first and second halves of the points of a 2d-dimensional
 * quasi-random sequence, and for each input i the matrix AB_i = A with
 * column i taken from B. With fA, fB, fAB_i the function values and V the
 * variance of f over A and B together:
 *
 *   S1_i = mean_j fB_j (fAB_i,j - fA_j) / V           (Saltelli et al. 2010)
 *   ST_i = mean_j (fA_j - fAB_i,j)^2 / (2 V)          (Jansen 1999)
 *
 * Standard errors come from resampling the N rows with replacement and
 * recomputing both estimators (the rows are dependent through the
 * quasi-random design, so this is an approximation; it measures sampling
 * error of the estimators only, not the uncertainty of the function).
 */
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "analyse/analyse.h"
#include "core/alloc.h"

#define HALTON_MAX_DIM 1229 /* GSL's Halton table */
#define SOBOL_MAX_DIM 40    /* gsl_qrng_sobol returns zeros above this */

void gn__sobol_destroy(gn__sobol *s)
{
    if (!s)
        return;
    gn_free(s->s1);
    gn_free(s->s1_se);
    gn_free(s->st);
    gn_free(s->st_se);
    s->s1 = s->s1_se = s->st = s->st_se = NULL;
}

/* Fills M (N rows of `cols` values) with the quasi-random sequence, its
 * first point (the origin) skipped. */
static gn_status qmc_fill(size_t N, size_t cols, double *M, gn_err *err)
{
    gsl_qrng *q;
    size_t i;

    if (cols > HALTON_MAX_DIM)
        return gn_err_set(err, GN_ERR_LIMIT, "sobol indices: %zu inputs, over the limit of %d", cols / 2,
                          HALTON_MAX_DIM / 2);
    q = gsl_qrng_alloc(cols <= SOBOL_MAX_DIM ? gsl_qrng_sobol : gsl_qrng_halton, (unsigned)cols);
    if (!q)
        return gn_err_nomem(err);
    gsl_qrng_get(q, M); /* the origin */
    for (i = 0; i < N; i++)
        gsl_qrng_get(q, M + i * cols);
    gsl_qrng_free(q);
    return GN_OK;
}

/* Both estimators over the rows idx[0..N) (idx NULL: every row in order)
 * into s1 and st (d each). */
static void estimate(const double *fA, const double *fB, const double *fAB, size_t N, size_t d,
                     const size_t *idx, double *s1, double *st, double *variance)
{
    double sum = 0.0, sum2 = 0.0, mean, V;
    size_t i, j;

    for (j = 0; j < N; j++) {
        size_t r = idx ? idx[j] : j;
        sum += fA[r] + fB[r];
    }
    mean = sum / (2.0 * (double)N);
    for (j = 0; j < N; j++) {
        size_t r = idx ? idx[j] : j;
        sum2 += (fA[r] - mean) * (fA[r] - mean) + (fB[r] - mean) * (fB[r] - mean);
    }
    V = sum2 / (2.0 * (double)N);
    if (variance)
        *variance = V;
    for (i = 0; i < d; i++) {
        double a = 0.0, b = 0.0;
        const double *fi = fAB + i * N;
        for (j = 0; j < N; j++) {
            size_t r = idx ? idx[j] : j;
            a += fB[r] * (fi[r] - fA[r]);
            b += (fA[r] - fi[r]) * (fA[r] - fi[r]);
        }
        /* a constant function has no variance to share out */
        if (!(V > 1e-300) || V <= 1e-24 * mean * mean) {
            s1[i] = st[i] = 0.0;
            continue;
        }
        s1[i] = a / (double)N / V;
        st[i] = b / (2.0 * (double)N) / V;
    }
}

gn_status gn__sobol_indices(gn__analyse_fn f, void *ctx, size_t dim, size_t N, uint64_t seed, gn__sobol *out,
                            gn_err *err)
{
    double *M = NULL, *P = NULL, *fA = NULL, *fB = NULL, *fAB = NULL, *bs1 = NULL, *bst = NULL;
    size_t *idx = NULL, i, j, b;
    gsl_rng *rng = NULL;
    gn_status st = GN_OK;

    memset(out, 0, sizeof *out);
    if (!f || dim == 0 || N < 2)
        return gn_err_set(err, GN_ERR_INVALID, "sobol indices: need a function, dim >= 1 and N >= 2");
    out->dim = dim;
    out->N = N;
    M = gn_calloc(N * 2 * dim, sizeof *M);
    P = gn_calloc(N * dim, sizeof *P);
    fA = gn_calloc(N, sizeof *fA);
    fB = gn_calloc(N, sizeof *fB);
    fAB = gn_calloc(N * dim, sizeof *fAB);
    idx = gn_calloc(N, sizeof *idx);
    bs1 = gn_calloc(GN_ANALYSE_BOOT * dim, sizeof *bs1);
    bst = gn_calloc(GN_ANALYSE_BOOT * dim, sizeof *bst);
    out->s1 = gn_calloc(dim, sizeof(double));
    out->s1_se = gn_calloc(dim, sizeof(double));
    out->st = gn_calloc(dim, sizeof(double));
    out->st_se = gn_calloc(dim, sizeof(double));
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!M || !P || !fA || !fB || !fAB || !idx || !bs1 || !bst || !out->s1 || !out->s1_se || !out->st ||
        !out->st_se || !rng) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = qmc_fill(N, 2 * dim, M, err);
    if (st != GN_OK)
        goto out;
    /* A: first dim columns; B: the last dim */
    for (j = 0; j < N; j++)
        memcpy(P + j * dim, M + j * 2 * dim, dim * sizeof *P);
    if ((st = f(ctx, P, N, fA, err)) != GN_OK)
        goto out;
    for (j = 0; j < N; j++)
        memcpy(P + j * dim, M + j * 2 * dim + dim, dim * sizeof *P);
    if ((st = f(ctx, P, N, fB, err)) != GN_OK)
        goto out;
    for (i = 0; i < dim; i++) {
        for (j = 0; j < N; j++) {
            memcpy(P + j * dim, M + j * 2 * dim, dim * sizeof *P);
            P[j * dim + i] = M[j * 2 * dim + dim + i];
        }
        if ((st = f(ctx, P, N, fAB + i * N, err)) != GN_OK)
            goto out;
    }
    for (j = 0; j < N; j++)
        if (!isfinite(fA[j]) || !isfinite(fB[j])) {
            st = gn_err_set(err, GN_ERR_INTERNAL, "sobol indices: the function gave a non-finite value");
            goto out;
        }
    estimate(fA, fB, fAB, N, dim, NULL, out->s1, out->st, &out->variance);
    gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
    for (b = 0; b < GN_ANALYSE_BOOT; b++) {
        for (j = 0; j < N; j++)
            idx[j] = (size_t)gsl_rng_uniform_int(rng, (unsigned long)N);
        estimate(fA, fB, fAB, N, dim, idx, bs1 + b * dim, bst + b * dim, NULL);
    }
    for (i = 0; i < dim; i++) {
        double m1 = 0, mt = 0, v1 = 0, vt = 0;
        for (b = 0; b < GN_ANALYSE_BOOT; b++) {
            m1 += bs1[b * dim + i];
            mt += bst[b * dim + i];
        }
        m1 /= GN_ANALYSE_BOOT;
        mt /= GN_ANALYSE_BOOT;
        for (b = 0; b < GN_ANALYSE_BOOT; b++) {
            v1 += (bs1[b * dim + i] - m1) * (bs1[b * dim + i] - m1);
            vt += (bst[b * dim + i] - mt) * (bst[b * dim + i] - mt);
        }
        out->s1_se[i] = sqrt(v1 / (GN_ANALYSE_BOOT - 1));
        out->st_se[i] = sqrt(vt / (GN_ANALYSE_BOOT - 1));
    }
out:
    gsl_rng_free(rng);
    gn_free(M);
    gn_free(P);
    gn_free(fA);
    gn_free(fB);
    gn_free(fAB);
    gn_free(idx);
    gn_free(bs1);
    gn_free(bst);
    return st;
}
