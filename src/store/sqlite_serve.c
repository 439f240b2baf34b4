/*
 * store/sqlite_serve.c - users, projects, memberships, tokens and the
 * audit log on SQLite (store_serve.h). Same rules as sqlite.c: one
 * transaction per call, statements cached on the handle (extension slots
 * GN__SQ_SLOT_SERVE..+31), nothing written back to the caller on failure.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define Q(s) GN__SQ(s)

enum {
    S_USER_ADD,
    S_USER_GET,
    S_USER_LIST,
    S_USER_SET_DISABLED,
    S_USER_SET_ADMIN,
    S_PROJECT_ADD,
    S_PROJECT_GET,
    S_PROJECT_LIST,
    S_MEMBER_SET,
    S_MEMBER_DEL,
    S_MEMBER_LIST,
    S_TOKEN_ADD,
    S_TOKEN_BY_HASH,
    S_TOKEN_BY_ID,
    S_TOKEN_LIST,
    S_TOKEN_REVOKE,
    S_TOKEN_TOUCH,
    S_MEMBER_OF_USER,
    S_AUDIT_HEAD,
    S_AUDIT_LAST,
    S_AUDIT_INSERT,
    S_AUDIT_SET_HEAD,
    S_AUDIT_SCAN,
    S_AUDIT_LIST,
    S__COUNT
};
_Static_assert(S__COUNT <= 32, "sqlite_serve.c owns 32 statement slots");

#define USER_COLS "id, name, admin, disabled, created"
#define TOKEN_COLS                                                                             \
    "t.id, t.user_id, u.name, t.name, t.prefix, t.hash, t.created, t.expires, t.revoked, " \
    "t.last_used, u.admin, u.disabled"
#define AUDIT_COLS "seq, time, user, token_id, action, object, result, detail, remote, hash"
#define MEMBER_COLS "u.name, p.name, m.role, m.clearance"

static const char *const sql[S__COUNT] = {
    [S_USER_ADD] = "INSERT INTO users (name, admin, disabled, created) VALUES (?1, ?2, 0, ?3)",
    [S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
    [S_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",
    [S_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE name = ?1",
    [S_USER_SET_ADMIN] = "UPDATE users SET admin = ?2 WHERE name = ?1",
    [S_PROJECT_ADD] = "INSERT INTO projects (name, description, created) VALUES (?1, ?2, ?3)",
    [S_PROJECT_GET] = "SELECT id, name, description, created FROM projects WHERE name = ?1",
    [S_PROJECT_LIST] = "SELECT id, name, description, created FROM projects ORDER BY name",
    [S_MEMBER_SET] = "INSERT OR REPLACE INTO memberships (user_id, project_id, role, clearance) "
                     "SELECT u.id, p.id, ?3, ?4 FROM users u, projects p "
                     "WHERE u.name = ?1 AND p.name = ?2",
    [S_MEMBER_DEL] = "DELETE FROM memberships WHERE "
                     "user_id = (SELECT id FROM users WHERE name = ?1) AND "
                     "project_id = (SELECT id FROM projects WHERE name = ?2)",
    [S_MEMBER_LIST] = "SELECT " MEMBER_COLS " FROM memberships m "
                      "JOIN users u ON u.id = m.user_id JOIN projects p ON p.id = m.project_id "
                      "WHERE (?1 IS NULL OR u.name = ?1) AND (?2 IS NULL OR p.name = ?2) "
                      "ORDER BY u.name, p.name",
    [S_TOKEN_ADD] = "INSERT INTO tokens (user_id, name, prefix, hash, created, expires) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_TOKEN_BY_HASH] = "SELECT " TOKEN_COLS " FROM tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.hash = ?1",
    [S_TOKEN_BY_ID] = "SELECT " TOKEN_COLS " FROM tokens t JOIN users u ON u.id = t.user_id "
                      "WHERE t.id = ?1",
    [S_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM tokens t JOIN users u ON u.id = t.user_id "
                     "WHERE (?1 IS NULL OR u.name = ?1) ORDER BY t.id",
    [S_TOKEN_REVOKE] = "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
    [S_TOKEN_TOUCH] = "UPDATE tokens SET last_used = ?2 WHERE id = ?1",
    [S_MEMBER_OF_USER] = "SELECT " MEMBER_COLS " FROM memberships m "
                         "JOIN users u ON u.id = m.user_id "
                         "JOIN projects p ON p.id = m.project_id "
                         "WHERE m.user_id = ?1 ORDER BY p.name",
    [S_AUDIT_HEAD] = "SELECT seq, hash FROM audit_head WHERE one = 1",
    [S_AUDIT_LAST] = "SELECT coalesce(max(seq), 0) FROM audit",
    [S_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ") "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_AUDIT_SET_HEAD] = "INSERT OR REPLACE INTO audit_head (one, seq, hash) VALUES (1, ?1, ?2)",
    [S_AUDIT_SCAN] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq",
    [S_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM audit "
                     "WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR action = ?2) "
                     "ORDER BY seq DESC LIMIT ?3",
};

static gn_status stmt(sq *q, int id, sqlite3_stmt **out, gn_err *err)
{
    return gn__sq_stmt(q, GN__SQ_SLOT_SERVE + id, sql[id], out, err);
}

/* Runs a write statement without the store's write hook: for the audit
 * log itself and for bookkeeping that is not a state change. */
