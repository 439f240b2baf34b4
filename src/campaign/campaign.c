/*
 * campaign/campaign.c - opening campaigns, ask, tell, best.
 *
 * The store is the truth: every ask and tell reads the campaign's
 * experiments from it (so several processes - `genesis run`, `genesis
 * observe`, an embedding code - can share one campaign), and every change
 * is committed before the call returns.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/timeutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* A seed for campaigns whose spec gives none: random, below 2^63 so that
 * it prints the same everywhere. It is stored with the campaign. */
static uint64_t fresh_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
        s = (uint64_t)gn_time_wall() * 2654435761u ^ (uint64_t)getpid();
    return s & 0x7fffffffffffffffULL;
}

/* Folder part of an absolute path, as a new string. */
static char *dir_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        return gn_strdup(".");
    if (slash == path)
        return gn_strdup("/");
    return gn_strndup(path, (size_t)(slash - path));
}

static gn_campaign *campaign_alloc(gn_db *db)
{
    gn_campaign *c = gn_calloc(1, sizeof *c);
    if (c)
        c->db = db;
    return c;
}

void gn_campaign_close(gn_campaign *c)
{
    if (!c)
        return;
    gn_planner_free(c->planner);
    gn__lookup_free(c->lookup);
    gn_spec_free(c->spec);
    gn_campaign_rec_free(&c->rec);
    gn_free(c->told);
    gn_free(c->handed);
    gn_free(c);
}

/* Builds space and planner once c->spec and c->rec are set. */
static gn_status campaign_init_planner(gn_campaign *c, gn_err *err)
{
    gn_status st;
    /* a warm start is the initial design: without planner.initial, bo
     * models the prior from its first proposal but one (docs/spec.md) */
    if (c->spec->prior_dataset && c->spec->planner.initial == 0 &&
        !strcmp(c->spec->planner.strategy, "bo"))
        c->spec->planner.initial = 1;
    gn_space_init(&c->space, c->spec);
    st = gn_planner_new(&c->space, c->rec.seed, &c->planner, err);
    if (st == GN_OK && c->spec->candidates)
        st = gn__campaign_load_candidates(c, err);
    if (st == GN_OK)
        st = gn__campaign_load_dataset_pool(c, err);
    if (st == GN_OK)
        st = gn__campaign_load_lookup(c, err);
    if (st == GN_OK)
        st = gn__campaign_load_prior(c, err);
    return st;
}

/* Parses the stored spec of c->rec. Relative paths in it resolve against
 * the folder of the file it came from, when known. */
static gn_status campaign_load_spec(gn_campaign *c, gn_err *err)
{
    char *base = NULL, *source = NULL;
    gn_status st;

    if (c->rec.spec_path) {
        base = dir_of(c->rec.spec_path);
        source = gn_strdup(c->rec.spec_path);
    } else {
        source = gn_asprintf("<spec of campaign %s>", c->rec.name);
    }
    if ((c->rec.spec_path && !base) || !source) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = gn_spec_parse(c->rec.spec_text, strlen(c->rec.spec_text), source, base, &c->spec, err);
out:
    gn_free(base);
    gn_free(source);
    return st;
}

/* Creates (or reopens, if the stored spec is identical) the campaign of a
 * parsed spec. Takes ownership of spec in every case. */
static gn_status create_from_spec(gn_db *db, gn_spec *spec, const char *abs_path, gn_campaign **out)
{
    return gn__campaign_create_spec(db, spec, abs_path, NULL, out);
}

