/*
 * test_openapi.c - GET /api/v1/openapi.json against the real routes, both
 * ways: every route of the server is documented, and every documented
 * route answers an authorised caller with something other than 404/405;
 * methods the document does not list are 405 with the documented ones in
 * Allow; every documented body rejects unknown fields.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn_test.h"
#include "genesis/genesis.h"
#include "serve/http.h"
#include "server_harness.h"

static ts_world W;
static ts_server S;

static void start(const char *name)
{
    gn_serve_options o;
    ts_world_make(&W, name);
    gn_serve_options_init(&o);
    o.db_path = W.db;
    o.threads = 2;
    ts_server_start(&S, &o);
}

static json_t *fetch_doc(void)
{
    ts_resp r = ts_http(&S, "GET", "/openapi.json", NULL, NULL, NULL, NULL);
    json_t *doc;
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    doc = json_incref(r.json);
    ts_resp_free(&r);
    return doc;
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i;
    for (i = 0; in[i] && i + 1 < size; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    out[i] = '\0';
}

/* The path with {name} -> name_value and {id} -> id_value, without the
 * "/api/v1" prefix (ts_http adds it). */
static void fill(const char *pattern, const char *name_value, long long id_value, char *out,
                 size_t size)
{
    const char *p = pattern + strlen("/api/v1");
    size_t o = 0;
    while (*p && o + 32 < size) {
        if (*p == '{') {
            const char *q = strchr(p, '}');
            if (!strncmp(p, "{id}", 4))
                o += (size_t)snprintf(out + o, size - o, "%lld", id_value);
            else
                o += (size_t)snprintf(out + o, size - o, "%s", name_value);
            p = q + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static void document_is_the_table(void **state)
{
    json_t *doc, *paths, *item, *op, *gen;
    const gn__route *r;
    size_t n, i, n_doc = 0;
    const char *path, *method;
    char m[16];
    (void)state;

    start("oa-table");
    doc = fetch_doc();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "info"), "version")),
                        gn_version());
    gen = gn__openapi();
    assert_true(json_equal(doc, gen));
    json_decref(gen);
    paths = json_object_get(doc, "paths");
    r = gn__routes(&n);
    /* every route documented, with its parameters and body */
    for (i = 0; i < n; i++) {
        lower(r[i].method, m, sizeof m);
        op = json_object_get(json_object_get(paths, r[i].pattern), m);
        if (!op)
            fail_msg("%s %s is not documented", r[i].method, r[i].pattern);
        assert_string_equal(json_string_value(json_object_get(op, "operationId")), r[i].op_id);
        assert_non_null(json_object_get(json_object_get(op, "responses"), r[i].ok_status == 201 ? "201" : "200"));
        if (strchr(r[i].pattern, '{')) {
            json_t *params = json_object_get(op, "parameters");
            size_t k, found = 0;
            for (k = 0; k < json_array_size(params); k++)
                if (!strcmp(json_string_value(json_object_get(json_array_get(params, k), "in")),
                            "path"))
                    found++;
            assert_true(found >= 1);
        }
        if (r[i].body)
            assert_true(json_is_false(json_object_get(
                json_object_get(json_object_get(json_object_get(json_object_get(op, "requestBody"),
                                                                "content"),
                                                "application/json"),
                                "schema"),
                "additionalProperties")));
    }
    /* every documented operation is a route */
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, method, op)
        {
            int found = 0;
            for (i = 0; i < n; i++) {
                lower(r[i].method, m, sizeof m);
                found |= !strcmp(r[i].pattern, path) && !strcmp(m, method);
            }
            if (!found)
                fail_msg("documented %s %s is no route", method, path);
            n_doc++;
        }
    }
    assert_int_equal(n_doc, n);
    json_decref(doc);
    ts_server_stop(&S);
}

static void documented_routes_answer(void **state)
{
    json_t *doc, *paths, *item, *op;
    const char *path, *method;
    char url[512], upper[16];
    ts_resp r;
    long long id;
    size_t k;
    (void)state;

    start("oa-answer");
    doc = fetch_doc();
    paths = json_object_get(doc, "paths");
    /* an experiment to name */
    r = ts_http(&S, "POST", "/campaigns/flow/suggest", W.root, "{\"count\": 2}", NULL, NULL);
    assert_int_equal(r.status, 200);
    id = (long long)json_integer_value(
        json_object_get(json_array_get(json_object_get(r.json, "experiments"), 0), "id"));
    ts_resp_free(&r);
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, method, op)
        {
            const char *name = strstr(path, "datasets") ? "beads" : "flow";
            for (k = 0; method[k] && k + 1 < sizeof upper; k++)
                upper[k] = (char)(method[k] - 32);
            upper[k] = '\0';
            /* archive last would be nicer; any state answers non-404 */
            fill(path, name, id, url, sizeof url);
            r = ts_http(&S, upper, url, W.root, !strcmp(upper, "POST") ? "{}" : NULL, NULL,
                        NULL);
            if (r.status == 404 || r.status == 405 || r.status == 0)
                fail_msg("%s %s (%s): %ld %s", upper, path, url, r.status, r.body);
            ts_resp_free(&r);
        }
    }
    json_decref(doc);
    ts_server_stop(&S);
}

static void undocumented_methods_are_405(void **state)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    json_t *doc, *paths, *item, *op;
    const char *path, *method;
    char url[512], allow[128], m[16];
    size_t i;
    ts_resp r;
    (void)state;

    start("oa-405");
    doc = fetch_doc();
    paths = json_object_get(doc, "paths");
    json_object_foreach(paths, path, item)
    {
        allow[0] = '\0';
        json_object_foreach(item, method, op)
        {
            size_t l = strlen(allow), k;
            for (k = 0; method[k] && k + 1 < sizeof m; k++)
                m[k] = (char)(method[k] - 32);
            m[k] = '\0';
            snprintf(allow + l, sizeof allow - l, "%s%s", l ? ", " : "", m);
        }
        fill(path, "flow", 1, url, sizeof url);
        for (i = 0; i < sizeof methods / sizeof *methods; i++) {
            lower(methods[i], m, sizeof m);
            if (json_object_get(item, m))
                continue;
            r = ts_http(&S, methods[i], url, W.root, NULL, NULL, NULL);
            if (r.status != 405)
                fail_msg("%s %s: expected 405, got %ld", methods[i], path, r.status);
            assert_string_equal(r.allow, allow);
            ts_resp_free(&r);
        }
    }
    json_decref(doc);
    ts_server_stop(&S);
}

static void documented_bodies_are_strict(void **state)
{
    json_t *doc, *paths, *item, *op;
    const char *path, *method;
    char url[512];
    ts_resp r;
    (void)state;

    start("oa-strict");
    doc = fetch_doc();
    paths = json_object_get(doc, "paths");
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, method, op)
        {
            if (strcmp(method, "post"))
                continue;
            fill(path, "flow", 1, url, sizeof url);
            r = ts_http(&S, "POST", url, W.root, "{\"owner\": \"mallory\"}", NULL, NULL);
            if (r.status != 400 || strcmp(ts_code(&r), "unknown_field"))
                fail_msg("POST %s with owner: %ld %s", path, r.status, r.body);
            ts_resp_free(&r);
        }
    }
    json_decref(doc);
    ts_server_stop(&S);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(document_is_the_table),
        cmocka_unit_test(documented_routes_answer),
        cmocka_unit_test(undocumented_methods_are_405),
        cmocka_unit_test(documented_bodies_are_strict),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
