/*
 * campaign/export.c - campaigns and experiments as JSON and CSV.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "core/timeutil.h"

/* Parses stored JSON text; NULL text gives JSON null. NULL on failure. */
static json_t *parse_or_null(const char *text)
{
    json_error_t jerr;
    if (!text)
        return json_null();
    return json_loads(text, JSON_DECODE_ANY, &jerr);
}

static json_t *time_string(double t)
{
    char buf[40];
    return json_string(gn_time_iso8601(t, buf, sizeof buf));
}

/* The campaign object of exports and summaries. */
static json_t *campaign_object(gn_campaign *c, int with_spec, gn_err *err)
{
    gn_campaign_counts n;
    json_t *o, *params, *objs, *best = json_null();
    size_t i;
    int64_t bnum;
    double y[GN_SPEC_MAX_OBJECTIVES];
    char seed[32];

    if (gn_store_campaign_counts(c->db->store, c->rec.id, &n, err) != GN_OK)
        return NULL;
    if (gn_campaign_best(c, &bnum, NULL, y) == GN_OK) {
        json_decref(best);
        best = json_pack("{s:I}", "id", (json_int_t)bnum);
        for (i = 0; best && i < c->spec->n_objectives; i++)
            json_object_set_new(best, c->spec->objectives[i].name, json_real(y[i]));
    }
    gn_err_clear(&c->err);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->rec.seed);
    params = json_array();
    objs = json_array();
    for (i = 0; params && i < c->spec->n_params; i++) {
        const gn_param *p = &c->spec->params[i];
        static const char *types[] = {"real", "int", "choice"};
        json_t *po = json_pack("{s:s, s:s}", "name", p->name, "type", types[p->type]);
        if (po && p->type != GN_PARAM_CHOICE) {
            json_object_set_new(po, "low", json_real(p->low));
            json_object_set_new(po, "high", json_real(p->high));
            json_object_set_new(po, "scale", json_string(p->log_scale ? "log" : "linear"));
        } else if (po) {
            json_t *vals = json_array();
            size_t k;
            for (k = 0; vals && k < p->n_choices; k++)
                json_array_append_new(vals, json_string(p->choices[k]));
            json_object_set_new(po, "values", vals);
        }
        if (po && p->unit)
            json_object_set_new(po, "unit", json_string(p->unit));
        json_array_append_new(params, po);
    }
    for (i = 0; objs && i < c->spec->n_objectives; i++)
        json_array_append_new(objs, json_pack("{s:s, s:s}", "name", c->spec->objectives[i].name, "goal",
                                              c->spec->objectives[i].maximize ? "maximize" : "minimize"));
    o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
                  "name", c->rec.name, "state", c->rec.state, "budget", (json_int_t)c->rec.budget,
                  "seed", seed, "planner", gn_planner_name(c->planner), "created",
                  time_string(c->rec.created), "updated", time_string(c->rec.updated), "parameters",
                  params, "objectives", objs, "best", best, "counts", "proposed",
                  (json_int_t)n.proposed, "running", (json_int_t)n.running, "completed",
                  (json_int_t)n.completed, "failed", (json_int_t)n.failed, "abandoned",
                  (json_int_t)n.abandoned, "attempts", (json_int_t)n.attempts);
    /* schema 3: who the campaign belongs to (the service) */
    if (o && (json_object_set_new(o, "project",
                                  json_string(c->rec.project ? c->rec.project : "default")) ||
              json_object_set_new(o, "classification",
                                  json_string(c->rec.classification ? c->rec.classification
                                                                    : "internal")) ||
              json_object_set_new(o, "owner",
                                  c->rec.owner ? json_string(c->rec.owner) : json_null()))) {
        json_decref(o);
        o = NULL;
    }
    if (o && with_spec) {
        json_object_set_new(o, "spec", json_string(c->rec.spec_text));
        json_object_set_new(o, "spec_format", json_string(c->rec.spec_format));
        if (c->rec.spec_path)
            json_object_set_new(o, "spec_path", json_string(c->rec.spec_path));
    }
    if (!o)
        gn_err_nomem(err);
    return o;
}

static json_t *experiment_object(const gn_experiment_rec *e)
{
    json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:o, s:i, s:s?, s:o, s:o}", "id",
                          (json_int_t)e->number, "status", gn_exp_status_name(e->status),
                          "parameters", parse_or_null(e->params), "outcome",
                          parse_or_null(e->outcome), "prediction", parse_or_null(e->prediction),
                          "attempts", e->attempts, "origin", e->origin, "created",
                          time_string(e->created), "updated", time_string(e->updated));
    int bad = 0;

    /* the service's lease (while the experiment is out) and partial
     * results, when there are any */
    if (o && e->lease_deadline > 0 &&
        (e->status == GN_EXP_PROPOSED || e->status == GN_EXP_RUNNING))
        bad |= json_object_set_new(o, "lease",
                                   json_pack("{s:s?, s:f}", "user", e->lease_user, "deadline",
                                             e->lease_deadline));
    if (o && e->partial)
        bad |= json_object_set_new(o, "partial", parse_or_null(e->partial));
    if (bad) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

