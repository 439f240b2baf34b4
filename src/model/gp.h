/*
 * model/gp.h - Gaussian-process surrogate models.
 *
 * A gn_gp models one scalar outcome y over inputs x in the unit cube
 * [0,1]^dim (the planner maps parameters there: log-scale parameters in log
 * space, integers relaxed, choices one-hot). Model:
 *
 *   y = m + f(x) + e,  f ~ GP(0, s2 * k(x, x')),  e ~ N(0, noise)
 *
 * with a constant mean m, an output scale s2, one lengthscale per input
 * (ARD) and a Matern-5/2 (default) or RBF kernel k. Outputs are
 * standardised (and optionally warped) before fitting; predictions come
 * back in the original units. Hyperparameters (log lengthscales, log s2,
 * log noise, m) are fitted by maximum a posteriori with weak priors, by
 * multi-start L-BFGS (NLopt) on the analytic gradient of the log marginal
 * likelihood. The Cholesky factorisation (LAPACKE) escalates its jitter
 * until it succeeds, so fitting never yields NaN predictions.
 *
 * Memory is O(n^2 + n*dim); a fit is O(n^3) per likelihood evaluation.
 * A gn_gp is not thread-safe; gn_gp_predict* only read it.
 */
#ifndef GN_MODEL_GP_H
#define GN_MODEL_GP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum { GN_KERNEL_MATERN52 = 0, GN_KERNEL_RBF = 1 } gn_kernel_type;

typedef enum {
    GN_WARP_NONE = 0,
    GN_WARP_LOG = 1,   /* y -> log(y - min(y) + offset): for positive, skewed outcomes */
    GN_WARP_POWER = 2  /* Yeo-Johnson power transform with lambda fitted by ML */
} gn_warp_type;

typedef struct gn_gp_options {
    gn_kernel_type kernel;   /* default MATERN52 */
    gn_warp_type warp;       /* default NONE */
    double noise_floor;      /* minimum noise variance, in standardised units; default 1e-6 */
    int restarts;            /* L-BFGS starts (the previous optimum is always one); default 5 */
    int max_evals;           /* likelihood evaluations per start; default 200 */
    uint64_t seed;           /* for the random starts */
    /* Large n: when n > fit_subset, the multi-start search runs on a random
     * subset of fit_subset points (O(fit_subset^3) per evaluation) and the
     * best optimum is then polished on all n points with at most
     * polish_evals evaluations. Defaults 200 and 5; fit_subset = 0 always
     * fits on all points. */
    size_t fit_subset;
    int polish_evals;
} gn_gp_options;

/* Fills opts with the defaults above. */
void gn_gp_options_default(gn_gp_options *opts);

typedef struct gn_gp gn_gp;

/* A new, unfitted model over `dim` inputs. opts may be NULL (defaults). */
gn_status gn_gp_new(size_t dim, const gn_gp_options *opts, gn_gp **out, gn_err *err);
void gn_gp_free(gn_gp *gp); /* NULL is a no-op */

/* Fits the model to n observations: X is n*dim row-major in [0,1], y has n
 * finite values. Copies the data. Hyperparameters start from the previous
 * fit, if any. n >= 1; with n == 1 or constant y the model is still valid
 * (flat mean, prior variance). GN_ERR_INVALID for non-finite input. */
gn_status gn_gp_fit(gn_gp *gp, const double *X, const double *y, size_t n, gn_err *err);

/* A cheap warm refit: like gn_gp_fit, but a single L-BFGS run of at most
 * max_evals evaluations from the previous optimum (no other starts; for
 * n > fit_subset on all n points, at most polish_evals of them). Before any fit it is gn_gp_fit. For
 * campaign steps where one observation was added: the previous optimum is
 * usually close, and a full multi-start fit can be run every few steps. */
gn_status gn_gp_refit(gn_gp *gp, const double *X, const double *y, size_t n, int max_evals, gn_err *err);

/* Refits only the posterior (Cholesky) for new data, keeping the current
 * hyperparameters: for fantasies and cheap updates. */
gn_status gn_gp_set_data(gn_gp *gp, const double *X, const double *y, size_t n, gn_err *err);

/* Appends one observation (x: dim values, y finite) at the current
 * hyperparameters and output transform: an O(n^2) extension of the
 * Cholesky factor (amortised; the buffers grow geometrically) instead of the
 * O(n^3) refactorisation of gn_gp_set_data. Same result as gn_gp_set_data
 * with the point appended, up to rounding. GN_ERR_STATE before the first
 * fit. On failure the model is unchanged. */
gn_status gn_gp_add_point(gn_gp *gp, const double *x, double y, gn_err *err);

/* Posterior mean and variance of the latent f (plus m), in original y units,
 * at m points Xs (m*dim). var is of f, without observation noise;
 * var may be NULL. */
gn_status gn_gp_predict(const gn_gp *gp, const double *Xs, size_t m, double *mean, double *var, gn_err *err);

/* Posterior mean and variance of f at m points in the model's standardised
 * (warped) units, the units of gn_gp_predict_grad(..., standardised = 1):
 * blocked (BLAS-3), for scoring many points at once. var may be NULL. */
gn_status gn_gp_predict_standard(const gn_gp *gp, const double *Xs, size_t m, double *mean, double *var,
                                 gn_err *err);

/* Mean and variance at one point x with their gradients with respect to x
 * (dim values each; either gradient may be NULL), in standardised units if
 * `standardised` is non-zero, else in original units (warped models:
 * standardised units only, GN_ERR_UNSUPPORTED otherwise). */
gn_status gn_gp_predict_grad(const gn_gp *gp, const double *x, int standardised, double *mean, double *var,
                             double *dmean, double *dvar, gn_err *err);

/* Log predictive density of observations ys (original units) at m points
 * Xs, one value per point into logp: the density of y = m + f + e under the
 * posterior, including the observation noise and, for warped models, the
 * Jacobian of the warp (so values are comparable across warps). */
gn_status gn_gp_log_predictive(const gn_gp *gp, const double *Xs, const double *ys, size_t m, double *logp,
                               gn_err *err);

/* Maps an original-unit y to the model's standardised (warped) units and
 * back; for acquisition functions that work in standardised units. */
double gn_gp_to_standard(const gn_gp *gp, double y);
double gn_gp_from_standard(const gn_gp *gp, double z);

/* Fitted hyperparameters: lengthscales (dim values), output scale s2,
 * noise variance (standardised units), constant mean. Any may be NULL. */
void gn_gp_hyper(const gn_gp *gp, double *lengthscales, double *outputscale, double *noise, double *mean);

/* Log marginal likelihood (plus log prior) at the fitted hyperparameters. */
double gn_gp_log_posterior(const gn_gp *gp);

size_t gn_gp_n(const gn_gp *gp);
size_t gn_gp_dim(const gn_gp *gp);

/* For tests: the log posterior (log marginal likelihood + log prior) and its
 * gradient (grad may be NULL) at the internal parameters theta of the
 * current data, without changing the fitted hyperparameters. theta has
 * dim + 3 entries: log lengthscales, log s2, log(noise - noise_floor), m.
 * gn__gp_theta copies the fitted theta out. GN_ERR_STATE before a fit. */
gn_status gn__gp_log_posterior_at(gn_gp *gp, const double *theta, double *logpost, double *grad, gn_err *err);
void gn__gp_theta(const gn_gp *gp, double *theta);
/* For benchmarks: likelihood evaluations made by the last gn_gp_fit. */
long gn__gp_evals(const gn_gp *gp);

#endif
