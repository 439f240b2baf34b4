/*
 * store/sqlite_internal.h - what the SQLite back-end files share (internal).
 *
 * sqlite.c holds the core (campaigns, experiments, attempts, datasets,
 * transactions, migrations). Other sqlite_*.c files add operations for one
 * concern each (sqlite_serve.c: users, projects, tokens, audit, leases)
 * using the helpers below on the same connection and the same rules: one
 * transaction per call (gn__sq_begin_write/read ... gn__sq_end), nothing
 * written back to caller records on failure, err filled on failure.
 *
 * Statements: the core keeps its own; extension files get theirs prepared
 * once and cached on the handle by gn__sq_stmt(q, slot, sql). Slots are
 * assigned per file (GN__SQ_SLOT_* below) so files never collide.
 */
#ifndef GN_STORE_SQLITE_INTERNAL_H
#define GN_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/store_impl.h"

#define GN__SQ_CORE_STMTS 64
#define GN__SQ_EXT_STMTS 128
/* first extension slot of each file (each owns 32) */
#define GN__SQ_SLOT_SERVE 0   /* sqlite_serve.c: identity, audit */
#define GN__SQ_SLOT_LEASE 32  /* sqlite_lease.c: leases, tell keys */
#define GN__SQ_SLOT_JOBS 64   /* sqlite.c: Slurm job ids of attempts */
#define GN__SQ_SLOT_MISC 96

typedef struct sq sq;

/* The back-end state behind gn_store.be. */
struct sq {
    sqlite3 *db;
    const char *path; /* borrowed from the gn_store */
    int busy_ms;
    int in_write;     /* a BEGIN IMMEDIATE transaction is open */
    int batch;        /* gn_store_batch_begin: each call is a savepoint of one transaction */
    gn_store_write_hook hook; /* gn_store_set_write_hook; may be NULL */
    void *hook_ctx;
    gn_store *hook_store;
    sqlite3_stmt *stmt[GN__SQ_CORE_STMTS];
    sqlite3_stmt *ext[GN__SQ_EXT_STMTS];
};

#define GN__SQ(s) ((sq *)(s)->be)

/* Fills err for SQLite result code rc met while doing `what`; the matching
 * status (BUSY, NOMEM, EXISTS for unique violations, IO, STORE...). Call
 * before resetting the statement. */
gn_status gn__sq_db_error(sq *q, int rc, const char *what, gn_err *err);
/* Resets a statement and clears its bindings. */
void gn__sq_stmt_done(sqlite3_stmt *st);
/* Steps a statement that returns no row we need, then resets it. */
gn_status gn__sq_run(sq *q, sqlite3_stmt *st, int bind_rc, const char *what, gn_err *err);
/* Steps a statement expected to give at most one row: *row 1 and the
 * statement NOT reset (read it, then gn__sq_stmt_done), or *row 0. */
gn_status gn__sq_step_row(sq *q, sqlite3_stmt *st, int bind_rc, int *row, const char *what,
                          gn_err *err);
/* Heap copy of text column i into *out (NULL for SQL NULL); -1 on no memory. */
int gn__sq_col_text(sqlite3_stmt *st, int i, char **out);
/* A row reader fills one record from the current row (on failure it leaves
 * nothing allocated in it); an array free releases n records and the array. */
typedef gn_status (*gn__sq_row_fn)(sq *q, sqlite3_stmt *st, void *rec, gn_err *err);
typedef void (*gn__sq_array_free_fn)(void *recs, size_t n);
/* Steps a bound statement to the end (bind_rc: the binds' result; not
 * SQLITE_OK fails at once), reading every row with `row` into a new array
 * of `size`-byte records. On success *out (NULL when there are no rows)
 * and *n are set; on failure nothing is returned. The statement is reset
 * either way. */
gn_status gn__sq_collect(sq *q, sqlite3_stmt *st, int bind_rc, size_t size, gn__sq_row_fn row,
                         gn__sq_array_free_fn array_free, void **out, size_t *n, const char *what,
                         gn_err *err);
/* The columns of an experiment row, and the reader of a row selected with
 * them (the record is filled on GN_OK only). */
#define GN__SQ_EXP_COLS                                                        \
    "id, campaign_id, number, status, params, prediction, outcome, origin, "  \
    "attempts, created, updated, reason, lease_token, lease_user, lease_deadline, partial"
