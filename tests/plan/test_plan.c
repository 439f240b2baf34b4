/*
 * tests/plan/test_plan.c - the search space and the design-of-experiments
 * planners (random, sobol, lhs).
 *
 * Specs are built by hand (tspace below), not read from files, so these
 * tests depend on the plan and core modules only.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"

#include "core/alloc.h"
#include "plan/planner.h"
#include "plan/space.h"

/* ---- a hand-built spec ------------------------------------------------------ */

#define T_MAX_PARAMS GN_SPEC_MAX_PARAMS
#define T_MAX_CONS 8

typedef struct tspace {
    gn_spec spec;
    gn_param params[T_MAX_PARAMS];
    char names[T_MAX_PARAMS][16];
    gn_linear_constraint cons[T_MAX_CONS];
    double coef[T_MAX_CONS][T_MAX_PARAMS];
    gn_objective objectives[2];
    char strategy[16];
    gn_space space;
} tspace;

static tspace *ts_new(const char *strategy, long budget)
{
    tspace *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->spec.name = "test";
    t->spec.params = t->params;
    t->spec.constraints = t->cons;
    t->spec.objectives = t->objectives;
    t->objectives[0].name = "y";
    t->objectives[1].name = "z";
    t->spec.n_objectives = 2;
    t->spec.budget.experiments = budget;
    if (strategy) {
        snprintf(t->strategy, sizeof t->strategy, "%s", strategy);
        t->spec.planner.strategy = t->strategy;
    }
    gn_space_init(&t->space, &t->spec);
    return t;
}

static gn_param *ts_add(tspace *t, const char *name, gn_param_type type)
{
    gn_param *p = &t->params[t->spec.n_params];
    assert_true(t->spec.n_params < T_MAX_PARAMS);
    snprintf(t->names[t->spec.n_params], sizeof t->names[0], "%s", name);
    p->name = t->names[t->spec.n_params];
    p->type = type;
    t->spec.n_params++;
    gn_space_init(&t->space, &t->spec);
    return p;
}

static void ts_real(tspace *t, const char *name, double low, double high, int log_scale)
{
    gn_param *p = ts_add(t, name, GN_PARAM_REAL);
    p->low = low;
    p->high = high;
    p->log_scale = log_scale;
}

static void ts_int(tspace *t, const char *name, double low, double high, int log_scale)
{
    gn_param *p = ts_add(t, name, GN_PARAM_INT);
    p->low = low;
    p->high = high;
    p->log_scale = log_scale;
}

static void ts_choice(tspace *t, const char *name, const char *const *values, size_t n)
{
    gn_param *p = ts_add(t, name, GN_PARAM_CHOICE);
    p->choices = (char **)values;
    p->n_choices = n;
}

/* Adds "sum coef * name <= rhs": n pairs (name, coef) follow. Add the
 * parameters first. */
static void ts_constraint(tspace *t, const char *text, double rhs, int n, ...)
{
    size_t c = t->spec.n_constraints, i;
    va_list ap;
    assert_true(c < T_MAX_CONS);
    t->cons[c].text = (char *)text;
    t->cons[c].coef = t->coef[c];
    t->cons[c].rhs = rhs;
    va_start(ap, n);
    while (n-- > 0) {
        const char *name = va_arg(ap, const char *);
        double coef = va_arg(ap, double);
        for (i = 0; i < t->spec.n_params; i++)
            if (!strcmp(t->params[i].name, name))
                t->coef[c][i] = coef;
    }
    va_end(ap);
    t->spec.n_constraints++;
}

/* The flow-reactor space of docs/spec.md. */
static const char *const catalysts[] = {"Pd", "Ni", "Cu"};

static tspace *ts_reactor(const char *strategy)
{
    tspace *t = ts_new(strategy, 60);
    ts_real(t, "temperature", 300, 450, 0);
    ts_real(t, "residence_time", 1, 60, 1);
    ts_int(t, "stages", 1, 5, 0);
    ts_choice(t, "catalyst", catalysts, 3);
    return t;
}

/* ---- planner helpers ---------------------------------------------------------- */

static gn_planner *planner_new(tspace *t, uint64_t seed)
{
    gn_planner *p = NULL;
    gn_err err;
    gn_err_clear(&err);
    assert_int_equal(gn_planner_new(&t->space, seed, &p, &err), GN_OK);
    assert_non_null(p);
    return p;
}

/* Asks n points after n_issued; returns the status (err filled). */
static gn_status ask(gn_planner *p, long n_issued, size_t n, double *x, double *mean, int *has, gn_err *err)
{
    gn_ask_ctx ctx;
    gn_ask_out out;
    memset(&ctx, 0, sizeof ctx);
    memset(&out, 0, sizeof out);
    ctx.n_issued = n_issued;
    out.x = x;
    out.mean = mean;
    out.sd = NULL;
    out.has_prediction = has;
    return gn_planner_ask(p, &ctx, n, &out, err);
}

static double *ask_new(tspace *t, const char *strategy, uint64_t seed, long n_issued, size_t n)
{
    double *x = calloc(n * (t->space.dim ? t->space.dim : 1), sizeof *x);
    gn_planner *p;
    gn_err err;
    assert_non_null(x);
    t->spec.planner.strategy = (char *)strategy;
    p = planner_new(t, seed);
    gn_err_clear(&err);
    assert_int_equal(ask(p, n_issued, n, x, NULL, NULL, &err), GN_OK);
    gn_planner_free(p);
    return x;
}

