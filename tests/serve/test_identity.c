/*
 * test_identity.c - users, projects, memberships and API tokens on a real
 * SQLite file: what the store keeps (no usable token), how tokens look,
 * and every way authentication must fail. Also the `genesis user`,
 * `project`, `token` and `audit` commands driven as a person drives them.
 */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "identity_test_util.h"

/* ---- users, projects, memberships ---------------------------------------- */

static void users_and_flags(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "users");
    gn_user_rec *u = NULL, one;
    size_t n = 0;
    int64_t id = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "bob", 0, &id, &err));
    assert_true(id > 0);
    assert_ok(gn_store_user_add(s, "alice@lab", 1, NULL, &err));
    assert_status(gn_store_user_add(s, "bob", 0, NULL, &err), GN_ERR_EXISTS);
    assert_non_null(strstr(err.msg, "bob"));
    assert_status(gn_store_user_add(s, "", 0, NULL, &err), GN_ERR_INVALID);
    assert_status(gn_store_user_add(s, "-x", 0, NULL, &err), GN_ERR_INVALID);
    assert_status(gn_store_user_add(s, "a b", 0, NULL, &err), GN_ERR_INVALID);
    assert_status(gn_store_user_add(s, "evil\n", 0, NULL, &err), GN_ERR_INVALID);
    assert_status(gn_store_user_add(s, NULL, 0, NULL, &err), GN_ERR_INVALID);
    {
        char longname[200];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        assert_status(gn_store_user_add(s, longname, 0, NULL, &err), GN_ERR_INVALID);
        longname[GN_STORE_NAME_MAX] = 0;
        assert_ok(gn_store_user_add(s, longname, 0, NULL, &err));
    }

    assert_ok(gn_store_user_list(s, &u, &n, &err));
    assert_int_equal(n, 3);
    assert_string_equal(u[1].name, "alice@lab");
    assert_int_equal(u[1].admin, 1);
    assert_string_equal(u[2].name, "bob");
    assert_int_equal(u[2].admin, 0);
    assert_int_equal(u[2].disabled, 0);
    assert_true(u[2].created > 1e9);
    gn_user_rec_array_free(u, n);

    assert_ok(gn_store_user_set_disabled(s, "bob", 1, &err));
    assert_ok(gn_store_user_set_disabled(s, "bob", 1, &err)); /* idempotent */
    assert_ok(gn_store_user_get(s, "bob", &one, &err));
    assert_int_equal(one.disabled, 1);
    gn_user_rec_free(&one);
    assert_ok(gn_store_user_set_admin(s, "bob", 1, &err));
    assert_ok(gn_store_user_get(s, "bob", &one, &err));
    assert_int_equal(one.admin, 1);
    gn_user_rec_free(&one);
    assert_status(gn_store_user_set_disabled(s, "nobody", 1, &err), GN_ERR_NOT_FOUND);
    assert_status(gn_store_user_get(s, "nobody", &one, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

static void projects_and_memberships(void **state)
{
    char path[1024];
    gn_store *s = id_store(path, sizeof path, "projects");
    gn_project_rec *p = NULL;
    gn_membership_rec *m = NULL;
    size_t n = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_ok(gn_store_user_add(s, "ben", 0, NULL, &err));
    assert_ok(gn_store_project_add(s, "chem", "flow chemistry", NULL, &err));
    assert_ok(gn_store_project_add(s, "bio", NULL, NULL, &err));
    assert_status(gn_store_project_add(s, "chem", NULL, NULL, &err), GN_ERR_EXISTS);
    assert_status(gn_store_project_add(s, "a@b", NULL, NULL, &err), GN_ERR_INVALID);
    assert_ok(gn_store_project_list(s, &p, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "bio");
    assert_null(p[0].description);
    assert_string_equal(p[1].description, "flow chemistry");
    gn_project_rec_array_free(p, n);

    assert_ok(gn_store_membership_set(s, "ann", "chem", "viewer", "public", &err));
    assert_ok(gn_store_membership_set(s, "ann", "chem", "maintainer", "controlled", &err));
    assert_ok(gn_store_membership_set(s, "ann", "bio", "admin", "restricted", &err));
    assert_ok(gn_store_membership_set(s, "ben", "chem", "experimenter", "internal", &err));
    assert_status(gn_store_membership_set(s, "ann", "chem", "boss", "public", &err),
                  GN_ERR_INVALID);
    assert_status(gn_store_membership_set(s, "ann", "chem", "viewer", "secret", &err),
                  GN_ERR_INVALID);
    assert_status(gn_store_membership_set(s, "zed", "chem", "viewer", "public", &err),
                  GN_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "zed"));
    assert_status(gn_store_membership_set(s, "ann", "phys", "viewer", "public", &err),
                  GN_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "phys"));

    assert_ok(gn_store_membership_list(s, "ann", NULL, &m, &n, &err));
    assert_int_equal(n, 2); /* replaced, not added */
    assert_string_equal(m[0].project, "bio");
    assert_string_equal(m[1].role, "maintainer");
    assert_string_equal(m[1].clearance, "controlled");
    gn_membership_rec_array_free(m, n);
    assert_ok(gn_store_membership_list(s, NULL, "chem", &m, &n, &err));
    assert_int_equal(n, 2);
    gn_membership_rec_array_free(m, n);

    assert_ok(gn_store_membership_remove(s, "ann", "chem", &err));
    assert_status(gn_store_membership_remove(s, "ann", "chem", &err), GN_ERR_NOT_FOUND);
    assert_ok(gn_store_membership_list(s, NULL, NULL, &m, &n, &err));
    assert_int_equal(n, 2);
    gn_membership_rec_array_free(m, n);
    gn_store_close(s);
}

/* ---- tokens ------------------------------------------------------------------ */

static void token_format_and_prefix(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1], other[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_format");
    gn_token_rec *t = NULL;
    size_t n = 0, i;
    int64_t id = 0, id2 = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "robot-1", 0, NULL, &err));
    assert_ok(gn_token_create(s, "robot-1", "bench robot", 0, secret, &id, &err));
    assert_ok(gn_token_create(s, "robot-1", NULL, 0, other, &id2, &err));
    assert_true(id > 0 && id2 > id);
    assert_int_equal(strlen(secret), GN_TOKEN_LEN);
    assert_int_equal(strncmp(secret, "gns_", 4), 0);
    for (i = 4; i < GN_TOKEN_LEN; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                               secret[i]));
    assert_true(gn__token_well_formed(secret));
    assert_string_not_equal(secret, other);

    assert_ok(gn_store_token_list(s, "robot-1", &t, &n, &err));
    assert_int_equal(n, 2);
    assert_int_equal(t[0].id, id);
    assert_string_equal(t[0].name, "bench robot");
    assert_null(t[1].name);
    assert_int_equal(strlen(t[0].prefix), GN_TOKEN_DISPLAY_LEN);
    assert_int_equal(strncmp(t[0].prefix, secret, GN_TOKEN_DISPLAY_LEN), 0);
    assert_int_equal(t[0].expires, 0);
    assert_int_equal(t[0].revoked, 0);
    {
        unsigned char h[32];
        gn__token_hash(secret, strlen(secret), h);
        assert_memory_equal(t[0].hash, h, 32);
    }
    gn_token_rec_array_free(t, n);
    assert_status(gn_store_token_list(s, "nobody", &t, &n, &err), GN_ERR_NOT_FOUND);
    assert_status(gn_token_create(s, "nobody", NULL, 0, secret, NULL, &err), GN_ERR_NOT_FOUND);
    gn_store_close(s);
}

