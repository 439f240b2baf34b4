/*
 * spec/spec.h - campaign specs: reading, validating, and the in-memory form.
 *
 * A spec is YAML or JSON (see docs/spec.md for every field). The reader is
 * strict: unknown keys are errors with the closest valid key suggested,
 * every error names "file:line:column: field: what was expected", and sizes,
 * nesting depth and counts are bounded before use (limits below).
 *
 * The structs are plain data owned by a gn_spec; free the whole with
 * gn_spec_free. Other modules read them directly.
 */
#ifndef GN_SPEC_SPEC_H
#define GN_SPEC_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Limits on input, checked before use. */
#define GN_SPEC_MAX_BYTES (1u << 20)      /* 1 MiB file */
#define GN_SPEC_MAX_DEPTH 16              /* nesting of mappings/sequences */
#define GN_SPEC_MAX_PARAMS 256
#define GN_SPEC_MAX_CHOICES 1024          /* values of one choice parameter */
#define GN_SPEC_MAX_OBJECTIVES 16
#define GN_SPEC_MAX_OUTCOME_CONSTRAINTS 64
#define GN_SPEC_MAX_CONSTRAINTS 256       /* linear parameter constraints */
#define GN_SPEC_MAX_ARGS 256              /* runner command words */
#define GN_SPEC_MAX_STRING 4096           /* any one string value */
#define GN_SPEC_MAX_NAME 64               /* names: campaign, params, outcomes */
#define GN_SPEC_MAX_EXPERIMENTS 10000000L /* budget.experiments */
#define GN_SPEC_MAX_PARALLEL 4096         /* budget.parallel, executor.slots_per_rank */

typedef enum { GN_PARAM_REAL = 0, GN_PARAM_INT = 1, GN_PARAM_CHOICE = 2 } gn_param_type;

typedef struct gn_param {
    char *name;
    gn_param_type type;
    double low, high;  /* real and int (inclusive bounds; ints hold whole numbers) */
    int log_scale;     /* scale: log (requires low > 0) */
    char *unit;        /* NULL if not given */
    char **choices;    /* choice: the values as text, n_choices of them */
    size_t n_choices;
} gn_param;

typedef struct gn_objective {
    char *name;
    int maximize; /* 1 = maximize, 0 = minimize */
} gn_objective;

typedef struct gn_outcome_constraint {
    char *name;
    int has_min, has_max;
    double min, max;
} gn_outcome_constraint;

/* sum_i coef[i] * x[i] <= rhs, over the spec's parameters (coef of choice
 * parameters is always 0). ">=" constraints are stored negated, so every
 * constraint is "<=". `text` is the constraint as written. */
typedef struct gn_linear_constraint {
    char *text;
    double *coef; /* n_params entries */
    double rhs;
} gn_linear_constraint;

/* LOOKUP: a built-in in-process runner that answers with the measured
 * values of the matching row of a stored dataset (campaign/lookup.c). */
typedef enum {
    GN_RUNNER_NONE = 0,
    GN_RUNNER_COMMAND = 1,
    GN_RUNNER_LIBRARY = 2,
    GN_RUNNER_LOOKUP = 3
} gn_runner_kind;

typedef struct gn_runner_spec {
    gn_runner_kind kind;      /* NONE: the spec has no runner (manual lab) */
    char **command;           /* COMMAND: argv with {name} placeholders */
    size_t n_command;
    char *library;            /* LIBRARY: path to the .so (relative to the spec's folder) */
    char *function;           /* LIBRARY: symbol name, default "evaluate" */
    char *lookup;             /* LOOKUP: dataset name */
    int64_t lookup_version;   /* LOOKUP: dataset version; 0 = the latest */
    double timeout;           /* seconds; 0 = none (default 0) */
    int retries;              /* extra attempts after a failure (default 0) */
    double kill_grace;        /* seconds between SIGTERM and SIGKILL (default 5) */
} gn_runner_spec;

typedef struct gn_planner_spec {
    char *strategy;  /* "random" | "sobol" | "lhs" | "bo" (default "sobol") */
    long initial;    /* initial design size, for model-based planners (default 0 = planner's choice) */
    uint64_t seed;   /* default: 0 when has_seed is 0 (then the campaign picks one and records it) */
    int has_seed;
    /* strategy bo only (NULL / 0: the planner's default, see docs/bo.md) */
    char *acquisition;  /* "logei" | "lognei" | "ucb" */
    double beta;        /* UCB exploration weight, > 0 */
    char *trust_region; /* "auto" | "on" | "off" */
    char *kernel;       /* "matern52" | "rbf" */
    char *warp;         /* "auto" | "none" | "log" | "power" */
} gn_planner_spec;

