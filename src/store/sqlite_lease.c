/*
 * store/sqlite_lease.c - the SQLite side of store_lease.h: leases of
 * proposed experiments, partial outcomes, tell keys, guarded campaign
 * state changes, paged listings and lookups by id.
 *
 * Same rules as sqlite.c: one transaction per call, nothing written back
 * on failure. The statements live in the extension slots
 * GN__SQ_SLOT_LEASE .. +31 (sqlite_internal.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"
#include "store/store_lease.h"

#define Q(s) ((sq *)(s)->be)

enum {
    L_TAKE_SELECT,
    L_SET_LEASE,
    L_EXP_BY_ID,
    L_PARTIAL_MERGE,
    L_KEY_GET,
    L_KEY_PUT,
    L_CAMPAIGN_STATE,
    L_CAMPAIGN_SET_STATE,
    L_PAGE_COUNT,
    L_PAGE_COUNT_STATUS,
    L_PAGE,
    L_PAGE_STATUS,
    L_LOCATE,
    L_IS_OBJECT,
    L_MAX_NUMBER,
    L_INSERT,
    L_COMPLETE_IF_DONE,
    L_OPEN,
    L_FINISHED_AFTER,
    L__COUNT
};

_Static_assert(L__COUNT <= 32, "sqlite_lease.c owns 32 statement slots");

static const char *const lease_sql[L__COUNT] = {
    [L_TAKE_SELECT] = "SELECT id FROM experiments WHERE campaign_id = ?1 AND status = 'proposed' "
                      "AND (lease_deadline IS NULL OR lease_deadline <= ?2) "
                      "ORDER BY number LIMIT ?3",
    [L_SET_LEASE] = "UPDATE experiments SET lease_token = ?2, lease_user = ?3, "
                    "lease_deadline = ?4, updated = ?5 WHERE id = ?1",
    [L_EXP_BY_ID] = "SELECT " GN__SQ_EXP_COLS " FROM experiments WHERE id = ?1",
    [L_PARTIAL_MERGE] = "UPDATE experiments SET partial = json_patch(coalesce(partial, '{}'), ?2), "
                        "updated = ?3 WHERE id = ?1",
    [L_KEY_GET] = "SELECT request_hash, response FROM tell_keys "
                  "WHERE experiment_id = ?1 AND key = ?2",
    [L_KEY_PUT] = "INSERT INTO tell_keys (experiment_id, key, request_hash, response, created) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)",
    [L_CAMPAIGN_STATE] = "SELECT state, name FROM campaigns WHERE id = ?1",
    [L_COMPLETE_IF_DONE] =
        "UPDATE campaigns SET state = 'completed', updated = ?2 "
        "WHERE id = ?1 AND state IN ('active', 'paused') AND budget > 0 AND budget <= "
        /* O(log n) first: numbers are unique and >= 1, so the highest is
         * at least the count; only a campaign near its budget counts */
        "(SELECT coalesce(max(number), 0) FROM experiments WHERE campaign_id = ?1) "
        "AND budget <= (SELECT count(*) FROM experiments WHERE campaign_id = ?1 "
        "AND status IN ('completed', 'failed'))",
    [L_CAMPAIGN_SET_STATE] = "UPDATE campaigns SET state = ?2, updated = ?3 WHERE id = ?1",
    [L_PAGE_COUNT] = "SELECT count(*) FROM experiments WHERE campaign_id = ?1",
    [L_PAGE_COUNT_STATUS] = "SELECT count(*) FROM experiments WHERE campaign_id = ?1 "
                            "AND status = ?2",
    [L_PAGE] = "SELECT " GN__SQ_EXP_COLS " FROM experiments WHERE campaign_id = ?1 "
               "ORDER BY number LIMIT ?3 OFFSET ?4",
    [L_PAGE_STATUS] = "SELECT " GN__SQ_EXP_COLS " FROM experiments WHERE campaign_id = ?1 "
                      "AND status = ?2 ORDER BY number LIMIT ?3 OFFSET ?4",
    [L_LOCATE] = "SELECT e.campaign_id, e.number, c.name FROM experiments e "
                 "JOIN campaigns c ON c.id = e.campaign_id WHERE e.id = ?1",
    [L_OPEN] = "SELECT " GN__SQ_EXP_COLS " FROM experiments WHERE campaign_id = ?1 "
               "AND status IN ('proposed', 'running') ORDER BY number",
    [L_FINISHED_AFTER] = "SELECT " GN__SQ_EXP_COLS " FROM experiments WHERE campaign_id = ?1 "
                         "AND status IN ('completed', 'failed') AND number > ?2 ORDER BY number",
    [L_IS_OBJECT] = "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END",
    [L_MAX_NUMBER] = "SELECT coalesce(max(number), 0) FROM experiments WHERE campaign_id = ?1",
    [L_INSERT] = "INSERT INTO experiments (campaign_id, number, status, params, prediction, "
                 "outcome, origin, attempts, created, updated, lease_token, lease_user, "
                 "lease_deadline) "
                 "VALUES (?1, ?2, 'proposed', ?3, ?4, NULL, ?5, 0, ?6, ?6, ?7, ?8, ?9)",
};

