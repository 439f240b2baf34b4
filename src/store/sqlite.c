/*
 * store/sqlite.c - the SQLite back end of the store.
 *
 * One connection per gn_store, in WAL mode with synchronous=FULL (a commit
 * is on disk when it returns), foreign keys on, and a busy timeout. Every
 * write is one BEGIN IMMEDIATE transaction: the write lock is taken up
 * front, so two writers never deadlock on a lock upgrade and numbering
 * (MAX(number) + 1) is safe across processes. Statements are prepared once
 * at open and kept on the handle. The connection uses the "genesis" VFS
 * (walbuf.c): the default one, but a commit's WAL frames reach the file in
 * one write instead of two per page.
 *
 * The schema is versioned in PRAGMA user_version; `migrations` below brings
 * a database forward one version per step, all steps in one transaction.
 * docs/store.md describes the schema and the guarantees.
 */
#include "store/sqlite_internal.h"
#include "store/walbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "core/timeutil.h"

#define DEFAULT_BUSY_MS 30000

/* ---- schema and migrations ------------------------------------------------ */

/* migrations[k] brings a database from version k-1 to version k. Steps are
 * only ever appended: a released step never changes. */
static const char *const migrations[] = {
    NULL, /* version 0: an empty (or foreign) database, nothing of ours */

    /* 1: campaigns, experiments, attempts. Statuses are text; seed is a
     * decimal text so that every uint64 round-trips (an INTEGER column
     * would turn values >= 2^63 into REAL). JSON columns are checked. */
    "CREATE TABLE campaigns (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  name        TEXT NOT NULL UNIQUE,\n"
    "  state       TEXT NOT NULL\n"
    "              CHECK (state IN ('active','paused','completed','archived')),\n"
    "  spec_text   TEXT,\n"
    "  spec_format TEXT CHECK (spec_format IS NULL OR spec_format IN ('yaml','json')),\n"
    "  spec_path   TEXT,\n"
    "  seed        TEXT NOT NULL,\n"
    "  budget      INTEGER NOT NULL,\n"
    "  created     REAL NOT NULL,\n"
    "  updated     REAL NOT NULL\n"
    ");\n"
    "CREATE TABLE experiments (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),\n"
    "  number      INTEGER NOT NULL CHECK (number >= 1),\n"
    "  status      TEXT NOT NULL\n"
    "              CHECK (status IN ('proposed','running','completed','failed','abandoned')),\n"
    "  params      TEXT CHECK (params IS NULL OR json_valid(params)),\n"
    "  prediction  TEXT CHECK (prediction IS NULL OR json_valid(prediction)),\n"
    "  outcome     TEXT CHECK (outcome IS NULL OR json_valid(outcome)),\n"
    "  origin      TEXT,\n"
    "  attempts    INTEGER NOT NULL DEFAULT 0,\n"
    "  reason      TEXT,\n"
    "  created     REAL NOT NULL,\n"
    "  updated     REAL NOT NULL,\n"
    "  UNIQUE (campaign_id, number)\n"
    ");\n"
    "CREATE INDEX experiments_by_status ON experiments (campaign_id, status, number);\n"
    "CREATE TABLE attempts (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  number        INTEGER NOT NULL CHECK (number >= 1),\n"
    "  status        TEXT NOT NULL CHECK (status IN\n"
    "                ('running','succeeded','failed','timeout','cancelled','interrupted')),\n"
    "  runner        TEXT,\n"
    "  host          TEXT,\n"
    "  pid           INTEGER NOT NULL DEFAULT 0,\n"
    "  pid_start     INTEGER NOT NULL DEFAULT 0,\n"
    "  workdir       TEXT,\n"
    "  started       REAL NOT NULL,\n"
    "  finished      REAL,\n"
    "  exit_code     INTEGER NOT NULL DEFAULT -1,\n"
    "  signal        INTEGER NOT NULL DEFAULT 0,\n"
    "  reason        TEXT,\n"
    "  stdout_tail   TEXT,\n"
    "  stderr_tail   TEXT,\n"
    "  outcome       TEXT CHECK (outcome IS NULL OR json_valid(outcome)),\n"
    "  UNIQUE (experiment_id, number)\n"
    ");\n"
    "CREATE INDEX attempts_by_status ON attempts (status, experiment_id);\n",

    /* 2: datasets. Rows are kept as chunks of up to a few thousand rows,
     * each a columnar BLOB encoded by src/data/dataset.c (numbers as
     * 8-byte doubles, text as length-prefixed bytes): a 100k-row table is
     * a few dozen rows to read back instead of 100k, doubles round-trip
     * exactly, and the store need not parse anything. */
    "CREATE TABLE datasets (\n"
    "  id             INTEGER PRIMARY KEY,\n"
    "  name           TEXT NOT NULL,\n"
    "  version        INTEGER NOT NULL CHECK (version >= 1),\n"
    "  title          TEXT,\n"
    "  source         TEXT,\n"
    "  license        TEXT,\n"
    "  doi            TEXT,\n"
    "  classification TEXT NOT NULL DEFAULT 'internal'\n"
    "                 CHECK (classification IN ('public','internal','controlled','restricted')),\n"
    "  project        TEXT NOT NULL DEFAULT 'default',\n"
    "  columns        TEXT NOT NULL CHECK (json_valid(columns)),\n"
    "  n_rows         INTEGER NOT NULL CHECK (n_rows >= 0),\n"
    "  n_cols         INTEGER NOT NULL CHECK (n_cols >= 1),\n"
    "  content_hash   TEXT NOT NULL,\n"
    "  imported_by    TEXT,\n"
    "  imported_at    REAL NOT NULL,\n"
    "  archived       INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),\n"
    "  UNIQUE (name, version)\n"
    ");\n"
    "CREATE TABLE dataset_chunks (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  dataset_id  INTEGER NOT NULL REFERENCES datasets(id),\n"
    "  chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),\n"
    "  first_row   INTEGER NOT NULL CHECK (first_row >= 0),\n"
    "  n_rows      INTEGER NOT NULL CHECK (n_rows >= 1),\n"
    "  data        BLOB NOT NULL,\n"
    "  UNIQUE (dataset_id, chunk_index)\n"
    ");\n",

    /* 3: the service (docs/serve.md) and Slurm (docs/slurm.md).
     * Campaigns get a project, a classification and an owner; experiments
     * a lease (who may run a suggestion, until when) and partial results;
     * attempts the batch-system job that ran them. Users, projects,
     * memberships, API tokens (only a hash of the secret is kept), the
     * idempotency keys of tells, and the hash-chained audit log. */
    "ALTER TABLE campaigns ADD COLUMN project TEXT NOT NULL DEFAULT 'default';\n"
    "ALTER TABLE campaigns ADD COLUMN classification TEXT NOT NULL DEFAULT 'internal'\n"
    "  CHECK (classification IN ('public','internal','controlled','restricted'));\n"
    "ALTER TABLE campaigns ADD COLUMN owner TEXT;\n"
    "ALTER TABLE experiments ADD COLUMN lease_token INTEGER;\n"
    "ALTER TABLE experiments ADD COLUMN lease_user TEXT;\n"
    "ALTER TABLE experiments ADD COLUMN lease_deadline REAL;\n"
    "ALTER TABLE experiments ADD COLUMN partial TEXT\n"
    "  CHECK (partial IS NULL OR json_valid(partial));\n"
    "ALTER TABLE attempts ADD COLUMN job_id TEXT;\n"
    "ALTER TABLE attempts ADD COLUMN job_state TEXT;\n"
    "CREATE INDEX attempts_by_job ON attempts (job_id) WHERE job_id IS NOT NULL;\n"
    "CREATE TABLE users (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  name     TEXT NOT NULL UNIQUE,\n"
    "  admin    INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),\n"
    "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),\n"
    "  created  REAL NOT NULL\n"
    ");\n"
    "CREATE TABLE projects (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  name        TEXT NOT NULL UNIQUE,\n"
    "  description TEXT,\n"
    "  created     REAL NOT NULL\n"
    ");\n"
    "CREATE TABLE memberships (\n"
    "  user_id    INTEGER NOT NULL REFERENCES users(id),\n"
    "  project_id INTEGER NOT NULL REFERENCES projects(id),\n"
    "  role       TEXT NOT NULL\n"
    "             CHECK (role IN ('viewer','experimenter','maintainer','admin')),\n"
    "  clearance  TEXT NOT NULL\n"
    "             CHECK (clearance IN ('public','internal','controlled','restricted')),\n"
    "  PRIMARY KEY (user_id, project_id)\n"
    ");\n"
    "CREATE TABLE tokens (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  user_id  INTEGER NOT NULL REFERENCES users(id),\n"
    "  name     TEXT,\n"
    "  prefix   TEXT NOT NULL,\n"
    "  hash     BLOB NOT NULL UNIQUE,\n"
    "  created  REAL NOT NULL,\n"
    "  expires  REAL,\n"
    "  revoked  REAL,\n"
    "  last_used REAL\n"
    ");\n"
    "CREATE TABLE tell_keys (\n"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments(id),\n"
    "  key           TEXT NOT NULL,\n"
    "  request_hash  TEXT NOT NULL,\n"
    "  response      TEXT NOT NULL,\n"
    "  created       REAL NOT NULL,\n"
    "  PRIMARY KEY (experiment_id, key)\n"
    ");\n"
    "CREATE TABLE audit (\n"
    "  seq       INTEGER PRIMARY KEY,\n"
    "  time      REAL NOT NULL,\n"
    "  user      TEXT,\n"
    "  token_id  INTEGER,\n"
    "  action    TEXT NOT NULL,\n"
    "  object    TEXT,\n"
    "  result    TEXT NOT NULL,\n"
    "  detail    TEXT,\n"
    "  remote    TEXT,\n"
    "  hash      TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE audit_head (\n"
    "  one   INTEGER PRIMARY KEY CHECK (one = 1),\n"
    "  seq   INTEGER NOT NULL,\n"
    "  hash  TEXT NOT NULL\n"
    ");\n",
};

#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(N_MIGRATIONS == GN_STORE_SCHEMA_VERSION + 1,
               "one migration step per schema version");

/* ---- cached statements ---------------------------------------------------- */

#define CAMPAIGN_COLS "id, name, state, spec_text, spec_format, spec_path, seed, budget, " \
                      "created, updated, project, classification, owner"
#define EXP_COLS GN__SQ_EXP_COLS /* sqlite_internal.h: sqlite_lease.c reads them too */
#define ATT_COLS(p) p "id, " p "experiment_id, " p "number, " p "status, " p "runner, "    \
                    p "host, " p "pid, " p "pid_start, " p "workdir, " p "started, "       \
                    p "finished, " p "exit_code, " p "signal, " p "reason, "               \
                    p "stdout_tail, " p "stderr_tail, " p "outcome, " p "job_id, " p "job_state"

#define DS_COLS "id, name, version, title, source, license, doi, classification, project, " \
                "columns, n_rows, n_cols, content_hash, imported_by, imported_at, archived"

