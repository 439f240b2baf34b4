/*
 * test_mpi.c - `executor: {kind: mpi}` with the real mpirun: 4 ranks
 * (rank 0 plans and records, ranks 1-3 run experiments) on whatever cores
 * the machine has (--oversubscribe).
 *
 * Each case writes a spec, runs `mpirun -n 4 genesis run SPEC` as a user
 * would, and checks the database with SQLite directly:
 *   - process_runner: the budget completes; every attempt names a worker
 *     rank ("<host> rank N", N in 1..3) and has pid 0;
 *   - library_runner: the same with an in-process runner (libbranin.so);
 *   - worker_timeout: a runner that outlives its timeout on a worker is a
 *     "timeout" attempt with reason "timed out ...", and is retried;
 *   - resume_after_kill: the whole job (mpirun and every rank) is killed
 *     with SIGKILL mid-campaign, `mpirun ... genesis resume` finishes it:
 *     budget completed, no experiment completed twice, integrity ok;
 *   - nested_mpi_runner: a runner that starts its own MPI job (mpirun
 *     -n 2 through tests/mpi/mpi-clean-env, the recipe of docs/mpi.md);
 *   - not_under_mpirun: a plain `genesis run` of an mpi spec says how to
 *     start it, and never initialises MPI.
 * Cases are skipped (with the reason) when mpirun is not installed.
 */
#include <dirent.h>
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

#include <jansson.h>

#include "gn_test.h"

#define RANKS "4"

static const char *genesis_bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

/* Path of mpirun, or NULL when there is none on $PATH. */
static const char *find_mpirun(void)
{
    static char found[4096];
    const char *path = getenv("PATH");
    char *copy, *dir, *save = NULL;
    if (!path)
        return NULL;
    copy = strdup(path);
    for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/mpirun", *dir ? dir : ".");
        if (access(found, X_OK) == 0) {
            free(copy);
            return found;
        }
    }
    free(copy);
    return NULL;
}

