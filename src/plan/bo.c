/*
 * plan/bo.c - the "bo" planner: Bayesian optimisation (see bo.h, and
 * docs/bo.md for the method, its choices and references).
 *
 * One ask, proposal by proposal (k = 0 .. n-1, campaign experiment
 * idx = n_issued + k):
 *
 * - idx < initial, or fewer than 2 completed observations: point idx of the
 *   scrambled Sobol' design (the "sobol" planner with the campaign seed; in
 *   pool mode the unused candidate nearest to it), no prediction;
 * - otherwise the models are fitted (once per ask, only when their data
 *   changed), the objective model is conditioned on the pending and
 *   already chosen points with fantasy outcomes (Kriging believer; a
 *   fantasy above the incumbent raises it), and the acquisition is
 *   maximised (or, for exploitation steps, which come first in a batch,
 *   UCB with a small beta): raw samples, L-BFGS from the best of
 *   them over the relaxed unit cube (or the trust region), rounding and
 *   local enumeration of ints and choices, a feasible line search for
 *   linear constraints; the best candidate that is feasible and not equal
 *   to an observed, pending or chosen point wins.
 *
 * At the end the objective model gets its real data back and every
 * model-based proposal gets the prediction of every objective.
 *
 * Reproducibility: the random numbers of proposal idx are a function of
 * (seed, idx); the models see their data in a canonical order (sorted by
 * the encoded point), so the order of tells does not matter to them. Two
 * things do depend on history: hyperparameters are warm-started from the
 * previous fit (so a resumed campaign can land in a different local
 * optimum of the likelihood), and the trust region's success and failure
 * counters follow the order of the tells and how they were grouped (the
 * observations of one tell count as one batch).
 */
#include "plan/bo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nlopt.h>

#include "core/alloc.h"
#include "plan/acquisition.h"
#include "plan/internal.h"

#define DUP_TOL 1e-9                 /* unit-space distance (max norm) of equal points */
#define VAR_MIN 1e-12                /* floor of the standardised posterior variance */
#define MANY_POINTS 500              /* past this many points, fewer and shorter L-BFGS runs */
#define GP_RESTARTS 2                /* GP fit starts, the previous optimum being one */
#define GP_POLISH 2                  /* past 300 points: evaluations on all of them after the subset search */
#define WARM_MIN_N 64                /* above this many points, most refits are a single short warm start: */
#define WARM_EVALS 15                /* at most this many likelihood evaluations, */
#define FULL_FIT_EVERY 5             /* and every 5th refit is a full one */
#define LBFGS_EVALS 100              /* acquisition evaluations per L-BFGS start */
#define ENUM_ROUNDS 4                /* rounds of neighbour enumeration of ints and choices */
#define NEI_TOP 50                   /* LogNEI: best posterior mean among the best observed */
#define LOCAL_FRACTION 8             /* 1/8 of the raw samples perturb the best points */
#define LOCAL_RADIUS 0.05            /* their half-width in the unit cube */
#define DESIGN_RETRIES 1024          /* design points tried when the next one repeats a point */
#define ENDGAME_FRACTION 0.1         /* default endgame: the last 10% of the budget exploit */
#define ENDGAME_BETA 0.1             /* with UCB of this beta (0 would be the posterior mean) */
#define EXPLOIT_EVERY 2              /* default: every 2nd model-based proposal exploits */
#define SKEW_WARP 1.0                /* AUTO warp: power warp above this |skewness| */

/* Trust region (TuRBO-1, Eriksson et al. 2019). */
#define TR_AUTO_DIM 10
#define TR_AUTO_N 1000
#define TR_LOCAL 400     /* the local models see the nearest TR_LOCAL observations */
#define TR_L_INIT 0.8
#define TR_L_MIN (1.0 / 128.0)
#define TR_L_MAX 1.6
#define TR_SUCC_TOL 3
#define TR_FAIL_MAX 20
#define TR_MUTATE 20.0   /* raw samples perturb min(1, TR_MUTATE/dim) of the parameters */

typedef struct bo_model {
    gn_gp *gp;
    gn_warp_type warp;
    int usable;         /* fitted on at least one point */
    size_t n_fant;      /* fantasy points held beyond X, y */
    int warm_fits;      /* cheap warm refits since the last full fit */
    uint64_t data_hash; /* of the data of the last fit; 0 = never fitted */
    double lo, hi;      /* constraint: lo <= outcome <= hi (original units) */
    double lo_s, hi_s;  /* the same in the model's standardised units */
    double *X, *y;      /* the real training data */
    size_t n;
} bo_model;

typedef struct bo_tr {
    double length;      /* side of the box, before the lengthscale weights */
    int succ, fail;
    size_t epoch_start; /* first observation after the last restart */
    long design_left;   /* design points still to propose after a restart */
    double best;        /* best feasible objective of the epoch (maximisation sign) */
    int restarts;
} bo_tr;

typedef struct bo_state {
    const gn_space *space; /* borrowed */
    const gn_spec *spec;   /* borrowed */
    gn_bo_options opt;
    uint64_t key;
    int asked;
    size_t dim, D, n_obj, n_oc;
    size_t *col;           /* dim + 1: first unit column of each parameter; col[dim] = D */
    void *design;          /* the Sobol' design (a "sobol" planner state) */

    /* observations, in the order told */
    size_t n_obs, cap_obs;
    double *obs_x, *obs_u, *obs_y, *obs_c; /* obs_y and obs_c are NaN where unknown */
    unsigned char *obs_ok;
    size_t n_ok, n_failed;

    /* models: objectives, then outcome constraints, then failures */
    bo_model *models;
    size_t n_models;

    /* the acquisition of the current ask */
    int has_best;
    double best;        /* incumbent of model 0, standardised */
    int fail_on;        /* the failure model takes part */
    double *g_m, *g_v;  /* D each: gradients of one prediction */

    bo_tr tr;
    int tr_active;
    double *tr_center, *lb, *ub; /* D each: the box the optimiser searches */

    /* candidate pool */
    double *pool_x, *pool_u;
    unsigned char *pool_used;
    size_t n_pool;
} bo_state;

/* What one ask needs, freed at its end. */
typedef struct bo_work {
    double *pend_u;   /* n_pend * D */
    size_t n_pend;
    double *chosen_u; /* n * D: proposals of this ask so far */
    size_t n_chosen;
    double *raw_x, *raw_u, *raw_v; /* raw samples: points, unit points, acquisition values */
    size_t n_raw, cap_raw;
    size_t *order;    /* cap_raw */
    double *xa, *xb, *ua, *ub, *uc, *lo, *hi; /* scratch: dim, dim, then D each */
    size_t *train;    /* the observations the models see */
    size_t n_train;
} bo_work;

/* ---- options ------------------------------------------------------------------ */

void gn_bo_options_default(gn_bo_options *o, const gn_spec *spec)
{
    long init;

    memset(o, 0, sizeof *o);
    o->acquisition = GN_BO_ACQ_LOGEI;
    o->ucb_beta = 2.0;
    o->batch = GN_BO_BATCH_BELIEVER;
    o->trust_region = GN_BO_AUTO;
    o->kernel = GN_KERNEL_MATERN52;
    o->warp = GN_BO_WARP_AUTO;
    o->raw_samples = 0;
    o->starts = 0;
    o->failures_infeasible = 1;
    o->endgame = ENDGAME_FRACTION;
    o->exploit_every = EXPLOIT_EVERY;
    if (spec) {
        /* the spec's bo keys (validated by the spec reader) */
        const gn_planner_spec *p = &spec->planner;
        if (p->acquisition)
            o->acquisition = !strcmp(p->acquisition, "ucb")      ? GN_BO_ACQ_UCB
                             : !strcmp(p->acquisition, "lognei") ? GN_BO_ACQ_LOGNEI
                                                                 : GN_BO_ACQ_LOGEI;
        if (p->beta > 0)
            o->ucb_beta = p->beta;
        if (p->trust_region)
            o->trust_region = !strcmp(p->trust_region, "on")    ? GN_BO_ON
                              : !strcmp(p->trust_region, "off") ? GN_BO_OFF
                                                                : GN_BO_AUTO;
        if (p->kernel && !strcmp(p->kernel, "rbf"))
            o->kernel = GN_KERNEL_RBF;
        if (p->warp)
            o->warp = !strcmp(p->warp, "none")    ? GN_BO_WARP_NONE
                      : !strcmp(p->warp, "log")   ? GN_BO_WARP_LOG
                      : !strcmp(p->warp, "power") ? GN_BO_WARP_POWER
                                                  : GN_BO_WARP_AUTO;
    }
    if (spec && spec->planner.initial > 0) {
        o->initial = spec->planner.initial;
        return;
    }
    init = 2 * (long)(spec ? spec->n_params : 0) + 1;
    if (init < 5)
        init = 5;
    if (spec && spec->budget.experiments > 0) {
        long cap = spec->budget.experiments / 3;
        if (cap < 2)
            cap = 2;
        if (init > cap)
            init = cap;
    }
    o->initial = init;
}

