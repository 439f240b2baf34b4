/*
 * test_examples.c - the example runners in examples/ checked against their
 * science and against the runner contract.
 *
 * The command runners are run as real processes from the build tree
 * (GN_BINARY_DIR/examples/...); their last line of output must be a JSON
 * object of finite numbers. The library runner is dlopened as genesis
 * would, with gn_runner_output_set/_fail provided by this program.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "genesis/runner.h"
#include "gn_test.h"

#define EXAMPLES GN_BINARY_DIR "/examples"
#define BRANIN_MIN 0.397887357729738

/* ---- running a command runner ------------------------------------------ */

/* Runs the shell command `cmd`, keeps its standard output in out[cap] and
 * returns its exit status (-1 if it did not exit normally). */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Parses the last line of `text` as a JSON object whose values are all
 * finite numbers, as the runner contract requires. */
static json_t *parse_outcome(const char *text)
{
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        len--;
    size_t start = len;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    json_error_t jerr;
    json_t *obj = json_loadb(text + start, len - start, 0, &jerr);
    if (!obj)
        fail_msg("not JSON: '%.*s': %s", (int)(len - start), text + start, jerr.text);
    assert_true(json_is_object(obj));
    assert_true(json_object_size(obj) > 0);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            fail_msg("outcome %s is not a finite number", key);
    }
    return obj;
}

/* Runs a runner that must succeed and returns its outcome object. */
static json_t *run_ok(const char *fmt, ...)
{
    char cmd[1024], out[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = run(cmd, out, sizeof out);
    if (st != 0)
        fail_msg("'%s' exited with %d", cmd, st);
    return parse_outcome(out);
}

static double num(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        fail_msg("outcome has no '%s'", key);
    return json_number_value(v);
}

static json_t *reactor(double t, double tau, double ca, double cb)
{
    return run_ok("'" EXAMPLES "/reactor/reactor' --T %.17g --tau %.17g --ca %.17g --cb %.17g",
                  t, tau, ca, cb);
}

static json_t *tokamak(const char *args)
{
    return run_ok("'" EXAMPLES "/tokamak/tokamak' %s", args);
}

static double branin_cmd(double x1, double x2)
{
    json_t *o = run_ok("'" EXAMPLES "/branin/branin' --x1 %.17g --x2 %.17g", x1, x2);
    double f = num(o, "f");
    json_decref(o);
    return f;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("GENESIS_OUTPUT"); /* runners print to stdout unless a test sets it */
    return 0;
}

/* ---- reactor ------------------------------------------------------------ */

static void reactor_reports_every_outcome(void **state)
{
    (void)state;
    json_t *o = reactor(400, 20, 1.0, 1.5);
    static const char *const keys[] = {"yield", "selectivity", "conversion", "cost",
                                       "cost_per_litre", "productivity", "c_a", "c_b",
                                       "c_c", "c_d", "c_e", "k1", "k2", "k3"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(o, keys[i]));
    assert_true(num(o, "cost") > 0.0);
    json_decref(o);
}

/* Atom balances of A + B -> C, C + B -> D, A -> E:
 *   A: [A] + [C] + [D] + [E] = [A]0,  B: [B] + [C] + 2 [D] = [B]0. */
static void reactor_mass_balance_closes(void **state)
{
    (void)state;
    const double pts[][4] = {{300, 1, 0.1, 0.1},  {350, 60, 2.0, 1.5}, {400, 7.5, 1.0, 1.0},
                             {450, 60, 0.5, 3.0}, {450, 1, 2.0, 0.2},  {425, 30, 1.2, 2.3}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        json_t *o = reactor(pts[i][0], pts[i][1], pts[i][2], pts[i][3]);
        double a = num(o, "c_a"), b = num(o, "c_b"), c = num(o, "c_c"), d = num(o, "c_d"),
               e = num(o, "c_e");
        assert_near(a + c + d + e, pts[i][2], 1e-6);
        assert_near(b + c + 2.0 * d, pts[i][3], 1e-6);
        assert_true(a > -1e-9 && b > -1e-9 && c > -1e-9 && d > -1e-9 && e > -1e-9);
        json_decref(o);
    }
}

static void reactor_fractions_in_unit_interval(void **state)
{
    (void)state;
    const double temps[] = {300, 375, 450}, taus[] = {1, 8, 60}, concs[] = {0.1, 1.0, 3.0};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            for (size_t k = 0; k < 3; k++) {
                json_t *o = reactor(temps[i], taus[j], concs[k], concs[2 - k]);
                double y = num(o, "yield"), s = num(o, "selectivity"), x = num(o, "conversion");
                assert_true(y >= 0.0 && y <= 1.0);
                assert_true(s >= 0.0 && s <= 1.0);
                assert_true(x >= 0.0 && x <= 1.0);
                /* yield = selectivity * conversion by definition */
                assert_near(y, s * x, 1e-9);
                json_decref(o);
            }
}

/* C is an intermediate of a consecutive reaction: at high temperature its
 * yield rises with residence time, peaks, and falls as C + B -> D and
 * A -> E take over. */
static void reactor_yield_peaks_in_residence_time(void **state)
{
    (void)state;
    enum { N = 13 };
    double y[N];
    size_t best = 0;
    for (size_t i = 0; i < N; i++) {
        double tau = exp(log(60.0) * (double)i / (N - 1)); /* 1 .. 60 min */
        json_t *o = reactor(450, tau, 1.0, 1.5);
        y[i] = num(o, "yield");
        json_decref(o);
        if (y[i] > y[best])
            best = i;
    }
    assert_true(best > 0 && best < N - 1);
    assert_true(y[best] > y[0] + 0.05);
    assert_true(y[best] > y[N - 1] + 0.05);
    for (size_t i = 0; i < best; i++)
        assert_true(y[i] < y[i + 1]);
    for (size_t i = best; i + 1 < N; i++)
        assert_true(y[i] > y[i + 1]);
}

static void reactor_writes_genesis_output(void **state)
{
    (void)state;
    char path[512], out[4096];
    snprintf(path, sizeof path, "%s/reactor-outcome-%ld.json", GN_TEST_TMP, (long)getpid());
    setenv("GENESIS_OUTPUT", path, 1);
    int st = run("'" EXAMPLES "/reactor/reactor' --T 410 --tau 12 --ca 1 --cb 1", out, sizeof out);
    unsetenv("GENESIS_OUTPUT");
    assert_int_equal(st, 0);
    assert_string_equal(out, ""); /* the outcome went to the file */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
    json_t *o = parse_outcome(out);
    assert_true(num(o, "yield") > 0.0);
    json_decref(o);
}

static void reactor_rejects_bad_arguments(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "--T 400 --tau 10 --ca 1",               /* --cb missing */
        "--T abc --tau 10 --ca 1 --cb 1",        /* not a number */
        "--T 400 --tau -1 --ca 1 --cb 1",        /* negative time */
        "--T 4000 --tau 10 --ca 1 --cb 1",       /* out of range */
        "--T 400 --tau 10 --ca 1 --cb 1 --x 2",  /* unknown option */
};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[512], out[1024];
        snprintf(cmd, sizeof cmd, "'" EXAMPLES "/reactor/reactor' %s 2>/dev/null", bad[i]);
        assert_int_equal(run(cmd, out, sizeof out), 2);
        assert_string_equal(out, "");
    }
}

