/*
 * exec/executor.h - the executor interface: where experiments run.
 *
 * An executor runs attempts (one try of one experiment) and reports each
 * finished attempt once. It owns no policy: the campaign decides what to
 * run, whether a failed attempt is retried, and what an outcome means (for
 * example that an objective is missing). Back ends are types in a table:
 * `local` (process pool + in-process library runner) and, in builds with
 * Open MPI, `mpi` (worker ranks each running a local executor), and
 * `slurm` (Slurm batch jobs, job arrays or job steps; exec/slurm.c,
 * docs/slurm.md).
 *
 * The runner contract (docs/runner.md) is implemented by exec/runner.h for
 * process runners and exec/library.h for in-process runners.
 */
#ifndef GN_EXEC_EXECUTOR_H
#define GN_EXEC_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "genesis/runner.h"
#include "spec/spec.h"
#include "store/store.h"

/* One attempt to run. All strings are borrowed for the duration of submit. */
typedef struct gn_task {
    int64_t experiment_id;  /* store id: the key results come back with */
    int64_t number;         /* the experiment's number in its campaign ($GENESIS_EXPERIMENT) */
    int attempt;            /* 1, 2, ... */
    const double *x;        /* the point (see plan/space.h), dim values */
    const char *params_json;/* $GENESIS_PARAMS */
} gn_task;

/* Filled by submit: what the store records when the attempt starts. */
typedef struct gn_task_started {
    int64_t pid;         /* process group id of the runner; 0 for in-process */
    int64_t pid_start;   /* start time of that process (clock ticks since boot) or 0 */
    char workdir[4096];  /* the attempt's fresh working directory */
    char host[256];
    double started;      /* epoch seconds */
    /* Batch executors: the job that runs the attempt ("" when none, or not
     * known yet) and its state ("PENDING", ...; "" when none). An attempt
     * recorded with either is left running on resume for adopt(). */
    char job_id[64];
    char job_state[32];
} gn_task_started;

/* A finished attempt, returned by wait. Heap strings owned by the result;
 * free with gn_exec_result_destroy. */
typedef struct gn_exec_result {
    int64_t experiment_id;
    int attempt;
    gn_att_status status;  /* SUCCEEDED, FAILED, TIMEOUT or CANCELLED */
    int exit_code;         /* -1 unless the runner exited normally */
    int signal;            /* the signal that ended it, else 0 */
    double started, finished;
    char *reason;          /* NULL on success */
    char *stdout_tail;     /* last GN_EXEC_TAIL_BYTES of stdout (may be "") */
    char *stderr_tail;
    char *outcome;         /* SUCCEEDED: the runner's JSON object, every value a number */
    /* Batch executors, else NULL: the job that ran it, its final state, and
     * the node it ran on (recorded as the attempt's host). */
    char *job_id;
    char *job_state;
    char *node;
    /* 1 when the runner could not be started at all (status FAILED, reason
     * "cannot start runner '<cmd>': ..."): local process runners report
     * at submit what can be checked there (no such program, not
     * executable) but learn only after submit returned that exec itself
     * failed (a missing #! interpreter, ...). A set-up problem, not the
     * experiment's: gn_campaign_run stops with the reason and leaves the
     * experiment to be rerun. */
    int not_started;
} gn_exec_result;

#define GN_EXEC_TAIL_BYTES 4096

void gn_exec_result_destroy(gn_exec_result *r);

/* A change in the batch job of a running attempt (Slurm: PENDING ->
 * RUNNING, the node it was given), seen by the executor while it polls:
 * the attempt goes on running; the run loop records the change. Empty
 * strings: not known / unchanged. */
typedef struct gn_exec_job_update {
    int64_t experiment_id;
    int attempt;
    char job_id[64];
    char job_state[32];
    char node[256];
} gn_exec_job_update;

/* A built-in in-process runner (runner kind LOOKUP): called like a
 * gn_runner_fn on worker threads, with the context given in the config. */
