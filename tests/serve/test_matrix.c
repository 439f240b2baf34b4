/*
 * test_matrix.c - the authorisation matrix, generated and run against the
 * real `genesis serve`:
 *
 *   every route of GET /api/v1/openapi.json (so a new route is covered as
 *   soon as it is documented; a route this file has no rule for fails)
 *   x caller role in the project: none, viewer, experimenter, maintainer, admin
 *   x caller clearance: public, internal, controlled, restricted
 *   x object classification: public, internal, controlled, restricted
 *   x the caller owns the object, or someone else does
 *   + attempts to write fields nobody may set (owner, id, state, created,
 *     classification, project) and to create above one's clearance.
 *
 * The expected answer is computed from the rules of serve/identity.h and
 * docs/api.md, never from the server: an object the caller cannot see
 * (not a member, or clearance below its classification) is 404 and absent
 * from lists and totals; one they see with too low a role is 403; anything
 * else succeeds. Ownership grants nothing. Without a valid token: 401 (or
 * 429 once failed authentications are throttled).
 *
 * The "owner" cases make every object with user `owner` (maintainer,
 * restricted) and then move owner through every role and clearance with
 * `genesis project member` while the server runs. Failures are collected
 * and printed together: route, caller, role, clearance, classification,
 * owner/other, the status seen and the one expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e_harness.h"
#include "gn_test.h"

#define NCLS 4
#define NROLE 5
#define POOL_PER_CLASS 96

static const char *const CLS[NCLS] = {"public", "internal", "controlled", "restricted"};
static const char *const ROLES[NROLE] = {"none", "viewer", "experimenter", "maintainer", "admin"};

/* What a route does to what, in the terms of identity.h. */
typedef enum {
    A_NONE,   /* no token needed */
    A_ANY,    /* any authenticated caller, no object */
    A_LIST,   /* a listing: 200, filtered to what the caller sees */
    A_CREATE, /* create a campaign: maintainer, clearance >= classification */
    A_READ,   /* viewer on the object */
    A_EXP,    /* experimenter on the object */
    A_MANAGE  /* maintainer on the object */
} act_t;

typedef enum {
    O_NONE,
    O_CAMPAIGN,
    O_ARCHIVE_TARGET,
    O_EXPERIMENT,
    O_FRESH_EXPERIMENT,
    O_DATASET
} obj_t;

typedef struct rule {
    const char *method, *path; /* as in openapi.json, under /api/v1 */
    act_t act;
    obj_t obj;
    const char *body; /* a valid body ("%s": a unique key), NULL: none */
    int order;        /* within a cell: reads first, archive last */
} rule;

static const rule RULES[] = {
    {"GET", "/api/v1/health", A_NONE, O_NONE, NULL, 0},
    {"GET", "/api/v1/openapi.json", A_NONE, O_NONE, NULL, 0},
    {"GET", "/api/v1/me", A_ANY, O_NONE, NULL, 0},
    {"GET", "/api/v1/campaigns", A_LIST, O_NONE, NULL, 0},
    {"GET", "/api/v1/campaigns/{name}", A_READ, O_CAMPAIGN, NULL, 0},
    {"GET", "/api/v1/campaigns/{name}/experiments", A_READ, O_CAMPAIGN, NULL, 0},
    {"GET", "/api/v1/experiments/{id}", A_READ, O_EXPERIMENT, NULL, 0},
    {"GET", "/api/v1/datasets", A_LIST, O_NONE, NULL, 0},
    {"GET", "/api/v1/datasets/{name}", A_READ, O_DATASET, NULL, 0},
    {"POST", "/api/v1/campaigns/{name}/suggest", A_EXP, O_CAMPAIGN,
     "{\"count\": 1, \"lease_seconds\": 600}", 1},
    {"POST", "/api/v1/experiments/{id}/lease", A_EXP, O_EXPERIMENT, "{\"lease_seconds\": 600}", 1},
    {"POST", "/api/v1/experiments/{id}/outcome", A_EXP, O_FRESH_EXPERIMENT,
     "{\"key\": \"%s\", \"outcome\": {\"f\": 1.25}}", 2},
    {"POST", "/api/v1/experiments/{id}/abandon", A_EXP, O_FRESH_EXPERIMENT,
     "{\"reason\": \"matrix\"}", 2},
    {"POST", "/api/v1/campaigns/{name}/pause", A_MANAGE, O_CAMPAIGN, NULL, 3},
    {"POST", "/api/v1/campaigns/{name}/resume", A_MANAGE, O_CAMPAIGN, NULL, 4},
    {"POST", "/api/v1/campaigns/{name}/archive", A_MANAGE, O_ARCHIVE_TARGET, NULL, 5},
    {"POST", "/api/v1/campaigns", A_CREATE, O_NONE, NULL, 6},
};

