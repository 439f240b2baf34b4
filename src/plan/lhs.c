/*
 * plan/lhs.c - the "lhs" planner: Latin hypercube designs.
 *
 * The sequence is cut into blocks of B = budget.experiments rows (1 when the
 * budget is not set). Block b is a Latin hypercube of B rows: in every
 * dimension j, row r lies in stratum perm_{b,j}(r) of the B equal strata of
 * [0,1), at a uniform position (jitter) inside it. So each dimension's B
 * strata are used exactly once per block.
 *
 * perm_{b,j} is a random permutation of 0..B-1 that is evaluated at one row
 * without being stored (Kensler's hash-based permutation with cycle walking,
 * "Correlated Multi-Jittered Sampling", 2013), keyed by a hash of
 * (seed, b, j); the jitter of (b, r, j) is a hash of those too. A block is a
 * function of (seed, b) only, whatever was asked before, and memory does
 * not grow with B.
 *
 * Sequence index i is row i % B of block i / B; campaign point k is the k-th
 * feasible row (row k % B of block k / B without linear constraints). With
 * constraints, infeasible rows are skipped, so a block's feasible rows no
 * longer use every stratum exactly once: constraints break strict
 * stratification.
 */
#include <stdint.h>

#include "core/alloc.h"
#include "plan/internal.h"

typedef struct lhs_state {
    const gn_space *space; /* borrowed */
    uint64_t key;
    uint32_t rows;         /* B */
    gn__cursor cur;
} lhs_state;

/* A permutation of 0..l-1 keyed by p, evaluated at i < l (Kensler 2013,
 * listing 3). Every step is a bijection of the low bits (w covers them), and
 * values >= l are walked on until they fall below l. */
static uint32_t permute(uint32_t i, uint32_t l, uint32_t p)
{
    uint32_t w = l - 1;
    w |= w >> 1;
    w |= w >> 2;
    w |= w >> 4;
    w |= w >> 8;
    w |= w >> 16;
    do {
        i ^= p;
        i *= 0xe170893du;
        i ^= p >> 16;
        i ^= (i & w) >> 4;
        i ^= p >> 8;
        i *= 0x0929eb3fu;
        i ^= p >> 23;
        i ^= (i & w) >> 1;
        i *= 1u | p >> 27;
        i *= 0x6935fa69u;
        i ^= (i & w) >> 11;
        i *= 0x74dcb303u;
        i ^= (i & w) >> 2;
        i *= 0x9e501cc3u;
        i ^= (i & w) >> 2;
        i *= 0xc860a3dfu;
        i &= w;
        i ^= i >> 5;
    } while (i >= l);
    return (uint32_t)(((uint64_t)i + p) % l);
}

/* gn__seq_point_fn: row index % B of block index / B. */
static void lhs_point(void *seq, uint64_t index, double *u)
{
    lhs_state *s = seq;
    const double below_one = 1.0 - 0x1.0p-53;
    uint64_t b = index / s->rows, kb = gn__hash(s->key, b);
    uint32_t r = (uint32_t)(index % s->rows);
    size_t j;

    for (j = 0; j < s->space->dim; j++) {
        uint32_t p = (uint32_t)(gn__hash(kb, 2 * (uint64_t)j) >> 32);
        uint32_t stratum = permute(r, s->rows, p);
        double jitter = gn__unit53(gn__hash(gn__hash(kb, 2 * (uint64_t)j + 1), r));
        double v = ((double)stratum + jitter) / (double)s->rows;
        u[j] = v < below_one ? v : below_one;
    }
}

static gn_status lhs_create(const gn_space *space, uint64_t seed, void **state, gn_err *err)
{
    long b = space->spec->budget.experiments;
    lhs_state *s;

    *state = NULL;
    if (b > (long)UINT32_MAX)
        return gn_err_set(err, GN_ERR_LIMIT, "lhs: a block of %ld experiments is over the limit of %lu",
                          b, (unsigned long)UINT32_MAX);
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->space = space;
    s->rows = b >= 1 ? (uint32_t)b : 1u;
    s->key = gn__hash(gn__mix64(seed + GN__GOLDEN), GN__TAG_LHS);
    *state = s;
    return GN_OK;
}

static gn_status lhs_ask(void *state, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    lhs_state *s = state;
    gn_status st = gn__ask_prepare(s->space, ctx, n, out, err);
    if (st != GN_OK)
        return st;
    return gn__design_ask(s->space, lhs_point, s, &s->cur, ctx, n, out, err);
}

static gn_status lhs_tell(void *state, const gn_observation *obs, size_t n, gn_err *err)
{
    lhs_state *s = state;
    return gn__tell_check(s->space, obs, n, err);
}

static void lhs_destroy(void *state)
{
    gn_free(state);
}

const gn_planner_type gn_planner_lhs = {
    "lhs", lhs_create, lhs_ask, lhs_tell, lhs_destroy, NULL,
};
