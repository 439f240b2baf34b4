/*
 * test_cli.c - the `genesis` command as a user drives it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gn_test.h"

static const char *bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

/* Runs a shell command line with `genesis` substituted for the leading
 * "G "; captures stdout+stderr into out; returns the exit status. */
static int run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t size, const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    FILE *p;
    size_t n = 0;
    int status;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd " GN_TEST_TMP " && '%s' %s 2>&1", bin(), args);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (out) {
        n = fread(out, 1, size - 1, p);
        out[n] = '\0';
    } else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, p) > 0)
            ;
    }
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void fresh_db(char *path, size_t size, const char *name)
{
    char cmd[1200];
    snprintf(path, size, GN_TEST_TMP "/cli-%s.db", name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-wal' '%s-shm' '%s.runs'", path, path, path, path);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void quad_spec_file(const char *path, const char *name, int budget, int with_runner, const char *sleep)
{
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "name: %s\n"
                     "parameters:\n"
                     "  - {name: x, type: real, low: 0, high: 1}\n"
                     "  - {name: z, type: int, low: 0, high: 4}\n"
                     "objectives:\n"
                     "  - {name: y, goal: minimize}\n"
                     "planner: {strategy: sobol, seed: 11}\n"
                     "budget: {experiments: %d, parallel: 2}\n",
                     name, budget);
    if (with_runner)
        snprintf(text + n, sizeof text - (size_t)n,
                 "runner:\n  command: [\"/bin/sh\", \"-c\", \"sleep %s; " GN_SOURCE_DIR
                 "/tests/campaign/runners/quad.sh {x} {z}\"]\n",
                 sleep);
    write_file(path, text);
}

static void help_on_every_command(void **state)
{
    static const char *cmds[] = {"run", "resume", "status", "list", "show", "export", "suggest", "observe"};
    char out[8192], want[64];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        assert_int_equal(run(out, sizeof out, "%s --help", cmds[i]), 0);
        snprintf(want, sizeof want, "usage: genesis %s", cmds[i]);
        assert_non_null(strstr(out, want));
    }
    assert_int_equal(run(out, sizeof out, "--help"), 0);
    assert_non_null(strstr(out, "exit status"));
    assert_int_equal(run(out, sizeof out, "--version"), 0);
    assert_non_null(strstr(out, "genesis 0."));
}

static void usage_errors_exit_2(void **state)
{
    char out[8192];
    (void)state;
    assert_int_equal(run(out, sizeof out, "frobnicate"), 2);
    assert_non_null(strstr(out, "unknown command 'frobnicate'"));
    assert_int_equal(run(out, sizeof out, "%s", ""), 2);
    assert_int_equal(run(out, sizeof out, "run"), 2);
    assert_int_equal(run(out, sizeof out, "suggest x -n 0"), 2);
    assert_int_equal(run(out, sizeof out, "export x --format xml"), 2);
    assert_non_null(strstr(out, "--format expects csv or json"));
}

static void bad_spec_exit_3_with_position(void **state)
{
    char out[8192], db[512];
    (void)state;
    fresh_db(db, sizeof db, "badspec");
    write_file(GN_TEST_TMP "/bad.yaml", "name: bad\nparamters: []\n");
    assert_int_equal(run(out, sizeof out, "run bad.yaml --db '%s'", db), 3);
    assert_non_null(strstr(out, "bad.yaml:2:1"));
    assert_non_null(strstr(out, "did you mean 'parameters'?"));
}

static void not_found_exit_4(void **state)
{
    char out[8192], db[512];
    (void)state;
    fresh_db(db, sizeof db, "notfound");
    assert_int_equal(run(out, sizeof out, "resume nothing --db '%s'", db), 4);
    assert_non_null(strstr(out, "no campaign 'nothing'"));
    assert_int_equal(run(out, sizeof out, "show nothing --db '%s'", db), 4);
    assert_int_equal(run(out, sizeof out, "run does-not-exist.yaml --db '%s'", db), 1);
    assert_non_null(strstr(out, "does-not-exist.yaml"));
}

