/*
 * campaign/db.c - gn_db: the public handle on a store, and listing.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "genesis/genesis.h"

const char *gn_version(void) { return GENESIS_VERSION; }

void gn_string_free(char *s) { gn_free(s); }

/* Like sqlite3_open: *out is set even on failure so the message can be
 * read, except when the handle itself cannot be allocated. */
gn_status gn_db_open(const char *path, gn_db **out)
{
    gn_db *db;
    gn_status st;

    if (!out)
        return GN_ERR_INVALID;
    *out = NULL;
    db = gn_calloc(1, sizeof *db);
    if (!db)
        return GN_ERR_NOMEM;
    if (!path || !*path)
        path = getenv("GENESIS_DB");
    if (!path || !*path)
        path = "genesis.db";
    db->path = gn_strdup(path);
    if (!db->path) {
        gn_free(db);
        return GN_ERR_NOMEM;
    }
    *out = db;
    st = gn_store_open(path, &db->store, &db->err);
    if (st != GN_OK)
        db->store = NULL;
    return st;
}

void gn_db_close(gn_db *db)
{
    if (!db)
        return;
    gn_store_close(db->store);
    gn_free(db->path);
    gn_free(db);
}

const char *gn_db_errmsg(const gn_db *db)
{
    if (!db)
        return "out of memory";
    return db->err.msg[0] ? db->err.msg : gn_status_str(db->err.status);
}

const char *gn_db_path(const gn_db *db) { return db ? db->path : NULL; }

/* One campaign summary object for listings, or NULL when out of memory. */
static json_t *campaign_summary(gn_db *db, const gn_campaign_rec *rec, gn_err *err)
{
    gn_campaign_counts n;
    json_t *o;

    if (gn_store_campaign_counts(db->store, rec->id, &n, err) != GN_OK)
        return NULL;
    o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "name", rec->name,
                  "state", rec->state, "budget", (json_int_t)rec->budget, "completed",
                  (json_int_t)n.completed, "failed", (json_int_t)n.failed, "running",
                  (json_int_t)n.running, "proposed", (json_int_t)n.proposed, "abandoned",
                  (json_int_t)n.abandoned, "created", rec->created, "updated", rec->updated);
    /* schema 3: who the campaign belongs to (the service) */
    if (o && (json_object_set_new(o, "project",
                                  json_string(rec->project ? rec->project : "default")) ||
              json_object_set_new(o, "classification",
                                  json_string(rec->classification ? rec->classification
                                                                  : "internal")) ||
              json_object_set_new(o, "owner", rec->owner ? json_string(rec->owner) : json_null()))) {
        json_decref(o);
        o = NULL;
    }
    if (!o)
        gn_err_nomem(err);
    return o;
}

gn_status gn_db_campaigns_json(gn_db *db, char **json)
{
    gn_campaign_rec *recs = NULL;
    size_t n = 0, i;
    json_t *arr = NULL, *o;
    gn_status st;

    if (!db || !json)
        return GN_ERR_INVALID;
    *json = NULL;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    st = gn_store_campaign_list(db->store, &recs, &n, &db->err);
    if (st != GN_OK)
        goto out;
    arr = json_array();
    if (!arr) {
        st = gn_err_nomem(&db->err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        o = campaign_summary(db, &recs[i], &db->err);
        if (!o || json_array_append_new(arr, o) != 0) {
            st = db->err.status != GN_OK ? db->err.status : gn_err_nomem(&db->err);
            goto out;
        }
    }
    {
        char *text = json_dumps(arr, JSON_INDENT(2));
        if (!text) {
            st = gn_err_nomem(&db->err);
            goto out;
        }
        *json = gn_strdup(text);
        free(text);
        if (!*json)
            st = gn_err_nomem(&db->err);
    }
out:
    json_decref(arr);
    gn_campaign_rec_array_free(recs, n);
    return st;
}
