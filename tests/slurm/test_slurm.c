/*
 * test_slurm.c - `executor: {kind: slurm}` with a real Slurm cluster: the
 * one tests/slurm/slurm-cluster started under GN_SLURM_DIR (the ctest
 * fixture slurm.cluster). Each case writes a spec and a runner script, runs
 * `genesis run` / `resume` as a user would (or submits it with sbatch),
 * and checks the database with SQLite directly:
 *
 *   - jobs_campaign: one sbatch per attempt; job id, state and node stored
 *     with every attempt; a runner that fails once is retried;
 *   - array_campaign: attempts started together go in one job array;
 *   - pilot_campaign: `genesis run` submitted with sbatch -n 4 runs its
 *     experiments as srun steps of its own allocation (launch: steps);
 *   - pilot_workers_campaign: the same with pilot worker steps (launch:
 *     workers, the default): every outcome once, a failure retried, each
 *     attempt with the step id of its worker;
 *   - pilot_workers_timeout: runner.timeout enforced inside a worker;
 *   - pilot_workers_scancel: `scancel` of the worker step running an
 *     attempt: the attempt fails with the reason and is retried, the slot
 *     gets a new worker, nothing is lost or run twice;
 *   - pilot_workers_library: a runner.library (examples/branin's module)
 *     called inside the pilot workers; refused with the reason outside an
 *     allocation (array mode);
 *   - pilot_workers_hung: a worker that hangs (SIGSTOP) holding an
 *     attempt: genesis kills its step 10 s after the attempt's time limit,
 *     the attempt fails with the reason and is retried on a new worker;
 *   - pilot_workers_resume_after_kill: genesis killed with SIGKILL inside
 *     its job (its workers go with it); `genesis resume` in a new job reruns
 *     only what was in flight;
 *   - resume_after_kill: genesis is killed with SIGKILL while its jobs run;
 *     `genesis resume` re-attaches to them by id, collects those that ended
 *     meanwhile, and nothing is submitted twice or lost;
 *   - requeue_one_outcome: `scontrol requeue` of a running job: the job
 *     runs again and the attempt has exactly one outcome;
 *   - preempt_one_outcome: the running job is preempted (a job in the
 *     higher-tier partition `urgent` takes the whole node; PreemptMode
 *     REQUEUE) and runs again afterwards: one attempt, one outcome;
 *   - scancel_is_failure: a job cancelled outside genesis is a failed
 *     attempt with the reason, and is retried;
 *   - time_limit_is_timeout: a job killed by Slurm at its time limit is a
 *     "timeout" attempt (label slow: slurmctld checks limits every 30 s);
 *   - runner_timeout: runner.timeout is enforced inside the job;
 *   - stop_cancels_or_leaves: Ctrl-C scancels the jobs; with --leave-jobs
 *     they keep running and a resume adopts them.
 *
 * Exits 77 (ctest: skipped) with the reason when the cluster is not up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gn_test.h"

static const char *genesis_bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static void write_file(const char *path, int mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void write_file(const char *path, int mode, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    va_list ap;
    assert_non_null(f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, (mode_t)mode), 0);
}

/* The runner: reads x from $GENESIS_PARAMS and reports {"y": x, "exp": N}
 * after doing what $1 says:
 *   quick | sleep S | fail2 (experiment 2 fails its first attempt) |
 *   slowfirst (first attempt sleeps 60 s) | slowone (experiment 1's first
 *   attempt writes its Slurm step to ./step and sleeps 60 s) | hangone
 *   (experiment 1's first attempt writes its step to ./step and stops its
 *   parent, the pilot worker, with SIGSTOP) |
 *   file (outcome in $GENESIS_OUTPUT) */
static const char sim_sh[] =
    "#!/bin/sh\n"
    "x=$(printf '%s' \"$GENESIS_PARAMS\" | sed 's/.*\"x\": *\\([-0-9.e+]*\\).*/\\1/')\n"
    "case \"$1\" in\n"
    "  sleep) sleep \"$2\" ;;\n"
    "  fail2) if [ \"$GENESIS_EXPERIMENT\" = 2 ] && [ \"$GENESIS_ATTEMPT\" = 1 ]; then\n"
    "           echo 'failing on purpose' >&2; exit 3; fi ;;\n"
    "  slowfirst) [ \"$GENESIS_ATTEMPT\" = 1 ] && sleep 60 ;;\n"
    "  slowone) if [ \"$GENESIS_EXPERIMENT\" = 1 ] && [ \"$GENESIS_ATTEMPT\" = 1 ]; then\n"
    "           echo \"$SLURM_JOB_ID.$SLURM_STEP_ID\" >step; sleep 60; fi ;;\n"
    "  hangone) if [ \"$GENESIS_EXPERIMENT\" = 1 ] && [ \"$GENESIS_ATTEMPT\" = 1 ]; then\n"
    "           echo \"$SLURM_JOB_ID.$SLURM_STEP_ID\" >step; kill -STOP $PPID; fi ;;\n"
    "  file) printf '{\"y\": %s, \"exp\": %s}' \"$x\" \"$GENESIS_EXPERIMENT\" >\"$GENESIS_OUTPUT\"; "
    "exit 0 ;;\n"
    "esac\n"
    "echo progress\n"
    "printf '{\"y\": %s, \"exp\": %s}\\n' \"$x\" \"$GENESIS_EXPERIMENT\"\n";

