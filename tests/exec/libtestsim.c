/*
 * libtestsim.c - a runner library for the exec tests, loaded with dlopen.
 *
 * gn_runner_output_* are left undefined here: the test program (built
 * with exported symbols) provides them, as the genesis command does.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "genesis/runner.h"

static atomic_int in_flight;
static atomic_int max_in_flight;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap(double seconds)
{
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* y = x + n; reports what it was given so the test can check the input. */
int evaluate(const gn_runner_input *in, gn_runner_output *out)
{
    char path[4096];
    FILE *f = NULL;
    int workdir_ok = 0;
    /* the directory exists only once asked for (docs/runner.md) */
    const char *dir = gn_runner_workdir(in);

    snprintf(path, sizeof path, "%s/called.txt", dir ? dir : "");
    if (dir && strcmp(dir, in->workdir) == 0 && gn_runner_workdir(in) == dir)
        f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s %s\n", in->campaign, in->params_json);
        workdir_ok = fclose(f) == 0;
    }
    gn_runner_output_set(out, "y", in->values[0] + in->values[1]);
    gn_runner_output_set(out, "y", in->values[0] + in->values[1]); /* twice: last wins */
    gn_runner_output_set(out, "n_params", (double)in->n_params);
    gn_runner_output_set(out, "experiment", (double)in->experiment);
    gn_runner_output_set(out, "attempt", (double)in->attempt);
    gn_runner_output_set(out, "workdir_ok", workdir_ok);
    gn_runner_output_set(out, "label_is_Ni", in->labels[2] && strcmp(in->labels[2], "Ni") == 0);
    gn_runner_output_set(out, "labels_null", in->labels[0] == NULL && in->labels[1] == NULL);
    gn_runner_output_set(out, "choice_index", in->values[2]);
    return 0;
}

int fails_with_reason(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    gn_runner_output_set(out, "y", 1.0);
    gn_runner_output_fail(out, "the solver diverged");
    return 0;
}

int returns_seven(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    gn_runner_output_set(out, "y", 1.0);
    return 7;
}

int reports_nothing(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    (void)out;
    return 0;
}

/* Checks the argument rules of gn_runner_output_set and reports the codes. */
int bad_values(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    gn_runner_output_set(out, "nan_rc", gn_runner_output_set(out, "y", NAN));
    gn_runner_output_set(out, "inf_rc", gn_runner_output_set(out, "y", INFINITY));
    gn_runner_output_set(out, "empty_rc", gn_runner_output_set(out, "", 1.0));
    gn_runner_output_set(out, "null_rc", gn_runner_output_set(out, NULL, 1.0));
    gn_runner_output_set(out, "null_out_rc", gn_runner_output_set(NULL, "y", 1.0));
    return 0;
}

int slow(const gn_runner_input *in, gn_runner_output *out)
{
    (void)in;
    nap(0.4);
    gn_runner_output_set(out, "y", 1.0);
    return 0;
}

/* Sleeps 0.3 s and reports when it ran and how many calls overlapped. */
int concurrent(const gn_runner_input *in, gn_runner_output *out)
{
    int now = atomic_fetch_add(&in_flight, 1) + 1;
    int seen = atomic_load(&max_in_flight);
    double start = wall();
    (void)in;
    while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now))
        ;
    nap(0.3);
    gn_runner_output_set(out, "start", start);
    gn_runner_output_set(out, "end", wall());
    gn_runner_output_set(out, "max_in_flight", atomic_load(&max_in_flight));
    atomic_fetch_sub(&in_flight, 1);
    return 0;
}