enum stmt_id {
    ST_BEGIN_WRITE,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_COUNT_STATUS,
    ST_CAMPAIGN_INSERT,
    ST_CAMPAIGN_BY_NAME,
    ST_CAMPAIGN_LIST,
    ST_CAMPAIGN_EXISTS,
    ST_CAMPAIGN_SET_STATE,
    ST_COUNT_EXPERIMENTS,
    ST_COUNT_ATTEMPTS,
    ST_EXP_MAX_NUMBER,
    ST_EXP_INSERT,
    ST_EXP_LIST,
    ST_EXP_LIST_STATUS,
    ST_EXP_GET,
    ST_EXP_STATE,
    ST_EXP_START,
    ST_EXP_FINISH,
    ST_EXP_ABANDON,
    ST_ATT_MAX_NUMBER,
    ST_ATT_INSERT,
    ST_ATT_STATE,
    ST_ATT_FINISH,
    ST_ATT_LIST,
    ST_RECOVER_LIST,
    ST_RECOVER_ATTEMPTS,
    ST_RECOVER_EXPERIMENTS,
    ST_DS_LATEST,
    ST_DS_INSERT,
    ST_DS_FINISH,
    ST_CHUNK_INSERT,
    ST_DS_GET,
    ST_DS_GET_LATEST,
    ST_DS_LIST,
    ST_CHUNK_LIST,
    ST_DS_ARCHIVE,
    ST_DS_COUNT_NAME,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* a call inside a batch (gn_store_batch_begin) is a savepoint of it */
    [ST_SAVEPOINT] = "SAVEPOINT gn_call",
    [ST_RELEASE] = "RELEASE gn_call",
    [ST_ROLLBACK_TO] = "ROLLBACK TO gn_call",
    [ST_COUNT_STATUS] =
        "SELECT status, count(*) FROM experiments WHERE campaign_id = ?1 GROUP BY status",
    [ST_CAMPAIGN_INSERT] =
        "INSERT INTO campaigns (name, state, spec_text, spec_format, spec_path, seed, budget, "
        "created, updated, project, classification, owner) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11)",
    [ST_CAMPAIGN_BY_NAME] = "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE name = ?1",
    [ST_CAMPAIGN_LIST] = "SELECT " CAMPAIGN_COLS " FROM campaigns ORDER BY id",
    [ST_CAMPAIGN_EXISTS] = "SELECT 1 FROM campaigns WHERE id = ?1",
    [ST_CAMPAIGN_SET_STATE] = "UPDATE campaigns SET state = ?2, updated = ?3 WHERE id = ?1",
    [ST_COUNT_EXPERIMENTS] =
        "SELECT status, count(*) FROM experiments WHERE campaign_id = ?1 GROUP BY status",
    [ST_COUNT_ATTEMPTS] =
        "SELECT count(*), coalesce(sum(a.status IN ('failed','timeout')), 0) "
        "FROM attempts a JOIN experiments e ON a.experiment_id = e.id WHERE e.campaign_id = ?1",
    [ST_EXP_MAX_NUMBER] =
        "SELECT coalesce(max(number), 0) FROM experiments WHERE campaign_id = ?1",
    [ST_EXP_INSERT] =
        "INSERT INTO experiments (campaign_id, number, status, params, prediction, outcome, "
        "origin, attempts, created, updated) "
        "VALUES (?1, ?2, 'proposed', ?3, ?4, NULL, ?5, 0, ?6, ?6)",
    [ST_EXP_LIST] = "SELECT " EXP_COLS " FROM experiments WHERE campaign_id = ?1 ORDER BY number",
    [ST_EXP_LIST_STATUS] = "SELECT " EXP_COLS " FROM experiments "
                           "WHERE campaign_id = ?1 AND status = ?2 ORDER BY number",
    [ST_EXP_GET] = "SELECT " EXP_COLS " FROM experiments WHERE campaign_id = ?1 AND number = ?2",
    [ST_EXP_STATE] = "SELECT e.status, e.number, c.name FROM experiments e "
                     "JOIN campaigns c ON c.id = e.campaign_id WHERE e.id = ?1",
    /* The state changes of attempts and experiments check the state they
     * change from in their WHERE clause: no row changed means the state was
     * wrong (or the row is missing), and only then is it looked up, for
     * the message. An abandoned experiment stays abandoned unless measured;
     * ?5 = 1 when the finish adds an attempt row (its start was never
     * recorded). */
    [ST_EXP_START] =
        "UPDATE experiments SET status = 'running', "
        "attempts = (SELECT count(*) FROM attempts WHERE experiment_id = ?1), updated = ?2 "
        "WHERE id = ?1 AND status = 'proposed'",
    [ST_EXP_FINISH] =
        "UPDATE experiments SET "
        "status = CASE WHEN status = 'abandoned' AND ?2 <> 'completed' THEN 'abandoned' ELSE ?2 END, "
        "outcome = CASE WHEN ?2 = 'completed' THEN ?3 ELSE NULL END, "
        "attempts = CASE WHEN ?5 THEN (SELECT count(*) FROM attempts WHERE experiment_id = ?1) "
        "ELSE attempts END, updated = ?4 "
        "WHERE id = ?1 AND status NOT IN ('completed', 'failed')",
    [ST_EXP_ABANDON] =
        "UPDATE experiments SET status = 'abandoned', reason = ?2, updated = ?3 WHERE id = ?1",
    [ST_ATT_MAX_NUMBER] =
        "SELECT coalesce(max(number), 0) FROM attempts WHERE experiment_id = ?1",
    [ST_ATT_INSERT] =
        "INSERT INTO attempts (experiment_id, number, status, runner, host, pid, pid_start, "
        "workdir, started, finished, exit_code, signal, reason, stdout_tail, stderr_tail, "
        "outcome, job_id, job_state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [ST_ATT_STATE] = "SELECT experiment_id, status, number FROM attempts WHERE id = ?1",
    [ST_ATT_FINISH] =
        "UPDATE attempts SET status = ?2, finished = ?3, exit_code = ?4, signal = ?5, "
        "reason = ?6, stdout_tail = ?7, stderr_tail = ?8, outcome = ?9, "
        "job_id = coalesce(?10, job_id), job_state = coalesce(?11, job_state), "
        "host = coalesce(?12, host) "
        "WHERE id = ?1 AND status = 'running' AND (?13 = 0 OR experiment_id = ?13) "
        "AND (?14 = 0 OR number = ?14)",
    [ST_ATT_LIST] = "SELECT " ATT_COLS("") " FROM attempts WHERE experiment_id = ?1 "
                    "ORDER BY number",
    [ST_RECOVER_LIST] = "SELECT " ATT_COLS("a.") " FROM attempts a "
                        "JOIN experiments e ON a.experiment_id = e.id "
                        "WHERE e.campaign_id = ?1 AND a.status = 'running' ORDER BY a.id",
    [ST_RECOVER_ATTEMPTS] =
        "UPDATE attempts SET status = 'interrupted', finished = ?2, reason = ?3 "
        "WHERE status = 'running' "
        "AND experiment_id IN (SELECT id FROM experiments WHERE campaign_id = ?1)",
    [ST_RECOVER_EXPERIMENTS] =
        "UPDATE experiments SET status = 'proposed', updated = ?2 "
        "WHERE campaign_id = ?1 AND status = 'running'",
    [ST_DS_LATEST] =
        "SELECT version, content_hash FROM datasets WHERE name = ?1 ORDER BY version DESC LIMIT 1",
    [ST_DS_INSERT] =
        "INSERT INTO datasets (name, version, title, source, license, doi, classification, "
        "project, columns, n_rows, n_cols, content_hash, imported_by, imported_at, archived) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, '', ?11, ?12, 0)",
    [ST_DS_FINISH] = "UPDATE datasets SET n_rows = ?2, content_hash = ?3 WHERE id = ?1",
    [ST_CHUNK_INSERT] = "INSERT INTO dataset_chunks (dataset_id, chunk_index, first_row, n_rows, "
                        "data) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DS_GET] = "SELECT " DS_COLS " FROM datasets WHERE name = ?1 AND version = ?2",
    [ST_DS_GET_LATEST] =
        "SELECT " DS_COLS " FROM datasets WHERE name = ?1 ORDER BY version DESC LIMIT 1",
    [ST_DS_LIST] = "SELECT " DS_COLS " FROM datasets WHERE archived = 0 OR ?1 "
                   "ORDER BY name, version",
    [ST_CHUNK_LIST] = "SELECT first_row, n_rows, data FROM dataset_chunks WHERE dataset_id = ?1 "
                      "ORDER BY chunk_index",
    [ST_DS_ARCHIVE] = "UPDATE datasets SET archived = 1 WHERE name = ?1 AND archived = 0",
    [ST_DS_COUNT_NAME] = "SELECT count(*) FROM datasets WHERE name = ?1",
};

_Static_assert(ST__COUNT <= GN__SQ_CORE_STMTS, "raise GN__SQ_CORE_STMTS");

#define Q(s) ((sq *)(s)->be)

/* ---- errors --------------------------------------------------------------- */

/* Fills err for SQLite result code rc met while doing `what` and returns
 * the matching gn_status. Must be called before the statement is reset
 * (the message lives on the connection). */
static gn_status db_error(sq *q, int rc, const char *what, gn_err *err)
{
    gn_status st;
    const char *msg;

    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: st = GN_ERR_BUSY; break;
    case SQLITE_NOMEM: st = GN_ERR_NOMEM; break;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            st = GN_ERR_EXISTS;
        else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            st = GN_ERR_NOT_FOUND;
        else
            st = GN_ERR_INVALID;
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM: st = GN_ERR_IO; break;
    default: st = GN_ERR_STORE; break;
    }
    if (q->db && sqlite3_extended_errcode(q->db) == rc)
        msg = sqlite3_errmsg(q->db);
    else
        msg = sqlite3_errstr(rc);
    return gn_err_set(err, st, "store %s: %s: %s", q->path, what, msg);
}

static gn_status corrupt(sq *q, const char *what, gn_err *err)
{
    return gn_err_set(err, GN_ERR_STORE, "store %s: corrupt data: %s", q->path, what);
}

/* ---- statements, bindings, rows -------------------------------------------- */

static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Bind helpers keep the first failure in *rc and do nothing after it, so a
 * run of bindings needs one check at the end. Strings are bound without a
 * copy: they must live until the statement is reset. */
static void b_text(sqlite3_stmt *st, int i, const char *s, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static void b_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int64(st, i, v);
}

static void b_real(sqlite3_stmt *st, int i, double v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_double(st, i, v);
}

/* Binds a time, or NULL for 0 (not yet). */
static void b_time(sqlite3_stmt *st, int i, double v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = v > 0 ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

/* Runs a statement whose bindings ended with bind_rc and which returns no
 * row we need; resets it. */
static gn_status run(sq *q, sqlite3_stmt *st, int bind_rc, const char *what, gn_err *err)
{
    gn_status status = GN_OK;
    int rc = bind_rc;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        status = db_error(q, rc, what, err);
    stmt_done(st);
    return status;
}

/* Steps a statement expected to give at most one row: GN_OK with *row 1 on a
 * row (the statement is NOT reset, so the caller can read it and must call
 * stmt_done), GN_OK with *row 0 on none (reset), an error otherwise (reset). */
static gn_status step_row(sq *q, sqlite3_stmt *st, int bind_rc, int *row, const char *what,
                          gn_err *err)
{
    gn_status status = GN_OK;
    int rc = bind_rc;

    *row = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = 1;
        return GN_OK;
    }
    if (rc != SQLITE_DONE)
        status = db_error(q, rc, what, err);
    stmt_done(st);
    return status;
}

