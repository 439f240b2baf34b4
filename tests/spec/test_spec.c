/*
 * test_spec.c - the campaign spec reader: valid specs (YAML and JSON),
 * a table of bad specs with their exact messages, constraints, limits,
 * files, and out-of-memory paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"

#include "core/alloc.h"
#include "spec/spec.h"

#define DATA GN_SOURCE_DIR "/tests/spec/data/"

/* A small valid spec; lines 1-8, so a line appended is line 9. */
#define HEAD "name: r\n"
#define PARAMS                                         \
    "parameters:\n"                                    \
    "  - {name: x, type: real, low: 0, high: 1}\n"     \
    "  - {name: n, type: int, low: 1, high: 5}\n"      \
    "  - {name: c, type: choice, values: [a, b]}\n"
#define OBJ "objectives:\n  - {name: y, goal: maximize}\n"
#define BUDGET "budget: {experiments: 10}\n"
#define BASE HEAD PARAMS OBJ BUDGET
/* Parameters with one line (line 3) to vary. */
#define P1(line) HEAD "parameters:\n  - " line "\n" OBJ BUDGET

static gn_status parse(const char *text, gn_spec **out, gn_err *err)
{
    gn_err_clear(err);
    return gn_spec_parse(text, strlen(text), "spec.yaml", NULL, out, err);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static gn_spec *load_ok(const char *path)
{
    gn_spec *s = NULL;
    gn_err err;
    gn_status st = gn_spec_load(path, &s, &err);
    if (st)
        fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, GN_OK);
    assert_non_null(s);
    return s;
}

/* ---- valid specs ---------------------------------------------------------- */

static void valid_yaml_full(void **state)
{
    gn_spec *s = load_ok(DATA "reactor.yaml");
    (void)state;
    assert_string_equal(s->name, "flow-reactor");
    assert_string_equal(s->description, "Maximise the yield of a plug-flow reactor");
    assert_int_equal(s->is_json, 0);
    assert_int_equal(s->n_params, 4);
    assert_string_equal(s->params[0].name, "temperature");
    assert_int_equal(s->params[0].type, GN_PARAM_REAL);
    assert_near(s->params[0].low, 300, 1e-12);
    assert_near(s->params[0].high, 450, 1e-12);
    assert_int_equal(s->params[0].log_scale, 0);
    assert_string_equal(s->params[0].unit, "K");
    assert_int_equal(s->params[1].log_scale, 1);
    assert_string_equal(s->params[1].unit, "min");
    assert_int_equal(s->params[2].type, GN_PARAM_INT);
    assert_near(s->params[2].low, 1, 1e-12);
    assert_near(s->params[2].high, 5, 1e-12);
    assert_null(s->params[2].unit);
    assert_int_equal(s->params[3].type, GN_PARAM_CHOICE);
    assert_int_equal(s->params[3].n_choices, 3);
    assert_string_equal(s->params[3].choices[0], "Pd");
    assert_string_equal(s->params[3].choices[2], "Cu");
    assert_int_equal(s->n_constraints, 1);
    assert_string_equal(s->constraints[0].text, "temperature + 20 * stages <= 500");
    assert_near(s->constraints[0].coef[0], 1, 1e-12);
    assert_near(s->constraints[0].coef[1], 0, 1e-12);
    assert_near(s->constraints[0].coef[2], 20, 1e-12);
    assert_near(s->constraints[0].coef[3], 0, 1e-12);
    assert_near(s->constraints[0].rhs, 500, 1e-12);
    assert_int_equal(s->n_objectives, 1);
    assert_string_equal(s->objectives[0].name, "yield");
    assert_int_equal(s->objectives[0].maximize, 1);
    assert_int_equal(s->n_outcome_constraints, 1);
    assert_string_equal(s->outcome_constraints[0].name, "cost");
    assert_int_equal(s->outcome_constraints[0].has_min, 0);
    assert_int_equal(s->outcome_constraints[0].has_max, 1);
    assert_near(s->outcome_constraints[0].max, 100, 1e-12);
    assert_int_equal(s->runner.kind, GN_RUNNER_COMMAND);
    assert_int_equal(s->runner.n_command, 5);
    assert_string_equal(s->runner.command[0], "./reactor");
    assert_string_equal(s->runner.command[2], "{temperature}");
    assert_near(s->runner.timeout, 600, 1e-12);
    assert_int_equal(s->runner.retries, 2);
    assert_near(s->runner.kill_grace, 5, 1e-12);
    assert_string_equal(s->planner.strategy, "sobol");
    assert_int_equal(s->planner.initial, 8);
    assert_int_equal(s->planner.has_seed, 1);
    assert_int_equal(s->planner.seed, 1);
    assert_int_equal(s->budget.experiments, 60);
    assert_int_equal(s->budget.parallel, 4);
    assert_string_equal(s->executor.kind, "local");
    assert_int_equal(gn_spec_param_index(s, "stages"), 2);
    assert_int_equal(gn_spec_param_index(s, "nope"), -1);
    assert_int_equal(gn_spec_objective_index(s, "yield"), 0);
    assert_int_equal(gn_spec_outcome_constraint_index(s, "cost"), 0);
    assert_int_equal(gn_spec_outcome_constraint_index(s, "yield"), -1);
    gn_spec_free(s);
}