/* Appends every byte of every value of every table of the database to buf. */
static void dump_tables(const char *path, gn_strbuf *buf)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *tables = NULL, *rows = NULL;
    char sql[512];
    int i, ntables = 0;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", sqlite3_column_text(tables, 0));
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
        while (sqlite3_step(rows) == SQLITE_ROW)
            for (i = 0; i < sqlite3_column_count(rows); i++) {
                const void *b = sqlite3_column_blob(rows, i);
                int nb = sqlite3_column_bytes(rows, i);
                if (b && nb > 0)
                    gn_strbuf_append_n(buf, b, (size_t)nb);
                gn_strbuf_putc(buf, '|');
            }
        sqlite3_finalize(rows);
        ntables++;
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    assert_true(ntables >= 10);
}

/* Appends the raw bytes of a file (if it exists) to buf. */
static void dump_file(const char *path, gn_strbuf *buf)
{
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        gn_strbuf_append_n(buf, chunk, n);
    fclose(f);
}

static int contains(const gn_strbuf *buf, const void *needle, size_t n)
{
    return memmem(buf->data, buf->len, needle, n) != NULL;
}

/* A dump of the database (every table's values, and the raw files) holds
 * neither a token's text, nor its base64 body, nor its 32 random bytes;
 * and what it does hold (hash, prefix) does not authenticate. */