gn_status gn__sq_row_experiment(sq *q, sqlite3_stmt *st, gn_experiment_rec *out, gn_err *err);
/* Steps a bound statement of GN__SQ_EXP_COLS rows to the end (resetting
 * it): *out (n rows, gn_experiment_rec_array_free) or an error and
 * nothing. bind_rc: the binds' result (not SQLITE_OK: fails at once). */
gn_status gn__sq_collect_experiments(sq *q, sqlite3_stmt *st, int bind_rc, gn_experiment_rec **out,
                                     size_t *n, gn_err *err);
/* Transactions: BEGIN IMMEDIATE / BEGIN, busy waits included; gn__sq_end
 * runs the write hook (write transactions), then commits on GN_OK or rolls
 * back otherwise, and returns the final status. */
gn_status gn__sq_begin_write(sq *q, gn_err *err);
gn_status gn__sq_begin_read(sq *q, gn_err *err);
gn_status gn__sq_end(sq *q, gn_status status, gn_err *err);
/* An experiment's status, and a phrase naming it for messages ("experiment
 * 7 of campaign 'x'"); GN_ERR_NOT_FOUND when there is none. */
gn_status gn__sq_experiment_state(sq *q, int64_t experiment_id, gn_exp_status *status_out,
                                  char *who, size_t who_size, gn_err *err);
/* The cached statement of `slot` (prepared from sql on first use). */
gn_status gn__sq_stmt(sq *q, int slot, const char *sql, sqlite3_stmt **out, gn_err *err);

/* Bind helpers: keep the first failure in *rc and do nothing after it.
 * Strings are bound without a copy (they must outlive the step). */
static inline void gn__sq_b_text(sqlite3_stmt *st, int i, const char *s, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}
static inline void gn__sq_b_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int64(st, i, v);
}
static inline void gn__sq_b_real(sqlite3_stmt *st, int i, double v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_double(st, i, v);
}
static inline void gn__sq_b_blob(sqlite3_stmt *st, int i, const void *p, int n, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_blob(st, i, p, n, SQLITE_STATIC);
}


/* ---- sqlite_serve.c: identity and audit (store_serve.h) ----
 * The operations, and the initialisers sqlite.c puts in its table. */
gn_status gn__sq_user_add(gn_store *s, const char *name, int admin, int64_t *id, gn_err *err);
gn_status gn__sq_user_get(gn_store *s, const char *name, gn_user_rec *out, gn_err *err);
gn_status gn__sq_user_list(gn_store *s, gn_user_rec **out, size_t *n, gn_err *err);
gn_status gn__sq_user_set_flag(gn_store *s, const char *name, int which, int value, gn_err *err);
gn_status gn__sq_project_add(gn_store *s, const char *name, const char *description, int64_t *id,
                             gn_err *err);
gn_status gn__sq_project_get(gn_store *s, const char *name, gn_project_rec *out, gn_err *err);
gn_status gn__sq_project_list(gn_store *s, gn_project_rec **out, size_t *n, gn_err *err);
gn_status gn__sq_membership_set(gn_store *s, const char *user, const char *project,
                                const char *role, const char *clearance, gn_err *err);
gn_status gn__sq_membership_remove(gn_store *s, const char *user, const char *project,
                                   gn_err *err);
gn_status gn__sq_membership_list(gn_store *s, const char *user, const char *project,
                                 gn_membership_rec **out, size_t *n, gn_err *err);
gn_status gn__sq_token_add(gn_store *s, const char *user, const char *name, const char *prefix,
                           const unsigned char *hash, double expires, int64_t *id, gn_err *err);
gn_status gn__sq_token_auth(gn_store *s, const unsigned char *hash, gn_token_rec *tok,
                            gn_membership_rec **m, size_t *n_m, gn_err *err);
gn_status gn__sq_token_get(gn_store *s, int64_t id, gn_token_rec *out, gn_err *err);
gn_status gn__sq_token_list(gn_store *s, const char *user, gn_token_rec **out, size_t *n,
                            gn_err *err);
gn_status gn__sq_token_revoke(gn_store *s, int64_t id, gn_err *err);
gn_status gn__sq_token_touch(gn_store *s, int64_t id, double when, gn_err *err);
gn_status gn__sq_audit_append(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain, int in_hook,
                              gn_err *err);
gn_status gn__sq_audit_scan(gn_store *s, int64_t *head_seq, char *head_hex, gn_audit_sink sink,
                            void *ctx, gn_err *err);
gn_status gn__sq_audit_list(gn_store *s, const char *user, const char *action, size_t limit,
                            gn_audit_rec **out, size_t *n, gn_err *err);

