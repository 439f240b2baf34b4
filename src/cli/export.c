/*
 * cli/export.c - `genesis export NAME --format csv|json [-o FILE]`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis export NAME [--format csv|json|hdf5] [-o FILE] [--db PATH]\n"
    "\n"
    "Writes the campaign and all its experiments.\n"
    "  json: {\"campaign\": {...}, \"experiments\": [{\"id\", \"status\",\n"
    "        \"parameters\": {...}, \"outcome\": {...}, \"prediction\": {...},\n"
    "        \"attempts\", \"origin\", \"created\", \"updated\"}, ...]}\n"
    "  csv:  one row per experiment: id, status, parameters, outcomes,\n"
    "        pred_<objective>_mean/_sd, attempts\n"
    "  hdf5: compound dataset 'experiments' (number, status, parameters,\n"
    "        outcomes) with the campaign's metadata as attributes; needs -o\n"
    "\n"
    "  --format F     csv, json or hdf5 (default json)\n"
    "  -o, --output F write to file F instead of standard output\n"
    "  --db PATH      database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  -h, --help     this help\n";

int gn_cmd_export(int argc, char **argv)
{
    gn_cli_opts o;
    const char *pos[1], *format, *path;
    int rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    FILE *out = stdout;
    gn_status st;

    if ((rc = gn_cli_parse("export", help, "dfo", argc, argv, 1, 1, &o, pos)) >= 0)
        return rc;
    format = o.format ? o.format : "json";
    path = o.output;
    if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "hdf5")) {
        gn_cli_error("export", "--format expects csv or json (or hdf5 with -o), got '%s'", format);
        return GN_EXIT_USAGE;
    }
    if (!strcmp(format, "hdf5") && (!path || !strcmp(path, "-"))) {
        gn_cli_error("export", "--format hdf5 needs -o FILE");
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("export", o.db, pos[0], &db, &c);
    if (rc)
        return rc;
    if (!strcmp(format, "hdf5")) {
        st = gn_campaign_export_hdf5(c, path);
        if (st != GN_OK) {
            gn_cli_error("export", "%s", gn_campaign_errmsg(c));
            rc = gn_cli_exit_code(st);
        }
        out = NULL;
        goto out;
    }
    if (path && !(out = fopen(path, "w"))) {
        gn_cli_error("export", "cannot write %s: %s", path, strerror(errno));
        rc = GN_EXIT_ERROR;
        goto out;
    }
    st = gn_campaign_export(c, format, out);
    if (st != GN_OK) {
        gn_cli_error("export", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
    }
    if (fflush(out) != 0 && rc == 0) {
        gn_cli_error("export", "cannot write: %s", strerror(errno));
        rc = GN_EXIT_ERROR;
    }
out:
    if (out && out != stdout)
        fclose(out);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
