/*
 * test_exec.c - the local executor, the runner contract, the library runner.
 *
 * Integration tests with real processes: the runners are the shell scripts
 * next to this file, run by /bin/sh, and a real runner library
 * (libtestsim.c) loaded with dlopen. Specs are built by hand.
 *
 * The test process makes itself a child subreaper, so that grandchildren
 * orphaned by a killed runner come back to it and can be checked and
 * reaped (the container's init may not reap them).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "gn_test.h"

#include "core/alloc.h"
#include "core/timeutil.h"
#include "exec/executor.h"
#include "exec/runner.h"

#define DIR_ GN_EXEC_TEST_DIR

/* ---- fixture ------------------------------------------------------------- */

typedef struct fixture {
    gn_spec spec;
    gn_param params[3];
    char *choices[3];
    char *command[16];
    char root[PATH_MAX];
    gn_exec_config cfg;
    gn_executor *ex;
    gn_err err;
} fixture;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A spec with x: real [0, 10], n: int [1, 5], cat: choice [Pd, Ni, Cu], and
 * the runner command `words` (NULL-terminated). */
static void fx_init(fixture *f, const char *name, const char *const *words)
{
    size_t i;
    memset(f, 0, sizeof *f);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    f->choices[0] = "Pd";
    f->choices[1] = "Ni";
    f->choices[2] = "Cu";
    f->params[0] = (gn_param){.name = "x", .type = GN_PARAM_REAL, .low = 0, .high = 10};
    f->params[1] = (gn_param){.name = "n", .type = GN_PARAM_INT, .low = 1, .high = 5};
    f->params[2] = (gn_param){.name = "cat", .type = GN_PARAM_CHOICE, .choices = f->choices,
                              .n_choices = 3};
    f->spec.name = "exec-test";
    f->spec.base_dir = DIR_;
    f->spec.params = f->params;
    f->spec.n_params = 3;
    f->spec.runner.kind = GN_RUNNER_COMMAND;
    f->spec.runner.kill_grace = 5;
    for (i = 0; words && words[i]; i++)
        f->command[i] = (char *)words[i];
    f->spec.runner.command = f->command;
    f->spec.runner.n_command = i;
    snprintf(f->root, sizeof f->root, "%s/exec-%s-%d", GN_TEST_TMP, name, (int)getpid());
    rm_rf(f->root);
    f->cfg.spec = &f->spec;
    f->cfg.campaign = "flow-reactor";
    f->cfg.work_root = f->root;
    f->cfg.slots = 1;
}

static void fx_start(fixture *f)
{
    gn_status st = gn_executor_new(&f->cfg, &f->ex, &f->err);
    if (st != GN_OK)
        fprintf(stderr, "gn_executor_new: %s\n", f->err.msg);
    assert_int_equal(st, GN_OK);
}

/* Reaps orphans that came to us as subreaper (all dead by now). */
static void reap_orphans(void)
{
    int status;
    double until = gn_time_mono() + 5;
    while (gn_time_mono() < until) {
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p < 0)
            break; /* ECHILD: none left */
        if (p == 0)
            gn_time_sleep(0.01, NULL);
    }
}

static void fx_done(fixture *f)
{
    gn_executor_free(f->ex);
    f->ex = NULL;
    reap_orphans();
    rm_rf(f->root);
}

static void task_init(gn_task *t, const double *x, int64_t number, int attempt)
{
    memset(t, 0, sizeof *t);
    t->experiment_id = 1000 + number;
    t->number = number;
    t->attempt = attempt;
    t->x = x;
    t->params_json = NULL;
}

/* Waits (up to 60 s) until `want` results came back; returns how many. */
static size_t wait_results(fixture *f, gn_exec_result *out, size_t want)
{
    size_t got = 0, n;
    double until = gn_time_mono() + 60;
    while (got < want && gn_time_mono() < until) {
        assert_int_equal(gn_executor_wait(f->ex, 1.0, NULL, out + got, want - got, &n, &f->err), GN_OK);
        got += n;
    }
    return got;
}

/* Runs one attempt of x to its end. */
static void run_one(fixture *f, const double *x, gn_task_started *started, gn_exec_result *r)
{
    gn_task t;
    gn_status st;
    task_init(&t, x, 1, 1);
    st = gn_executor_submit(f->ex, &t, started, &f->err);
    if (st != GN_OK)
        fprintf(stderr, "submit: %s\n", f->err.msg);
    assert_int_equal(st, GN_OK);
    assert_int_equal(gn_executor_running(f->ex), 1);
    assert_int_equal(wait_results(f, r, 1), 1);
    assert_int_equal(gn_executor_running(f->ex), 0);
    assert_int_equal(r->experiment_id, 1001);
    assert_int_equal(r->attempt, 1);
    assert_true(r->finished >= r->started);
    assert_non_null(r->stdout_tail);
    assert_non_null(r->stderr_tail);
}

/* Runs one attempt of `script` (a file next to this test) under /bin/sh. */
static void run_script(const char *name, const char *script, double timeout, double grace,
                       gn_task_started *started, gn_exec_result *r, fixture *f)
{
    char path[PATH_MAX];
    const char *words[] = {"/bin/sh", path, NULL};
    static const double x[3] = {2.5, 3, 1};
    snprintf(path, sizeof path, "%s/%s", DIR_, script);
    fx_init(f, name, words);
    f->spec.runner.timeout = timeout;
    f->spec.runner.kill_grace = grace;
    fx_start(f);
    run_one(f, x, started, r);
}