#define GN__SQ_SERVE_OPS                                                                   \
    .user_add = gn__sq_user_add, .user_get = gn__sq_user_get, .user_list = gn__sq_user_list, \
    .user_set_flag = gn__sq_user_set_flag, .project_add = gn__sq_project_add,              \
    .project_get = gn__sq_project_get, .project_list = gn__sq_project_list,                \
    .membership_set = gn__sq_membership_set, .membership_remove = gn__sq_membership_remove, \
    .membership_list = gn__sq_membership_list, .token_add = gn__sq_token_add,              \
    .token_auth = gn__sq_token_auth, .token_get = gn__sq_token_get,                        \
    .token_list = gn__sq_token_list, .token_revoke = gn__sq_token_revoke,                  \
    .token_touch = gn__sq_token_touch, .audit_append = gn__sq_audit_append,                \
    .audit_scan = gn__sq_audit_scan, .audit_list = gn__sq_audit_list,

/* ---- sqlite_lease.c: leases and tell keys (store_lease.h) ---- */
void gn__sq_get_write_hook(gn_store *s, gn_store_write_hook *hook, void **ctx);
gn_status gn__sq_lease_take(gn_store *s, int64_t campaign_id, size_t n, int64_t token_id,
                            const char *user, double now, double deadline,
                            const gn_experiment_rec *fresh, size_t n_fresh,
                            gn_experiment_rec **out, size_t *n_out, gn_err *err);
gn_status gn__sq_lease_set(gn_store *s, const int64_t *experiment_ids, size_t n, int64_t token_id,
                           const char *user, double deadline, gn_err *err);
gn_status gn__sq_partial_merge(gn_store *s, int64_t experiment_id, const char *partial,
                               gn_err *err);
gn_status gn__sq_tell_key_get(gn_store *s, int64_t experiment_id, const char *key,
                              char **request_hash, char **response, gn_err *err);
gn_status gn__sq_tell_key_put_in_hook(gn_store *s, int64_t experiment_id, const char *key,
                                      const char *request_hash, const char *response,
                                      gn_err *err);
gn_status gn__sq_campaign_complete_in_hook(gn_store *s, int64_t campaign_id, gn_err *err);
gn_status gn__sq_batch_begin(gn_store *s, gn_err *err);
gn_status gn__sq_wal_autocheckpoint(gn_store *s, int pages, gn_err *err);
gn_status gn__sq_wal_checkpoint(gn_store *s, int *wal_pages, int *copied, gn_err *err);
gn_status gn__sq_batch_end(gn_store *s, int commit, gn_err *err);
gn_status gn__sq_campaign_status_counts(gn_store *s, int64_t campaign_id,
                                        gn_campaign_counts *out, gn_err *err);
gn_status gn__sq_campaign_transition(gn_store *s, int64_t campaign_id, const char *const *from,
                                     size_t n_from, const char *to, gn_err *err);
gn_status gn__sq_experiment_page(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                 size_t offset, size_t limit, gn_experiment_rec **out, size_t *n,
                                 size_t *total, gn_err *err);
gn_status gn__sq_lease_snapshot(gn_store *s, int64_t campaign_id, int64_t finished_after,
                                struct gn_lease_snapshot *out, gn_err *err);
gn_status gn__sq_experiment_locate(gn_store *s, int64_t experiment_id, int64_t *campaign_id,
                                   char **campaign_name, int64_t *number, gn_err *err);

#define GN__SQ_LEASE_OPS                                                                    \
    .get_write_hook = gn__sq_get_write_hook, .lease_take = gn__sq_lease_take,               \
    .lease_set = gn__sq_lease_set, .partial_merge = gn__sq_partial_merge,                   \
    .tell_key_get = gn__sq_tell_key_get, .tell_key_put_in_hook = gn__sq_tell_key_put_in_hook, \
    .campaign_transition = gn__sq_campaign_transition,                                      \
    .campaign_complete_in_hook = gn__sq_campaign_complete_in_hook,                          \
    .batch_begin = gn__sq_batch_begin, .batch_end = gn__sq_batch_end,                       \
    .wal_autocheckpoint = gn__sq_wal_autocheckpoint, .wal_checkpoint = gn__sq_wal_checkpoint, \
    .campaign_status_counts = gn__sq_campaign_status_counts,                                \
    .experiment_page = gn__sq_experiment_page, .experiment_locate = gn__sq_experiment_locate, \
    .lease_snapshot = gn__sq_lease_snapshot,

#endif
