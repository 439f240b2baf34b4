/*
 * plan/planner.h - the planner interface (the agent that proposes experiments).
 *
 * Planners are types in a table, like GSL's solvers: a gn_planner_type holds
 * the name and the operations; gn_planner wraps one instance. A campaign
 * creates its planner from the spec, tells it every finished experiment
 * (on resume: all of them, in creation order), and asks it for proposals.
 *
 * Reproducibility: a planner's proposals are a function of the spec, the
 * seed, the observations told and ask_ctx.n_issued, never of wall time or
 * the order in which parallel experiments finished (for design-of-experiments
 * planners, of the seed and n_issued only). So a resumed campaign proposes
 * exactly what an uninterrupted one would have.
 */
#ifndef GN_PLAN_PLANNER_H
#define GN_PLAN_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "plan/space.h"

typedef enum {
    GN_OBS_COMPLETED = 0, /* y holds every objective */
    GN_OBS_FAILED = 1     /* the experiment failed: y is NULL */
} gn_obs_status;

typedef struct gn_observation {
    const double *x;      /* dim entries */
    gn_obs_status status;
    const double *y;      /* n_objectives values in spec order, or NULL */
    const double *c;      /* n_outcome_constraints values in spec order, or NULL */
} gn_observation;

typedef struct gn_ask_ctx {
    /* Number of experiments the campaign has created so far (proposed,
     * running or finished, from this planner or typed by hand). The k-th
     * proposal of this ask is the campaign's experiment n_issued + k. */
    long n_issued;
    /* Experiments proposed or running, whose outcomes are not known yet:
     * n_pending points of dim values each, row-major. */
    const double *pending;
    size_t n_pending;
} gn_ask_ctx;

/* What one ask returns, caller-allocated for n proposals:
 * x[n*dim]; mean[n*n_objectives], sd[n*n_objectives] (may be NULL when the
 * caller does not want predictions); has_prediction[n] (may be NULL). A
 * planner without a model sets has_prediction to 0. */
typedef struct gn_ask_out {
    double *x;
    double *mean;
    double *sd;
    int *has_prediction;
} gn_ask_out;

typedef struct gn_planner_type {
    const char *name;
    /* Creates the planner's state. `space` and its spec are borrowed and
     * outlive the planner. */
    gn_status (*create)(const gn_space *space, uint64_t seed, void **state, gn_err *err);
    /* Proposes n feasible points. GN_ERR_INFEASIBLE when none can be found. */
    gn_status (*ask)(void *state, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err);
    /* Records finished experiments; each is told once. */
    gn_status (*tell)(void *state, const gn_observation *obs, size_t n, gn_err *err);
    void (*destroy)(void *state);
    /* Optional (NULL when unsupported): makes the search space the n points
     * of X (dim values each, point format), a finite pool of candidates;
     * ask then proposes untested candidates only, never one twice. Called
     * before the first ask. */
    gn_status (*set_candidates)(void *state, const double *X, size_t n, gn_err *err);
} gn_planner_type;

typedef struct gn_planner gn_planner;

/* Looks up a planner type by name ("random", "sobol", "lhs", "bo"); NULL if none. */
const gn_planner_type *gn_planner_type_find(const char *name);
/* The names of all planner types, NULL-terminated (for messages and --help). */
const char *const *gn_planner_type_names(void);

/* Creates a planner of spec->planner.strategy over `space`. */
gn_status gn_planner_new(const gn_space *space, uint64_t seed, gn_planner **out, gn_err *err);
gn_status gn_planner_ask(gn_planner *p, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err);
gn_status gn_planner_tell(gn_planner *p, const gn_observation *obs, size_t n, gn_err *err);
const char *gn_planner_name(const gn_planner *p);
/* Restricts the planner to a candidate pool (see set_candidates above);
 * GN_ERR_UNSUPPORTED, naming the strategy, when its type cannot. */
gn_status gn_planner_set_candidates(gn_planner *p, const double *X, size_t n, gn_err *err);
void gn_planner_free(gn_planner *p);

/* The built-in types (defined in random.c, sobol.c, lhs.c; bo in bo.h). */
extern const gn_planner_type gn_planner_random;
extern const gn_planner_type gn_planner_sobol;
extern const gn_planner_type gn_planner_lhs;

#endif
