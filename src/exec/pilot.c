/*
 * exec/pilot.c - Slurm pilot workers: the controller side (an executor
 * type used by exec/slurm.c, see pilot.h) and the worker side
 * (gn_slurm_worker_run, genesis/slurm.h); design in docs/slurm.md.
 *
 * One `srun --exact -n1 -N1 ... <genesis> pilot-worker` step per slot.
 * The controller talks to each srun over one socket that is the step's
 * stdin and stdout (srun forwards both), and reads srun's stderr (srun's
 * own messages and the worker's log) for error messages. Messages are the
 * lines of exec/wire.h:
 *
 *   controller -> worker   S start (spec text, campaign, work root, slots)
 *                          T task (one attempt)
 *                          C cancel (grace seconds): cancel what runs
 *                          end of input: kill what runs and exit
 *   worker -> controller   R ready (set-up status, node, step id)
 *                          D done (one result)
 *                          E a task that could not be started
 *
 * The controller sends a task to a worker that is still starting as
 * readily as to a ready one: the socket holds it until the step reads it,
 * so start-up overlaps with the first attempt. Each worker runs one
 * attempt at a time (slots 1): a step that dies takes exactly one attempt
 * with it, which comes back as a failed attempt; the slot is started
 * again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "exec/pilot.h"
#include "exec/runner.h"
#include "exec/wire.h"
#include "genesis/slurm.h"

#define MAX_RESTARTS 5       /* restarts of one slot after its worker died */
#define END_WAIT 5.0         /* seconds destroy waits for workers to exit */
#define ETAIL 2048           /* bytes of srun's stderr kept per worker */
/* A worker whose runner was killed by SIGKILL or SIGTERM that it did not
 * send (scancel of the step, the node going down) may be dying itself:
 * it gets no new attempt for this long, so a retry does not go to a step
 * that ends a moment later (its end, if it comes, restarts the slot). */
#define SUSPECT_SECONDS 2.0
/* A worker that has sent no result this long after its attempt's time
 * limit (runner.timeout + runner.kill_grace, which the worker enforces
 * itself) is hung (stopped, deadlocked, its node unreachable): genesis
 * kills its step and the attempt fails; the slot gets a new worker. Only
 * with a runner.timeout: without one an attempt may rightly run forever. */
#define HANG_MARGIN 10.0
#define WORKER_SLICE 0.02    /* seconds a busy worker waits on its runner between reads */
#define WORKER_IDLE_MS 250   /* an idle worker's poll on its input */

/* ---- finding programs ------------------------------------------------------ */

char *gn__pilot_worker_program(gn_err *err)
{
    const char *env = getenv("GENESIS_BIN");
    char self[PATH_MAX];
    ssize_t n;
    char *p;

    if (env && *env) {
        if (access(env, X_OK) != 0) {
            gn_err_set(err, GN_ERR_UNSUPPORTED, "GENESIS_BIN=%s: %s (it names the genesis program "
                                                "that pilot workers run)",
                       env, strerror(errno));
            return NULL;
        }
        p = env[0] == '/' ? gn_strdup(env) : NULL;
        if (!p) {
            char *r = realpath(env, NULL);
            p = r ? gn_strdup(r) : gn_strdup(env);
            free(r);
        }
        if (!p)
            gn_err_nomem(err);
        return p;
    }
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        const char *base;
        self[n] = '\0';
        base = strrchr(self, '/');
        base = base ? base + 1 : self;
        if (strcmp(base, "genesis") == 0) {
            p = gn_strdup(self);
            if (!p)
                gn_err_nomem(err);
            return p;
        }
    }
    p = gn__exec_which("genesis");
    if (!p)
        gn_err_set(err, GN_ERR_UNSUPPORTED,
                   "executor slurm pilot launch workers runs `genesis pilot-worker` in each "
                   "step, and this program is not genesis: set GENESIS_BIN to the genesis "
                   "program, put genesis in $PATH, or use launch: steps (docs/slurm.md)");
    return p;
}

/* ---- the controller --------------------------------------------------------- */

typedef enum { PW_STARTING = 0, PW_READY, PW_GONE } pw_state;

typedef struct pworker {
    pw_state state;
    pid_t pid;            /* srun; 0 when none */
    int fd;               /* the step's stdin and stdout; -1 when none */
    int efd;              /* srun's stderr; -1 when none */
    gn__linebuf in;
    char host[256];
    char step[64];        /* "1234.7" once ready */
    char etail[ETAIL];    /* last bytes of srun's stderr */
    size_t etail_len;
    int busy;             /* holds an attempt whose result has not come */
    int64_t exp_id;
    int attempt;
    double sent;          /* when the attempt was sent (epoch) */
    double sent_mono;     /* the same, monotonic (the hang deadline) */
    int ever_ready;       /* this launch said ready */
    int setup_failed;     /* this launch's ready carried an error */
    int restarts;
    double suspect_until; /* monotonic: no new attempt before (SUSPECT_SECONDS) */
} pworker;