static gn_status end_without_hook(sq *q, gn_status status, gn_err *err)
{
    gn_store_write_hook hook = q->hook;
    q->hook = NULL;
    status = gn__sq_end(q, status, err);
    q->hook = hook;
    return status;
}

/* ---- records from rows ----------------------------------------------------- */

static int read_user(sqlite3_stmt *st, gn_user_rec *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    u->admin = sqlite3_column_int(st, 2);
    u->disabled = sqlite3_column_int(st, 3);
    u->created = sqlite3_column_double(st, 4);
    return gn__sq_col_text(st, 1, &u->name);
}

static int read_project(sqlite3_stmt *st, gn_project_rec *p)
{
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    p->created = sqlite3_column_double(st, 3);
    if (gn__sq_col_text(st, 1, &p->name) || gn__sq_col_text(st, 2, &p->description))
        return -1;
    return 0;
}

static int read_member(sqlite3_stmt *st, gn_membership_rec *m)
{
    memset(m, 0, sizeof *m);
    if (gn__sq_col_text(st, 0, &m->user) || gn__sq_col_text(st, 1, &m->project) ||
        gn__sq_col_text(st, 2, &m->role) || gn__sq_col_text(st, 3, &m->clearance))
        return -1;
    return 0;
}

static int read_token(sqlite3_stmt *st, gn_token_rec *t)
{
    const void *h;
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    t->user_id = sqlite3_column_int64(st, 1);
    h = sqlite3_column_blob(st, 5);
    if (h && sqlite3_column_bytes(st, 5) == GN_STORE_TOKEN_HASH_LEN)
        memcpy(t->hash, h, GN_STORE_TOKEN_HASH_LEN);
    t->created = sqlite3_column_double(st, 6);
    t->expires = sqlite3_column_double(st, 7);
    t->revoked = sqlite3_column_double(st, 8);
    t->last_used = sqlite3_column_double(st, 9);
    t->user_admin = sqlite3_column_int(st, 10);
    t->user_disabled = sqlite3_column_int(st, 11);
    if (gn__sq_col_text(st, 2, &t->user) || gn__sq_col_text(st, 3, &t->name) ||
        gn__sq_col_text(st, 4, &t->prefix))
        return -1;
    return 0;
}

static int read_audit(sqlite3_stmt *st, gn_audit_rec *a)
{
    const unsigned char *h;
    memset(a, 0, sizeof *a);
    a->seq = sqlite3_column_int64(st, 0);
    a->time = sqlite3_column_double(st, 1);
    a->token_id = sqlite3_column_int64(st, 3);
    h = sqlite3_column_text(st, 9);
    if (h)
        snprintf(a->hash, sizeof a->hash, "%s", (const char *)h);
    if (gn__sq_col_text(st, 2, &a->user) || gn__sq_col_text(st, 4, &a->action) ||
        gn__sq_col_text(st, 5, &a->object) || gn__sq_col_text(st, 6, &a->result) ||
        gn__sq_col_text(st, 7, &a->detail) || gn__sq_col_text(st, 8, &a->remote))
        return -1;
    return 0;
}

