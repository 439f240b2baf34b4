/*
 * plan/bo.h - the "bo" planner: Bayesian optimisation with Gaussian
 * processes (docs/bo.md explains the method and its references).
 *
 * In short: a scrambled Sobol' initial design, then one GP per objective
 * and per outcome constraint over the parameters mapped to the unit cube
 * (log-scale reals in log space, ints relaxed, choices one-hot); the first
 * objective is optimised by maximising LogEI (default), a noisy LogEI or
 * UCB, times the probability that every outcome constraint holds, with
 * multi-start L-BFGS; batches and pending experiments by the Kriging
 * believer; a TuRBO-1 trust region in high dimension or with many
 * observations; an optional finite pool of candidates. Every proposal
 * after the initial design carries the models' prediction of every
 * objective.
 */
#ifndef GN_PLAN_BO_H
#define GN_PLAN_BO_H

#include <stddef.h>

#include "core/err.h"
#include "model/gp.h"
#include "plan/planner.h"

typedef enum {
    GN_BO_ACQ_LOGEI = 0,  /* log expected improvement over the best observed value (default) */
    GN_BO_ACQ_UCB = 1,    /* upper confidence bound mean + sqrt(ucb_beta) sd */
    GN_BO_ACQ_LOGNEI = 2  /* LogEI over the best posterior mean at an observed point (noisy outcomes) */
} gn_bo_acquisition;

typedef enum {
    GN_BO_BATCH_BELIEVER = 0, /* Kriging believer: fantasy y = posterior mean (default) */
    GN_BO_BATCH_LIAR_MIN = 1  /* constant liar: fantasy y = the worst observed value */
} gn_bo_batch;

typedef enum { GN_BO_AUTO = 0, GN_BO_ON = 1, GN_BO_OFF = 2 } gn_bo_switch;

typedef enum {
    GN_BO_WARP_AUTO = 0,  /* power warp when |skewness| of the outcomes > 1, else none */
    GN_BO_WARP_NONE = 1,
    GN_BO_WARP_LOG = 2,
    GN_BO_WARP_POWER = 3
} gn_bo_warp;

typedef struct gn_bo_options {
    gn_bo_acquisition acquisition; /* default LOGEI */
    double ucb_beta;               /* default 2 */
    long initial;                  /* initial design size; see gn_bo_options_default */
    gn_bo_batch batch;             /* default BELIEVER */
    gn_bo_switch trust_region;     /* AUTO: on when dim >= 10 or more than 1000 observations */
    gn_kernel_type kernel;         /* default MATERN52 */
    gn_bo_warp warp;               /* default AUTO */
    int raw_samples;               /* acquisition raw samples; 0 = 512 + 20 * dim, fewer for large n */
    int starts;                    /* L-BFGS starts from the best raw samples; 0 = 5 (3 past 500 points) */
    int failures_infeasible;       /* model failed experiments as a constraint (default 1) */
    double endgame;                /* the last ceil(endgame * budget.experiments) proposals exploit:
                                      UCB with beta 0.1 instead of the acquisition (default 0.1;
                                      0 = never; no effect without a budget) */
    int exploit_every;             /* every k-th model-based proposal exploits the same way, with a
                                      global model (not in pools or trust regions); in an ask of
                                      n > 1 these come first, at least one per batch (trust
                                      regions included); default 2, 0 = never */
} gn_bo_options;

/* Fills o with the defaults for spec: initial = spec->planner.initial when
 * > 0, else max(2 * n_params + 1, 5) capped at budget.experiments / 3 (and
 * at least 2) when a budget is given. */
void gn_bo_options_default(gn_bo_options *o, const gn_spec *spec);

/* Replaces the options of a bo planner state (from gn_planner_bo.create)
 * before its first ask. GN_ERR_INVALID for an out-of-range option,
 * GN_ERR_STATE after the first ask. The options are copied. */
gn_status gn_bo_set_options(void *state, const gn_bo_options *o, gn_err *err);

/* Makes the n points X (n * dim values, gn_space point format, copied) the
 * whole search space of a bo planner state: ask then scores every candidate
 * not yet observed or pending with the acquisition and never proposes one
 * twice; the initial design takes the unused candidates nearest to the
 * Sobol' design points. Every candidate must be feasible (GN_ERR_INVALID
 * naming the first that is not). Replaces an earlier pool. When every
 * candidate has been used, ask returns GN_ERR_INFEASIBLE. */
gn_status gn_bo_set_candidates(void *state, const double *X, size_t n, gn_err *err);

/* For tests: the trust region's current side length (before the
 * lengthscale weights) and its number of restarts. state is a bo planner
 * state; either pointer may be NULL. */
void gn__bo_trust_region(const void *state, double *length, int *restarts);

extern const gn_planner_type gn_planner_bo;

#endif
