/*
 * store/store.c - the public store functions: argument checks and the
 * rules every back end shares, then dispatch through the operations table
 * (see store_impl.h). Also the record free functions and status names.
 */
#include "store/store_impl.h"

#include <string.h>

#include "core/alloc.h"

static const char *const exp_status_names[] = {
    [GN_EXP_PROPOSED] = "proposed",   [GN_EXP_RUNNING] = "running",
    [GN_EXP_COMPLETED] = "completed", [GN_EXP_FAILED] = "failed",
    [GN_EXP_ABANDONED] = "abandoned",
};

static const char *const att_status_names[] = {
    [GN_ATT_RUNNING] = "running",     [GN_ATT_SUCCEEDED] = "succeeded",
    [GN_ATT_FAILED] = "failed",       [GN_ATT_TIMEOUT] = "timeout",
    [GN_ATT_CANCELLED] = "cancelled", [GN_ATT_INTERRUPTED] = "interrupted",
};

#define N_EXP_STATUS (sizeof exp_status_names / sizeof exp_status_names[0])
#define N_ATT_STATUS (sizeof att_status_names / sizeof att_status_names[0])

/* Returns the name of s; "unknown" for a value outside the enum. */
const char *gn_exp_status_name(gn_exp_status s)
{
    if ((unsigned)s >= N_EXP_STATUS)
        return "unknown";
    return exp_status_names[s];
}

int gn_exp_status_parse(const char *name, gn_exp_status *out)
{
    size_t i;
    if (!name)
        return -1;
    for (i = 0; i < N_EXP_STATUS; i++) {
        if (!strcmp(name, exp_status_names[i])) {
            if (out)
                *out = (gn_exp_status)i;
            return 0;
        }
    }
    return -1;
}

/* Returns the name of s; "unknown" for a value outside the enum. */
const char *gn_att_status_name(gn_att_status s)
{
    if ((unsigned)s >= N_ATT_STATUS)
        return "unknown";
    return att_status_names[s];
}

int gn_att_status_parse(const char *name, gn_att_status *out)
{
    size_t i;
    if (!name)
        return -1;
    for (i = 0; i < N_ATT_STATUS; i++) {
        if (!strcmp(name, att_status_names[i])) {
            if (out)
                *out = (gn_att_status)i;
            return 0;
        }
    }
    return -1;
}

int gn__store_campaign_state_valid(const char *state)
{
    static const char *const states[] = {"active", "paused", "completed", "archived"};
    size_t i;
    if (!state)
        return 0;
    for (i = 0; i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(state, states[i]))
            return 1;
    return 0;
}

/* ---- records ------------------------------------------------------------ */

void gn_campaign_rec_free(gn_campaign_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->name);
    gn_free(rec->state);
    gn_free(rec->spec_text);
    gn_free(rec->spec_format);
    gn_free(rec->spec_path);
    gn_free(rec->project);
    gn_free(rec->classification);
    gn_free(rec->owner);
    rec->name = rec->state = rec->spec_text = rec->spec_format = rec->spec_path = NULL;
    rec->project = rec->classification = rec->owner = NULL;
}

void gn_campaign_rec_array_free(gn_campaign_rec *recs, size_t n)
{
    size_t i;
    if (!recs)
        return;
    for (i = 0; i < n; i++)
        gn_campaign_rec_free(&recs[i]);
    gn_free(recs);
}

void gn_experiment_rec_free(gn_experiment_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->params);
    gn_free(rec->prediction);
    gn_free(rec->outcome);
    gn_free(rec->origin);
    gn_free(rec->reason);
    gn_free(rec->lease_user);
    gn_free(rec->partial);
    rec->params = rec->prediction = rec->outcome = rec->origin = rec->reason = NULL;
    rec->lease_user = rec->partial = NULL;
}

void gn_experiment_rec_array_free(gn_experiment_rec *recs, size_t n)
{
    size_t i;
    if (!recs)
        return;
    for (i = 0; i < n; i++)
        gn_experiment_rec_free(&recs[i]);
    gn_free(recs);
}