static int read_user_v(sqlite3_stmt *st, void *r) { return read_user(st, r); }
static int read_project_v(sqlite3_stmt *st, void *r) { return read_project(st, r); }
static int read_member_v(sqlite3_stmt *st, void *r) { return read_member(st, r); }
static int read_token_v(sqlite3_stmt *st, void *r) { return read_token(st, r); }
static int read_audit_v(sqlite3_stmt *st, void *r) { return read_audit(st, r); }
static void free_user_v(void *r) { gn_user_rec_free(r); }
static void free_project_v(void *r) { gn_project_rec_free(r); }
static void free_member_v(void *r) { gn_membership_rec_free(r); }
static void free_token_v(void *r) { gn_token_rec_free(r); }
static void free_audit_v(void *r) { gn_audit_rec_free(r); }

/* The readers above as gn__sq_collect's row readers (a failed read leaves
 * nothing allocated), and the array frees. */
#define ROW_FN(name, read, free_one)                                            \
    static gn_status name(sq *q, sqlite3_stmt *st, void *r, gn_err *err)      \
    {                                                                          \
        (void)q;                                                               \
        if (read(st, r)) {                                                     \
            free_one(r);                                                       \
            return gn_err_nomem(err);                                          \
        }                                                                      \
        return GN_OK;                                                          \
    }
ROW_FN(row_user, read_user_v, free_user_v)
ROW_FN(row_project, read_project_v, free_project_v)
ROW_FN(row_member, read_member_v, free_member_v)
ROW_FN(row_token, read_token_v, free_token_v)
ROW_FN(row_audit, read_audit_v, free_audit_v)
#undef ROW_FN
static void users_free(void *r, size_t n) { gn_user_rec_array_free(r, n); }
static void projects_free(void *r, size_t n) { gn_project_rec_array_free(r, n); }
static void members_free(void *r, size_t n) { gn_membership_rec_array_free(r, n); }
static void tokens_free(void *r, size_t n) { gn_token_rec_array_free(r, n); }
static void audits_free(void *r, size_t n) { gn_audit_rec_array_free(r, n); }

/* ---- users ------------------------------------------------------------------ */

/* Steps st (bindings ended with rc) for at most one row and reads it with
 * `read` into out (a record of `size` bytes; released with `release` when
 * reading fails). GN_ERR_NOT_FOUND without a message when there is no row:
 * the caller names what is missing. */
static gn_status one_row(sq *q, sqlite3_stmt *st, int rc, int (*read)(sqlite3_stmt *, void *),
                         void (*release)(void *), void *out, size_t size, const char *what,
                         gn_err *err)
{
    gn_status status;
    void *rec;
    int row = 0;

    status = gn__sq_step_row(q, st, rc, &row, what, err);
    if (status != GN_OK)
        return status;
    if (!row)
        return GN_ERR_NOT_FOUND;
    rec = gn_calloc(1, size);
    if (!rec || read(st, rec)) {
        if (rec)
            release(rec);
        status = gn_err_nomem(err);
    } else {
        memcpy(out, rec, size);
    }
    gn_free(rec);
    gn__sq_stmt_done(st);
    return status;
}

/* The record named `name` from statement `id` (one text parameter), in
 * its own read transaction; GN_ERR_NOT_FOUND says "no KIND named 'NAME'". */
static gn_status get_named(gn_store *s, int id, const char *name, const char *kind,
                           int (*read)(sqlite3_stmt *, void *), void (*release)(void *), void *out,
                           size_t size, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, id, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, name, &rc);
    status = one_row(q, st, rc, read, release, out, size, "reading a record", err);
    if (status == GN_ERR_NOT_FOUND)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "no %s named '%s'", kind, name);
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_user_add(gn_store *s, const char *name, int admin, int64_t *id, gn_err *err)
{
    sq *q = Q(s);
    int64_t new_id = 0;
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_USER_ADD, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, name, &rc);
    gn__sq_b_int(st, 2, admin ? 1 : 0, &rc);
    gn__sq_b_real(st, 3, gn_time_wall(), &rc);
    status = gn__sq_run(q, st, rc, "adding a user", err);
    new_id = sqlite3_last_insert_rowid(q->db); /* before the hook adds rows */
    if (status == GN_ERR_EXISTS)
        status = gn_err_set(err, GN_ERR_EXISTS, "a user named '%s' exists already", name);
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK && id)
        *id = new_id;
    return status;
}