gn_status gn__campaign_create_spec(gn_db *db, gn_spec *spec, const char *abs_path,
                                   const gn__owned *owned, gn_campaign **out)
{
    gn_campaign *c = NULL;
    gn_campaign_rec existing;
    gn_status st;

    memset(&existing, 0, sizeof existing);
    c = campaign_alloc(db);
    if (!c) {
        gn_spec_free(spec);
        return gn_err_nomem(&db->err);
    }
    c->spec = spec;
    st = gn_store_campaign_get(db->store, spec->name, &existing, &db->err);
    if (st == GN_OK && owned) {
        st = gn_err_set(&db->err, GN_ERR_EXISTS, "a campaign named '%s' exists already",
                        spec->name);
        gn_campaign_rec_free(&existing);
        goto fail;
    }
    if (st == GN_OK) {
        if (strlen(existing.spec_text) != spec->text_len ||
            memcmp(existing.spec_text, spec->text, spec->text_len) != 0) {
            st = gn_err_set(&db->err, GN_ERR_EXISTS,
                            "campaign '%s' already exists in %s with a different spec; give the "
                            "new spec another name, or continue the old one with `genesis resume %s`",
                            spec->name, db->path, spec->name);
            gn_campaign_rec_free(&existing);
            goto fail;
        }
        c->rec = existing;
    } else if (st == GN_ERR_NOT_FOUND) {
        gn_err_clear(&db->err);
        c->rec.name = gn_strdup(spec->name);
        c->rec.state = gn_strdup("active");
        c->rec.spec_text = gn_strndup(spec->text, spec->text_len);
        c->rec.spec_format = gn_strdup(spec->is_json ? "json" : "yaml");
        c->rec.spec_path = abs_path ? gn_strdup(abs_path) : NULL;
        if (owned) {
            c->rec.project = gn_strdup(owned->project ? owned->project : "default");
            c->rec.classification =
                gn_strdup(owned->classification ? owned->classification : "internal");
            c->rec.owner = owned->owner ? gn_strdup(owned->owner) : NULL;
            if (!c->rec.project || !c->rec.classification || (owned->owner && !c->rec.owner)) {
                st = gn_err_nomem(&db->err);
                goto fail;
            }
        }
        if (!c->rec.name || !c->rec.state || !c->rec.spec_text || !c->rec.spec_format ||
            (abs_path && !c->rec.spec_path)) {
            st = gn_err_nomem(&db->err);
            goto fail;
        }
        c->rec.seed = spec->planner.has_seed ? spec->planner.seed : fresh_seed();
        c->rec.budget = spec->budget.experiments;
        /* the planner (and a candidates file) first: a campaign that cannot
         * plan is not created */
        st = campaign_init_planner(c, &db->err);
        if (st == GN_OK)
            st = gn_store_campaign_create(db->store, &c->rec, &db->err);
        if (st != GN_OK)
            goto fail;
        *out = c;
        return GN_OK;
    } else {
        goto fail;
    }
    st = campaign_init_planner(c, &db->err);
    if (st != GN_OK)
        goto fail;
    *out = c;
    return GN_OK;
fail:
    gn_campaign_close(c);
    return st;
}

gn_status gn_campaign_create(gn_db *db, const char *spec_path, gn_campaign **out)
{
    char *abs = NULL;
    gn_spec *spec = NULL;
    gn_status st;

    if (!db || !spec_path || !out)
        return GN_ERR_INVALID;
    *out = NULL;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    abs = realpath(spec_path, NULL);
    if (!abs)
        return gn_err_set(&db->err, GN_ERR_IO, "%s: cannot read spec: %s", spec_path, strerror(errno));
    st = gn_spec_load(abs, &spec, &db->err);
    if (st == GN_OK)
        st = create_from_spec(db, spec, abs, out);
    free(abs);
    return st;
}

gn_status gn_campaign_create_from_text(gn_db *db, const char *text, size_t len, gn_campaign **out)
{
    gn_spec *spec = NULL;
    gn_status st;

    if (!db || !text || !out)
        return GN_ERR_INVALID;
    *out = NULL;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    st = gn_spec_parse(text, len, "<spec>", NULL, &spec, &db->err);
    if (st != GN_OK)
        return st;
    return create_from_spec(db, spec, NULL, out);
}

gn_status gn_campaign_open(gn_db *db, const char *name, gn_campaign **out)
{
    gn_campaign *c;
    gn_status st;

    if (!db || !name || !out)
        return GN_ERR_INVALID;
    *out = NULL;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    c = campaign_alloc(db);
    if (!c)
        return gn_err_nomem(&db->err);
    st = gn_store_campaign_get(db->store, name, &c->rec, &db->err);
    if (st == GN_ERR_NOT_FOUND) {
        gn_err_set(&db->err, GN_ERR_NOT_FOUND, "no campaign '%s' in %s (`genesis list` shows them)",
                   name, db->path);
        goto fail;
    }
    if (st != GN_OK)
        goto fail;
    st = campaign_load_spec(c, &db->err);
    if (st == GN_OK)
        st = campaign_init_planner(c, &db->err);
    if (st != GN_OK)
        goto fail;
    *out = c;
    return GN_OK;
fail:
    gn_campaign_close(c);
    return st;
}

