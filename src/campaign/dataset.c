/*
 * campaign/dataset.c - campaigns on stored datasets: a candidate pool
 * (`candidates: {dataset: ...}`), the lookup runner (`runner: {lookup:
 * ...}`) and a warm start (`prior: {dataset: ...}`).
 *
 * Each reads its dataset whole from the campaign's store when the campaign
 * is created or opened (a pool campaign's data is small: at most
 * GN_POOL_MAX_ROWS rows). Parameter cells are read as in a candidates CSV
 * (bounds, whole numbers, choice values by label); a numeric cell is read
 * through its shortest round-trip text, so a choice "2" matches the
 * number 2.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "data/dataset.h"

#define GN_POOL_MAX_ROWS 1000000L

/* A stored dataset read whole into memory. */
typedef struct dtable {
    gn_dataset_rec rec;
    char where[200];    /* "dataset 'name' version V", for messages */
    gn_table_col *cols;
    size_t n_cols, n_rows, cap;
    double *num;        /* n_rows x n_cols; NAN where categorical */
    char **text;        /* n_rows x n_cols; NULL where numeric */
} dtable;

struct gn__lookup {
    char where[200];
    size_t d;           /* parameters */
    size_t n;           /* distinct points */
    double *X;          /* n x d, sorted (point_cmp) */
    size_t n_out;
    char **out_names;   /* the outcome columns */
    double *Y;          /* n x n_out: means of finite values, NAN when none */
};

static void dtable_destroy(dtable *t)
{
    size_t i;
    if (t->text)
        for (i = 0; i < t->n_rows * t->n_cols; i++)
            gn_free(t->text[i]);
    gn_free(t->text);
    gn_free(t->num);
    gn_table_cols_free(t->cols, t->n_cols);
    gn_dataset_rec_free(&t->rec);
    memset(t, 0, sizeof *t);
}

static gn_status dtable_sink(void *ctx, const gn_table_chunk *k, int64_t first_row, gn_err *err)
{
    dtable *t = ctx;
    size_t r, j, nc = t->n_cols;
    (void)first_row;

    if (t->n_rows + k->n_rows > (size_t)GN_POOL_MAX_ROWS)
        return gn_err_set(err, GN_ERR_LIMIT, "%s has more than %ld rows, too many for a campaign",
                          t->where, GN_POOL_MAX_ROWS);
    if (t->n_rows + k->n_rows > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        double *num;
        char **text;
        while (cap < t->n_rows + k->n_rows)
            cap *= 2;
        num = gn_reallocarray(t->num, cap * (nc ? nc : 1), sizeof *num);
        if (!num)
            return gn_err_nomem(err);
        t->num = num;
        text = gn_reallocarray(t->text, cap * (nc ? nc : 1), sizeof *text);
        if (!text)
            return gn_err_nomem(err);
        t->text = text;
        t->cap = cap;
    }
    for (r = 0; r < k->n_rows; r++) {
        size_t row = t->n_rows;
        for (j = 0; j < nc; j++) {
            t->num[row * nc + j] = NAN;
            t->text[row * nc + j] = NULL;
        }
        t->n_rows++; /* counted first: destroy frees what is set */
        for (j = 0; j < nc; j++) {
            if (t->cols[j].type == GN_COL_NUMERIC) {
                t->num[row * nc + j] = k->num[j][r];
            } else {
                t->text[row * nc + j] = gn_strdup(k->text[j][r] ? k->text[j][r] : "");
                if (!t->text[row * nc + j])
                    return gn_err_nomem(err);
            }
        }
    }
    return GN_OK;
}

/* Reads dataset `name` (version 0: the latest) of c's store into t.
 * `what` says what the spec uses it for, in the not-found message. */
