/*
 * store/store_impl.h - what a store back end provides (internal).
 *
 * gn_store is a handle over one back end, reached through a constant
 * operations table (the GSL solver-type idea). store.c checks arguments
 * and the rules that do not depend on the back end, then dispatches; a back
 * end only talks to its database. Every operation has the contract of the
 * public function of the same name in store.h; in particular each is one
 * transaction, writes nothing back to caller records on failure, and fills
 * err on failure.
 *
 * To add a back end (PostgreSQL): write src/store/<name>.c with a static
 * gn_store_ops and an open function like gn__store_sqlite_open, and let
 * gn_store_open choose it from the path (e.g. "postgresql://...").
 */
#ifndef GN_STORE_STORE_IMPL_H
#define GN_STORE_STORE_IMPL_H

#include "store/store.h"
#include "store/store_serve.h"

struct gn_lease_snapshot; /* store_lease.h */

typedef struct gn_store_ops {
    const char *name; /* "sqlite" */
    /* Releases the back-end state (s->be); s itself is freed by store.c. */
    void (*close)(gn_store *s);
    void (*set_busy_timeout)(gn_store *s, int ms);

    gn_status (*campaign_create)(gn_store *s, gn_campaign_rec *rec, gn_err *err);
    gn_status (*campaign_get)(gn_store *s, const char *name, gn_campaign_rec *out, gn_err *err);
    gn_status (*campaign_list)(gn_store *s, gn_campaign_rec **out, size_t *n, gn_err *err);
    gn_status (*campaign_set_state)(gn_store *s, int64_t campaign_id, const char *state,
                                    gn_err *err);
    gn_status (*campaign_counts)(gn_store *s, int64_t campaign_id, gn_campaign_counts *out,
                                 gn_err *err);

    gn_status (*experiments_add)(gn_store *s, int64_t campaign_id, gn_experiment_rec *recs,
                                 size_t n, gn_err *err);
    gn_status (*experiment_list)(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                 gn_experiment_rec **out, size_t *n, gn_err *err);
    gn_status (*experiment_get)(gn_store *s, int64_t campaign_id, int64_t number,
                                gn_experiment_rec *out, gn_err *err);
    gn_status (*experiment_abandon)(gn_store *s, int64_t experiment_id, const char *reason,
                                    gn_err *err);

    gn_status (*attempt_start)(gn_store *s, gn_attempt_rec *a, gn_err *err);
    gn_status (*attempts_finish)(gn_store *s, gn_attempt_finish *f, size_t n, gn_err *err);
    gn_status (*attempt_list)(gn_store *s, int64_t experiment_id, gn_attempt_rec **out,
                              size_t *n, gn_err *err);
    gn_status (*recover_interrupted)(gn_store *s, int64_t campaign_id, const char *reason,
                                     gn_attempt_rec **out, size_t *n, gn_err *err);

    gn_status (*check)(gn_store *s, gn_err *err);

    /* datasets (schema 2); new slots go at the end */
    gn_status (*dataset_add)(gn_store *s, gn_dataset_rec *rec, gn_dataset_chunk_source next,
                             void *ctx, gn_err *err);
    gn_status (*dataset_get)(gn_store *s, const char *name, int64_t version, gn_dataset_rec *out,
                             gn_err *err);
    gn_status (*dataset_list)(gn_store *s, int include_archived, gn_dataset_rec **out, size_t *n,
                              gn_err *err);
    gn_status (*dataset_rows)(gn_store *s, int64_t dataset_id, gn_dataset_chunk_sink sink,
                              void *ctx, gn_err *err);
    gn_status (*dataset_archive)(gn_store *s, const char *name, gn_err *err);

    /* schema 3 */
    void (*set_write_hook)(gn_store *s, gn_store_write_hook hook, void *ctx);
    /* New slots for schema 3 go below, one block per concern, each named
     * by the file that implements it for SQLite. */
    /* -- sqlite_serve.c: identity and audit (store_serve.h) -- */
    gn_status (*user_add)(gn_store *s, const char *name, int admin, int64_t *id, gn_err *err);
    gn_status (*user_get)(gn_store *s, const char *name, struct gn_user_rec *out, gn_err *err);
    gn_status (*user_list)(gn_store *s, struct gn_user_rec **out, size_t *n, gn_err *err);
    gn_status (*user_set_flag)(gn_store *s, const char *name, int which, int value, gn_err *err);
    gn_status (*project_add)(gn_store *s, const char *name, const char *description, int64_t *id,
                             gn_err *err);
    gn_status (*project_get)(gn_store *s, const char *name, struct gn_project_rec *out,
                             gn_err *err);
    gn_status (*project_list)(gn_store *s, struct gn_project_rec **out, size_t *n, gn_err *err);
    gn_status (*membership_set)(gn_store *s, const char *user, const char *project,
                                const char *role, const char *clearance, gn_err *err);
    gn_status (*membership_remove)(gn_store *s, const char *user, const char *project,
                                   gn_err *err);
    gn_status (*membership_list)(gn_store *s, const char *user, const char *project,
                                 struct gn_membership_rec **out, size_t *n, gn_err *err);
    gn_status (*token_add)(gn_store *s, const char *user, const char *name, const char *prefix,
                           const unsigned char *hash, double expires, int64_t *id, gn_err *err);
    gn_status (*token_auth)(gn_store *s, const unsigned char *hash, struct gn_token_rec *tok,
                            struct gn_membership_rec **m, size_t *n_m, gn_err *err);
    gn_status (*token_get)(gn_store *s, int64_t id, struct gn_token_rec *out, gn_err *err);
    gn_status (*token_list)(gn_store *s, const char *user, struct gn_token_rec **out, size_t *n,
                            gn_err *err);
    gn_status (*token_revoke)(gn_store *s, int64_t id, gn_err *err);
    gn_status (*token_touch)(gn_store *s, int64_t id, double when, gn_err *err);
    /* in_hook: append inside the transaction running the write hook */
    gn_status (*audit_append)(gn_store *s, struct gn_audit_rec *rec, gn_audit_chain_fn chain,
                              int in_hook, gn_err *err);
    gn_status (*audit_scan)(gn_store *s, int64_t *head_seq, char *head_hex, gn_audit_sink sink,
                            void *ctx, gn_err *err);
    gn_status (*audit_list)(gn_store *s, const char *user, const char *action, size_t limit,
                            struct gn_audit_rec **out, size_t *n, gn_err *err);
    /* -- sqlite_lease.c: leases and tell keys (store_lease.h) -- */
    void (*get_write_hook)(gn_store *s, gn_store_write_hook *hook, void **ctx);
    gn_status (*lease_take)(gn_store *s, int64_t campaign_id, size_t n, int64_t token_id,
                            const char *user, double now, double deadline,
                            const gn_experiment_rec *fresh, size_t n_fresh,
                            gn_experiment_rec **out, size_t *n_out, gn_err *err);
    gn_status (*lease_set)(gn_store *s, const int64_t *experiment_ids, size_t n,
                           int64_t token_id, const char *user, double deadline, gn_err *err);
    gn_status (*partial_merge)(gn_store *s, int64_t experiment_id, const char *partial,
                               gn_err *err);
    gn_status (*tell_key_get)(gn_store *s, int64_t experiment_id, const char *key,
                              char **request_hash, char **response, gn_err *err);
    gn_status (*tell_key_put_in_hook)(gn_store *s, int64_t experiment_id, const char *key,
                                      const char *request_hash, const char *response,
                                      gn_err *err);
    gn_status (*campaign_complete_in_hook)(gn_store *s, int64_t campaign_id, gn_err *err);
    gn_status (*batch_begin)(gn_store *s, gn_err *err);
    gn_status (*batch_end)(gn_store *s, int commit, gn_err *err);
    gn_status (*wal_autocheckpoint)(gn_store *s, int pages, gn_err *err);
    gn_status (*wal_checkpoint)(gn_store *s, int *wal_pages, int *copied, gn_err *err);
    gn_status (*campaign_status_counts)(gn_store *s, int64_t campaign_id,
                                        gn_campaign_counts *out, gn_err *err);
    gn_status (*campaign_transition)(gn_store *s, int64_t campaign_id, const char *const *from,
                                     size_t n_from, const char *to, gn_err *err);
    gn_status (*lease_snapshot)(gn_store *s, int64_t campaign_id, int64_t finished_after,
                                struct gn_lease_snapshot *out, gn_err *err);
    gn_status (*experiment_page)(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                 size_t offset, size_t limit, gn_experiment_rec **out,
                                 size_t *n, size_t *total, gn_err *err);
    gn_status (*experiment_locate)(gn_store *s, int64_t experiment_id, int64_t *campaign_id,
                                   char **campaign_name, int64_t *number, gn_err *err);
    /* -- sqlite.c: Slurm job ids -- */
    gn_status (*recover_interrupted_keep_jobs)(gn_store *s, int64_t campaign_id,
                                               const char *reason, gn_attempt_rec **out,
                                               size_t *n, gn_err *err);
    /* -- sqlite.c: batched attempt records (the run loop, bench/README.md) -- */
    gn_status (*attempts_record)(gn_store *s, gn_attempt_rec *starts, size_t n_starts,
                                 gn_attempt_finish *fin, size_t n_fin, gn_err *err);
    /* -- sqlite.c: job states of running attempts -- */
    gn_status (*attempts_job_update)(gn_store *s, const gn_attempt_job *u, size_t n, gn_err *err);
} gn_store_ops;

