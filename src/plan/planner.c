/* plan/planner.c - see planner.h; and the helpers of plan/internal.h */
#include "plan/planner.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "plan/bo.h"
#include "plan/internal.h"

struct gn_planner {
    const gn_planner_type *type;
    const gn_space *space; /* borrowed */
    void *state;
};

/* ---- the registry ------------------------------------------------------------- */

static const gn_planner_type *const types[] = {&gn_planner_random, &gn_planner_sobol, &gn_planner_lhs,
                                               &gn_planner_bo};
static const char *const type_names[] = {"random", "sobol", "lhs", "bo", NULL};

const gn_planner_type *gn_planner_type_find(const char *name)
{
    size_t i;
    if (!name)
        return NULL;
    for (i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(types[i]->name, name))
            return types[i];
    return NULL;
}

const char *const *gn_planner_type_names(void)
{
    return type_names;
}

/* ---- the wrapper ---------------------------------------------------------------- */

gn_status gn_planner_new(const gn_space *space, uint64_t seed, gn_planner **out, gn_err *err)
{
    const char *name;
    const gn_planner_type *type;
    gn_planner *p = NULL;
    gn_status st;

    if (!out)
        return gn_err_set(err, GN_ERR_INVALID, "gn_planner_new: no place for the planner");
    *out = NULL;
    if (!space || !space->spec)
        return gn_err_set(err, GN_ERR_INVALID, "gn_planner_new: no search space");
    name = space->spec->planner.strategy ? space->spec->planner.strategy : "sobol";
    type = gn_planner_type_find(name);
    if (!type)
        return gn_err_set(err, GN_ERR_UNSUPPORTED,
                          "unknown planner strategy '%s': expected random, sobol, lhs or bo", name);
    p = gn_calloc(1, sizeof *p);
    if (!p)
        return gn_err_nomem(err);
    p->type = type;
    p->space = space;
    st = type->create(space, seed, &p->state, err);
    if (st != GN_OK) {
        gn_free(p);
        return st;
    }
    *out = p;
    return GN_OK;
}

/* Checks the planner's answer: a planner that returns a point outside the
 * space is a bug, and the campaign must not run it. */
gn_status gn_planner_ask(gn_planner *p, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    size_t i, d;
    gn_status st;

    if (!p || !ctx || !out || (n > 0 && !out->x))
        return gn_err_set(err, GN_ERR_INVALID, "gn_planner_ask: missing argument");
    if (n == 0)
        return GN_OK;
    st = p->type->ask(p->state, ctx, n, out, err);
    if (st != GN_OK)
        return st;
    d = p->space->dim;
    for (i = 0; i < n; i++)
        if (!gn_space_feasible(p->space, out->x + i * d))
            return gn_err_set(err, GN_ERR_INTERNAL,
                              "planner '%s' proposed an infeasible point (proposal %zu of %zu)",
                              p->type->name, i + 1, n);
    return GN_OK;
}

gn_status gn_planner_tell(gn_planner *p, const gn_observation *obs, size_t n, gn_err *err)
{
    if (!p)
        return gn_err_set(err, GN_ERR_INVALID, "gn_planner_tell: no planner");
    if (n == 0)
        return GN_OK;
    return p->type->tell(p->state, obs, n, err);
}

gn_status gn_planner_set_candidates(gn_planner *p, const double *X, size_t n, gn_err *err)
{
    if (!p->type->set_candidates)
        return gn_err_set(err, GN_ERR_UNSUPPORTED,
                          "planner strategy '%s' cannot choose from a candidate pool; use strategy bo",
                          p->type->name);
    return p->type->set_candidates(p->state, X, n, err);
}

const char *gn_planner_name(const gn_planner *p)
{
    return p ? p->type->name : NULL;
}

void gn_planner_free(gn_planner *p)
{
    if (!p)
        return;
    p->type->destroy(p->state);
    gn_free(p);
}

/* ---- helpers shared by the planners (internal.h) -------------------------------- */

