/*
 * server_harness.c - see server_harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "campaign/internal.h"
#include "campaign/service.h"
#include "genesis/genesis.h"
#include "serve/identity.h"
#include "server_harness.h"
#include "store/store_serve.h"

static const char flow_spec[] =
    "name: %s\n"
    "parameters:\n"
    "  - {name: x, type: real, low: 0, high: 1}\n"
    "objectives:\n"
    "  - {name: y, goal: maximize}\n"
    "budget: {experiments: 20}\n";

static void token(gn_store *st, const char *user, char out[64])
{
    char secret[GN_TOKEN_LEN + 1];
    gn_err err;
    int64_t id;
    assert_int_equal(gn_token_create(st, user, "test", 0, secret, &id, &err), GN_OK);
    snprintf(out, 64, "%s", secret);
}

static void campaign(gn_db *db, const char *name, const char *cls)
{
    char text[512];
    gn_campaign *c = NULL;
    snprintf(text, sizeof text, flow_spec, name);
    assert_int_equal(gn__campaign_create_owned(db, text, strlen(text), "chem", cls, "alice", &c),
                     GN_OK);
    gn_campaign_close(c);
}

void ts_world_make(ts_world *w, const char *name)
{
    char cmd[1200], csv[700];
    gn_db *db = NULL;
    gn_store *st;
    gn_err err;
    FILE *f;
    gn_dataset_options dopt;

    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/serve-%s", GN_TEST_TMP, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", w->dir, w->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(w->db, sizeof w->db, "%s/lab.db", w->dir);
    assert_int_equal(gn_db_open(w->db, &db), GN_OK);
    st = db->store;
    assert_int_equal(gn_store_user_add(st, "root", 1, NULL, &err), GN_OK);
    assert_int_equal(gn_store_user_add(st, "alice", 0, NULL, &err), GN_OK);
    assert_int_equal(gn_store_user_add(st, "eve", 0, NULL, &err), GN_OK);
    assert_int_equal(gn_store_user_add(st, "vic", 0, NULL, &err), GN_OK);
    assert_int_equal(gn_store_user_add(st, "bob", 0, NULL, &err), GN_OK);
    assert_int_equal(gn_store_project_add(st, "chem", NULL, NULL, &err), GN_OK);
    assert_int_equal(gn_store_membership_set(st, "alice", "chem", "maintainer", "controlled", &err),
                     GN_OK);
    assert_int_equal(gn_store_membership_set(st, "eve", "chem", "experimenter", "internal", &err),
                     GN_OK);
    assert_int_equal(gn_store_membership_set(st, "vic", "chem", "viewer", "internal", &err), GN_OK);
    token(st, "root", w->root);
    token(st, "alice", w->alice);
    token(st, "eve", w->eve);
    token(st, "vic", w->vic);
    token(st, "bob", w->bob);
    campaign(db, "flow", "internal");
    campaign(db, "secret", "restricted");
    campaign(db, "ctl", "controlled");
    snprintf(csv, sizeof csv, "%s/beads.csv", w->dir);
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs("x,y\n0.1,1\n0.5,2\n0.9,3\n", f);
    fclose(f);
    memset(&dopt, 0, sizeof dopt);
    dopt.name = "beads";
    dopt.project = "chem";
    dopt.classification = "internal";
    dopt.user = "alice";
    assert_int_equal(gn_dataset_import(db, csv, &dopt, NULL), GN_OK);
    gn_db_close(db);
}

/* ---- the server thread ---------------------------------------------------- */

static void on_ready(void *ctx, const char *host, unsigned port, int tls)
{
    ts_server *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->port = port;
    /* an IPv6 literal goes in brackets in a URL */
    snprintf(s->base, sizeof s->base, strchr(host, ':') ? "%s://[%s]:%u/api/v1" : "%s://%s:%u/api/v1",
             tls ? "https" : "http", host, port);
    s->ready = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_log(void *ctx, const char *line)
{
    ts_server *s = ctx;
    s->log_lines++;
    if (getenv("TS_VERBOSE"))
        fprintf(stderr, "%s\n", line);
}

static void *serve_thread(void *arg)
{
    ts_server *s = arg;
    int st = gn_serve_run(&s->o, s->err, sizeof s->err);
    pthread_mutex_lock(&s->mu);
    s->status = st;
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void ts_server_start(ts_server *s, const gn_serve_options *o)
{
    memset(s, 0, sizeof *s);
    s->o = *o;
    s->o.on_ready = on_ready;
    s->o.on_log = on_log;
    s->o.ctx = s;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_thread, s), 0);
    pthread_mutex_lock(&s->mu);
    while (!s->ready && !s->done)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    if (!s->ready)
        fail_msg("the server did not start: %s", s->err);
}

void ts_server_stop(ts_server *s)
{
    gn_serve_request_stop();
    pthread_join(s->thread, NULL);
    assert_int_equal(s->status, GN_OK);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    buf *b = ctx;
    char *nd = realloc(b->data, b->len + size * n + 1);
    if (!nd)
        return 0;
    memcpy(nd + b->len, p, size * n);
    b->data = nd;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
    size_t l = strlen(name);
    if (n > l + 1 && !strncasecmp(line, name, l) && line[l] == ':') {
        const char *v = line + l + 1;
        size_t vn = n - l - 1;
        while (vn && (*v == ' '))
            v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n'))
            vn--;
        snprintf(out, size, "%.*s", (int)vn, v);
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    ts_resp *r = ctx;
    size_t len = size * n;
    header_value(p, len, "Allow", r->allow, sizeof r->allow);
    header_value(p, len, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_value(p, len, "Cache-Control", r->cache_control, sizeof r->cache_control);
    header_value(p, len, "X-Content-Type-Options", r->nosniff, sizeof r->nosniff);
    header_value(p, len, "Content-Type", r->content_type, sizeof r->content_type);
    return len;
}

ts_resp ts_http(const ts_server *s, const char *method, const char *url, const char *token,
                const char *body, const char *ctype, const char *header)
{
    ts_resp r;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char line[512], full[2048];
    buf b = {NULL, 0};

    memset(&r, 0, sizeof r);
    assert_non_null(c);
    if (url[0] == '/')
        snprintf(full, sizeof full, "%s%s", s->base, url);
    else
        snprintf(full, sizeof full, "%s", url);
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (body) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : "application/json");
        h = curl_slist_append(h, line);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    h = curl_slist_append(h, "Expect:");
    if (header)
        h = curl_slist_append(h, header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r.body = b.data ? b.data : strdup("");
    r.json = json_loads(r.body, 0, NULL);
    return r;
}

void ts_resp_free(ts_resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *ts_code(const ts_resp *r)
{
    const char *c = json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
    return c ? c : "";
}