const char *gn_campaign_errmsg(const gn_campaign *c)
{
    if (!c)
        return "no campaign";
    return c->err.msg[0] ? c->err.msg : gn_status_str(c->err.status);
}

/* ---- what the campaign looks like --------------------------------------- */

const char *gn_campaign_name(const gn_campaign *c) { return c ? c->rec.name : NULL; }
size_t gn_campaign_param_count(const gn_campaign *c) { return c ? c->spec->n_params : 0; }

const char *gn_campaign_param_name(const gn_campaign *c, size_t i)
{
    return c && i < c->spec->n_params ? c->spec->params[i].name : NULL;
}

size_t gn_campaign_choice_count(const gn_campaign *c, size_t i)
{
    if (!c || i >= c->spec->n_params || c->spec->params[i].type != GN_PARAM_CHOICE)
        return 0;
    return c->spec->params[i].n_choices;
}

const char *gn_campaign_choice_label(const gn_campaign *c, size_t i, size_t k)
{
    if (k >= gn_campaign_choice_count(c, i))
        return NULL;
    return c->spec->params[i].choices[k];
}

size_t gn_campaign_objective_count(const gn_campaign *c) { return c ? c->spec->n_objectives : 0; }

const char *gn_campaign_objective_name(const gn_campaign *c, size_t j)
{
    return c && j < c->spec->n_objectives ? c->spec->objectives[j].name : NULL;
}

int gn_campaign_objective_maximize(const gn_campaign *c, size_t j)
{
    return c && j < c->spec->n_objectives ? c->spec->objectives[j].maximize : 0;
}

long gn_campaign_budget(const gn_campaign *c) { return c ? c->rec.budget : 0; }

gn_status gn_campaign_finished_count(gn_campaign *c, long *finished)
{
    gn_campaign_counts n;
    gn_status st;

    if (!c || !finished)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    st = gn_store_campaign_counts(c->db->store, c->rec.id, &n, &c->err);
    if (st == GN_OK)
        *finished = n.completed + n.failed;
    return st;
}

int gn_campaign_done(gn_campaign *c)
{
    long f = 0;
    if (gn_campaign_finished_count(c, &f) != GN_OK)
        return 0;
    return f >= c->rec.budget;
}

/* ---- outcomes -------------------------------------------------------------- */

gn_status gn__campaign_outcome_values(const gn_campaign *c, const char *outcome_json, double *y,
                                      double *cv, gn_err *err)
{
    json_t *o, *v;
    json_error_t jerr;
    size_t j;
    gn_status st = GN_OK;

    if (!outcome_json)
        return gn_err_set(err, GN_ERR_OUTCOME, "no outcome");
    o = json_loads(outcome_json, 0, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return gn_err_set(err, GN_ERR_OUTCOME, "the outcome is not a JSON object");
    }
    for (j = 0; j < c->spec->n_objectives && st == GN_OK; j++) {
        v = json_object_get(o, c->spec->objectives[j].name);
        if (!v || !json_is_number(v) || !isfinite(json_number_value(v)))
            st = gn_err_set(err, GN_ERR_OUTCOME, "missing objective '%s' in the outcome",
                            c->spec->objectives[j].name);
        else if (y)
            y[j] = json_number_value(v);
    }
    for (j = 0; j < c->spec->n_outcome_constraints && st == GN_OK; j++) {
        v = json_object_get(o, c->spec->outcome_constraints[j].name);
        if (!v || !json_is_number(v) || !isfinite(json_number_value(v)))
            st = gn_err_set(err, GN_ERR_OUTCOME,
                            "missing outcome '%s' (an outcome constraint) in the outcome",
                            c->spec->outcome_constraints[j].name);
        else if (cv)
            cv[j] = json_number_value(v);
    }
    json_decref(o);
    return st;
}

