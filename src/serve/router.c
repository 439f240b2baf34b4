/*
 * serve/router.c - the route table of the API and the matching of
 * requests against it.
 *
 * The table is the single source of truth: the server dispatches from it
 * and openapi.c documents from it (paths, parameters, bodies, responses),
 * so the document and the routes cannot drift. docs/api.md is the prose
 * version; tests/serve/test_openapi.c checks both directions.
 *
 * Paths are matched segment by segment on the raw, still percent-encoded
 * request path: each segment is decoded strictly (bad escapes, NUL, "/"
 * inside a segment, "." and ".." are refused) and bounded before it is
 * compared or handed to a handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http.h"

/* handlers (routes.c) */
void gn__h_health(gn__call *c);
void gn__h_openapi(gn__call *c);
void gn__h_me(gn__call *c);
void gn__h_campaign_list(gn__call *c);
void gn__h_campaign_create(gn__call *c);
void gn__h_campaign_get(gn__call *c);
void gn__h_campaign_pause(gn__call *c);
void gn__h_campaign_resume(gn__call *c);
void gn__h_campaign_archive(gn__call *c);
void gn__h_experiment_list(gn__call *c);
void gn__h_suggest(gn__call *c);
void gn__h_experiment_get(gn__call *c);
void gn__h_tell(gn__call *c);
void gn__h_abandon(gn__call *c);
void gn__h_lease(gn__call *c);
void gn__h_dataset_list(gn__call *c);
void gn__h_dataset_get(gn__call *c);
int gn__serve_tell_check(const json_t *body, gn__req_error *e);

/* ---- schemas ------------------------------------------------------------------ */

static const char *const classes[] = {"public", "internal", "controlled", "restricted", NULL};
static const char *const camp_states[] = {"active", "paused", "completed", "archived", NULL};
static const char *const exp_states[] = {"proposed", "running", "completed", "failed",
                                         "abandoned", NULL};

#define PAGING                                                                               \
    {"limit", GN__F_INT, 0, 1, 1000, NULL, "page size (default 100)"},                       \
    {                                                                                        \
        "offset", GN__F_INT, 0, 0, 1000000000LL, NULL, "items to skip (default 0)"           \
    }