/* Copies text column i (or NULL) into *out, byte for byte. Returns 0, or -1
 * when memory ran out. */
static int col_text(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *t;
    int len;

    *out = NULL;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return 0;
    t = sqlite3_column_text(st, i);
    if (!t)
        return -1;
    len = sqlite3_column_bytes(st, i);
    *out = gn_malloc((size_t)len + 1);
    if (!*out)
        return -1;
    memcpy(*out, t, (size_t)len);
    (*out)[len] = '\0';
    return 0;
}

/* Parses a decimal uint64 written by format_seed. 0 ok, -1 otherwise. */
static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}


static gn_status row_campaign(sq *q, sqlite3_stmt *st, void *out, gn_err *err)
{
    gn_campaign_rec *r = out;
    char *seed = NULL;
    gn_status status = GN_OK;

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    if (col_text(st, 1, &r->name) || col_text(st, 2, &r->state) ||
        col_text(st, 3, &r->spec_text) || col_text(st, 4, &r->spec_format) ||
        col_text(st, 5, &r->spec_path) || col_text(st, 6, &seed)) {
        status = gn_err_nomem(err);
        goto out;
    }
    if (parse_u64(seed, &r->seed)) {
        status = corrupt(q, "a campaign seed is not a uint64", err);
        goto out;
    }
    r->budget = (long)sqlite3_column_int64(st, 7);
    r->created = sqlite3_column_double(st, 8);
    r->updated = sqlite3_column_double(st, 9);
    if (col_text(st, 10, &r->project) || col_text(st, 11, &r->classification) ||
        col_text(st, 12, &r->owner))
        status = gn_err_nomem(err);
out:
    gn_free(seed);
    if (status != GN_OK)
        gn_campaign_rec_free(r);
    return status;
}

static gn_status row_experiment(sq *q, sqlite3_stmt *st, void *out, gn_err *err)
{
    gn_experiment_rec *r = out;

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->campaign_id = sqlite3_column_int64(st, 1);
    r->number = sqlite3_column_int64(st, 2);
    if (gn_exp_status_parse((const char *)sqlite3_column_text(st, 3), &r->status))
        return sqlite3_errcode(q->db) == SQLITE_NOMEM ? gn_err_nomem(err)
                                                      : corrupt(q, "unknown experiment status", err);
    if (col_text(st, 4, &r->params) || col_text(st, 5, &r->prediction) ||
        col_text(st, 6, &r->outcome) || col_text(st, 7, &r->origin) ||
        col_text(st, 11, &r->reason) || col_text(st, 13, &r->lease_user) ||
        col_text(st, 15, &r->partial)) {
        gn_experiment_rec_free(r);
        return gn_err_nomem(err);
    }
    r->attempts = sqlite3_column_int(st, 8);
    r->created = sqlite3_column_double(st, 9);
    r->updated = sqlite3_column_double(st, 10);
    r->lease_token = sqlite3_column_int64(st, 12);     /* NULL reads as 0 */
    r->lease_deadline = sqlite3_column_double(st, 14);
    return GN_OK;
}

static gn_status row_attempt(sq *q, sqlite3_stmt *st, void *out, gn_err *err)
{
    gn_attempt_rec *r = out;

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->experiment_id = sqlite3_column_int64(st, 1);
    r->number = sqlite3_column_int(st, 2);
    if (gn_att_status_parse((const char *)sqlite3_column_text(st, 3), &r->status))
        return sqlite3_errcode(q->db) == SQLITE_NOMEM ? gn_err_nomem(err)
                                                      : corrupt(q, "unknown attempt status", err);
    if (col_text(st, 4, &r->runner) || col_text(st, 5, &r->host) ||
        col_text(st, 8, &r->workdir) || col_text(st, 13, &r->reason) ||
        col_text(st, 14, &r->stdout_tail) || col_text(st, 15, &r->stderr_tail) ||
        col_text(st, 16, &r->outcome) || col_text(st, 17, &r->job_id) ||
        col_text(st, 18, &r->job_state)) {
        gn_attempt_rec_free(r);
        return gn_err_nomem(err);
    }
    r->pid = sqlite3_column_int64(st, 6);
    r->pid_start = sqlite3_column_int64(st, 7);
    r->started = sqlite3_column_double(st, 9);
    r->finished = sqlite3_column_double(st, 10); /* NULL reads as 0 */
    r->exit_code = sqlite3_column_int(st, 11);
    r->signal = sqlite3_column_int(st, 12);
    return GN_OK;
}

static void campaigns_free(void *recs, size_t n) { gn_campaign_rec_array_free(recs, n); }
static void experiments_free(void *recs, size_t n) { gn_experiment_rec_array_free(recs, n); }
static void attempts_free(void *recs, size_t n) { gn_attempt_rec_array_free(recs, n); }

gn_status gn__sq_collect(sq *q, sqlite3_stmt *st, int bind_rc, size_t size, gn__sq_row_fn row,
                         gn__sq_array_free_fn array_free, void **out, size_t *n, const char *what,
                         gn_err *err)
{
    char *arr = NULL;
    size_t count = 0, cap = 0;
    gn_status status = GN_OK;
    int rc = bind_rc;

    for (;;) {
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            status = db_error(q, rc, what, err);
            goto fail;
        }
        rc = SQLITE_OK;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char *p = gn_reallocarray(arr, ncap, size);
            if (!p) {
                status = gn_err_nomem(err);
                goto fail;
            }
            arr = p;
            cap = ncap;
        }
        status = row(q, st, arr + count * size, err);
        if (status != GN_OK)
            goto fail;
        count++;
    }
    stmt_done(st);
    *out = arr;
    *n = count;
    return GN_OK;

fail:
    stmt_done(st);
    array_free(arr, count);
    return status;
}

/* ---- transactions ----------------------------------------------------------- */

/* Runs BEGIN IMMEDIATE, BEGIN or COMMIT. SQLITE_BUSY is retried until the
 * busy timeout has passed (the busy handler covers most waits; this covers
 * the cases where SQLite returns BUSY without calling it), then
 * GN_ERR_BUSY. */
static gn_status tx_step(sq *q, enum stmt_id id, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[id];
    double deadline = gn_time_mono() + q->busy_ms / 1000.0;
    double delay = 0.001, now;
    gn_status status;
    int rc;

    for (;;) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            stmt_done(st);
            return GN_OK;
        }
        if ((rc & 0xff) != SQLITE_BUSY || (now = gn_time_mono()) >= deadline)
            break;
        stmt_done(st);
        gn_time_sleep(delay < deadline - now ? delay : deadline - now, NULL);
        if (delay < 0.05)
            delay *= 2;
    }
    if ((rc & 0xff) == SQLITE_BUSY)
        status = gn_err_set(err, GN_ERR_BUSY,
                            "store %s: the database stayed locked by another process for "
                            "more than %d ms",
                            q->path, q->busy_ms);
    else
        status = db_error(q, rc, stmt_sql[id], err);
    stmt_done(st);
    return status;
}

/* Inside a batch whose transaction SQLite rolled back (an I/O error, a
 * full disk): a SAVEPOINT now would start, and its RELEASE commit, a
 * transaction of its own; refused instead (the batch fails as a whole). */
static gn_status batch_lost(sq *q, gn_err *err)
{
    return gn_err_set(err, GN_ERR_IO, "store %s: the batch's transaction was rolled back",
                      q->path);
}

static gn_status tx_begin_write(sq *q, gn_err *err)
{
    gn_status status;
    if (q->batch && sqlite3_get_autocommit(q->db))
        return batch_lost(q, err);
    status = tx_step(q, q->batch ? ST_SAVEPOINT : ST_BEGIN_WRITE, err);
    q->in_write = status == GN_OK;
    return status;
}
static gn_status tx_begin_read(sq *q, gn_err *err)
{
    if (q->batch && sqlite3_get_autocommit(q->db))
        return batch_lost(q, err);
    return tx_step(q, q->batch ? ST_SAVEPOINT : ST_BEGIN_READ, err);
}
static gn_status tx_commit(sq *q, gn_err *err) { return tx_step(q, ST_COMMIT, err); }

/* Rolls back the open transaction, if any (after a failed COMMIT SQLite
 * may or may not have rolled back already). */
static void tx_rollback(sq *q)
{
    if (!sqlite3_get_autocommit(q->db)) {
        sqlite3_step(q->stmt[ST_ROLLBACK]);
        stmt_done(q->stmt[ST_ROLLBACK]);
    }
}

/* Ends a transaction: commits if status is GN_OK (the commit's own failure
 * becomes the status), rolls back otherwise. */
static gn_status tx_end(sq *q, gn_status status, gn_err *err)
{
    /* the write hook (an audit record) joins the transaction it follows:
     * both commit or neither does */
    if (status == GN_OK && q->hook && q->in_write)
        status = q->hook(q->hook_store, q->hook_ctx, err);
    q->in_write = 0;
    if (q->batch) {
        /* inside a batch: the call's savepoint is kept or undone; the
         * batch's COMMIT makes it durable */
        if (status == GN_OK)
            status = tx_step(q, ST_RELEASE, err);
        if (status != GN_OK && !sqlite3_get_autocommit(q->db)) {
            sqlite3_step(q->stmt[ST_ROLLBACK_TO]);
            stmt_done(q->stmt[ST_ROLLBACK_TO]);
            sqlite3_step(q->stmt[ST_RELEASE]);
            stmt_done(q->stmt[ST_RELEASE]);
        }
        return status;
    }
    if (status == GN_OK)
        status = tx_commit(q, err);
    if (status != GN_OK)
        tx_rollback(q);
    return status;
}

gn_status gn__sq_batch_begin(gn_store *s, gn_err *err)
{
    sq *q = Q(s);
    gn_status status;

    if (q->batch || !sqlite3_get_autocommit(q->db))
        return gn_err_set(err, GN_ERR_STATE, "store %s: a transaction is open already", q->path);
    status = tx_step(q, ST_BEGIN_WRITE, err);
    if (status == GN_OK)
        q->batch = 1;
    return status;
}

gn_status gn__sq_batch_end(gn_store *s, int commit, gn_err *err)
{
    sq *q = Q(s);
    gn_status status = GN_OK;

    if (!q->batch)
        return gn_err_set(err, GN_ERR_STATE, "store %s: no batch is open", q->path);
    q->batch = 0;
    if (commit) {
        if (sqlite3_get_autocommit(q->db)) /* SQLite rolled it back (I/O error, full disk) */
            return batch_lost(q, err);
        status = tx_commit(q, err);
    }
    if (!commit || status != GN_OK)
        tx_rollback(q);
    return status;
}

gn_status gn__sq_wal_autocheckpoint(gn_store *s, int pages, gn_err *err)
{
    sq *q = Q(s);
    int rc = sqlite3_wal_autocheckpoint(q->db, pages);
    return rc == SQLITE_OK ? GN_OK : db_error(q, rc, "setting the WAL autocheckpoint", err);
}

