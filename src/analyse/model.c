/*
 * analyse/model.c - the model-based parts of the analysis, for one
 * objective: a GP fitted to every completed experiment, its ARD
 * lengthscales, Sobol' indices of its posterior mean, partial dependence,
 * and the expected improvement of one more experiment.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"
#include "core/alloc.h"

/* Evaluation context of the surrogate's posterior mean at unit points. */
typedef struct surrogate {
    const gn_campaign *c;
    const gn_gp *gp;
    size_t dim, D;
    double *x, *U; /* dim; block * D */
} surrogate;

#define EVAL_BLOCK 512

/* gn__analyse_fn over the per-parameter unit coordinates of gn_space. */
static gn_status surrogate_eval(void *ctx, const double *u, size_t m, double *out, gn_err *err)
{
    surrogate *s = ctx;
    size_t off, i;
    gn_status st;

    for (off = 0; off < m; off += EVAL_BLOCK) {
        size_t b = m - off < EVAL_BLOCK ? m - off : EVAL_BLOCK;
        for (i = 0; i < b; i++) {
            gn_space_from_unit(&s->c->space, u + (off + i) * s->dim, s->x);
            gn__analyse_encode(s->c->spec, s->x, s->U + i * s->D);
        }
        st = gn_gp_predict(s->gp, s->U, b, out + off, NULL, err);
        if (st != GN_OK)
            return st;
    }
    return GN_OK;
}

/* Rows that train the model: complete ones with a finite y_j; past
 * GN_ANALYSE_MAX_GP, an evenly spaced subset that keeps the best row. */
static size_t training_rows(const gn__adata *d, size_t j, size_t best, int has_best, size_t *rows)
{
    size_t i, n = 0, k, out = 0;
    for (i = 0; i < d->n; i++)
        if (d->complete[i])
            rows[n++] = i;
    if (n <= GN_ANALYSE_MAX_GP)
        return n;
    for (k = 0; k < GN_ANALYSE_MAX_GP; k++)
        rows[out++] = rows[k * n / GN_ANALYSE_MAX_GP];
    if (has_best) {
        for (k = 0; k < out && rows[k] != best; k++)
            ;
        if (k == out)
            rows[out - 1] = best;
    }
    (void)j;
    return out;
}

/* Per-parameter lengthscale and raw importance from the D fitted ones: a
 * real or int has one (importance 1/l); a choice has one per value, and a
 * change of value moves the scaled input by sqrt(1/l_a^2 + 1/l_b^2), whose
 * quadratic mean over pairs of values sqrt(2 mean(1/l_k^2)) is its
 * importance (and its reciprocal its lengthscale). */
static void ard_importance(const gn_spec *sp, const double *ls, double *len, double *imp)
{
    size_t i, k, col = 0;
    double sum = 0.0;
    for (i = 0; i < sp->n_params; i++) {
        const gn_param *p = &sp->params[i];
        double r;
        if (p->type == GN_PARAM_CHOICE) {
            double s = 0;
            for (k = 0; k < p->n_choices; k++)
                s += 1.0 / (ls[col + k] * ls[col + k]);
            r = sqrt(2.0 * s / (double)p->n_choices);
            col += p->n_choices;
        } else {
            r = 1.0 / ls[col++];
        }
        len[i] = 1.0 / r;
        imp[i] = r;
        sum += r;
    }
    for (i = 0; i < sp->n_params; i++)
        imp[i] = sum > 0 ? imp[i] / sum : 1.0 / (double)sp->n_params;
}

typedef struct rank_pair {
    double key;
    size_t i;
} rank_pair;

/* Larger keys first; ties in parameter order. */
static int cmp_rank(const void *pa, const void *pb)
{
    const rank_pair *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->i < b->i ? -1 : 1;
}