void gn_attempt_rec_free(gn_attempt_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->runner);
    gn_free(rec->host);
    gn_free(rec->workdir);
    gn_free(rec->reason);
    gn_free(rec->stdout_tail);
    gn_free(rec->stderr_tail);
    gn_free(rec->outcome);
    gn_free(rec->job_id);
    gn_free(rec->job_state);
    rec->runner = rec->host = rec->workdir = rec->reason = NULL;
    rec->stdout_tail = rec->stderr_tail = rec->outcome = NULL;
    rec->job_id = rec->job_state = NULL;
}

void gn_attempt_rec_array_free(gn_attempt_rec *recs, size_t n)
{
    size_t i;
    if (!recs)
        return;
    for (i = 0; i < n; i++)
        gn_attempt_rec_free(&recs[i]);
    gn_free(recs);
}

/* ---- opening and closing ------------------------------------------------ */

gn_status gn_store_open(const char *path, gn_store **out, gn_err *err)
{
    gn_store *s = NULL;
    gn_status st;

    gn_err_clear(err);
    if (!out)
        return gn_err_set(err, GN_ERR_INVALID, "gn_store_open: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return gn_err_set(err, GN_ERR_INVALID, "gn_store_open: no path given");

    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->path = gn_strdup(path);
    if (!s->path) {
        st = gn_err_nomem(err);
        goto fail;
    }
    st = gn__store_sqlite_open(s, err);
    if (st != GN_OK)
        goto fail;
    *out = s;
    return GN_OK;

fail:
    gn_free(s->path);
    gn_free(s);
    return st;
}

void gn_store_close(gn_store *s)
{
    if (!s)
        return;
    if (s->ops)
        s->ops->close(s);
    gn_free(s->path);
    gn_free(s);
}

const char *gn_store_path(const gn_store *s) { return s ? s->path : NULL; }

void gn__store_set_busy_timeout(gn_store *s, int ms)
{
    if (s && s->ops)
        s->ops->set_busy_timeout(s, ms < 0 ? 0 : ms);
}

/* ---- argument checks, then dispatch -------------------------------------- */

gn_status gn_store_campaign_create(gn_store *s, gn_campaign_rec *rec, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && rec, "gn_store_campaign_create");
    if (!rec->name || !*rec->name)
        return gn_err_set(err, GN_ERR_INVALID, "a campaign needs a name");
    if (rec->classification && !gn_store_classification_valid(rec->classification))
        return gn_err_set(err, GN_ERR_INVALID,
                          "classification '%s' is not one of public, internal, controlled, "
                          "restricted",
                          rec->classification);
    if (rec->state && !gn__store_campaign_state_valid(rec->state))
        return gn_err_set(err, GN_ERR_INVALID,
                          "campaign state '%s' is not one of active, paused, completed, archived",
                          rec->state);
    if (rec->spec_format && strcmp(rec->spec_format, "yaml") && strcmp(rec->spec_format, "json"))
        return gn_err_set(err, GN_ERR_INVALID, "spec format '%s' is not yaml or json",
                          rec->spec_format);
    return s->ops->campaign_create(s, rec, err);
}

gn_status gn_store_campaign_get(gn_store *s, const char *name, gn_campaign_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name && out, "gn_store_campaign_get");
    return s->ops->campaign_get(s, name, out, err);
}

gn_status gn_store_campaign_list(gn_store *s, gn_campaign_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_campaign_list");
    *out = NULL;
    *n = 0;
    return s->ops->campaign_list(s, out, n, err);
}

gn_status gn_store_campaign_set_state(gn_store *s, int64_t campaign_id, const char *state,
                                      gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && state, "gn_store_campaign_set_state");
    if (!gn__store_campaign_state_valid(state))
        return gn_err_set(err, GN_ERR_INVALID,
                          "campaign state '%s' is not one of active, paused, completed, archived",
                          state);
    return s->ops->campaign_set_state(s, campaign_id, state, err);
}

gn_status gn_store_campaign_counts(gn_store *s, int64_t campaign_id, gn_campaign_counts *out,
                                   gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out, "gn_store_campaign_counts");
    return s->ops->campaign_counts(s, campaign_id, out, err);
}

gn_status gn_store_experiments_add(gn_store *s, int64_t campaign_id, gn_experiment_rec *recs,
                                   size_t n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && (recs || n == 0), "gn_store_experiments_add");
    if (n == 0)
        return GN_OK;
    return s->ops->experiments_add(s, campaign_id, recs, n, err);
}

