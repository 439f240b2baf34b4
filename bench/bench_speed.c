/*
 * bench/bench_speed.c - how long the bo planner takes to suggest, against
 * the floor that dense linear algebra sets.
 *
 * For each n (default 100, 1000, 10000) observations of a 6-parameter
 * problem (Hartmann-6 on [0,1]^6 plus Gaussian noise of sd 0.01, inputs
 * uniform, fixed seed), in separate child processes so that each has its
 * own peak memory and its own time limit:
 *
 *   phase "bo"    the full suggestion with the bo planner, q = 1: tell n
 *                 observations, then time ask (cold: hyperparameters fitted
 *                 from scratch); then WARM_STEPS times: tell the proposal,
 *                 time ask (warm: the steady state of a campaign, refit +
 *                 acquisition), reporting the median, min and max;
 *   phase "model" the split with the model API, with the GP options the
 *                 planner uses: gn_gp_set_data (one posterior
 *                 factorisation of all n points, with the hyperparameters
 *                 of an untimed fit to 200 of them), gn_gp_predict at
 *                 1000 points with variances, gn_gp_fit of a new model to
 *                 the n points (cold), then gn_gp_fit of the same model to
 *                 n + 1 points (warm-started: the fit of a campaign step).
 *
 * Each child reports peak memory (VmHWM of /proc/self/status) and writes
 * one JSON line per finished measurement; a child past its time limit is
 * killed (SIGALRM) and recorded as such. The floor is a dense Cholesky of
 * the n x n kernel matrix, n^3/3 flops, at the LAPACKE_dpotrf rate measured
 * in this run on a 2000 x 2000 matrix (best of 5 after half a second of
 * warm-up calls), with the same BLAS threads as the rest of the run;
 * "fraction of floor" is floor time / measured time (1 = as fast as one
 * dense Cholesky).
 *
 * Usage: bench_speed [--sizes 100,1000,10000] [--timeout-bo S]
 *                    [--timeout-model S] [--out FILE]
 * Internal: bench_speed --one N --phase bo|model --rate GFLOPS [--out FILE]
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "functions.h"
#include "model/gp.h"
#include "plan/bo.h"
#include "plan/planner.h"
#include "plan/space.h"
#include "spec/spec.h"

#define DIM 6
#define N_PREDICT 1000
#define HYPER_N 200 /* points of the untimed fit that sets the hyperparameters of the posterior timings */
#define MAX_SIZES 8
#define WARM_STEPS 5 /* warm suggestions timed per n; the median is reported */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static double rng_normal(uint64_t *s)
{
    double u = rng_unit(s), v = rng_unit(s);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Peak resident memory of this process in MiB (VmHWM), or -1. */
static double peak_mib(void)
{
    char line[256];
    double kib = -1.0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1.0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) {
            kib = atof(line + 6);
            break;
        }
    fclose(f);
    return kib / 1024.0;
}

/* GFLOP/s of LAPACKE_dpotrf on an n x n SPD matrix (symmetric, uniform
 * off-diagonal entries in [-0.5, 0.5], diagonal n: diagonally dominant):
 * best of `reps` after the warm-up below, counting n^3/3 flops. */
static double potrf_rate(int n, int reps)
{
    double *A = malloc((size_t)n * n * sizeof *A), *W = malloc((size_t)n * n * sizeof *W), best = INFINITY;
    double warm = 0.0;
    uint64_t s = 7;
    size_t i, j;
    if (!A || !W) {
        fprintf(stderr, "bench_speed: out of memory\n");
        exit(2);
    }
    for (j = 0; j < (size_t)n; j++) {
        A[j * n + j] = n;
        for (i = j + 1; i < (size_t)n; i++)
            A[j * n + i] = A[i * n + j] = rng_unit(&s) - 0.5;
    }
    /* warm-up: at least one call and half a second, so that the BLAS
     * threads are up and the clock is steady before timing */
    for (int r = 0; r < reps; r++) {
        double t;
        memcpy(W, A, (size_t)n * n * sizeof *W);
        t = now_s();
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, W, n) != 0) {
            fprintf(stderr, "bench_speed: dpotrf failed\n");
            exit(2);
        }
        t = now_s() - t;
        if (warm < 0.5) {
            warm += t;
            r--;
            continue;
        }
        if (t < best)
            best = t;
    }
    free(A);
    free(W);
    return (double)n * n * n / 3.0 / best / 1e9;
}

