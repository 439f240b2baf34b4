/* plan/space.c - see space.h */
#include "plan/space.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/strbuf.h"

/* Relative tolerance of linear constraints (see gn_space_feasible). */
#define REL_TOL 1e-9

void gn_space_init(gn_space *space, const gn_spec *spec)
{
    space->spec = spec;
    space->dim = spec->n_params;
}

/* ---- unit cube <-> points ------------------------------------------------ */

static double clamp(double v, double lo, double hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}

/* The end points, in the space where the unit coordinate is linear, of the
 * interval a parameter's unit coordinate spans: [low, high] for reals,
 * [low, high + 1) for ints, each in log space with scale: log. */
static void unit_span(const gn_param *p, double *a, double *b)
{
    double hi = p->type == GN_PARAM_INT ? p->high + 1.0 : p->high;
    if (p->log_scale) {
        *a = log(p->low);
        *b = log(hi);
    } else {
        *a = p->low;
        *b = hi;
    }
}

static double param_from_unit(const gn_param *p, double u)
{
    double a, b, v;

    u = clamp(u, 0.0, 1.0);
    if (p->type == GN_PARAM_CHOICE) {
        double k = floor(u * (double)p->n_choices);
        return clamp(k, 0.0, p->n_choices ? (double)(p->n_choices - 1) : 0.0);
    }
    unit_span(p, &a, &b);
    v = a + u * (b - a);
    if (p->log_scale)
        v = exp(v);
    if (p->type == GN_PARAM_INT)
        v = floor(v);
    return clamp(v, p->low, p->high);
}

void gn_space_from_unit(const gn_space *space, const double *u, double *x)
{
    size_t i;
    for (i = 0; i < space->dim; i++)
        x[i] = param_from_unit(&space->spec->params[i], u[i]);
}

static double param_to_unit(const gn_param *p, double x)
{
    double a, b, v;

    if (isnan(x))
        return 0.5;
    if (p->type == GN_PARAM_CHOICE) {
        double n = (double)(p->n_choices ? p->n_choices : 1);
        return clamp((clamp(floor(x), 0.0, n - 1.0) + 0.5) / n, 0.0, 1.0);
    }
    unit_span(p, &a, &b);
    if (!(b > a))
        return 0.5;
    x = clamp(x, p->low, p->high);
    if (p->type == GN_PARAM_INT) {
        /* the middle of the value's share, in log space with scale: log */
        double w = floor(x);
        v = p->log_scale ? 0.5 * (log(w) + log(w + 1.0)) : w + 0.5;
    } else {
        v = p->log_scale ? log(x) : x;
    }
    return clamp((v - a) / (b - a), 0.0, 1.0);
}

void gn_space_to_unit(const gn_space *space, const double *x, double *u)
{
    size_t i;
    for (i = 0; i < space->dim; i++)
        u[i] = param_to_unit(&space->spec->params[i], x[i]);
}

/* ---- feasibility ------------------------------------------------------------ */

/* 1 if x[i] is a valid value of parameter p. */
static int param_ok(const gn_param *p, double v)
{
    if (!isfinite(v))
        return 0;
    if (p->type == GN_PARAM_CHOICE)
        return v >= 0.0 && v < (double)p->n_choices && floor(v) == v;
    if (v < p->low || v > p->high)
        return 0;
    return p->type != GN_PARAM_INT || floor(v) == v;
}

/* 1 if constraint c holds at x: sum coef*x <= rhs up to a tolerance of
 * REL_TOL relative to the largest of 1, |rhs| and the terms' magnitudes. */
static int constraint_ok(const gn_space *space, const gn_linear_constraint *c, const double *x)
{
    double s = 0.0, scale = fmax(1.0, fabs(c->rhs));
    size_t i;
    for (i = 0; i < space->dim; i++) {
        double t;
        if (c->coef[i] == 0.0 || space->spec->params[i].type == GN_PARAM_CHOICE)
            continue;
        t = c->coef[i] * x[i];
        s += t;
        scale = fmax(scale, fabs(t));
    }
    return s <= c->rhs + REL_TOL * scale;
}

