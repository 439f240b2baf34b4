/*
 * bench/bench_bo.c - the optimisation benchmark of Genesis's planners.
 *
 * For each problem x method x seed, runs the planner loop in-process (ask
 * q points, evaluate them, tell them, until the budget is spent) and writes
 * one JSON line per run with the simple-regret trace (and the run's wall and
 * CPU seconds): regret[k] is the
 * regret of the best value found in the first k+1 evaluations. The Python
 * peers (bench/peers/tpe.py, gp_ei.py) write the same lines, and
 * bench/report.py turns them into the table.
 *
 * Problems come from bench/problems.json: test functions with known optima
 * (regret = best found - optimum) and candidate pools of measured lab data
 * (regret = best measured value in the pool - best found, in the direction
 * of the pool's default_goal). In a pool every row can be chosen once. A
 * planner that is not pool-aware proposes a point of the box, which is
 * mapped to the nearest untested row in the unit cube of the parameter
 * bounds (Euclidean, ties to the lower row); the planner is then told that
 * row's coordinates and value. The bo planner is pool-aware: it is given
 * the rows with gn_bo_set_candidates, and its proposals go through the same
 * mapping only if one is not an untested row (counted as `remapped`).
 * Rows with identical parameters (replicate measurements) are merged into
 * one row with the mean value, identically in the Python peers.
 *
 * Usage: bench_bo [--root DIR] [--problems FILE] [--methods a,b]
 *                 [--problem a,b] [--seeds K] [--budget-functions N]
 *                 [--budget-pools N] [--seed-offset S] [--out FILE] [--check]
 *   --seed-offset S runs seeds S .. S+K-1 instead of 0 .. K-1 (default 0).
 *   --check prints the test functions at fixed points and each pool's size
 *   and best value as JSON, for bench/peers/check.py.
 */
#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "functions.h"
#include "plan/bo.h"
#include "plan/planner.h"
#include "plan/space.h"
#include "spec/spec.h"

#define MAX_DIM 16
#define MAX_PROBLEMS 32
#define MAX_POOL_ROWS 100000
#define MAX_Q 16

typedef struct problem {
    char name[64];
    int is_pool;
    size_t dim;
    double low[MAX_DIM], high[MAX_DIM];
    char param_names[MAX_DIM][64];
    int maximize;
    long budget;
    double optimum;   /* functions: known minimum; pools: best measured value */
    bench_fn fn;      /* functions */
    double *X;        /* pools: n_rows * dim, merged replicates */
    double *y;        /* pools: n_rows */
    size_t n_rows;
} problem;

typedef struct method {
    const char *name;
    const gn_planner_type *type;
    size_t q;
} method;

static const method all_methods[] = {
    {"random", &gn_planner_random, 1},
    {"sobol", &gn_planner_sobol, 1},
    {"bo", &gn_planner_bo, 1},
    {"bo-q4", &gn_planner_bo, 4},
};
#define N_METHODS (sizeof all_methods / sizeof all_methods[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bench_bo: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* 1 if `name` is in the comma-separated list (NULL list: every name). */
static int in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;
    if (!list)
        return 1;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !strncmp(p, name, n))
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* Exits with a message when an entry of the comma-separated `list` is not
 * one of the n names (a typo would otherwise select nothing). */
static void check_list(const char *list, const char *what, const char *const *names, size_t n)
{
    char item[128];
    const char *p = list;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), i;
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        for (i = 0; i < n && strcmp(item, names[i]); i++)
            ;
        if (i == n) {
            fprintf(stderr, "bench_bo: unknown %s '%s'\n", what, item);
            exit(2);
        }
        p = end ? end + 1 : NULL;
    }
}

static int read_bounds(json_t *arr, double *out, size_t dim)
{
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) != dim)
        return 0;
    for (i = 0; i < dim; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v))
            return 0;
        out[i] = json_number_value(v);
    }
    return 1;
}

/* Reads a pool folder: config.json (parameters, default_goal) and data.csv
 * (parameter columns then the measurement), merging rows with identical
 * parameters into their first occurrence with the mean value (summed in
 * file order, as the peers do). */