static gn_status options_check(const gn_bo_options *o, gn_err *err)
{
    if ((unsigned)o->acquisition > GN_BO_ACQ_LOGNEI)
        return gn_err_set(err, GN_ERR_INVALID, "bo: unknown acquisition %d", (int)o->acquisition);
    if (!(o->ucb_beta >= 0.0) || !isfinite(o->ucb_beta))
        return gn_err_set(err, GN_ERR_INVALID, "bo: ucb_beta must be a finite number >= 0");
    if (o->initial < 1)
        return gn_err_set(err, GN_ERR_INVALID, "bo: the initial design needs at least 1 point, got %ld",
                          o->initial);
    if ((unsigned)o->batch > GN_BO_BATCH_LIAR_MIN)
        return gn_err_set(err, GN_ERR_INVALID, "bo: unknown batch strategy %d", (int)o->batch);
    if ((unsigned)o->trust_region > GN_BO_OFF)
        return gn_err_set(err, GN_ERR_INVALID, "bo: unknown trust region mode %d", (int)o->trust_region);
    if ((unsigned)o->kernel > GN_KERNEL_RBF)
        return gn_err_set(err, GN_ERR_INVALID, "bo: unknown kernel %d", (int)o->kernel);
    if ((unsigned)o->warp > GN_BO_WARP_POWER)
        return gn_err_set(err, GN_ERR_INVALID, "bo: unknown warp %d", (int)o->warp);
    if (o->raw_samples < 0 || o->raw_samples > 100000)
        return gn_err_set(err, GN_ERR_INVALID, "bo: raw_samples must be in 0..100000, got %d",
                          o->raw_samples);
    if (o->starts < 0 || o->starts > 100)
        return gn_err_set(err, GN_ERR_INVALID, "bo: starts must be in 0..100, got %d", o->starts);
    if (!(o->endgame >= 0.0 && o->endgame <= 1.0))
        return gn_err_set(err, GN_ERR_INVALID, "bo: endgame must be in [0, 1], got %g", o->endgame);
    if (o->exploit_every < 0)
        return gn_err_set(err, GN_ERR_INVALID, "bo: exploit_every must be >= 0, got %d",
                          o->exploit_every);
    return GN_OK;
}

gn_status gn_bo_set_options(void *state, const gn_bo_options *o, gn_err *err)
{
    bo_state *s = state;
    gn_status st;

    if (!s || !o)
        return gn_err_set(err, GN_ERR_INVALID, "gn_bo_set_options: missing argument");
    if (s->asked)
        return gn_err_set(err, GN_ERR_STATE, "bo: options can only change before the first ask");
    st = options_check(o, err);
    if (st == GN_OK)
        s->opt = *o;
    return st;
}

/* ---- the unit-cube encoding ------------------------------------------------------ *
 * real: (v - low)/(high - low), in log space with scale: log;
 * int:  the same, relaxed (decoding rounds to the nearest whole value);
 * choice: one-hot over its values (decoding takes the largest column).
 * Unlike gn_space_to_unit, ints sit on the grid points (low -> 0, high -> 1)
 * rather than in the middle of equal shares, so that rounding a relaxed
 * optimum lands on its nearest value. */

static double clamp01(double v)
{
    if (!(v >= 0.0))
        return isnan(v) ? 0.5 : 0.0;
    return v > 1.0 ? 1.0 : v;
}

static void span(const gn_param *p, double *a, double *b)
{
    *a = p->log_scale ? log(p->low) : p->low;
    *b = p->log_scale ? log(p->high) : p->high;
}

static void encode(const bo_state *s, const double *x, double *u)
{
    size_t i, k;
    for (i = 0; i < s->dim; i++) {
        const gn_param *p = &s->spec->params[i];
        double *c = u + s->col[i], a, b, v;
        if (p->type == GN_PARAM_CHOICE) {
            for (k = 0; k < p->n_choices; k++)
                c[k] = (x[i] >= (double)k && x[i] < (double)k + 1.0) ? 1.0 : 0.0;
            continue;
        }
        span(p, &a, &b);
        v = p->log_scale ? log(x[i]) : x[i];
        c[0] = b > a ? clamp01((v - a) / (b - a)) : 0.5;
    }
}

static void decode(const bo_state *s, const double *u, double *x)
{
    size_t i, k;
    for (i = 0; i < s->dim; i++) {
        const gn_param *p = &s->spec->params[i];
        const double *c = u + s->col[i];
        double a, b, v;
        if (p->type == GN_PARAM_CHOICE) {
            size_t best = 0;
            for (k = 1; k < p->n_choices; k++)
                if (c[k] > c[best])
                    best = k;
            x[i] = (double)best;
            continue;
        }
        span(p, &a, &b);
        v = a + clamp01(c[0]) * (b - a);
        if (p->log_scale)
            v = exp(v);
        if (p->type == GN_PARAM_INT)
            v = floor(v + 0.5);
        x[i] = v < p->low ? p->low : v > p->high ? p->high : v;
    }
}

static int rows_equal(const double *a, const double *b, size_t D)
{
    size_t k;
    for (k = 0; k < D; k++)
        if (fabs(a[k] - b[k]) > DUP_TOL)
            return 0;
    return 1;
}

/* 1 if the unit point u equals an observed, pending or chosen one. */
static int is_dup(const bo_state *s, const bo_work *w, const double *u)
{
    size_t i, D = s->D;
    for (i = 0; i < s->n_obs; i++)
        if (rows_equal(u, s->obs_u + i * D, D))
            return 1;
    for (i = 0; i < w->n_pend; i++)
        if (rows_equal(u, w->pend_u + i * D, D))
            return 1;
    for (i = 0; i < w->n_chosen; i++)
        if (rows_equal(u, w->chosen_u + i * D, D))
            return 1;
    return 0;
}

/* ---- create / destroy --------------------------------------------------------------- */

static void model_destroy(bo_model *m)
{
    gn_gp_free(m->gp);
    gn_free(m->X);
    gn_free(m->y);
}

static void bo_destroy(void *state)
{
    bo_state *s = state;
    size_t j;
    if (!s)
        return;
    if (s->design)
        gn_planner_sobol.destroy(s->design);
    for (j = 0; s->models && j < s->n_models; j++)
        model_destroy(&s->models[j]);
    gn_free(s->models);
    gn_free(s->col);
    gn_free(s->obs_x);
    gn_free(s->obs_u);
    gn_free(s->obs_y);
    gn_free(s->obs_c);
    gn_free(s->obs_ok);
    gn_free(s->g_m);
    gn_free(s->g_v);
    gn_free(s->tr_center);
    gn_free(s->lb);
    gn_free(s->ub);
    gn_free(s->pool_x);
    gn_free(s->pool_u);
    gn_free(s->pool_used);
    gn_free(s);
}

static gn_status bo_create(const gn_space *space, uint64_t seed, void **state, gn_err *err)
{
    const gn_spec *spec = space ? space->spec : NULL;
    bo_state *s = NULL;
    size_t i, j, D = 0;
    gn_status st = GN_OK;

    *state = NULL;
    if (!spec)
        return gn_err_set(err, GN_ERR_INVALID, "bo: no search space");
    if (spec->n_objectives == 0)
        return gn_err_set(err, GN_ERR_SPEC, "bo: the campaign has no objective to optimise");
    for (i = 0; i < space->dim; i++) {
        const gn_param *p = &spec->params[i];
        if (p->type == GN_PARAM_CHOICE && p->n_choices == 0)
            return gn_err_set(err, GN_ERR_SPEC, "bo: choice parameter '%s' has no values", p->name);
        D += p->type == GN_PARAM_CHOICE ? p->n_choices : 1;
    }
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->space = space;
    s->spec = spec;
    s->dim = space->dim;
    s->D = D;
    s->n_obj = spec->n_objectives;
    s->n_oc = spec->n_outcome_constraints;
    s->key = gn__hash(gn__mix64(seed + GN__GOLDEN), GN__TAG_BO);
    gn_bo_options_default(&s->opt, spec);
    s->n_models = s->n_obj + s->n_oc + 1;
    s->col = gn_calloc(s->dim + 1, sizeof *s->col);
    s->models = gn_calloc(s->n_models, sizeof *s->models);
    s->g_m = gn_calloc(D ? D : 1, sizeof *s->g_m);
    s->g_v = gn_calloc(D ? D : 1, sizeof *s->g_v);
    s->tr_center = gn_calloc(D ? D : 1, sizeof *s->tr_center);
    s->lb = gn_calloc(D ? D : 1, sizeof *s->lb);
    s->ub = gn_calloc(D ? D : 1, sizeof *s->ub);
    if (!s->col || !s->models || !s->g_m || !s->g_v || !s->tr_center || !s->lb || !s->ub) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0, D = 0; i < s->dim; i++) {
        s->col[i] = D;
        D += spec->params[i].type == GN_PARAM_CHOICE ? spec->params[i].n_choices : 1;
    }
    s->col[s->dim] = D;
    for (j = 0; j < s->n_models; j++) {
        bo_model *m = &s->models[j];
        m->lo = -INFINITY;
        m->hi = INFINITY;
        if (j >= s->n_obj && j < s->n_obj + s->n_oc) {
            const gn_outcome_constraint *oc = &spec->outcome_constraints[j - s->n_obj];
            if (oc->has_min)
                m->lo = oc->min;
            if (oc->has_max)
                m->hi = oc->max;
        } else if (j == s->n_models - 1) {
            /* the failure model regresses +1 (completed) / -1 (failed);
             * asking for >= 0.5 rather than >= 0 keeps the planner out of
             * regions it knows too little about to expect success */
            m->lo = 0.5;
        }
    }
    /* the design uses the campaign seed as is: the bo planner's initial
     * design is what the sobol planner would have proposed */
    st = gn_planner_sobol.create(space, seed, &s->design, err);
    if (st != GN_OK)
        goto out;
    s->tr.length = TR_L_INIT;
    s->tr.best = -INFINITY;
    *state = s;
    s = NULL;
