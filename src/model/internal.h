/*
 * model/internal.h - pieces shared by the files of the model module:
 * kernels (kernel.c) and output warps (warp.c). Not part of any API.
 */
#ifndef GN_MODEL_INTERNAL_H
#define GN_MODEL_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "model/gp.h"

/* ---- kernels ----------------------------------------------------------------
 *
 * Inputs are pre-scaled by the lengthscales (a = x / l), so a kernel is a
 * function of r2 = |a - a'|^2 only. For both kernels
 *
 *   dk/du_j  = G(r) * (a_j - a'_j)^2        (u_j = log l_j)
 *   dk/dx_j  = -G(r) * (a_j - a'_j) / l_j   (x is the first argument)
 *
 * with G = 5/3 s2 (1 + sqrt5 r) exp(-sqrt5 r) (Matern-5/2) or G = k (RBF),
 * which is why the kernels hand back G next to k. */

/* k(r2) for output scale s2; *g receives G (g may be NULL). */
static inline double gn__kernel_eval(gn_kernel_type type, double r2, double s2, double *g)
{
    double k, r, e;
    if (r2 < 0.0)
        r2 = 0.0;
    if (type == GN_KERNEL_RBF) {
        k = s2 * exp(-0.5 * r2);
        if (g)
            *g = k;
        return k;
    }
    r = sqrt(5.0 * r2); /* sqrt5 * r */
    e = s2 * exp(-r);
    k = e * (1.0 + r + (5.0 / 3.0) * r2);
    if (g)
        *g = (5.0 / 3.0) * e * (1.0 + r);
    return k;
}

/* The lower triangle (diagonal included) of the n*n kernel matrix of the
 * scaled inputs S (n*dim row-major) into K (column-major, leading dimension
 * ldk) and, if G is not NULL, the matching G factors into G (same layout).
 * The upper triangles are not touched. */
void gn__kernel_matrix(gn_kernel_type type, const double *S, size_t n, size_t dim, double s2, double *K,
                       size_t ldk, double *G);

/* Cross-covariances between n scaled training inputs S and m scaled test
 * inputs T (both row-major): out is n*m column-major (column j = k(S, T_j)). */
void gn__kernel_cross(gn_kernel_type type, const double *S, size_t n, const double *T, size_t m, size_t dim,
                      double s2, double *out);

/* ---- output warps -------------------------------------------------------------
 *
 * A warp is a strictly increasing map w of the original outcomes, fitted to
 * the training y and then frozen. The model standardises w(y). */
typedef struct gn__warp {
    gn_warp_type type;
    double shift, t0;  /* log: t = y - shift; log(t) for t >= t0, its tangent below */
    double m0, s0;     /* power: y is pre-standardised to (y - m0) / s0 */
    double lambda;     /* power: Yeo-Johnson exponent */
} gn__warp;

/* Fits the warp of the given type to y[0..n) (n >= 1). work holds 2n doubles. */
void gn__warp_fit(gn__warp *w, gn_warp_type type, const double *y, size_t n, double *work);
/* w(y), its inverse and dw/dy (> 0); all finite for finite arguments. */
double gn__warp_fwd(const gn__warp *w, double y);
double gn__warp_inv(const gn__warp *w, double v);
double gn__warp_deriv(const gn__warp *w, double y);

#endif
