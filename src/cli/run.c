/*
 * cli/run.c - `genesis run SPEC`: create a campaign and run it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
    "usage: genesis run SPEC [--db PATH] [--grace SECONDS] [--quiet]\n"
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
    "  --quiet          no progress or log lines\n"
    "  -h, --help       this help\n"
    "\n"
    "Attempts run in <database>.runs/<campaign>/<experiment>/<attempt>/.\n";

int gn_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"grace", required_argument, NULL, 'g'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    double grace = 10.0;
    int quiet = 0, opt, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    gn_status st;
    char *end;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'g':
            grace = strtod(optarg, &end);
            if (*end || grace < 0) {
                gn_cli_error("run", "--grace expects a number of seconds >= 0, got '%s'", optarg);
                return GN_EXIT_USAGE;
            }
            if (grace == 0)
                grace = -1; /* stop at once */
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("run", "expected one spec file");
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
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