out:
    bo_destroy(s);
    return st;
}

/* ---- tell ------------------------------------------------------------------------ */

static double obj_sign(const bo_state *s, size_t j)
{
    return s->spec->objectives[j].maximize ? 1.0 : -1.0;
}

/* 1 if observation i completed and no known outcome constraint is broken. */
static int obs_feasible(const bo_state *s, size_t i)
{
    size_t j;
    if (!s->obs_ok[i])
        return 0;
    for (j = 0; j < s->n_oc; j++) {
        const gn_outcome_constraint *oc = &s->spec->outcome_constraints[j];
        double c = s->obs_c[i * s->n_oc + j];
        if (isnan(c))
            continue;
        if ((oc->has_min && c < oc->min) || (oc->has_max && c > oc->max))
            return 0;
    }
    return 1;
}

static int tr_wanted(const bo_state *s)
{
    if (s->n_pool > 0 || s->opt.trust_region == GN_BO_OFF)
        return 0;
    if (s->opt.trust_region == GN_BO_ON)
        return 1;
    return s->dim >= TR_AUTO_DIM || s->n_ok > TR_AUTO_N;
}

/* TuRBO's bookkeeping for the n observations told together from index
 * first on (one tell: a batch). The batch is a success when one of its
 * observations improves the epoch's best before the batch by 1e-3 of its
 * size; otherwise each of its counted observations (failed experiments
 * too) is a failure. TR_SUCC_TOL successes in a row double the box,
 * fail_tol failures in a row halve it, and a box below TR_L_MIN restarts:
 * a new epoch that begins with `initial` design points. This is TuRBO's
 * batch rule (Eriksson et al. 2019: one success or failure per batch of
 * q, failure tolerance max(4, dim) / q batches); with one observation per
 * tell it is the sequential rule. Counting each observation of a batch on
 * its own, a batch of 4 with one improvement was a success followed by up
 * to 3 failures, and the box could hardly ever grow (that needs 3
 * improving observations in a row). */
static void tr_observe(bo_state *s, size_t first, size_t n)
{
    bo_tr *tr = &s->tr;
    int fail_tol = (int)(s->dim < 4 ? 4 : s->dim > TR_FAIL_MAX ? TR_FAIL_MAX : s->dim);
    double best0 = tr->best;
    int counted = 0, improved = 0;
    size_t i;

    for (i = first; i < first + n; i++) {
        double y = obs_feasible(s, i) ? obj_sign(s, 0) * s->obs_y[i * s->n_obj] : -INFINITY;
        int counting = tr_wanted(s) && i + 1 > (size_t)s->opt.initial &&
                       i - tr->epoch_start >= (size_t)s->opt.initial;
        if (counting && isfinite(best0)) {
            counted++;
            if (y > best0 + 1e-3 * fabs(best0))
                improved = 1;
        }
        if (y > tr->best)
            tr->best = y;
    }
    if (counted > 0) {
        if (improved) {
            tr->succ++;
            tr->fail = 0;
        } else {
            tr->fail += counted;
            tr->succ = 0;
        }
        if (tr->succ >= TR_SUCC_TOL) {
            tr->length = fmin(2.0 * tr->length, TR_L_MAX);
            tr->succ = 0;
        } else if (tr->fail >= fail_tol) {
            tr->length /= 2.0;
            tr->fail = 0;
        }
    }
    if (tr->length < TR_L_MIN) {
        tr->length = TR_L_INIT;
        tr->succ = tr->fail = 0;
        tr->epoch_start = first + n;
        tr->design_left = s->opt.initial;
        tr->best = -INFINITY;
        tr->restarts++;
    }
}

/* Contract in bo.h. */
void gn__bo_trust_region(const void *state, double *length, int *restarts)
{
    const bo_state *s = state;
    if (length)
        *length = s->tr.length;
    if (restarts)
        *restarts = s->tr.restarts;
}

static gn_status obs_reserve(bo_state *s, size_t need, gn_err *err)
{
    size_t cap = s->cap_obs ? s->cap_obs : 16, one = 1;
    double *x, *u, *y, *c;
    unsigned char *ok;

    if (need <= s->cap_obs)
        return GN_OK;
    while (cap < need)
        cap *= 2;
    x = gn_reallocarray(s->obs_x, cap, (s->dim ? s->dim : one) * sizeof *x);
    if (x)
        s->obs_x = x;
    u = gn_reallocarray(s->obs_u, cap, (s->D ? s->D : one) * sizeof *u);
    if (u)
        s->obs_u = u;
    y = gn_reallocarray(s->obs_y, cap, s->n_obj * sizeof *y);
    if (y)
        s->obs_y = y;
    c = gn_reallocarray(s->obs_c, cap, (s->n_oc ? s->n_oc : one) * sizeof *c);
    if (c)
        s->obs_c = c;
    ok = gn_reallocarray(s->obs_ok, cap, 1);
    if (ok)
        s->obs_ok = ok;
    if (!x || !u || !y || !c || !ok)
        return gn_err_nomem(err);
    s->cap_obs = cap;
    return GN_OK;
}

static gn_status bo_tell(void *state, const gn_observation *obs, size_t n, gn_err *err)
{
    bo_state *s = state;
    size_t i, j, k, m = s->n_obj;
    gn_status st = gn__tell_check(s->space, obs, n, err);

    if (st == GN_OK)
        st = obs_reserve(s, s->n_obs + n, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < n; i++) {
        const gn_observation *o = &obs[i];
        size_t at = s->n_obs;
        int ok = o->status == GN_OBS_COMPLETED;
        memcpy(s->obs_x + at * s->dim, o->x, s->dim * sizeof *o->x);
        encode(s, o->x, s->obs_u + at * s->D);
        s->obs_ok[at] = (unsigned char)ok;
        for (j = 0; j < m; j++)
            s->obs_y[at * m + j] = ok ? o->y[j] : NAN;
        for (j = 0; j < s->n_oc; j++) {
            double c = ok && o->c ? o->c[j] : NAN;
            s->obs_c[at * s->n_oc + j] = isfinite(c) ? c : NAN;
        }
        if (ok)
            s->n_ok++;
        else
            s->n_failed++;
        s->n_obs++;
        for (k = 0; k < s->n_pool; k++)
            if (!s->pool_used[k] && rows_equal(s->pool_u + k * s->D, s->obs_u + at * s->D, s->D))
                s->pool_used[k] = 1;
    }
    tr_observe(s, s->n_obs - n, n);
    return GN_OK;
}

/* ---- candidate pool ------------------------------------------------------------------ */

gn_status gn_bo_set_candidates(void *state, const double *X, size_t n, gn_err *err)
{
    bo_state *s = state;
    double *px = NULL, *pu = NULL;
    unsigned char *used = NULL;
    size_t i, k, d;

    if (!s || (n > 0 && !X))
        return gn_err_set(err, GN_ERR_INVALID, "gn_bo_set_candidates: missing argument");
    d = s->dim;
    for (i = 0; i < n; i++)
        if (!gn_space_feasible(s->space, X + i * d))
            return gn_err_set(err, GN_ERR_INVALID,
                              "bo: candidate %zu of %zu is not a feasible point of the search space", i + 1, n);
    if (n > 0) {
        px = gn_calloc(n, (d ? d : 1) * sizeof *px);
        pu = gn_calloc(n, (s->D ? s->D : 1) * sizeof *pu);
        used = gn_calloc(n, 1);
        if (!px || !pu || !used) {
            gn_free(px);
            gn_free(pu);
            gn_free(used);
            return gn_err_nomem(err);
        }
        memcpy(px, X, n * d * sizeof *X);
        for (i = 0; i < n; i++) {
            encode(s, px + i * d, pu + i * s->D);
            for (k = 0; k < s->n_obs && !used[i]; k++)
                used[i] = (unsigned char)rows_equal(pu + i * s->D, s->obs_u + k * s->D, s->D);
        }
    }
    gn_free(s->pool_x);
    gn_free(s->pool_u);
    gn_free(s->pool_used);
    s->pool_x = px;
    s->pool_u = pu;
    s->pool_used = used;
    s->n_pool = n;
    return GN_OK;
}

/* ---- models ---------------------------------------------------------------------------- */