typedef struct pilot {
    const gn_exec_config *cfg;
    char *srun;           /* absolute path */
    char **argv;          /* srun ... <genesis> pilot-worker, NULL-terminated */
    size_t argc;
    char *root;           /* resolved work root */
    char alloc[64];
    pworker *w;
    size_t n;
    gn_exec_result *done; /* results received, not handed out yet (FIFO) */
    size_t n_done, cap_done;
    size_t running;       /* submitted, result not handed out */
    gn__wbuf start;       /* the START line, sent to every worker */
    gn__wbuf line, rec, payload;
    struct pollfd *pfds;
    char last_error[1024];
} pilot;

static void pilot_destroy(void *state);

static void etail_add(pworker *w, const char *buf, size_t n)
{
    if (n >= ETAIL - 1) {
        buf += n - (ETAIL - 1);
        n = ETAIL - 1;
    }
    if (w->etail_len + n > ETAIL - 1) {
        size_t drop = w->etail_len + n - (ETAIL - 1);
        memmove(w->etail, w->etail + drop, w->etail_len - drop);
        w->etail_len -= drop;
    }
    memcpy(w->etail + w->etail_len, buf, n);
    w->etail_len += n;
    w->etail[w->etail_len] = '\0';
}

/* The last non-empty line of srun's stderr, in buf ("" when none). */
static const char *etail_last(const pworker *w, char *buf, size_t size)
{
    size_t end = w->etail_len, b;
    while (end > 0 && (w->etail[end - 1] == '\n' || w->etail[end - 1] == '\r'))
        end--;
    b = end;
    while (b > 0 && w->etail[b - 1] != '\n')
        b--;
    snprintf(buf, size, "%.*s", (int)(end - b), w->etail + b);
    return buf;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Starts srun for worker w and sends it the START line. */
static gn_status launch(pilot *s, pworker *w, gn_err *err)
{
    int sv[2] = {-1, -1}, ep[2] = {-1, -1};
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
        int e = errno;
        if (sv[0] >= 0) {
            close(sv[0]);
            close(sv[1]);
        }
        return gn_err_set(err, GN_ERR_IO, "pilot worker: cannot make a socket: %s", strerror(e));
    }
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        close(ep[0]);
        close(ep[1]);
        return gn_err_set(err, GN_ERR_IO, "pilot worker: cannot start srun: %s", strerror(e));
    }
    if (pid == 0) {
        sigset_t none;
        /* its own process group: a terminal's Ctrl-C reaches genesis,
         * which decides; and srun gets SIGTERM (which it forwards to the
         * step) when genesis dies */
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        dup2(sv[1], 0);
        dup2(sv[1], 1);
        dup2(ep[1], 2);
        execv(s->srun, s->argv);
        _exit(127);
    }
    close(sv[1]);
    close(ep[1]);
    fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
    w->pid = pid;
    w->fd = sv[0];
    w->efd = ep[0];
    w->state = PW_STARTING;
    w->suspect_until = 0; /* a new step */
    w->ever_ready = 0;
    w->setup_failed = 0;
    w->host[0] = '\0';
    w->step[0] = '\0';
    w->etail_len = 0;
    w->etail[0] = '\0';
    gn__linebuf_free(&w->in);
    if (send_all(w->fd, s->start.p, s->start.len) != 0)
        gn_log(GN_LOG_DEBUG, "pilot worker: cannot send the start message: %s", strerror(errno));
    /* a failed send shows as the step's end of output: handled by wait */
    return GN_OK;
}

static int push_done(pilot *s, gn_exec_result *r)
{
    if (s->n_done == s->cap_done) {
        size_t nc = s->cap_done ? 2 * s->cap_done : 16;
        gn_exec_result *p = gn_reallocarray(s->done, nc, sizeof *p);
        if (!p)
            return 0;
        s->done = p;
        s->cap_done = nc;
    }
    s->done[s->n_done++] = *r;
    memset(r, 0, sizeof *r);
    return 1;
}

static const char *state_of(gn_att_status st)
{
    return st == GN_ATT_SUCCEEDED   ? "COMPLETED"
           : st == GN_ATT_TIMEOUT   ? "TIMEOUT"
           : st == GN_ATT_CANCELLED ? "CANCELLED"
                                    : "FAILED";
}

/* Fills the job fields of a result of worker w and queues it. On NOMEM
 * the result is dropped: the attempt is lost to this run and stays
 * "running" in the store (rerun on resume); never happens in practice. */
static void finish(pilot *s, pworker *w, gn_exec_result *r, const char *job_state)
{
    r->job_id = gn_strdup(w->step[0] ? w->step : s->alloc);
    r->job_state = gn_strdup(job_state ? job_state : state_of(r->status));
    r->node = w->host[0] ? gn_strdup(w->host) : NULL;
    w->busy = 0;
    if (r->status == GN_ATT_FAILED && (r->signal == SIGKILL || r->signal == SIGTERM))
        w->suspect_until = gn_time_mono() + SUSPECT_SECONDS;
    if (!r->job_id || !r->job_state || !push_done(s, r)) {
        gn_log(GN_LOG_ERROR, "pilot worker: out of memory: the result of experiment id %lld is lost",
               (long long)r->experiment_id);
        gn_exec_result_destroy(r);
        s->running--;
    }
}

/* Worker w's step is over (its output ended, or its stream broke: `why`).
 * Reaps srun; its attempt becomes a failed result; the slot starts again
 * unless it never came up. */
