/*
 * robot.c - a laboratory robot that asks `genesis serve` what to do next
 * and tells it what happened, over HTTP (docs/api.md).
 *
 * The loop: suggest (1 or 2 experiments, leased to this robot) -> do each
 * experiment (here: a simulator, the Branin-Hoo function with optional
 * measurement noise, a simulated duration and occasional instrument
 * faults) -> tell the outcome, or the failure, with an idempotency key.
 *
 * Robots live on flaky networks next to servers that restart. Every
 * request is retried on connection errors, 5xx and 429 (honouring
 * Retry-After) with exponential backoff, until the server has not answered
 * for --deadline seconds. A tell is retried with the same body and the
 * same key, so a tell whose answer was lost records one outcome, never
 * two (the retry answers "replayed": true). Leases are renewed while a
 * long experiment runs.
 *
 *   robot --url http://127.0.0.1:8080 --token gns_... --campaign robot-branin
 *
 * Exit status: 0 the campaign is done (or --max experiments were done),
 * 1 an error the robot cannot retry (bad token, no such campaign...),
 * 2 usage, 3 the server did not answer for --deadline seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define MAX_COUNT 2

static const char usage[] =
    "usage: robot --url URL --campaign NAME [options]\n"
    "\n"
    "Asks `genesis serve` for experiments, runs them on a simulated instrument\n"
    "(the Branin-Hoo function of parameters x1, x2) and tells the outcomes back.\n"
    "\n"
    "  --url URL          the server, e.g. http://127.0.0.1:8080 (API under /api/v1)\n"
    "  --token T          API token (default: $GENESIS_TOKEN)\n"
    "  --campaign NAME    the campaign to work on\n"
    "  --max N            stop after N experiments (default 0: until the campaign is done)\n"
    "  --count N          experiments per suggestion, 1 or 2 (default 1)\n"
    "  --lease S          lease length asked for, seconds (default 600)\n"
    "  --cacert FILE      CA certificate for https (a self-signed server certificate)\n"
    "  --deadline S       give up when the server has not answered for S seconds (default 300)\n"
    "  --duration-ms MS   simulated duration of an experiment (default 20)\n"
    "  --noise SD         measurement noise, standard deviation (default 0)\n"
    "  --fail-rate P      probability of an instrument fault, told as a failure (default 0)\n"
    "  --seed N           seed of the noise and the faults (default 1)\n"
    "  --name ID          this robot's name, part of every idempotency key (default robot-PID)\n"
    "  --log FILE         append one JSON line per tell answered\n"
    "  --quiet            no line per experiment\n"
    "  -h, --help         this help\n"
    "exit status: 0 done, 1 error, 2 usage, 3 server gone for --deadline seconds\n";

typedef struct robot {
    CURL *curl;
    char api[1024];
    char token[256];
    char campaign[256];
    char objective[256];
    char name[128];
    char user[128]; /* who the token belongs to (GET /me) */
    const char *cacert;
    const char *log_path;
    FILE *log;
    long max, count, lease;
    double deadline, duration_ms, noise, fail_rate;
    unsigned long long seed;
    int quiet;
    double last_answer; /* when the server last answered anything */
    long done, failed, replayed, lost;
    double best;
    int has_best;
} robot;

typedef struct reply {
    long status;  /* 0: no answer */
    json_t *json; /* parsed body or NULL */
    char *body;
    size_t len, cap;
    double retry_after;
    CURLcode curl; /* CURLE_OK when an answer came */
} reply;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts;
    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_requested)
        ;
}

