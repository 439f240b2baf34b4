/*
 * plan/sobol.c - the "sobol" planner: a scrambled Sobol' sequence.
 *
 * Written here rather than taken from GSL because gsl_qrng_sobol stops at 40
 * dimensions and has no randomisation; campaigns have up to
 * GN_SPEC_MAX_PARAMS (256) parameters.
 *
 * Construction (in base 2, BITS = 52 digits, so a point is a multiple of
 * 2^-52 and indexes run up to 2^52; larger indexes wrap):
 *
 * - Dimension 1 is the van der Corput sequence (every m_k = 1).
 * - Dimension j >= 2 uses the (j-1)-th primitive polynomial over GF(2) in
 *   the order of increasing degree, then increasing value as a bit pattern
 *   (x+1; x^2+x+1; x^3+x+1, x^3+x^2+1; ...). They are found at first use by
 *   testing that x has multiplicative order 2^s - 1 modulo the polynomial
 *   (which also proves it irreducible). Dimension 256 needs degree 11.
 * - The initial direction numbers m_1..m_s of a polynomial of degree s are
 *   odd with m_k < 2^k, chosen at first use (once per process, then kept):
 *   CANDIDATES sets are drawn from a splitmix64 stream with the fixed state
 *   INIT_SEED, and the set kept is the one whose 2-D projections with all
 *   earlier dimensions are best: the smallest sum of 4^t over the t-values
 *   of those projections for the first 2^m points, m = 2..Q_COLS; in the
 *   spirit of Joe and Kuo's search but far shorter (0.7 s for 256
 *   dimensions, 5 ms for 20). Without that choice, two dimensions out of a
 *   hundred commonly share their leading digit over 1024 points (a
 *   correlation of 0.75 that no scrambling removes). The unscrambled
 *   sequence is one fixed sequence, the same for every campaign.
 * - Later direction numbers follow Bratley and Fox's recurrence
 *   m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s}, and
 *   v_k = m_k 2^(BITS-k). Point n is the XOR of the v_k for the bits of the
 *   Gray code n ^ (n >> 1) (Antonov and Saleev), computed incrementally when
 *   points are taken in order.
 *
 * Randomisation (from the campaign seed): Matousek's linear matrix
 * scrambling, a random lower-triangular binary matrix L with unit diagonal
 * per dimension applied to the digits (output digit i = digit i XOR a random
 * combination of the more significant digits), then a random digital shift
 * (XOR with a random word). Since L is linear it is applied once to the
 * direction numbers. Both keep the (t,m,s)-net structure: in particular,
 * every block of 2^m points starting at a multiple of 2^m puts exactly one
 * point in each interval [i/2^m, (i+1)/2^m) of every coordinate.
 *
 * Campaign point k is the k-th feasible point of the scrambled sequence
 * (index k when there are no linear constraints; see gn__design_ask).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "plan/internal.h"

#define BITS 52
#define MAX_DEGREE 20 /* far above what GN_SPEC_MAX_PARAMS needs (11) */
#define INIT_SEED 0x536f626f6c2d4d31ULL /* "Sobol-M1": the initial direction numbers */
#define CANDIDATES 8 /* sets of initial direction numbers tried per dimension */
#define Q_COLS 10    /* 2-D quality is judged on the first 2^Q_COLS points */

typedef struct sobol_state {
    const gn_space *space; /* borrowed */
    size_t dim;
    uint64_t *v;           /* dim * BITS scrambled direction numbers, v[j*BITS + k-1] = v'_k */
    uint64_t *shift;       /* dim digital shifts */
    uint64_t *x;           /* the unshifted integer point at index `at` */
    uint64_t at;
    int have_x;
    gn__cursor cur;
} sobol_state;

/* 1 if the polynomial p (bit i = coefficient of x^i) of degree s >= 1 with
 * p(0) = 1 is primitive: x has order exactly 2^s - 1 modulo p. */