/* The problem: n uniform points of [0,1]^6, Hartmann-6 plus noise. */
static void make_data(size_t n, double *X, double *y)
{
    uint64_t s = 2024;
    size_t i, j;
    for (i = 0; i < n; i++) {
        for (j = 0; j < DIM; j++)
            X[i * DIM + j] = rng_unit(&s);
        y[i] = bench_hartmann6(X + i * DIM, DIM) + 0.01 * rng_normal(&s);
    }
}

static FILE *open_out(const char *path)
{
    FILE *f = path ? fopen(path, "a") : stdout;
    if (!f) {
        fprintf(stderr, "bench_speed: cannot open %s\n", path);
        exit(2);
    }
    return f;
}

static void close_out(FILE *f)
{
    if (f != stdout)
        fclose(f);
    else
        fflush(f);
}

static int phase_bo(size_t n, double rate, const char *outpath)
{
    static const char *names[DIM] = {"x1", "x2", "x3", "x4", "x5", "x6"};
    gn_param params[DIM];
    gn_objective obj = {"y", 0};
    gn_spec spec;
    gn_space space;
    gn_err err;
    void *state = NULL;
    double *X = malloc((n + WARM_STEPS) * DIM * sizeof *X), *y = malloc(n * sizeof *y);
    gn_observation *obs = malloc((n + WARM_STEPS) * sizeof *obs);
    double xs[DIM], ys[WARM_STEPS], warm[WARM_STEPS], t_tell, t_cold, t;
    gn_ask_ctx ctx = {0};
    gn_ask_out ao = {0};
    size_t i;
    int rc = 1;
    FILE *out;

    if (!X || !y || !obs) {
        fprintf(stderr, "bench_speed: out of memory\n");
        goto done;
    }
    memset(&spec, 0, sizeof spec);
    memset(params, 0, sizeof params);
    for (i = 0; i < DIM; i++) {
        params[i].name = (char *)names[i];
        params[i].type = GN_PARAM_REAL;
        params[i].low = 0.0;
        params[i].high = 1.0;
    }
    spec.name = "speed";
    spec.params = params;
    spec.n_params = DIM;
    spec.objectives = &obj;
    spec.n_objectives = 1;
    spec.planner.strategy = "bo";
    spec.planner.seed = 1;
    spec.planner.has_seed = 1;
    spec.budget.experiments = (long)n + 10;
    spec.budget.parallel = 1;
    gn_space_init(&space, &spec);
    gn_err_clear(&err);
    make_data(n, X, y);
    for (i = 0; i < n; i++) {
        obs[i].x = X + i * DIM;
        obs[i].status = GN_OBS_COMPLETED;
        obs[i].y = y + i;
        obs[i].c = NULL;
    }
    if (gn_planner_bo.create(&space, 1, &state, &err) != GN_OK)
        goto fail;
    t = now_s();
    if (gn_planner_bo.tell(state, obs, n, &err) != GN_OK)
        goto fail;
    t_tell = now_s() - t;
    ctx.n_issued = (long)n;
    ao.x = xs;
    t = now_s();
    if (gn_planner_bo.ask(state, &ctx, 1, &ao, &err) != GN_OK)
        goto fail;
    t_cold = now_s() - t;
    /* warm steps: tell the proposal, time the next ask */
    for (i = 0; i < WARM_STEPS; i++) {
        ys[i] = bench_hartmann6(xs, DIM);
        memcpy(X + (n + i) * DIM, xs, sizeof xs);
        obs[n + i].x = X + (n + i) * DIM;
        obs[n + i].status = GN_OBS_COMPLETED;
        obs[n + i].y = &ys[i];
        obs[n + i].c = NULL;
        if (gn_planner_bo.tell(state, obs + n + i, 1, &err) != GN_OK)
            goto fail;
        ctx.n_issued = (long)(n + i + 1);
        t = now_s();
        if (gn_planner_bo.ask(state, &ctx, 1, &ao, &err) != GN_OK)
            goto fail;
        warm[i] = now_s() - t;
    }
    qsort(warm, WARM_STEPS, sizeof *warm, cmp_double);
    out = open_out(outpath);
    fprintf(out, "{\"bench\": \"speed\", \"phase\": \"bo\", \"n\": %zu, \"dim\": %d, \"potrf_gflops\": %.3f, "
            "\"tell_s\": %.6f, \"suggest_cold_s\": %.6f, \"suggest_warm_s\": %.6f, \"suggest_warm_min_s\": %.6f, "
            "\"suggest_warm_max_s\": %.6f, \"warm_steps\": %d, \"floor_s\": %.6f, \"peak_mib\": %.1f}\n",
            n, DIM, rate, t_tell, t_cold, warm[WARM_STEPS / 2], warm[0], warm[WARM_STEPS - 1], WARM_STEPS,
            (double)n * n * n / 3.0 / (rate * 1e9), peak_mib());
    close_out(out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench_speed: bo, n = %zu: %s\n", n, err.msg);
done:
    if (state)
        gn_planner_bo.destroy(state);
    free(X);
    free(y);
    free(obs);
    return rc;
}

/* The GP options of the timings: the defaults with the restarts and the
 * large-n polish that the bo planner uses (GP_RESTARTS and GP_POLISH in
 * src/plan/bo.c), so that the split is comparable to a suggestion. */
static void speed_gp_options(gn_gp_options *opts)
{
    gn_gp_options_default(opts);
    opts->restarts = 2;
    opts->polish_evals = 2;
}

static int phase_model(size_t n, double rate, const char *outpath)
{
    double *X = malloc((n + 1) * DIM * sizeof *X), *y = malloc((n + 1) * sizeof *y);
    double *Xs = malloc(N_PREDICT * DIM * sizeof *Xs), *mean = malloc(N_PREDICT * sizeof *mean);
    double *var = malloc(N_PREDICT * sizeof *var), t, t_set, t_pred, t_fit;
    double floor_s = (double)n * n * n / 3.0 / (rate * 1e9);
    uint64_t s = 99;
    gn_gp_options opts;
    gn_gp *gp = NULL;
    gn_err err;
    size_t i;
    int rc = 1;
    FILE *out;

    gn_err_clear(&err);
    if (!X || !y || !Xs || !mean || !var) {
        fprintf(stderr, "bench_speed: out of memory\n");
        goto done;
    }
    make_data(n + 1, X, y);
    for (i = 0; i < N_PREDICT * DIM; i++)
        Xs[i] = rng_unit(&s);
    speed_gp_options(&opts);

    /* the posterior alone: hyperparameters from an untimed fit to at most
     * HYPER_N points, then one factorisation of all n, then predictions */
    if (gn_gp_new(DIM, &opts, &gp, &err) != GN_OK ||
        gn_gp_fit(gp, X, y, n < HYPER_N ? n : HYPER_N, &err) != GN_OK)
        goto fail;
    t = now_s();
    if (gn_gp_set_data(gp, X, y, n, &err) != GN_OK)
        goto fail;
    t_set = now_s() - t;
    t = now_s();
    if (gn_gp_predict(gp, Xs, N_PREDICT, mean, var, &err) != GN_OK)
        goto fail;
    t_pred = now_s() - t;
    out = open_out(outpath);
    fprintf(out, "{\"bench\": \"speed\", \"phase\": \"posterior\", \"n\": %zu, \"dim\": %d, \"potrf_gflops\": %.3f, "
            "\"set_data_s\": %.6f, \"predict_1000_s\": %.6f, \"floor_s\": %.6f, \"peak_mib\": %.1f}\n",
            n, DIM, rate, t_set, t_pred, floor_s, peak_mib());
    close_out(out);

    /* the fit: a new model fitted to the n points (cold), then refitted
     * to n + 1 (warm-started from the first fit: a campaign's step) */
    gn_gp_free(gp);
    gp = NULL;
    if (gn_gp_new(DIM, &opts, &gp, &err) != GN_OK)
        goto fail;
    t = now_s();
    if (gn_gp_fit(gp, X, y, n, &err) != GN_OK)
        goto fail;
    t_fit = now_s() - t;
    out = open_out(outpath);
    fprintf(out, "{\"bench\": \"speed\", \"phase\": \"fit\", \"n\": %zu, \"dim\": %d, \"potrf_gflops\": %.3f, "
            "\"fit_s\": %.6f, \"restarts\": %d, \"fit_subset\": %zu, \"polish_evals\": %d, \"floor_s\": %.6f, "
            "\"peak_mib\": %.1f}\n",
            n, DIM, rate, t_fit, opts.restarts, opts.fit_subset, opts.polish_evals, floor_s, peak_mib());
    close_out(out);
    t = now_s();
    if (gn_gp_fit(gp, X, y, n + 1, &err) != GN_OK)
        goto fail;
    t_fit = now_s() - t;
    out = open_out(outpath);
    fprintf(out, "{\"bench\": \"speed\", \"phase\": \"refit\", \"n\": %zu, \"dim\": %d, \"potrf_gflops\": %.3f, "
            "\"refit_s\": %.6f, \"floor_s\": %.6f, \"peak_mib\": %.1f}\n",
            n, DIM, rate, t_fit, floor_s, peak_mib());
    close_out(out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench_speed: model, n = %zu: %s\n", n, err.msg);
done:
    gn_gp_free(gp);
    free(X);
    free(y);
    free(Xs);
    free(mean);
    free(var);
    return rc;
}

/* Runs `self --one n --phase phase` in a child with a time limit; records
 * a timeout line when the limit kills it. */
static void run_child(const char *self, size_t n, const char *phase, double rate, int timeout,
                      const char *outpath)
{
    char nbuf[32], rbuf[32];
    pid_t pid;
    int status = 0;
    double t0 = now_s();

    snprintf(nbuf, sizeof nbuf, "%zu", n);
    snprintf(rbuf, sizeof rbuf, "%.6f", rate);
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("bench_speed: fork");
        exit(2);
    }
    if (pid == 0) {
        const char *argv[10] = {self, "--one", nbuf, "--phase", phase, "--rate", rbuf, NULL, NULL, NULL};
        if (outpath) {
            argv[7] = "--out";
            argv[8] = outpath;
        }
        alarm((unsigned)timeout);
        execv("/proc/self/exe", (char *const *)argv);
        perror("bench_speed: exec");
        _exit(127);
    }
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
        FILE *out = open_out(outpath);
        int killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
        fprintf(out, "{\"bench\": \"speed\", \"phase\": \"%s\", \"n\": %zu, \"dim\": %d, \"potrf_gflops\": %.3f, "
                "\"%s\": %d, \"after_s\": %.1f}\n",
                phase, n, DIM, rate, killed ? "timeout" : "failed",
                killed ? timeout : (WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)), now_s() - t0);
        close_out(out);
    }
    fprintf(stderr, "bench_speed: n = %-6zu %-5s %.1f s%s\n", n, phase, now_s() - t0,
            WIFSIGNALED(status) ? " (killed at the time limit)" : "");
}

