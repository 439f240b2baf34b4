/*
 * store/lease.c - the store functions of store_lease.h (and
 * gn_store_get_write_hook of store.h): argument checks, then dispatch
 * through the operations table.
 */
#include <math.h>
#include <string.h>

#include "store/store_impl.h"
#include "store/store_lease.h"

void gn_store_get_write_hook(gn_store *s, gn_store_write_hook *hook, void **ctx)
{
    if (hook)
        *hook = NULL;
    if (ctx)
        *ctx = NULL;
    if (s && hook && ctx && s->ops && s->ops->get_write_hook)
        s->ops->get_write_hook(s, hook, ctx);
}

/* 1..GN_STORE_TELL_KEY_MAX printable ASCII bytes. */
static int key_valid(const char *key)
{
    size_t i, n;
    if (!key)
        return 0;
    n = strlen(key);
    if (n == 0 || n > GN_STORE_TELL_KEY_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return 0;
    return 1;
}

static int user_ok(const char *user)
{
    return !user || strlen(user) <= GN_STORE_LEASE_USER_MAX;
}

gn_status gn_store_lease_take(gn_store *s, int64_t campaign_id, size_t n, int64_t token_id,
                              const char *user, double now, double deadline,
                              const gn_experiment_rec *fresh, size_t n_fresh,
                              gn_experiment_rec **out, size_t *n_out, gn_err *err)
{
    size_t i;
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n_out && user_ok(user) && isfinite(now) && isfinite(deadline) &&
             token_id >= 0 && n <= 100000 && (fresh || n_fresh == 0),
         "gn_store_lease_take");
    GN__STORE_HAVE(lease_take, "gn_store_lease_take");
    for (i = 0; i < n_fresh; i++)
        GN__STORE_NEED(fresh[i].params, "gn_store_lease_take");
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return GN_OK;
    return s->ops->lease_take(s, campaign_id, n, token_id, user, now, deadline, fresh, n_fresh,
                              out, n_out, err);
}

gn_status gn_store_lease_set(gn_store *s, const int64_t *experiment_ids, size_t n,
                             int64_t token_id, const char *user, double deadline, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && (experiment_ids || n == 0) && user_ok(user) && isfinite(deadline) && token_id >= 0,
         "gn_store_lease_set");
    GN__STORE_HAVE(lease_set, "gn_store_lease_set");
    if (n == 0)
        return GN_OK;
    return s->ops->lease_set(s, experiment_ids, n, token_id, user, deadline, err);
}

gn_status gn_store_partial_merge(gn_store *s, int64_t experiment_id, const char *partial,
                                 gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && partial, "gn_store_partial_merge");
    GN__STORE_HAVE(partial_merge, "gn_store_partial_merge");
    return s->ops->partial_merge(s, experiment_id, partial, err);
}

gn_status gn_store_tell_key_get(gn_store *s, int64_t experiment_id, const char *key,
                                char **request_hash, char **response, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && key, "gn_store_tell_key_get");
    GN__STORE_HAVE(tell_key_get, "gn_store_tell_key_get");
    if (!key_valid(key))
        return gn_err_set(err, GN_ERR_INVALID,
                          "a tell key is 1 to %d printable ASCII characters", GN_STORE_TELL_KEY_MAX);
    return s->ops->tell_key_get(s, experiment_id, key, request_hash, response, err);
}

gn_status gn_store_campaign_complete_in_hook(gn_store *s, int64_t campaign_id, gn_err *err)
{
    /* err is the hook's: not cleared */
    GN__STORE_NEED(s, "gn_store_campaign_complete_in_hook");
    GN__STORE_HAVE(campaign_complete_in_hook, "gn_store_campaign_complete_in_hook");
    return s->ops->campaign_complete_in_hook(s, campaign_id, err);
}

gn_status gn_store_tell_key_put_in_hook(gn_store *s, int64_t experiment_id, const char *key,
                                        const char *request_hash, const char *response,
                                        gn_err *err)
{
    /* err is the hook's: not cleared, a failure adds to it */
    GN__STORE_NEED(s && key && request_hash && response, "gn_store_tell_key_put_in_hook");
    GN__STORE_HAVE(tell_key_put_in_hook, "gn_store_tell_key_put_in_hook");
    if (!key_valid(key))
        return gn_err_set(err, GN_ERR_INVALID,
                          "a tell key is 1 to %d printable ASCII characters", GN_STORE_TELL_KEY_MAX);
    return s->ops->tell_key_put_in_hook(s, experiment_id, key, request_hash, response, err);
}

