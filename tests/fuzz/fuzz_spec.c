/*
 * fuzz_spec.c - libFuzzer target for the campaign spec reader.
 *
 * Any input must end in a valid spec or a clean error: no crash, no leak,
 * no undefined behaviour, and the invariants below. Built with
 * -fsanitize=fuzzer when GN_FUZZ is ON (clang), and always linked into
 * fuzz_replay, which runs the seed corpus as a unit test.
 */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bug in the reader: stop so the fuzzer records the input. */
static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_spec(const gn_spec *s)
{
    size_t i, k;
    check(s->name && s->source && s->base_dir && s->text);
    check(s->n_params >= 1 && s->n_params <= GN_SPEC_MAX_PARAMS);
    check(s->n_objectives >= 1 && s->n_objectives <= GN_SPEC_MAX_OBJECTIVES);
    for (i = 0; i < s->n_params; i++) {
        const gn_param *p = &s->params[i];
        check(p->name != NULL);
        if (p->type == GN_PARAM_CHOICE) {
            check(p->n_choices >= 1 && p->n_choices <= GN_SPEC_MAX_CHOICES);
            for (k = 0; k < p->n_choices; k++)
                check(p->choices[k] != NULL);
        } else {
            check(isfinite(p->low) && isfinite(p->high) && p->low < p->high);
            check(!p->log_scale || p->low > 0);
        }
    }
    for (i = 0; i < s->n_constraints; i++) {
        int any = 0;
        check(isfinite(s->constraints[i].rhs));
        for (k = 0; k < s->n_params; k++) {
            check(isfinite(s->constraints[i].coef[k]));
            any |= s->constraints[i].coef[k] != 0.0;
            check(s->params[k].type != GN_PARAM_CHOICE || s->constraints[i].coef[k] == 0.0);
        }
        check(any);
    }
    for (i = 0; i < s->n_outcome_constraints; i++) {
        const gn_outcome_constraint *o = &s->outcome_constraints[i];
        check(o->has_min || o->has_max);
        check(!(o->has_min && o->has_max) || o->min <= o->max);
        check(gn_spec_objective_index(s, o->name) < 0);
    }
    if (s->runner.kind == GN_RUNNER_COMMAND)
        check(s->runner.n_command >= 1 && s->runner.command[0][0] != '\0');
    if (s->runner.kind == GN_RUNNER_LIBRARY)
        check(s->runner.library && s->runner.function);
    check(s->planner.strategy && s->executor.kind);
    check(s->budget.experiments >= 1 && s->budget.experiments <= GN_SPEC_MAX_EXPERIMENTS);
    check(s->budget.parallel >= 0 && s->budget.parallel <= GN_SPEC_MAX_PARALLEL);
}

/* Is the text JSON that jansson accepts, with no string long enough to
 * trip libyaml's 1024-character limit on flow keys? Then the reader must
 * not report a syntax error: its YAML pass must read all valid JSON. */
static int plain_valid_json(const uint8_t *data, size_t size)
{
    size_t i, run = 0;
    json_t *j;
    for (i = 0; i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                             data[i] == '\n');
         i++)
        ;
    if (i == size || data[i] != '{' || memchr(data, '\0', size))
        return 0; /* not JSON, or NUL bytes (which jansson skips) */
    for (i = 0; i < size; i++) {
        run = data[i] == '"' ? 0 : run + 1;
        if (run >= 1000)
            return 0;
    }
    j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_decref(j);
    return j != NULL;
}

/* "fuzz:LINE:COL: syntax error: ..." (a key may hold that text too) */
static int is_syntax_error(const char *msg)
{
    const char *p = msg + 5;
    int part;
    for (part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ':')
            return 0;
    }
    return strncmp(p, " syntax error: ", 15) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gn_spec *s = (gn_spec *)data; /* must be reset to NULL on failure */
    gn_err err;
    gn_status st;

    gn_err_clear(&err);
    st = gn_spec_parse((const char *)data, size, "fuzz", NULL, &s, &err);
    if (st == GN_OK) {
        check(s != NULL);
        check_spec(s);
        gn_spec_free(s);
    } else {
        check(s == NULL);
        check(st == GN_ERR_SPEC || st == GN_ERR_LIMIT || st == GN_ERR_NOMEM);
        check(strncmp(err.msg, "fuzz:", 5) == 0);
        if (st == GN_ERR_SPEC && is_syntax_error(err.msg) && size <= GN_SPEC_MAX_BYTES)
            check(!plain_valid_json(data, size));
    }
    return 0;
}
