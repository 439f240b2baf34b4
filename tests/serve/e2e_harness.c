/*
 * e2e_harness.c - the real server, the genesis command and an HTTP client
 * for the end-to-end tests of `genesis serve` (see e2e_harness.h).
 */
#include "e2e_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gn_test.h"

#define MAX_LIVE 16

/* The servers started and not yet reaped, by pid (not by e2e_server: a
 * test's e2e_server may live on a stack frame that is gone when the
 * teardown runs). */
static pid_t live[MAX_LIVE];
static int atexit_done;
static _Thread_local CURL *tl_curl;

double e2e_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void e2e_sleep_ms(double ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1e3);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1e3) * 1e6);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const char *e2e_bin(void)
{
    const char *b = getenv("GENESIS_BIN");
    return b && *b ? b : GN_BINARY_DIR "/genesis";
}

void e2e_require_serve(void)
{
    char cmd[1200], out[8192];
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof cmd, "'%s' serve --help 2>&1", e2e_bin());
    p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "SKIP: cannot run %s\n", e2e_bin());
        exit(E2E_SKIP);
    }
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    if (!strstr(out, "genesis serve") || strstr(out, "unknown command")) {
        fprintf(stderr,
                "SKIP: %s has no `serve` command (its answer to `serve --help`: %.200s); "
                "these end-to-end tests need the HTTP service\n",
                e2e_bin(), out);
        exit(E2E_SKIP);
    }
}

static void kill_all_live(void)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i] > 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
        }
        live[i] = 0;
    }
}

static void track(pid_t pid)
{
    if (!atexit_done) {
        atexit(kill_all_live);
        atexit_done = 1;
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = pid;
            return;
        }
}

static void untrack(pid_t pid)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == pid)
            live[i] = 0;
}