static void say(const robot *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const robot *r, const char *fmt, ...)
{
    va_list ap;
    if (r->quiet)
        return;
    printf("%s: ", r->name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- the simulated instrument -------------------------------------------- */

/* splitmix64: a deterministic stream per (seed, experiment), so that the
 * same experiment always measures the same value (a retried tell sends
 * the same body). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double uniform(uint64_t *state)
{
    *state = mix(*state);
    return ((double)(*state >> 11) + 0.5) / 9007199254740992.0;
}

static double branin(double x1, double x2)
{
    const double pi = 3.14159265358979323846;
    double b = 5.1 / (4.0 * pi * pi), c = 5.0 / pi, t = 1.0 / (8.0 * pi);
    double u = x2 - b * x1 * x1 + c * x1 - 6.0;
    return u * u + 10.0 * (1.0 - t) * cos(x1) + 10.0;
}

/* Runs experiment `id` at (x1, x2): *fault set to a reason when the
 * instrument fails, else *value is the measurement. */
static void simulate(const robot *r, long long id, double x1, double x2, double *value,
                     const char **fault)
{
    uint64_t st = mix(r->seed ^ mix((uint64_t)id));
    *fault = NULL;
    *value = branin(x1, x2);
    if (r->noise > 0) {
        double u1 = uniform(&st), u2 = uniform(&st);
        *value += r->noise * sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
    }
    if (r->fail_rate > 0 && uniform(&st) < r->fail_rate)
        *fault = "simulated instrument fault: pump pressure out of range";
}

/* ---- HTTP with retries ----------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    reply *rep = ud;
    size_t n = size * nmemb;
    if (rep->len + n + 1 > rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 8192;
        while (cap < rep->len + n + 1)
            cap *= 2;
        char *p = realloc(rep->body, cap);
        if (!p)
            return 0;
        rep->body = p;
        rep->cap = cap;
    }
    memcpy(rep->body + rep->len, data, n);
    rep->len += n;
    rep->body[rep->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    reply *rep = ud;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
        rep->retry_after = atof(data + 12);
    return n;
}

static void reply_free(reply *rep)
{
    free(rep->body);
    json_decref(rep->json);
    memset(rep, 0, sizeof *rep);
}

/* One attempt: fills rep (status 0 when no answer came). */
static void attempt(robot *r, const char *method, const char *url, const char *body, reply *rep)
{
    char auth[300];
    struct curl_slist *hdr = NULL;
    CURLcode rc;

    memset(rep, 0, sizeof *rep);
    rep->retry_after = -1;
    curl_easy_reset(r->curl);
    curl_easy_setopt(r->curl, CURLOPT_URL, url);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, rep);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, rep);
    if (r->cacert)
        curl_easy_setopt(r->curl, CURLOPT_CAINFO, r->cacert);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", r->token);
    hdr = curl_slist_append(hdr, auth);
    hdr = curl_slist_append(hdr, "Expect:");
    if (strcmp(method, "POST") == 0) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body ? body : "{}");
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body ? body : "{}"));
    } else {
        curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdr);
    rc = curl_easy_perform(r->curl);
    rep->curl = rc;
    curl_slist_free_all(hdr);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &rep->status);
        if (rep->len)
            rep->json = json_loadb(rep->body, rep->len, 0, NULL);
        r->last_answer = now_s();
    } else if (!r->quiet) {
        fprintf(stderr, "%s: %s %s: %s\n", r->name, method, url, curl_easy_strerror(rc));
    }
}

/* Sends a request until it gets an answer that is not worth retrying:
 * connection errors, 5xx and 429 are retried (same body, so the same
 * idempotency key) with exponential backoff, or after Retry-After. Gives
 * up (status 0) when the server has not answered for r->deadline seconds
 * or a stop was requested during a wait. */
static long call(robot *r, const char *method, const char *path, const char *body, reply *rep)
{
    char url[2048];
    double backoff = 0.1;
    uint64_t jitter = mix((uint64_t)(now_s() * 1e6));

    snprintf(url, sizeof url, "%s%s", r->api, path);
    for (;;) {
        attempt(r, method, url, body, rep);
        if (rep->status != 0 && rep->status != 429 && rep->status < 500)
            return rep->status;
        /* a certificate or URL that is wrong now will be wrong later too */
        if (rep->curl == CURLE_PEER_FAILED_VERIFICATION || rep->curl == CURLE_SSL_CACERT_BADFILE ||
            rep->curl == CURLE_SSL_CERTPROBLEM || rep->curl == CURLE_UNSUPPORTED_PROTOCOL ||
            rep->curl == CURLE_URL_MALFORMAT) {
            fprintf(stderr, "%s: %s %s: %s: giving up\n", r->name, method, url,
                    curl_easy_strerror(rep->curl));
            reply_free(rep);
            return 0;
        }
        double wait = backoff * (0.8 + 0.4 * uniform(&jitter));
        if (rep->status == 429 || rep->status == 503) {
            if (rep->retry_after >= 0)
                wait = rep->retry_after > 0 ? rep->retry_after : 0.05;
        }
        if (rep->status != 0)
            say(r, "%s %s: %ld, retrying in %.2f s", method, path, rep->status, wait);
        reply_free(rep);
        if (now_s() + wait - r->last_answer > r->deadline) {
            fprintf(stderr, "%s: no answer from %s for %.0f s: giving up\n", r->name, r->api,
                    r->deadline);
            return 0;
        }
        sleep_s(wait);
        backoff = backoff * 2 > 5.0 ? 5.0 : backoff * 2;
    }
}

static const char *error_code(const reply *rep)
{
    json_t *e = json_object_get(rep->json, "error");
    const char *c = json_string_value(json_object_get(e, "code"));
    return c ? c : "";
}

