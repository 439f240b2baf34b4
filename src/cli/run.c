/*
 * cli/run.c - `genesis run SPEC`: create a campaign and run it.
 */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
    "usage: genesis run SPEC [--db PATH] [--grace SECONDS] [--leave-jobs] [--quiet]\n"
    "\n"
    "Creates the campaign described by SPEC (YAML or JSON) and runs it until\n"
    "its budget of experiments is done. If the database already holds a\n"
    "campaign of that name with the same spec, it is continued (as with\n"
    "`genesis resume`); with a different spec, run refuses (exit 5).\n"
    "\n"
    "  --db PATH        database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --grace SECONDS  after Ctrl-C, how long running experiments may finish\n"
    "                   before they are stopped (default 10); Ctrl-C twice\n"
    "                   stops them at once\n"
    "  --leave-jobs     executor slurm: when stopped, leave the experiments' Slurm\n"
    "                   jobs running (`genesis resume` re-attaches to them)\n"
    "                   instead of cancelling them\n"
    "  --quiet          no progress or log lines\n"
    "  -h, --help       this help\n"
    "\n"
    "Attempts run in <database>.runs/<campaign>/<experiment>/<attempt>/.\n"
    "\n"
    "Under `mpirun -n N` or `srun -n N` with `executor: {kind: mpi}` in the spec,\n"
    "rank 0 runs the campaign and ranks 1 to N-1 run its experiments (docs/mpi.md).\n";

static int run_campaign(int argc, char **argv)
{
    const char *db_path;
    double grace;
    int quiet, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    gn_status st;

    rc = gn_cli_run_options("run", help, argc, argv, &db_path, &grace, &quiet);
    if (rc >= 0)
        return rc;
    rc = gn_cli_open("run", db_path, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_campaign_create(db, argv[optind], &c);
    if (st != GN_OK) {
        fprintf(stderr, "genesis run: %s\n", gn_db_errmsg(db));
        gn_db_close(db);
        return gn_cli_exit_code(st);
    }
    rc = gn_cli_run_campaign("run", db, c, grace, quiet);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}

/* Under mpirun / srun every rank runs this command: rank 0 creates and runs the
 * campaign (and alone opens the database), the other ranks are workers
 * that rank 0 feeds (docs/mpi.md). */
int gn_cmd_run(int argc, char **argv)
{
    return gn_cli_with_mpi_ranks("run", run_campaign, argc, argv);
}
