/*
 * serve/body.c - request bodies and query strings, checked against the
 * schema of their route before any handler sees them.
 *
 * Strict by design (docs/api.md): one JSON object, no duplicate keys, no
 * field the route does not take (unknown_field names it, which is also
 * what stops mass assignment of owner, state, ...), every value of the
 * right type and in range. Pure functions: the fuzz target
 * fuzz_serve_body drives them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

/* Fields clients may never set on any route: named in the message so a
 * client learns it is a rule, not a typo. */
static const char *const reserved[] = {"id",      "owner",  "state",  "created", "updated",
                                       "user",    "role",   "status", "lease",   "admin",
                                       "number",  "counts", "token",  NULL};

/* Messages echo client input: keep them printable ASCII so they always
 * encode as JSON and cannot carry a cut UTF-8 sequence. */
static void ascii_only(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

int gn__req_fail(gn__req_error *e, int status, const char *code, const char *field,
                 const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return -1;
    e->status = status;
    e->code = code;
    e->line = e->column = 0;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    ascii_only(e->field);
    ascii_only(e->message);
    return -1;
}

char *gn__error_json(const gn__req_error *e)
{
    json_t *err, *root;
    char *text;

    err = json_pack("{s:s, s:s}", "code", e->code ? e->code : "internal", "message", e->message);
    if (!err)
        return NULL;
    if (e->field[0])
        json_object_set_new(err, "field", json_string(e->field));
    if (e->line > 0)
        json_object_set_new(err, "where", json_pack("{s:i, s:i}", "line", e->line, "column",
                                                    e->column));
    root = json_pack("{s:o}", "error", err);
    if (!root)
        return NULL;
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

int gn__name_valid(const char *s, size_t len)
{
    size_t i;
    if (!s || len == 0 || len > GN_HTTP_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        int ok = isalnum(ch) || ch == '_' || (i > 0 && (ch == '.' || ch == '-'));
        if (!ok || ch >= 0x80)
            return 0;
    }
    return 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long gn__percent_decode(const char *src, size_t n, char *dst)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\0')
            return -1;
        if (ch == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval((unsigned char)src[i + 1]);
            lo = hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[o++] = (char)ch;
        }
    }
    dst[o] = '\0';
    return (long)o;
}

/* ---- one value against its field ------------------------------------------- */

/* Printable: no ASCII control characters (UTF-8 beyond ASCII is fine). */
static int printable(const char *s, size_t len, int allow_newlines)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0x7f || (ch < 0x20 && !(allow_newlines && (ch == '\n' || ch == '\t' ||
                                                                ch == '\r'))))
            return 0;
    }
    return 1;
}

static int check_value(const gn__field *f, const json_t *v, gn__req_error *e)
{
    size_t len = 0;
    const char *s = "";

    switch (f->type) {
    case GN__F_STRING:
    case GN__F_TEXT:
    case GN__F_KEY:
    case GN__F_NAME:
    case GN__F_ENUM:
        if (!json_is_string(v))
            return gn__req_fail(e, 400, "bad_request", f->name, "%s: expected a string", f->name);
        s = json_string_value(v);
        len = json_string_length(v);
        if (memchr(s, '\0', len))
            return gn__req_fail(e, 400, "bad_request", f->name, "%s: contains a NUL character",
                                f->name);
        break;
    case GN__F_INT:
        if (!json_is_integer(v))
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: expected a whole number from %lld to %lld", f->name, f->min,
                                f->max);
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: %lld is out of range (%lld to %lld)", f->name,
                                (long long)json_integer_value(v), f->min, f->max);
        return 0;
    case GN__F_NUMBERS: {
        const char *k;
        json_t *x;
        if (!json_is_object(v))
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: expected an object of named numbers", f->name);
        if (json_object_size(v) < (size_t)(f->min > 0 ? f->min : 0) ||
            json_object_size(v) > (size_t)f->max)
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: expected %lld to %lld named numbers, got %zu", f->name,
                                f->min, f->max, json_object_size(v));
        json_object_foreach((json_t *)v, k, x)
        {
            if (!gn__name_valid(k, strlen(k)) || strlen(k) > 64)
                return gn__req_fail(e, 400, "bad_request", f->name,
                                    "%s: invalid name (letters, digits, '_', '.', '-'; at most "
                                    "64)",
                                    f->name);
            if (!json_is_number(x) || !isfinite(json_number_value(x)))
                return gn__req_fail(e, 400, "bad_request", k, "%s.%s: expected a finite number",
                                    f->name, k);
        }
        return 0;
    }
    }
    /* the string kinds */
    if ((long long)len < f->min || (long long)len > f->max)
        return gn__req_fail(e, 400, "bad_request", f->name,
                            "%s: expected %lld to %lld bytes, got %zu", f->name, f->min, f->max,
                            len);
    switch (f->type) {
    case GN__F_STRING:
        if (!printable(s, len, 0))
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: contains a control character", f->name);
        break;
    case GN__F_TEXT:
        if (!printable(s, len, 1))
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: contains a control character", f->name);
        break;
    case GN__F_KEY: {
        size_t i;
        for (i = 0; i < len; i++)
            if (s[i] < 0x21 || s[i] > 0x7e)
                return gn__req_fail(e, 400, "bad_request", f->name,
                                    "%s: expected 1 to 128 printable ASCII characters", f->name);
        break;
    }
    case GN__F_NAME:
        if (!gn__name_valid(s, len))
            return gn__req_fail(e, 400, "bad_request", f->name,
                                "%s: invalid name (letters, digits, '_', '.', '-', starting "
                                "with a letter, digit or '_')",
                                f->name);
        break;
    case GN__F_ENUM: {
        size_t i;
        for (i = 0; f->values && f->values[i]; i++)
            if (!strcmp(f->values[i], s))
                return 0;
        return gn__req_fail(e, 400, "bad_request", f->name, "%s: '%.64s' is not one of the allowed values",
                            f->name, s);
    }
    default:
        break;
    }
    return 0;
}