gn_status gn__sq_wal_checkpoint(gn_store *s, int *wal_pages, int *copied, gn_err *err)
{
    sq *q = Q(s);
    int log = 0, ckpt = 0;
    int rc = sqlite3_wal_checkpoint_v2(q->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
    if (wal_pages)
        *wal_pages = log;
    if (copied)
        *copied = ckpt;
    if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return GN_OK; /* someone else is checkpointing: the next call catches up */
    return db_error(q, rc, "checkpointing the WAL", err);
}

gn_status gn__sq_campaign_status_counts(gn_store *s, int64_t campaign_id,
                                        gn_campaign_counts *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_COUNT_STATUS];
    gn_campaign_counts c;
    int rc = SQLITE_OK;
    gn_status status = GN_OK;

    memset(&c, 0, sizeof c);
    /* one statement: its own read snapshot, no BEGIN needed */
    b_int(st, 1, campaign_id, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        gn_exp_status es;
        long k = (long)sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
        if (gn_exp_status_parse((const char *)sqlite3_column_text(st, 0), &es)) {
            status = corrupt(q, "unknown experiment status", err);
            break;
        }
        switch (es) {
        case GN_EXP_PROPOSED: c.proposed = k; break;
        case GN_EXP_RUNNING: c.running = k; break;
        case GN_EXP_COMPLETED: c.completed = k; break;
        case GN_EXP_FAILED: c.failed = k; break;
        case GN_EXP_ABANDONED: c.abandoned = k; break;
        }
    }
    if (status == GN_OK && rc != SQLITE_DONE)
        status = db_error(q, rc, "counting experiments", err);
    stmt_done(st);
    if (status == GN_OK)
        *out = c;
    return status;
}

/* ---- shared lookups ---------------------------------------------------------- */

static gn_status campaign_must_exist(sq *q, int64_t campaign_id, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_CAMPAIGN_EXISTS];
    int rc = SQLITE_OK, row;
    gn_status status;

    b_int(st, 1, campaign_id, &rc);
    status = step_row(q, st, rc, &row, "looking up a campaign", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no campaign with id %" PRId64,
                          q->path, campaign_id);
    stmt_done(st);
    return GN_OK;
}

/* An experiment's status, for state checks; fills `who` with a phrase that
 * names it for messages ("experiment 7 of campaign 'x'"). */
static gn_status experiment_state(sq *q, int64_t experiment_id, gn_exp_status *status_out,
                                  char *who, size_t who_size, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_EXP_STATE];
    int rc = SQLITE_OK, row;
    gn_status status;
    const char *name;

    b_int(st, 1, experiment_id, &rc);
    status = step_row(q, st, rc, &row, "looking up an experiment", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no experiment with id %" PRId64,
                          q->path, experiment_id);
    if (gn_exp_status_parse((const char *)sqlite3_column_text(st, 0), status_out)) {
        status = corrupt(q, "unknown experiment status", err);
        goto out;
    }
    name = (const char *)sqlite3_column_text(st, 2);
    snprintf(who, who_size, "experiment %" PRId64 " of campaign '%s'",
             (int64_t)sqlite3_column_int64(st, 1), name ? name : "?");
out:
    stmt_done(st);
    return status;
}

/* Reads a single integer from a one-row statement bound with one id. */
static gn_status scalar_int(sq *q, enum stmt_id id, int64_t arg, int64_t *out, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[id];
    int rc = SQLITE_OK, row;
    gn_status status;

    b_int(st, 1, arg, &rc);
    status = step_row(q, st, rc, &row, stmt_sql[id], err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_INTERNAL, "store %s: no row from: %s", q->path,
                          stmt_sql[id]);
    *out = sqlite3_column_int64(st, 0);
    stmt_done(st);
    return GN_OK;
}

/* ---- campaigns ------------------------------------------------------------------ */

static gn_status sq_campaign_create(gn_store *s, gn_campaign_rec *rec, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_CAMPAIGN_INSERT];
    char seed[32];
    double now = gn_time_wall();
    int64_t id = 0;
    int rc = SQLITE_OK;
    gn_status status;

    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed);
    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    b_text(st, 1, rec->name, &rc);
    b_text(st, 2, rec->state ? rec->state : "active", &rc);
    b_text(st, 3, rec->spec_text, &rc);
    b_text(st, 4, rec->spec_format, &rc);
    b_text(st, 5, rec->spec_path, &rc);
    b_text(st, 6, seed, &rc);
    b_int(st, 7, rec->budget, &rc);
    b_real(st, 8, now, &rc);
    b_text(st, 9, rec->project ? rec->project : "default", &rc);
    b_text(st, 10, rec->classification ? rec->classification : "internal", &rc);
    b_text(st, 11, rec->owner, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        status = gn_err_set(err, GN_ERR_EXISTS, "a campaign named '%s' exists already", rec->name);
    else if (rc != SQLITE_DONE)
        status = db_error(q, rc, "creating a campaign", err);
    else
        id = sqlite3_last_insert_rowid(q->db);
    stmt_done(st);
    status = tx_end(q, status, err);
    if (status == GN_OK) {
        rec->id = id;
        rec->created = rec->updated = now;
    }
    return status;
}

static gn_status sq_campaign_get(gn_store *s, const char *name, gn_campaign_rec *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_CAMPAIGN_BY_NAME];
    gn_campaign_rec rec;
    int rc = SQLITE_OK, row;
    gn_status status;

    b_text(st, 1, name, &rc);
    status = step_row(q, st, rc, &row, "reading a campaign", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "no campaign named '%s'", name);
    status = row_campaign(q, st, &rec, err);
    stmt_done(st);
    if (status == GN_OK)
        *out = rec;
    return status;
}

static gn_status sq_campaign_list(gn_store *s, gn_campaign_rec **out, size_t *n, gn_err *err)
{
    sq *q = Q(s);
    void *arr = NULL;
    gn_status status;

    status = gn__sq_collect(q, q->stmt[ST_CAMPAIGN_LIST], SQLITE_OK, sizeof(gn_campaign_rec),
                            row_campaign, campaigns_free, &arr, n, "listing campaigns", err);
    if (status == GN_OK)
        *out = arr;
    return status;
}

static gn_status sq_campaign_set_state(gn_store *s, int64_t campaign_id, const char *state,
                                       gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_CAMPAIGN_SET_STATE];
    int rc = SQLITE_OK;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    b_int(st, 1, campaign_id, &rc);
    b_text(st, 2, state, &rc);
    b_real(st, 3, gn_time_wall(), &rc);
    status = run(q, st, rc, "setting a campaign's state", err);
    if (status == GN_OK && sqlite3_changes(q->db) == 0)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no campaign with id %" PRId64,
                            q->path, campaign_id);
    return tx_end(q, status, err);
}

static gn_status sq_campaign_counts(gn_store *s, int64_t campaign_id, gn_campaign_counts *out,
                                    gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_COUNT_EXPERIMENTS];
    gn_campaign_counts c;
    int rc = SQLITE_OK, row;
    gn_status status;

    memset(&c, 0, sizeof c);
    status = tx_begin_read(q, err);
    if (status != GN_OK)
        return status;
    status = campaign_must_exist(q, campaign_id, err);
    if (status != GN_OK)
        goto out;

    b_int(st, 1, campaign_id, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        gn_exp_status es;
        long k = (long)sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
        if (gn_exp_status_parse((const char *)sqlite3_column_text(st, 0), &es)) {
            status = corrupt(q, "unknown experiment status", err);
            break;
        }
        switch (es) {
        case GN_EXP_PROPOSED: c.proposed = k; break;
        case GN_EXP_RUNNING: c.running = k; break;
        case GN_EXP_COMPLETED: c.completed = k; break;
        case GN_EXP_FAILED: c.failed = k; break;
        case GN_EXP_ABANDONED: c.abandoned = k; break;
        }
    }
    if (status == GN_OK && rc != SQLITE_DONE)
        status = db_error(q, rc, "counting experiments", err);
    stmt_done(st);
    if (status != GN_OK)
        goto out;

    st = q->stmt[ST_COUNT_ATTEMPTS];
    rc = SQLITE_OK;
    b_int(st, 1, campaign_id, &rc);
    status = step_row(q, st, rc, &row, "counting attempts", err);
    if (status != GN_OK)
        goto out;
    if (row) {
        c.attempts = (long)sqlite3_column_int64(st, 0);
        c.failed_attempts = (long)sqlite3_column_int64(st, 1);
        stmt_done(st);
    }
out:
    status = tx_end(q, status, err);
    if (status == GN_OK)
        *out = c;
    return status;
}

/* ---- experiments --------------------------------------------------------------- */

static gn_status sq_experiments_add(gn_store *s, int64_t campaign_id, gn_experiment_rec *recs,
                                    size_t n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_EXP_INSERT];
    double now = gn_time_wall();
    int64_t *ids, base = 0;
    gn_status status;
    size_t i;

    ids = gn_calloc(n, sizeof *ids);
    if (!ids)
        return gn_err_nomem(err);
    status = tx_begin_write(q, err);
    if (status != GN_OK)
        goto out_free;
    status = campaign_must_exist(q, campaign_id, err);
    if (status == GN_OK)
        status = scalar_int(q, ST_EXP_MAX_NUMBER, campaign_id, &base, err);
    for (i = 0; status == GN_OK && i < n; i++) {
        int rc = SQLITE_OK;
        b_int(st, 1, campaign_id, &rc);
        b_int(st, 2, base + 1 + (int64_t)i, &rc);
        b_text(st, 3, recs[i].params, &rc);
        b_text(st, 4, recs[i].prediction, &rc);
        b_text(st, 5, recs[i].origin, &rc);
        b_real(st, 6, now, &rc);
        status = run(q, st, rc, "adding an experiment", err);
        if (status != GN_OK)
            gn_err_prefix(err, "experiment %zu of %zu", i + 1, n);
        else
            ids[i] = sqlite3_last_insert_rowid(q->db);
    }
    status = tx_end(q, status, err);
    if (status == GN_OK) {
        for (i = 0; i < n; i++) {
            recs[i].id = ids[i];
            recs[i].campaign_id = campaign_id;
            recs[i].number = base + 1 + (int64_t)i;
            recs[i].status = GN_EXP_PROPOSED;
            recs[i].attempts = 0;
            recs[i].created = recs[i].updated = now;
        }
    }
out_free:
    gn_free(ids);
    return status;
}

static gn_status sq_experiment_list(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                    gn_experiment_rec **out, size_t *n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[status ? ST_EXP_LIST_STATUS : ST_EXP_LIST];
    int rc = SQLITE_OK;
    void *arr = NULL;
    gn_status result;

    b_int(st, 1, campaign_id, &rc);
    if (status)
        b_text(st, 2, gn_exp_status_name(*status), &rc);
    result = gn__sq_collect(q, st, rc, sizeof(gn_experiment_rec), row_experiment, experiments_free,
                            &arr, n, "listing experiments", err);
    if (result == GN_OK)
        *out = arr;
    return result;
}

