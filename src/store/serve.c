/*
 * store/serve.c - the store functions of store_serve.h: argument checks
 * and the rules that do not depend on the back end, then dispatch through
 * the operations table. Also the record free functions.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store_impl.h"

static const char *const roles[] = {"viewer", "experimenter", "maintainer", "admin"};

int gn_store_name_valid(const char *name, int is_user)
{
    size_t i, n;
    if (!name)
        return 0;
    n = strlen(name);
    if (n == 0 || n > GN_STORE_NAME_MAX || name[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-' || (is_user && c == '@'))
            continue;
        return 0;
    }
    return 1;
}

static int role_valid(const char *r)
{
    size_t i;
    for (i = 0; r && i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(r, roles[i]))
            return 1;
    return 0;
}

static gn_status check_name(const char *name, int is_user, gn_err *err)
{
    if (gn_store_name_valid(name, is_user))
        return GN_OK;
    return gn_err_set(err, GN_ERR_INVALID,
                      "invalid %s name '%.140s': 1 to %d letters, digits, '.', '_', '-'%s, "
                      "not starting with '-'",
                      is_user ? "user" : "project", name ? name : "(null)", GN_STORE_NAME_MAX,
                      is_user ? ", '@'" : "");
}

/* Short text fields (token names, descriptions): bounded, no control
 * characters (they are printed in listings). */
static gn_status check_text(const char *what, const char *t, size_t max, gn_err *err)
{
    size_t i, n;
    if (!t)
        return GN_OK;
    n = strlen(t);
    if (n > max)
        return gn_err_set(err, GN_ERR_LIMIT, "%s is longer than %zu bytes", what, max);
    for (i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            return gn_err_set(err, GN_ERR_INVALID, "%s holds a control character", what);
    return GN_OK;
}

/* ---- users ---------------------------------------------------------------- */

gn_status gn_store_user_add(gn_store *s, const char *name, int admin, int64_t *id, gn_err *err)
{
    gn_status st;
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_user_add");
    GN__STORE_HAVE(user_add, "gn_store_user_add");
    if ((st = check_name(name, 1, err)) != GN_OK)
        return st;
    return s->ops->user_add(s, name, admin != 0, id, err);
}

gn_status gn_store_user_get(gn_store *s, const char *name, gn_user_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name && out, "gn_store_user_get");
    GN__STORE_HAVE(user_get, "gn_store_user_get");
    return s->ops->user_get(s, name, out, err);
}

gn_status gn_store_user_list(gn_store *s, gn_user_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_user_list");
    GN__STORE_HAVE(user_list, "gn_store_user_list");
    return s->ops->user_list(s, out, n, err);
}

gn_status gn_store_user_set_disabled(gn_store *s, const char *name, int disabled, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name, "gn_store_user_set_disabled");
    GN__STORE_HAVE(user_set_flag, "gn_store_user_set_disabled");
    return s->ops->user_set_flag(s, name, 0, disabled != 0, err);
}

gn_status gn_store_user_set_admin(gn_store *s, const char *name, int admin, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name, "gn_store_user_set_admin");
    GN__STORE_HAVE(user_set_flag, "gn_store_user_set_admin");
    return s->ops->user_set_flag(s, name, 1, admin != 0, err);
}

void gn_user_rec_free(gn_user_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->name);
    memset(rec, 0, sizeof *rec);
}

void gn_user_rec_array_free(gn_user_rec *recs, size_t n)
{
    size_t i;
    for (i = 0; recs && i < n; i++)
        gn_user_rec_free(&recs[i]);
    gn_free(recs);
}

/* ---- projects and memberships ----------------------------------------------- */

gn_status gn_store_project_add(gn_store *s, const char *name, const char *description, int64_t *id,
                               gn_err *err)
{
    gn_status st;
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_project_add");
    GN__STORE_HAVE(project_add, "gn_store_project_add");
    if ((st = check_name(name, 0, err)) != GN_OK ||
        (st = check_text("a project description", description, 1000, err)) != GN_OK)
        return st;
    return s->ops->project_add(s, name, description, id, err);
}

gn_status gn_store_project_get(gn_store *s, const char *name, gn_project_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && name && out, "gn_store_project_get");
    GN__STORE_HAVE(project_get, "gn_store_project_get");
    return s->ops->project_get(s, name, out, err);
}

