/*
 * spec/constraint.c - linear constraints on parameters, as written in specs:
 *
 *   constraint := side op side          op := "<=" | ">=" | "<" | ">"
 *   side       := [sign] term { ("+" | "-") [sign] term }
 *   term       := number ["*"] name | number | name
 *
 * Strict comparisons are read as non-strict (the planners work on closed
 * sets); "=" is refused, equality constraints are not supported.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "spec/internal.h"

typedef struct cparser {
    const char *s;
    size_t len, pos;
    const gn_param *params;
    size_t n_params;
    double *coef;
    double constant; /* of lhs - rhs */
    size_t *err_at;
    char *msg;
    size_t msg_size;
} cparser;

static gn_status cfail(cparser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static gn_status cfail(cparser *p, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msg_size, fmt, ap);
    va_end(ap);
    *p->err_at = at;
    return GN_ERR_SPEC;
}

static void skip_blanks(cparser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int at(const cparser *p, char ch) { return p->pos < p->len && p->s[p->pos] == ch; }

static int is_name_start(int ch) { return isalpha(ch) || ch == '_'; }

/* Describes what is at the parser's position, for messages. */
static const char *found(const cparser *p, char *buf, size_t size)
{
    size_t n = 0;
    char q[40];
    if (p->pos >= p->len)
        return "the end";
    while (p->pos + n < p->len && n < 16 && p->s[p->pos + n] != ' ')
        n++;
    gn__spec_quote(p->s + p->pos, n ? n : 1, 16, q, sizeof q);
    snprintf(buf, size, "'%s'", q);
    return buf;
}

static gn_status scan_number(cparser *p, double *out)
{
    size_t start = p->pos, digits = 0;
    char buf[72];

    while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))
        p->pos++, digits++;
    if (at(p, '.')) {
        p->pos++;
        while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))
            p->pos++, digits++;
    }
    if (!digits)
        return cfail(p, start, "expected a number or a parameter name, got '.'");
    if (p->pos + 1 < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        size_t e = p->pos + 1;
        if (e < p->len && (p->s[e] == '+' || p->s[e] == '-'))
            e++;
        if (e < p->len && isdigit((unsigned char)p->s[e])) {
            while (e < p->len && isdigit((unsigned char)p->s[e]))
                e++;
            p->pos = e;
        }
    }
    if (p->pos - start >= sizeof buf)
        return cfail(p, start, "number is too long (more than %zu characters)", sizeof buf - 1);
    memcpy(buf, p->s + start, p->pos - start);
    buf[p->pos - start] = '\0';
    *out = strtod(buf, NULL);
    if (!isfinite(*out))
        return cfail(p, start, "number %s is out of range", buf);
    return GN_OK;
}

/* A parameter name at the position: its index, or an error. */
static gn_status scan_name(cparser *p, size_t *idx)
{
    size_t start = p->pos, n, i;
    const char *names[GN_SPEC_MAX_PARAMS];
    const char *hint;
    char word[GN_SPEC_MAX_NAME + 1], q[80];

    while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
        p->pos++;
    n = p->pos - start;
    for (i = 0; i < p->n_params; i++) {
        if (strlen(p->params[i].name) == n && memcmp(p->params[i].name, p->s + start, n) == 0) {
            if (p->params[i].type == GN_PARAM_CHOICE)
                return cfail(p, start,
                             "'%s' is a choice parameter; only real and int parameters may "
                             "appear in constraints",
                             p->params[i].name);
            *idx = i;
            return GN_OK;
        }
    }
    gn__spec_quote(p->s + start, n, 64, q, sizeof q);
    hint = NULL;
    if (n <= GN_SPEC_MAX_NAME) {
        memcpy(word, p->s + start, n);
        word[n] = '\0';
        for (i = 0; i < p->n_params && i < GN_SPEC_MAX_PARAMS; i++)
            names[i] = p->params[i].name;
        hint = gn__suggest(word, names, i);
    }
    if (hint)
        return cfail(p, start, "unknown parameter '%s'; did you mean '%s'?", q, hint);
    return cfail(p, start, "unknown parameter '%s'", q);
}

/* One side of the constraint; its terms are added times `side` (+1 for the
 * left, -1 for the right). */