gn_status gn__sq_user_get(gn_store *s, const char *name, gn_user_rec *out, gn_err *err)
{
    return get_named(s, S_USER_GET, name, "user", read_user_v, free_user_v, out, sizeof *out, err);
}

/* Every row of statement `id` (no parameters), in one read transaction. */
static gn_status list_all(gn_store *s, int id, gn__sq_row_fn row, gn__sq_array_free_fn array_free,
                          size_t size, void **out, size_t *n, const char *what, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, id, &st, err);
    if (status == GN_OK)
        status = gn__sq_collect(q, st, SQLITE_OK, size, row, array_free, out, n, what, err);
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_user_list(gn_store *s, gn_user_rec **out, size_t *n, gn_err *err)
{
    return list_all(s, S_USER_LIST, row_user, users_free, sizeof **out, (void **)out, n,
                    "listing users", err);
}

/* which: 0 disabled, 1 admin */
gn_status gn__sq_user_set_flag(gn_store *s, const char *name, int which, int value, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, which ? S_USER_SET_ADMIN : S_USER_SET_DISABLED, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, name, &rc);
    gn__sq_b_int(st, 2, value ? 1 : 0, &rc);
    status = gn__sq_run(q, st, rc, "updating a user", err);
    if (status == GN_OK && sqlite3_changes(q->db) == 0)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "no user named '%s'", name);
out:
    return gn__sq_end(q, status, err);
}

/* ---- projects and memberships ------------------------------------------------ */

gn_status gn__sq_project_add(gn_store *s, const char *name, const char *description, int64_t *id,
                             gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int64_t new_id = 0;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_PROJECT_ADD, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, name, &rc);
    gn__sq_b_text(st, 2, description, &rc);
    gn__sq_b_real(st, 3, gn_time_wall(), &rc);
    status = gn__sq_run(q, st, rc, "adding a project", err);
    new_id = sqlite3_last_insert_rowid(q->db); /* before the hook adds rows */
    if (status == GN_ERR_EXISTS)
        status = gn_err_set(err, GN_ERR_EXISTS, "a project named '%s' exists already", name);
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK && id)
        *id = new_id;
    return status;
}

gn_status gn__sq_project_get(gn_store *s, const char *name, gn_project_rec *out, gn_err *err)
{
    return get_named(s, S_PROJECT_GET, name, "project", read_project_v, free_project_v, out,
                     sizeof *out, err);
}

gn_status gn__sq_project_list(gn_store *s, gn_project_rec **out, size_t *n, gn_err *err)
{
    return list_all(s, S_PROJECT_LIST, row_project, projects_free, sizeof **out,
                    (void **)out, n, "listing projects", err);
}

/* GN_OK when a row of `id` matches name; GN_ERR_NOT_FOUND naming `kind`. */
static gn_status must_exist(sq *q, int id, const char *name, const char *kind, gn_err *err)
{
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK, row = 0;

    status = stmt(q, id, &st, err);
    if (status != GN_OK)
        return status;
    gn__sq_b_text(st, 1, name, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "looking up a name", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "no %s named '%s'", kind, name);
    gn__sq_stmt_done(st);
    return GN_OK;
}

