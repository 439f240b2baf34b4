/*
 * serve/identity.h - who is asking, what they may do, and the audit log
 * (internal to the service; docs/serve.md states the rules for users).
 *
 * Users, projects, memberships and API tokens live in the store (schema
 * 3; store/store_serve.h). A membership gives a user a role and a
 * clearance in one project:
 *
 *   roles:           viewer < experimenter < maintainer < admin
 *   classifications: public < internal < controlled < restricted
 *
 * An object (campaign, experiment, dataset) belongs to a project and has a
 * classification. A caller SEES an object when they are a member of its
 * project with clearance >= its classification (a user flagged server
 * admin sees everything). What cannot be seen does not exist: 404, absent
 * from listings and counts. A caller who sees an object but lacks the role
 * for an action gets 403.
 *
 *   action          least role      notes
 *   read            viewer          get, list
 *   suggest/tell    experimenter    also abandon, lease renewal
 *   manage          maintainer      create campaign, pause, resume, archive
 *   admin           admin           classification changes, members
 *
 * Creating an object at classification c needs clearance >= c in its
 * project (nobody can create what they could not see).
 *
 * Tokens: "gns_" + 43 base64url characters (32 random bytes from
 * randombytes_buf). Only BLAKE2b-256 of the whole token string is stored,
 * with the first 12 characters as a display/leak-scanning prefix; the
 * lookup is by hash and the comparison of hashes is constant-time
 * (sodium_memcmp). Expired, revoked and disabled-user tokens fail exactly
 * like unknown ones.
 *
 * Audit: every record (time, user, token id, action, object, result,
 * detail, remote address) is chained: hash_k = BLAKE2b-256(hash_{k-1} ||
 * canonical encoding of record k including its seq); audit_head keeps the
 * last seq and hash so removing the newest records is detected too.
 *
 * Thread safety: functions take the store handle to use; a gn_store is used
 * by one thread at a time (the server keeps one per worker thread).
 */
#ifndef GN_SERVE_IDENTITY_H
#define GN_SERVE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef enum {
    GN_ROLE_NONE = 0, /* not a member */
    GN_ROLE_VIEWER = 1,
    GN_ROLE_EXPERIMENTER = 2,
    GN_ROLE_MAINTAINER = 3,
    GN_ROLE_ADMIN = 4
} gn_role;

typedef enum {
    GN_CLASS_PUBLIC = 0,
    GN_CLASS_INTERNAL = 1,
    GN_CLASS_CONTROLLED = 2,
    GN_CLASS_RESTRICTED = 3
} gn_class;

const char *gn_role_name(gn_role r);             /* "viewer"...; "none" */
int gn_role_parse(const char *s, gn_role *out);  /* 0 ok, -1 unknown (none is not accepted) */
const char *gn_class_name(gn_class c);           /* "public"...; out of range: "restricted" */
int gn_class_parse(const char *s, gn_class *out);

#define GN_PRINCIPAL_MAX_PROJECTS 64

/* An authenticated caller: the user behind a token and their memberships,
 * read once per request. */
typedef struct gn_principal {
    int64_t user_id;
    int64_t token_id;
    char user[128];
    int server_admin;          /* users.admin: every project, admin, restricted */
    size_t n_projects;
    struct gn_membership {
        char project[128];
        gn_role role;
        gn_class clearance;
    } projects[GN_PRINCIPAL_MAX_PROJECTS];
} gn_principal;

/* ---- tokens and authentication ------------------------------------------ */

#define GN_TOKEN_PREFIX "gns_"
#define GN_TOKEN_LEN 47          /* "gns_" + 43 base64url characters */
#define GN_TOKEN_DISPLAY_LEN 12  /* what listings show */

/* Creates a token for `user`: writes the token text (GN_TOKEN_LEN chars +
 * NUL) to secret_out, which the caller shows once; stores only its hash.
 * expires: epoch seconds, in the future (else GN_ERR_INVALID); 0: never.
 * name may be NULL. *token_id (may be NULL) receives its id.
 * GN_ERR_NOT_FOUND: no such user; GN_ERR_STATE: the user is disabled. */
gn_status gn_token_create(gn_store *s, const char *user, const char *name, double expires,
                          char secret_out[GN_TOKEN_LEN + 1], int64_t *token_id, gn_err *err);

/* Authenticates a bearer token (the text after "Bearer "). GN_OK fills
 * *p; GN_ERR_AUTH for anything not a valid, unexpired, unrevoked token of
 * an enabled user (one message for all of these: "invalid token"). A
 * malformed token is rejected before any database access (s may even be
 * NULL). A store failure keeps its own status (GN_ERR_BUSY...: answer 503,
 * not 401). Memberships beyond GN_PRINCIPAL_MAX_PROJECTS, or with a role
 * or clearance this code does not know, are left out (fail closed). The
 * token's last_used is updated at most once a minute, outside any audit
 * hook. On failure *p is zeroed. */