static gn_status stmt(sq *q, int id, sqlite3_stmt **out, gn_err *err)
{
    return gn__sq_stmt(q, GN__SQ_SLOT_LEASE + id, lease_sql[id], out, err);
}

void gn__sq_get_write_hook(gn_store *s, gn_store_write_hook *hook, void **ctx)
{
    sq *q = Q(s);
    *hook = q->hook;
    *ctx = q->hook_ctx;
}

/* Steps statement `id` bound with ?1 = key (inside the caller's
 * transaction): GN_OK with the row in *st (not reset: read it, then
 * gn__sq_stmt_done), GN_ERR_NOT_FOUND "store P: no <kind> with id K"
 * without one. */
static gn_status row_by_id(sq *q, int id, int64_t key, const char *what, const char *kind,
                           sqlite3_stmt **st, gn_err *err)
{
    int rc = SQLITE_OK, row;
    gn_status status = stmt(q, id, st, err);

    if (status != GN_OK)
        return status;
    gn__sq_b_int(*st, 1, key, &rc);
    status = gn__sq_step_row(q, *st, rc, &row, what, err);
    if (status == GN_OK && !row)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no %s with id %" PRId64, q->path,
                            kind, key);
    return status;
}

/* Reads experiment `id` into *out (inside the caller's transaction). */
static gn_status exp_by_id(sq *q, int64_t id, gn_experiment_rec *out, gn_err *err)
{
    sqlite3_stmt *st;
    gn_status status = row_by_id(q, L_EXP_BY_ID, id, "reading an experiment", "experiment", &st, err);

    if (status != GN_OK)
        return status;
    status = gn__sq_row_experiment(q, st, out, err);
    gn__sq_stmt_done(st);
    return status;
}


static gn_status set_lease(sq *q, int64_t id, int64_t token_id, const char *user,
                           double deadline, double now, gn_err *err)
{
    sqlite3_stmt *st;
    int rc = SQLITE_OK;
    gn_status status = stmt(q, L_SET_LEASE, &st, err);

    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, id, &rc);
    if (token_id)
        gn__sq_b_int(st, 2, token_id, &rc);
    gn__sq_b_text(st, 3, user, &rc);
    if (deadline > 0)
        gn__sq_b_real(st, 4, deadline, &rc);
    gn__sq_b_real(st, 5, now, &rc);
    return gn__sq_run(q, st, rc, "leasing an experiment", err);
}

/* The campaign's state must be `active` (inside the caller's transaction). */
static gn_status campaign_active(sq *q, int64_t campaign_id, gn_err *err)
{
    sqlite3_stmt *st;
    gn_status status = row_by_id(q, L_CAMPAIGN_STATE, campaign_id, "reading a campaign's state",
                                 "campaign", &st, err);

    if (status != GN_OK)
        return status;
    if (strcmp((const char *)sqlite3_column_text(st, 0), "active") != 0)
        status = gn_err_set(err, GN_ERR_STATE,
                            "campaign '%s' is %s; suggestions need an active campaign",
                            (const char *)sqlite3_column_text(st, 1),
                            (const char *)sqlite3_column_text(st, 0));
    gn__sq_stmt_done(st);
    return status;
}