static const char *error_message(const reply *rep)
{
    json_t *e = json_object_get(rep->json, "error");
    const char *m = json_string_value(json_object_get(e, "message"));
    return m ? m : (rep->body ? rep->body : "");
}

/* ---- the campaign -------------------------------------------------------- */

/* Reads the campaign: its state into state[size] and (once) the name of
 * its first objective. Returns the HTTP status (0: no answer). */
static long campaign_get(robot *r, char *state, size_t size)
{
    char path[512];
    reply rep;
    snprintf(path, sizeof path, "/campaigns/%s", r->campaign);
    long st = call(r, "GET", path, NULL, &rep);
    if (st == 200) {
        const char *s = json_string_value(json_object_get(rep.json, "state"));
        snprintf(state, size, "%s", s ? s : "");
        /* Every experiment of the budget finished is done too, whatever
         * the state says. */
        json_t *counts = json_object_get(rep.json, "counts");
        json_int_t budget = json_integer_value(json_object_get(rep.json, "budget"));
        json_int_t finished = json_integer_value(json_object_get(counts, "completed")) +
                              json_integer_value(json_object_get(counts, "failed"));
        if (budget > 0 && finished >= budget && strcmp(state, "archived") != 0)
            snprintf(state, size, "completed");
        json_t *objs = json_object_get(rep.json, "objectives");
        const char *o = json_string_value(json_object_get(json_array_get(objs, 0), "name"));
        if (o && !r->objective[0])
            snprintf(r->objective, sizeof r->objective, "%s", o);
    } else if (st) {
        fprintf(stderr, "%s: GET %s: %ld %s: %s\n", r->name, path, st, error_code(&rep),
                error_message(&rep));
    }
    reply_free(&rep);
    return st;
}

static void log_tell(robot *r, long long id, const char *key, long status, int replayed,
                     const char *fault, double value, const char *code)
{
    if (!r->log)
        return;
    json_t *line = json_pack("{s:s, s:s, s:I, s:s, s:i, s:b}", "robot", r->name, "campaign",
                             r->campaign, "experiment", (json_int_t)id, "key", key, "status",
                             (int)status, "replayed", replayed);
    if (fault)
        json_object_set_new(line, "failure", json_string(fault));
    else
        json_object_set_new(line, "value", json_real(value));
    if (code && *code)
        json_object_set_new(line, "code", json_string(code));
    char *text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(17));
    fprintf(r->log, "%s\n", text);
    fflush(r->log);
    free(text);
    json_decref(line);
}

/* Keeps the lease of experiment id while the simulated experiment runs:
 * sleeps `seconds`, renewing the lease every half lease. */
static void run_for(robot *r, long long id, double seconds)
{
    double half = (double)r->lease / 2.0, end = now_s() + seconds;
    while (!stop_requested) {
        double left = end - now_s();
        if (left <= 0)
            return;
        if (left <= half) {
            sleep_s(left);
            return;
        }
        sleep_s(half);
        char path[128], body[64];
        reply rep;
        snprintf(path, sizeof path, "/experiments/%lld/lease", id);
        snprintf(body, sizeof body, "{\"lease_seconds\": %ld}", r->lease);
        long st = call(r, "POST", path, body, &rep);
        if (st != 200)
            say(r, "lease renewal of experiment %lld: %ld %s", id, st, error_code(&rep));
        reply_free(&rep);
    }
}

/* Does one leased experiment and tells what happened. Returns 0, or -1 when
 * the robot must stop (server gone, token refused). */
