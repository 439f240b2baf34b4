/* exec/local.c - the local executor: a pool of process or library runners
 * on this machine; see executor.h and docs/runner.md.
 *
 * One slot per parallel attempt. A slot is taken by submit and given back
 * when wait has returned the attempt's result, so `running` counts
 * attempts whose results are not yet reported, and no result is ever lost
 * between two calls. wait drives everything: one poll() over every runner's
 * pipes (and the library pool's wake pipe), in slices of at most
 * POLL_SLICE_MS so that exits, timeouts and *interrupt are noticed
 * promptly without installing a SIGCHLD handler in the application. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "exec/executor.h"
#include "exec/library.h"
#include "exec/runner.h"

#define POLL_SLICE_MS 25

typedef enum { SLOT_FREE = 0, SLOT_PROC, SLOT_LIB } slot_kind;

typedef struct slot {
    slot_kind kind;
    int64_t experiment_id;
    int attempt;
    gn_proc *proc;
    gn_lib_job *job;
    int done;                   /* over; result not yet returned */
    unsigned long long done_seq; /* results come back in the order attempts ended */
    int pfd_at, pfd_n;          /* its entries in the pollfd array */
} slot;

typedef struct local {
    const gn_exec_config *cfg;
    slot *slots;
    size_t n_slots, used;
    struct pollfd *pfds;        /* GN_PROC_POLLFDS per slot + the wake pipe */
    gn_lib *lib;                /* library runner, or NULL for processes */
    char *root;                 /* cfg->work_root, absolute and resolved once */
    char host[256];
    unsigned long long seq;
} local;

static void local_destroy(void *state);

/* The work root as an absolute path without symbolic links, resolved once
 * (attempt directories are then root/<number>/<attempt>, no system call
 * needed to name them). A root that does not exist yet is created. */
static gn_status resolve_root(const char *root, char **out, gn_err *err)
{
    char *abs = realpath(root, NULL);
    gn_err e;

    *out = NULL;
    if (!abs && errno == ENOENT) {
        gn_err_clear(&e);
        if (gn__runner_workdir_make(root, &e) == GN_OK) /* new, with its parents */
            abs = realpath(root, NULL);
    }
    if (!abs)
        return gn_err_set(err, GN_ERR_IO, "cannot create the work directory root '%s': %s", root,
                          strerror(errno));
    *out = gn_strdup(abs);
    free(abs); /* realpath's allocation */
    return *out ? GN_OK : gn_err_nomem(err);
}

static gn_status local_create(const gn_exec_config *cfg, void **state, gn_err *err)
{
    const gn_spec *spec = cfg ? cfg->spec : NULL;
    local *s = NULL;
    gn_status st = GN_OK;

    *state = NULL;
    if (!spec)
        return gn_err_set(err, GN_ERR_INVALID, "local executor: no spec");
    if (cfg->slots < 1)
        return gn_err_set(err, GN_ERR_INVALID, "local executor: slots must be >= 1 (got %ld)",
                          cfg->slots);
    if (!cfg->work_root || !*cfg->work_root)
        return gn_err_set(err, GN_ERR_INVALID, "local executor: no work directory root");
    if (spec->runner.kind == GN_RUNNER_COMMAND && spec->runner.n_command == 0)
        return gn_err_set(err, GN_ERR_SPEC, "runner.command is empty");
    if (spec->runner.kind == GN_RUNNER_LOOKUP && !cfg->builtin)
        return gn_err_set(err, GN_ERR_SPEC, "runner.lookup: the dataset table was not loaded");
    if (spec->runner.kind != GN_RUNNER_COMMAND && spec->runner.kind != GN_RUNNER_LIBRARY &&
        spec->runner.kind != GN_RUNNER_LOOKUP)
        return gn_err_set(err, GN_ERR_SPEC,
                          "campaign '%s' has no runner: there is nothing for an executor to run",
                          spec->name ? spec->name : "?");
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->cfg = cfg;
    s->n_slots = (size_t)cfg->slots;
    s->slots = gn_calloc(s->n_slots, sizeof *s->slots);
    s->pfds = gn_calloc(GN_PROC_POLLFDS * s->n_slots + 1, sizeof *s->pfds);
    if (!s->slots || !s->pfds) {
        st = gn_err_nomem(err);
        goto fail;
    }
    st = resolve_root(cfg->work_root, &s->root, err);
    if (st != GN_OK)
        goto fail;
    if (gethostname(s->host, sizeof s->host) != 0)
        snprintf(s->host, sizeof s->host, "localhost");
    s->host[sizeof s->host - 1] = '\0';
    if (spec->runner.kind == GN_RUNNER_LIBRARY) {
        st = gn__lib_new(spec, cfg->slots, &s->lib, err);
        if (st != GN_OK)
            goto fail;
    } else if (spec->runner.kind == GN_RUNNER_LOOKUP) {
        st = gn__lib_new_builtin(spec, cfg->slots, cfg->builtin, cfg->builtin_ctx, "lookup", &s->lib,
                                 err);
        if (st != GN_OK)
            goto fail;
    }
    *state = s;
    return GN_OK;
fail:
    local_destroy(s);
    return st;
}

