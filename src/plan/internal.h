/*
 * plan/internal.h - what the planners of src/plan share; not for other
 * modules.
 *
 * - a counter-based hash (splitmix64's finaliser), so that any random
 *   number a planner draws is a pure function of (seed, purpose, index);
 * - the "design cursor": the driver of the sequence planners (sobol, lhs),
 *   where campaign point k is the k-th feasible point of a deterministic
 *   sequence of unit points;
 * - checks and fills every planner without a model does the same way.
 */
#ifndef GN_PLAN_INTERNAL_H
#define GN_PLAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "plan/planner.h"

#define GN__GOLDEN 0x9e3779b97f4a7c15ULL

/* splitmix64's finaliser: a bijection of 64-bit words that mixes every input
 * bit into every output bit. mix64(0) = 0, so inputs are offset first by the
 * callers below. */
static inline uint64_t gn__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Folds v into the hash h: hash chains gn__hash(gn__hash(seed, a), b) name
 * independent streams for each tuple (seed, a, b). */
static inline uint64_t gn__hash(uint64_t h, uint64_t v)
{
    return gn__mix64(h ^ gn__mix64(v + GN__GOLDEN));
}

/* A splitmix64 stream: state advances by the golden ratio, outputs are
 * mixed. Good enough for sampling (it passes BigCrush), and its state is one
 * word that a hash of (seed, k) can set. */
static inline uint64_t gn__stream_next(uint64_t *state)
{
    *state += GN__GOLDEN;
    return gn__mix64(*state);
}

/* A double in [0, 1) with 53 random bits. */
static inline double gn__unit53(uint64_t r)
{
    return (double)(r >> 11) * 0x1.0p-53;
}

/* Planner tags: each planner hashes the campaign seed with its own tag, so
 * that two planners with the same seed draw unrelated numbers. */
#define GN__TAG_RANDOM 0x72616e646f6d0001ULL
#define GN__TAG_SOBOL 0x736f626f6c000001ULL
#define GN__TAG_LHS 0x6c68730000000001ULL
#define GN__TAG_BO 0x626f000000000001ULL

/* Unit point number `index` of a deterministic sequence: writes dim numbers
 * in [0,1) to u. Must depend on (the sequence's seed, index) only. */
typedef void (*gn__seq_point_fn)(void *seq, uint64_t index, double *u);

/* Where a sequence planner is in its sequence: `found` feasible points were
 * seen among the indexes [0, next). valid = 0 forces a rescan from 0. */
typedef struct gn__cursor {
    long found;
    uint64_t next;
    int valid;
} gn__cursor;

/* Fills out->x with points ctx->n_issued .. ctx->n_issued + n - 1, where
 * point k is the k-th feasible point of the sequence `point(seq, .)`. With
 * no linear constraints every point is feasible and point k is index k;
 * otherwise the cursor is reused when it is at or before n_issued and the
 * sequence is rescanned from 0 when it is past it (a planner asked again for
 * points it already proposed, as after a resume). GN_ERR_INFEASIBLE when
 * GN_SPACE_MAX_TRIES consecutive indexes are infeasible; the cursor is then
 * invalid. */
gn_status gn__design_ask(const gn_space *space, gn__seq_point_fn point, void *seq, gn__cursor *cur,
                         const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err);

/* Checks the arguments of an ask (ctx and out->x given, n_issued >= 0) and
 * sets the predictions of n proposals to "none": has_prediction 0, mean and
 * sd NaN (each where non-NULL). GN_ERR_INVALID with a message otherwise. */
gn_status gn__ask_prepare(const gn_space *space, const gn_ask_ctx *ctx, size_t n,
                          gn_ask_out *out, gn_err *err);

/* Validates n observations for a planner that does not use them: obs given,
 * x given and finite, status known, y given and finite for completed
 * experiments. GN_ERR_INVALID naming the observation otherwise. */
gn_status gn__tell_check(const gn_space *space, const gn_observation *obs, size_t n, gn_err *err);

#endif
