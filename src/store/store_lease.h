/*
 * store/store_lease.h - what the service's campaigns need from the store
 * (schema 3): leases of proposed experiments, partial outcomes, the
 * idempotency keys of tells, guarded campaign state changes, paged
 * experiment listings and lookups by store-wide id.
 *
 * The rules of store.h hold: each call is one transaction, records
 * returned are owned by the caller, nothing is written back to caller
 * records on failure, err says why. Write calls run the store's write hook
 * (store.h) like every other write. Times are epoch seconds passed in by
 * the caller (the campaign layer owns the clock, so tests can move it).
 *
 * A lease is (token id, user, deadline) on an experiment row; it is a
 * hint for hand-out, not a lock on tells (campaign/service.h).
 */
#ifndef GN_STORE_STORE_LEASE_H
#define GN_STORE_STORE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define GN_STORE_TELL_KEY_MAX 128 /* bytes of an idempotency key */
#define GN_STORE_LEASE_USER_MAX 256

/* Hands out up to n experiments of an ACTIVE campaign to (token_id, user)
 * until `deadline`, in ONE write transaction begun with BEGIN IMMEDIATE
 * (so two callers, threads with their own handles or processes, never
 * get the same experiment, and the change is one audit record):
 *  1. PROPOSED experiments whose lease expired (deadline <= now) or that
 *     have none, lowest number first, are leased;
 *  2. then, while fewer than n were taken, the records of `fresh` (n_fresh
 *     planned points: params, prediction, origin are read) are added in
 *     order as new PROPOSED experiments, numbered after the campaign's
 *     last, already leased. Fresh records not needed are dropped.
 * *out (NULL when none; free with gn_experiment_rec_array_free) holds the
 * taken then the added records as stored; *n_out how many (0..n).
 * GN_ERR_STATE (nothing written) when the campaign is not active,
 * GN_ERR_NOT_FOUND when it does not exist. */
gn_status gn_store_lease_take(gn_store *s, int64_t campaign_id, size_t n, int64_t token_id,
                              const char *user, double now, double deadline,
                              const gn_experiment_rec *fresh, size_t n_fresh,
                              gn_experiment_rec **out, size_t *n_out, gn_err *err);

/* Leases each of the n experiments (store-wide ids) to (token_id, user)
 * until `deadline`, in one transaction. Every one must be PROPOSED or
 * RUNNING: otherwise GN_ERR_STATE naming it and nothing is written
 * (GN_ERR_NOT_FOUND when an id does not exist). Used to renew a lease. */
gn_status gn_store_lease_set(gn_store *s, const int64_t *experiment_ids, size_t n,
                             int64_t token_id, const char *user, double deadline, gn_err *err);

/* Merges the JSON object `partial` into the experiment's partial results
 * (RFC 7396 merge patch: names given replace earlier values). The
 * experiment must be PROPOSED or RUNNING (GN_ERR_STATE otherwise,
 * GN_ERR_NOT_FOUND when there is none); GN_ERR_INVALID if partial is not a
 * JSON object. Its status is left alone. */
gn_status gn_store_partial_merge(gn_store *s, int64_t experiment_id, const char *partial,
                                 gn_err *err);

/* The stored tell key `key` of an experiment: *request_hash and *response
 * (new strings, gn_free; either pointer may be NULL to skip it), or
 * GN_ERR_NOT_FOUND. */
gn_status gn_store_tell_key_get(gn_store *s, int64_t experiment_id, const char *key,
                                char **request_hash, char **response, gn_err *err);

/* Inserts a tell key INTO THE TRANSACTION RUNNING THE WRITE HOOK: callable
 * only from a write hook (GN_ERR_STATE otherwise), so the key commits
 * together with the outcome it belongs to, or not at all. GN_ERR_EXISTS
 * when the experiment has that key already (a concurrent tell won); the
 * hook then fails and the whole transaction, outcome included, is rolled
 * back. Key: 1..GN_STORE_TELL_KEY_MAX printable ASCII bytes. */
gn_status gn_store_tell_key_put_in_hook(gn_store *s, int64_t experiment_id, const char *key,
                                        const char *request_hash, const char *response,
                                        gn_err *err);

