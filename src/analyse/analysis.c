/*
 * analyse/analysis.c - the analysis of a campaign, and its JSON form;
 * the public entry points gn_campaign_analyse_json and gn_campaign_report.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse/analyse.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "genesis/analyse.h"
#include "genesis/genesis.h"

void gn__analysis_destroy(gn__analysis *a)
{
    size_t j, t;
    if (!a)
        return;
    if (a->obj)
        for (j = 0; j < a->data.m; j++) {
            gn__objective_analysis *o = &a->obj[j];
            gn_free(o->conv_row);
            gn_free(o->best_so_far);
            gn_free(o->random_expect);
            gn_free(o->lengthscale);
            gn_free(o->ard);
            gn_free(o->rank);
            gn_free(o->ei_x);
            gn__sobol_destroy(&o->sobol);
            for (t = 0; t < GN_ANALYSE_PD_TOP; t++) {
                gn_free(o->pd[t].x);
                gn_free(o->pd[t].mean);
                gn_free(o->pd[t].sd);
            }
        }
    gn_free(a->obj);
    gn_free(a->oc_ok);
    gn_free(a->oc_bad);
    gn_free(a->oc_missing);
    gn_free(a->db_path);
    gn__adata_destroy(&a->data);
    memset(a, 0, sizeof *a);
}

/* Best, range, convergence and calibration of objective j: everything
 * that needs no model. */
static gn_status objective_stats(gn__analysis *a, size_t j, gn_err *err)
{
    gn__objective_analysis *o = &a->obj[j];
    const gn__adata *d = &a->data;
    double s = a->c->spec->objectives[j].maximize ? 1.0 : -1.0, lo = INFINITY, hi = -INFINITY, run = -INFINITY;
    double *v = NULL, *ys = NULL, *ms = NULL, *ss = NULL;
    size_t i, nf = 0, k, nc = 0;
    gn_status st = GN_OK;

    o->conv_row = gn_calloc(d->n + 1, sizeof *o->conv_row);
    o->best_so_far = gn_calloc(d->n + 1, sizeof *o->best_so_far);
    o->random_expect = gn_calloc(d->n + 1, sizeof *o->random_expect);
    v = gn_calloc(d->n + 1, sizeof *v);
    ys = gn_calloc(d->n + 1, sizeof *ys);
    ms = gn_calloc(d->n + 1, sizeof *ms);
    ss = gn_calloc(d->n + 1, sizeof *ss);
    if (!o->conv_row || !o->best_so_far || !o->random_expect || !v || !ys || !ms || !ss) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0; i < d->n; i++) {
        double y = d->y[i * d->m + j];
        if (d->complete[i]) {
            lo = fmin(lo, y);
            hi = fmax(hi, y);
            ys[nc] = y;
            ms[nc] = d->pmean[i * d->m + j];
            ss[nc++] = d->psd[i * d->m + j];
        }
        if (d->feasible[i] && (!o->has_best || s * y > s * d->y[o->best_row * d->m + j])) {
            o->has_best = 1;
            o->best_row = i;
        }
        if (d->status[i] != GN_EXP_COMPLETED && d->status[i] != GN_EXP_FAILED)
            continue;
        if (d->feasible[i]) {
            run = fmax(run, s * y);
            v[nf++] = s * y;
        }
        o->conv_row[o->n_conv] = i;
        o->best_so_far[o->n_conv++] = isfinite(run) ? s * run : NAN;
    }
    o->range = hi > lo ? hi - lo : 0.0;
    for (k = 1; k <= o->n_conv; k++) {
        double e = gn__random_search_expect(v, nf, o->n_conv, k);
        o->random_expect[k - 1] = s * e;
    }
    gn__calibration(ys, ms, ss, nc, &o->calib);
out:
    gn_free(v);
    gn_free(ys);
    gn_free(ms);
    gn_free(ss);
    return st;
}