static void token_db_dump_has_no_secret(void **state)
{
    char path[1024], wal[1100], secret[8][GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_dump");
    gn_strbuf tables, files;
    gn_principal p;
    gn_token_rec *t = NULL;
    size_t n = 0;
    gn_err err;
    int i;
    (void)state;

    assert_ok(gn_store_user_add(s, "alice", 0, NULL, &err));
    for (i = 0; i < 8; i++)
        assert_ok(gn_token_create(s, "alice", "t", i % 2 ? gn_time_wall() + 3600 : 0, secret[i],
                                  NULL, &err));
    /* a use of each, so last_used and the audit-free touch are written too */
    for (i = 0; i < 8; i++)
        assert_ok(gn_authenticate(s, secret[i], &p, &err));

    gn_strbuf_init(&tables);
    gn_strbuf_init(&files);
    dump_tables(path, &tables);
    dump_file(path, &files);
    snprintf(wal, sizeof wal, "%s-wal", path);
    dump_file(wal, &files);
    assert_true(files.len > 0);
    for (i = 0; i < 8; i++) {
        const char *body = secret[i] + 4;
        unsigned char raw[32];
        size_t raw_len = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, body, strlen(body), NULL, &raw_len,
                                           NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(raw_len, 32);
        assert_false(contains(&tables, secret[i], strlen(secret[i])));
        assert_false(contains(&tables, body, strlen(body)));
        assert_false(contains(&tables, body + 8, strlen(body) - 8)); /* past the prefix */
        assert_false(contains(&tables, raw, sizeof raw));
        assert_false(contains(&files, secret[i], strlen(secret[i])));
        assert_false(contains(&files, body + 8, strlen(body) - 8));
        assert_false(contains(&files, raw, sizeof raw));
        /* the prefix IS there: that is what leak scanners and `token list` use */
        assert_true(contains(&tables, secret[i], GN_TOKEN_DISPLAY_LEN));
    }

    /* what the dump has does not log in: the stored hash (as text in
     * either case of hex, or as base64 behind the prefix), nor the prefix */
    assert_ok(gn_store_token_list(s, NULL, &t, &n, &err));
    assert_int_equal(n, 8);
    {
        char hex[65], forged[GN_TOKEN_LEN + 1];
        sodium_bin2hex(hex, sizeof hex, t[0].hash, 32);
        assert_status(gn_authenticate(s, hex, &p, &err), GN_ERR_AUTH);
        memcpy(forged, "gns_", 4);
        sodium_bin2base64(forged + 4, sizeof forged - 4, t[0].hash, 32,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        assert_true(gn__token_well_formed(forged));
        assert_status(gn_authenticate(s, forged, &p, &err), GN_ERR_AUTH);
        assert_status(gn_authenticate(s, t[0].prefix, &p, &err), GN_ERR_AUTH);
    }
    gn_token_rec_array_free(t, n);
    gn_strbuf_destroy(&tables);
    gn_strbuf_destroy(&files);
    gn_store_close(s);
}

static void token_authenticates_with_memberships(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1], root_secret[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_auth");
    gn_principal p;
    gn_class cl;
    int64_t id = 0, uid;
    gn_err err;
    (void)state;

    member(s, "ann", "chem", "maintainer", "controlled");
    member(s, "ann", "bio", "viewer", "public");
    assert_ok(gn_store_user_add(s, "root", 1, &uid, &err));
    assert_ok(gn_token_create(s, "ann", "laptop", 0, secret, &id, &err));
    assert_ok(gn_token_create(s, "root", NULL, 0, root_secret, NULL, &err));

    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_string_equal(p.user, "ann");
    assert_int_equal(p.token_id, id);
    assert_true(p.user_id > 0);
    assert_int_equal(p.server_admin, 0);
    assert_int_equal(p.n_projects, 2);
    assert_string_equal(p.projects[0].project, "bio");
    assert_int_equal(p.projects[0].role, GN_ROLE_VIEWER);
    assert_int_equal(p.projects[1].clearance, GN_CLASS_CONTROLLED);
    assert_int_equal(gn_principal_role(&p, "chem", &cl), GN_ROLE_MAINTAINER);
    assert_int_equal(cl, GN_CLASS_CONTROLLED);
    assert_int_equal(gn_principal_role(&p, "phys", &cl), GN_ROLE_NONE);

    assert_ok(gn_authenticate(s, root_secret, &p, &err));
    assert_int_equal(p.server_admin, 1);
    assert_int_equal(p.user_id, uid);
    assert_int_equal(gn_principal_role(&p, "anything", &cl), GN_ROLE_ADMIN);
    assert_int_equal(cl, GN_CLASS_RESTRICTED);

    /* a membership change shows on the next authentication */
    assert_ok(gn_store_membership_remove(s, "ann", "chem", &err));
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_int_equal(p.n_projects, 1);
    gn_store_close(s);
}

/* Every failure says the same thing, so a caller learns nothing about why. */
static void assert_refused(gn_store *s, const char *token)
{
    gn_principal p;
    gn_err err;
    memset(&p, 0x5a, sizeof p);
    assert_status(gn_authenticate(s, token, &p, &err), GN_ERR_AUTH);
    assert_string_equal(err.msg, "invalid token");
    assert_int_equal(p.user_id, 0); /* nothing left behind */
    assert_int_equal(p.user[0], 0);
}

static void token_expiry(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1], sql[256];
    gn_store *s = id_store(path, sizeof path, "token_expiry");
    gn_principal p;
    gn_token_rec t;
    int64_t id = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_status(gn_token_create(s, "ann", NULL, gn_time_wall() - 1, secret, NULL, &err),
                  GN_ERR_INVALID);
    assert_status(gn_token_create(s, "ann", NULL, NAN, secret, NULL, &err), GN_ERR_INVALID);
    assert_ok(gn_token_create(s, "ann", NULL, gn_time_wall() + 3600, secret, &id, &err));
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_ok(gn_store_token_get(s, id, &t, &err));
    assert_true(t.expires > gn_time_wall() + 3500);
    gn_token_rec_free(&t);
    /* time passes: move the expiry into the past under the store */
    snprintf(sql, sizeof sql, "UPDATE tokens SET expires = %.3f WHERE id = %lld",
             gn_time_wall() - 0.001, (long long)id);
    raw_exec(path, sql);
    assert_refused(s, secret);
    /* and exactly at the expiry instant it is over too */
    assert_ok(gn_token_create(s, "ann", NULL, gn_time_wall() + 0.3, secret, &id, &err));
    gn_time_sleep(0.4, NULL);
    assert_refused(s, secret);
    gn_store_close(s);
}

static void token_revocation(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1], keep[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_revoke");
    gn_principal p;
    gn_token_rec t;
    int64_t id = 0;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, secret, &id, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, keep, NULL, &err));
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_ok(gn_store_token_revoke(s, id, &err));
    assert_refused(s, secret);
    assert_ok(gn_authenticate(s, keep, &p, &err)); /* only that one */
    assert_status(gn_store_token_revoke(s, id, &err), GN_ERR_STATE);
    assert_status(gn_store_token_revoke(s, 999999, &err), GN_ERR_NOT_FOUND);
    assert_ok(gn_store_token_get(s, id, &t, &err));
    assert_true(t.revoked > 0);
    gn_token_rec_free(&t);
    gn_store_close(s);
}