/* Adds fresh[0..n-1] as leased PROPOSED experiments; ids[] gets their ids. */
static gn_status add_leased(sq *q, int64_t campaign_id, const gn_experiment_rec *fresh, size_t n,
                            int64_t token_id, const char *user, double deadline, double now,
                            int64_t *ids, gn_err *err)
{
    sqlite3_stmt *st;
    int64_t base = 0;
    int rc = SQLITE_OK, row;
    gn_status status;
    size_t i;

    status = stmt(q, L_MAX_NUMBER, &st, err);
    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "numbering experiments", err);
    if (status != GN_OK)
        return status;
    if (row) {
        base = sqlite3_column_int64(st, 0);
        gn__sq_stmt_done(st);
    }
    status = stmt(q, L_INSERT, &st, err);
    for (i = 0; status == GN_OK && i < n; i++) {
        rc = SQLITE_OK;
        gn__sq_b_int(st, 1, campaign_id, &rc);
        gn__sq_b_int(st, 2, base + 1 + (int64_t)i, &rc);
        gn__sq_b_text(st, 3, fresh[i].params, &rc);
        gn__sq_b_text(st, 4, fresh[i].prediction, &rc);
        gn__sq_b_text(st, 5, fresh[i].origin, &rc);
        gn__sq_b_real(st, 6, now, &rc);
        if (token_id)
            gn__sq_b_int(st, 7, token_id, &rc);
        gn__sq_b_text(st, 8, user, &rc);
        gn__sq_b_real(st, 9, deadline, &rc);
        status = gn__sq_run(q, st, rc, "adding an experiment", err);
        if (status == GN_OK)
            ids[i] = sqlite3_last_insert_rowid(q->db);
    }
    return status;
}

