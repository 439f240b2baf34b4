/*
 * genesis/mpi.h - running a campaign across the ranks of an MPI job.
 *
 * With `executor: {kind: mpi}` a campaign runs under `mpirun -n N` (or
 * `srun -n N`): rank 0 plans, owns the database and runs gn_campaign_run;
 * ranks 1 to N-1 are workers that run the experiments (docs/mpi.md). A
 * program that embeds Genesis does what `genesis run` does:
 *
 *     int rank = gn_mpi_rank();          // every rank, before anything else
 *     if (rank != 0) {                   // a worker (or MPI failed: -1)
 *         char msg[1024];
 *         gn_status st = gn_mpi_worker_run(msg, sizeof msg);
 *         gn_mpi_finalize();
 *         return st == GN_OK ? 0 : 1;
 *     }
 *     ... gn_db_open, gn_campaign_create or _open, gn_campaign_run ...
 *     gn_mpi_finalize();                 // releases the workers
 *
 * Workers never read the spec file or open the database: rank 0 sends them
 * the campaign's spec text, name and work folder when gn_campaign_run
 * starts, so `run SPEC` and `resume NAME` work alike, and the database is
 * only ever opened by one process (SQLite must not be shared by N ranks,
 * least of all over a network file system).
 *
 * Threads: call these from the main thread (MPI_THREAD_FUNNELED).
 */
#ifndef GENESIS_MPI_H
#define GENESIS_MPI_H

#include <stddef.h>

#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* This process's rank in its MPI job; 0 when it was not started by an MPI
 * launcher. The launcher is recognised by its environment
 * (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK) before MPI is touched, so a
 * plain `genesis run` never initialises MPI. Under a launcher, the first
 * call initialises MPI (MPI_Init_thread, MPI_THREAD_FUNNELED, unless the
 * program did already) and duplicates MPI_COMM_WORLD for Genesis's own
 * messages: that is collective, so every rank must call it, first.
 * Returns -1 when MPI could not be initialised. In a build without MPI it
 * returns the launcher's rank from the environment (so that only rank 0
 * opens the database) and gn_mpi_worker_run says MPI is missing. */
GN_API int gn_mpi_rank(void);

/* Number of ranks in the job (1 when not under MPI). */
GN_API int gn_mpi_size(void);

/* The worker side, for ranks other than 0: waits for rank 0 to start a
 * campaign, runs the experiments rank 0 sends with the spec's runner
 * (process or library) on this node, up to executor.slots_per_rank at
 * once, reports each result, and returns when rank 0 calls
 * gn_mpi_finalize. SIGINT and SIGTERM are ignored meanwhile: rank 0 decides
 * when experiments stop. On failure (not under MPI, rank 0, a broken
 * message) returns the status and writes the reason to errbuf (errlen
 * bytes, may be 0). A runner that cannot be loaded is reported to rank 0,
 * whose gn_campaign_run fails with the reason; the worker goes on waiting. */
GN_API gn_status gn_mpi_worker_run(char *errbuf, size_t errlen);

/* Ends Genesis's use of MPI: on rank 0 tells every worker to return from
 * gn_mpi_worker_run; then finalizes MPI if gn_mpi_rank initialised it.
 * Call it on every rank before exit, also after errors (else the workers
 * wait forever). Without MPI, or called twice, it does nothing. */
GN_API void gn_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