static void token_disabled_user(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_disabled");
    gn_principal p;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, secret, NULL, &err));
    assert_ok(gn_store_user_set_disabled(s, "ann", 1, &err));
    assert_refused(s, secret);
    assert_status(gn_token_create(s, "ann", NULL, 0, secret, NULL, &err), GN_ERR_STATE);
    assert_ok(gn_store_user_set_disabled(s, "ann", 0, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, secret, NULL, &err));
    assert_ok(gn_authenticate(s, secret, &p, &err));
    gn_store_close(s);
}

/* Malformed tokens are refused from their shape alone: with no store at
 * all (NULL) the answer is still "invalid token", while a well-formed one
 * needs the store (GN_ERR_INVALID without one) -- so the shape check runs
 * first and junk never reaches the database. */
static void token_malformed_no_db_access(void **state)
{
    char good[GN_TOKEN_LEN + 1], bad[128];
    gn_principal p;
    gn_err err;
    unsigned char raw[32];
    size_t i;
    static const char *const junk[] = {
        "",
        "gns_",
        "Bearer gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
        "gnx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "GNS_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* not base64url */
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* non-canonical: low bits set */
        "gns_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3",
        "' OR 1=1 --",
    };
    (void)state;

    assert_int_equal(sodium_init() >= 0, 1);
    for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        if (gn__token_well_formed(junk[i]))
            fail_msg("junk accepted as well formed: '%s'", junk[i]);
        assert_refused(NULL, junk[i]);
    }
    assert_refused(NULL, NULL);
    /* 10 kB of junk: the length check stops at 48 characters */
    {
        char *big = malloc(10001);
        assert_non_null(big);
        memset(big, 'A', 10000);
        big[10000] = 0;
        memcpy(big, "gns_", 4);
        assert_refused(NULL, big);
        free(big);
    }
    randombytes_buf(raw, sizeof raw);
    memcpy(good, "gns_", 4);
    sodium_bin2base64(good + 4, sizeof good - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_true(gn__token_well_formed(good));
    assert_status(gn_authenticate(NULL, good, &p, &err), GN_ERR_INVALID);
    snprintf(bad, sizeof bad, "%sA", good);
    assert_refused(NULL, bad);
}

