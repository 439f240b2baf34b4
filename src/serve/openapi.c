/*
 * serve/openapi.c - the OpenAPI 3.0 document of the API, generated from
 * the route table (router.c): every route, its path and query
 * parameters, its request body (from the same field list the server
 * checks bodies against), its success response and its errors. Nothing
 * here is written by hand per route, so the document cannot drift from
 * the routes; the object schemas below mirror docs/api.md.
 */
#include <stdio.h>
#include <string.h>

#include "genesis/genesis.h"
#include "serve/http.h"

static json_t *field_schema(const gn__field *f)
{
    json_t *s = NULL;
    size_t i;

    switch (f->type) {
    case GN__F_STRING:
    case GN__F_TEXT:
    case GN__F_KEY:
        s = json_pack("{s:s, s:I, s:I}", "type", "string", "minLength", (json_int_t)f->min,
                      "maxLength", (json_int_t)f->max);
        break;
    case GN__F_NAME:
        s = json_pack("{s:s, s:I, s:I, s:s}", "type", "string", "minLength", (json_int_t)1,
                      "maxLength", (json_int_t)GN_HTTP_NAME_MAX, "pattern",
                      "^[A-Za-z0-9_][A-Za-z0-9_.-]*$");
        break;
    case GN__F_INT:
        s = json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", (json_int_t)f->min,
                      "maximum", (json_int_t)f->max);
        break;
    case GN__F_ENUM: {
        json_t *vals = json_array();
        for (i = 0; f->values && f->values[i]; i++)
            json_array_append_new(vals, json_string(f->values[i]));
        s = json_pack("{s:s, s:o}", "type", "string", "enum", vals);
        break;
    }
    case GN__F_NUMBERS:
        s = json_pack("{s:s, s:{s:s}, s:I, s:I}", "type", "object", "additionalProperties",
                      "type", "number", "minProperties", (json_int_t)(f->min > 0 ? f->min : 0),
                      "maxProperties", (json_int_t)f->max);
        break;
    }
    if (s && f->desc)
        json_object_set_new(s, "description", json_string(f->desc));
    return s;
}

static json_t *body_schema(const gn__field *fields)
{
    json_t *props = json_object(), *req = json_array(), *s;
    size_t i;
    for (i = 0; fields[i].name; i++) {
        json_object_set_new(props, fields[i].name, field_schema(&fields[i]));
        if (fields[i].required)
            json_array_append_new(req, json_string(fields[i].name));
    }
    s = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
                  "additionalProperties", 0);
    if (s && json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    return s;
}

static const char *reason(int status)
{
    switch (status) {
    case 400: return "Bad request: invalid_json (with where), bad_request, unknown_field, invalid_spec";
    case 401: return "No valid token: unauthorized";
    case 403: return "The caller's role does not allow this: forbidden";
    case 404: return "No such object, or not visible to the caller: not_found";
    case 409: return "conflict, already_finished, exists or idempotency_key_reused";
    case 411: return "length_required: a body needs a Content-Length";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited (Retry-After)";
    case 500: return "internal (nothing was changed)";
    case 503: return "unavailable: retry";
    }
    return "error";
}

static json_t *ref(const char *name)
{
    char buf[128];
    snprintf(buf, sizeof buf, "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *operation(const gn__route *r)
{
    json_t *op, *params = json_array(), *resp = json_object();
    const char *p;
    char code[8];
    size_t i;

    /* path parameters, in pattern order */
    for (p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *q = strchr(p, '}');
        char name[32];
        json_t *schema;
        snprintf(name, sizeof name, "%.*s", (int)(q - p - 1), p + 1);
        if (!strcmp(name, "id"))
            schema = json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", (json_int_t)1,
                               "maximum", (json_int_t)1 << 53);
        else
            schema = json_pack("{s:s, s:I, s:I, s:s}", "type", "string", "minLength",
                               (json_int_t)1, "maxLength", (json_int_t)GN_HTTP_NAME_MAX,
                               "pattern", "^[A-Za-z0-9_][A-Za-z0-9_.-]*$");
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in",
                                                "path", "required", 1, "schema", schema));
    }
    for (i = 0; r->query && r->query[i].name; i++)
        json_array_append_new(params,
                              json_pack("{s:s, s:s, s:b, s:o}", "name", r->query[i].name, "in",
                                        "query", "required", r->query[i].required, "schema",
                                        field_schema(&r->query[i])));
    if (!strcmp(r->op_id, "tell"))
        json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i, s:i}}", "name",
                              "Idempotency-Key", "in", "header", "required", 0, "description",
                              "the idempotency key, instead of the body's key", "schema", "type",
                              "string", "minLength", 1, "maxLength", 128));

    snprintf(code, sizeof code, "%d", r->ok_status);
    json_object_set_new(resp, code,
                        json_pack("{s:s, s:{s:{s:o}}}", "description", "success", "content",
                                  "application/json", "schema", ref(r->schema)));
    for (i = 0; r->errors && r->errors[i]; i++) {
        snprintf(code, sizeof code, "%d", r->errors[i]);
        json_object_set_new(resp, code,
                            json_pack("{s:s, s:{s:{s:o}}}", "description", reason(r->errors[i]),
                                      "content", "application/json", "schema", ref("Error")));
    }
    op = json_pack("{s:s, s:s, s:o, s:o}", "operationId", r->op_id, "summary", r->summary,
                   "parameters", params, "responses", resp);
    if (!op)
        return NULL;
    if (r->body) {
        int required = 0;
        for (i = 0; r->body[i].name; i++)
            required |= r->body[i].required;
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", required, "content",
                                      "application/json", "schema", body_schema(r->body)));
    }
    if (r->auth)
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
    else
        json_object_set_new(op, "security", json_array());
    return op;
}

