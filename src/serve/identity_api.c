/*
 * serve/identity_api.c - the public API of genesis/identity.h over the
 * store (store/store_serve.h), serve/identity.c and serve/audit.c. Each
 * change is audited in the same transaction (gn_audit_defer_begin).
 */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "genesis/identity.h"
#include "serve/identity.h"
#include "store/store_serve.h"

_Static_assert(GN_TOKEN_SECRET_SIZE == GN_TOKEN_LEN + 1, "public and internal token sizes");

static gn_status db_ready(gn_db *db)
{
    if (!db)
        return GN_ERR_INVALID;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    return GN_OK;
}

/* "os:<login>" of this process, for the audit log. */
static void actor(char *buf, size_t size)
{
    struct passwd pw, *res = NULL;
    char tmp[1024];
    if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) == 0 && res && res->pw_name)
        snprintf(buf, size, "os:%s", res->pw_name);
    else
        snprintf(buf, size, "os:uid%ld", (long)geteuid());
}

/* An audit event for a change made through this API; detail is a JSON
 * object built by the caller (may be NULL). */
typedef struct change {
    char user[160];
    char object[300];
    char *detail;
    gn_audit_event ev;
} change;

static void change_init(change *c, const char *action, const char *kind, const char *name,
                        json_t *detail)
{
    memset(c, 0, sizeof *c);
    actor(c->user, sizeof c->user);
    snprintf(c->object, sizeof c->object, "%s/%s", kind, name ? name : "");
    c->detail = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    c->ev.user = c->user;
    c->ev.action = action;
    c->ev.object = c->object;
    c->ev.result = "ok";
    c->ev.detail = c->detail;
    c->ev.remote = "local";
}

static void change_destroy(change *c) { free(c->detail); }

static gn_status dump(json_t *j, char **out, gn_err *err)
{
    char *text;
    if (!j)
        return gn_err_nomem(err);
    text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text)
        return gn_err_nomem(err);
    *out = gn_strdup(text);
    free(text);
    return *out ? GN_OK : gn_err_nomem(err);
}

static json_t *time_or_null(double t) { return t > 0 ? json_real(t) : json_null(); }
static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* ---- users -------------------------------------------------------------- */

