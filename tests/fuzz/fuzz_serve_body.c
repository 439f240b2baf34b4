/*
 * fuzz_serve_body.c - libFuzzer target for the request body and query
 * parsers of `genesis serve` (src/serve/body.c) against the schema of
 * every route (src/serve/router.c).
 *
 * Input: byte 0 picks the route (modulo the number of routes); with bit
 * 0x80 set the rest is a query string ("a=1&b=x", split here as the server
 * splits it), else a request body. Any input must end in a parsed object
 * that satisfies the schema or a clean error: an HTTP status of 400 or
 * 500, a stable code, an ASCII message and an error body that is JSON.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_error(const gn__req_error *e)
{
    char *text;
    json_t *j;
    size_t i;
    check(e->status == 400 || e->status == 500);
    check(e->code != NULL);
    for (i = 0; e->message[i]; i++)
        check((unsigned char)e->message[i] >= 0x20 && (unsigned char)e->message[i] < 0x7f);
    text = gn__error_json(e);
    check(text != NULL);
    j = json_loads(text, 0, NULL);
    check(j != NULL);
    check(json_is_string(json_object_get(json_object_get(j, "error"), "code")));
    json_decref(j);
    free(text);
}

/* A parsed object holds only schema fields, each of the right type. */
static void check_object(const gn__field *schema, const json_t *o)
{
    const char *k;
    json_t *v;
    check(json_is_object(o));
    json_object_foreach((json_t *)o, k, v)
    {
        const gn__field *f = NULL;
        size_t i;
        for (i = 0; schema && schema[i].name; i++)
            if (!strcmp(schema[i].name, k))
                f = &schema[i];
        check(f != NULL);
        if (f->type == GN__F_INT)
            check(json_is_integer(v) && json_integer_value(v) >= f->min &&
                  json_integer_value(v) <= f->max);
        else if (f->type == GN__F_NUMBERS)
            check(json_is_object(v));
        else
            check(json_is_string(v));
        if (f->type == GN__F_NAME)
            check(gn__name_valid(json_string_value(v), json_string_length(v)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n_routes, pick;
    const gn__route *routes = gn__routes(&n_routes), *r;
    gn__req_error e;
    json_t *out = NULL;

    if (size < 1)
        return 0;
    pick = (data[0] & 0x7f) % n_routes;
    r = &routes[pick];
    memset(&e, 0, sizeof e);
    if (data[0] & 0x80) {
        /* query: split on '&' and the first '=' */
        char *text = malloc(size), *save = NULL, *part;
        const char *names[64], *values[64];
        size_t n = 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        for (part = strtok_r(text, "&", &save); part && n < 64; part = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(part, '=');
            if (eq)
                *eq++ = '\0';
            names[n] = part;
            values[n] = eq ? eq : "";
            n++;
        }
        if (gn__query_parse(r->query, n, names, values, &out, &e) == 0) {
            check(out != NULL);
            check_object(r->query, out);
            check(n <= GN_HTTP_MAX_QUERY);
        } else {
            check(out == NULL);
            check_error(&e);
        }
        free(text);
    } else {
        const gn__field *schema = r->body;
        if (gn__body_parse(schema, r->check, (const char *)data + 1, size - 1, &out, &e) == 0) {
            size_t i;
            check(out != NULL);
            check_object(schema, out);
            for (i = 0; schema && schema[i].name; i++)
                check(!schema[i].required || json_object_get(out, schema[i].name));
            if (r->check) {
                gn__req_error e2;
                check(r->check(out, &e2) == 0);
            }
        } else {
            check(out == NULL);
            check_error(&e);
            if (!strcmp(e.code, "invalid_json"))
                check(e.line >= 1 && e.column >= 1);
        }
    }
    json_decref(out);
    return 0;
}
