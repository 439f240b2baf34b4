/*
 * serve/handles.c - the cache of open campaign handles.
 *
 * A gn_campaign holds the planner's state, which is expensive to rebuild,
 * and is not thread-safe. The service keeps at most one handle per
 * campaign, each with its own database connection and a mutex held for
 * the whole of a call on it. Every acquire refreshes the campaign record
 * (another process may have paused it). Unused handles beyond max_open
 * are closed, least recently used first.
 *
 * Lock order: the cache lock, then never a handle's mutex while holding
 * it (a handle is pinned by refs, then locked outside the cache lock).
 *
 * Tells are group-committed (gn__handles_tell): they queue on the handle
 * (its qmu); one thread leads, runs a batch under the handle's mutex as
 * savepoints of one store transaction (store_lease.h), commits once and
 * wakes the batch. qmu is never held with mu.
 *
 * Reads of the campaign object do not take a handle: gn__handles_view
 * keeps, per campaign id, the parsed spec, its parameters and objectives
 * as JSON, and the best completed experiment with the count of completed
 * experiments it is of. A read passes its own count: equal, the cached
 * best; different (another process told, say), recomputed. A batch of
 * tells folds its outcomes in after its commit when the view's count was
 * exactly that before the batch (counted inside the batch's transaction).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "campaign/service.h"
#include "core/timeutil.h"
#include "serve/http.h"
#include "spec/spec.h"
#include "store/store_lease.h"

_Static_assert(GN_SPEC_MAX_OBJECTIVES <= 16, "gn__best.y holds GN_SPEC_MAX_OBJECTIVES");

/* A campaign's read view (gn__handles_view). */
typedef struct view {
    int64_t id;
    double created;
    gn_spec *spec;
    json_t *params, *objectives;
    long completed; /* best is of this many completed experiments; -1: not known */
    gn__best best;
    struct view *next;
} view;

struct gn__handles {
    pthread_mutex_t mu;
    char *db_path;
    size_t max_open, n_open;
    gn__chandle *head;
    pthread_mutex_t vmu; /* the views */
    view *views;
    size_t n_views;
};

gn__handles *gn__handles_new(const char *db_path, size_t max_open)
{
    gn__handles *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->db_path = strdup(db_path);
    if (!h->db_path) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->vmu, NULL);
    h->max_open = max_open ? max_open : 64;
    return h;
}

static void chandle_free(gn__chandle *ch)
{
    gn_campaign_close(ch->c);
    gn_db_close(ch->db);
    pthread_mutex_destroy(&ch->mu);
    pthread_mutex_destroy(&ch->qmu);
    pthread_cond_destroy(&ch->qcv);
    free(ch);
}

static void chandle_init(gn__chandle *ch)
{
    pthread_mutex_init(&ch->mu, NULL);
    pthread_mutex_init(&ch->qmu, NULL);
    pthread_cond_init(&ch->qcv, NULL);
}

static void view_free(view *v)
{
    if (!v)
        return;
    gn_spec_free(v->spec);
    json_decref(v->params);
    json_decref(v->objectives);
    free(v);
}

void gn__handles_free(gn__handles *h)
{
    gn__chandle *ch, *next;
    if (!h)
        return;
    for (ch = h->head; ch; ch = next) {
        next = ch->next;
        chandle_free(ch);
    }
    while (h->views) {
        view *v = h->views;
        h->views = v->next;
        view_free(v);
    }
    pthread_mutex_destroy(&h->vmu);
    pthread_mutex_destroy(&h->mu);
    free(h->db_path);
    free(h);
}

/* Unlinks and returns unused handles over the limit (cache lock held). */
static gn__chandle *evict_locked(gn__handles *h)
{
    gn__chandle *out = NULL;
    while (h->n_open > h->max_open) {
        gn__chandle **pp, **victim = NULL;
        for (pp = &h->head; *pp; pp = &(*pp)->next)
            if ((*pp)->refs == 0 && (!victim || (*pp)->last_used < (*victim)->last_used))
                victim = pp;
        if (!victim)
            break;
        {
            gn__chandle *v = *victim;
            *victim = v->next;
            v->next = out;
            out = v;
            h->n_open--;
        }
    }
    return out;
}