static int do_experiment(robot *r, const json_t *exp)
{
    long long id = (long long)json_integer_value(json_object_get(exp, "id"));
    json_t *params = json_object_get(exp, "parameters");
    json_t *jx1 = json_object_get(params, "x1"), *jx2 = json_object_get(params, "x2");
    char key[512], path[128];
    const char *fault = NULL;
    double value = 0;

    if (!json_is_number(jx1) || !json_is_number(jx2)) {
        fault = "this robot's instrument takes real parameters x1 and x2";
    } else {
        uint64_t st = mix(r->seed ^ (uint64_t)id ^ 0x5bd1e995ULL);
        run_for(r, id, r->duration_ms / 1e3 * (0.5 + uniform(&st)));
        simulate(r, id, json_number_value(jx1), json_number_value(jx2), &value, &fault);
    }

    /* The key names this robot and this experiment: a retry after a lost
     * answer carries the same key and the same body. */
    snprintf(key, sizeof key, "%s-%s-%lld", r->name, r->campaign, id);
    json_t *body = json_pack("{s:s}", "key", key);
    if (fault)
        json_object_set_new(body, "failure", json_string(fault));
    else
        json_object_set_new(body, "outcome", json_pack("{s:f}", r->objective, value));
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(body);

    reply rep;
    snprintf(path, sizeof path, "/experiments/%lld/outcome", id);
    long st = call(r, "POST", path, text, &rep);
    free(text);
    int rc = 0;
    if (st == 200 || st == 201) {
        int replayed = json_is_true(json_object_get(rep.json, "replayed"));
        log_tell(r, id, key, st, replayed, fault, value, NULL);
        r->done++;
        r->replayed += replayed;
        if (fault) {
            r->failed++;
            say(r, "experiment %lld failed: %s%s", id, fault, replayed ? " (replayed)" : "");
        } else {
            if (!r->has_best || value < r->best) {
                r->best = value;
                r->has_best = 1;
            }
            say(r, "experiment %lld: %s = %.6g%s", id, r->objective, value,
                replayed ? " (replayed)" : "");
        }
    } else if (st == 0) {
        rc = -1;
    } else {
        /* Someone else told it (its lease expired and another robot took
         * it), or the campaign was archived: the outcome is not recorded,
         * and retrying would not change that. */
        log_tell(r, id, key, st, 0, fault, value, error_code(&rep));
        r->lost++;
        say(r, "experiment %lld: tell answered %ld %s: %s", id, st, error_code(&rep),
            error_message(&rep));
        if (st == 401)
            rc = -1;
    }
    reply_free(&rep);
    return rc;
}

/* Experiments leased to this robot's user that it is not running: a
 * suggestion whose answer was lost (the server restarted after leasing
 * them), or a robot that was itself restarted. They are done now rather
 * than left until their leases expire. Returns how many were done, or -1
 * when the robot must stop. */
static long adopt_own_leases(robot *r)
{
    char path[512];
    reply rep;
    long done = 0;
    if (!r->user[0])
        return 0;
    snprintf(path, sizeof path, "/campaigns/%s/experiments?status=proposed&limit=1000",
             r->campaign);
    long st = call(r, "GET", path, NULL, &rep);
    if (st == 0)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get(rep.json, "items"), i, e) {
        const char *holder =
            json_string_value(json_object_get(json_object_get(e, "lease"), "user"));
        if (stop_requested || !holder || strcmp(holder, r->user) != 0)
            continue;
        say(r, "experiment %lld is leased to %s and not running: doing it now",
            (long long)json_integer_value(json_object_get(e, "id")), r->user);
        if (do_experiment(r, e) != 0) {
            reply_free(&rep);
            return -1;
        }
        done++;
    }
    reply_free(&rep);
    return done;
}