static void load_pool(problem *p, const char *root, const char *dir)
{
    char path[4096], line[8192];
    json_error_t jerr;
    json_t *cfg, *params, *goal;
    FILE *f;
    size_t cap = 0, i, *count = NULL;

    snprintf(path, sizeof path, "%s/%s/config.json", root, dir);
    cfg = json_load_file(path, 0, &jerr);
    if (!cfg)
        die("cannot read %s", path);
    params = json_object_get(cfg, "parameters");
    goal = json_object_get(cfg, "default_goal");
    if (!json_is_array(params) || json_array_size(params) == 0 || json_array_size(params) > MAX_DIM ||
        !json_is_string(goal))
        die("%s: expected parameters (1 to 16) and default_goal", path);
    p->dim = json_array_size(params);
    for (i = 0; i < p->dim; i++) {
        json_t *q = json_array_get(params, i);
        json_t *nm = json_object_get(q, "name"), *lo = json_object_get(q, "low"), *hi = json_object_get(q, "high");
        if (!json_is_string(nm) || !json_is_number(lo) || !json_is_number(hi))
            die("%s: a parameter lacks name, low or high", path);
        snprintf(p->param_names[i], sizeof p->param_names[i], "%s", json_string_value(nm));
        p->low[i] = json_number_value(lo);
        p->high[i] = json_number_value(hi);
    }
    p->maximize = !strcmp(json_string_value(goal), "maximize");
    json_decref(cfg);

    snprintf(path, sizeof path, "%s/%s/data.csv", root, dir);
    f = fopen(path, "r");
    if (!f)
        die("cannot open %s", path);
    p->n_rows = 0;
    while (fgets(line, sizeof line, f)) {
        double row[MAX_DIM + 1];
        char *s = line, *end;
        size_t j, r;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        for (j = 0; j <= p->dim; j++) {
            errno = 0;
            row[j] = strtod(s, &end);
            if (end == s || errno)
                die("%s: a row is not all numbers", path);
            s = end;
            if (*s == ',')
                s++;
        }
        for (r = 0; r < p->n_rows; r++)
            if (!memcmp(p->X + r * p->dim, row, p->dim * sizeof *row))
                break;
        if (r == p->n_rows) {
            if (p->n_rows == cap) {
                cap = cap ? 2 * cap : 256;
                if (cap > MAX_POOL_ROWS)
                    die("%s: too many rows", path);
                p->X = realloc(p->X, cap * p->dim * sizeof *p->X);
                p->y = realloc(p->y, cap * sizeof *p->y);
                count = realloc(count, cap * sizeof *count);
                if (!p->X || !p->y || !count)
                    die("out of memory reading %s", path);
            }
            memcpy(p->X + r * p->dim, row, p->dim * sizeof *row);
            p->y[r] = 0.0;
            count[r] = 0;
            p->n_rows++;
        }
        p->y[r] += row[p->dim];
        count[r]++;
    }
    fclose(f);
    if (p->n_rows == 0)
        die("%s: no rows", path);
    p->optimum = p->maximize ? -DBL_MAX : DBL_MAX;
    for (i = 0; i < p->n_rows; i++) {
        p->y[i] /= (double)count[i];
        if (p->maximize ? p->y[i] > p->optimum : p->y[i] < p->optimum)
            p->optimum = p->y[i];
    }
    free(count);
}