static void free_list(gn__chandle *l)
{
    while (l) {
        gn__chandle *next = l->next;
        chandle_free(l);
        l = next;
    }
}

/* Drops one reference; a broken handle with none left is removed. */
static void unref(gn__handles *h, gn__chandle *ch)
{
    gn__chandle *dead = NULL, **pp;
    pthread_mutex_lock(&h->mu);
    ch->refs--;
    ch->last_used = gn_time_mono();
    if (ch->broken && ch->refs == 0) {
        for (pp = &h->head; *pp; pp = &(*pp)->next)
            if (*pp == ch) {
                *pp = ch->next;
                h->n_open--;
                dead = ch;
                dead->next = NULL;
                break;
            }
    }
    {
        gn__chandle *ev = evict_locked(h);
        pthread_mutex_unlock(&h->mu);
        free_list(ev);
    }
    if (dead)
        chandle_free(dead);
}

/* Finds or makes the entry of `name` and takes a reference (NULL: no
 * memory). */
static gn__chandle *pin(gn__handles *h, const char *name)
{
    gn__chandle *ch;

    pthread_mutex_lock(&h->mu);
    for (ch = h->head; ch; ch = ch->next)
        if (!ch->broken && !strcmp(ch->name, name))
            break;
    if (!ch) {
        ch = calloc(1, sizeof *ch);
        if (!ch) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        snprintf(ch->name, sizeof ch->name, "%s", name);
        chandle_init(ch);
        ch->next = h->head;
        h->head = ch;
        h->n_open++;
    }
    ch->refs++;
    pthread_mutex_unlock(&h->mu);
    return ch;
}

/* Opens or refreshes the campaign of a pinned handle (ch->mu held); a
 * failure marks it broken. */
static gn_status open_locked(gn__handles *h, gn__chandle *ch, gn_err *err)
{
    gn_status st;

    if (!ch->c) {
        if (!ch->db) {
            st = gn_db_open(h->db_path, &ch->db);
            if (st != GN_OK) {
                gn_err_set(err, st, "%s", gn_db_errmsg(ch->db));
                gn_db_close(ch->db);
                ch->db = NULL;
                goto fail;
            }
            /* the server's main thread checkpoints (server.c): a tell's
             * commit does not copy the WAL into the database */
            {
                gn_err ignored;
                (void)gn_store_wal_autocheckpoint(ch->db->store, 0, &ignored);
            }
        }
        st = gn_campaign_open(ch->db, ch->name, &ch->c);
        if (st != GN_OK) {
            gn_err_set(err, st, "%s", gn_db_errmsg(ch->db));
            ch->c = NULL;
            goto fail;
        }
    } else {
        st = gn__campaign_refresh(ch->c);
        if (st != GN_OK) {
            gn_err_set(err, st, "%s", gn_campaign_errmsg(ch->c));
            goto fail;
        }
    }
    return GN_OK;
fail:
    /* a campaign that cannot be opened or refreshed is not kept */
    ch->broken = 1;
    return st;
}

gn_status gn__handles_acquire(gn__handles *h, const char *name, gn__chandle **out, gn_err *err)
{
    gn__chandle *ch;
    gn_status st;

    *out = NULL;
    ch = pin(h, name);
    if (!ch)
        return gn_err_nomem(err);
    pthread_mutex_lock(&ch->mu);
    st = open_locked(h, ch, err);
    if (st != GN_OK) {
        pthread_mutex_unlock(&ch->mu);
        unref(h, ch);
        return st;
    }
    *out = ch;
    return GN_OK;
}

void gn__handles_release(gn__handles *h, gn__chandle *ch)
{
    if (!ch)
        return;
    pthread_mutex_unlock(&ch->mu);
    unref(h, ch);
}

