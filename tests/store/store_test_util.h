/*
 * store_test_util.h - helpers shared by the store test programs.
 *
 * Every case works on its own SQLite file under GN_TEST_TMP, named after
 * the case and removed (with its -wal and -shm files) at the start.
 */
#ifndef GN_STORE_TEST_UTIL_H
#define GN_STORE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gn_test.h"
#include "store/store.h"

/* Fails the case with the store's message when `call` does not return
 * GN_OK; needs a gn_err named `err` in scope. */
#define assert_ok(call)                                                            \
    do {                                                                           \
        gn_status st_ = (call);                                                    \
        if (st_ != GN_OK)                                                          \
            fail_msg("%s -> %s: %s", #call, gn_status_str(st_), err.msg);          \
    } while (0)

/* Fails the case unless `call` returns `want`. */
#define assert_status(call, want)                                                  \
    do {                                                                           \
        gn_status st_ = (call);                                                    \
        if (st_ != (want))                                                         \
            fail_msg("%s -> %s, wanted %s (%s)", #call, gn_status_str(st_),        \
                     gn_status_str(want), err.msg);                                \
    } while (0)

/* Removes a database file and its companions. */
static inline void db_remove(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[1024];
    size_t i;
    for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* Fills buf with this case's fresh database path. */
static inline void db_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/store-%s.db", GN_TEST_TMP, name);
    db_remove(buf);
}

static inline gn_store *db_open(const char *path)
{
    gn_store *s = NULL;
    gn_err err;
    assert_ok(gn_store_open(path, &s, &err));
    assert_non_null(s);
    return s;
}

/* Creates campaign `name` and returns its id. */
static inline int64_t campaign_new(gn_store *s, const char *name)
{
    gn_campaign_rec c;
    gn_err err;
    memset(&c, 0, sizeof c);
    c.name = (char *)name;
    c.spec_text = (char *)"name: x\n";
    c.spec_format = (char *)"yaml";
    c.seed = 1;
    c.budget = 10;
    assert_ok(gn_store_campaign_create(s, &c, &err));
    assert_true(c.id > 0);
    return c.id;
}

/* Adds n experiments with params {"x": i}; ids go to ids (may be NULL). */
static inline void experiments_new(gn_store *s, int64_t campaign_id, size_t n, int64_t *ids)
{
    gn_experiment_rec recs[64];
    char params[64][32];
    gn_err err;
    size_t i;
    assert_true(n <= 64);
    memset(recs, 0, sizeof recs);
    for (i = 0; i < n; i++) {
        snprintf(params[i], sizeof params[i], "{\"x\": %zu}", i);
        recs[i].params = params[i];
        recs[i].origin = (char *)"manual";
    }
    assert_ok(gn_store_experiments_add(s, campaign_id, recs, n, &err));
    if (ids)
        for (i = 0; i < n; i++)
            ids[i] = recs[i].id;
}

#endif
