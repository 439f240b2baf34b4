/*
 * cli/progress.c - running a campaign from the command line: the live
 * progress line on a terminal, plain log lines otherwise, and Ctrl-C.
 *
 * First Ctrl-C (or SIGTERM): stop proposing, let running experiments
 * finish within the grace period. Second: stop them now. Either way the
 * campaign stays resumable.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static gn_campaign *volatile running_campaign;

static void on_signal(int sig)
{
    (void)sig;
    if (running_campaign)
        gn_campaign_request_stop(running_campaign);
}

typedef struct view {
    int tty;
    int line_shown; /* a progress line is on screen (to be cleared) */
    int quiet;
} view;

static void fmt_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (s < 0 || !isfinite(s))
        snprintf(buf, size, "?");
    else if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void on_progress(const gn_progress *p, void *ctx)
{
    view *v = ctx;
    char eta[32], best[64];
    if (!v->tty || v->quiet)
        return;
    fmt_duration(p->eta, eta, sizeof eta);
    if (p->has_best)
        snprintf(best, sizeof best, "%s=%.6g", p->objective, p->best);
    else
        snprintf(best, sizeof best, "-");
    fprintf(stderr, "\r\033[K[%ld/%ld] running %ld  failed %ld  best %s  %.2f/s  ETA %s", p->finished,
            p->budget, p->running, p->failed, best, p->rate, eta);
    fflush(stderr);
    v->line_shown = 1;
}

static void on_event(const char *line, void *ctx)
{
    view *v = ctx;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    if (v->quiet)
        return;
    if (v->tty) {
        /* events scroll above the progress line */
        if (v->line_shown)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "%s\n", line);
        v->line_shown = 0;
        return;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stderr, "%s %s\n", stamp, line);
    fflush(stderr);
}

int gn_cli_run_campaign(const char *cmd, gn_db *db, gn_campaign *c, double grace, int quiet)
{
    struct sigaction sa, old_int, old_term;
    gn_run_options opts;
    view v;
    gn_status st;

    memset(&v, 0, sizeof v);
    v.tty = isatty(STDERR_FILENO);
    v.quiet = quiet;
    memset(&opts, 0, sizeof opts);
    opts.on_progress = on_progress;
    opts.on_event = on_event;
    opts.ctx = &v;
    opts.grace = grace;
    opts.leave_jobs = gn_cli_leave_jobs;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    running_campaign = c;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    st = gn_campaign_run(c, &opts);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    running_campaign = NULL;
    if (v.line_shown)
        fputs("\n", stderr);

    if (st != GN_OK && st != GN_ERR_INTERRUPTED) {
        gn_cli_error(cmd, "%s", gn_campaign_errmsg(c));
        return gn_cli_exit_code(st);
    }
    if (st == GN_ERR_INTERRUPTED)
        fprintf(stderr, "genesis %s: %s\n", cmd, gn_campaign_errmsg(c));
    else {
        long done = 0;
        gn_campaign_finished_count(c, &done);
        printf("campaign %s: %ld of %ld experiments done\n", gn_campaign_name(c), done,
               gn_campaign_budget(c));
    }
    gn_cli_print_best(c);
    if (st == GN_OK)
        printf("data: %s (campaign %s); `genesis show %s --db %s` lists the experiments\n",
               gn_db_path(db), gn_campaign_name(c), gn_campaign_name(c), gn_db_path(db));
    return gn_cli_exit_code(st);
}