gn_status gn_db_user_add(gn_db *db, const char *name, int admin)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    change_init(&c, "user.add", "user", name, json_pack("{s:b}", "admin", admin != 0));
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_user_add(db->store, name, admin, NULL, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

gn_status gn_db_user_set_disabled(gn_db *db, const char *name, int disabled)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    change_init(&c, disabled ? "user.disable" : "user.enable", "user", name, NULL);
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_user_set_disabled(db->store, name, disabled, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

gn_status gn_db_user_set_admin(gn_db *db, const char *name, int admin)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    change_init(&c, "user.admin", "user", name, json_pack("{s:b}", "admin", admin != 0));
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_user_set_admin(db->store, name, admin, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

static json_t *memberships(const gn_membership_rec *m, size_t n, const char *user,
                           const char *project)
{
    json_t *arr = json_array(), *o;
    size_t i;
    for (i = 0; arr && i < n; i++) {
        if ((user && strcmp(m[i].user, user)) || (project && strcmp(m[i].project, project)))
            continue;
        o = user ? json_pack("{s:s, s:s, s:s}", "project", m[i].project, "role", m[i].role,
                             "clearance", m[i].clearance)
                 : json_pack("{s:s, s:s, s:s}", "user", m[i].user, "role", m[i].role,
                             "clearance", m[i].clearance);
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

gn_status gn_db_users_json(gn_db *db, char **json)
{
    gn_user_rec *u = NULL;
    gn_membership_rec *m = NULL;
    size_t nu = 0, nm = 0, i;
    json_t *arr = NULL;
    gn_status st = db_ready(db);

    if (st != GN_OK)
        return st;
    if (!json)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_users_json: no output");
    st = gn_store_user_list(db->store, &u, &nu, &db->err);
    if (st == GN_OK)
        st = gn_store_membership_list(db->store, NULL, NULL, &m, &nm, &db->err);
    if (st != GN_OK)
        goto out;
    arr = json_array();
    for (i = 0; arr && i < nu; i++) {
        json_t *o = json_pack("{s:s, s:b, s:b, s:o, s:o}", "name", u[i].name, "admin", u[i].admin,
                              "disabled", u[i].disabled, "created", time_or_null(u[i].created),
                              "projects", memberships(m, nm, u[i].name, NULL));
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    st = dump(arr, json, &db->err);
out:
    gn_user_rec_array_free(u, nu);
    gn_membership_rec_array_free(m, nm);
    return st;
}

/* ---- projects -------------------------------------------------------------- */

gn_status gn_db_project_add(gn_db *db, const char *name, const char *description)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    change_init(&c, "project.add", "project", name, NULL);
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_project_add(db->store, name, description, NULL, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

gn_status gn_db_projects_json(gn_db *db, char **json)
{
    gn_project_rec *p = NULL;
    gn_membership_rec *m = NULL;
    size_t np = 0, nm = 0, i;
    json_t *arr = NULL;
    gn_status st = db_ready(db);

    if (st != GN_OK)
        return st;
    if (!json)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_projects_json: no output");
    st = gn_store_project_list(db->store, &p, &np, &db->err);
    if (st == GN_OK)
        st = gn_store_membership_list(db->store, NULL, NULL, &m, &nm, &db->err);
    if (st != GN_OK)
        goto out;
    arr = json_array();
    for (i = 0; arr && i < np; i++) {
        json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "name", p[i].name, "description",
                              str_or_null(p[i].description), "created",
                              time_or_null(p[i].created), "members",
                              memberships(m, nm, NULL, p[i].name));
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    st = dump(arr, json, &db->err);
out:
    gn_project_rec_array_free(p, np);
    gn_membership_rec_array_free(m, nm);
    return st;
}

gn_status gn_db_member_set(gn_db *db, const char *project, const char *user, const char *role,
                           const char *clearance)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    if (!project || !user)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_member_set: no project or user");
    change_init(&c, "member.set", "project", project,
                json_pack("{s:s, s:s?, s:s?}", "user", user, "role", role, "clearance",
                          clearance));
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_membership_set(db->store, user, project, role, clearance, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

gn_status gn_db_member_remove(gn_db *db, const char *project, const char *user)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    if (!project || !user)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_member_remove: no project or user");
    change_init(&c, "member.remove", "project", project, json_pack("{s:s}", "user", user));
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_membership_remove(db->store, user, project, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

/* ---- tokens ---------------------------------------------------------------- */

gn_status gn_db_token_create(gn_db *db, const char *user, const char *name, double expires,
                             char secret[GN_TOKEN_SECRET_SIZE], int64_t *id)
{
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    if (!user || !secret)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_token_create: no user or output");
    /* the prefix is not known before the token is made: the record says
     * who and what; `token list` shows the prefix next to the id */
    change_init(&c, "token.create", "user", user,
                json_pack("{s:s?, s:o}", "name", name, "expires", time_or_null(expires)));
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_token_create(db->store, user, name, expires, secret, id, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

gn_status gn_db_tokens_json(gn_db *db, const char *user, char **json)
{
    gn_token_rec *t = NULL;
    size_t n = 0, i;
    json_t *arr = NULL;
    double now = gn_time_wall();
    gn_status st = db_ready(db);

    if (st != GN_OK)
        return st;
    if (!json)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_db_tokens_json: no output");
    st = gn_store_token_list(db->store, user, &t, &n, &db->err);
    if (st != GN_OK)
        return st;
    arr = json_array();
    for (i = 0; arr && i < n; i++) {
        const char *state = t[i].revoked > 0                          ? "revoked"
                            : t[i].expires > 0 && now >= t[i].expires ? "expired"
                            : t[i].user_disabled                      ? "disabled"
                                                                      : "active";
        json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:s}", "id",
                              (json_int_t)t[i].id, "user", t[i].user, "name",
                              str_or_null(t[i].name), "prefix", t[i].prefix, "created",
                              time_or_null(t[i].created), "expires", time_or_null(t[i].expires),
                              "revoked", time_or_null(t[i].revoked), "last_used",
                              time_or_null(t[i].last_used), "state", state);
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    st = dump(arr, json, &db->err);
    gn_token_rec_array_free(t, n);
    return st;
}

gn_status gn_db_token_revoke(gn_db *db, int64_t id)
{
    char name[32];
    gn_status st = db_ready(db);
    change c;
    if (st != GN_OK)
        return st;
    snprintf(name, sizeof name, "%lld", (long long)id);
    change_init(&c, "token.revoke", "token", name, NULL);
    gn_audit_defer_begin(db->store, &c.ev);
    st = gn_store_token_revoke(db->store, id, &db->err);
    gn_audit_defer_end(db->store);
    change_destroy(&c);
    return st;
}

/* ---- audit ---------------------------------------------------------------------- */

gn_status gn_db_audit_verify(gn_db *db, int64_t *bad_seq, int64_t *checked)
{
    gn_status st = db_ready(db);
    if (st != GN_OK)
        return st;
    return gn_audit_verify(db->store, bad_seq, checked, &db->err);
}

gn_status gn_db_audit_verify_anchored(gn_db *db, int64_t anchor_seq, const char *anchor_hash,
                                      int64_t *bad_seq, int64_t *checked, int64_t *head_seq,
                                      char *head_hash)
{
    gn_status st = db_ready(db);
    if (st != GN_OK)
        return st;
    return gn_audit_verify_anchored(db->store, anchor_seq, anchor_hash, bad_seq, checked, head_seq,
                                    head_hash, &db->err);
}

gn_status gn_db_audit_json(gn_db *db, const char *user, const char *action, size_t limit,
                           char **json)
{
    gn_audit_rec *a = NULL;
    size_t n = 0, i;
    json_t *arr = NULL;
    gn_status st = db_ready(db);

    if (st != GN_OK)
        return st;
    if (!json || limit < 1 || limit > 100000)
        return gn_err_set(&db->err, GN_ERR_INVALID,
                          "gn_db_audit_json: no output, or a limit outside 1..100000");
    st = gn_store_audit_list(db->store, user, action, limit, &a, &n, &db->err);
    if (st != GN_OK)
        return st;
    arr = json_array();
    for (i = 0; arr && i < n; i++) {
        json_t *o = json_pack("{s:I, s:f, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:s}", "seq",
                              (json_int_t)a[i].seq, "time", a[i].time, "user",
                              str_or_null(a[i].user), "token_id",
                              a[i].token_id ? json_integer(a[i].token_id) : json_null(),
                              "action", a[i].action, "object", str_or_null(a[i].object),
                              "result", a[i].result, "detail", str_or_null(a[i].detail),
                              "remote", str_or_null(a[i].remote), "hash", a[i].hash);
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    st = dump(arr, json, &db->err);
    gn_audit_rec_array_free(a, n);
    return st;
}