static void worker_gone(pilot *s, pworker *w, const char *why)
{
    char last[512], reason[1400];
    int status = 0, code = -1;
    double end = gn_time_mono() + 3.0;
    int cancelled;

    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->efd >= 0) {
        char buf[4096];
        ssize_t k;
        /* what srun said last */
        while ((k = read(w->efd, buf, sizeof buf)) > 0)
            etail_add(w, buf, (size_t)k);
        close(w->efd);
    }
    w->efd = -1;
    if (w->pid > 0) {
        pid_t r;
        while ((r = waitpid(w->pid, &status, WNOHANG)) == 0 && gn_time_mono() < end)
            gn_time_sleep(0.01, NULL);
        if (r == 0) {
            kill(w->pid, SIGKILL);
            r = waitpid(w->pid, &status, 0);
        }
        if (r == w->pid && WIFEXITED(status))
            code = WEXITSTATUS(status);
        w->pid = 0;
    }
    etail_last(w, last, sizeof last);
    cancelled = strstr(w->etail, "CANCELLED") != NULL;
    snprintf(reason, sizeof reason, "Slurm step %s%s%s ended while the attempt ran (%s%s%s)",
             w->step[0] ? w->step : s->alloc, w->host[0] ? " on " : "", w->host,
             why ? why : code >= 0 ? "srun exited" : "srun was killed", last[0] ? ": " : "", last);
    if (!w->ever_ready && !w->setup_failed)
        snprintf(s->last_error, sizeof s->last_error, "pilot worker step did not start (%s%s%s)",
                 code >= 0 ? "srun exited" : "srun was killed", last[0] ? ": " : "", last);
    if (w->busy) {
        gn_exec_result r;
        memset(&r, 0, sizeof r);
        r.experiment_id = w->exp_id;
        r.attempt = w->attempt;
        r.status = GN_ATT_FAILED;
        r.exit_code = -1;
        r.started = w->sent;
        r.finished = gn_time_wall();
        r.stdout_tail = gn_strdup("");
        r.stderr_tail = gn_strdup(w->etail);
        if (!w->ever_ready || w->setup_failed) {
            /* a set-up problem, not the experiment's: the run stops with it */
            r.not_started = 1;
            r.reason = gn_asprintf("cannot start runner: %s", s->last_error);
        } else {
            r.reason = gn_strdup(reason);
        }
        if (!r.reason || !r.stdout_tail || !r.stderr_tail) {
            gn_exec_result_destroy(&r);
            memset(&r, 0, sizeof r);
            r.experiment_id = w->exp_id;
            r.attempt = w->attempt;
            r.status = GN_ATT_FAILED;
        }
        finish(s, w, &r, cancelled ? "CANCELLED" : "FAILED");
    }
    gn__linebuf_free(&w->in);
    if (w->ever_ready && !w->setup_failed && w->restarts < MAX_RESTARTS) {
        gn_err e;
        w->restarts++;
        gn_log(GN_LOG_WARN, "slurm: %s; starting a new worker step", reason);
        if (launch(s, w, &e) == GN_OK)
            return;
        gn_log(GN_LOG_WARN, "slurm: %s", e.msg);
    } else if (w->ever_ready && !w->setup_failed) {
        gn_log(GN_LOG_WARN, "slurm: %s; slot dropped after %d restarts", reason, w->restarts);
    } else {
        gn_log(GN_LOG_WARN, "slurm: pilot worker slot dropped: %s", s->last_error);
    }
    w->state = PW_GONE;
}

/* One line from worker w. 0, or -1 when the stream is broken (the caller
 * ends the worker). */
static int on_line(pilot *s, pworker *w, const char *line, size_t len)
{
    gn__rbuf r;
    gn_err e;
    char type = 0;
    gn_status st = gn__wire_line_get(line, len, &type, &s->payload, &e);

    if (st == GN_ERR_NOT_FOUND) {
        gn_log(GN_LOG_INFO, "slurm step %s: %.*s", w->step[0] ? w->step : "(starting)",
               (int)(len > 500 ? 500 : len), line);
        return 0;
    }
    if (st != GN_OK)
        goto bad;
    memset(&r, 0, sizeof r);
    r.p = s->payload.p;
    r.len = s->payload.len;
    if (type == 'R') {
        gn__wire_ready rd;
        st = gn__wire_get_ready(&r, &rd, &e);
        if (st != GN_OK)
            goto bad;
        snprintf(w->host, sizeof w->host, "%s", rd.host);
        snprintf(w->step, sizeof w->step, "%s", rd.step);
        if (rd.status != GN_OK) {
            w->setup_failed = 1;
            snprintf(s->last_error, sizeof s->last_error, "pilot worker on %s: %s", rd.host, rd.msg);
            return -1;
        }
        w->state = PW_READY;
        w->ever_ready = 1;
        return 0;
    }
    if (type == 'D' || type == 'E') {
        gn_exec_result res;
        memset(&res, 0, sizeof res);
        if (type == 'D') {
            st = gn__wire_get_result(&r, &res, &e);
        } else {
            const char *msg;
            gn_status code;
            st = gn__wire_get_start_error(&r, &res.experiment_id, &res.attempt, &code, &msg, &e);
            if (st == GN_OK) {
                double now = gn_time_wall();
                res.status = GN_ATT_FAILED;
                res.exit_code = -1;
                res.started = res.finished = now;
                res.not_started = 1;
                res.reason = gn_strdup(msg);
                res.stdout_tail = gn_strdup("");
                res.stderr_tail = gn_strdup("");
                if (!res.reason || !res.stdout_tail || !res.stderr_tail) {
                    gn_exec_result_destroy(&res);
                    st = gn_err_nomem(&e);
                }
            }
        }
        if (st == GN_ERR_NOMEM) {
            gn_log(GN_LOG_ERROR, "pilot worker: out of memory reading a result");
            return -1;
        }
        if (st != GN_OK)
            goto bad;
        if (!w->busy || res.experiment_id != w->exp_id || res.attempt != w->attempt) {
            gn_exec_result_destroy(&res);
            snprintf(e.msg, sizeof e.msg, "a result for an attempt it was not running");
            goto bad;
        }
        finish(s, w, &res, NULL);
        return 0;
    }
    snprintf(e.msg, sizeof e.msg, "unknown message type '%c'", type);
bad:
    gn_log(GN_LOG_ERROR, "slurm step %s: malformed message from the pilot worker: %s",
           w->step[0] ? w->step : "(starting)", e.msg);
    return -1;
}