typedef struct tcase {
    char dir[1024];
    char spec[1200];
    char db[1200];
    char log[1200];
    char name[64];
} tcase;

/* A fresh folder with sim.sh and spec.yaml: campaign `name`, `budget`
 * experiments, `parallel` at once, `retries`, the runner's arguments
 * `args` (YAML list items after "./sim.sh") and the executor's other keys
 * `exec_keys` (YAML flow items after "kind: slurm"). */
static void setup_case(tcase *t, const char *name, int budget, int parallel, int retries,
                       const char *args, const char *runner_extra, const char *exec_keys)
{
    char cmd[1400], path[1300];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->dir, sizeof t->dir, GN_TEST_TMP "/slurm-%s", name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", t->dir, t->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/sim.sh", t->dir);
    write_file(path, 0755, "%s", sim_sh);
    snprintf(t->spec, sizeof t->spec, "%s/spec.yaml", t->dir);
    snprintf(t->db, sizeof t->db, "%s/genesis.db", t->dir);
    snprintf(t->log, sizeof t->log, "%s/genesis.log", t->dir);
    write_file(t->spec, 0644,
               "name: %s\n"
               "parameters:\n"
               "  - {name: x, type: real, low: 0, high: 1}\n"
               "objectives:\n"
               "  - {name: y, goal: maximize}\n"
               "runner: {command: [\"./sim.sh\"%s%s], retries: %d%s}\n"
               "planner: {strategy: random, seed: 7}\n"
               "budget: {experiments: %d, parallel: %d}\n"
               "executor: {kind: slurm, poll: 0.2%s%s}\n",
               name, *args ? ", " : "", args, retries, runner_extra, budget, parallel,
               *exec_keys ? ", " : "", exec_keys);
}

/* Starts `genesis a1 a2 --db DB [more words, NULL-terminated]` in the
 * case's folder, output appended to its log, outside any allocation. */
static pid_t genesis_start(const tcase *t, const char *a1, const char *a2, ...)
{
    const char *argv[16];
    int n = 0;
    va_list ap;
    pid_t pid;

    argv[n++] = "genesis";
    argv[n++] = a1;
    argv[n++] = a2;
    argv[n++] = "--db";
    argv[n++] = t->db;
    va_start(ap, a2);
    while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (chdir(t->dir) != 0)
            _exit(126);
        unsetenv("SLURM_JOB_ID");
        unsetenv("SLURM_JOBID");
        setenv("GENESIS_LOG", "warn", 1);
        execv(genesis_bin(), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show_log(const tcase *t)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "echo '--- %s:'; tail -n 40 '%s'", t->log, t->log);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log)\n");
}

static int run_genesis(const tcase *t, const char *a1, const char *a2, const char *a3)
{
    int rc = wait_exit(genesis_start(t, a1, a2, a3, (char *)NULL));
    if (rc != 0)
        show_log(t);
    return rc;
}

/* ---- the database ---------------------------------------------------------- */

static sqlite3 *db_open(const tcase *t)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* The first column of the first row of `sql` as an integer (0 when
 * none); -1 when the statement cannot be prepared (a database genesis is
 * still creating has no tables yet). */
static long q_long_try(const tcase *t, const char *sql)
{
    sqlite3 *db = db_open(t);
    sqlite3_stmt *st = NULL;
    long v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static long q_long(const tcase *t, const char *sql)
{
    long v = q_long_try(t, sql);
    if (v < 0)
        fprintf(stderr, "cannot prepare: %s\n", sql);
    assert_true(v >= 0);
    return v;
}

/* Same, as text into buf ("" when none or NULL). */
static void q_text(const tcase *t, const char *sql, char *buf, size_t size)
{
    sqlite3 *db = db_open(t);
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Waits up to `secs` for q_long(sql) >= want; returns the last value. The
 * database may not exist yet at first. */
static long wait_for(const tcase *t, const char *sql, long want, double secs)
{
    double end = now_s() + secs;
    long v = -1;
    while (now_s() < end) {
        if (access(t->db, F_OK) == 0) {
            v = q_long_try(t, sql);
            if (v >= want)
                return v;
        }
        nap(0.1);
    }
    return v;
}

/* Prints the attempts, for failures. */
static void show_attempts(const tcase *t)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' 'SELECT e.number, a.number, a.status, a.job_id, a.job_state, a.host, "
             "a.reason FROM attempts a JOIN experiments e ON e.id = a.experiment_id ORDER BY 1, 2' "
             ">&2",
             t->db);
    if (system(cmd) != 0)
        fprintf(stderr, "(sqlite3 not available)\n");
}

/* The checks every finished campaign passes: `budget` experiments
 * completed, none twice, every attempt of a job with its job id and a
 * final state, job ids never shared, the outcome's "exp" is the
 * experiment's number (the runner saw the contract's environment). */
