/*
 * spec/validate.c - the schema of a campaign spec (docs/spec.md), checked
 * over the node tree, filling a gn_spec.
 *
 * Scalars are typed the YAML 1.2 core way, but only for plain (unquoted)
 * scalars: null (~, null, empty), booleans (true, false), numbers; anything
 * quoted is a string. The first error stops validation.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "spec/internal.h"

typedef struct vctx {
    const char *source;
    gn_err *err;
    gn_spec *spec;
    char path[512];
    size_t plen;
} vctx;

typedef enum { SC_NULL, SC_BOOL, SC_NUMBER, SC_STRING } scalar_class;

/* ---- paths and messages --------------------------------------------------- */

static size_t push_key(vctx *c, const char *key, size_t len)
{
    size_t mark = c->plen;
    char q[80];
    gn__spec_quote(key, len, 60, q, sizeof q);
    if (c->plen < sizeof c->path - 1)
        c->plen += (size_t)snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s",
                                    c->plen ? "." : "", q);
    if (c->plen > sizeof c->path - 1)
        c->plen = sizeof c->path - 1;
    return mark;
}

static size_t push_index(vctx *c, size_t i)
{
    size_t mark = c->plen;
    if (c->plen < sizeof c->path - 1)
        c->plen += (size_t)snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
    if (c->plen > sizeof c->path - 1)
        c->plen = sizeof c->path - 1;
    return mark;
}

static void pop(vctx *c, size_t mark)
{
    c->plen = mark;
    c->path[mark] = '\0';
}

