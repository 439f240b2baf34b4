/*
 * gn_test.h - what every Genesis test program includes.
 *
 * One program per module; one ctest entry per case: ctest runs
 * `test_<module> <case>` and GN_TEST_MAIN runs just that case (all cases
 * without an argument).
 */
#ifndef GN_TEST_H
#define GN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define GN_TEST_MAIN(tests)                                              \
    int main(int argc, char **argv)                                      \
    {                                                                    \
        if (argc > 1)                                                    \
            cmocka_set_test_filter(argv[1]);                             \
        return cmocka_run_group_tests(tests, NULL, NULL);                \
    }

/* Doubles are compared with a tolerance, never with ==. */
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#endif