#define NEED_MPIRUN()                                                                      \
    do {                                                                                   \
        if (!find_mpirun()) {                                                              \
            fprintf(stderr, "SKIP: mpirun is not on PATH (install openmpi-bin to run the " \
                            "MPI tests)\n");                                               \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

/* Environment every mpirun needs here (the machine facts: root, more ranks
 * than cores, busy-polling ranks). */
static void mpi_env(void)
{
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
}

static void fresh_dir(char *dir, size_t size, const char *name)
{
    char cmd[1200];
    snprintf(dir, size, GN_TEST_TMP "/mpi-%s", name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void write_file(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    va_list ap;
    assert_non_null(f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
}

/* Starts `mpirun -n 4 genesis <cmd> <arg> --db <db> --quiet` in its own
 * process group, output to <log>. */
static pid_t mpirun_start(const char *cmd, const char *arg, const char *db, const char *log)
{
    pid_t pid;
    mpi_env();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        setpgid(0, 0);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(find_mpirun(), "mpirun", "--oversubscribe", "-n", RANKS, genesis_bin(), cmd, arg, "--db",
              db, "--quiet", (char *)NULL);
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

static void show_log(const char *log)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tail -n 30 '%s' >&2", log);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log)\n");
}

static int mpirun_wait(const char *cmd, const char *arg, const char *db, const char *log)
{
    int rc = wait_exit(mpirun_start(cmd, arg, db, log));
    if (rc != 0)
        show_log(log);
    return rc;
}

static sqlite3 *db_open(const char *path)
{
    sqlite3 *s;
    assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
    sqlite3_busy_timeout(s, 5000);
    return s;
}

static long query_long(sqlite3 *s, const char *sql)
{
    sqlite3_stmt *q;
    long v = -1;
    assert_int_equal(sqlite3_prepare_v2(s, sql, -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static void assert_integrity(sqlite3 *s)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
}

/* Every attempt names a worker rank (1..3) of this host and has pid 0;
 * every worker ran at least one (when `all_ranks`). */
static void assert_worker_hosts(sqlite3 *s, int all_ranks)
{
    sqlite3_stmt *q;
    char here[256];
    int seen[4] = {0}, r;
    assert_int_equal(gethostname(here, sizeof here), 0);
    assert_int_equal(sqlite3_prepare_v2(s, "SELECT host, pid FROM attempts", -1, &q, NULL), SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *host = (const char *)sqlite3_column_text(q, 0);
        char name[256];
        int rank = -1;
        assert_non_null(host);
        assert_int_equal(sscanf(host, "%255s rank %d", name, &rank), 2);
        assert_string_equal(name, here);
        assert_true(rank >= 1 && rank <= 3);
        seen[rank]++;
        assert_int_equal(sqlite3_column_int64(q, 1), 0);
    }
    sqlite3_finalize(q);
    if (all_ranks)
        for (r = 1; r <= 3; r++)
            assert_true(seen[r] > 0);
}

static void quad_spec(const char *path, const char *name, int budget, int per_rank, double timeout)
{
    write_file(path,
               "name: %s\n"
               "parameters:\n"
               "  - {name: x, type: real, low: 0, high: 1}\n"
               "  - {name: z, type: int, low: 0, high: 4}\n"
               "objectives:\n"
               "  - {name: y, goal: minimize}\n"
               "runner:\n"
               "  command: [\"%s/tests/campaign/runners/quad.sh\", \"{x}\", \"{z}\"]\n"
               "  timeout: %g\n"
               "planner: {strategy: sobol, seed: 3}\n"
               "budget: {experiments: %d}\n"
               "executor: {kind: mpi, slots_per_rank: %d}\n",
               name, GN_SOURCE_DIR, timeout, budget, per_rank);
}

static void process_runner(void **state)
{
    char dir[512], spec[600], db[600], log[600];
    sqlite3 *s;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "process");
    snprintf(spec, sizeof spec, "%s/quad.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    quad_spec(spec, "quad", 18, 2, 30);
    unsetenv("SLEEP");
    setenv("SLEEP", "0.05", 1); /* long enough that every rank gets work */
    unsetenv("RUNLOG");
    assert_int_equal(mpirun_wait("run", spec, db, log), 0);
    s = db_open(db);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 18);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments"), 18);
    assert_int_equal(query_long(s, "SELECT count(*) FROM attempts WHERE status = 'succeeded'"), 18);
    assert_worker_hosts(s, 1);
    /* each attempt ran in its own directory under the run folder */
    assert_int_equal(query_long(s, "SELECT count(DISTINCT workdir) FROM attempts"), 18);
    assert_int_equal(query_long(s, "SELECT count(*) FROM campaigns WHERE state = 'completed'"), 1);
    sqlite3_close(s);
    unsetenv("SLEEP");
}

static void library_runner(void **state)
{
    char dir[512], spec[600], db[600], log[600];
    sqlite3 *s;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "library");
    snprintf(spec, sizeof spec, "%s/branin.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    write_file(spec,
               "name: branin-mpi\n"
               "parameters:\n"
               "  - {name: x1, type: real, low: -5, high: 10}\n"
               "  - {name: x2, type: real, low: 0, high: 15}\n"
               "objectives:\n"
               "  - {name: f, goal: minimize}\n"
               "runner:\n"
               "  library: %s\n"
               "planner: {strategy: random, seed: 7}\n"
               "budget: {experiments: 300}\n"
               "executor: {kind: mpi, slots_per_rank: 4}\n",
               GN_BRANIN_LIB);
    assert_int_equal(mpirun_wait("run", spec, db, log), 0);
    s = db_open(db);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 300);
    assert_int_equal(query_long(s, "SELECT count(*) FROM attempts"), 300);
    assert_int_equal(query_long(s, "SELECT count(*) FROM attempts WHERE runner = 'library'"), 300);
    /* Branin is >= 0.397887 everywhere: the outcomes are real evaluations */
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE"
                                   " json_extract(outcome, '$.f') >= 0.3978"),
                     300);
    assert_worker_hosts(s, 0);
    assert_integrity(s);
    sqlite3_close(s);
}

static void worker_timeout(void **state)
{
    char dir[512], spec[600], db[600], log[600], runner[600];
    sqlite3 *s;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "timeout");
    snprintf(spec, sizeof spec, "%s/slow.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    snprintf(runner, sizeof runner, "%s/slow_first.sh", dir);
    /* attempt 1 sleeps past the timeout; attempt 2 answers at once */
    write_file(runner, "#!/bin/sh\n"
                       "[ \"$GENESIS_ATTEMPT\" = 1 ] && sleep 30\n"
                       "echo \"{\\\"y\\\": $1}\"\n");
    assert_int_equal(chmod(runner, 0755), 0);
    write_file(spec,
               "name: slow\n"
               "parameters:\n"
               "  - {name: x, type: real, low: 0, high: 1}\n"
               "objectives:\n"
               "  - {name: y, goal: minimize}\n"
               "runner:\n"
               "  command: [\"%s\", \"{x}\"]\n"
               "  timeout: 0.5\n"
               "  kill_grace: 0.5\n"
               "  retries: 1\n"
               "budget: {experiments: 3}\n"
               "executor: {kind: mpi}\n",
               runner);
    assert_int_equal(mpirun_wait("run", spec, db, log), 0);
    s = db_open(db);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 3);
    assert_int_equal(query_long(s, "SELECT count(*) FROM attempts WHERE number = 1 AND status = 'timeout'"
                                   " AND reason LIKE 'timed out%'"),
                     3);
    assert_int_equal(query_long(s, "SELECT count(*) FROM attempts WHERE number = 2 AND status = 'succeeded'"),
                     3);
    assert_worker_hosts(s, 0);
    sqlite3_close(s);
}

