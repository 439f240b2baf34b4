/*
 * cli/suggest.c - `genesis suggest NAME [-n K]`: experiments for people to run.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
    "usage: genesis suggest NAME [-n K] [--db PATH] [--json]\n"
    "\n"
    "Proposes K new experiments (default 1) for a lab where people run them\n"
    "by hand, records them as proposed, and prints their parameters and the\n"
    "planner's prediction. Report each result with `genesis observe`.\n"
    "Fewer than K are proposed when the budget does not allow more.\n"
    "\n"
    "  -n K        how many experiments (1..1000)\n"
    "  --db PATH   database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --json      print a JSON array\n"
    "  -h, --help  this help\n";

int gn_cmd_suggest(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    long n = 1;
    int as_json = 0, opt, rc;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    int64_t *ids = NULL;
    double *x = NULL, *mean = NULL, *sd = NULL;
    size_t got = 0, i, j, p, m;
    gn_status st;
    char *end;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "hn:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1000) {
                gn_cli_error("suggest", "-n expects a whole number from 1 to 1000, got '%s'", optarg);
                return GN_EXIT_USAGE;
            }
            break;
        case 'j': as_json = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("suggest", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    p = gn_campaign_param_count(c);
    m = gn_campaign_objective_count(c);
    ids = calloc((size_t)n, sizeof *ids);
    x = calloc((size_t)n * p, sizeof *x);
    mean = calloc((size_t)n * m, sizeof *mean);
    sd = calloc((size_t)n * m, sizeof *sd);
    if (!ids || !x || !mean || !sd) {
        gn_cli_error("suggest", "out of memory");
        rc = GN_EXIT_ERROR;
        goto out;
    }
    st = gn_campaign_ask_new(c, (size_t)n, ids, x, mean, sd, &got);
    if (st != GN_OK) {
        gn_cli_error("suggest", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    if (got == 0 && !as_json) {
        printf("campaign %s has no budget left for new experiments\n", gn_campaign_name(c));
        goto out;
    }
    if (as_json)
        printf("[");
    for (i = 0; i < got; i++) {
        if (as_json)
            printf("%s{\"id\": %lld, \"parameters\": {", i ? ", " : "", (long long)ids[i]);
        else
            printf("experiment %lld:", (long long)ids[i]);
        for (j = 0; j < p; j++) {
            const char *name = gn_campaign_param_name(c, j);
            double v = x[i * p + j];
            if (gn_campaign_choice_count(c, j))
                printf(as_json ? "%s\"%s\": \"%s\"" : "%s %s=%s", as_json && j ? ", " : "", name,
                       gn_campaign_choice_label(c, j, (size_t)v));
            else
                printf(as_json ? "%s\"%s\": %.17g" : "%s %s=%.10g", as_json && j ? ", " : "", name, v);
        }
        if (as_json)
            printf("}");
        for (j = 0; j < m; j++) {
            double mu = mean[i * m + j], s = sd[i * m + j];
            if (isnan(mu))
                continue;
            printf(as_json ? ", \"predicted_%s\": {\"mean\": %.17g, \"sd\": %.17g}"
                           : "   (predicted %s = %.4g +- %.2g)",
                   gn_campaign_objective_name(c, j), mu, s);
        }
        printf(as_json ? "}" : "\n");
    }
    if (as_json)
        printf("]\n");
    else
        printf("record results with: genesis observe %s ID %s=VALUE ...\n", gn_campaign_name(c),
               gn_campaign_objective_name(c, 0));
out:
    free(ids);
    free(x);
    free(mean);
    free(sd);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