static void check_campaign(const tcase *t, long budget)
{
    long completed = q_long(t, "SELECT count(*) FROM experiments WHERE status = 'completed'");
    if (completed != budget)
        show_attempts(t);
    assert_int_equal(completed, budget);
    assert_int_equal(q_long(t, "SELECT count(*) FROM attempts WHERE status = 'succeeded'"), budget);
    assert_int_equal(q_long(t, "SELECT count(*) FROM attempts WHERE status IN ('running', "
                               "'interrupted')"),
                     0);
    assert_int_equal(q_long(t, "SELECT count(*) FROM attempts WHERE job_id IS NULL OR job_state "
                               "IS NULL OR host IS NULL OR host = ''"),
                     0);
    assert_int_equal(q_long(t, "SELECT count(*) FROM experiments WHERE CAST(json_extract(outcome, "
                               "'$.exp') AS INTEGER) != number"),
                     0);
    assert_int_equal(q_long(t, "SELECT count(*) FROM attempts WHERE status = 'succeeded' AND "
                               "job_state != 'COMPLETED'"),
                     0);
}

/* ---- Slurm ------------------------------------------------------------------ */

static int tool(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tool(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* The state squeue shows for job `id` ("" when none). */
static void job_state(const char *id, char *buf, size_t size)
{
    char cmd[256];
    FILE *p;
    buf[0] = '\0';
    snprintf(cmd, sizeof cmd, "squeue -h --states=all -j '%s' -o '%%T' 2>/dev/null", id);
    p = popen(cmd, "r");
    if (!p)
        return;
    if (fgets(buf, (int)size, p))
        buf[strcspn(buf, "\n")] = '\0';
    pclose(p);
}

/* Waits for the single attempt to run in its job (the batch script's
 * `starts` file exists); writes its job id. */
static void wait_running_job(const tcase *t, char *id, size_t size, int starts)
{
    char sql[256], path[1400], wd[1200];
    double end = now_s() + 30;
    assert_true(wait_for(t, "SELECT count(*) FROM attempts WHERE status = 'running' AND job_id "
                            "IS NOT NULL",
                         1, 30) >= 1);
    q_text(t, "SELECT job_id FROM attempts WHERE status = 'running'", id, size);
    q_text(t, "SELECT workdir FROM attempts WHERE status = 'running'", wd, sizeof wd);
    snprintf(path, sizeof path, "%s.slurm/starts", wd);
    snprintf(sql, sizeof sql, "wc -l < '%s' 2>/dev/null", path);
    while (now_s() < end) {
        FILE *p = popen(sql, "r");
        int lines = 0;
        if (p) {
            if (fscanf(p, "%d", &lines) != 1)
                lines = 0;
            pclose(p);
        }
        if (lines >= starts)
            return;
        nap(0.1);
    }
    fail_msg("job %s did not start within 30 s", id);
}

/* ---- cases ------------------------------------------------------------------ */

static void jobs_campaign(void **state)
{
    tcase t;
    (void)state;
    setup_case(&t, "jobs", 6, 3, 1, "\"fail2\"", "", "mode: jobs");
    assert_int_equal(run_genesis(&t, "run", t.spec, "--quiet"), 0);
    check_campaign(&t, 6);
    /* one job per attempt, plain job ids */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 7);
    assert_int_equal(q_long(&t, "SELECT count(DISTINCT job_id) FROM attempts"), 7);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE job_id GLOB '*[^0-9]*'"), 0);
    /* experiment 2 failed once (exit 3, the runner's stderr kept) and was retried */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts a JOIN experiments e ON e.id = "
                                "a.experiment_id WHERE e.number = 2 AND a.number = 1 AND a.status "
                                "= 'failed' AND a.reason = 'exit status 3' AND a.exit_code = 3 AND "
                                "a.job_state = 'FAILED' AND a.stderr_tail LIKE '%failing on "
                                "purpose%'"),
                     1);
    assert_int_equal(q_long(&t, "SELECT attempts FROM experiments WHERE number = 2"), 2);
}

static void array_campaign(void **state)
{
    tcase t;
    (void)state;
    setup_case(&t, "array", 8, 4, 0, "\"file\"", "", "mode: array");
    assert_int_equal(run_genesis(&t, "run", t.spec, "--quiet"), 0);
    check_campaign(&t, 8);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 8);
    /* attempts started together are elements "<array>_<index>" of one
     * array (the first turn starts 4); one started alone is a plain job */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE NOT (job_id GLOB "
                                "'[0-9]*_[0-9]*' OR (job_id GLOB '[0-9]*' AND job_id NOT GLOB "
                                "'*[^0-9]*'))"),
                     0);
    assert_true(q_long(&t, "SELECT count(*) FROM attempts WHERE job_id GLOB '*_*'") >= 4);
    assert_int_equal(q_long(&t, "SELECT count(DISTINCT job_id) FROM attempts"), 8);
    assert_true(q_long(&t, "SELECT count(DISTINCT CASE WHEN instr(job_id, '_') > 0 THEN "
                           "substr(job_id, 1, instr(job_id, '_') - 1) ELSE job_id END) FROM "
                           "attempts") <= 5);
}