static json_t *attempt_object(const gn_attempt_rec *a)
{
    json_t *o = json_pack("{s:i, s:s, s:s?, s:s?, s:I, s:s?, s:o, s:f, s:i, s:i, s:s?, s:s?, s:s?, s:o}",
                          "number", a->number, "status", gn_att_status_name(a->status), "runner",
                          a->runner, "host", a->host, "pid", (json_int_t)a->pid, "workdir", a->workdir,
                          "started", time_string(a->started), "duration",
                          a->finished > 0 ? a->finished - a->started : 0.0, "exit_code", a->exit_code,
                          "signal", a->signal, "reason", a->reason, "stdout_tail", a->stdout_tail,
                          "stderr_tail", a->stderr_tail, "outcome", parse_or_null(a->outcome));
    /* batch-system attempts (Slurm): the job that ran them */
    if (o && a->job_id && json_object_set_new(o, "job_id", json_string(a->job_id))) {
        json_decref(o);
        return NULL;
    }
    if (o && a->job_state && json_object_set_new(o, "job_state", json_string(a->job_state))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Writes JSON to a new gn_ string. */
static gn_status dump_new(json_t *j, char **out, gn_err *err)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!text)
        return gn_err_nomem(err);
    *out = gn_strdup(text);
    free(text);
    return *out ? GN_OK : gn_err_nomem(err);
}

gn_status gn_campaign_summary_json(gn_campaign *c, char **json)
{
    json_t *o;
    gn_status st;
    if (!c || !json)
        return GN_ERR_INVALID;
    *json = NULL;
    gn_err_clear(&c->err);
    o = campaign_object(c, 1, &c->err);
    if (!o)
        return c->err.status ? c->err.status : gn_err_nomem(&c->err);
    /* rows of the spec's `prior:` dataset told to the planner (0: none) */
    if (json_object_set_new(o, "prior", json_integer((json_int_t)c->n_prior)) != 0) {
        json_decref(o);
        return gn_err_nomem(&c->err);
    }
    st = dump_new(o, json, &c->err);
    json_decref(o);
    return st;
}

gn_status gn_campaign_experiment_json(gn_campaign *c, int64_t number, char **json)
{
    gn_experiment_rec e;
    gn_attempt_rec *atts = NULL;
    size_t n = 0, i;
    json_t *o = NULL, *arr;
    gn_status st;

    if (!c || !json)
        return GN_ERR_INVALID;
    *json = NULL;
    gn_err_clear(&c->err);
    memset(&e, 0, sizeof e);
    st = gn_store_experiment_get(c->db->store, c->rec.id, number, &e, &c->err);
    if (st == GN_ERR_NOT_FOUND)
        return gn_err_set(&c->err, st, "campaign '%s' has no experiment %lld", c->rec.name,
                          (long long)number);
    if (st != GN_OK)
        return st;
    st = gn_store_attempt_list(c->db->store, e.id, &atts, &n, &c->err);
    if (st != GN_OK)
        goto out;
    o = experiment_object(&e);
    arr = json_array();
    if (!o || !arr || json_object_set_new(o, "attempt_log", arr) != 0) {
        st = gn_err_nomem(&c->err);
        goto out;
    }
    for (i = 0; i < n; i++)
        if (json_array_append_new(arr, attempt_object(&atts[i])) != 0) {
            st = gn_err_nomem(&c->err);
            goto out;
        }
    st = dump_new(o, json, &c->err);
out:
    json_decref(o);
    gn_attempt_rec_array_free(atts, n);
    gn_experiment_rec_free(&e);
    return st;
}

/* ---- export ----------------------------------------------------------- */