/* Reads what worker w sent; ends it when its output ended or broke. */
static void on_readable(pilot *s, pworker *w)
{
    char buf[65536];
    ssize_t k = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
    const char *line;
    size_t len;

    if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (k <= 0) {
        worker_gone(s, w, k < 0 ? strerror(errno) : NULL);
        return;
    }
    if (gn__linebuf_push(&w->in, buf, (size_t)k) != 0) {
        kill(w->pid, SIGTERM);
        worker_gone(s, w, "a message too long or out of memory");
        return;
    }
    while ((line = gn__linebuf_next(&w->in, &len)) != NULL) {
        if (on_line(s, w, line, len) != 0) {
            kill(w->pid, SIGTERM);
            worker_gone(s, w, w->setup_failed ? "its set-up failed" : "a malformed message");
            return;
        }
    }
}

static void on_stderr(pworker *w)
{
    char buf[4096];
    ssize_t k = read(w->efd, buf, sizeof buf);
    if (k > 0) {
        etail_add(w, buf, (size_t)k);
        gn_log(GN_LOG_DEBUG, "slurm step %s stderr: %.*s", w->step[0] ? w->step : "(starting)",
               (int)k, buf);
    } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(w->efd);
        w->efd = -1;
    }
}

static gn_status pilot_create(const gn_exec_config *cfg, void **state, gn_err *err)
{
    const gn_spec *spec = cfg ? cfg->spec : NULL;
    const gn_executor_spec *ex;
    const char *jid = getenv("SLURM_JOB_ID");
    pilot *s;
    char *bin = NULL;
    gn__wire_start ws;
    size_t i, n = 0;
    gn_status st = GN_OK;

    *state = NULL;
    if (!spec || !cfg->work_root || cfg->slots < 1)
        return gn_err_set(err, GN_ERR_INVALID, "pilot workers: no spec, work root or slots");
    ex = &spec->executor;
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->cfg = cfg;
    snprintf(s->alloc, sizeof s->alloc, "%s", jid ? jid : "");
    s->srun = gn__exec_which("srun");
    if (!s->srun) {
        st = gn_err_set(err, GN_ERR_UNSUPPORTED,
                        "executor slurm mode pilot needs srun, which is not in $PATH");
        goto fail;
    }
    bin = gn__pilot_worker_program(err);
    if (!bin) {
        st = err->status;
        goto fail;
    }
    {
        char *r = realpath(cfg->work_root, NULL);
        s->root = gn_strdup(r ? r : cfg->work_root);
        free(r);
    }
    s->argv = gn_calloc(ex->n_step_args + 12, sizeof *s->argv);
    if (!s->root || !s->argv) {
        st = gn_err_nomem(err);
        goto fail;
    }
    s->argv[n++] = gn_strdup("srun");
    s->argv[n++] = gn_strdup("--exact");
    s->argv[n++] = gn_strdup("-n1");
    s->argv[n++] = gn_strdup("-N1");
    if (ex->cpus_per_task > 0)
        s->argv[n++] = gn_asprintf("--cpus-per-task=%ld", ex->cpus_per_task);
    s->argv[n++] = gn_strdup("--quiet");
    s->argv[n++] = gn_asprintf("--job-name=%s", ex->job_name ? ex->job_name
                                                : cfg->campaign ? cfg->campaign : spec->name);
    for (i = 0; i < ex->n_step_args; i++)
        s->argv[n++] = gn_strdup(ex->step_args[i]);
    s->argv[n++] = bin;
    bin = NULL;
    s->argv[n++] = gn_strdup("pilot-worker");
    s->argc = n;
    for (i = 0; i < n; i++)
        if (!s->argv[i]) {
            st = gn_err_nomem(err);
            goto fail;
        }
    memset(&ws, 0, sizeof ws);
    ws.slots = 1;
    ws.campaign = cfg->campaign ? cfg->campaign : spec->name;
    ws.work_root = s->root;
    ws.source = spec->source;
    ws.base_dir = spec->base_dir;
    ws.text = spec->text;
    ws.text_len = spec->text_len;
    gn__wire_put_start(&s->rec, &ws);
    if (!s->rec.failed)
        gn__wire_line_put(&s->start, 'S', s->rec.p, s->rec.len);
    s->n = (size_t)cfg->slots;
    s->w = gn_calloc(s->n, sizeof *s->w);
    s->pfds = gn_calloc(2 * s->n, sizeof *s->pfds);
    if (s->rec.failed || s->start.failed || !s->w || !s->pfds) {
        st = gn_err_nomem(err);
        goto fail;
    }
    for (i = 0; i < s->n; i++) {
        s->w[i].fd = -1;
        s->w[i].efd = -1;
    }
    for (i = 0; i < s->n; i++) {
        st = launch(s, &s->w[i], err);
        if (st != GN_OK)
            goto fail;
    }
    gn_log(GN_LOG_INFO, "slurm: started %zu pilot worker step(s) in job %s", s->n, s->alloc);
    *state = s;
    return GN_OK;
fail:
    gn_free(bin);
    pilot_destroy(s);
    return st;
}