typedef struct route {
    char method[8];
    char path[256];
    const rule *r;
} route;

typedef struct caller {
    char name[64];
    char token[64];
    int role;  /* index in ROLES; 0: not a member of lab */
    int clr;   /* index in CLS */
    int owner; /* the caller owns every object */
    int server_admin;
    int unauth; /* 1: no token, 2: an unknown token, 3: a malformed one */
} caller;

typedef struct fixture {
    e2e_server srv;
    char oracle[64]; /* admin, restricted in lab: sees everything there */
    caller owner;
    route routes[64];
    size_t n_routes;
    long long fixed_exp[NCLS];
    long long pool[NCLS][POOL_PER_CLASS];
    size_t pool_used[NCLS];
    int campaigns_in_lab[NCLS]; /* the model: campaigns of each class in lab */
    int datasets_in_lab[NCLS];
    int created;
    size_t failures, checks;
    char report[65536];
    size_t report_len;
} fixture;

static void failure(fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure(fixture *f, const char *fmt, ...)
{
    va_list ap;
    f->failures++;
    if (f->report_len + 400 >= sizeof f->report)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(f->report + f->report_len, sizeof f->report - f->report_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->report_len += (size_t)n < sizeof f->report - f->report_len ? (size_t)n : 0;
    if (f->report_len + 1 < sizeof f->report) {
        f->report[f->report_len++] = '\n';
        f->report[f->report_len] = '\0';
    }
}

static const char *caller_desc(const caller *c, char *buf, size_t size)
{
    if (c->unauth)
        snprintf(buf, size, "%s",
                 c->unauth == 1   ? "no token"
                 : c->unauth == 2 ? "unknown token"
                                  : "malformed token");
    else if (c->server_admin)
        snprintf(buf, size, "%s (server admin)", c->name);
    else
        snprintf(buf, size, "%s (role %s, clearance %s, %s)", c->name, ROLES[c->role],
                 c->role ? CLS[c->clr] : "-", c->owner ? "owner" : "other");
    return buf;
}

/* ---- the expected answer ---------------------------------------------------- */

static int sees(const caller *c, int cls)
{
    if (c->server_admin)
        return 1;
    return c->role > 0 && c->clr >= cls;
}

static int role_at_least(const caller *c, int role) { return c->server_admin || c->role >= role; }

/* The status docs/api.md and identity.h prescribe. */
static long expected(const caller *c, const rule *r, int cls, int ok)
{
    if (r->act == A_NONE)
        return 200;
    if (c->unauth)
        return 401;
    switch (r->act) {
    case A_ANY:
    case A_LIST: return 200;
    case A_CREATE:
        if (!c->server_admin && c->role == 0)
            return 404;
        if (!role_at_least(c, 3) || !sees(c, cls))
            return 403;
        return 201;
    case A_READ:
    case A_EXP:
    case A_MANAGE: {
        int need = r->act == A_READ ? 1 : r->act == A_EXP ? 2 : 3;
        if (!sees(c, cls))
            return 404;
        if (!role_at_least(c, need))
            return 403;
        return ok;
    }
    default: return 0;
    }
}

/* ---- the fixture ---------------------------------------------------------------- */

static json_t *as(fixture *f, const char *token, const char *method, const char *path, long want,
                  const char *body)
{
    return e2e_call(&f->srv, method, path, token, body, want);
}

static void make_campaign(fixture *f, const char *token, const char *name, int cls)
{
    char spec[1024];
    e2e_spec(spec, sizeof spec, name, "sobol", 100000);
    json_decref(e2e_callf(&f->srv, "POST", "/campaigns", token, 201, "{s:s, s:s, s:s}", "spec",
                          spec, "project", "lab", "classification", CLS[cls]));
    f->campaigns_in_lab[cls]++;
}

static void lease_into(fixture *f, int cls, long long *ids, size_t n)
{
    char path[128];
    size_t got = 0;
    snprintf(path, sizeof path, "/campaigns/m-%s/suggest", CLS[cls]);
    while (got < n) {
        json_t *r = e2e_callf(&f->srv, "POST", path, f->oracle, 200, "{s:i, s:i}", "count",
                              (int)(n - got > 64 ? 64 : n - got), "lease_seconds", 3600);
        json_t *exps = json_object_get(r, "experiments");
        assert_true(json_array_size(exps) > 0);
        for (size_t i = 0; i < json_array_size(exps); i++)
            ids[got++] = e2e_int(json_array_get(exps, i), "id");
        json_decref(r);
    }
}

static void read_routes(fixture *f)
{
    json_t *doc = as(f, NULL, "GET", "/openapi.json", 200, NULL);
    json_t *paths = json_object_get(doc, "paths");
    const char *prefix = "";
    json_t *servers = json_object_get(doc, "servers");
    const char *surl = e2e_str(json_array_get(servers, 0), "url");
    if (strstr(surl, "/api/v1"))
        prefix = "/api/v1";
    assert_true(json_object_size(paths) > 0);
    const char *p;
    json_t *ops;
    json_object_foreach (paths, p, ops) {
        const char *m;
        json_t *op;
        json_object_foreach (ops, m, op) {
            char method[8];
            size_t k;
            if (strcmp(m, "get") && strcmp(m, "post") && strcmp(m, "put") && strcmp(m, "patch") &&
                strcmp(m, "delete"))
                continue;
            for (k = 0; m[k] && k < sizeof method - 1; k++)
                method[k] = (char)(m[k] - 'a' + 'A');
            method[k] = '\0';
            assert_true(f->n_routes < sizeof f->routes / sizeof f->routes[0]);
            route *rt = &f->routes[f->n_routes++];
            snprintf(rt->method, sizeof rt->method, "%s", method);
            snprintf(rt->path, sizeof rt->path, "%s%s", strncmp(p, "/api/v1", 7) ? prefix : "", p);
            rt->r = NULL;
            for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++)
                if (!strcmp(RULES[i].method, rt->method) && !strcmp(RULES[i].path, rt->path))
                    rt->r = &RULES[i];
            if (!rt->r)
                fail_msg("openapi.json documents %s %s, which test_matrix.c has no authorisation "
                         "rule for: add one to RULES",
                         rt->method, rt->path);
        }
    }
    json_decref(doc);
    /* and every rule is a documented route (else the rule is stale) */
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        size_t k;
        for (k = 0; k < f->n_routes; k++)
            if (f->routes[k].r == &RULES[i])
                break;
        if (k == f->n_routes)
            fail_msg("test_matrix.c has a rule for %s %s, which openapi.json does not document",
                     RULES[i].method, RULES[i].path);
    }
    print_message("matrix: %zu routes from openapi.json\n", f->n_routes);
}

