/*
 * bench_serve.c - load on `genesis serve` from a separate process over
 * loopback (bench/README.md, section 4).
 *
 * Sets up a database with the genesis command (a project, users, one API
 * token per connection so that the per-token rate limit is not what is
 * measured), starts `genesis serve --listen 127.0.0.1:0` as a child
 * process, and measures with its own HTTP/1.1 client (epoll, keep-alive,
 * every connection one request in flight, closed loop):
 *
 *   reads    GET /api/v1/campaigns/{name} and GET /api/v1/me, authenticated
 *   tells    POST /api/v1/experiments/{id}/outcome with an idempotency key,
 *            each a different experiment (a pool suggested beforehand):
 *            every 2xx is on disk (docs/api.md)
 *   suggest  POST /campaigns/{name}/suggest count 1, one connection, against
 *            gn__campaign_lease on the same planner (sobol) in this process
 *            on a database of its own: the difference is what HTTP, auth,
 *            JSON and the audit record add
 *   wrk      the read case again with wrk (Debian's), as a cross-check
 *
 * Prints a markdown table and (unless --no-write) puts it as the newest
 * section of bench/RESULTS.md with the date, machine and commit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "campaign/service.h"
#include "genesis/campaign.h"
#include "store/store.h"

#define MAX_CONNS 256
#define REQ_MAX 2048
#define RESP_MAX 65536

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static pid_t server_pid;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench_serve: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (server_pid > 0)
        kill(server_pid, SIGKILL);
    exit(1);
}

/* ---- options, setup ------------------------------------------------------- */

static struct {
    const char *genesis, *work, *results_md, *commit, *command;
    int quick, write, conns, tell_conns;
    double seconds;
    int ntokens;
} opt;

static char db_path[1024], log_path[1024];
static int port;
static char tokens[MAX_CONNS][64];
static char alice[64];

static void run_cli(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void run_cli(char *out, size_t size, const char *fmt, ...)
{
    char args[2048], cmd[4096], sink[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "GENESIS_DB='%s' '%s' %s 2>>'%s/cli.log'", db_path, opt.genesis, args,
             opt.work);
    FILE *p = popen(cmd, "r");
    if (!p)
        die("popen: %s", strerror(errno));
    size_t n = 0;
    if (out && size)
        n = fread(out, 1, size - 1, p);
    if (out && size)
        out[n] = '\0';
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("`genesis %s` failed (see %s/cli.log)", args, opt.work);
}

static void token_for(const char *user, char out[64])
{
    char text[1024];
    run_cli(text, sizeof text, "token create %s", user);
    const char *t = strstr(text, "gns_");
    if (!t)
        die("no token in: %s", text);
    snprintf(out, 64, "%.*s",
             (int)strspn(t, "gns_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"),
             t);
}

static void start_server(void)
{
    struct stat st;
    long offset = stat(log_path, &st) == 0 ? (long)st.st_size : 0;
    server_pid = fork();
    if (server_pid < 0)
        die("fork: %s", strerror(errno));
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execl(opt.genesis, opt.genesis, "serve", "--listen", "127.0.0.1:0", "--db", db_path,
              (char *)NULL);
        _exit(127);
    }
    double t0 = now_s();
    while (now_s() - t0 < 30) {
        char buf[8192];
        FILE *f = fopen(log_path, "r");
        if (f) {
            fseek(f, offset, SEEK_SET);
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            fclose(f);
            char *p = strstr(buf, "listening on http://");
            if (p && strchr(p, '\n')) {
                char *eol = strchr(p, '\n'), *colon = NULL;
                for (char *q = p + 20; q < eol; q++)
                    if (*q == ':')
                        colon = q;
                if (colon) {
                    port = atoi(colon + 1);
                    return;
                }
            }
        }
        int status;
        if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
            server_pid = 0;
            die("genesis serve exited at start (see %s)", log_path);
        }
        usleep(10000);
    }
    die("genesis serve printed no 'listening on' line (see %s)", log_path);
}

static void stop_server(void)
{
    if (server_pid <= 0)
        return;
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    server_pid = 0;
}

/* ---- a small HTTP/1.1 client: epoll, keep-alive, closed loop ----------------- */

typedef struct conn {
    int fd;
    int idx;
    char req[REQ_MAX];
    size_t req_len, req_sent;
    char resp[RESP_MAX];
    size_t resp_len;
    double t_sent;
    int busy;
} conn;