int gn_space_feasible(const gn_space *space, const double *x)
{
    size_t i;
    for (i = 0; i < space->dim; i++)
        if (!param_ok(&space->spec->params[i], x[i]))
            return 0;
    for (i = 0; i < space->spec->n_constraints; i++)
        if (!constraint_ok(space, &space->spec->constraints[i], x))
            return 0;
    return 1;
}

/* ---- rejection sampling -------------------------------------------------- */

/* What the tries of gn_space_sample_feasible saw, to explain a failure. */
typedef struct tally {
    long bad_param;              /* index of a parameter out of bounds, -1 if none */
    unsigned char *ever;         /* ever[j]: constraint j held at some point */
    uint64_t *with;              /* with[j]: bit i set when i and j held together (m <= 64) */
} tally;

/* The message when no tried point was feasible. */
static gn_status infeasible_message(const gn_space *space, const tally *t, long tries, gn_err *err)
{
    const gn_spec *s = space->spec;
    size_t m = s->n_constraints, i, j, n_never = 0, k;
    gn_strbuf sb;
    char *msg;

    gn_strbuf_init(&sb);
    gn_strbuf_appendf(&sb, "the feasible region looks empty: no point of %ld tried satisfies ", tries);
    for (j = 0; j < m; j++)
        n_never += !t->ever[j];
    if (t->bad_param >= 0 && n_never == 0) {
        const gn_param *p = &s->params[t->bad_param];
        gn_strbuf_appendf(&sb, "the bounds of parameter '%s' [%.17g, %.17g]", p->name, p->low, p->high);
    } else if (n_never > 0) {
        /* constraints that no point satisfied, even alone */
        for (j = 0, k = 0; j < m; j++) {
            if (t->ever[j])
                continue;
            if (k > 0)
                gn_strbuf_append(&sb, k + 1 == n_never ? " or " : ", ");
            gn_strbuf_appendf(&sb, "'%s'", s->constraints[j].text);
            k++;
        }
    } else {
        /* each holds alone: name a pair that never held together, else all */
        int found = 0;
        for (i = 0; t->with && i < m && !found; i++)
            for (j = i + 1; j < m && !found; j++)
                if (!((t->with[i] >> j) & 1u)) {
                    gn_strbuf_appendf(&sb, "'%s' and '%s' together (each holds alone)",
                                      s->constraints[i].text, s->constraints[j].text);
                    found = 1;
                }
        if (!found) {
            gn_strbuf_append(&sb, "all of ");
            for (j = 0; j < m; j++)
                gn_strbuf_appendf(&sb, "%s'%s'", j == 0 ? "" : j + 1 == m ? " and " : ", ",
                                  s->constraints[j].text);
            gn_strbuf_append(&sb, " together (each holds alone)");
        }
    }
    msg = gn_strbuf_take(&sb);
    if (!msg)
        return gn_err_nomem(err);
    gn_err_set(err, GN_ERR_INFEASIBLE, "%s", msg);
    gn_free(msg);
    return GN_ERR_INFEASIBLE;
}

gn_status gn_space_sample_feasible(const gn_space *space,
                                   void (*draw)(void *ctx, double *u), void *ctx,
                                   long max_tries, double *x, gn_err *err)
{
    const gn_spec *s = space->spec;
    size_t m = s->n_constraints, d = space->dim, i, j;
    double *u = NULL;
    tally t;
    long n;
    gn_status st = GN_OK;

    t.bad_param = -1;
    t.ever = NULL;
    t.with = NULL;
    if (max_tries <= 0)
        max_tries = GN_SPACE_MAX_TRIES;
    u = gn_calloc(d ? d : 1, sizeof *u);
    t.ever = gn_calloc(m ? m : 1, 1);
    if (m <= 64)
        t.with = gn_calloc(m ? m : 1, sizeof *t.with);
    if (!u || !t.ever || (m <= 64 && !t.with)) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (n = 0; n < max_tries; n++) {
        uint64_t held = 0;
        int ok = 1;
        draw(ctx, u);
        gn_space_from_unit(space, u, x);
        for (i = 0; i < d; i++)
            if (!param_ok(&s->params[i], x[i])) {
                if (t.bad_param < 0)
                    t.bad_param = (long)i;
                ok = 0;
            }
        for (j = 0; j < m; j++) {
            if (constraint_ok(space, &s->constraints[j], x)) {
                t.ever[j] = 1;
                if (t.with)
                    held |= (uint64_t)1 << j;
            } else {
                ok = 0;
            }
        }
        if (ok)
            goto out;
        if (t.with)
            for (j = 0; j < m; j++)
                if ((held >> j) & 1u)
                    t.with[j] |= held;
    }
    st = infeasible_message(space, &t, max_tries, err);
out:
    gn_free(u);
    gn_free(t.ever);
    gn_free(t.with);
    return st;
}