/* Submits `genesis CMD WHAT --db DB --quiet` as the user's batch job with
 * `sbatch -n NTASKS`, output appended to the case's log; writes the job
 * id. The batch shell execs genesis and writes its pid to DIR/genesis.pid. */
static void submit_genesis(const tcase *t, int ntasks, const char *cmd_word, const char *what,
                           char *id, size_t size)
{
    char cmd[4096];
    FILE *p;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && sbatch --parsable -n %d --open-mode=append --output='%s' --wrap \"echo "
             "\\$\\$ >'%s/genesis.pid'; exec '%s' %s '%s' --db '%s' --quiet\"",
             t->dir, ntasks, t->log, t->dir, genesis_bin(), cmd_word, what, t->db);
    p = popen(cmd, "r");
    assert_non_null(p);
    id[0] = '\0';
    if (fgets(id, (int)size, p))
        id[strcspn(id, ";\n")] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_true(id[0] >= '0' && id[0] <= '9');
}

/* Waits up to `secs` for job `id` to reach a final state; writes it. */
static void wait_job_final(const char *id, double secs, char *st, size_t size)
{
    double end = now_s() + secs;
    do {
        nap(0.2);
        job_state(id, st, size);
    } while (now_s() < end && strcmp(st, "COMPLETED") != 0 && strcmp(st, "FAILED") != 0 &&
             strcmp(st, "CANCELLED") != 0 && strcmp(st, "TIMEOUT") != 0);
}

/* Waits up to secs for genesis's job `id` to end; fails, showing
 * genesis's log, unless it COMPLETED. */
static void expect_job_completed(const tcase *t, const char *id, double secs)
{
    char st[64];
    wait_job_final(id, secs, st, sizeof st);
    if (strcmp(st, "COMPLETED") != 0)
        show_log(t);
    assert_string_equal(st, "COMPLETED");
}

/* Submits `genesis cmd_word what` in an allocation of ntasks (as
 * submit_genesis; writes the job id) and expects it to complete within secs. */
static void run_genesis_job(const tcase *t, int ntasks, const char *cmd_word, const char *what,
                            double secs, char *id, size_t size)
{
    submit_genesis(t, ntasks, cmd_word, what, id, size);
    expect_job_completed(t, id, secs);
}

static void pilot_campaign(void **state)
{
    tcase t;
    char cmd[256], id[64] = "";
    (void)state;
    setup_case(&t, "pilot", 8, 4, 0, "\"sleep\", \"0.5\"", "", "launch: steps");
    /* the user's batch job: genesis inside an allocation of 4 tasks */
    run_genesis_job(&t, 4, "run", t.spec, 60, id, sizeof id);
    check_campaign(&t, 8);
    /* every attempt ran as a step of the pilot's own job: nothing else was submitted */
    snprintf(cmd, sizeof cmd, "SELECT count(*) FROM attempts WHERE job_id = '%s'", id);
    assert_int_equal(q_long(&t, cmd), 8);
    /* 4 at a time: some overlapped */
    assert_true(q_long(&t, "SELECT count(*) FROM attempts a, attempts b WHERE a.id < b.id AND "
                           "a.started < b.finished AND b.started < a.finished") > 0);
}

/* The count of attempts whose job id is a step "<id>.<n>" of job `id`. */
static long steps_of(const tcase *t, const char *id, const char *where)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM attempts WHERE job_id GLOB '%s.[0-9]*' AND job_id NOT GLOB "
             "'%s.*[^0-9]*'%s%s",
             id, id, *where ? " AND " : "", where);
    return q_long(t, sql);
}

static void pilot_workers_campaign(void **state)
{
    tcase t;
    char sql[256], id[64] = "";
    (void)state;
    /* launch: workers is the default in pilot mode */
    setup_case(&t, "pworkers", 24, 4, 1, "\"fail2\"", "", "");
    run_genesis_job(&t, 4, "run", t.spec, 60, id, sizeof id);
    check_campaign(&t, 24);
    /* every outcome once; experiment 2 failed once (exit 3) and was retried */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 25);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts a JOIN experiments e ON e.id = "
                                "a.experiment_id WHERE e.number = 2 AND a.number = 1 AND a.status "
                                "= 'failed' AND a.reason = 'exit status 3' AND a.job_state = "
                                "'FAILED' AND a.stderr_tail LIKE '%failing on purpose%'"),
                     1);
    /* each attempt carries the step of the worker that ran it: 4 workers,
     * steps of the genesis job, nothing else submitted */
    assert_int_equal(steps_of(&t, id, ""), 25);
    assert_int_equal(q_long(&t, "SELECT count(DISTINCT job_id) FROM attempts"), 4);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM attempts WHERE host = ''");
    assert_int_equal(q_long(&t, sql), 0);
}