static void same_strings(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void json_equals_yaml(void **state)
{
    gn_spec *y = load_ok(DATA "reactor.yaml");
    gn_spec *j = load_ok(DATA "reactor.json");
    size_t i, k;
    (void)state;
    assert_int_equal(j->is_json, 1);
    same_strings(y->name, j->name);
    same_strings(y->description, j->description);
    assert_int_equal(y->n_params, j->n_params);
    for (i = 0; i < y->n_params; i++) {
        same_strings(y->params[i].name, j->params[i].name);
        assert_int_equal(y->params[i].type, j->params[i].type);
        assert_near(y->params[i].low, j->params[i].low, 1e-12);
        assert_near(y->params[i].high, j->params[i].high, 1e-12);
        assert_int_equal(y->params[i].log_scale, j->params[i].log_scale);
        same_strings(y->params[i].unit, j->params[i].unit);
        assert_int_equal(y->params[i].n_choices, j->params[i].n_choices);
        for (k = 0; k < y->params[i].n_choices; k++)
            same_strings(y->params[i].choices[k], j->params[i].choices[k]);
    }
    assert_int_equal(y->n_constraints, j->n_constraints);
    for (i = 0; i < y->n_constraints; i++) {
        same_strings(y->constraints[i].text, j->constraints[i].text);
        assert_near(y->constraints[i].rhs, j->constraints[i].rhs, 1e-12);
        for (k = 0; k < y->n_params; k++)
            assert_near(y->constraints[i].coef[k], j->constraints[i].coef[k], 1e-12);
    }
    assert_int_equal(y->n_objectives, j->n_objectives);
    for (i = 0; i < y->n_objectives; i++) {
        same_strings(y->objectives[i].name, j->objectives[i].name);
        assert_int_equal(y->objectives[i].maximize, j->objectives[i].maximize);
    }
    assert_int_equal(y->n_outcome_constraints, j->n_outcome_constraints);
    for (i = 0; i < y->n_outcome_constraints; i++) {
        same_strings(y->outcome_constraints[i].name, j->outcome_constraints[i].name);
        assert_int_equal(y->outcome_constraints[i].has_min, j->outcome_constraints[i].has_min);
        assert_int_equal(y->outcome_constraints[i].has_max, j->outcome_constraints[i].has_max);
        assert_near(y->outcome_constraints[i].max, j->outcome_constraints[i].max, 1e-12);
    }
    assert_int_equal(y->runner.kind, j->runner.kind);
    assert_int_equal(y->runner.n_command, j->runner.n_command);
    for (i = 0; i < y->runner.n_command; i++)
        same_strings(y->runner.command[i], j->runner.command[i]);
    same_strings(y->runner.library, j->runner.library);
    same_strings(y->runner.function, j->runner.function);
    assert_near(y->runner.timeout, j->runner.timeout, 1e-12);
    assert_int_equal(y->runner.retries, j->runner.retries);
    assert_near(y->runner.kill_grace, j->runner.kill_grace, 1e-12);
    same_strings(y->planner.strategy, j->planner.strategy);
    assert_int_equal(y->planner.initial, j->planner.initial);
    assert_int_equal(y->planner.seed, j->planner.seed);
    assert_int_equal(y->planner.has_seed, j->planner.has_seed);
    assert_int_equal(y->budget.experiments, j->budget.experiments);
    assert_int_equal(y->budget.parallel, j->budget.parallel);
    same_strings(y->executor.kind, j->executor.kind);
    gn_spec_free(y);
    gn_spec_free(j);
}

static void defaults_when_left_out(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(parse(BASE, &s, &err), GN_OK);
    assert_null(s->description);
    assert_int_equal(s->n_constraints, 0);
    assert_int_equal(s->n_outcome_constraints, 0);
    assert_int_equal(s->runner.kind, GN_RUNNER_NONE);
    assert_near(s->runner.timeout, 0, 0);
    assert_int_equal(s->runner.retries, 0);
    assert_near(s->runner.kill_grace, 5, 1e-12);
    assert_string_equal(s->planner.strategy, "sobol");
    assert_int_equal(s->planner.initial, 0);
    assert_int_equal(s->planner.has_seed, 0);
    assert_int_equal(s->budget.parallel, 0);
    assert_string_equal(s->executor.kind, "local");
    assert_int_equal(s->executor.slots_per_rank, 1);
    assert_string_equal(s->source, "spec.yaml");
    assert_string_equal(s->base_dir, ".");
    assert_int_equal(s->text_len, strlen(BASE));
    assert_string_equal(s->text, BASE);
    gn_spec_free(s);
}

static void runner_library_default_function(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(parse(BASE "runner: {library: lib/model.so, kill_grace: 0, timeout: 2.5}\n",
                           &s, &err),
                     GN_OK);
    assert_int_equal(s->runner.kind, GN_RUNNER_LIBRARY);
    assert_string_equal(s->runner.library, "lib/model.so");
    assert_string_equal(s->runner.function, "evaluate");
    assert_near(s->runner.kill_grace, 0, 0);
    assert_near(s->runner.timeout, 2.5, 1e-12);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "runner: {library: m.so, function: run_it}\n", &s, &err), GN_OK);
    assert_string_equal(s->runner.function, "run_it");
    gn_spec_free(s);
}

/* Datasets: a candidate pool, the lookup runner and a warm start. */
#define DATASETS                                                                     \
    "planner: {strategy: bo}\n"                                                      \
    "candidates: {dataset: lab.v2, version: 3}\n"                                    \
    "runner: {lookup: lab.v2, timeout: 1}\n"                                         \
    "prior: {dataset: old_runs, version: 2, columns: {y: yield_pct, n: count}}\n"