static gn_status verr_at(vctx *c, int line, int col, gn_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static gn_status verr(vctx *c, const gn__node *at, gn_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static gn_status verr_atv(vctx *c, int line, int col, gn_status st, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return gn_err_set(c->err, st, "%s:%d:%d: %s: %s", c->source, line, col,
                      c->plen ? c->path : "(top level)", msg);
}

/* Sets the error "source:line:col: path: message". */
static gn_status verr_at(vctx *c, int line, int col, gn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = verr_atv(c, line, col, st, fmt, ap);
    va_end(ap);
    return st;
}

/* As verr_at, at the position of node `at`. */
static gn_status verr(vctx *c, const gn__node *at, gn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = verr_atv(c, at ? at->line : 1, at ? at->col : 1, st, fmt, ap);
    va_end(ap);
    return st;
}

/* Column of byte `offset` of a scalar's value, when the scalar sits
 * verbatim on one line (no escapes, ASCII); else the scalar's column. */
static int column_in(const gn__node *n, size_t offset)
{
    size_t i, quotes = n->quoted ? 2 : 0;
    if (n->end_line != n->line || n->end_index - n->index != n->len + quotes || offset > n->len)
        return n->col;
    for (i = 0; i < n->len; i++)
        if ((unsigned char)n->text[i] >= 0x80)
            return n->col;
    return n->col + (int)offset + (n->quoted ? 1 : 0);
}

static int text_is(const gn__node *n, const char *s)
{
    return strlen(s) == n->len && memcmp(n->text, s, n->len) == 0;
}

/* Is t[0..len) a number the YAML 1.2 core schema way? Sets *v (inf and nan
 * included, for the ".inf" forms and overflow). */
static int parse_number(const char *t, size_t len, double *v)
{
    size_t i = 0, digits = 0;
    char buf[80];

    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, t, len);
    buf[len] = '\0';
    if (buf[0] == '+' || buf[0] == '-')
        i++;
    if (!strcmp(buf + i, ".inf") || !strcmp(buf + i, ".Inf") || !strcmp(buf + i, ".INF")) {
        *v = buf[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        return 1;
    }
    if (i == 0 && (!strcmp(buf, ".nan") || !strcmp(buf, ".NaN") || !strcmp(buf, ".NAN"))) {
        *v = NAN;
        return 1;
    }
    while (isdigit((unsigned char)buf[i]))
        i++, digits++;
    if (buf[i] == '.') {
        i++;
        while (isdigit((unsigned char)buf[i]))
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '+' || buf[i] == '-')
            i++;
        if (!isdigit((unsigned char)buf[i]))
            return 0;
        while (isdigit((unsigned char)buf[i]))
            i++;
    }
    if (buf[i] != '\0')
        return 0;
    *v = strtod(buf, NULL);
    return 1;
}

static scalar_class classify(const gn__node *n, double *num)
{
    double v;
    if (n->quoted)
        return SC_STRING;
    if (n->len == 0 || text_is(n, "~") || text_is(n, "null") || text_is(n, "Null") ||
        text_is(n, "NULL"))
        return SC_NULL;
    if (text_is(n, "true") || text_is(n, "True") || text_is(n, "TRUE") || text_is(n, "false") ||
        text_is(n, "False") || text_is(n, "FALSE"))
        return SC_BOOL;
    if (parse_number(n->text, n->len, &v)) {
        if (num)
            *num = v;
        return SC_NUMBER;
    }
    return SC_STRING;
}

/* "a mapping", "null", "boolean true", "'text'": what a node is, for "got". */
static const char *describe(const gn__node *n, char *buf, size_t size)
{
    char q[64];
    if (n->kind == GN__NODE_MAP)
        return "a mapping";
    if (n->kind == GN__NODE_SEQ)
        return "a sequence";
    switch (classify(n, NULL)) {
    case SC_NULL:
        return "null";
    case SC_BOOL:
        snprintf(buf, size, "boolean %s", n->text);
        return buf;
    case SC_NUMBER:
        gn__spec_quote(n->text, n->len, 40, q, sizeof q);
        snprintf(buf, size, "%s", q);
        return buf;
    default:
        gn__spec_quote(n->text, n->len, 40, q, sizeof q);
        snprintf(buf, size, "'%s'", q);
        return buf;
    }
}

/* ---- typed getters ---------------------------------------------------------- */

static gn_status check_seq(vctx *c, const gn__node *n)
{
    char d[96];
    if (n->kind != GN__NODE_SEQ)
        return verr(c, n, GN_ERR_SPEC, "expected a sequence, got %s", describe(n, d, sizeof d));
    return GN_OK;
}

/* A string value (plain numbers count, as their text): a new copy. */
static gn_status get_string(vctx *c, const gn__node *n, char **out)
{
    char d[96];
    scalar_class k;
    if (n->kind != GN__NODE_SCALAR)
        return verr(c, n, GN_ERR_SPEC, "expected a string, got %s", describe(n, d, sizeof d));
    k = classify(n, NULL);
    if (k == SC_NULL || k == SC_BOOL)
        return verr(c, n, GN_ERR_SPEC, "expected a string, got %s (quote it to use it as text)",
                    describe(n, d, sizeof d));
    if (memchr(n->text, '\0', n->len))
        return verr(c, n, GN_ERR_SPEC, "strings must not contain NUL characters");
    *out = gn_strndup(n->text, n->len);
    return *out ? GN_OK : gn_err_nomem(c->err);
}

static gn_status get_number(vctx *c, const gn__node *n, double *out)
{
    char d[96];
    if (n->kind != GN__NODE_SCALAR || classify(n, out) != SC_NUMBER)
        return verr(c, n, GN_ERR_SPEC, "expected a number, got %s", describe(n, d, sizeof d));
    if (!isfinite(*out))
        return verr(c, n, GN_ERR_SPEC, "expected a finite number, got %s",
                    describe(n, d, sizeof d));
    return GN_OK;
}

/* A whole number in [lo, hi]. Above hi is GN_ERR_LIMIT naming `limit` when
 * limit is not NULL. Whole numbers are read exactly (seeds up to 2^63-1). */
static gn_status get_int(vctx *c, const gn__node *n, long long lo, long long hi,
                         const char *limit, long long *out)
{
    char d[96];
    double v;
    long long x;
    char *end;
    int big = 0;

    if (n->kind != GN__NODE_SCALAR || classify(n, &v) != SC_NUMBER)
        return verr(c, n, GN_ERR_SPEC, "expected a whole number, got %s",
                    describe(n, d, sizeof d));
    errno = 0;
    x = strtoll(n->text, &end, 10);
    if (end != n->text + n->len || errno == ERANGE) {
        /* 1e3, 5.0, or out of the range of long long */
        if (!isfinite(v) || v != floor(v))
            return verr(c, n, GN_ERR_SPEC, "expected a whole number, got %s",
                        describe(n, d, sizeof d));
        if (v >= 9223372036854775807.0 || v < -9223372036854775807.0)
            big = v > 0 ? 1 : -1;
        else
            x = (long long)v;
    }
    if (big > 0 || (!big && x > hi)) {
        if (limit)
            return verr(c, n, GN_ERR_LIMIT, "%s is over the limit of %lld (%s)",
                        describe(n, d, sizeof d), hi, limit);
        return verr(c, n, GN_ERR_SPEC, "must be between %lld and %lld, got %s", lo, hi,
                    describe(n, d, sizeof d));
    }
    if (big < 0 || x < lo)
        return verr(c, n, GN_ERR_SPEC, "must be between %lld and %lld, got %s", lo, hi,
                    describe(n, d, sizeof d));
    *out = x;
    return GN_OK;
}

/* One of vals[0..n_vals): its index in *idx. */
static gn_status get_enum(vctx *c, const gn__node *n, const char *const *vals, size_t n_vals,
                          size_t *idx)
{
    char d[96], list[256], word[80];
    const char *hint = NULL;
    size_t i, o = 0;

    if (n->kind == GN__NODE_SCALAR && classify(n, NULL) != SC_NULL) {
        for (i = 0; i < n_vals; i++) {
            if (text_is(n, vals[i])) {
                *idx = i;
                return GN_OK;
            }
        }
        if (n->len < sizeof word && !memchr(n->text, '\0', n->len)) {
            memcpy(word, n->text, n->len + 1);
            hint = gn__suggest(word, vals, n_vals);
        }
    }
    list[0] = '\0';
    for (i = 0; i < n_vals && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", vals[i]);
    if (hint)
        return verr(c, n, GN_ERR_SPEC, "expected one of %s, got %s; did you mean '%s'?", list,
                    describe(n, d, sizeof d), hint);
    return verr(c, n, GN_ERR_SPEC, "expected one of %s, got %s", list, describe(n, d, sizeof d));
}

/* ---- mappings ---------------------------------------------------------------- */

/* `n` must be a mapping whose keys are all in keys[0..n_keys). */
static gn_status check_map(vctx *c, const gn__node *n, const char *const *keys, size_t n_keys)
{
    char d[96], list[256], word[80];
    size_t i, j, o, mark;
    const char *hint;
    gn_status st;

    if (n->kind != GN__NODE_MAP)
        return verr(c, n, GN_ERR_SPEC, "expected a mapping, got %s", describe(n, d, sizeof d));
    for (i = 0; i < n->n; i++) {
        const gn__node *k = n->items[2 * i];
        for (j = 0; j < n_keys; j++)
            if (text_is(k, keys[j]))
                break;
        if (j < n_keys)
            continue;
        hint = NULL;
        if (k->len < sizeof word && !memchr(k->text, '\0', k->len)) {
            memcpy(word, k->text, k->len + 1);
            hint = gn__suggest(word, keys, n_keys);
        }
        mark = push_key(c, k->text, k->len);
        if (hint) {
            st = verr(c, k, GN_ERR_SPEC, "unknown key; did you mean '%s'?", hint);
        } else {
            list[0] = '\0';
            for (j = 0, o = 0; j < n_keys && o < sizeof list; j++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", keys[j]);
            st = verr(c, k, GN_ERR_SPEC, "unknown key (valid keys: %s)", list);
        }
        pop(c, mark);
        return st;
    }
    return GN_OK;
}

static const gn__node *map_key(const gn__node *map, const char *key)
{
    size_t i;
    for (i = 0; i < map->n; i++)
        if (text_is(map->items[2 * i], key))
            return map->items[2 * i];
    return NULL;
}

static const gn__node *map_get(const gn__node *map, const char *key)
{
    size_t i;
    for (i = 0; i < map->n; i++)
        if (text_is(map->items[2 * i], key))
            return map->items[2 * i + 1];
    return NULL;
}

/* Error for the required `key` missing from `map`, at the mapping. */
static gn_status missing(vctx *c, const gn__node *map, const char *key)
{
    size_t mark = push_key(c, key, strlen(key));
    gn_status st = verr(c, map, GN_ERR_SPEC, "required key is missing");
    pop(c, mark);
    return st;
}

/* A sequence of 1..max entries (more is GN_ERR_LIMIT naming `limit`). */
static gn_status check_count(vctx *c, const gn__node *n, size_t max, const char *limit,
                             const char *what)
{
    gn_status st = check_seq(c, n);
    if (st)
        return st;
    if (n->n == 0)
        return verr(c, n, GN_ERR_SPEC, "needs at least one %s", what);
    if (n->n > max)
        return verr(c, n, GN_ERR_LIMIT, "has %zu entries, over the limit of %zu (%s)", n->n, max,
                    limit);
    return GN_OK;
}

/* ---- names ------------------------------------------------------------------- */

/* An identifier name ([A-Za-z_][A-Za-z0-9_]{0,63}) at field "name" of map. */
static gn_status get_ident(vctx *c, const gn__node *map, char **out)
{
    const gn__node *n = map_get(map, "name");
    size_t mark, i;
    gn_status st;
    char q[80];

    if (!n)
        return missing(c, map, "name");
    mark = push_key(c, "name", 4);
    st = get_string(c, n, out);
    if (st)
        goto out;
    if (n->len > GN_SPEC_MAX_NAME) {
        st = verr(c, n, GN_ERR_LIMIT,
                  "name is longer than the limit of %d characters (GN_SPEC_MAX_NAME)",
                  GN_SPEC_MAX_NAME);
        goto out;
    }
    for (i = 0; i < n->len; i++) {
        int ch = (unsigned char)n->text[i];
        if (!(isalpha(ch) || ch == '_' || (i > 0 && isdigit(ch))))
            break;
    }
    if (n->len == 0 || i < n->len) {
        gn__spec_quote(n->text, n->len, 64, q, sizeof q);
        st = verr(c, n, GN_ERR_SPEC,
                  "invalid name '%s': use letters, digits and '_', starting with a letter or "
                  "'_'",
                  q);
    }
out:
    pop(c, mark);
    return st;
}

/* Is `name` (of the thing at `n`) already used by a parameter, objective or
 * outcome constraint? The ones filled so far are compared. */
static gn_status check_unique(vctx *c, const gn__node *map, const char *name)
{
    const gn_spec *s = c->spec;
    const gn__node *n = map_get(map, "name");
    size_t i, mark;
    char other[64] = "";
    gn_status st;

    for (i = 0; i < s->n_params && !other[0]; i++)
        if (s->params[i].name && !strcmp(s->params[i].name, name))
            snprintf(other, sizeof other, "parameters[%zu]", i);
    for (i = 0; i < s->n_objectives && !other[0]; i++)
        if (s->objectives[i].name && !strcmp(s->objectives[i].name, name))
            snprintf(other, sizeof other, "objectives[%zu]", i);
    for (i = 0; i < s->n_outcome_constraints && !other[0]; i++)
        if (s->outcome_constraints[i].name && !strcmp(s->outcome_constraints[i].name, name))
            snprintf(other, sizeof other, "outcome_constraints[%zu]", i);
    if (!other[0])
        return GN_OK;
    mark = push_key(c, "name", 4);
    if (!strncmp(other, "objectives", 10) && !strncmp(c->path, "outcome_constraints", 19))
        st = verr(c, n, GN_ERR_SPEC,
                  "'%s' is an objective (%s); an outcome constraint must name another outcome",
                  name, other);
    else
        st = verr(c, n, GN_ERR_SPEC, "name '%s' is already used by %s", name, other);
    pop(c, mark);
    return st;
}

/* ---- parameters -------------------------------------------------------------- */

static const char *const param_keys[] = {"name", "type", "low", "high", "scale", "unit", "values"};
static const char *const param_types[] = {"real", "int", "choice"};
static const char *const scales[] = {"linear", "log"};

static gn_status param_choice(vctx *c, const gn__node *map, gn_param *p)
{
    static const char *const banned[] = {"low", "high", "scale"};
    const gn__node *vals = map_get(map, "values"), *k;
    size_t i, j, mark, m2;
    gn_status st = GN_OK;
    char d[96];

    for (i = 0; i < 3; i++) {
        if ((k = map_key(map, banned[i])) != NULL) {
            mark = push_key(c, banned[i], strlen(banned[i]));
            st = verr(c, k, GN_ERR_SPEC, "not allowed for a choice parameter");
            pop(c, mark);
            return st;
        }
    }
    if (!vals)
        return missing(c, map, "values");
    mark = push_key(c, "values", 6);
    st = check_count(c, vals, GN_SPEC_MAX_CHOICES, "GN_SPEC_MAX_CHOICES", "value");
    if (st)
        goto out;
    p->choices = gn_calloc(vals->n, sizeof *p->choices);
    if (!p->choices) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    p->n_choices = vals->n;
    for (i = 0; i < vals->n && !st; i++) {
        const gn__node *v = vals->items[i];
        m2 = push_index(c, i);
        if (v->kind != GN__NODE_SCALAR || classify(v, NULL) == SC_NULL ||
            classify(v, NULL) == SC_BOOL) {
            st = verr(c, v, GN_ERR_SPEC, "expected a string or a number, got %s%s",
                      describe(v, d, sizeof d),
                      v->kind == GN__NODE_SCALAR ? " (quote it to use it as text)" : "");
        } else {
            st = get_string(c, v, &p->choices[i]);
            for (j = 0; j < i && !st; j++)
                if (!strcmp(p->choices[j], p->choices[i]))
                    st = verr(c, v, GN_ERR_SPEC, "duplicate value %s (also values[%zu])",
                              describe(v, d, sizeof d), j);
        }
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

static gn_status param_numeric(vctx *c, const gn__node *map, gn_param *p)
{
    const gn__node *low = map_get(map, "low"), *high = map_get(map, "high");
    const gn__node *scale = map_get(map, "scale"), *k;
    size_t mark = 0, idx;
    gn_status st;

    if ((k = map_key(map, "values")) != NULL) {
        mark = push_key(c, "values", 6);
        st = verr(c, k, GN_ERR_SPEC, "only allowed for a choice parameter");
        pop(c, mark);
        return st;
    }
    if (!low)
        return missing(c, map, "low");
    if (!high)
        return missing(c, map, "high");
    mark = push_key(c, "low", 3);
    st = get_number(c, low, &p->low);
    if (!st && p->type == GN_PARAM_INT && p->low != floor(p->low))
        st = verr(c, low, GN_ERR_SPEC, "an int parameter needs whole-number bounds, got %s",
                  low->text);
    pop(c, mark);
    if (st)
        return st;
    mark = push_key(c, "high", 4);
    st = get_number(c, high, &p->high);
    if (!st && p->type == GN_PARAM_INT && p->high != floor(p->high))
        st = verr(c, high, GN_ERR_SPEC, "an int parameter needs whole-number bounds, got %s",
                  high->text);
    if (!st && !(p->low < p->high))
        st = verr(c, high, GN_ERR_SPEC, "must be greater than low (%s), got %s", low->text,
                  high->text);
    pop(c, mark);
    if (st)
        return st;
    if (scale) {
        mark = push_key(c, "scale", 5);
        st = get_enum(c, scale, scales, 2, &idx);
        pop(c, mark);
        if (st)
            return st;
        p->log_scale = idx == 1;
        if (p->log_scale && !(p->low > 0)) {
            mark = push_key(c, "low", 3);
            st = verr(c, low, GN_ERR_SPEC, "must be > 0 with scale: log, got %s", low->text);
            pop(c, mark);
            return st;
        }
    }
    return GN_OK;
}

static gn_status param_read(vctx *c, const gn__node *map, gn_param *p)
{
    const gn__node *type, *unit;
    size_t idx, mark;
    gn_status st;

    st = check_map(c, map, param_keys, sizeof param_keys / sizeof *param_keys);
    if (st)
        return st;
    st = get_ident(c, map, &p->name);
    if (st)
        return st;
    st = check_unique(c, map, p->name);
    if (st)
        return st;
    type = map_get(map, "type");
    if (!type)
        return missing(c, map, "type");
    mark = push_key(c, "type", 4);
    st = get_enum(c, type, param_types, 3, &idx);
    pop(c, mark);
    if (st)
        return st;
    p->type = (gn_param_type)idx;
    st = p->type == GN_PARAM_CHOICE ? param_choice(c, map, p) : param_numeric(c, map, p);
    if (st)
        return st;
    if ((unit = map_get(map, "unit")) != NULL) {
        mark = push_key(c, "unit", 4);
        st = get_string(c, unit, &p->unit);
        pop(c, mark);
    }
    return st;
}

static gn_status params_read(vctx *c, const gn__node *root)
{
    const gn__node *seq = map_get(root, "parameters");
    gn_spec *s = c->spec;
    size_t i, mark, m2;
    gn_status st;

    if (!seq)
        return missing(c, root, "parameters");
    mark = push_key(c, "parameters", 10);
    st = check_count(c, seq, GN_SPEC_MAX_PARAMS, "GN_SPEC_MAX_PARAMS", "parameter");
    if (st)
        goto out;
    s->params = gn_calloc(seq->n, sizeof *s->params);
    if (!s->params) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    for (i = 0; i < seq->n && !st; i++) {
        m2 = push_index(c, i);
        s->n_params = i; /* check_unique compares with the ones before */
        st = param_read(c, seq->items[i], &s->params[i]);
        pop(c, m2);
    }
    s->n_params = seq->n;
out:
    pop(c, mark);
    return st;
}

/* ---- constraints --------------------------------------------------------------- */

static gn_status constraints_read(vctx *c, const gn__node *root)
{
    const gn__node *seq = map_get(root, "constraints");
    gn_spec *s = c->spec;
    size_t i, mark, m2, at;
    gn_status st;
    char msg[512];

    if (!seq)
        return GN_OK;
    mark = push_key(c, "constraints", 11);
    st = check_seq(c, seq);
    if (st)
        goto out;
    if (seq->n > GN_SPEC_MAX_CONSTRAINTS) {
        st = verr(c, seq, GN_ERR_LIMIT, "has %zu entries, over the limit of %d "
                  "(GN_SPEC_MAX_CONSTRAINTS)", seq->n, GN_SPEC_MAX_CONSTRAINTS);
        goto out;
    }
    if (seq->n == 0)
        goto out;
    s->constraints = gn_calloc(seq->n, sizeof *s->constraints);
    if (!s->constraints) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    s->n_constraints = seq->n;
    for (i = 0; i < seq->n && !st; i++) {
        const gn__node *n = seq->items[i];
        gn_linear_constraint *lc = &s->constraints[i];
        m2 = push_index(c, i);
        st = get_string(c, n, &lc->text);
        if (!st) {
            st = gn__constraint_parse(lc->text, n->len, s->params, s->n_params, lc, &at, msg,
                                      sizeof msg);
            if (st == GN_ERR_NOMEM)
                st = gn_err_nomem(c->err);
            else if (st)
                st = verr_at(c, n->line, column_in(n, at), st, "%s", msg);
        }
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

/* ---- objectives and outcome constraints ------------------------------------------ */

static gn_status objectives_read(vctx *c, const gn__node *root)
{
    static const char *const keys[] = {"name", "goal"};
    static const char *const goals[] = {"maximize", "minimize"};
    const gn__node *seq = map_get(root, "objectives"), *goal;
    gn_spec *s = c->spec;
    size_t i, mark, m2, m3, idx;
    gn_status st;

    if (!seq)
        return missing(c, root, "objectives");
    mark = push_key(c, "objectives", 10);
    st = check_count(c, seq, GN_SPEC_MAX_OBJECTIVES, "GN_SPEC_MAX_OBJECTIVES", "objective");
    if (st)
        goto out;
    s->objectives = gn_calloc(seq->n, sizeof *s->objectives);
    if (!s->objectives) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    s->n_objectives = seq->n;
    for (i = 0; i < seq->n && !st; i++) {
        const gn__node *map = seq->items[i];
        gn_objective *o = &s->objectives[i];
        m2 = push_index(c, i);
        st = check_map(c, map, keys, 2);
        if (!st)
            st = get_ident(c, map, &o->name);
        if (!st) {
            /* compare with the ones before only */
            s->n_objectives = i;
            st = check_unique(c, map, o->name);
            s->n_objectives = seq->n;
        }
        if (!st) {
            goal = map_get(map, "goal");
            if (!goal) {
                st = missing(c, map, "goal");
            } else {
                m3 = push_key(c, "goal", 4);
                st = get_enum(c, goal, goals, 2, &idx);
                o->maximize = idx == 0;
                pop(c, m3);
            }
        }
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

static gn_status outcome_read(vctx *c, const gn__node *map, gn_outcome_constraint *oc)
{
    static const char *const keys[] = {"name", "min", "max"};
    const gn__node *mn, *mx;
    size_t mark;
    gn_status st;

    st = check_map(c, map, keys, 3);
    if (!st)
        st = get_ident(c, map, &oc->name);
    if (!st)
        st = check_unique(c, map, oc->name);
    if (st)
        return st;
    mn = map_get(map, "min");
    mx = map_get(map, "max");
    if (!mn && !mx)
        return verr(c, map, GN_ERR_SPEC, "needs 'min', 'max' or both");
    if (mn) {
        mark = push_key(c, "min", 3);
        st = get_number(c, mn, &oc->min);
        oc->has_min = !st;
        pop(c, mark);
        if (st)
            return st;
    }
    if (mx) {
        mark = push_key(c, "max", 3);
        st = get_number(c, mx, &oc->max);
        oc->has_max = !st;
        if (!st && mn && oc->max < oc->min)
            st = verr(c, mx, GN_ERR_SPEC, "must be >= min (%s), got %s", mn->text, mx->text);
        pop(c, mark);
    }
    return st;
}

static gn_status outcomes_read(vctx *c, const gn__node *root)
{
    const gn__node *seq = map_get(root, "outcome_constraints");
    gn_spec *s = c->spec;
    size_t i, mark, m2;
    gn_status st;

    if (!seq)
        return GN_OK;
    mark = push_key(c, "outcome_constraints", 19);
    st = check_seq(c, seq);
    if (st)
        goto out;
    if (seq->n > GN_SPEC_MAX_OUTCOME_CONSTRAINTS) {
        st = verr(c, seq, GN_ERR_LIMIT,
                  "has %zu entries, over the limit of %d (GN_SPEC_MAX_OUTCOME_CONSTRAINTS)",
                  seq->n, GN_SPEC_MAX_OUTCOME_CONSTRAINTS);
        goto out;
    }
    if (seq->n == 0)
        goto out;
    s->outcome_constraints = gn_calloc(seq->n, sizeof *s->outcome_constraints);
    if (!s->outcome_constraints) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    for (i = 0; i < seq->n && !st; i++) {
        m2 = push_index(c, i);
        s->n_outcome_constraints = i; /* check_unique compares with the ones before */
        st = outcome_read(c, seq->items[i], &s->outcome_constraints[i]);
        pop(c, m2);
    }
    s->n_outcome_constraints = seq->n;
out:
    pop(c, mark);
    return st;
}

/* ---- runner ---------------------------------------------------------------------- */

/* Checks the {name} placeholders of one command word. */
static gn_status check_placeholders(vctx *c, const gn__node *w)
{
    const gn_spec *s = c->spec;
    const char *t = w->text, *hint;
    const char *names[GN_SPEC_MAX_PARAMS];
    size_t i = 0, j, n, k;
    char word[GN_SPEC_MAX_NAME + 1], q[80];

    for (k = 0; k < s->n_params && k < GN_SPEC_MAX_PARAMS; k++)
        names[k] = s->params[k].name;
    while (i < w->len) {
        if (t[i] == '{' && i + 1 < w->len && t[i + 1] == '{') {
            i += 2;
        } else if (t[i] == '}' && i + 1 < w->len && t[i + 1] == '}') {
            i += 2;
        } else if (t[i] == '}') {
            return verr_at(c, w->line, column_in(w, i), GN_ERR_SPEC,
                           "unmatched '}' (write '}}' for a literal brace)");
        } else if (t[i] == '{') {
            for (j = i + 1; j < w->len && t[j] != '}' && t[j] != '{'; j++)
                ;
            if (j >= w->len || t[j] != '}')
                return verr_at(c, w->line, column_in(w, i), GN_ERR_SPEC,
                               "unclosed '{' (write '{{' for a literal brace)");
            n = j - i - 1;
            for (k = 0; k < s->n_params; k++)
                if (strlen(s->params[k].name) == n && !memcmp(s->params[k].name, t + i + 1, n))
                    break;
            if (k == s->n_params) {
                gn__spec_quote(t + i + 1, n, 64, q, sizeof q);
                hint = NULL;
                if (n <= GN_SPEC_MAX_NAME) {
                    memcpy(word, t + i + 1, n);
                    word[n] = '\0';
                    hint = gn__suggest(word, names, s->n_params);
                }
                if (hint)
                    return verr_at(c, w->line, column_in(w, i), GN_ERR_SPEC,
                                   "unknown placeholder '{%s}'; did you mean '{%s}'?", q, hint);
                return verr_at(c, w->line, column_in(w, i), GN_ERR_SPEC,
                               "unknown placeholder '{%s}': placeholders name parameters "
                               "(write '{{' and '}}' for literal braces)", q);
            }
            i = j + 1;
        } else {
            i++;
        }
    }
    return GN_OK;
}

static gn_status runner_command(vctx *c, const gn__node *seq, gn_runner_spec *r)
{
    size_t i, mark = push_key(c, "command", 7), m2;
    gn_status st;

    st = check_count(c, seq, GN_SPEC_MAX_ARGS, "GN_SPEC_MAX_ARGS", "word (the program)");
    if (st)
        goto out;
    r->command = gn_calloc(seq->n, sizeof *r->command);
    if (!r->command) {
        st = gn_err_nomem(c->err);
        goto out;
    }
    r->n_command = seq->n;
    for (i = 0; i < seq->n && !st; i++) {
        const gn__node *w = seq->items[i];
        m2 = push_index(c, i);
        st = get_string(c, w, &r->command[i]);
        if (!st && i == 0 && w->len == 0)
            st = verr(c, w, GN_ERR_SPEC, "the program must not be empty");
        if (!st)
            st = check_placeholders(c, w);
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

static int is_c_symbol(const char *s)
{
    size_t i;
    if (!s[0])
        return 0;
    for (i = 0; s[i]; i++)
        if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
              (i > 0 && isdigit((unsigned char)s[i]))))
            return 0;
    return 1;
}

/* A dataset name at node n (letters, digits, '.', '_', '-'; 1 to 128; not
 * starting with '.' or '-'), as the data module names datasets. */
static gn_status get_dataset_name(vctx *c, const gn__node *n, char **out)
{
    size_t i;
    gn_status st = get_string(c, n, out);
    if (st)
        return st;
    for (i = 0; (*out)[i]; i++) {
        int ch = (unsigned char)(*out)[i];
        if (!(isalnum(ch) || ch == '_' || ((ch == '.' || ch == '-') && i > 0)))
            break;
    }
    if (i == 0 || (*out)[i] || i > 128)
        return verr(c, n, GN_ERR_SPEC,
                    "expected a dataset name (letters, digits, '.', '_', '-'; at most 128), got %s",
                    describe(n, (char[96]){0}, 96));
    return GN_OK;
}

/* An optional dataset `version` key of map: 1 or more (0 when absent). */
static gn_status get_dataset_version(vctx *c, const gn__node *map, int64_t *out)
{
    const gn__node *n = map_get(map, "version");
    long long v = 0;
    size_t mark;
    gn_status st = GN_OK;

    *out = 0;
    if (!n)
        return GN_OK;
    mark = push_key(c, "version", 7);
    st = get_int(c, n, 1, INT64_MAX, NULL, &v);
    pop(c, mark);
    *out = (int64_t)v;
    return st;
}

static gn_status runner_read(vctx *c, const gn__node *root)
{
    static const char *const keys[] = {"command", "library", "function", "lookup", "version",
                                       "timeout", "retries", "kill_grace"};
    static const char *const kinds[] = {"command", "library", "lookup"};
    const gn__node *map = map_get(root, "runner"), *cmd, *lib, *fn, *look, *n;
    const gn__node *first = NULL, *second = NULL;
    gn_runner_spec *r = &c->spec->runner;
    size_t mark, i;
    long long v;
    gn_status st;

    r->kill_grace = 5.0;
    if (!map)
        return GN_OK;
    mark = push_key(c, "runner", 6);
    st = check_map(c, map, keys, sizeof keys / sizeof *keys);
    if (st)
        goto out;
    cmd = map_get(map, "command");
    lib = map_get(map, "library");
    fn = map_get(map, "function");
    look = map_get(map, "lookup");
    /* exactly one kind: the later of two is the one reported */
    for (i = 0; i < 3; i++) {
        const gn__node *k = map_key(map, kinds[i]);
        if (!k)
            continue;
        if (!first || k->index < first->index) {
            second = first;
            first = k;
        } else if (!second || k->index < second->index) {
            second = k;
        }
    }
    if (second) {
        size_t m2 = push_key(c, second->text, second->len);
        st = verr(c, second, GN_ERR_SPEC,
                  "give one of 'command', 'library' or 'lookup', not several");
        pop(c, m2);
        goto out;
    }
    if (!first) {
        st = verr(c, map, GN_ERR_SPEC,
                  "needs 'command' (a program to run), 'library' (a shared library) or 'lookup' "
                  "(a dataset)");
        goto out;
    }
    if (fn && !lib) {
        size_t m2 = push_key(c, "function", 8);
        st = verr(c, map_key(map, "function"), GN_ERR_SPEC, "only allowed with 'library'");
        pop(c, m2);
        goto out;
    }
    if (map_get(map, "version") && !look) {
        size_t m2 = push_key(c, "version", 7);
        st = verr(c, map_key(map, "version"), GN_ERR_SPEC, "only allowed with 'lookup'");
        pop(c, m2);
        goto out;
    }
    if (cmd) {
        r->kind = GN_RUNNER_COMMAND;
        st = runner_command(c, cmd, r);
        if (st)
            goto out;
    } else if (look) {
        size_t m2 = push_key(c, "lookup", 6);
        r->kind = GN_RUNNER_LOOKUP;
        st = get_dataset_name(c, look, &r->lookup);
        pop(c, m2);
        if (!st)
            st = get_dataset_version(c, map, &r->lookup_version);
        if (st)
            goto out;
    } else {
        size_t m2 = push_key(c, "library", 7);
        r->kind = GN_RUNNER_LIBRARY;
        st = get_string(c, lib, &r->library);
        if (!st && !r->library[0])
            st = verr(c, lib, GN_ERR_SPEC, "expected the path of a shared library, got ''");
        pop(c, m2);
        if (st)
            goto out;
        m2 = push_key(c, "function", 8);
        if (fn) {
            st = get_string(c, fn, &r->function);
            if (!st && !is_c_symbol(r->function))
                st = verr(c, fn, GN_ERR_SPEC, "expected a C function name, got %s",
                          describe(fn, (char[96]){0}, 96));
        } else {
            r->function = gn_strdup("evaluate");
            if (!r->function)
                st = gn_err_nomem(c->err);
        }
        pop(c, m2);
        if (st)
            goto out;
    }
    if ((n = map_get(map, "timeout")) != NULL) {
        size_t m2 = push_key(c, "timeout", 7);
        st = get_number(c, n, &r->timeout);
        if (!st && !(r->timeout > 0))
            st = verr(c, n, GN_ERR_SPEC, "must be > 0 seconds, got %s", n->text);
        pop(c, m2);
        if (st)
            goto out;
    }
    if ((n = map_get(map, "retries")) != NULL) {
        size_t m2 = push_key(c, "retries", 7);
        st = get_int(c, n, 0, 100, NULL, &v);
        r->retries = (int)v;
        pop(c, m2);
        if (st)
            goto out;
    }
    if ((n = map_get(map, "kill_grace")) != NULL) {
        size_t m2 = push_key(c, "kill_grace", 10);
        st = get_number(c, n, &r->kill_grace);
        if (!st && !(r->kill_grace >= 0))
            st = verr(c, n, GN_ERR_SPEC, "must be >= 0 seconds, got %s", n->text);
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

/* ---- planner, budget, executor --------------------------------------------------- */

/* An optional enum-valued key of the planner block, stored as a copy of
 * the chosen value (NULL when absent). */
static gn_status planner_enum(vctx *c, const gn__node *map, const char *key, const char *const *vals,
                              size_t n_vals, char **out)
{
    const gn__node *n = map_get(map, key);
    size_t m, idx = 0;
    gn_status st;
    if (!n)
        return GN_OK;
    m = push_key(c, key, strlen(key));
    st = get_enum(c, n, vals, n_vals, &idx);
    pop(c, m);
    if (st)
        return st;
    *out = gn_strdup(vals[idx]);
    return *out ? GN_OK : gn_err_nomem(c->err);
}

static gn_status planner_read(vctx *c, const gn__node *root)
{
    static const char *const keys[] = {"strategy", "initial",      "seed",   "acquisition",
                                       "beta",     "trust_region", "kernel", "warp"};
    static const char *const bo_keys[] = {"acquisition", "beta", "trust_region", "kernel", "warp"};
    static const char *const strategies[] = {"random", "sobol", "lhs", "bo"};
    static const char *const acquisitions[] = {"logei", "lognei", "ucb"};
    static const char *const regions[] = {"auto", "on", "off"};
    static const char *const kernels[] = {"matern52", "rbf"};
    static const char *const warps[] = {"auto", "none", "log", "power"};
    const gn__node *map = map_get(root, "planner"), *n;
    gn_planner_spec *p = &c->spec->planner;
    size_t mark = 0, m2, idx = 1, i;
    long long v;
    gn_status st = GN_OK;

    if (map) {
        mark = push_key(c, "planner", 7);
        st = check_map(c, map, keys, sizeof keys / sizeof *keys);
        if (st)
            goto out;
        if ((n = map_get(map, "strategy")) != NULL) {
            m2 = push_key(c, "strategy", 8);
            st = get_enum(c, n, strategies, sizeof strategies / sizeof *strategies, &idx);
            pop(c, m2);
            if (st)
                goto out;
        }
        if (strcmp(strategies[idx], "bo") != 0) {
            for (i = 0; i < sizeof bo_keys / sizeof *bo_keys; i++) {
                if ((n = map_get(map, bo_keys[i])) != NULL) {
                    m2 = push_key(c, bo_keys[i], strlen(bo_keys[i]));
                    st = verr(c, n, GN_ERR_SPEC, "only used by strategy bo (this planner is %s)",
                              strategies[idx]);
                    pop(c, m2);
                    goto out;
                }
            }
        }
        if ((n = map_get(map, "initial")) != NULL) {
            m2 = push_key(c, "initial", 7);
            st = get_int(c, n, 0, GN_SPEC_MAX_EXPERIMENTS, "GN_SPEC_MAX_EXPERIMENTS", &v);
            p->initial = (long)v;
            pop(c, m2);
            if (st)
                goto out;
        }
        if ((n = map_get(map, "seed")) != NULL) {
            m2 = push_key(c, "seed", 4);
            st = get_int(c, n, 0, INT64_MAX, NULL, &v);
            p->seed = (uint64_t)v;
            p->has_seed = !st;
            pop(c, m2);
            if (st)
                goto out;
        }
        if ((n = map_get(map, "beta")) != NULL) {
            m2 = push_key(c, "beta", 4);
            st = get_number(c, n, &p->beta);
            if (!st && p->beta <= 0)
                st = verr(c, n, GN_ERR_SPEC, "must be a number > 0, got %g", p->beta);
            pop(c, m2);
            if (st)
                goto out;
        }
        st = planner_enum(c, map, "acquisition", acquisitions, 3, &p->acquisition);
        if (!st)
            st = planner_enum(c, map, "trust_region", regions, 3, &p->trust_region);
        if (!st)
            st = planner_enum(c, map, "kernel", kernels, 2, &p->kernel);
        if (!st)
            st = planner_enum(c, map, "warp", warps, 4, &p->warp);
        if (st)
            goto out;
    }
    p->strategy = gn_strdup(strategies[idx]);
    if (!p->strategy)
        st = gn_err_nomem(c->err);
out:
    if (map)
        pop(c, mark);
    return st;
}

static gn_status budget_read(vctx *c, const gn__node *root)
{
    static const char *const keys[] = {"experiments", "parallel"};
    const gn__node *map = map_get(root, "budget"), *n;
    gn_budget *b = &c->spec->budget;
    size_t mark, m2;
    long long v;
    gn_status st;

    if (!map)
        return missing(c, root, "budget");
    mark = push_key(c, "budget", 6);
    st = check_map(c, map, keys, 2);
    if (st)
        goto out;
    if (!(n = map_get(map, "experiments"))) {
        st = missing(c, map, "experiments");
        goto out;
    }
    m2 = push_key(c, "experiments", 11);
    st = get_int(c, n, 1, GN_SPEC_MAX_EXPERIMENTS, "GN_SPEC_MAX_EXPERIMENTS", &v);
    b->experiments = (long)v;
    pop(c, m2);
    if (st)
        goto out;
    if ((n = map_get(map, "parallel")) != NULL) {
        m2 = push_key(c, "parallel", 8);
        st = get_int(c, n, 1, GN_SPEC_MAX_PARALLEL, "GN_SPEC_MAX_PARALLEL", &v);
        b->parallel = (long)v;
        pop(c, m2);
    }
out:
    pop(c, mark);
    return st;
}

/* A Slurm word (partition, account, mem, ...): non-empty, no blanks, no
 * control characters, no quotes. */
static gn_status slurm_word(vctx *c, const gn__node *map, const char *key, char **out)
{
    const gn__node *n = map_get(map, key);
    size_t mark, i;
    gn_status st;
    if (!n)
        return GN_OK;
    mark = push_key(c, key, strlen(key));
    st = get_string(c, n, out);
    if (!st && n->len == 0)
        st = verr(c, n, GN_ERR_SPEC, "must not be empty");
    for (i = 0; !st && i < n->len; i++) {
        unsigned char ch = (unsigned char)n->text[i];
        if (ch <= ' ' || ch == 0x7f || ch == '"' || ch == '\'' || ch == '\\')
            st = verr_at(c, n->line, column_in(n, i), GN_ERR_SPEC,
                         "must be one word without blanks, quotes or control characters");
    }
    pop(c, mark);
    return st;
}

/* Slurm's time formats: minutes, minutes:seconds, hours:minutes:seconds,
 * days-hours, days-hours:minutes, days-hours:minutes:seconds, or
 * "infinite"/"unlimited". 1 when `t` is one of them and not zero. */
static int slurm_time_valid(const char *t)
{
    long part[4];
    int n = 0, days = 0, any = 0;
    const char *p = t;
    if (strcasecmp(t, "infinite") == 0 || strcasecmp(t, "unlimited") == 0)
        return 1;
    for (;;) {
        char *end;
        if (!isdigit((unsigned char)*p))
            return 0;
        errno = 0;
        part[n] = strtol(p, &end, 10);
        if (errno || end - p > 6)
            return 0;
        any |= part[n] != 0;
        n++;
        p = end;
        if (*p == '\0')
            break;
        if (*p == '-' && n == 1 && !days) {
            days = 1;
        } else if (*p != ':' || n >= (days ? 4 : 3)) {
            return 0;
        }
        p++;
    }
    return any;
}

/* An optional list of strings; `option` requires each to start with '-'
 * and refuses the options genesis sets itself. */
static gn_status string_list(vctx *c, const gn__node *map, const char *key, int option,
                             char ***out, size_t *n_out)
{
    static const char *const taken[] = {"--array",  "-a",        "--output", "-o",
                                        "--error",  "-e",        "--chdir",  "-D",
                                        "--parsable", "--wrap",  "--job-name", "-J",
                                        "--input",  "-i"};
    const gn__node *seq = map_get(map, key);
    size_t mark, m2, i, j;
    gn_status st;
    if (!seq)
        return GN_OK;
    mark = push_key(c, key, strlen(key));
    st = check_count(c, seq, GN_SPEC_MAX_SLURM_ARGS, "GN_SPEC_MAX_SLURM_ARGS", "string");
    if (!st) {
        *out = gn_calloc(seq->n ? seq->n : 1, sizeof **out);
        if (!*out)
            st = gn_err_nomem(c->err);
        else
            *n_out = seq->n;
    }
    for (i = 0; !st && i < seq->n; i++) {
        const gn__node *w = seq->items[i];
        m2 = push_index(c, i);
        st = get_string(c, w, &(*out)[i]);
        if (!st && option && (w->len < 2 || w->text[0] != '-'))
            st = verr(c, w, GN_ERR_SPEC, "expected a command-line option starting with '-', got %s",
                      (*out)[i][0] ? (*out)[i] : "''");
        for (j = 0; !st && option && j < sizeof taken / sizeof *taken; j++) {
            size_t k = strlen(taken[j]);
            const char *a = (*out)[i];
            if (strncmp(a, taken[j], k) == 0 &&
                (a[k] == '\0' || a[k] == '=' || (taken[j][1] != '-' && a[k] != '-')))
                st = verr(c, w, GN_ERR_SPEC,
                          "%s is set by genesis for each job (see docs/slurm.md)", taken[j]);
        }
        pop(c, m2);
    }
    pop(c, mark);
    return st;
}

static gn_status executor_slurm(vctx *c, const gn__node *map, gn_executor_spec *e)
{
    static const char *const modes[] = {"auto", "jobs", "array", "pilot"};
    const gn__node *n;
    size_t m2, idx = 0;
    long long v;
    gn_status st = GN_OK;

    e->poll = 2.0;
    e->cancel_on_stop = 1;
    if ((n = map_get(map, "mode")) != NULL) {
        m2 = push_key(c, "mode", 4);
        st = get_enum(c, n, modes, 4, &idx);
        pop(c, m2);
        if (st)
            return st;
        e->mode = (gn_slurm_mode)idx;
    }
    if ((n = map_get(map, "launch")) != NULL) {
        static const char *const launches[] = {"workers", "steps"};
        m2 = push_key(c, "launch", 6);
        st = get_enum(c, n, launches, 2, &idx);
        if (!st && (e->mode == GN_SLURM_JOBS || e->mode == GN_SLURM_ARRAY))
            st = verr(c, n, GN_ERR_SPEC, "only used by executor mode pilot (this mode is %s)",
                      modes[e->mode]);
        pop(c, m2);
        if (st)
            return st;
        e->launch = (gn_slurm_launch)idx;
    }
    if (!st)
        st = slurm_word(c, map, "partition", &e->partition);
    if (!st)
        st = slurm_word(c, map, "account", &e->account);
    if (!st)
        st = slurm_word(c, map, "qos", &e->qos);
    if (!st)
        st = slurm_word(c, map, "mem", &e->mem);
    if (!st)
        st = slurm_word(c, map, "gres", &e->gres);
    if (!st)
        st = slurm_word(c, map, "constraint", &e->constraint);
    if (!st)
        st = slurm_word(c, map, "job_name", &e->job_name);
    if (!st)
        st = slurm_word(c, map, "time", &e->time);
    if (!st && e->time && !slurm_time_valid(e->time)) {
        n = map_get(map, "time");
        m2 = push_key(c, "time", 4);
        st = verr(c, n, GN_ERR_SPEC,
                  "expected a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, "
                  "D-HH:MM:SS or unlimited, not zero), got '%s'",
                  e->time);
        pop(c, m2);
    }
    if (!st && e->mem) {
        const char *p = e->mem;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == e->mem || (*p && (strchr("KkMmGgTt", *p) == NULL || p[1]))) {
            n = map_get(map, "mem");
            m2 = push_key(c, "mem", 3);
            st = verr(c, n, GN_ERR_SPEC,
                      "expected a memory size: a whole number with an optional unit K, M, G "
                      "or T (megabytes without one), got '%s'",
                      e->mem);
            pop(c, m2);
        }
    }
    {
        static const char *const ints[] = {"nodes", "ntasks", "cpus_per_task", "array_max"};
        long *dst[] = {&e->nodes, &e->ntasks, &e->cpus_per_task, &e->array_max};
        size_t i;
        for (i = 0; !st && i < 4; i++) {
            if ((n = map_get(map, ints[i])) == NULL)
                continue;
            m2 = push_key(c, ints[i], strlen(ints[i]));
            st = get_int(c, n, 1, 1000000, NULL, &v);
            *dst[i] = (long)v;
            pop(c, m2);
        }
    }
    if (!st && (n = map_get(map, "poll")) != NULL) {
        m2 = push_key(c, "poll", 4);
        st = get_number(c, n, &e->poll);
        if (!st && (e->poll < 0.05 || e->poll > 3600))
            st = verr(c, n, GN_ERR_SPEC, "must be between 0.05 and 3600 seconds, got %g", e->poll);
        pop(c, m2);
    }
    if (!st && (n = map_get(map, "cancel_on_stop")) != NULL) {
        char d[96];
        m2 = push_key(c, "cancel_on_stop", 14);
        if (n->kind != GN__NODE_SCALAR || classify(n, NULL) != SC_BOOL)
            st = verr(c, n, GN_ERR_SPEC, "expected true or false, got %s", describe(n, d, sizeof d));
        else
            e->cancel_on_stop = n->text[0] == 't' || n->text[0] == 'T';
        pop(c, m2);
    }
    if (!st)
        st = string_list(c, map, "extra_args", 1, &e->extra_args, &e->n_extra_args);
    if (!st)
        st = string_list(c, map, "step_args", 1, &e->step_args, &e->n_step_args);
    if (!st)
        st = string_list(c, map, "setup", 0, &e->setup, &e->n_setup);
    return st;
}

static gn_status executor_read(vctx *c, const gn__node *root)
{
    static const char *const keys[] = {"kind",      "slots_per_rank", "mode",          "partition",
                                       "account",   "qos",            "time",          "nodes",
                                       "ntasks",    "cpus_per_task",  "mem",           "gres",
                                       "constraint", "job_name",      "array_max",     "extra_args",
                                       "step_args", "setup",          "poll",          "cancel_on_stop",
                                       "launch"};
    static const char *const kinds[] = {"local", "mpi", "slurm"};
    const gn__node *map = map_get(root, "executor"), *n, *kind_node = NULL;
    gn_executor_spec *e = &c->spec->executor;
    size_t mark = 0, m2, idx = 0, i;
    long long v = 1;
    gn_status st = GN_OK;

    if (map) {
        mark = push_key(c, "executor", 8);
        st = check_map(c, map, keys, sizeof keys / sizeof *keys);
        if (!st && (kind_node = map_get(map, "kind")) != NULL) {
            m2 = push_key(c, "kind", 4);
            st = get_enum(c, kind_node, kinds, 3, &idx);
            pop(c, m2);
        }
        if (!st && (n = map_get(map, "slots_per_rank")) != NULL) {
            m2 = push_key(c, "slots_per_rank", 14);
            st = get_int(c, n, 1, GN_SPEC_MAX_PARALLEL, "GN_SPEC_MAX_PARALLEL", &v);
            if (!st && idx != 1)
                st = verr(c, n, GN_ERR_SPEC, "only used by executor kind mpi (this executor is %s)",
                          kinds[idx]);
            pop(c, m2);
        }
        /* the Slurm keys are the keys after slots_per_rank */
        for (i = 2; !st && idx != 2 && i < sizeof keys / sizeof *keys; i++) {
            if ((n = map_get(map, keys[i])) == NULL)
                continue;
            m2 = push_key(c, keys[i], strlen(keys[i]));
            st = verr(c, n, GN_ERR_SPEC, "only used by executor kind slurm (this executor is %s)",
                      kinds[idx]);
            pop(c, m2);
        }
        if (!st && idx == 2)
            st = executor_slurm(c, map, e);
        /* a library runs in pilot workers (genesis processes on the nodes);
         * a lookup table only inside genesis itself */
        if (!st && idx == 2 && c->spec->runner.kind == GN_RUNNER_LOOKUP) {
            m2 = push_key(c, "kind", 4);
            st = verr(c, kind_node, GN_ERR_SPEC,
                      "runner.lookup runs inside the genesis process and cannot run under Slurm: "
                      "use executor kind local");
            pop(c, m2);
        }
        if (!st && idx == 2 && c->spec->runner.kind == GN_RUNNER_LIBRARY &&
            (e->mode == GN_SLURM_JOBS || e->mode == GN_SLURM_ARRAY ||
             e->launch == GN_SLURM_LAUNCH_STEPS)) {
            m2 = push_key(c, "kind", 4);
            st = verr(c, kind_node, GN_ERR_SPEC,
                      "runner.library runs under Slurm only in pilot workers (mode pilot or auto, "
                      "launch: workers), not as %s: give the runner as a program "
                      "(runner.command) for those",
                      e->launch == GN_SLURM_LAUNCH_STEPS && e->mode != GN_SLURM_JOBS &&
                              e->mode != GN_SLURM_ARRAY
                          ? "job steps (launch: steps)"
                          : "batch jobs (mode jobs or array)");
            pop(c, m2);
        }
        pop(c, mark);
        if (st)
            return st;
    }
    e->slots_per_rank = (long)v;
    e->kind = gn_strdup(kinds[idx]);
    return e->kind ? GN_OK : gn_err_nomem(c->err);
}

/* ---- the whole ----------------------------------------------------------------- */

static gn_status name_read(vctx *c, const gn__node *root)
{
    const gn__node *n = map_get(root, "name");
    size_t mark, i;
    gn_status st;
    char q[80];

    if (!n)
        return missing(c, root, "name");
    mark = push_key(c, "name", 4);
    st = get_string(c, n, &c->spec->name);
    if (st)
        goto out;
    if (n->len > GN_SPEC_MAX_NAME) {
        st = verr(c, n, GN_ERR_LIMIT,
                  "name is longer than the limit of %d characters (GN_SPEC_MAX_NAME)",
                  GN_SPEC_MAX_NAME);
        goto out;
    }
    for (i = 0; i < n->len; i++) {
        int ch = (unsigned char)n->text[i];
        if (!(isalnum(ch) || (i > 0 && (ch == '_' || ch == '.' || ch == '-'))))
            break;
    }
    if (n->len == 0 || i < n->len) {
        gn__spec_quote(n->text, n->len, 64, q, sizeof q);
        st = verr(c, n, GN_ERR_SPEC,
                  "invalid campaign name '%s': use letters, digits, '_', '.' and '-', starting "
                  "with a letter or digit",
                  q);
    }
out:
    pop(c, mark);
    return st;
}

/* ---- candidates and prior ----------------------------------------------------------- */

/* `candidates:` a CSV path (string) or {dataset: NAME, version: V}. */
static gn_status candidates_read(vctx *c, const gn__node *n)
{
    static const char *const keys[] = {"dataset", "version"};
    gn_spec *spec = c->spec;
    size_t mark = push_key(c, "candidates", 10), m2;
    const gn__node *d;
    gn_status st;

    if (n->kind == GN__NODE_MAP) {
        st = check_map(c, n, keys, sizeof keys / sizeof *keys);
        if (st)
            goto out;
        if (!(d = map_get(n, "dataset"))) {
            st = missing(c, n, "dataset");
            goto out;
        }
        m2 = push_key(c, "dataset", 7);
        st = get_dataset_name(c, d, &spec->candidates_dataset);
        pop(c, m2);
        if (!st)
            st = get_dataset_version(c, n, &spec->candidates_version);
    } else {
        st = get_string(c, n, &spec->candidates);
        if (!st && spec->candidates[0] == '\0')
            st = verr(c, n, GN_ERR_SPEC,
                      "expected the path of a CSV file of candidate points, or {dataset: NAME}");
    }
    if (!st && strcmp(spec->planner.strategy, "bo") != 0)
        st = verr(c, n, GN_ERR_SPEC,
                  "only strategy bo chooses from a candidate pool (this planner is %s)",
                  spec->planner.strategy);
out:
    pop(c, mark);
    return st;
}

/* `prior: {dataset: NAME, version: V, columns: {name: column, ...}}`. */
static gn_status prior_read(vctx *c, const gn__node *n)
{
    static const char *const keys[] = {"dataset", "version", "columns"};
    gn_spec *spec = c->spec;
    size_t mark = push_key(c, "prior", 5), m2, m3, i;
    const gn__node *d, *cols;
    gn_status st;

    st = check_map(c, n, keys, sizeof keys / sizeof *keys);
    if (st)
        goto out;
    if (!(d = map_get(n, "dataset"))) {
        st = missing(c, n, "dataset");
        goto out;
    }
    m2 = push_key(c, "dataset", 7);
    st = get_dataset_name(c, d, &spec->prior_dataset);
    pop(c, m2);
    if (!st)
        st = get_dataset_version(c, n, &spec->prior_version);
    if (st || !(cols = map_get(n, "columns")))
        goto out;
    m2 = push_key(c, "columns", 7);
    if (cols->kind != GN__NODE_MAP) {
        st = verr(c, cols, GN_ERR_SPEC, "expected a mapping {name: column, ...}, got %s",
                  describe(cols, (char[96]){0}, 96));
        goto out2;
    }
    spec->prior_names = gn_calloc(cols->n ? cols->n : 1, sizeof *spec->prior_names);
    spec->prior_cols = gn_calloc(cols->n ? cols->n : 1, sizeof *spec->prior_cols);
    if (!spec->prior_names || !spec->prior_cols) {
        st = gn_err_nomem(c->err);
        goto out2;
    }
    for (i = 0; i < cols->n && !st; i++) {
        const gn__node *k = cols->items[2 * i], *v = cols->items[2 * i + 1];
        m3 = push_key(c, k->text, k->len);
        spec->prior_names[i] = gn_strndup(k->text, k->len);
        spec->n_prior_map = i + 1;
        if (!spec->prior_names[i])
            st = gn_err_nomem(c->err);
        else if (gn_spec_param_index(spec, spec->prior_names[i]) < 0 &&
                 gn_spec_objective_index(spec, spec->prior_names[i]) < 0 &&
                 gn_spec_outcome_constraint_index(spec, spec->prior_names[i]) < 0)
            st = verr(c, k, GN_ERR_SPEC,
                      "not a parameter, objective or outcome constraint of this spec");
        if (!st)
            st = get_string(c, v, &spec->prior_cols[i]);
        if (!st && !spec->prior_cols[i][0])
            st = verr(c, v, GN_ERR_SPEC, "expected a column name, got ''");
        pop(c, m3);
    }
out2:
    pop(c, m2);
out:
    pop(c, mark);
    return st;
}

gn_status gn__spec_validate(const gn__node *root, gn_spec *spec, gn_err *err)
{
    static const char *const keys[] = {"name",       "description",         "parameters",
                                       "constraints", "objectives",          "outcome_constraints",
                                       "runner",      "planner",             "budget",
                                       "executor",   "candidates",          "prior"};
    vctx c;
    const gn__node *n;
    gn_status st;

    memset(&c, 0, sizeof c);
    c.source = spec->source;
    c.err = err;
    c.spec = spec;
    if (!root || (root->kind == GN__NODE_SCALAR && classify(root, NULL) == SC_NULL))
        return verr_at(&c, 1, 1, GN_ERR_SPEC,
                       "the spec is empty; expected a mapping with name, parameters, "
                       "objectives and budget");
    st = check_map(&c, root, keys, sizeof keys / sizeof *keys);
    if (!st)
        st = name_read(&c, root);
    if (!st && (n = map_get(root, "description")) != NULL) {
        size_t mark = push_key(&c, "description", 11);
        st = get_string(&c, n, &spec->description);
        pop(&c, mark);
    }
    if (!st)
        st = params_read(&c, root);
    if (!st)
        st = constraints_read(&c, root);
    if (!st)
        st = objectives_read(&c, root);
    if (!st)
        st = outcomes_read(&c, root);
    if (!st)
        st = runner_read(&c, root);
    if (!st)
        st = planner_read(&c, root);
    if (!st)
        st = budget_read(&c, root);
    if (!st)
        st = executor_read(&c, root);
    if (!st && (n = map_get(root, "candidates")) != NULL)
        st = candidates_read(&c, n);
    if (!st && (n = map_get(root, "prior")) != NULL)
        st = prior_read(&c, n);
    return st;
}