static double outcome_value(const char *outcome, const char *key)
{
    json_t *j = json_loads(outcome, 0, NULL);
    double v;
    assert_non_null(j);
    assert_non_null(json_object_get(j, key));
    v = json_number_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

static int contains(const char *s, const char *part)
{
    if (!s || !strstr(s, part)) {
        fprintf(stderr, "'%s' does not contain '%s'\n", s ? s : "(null)", part);
        return 0;
    }
    return 1;
}

/* 1 if `pid` is a live process (a zombie is dead). */
static int alive(long pid)
{
    char path[64], buf[512], *p;
    FILE *fp;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    fp = fopen(path, "r");
    if (!fp)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Number of live processes in process group `pgid`. */
static int group_alive(long pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int count = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512], *p, state;
        long pgrp;
        FILE *fp;
        size_t n;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        fp = fopen(path, "r");
        if (!fp)
            continue;
        n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (p && sscanf(p + 1, " %c %*d %ld", &state, &pgrp) == 2 && pgrp == pgid &&
            state != 'Z' && state != 'X')
            count++;
    }
    closedir(d);
    return count;
}

/* Waits up to 5 s for a condition that follows a SIGKILL (death is not
 * instantaneous); returns its last value. */
static int eventually_zero(int (*fn)(long), long arg)
{
    double until = gn_time_mono() + 5;
    int v;
    while ((v = fn(arg)) != 0 && gn_time_mono() < until)
        gn_time_sleep(0.01, NULL);
    return v;
}

static char *read_text(const char *dir, const char *name)
{
    char path[PATH_MAX];
    static char buf[8192];
    FILE *fp;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "r");
    if (!fp)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return buf;
}