typedef struct load {
    /* fills c->req for the next request; returns 0 when there is no more work */
    int (*next)(struct load *l, conn *c);
    /* sees each response (may be NULL) */
    void (*done)(struct load *l, conn *c, int status, const char *body, size_t len);
    void *ctx;
    double t_start, t_measure, t_end; /* t_end 0: until next returns 0 */
    double t_last;                    /* the last measured answer */
    double *lat;                      /* ms, of responses completed after t_measure */
    size_t n_lat, cap_lat;
    long ok, bad, reconnects;
    int last_bad_status;
    char last_bad_body[200];
} load;

static int connect_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static size_t build_request(char *out, size_t size, const char *method, const char *path,
                            const char *token, const char *body)
{
    int n;
    if (body)
        n = snprintf(out, size,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, port, token, strlen(body), body);
    else
        n = snprintf(out, size,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n\r\n",
                     method, path, port, token);
    if (n < 0 || (size_t)n >= size)
        die("request too long");
    return (size_t)n;
}

/* Is the response in c->resp complete? Sets *status, *body, *body_len, *close. */
static int response_complete(conn *c, int *status, const char **body, size_t *body_len,
                             int *close_after)
{
    c->resp[c->resp_len] = '\0';
    char *hend = strstr(c->resp, "\r\n\r\n");
    if (!hend)
        return 0;
    size_t hlen = (size_t)(hend - c->resp) + 4;
    *status = atoi(c->resp + 9);
    long clen = -1;
    int chunked = 0;
    *close_after = 0;
    for (char *line = strstr(c->resp, "\r\n") + 2; line < hend; line = strstr(line, "\r\n") + 2) {
        if (!strncasecmp(line, "Content-Length:", 15))
            clen = atol(line + 15);
        else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strstr(line, "chunked") &&
                 strstr(line, "chunked") < strstr(line, "\r\n"))
            chunked = 1;
        else if (!strncasecmp(line, "Connection:", 11) &&
                 !strncasecmp(line + 11 + strspn(line + 11, " "), "close", 5))
            *close_after = 1;
    }
    if (chunked) {
        if (c->resp_len < hlen + 5 || memcmp(c->resp + c->resp_len - 5, "0\r\n\r\n", 5) != 0)
            return 0;
        *body = c->resp + hlen;
        *body_len = c->resp_len - hlen;
        return 1;
    }
    if (clen < 0)
        clen = 0;
    if (c->resp_len < hlen + (size_t)clen)
        return 0;
    *body = c->resp + hlen;
    *body_len = (size_t)clen;
    return 1;
}

static void lat_push(load *l, double ms)
{
    if (l->n_lat == l->cap_lat) {
        l->cap_lat = l->cap_lat ? l->cap_lat * 2 : 65536;
        l->lat = realloc(l->lat, l->cap_lat * sizeof *l->lat);
        if (!l->lat)
            die("out of memory");
    }
    l->lat[l->n_lat++] = ms;
}