int gn__campaign_feasible_outcome(const gn_campaign *c, const char *outcome_json, double *y)
{
    double cv[GN_SPEC_MAX_OUTCOME_CONSTRAINTS];
    double yy[GN_SPEC_MAX_OBJECTIVES];
    size_t j;

    if (gn__campaign_outcome_values(c, outcome_json, yy, cv, NULL) != GN_OK)
        return 0;
    for (j = 0; j < c->spec->n_outcome_constraints; j++) {
        const gn_outcome_constraint *oc = &c->spec->outcome_constraints[j];
        if ((oc->has_min && cv[j] < oc->min) || (oc->has_max && cv[j] > oc->max))
            return 0;
    }
    if (y)
        memcpy(y, yy, c->spec->n_objectives * sizeof *y);
    return 1;
}

gn_status gn__campaign_point(gn_campaign *c, const gn_experiment_rec *e, double *x, gn_err *err)
{
    gn_status st = gn_space_params_parse(&c->space, e->params, x, err);
    if (st != GN_OK)
        gn_err_prefix(err, "experiment %lld of campaign '%s'", (long long)e->number, c->rec.name);
    return st;
}

/* ---- telling the planner ----------------------------------------------- */

/* Grows c->told to hold index `number`. */
static int told_reserve(gn_campaign *c, int64_t number)
{
    size_t need = (size_t)number + 1, cap;
    unsigned char *p;
    if (need <= c->told_cap)
        return 1;
    cap = c->told_cap ? c->told_cap : 64;
    while (cap < need)
        cap *= 2;
    p = gn_realloc(c->told, cap);
    if (!p)
        return 0;
    memset(p + c->told_cap, 0, cap - c->told_cap);
    c->told = p;
    c->told_cap = cap;
    return 1;
}

gn_status gn__campaign_tell_new(gn_campaign *c, const gn_experiment_rec *exps, size_t n, gn_err *err)
{
    return gn__campaign_tell_known(c, exps, NULL, NULL, NULL, n, err);
}

gn_status gn__campaign_tell_known(gn_campaign *c, const gn_experiment_rec *exps,
                                  const double *const *xk, const double *const *yk,
                                  const double *const *cvk, size_t n, gn_err *err)
{
    size_t d = c->space.dim, m = c->spec->n_objectives, q = c->spec->n_outcome_constraints;
    size_t i, k = 0, count = 0;
    gn_observation *obs = NULL;
    double *xs = NULL, *ys = NULL, *cs = NULL;
    gn_status st = GN_OK;

    for (i = 0; i < n; i++)
        if ((exps[i].status == GN_EXP_COMPLETED || exps[i].status == GN_EXP_FAILED) &&
            ((size_t)exps[i].number >= c->told_cap || !c->told[exps[i].number]))
            count++;
    if (count == 0)
        return GN_OK;
    obs = gn_calloc(count, sizeof *obs);
    xs = gn_calloc(count * (d ? d : 1), sizeof *xs);
    ys = gn_calloc(count * (m ? m : 1), sizeof *ys);
    cs = gn_calloc(count * (q ? q : 1), sizeof *cs);
    if (!obs || !xs || !ys || !cs) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        const gn_experiment_rec *e = &exps[i];
        if (e->status != GN_EXP_COMPLETED && e->status != GN_EXP_FAILED)
            continue;
        if (!told_reserve(c, e->number)) {
            st = gn_err_nomem(err);
            goto out;
        }
        if (c->told[e->number])
            continue;
        if (xk && xk[i]) {
            memcpy(xs + k * d, xk[i], d * sizeof *xs);
        } else {
            st = gn__campaign_point(c, e, xs + k * d, err);
            if (st != GN_OK)
                goto out;
        }
        obs[k].x = xs + k * d;
        obs[k].status = GN_OBS_FAILED;
        if (e->status == GN_EXP_COMPLETED && yk && yk[i]) {
            memcpy(ys + k * m, yk[i], m * sizeof *ys);
            if (q)
                memcpy(cs + k * q, cvk[i], q * sizeof *cs);
            obs[k].status = GN_OBS_COMPLETED;
            obs[k].y = ys + k * m;
            obs[k].c = q ? cs + k * q : NULL;
        } else if (e->status == GN_EXP_COMPLETED &&
            gn__campaign_outcome_values(c, e->outcome, ys + k * m, cs + k * q, NULL) == GN_OK) {
            obs[k].status = GN_OBS_COMPLETED;
            obs[k].y = ys + k * m;
            obs[k].c = q ? cs + k * q : NULL;
        }
        k++;
    }
    st = gn_planner_tell(c->planner, obs, k, err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n; i++)
        if (exps[i].status == GN_EXP_COMPLETED || exps[i].status == GN_EXP_FAILED)
            c->told[exps[i].number] = 1;
    while ((size_t)c->told_through + 1 < c->told_cap && c->told[c->told_through + 1])
        c->told_through++;