gn_status gn__analysis_run(gn_campaign *c, gn__analysis *a, gn_err *err)
{
    size_t j, i;
    double t0 = gn_time_mono();
    gn__adata *d = &a->data;
    gn_status st;

    memset(a, 0, sizeof *a);
    a->c = c;
    {
        char *abs = realpath(c->db->path, NULL);
        a->db_path = gn_strdup(abs ? abs : c->db->path);
        free(abs);
        if (!a->db_path)
            return gn_err_nomem(err);
    }
    st = gn__adata_read(c, d, err);
    if (st != GN_OK)
        return st;
    st = gn_store_campaign_counts(c->db->store, c->rec.id, &a->counts, err);
    if (st != GN_OK)
        return st;
    a->obj = gn_calloc(d->m, sizeof *a->obj);
    a->oc_ok = gn_calloc(d->q + 1, sizeof *a->oc_ok);
    a->oc_bad = gn_calloc(d->q + 1, sizeof *a->oc_bad);
    a->oc_missing = gn_calloc(d->q + 1, sizeof *a->oc_missing);
    if (!a->obj || !a->oc_ok || !a->oc_bad || !a->oc_missing)
        return gn_err_nomem(err);
    for (i = 0; i < d->n; i++) {
        if (d->status[i] != GN_EXP_COMPLETED)
            continue;
        if (!d->complete[i]) {
            a->n_incomplete_outcome++;
            continue;
        }
        a->n_complete++;
        a->n_feasible += d->feasible[i];
        for (j = 0; j < d->q; j++) {
            const gn_outcome_constraint *oc = &c->spec->outcome_constraints[j];
            double v = d->cv[i * d->q + j];
            if (!isfinite(v))
                a->oc_missing[j]++;
            else if ((oc->has_min && v < oc->min) || (oc->has_max && v > oc->max))
                a->oc_bad[j]++;
            else
                a->oc_ok[j]++;
        }
    }
    for (j = 0; j < d->m; j++) {
        if ((st = objective_stats(a, j, err)) != GN_OK)
            return st;
        if ((st = gn__analyse_model(a, j, err)) != GN_OK)
            return st;
    }
    a->seconds = gn_time_mono() - t0;
    return GN_OK;
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* The parameters of row r as a JSON object text values. */
static json_t *point_object(const gn__analysis *a, const double *x)
{
    json_t *o = json_object();
    size_t i;
    for (i = 0; o && i < a->data.dim; i++) {
        const gn_param *p = &a->c->spec->params[i];
        json_t *v = p->type == GN_PARAM_CHOICE ? json_string(p->choices[(size_t)x[i]])
                    : p->type == GN_PARAM_INT  ? json_integer((json_int_t)x[i])
                                               : num(x[i]);
        json_object_set_new(o, p->name, v);
    }
    return o;
}

static json_t *array_of(const double *v, size_t n)
{
    json_t *arr = json_array();
    size_t i;
    for (i = 0; arr && i < n; i++)
        json_array_append_new(arr, num(v[i]));
    return arr;
}

static json_t *calibration_object(const gn__calib *k)
{
    json_t *o = json_pack("{s:I, s:I, s:o, s:o, s:[o, o], s:[o, o], s:o, s:o, s:o, s:o, s:s}", "n",
                          (json_int_t)k->n, "excluded_no_prediction", (json_int_t)k->n_excluded, "coverage_68",
                          num(k->cover68), "coverage_95", num(k->cover95), "expected_range_68", num(k->lo68),
                          num(k->hi68), "expected_range_95", num(k->lo95), num(k->hi95), "z_mean", num(k->z_mean),
                          "z_sd", num(k->z_sd), "mae", num(k->mae), "rmse", num(k->rmse), "verdict", k->verdict);
    json_t *edges = json_array(), *counts = json_array();
    size_t b;
    for (b = 0; b <= GN_ANALYSE_HIST_BINS; b++)
        json_array_append_new(edges, json_real(-4.0 + 0.5 * (double)b));
    for (b = 0; b < GN_ANALYSE_HIST_BINS; b++)
        json_array_append_new(counts, json_integer(k->hist[b]));
    json_object_set_new(o, "z_histogram", json_pack("{s:o, s:o}", "edges", edges, "counts", counts));
    return o;
}

static json_t *objective_object(const gn__analysis *a, size_t j)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn__adata *d = &a->data;
    const gn_spec *sp = a->c->spec;
    json_t *ob, *conv, *xs, *nums, *imp, *pds, *stop;
    size_t i, t;

    ob = json_pack("{s:s, s:s}", "name", sp->objectives[j].name, "goal",
                   sp->objectives[j].maximize ? "maximize" : "minimize");
    if (o->has_best)
        json_object_set_new(ob, "best",
                            json_pack("{s:I, s:o, s:o}", "experiment", (json_int_t)d->number[o->best_row], "value",
                                      num(d->y[o->best_row * d->m + j]), "parameters",
                                      point_object(a, d->x + o->best_row * d->dim)));
    else
        json_object_set_new(ob, "best", json_null());
    json_object_set_new(ob, "observed_range", num(o->range));
    json_object_set_new(ob, "calibration", calibration_object(&o->calib));

    xs = json_array();
    nums = json_array();
    for (i = 0; i < o->n_conv; i++) {
        json_array_append_new(xs, json_integer((json_int_t)(i + 1)));
        json_array_append_new(nums, json_integer((json_int_t)d->number[o->conv_row[i]]));
    }
    conv = json_pack("{s:o, s:o, s:o, s:o}", "finished", xs, "experiment", nums, "best_so_far",
                     array_of(o->best_so_far, o->n_conv), "random_search_expected",
                     array_of(o->random_expect, o->n_conv));
    json_object_set_new(ob, "convergence", conv);

    if (!o->model_ok) {
        json_object_set_new(ob, "model", json_null());
        json_object_set_new(ob, "model_note", json_string(o->model_note));
        json_object_set_new(ob, "importance", json_null());
        json_object_set_new(ob, "partial_dependence", json_null());
        json_object_set_new(ob, "stopping", json_null());
        return ob;
    }
    json_object_set_new(ob, "model",
                        json_pack("{s:s, s:I, s:o, s:o, s:s}", "kind", "gaussian process, Matern-5/2 ARD, MAP",
                                  "n_train", (json_int_t)o->n_train, "noise_variance_standardised", num(o->noise),
                                  "outputscale_standardised", num(o->outputscale), "encoding",
                                  "reals and ints on [0,1] (log-scale in log space), choices one-hot"));
    imp = json_array();
    for (t = 0; t < d->dim; t++) {
        size_t p = o->rank[t];
        json_t *e = json_pack("{s:s, s:o, s:o}", "parameter", sp->params[p].name, "lengthscale",
                              num(o->lengthscale[p]), "ard", num(o->ard[p]));
        if (o->sobol_ok) {
            json_object_set_new(e, "s1", num(o->sobol.s1[p]));
            json_object_set_new(e, "s1_se", num(o->sobol.s1_se[p]));
            json_object_set_new(e, "st", num(o->sobol.st[p]));
            json_object_set_new(e, "st_se", num(o->sobol.st_se[p]));
        }
        json_array_append_new(imp, e);
    }
    json_object_set_new(ob, "importance",
                        json_pack("{s:o, s:I, s:I, s:o, s:o}", "sobol", json_boolean(o->sobol_ok), "sobol_base_samples",
                                  (json_int_t)o->sobol.N, "bootstrap", (json_int_t)GN_ANALYSE_BOOT,
                                  "surrogate_variance", num(o->sobol.variance), "parameters", imp));
    pds = json_array();
    for (t = 0; t < o->n_pd; t++) {
        const gn__pd *pd = &o->pd[t];
        json_t *x = json_array();
        for (i = 0; i < pd->len; i++)
            json_array_append_new(x, sp->params[pd->param].type == GN_PARAM_CHOICE
                                         ? json_string(sp->params[pd->param].choices[(size_t)pd->x[i]])
                                         : num(pd->x[i]));
        json_array_append_new(pds, json_pack("{s:s, s:I, s:o, s:o, s:o}", "parameter", sp->params[pd->param].name,
                                             "held_at_experiment", (json_int_t)d->number[o->pd_row], "x", x,
                                             "mean", array_of(pd->mean, pd->len), "sd", array_of(pd->sd, pd->len)));
    }
    json_object_set_new(ob, "partial_dependence", pds);
    if (o->has_ei) {
        char msg[256];
        if (!(o->range > 0))
            snprintf(msg, sizeof msg, "no suggestion: every observed value is the same");
        else if (o->stop)
            snprintf(msg, sizeof msg, "stop: the expected gain of further experiments is below %g%% of the range",
                     100 * GN_ANALYSE_STOP_REL);
        else
            snprintf(msg, sizeof msg,
                     "continue: one more experiment is expected to improve the best by %.3g (%.1f%% of the range)",
                     o->ei, 100 * o->ei_rel);
        stop = json_pack("{s:o, s:o, s:f, s:b, s:s, s:o}", "expected_improvement", num(o->ei), "relative",
                         num(o->ei_rel), "threshold", GN_ANALYSE_STOP_REL, "stop", o->stop, "suggestion", msg, "at",
                         point_object(a, o->ei_x));
    } else {
        stop = json_null();
    }
    json_object_set_new(ob, "stopping", stop);
    return ob;
}