static void run_status_list_show_export(void **state)
{
    char out[65536], db[512];
    (void)state;
    fresh_db(db, sizeof db, "flow");
    quad_spec_file(GN_TEST_TMP "/flow.yaml", "flow", 6, 1, "0");
    assert_int_equal(run(out, sizeof out, "run flow.yaml --db '%s'", db), 0);
    assert_non_null(strstr(out, "campaign flow: 6 of 6 experiments done"));
    assert_non_null(strstr(out, "best: experiment"));
    /* not a terminal: plain log lines, one per event */
    assert_non_null(strstr(out, "experiment 1 started"));
    assert_non_null(strstr(out, "completed in"));

    assert_int_equal(run(out, sizeof out, "status flow --db '%s'", db), 0);
    assert_non_null(strstr(out, "6 of 6 experiments done: 6 completed, 0 failed"));
    assert_int_equal(run(out, sizeof out, "list --db '%s'", db), 0);
    assert_non_null(strstr(out, "flow"));
    assert_non_null(strstr(out, "6/6"));
    assert_int_equal(run(out, sizeof out, "show flow --db '%s'", db), 0);
    assert_non_null(strstr(out, "ID STATUS"));
    assert_non_null(strstr(out, "completed"));
    assert_int_equal(run(out, sizeof out, "show flow 3 --db '%s'", db), 0);
    assert_non_null(strstr(out, "\"attempt_log\""));
    assert_int_equal(run(out, sizeof out, "export flow --format csv --db '%s'", db), 0);
    assert_non_null(strstr(out, "id,status,x,z,y,attempt,pred_y_mean,pred_y_sd,attempts\n1,completed,"));
    assert_int_equal(run(out, sizeof out, "export flow --format json --db '%s'", db), 0);
    assert_non_null(strstr(out, "\"experiments\""));
    /* rerunning the same spec continues (here: nothing left to do) */
    assert_int_equal(run(out, sizeof out, "run flow.yaml --db '%s'", db), 0);
    assert_null(strstr(out, "started"));
    /* the same name with another spec is refused */
    quad_spec_file(GN_TEST_TMP "/flow2.yaml", "flow", 7, 1, "0");
    assert_int_equal(run(out, sizeof out, "run flow2.yaml --db '%s'", db), 5);
    assert_non_null(strstr(out, "different spec"));
}

static void db_from_environment(void **state)
{
    char out[8192], db[512];
    (void)state;
    fresh_db(db, sizeof db, "envdb");
    quad_spec_file(GN_TEST_TMP "/envdb.yaml", "envdb", 2, 1, "0");
    setenv("GENESIS_DB", db, 1);
    assert_int_equal(run(out, sizeof out, "run envdb.yaml --quiet"), 0);
    unsetenv("GENESIS_DB");
    assert_int_equal(access(db, F_OK), 0);
    assert_int_equal(run(out, sizeof out, "status envdb --db '%s'", db), 0);
}

static void suggest_and_observe(void **state)
{
    char out[8192], db[512];
    (void)state;
    fresh_db(db, sizeof db, "manual");
    quad_spec_file(GN_TEST_TMP "/manual.yaml", "manual", 3, 0, "0");
    /* a spec without a runner cannot be `run` ... */
    assert_int_equal(run(out, sizeof out, "run manual.yaml --db '%s'", db), 5);
    assert_non_null(strstr(out, "no runner"));
    /* ... but people can do its experiments */
    assert_int_equal(run(out, sizeof out, "suggest manual -n 2 --db '%s'", db), 0);
    assert_non_null(strstr(out, "experiment 1: x="));
    assert_non_null(strstr(out, "experiment 2: x="));
    assert_int_equal(run(out, sizeof out, "observe manual 1 y=0.5 purity=0.9 --db '%s'", db), 0);
    assert_non_null(strstr(out, "recorded experiment 1"));
    assert_int_equal(run(out, sizeof out, "observe manual 1 y=0.7 --db '%s'", db), 5);
    assert_non_null(strstr(out, "completed already"));
    assert_int_equal(run(out, sizeof out, "observe manual 2 purity=0.1 --db '%s'", db), 2);
    assert_non_null(strstr(out, "missing objective 'y'"));
    assert_int_equal(run(out, sizeof out, "observe manual 2 y=abc --db '%s'", db), 2);
    assert_int_equal(run(out, sizeof out, "observe manual 2 --failed 'pump broke' --db '%s'", db), 0);
    assert_int_equal(run(out, sizeof out, "observe manual 9 y=1 --db '%s'", db), 4);
    assert_int_equal(run(out, sizeof out, "suggest manual -n 5 --json --db '%s'", db), 0);
    assert_non_null(strstr(out, "\"id\": 3"));
    assert_null(strstr(out, "\"id\": 4")); /* the budget is 3 */
    assert_int_equal(run(out, sizeof out, "show manual --db '%s'", db), 0);
    assert_non_null(strstr(out, "failed"));
    assert_int_equal(run(out, sizeof out, "export manual --format json --db '%s'", db), 0);
    assert_non_null(strstr(out, "\"purity\": 0.9"));
}