/* ---- tokamak ------------------------------------------------------------ */

#define ITER_MACHINE "--R 6.2 --A 3.1 --I 15 --B 5.3 --n 10.1 --kappa 1.7"

/* ITER Physics Basis (Nucl. Fusion 39 (1999) 2175): at the Q = 10 design
 * point with 87 MW of loss power IPB98(y,2) gives tau_E = 3.6-3.7 s; the
 * density is 85% of the Greenwald limit and q95 = 3. */
static void tokamak_iter_confinement(void **state)
{
    (void)state;
    json_t *o = tokamak(ITER_MACHINE " --loss-power 87");
    double tau = num(o, "tau_e");
    assert_true(tau > 3.55 && tau < 3.70);
    assert_near(num(o, "greenwald_fraction"), 0.85, 0.01);
    assert_near(num(o, "q95"), 3.0, 0.05);
    /* W = P tau_E = 314 MJ: ITER's thermal energy is about 320-350 MJ */
    assert_near(num(o, "stored_energy"), 87.0 * tau, 1e-6 * 87.0 * tau);
    assert_near(num(o, "volume"), 832.2, 1.0);
    json_decref(o);
}

/* Bosch & Hale, Nucl. Fusion 32 (1992) 611, Table VIII, T(d,n)4He. */
static void tokamak_bosch_hale_reactivity(void **state)
{
    (void)state;
    const double table[][2] = {{1.0, 6.857e-27}, {10.0, 1.136e-22}, {20.0, 4.330e-22}};
    for (size_t i = 0; i < 3; i++) {
        char args[64];
        snprintf(args, sizeof args, "--reactivity %g", table[i][0]);
        json_t *o = tokamak(args);
        assert_near(num(o, "sigma_v"), table[i][1], 1e-3 * table[i][1]);
        json_decref(o);
    }
}

/* The steady state found satisfies P_aux + P_alpha = P_brems + W / tau_E;
 * with ITER's 50 MW of heating it gives ITER's design gain, Q about 10. */
static void tokamak_power_balance_closes(void **state)
{
    (void)state;
    json_t *o = tokamak(ITER_MACHINE " --P 50 --heating ECRH");
    double p_fus = num(o, "fusion_power"), p_alpha = num(o, "alpha_power");
    double p_br = num(o, "brems_power"), p_loss = num(o, "loss_power");
    double w = num(o, "stored_energy"), tau = num(o, "tau_e");
    assert_near(50.0 + p_alpha, p_br + p_loss, 1e-6 * p_loss);
    assert_near(w, tau * p_loss, 1e-9 * w);
    assert_near(p_alpha, p_fus * 3.517 / 17.589, 1e-9 * p_fus);
    assert_near(num(o, "fusion_gain"), p_fus / 50.0, 1e-9 * p_fus);
    assert_true(num(o, "fusion_gain") > 5.0 && num(o, "fusion_gain") < 20.0);
    assert_near(num(o, "wall_plug_power"), 50.0 / 0.40, 1e-9);
    assert_true(num(o, "lh_margin") > 1.0);
    json_decref(o);
}