static int send_next(load *l, conn *c, int ep)
{
    if (l->t_end > 0 && now_s() >= l->t_end)
        return 0;
    if (!l->next(l, c))
        return 0;
    c->req_sent = 0;
    c->resp_len = 0;
    c->t_sent = now_s();
    c->busy = 1;
    ssize_t w = write(c->fd, c->req, c->req_len);
    if (w > 0)
        c->req_sent = (size_t)w;
    struct epoll_event ev = {.events = EPOLLIN | (c->req_sent < c->req_len ? EPOLLOUT : 0),
                             .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    return 1;
}

/* Runs the load with n connections until the time is up or the work is
 * done; fills l->lat and the counters. */
static void run_load(load *l, int n, double warmup, double seconds)
{
    conn *cs = calloc((size_t)n, sizeof *cs);
    int ep = epoll_create1(0), active = 0;
    if (!cs || ep < 0)
        die("epoll/calloc");
    l->t_start = now_s();
    l->t_measure = l->t_start + warmup;
    l->t_end = seconds > 0 ? l->t_measure + seconds : 0;
    for (int i = 0; i < n; i++) {
        cs[i].fd = connect_one();
        cs[i].idx = i;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
        active += send_next(l, &cs[i], ep);
    }
    struct epoll_event evs[MAX_CONNS];
    while (active > 0) {
        int k = epoll_wait(ep, evs, MAX_CONNS, 10000);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("no answer from the server for 10 s");
        for (int e = 0; e < k; e++) {
            conn *c = evs[e].data.ptr;
            if ((evs[e].events & EPOLLOUT) && c->req_sent < c->req_len) {
                ssize_t w = write(c->fd, c->req + c->req_sent, c->req_len - c->req_sent);
                if (w > 0)
                    c->req_sent += (size_t)w;
                if (c->req_sent == c->req_len) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            ssize_t r = read(c->fd, c->resp + c->resp_len, RESP_MAX - 1 - c->resp_len);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            int status = 0, close_after = 0;
            const char *body = NULL;
            size_t blen = 0;
            if (r > 0)
                c->resp_len += (size_t)r;
            if (r > 0 && !response_complete(c, &status, &body, &blen, &close_after)) {
                if (c->resp_len >= RESP_MAX - 1)
                    die("a response over %d bytes", RESP_MAX);
                continue;
            }
            if (r <= 0) { /* the server closed the connection */
                if (c->busy)
                    die("connection closed with a request in flight (%zd: %s)", r,
                        r < 0 ? strerror(errno) : "EOF");
                close_after = 1;
            } else {
                double t = now_s();
                if (c->t_sent >= l->t_measure && (l->t_end == 0 || t <= l->t_end)) {
                    lat_push(l, (t - c->t_sent) * 1e3);
                    l->t_last = t;
                }
                c->busy = 0;
                if (status >= 200 && status < 300) {
                    l->ok++;
                } else {
                    l->bad++;
                    l->last_bad_status = status;
                    snprintf(l->last_bad_body, sizeof l->last_bad_body, "%.*s", (int)blen, body);
                }
                if (l->done)
                    l->done(l, c, status, body, blen);
            }
            if (close_after) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = connect_one();
                l->reconnects++;
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            }
            if (!send_next(l, c, ep))
                active--;
        }
    }
    for (int i = 0; i < n; i++)
        close(cs[i].fd);
    close(ep);
    free(cs);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    char what[128];
    int clients;
    long requests, errors;
    double rps, p50, p99;
} result;

static void summarise(load *l, result *res, const char *what, int clients)
{
    snprintf(res->what, sizeof res->what, "%s", what);
    res->clients = clients;
    res->requests = (long)l->n_lat;
    res->errors = l->bad;
    /* over the time the work lasted (a pool of tells can run out early) */
    double end = l->t_end > 0 ? l->t_end : now_s();
    if (l->t_last > 0 && l->t_last < end)
        end = l->t_last;
    double span = end - l->t_measure;
    res->rps = span > 0 ? (double)l->n_lat / span : 0;
    qsort(l->lat, l->n_lat, sizeof *l->lat, cmp_double);
    res->p50 = l->n_lat ? l->lat[(size_t)(0.50 * (double)(l->n_lat - 1))] : NAN;
    res->p99 = l->n_lat ? l->lat[(size_t)(0.99 * (double)(l->n_lat - 1))] : NAN;
    if (l->bad)
        fprintf(stderr, "bench_serve: %s: %ld answers were not 2xx (last %d: %s)\n", what, l->bad,
                l->last_bad_status, l->last_bad_body);
    fprintf(
        stderr,
        "bench_serve: %s: %.0f req/s, p50 %.3f ms, p99 %.3f ms (%ld requests, %d connections)\n",
        what, res->rps, res->p50, res->p99, res->requests, clients);
    free(l->lat);
    l->lat = NULL;
    l->n_lat = l->cap_lat = 0;
}

/* ---- the workloads ------------------------------------------------------------- */

static const char *read_path;

static int next_read(load *l, conn *c)
{
    (void)l;
    c->req_len =
        build_request(c->req, sizeof c->req, "GET", read_path, tokens[c->idx % opt.ntokens], NULL);
    return 1;
}

typedef struct pool {
    long long *ids;
    size_t n, next, cap;
} pool;

static int next_tell(load *l, conn *c)
{
    pool *p = l->ctx;
    char path[128], body[256];
    if (p->next >= p->n)
        return 0;
    long long id = p->ids[p->next++];
    snprintf(path, sizeof path, "/api/v1/experiments/%lld/outcome", id);
    snprintf(body, sizeof body, "{\"key\": \"bench-%lld\", \"outcome\": {\"f\": %.6f}}", id,
             (double)(id % 1000) / 7.0);
    c->req_len =
        build_request(c->req, sizeof c->req, "POST", path, tokens[c->idx % opt.ntokens], body);
    return 1;
}

/* Suggests into the pool: each response's experiment ids. */
static void collect_ids(load *l, conn *c, int status, const char *body, size_t len)
{
    pool *p = l->ctx;
    (void)c;
    if (status != 200)
        die("suggest answered %d: %.*s", status, (int)len, body);
    const char *q = body;
    /* "id": N in each experiment object (the store-wide id) */
    while ((q = strstr(q, "\"id\"")) && q < body + len) {
        q += 4;
        q += strspn(q, " :");
        if (p->n < p->cap)
            p->ids[p->n++] = atoll(q);
    }
}

static long suggest_left;
static const char *suggest_path;
static int suggest_count;

static int next_suggest(load *l, conn *c)
{
    (void)l;
    char body[96];
    if (suggest_left <= 0)
        return 0;
    suggest_left--;
    snprintf(body, sizeof body, "{\"count\": %d, \"lease_seconds\": 3600}", suggest_count);
    c->req_len = build_request(c->req, sizeof c->req, "POST", suggest_path,
                               tokens[c->idx % opt.ntokens], body);
    return 1;
}

/* One blocking request on a fresh connection (setup). */
static int request_once(const char *method, const char *path, const char *token, const char *body,
                        char *out, size_t size)
{
    conn c;
    memset(&c, 0, sizeof c);
    c.fd = connect_one();
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
    c.req_len = build_request(c.req, sizeof c.req, method, path, token, body);
    if (write(c.fd, c.req, c.req_len) != (ssize_t)c.req_len)
        die("write: %s", strerror(errno));
    int status = 0, cl;
    const char *b;
    size_t blen;
    for (;;) {
        ssize_t r = read(c.fd, c.resp + c.resp_len, RESP_MAX - 1 - c.resp_len);
        if (r <= 0)
            die("%s %s: connection closed", method, path);
        c.resp_len += (size_t)r;
        if (response_complete(&c, &status, &b, &blen, &cl))
            break;
    }
    close(c.fd);
    if (out)
        snprintf(out, size, "%.*s", (int)blen, b);
    return status;
}

static void json_escape(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 3 < size; in++) {
        if (*in == '"' || *in == '\\') {
            out[n++] = '\\';
            out[n++] = *in;
        } else if (*in == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else {
            out[n++] = *in;
        }
    }
    out[n] = '\0';
}

static const char *spec_text(const char *name, long budget)
{
    static char spec[1024];
    snprintf(
        spec, sizeof spec,
        "name: %s\nparameters:\n  - {name: x1, type: real, low: -5, high: 10}\n"
        "  - {name: x2, type: real, low: 0, high: 15}\nobjectives:\n  - {name: f, goal: minimize}\n"
        "planner: {strategy: sobol, seed: 5}\nbudget: {experiments: %ld}\n",
        name, budget);
    return spec;
}

static void create_campaign(const char *name, long budget)
{
    char esc[2048], body[2400], out[4096];
    json_escape(spec_text(name, budget), esc, sizeof esc);
    snprintf(body, sizeof body,
             "{\"spec\": \"%s\", \"project\": \"bench\", \"classification\": \"internal\"}", esc);
    int st = request_once("POST", "/api/v1/campaigns", alice, body, out, sizeof out);
    if (st != 201)
        die("creating campaign %s: %d %s", name, st, out);
}

/* One request on a kept-alive blocking connection *fd (opened when -1,
 * reopened when the server closes it); returns the status. */
static int request_keepalive(int *fd, const char *method, const char *path, const char *token,
                             const char *body)
{
    static conn c;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (*fd < 0) {
            *fd = connect_one();
            fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
        }
        c.resp_len = 0;
        c.req_len = build_request(c.req, sizeof c.req, method, path, token, body);
        if (write(*fd, c.req, c.req_len) == (ssize_t)c.req_len) {
            int status = 0, cl = 0;
            const char *b;
            size_t blen;
            for (;;) {
                ssize_t r = read(*fd, c.resp + c.resp_len, RESP_MAX - 1 - c.resp_len);
                if (r <= 0)
                    break;
                c.resp_len += (size_t)r;
                if (response_complete(&c, &status, &b, &blen, &cl)) {
                    if (cl) {
                        close(*fd);
                        *fd = -1;
                    }
                    return status;
                }
            }
        }
        close(*fd); /* closed under us: once more on a new connection */
        *fd = -1;
    }
    die("%s %s: no answer", method, path);
}

