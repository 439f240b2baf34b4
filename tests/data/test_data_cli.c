/*
 * test_data_cli.c - `genesis data ...` and `genesis export --format hdf5`
 * as a user runs them: the built binary, real files, exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gn_test.h"

static const char *bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b ? b : GN_BINARY_DIR "/genesis";
}

/* Runs `genesis ARGS` in GN_TEST_TMP; stdout+stderr into out; returns the
 * exit status. */
static int run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t size, const char *fmt, ...)
{
    char args[4096], cmd[8192], sink[4096];
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
    }
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void fresh(const char *db)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd " GN_TEST_TMP " && rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, GN_TEST_TMP "/%s", name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int same_files(const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd " GN_TEST_TMP " && cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void data_help(void **state)
{
    static const char *subs[] = {"add", "list", "show", "export", "archive"};
    char out[8192], want[64];
    size_t i;
    (void)state;
    assert_int_equal(run(out, sizeof out, "data --help"), 0);
    assert_non_null(strstr(out, "usage: genesis data"));
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        assert_int_equal(run(out, sizeof out, "data %s --help", subs[i]), 0);
        snprintf(want, sizeof want, "usage: genesis data %s", subs[i]);
        assert_non_null(strstr(out, want));
    }
    assert_int_equal(run(out, sizeof out, "--help"), 0);
    assert_non_null(strstr(out, "data SUBCOMMAND"));
    assert_int_equal(run(out, sizeof out, "data"), 2);
    assert_int_equal(run(out, sizeof out, "data frob"), 2);
    assert_non_null(strstr(out, "unknown subcommand 'frob'"));
}

static void data_add_list_show(void **state)
{
    char out[16384];
    (void)state;
    fresh("cli-data.db");
    write_file("cli-t.csv", "temperature,yield,solvent\n300,0.5,water\n350,0.75,ethanol\n");
    assert_int_equal(run(out, sizeof out,
                         "data add cli-t.csv --name reactor --title 'Reactor runs' --source lab "
                         "--license CC0 --doi 10.1/x --classification public --project chem "
                         "--user ada --db cli-data.db"),
                     0);
    assert_non_null(strstr(out, "imported reactor version 1: 2 rows, 3 columns"));
    /* the same again: refused, exit 5 */
    assert_int_equal(run(out, sizeof out, "data add cli-t.csv --name reactor --db cli-data.db"), 5);
    assert_non_null(strstr(out, "has the same content"));
    assert_int_equal(run(out, sizeof out, "data list --db cli-data.db"), 0);
    assert_non_null(strstr(out, "reactor"));
    assert_non_null(strstr(out, "Reactor runs"));
    assert_int_equal(run(out, sizeof out, "data list --json --db cli-data.db"), 0);
    assert_non_null(strstr(out, "\"classification\": \"public\""));
    assert_int_equal(run(out, sizeof out, "data show reactor --db cli-data.db"), 0);
    assert_non_null(strstr(out, "reactor version 1: 2 rows, 3 columns"));
    assert_non_null(strstr(out, "solvent"));
    assert_non_null(strstr(out, "ethanol"));
    assert_non_null(strstr(out, "imported_by     ada"));
    assert_int_equal(run(out, sizeof out, "data show reactor --version 1 --json --db cli-data.db"), 0);
    assert_non_null(strstr(out, "\"doi\": \"10.1/x\""));
    assert_int_equal(run(out, sizeof out, "data show reactor --version 2 --db cli-data.db"), 4);
    assert_int_equal(run(out, sizeof out, "data show nothing --db cli-data.db"), 4);
    assert_non_null(strstr(out, "no dataset named 'nothing'"));
    assert_int_equal(run(out, sizeof out, "data show reactor --version x --db cli-data.db"), 2);
}

static void data_add_errors(void **state)
{
    char out[16384];
    (void)state;
    fresh("cli-bad.db");
    write_file("cli-ragged.csv", "a,b,c\n1,2,3\n1,2\n");
    write_file("cli-nan.csv", "a,b\n1,2\nNaN,3\n");
    assert_int_equal(run(out, sizeof out, "data add cli-ragged.csv --name r --db cli-bad.db"), 3);
    assert_non_null(strstr(out, "row 3 has 2 fields, expected 3"));
    assert_int_equal(run(out, sizeof out, "data add cli-nan.csv --name r --db cli-bad.db"), 3);
    assert_non_null(strstr(out, "row 3, column 'a': 'NaN' is not a finite number"));
    assert_int_equal(run(out, sizeof out, "data add cli-nan.csv --name r --column a=categorical "
                                          "--db cli-bad.db"),
                     0);
    assert_int_equal(run(out, sizeof out, "data add missing.csv --name r --db cli-bad.db"), 4);
    assert_int_equal(run(out, sizeof out, "data add cli-nan.csv --db cli-bad.db"), 2);
    assert_non_null(strstr(out, "--name is required"));
    assert_int_equal(run(out, sizeof out, "data add cli-nan.csv --name s --classification secret "
                                          "--db cli-bad.db"),
                     2);
    assert_non_null(strstr(out, "classification 'secret'"));
    assert_int_equal(run(out, sizeof out, "data add cli-nan.csv --name s --delimiter x --db cli-bad.db"), 2);
    assert_int_equal(run(out, sizeof out, "data list --json --db cli-bad.db"), 0);
    assert_null(strstr(out, "\"name\": \"s\""));
}