/* Unknown, expired, revoked and disabled tokens are indistinguishable to
 * the caller; a known hash is compared again with sodium_memcmp. */
static void token_failures_alike_and_constant_time(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1], unknown[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_alike");
    gn_principal p;
    unsigned char raw[32];
    long before;
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, secret, NULL, &err));
    before = gn__token_ct_compares();
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_int_equal(gn__token_ct_compares(), before + 1);

    randombytes_buf(raw, sizeof raw);
    memcpy(unknown, "gns_", 4);
    sodium_bin2base64(unknown + 4, sizeof unknown - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_refused(s, unknown);
    /* one flipped character: well formed, unknown */
    unknown[10] = unknown[10] == 'A' ? 'B' : 'A';
    assert_refused(s, unknown);
    {
        char near[GN_TOKEN_LEN + 1];
        memcpy(near, secret, sizeof near);
        near[20] = near[20] == 'A' ? 'B' : 'A';
        assert_refused(s, near);
    }
    assert_ok(gn_store_user_set_disabled(s, "ann", 1, &err));
    before = gn__token_ct_compares();
    assert_refused(s, secret);
    assert_int_equal(gn__token_ct_compares(), before + 1);
    gn_store_close(s);
}

static void token_last_used(void **state)
{
    char path[1024], secret[GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "token_last_used");
    gn_principal p;
    gn_token_rec t;
    int64_t id;
    double t0 = gn_time_wall();
    gn_err err;
    (void)state;

    assert_ok(gn_store_user_add(s, "ann", 0, NULL, &err));
    assert_ok(gn_token_create(s, "ann", NULL, 0, secret, &id, &err));
    assert_ok(gn_store_token_get(s, id, &t, &err));
    assert_true(t.last_used == 0);
    gn_token_rec_free(&t);
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_ok(gn_store_token_get(s, id, &t, &err));
    assert_true(t.last_used >= t0 - 1);
    gn_token_rec_free(&t);
    /* touching is bookkeeping: no audit record, no write hook */
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 0);
    gn_store_close(s);
}