gn_status gn__analysis_json(const gn__analysis *a, char **out, gn_err *err)
{
    const gn__adata *d = &a->data;
    const gn_campaign *c = a->c;
    const gn_spec *sp = c->spec;
    json_t *root, *objs, *ocs, *fails, *hosts;
    char *text;
    size_t i, j;
    char seed[32];

    *out = NULL;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->rec.seed);
    objs = json_array();
    for (j = 0; j < d->m; j++)
        json_array_append_new(objs, objective_object(a, j));
    ocs = json_array();
    for (j = 0; j < d->q; j++) {
        const gn_outcome_constraint *oc = &sp->outcome_constraints[j];
        json_array_append_new(ocs, json_pack("{s:s, s:o, s:o, s:I, s:I, s:I}", "name", oc->name, "min",
                                             oc->has_min ? num(oc->min) : json_null(), "max",
                                             oc->has_max ? num(oc->max) : json_null(), "satisfied",
                                             (json_int_t)a->oc_ok[j], "violated", (json_int_t)a->oc_bad[j],
                                             "missing", (json_int_t)a->oc_missing[j]));
    }
    fails = json_array();
    for (i = 0; i < d->n; i++)
        if (d->reasons[i])
            json_array_append_new(fails, json_pack("{s:I, s:s, s:i, s:s}", "experiment", (json_int_t)d->number[i],
                                                   "status", gn_exp_status_name(d->status[i]), "attempts",
                                                   d->attempts[i], "reasons", d->reasons[i]));
    hosts = json_array();
    for (i = 0; i < d->n_hosts; i++)
        json_array_append_new(hosts, json_pack("{s:s, s:I}", "host", d->hosts[i], "attempts",
                                               (json_int_t)d->host_attempts[i]));
    root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "campaign", c->rec.name, "state", c->rec.state,
                     "genesis_version", gn_version(), "planner", gn_planner_name(c->planner), "seed", seed,
                     "budget", (json_int_t)c->rec.budget, "database", a->db_path);
    if (!root || !objs || !ocs || !fails || !hosts) {
        json_decref(root);
        json_decref(objs);
        json_decref(ocs);
        json_decref(fails);
        json_decref(hosts);
        return gn_err_nomem(err);
    }
    json_object_set_new(root, "counts",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "proposed", (json_int_t)a->counts.proposed,
                                  "running", (json_int_t)a->counts.running, "completed",
                                  (json_int_t)a->counts.completed, "failed", (json_int_t)a->counts.failed,
                                  "abandoned", (json_int_t)a->counts.abandoned, "attempts",
                                  (json_int_t)a->counts.attempts));
    json_object_set_new(root, "objectives", objs);
    json_object_set_new(root, "feasibility",
                        json_pack("{s:I, s:I, s:I, s:o}", "completed", (json_int_t)a->n_complete, "feasible",
                                  (json_int_t)a->n_feasible, "incomplete_outcome",
                                  (json_int_t)a->n_incomplete_outcome, "constraints", ocs));
    json_object_set_new(root, "failures", fails);
    {
        json_t *ds = json_array();
        size_t k;
        for (k = 0; ds && k < c->n_used; k++)
            json_array_append_new(ds, json_pack("{s:s, s:s, s:I, s:I, s:s}", "role", c->used[k].role, "name",
                                                c->used[k].name, "version", (json_int_t)c->used[k].version,
                                                "rows", (json_int_t)c->used[k].rows, "content_hash",
                                                c->used[k].hash));
        json_object_set_new(root, "provenance",
                            json_pack("{s:s, s:s, s:s?, s:o, s:o}", "spec", c->rec.spec_text, "spec_format",
                                      c->rec.spec_format, "spec_path", c->rec.spec_path, "hosts", hosts,
                                      "datasets", ds ? ds : json_array()));
    }
    json_object_set_new(root, "analysis_seconds", num(a->seconds));
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (!text)
        return gn_err_nomem(err);
    *out = gn_strdup(text);
    free(text);
    return *out ? GN_OK : gn_err_nomem(err);
}