gn_status gn_authenticate(gn_store *s, const char *bearer, gn_principal *p, gn_err *err);

/* ---- authorisation ----------------------------------------------------- */

typedef enum {
    GN_ACT_READ = 0,
    GN_ACT_EXPERIMENT, /* suggest, tell, abandon, renew a lease */
    GN_ACT_MANAGE,     /* create campaigns, pause, resume, archive */
    GN_ACT_ADMIN
} gn_action;

typedef enum {
    GN_AUTHZ_ALLOW = 0,
    GN_AUTHZ_HIDDEN = 1,   /* the caller cannot see the object: answer 404 */
    GN_AUTHZ_FORBIDDEN = 2 /* sees it, lacks the role: 403 */
} gn_authz;

/* The caller's role and clearance in `project` (GN_ROLE_NONE when not a
 * member; server admins: ADMIN and RESTRICTED everywhere). */
gn_role gn_principal_role(const gn_principal *p, const char *project, gn_class *clearance);
/* The decision for doing `act` on an object of `project` and `cls`. */
gn_authz gn_authorize(const gn_principal *p, gn_action act, const char *project, gn_class cls);
/* May p create an object of `cls` in `project` with action `act`?
 * ALLOW, HIDDEN (not a member: the project does not exist for them) or
 * FORBIDDEN (role too low, or cls above their clearance). */
gn_authz gn_authorize_create(const gn_principal *p, gn_action act, const char *project,
                             gn_class cls);

/* ---- audit ------------------------------------------------------------- */

typedef struct gn_audit_event {
    const char *user;     /* NULL for an unauthenticated caller */
    int64_t token_id;     /* 0 when none */
    const char *action;   /* "campaign.create", "experiment.tell", "auth.fail", "campaign.read", ... */
    const char *object;   /* "campaign/NAME", "experiment/ID", ... or NULL */
    const char *result;   /* "ok", "denied", "failed", ... */
    const char *detail;   /* short JSON or text, may be NULL; never a secret */
    const char *remote;   /* client address, may be NULL */
} gn_audit_event;

/* Appends one record in its own transaction (a deferred event of
 * gn_audit_defer_begin is not added to it). */
gn_status gn_audit_append(gn_store *s, const gn_audit_event *ev, gn_err *err);

/* Makes the next write transactions of `s` append `ev` (once per
 * transaction) before they commit: the change and its audit record are
 * durable together or not at all. If the record cannot be written the
 * transaction rolls back and the library call fails with that status
 * (err: "the audit record could not be written, nothing was changed: ...").
 * ev is borrowed until gn_audit_defer_end. Used around a library call that
 * changes state (gn_campaign_tell...). Replaces any other write hook of s. */
void gn_audit_defer_begin(gn_store *s, const gn_audit_event *ev);
void gn_audit_defer_end(gn_store *s);

/* Verifies the whole chain. GN_OK with *bad_seq 0 when intact; otherwise
 * GN_ERR_DATA with *bad_seq the seq of the first record that was changed,
 * removed or reordered (err says which and how it was found), and
 * *checked the number of records verified before it. */
gn_status gn_audit_verify(gn_store *s, int64_t *bad_seq, int64_t *checked, gn_err *err);

/* gn_audit_verify, plus an anchor: the seq and hash of a record as noted
 * earlier outside the database (anchor_seq 0: none). A chain rewritten
 * from record anchor_seq or before, even consistently (every hash
 * recomputed by someone with write access to the database), no longer
 * has that hash there: GN_ERR_DATA with *bad_seq = anchor_seq. head_seq
 * and head_hash (65 bytes; either may be NULL) receive the newest intact
 * record's seq and hash, the anchor to note now. */
gn_status gn_audit_verify_anchored(gn_store *s, int64_t anchor_seq, const char *anchor_hash,
                                   int64_t *bad_seq, int64_t *checked, int64_t *head_seq,
                                   char *head_hash, gn_err *err);

/* ---- internal (the serve files and tests) ------------------------------------ */

struct gn_audit_rec;
/* 0 when libsodium is initialised (sodium_init once, thread-safe). */
int gn__sodium_ready(void);
/* 1 when t has the shape of a token: GN_TOKEN_LEN characters, the prefix,
 * base64url in its one canonical form. No database access. */
int gn__token_well_formed(const char *t);
/* BLAKE2b-256 of the token text: what the store keeps. */
void gn__token_hash(const char *token, size_t len, unsigned char out[32]);
/* How many constant-time hash comparisons gn_authenticate made (tests). */
long gn__token_ct_compares(void);
/* The audit chain function given to the store (gn_audit_chain_fn). */
gn_status gn__audit_chain(const char *prev_hex, const struct gn_audit_rec *rec, char out_hex[65],
                          gn_err *err);

#endif