/* The loop. Returns the exit status. */
static int work(robot *r)
{
    char state[64] = "", path[512], body[128];
    reply me;
    long st = call(r, "GET", "/me", NULL, &me);
    if (st == 0)
        return 3;
    if (st != 200) {
        fprintf(stderr, "%s: GET /me: %ld %s: %s\n", r->name, st, error_code(&me),
                error_message(&me));
        reply_free(&me);
        return 1;
    }
    const char *user = json_string_value(json_object_get(me.json, "user"));
    snprintf(r->user, sizeof r->user, "%s", user ? user : "");
    reply_free(&me);
    st = campaign_get(r, state, sizeof state);
    if (st == 0)
        return 3;
    if (st != 200)
        return 1;
    if (!r->objective[0]) {
        fprintf(stderr, "%s: campaign %s has no objective\n", r->name, r->campaign);
        return 1;
    }
    if (adopt_own_leases(r) < 0) /* left over from an earlier run of this robot */
        return 3;
    snprintf(path, sizeof path, "/campaigns/%s/suggest", r->campaign);
    while (!stop_requested && (r->max == 0 || r->done + r->lost < r->max)) {
        long n = r->count;
        if (r->max > 0 && r->max - (r->done + r->lost) < n)
            n = r->max - (r->done + r->lost);
        snprintf(body, sizeof body, "{\"count\": %ld, \"lease_seconds\": %ld}", n, r->lease);
        reply rep;
        st = call(r, "POST", path, body, &rep);
        if (st == 0)
            return 3;
        if (st == 200 || st == 201) {
            json_t *exps = json_object_get(rep.json, "experiments");
            size_t k = json_array_size(exps);
            for (size_t i = 0; i < k; i++) {
                if (do_experiment(r, json_array_get(exps, i)) != 0) {
                    reply_free(&rep);
                    return 3;
                }
            }
            reply_free(&rep);
            if (k > 0)
                continue;
            /* nothing new: the budget is out, but leases are still out */
            long adopted = adopt_own_leases(r);
            if (adopted < 0)
                return 3;
            if (adopted > 0)
                continue;
        } else if (st == 409) {
            reply_free(&rep); /* not active: completed, archived or paused */
        } else {
            fprintf(stderr, "%s: suggest: %ld %s: %s\n", r->name, st, error_code(&rep),
                    error_message(&rep));
            reply_free(&rep);
            return 1;
        }
        st = campaign_get(r, state, sizeof state);
        if (st == 0)
            return 3;
        if (st != 200)
            return 1;
        if (strcmp(state, "completed") == 0 || strcmp(state, "archived") == 0) {
            say(r, "campaign %s is %s", r->campaign, state);
            return 0;
        }
        sleep_s(0.25); /* paused, or waiting for other robots' experiments */
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, 0, 'u'},
                                         {"token", required_argument, 0, 't'},
                                         {"campaign", required_argument, 0, 'c'},
                                         {"max", required_argument, 0, 'm'},
                                         {"count", required_argument, 0, 'n'},
                                         {"lease", required_argument, 0, 'l'},
                                         {"cacert", required_argument, 0, 'C'},
                                         {"deadline", required_argument, 0, 'd'},
                                         {"duration-ms", required_argument, 0, 'D'},
                                         {"noise", required_argument, 0, 'N'},
                                         {"fail-rate", required_argument, 0, 'f'},
                                         {"seed", required_argument, 0, 's'},
                                         {"name", required_argument, 0, 'i'},
                                         {"log", required_argument, 0, 'L'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    robot r;
    const char *url = NULL, *token = getenv("GENESIS_TOKEN");
    int c, rc;

    memset(&r, 0, sizeof r);
    r.count = 1;
    r.lease = 600;
    r.deadline = 300;
    r.duration_ms = 20;
    r.seed = 1;
    snprintf(r.name, sizeof r.name, "robot-%ld", (long)getpid());
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 't': token = optarg; break;
        case 'c': snprintf(r.campaign, sizeof r.campaign, "%s", optarg); break;
        case 'm': r.max = atol(optarg); break;
        case 'n': r.count = atol(optarg); break;
        case 'l': r.lease = atol(optarg); break;
        case 'C': r.cacert = optarg; break;
        case 'd': r.deadline = atof(optarg); break;
        case 'D': r.duration_ms = atof(optarg); break;
        case 'N': r.noise = atof(optarg); break;
        case 'f': r.fail_rate = atof(optarg); break;
        case 's': r.seed = strtoull(optarg, NULL, 10); break;
        case 'i': snprintf(r.name, sizeof r.name, "%s", optarg); break;
        case 'L': r.log_path = optarg; break;
        case 'q': r.quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!url || !r.campaign[0] || !token || !*token || optind != argc || r.count < 1 ||
        r.count > MAX_COUNT || r.lease < 1 || r.lease > 86400 || r.max < 0 || r.deadline <= 0 ||
        r.fail_rate < 0 || r.fail_rate > 1 || r.noise < 0 || r.duration_ms < 0) {
        fprintf(stderr, "robot: %s\n%s",
                !token || !*token ? "no token (--token or GENESIS_TOKEN)"
                                  : "missing or invalid option",
                usage);
        return 2;
    }
    snprintf(r.token, sizeof r.token, "%s", token);
    size_t ul = strlen(url);
    while (ul > 0 && url[ul - 1] == '/')
        ul--;
    if (ul >= 7 && strncmp(url + ul - 7, "/api/v1", 7) == 0)
        snprintf(r.api, sizeof r.api, "%.*s", (int)ul, url);
    else
        snprintf(r.api, sizeof r.api, "%.*s/api/v1", (int)ul, url);

    if (r.log_path && !(r.log = fopen(r.log_path, "a"))) {
        fprintf(stderr, "robot: %s: %s\n", r.log_path, strerror(errno));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    r.curl = curl_easy_init();
    if (!r.curl) {
        fprintf(stderr, "robot: curl_easy_init failed\n");
        rc = 1;
    } else {
        r.last_answer = now_s();
        rc = work(&r);
        curl_easy_cleanup(r.curl);
    }
    curl_global_cleanup();
    if (r.log)
        fclose(r.log);
    printf("%s: %ld experiments told (%ld failed, %ld answers replayed, %ld not recorded)", r.name,
           r.done, r.failed, r.replayed, r.lost);
    if (r.has_best)
        printf("; best %s = %.6g", r.objective, r.best);
    printf("\n");
    return rc;
}
