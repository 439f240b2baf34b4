/*
 * analyse/data.c - reading a campaign's experiments for the analyst, and
 * the GP's encoding of parameters.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyse/analyse.h"
#include "core/alloc.h"

/* ---- the encoding (the bo planner's; see analyse.h) ------------------------------- */

size_t gn__analyse_encoded_dim(const gn_spec *spec)
{
    size_t i, D = 0;
    for (i = 0; i < spec->n_params; i++)
        D += spec->params[i].type == GN_PARAM_CHOICE ? spec->params[i].n_choices : 1;
    return D;
}

void gn__analyse_encode(const gn_spec *spec, const double *x, double *u)
{
    size_t i, k, col = 0;
    for (i = 0; i < spec->n_params; i++) {
        const gn_param *p = &spec->params[i];
        double a, b, v;
        if (p->type == GN_PARAM_CHOICE) {
            for (k = 0; k < p->n_choices; k++)
                u[col + k] = (x[i] >= (double)k && x[i] < (double)k + 1.0) ? 1.0 : 0.0;
            col += p->n_choices;
            continue;
        }
        a = p->log_scale ? log(p->low) : p->low;
        b = p->log_scale ? log(p->high) : p->high;
        v = p->log_scale ? log(x[i]) : x[i];
        v = b > a ? (v - a) / (b - a) : 0.5;
        u[col++] = !(v >= 0.0) ? 0.0 : v > 1.0 ? 1.0 : v;
    }
}

void gn__analyse_value_text(const gn_campaign *c, size_t param, double v, char *buf, size_t size)
{
    const gn_param *p = &c->spec->params[param];
    if (p->type == GN_PARAM_CHOICE) {
        size_t k = v >= 0 && v < (double)p->n_choices ? (size_t)v : 0;
        snprintf(buf, size, "%s", p->choices[k]);
    } else if (p->type == GN_PARAM_INT) {
        snprintf(buf, size, "%.0f", v);
    } else {
        snprintf(buf, size, "%.4g", v);
    }
}

/* ---- the experiments ----------------------------------------------------------------- */

static double number_or_nan(json_t *v)
{
    return json_is_number(v) && isfinite(json_number_value(v)) ? json_number_value(v) : NAN;
}

/* Counts one attempt on `host`. */
static int host_add(gn__adata *d, const char *host)
{
    size_t i;
    char **h;
    long *n;
    if (!host || !*host)
        host = "(unknown)";
    for (i = 0; i < d->n_hosts; i++)
        if (!strcmp(d->hosts[i], host)) {
            d->host_attempts[i]++;
            return 1;
        }
    h = gn_reallocarray(d->hosts, d->n_hosts + 1, sizeof *h);
    if (!h)
        return 0;
    d->hosts = h;
    n = gn_reallocarray(d->host_attempts, d->n_hosts + 1, sizeof *n);
    if (!n)
        return 0;
    d->host_attempts = n;
    if (!(d->hosts[d->n_hosts] = gn_strdup(host)))
        return 0;
    d->host_attempts[d->n_hosts++] = 1;
    return 1;
}

/* The distinct failure reasons of an experiment, "a; b" (new string), or
 * NULL with *nomem set when out of memory. */
static char *failure_reasons(const gn_experiment_rec *e, const gn_attempt_rec *atts, size_t n, int *nomem)
{
    const char *seen[GN_ANALYSE_MAX_REASONS + 1];
    size_t k = 0, i, j;
    char *s = NULL;

    for (i = 0; i < n; i++) {
        const char *r = atts[i].reason;
        if (!r || !*r || k == GN_ANALYSE_MAX_REASONS)
            continue;
        for (j = 0; j < k && strcmp(seen[j], r); j++)
            ;
        if (j == k)
            seen[k++] = r;
    }
    if (e->reason && *e->reason && k < GN_ANALYSE_MAX_REASONS + 1)
        seen[k++] = e->reason;
    if (k == 0)
        s = gn_strdup(e->status == GN_EXP_ABANDONED ? "abandoned (no reason given)" : "no reason recorded");
    for (i = 0; i < k; i++) {
        char *t = s ? gn_asprintf("%s; %s", s, seen[i]) : gn_strdup(seen[i]);
        gn_free(s);
        s = t;
        if (!s)
            break;
    }
    if (!s)
        *nomem = 1;
    return s;
}

void gn__adata_destroy(gn__adata *d)
{
    size_t i;
    if (d->reasons)
        for (i = 0; i < d->n; i++)
            gn_free(d->reasons[i]);
    for (i = 0; i < d->n_hosts; i++)
        gn_free(d->hosts[i]);
    gn_free(d->number);
    gn_free(d->status);
    gn_free(d->attempts);
    gn_free(d->has_x);
    gn_free(d->x);
    gn_free(d->y);
    gn_free(d->cv);
    gn_free(d->complete);
    gn_free(d->feasible);
    gn_free(d->pmean);
    gn_free(d->psd);
    gn_free(d->reasons);
    gn_free(d->hosts);
    gn_free(d->host_attempts);
    memset(d, 0, sizeof *d);
}

