/*
 * ask_tell - drive a Genesis campaign from your own program.
 *
 * Usage: ask_tell <database> <spec>
 *    e.g. ask_tell results.db branin-manual.yaml
 *
 * Opens (or creates) the database, creates the campaign of the spec (or
 * reopens it, when the same spec was run before: the loop then continues
 * where it stopped), and until the budget is spent asks for a batch of
 * points, evaluates the Branin-Hoo function on each in this process and
 * tells the outcomes back. Every tell is committed before it returns, so
 * the program can be killed and rerun at any moment. Finally it prints the
 * best experiment.
 *
 * Only the public API (genesis/genesis.h, linked from libgenesis) is used.
 * The spec must have real parameters x1 and x2 (any order) and one
 * objective; it needs no runner.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genesis/genesis.h"

#define BATCH 4

static double branin(double x1, double x2)
{
    const double pi = 3.14159265358979323846;
    const double b = 5.1 / (4.0 * pi * pi), c = 5.0 / pi, t = 1.0 / (8.0 * pi);
    double u = x2 - b * x1 * x1 + c * x1 - 6.0;
    return u * u + 10.0 * (1.0 - t) * cos(x1) + 10.0;
}

/* Index of parameter `name` in the campaign, or -1. */
static long param_index(const gn_campaign *c, const char *name)
{
    for (size_t i = 0; i < gn_campaign_param_count(c); i++)
        if (!strcmp(gn_campaign_param_name(c, i), name))
            return (long)i;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <database> <spec>\n", argv[0]);
        return 2;
    }
    int rc = 1;
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    double *x = NULL;
    gn_status st;

    if ((st = gn_db_open(argv[1], &db)) != GN_OK) {
        fprintf(stderr, "ask_tell: %s: %s\n", gn_status_str(st), db ? gn_db_errmsg(db) : "out of memory");
        goto out;
    }
    if ((st = gn_campaign_create(db, argv[2], &c)) != GN_OK) {
        fprintf(stderr, "ask_tell: %s: %s\n", gn_status_str(st), gn_db_errmsg(db));
        goto out;
    }

    size_t dim = gn_campaign_param_count(c);
    long i1 = param_index(c, "x1"), i2 = param_index(c, "x2");
    if (i1 < 0 || i2 < 0 || gn_campaign_objective_count(c) != 1) {
        fprintf(stderr, "ask_tell: the spec needs parameters x1, x2 and one objective\n");
        goto out;
    }
    const char *objective = gn_campaign_objective_name(c, 0);
    x = malloc(BATCH * dim * sizeof *x);
    if (!x) {
        fprintf(stderr, "ask_tell: out of memory\n");
        goto out;
    }

    printf("campaign %s: %ld experiments, minimising %s\n", gn_campaign_name(c),
           gn_campaign_budget(c), objective);
    while (!gn_campaign_done(c)) {
        int64_t numbers[BATCH];
        size_t got = 0;
        if ((st = gn_campaign_ask(c, BATCH, numbers, x, NULL, NULL, &got)) != GN_OK) {
            fprintf(stderr, "ask_tell: ask: %s: %s\n", gn_status_str(st), gn_campaign_errmsg(c));
            goto out;
        }
        if (got == 0)
            break; /* the budget is spoken for (e.g. experiments another process runs) */
        for (size_t k = 0; k < got; k++) {
            const double *p = x + k * dim;
            double y = branin(p[i1], p[i2]);
            if ((st = gn_campaign_tell(c, numbers[k], 1, &objective, &y)) != GN_OK) {
                fprintf(stderr, "ask_tell: tell %lld: %s: %s\n", (long long)numbers[k],
                        gn_status_str(st), gn_campaign_errmsg(c));
                goto out;
            }
            printf("experiment %lld: x1=%.6g x2=%.6g %s=%.6g\n", (long long)numbers[k], p[i1],
                   p[i2], objective, y);
        }
    }

    int64_t best;
    double y_best;
    if ((st = gn_campaign_best(c, &best, x, &y_best)) != GN_OK) {
        fprintf(stderr, "ask_tell: best: %s: %s\n", gn_status_str(st), gn_campaign_errmsg(c));
        goto out;
    }
    printf("best: experiment %lld: x1=%.6g x2=%.6g %s=%.6g (global minimum 0.397887)\n",
           (long long)best, x[i1], x[i2], objective, y_best);
    rc = 0;
out:
    free(x);
    gn_campaign_close(c);
    gn_db_close(db);
    return rc;
}