gn_status gn__sq_membership_set(gn_store *s, const char *user, const char *project,
                                const char *role, const char *clearance, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = must_exist(q, S_USER_GET, user, "user", err);
    if (status == GN_OK)
        status = must_exist(q, S_PROJECT_GET, project, "project", err);
    if (status == GN_OK)
        status = stmt(q, S_MEMBER_SET, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, user, &rc);
    gn__sq_b_text(st, 2, project, &rc);
    gn__sq_b_text(st, 3, role, &rc);
    gn__sq_b_text(st, 4, clearance, &rc);
    status = gn__sq_run(q, st, rc, "setting a membership", err);
    if (status == GN_OK && sqlite3_changes(q->db) == 0)
        status = gn_err_set(err, GN_ERR_INTERNAL, "setting a membership changed nothing");
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_membership_remove(gn_store *s, const char *user, const char *project,
                                   gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_MEMBER_DEL, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, user, &rc);
    gn__sq_b_text(st, 2, project, &rc);
    status = gn__sq_run(q, st, rc, "removing a membership", err);
    if (status == GN_OK && sqlite3_changes(q->db) == 0)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "'%s' is not a member of project '%s'", user,
                            project);
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_membership_list(gn_store *s, const char *user, const char *project,
                                 gn_membership_rec **out, size_t *n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_MEMBER_LIST, &st, err);
    if (status == GN_OK) {
        gn__sq_b_text(st, 1, user, &rc);
        gn__sq_b_text(st, 2, project, &rc);
        status = gn__sq_collect(q, st, rc, sizeof **out, row_member, members_free, (void **)out, n,
                                "listing memberships", err);
    }
    return gn__sq_end(q, status, err);
}

/* ---- tokens --------------------------------------------------------------------- */

gn_status gn__sq_token_add(gn_store *s, const char *user, const char *name, const char *prefix,
                           const unsigned char *hash, double expires, int64_t *id, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int64_t user_id, new_id = 0;
    int rc = SQLITE_OK, row = 0, disabled;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_USER_GET, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_text(st, 1, user, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "looking up a user", err);
    if (status != GN_OK)
        goto out;
    if (!row) {
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "no user named '%s'", user);
        goto out;
    }
    user_id = sqlite3_column_int64(st, 0);
    disabled = sqlite3_column_int(st, 3);
    gn__sq_stmt_done(st);
    if (disabled) {
        status = gn_err_set(err, GN_ERR_STATE, "user '%s' is disabled", user);
        goto out;
    }
    status = stmt(q, S_TOKEN_ADD, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    gn__sq_b_int(st, 1, user_id, &rc);
    gn__sq_b_text(st, 2, name, &rc);
    gn__sq_b_text(st, 3, prefix, &rc);
    gn__sq_b_blob(st, 4, hash, GN_STORE_TOKEN_HASH_LEN, &rc);
    gn__sq_b_real(st, 5, gn_time_wall(), &rc);
    if (rc == SQLITE_OK)
        rc = expires > 0 ? sqlite3_bind_double(st, 6, expires) : sqlite3_bind_null(st, 6);
    status = gn__sq_run(q, st, rc, "storing a token", err);
    new_id = sqlite3_last_insert_rowid(q->db); /* before the hook adds rows */
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK && id)
        *id = new_id;
    return status;
}

/* Reads the one token row of st (bound) into *out: GN_ERR_NOT_FOUND with
 * `nf` as the message when there is none. */
static gn_status token_one(sq *q, sqlite3_stmt *st, int rc, gn_token_rec *out, const char *nf,
                           gn_err *err)
{
    gn_status status = one_row(q, st, rc, read_token_v, free_token_v, out, sizeof *out,
                               "reading a token", err);
    if (status == GN_ERR_NOT_FOUND)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "%s", nf);
    return status;
}

gn_status gn__sq_token_auth(gn_store *s, const unsigned char *hash, gn_token_rec *tok,
                            gn_membership_rec **m, size_t *n_m, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_token_rec t;
    gn_status status;
    int rc = SQLITE_OK, have = 0;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_TOKEN_BY_HASH, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_blob(st, 1, hash, GN_STORE_TOKEN_HASH_LEN, &rc);
    status = token_one(q, st, rc, &t, "no such token", err);
    if (status != GN_OK)
        goto out;
    have = 1;
    if (m) {
        status = stmt(q, S_MEMBER_OF_USER, &st, err);
        if (status != GN_OK)
            goto out;
        rc = SQLITE_OK;
        gn__sq_b_int(st, 1, t.user_id, &rc);
        status = gn__sq_collect(q, st, rc, sizeof **m, row_member, members_free, (void **)m, n_m,
                                "reading memberships", err);
    }
out:
    status = gn__sq_end(q, status, err);
    if (status == GN_OK)
        *tok = t;
    else if (have)
        gn_token_rec_free(&t);
    return status;
}

