/*
 * serve/routes.c - the handlers of the API (docs/api.md).
 *
 * Every handler that touches an object:
 *   1. finds it with the worker thread's connection (call->db),
 *   2. authorises the caller on it (gn_authorize): HIDDEN answers exactly
 *      what a missing object answers (404, same message), FORBIDDEN 403;
 *      both are audited as "denied",
 *   3. reads (audited when the object is controlled or restricted: if
 *      that record cannot be written, nothing is sent) or changes it
 *      through the campaign's cached handle, with the audit record
 *      deferred into the same transaction (gn_audit_defer_begin/end): the
 *      change and its record commit together or not at all.
 * A 2xx answer to a change is only sent after the library call returned
 * GN_OK, i.e. after the store committed it durably.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "campaign/service.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "genesis/genesis.h"
#include "serve/http.h"
#include "spec/spec.h"
#include "store/store_serve.h"
#include "store/store_lease.h"

#define LIST_LIMIT_DEFAULT 100
#define LEASE_DEFAULT 3600

/* ---- small helpers ------------------------------------------------------------ */

static json_t *parse_or_null(const char *t)
{
    json_t *j;
    if (!t)
        return json_null();
    j = json_loads(t, JSON_DECODE_ANY, NULL);
    return j ? j : json_null();
}

static long long query_int(const gn__call *c, const char *name, long long dflt)
{
    json_t *v = json_object_get(c->query, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static const char *query_str(const gn__call *c, const char *name)
{
    return json_string_value(json_object_get(c->query, name));
}

static long long body_int(const gn__call *c, const char *name, long long dflt)
{
    json_t *v = json_object_get(c->body, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static gn_class class_of(const char *text)
{
    gn_class cls;
    /* an unknown or missing label fails closed */
    if (!text || gn_class_parse(text, &cls) != 0)
        return GN_CLASS_RESTRICTED;
    return cls;
}

/* Maps a library status to the answer of docs/api.md. */
static void reply_status(gn__call *c, gn_status st, const char *msg)
{
    if (st != GN_OK && strstr(msg, "audit record could not be written")) {
        gn_log(GN_LOG_ERROR, "serve: %s: %s", gn_status_str(st), msg);
        gn__reply_error(c, 500, "internal", NULL,
                        "the audit record could not be written; nothing was changed");
        return;
    }
    switch (st) {
    case GN_ERR_NOT_FOUND: gn__reply_error(c, 404, "not_found", NULL, "%s", msg); break;
    case GN_ERR_EXISTS: gn__reply_error(c, 409, "exists", NULL, "%s", msg); break;
    case GN_ERR_STATE: gn__reply_error(c, 409, "conflict", NULL, "%s", msg); break;
    case GN_ERR_SPEC: gn__reply_error(c, 400, "invalid_spec", "spec", "%s", msg); break;
    case GN_ERR_OUTCOME:
    case GN_ERR_INVALID:
    case GN_ERR_LIMIT: gn__reply_error(c, 400, "bad_request", NULL, "%s", msg); break;
    case GN_ERR_DENIED: gn__reply_error(c, 403, "forbidden", NULL, "%s", msg); break;
    case GN_ERR_BUSY:
        gn__reply_error(c, 503, "unavailable", NULL, "the database is busy; retry");
        break;
    default:
        gn_log(GN_LOG_ERROR, "serve: %s: %s", gn_status_str(st), msg);
        gn__reply_error(c, 500, "internal", NULL, "internal error (%s); see the server log",
                        gn_status_str(st));
        break;
    }
}

static gn_audit_event event(const gn__call *c, const char *action, const char *object,
                            const char *result, const char *detail)
{
    gn_audit_event ev;
    ev.user = c->p ? c->p->user : NULL;
    ev.token_id = c->p ? c->p->token_id : 0;
    ev.action = action;
    ev.object = object;
    ev.result = result;
    ev.detail = detail;
    ev.remote = c->remote;
    return ev;
}

/* Audits a read of a controlled or restricted object. -1 (and a 500
 * reply) when the record cannot be written: the data is not sent. */
static int audit_read(gn__call *c, gn_class cls, const char *action, const char *object,
                      const char *detail)
{
    gn_audit_event ev;
    gn_err err;
    if (cls < GN_CLASS_CONTROLLED)
        return 0;
    ev = event(c, action, object, "ok", detail);
    gn_err_clear(&err);
    if (gn_audit_append(c->db->store, &ev, &err) != GN_OK) {
        gn_log(GN_LOG_ERROR, "serve: audit: %s", err.msg);
        gn__reply_error(c, 500, "internal", NULL,
                        "the audit record of this read could not be written");
        return -1;
    }
    return 0;
}

/* Authorises act on an object of (project, cls). 0: allowed. Otherwise
 * the reply is set: 404 with not_found_msg when hidden (exactly as for a
 * missing object), 403 when forbidden; both audited. */
static int authorize(gn__call *c, gn_action act, const char *project, const char *cls,
                     const char *action, const char *object, const char *not_found_msg)
{
    gn_authz z = gn_authorize(c->p, act, project ? project : "default", class_of(cls));
    gn_audit_event ev;
    gn_err err;

    if (z == GN_AUTHZ_ALLOW)
        return 0;
    ev = event(c, action, object, "denied", z == GN_AUTHZ_HIDDEN ? "not visible" : "role");
    gn_audit_append(c->db->store, &ev, &err);
    if (z == GN_AUTHZ_HIDDEN)
        gn__reply_error(c, 404, "not_found", NULL, "%s", not_found_msg);
    else
        gn__reply_error(c, 403, "forbidden", NULL, "your role in project '%s' does not allow this",
                        project ? project : "default");
    return -1;
}

/* ---- objects ------------------------------------------------------------------- */

static json_t *counts_json(const gn_campaign_counts *n)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "proposed", (json_int_t)n->proposed, "running",
                     (json_int_t)n->running, "completed", (json_int_t)n->completed, "failed",
                     (json_int_t)n->failed, "abandoned", (json_int_t)n->abandoned);
}

/* The campaign summary of listings (no spec parsing). */
static json_t *campaign_summary_json(const gn_campaign_rec *r, const gn_campaign_counts *n)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:o, s:f, s:f}", "name", r->name, "project",
                     r->project ? r->project : "default", "classification",
                     r->classification ? r->classification : "internal", "owner",
                     r->owner ? json_string(r->owner) : json_null(), "state", r->state, "budget",
                     (json_int_t)r->budget, "counts", counts_json(n), "created", r->created,
                     "updated", r->updated);
}