gn_status gn__handles_new_db(gn__handles *h, gn_db **db, gn_err *err)
{
    gn_status st = gn_db_open(h->db_path, db);
    if (st != GN_OK) {
        gn_err_set(err, st, "%s", gn_db_errmsg(*db));
        gn_db_close(*db);
        *db = NULL;
    } else {
        gn_err ignored;
        (void)gn_store_wal_autocheckpoint((*db)->store, 0, &ignored);
    }
    return st;
}

gn__chandle *gn__handles_adopt(gn__handles *h, gn_db *db, gn_campaign *c)
{
    gn__chandle *ch, *existing;

    ch = calloc(1, sizeof *ch);
    if (!ch) {
        gn_campaign_close(c);
        gn_db_close(db);
        return NULL;
    }
    snprintf(ch->name, sizeof ch->name, "%s", gn_campaign_name(c));
    chandle_init(ch);
    ch->db = db;
    ch->c = c;
    ch->refs = 1;
    pthread_mutex_lock(&h->mu);
    for (existing = h->head; existing; existing = existing->next)
        if (!existing->broken && !strcmp(existing->name, ch->name))
            break;
    if (existing) {
        /* someone looked the new name up first: theirs wins */
        pthread_mutex_unlock(&h->mu);
        chandle_free(ch);
        return NULL;
    }
    ch->next = h->head;
    h->head = ch;
    h->n_open++;
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_lock(&ch->mu);
    return ch;
}

/* ---- group commit of tells ------------------------------------------------ */

static int view_has(gn__handles *h, int64_t id, double created);
static void view_fold(gn__handles *h, int64_t id, double created, long count_after,
                      const gn__tell_job *list);

#define BATCH_MAX 64

/* Runs the jobs of `list` in one batch (ch->mu held). */
static void run_batch(gn__handles *h, gn__chandle *ch, gn__tell_job *list)
{
    gn__tell_job *j;
    gn_store *s;
    gn_err err;
    gn_status st;

    gn_err_clear(&err);
    st = open_locked(h, ch, &err);
    if (st == GN_OK) {
        s = ch->db->store;
        st = gn_store_batch_begin(s, &err);
    }
    if (st != GN_OK) {
        for (j = list; j; j = j->next) {
            j->st = st;
            j->err = err;
        }
        return;
    }
    for (j = list; j; j = j->next) {
        gn_audit_defer_begin(s, j->ev);
        j->st = gn__campaign_tell_req(ch->c, j->number, j->req, &j->replayed, &j->stored);
        gn_audit_defer_end(s);
        if (j->st != GN_OK)
            gn_err_set(&j->err, j->st, "%s", gn_campaign_errmsg(ch->c));
    }
    /* the read view's best follows the tells (no recount of outcomes):
     * the completed count inside the transaction, exact under its lock */
    {
        const gn_campaign_rec *r = gn__campaign_rec(ch->c);
        int64_t cid = r->id;
        double created = r->created;
        long count_after = -1;
        gn_campaign_counts n;
        gn_err ignored;
        if (view_has(h, cid, created) &&
            gn_store_campaign_status_counts(s, cid, &n, &ignored) == GN_OK)
            count_after = n.completed;
        st = gn_store_batch_end(s, 1, &err);
        if (st == GN_OK && count_after >= 0)
            view_fold(h, cid, created, count_after, list);
    }
    if (st != GN_OK) {
        /* nothing of the batch is on disk: every tell of it failed; the
         * handle's in-memory state may have run ahead, so it is reopened */
        ch->broken = 1;
        for (j = list; j; j = j->next)
            if (j->st == GN_OK) {
                j->st = st;
                j->err = err;
                j->replayed = 0;
                gn_string_free(j->stored);
                j->stored = NULL;
            }
    }
}