static int same_points(const double *a, const double *b, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (fabs(a[i] - b[i]) > 1e-12 * fmax(1.0, fabs(a[i])))
            return 0;
    return 1;
}

/* ---- space: unit mapping ------------------------------------------------------ */

static void space_unit_real_linear(void **state)
{
    tspace *t = ts_new(NULL, 10);
    double u, x;
    (void)state;
    ts_real(t, "a", -2, 6, 0);
    u = 0.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, -2.0, 1e-12);
    u = 0.25;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 0.0, 1e-12);
    u = 1.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 6.0, 1e-12);
    u = 1.5; /* out of the cube: clamped */
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 6.0, 1e-12);
    free(t);
}

static void space_unit_real_log(void **state)
{
    tspace *t = ts_new(NULL, 10);
    double u, x;
    (void)state;
    ts_real(t, "tau", 1, 10000, 1);
    u = 0.5;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 100.0, 1e-9);
    u = 0.25;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 10.0, 1e-10);
    u = 0.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 1.0, 1e-12);
    u = 1.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_true(x <= 10000.0);
    assert_near(x, 10000.0, 1e-8);
    free(t);
}

static void space_unit_int_equal_shares(void **state)
{
    tspace *t = ts_new(NULL, 10);
    long count[6] = {0};
    const long n = 100000;
    long i;
    double u, x;
    (void)state;
    ts_int(t, "stages", 1, 5, 0);
    for (i = 0; i < n; i++) {
        u = ((double)i + 0.5) / (double)n;
        gn_space_from_unit(&t->space, &u, &x);
        assert_true(x >= 1.0 && x <= 5.0);
        assert_near(x, floor(x), 0.0);
        count[(int)x]++;
    }
    for (i = 1; i <= 5; i++)
        assert_int_equal(count[i], n / 5);
    u = 1.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 5.0, 0.0);
    u = 0.199;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 1.0, 0.0);
    u = 0.201;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 2.0, 0.0);
    free(t);
}

static void space_unit_int_log(void **state)
{
    tspace *t = ts_new(NULL, 10);
    long count[8] = {0};
    const long n = 80000;
    long i;
    double u, x;
    (void)state;
    /* [1, 8) in log space: value v gets the share log((v+1)/v) / log 8 */
    ts_int(t, "n", 1, 7, 1);
    for (i = 0; i < n; i++) {
        u = ((double)i + 0.5) / (double)n;
        gn_space_from_unit(&t->space, &u, &x);
        assert_true(x >= 1.0 && x <= 7.0);
        assert_near(x, floor(x), 0.0);
        count[(int)x]++;
    }
    for (i = 1; i <= 7; i++)
        assert_near((double)count[i] / (double)n, log((i + 1.0) / (double)i) / log(8.0), 1e-4);
    free(t);
}

static void space_unit_choice(void **state)
{
    tspace *t = ts_new(NULL, 10);
    double u, x;
    (void)state;
    ts_choice(t, "catalyst", catalysts, 3);
    u = 0.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 0.0, 0.0);
    u = 0.34;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 1.0, 0.0);
    u = 0.99;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 2.0, 0.0);
    u = 1.0;
    gn_space_from_unit(&t->space, &u, &x);
    assert_near(x, 2.0, 0.0);
    free(t);
}

static void space_to_unit_inverse(void **state)
{
    tspace *t = ts_reactor(NULL);
    double u[5], x[5], back[5], x2[5];
    int v, k;
    (void)state;
    ts_int(t, "n", 1, 7, 1);
    /* reals: to_unit inverts from_unit */
    for (k = 0; k <= 10; k++) {
        u[0] = u[1] = k / 10.0;
        u[2] = u[3] = u[4] = 0.5;
        gn_space_from_unit(&t->space, u, x);
        gn_space_to_unit(&t->space, x, back);
        assert_near(back[0], u[0], 1e-12);
        assert_near(back[1], u[1], 1e-12);
    }
    /* ints and choices: to_unit gives the centre of the value's share, and
     * from_unit maps it back to the value */
    x[0] = 300;
    x[1] = 1;
    for (v = 1; v <= 7; v++) {
        x[2] = 1 + (v - 1) % 5;
        x[3] = (v - 1) % 3;
        x[4] = v;
        gn_space_to_unit(&t->space, x, back);
        assert_near(back[2], (x[2] - 1 + 0.5) / 5.0, 1e-12);
        assert_near(back[3], (x[3] + 0.5) / 3.0, 1e-12);
        assert_near(back[4], 0.5 * (log((double)v) + log(v + 1.0)) / log(8.0), 1e-12);
        gn_space_from_unit(&t->space, back, x2);
        assert_near(x2[2], x[2], 0.0);
        assert_near(x2[3], x[3], 0.0);
        assert_near(x2[4], x[4], 0.0);
    }
    free(t);
}

/* ---- space: feasibility ------------------------------------------------------ */

