/*
 * plan/random.c - the "random" planner: independent uniform points.
 *
 * Campaign point k is drawn from its own stream, a splitmix64 stream whose
 * state is a hash of (seed, k): unit points are drawn from it until one maps
 * to a feasible point (at most GN_SPACE_MAX_TRIES). So point k depends on
 * (seed, k) only, whatever was asked before, and a resumed campaign proposes
 * what an uninterrupted one would have.
 */
#include <stdint.h>

#include "core/alloc.h"
#include "plan/internal.h"

typedef struct random_state {
    const gn_space *space; /* borrowed */
    uint64_t key;          /* hash of the seed and the planner's tag */
} random_state;

static gn_status random_create(const gn_space *space, uint64_t seed, void **state, gn_err *err)
{
    random_state *s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->space = space;
    s->key = gn__hash(gn__mix64(seed + GN__GOLDEN), GN__TAG_RANDOM);
    *state = s;
    return GN_OK;
}

typedef struct point_stream {
    uint64_t state;
    size_t dim;
} point_stream;

static void draw_uniform(void *ctx, double *u)
{
    point_stream *ps = ctx;
    size_t i;
    for (i = 0; i < ps->dim; i++)
        u[i] = gn__unit53(gn__stream_next(&ps->state));
}

static gn_status random_ask(void *state, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    random_state *s = state;
    size_t d = s->space->dim, j;
    gn_status st = gn__ask_prepare(s->space, ctx, n, out, err);

    for (j = 0; j < n && st == GN_OK; j++) {
        point_stream ps;
        ps.state = gn__hash(s->key, (uint64_t)ctx->n_issued + j);
        ps.dim = d;
        st = gn_space_sample_feasible(s->space, draw_uniform, &ps, GN_SPACE_MAX_TRIES, out->x + j * d,
                                      err);
    }
    return st;
}

static gn_status random_tell(void *state, const gn_observation *obs, size_t n, gn_err *err)
{
    random_state *s = state;
    return gn__tell_check(s->space, obs, n, err);
}

static void random_destroy(void *state)
{
    gn_free(state);
}

const gn_planner_type gn_planner_random = {
    "random", random_create, random_ask, random_tell, random_destroy, NULL,
};