gn_status gn__handles_tell(gn__handles *h, const char *name, gn__tell_job *job)
{
    gn__chandle *ch;

    job->done = 0;
    job->next = NULL;
    job->stored = NULL;
    job->replayed = 0;
    gn_err_clear(&job->err);
    ch = pin(h, name);
    if (!ch) {
        job->st = gn_err_nomem(&job->err);
        return job->st;
    }
    pthread_mutex_lock(&ch->qmu);
    if (ch->qtail)
        ch->qtail->next = job;
    else
        ch->qhead = job;
    ch->qtail = job;
    while (!job->done) {
        if (ch->leading) {
            pthread_cond_wait(&ch->qcv, &ch->qmu);
            continue;
        }
        /* lead: commit batches until this job's is done */
        ch->leading = 1;
        while (!job->done) {
            gn__tell_job *list = ch->qhead, *last = list, *j, *next;
            size_t n = 1;
            while (last->next && n < BATCH_MAX) {
                last = last->next;
                n++;
            }
            ch->qhead = last->next;
            if (!ch->qhead)
                ch->qtail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&ch->qmu);
            pthread_mutex_lock(&ch->mu);
            run_batch(h, ch, list);
            pthread_mutex_unlock(&ch->mu);
            pthread_mutex_lock(&ch->qmu);
            for (j = list; j; j = next) {
                next = j->next; /* a follower frees its job once done */
                j->done = 1;
            }
            pthread_cond_broadcast(&ch->qcv);
        }
        ch->leading = 0;
        if (ch->qhead)
            pthread_cond_broadcast(&ch->qcv); /* someone else leads */
    }
    pthread_mutex_unlock(&ch->qmu);
    unref(h, ch);
    return job->st;
}

/* ---- read views -------------------------------------------------------------- */

#define VIEWS_MAX 256

static json_t *params_json(const gn_spec *sp)
{
    static const char *types[] = {"real", "int", "choice"};
    json_t *params = json_array();
    size_t i;

    for (i = 0; params && i < sp->n_params; i++) {
        const gn_param *p = &sp->params[i];
        json_t *po = json_pack("{s:s, s:s}", "name", p->name, "type", types[p->type]);
        if (po && p->type != GN_PARAM_CHOICE) {
            json_object_set_new(po, "low", json_real(p->low));
            json_object_set_new(po, "high", json_real(p->high));
            json_object_set_new(po, "scale", json_string(p->log_scale ? "log" : "linear"));
        } else if (po) {
            json_t *vals = json_array();
            size_t k;
            for (k = 0; k < p->n_choices; k++)
                json_array_append_new(vals, json_string(p->choices[k]));
            json_object_set_new(po, "values", vals);
        }
        if (po && p->unit)
            json_object_set_new(po, "unit", json_string(p->unit));
        json_array_append_new(params, po);
    }
    return params;
}

static json_t *objectives_json(const gn_spec *sp)
{
    json_t *objs = json_array();
    size_t i;
    for (i = 0; objs && i < sp->n_objectives; i++)
        json_array_append_new(objs, json_pack("{s:s, s:s}", "name", sp->objectives[i].name,
                                              "goal",
                                              sp->objectives[i].maximize ? "maximize"
                                                                         : "minimize"));
    return objs;
}

/* As gn__campaign_feasible_outcome: the objectives of a feasible outcome. */
static int feasible(const gn_spec *sp, const char *outcome, double *y)
{
    json_t *o, *v;
    size_t j;
    int ok = 1;

    if (!outcome || !(o = json_loads(outcome, 0, NULL)))
        return 0;
    if (!json_is_object(o))
        ok = 0;
    for (j = 0; ok && j < sp->n_objectives; j++) {
        v = json_object_get(o, sp->objectives[j].name);
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            ok = 0;
        else
            y[j] = json_number_value(v);
    }
    for (j = 0; ok && j < sp->n_outcome_constraints; j++) {
        const gn_outcome_constraint *oc = &sp->outcome_constraints[j];
        double c;
        v = json_object_get(o, oc->name);
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            ok = 0;
        else if (c = json_number_value(v), (oc->has_min && c < oc->min) ||
                                               (oc->has_max && c > oc->max))
            ok = 0;
    }
    json_decref(o);
    return ok;
}