/* The database: projects lab and other, users oracle and owner, datasets
 * d-C of every classification (the genesis command, server not running). */
static void fixture_start(fixture *f, const char *name)
{
    static const char *const owner_m[][3] = {{"lab", "maintainer", "restricted"}};
    static const char *const oracle_m[][3] = {{"lab", "admin", "restricted"}};
    char csv[700];
    memset(f, 0, sizeof *f);
    e2e_server_init(&f->srv, name);
    e2e_cli_ok(&f->srv, NULL, 0, "project add lab");
    e2e_cli_ok(&f->srv, NULL, 0, "project add other");
    e2e_user(&f->srv, "oracle", f->oracle, 1, oracle_m);
    snprintf(f->owner.name, sizeof f->owner.name, "owner");
    e2e_user(&f->srv, "owner", f->owner.token, 1, owner_m);
    f->owner.owner = 1;
    snprintf(csv, sizeof csv, "%s/rows.csv", f->srv.dir);
    FILE *fp = fopen(csv, "w");
    assert_non_null(fp);
    fputs("x1,x2,f\n1,2,3\n4,5,6\n", fp);
    fclose(fp);
    for (int c = 0; c < NCLS; c++) {
        e2e_cli_ok(&f->srv, NULL, 0,
                   "data add '%s' --name d-%s --project lab --classification %s --user owner", csv,
                   CLS[c], CLS[c]);
        f->datasets_in_lab[c]++;
    }
}