static void pilot_workers_timeout(void **state)
{
    tcase t;
    char id[64] = "";
    (void)state;
    setup_case(&t, "pwtimeout", 2, 2, 0, "\"sleep\", \"30\"", ", timeout: 1, kill_grace: 1", "");
    run_genesis_job(&t, 2, "run", t.spec, 60, id, sizeof id);
    if (q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'timeout'") != 2)
        show_attempts(&t);
    /* enforced by the worker: the runner's own timeout, within seconds */
    assert_int_equal(steps_of(&t, id, "status = 'timeout' AND reason = 'timed out after 1 s' AND "
                                     "job_state = 'TIMEOUT' AND finished - started < 10"),
                     2);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM experiments WHERE status = 'failed'"), 2);
}

/* Waits until experiment 1's first attempt runs in a worker and wrote its
 * step to ./step in its folder; writes the step id. */
static void wait_step_file(const tcase *t, char *step, size_t size)
{
    char wd[1200], path[1300];
    double end = now_s() + 30;
    assert_true(wait_for(t, "SELECT count(*) FROM attempts a JOIN experiments e ON e.id = "
                            "a.experiment_id WHERE e.number = 1 AND a.status = 'running'",
                         1, 30) >= 1);
    q_text(t, "SELECT a.workdir FROM attempts a JOIN experiments e ON e.id = a.experiment_id "
              "WHERE e.number = 1 AND a.number = 1",
           wd, sizeof wd);
    snprintf(path, sizeof path, "%s/step", wd);
    step[0] = '\0';
    while (now_s() < end) {
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(step, (int)size, f))
                step[strcspn(step, "\n")] = '\0';
            fclose(f);
            if (strchr(step, '.'))
                return;
        }
        nap(0.1);
    }
    fail_msg("experiment 1 did not start in a worker within 30 s (%s)", path);
}

/* The count of attempt `attempt` of experiment `number` that also meets
 * the SQL condition `where` (on attempts a). */
static long exp_attempts(const tcase *t, long number, int attempt, const char *where)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM attempts a JOIN experiments e ON e.id = a.experiment_id WHERE "
             "e.number = %ld AND a.number = %d AND (%s)",
             number, attempt, where);
    return q_long(t, sql);
}

/* exp_attempts must be `want`; shows the attempts when not. */
static void expect_exp_attempts(const tcase *t, long number, int attempt, const char *where,
                                long want)
{
    long got = exp_attempts(t, number, attempt, where);
    if (got != want)
        show_attempts(t);
    assert_int_equal(got, want);
}

static void pilot_workers_scancel(void **state)
{
    tcase t;
    char id[64] = "", step[64], sql[512];
    long failed;
    (void)state;
    setup_case(&t, "pwscancel", 4, 2, 1, "\"slowone\"", "", "");
    submit_genesis(&t, 2, "run", t.spec, id, sizeof id);
    wait_step_file(&t, step, sizeof step);
    assert_int_equal(strncmp(step, id, strlen(id)), 0);
    /* the worker step running experiment 1 is cancelled from outside */
    assert_int_equal(tool("scancel %s", step), 0);
    expect_job_completed(&t, id, 60);
    check_campaign(&t, 4);
    /* scancel kills the step's processes one by one, so experiment 1's
     * first attempt ends in one of three ways: the step's end (genesis
     * sees the worker go), the runner's SIGKILL (the worker reported it
     * before it was killed itself), or, when only the runner's sleep was
     * killed, the runner finishing normally. Whichever: it ran on the
     * cancelled step; a failure was retried once and succeeded elsewhere
     * (not on the dying step); nothing was lost or run twice. */
    snprintf(sql, sizeof sql, "a.job_id = '%s'", step);
    expect_exp_attempts(&t, 1, 1, sql, 1);
    snprintf(sql, sizeof sql,
             "a.status = 'failed' AND (a.reason LIKE 'Slurm step %s%% ended while the attempt "
             "ran%%' OR a.reason LIKE 'killed by signal 9%%')",
             step);
    failed = exp_attempts(&t, 1, 1, sql);
    if (failed) {
        snprintf(sql, sizeof sql, "a.status = 'succeeded' AND a.job_id <> '%s'", step);
        expect_exp_attempts(&t, 1, 2, sql, 1);
    }
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 4 + failed);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'succeeded'"), 4);
}

static void pilot_workers_library(void **state)
{
    tcase t;
    char id[64] = "", path[1300], sql[256];
    pid_t pid;
    (void)state;
#ifndef GN_BRANIN_LIB
    skip();
#else
    setup_case(&t, "pwlibrary", 1, 1, 0, "", "", "");
    write_file(t.spec, 0644,
               "name: %s\n"
               "parameters:\n"
               "  - {name: x1, type: real, low: -5, high: 10}\n"
               "  - {name: x2, type: real, low: 0, high: 15}\n"
               "objectives:\n"
               "  - {name: f, goal: minimize}\n"
               "runner: {library: %s, timeout: 30}\n"
               "planner: {strategy: random, seed: 7}\n"
               "budget: {experiments: 20, parallel: 2}\n"
               "executor: {kind: slurm, poll: 0.2}\n",
               t.name, GN_BRANIN_LIB);
    /* outside an allocation (array mode): refused, with the way out */
    pid = genesis_start(&t, "run", t.spec, NULL);
    assert_int_not_equal(wait_exit(pid), 0);
    snprintf(path, sizeof path, "grep -q 'runner.library only in pilot workers' '%s'", t.log);
    if (system(path) != 0)
        show_log(&t);
    assert_int_equal(system(path), 0);
    /* in an allocation: the workers call it */
    run_genesis_job(&t, 2, "run", t.spec, 60, id, sizeof id);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 20);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 20);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE runner = 'library' AND status "
                                "= 'succeeded' AND job_state = 'COMPLETED' AND host <> ''"),
                     20);
    /* real evaluations: Branin is >= 0.397887 everywhere */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM experiments WHERE json_extract(outcome, "
                                "'$.f') >= 0.3978"),
                     20);
    assert_int_equal(steps_of(&t, id, ""), 20);
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT job_id) FROM attempts");
    assert_int_equal(q_long(&t, sql), 2);
