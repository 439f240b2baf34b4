/*
 * cli/list.c - `genesis list`: the campaigns in a database.
 */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
    "usage: genesis list [--db PATH] [--json]\n"
    "\n"
    "Lists the campaigns in the database: name, state, experiments done of\n"
    "the budget, failed, running, and when it last changed.\n"
    "\n"
    "  --db PATH   database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --json      print JSON instead of a table\n"
    "  -h, --help  this help\n";

static long num(json_t *o, const char *k) { return (long)json_integer_value(json_object_get(o, k)); }

int gn_cmd_list(int argc, char **argv)
{
    gn_cli_opts opt;
    const char *pos[1];
    int rc;
    gn_db *db = NULL;
    char *text = NULL;
    json_t *arr = NULL, *o;
    json_error_t jerr;
    size_t i;
    gn_status st;

    if ((rc = gn_cli_parse("list", help, "dj", argc, argv, 0, 0, &opt, pos)) >= 0)
        return rc;
    rc = gn_cli_open("list", opt.db, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_db_campaigns_json(db, &text);
    if (st != GN_OK) {
        gn_cli_error("list", "%s", gn_db_errmsg(db));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    if (opt.json) {
        printf("%s\n", text);
        goto out;
    }
    arr = json_loads(text, 0, &jerr);
    if (json_array_size(arr) == 0) {
        printf("no campaigns in %s\n", gn_db_path(db));
        goto out;
    }
    printf("%-24s %-10s %12s %7s %8s\n", "NAME", "STATE", "DONE/BUDGET", "FAILED", "RUNNING");
    json_array_foreach(arr, i, o)
    {
        char done[32];
        snprintf(done, sizeof done, "%ld/%ld", num(o, "completed") + num(o, "failed"), num(o, "budget"));
        printf("%-24s %-10s %12s %7ld %8ld\n", json_string_value(json_object_get(o, "name")),
               json_string_value(json_object_get(o, "state")), done, num(o, "failed"), num(o, "running"));
    }
out:
    json_decref(arr);
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}
