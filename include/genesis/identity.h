/*
 * genesis/identity.h - users, projects, roles, API tokens and the audit log
 * of a Genesis database (what `genesis serve` checks; docs/serve.md).
 *
 * A user is a member of projects, with a role in each
 * (viewer < experimenter < maintainer < admin) and a clearance
 * (public < internal < controlled < restricted): they see a project's
 * campaigns and datasets whose classification is at most their clearance.
 * A user flagged server admin sees and may do everything. API tokens
 * ("gns_..." + 43 characters) authenticate a user over HTTP; the database
 * keeps only a hash of each, so a token is shown once, when created.
 *
 * Every change made through these functions is recorded in the audit log
 * in the same transaction as the change (the actor is "os:<login name>" of
 * the process). Every call reports failure through its status and
 * gn_db_errmsg(db). JSON strings are new: free them with gn_string_free.
 */
#ifndef GENESIS_IDENTITY_H
#define GENESIS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "genesis/campaign.h"
#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The size of a token's text with its NUL ("gns_" + 43 characters + 1). */
#define GN_TOKEN_SECRET_SIZE 48

/* ---- users ---------------------------------------------------------- */

/* Adds an enabled user. name: 1..127 letters, digits, '.', '_', '-', '@'
 * (GN_ERR_INVALID otherwise); GN_ERR_EXISTS if taken. admin: 1 for a
 * server administrator. */
GN_API gn_status gn_db_user_add(gn_db *db, const char *name, int admin);
/* Disables (1) or enables (0) a user: a disabled user's tokens stop
 * working at once and no new ones can be made. GN_ERR_NOT_FOUND if there
 * is no such user. */
GN_API gn_status gn_db_user_set_disabled(gn_db *db, const char *name, int disabled);
/* Grants (1) or withdraws (0) server administration. */
GN_API gn_status gn_db_user_set_admin(gn_db *db, const char *name, int admin);
/* The users as a JSON array, by name:
 * [{"name", "admin", "disabled", "created",
 *   "projects": [{"project", "role", "clearance"}]}]. */
GN_API gn_status gn_db_users_json(gn_db *db, char **json);

/* ---- projects and memberships --------------------------------------- */

/* Adds a project. name: 1..127 letters, digits, '.', '_', '-';
 * description may be NULL. GN_ERR_EXISTS if taken. (Campaigns created
 * without a project belong to "default", which exists only once added.) */
GN_API gn_status gn_db_project_add(gn_db *db, const char *name, const char *description);
/* The projects as a JSON array, by name:
 * [{"name", "description", "created", "members": [{"user", "role", "clearance"}]}]. */
GN_API gn_status gn_db_projects_json(gn_db *db, char **json);
/* Makes `user` a member of `project` with `role` (viewer, experimenter,
 * maintainer, admin) and `clearance` (public, internal, controlled,
 * restricted), replacing what they had there. GN_ERR_NOT_FOUND when the
 * user or project does not exist, GN_ERR_INVALID for an unknown role or
 * clearance. */
GN_API gn_status gn_db_member_set(gn_db *db, const char *project, const char *user,
                                  const char *role, const char *clearance);
/* Ends a membership. GN_ERR_NOT_FOUND when the user is not a member. */
GN_API gn_status gn_db_member_remove(gn_db *db, const char *project, const char *user);

/* ---- tokens --------------------------------------------------------- */

/* Creates an API token for `user` and writes its text to secret (the only
 * time it exists outside the caller: show it once, then forget it).
 * name (may be NULL) says what it is for; expires is an absolute time in
 * epoch seconds, 0 for never. *id (may be NULL) receives the token's id,
 * used to revoke it. GN_ERR_NOT_FOUND: no such user; GN_ERR_STATE: the
 * user is disabled; GN_ERR_INVALID: an expiry in the past. */
GN_API gn_status gn_db_token_create(gn_db *db, const char *user, const char *name, double expires,
                                    char secret[GN_TOKEN_SECRET_SIZE], int64_t *id);
/* Tokens of `user` (NULL: everyone's) as a JSON array, by id:
 * [{"id", "user", "name", "prefix", "created", "expires", "revoked",
 *   "last_used", "state"}] where times are null when unset and state is
 * "active", "expired", "revoked" or "disabled" (its user is). Never the
 * secret nor its hash. */
GN_API gn_status gn_db_tokens_json(gn_db *db, const char *user, char **json);
/* Revokes a token: it stops working at once. GN_ERR_NOT_FOUND: no such
 * token; GN_ERR_STATE: revoked already. */
GN_API gn_status gn_db_token_revoke(gn_db *db, int64_t id);

/* ---- audit ---------------------------------------------------------- */

/* Verifies the audit log's hash chain. GN_OK with *bad_seq 0 when intact;
 * GN_ERR_DATA with *bad_seq the number (seq) of the first record that was
 * changed, removed or reordered, and gn_db_errmsg saying which and how.
 * *checked: the records verified intact before it. Either may be NULL. */
GN_API gn_status gn_db_audit_verify(gn_db *db, int64_t *bad_seq, int64_t *checked);
/* gn_db_audit_verify against an anchor noted earlier outside the database
 * (anchor_seq 0: none): the seq of a record and its 64-character hash. A
 * log rewritten from that record or before, even with every hash
 * recomputed, fails (GN_ERR_DATA, *bad_seq = anchor_seq). When intact,
 * *head_seq and head_hash (65 bytes) are the newest record's: the anchor
 * to note now (either may be NULL). */
GN_API gn_status gn_db_audit_verify_anchored(gn_db *db, int64_t anchor_seq, const char *anchor_hash,
                                             int64_t *bad_seq, int64_t *checked, int64_t *head_seq,
                                             char *head_hash);
/* The newest `limit` (1..100000) audit records, newest first, as a JSON
 * array [{"seq", "time", "user", "token_id", "action", "object",
 * "result", "detail", "remote", "hash"}]; user and action (exact match)
 * filter when non-NULL. */
GN_API gn_status gn_db_audit_json(gn_db *db, const char *user, const char *action, size_t limit,
                                  char **json);

#ifdef __cplusplus
}
#endif
#endif