static void space_feasible(void **state)
{
    tspace *t = ts_new(NULL, 10);
    double x[4];
    (void)state;
    ts_real(t, "x", 0, 1, 0);
    ts_real(t, "y", 0, 1, 0);
    ts_int(t, "k", 1, 5, 0);
    ts_choice(t, "c", catalysts, 3);
    ts_constraint(t, "x + y <= 1", 1.0, 2, "x", 1.0, "y", 1.0);
    x[0] = 0.5, x[1] = 0.5, x[2] = 3, x[3] = 2;
    assert_true(gn_space_feasible(&t->space, x));
    x[1] = 0.5 + 1e-12; /* within the relative tolerance of 1e-9 */
    assert_true(gn_space_feasible(&t->space, x));
    x[1] = 0.5 + 1e-6;
    assert_false(gn_space_feasible(&t->space, x));
    x[1] = 0.25;
    x[0] = -0.01; /* below the bound */
    assert_false(gn_space_feasible(&t->space, x));
    x[0] = 0.5;
    x[2] = 2.5; /* not whole */
    assert_false(gn_space_feasible(&t->space, x));
    x[2] = 6; /* above the bound */
    assert_false(gn_space_feasible(&t->space, x));
    x[2] = 5;
    x[3] = 3; /* no such choice */
    assert_false(gn_space_feasible(&t->space, x));
    x[3] = NAN;
    assert_false(gn_space_feasible(&t->space, x));
    x[3] = 0;
    x[0] = NAN;
    assert_false(gn_space_feasible(&t->space, x));
    x[0] = 0.75;
    assert_true(gn_space_feasible(&t->space, x));
    free(t);
}

/* A draw function of uniform numbers from a fixed LCG, for sample_feasible. */
static void draw_lcg(void *ctx, double *u)
{
    uint64_t *s = ctx;
    int i;
    for (i = 0; i < 2; i++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = (double)(*s >> 11) * 0x1.0p-53;
    }
}

static void space_sample_feasible_finds(void **state)
{
    tspace *t = ts_new(NULL, 10);
    uint64_t s = 1;
    double x[2];
    gn_err err;
    int k;
    (void)state;
    ts_real(t, "a", 0, 1, 0);
    ts_real(t, "b", 0, 1, 0);
    ts_constraint(t, "a + b <= 0.1", 0.1, 2, "a", 1.0, "b", 1.0);
    for (k = 0; k < 50; k++) {
        assert_int_equal(gn_space_sample_feasible(&t->space, draw_lcg, &s, 10000, x, &err), GN_OK);
        assert_true(x[0] + x[1] <= 0.1 + 1e-12);
    }
    free(t);
}

static void space_sample_feasible_empty(void **state)
{
    tspace *t = ts_new(NULL, 10);
    uint64_t s = 1;
    double x[2];
    gn_err err;
    (void)state;
    ts_real(t, "a", 0, 1, 0);
    ts_real(t, "b", 0, 1, 0);
    ts_constraint(t, "a <= 0.5", 0.5, 1, "a", 1.0);
    ts_constraint(t, "a + b <= -5", -5.0, 2, "a", 1.0, "b", 1.0);
    ts_constraint(t, "b >= 2", -2.0, 1, "b", -1.0);
    assert_int_equal(gn_space_sample_feasible(&t->space, draw_lcg, &s, 1000, x, &err), GN_ERR_INFEASIBLE);
    assert_string_equal(err.msg, "the feasible region looks empty: no point of 1000 tried satisfies "
                                 "'a + b <= -5' or 'b >= 2'");
    free(t);
}

static void space_sample_feasible_empty_together(void **state)
{
    tspace *t = ts_new(NULL, 10);
    uint64_t s = 1;
    double x[2];
    gn_err err;
    (void)state;
    ts_real(t, "x", 0, 1, 0);
    ts_real(t, "y", 0, 1, 0);
    ts_constraint(t, "x <= 0.9", 0.9, 1, "x", 1.0);
    ts_constraint(t, "x + y <= 0.5", 0.5, 2, "x", 1.0, "y", 1.0);
    ts_constraint(t, "x + y >= 1.5", -1.5, 2, "x", -1.0, "y", -1.0);
    assert_int_equal(gn_space_sample_feasible(&t->space, draw_lcg, &s, 1000, x, &err), GN_ERR_INFEASIBLE);
    assert_string_equal(err.msg, "the feasible region looks empty: no point of 1000 tried satisfies "
                                 "'x + y <= 0.5' and 'x + y >= 1.5' together (each holds alone)");
    free(t);
}

/* ---- space: parameters as JSON -------------------------------------------------- */

static void space_params_json_round_trip(void **state)
{
    tspace *t = ts_reactor(NULL);
    double x[4] = {300.1, 2.5, 3, 1}, y[4];
    const double awkward[4] = {1.0 / 3.0, 59.999999999999993, 5, 2};
    char *text;
    char a[64], b[64];
    gn_err err;
    int i;
    (void)state;
    text = gn_space_params_json(&t->space, x);
    assert_non_null(text);
    assert_string_equal(text, "{\"temperature\": 300.1, \"residence_time\": 2.5, \"stages\": 3, "
                              "\"catalyst\": \"Ni\"}");
    assert_int_equal(gn_space_params_parse(&t->space, text, y, &err), GN_OK);
    for (i = 0; i < 4; i++)
        assert_near(y[i], x[i], 0.0);
    gn_free(text);
    /* reals survive the text bit for bit */
    memcpy(x, awkward, sizeof x);
    x[0] = 300 + 1.0 / 3.0;
    text = gn_space_params_json(&t->space, x);
    assert_non_null(text);
    assert_int_equal(gn_space_params_parse(&t->space, text, y, &err), GN_OK);
    for (i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "%a", x[i]);
        snprintf(b, sizeof b, "%a", y[i]);
        assert_string_equal(a, b);
    }
    assert_non_null(strstr(text, "\"stages\": 5,"));
    assert_non_null(strstr(text, "\"catalyst\": \"Cu\""));
    gn_free(text);
    free(t);
}