static gn_status sq_experiment_get(gn_store *s, int64_t campaign_id, int64_t number,
                                   gn_experiment_rec *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_EXP_GET];
    gn_experiment_rec rec;
    int rc = SQLITE_OK, row;
    gn_status status;

    b_int(st, 1, campaign_id, &rc);
    b_int(st, 2, number, &rc);
    status = step_row(q, st, rc, &row, "reading an experiment", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND,
                          "campaign %" PRId64 " has no experiment %" PRId64, campaign_id, number);
    status = row_experiment(q, st, &rec, err);
    stmt_done(st);
    if (status == GN_OK)
        *out = rec;
    return status;
}

static gn_status sq_experiment_abandon(gn_store *s, int64_t experiment_id, const char *reason,
                                       gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_EXP_ABANDON];
    gn_exp_status cur;
    char who[256];
    int rc = SQLITE_OK;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = experiment_state(q, experiment_id, &cur, who, sizeof who, err);
    if (status != GN_OK)
        goto out;
    if (cur == GN_EXP_COMPLETED || cur == GN_EXP_FAILED) {
        status = gn_err_set(err, GN_ERR_STATE, "%s is already %s; it cannot be abandoned", who,
                            gn_exp_status_name(cur));
        goto out;
    }
    b_int(st, 1, experiment_id, &rc);
    b_text(st, 2, reason, &rc);
    b_real(st, 3, gn_time_wall(), &rc);
    status = run(q, st, rc, "abandoning an experiment", err);
out:
    return tx_end(q, status, err);
}

/* ---- attempts ------------------------------------------------------------------ */

/* Inserts attempt a with the given status, number and times; *id gets the
 * new row id. */
static gn_status attempt_insert(sq *q, const gn_attempt_rec *a, gn_att_status att_status,
                                int64_t number, double started, double finished, int64_t *id,
                                gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_ATT_INSERT];
    gn_status status = GN_OK;
    int rc = SQLITE_OK;

    b_int(st, 1, a->experiment_id, &rc);
    b_int(st, 2, number, &rc);
    b_text(st, 3, gn_att_status_name(att_status), &rc);
    b_text(st, 4, a->runner, &rc);
    b_text(st, 5, a->host, &rc);
    b_int(st, 6, a->pid, &rc);
    b_int(st, 7, a->pid_start, &rc);
    b_text(st, 8, a->workdir, &rc);
    b_real(st, 9, started, &rc);
    b_time(st, 10, finished, &rc);
    b_int(st, 11, a->exit_code, &rc);
    b_int(st, 12, a->signal, &rc);
    b_text(st, 13, a->reason, &rc);
    b_text(st, 14, a->stdout_tail, &rc);
    b_text(st, 15, a->stderr_tail, &rc);
    b_text(st, 16, a->outcome, &rc);
    b_text(st, 17, a->job_id, &rc);
    b_text(st, 18, a->job_state, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        *id = sqlite3_last_insert_rowid(q->db);
    else if (rc == SQLITE_CONSTRAINT_UNIQUE)
        status = gn_err_set(err, GN_ERR_EXISTS,
                            "store %s: attempt %" PRId64 " of experiment %" PRId64 " exists already",
                            q->path, number, a->experiment_id);
    else
        status = db_error(q, rc, "recording an attempt", err);
    stmt_done(st);
    return status;
}

/* What attempt_start writes back after its commit. */
typedef struct start_back {
    int64_t id;
    int64_t number;
    double started;
} start_back;

/* Why an experiment could not change state (no row changed): looks it up
 * for the message, `expected` says what it had to be. */
static gn_status experiment_wrong_state(sq *q, int64_t experiment_id, const char *expected,
                                        gn_err *err)
{
    gn_exp_status cur;
    char who[256];
    gn_status status = experiment_state(q, experiment_id, &cur, who, sizeof who, err);
    if (status != GN_OK)
        return status;
    if (cur == GN_EXP_COMPLETED || cur == GN_EXP_FAILED)
        return gn_err_set(err, GN_ERR_STATE,
                          "%s is already %s; an outcome is never recorded twice", who,
                          gn_exp_status_name(cur));
    return gn_err_set(err, GN_ERR_STATE, "%s is %s; %s", who, gn_exp_status_name(cur), expected);
}

/* An attempt insert failed with `status` (its foreign key or unique
 * constraint): when the experiment is missing, or in a state the attempt
 * cannot start from (starting) or finish in, that is the better message. */
static gn_status insert_failure(sq *q, int64_t experiment_id, int starting, gn_status status,
                                gn_err *err)
{
    gn_exp_status cur;
    char who[256];
    gn_err ignored;

    gn_err_clear(&ignored);
    if (experiment_state(q, experiment_id, &cur, who, sizeof who, &ignored) != GN_OK ||
        (starting ? cur != GN_EXP_PROPOSED : cur == GN_EXP_COMPLETED || cur == GN_EXP_FAILED))
        return experiment_wrong_state(q, experiment_id,
                                      starting ? "an attempt can only start from proposed"
                                               : "it cannot finish",
                                      err);
    return status;
}

/* One attempt start, inside the caller's transaction: the attempt row,
 * then the experiment's change from proposed to running (checked by its
 * WHERE clause; an error rolls the caller's transaction back). */
static gn_status start_one(sq *q, const gn_attempt_rec *a, double now, start_back *back, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_EXP_START];
    double started = a->started > 0 ? a->started : now;
    int64_t number = a->number, id = 0;
    int rc = SQLITE_OK;
    gn_status status;

    if (number <= 0) {
        status = scalar_int(q, ST_ATT_MAX_NUMBER, a->experiment_id, &number, err);
        if (status != GN_OK)
            return status;
        number++;
    }
    status = attempt_insert(q, a, GN_ATT_RUNNING, number, started, 0, &id, err);
    if (status != GN_OK)
        return insert_failure(q, a->experiment_id, 1, status, err);
    b_int(st, 1, a->experiment_id, &rc);
    b_real(st, 2, now, &rc);
    status = run(q, st, rc, "starting an experiment", err);
    if (status == GN_OK && sqlite3_changes(q->db) != 1)
        return experiment_wrong_state(q, a->experiment_id,
                                      "an attempt can only start from proposed", err);
    if (status == GN_OK) {
        back->id = id;
        back->number = number;
        back->started = started;
    }
    return status;
}

static void start_write_back(gn_attempt_rec *a, const start_back *back)
{
    a->id = back->id;
    a->number = (int)back->number;
    a->started = back->started;
    a->finished = 0;
    a->status = GN_ATT_RUNNING;
}

static gn_status sq_attempt_start(gn_store *s, gn_attempt_rec *a, gn_err *err)
{
    sq *q = Q(s);
    start_back back;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = start_one(q, a, gn_time_wall(), &back, err);
    status = tx_end(q, status, err);
    if (status == GN_OK)
        start_write_back(a, &back);
    return status;
}

/* What attempts_finish writes back after its commit. */
typedef struct finish_back {
    int64_t id;
    int64_t number;
    double finished;
} finish_back;

/* Why attempt a could not be finished (its guarded update changed no
 * row): it is missing, belongs to another experiment, or is over. */
static gn_status attempt_wrong_state(sq *q, const gn_attempt_rec *a, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_ATT_STATE];
    gn_att_status att;
    gn_exp_status cur;
    int64_t att_exp, att_number;
    char who[256];
    int rc = SQLITE_OK, row;
    gn_status status;

    b_int(st, 1, a->id, &rc);
    status = step_row(q, st, rc, &row, "looking up an attempt", err);
    if (status != GN_OK)
        return status;
    if (!row)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no attempt with id %" PRId64, q->path,
                          a->id);
    att_exp = sqlite3_column_int64(st, 0);
    att_number = sqlite3_column_int64(st, 2);
    if (gn_att_status_parse((const char *)sqlite3_column_text(st, 1), &att)) {
        stmt_done(st);
        return corrupt(q, "unknown attempt status", err);
    }
    stmt_done(st);
    if (a->experiment_id != 0 && a->experiment_id != att_exp)
        return gn_err_set(err, GN_ERR_INVALID,
                          "attempt %" PRId64 " belongs to experiment %" PRId64 ", not %" PRId64,
                          a->id, att_exp, a->experiment_id);
    if (a->number > 0 && a->number != att_number)
        return gn_err_set(err, GN_ERR_INVALID, "attempt %" PRId64 " is number %" PRId64 ", not %d",
                          a->id, att_number, a->number);
    status = experiment_state(q, att_exp, &cur, who, sizeof who, err);
    if (status != GN_OK)
        return status;
    return gn_err_set(err, GN_ERR_STATE, "attempt %" PRId64 " of %s is already %s", att_number, who,
                      gn_att_status_name(att));
}

/* One item of attempts_finish, inside the caller's transaction: the
 * attempt's change from running (or a new finished attempt when its start
 * was never recorded), then the experiment's, each checked by its WHERE
 * clause; an error rolls the caller's transaction back. */
static gn_status finish_one(sq *q, const gn_attempt_finish *f, double now, finish_back *back,
                            gn_err *err)
{
    const gn_attempt_rec *a = f->attempt;
    int64_t exp_id = a->experiment_id;
    double finished = a->finished > 0 ? a->finished : now;
    int64_t att_number = a->number;
    sqlite3_stmt *st;
    int rc = SQLITE_OK, row;
    gn_status status;

    if (a->id != 0 && (exp_id == 0 || att_number <= 0)) {
        /* the caller did not say: read them */
        st = q->stmt[ST_ATT_STATE];
        b_int(st, 1, a->id, &rc);
        status = step_row(q, st, rc, &row, "looking up an attempt", err);
        if (status != GN_OK)
            return status;
        if (!row)
            return gn_err_set(err, GN_ERR_NOT_FOUND, "store %s: no attempt with id %" PRId64,
                              q->path, a->id);
        if (exp_id == 0)
            exp_id = sqlite3_column_int64(st, 0);
        if (att_number <= 0)
            att_number = sqlite3_column_int64(st, 2);
        stmt_done(st);
    }

    if (a->id != 0) {
        st = q->stmt[ST_ATT_FINISH];
        rc = SQLITE_OK;
        b_int(st, 1, a->id, &rc);
        b_text(st, 2, gn_att_status_name(a->status), &rc);
        b_real(st, 3, finished, &rc);
        b_int(st, 4, a->exit_code, &rc);
        b_int(st, 5, a->signal, &rc);
        b_text(st, 6, a->reason, &rc);
        b_text(st, 7, a->stdout_tail, &rc);
        b_text(st, 8, a->stderr_tail, &rc);
        b_text(st, 9, a->outcome, &rc);
        b_text(st, 10, a->job_id, &rc);
        b_text(st, 11, a->job_state, &rc);
        b_text(st, 12, a->host, &rc);
        b_int(st, 13, exp_id, &rc);
        b_int(st, 14, att_number, &rc);
        status = run(q, st, rc, "finishing an attempt", err);
        if (status != GN_OK)
            return status;
        if (sqlite3_changes(q->db) != 1)
            return attempt_wrong_state(q, a, err);
        back->id = a->id;
        back->number = att_number;
    } else {
        int64_t number = a->number;
        if (number <= 0) {
            status = scalar_int(q, ST_ATT_MAX_NUMBER, exp_id, &number, err);
            if (status != GN_OK)
                return status;
            number++;
        }
        status = attempt_insert(q, a, a->status, number, a->started > 0 ? a->started : finished,
                                finished, &back->id, err);
        if (status != GN_OK)
            return insert_failure(q, exp_id, 0, status, err);
        back->number = number;
    }
    back->finished = finished;

    /* an abandoned experiment is not brought back for a retry, but a
     * measured outcome is kept (in the statement) */
    st = q->stmt[ST_EXP_FINISH];
    rc = SQLITE_OK;
    b_int(st, 1, exp_id, &rc);
    b_text(st, 2, gn_exp_status_name(f->exp_status), &rc);
    b_text(st, 3, f->exp_status == GN_EXP_COMPLETED ? f->exp_outcome : NULL, &rc);
    b_real(st, 4, now, &rc);
    b_int(st, 5, a->id == 0, &rc);
    status = run(q, st, rc, "updating an experiment", err);
    if (status == GN_OK && sqlite3_changes(q->db) != 1)
        return experiment_wrong_state(q, exp_id, "it cannot finish", err);
    return status;
}