/* Fills rank (n indexes) by key, descending. 0 when out of memory. */
static int rank_by(const double *key, size_t n, size_t *rank)
{
    rank_pair *p = gn_calloc(n, sizeof *p);
    size_t i;
    if (!p)
        return 0;
    for (i = 0; i < n; i++) {
        p[i].key = isfinite(key[i]) ? key[i] : -INFINITY;
        p[i].i = i;
    }
    qsort(p, n, sizeof *p, cmp_rank);
    for (i = 0; i < n; i++)
        rank[i] = p[i].i;
    gn_free(p);
    return 1;
}

/* Power of two N with N * (dim + 2) within the evaluation budget. */
static size_t sobol_base(size_t dim)
{
    size_t N = GN_ANALYSE_SOBOL_MIN;
    while (N * 2 <= GN_ANALYSE_SOBOL_MAX && N * 2 * (dim + 2) <= GN_ANALYSE_SOBOL_EVALS)
        N *= 2;
    return N;
}

/* The values a partial-dependence curve of parameter p visits. */
static size_t pd_grid(const gn_param *p, double *v)
{
    size_t k, n = 0;
    if (p->type == GN_PARAM_CHOICE) {
        for (k = 0; k < p->n_choices && k < GN_ANALYSE_PD_GRID; k++)
            v[n++] = (double)k;
        return n;
    }
    for (k = 0; k < GN_ANALYSE_PD_GRID; k++) {
        double t = (double)k / (GN_ANALYSE_PD_GRID - 1), x;
        x = p->log_scale ? exp(log(p->low) + t * (log(p->high) - log(p->low))) : p->low + t * (p->high - p->low);
        if (p->type == GN_PARAM_INT) {
            x = floor(x + 0.5);
            if (n && x == v[n - 1])
                continue;
        }
        v[n++] = x;
    }
    return n;
}

/* Expected improvement over `best` (maximisation sign s) of a posterior
 * N(mu, var). */
static double expected_improvement(double s, double mu, double var, double best)
{
    double d = s * mu - s * best, sd = sqrt(var > 0 ? var : 0), z;
    if (sd < 1e-12 * (fabs(best) + 1.0))
        return d > 0 ? d : 0.0;
    z = d / sd;
    return d * gsl_cdf_ugaussian_P(z) + sd * gsl_ran_ugaussian_pdf(z);
}

/* Maximises EI over random feasible points and perturbations of the best. */
static gn_status stopping(gn__analysis *a, size_t j, gn_gp *gp, gn_err *err)
{
    gn__objective_analysis *o = &a->obj[j];
    const gn__adata *d = &a->data;
    const gn_campaign *c = a->c;
    size_t dim = d->dim, D = gn__analyse_encoded_dim(c->spec), total = GN_ANALYSE_EI_SAMPLES + GN_ANALYSE_EI_LOCAL;
    size_t n = 0, tries, i, k;
    double *X = gn_calloc(total * dim, sizeof *X), *U = gn_calloc(total * D, sizeof *U);
    double *mu = gn_calloc(total, sizeof *mu), *var = gn_calloc(total, sizeof *var);
    double *u = gn_calloc(dim, sizeof *u), *ub = gn_calloc(dim, sizeof *ub);
    double s = c->spec->objectives[j].maximize ? 1.0 : -1.0, best = d->y[o->best_row * d->m + j];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gn_status st = GN_OK;

    o->ei_x = gn_calloc(dim ? dim : 1, sizeof *o->ei_x);
    if (!X || !U || !mu || !var || !u || !ub || !rng || !o->ei_x) {
        st = gn_err_nomem(err);
        goto out;
    }
    gsl_rng_set(rng, (unsigned long)(c->rec.seed * 2654435761u + 17 + j));
    for (tries = 0; n < GN_ANALYSE_EI_SAMPLES && tries < 8 * GN_ANALYSE_EI_SAMPLES; tries++) {
        for (k = 0; k < dim; k++)
            u[k] = gsl_rng_uniform(rng);
        gn_space_from_unit(&c->space, u, X + n * dim);
        if (gn_space_feasible(&c->space, X + n * dim))
            n++;
    }
    gn_space_to_unit(&c->space, d->x + o->best_row * dim, ub);
    for (tries = 0; n < total && tries < 8 * GN_ANALYSE_EI_LOCAL; tries++) {
        for (k = 0; k < dim; k++) {
            double v = ub[k] + gsl_ran_gaussian(rng, 0.05);
            u[k] = v < 0 ? 0 : v >= 1 ? 1 - 1e-12 : v;
        }
        gn_space_from_unit(&c->space, u, X + n * dim);
        if (gn_space_feasible(&c->space, X + n * dim))
            n++;
    }
    if (n == 0)
        goto out; /* no feasible point found: no suggestion */
    for (i = 0; i < n; i++)
        gn__analyse_encode(c->spec, X + i * dim, U + i * D);
    st = gn_gp_predict(gp, U, n, mu, var, err);
    if (st != GN_OK)
        goto out;
    o->has_ei = 1;
    o->ei = -1.0;
    for (i = 0; i < n; i++) {
        double ei = expected_improvement(s, mu[i], var[i], best);
        if (ei > o->ei) {
            o->ei = ei;
            memcpy(o->ei_x, X + i * dim, dim * sizeof *X);
        }
    }
    o->ei_rel = o->range > 0 ? o->ei / o->range : NAN;
    o->stop = o->range > 0 && o->ei_rel < GN_ANALYSE_STOP_REL;
out:
    gsl_rng_free(rng);
    gn_free(X);
    gn_free(U);
    gn_free(mu);
    gn_free(var);
    gn_free(u);
    gn_free(ub);
    return st;
}

