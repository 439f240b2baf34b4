/*
 * campaign/service.c - what the HTTP service needs from a campaign
 * (campaign/service.h): owned creation, guarded state changes, leases,
 * keyed/partial/failure tells, abandon, paged listings, lookups by id.
 *
 * Tells go through the same paths as gn_campaign_tell (outcome checked by
 * gn__campaign_outcome_values, recorded by gn__campaign_tell_record as a
 * manual attempt); the planner learns of them on the next suggestion
 * (gn__campaign_tell_new reads every finished experiment it has not been
 * told).
 *
 * A keyed tell puts its key row into the store transaction of the change
 * by a write hook installed for that one call; the hook then calls the
 * hook that was installed before (the service's deferred audit record),
 * and the previous hook is put back afterwards (store.h).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "campaign/service.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "store/store_lease.h"

#define REASON_MAX 1000

/* ---- the clock -------------------------------------------------------- */

static double (*service_clock)(void);

void gn__campaign_set_clock(double (*now)(void)) { service_clock = now; }

static double clock_now(void) { return service_clock ? service_clock() : gn_time_wall(); }

/* ---- campaigns -------------------------------------------------------- */

gn_status gn__campaign_create_owned(gn_db *db, const char *text, size_t len, const char *project,
                                    const char *classification, const char *owner,
                                    gn_campaign **out)
{
    gn__owned owned;
    gn_spec *spec = NULL;
    gn_status st;

    if (!db || !text || !out)
        return GN_ERR_INVALID;
    *out = NULL;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    if (classification && !gn_store_classification_valid(classification))
        return gn_err_set(&db->err, GN_ERR_INVALID,
                          "unknown classification '%s' (public, internal, controlled, "
                          "restricted)",
                          classification);
    if (project && !*project)
        return gn_err_set(&db->err, GN_ERR_INVALID, "the project name is empty");
    st = gn_spec_parse(text, len, "<request>", NULL, &spec, &db->err);
    if (st != GN_OK)
        return st;
    owned.project = project;
    owned.classification = classification;
    owned.owner = owner;
    return gn__campaign_create_spec(db, spec, NULL, &owned, out);
}

const gn_campaign_rec *gn__campaign_rec(const gn_campaign *c) { return c ? &c->rec : NULL; }

gn_status gn__campaign_refresh(gn_campaign *c)
{
    gn_campaign_rec rec;
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    memset(&rec, 0, sizeof rec);
    st = gn_store_campaign_get(c->db->store, c->rec.name, &rec, &c->err);
    if (st != GN_OK)
        return st;
    gn_campaign_rec_free(&c->rec);
    c->rec = rec;
    return GN_OK;
}

gn_status gn__campaign_set_state(gn_campaign *c, const char *state)
{
    static const char *const to_active[] = {"paused"};
    static const char *const to_paused[] = {"active"};
    static const char *const to_archived[] = {"active", "paused", "completed"};
    const char *const *from;
    size_t n_from;
    gn_status st;

    if (!c || !state)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    if (!strcmp(state, "active")) {
        from = to_active;
        n_from = 1;
    } else if (!strcmp(state, "paused")) {
        from = to_paused;
        n_from = 1;
    } else if (!strcmp(state, "archived")) {
        from = to_archived;
        n_from = 3;
    } else {
        return gn_err_set(&c->err, GN_ERR_INVALID,
                          "a campaign can be set active, paused or archived, not '%s'", state);
    }
    st = gn_store_campaign_transition(c->db->store, c->rec.id, from, n_from, state, &c->err);
    if (st == GN_OK)
        st = gn__campaign_refresh(c);
    return st;
}

/* ---- leases ------------------------------------------------------------- */

static int ttl_valid(double ttl) { return isfinite(ttl) && ttl > 0 && ttl <= 1e9; }

/* Plans what a lease call may need: *fresh (n_fresh records, not stored)
 * are new points for the part of the n experiments that the expired
 * leases seen now will not cover, within the budget. The planner is told
 * what finished first, and every experiment out (leased or not, running
 * or not) is pending for it, so a batch stays diverse. */
