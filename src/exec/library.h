/*
 * exec/library.h - the in-process (library) runner.
 *
 * Internal to src/exec/. The runner library is loaded once (dlopen,
 * RTLD_NOW | RTLD_LOCAL) and its function looked up (dlsym). Attempts are
 * jobs run by a pool of worker threads, at most `slots` of them, started as
 * needed; each job calls the function once (see genesis/runner.h). A
 * finished job writes a byte to a wake pipe so the executor's poll loop
 * notices it at once. Worker threads block all signals: signals stay with
 * the application's threads.
 *
 * Threads: gn__lib_* functions are called from one thread (the executor's);
 * only the runner function and gn_runner_output_* run on workers.
 */
#ifndef GN_EXEC_LIBRARY_H
#define GN_EXEC_LIBRARY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "exec/executor.h"
#include "genesis/runner.h"
#include "spec/spec.h"

/* Longest reason kept by gn_runner_output_fail, in bytes. */
#define GN_RUNNER_REASON_MAX 1024

/* What one call reported. Filled on a worker thread with the plain C
 * allocator (the gn_malloc test hook is not thread-safe); read by the
 * executor's thread once the job is done. */
struct gn_runner_output {
    char **names;  /* malloc'd copies */
    double *values;
    size_t n, cap;
    int failed;    /* gn_runner_output_fail was called */
    int nomem;     /* gn_runner_output_set ran out of memory */
    char reason[GN_RUNNER_REASON_MAX + 1];
};

typedef struct gn_lib gn_lib;
typedef struct gn_lib_job gn_lib_job;

/* Loads spec->runner.library (a relative path resolves against
 * spec->base_dir) and looks up spec->runner.function ("evaluate" when
 * NULL). GN_ERR_RUNNER with the path and dlerror's text when either fails.
 * `slots` bounds the worker threads. */
gn_status gn__lib_new(const gn_spec *spec, long slots, gn_lib **out, gn_err *err);

/* The same pool around a built-in function (no library is loaded): fn is
 * called with ctx on the worker threads; `shown` names it in messages. */
gn_status gn__lib_new_builtin(const gn_spec *spec, long slots, gn_exec_builtin_fn fn, void *ctx,
                              const char *shown, gn_lib **out, gn_err *err);

/* The read end of the wake pipe (for poll) and a non-blocking drain of it;
 * after a drain the caller checks every job's done flag (gn__lib_job_done):
 * a call that ended during the drain wrote no new byte. */
int gn__lib_wake_fd(const gn_lib *lib);
void gn__lib_wake_drain(gn_lib *lib);

/* Queues one call of the function for `task`, whose working directory is
 * the absolute path `workdir`: not created here, but by the worker thread
 * if the function calls gn_runner_workdir. Copies everything it keeps from task. *out is owned by the
 * caller and must be freed with gn__lib_job_free once done (or after
 * gn__lib_free). Starts a worker thread if none is idle. */
gn_status gn__lib_submit(gn_lib *lib, const char *campaign, const gn_task *task, const char *workdir,
                         gn_lib_job **out, gn_err *err);

/* 1 when the job's call has returned (or the job was cancelled before it
 * started). */
int gn__lib_job_done(gn_lib *lib, gn_lib_job *job);

/* Cancels a job: a queued job is dropped at once; a running call cannot be
 * interrupted, so its result is CANCELLED (outcome discarded) when it
 * returns. */
void gn__lib_job_cancel(gn_lib *lib, gn_lib_job *job);

/* Fills r for a done job (fields owned by r). GN_ERR_NOMEM leaves r empty
 * and the job unchanged. */
gn_status gn__lib_job_result(gn_lib_job *job, gn_exec_result *r, gn_err *err);

void gn__lib_job_free(gn_lib_job *job); /* NULL is a no-op */

/* Stops the pool: queued jobs are not started, running calls are waited
 * for (they cannot be interrupted), threads are joined; then unloads the
 * library. Jobs stay valid for gn__lib_job_free. NULL is a no-op. */
void gn__lib_free(gn_lib *lib);

#endif
