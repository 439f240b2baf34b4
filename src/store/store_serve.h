/*
 * store/store_serve.h - users, projects, memberships, API tokens and the
 * audit log in the store (schema 3). The rules of store.h hold: each call
 * is one transaction, records returned are owned by the caller (free them
 * with the matching *_free), nothing is written back on failure.
 *
 * The store only keeps what it is given: token secrets never reach it
 * (serve/identity.c hashes them first) and the audit hash chain is computed
 * by a function the caller passes (serve/audit.c), in the same transaction
 * that reads the previous hash, so concurrent appenders cannot fork the
 * chain.
 *
 * Names (users, projects) are 1..127 bytes of letters, digits, '.', '_',
 * '-' and '@' (users) or letters, digits, '.', '_', '-' (projects), not
 * starting with '-'; anything else is GN_ERR_INVALID. Roles and clearances
 * are the text names of serve/identity.h ("viewer", ..., "public", ...).
 *
 * Write calls run the store's write hook (store.h) like every other write,
 * except gn_store_audit_append and gn_store_token_touch: they are the
 * audit machinery itself and bookkeeping, and never carry a deferred
 * audit record.
 */
#ifndef GN_STORE_STORE_SERVE_H
#define GN_STORE_STORE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define GN_STORE_NAME_MAX 127   /* user and project names, bytes */
#define GN_STORE_TOKEN_HASH_LEN 32 /* BLAKE2b-256 */

typedef struct gn_user_rec {
    int64_t id;
    char *name;
    int admin;     /* server administrator: every project, every classification */
    int disabled;  /* tokens of a disabled user do not authenticate */
    double created;
} gn_user_rec;

typedef struct gn_project_rec {
    int64_t id;
    char *name;
    char *description; /* may be NULL */
    double created;
} gn_project_rec;

typedef struct gn_membership_rec {
    char *user;
    char *project;
    char *role;      /* viewer | experimenter | maintainer | admin */
    char *clearance; /* public | internal | controlled | restricted */
} gn_membership_rec;

typedef struct gn_token_rec {
    int64_t id;
    int64_t user_id;
    char *user;          /* the user's name */
    char *name;          /* what the token is for; may be NULL */
    char *prefix;        /* the first GN_TOKEN_DISPLAY_LEN characters of the secret */
    unsigned char hash[GN_STORE_TOKEN_HASH_LEN];
    double created;
    double expires;      /* 0: never */
    double revoked;      /* 0: not revoked */
    double last_used;    /* 0: never (updated at most once a minute) */
    int user_admin, user_disabled; /* the user's flags, read with the token */
} gn_token_rec;

typedef struct gn_audit_rec {
    int64_t seq;        /* 1, 2, ... set by the store */
    double time;        /* set by the store when 0 */
    char *user;         /* may be NULL */
    int64_t token_id;   /* 0: none */
    char *action;       /* required */
    char *object;       /* may be NULL */
    char *result;       /* required */
    char *detail;       /* may be NULL */
    char *remote;       /* may be NULL */
    char hash[65];      /* lowercase hex of the chain hash, set by the store */
} gn_audit_rec;

/* ---- users ------------------------------------------------------------- */

/* Adds a user (enabled). GN_ERR_EXISTS if the name is taken. *id (may be
 * NULL) receives the new id. */
gn_status gn_store_user_add(gn_store *s, const char *name, int admin, int64_t *id, gn_err *err);
/* GN_ERR_NOT_FOUND when there is no such user. */
gn_status gn_store_user_get(gn_store *s, const char *name, gn_user_rec *out, gn_err *err);
/* Every user, by name. */
gn_status gn_store_user_list(gn_store *s, gn_user_rec **out, size_t *n, gn_err *err);
/* Sets the disabled flag (0 or 1). GN_ERR_NOT_FOUND when there is no such
 * user; setting the flag it already has is GN_OK. */
gn_status gn_store_user_set_disabled(gn_store *s, const char *name, int disabled, gn_err *err);
/* Sets the server-admin flag (0 or 1); as gn_store_user_set_disabled. */
gn_status gn_store_user_set_admin(gn_store *s, const char *name, int admin, gn_err *err);
void gn_user_rec_free(gn_user_rec *rec); /* the strings, not rec */
void gn_user_rec_array_free(gn_user_rec *recs, size_t n);

/* ---- projects and memberships ------------------------------------------ */

/* Adds a project. GN_ERR_EXISTS if the name is taken. description may be
 * NULL. *id may be NULL. */
gn_status gn_store_project_add(gn_store *s, const char *name, const char *description, int64_t *id,
                               gn_err *err);
gn_status gn_store_project_get(gn_store *s, const char *name, gn_project_rec *out, gn_err *err);
gn_status gn_store_project_list(gn_store *s, gn_project_rec **out, size_t *n, gn_err *err);
void gn_project_rec_free(gn_project_rec *rec);
void gn_project_rec_array_free(gn_project_rec *recs, size_t n);

/* Makes `user` a member of `project` with role and clearance, replacing
 * any membership it had there. GN_ERR_NOT_FOUND when the user or the
 * project does not exist; GN_ERR_INVALID for an unknown role/clearance. */
