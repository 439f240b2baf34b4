/*
 * serve/limits.c - per-token rate limits and failed-authentication
 * throttling per client address.
 *
 * Rate limit: a token bucket per token id (rate tokens/s, burst bucket
 * size): a request takes one token; an empty bucket answers with how long
 * until the next one (Retry-After).
 *
 * Throttling: fail_max failures from one address within
 * fail_window seconds block the address for `block` seconds; during a
 * block every request from it is 429, whatever its token.
 *
 * Both tables are bounded (TABLE_MAX entries): when full, stale entries
 * are dropped first, then the oldest. One mutex guards both; each
 * operation is a few loads and stores.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

#define TABLE_MAX 4096
#define ADDR_MAX 64

typedef struct {
    int64_t token_id; /* 0: free slot */
    double tokens, last;
} bucket;

typedef struct {
    char addr[ADDR_MAX]; /* "": free slot */
    double window_start;
    unsigned failures;
    double blocked_until;
} fail_rec;

struct gn__limits {
    pthread_mutex_t mu;
    double rate, burst;
    unsigned fail_max;
    double fail_window, block;
    bucket buckets[TABLE_MAX];
    fail_rec fails[TABLE_MAX];
};

gn__limits *gn__limits_new(double rate, double burst, unsigned fail_max, double fail_window,
                           double block)
{
    gn__limits *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    pthread_mutex_init(&l->mu, NULL);
    l->rate = rate;
    l->burst = burst < 1 ? 1 : burst;
    l->fail_max = fail_max;
    l->fail_window = fail_window;
    l->block = block;
    return l;
}

void gn__limits_free(gn__limits *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static size_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)(x % TABLE_MAX);
}

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h % TABLE_MAX);
}

int gn__limits_take(gn__limits *l, int64_t token_id, double now)
{
    size_t i, k, victim = 0;
    double oldest = INFINITY;
    bucket *b = NULL;
    int wait = 0;

    if (l->rate < 0 || token_id <= 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    /* open addressing with a short probe; a full probe evicts its stalest */
    for (k = 0, i = hash_u64((uint64_t)token_id); k < 16; k++, i = (i + 1) % TABLE_MAX) {
        if (l->buckets[i].token_id == token_id || l->buckets[i].token_id == 0) {
            b = &l->buckets[i];
            break;
        }
        if (l->buckets[i].last < oldest) {
            oldest = l->buckets[i].last;
            victim = i;
        }
    }
    if (!b)
        b = &l->buckets[victim];
    if (b->token_id != token_id) {
        b->token_id = token_id;
        b->tokens = l->burst;
        b->last = now;
    }
    b->tokens = fmin(l->burst, b->tokens + (now - b->last) * l->rate);
    b->last = now;
    if (b->tokens >= 1.0)
        b->tokens -= 1.0;
    else
        wait = (int)ceil((1.0 - b->tokens) / (l->rate > 0 ? l->rate : 1e-9));
    pthread_mutex_unlock(&l->mu);
    return wait > 86400 ? 86400 : wait;
}

/* The record of addr, created when `create` (evicting a stale one). */
static fail_rec *fail_find(gn__limits *l, const char *addr, double now, int create)
{
    size_t i, k, victim = 0;
    double oldest = INFINITY;
    fail_rec *free_slot = NULL;

    for (k = 0, i = hash_str(addr); k < 16; k++, i = (i + 1) % TABLE_MAX) {
        fail_rec *r = &l->fails[i];
        double last;
        if (!strcmp(r->addr, addr))
            return r;
        if (!r->addr[0]) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        last = fmax(r->window_start + l->fail_window, r->blocked_until);
        if (last < now && !free_slot)
            free_slot = r; /* stale: reuse */
        if (last < oldest) {
            oldest = last;
            victim = i;
        }
    }
    if (!create)
        return NULL;
    if (!free_slot)
        free_slot = &l->fails[victim];
    memset(free_slot, 0, sizeof *free_slot);
    snprintf(free_slot->addr, sizeof free_slot->addr, "%s", addr);
    free_slot->window_start = now;
    return free_slot;
}

int gn__limits_blocked(gn__limits *l, const char *addr, double now)
{
    fail_rec *r;
    int left = 0;
    if (!addr)
        return 0;
    pthread_mutex_lock(&l->mu);
    r = fail_find(l, addr, now, 0);
    if (r && r->blocked_until > now)
        left = (int)ceil(r->blocked_until - now);
    pthread_mutex_unlock(&l->mu);
    return left;
}

int gn__limits_fail(gn__limits *l, const char *addr, double now)
{
    fail_rec *r;
    int started = 0;
    if (!addr)
        return 0;
    pthread_mutex_lock(&l->mu);
    r = fail_find(l, addr, now, 1);
    if (now - r->window_start > l->fail_window) {
        r->window_start = now;
        r->failures = 0;
    }
    r->failures++;
    if (r->failures >= l->fail_max && r->blocked_until <= now) {
        r->blocked_until = now + l->block;
        r->failures = 0;
        r->window_start = now;
        started = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return started;
}
