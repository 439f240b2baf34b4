/*
 * identity_test_util.h - helpers shared by test_identity.c, test_authz.c
 * and test_audit.c: a fresh store per case, and a plain SQLite connection
 * to look under (or tamper with) the store.
 */
#ifndef GN_IDENTITY_TEST_UTIL_H
#define GN_IDENTITY_TEST_UTIL_H

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "serve/identity.h"
#include "store/store_serve.h"
#include "store/store_test_util.h"

/* A fresh store for this case at path (size >= 1024). */
static inline gn_store *id_store(char *path, size_t size, const char *name)
{
    char n[256];
    snprintf(n, sizeof n, "serve-%s", name);
    db_path(path, size, n);
    return db_open(path);
}

/* Runs SQL with a plain SQLite connection (no fsync: tampering is not
 * what the tests time). */
static inline void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* The first column of the first row of a query, as an integer (-1: no row). */
static inline long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The same on an open connection (tests that tamper many times). */
static inline sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    return db;
}

static inline void raw_exec_on(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static inline long long raw_int_on(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Adds a user, a project and a membership (role and clearance names). */
static inline void member(gn_store *s, const char *user, const char *project, const char *role,
                          const char *clearance)
{
    gn_user_rec u;
    gn_project_rec p;
    gn_err err;
    if (gn_store_user_get(s, user, &u, &err) == GN_OK)
        gn_user_rec_free(&u);
    else
        assert_ok(gn_store_user_add(s, user, 0, NULL, &err));
    if (gn_store_project_get(s, project, &p, &err) == GN_OK)
        gn_project_rec_free(&p);
    else
        assert_ok(gn_store_project_add(s, project, NULL, NULL, &err));
    assert_ok(gn_store_membership_set(s, user, project, role, clearance, &err));
}

#endif