#endif
}

static void pilot_workers_hung(void **state)
{
    tcase t;
    char id[64] = "", step[64], sql[768];
    (void)state;
    /* time limit 2 + 1 s: the hung worker is ended about 13 s after it got
     * experiment 1 */
    setup_case(&t, "pwhung", 4, 2, 1, "\"hangone\"", ", timeout: 2, kill_grace: 1", "");
    submit_genesis(&t, 2, "run", t.spec, id, sizeof id);
    wait_step_file(&t, step, sizeof step);
    assert_int_equal(strncmp(step, id, strlen(id)), 0);
    expect_job_completed(&t, id, 90);
    check_campaign(&t, 4);
    /* the attempt on the stopped worker failed with the reason, after the
     * time limit and the margin, and was retried on another step */
    snprintf(sql, sizeof sql,
             "a.status = 'failed' AND a.job_id = '%s' AND a.reason LIKE '%%sent no result 10 s "
             "after the attempt''s time limit%%hung%%' AND a.finished - a.started BETWEEN 12 AND 60",
             step);
    expect_exp_attempts(&t, 1, 1, sql, 1);
    snprintf(sql, sizeof sql, "a.status = 'succeeded' AND a.job_id <> '%s'", step);
    expect_exp_attempts(&t, 1, 2, sql, 1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 5);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'succeeded'"), 4);
    /* the stopped worker's step is gone */
    assert_int_equal(tool("squeue -h -s -j '%s' | grep -q '^ *%s '", id, step) == 0, 0);
}

static void pilot_workers_resume_after_kill(void **state)
{
    tcase t;
    char id[64] = "", id2[64] = "", st[64], path[1300];
    long pid = 0, running;
    FILE *f;
    (void)state;
    setup_case(&t, "pwresume", 8, 2, 0, "\"sleep\", \"1\"", "", "");
    submit_genesis(&t, 2, "run", t.spec, id, sizeof id);
    /* some done, two running: kill genesis (its workers and the job end) */
    assert_true(wait_for(&t, "SELECT count(*) FROM attempts WHERE status = 'succeeded'", 2, 30) >= 2);
    assert_true(wait_for(&t, "SELECT count(*) FROM attempts WHERE status = 'running'", 1, 10) >= 1);
    snprintf(path, sizeof path, "%s/genesis.pid", t.dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    assert_true(pid > 1);
    running = q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'running'");
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    wait_job_final(id, 30, st, sizeof st);
    assert_true(strcmp(st, "COMPLETED") != 0); /* the batch script died with genesis */
    /* resume in a new allocation */
    run_genesis_job(&t, 2, "resume", t.name, 60, id2, sizeof id2);
    /* every experiment once; those in flight at the kill were interrupted
     * and rerun, nothing else ran twice */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 8);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'succeeded'"), 8);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM (SELECT experiment_id FROM attempts WHERE "
                                "status = 'succeeded' GROUP BY 1 HAVING count(*) > 1)"),
                     0);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'running'"), 0);
    if (q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'interrupted'") > running)
        show_attempts(&t);
    assert_true(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'interrupted'") <= running);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status NOT IN ('succeeded', "
                                "'interrupted')"),
                     0);
    assert_true(steps_of(&t, id2, "status = 'succeeded'") >= 1);
    /* the old job's worker steps are gone */
    {
        char cmd[256], buf[256] = "";
        FILE *p;
        snprintf(cmd, sizeof cmd, "squeue -h -s -j '%s' 2>/dev/null | wc -l", id);
        p = popen(cmd, "r");
        assert_non_null(p);
        if (!fgets(buf, sizeof buf, p))
            buf[0] = '\0';
        pclose(p);
        assert_int_equal(atoi(buf), 0);
    }
}

