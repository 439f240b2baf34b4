/*
 * genesis/campaign.h - campaigns: create, ask, tell, run, report.
 *
 * This is the whole embedding API. A simulation code (C, C++, or Fortran
 * through bind(C)) drives the loop itself:
 *
 *     gn_db *db; gn_campaign *c;
 *     gn_db_open("results.db", &db);                 // NULL: $GENESIS_DB or ./genesis.db
 *     gn_campaign_create(db, "spec.yaml", &c);        // or gn_campaign_open(db, "name", &c)
 *     while (!gn_campaign_done(c)) {
 *         int64_t id; double x[NPARAMS]; size_t got;
 *         gn_campaign_ask(c, 1, &id, x, NULL, NULL, &got);
 *         double y = simulate(x);
 *         const char *names[] = {"yield"};
 *         gn_campaign_tell(c, id, 1, names, &y);
 *     }
 *     gn_campaign_close(c); gn_db_close(db);
 *
 * or lets Genesis run it with gn_campaign_run (the spec's runner and
 * executor). Every outcome is committed to the store before a call returns,
 * so a program killed at any instant loses nothing it was told.
 *
 * Handles are opaque and not thread-safe: use one handle from one thread at
 * a time (several processes may share one database file).
 *
 * Points: a point x has gn_campaign_param_count() values in spec order: the
 * value of a real or int parameter, or the 0-based index of a choice
 * parameter's value (gn_campaign_choice_label gives its text).
 *
 * Experiments are named by their number within the campaign (1, 2, ...).
 */
#ifndef GENESIS_CAMPAIGN_H
#define GENESIS_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gn_db gn_db;
typedef struct gn_campaign gn_campaign;

/* ---- the database --------------------------------------------------- */

/* Opens (creating if needed) the database at `path`; NULL means $GENESIS_DB,
 * or ./genesis.db when that is unset. Like sqlite3_open, *out is set even
 * on failure (unless memory ran out, then NULL) so gn_db_errmsg can say why;
 * close it with gn_db_close either way. */
GN_API gn_status gn_db_open(const char *path, gn_db **out);
GN_API void gn_db_close(gn_db *db); /* NULL is a no-op; close campaigns first */
/* The message of the last failed call on db (or of a campaign create/open
 * on it). Never NULL; valid until the next call on db. */
GN_API const char *gn_db_errmsg(const gn_db *db);
/* The path of the database file. */
GN_API const char *gn_db_path(const gn_db *db);
/* All campaigns as a JSON array of summaries (name, state, budget,
 * counts, project, classification, owner, created, updated). *json is
 * new; free with gn_string_free. */
GN_API gn_status gn_db_campaigns_json(gn_db *db, char **json);

/* Frees a string returned by this API. NULL is a no-op. */
GN_API void gn_string_free(char *s);

/* ---- opening campaigns ---------------------------------------------- */

/* Reads the spec file at spec_path and creates its campaign in db. If a
 * campaign of that name exists with the very same spec text, it is opened
 * instead (so rerunning a spec continues it); with a different spec, the
 * call fails with GN_ERR_EXISTS. On failure *out is NULL and gn_db_errmsg
 * says why (spec errors name file:line:column). */
GN_API gn_status gn_campaign_create(gn_db *db, const char *spec_path, gn_campaign **out);
/* As gn_campaign_create, from spec text in memory (YAML or JSON). */
GN_API gn_status gn_campaign_create_from_text(gn_db *db, const char *text, size_t len,
                                              gn_campaign **out);
/* Opens an existing campaign by name; GN_ERR_NOT_FOUND if there is none. */
GN_API gn_status gn_campaign_open(gn_db *db, const char *name, gn_campaign **out);
GN_API void gn_campaign_close(gn_campaign *c); /* NULL is a no-op */
/* The message of the last failed call on c. Never NULL. */
GN_API const char *gn_campaign_errmsg(const gn_campaign *c);

/* ---- what the campaign looks like ------------------------------------ */

GN_API const char *gn_campaign_name(const gn_campaign *c);
GN_API size_t gn_campaign_param_count(const gn_campaign *c);
GN_API const char *gn_campaign_param_name(const gn_campaign *c, size_t i); /* NULL if out of range */
/* Number of values of choice parameter i; 0 if it is not a choice. */
GN_API size_t gn_campaign_choice_count(const gn_campaign *c, size_t i);
GN_API const char *gn_campaign_choice_label(const gn_campaign *c, size_t i, size_t k);
GN_API size_t gn_campaign_objective_count(const gn_campaign *c);
GN_API const char *gn_campaign_objective_name(const gn_campaign *c, size_t j);
/* 1 if objective j is maximised, 0 if minimised. */
GN_API int gn_campaign_objective_maximize(const gn_campaign *c, size_t j);
/* Budget (experiments) and how many experiments have finished (completed
 * or failed). */
GN_API long gn_campaign_budget(const gn_campaign *c);
GN_API gn_status gn_campaign_finished_count(gn_campaign *c, long *finished);
/* 1 when completed + failed experiments have reached the budget. */
GN_API int gn_campaign_done(gn_campaign *c);

/* ---- ask and tell ----------------------------------------------------- */