typedef struct gn_budget {
    long experiments; /* required, >= 1 */
    long parallel;    /* >= 1; 0 = not given (number of cores) */
} gn_budget;

/* executor.mode for kind slurm */
typedef enum {
    GN_SLURM_AUTO = 0, /* pilot inside an allocation ($SLURM_JOB_ID), else array */
    GN_SLURM_JOBS,     /* one sbatch per attempt */
    GN_SLURM_ARRAY,    /* attempts started together go in one job array */
    GN_SLURM_PILOT     /* srun job steps inside the allocation genesis runs in */
} gn_slurm_mode;

/* executor.launch for mode pilot: how attempts become job steps */
typedef enum {
    GN_SLURM_LAUNCH_WORKERS = 0, /* long-lived worker steps, attempts sent to them (default) */
    GN_SLURM_LAUNCH_STEPS        /* one srun step per attempt */
} gn_slurm_launch;

#define GN_SPEC_MAX_SLURM_ARGS 64 /* executor.extra_args, step_args, setup */

typedef struct gn_executor_spec {
    char *kind;          /* "local" (default) | "mpi" | "slurm" */
    long slots_per_rank; /* mpi: attempts each worker rank runs at once (default 1) */
    /* kind slurm (docs/slurm.md); strings NULL when not given */
    gn_slurm_mode mode;
    gn_slurm_launch launch; /* pilot mode: workers (default) or steps */
    char *partition, *account, *qos, *time, *mem, *gres, *constraint, *job_name;
    long nodes, ntasks, cpus_per_task; /* 0: not given */
    long array_max;       /* array mode: at most this many elements of one array run at once (%N); 0: no limit */
    char **extra_args;    /* more sbatch options, verbatim */
    size_t n_extra_args;
    char **step_args;     /* more srun options for pilot steps */
    size_t n_step_args;
    char **setup;         /* shell lines run in the job before the runner (module load ...) */
    size_t n_setup;
    double poll;          /* seconds between squeue polls (default 2) */
    int cancel_on_stop;   /* scancel our jobs when genesis stops (default 1) */
} gn_executor_spec;

typedef struct gn_spec {
    char *name;          /* [A-Za-z0-9_.-]{1,64}, starting with a letter or digit */
    char *description;   /* NULL if not given */
    char *source;        /* file name the spec came from (for messages) */
    char *base_dir;      /* folder of the spec file; relative paths resolve here */
    char *text;          /* the spec verbatim, as read */
    size_t text_len;
    int is_json;
    gn_param *params;
    size_t n_params;
    gn_linear_constraint *constraints;
    size_t n_constraints;
    gn_objective *objectives;
    size_t n_objectives;
    gn_outcome_constraint *outcome_constraints;
    size_t n_outcome_constraints;
    gn_runner_spec runner;
    gn_planner_spec planner;
    gn_budget budget;
    gn_executor_spec executor;
    /* A finite pool of candidate points: path of a CSV file whose header
     * names the parameters (resolved against base_dir), or NULL. Only
     * strategy bo chooses from a pool. */
    char *candidates;
    /* Or the rows of a stored dataset (`candidates: {dataset, version}`):
     * name, and version (0 = the latest). NULL when not given. */
    char *candidates_dataset;
    int64_t candidates_version;
    /* `prior:` a stored dataset whose rows are told to the planner before
     * the first ask (NULL: none). prior_map[i] / prior_col[i]: the spec
     * name (parameter or outcome) read from dataset column prior_col[i];
     * names not listed read the column of the same name. */
    char *prior_dataset;
    int64_t prior_version;
    char **prior_names;
    char **prior_cols;
    size_t n_prior_map;
} gn_spec;

/* Reads and validates the spec file at `path`. On success *out is a new
 * spec (free with gn_spec_free). On failure *out is NULL and err says
 * "path:line:col: field: message" (GN_ERR_SPEC, GN_ERR_IO, GN_ERR_LIMIT or
 * GN_ERR_NOMEM). */
gn_status gn_spec_load(const char *path, gn_spec **out, gn_err *err);

/* As gn_spec_load, from memory. `source` names the text in messages and
 * `base_dir` resolves relative paths (either may be NULL: "<spec>", "."). The
 * format is JSON when the first non-blank byte is '{', YAML otherwise. The
 * text need not be NUL-terminated; it is copied. */
gn_status gn_spec_parse(const char *text, size_t len, const char *source,
                        const char *base_dir, gn_spec **out, gn_err *err);

void gn_spec_free(gn_spec *spec);

/* Index of the parameter / objective / outcome constraint called `name`,
 * or -1. */
int gn_spec_param_index(const gn_spec *spec, const char *name);
int gn_spec_objective_index(const gn_spec *spec, const char *name);
int gn_spec_outcome_constraint_index(const gn_spec *spec, const char *name);

#endif
