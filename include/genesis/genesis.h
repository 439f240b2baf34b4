/*
 * genesis/genesis.h - the Genesis C API in one include.
 *
 * status.h    gn_status and gn_status_str
 * campaign.h  databases, campaigns, ask/tell, run, export
 * runner.h    the signature of in-process (library) runners
 * analyse.h   what a campaign taught: analysis and reports
 * dataset.h   datasets: import, list, show, export, archive
 * mpi.h       running a campaign across the ranks of an MPI job
 * slurm.h     the worker of Slurm pilot mode (`genesis pilot-worker`)
 * serve.h     the HTTP service (`genesis serve`)
 * identity.h  users, projects, roles, API tokens, the audit log
 */
#ifndef GENESIS_GENESIS_H
#define GENESIS_GENESIS_H

#include "genesis/status.h"
#include "genesis/campaign.h"
#include "genesis/runner.h"
#include "genesis/analyse.h"
#include "genesis/dataset.h"
#include "genesis/mpi.h"
#include "genesis/slurm.h"
#include "genesis/serve.h"
#include "genesis/identity.h"

#define GENESIS_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif
/* The library's version, "0.1.0". */
GN_API const char *gn_version(void);
#ifdef __cplusplus
}
#endif
#endif