/* ---- parameters as JSON ---------------------------------------------------- */

/* Writes v in the shortest "%.Ng" form that reads back as the same double
 * (17 digits at most); whole numbers below 1e15 without exponent or
 * fraction. buf holds at least 40 bytes. */
static void format_number(double v, char *buf, size_t size)
{
    int prec;
    if (!isfinite(v)) {
        snprintf(buf, size, "null");
        return;
    }
    if (v == 0.0) {
        snprintf(buf, size, "0");
        return;
    }
    if (floor(v) == v && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Appends s as a JSON string (quoted and escaped by jansson). */
static void append_json_string(gn_strbuf *sb, const char *s)
{
    const unsigned char *c;
    json_t *j;
    char *text;

    /* printable ASCII without quote or backslash is its own JSON text */
    for (c = (const unsigned char *)s; *c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\'; c++)
        ;
    if (!*c) {
        gn_strbuf_putc(sb, '"');
        gn_strbuf_append(sb, s);
        gn_strbuf_putc(sb, '"');
        return;
    }
    j = json_string(s);
    text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    if (text)
        gn_strbuf_append(sb, text);
    else
        sb->failed = 1;
    free(text);
    json_decref(j);
}

char *gn_space_params_json(const gn_space *space, const double *x)
{
    const gn_spec *s = space->spec;
    gn_strbuf sb;
    char num[64];
    size_t i;

    gn_strbuf_init(&sb);
    gn_strbuf_putc(&sb, '{');
    for (i = 0; i < space->dim; i++) {
        const gn_param *p = &s->params[i];
        if (i > 0)
            gn_strbuf_append(&sb, ", ");
        append_json_string(&sb, p->name);
        gn_strbuf_append(&sb, ": ");
        if (p->type == GN_PARAM_CHOICE) {
            double k = x[i];
            if (isfinite(k) && k >= 0.0 && k < (double)p->n_choices) {
                append_json_string(&sb, p->choices[(size_t)k]);
                continue;
            }
            gn_strbuf_append(&sb, "null");
            continue;
        }
        format_number(p->type == GN_PARAM_INT && isfinite(x[i]) ? floor(x[i]) : x[i], num, sizeof num);
        gn_strbuf_append(&sb, num);
    }
    gn_strbuf_putc(&sb, '}');
    return gn_strbuf_take(&sb);
}

/* The JSON text of a value, for messages: numbers as format_number writes
 * them, anything else compact and cut to about 80 characters. */
static void describe_value(const json_t *v, char *buf, size_t size)
{
    char *text;
    if (json_is_number(v)) {
        format_number(json_number_value(v), buf, size);
        return;
    }
    text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) {
        snprintf(buf, size, "(a value)");
        return;
    }
    if (strlen(text) > 80)
        snprintf(buf, size, "%.77s...", text);
    else
        snprintf(buf, size, "%s", text);
    free(text);
}

/* Lists at most `max` of a choice parameter's values ("\"a\", \"b\"") or of
 * the parameter names, for messages. */
static void append_list(gn_strbuf *sb, const char *const *items, size_t n, int quoted)
{
    const size_t max = 20;
    size_t i;
    for (i = 0; i < n && i < max; i++) {
        if (i > 0)
            gn_strbuf_append(sb, ", ");
        if (quoted)
            append_json_string(sb, items[i]);
        else
            gn_strbuf_append(sb, items[i]);
    }
    if (n > max)
        gn_strbuf_appendf(sb, ", ... (%zu in all)", n);
}

/* Sets err from a strbuf's text (GN_ERR_NOMEM if the strbuf failed). */
static gn_status set_from_strbuf(gn_strbuf *sb, gn_status status, gn_err *err)
{
    char *msg = gn_strbuf_take(sb);
    if (!msg)
        return gn_err_nomem(err);
    gn_err_set(err, status, "%s", msg);
    gn_free(msg);
    return status;
}

/* Reads one parameter's JSON value into *out. */
static gn_status param_parse(const gn_param *p, const json_t *v, double *out, gn_err *err)
{
    char got[128], lo[64], hi[64];
    gn_strbuf sb;
    size_t k;

    /* the hot path (a valid value) formats nothing: messages only on error */
    if (p->type == GN_PARAM_CHOICE) {
        char num[64];
        const char *text = NULL;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_number(v)) {
            /* a YAML list [1, 2, 4] gives the values "1", "2", "4" */
            format_number(json_number_value(v), num, sizeof num);
            text = num;
        }
        for (k = 0; text && k < p->n_choices; k++)
            if (!strcmp(p->choices[k], text)) {
                *out = (double)k;
                return GN_OK;
            }
        describe_value(v, got, sizeof got);
        gn_strbuf_init(&sb);
        gn_strbuf_appendf(&sb, "parameter '%s': expected one of ", p->name);
        append_list(&sb, (const char *const *)p->choices, p->n_choices, 1);
        gn_strbuf_appendf(&sb, ", got %s", got);
        return set_from_strbuf(&sb, GN_ERR_INVALID, err);
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (isfinite(d) && d >= p->low && d <= p->high && (p->type != GN_PARAM_INT || floor(d) == d)) {
            *out = d;
            return GN_OK;
        }
    }
    describe_value(v, got, sizeof got);
    format_number(p->low, lo, sizeof lo);
    format_number(p->high, hi, sizeof hi);
    return gn_err_set(err, GN_ERR_INVALID, "parameter '%s': expected %s between %s and %s, got %s",
                      p->name, p->type == GN_PARAM_INT ? "a whole number" : "a number", lo, hi, got);
}

/* Index of the parameter called name, or -1 (the spec module's lookup is
 * not used so that this module links without it). */
static long param_index(const gn_space *space, const char *name)
{
    size_t i;
    for (i = 0; i < space->dim; i++)
        if (!strcmp(space->spec->params[i].name, name))
            return (long)i;
    return -1;
}

gn_status gn_space_params_parse(const gn_space *space, const char *json, double *x, gn_err *err)
{
    const gn_spec *s = space->spec;
    json_error_t jerr;
    json_t *root = NULL, *v;
    const char *key;
    const char **names = NULL;
    char got[128];
    gn_strbuf sb;
    size_t i;
    gn_status st = GN_OK;

    if (!json || !x)
        return gn_err_set(err, GN_ERR_INVALID, "parameters: no JSON text given");
    /* integers too big for json_int_t are read again as reals, so that the
     * message can say what was expected rather than "too big integer" */
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root && json_error_code(&jerr) == json_error_numeric_overflow)
        root = json_loads(json, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!root) {
        st = gn_err_set(err, GN_ERR_INVALID, "parameters: invalid JSON at line %d, column %d: %s",
                        jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        describe_value(root, got, sizeof got);
        st = gn_err_set(err, GN_ERR_INVALID, "parameters: expected a JSON object, got %s", got);
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (param_index(space, key) >= 0)
            continue;
        names = gn_calloc(space->dim ? space->dim : 1, sizeof *names);
        if (!names) {
            st = gn_err_nomem(err);
            goto out;
        }
        for (i = 0; i < space->dim; i++)
            names[i] = s->params[i].name;
        gn_strbuf_init(&sb);
        gn_strbuf_appendf(&sb, "unknown parameter '%s' (the parameters are ", key);
        append_list(&sb, names, space->dim, 0);
        gn_strbuf_putc(&sb, ')');
        st = set_from_strbuf(&sb, GN_ERR_INVALID, err);
        goto out;
    }
    for (i = 0; i < space->dim; i++) {
        const gn_param *p = &s->params[i];
        v = json_object_get(root, p->name);
        if (!v) {
            st = gn_err_set(err, GN_ERR_INVALID, "missing parameter '%s'", p->name);
            goto out;
        }
        st = param_parse(p, v, &x[i], err);
        if (st != GN_OK)
            goto out;
    }
out:
    gn_free(names);
    json_decref(root);
    return st;
}