/* The whole campaign object, from its handle (locked by the caller). */
static json_t *campaign_json(gn_campaign *c, gn_err *err)
{
    const gn_campaign_rec *r = gn__campaign_rec(c);
    gn_campaign_counts n;
    json_t *o, *params, *objs, *best = json_null();
    int64_t number;
    double y[GN_SPEC_MAX_OBJECTIVES];
    size_t i;

    if (gn_store_campaign_counts(c->db->store, r->id, &n, err) != GN_OK)
        return NULL;
    if (gn_campaign_best(c, &number, NULL, y) == GN_OK) {
        gn_experiment_rec e;
        json_t *objv = json_object();
        memset(&e, 0, sizeof e);
        for (i = 0; i < c->spec->n_objectives; i++)
            json_object_set_new(objv, c->spec->objectives[i].name, json_real(y[i]));
        json_decref(best);
        best = json_pack("{s:I, s:I, s:o}", "experiment", (json_int_t)0, "number",
                         (json_int_t)number, "objectives", objv);
        if (gn_store_experiment_get(c->db->store, r->id, number, &e, NULL) == GN_OK)
            json_object_set_new(best, "experiment", json_integer(e.id));
        gn_experiment_rec_free(&e);
    }
    params = json_array();
    objs = json_array();
    for (i = 0; i < c->spec->n_params; i++) {
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
            for (k = 0; k < p->n_choices; k++)
                json_array_append_new(vals, json_string(p->choices[k]));
            json_object_set_new(po, "values", vals);
        }
        if (po && p->unit)
            json_object_set_new(po, "unit", json_string(p->unit));
        json_array_append_new(params, po);
    }
    for (i = 0; i < c->spec->n_objectives; i++)
        json_array_append_new(objs, json_pack("{s:s, s:s}", "name", c->spec->objectives[i].name,
                                              "goal",
                                              c->spec->objectives[i].maximize ? "maximize"
                                                                              : "minimize"));
    o = campaign_summary_json(r, &n);
    if (!o) {
        json_decref(params);
        json_decref(objs);
        json_decref(best);
        gn_err_nomem(err);
        return NULL;
    }
    json_object_set_new(o, "parameters", params);
    json_object_set_new(o, "objectives", objs);
    json_object_set_new(o, "best", best);
    return o;
}

/* The campaign object of a read, without the campaign's handle: counts by
 * one indexed GROUP BY, the spec's parts and the best experiment from the
 * server's read view (handles.c), re-validated against the count of
 * completed experiments. NULL (err set) on failure. */
static json_t *campaign_view_json(gn__call *c, const gn_campaign_rec *r, gn_err *err)
{
    gn_campaign_counts n;
    json_t *o, *params = NULL, *objs = NULL, *best = json_null();
    gn__best b;
    size_t i;

    if (gn_store_campaign_status_counts(c->db->store, r->id, &n, err) != GN_OK)
        return NULL;
    if (gn__handles_view(gn__server_handles(c->srv), c->db->store, r, n.completed, &params, &objs,
                         &b, err) != GN_OK)
        return NULL;
    if (b.found) {
        json_t *objv = json_object();
        for (i = 0; objv && i < json_array_size(objs) && i < 16; i++) {
            const char *name =
                json_string_value(json_object_get(json_array_get(objs, i), "name"));
            if (name)
                json_object_set_new(objv, name, json_real(b.y[i]));
        }
        best = json_pack("{s:I, s:I, s:o}", "experiment", (json_int_t)b.id, "number",
                         (json_int_t)b.number, "objectives", objv);
    }
    o = campaign_summary_json(r, &n);
    if (!o || !best) {
        json_decref(o);
        json_decref(params);
        json_decref(objs);
        json_decref(best);
        gn_err_nomem(err);
        return NULL;
    }
    json_object_set_new(o, "parameters", params);
    json_object_set_new(o, "objectives", objs);
    json_object_set_new(o, "best", best);
    return o;
}

static int exp_open(gn_exp_status s) { return s == GN_EXP_PROPOSED || s == GN_EXP_RUNNING; }

/* A failed experiment's reason is its last attempt's (the store keeps a
 * told failure there); e->reason is filled from it when empty. */
static void failure_reason(gn_store *st, gn_experiment_rec *e)
{
    gn_attempt_rec *atts = NULL;
    size_t n = 0;
    if (e->status != GN_EXP_FAILED || e->reason)
        return;
    if (gn_store_attempt_list(st, e->id, &atts, &n, NULL) == GN_OK && n > 0 &&
        atts[n - 1].reason)
        e->reason = gn_strdup(atts[n - 1].reason);
    gn_attempt_rec_array_free(atts, n);
}