/* The HTTP overhead on a suggestion, measured in pairs so that both sides
 * see the same machine at the same moment: n times, one POST .../suggest
 * (count 1) to the server, then one gn__campaign_lease of one experiment
 * on a campaign of the same spec in a database of this process (both
 * campaigns grow alike). Fills the medians and the median of the paired
 * differences; *ask_ms: gn_campaign_ask_new alone, after. */
static void suggest_pairs(int n, const char *path, double *http_ms, double *lease_ms,
                          double *diff_ms, double *http_p99, double *ask_ms)
{
    char dbp[1100];
    gn_db *db = NULL;
    gn_campaign *c = NULL;
    int fd = -1;
    snprintf(dbp, sizeof dbp, "%s/in-process.db", opt.work);
    unlink(dbp);
    if (gn_db_open(dbp, &db) != GN_OK)
        die("gn_db_open %s: %s", dbp, gn_db_errmsg(db));
    const char *spec = spec_text("inproc", 10000000);
    if (gn__campaign_create_owned(db, spec, strlen(spec), "bench", "internal", "alice", &c) !=
        GN_OK)
        die("gn__campaign_create_owned: %s", gn_db_errmsg(db));
    double *h = malloc((size_t)n * sizeof *h), *p = malloc((size_t)n * sizeof *p),
           *d = malloc((size_t)n * sizeof *d);
    if (!h || !p || !d)
        die("out of memory");
    const char *body = "{\"count\": 1, \"lease_seconds\": 3600}";
    for (int i = -10; i < n; i++) { /* 10 untimed pairs first */
        double t0 = now_s();
        int st = request_keepalive(&fd, "POST", path, tokens[0], body);
        double t1 = now_s();
        if (st != 200)
            die("POST %s answered %d", path, st);
        gn_experiment_rec *out = NULL;
        size_t got = 0;
        double t2 = now_s();
        if (gn__campaign_lease(c, 1, 1, "alice", 3600, &out, &got) != GN_OK || got != 1)
            die("gn__campaign_lease: %s", gn_campaign_errmsg(c));
        double t3 = now_s();
        gn_experiment_rec_array_free(out, got);
        if (i < 0)
            continue;
        h[i] = (t1 - t0) * 1e3;
        p[i] = (t3 - t2) * 1e3;
        d[i] = h[i] - p[i];
    }
    if (fd >= 0)
        close(fd);
    qsort(h, (size_t)n, sizeof *h, cmp_double);
    qsort(p, (size_t)n, sizeof *p, cmp_double);
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    *http_ms = h[n / 2];
    *http_p99 = h[(size_t)(0.99 * (double)(n - 1))];
    *lease_ms = p[n / 2];
    *diff_ms = d[n / 2];
    for (int i = 0; i < n; i++) {
        int64_t num;
        double x[2];
        size_t got = 0;
        double t0 = now_s();
        if (gn_campaign_ask_new(c, 1, &num, x, NULL, NULL, &got) != GN_OK || got != 1)
            die("gn_campaign_ask_new: %s", gn_campaign_errmsg(c));
        p[i] = (now_s() - t0) * 1e3;
    }
    qsort(p, (size_t)n, sizeof *p, cmp_double);
    *ask_ms = p[n / 2];
    free(h);
    free(p);
    free(d);
    gn_campaign_close(c);
    gn_db_close(db);
}

