/*
 * cli/identity.c - `genesis user`, `genesis project`, `genesis token` and
 * `genesis audit`: who may use `genesis serve`, and the audit log.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char help_user[] =
    "usage: genesis user <add|list|disable|enable> [options]\n"
    "\n"
    "The users of `genesis serve` (docs/serve.md).\n"
    "\n"
    "  user add NAME [--admin]   a new user (--admin: server administrator,\n"
    "                            who sees and may do everything)\n"
    "  user list [--json]        users, their flags and projects\n"
    "  user disable NAME         their tokens stop working at once\n"
    "  user enable NAME          and work again\n"
    "\n"
    "Each takes --db PATH (default: $GENESIS_DB, else ./genesis.db) and --help.\n"
    "exit status: 0 ok, 1 error, 2 usage, 4 no such user, 5 exists already\n";

static const char help_project[] =
    "usage: genesis project <add|list|member> [options]\n"
    "\n"
    "Projects own campaigns and datasets; members have a role and a clearance.\n"
    "\n"
    "  project add NAME [--description D]\n"
    "  project list [--json]                projects and their members\n"
    "  project member PROJECT USER --role R [--clearance C]\n"
    "                                       make USER a member (or change it)\n"
    "  project member PROJECT USER --remove end the membership\n"
    "\n"
    "  roles:      viewer < experimenter < maintainer < admin\n"
    "  clearances: public < internal < controlled < restricted (default: public)\n"
    "\n"
    "Each takes --db PATH and --help.\n"
    "exit status: 0 ok, 1 error, 2 usage, 4 no such user, project or membership,\n"
    "             5 exists already\n";

static const char help_token[] =
    "usage: genesis token <create|list|revoke> [options]\n"
    "\n"
    "API tokens for `genesis serve` (Authorization: Bearer gns_...).\n"
    "\n"
    "  token create USER [--name N] [--expires D]\n"
    "        prints the new token on stdout, alone: it is shown only this once\n"
    "        (the database keeps only a hash). D: a duration such as 3600s, 90m,\n"
    "        12h, 30d, 8w, or 'never' (default: 90d).\n"
    "  token list [USER] [--json]   id, prefix, user, name, times, state; never\n"
    "                               the token itself\n"
    "  token revoke ID              the token stops working at once\n"
    "\n"
    "Each takes --db PATH and --help.\n"
    "exit status: 0 ok, 1 error, 2 usage, 4 no such user or token,\n"
    "             5 revoked already / user disabled\n";

static const char help_audit[] =
    "usage: genesis audit <verify|list> [options]\n"
    "\n"
    "The audit log: every change, failed login and read of controlled or\n"
    "restricted data, in a hash chain.\n"
    "\n"
    "  audit verify [--anchor SEQ:HASH] [--json]\n"
    "                          check the chain; names the first record that was\n"
    "                          changed, removed or reordered (exit 1). Prints the\n"
    "                          newest record's SEQ:HASH: note it somewhere the\n"
    "                          database's writers cannot reach; --anchor SEQ:HASH\n"
    "                          later also fails when the log was rewritten from\n"
    "                          that record or before, every hash recomputed\n"
    "  audit list [--limit N] [--user U] [--action A] [--json]\n"
    "                          the newest N records (default 50), newest first\n"
    "\n"
    "Each takes --db PATH and --help.\n"
    "exit status: 0 ok (intact), 1 error or a tampered log, 2 usage\n";

/* Opens the database; prints the error and returns the exit code, or 0. */
static int open_db(const char *cmd, const gn_cli_opts *o, gn_db **db)
{
    return gn_cli_open(cmd, o->db, NULL, db, NULL);
}

/* gn_cli_parse of `genesis <what> SUB ...` (argv[0] is SUB), then the
 * database: -1 to go on, else the exit code to return. */
static int parse_open(const char *cmd, const char *help, const char *allowed, int argc, char **argv,
                      int n_pos, int max_pos, gn_cli_opts *o, const char **pos, gn_db **db)
{
    int rc = gn_cli_parse(cmd, help, allowed, argc - 1, argv + 1, n_pos, max_pos, o, pos);
    if (rc >= 0)
        return rc;
    rc = open_db(cmd, o, db);
    return rc ? rc : -1;
}

