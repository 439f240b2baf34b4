/*
 * campaign/candidates.c - a spec's `candidates:` pool, read from CSV.
 *
 * The file's header names the parameters (every parameter must have a
 * column; other columns, such as measured outcomes, are ignored). Each row
 * is one candidate point and must be valid: numbers in bounds, whole
 * numbers for ints, one of the values for choices, every linear
 * constraint satisfied. The first bad cell stops the load with its row
 * and column; nothing is changed in the store.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "data/csv.h"

#define GN_CANDIDATES_MAX 1000000L

/* The path of the candidates file: absolute, or relative to the spec's folder. */
static char *candidates_path(const gn_spec *spec)
{
    if (spec->candidates[0] == '/' || !spec->base_dir)
        return gn_strdup(spec->candidates);
    return gn_asprintf("%s/%s", spec->base_dir, spec->candidates);
}

gn_status gn__campaign_read_cell(const gn_param *p, const char *text, const char *file,
                                 long long row, const char *colname, gn_err *err, double *v)
{
    char *end;
    size_t k;

    if (p->type == GN_PARAM_CHOICE) {
        for (k = 0; k < p->n_choices; k++)
            if (!strcmp(text, p->choices[k])) {
                *v = (double)k;
                return GN_OK;
            }
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': '%.64s' is not one of the values of '%s'",
                          file, row, colname, text, p->name);
    }
    errno = 0;
    *v = strtod(text, &end);
    if (end == text || *end || errno == ERANGE || !isfinite(*v))
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': '%.64s' is not a finite number", file,
                          row, colname, text);
    if (p->type == GN_PARAM_INT && *v != floor(*v))
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': %g is not a whole number", file, row,
                          colname, *v);
    if (*v < p->low || *v > p->high)
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': %g is outside [%g, %g]", file, row,
                          colname, *v, p->low, p->high);
    return GN_OK;
}

gn_status gn__campaign_load_candidates(gn_campaign *c, gn_err *err)
{
    const gn_spec *spec = c->spec;
    size_t d = spec->n_params, n_fields, i, n = 0, cap = 0;
    size_t *col = NULL;
    double *X = NULL;
    char *path = NULL;
    gn_csv *csv = NULL;
    gn_status st;

    path = candidates_path(spec);
    col = gn_calloc(d ? d : 1, sizeof *col);
    if (!path || !col) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = gn_csv_open_file(path, 0, &csv, err);
    if (st != GN_OK)
        goto out;
    st = gn_csv_next(csv, &n_fields, err);
    if (st != GN_OK)
        goto out;
    if (n_fields == 0) {
        st = gn_err_set(err, GN_ERR_DATA, "%s: the candidates file is empty", path);
        goto out;
    }
    /* the header: a column for every parameter */
    for (i = 0; i < d; i++) {
        size_t f;
        col[i] = (size_t)-1;
        for (f = 0; f < n_fields; f++)
            if (!strcmp(gn_csv_field(csv, f, NULL), spec->params[i].name))
                col[i] = f;
        if (col[i] == (size_t)-1) {
            st = gn_err_set(err, GN_ERR_DATA,
                            "%s: row 1 (the header) has no column '%s'; the header must name every "
                            "parameter",
                            path, spec->params[i].name);
            goto out;
        }
    }
    for (;;) {
        long long row;
        st = gn_csv_next(csv, &n_fields, err);
        if (st != GN_OK)
            goto out;
        if (n_fields == 0)
            break;
        row = (long long)gn_csv_row(csv);
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            double *p;
            if ((long)n >= GN_CANDIDATES_MAX) {
                st = gn_err_set(err, GN_ERR_LIMIT, "%s: more than %ld candidates", path, GN_CANDIDATES_MAX);
                goto out;
            }
            p = gn_reallocarray(X, nc * (d ? d : 1), sizeof *X);
            if (!p) {
                st = gn_err_nomem(err);
                goto out;
            }
            X = p;
            cap = nc;
        }
        for (i = 0; i < d; i++) {
            if (col[i] >= n_fields) {
                st = gn_err_set(err, GN_ERR_DATA, "%s: row %lld has %zu fields; column '%s' is missing", path,
                                row, n_fields, spec->params[i].name);
                goto out;
            }
            st = gn__campaign_read_cell(&spec->params[i], gn_csv_field(csv, col[i], NULL), path, row,
                                        spec->params[i].name, err, &X[n * d + i]);
            if (st != GN_OK)
                goto out;
        }
        if (!gn_space_feasible(&c->space, X + n * d)) {
            st = gn_err_set(err, GN_ERR_DATA, "%s: row %lld violates a linear constraint of the spec", path,
                            row);
            goto out;
        }
        n++;
    }
    if (n == 0) {
        st = gn_err_set(err, GN_ERR_DATA, "%s: no candidate rows below the header", path);
        goto out;
    }
    st = gn__campaign_set_pool(c, X, n, path, err);
out:
    gn_csv_free(csv);
    gn_free(X);
    gn_free(col);
    gn_free(path);
    return st;
}

/* qsort has no context argument: the points and their dimension for
 * index_cmp. Campaigns are created from one thread at a time. */
static const double *pool_X;
static size_t pool_dim;

static int point_cmp(const double *x, const double *y)
{
    size_t i;
    for (i = 0; i < pool_dim; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* By point, then by index (so the first of equal points comes first). */
static int index_cmp(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int r = point_cmp(pool_X + i * pool_dim, pool_X + j * pool_dim);
    return r ? r : (i < j ? -1 : i > j);
}

/* Keeps the first of each group of equal points, in their order. Returns
 * (size_t)-1 when out of memory. */
size_t gn__campaign_points_unique(double *X, size_t n, size_t d)
{
    size_t *idx, i, k = 0;
    unsigned char *drop;

    if (n < 2 || d == 0)
        return n < 2 ? n : 1;
    idx = gn_calloc(n, sizeof *idx);
    drop = gn_calloc(n, 1);
    if (!idx || !drop) {
        gn_free(idx);
        gn_free(drop);
        return (size_t)-1;
    }
    for (i = 0; i < n; i++)
        idx[i] = i;
    pool_X = X;
    pool_dim = d;
    qsort(idx, n, sizeof *idx, index_cmp);
    for (i = 1; i < n; i++)
        if (point_cmp(X + idx[i - 1] * d, X + idx[i] * d) == 0)
            drop[idx[i]] = 1;
    for (i = 0; i < n; i++) {
        if (drop[i])
            continue;
        if (k != i)
            memmove(X + k * d, X + i * d, d * sizeof *X);
        k++;
    }
    gn_free(idx);
    gn_free(drop);
    return k;
}

gn_status gn__campaign_set_pool(gn_campaign *c, double *X, size_t n, const char *where, gn_err *err)
{
    const gn_spec *spec = c->spec;
    size_t d = spec->n_params;

    n = gn__campaign_points_unique(X, n, d);
    if (n == (size_t)-1)
        return gn_err_nomem(err);
    if ((long)n < spec->budget.experiments)
        return gn_err_set(err, GN_ERR_SPEC,
                          "budget.experiments (%ld) is larger than the %zu distinct candidates in "
                          "%s: every candidate is run at most once",
                          spec->budget.experiments, n, where);
    return gn_planner_set_candidates(c->planner, X, n, err);
}
