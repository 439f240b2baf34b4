/*
 * cli/observe.c - `genesis observe NAME ID key=value...`: a result by hand.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis observe NAME ID KEY=VALUE... [--db PATH]\n"
    "       genesis observe NAME ID --failed REASON [--db PATH]\n"
    "\n"
    "Records the outcome of experiment ID (from `genesis suggest`): every\n"
    "objective and outcome constraint of the spec must be given, as numbers;\n"
    "other keys are kept as extra metrics. With --failed, records that the\n"
    "experiment failed. An experiment has one outcome: observing it twice is\n"
    "refused (exit 5) and nothing is changed.\n"
    "\n"
    "  --failed REASON  the experiment failed, for this reason\n"
    "  --db PATH        database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  -h, --help       this help\n";

int gn_cmd_observe(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"failed", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL, *failed = NULL;
    int opt, rc, i, n;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    const char **names = NULL;
    double *values = NULL;
    char **keys = NULL;
    long long id;
    char *end;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'f': failed = optarg; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    /* options may also follow the positional words */
    n = argc - optind;
    if (n < 2) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    id = strtoll(argv[optind + 1], &end, 10);
    if (*end || id <= 0) {
        gn_cli_error("observe", "experiment ID must be a positive whole number, got '%s'", argv[optind + 1]);
        return GN_EXIT_USAGE;
    }
    n -= 2;
    names = calloc((size_t)n + 1, sizeof *names);
    values = calloc((size_t)n + 1, sizeof *values);
    keys = calloc((size_t)n + 1, sizeof *keys);
    if (!names || !values || !keys) {
        rc = GN_EXIT_ERROR;
        goto out;
    }
    {
        int k = 0;
        for (i = 0; i < n; i++) {
            char *arg = argv[optind + 2 + i], *eq;
            if (!strcmp(arg, "--db") && i + 1 < n) {
                db_path = argv[optind + 2 + ++i];
                continue;
            }
            if (!strcmp(arg, "--failed") && i + 1 < n) {
                failed = argv[optind + 2 + ++i];
                continue;
            }
            eq = strchr(arg, '=');
            if (!eq || eq == arg) {
                gn_cli_error("observe", "expected KEY=VALUE, got '%s'", arg);
                rc = GN_EXIT_USAGE;
                goto out;
            }
            keys[k] = strndup(arg, (size_t)(eq - arg));
            values[k] = strtod(eq + 1, &end);
            if (!keys[k] || end == eq + 1 || *end || !isfinite(values[k])) {
                gn_cli_error("observe", "'%s': the value of %s must be a finite number", arg,
                             keys[k] ? keys[k] : "?");
                free(keys[k]);
                keys[k] = NULL;
                rc = GN_EXIT_USAGE;
                goto out;
            }
            names[k] = keys[k];
            k++;
        }
        n = k;
    }
    if (failed && n > 0) {
        gn_cli_error("observe", "give either --failed or KEY=VALUE outcomes, not both");
        rc = GN_EXIT_USAGE;
        goto out;
    }
    if (!failed && n == 0) {
        gn_cli_error("observe", "no outcomes given: expected KEY=VALUE... or --failed REASON");
        rc = GN_EXIT_USAGE;
        goto out;
    }
    rc = gn_cli_open("observe", db_path, argv[optind], &db, &c);
    if (rc)
        goto out;
    st = failed ? gn_campaign_tell_failure(c, id, failed) : gn_campaign_tell(c, id, (size_t)n, names, values);
    if (st != GN_OK) {
        gn_cli_error("observe", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    printf("recorded experiment %lld of %s as %s\n", id, gn_campaign_name(c), failed ? "failed" : "completed");
out:
    if (keys)
        for (i = 0; i < n; i++)
            free(keys[i]);
    free(keys);
    free(names);
    free(values);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