gn_status gn_store_experiment_list(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                   gn_experiment_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_experiment_list");
    GN__STORE_NEED(!status || (unsigned)*status < N_EXP_STATUS, "gn_store_experiment_list");
    *out = NULL;
    *n = 0;
    return s->ops->experiment_list(s, campaign_id, status, out, n, err);
}

gn_status gn_store_experiment_get(gn_store *s, int64_t campaign_id, int64_t number,
                                  gn_experiment_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out, "gn_store_experiment_get");
    return s->ops->experiment_get(s, campaign_id, number, out, err);
}

gn_status gn_store_experiment_abandon(gn_store *s, int64_t experiment_id, const char *reason,
                                      gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_experiment_abandon");
    return s->ops->experiment_abandon(s, experiment_id, reason, err);
}

gn_status gn_store_attempt_start(gn_store *s, gn_attempt_rec *a, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && a, "gn_store_attempt_start");
    return s->ops->attempt_start(s, a, err);
}

/* The argument checks of a batch of finishes (attempts_finish, attempts_record). */
static gn_status check_finishes(const gn_attempt_finish *f, size_t n, gn_err *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const gn_attempt_rec *a = f[i].attempt;
        if (!a)
            return gn_err_set(err, GN_ERR_INVALID, "attempts_finish: item %zu has no attempt", i);
        if (a->status == GN_ATT_RUNNING || (unsigned)a->status >= N_ATT_STATUS)
            return gn_err_set(err, GN_ERR_INVALID,
                              "attempts_finish: item %zu: an attempt must finish with a final "
                              "status, not %d",
                              i, (int)a->status);
        if (f[i].exp_status != GN_EXP_COMPLETED && f[i].exp_status != GN_EXP_FAILED &&
            f[i].exp_status != GN_EXP_PROPOSED)
            return gn_err_set(err, GN_ERR_INVALID,
                              "attempts_finish: item %zu: an experiment becomes completed, "
                              "failed or proposed, not %d",
                              i, (int)f[i].exp_status);
        if (f[i].exp_status == GN_EXP_COMPLETED && !f[i].exp_outcome)
            return gn_err_set(err, GN_ERR_INVALID,
                              "attempts_finish: item %zu: a completed experiment needs an outcome",
                              i);
        if (a->id == 0 && a->experiment_id == 0)
            return gn_err_set(err, GN_ERR_INVALID,
                              "attempts_finish: item %zu: a new attempt needs its experiment id", i);
    }
    return GN_OK;
}

gn_status gn_store_attempts_finish(gn_store *s, gn_attempt_finish *f, size_t n, gn_err *err)
{
    gn_status st;

    gn_err_clear(err);
    GN__STORE_NEED(s && (f || n == 0), "gn_store_attempts_finish");
    st = check_finishes(f, n, err);
    if (st != GN_OK || n == 0)
        return st;
    return s->ops->attempts_finish(s, f, n, err);
}

gn_status gn_store_attempts_record(gn_store *s, gn_attempt_rec *starts, size_t n_starts,
                                   gn_attempt_finish *fin, size_t n_fin, gn_err *err)
{
    gn_status st;

    gn_err_clear(err);
    GN__STORE_NEED(s && (starts || n_starts == 0) && (fin || n_fin == 0), "gn_store_attempts_record");
    st = check_finishes(fin, n_fin, err);
    if (st != GN_OK || (n_starts == 0 && n_fin == 0))
        return st;
    return s->ops->attempts_record(s, starts, n_starts, fin, n_fin, err);
}

gn_status gn_store_attempts_job_update(gn_store *s, const gn_attempt_job *u, size_t n, gn_err *err)
{
    size_t i;

    gn_err_clear(err);
    GN__STORE_NEED(s && (u || n == 0), "gn_store_attempts_job_update");
    GN__STORE_HAVE(attempts_job_update, "gn_store_attempts_job_update");
    for (i = 0; i < n; i++)
        if (u[i].attempt_id <= 0)
            return gn_err_set(err, GN_ERR_INVALID, "job update %zu of %zu: no attempt id", i + 1, n);
    return n ? s->ops->attempts_job_update(s, u, n, err) : GN_OK;
}

