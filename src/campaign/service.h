/*
 * campaign/service.h - what the HTTP service needs from a campaign beyond
 * the public ask/tell API (internal; docs/serve.md describes the
 * behaviour users see).
 *
 * Leases. A suggestion made for a remote client is leased to it: the
 * experiment is recorded PROPOSED with lease_token/lease_user/
 * lease_deadline. Until the deadline it is the holder's to run; after it,
 * the next suggest call of any client gets it again (re-leased), before
 * any new proposal is made: an experiment is never lost to a client that
 * vanished. Every proposed experiment (leased or not) is pending for the
 * planner, so batches stay diverse.
 *
 * Tells. An outcome (all objectives, finite) completes the experiment; a
 * failure fails it; a partial outcome (any subset of names, finite) is
 * merged into experiments.partial and leaves the status alone (it may
 * also extend the lease). Tells are accepted from any caller the service
 * allowed (not only the lease holder) while the experiment is PROPOSED or
 * RUNNING, whatever the lease deadline: a measured result is never thrown
 * away. The first final tell wins; later ones are GN_ERR_STATE.
 *
 * Idempotency. A tell may carry a client key (1..128 printable ASCII
 * characters). The first tell with a key stores (key, request_hash,
 * response) in the SAME transaction as the outcome. A later tell of the
 * same experiment with the same key and the same request_hash returns
 * the stored response (*replayed = 1) and changes nothing; with another
 * request_hash it is GN_ERR_EXISTS (the key was reused for a different
 * request). Keys are per experiment.
 *
 * States. Campaign states: active -> paused -> active, active|paused|
 * completed -> archived (final), active|paused -> completed (set by the
 * tell that reaches the budget, in that tell's transaction). Suggest needs
 * `active` (GN_ERR_STATE otherwise, the message names the state: a
 * completed campaign is a definite "no more"). Tells, partials and abandons are accepted in every state
 * but archived (GN_ERR_STATE): results of experiments already out are
 * not lost by a pause.
 *
 * Handles are not thread-safe: the service serialises calls on one
 * gn_campaign with a mutex and gives each handle its own gn_db.
 */
#ifndef GN_CAMPAIGN_SERVICE_H
#define GN_CAMPAIGN_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "genesis/campaign.h"
#include "store/store.h"

/* Creates a campaign from spec text for the service. Unlike
 * gn_campaign_create_from_text, an existing name is always GN_ERR_EXISTS
 * (never reopened). project, classification and owner are stored with
 * the campaign (classification NULL: "internal"). Spec errors are
 * GN_ERR_SPEC with the message naming line:column ("<request>:3:5: ..."). */
gn_status gn__campaign_create_owned(gn_db *db, const char *text, size_t len, const char *project,
                                    const char *classification, const char *owner,
                                    gn_campaign **out);

/* The campaign's store record (project, classification, owner, state,
 * ...), borrowed from the handle; refreshed by gn__campaign_refresh. */
const gn_campaign_rec *gn__campaign_rec(const gn_campaign *c);
/* Re-reads the record (state may have been changed by another handle). */
gn_status gn__campaign_refresh(gn_campaign *c);

/* Moves the campaign to `state` ("active", "paused", "archived") if the
 * transition is allowed (see above); GN_ERR_STATE names both states
 * otherwise. Setting the current state again is GN_OK (idempotent). */
gn_status gn__campaign_set_state(gn_campaign *c, const char *state);

/* Leases up to n experiments to (token_id, user) until now + ttl: first
 * PROPOSED experiments whose lease expired or that have none (oldest
 * first), then new proposals. *out (caller frees with
 * gn_experiment_rec_array_free) holds them with params and prediction;
 * *n_out may be < n when the budget allows no more (0 when done: GN_OK),
 * or when another client took, at the same moment, expired experiments
 * this call counted on. The planner runs first, outside any transaction;
 * the hand-out (expired ones re-leased, new ones added leased) is then
 * ONE store transaction (one write-hook call, so one audit record), in
 * which the campaign must still be active. ttl: (0, 1e9] seconds. */
gn_status gn__campaign_lease(gn_campaign *c, size_t n, int64_t token_id, const char *user,
                             double ttl, gn_experiment_rec **out, size_t *n_out);

/* Extends the lease of experiment `number` to now + ttl for (token_id,
 * user). GN_ERR_STATE unless it is PROPOSED or RUNNING. */
gn_status gn__campaign_lease_renew(gn_campaign *c, int64_t number, int64_t token_id,
                                   const char *user, double ttl);

/* The lease of experiment `number`: holder token id (0 none), user
 * (copied into user, may be ""), deadline (0 none). */
gn_status gn__campaign_lease_get(gn_campaign *c, int64_t number, int64_t *token_id, char *user,
                                 size_t user_size, double *deadline);

typedef enum {
    GN_TELL_OUTCOME = 0, /* names/values: every objective, finite */
    GN_TELL_PARTIAL = 1, /* names/values: any subset, finite */
    GN_TELL_FAILURE = 2  /* reason */
} gn_tell_kind;

typedef struct gn_tell_req {
    gn_tell_kind kind;
    size_t n;
    const char *const *names;
    const double *values;
    const char *reason;       /* FAILURE: why (required, <= 1000 bytes) */
    const char *key;          /* idempotency key, or NULL */
    const char *request_hash; /* 64 hex digits identifying the request body; needed with key */
    const char *response;     /* the JSON the service answers with on success; stored with key */
} gn_tell_req;

/* Records a tell of experiment `number` (see above). On GN_OK with a key
 * seen before, *replayed is 1 and *stored_response (new string, free with
 * gn_string_free) is the response stored the first time; otherwise
 * *replayed is 0 and *stored_response NULL. GN_ERR_NOT_FOUND: no such
 * experiment; GN_ERR_STATE: already completed/failed/abandoned, or the
 * campaign is archived; GN_ERR_OUTCOME: missing objective, non-finite
 * value, unknown kind; GN_ERR_EXISTS: key reused with another request.
 * Nothing is recorded on failure. gn_campaign_errmsg says why. */
gn_status gn__campaign_tell_req(gn_campaign *c, int64_t number, const gn_tell_req *req,
                                int *replayed, char **stored_response);

/* Abandons experiment `number` (reason may be NULL). GN_ERR_STATE if it
 * is completed, failed or abandoned already. */
gn_status gn__campaign_abandon(gn_campaign *c, int64_t number, const char *reason);

/* Experiments of the campaign in number order, optionally only those with
 * `status`, from offset, at most limit (0: no limit); *total is the count
 * before paging. Caller frees *out with gn_experiment_rec_array_free.
 * Experiment records carry lease and partial fields (store.h). */
gn_status gn__campaign_experiments(gn_campaign *c, const gn_exp_status *status, size_t offset,
                                   size_t limit, gn_experiment_rec **out, size_t *n_out,
                                   size_t *total);

/* For tests: the clock leases are measured with (epoch seconds; NULL:
 * the wall clock). Process-wide and not thread-safe: set it before
 * starting threads. */
void gn__campaign_set_clock(double (*now)(void));

/* Finds the campaign and number of an experiment by its store-wide id
 * (GN_ERR_NOT_FOUND). name_out receives the campaign name. */
gn_status gn__db_experiment_locate(gn_db *db, int64_t experiment_id, char *name_out,
                                   size_t name_size, int64_t *number);

#endif