static size_t pilot_running(void *state) { return ((pilot *)state)->running; }

static size_t pilot_free_slots(void *state)
{
    pilot *s = state;
    size_t i, idle = 0, gone = 0;
    double now = gn_time_mono();
    for (i = 0; i < s->n; i++) {
        if (s->w[i].state == PW_GONE)
            gone++;
        else if (!s->w[i].busy && now >= s->w[i].suspect_until)
            idle++;
    }
    if (s->running >= s->n)
        return 0;
    if (gone == s->n)
        return 1; /* submit says why nothing can run */
    return idle < s->n - s->running ? idle : s->n - s->running;
}

static gn_status pilot_submit(void *state, const gn_task *task, gn_task_started *started, gn_err *err)
{
    pilot *s = state;
    const gn_spec *spec = s->cfg->spec;
    size_t i;

    if (!task || !started || (spec->n_params > 0 && !task->x))
        return gn_err_set(err, GN_ERR_INVALID, "pilot workers: submit without a task or point");
    if (s->running >= s->n)
        return gn_err_set(err, GN_ERR_STATE, "pilot workers: all %zu slots are busy", s->n);
    for (;;) {
        pworker *w = NULL;
        double now = gn_time_mono();
        int any = 0;
        for (i = 0; i < s->n; i++) {
            pworker *c = &s->w[i];
            if (c->state == PW_GONE)
                continue;
            any = 1;
            if (!c->busy && now >= c->suspect_until &&
                (!w || (c->state == PW_READY && w->state != PW_READY)))
                w = c;
        }
        if (!any)
            return gn_err_set(err, GN_ERR_RUNNER, "no pilot worker step is running: %s",
                              s->last_error[0] ? s->last_error : "they all failed");
        if (!w) {
            size_t busy = 0, suspect = 0;
            for (i = 0; i < s->n; i++) {
                busy += s->w[i].state != PW_GONE && s->w[i].busy;
                suspect += s->w[i].state != PW_GONE && !s->w[i].busy && now < s->w[i].suspect_until;
            }
            return gn_err_set(err, GN_ERR_STATE,
                              "pilot workers: no worker is idle (%zu of %zu busy, %zu just lost "
                              "a runner to a signal, %zu attempts out)",
                              busy, s->n, suspect, s->running);
        }
        s->rec.len = 0;
        s->rec.failed = 0;
        s->line.len = 0;
        s->line.failed = 0;
        gn__wire_put_task(&s->rec, task, spec->n_params);
        if (!s->rec.failed)
            gn__wire_line_put(&s->line, 'T', s->rec.p, s->rec.len);
        if (s->rec.failed || s->line.failed)
            return gn_err_nomem(err);
        if (send_all(w->fd, s->line.p, s->line.len) != 0) {
            worker_gone(s, w, strerror(errno));
            continue;
        }
        w->busy = 1;
        w->exp_id = task->experiment_id;
        w->attempt = task->attempt;
        w->sent = gn_time_wall();
        w->sent_mono = gn_time_mono();
        s->running++;
        memset(started, 0, sizeof *started);
        snprintf(started->host, sizeof started->host, "%s", w->host);
        if ((size_t)snprintf(started->workdir, sizeof started->workdir, "%s/%lld/%d", s->root,
                             (long long)task->number, task->attempt) >= sizeof started->workdir)
            started->workdir[0] = '\0';
        started->started = w->sent;
        return GN_OK;
    }
}

static size_t take_done(pilot *s, gn_exec_result *out, size_t cap)
{
    size_t k = s->n_done < cap ? s->n_done : cap;
    if (k == 0)
        return 0;
    memcpy(out, s->done, k * sizeof *out);
    memmove(s->done, s->done + k, (s->n_done - k) * sizeof *out);
    s->n_done -= k;
    s->running -= k;
    return k;
}

/* Runs `scancel --signal=KILL step` (and waits up to 10 s for it):
 * SIGKILL reaches the step's processes even when they are stopped. */
static void kill_step(const char *step)
{
    char *prog = gn__exec_which("scancel");
    double end = gn_time_mono() + 10.0;
    pid_t pid, r = 0;
    int status;

    if (!prog)
        return;
    pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(prog, "scancel", "--signal=KILL", step, (char *)NULL);
        _exit(127);
    }
    gn_free(prog);
    if (pid < 0)
        return;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && gn_time_mono() < end)
        gn_time_sleep(0.01, NULL);
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
}