static gn_status lease_plan(gn_campaign *c, size_t n, double now, gn_experiment_rec **fresh,
                            size_t *n_fresh)
{
    gn_lease_snapshot snap;
    double *pending = NULL;
    size_t n_pending = 0, i, d = c->space.dim, expired = 0, want;
    long busy, allowed;
    gn_status st;

    *fresh = NULL;
    *n_fresh = 0;
    /* not the whole campaign: counts, the open experiments, and the
     * finished ones the planner may not have been told of yet */
    st = gn_store_lease_snapshot(c->db->store, c->rec.id, c->told_through, &snap, &c->err);
    if (st != GN_OK)
        return st;
    st = gn__campaign_tell_new(c, snap.finished, snap.n_finished, &c->err);
    if (st != GN_OK)
        goto out;
    busy = snap.counts.proposed + snap.counts.running + snap.counts.completed + snap.counts.failed;
    for (i = 0; i < snap.n_open; i++)
        if (snap.open[i].status == GN_EXP_PROPOSED && snap.open[i].lease_deadline <= now)
            expired++;
    allowed = c->rec.budget - busy;
    if (allowed <= 0 || expired >= n)
        goto out;
    want = n - expired;
    if ((size_t)allowed < want)
        want = (size_t)allowed;
    pending = gn_calloc((snap.n_open ? snap.n_open : 1) * (d ? d : 1), sizeof *pending);
    if (!pending) {
        st = gn_err_nomem(&c->err);
        goto out;
    }
    for (i = 0; i < snap.n_open; i++) {
        st = gn__campaign_point(c, &snap.open[i], pending + n_pending * d, &c->err);
        if (st != GN_OK)
            goto out;
        n_pending++;
    }
    st = gn__campaign_plan(c, pending, n_pending, (long)snap.max_number, want, fresh, &c->err);
    if (st == GN_OK)
        *n_fresh = want;
out:
    gn_free(pending);
    gn_lease_snapshot_free(&snap);
    return st;
}

gn_status gn__campaign_lease(gn_campaign *c, size_t n, int64_t token_id, const char *user,
                             double ttl, gn_experiment_rec **out, size_t *n_out)
{
    gn_experiment_rec *fresh = NULL;
    size_t n_fresh = 0;
    double now;
    gn_status st;

    if (!c || !out || !n_out)
        return GN_ERR_INVALID;
    *out = NULL;
    *n_out = 0;
    gn_err_clear(&c->err);
    if (!ttl_valid(ttl))
        return gn_err_set(&c->err, GN_ERR_INVALID, "a lease lasts a positive number of seconds");
    if (token_id < 0)
        return gn_err_set(&c->err, GN_ERR_INVALID, "a token id is not negative");
    st = gn__campaign_refresh(c);
    if (st != GN_OK)
        return st;
    if (strcmp(c->rec.state, "active") != 0)
        return gn_err_set(&c->err, GN_ERR_STATE,
                          "campaign '%s' is %s; suggestions need an active campaign", c->rec.name,
                          c->rec.state);
    if (n == 0)
        return GN_OK;
    now = clock_now();
    /* the planner works outside the transaction; the store then takes
     * what vanished clients left (first) and adds the new points, leased,
     * in one transaction, checking the state again */
    st = lease_plan(c, n, now, &fresh, &n_fresh);
    if (st == GN_OK)
        st = gn_store_lease_take(c->db->store, c->rec.id, n, token_id, user, now, now + ttl,
                                 fresh, n_fresh, out, n_out, &c->err);
    gn_experiment_rec_array_free(fresh, n_fresh);
    return st;
}

/* Reads experiment `number` of c into *e, with a message naming it when
 * there is none. */
static gn_status experiment_get(gn_campaign *c, int64_t number, gn_experiment_rec *e)
{
    gn_status st;

    memset(e, 0, sizeof *e);
    st = gn_store_experiment_get(c->db->store, c->rec.id, number, e, &c->err);
    if (st == GN_ERR_NOT_FOUND)
        st = gn_err_set(&c->err, GN_ERR_NOT_FOUND, "campaign '%s' has no experiment %lld",
                        c->rec.name, (long long)number);
    return st;
}