static uint64_t data_hash(const double *X, const double *y, size_t n, size_t D)
{
    uint64_t h = gn__hash(0x6461746100000001ULL, n), b;
    size_t i;
    for (i = 0; i < n * D; i++) {
        memcpy(&b, &X[i], sizeof b);
        h = gn__hash(h, b);
    }
    for (i = 0; i < n; i++) {
        memcpy(&b, &y[i], sizeof b);
        h = gn__hash(h, b);
    }
    return h ? h : 1;
}

static double skewness(const double *y, size_t n)
{
    double mean = 0.0, m2 = 0.0, m3 = 0.0;
    size_t i;
    if (n < 5)
        return 0.0;
    for (i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (i = 0; i < n; i++) {
        double d = y[i] - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    m2 /= (double)n;
    m3 /= (double)n;
    return m2 > 0.0 ? m3 / pow(m2, 1.5) : 0.0;
}

static gn_warp_type warp_for(const bo_state *s, size_t mi, const double *y, size_t n)
{
    if (mi == s->n_models - 1)
        return GN_WARP_NONE; /* failure labels */
    switch (s->opt.warp) {
    case GN_BO_WARP_NONE:
        return GN_WARP_NONE;
    case GN_BO_WARP_LOG:
        return GN_WARP_LOG;
    case GN_BO_WARP_POWER:
        return GN_WARP_POWER;
    default:
        return fabs(skewness(y, n)) > SKEW_WARP ? GN_WARP_POWER : GN_WARP_NONE;
    }
}

/* Gathers model mi's real training data from the observations w->train
 * (already in canonical order) and refits it when the data changed (the
 * hyperparameters by maximum a posteriori, warm-started from the last fit;
 * beyond 300 points the GP searches on a subset and polishes on all).
 * When the data did not change but the model holds fantasies, only its
 * data is reset. */
static gn_status model_update(bo_state *s, size_t mi, const bo_work *w, gn_err *err)
{
    bo_model *m = &s->models[mi];
    size_t t, D = s->D, n = 0;
    double *X = NULL, *y = NULL;
    uint64_t h;
    gn_warp_type warp;
    gn_status st = GN_OK;

    m->usable = 0;
    if (mi == s->n_models - 1 && !s->fail_on)
        return GN_OK;
    X = gn_reallocarray(m->X, w->n_train ? w->n_train : 1, (D ? D : 1) * sizeof *X);
    if (X)
        m->X = X;
    y = gn_reallocarray(m->y, w->n_train ? w->n_train : 1, sizeof *y);
    if (y)
        m->y = y;
    if (!X || !y)
        return gn_err_nomem(err);
    for (t = 0; t < w->n_train; t++) {
        size_t i = w->train[t];
        double v;
        if (mi < s->n_obj) {
            if (!s->obs_ok[i])
                continue;
            v = obj_sign(s, mi) * s->obs_y[i * s->n_obj + mi];
        } else if (mi < s->n_obj + s->n_oc) {
            v = s->obs_c[i * s->n_oc + (mi - s->n_obj)];
            if (!s->obs_ok[i] || isnan(v))
                continue;
        } else {
            v = s->obs_ok[i] ? 1.0 : -1.0;
        }
        memcpy(X + n * D, s->obs_u + i * D, D * sizeof *X);
        y[n++] = v;
    }
    m->n = n;
    if (n == 0)
        return GN_OK;
    h = data_hash(X, y, n, D);
    if (m->gp && h == m->data_hash) {
        if (m->n_fant)
            st = gn_gp_set_data(m->gp, X, y, n, err);
        m->n_fant = 0;
        m->usable = st == GN_OK;
        return st;
    }
    warp = warp_for(s, mi, y, n);
    if (!m->gp || warp != m->warp) {
        gn_gp_options go;
        gn_gp_free(m->gp);
        m->gp = NULL;
        gn_gp_options_default(&go);
        go.kernel = s->opt.kernel;
        go.warp = warp;
        go.restarts = GP_RESTARTS;
        go.polish_evals = GP_POLISH;
        go.seed = gn__hash(s->key, 0x6770000000000000ULL + mi);
        st = gn_gp_new(D, &go, &m->gp, err);
        if (st != GN_OK)
            return st;
        m->warp = warp;
    }
    m->data_hash = 0;
    m->n_fant = 0;
    if (n > WARM_MIN_N && gn_gp_n(m->gp) > 0 && m->warm_fits < FULL_FIT_EVERY - 1) {
        st = gn_gp_refit(m->gp, X, y, n, WARM_EVALS, err);
        m->warm_fits++;
    } else {
        st = gn_gp_fit(m->gp, X, y, n, err);
        m->warm_fits = 0;
    }
    if (st != GN_OK)
        return gn_err_prefix(err, "bo: fitting the model of %s", mi < s->n_obj ? "an objective"
                             : mi < s->n_obj + s->n_oc ? "an outcome constraint" : "failures");
    m->data_hash = h;
    m->usable = 1;
    return GN_OK;
}

/* qsort helper: observations in canonical order (by unit point, then by
 * objective), so the models do not depend on the order of tells. */
typedef struct sort_item {
    const double *u;
    double y;
    size_t D, idx;
} sort_item;

static int sort_item_cmp(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    size_t k;
    for (k = 0; k < a->D; k++)
        if (a->u[k] != b->u[k])
            return a->u[k] < b->u[k] ? -1 : 1;
    if (a->y != b->y && !isnan(a->y) && !isnan(b->y))
        return a->y < b->y ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

typedef struct dist_item {
    double d;
    size_t idx;
} dist_item;

static int dist_item_cmp(const void *pa, const void *pb)
{
    const dist_item *a = pa, *b = pb;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The index of the best observation for the trust region's centre: best
 * feasible objective in the current epoch, else in all data, else the
 * best completed one, else the last one. */
static size_t tr_center_obs(const bo_state *s)
{
    size_t i, best = s->n_obs - 1;
    double bv = -INFINITY;
    int pass;
    for (pass = 0; pass < 3 && !isfinite(bv); pass++)
        for (i = pass == 0 ? s->tr.epoch_start : 0; i < s->n_obs; i++) {
            double v;
            if (!(pass < 2 ? obs_feasible(s, i) : s->obs_ok[i]))
                continue;
            v = obj_sign(s, 0) * s->obs_y[i * s->n_obj];
            if (v > bv) {
                bv = v;
                best = i;
            }
        }
    return best;
}

/* Chooses the observations the models see: all of them, or in a trust
 * region the TR_LOCAL nearest to its centre; in canonical order. */
static gn_status train_select(bo_state *s, bo_work *w, gn_err *err)
{
    size_t i, n = s->n_obs, D = s->D;
    sort_item *items = NULL;
    gn_status st = GN_OK;

    w->train = gn_calloc(n ? n : 1, sizeof *w->train);
    items = gn_calloc(n ? n : 1, sizeof *items);
    if (!w->train || !items) {
        st = gn_err_nomem(err);
        goto out;
    }
    w->n_train = n;
    for (i = 0; i < n; i++)
        w->train[i] = i;
    if (s->tr_active && n > TR_LOCAL) {
        dist_item *di = (dist_item *)gn_calloc(n, sizeof *di);
        if (!di) {
            st = gn_err_nomem(err);
            goto out;
        }
        for (i = 0; i < n; i++) {
            double d2 = 0.0;
            size_t k;
            for (k = 0; k < D; k++) {
                double e = s->obs_u[i * D + k] - s->tr_center[k];
                d2 += e * e;
            }
            di[i].d = d2;
            di[i].idx = i;
        }
        qsort(di, n, sizeof *di, dist_item_cmp);
        for (i = 0; i < TR_LOCAL; i++)
            w->train[i] = di[i].idx;
        w->n_train = TR_LOCAL;
        gn_free(di);
    }
    for (i = 0; i < w->n_train; i++) {
        size_t o = w->train[i];
        items[i].u = s->obs_u + o * D;
        items[i].y = s->obs_ok[o] ? s->obs_y[o * s->n_obj] : NAN;
        items[i].D = D;
        items[i].idx = o;
    }
    qsort(items, w->n_train, sizeof *items, sort_item_cmp);
    for (i = 0; i < w->n_train; i++)
        w->train[i] = items[i].idx;
out:
    gn_free(items);
    return st;
}

/* The incumbent of the acquisition in model 0's standardised units: the
 * best observed feasible objective (LogEI), or the best posterior mean at
 * the NEI_TOP best observed feasible points (LogNEI). None when no
 * observation is known to be feasible: the acquisition is then the
 * probability of feasibility alone. */
static gn_status incumbent(bo_state *s, const bo_work *w, gn_err *err)
{
    bo_model *m0 = &s->models[0];
    size_t t, n_top = 0;
    size_t top[NEI_TOP];
    double topv[NEI_TOP], best = -INFINITY;

    s->has_best = 0;
    for (t = 0; t < w->n_train; t++) {
        size_t i = w->train[t], k;
        double v;
        if (!obs_feasible(s, i))
            continue;
        v = obj_sign(s, 0) * s->obs_y[i * s->n_obj];
        if (v > best)
            best = v;
        /* keep the NEI_TOP largest, sorted descending */
        if (n_top < NEI_TOP)
            n_top++;
        else if (v <= topv[NEI_TOP - 1])
            continue;
        for (k = n_top - 1; k > 0 && topv[k - 1] < v; k--) {
            topv[k] = topv[k - 1];
            top[k] = top[k - 1];
        }
        topv[k] = v;
        top[k] = i;
    }
    if (!isfinite(best) || !m0->usable)
        return GN_OK;
    if (s->opt.acquisition == GN_BO_ACQ_LOGNEI) {
        double bm = -INFINITY;
        for (t = 0; t < n_top; t++) {
            double mean, var;
            gn_status st = gn_gp_predict_grad(m0->gp, s->obs_u + top[t] * s->D, 1, &mean, &var, NULL, NULL, err);
            if (st != GN_OK)
                return st;
            if (mean > bm)
                bm = mean;
        }
        s->best = bm;
    } else {
        s->best = gn_gp_to_standard(m0->gp, best);
    }
    s->has_best = isfinite(s->best);
    return GN_OK;
}

/* The trust region's box in the unit cube: centred on the incumbent, with
 * sides length * w_k, w_k the lengthscales over their geometric mean
 * (TuRBO), clipped to [0,1]; choice columns are not restricted (choices
 * move by mutation and enumeration). Outside a trust region: [0,1]^D. */
static void box_set(bo_state *s)
{
    size_t i, D = s->D, nc = 0;
    double *ls = s->g_m, mean_log = 0.0;

    for (i = 0; i < D; i++) {
        s->lb[i] = 0.0;
        s->ub[i] = 1.0;
    }
    if (!s->tr_active || !s->models[0].usable)
        return;
    gn_gp_hyper(s->models[0].gp, ls, NULL, NULL, NULL);
    for (i = 0; i < s->dim; i++)
        if (s->spec->params[i].type != GN_PARAM_CHOICE) {
            mean_log += log(fmax(ls[s->col[i]], 1e-12));
            nc++;
        }
    if (nc == 0)
        return;
    mean_log /= (double)nc;
    for (i = 0; i < s->dim; i++) {
        size_t c = s->col[i];
        double wgt, half;
        if (s->spec->params[i].type == GN_PARAM_CHOICE)
            continue;
        wgt = exp(log(fmax(ls[c], 1e-12)) - mean_log);
        wgt = fmin(fmax(wgt, 1e-3), 1e3);
        half = 0.5 * s->tr.length * wgt;
        s->lb[c] = fmax(0.0, s->tr_center[c] - half);
        s->ub[c] = fmin(1.0, s->tr_center[c] + half);
    }
}

/* Refits what changed and sets up the acquisition: the trust region's
 * centre and training data, the models, the incumbent, the standardised
 * constraint bounds and the optimiser's box. */
static gn_status models_prepare(bo_state *s, bo_work *w, gn_err *err)
{
    size_t j;
    gn_status st;

    s->tr_active = tr_wanted(s);
    s->fail_on = s->opt.failures_infeasible && s->n_failed > 0 && s->n_ok > 0;
    if (s->tr_active)
        memcpy(s->tr_center, s->obs_u + tr_center_obs(s) * s->D, s->D * sizeof *s->tr_center);
    st = train_select(s, w, err);
    for (j = 0; j < s->n_models && st == GN_OK; j++)
        st = model_update(s, j, w, err);
    if (st != GN_OK)
        return st;
    if (!s->models[0].usable)
        return gn_err_set(err, GN_ERR_INTERNAL, "bo: no data for the objective model");
    for (j = s->n_obj; j < s->n_models; j++) {
        bo_model *m = &s->models[j];
        if (!m->usable)
            continue;
        m->lo_s = isinf(m->lo) ? -INFINITY : gn_gp_to_standard(m->gp, m->lo);
        m->hi_s = isinf(m->hi) ? INFINITY : gn_gp_to_standard(m->gp, m->hi);
        if (isnan(m->lo_s))
            m->lo_s = -INFINITY; /* below a log warp's domain: no lower bound in effect */
        if (isnan(m->hi_s))
            m->hi_s = -1e6;      /* below it: the bound cannot be met */
        if (!(m->lo_s < m->hi_s))
            m->usable = 0;
    }
    st = incumbent(s, w, err);
    if (st == GN_OK)
        box_set(s);
    return st;
}

/* ---- acquisition ------------------------------------------------------------------ */

/* Adds the log-probability that constraint model m holds at u (and its
 * gradient) to *total / grad. 0 on failure. */
static int add_log_pof(bo_state *s, bo_model *m, const double *u, double *total, double *grad)
{
    double mean, var, sd, lp, dm, ds;
    double *gm = grad ? s->g_m : NULL, *gv = grad ? s->g_v : NULL;
    size_t k;
    int clamped;

    if (gn_gp_predict_grad(m->gp, u, 1, &mean, &var, gm, gv, NULL) != GN_OK)
        return 0;
    clamped = !(var > VAR_MIN);
    sd = sqrt(clamped ? VAR_MIN : var);
    lp = gn_acq_log_prob_between(mean, sd, m->lo_s, m->hi_s, &dm, &ds);
    *total += lp;
    if (grad)
        for (k = 0; k < s->D; k++)
            grad[k] += dm * gm[k] + (clamped ? 0.0 : ds * gv[k] / (2.0 * sd));
    return 1;
}

/* The acquisition at the unit point u (standardised units, larger is
 * better) and its gradient when grad is non-NULL: LogEI / LogNEI / UCB of
 * the first objective plus log P(feasible) of every constraint model.
 * -1e300 (never NaN) when a prediction fails. */
static double acq_eval(bo_state *s, const double *u, double *grad)
{
    double total = 0.0;
    size_t j, k, D = s->D;

    if (grad)
        memset(grad, 0, D * sizeof *grad);
    if (s->has_best || s->opt.acquisition == GN_BO_ACQ_UCB) {
        bo_model *m = &s->models[0];
        double mean, var, sd, a, dm, ds;
        double *gm = grad ? s->g_m : NULL, *gv = grad ? s->g_v : NULL;
        int clamped;
        if (gn_gp_predict_grad(m->gp, u, 1, &mean, &var, gm, gv, NULL) != GN_OK)
            goto fail;
        clamped = !(var > VAR_MIN);
        sd = sqrt(clamped ? VAR_MIN : var);
        if (s->opt.acquisition == GN_BO_ACQ_UCB)
            a = gn_acq_ucb(mean, sd, s->opt.ucb_beta, &dm, &ds);
        else
            a = gn_acq_log_ei(mean, sd, s->best, &dm, &ds);
        total += a;
        if (grad)
            for (k = 0; k < D; k++)
                grad[k] += dm * gm[k] + (clamped ? 0.0 : ds * gv[k] / (2.0 * sd));
    }
    for (j = s->n_obj; j < s->n_models; j++)
        if (s->models[j].usable && !add_log_pof(s, &s->models[j], u, &total, grad))
            goto fail;
    if (!isfinite(total))
        goto fail;
    if (grad)
        for (k = 0; k < D; k++)
            if (!isfinite(grad[k]))
                grad[k] = 0.0;
    return total;
fail:
    if (grad)
        memset(grad, 0, D * sizeof *grad);
    return -1e300;
}

/* acq_eval without gradients at the m unit points U (m * D) into v, with
 * blocked predictions (one BLAS-3 pass per model instead of m
 * triangular solves). Same values as acq_eval up to rounding. */
static void acq_eval_many(bo_state *s, const double *U, size_t m, double *v)
{
    double *mean = m ? gn_malloc(2 * m * sizeof *mean) : NULL, *var = mean ? mean + m : NULL;
    size_t i, j;

    if (!mean) {
        for (i = 0; i < m; i++)
            v[i] = acq_eval(s, U + i * s->D, NULL);
        return;
    }
    for (i = 0; i < m; i++)
        v[i] = 0.0;
    if (s->has_best || s->opt.acquisition == GN_BO_ACQ_UCB) {
        if (gn_gp_predict_standard(s->models[0].gp, U, m, mean, var, NULL) != GN_OK) {
            for (i = 0; i < m; i++)
                v[i] = -1e300;
        } else {
            for (i = 0; i < m; i++) {
                double sd = sqrt(var[i] > VAR_MIN ? var[i] : VAR_MIN);
                v[i] += s->opt.acquisition == GN_BO_ACQ_UCB ? gn_acq_ucb(mean[i], sd, s->opt.ucb_beta, NULL, NULL)
                                                            : gn_acq_log_ei(mean[i], sd, s->best, NULL, NULL);
            }
        }
    }
    for (j = s->n_obj; j < s->n_models; j++) {
        bo_model *mo = &s->models[j];
        if (!mo->usable)
            continue;
        if (gn_gp_predict_standard(mo->gp, U, m, mean, var, NULL) != GN_OK) {
            for (i = 0; i < m; i++)
                v[i] = -1e300;
            continue;
        }
        for (i = 0; i < m; i++) {
            double sd = sqrt(var[i] > VAR_MIN ? var[i] : VAR_MIN);
            v[i] += gn_acq_log_prob_between(mean[i], sd, mo->lo_s, mo->hi_s, NULL, NULL);
        }
    }
    for (i = 0; i < m; i++)
        if (!isfinite(v[i]) || v[i] < -1e300)
            v[i] = -1e300;
    gn_free(mean);
}

static double nlopt_objective(unsigned n, const double *u, double *grad, void *ctx)
{
    (void)n;
    return acq_eval(ctx, u, grad);
}

/* ---- raw samples -------------------------------------------------------------------- */

static gn_status raw_reserve(bo_state *s, bo_work *w, size_t need, gn_err *err)
{
    size_t cap = w->cap_raw ? w->cap_raw : 64;
    double *x, *u, *v;
    size_t *o;
    if (need <= w->cap_raw)
        return GN_OK;
    while (cap < need)
        cap *= 2;
    x = gn_reallocarray(w->raw_x, cap, (s->dim ? s->dim : 1) * sizeof *x);
    if (x)
        w->raw_x = x;
    u = gn_reallocarray(w->raw_u, cap, (s->D ? s->D : 1) * sizeof *u);
    if (u)
        w->raw_u = u;
    v = gn_reallocarray(w->raw_v, cap, sizeof *v);
    if (v)
        w->raw_v = v;
    o = gn_reallocarray(w->order, cap, sizeof *o);
    if (o)
        w->order = o;
    if (!x || !u || !v || !o)
        return gn_err_nomem(err);
    w->cap_raw = cap;
    return GN_OK;
}

/* Appends the point x (and its unit point) to the raw samples if it is
 * feasible and new. */
static gn_status raw_push(bo_state *s, bo_work *w, const double *x, gn_err *err)
{
    gn_status st;
    if (!gn_space_feasible(s->space, x))
        return GN_OK;
    encode(s, x, w->uc);
    if (is_dup(s, w, w->uc))
        return GN_OK;
    st = raw_reserve(s, w, w->n_raw + 1, err);
    if (st != GN_OK)
        return st;
    memcpy(w->raw_x + w->n_raw * s->dim, x, s->dim * sizeof *x);
    memcpy(w->raw_u + w->n_raw * s->D, w->uc, s->D * sizeof *w->uc);
    w->n_raw++;
    return GN_OK;
}

/* n points of a scrambled Sobol' sequence of its own (seeded by the
 * campaign seed and `stream`), feasible ones only, appended to the raw
 * samples. */
static gn_status raw_sobol(bo_state *s, bo_work *w, uint64_t stream, size_t n, gn_err *err)
{
    void *seq = NULL;
    double *x = NULL;
    gn_ask_ctx ctx;
    gn_ask_out out;
    size_t i;
    gn_status st;

    if (n == 0)
        return GN_OK;
    x = gn_calloc(n, (s->dim ? s->dim : 1) * sizeof *x);
    if (!x)
        return gn_err_nomem(err);
    st = gn_planner_sobol.create(s->space, gn__hash(s->key, stream), &seq, err);
    if (st == GN_OK) {
        memset(&ctx, 0, sizeof ctx);
        memset(&out, 0, sizeof out);
        out.x = x;
        st = gn_planner_sobol.ask(seq, &ctx, n, &out, err);
    }
    for (i = 0; i < n && st == GN_OK; i++)
        st = raw_push(s, w, x + i * s->dim, err);
    if (seq)
        gn_planner_sobol.destroy(seq);
    gn_free(x);
    return st;
}

/* Appends a perturbation of the unit point base to the raw samples (if
 * feasible and new): each parameter with probability p, and one chosen at
 * random in any case, is redrawn: reals and ints uniformly in [lo, hi]
 * (unit columns), choices uniformly among their values. */
static gn_status raw_perturb(bo_state *s, bo_work *w, const double *base, double p, const double *lo,
                             const double *hi, uint64_t *rng, gn_err *err)
{
    size_t i, k, D = s->D, forced = (size_t)(gn__stream_next(rng) % (s->dim ? s->dim : 1));
    double *u = w->ua;

    memcpy(u, base, D * sizeof *u);
    for (i = 0; i < s->dim; i++) {
        const gn_param *par = &s->spec->params[i];
        double r = gn__unit53(gn__stream_next(rng));
        size_t c = s->col[i];
        if (i != forced && r >= p)
            continue;
        if (par->type == GN_PARAM_CHOICE) {
            size_t v = (size_t)(gn__stream_next(rng) % par->n_choices);
            for (k = 0; k < par->n_choices; k++)
                u[c + k] = k == v ? 1.0 : 0.0;
        } else {
            u[c] = lo[c] + (hi[c] - lo[c]) * gn__unit53(gn__stream_next(rng));
        }
    }
    decode(s, u, w->xa);
    return raw_push(s, w, w->xa, err);
}

/* The raw samples of proposal idx: in a trust region, TuRBO-style
 * perturbations of its centre within the box (topped up by Sobol' points
 * if the linear constraints reject most); otherwise Sobol' points plus
 * 1/LOCAL_FRACTION perturbations of the 5 best feasible observations. */
static gn_status raw_generate(bo_state *s, bo_work *w, long idx, gn_err *err)
{
    size_t n = s->opt.raw_samples > 0 ? (size_t)s->opt.raw_samples : 512 + 20 * s->D;
    size_t n_model = s->models[0].n, i, tries, D = s->D;
    uint64_t rng = gn__hash(gn__hash(s->key, 0x7261770000000000ULL), (uint64_t)idx);
    gn_status st = GN_OK;

    /* predictions cost O(n_model^2) each: fewer raw samples for large n */
    if (s->opt.raw_samples == 0 && n_model > 200) {
        double scale = 40000.0 / ((double)n_model * (double)n_model);
        n = (size_t)fmax(128.0, (double)n * scale);
    }
    w->n_raw = 0;
    if (s->tr_active) {
        double p = fmin(1.0, TR_MUTATE / (double)(s->dim ? s->dim : 1));
        for (tries = 0; tries < 20 * n && w->n_raw < n && st == GN_OK; tries++)
            st = raw_perturb(s, w, s->tr_center, p, s->lb, s->ub, &rng, err);
        if (st == GN_OK && w->n_raw < n / 4)
            st = raw_sobol(s, w, (uint64_t)idx, n - w->n_raw, err);
        return st;
    }
    st = raw_sobol(s, w, (uint64_t)idx, n, err);
    if (st == GN_OK) {
        size_t n_local = n / LOCAL_FRACTION, best[5], nb = 0, t;
        double *lo = w->lo, *hi = w->hi;
        for (t = 0; t < s->n_obs; t++) {
            double v;
            size_t k;
            if (!obs_feasible(s, t))
                continue;
            v = obj_sign(s, 0) * s->obs_y[t * s->n_obj];
            if (nb < 5)
                nb++;
            else if (v <= obj_sign(s, 0) * s->obs_y[best[4] * s->n_obj])
                continue;
            for (k = nb - 1; k > 0 && obj_sign(s, 0) * s->obs_y[best[k - 1] * s->n_obj] < v; k--)
                best[k] = best[k - 1];
            best[k] = t;
        }
        for (i = 0; i < n_local && nb > 0 && st == GN_OK; i++) {
            const double *base = s->obs_u + best[i % nb] * D;
            size_t k;
            for (k = 0; k < D; k++) {
                lo[k] = fmax(0.0, base[k] - LOCAL_RADIUS);
                hi[k] = fmin(1.0, base[k] + LOCAL_RADIUS);
            }
            st = raw_perturb(s, w, base, 1.0, lo, hi, &rng, err);
        }
    }
    return st;
}

/* ---- optimising the acquisition ---------------------------------------------------- */

/* The value of the decoded point x (feasible), -HUGE_VAL if it repeats a
 * point; its unit point goes to u. */
static double point_value(bo_state *s, const bo_work *w, const double *x, double *u)
{
    encode(s, x, u);
    if (is_dup(s, w, u))
        return -HUGE_VAL;
    return acq_eval(s, u, NULL);
}

/* From the feasible point x (value *v, unit point u), moves to the best
 * neighbour while that improves: each int +-1, each choice any other value
 * (ENUM_ROUNDS rounds at most). */
static void enumerate_neighbours(bo_state *s, const bo_work *w, double *x, double *u, double *v)
{
    size_t i, round;
    double *y = w->xb, *uy = w->ub;

    for (round = 0; round < ENUM_ROUNDS; round++) {
        double best = *v;
        size_t bi = 0;
        double bval = 0.0;
        int found = 0;
        for (i = 0; i < s->dim; i++) {
            const gn_param *p = &s->spec->params[i];
            size_t k, nk = p->type == GN_PARAM_CHOICE ? p->n_choices : p->type == GN_PARAM_INT ? 2 : 0;
            for (k = 0; k < nk; k++) {
                double val, cand = p->type == GN_PARAM_CHOICE ? (double)k : x[i] + (k ? 1.0 : -1.0);
                if (cand == x[i])
                    continue;
                memcpy(y, x, s->dim * sizeof *y);
                y[i] = cand;
                if (!gn_space_feasible(s->space, y))
                    continue;
                val = point_value(s, w, y, uy);
                if (val > best) {
                    best = val;
                    bi = i;
                    bval = cand;
                    found = 1;
                }
            }
        }
        if (!found)
            break;
        x[bi] = bval;
        *v = best;
        encode(s, x, u);
    }
}

/* Turns the relaxed optimum u_opt (from the feasible raw sample u_start)
 * into a feasible point x: decode, and if that breaks a linear constraint,
 * bisect on the segment from u_start for the feasible point farthest
 * along it. */
static void relaxed_to_point(bo_state *s, const bo_work *w, const double *u_start, const double *u_opt,
                             double *x)
{
    double lo = 0.0, hi = 1.0, *u = w->ua;
    size_t k, it;

    decode(s, u_opt, x);
    if (gn_space_feasible(s->space, x))
        return;
    for (it = 0; it < 40; it++) {
        double t = 0.5 * (lo + hi);
        for (k = 0; k < s->D; k++)
            u[k] = u_start[k] + t * (u_opt[k] - u_start[k]);
        decode(s, u, x);
        if (gn_space_feasible(s->space, x))
            lo = t;
        else
            hi = t;
    }
    for (k = 0; k < s->D; k++)
        u[k] = u_start[k] + lo * (u_opt[k] - u_start[k]);
    decode(s, u, x);
    if (!gn_space_feasible(s->space, x))
        decode(s, u_start, x); /* the start is a feasible point */
}

/* Sorts w->order[0..n_raw) by descending raw value (selection of the
 * first `top` only). */
static void order_top(bo_work *w, size_t top)
{
    size_t i, j;
    for (i = 0; i < w->n_raw; i++)
        w->order[i] = i;
    for (i = 0; i < top && i < w->n_raw; i++) {
        size_t b = i;
        for (j = i + 1; j < w->n_raw; j++)
            if (w->raw_v[w->order[j]] > w->raw_v[w->order[b]])
                b = j;
        j = w->order[i];
        w->order[i] = w->order[b];
        w->order[b] = j;
    }
}

/* Proposal idx by maximising the acquisition; writes x (dim) and its unit
 * point u (D). */
static gn_status propose_model(bo_state *s, bo_work *w, long idx, double *x, double *u, gn_err *err)
{
    size_t i, D = s->D, starts;
    double best_v = -HUGE_VAL;
    int have = 0;
    gn_status st;

    if (s->n_pool > 0) {
        /* the pool is the search space: score every unused candidate */
        w->n_raw = 0;
        for (i = 0; i < s->n_pool; i++) {
            const double *pu = s->pool_u + i * D;
            double v;
            if (s->pool_used[i] || is_dup(s, w, pu))
                continue;
            v = acq_eval(s, pu, NULL);
            if (!have || v > best_v) {
                best_v = v;
                memcpy(x, s->pool_x + i * s->dim, s->dim * sizeof *x);
                memcpy(u, pu, D * sizeof *u);
                have = 1;
            }
        }
        if (!have)
            return gn_err_set(err, GN_ERR_INFEASIBLE, "bo: every candidate of the pool (%zu) has been "
                              "proposed or observed", s->n_pool);
        return GN_OK;
    }

    st = raw_generate(s, w, idx, err);
    if (st != GN_OK)
        return st;
    if (w->n_raw == 0)
        return gn_err_set(err, GN_ERR_INFEASIBLE, "bo: no feasible point that has not been tried yet "
                          "was found (the search space may be exhausted)");
    acq_eval_many(s, w->raw_u, w->n_raw, w->raw_v);
    starts = s->opt.starts > 0 ? (size_t)s->opt.starts : s->models[0].n > MANY_POINTS ? 3 : 5;
    if (starts > w->n_raw)
        starts = w->n_raw;
    order_top(w, starts);
    /* the best raw sample is a valid answer already */
    best_v = w->raw_v[w->order[0]];
    memcpy(x, w->raw_x + w->order[0] * s->dim, s->dim * sizeof *x);
    memcpy(u, w->raw_u + w->order[0] * D, D * sizeof *u);

    for (i = 0; i < starts; i++) {
        const double *u0 = w->raw_u + w->order[i] * D;
        double *uo = w->uc, f = 0.0, v;
        size_t k;
        nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)D);
        if (!opt)
            return gn_err_nomem(err);
        for (k = 0; k < D; k++) /* ints and choices may sit just outside the box */
            uo[k] = fmin(fmax(u0[k], s->lb[k]), s->ub[k]);
        nlopt_set_lower_bounds(opt, s->lb);
        nlopt_set_upper_bounds(opt, s->ub);
        nlopt_set_max_objective(opt, nlopt_objective, s);
        nlopt_set_maxeval(opt, s->models[0].n > MANY_POINTS ? LBFGS_EVALS / 2 : LBFGS_EVALS);
        nlopt_set_xtol_rel(opt, 1e-7);
        nlopt_set_ftol_abs(opt, 1e-12);
        (void)nlopt_optimize(opt, uo, &f); /* any stop leaves its best point in uo */
        nlopt_destroy(opt);
        for (k = 0; k < D; k++)
            if (!isfinite(uo[k]))
                memcpy(uo, u0, D * sizeof *uo);
        relaxed_to_point(s, w, u0, uo, w->xa);
        v = point_value(s, w, w->xa, w->ub);
        memcpy(w->ua, w->ub, D * sizeof *w->ua);
        enumerate_neighbours(s, w, w->xa, w->ua, &v);
        if (v > best_v) {
            best_v = v;
            memcpy(x, w->xa, s->dim * sizeof *x);
            memcpy(u, w->ua, D * sizeof *u);
        }
    }
    return GN_OK;
}

/* Design point idx: the Sobol' design's point idx, or when that repeats a
 * point (small discrete spaces) the first new point of a sequence of its
 * own; in pool mode the unused candidate nearest to it. */
static gn_status propose_design(bo_state *s, bo_work *w, long idx, double *x, double *u, gn_err *err)
{
    gn_ask_ctx ctx;
    gn_ask_out out;
    gn_status st;
    size_t i, D = s->D;

    memset(&ctx, 0, sizeof ctx);
    memset(&out, 0, sizeof out);
    ctx.n_issued = idx;
    out.x = x;
    st = gn_planner_sobol.ask(s->design, &ctx, 1, &out, err);
    if (st != GN_OK)
        return st;
    encode(s, x, u);
    if (s->n_pool > 0) {
        double bd = HUGE_VAL;
        size_t bi = s->n_pool;
        for (i = 0; i < s->n_pool; i++) {
            const double *pu = s->pool_u + i * D;
            double d2 = 0.0;
            size_t k;
            if (s->pool_used[i] || is_dup(s, w, pu))
                continue;
            for (k = 0; k < D; k++)
                d2 += (pu[k] - u[k]) * (pu[k] - u[k]);
            if (d2 < bd) {
                bd = d2;
                bi = i;
            }
        }
        if (bi == s->n_pool)
            return gn_err_set(err, GN_ERR_INFEASIBLE, "bo: every candidate of the pool (%zu) has been "
                              "proposed or observed", s->n_pool);
        memcpy(x, s->pool_x + bi * s->dim, s->dim * sizeof *x);
        memcpy(u, s->pool_u + bi * D, D * sizeof *u);
        return GN_OK;
    }
    if (!is_dup(s, w, u))
        return GN_OK;
    w->n_raw = 0;
    st = raw_sobol(s, w, 0x6465736900000000ULL + (uint64_t)idx, DESIGN_RETRIES, err);
    if (st != GN_OK)
        return st;
    if (w->n_raw == 0)
        return gn_err_set(err, GN_ERR_INFEASIBLE, "bo: no feasible point that has not been tried yet "
                          "was found (the search space may be exhausted)");
    memcpy(x, w->raw_x, s->dim * sizeof *x);
    memcpy(u, w->raw_u, D * sizeof *u);
    return GN_OK;
}

/* Conditions the objective model on the pending and chosen points with
 * fantasy outcomes at fixed hyperparameters: the posterior mean there
 * (Kriging believer: the mean stays, the variance collapses, so the next
 * proposal moves away) or the worst observed value (constant liar). The
 * points not yet held are appended one by one (O(n^2) each).
 *
 * The believer treats a fantasy as an observation, so a fantasy above
 * the incumbent raises the incumbent for the rest of the ask (Ginsbourger
 * et al. 2010), as the real value would in a sequential run: the next
 * proposals must improve on what the batch is already expected to reach,
 * rather than on the best value before it (batches of 4, seeds 0-59,
 * median regret at 50 / 100: Ackley-10 16.1 / 9.2 -> 15.5 / 5.4, Levy-10
 * 17.3 / 8.2 -> 13.4 / 3.7; see docs/bo.md, "Batches"). Only without
 * outcome constraints and failures (the fantasy's feasibility is not
 * known, and the incumbent must be feasible) and not in a candidate pool
 * (measured worse there: alkox at 50 of 50, seeds 0-39, 30.8 -> 61.6). */
static gn_status fantasize(bo_state *s, bo_work *w, gn_err *err)
{
    bo_model *m = &s->models[0];
    size_t D = s->D, n_extra = w->n_pend + w->n_chosen, i;
    double lie = HUGE_VAL;
    int raise_best = s->opt.batch == GN_BO_BATCH_BELIEVER && s->has_best && s->n_oc == 0 &&
                     !s->fail_on && s->n_pool == 0;
    gn_status st = GN_OK;

    if (s->opt.batch == GN_BO_BATCH_LIAR_MIN)
        for (i = 0; i < m->n; i++)
            lie = fmin(lie, m->y[i]);
    for (i = m->n_fant; i < n_extra && st == GN_OK; i++) {
        const double *u = i < w->n_pend ? w->pend_u + i * D : w->chosen_u + (i - w->n_pend) * D;
        double y = lie;
        if (s->opt.batch != GN_BO_BATCH_LIAR_MIN)
            st = gn_gp_predict(m->gp, u, 1, &y, NULL, err);
        if (st == GN_OK)
            st = gn_gp_add_point(m->gp, u, y, err);
        if (st == GN_OK)
            m->n_fant++;
        if (st == GN_OK && raise_best) {
            double ys = gn_gp_to_standard(m->gp, y);
            if (isfinite(ys) && ys > s->best)
                s->best = ys;
        }
    }
    return st;
}

/* ---- ask ------------------------------------------------------------------------------ */

static void work_free(bo_work *w)
{
    gn_free(w->pend_u);
    gn_free(w->chosen_u);
    gn_free(w->raw_x);
    gn_free(w->raw_u);
    gn_free(w->raw_v);
    gn_free(w->order);
    gn_free(w->xa);
    gn_free(w->xb);
    gn_free(w->ua);
    gn_free(w->ub);
    gn_free(w->uc);
    gn_free(w->lo);
    gn_free(w->hi);
    gn_free(w->train);
}

/* Proposal idx is an exploitation step of a sequential ask: every
 * exploit_every-th model-based proposal of a global model (not in a
 * candidate pool, not in trust-region mode, which is local already). The
 * incumbent is refined while the search goes on, so a campaign is good
 * early too, not only at its budget (Branin at 30 of 100 evaluations, 40
 * seeds: 1.5e-3 -> 3.4e-4 sequential, 1.6e-4 in batches of 4; on pools it
 * cost: alkox and hplc got worse, hence not there). Every 2nd rather than
 * every 4th (the default since 2026-11-23): Hartmann-6 in batches of 4,
 * median regret at 60 of 40 seeds 0.10 -> 0.005; see docs/bo.md. */
static int exploit_step(const bo_state *s, long idx)
{
    long k = s->opt.exploit_every;
    return k > 0 && s->n_pool == 0 && !s->tr_active && idx >= s->opt.initial &&
           (idx - s->opt.initial) % k == k - 1;
}

/* Proposal idx is in the endgame: among the last ceil(endgame * budget)
 * experiments of a campaign with a budget. With few evaluations left, a
 * proposal that refines the best region is worth more than information
 * (on Branin at 30 evaluations of a 30-evaluation budget, the median
 * regret of 20 seeds went from 2.2e-3 to about 3e-4, q = 1 and q = 4). */
static int endgame(const bo_state *s, long idx)
{
    long budget = s->spec ? s->spec->budget.experiments : 0, last;
    if (budget <= 0 || !(s->opt.endgame > 0.0))
        return 0;
    last = (long)ceil(s->opt.endgame * (double)budget - 1e-9);
    return idx >= budget - last;
}

/* How many of the model-based proposals of an ask of n (n > 1) from
 * campaign experiment `first` on exploit, at the start of the batch: as
 * many as exploit_step() gives over the batch's indices, and at least one
 * (also in a trust region); none in a pool or with exploit_every = 0. The
 * exploitation steps come first so that the believer's fantasies of them
 * raise the incumbent (see fantasize()) before the rest of the batch is
 * chosen by the acquisition: those proposals then search for what could
 * beat the batch's own best guess. Batches of 4, seeds 0-59, median
 * regret at 50 of 100: Rosenbrock-5 276 -> 180 (global model: the same
 * two steps per batch, placed first), Levy-10 at 100 3.7 -> 2.4 (trust
 * region, one step; 13.4 -> 13.5 at 50, lower on 39 seeds of 60),
 * Ackley-10 unchanged (15.5), Hartmann-6 at 60 3.3e-4 -> 2.9e-4; see
 * docs/bo.md, "Batches". */
static long batch_exploits(const bo_state *s, long first, size_t n)
{
    long c = 0, idx;
    if (n < 2 || s->opt.exploit_every <= 0 || s->n_pool > 0)
        return 0;
    for (idx = first; idx < first + (long)n; idx++)
        c += exploit_step(s, idx);
    return c > 0 ? c : 1;
}

static gn_status bo_ask(void *state, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    bo_state *s = state;
    bo_work w;
    size_t k, j, d = s->dim, D = s->D, one = 1;
    int prepared = 0;
    long exploit_left = 0; /* exploitation steps still due at the start of a batch */
    int *modelled = NULL;
    gn_status st = gn__ask_prepare(s->space, ctx, n, out, err);

    memset(&w, 0, sizeof w);
    if (st != GN_OK)
        return st;
    if (ctx->n_pending > 0 && !ctx->pending)
        return gn_err_set(err, GN_ERR_INVALID, "ask: %zu pending points but no array", ctx->n_pending);
    s->asked = 1;
    if (n == 0)
        return GN_OK;
    w.n_pend = ctx->n_pending;
    w.pend_u = gn_calloc(w.n_pend ? w.n_pend : 1, (D ? D : one) * sizeof *w.pend_u);
    w.chosen_u = gn_calloc(n, (D ? D : one) * sizeof *w.chosen_u);
    w.xa = gn_calloc(d ? d : 1, sizeof *w.xa);
    w.xb = gn_calloc(d ? d : 1, sizeof *w.xb);
    w.ua = gn_calloc(D ? D : 1, sizeof *w.ua);
    w.ub = gn_calloc(D ? D : 1, sizeof *w.ub);
    w.uc = gn_calloc(D ? D : 1, sizeof *w.uc);
    w.lo = gn_calloc(D ? D : 1, sizeof *w.lo);
    w.hi = gn_calloc(D ? D : 1, sizeof *w.hi);
    modelled = gn_calloc(n, sizeof *modelled);
    if (!w.pend_u || !w.chosen_u || !w.xa || !w.xb || !w.ua || !w.ub || !w.uc || !w.lo || !w.hi  || !modelled) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (k = 0; k < w.n_pend; k++)
        encode(s, ctx->pending + k * d, w.pend_u + k * D);

    for (k = 0; k < n && st == GN_OK; k++) {
        long idx = ctx->n_issued + (long)k;
        double *x = out->x + k * d, *u = w.chosen_u + k * D;
        int design = idx < s->opt.initial || s->n_ok < 2;

        if (!design && !prepared) {
            st = models_prepare(s, &w, err);
            if (st != GN_OK)
                goto out;
            prepared = 1;
            exploit_left = batch_exploits(s, idx, n - k);
        }
        if (!design && s->tr_active && s->tr.design_left > 0) {
            s->tr.design_left--; /* a trust-region restart begins with a new design */
            design = 1;
        }
        if (design) {
            st = propose_design(s, &w, idx, x, u, err);
        } else {
            st = fantasize(s, &w, err);
            gn_bo_acquisition acq = s->opt.acquisition;
            double beta = s->opt.ucb_beta;
            int exploit = endgame(s, idx) || (n > 1 ? exploit_left > 0 : exploit_step(s, idx));
            if (exploit_left > 0)
                exploit_left--;
            if (exploit) {
                s->opt.acquisition = GN_BO_ACQ_UCB;
                s->opt.ucb_beta = ENDGAME_BETA;
            }
            if (st == GN_OK)
                st = propose_model(s, &w, idx, x, u, err);
            s->opt.acquisition = acq;
            s->opt.ucb_beta = beta;
        }
        if (st != GN_OK)
            goto out;
        modelled[k] = prepared && idx >= s->opt.initial;
        w.n_chosen++;
    }

    /* predictions come from the real data */
    if (prepared && s->models[0].n_fant) {
        bo_model *m = &s->models[0];
        st = gn_gp_set_data(m->gp, m->X, m->y, m->n, err);
        if (st != GN_OK)
            goto out;
        m->n_fant = 0;
    }
    for (k = 0; k < n && prepared; k++) {
        if (!modelled[k])
            continue;
        for (j = 0; j < s->n_obj; j++) {
            bo_model *m = &s->models[j];
            double mean = NAN, var = NAN;
            if (!m->usable)
                continue;
            st = gn_gp_predict(m->gp, w.chosen_u + k * D, 1, &mean, &var, err);
            if (st != GN_OK)
                goto out;
            if (out->mean)
                out->mean[k * s->n_obj + j] = obj_sign(s, j) * mean;
            if (out->sd)
                out->sd[k * s->n_obj + j] = sqrt(var > 0.0 ? var : 0.0);
        }
        if (out->has_prediction)
            out->has_prediction[k] = 1;
    }
out:
    gn_free(modelled);
    work_free(&w);
    return st;
}

const gn_planner_type gn_planner_bo = {
    "bo", bo_create, bo_ask, bo_tell, bo_destroy, gn_bo_set_candidates,
};