static void data_export_and_archive(void **state)
{
    char out[16384];
    (void)state;
    fresh("cli-exp.db");
    write_file("cli-canon.csv", "x,label\n1,a\n2.5,\"b,c\"\n");
    assert_int_equal(run(out, sizeof out, "data add cli-canon.csv --name canon --db cli-exp.db"), 0);
    assert_int_equal(run(out, sizeof out, "data export canon --format csv -o cli-canon-out.csv "
                                          "--db cli-exp.db"),
                     0);
    assert_true(same_files("cli-canon.csv", "cli-canon-out.csv"));
    assert_int_equal(run(out, sizeof out, "data export canon --format csv --db cli-exp.db"), 0);
    assert_non_null(strstr(out, "x,label\n1,a\n"));
    assert_int_equal(run(out, sizeof out, "data export canon --format hdf5 --db cli-exp.db"), 2);
    assert_int_equal(run(out, sizeof out, "data export canon --format xml -o f --db cli-exp.db"), 2);
    assert_int_equal(run(out, sizeof out, "data export canon --format hdf5 -o cli-canon.h5 "
                                          "--db cli-exp.db"),
                     0);
    assert_int_equal(run(out, sizeof out, "data add cli-canon.h5 --name canon-h5 --json --db cli-exp.db"), 0);
    assert_non_null(strstr(out, "\"n_rows\": 2"));
    assert_int_equal(run(out, sizeof out, "data export nothing --format csv --db cli-exp.db"), 4);
    assert_int_equal(run(out, sizeof out, "data archive canon --db cli-exp.db"), 0);
    assert_int_equal(run(out, sizeof out, "data list --db cli-exp.db"), 0);
    assert_null(strstr(out, "canon "));
    assert_non_null(strstr(out, "canon-h5"));
    assert_int_equal(run(out, sizeof out, "data list --all --db cli-exp.db"), 0);
    assert_non_null(strstr(out, "(archived)"));
    assert_int_equal(run(out, sizeof out, "data archive canon --db cli-exp.db"), 5);
    assert_int_equal(run(out, sizeof out, "data archive ghost --db cli-exp.db"), 4);
}

static void campaign_export_hdf5_cli(void **state)
{
    char out[16384];
    (void)state;
    fresh("cli-camp.db");
    write_file("cli-camp.yaml", "name: campx\n"
                                "parameters:\n"
                                "  - {name: x, type: real, low: 0, high: 1}\n"
                                "objectives:\n"
                                "  - {name: y, goal: minimize}\n"
                                "planner: {strategy: sobol, seed: 2}\n"
                                "budget: {experiments: 3}\n");
    run(out, sizeof out, "run cli-camp.yaml --db cli-camp.db");
    assert_int_equal(run(out, sizeof out, "suggest campx -n 2 --db cli-camp.db"), 0);
    assert_int_equal(run(out, sizeof out, "observe campx 1 y=0.5 --db cli-camp.db"), 0);
    assert_int_equal(run(out, sizeof out, "observe campx 2 y=0.25 --db cli-camp.db"), 0);
    assert_int_equal(run(out, sizeof out, "export campx --format hdf5 --db cli-camp.db"), 2);
    assert_non_null(strstr(out, "needs -o FILE"));
    assert_int_equal(run(out, sizeof out, "export campx --format hdf5 -o cli-campx.h5 --db cli-camp.db"), 0);
    assert_int_equal(run(out, sizeof out, "data add cli-campx.h5 --name campx-results --dataset "
                                          "experiments --db cli-camp.db"),
                     0);
    assert_non_null(strstr(out, "2 rows"));
    assert_int_equal(run(out, sizeof out, "export nope --format hdf5 -o x.h5 --db cli-camp.db"), 4);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(data_help),
    cmocka_unit_test(data_add_list_show),
    cmocka_unit_test(data_add_errors),
    cmocka_unit_test(data_export_and_archive),
    cmocka_unit_test(campaign_export_hdf5_cli),
};

GN_TEST_MAIN(tests)