static gn_status parse_side(cparser *p, double side)
{
    int first = 1;
    gn_status st;
    char fb[48];

    for (;;) {
        double sign = 1.0, value = 1.0;
        size_t idx = (size_t)-1;
        int has_num = 0;

        skip_blanks(p);
        if (!first) {
            if (!at(p, '+') && !at(p, '-'))
                return GN_OK;
            sign = at(p, '-') ? -1.0 : 1.0;
            p->pos++;
            skip_blanks(p);
        }
        if (at(p, '+') || at(p, '-')) {
            sign *= at(p, '-') ? -1.0 : 1.0;
            p->pos++;
            skip_blanks(p);
        }
        if (p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.')) {
            st = scan_number(p, &value);
            if (st)
                return st;
            has_num = 1;
            skip_blanks(p);
            if (at(p, '*')) {
                p->pos++;
                skip_blanks(p);
                if (p->pos >= p->len || !is_name_start((unsigned char)p->s[p->pos]))
                    return cfail(p, p->pos, "expected a parameter name after '*', got %s",
                                 found(p, fb, sizeof fb));
            }
        }
        if (p->pos < p->len && is_name_start((unsigned char)p->s[p->pos])) {
            st = scan_name(p, &idx);
            if (st)
                return st;
            skip_blanks(p);
            if (at(p, '*'))
                return cfail(p, p->pos,
                             "write the number before the parameter name (as in '2 * x')");
        } else if (!has_num) {
            return cfail(p, p->pos, "expected a number or a parameter name, got %s",
                         found(p, fb, sizeof fb));
        }
        if (idx != (size_t)-1)
            p->coef[idx] += side * sign * value;
        else
            p->constant += side * sign * value;
        first = 0;
    }
}

gn_status gn__constraint_parse(const char *text, size_t len, const gn_param *params,
                               size_t n_params, gn_linear_constraint *out, size_t *err_at,
                               char *msg, size_t msg_size)
{
    cparser p;
    gn_status st;
    size_t i, op_at;
    int greater = 0, any = 0;
    char fb[48];

    memset(&p, 0, sizeof p);
    p.s = text;
    p.len = len;
    p.params = params;
    p.n_params = n_params;
    p.err_at = err_at;
    p.msg = msg;
    p.msg_size = msg_size;
    *err_at = 0;
    p.coef = gn_calloc(n_params ? n_params : 1, sizeof *p.coef);
    if (!p.coef)
        return GN_ERR_NOMEM;

    st = parse_side(&p, 1.0);
    if (st)
        goto out;
    skip_blanks(&p);
    op_at = p.pos;
    if (at(&p, '<') || at(&p, '>')) {
        greater = at(&p, '>');
        p.pos++;
        if (at(&p, '='))
            p.pos++;
    } else if (at(&p, '=')) {
        st = cfail(&p, op_at,
                   "equality constraints are not supported; use <= or >= (or both, as two "
                   "constraints)");
        goto out;
    } else {
        st = cfail(&p, p.pos, "expected '+', '-' or a comparison (<=, >=, <, >), got %s",
                   found(&p, fb, sizeof fb));
        goto out;
    }
    if (at(&p, '<') || at(&p, '>') || at(&p, '=')) {
        st = cfail(&p, op_at, "expected a comparison (<=, >=, <, >)");
        goto out;
    }
    st = parse_side(&p, -1.0);
    if (st)
        goto out;
    skip_blanks(&p);
    if (p.pos < p.len) {
        if (at(&p, '<') || at(&p, '>') || at(&p, '='))
            st = cfail(&p, p.pos, "only one comparison is allowed in a constraint");
        else
            st = cfail(&p, p.pos, "expected '+', '-' or the end of the constraint, got %s",
                       found(&p, fb, sizeof fb));
        goto out;
    }
    /* lhs - rhs = coef . x + constant, compared with 0 */
    for (i = 0; i < n_params; i++) {
        if (!isfinite(p.coef[i])) {
            st = cfail(&p, 0, "the coefficient of '%s' is out of range", params[i].name);
            goto out;
        }
        if (greater)
            p.coef[i] = -p.coef[i];
        if (p.coef[i] != 0.0)
            any = 1;
        else
            p.coef[i] = 0.0; /* no -0 */
    }
    if (!isfinite(p.constant)) {
        st = cfail(&p, 0, "the constant term is out of range");
        goto out;
    }
    if (!any) {
        st = cfail(&p, 0, "the constraint has no parameter terms (all coefficients are zero)");
        goto out;
    }
    out->coef = p.coef;
    out->rhs = greater ? p.constant : -p.constant;
    p.coef = NULL;
    if (out->rhs == 0.0)
        out->rhs = 0.0; /* no -0 */
out:
    gn_free(p.coef);
    return st;
}
