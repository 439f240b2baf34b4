/*
 * exec/pilot.h - Slurm pilot mode with `launch: workers`: long-lived job
 * steps that each run attempts with a local executor (exec/pilot.c,
 * docs/slurm.md).
 *
 * An executor type driven by exec/slurm.c in pilot mode. create starts
 * cfg->slots steps `srun --exact -n1 -N1 [--cpus-per-task=C] --quiet
 * [step_args] <genesis> pilot-worker` inside the allocation ($SLURM_JOB_ID)
 * and sends each the spec; submit sends an attempt to an idle worker over
 * the step's stdin; wait reads results from the steps' stdout. A worker
 * that dies (scancel of its step, its node fails) returns its attempt as a
 * FAILED result with the reason and is started again; one that never came
 * up is dropped, and its attempt comes back with not_started set (the
 * campaign stops with the reason). Attempts die with genesis: no adopt.
 */
#ifndef GN_EXEC_PILOT_H
#define GN_EXEC_PILOT_H

#include "exec/executor.h"

extern const gn_executor_type gn__executor_pilot_workers;

/* The genesis program the workers run (gn_free): $GENESIS_BIN, else this
 * program when it is named genesis, else `genesis` from $PATH. NULL with
 * err set (GN_ERR_UNSUPPORTED) when none is found. */
char *gn__pilot_worker_program(gn_err *err);

#endif
