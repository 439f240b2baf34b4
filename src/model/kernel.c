/* model/kernel.c - kernel matrices for the GP (see internal.h) */
#include "model/internal.h"

/* Squared distance between two scaled points. */
static double sqdist(const double *a, const double *b, size_t dim)
{
    double s = 0.0;
    size_t j;
    for (j = 0; j < dim; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* Contract in internal.h. O(n^2 dim / 2): the direct differences are cheap
 * next to the Cholesky and, unlike |a|^2 + |b|^2 - 2ab, exact for nearby
 * points (which keeps finite-difference checks and duplicates clean). Each
 * column is built in two streaming passes (squared distances one input
 * dimension at a time over the contiguous column, then the kernel), which
 * is several times faster than a distance call per entry. */
void gn__kernel_matrix(gn_kernel_type type, const double *S, size_t n, size_t dim, double s2, double *K,
                       size_t ldk, double *G)
{
    size_t i, j, k;
    for (k = 0; k < n; k++) {
        const double *ak = S + k * dim;
        double *kc = K + k * ldk;
        double *gc = G ? G + k * ldk : NULL;
        for (i = k; i < n; i++)
            kc[i] = 0.0;
        for (j = 0; j < dim; j++) {
            const double a = ak[j];
            const double *sj = S + j;
            for (i = k + 1; i < n; i++) {
                double t = sj[i * dim] - a;
                kc[i] += t * t;
            }
        }
        if (gc) {
            for (i = k; i < n; i++)
                kc[i] = gn__kernel_eval(type, kc[i], s2, &gc[i]);
        } else {
            for (i = k; i < n; i++)
                kc[i] = gn__kernel_eval(type, kc[i], s2, NULL);
        }
    }
}

/* Contract in internal.h. */
void gn__kernel_cross(gn_kernel_type type, const double *S, size_t n, const double *T, size_t m, size_t dim,
                      double s2, double *out)
{
    size_t i, j;
    for (j = 0; j < m; j++) {
        const double *t = T + j * dim;
        double *col = out + j * n;
        for (i = 0; i < n; i++)
            col[i] = gn__kernel_eval(type, sqdist(S + i * dim, t, dim), s2, NULL);
    }
}
