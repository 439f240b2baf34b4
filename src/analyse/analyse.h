/*
 * analyse/analyse.h - the analyst: what a campaign taught us (not API).
 *
 * gn__analysis_run reads every experiment of a campaign and computes, per
 * objective:
 *
 *  - parameter importance: 1/lengthscale of a GP's ARD kernel, and first-
 *    order and total Sobol' indices of the GP posterior mean (Saltelli /
 *    Jansen estimators on a quasi-random design, bootstrap standard errors);
 *  - calibration of the stored predictions (coverage, standardised errors);
 *  - convergence (best so far, expected best of random search from the same
 *    values) and a stopping suggestion from expected improvement;
 *  - 1-D partial dependence of the GP for the most important parameters;
 *
 * and, for the campaign: outcome-constraint feasibility, failed
 * experiments with their reasons, and provenance. The public entry points
 * (genesis/analyse.h) turn the result into JSON, HTML or Markdown.
 * docs/analyse.md defines every number.
 *
 * GP inputs use the encoding of the bo planner: a real in [0,1] (log-scale
 * reals in log space), an int on the same scale with its whole values as
 * grid points, a choice one-hot over its values.
 */
#ifndef GN_ANALYSE_ANALYSE_H
#define GN_ANALYSE_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

#include "campaign/internal.h"
#include "model/gp.h"

#define GN_ANALYSE_MIN_GP 3          /* completed experiments needed for the model-based parts */
#define GN_ANALYSE_MAX_GP 2000       /* at most this many experiments train the GP */
#define GN_ANALYSE_SOBOL_EVALS 40000 /* budget of surrogate evaluations for the Sobol' design */
#define GN_ANALYSE_SOBOL_MIN 256     /* base samples N: a power of two in [MIN, MAX] */
#define GN_ANALYSE_SOBOL_MAX 4096
#define GN_ANALYSE_BOOT 200          /* bootstrap resamples of the Sobol' estimates */
#define GN_ANALYSE_PD_TOP 3          /* partial-dependence plots: the most important parameters */
#define GN_ANALYSE_PD_GRID 61        /* points of a partial-dependence curve of a real */
#define GN_ANALYSE_EI_SAMPLES 4096   /* random points over which EI is maximised */
#define GN_ANALYSE_EI_LOCAL 512      /* and perturbations of the best point */
#define GN_ANALYSE_STOP_REL 0.01     /* stop when max EI < 1% of the observed range */
#define GN_ANALYSE_HIST_BINS 16      /* z histogram: [-4, 4) in steps of 0.5, tails in the end bins */
#define GN_ANALYSE_BEST_ROWS 10      /* rows of the best-experiments table */
#define GN_ANALYSE_MAX_REASONS 4     /* distinct failure reasons kept per experiment */

/* ---- the experiments, as the analyst sees them ----------------------------------- */

typedef struct gn__adata {
    size_t n, dim, m, q;     /* experiments, parameters, objectives, outcome constraints */
    int64_t *number;         /* n */
    gn_exp_status *status;   /* n */
    int *attempts;           /* n */
    unsigned char *has_x;    /* n: the parameters parsed */
    double *x;               /* n*dim points (0 where !has_x) */
    double *y;               /* n*m objective values, NaN where missing */
    double *cv;              /* n*q outcome-constraint values, NaN where missing */
    unsigned char *complete; /* n: completed with every objective */
    unsigned char *feasible; /* n: complete and every outcome constraint met */
    double *pmean, *psd;     /* n*m the stored predictions, NaN where none */
    char **reasons;          /* n: failed/abandoned: "reason; reason" (new strings), else NULL */
    char **hosts;            /* distinct hosts of all attempts */
    long *host_attempts;
    size_t n_hosts;
    long n_attempts;
} gn__adata;

/* Fills d with campaign c's experiments from the store (caller storage;
 * release with gn__adata_destroy, also after a failure). */
gn_status gn__adata_read(gn_campaign *c, gn__adata *d, gn_err *err);
void gn__adata_destroy(gn__adata *d);

/* ---- Sobol' indices ---------------------------------------------------------------- */

/* Evaluates a function at m unit points u (m*dim row-major, each in
 * [0,1)) into out (m values). */
typedef gn_status (*gn__analyse_fn)(void *ctx, const double *u, size_t m, double *out, gn_err *err);

typedef struct gn__sobol {
    size_t dim, N;                     /* parameters, base samples */
    double variance;                   /* of f over the design (A and B) */
    double *s1, *s1_se, *st, *st_se;   /* dim each */
} gn__sobol;

/* Estimates first-order (Saltelli 2010) and total (Jansen 1999) Sobol'
 * indices of f over the unit cube [0,1)^dim with N base samples (N >= 2)
 * from a quasi-random sequence of dimension 2*dim (GSL Sobol' when 2*dim
 * <= 40, Halton up to 1229; GN_ERR_LIMIT beyond), with f evaluated at
 * N*(dim+2) points. Standard errors are from GN_ANALYSE_BOOT bootstrap
 * resamples of the N rows (seeded by `seed`): Monte-Carlo error only. A
 * constant f gives indices 0. out is caller storage; free its arrays with
 * gn__sobol_destroy (also after a failure). */
gn_status gn__sobol_indices(gn__analyse_fn f, void *ctx, size_t dim, size_t N, uint64_t seed, gn__sobol *out,
                            gn_err *err);