/* Partial dependence of the top parameters, the others held at the point
 * of row o->pd_row. */
static gn_status partial_dependence(gn__analysis *a, size_t j, gn_gp *gp, gn_err *err)
{
    gn__objective_analysis *o = &a->obj[j];
    const gn_campaign *c = a->c;
    size_t dim = a->data.dim, D = gn__analyse_encoded_dim(c->spec), t, k;
    double *X = gn_calloc(dim, sizeof *X), *U = gn_calloc(GN_ANALYSE_PD_GRID * D, sizeof *U);
    gn_status st = GN_OK;

    if (!X || !U) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (t = 0; t < GN_ANALYSE_PD_TOP && t < dim; t++) {
        gn__pd *pd = &o->pd[t];
        size_t p = o->rank[t];
        pd->param = p;
        pd->x = gn_calloc(GN_ANALYSE_PD_GRID, sizeof *pd->x);
        pd->mean = gn_calloc(GN_ANALYSE_PD_GRID, sizeof *pd->mean);
        pd->sd = gn_calloc(GN_ANALYSE_PD_GRID, sizeof *pd->sd);
        o->n_pd = t + 1;
        if (!pd->x || !pd->mean || !pd->sd) {
            st = gn_err_nomem(err);
            goto out;
        }
        pd->len = pd_grid(&c->spec->params[p], pd->x);
        for (k = 0; k < pd->len; k++) {
            memcpy(X, a->data.x + o->pd_row * dim, dim * sizeof *X);
            X[p] = pd->x[k];
            gn__analyse_encode(c->spec, X, U + k * D);
        }
        st = gn_gp_predict(gp, U, pd->len, pd->mean, pd->sd, err);
        if (st != GN_OK)
            goto out;
        for (k = 0; k < pd->len; k++)
            pd->sd[k] = sqrt(pd->sd[k] > 0 ? pd->sd[k] : 0);
    }
out:
    gn_free(X);
    gn_free(U);
    return st;
}