static void space_params_json_escapes(void **state)
{
    static const char *const odd[] = {"plain", "with \"quotes\"\\"};
    tspace *t = ts_new(NULL, 10);
    double x = 1, y;
    char *text;
    gn_err err;
    (void)state;
    ts_choice(t, "label", odd, 2);
    text = gn_space_params_json(&t->space, &x);
    assert_non_null(text);
    assert_string_equal(text, "{\"label\": \"with \\\"quotes\\\"\\\\\"}");
    assert_int_equal(gn_space_params_parse(&t->space, text, &y, &err), GN_OK);
    assert_near(y, 1.0, 0.0);
    gn_free(text);
    free(t);
}

/* Parses json into a reactor point; returns the status and copies the
 * message. */
static gn_status parse_reactor(const char *json, char *msg)
{
    tspace *t = ts_reactor(NULL);
    double x[4];
    gn_err err;
    gn_status st;
    gn_err_clear(&err);
    st = gn_space_params_parse(&t->space, json, x, &err);
    strcpy(msg, err.msg);
    free(t);
    return st;
}

static void space_params_parse_errors(void **state)
{
    char msg[GN_ERR_MSG_MAX];
    (void)state;
    assert_int_equal(parse_reactor("{\"temperature\": 300, \"residence_time\": 2, \"stages\": 2.5, "
                                   "\"catalyst\": \"Pd\"}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'stages': expected a whole number between 1 and 5, got 2.5");
    assert_int_equal(parse_reactor("{\"temperature\": 500, \"residence_time\": 2, \"stages\": 2, "
                                   "\"catalyst\": \"Pd\"}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'temperature': expected a number between 300 and 450, got 500");
    assert_int_equal(parse_reactor("{\"temperature\": \"hot\", \"residence_time\": 2, \"stages\": 2, "
                                   "\"catalyst\": \"Pd\"}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'temperature': expected a number between 300 and 450, got \"hot\"");
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"stages\": 9, "
                                   "\"catalyst\": \"Pd\"}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'stages': expected a whole number between 1 and 5, got 9");
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"stages\": 2, "
                                   "\"catalyst\": \"Pt\"}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'catalyst': expected one of \"Pd\", \"Ni\", \"Cu\", got \"Pt\"");
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"stages\": 2, "
                                   "\"catalyst\": 1}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'catalyst': expected one of \"Pd\", \"Ni\", \"Cu\", got 1");
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"stages\": 2, "
                                   "\"catalyst\": \"Pd\", \"pressure\": 2}", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "unknown parameter 'pressure' (the parameters are temperature, "
                             "residence_time, stages, catalyst)");
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"catalyst\": \"Pd\"}", msg),
                     GN_ERR_INVALID);
    assert_string_equal(msg, "missing parameter 'stages'");
    assert_int_equal(parse_reactor("[1, 2]", msg), GN_ERR_INVALID);
    assert_string_equal(msg, "parameters: expected a JSON object, got [1,2]");
    assert_int_equal(parse_reactor("{\"temperature\": 350,", msg), GN_ERR_INVALID);
    assert_true(!strncmp(msg, "parameters: invalid JSON at line 1, column ", 43));
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"temperature\": 360, \"residence_time\": 2, "
                                   "\"stages\": 2, \"catalyst\": \"Pd\"}", msg), GN_ERR_INVALID);
    assert_true(!strncmp(msg, "parameters: invalid JSON", 24));
    /* a whole real typed as 3.0 is a valid int; huge integers do not overflow */
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, \"stages\": 3.0, "
                                   "\"catalyst\": \"Pd\"}", msg), GN_OK);
    assert_int_equal(parse_reactor("{\"temperature\": 350, \"residence_time\": 2, "
                                   "\"stages\": 123456789012345678901234567890, \"catalyst\": \"Pd\"}", msg),
                     GN_ERR_INVALID);
    assert_string_equal(msg, "parameter 'stages': expected a whole number between 1 and 5, got "
                             "1.2345678901234568e+29");
}

static void space_params_parse_numeric_choices(void **state)
{
    static const char *const sizes[] = {"1", "2", "4", "0.5"};
    tspace *t = ts_new(NULL, 10);
    double x;
    gn_err err;
    (void)state;
    ts_choice(t, "size", sizes, 4);
    assert_int_equal(gn_space_params_parse(&t->space, "{\"size\": 4}", &x, &err), GN_OK);
    assert_near(x, 2.0, 0.0);
    assert_int_equal(gn_space_params_parse(&t->space, "{\"size\": 0.5}", &x, &err), GN_OK);
    assert_near(x, 3.0, 0.0);
    assert_int_equal(gn_space_params_parse(&t->space, "{\"size\": \"2\"}", &x, &err), GN_OK);
    assert_near(x, 1.0, 0.0);
    assert_int_equal(gn_space_params_parse(&t->space, "{\"size\": 3}", &x, &err), GN_ERR_INVALID);
    assert_string_equal(err.msg, "parameter 'size': expected one of \"1\", \"2\", \"4\", \"0.5\", got 3");
    free(t);
}

/* ---- the registry --------------------------------------------------------------- */