/* Ends the workers that hold an attempt HANG_MARGIN seconds past its time
 * limit without a result: their step is killed (srun with it) and the
 * attempt fails with the reason; worker_gone starts the slot again. */
static void check_hung(pilot *s)
{
    const gn_spec *spec = s->cfg->spec;
    double limit = spec->runner.timeout, now;
    size_t i;

    if (limit <= 0)
        return;
    limit += (spec->runner.kill_grace > 0 ? spec->runner.kill_grace : 0) + HANG_MARGIN;
    now = gn_time_mono();
    for (i = 0; i < s->n; i++) {
        pworker *w = &s->w[i];
        char why[256];
        if (w->state == PW_GONE || !w->busy || now < w->sent_mono + limit)
            continue;
        snprintf(why, sizeof why,
                 "the pilot worker sent no result %.0f s after the attempt's time limit "
                 "(runner.timeout + kill_grace): hung, its step was killed",
                 HANG_MARGIN);
        gn_log(GN_LOG_WARN, "slurm: step %s%s%s: %s", w->step[0] ? w->step : "(starting)",
               w->host[0] ? " on " : "", w->host, why);
        if (w->step[0])
            kill_step(w->step);
        if (w->pid > 0)
            kill(w->pid, SIGKILL); /* srun, if the step's end did not end it */
        worker_gone(s, w, why);
    }
}