static json_t *experiment_json(const char *campaign, const gn_experiment_rec *e)
{
    json_t *lease = json_null();
    if (exp_open(e->status) && e->lease_deadline > 0) {
        json_decref(lease);
        lease = json_pack("{s:s, s:f}", "user", e->lease_user ? e->lease_user : "", "deadline",
                          e->lease_deadline);
    }
    return json_pack("{s:I, s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:f}", "id",
                     (json_int_t)e->id, "campaign", campaign, "number", (json_int_t)e->number,
                     "status", gn_exp_status_name(e->status), "parameters",
                     parse_or_null(e->params), "prediction", parse_or_null(e->prediction),
                     "lease", lease, "outcome", parse_or_null(e->outcome), "partial",
                     parse_or_null(e->partial), "reason",
                     e->reason ? json_string(e->reason) : json_null(), "created", e->created,
                     "updated", e->updated);
}

static json_t *dataset_json(const gn_dataset_rec *d)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:s, s:o, s:f, "
                     "s:b}",
                     "name", d->name, "version", (json_int_t)d->version, "project",
                     d->project ? d->project : "default", "classification",
                     d->classification ? d->classification : "internal", "title",
                     d->title ? json_string(d->title) : json_null(), "source",
                     d->source ? json_string(d->source) : json_null(), "license",
                     d->license ? json_string(d->license) : json_null(), "doi",
                     d->doi ? json_string(d->doi) : json_null(), "columns",
                     parse_or_null(d->columns), "rows", (json_int_t)d->n_rows, "cols",
                     (json_int_t)d->n_cols, "content_hash", d->content_hash ? d->content_hash : "",
                     "imported_by", d->imported_by ? json_string(d->imported_by) : json_null(),
                     "imported_at", d->imported_at, "archived", d->archived);
}

static json_t *page_json(json_t *items, size_t total, long long limit, long long offset)
{
    return json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total, "limit",
                     (json_int_t)limit, "offset", (json_int_t)offset);
}

/* Appends name to a short comma-separated list for audit details. */
static void detail_add(char *buf, size_t size, const char *name)
{
    size_t l = strlen(buf);
    if (l + strlen(name) + 8 >= size) {
        if (l + 4 < size && strcmp(buf + (l > 3 ? l - 3 : 0), "..."))
            snprintf(buf + l, size - l, "...");
        return;
    }
    snprintf(buf + l, size - l, "%s%s", l ? "," : "", name);
}

/* ---- public routes ------------------------------------------------------------- */

void gn__h_health(gn__call *c)
{
    gn__reply(c, 200, json_pack("{s:s, s:s}", "status", "ok", "version", gn_version()));
}

void gn__h_openapi(gn__call *c)
{
    gn__reply(c, 200, json_incref((json_t *)gn__server_openapi(c->srv)));
}

void gn__h_me(gn__call *c)
{
    gn_token_rec t;
    json_t *projects = json_array(), *token;
    gn_err err;
    size_t i;

    memset(&t, 0, sizeof t);
    if (gn_store_token_get(c->db->store, c->p->token_id, &t, &err) == GN_OK)
        token = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)t.id, "prefix",
                          t.prefix ? t.prefix : "", "expires",
                          t.expires > 0 ? json_real(t.expires) : json_null());
    else
        token = json_pack("{s:I}", "id", (json_int_t)c->p->token_id);
    gn_token_rec_free(&t);
    for (i = 0; i < c->p->n_projects; i++)
        json_array_append_new(projects,
                              json_pack("{s:s, s:s, s:s}", "project", c->p->projects[i].project,
                                        "role", gn_role_name(c->p->projects[i].role),
                                        "clearance", gn_class_name(c->p->projects[i].clearance)));
    gn__reply(c, 200, json_pack("{s:s, s:b, s:o, s:o}", "user", c->p->user, "admin",
                                c->p->server_admin, "token", token, "projects", projects));
}

/* ---- campaigns ------------------------------------------------------------------ */

void gn__h_campaign_list(gn__call *c)
{
    gn_campaign_rec *recs = NULL;
    size_t n = 0, i, total = 0;
    long long limit = query_int(c, "limit", LIST_LIMIT_DEFAULT), offset = query_int(c, "offset", 0);
    const char *fproject = query_str(c, "project"), *fstate = query_str(c, "state"),
               *fclass = query_str(c, "classification");
    json_t *items = json_array();
    char detail[1024] = "";
    gn_class top = GN_CLASS_PUBLIC;
    gn_err err;
    gn_status st;

    st = gn_store_campaign_list(c->db->store, &recs, &n, &err);
    if (st != GN_OK) {
        json_decref(items);
        reply_status(c, st, err.msg);
        return;
    }
    for (i = 0; i < n; i++) {
        const gn_campaign_rec *r = &recs[i];
        const char *proj = r->project ? r->project : "default";
        const char *cls = r->classification ? r->classification : "internal";
        gn_campaign_counts cn;
        json_t *item;
        if (gn_authorize(c->p, GN_ACT_READ, proj, class_of(cls)) != GN_AUTHZ_ALLOW)
            continue;
        if ((fproject && strcmp(fproject, proj)) || (fstate && strcmp(fstate, r->state)) ||
            (fclass && strcmp(fclass, cls)))
            continue;
        total++;
        if (total <= (size_t)offset || json_array_size(items) >= (size_t)limit)
            continue;
        st = gn_store_campaign_counts(c->db->store, r->id, &cn, &err);
        if (st != GN_OK) {
            reply_status(c, st, err.msg);
            goto out;
        }
        item = campaign_summary_json(r, &cn);
        json_array_append_new(items, item);
        if (class_of(cls) >= GN_CLASS_CONTROLLED) {
            detail_add(detail, sizeof detail, r->name);
            if (class_of(cls) > top)
                top = class_of(cls);
        }
    }
    if (audit_read(c, top, "campaign.list", NULL, detail))
        goto out;
    gn__reply(c, 200, page_json(items, total, limit, offset));
    items = NULL;
out:
    json_decref(items);
    gn_campaign_rec_array_free(recs, n);
}

/* Loads the campaign record `name` and authorises act on it; `object`
 * (audit) and `msg` (the 404's message) name what was asked for. Reply set
 * and -1 otherwise. */