static void planner_registry(void **state)
{
    const char *const *names = gn_planner_type_names();
    tspace *t = ts_reactor(NULL);
    gn_planner *p = NULL;
    gn_err err;
    size_t i;
    (void)state;
    for (i = 0; names[i]; i++) {
        const gn_planner_type *type = gn_planner_type_find(names[i]);
        assert_non_null(type);
        assert_string_equal(type->name, names[i]);
    }
    assert_int_equal(i, 4);
    assert_ptr_equal(gn_planner_type_find("random"), &gn_planner_random);
    assert_ptr_equal(gn_planner_type_find("sobol"), &gn_planner_sobol);
    assert_ptr_equal(gn_planner_type_find("lhs"), &gn_planner_lhs);
    assert_non_null(gn_planner_type_find("bo"));
    assert_null(gn_planner_type_find("cma"));
    assert_null(gn_planner_type_find(NULL));
    /* no strategy: sobol */
    assert_int_equal(gn_planner_new(&t->space, 1, &p, &err), GN_OK);
    assert_string_equal(gn_planner_name(p), "sobol");
    gn_planner_free(p);
    gn_planner_free(NULL);
    t->spec.planner.strategy = "lhs";
    assert_int_equal(gn_planner_new(&t->space, 1, &p, &err), GN_OK);
    assert_string_equal(gn_planner_name(p), "lhs");
    gn_planner_free(p);
    t->spec.planner.strategy = "cma";
    assert_int_equal(gn_planner_new(&t->space, 1, &p, &err), GN_ERR_UNSUPPORTED);
    assert_null(p);
    assert_string_equal(err.msg, "unknown planner strategy 'cma': expected random, sobol, lhs or bo");
    /* only bo chooses from candidate pools */
    t->spec.planner.strategy = "sobol";
    assert_int_equal(gn_planner_new(&t->space, 1, &p, &err), GN_OK);
    assert_int_equal(gn_planner_set_candidates(p, NULL, 0, &err), GN_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "use strategy bo"));
    gn_planner_free(p);
    free(t);
}

/* Out-of-memory at every allocation of creating and asking a planner
 * returns GN_ERR_NOMEM and leaks nothing (the sanitizer build checks). */
static void planner_out_of_memory(void **state)
{
    static const char *const strategies[] = {"random", "sobol", "lhs"};
    tspace *t = ts_reactor(NULL);
    double x[4 * 4];
    size_t s;
    (void)state;
    ts_constraint(t, "temperature + 20 * stages <= 500", 500.0, 2, "temperature", 1.0, "stages", 20.0);
    for (s = 0; s < 3; s++) {
        long n;
        t->spec.planner.strategy = (char *)strategies[s];
        for (n = 1; n < 50; n++) {
            gn_planner *p = NULL;
            gn_err err;
            gn_status st;
            gn__alloc_fail_at(n);
            st = gn_planner_new(&t->space, 5, &p, &err);
            if (st == GN_OK)
                st = ask(p, 3, 4, x, NULL, NULL, &err);
            gn__alloc_fail_at(0);
            gn_planner_free(p);
            assert_true(st == GN_OK || st == GN_ERR_NOMEM);
            if (st == GN_ERR_NOMEM)
                assert_string_equal(err.msg, "out of memory");
        }
    }
    free(t);
}

/* ---- behaviours every planner has ------------------------------------------- */

/* Bounds, whole ints, valid choices (all visited), no predictions. */
static void check_bounds_and_types(const char *strategy)
{
    tspace *t = ts_reactor(strategy);
    const size_t n = 200, d = 5;
    double *x = calloc(n * d, sizeof *x), *mean = calloc(n * 2, sizeof *mean);
    int *has = calloc(n, sizeof *has), seen[3] = {0}, seen_int[8] = {0};
    gn_planner *p;
    gn_err err;
    size_t i;
    ts_int(t, "n", 1, 7, 1);
    p = planner_new(t, 42);
    assert_string_equal(gn_planner_name(p), strategy);
    for (i = 0; i < n; i++)
        has[i] = 1;
    assert_int_equal(ask(p, 0, n, x, mean, has, &err), GN_OK);
    for (i = 0; i < n; i++) {
        const double *xi = x + i * d;
        assert_true(gn_space_feasible(&t->space, xi));
        assert_true(xi[0] >= 300 && xi[0] <= 450);
        assert_true(xi[1] >= 1 && xi[1] <= 60);
        assert_true(xi[2] >= 1 && xi[2] <= 5);
        assert_near(xi[2], floor(xi[2]), 0.0);
        assert_true(xi[3] >= 0 && xi[3] <= 2);
        assert_near(xi[3], floor(xi[3]), 0.0);
        assert_near(xi[4], floor(xi[4]), 0.0);
        seen[(int)xi[3]]++;
        seen_int[(int)xi[4]]++;
        assert_int_equal(has[i], 0);
        assert_true(isnan(mean[2 * i]) && isnan(mean[2 * i + 1]));
    }
    for (i = 0; i < 3; i++)
        assert_true(seen[i] > 0);
    for (i = 1; i <= 7; i++)
        assert_true(seen_int[i] > 0);
    gn_planner_free(p);
    free(x);
    free(mean);
    free(has);
    free(t);
}

/* Scale: log puts about half the points below the geometric mean. */
static void check_log_scale(const char *strategy)
{
    tspace *t = ts_new(strategy, 400);
    const size_t n = 400;
    double *x;
    size_t i, below = 0, below_linear = 0;
    ts_real(t, "tau", 1, 10000, 1);
    x = ask_new(t, strategy, 7, 0, n);
    for (i = 0; i < n; i++) {
        below += x[i] < 100.0;
        below_linear += x[i] < 5000.5;
    }
    assert_near((double)below / (double)n, 0.5, 0.08);
    assert_true(below_linear > n * 9 / 10);
    free(x);
    free(t);
}