/* Ctrl-C: stop proposing, give running experiments the grace period,
 * exit 130; the campaign resumes to its budget. */
static void ctrl_c_then_resume(void **state)
{
    char out[16384], db[512], cmd[2048];
    pid_t pid;
    int status;
    (void)state;
    fresh_db(db, sizeof db, "ctrlc");
    quad_spec_file(GN_TEST_TMP "/ctrlc.yaml", "ctrlc", 8, 1, "0.6");
    snprintf(cmd, sizeof cmd, "%s", bin());
    pid = fork();
    if (pid == 0) {
        int fd;
        if (chdir(GN_TEST_TMP) != 0)
            _exit(126);
        fd = open(GN_TEST_TMP "/ctrlc.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(cmd, cmd, "run", "ctrlc.yaml", "--db", db, "--grace", "30", (char *)NULL);
        _exit(127);
    }
    usleep(900000); /* two experiments are running */
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    {
        FILE *f = fopen(GN_TEST_TMP "/ctrlc.log", "r");
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    assert_non_null(strstr(out, "stopping: waiting up to 30 s"));
    assert_non_null(strstr(out, "genesis resume ctrlc"));
    /* the running ones finished within the grace period: nothing cancelled */
    assert_null(strstr(out, "stopped; it will run again"));
    assert_int_equal(run(out, sizeof out, "status ctrlc --db '%s'", db), 0);
    assert_null(strstr(out, "8 of 8"));
    assert_int_equal(run(out, sizeof out, "resume ctrlc --db '%s' --quiet", db), 0);
    assert_non_null(strstr(out, "8 of 8 experiments done"));
}

/* The embedding example (examples/c/ask_tell.c, public API only) runs its
 * campaign to the budget; run again, it only reports the stored best. */
static void c_api_example(void **state)
{
    char out[65536], db[512], cmd[2048], best1[256], *b;
    FILE *p;
    size_t n;
    int status, lines = 0;
    const char *line;
    (void)state;
    fresh_db(db, sizeof db, "asktell");
    snprintf(cmd, sizeof cmd, "'%s/examples/c/ask_tell' '%s' '%s/examples/c/branin-manual.yaml' 2>&1",
             GN_BINARY_DIR, db, GN_BINARY_DIR);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    status = pclose(p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (line = out; (line = strstr(line, "\nexperiment ")) != NULL; line++)
        lines++;
    assert_true(lines >= 31); /* the first line has no newline before it */
    b = strstr(out, "best: experiment");
    assert_non_null(b);
    snprintf(best1, sizeof best1, "%.*s", (int)strcspn(b, "\n"), b);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    status = pclose(p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_null(strstr(out, "\nexperiment "));
    assert_non_null(strstr(out, best1));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_on_every_command),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(bad_spec_exit_3_with_position),
        cmocka_unit_test(not_found_exit_4),
        cmocka_unit_test(run_status_list_show_export),
        cmocka_unit_test(db_from_environment),
        cmocka_unit_test(suggest_and_observe),
        cmocka_unit_test(ctrl_c_then_resume),
        cmocka_unit_test(c_api_example),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