static int primitive(uint32_t p, int s)
{
    uint32_t r = 1, period = ((uint32_t)1 << s) - 1, i;
    for (i = 1; i <= period; i++) {
        r <<= 1;
        if (r & ((uint32_t)1 << s))
            r ^= p;
        if (r == 1)
            return i == period;
    }
    return 0;
}

/* m_1..m_BITS of a dimension with the polynomial p of degree s (s = 0: the
 * van der Corput dimension), from the initial m_1..m_s in m[1..s]
 * (Bratley and Fox's recurrence). */
static void extend_m(uint32_t p, int s, uint64_t *m)
{
    int k, i;
    for (k = 1; k <= BITS; k++) {
        if (s == 0) {
            m[k] = 1;
        } else if (k > s) {
            uint64_t t = m[k - s] ^ (m[k - s] << s);
            for (i = 1; i < s; i++)
                if ((p >> (s - i)) & 1u)
                    t ^= m[k - i] << i;
            m[k] = t;
        }
    }
}

/* Row i (digit i, 1-based) of the generator matrix over the first Q_COLS
 * columns: bit k-1 is digit i of v_k = bit k-i of m_k. */
static void matrix_rows(const uint64_t *m, uint32_t *rows)
{
    int i, k;
    for (i = 1; i <= Q_COLS; i++) {
        uint32_t r = 0;
        for (k = i; k <= Q_COLS; k++)
            if ((m[k] >> (k - i)) & 1u)
                r |= (uint32_t)1 << (k - 1);
        rows[i - 1] = r;
    }
}

/* Adds v to the GF(2) basis `pivot` (pivot[b]: a vector whose highest set
 * bit is b, or 0) of vectors of `cols` bits. 0 if v depends on the basis. */
static int basis_add(uint32_t *pivot, uint32_t v, int cols)
{
    int b;
    for (b = cols - 1; b >= 0; b--) {
        if (!((v >> b) & 1u))
            continue;
        if (!pivot[b]) {
            pivot[b] = v;
            return 1;
        }
        v ^= pivot[b];
    }
    return 0;
}

/* The t-value of the 2-D projection (dimensions with rows a and b) of the
 * first 2^m points: m + 1 - the smallest d1 + d2 for which the first d1 rows
 * of a and the first d2 rows of b, over the first m columns, are linearly
 * dependent. A t-value of t means every box of 2^-d1 by 2^-d2 with
 * d1 + d2 = m - t holds the same number of those points; a large one that
 * some coarse box does not (t = m - 1 when the leading digits of the two
 * coordinates agree for every point: a correlation of 0.75). */
static int t_value(const uint32_t *a, const uint32_t *b, int m)
{
    uint32_t pa[Q_COLS], pb[Q_COLS], mask = ((uint32_t)1 << m) - 1;
    int d1, d2, dep = m + 1;

    memset(pa, 0, sizeof pa);
    for (d1 = 0; d1 <= m && d1 < dep; d1++) {
        if (d1 > 0)
            basis_add(pa, a[d1 - 1] & mask, m); /* a's rows are triangular: independent */
        memcpy(pb, pa, sizeof pb);
        for (d2 = 1; d1 + d2 < dep && d2 <= m - d1; d2++)
            if (!basis_add(pb, b[d2 - 1] & mask, m)) {
                dep = d1 + d2;
                break;
            }
    }
    return m + 1 - dep;
}

/* The cost of a 2-D projection: sum over m = 2..Q_COLS of 4^t_m, so that
 * one coarse unbalanced box outweighs many fine ones. */
static uint64_t pair_cost(const uint32_t *a, const uint32_t *b)
{
    uint64_t cost = 0;
    int m;
    for (m = 2; m <= Q_COLS; m++)
        cost += (uint64_t)1 << (2 * t_value(a, b, m));
    return cost;
}

/* The process-wide table of initial direction numbers, grown on demand
 * under a lock. Dimension j's numbers depend only on dimensions < j and the
 * fixed stream, so the table is the same whatever order it grows in. */