/* x + y <= 1: every point feasible and the triangle covered. */
static void check_linear_constraint(const char *strategy)
{
    tspace *t = ts_new(strategy, 300);
    const size_t n = 300;
    size_t i, corner_x = 0, corner_y = 0, origin = 0, middle = 0;
    double *x;
    ts_real(t, "x", 0, 1, 0);
    ts_real(t, "y", 0, 1, 0);
    ts_constraint(t, "x + y <= 1", 1.0, 2, "x", 1.0, "y", 1.0);
    x = ask_new(t, strategy, 3, 0, n);
    for (i = 0; i < n; i++) {
        double a = x[2 * i], b = x[2 * i + 1];
        assert_true(gn_space_feasible(&t->space, x + 2 * i));
        assert_true(a + b <= 1.0 + 1e-9);
        corner_x += a > 0.75;
        corner_y += b > 0.75;
        origin += a < 0.25 && b < 0.25;
        middle += fabs(a - b) < 0.2 && a + b > 0.6;
    }
    /* the triangle's parts with area 1/32, 1/32, 1/16 and about 0.12 */
    assert_true(corner_x >= 5 && corner_y >= 5);
    assert_true(origin >= 15);
    assert_true(middle >= 20);
    free(x);
    free(t);
}

/* An empty region is reported with the constraint that is never met. */
static void check_empty_region(const char *strategy)
{
    tspace *t = ts_new(strategy, 10);
    gn_planner *p;
    double x[4];
    gn_err err;
    ts_real(t, "a", 0, 1, 0);
    ts_real(t, "b", 0, 1, 0);
    ts_constraint(t, "a + b <= -5", -5.0, 2, "a", 1.0, "b", 1.0);
    p = planner_new(t, 1);
    assert_int_equal(ask(p, 0, 2, x, NULL, NULL, &err), GN_ERR_INFEASIBLE);
    assert_string_equal(err.msg, "the feasible region looks empty: no point of 100000 tried "
                                 "satisfies 'a + b <= -5'");
    gn_planner_free(p);
    free(t);
}

/* Asking 10 then 10 = asking 20 = asking 10 after n_issued = 10 in a fresh
 * planner; the same seed gives the same points, another seed others. Also
 * after going back (n_issued below what was asked), and with constraints. */
static void check_reproducible(const char *strategy, int constrained)
{
    tspace *t = ts_reactor(strategy);
    const size_t d = 4;
    double a[20 * 4], b[20 * 4], c[10 * 4], e[20 * 4];
    double *all, *other;
    gn_planner *p;
    gn_err err;
    if (constrained)
        ts_constraint(t, "temperature + 20 * stages <= 420", 420.0, 2, "temperature", 1.0, "stages", 20.0);
    all = ask_new(t, strategy, 99, 0, 20);
    p = planner_new(t, 99);
    assert_int_equal(ask(p, 0, 10, a, NULL, NULL, &err), GN_OK);
    assert_int_equal(ask(p, 10, 10, a + 10 * d, NULL, NULL, &err), GN_OK);
    assert_true(same_points(a, all, 20 * d));
    /* back to the start in the same planner */
    assert_int_equal(ask(p, 0, 20, e, NULL, NULL, &err), GN_OK);
    assert_true(same_points(e, all, 20 * d));
    gn_planner_free(p);
    p = planner_new(t, 99);
    assert_int_equal(ask(p, 10, 10, c, NULL, NULL, &err), GN_OK);
    assert_true(same_points(c, all + 10 * d, 10 * d));
    /* a point at a time, skipping ahead */
    assert_int_equal(ask(p, 15, 5, b, NULL, NULL, &err), GN_OK);
    assert_true(same_points(b, all + 15 * d, 5 * d));
    gn_planner_free(p);
    other = ask_new(t, strategy, 100, 0, 20);
    assert_false(same_points(other, all, 20 * d));
    free(all);
    free(other);
    free(t);
}

/* tell validates its input and changes no proposal. */
static void check_tell(const char *strategy)
{
    tspace *t = ts_reactor(strategy);
    double x[4 * 4], before[4 * 4], y[2] = {1.5, 2.5}, bad_y[2] = {NAN, 1};
    gn_observation obs[2];
    gn_planner *p = planner_new(t, 11);
    gn_err err;
    assert_int_equal(ask(p, 0, 4, before, NULL, NULL, &err), GN_OK);
    memset(obs, 0, sizeof obs);
    obs[0].x = before;
    obs[0].status = GN_OBS_COMPLETED;
    obs[0].y = y;
    obs[1].x = before + 4;
    obs[1].status = GN_OBS_FAILED;
    assert_int_equal(gn_planner_tell(p, obs, 2, &err), GN_OK);
    assert_int_equal(ask(p, 0, 4, x, NULL, NULL, &err), GN_OK);
    assert_true(same_points(x, before, 16));
    obs[1].x = NULL;
    assert_int_equal(gn_planner_tell(p, obs, 2, &err), GN_ERR_INVALID);
    assert_string_equal(err.msg, "tell: observation 2 has no parameters");
    obs[1].x = before + 4;
    obs[0].y = NULL;
    assert_int_equal(gn_planner_tell(p, obs, 2, &err), GN_ERR_INVALID);
    assert_string_equal(err.msg, "tell: completed observation 1 has no objectives");
    obs[0].y = bad_y;
    assert_int_equal(gn_planner_tell(p, obs, 2, &err), GN_ERR_INVALID);
    assert_string_equal(err.msg, "tell: observation 1: objective 'y' is not a finite number");
    gn_planner_free(p);
    free(t);
}

