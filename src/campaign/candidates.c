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

/* Reads cell `text` of parameter p into *v, or explains why not. */
static gn_status read_cell(const gn_param *p, const char *text, const char *file, long long row,
                           gn_err *err, double *v)
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
                          file, row, p->name, text, p->name);
    }
    errno = 0;
    *v = strtod(text, &end);
    if (end == text || *end || errno == ERANGE || !isfinite(*v))
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': '%.64s' is not a finite number", file,
                          row, p->name, text);
    if (p->type == GN_PARAM_INT && *v != floor(*v))
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': %g is not a whole number", file, row,
                          p->name, *v);
    if (*v < p->low || *v > p->high)
        return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': %g is outside [%g, %g]", file, row,
                          p->name, *v, p->low, p->high);
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
            st = read_cell(&spec->params[i], gn_csv_field(csv, col[i], NULL), path, row, err, &X[n * d + i]);
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
    if ((long)n < spec->budget.experiments) {
        st = gn_err_set(err, GN_ERR_SPEC,
                        "budget.experiments (%ld) is larger than the %zu candidates in %s: every "
                        "candidate is run at most once",
                        spec->budget.experiments, n, path);
        goto out;
    }
    st = gn_planner_set_candidates(c->planner, X, n, err);
out:
    gn_csv_free(csv);
    gn_free(X);
    gn_free(col);
    gn_free(path);
    return st;
}