/* ---- wrk ----------------------------------------------------------------------- */

static int run_wrk(const char *path, int conns, double seconds, result *res)
{
    char script[1100], cmd[4096], line[512];
    snprintf(script, sizeof script, "%s/tokens.lua", opt.work);
    FILE *f = fopen(script, "w");
    if (!f)
        return -1;
    fprintf(f, "-- one token per request, round robin (the rate limit is per token)\ntokens = {");
    for (int i = 0; i < opt.ntokens; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", tokens[i]);
    fprintf(f, "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
               "  return wrk.format(nil, nil, {[\"Authorization\"] = \"Bearer \" .. tokens[(i %% "
               "#tokens) + 1]})\nend\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "wrk -t2 -c%d -d%.0fs --latency -s '%s' 'http://127.0.0.1:%d%s' 2>&1",
             conns, seconds, script, port, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    memset(res, 0, sizeof *res);
    snprintf(res->what, sizeof res->what, "wrk: authenticated read GET %s",
             "/api/v1/campaigns/{name}");
    res->clients = conns;
    res->p50 = res->p99 = NAN;
    while (fgets(line, sizeof line, p)) {
        double v;
        char unit[8];
        /* "     50%   77.10ms", "  86 requests in 1.07s, ...", "Requests/sec: 80.14" */
        if (sscanf(line, " 50%% %lf%7s", &v, unit) == 2)
            res->p50 = !strcmp(unit, "us") ? v / 1e3 : !strcmp(unit, "s") ? v * 1e3 : v;
        else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2)
            res->p99 = !strcmp(unit, "us") ? v / 1e3 : !strcmp(unit, "s") ? v * 1e3 : v;
        else if (strstr(line, "Requests/sec:"))
            res->rps = atof(strchr(line, ':') + 1);
        else if (strstr(line, " requests in "))
            res->requests = atol(line);
        else if (strstr(line, "Non-2xx or 3xx responses:"))
            res->errors = atol(strchr(line, ':') + 1);
    }
    int st = pclose(p);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && res->rps > 0 ? 0 : -1;
}

/* ---- the report ------------------------------------------------------------------- */

static void machine(char *out, size_t size)
{
    char model[256] = "unknown CPU", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    double mem = 0;
    f = fopen("/proc/meminfo", "r");
    if (f && fgets(line, sizeof line, f))
        mem = atof(line + 9) / 1048576.0;
    if (f)
        fclose(f);
    struct utsname u;
    uname(&u);
    snprintf(out, size, "%ld cores (nproc), %s, %.1f GiB memory, %s %s",
             sysconf(_SC_NPROCESSORS_ONLN), model, mem, u.sysname, u.release);
}

static void fmt_num(char *out, size_t size, double v)
{
    if (isnan(v))
        snprintf(out, size, "-");
    else if (v >= 100)
        snprintf(out, size, "%.0f", v);
    else
        snprintf(out, size, "%.3g", v);
}

static void row(FILE *o, const result *r, const char *target, double ratio, int met)
{
    char rps[32], p50[32], p99[32], rat[32];
    fmt_num(rps, sizeof rps, r->rps);
    fmt_num(p50, sizeof p50, r->p50);
    fmt_num(p99, sizeof p99, r->p99);
    if (isnan(ratio))
        snprintf(rat, sizeof rat, "-");
    else
        snprintf(rat, sizeof rat, "%.2f", ratio);
    fprintf(o, "| %s | %d | %ld | %ld | %s | %s | %s | %s | %s | %s |\n", r->what, r->clients,
            r->requests, r->errors, rps, p50, p99, target, rat,
            met < 0 ? "-"
            : met   ? "yes"
                    : "NO");
}

static void insert_section(const char *path, const char *section)
{
    FILE *f = fopen(path, "r");
    char *old = NULL;
    size_t n = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        old = malloc((size_t)len + 1);
        n = fread(old, 1, (size_t)len, f);
        old[n] = '\0';
        fclose(f);
    }
    const char *at = old ? strstr(old, "\n## ") : NULL;
    size_t head = at ? (size_t)(at - old) + 1 : n;
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        die("cannot write %s", tmp);
    if (!old)
        fputs("# Benchmark results\n\n", f);
    else
        fwrite(old, 1, head, f);
    if (old && head == n && n > 0 && old[n - 1] != '\n')
        fputc('\n', f);
    fputs(section, f);
    fputc('\n', f);
    if (old && head < n)
        fwrite(old + head, 1, n - head, f);
    fclose(f);
    rename(tmp, path);
    free(old);
}