/* `genesis <what>` without a subcommand, or with --help: the exit code;
 * -1 when sub is one to go on with. */
static int no_subcommand(const char *sub, const char *help)
{
    if (sub && sub[0] != '-')
        return -1;
    if (sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h"))) {
        fputs(help, stdout);
        return GN_EXIT_OK;
    }
    fputs(help, stderr);
    return GN_EXIT_USAGE;
}

static int unknown_subcommand(const char *what, const char *sub, const char *help)
{
    gn_cli_error(what, "unknown subcommand '%s'", sub);
    fputs(help, stderr);
    return GN_EXIT_USAGE;
}

static int fail(const char *cmd, gn_db *db, gn_status st)
{
    gn_cli_error(cmd, "%s", gn_db_errmsg(db));
    return gn_cli_exit_code(st);
}

/* "2026-11-23 09:32 UTC", or "-" for a null/absent time. */
static const char *when(json_t *t, char *buf, size_t size)
{
    struct tm tm;
    time_t secs;
    if (!json_is_number(t))
        return "-";
    secs = (time_t)json_number_value(t);
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

/* Prints a JSON text as is, or hands it to `table` for people. */
static int show(const char *text, int as_json, void (*table)(json_t *))
{
    json_error_t jerr;
    json_t *j;
    if (as_json) {
        printf("%s\n", text);
        return GN_EXIT_OK;
    }
    j = json_loads(text, 0, &jerr);
    if (!j) {
        fprintf(stderr, "genesis: unreadable output from the library: %s\n", jerr.text);
        return GN_EXIT_ERROR;
    }
    table(j);
    json_decref(j);
    return GN_EXIT_OK;
}

/* ---- genesis user ------------------------------------------------------- */

static void users_table(json_t *arr)
{
    json_t *u, *m;
    size_t i, k;
    char t[40];
    if (!json_array_size(arr)) {
        printf("no users (add one with `genesis user add NAME`)\n");
        return;
    }
    printf("%-24s %-10s %-20s %s\n", "USER", "FLAGS", "CREATED", "PROJECTS");
    json_array_foreach(arr, i, u)
    {
        char flags[32] = "";
        if (json_is_true(json_object_get(u, "admin")))
            strcat(flags, "admin");
        if (json_is_true(json_object_get(u, "disabled")))
            strcat(flags, flags[0] ? ",disabled" : "disabled");
        printf("%-24s %-10s %-20s ", str(u, "name"), flags[0] ? flags : "-",
               when(json_object_get(u, "created"), t, sizeof t));
        json_array_foreach(json_object_get(u, "projects"), k, m)
            printf("%s%s:%s/%s", k ? " " : "", str(m, "project"), str(m, "role"),
                   str(m, "clearance"));
        printf("\n");
    }
}

int gn_cmd_user(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL, *pos[1];
    gn_db *db = NULL;
    char *text = NULL;
    gn_status st;
    gn_cli_opts o;
    int rc;

    if ((rc = no_subcommand(sub, help_user)) >= 0)
        return rc;
    if (!strcmp(sub, "add")) {
        if ((rc = parse_open("user add", help_user, "da", argc, argv, 1, 1, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_user_add(db, pos[0], o.admin);
        rc = st ? fail("user add", db, st) : GN_EXIT_OK;
        if (!st)
            printf("added user %s%s\n", pos[0], o.admin ? " (server admin)" : "");
    } else if (!strcmp(sub, "list")) {
        if ((rc = parse_open("user list", help_user, "dj", argc, argv, 0, 0, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_users_json(db, &text);
        rc = st ? fail("user list", db, st) : show(text, o.json, users_table);
    } else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
        int off = !strcmp(sub, "disable");
        const char *cmd = off ? "user disable" : "user enable";
        if ((rc = parse_open(cmd, help_user, "d", argc, argv, 1, 1, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_user_set_disabled(db, pos[0], off);
        rc = st ? fail(cmd, db, st) : GN_EXIT_OK;
        if (!st)
            printf("%s user %s\n", off ? "disabled" : "enabled", pos[0]);
    } else {
        return unknown_subcommand("user", sub, help_user);
    }
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}

/* ---- genesis project ---------------------------------------------------- */

static void projects_table(json_t *arr)
{
    json_t *p, *m;
    size_t i, k;
    if (!json_array_size(arr)) {
        printf("no projects (add one with `genesis project add NAME`)\n");
        return;
    }
    printf("%-24s %-32s %s\n", "PROJECT", "DESCRIPTION", "MEMBERS");
    json_array_foreach(arr, i, p)
    {
        printf("%-24s %-32.32s ", str(p, "name"), str(p, "description"));
        json_array_foreach(json_object_get(p, "members"), k, m)
            printf("%s%s:%s/%s", k ? " " : "", str(m, "user"), str(m, "role"),
                   str(m, "clearance"));
        printf("\n");
    }
}

int gn_cmd_project(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL, *pos[2];
    gn_db *db = NULL;
    char *text = NULL;
    gn_status st;
    gn_cli_opts o;
    int rc;

    if ((rc = no_subcommand(sub, help_project)) >= 0)
        return rc;
    if (!strcmp(sub, "add")) {
        if ((rc = parse_open("project add", help_project, "dD", argc, argv, 1, 1, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_project_add(db, pos[0], o.description);
        rc = st ? fail("project add", db, st) : GN_EXIT_OK;
        if (!st)
            printf("added project %s\n", pos[0]);
    } else if (!strcmp(sub, "list")) {
        if ((rc = parse_open("project list", help_project, "dj", argc, argv, 0, 0, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_projects_json(db, &text);
        rc = st ? fail("project list", db, st) : show(text, o.json, projects_table);
    } else if (!strcmp(sub, "member")) {
        if ((rc = gn_cli_parse("project member", help_project, "drcR", argc - 1, argv + 1, 2, 2, &o,
                        pos)) >= 0)
            return rc;
        if (o.remove ? (o.role || o.clearance) : !o.role) {
            gn_cli_error("project member", o.remove ? "--remove takes no --role or --clearance"
                                                    : "--role is required (or --remove)");
            return GN_EXIT_USAGE;
        }
        if ((rc = open_db("project member", &o, &db)))
            return rc;
        if (o.remove)
            st = gn_db_member_remove(db, pos[0], pos[1]);
        else
            st = gn_db_member_set(db, pos[0], pos[1], o.role,
                                  o.clearance ? o.clearance : "public");
        rc = st ? fail("project member", db, st) : GN_EXIT_OK;
        if (!st && o.remove)
            printf("removed %s from project %s\n", pos[1], pos[0]);
        else if (!st)
            printf("%s is %s in project %s with clearance %s\n", pos[1], o.role, pos[0],
                   o.clearance ? o.clearance : "public");
    } else {
        return unknown_subcommand("project", sub, help_project);
    }
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}

/* ---- genesis token ------------------------------------------------------ */

/* Parses "30d", "12h", "90m", "3600s", "8w" or "never" (0) into seconds;
 * -1 when it is none of these. */
static double parse_duration(const char *s)
{
    char *end;
    double v, unit;
    if (!strcmp(s, "never"))
        return 0;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v <= 0 || strlen(end) != 1)
        return -1;
    switch (*end) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return -1;
    }
    if (v * unit > 100.0 * 365 * 86400) /* a century is "never" in disguise */
        return -1;
    return v * unit;
}

static void tokens_table(json_t *arr)
{
    json_t *t;
    size_t i;
    char a[40], b[40], c[40];
    if (!json_array_size(arr)) {
        printf("no tokens\n");
        return;
    }
    printf("%5s  %-13s %-16s %-16s %-9s %-20s %-20s %s\n", "ID", "PREFIX", "USER", "NAME",
           "STATE", "CREATED", "EXPIRES", "LAST USED");
    json_array_foreach(arr, i, t)
        printf("%5lld  %-13s %-16s %-16.16s %-9s %-20s %-20s %s\n",
               (long long)json_integer_value(json_object_get(t, "id")), str(t, "prefix"),
               str(t, "user"), str(t, "name"), str(t, "state"),
               when(json_object_get(t, "created"), a, sizeof a),
               json_is_number(json_object_get(t, "expires"))
                   ? when(json_object_get(t, "expires"), b, sizeof b)
                   : "never",
               when(json_object_get(t, "last_used"), c, sizeof c));
}

int gn_cmd_token(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL, *pos[1];
    gn_db *db = NULL;
    char *text = NULL;
    gn_status st;
    gn_cli_opts o;
    int rc;

    if ((rc = no_subcommand(sub, help_token)) >= 0)
        return rc;
    if (!strcmp(sub, "create")) {
        char secret[GN_TOKEN_SECRET_SIZE];
        double secs, expires = 0;
        int64_t id = 0;
        if ((rc = gn_cli_parse("token create", help_token, "dne", argc - 1, argv + 1, 1, 1, &o, pos)) >=
            0)
            return rc;
        secs = parse_duration(o.expires ? o.expires : "90d");
        if (secs < 0) {
            gn_cli_error("token create",
                         "--expires expects a duration such as 30d, 12h, 90m, 3600s, 8w, or "
                         "'never'; got '%s'",
                         o.expires);
            return GN_EXIT_USAGE;
        }
        if ((rc = open_db("token create", &o, &db)))
            return rc;
        if (secs > 0)
            expires = (double)time(NULL) + secs;
        st = gn_db_token_create(db, pos[0], o.name, expires, secret, &id);
        if (st) {
            rc = fail("token create", db, st);
        } else {
            char b[40];
            json_t *t = expires > 0 ? json_real(expires) : NULL;
            /* the token alone on stdout, so `TOKEN=$(genesis token create u)` works */
            printf("%s\n", secret);
            fflush(stdout);
            fprintf(stderr,
                    "genesis token create: token %lld for %s, expires %s.\n"
                    "The token is shown once, now, and cannot be shown again: store it\n"
                    "(a secret manager, a file only its user can read). Revoke it with\n"
                    "`genesis token revoke %lld`.\n",
                    (long long)id, pos[0], t ? when(t, b, sizeof b) : "never", (long long)id);
            json_decref(t);
            memset(secret, 0, sizeof secret);
            rc = GN_EXIT_OK;
        }
    } else if (!strcmp(sub, "list")) {
        if ((rc = parse_open("token list", help_token, "dju", argc, argv, 0, 1, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_tokens_json(db, pos[0] ? pos[0] : o.user, &text);
        rc = st ? fail("token list", db, st) : show(text, o.json, tokens_table);
    } else if (!strcmp(sub, "revoke")) {
        long long id;
        char *end;
        if ((rc = gn_cli_parse("token revoke", help_token, "d", argc - 1, argv + 1, 1, 1, &o, pos)) >= 0)
            return rc;
        errno = 0;
        id = strtoll(pos[0], &end, 10);
        if (errno || !*pos[0] || *end || id < 1) {
            gn_cli_error("token revoke", "expected a token id (a number, see `token list`), got '%s'",
                         pos[0]);
            return GN_EXIT_USAGE;
        }
        if ((rc = open_db("token revoke", &o, &db)))
            return rc;
        st = gn_db_token_revoke(db, (int64_t)id);
        rc = st ? fail("token revoke", db, st) : GN_EXIT_OK;
        if (!st)
            printf("revoked token %lld\n", id);
    } else {
        return unknown_subcommand("token", sub, help_token);
    }
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}

/* ---- genesis audit ------------------------------------------------------ */

/* "SEQ:HASH" -> seq >= 1 and 64 lowercase hex digits; 0 when well formed. */
static int parse_anchor(const char *text, int64_t *seq, char hash[65])
{
    char *end;
    long long v;
    size_t i;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno || end == text || *end != ':' || v < 1 || strlen(end + 1) != 64)
        return -1;
    for (i = 0; i < 64; i++) {
        char ch = (char)tolower((unsigned char)end[1 + i]);
        if (!isxdigit((unsigned char)ch))
            return -1;
        hash[i] = ch;
    }
    hash[64] = '\0';
    *seq = (int64_t)v;
    return 0;
}

static void audit_table(json_t *arr)
{
    json_t *a;
    size_t i;
    char t[40];
    if (!json_array_size(arr)) {
        printf("no audit records\n");
        return;
    }
    printf("%7s  %-20s %-16s %-20s %-28s %-8s %s\n", "SEQ", "TIME", "USER", "ACTION", "OBJECT",
           "RESULT", "REMOTE");
    json_array_foreach(arr, i, a)
        printf("%7lld  %-20s %-16s %-20s %-28s %-8s %s\n",
               (long long)json_integer_value(json_object_get(a, "seq")),
               when(json_object_get(a, "time"), t, sizeof t), str(a, "user"), str(a, "action"),
               str(a, "object"), str(a, "result"), str(a, "remote"));
}

int gn_cmd_audit(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL, *pos[1];
    gn_db *db = NULL;
    char *text = NULL;
    gn_status st;
    gn_cli_opts o;
    int rc;

    if ((rc = no_subcommand(sub, help_audit)) >= 0)
        return rc;
    if (!strcmp(sub, "verify")) {
        int64_t bad = 0, checked = 0, head_seq = 0, anchor_seq = 0;
        char head_hash[65] = "", anchor_hash[65] = "";
        if ((rc = gn_cli_parse("audit verify", help_audit, "djH", argc - 1, argv + 1, 0, 0, &o, pos)) >=
            0)
            return rc;
        if (o.anchor && parse_anchor(o.anchor, &anchor_seq, anchor_hash)) {
            gn_cli_error("audit verify",
                         "--anchor expects SEQ:HASH (a record number, a colon and its 64 hex "
                         "digits, as `genesis audit verify` prints them), got '%s'",
                         o.anchor);
            return GN_EXIT_USAGE;
        }
        if ((rc = open_db("audit verify", &o, &db)))
            return rc;
        st = gn_db_audit_verify_anchored(db, anchor_seq, anchor_seq ? anchor_hash : NULL, &bad,
                                         &checked, &head_seq, head_hash);
        if (st != GN_OK && st != GN_ERR_DATA) {
            rc = fail("audit verify", db, st);
        } else {
            if (o.json) {
                char head[96];
                snprintf(head, sizeof head, "%lld:%s", (long long)head_seq, head_hash);
                json_t *j = json_pack("{s:b, s:I, s:o, s:s?, s:s?}", "intact", st == GN_OK,
                                      "checked", (json_int_t)checked, "bad_seq",
                                      bad ? json_integer(bad) : json_null(), "message",
                                      st == GN_OK ? NULL : gn_db_errmsg(db), "head",
                                      st == GN_OK && head_seq ? head : NULL);
                char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
                if (s)
                    printf("%s\n", s);
                free(s);
                json_decref(j);
            } else if (st == GN_OK) {
                printf("audit log intact: %lld records verified%s\n", (long long)checked,
                       anchor_seq ? ", anchor matches" : "");
                if (head_seq)
                    printf("head: %lld:%s\n", (long long)head_seq, head_hash);
            } else {
                printf("audit log TAMPERED: first bad record %lld (%lld verified before it)\n",
                       (long long)bad, (long long)checked);
            }
            if (st != GN_OK)
                gn_cli_error("audit verify", "%s", gn_db_errmsg(db));
            rc = st == GN_OK ? GN_EXIT_OK : GN_EXIT_ERROR;
        }
    } else if (!strcmp(sub, "list")) {
        if ((rc = parse_open("audit list", help_audit, "djluA", argc, argv, 0, 0, &o, pos, &db)) >= 0)
            return rc;
        st = gn_db_audit_json(db, o.user, o.action, (size_t)o.limit, &text);
        rc = st ? fail("audit list", db, st) : show(text, o.json, audit_table);
    } else {
        return unknown_subcommand("audit", sub, help_audit);
    }
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}
