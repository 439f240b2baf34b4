/*
 * cli/serve.c - `genesis serve`: the HTTP(S) service (docs/serve.md).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis serve [--listen HOST:PORT] [--db PATH] [--tls-cert FILE --tls-key FILE]\n"
    "                     [--threads N] [--rate-limit N] [--timeout S] [--quiet]\n"
    "\n"
    "Serves the campaigns of a database over HTTP(S): instruments and remote\n"
    "sites ask for experiments and tell their outcomes (docs/api.md). Prints\n"
    "\"listening on http(s)://HOST:PORT\" when ready, one line per request to\n"
    "stderr (method path status time user), and stops on Ctrl-C or SIGTERM\n"
    "after the requests in flight.\n"
    "\n"
    "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8080; port 0:\n"
    "                      any free port; IPv6 as [::1]:8080)\n"
    "  --db PATH           database file (default: $GENESIS_DB, else ./genesis.db)\n"
    "  --tls-cert FILE     PEM certificate (chain); with --tls-key: serve HTTPS\n"
    "  --tls-key FILE      PEM private key of the certificate\n"
    "  --threads N         worker threads (default: sixteen per core)\n"
    "  --rate-limit N      requests per second per token, burst 2N (default 2000;\n"
    "                      0: no limit)\n"
    "  --timeout S         idle connection timeout in seconds (default 30)\n"
    "  --quiet             no access log\n"
    "  -h, --help          this help\n";

static void on_signal(int sig)
{
    (void)sig;
    gn_serve_request_stop();
}

static void on_ready(void *ctx, const char *host, unsigned port, int tls)
{
    (void)ctx;
    if (strchr(host, ':'))
        printf("listening on %s://[%s]:%u\n", tls ? "https" : "http", host, port);
    else
        printf("listening on %s://%s:%u\n", tls ? "https" : "http", host, port);
    fflush(stdout);
}

static void on_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

/* Parses a whole number in lo..hi; -1 on error. */
static long number(const char *text, long lo, long hi)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    return v;
}

/* "HOST:PORT" or "[V6]:PORT" into host (size bytes) and *port. */
static int parse_listen(const char *text, char *host, size_t size, unsigned *port)
{
    const char *colon;
    long p;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= size)
            return -1;
        snprintf(host, size, "%.*s", (int)(close - text - 1), text + 1);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || (size_t)(colon - text) >= size || colon == text)
            return -1;
        snprintf(host, size, "%.*s", (int)(colon - text), text);
    }
    p = number(colon + 1, 0, 65535);
    if (p < 0)
        return -1;
    *port = (unsigned)p;
    return 0;
}

int gn_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"tls-cert", required_argument, NULL, 'c'},
                                             {"tls-key", required_argument, NULL, 'k'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"rate-limit", required_argument, NULL, 'r'},
                                             {"timeout", required_argument, NULL, 'T'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    gn_serve_options o;
    char host[128] = "127.0.0.1", err[1024];
    struct sigaction sa, old_int, old_term;
    int opt, quiet = 0;
    long v;
    gn_status st;

    gn_serve_options_init(&o);
    o.port = 8080;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            if (parse_listen(optarg, host, sizeof host, &o.port)) {
                gn_cli_error("serve", "--listen expects HOST:PORT (e.g. 127.0.0.1:8080), got '%s'",
                             optarg);
                return GN_EXIT_USAGE;
            }
            break;
        case 'd': o.db_path = optarg; break;
        case 'c': o.tls_cert = optarg; break;
        case 'k': o.tls_key = optarg; break;
        case 't':
            v = number(optarg, 1, 1024);
            if (v < 0) {
                gn_cli_error("serve", "--threads expects a whole number from 1 to 1024, got '%s'",
                             optarg);
                return GN_EXIT_USAGE;
            }
            o.threads = (unsigned)v;
            break;
        case 'r':
            v = number(optarg, 0, 100000000L);
            if (v < 0) {
                gn_cli_error("serve", "--rate-limit expects a whole number of requests per "
                                      "second (0: no limit), got '%s'",
                             optarg);
                return GN_EXIT_USAGE;
            }
            o.rate_limit = v == 0 ? -1.0 : (double)v;
            break;
        case 'T':
            v = number(optarg, 1, 3600);
            if (v < 0) {
                gn_cli_error("serve", "--timeout expects seconds from 1 to 3600, got '%s'",
                             optarg);
                return GN_EXIT_USAGE;
            }
            o.timeout = (unsigned)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return GN_EXIT_OK;
        default: fputs(help, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    if (!o.tls_cert != !o.tls_key) {
        gn_cli_error("serve", "TLS needs both --tls-cert and --tls-key (%s is missing)",
                     o.tls_cert ? "--tls-key" : "--tls-cert");
        return GN_EXIT_USAGE;
    }
    o.host = host;
    o.on_ready = on_ready;
    o.on_log = quiet ? NULL : on_log;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    st = gn_serve_run(&o, err, sizeof err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (st != GN_OK) {
        gn_cli_error("serve", "%s", err);
        return st == GN_ERR_INVALID ? GN_EXIT_USAGE : gn_cli_exit_code(st);
    }
    fprintf(stderr, "genesis serve: stopped\n");
    return GN_EXIT_OK;
}
