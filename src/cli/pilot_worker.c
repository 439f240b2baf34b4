/*
 * cli/pilot_worker.c - `genesis pilot-worker`: the worker of Slurm pilot
 * mode with launch workers (genesis/slurm.h, docs/slurm.md). Not listed in
 * `genesis --help`: genesis starts it in its own job steps; it speaks the
 * worker protocol on stdin/stdout, not to a person.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "genesis/slurm.h"

int gn_cmd_pilot_worker(int argc, char **argv)
{
    char msg[1024] = "";
    gn_status st;

    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs("usage: genesis pilot-worker\n"
              "  Runs attempts for a genesis controller over stdin/stdout. Genesis starts it\n"
              "  itself, as job steps of executor slurm mode pilot (launch: workers);\n"
              "  see docs/slurm.md.\n",
              stdout);
        return GN_EXIT_OK;
    }
    if (argc > 1) {
        gn_cli_error("pilot-worker", "takes no arguments");
        return GN_EXIT_USAGE;
    }
    st = gn_slurm_worker_run(0, 1, msg, sizeof msg);
    if (st != GN_OK) {
        gn_cli_error("pilot-worker", "%s", msg);
        return gn_cli_exit_code(st);
    }
    return GN_EXIT_OK;
}
