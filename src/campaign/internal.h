/*
 * campaign/internal.h - what the campaign files share (not API).
 *
 * A gn_campaign is a campaign record from the store, its parsed spec, the
 * search space and the planner, plus an in-memory mirror of the
 * experiments that the planner has been told about.
 */
#ifndef GN_CAMPAIGN_INTERNAL_H
#define GN_CAMPAIGN_INTERNAL_H

#include <signal.h>

#include "core/err.h"
#include "genesis/campaign.h"
#include "genesis/runner.h"
#include "plan/planner.h"
#include "plan/space.h"
#include "spec/spec.h"
#include "store/store.h"

struct gn_db {
    gn_store *store;
    char *path;
    gn_err err;
};

typedef struct gn__lookup gn__lookup;

struct gn_campaign {
    gn_db *db;              /* borrowed */
    gn_campaign_rec rec;
    gn_spec *spec;
    gn_space space;
    gn_planner *planner;
    gn_err err;
    /* numbers (1-based) of finished experiments already told to the
     * planner: told[number] != 0; n_told_cap entries. */
    unsigned char *told;
    size_t told_cap;
    /* every experiment numbered 1..told_through is finished and told (a
     * suggestion reads only the finished ones above: service.c) */
    int64_t told_through;
    /* numbers handed out by gn_campaign_ask on this handle and not told */
    int64_t *handed;
    size_t n_handed, handed_cap;
    volatile sig_atomic_t stop_requests;
    gn__lookup *lookup;     /* runner: {lookup: ...}, or NULL */
    size_t n_prior;         /* rows of `prior:` told to the planner */
    /* the datasets this campaign read (candidates, runner.lookup, prior),
     * as loaded when it was opened: for provenance in reports */
    struct gn__used_dataset {
        char role[16];
        char name[GN_SPEC_MAX_NAME + 1];
        int64_t version;
        int64_t rows;
        char hash[65];
    } used[3];
    size_t n_used;
};

/* Who a campaign created by the service belongs to (borrowed strings;
 * NULL project: "default", NULL classification: "internal"). */
typedef struct gn__owned {
    const char *project;
    const char *classification;
    const char *owner;
} gn__owned;

/* Creates the campaign of a parsed spec (taking ownership of spec in every
 * case). owned NULL: an existing campaign with the very same spec is
 * reopened (gn_campaign_create); otherwise an existing name is always
 * GN_ERR_EXISTS and the new record carries owned's fields. Errors go to
 * db->err. */
gn_status gn__campaign_create_spec(gn_db *db, gn_spec *spec, const char *abs_path,
                                   const gn__owned *owned, gn_campaign **out);

/* Parses an experiment's JSON params into x (space dim values). */
gn_status gn__campaign_point(gn_campaign *c, const gn_experiment_rec *e, double *x, gn_err *err);

/* Reads objective (y) and outcome-constraint (cv) values from an outcome
 * JSON object. Returns GN_ERR_OUTCOME naming the first missing or
 * non-finite one. y/cv may be NULL. */
gn_status gn__campaign_outcome_values(const gn_campaign *c, const char *outcome_json, double *y,
                                      double *cv, gn_err *err);

/* Tells the planner every finished experiment of `exps` it has not been
 * told yet, in the order of exps (any order; number order when read from
 * the store). */
gn_status gn__campaign_tell_new(gn_campaign *c, const gn_experiment_rec *exps, size_t n, gn_err *err);

/* gn__campaign_tell_new with what the caller already knows: xk[i] (when
 * xk and xk[i] are not NULL) is the point of exps[i], parsed from its
 * params before; yk[i] and cvk[i] (when yk and yk[i] are not NULL) are the
 * objective and outcome-constraint values of a completed exps[i], as
 * gn__campaign_outcome_values gave them (cvk[i] may be NULL without
 * outcome constraints). What is not given is read from exps[i]. */
gn_status gn__campaign_tell_known(gn_campaign *c, const gn_experiment_rec *exps,
                                  const double *const *xk, const double *const *yk,
                                  const double *const *cvk, size_t n, gn_err *err);

