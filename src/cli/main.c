/*
 * cli/main.c - the `genesis` command: dispatch to one file per subcommand.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: genesis <command> [options]\n"
    "\n"
    "Genesis plans experiments, runs them and records every result.\n"
    "\n"
    "commands:\n"
    "  run SPEC          create a campaign from a spec file and run it to its budget\n"
    "  resume NAME       continue a stopped or crashed campaign\n"
    "  status [NAME]     progress of one campaign, or of all\n"
    "  list              all campaigns in the database\n"
    "  show NAME         the experiments of a campaign as a table\n"
    "  export NAME       the campaign and its experiments as CSV or JSON\n"
    "  suggest NAME      propose experiments to run by hand\n"
    "  observe NAME ID   record the outcome of an experiment run by hand\n"
    "  analyse NAME      importance, calibration, convergence, when to stop\n"
    "  report NAME       a report with plots (HTML, Markdown or JSON)\n"
    "  data SUBCOMMAND   datasets: add, list, show, export, archive\n"
    "  serve             the HTTP(S) service: ask/tell for robots and remote sites\n"
    "  user SUBCOMMAND   users of genesis serve: add, list, disable, enable\n"
    "  project SUBCOMMAND  projects and members: add, list, member\n"
    "  token SUBCOMMAND  API tokens: create, list, revoke\n"
    "  audit SUBCOMMAND  the audit log: verify, list\n"
    "\n"
    "Every command takes --db PATH (default: $GENESIS_DB, else ./genesis.db)\n"
    "and --help.\n"
    "\n"
    "exit status: 0 ok, 1 error, 2 usage, 3 invalid spec or data file, 4 not found,\n"
    "             5 conflict (exists already / not in that state), 130 interrupted\n";

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"run", gn_cmd_run},         {"resume", gn_cmd_resume}, {"status", gn_cmd_status},
                {"list", gn_cmd_list},       {"show", gn_cmd_show},     {"export", gn_cmd_export},
                {"suggest", gn_cmd_suggest}, {"observe", gn_cmd_observe},
                {"analyse", gn_cmd_analyse}, {"report", gn_cmd_report},
                {"data", gn_cmd_data},       {"serve", gn_cmd_serve},
                {"user", gn_cmd_user},       {"project", gn_cmd_project},
                {"token", gn_cmd_token},     {"audit", gn_cmd_audit},
                {"pilot-worker", gn_cmd_pilot_worker}}; /* hidden: started by genesis itself */
    size_t i;

    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fputs(usage, stderr);
        return GN_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return GN_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("genesis %s\n", gn_version());
        return GN_EXIT_OK;
    }
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "genesis: unknown command '%s'\n\n%s", argv[1], usage);
    return GN_EXIT_USAGE;
}
