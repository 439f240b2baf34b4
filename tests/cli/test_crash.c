/*
 * test_crash.c - crash safety of `genesis run` / `genesis resume`.
 *
 * Each trial starts `genesis run` on a fresh database, kills it with
 * SIGKILL at a random moment (one to three times, the later kills hitting
 * `genesis resume`), then resumes to the end and checks:
 *   - PRAGMA integrity_check is "ok";
 *   - exactly the budget of experiments exists, numbered 1..budget, all
 *     completed, each with exactly one succeeded attempt;
 *   - the stored outcome came from the last attempt started for that
 *     experiment (the runners log every start): no completed experiment
 *     was ever run again, and none was lost;
 *   - every outcome is the runner's function of the stored parameters.
 * The trial count and what was lost (must be nothing) are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gn_test.h"

#define TRIALS 24
#define BUDGET 14

static const char *genesis_bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

static pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
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

/* Highest attempt number started per experiment, from the runners' log. */
static void read_runlog(const char *path, int *max_started)
{
    FILE *f = fopen(path, "r");
    char word[16];
    int n, a;
    if (!f)
        return;
    while (fscanf(f, "%15s %d %d", word, &n, &a) == 3)
        if (!strcmp(word, "start") && n >= 1 && n <= BUDGET && a > max_started[n])
            max_started[n] = a;
    fclose(f);
}

static double quad(double x, double z) { return (x - 0.3) * (x - 0.3) + (z - 2) * (z - 2); }

static void check_trial(const char *db, const char *runlog, int trial, long *lost, long *twice)
{
    sqlite3 *s;
    sqlite3_stmt *q;
    int max_started[BUDGET + 1] = {0}, seen = 0;

    read_runlog(runlog, max_started);
    assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);

    assert_int_equal(sqlite3_prepare_v2(s,
                                        "SELECT e.number, e.status, e.params, e.outcome,"
                                        " (SELECT count(*) FROM attempts a WHERE a.experiment_id = e.id"
                                        "  AND a.status = 'succeeded')"
                                        " FROM experiments e ORDER BY e.number",
                                        -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int number = sqlite3_column_int(q, 0);
        const char *status = (const char *)sqlite3_column_text(q, 1);
        const char *params = (const char *)sqlite3_column_text(q, 2);
        const char *outcome = (const char *)sqlite3_column_text(q, 3);
        int succeeded = sqlite3_column_int(q, 4);
        json_error_t jerr;
        json_t *p, *o;

        seen++;
        assert_int_equal(number, seen);
        if (strcmp(status, "completed") != 0) {
            fprintf(stderr, "trial %d: experiment %d is %s\n", trial, number, status);
            (*lost)++;
            continue;
        }
        if (succeeded != 1) {
            fprintf(stderr, "trial %d: experiment %d has %d succeeded attempts\n", trial, number, succeeded);
            (*twice)++;
        }
        p = json_loads(params, 0, &jerr);
        o = json_loads(outcome, 0, &jerr);
        assert_non_null(p);
        assert_non_null(o);
        assert_near(json_number_value(json_object_get(o, "y")),
                    quad(json_number_value(json_object_get(p, "x")), json_number_value(json_object_get(p, "z"))),
                    1e-9);
        /* the outcome came from the last attempt ever started */
        if (json_integer_value(json_object_get(o, "attempt")) != max_started[number]) {
            fprintf(stderr, "trial %d: experiment %d completed by attempt %lld but attempt %d was started\n",
                    trial, number, (long long)json_integer_value(json_object_get(o, "attempt")),
                    max_started[number]);
            (*twice)++;
        }
        json_decref(p);
        json_decref(o);
    }
    sqlite3_finalize(q);
    sqlite3_close(s);
    if (seen != BUDGET) {
        fprintf(stderr, "trial %d: %d experiments instead of %d\n", trial, seen, BUDGET);
        *lost += seen < BUDGET ? BUDGET - seen : 0;
    }
    assert_int_equal(seen, BUDGET);
}

static void kill9_and_resume(void **state)
{
    char dir[512], spec[600], db[600], runlog[600], cmd[1200];
    long lost = 0, twice = 0, kills = 0;
    int trial;
    FILE *f;

    (void)state;
    srand(20261123);
    snprintf(dir, sizeof dir, GN_TEST_TMP "/crash");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(spec, sizeof spec, "%s/crash.yaml", dir);
    f = fopen(spec, "w");
    assert_non_null(f);
    fprintf(f,
            "name: crash\n"
            "parameters:\n"
            "  - {name: x, type: real, low: 0, high: 1}\n"
            "  - {name: z, type: int, low: 0, high: 4}\n"
            "objectives:\n"
            "  - {name: y, goal: minimize}\n"
            "runner:\n"
            "  command: [\"%s/tests/campaign/runners/quad.sh\", \"{x}\", \"{z}\"]\n"
            "  timeout: 30\n"
            "planner: {strategy: sobol, seed: 3}\n"
            "budget: {experiments: %d, parallel: 3}\n",
            GN_SOURCE_DIR, BUDGET);
    fclose(f);
    setenv("SLEEP", "0.15", 1);

    for (trial = 0; trial < TRIALS; trial++) {
        int k, n_kills = 1 + trial % 3, rc;
        snprintf(db, sizeof db, "%s/t%d.db", dir, trial);
        snprintf(runlog, sizeof runlog, "%s/t%d.log", dir, trial);
        setenv("RUNLOG", runlog, 1);
        for (k = 0; k < n_kills; k++) {
            char *run_argv[] = {(char *)genesis_bin(), "run", spec, "--db", db, "--quiet", NULL};
            char *resume_argv[] = {(char *)genesis_bin(), "resume", "crash", "--db", db, "--quiet", NULL};
            /* between 10 and 700 ms: from start-up (a full run takes about 1 s) through the middle */
            useconds_t delay = (useconds_t)(10000 + rand() % 690000);
            pid_t pid = spawn(k == 0 ? run_argv : resume_argv);
            usleep(delay);
            kill(pid, SIGKILL);
            rc = wait_exit(pid);
            if (rc == 128 + SIGKILL)
                kills++;
        }
        {
            /* resume to the end; if the first kill came before the campaign
             * existed, `resume` says so (exit 4) and `run` starts it */
            char *resume_argv[] = {(char *)genesis_bin(), "resume", "crash", "--db", db, "--quiet", NULL};
            char *run_argv[] = {(char *)genesis_bin(), "run", spec, "--db", db, "--quiet", NULL};
            rc = wait_exit(spawn(resume_argv));
            if (rc == 4)
                rc = wait_exit(spawn(run_argv));
            assert_int_equal(rc, 0);
        }
        check_trial(db, runlog, trial, &lost, &twice);
    }
    printf("crash safety: %d trials, %ld kill -9 during runs, %ld experiments lost, %ld run twice\n", TRIALS,
           kills, lost, twice);
    assert_int_equal(lost, 0);
    assert_int_equal(twice, 0);
    assert_true(kills >= TRIALS); /* the kills really hit running processes */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill9_and_resume),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