/* Starts the server on the fixture's database and makes the objects: per
 * classification a campaign m-C (every route), a campaign a-C (archive),
 * and experiments of m-C leased beforehand. */
static void fixture_serve(fixture *f)
{
    e2e_server_start(&f->srv);
    read_routes(f);
    for (int c = 0; c < NCLS; c++) {
        char n[64];
        snprintf(n, sizeof n, "m-%s", CLS[c]);
        make_campaign(f, f->owner.token, n, c);
        snprintf(n, sizeof n, "a-%s", CLS[c]);
        make_campaign(f, f->owner.token, n, c);
        lease_into(f, c, &f->fixed_exp[c], 1);
        lease_into(f, c, f->pool[c], POOL_PER_CLASS);
    }
}

/* A member of lab with role/clearance (role 0: a member of `other` only). */
static void make_caller(fixture *f, caller *c, int role, int clr)
{
    memset(c, 0, sizeof *c);
    c->role = role;
    c->clr = clr;
    if (role == 0) {
        static const char *const m[][3] = {{"other", "admin", "restricted"}};
        snprintf(c->name, sizeof c->name, "u-none");
        e2e_user(&f->srv, c->name, c->token, 1, m);
    } else {
        const char *m[1][3] = {{"lab", ROLES[role], CLS[clr]}};
        snprintf(c->name, sizeof c->name, "u-%s-%s", ROLES[role], CLS[clr]);
        e2e_user(&f->srv, c->name, c->token, 1, m);
    }
}

/* ---- one cell: a caller, a classification, every route ------------------------- */

static void path_for(fixture *f, const route *rt, int cls, long long exp, char *out, size_t size)
{
    const char *p = rt->path;
    size_t n = (size_t)snprintf(out, size, "%s", f->srv.base);
    while (*p && n + 1 < size) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            assert_non_null(end);
            char val[64];
            /* the segment before the parameter says what it names */
            if (strstr(rt->path, "/campaigns/{"))
                snprintf(val, sizeof val, "%s-%s", rt->r->obj == O_ARCHIVE_TARGET ? "a" : "m",
                         CLS[cls]);
            else if (strstr(rt->path, "/experiments/{"))
                snprintf(val, sizeof val, "%lld", exp);
            else if (strstr(rt->path, "/datasets/{"))
                snprintf(val, sizeof val, "d-%s", CLS[cls]);
            else
                fail_msg("route %s: no value for parameter %.*s", rt->path, (int)(end - p + 1), p);
            n += (size_t)snprintf(out + n, size - n, "%s", val);
            p = end + 1;
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
}

static const char *token_of(const caller *c)
{
    if (c->unauth == 1)
        return NULL;
    if (c->unauth == 2)
        return "gns_QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
    if (c->unauth == 3)
        return "not-a-token";
    return c->token;
}

static long request(fixture *f, const caller *c, const char *method, const char *url,
                    const char *body, e2e_resp *r)
{
    static CURL *h;
    if (!h)
        h = curl_easy_init();
    f->checks++;
    return e2e_http(h, &f->srv, method, url, token_of(c), body, NULL, NULL, r);
}

static int status_ok(const caller *c, long want, long got)
{
    if (got == want)
        return 1;
    /* once failed authentications from this address are throttled */
    return c->unauth && want == 401 && got == 429;
}

