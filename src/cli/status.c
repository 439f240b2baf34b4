/*
 * cli/status.c - `genesis status [NAME]`: how a campaign (or each) stands.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis status [NAME] [--db PATH] [--json]\n"
    "\n"
    "Without NAME: one line per campaign. With NAME: the campaign's state,\n"
    "budget, experiment counts, planner, seed and best experiment.\n"
    "\n"
    "  --db PATH   database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --json      print JSON instead of text\n"
    "  -h, --help  this help\n";

static long count(json_t *counts, const char *k) { return (long)json_integer_value(json_object_get(counts, k)); }

int gn_cmd_status(int argc, char **argv)
{
    gn_cli_opts opt;
    const char *pos[1];
    int rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    char *text = NULL;
    json_t *o = NULL, *counts, *best;
    json_error_t jerr;
    gn_status st;

    if ((rc = gn_cli_parse("status", help, "dj", argc, argv, 0, 1, &opt, pos)) >= 0)
        return rc;
    if (!pos[0]) { /* no name: the list */
        char *args[] = {"list", NULL, NULL, NULL, NULL};
        int n = 1;
        if (opt.db) {
            args[n++] = "--db";
            args[n++] = (char *)opt.db;
        }
        if (opt.json)
            args[n++] = "--json";
        return gn_cmd_list(n, args);
    }
    rc = gn_cli_open("status", opt.db, pos[0], &db, &c);
    if (rc)
        return rc;
    st = gn_campaign_summary_json(c, &text);
    if (st != GN_OK) {
        gn_cli_error("status", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    if (opt.json) {
        printf("%s\n", text);
        goto out;
    }
    o = json_loads(text, 0, &jerr);
    counts = json_object_get(o, "counts");
    printf("campaign   %s (%s)\n", json_string_value(json_object_get(o, "name")),
           json_string_value(json_object_get(o, "state")));
    printf("progress   %ld of %ld experiments done: %ld completed, %ld failed; %ld running, %ld "
           "proposed, %ld abandoned\n",
           count(counts, "completed") + count(counts, "failed"),
           (long)json_integer_value(json_object_get(o, "budget")), count(counts, "completed"),
           count(counts, "failed"), count(counts, "running"), count(counts, "proposed"),
           count(counts, "abandoned"));
    printf("attempts   %ld\n", count(counts, "attempts"));
    printf("planner    %s (seed %s)\n", json_string_value(json_object_get(o, "planner")),
           json_string_value(json_object_get(o, "seed")));
    if (json_object_get(o, "spec_path"))
        printf("spec       %s\n", json_string_value(json_object_get(o, "spec_path")));
    printf("updated    %s\n", json_string_value(json_object_get(o, "updated")));
    best = json_object_get(o, "best");
    if (json_is_object(best))
        gn_cli_print_best(c);
    else
        printf("best       none yet\n");
out:
    json_decref(o);
    gn_string_free(text);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