static struct {
    pthread_mutex_t lock;
    size_t n;                                  /* dimensions chosen so far */
    uint64_t stream;                           /* the candidate stream, after n */
    uint32_t poly[GN_SPEC_MAX_PARAMS];
    int deg[GN_SPEC_MAX_PARAMS];
    uint32_t next_poly;                        /* where the polynomial search resumes */
    int next_deg;
    uint64_t m[GN_SPEC_MAX_PARAMS][BITS + 1];  /* m_1..m_BITS per dimension */
    uint32_t rows[GN_SPEC_MAX_PARAMS][Q_COLS];
} table = {PTHREAD_MUTEX_INITIALIZER, 0, INIT_SEED, {0}, {0}, 3, 1, {{0}}, {{0}}};

/* The next primitive polynomial in order of degree, then value. 0 when
 * MAX_DEGREE is exhausted (never for GN_SPEC_MAX_PARAMS dimensions). */
static int next_primitive(uint32_t *poly, int *deg)
{
    while (table.next_deg <= MAX_DEGREE) {
        uint32_t p = table.next_poly;
        int s = table.next_deg;
        if (p >= ((uint32_t)1 << (s + 1))) {
            table.next_deg++;
            table.next_poly = ((uint32_t)1 << table.next_deg) | 1u;
            continue;
        }
        table.next_poly += 2;
        if (primitive(p, s)) {
            *poly = p;
            *deg = s;
            return 1;
        }
    }
    return 0;
}

/* Chooses the initial direction numbers of dimensions table.n .. d-1. For
 * each, CANDIDATES sets of m_1..m_s (odd, m_k < 2^k) are drawn from the
 * fixed stream and the one kept has the smallest sum of pair_cost with the
 * earlier dimensions (the first drawn among equals). Caller holds the
 * lock. 0 if the polynomials run out. */
static int table_grow(size_t d)
{
    uint64_t cand[BITS + 1];
    uint32_t rows[Q_COLS];
    int c, k;

    while (table.n < d) {
        size_t j = table.n, i;
        uint64_t best = UINT64_MAX;
        if (j == 0) {
            table.deg[0] = 0;
            extend_m(0, 0, table.m[0]);
            matrix_rows(table.m[0], table.rows[0]);
            table.n = 1;
            continue;
        }
        if (!next_primitive(&table.poly[j], &table.deg[j]))
            return 0;
        for (c = 0; c < CANDIDATES; c++) {
            uint64_t cost = 0;
            int s = table.deg[j];
            memset(cand, 0, sizeof cand);
            for (k = 1; k <= s; k++) {
                uint64_t r = gn__stream_next(&table.stream);
                cand[k] = ((r % ((uint64_t)1 << (k - 1))) << 1) | 1u;
            }
            extend_m(table.poly[j], s, cand);
            matrix_rows(cand, rows);
            for (i = 0; i < j && cost < best; i++)
                cost += pair_cost(rows, table.rows[i]);
            if (cost < best) {
                best = cost;
                memcpy(table.m[j], cand, sizeof cand);
                memcpy(table.rows[j], rows, sizeof rows);
            }
        }
        table.n++;
    }
    return 1;
}

/* Applies a random lower-triangular unit matrix (digit 1 = the most
 * significant bit) to the direction numbers v of one dimension: column j of
 * L has digit j set and random digits below it. */
static void scramble(uint64_t *v, uint64_t *stream)
{
    uint64_t col[BITS];
    int j, k;

    for (j = 0; j < BITS; j++) {
        uint64_t lead = (uint64_t)1 << (BITS - 1 - j);
        col[j] = lead | (gn__stream_next(stream) & (lead - 1));
    }
    for (k = 0; k < BITS; k++) {
        uint64_t w = v[k], out = 0;
        for (j = 0; j < BITS; j++)
            if ((w >> (BITS - 1 - j)) & 1u)
                out ^= col[j];
        v[k] = out;
    }
}

static void sobol_destroy(void *state)
{
    sobol_state *s = state;
    if (!s)
        return;
    gn_free(s->v);
    gn_free(s->shift);
    gn_free(s->x);
    gn_free(s);
}