/* The list checks: totals and items are what the caller may see. */
static void check_list(fixture *f, const caller *c, const route *rt, const e2e_resp *r)
{
    char who[200];
    caller_desc(c, who, sizeof who);
    if (c->unauth || r->status != 200)
        return;
    int campaigns = strstr(rt->path, "/campaigns") != NULL;
    const int *model = campaigns ? f->campaigns_in_lab : f->datasets_in_lab;
    long long want = 0;
    for (int k = 0; k < NCLS; k++)
        if (sees(c, k))
            want += model[k];
    long long total = e2e_int(r->json, "total");
    if (total != want)
        failure(f, "GET %s as %s: total %lld, expected %lld (only what the caller sees)", rt->path,
                who, total, want);
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(r->json, "items"), i, it) {
        const char *cl = e2e_str(it, "classification");
        int k;
        for (k = 0; k < NCLS; k++)
            if (!strcmp(cl, CLS[k]))
                break;
        if (k == NCLS || !sees(c, k) || strcmp(e2e_str(it, "project"), "lab"))
            failure(f,
                    "GET %s as %s: lists %s of project %s, classification '%s', which the "
                    "caller may not see",
                    rt->path, who, e2e_str(it, "name"), e2e_str(it, "project"), cl);
    }
    /* filters: a classification above the caller's clearance is empty
     * (campaigns); a project the caller is not in is empty (both) */
    for (int k = 0; k < (campaigns ? NCLS : 0); k++) {
        char url[512];
        e2e_resp fr;
        snprintf(url, sizeof url, "%s%s?classification=%s", f->srv.base, rt->path, CLS[k]);
        request(f, c, "GET", url, NULL, &fr);
        long long fw = sees(c, k) ? model[k] : 0;
        if (fr.status != 200 || e2e_int(fr.json, "total") != fw)
            failure(f,
                    "GET %s?classification=%s as %s: status %ld, total %lld, expected 200 and %lld",
                    rt->path, CLS[k], who, fr.status, e2e_int(fr.json, "total"), fw);
        e2e_resp_free(&fr);
    }
    for (int k = 0; k < 2; k++) {
        char url[512];
        e2e_resp fr;
        snprintf(url, sizeof url, "%s%s?project=%s", f->srv.base, rt->path, k ? "other" : "lab");
        request(f, c, "GET", url, NULL, &fr);
        long long fw = k ? 0 : want;
        if (fr.status != 200 || e2e_int(fr.json, "total") != fw)
            failure(f, "GET %s?project=%s as %s: status %ld, total %lld, expected 200 and %lld",
                    rt->path, k ? "other" : "lab", who, fr.status, e2e_int(fr.json, "total"), fw);
        e2e_resp_free(&fr);
    }
}

static const char *const FORBIDDEN_FIELDS[] = {
    "\"owner\": \"mallory\"",         "\"id\": 1",
    "\"state\": \"archived\"",        "\"created\": 0",
    "\"classification\": \"public\"", "\"project\": \"other\""};

/* A body with one forbidden field added to `body` (NULL: {}). */
static void with_field(const char *body, const char *field, char *out, size_t size)
{
    if (!body || !strchr(body, ':'))
        snprintf(out, size, "{%s}", field);
    else
        snprintf(out, size, "{%s, %s", field, strchr(body, '{') + 1);
}