/* INSIDE THE TRANSACTION RUNNING THE WRITE HOOK (GN_ERR_STATE
 * otherwise): sets the campaign `completed` when it is active or paused
 * and its completed + failed experiments have reached its budget; nothing
 * otherwise. So the tell that finishes a campaign's budget and the state
 * change commit together. */
gn_status gn_store_campaign_complete_in_hook(gn_store *s, int64_t campaign_id, gn_err *err);

/* Moves campaign `campaign_id` to state `to` if its current state is one
 * of from[0..n_from-1], in one transaction (so a pause racing an archive
 * cannot bring an archived campaign back). The current state equal to
 * `to` is GN_OK without a write. Otherwise GN_ERR_STATE with a message
 * naming both states; GN_ERR_NOT_FOUND when there is no such campaign. */
gn_status gn_store_campaign_transition(gn_store *s, int64_t campaign_id,
                                       const char *const *from, size_t n_from, const char *to,
                                       gn_err *err);

/* Experiments of a campaign in number order (only those with *status when
 * status is non-NULL), skipping `offset`, at most `limit` (0: no limit),
 * and *total, the number before paging: one read transaction, so the page
 * and the total agree. */
gn_status gn_store_experiment_page(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                   size_t offset, size_t limit, gn_experiment_rec **out,
                                   size_t *n, size_t *total, gn_err *err);

/* What a suggestion is planned from, in one read snapshot and without
 * reading the whole campaign: its counts by status, its highest
 * experiment number, the experiments that wait or run (proposed, running:
 * `open`) and the finished ones (completed, failed) numbered above
 * `finished_after` (the planner was told every finished one up to there),
 * each list in number order. Free with gn_lease_snapshot_free. */
typedef struct gn_lease_snapshot {
    gn_campaign_counts counts;
    int64_t max_number;
    gn_experiment_rec *open;
    size_t n_open;
    gn_experiment_rec *finished;
    size_t n_finished;
} gn_lease_snapshot;

gn_status gn_store_lease_snapshot(gn_store *s, int64_t campaign_id, int64_t finished_after,
                                  gn_lease_snapshot *out, gn_err *err);
void gn_lease_snapshot_free(gn_lease_snapshot *snap);

/* The campaign (id and name: *campaign_name new, gn_free; may be NULL to
 * skip) and number of the experiment with store-wide id `experiment_id`.
 * GN_ERR_NOT_FOUND when there is none. */
gn_status gn_store_experiment_locate(gn_store *s, int64_t experiment_id, int64_t *campaign_id,
                                     char **campaign_name, int64_t *number, gn_err *err);

/* Group commit: between gn_store_batch_begin and gn_store_batch_end every
 * call on s is a SAVEPOINT of ONE write transaction (BEGIN IMMEDIATE) and
 * not committed by itself: a call that fails is undone alone (its write
 * hook, e.g. its audit record, with it), the calls that succeeded stay.
 * gn_store_batch_end(s, 1) commits them all with one fsync (any failure:
 * all are rolled back and the status says why), (s, 0) rolls them back.
 * Nothing is durable before gn_store_batch_end returns GN_OK: acknowledge
 * after it. One batch per store at a time (GN_ERR_STATE otherwise); the
 * store holds the database's write lock for the whole batch. */
gn_status gn_store_batch_begin(gn_store *s, gn_err *err);
gn_status gn_store_batch_end(gn_store *s, int commit, gn_err *err);

/* The experiments of a campaign by status (proposed ... abandoned; the
 * attempt fields are left 0): one indexed GROUP BY, one read snapshot.
 * An unknown campaign has all zero. */
gn_status gn_store_campaign_status_counts(gn_store *s, int64_t campaign_id,
                                          gn_campaign_counts *out, gn_err *err);

/* Checkpoints off the request path: gn_store_wal_autocheckpoint(s, 0)
 * stops the commits of s from copying the WAL into the database when it
 * has grown (SQLite's default: at 1000 pages, inside the COMMIT that
 * crosses it, fsyncs and all); gn_store_wal_checkpoint then does it
 * (PASSIVE: it never blocks writers or readers; BUSY counts as done) and
 * says how many pages the WAL has and how many were copied. */
gn_status gn_store_wal_autocheckpoint(gn_store *s, int pages, gn_err *err);
gn_status gn_store_wal_checkpoint(gn_store *s, int *wal_pages, int *copied, gn_err *err);

#endif