/* Pids of the children of `parent` (the ranks mpirun started). */
static size_t children_of(pid_t parent, pid_t *out, size_t cap)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    size_t n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && n < cap) {
        char path[300], buf[1024], *p;
        FILE *f;
        int ppid = 0;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) != NULL &&
            sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == parent)
            out[n++] = (pid_t)atoi(e->d_name);
        fclose(f);
    }
    closedir(d);
    return n;
}

/* 1 while process `pid` exists and is not a zombie. */
static int is_alive(pid_t pid)
{
    char path[64], buf[512];
    FILE *f;
    int alive = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fgets(buf, sizeof buf, f)) {
        const char *p = strrchr(buf, ')');
        alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    }
    fclose(f);
    return alive;
}

/* Highest attempt number started per experiment, from the runners' log. */
static void read_runlog(const char *path, int *max_started, int budget)
{
    FILE *f = fopen(path, "r");
    char word[16];
    int n, a;
    if (!f)
        return;
    while (fscanf(f, "%15s %d %d", word, &n, &a) == 3)
        if (!strcmp(word, "start") && n >= 1 && n <= budget && a > max_started[n])
            max_started[n] = a;
    fclose(f);
}

#define KILL_BUDGET 16

static void resume_after_kill(void **state)
{
    char dir[512], spec[600], db[600], log[600], runlog[600];
    int max_started[KILL_BUDGET + 1] = {0};
    pid_t job, ranks[64];
    size_t n_ranks, i;
    long done_before;
    sqlite3 *s, *s2;
    sqlite3_stmt *q;
    double t0;
    int seen = 0;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "kill");
    snprintf(spec, sizeof spec, "%s/quad.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    snprintf(runlog, sizeof runlog, "%s/runs.log", dir);
    quad_spec(spec, "killed", KILL_BUDGET, 2, 30);
    setenv("SLEEP", "0.4", 1);
    setenv("RUNLOG", runlog, 1);

    /* kill the whole job once a few experiments are done and more run */
    job = mpirun_start("run", spec, db, log);
    t0 = (double)time(NULL);
    done_before = 0;
    while (done_before < 4 && (double)time(NULL) - t0 < 30) {
        usleep(50000);
        if (access(db, F_OK) != 0)
            continue;
        s = db_open(db);
        if (sqlite3_exec(s, "SELECT 1 FROM experiments LIMIT 1", NULL, NULL, NULL) == SQLITE_OK)
            done_before = query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'");
        sqlite3_close(s);
    }
    assert_true(done_before >= 4 && done_before < KILL_BUDGET);
    n_ranks = children_of(job, ranks, 64);
    kill(-job, SIGKILL);
    for (i = 0; i < n_ranks; i++)
        kill(ranks[i], SIGKILL);
    assert_int_equal(wait_exit(job), 128 + SIGKILL);
    for (i = 0; i < n_ranks; i++) /* every rank gone (or a zombie) before resuming */
        while (is_alive(ranks[i]))
            usleep(20000);

    s = db_open(db);
    assert_true(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'running'") > 0);
    sqlite3_close(s);

    assert_int_equal(mpirun_wait("resume", "killed", db, log), 0);

    read_runlog(runlog, max_started, KILL_BUDGET);
    s2 = db_open(db);
    assert_integrity(s2);
    assert_int_equal(sqlite3_prepare_v2(s2,
                                        "SELECT e.number, e.status, e.outcome,"
                                        " (SELECT count(*) FROM attempts a WHERE a.experiment_id = e.id"
                                        "  AND a.status = 'succeeded')"
                                        " FROM experiments e ORDER BY e.number",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int number = sqlite3_column_int(q, 0);
        json_error_t jerr;
        json_t *o;
        seen++;
        assert_int_equal(number, seen);
        assert_string_equal((const char *)sqlite3_column_text(q, 1), "completed");
        assert_int_equal(sqlite3_column_int(q, 3), 1); /* completed exactly once */
        o = json_loads((const char *)sqlite3_column_text(q, 2), 0, &jerr);
        assert_non_null(o);
        /* the stored outcome came from the last attempt ever started */
        assert_int_equal(json_integer_value(json_object_get(o, "attempt")), max_started[number]);
        json_decref(o);
    }
    sqlite3_finalize(q);
    assert_int_equal(seen, KILL_BUDGET);
    /* the interrupted attempts are recorded as such, on worker ranks */
    assert_true(query_long(s2, "SELECT count(*) FROM attempts WHERE status = 'interrupted'") > 0);
    assert_worker_hosts(s2, 0);
    sqlite3_close(s2);
    unsetenv("SLEEP");
    unsetenv("RUNLOG");
}

static void nested_mpi_runner(void **state)
{
    char dir[512], spec[600], db[600], log[600];
    sqlite3 *s;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "nested");
    snprintf(spec, sizeof spec, "%s/nested.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    write_file(spec,
               "name: nested\n"
               "parameters:\n"
               "  - {name: x, type: real, low: 0, high: 1}\n"
               "objectives:\n"
               "  - {name: y, goal: minimize}\n"
               "runner:\n"
               "  command: [\"%s/mpi-clean-env\", \"%s\", \"--oversubscribe\", \"-n\", \"2\",\n"
               "            \"%s\", \"{x}\"]\n"
               "  timeout: 60\n"
               "planner: {strategy: sobol, seed: 5}\n"
               "budget: {experiments: 2}\n"
               "executor: {kind: mpi}\n",
               GN_MPI_TEST_DIR, find_mpirun(), GN_MPI_HELLO);
    assert_int_equal(mpirun_wait("run", spec, db, log), 0);
    s = db_open(db);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 2);
    /* each attempt ran a 2-rank job of its own: y = x * (1 + 2) */
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE"
                                   " json_extract(outcome, '$.ranks') = 2 AND"
                                   " abs(json_extract(outcome, '$.y') - 3 * json_extract(params, '$.x')) < 1e-9"),
                     2);
    assert_worker_hosts(s, 0);
    sqlite3_close(s);
}