/* One poll over every worker's streams, for at most ms milliseconds. */
static void pump(pilot *s, int ms)
{
    size_t i, k = 0;
    for (i = 0; i < s->n; i++) {
        pworker *w = &s->w[i];
        if (w->fd >= 0)
            s->pfds[k++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
        if (w->efd >= 0)
            s->pfds[k++] = (struct pollfd){.fd = w->efd, .events = POLLIN};
    }
    if (k == 0) {
        gn_time_sleep((double)ms / 1000.0, NULL);
        return;
    }
    if (poll(s->pfds, (nfds_t)k, ms) <= 0)
        return;
    /* match the entries back by descriptor (handlers may close and relaunch) */
    for (i = 0; i < k; i++) {
        size_t j;
        if (!(s->pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        for (j = 0; j < s->n; j++) {
            pworker *w = &s->w[j];
            if (w->efd >= 0 && w->efd == s->pfds[i].fd) {
                on_stderr(w);
                break;
            }
            if (w->fd >= 0 && w->fd == s->pfds[i].fd) {
                on_readable(s, w);
                break;
            }
        }
    }
}

static gn_status pilot_wait(void *state, double max_wait, volatile int *interrupt, gn_exec_result *out,
                            size_t cap, size_t *n, gn_err *err)
{
    pilot *s = state;
    double deadline = gn_time_mono() + (max_wait > 0 ? max_wait : 0);
    (void)err;

    *n = 0;
    if (cap == 0)
        return GN_OK;
    for (;;) {
        double left;
        int ms;
        *n = take_done(s, out, cap);
        if (*n > 0)
            return GN_OK;
        if (interrupt && *interrupt)
            return GN_OK;
        left = deadline - gn_time_mono();
        ms = left <= 0 ? 0 : left > 0.05 ? 50 : (int)(left * 1000) + 1;
        pump(s, ms);
        check_hung(s);
        if (left <= 0) {
            *n = take_done(s, out, cap);
            return GN_OK;
        }
    }
}

static void pilot_cancel_all(void *state, double grace)
{
    pilot *s = state;
    size_t i;
    s->rec.len = 0;
    s->rec.failed = 0;
    s->line.len = 0;
    s->line.failed = 0;
    gn__wb_f64(&s->rec, grace);
    gn__wire_line_put(&s->line, 'C', s->rec.p, s->rec.len);
    if (s->rec.failed || s->line.failed)
        return;
    for (i = 0; i < s->n; i++) {
        pworker *w = &s->w[i];
        if (w->busy && w->fd >= 0 && send_all(w->fd, s->line.p, s->line.len) != 0)
            kill(w->pid, SIGTERM); /* its end of output comes to wait */
    }
}

/* Ends every worker: end of input (they kill what runs and exit), then
 * SIGTERM and SIGKILL to the sruns that are still there after END_WAIT. */
static void pilot_destroy(void *state)
{
    pilot *s = state;
    size_t i, left;
    double t0 = gn_time_mono();
    int termed = 0;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        if (s->w && s->w[i].fd >= 0)
            shutdown(s->w[i].fd, SHUT_WR);
    do {
        left = 0;
        for (i = 0; s->w && i < s->n; i++) {
            pworker *w = &s->w[i];
            int status;
            if (w->pid <= 0)
                continue;
            if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
                w->pid = 0;
                continue;
            }
            left++;
            if (gn_time_mono() - t0 > END_WAIT + 2.0)
                kill(w->pid, SIGKILL);
            else if (!termed && gn_time_mono() - t0 > END_WAIT)
                kill(w->pid, SIGTERM);
        }
        if (gn_time_mono() - t0 > END_WAIT)
            termed = 1;
        if (left)
            gn_time_sleep(0.01, NULL);
    } while (left && gn_time_mono() - t0 < END_WAIT + 5.0);
    for (i = 0; s->w && i < s->n; i++) {
        pworker *w = &s->w[i];
        if (w->fd >= 0)
            close(w->fd);
        if (w->efd >= 0)
            close(w->efd);
        gn__linebuf_free(&w->in);
    }
    for (i = 0; i < s->n_done; i++)
        gn_exec_result_destroy(&s->done[i]);
    gn_free(s->done);
    for (i = 0; s->argv && i < s->argc; i++)
        gn_free(s->argv[i]);
    gn_free(s->argv);
    gn_free(s->srun);
    gn_free(s->root);
    gn_free(s->w);
    gn_free(s->pfds);
    gn__wb_free(&s->start);
    gn__wb_free(&s->line);
    gn__wb_free(&s->rec);
    gn__wb_free(&s->payload);
    gn_free(s);
}

const gn_executor_type gn__executor_pilot_workers = {
    "slurm-pilot-workers",
    pilot_create,
    pilot_free_slots,
    pilot_submit,
    pilot_wait,
    pilot_running,
    pilot_cancel_all,
    pilot_destroy,
    NULL, /* adopt: workers end with genesis */
    NULL, /* job_updates: steps start at once */
};

/* ---- the worker ------------------------------------------------------------- */

static volatile sig_atomic_t g_stop;
static volatile int g_stop_int;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    g_stop_int = 1;
}

typedef struct wk {
    int in_fd, out_fd;
    gn_spec *spec;
    gn_exec_config cfg;
    char *campaign, *work_root;
    void *local;
    double *x;
    size_t x_cap;
    gn__linebuf in;
    gn__wbuf rec, line, payload;
    char host[256], step[64];
    int ready_sent;
    gn_exec_result res[16];
} wk;

/* Sends record s->rec as a line of `type`; -1 when the controller is gone. */
static int wk_send(wk *k, char type)
{
    k->line.len = 0;
    k->line.failed = 0;
    if (k->rec.failed)
        return -1;
    gn__wire_line_put(&k->line, type, k->rec.p, k->rec.len);
    if (k->line.failed)
        return -1;
    {
        const char *p = k->line.p;
        size_t n = k->line.len;
        while (n > 0) {
            ssize_t w = write(k->out_fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            p += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

static void wk_rec_reset(wk *k)
{
    k->rec.len = 0;
    k->rec.failed = 0;
}

/* The START message: sets up the spec and the local executor; answers READY. */
static gn_status wk_start(wk *k, gn__rbuf *r, gn_err *e)
{
    gn__wire_start ws;
    gn__wire_ready rd;
    gn_status st = gn__wire_get_start(r, &ws, e);

    if (st == GN_OK && k->local)
        st = gn_err_set(e, GN_ERR_INTERNAL, "a second start message");
    if (st == GN_OK) {
        k->campaign = gn_strdup(ws.campaign);
        k->work_root = gn_strdup(ws.work_root);
        st = k->campaign && k->work_root ? GN_OK : gn_err_nomem(e);
    }
    if (st == GN_OK)
        st = gn_spec_parse(ws.text, ws.text_len, ws.source, ws.base_dir, &k->spec, e);
    if (st == GN_OK) {
        k->cfg.spec = k->spec;
        k->cfg.campaign = k->campaign;
        k->cfg.work_root = k->work_root;
        k->cfg.slots = ws.slots;
        st = gn_executor_local.create(&k->cfg, &k->local, e);
    }
    memset(&rd, 0, sizeof rd);
    rd.status = (int32_t)st;
    rd.msg = st == GN_OK ? "" : e->msg;
    rd.host = k->host;
    rd.step = k->step;
    wk_rec_reset(k);
    gn__wire_put_ready(&k->rec, &rd);
    k->ready_sent = 1;
    if (wk_send(k, 'R') != 0 && st == GN_OK)
        st = gn_err_set(e, GN_ERR_IO, "cannot answer the controller: %s", strerror(errno));
    return st;
}

static gn_status wk_task(wk *k, gn__rbuf *r, gn_err *e)
{
    gn_task task;
    gn_task_started started;
    gn_err se;
    gn_status st;

    if (!k->local)
        return gn_err_set(e, GN_ERR_INTERNAL, "a task before the start message");
    st = gn__wire_get_task(r, k->spec->n_params, &task, &k->x, &k->x_cap, e);
    if (st != GN_OK)
        return st;
    gn_err_clear(&se);
    if (gn_executor_local.submit(k->local, &task, &started, &se) != GN_OK) {
        wk_rec_reset(k);
        gn__wire_put_start_error(&k->rec, task.experiment_id, task.attempt,
                                 se.status != GN_OK ? se.status : GN_ERR_RUNNER, se.msg);
        if (wk_send(k, 'E') != 0)
            return gn_err_set(e, GN_ERR_IO, "cannot write to the controller: %s", strerror(errno));
    }
    return GN_OK;
}

/* Handles the whole lines buffered; GN_OK, or the error that ends the worker. */
static gn_status wk_lines(wk *k, gn_err *e)
{
    const char *line;
    size_t len;
    while ((line = gn__linebuf_next(&k->in, &len)) != NULL) {
        char type = 0;
        gn__rbuf r;
        gn_status st = gn__wire_line_get(line, len, &type, &k->payload, e);
        if (st == GN_ERR_NOT_FOUND)
            continue; /* not ours */
        if (st != GN_OK)
            return st;
        memset(&r, 0, sizeof r);
        r.p = k->payload.p;
        r.len = k->payload.len;
        if (type == 'S') {
            st = wk_start(k, &r, e);
        } else if (type == 'T') {
            st = wk_task(k, &r, e);
        } else if (type == 'C') {
            double grace = gn__rb_f64(&r);
            if (r.bad || !(grace >= 0) || grace > 1e6)
                st = gn_err_set(e, GN_ERR_INTERNAL, "malformed cancel message");
            else if (k->local)
                gn_executor_local.cancel_all(k->local, grace);
        } else {
            st = gn_err_set(e, GN_ERR_INTERNAL, "unknown message type '%c'", type);
        }
        if (st != GN_OK)
            return st;
    }
    return GN_OK;
}

gn_status gn_slurm_worker_run(int in_fd, int out_fd, char *errbuf, size_t errlen)
{
    struct sigaction sa, old_int, old_term, old_hup, old_pipe;
    wk k;
    gn_err e;
    gn_status st = GN_OK;
    int sigs_set = 0;
    const char *jid = getenv("SLURM_JOB_ID"), *sid = getenv("SLURM_STEP_ID");
    const char *node = getenv("SLURMD_NODENAME");

    memset(&k, 0, sizeof k);
    gn_err_clear(&e);
    /* keep stray writes to fd 1 (and reads of fd 0) off the message stream */
    if (out_fd == 1) {
        int nfd = fcntl(1, F_DUPFD_CLOEXEC, 3);
        if (nfd < 0 || dup2(2, 1) < 0) {
            st = gn_err_set(&e, GN_ERR_IO, "cannot move the output stream: %s", strerror(errno));
            goto out;
        }
        out_fd = nfd;
    }
    if (in_fd == 0) {
        int nfd = fcntl(0, F_DUPFD_CLOEXEC, 3), nul = open("/dev/null", O_RDONLY);
        if (nfd < 0 || nul < 0 || dup2(nul, 0) < 0) {
            st = gn_err_set(&e, GN_ERR_IO, "cannot move the input stream: %s", strerror(errno));
            if (nul >= 0)
                close(nul);
            goto out;
        }
        close(nul);
        in_fd = nfd;
    }
    k.in_fd = in_fd;
    k.out_fd = out_fd;
    if (node && *node)
        snprintf(k.host, sizeof k.host, "%s", node);
    else if (gethostname(k.host, sizeof k.host) != 0)
        snprintf(k.host, sizeof k.host, "localhost");
    k.host[sizeof k.host - 1] = '\0';
    if (jid && *jid)
        snprintf(k.step, sizeof k.step, "%s%s%s", jid, sid && *sid ? "." : "", sid ? sid : "");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    sigs_set = 1;

    while (!g_stop) {
        size_t running = k.local ? gn_executor_local.running(k.local) : 0;
        struct pollfd pfd = {.fd = in_fd, .events = POLLIN};
        int pr = poll(&pfd, 1, running > 0 ? 0 : WORKER_IDLE_MS);
        if (pr < 0 && errno != EINTR) {
            st = gn_err_set(&e, GN_ERR_IO, "cannot poll the input: %s", strerror(errno));
            break;
        }
        if (pr > 0) {
            char buf[65536];
            ssize_t n = read(in_fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                break; /* the controller is gone or closed our input: done */
            if (n > 0) {
                if (gn__linebuf_push(&k.in, buf, (size_t)n) != 0) {
                    st = gn_err_set(&e, GN_ERR_LIMIT, "a message longer than %u bytes",
                                    GN__WIRE_LINE_MAX);
                    break;
                }
                st = wk_lines(&k, &e);
                if (st != GN_OK)
                    break;
            }
        }
        if (k.local && gn_executor_local.running(k.local) > 0) {
            size_t n = 0, i;
            gn_err we;
            int lost = 0;
            (void)gn_executor_local.wait(k.local, pr > 0 ? 0 : WORKER_SLICE, &g_stop_int, k.res,
                                         sizeof k.res / sizeof *k.res, &n, &we);
            for (i = 0; i < n; i++) {
                wk_rec_reset(&k);
                gn__wire_put_result(&k.rec, &k.res[i]);
                if (!lost && wk_send(&k, 'D') != 0)
                    lost = 1;
                gn_exec_result_destroy(&k.res[i]);
            }
            if (lost)
                break; /* nobody to tell: the controller is gone */
        }
    }
out:
    if (k.local)
        gn_executor_local.destroy(k.local); /* kills what still runs */
    if (st != GN_OK && k.out_fd > 0 && !k.ready_sent) {
        /* a failure before the session: tell the controller if it listens */
        gn__wire_ready rd = {(int32_t)st, e.msg, k.host, k.step};
        wk_rec_reset(&k);
        gn__wire_put_ready(&k.rec, &rd);
        (void)wk_send(&k, 'R');
    }
    if (st != GN_OK) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", e.msg);
    }
    if (sigs_set) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
    }
    gn_spec_free(k.spec);
    gn_free(k.campaign);
    gn_free(k.work_root);
    gn_free(k.x);
    gn__linebuf_free(&k.in);
    gn__wb_free(&k.rec);
    gn__wb_free(&k.line);
    gn__wb_free(&k.payload);
    return st;
}