static gn_status sq_attempts_finish(gn_store *s, gn_attempt_finish *f, size_t n, gn_err *err)
{
    sq *q = Q(s);
    double now = gn_time_wall();
    finish_back *back;
    gn_status status;
    size_t i;

    back = gn_calloc(n, sizeof *back);
    if (!back)
        return gn_err_nomem(err);
    status = tx_begin_write(q, err);
    if (status != GN_OK)
        goto out_free;
    for (i = 0; status == GN_OK && i < n; i++) {
        status = finish_one(q, &f[i], now, &back[i], err);
        if (status != GN_OK && n > 1)
            gn_err_prefix(err, "item %zu of %zu (nothing was recorded)", i + 1, n);
    }
    status = tx_end(q, status, err);
    if (status == GN_OK) {
        for (i = 0; i < n; i++) {
            f[i].attempt->id = back[i].id;
            f[i].attempt->number = (int)back[i].number;
            f[i].attempt->finished = back[i].finished;
        }
    }
out_free:
    gn_free(back);
    return status;
}

static gn_status sq_attempts_record(gn_store *s, gn_attempt_rec *starts, size_t n_starts,
                                    gn_attempt_finish *fin, size_t n_fin, gn_err *err)
{
    sq *q = Q(s);
    double now = gn_time_wall();
    start_back *sb;
    finish_back *fb;
    gn_status status;
    size_t i;

    sb = gn_calloc(n_starts ? n_starts : 1, sizeof *sb);
    fb = gn_calloc(n_fin ? n_fin : 1, sizeof *fb);
    if (!sb || !fb) {
        status = gn_err_nomem(err);
        goto out_free;
    }
    status = tx_begin_write(q, err);
    if (status != GN_OK)
        goto out_free;
    for (i = 0; status == GN_OK && i < n_starts; i++) {
        status = start_one(q, &starts[i], now, &sb[i], err);
        if (status != GN_OK)
            gn_err_prefix(err, "start %zu of %zu (nothing was recorded)", i + 1, n_starts);
    }
    for (i = 0; status == GN_OK && i < n_fin; i++) {
        status = finish_one(q, &fin[i], now, &fb[i], err);
        if (status != GN_OK)
            gn_err_prefix(err, "finish %zu of %zu (nothing was recorded)", i + 1, n_fin);
    }
    status = tx_end(q, status, err);
    if (status == GN_OK) {
        for (i = 0; i < n_starts; i++)
            start_write_back(&starts[i], &sb[i]);
        for (i = 0; i < n_fin; i++) {
            fin[i].attempt->id = fb[i].id;
            fin[i].attempt->number = (int)fb[i].number;
            fin[i].attempt->finished = fb[i].finished;
        }
    }
out_free:
    gn_free(sb);
    gn_free(fb);
    return status;
}

static gn_status sq_attempt_list(gn_store *s, int64_t experiment_id, gn_attempt_rec **out,
                                 size_t *n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_ATT_LIST];
    int rc = SQLITE_OK;
    void *arr = NULL;
    gn_status status;

    b_int(st, 1, experiment_id, &rc);
    status = gn__sq_collect(q, st, rc, sizeof(gn_attempt_rec), row_attempt, attempts_free, &arr, n,
                            "listing attempts", err);
    if (status == GN_OK)
        *out = arr;
    return status;
}

/* -- Slurm job ids: recovery that keeps the attempts of batch jobs ---------- */

/* Statements of recover(keep_jobs = 1), in extension slots GN__SQ_SLOT_JOBS.. */
enum { JOBS_RECOVER_LIST, JOBS_RECOVER_ATTEMPTS, JOBS_RECOVER_EXPERIMENTS, JOBS_UPDATE };
static const char *const jobs_sql[] = {
    [JOBS_RECOVER_LIST] = "SELECT " ATT_COLS("a.") " FROM attempts a "
                          "JOIN experiments e ON a.experiment_id = e.id "
                          "WHERE e.campaign_id = ?1 AND a.status = 'running' "
                          "AND a.job_id IS NULL AND a.job_state IS NULL ORDER BY a.id",
    [JOBS_RECOVER_ATTEMPTS] =
        "UPDATE attempts SET status = 'interrupted', finished = ?2, reason = ?3 "
        "WHERE status = 'running' AND job_id IS NULL AND job_state IS NULL "
        "AND experiment_id IN (SELECT id FROM experiments WHERE campaign_id = ?1)",
    [JOBS_RECOVER_EXPERIMENTS] =
        "UPDATE experiments SET status = 'proposed', updated = ?2 "
        "WHERE campaign_id = ?1 AND status = 'running' AND NOT EXISTS "
        "(SELECT 1 FROM attempts a WHERE a.experiment_id = experiments.id "
        "AND a.status = 'running')",
    [JOBS_UPDATE] = "UPDATE attempts SET job_id = coalesce(?2, job_id), "
                    "job_state = coalesce(?3, job_state), host = coalesce(?4, host) "
                    "WHERE id = ?1 AND status = 'running'",
};

static gn_status sq_attempts_job_update(gn_store *s, const gn_attempt_job *u, size_t n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    gn_status status;
    size_t i;

    status = gn__sq_stmt(q, GN__SQ_SLOT_JOBS + JOBS_UPDATE, jobs_sql[JOBS_UPDATE], &st, err);
    if (status != GN_OK)
        return status;
    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    for (i = 0; status == GN_OK && i < n; i++) {
        int rc = SQLITE_OK;
        b_int(st, 1, u[i].attempt_id, &rc);
        b_text(st, 2, u[i].job_id, &rc);
        b_text(st, 3, u[i].job_state, &rc);
        b_text(st, 4, u[i].host, &rc);
        status = run(q, st, rc, "updating the job of an attempt", err);
    }
    return tx_end(q, status, err);
}

/* The statement `core` (keep_jobs 0) or its job-keeping twin `ext`. */
static gn_status recover_stmt(sq *q, int keep_jobs, int core, int ext, sqlite3_stmt **st,
                              gn_err *err)
{
    if (!keep_jobs) {
        *st = q->stmt[core];
        return GN_OK;
    }
    return gn__sq_stmt(q, GN__SQ_SLOT_JOBS + ext, jobs_sql[ext], st, err);
}

