/*
 * bench/functions.c - Branin, Hartmann-6, Ackley, Levy, Rosenbrock, as
 * defined by Surjanovic and Bingham's Virtual Library of Simulation
 * Experiments (www.sfu.ca/~ssurjano), which is also what BoTorch and
 * Olympus use.
 */
#include "functions.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

double bench_branin(const double *x, size_t dim)
{
    const double b = 5.1 / (4.0 * PI * PI), c = 5.0 / PI, t = 1.0 / (8.0 * PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0;
    (void)dim;
    return u * u + 10.0 * (1.0 - t) * cos(x[0]) + 10.0;
}

double bench_hartmann6(const double *x, size_t dim)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double sum = 0.0;
    size_t i, j;
    (void)dim;
    for (i = 0; i < 4; i++) {
        double inner = 0.0;
        for (j = 0; j < 6; j++) {
            double d = x[j] - P[i][j] * 1e-4;
            inner += A[i][j] * d * d;
        }
        sum += alpha[i] * exp(-inner);
    }
    return -sum;
}

double bench_ackley(const double *x, size_t dim)
{
    double s2 = 0.0, sc = 0.0;
    size_t i;
    for (i = 0; i < dim; i++) {
        s2 += x[i] * x[i];
        sc += cos(2.0 * PI * x[i]);
    }
    return -20.0 * exp(-0.2 * sqrt(s2 / (double)dim)) - exp(sc / (double)dim) + 20.0 + exp(1.0);
}

double bench_levy(const double *x, size_t dim)
{
    double w1 = 1.0 + (x[0] - 1.0) / 4.0, wd = 1.0 + (x[dim - 1] - 1.0) / 4.0;
    double s = sin(PI * w1), sum = s * s, t;
    size_t i;
    for (i = 0; i + 1 < dim; i++) {
        double w = 1.0 + (x[i] - 1.0) / 4.0;
        double sw = sin(PI * w + 1.0);
        sum += (w - 1.0) * (w - 1.0) * (1.0 + 10.0 * sw * sw);
    }
    t = sin(2.0 * PI * wd);
    return sum + (wd - 1.0) * (wd - 1.0) * (1.0 + t * t);
}

double bench_rosenbrock(const double *x, size_t dim)
{
    double sum = 0.0;
    size_t i;
    for (i = 0; i + 1 < dim; i++) {
        double a = x[i + 1] - x[i] * x[i], b = x[i] - 1.0;
        sum += 100.0 * a * a + b * b;
    }
    return sum;
}

bench_fn bench_function_find(const char *name)
{
    if (!strcmp(name, "branin"))
        return bench_branin;
    if (!strcmp(name, "hartmann6"))
        return bench_hartmann6;
    if (!strcmp(name, "ackley10"))
        return bench_ackley;
    if (!strcmp(name, "levy10"))
        return bench_levy;
    if (!strcmp(name, "rosenbrock5"))
        return bench_rosenbrock;
    return NULL;
}