/* ---- out of memory ---------------------------------------------------------- */

/* Every identity and audit call in a row; the first failure's status. */
static gn_status oom_sequence(gn_store *s)
{
    char secret[GN_TOKEN_LEN + 1];
    gn_audit_event ev = {.user = "ann", .action = "campaign.read", .object = "campaign/x",
                         .result = "ok", .detail = "{}", .remote = "::1"};
    gn_user_rec *u = NULL;
    gn_token_rec *t = NULL;
    gn_membership_rec *m = NULL;
    gn_audit_rec *a = NULL;
    gn_principal p;
    size_t n = 0;
    int64_t bad, checked;
    gn_status st;
    gn_err err;

    if ((st = gn_store_user_add(s, "ann", 0, NULL, &err)) ||
        (st = gn_store_project_add(s, "chem", "d", NULL, &err)) ||
        (st = gn_store_membership_set(s, "ann", "chem", "viewer", "public", &err)) ||
        (st = gn_token_create(s, "ann", "n", 0, secret, NULL, &err)) ||
        (st = gn_authenticate(s, secret, &p, &err)))
        return st;
    if ((st = gn_store_user_list(s, &u, &n, &err)))
        return st;
    gn_user_rec_array_free(u, n);
    if ((st = gn_store_token_list(s, NULL, &t, &n, &err)))
        return st;
    gn_token_rec_array_free(t, n);
    if ((st = gn_store_membership_list(s, NULL, NULL, &m, &n, &err)))
        return st;
    gn_membership_rec_array_free(m, n);
    gn_audit_defer_begin(s, &ev);
    st = gn_store_user_set_admin(s, "ann", 1, &err);
    gn_audit_defer_end(s);
    if (st || (st = gn_audit_append(s, &ev, &err)) ||
        (st = gn_audit_verify(s, &bad, &checked, &err)))
        return st;
    if ((st = gn_store_audit_list(s, NULL, NULL, 10, &a, &n, &err)))
        return st;
    gn_audit_rec_array_free(a, n);
    return GN_OK;
}

/* Each allocation of the sequence fails in turn: a clean GN_ERR_NOMEM,
 * nothing leaked (ASan), the chain still verifies. */
static void oom_walk(void **state)
{
    char path[1024];
    gn_store *s;
    gn_status st;
    gn_err err;
    long k, before, failures = 0;
    int64_t bad, checked;
    (void)state;

    for (k = 1; k < 5000; k++) {
        s = id_store(path, sizeof path, "oom");
        before = gn__alloc_count();
        gn__alloc_fail_at(k);
        st = oom_sequence(s);
        gn__alloc_fail_at(0);
        if (gn__alloc_count() - before < k) {
            assert_int_equal(st, GN_OK);
            gn_store_close(s);
            break;
        }
        /* the one failure may hit last_used bookkeeping, which is ignored */
        if (st != GN_OK && st != GN_ERR_NOMEM)
            fail_msg("allocation %ld: %s (%s)", k, gn_status_str(st), err.msg);
        failures += st == GN_ERR_NOMEM;
        assert_ok(gn_audit_verify(s, &bad, &checked, &err));
        gn_store_close(s);
    }
    assert_true(failures > 10);
    assert_true(k < 5000);
}

/* ---- the genesis command ---------------------------------------------------------- */

static const char *bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

/* Runs `genesis ARGS` (shell words) with stdout to out and stderr to err
 * (either may be NULL); returns the exit status. */