static void run_cell(fixture *f, const caller *c, int cls)
{
    char who[200], url[512], body[2048], key[128];
    route *order[64];
    size_t n = 0;
    for (int o = 0; o <= 6; o++)
        for (size_t i = 0; i < f->n_routes; i++)
            if (f->routes[i].r->order == o)
                order[n++] = &f->routes[i];
    caller_desc(c, who, sizeof who);

    long long fresh = 0;
    for (size_t i = 0; i < n; i++) {
        const route *rt = order[i];
        const rule *r = rt->r;
        /* lists and object-less routes once per caller, not per class */
        if (r->obj == O_NONE && r->act != A_CREATE && cls != 0)
            continue;
        long long exp = f->fixed_exp[cls];
        if (r->obj == O_FRESH_EXPERIMENT) {
            if (f->pool_used[cls] >= POOL_PER_CLASS)
                fail_msg("the pool of experiments of class %s ran out", CLS[cls]);
            exp = fresh = f->pool[cls][f->pool_used[cls]++];
        }
        path_for(f, rt, cls, exp, url, sizeof url);
        snprintf(key, sizeof key, "k-%s-%d-%lld", c->name, c->owner, exp);
        const char *valid = NULL;
        char spec[1024], name[128];
        if (r->act == A_CREATE) {
            snprintf(name, sizeof name, "n-%s-%s-%s", c->unauth ? "anon" : c->name,
                     c->owner ? ROLES[c->role] : "x", CLS[cls]);
            if (c->owner)
                snprintf(name + strlen(name), sizeof name - strlen(name), "-%s", CLS[c->clr]);
            e2e_spec(spec, sizeof spec, name, "sobol", 10);
            json_t *b = json_pack("{s:s, s:s, s:s}", "spec", spec, "project", "lab",
                                  "classification", CLS[cls]);
            char *t = json_dumps(b, JSON_COMPACT);
            snprintf(body, sizeof body, "%s", t);
            free(t);
            json_decref(b);
            valid = body;
        } else if (r->body) {
            snprintf(body, sizeof body, r->body, key);
            valid = body;
        }

        /* forbidden fields first: they must change nothing */
        if (!strcmp(rt->method, "POST")) {
            for (size_t k = 0; k < sizeof FORBIDDEN_FIELDS / sizeof FORBIDDEN_FIELDS[0]; k++) {
                char fb[2300];
                if (r->act == A_CREATE && (strstr(FORBIDDEN_FIELDS[k], "classification") ||
                                           strstr(FORBIDDEN_FIELDS[k], "project")))
                    continue; /* those are the create's own fields */
                with_field(valid, FORBIDDEN_FIELDS[k], fb, sizeof fb);
                e2e_resp fr;
                request(f, c, "POST", url, fb, &fr);
                long authz = expected(c, r, cls, 200);
                int ok = fr.status == 400 || (authz == 404 && fr.status == 404) ||
                         (authz == 403 && fr.status == 403) ||
                         (authz == 401 && (fr.status == 401 || fr.status == 429));
                if (!ok)
                    failure(f, "%s %s as %s, object %s, with %s: status %ld, expected %s",
                            rt->method, rt->path, who, CLS[cls], FORBIDDEN_FIELDS[k], fr.status,
                            authz == 200   ? "400"
                            : authz == 404 ? "404 (or 400)"
                            : authz == 403 ? "403 (or 400)"
                                           : "401");
                else if (fr.status == 400 && authz == 200 &&
                         strcmp(e2e_str(json_object_get(fr.json, "error"), "code"),
                                "unknown_field"))
                    failure(f, "%s %s as %s with %s: 400 %s, expected unknown_field", rt->method,
                            rt->path, who, FORBIDDEN_FIELDS[k],
                            e2e_str(json_object_get(fr.json, "error"), "code"));
                e2e_resp_free(&fr);
            }
        }

        e2e_resp resp;
        request(f, c, rt->method, url, valid, &resp);
        long want = expected(c, r, cls, r->act == A_CREATE ? 201 : 200);
        if (!status_ok(c, want, resp.status)) {
            failure(f, "%s %s as %s, object classification %s: status %ld, expected %ld (%.160s)",
                    rt->method, rt->path, who, CLS[cls], resp.status, want, resp.body);
        } else if (want == 404 &&
                   strcmp(e2e_str(json_object_get(resp.json, "error"), "code"), "not_found")) {
            failure(f, "%s %s as %s: 404 without code not_found", rt->method, rt->path, who);
        }
        if (r->act == A_CREATE && resp.status == 201)
            f->campaigns_in_lab[cls]++;
        if (r->act == A_LIST)
            check_list(f, c, rt, &resp);
        e2e_resp_free(&resp);
    }
    (void)fresh;
}

/* An object changed by nobody who may: owner, classification, project. */
static void objects_unchanged(fixture *f)
{
    for (int c = 0; c < NCLS; c++) {
        char path[128];
        snprintf(path, sizeof path, "/campaigns/m-%s", CLS[c]);
        json_t *j = as(f, f->oracle, "GET", path, 200, NULL);
        if (strcmp(e2e_str(j, "owner"), "owner") || strcmp(e2e_str(j, "classification"), CLS[c]) ||
            strcmp(e2e_str(j, "project"), "lab") || strcmp(e2e_str(j, "state"), "active"))
            failure(f, "campaign m-%s changed: owner %s, classification %s, project %s, state %s",
                    CLS[c], e2e_str(j, "owner"), e2e_str(j, "classification"),
                    e2e_str(j, "project"), e2e_str(j, "state"));
        json_decref(j);
    }
}

static void finish(fixture *f, const char *what, int check_objects)
{
    if (check_objects)
        objects_unchanged(f);
    print_message("matrix (%s): %zu requests, %zu wrong\n", what, f->checks, f->failures);
    if (f->failures)
        fail_msg("%zu of %zu answers differ from the rules:\n%s", f->failures, f->checks,
                 f->report);
}