static void resume_after_kill(void **state)
{
    tcase t;
    pid_t pid;
    long n;
    (void)state;
    setup_case(&t, "resume", 6, 3, 0, "\"sleep\", \"2\"", "", "mode: array");
    pid = genesis_start(&t, "run", t.spec, "--quiet", (char *)NULL);
    /* the first array of 3 is submitted: its job ids are in the attempts' folders */
    n = wait_for(&t, "SELECT count(*) FROM attempts WHERE status = 'running' AND job_state = "
                     "'SUBMITTING'",
                 3, 30);
    assert_int_equal(n, 3);
    nap(0.8);
    kill(pid, SIGKILL);
    wait_exit(pid);
    /* jobs run on without genesis; some end before it comes back */
    nap(2.5);
    assert_int_equal(run_genesis(&t, "resume", t.name, "--quiet"), 0);
    check_campaign(&t, 6);
    /* nothing rerun: one attempt per experiment, none interrupted, one job each */
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 6);
    assert_int_equal(q_long(&t, "SELECT count(DISTINCT job_id) FROM attempts"), 6);
    /* nothing submitted twice: Slurm ran exactly the recorded jobs under the run folder */
    {
        char cmd[2048];
        FILE *p;
        int jobs = -1;
        snprintf(cmd, sizeof cmd,
                 "grep -c 'WorkDir=%s/genesis.db.runs/' '%s/log/jobcomp.log'", t.dir, GN_SLURM_DIR);
        p = popen(cmd, "r");
        assert_non_null(p);
        if (fscanf(p, "%d", &jobs) != 1)
            jobs = -1;
        pclose(p);
        assert_int_equal(jobs, 6);
    }
}

/* The restart counts the job of the campaign's one attempt recorded at
 * each of its starts ("0 1 " when it ran twice). */
static void job_starts(const tcase *t, char *starts, size_t size)
{
    char wd[1200], cmd[1400];
    FILE *p;
    q_text(t, "SELECT workdir FROM attempts", wd, sizeof wd);
    snprintf(cmd, sizeof cmd, "awk '{print $2}' '%s.slurm/starts' | tr '\\n' ' '", wd);
    p = popen(cmd, "r");
    assert_non_null(p);
    starts[0] = '\0';
    if (!fgets(starts, (int)size, p))
        starts[0] = '\0';
    pclose(p);
}

static void requeue_one_outcome(void **state)
{
    tcase t;
    char id[64], starts[64];
    pid_t pid;
    (void)state;
    setup_case(&t, "requeue", 1, 1, 0, "\"sleep\", \"3\"", "", "mode: jobs");
    pid = genesis_start(&t, "run", t.spec, "--quiet", (char *)NULL);
    wait_running_job(&t, id, sizeof id, 1);
    /* while it runs, the store says so, with the node Slurm gave it */
    assert_int_equal(wait_for(&t, "SELECT count(*) FROM attempts WHERE status = 'running' AND "
                                  "job_state = 'RUNNING' AND host IS NOT NULL AND host <> ''",
                              1, 15),
                     1);
    assert_int_equal(tool("scontrol requeue %s", id), 0);
    assert_int_equal(wait_exit(pid), 0);
    check_campaign(&t, 1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 1);
    /* it ran twice, the second time as restart 1, and yielded one outcome */
    job_starts(&t, starts, sizeof starts);
    assert_string_equal(starts, "0 1 ");
}

static void preempt_one_outcome(void **state)
{
    tcase t;
    char id[64], starts[64], path[1300];
    pid_t pid;
    (void)state;
    setup_case(&t, "preempt", 1, 1, 0, "\"sleep\", \"4\"", "", "mode: jobs");
    pid = genesis_start(&t, "run", t.spec, "--quiet", (char *)NULL);
    wait_running_job(&t, id, sizeof id, 1);
    assert_int_equal(wait_for(&t, "SELECT count(*) FROM attempts WHERE job_state = 'RUNNING'", 1, 15),
                     1);
    /* a job of the higher tier that needs the whole node preempts it */
    snprintf(path, sizeof path, "%s/urgent.out", t.dir);
    assert_int_equal(tool("sbatch -Q -p urgent --exclusive -J urgent -o '%s' --wrap 'sleep 2'", path),
                     0);
    assert_int_equal(wait_exit(pid), 0);
    check_campaign(&t, 1);
    if (q_long(&t, "SELECT count(*) FROM attempts") != 1)
        show_attempts(&t);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 1);
    /* it ran twice, the second time as restart 1, and yielded one outcome */
    job_starts(&t, starts, sizeof starts);
    assert_string_equal(starts, "0 1 ");
}

static void scancel_is_failure(void **state)
{
    tcase t;
    char id[64];
    pid_t pid;
    (void)state;
    setup_case(&t, "scancel", 1, 1, 1, "\"slowfirst\"", "", "mode: jobs");
    pid = genesis_start(&t, "run", t.spec, "--quiet", (char *)NULL);
    wait_running_job(&t, id, sizeof id, 1);
    assert_int_equal(tool("scancel %s", id), 0);
    assert_int_equal(wait_exit(pid), 0);
    check_campaign(&t, 1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE number = 1 AND status = "
                                "'failed' AND job_state = 'CANCELLED' AND reason LIKE '%was "
                                "cancelled outside genesis%'"),
                     1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE number = 2 AND status = "
                                "'succeeded'"),
                     1);
}