/* As gn_campaign_best: the feasible completed experiment with the best
 * first objective, lowest number on ties. */
static gn_status best_compute(gn_store *s, const gn_spec *sp, int64_t campaign_id, gn__best *b,
                              gn_err *err)
{
    gn_experiment_rec *exps = NULL;
    gn_exp_status completed = GN_EXP_COMPLETED;
    double y[GN_SPEC_MAX_OBJECTIVES];
    double sign = sp->n_objectives && sp->objectives[0].maximize ? 1.0 : -1.0;
    size_t n = 0, i;
    gn_status st;

    memset(b, 0, sizeof *b);
    st = gn_store_experiment_list(s, campaign_id, &completed, &exps, &n, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < n; i++) {
        if (!sp->n_objectives || !feasible(sp, exps[i].outcome, y))
            continue;
        if (!b->found || sign * y[0] > sign * b->y[0]) {
            b->found = 1;
            b->number = exps[i].number;
            b->id = exps[i].id;
            memcpy(b->y, y, sp->n_objectives * sizeof *y);
        }
    }
    gn_experiment_rec_array_free(exps, n);
    return GN_OK;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

gn_status gn__handles_view(gn__handles *h, gn_store *s, const gn_campaign_rec *rec,
                           long completed, json_t **params, json_t **objectives,
                           gn__best *best, gn_err *err)
{
    view *v, **pp;
    gn_spec *sp = NULL;
    gn__best b;
    gn_status st;

    *params = *objectives = NULL;
    pthread_mutex_lock(&h->vmu);
    for (pp = &h->views; *pp; pp = &(*pp)->next)
        if ((*pp)->id == rec->id)
            break;
    v = *pp;
    if (v && v->created != rec->created) { /* another campaign with the same id */
        *pp = v->next;
        h->n_views--;
        view_free(v);
        v = NULL;
    }
    if (v) {
        /* most recently used first */
        *pp = v->next;
        v->next = h->views;
        h->views = v;
        *params = json_deep_copy(v->params);
        *objectives = json_deep_copy(v->objectives);
        if (v->completed == completed) {
            *best = v->best;
            pthread_mutex_unlock(&h->vmu);
            goto done;
        }
        pthread_mutex_unlock(&h->vmu);
    } else {
        char *base = NULL;
        pthread_mutex_unlock(&h->vmu);
        if (!rec->spec_text)
            return gn_err_set(err, GN_ERR_STATE, "campaign '%s' has no spec", rec->name);
        if (rec->spec_path && !(base = dir_of(rec->spec_path)))
            return gn_err_nomem(err);
        st = gn_spec_parse(rec->spec_text, strlen(rec->spec_text), rec->name, base, &sp, err);
        free(base);
        if (st != GN_OK)
            return st;
        *params = params_json(sp);
        *objectives = objectives_json(sp);
    }
    /* the best of at least `completed` experiments (counted first; the
     * set only grows), outside the lock */
    {
        const gn_spec *use = sp;
        gn_spec *tmp = NULL;
        if (!use) {
            /* the cached spec is immutable and freed only with its view:
             * parse again rather than hold a pointer outside the lock */
            char *base = rec->spec_path ? dir_of(rec->spec_path) : NULL;
            st = gn_spec_parse(rec->spec_text, strlen(rec->spec_text), rec->name, base, &tmp,
                               err);
            free(base);
            if (st != GN_OK)
                goto fail;
            use = tmp;
        }
        st = best_compute(s, use, rec->id, &b, err);
        gn_spec_free(tmp);
        if (st != GN_OK)
            goto fail;
        *best = b;
    }
    pthread_mutex_lock(&h->vmu);
    for (v = h->views; v; v = v->next)
        if (v->id == rec->id && v->created == rec->created)
            break;
    if (!v && sp) {
        v = calloc(1, sizeof *v);
        if (v) {
            v->id = rec->id;
            v->created = rec->created;
            v->spec = sp;
            v->params = json_deep_copy(*params);
            v->objectives = json_deep_copy(*objectives);
            v->completed = -1;
            sp = NULL;
            v->next = h->views;
            h->views = v;
            h->n_views++;
            while (h->n_views > VIEWS_MAX) { /* drop the least recently used */
                view **q = &h->views;
                while ((*q)->next)
                    q = &(*q)->next;
                view_free(*q);
                *q = NULL;
                h->n_views--;
            }
        }
    }
    if (v && (v->completed < 0 || v->completed < completed)) {
        v->completed = completed;
        v->best = b;
    }
    pthread_mutex_unlock(&h->vmu);
    gn_spec_free(sp);
done:
    if (!*params || !*objectives) {
        json_decref(*params);
        json_decref(*objectives);
        *params = *objectives = NULL;
        return gn_err_nomem(err);
    }
    return GN_OK;
fail:
    gn_spec_free(sp);
    json_decref(*params);
    json_decref(*objectives);
    *params = *objectives = NULL;
    return st;
}

static int view_has(gn__handles *h, int64_t id, double created)
{
    view *v;
    int has = 0;
    pthread_mutex_lock(&h->vmu);
    for (v = h->views; v && !has; v = v->next)
        has = v->id == id && v->created == created;
    pthread_mutex_unlock(&h->vmu);
    return has;
}

/* The objectives of an outcome given as names and values, if feasible. */
static int feasible_values(const gn_spec *sp, const gn_tell_req *req, double *y)
{
    size_t j, k;
    for (j = 0; j < sp->n_objectives; j++) {
        for (k = 0; k < req->n; k++)
            if (!strcmp(req->names[k], sp->objectives[j].name))
                break;
        if (k == req->n || !isfinite(req->values[k]))
            return 0;
        y[j] = req->values[k];
    }
    for (j = 0; j < sp->n_outcome_constraints; j++) {
        const gn_outcome_constraint *oc = &sp->outcome_constraints[j];
        for (k = 0; k < req->n; k++)
            if (!strcmp(req->names[k], oc->name))
                break;
        if (k == req->n || !isfinite(req->values[k]) ||
            (oc->has_min && req->values[k] < oc->min) || (oc->has_max && req->values[k] > oc->max))
            return 0;
    }
    return 1;
}

/* After a batch committed: when the view's best was of the completed
 * experiments before it (count_after minus the batch's completions),
 * the batch's outcomes are folded in, and it is of count_after. */
static void view_fold(gn__handles *h, int64_t id, double created, long count_after,
                      const gn__tell_job *list)
{
    const gn__tell_job *j;
    view *v;
    long k = 0;

    for (j = list; j; j = j->next)
        if (j->st == GN_OK && !j->replayed && j->req->kind == GN_TELL_OUTCOME)
            k++;
    pthread_mutex_lock(&h->vmu);
    for (v = h->views; v; v = v->next)
        if (v->id == id && v->created == created)
            break;
    if (v && v->spec && v->completed == count_after - k) {
        const gn_spec *sp = v->spec;
        double sign = sp->n_objectives && sp->objectives[0].maximize ? 1.0 : -1.0;
        double y[GN_SPEC_MAX_OBJECTIVES];
        for (j = list; j; j = j->next) {
            if (j->st != GN_OK || j->replayed || j->req->kind != GN_TELL_OUTCOME ||
                !sp->n_objectives || !feasible_values(sp, j->req, y))
                continue;
            /* as gn_campaign_best: the best first objective, the lowest
             * number among equals */
            if (!v->best.found || sign * y[0] > sign * v->best.y[0] ||
                (y[0] == v->best.y[0] && j->number < v->best.number)) {
                v->best.found = 1;
                v->best.number = j->number;
                v->best.id = j->id;
                memcpy(v->best.y, y, sp->n_objectives * sizeof *y);
            }
        }
        v->completed = count_after;
    }
    pthread_mutex_unlock(&h->vmu);
}