out:
    gn_free(obs);
    gn_free(xs);
    gn_free(ys);
    gn_free(cs);
    return st;
}

/* ---- proposing ------------------------------------------------------------ */

/* The prediction JSON {"objective": {"mean": m, "sd": s}, ...}, or NULL
 * (with *failed set when out of memory). */
static char *prediction_json(const gn_campaign *c, const double *mean, const double *sd, int *failed)
{
    gn_strbuf sb;
    size_t j;

    gn_strbuf_init(&sb);
    gn_strbuf_putc(&sb, '{');
    for (j = 0; j < c->spec->n_objectives; j++)
        gn_strbuf_appendf(&sb, "%s\"%s\": {\"mean\": %.17g, \"sd\": %.17g}", j ? ", " : "",
                          c->spec->objectives[j].name, mean[j], sd[j]);
    gn_strbuf_putc(&sb, '}');
    {
        char *s = gn_strbuf_take(&sb);
        if (!s)
            *failed = 1;
        return s;
    }
}

gn_status gn__campaign_propose(gn_campaign *c, const double *pending, size_t n_pending, long n_issued,
                               size_t n, gn_experiment_rec **out, gn_err *err)
{
    gn_experiment_rec *recs = NULL;
    gn_status st;

    *out = NULL;
    st = gn__campaign_plan(c, pending, n_pending, n_issued, n, &recs, err);
    if (st != GN_OK)
        return st;
    st = gn_store_experiments_add(c->db->store, c->rec.id, recs, n, err);
    if (st != GN_OK) {
        gn_experiment_rec_array_free(recs, n);
        return st;
    }
    *out = recs;
    return GN_OK;
}

gn_status gn__campaign_plan(gn_campaign *c, const double *pending, size_t n_pending, long n_issued,
                            size_t n, gn_experiment_rec **out, gn_err *err)
{
    size_t d = c->space.dim, m = c->spec->n_objectives, i;
    gn_ask_out ao;
    gn_ask_ctx ctx;
    gn_experiment_rec *recs = NULL;
    char *origin = NULL;
    gn_status st = GN_OK;

    *out = NULL;
    memset(&ao, 0, sizeof ao);
    ao.x = gn_calloc(n * (d ? d : 1), sizeof *ao.x);
    ao.mean = gn_calloc(n * (m ? m : 1), sizeof *ao.mean);
    ao.sd = gn_calloc(n * (m ? m : 1), sizeof *ao.sd);
    ao.has_prediction = gn_calloc(n, sizeof *ao.has_prediction);
    recs = gn_calloc(n, sizeof *recs);
    origin = gn_asprintf("planner:%s", gn_planner_name(c->planner));
    if (!ao.x || !ao.mean || !ao.sd || !ao.has_prediction || !recs || !origin) {
        st = gn_err_nomem(err);
        goto out;
    }
    ctx.n_issued = n_issued;
    ctx.pending = pending;
    ctx.n_pending = n_pending;
    st = gn_planner_ask(c->planner, &ctx, n, &ao, err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n; i++) {
        int failed = 0;
        recs[i].params = gn_space_params_json(&c->space, ao.x + i * d);
        if (ao.has_prediction[i])
            recs[i].prediction = prediction_json(c, ao.mean + i * m, ao.sd + i * m, &failed);
        recs[i].origin = gn_strdup(origin);
        if (!recs[i].params || failed || !recs[i].origin) {
            st = gn_err_nomem(err);
            goto out;
        }
    }
    *out = recs;
    recs = NULL;
out:
    if (recs)
        gn_experiment_rec_array_free(recs, n);
    gn_free(ao.x);
    gn_free(ao.mean);
    gn_free(ao.sd);
    gn_free(ao.has_prediction);
    gn_free(origin);
    return st;
}

