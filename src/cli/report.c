/*
 * cli/report.c - `genesis report NAME -o FILE [--format html|md|json]`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis report NAME -o FILE [--format html|md|json] [--db PATH]\n"
    "\n"
    "Writes a report of what the campaign has taught:\n"
    "  html: one self-contained page (no scripts, no external resources;\n"
    "        opens offline and prints): summary, best experiments, convergence\n"
    "        plot, parameter importance with error bars, partial-dependence\n"
    "        plots, calibration of the predictions, failures, provenance\n"
    "  md:   the same content as Markdown tables (the plots are in the HTML)\n"
    "  json: the analysis numbers (as `genesis analyse --json`)\n"
    "docs/analyse.md defines every number.\n"
    "\n"
    "  -o, --output FILE  the report file (replaced if it exists)\n"
    "  --format F         html (default), md or json\n"
    "  --db PATH          database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  -h, --help         this help\n";

int gn_cmd_report(int argc, char **argv)
{
    gn_cli_opts o;
    const char *pos[1], *format, *path;
    int rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    gn_status st;

    if ((rc = gn_cli_parse("report", help, "dfo", argc, argv, 1, 1, &o, pos)) >= 0)
        return rc;
    format = o.format ? o.format : "html";
    path = o.output;
    if (!path || !*path) {
        gn_cli_error("report", "-o FILE is required (where to write the report)");
        return GN_EXIT_USAGE;
    }
    if (strcmp(format, "html") && strcmp(format, "md") && strcmp(format, "json")) {
        gn_cli_error("report", "--format expects html, md or json, got '%s'", format);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("report", o.db, pos[0], &db, &c);
    if (rc)
        return rc;
    st = gn_campaign_report(c, format, path);
    if (st != GN_OK) {
        gn_cli_error("report", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
    } else {
        printf("report written to %s\n", path);
    }
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