static size_t load_problems(const char *root, const char *file, problem *out, int *seeds)
{
    json_error_t jerr;
    json_t *doc = json_load_file(file, 0, &jerr), *fns, *pools, *v;
    size_t n = 0, i;

    if (!doc)
        die("cannot read %s", file);
    v = json_object_get(doc, "seeds");
    *seeds = json_is_integer(v) ? (int)json_integer_value(v) : 20;
    fns = json_object_get(doc, "functions");
    pools = json_object_get(doc, "pools");
    for (i = 0; i < json_array_size(fns) && n < MAX_PROBLEMS; i++, n++) {
        json_t *o = json_array_get(fns, i);
        problem *p = &out[n];
        json_t *nm = json_object_get(o, "name"), *dim = json_object_get(o, "dim");
        memset(p, 0, sizeof *p);
        if (!json_is_string(nm) || !json_is_integer(dim) || json_integer_value(dim) < 1 ||
            json_integer_value(dim) > MAX_DIM)
            die("%s: a function lacks name or dim (1 to 16)", file);
        snprintf(p->name, sizeof p->name, "%s", json_string_value(nm));
        p->dim = (size_t)json_integer_value(dim);
        p->fn = bench_function_find(p->name);
        if (!p->fn)
            die("no function called %s", p->name);
        if (!read_bounds(json_object_get(o, "low"), p->low, p->dim) ||
            !read_bounds(json_object_get(o, "high"), p->high, p->dim))
            die("%s: bad bounds", p->name);
        for (size_t j = 0; j < p->dim; j++)
            snprintf(p->param_names[j], sizeof p->param_names[j], "x%zu", j + 1);
        p->optimum = json_number_value(json_object_get(o, "optimum"));
        p->budget = (long)json_integer_value(json_object_get(o, "budget"));
    }
    for (i = 0; i < json_array_size(pools) && n < MAX_PROBLEMS; i++, n++) {
        json_t *o = json_array_get(pools, i);
        problem *p = &out[n];
        json_t *nm = json_object_get(o, "name"), *dir = json_object_get(o, "dir");
        memset(p, 0, sizeof *p);
        if (!json_is_string(nm) || !json_is_string(dir))
            die("%s: a pool lacks name or dir", file);
        snprintf(p->name, sizeof p->name, "%s", json_string_value(nm));
        p->is_pool = 1;
        p->budget = (long)json_integer_value(json_object_get(o, "budget"));
        load_pool(p, root, json_string_value(dir));
    }
    json_decref(doc);
    return n;
}

/* Index of the untested row nearest to x in the unit cube of the bounds. */
static size_t nearest_untested(const problem *p, const unsigned char *tested, const double *x, double *dist)
{
    size_t r, j, best = SIZE_MAX;
    double bd = DBL_MAX;
    for (r = 0; r < p->n_rows; r++) {
        double d = 0.0;
        if (tested[r])
            continue;
        for (j = 0; j < p->dim; j++) {
            double t = (x[j] - p->X[r * p->dim + j]) / (p->high[j] - p->low[j]);
            d += t * t;
        }
        if (d < bd) {
            bd = d;
            best = r;
        }
    }
    *dist = bd;
    return best;
}