static size_t local_running(void *state)
{
    return ((local *)state)->used;
}

static size_t local_free_slots(void *state)
{
    local *s = state;
    return s->n_slots - s->used;
}

static gn_status local_submit(void *state, const gn_task *task, gn_task_started *started, gn_err *err)
{
    local *s = state;
    const gn_spec *spec = s->cfg->spec;
    slot *sl = NULL;
    size_t i;
    int make_workdir = 0;
    gn_status st;

    if (!task || !started || (spec->n_params > 0 && !task->x))
        return gn_err_set(err, GN_ERR_INVALID, "local executor: submit without a task or point");
    if (task->attempt < 1)
        return gn_err_set(err, GN_ERR_INVALID, "local executor: attempt must be >= 1 (got %d)",
                          task->attempt);
    for (i = 0; i < s->n_slots; i++)
        if (s->slots[i].kind == SLOT_FREE) {
            sl = &s->slots[i];
            break;
        }
    if (!sl)
        return gn_err_set(err, GN_ERR_STATE, "local executor: all %zu slots are busy", s->n_slots);

    memset(started, 0, sizeof *started);
    snprintf(started->host, sizeof started->host, "%s", s->host);
    st = gn__runner_workdir_path(s->root, task->number, task->attempt, started->workdir,
                                 sizeof started->workdir, err);
    /* a library runner creates its directory only if it asks for it; a
     * process runner's child makes the last level when it can */
    if (st == GN_OK && !s->lib)
        st = gn__runner_workdir_prepare(started->workdir, &make_workdir, err);
    if (st != GN_OK)
        return st;
    memset(sl, 0, sizeof *sl);
    if (s->lib) {
        st = gn__lib_submit(s->lib, s->cfg->campaign, task, started->workdir, &sl->job, err);
        if (st != GN_OK)
            return st;
        started->started = gn_time_wall();
        sl->kind = SLOT_LIB;
    } else {
        st = gn__proc_start(s->cfg, task, started->workdir, make_workdir, started, &sl->proc, err);
        if (st != GN_OK)
            return st;
        sl->kind = SLOT_PROC;
    }
    sl->experiment_id = task->experiment_id;
    sl->attempt = task->attempt;
    s->used++;
    return GN_OK;
}

static void mark_done(local *s, slot *sl)
{
    sl->done = 1;
    sl->done_seq = ++s->seq;
}

/* One round: poll every pipe for at most `ms` milliseconds, read what came,
 * advance every runner's state. Returns how many slots are done. */