typedef int (*gn_exec_builtin_fn)(void *ctx, const gn_runner_input *in, gn_runner_output *out);

/* What an executor needs from the campaign. Borrowed, outlives the executor. */
typedef struct gn_exec_config {
    const gn_spec *spec;       /* runner, budget.parallel, executor block */
    gn_exec_builtin_fn builtin; /* runner kind LOOKUP: the function (local executor only) */
    void *builtin_ctx;          /* its context, borrowed; read from several threads */
    const char *campaign;      /* $GENESIS_CAMPAIGN */
    const char *work_root;     /* attempts run in work_root/<number>/<attempt>/ (created) */
    long slots;                /* parallel attempts; >= 1 */
    /* Set when budget.parallel was not given (slots is then the number of
     * cores here): a batch executor may choose its own limit. */
    int slots_default;
    /* Batch executors: cancel_all leaves the jobs running (detaches) instead
     * of cancelling them (`genesis run --leave-jobs`). */
    int leave_jobs;
} gn_exec_config;

typedef struct gn_executor_type {
    const char *name;
    gn_status (*create)(const gn_exec_config *cfg, void **state, gn_err *err);
    /* Free slots: how many more tasks submit accepts now (slots minus
     * running). */
    size_t (*free_slots)(void *state);
    /* Starts a task. GN_ERR_RUNNER/GN_ERR_IO when it could not be started
     * (nothing is running then); GN_ERR_STATE when no slot is free.
     * local: a process runner is started without waiting for its exec (the
     * pid is known, started->pid is filled): a program that is missing or
     * not executable is GN_ERR_RUNNER here, but an exec that fails later
     * (a missing #! interpreter, ...) is a FAILED result from wait with
     * not_started set. On Linux a runner process is killed when the
     * *thread* that submitted it exits (PR_SET_PDEATHSIG), so submit from a
     * thread that outlives the attempts (normally the main thread). */
    gn_status (*submit)(void *state, const gn_task *task, gn_task_started *started, gn_err *err);
    /* Waits up to max_wait seconds (0: just poll) for finished attempts and
     * returns up to `cap` of them in out[] (caller-provided), count in *n.
     * Returns early as soon as at least one attempt finished, or when
     * *interrupt becomes non-zero (interrupt may be NULL). Output is read,
     * timeouts enforced and runners reaped only inside wait: call it
     * regularly while attempts run. Results come back in the order the
     * attempts ended. GN_ERR_NOMEM loses nothing: the result is returned
     * by a later wait. */
    gn_status (*wait)(void *state, double max_wait, volatile int *interrupt, gn_exec_result *out,
                      size_t cap, size_t *n, gn_err *err);
    /* Number of attempts running: submitted and whose result wait has not
     * returned yet. An attempt that ended keeps its slot until wait hands
     * out its result, so `running() == 0` means no result is pending. */
    size_t (*running)(void *state);
    /* Stops every running attempt: SIGTERM (process groups), then SIGKILL
     * after `grace` seconds. Their results (CANCELLED) come from wait.
     * Does not block: the SIGKILL is sent by wait, so keep calling wait
     * until running() is 0. An in-process call cannot be interrupted: its
     * result is CANCELLED when it returns. */
    void (*cancel_all)(void *state, double grace);
    /* Kills (SIGKILL) and reaps every runner still running; waits for
     * in-process calls still running to return. Batch executors leave
     * their jobs alone (cancel_all cancels them). */
    void (*destroy)(void *state);
    /* Re-attaches to an attempt that an earlier genesis process started and
     * that the store still records as running (`att`, with its job id or
     * job state): it counts as running from now on and its result comes
     * from wait like any other, exactly once. `task` describes it as submit
     * would have. GN_ERR_NOT_FOUND when there is nothing to re-attach to
     * (the job was never submitted): the caller records the attempt as
     * interrupted. NULL for executors whose attempts die with genesis. */
    gn_status (*adopt)(void *state, const gn_task *task, const gn_attempt_rec *att, gn_err *err);
    /* Hands out up to `cap` job changes noted since the last call (oldest
     * first), count returned; the rest wait for the next call. NULL for
     * executors without batch jobs. */
    size_t (*job_updates)(void *state, gn_exec_job_update *out, size_t cap);
} gn_executor_type;