gn_status gn__sq_lease_take(gn_store *s, int64_t campaign_id, size_t n, int64_t token_id,
                            const char *user, double now, double deadline,
                            const gn_experiment_rec *fresh, size_t n_fresh,
                            gn_experiment_rec **out, size_t *n_out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    int64_t *ids = NULL;
    gn_experiment_rec *recs = NULL;
    size_t k = 0, got = 0, add, i;
    int rc = SQLITE_OK;
    gn_status status;

    ids = gn_calloc(n, sizeof *ids);
    recs = gn_calloc(n, sizeof *recs);
    if (!ids || !recs) {
        status = gn_err_nomem(err);
        goto out_free;
    }
    /* BEGIN IMMEDIATE: the select below and the updates after it see no
     * other writer in between */
    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        goto out_free;
    status = campaign_active(q, campaign_id, err);
    if (status == GN_OK)
        status = stmt(q, L_TAKE_SELECT, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    gn__sq_b_real(st, 2, now, &rc);
    gn__sq_b_int(st, 3, (int64_t)n, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (k < n)
            ids[k++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE)
        status = gn__sq_db_error(q, rc, "finding expired leases", err);
    gn__sq_stmt_done(st);
    for (i = 0; status == GN_OK && i < k; i++)
        status = set_lease(q, ids[i], token_id, user, deadline, now, err);
    add = n - k < n_fresh ? n - k : n_fresh;
    if (status == GN_OK && add)
        status = add_leased(q, campaign_id, fresh, add, token_id, user, deadline, now, ids + k,
                            err);
    for (i = 0; status == GN_OK && i < k + add; i++) {
        status = exp_by_id(q, ids[i], &recs[i], err);
        if (status == GN_OK)
            got++;
    }
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK) {
        *out = got ? recs : NULL;
        *n_out = got;
        if (got)
            recs = NULL;
    }
out_free:
    gn_experiment_rec_array_free(recs, got);
    gn_free(ids);
    return status;
}

gn_status gn__sq_lease_set(gn_store *s, const int64_t *experiment_ids, size_t n, int64_t token_id,
                           const char *user, double deadline, gn_err *err)
{
    sq *q = Q(s);
    double now = gn_time_wall();
    char who[256];
    gn_exp_status cur;
    gn_status status;
    size_t i;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    for (i = 0; status == GN_OK && i < n; i++) {
        status = gn__sq_experiment_state(q, experiment_ids[i], &cur, who, sizeof who, err);
        if (status == GN_OK && cur != GN_EXP_PROPOSED && cur != GN_EXP_RUNNING)
            status = gn_err_set(err, GN_ERR_STATE, "%s is %s; it cannot be leased", who,
                                gn_exp_status_name(cur));
        if (status == GN_OK)
            status = set_lease(q, experiment_ids[i], token_id, user, deadline, now, err);
    }
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_partial_merge(gn_store *s, int64_t experiment_id, const char *partial,
                               gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    char who[256];
    gn_exp_status cur;
    int rc = SQLITE_OK;
    gn_status status;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, L_IS_OBJECT, &st, err);
    if (status == GN_OK) {
        int row, ok = 0;
        gn__sq_b_text(st, 1, partial, &rc);
        status = gn__sq_step_row(q, st, rc, &row, "checking partial results", err);
        if (status == GN_OK && row) {
            ok = sqlite3_column_int(st, 0);
            gn__sq_stmt_done(st);
        }
        if (status == GN_OK && !ok)
            status = gn_err_set(err, GN_ERR_INVALID, "partial results must be a JSON object");
        rc = SQLITE_OK;
    }
    if (status == GN_OK)
        status = gn__sq_experiment_state(q, experiment_id, &cur, who, sizeof who, err);
    if (status == GN_OK && cur != GN_EXP_PROPOSED && cur != GN_EXP_RUNNING)
        status = gn_err_set(err, GN_ERR_STATE, "%s is %s already; partial results not recorded",
                            who, gn_exp_status_name(cur));
    if (status == GN_OK)
        status = stmt(q, L_PARTIAL_MERGE, &st, err);
    if (status == GN_OK) {
        gn__sq_b_int(st, 1, experiment_id, &rc);
        gn__sq_b_text(st, 2, partial, &rc);
        gn__sq_b_real(st, 3, gn_time_wall(), &rc);
        status = gn__sq_run(q, st, rc, "merging partial results", err);
    }
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_tell_key_get(gn_store *s, int64_t experiment_id, const char *key,
                              char **request_hash, char **response, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    char *h = NULL, *r = NULL;
    int rc = SQLITE_OK, row;
    gn_status status = stmt(q, L_KEY_GET, &st, err);

    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, experiment_id, &rc);
    gn__sq_b_text(st, 2, key, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "looking up a tell key", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "no tell key '%s' for experiment id %" PRId64,
                          key, experiment_id);
    if ((request_hash && gn__sq_col_text(st, 0, &h)) || (response && gn__sq_col_text(st, 1, &r)))
        status = gn_err_nomem(err);
    gn__sq_stmt_done(st);
    if (status != GN_OK) {
        gn_free(h);
        gn_free(r);
        return status;
    }
    if (request_hash)
        *request_hash = h;
    if (response)
        *response = r;
    return GN_OK;
}

gn_status gn__sq_tell_key_put_in_hook(gn_store *s, int64_t experiment_id, const char *key,
                                      const char *request_hash, const char *response,
                                      gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    int rc = SQLITE_OK;
    gn_status status;

    if (!q->in_write || sqlite3_get_autocommit(q->db))
        return gn_err_set(err, GN_ERR_STATE,
                          "a tell key can be added to a transaction only from its write hook");
    status = stmt(q, L_KEY_PUT, &st, err);
    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, experiment_id, &rc);
    gn__sq_b_text(st, 2, key, &rc);
    gn__sq_b_text(st, 3, request_hash, &rc);
    gn__sq_b_text(st, 4, response, &rc);
    gn__sq_b_real(st, 5, gn_time_wall(), &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
        status = gn_err_set(err, GN_ERR_EXISTS,
                            "the tell key '%s' of experiment id %" PRId64 " is taken", key,
                            experiment_id);
    else if (rc != SQLITE_DONE)
        status = gn__sq_db_error(q, rc, "storing a tell key", err);
    gn__sq_stmt_done(st);
    return status;
}

gn_status gn__sq_campaign_complete_in_hook(gn_store *s, int64_t campaign_id, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    int rc = SQLITE_OK;
    gn_status status;

    if (!q->in_write || sqlite3_get_autocommit(q->db))
        return gn_err_set(err, GN_ERR_STATE,
                          "a campaign can be completed in a transaction only from its write hook");
    status = stmt(q, L_COMPLETE_IF_DONE, &st, err);
    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    gn__sq_b_real(st, 2, gn_time_wall(), &rc);
    return gn__sq_run(q, st, rc, "completing a campaign at its budget", err);
}

gn_status gn__sq_campaign_transition(gn_store *s, int64_t campaign_id, const char *const *from,
                                     size_t n_from, const char *to, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    char cur[32] = "", name[256] = "";
    int rc = SQLITE_OK, allowed = 0;
    gn_status status;
    size_t i;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = row_by_id(q, L_CAMPAIGN_STATE, campaign_id, "reading a campaign's state", "campaign",
                       &st, err);
    if (status != GN_OK)
        goto out;
    snprintf(cur, sizeof cur, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 1));
    gn__sq_stmt_done(st);
    if (!strcmp(cur, to))
        goto out;
    for (i = 0; i < n_from; i++)
        if (!strcmp(cur, from[i]))
            allowed = 1;
    if (!allowed) {
        status = gn_err_set(err, GN_ERR_STATE, "campaign '%s' is %s; it cannot become %s", name,
                            cur, to);
        goto out;
    }
    status = stmt(q, L_CAMPAIGN_SET_STATE, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    gn__sq_b_text(st, 2, to, &rc);
    gn__sq_b_real(st, 3, gn_time_wall(), &rc);
    status = gn__sq_run(q, st, rc, "setting a campaign's state", err);
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_experiment_page(gn_store *s, int64_t campaign_id, const gn_exp_status *status_f,
                                 size_t offset, size_t limit, gn_experiment_rec **out, size_t *n,
                                 size_t *total, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_experiment_rec *arr = NULL;
    size_t count = 0;
    int64_t tot = 0;
    int rc = SQLITE_OK, row;
    gn_status status;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, status_f ? L_PAGE_COUNT_STATUS : L_PAGE_COUNT, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    if (status_f)
        gn__sq_b_text(st, 2, gn_exp_status_name(*status_f), &rc);
    status = gn__sq_step_row(q, st, rc, &row, "counting experiments", err);
    if (status != GN_OK)
        goto out;
    if (row) {
        tot = sqlite3_column_int64(st, 0);
        gn__sq_stmt_done(st);
    }
    status = stmt(q, status_f ? L_PAGE_STATUS : L_PAGE, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    gn__sq_b_int(st, 1, campaign_id, &rc);
    if (status_f)
        gn__sq_b_text(st, 2, gn_exp_status_name(*status_f), &rc);
    gn__sq_b_int(st, 3, limit ? (int64_t)limit : -1, &rc);
    gn__sq_b_int(st, 4, (int64_t)offset, &rc);
    status = gn__sq_collect_experiments(q, st, rc, &arr, &count, err);
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK) {
        *out = arr;
        *n = count;
        *total = (size_t)tot;
        arr = NULL;
    }
    gn_experiment_rec_array_free(arr, count);
    return status;
}

gn_status gn__sq_lease_snapshot(gn_store *s, int64_t campaign_id, int64_t finished_after,
                                struct gn_lease_snapshot *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_lease_snapshot snap;
    int rc = SQLITE_OK, row;
    gn_status status;

    memset(&snap, 0, sizeof snap);
    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = gn__sq_campaign_status_counts(s, campaign_id, &snap.counts, err);
    if (status == GN_OK)
        status = stmt(q, L_MAX_NUMBER, &st, err);
    if (status == GN_OK) {
        gn__sq_b_int(st, 1, campaign_id, &rc);
        status = gn__sq_step_row(q, st, rc, &row, "numbering experiments", err);
        if (status == GN_OK && row) {
            snap.max_number = sqlite3_column_int64(st, 0);
            gn__sq_stmt_done(st);
        }
    }
    if (status == GN_OK)
        status = stmt(q, L_OPEN, &st, err);
    if (status == GN_OK) {
        rc = SQLITE_OK;
        gn__sq_b_int(st, 1, campaign_id, &rc);
        status = gn__sq_collect_experiments(q, st, rc, &snap.open, &snap.n_open, err);
    }
    if (status == GN_OK)
        status = stmt(q, L_FINISHED_AFTER, &st, err);
    if (status == GN_OK) {
        rc = SQLITE_OK;
        gn__sq_b_int(st, 1, campaign_id, &rc);
        gn__sq_b_int(st, 2, finished_after, &rc);
        status = gn__sq_collect_experiments(q, st, rc, &snap.finished, &snap.n_finished, err);
    }
    status = gn__sq_end(q, status, err);
    if (status == GN_OK)
        *out = snap;
    else
        gn_lease_snapshot_free(&snap);
    return status;
}

gn_status gn__sq_experiment_locate(gn_store *s, int64_t experiment_id, int64_t *campaign_id,
                                   char **campaign_name, int64_t *number, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    char *name = NULL;
    int rc = SQLITE_OK, row;
    gn_status status = stmt(q, L_LOCATE, &st, err);

    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, experiment_id, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "locating an experiment", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "no experiment with id %" PRId64, experiment_id);
    if (campaign_name && gn__sq_col_text(st, 2, &name))
        status = gn_err_nomem(err);
    if (status == GN_OK) {
        if (campaign_id)
            *campaign_id = sqlite3_column_int64(st, 0);
        if (number)
            *number = sqlite3_column_int64(st, 1);
        if (campaign_name)
            *campaign_name = name;
    }
    gn__sq_stmt_done(st);
    return status;
}
