/*
 * store/store.h - where everything is recorded, behind one interface.
 *
 * gn_store is an opaque handle over a back end (SQLite now; PostgreSQL
 * later through the same operations table, see store_impl.h). Rules every
 * back end keeps:
 *
 *  - Durability first: when a write call returns GN_OK, the data is
 *    committed durably (SQLite: WAL + synchronous=FULL). Callers report or
 *    act on a result only after that.
 *  - Each call is one transaction: all of it or none of it.
 *  - A handle is used by one thread at a time (the caller serialises);
 *    threads that work at once open a handle each (the SQLite connection
 *    has no mutex of its own).
 *  - Several processes may use one database at once: a locked database is
 *    waited for (busy timeout, default 30 s) before GN_ERR_BUSY.
 *  - The schema has a version; opening an older database migrates it
 *    forward in one transaction; a newer one is refused (GN_ERR_STORE).
 *
 * Records returned by list/get calls are owned by the caller and freed with
 * the matching *_free function. Strings in records are heap copies.
 * JSON columns are text holding one JSON value (or NULL).
 */
#ifndef GN_STORE_STORE_H
#define GN_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct gn_store gn_store;

#define GN_STORE_SCHEMA_VERSION 3

typedef struct gn_campaign_rec {
    int64_t id;
    char *name;
    char *state;        /* "active" | "paused" | "completed" | "archived" */
    char *spec_text;    /* verbatim */
    char *spec_format;  /* "yaml" | "json" */
    char *spec_path;    /* absolute path of the spec file when known, else NULL */
    uint64_t seed;      /* planner seed actually used */
    long budget;        /* budget.experiments */
    double created, updated; /* epoch seconds */
    char *project;        /* schema 3; NULL on create means "default" */
    char *classification; /* public|internal|controlled|restricted; NULL on create: "internal" */
    char *owner;          /* the user who created it through the service, else NULL */
} gn_campaign_rec;

typedef enum {
    GN_EXP_PROPOSED = 0,
    GN_EXP_RUNNING = 1,
    GN_EXP_COMPLETED = 2,
    GN_EXP_FAILED = 3,
    GN_EXP_ABANDONED = 4
} gn_exp_status;

const char *gn_exp_status_name(gn_exp_status s);        /* "proposed", ...; "unknown" if out of range */
int gn_exp_status_parse(const char *name, gn_exp_status *out); /* 0 ok, -1 unknown */

typedef struct gn_experiment_rec {
    int64_t id;          /* store-wide id */
    int64_t campaign_id;
    int64_t number;      /* 1, 2, ... within the campaign: what users see */
    gn_exp_status status;
    char *params;        /* JSON object {"name": value} */
    char *prediction;    /* JSON {"objective": {"mean": m, "sd": s}} or NULL */
    char *outcome;       /* JSON object of numbers, or NULL */
    char *origin;        /* "planner:<name>" | "manual" | ... */
    int attempts;        /* attempts started so far */
    double created, updated;
    char *reason;        /* why it was abandoned, else NULL (PROPOSED ones: always NULL) */
    /* schema 3: the service's lease (store_lease.h) and partial results */
    int64_t lease_token;   /* API token id holding the lease, 0 none */
    char *lease_user;      /* its user, NULL none */
    double lease_deadline; /* epoch seconds, 0 none */
    char *partial;         /* JSON object of partial results merged so far, or NULL */
} gn_experiment_rec;

typedef enum {
    GN_ATT_RUNNING = 0,
    GN_ATT_SUCCEEDED = 1,
    GN_ATT_FAILED = 2,      /* non-zero exit, bad or missing outcome, ... */
    GN_ATT_TIMEOUT = 3,
    GN_ATT_CANCELLED = 4,   /* stopped by Ctrl-C */
    GN_ATT_INTERRUPTED = 5  /* its genesis process died; found on resume */
} gn_att_status;

const char *gn_att_status_name(gn_att_status s);        /* "running", ...; "unknown" if out of range */
int gn_att_status_parse(const char *name, gn_att_status *out); /* 0 ok, -1 unknown */

typedef struct gn_attempt_rec {
    int64_t id;
    int64_t experiment_id;
    int number;            /* 1, 2, ... within the experiment */
    gn_att_status status;
    char *runner;          /* "command" | "library" | "manual" */
    char *host;
    int64_t pid;           /* process group leader, 0 if in-process */
    int64_t pid_start;     /* process start time (clock ticks since boot), to tell pid reuse */
    char *workdir;
    double started, finished; /* epoch seconds; finished 0 while running */
    int exit_code;         /* -1 when not exited normally */
    int signal;            /* 0 when not killed by a signal */
    char *reason;          /* why it failed, NULL on success */
    char *stdout_tail;     /* last 4 KiB */
    char *stderr_tail;
    char *outcome;         /* JSON object reported by the runner, or NULL */
    /* schema 3: the batch-system job that ran it (docs/slurm.md), else NULL */
    char *job_id;          /* "1234", "1234_7" (array element) */
    char *job_state;       /* the scheduler's last known state: "PENDING", "COMPLETED", ... */
} gn_attempt_rec;