gn_status gn__campaign_lease_renew(gn_campaign *c, int64_t number, int64_t token_id,
                                   const char *user, double ttl)
{
    gn_experiment_rec e;
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    if (!ttl_valid(ttl))
        return gn_err_set(&c->err, GN_ERR_INVALID, "a lease lasts a positive number of seconds");
    if (token_id < 0)
        return gn_err_set(&c->err, GN_ERR_INVALID, "a token id is not negative");
    st = experiment_get(c, number, &e);
    if (st != GN_OK)
        return st;
    if (e.status != GN_EXP_PROPOSED && e.status != GN_EXP_RUNNING)
        st = gn_err_set(&c->err, GN_ERR_STATE,
                        "experiment %lld of '%s' is %s; its lease cannot be renewed",
                        (long long)number, c->rec.name, gn_exp_status_name(e.status));
    else
        st = gn_store_lease_set(c->db->store, &e.id, 1, token_id, user, clock_now() + ttl,
                                &c->err);
    gn_experiment_rec_free(&e);
    return st;
}

gn_status gn__campaign_lease_get(gn_campaign *c, int64_t number, int64_t *token_id, char *user,
                                 size_t user_size, double *deadline)
{
    gn_experiment_rec e;
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    st = experiment_get(c, number, &e);
    if (st != GN_OK)
        return st;
    if (token_id)
        *token_id = e.lease_token;
    if (user && user_size)
        snprintf(user, user_size, "%s", e.lease_user ? e.lease_user : "");
    if (deadline)
        *deadline = e.lease_deadline;
    gn_experiment_rec_free(&e);
    return GN_OK;
}

/* ---- tells ------------------------------------------------------------------ */

/* The write hook of a keyed tell: the key row, then the hook installed
 * before (the audit record), all in the transaction of the change. */
typedef struct key_hook {
    gn_store_write_hook prev;
    void *prev_ctx;
    int64_t experiment_id;
    int64_t campaign_id;
    const gn_tell_req *req;
} key_hook;

/* Also completes the campaign when this tell reaches its budget. */
static gn_status key_hook_run(gn_store *s, void *ctx, gn_err *err)
{
    key_hook *k = ctx;
    gn_status st = GN_OK;
    if (k->req->key)
        st = gn_store_tell_key_put_in_hook(s, k->experiment_id, k->req->key,
                                           k->req->request_hash, k->req->response, err);
    if (st == GN_OK && k->req->kind != GN_TELL_PARTIAL)
        st = gn_store_campaign_complete_in_hook(s, k->campaign_id, err);
    if (st == GN_OK && k->prev)
        st = k->prev(s, k->prev_ctx, err);
    return st;
}

static int hex64(const char *h)
{
    size_t i;
    if (!h || strlen(h) != 64)
        return 0;
    for (i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f') ||
              (h[i] >= 'A' && h[i] <= 'F')))
            return 0;
    return 1;
}

