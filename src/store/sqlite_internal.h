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
#define GN__SQ_SLOT_LEASE 32  /* sqlite_serve.c: leases, tell keys */
#define GN__SQ_SLOT_JOBS 64   /* sqlite.c: Slurm job ids of attempts */
#define GN__SQ_SLOT_MISC 96

typedef struct sq sq;

/* The back-end state behind gn_store.be. */
struct sq {
    sqlite3 *db;
    const char *path; /* borrowed from the gn_store */
    int busy_ms;
    int in_write;     /* a BEGIN IMMEDIATE transaction is open */
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
/* Transactions: BEGIN IMMEDIATE / BEGIN, busy waits included; gn__sq_end
 * runs the write hook (write transactions), then commits on GN_OK or rolls
 * back otherwise, and returns the final status. */
gn_status gn__sq_begin_write(sq *q, gn_err *err);
gn_status gn__sq_begin_read(sq *q, gn_err *err);
gn_status gn__sq_end(sq *q, gn_status status, gn_err *err);
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

#endif