/* The cost of one fdatasync on the database's disk (median of 50): a
 * durable commit costs at least this much, so one commit per tell can not
 * go faster than its inverse per campaign. */
static double fdatasync_ms(void)
{
    char path[1100], byte = 'x';
    double t[50];
    snprintf(path, sizeof path, "%s/fsync.probe", opt.work);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return NAN;
    for (int i = 0; i < 50; i++) {
        double t0 = now_s();
        if (write(fd, &byte, 1) != 1 || fdatasync(fd) != 0) {
            close(fd);
            return NAN;
        }
        t[i] = (now_s() - t0) * 1e3;
    }
    close(fd);
    unlink(path);
    qsort(t, 50, sizeof *t, cmp_double);
    return t[25];
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"genesis", required_argument, 0, 'g'},
                                       {"work", required_argument, 0, 'w'},
                                       {"results-md", required_argument, 0, 'r'},
                                       {"commit", required_argument, 0, 'c'},
                                       {"command", required_argument, 0, 'C'},
                                       {"quick", no_argument, 0, 'q'},
                                       {"no-write", no_argument, 0, 'n'},
                                       {"seconds", required_argument, 0, 's'},
                                       {"connections", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    int ch;
    opt.write = 1;
    opt.conns = 32;
    opt.tell_conns = 32;
    opt.commit = "unknown";
    opt.command = "bench_serve";
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case 'g': opt.genesis = optarg; break;
        case 'w': opt.work = optarg; break;
        case 'r': opt.results_md = optarg; break;
        case 'c': opt.commit = optarg; break;
        case 'C': opt.command = optarg; break;
        case 'q': opt.quick = 1; break;
        case 'n': opt.write = 0; break;
        case 's': opt.seconds = atof(optarg); break;
        case 'k': opt.conns = opt.tell_conns = atoi(optarg); break;
        default:
            printf("usage: bench_serve --genesis BIN --work DIR [--results-md FILE] [--quick] "
                   "[--no-write] [--seconds S] [--connections N] [--commit C] [--command TEXT]\n");
            return ch == 'h' ? 0 : 2;
        }
    }
    if (!opt.genesis || !opt.work || opt.conns < 1 || opt.conns > MAX_CONNS)
        die("--genesis and --work are required (--help)");
    if (opt.seconds <= 0)
        opt.seconds = opt.quick ? 2 : 5;
    opt.ntokens = opt.conns;
    signal(SIGPIPE, SIG_IGN);

    char cmd[2200];
    /* only what this program writes there is removed */
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && cd '%s' && rm -f bench.db bench.db-wal bench.db-shm in-process.db "
             "in-process.db-wal in-process.db-shm server.log cli.log tokens.lua",
             opt.work, opt.work);
    if (system(cmd) != 0)
        die("cannot make %s", opt.work);
    snprintf(db_path, sizeof db_path, "%s/bench.db", opt.work);
    snprintf(log_path, sizeof log_path, "%s/server.log", opt.work);

    fprintf(stderr, "bench_serve: setting up %s (%d tokens)\n", db_path, opt.ntokens);
    run_cli(NULL, 0, "project add bench");
    run_cli(NULL, 0, "user add alice");
    run_cli(NULL, 0, "project member bench alice --role maintainer --clearance internal");
    run_cli(NULL, 0, "user add robot");
    run_cli(NULL, 0, "project member bench robot --role experimenter --clearance internal");
    token_for("alice", alice);
    for (int i = 0; i < opt.ntokens; i++)
        token_for("robot", tokens[i]);
    start_server();
    fprintf(stderr, "bench_serve: genesis serve (pid %d) on 127.0.0.1:%d\n", (int)server_pid, port);

    result res[8];
    int nres = 0;
    load l;

    /* reads: of a campaign with some history (100 experiments told) */
    create_campaign("bench", 10000000);
    {
        pool hist = {0};
        hist.cap = 128;
        hist.ids = malloc(hist.cap * sizeof *hist.ids);
        suggest_path = "/api/v1/campaigns/bench/suggest";
        suggest_count = 50;
        suggest_left = 2;
        memset(&l, 0, sizeof l);
        l.next = next_suggest;
        l.done = collect_ids;
        l.ctx = &hist;
        run_load(&l, 1, 0, 0);
        free(l.lat);
        memset(&l, 0, sizeof l);
        l.next = next_tell;
        l.ctx = &hist;
        run_load(&l, 4, 0, 0);
        free(l.lat);
        if (l.bad || hist.n != 100)
            die("telling the read campaign's history: %zu experiments, %ld errors", hist.n, l.bad);
        free(hist.ids);
    }
    read_path = "/api/v1/campaigns/bench";
    memset(&l, 0, sizeof l);
    l.next = next_read;
    run_load(&l, opt.conns, 0.5, opt.seconds);
    summarise(&l, &res[nres++], "authenticated read GET /api/v1/campaigns/{name}", opt.conns);
    read_path = "/api/v1/me";
    memset(&l, 0, sizeof l);
    l.next = next_read;
    run_load(&l, opt.conns, 0.5, opt.seconds);
    summarise(&l, &res[nres++], "authenticated read GET /api/v1/me", opt.conns);

    result wrk_res;
    int have_wrk = run_wrk("/api/v1/campaigns/bench", opt.conns, opt.seconds, &wrk_res) == 0;
    if (have_wrk)
        res[nres++] = wrk_res;
    else
        fprintf(stderr, "bench_serve: wrk did not run (installed? scripts/install-deps)\n");

    /* durable tells: a pool of leased experiments, each told once */
    pool p = {0};
    size_t want = opt.quick ? 4000 : 12000;
    p.cap = want + 64;
    p.ids = malloc(p.cap * sizeof *p.ids);
    create_campaign("bench-tells", 10000000);
    suggest_path = "/api/v1/campaigns/bench-tells/suggest";
    suggest_count = 64;
    suggest_left = (long)(want / 64);
    memset(&l, 0, sizeof l);
    l.next = next_suggest;
    l.done = collect_ids;
    l.ctx = &p;
    double t0 = now_s();
    run_load(&l, 4, 0, 0);
    free(l.lat);
    fprintf(stderr, "bench_serve: %zu experiments leased for the tells in %.1f s\n", p.n,
            now_s() - t0);
    memset(&l, 0, sizeof l);
    l.next = next_tell;
    l.ctx = &p;
    run_load(&l, opt.tell_conns, 0.3, opt.seconds);
    if (p.next >= p.n)
        fprintf(stderr,
                "bench_serve: the pool ran out before the time: the rate is a lower bound\n");
    summarise(&l, &res[nres++],
              "durable tell POST /api/v1/experiments/{id}/outcome (new experiment each)",
              opt.tell_conns);
    free(p.ids);

    /* suggest over HTTP vs in process, sobol, count 1, in pairs */
    int nsug = opt.quick ? 200 : 1000;
    create_campaign("bench-suggest", 10000000);
    double http_ms, http_p99, lease_ms, overhead, ask_ms;
    suggest_pairs(nsug, "/api/v1/campaigns/bench-suggest/suggest", &http_ms, &lease_ms, &overhead,
                  &http_p99, &ask_ms);
    stop_server();
    result http_sug = {0};
    snprintf(http_sug.what, sizeof http_sug.what,
             "suggest over HTTP, sobol, count 1 (one client, keep-alive), median of %d", nsug);
    http_sug.clients = 1;
    http_sug.requests = nsug;
    http_sug.rps = 1e3 / http_ms;
    http_sug.p50 = http_ms;
    http_sug.p99 = http_p99;
    fprintf(stderr,
            "bench_serve: suggest median: HTTP %.3f ms, gn__campaign_lease %.3f ms, "
            "gn_campaign_ask_new %.3f ms: HTTP adds %.3f ms (median of the paired differences)\n",
            http_ms, lease_ms, ask_ms, overhead);

    /* the section */
    char *section = NULL, mach[512], date[64];
    size_t section_len = 0;
    FILE *o = open_memstream(&section, &section_len);
    time_t tt = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&tt));
    machine(mach, sizeof mach);
    double load1 = 0;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &load1) != 1)
            load1 = 0;
        fclose(la);
    }
    fprintf(o, "## %s - serve run%s\n\n", date, opt.quick ? " (quick)" : "");
    fprintf(o, "- machine: %s, commit %s; load average (1 min) at the end: %.2f\n", mach,
            opt.commit, load1);
    fprintf(o, "- command: `%s`\n", opt.command);
    double fsync_ms = fdatasync_ms();
    fprintf(o,
            "- fdatasync on the database's disk: %.2f ms (median of 50), the floor of one durable "
            "commit: a server committing each tell alone, one at a time, stays under %.0f "
            "tells/s\n",
            fsync_ms, 1e3 / fsync_ms);
    fprintf(
        o,
        "- server: `genesis serve --listen 127.0.0.1:0` with its defaults (worker threads: sixteen "
        "per core; SQLite WAL; tells group-committed; principals cached 1 s); load: `bench_serve` (epoll HTTP/1.1 client, keep-alive, one "
        "request in flight per connection, one token per connection) and `wrk -t2`, separate "
        "processes on loopback, sharing the machine with the server; %.0f s per measurement "
        "after a warm-up\n\n",
        opt.seconds);
    fprintf(o, "| measurement | connections | requests | non-2xx | req/s | p50 ms | p99 ms | "
               "target | ratio to target | met |\n");
    fprintf(o, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < nres; i++) {
        int tell = strstr(res[i].what, "tell") != NULL;
        double tgt = tell ? 2000 : 10000;
        char t[96];
        snprintf(t, sizeof t, ">= %s req/s, p99 < 20 ms", tell ? "2,000" : "10,000");
        row(o, &res[i], t, res[i].rps / tgt, res[i].rps >= tgt && res[i].p99 < 20);
    }
    row(o, &http_sug, "-", NAN, -1);
    result ref = {0};
    snprintf(ref.what, sizeof ref.what,
             "suggest in process, gn__campaign_lease (same spec), median of %d", nsug);
    ref.clients = 0;
    ref.requests = nsug;
    ref.rps = 1e3 / lease_ms;
    ref.p50 = lease_ms;
    ref.p99 = NAN;
    row(o, &ref, "-", NAN, -1);
    snprintf(ref.what, sizeof ref.what, "planner alone, gn_campaign_ask_new, median of %d", nsug);
    ref.rps = 1e3 / ask_ms;
    ref.p50 = ask_ms;
    row(o, &ref, "-", NAN, -1);
    fprintf(o,
            "\n**HTTP overhead on suggest** (median of the paired differences, HTTP - in "
            "process): **%.3f ms** (difference of the medians: %.3f ms); target well under 1 ms: "
            "ratio %.2f of 1 ms, %s\n",
            overhead, http_ms - lease_ms, overhead / 1.0, overhead < 1.0 ? "met" : "NOT met");
    int met = 0, total = 0;
    for (int i = 0; i < nres; i++) {
        int tell = strstr(res[i].what, "tell") != NULL;
        if (strncmp(res[i].what, "wrk", 3) == 0)
            continue;
        total++;
        met += res[i].rps >= (tell ? 2000 : 10000) && res[i].p99 < 20;
    }
    total++;
    met += overhead < 1.0;
    fprintf(o, "\nserve targets met (bench_serve reads, tells, suggest overhead): **%d of %d**\n",
            met, total);
    fclose(o);

    fputs("\n", stdout);
    fputs(section, stdout);
    if (opt.write && opt.results_md) {
        insert_section(opt.results_md, section);
        fprintf(stderr, "bench_serve: %s updated\n", opt.results_md);
    }
    free(section);
    return 0;
}