#define PLANNER_CASES(name)                                                                   \
    static void name##_bounds_and_types(void **state) { (void)state; check_bounds_and_types(#name); } \
    static void name##_log_scale(void **state) { (void)state; check_log_scale(#name); }           \
    static void name##_linear_constraint(void **state) { (void)state; check_linear_constraint(#name); } \
    static void name##_empty_region(void **state) { (void)state; check_empty_region(#name); }     \
    static void name##_reproducible(void **state) { (void)state; check_reproducible(#name, 0); }  \
    static void name##_reproducible_constrained(void **state) { (void)state; check_reproducible(#name, 1); } \
    static void name##_tell_validates(void **state) { (void)state; check_tell(#name); }

PLANNER_CASES(random)
PLANNER_CASES(sobol)
PLANNER_CASES(lhs)

/* ---- sobol ------------------------------------------------------------------------ */

/* A space of d reals in [0, 1], where points are unit points. */
static tspace *ts_cube(const char *strategy, size_t d, long budget)
{
    tspace *t = ts_new(strategy, budget);
    char name[16];
    size_t j;
    for (j = 0; j < d; j++) {
        snprintf(name, sizeof name, "x%zu", j + 1);
        ts_real(t, name, 0, 1, 0);
    }
    return t;
}

/* Every block of N = 2^m points starting at a multiple of N puts one point
 * in each interval [i/N, (i+1)/N) of every coordinate, in all 256
 * dimensions (beyond GSL's 40). */
static void sobol_stratified_1d(void **state)
{
    const size_t d = GN_SPEC_MAX_PARAMS, n = 256;
    tspace *t = ts_cube("sobol", d, 100);
    double *x = ask_new(t, "sobol", 2024, 0, 2 * n);
    unsigned char seen[256];
    size_t j, i, block;
    (void)state;
    for (block = 0; block < 2; block++)
        for (j = 0; j < d; j++) {
            memset(seen, 0, sizeof seen);
            for (i = block * n; i < (block + 1) * n; i++) {
                double u = x[i * d + j];
                assert_true(u >= 0.0 && u < 1.0);
                seen[(size_t)floor(u * (double)n)]++;
            }
            for (i = 0; i < n; i++)
                assert_int_equal(seen[i], 1);
        }
    free(x);
    free(t);
}

/* Pairwise correlations of d columns of n points: the mean and the largest
 * absolute value. */
static void correlations(const double *x, size_t n, size_t d, double *mean_abs, double *worst)
{
    double *mean = calloc(d, sizeof *mean), *sd = calloc(d, sizeof *sd), sum = 0;
    size_t i, j, k, pairs = 0;
    assert_non_null(mean);
    assert_non_null(sd);
    *worst = 0;
    for (j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (i = 0; i < n; i++)
            s += x[i * d + j];
        mean[j] = s / (double)n;
        for (i = 0; i < n; i++)
            s2 += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
        sd[j] = sqrt(s2 / (double)n);
    }
    for (j = 0; j < d; j++)
        for (k = j + 1; k < d; k++) {
            double c = 0;
            for (i = 0; i < n; i++)
                c += (x[i * d + j] - mean[j]) * (x[i * d + k] - mean[k]);
            c = fabs(c / ((double)n * sd[j] * sd[k]));
            sum += c;
            pairs++;
            *worst = fmax(*worst, c);
        }
    *mean_abs = sum / (double)pairs;
    free(mean);
    free(sd);
}

/* Dimension 100, 1024 points: every column varies with mean 1/2 and the
 * variance of a uniform variable; pairs are on average far less correlated
 * than random points' (the few pairs whose leading digits are linked reach
 * about 0.19, see docs/planners.md). */
static void sobol_high_dim_nondegenerate(void **state)
{
    const size_t d = 100, n = 1024;
    tspace *t = ts_cube("sobol", d, 100);
    double *x = ask_new(t, "sobol", 5, 0, n), *r = ask_new(t, "random", 5, 0, n);
    double mean_abs, worst, r_mean_abs, r_worst;
    size_t i, j;
    (void)state;
    for (j = 0; j < d; j++) {
        double s = 0, s2 = 0, lo = 1, hi = 0;
        for (i = 0; i < n; i++) {
            s += x[i * d + j];
            lo = fmin(lo, x[i * d + j]);
            hi = fmax(hi, x[i * d + j]);
        }
        for (i = 0; i < n; i++)
            s2 += (x[i * d + j] - s / (double)n) * (x[i * d + j] - s / (double)n);
        assert_true(lo < 0.001 && hi > 0.999);
        assert_near(s / (double)n, 0.5, 0.001);
        assert_near(s2 / (double)n, 1.0 / 12.0, 0.001);
    }
    correlations(x, n, d, &mean_abs, &worst);
    correlations(r, n, d, &r_mean_abs, &r_worst);
    assert_true(mean_abs < 0.2 * r_mean_abs);
    assert_true(worst < 0.25);
    free(x);
    free(r);
    free(t);
}

/* Hickernell's centred L2 discrepancy of n points in [0,1]^d, squared. */
static double centred_l2_discrepancy(const double *x, size_t n, size_t d)
{
    double a = 0, b = 0;
    size_t i, j, k;
    for (i = 0; i < n; i++) {
        double p = 1;
        for (k = 0; k < d; k++) {
            double z = fabs(x[i * d + k] - 0.5);
            p *= 1 + 0.5 * z - 0.5 * z * z;
        }
        a += p;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            double p = 1;
            for (k = 0; k < d; k++) {
                double zi = fabs(x[i * d + k] - 0.5), zj = fabs(x[j * d + k] - 0.5);
                p *= 1 + 0.5 * zi + 0.5 * zj - 0.5 * fabs(x[i * d + k] - x[j * d + k]);
            }
            b += p;
        }
    return pow(13.0 / 12.0, (double)d) - 2.0 * a / (double)n + b / ((double)n * (double)n);
}

