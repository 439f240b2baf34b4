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
    /* -- sqlite_lease.c: leases and tell keys (store_lease.h) -- */
    /* -- sqlite.c: Slurm job ids -- */
} gn_store_ops;

struct gn_store {
    const gn_store_ops *ops; /* set by the back end's open */
    char *path;              /* as given to gn_store_open; owned */
    void *be;                /* back-end state; owned by the back end */
};

/* Opens s->path with SQLite, migrates the schema, and sets s->ops and
 * s->be. On failure s->ops and s->be stay NULL and nothing is leaked. */
gn_status gn__store_sqlite_open(gn_store *s, gn_err *err);

/* Campaign states ("active", ...): 1 when `state` is one of them. */
int gn__store_campaign_state_valid(const char *state);

#endif