gn_status gn_store_campaign_transition(gn_store *s, int64_t campaign_id,
                                       const char *const *from, size_t n_from, const char *to,
                                       gn_err *err)
{
    size_t i;
    gn_err_clear(err);
    GN__STORE_NEED(s && (from || n_from == 0) && to, "gn_store_campaign_transition");
    GN__STORE_HAVE(campaign_transition, "gn_store_campaign_transition");
    if (!gn__store_campaign_state_valid(to))
        return gn_err_set(err, GN_ERR_INVALID, "unknown campaign state '%s'", to);
    for (i = 0; i < n_from; i++)
        if (!gn__store_campaign_state_valid(from[i]))
            return gn_err_set(err, GN_ERR_INVALID, "unknown campaign state '%s'",
                              from[i] ? from[i] : "(null)");
    return s->ops->campaign_transition(s, campaign_id, from, n_from, to, err);
}

gn_status gn_store_lease_snapshot(gn_store *s, int64_t campaign_id, int64_t finished_after,
                                  gn_lease_snapshot *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out, "gn_store_lease_snapshot");
    memset(out, 0, sizeof *out);
    GN__STORE_HAVE(lease_snapshot, "gn_store_lease_snapshot");
    return s->ops->lease_snapshot(s, campaign_id, finished_after, out, err);
}

void gn_lease_snapshot_free(gn_lease_snapshot *snap)
{
    if (!snap)
        return;
    gn_experiment_rec_array_free(snap->open, snap->n_open);
    gn_experiment_rec_array_free(snap->finished, snap->n_finished);
    snap->open = snap->finished = NULL;
    snap->n_open = snap->n_finished = 0;
}

gn_status gn_store_experiment_page(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                   size_t offset, size_t limit, gn_experiment_rec **out,
                                   size_t *n, size_t *total, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n && total && offset <= INT64_MAX && limit <= INT64_MAX,
         "gn_store_experiment_page");
    GN__STORE_NEED(!status || (*status >= GN_EXP_PROPOSED && *status <= GN_EXP_ABANDONED),
         "gn_store_experiment_page");
    GN__STORE_HAVE(experiment_page, "gn_store_experiment_page");
    *out = NULL;
    *n = *total = 0;
    return s->ops->experiment_page(s, campaign_id, status, offset, limit, out, n, total, err);
}

gn_status gn_store_experiment_locate(gn_store *s, int64_t experiment_id, int64_t *campaign_id,
                                     char **campaign_name, int64_t *number, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_experiment_locate");
    GN__STORE_HAVE(experiment_locate, "gn_store_experiment_locate");
    if (campaign_name)
        *campaign_name = NULL;
    return s->ops->experiment_locate(s, experiment_id, campaign_id, campaign_name, number, err);
}

gn_status gn_store_batch_begin(gn_store *s, gn_err *err)
{
    GN__STORE_NEED(s, "gn_store_batch_begin");
    GN__STORE_HAVE(batch_begin, "gn_store_batch_begin");
    gn_err_clear(err);
    return s->ops->batch_begin(s, err);
}

gn_status gn_store_batch_end(gn_store *s, int commit, gn_err *err)
{
    GN__STORE_NEED(s, "gn_store_batch_end");
    GN__STORE_HAVE(batch_end, "gn_store_batch_end");
    gn_err_clear(err);
    return s->ops->batch_end(s, commit, err);
}

gn_status gn_store_campaign_status_counts(gn_store *s, int64_t campaign_id,
                                          gn_campaign_counts *out, gn_err *err)
{
    GN__STORE_NEED(s && out, "gn_store_campaign_status_counts");
    GN__STORE_HAVE(campaign_status_counts, "gn_store_campaign_status_counts");
    gn_err_clear(err);
    return s->ops->campaign_status_counts(s, campaign_id, out, err);
}

gn_status gn_store_wal_autocheckpoint(gn_store *s, int pages, gn_err *err)
{
    GN__STORE_NEED(s, "gn_store_wal_autocheckpoint");
    GN__STORE_HAVE(wal_autocheckpoint, "gn_store_wal_autocheckpoint");
    gn_err_clear(err);
    return s->ops->wal_autocheckpoint(s, pages, err);
}

gn_status gn_store_wal_checkpoint(gn_store *s, int *wal_pages, int *copied, gn_err *err)
{
    GN__STORE_NEED(s, "gn_store_wal_checkpoint");
    GN__STORE_HAVE(wal_checkpoint, "gn_store_wal_checkpoint");
    gn_err_clear(err);
    return s->ops->wal_checkpoint(s, wal_pages, copied, err);
}
