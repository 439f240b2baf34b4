/*
 * genesis/slurm.h - the worker side of `executor: {kind: slurm, mode:
 * pilot}` with `launch: workers` (docs/slurm.md).
 *
 * In that launch, genesis starts long-lived job steps inside its own
 * allocation, one per slot:
 *     srun --exact -n1 -N1 [-c C] --quiet [step_args] GENESIS pilot-worker
 * Each step runs gn_slurm_worker_run on its stdin and stdout, which srun
 * connects to the controlling genesis. The worker receives the campaign's
 * spec and then one attempt at a time, runs each with the spec's runner on
 * its node (the runner contract of docs/runner.md: environment, working
 * folder, output tails, outcome, runner.timeout, killing the process
 * group), and sends back each result. It never opens the database.
 *
 * `genesis pilot-worker` is that call; a program embedding Genesis that
 * wants to be its own worker calls it the same way. Which program the
 * controller starts: $GENESIS_BIN when set; otherwise the running program
 * when it is named `genesis`; otherwise `genesis` from $PATH.
 */
#ifndef GENESIS_SLURM_H
#define GENESIS_SLURM_H

#include <stddef.h>

#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs a pilot worker on in_fd (messages from the controller) and out_fd
 * (messages to it) until in_fd ends (the controller closed it or died), or
 * SIGTERM/SIGINT arrive: then kills the running runner (its process
 * group) and returns GN_OK. Anything the process writes to fd 1 other than
 * through out_fd would corrupt the stream: when out_fd is 1, it is moved
 * to a private descriptor and fd 1 is pointed at fd 2. On failure (a
 * malformed message, the spec or runner cannot be set up) returns the
 * status, tells the controller when it can, and writes the reason to
 * errbuf (errlen bytes, may be 0). */
GN_API gn_status gn_slurm_worker_run(int in_fd, int out_fd, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