gn_status gn_store_project_list(gn_store *s, gn_project_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_project_list");
    GN__STORE_HAVE(project_list, "gn_store_project_list");
    return s->ops->project_list(s, out, n, err);
}

void gn_project_rec_free(gn_project_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->name);
    gn_free(rec->description);
    memset(rec, 0, sizeof *rec);
}

void gn_project_rec_array_free(gn_project_rec *recs, size_t n)
{
    size_t i;
    for (i = 0; recs && i < n; i++)
        gn_project_rec_free(&recs[i]);
    gn_free(recs);
}

gn_status gn_store_membership_set(gn_store *s, const char *user, const char *project,
                                  const char *role, const char *clearance, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && user && project, "gn_store_membership_set");
    GN__STORE_HAVE(membership_set, "gn_store_membership_set");
    if (!role_valid(role))
        return gn_err_set(err, GN_ERR_INVALID,
                          "unknown role '%.40s' (viewer, experimenter, maintainer, admin)",
                          role ? role : "(null)");
    if (!gn_store_classification_valid(clearance))
        return gn_err_set(err, GN_ERR_INVALID,
                          "unknown clearance '%.40s' (public, internal, controlled, restricted)",
                          clearance ? clearance : "(null)");
    return s->ops->membership_set(s, user, project, role, clearance, err);
}

gn_status gn_store_membership_remove(gn_store *s, const char *user, const char *project,
                                     gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && user && project, "gn_store_membership_remove");
    GN__STORE_HAVE(membership_remove, "gn_store_membership_remove");
    return s->ops->membership_remove(s, user, project, err);
}

gn_status gn_store_membership_list(gn_store *s, const char *user, const char *project,
                                   gn_membership_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_membership_list");
    GN__STORE_HAVE(membership_list, "gn_store_membership_list");
    return s->ops->membership_list(s, user, project, out, n, err);
}

void gn_membership_rec_free(gn_membership_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->user);
    gn_free(rec->project);
    gn_free(rec->role);
    gn_free(rec->clearance);
    memset(rec, 0, sizeof *rec);
}

void gn_membership_rec_array_free(gn_membership_rec *recs, size_t n)
{
    size_t i;
    for (i = 0; recs && i < n; i++)
        gn_membership_rec_free(&recs[i]);
    gn_free(recs);
}

/* ---- tokens -------------------------------------------------------------------- */

gn_status gn_store_token_add(gn_store *s, const char *user, const char *name, const char *prefix,
                             const unsigned char hash[GN_STORE_TOKEN_HASH_LEN], double expires,
                             int64_t *id, gn_err *err)
{
    gn_status st;
    gn_err_clear(err);
    GN__STORE_NEED(s && user && prefix && *prefix && hash, "gn_store_token_add");
    GN__STORE_NEED(isfinite(expires) && expires >= 0, "gn_store_token_add");
    GN__STORE_HAVE(token_add, "gn_store_token_add");
    if ((st = check_text("a token name", name, 200, err)) != GN_OK ||
        (st = check_text("a token prefix", prefix, 32, err)) != GN_OK)
        return st;
    return s->ops->token_add(s, user, name, prefix, hash, expires, id, err);
}

gn_status gn_store_token_auth(gn_store *s, const unsigned char hash[GN_STORE_TOKEN_HASH_LEN],
                              gn_token_rec *tok, gn_membership_rec **m, size_t *n_m, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && hash && tok && (!m) == (!n_m), "gn_store_token_auth");
    GN__STORE_HAVE(token_auth, "gn_store_token_auth");
    return s->ops->token_auth(s, hash, tok, m, n_m, err);
}

gn_status gn_store_token_get(gn_store *s, int64_t id, gn_token_rec *out, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out, "gn_store_token_get");
    GN__STORE_HAVE(token_get, "gn_store_token_get");
    return s->ops->token_get(s, id, out, err);
}

gn_status gn_store_token_list(gn_store *s, const char *user, gn_token_rec **out, size_t *n,
                              gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n, "gn_store_token_list");
    GN__STORE_HAVE(token_list, "gn_store_token_list");
    return s->ops->token_list(s, user, out, n, err);
}

