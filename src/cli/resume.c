/*
 * cli/resume.c - `genesis resume NAME`: continue a campaign.
 */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
    "usage: genesis resume NAME [--db PATH] [--grace SECONDS] [--leave-jobs] [--quiet]\n"
    "\n"
    "Continues campaign NAME where it stands: experiments that were running\n"
    "when genesis stopped (Ctrl-C, a crash, a kill) are rerun in a fresh\n"
    "directory and their leftover processes stopped; completed experiments\n"
    "are never run again. Runs until the budget is done.\n"
    "\n"
    "  --db PATH        database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --grace SECONDS  after Ctrl-C, how long running experiments may finish (default 10)\n"
    "  --leave-jobs     executor slurm: when stopped, leave the experiments' Slurm\n"
    "                   jobs running (`genesis resume` re-attaches to them)\n"
    "                   instead of cancelling them\n"
    "  --quiet          no progress or log lines\n"
    "  -h, --help       this help\n"
    "\n"
    "Under `mpirun -n N` or `srun -n N` with `executor: {kind: mpi}` in the spec,\n"
    "rank 0 runs the campaign and ranks 1 to N-1 run its experiments (docs/mpi.md).\n";

static int resume_campaign(int argc, char **argv)
{
    const char *db_path;
    double grace;
    int quiet, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;

    rc = gn_cli_run_options("resume", help, argc, argv, &db_path, &grace, &quiet);
    if (rc >= 0)
        return rc;
    rc = gn_cli_open("resume", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    rc = gn_cli_run_campaign("resume", db, c, grace, quiet);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}

/* Under mpirun / srun every rank runs this command: rank 0 continues the
 * campaign (and alone opens the database), the other ranks are workers
 * that rank 0 feeds (docs/mpi.md). */
int gn_cmd_resume(int argc, char **argv)
{
    return gn_cli_with_mpi_ranks("resume", resume_campaign, argc, argv);
}