static void datasets_read(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    if (parse(BASE DATASETS, &s, &err) != GN_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(s->candidates_dataset, "lab.v2");
    assert_null(s->candidates);
    assert_int_equal(s->candidates_version, 3);
    assert_int_equal(s->runner.kind, GN_RUNNER_LOOKUP);
    assert_string_equal(s->runner.lookup, "lab.v2");
    assert_int_equal(s->runner.lookup_version, 0);
    assert_string_equal(s->prior_dataset, "old_runs");
    assert_int_equal(s->prior_version, 2);
    assert_int_equal(s->n_prior_map, 2);
    assert_string_equal(s->prior_names[0], "y");
    assert_string_equal(s->prior_cols[0], "yield_pct");
    assert_string_equal(s->prior_names[1], "n");
    assert_string_equal(s->prior_cols[1], "count");
    gn_spec_free(s);
    /* the string form still names a CSV file */
    assert_int_equal(parse(BASE "planner: {strategy: bo}\ncandidates: pool.csv\n", &s, &err), GN_OK);
    assert_string_equal(s->candidates, "pool.csv");
    assert_null(s->candidates_dataset);
    gn_spec_free(s);
}

static void placeholders_and_literal_braces(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(
        parse(BASE "runner:\n  command: [./r, '{{x}}', '--n={n}', '{x}{n}', '}}{{', 'plain']\n",
              &s, &err),
        GN_OK);
    assert_int_equal(s->runner.n_command, 6);
    assert_string_equal(s->runner.command[1], "{{x}}");
    gn_spec_free(s);
}

static void seed_up_to_int64_max(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(parse(BASE "planner: {strategy: lhs, seed: 9223372036854775807, initial: 0}\n",
                           &s, &err),
                     GN_OK);
    assert_true(s->planner.seed == UINT64_C(9223372036854775807));
    assert_int_equal(s->planner.has_seed, 1);
    assert_string_equal(s->planner.strategy, "lhs");
    gn_spec_free(s);
}

static void scalars_typed_yaml_12(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    /* numbers and yes/no/NO as choice values become text; 1e3 is a whole
     * number; quoted names are fine */
    assert_int_equal(parse("name: \"2024.run-1\"\n"
                           "parameters:\n"
                           "  - {name: k, type: choice, values: [yes, NO, 1.50, 'true', -3]}\n"
                           "  - name: z\n"
                           "    type: int\n"
                           "    low: -1e2\n"
                           "    high: +1e3\n"
                           "    unit: 1\n"
                           "objectives: [{name: y, goal: minimize}]\n"
                           "budget: {experiments: 1e3}\n",
                           &s, &err),
                     GN_OK);
    assert_string_equal(s->name, "2024.run-1");
    assert_int_equal(s->params[0].n_choices, 5);
    assert_string_equal(s->params[0].choices[0], "yes");
    assert_string_equal(s->params[0].choices[1], "NO");
    assert_string_equal(s->params[0].choices[2], "1.50");
    assert_string_equal(s->params[0].choices[3], "true");
    assert_string_equal(s->params[0].choices[4], "-3");
    assert_near(s->params[1].low, -100, 1e-12);
    assert_near(s->params[1].high, 1000, 1e-12);
    assert_string_equal(s->params[1].unit, "1");
    assert_int_equal(s->objectives[0].maximize, 0);
    assert_int_equal(s->budget.experiments, 1000);
    gn_spec_free(s);
}

static void json_unicode_and_escapes(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    const char *text =
        "{\"name\": \"r\",\t\"description\": \"caf\\u00e9 \\ud83d\\ude00 a\\/b \\\"q\\\" \\t\",\n"
        " \"parameters\": [{\"name\": \"x\", \"type\": \"real\", \"low\": -1.5e0, \"high\": 2}],\n"
        " \"objectives\": [{\"name\": \"y\", \"goal\": \"maximize\"}],\n"
        " \"budget\": {\"experiments\": 3}}\n";
    (void)state;
    gn_err_clear(&err);
    assert_int_equal(gn_spec_parse(text, strlen(text), NULL, NULL, &s, &err), GN_OK);
    assert_int_equal(s->is_json, 1);
    assert_string_equal(s->source, "<spec>");
    assert_string_equal(s->description, "caf\xc3\xa9 \xf0\x9f\x98\x80 a/b \"q\" \t");
    assert_near(s->params[0].low, -1.5, 1e-12);
    gn_spec_free(s);
}

static void json_that_yaml_reads_differently(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    /* a ':' on the line after its key, raw DEL and C1 control characters,
     * U+FFFF, and the line breaks U+0085 and U+2028 in strings are valid
     * JSON but not valid YAML, or YAML with another meaning */
    const char *text = "{\"name\"\n: \"r\",\r\n \"description\": \"a\x7f\xc2\x80\xef\xbf\xbf\xc2\x85 \xe2\x80\xa8\",\n"
                       " \"parameters\": [{\"name\": \"x\", \"type\": \"real\", \"low\": 0,"
                       " \"high\": 1}],\n"
                       " \"objectives\": [{\"name\": \"y\", \"goal\": \"maximize\"}],\n"
                       " \"budget\"\n\n   :\t{\"experiments\": 3}}\n";
    static const char nul[] = "{\"name\": \"r\",\n \"x\": 1\0}";
    (void)state;
    assert_int_equal(parse(text, &s, &err), GN_OK);
    assert_string_equal(s->description, "a\x7f\xc2\x80\xef\xbf\xbf\xc2\x85 \xe2\x80\xa8");
    assert_int_equal(s->budget.experiments, 3);
    gn_spec_free(s);
    /* jansson alone would skip the NUL */
    gn_err_clear(&err);
    assert_int_equal(gn_spec_parse(nul, sizeof nul - 1, "n.json", NULL, &s, &err), GN_ERR_SPEC);
    assert_string_equal(err.msg, "n.json:2:8: syntax error: NUL byte in the text");
}

static void executor_slurm(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    /* a library runs in pilot workers (auto: pilot inside an allocation) */
    assert_int_equal(parse(BASE "runner: {library: m.so}\nexecutor: {kind: slurm}\n", &s, &err),
                     GN_OK);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "runner: {library: m.so}\nexecutor: {kind: slurm, mode: pilot}\n",
                           &s, &err),
                     GN_OK);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "executor: {kind: slurm}\n", &s, &err), GN_OK);
    assert_string_equal(s->executor.kind, "slurm");
    assert_int_equal(s->executor.mode, GN_SLURM_AUTO);
    assert_int_equal(s->executor.cancel_on_stop, 1);
    assert_int_equal(s->executor.launch, GN_SLURM_LAUNCH_WORKERS);
    assert_near(s->executor.poll, 2.0, 1e-12);
    assert_null(s->executor.partition);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "executor:\n"
                                "  kind: slurm\n"
                                "  mode: array\n"
                                "  partition: debug\n"
                                "  account: chem42\n"
                                "  qos: high\n"
                                "  time: '1-02:03:04'\n"
                                "  nodes: 2\n"
                                "  ntasks: 8\n"
                                "  cpus_per_task: 4\n"
                                "  mem: 16G\n"
                                "  gres: 'gpu:a100:1'\n"
                                "  constraint: 'skylake&ib'\n"
                                "  job_name: reactor\n"
                                "  array_max: 50\n"
                                "  extra_args: ['--exclusive', '--mail-type=END']\n"
                                "  step_args: ['--overlap']\n"
                                "  setup: ['module load gcc', 'source env.sh']\n"
                                "  poll: 0.5\n"
                                "  cancel_on_stop: false\n",
                           &s, &err),
                     GN_OK);
    assert_int_equal(s->executor.mode, GN_SLURM_ARRAY);
    assert_string_equal(s->executor.partition, "debug");
    assert_string_equal(s->executor.account, "chem42");
    assert_string_equal(s->executor.qos, "high");
    assert_string_equal(s->executor.time, "1-02:03:04");
    assert_int_equal(s->executor.nodes, 2);
    assert_int_equal(s->executor.ntasks, 8);
    assert_int_equal(s->executor.cpus_per_task, 4);
    assert_string_equal(s->executor.mem, "16G");
    assert_string_equal(s->executor.gres, "gpu:a100:1");
    assert_string_equal(s->executor.constraint, "skylake&ib");
    assert_string_equal(s->executor.job_name, "reactor");
    assert_int_equal(s->executor.array_max, 50);
    assert_int_equal(s->executor.n_extra_args, 2);
    assert_string_equal(s->executor.extra_args[1], "--mail-type=END");
    assert_int_equal(s->executor.n_step_args, 1);
    assert_int_equal(s->executor.n_setup, 2);
    assert_string_equal(s->executor.setup[0], "module load gcc");
    assert_near(s->executor.poll, 0.5, 1e-12);
    assert_int_equal(s->executor.cancel_on_stop, 0);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "executor: {kind: slurm, time: 30}\n", &s, &err), GN_OK);
    assert_string_equal(s->executor.time, "30");
    gn_spec_free(s);
    assert_int_equal(parse(BASE "executor: {kind: slurm, time: unlimited}\n", &s, &err), GN_OK);
    gn_spec_free(s);
}

static void executor_mpi(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    (void)state;
    assert_int_equal(parse(BASE "executor: {kind: mpi, slots_per_rank: 8}\n", &s, &err), GN_OK);
    assert_string_equal(s->executor.kind, "mpi");
    assert_int_equal(s->executor.slots_per_rank, 8);
    gn_spec_free(s);
    assert_int_equal(parse(BASE "executor:\n  kind: mpi\n", &s, &err), GN_OK);
    assert_string_equal(s->executor.kind, "mpi");
    assert_int_equal(s->executor.slots_per_rank, 1);
    gn_spec_free(s);
}

/* ---- bad specs: the exact messages ------------------------------------------ */

typedef struct bad_case {
    const char *text;
    gn_status status;
    const char *msg;
} bad_case;