gn_status gn_store_token_revoke(gn_store *s, int64_t id, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s, "gn_store_token_revoke");
    GN__STORE_HAVE(token_revoke, "gn_store_token_revoke");
    return s->ops->token_revoke(s, id, err);
}

gn_status gn_store_token_touch(gn_store *s, int64_t id, double when, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && isfinite(when), "gn_store_token_touch");
    GN__STORE_HAVE(token_touch, "gn_store_token_touch");
    return s->ops->token_touch(s, id, when, err);
}

void gn_token_rec_free(gn_token_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->user);
    gn_free(rec->name);
    gn_free(rec->prefix);
    memset(rec, 0, sizeof *rec);
}

void gn_token_rec_array_free(gn_token_rec *recs, size_t n)
{
    size_t i;
    for (i = 0; recs && i < n; i++)
        gn_token_rec_free(&recs[i]);
    gn_free(recs);
}

/* ---- audit ----------------------------------------------------------------------- */

/* Cuts a string field to max bytes (at a UTF-8 character boundary) into a
 * heap copy in *out (NULL stays NULL); -1 on no memory. */
static int cut(const char *in, size_t max, char **out)
{
    size_t n;
    *out = NULL;
    if (!in)
        return 0;
    n = strlen(in);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
            n--;
    }
    *out = gn_strndup(in, n);
    return *out ? 0 : -1;
}

static gn_status audit_append(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain, int in_hook,
                              gn_err *err)
{
    gn_audit_rec r;
    gn_status st;

    gn_err_clear(err);
    GN__STORE_NEED(s && rec && chain, "gn_store_audit_append");
    GN__STORE_HAVE(audit_append, "gn_store_audit_append");
    if (!rec->action || !*rec->action || !rec->result || !*rec->result)
        return gn_err_set(err, GN_ERR_INVALID, "an audit record needs an action and a result");
    memset(&r, 0, sizeof r);
    r.time = rec->time;
    r.token_id = rec->token_id;
    if (cut(rec->user, 256, &r.user) || cut(rec->action, 256, &r.action) ||
        cut(rec->object, 256, &r.object) || cut(rec->result, 256, &r.result) ||
        cut(rec->detail, 4096, &r.detail) || cut(rec->remote, 256, &r.remote)) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = s->ops->audit_append(s, &r, chain, in_hook, err);
    if (st == GN_OK) {
        rec->seq = r.seq;
        rec->time = r.time;
        memcpy(rec->hash, r.hash, sizeof rec->hash);
    }
out:
    gn_audit_rec_free(&r);
    return st;
}

gn_status gn_store_audit_append(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain,
                                gn_err *err)
{
    return audit_append(s, rec, chain, 0, err);
}

gn_status gn_store_audit_append_in_hook(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain,
                                        gn_err *err)
{
    return audit_append(s, rec, chain, 1, err);
}

gn_status gn_store_audit_scan(gn_store *s, int64_t *head_seq, char head_hex[65],
                              gn_audit_sink sink, void *ctx, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && head_seq && head_hex && sink, "gn_store_audit_scan");
    GN__STORE_HAVE(audit_scan, "gn_store_audit_scan");
    return s->ops->audit_scan(s, head_seq, head_hex, sink, ctx, err);
}

gn_status gn_store_audit_list(gn_store *s, const char *user, const char *action, size_t limit,
                              gn_audit_rec **out, size_t *n, gn_err *err)
{
    gn_err_clear(err);
    GN__STORE_NEED(s && out && n && limit >= 1 && limit <= 100000, "gn_store_audit_list");
    GN__STORE_HAVE(audit_list, "gn_store_audit_list");
    return s->ops->audit_list(s, user, action, limit, out, n, err);
}

void gn_audit_rec_free(gn_audit_rec *rec)
{
    if (!rec)
        return;
    gn_free(rec->user);
    gn_free(rec->action);
    gn_free(rec->object);
    gn_free(rec->result);
    gn_free(rec->detail);
    gn_free(rec->remote);
    memset(rec, 0, sizeof *rec);
}

void gn_audit_rec_array_free(gn_audit_rec *recs, size_t n)
{
    size_t i;
    for (i = 0; recs && i < n; i++)
        gn_audit_rec_free(&recs[i]);
    gn_free(recs);
}