/* ---- cases -------------------------------------------------------------------- */

/* Callers who own nothing: every role x clearance, plus role none. */
static void others_every_role_clearance_class(void **state)
{
    static fixture f;
    (void)state;
    static caller cs[NROLE * NCLS];
    size_t n = 0;
    fixture_start(&f, "matrix-others");
    for (int role = 0; role < NROLE; role++) {
        for (int clr = 0; clr < NCLS; clr++) {
            if (role == 0 && clr > 0)
                break;
            make_caller(&f, &cs[n++], role, clr);
        }
    }
    fixture_serve(&f);
    for (size_t i = 0; i < n; i++)
        for (int cls = 0; cls < NCLS; cls++)
            run_cell(&f, &cs[i], cls);
    finish(&f, "others", 1);
}

/* A membership changed while the server runs takes effect within the
 * server's principal cache time (1 s, docs/serve.md): wait it out. */
static void membership_changed(void)
{
    struct timespec ts = {1, 100000000};
    nanosleep(&ts, NULL);
}

/* The owner of every object, moved through every role and clearance:
 * owning an object gives no right the membership does not. */
static void owner_gets_no_extra_rights(void **state)
{
    static fixture f;
    char out[4096];
    (void)state;
    fixture_start(&f, "matrix-owner");
    fixture_serve(&f);
    for (int role = 1; role < NROLE; role++) {
        for (int clr = 0; clr < NCLS; clr++) {
            e2e_cli_ok(&f.srv, NULL, 0, "project member lab owner --role %s --clearance %s",
                       ROLES[role], CLS[clr]);
            membership_changed();
            f.owner.role = role;
            f.owner.clr = clr;
            for (int cls = 0; cls < NCLS; cls++)
                run_cell(&f, &f.owner, cls);
        }
    }
    /* no longer a member at all */
    if (e2e_cli(&f.srv, out, sizeof out, "project remove-member lab owner") == 0 ||
        e2e_cli(&f.srv, out, sizeof out, "project member lab owner --remove") == 0) {
        membership_changed();
        f.owner.role = 0;
        for (int cls = 0; cls < NCLS; cls++)
            run_cell(&f, &f.owner, cls);
    } else {
        print_message("matrix: no command removes a membership; owner with role none not run\n");
    }
    /* back as maintainer, so that objects_unchanged reads as before */
    e2e_cli_ok(&f.srv, NULL, 0,
               "project member lab owner --role maintainer --clearance restricted");
    membership_changed();
    finish(&f, "owner", 1);
}

/* Server administrators see everything; callers without a valid token
 * get nothing but health and the API description. */
static void admin_and_unauthenticated(void **state)
{
    static fixture f;
    caller c;
    char out[4096];
    (void)state;
    fixture_start(&f, "matrix-anon");
    memset(&c, 0, sizeof c);
    int have_admin = e2e_cli(&f.srv, NULL, 0, "user add root --admin") == 0;
    if (have_admin) {
        e2e_cli_ok(&f.srv, out, sizeof out, "token create root");
        const char *t = strstr(out, "gns_");
        assert_non_null(t);
        snprintf(c.token, sizeof c.token, "%.47s", t);
        snprintf(c.name, sizeof c.name, "root");
        c.server_admin = 1;
        c.role = 4;
        c.clr = 3;
    }
    fixture_serve(&f);
    if (have_admin) {
        for (int cls = 0; cls < NCLS; cls++)
            run_cell(&f, &c, cls);
    } else {
        print_message("matrix: `genesis user add NAME --admin` failed; server admin not run\n");
    }
    /* last: failed authentications get this address throttled (429) */
    objects_unchanged(&f);
    for (int u = 1; u <= 3; u++) {
        memset(&c, 0, sizeof c);
        c.unauth = u;
        snprintf(c.name, sizeof c.name, "anon%d", u);
        for (int cls = 0; cls < NCLS; cls++)
            run_cell(&f, &c, cls);
    }
    finish(&f, "admin and unauthenticated", 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(others_every_role_clearance_class, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(owner_gets_no_extra_rights, NULL, e2e_teardown),
        cmocka_unit_test_setup_teardown(admin_and_unauthenticated, NULL, e2e_teardown),
    };
    e2e_require_serve();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