static void time_limit_is_timeout(void **state)
{
    tcase t;
    char id[64];
    pid_t pid;
    (void)state;
    setup_case(&t, "timelimit", 1, 1, 0, "\"sleep\", \"300\"", "", "mode: jobs, time: 1");
    pid = genesis_start(&t, "run", t.spec, "--quiet", (char *)NULL);
    wait_running_job(&t, id, sizeof id, 1);
    /* the smallest limit Slurm takes is a minute: lower it to nothing, so
     * that the next time-limit sweep (every 30 s) ends the job */
    assert_int_equal(tool("scontrol update JobId=%s TimeLimit=0", id), 0);
    assert_int_equal(wait_exit(pid), 0);
    if (q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'timeout'") != 1)
        show_attempts(&t);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'timeout' AND "
                                "job_state = 'TIMEOUT' AND reason LIKE 'Slurm job % reached its "
                                "time limit%'"),
                     1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM experiments WHERE status = 'failed'"), 1);
}

static void runner_timeout(void **state)
{
    tcase t;
    (void)state;
    setup_case(&t, "rtimeout", 1, 1, 0, "\"sleep\", \"30\"", ", timeout: 1, kill_grace: 1",
               "mode: jobs");
    assert_int_equal(run_genesis(&t, "run", t.spec, "--quiet"), 0);
    if (q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'timeout'") != 1)
        show_attempts(&t);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'timeout' AND "
                                "reason = 'timed out after 1 s'"),
                     1);
}

static void stop_cancels_or_leaves(void **state)
{
    tcase t;
    char id[64], st[64], sql[256];
    pid_t pid;
    int rc;
    (void)state;
    setup_case(&t, "stop", 1, 1, 0, "\"sleep\", \"4\"", "", "mode: jobs");
    /* Ctrl-C with no grace: the job is scancelled, the attempt cancelled */
    pid = genesis_start(&t, "run", t.spec, "--grace", "0", (char *)NULL);
    wait_running_job(&t, id, sizeof id, 1);
    kill(pid, SIGINT);
    rc = wait_exit(pid);
    if (rc == 0)
        show_log(&t);
    assert_int_not_equal(rc, 0);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts WHERE status = 'cancelled'"), 1);
    job_state(id, st, sizeof st);
    assert_true(strcmp(st, "CANCELLED") == 0 || strcmp(st, "COMPLETING") == 0);

    /* with --leave-jobs the job goes on, and the attempt stays running */
    pid = genesis_start(&t, "resume", t.name, "--grace", "0", "--leave-jobs", (char *)NULL);
    assert_true(wait_for(&t, "SELECT count(*) FROM attempts WHERE status = 'running' AND job_id "
                             "IS NOT NULL",
                         1, 30) >= 1);
    q_text(&t, "SELECT job_id FROM attempts WHERE status = 'running'", id, sizeof id);
    kill(pid, SIGINT);
    assert_int_not_equal(wait_exit(pid), 0);
    job_state(id, st, sizeof st);
    assert_true(strcmp(st, "PENDING") == 0 || strcmp(st, "RUNNING") == 0 ||
                strcmp(st, "CONFIGURING") == 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM attempts WHERE status = 'running' AND job_id = '%s'",
             id);
    assert_int_equal(q_long(&t, sql), 1);
    /* a resume adopts the job it left: no new submission */
    assert_int_equal(run_genesis(&t, "resume", t.name, "--quiet"), 0);
    check_campaign(&t, 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM attempts WHERE status = 'succeeded' AND job_id = '%s'",
             id);
    assert_int_equal(q_long(&t, sql), 1);
    assert_int_equal(q_long(&t, "SELECT count(*) FROM attempts"), 2);
}

/* ---- main ------------------------------------------------------------------- */

/* Reads the cluster's status and environment; 0 when it is up. */
static int cluster_up(char *why, size_t size)
{
    char line[1024];
    FILE *f = fopen(GN_SLURM_DIR "/status", "r");
    if (!f) {
        snprintf(why, size, "no Slurm test cluster (%s/status is missing; run the ctest fixture "
                            "slurm.cluster)", GN_SLURM_DIR);
        return -1;
    }
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (strcmp(line, "up") != 0) {
        snprintf(why, size, "the Slurm test cluster is not up: %s", line);
        return -1;
    }
    setenv("SLURM_CONF", GN_SLURM_DIR "/slurm.conf", 1);
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_JOBID");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(jobs_campaign),
        cmocka_unit_test(array_campaign),
        cmocka_unit_test(pilot_campaign),
        cmocka_unit_test(pilot_workers_campaign),
        cmocka_unit_test(pilot_workers_timeout),
        cmocka_unit_test(pilot_workers_scancel),
        cmocka_unit_test(pilot_workers_library),
        cmocka_unit_test(pilot_workers_hung),
        cmocka_unit_test(pilot_workers_resume_after_kill),
        cmocka_unit_test(resume_after_kill),
        cmocka_unit_test(requeue_one_outcome),
        cmocka_unit_test(preempt_one_outcome),
        cmocka_unit_test(scancel_is_failure),
        cmocka_unit_test(time_limit_is_timeout),
        cmocka_unit_test(runner_timeout),
        cmocka_unit_test(stop_cancels_or_leaves),
    };
    char why[1200];
    if (cluster_up(why, sizeof why) != 0) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