static int campaign_load(gn__call *c, const char *name, gn_action act, const char *action,
                         const char *object, const char *msg, gn_campaign_rec *rec)
{
    gn_err err;
    gn_status st;

    memset(rec, 0, sizeof *rec);
    st = gn_store_campaign_get(c->db->store, name, rec, &err);
    if (st == GN_ERR_NOT_FOUND) {
        gn__reply_error(c, 404, "not_found", NULL, "%s", msg);
        return -1;
    }
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
        return -1;
    }
    if (authorize(c, act, rec->project, rec->classification, action, object, msg)) {
        gn_campaign_rec_free(rec);
        memset(rec, 0, sizeof *rec);
        return -1;
    }
    return 0;
}

/* Loads the campaign record `name` and authorises act on it (reply set
 * and -1 otherwise). */
static int campaign_find(gn__call *c, const char *name, gn_action act, const char *action,
                         gn_campaign_rec *rec)
{
    char object[GN_HTTP_NAME_MAX + 16], msg[GN_HTTP_NAME_MAX + 32];
    snprintf(object, sizeof object, "campaign/%s", name);
    snprintf(msg, sizeof msg, "no such campaign '%s'", name);
    return campaign_load(c, name, act, action, object, msg, rec);
}

/* Takes the cached handle of `name` (locked); reply set and NULL on
 * failure. */
static gn__chandle *handle_get(gn__call *c, const char *name)
{
    gn__chandle *ch = NULL;
    gn_err err;
    gn_status st;

    gn_err_clear(&err);
    st = gn__handles_acquire(gn__server_handles(c->srv), name, &ch, &err);
    if (st != GN_OK) {
        if (st == GN_ERR_NOT_FOUND)
            gn__reply_error(c, 404, "not_found", NULL, "no such campaign '%s'", name);
        else
            reply_status(c, st, err.msg);
        return NULL;
    }
    return ch;
}

void gn__h_campaign_get(gn__call *c)
{
    const char *name = c->m->params[0];
    gn_campaign_rec rec;
    gn__chandle *ch;
    char object[GN_HTTP_NAME_MAX + 16];
    json_t *o;
    gn_err err;

    if (campaign_find(c, name, GN_ACT_READ, "campaign.read", &rec))
        return;
    snprintf(object, sizeof object, "campaign/%s", name);
    if (audit_read(c, class_of(rec.classification), "campaign.read", object, NULL))
        goto out;
    gn_err_clear(&err);
    o = campaign_view_json(c, &rec, &err);
    if (!o && err.status != GN_ERR_NOMEM) {
        /* a spec the view cannot read: the campaign's handle says why */
        ch = handle_get(c, name);
        if (!ch)
            goto out;
        gn_err_clear(&err);
        o = campaign_json(ch->c, &err);
        gn__handles_release(gn__server_handles(c->srv), ch);
    }
    if (!o)
        reply_status(c, err.status ? err.status : GN_ERR_NOMEM, err.msg);
    else
        gn__reply(c, 200, o);
out:
    gn_campaign_rec_free(&rec);
}

/* Checks what a spec sent over HTTP may refer to: no programs to run and
 * no server files (the service only asks and tells), and only datasets
 * the caller may read, classified no higher than the campaign. */
static int spec_allowed(gn__call *c, const gn_spec *s, gn_class cls)
{
    const char *ds[3];
    size_t i;

    if (s->runner.kind == GN_RUNNER_COMMAND || s->runner.kind == GN_RUNNER_LIBRARY) {
        gn__reply_error(c, 400, "invalid_spec", "spec",
                        "runner: campaigns created over HTTP cannot run commands or libraries "
                        "(leave the runner out: clients tell the outcomes)");
        return -1;
    }
    if (s->candidates) {
        gn__reply_error(c, 400, "invalid_spec", "spec",
                        "candidates: a file on the server cannot be used over HTTP; import it "
                        "as a dataset and use candidates: {dataset: NAME}");
        return -1;
    }
    ds[0] = s->candidates_dataset;
    ds[1] = s->prior_dataset;
    ds[2] = s->runner.kind == GN_RUNNER_LOOKUP ? s->runner.lookup : NULL;
    for (i = 0; i < 3; i++) {
        gn_dataset_rec d;
        gn_err err;
        gn_status st;
        if (!ds[i])
            continue;
        memset(&d, 0, sizeof d);
        st = gn_store_dataset_get(c->db->store, ds[i], 0, &d, &err);
        if (st == GN_OK && gn_authorize(c->p, GN_ACT_READ, d.project ? d.project : "default",
                                        class_of(d.classification)) != GN_AUTHZ_ALLOW)
            st = GN_ERR_NOT_FOUND;
        if (st == GN_OK && class_of(d.classification) > cls) {
            gn__reply_error(c, 400, "invalid_spec", "spec",
                            "dataset '%s' is classified %s, above the campaign's %s", ds[i],
                            d.classification, gn_class_name(cls));
            gn_dataset_rec_free(&d);
            return -1;
        }
        gn_dataset_rec_free(&d);
        if (st == GN_ERR_NOT_FOUND) {
            gn__reply_error(c, 400, "invalid_spec", "spec", "no such dataset '%s'", ds[i]);
            return -1;
        }
        if (st != GN_OK) {
            reply_status(c, st, err.msg);
            return -1;
        }
    }
    return 0;
}