static const gn__field *field_find(const gn__field *schema, const char *name)
{
    size_t i;
    for (i = 0; schema && schema[i].name; i++)
        if (!strcmp(schema[i].name, name))
            return &schema[i];
    return NULL;
}

static int unknown(const char *key, gn__req_error *e, const char *where)
{
    size_t i;
    char shown[80];
    size_t n = strlen(key);

    snprintf(shown, sizeof shown, "%.64s%s", key, n > 64 ? "..." : "");
    for (i = 0; shown[i]; i++)
        if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7f)
            shown[i] = '?';
    for (i = 0; reserved[i]; i++)
        if (!strcmp(reserved[i], key))
            return gn__req_fail(e, 400, "unknown_field", shown,
                                "'%s' may not be set by a client", shown);
    return gn__req_fail(e, 400, "unknown_field", shown, "unknown %s '%s'", where, shown);
}

static int check_object(const gn__field *schema, const json_t *obj, gn__req_error *e)
{
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach((json_t *)obj, k, v)
    {
        const gn__field *f = field_find(schema, k);
        if (!f)
            return unknown(k, e, "field");
        if (check_value(f, v, e))
            return -1;
    }
    for (i = 0; schema && schema[i].name; i++)
        if (schema[i].required && !json_object_get(obj, schema[i].name))
            return gn__req_fail(e, 400, "bad_request", schema[i].name, "%s: required",
                                schema[i].name);
    return 0;
}

int gn__body_parse(const gn__field *schema, gn__body_check check, const char *body, size_t len,
                   json_t **out, gn__req_error *e)
{
    json_error_t jerr;
    json_t *j;
    size_t i;

    *out = NULL;
    for (i = 0; i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n');
         i++)
        ;
    if (i == len) {
        j = json_object();
    } else {
        /* jansson stops at a NUL byte inside a string only with
         * JSON_ALLOW_NUL; a raw NUL elsewhere is a syntax error */
        j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
            gn__req_fail(e, 400, "invalid_json", NULL, "malformed JSON: %s", jerr.text);
            e->line = jerr.line > 0 ? jerr.line : 1;
            e->column = jerr.column > 0 ? jerr.column : 1;
            return -1;
        }
    }
    if (!j)
        return gn__req_fail(e, 500, "internal", NULL, "out of memory");
    if (!json_is_object(j)) {
        json_decref(j);
        return gn__req_fail(e, 400, "bad_request", NULL, "the body must be a JSON object");
    }
    if (check_object(schema, j, e) || (check && check(j, e))) {
        json_decref(j);
        return -1;
    }
    *out = j;
    return 0;
}

int gn__query_parse(const gn__field *schema, size_t n, const char *const *names,
                    const char *const *values, json_t **out, gn__req_error *e)
{
    json_t *o = json_object();
    size_t i;

    *out = NULL;
    if (!o)
        return gn__req_fail(e, 500, "internal", NULL, "out of memory");
    if (n > GN_HTTP_MAX_QUERY) {
        json_decref(o);
        return gn__req_fail(e, 400, "bad_request", NULL, "too many query parameters (at most %d)",
                            GN_HTTP_MAX_QUERY);
    }
    for (i = 0; i < n; i++) {
        const gn__field *f = field_find(schema, names[i]);
        const char *v = values[i] ? values[i] : "";
        json_t *jv;
        if (!f) {
            json_decref(o);
            return unknown(names[i], e, "query parameter");
        }
        if (json_object_get(o, f->name)) {
            json_decref(o);
            return gn__req_fail(e, 400, "bad_request", f->name, "%s: given more than once",
                                f->name);
        }
        if (f->type == GN__F_INT) {
            char *end;
            long long x;
            errno = 0;
            x = strtoll(v, &end, 10);
            if (!*v || *end || errno || !(isdigit((unsigned char)v[0]) || v[0] == '-')) {
                json_decref(o);
                return gn__req_fail(e, 400, "bad_request", f->name,
                                    "%s: expected a whole number from %lld to %lld", f->name,
                                    f->min, f->max);
            }
            jv = json_integer(x);
        } else {
            /* query values are bytes: only valid UTF-8 goes on */
            jv = json_stringn(v, strlen(v));
            if (!jv) {
                json_decref(o);
                return gn__req_fail(e, 400, "bad_request", f->name, "%s: not valid UTF-8",
                                    f->name);
            }
        }
        if (!jv) {
            json_decref(o);
            return gn__req_fail(e, 500, "internal", NULL, "out of memory");
        }
        if (check_value(f, jv, e)) {
            json_decref(jv);
            json_decref(o);
            return -1;
        }
        json_object_set_new(o, f->name, jv);
    }
    *out = o;
    return 0;
}