static gn_status dtable_load(gn_campaign *c, const char *name, int64_t version, const char *what,
                             dtable *t, gn_err *err)
{
    gn_status st;

    memset(t, 0, sizeof *t);
    st = gn_store_dataset_get(c->db->store, name, version, &t->rec, err);
    if (st == GN_ERR_NOT_FOUND) {
        gn_err_clear(err);
        if (version)
            return gn_err_set(err, GN_ERR_NOT_FOUND,
                              "%s: there is no dataset '%s' version %lld in %s (see `genesis data "
                              "list`)",
                              what, name, (long long)version, c->db->path);
        return gn_err_set(err, GN_ERR_NOT_FOUND,
                          "%s: there is no dataset '%s' in %s; import it first with `genesis data "
                          "add FILE --name %s`",
                          what, name, c->db->path, name);
    }
    if (st != GN_OK)
        return st;
    snprintf(t->where, sizeof t->where, "dataset '%s' version %lld", name,
             (long long)t->rec.version);
    if (c->n_used < sizeof c->used / sizeof c->used[0]) {
        struct gn__used_dataset *u = &c->used[c->n_used++];
        snprintf(u->role, sizeof u->role, "%s", what);
        snprintf(u->name, sizeof u->name, "%s", name);
        u->version = t->rec.version;
        u->rows = t->rec.n_rows;
        snprintf(u->hash, sizeof u->hash, "%s", t->rec.content_hash ? t->rec.content_hash : "");
    }
    st = gn_table_cols_parse(t->rec.columns, &t->cols, &t->n_cols, err);
    if (st == GN_OK)
        st = gn_data_read(c->db->store, &t->rec, t->cols, t->n_cols, dtable_sink, t, err);
    if (st != GN_OK)
        dtable_destroy(t);
    return st;
}

static long dtable_col(const dtable *t, const char *name)
{
    size_t j;
    for (j = 0; j < t->n_cols; j++)
        if (!strcmp(t->cols[j].name, name))
            return (long)j;
    return -1;
}

/* The column holding spec name `name` (prior: through the spec's
 * `columns` map), or an error naming the column that is missing. */
