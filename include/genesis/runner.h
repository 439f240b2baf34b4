/*
 * genesis/runner.h - in-process (library) runners.
 *
 * For simulations that are cheap or already built as libraries, a campaign
 * can call a function in a shared library instead of starting a process:
 *
 *     runner: {library: ./libsim.so, function: evaluate}
 *
 * The library is loaded with dlopen and the function must have the type
 * gn_runner_fn. It is called once per attempt, possibly from several
 * threads at once (one per parallel slot): it must be thread-safe, or the
 * campaign must use budget.parallel: 1.
 *
 * The function reads the parameters from `in`, reports outcomes with
 * gn_runner_output_set, and returns 0 on success. A non-zero return, or a
 * call to gn_runner_output_fail, fails the attempt. A crash (segfault) in
 * the function takes the process down; the campaign is then resumable and
 * the experiment is rerun. `timeout` cannot interrupt a call: a call that
 * returns after the timeout is recorded as a timed-out attempt and its
 * outcome discarded.
 *
 * Link the library against libgenesis, or leave gn_runner_output_* as
 * undefined symbols that the genesis process provides.
 */
#ifndef GENESIS_RUNNER_H
#define GENESIS_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gn_runner_input {
    const char *campaign;          /* campaign name */
    int64_t experiment;            /* experiment number within the campaign */
    int attempt;                   /* 1, 2, ... */
    size_t n_params;
    const char *const *names;      /* parameter names, spec order */
    const double *values;          /* numeric value; for a choice, the index of the value */
    const char *const *labels;     /* for a choice, the value's text; NULL otherwise */
    const char *params_json;       /* the same as a JSON object ($GENESIS_PARAMS) */
    /* The path of this attempt's own directory. It is NOT created unless
     * the function asks for it with gn_runner_workdir(in): creating a
     * directory per attempt costs more than a cheap simulation. */
    const char *workdir;
    const void *internal_;         /* for gn_runner_workdir; do not touch */
} gn_runner_input;

typedef struct gn_runner_output gn_runner_output;

/* Records outcome `name` = value (objectives, outcome constraints, extra
 * metrics). Setting a name twice keeps the last value. Returns GN_ERR_INVALID
 * for a NULL/empty name or a non-finite value, GN_ERR_NOMEM when out of
 * memory. */
GN_API gn_status gn_runner_output_set(gn_runner_output *out, const char *name, double value);

/* Marks the attempt failed with a reason (copied, truncated to 1 KiB). */
GN_API void gn_runner_output_fail(gn_runner_output *out, const char *reason);

/* Creates this attempt's working directory (in->workdir), empty, on the
 * first call, and returns its absolute path (the same as in->workdir);
 * later calls return it at once. Call it from the runner function with the
 * `in` it was given, before writing files there. NULL when the directory
 * cannot be created (errno says why) or `in` is not a runner's input. */
GN_API const char *gn_runner_workdir(const gn_runner_input *in);

typedef int (*gn_runner_fn)(const gn_runner_input *in, gn_runner_output *out);

#ifdef __cplusplus
}
#endif
#endif