/* ---- the public entry points ----------------------------------------------------------- */

gn_status gn_campaign_analyse_json(gn_campaign *c, char **json)
{
    gn__analysis a;
    gn_status st;

    if (!c || !json)
        return GN_ERR_INVALID;
    *json = NULL;
    gn_err_clear(&c->err);
    st = gn__analysis_run(c, &a, &c->err);
    if (st == GN_OK)
        st = gn__analysis_json(&a, json, &c->err);
    gn__analysis_destroy(&a);
    return st;
}

gn_status gn_campaign_report(gn_campaign *c, const char *format, const char *path)
{
    gn__analysis a;
    char *tmp = NULL, *json = NULL;
    FILE *out = NULL;
    gn_status st;

    if (!c || !format || !path)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    memset(&a, 0, sizeof a);
    if (strcmp(format, "html") && strcmp(format, "md") && strcmp(format, "json"))
        return gn_err_set(&c->err, GN_ERR_INVALID, "unknown report format '%s': expected html, md or json", format);
    st = gn__analysis_run(c, &a, &c->err);
    if (st != GN_OK)
        goto out;
    tmp = gn_asprintf("%s.tmp.%ld", path, (long)getpid());
    if (!tmp) {
        st = gn_err_nomem(&c->err);
        goto out;
    }
    out = fopen(tmp, "w");
    if (!out) {
        st = gn_err_set(&c->err, GN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (!strcmp(format, "html")) {
        st = gn__report_html(&a, out, &c->err);
    } else if (!strcmp(format, "md")) {
        st = gn__report_md(&a, out, &c->err);
    } else {
        st = gn__analysis_json(&a, &json, &c->err);
        if (st == GN_OK && fprintf(out, "%s\n", json) < 0)
            st = gn_err_set(&c->err, GN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (fclose(out) != 0 && st == GN_OK)
        st = gn_err_set(&c->err, GN_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    out = NULL;
    if (st == GN_OK && rename(tmp, path) != 0)
        st = gn_err_set(&c->err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    if (st != GN_OK)
        unlink(tmp);
out:
    gn_free(json);
    gn_free(tmp);
    gn__analysis_destroy(&a);
    return st;
}