void gn__h_campaign_create(gn__call *c)
{
    const char *text = json_string_value(json_object_get(c->body, "spec"));
    size_t len = json_string_length(json_object_get(c->body, "spec"));
    const char *project = json_string_value(json_object_get(c->body, "project"));
    const char *cls_text = json_string_value(json_object_get(c->body, "classification"));
    gn_class cls = class_of(cls_text ? cls_text : "internal");
    gn_spec *spec = NULL;
    gn_db *db = NULL;
    gn_campaign *camp = NULL;
    gn__chandle *ch = NULL;
    gn_authz z;
    gn_err err;
    gn_status st;
    char object[GN_HTTP_NAME_MAX + 16], detail[300], pobject[GN_HTTP_NAME_MAX + 16];
    gn_audit_event ev;
    json_t *o;

    if (!cls_text)
        cls_text = "internal";
    snprintf(pobject, sizeof pobject, "project/%s", project);
    z = gn_authorize_create(c->p, GN_ACT_MANAGE, project, cls);
    if (z != GN_AUTHZ_ALLOW) {
        ev = event(c, "campaign.create", pobject, "denied",
                   z == GN_AUTHZ_HIDDEN ? "not a member" : "role or clearance");
        gn_audit_append(c->db->store, &ev, &err);
        if (z == GN_AUTHZ_HIDDEN)
            gn__reply_error(c, 404, "not_found", "project", "no such project '%s'", project);
        else
            gn__reply_error(c, 403, "forbidden", NULL,
                            "your role or clearance in project '%s' does not allow creating a "
                            "%s campaign",
                            project, cls_text);
        return;
    }
    gn_err_clear(&err);
    st = gn_spec_parse(text, len, "<request>", NULL, &spec, &err);
    if (st != GN_OK) {
        if (st == GN_ERR_SPEC || st == GN_ERR_LIMIT)
            gn__reply_error(c, 400, "invalid_spec", "spec", "%s", err.msg);
        else
            reply_status(c, st, err.msg);
        return;
    }
    if (spec_allowed(c, spec, cls))
        goto out;
    snprintf(object, sizeof object, "campaign/%s", spec->name);
    snprintf(detail, sizeof detail, "{\"project\":\"%s\",\"classification\":\"%s\"}", project,
             cls_text);
    st = gn__handles_new_db(gn__server_handles(c->srv), &db, &err);
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
        goto out;
    }
    ev = event(c, "campaign.create", object, "ok", detail);
    gn_audit_defer_begin(db->store, &ev);
    st = gn__campaign_create_owned(db, text, len, project, cls_text, c->p->user, &camp);
    gn_audit_defer_end(db->store);
    if (st != GN_OK) {
        if (st == GN_ERR_EXISTS)
            gn__reply_error(c, 409, "exists", "spec", "a campaign named '%s' exists", spec->name);
        else
            reply_status(c, st, gn_db_errmsg(db));
        gn_db_close(db);
        goto out;
    }
    ch = gn__handles_adopt(gn__server_handles(c->srv), db, camp);
    if (!ch) {
        ch = handle_get(c, spec->name);
        if (!ch)
            goto out;
    }
    gn_err_clear(&err);
    o = campaign_json(ch->c, &err);
    gn__handles_release(gn__server_handles(c->srv), ch);
    if (!o)
        reply_status(c, err.status ? err.status : GN_ERR_NOMEM, err.msg);
    else
        gn__reply(c, 201, o);
out:
    gn_spec_free(spec);
}

static void set_state(gn__call *c, const char *state, const char *action)
{
    const char *name = c->m->params[0];
    gn_campaign_rec rec;
    gn__chandle *ch;
    char object[GN_HTTP_NAME_MAX + 16];
    gn_audit_event ev;
    gn_status st;
    json_t *o;
    gn_err err;

    if (campaign_find(c, name, GN_ACT_MANAGE, action, &rec))
        return;
    gn_campaign_rec_free(&rec);
    snprintf(object, sizeof object, "campaign/%s", name);
    ch = handle_get(c, name);
    if (!ch)
        return;
    ev = event(c, action, object, "ok", state);
    gn_audit_defer_begin(ch->db->store, &ev);
    st = gn__campaign_set_state(ch->c, state);
    gn_audit_defer_end(ch->db->store);
    if (st != GN_OK) {
        reply_status(c, st, gn_campaign_errmsg(ch->c));
    } else {
        gn_err_clear(&err);
        o = campaign_json(ch->c, &err);
        if (!o)
            reply_status(c, err.status ? err.status : GN_ERR_NOMEM, err.msg);
        else
            gn__reply(c, 200, o);
    }
    gn__handles_release(gn__server_handles(c->srv), ch);
}

void gn__h_campaign_pause(gn__call *c) { set_state(c, "paused", "campaign.pause"); }
void gn__h_campaign_resume(gn__call *c) { set_state(c, "active", "campaign.resume"); }
void gn__h_campaign_archive(gn__call *c) { set_state(c, "archived", "campaign.archive"); }

void gn__h_experiment_list(gn__call *c)
{
    const char *name = c->m->params[0];
    const char *fstatus = query_str(c, "status");
    long long limit = query_int(c, "limit", LIST_LIMIT_DEFAULT), offset = query_int(c, "offset", 0);
    gn_exp_status es;
    gn_campaign_rec rec;
    gn__chandle *ch;
    gn_experiment_rec *exps = NULL;
    size_t n = 0, total = 0, i;
    char object[GN_HTTP_NAME_MAX + 16];
    json_t *items;
    gn_status st;

    if (campaign_find(c, name, GN_ACT_READ, "experiment.list", &rec))
        return;
    snprintf(object, sizeof object, "campaign/%s", name);
    if (audit_read(c, class_of(rec.classification), "experiment.list", object, NULL))
        goto out;
    if (fstatus && gn_exp_status_parse(fstatus, &es) != 0) {
        gn__reply_error(c, 400, "bad_request", "status", "unknown status '%s'", fstatus);
        goto out;
    }
    ch = handle_get(c, name);
    if (!ch)
        goto out;
    st = gn__campaign_experiments(ch->c, fstatus ? &es : NULL, (size_t)offset, (size_t)limit,
                                  &exps, &n, &total);
    if (st != GN_OK)
        reply_status(c, st, gn_campaign_errmsg(ch->c));
    gn__handles_release(gn__server_handles(c->srv), ch);
    if (st == GN_OK) {
        items = json_array();
        for (i = 0; i < n; i++) {
            failure_reason(c->db->store, &exps[i]);
            json_array_append_new(items, experiment_json(name, &exps[i]));
        }
        gn__reply(c, 200, page_json(items, total, limit, offset));
    }
    gn_experiment_rec_array_free(exps, n);
out:
    gn_campaign_rec_free(&rec);
}