typedef struct gn_executor gn_executor;

/* Creates the executor named by cfg->spec->executor.kind (NULL or "" is
 * "local"). GN_ERR_UNSUPPORTED for a kind not built in; the back end's
 * create errors otherwise (local: GN_ERR_SPEC without a runner,
 * GN_ERR_RUNNER when the runner library or its function cannot be loaded,
 * GN_ERR_INVALID for slots < 1 or no work_root). */
gn_status gn_executor_new(const gn_exec_config *cfg, gn_executor **out, gn_err *err);
size_t gn_executor_free_slots(gn_executor *e);
size_t gn_executor_running(gn_executor *e);
gn_status gn_executor_submit(gn_executor *e, const gn_task *task, gn_task_started *started, gn_err *err);
gn_status gn_executor_wait(gn_executor *e, double max_wait, volatile int *interrupt,
                           gn_exec_result *out, size_t cap, size_t *n, gn_err *err);
void gn_executor_cancel_all(gn_executor *e, double grace);
void gn_executor_free(gn_executor *e);
/* GN_ERR_UNSUPPORTED for executors without adopt. */
gn_status gn_executor_adopt(gn_executor *e, const gn_task *task, const gn_attempt_rec *att,
                            gn_err *err);
/* Job changes of running attempts since the last call (0 for executors
 * without batch jobs); see gn_executor_type.job_updates. */
size_t gn_executor_job_updates(gn_executor *e, gn_exec_job_update *out, size_t cap);
/* 1 when executor `kind` (NULL or "" is "local") can re-attach to attempts
 * a previous genesis process left running (its type has adopt). */
int gn_executor_kind_adopts(const char *kind);

extern const gn_executor_type gn_executor_local;
#ifdef GN_HAVE_MPI
/* Rank 0 of an MPI job hands attempts to worker ranks (exec/mpi.c,
 * docs/mpi.md). Slots: (ranks - 1) x executor.slots_per_rank, or
 * budget.parallel when that is given and smaller. The started record of an
 * attempt names the worker ("node7 rank 3") and has pid 0: the runner's
 * process lives on the worker, out of reach of gn_exec_kill_stale. */
extern const gn_executor_type gn_executor_mpi;
#endif
/* Slurm (exec/slurm.c, docs/slurm.md): each attempt a batch job, job
 * arrays for attempts started together, or job steps (srun) inside the
 * allocation genesis runs in. Jobs outlive genesis: adopt re-attaches. */
extern const gn_executor_type gn_executor_slurm;

/* Size of the MPI job this process belongs to once gn_mpi_rank has
 * initialised MPI; 1 otherwise (and in builds without MPI). */
int gn__mpi_job_size(void);

/* 1 when `host`, as recorded with an attempt (a host name, for MPI workers
 * followed by " rank N"), names this machine, or is NULL or empty (records
 * without a host). Resume only kills leftover runners on this machine: a
 * pid recorded on another host means nothing here. */
int gn_exec_host_is_local(const char *host);

/* Kills the process group `pid` if a process with that pid still exists and
 * started at `pid_start` (so a reused pid is never hit). Used on resume to
 * stop runners orphaned by a crashed genesis. Returns 1 if it sent a signal.
 * When the leader itself is gone (it dies with genesis, PR_SET_PDEATHSIG)
 * but live members of group `pid` that started no earlier than pid_start
 * remain (its background children), the group is killed too. pid <= 1 or
 * pid_start <= 0 never signals anything. */
int gn_exec_kill_stale(int64_t pid, int64_t pid_start);

#endif