gn_status gn_store_membership_set(gn_store *s, const char *user, const char *project,
                                  const char *role, const char *clearance, gn_err *err);
/* GN_ERR_NOT_FOUND when the user is not a member (or either does not exist). */
gn_status gn_store_membership_remove(gn_store *s, const char *user, const char *project,
                                     gn_err *err);
/* Memberships, by user then project; user and/or project NULL: all. */
gn_status gn_store_membership_list(gn_store *s, const char *user, const char *project,
                                   gn_membership_rec **out, size_t *n, gn_err *err);
void gn_membership_rec_free(gn_membership_rec *rec);
void gn_membership_rec_array_free(gn_membership_rec *recs, size_t n);

/* ---- tokens ------------------------------------------------------------ */

/* Stores a token of `user`: its display prefix and the hash of its secret
 * (never the secret). expires 0: never. name may be NULL (<= 200 bytes).
 * GN_ERR_NOT_FOUND when there is no such user, GN_ERR_STATE when the user
 * is disabled, GN_ERR_EXISTS when the hash is already stored. *id may be
 * NULL. */
gn_status gn_store_token_add(gn_store *s, const char *user, const char *name, const char *prefix,
                             const unsigned char hash[GN_STORE_TOKEN_HASH_LEN], double expires,
                             int64_t *id, gn_err *err);
/* Everything authentication needs, in ONE read transaction: the token
 * whose hash is `hash` (with its user's flags) and the user's memberships
 * (by project; *m and *n_m may be NULL/NULL when not wanted).
 * GN_ERR_NOT_FOUND when no token has that hash. The caller checks expiry,
 * revocation and the disabled flag. */
gn_status gn_store_token_auth(gn_store *s, const unsigned char hash[GN_STORE_TOKEN_HASH_LEN],
                              gn_token_rec *tok, gn_membership_rec **m, size_t *n_m, gn_err *err);
/* One token by id (GN_ERR_NOT_FOUND). */
gn_status gn_store_token_get(gn_store *s, int64_t id, gn_token_rec *out, gn_err *err);
/* Tokens of `user` (NULL: of everyone), by id. */
gn_status gn_store_token_list(gn_store *s, const char *user, gn_token_rec **out, size_t *n,
                              gn_err *err);
/* Revokes a token now. GN_ERR_NOT_FOUND when there is no such token,
 * GN_ERR_STATE when it is revoked already. */
gn_status gn_store_token_revoke(gn_store *s, int64_t id, gn_err *err);
/* Records that the token was used at `when` (epoch seconds). */
gn_status gn_store_token_touch(gn_store *s, int64_t id, double when, gn_err *err);
void gn_token_rec_free(gn_token_rec *rec);
void gn_token_rec_array_free(gn_token_rec *recs, size_t n);

/* ---- audit ------------------------------------------------------------- */

/* Computes the chain hash of rec (rec->seq and rec->time are set) from the
 * previous record's hash (prev_hex: 64 hex digits, or "" for the first
 * record) into out_hex (64 hex digits + NUL). */
typedef gn_status (*gn_audit_chain_fn)(const char *prev_hex, const gn_audit_rec *rec,
                                       char out_hex[65], gn_err *err);

/* Appends rec in its own transaction: seq becomes one past the audit
 * head's (or past the last record, if that is higher), time now when 0,
 * hash chain(head hash, rec); the record and the new head are written
 * together. seq, time and hash are written back on success. Strings are
 * cut to 4096 bytes (detail) and 256 (the others) before hashing. */
gn_status gn_store_audit_append(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain,
                                gn_err *err);
/* As gn_store_audit_append, inside the write transaction that is running
 * the write hook (no BEGIN, no COMMIT): usable only from a write hook;
 * GN_ERR_STATE otherwise. */
gn_status gn_store_audit_append_in_hook(gn_store *s, gn_audit_rec *rec, gn_audit_chain_fn chain,
                                        gn_err *err);

/* Called for each record by gn_store_audit_scan, in seq order; rec is
 * borrowed for the call. Anything but GN_OK stops the scan with that
 * status. */
typedef gn_status (*gn_audit_sink)(void *ctx, const gn_audit_rec *rec, gn_err *err);
/* Reads the audit head (*head_seq 0 and head_hex "" when there is none)
 * and then every record in seq order, in ONE read transaction (a
 * consistent snapshot). */
gn_status gn_store_audit_scan(gn_store *s, int64_t *head_seq, char head_hex[65],
                              gn_audit_sink sink, void *ctx, gn_err *err);
/* The newest `limit` records (1..100000), newest first; user and action
 * filter when non-NULL. */
gn_status gn_store_audit_list(gn_store *s, const char *user, const char *action, size_t limit,
                              gn_audit_rec **out, size_t *n, gn_err *err);
void gn_audit_rec_free(gn_audit_rec *rec);
void gn_audit_rec_array_free(gn_audit_rec *recs, size_t n);

/* 1 when name is a valid user (is_user) or project name. */
int gn_store_name_valid(const char *name, int is_user);

#endif