static gn_status find_col(const dtable *t, const char *name, const char *column, const char *what,
                          size_t *out, gn_err *err)
{
    long j = dtable_col(t, column);
    char list[512];
    size_t i, o = 0;

    if (j >= 0) {
        *out = (size_t)j;
        return GN_OK;
    }
    list[0] = '\0';
    for (i = 0; i < t->n_cols && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", t->cols[i].name);
    if (strcmp(name, column) != 0)
        return gn_err_set(err, GN_ERR_DATA, "%s: %s has no column '%s' (for '%s'); its columns are: %s",
                          what, t->where, column, name, list);
    return gn_err_set(err, GN_ERR_DATA, "%s: %s has no column '%s' (needed for '%s'); its columns are: %s",
                      what, t->where, column, name, list);
}

/* Cell (row, col) of t as a value of parameter p. */
static gn_status param_cell(const dtable *t, size_t row, size_t col, const gn_param *p, gn_err *err,
                            double *v)
{
    char buf[40];
    const char *text = t->text[row * t->n_cols + col];
    if (!text) {
        double x = t->num[row * t->n_cols + col];
        if (!isfinite(x))
            return gn_err_set(err, GN_ERR_DATA, "%s: row %zu, column '%s': not a finite number",
                              t->where, row + 1, t->cols[col].name);
        gn_num_format_short(x, buf, sizeof buf);
        text = buf;
    }
    return gn__campaign_read_cell(p, text, t->where, (long long)row + 1, t->cols[col].name, err, v);
}

/* The columns of the spec's parameters (names mapped through `prior:`
 * columns when map is set). */
static gn_status param_cols(const gn_spec *spec, const dtable *t, int map, const char *what,
                            size_t *col, gn_err *err)
{
    size_t i, k;
    gn_status st = GN_OK;
    for (i = 0; i < spec->n_params && st == GN_OK; i++) {
        const char *column = spec->params[i].name;
        for (k = 0; map && k < spec->n_prior_map; k++)
            if (!strcmp(spec->prior_names[k], column))
                column = spec->prior_cols[k];
        st = find_col(t, spec->params[i].name, column, what, &col[i], err);
    }
    return st;
}

gn_status gn__campaign_load_dataset_pool(gn_campaign *c, gn_err *err)
{
    const gn_spec *spec = c->spec;
    size_t d = spec->n_params, r, i;
    size_t *col = NULL;
    double *X = NULL;
    dtable t;
    gn_status st;

    if (!spec->candidates_dataset)
        return GN_OK;
    st = dtable_load(c, spec->candidates_dataset, spec->candidates_version, "candidates", &t, err);
    if (st != GN_OK)
        return st;
    col = gn_calloc(d ? d : 1, sizeof *col);
    X = gn_calloc((t.n_rows ? t.n_rows : 1) * (d ? d : 1), sizeof *X);
    if (!col || !X) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = param_cols(spec, &t, 0, "candidates", col, err);
    if (st != GN_OK)
        goto out;
    if (t.n_rows == 0) {
        st = gn_err_set(err, GN_ERR_DATA, "candidates: %s has no rows", t.where);
        goto out;
    }
    for (r = 0; r < t.n_rows; r++) {
        for (i = 0; i < d; i++) {
            st = param_cell(&t, r, col[i], &spec->params[i], err, &X[r * d + i]);
            if (st != GN_OK)
                goto out;
        }
        if (!gn_space_feasible(&c->space, X + r * d)) {
            st = gn_err_set(err, GN_ERR_DATA, "%s: row %zu violates a linear constraint of the spec",
                            t.where, r + 1);
            goto out;
        }
    }
    st = gn__campaign_set_pool(c, X, t.n_rows, t.where, err);
out:
    gn_free(X);
    gn_free(col);
    dtable_destroy(&t);
    return st;
}

/* ---- the lookup runner ------------------------------------------------------------------ */

void gn__lookup_free(gn__lookup *l)
{
    size_t j;
    if (!l)
        return;
    for (j = 0; j < l->n_out; j++)
        gn_free(l->out_names[j]);
    gn_free(l->out_names);
    gn_free(l->X);
    gn_free(l->Y);
    gn_free(l);
}

/* qsort has no context argument: the points and their dimension for
 * cmp_index. Campaigns are created and opened from one thread at a time. */
static size_t sort_dim;
static const double *sort_X;

static int cmp_points(const double *a, const double *b, size_t d)
{
    size_t i;
    for (i = 0; i < d; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int cmp_index(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int r = cmp_points(sort_X + i * sort_dim, sort_X + j * sort_dim, sort_dim);
    return r ? r : (i < j ? -1 : i > j);
}

gn_status gn__campaign_load_lookup(gn_campaign *c, gn_err *err)
{
    const gn_spec *spec = c->spec;
    size_t d = spec->n_params, r, i, j, k, m, n_ok = 0;
    size_t *col = NULL, *outcol = NULL, *idx = NULL, *count = NULL;
    unsigned char *is_param = NULL;
    double *X = NULL;
    gn__lookup *l = NULL;
    gn_err ignore;
    dtable t;
    gn_status st;

    if (spec->runner.kind != GN_RUNNER_LOOKUP)
        return GN_OK;
    st = dtable_load(c, spec->runner.lookup, spec->runner.lookup_version, "runner.lookup", &t, err);
    if (st != GN_OK)
        return st;
    memset(&ignore, 0, sizeof ignore);
    l = gn_calloc(1, sizeof *l);
    col = gn_calloc(d ? d : 1, sizeof *col);
    is_param = gn_calloc(t.n_cols ? t.n_cols : 1, 1);
    outcol = gn_calloc(t.n_cols ? t.n_cols : 1, sizeof *outcol);
    X = gn_calloc((t.n_rows ? t.n_rows : 1) * (d ? d : 1), sizeof *X);
    idx = gn_calloc(t.n_rows ? t.n_rows : 1, sizeof *idx);
    if (!l || !col || !is_param || !outcol || !X || !idx) {
        st = gn_err_nomem(err);
        goto out;
    }
    snprintf(l->where, sizeof l->where, "%s", t.where);
    l->d = d;
    st = param_cols(spec, &t, 0, "runner.lookup", col, err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < d; i++)
        is_param[col[i]] = 1;
    /* the outcome: every numeric column that is not a parameter */
    for (j = 0; j < t.n_cols; j++)
        if (!is_param[j] && t.cols[j].type == GN_COL_NUMERIC)
            outcol[l->n_out++] = j;
    l->out_names = gn_calloc(l->n_out ? l->n_out : 1, sizeof *l->out_names);
    if (!l->out_names) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (j = 0; j < l->n_out; j++)
        if (!(l->out_names[j] = gn_strdup(t.cols[outcol[j]].name))) {
            st = gn_err_nomem(err);
            goto out;
        }
    for (k = 0; k < spec->n_objectives + spec->n_outcome_constraints; k++) {
        const char *name = k < spec->n_objectives ? spec->objectives[k].name
                                                  : spec->outcome_constraints[k - spec->n_objectives].name;
        char list[512];
        size_t o = 0;
        for (j = 0; j < l->n_out; j++)
            if (!strcmp(l->out_names[j], name))
                break;
        if (j < l->n_out)
            continue;
        list[0] = '\0';
        for (j = 0; j < l->n_out && o < sizeof list; j++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", l->out_names[j]);
        st = gn_err_set(err, GN_ERR_SPEC,
                        "runner.lookup: %s '%s' is not a measured column of %s (its numeric columns "
                        "that are not parameters: %s)",
                        k < spec->n_objectives ? "objective" : "outcome constraint", name, t.where,
                        l->n_out ? list : "none");
        goto out;
    }
    /* rows whose parameter cells are not a valid point can never match a
     * proposal: they are left out */
    for (r = 0; r < t.n_rows; r++) {
        for (i = 0; i < d; i++)
            if (param_cell(&t, r, col[i], &spec->params[i], &ignore, &X[r * d + i]) != GN_OK)
                break;
        if (i == d)
            idx[n_ok++] = r;
    }
    sort_X = X;
    sort_dim = d;
    qsort(idx, n_ok, sizeof *idx, cmp_index);
    m = l->n_out;
    l->X = gn_calloc((n_ok ? n_ok : 1) * (d ? d : 1), sizeof *l->X);
    l->Y = gn_calloc((n_ok ? n_ok : 1) * (m ? m : 1), sizeof *l->Y);
    count = gn_calloc((n_ok ? n_ok : 1) * (m ? m : 1), sizeof *count);
    if (!l->X || !l->Y || !count) {
        st = gn_err_nomem(err);
        goto out;
    }
    /* replicated rows (equal parameter values): the mean of each outcome
     * over the rows where it is a finite number */
    for (k = 0; k < n_ok; k++) {
        const double *x = X + idx[k] * d;
        if (l->n == 0 || cmp_points(l->X + (l->n - 1) * d, x, d) != 0) {
            memcpy(l->X + l->n * d, x, d * sizeof *x);
            l->n++;
        }
        for (j = 0; j < m; j++) {
            double v = t.num[idx[k] * t.n_cols + outcol[j]];
            if (isfinite(v)) {
                l->Y[(l->n - 1) * m + j] += v;
                count[(l->n - 1) * m + j]++;
            }
        }
    }
    for (k = 0; k < l->n * m; k++)
        l->Y[k] = count[k] ? l->Y[k] / (double)count[k] : NAN;
    c->lookup = l;
    l = NULL;
out:
    gn__lookup_free(l);
    gn_free(count);
    gn_free(idx);
    gn_free(X);
    gn_free(outcol);
    gn_free(is_param);
    gn_free(col);
    dtable_destroy(&t);
    return st;
}

/* Runs on worker threads: plain C, reads l only. */
int gn__lookup_run(void *ctx, const gn_runner_input *in, gn_runner_output *out)
{
    const gn__lookup *l = ctx;
    size_t lo = 0, hi = l->n, j, o;
    char why[1024];

    if (in->n_params != l->d) {
        gn_runner_output_fail(out, "lookup: the point has the wrong number of parameters");
        return 1;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_points(l->X + mid * l->d, in->values, l->d);
        if (r == 0) {
            for (j = 0; j < l->n_out; j++)
                if (isfinite(l->Y[mid * l->n_out + j]) &&
                    gn_runner_output_set(out, l->out_names[j], l->Y[mid * l->n_out + j]) != GN_OK)
                    return 1;
            return 0;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    o = (size_t)snprintf(why, sizeof why, "lookup: no row of %s has these parameter values:",
                         l->where);
    for (j = 0; j < l->d && o < sizeof why; j++) {
        if (in->labels && in->labels[j])
            o += (size_t)snprintf(why + o, sizeof why - o, " %s=%s", in->names[j], in->labels[j]);
        else
            o += (size_t)snprintf(why + o, sizeof why - o, " %s=%.17g", in->names[j], in->values[j]);
    }
    gn_runner_output_fail(out, why);
    return 1;
}

/* ---- warm start ---------------------------------------------------------------------------- */

gn_status gn__campaign_load_prior(gn_campaign *c, gn_err *err)
{
    const gn_spec *spec = c->spec;
    size_t d = spec->n_params, m = spec->n_objectives, q = spec->n_outcome_constraints;
    size_t r, i, k, n = 0;
    size_t *col = NULL, *ycol = NULL;
    double *X = NULL, *Y = NULL, *C = NULL;
    gn_observation *obs = NULL;
    dtable t;
    gn_status st;

    if (!spec->prior_dataset)
        return GN_OK;
    st = dtable_load(c, spec->prior_dataset, spec->prior_version, "prior", &t, err);
    if (st != GN_OK)
        return st;
    col = gn_calloc(d ? d : 1, sizeof *col);
    ycol = gn_calloc(m + q ? m + q : 1, sizeof *ycol);
    X = gn_calloc((t.n_rows ? t.n_rows : 1) * (d ? d : 1), sizeof *X);
    Y = gn_calloc((t.n_rows ? t.n_rows : 1) * (m ? m : 1), sizeof *Y);
    C = gn_calloc((t.n_rows ? t.n_rows : 1) * (q ? q : 1), sizeof *C);
    obs = gn_calloc(t.n_rows ? t.n_rows : 1, sizeof *obs);
    if (!col || !ycol || !X || !Y || !C || !obs) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = param_cols(spec, &t, 1, "prior", col, err);
    for (k = 0; k < m + q && st == GN_OK; k++) {
        const char *name = k < m ? spec->objectives[k].name : spec->outcome_constraints[k - m].name;
        const char *column = name;
        for (i = 0; i < spec->n_prior_map; i++)
            if (!strcmp(spec->prior_names[i], name))
                column = spec->prior_cols[i];
        st = find_col(&t, name, column, "prior", &ycol[k], err);
        if (st == GN_OK && t.cols[ycol[k]].type != GN_COL_NUMERIC)
            st = gn_err_set(err, GN_ERR_DATA, "prior: column '%s' of %s is not numeric", column,
                            t.where);
    }
    if (st != GN_OK)
        goto out;
    /* every row must be a valid point; a row with a missing (non-finite)
     * outcome is told as a failed experiment */
    for (r = 0; r < t.n_rows; r++) {
        int ok = 1;
        for (i = 0; i < d; i++) {
            st = param_cell(&t, r, col[i], &spec->params[i], err, &X[n * d + i]);
            if (st != GN_OK)
                goto out;
        }
        for (k = 0; k < m + q; k++) {
            double v = t.num[r * t.n_cols + ycol[k]];
            if (!isfinite(v))
                ok = 0;
            if (k < m)
                Y[n * m + k] = v;
            else
                C[n * q + (k - m)] = v;
        }
        obs[n].x = X + n * d;
        obs[n].status = ok ? GN_OBS_COMPLETED : GN_OBS_FAILED;
        obs[n].y = ok ? Y + n * m : NULL;
        obs[n].c = ok && q ? C + n * q : NULL;
        n++;
    }
    if (n)
        st = gn_planner_tell(c->planner, obs, n, err);
    if (st == GN_OK)
        c->n_prior = n;
out:
    gn_free(obs);
    gn_free(C);
    gn_free(Y);
    gn_free(X);
    gn_free(ycol);
    gn_free(col);
    dtable_destroy(&t);
    return st;
}