/* failed_attempts counts attempts that ended FAILED or TIMEOUT (the
 * runner's failures; CANCELLED and INTERRUPTED are not counted). */
typedef struct gn_campaign_counts {
    long proposed, running, completed, failed, abandoned;
    long attempts, failed_attempts;
} gn_campaign_counts;

/* Opens (creating if needed) the store at `path`, a SQLite file, and
 * migrates its schema forward. A file that is not a SQLite database, or
 * whose schema is newer than this code, is refused with GN_ERR_STORE and
 * left untouched. *out is NULL on failure. The file must be on a local file
 * system (see docs/store.md). */
gn_status gn_store_open(const char *path, gn_store **out, gn_err *err);
void gn_store_close(gn_store *store); /* NULL is a no-op */
const char *gn_store_path(const gn_store *store);

/* Internal, for tests: how long a locked database is waited for before
 * GN_ERR_BUSY (default 30000 ms). */
void gn__store_set_busy_timeout(gn_store *s, int ms);

/* Creates a campaign; rec->name must be new (GN_ERR_EXISTS otherwise).
 * rec->state NULL means "active"; spec_format is NULL, "yaml" or "json";
 * anything else is GN_ERR_INVALID.
 * id, created and updated are set by the store and written back to rec. */
gn_status gn_store_campaign_create(gn_store *s, gn_campaign_rec *rec, gn_err *err);
/* GN_ERR_NOT_FOUND when there is no campaign of that name. */
gn_status gn_store_campaign_get(gn_store *s, const char *name, gn_campaign_rec *out, gn_err *err);
gn_status gn_store_campaign_list(gn_store *s, gn_campaign_rec **out, size_t *n, gn_err *err);
gn_status gn_store_campaign_set_state(gn_store *s, int64_t campaign_id, const char *state, gn_err *err);
gn_status gn_store_campaign_counts(gn_store *s, int64_t campaign_id, gn_campaign_counts *out, gn_err *err);
void gn_campaign_rec_free(gn_campaign_rec *rec);               /* frees the strings, not rec */
void gn_campaign_rec_array_free(gn_campaign_rec *recs, size_t n);

/* Adds n experiments to a campaign in one transaction, with status
 * PROPOSED. Reads params, prediction, origin from recs; writes back id,
 * campaign_id, number (consecutive, continuing the campaign's numbering),
 * status, attempts (0) and created/updated -- only on success.
 * GN_ERR_NOT_FOUND if the campaign does not exist; GN_ERR_INVALID if a JSON
 * column does not hold valid JSON. */
gn_status gn_store_experiments_add(gn_store *s, int64_t campaign_id, gn_experiment_rec *recs,
                                   size_t n, gn_err *err);
/* Experiments of a campaign in number order. If `status` is non-NULL only
 * those whose status is *status. */
gn_status gn_store_experiment_list(gn_store *s, int64_t campaign_id, const gn_exp_status *status,
                                   gn_experiment_rec **out, size_t *n, gn_err *err);
gn_status gn_store_experiment_get(gn_store *s, int64_t campaign_id, int64_t number,
                                  gn_experiment_rec *out, gn_err *err);
void gn_experiment_rec_free(gn_experiment_rec *rec);
void gn_experiment_rec_array_free(gn_experiment_rec *recs, size_t n);

/* Records that attempt a->number of experiment a->experiment_id started:
 * inserts the attempt (status RUNNING), sets the experiment RUNNING and its
 * attempt count. Fails with GN_ERR_STATE unless the experiment is PROPOSED
 * (GN_ERR_NOT_FOUND if there is none; GN_ERR_EXISTS if that attempt number
 * is taken). a->number <= 0 means "the next number"; a->started 0 means
 * now. Writes back a->id, number, started and status (RUNNING). */
gn_status gn_store_attempt_start(gn_store *s, gn_attempt_rec *a, gn_err *err);

/* What becomes of an experiment when one of its attempts finishes. */
typedef struct gn_attempt_finish {
    gn_attempt_rec *attempt;       /* the finished attempt (id from attempt_start, or 0
                                      to insert it now, e.g. a manual observation) */
    gn_exp_status exp_status;      /* COMPLETED, FAILED, or PROPOSED (to be retried) */
    const char *exp_outcome;       /* JSON for the experiment when COMPLETED, else NULL */
} gn_attempt_finish;

