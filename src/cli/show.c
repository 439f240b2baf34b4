/*
 * cli/show.c - `genesis show NAME [ID]`: experiments as a table, or one
 * experiment with its attempts.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis show NAME [ID] [--db PATH] [--status STATUS] [--json]\n"
    "\n"
    "Without ID: a table of the campaign's experiments (id, status,\n"
    "parameters, objectives, attempts). With ID: that experiment in full, with\n"
    "every attempt (exit status, duration, host, reason, output tails).\n"
    "\n"
    "  --db PATH        database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --status STATUS  only experiments with this status (proposed, running,\n"
    "                   completed, failed, abandoned)\n"
    "  --json           print JSON\n"
    "  -h, --help       this help\n";

static void print_value(json_t *v, int width)
{
    char buf[64];
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, sizeof buf, "%.6g", json_real_value(v));
    else if (json_is_string(v))
        snprintf(buf, sizeof buf, "%s", json_string_value(v));
    else
        snprintf(buf, sizeof buf, "-");
    printf(" %*s", width, buf);
}

static int show_one(gn_campaign *c, const char *id_text, int as_json)
{
    char *end, *text = NULL;
    long long id = strtoll(id_text, &end, 10);
    gn_status st;

    if (*end || id <= 0) {
        gn_cli_error("show", "experiment ID must be a positive whole number, got '%s'", id_text);
        return GN_EXIT_USAGE;
    }
    st = gn_campaign_experiment_json(c, id, &text);
    if (st != GN_OK) {
        gn_cli_error("show", "%s", gn_campaign_errmsg(c));
        return gn_cli_exit_code(st);
    }
    (void)as_json; /* one experiment is shown as JSON either way: it nests */
    printf("%s\n", text);
    gn_string_free(text);
    return GN_EXIT_OK;
}

int gn_cmd_show(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"status", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL, *status = NULL;
    int as_json = 0, opt, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    char *buf = NULL;
    size_t len = 0, i, j, shown = 0;
    FILE *mem;
    json_t *root = NULL, *exps, *e;
    json_error_t jerr;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 's': status = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 && optind != argc - 2) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    if (status && strcmp(status, "proposed") && strcmp(status, "running") && strcmp(status, "completed") &&
        strcmp(status, "failed") && strcmp(status, "abandoned")) {
        gn_cli_error("show", "--status expects proposed, running, completed, failed or abandoned, got '%s'",
                     status);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("show", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    if (optind == argc - 2) {
        rc = show_one(c, argv[optind + 1], as_json);
        goto out;
    }
    mem = open_memstream(&buf, &len);
    if (!mem) {
        gn_cli_error("show", "out of memory");
        rc = GN_EXIT_ERROR;
        goto out;
    }
    st = gn_campaign_export(c, "json", mem);
    fclose(mem);
    if (st != GN_OK) {
        gn_cli_error("show", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    root = json_loadb(buf, len, 0, &jerr);
    exps = json_object_get(root, "experiments");
    if (as_json) {
        json_t *sel = json_array();
        json_array_foreach(exps, i, e)
        {
            if (!status || !strcmp(status, json_string_value(json_object_get(e, "status"))))
                json_array_append(sel, e);
        }
        json_dumpf(sel, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        printf("\n");
        json_decref(sel);
        goto out;
    }
    printf("%5s %-10s", "ID", "STATUS");
    for (j = 0; j < gn_campaign_param_count(c); j++)
        printf(" %12.12s", gn_campaign_param_name(c, j));
    for (j = 0; j < gn_campaign_objective_count(c); j++)
        printf(" %12.12s", gn_campaign_objective_name(c, j));
    printf(" %8s\n", "ATTEMPTS");
    json_array_foreach(exps, i, e)
    {
        json_t *p = json_object_get(e, "parameters"), *o = json_object_get(e, "outcome");
        const char *s = json_string_value(json_object_get(e, "status"));
        if (status && strcmp(status, s))
            continue;
        printf("%5lld %-10s", (long long)json_integer_value(json_object_get(e, "id")), s);
        for (j = 0; j < gn_campaign_param_count(c); j++)
            print_value(json_object_get(p, gn_campaign_param_name(c, j)), 12);
        for (j = 0; j < gn_campaign_objective_count(c); j++)
            print_value(json_object_get(o, gn_campaign_objective_name(c, j)), 12);
        printf(" %8lld\n", (long long)json_integer_value(json_object_get(e, "attempts")));
        shown++;
    }
    if (shown == 0)
        printf("(no experiments%s%s)\n", status ? " with status " : "", status ? status : "");
out:
    json_decref(root);
    free(buf);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