static int key_valid(const char *key)
{
    size_t i, n = key ? strlen(key) : 0;
    if (n == 0 || n > GN_STORE_TELL_KEY_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return 0;
    return 1;
}

/* Looks the tell key up: GN_OK with *found 0 (none), or 1 and either a
 * replay (*stored_response set) or GN_ERR_EXISTS when the hash differs. */
static gn_status key_check(gn_campaign *c, int64_t experiment_id, int64_t number,
                           const gn_tell_req *req, int *found, char **stored_response)
{
    char *hash = NULL, *resp = NULL;
    gn_err scratch;
    gn_status st;

    *found = 0;
    gn_err_clear(&scratch);
    st = gn_store_tell_key_get(c->db->store, experiment_id, req->key, &hash, &resp, &scratch);
    if (st == GN_ERR_NOT_FOUND)
        return GN_OK;
    if (st != GN_OK) {
        c->err = scratch;
        return st;
    }
    *found = 1;
    if (strcmp(hash, req->request_hash) != 0) {
        st = gn_err_set(&c->err, GN_ERR_EXISTS,
                        "the key '%s' was used for another request to experiment %lld of '%s'",
                        req->key, (long long)number, c->rec.name);
        gn_free(resp);
    } else {
        gn_err_clear(&c->err);
        *stored_response = resp;
    }
    gn_free(hash);
    return st;
}

/* Records the tell itself (no key handling). */
static gn_status tell_apply(gn_campaign *c, const gn_experiment_rec *e, const gn_tell_req *req)
{
    char *text = NULL;
    gn_status st = GN_OK;

    switch (req->kind) {
    case GN_TELL_OUTCOME:
        st = gn__campaign_values_json(req->n, req->names, req->values, &text, &c->err);
        if (st == GN_OK)
            st = gn__campaign_outcome_values(c, text, NULL, NULL, &c->err);
        if (st != GN_OK) {
            gn_err_prefix(&c->err, "experiment %lld: nothing recorded", (long long)e->number);
            break;
        }
        st = gn__campaign_tell_record(c, e->number, GN_EXP_COMPLETED, text, NULL, 1);
        break;
    case GN_TELL_PARTIAL:
        st = gn__campaign_values_json(req->n, req->names, req->values, &text, &c->err);
        if (st != GN_OK) {
            gn_err_prefix(&c->err, "experiment %lld: nothing recorded", (long long)e->number);
            break;
        }
        st = gn_store_partial_merge(c->db->store, e->id, text, &c->err);
        break;
    case GN_TELL_FAILURE:
        st = gn__campaign_tell_record(c, e->number, GN_EXP_FAILED, NULL, req->reason, 1);
        break;
    }
    free(text);
    return st;
}

/* Checks what can be checked before touching the store. */
static gn_status tell_req_valid(gn_campaign *c, const gn_tell_req *req)
{
    size_t i;

    if (req->kind != GN_TELL_OUTCOME && req->kind != GN_TELL_PARTIAL &&
        req->kind != GN_TELL_FAILURE)
        return gn_err_set(&c->err, GN_ERR_OUTCOME, "unknown kind of tell (%d)", (int)req->kind);
    if (req->key) {
        if (!key_valid(req->key))
            return gn_err_set(&c->err, GN_ERR_INVALID,
                              "an idempotency key is 1 to %d printable ASCII characters",
                              GN_STORE_TELL_KEY_MAX);
        if (!hex64(req->request_hash))
            return gn_err_set(&c->err, GN_ERR_INVALID,
                              "a keyed tell needs the request's hash (64 hex digits)");
        if (!req->response)
            return gn_err_set(&c->err, GN_ERR_INVALID, "a keyed tell needs its response");
    }
    if (req->kind == GN_TELL_FAILURE) {
        if (!req->reason || !*req->reason)
            return gn_err_set(&c->err, GN_ERR_OUTCOME, "a failure needs a reason");
        if (strlen(req->reason) > REASON_MAX)
            return gn_err_set(&c->err, GN_ERR_OUTCOME, "a failure reason is at most %d bytes",
                              REASON_MAX);
        return GN_OK;
    }
    if (req->n && (!req->names || !req->values))
        return gn_err_set(&c->err, GN_ERR_INVALID, "a tell with values needs names and values");
    if (req->kind == GN_TELL_PARTIAL && req->n == 0)
        return gn_err_set(&c->err, GN_ERR_OUTCOME, "partial results need at least one value");
    for (i = 0; i < req->n; i++)
        if (!isfinite(req->values[i]))
            return gn_err_set(&c->err, GN_ERR_OUTCOME, "'%s' is not a finite number",
                              req->names[i] ? req->names[i] : "?");
    return GN_OK;
}

gn_status gn__campaign_tell_req(gn_campaign *c, int64_t number, const gn_tell_req *req,
                                int *replayed, char **stored_response)
{
    gn_experiment_rec e;
    char *resp = NULL;
    int found = 0;
    gn_status st;

    if (replayed)
        *replayed = 0;
    if (stored_response)
        *stored_response = NULL;
    if (!c || !req)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    st = tell_req_valid(c, req);
    if (st != GN_OK)
        return st;
    st = experiment_get(c, number, &e);
    if (st != GN_OK)
        return st;
    /* a retry is answered as the first time, whatever happened since */
    if (req->key) {
        st = key_check(c, e.id, number, req, &found, &resp);
        if (st != GN_OK || found)
            goto out;
    }
    st = gn__campaign_refresh(c);
    if (st != GN_OK)
        goto out;
    if (!strcmp(c->rec.state, "archived")) {
        st = gn_err_set(&c->err, GN_ERR_STATE, "campaign '%s' is archived; nothing recorded",
                        c->rec.name);
        goto out;
    }
    {
        key_hook k;
        gn_store_write_hook prev;
        void *prev_ctx;

        gn_store_get_write_hook(c->db->store, &prev, &prev_ctx);
        k.prev = prev;
        k.prev_ctx = prev_ctx;
        k.experiment_id = e.id;
        k.campaign_id = c->rec.id;
        k.req = req;
        gn_store_set_write_hook(c->db->store, key_hook_run, &k);
        st = tell_apply(c, &e, req);
        gn_store_set_write_hook(c->db->store, prev, prev_ctx);
        if (st == GN_OK && req->kind != GN_TELL_PARTIAL && gn__campaign_refresh(c) != GN_OK)
            gn_err_clear(&c->err); /* recorded all the same; the state is read again later */
        if (req->key && (st == GN_ERR_STATE || st == GN_ERR_EXISTS)) {
            /* a concurrent tell with the same key may have won: then this
             * one is its replay (or a reuse of its key) */
            gn_err keep = c->err;
            gn_status first = st;
            st = key_check(c, e.id, number, req, &found, &resp);
            if (st == GN_OK && !found) {
                c->err = keep;
                st = first;
            }
        }
    }
out:
    if (st == GN_OK && found) {
        if (replayed)
            *replayed = 1;
        if (stored_response) {
            *stored_response = resp;
            resp = NULL;
        }
    }
    gn_free(resp);
    gn_experiment_rec_free(&e);
    return st;
}

gn_status gn__campaign_abandon(gn_campaign *c, int64_t number, const char *reason)
{
    gn_experiment_rec e;
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    if (reason && strlen(reason) > REASON_MAX)
        return gn_err_set(&c->err, GN_ERR_INVALID, "a reason is at most %d bytes", REASON_MAX);
    st = experiment_get(c, number, &e);
    if (st != GN_OK)
        return st;
    st = gn__campaign_refresh(c);
    if (st != GN_OK)
        goto out;
    if (!strcmp(c->rec.state, "archived")) {
        st = gn_err_set(&c->err, GN_ERR_STATE, "campaign '%s' is archived; nothing changed",
                        c->rec.name);
        goto out;
    }
    if (e.status != GN_EXP_PROPOSED && e.status != GN_EXP_RUNNING) {
        st = gn_err_set(&c->err, GN_ERR_STATE, "experiment %lld of '%s' is %s already",
                        (long long)number, c->rec.name, gn_exp_status_name(e.status));
        goto out;
    }
    st = gn_store_experiment_abandon(c->db->store, e.id, reason && *reason ? reason : NULL,
                                     &c->err);
out:
    gn_experiment_rec_free(&e);
    return st;
}

/* ---- listing and lookup ------------------------------------------------------ */

gn_status gn__campaign_experiments(gn_campaign *c, const gn_exp_status *status, size_t offset,
                                   size_t limit, gn_experiment_rec **out, size_t *n_out,
                                   size_t *total)
{
    if (!c || !out || !n_out || !total)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    return gn_store_experiment_page(c->db->store, c->rec.id, status, offset, limit, out, n_out,
                                    total, &c->err);
}

gn_status gn__db_experiment_locate(gn_db *db, int64_t experiment_id, char *name_out,
                                   size_t name_size, int64_t *number)
{
    char *name = NULL;
    gn_status st;

    if (!db || !name_out || !name_size)
        return GN_ERR_INVALID;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    st = gn_store_experiment_locate(db->store, experiment_id, NULL, &name, number, &db->err);
    if (st != GN_OK)
        return st;
    if (strlen(name) >= name_size)
        st = gn_err_set(&db->err, GN_ERR_LIMIT, "the campaign name of experiment %lld is too long",
                        (long long)experiment_id);
    else
        memcpy(name_out, name, strlen(name) + 1);
    gn_free(name);
    return st;
}