/* N = 256 in d = 5: sobol's (and lhs's) discrepancy is below random's, for
 * several seeds. */
static void sobol_discrepancy_below_random(void **state)
{
    const size_t d = 5, n = 256;
    tspace *t = ts_cube(NULL, d, (long)n);
    uint64_t seed;
    (void)state;
    for (seed = 1; seed <= 3; seed++) {
        double *s = ask_new(t, "sobol", seed, 0, n);
        double *r = ask_new(t, "random", seed, 0, n);
        double *l = ask_new(t, "lhs", seed, 0, n);
        double ds = centred_l2_discrepancy(s, n, d), dr = centred_l2_discrepancy(r, n, d);
        double dl = centred_l2_discrepancy(l, n, d);
        assert_true(ds < 0.5 * dr);
        assert_true(dl < dr);
        free(s);
        free(r);
        free(l);
    }
    free(t);
}

static void sobol_seeds_differ(void **state)
{
    const size_t d = 3, n = 16;
    tspace *t = ts_cube("sobol", d, 100);
    double *a = ask_new(t, "sobol", 1, 0, n), *b = ask_new(t, "sobol", 2, 0, n);
    double *c = ask_new(t, "sobol", 1, 0, n);
    size_t i, differ = 0;
    (void)state;
    for (i = 0; i < n * d; i++)
        differ += fabs(a[i] - b[i]) > 1e-9;
    assert_true(differ > n * d / 2);
    assert_true(same_points(a, c, n * d));
    free(a);
    free(b);
    free(c);
    free(t);
}

/* ---- lhs -------------------------------------------------------------------------- */

/* Each block of B rows uses each of the B strata of every dimension once. */
static void lhs_stratified_blocks(void **state)
{
    const size_t d = 6, b = 50, blocks = 3;
    tspace *t = ts_cube("lhs", d, (long)b);
    double *x = ask_new(t, "lhs", 17, 0, b * blocks);
    unsigned char seen[50];
    size_t blk, j, i;
    (void)state;
    for (blk = 0; blk < blocks; blk++)
        for (j = 0; j < d; j++) {
            memset(seen, 0, sizeof seen);
            for (i = blk * b; i < (blk + 1) * b; i++)
                seen[(size_t)floor(x[i * d + j] * (double)b)]++;
            for (i = 0; i < b; i++)
                assert_int_equal(seen[i], 1);
        }
    /* blocks differ from one another */
    assert_false(same_points(x, x + b * d, b * d));
    free(x);
    free(t);
}

/* Ints: with B a multiple of the number of values, each value appears
 * equally often in a block. */
static void lhs_int_balanced(void **state)
{
    tspace *t = ts_new("lhs", 20);
    double *x;
    int count[6] = {0};
    size_t i;
    (void)state;
    ts_int(t, "stages", 1, 5, 0);
    x = ask_new(t, "lhs", 3, 0, 20);
    for (i = 0; i < 20; i++)
        count[(int)x[i]]++;
    for (i = 1; i <= 5; i++)
        assert_int_equal(count[i], 4);
    free(x);
    free(t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(space_unit_real_linear),
    cmocka_unit_test(space_unit_real_log),
    cmocka_unit_test(space_unit_int_equal_shares),
    cmocka_unit_test(space_unit_int_log),
    cmocka_unit_test(space_unit_choice),
    cmocka_unit_test(space_to_unit_inverse),
    cmocka_unit_test(space_feasible),
    cmocka_unit_test(space_sample_feasible_finds),
    cmocka_unit_test(space_sample_feasible_empty),
    cmocka_unit_test(space_sample_feasible_empty_together),
    cmocka_unit_test(space_params_json_round_trip),
    cmocka_unit_test(space_params_json_escapes),
    cmocka_unit_test(space_params_parse_errors),
    cmocka_unit_test(space_params_parse_numeric_choices),
    cmocka_unit_test(planner_registry),
    cmocka_unit_test(planner_out_of_memory),
    cmocka_unit_test(random_bounds_and_types),
    cmocka_unit_test(random_log_scale),
    cmocka_unit_test(random_linear_constraint),
    cmocka_unit_test(random_empty_region),
    cmocka_unit_test(random_reproducible),
    cmocka_unit_test(random_reproducible_constrained),
    cmocka_unit_test(random_tell_validates),
    cmocka_unit_test(sobol_bounds_and_types),
    cmocka_unit_test(sobol_log_scale),
    cmocka_unit_test(sobol_linear_constraint),
    cmocka_unit_test(sobol_empty_region),
    cmocka_unit_test(sobol_reproducible),
    cmocka_unit_test(sobol_reproducible_constrained),
    cmocka_unit_test(sobol_tell_validates),
    cmocka_unit_test(sobol_stratified_1d),
    cmocka_unit_test(sobol_high_dim_nondegenerate),
    cmocka_unit_test(sobol_discrepancy_below_random),
    cmocka_unit_test(sobol_seeds_differ),
    cmocka_unit_test(lhs_bounds_and_types),
    cmocka_unit_test(lhs_log_scale),
    cmocka_unit_test(lhs_linear_constraint),
    cmocka_unit_test(lhs_empty_region),
    cmocka_unit_test(lhs_reproducible),
    cmocka_unit_test(lhs_reproducible_constrained),
    cmocka_unit_test(lhs_tell_validates),
    cmocka_unit_test(lhs_stratified_blocks),
    cmocka_unit_test(lhs_int_balanced),
};

GN_TEST_MAIN(tests)