/* gn_store_recover_interrupted (keep_jobs 0) and its _keep_jobs twin. */
static gn_status recover(gn_store *s, int64_t campaign_id, const char *reason,
                         gn_attempt_rec **out, size_t *n, int keep_jobs, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    double now = gn_time_wall();
    gn_attempt_rec *list = NULL;
    size_t count = 0, i;
    void *arr = NULL;
    int rc = SQLITE_OK;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    status = campaign_must_exist(q, campaign_id, err);
    if (status != GN_OK)
        goto out;
    if (out) {
        status = recover_stmt(q, keep_jobs, ST_RECOVER_LIST, JOBS_RECOVER_LIST, &st, err);
        if (status != GN_OK)
            goto out;
        b_int(st, 1, campaign_id, &rc);
        status = gn__sq_collect(q, st, rc, sizeof(gn_attempt_rec), row_attempt, attempts_free, &arr,
                                &count, "listing running attempts", err);
        if (status != GN_OK)
            goto out;
        list = arr;
        /* the returned records show what was recorded */
        for (i = 0; i < count; i++) {
            list[i].status = GN_ATT_INTERRUPTED;
            list[i].finished = now;
            gn_free(list[i].reason);
            list[i].reason = gn_strdup(reason);
            if (reason && !list[i].reason) {
                status = gn_err_nomem(err);
                goto out;
            }
        }
    }
    status = recover_stmt(q, keep_jobs, ST_RECOVER_ATTEMPTS, JOBS_RECOVER_ATTEMPTS, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    b_int(st, 1, campaign_id, &rc);
    b_real(st, 2, now, &rc);
    b_text(st, 3, reason, &rc);
    status = run(q, st, rc, "interrupting running attempts", err);
    if (status != GN_OK)
        goto out;
    status = recover_stmt(q, keep_jobs, ST_RECOVER_EXPERIMENTS, JOBS_RECOVER_EXPERIMENTS, &st, err);
    if (status != GN_OK)
        goto out;
    rc = SQLITE_OK;
    b_int(st, 1, campaign_id, &rc);
    b_real(st, 2, now, &rc);
    status = run(q, st, rc, "returning running experiments to proposed", err);
out:
    status = tx_end(q, status, err);
    if (status != GN_OK) {
        gn_attempt_rec_array_free(list, count);
        return status;
    }
    if (out) {
        *out = list;
        *n = count;
    }
    return GN_OK;
}

static gn_status sq_recover_interrupted(gn_store *s, int64_t campaign_id, const char *reason,
                                        gn_attempt_rec **out, size_t *n, gn_err *err)
{
    return recover(s, campaign_id, reason, out, n, 0, err);
}

static gn_status sq_recover_interrupted_keep_jobs(gn_store *s, int64_t campaign_id,
                                                  const char *reason, gn_attempt_rec **out,
                                                  size_t *n, gn_err *err)
{
    return recover(s, campaign_id, reason, out, n, 1, err);
}

/* ---- datasets ------------------------------------------------------------------- */

static gn_status row_dataset(sq *q, sqlite3_stmt *st, void *out, gn_err *err)
{
    gn_dataset_rec *r = out;

    (void)q;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->version = sqlite3_column_int64(st, 2);
    r->n_rows = sqlite3_column_int64(st, 10);
    r->n_cols = sqlite3_column_int64(st, 11);
    r->imported_at = sqlite3_column_double(st, 14);
    r->archived = sqlite3_column_int(st, 15) != 0;
    if (col_text(st, 1, &r->name) || col_text(st, 3, &r->title) || col_text(st, 4, &r->source) ||
        col_text(st, 5, &r->license) || col_text(st, 6, &r->doi) ||
        col_text(st, 7, &r->classification) || col_text(st, 8, &r->project) ||
        col_text(st, 9, &r->columns) || col_text(st, 12, &r->content_hash) ||
        col_text(st, 13, &r->imported_by)) {
        gn_dataset_rec_free(r);
        return gn_err_nomem(err);
    }
    return GN_OK;
}

static void datasets_free(void *recs, size_t n) { gn_dataset_rec_array_free(recs, n); }

/* Inside the add transaction: streams every chunk of the source into
 * dataset_chunks; *rows gets the total. */
static gn_status chunks_insert(sq *q, int64_t id, gn_dataset_chunk_source next, void *ctx,
                               int64_t *rows, gn_err *err)
{
    sqlite3_stmt *st = q->stmt[ST_CHUNK_INSERT];
    int64_t index = 0, first = 0;
    gn_status status;

    for (;;) {
        const void *data = NULL;
        size_t size = 0;
        int64_t n = 0;
        int rc = SQLITE_OK;

        status = next(ctx, &data, &size, &n, err);
        if (status != GN_OK)
            return status;
        if (n == 0)
            break;
        if (n < 0 || !data || size == 0 || size > (size_t)INT32_MAX)
            return gn_err_set(err, GN_ERR_INTERNAL,
                              "store %s: a dataset chunk source gave a bad chunk", q->path);
        b_int(st, 1, id, &rc);
        b_int(st, 2, index, &rc);
        b_int(st, 3, first, &rc);
        b_int(st, 4, n, &rc);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob(st, 5, data, (int)size, SQLITE_STATIC);
        status = run(q, st, rc, "storing dataset rows", err);
        if (status != GN_OK)
            return status;
        index++;
        first += n;
    }
    *rows = first;
    return GN_OK;
}

static gn_status sq_dataset_add(gn_store *s, gn_dataset_rec *rec, gn_dataset_chunk_source next,
                                void *ctx, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st;
    double now = gn_time_wall();
    int64_t latest = 0, id = 0, rows = 0;
    char *latest_hash = NULL;
    int rc = SQLITE_OK, row;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    st = q->stmt[ST_DS_LATEST];
    b_text(st, 1, rec->name, &rc);
    status = step_row(q, st, rc, &row, "reading the latest dataset version", err);
    if (status != GN_OK)
        goto out;
    if (row) {
        latest = sqlite3_column_int64(st, 0);
        if (col_text(st, 1, &latest_hash))
            status = gn_err_nomem(err);
        stmt_done(st);
        if (status != GN_OK)
            goto out;
    }

    st = q->stmt[ST_DS_INSERT];
    rc = SQLITE_OK;
    b_text(st, 1, rec->name, &rc);
    b_int(st, 2, latest + 1, &rc);
    b_text(st, 3, rec->title, &rc);
    b_text(st, 4, rec->source, &rc);
    b_text(st, 5, rec->license, &rc);
    b_text(st, 6, rec->doi, &rc);
    b_text(st, 7, rec->classification ? rec->classification : "internal", &rc);
    b_text(st, 8, rec->project ? rec->project : "default", &rc);
    b_text(st, 9, rec->columns, &rc);
    b_int(st, 10, rec->n_cols, &rc);
    b_text(st, 11, rec->imported_by, &rc);
    b_real(st, 12, now, &rc);
    status = run(q, st, rc, "adding a dataset", err);
    if (status != GN_OK)
        goto out;
    id = sqlite3_last_insert_rowid(q->db);

    status = chunks_insert(q, id, next, ctx, &rows, err);
    if (status != GN_OK)
        goto out;
    if (!rec->content_hash || !*rec->content_hash || rows != rec->n_rows) {
        status = gn_err_set(err, GN_ERR_INTERNAL,
                            "store %s: dataset '%s': %" PRId64 " rows stored but %" PRId64
                            " announced, or no content hash",
                            q->path, rec->name, rows, rec->n_rows);
        goto out;
    }
    if (latest_hash && !strcmp(latest_hash, rec->content_hash)) {
        status = gn_err_set(err, GN_ERR_EXISTS,
                            "dataset '%s' version %" PRId64
                            " has the same content (hash %.16s...); nothing was imported",
                            rec->name, latest, latest_hash);
        goto out;
    }
    st = q->stmt[ST_DS_FINISH];
    rc = SQLITE_OK;
    b_int(st, 1, id, &rc);
    b_int(st, 2, rows, &rc);
    b_text(st, 3, rec->content_hash, &rc);
    status = run(q, st, rc, "finishing a dataset", err);
out:
    status = tx_end(q, status, err);
    gn_free(latest_hash);
    if (status == GN_OK) {
        rec->id = id;
        rec->version = latest + 1;
        rec->imported_at = now;
    }
    return status;
}

static gn_status sq_dataset_get(gn_store *s, const char *name, int64_t version,
                                gn_dataset_rec *out, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[version ? ST_DS_GET : ST_DS_GET_LATEST];
    gn_dataset_rec rec;
    int rc = SQLITE_OK, row;
    gn_status status;

    b_text(st, 1, name, &rc);
    if (version)
        b_int(st, 2, version, &rc);
    status = step_row(q, st, rc, &row, "reading a dataset", err);
    if (status != GN_OK)
        return status;
    if (!row) {
        if (version)
            return gn_err_set(err, GN_ERR_NOT_FOUND, "dataset '%s' has no version %" PRId64,
                              name, version);
        return gn_err_set(err, GN_ERR_NOT_FOUND, "no dataset named '%s'", name);
    }
    status = row_dataset(q, st, &rec, err);
    stmt_done(st);
    if (status == GN_OK)
        *out = rec;
    return status;
}

static gn_status sq_dataset_list(gn_store *s, int include_archived, gn_dataset_rec **out,
                                 size_t *n, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_DS_LIST];
    int rc = SQLITE_OK;
    void *arr = NULL;
    gn_status status;

    b_int(st, 1, include_archived ? 1 : 0, &rc);
    status = gn__sq_collect(q, st, rc, sizeof(gn_dataset_rec), row_dataset, datasets_free, &arr, n,
                            "listing datasets", err);
    if (status == GN_OK)
        *out = arr;
    return status;
}

static gn_status sq_dataset_rows(gn_store *s, int64_t dataset_id, gn_dataset_chunk_sink sink,
                                 void *ctx, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_CHUNK_LIST];
    int64_t expect = 0;
    int rc = SQLITE_OK;
    gn_status status;

    status = tx_begin_read(q, err);
    if (status != GN_OK)
        return status;
    b_int(st, 1, dataset_id, &rc);
    while (status == GN_OK && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t first = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        const void *data = sqlite3_column_blob(st, 2);
        int size = sqlite3_column_bytes(st, 2);

        rc = SQLITE_OK;
        if (first != expect || n < 1 || !data || size <= 0) {
            status = corrupt(q, "dataset chunks are out of order or empty", err);
            break;
        }
        status = sink(ctx, first, data, (size_t)size, n, err);
        expect += n;
    }
    if (status == GN_OK && rc != SQLITE_DONE)
        status = db_error(q, rc, "reading dataset rows", err);
    stmt_done(st);
    return tx_end(q, status, err);
}

static gn_status sq_dataset_archive(gn_store *s, const char *name, gn_err *err)
{
    sq *q = Q(s);
    sqlite3_stmt *st = q->stmt[ST_DS_ARCHIVE];
    int64_t versions = 0;
    int rc = SQLITE_OK, row;
    gn_status status;

    status = tx_begin_write(q, err);
    if (status != GN_OK)
        return status;
    b_text(st, 1, name, &rc);
    status = run(q, st, rc, "archiving a dataset", err);
    if (status != GN_OK || sqlite3_changes(q->db) > 0)
        goto out;
    st = q->stmt[ST_DS_COUNT_NAME];
    rc = SQLITE_OK;
    b_text(st, 1, name, &rc);
    status = step_row(q, st, rc, &row, "looking up a dataset", err);
    if (status != GN_OK)
        goto out;
    if (row) {
        versions = sqlite3_column_int64(st, 0);
        stmt_done(st);
    }
    if (versions == 0)
        status = gn_err_set(err, GN_ERR_NOT_FOUND, "no dataset named '%s'", name);
    else
        status = gn_err_set(err, GN_ERR_STATE, "dataset '%s' is archived already", name);
out:
    return tx_end(q, status, err);
}

/* ---- integrity ------------------------------------------------------------------ */

/* Runs a PRAGMA check whose rows are problems (foreign_key_check) or whose
 * single row "ok" means none (integrity_check). */
static gn_status check_pragma(sq *q, const char *sql, int ok_row, gn_err *err)
{
    sqlite3_stmt *st = NULL;
    gn_status status = GN_OK;
    int rc;

    rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_error(q, rc, sql, err);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *first = (const char *)sqlite3_column_text(st, 0);
        if (!ok_row || !first || strcmp(first, "ok"))
            status = gn_err_set(err, GN_ERR_STORE, "store %s: %s: %s%s%s", q->path, sql,
                                first ? first : "(null)", ok_row ? "" : " has a row ",
                                ok_row ? "" : "whose parent is missing");
    } else if (rc != SQLITE_DONE) {
        status = db_error(q, rc, sql, err);
    } else if (ok_row) {
        status = gn_err_set(err, GN_ERR_STORE, "store %s: %s gave no answer", q->path, sql);
    }
    sqlite3_finalize(st);
    return status;
}

static gn_status sq_check(gn_store *s, gn_err *err)
{
    sq *q = Q(s);
    gn_status status;

    status = check_pragma(q, "PRAGMA integrity_check", 1, err);
    if (status == GN_OK)
        status = check_pragma(q, "PRAGMA foreign_key_check", 0, err);
    return status;
}

/* ---- opening and closing --------------------------------------------------------- */

static void sq_free(sq *q)
{
    size_t i;
    if (!q)
        return;
    for (i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(q->stmt[i]);
    for (i = 0; i < GN__SQ_EXT_STMTS; i++)
        sqlite3_finalize(q->ext[i]);
    sqlite3_close_v2(q->db);
    gn_free(q);
}

static void sq_close(gn_store *s)
{
    sq_free(Q(s));
    s->be = NULL;
}

static void sq_set_busy_timeout(gn_store *s, int ms)
{
    sq *q = Q(s);
    q->busy_ms = ms;
    sqlite3_busy_timeout(q->db, ms);
}

/* Refuses a file that exists, is not empty and is too short to be a SQLite
 * database (a page is at least 512 bytes); a longer foreign file is refused
 * by SQLite itself (SQLITE_NOTADB, see gn__store_sqlite_open) before
 * anything is written. The file is never opened here: closing any
 * descriptor this process holds on it would drop the POSIX locks of every
 * SQLite connection of the process on that file (sqlite.org/howtocorrupt.html
 * section 2.2), and the service keeps many connections to one file. A
 * missing or empty file is fine: SQLite makes a new database of it. */
static gn_status check_header(const char *path, gn_err *err)
{
    struct stat sb;

    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return GN_OK;
        return gn_err_set(err, GN_ERR_IO, "store %s: cannot open: %s", path, strerror(errno));
    }
    if (sb.st_size > 0 && sb.st_size < 512)
        return gn_err_set(err, GN_ERR_STORE,
                          "store %s: the file is not a SQLite database; refusing to open it",
                          path);
    return GN_OK;
}