/* ---- ask ---------------------------------------------------------------- */

static int handed_has(const gn_campaign *c, int64_t number)
{
    size_t i;
    for (i = 0; i < c->n_handed; i++)
        if (c->handed[i] == number)
            return 1;
    return 0;
}

static int handed_add(gn_campaign *c, int64_t number)
{
    if (c->n_handed == c->handed_cap) {
        size_t cap = c->handed_cap ? c->handed_cap * 2 : 16;
        int64_t *p = gn_reallocarray(c->handed, cap, sizeof *p);
        if (!p)
            return 0;
        c->handed = p;
        c->handed_cap = cap;
    }
    c->handed[c->n_handed++] = number;
    return 1;
}

static void handed_remove(gn_campaign *c, int64_t number)
{
    size_t i;
    for (i = 0; i < c->n_handed; i++)
        if (c->handed[i] == number) {
            c->handed[i] = c->handed[--c->n_handed];
            return;
        }
}

/* Writes the prediction of a stored experiment into mean/sd (NaN where
 * there is none). */
static void stored_prediction(const gn_campaign *c, const gn_experiment_rec *e, double *mean, double *sd)
{
    size_t j, m = c->spec->n_objectives;
    json_t *o = NULL;
    json_error_t jerr;

    for (j = 0; j < m; j++) {
        if (mean)
            mean[j] = NAN;
        if (sd)
            sd[j] = NAN;
    }
    if (!e->prediction || !(o = json_loads(e->prediction, 0, &jerr)))
        return;
    for (j = 0; j < m; j++) {
        json_t *p = json_object_get(o, c->spec->objectives[j].name);
        json_t *mv = json_object_get(p, "mean"), *sv = json_object_get(p, "sd");
        if (mean && json_is_number(mv))
            mean[j] = json_number_value(mv);
        if (sd && json_is_number(sv))
            sd[j] = json_number_value(sv);
    }
    json_decref(o);
}

/* Shared by gn_campaign_ask (reuse = 1: proposals nobody ran come first)
 * and gn_campaign_ask_new (reuse = 0). */
static gn_status ask_impl(gn_campaign *c, size_t n, int reuse, int64_t *numbers, double *x, double *mean,
                          double *sd, size_t *n_out)
{
    gn_experiment_rec *exps = NULL, *fresh = NULL;
    double *pending = NULL;
    size_t n_exps = 0, n_fresh = 0, i, k = 0, d, m;
    long busy = 0, allowed;
    gn_status st;

    if (!c || !n_out || (n && (!numbers || !x)))
        return GN_ERR_INVALID;
    *n_out = 0;
    gn_err_clear(&c->err);
    d = c->space.dim;
    m = c->spec->n_objectives;
    st = gn_store_experiment_list(c->db->store, c->rec.id, NULL, &exps, &n_exps, &c->err);
    if (st != GN_OK)
        goto out;
    st = gn__campaign_tell_new(c, exps, n_exps, &c->err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n_exps; i++)
        if (exps[i].status != GN_EXP_ABANDONED)
            busy++;
    for (i = 0; reuse && i < n_exps && k < n; i++) {
        if (exps[i].status != GN_EXP_PROPOSED || handed_has(c, exps[i].number))
            continue;
        st = gn__campaign_point(c, &exps[i], x + k * d, &c->err);
        if (st != GN_OK)
            goto out;
        if (!handed_add(c, exps[i].number)) {
            st = gn_err_nomem(&c->err);
            goto out;
        }
        numbers[k] = exps[i].number;
        stored_prediction(c, &exps[i], mean ? mean + k * m : NULL, sd ? sd + k * m : NULL);
        k++;
    }
    allowed = c->rec.budget - busy;
    if (k < n && allowed > 0) {
        size_t want = n - k < (size_t)allowed ? n - k : (size_t)allowed, n_pending = 0;
        pending = gn_calloc((n_exps ? n_exps : 1) * (d ? d : 1), sizeof *pending);
        if (!pending) {
            st = gn_err_nomem(&c->err);
            goto out;
        }
        for (i = 0; i < n_exps; i++) {
            if (exps[i].status != GN_EXP_PROPOSED && exps[i].status != GN_EXP_RUNNING)
                continue;
            st = gn__campaign_point(c, &exps[i], pending + n_pending * d, &c->err);
            if (st != GN_OK)
                goto out;
            n_pending++;
        }
        st = gn__campaign_propose(c, pending, n_pending, n_exps ? (long)exps[n_exps - 1].number : 0,
                                  want, &fresh, &c->err);
        if (st != GN_OK)
            goto out;
        n_fresh = want;
        for (i = 0; i < want; i++, k++) {
            st = gn__campaign_point(c, &fresh[i], x + k * d, &c->err);
            if (st != GN_OK)
                goto out;
            if (!handed_add(c, fresh[i].number)) {
                st = gn_err_nomem(&c->err);
                goto out;
            }
            numbers[k] = fresh[i].number;
            stored_prediction(c, &fresh[i], mean ? mean + k * m : NULL, sd ? sd + k * m : NULL);
        }
    }
    *n_out = k;
out:
    gn_experiment_rec_array_free(fresh, n_fresh);
    gn_free(pending);
    gn_experiment_rec_array_free(exps, n_exps);
    return st;
}