/* SIGTERM, then waits (SIGKILL after 15 s); the exit status seen. */
static int stop_pid(pid_t pid)
{
    int status = 0;
    double t0 = e2e_now_ms();
    kill(pid, SIGTERM);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0) { /* not our child (any more) */
            status = 0;
            break;
        }
        if (e2e_now_ms() - t0 > 15000) {
            fprintf(stderr,
                    "e2e: genesis serve (pid %d) did not stop in 15 s after SIGTERM: "
                    "SIGKILL\n",
                    (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        e2e_sleep_ms(5);
    }
    untrack(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void e2e_server_init(e2e_server *s, const char *name)
{
    char cmd[1400];
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, GN_TEST_TMP "/serve-%s", name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", s->dir, s->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(s->db, sizeof s->db, "%s/genesis.db", s->dir);
    snprintf(s->log, sizeof s->log, "%s/server.log", s->dir);
}

/* The tail of the server log, for failure messages. */
static void log_tail(const e2e_server *s, char *out, size_t size)
{
    FILE *f = fopen(s->log, "r");
    out[0] = '\0';
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    long from = end > (long)size - 1 ? end - (long)size + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* Looks for "listening on http://HOST:PORT" in the log after offset. */
static int find_listening(const e2e_server *s, long offset, int *port)
{
    char buf[16384];
    FILE *f = fopen(s->log, "r");
    if (!f)
        return 0;
    fseek(f, offset, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    const char *p = strstr(buf, "listening on http");
    if (!p)
        return 0;
    p = strstr(p, "://");
    if (!p)
        return 0;
    p += 3;
    const char *eol = strchr(p, '\n');
    if (!eol)
        return 0; /* the line is not complete yet */
    const char *colon = NULL;
    for (const char *q = p; q < eol; q++)
        if (*q == ':')
            colon = q;
    if (!colon)
        return 0;
    *port = atoi(colon + 1);
    return *port > 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

void e2e_server_start(e2e_server *s)
{
    char listen[64], tail[4096];
    int attempt;

    for (attempt = 0; attempt < 20; attempt++) {
        long offset = file_size(s->log);
        snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
            execl(e2e_bin(), e2e_bin(), "serve", "--listen", listen, "--db", s->db, (char *)NULL);
            _exit(127);
        }
        s->pid = pid;
        track(pid);
        double t0 = e2e_now_ms();
        int port = 0, status;
        while (e2e_now_ms() - t0 < 60000) {
            if (find_listening(s, offset, &port)) {
                if (s->port && port != s->port)
                    fail_msg("server restarted on port %d, not %d", port, s->port);
                s->port = port;
                snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", port);
                snprintf(s->api, sizeof s->api, "%s/api/v1", s->base);
                s->starts++;
                return;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                untrack(pid);
                s->pid = 0;
                break;
            }
            e2e_sleep_ms(10);
        }
        if (s->pid) {
            log_tail(s, tail, sizeof tail);
            e2e_server_kill9(s);
            fail_msg("genesis serve printed no 'listening on' line in 60 s; log:\n%s", tail);
        }
        /* It exited: a restart on the same port can race with the old
         * socket; try again for a while, then give up with the log. */
        if (!s->port)
            break;
        e2e_sleep_ms(250);
    }
    log_tail(s, tail, sizeof tail);
    fail_msg("genesis serve --listen %s --db %s exited at start; log:\n%s", listen, s->db, tail);
}

int e2e_server_stop(e2e_server *s)
{
    if (s->pid <= 0)
        return 0;
    int st = stop_pid(s->pid);
    s->pid = 0;
    return st;
}

void e2e_server_kill9(e2e_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    untrack(s->pid);
    s->pid = 0;
}

int e2e_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] > 0)
            stop_pid(live[i]);
    if (tl_curl) {
        curl_easy_cleanup(tl_curl);
        tl_curl = NULL;
    }
    return 0;
}

/* ---- the genesis command ------------------------------------------------- */

static int vcli(const e2e_server *s, char *out, size_t size, const char *fmt, va_list ap)
{
    char args[4096], cmd[8192], sink[4096];
    size_t n = 0;
    FILE *p;
    int status;

    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && GENESIS_DB='%s' '%s' %s 2>>'%s/cli.log'", s->dir, s->db,
             e2e_bin(), args, s->dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (out && size) {
        n = fread(out, 1, size - 1, p);
        out[n] = '\0';
    }
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int e2e_cli(const e2e_server *s, char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vcli(s, out, size, fmt, ap);
    va_end(ap);
    return st;
}

void e2e_cli_ok(const e2e_server *s, char *out, size_t size, const char *fmt, ...)
{
    char args[4096], errlog[700], tail[2048] = "";
    va_list ap;
    va_start(ap, fmt);
    int st = vcli(s, out, size, fmt, ap);
    va_end(ap);
    if (st != 0) {
        va_start(ap, fmt);
        vsnprintf(args, sizeof args, fmt, ap);
        va_end(ap);
        snprintf(errlog, sizeof errlog, "%s/cli.log", s->dir);
        FILE *f = fopen(errlog, "r");
        if (f) {
            fseek(f, 0, SEEK_END);
            long end = ftell(f);
            fseek(f, end > 2000 ? end - 2000 : 0, SEEK_SET);
            size_t n = fread(tail, 1, sizeof tail - 1, f);
            tail[n] = '\0';
            fclose(f);
        }
        fail_msg("`genesis %s` exited with %d; stderr:\n%s", args, st, tail);
    }
}

void e2e_user(const e2e_server *s, const char *name, char token[64], size_t n,
              const char *const memberships[][3])
{
    char out[4096];
    e2e_cli_ok(s, NULL, 0, "user add '%s'", name);
    for (size_t i = 0; i < n; i++)
        e2e_cli_ok(s, NULL, 0, "project member '%s' '%s' --role %s --clearance %s",
                   memberships[i][0], name, memberships[i][1], memberships[i][2]);
    e2e_cli_ok(s, out, sizeof out, "token create '%s'", name);
    const char *t = strstr(out, "gns_");
    if (!t)
        fail_msg("`genesis token create %s` printed no gns_ token: %s", name, out);
    size_t len = strspn(t, "gns_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    assert_true(len < 64);
    memcpy(token, t, len);
    token[len] = '\0';
}

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct growbuf {
    char *p;
    size_t n, cap;
} growbuf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    growbuf *b = ud;
    size_t n = size * nmemb;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    e2e_resp *r = ud;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
        r->retry_after = atof(data + 12);
    else if (n > 6 && strncasecmp(data, "Allow:", 6) == 0) {
        size_t k = n - 6 < sizeof r->allow - 1 ? n - 6 : sizeof r->allow - 1;
        memcpy(r->allow, data + 6, k);
        r->allow[k] = '\0';
        r->allow[strcspn(r->allow, "\r\n")] = '\0';
    }
    return n;
}

void e2e_resp_free(e2e_resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

long e2e_http(CURL *h, const e2e_server *s, const char *method, const char *path, const char *token,
              const char *body, const char *content_type, const char *extra_header, e2e_resp *r)
{
    char url[2048], auth[256], ct[256];
    struct curl_slist *hdr = NULL;
    growbuf b = {0};

    memset(r, 0, sizeof *r);
    r->retry_after = -1;
    if (strncmp(path, "http", 4) == 0)
        snprintf(url, sizeof url, "%s", path);
    else
        snprintf(url, sizeof url, "%s%s", s->api, path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, auth);
    }
    if (body) {
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 content_type ? content_type : "application/json");
        hdr = curl_slist_append(hdr, ct);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    hdr = curl_slist_append(hdr, "Expect:");
    if (extra_header)
        hdr = curl_slist_append(hdr, extra_header);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else if (strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);

    double t0 = e2e_now_ms();
    r->curl = curl_easy_perform(h);
    double took = e2e_now_ms() - t0;
    if (took > 2000) /* a diagnosis for slow runs, not a failure */
        fprintf(stderr, "e2e: %s %s took %.1f s\n", method, path, took / 1e3);
    if (r->curl == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdr);
    r->body = b.p ? b.p : strdup("");
    r->len = b.n;
    if (r->len)
        r->json = json_loadb(r->body, r->len, 0, NULL);
    return r->status;
}

static CURL *thread_handle(void)
{
    if (!tl_curl) {
        tl_curl = curl_easy_init();
        assert_non_null(tl_curl);
    }
    return tl_curl;
}

json_t *e2e_call(const e2e_server *s, const char *method, const char *path, const char *token,
                 const char *body, long want)
{
    e2e_resp r;
    e2e_http(thread_handle(), s, method, path, token, body, NULL, NULL, &r);
    if (want && r.status != want) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s %s: status %ld (%s), expected %ld; body: %.1200s", method,
                 path, r.status, r.curl ? curl_easy_strerror(r.curl) : "answered", want, r.body);
        e2e_resp_free(&r);
        fail_msg("%s", msg);
    }
    json_t *j = r.json;
    r.json = NULL;
    e2e_resp_free(&r);
    return j;
}

json_t *e2e_callf(const e2e_server *s, const char *method, const char *path, const char *token,
                  long want, const char *fmt, ...)
{
    json_error_t jerr;
    va_list ap;
    va_start(ap, fmt);
    json_t *b = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    if (!b)
        fail_msg("json_pack: %s", jerr.text);
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *j = e2e_call(s, method, path, token, text, want);
    free(text);
    return j;
}

const char *e2e_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

long long e2e_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return -1;
}

void e2e_spec(char *buf, size_t size, const char *name, const char *planner, int budget)
{
    snprintf(buf, size,
             "name: %s\n"
             "parameters:\n"
             "  - {name: x1, type: real, low: -5, high: 10}\n"
             "  - {name: x2, type: real, low: 0, high: 15}\n"
             "objectives:\n"
             "  - {name: f, goal: minimize}\n"
             "planner: {strategy: %s, seed: 3}\n"
             "budget: {experiments: %d}\n",
             name, planner, budget);
}
