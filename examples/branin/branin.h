/*
 * branin.h - the Branin-Hoo function, shared by the command runner
 * (branin.c) and the library runner (branin_lib.c).
 *
 *   f(x1, x2) = a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s
 *   a = 1, b = 5.1 / (4 pi^2), c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi)
 *
 * on x1 in [-5, 10], x2 in [0, 15]. Its global minimum f* = 0.397887... is
 * reached at three points: (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
 * Branin, IBM J. Res. Dev. 16 (1972) 504; as a benchmark: Dixon & Szego,
 * Towards Global Optimisation 2 (1978) 1-15.
 */
#ifndef GN_EXAMPLE_BRANIN_H
#define GN_EXAMPLE_BRANIN_H

#include <math.h>

#define BRANIN_PI 3.14159265358979323846

static inline double branin(double x1, double x2)
{
    const double a = 1.0, b = 5.1 / (4.0 * BRANIN_PI * BRANIN_PI), c = 5.0 / BRANIN_PI;
    const double r = 6.0, s = 10.0, t = 1.0 / (8.0 * BRANIN_PI);
    double u = x2 - b * x1 * x1 + c * x1 - r;
    return a * u * u + s * (1.0 - t) * cos(x1) + s;
}

#endif