/* The object schemas of docs/api.md. */
static json_t *components(void)
{
    json_t *num = json_pack("{s:s}", "type", "number");
    json_t *str = json_pack("{s:s}", "type", "string");
    json_t *integer = json_pack("{s:s}", "type", "integer");
    json_t *schemas;
#define S(x) json_deep_copy(x)
    schemas = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "Error",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:[s,s], s:{s:o, s:o, s:o, s:{s:s, s:{s:o, s:o}}}}}}",
                  "type", "object", "required", "error", "properties", "error", "type", "object",
                  "required", "code", "message", "properties", "code", S(str), "message", S(str),
                  "field", S(str), "where", "type", "object", "properties", "line", S(integer),
                  "column", S(integer)),
        "Health",
        json_pack("{s:s, s:{s:o, s:o}}", "type", "object", "properties", "status", S(str),
                  "version", S(str)),
        "OpenAPI", json_pack("{s:s}", "type", "object"),
        "Me",
        json_pack("{s:s, s:{s:o, s:{s:s}, s:{s:s}, s:{s:s, s:{s:s}}}}", "type", "object",
                  "properties", "user", S(str), "admin", "type", "boolean", "token", "type",
                  "object", "projects", "type", "array", "items", "type", "object"),
        "CampaignSummary",
        json_pack("{s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s}, s:o, s:o}}", "type", "object",
                  "properties", "name", S(str), "project", S(str), "classification", S(str),
                  "owner", S(str), "state", S(str), "budget", S(integer), "counts", "type",
                  "object", "created", S(num), "updated", S(num)),
        "Campaign",
        json_pack("{s:[{s:s}, {s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}]}", "allOf", "$ref",
                  "#/components/schemas/CampaignSummary", "type", "object", "properties",
                  "parameters", "type", "array", "objectives", "type", "array", "best", "type",
                  "object"),
        "CampaignList",
        json_pack("{s:s, s:{s:{s:s, s:{s:s}}, s:o, s:o, s:o}}", "type", "object", "properties",
                  "items", "type", "array", "items", "$ref",
                  "#/components/schemas/CampaignSummary", "total", S(integer), "limit",
                  S(integer), "offset", S(integer)),
        "Experiment",
        json_pack("{s:s, s:{s:o, s:o, s:o, s:o, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
                  "s:o, s:o, s:o}}",
                  "type", "object", "properties", "id", S(integer), "campaign", S(str), "number",
                  S(integer), "status", S(str), "parameters", "type", "object", "prediction",
                  "type", "object", "lease", "type", "object", "outcome", "type", "object",
                  "partial", "type", "object", "reason", S(str), "created", S(num), "updated",
                  S(num)),
        "ExperimentList",
        json_pack("{s:s, s:{s:{s:s, s:{s:s}}, s:o, s:o, s:o}}", "type", "object", "properties",
                  "items", "type", "array", "items", "$ref", "#/components/schemas/Experiment",
                  "total", S(integer), "limit", S(integer), "offset", S(integer)),
        "Suggestion",
        json_pack("{s:s, s:{s:{s:s, s:{s:s}}}}", "type", "object", "properties", "experiments",
                  "type", "array", "items", "$ref", "#/components/schemas/Experiment"),
        "TellResult",
        json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "type", "object", "properties", "experiment",
                  "$ref", "#/components/schemas/Experiment", "replayed", "type", "boolean"),
        "Dataset",
        json_pack("{s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}", "type",
                  "object", "properties", "name", S(str), "version", S(integer), "project",
                  S(str), "classification", S(str), "title", S(str), "rows", S(integer),
                  "columns", json_pack("{s:s}", "type", "array"), "content_hash", S(str),
                  "imported_by", S(str), "imported_at", S(num)),
        "DatasetList",
        json_pack("{s:s, s:{s:{s:s, s:{s:s}}, s:o, s:o, s:o}}", "type", "object", "properties",
                  "items", "type", "array", "items", "$ref", "#/components/schemas/Dataset",
                  "total", S(integer), "limit", S(integer), "offset", S(integer)));
#undef S
    json_decref(num);
    json_decref(str);
    json_decref(integer);
    return json_pack("{s:o, s:{s:{s:s, s:s}}}", "schemas", schemas, "securitySchemes", "bearer",
                     "type", "http", "scheme", "bearer");
}

json_t *gn__openapi(void)
{
    size_t n, i;
    const gn__route *r = gn__routes(&n);
    json_t *paths = json_object(), *doc;

    for (i = 0; paths && i < n; i++) {
        json_t *item = json_object_get(paths, r[i].pattern);
        char method[8];
        size_t k;
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r[i].pattern, item);
        }
        for (k = 0; r[i].method[k] && k + 1 < sizeof method; k++)
            method[k] = (char)(r[i].method[k] | 0x20);
        method[k] = '\0';
        json_object_set_new(item, method, operation(&r[i]));
    }
    doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:o}", "openapi", "3.0.3", "info", "title",
                    "Genesis", "version", GENESIS_VERSION, "description",
                    "Ask/tell over HTTP for robots and remote sites (docs/api.md)", "paths",
                    paths, "components", components());
    return doc;
}