/* Finishes n attempts in ONE transaction (so a fast executor can commit a
 * batch durably at once). An experiment already COMPLETED or FAILED is left
 * alone and the call fails with GN_ERR_STATE naming it, writing nothing:
 * an outcome is never recorded twice. Likewise an attempt that is no longer
 * RUNNING (finished, or INTERRUPTED by recovery) is GN_ERR_STATE.
 * Each attempt's status must be a final one (not RUNNING) and exp_status
 * COMPLETED (with exp_outcome), FAILED or PROPOSED, else GN_ERR_INVALID.
 * The attempt's finished time 0 means now. An ABANDONED experiment keeps
 * its status unless the attempt completed it (a measured outcome is never
 * thrown away). On success every attempt gets its id (new for inserted
 * ones), number (chosen when it was <= 0) and finished time written back;
 * on failure nothing is written anywhere. */
gn_status gn_store_attempts_finish(gn_store *s, gn_attempt_finish *f, size_t n, gn_err *err);

/* Records n_starts attempt starts, then n_fin attempt finishes, in ONE
 * transaction: one durable commit for a whole turn of the run loop (the
 * attempts it started and those that ended). Each start is checked and
 * written back as by gn_store_attempt_start, each finish as by
 * gn_store_attempts_finish; a finish may not name an attempt started in
 * the same call. All or nothing: on failure nothing is written anywhere. */
gn_status gn_store_attempts_record(gn_store *s, gn_attempt_rec *starts, size_t n_starts,
                                   gn_attempt_finish *fin, size_t n_fin, gn_err *err);

/* What a batch system says of a running attempt's job (Slurm: PENDING ->
 * RUNNING, the node it got). NULL fields are left as they are. */
typedef struct gn_attempt_job {
    int64_t attempt_id;
    const char *job_id;
    const char *job_state;
    const char *host;
} gn_attempt_job;

/* Updates the job fields of n running attempts in one transaction; an
 * attempt that is no longer running is left alone (its result came first).
 * GN_ERR_INVALID for an attempt id <= 0. */
gn_status gn_store_attempts_job_update(gn_store *s, const gn_attempt_job *u, size_t n, gn_err *err);

/* Attempts of one experiment in number order. */
gn_status gn_store_attempt_list(gn_store *s, int64_t experiment_id, gn_attempt_rec **out,
                                size_t *n, gn_err *err);
void gn_attempt_rec_free(gn_attempt_rec *rec);
void gn_attempt_rec_array_free(gn_attempt_rec *recs, size_t n);

/* Crash recovery, called when a campaign is resumed: every RUNNING attempt
 * of the campaign becomes INTERRUPTED (reason given) and its experiment goes
 * back to PROPOSED, in one transaction. The interrupted attempts are
 * returned (so the caller can kill leftover processes); may be NULL/NULL. */
gn_status gn_store_recover_interrupted(gn_store *s, int64_t campaign_id, const char *reason,
                                       gn_attempt_rec **out, size_t *n, gn_err *err);

/* As gn_store_recover_interrupted, except that RUNNING attempts with a
 * job id or a job state (attempts of batch-system jobs, which outlive the
 * genesis process that submitted them) are left RUNNING, with their
 * experiments RUNNING, so that the executor can re-attach to them. Only the
 * others are interrupted and returned. */
gn_status gn_store_recover_interrupted_keep_jobs(gn_store *s, int64_t campaign_id,
                                                 const char *reason, gn_attempt_rec **out,
                                                 size_t *n, gn_err *err);

/* Marks an experiment ABANDONED (e.g. a person gave up on a suggestion)
 * unless it is COMPLETED or FAILED (GN_ERR_STATE); reason (may be NULL) is
 * kept in the experiment's `reason`. Attempts still running are left to
 * their executor. GN_ERR_NOT_FOUND if there is no such experiment. */
gn_status gn_store_experiment_abandon(gn_store *s, int64_t experiment_id, const char *reason, gn_err *err);

/* Runs the back end's integrity check; GN_OK when the database is sound,
 * GN_ERR_STORE with the first problem otherwise. */
gn_status gn_store_check(gn_store *s, gn_err *err);

/* ---- write hooks -----------------------------------------------------------
 *
 * A write hook runs inside every write transaction of one store handle,
 * just before COMMIT: what it writes commits with the change or not at all.
 * The service sets one to append the audit record of a request to the same
 * transaction as the change the request made (src/serve/audit.c). A hook
 * may call only the store functions documented as usable inside a hook
 * (they add to the open transaction); a status other than GN_OK rolls the
 * whole transaction back and becomes the status of the call. NULL clears. */