/* Runs one planner loop and writes its JSON line. 0 on success. */
static int run_one(const problem *p, const method *m, int seed, FILE *out)
{
    gn_param params[MAX_DIM];
    gn_objective obj;
    gn_spec spec;
    gn_space space;
    gn_err err;
    void *state = NULL;
    double x[MAX_Q * MAX_DIM], yv[MAX_Q], best = 0.0, t_plan = 0.0, t0 = now_s(), c0 = cpu_s(), t;
    double *regret = NULL;
    unsigned char *tested = NULL;
    long evals = 0, remapped = 0;
    size_t j;
    int rc = 1;

    memset(&spec, 0, sizeof spec);
    memset(params, 0, sizeof params);
    for (j = 0; j < p->dim; j++) {
        params[j].name = (char *)p->param_names[j];
        params[j].type = GN_PARAM_REAL;
        params[j].low = p->low[j];
        params[j].high = p->high[j];
    }
    obj.name = "y";
    obj.maximize = p->maximize;
    spec.name = (char *)p->name;
    spec.params = params;
    spec.n_params = p->dim;
    spec.objectives = &obj;
    spec.n_objectives = 1;
    spec.planner.strategy = (char *)m->type->name;
    spec.planner.seed = (uint64_t)seed;
    spec.planner.has_seed = 1;
    spec.budget.experiments = p->budget;
    spec.budget.parallel = (long)m->q;
    gn_space_init(&space, &spec);
    gn_err_clear(&err);

    regret = calloc((size_t)p->budget, sizeof *regret);
    tested = p->is_pool ? calloc(p->n_rows, 1) : NULL;
    if (!regret || (p->is_pool && !tested)) {
        fprintf(stderr, "bench_bo: out of memory\n");
        goto out;
    }
    t = now_s();
    if (m->type->create(&space, (uint64_t)seed, &state, &err) != GN_OK)
        goto fail;
    if (p->is_pool && m->type == &gn_planner_bo &&
        gn_bo_set_candidates(state, p->X, p->n_rows, &err) != GN_OK)
        goto fail;
    t_plan += now_s() - t;

    while (evals < p->budget) {
        size_t k = m->q, i;
        gn_ask_ctx ctx = {0};
        gn_ask_out ao = {0};
        gn_observation obs[MAX_Q];
        if ((long)k > p->budget - evals)
            k = (size_t)(p->budget - evals);
        if (p->is_pool && (size_t)evals + k > p->n_rows)
            break;
        ctx.n_issued = evals;
        ao.x = x;
        t = now_s();
        if (m->type->ask(state, &ctx, k, &ao, &err) != GN_OK)
            goto fail;
        t_plan += now_s() - t;
        for (i = 0; i < k; i++) {
            double *xi = x + i * p->dim;
            if (p->is_pool) {
                double d;
                size_t r = nearest_untested(p, tested, xi, &d);
                if (d > 0.0)
                    remapped++;
                tested[r] = 1;
                memcpy(xi, p->X + r * p->dim, p->dim * sizeof *xi);
                yv[i] = p->y[r];
            } else {
                yv[i] = p->fn(xi, p->dim);
            }
            if (evals == 0 || (p->maximize ? yv[i] > best : yv[i] < best))
                best = yv[i];
            if (p->is_pool)
                regret[evals] = p->maximize ? p->optimum - best : best - p->optimum;
            else
                regret[evals] = best - p->optimum;
            if (regret[evals] < 0.0)
                regret[evals] = 0.0;
            evals++;
            obs[i].x = xi;
            obs[i].status = GN_OBS_COMPLETED;
            obs[i].y = &yv[i];
            obs[i].c = NULL;
        }
        t = now_s();
        if (m->type->tell(state, obs, k, &err) != GN_OK)
            goto fail;
        t_plan += now_s() - t;
    }

    fprintf(out, "{\"problem\": \"%s\", \"kind\": \"%s\", \"method\": \"%s\", \"q\": %zu, \"seed\": %d, "
            "\"budget\": %ld, \"best\": %.17g, \"remapped\": %ld, \"planner_s\": %.6f, \"total_s\": %.6f, "
            "\"cpu_s\": %.6f, \"regret\": [",
            p->name, p->is_pool ? "pool" : "function", m->name, m->q, seed, p->budget, best, remapped, t_plan,
            now_s() - t0, cpu_s() - c0);
    for (long e = 0; e < evals; e++)
        fprintf(out, "%s%.10g", e ? ", " : "", regret[e]);
    fprintf(out, "]}\n");
    fflush(out);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "bench_bo: %s / %s / seed %d: %s\n", p->name, m->name, seed, err.msg);
out:
    if (state)
        m->type->destroy(state);
    free(regret);
    free(tested);
    return rc;
}

/* Prints the functions at fixed points and the pools' summaries, as JSON. */
static void check(const problem *probs, size_t n)
{
    size_t i, j, k;
    printf("{\"functions\": {");
    for (i = 0, k = 0; i < n; i++) {
        const problem *p = &probs[i];
        if (p->is_pool)
            continue;
        printf("%s\"%s\": [", k++ ? ", " : "", p->name);
        for (int t = 0; t < 5; t++) {
            double x[MAX_DIM];
            for (j = 0; j < p->dim; j++) {
                /* a fixed, irregular point of the box */
                double u = fmod(0.137 * (double)(t + 1) + 0.311 * (double)j * (double)(t + 2), 1.0);
                x[j] = p->low[j] + u * (p->high[j] - p->low[j]);
            }
            printf("%s{\"x\": [", t ? ", " : "");
            for (j = 0; j < p->dim; j++)
                printf("%s%.17g", j ? ", " : "", x[j]);
            printf("], \"f\": %.17g}", p->fn(x, p->dim));
        }
        printf("]");
    }
    printf("}, \"pools\": {");
    for (i = 0, k = 0; i < n; i++) {
        const problem *p = &probs[i];
        if (!p->is_pool)
            continue;
        printf("%s\"%s\": {\"rows\": %zu, \"best\": %.17g, \"maximize\": %d}", k++ ? ", " : "", p->name, p->n_rows,
               p->optimum, p->maximize);
    }
    printf("}}\n");
}