gn_status gn__sq_token_get(gn_store *s, int64_t id, gn_token_rec *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;
    char nf[64];

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_TOKEN_BY_ID, &st, err);
    if (status == GN_OK) {
        gn__sq_b_int(st, 1, id, &rc);
        snprintf(nf, sizeof nf, "no token with id %lld", (long long)id);
        status = token_one(q, st, rc, out, nf, err);
    }
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_token_list(gn_store *s, const char *user, gn_token_rec **out, size_t *n,
                            gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    if (user)
        status = must_exist(q, S_USER_GET, user, "user", err);
    if (status == GN_OK)
        status = stmt(q, S_TOKEN_LIST, &st, err);
    if (status == GN_OK) {
        gn__sq_b_text(st, 1, user, &rc);
        status = gn__sq_collect(q, st, rc, sizeof **out, row_token, tokens_free, (void **)out, n,
                                "listing tokens", err);
    }
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_token_revoke(gn_store *s, int64_t id, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK, row = 0;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_TOKEN_REVOKE, &st, err);
    if (status != GN_OK)
        goto out;
    gn__sq_b_int(st, 1, id, &rc);
    gn__sq_b_real(st, 2, gn_time_wall(), &rc);
    status = gn__sq_run(q, st, rc, "revoking a token", err);
    if (status != GN_OK || sqlite3_changes(q->db) > 0)
        goto out;
    status = stmt(q, S_TOKEN_BY_ID, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    gn__sq_b_int(st, 1, id, &rc);
    status = gn__sq_step_row(q, st, rc, &row, "looking up a token", err);
    if (status != GN_OK)
        goto out;
    if (row)
        gn__sq_stmt_done(st);
    status = row ? gn_err_set(err, GN_ERR_STATE, "token %lld is revoked already", (long long)id)
                 : gn_err_set(err, GN_ERR_NOT_FOUND, "no token with id %lld", (long long)id);
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_token_touch(gn_store *s, int64_t id, double when, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_TOKEN_TOUCH, &st, err);
    if (status == GN_OK) {
        gn__sq_b_int(st, 1, id, &rc);
        gn__sq_b_real(st, 2, when, &rc);
        status = gn__sq_run(q, st, rc, "recording a token's use", err);
    }
    return end_without_hook(q, status, err);
}

/* ---- audit ---------------------------------------------------------------------- */

/* Reads the head (seq, hash); none: 0 and "". */
static gn_status audit_head(sq *q, int64_t *seq, char hex[65], gn_err *err)
{
    sqlite3_stmt *st;
    const unsigned char *h;
    gn_status status;
    int row = 0;

    *seq = 0;
    hex[0] = 0;
    status = stmt(q, S_AUDIT_HEAD, &st, err);
    if (status == GN_OK)
        status = gn__sq_step_row(q, st, SQLITE_OK, &row, "reading the audit head", err);
    if (status != GN_OK || !row)
        return status;
    *seq = sqlite3_column_int64(st, 0);
    h = sqlite3_column_text(st, 1);
    snprintf(hex, 65, "%s", h ? (const char *)h : "");
    gn__sq_stmt_done(st);
    return GN_OK;
}

/* The append proper, inside an open write transaction. On success rec
 * gets seq, time and hash. */
static gn_status audit_insert(sq *q, gn_audit_rec *rec, gn_audit_chain_fn chain, gn_err *err)
{
    sqlite3_stmt *st;
    gn_audit_rec r = *rec;
    int64_t head_seq, last = 0;
    char prev[65];
    gn_status status;
    int rc = SQLITE_OK, row = 0;

    status = audit_head(q, &head_seq, prev, err);
    if (status == GN_OK)
        status = stmt(q, S_AUDIT_LAST, &st, err);
    if (status == GN_OK)
        status = gn__sq_step_row(q, st, SQLITE_OK, &row, "reading the audit log", err);
    if (status != GN_OK)
        return status;
    if (row) {
        last = sqlite3_column_int64(st, 0);
        gn__sq_stmt_done(st);
    }
    r.seq = (last > head_seq ? last : head_seq) + 1;
    if (r.time <= 0)
        r.time = gn_time_wall();
    status = chain(prev, &r, r.hash, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_AUDIT_INSERT, &st, err);
    if (status != GN_OK)
        return status;
    gn__sq_b_int(st, 1, r.seq, &rc);
    gn__sq_b_real(st, 2, r.time, &rc);
    gn__sq_b_text(st, 3, r.user, &rc);
    if (rc == SQLITE_OK)
        rc = r.token_id ? sqlite3_bind_int64(st, 4, r.token_id) : sqlite3_bind_null(st, 4);
    gn__sq_b_text(st, 5, r.action, &rc);
    gn__sq_b_text(st, 6, r.object, &rc);
    gn__sq_b_text(st, 7, r.result, &rc);
    gn__sq_b_text(st, 8, r.detail, &rc);
    gn__sq_b_text(st, 9, r.remote, &rc);
    gn__sq_b_text(st, 10, r.hash, &rc);
    status = gn__sq_run(q, st, rc, "appending to the audit log", err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_AUDIT_SET_HEAD, &st, err);
    if (status != GN_OK)
        return status;
    rc = SQLITE_OK;
    gn__sq_b_int(st, 1, r.seq, &rc);
    gn__sq_b_text(st, 2, r.hash, &rc);
    status = gn__sq_run(q, st, rc, "moving the audit head", err);
    if (status == GN_OK) {
        rec->seq = r.seq;
        rec->time = r.time;
        memcpy(rec->hash, r.hash, sizeof rec->hash);
    }
    return status;
}

gn_status gn__sq_audit_append(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain, int in_hook,
                              gn_err *err)
{
    sq *q = Q(s);
    gn_status status;

    if (in_hook) {
        if (!q->in_write || sqlite3_get_autocommit(q->db))
            return gn_err_set(err, GN_ERR_STATE,
                              "an audit record can be added to a transaction only from its "
                              "write hook");
        return audit_insert(q, rec, chain, err);
    }
    if (!q->batch && !sqlite3_get_autocommit(q->db))
        return gn_err_set(err, GN_ERR_STATE,
                          "gn_store_audit_append called inside a transaction (from a write "
                          "hook, use gn_store_audit_append_in_hook)");
    status = gn__sq_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = audit_insert(q, rec, chain, err);
    return end_without_hook(q, status, err);
}

gn_status gn__sq_audit_scan(gn_store *s, int64_t *head_seq, char *head_hex, gn_audit_sink sink,
                            void *ctx, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = NULL;
    gn_audit_rec a;
    gn_status status;
    int rc;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = audit_head(q, head_seq, head_hex, err);
    if (status == GN_OK)
        status = stmt(q, S_AUDIT_SCAN, &st, err);
    if (status != GN_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_audit(st, &a)) {
            gn_audit_rec_free(&a);
            status = gn_err_nomem(err);
            break;
        }
        status = sink(ctx, &a, err);
        gn_audit_rec_free(&a);
        if (status != GN_OK)
            break;
    }
    if (status == GN_OK && rc != SQLITE_DONE)
        status = gn__sq_db_error(q, rc, "reading the audit log", err);
    gn__sq_stmt_done(st);
out:
    return gn__sq_end(q, status, err);
}

gn_status gn__sq_audit_list(gn_store *s, const char *user, const char *action, size_t limit,
                            gn_audit_rec **out, size_t *n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    int rc = SQLITE_OK;

    status = gn__sq_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = stmt(q, S_AUDIT_LIST, &st, err);
    if (status == GN_OK) {
        gn__sq_b_text(st, 1, user, &rc);
        gn__sq_b_text(st, 2, action, &rc);
        gn__sq_b_int(st, 3, (int64_t)limit, &rc);
        status = gn__sq_collect(q, st, rc, sizeof **out, row_audit, audits_free, (void **)out, n,
                                "listing the audit log", err);
    }
    return gn__sq_end(q, status, err);
}