void gn__h_suggest(gn__call *c)
{
    const char *name = c->m->params[0];
    long long count = body_int(c, "count", 1), ttl = body_int(c, "lease_seconds", LEASE_DEFAULT);
    gn_campaign_rec rec;
    gn__chandle *ch;
    gn_experiment_rec *exps = NULL;
    size_t n = 0, i;
    char object[GN_HTTP_NAME_MAX + 16], detail[64];
    gn_audit_event ev;
    gn_status st;
    json_t *items;

    if (campaign_find(c, name, GN_ACT_EXPERIMENT, "campaign.suggest", &rec))
        return;
    gn_campaign_rec_free(&rec);
    snprintf(object, sizeof object, "campaign/%s", name);
    snprintf(detail, sizeof detail, "{\"count\":%lld,\"lease_seconds\":%lld}", count, ttl);
    ch = handle_get(c, name);
    if (!ch)
        return;
    ev = event(c, "campaign.suggest", object, "ok", detail);
    gn_audit_defer_begin(ch->db->store, &ev);
    st = gn__campaign_lease(ch->c, (size_t)count, c->p->token_id, c->p->user, (double)ttl, &exps,
                            &n);
    gn_audit_defer_end(ch->db->store);
    if (st != GN_OK)
        reply_status(c, st, gn_campaign_errmsg(ch->c));
    gn__handles_release(gn__server_handles(c->srv), ch);
    if (st == GN_OK) {
        items = json_array();
        for (i = 0; i < n; i++)
            json_array_append_new(items, experiment_json(name, &exps[i]));
        gn__reply(c, 200, json_pack("{s:o}", "experiments", items));
    }
    gn_experiment_rec_array_free(exps, n);
}

/* ---- experiments ------------------------------------------------------------------ */

/* Finds experiment {id}: its campaign record (authorised for act) and
 * number. Reply set and -1 otherwise. */
static int experiment_find(gn__call *c, gn_action act, const char *action, gn_campaign_rec *rec,
                           char *name, size_t name_size, int64_t *number)
{
    char object[48], msg[64];
    gn_status st;

    memset(rec, 0, sizeof *rec);
    snprintf(object, sizeof object, "experiment/%lld", (long long)c->m->id);
    snprintf(msg, sizeof msg, "no such experiment %lld", (long long)c->m->id);
    st = gn__db_experiment_locate(c->db, c->m->id, name, name_size, number);
    if (st == GN_ERR_NOT_FOUND) {
        gn__reply_error(c, 404, "not_found", NULL, "%s", msg);
        return -1;
    }
    if (st != GN_OK) {
        reply_status(c, st, gn_db_errmsg(c->db));
        return -1;
    }
    return campaign_load(c, name, act, action, object, msg, rec);
}

void gn__h_experiment_get(gn__call *c)
{
    gn_campaign_rec rec;
    gn_experiment_rec e;
    char name[GN_HTTP_NAME_MAX + 1], object[48];
    int64_t number;
    gn_status st;
    gn_err err;

    if (experiment_find(c, GN_ACT_READ, "experiment.read", &rec, name, sizeof name, &number))
        return;
    snprintf(object, sizeof object, "experiment/%lld", (long long)c->m->id);
    memset(&e, 0, sizeof e);
    if (audit_read(c, class_of(rec.classification), "experiment.read", object, NULL))
        goto out;
    st = gn_store_experiment_get(c->db->store, rec.id, number, &e, &err);
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
    } else {
        failure_reason(c->db->store, &e);
        gn__reply(c, 200, experiment_json(name, &e));
    }
out:
    gn_experiment_rec_free(&e);
    gn_campaign_rec_free(&rec);
}

/* Exactly one of outcome, failure, partial (router.c: the tell route). */
int gn__serve_tell_check(const json_t *body, gn__req_error *e)
{
    int n = !!json_object_get(body, "outcome") + !!json_object_get(body, "failure") +
            !!json_object_get(body, "partial");
    if (n != 1)
        return gn__req_fail(e, 400, "bad_request", n ? "outcome" : NULL,
                            "exactly one of outcome, failure and partial is required");
    return 0;
}

/* BLAKE2b-256 (hex) of what identifies a tell: the experiment and the
 * canonical body without its key. */
static int tell_hash(int64_t id, const json_t *body, char hex[65])
{
    json_t *copy = json_deep_copy(body);
    char *text;
    unsigned char h[32];
    crypto_generichash_state st;
    char idtext[32];

    if (!copy || gn__sodium_ready() != 0) {
        json_decref(copy);
        return -1;
    }
    json_object_del(copy, "key");
    text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(copy);
    if (!text)
        return -1;
    snprintf(idtext, sizeof idtext, "%lld\n", (long long)id);
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)idtext, strlen(idtext));
    crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
    crypto_generichash_final(&st, h, sizeof h);
    free(text);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return 0;
}

/* The experiment as it will be once the tell is recorded (the answer is
 * stored with the key before the store call, so it is computed first). */