/* A runner that cannot be started on a worker (its #! interpreter is
 * missing: only exec itself finds out) is a set-up problem, as locally:
 * the worker says so with the result, the run stops with the reason, and
 * no experiment is marked failed (they run again on resume). */
static void runner_not_startable(void **state)
{
    char dir[512], spec[600], db[600], log[600], runner[600], text[8192];
    sqlite3 *s;
    FILE *f;
    size_t n;
    (void)state;
    NEED_MPIRUN();
    fresh_dir(dir, sizeof dir, "notstart");
    snprintf(runner, sizeof runner, "%s/broken.sh", dir);
    write_file(runner, "#!/no/such/interpreter\necho '{\"y\": 1}'\n");
    assert_int_equal(chmod(runner, 0755), 0);
    snprintf(spec, sizeof spec, "%s/broken.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    snprintf(log, sizeof log, "%s/mpirun.log", dir);
    write_file(spec,
               "name: broken\n"
               "parameters:\n"
               "  - {name: x, type: real, low: 0, high: 1}\n"
               "objectives:\n"
               "  - {name: y, goal: minimize}\n"
               "runner:\n"
               "  command: [\"%s\"]\n"
               "  retries: 2\n"
               "planner: {strategy: sobol, seed: 3}\n"
               "budget: {experiments: 12}\n"
               "executor: {kind: mpi}\n",
               runner);
    assert_true(wait_exit(mpirun_start("run", spec, db, log)) != 0);
    f = fopen(log, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    if (!strstr(text, "cannot start runner"))
        fail_msg("the run did not stop with the runner's set-up error:\n%s", text);
    s = db_open(db);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'failed'"), 0);
    assert_int_equal(query_long(s, "SELECT count(*) FROM experiments WHERE status = 'completed'"), 0);
    sqlite3_close(s);
}

static void not_under_mpirun(void **state)
{
    char dir[512], spec[600], db[600], cmd[2000], out[4096];
    FILE *p;
    size_t len;
    int rc;
    (void)state;
    fresh_dir(dir, sizeof dir, "plain");
    snprintf(spec, sizeof spec, "%s/quad.yaml", dir);
    snprintf(db, sizeof db, "%s/g.db", dir);
    quad_spec(spec, "plain", 2, 1, 30);
    /* a plain run: no launcher variables, so MPI is never initialised */
    snprintf(cmd, sizeof cmd,
             "env -u OMPI_COMM_WORLD_SIZE -u PMI_SIZE -u PMIX_RANK '%s' run '%s' --db '%s' --quiet 2>&1",
             genesis_bin(), spec, db);
    p = popen(cmd, "r");
    assert_non_null(p);
    len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    rc = pclose(p);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 5); /* GN_ERR_STATE: a conflict with how it was started */
    assert_non_null(strstr(out, "executor mpi needs an MPI job of at least 2 ranks"));
    assert_non_null(strstr(out, "mpirun -n N genesis run"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(process_runner),
        cmocka_unit_test(library_runner),
        cmocka_unit_test(worker_timeout),
        cmocka_unit_test(resume_after_kill),
        cmocka_unit_test(nested_mpi_runner),
        cmocka_unit_test(runner_not_startable),
        cmocka_unit_test(not_under_mpirun),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