int main(int argc, char **argv)
{
    const char *sizes = "100,1000,10000", *outpath = NULL, *phase = NULL;
    long one = 0;
    double rate = 0.0;
    int timeout_bo = 300, timeout_model = 180;
    size_t list[MAX_SIZES], nsizes = 0;

    for (int a = 1; a + 1 < argc; a += 2) {
        if (!strcmp(argv[a], "--sizes"))
            sizes = argv[a + 1];
        else if (!strcmp(argv[a], "--out"))
            outpath = argv[a + 1];
        else if (!strcmp(argv[a], "--timeout-bo"))
            timeout_bo = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--timeout-model"))
            timeout_model = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--one"))
            one = atol(argv[a + 1]);
        else if (!strcmp(argv[a], "--phase"))
            phase = argv[a + 1];
        else if (!strcmp(argv[a], "--rate"))
            rate = atof(argv[a + 1]);
        else {
            fprintf(stderr, "bench_speed: unknown option %s (see bench/bench_speed.c)\n", argv[a]);
            return 2;
        }
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "bench_speed: %s needs a value\n", argv[argc - 1]);
        return 2;
    }
    if (one > 0) {
        if (phase && !strcmp(phase, "bo"))
            return phase_bo((size_t)one, rate, outpath);
        if (phase && !strcmp(phase, "model"))
            return phase_model((size_t)one, rate, outpath);
        fprintf(stderr, "bench_speed: --phase must be bo or model\n");
        return 2;
    }
    for (const char *p = sizes; *p && nsizes < MAX_SIZES;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 2) {
            fprintf(stderr, "bench_speed: bad --sizes %s\n", sizes);
            return 2;
        }
        list[nsizes++] = (size_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    rate = potrf_rate(2000, 5);
    fprintf(stderr, "bench_speed: LAPACKE_dpotrf 2000x2000: %.1f GFLOP/s (best of 5, %d BLAS threads)\n", rate,
            openblas_get_num_threads());
    {
        FILE *out = open_out(outpath);
        fprintf(out, "{\"bench\": \"speed\", \"phase\": \"potrf\", \"n\": 2000, \"potrf_gflops\": %.3f, "
                "\"blas_threads\": %d}\n", rate, openblas_get_num_threads());
        close_out(out);
    }
    for (size_t i = 0; i < nsizes; i++) {
        run_child(argv[0], list[i], "bo", rate, timeout_bo, outpath);
        run_child(argv[0], list[i], "model", rate, timeout_model, outpath);
    }
    return 0;
}