static const gn__field q_campaigns[] = {
    PAGING,
    {"project", GN__F_NAME, 0, 1, GN_HTTP_NAME_MAX, NULL, "only campaigns of this project"},
    {"state", GN__F_ENUM, 0, 1, 16, camp_states, "only campaigns in this state"},
    {"classification", GN__F_ENUM, 0, 1, 16, classes, "only campaigns of this classification"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field q_experiments[] = {
    PAGING,
    {"status", GN__F_ENUM, 0, 1, 16, exp_states, "only experiments with this status"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field q_datasets[] = {
    PAGING,
    {"project", GN__F_NAME, 0, 1, GN_HTTP_NAME_MAX, NULL, "only datasets of this project"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field q_dataset[] = {
    {"version", GN__F_INT, 0, 1, 1000000000LL, NULL, "a version other than the latest"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

static const gn__field b_create[] = {
    {"spec", GN__F_TEXT, 1, 1, 1 << 20, NULL, "the campaign spec, YAML or JSON text"},
    {"project", GN__F_NAME, 1, 1, GN_HTTP_NAME_MAX, NULL, "the project it belongs to"},
    {"classification", GN__F_ENUM, 0, 1, 16, classes,
     "default internal; at most the caller's clearance"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field b_suggest[] = {
    {"count", GN__F_INT, 0, 1, 64, NULL, "how many experiments (default 1)"},
    {"lease_seconds", GN__F_INT, 0, 1, 86400, NULL, "lease length (default 3600)"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field b_tell[] = {
    {"key", GN__F_KEY, 0, 1, 128, NULL, "idempotency key (or the Idempotency-Key header)"},
    {"outcome", GN__F_NUMBERS, 0, 1, 256, NULL, "every objective, finite numbers"},
    {"failure", GN__F_TEXT, 0, 1, 1000, NULL, "why the experiment failed"},
    {"partial", GN__F_NUMBERS, 0, 1, 256, NULL, "some measured values; status unchanged"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field b_abandon[] = {
    {"reason", GN__F_TEXT, 0, 0, 1000, NULL, "why"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field b_lease[] = {
    {"lease_seconds", GN__F_INT, 0, 1, 86400, NULL, "new lease length from now (default 3600)"},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const gn__field b_none[] = {{NULL, 0, 0, 0, 0, NULL, NULL}};

/* ---- the table ------------------------------------------------------------------ */

static const int e_public[] = {429, 500, 0};
static const int e_read[] = {400, 401, 429, 500, 503, 0};
static const int e_get[] = {400, 401, 404, 429, 500, 503, 0};
static const int e_create[] = {400, 401, 403, 404, 409, 411, 413, 415, 429, 500, 503, 0};
static const int e_write[] = {400, 401, 403, 404, 409, 411, 413, 415, 429, 500, 503, 0};

#define R(m, p, fn, auth, act, op, sum, body, chk, q, ok, schema, errs)                      \
    {m, p, fn, auth, act, op, sum, body, chk, q, ok, schema, errs}

static const gn__route routes[] = {
    R("GET", "/api/v1/health", gn__h_health, 0, GN_ACT_READ, "health",
      "Liveness and version", NULL, NULL, NULL, 200, "Health", e_public),
    R("GET", "/api/v1/openapi.json", gn__h_openapi, 0, GN_ACT_READ, "openapi",
      "This API as OpenAPI 3.0", NULL, NULL, NULL, 200, "OpenAPI", e_public),
    R("GET", "/api/v1/me", gn__h_me, 1, GN_ACT_READ, "me",
      "The caller: user, token and memberships", NULL, NULL, NULL, 200, "Me", e_read),
    R("GET", "/api/v1/campaigns", gn__h_campaign_list, 1, GN_ACT_READ, "listCampaigns",
      "Campaigns the caller may see (role viewer)", NULL, NULL, q_campaigns, 200,
      "CampaignList", e_read),
    R("POST", "/api/v1/campaigns", gn__h_campaign_create, 1, GN_ACT_MANAGE, "createCampaign",
      "Create a campaign from spec text (role maintainer)", b_create, NULL, NULL, 201,
      "Campaign", e_create),
    R("GET", "/api/v1/campaigns/{name}", gn__h_campaign_get, 1, GN_ACT_READ, "getCampaign",
      "One campaign (role viewer)", NULL, NULL, NULL, 200, "Campaign", e_get),
    R("POST", "/api/v1/campaigns/{name}/pause", gn__h_campaign_pause, 1, GN_ACT_MANAGE,
      "pauseCampaign", "Pause: no suggestions until resumed (role maintainer)", b_none, NULL,
      NULL, 200, "Campaign", e_write),
    R("POST", "/api/v1/campaigns/{name}/resume", gn__h_campaign_resume, 1, GN_ACT_MANAGE,
      "resumeCampaign", "Resume a paused campaign (role maintainer)", b_none, NULL, NULL, 200,
      "Campaign", e_write),
    R("POST", "/api/v1/campaigns/{name}/archive", gn__h_campaign_archive, 1, GN_ACT_MANAGE,
      "archiveCampaign", "Archive a campaign, for good (role maintainer)", b_none, NULL, NULL,
      200, "Campaign", e_write),
    R("GET", "/api/v1/campaigns/{name}/experiments", gn__h_experiment_list, 1, GN_ACT_READ,
      "listExperiments", "Experiments of a campaign (role viewer)", NULL, NULL, q_experiments,
      200, "ExperimentList", e_get),
    R("POST", "/api/v1/campaigns/{name}/suggest", gn__h_suggest, 1, GN_ACT_EXPERIMENT,
      "suggest", "Ask: experiments to run, each leased to the caller (role experimenter)",
      b_suggest, NULL, NULL, 200, "Suggestion", e_write),
    R("GET", "/api/v1/experiments/{id}", gn__h_experiment_get, 1, GN_ACT_READ,
      "getExperiment", "One experiment (role viewer)", NULL, NULL, NULL, 200, "Experiment",
      e_get),
    R("POST", "/api/v1/experiments/{id}/outcome", gn__h_tell, 1, GN_ACT_EXPERIMENT, "tell",
      "Tell: an outcome, a failure or a partial outcome; idempotent with a key (role "
      "experimenter)",
      b_tell, gn__serve_tell_check, NULL, 200, "TellResult", e_write),
    R("POST", "/api/v1/experiments/{id}/abandon", gn__h_abandon, 1, GN_ACT_EXPERIMENT,
      "abandonExperiment", "Give up on an experiment (role experimenter)", b_abandon, NULL,
      NULL, 200, "Experiment", e_write),
    R("POST", "/api/v1/experiments/{id}/lease", gn__h_lease, 1, GN_ACT_EXPERIMENT,
      "renewLease", "Renew the lease of an experiment (role experimenter)", b_lease, NULL,
      NULL, 200, "Experiment", e_write),
    R("GET", "/api/v1/datasets", gn__h_dataset_list, 1, GN_ACT_READ, "listDatasets",
      "Dataset versions the caller may see, metadata only (role viewer)", NULL, NULL,
      q_datasets, 200, "DatasetList", e_read),
    R("GET", "/api/v1/datasets/{name}", gn__h_dataset_get, 1, GN_ACT_READ, "getDataset",
      "A dataset's latest (or ?version=N) metadata (role viewer)", NULL, NULL, q_dataset, 200,
      "Dataset", e_get),
};

const gn__route *gn__routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* ---- matching -------------------------------------------------------------------- */

#define MAX_SEGMENTS 8

typedef struct {
    size_t n;
    char seg[MAX_SEGMENTS][GN_HTTP_SEGMENT_MAX + 1];
    size_t len[MAX_SEGMENTS];
    char scratch[3 * GN_HTTP_SEGMENT_MAX + 1];
} segments;

/* Splits and decodes the path. 0 ok; 1 cannot match any route (too many
 * or empty segments: 404); -1 malformed (400). */
static int split(const char *path, segments *s, gn__req_error *e)
{
    const char *p = path, *q;
    size_t total = strlen(path);

    s->n = 0;
    if (total == 0 || total > GN_HTTP_PATH_MAX || path[0] != '/')
        return gn__req_fail(e, 400, "bad_request", NULL, "malformed request path");
    p++;
    while (1) {
        size_t n;
        long dn;
        q = strchr(p, '/');
        n = q ? (size_t)(q - p) : strlen(p);
        if (n == 0)
            return 1; /* "//" or a trailing '/' */
        if (s->n == MAX_SEGMENTS || n > 3 * GN_HTTP_SEGMENT_MAX)
            return 1;
        /* decoded into scratch space as long as the raw segment, then
         * bounded: the decoded text is never longer than the raw one */
        dn = gn__percent_decode(p, n, s->scratch);
        if (dn < 0)
            return gn__req_fail(e, 400, "bad_request", NULL,
                                "malformed request path (a bad %%-escape or a NUL)");
        if (dn > GN_HTTP_SEGMENT_MAX)
            return 1;
        memcpy(s->seg[s->n], s->scratch, (size_t)dn + 1);
        if (memchr(s->seg[s->n], '/', (size_t)dn) || !strcmp(s->seg[s->n], ".") ||
            !strcmp(s->seg[s->n], ".."))
            return gn__req_fail(e, 400, "bad_request", NULL,
                                "malformed request path ('/', '.' or '..' in a segment)");
        s->len[s->n] = (size_t)dn;
        s->n++;
        if (!q)
            break;
        p = q + 1;
    }
    return 0;
}

/* A positive decimal integer without sign or leading zeros, < 2^53. */
static int parse_id(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;
    if (n == 0 || n > 16 || s[0] == '0')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > ((int64_t)1 << 53))
        return 0;
    *out = v;
    return 1;
}

/* Does the pattern match the segments? Fills m's params. */
static int pattern_match(const char *pattern, const segments *s, gn__match *m)
{
    const char *p = pattern + 1;
    size_t i = 0;

    m->n_params = 0;
    m->id = 0;
    while (*p) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (i >= s->n)
            return 0;
        if (p[0] == '{') {
            if (n == 4 && !memcmp(p, "{id}", 4)) {
                if (!parse_id(s->seg[i], s->len[i], &m->id))
                    return 0;
            } else if (!gn__name_valid(s->seg[i], s->len[i])) {
                return 0;
            }
            if (m->n_params < GN_HTTP_MAX_PARAMS)
                memcpy(m->params[m->n_params++], s->seg[i], s->len[i] + 1);
        } else if (n != s->len[i] || memcmp(p, s->seg[i], n)) {
            return 0;
        }
        i++;
        p += n;
        if (*p == '/')
            p++;
    }
    return i == s->n;
}

int gn__route_match(const char *method, const char *path, gn__match *m, gn__req_error *e)
{
    segments *s;
    size_t i, n = sizeof routes / sizeof routes[0];
    int found_path = 0, rc;
    gn__match tmp;

    memset(m, 0, sizeof *m);
    if (!method || !path)
        return gn__req_fail(e, 400, "bad_request", NULL, "malformed request");
    if (!strcmp(method, "HEAD"))
        method = "GET";
    s = calloc(1, sizeof *s);
    if (!s)
        return gn__req_fail(e, 500, "internal", NULL, "out of memory");
    rc = split(path, s, e);
    if (rc != 0) {
        free(s);
        if (rc > 0)
            return gn__req_fail(e, 404, "not_found", NULL, "no such route");
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!pattern_match(routes[i].pattern, s, &tmp))
            continue;
        if (!strcmp(routes[i].method, method)) {
            *m = tmp;
            m->route = &routes[i];
            free(s);
            return 0;
        }
        if (!strstr(m->allow, routes[i].method)) {
            size_t l = strlen(m->allow);
            snprintf(m->allow + l, sizeof m->allow - l, "%s%s", l ? ", " : "", routes[i].method);
        }
        found_path = 1;
    }
    free(s);
    if (found_path)
        return gn__req_fail(e, 405, "method_not_allowed", NULL, "method %s not allowed here (allowed: %s)",
                            strlen(method) > 16 ? "(long)" : method, m->allow);
    return gn__req_fail(e, 404, "not_found", NULL, "no such route");
}