static const bad_case bad[] = {
    {HEAD "paramters:\n  - {name: x, type: real, low: 0, high: 1}\n" OBJ BUDGET, GN_ERR_SPEC,
     "spec.yaml:2:1: paramters: unknown key; did you mean 'parameters'?"},
    {P1("{name: x, type: float, low: 0, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:21: parameters[0].type: expected one of real, int, choice, got 'float'"},
    {P1("{name: x, type: real, low: abc, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:32: parameters[0].low: expected a number, got 'abc'"},
    {P1("{name: x, type: real, low: 2, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: must be greater than low (2), got 1"},
    {P1("{name: x, type: int, low: 1.5, high: 5}"), GN_ERR_SPEC,
     "spec.yaml:3:31: parameters[0].low: an int parameter needs whole-number bounds, g"
     "ot 1.5"},
    {HEAD PARAMS BUDGET, GN_ERR_SPEC, "spec.yaml:1:1: objectives: required key is missing"},
    {PARAMS OBJ BUDGET, GN_ERR_SPEC, "spec.yaml:1:1: name: required key is missing"},
    {HEAD PARAMS OBJ, GN_ERR_SPEC, "spec.yaml:1:1: budget: required key is missing"},
    {P1("{name: x, low: 0, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:5: parameters[0].type: required key is missing"},
    {P1("{name: x, type: real, lo: 0, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:27: parameters[0].lo: unknown key; did you mean 'low'?"},
    {P1("{name: x, type: real, low: 0, high: 1, colour: red}"), GN_ERR_SPEC,
     "spec.yaml:3:44: parameters[0].colour: unknown key (valid keys: name, type, low, "
     "high, scale, unit, values)"},
    {BASE "constraints: ['x + 2*n <= 10', 'x = 1']\n", GN_ERR_SPEC,
     "spec.yaml:9:35: constraints[1]: equality constraints are not supported; use <= or >= (or "
     "both, as two constraints)"},
    {BASE "constraints: ['x + nn <= 1']\n", GN_ERR_SPEC,
     "spec.yaml:9:20: constraints[0]: unknown parameter 'nn'"},
    {BASE "constraints: ['x + c <= 1']\n", GN_ERR_SPEC,
     "spec.yaml:9:20: constraints[0]: 'c' is a choice parameter; only real and int parameters "
     "may appear in constraints"},
    {BASE "constraints: ['x - x <= 1']\n", GN_ERR_SPEC,
     "spec.yaml:9:16: constraints[0]: the constraint has no parameter terms (all coefficients "
     "are zero)"},
    {BASE "constraints:\n  - x + 2 <= \n", GN_ERR_SPEC,
     "spec.yaml:10:13: constraints[0]: expected a number or a parameter name, got the "
     "end"},
    {BASE "constraints: ['x + n']\n", GN_ERR_SPEC,
     "spec.yaml:9:21: constraints[0]: expected '+', '-' or a comparison (<=, >=, <, >), got the "
     "end"},
    {BASE "constraints: ['n*2 <= 1']\n", GN_ERR_SPEC,
     "spec.yaml:9:17: constraints[0]: write the number before the parameter name (as in '2 * "
     "x')"},
    {BASE "constraints: ['x <= 1 <= n']\n", GN_ERR_SPEC,
     "spec.yaml:9:23: constraints[0]: only one comparison is allowed in a constraint"},
    {BASE "constraints: x <= 1\n", GN_ERR_SPEC,
     "spec.yaml:9:14: constraints: expected a sequence, got 'x <= 1'"},
    {BASE "runner: {command: [./r, '{temp}']}\n", GN_ERR_SPEC,
     "spec.yaml:9:26: runner.command[1]: unknown placeholder '{temp}': placeholders name "
     "parameters (write '{{' and '}}' for literal braces)"},
    {HEAD "parameters:\n  - {name: temperature, type: real, low: 0, high: 1}\n" OBJ BUDGET
          "runner: {command: [./r, '--t={tempreture}']}\n",
     GN_ERR_SPEC,
     "spec.yaml:7:30: runner.command[1]: unknown placeholder '{tempreture}'; did you mean "
     "'{temperature}'?"},
    {BASE "runner: {command: [./r, '{x']}\n", GN_ERR_SPEC,
     "spec.yaml:9:26: runner.command[1]: unclosed '{' (write '{{' for a literal brace)"},
    {BASE "runner: {command: [./r, 'a}']}\n", GN_ERR_SPEC,
     "spec.yaml:9:27: runner.command[1]: unmatched '}' (write '}}' for a literal brace)"},
    {BASE "runner: {command: [./r], library: lib.so}\n", GN_ERR_SPEC,
     "spec.yaml:9:26: runner.library: give one of 'command', 'library' or 'lookup', not several"},
    {BASE "runner: {lookup: lab, library: lib.so}\n", GN_ERR_SPEC,
     "spec.yaml:9:23: runner.library: give one of 'command', 'library' or 'lookup', not several"},
    {BASE "runner: {lookup: lab, version: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:32: runner.version: must be between 1 and 9223372036854775807, got 0"},
    {BASE "runner: {command: [./r], version: 2}\n", GN_ERR_SPEC,
     "spec.yaml:9:26: runner.version: only allowed with 'lookup'"},
    {BASE "runner: {lookup: 'my lab'}\n", GN_ERR_SPEC,
     "spec.yaml:9:18: runner.lookup: expected a dataset name (letters, digits, '.', '_', '-'; at "
     "most 128), got 'my lab'"},
    {BASE "runner: {lookp: lab}\n", GN_ERR_SPEC,
     "spec.yaml:9:10: runner.lookp: unknown key; did you mean 'lookup'?"},
    {BASE "planner: {strategy: bo}\ncandidates: {dataset: lab, versoin: 2}\n", GN_ERR_SPEC,
     "spec.yaml:10:28: candidates.versoin: unknown key; did you mean 'version'?"},
    {BASE "planner: {strategy: bo}\ncandidates: {version: 2}\n", GN_ERR_SPEC,
     "spec.yaml:10:13: candidates.dataset: required key is missing"},
    {BASE "candidates: {dataset: lab}\n", GN_ERR_SPEC,
     "spec.yaml:9:13: candidates: only strategy bo chooses from a candidate pool (this planner is "
     "sobol)"},
    {BASE "prior: {datset: lab}\n", GN_ERR_SPEC,
     "spec.yaml:9:9: prior.datset: unknown key; did you mean 'dataset'?"},
    {BASE "prior: {dataset: lab, columns: {q: yield}}\n", GN_ERR_SPEC,
     "spec.yaml:9:33: prior.columns.q: not a parameter, objective or outcome constraint of this "
     "spec"},
    {BASE "prior: {dataset: lab, columns: [x]}\n", GN_ERR_SPEC,
     "spec.yaml:9:32: prior.columns: expected a mapping {name: column, ...}, got a sequence"},
    {BASE "prior: lab\n", GN_ERR_SPEC, "spec.yaml:9:8: prior: expected a mapping, got 'lab'"},
    {BASE "runner: {timeout: 5}\n", GN_ERR_SPEC,
     "spec.yaml:9:9: runner: needs 'command' (a program to run), 'library' (a shared library) "
     "or 'lookup' (a dataset)"},
    {BASE "runner: {command: []}\n", GN_ERR_SPEC,
     "spec.yaml:9:19: runner.command: needs at least one word (the program)"},
    {BASE "runner: {command: [./r], timeout: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:35: runner.timeout: must be > 0 seconds, got 0"},
    {BASE "runner: {command: [./r], retries: 101}\n", GN_ERR_SPEC,
     "spec.yaml:9:35: runner.retries: must be between 0 and 100, got 101"},
    {BASE "runner: {command: [./r], retries: 1.5}\n", GN_ERR_SPEC,
     "spec.yaml:9:35: runner.retries: expected a whole number, got 1.5"},
    {BASE "runner: {command: [./r], kill_grace: -1}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: runner.kill_grace: must be >= 0 seconds, got -1"},
    {BASE "runner: {command: [./r], function: f}\n", GN_ERR_SPEC,
     "spec.yaml:9:26: runner.function: only allowed with 'library'"},
    {BASE "runner: {command: [./r, true]}\n", GN_ERR_SPEC,
     "spec.yaml:9:25: runner.command[1]: expected a string, got boolean true (quote it to use "
     "it as text)"},
    {HEAD PARAMS OBJ "budget: {experiments: 0}\n", GN_ERR_SPEC,
     "spec.yaml:8:23: budget.experiments: must be between 1 and 10000000, got 0"},
    {HEAD PARAMS OBJ "budget: {experiments: 100000000}\n", GN_ERR_LIMIT,
     "spec.yaml:8:23: budget.experiments: 100000000 is over the limit of 10000000 "
     "(GN_SPEC_MAX_EXPERIMENTS)"},
    {HEAD PARAMS OBJ "budget: {experiments: 10, parallel: 5000}\n", GN_ERR_LIMIT,
     "spec.yaml:8:37: budget.parallel: 5000 is over the limit of 4096 (GN_SPEC_MAX_PARALLEL)"},
    {HEAD PARAMS OBJ "budget: {parallel: 2}\n", GN_ERR_SPEC,
     "spec.yaml:8:9: budget.experiments: required key is missing"},
    {HEAD PARAMS OBJ "budget: 10\n", GN_ERR_SPEC,
     "spec.yaml:8:9: budget: expected a mapping, got 10"},
    {BASE "planner: {strategy: boo}\n", GN_ERR_SPEC,
     "spec.yaml:9:21: planner.strategy: expected one of random, sobol, lhs, bo, got 'boo'; did you "
     "mean 'bo'?"},
    {BASE "planner: {strategy: sobol, acquisition: logei}\n", GN_ERR_SPEC,
     "spec.yaml:9:41: planner.acquisition: only used by strategy bo (this planner is sobol)"},
    {BASE "planner: {strategy: bo, acquisition: pi}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: planner.acquisition: expected one of logei, lognei, ucb, got 'pi'"},
    {BASE "candidates: pool.csv\n", GN_ERR_SPEC,
     "spec.yaml:9:13: candidates: only strategy bo chooses from a candidate pool (this planner is "
     "sobol)"},
    {BASE "planner: {strategy: bo, beta: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: planner.beta: must be a number > 0, got 0"},
    {BASE "planner: {strategy: bo, warp: sqrt}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: planner.warp: expected one of auto, none, log, power, got 'sqrt'"},
    {BASE "planner: {strategy: sobl}\n", GN_ERR_SPEC,
     "spec.yaml:9:21: planner.strategy: expected one of random, sobol, lhs, bo, got 'sobl'; did you "
     "mean 'sobol'?"},
    {BASE "planner: {seed: -1}\n", GN_ERR_SPEC,
     "spec.yaml:9:17: planner.seed: must be between 0 and 9223372036854775807, got -1"},
    {BASE "planner: {seed: 9223372036854775808}\n", GN_ERR_SPEC,
     "spec.yaml:9:17: planner.seed: must be between 0 and 9223372036854775807, got "
     "9223372036854775808"},
    {BASE "executor: {kind: slrum}\n", GN_ERR_SPEC,
     "spec.yaml:9:18: executor.kind: expected one of local, mpi, slurm, got 'slrum'; did you mean "
     "'slurm'?"},
    {BASE "executor: {kind: slurm, mode: arrays}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: executor.mode: expected one of auto, jobs, array, pilot, got 'arrays'; did "
     "you mean 'array'?"},
    {BASE "executor: {kind: slurm, partiton: debug}\n", GN_ERR_SPEC,
     "spec.yaml:9:25: executor.partiton: unknown key; did you mean 'partition'?"},
    {BASE "executor: {kind: local, partition: debug}\n", GN_ERR_SPEC,
     "spec.yaml:9:36: executor.partition: only used by executor kind slurm (this executor is local)"},
    {BASE "executor: {kind: slurm, slots_per_rank: 2}\n", GN_ERR_SPEC,
     "spec.yaml:9:41: executor.slots_per_rank: only used by executor kind mpi (this executor is "
     "slurm)"},
    {BASE "executor: {kind: slurm, time: 1h}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: executor.time: expected a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, "
     "D-HH:MM, D-HH:MM:SS or unlimited, not zero), got '1h'"},
    {BASE "executor: {kind: slurm, time: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: executor.time: expected a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, "
     "D-HH:MM, D-HH:MM:SS or unlimited, not zero), got '0'"},
    {BASE "executor: {kind: slurm, partition: 'a b'}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: executor.partition: must be one word without blanks, quotes or control "
     "characters"},
    {BASE "executor: {kind: slurm, mem: 4GB}\n", GN_ERR_SPEC,
     "spec.yaml:9:30: executor.mem: expected a memory size: a whole number with an optional unit "
     "K, M, G or T (megabytes without one), got '4GB'"},
    {BASE "executor: {kind: slurm, nodes: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:32: executor.nodes: must be between 1 and 1000000, got 0"},
    {BASE "executor: {kind: slurm, poll: 0.001}\n", GN_ERR_SPEC,
     "spec.yaml:9:31: executor.poll: must be between 0.05 and 3600 seconds, got 0.001"},
    {BASE "executor: {kind: slurm, mode: pilot, launch: worker}\n", GN_ERR_SPEC,
     "spec.yaml:9:46: executor.launch: expected one of workers, steps, got 'worker'; did you "
     "mean 'workers'?"},
    {BASE "runner: {library: m.so}\nexecutor: {kind: slurm, mode: jobs}\n", GN_ERR_SPEC,
     "spec.yaml:10:18: executor.kind: runner.library runs under Slurm only in pilot workers (mode "
     "pilot or auto, launch: workers), not as batch jobs (mode jobs or array): give the runner as "
     "a program (runner.command) for those"},
    {BASE "runner: {library: m.so}\nexecutor: {kind: slurm, mode: pilot, launch: steps}\n",
     GN_ERR_SPEC,
     "spec.yaml:10:18: executor.kind: runner.library runs under Slurm only in pilot workers (mode "
     "pilot or auto, launch: workers), not as job steps (launch: steps): give the runner as a "
     "program (runner.command) for those"},
    {BASE "runner: {lookup: lab}\nexecutor: {kind: slurm}\n", GN_ERR_SPEC,
     "spec.yaml:10:18: executor.kind: runner.lookup runs inside the genesis process and cannot run "
     "under Slurm: use executor kind local"},
    {BASE "executor: {kind: slurm, mode: array, launch: steps}\n", GN_ERR_SPEC,
     "spec.yaml:9:46: executor.launch: only used by executor mode pilot (this mode is array)"},
    {BASE "executor: {kind: slurm, cancel_on_stop: yes}\n", GN_ERR_SPEC,
     "spec.yaml:9:41: executor.cancel_on_stop: expected true or false, got 'yes'"},
    {BASE "executor: {kind: slurm, extra_args: [exclusive]}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: executor.extra_args[0]: expected a command-line option starting with '-', "
     "got exclusive"},
    {BASE "executor: {kind: slurm, extra_args: ['--output=x.log']}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: executor.extra_args[0]: --output is set by genesis for each job (see "
     "docs/slurm.md)"},
    {BASE "executor: {kind: slurm, extra_args: ['-J', x]}\n", GN_ERR_SPEC,
     "spec.yaml:9:38: executor.extra_args[0]: -J is set by genesis for each job (see docs/slurm.md)"},
    {BASE "executor: {kind: slurm, setup: []}\n", GN_ERR_SPEC,
     "spec.yaml:9:32: executor.setup: needs at least one string"},
    {BASE "runner: {library: ./libsim.so, function: f}\nexecutor: {kind: slurm, mode: array}\n",
     GN_ERR_SPEC,
     "spec.yaml:10:18: executor.kind: runner.library runs under Slurm only in pilot workers (mode "
     "pilot or auto, launch: workers), not as batch jobs (mode jobs or array): give the runner as "
     "a program (runner.command) for those"},
    {BASE "executor: {kind: local, slots_per_rank: 2}\n", GN_ERR_SPEC,
     "spec.yaml:9:41: executor.slots_per_rank: only used by executor kind mpi (this executor is local)"},
    {BASE "executor: {kind: mpi, slots_per_rank: 0}\n", GN_ERR_SPEC,
     "spec.yaml:9:39: executor.slots_per_rank: must be between 1 and 4096, got 0"},
    {BASE "executor: {kind: mpi, slots: 2}\n", GN_ERR_SPEC,
     "spec.yaml:9:23: executor.slots: unknown key (valid keys: kind, slots_per_rank, mode, "
     "partition, account, qos, time, nodes, ntasks, cpus_per_task, mem, gres, constraint, job_name, "
     "array_max, extra_args, step_args, setup, poll, cancel_on_stop, launch)"},
    {BASE "outcome_constraints: [{name: y, max: 1}]\n", GN_ERR_SPEC,
     "spec.yaml:9:30: outcome_constraints[0].name: 'y' is an objective (objectives[0]); an "
     "outcome constraint must name another outcome"},
    {BASE "outcome_constraints: [{name: cost}]\n", GN_ERR_SPEC,
     "spec.yaml:9:23: outcome_constraints[0]: needs 'min', 'max' or both"},
    {BASE "outcome_constraints: [{name: cost, min: 5, max: 1}]\n", GN_ERR_SPEC,
     "spec.yaml:9:49: outcome_constraints[0].max: must be >= min (5), got 1"},
    {BASE "outcome_constraints: [{name: cost, max: 1}, {name: cost, min: 0}]\n", GN_ERR_SPEC,
     "spec.yaml:9:52: outcome_constraints[1].name: name 'cost' is already used by "
     "outcome_constraints[0]"},
    {HEAD PARAMS "objectives:\n  - {name: x, goal: maximize}\n" BUDGET, GN_ERR_SPEC,
     "spec.yaml:7:12: objectives[0].name: name 'x' is already used by parameters[0]"},
    {HEAD PARAMS "objectives:\n  - {name: y, goal: max}\n" BUDGET, GN_ERR_SPEC,
     "spec.yaml:7:21: objectives[0].goal: expected one of maximize, minimize, got 'max'"},
    {HEAD PARAMS "objectives: []\n" BUDGET, GN_ERR_SPEC,
     "spec.yaml:6:13: objectives: needs at least one objective"},
    {"name: 'my reactor'\n" PARAMS OBJ BUDGET, GN_ERR_SPEC,
     "spec.yaml:1:7: name: invalid campaign name 'my reactor': use letters, digits, '_', '.' "
     "and '-', starting with a letter or digit"},
    {P1("{name: 2x, type: real, low: 0, high: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:12: parameters[0].name: invalid name '2x': use letters, digits and '_', "
     "starting with a letter or '_'"},
    {HEAD "parameters:\n  - {name: x, type: real, low: 0, high: 1}\n"
          "  - {name: x, type: int, low: 0, high: 1}\n" OBJ BUDGET,
     GN_ERR_SPEC, "spec.yaml:4:12: parameters[1].name: name 'x' is already used by parameters[0]"},
    {HEAD "parameters: []\n" OBJ BUDGET, GN_ERR_SPEC,
     "spec.yaml:2:13: parameters: needs at least one parameter"},
    {P1("{name: c, type: choice, values: [a, a]}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].values[1]: duplicate value 'a' (also values[0])"},
    {P1("{name: c, type: choice, values: [a, null]}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].values[1]: expected a string or a number, got null"
     " (quote it to use it as text)"},
    {P1("{name: c, type: choice, values: [a, b], low: 1}"), GN_ERR_SPEC,
     "spec.yaml:3:45: parameters[0].low: not allowed for a choice parameter"},
    {P1("{name: c, type: choice}"), GN_ERR_SPEC,
     "spec.yaml:3:5: parameters[0].values: required key is missing"},
    {P1("{name: x, type: real, low: 0, high: 1, values: [1]}"), GN_ERR_SPEC,
     "spec.yaml:3:44: parameters[0].values: only allowed for a choice parameter"},
    {P1("{name: x, type: real, low: 0, high: 1, scale: log}"), GN_ERR_SPEC,
     "spec.yaml:3:32: parameters[0].low: must be > 0 with scale: log, got 0"},
    {P1("{name: x, type: real, low: 1, high: 2, scale: logarithmic}"), GN_ERR_SPEC,
     "spec.yaml:3:51: parameters[0].scale: expected one of linear, log, got 'logarithm"
     "ic'"},
    {P1("{name: x, type: real, low: 0, high: .inf}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a finite number, got .inf"},
    {P1("{name: x, type: real, low: 0, high: 1e999}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a finite number, got 1e999"},
    {P1("{name: x, type: real, low: 0, high: '1'}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a number, got '1'"},
    {P1("{name: x, type: real, low: 0, high: true}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a number, got boolean true"},
    {P1("{name: x, type: real, low: 0, high: }"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a number, got null"},
    {P1("{name: x, type: real, low: 0, high: [1]}"), GN_ERR_SPEC,
     "spec.yaml:3:41: parameters[0].high: expected a number, got a sequence"},
    {P1("x"), GN_ERR_SPEC, "spec.yaml:3:5: parameters[0]: expected a mapping, got 'x'"},
    {BASE "description: {a: 1}\n", GN_ERR_SPEC,
     "spec.yaml:9:14: description: expected a string, got a mapping"},
    {BASE "description: null\n", GN_ERR_SPEC,
     "spec.yaml:9:14: description: expected a string, got null (quote it to use it as text)"},
    /* YAML features left out */
    {BASE "description: &a x\n", GN_ERR_SPEC,
     "spec.yaml:9:14: description: anchors (&a) are not supported; write the value out"},
    {BASE "description: *a\n", GN_ERR_SPEC,
     "spec.yaml:9:14: description: aliases (*a) are not supported; write the value out"},
    {BASE "description: !!str x\n", GN_ERR_SPEC,
     "spec.yaml:9:14: description: tags (!!str) are not supported; write plain values"},
    {BASE "<<: {a: 1}\n", GN_ERR_SPEC,
     "spec.yaml:9:1: (top level): merge keys (<<) are not supported; write the keys out"},
    {BASE "name: dup\n", GN_ERR_SPEC,
     "spec.yaml:9:1: name: duplicate key (first at line 1, column 1)"},
    {P1("{name: x, type: real, low: 0, high: 1, low: 0}"), GN_ERR_SPEC,
     "spec.yaml:3:44: parameters[0].low: duplicate key (first at line 3, column 27)"},
    {BASE "? [a]\n: 1\n", GN_ERR_SPEC,
     "spec.yaml:9:3: (top level): keys must be plain strings, not a sequence"},
    {BASE "---\nname: x\n", GN_ERR_SPEC,
     "spec.yaml:9:1: (top level): only one YAML document is allowed in a spec"},
    {BASE "description: [\n", GN_ERR_SPEC,
     "spec.yaml:10:1: syntax error: did not find expected node content (while parsing a flow "
     "node at line 10, column 1)"},
    {"name: r\n\tparameters: 1\n", GN_ERR_SPEC,
     "spec.yaml:2:1: syntax error: found a tab character that violates indentation (wh"
     "ile scanning a plain scalar at line 1, column 7)"},
    {"- a\n- b\n", GN_ERR_SPEC, "spec.yaml:1:1: (top level): expected a mapping, got a sequence"},
    {"", GN_ERR_SPEC,
     "spec.yaml:1:1: (top level): the spec is empty; expected a mapping with name, parameters, "
     "objectives and budget"},
    {"# only a comment\n", GN_ERR_SPEC,
     "spec.yaml:1:1: (top level): the spec is empty; expected a mapping with name, parameters, "
     "objectives and budget"},
    /* JSON */
    {"{\"name\": \"r\", \"name\": \"s\"}", GN_ERR_SPEC,
     "spec.yaml:1:20: syntax error: duplicate object key near '\"name\"'"},
    {"{\"name\": \"r\",\n \"paramters\": []}", GN_ERR_SPEC,
     "spec.yaml:2:2: paramters: unknown key; did you mean 'parameters'?"},
    {"{\"name\": \"r\", \"parameters\": [1,]}", GN_ERR_SPEC,
     "spec.yaml:1:32: syntax error: unexpected token near ']'"},
    {"{\"name\": \"r\",\n\t\"budget\": {\"experiments\": \"5\"}}", GN_ERR_SPEC,
     "spec.yaml:1:1: parameters: required key is missing"},
    /* limits that show in one line */
    {"name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" PARAMS OBJ BUDGET,
     GN_ERR_LIMIT,
     "spec.yaml:1:7: name: name is longer than the limit of 64 characters (GN_SPEC_MAX_NAME)"},
    {"name: r\nparameters: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n", GN_ERR_LIMIT,
     "spec.yaml:2:28: parameters[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting is "
     "deeper than the limit of 16 levels (GN_SPEC_MAX_DEPTH)"},
};

static void bad_specs_table(void **state)
{
    size_t i, failures = 0;
    (void)state;
    assert_true(sizeof bad / sizeof *bad >= 30);
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        gn_spec *s = (gn_spec *)1;
        gn_err err;
        gn_status st = parse(bad[i].text, &s, &err);
        if (st != bad[i].status || strcmp(err.msg, bad[i].msg) != 0 || s != NULL) {
            fprintf(stderr, "case %zu:\n  want %d %s\n  got  %d %s\n", i, bad[i].status,
                    bad[i].msg, st, err.msg);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* ---- constraints ------------------------------------------------------------- */

static void constraint_coefficients(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    const gn_linear_constraint *c;
    (void)state;
    assert_int_equal(parse(BASE "constraints:\n"
                                "  - '2 x - n >= -3'\n"
                                "  - x <= n\n"
                                "  - '-x + 0.5*n > 1e-3 + x'\n"
                                "  - 'a' \n",
                           &s, &err),
                     GN_ERR_SPEC);
    assert_string_equal(err.msg, "spec.yaml:13:6: constraints[3]: unknown parameter 'a'");
    assert_int_equal(parse(BASE "constraints:\n"
                                "  - '2 x - n >= -3'\n"
                                "  - x <= n\n"
                                "  - '-x + 0.5*n > 1e-3 + x'\n"
                                "  - '3 + x + 2 * x - 4 < 2.5e1 - n + -n'\n"
                                "  - '+x<1'\n",
                           &s, &err),
                     GN_OK);
    assert_int_equal(s->n_constraints, 5);
    /* 2x - n >= -3  ->  -2x + n <= 3 */
    c = &s->constraints[0];
    assert_near(c->coef[0], -2, 1e-12);
    assert_near(c->coef[1], 1, 1e-12);
    assert_near(c->coef[2], 0, 0);
    assert_near(c->rhs, 3, 1e-12);
    /* x <= n  ->  x - n <= 0 */
    c = &s->constraints[1];
    assert_near(c->coef[0], 1, 1e-12);
    assert_near(c->coef[1], -1, 1e-12);
    assert_near(c->rhs, 0, 1e-12);
    /* -x + 0.5n >= 1e-3 + x  ->  2x - 0.5n <= -1e-3 */
    c = &s->constraints[2];
    assert_near(c->coef[0], 2, 1e-12);
    assert_near(c->coef[1], -0.5, 1e-12);
    assert_near(c->rhs, -1e-3, 1e-15);
    /* 3x + 2n <= 25 + 4 - 3 */
    c = &s->constraints[3];
    assert_near(c->coef[0], 3, 1e-12);
    assert_near(c->coef[1], 2, 1e-12);
    assert_near(c->rhs, 26, 1e-12);
    assert_string_equal(c->text, "3 + x + 2 * x - 4 < 2.5e1 - n + -n");
    c = &s->constraints[4];
    assert_near(c->coef[0], 1, 1e-12);
    assert_near(c->rhs, 1, 1e-12);
    gn_spec_free(s);
}

/* ---- limits ------------------------------------------------------------------- */

static char *repeat_spec(const char *head, const char *item_fmt, size_t n, const char *tail)
{
    size_t cap = strlen(head) + strlen(tail) + n * (strlen(item_fmt) + 24) + 1, o;
    char *t = malloc(cap);
    size_t i;
    assert_non_null(t);
    o = (size_t)snprintf(t, cap, "%s", head);
    for (i = 0; i < n; i++)
        o += (size_t)snprintf(t + o, cap - o, item_fmt, i);
    snprintf(t + o, cap - o, "%s", tail);
    return t;
}

static void limits(void **state)
{
    gn_spec *s = NULL;
    gn_err err;
    char *t;
    size_t n;
    (void)state;

    /* GN_SPEC_MAX_PARAMS parameters are fine, one more is not */
    t = repeat_spec("name: r\nparameters:\n", "  - {name: p%zu, type: real, low: 0, high: 1}\n",
                    GN_SPEC_MAX_PARAMS, OBJ BUDGET);
    assert_int_equal(parse(t, &s, &err), GN_OK);
    assert_int_equal(s->n_params, GN_SPEC_MAX_PARAMS);
    gn_spec_free(s);
    free(t);
    t = repeat_spec("name: r\nparameters:\n", "  - {name: p%zu, type: real, low: 0, high: 1}\n",
                    GN_SPEC_MAX_PARAMS + 1, OBJ BUDGET);
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_string_equal(err.msg, "spec.yaml:3:3: parameters: has 257 entries, over the limit "
                                 "of 256 (GN_SPEC_MAX_PARAMS)");
    free(t);

    /* choices */
    t = repeat_spec("name: r\nparameters:\n  - name: c\n    type: choice\n    values:\n",
                    "      - v%zu\n", GN_SPEC_MAX_CHOICES + 1, OBJ BUDGET);
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_string_equal(err.msg, "spec.yaml:6:7: parameters[0].values: has 1025 entries, over "
                                 "the limit of 1024 (GN_SPEC_MAX_CHOICES)");
    free(t);

    /* objectives */
    t = repeat_spec(HEAD PARAMS "objectives:\n", "  - {name: o%zu, goal: maximize}\n",
                    GN_SPEC_MAX_OBJECTIVES + 1, BUDGET);
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "objectives: has 17 entries, over the limit of 16 "
                                    "(GN_SPEC_MAX_OBJECTIVES)"));
    free(t);

    /* constraints and command words */
    t = repeat_spec(BASE "constraints:\n", "  - x <= %zu\n", GN_SPEC_MAX_CONSTRAINTS + 1, "");
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "(GN_SPEC_MAX_CONSTRAINTS)"));
    free(t);
    t = repeat_spec(BASE "runner:\n  command:\n", "    - a%zu\n", GN_SPEC_MAX_ARGS + 1, "");
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "runner.command: has 257 entries, over the limit of 256 "
                                    "(GN_SPEC_MAX_ARGS)"));
    free(t);
    t = repeat_spec(BASE "outcome_constraints:\n", "  - {name: o%zu, max: 1}\n",
                    GN_SPEC_MAX_OUTCOME_CONSTRAINTS + 1, "");
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "(GN_SPEC_MAX_OUTCOME_CONSTRAINTS)"));
    free(t);

    /* one string over GN_SPEC_MAX_STRING */
    n = strlen(BASE "description: ") + GN_SPEC_MAX_STRING + 2;
    t = malloc(n + 1);
    assert_non_null(t);
    snprintf(t, n + 1, "%s", BASE "description: ");
    memset(t + strlen(t), 'd', GN_SPEC_MAX_STRING + 1);
    t[n - 1] = '\n';
    t[n] = '\0';
    assert_int_equal(parse(t, &s, &err), GN_ERR_LIMIT);
    assert_string_equal(err.msg, "spec.yaml:9:14: description: string of 4097 bytes is longer "
                                 "than the limit of 4096 bytes (GN_SPEC_MAX_STRING)");
    /* exactly the limit is fine */
    t[n - 2] = '\n';
    t[n - 1] = '\0';
    assert_int_equal(parse(t, &s, &err), GN_OK);
    assert_int_equal(strlen(s->description), GN_SPEC_MAX_STRING);
    gn_spec_free(s);
    free(t);

    /* the whole text over GN_SPEC_MAX_BYTES */
    n = GN_SPEC_MAX_BYTES + 1;
    t = malloc(n);
    assert_non_null(t);
    memset(t, '#', n);
    gn_err_clear(&err);
    assert_int_equal(gn_spec_parse(t, n, "big.yaml", NULL, &s, &err), GN_ERR_LIMIT);
    assert_null(s);
    assert_string_equal(err.msg, "big.yaml:1:1: (top level): the spec is 1048577 bytes, over the "
                                 "limit of 1048576 bytes (GN_SPEC_MAX_BYTES)");
    free(t);
}

/* ---- files ----------------------------------------------------------------------- */

static void load_sets_source_text_and_folder(void **state)
{
    gn_spec *s = load_ok(DATA "reactor.json");
    size_t len;
    char *want = read_all(DATA "reactor.json", &len);
    (void)state;
    assert_string_equal(s->source, DATA "reactor.json");
    assert_string_equal(s->base_dir, GN_SOURCE_DIR "/tests/spec/data");
    assert_int_equal(s->text_len, len);
    assert_memory_equal(s->text, want, len);
    free(want);
    gn_spec_free(s);
}

static void load_errors(void **state)
{
    gn_spec *s = (gn_spec *)1;
    gn_err err;
    FILE *f;
    size_t i;
    const char *big = GN_TEST_TMP "/spec_big.yaml";
    (void)state;

    assert_int_equal(gn_spec_load(GN_TEST_TMP "/no/such/spec.yaml", &s, &err), GN_ERR_IO);
    assert_null(s);
    assert_string_equal(err.msg, GN_TEST_TMP "/no/such/spec.yaml: cannot open: No such file or "
                                             "directory");
    assert_int_equal(gn_spec_load(GN_TEST_TMP, &s, &err), GN_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot read: Is a directory"));

    f = fopen(big, "wb");
    assert_non_null(f);
    for (i = 0; i <= GN_SPEC_MAX_BYTES / 16; i++)
        fputs("# 0123456789abc\n", f);
    fclose(f);
    assert_int_equal(gn_spec_load(big, &s, &err), GN_ERR_LIMIT);
    assert_non_null(strstr(err.msg, ":1:1: (top level): the spec is larger than the limit of "
                                    "1048576 bytes (GN_SPEC_MAX_BYTES)"));
    remove(big);

    /* a file in the working folder */
    f = fopen("spec_here.yaml", "wb");
    assert_non_null(f);
    fputs(BASE, f);
    fclose(f);
    assert_int_equal(gn_spec_load("spec_here.yaml", &s, &err), GN_OK);
    assert_string_equal(s->base_dir, ".");
    gn_spec_free(s);
    remove("spec_here.yaml");
}

/* ---- out of memory ---------------------------------------------------------------- */

/* Fails each allocation of parsing `text` in turn: every run ends in
 * `final` or GN_ERR_NOMEM, and ASan checks nothing leaks. */
static void walk_oom(const char *text, size_t len, gn_status final)
{
    gn_spec *s = NULL;
    gn_err err;
    long before, n, i, nomem = 0;
    gn_status st;

    before = gn__alloc_count();
    st = gn_spec_parse(text, len, "oom.yaml", "/tmp", &s, &err);
    n = gn__alloc_count() - before;
    assert_int_equal(st, final);
    gn_spec_free(s);
    assert_true(n > 10);
    for (i = 1; i <= n + 1; i++) {
        s = NULL;
        gn__alloc_fail_at(i);
        st = gn_spec_parse(text, len, "oom.yaml", "/tmp", &s, &err);
        gn__alloc_fail_at(0);
        if (st == GN_ERR_NOMEM) {
            assert_null(s);
            assert_string_equal(err.msg, "out of memory");
            nomem++;
        } else {
            assert_int_equal(st, final);
            gn_spec_free(s);
        }
    }
    assert_true(nomem >= n);
}

static void oom_every_allocation(void **state)
{
    size_t len;
    char *text;
    (void)state;
    text = read_all(DATA "reactor.yaml", &len);
    walk_oom(text, len, GN_OK);
    free(text);
    text = read_all(DATA "reactor.json", &len);
    walk_oom(text, len, GN_OK);
    free(text);
    text = read_all(DATA "library.yaml", &len);
    walk_oom(text, len, GN_OK);
    free(text);
    walk_oom(BASE DATASETS, strlen(BASE DATASETS), GN_OK);
    /* error paths too */
    walk_oom(BASE "runner: {command: [./r, '{nn}']}\n",
             strlen(BASE "runner: {command: [./r, '{nn}']}\n"), GN_ERR_SPEC);
}

/* The spec shown in README.md ("The campaign spec") is valid as printed. */
static void readme_spec_is_valid(void **state)
{
    FILE *f = fopen(GN_SOURCE_DIR "/README.md", "r");
    char *text, *start, *end;
    long size;
    gn_spec *spec = NULL;
    gn_err err;
    (void)state;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    text = malloc((size_t)size + 1);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    start = strstr(text, "## The campaign spec");
    assert_non_null(start);
    start = strstr(start, "```yaml\n");
    assert_non_null(start);
    start += 8;
    end = strstr(start, "```");
    assert_non_null(end);
    if (gn_spec_parse(start, (size_t)(end - start), "README.md", NULL, &spec, &err) != GN_OK)
        fail_msg("README spec: %s", err.msg);
    assert_string_equal(spec->name, "flow-reactor");
    assert_int_equal(spec->n_params, 4);
    assert_int_equal(spec->n_constraints, 1);
    gn_spec_free(spec);
    free(text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(valid_yaml_full),
    cmocka_unit_test(json_equals_yaml),
    cmocka_unit_test(defaults_when_left_out),
    cmocka_unit_test(runner_library_default_function),
    cmocka_unit_test(datasets_read),
    cmocka_unit_test(placeholders_and_literal_braces),
    cmocka_unit_test(seed_up_to_int64_max),
    cmocka_unit_test(scalars_typed_yaml_12),
    cmocka_unit_test(json_unicode_and_escapes),
    cmocka_unit_test(json_that_yaml_reads_differently),
    cmocka_unit_test(executor_mpi),
    cmocka_unit_test(executor_slurm),
    cmocka_unit_test(bad_specs_table),
    cmocka_unit_test(constraint_coefficients),
    cmocka_unit_test(limits),
    cmocka_unit_test(load_sets_source_text_and_folder),
    cmocka_unit_test(load_errors),
    cmocka_unit_test(oom_every_allocation),
    cmocka_unit_test(readme_spec_is_valid),
};

GN_TEST_MAIN(tests)