struct gn_store {
    const gn_store_ops *ops; /* set by the back end's open */
    char *path;              /* as given to gn_store_open; owned */
    void *be;                /* back-end state; owned by the back end */
};

/* Argument checks of the store functions (store.c, serve.c, lease.c): in
 * a function with `gn_err *err` (and `gn_store *s` for HAVE), return
 * GN_ERR_INVALID naming the function and the failed condition, or
 * GN_ERR_UNSUPPORTED when the back end lacks the operation (a back end
 * that does not implement a concern yet). */
#define GN__STORE_NEED(cond, fn)                                                      \
    do {                                                                            \
        if (!(cond))                                                                \
            return gn_err_set(err, GN_ERR_INVALID, "%s: invalid argument (%s)", fn, \
                              #cond);                                               \
    } while (0)
#define GN__STORE_HAVE(op, fn)                                                             \
    do {                                                                                   \
        if (!s->ops || !s->ops->op)                                                        \
            return gn_err_set(err, GN_ERR_UNSUPPORTED, "%s: not supported by this store", \
                              fn);                                                         \
    } while (0)

/* Opens s->path with SQLite, migrates the schema, and sets s->ops and
 * s->be. On failure s->ops and s->be stay NULL and nothing is leaked. */
gn_status gn__store_sqlite_open(gn_store *s, gn_err *err);

/* Campaign states ("active", ...): 1 when `state` is one of them. */
int gn__store_campaign_state_valid(const char *state);

#endif