void gn__sobol_destroy(gn__sobol *s);

/* ---- statistics of the stored data --------------------------------------------------- */

typedef struct gn__calib {
    size_t n;                /* completed with a prediction (finite mean, sd > 0) */
    size_t n_excluded;       /* completed without one (initial design, manual) */
    double cover68, cover95; /* fractions with |z| <= 1, |z| <= 1.96 (NaN when n == 0) */
    double lo68, hi68, lo95, hi95; /* the central 95% binomial range of each for a calibrated model */
    double z_mean, z_sd;     /* of z = (y - mean) / sd */
    double mae, rmse;        /* of y - mean */
    long hist[GN_ANALYSE_HIST_BINS];
    const char *verdict;     /* "calibrated", "overconfident", "underconfident", "biased", "no predictions" */
} gn__calib;

/* Calibration of n predictions (mean, sd) against outcomes y; entries with
 * a non-finite mean or y, or sd <= 0, are skipped and counted in
 * n_excluded. */
void gn__calibration(const double *y, const double *mean, const double *sd, size_t n, gn__calib *out);

/* Expected best of k draws without replacement from a population of N
 * experiments, n of which have values v (the others, failed or
 * infeasible, rank below all of them), given that at least one draw has a
 * value; larger is better. v is sorted ascending in place. NaN when k == 0,
 * n == 0 or k > N. Exact: P(best = v_(j)) = C(j-1+N-n, k-1) / C(N, k). */
double gn__random_search_expect(double *v, size_t n, size_t N, size_t k);

/* ---- the analysis ------------------------------------------------------------------- */

typedef struct gn__pd {
    size_t param;            /* parameter index */
    size_t len;
    double *x;               /* parameter values (choice: index) */
    double *mean, *sd;       /* GP posterior mean and sd of f */
} gn__pd;

typedef struct gn__objective_analysis {
    /* best */
    int has_best;
    size_t best_row;         /* row in gn__adata of the best feasible experiment */
    double range;            /* max - min of the feasible values (0 when < 2) */
    /* convergence, over finished experiments (completed or failed) in number order */
    size_t n_conv;
    size_t *conv_row;        /* n_conv: data rows */
    double *best_so_far;     /* n_conv, NaN before the first feasible value */
    double *random_expect;   /* n_conv */
    /* calibration */
    gn__calib calib;
    /* model-based parts (model_ok: the GP was fitted) */
    int model_ok;
    char model_note[256];    /* why not, when !model_ok */
    size_t n_train;
    double noise, outputscale;
    double *lengthscale;     /* dim: per parameter (choices: see ard_raw) */
    double *ard;             /* dim: normalised importance from the lengthscales (sums to 1) */
    gn__sobol sobol;
    int sobol_ok;
    size_t *rank;            /* dim: parameters by importance (total index, else ARD), descending */
    gn__pd pd[GN_ANALYSE_PD_TOP];
    size_t n_pd;
    size_t pd_row;           /* data row whose point the other parameters are held at */
    /* stopping */
    int has_ei;
    double ei, ei_rel;
    double *ei_x;            /* dim: where EI is largest */
    int stop;
} gn__objective_analysis;

typedef struct gn__analysis {
    gn_campaign *c;          /* borrowed */
    gn__adata data;
    gn__objective_analysis *obj; /* data.m */
    gn_campaign_counts counts;
    /* feasibility, over completed experiments */
    long n_complete, n_feasible, n_incomplete_outcome;
    long *oc_ok, *oc_bad, *oc_missing; /* q each */
    double seconds;          /* time the analysis took */
    char *db_path;           /* the database file, absolute when it can be resolved */
} gn__analysis;

/* Reads campaign c and analyses it. out is caller storage; release it
 * with gn__analysis_destroy (also after a failure). */
gn_status gn__analysis_run(gn_campaign *c, gn__analysis *out, gn_err *err);
void gn__analysis_destroy(gn__analysis *a);

/* Fits the GP of objective j and fills the model-based fields of
 * a->obj[j] (needs a->data, and best_row/has_best/range of a->obj[j]).
 * Too little data is not an error: model_ok stays 0 and model_note says
 * why. */
gn_status gn__analyse_model(gn__analysis *a, size_t j, gn_err *err);

/* The analysis as a JSON object text (new string, gn_free). */
gn_status gn__analysis_json(const gn__analysis *a, char **out, gn_err *err);

/* Text of a parameter value of experiment row or point x ("350", "Pd",
 * "1.5e-06") into buf. */
void gn__analyse_value_text(const gn_campaign *c, size_t param, double v, char *buf, size_t size);

/* Parameter encoding of the GP (the bo planner's): columns per parameter
 * (1, or n_choices for a choice); D is their sum. */
size_t gn__analyse_encoded_dim(const gn_spec *spec);
void gn__analyse_encode(const gn_spec *spec, const double *x, double *u);

/* Rows of feasible experiments, best first on objective j (n rows into
 * rows; returns how many). 0 also when out of memory. */
size_t gn__analyse_best_rows(const gn__analysis *a, size_t j, size_t *rows, size_t n);

/* Writers of the report (report.c). */
gn_status gn__report_html(const gn__analysis *a, FILE *out, gn_err *err);
gn_status gn__report_md(const gn__analysis *a, FILE *out, gn_err *err);

#endif