/* Proposes up to n new experiments and records them (status "proposed")
 * before returning. Experiments proposed earlier and never run (e.g. left
 * by a crash) are returned first. Fills numbers[k] and x[k*P .. k*P+P-1]
 * (P = param count); mean/sd (n*objective_count each) receive the
 * planner's prediction, NaN where it has none; they may be NULL. *n_out is
 * how many were proposed: fewer than n when the budget does not allow more
 * (0 when the campaign is done: GN_OK all the same). */
GN_API gn_status gn_campaign_ask(gn_campaign *c, size_t n, int64_t *numbers, double *x,
                                 double *mean, double *sd, size_t *n_out);

/* As gn_campaign_ask, but always proposes new experiments, never returning
 * earlier unrun ones (`genesis suggest` uses this). */
GN_API gn_status gn_campaign_ask_new(gn_campaign *c, size_t n, int64_t *numbers, double *x,
                                     double *mean, double *sd, size_t *n_out);

/* Records the outcome of experiment `number`: n named values (every
 * objective must be present; outcome constraints and extra metrics may be
 * added). Committed durably before return. GN_ERR_STATE if the experiment
 * already has an outcome; GN_ERR_OUTCOME if an objective is missing or a
 * value is not finite (nothing is recorded then). */
GN_API gn_status gn_campaign_tell(gn_campaign *c, int64_t number, size_t n,
                                  const char *const *names, const double *values);
/* Records that experiment `number` failed, with a reason. */
GN_API gn_status gn_campaign_tell_failure(gn_campaign *c, int64_t number, const char *reason);

/* The best completed experiment on the first objective that satisfies
 * every outcome constraint: its number, point (P values) and objective
 * values (objective_count values). Any output may be NULL.
 * GN_ERR_NOT_FOUND when there is none yet. */
GN_API gn_status gn_campaign_best(gn_campaign *c, int64_t *number, double *x, double *y);

/* ---- running with the spec's runner and executor ------------------------ */

typedef struct gn_progress {
    long finished;       /* completed + failed experiments */
    long budget;
    long running;
    long completed;
    long failed;         /* failed experiments (retries exhausted) */
    long failed_attempts;
    int has_best;
    double best;         /* best value of the first objective so far */
    const char *objective;
    double rate;         /* experiments finished per second in this run */
    double eta;          /* seconds to the budget at that rate; <0 unknown */
} gn_progress;

typedef struct gn_run_options {
    /* Called after every change (an experiment started or finished) and at
     * most every `progress_interval` seconds otherwise. May be NULL. */
    void (*on_progress)(const gn_progress *p, void *ctx);
    /* Called with one human-readable line per event ("experiment 3
     * completed: yield=0.82 in 1.2 s"). May be NULL. */
    void (*on_event)(const char *line, void *ctx);
    void *ctx;
    double progress_interval; /* default 0.5 s when 0 */
    /* After a stop request: how long running experiments may go on before
     * they are stopped. Default 10 s when 0; negative: stop at once. */
    double grace;
    /* Where attempts run: <work_dir>/<number>/<attempt>/. Default:
     * "<database file>.runs/<campaign>" when NULL. */
    const char *work_dir;
    /* Executors whose experiments are batch jobs (slurm): when the run
     * stops, leave the jobs running instead of cancelling them; `genesis
     * resume` re-attaches to them (docs/slurm.md). */
    int leave_jobs;
} gn_run_options;

/* Runs the campaign to its budget with the spec's runner and executor,
 * resuming where it stands: experiments left running by a process that
 * died are rerun (their leftover processes killed), proposed ones run first.
 * Returns GN_OK when the budget is reached, GN_ERR_INTERRUPTED after
 * gn_campaign_request_stop (the campaign stays resumable), other codes on
 * errors. opts may be NULL. */
GN_API gn_status gn_campaign_run(gn_campaign *c, const gn_run_options *opts);

/* Asks a running gn_campaign_run to stop: the first request stops new
 * proposals and lets running experiments finish within the grace period;
 * a second one stops them at once. Async-signal-safe: call it from a
 * SIGINT handler. */
GN_API void gn_campaign_request_stop(gn_campaign *c);

/* ---- reading results ------------------------------------------------- */

/* Writes the campaign and its experiments to `out`:
 *   "json": {"campaign": {...}, "experiments": [{"id", "status",
 *           "parameters": {...}, "outcome": {...}, "prediction": {...},
 *           "attempts", "origin", "created", "updated"}, ...]}
 *   "csv":  one row per experiment: id, status, one column per parameter,
 *           one per outcome name seen, pred_<objective>_mean/_sd, attempts.
 * GN_ERR_INVALID for another format. */
GN_API gn_status gn_campaign_export(gn_campaign *c, const char *format, FILE *out);
/* The campaign summary as JSON text (name, state, budget, counts, best,
 * project, classification, owner, spec, and "prior": how many rows of the spec's `prior:` dataset were
 * told to the planner, 0 without one); free with gn_string_free. */
GN_API gn_status gn_campaign_summary_json(gn_campaign *c, char **json);
/* One experiment as JSON (as in the export, plus its attempts with exit
 * status, timings, host and output tails); free with gn_string_free.
 * Experiments in exports and here also carry "lease": {"user", "deadline"}
 * while a service client holds them and "partial": {...} once partial
 * results were told (docs/api.md). */
GN_API gn_status gn_campaign_experiment_json(gn_campaign *c, int64_t number, char **json);

#ifdef __cplusplus
}
#endif
#endif
