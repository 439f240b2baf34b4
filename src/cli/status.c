/*
 * cli/status.c - `genesis status [NAME]`: how a campaign (or each) stands.
 */
#include <getopt.h>
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
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    int as_json = 0, opt, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    char *text = NULL;
    json_t *o = NULL, *counts, *best;
    json_error_t jerr;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind == argc) {
        char *args[] = {"list", NULL, NULL, NULL, NULL};
        int n = 1;
        if (db_path) {
            args[n++] = "--db";
            args[n++] = (char *)db_path;
        }
        if (as_json)
            args[n++] = "--json";
        return gn_cmd_list(n, args);
    }
    if (optind != argc - 1) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("status", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    st = gn_campaign_summary_json(c, &text);
    if (st != GN_OK) {
        gn_cli_error("status", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    if (as_json) {
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