/* The leader must be reaped by the executor: no zombie left behind. */
static void assert_reaped(int64_t pid)
{
    int status;
    assert_int_equal(waitpid((pid_t)pid, &status, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* ---- outcomes ------------------------------------------------------------ */

static void stdout_last_json_line_wins(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("stdout", "stdout_json.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_null(r.reason);
    assert_string_equal(r.outcome, "{\"y\":2.5,\"cost\":3}");
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.signal, 0);
    assert_true(contains(r.stdout_tail, "starting the simulation\n"));
    assert_true(contains(r.stdout_tail, "done\n"));
    assert_true(s.pid > 0);
    assert_true(s.pid_start > 0);
    assert_true(s.workdir[0] == '/');
    assert_true(s.host[0] != '\0');
    assert_reaped(s.pid);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void outcome_file_wins_over_stdout(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("file", "file_wins.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_near(outcome_value(r.outcome, "y"), 7, 1e-12);
    assert_near(outcome_value(r.outcome, "z"), -0.5, 1e-12);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void invalid_outcome_file_fails(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("badfile", "bad_file.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_null(r.outcome);
    assert_true(contains(r.reason, "outcome file"));
    assert_true(contains(r.reason, "outcome.json"));
    assert_true(contains(r.reason, "not valid JSON"));
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void non_number_value_fails(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("notnum", "not_number.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_null(r.outcome);
    assert_true(contains(r.reason, "\"quality\""));
    assert_true(contains(r.reason, "not a number"));
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void missing_outcome_fails(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("none", "no_outcome.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_null(r.outcome);
    assert_true(contains(r.reason, "no outcome: "));
    assert_true(contains(r.stdout_tail, "I forgot to report"));
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

/* ---- failures ------------------------------------------------------------ */

static void nonzero_exit_fails_with_stderr_tail(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("exit3", "exit3.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_string_equal(r.reason, "exit status 3");
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    assert_null(r.outcome); /* a failed attempt has no outcome, even if it printed one */
    assert_string_equal(r.stderr_tail, "error: bad input in stage 2\n");
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void killed_by_signal_fails(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    (void)state;
    run_script("segv", "segv.sh", 0, 1, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_int_equal(r.signal, SIGSEGV);
    assert_int_equal(r.exit_code, -1);
    assert_true(contains(r.reason, "SIGSEGV"));
    assert_true(contains(r.stdout_tail, "about to crash"));
    assert_reaped(s.pid);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void cannot_start_missing_program(void **state)
{
    static const char *const rel[] = {"./no-such-sim", "{x}", NULL};
    static const char *const bare[] = {"no-such-program-anywhere", NULL};
    static const double x[3] = {1, 1, 0};
    fixture f;
    gn_task t;
    gn_task_started s;
    (void)state;

    fx_init(&f, "missing", rel);
    fx_start(&f);
    task_init(&t, x, 1, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_ERR_RUNNER);
    assert_true(contains(f.err.msg, "cannot start runner './no-such-sim': No such file or directory"));
    assert_int_equal(gn_executor_running(f.ex), 0);
    assert_int_equal(gn_executor_free_slots(f.ex), 1);
    fx_done(&f);

    fx_init(&f, "missing2", bare);
    fx_start(&f);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_ERR_RUNNER);
    assert_true(contains(f.err.msg, "cannot start runner 'no-such-program-anywhere'"));
    assert_true(contains(f.err.msg, "PATH"));
    assert_int_equal(gn_executor_running(f.ex), 0);
    fx_done(&f);
}

/* Writes `text` to `path` with mode `mode`. */
static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(chmod(path, mode), 0);
}

/* A program that is there but not executable is still refused at submit;
 * one whose exec fails only in the child (its #! interpreter is missing)
 * has started as far as submit can tell: its attempt comes back from wait
 * as FAILED with not_started and the same kind of reason, promptly. */
static void cannot_start_after_submit(void **state)
{
    static const double x[3] = {1, 1, 0};
    char plain[PATH_MAX], orphan[PATH_MAX];
    const char *words[] = {plain, NULL};
    fixture f;
    gn_task t;
    gn_task_started s;
    gn_exec_result r;
    double t0;
    (void)state;

    snprintf(plain, sizeof plain, "%s/exec-plain-%d.sh", GN_TEST_TMP, (int)getpid());
    snprintf(orphan, sizeof orphan, "%s/exec-orphan-%d.sh", GN_TEST_TMP, (int)getpid());
    write_file(plain, "#!/bin/sh\necho '{\"y\": 1}'\n", 0644);
    write_file(orphan, "#!/no/such/interpreter\necho '{\"y\": 1}'\n", 0755);

    fx_init(&f, "noexec", words);
    fx_start(&f);
    task_init(&t, x, 1, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_ERR_RUNNER);
    assert_true(contains(f.err.msg, "cannot start runner"));
    assert_true(contains(f.err.msg, "Permission denied"));
    assert_int_equal(gn_executor_running(f.ex), 0);
    fx_done(&f);

    words[0] = orphan;
    fx_init(&f, "orphan", words);
    fx_start(&f);
    t0 = gn_time_mono();
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    assert_true(s.pid > 0);
    assert_true(s.pid_start > 0);
    assert_int_equal(gn_executor_running(f.ex), 1);
    assert_int_equal(wait_results(&f, &r, 1), 1);
    assert_true(gn_time_mono() - t0 < 10); /* not a timeout: the child says at once */
    assert_int_equal(gn_executor_running(f.ex), 0);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_int_equal(r.not_started, 1);
    assert_int_equal(r.exit_code, -1);
    assert_non_null(r.reason);
    assert_true(contains(r.reason, "cannot start runner"));
    assert_true(contains(r.reason, "No such file or directory"));
    assert_null(r.outcome);
    assert_reaped(s.pid);
    gn_exec_result_destroy(&r);

    /* a runner that starts is not flagged, whatever it does */
    words[0] = plain;
    assert_int_equal(chmod(plain, 0755), 0);
    fx_done(&f);
    fx_init(&f, "plain", words);
    fx_start(&f);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    assert_int_equal(wait_results(&f, &r, 1), 1);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_int_equal(r.not_started, 0);
    gn_exec_result_destroy(&r);
    fx_done(&f);
    unlink(plain);
    unlink(orphan);
}

/* ---- timeouts and process groups ---------------------------------------- */

static void timeout_kills_group_with_grandchildren(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    char *kids;
    long pids[3];
    int n, i;
    (void)state;
    run_script("timeout", "grandkids.sh", 1.0, 2, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_TIMEOUT);
    assert_string_equal(r.reason, "timed out after 1 s");
    assert_int_equal(r.signal, SIGTERM);
    assert_null(r.outcome);
    assert_reaped(s.pid);
    kids = read_text(s.workdir, "kids");
    assert_non_null(kids);
    n = sscanf(kids, "%ld %ld %ld", &pids[0], &pids[1], &pids[2]);
    assert_int_equal(n, 3);
    for (i = 0; i < n; i++)
        assert_int_equal(eventually_zero(alive, pids[i]), 0);
    assert_int_equal(eventually_zero(group_alive, (long)s.pid), 0);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void sigterm_ignored_then_sigkill(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    long kid;
    (void)state;
    run_script("ignoreterm", "ignore_term.sh", 0.5, 0.5, &s, &r, &f);
    assert_int_equal(r.status, GN_ATT_TIMEOUT);
    assert_string_equal(r.reason, "timed out after 0.5 s");
    assert_int_equal(r.signal, SIGKILL); /* SIGTERM was ignored */
    assert_non_null(read_text(s.workdir, "kids"));
    kid = atol(read_text(s.workdir, "kids"));
    assert_true(kid > 0);
    assert_int_equal(eventually_zero(alive, kid), 0);
    assert_int_equal(eventually_zero(group_alive, (long)s.pid), 0);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

/* The n bytes that `yes <line> | head -c total` writes, ending at `end`. */
static void yes_tail(const char *line, size_t total, size_t n, char *out)
{
    size_t len = strlen(line) + 1, i;
    for (i = 0; i < n; i++) {
        size_t pos = total - n + i;
        out[i] = pos % len == len - 1 ? '\n' : line[pos % len];
    }
}

static void huge_output_keeps_bounded_tails(void **state)
{
    fixture f;
    gn_task_started s;
    gn_exec_result r;
    struct rusage before, after;
    const size_t big = 52428800;
    const char *out_end = "\n{\"y\": 42}\n";
    const char *err_end = "end of stderr\n";
    char want[GN_EXEC_TAIL_BYTES + 1];
    size_t k;
    (void)state;

    getrusage(RUSAGE_SELF, &before);
    run_script("big", "big_output.sh", 0, 1, &s, &r, &f);
    getrusage(RUSAGE_SELF, &after);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_near(outcome_value(r.outcome, "y"), 42, 1e-12);

    k = strlen(out_end);
    yes_tail("0123456789abcdef", big, GN_EXEC_TAIL_BYTES - k, want);
    memcpy(want + GN_EXEC_TAIL_BYTES - k, out_end, k + 1);
    assert_int_equal(strlen(r.stdout_tail), GN_EXEC_TAIL_BYTES);
    assert_string_equal(r.stdout_tail, want);

    k = strlen(err_end);
    yes_tail("ERR-0123456789", big, GN_EXEC_TAIL_BYTES - k, want);
    memcpy(want + GN_EXEC_TAIL_BYTES - k, err_end, k + 1);
    assert_int_equal(strlen(r.stderr_tail), GN_EXEC_TAIL_BYTES);
    assert_string_equal(r.stderr_tail, want);

    /* 100 MiB went through; the peak resident size grew by far less */
    fprintf(stderr, "max RSS: %ld KiB before, %ld KiB after\n", before.ru_maxrss, after.ru_maxrss);
    assert_true(after.ru_maxrss - before.ru_maxrss < 16 * 1024);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

/* ---- the contract: placeholders, environment, directories --------------- */

static void placeholders_and_environment(void **state)
{
    static const char *const words[] = {"./env.sh", "--x={x}", "{n}", "{cat}", "{{literal}}",
                                        "{x}:{n}:{{{cat}}}", "", NULL};
    static const double x[3] = {0.1, 3, 1};
    fixture f;
    gn_task t;
    gn_task_started s;
    gn_exec_result r;
    char stale[PATH_MAX + 32], *w;
    (void)state;

    fx_init(&f, "env", words); /* ./env.sh resolves against base_dir */
    fx_start(&f);
    /* a directory left by a crashed run, with a file in it */
    snprintf(stale, sizeof stale, "%s/7/2", f.root);
    {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/sub' && touch '%s/stale.txt' '%s/sub/f'", stale,
                 stale, stale);
        assert_int_equal(system(cmd), 0);
    }
    setenv("GENESIS_OUTPUT", "/inherited/must/not/leak", 1);
    task_init(&t, x, 7, 2);
    t.params_json = "{\"x\": 0.1, \"n\": 3, \"cat\": \"Ni\"}";
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    unsetenv("GENESIS_OUTPUT");
    assert_int_equal(gn_executor_free_slots(f.ex), 0);
    assert_int_equal(wait_results(&f, &r, 1), 1);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_string_equal(r.outcome, "{\"ok\":1}");

    w = s.workdir;
    assert_true(contains(w, "/7/2"));
    assert_string_equal(read_text(w, "campaign.txt"), "flow-reactor");
    assert_string_equal(read_text(w, "experiment.txt"), "7");
    assert_string_equal(read_text(w, "attempt.txt"), "2");
    assert_string_equal(read_text(w, "params.txt"), t.params_json);
    assert_string_equal(read_text(w, "workdir.txt"), w);
    {
        char want[PATH_MAX + 32];
        snprintf(want, sizeof want, "%s/outcome.json", w);
        assert_string_equal(read_text(w, "output.txt"), want);
        snprintf(want, sizeof want, "%s\n", w);
        assert_string_equal(read_text(w, "cwd.txt"), want);
    }
    assert_string_equal(read_text(w, "stdin.txt"), "");
    assert_string_equal(read_text(w, "argc.txt"), "6");
    assert_string_equal(read_text(w, "arg1.txt"), "--x=0.1");
    assert_string_equal(read_text(w, "arg2.txt"), "3");
    assert_string_equal(read_text(w, "arg3.txt"), "Ni");
    assert_string_equal(read_text(w, "arg4.txt"), "{literal}");
    assert_string_equal(read_text(w, "arg5.txt"), "0.1:3:{Ni}");
    assert_string_equal(read_text(w, "arg6.txt"), "");
    /* the stale directory was emptied */
    assert_null(read_text(w, "stale.txt"));
    snprintf(stale, sizeof stale, "%s/sub", w);
    assert_int_equal(access(stale, F_OK), -1);
    gn_exec_result_destroy(&r);

    /* without params_json the executor writes it */
    task_init(&t, x, 8, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    assert_int_equal(wait_results(&f, &r, 1), 1);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_string_equal(read_text(s.workdir, "params.txt"), "{\"x\": 0.1, \"n\": 3, \"cat\": \"Ni\"}");
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void value_formatting_and_placeholder_errors(void **state)
{
    static const double x[3] = {1.0 / 3.0, 4, 2};
    fixture f;
    char buf[64], *out = NULL;
    gn_err err;
    double third = 1.0 / 3.0;
    (void)state;
    fx_init(&f, "format", NULL);

    assert_int_equal(gn__runner_format_value(&f.params[0], 0.1, buf, sizeof buf, &err), GN_OK);
    assert_string_equal(buf, "0.1");
    assert_int_equal(gn__runner_format_value(&f.params[0], 300, buf, sizeof buf, &err), GN_OK);
    assert_string_equal(buf, "300");
    assert_int_equal(gn__runner_format_value(&f.params[0], third, buf, sizeof buf, &err), GN_OK);
    assert_true(strtod(buf, NULL) == third); /* round trip is exact by contract */
    assert_int_equal(gn__runner_format_value(&f.params[0], 1e-300, buf, sizeof buf, &err), GN_OK);
    assert_string_equal(buf, "1e-300");
    assert_int_equal(gn__runner_format_value(&f.params[1], 4, buf, sizeof buf, &err), GN_OK);
    assert_string_equal(buf, "4");
    assert_int_equal(gn__runner_format_value(&f.params[2], 2, buf, sizeof buf, &err), GN_OK);
    assert_string_equal(buf, "Cu");
    assert_int_equal(gn__runner_format_value(&f.params[2], 3, buf, sizeof buf, &err), GN_ERR_INVALID);
    assert_int_equal(gn__runner_format_value(&f.params[0], NAN, buf, sizeof buf, &err), GN_ERR_INVALID);

    assert_int_equal(gn__runner_substitute("a{x}b{{c}}", &f.spec, x, &out, &err), GN_OK);
    assert_true(strtod(out + 1, NULL) == third);
    assert_true(contains(out, "b{c}"));
    gn_free(out);
    assert_int_equal(gn__runner_substitute("{nope}", &f.spec, x, &out, &err), GN_ERR_SPEC);
    assert_true(contains(err.msg, "no parameter named 'nope'"));
    assert_null(out);
    assert_int_equal(gn__runner_substitute("{x", &f.spec, x, &out, &err), GN_ERR_SPEC);
    assert_true(contains(err.msg, "unclosed '{'"));
    assert_int_equal(gn__runner_substitute("x}", &f.spec, x, &out, &err), GN_ERR_SPEC);
    assert_true(contains(err.msg, "single '}'"));
    fx_done(&f);
}

/* ---- the pool ------------------------------------------------------------ */

static void parallel_slots_overlap(void **state)
{
    char path[PATH_MAX];
    const char *words[] = {"/bin/sh", path, NULL};
    static const double x[3] = {1, 1, 0};
    fixture f;
    gn_task t;
    gn_task_started s;
    gn_exec_result r[4];
    double last_start = 0, first_end = 1e300;
    int i;
    (void)state;

    snprintf(path, sizeof path, "%s/timestamps.sh", DIR_);
    fx_init(&f, "parallel", words);
    f.cfg.slots = 4;
    fx_start(&f);
    assert_int_equal(gn_executor_free_slots(f.ex), 4);
    for (i = 0; i < 4; i++) {
        task_init(&t, x, i + 1, 1);
        assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    }
    assert_int_equal(gn_executor_free_slots(f.ex), 0);
    assert_int_equal(gn_executor_running(f.ex), 4);
    task_init(&t, x, 5, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_ERR_STATE);

    assert_int_equal(wait_results(&f, r, 4), 4);
    for (i = 0; i < 4; i++) {
        double st, en;
        assert_int_equal(r[i].status, GN_ATT_SUCCEEDED);
        st = outcome_value(r[i].outcome, "start");
        en = outcome_value(r[i].outcome, "end");
        assert_true(en > st);
        if (st > last_start)
            last_start = st;
        if (en < first_end)
            first_end = en;
        gn_exec_result_destroy(&r[i]);
    }
    /* every runner started before any of them ended: they all overlapped */
    assert_true(last_start < first_end);
    assert_int_equal(gn_executor_free_slots(f.ex), 4);
    fx_done(&f);
}

static void cancel_all_stops_everything(void **state)
{
    static const char *const sleeper[] = {"/bin/sh", "-c", "echo started; sleep 1000", NULL};
    char path[PATH_MAX];
    const char *stubborn[] = {"/bin/sh", path, NULL};
    static const double x[3] = {1, 1, 0};
    fixture f, g;
    gn_task t;
    gn_task_started s[3];
    gn_exec_result r[3];
    volatile int stop = 1;
    size_t n;
    int i;
    (void)state;

    fx_init(&f, "cancel", sleeper);
    f.cfg.slots = 2;
    fx_start(&f);
    for (i = 0; i < 2; i++) {
        task_init(&t, x, i + 1, 1);
        assert_int_equal(gn_executor_submit(f.ex, &t, &s[i], &f.err), GN_OK);
    }
    /* nothing finished: a zero wait and an interrupted wait return nothing */
    assert_int_equal(gn_executor_wait(f.ex, 0, NULL, r, 3, &n, &f.err), GN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gn_executor_wait(f.ex, 30, &stop, r, 3, &n, &f.err), GN_OK);
    assert_int_equal(n, 0);

    snprintf(path, sizeof path, "%s/ignore_term.sh", DIR_);
    fx_init(&g, "cancel2", stubborn);
    fx_start(&g);
    task_init(&t, x, 1, 1);
    assert_int_equal(gn_executor_submit(g.ex, &t, &s[2], &g.err), GN_OK);
    gn_time_sleep(0.3, NULL); /* let the shells start (and ignore SIGTERM) */

    gn_executor_cancel_all(f.ex, 0.3);
    gn_executor_cancel_all(g.ex, 0.3);
    assert_int_equal(wait_results(&f, r, 2), 2);
    assert_int_equal(wait_results(&g, &r[2], 1), 1);
    for (i = 0; i < 3; i++) {
        assert_int_equal(r[i].status, GN_ATT_CANCELLED);
        assert_string_equal(r[i].reason, "cancelled");
        assert_null(r[i].outcome);
    }
    assert_int_equal(r[0].signal, SIGTERM);
    assert_int_equal(r[1].signal, SIGTERM);
    assert_int_equal(r[2].signal, SIGKILL);
    assert_int_equal(gn_executor_running(f.ex), 0);
    assert_int_equal(gn_executor_running(g.ex), 0);
    for (i = 0; i < 3; i++) {
        assert_reaped(s[i].pid);
        assert_int_equal(eventually_zero(group_alive, (long)s[i].pid), 0);
        gn_exec_result_destroy(&r[i]);
    }
    fx_done(&f);
    fx_done(&g);
}

static void destroy_kills_running_runners(void **state)
{
    static const char *const sleeper[] = {"/bin/sh", "-c", "sleep 1000", NULL};
    static const double x[3] = {1, 1, 0};
    fixture f;
    gn_task t;
    gn_task_started s;
    (void)state;
    fx_init(&f, "destroy", sleeper);
    fx_start(&f);
    task_init(&t, x, 1, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    gn_executor_free(f.ex);
    f.ex = NULL;
    assert_reaped(s.pid);
    assert_int_equal(eventually_zero(group_alive, (long)s.pid), 0);
    fx_done(&f);
}

/* ---- stale runners ------------------------------------------------------- */

/* Starts `script` as the leader of a new process group from a short-lived
 * intermediate process that then exits, as a crashed genesis would: the
 * runner is a real orphan (it comes to us, the subreaper). */
static pid_t start_orphan(const char *script)
{
    int fds[2];
    pid_t mid, pid = 0;
    int status;
    assert_int_equal(pipe(fds), 0);
    mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        pid_t runner = fork();
        if (runner == 0) {
            setpgid(0, 0);
            close(fds[0]);
            close(fds[1]);
            execl("/bin/sh", "sh", "-c", script, (char *)NULL);
            _exit(127);
        }
        setpgid(runner, runner);
        if (write(fds[1], &runner, sizeof runner) != (ssize_t)sizeof runner)
            _exit(1);
        _exit(0); /* "genesis crashed" */
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &pid, sizeof pid), (ssize_t)sizeof pid);
    close(fds[0]);
    assert_int_equal(waitpid(mid, &status, 0), mid);
    return pid;
}

/* Waits until process group `pgid` has at least `n` live members. */
static void wait_group_size(long pgid, int n)
{
    double until = gn_time_mono() + 10;
    while (group_alive(pgid) < n && gn_time_mono() < until)
        gn_time_sleep(0.01, NULL);
    assert_true(group_alive(pgid) >= n);
}

static void kill_stale_orphan(void **state)
{
    pid_t pid;
    int64_t start;
    int status;
    (void)state;
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    pid = start_orphan("sleep 1000 & sleep 1000; :");
    wait_group_size(pid, 3);
    start = gn__proc_start_time(pid);
    assert_true(start > 0);

    /* a different start time: a reused pid, never touched */
    assert_int_equal(gn_exec_kill_stale(pid, start + 1), 0);
    assert_int_equal(gn_exec_kill_stale(pid, 0), 0);
    assert_int_equal(gn_exec_kill_stale(0, start), 0);
    gn_time_sleep(0.2, NULL);
    assert_true(alive(pid));
    assert_int_equal(group_alive(pid), 3);

    assert_int_equal(gn_exec_kill_stale(pid, start), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid); /* it was re-parented to us */
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_int_equal(eventually_zero(group_alive, (long)pid), 0);
    reap_orphans();
}

static void kill_stale_group_without_leader(void **state)
{
    pid_t pid;
    int64_t start;
    int status;
    (void)state;
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    /* the leader leaves a grandchild behind and exits (as a runner killed
     * by PR_SET_PDEATHSIG would) */
    pid = start_orphan("sleep 1000 & echo started; exec sleep 0.3");
    wait_group_size(pid, 2);
    start = gn__proc_start_time(pid);
    assert_true(start > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(group_alive(pid), 1);

    assert_int_equal(gn_exec_kill_stale(pid, start), 1);
    assert_int_equal(eventually_zero(group_alive, (long)pid), 0);
    reap_orphans();
    assert_int_equal(gn_exec_kill_stale(pid, start), 0); /* nothing left */
}

/* ---- executors ----------------------------------------------------------- */

static void executor_registry(void **state)
{
    static const char *const words[] = {"/bin/true", NULL};
    fixture f;
    (void)state;
    fx_init(&f, "registry", words);
    f.spec.executor.kind = "local";
    fx_start(&f);
    gn_executor_free(f.ex);
    f.ex = NULL;

    f.spec.executor.kind = "pbs";
    assert_int_equal(gn_executor_new(&f.cfg, &f.ex, &f.err), GN_ERR_UNSUPPORTED);
    assert_true(contains(f.err.msg, "'pbs'"));
    assert_true(contains(f.err.msg, "slurm"));
    assert_null(f.ex);

    f.spec.executor.kind = NULL;
    f.cfg.slots = 0;
    assert_int_equal(gn_executor_new(&f.cfg, &f.ex, &f.err), GN_ERR_INVALID);
    f.cfg.slots = 1;
    f.spec.runner.kind = GN_RUNNER_NONE;
    assert_int_equal(gn_executor_new(&f.cfg, &f.ex, &f.err), GN_ERR_SPEC);
    assert_true(contains(f.err.msg, "no runner"));
    fx_done(&f);
}

/* ---- the library runner -------------------------------------------------- */

static void lib_init(fixture *f, const char *name, const char *function)
{
    fx_init(f, name, NULL);
    f->spec.runner.kind = GN_RUNNER_LIBRARY;
    f->spec.runner.library = GN_TESTSIM_PATH;
    f->spec.runner.function = (char *)function;
}

static void lib_run(const char *name, const char *function, double timeout, gn_exec_result *r,
                    gn_task_started *s, fixture *f)
{
    static const double x[3] = {2.5, 3, 1};
    lib_init(f, name, function);
    f->spec.runner.timeout = timeout;
    fx_start(f);
    run_one(f, x, s, r);
}

static void library_success(void **state)
{
    fixture f;
    gn_exec_result r;
    gn_task_started s;
    char *called;
    (void)state;
    lib_run("lib", NULL, 0, &r, &s, &f); /* function defaults to "evaluate" */
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_null(r.reason);
    assert_int_equal(s.pid, 0);
    assert_near(outcome_value(r.outcome, "y"), 5.5, 1e-12);
    assert_near(outcome_value(r.outcome, "n_params"), 3, 0);
    assert_near(outcome_value(r.outcome, "experiment"), 1, 0);
    assert_near(outcome_value(r.outcome, "attempt"), 1, 0);
    assert_near(outcome_value(r.outcome, "workdir_ok"), 1, 0);
    assert_near(outcome_value(r.outcome, "label_is_Ni"), 1, 0);
    assert_near(outcome_value(r.outcome, "labels_null"), 1, 0);
    assert_near(outcome_value(r.outcome, "choice_index"), 1, 0);
    assert_true(contains(r.outcome, "{\"y\":5.5,")); /* set twice, stored once */
    called = read_text(s.workdir, "called.txt");
    assert_non_null(called);
    assert_string_equal(called, "flow-reactor {\"x\": 2.5, \"n\": 3, \"cat\": \"Ni\"}\n");
    assert_string_equal(r.stdout_tail, "");
    assert_string_equal(r.stderr_tail, "");
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void library_failures(void **state)
{
    fixture f;
    gn_exec_result r;
    gn_task_started s;
    (void)state;

    lib_run("libfail", "fails_with_reason", 0, &r, &s, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_string_equal(r.reason, "the solver diverged");
    assert_null(r.outcome);
    gn_exec_result_destroy(&r);
    fx_done(&f);

    lib_run("libseven", "returns_seven", 0, &r, &s, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_string_equal(r.reason, "'returns_seven' returned 7");
    assert_int_equal(r.exit_code, 7);
    assert_null(r.outcome);
    gn_exec_result_destroy(&r);
    fx_done(&f);

    lib_run("libnothing", "reports_nothing", 0, &r, &s, &f);
    assert_int_equal(r.status, GN_ATT_FAILED);
    assert_true(contains(r.reason, "no outcome: "));
    gn_exec_result_destroy(&r);
    fx_done(&f);

    lib_run("libbad", "bad_values", 0, &r, &s, &f);
    assert_int_equal(r.status, GN_ATT_SUCCEEDED);
    assert_near(outcome_value(r.outcome, "nan_rc"), GN_ERR_INVALID, 0);
    assert_near(outcome_value(r.outcome, "inf_rc"), GN_ERR_INVALID, 0);
    assert_near(outcome_value(r.outcome, "empty_rc"), GN_ERR_INVALID, 0);
    assert_near(outcome_value(r.outcome, "null_rc"), GN_ERR_INVALID, 0);
    assert_near(outcome_value(r.outcome, "null_out_rc"), GN_ERR_INVALID, 0);
    assert_null(strstr(r.outcome, "\"y\"")); /* every attempt to set y was refused */
    gn_exec_result_destroy(&r);
    fx_done(&f);

    lib_run("libslow", "slow", 0.1, &r, &s, &f);
    assert_int_equal(r.status, GN_ATT_TIMEOUT);
    assert_true(contains(r.reason, "timed out after 0.1 s"));
    assert_true(contains(r.reason, "cannot be interrupted"));
    assert_null(r.outcome);
    gn_exec_result_destroy(&r);
    fx_done(&f);
}

static void library_load_errors(void **state)
{
    fixture f;
    (void)state;
    lib_init(&f, "libsym", "no_such_function");
    assert_int_equal(gn_executor_new(&f.cfg, &f.ex, &f.err), GN_ERR_RUNNER);
    assert_true(contains(f.err.msg, "has no function 'no_such_function'"));
    assert_null(f.ex);
    fx_done(&f);

    lib_init(&f, "libmissing", NULL);
    f.spec.runner.library = "./libnot-there.so";
    assert_int_equal(gn_executor_new(&f.cfg, &f.ex, &f.err), GN_ERR_RUNNER);
    assert_true(contains(f.err.msg, "cannot load runner library './libnot-there.so'"));
    assert_true(contains(f.err.msg, DIR_ "/./libnot-there.so")); /* resolved against base_dir */
    assert_null(f.ex);
    fx_done(&f);
}

static void library_threads_and_cancel(void **state)
{
    static const double x[3] = {1, 1, 0};
    fixture f;
    gn_task t;
    gn_task_started s;
    gn_exec_result r[8];
    double last_start = 0, first_end = 1e300;
    int i, max_in_flight = 0;
    (void)state;

    lib_init(&f, "libthreads", "concurrent");
    f.cfg.slots = 4;
    fx_start(&f);
    for (i = 0; i < 4; i++) {
        task_init(&t, x, i + 1, 1);
        assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    }
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_ERR_STATE);
    assert_int_equal(wait_results(&f, r, 4), 4);
    /* a second round reuses the threads */
    for (i = 0; i < 4; i++) {
        task_init(&t, x, i + 5, 1);
        assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    }
    assert_int_equal(wait_results(&f, r + 4, 4), 4);
    for (i = 0; i < 8; i++) {
        double st, en;
        int m;
        assert_int_equal(r[i].status, GN_ATT_SUCCEEDED);
        st = outcome_value(r[i].outcome, "start");
        en = outcome_value(r[i].outcome, "end");
        m = (int)outcome_value(r[i].outcome, "max_in_flight");
        if (m > max_in_flight)
            max_in_flight = m;
        if (i < 4 && st > last_start)
            last_start = st;
        if (i < 4 && en < first_end)
            first_end = en;
        gn_exec_result_destroy(&r[i]);
    }
    assert_true(last_start < first_end); /* the first four overlapped */
    assert_true(max_in_flight >= 2 && max_in_flight <= 4);

    /* cancelling: running calls finish, their results are CANCELLED */
    for (i = 0; i < 2; i++) {
        task_init(&t, x, i + 9, 1);
        assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    }
    gn_executor_cancel_all(f.ex, 0.1);
    assert_int_equal(wait_results(&f, r, 2), 2);
    for (i = 0; i < 2; i++) {
        assert_int_equal(r[i].status, GN_ATT_CANCELLED);
        assert_null(r[i].outcome);
        gn_exec_result_destroy(&r[i]);
    }
    assert_int_equal(gn_executor_running(f.ex), 0);

    /* destroy with calls still running waits for them */
    task_init(&t, x, 11, 1);
    assert_int_equal(gn_executor_submit(f.ex, &t, &s, &f.err), GN_OK);
    fx_done(&f);
}

/* ---- out of memory ------------------------------------------------------- */

/* Makes each allocation of create + submit + wait fail in turn: every
 * failure is GN_ERR_NOMEM, nothing is left running or leaked, and a failed
 * wait loses no result (the next wait returns it). */
static void oom_sweep(fixture *f)
{
    static const double x[3] = {2.5, 3, 1};
    gn_task t;
    gn_task_started s;
    gn_exec_result r;
    gn_status st;
    long k, used;
    size_t n;
    int done = 0;

    for (k = 1; !done && k < 1000; k++) {
        long before = gn__alloc_count();
        gn__alloc_fail_at(k);
        st = gn_executor_new(&f->cfg, &f->ex, &f->err);
        if (st != GN_OK) {
            assert_int_equal(st, GN_ERR_NOMEM);
            assert_null(f->ex);
            continue;
        }
        task_init(&t, x, 1, 1);
        st = gn_executor_submit(f->ex, &t, &s, &f->err);
        if (st != GN_OK) {
            gn__alloc_fail_at(0);
            assert_int_equal(st, GN_ERR_NOMEM);
            assert_int_equal(gn_executor_running(f->ex), 0);
            gn_executor_free(f->ex);
            f->ex = NULL;
            continue;
        }
        do {
            st = gn_executor_wait(f->ex, 1.0, NULL, &r, 1, &n, &f->err);
            assert_true(st == GN_OK || st == GN_ERR_NOMEM);
        } while (st != GN_OK || n == 0);
        used = gn__alloc_count() - before;
        gn__alloc_fail_at(0);
        assert_int_equal(r.status, GN_ATT_SUCCEEDED);
        assert_int_equal(gn_executor_running(f->ex), 0);
        gn_exec_result_destroy(&r);
        gn_executor_free(f->ex);
        f->ex = NULL;
        done = used < k; /* the injected failure was never reached: all paths seen */
    }
    fprintf(stderr, "out-of-memory sweep: %ld allocations\n", k - 1);
    assert_true(done);
}

static void out_of_memory_paths(void **state)
{
    char path[PATH_MAX];
    const char *words[] = {"/bin/sh", path, "{x}", "{cat}", NULL};
    fixture f;
    (void)state;
    snprintf(path, sizeof path, "%s/stdout_json.sh", DIR_);
    fx_init(&f, "oom", words);
    oom_sweep(&f);
    fx_done(&f);

    lib_init(&f, "oomlib", "evaluate");
    oom_sweep(&f);
    fx_done(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(stdout_last_json_line_wins),
    cmocka_unit_test(outcome_file_wins_over_stdout),
    cmocka_unit_test(invalid_outcome_file_fails),
    cmocka_unit_test(non_number_value_fails),
    cmocka_unit_test(missing_outcome_fails),
    cmocka_unit_test(nonzero_exit_fails_with_stderr_tail),
    cmocka_unit_test(killed_by_signal_fails),
    cmocka_unit_test(cannot_start_missing_program),
    cmocka_unit_test(cannot_start_after_submit),
    cmocka_unit_test(timeout_kills_group_with_grandchildren),
    cmocka_unit_test(sigterm_ignored_then_sigkill),
    cmocka_unit_test(huge_output_keeps_bounded_tails),
    cmocka_unit_test(placeholders_and_environment),
    cmocka_unit_test(value_formatting_and_placeholder_errors),
    cmocka_unit_test(parallel_slots_overlap),
    cmocka_unit_test(cancel_all_stops_everything),
    cmocka_unit_test(destroy_kills_running_runners),
    cmocka_unit_test(kill_stale_orphan),
    cmocka_unit_test(kill_stale_group_without_leader),
    cmocka_unit_test(executor_registry),
    cmocka_unit_test(library_success),
    cmocka_unit_test(library_failures),
    cmocka_unit_test(library_load_errors),
    cmocka_unit_test(library_threads_and_cancel),
    cmocka_unit_test(out_of_memory_paths),
};

GN_TEST_MAIN(tests)