gn_status gn_store_attempt_list(gn_store *s, int64_t experiment_id, gn_attempt_rec **out,
                                size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_attempt_list");
    *out = NULL;
    *n = 0;
    return s->ops->attempt_list(s, experiment_id, out, n, err);
}

gn_status gn_store_recover_interrupted(gn_store *s, int64_t campaign_id, const char *reason,
                                       gn_attempt_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && (!out) == (!n), "gn_store_recover_interrupted");
    if (out) {
        *out = NULL;
        *n = 0;
    }
    return s->ops->recover_interrupted(s, campaign_id, reason, out, n, err);
}

gn_status gn_store_recover_interrupted_keep_jobs(gn_store *s, int64_t campaign_id,
                                                 const char *reason, gn_attempt_rec **out,
                                                 size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && (!out) == (!n), "gn_store_recover_interrupted_keep_jobs");
    if (out) {
        *out = NULL;
        *n = 0;
    }
    if (!s->ops->recover_interrupted_keep_jobs)
        return gn_err_set(err, GN_ERR_UNSUPPORTED,
                          "store %s: this back end cannot keep the attempts of batch jobs",
                          s->ops->name);
    return s->ops->recover_interrupted_keep_jobs(s, campaign_id, reason, out, n, err);
}

gn_status gn_store_check(gn_store *s, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_check");
    return s->ops->check(s, err);
}

/* ---- datasets ------------------------------------------------------------- */

int gn_store_classification_valid(const char *c)
{
    static const char *const labels[] = {"public", "internal", "controlled", "restricted"};
    size_t i;
    if (!c)
        return 0;
    for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(c, labels[i]))
            return 1;
    return 0;
}

void gn_dataset_rec_free(gn_dataset_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->name);
    gn_free(rec->title);
    gn_free(rec->source);
    gn_free(rec->license);
    gn_free(rec->doi);
    gn_free(rec->classification);
    gn_free(rec->project);
    gn_free(rec->columns);
    gn_free(rec->content_hash);
    gn_free(rec->imported_by);
    memset(rec, 0, sizeof *rec);
}

void gn_dataset_rec_array_free(gn_dataset_rec *recs, size_t n)
{
    size_t i;
    if (!recs)
        return;
    for (i = 0; i < n; i++)
        gn_dataset_rec_free(&recs[i]);
    gn_free(recs);
}

gn_status gn_store_dataset_add(gn_store *s, gn_dataset_rec *rec, gn_dataset_chunk_source next,
                               void *ctx, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && rec && next, "gn_store_dataset_add");
    if (!rec->name || !*rec->name)
        return gn_err_set(err, GN_ERR_INVALID, "a dataset needs a name");
    if (rec->classification && !gn_store_classification_valid(rec->classification))
        return gn_err_set(err, GN_ERR_INVALID,
                          "classification '%s' is not one of public, internal, controlled, "
                          "restricted",
                          rec->classification);
    if (!rec->columns || rec->n_cols < 1)
        return gn_err_set(err, GN_ERR_INVALID, "a dataset needs at least one column");
    return s->ops->dataset_add(s, rec, next, ctx, err);
}

gn_status gn_store_dataset_get(gn_store *s, const char *name, int64_t version,
                               gn_dataset_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name && out && version >= 0, "gn_store_dataset_get");
    return s->ops->dataset_get(s, name, version, out, err);
}

gn_status gn_store_dataset_list(gn_store *s, int include_archived, gn_dataset_rec **out, size_t *n,
                                gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_dataset_list");
    *out = NULL;
    *n = 0;
    return s->ops->dataset_list(s, include_archived, out, n, err);
}

gn_status gn_store_dataset_rows(gn_store *s, int64_t dataset_id, gn_dataset_chunk_sink sink,
                                void *ctx, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && sink, "gn_store_dataset_rows");
    return s->ops->dataset_rows(s, dataset_id, sink, ctx, err);
}

gn_status gn_store_dataset_archive(gn_store *s, const char *name, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name, "gn_store_dataset_archive");
    return s->ops->dataset_archive(s, name, err);
}

void gn_store_set_write_hook(gn_store *s, gn_store_write_hook hook, void *ctx)
{
    if (s && s->ops && s->ops->set_write_hook)
        s->ops->set_write_hook(s, hook, ctx);
}