static json_t *told_experiment(const char *campaign, gn_experiment_rec *e, const json_t *body,
                               gn_tell_kind kind)
{
    json_t *o = experiment_json(campaign, e);
    double now = gn_time_wall();
    if (!o)
        return NULL;
    if (kind == GN_TELL_OUTCOME) {
        json_object_set_new(o, "status", json_string("completed"));
        json_object_set(o, "outcome", json_object_get(body, "outcome"));
        json_object_set_new(o, "lease", json_null());
    } else if (kind == GN_TELL_FAILURE) {
        json_object_set_new(o, "status", json_string("failed"));
        json_object_set(o, "reason", json_object_get(body, "failure"));
        json_object_set_new(o, "lease", json_null());
    } else {
        json_t *partial = json_object_get(o, "partial");
        if (!json_is_object(partial)) {
            json_object_set_new(o, "partial", json_object());
            partial = json_object_get(o, "partial");
        }
        json_object_update(partial, json_object_get(body, "partial"));
    }
    json_object_set_new(o, "updated", json_real(now));
    return o;
}

void gn__h_tell(gn__call *c)
{
    gn_campaign_rec rec;
    gn_experiment_rec e;
    char name[GN_HTTP_NAME_MAX + 1], object[48], hash[65];
    const char *key = json_string_value(json_object_get(c->body, "key"));
    const json_t *values = NULL;
    gn_tell_kind kind;
    gn_tell_req treq;
    const char **names = NULL;
    double *vals = NULL;
    char *response = NULL, *stored = NULL;
    int replayed = 0;
    int64_t number;
    gn__tell_job job;
    gn_audit_event ev;
    gn_status st;
    gn_err err;
    size_t n = 0;

    memset(&e, 0, sizeof e);
    if (c->idem_header) {
        size_t i, l = strlen(c->idem_header);
        for (i = 0; i < l; i++)
            if (c->idem_header[i] < 0x21 || c->idem_header[i] > 0x7e)
                break;
        if (l == 0 || l > 128 || i < l) {
            gn__reply_error(c, 400, "bad_request", "Idempotency-Key",
                            "Idempotency-Key: expected 1 to 128 printable ASCII characters");
            return;
        }
        if (key && strcmp(key, c->idem_header)) {
            gn__reply_error(c, 400, "bad_request", "key",
                            "key differs from the Idempotency-Key header");
            return;
        }
        key = c->idem_header;
    }
    if (json_object_get(c->body, "outcome")) {
        kind = GN_TELL_OUTCOME;
        values = json_object_get(c->body, "outcome");
    } else if (json_object_get(c->body, "partial")) {
        kind = GN_TELL_PARTIAL;
        values = json_object_get(c->body, "partial");
    } else {
        kind = GN_TELL_FAILURE;
    }
    if (experiment_find(c, GN_ACT_EXPERIMENT, "experiment.tell", &rec, name, sizeof name, &number))
        return;
    snprintf(object, sizeof object, "experiment/%lld", (long long)c->m->id);
    if (tell_hash(c->m->id, c->body, hash)) {
        gn__reply_error(c, 500, "internal", NULL, "out of memory");
        goto out;
    }
    if (values) {
        const char *k;
        json_t *v;
        size_t i = 0;
        n = json_object_size(values);
        names = calloc(n ? n : 1, sizeof *names);
        vals = calloc(n ? n : 1, sizeof *vals);
        if (!names || !vals) {
            gn__reply_error(c, 500, "internal", NULL, "out of memory");
            goto out;
        }
        json_object_foreach((json_t *)values, k, v)
        {
            names[i] = k;
            vals[i] = json_number_value(v);
            i++;
        }
    }
    st = gn_store_experiment_get(c->db->store, rec.id, number, &e, &err);
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
        goto out;
    }
    {
        json_t *ans = json_pack("{s:o, s:b}", "experiment", told_experiment(name, &e, c->body, kind),
                                "replayed", 0);
        response = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
        json_decref(ans);
        if (!response) {
            gn__reply_error(c, 500, "internal", NULL, "out of memory");
            goto out;
        }
    }
    memset(&treq, 0, sizeof treq);
    treq.kind = kind;
    treq.n = n;
    treq.names = names;
    treq.values = vals;
    treq.reason = json_string_value(json_object_get(c->body, "failure"));
    treq.key = key;
    treq.request_hash = hash;
    treq.response = response;
    ev = event(c, kind == GN_TELL_OUTCOME   ? "experiment.tell"
                  : kind == GN_TELL_PARTIAL ? "experiment.partial"
                                            : "experiment.fail",
               object, "ok", key);
    /* group commit with the concurrent tells of this campaign; answered
     * only once this tell's own data is committed */
    memset(&job, 0, sizeof job);
    job.number = number;
    job.id = e.id;
    job.req = &treq;
    job.ev = &ev;
    st = gn__handles_tell(gn__server_handles(c->srv), name, &job);
    stored = job.stored;
    replayed = job.replayed;
    if (st == GN_OK && replayed) {
        json_t *ans = stored ? json_loads(stored, 0, NULL) : NULL;
        if (json_is_object(ans)) {
            json_object_set_new(ans, "replayed", json_true());
            gn__reply(c, 200, ans);
        } else {
            json_decref(ans);
            gn__reply_error(c, 500, "internal", NULL, "the stored answer of this key is unreadable");
        }
    } else if (st == GN_OK) {
        gn__reply_text(c, 200, response);
    } else if (st == GN_ERR_STATE && !exp_open(e.status)) {
        gn__reply_error(c, 409, "already_finished", NULL, "experiment %lld is %s already",
                        (long long)c->m->id, gn_exp_status_name(e.status));
    } else if (st == GN_ERR_EXISTS) {
        gn__reply_error(c, 409, "idempotency_key_reused", "key",
                        "this key was used for a different request");
    } else if (st == GN_ERR_NOT_FOUND && !job.err.msg[0]) {
        gn__reply_error(c, 404, "not_found", NULL, "no such campaign '%s'", name);
    } else {
        reply_status(c, st, job.err.msg);
    }