gn_status gn__ask_prepare(const gn_space *space, const gn_ask_ctx *ctx, size_t n,
                          gn_ask_out *out, gn_err *err)
{
    size_t i, m = space->spec->n_objectives;

    if (!ctx || !out || (n > 0 && !out->x))
        return gn_err_set(err, GN_ERR_INVALID, "ask: missing argument");
    if (ctx->n_issued < 0)
        return gn_err_set(err, GN_ERR_INVALID, "ask: n_issued is negative (%ld)", ctx->n_issued);
    for (i = 0; i < n; i++)
        if (out->has_prediction)
            out->has_prediction[i] = 0;
    for (i = 0; i < n * m; i++) {
        if (out->mean)
            out->mean[i] = NAN;
        if (out->sd)
            out->sd[i] = NAN;
    }
    return GN_OK;
}

gn_status gn__tell_check(const gn_space *space, const gn_observation *obs, size_t n, gn_err *err)
{
    size_t i, j, m = space->spec->n_objectives;

    if (n > 0 && !obs)
        return gn_err_set(err, GN_ERR_INVALID, "tell: %zu observations but no array", n);
    for (i = 0; i < n; i++) {
        const gn_observation *o = &obs[i];
        if (!o->x)
            return gn_err_set(err, GN_ERR_INVALID, "tell: observation %zu has no parameters", i + 1);
        for (j = 0; j < space->dim; j++)
            if (!isfinite(o->x[j]))
                return gn_err_set(err, GN_ERR_INVALID,
                                  "tell: observation %zu: parameter '%s' is not a finite number", i + 1,
                                  space->spec->params[j].name);
        if (o->status != GN_OBS_COMPLETED && o->status != GN_OBS_FAILED)
            return gn_err_set(err, GN_ERR_INVALID, "tell: observation %zu has an unknown status %d",
                              i + 1, (int)o->status);
        if (o->status != GN_OBS_COMPLETED || m == 0)
            continue;
        if (!o->y)
            return gn_err_set(err, GN_ERR_INVALID, "tell: completed observation %zu has no objectives",
                              i + 1);
        for (j = 0; j < m; j++)
            if (!isfinite(o->y[j]))
                return gn_err_set(err, GN_ERR_INVALID,
                                  "tell: observation %zu: objective '%s' is not a finite number", i + 1,
                                  space->spec->objectives[j].name);
    }
    return GN_OK;
}

/* The draw callback of gn_space_sample_feasible for sequence planners: the
 * cursor's next index, then advance. */
typedef struct seq_draw {
    gn__seq_point_fn point;
    void *seq;
    gn__cursor *cur;
} seq_draw;

static void seq_draw_next(void *ctx, double *u)
{
    seq_draw *s = ctx;
    s->point(s->seq, s->cur->next, u);
    s->cur->next++;
}

gn_status gn__design_ask(const gn_space *space, gn__seq_point_fn point, void *seq, gn__cursor *cur,
                         const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    size_t d = space->dim;
    long k0 = ctx->n_issued, end = k0 + (long)n;
    double *scratch = NULL;
    seq_draw sd;
    gn_status st = GN_OK;

    sd.point = point;
    sd.seq = seq;
    sd.cur = cur;
    if (space->spec->n_constraints == 0) {
        /* every unit point maps into the box: point k is index k */
        cur->found = k0;
        cur->next = (uint64_t)k0;
        cur->valid = 1;
    } else if (!cur->valid || cur->found > k0) {
        cur->found = 0;
        cur->next = 0;
        cur->valid = 1;
    }
    if (cur->found < k0) {
        scratch = gn_calloc(d ? d : 1, sizeof *scratch);
        if (!scratch) {
            st = gn_err_nomem(err);
            goto out;
        }
    }
    while (cur->found < end) {
        double *x = cur->found < k0 ? scratch : out->x + (size_t)(cur->found - k0) * d;
        st = gn_space_sample_feasible(space, seq_draw_next, &sd, GN_SPACE_MAX_TRIES, x, err);
        if (st != GN_OK) {
            cur->valid = 0;
            goto out;
        }
        cur->found++;
    }
out:
    gn_free(scratch);
    return st;
}