/* Proposes n new experiments from the planner and records them (one
 * transaction). pending: n_pending points (dim values each) proposed or
 * running; n_issued: the highest experiment number so far. The new records
 * are returned in *out (caller frees with gn_experiment_rec_array_free). */
gn_status gn__campaign_propose(gn_campaign *c, const double *pending, size_t n_pending, long n_issued,
                               size_t n, gn_experiment_rec **out, gn_err *err);

/* The first half of gn__campaign_propose: asks the planner for n points
 * and returns them as records (params, prediction, origin) WITHOUT storing
 * them (the service stores them with their leases, store_lease.h). */
gn_status gn__campaign_plan(gn_campaign *c, const double *pending, size_t n_pending, long n_issued,
                            size_t n, gn_experiment_rec **out, gn_err *err);

/* Records a finished manual attempt of experiment `number`: COMPLETED with
 * outcome (checked by the caller) or FAILED with reason, in one store
 * transaction (gn_store_attempts_finish; the write hook runs in it). The
 * experiment must be PROPOSED, or RUNNING when allow_running (the service:
 * a measured result is never thrown away). Errors go to c->err. */
gn_status gn__campaign_tell_record(gn_campaign *c, int64_t number, gn_exp_status exp_status,
                                   const char *outcome, const char *reason, int allow_running);

/* The JSON object {"name": value, ...} of n named finite values (compact,
 * 17 digits); *text is from jansson: release it with free(). GN_ERR_OUTCOME
 * for an empty name or a value that is not finite. */
gn_status gn__campaign_values_json(size_t n, const char *const *names, const double *values,
                                   char **text, gn_err *err);

/* 1 if the completed experiment's outcome satisfies every outcome
 * constraint; the objective values go to y (may be NULL). 0 otherwise or
 * when the outcome cannot be read. */
int gn__campaign_feasible_outcome(const gn_campaign *c, const char *outcome_json, double *y);

/* Reads the spec's candidates file (when it has one) and hands the points
 * to the planner as its search space. Errors name file, row and column. */
gn_status gn__campaign_load_candidates(gn_campaign *c, gn_err *err);

/* Reads cell `text` of parameter p into *v (choice: the index of the
 * value), or explains why not, naming `where` (a file or a dataset), the
 * row and the column `colname`. */
gn_status gn__campaign_read_cell(const gn_param *p, const char *text, const char *where,
                                 long long row, const char *colname, gn_err *err, double *v);

/* Hands points X (n x dim, may hold repeats: they are merged, which
 * reorders X) to the planner as its candidate pool, after checking the
 * budget against their number; `where` names their origin in messages. */
gn_status gn__campaign_set_pool(gn_campaign *c, double *X, size_t n, const char *where,
                                gn_err *err);

/* Drops repeated points of X (n points of d values; the first of each
 * stays, in order); returns how many remain, (size_t)-1 when out of
 * memory. */
size_t gn__campaign_points_unique(double *X, size_t n, size_t d);

/* campaign/dataset.c: the spec's `candidates: {dataset: ...}` pool (from
 * c->db's store), the lookup runner's table (c->lookup, with the
 * objectives checked against its columns) and the `prior:` rows told to
 * the planner (c->n_prior). Each is a no-op when the spec has none. */
gn_status gn__campaign_load_dataset_pool(gn_campaign *c, gn_err *err);
gn_status gn__campaign_load_lookup(gn_campaign *c, gn_err *err);
gn_status gn__campaign_load_prior(gn_campaign *c, gn_err *err);
void gn__lookup_free(gn__lookup *l);
/* The lookup runner (an exec builtin): ctx is a gn__lookup. Thread-safe:
 * it only reads the table. */
int gn__lookup_run(void *ctx, const gn_runner_input *in, gn_runner_output *out);

/* The default run folder for the campaign: "<db path>.runs/<name>" (new
 * string, or NULL when out of memory). */
char *gn__campaign_default_workdir(const gn_campaign *c);

#endif