static size_t local_progress(local *s, int ms)
{
    size_t i, n_done = 0;
    int k = 0, wake_at = -1;
    double now;

    for (i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        if (sl->kind == SLOT_FREE)
            continue;
        if (sl->done) {
            n_done++;
            continue;
        }
        if (sl->kind == SLOT_PROC) {
            sl->pfd_at = k;
            sl->pfd_n = gn__proc_pollfds(sl->proc, &s->pfds[k]);
            k += sl->pfd_n;
        }
    }
    if (s->lib) {
        wake_at = k;
        s->pfds[k].fd = gn__lib_wake_fd(s->lib);
        s->pfds[k].events = POLLIN;
        s->pfds[k].revents = 0;
        k++;
    }
    if (n_done)
        ms = 0;
    if (ms == 0 && k == (wake_at >= 0 ? 1 : 0)) {
        /* only library calls: their done flags are read below without a
         * system call; the wake pipe keeps its byte for a later poll */
        if (wake_at >= 0)
            s->pfds[wake_at].revents = 0;
    } else if (poll(s->pfds, (nfds_t)k, ms) < 0 && errno != EINTR) {
        gn_time_sleep((double)ms / 1000.0, NULL); /* cannot poll: do not spin */
    }

    now = gn_time_mono();
    for (i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        if (sl->kind != SLOT_PROC || sl->done)
            continue;
        gn__proc_pump(sl->proc, &s->pfds[sl->pfd_at], sl->pfd_n);
        if (gn__proc_step(sl->proc, now)) {
            mark_done(s, sl);
            n_done++;
        }
    }
    if (s->lib) {
        if (s->pfds[wake_at].revents)
            gn__lib_wake_drain(s->lib);
        for (i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (sl->kind == SLOT_LIB && !sl->done && gn__lib_job_done(s->lib, sl->job)) {
                mark_done(s, sl);
                n_done++;
            }
        }
    }
    return n_done;
}

/* Builds the result of a done slot into r and frees the slot. */
static gn_status take_result(local *s, slot *sl, gn_exec_result *r, gn_err *err)
{
    gn_status st;
    if (sl->kind == SLOT_PROC)
        st = gn__proc_result(sl->proc, sl->experiment_id, sl->attempt, r, err);
    else
        st = gn__lib_job_result(sl->job, r, err);
    if (st != GN_OK)
        return st; /* the slot stays done: retried by the next wait */
    gn__proc_free(sl->proc);
    gn__lib_job_free(sl->job);
    memset(sl, 0, sizeof *sl);
    s->used--;
    return GN_OK;
}

static gn_status local_wait(void *state, double max_wait, volatile int *interrupt,
                            gn_exec_result *out, size_t cap, size_t *n, gn_err *err)
{
    local *s = state;
    double deadline = gn_time_mono() + (max_wait > 0 ? max_wait : 0);
    double left;
    size_t ready, i;
    slot *next;
    gn_status st = GN_OK;
    int ms;

    *n = 0;
    for (;;) {
        left = deadline - gn_time_mono();
        ms = left <= 0 ? 0 : left * 1000.0 >= POLL_SLICE_MS ? POLL_SLICE_MS : (int)ceil(left * 1000.0);
        ready = local_progress(s, ms);
        if (ready || (interrupt && *interrupt) || gn_time_mono() >= deadline)
            break;
    }
    while (*n < cap) {
        next = NULL;
        for (i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (sl->kind != SLOT_FREE && sl->done && (!next || sl->done_seq < next->done_seq))
                next = sl;
        }
        if (!next)
            break;
        st = take_result(s, next, &out[*n], err);
        if (st != GN_OK)
            break;
        (*n)++;
    }
    /* results already handed out must not be lost to a later failure */
    return *n > 0 ? GN_OK : st;
}

static void local_cancel_all(void *state, double grace)
{
    local *s = state;
    double now = gn_time_mono();
    size_t i;
    for (i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        if (sl->kind == SLOT_PROC && !sl->done)
            gn__proc_cancel(sl->proc, grace, now);
        else if (sl->kind == SLOT_LIB && !sl->done)
            gn__lib_job_cancel(s->lib, sl->job);
    }
}

/* Kills and reaps every runner process; waits for running library calls
 * (they cannot be interrupted). */
static void local_destroy(void *state)
{
    local *s = state;
    size_t i;
    if (!s)
        return;
    for (i = 0; s->slots && i < s->n_slots; i++)
        gn__proc_free(s->slots[i].proc);
    gn__lib_free(s->lib);
    for (i = 0; s->slots && i < s->n_slots; i++)
        gn__lib_job_free(s->slots[i].job);
    gn_free(s->slots);
    gn_free(s->pfds);
    gn_free(s->root);
    gn_free(s);
}

const gn_executor_type gn_executor_local = {
    "local",
    local_create,
    local_free_slots,
    local_submit,
    local_wait,
    local_running,
    local_cancel_all,
    local_destroy,
    NULL, /* adopt: attempts die with genesis */
    NULL, /* job_updates: no batch jobs */
};