int main(int argc, char **argv)
{
    const char *root = ".", *file = NULL, *methods = NULL, *only = NULL, *outpath = NULL;
    long budget_fn = 0, budget_pool = 0;
    int seeds = -1, seed_offset = 0, want_check = 0, failures = 0, nseeds;
    static problem probs[MAX_PROBLEMS];
    char deffile[4096];
    size_t n, i, mi;
    FILE *out = stdout;

    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *val = a + 1 < argc ? argv[a + 1] : NULL;
        if (!strcmp(arg, "--check")) {
            want_check = 1;
            continue;
        }
        if (!val)
            die("%s needs a value (see the comment at the top of bench/bench_bo.c)", arg);
        if (!strcmp(arg, "--root"))
            root = val;
        else if (!strcmp(arg, "--problems"))
            file = val;
        else if (!strcmp(arg, "--methods"))
            methods = val;
        else if (!strcmp(arg, "--problem"))
            only = val;
        else if (!strcmp(arg, "--seeds"))
            seeds = atoi(val);
        else if (!strcmp(arg, "--seed-offset"))
            seed_offset = atoi(val);
        else if (!strcmp(arg, "--budget-functions"))
            budget_fn = atol(val);
        else if (!strcmp(arg, "--budget-pools"))
            budget_pool = atol(val);
        else if (!strcmp(arg, "--out"))
            outpath = val;
        else
            die("unknown option %s", arg);
        a++;
    }
    if (!file) {
        snprintf(deffile, sizeof deffile, "%s/bench/problems.json", root);
        file = deffile;
    }
    n = load_problems(root, file, probs, &nseeds);
    if (seeds > 0)
        nseeds = seeds;
    if (seed_offset < 0)
        die("%s must be >= 0", "--seed-offset");
    for (i = 0; i < n; i++) {
        if (!probs[i].is_pool && budget_fn > 0)
            probs[i].budget = budget_fn;
        if (probs[i].is_pool && budget_pool > 0)
            probs[i].budget = budget_pool;
        if (probs[i].budget < 1)
            die("%s: budget must be >= 1", probs[i].name);
    }
    {
        const char *mnames[N_METHODS], *pnames[MAX_PROBLEMS];
        for (mi = 0; mi < N_METHODS; mi++)
            mnames[mi] = all_methods[mi].name;
        for (i = 0; i < n; i++)
            pnames[i] = probs[i].name;
        check_list(methods, "method", mnames, N_METHODS);
        check_list(only, "problem", pnames, n);
    }
    if (want_check) {
        check(probs, n);
        return 0;
    }
    if (outpath) {
        out = fopen(outpath, "a");
        if (!out)
            die("cannot open %s", outpath);
    }
    for (mi = 0; mi < N_METHODS; mi++) {
        if (!in_list(methods, all_methods[mi].name))
            continue;
        for (i = 0; i < n; i++) {
            double t0 = now_s();
            if (!in_list(only, probs[i].name))
                continue;
            for (int s = seed_offset; s < seed_offset + nseeds; s++)
                failures += run_one(&probs[i], &all_methods[mi], s, out);
            fprintf(stderr, "bench_bo: %-8s %-15s %d seeds in %.1f s\n", all_methods[mi].name, probs[i].name,
                    nseeds, now_s() - t0);
        }
    }
    if (out != stdout)
        fclose(out);
    for (i = 0; i < n; i++) {
        free(probs[i].X);
        free(probs[i].y);
    }
    return failures ? 1 : 0;
}