/* Contract in analyse.h. */
gn_status gn__analyse_model(gn__analysis *a, size_t j, gn_err *err)
{
    gn__objective_analysis *o = &a->obj[j];
    const gn__adata *d = &a->data;
    const gn_spec *sp = a->c->spec;
    size_t dim = d->dim, D = gn__analyse_encoded_dim(sp), *rows = NULL, n, i;
    double *X = NULL, *y = NULL, *ls = NULL;
    gn_gp *gp = NULL;
    gn_gp_options go;
    surrogate sur;
    gn_status st = GN_OK;

    memset(&sur, 0, sizeof sur);
    rows = gn_calloc(d->n + 1, sizeof *rows);
    if (!rows) {
        st = gn_err_nomem(err);
        goto out;
    }
    n = training_rows(d, j, o->best_row, o->has_best, rows);
    if (n < GN_ANALYSE_MIN_GP) {
        snprintf(o->model_note, sizeof o->model_note,
                 "%zu completed experiment%s; the model-based analysis needs at least %d", n, n == 1 ? "" : "s",
                 GN_ANALYSE_MIN_GP);
        goto out;
    }
    if (dim == 0) {
        snprintf(o->model_note, sizeof o->model_note, "the campaign has no parameters");
        goto out;
    }
    X = gn_calloc(n * D, sizeof *X);
    y = gn_calloc(n, sizeof *y);
    ls = gn_calloc(D, sizeof *ls);
    o->lengthscale = gn_calloc(dim, sizeof *o->lengthscale);
    o->ard = gn_calloc(dim, sizeof *o->ard);
    o->rank = gn_calloc(dim, sizeof *o->rank);
    sur.x = gn_calloc(dim, sizeof *sur.x);
    sur.U = gn_calloc(EVAL_BLOCK * D, sizeof *sur.U);
    if (!X || !y || !ls || !o->lengthscale || !o->ard || !o->rank || !sur.x || !sur.U) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        gn__analyse_encode(sp, d->x + rows[i] * dim, X + i * D);
        y[i] = d->y[rows[i] * d->m + j];
    }
    gn_gp_options_default(&go);
    go.seed = a->c->rec.seed ^ (0x616e616c79736531ULL + j);
    if ((st = gn_gp_new(D, &go, &gp, err)) != GN_OK || (st = gn_gp_fit(gp, X, y, n, err)) != GN_OK) {
        gn_err_prefix(err, "analyse: objective '%s'", sp->objectives[j].name);
        goto out;
    }
    o->model_ok = 1;
    o->n_train = n;
    gn_gp_hyper(gp, ls, &o->outputscale, &o->noise, NULL);
    ard_importance(sp, ls, o->lengthscale, o->ard);

    sur.c = a->c;
    sur.gp = gp;
    sur.dim = dim;
    sur.D = D;
    st = gn__sobol_indices(surrogate_eval, &sur, dim, sobol_base(dim), a->c->rec.seed + j, &o->sobol, err);
    if (st == GN_ERR_LIMIT) {
        /* too many inputs for the quasi-random tables: rank by lengthscales */
        gn_err_clear(err);
        st = GN_OK;
    } else if (st != GN_OK) {
        goto out;
    } else {
        o->sobol_ok = 1;
    }
    if (!rank_by(o->sobol_ok ? o->sobol.st : o->ard, dim, o->rank)) {
        st = gn_err_nomem(err);
        goto out;
    }

    /* partial dependence around the best experiment, or the best complete one */
    if (o->has_best) {
        o->pd_row = o->best_row;
    } else {
        double s = sp->objectives[j].maximize ? 1.0 : -1.0, b = -INFINITY;
        for (i = 0; i < n; i++)
            if (s * y[i] > b) {
                b = s * y[i];
                o->pd_row = rows[i];
            }
    }
    st = partial_dependence(a, j, gp, err);
    if (st == GN_OK && o->has_best)
        st = stopping(a, j, gp, err);
out:
    gn_gp_free(gp);
    gn_free(rows);
    gn_free(X);
    gn_free(y);
    gn_free(ls);
    gn_free(sur.x);
    gn_free(sur.U);
    return st;
}