static gn_status export_json(gn_campaign *c, const gn_experiment_rec *exps, size_t n, FILE *out)
{
    json_t *root = NULL, *arr, *co;
    size_t i;
    gn_status st = GN_OK;

    co = campaign_object(c, 1, &c->err);
    arr = json_array();
    if (!co || !arr) {
        json_decref(co);
        json_decref(arr);
        return c->err.status ? c->err.status : gn_err_nomem(&c->err);
    }
    root = json_pack("{s:o, s:o}", "campaign", co, "experiments", arr);
    if (!root)
        return gn_err_nomem(&c->err);
    for (i = 0; i < n; i++)
        if (json_array_append_new(arr, experiment_object(&exps[i])) != 0) {
            st = gn_err_nomem(&c->err);
            goto out;
        }
    if (json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', out) == EOF)
        st = gn_err_set(&c->err, GN_ERR_IO, "cannot write the export");
out:
    json_decref(root);
    return st;
}

/* Writes a CSV field, quoted when it needs to be (RFC 4180). */
static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, json_t *v)
{
    if (json_is_integer(v))
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        fprintf(out, "%.17g", json_real_value(v));
    else if (json_is_string(v))
        csv_field(out, json_string_value(v));
}

/* Outcome columns: objectives, then outcome constraints, then every other
 * name seen, in order of first appearance. */
static json_t *outcome_columns(const gn_campaign *c, const gn_experiment_rec *exps, size_t n)
{
    json_t *cols = json_array(), *seen = json_object();
    size_t i;
    if (!cols || !seen) {
        json_decref(cols);
        json_decref(seen);
        return NULL;
    }
    for (i = 0; i < c->spec->n_objectives; i++) {
        json_array_append_new(cols, json_string(c->spec->objectives[i].name));
        json_object_set_new(seen, c->spec->objectives[i].name, json_true());
    }
    for (i = 0; i < c->spec->n_outcome_constraints; i++) {
        json_array_append_new(cols, json_string(c->spec->outcome_constraints[i].name));
        json_object_set_new(seen, c->spec->outcome_constraints[i].name, json_true());
    }
    for (i = 0; i < n; i++) {
        json_t *o = parse_or_null(exps[i].outcome), *v;
        const char *k;
        json_object_foreach(o, k, v)
        {
            if (!json_object_get(seen, k)) {
                json_array_append_new(cols, json_string(k));
                json_object_set_new(seen, k, json_true());
            }
        }
        json_decref(o);
    }
    json_decref(seen);
    return cols;
}

static gn_status export_csv(gn_campaign *c, const gn_experiment_rec *exps, size_t n, FILE *out)
{
    json_t *cols = outcome_columns(c, exps, n), *col;
    size_t i, j, k;

    if (!cols)
        return gn_err_nomem(&c->err);
    fputs("id,status", out);
    for (j = 0; j < c->spec->n_params; j++) {
        fputc(',', out);
        csv_field(out, c->spec->params[j].name);
    }
    json_array_foreach(cols, k, col)
    {
        fputc(',', out);
        csv_field(out, json_string_value(col));
    }
    for (j = 0; j < c->spec->n_objectives; j++)
        fprintf(out, ",pred_%s_mean,pred_%s_sd", c->spec->objectives[j].name, c->spec->objectives[j].name);
    fputs(",attempts\n", out);
    for (i = 0; i < n; i++) {
        json_t *p = parse_or_null(exps[i].params), *o = parse_or_null(exps[i].outcome),
               *pr = parse_or_null(exps[i].prediction);
        fprintf(out, "%lld,%s", (long long)exps[i].number, gn_exp_status_name(exps[i].status));
        for (j = 0; j < c->spec->n_params; j++) {
            fputc(',', out);
            csv_number(out, json_object_get(p, c->spec->params[j].name));
        }
        json_array_foreach(cols, k, col)
        {
            fputc(',', out);
            csv_number(out, json_object_get(o, json_string_value(col)));
        }
        for (j = 0; j < c->spec->n_objectives; j++) {
            json_t *po = json_object_get(pr, c->spec->objectives[j].name);
            fputc(',', out);
            csv_number(out, json_object_get(po, "mean"));
            fputc(',', out);
            csv_number(out, json_object_get(po, "sd"));
        }
        fprintf(out, ",%d\n", exps[i].attempts);
        json_decref(p);
        json_decref(o);
        json_decref(pr);
    }
    json_decref(cols);
    if (ferror(out))
        return gn_err_set(&c->err, GN_ERR_IO, "cannot write the export");
    return GN_OK;
}

gn_status gn_campaign_export(gn_campaign *c, const char *format, FILE *out)
{
    gn_experiment_rec *exps = NULL;
    size_t n = 0;
    gn_status st;

    if (!c || !format || !out)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
        return gn_err_set(&c->err, GN_ERR_INVALID, "unknown export format '%s': expected json or csv",
                          format);
    st = gn_store_experiment_list(c->db->store, c->rec.id, NULL, &exps, &n, &c->err);
    if (st != GN_OK)
        return st;
    st = format[0] == 'j' ? export_json(c, exps, n, out) : export_csv(c, exps, n, out);
    gn_experiment_rec_array_free(exps, n);
    return st;
}