typedef gn_status (*gn_store_write_hook)(gn_store *s, void *ctx, gn_err *err);
void gn_store_set_write_hook(gn_store *s, gn_store_write_hook hook, void *ctx);
/* The hook installed now (NULL/NULL when none). Hooks chain by saving and
 * restoring: a layer that needs its own rows in the transaction of ONE
 * call (gn__campaign_tell_req: the tell key, store_lease.h) reads the
 * current hook, installs its own whose ctx remembers the previous one,
 * calls the store function, and puts the previous hook back. Its hook
 * writes its rows and then calls the previous hook (the service's audit
 * record), so both commit with the change or neither does. */
void gn_store_get_write_hook(gn_store *s, gn_store_write_hook *hook, void **ctx);

/* ---- datasets (schema version 2) ------------------------------------------
 *
 * A dataset is an immutable table of prior measurements: a metadata record
 * plus its rows, stored as chunks. The store keeps chunks as opaque bytes
 * (data/dataset.c encodes them); it only knows how many rows each
 * holds. Versions of one name are 1, 2, ...; a version never changes once
 * committed, except for its `archived` flag. */

typedef struct gn_dataset_rec {
    int64_t id;
    char *name;
    int64_t version;        /* 1, 2, ... within the name */
    char *title, *source, *license, *doi; /* may be NULL */
    char *classification;   /* "public" | "internal" | "controlled" | "restricted" */
    char *project;
    char *columns;          /* JSON [{"name": ..., "type": "numeric"|"categorical"}] */
    int64_t n_rows;
    int64_t n_cols;
    char *content_hash;     /* 64 lowercase hex digits (BLAKE2b-256) */
    char *imported_by;
    double imported_at;     /* epoch seconds */
    int archived;
} gn_dataset_rec;

/* 1 when `c` is one of public, internal, controlled, restricted. */
int gn_store_classification_valid(const char *c);

/* Fills one chunk for gn_store_dataset_add: *data and *size (borrowed; valid
 * until the next call) and *n_rows (>= 1); *n_rows 0 means no more chunks.
 * A status other than GN_OK aborts the add (err says why). */
typedef gn_status (*gn_dataset_chunk_source)(void *ctx, const void **data, size_t *size,
                                              int64_t *n_rows, gn_err *err);
/* Receives one chunk from gn_store_dataset_rows (data borrowed for the
 * call). Returning anything but GN_OK stops the iteration with that status. */
typedef gn_status (*gn_dataset_chunk_sink)(void *ctx, int64_t first_row, const void *data,
                                            size_t size, int64_t n_rows, gn_err *err);

/* Adds a new version of dataset rec->name in ONE transaction: the record,
 * then every chunk `next` gives. rec->content_hash and rec->n_rows are read
 * after the last chunk (the source may compute them while streaming), and
 * n_rows must equal the rows of the chunks. When the content hash equals
 * that of the latest version of the name, nothing is written and the call
 * fails with GN_ERR_EXISTS naming that version. Any failure (of the source
 * too) leaves the database as it was. rec->classification NULL means
 * "internal", rec->project NULL "default". On success id, version and
 * imported_at are written back to rec. */
gn_status gn_store_dataset_add(gn_store *s, gn_dataset_rec *rec, gn_dataset_chunk_source next,
                               void *ctx, gn_err *err);
/* Version `version` of dataset `name`; version 0 means the latest one.
 * GN_ERR_NOT_FOUND when there is none. */
gn_status gn_store_dataset_get(gn_store *s, const char *name, int64_t version,
                               gn_dataset_rec *out, gn_err *err);
/* Every version of every dataset, by name then version; archived ones only
 * when include_archived. */
gn_status gn_store_dataset_list(gn_store *s, int include_archived, gn_dataset_rec **out, size_t *n,
                                gn_err *err);
/* Calls sink for each chunk of dataset `dataset_id` in row order, in one
 * read transaction (a consistent snapshot). */
gn_status gn_store_dataset_rows(gn_store *s, int64_t dataset_id, gn_dataset_chunk_sink sink,
                                void *ctx, gn_err *err);
/* Marks every version of `name` archived. GN_ERR_NOT_FOUND if there is no
 * such dataset, GN_ERR_STATE if all its versions are archived already. */
gn_status gn_store_dataset_archive(gn_store *s, const char *name, gn_err *err);
void gn_dataset_rec_free(gn_dataset_rec *rec);
void gn_dataset_rec_array_free(gn_dataset_rec *recs, size_t n);

#endif