gn_status gn_campaign_ask(gn_campaign *c, size_t n, int64_t *numbers, double *x, double *mean, double *sd,
                          size_t *n_out)
{
    return ask_impl(c, n, 1, numbers, x, mean, sd, n_out);
}

gn_status gn_campaign_ask_new(gn_campaign *c, size_t n, int64_t *numbers, double *x, double *mean,
                              double *sd, size_t *n_out)
{
    return ask_impl(c, n, 0, numbers, x, mean, sd, n_out);
}

/* ---- tell ----------------------------------------------------------------- */

/* Records a finished manual attempt of experiment `number`. */
static gn_status tell_record(gn_campaign *c, int64_t number, gn_exp_status exp_status,
                             const char *outcome, const char *reason)
{
    return gn__campaign_tell_record(c, number, exp_status, outcome, reason, 0);
}

gn_status gn__campaign_tell_record(gn_campaign *c, int64_t number, gn_exp_status exp_status,
                                   const char *outcome, const char *reason, int allow_running)
{
    gn_experiment_rec e;
    gn_attempt_rec a;
    gn_attempt_finish f;
    char host[256] = "";
    gn_status st;

    memset(&e, 0, sizeof e);
    memset(&a, 0, sizeof a);
    st = gn_store_experiment_get(c->db->store, c->rec.id, number, &e, &c->err);
    if (st == GN_ERR_NOT_FOUND)
        return gn_err_set(&c->err, GN_ERR_NOT_FOUND, "campaign '%s' has no experiment %lld",
                          c->rec.name, (long long)number);
    if (st != GN_OK)
        return st;
    if (e.status != GN_EXP_PROPOSED && !(allow_running && e.status == GN_EXP_RUNNING)) {
        if (e.status == GN_EXP_RUNNING)
            st = gn_err_set(&c->err, GN_ERR_STATE,
                            "experiment %lld of '%s' is being run by its runner (attempt %d); its "
                            "outcome comes from the runner",
                            (long long)number, c->rec.name, e.attempts);
        else
            st = gn_err_set(&c->err, GN_ERR_STATE, "experiment %lld of '%s' is %s already; nothing recorded",
                            (long long)number, c->rec.name, gn_exp_status_name(e.status));
        goto out;
    }
    gethostname(host, sizeof host - 1);
    a.experiment_id = e.id;
    a.number = e.attempts + 1;
    a.status = exp_status == GN_EXP_COMPLETED ? GN_ATT_SUCCEEDED : GN_ATT_FAILED;
    a.runner = "manual";
    a.host = host;
    a.started = a.finished = gn_time_wall();
    a.exit_code = -1;
    a.reason = (char *)reason;
    a.outcome = (char *)outcome;
    f.attempt = &a;
    f.exp_status = exp_status;
    f.exp_outcome = outcome;
    st = gn_store_attempts_finish(c->db->store, &f, 1, &c->err);
    if (st == GN_OK)
        handed_remove(c, number);
out:
    gn_experiment_rec_free(&e);
    return st;
}

