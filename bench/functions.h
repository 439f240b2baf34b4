/*
 * bench/functions.h - the test functions of the benchmarks, with known
 * optima (minimisation). The same formulas are in bench/peers/common.py;
 * `bench_bo --check` prints values at fixed points so the two can be
 * compared (bench/peers/check.py).
 */
#ifndef GN_BENCH_FUNCTIONS_H
#define GN_BENCH_FUNCTIONS_H

#include <stddef.h>

typedef double (*bench_fn)(const double *x, size_t dim);

/* The function called `name` ("branin", "hartmann6", "ackley10",
 * "levy10", "rosenbrock5"), or NULL. */
bench_fn bench_function_find(const char *name);

double bench_branin(const double *x, size_t dim);     /* dim 2 */
double bench_hartmann6(const double *x, size_t dim);  /* dim 6, x in [0,1]^6 */
double bench_ackley(const double *x, size_t dim);
double bench_levy(const double *x, size_t dim);
double bench_rosenbrock(const double *x, size_t dim);

#endif