static int run(char *out, size_t osize, char *errout, size_t esize, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int run(char *out, size_t osize, char *errout, size_t esize, const char *fmt, ...)
{
    char args[4096], cmd[8192], efile[256];
    va_list ap;
    FILE *p, *e;
    size_t n;
    int status;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(efile, sizeof efile, GN_TEST_TMP "/serve-cli-stderr-%ld.txt", (long)getpid());
    snprintf(cmd, sizeof cmd, "cd " GN_TEST_TMP " && '%s' %s 2>'%s'", bin(), args, efile);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (out) {
        n = fread(out, 1, osize - 1, p);
        out[n] = '\0';
    } else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, p) > 0)
            ;
    }
    status = pclose(p);
    if (errout) {
        e = fopen(efile, "r");
        n = e ? fread(errout, 1, esize - 1, e) : 0;
        errout[n] = '\0';
        if (e)
            fclose(e);
    }
    unlink(efile);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define G(...) run(out, sizeof out, errs, sizeof errs, __VA_ARGS__)

static void cli_round_trip(void **state)
{
    char path[1024], out[16384], errs[8192], secret[GN_TOKEN_LEN + 1];
    gn_store *s;
    gn_principal p;
    gn_err err;
    (void)state;

    snprintf(path, sizeof path, GN_TEST_TMP "/serve-cli.db");
    db_remove(path);

    assert_int_equal(G("user add alice --admin --db '%s'", path), 0);
    assert_int_equal(G("user add bob --db '%s'", path), 0);
    assert_int_equal(G("user add bob --db '%s'", path), 5);
    assert_non_null(strstr(errs, "exists"));
    assert_int_equal(G("user add 'bad name' --db '%s'", path), 2);
    assert_int_equal(G("user list --db '%s'", path), 0);
    assert_non_null(strstr(out, "alice"));
    assert_non_null(strstr(out, "bob"));
    assert_int_equal(G("project add chem --description 'flow chemistry' --db '%s'", path), 0);
    assert_int_equal(G("project member chem bob --role experimenter --clearance controlled "
                       "--db '%s'",
                       path),
                     0);
    assert_int_equal(G("project member chem carol --role viewer --db '%s'", path), 4);
    assert_int_equal(G("project member chem bob --role boss --db '%s'", path), 2);
    assert_int_equal(G("project list --json --db '%s'", path), 0);
    assert_non_null(strstr(out, "\"experimenter\""));
    assert_non_null(strstr(out, "\"controlled\""));
    assert_int_equal(G("user list --json --db '%s'", path), 0);
    assert_non_null(strstr(out, "\"chem\""));

    /* the secret alone on stdout, a warning on stderr */
    assert_int_equal(G("token create bob --name robot --expires 30d --db '%s'", path), 0);
    assert_int_equal(strlen(out), GN_TOKEN_LEN + 1);
    assert_int_equal(out[GN_TOKEN_LEN], '\n');
    memcpy(secret, out, GN_TOKEN_LEN);
    secret[GN_TOKEN_LEN] = 0;
    assert_int_equal(strncmp(secret, "gns_", 4), 0);
    assert_non_null(strstr(errs, "once"));
    assert_null(strstr(errs, secret + 4));

    /* the token works, and the listing shows its prefix but never the secret */
    s = db_open(path);
    assert_ok(gn_authenticate(s, secret, &p, &err));
    assert_string_equal(p.user, "bob");
    assert_int_equal(p.n_projects, 1);
    assert_int_equal(p.projects[0].role, GN_ROLE_EXPERIMENTER);
    gn_store_close(s);
    assert_int_equal(G("token list --db '%s'", path), 0);
    assert_non_null(strstr(out, "robot"));
    assert_non_null(strstr(out, "active"));
    {
        char prefix[GN_TOKEN_DISPLAY_LEN + 1];
        memcpy(prefix, secret, GN_TOKEN_DISPLAY_LEN);
        prefix[GN_TOKEN_DISPLAY_LEN] = 0;
        assert_non_null(strstr(out, prefix));
    }
    assert_null(strstr(out, secret + GN_TOKEN_DISPLAY_LEN));
    assert_int_equal(G("token list bob --json --db '%s'", path), 0);
    assert_non_null(strstr(out, "\"prefix\""));
    assert_null(strstr(out, "hash"));
    assert_null(strstr(out, secret + GN_TOKEN_DISPLAY_LEN));
    assert_int_equal(G("token create bob --expires 3x --db '%s'", path), 2);
    assert_int_equal(G("token create nobody --db '%s'", path), 4);

    /* revoke: the token stops working */
    assert_int_equal(G("token revoke 1 --db '%s'", path), 0);
    assert_int_equal(G("token revoke 1 --db '%s'", path), 5);
    assert_int_equal(G("token revoke 99 --db '%s'", path), 4);
    s = db_open(path);
    assert_status(gn_authenticate(s, secret, &p, &err), GN_ERR_AUTH);
    gn_store_close(s);

    /* disable / enable, member removal */
    assert_int_equal(G("user disable bob --db '%s'", path), 0);
    assert_int_equal(G("user list --db '%s'", path), 0);
    assert_non_null(strstr(out, "disabled"));
    assert_int_equal(G("user enable bob --db '%s'", path), 0);
    assert_int_equal(G("user disable nobody --db '%s'", path), 4);
    assert_int_equal(G("project member chem bob --remove --db '%s'", path), 0);
    assert_int_equal(G("project member chem bob --remove --db '%s'", path), 4);

    /* every change above is in the audit log, which verifies; it prints
     * the head to note, which then verifies as an anchor */
    assert_int_equal(G("audit verify --db '%s'", path), 0);
    assert_non_null(strstr(out, "intact"));
    {
        char anchor[128] = "";
        const char *h = strstr(out, "head: ");
        assert_non_null(h);
        assert_int_equal(sscanf(h + 6, "%127s", anchor), 1);
        assert_int_equal(G("audit verify --anchor %s --db '%s'", anchor, path), 0);
        assert_non_null(strstr(out, "anchor matches"));
        assert_int_equal(G("audit verify --anchor 1:xyz --db '%s'", path), 2);
        assert_non_null(strstr(errs, "SEQ:HASH"));
    }
    assert_int_equal(G("audit list --json --db '%s'", path), 0);
    assert_non_null(strstr(out, "\"user.add\""));
    assert_non_null(strstr(out, "\"token.create\""));
    assert_non_null(strstr(out, "\"token.revoke\""));
    assert_non_null(strstr(out, "\"member.remove\""));
    assert_null(strstr(out, secret + 4));
    assert_int_equal(G("audit list --action user.add --limit 1 --db '%s'", path), 0);
    assert_non_null(strstr(out, "user.add"));
    assert_null(strstr(out, "token.create"));

    /* tamper: verify names the record and exits 1 */
    raw_exec(path, "UPDATE audit SET object = 'user/mallory' WHERE seq = 2");
    assert_int_equal(G("audit verify --db '%s'", path), 1);
    assert_non_null(strstr(errs, "record 2"));
    assert_int_equal(G("audit verify --json --db '%s'", path), 1);
    assert_non_null(strstr(out, "\"bad_seq\": 2"));

    /* help and usage */
    assert_int_equal(G("token --help"), 0);
    assert_non_null(strstr(out, "token create"));
    assert_int_equal(G("user frobnicate --db '%s'", path), 2);
    assert_int_equal(G("audit"), 2);
    db_remove(path);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(users_and_flags),
    cmocka_unit_test(projects_and_memberships),
    cmocka_unit_test(token_format_and_prefix),
    cmocka_unit_test(token_db_dump_has_no_secret),
    cmocka_unit_test(token_authenticates_with_memberships),
    cmocka_unit_test(token_expiry),
    cmocka_unit_test(token_revocation),
    cmocka_unit_test(token_disabled_user),
    cmocka_unit_test(token_malformed_no_db_access),
    cmocka_unit_test(token_failures_alike_and_constant_time),
    cmocka_unit_test(token_last_used),
    cmocka_unit_test(oom_walk),
    cmocka_unit_test(cli_round_trip),
};

GN_TEST_MAIN(tests)