static gn_status sobol_create(const gn_space *space, uint64_t seed, void **state, gn_err *err)
{
    size_t d = space->dim, j;
    uint64_t key;
    int grown;
    sobol_state *s = NULL;
    gn_status st = GN_OK;

    *state = NULL;
    if (d > GN_SPEC_MAX_PARAMS)
        return gn_err_set(err, GN_ERR_LIMIT, "sobol: %zu parameters, over the limit of %d "
                          "(GN_SPEC_MAX_PARAMS)", d, GN_SPEC_MAX_PARAMS);
    s = gn_calloc(1, sizeof *s);
    if (s) {
        s->v = gn_calloc((d ? d : 1) * BITS, sizeof *s->v);
        s->shift = gn_calloc(d ? d : 1, sizeof *s->shift);
        s->x = gn_calloc(d ? d : 1, sizeof *s->x);
    }
    if (!s || !s->v || !s->shift || !s->x) {
        st = gn_err_nomem(err);
        goto out;
    }
    s->space = space;
    s->dim = d;
    pthread_mutex_lock(&table.lock);
    grown = table_grow(d);
    if (grown)
        for (j = 0; j < d; j++) {
            int k;
            for (k = 1; k <= BITS; k++)
                s->v[j * BITS + k - 1] = table.m[j][k] << (BITS - k);
        }
    pthread_mutex_unlock(&table.lock);
    if (!grown) {
        st = gn_err_set(err, GN_ERR_INTERNAL, "sobol: not enough primitive polynomials for %zu dimensions", d);
        goto out;
    }
    key = gn__hash(gn__mix64(seed + GN__GOLDEN), GN__TAG_SOBOL);
    for (j = 0; j < d; j++) {
        uint64_t stream = gn__hash(key, j);
        scramble(s->v + j * BITS, &stream);
        s->shift[j] = gn__stream_next(&stream) >> (64 - BITS);
    }
    *state = s;
    s = NULL;
out:
    sobol_destroy(s);
    return st;
}

/* Index of the lowest set bit of n > 0. */
static int lowest_bit(uint64_t n)
{
    int b = 0;
    while (!(n & 1u)) {
        n >>= 1;
        b++;
    }
    return b;
}

/* gn__seq_point_fn: point `index` of the scrambled sequence. */
static void sobol_point(void *seq, uint64_t index, double *u)
{
    sobol_state *s = seq;
    const uint64_t mask = ((uint64_t)1 << BITS) - 1;
    size_t j;

    index &= mask;
    if (s->have_x && index == ((s->at + 1) & mask) && index != 0) {
        int b = lowest_bit(index);
        for (j = 0; j < s->dim; j++)
            s->x[j] ^= s->v[j * BITS + b];
    } else if (!s->have_x || index != s->at) {
        uint64_t g = index ^ (index >> 1);
        memset(s->x, 0, s->dim * sizeof *s->x);
        for (int b = 0; g; b++, g >>= 1)
            if (g & 1u)
                for (j = 0; j < s->dim; j++)
                    s->x[j] ^= s->v[j * BITS + b];
    }
    s->at = index;
    s->have_x = 1;
    for (j = 0; j < s->dim; j++)
        u[j] = (double)(s->x[j] ^ s->shift[j]) * 0x1.0p-52;
}

static gn_status sobol_ask(void *state, const gn_ask_ctx *ctx, size_t n, gn_ask_out *out, gn_err *err)
{
    sobol_state *s = state;
    gn_status st = gn__ask_prepare(s->space, ctx, n, out, err);
    if (st != GN_OK)
        return st;
    return gn__design_ask(s->space, sobol_point, s, &s->cur, ctx, n, out, err);
}

static gn_status sobol_tell(void *state, const gn_observation *obs, size_t n, gn_err *err)
{
    sobol_state *s = state;
    return gn__tell_check(s->space, obs, n, err);
}

const gn_planner_type gn_planner_sobol = {
    "sobol", sobol_create, sobol_ask, sobol_tell, sobol_destroy, NULL,
};