out:
    gn_string_free(stored);
    free(response);
    free(names);
    free(vals);
    gn_experiment_rec_free(&e);
    gn_campaign_rec_free(&rec);
}

/* abandon and lease renewal: a change, then the experiment as it is. */
static void experiment_change(gn__call *c, int renew)
{
    gn_campaign_rec rec;
    gn_experiment_rec e;
    char name[GN_HTTP_NAME_MAX + 1], object[48], detail[32];
    int64_t number;
    gn__chandle *ch = NULL;
    gn_audit_event ev;
    gn_status st;
    gn_err err;
    long long ttl = body_int(c, "lease_seconds", LEASE_DEFAULT);
    const char *reason = json_string_value(json_object_get(c->body, "reason"));
    const char *action = renew ? "experiment.lease" : "experiment.abandon";

    memset(&e, 0, sizeof e);
    if (experiment_find(c, GN_ACT_EXPERIMENT, action, &rec, name, sizeof name, &number))
        return;
    snprintf(object, sizeof object, "experiment/%lld", (long long)c->m->id);
    snprintf(detail, sizeof detail, "%lld", ttl);
    ch = handle_get(c, name);
    if (!ch)
        goto out;
    ev = event(c, action, object, "ok", renew ? detail : NULL);
    gn_audit_defer_begin(ch->db->store, &ev);
    if (renew)
        st = gn__campaign_lease_renew(ch->c, number, c->p->token_id, c->p->user, (double)ttl);
    else
        st = gn__campaign_abandon(ch->c, number, reason);
    gn_audit_defer_end(ch->db->store);
    if (st == GN_ERR_STATE) {
        gn_experiment_rec cur;
        memset(&cur, 0, sizeof cur);
        if (gn_store_experiment_get(ch->db->store, rec.id, number, &cur, NULL) == GN_OK &&
            !exp_open(cur.status))
            gn__reply_error(c, 409, "already_finished", NULL, "experiment %lld is %s already",
                            (long long)c->m->id, gn_exp_status_name(cur.status));
        else
            reply_status(c, st, gn_campaign_errmsg(ch->c));
        gn_experiment_rec_free(&cur);
        goto out;
    }
    if (st != GN_OK) {
        reply_status(c, st, gn_campaign_errmsg(ch->c));
        goto out;
    }
    st = gn_store_experiment_get(ch->db->store, rec.id, number, &e, &err);
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
    } else {
        failure_reason(ch->db->store, &e);
        gn__reply(c, 200, experiment_json(name, &e));
    }
out:
    if (ch)
        gn__handles_release(gn__server_handles(c->srv), ch);
    gn_experiment_rec_free(&e);
    gn_campaign_rec_free(&rec);
}

void gn__h_abandon(gn__call *c) { experiment_change(c, 0); }
void gn__h_lease(gn__call *c) { experiment_change(c, 1); }

/* ---- datasets ---------------------------------------------------------------------- */

void gn__h_dataset_list(gn__call *c)
{
    gn_dataset_rec *recs = NULL;
    size_t n = 0, i, total = 0;
    long long limit = query_int(c, "limit", LIST_LIMIT_DEFAULT), offset = query_int(c, "offset", 0);
    const char *fproject = query_str(c, "project");
    json_t *items = json_array();
    char detail[1024] = "";
    gn_class top = GN_CLASS_PUBLIC;
    gn_status st;
    gn_err err;

    st = gn_store_dataset_list(c->db->store, 0, &recs, &n, &err);
    if (st != GN_OK) {
        json_decref(items);
        reply_status(c, st, err.msg);
        return;
    }
    for (i = 0; i < n; i++) {
        const char *proj = recs[i].project ? recs[i].project : "default";
        gn_class cls = class_of(recs[i].classification);
        if (gn_authorize(c->p, GN_ACT_READ, proj, cls) != GN_AUTHZ_ALLOW)
            continue;
        if (fproject && strcmp(fproject, proj))
            continue;
        total++;
        if (total <= (size_t)offset || json_array_size(items) >= (size_t)limit)
            continue;
        json_array_append_new(items, dataset_json(&recs[i]));
        if (cls >= GN_CLASS_CONTROLLED) {
            detail_add(detail, sizeof detail, recs[i].name);
            if (cls > top)
                top = cls;
        }
    }
    if (audit_read(c, top, "dataset.list", NULL, detail)) {
        json_decref(items);
    } else {
        gn__reply(c, 200, page_json(items, total, limit, offset));
    }
    gn_dataset_rec_array_free(recs, n);
}

void gn__h_dataset_get(gn__call *c)
{
    const char *name = c->m->params[0];
    long long version = query_int(c, "version", 0);
    gn_dataset_rec d;
    char object[GN_HTTP_NAME_MAX + 32], msg[GN_HTTP_NAME_MAX + 48];
    gn_status st;
    gn_err err;

    memset(&d, 0, sizeof d);
    snprintf(object, sizeof object, "dataset/%s", name);
    if (version)
        snprintf(msg, sizeof msg, "no such dataset '%s' version %lld", name, version);
    else
        snprintf(msg, sizeof msg, "no such dataset '%s'", name);
    st = gn_store_dataset_get(c->db->store, name, version, &d, &err);
    if (st == GN_ERR_NOT_FOUND) {
        gn__reply_error(c, 404, "not_found", NULL, "%s", msg);
        return;
    }
    if (st != GN_OK) {
        reply_status(c, st, err.msg);
        return;
    }
    if (!authorize(c, GN_ACT_READ, d.project, d.classification, "dataset.read", object, msg) &&
        !audit_read(c, class_of(d.classification), "dataset.read", object, NULL))
        gn__reply(c, 200, dataset_json(&d));
    gn_dataset_rec_free(&d);
}
