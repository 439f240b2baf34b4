/*
 * cli/resume.c - `genesis resume NAME`: continue a campaign.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
    "usage: genesis resume NAME [--db PATH] [--grace SECONDS] [--quiet]\n"
    "\n"
    "Continues campaign NAME where it stands: experiments that were running\n"
    "when genesis stopped (Ctrl-C, a crash, a kill) are rerun in a fresh\n"
    "directory and their leftover processes stopped; completed experiments\n"
    "are never run again. Runs until the budget is done.\n"
    "\n"
    "  --db PATH        database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --grace SECONDS  after Ctrl-C, how long running experiments may finish (default 10)\n"
    "  --quiet          no progress or log lines\n"
    "  -h, --help       this help\n";

int gn_cmd_resume(int argc, char **argv)
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
    char *end;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'g':
            grace = strtod(optarg, &end);
            if (*end || grace < 0) {
                gn_cli_error("resume", "--grace expects a number of seconds >= 0, got '%s'", optarg);
                return GN_EXIT_USAGE;
            }
            if (grace == 0)
                grace = -1;
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("resume", "expected one campaign name");
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("resume", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    rc = gn_cli_run_campaign("resume", db, c, grace, quiet);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