gn_status gn__campaign_values_json(size_t n, const char *const *names, const double *values,
                                   char **text, gn_err *err)
{
    json_t *o = NULL;
    gn_status st = GN_OK;
    size_t i;

    *text = NULL;
    o = json_object();
    if (!o)
        return gn_err_nomem(err);
    for (i = 0; i < n; i++) {
        if (!names[i] || !names[i][0]) {
            st = gn_err_set(err, GN_ERR_OUTCOME, "outcome %zu has no name", i + 1);
            goto out;
        }
        if (!isfinite(values[i])) {
            st = gn_err_set(err, GN_ERR_OUTCOME, "outcome '%s' is not a finite number", names[i]);
            goto out;
        }
        if (json_object_set_new(o, names[i], json_real(values[i])) != 0) {
            st = gn_err_nomem(err);
            goto out;
        }
    }
    *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!*text)
        st = gn_err_nomem(err);
out:
    json_decref(o);
    return st;
}

gn_status gn_campaign_tell(gn_campaign *c, int64_t number, size_t n, const char *const *names,
                           const double *values)
{
    char *text = NULL;
    gn_status st;

    if (!c || (n && (!names || !values)))
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    st = gn__campaign_values_json(n, names, values, &text, &c->err);
    if (st != GN_OK)
        goto out;
    st = gn__campaign_outcome_values(c, text, NULL, NULL, &c->err);
    if (st != GN_OK) {
        gn_err_prefix(&c->err, "experiment %lld: nothing recorded", (long long)number);
        goto out;
    }
    st = tell_record(c, number, GN_EXP_COMPLETED, text, NULL);
out:
    free(text);
    return st;
}

gn_status gn_campaign_tell_failure(gn_campaign *c, int64_t number, const char *reason)
{
    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    return tell_record(c, number, GN_EXP_FAILED, NULL, reason && *reason ? reason : "reported failed");
}

/* ---- best ----------------------------------------------------------------- */

gn_status gn_campaign_best(gn_campaign *c, int64_t *number, double *x, double *y)
{
    gn_experiment_rec *exps = NULL;
    size_t n = 0, i, best = (size_t)-1, m;
    double yy[GN_SPEC_MAX_OBJECTIVES], best_y[GN_SPEC_MAX_OBJECTIVES], sign;
    gn_exp_status completed = GN_EXP_COMPLETED;
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    m = c->spec->n_objectives;
    sign = c->spec->objectives[0].maximize ? 1.0 : -1.0;
    st = gn_store_experiment_list(c->db->store, c->rec.id, &completed, &exps, &n, &c->err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < n; i++) {
        if (!gn__campaign_feasible_outcome(c, exps[i].outcome, yy))
            continue;
        if (best == (size_t)-1 || sign * yy[0] > sign * best_y[0]) {
            best = i;
            memcpy(best_y, yy, m * sizeof *yy);
        }
    }
    if (best == (size_t)-1) {
        st = gn_err_set(&c->err, GN_ERR_NOT_FOUND, "campaign '%s' has no completed experiment %s",
                        c->rec.name,
                        c->spec->n_outcome_constraints ? "that meets its outcome constraints" : "yet");
        goto out;
    }
    if (number)
        *number = exps[best].number;
    if (y)
        memcpy(y, best_y, m * sizeof *y);
    if (x)
        st = gn__campaign_point(c, &exps[best], x, &c->err);
out:
    gn_experiment_rec_array_free(exps, n);
    return st;
}

char *gn__campaign_default_workdir(const gn_campaign *c)
{
    char *abs = realpath(c->db->path, NULL), *s;
    s = gn_asprintf("%s.runs/%s", abs ? abs : c->db->path, c->rec.name);
    free(abs);
    return s;
}
