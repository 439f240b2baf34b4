/*
 * cli/common.c - helpers shared by the subcommands.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int gn_cli_exit_code(gn_status st)
{
    switch (st) {
    case GN_OK: return GN_EXIT_OK;
    case GN_ERR_SPEC:
    case GN_ERR_DATA:
    case GN_ERR_LIMIT: return GN_EXIT_SPEC;
    case GN_ERR_NOT_FOUND: return GN_EXIT_NOT_FOUND;
    case GN_ERR_EXISTS:
    case GN_ERR_STATE: return GN_EXIT_CONFLICT;
    case GN_ERR_INTERRUPTED: return GN_EXIT_INTERRUPTED;
    case GN_ERR_INVALID:
    case GN_ERR_OUTCOME: return GN_EXIT_USAGE;
    default: return GN_EXIT_ERROR;
    }
}

void gn_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "genesis %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int gn_cli_open(const char *cmd, const char *db_path, const char *name, gn_db **db, gn_campaign **c)
{
    gn_status st = gn_db_open(db_path, db);
    if (st != GN_OK) {
        gn_cli_error(cmd, "%s", gn_db_errmsg(*db));
        gn_db_close(*db);
        *db = NULL;
        return gn_cli_exit_code(st);
    }
    if (!name)
        return GN_EXIT_OK;
    st = gn_campaign_open(*db, name, c);
    if (st != GN_OK) {
        gn_cli_error(cmd, "%s", gn_db_errmsg(*db));
        gn_db_close(*db);
        *db = NULL;
        return gn_cli_exit_code(st);
    }
    return GN_EXIT_OK;
}

void gn_cli_print_best(gn_campaign *c)
{
    size_t p = gn_campaign_param_count(c), m = gn_campaign_objective_count(c), i;
    double *x = calloc(p ? p : 1, sizeof *x), *y = calloc(m ? m : 1, sizeof *y);
    int64_t id;

    if (x && y && gn_campaign_best(c, &id, x, y) == GN_OK) {
        printf("best: experiment %lld:", (long long)id);
        for (i = 0; i < m; i++)
            printf(" %s=%.6g", gn_campaign_objective_name(c, i), y[i]);
        printf(" at");
        for (i = 0; i < p; i++) {
            if (gn_campaign_choice_count(c, i))
                printf(" %s=%s", gn_campaign_param_name(c, i), gn_campaign_choice_label(c, i, (size_t)x[i]));
            else
                printf(" %s=%.6g", gn_campaign_param_name(c, i), x[i]);
        }
        printf("\n");
    }
    free(x);
    free(y);
}

int gn_cli_leave_jobs;

int gn_cli_run_options(const char *cmd, const char *help, int argc, char **argv, const char **db_path,
                       double *grace, int *quiet)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"grace", required_argument, NULL, 'g'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"leave-jobs", no_argument, NULL, 'L'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    char *end;

    *db_path = NULL;
    *grace = 10.0;
    *quiet = 0;
    gn_cli_leave_jobs = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': *db_path = optarg; break;
        case 'g':
            *grace = strtod(optarg, &end);
            if (*end || *grace < 0) {
                gn_cli_error(cmd, "--grace expects a number of seconds >= 0, got '%s'", optarg);
                return GN_EXIT_USAGE;
            }
            if (*grace == 0)
                *grace = -1; /* stop at once */
            break;
        case 'q': *quiet = 1; break;
        case 'L': gn_cli_leave_jobs = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error(cmd, "expected one %s", !strcmp(cmd, "run") ? "spec file" : "campaign name");
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    return -1;
}

int gn_cli_with_mpi_ranks(const char *cmd, int (*rank0)(int, char **), int argc, char **argv)
{
    char msg[1024];
    int rc, rank = gn_mpi_rank();
    gn_status st;

    if (rank != 0) {
        st = gn_mpi_worker_run(msg, sizeof msg);
        if (st != GN_OK)
            fprintf(stderr, "genesis %s (MPI rank %d): %s\n", cmd, rank, msg);
        gn_mpi_finalize();
        return gn_cli_exit_code(st);
    }
    rc = rank0(argc, argv);
    gn_mpi_finalize();
    return rc;
}

int gn_cli_parse(const char *cmd, const char *help, const char *allowed, int argc, char **argv,
                 int n_pos, int max_pos, gn_cli_opts *o, const char **pos)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, GN_OPT_DB},
        {"json", no_argument, NULL, GN_OPT_JSON},
        {"format", required_argument, NULL, GN_OPT_FORMAT},
        {"output", required_argument, NULL, GN_OPT_OUTPUT},
        {"admin", no_argument, NULL, GN_OPT_ADMIN},
        {"remove", no_argument, NULL, GN_OPT_REMOVE},
        {"description", required_argument, NULL, GN_OPT_DESC},
        {"role", required_argument, NULL, GN_OPT_ROLE},
        {"clearance", required_argument, NULL, GN_OPT_CLEAR},
        {"name", required_argument, NULL, GN_OPT_NAME},
        {"expires", required_argument, NULL, GN_OPT_EXPIRES},
        {"user", required_argument, NULL, GN_OPT_USER},
        {"action", required_argument, NULL, GN_OPT_ACTION},
        {"limit", required_argument, NULL, GN_OPT_LIMIT},
        {"anchor", required_argument, NULL, GN_OPT_ANCHOR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    /* -o is the one short option with a value, where a command takes it */
    const char *shortopts = strchr(allowed, GN_OPT_OUTPUT) ? "ho:" : "h";
    int opt, i, n;
    char *end;

    memset(o, 0, sizeof *o);
    o->limit = 50;
    optind = 1;
    opterr = 1;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(help, stdout);
            return GN_EXIT_OK;
        }
        if (opt == '?' || opt == ':' || !strchr(allowed, opt)) {
            if (opt != '?' && opt != ':')
                gn_cli_error(cmd, "option '%s' does not apply here", argv[optind - 1]);
            fputs(help, stderr);
            return GN_EXIT_USAGE;
        }
        switch (opt) {
        case GN_OPT_DB: o->db = optarg; break;
        case GN_OPT_JSON: o->json = 1; break;
        case GN_OPT_FORMAT: o->format = optarg; break;
        case GN_OPT_OUTPUT: o->output = optarg; break;
        case GN_OPT_ADMIN: o->admin = 1; break;
        case GN_OPT_REMOVE: o->remove = 1; break;
        case GN_OPT_DESC: o->description = optarg; break;
        case GN_OPT_ROLE: o->role = optarg; break;
        case GN_OPT_CLEAR: o->clearance = optarg; break;
        case GN_OPT_NAME: o->name = optarg; break;
        case GN_OPT_EXPIRES: o->expires = optarg; break;
        case GN_OPT_USER: o->user = optarg; break;
        case GN_OPT_ACTION: o->action = optarg; break;
        case GN_OPT_ANCHOR: o->anchor = optarg; break;
        case GN_OPT_LIMIT:
            errno = 0;
            o->limit = strtol(optarg, &end, 10);
            if (errno || !*optarg || *end || o->limit < 1 || o->limit > 100000) {
                gn_cli_error(cmd, "--limit expects a number from 1 to 100000, got '%s'", optarg);
                return GN_EXIT_USAGE;
            }
            break;
        default: break;
        }
    }
    n = argc - optind;
    if (n < n_pos || n > max_pos) {
        gn_cli_error(cmd, n < n_pos ? "missing arguments" : "too many arguments");
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    for (i = 0; i < max_pos; i++)
        pos[i] = i < n ? argv[optind + i] : NULL;
    return -1;
}
