/*
 * cli/analyse.c - `genesis analyse NAME [--json]`: what the campaign has
 * taught, in the terminal (the numbers of gn_campaign_analyse_json).
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis analyse NAME [--db PATH] [--json]\n"
    "\n"
    "Analyses the campaign's experiments and prints, per objective:\n"
    "  - parameter importance: total and first-order Sobol' indices of a\n"
    "    Gaussian-process surrogate (with bootstrap standard errors) and the\n"
    "    importance from its ARD lengthscales;\n"
    "  - calibration of the planner's stored predictions: coverage of the\n"
    "    68% and 95% intervals, standardised errors, mean absolute error;\n"
    "  - convergence: best so far against the expected best of random search;\n"
    "  - a stopping suggestion from the expected improvement of one more\n"
    "    experiment.\n"
    "`genesis report` writes the same with plots; docs/analyse.md defines\n"
    "every number.\n"
    "\n"
    "  --db PATH   database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --json      print the analysis as JSON\n"
    "  -h, --help  this help\n";

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void pm(double v, double se)
{
    if (isfinite(v))
        printf("  %6.3f \302\261 %-5.3f", v, isfinite(se) ? se : 0.0);
    else
        printf("  %14s", "n/a");
}

static void bar(double v)
{
    int i, n = isfinite(v) ? (int)lround(fmax(0.0, fmin(1.0, v)) * 20) : 0;
    printf("  ");
    for (i = 0; i < 20; i++)
        fputs(i < n ? "\342\226\210" : "\302\267", stdout);
}

static void print_objective(json_t *ob)
{
    json_t *best = json_object_get(ob, "best"), *conv = json_object_get(ob, "convergence");
    json_t *imp = json_object_get(ob, "importance"), *cal = json_object_get(ob, "calibration");
    json_t *stop = json_object_get(ob, "stopping"), *bs, *rs, *e;
    size_t n, i, k;

    printf("\nobjective %s (%s)\n", json_string_value(json_object_get(ob, "name")),
           json_string_value(json_object_get(ob, "goal")));
    if (json_is_object(best))
        printf("  best: %.6g (experiment %lld)\n", num(best, "value"),
               (long long)json_integer_value(json_object_get(best, "experiment")));
    else
        printf("  best: none yet (no feasible completed experiment)\n");

    bs = json_object_get(conv, "best_so_far");
    rs = json_object_get(conv, "random_search_expected");
    n = json_array_size(bs);
    if (n) {
        printf("  convergence (best so far | expected best of random search from the same values):\n");
        for (k = 1; k <= 4; k++) {
            i = (n * k + 3) / 4;
            if (i == 0 || (k > 1 && i == (n * (k - 1) + 3) / 4))
                continue;
            printf("    after %5zu experiments: %12.6g | %12.6g\n", i,
                   json_is_number(json_array_get(bs, i - 1)) ? json_number_value(json_array_get(bs, i - 1)) : NAN,
                   json_is_number(json_array_get(rs, i - 1)) ? json_number_value(json_array_get(rs, i - 1)) : NAN);
        }
    }

    if (!json_is_object(imp)) {
        printf("  importance: no model (%s)\n", json_string_value(json_object_get(ob, "model_note")));
    } else {
        json_t *model = json_object_get(ob, "model");
        printf("  importance (GP on %lld experiments; Sobol' indices of its mean over %lld base samples, "
               "\302\261 bootstrap SE):\n",
               (long long)json_integer_value(json_object_get(model, "n_train")),
               (long long)json_integer_value(json_object_get(imp, "sobol_base_samples")));
        printf("    %-20s %16s %16s %8s\n", "parameter", "total ST", "first-order S1", "ARD");
        json_array_foreach(json_object_get(imp, "parameters"), i, e)
        {
            printf("    %-20.20s", json_string_value(json_object_get(e, "parameter")));
            pm(num(e, "st"), num(e, "st_se"));
            pm(num(e, "s1"), num(e, "s1_se"));
            printf(" %7.1f%%", 100 * num(e, "ard"));
            bar(isfinite(num(e, "st")) ? num(e, "st") : num(e, "ard"));
            printf("\n");
        }
    }

    printf("  calibration of the stored predictions: %lld checked, %lld without a prediction excluded\n",
           (long long)json_integer_value(json_object_get(cal, "n")),
           (long long)json_integer_value(json_object_get(cal, "excluded_no_prediction")));
    if (json_integer_value(json_object_get(cal, "n")) > 0) {
        json_t *r68 = json_object_get(cal, "expected_range_68"), *r95 = json_object_get(cal, "expected_range_95");
        printf("    coverage of mean \302\261 1 sd:    %5.1f%% (a calibrated model: %.0f-%.0f%%)\n",
               100 * num(cal, "coverage_68"), 100 * json_number_value(json_array_get(r68, 0)),
               100 * json_number_value(json_array_get(r68, 1)));
        printf("    coverage of mean \302\261 1.96 sd: %5.1f%% (a calibrated model: %.0f-%.0f%%)\n",
               100 * num(cal, "coverage_95"), 100 * json_number_value(json_array_get(r95, 0)),
               100 * json_number_value(json_array_get(r95, 1)));
        printf("    z = (y - mean) / sd: mean %.3g, sd %.3g; mean absolute error %.4g\n", num(cal, "z_mean"),
               num(cal, "z_sd"), num(cal, "mae"));
    }
    printf("    verdict: %s\n", json_string_value(json_object_get(cal, "verdict")));
    if (json_is_object(stop))
        printf("  %s\n", json_string_value(json_object_get(stop, "suggestion")));
    else
        printf("  stopping: no suggestion (no model or no feasible experiment yet)\n");
}

int gn_cmd_analyse(int argc, char **argv)
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
    json_t *root = NULL, *ob, *fails, *fe;
    json_error_t jerr;
    size_t i;
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
    if (optind != argc - 1) {
        gn_cli_error("analyse", "expected one campaign name");
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("analyse", db_path, argv[optind], &db, &c);
    if (rc)
        return rc;
    st = gn_campaign_analyse_json(c, &text);
    if (st != GN_OK) {
        gn_cli_error("analyse", "%s", gn_campaign_errmsg(c));
        rc = gn_cli_exit_code(st);
        goto out;
    }
    if (as_json) {
        printf("%s\n", text);
        goto out;
    }
    root = json_loads(text, 0, &jerr);
    if (!root) {
        gn_cli_error("analyse", "cannot read the analysis: %s", jerr.text);
        rc = GN_EXIT_ERROR;
        goto out;
    }
    {
        json_t *cn = json_object_get(root, "counts");
        printf("campaign %s (%s): %lld completed, %lld failed of a budget of %lld; planner %s\n",
               json_string_value(json_object_get(root, "campaign")), json_string_value(json_object_get(root, "state")),
               (long long)json_integer_value(json_object_get(cn, "completed")),
               (long long)json_integer_value(json_object_get(cn, "failed")),
               (long long)json_integer_value(json_object_get(root, "budget")),
               json_string_value(json_object_get(root, "planner")));
    }
    json_array_foreach(json_object_get(root, "objectives"), i, ob) print_objective(ob);
    fe = json_object_get(root, "feasibility");
    if (json_array_size(json_object_get(fe, "constraints")))
        printf("\noutcome constraints: %lld of %lld completed experiments meet all of them\n",
               (long long)json_integer_value(json_object_get(fe, "feasible")),
               (long long)json_integer_value(json_object_get(fe, "completed")));
    fails = json_object_get(root, "failures");
    if (json_array_size(fails)) {
        printf("\nfailed or abandoned experiments:\n");
        json_array_foreach(fails, i, ob)
        {
            printf("  %5lld %-9s %s\n", (long long)json_integer_value(json_object_get(ob, "experiment")),
                   json_string_value(json_object_get(ob, "status")),
                   json_string_value(json_object_get(ob, "reasons")));
        }
    }
out:
    json_decref(root);
    gn_string_free(text);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