/* At fixed machine, density and heating, confinement improves with the
 * current (tau_E ~ I^0.93): the plasma runs hotter and the gain rises. */
static void tokamak_gain_rises_with_current(void **state)
{
    (void)state;
    double q_prev = 0.0, t_prev = 0.0;
    const double currents[] = {8, 10, 12, 15, 17, 20};
    for (size_t i = 0; i < sizeof currents / sizeof currents[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "--R 6.2 --A 3.1 --I %g --B 5.3 --n 10.1 --kappa 1.7 --P 50",
                 currents[i]);
        json_t *o = tokamak(args);
        double q = num(o, "fusion_gain"), t = num(o, "temperature");
        assert_true(q > q_prev && t > t_prev);
        q_prev = q;
        t_prev = t;
        json_decref(o);
    }
}

/* ---- branin ------------------------------------------------------------- */

static const double branin_minima[3][2] = {
    {-3.14159265358979323846, 12.275}, {3.14159265358979323846, 2.275}, {9.42477796076938, 2.475}};

static void branin_command_minima(void **state)
{
    (void)state;
    for (size_t i = 0; i < 3; i++)
        assert_near(branin_cmd(branin_minima[i][0], branin_minima[i][1]), BRANIN_MIN, 1e-5);
    /* f(0, 0) = 36 + 10 (1 - 1/(8 pi)) + 10 */
    assert_near(branin_cmd(0.0, 0.0), 46.0 + 10.0 * (1.0 - 1.0 / (8.0 * M_PI)), 1e-9);
    assert_true(branin_cmd(1.0, 5.0) > BRANIN_MIN);
}

/* What genesis would provide to a library runner, just enough to check
 * one: the module resolves these against this (-rdynamic) program. */
struct gn_runner_output {
    double f;
    int has_f;
    int failed;
};

gn_status gn_runner_output_set(gn_runner_output *out, const char *name, double value)
{
    if (!name || !*name || !isfinite(value))
        return GN_ERR_INVALID;
    if (!strcmp(name, "f")) {
        out->f = value;
        out->has_f = 1;
    }
    return GN_OK;
}

void gn_runner_output_fail(gn_runner_output *out, const char *reason)
{
    (void)reason;
    out->failed = 1;
}

static void branin_library_runner(void **state)
{
    (void)state;
    void *lib = dlopen(EXAMPLES "/branin/libbranin.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        fail_msg("dlopen: %s", dlerror());
    void *sym = dlsym(lib, "evaluate");
    assert_non_null(sym);
    gn_runner_fn evaluate;
    memcpy(&evaluate, &sym, sizeof evaluate); /* object to function pointer, ISO C safe */

    /* parameters in the reverse of spec order: the module looks them up by name */
    const char *names[] = {"x2", "x1"};
    for (size_t i = 0; i < 3; i++) {
        double values[2] = {branin_minima[i][1], branin_minima[i][0]};
        gn_runner_input in = {.campaign = "branin-lib", .experiment = (int64_t)i + 1,
                              .attempt = 1, .n_params = 2, .names = names, .values = values,
                              .params_json = "{}", .workdir = GN_TEST_TMP};
        gn_runner_output out = {0};
        assert_int_equal(evaluate(&in, &out), 0);
        assert_true(out.has_f && !out.failed);
        assert_near(out.f, BRANIN_MIN, 1e-5);
    }

    const char *wrong[] = {"x1", "y"};
    double values[2] = {0.0, 0.0};
    gn_runner_input in = {.campaign = "branin-lib", .experiment = 4, .attempt = 1,
                          .n_params = 2, .names = wrong, .values = values};
    gn_runner_output out = {0};
    assert_int_not_equal(evaluate(&in, &out), 0);
    assert_true(out.failed);
    dlclose(lib);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(reactor_reports_every_outcome, setup, NULL),
    cmocka_unit_test_setup_teardown(reactor_mass_balance_closes, setup, NULL),
    cmocka_unit_test_setup_teardown(reactor_fractions_in_unit_interval, setup, NULL),
    cmocka_unit_test_setup_teardown(reactor_yield_peaks_in_residence_time, setup, NULL),
    cmocka_unit_test_setup_teardown(reactor_writes_genesis_output, setup, NULL),
    cmocka_unit_test_setup_teardown(reactor_rejects_bad_arguments, setup, NULL),
    cmocka_unit_test_setup_teardown(tokamak_iter_confinement, setup, NULL),
    cmocka_unit_test_setup_teardown(tokamak_bosch_hale_reactivity, setup, NULL),
    cmocka_unit_test_setup_teardown(tokamak_power_balance_closes, setup, NULL),
    cmocka_unit_test_setup_teardown(tokamak_gain_rises_with_current, setup, NULL),
    cmocka_unit_test_setup_teardown(branin_command_minima, setup, NULL),
    cmocka_unit_test_setup_teardown(branin_library_runner, setup, NULL),
};

GN_TEST_MAIN(tests)