/* Reads one experiment's outcome and prediction into row r. */
static void read_row(const gn_campaign *c, const gn_experiment_rec *e, gn__adata *d, size_t r)
{
    const gn_spec *sp = c->spec;
    json_error_t jerr;
    json_t *o = e->outcome ? json_loads(e->outcome, 0, &jerr) : NULL;
    json_t *p = e->prediction ? json_loads(e->prediction, 0, &jerr) : NULL;
    size_t j;
    int all = 1, ok = 1;

    for (j = 0; j < d->m; j++) {
        json_t *pj = json_object_get(p, sp->objectives[j].name);
        d->y[r * d->m + j] = e->status == GN_EXP_COMPLETED ? number_or_nan(json_object_get(o, sp->objectives[j].name))
                                                          : NAN;
        d->pmean[r * d->m + j] = number_or_nan(json_object_get(pj, "mean"));
        d->psd[r * d->m + j] = number_or_nan(json_object_get(pj, "sd"));
        all &= isfinite(d->y[r * d->m + j]) != 0;
    }
    for (j = 0; j < d->q; j++) {
        const gn_outcome_constraint *oc = &sp->outcome_constraints[j];
        double v = e->status == GN_EXP_COMPLETED ? number_or_nan(json_object_get(o, oc->name)) : NAN;
        d->cv[r * d->q + j] = v;
        if (!isfinite(v) || (oc->has_min && v < oc->min) || (oc->has_max && v > oc->max))
            ok = 0;
    }
    d->complete[r] = e->status == GN_EXP_COMPLETED && all && d->has_x[r];
    d->feasible[r] = d->complete[r] && ok;
    json_decref(o);
    json_decref(p);
}

gn_status gn__adata_read(gn_campaign *c, gn__adata *d, gn_err *err)
{
    gn_experiment_rec *exps = NULL;
    gn_attempt_rec *atts = NULL;
    size_t n = 0, na = 0, i, k, dim, m, q;
    gn_status st;

    memset(d, 0, sizeof *d);
    dim = d->dim = c->spec->n_params;
    m = d->m = c->spec->n_objectives;
    q = d->q = c->spec->n_outcome_constraints;
    st = gn_store_experiment_list(c->db->store, c->rec.id, NULL, &exps, &n, err);
    if (st != GN_OK)
        return st;
    d->n = n;
    d->number = gn_calloc(n + 1, sizeof *d->number);
    d->status = gn_calloc(n + 1, sizeof *d->status);
    d->attempts = gn_calloc(n + 1, sizeof *d->attempts);
    d->has_x = gn_calloc(n + 1, 1);
    d->x = gn_calloc((n + 1) * (dim ? dim : 1), sizeof *d->x);
    d->y = gn_calloc((n + 1) * m, sizeof *d->y);
    d->cv = gn_calloc((n + 1) * (q ? q : 1), sizeof *d->cv);
    d->complete = gn_calloc(n + 1, 1);
    d->feasible = gn_calloc(n + 1, 1);
    d->pmean = gn_calloc((n + 1) * m, sizeof *d->pmean);
    d->psd = gn_calloc((n + 1) * m, sizeof *d->psd);
    d->reasons = gn_calloc(n + 1, sizeof *d->reasons);
    if (!d->number || !d->status || !d->attempts || !d->has_x || !d->x || !d->y || !d->cv || !d->complete ||
        !d->feasible || !d->pmean || !d->psd || !d->reasons) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        const gn_experiment_rec *e = &exps[i];
        int nomem = 0;
        d->number[i] = e->number;
        d->status[i] = e->status;
        d->attempts[i] = e->attempts;
        /* a point that no longer parses (a spec edited by hand) is left out of the model */
        d->has_x[i] = gn__campaign_point(c, e, d->x + i * dim, NULL) == GN_OK;
        if (!d->has_x[i])
            memset(d->x + i * dim, 0, dim * sizeof *d->x);
        read_row(c, e, d, i);
        st = gn_store_attempt_list(c->db->store, e->id, &atts, &na, err);
        if (st != GN_OK)
            goto out;
        for (k = 0; k < na; k++)
            if (!host_add(d, atts[k].host))
                nomem = 1;
        d->n_attempts += (long)na;
        if (e->status == GN_EXP_FAILED || e->status == GN_EXP_ABANDONED)
            d->reasons[i] = failure_reasons(e, atts, na, &nomem);
        gn_attempt_rec_array_free(atts, na);
        atts = NULL;
        na = 0;
        if (nomem) {
            st = gn_err_nomem(err);
            goto out;
        }
    }
out:
    gn_experiment_rec_array_free(exps, n);
    return st;
}