/* Runs a PRAGMA (or any statement) that returns at most one text value
 * into buf (empty when none), retrying SQLITE_BUSY until the timeout. */
static gn_status pragma_text(sq *q, const char *sql, char *buf, size_t size, gn_err *err)
{
    double deadline = gn_time_mono() + q->busy_ms / 1000.0;
    sqlite3_stmt *st = NULL;
    gn_status status = GN_OK;
    int rc;

    buf[0] = '\0';
    for (;;) {
        rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const char *t = (const char *)sqlite3_column_text(st, 0);
                snprintf(buf, size, "%s", t ? t : "");
                rc = SQLITE_DONE;
            }
        }
        if (rc == SQLITE_DONE)
            break;
        if ((rc & 0xff) != SQLITE_BUSY || gn_time_mono() >= deadline) {
            if (rc == SQLITE_NOTADB)
                status = gn_err_set(err, GN_ERR_STORE,
                                    "store %s: the file is not a SQLite database; refusing to "
                                    "open it",
                                    q->path);
            else
                status = db_error(q, rc, sql, err);
            break;
        }
        sqlite3_finalize(st);
        st = NULL;
        gn_time_sleep(0.01, NULL);
    }
    sqlite3_finalize(st);
    return status;
}

static gn_status user_version(sq *q, long *version, gn_err *err)
{
    char buf[32];
    gn_status status = pragma_text(q, "PRAGMA user_version", buf, sizeof buf, err);
    if (status == GN_OK)
        *version = strtol(buf, NULL, 10);
    return status;
}

static gn_status refuse_newer(sq *q, long version, gn_err *err)
{
    return gn_err_set(err, GN_ERR_STORE,
                      "store %s: database schema version %ld is newer than this genesis "
                      "supports (%d); upgrade genesis",
                      q->path, version, GN_STORE_SCHEMA_VERSION);
}

/* Brings the schema to GN_STORE_SCHEMA_VERSION in one write transaction.
 * The version is read again under the write lock: another process may have
 * migrated meanwhile. */
static gn_status migrate(sq *q, gn_err *err)
{
    long version;
    char sql[64], *msg = NULL;
    gn_status status;
    int rc;

    status = tx_step(q, ST_BEGIN_WRITE, err);
    if (status != GN_OK)
        return status;
    status = user_version(q, &version, err);
    if (status != GN_OK)
        goto out;
    if (version > GN_STORE_SCHEMA_VERSION) {
        status = refuse_newer(q, version, err);
        goto out;
    }
    for (; version < GN_STORE_SCHEMA_VERSION; version++) {
        rc = sqlite3_exec(q->db, migrations[version + 1], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            status = gn_err_set(err, rc == SQLITE_NOMEM ? GN_ERR_NOMEM : GN_ERR_STORE,
                                "store %s: migrating the schema from version %ld to %ld: %s",
                                q->path, version, version + 1, msg ? msg : sqlite3_errstr(rc));
            sqlite3_free(msg);
            goto out;
        }
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", GN_STORE_SCHEMA_VERSION);
    rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        status = db_error(q, rc, sql, err);
out:
    return tx_end(q, status, err);
}

static void sq_set_write_hook(gn_store *s, gn_store_write_hook hook, void *ctx);

static const gn_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .set_busy_timeout = sq_set_busy_timeout,
    .campaign_create = sq_campaign_create,
    .campaign_get = sq_campaign_get,
    .campaign_list = sq_campaign_list,
    .campaign_set_state = sq_campaign_set_state,
    .campaign_counts = sq_campaign_counts,
    .experiments_add = sq_experiments_add,
    .experiment_list = sq_experiment_list,
    .experiment_get = sq_experiment_get,
    .experiment_abandon = sq_experiment_abandon,
    .attempt_start = sq_attempt_start,
    .attempts_finish = sq_attempts_finish,
    .attempt_list = sq_attempt_list,
    .recover_interrupted = sq_recover_interrupted,
    .check = sq_check,
    .dataset_add = sq_dataset_add,
    .dataset_get = sq_dataset_get,
    .dataset_list = sq_dataset_list,
    .dataset_rows = sq_dataset_rows,
    .dataset_archive = sq_dataset_archive,
    .set_write_hook = sq_set_write_hook,
    /* -- sqlite_serve.c: identity and audit -- */
    GN__SQ_SERVE_OPS
    /* -- sqlite_lease.c: leases and tell keys -- */
    GN__SQ_LEASE_OPS
    /* -- sqlite.c: Slurm job ids -- */
    .recover_interrupted_keep_jobs = sq_recover_interrupted_keep_jobs,
    /* -- sqlite.c: batched attempt records -- */
    .attempts_record = sq_attempts_record,
    /* -- sqlite.c: job states of running attempts -- */
    .attempts_job_update = sq_attempts_job_update,
};

/* Process-wide SQLite settings, once, before the first connection: memory
 * statistics off (SQLite otherwise takes a global mutex on every
 * allocation to count bytes that nobody here reads). When the application
 * initialised SQLite before us, sqlite3_config refuses (SQLITE_MISUSE) and
 * its settings stay, which only costs speed. */
static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

gn_status gn__store_sqlite_open(gn_store *s, gn_err *err)
{
    sq *q;
    char mode[32];
    long version = 0;
    gn_status status;
    size_t i;
    int rc;

    status = check_header(s->path, err);
    if (status != GN_OK)
        return status;
    q = gn_calloc(1, sizeof *q);
    if (!q)
        return gn_err_nomem(err);
    q->path = s->path;
    q->busy_ms = DEFAULT_BUSY_MS;

    pthread_once(&sqlite_setup_once, sqlite_setup);
    /* no mutex of SQLite's own: a gn_store handle is used by one thread at
     * a time (store.h), so locking around each bind and step only costs */
    rc = sqlite3_open_v2(s->path, &q->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         gn__walbuf_vfs()); /* a commit's WAL frames in one write: walbuf.h */
    if (rc != SQLITE_OK) {
        status = db_error(q, rc, "opening", err);
        goto fail;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, q->busy_ms);

    /* the version first: a newer or foreign database is refused before
     * anything (even the journal mode) is changed */
    status = user_version(q, &version, err);
    if (status != GN_OK && (sqlite3_errcode(q->db) & 0xff) == SQLITE_NOTADB)
        status = gn_err_set(err, GN_ERR_STORE,
                            "store %s: the file is not a SQLite database; refusing to open it",
                            q->path);
    if (status != GN_OK)
        goto fail;
    if (version > GN_STORE_SCHEMA_VERSION) {
        status = refuse_newer(q, version, err);
        goto fail;
    }
    status = pragma_text(q, "PRAGMA journal_mode = WAL", mode, sizeof mode, err);
    if (status != GN_OK)
        goto fail;
    if (strcmp(mode, "wal") && strcmp(mode, "memory")) {
        status = gn_err_set(err, GN_ERR_STORE,
                            "store %s: cannot use write-ahead logging (journal mode is '%s'); "
                            "is the file on a network file system?",
                            q->path, mode);
        goto fail;
    }
    status = pragma_text(q, "PRAGMA synchronous = FULL", mode, sizeof mode, err);
    if (status == GN_OK)
        status = pragma_text(q, "PRAGMA foreign_keys = ON", mode, sizeof mode, err);
    if (status == GN_OK)
        status = pragma_text(q, "PRAGMA foreign_keys", mode, sizeof mode, err);
    if (status != GN_OK)
        goto fail;
    if (strcmp(mode, "1")) {
        status = gn_err_set(err, GN_ERR_STORE, "store %s: this SQLite cannot enforce foreign keys",
                            q->path);
        goto fail;
    }

    /* ROLLBACK first: migrate needs the transaction statements */
    for (i = 0; i <= ST_ROLLBACK; i++) {
        rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            status = db_error(q, rc, stmt_sql[i], err);
            goto fail;
        }
    }
    if (version < GN_STORE_SCHEMA_VERSION) {
        status = migrate(q, err);
        if (status != GN_OK)
            goto fail;
    }
    for (; i < ST__COUNT; i++) {
        rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            status = db_error(q, rc, stmt_sql[i], err);
            goto fail;
        }
    }
    s->ops = &sqlite_ops;
    s->be = q;
    return GN_OK;

fail:
    sq_free(q);
    return status;
}

/* ---- shared with the other SQLite files (sqlite_internal.h) ------------------ */

gn_status gn__sq_db_error(sq *q, int rc, const char *what, gn_err *err)
{
    return db_error(q, rc, what, err);
}

void gn__sq_stmt_done(sqlite3_stmt *st) { stmt_done(st); }

gn_status gn__sq_run(sq *q, sqlite3_stmt *st, int bind_rc, const char *what, gn_err *err)
{
    return run(q, st, bind_rc, what, err);
}

gn_status gn__sq_step_row(sq *q, sqlite3_stmt *st, int bind_rc, int *row, const char *what,
                          gn_err *err)
{
    return step_row(q, st, bind_rc, row, what, err);
}

int gn__sq_col_text(sqlite3_stmt *st, int i, char **out) { return col_text(st, i, out); }

gn_status gn__sq_row_experiment(sq *q, sqlite3_stmt *st, gn_experiment_rec *out, gn_err *err)
{
    return row_experiment(q, st, out, err);
}

gn_status gn__sq_collect_experiments(sq *q, sqlite3_stmt *st, int bind_rc, gn_experiment_rec **out,
                                     size_t *n, gn_err *err)
{
    void *arr = NULL;
    gn_status status = gn__sq_collect(q, st, bind_rc, sizeof(gn_experiment_rec), row_experiment,
                                      experiments_free, &arr, n, "listing experiments", err);
    if (status == GN_OK)
        *out = arr;
    return status;
}

gn_status gn__sq_begin_write(sq *q, gn_err *err) { return tx_begin_write(q, err); }
gn_status gn__sq_begin_read(sq *q, gn_err *err) { return tx_begin_read(q, err); }
gn_status gn__sq_end(sq *q, gn_status status, gn_err *err) { return tx_end(q, status, err); }

gn_status gn__sq_stmt(sq *q, int slot, const char *sql, sqlite3_stmt **out, gn_err *err)
{
    int rc;

    if (slot < 0 || slot >= GN__SQ_EXT_STMTS)
        return gn_err_set(err, GN_ERR_INTERNAL, "store: statement slot %d out of range", slot);
    if (!q->ext[slot]) {
        rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->ext[slot], NULL);
        if (rc != SQLITE_OK) {
            gn_status st = db_error(q, rc, sql, err);
            sqlite3_finalize(q->ext[slot]);
            q->ext[slot] = NULL;
            return st;
        }
    }
    *out = q->ext[slot];
    return GN_OK;
}

static void sq_set_write_hook(gn_store *s, gn_store_write_hook hook, void *ctx)
{
    sq *q = Q(s);
    q->hook = hook;
    q->hook_ctx = ctx;
    q->hook_store = s;
}

gn_status gn__sq_experiment_state(sq *q, int64_t experiment_id, gn_exp_status *status_out,
                                  char *who, size_t who_size, gn_err *err)
{
    return experiment_state(q, experiment_id, status_out, who, who_size, err);
}
