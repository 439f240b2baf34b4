/* exec/library.c - the in-process (library) runner; see library.h */
#include "exec/library.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "exec/runner.h"

typedef enum { JOB_PENDING, JOB_RUNNING, JOB_DONE } job_state;

#define JOB_MAGIC 0x676e6a62u /* "gnjb": in.internal_ points to a job */

struct gn_lib_job {
    unsigned magic;           /* JOB_MAGIC */
    int workdir_made;         /* gn_runner_workdir created it (worker thread only) */
    gn_lib_job *next;         /* in the pending queue */
    job_state state;          /* under lib->mu */
    atomic_int done;          /* state == JOB_DONE, readable without the lock */
    int cancelled;            /* under lib->mu */
    gn_runner_input in;
    const char **names;       /* borrowed from the spec */
    const char **labels;      /* borrowed from the spec; NULL for non-choices */
    double *values;
    char *params_json;
    char *workdir;
    char *function;           /* for messages */
    double timeout;
    int64_t experiment_id;
    int attempt;
    /* written by the worker, read after state == JOB_DONE */
    gn_runner_output out;
    int rc;
    double started, finished, duration;
};

struct gn_lib {
    const gn_spec *spec;      /* borrowed: outlives the executor */
    void *handle;
    gn_runner_fn fn;
    gn_exec_builtin_fn builtin; /* instead of fn, when set */
    void *builtin_ctx;
    char *shown;              /* the library as written in the spec */
    char *function;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    gn_lib_job *head, *tail;  /* pending jobs */
    pthread_t *threads;
    size_t n_threads, max_threads;
    size_t busy;              /* jobs pending or running */
    int stop;
    int wake_r, wake_w;
    /* a byte is in the wake pipe that no drain has claimed yet: workers
     * write one only when there is none, so a burst of finished calls
     * costs one write and one wake-up of the executor, not one each */
    atomic_int wake_pending;
};

/* ---- the output a runner function fills --------------------------------- */

/* Plain malloc here: this runs on worker threads, and the gn_malloc test
 * hook keeps unsynchronised counters. */
GN_API gn_status gn_runner_output_set(gn_runner_output *out, const char *name, double value)
{
    size_t i, cap;
    char **names;
    double *values;
    char *copy;

    if (!out || !name || !*name || !isfinite(value))
        return GN_ERR_INVALID;
    for (i = 0; i < out->n; i++)
        if (strcmp(out->names[i], name) == 0) {
            out->values[i] = value;
            return GN_OK;
        }
    if (out->n == out->cap) {
        cap = out->cap ? 2 * out->cap : 8;
        names = realloc(out->names, cap * sizeof *names);
        if (!names)
            goto nomem;
        out->names = names;
        values = realloc(out->values, cap * sizeof *values);
        if (!values)
            goto nomem;
        out->values = values;
        out->cap = cap;
    }
    copy = strdup(name);
    if (!copy)
        goto nomem;
    out->names[out->n] = copy;
    out->values[out->n] = value;
    out->n++;
    return GN_OK;
nomem:
    out->nomem = 1;
    return GN_ERR_NOMEM;
}

GN_API void gn_runner_output_fail(gn_runner_output *out, const char *reason)
{
    size_t n;
    if (!out)
        return;
    out->failed = 1;
    n = reason ? strlen(reason) : 0;
    if (n > GN_RUNNER_REASON_MAX) {
        n = GN_RUNNER_REASON_MAX;
        /* do not cut a UTF-8 sequence: drop the character that straddles */
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out->reason, reason, n);
    out->reason[n] = '\0';
}

static void output_destroy(gn_runner_output *out)
{
    size_t i;
    for (i = 0; i < out->n; i++)
        free(out->names[i]);
    free(out->names);
    free(out->values);
    memset(out, 0, sizeof *out);
}

/* Runs on the worker thread that calls the runner function: only that
 * thread touches the job's directory state during the call. */
GN_API const char *gn_runner_workdir(const gn_runner_input *in)
{
    gn_lib_job *job;
    gn_err e;

    if (!in || !in->internal_) {
        errno = EINVAL;
        return NULL;
    }
    job = (gn_lib_job *)in->internal_;
    if (job->magic != JOB_MAGIC) {
        errno = EINVAL;
        return NULL;
    }
    if (!job->workdir_made) {
        gn_err_clear(&e);
        if (gn__runner_workdir_make(job->workdir, &e) != GN_OK)
            return NULL; /* errno says why */
        job->workdir_made = 1;
    }
    return job->workdir;
}

/* ---- the pool ------------------------------------------------------------ */

static void wake(gn_lib *lib)
{
    ssize_t n;
    if (atomic_exchange(&lib->wake_pending, 1))
        return; /* a byte is waiting already */
    do {
        n = write(lib->wake_w, "x", 1);
    } while (n < 0 && errno == EINTR);
    /* EAGAIN: the pipe is full, so it is readable already */
}

static void *worker_main(void *arg)
{
    gn_lib *lib = arg;
    gn_lib_job *job;
    double t0;
    int rc;

    pthread_mutex_lock(&lib->mu);
    for (;;) {
        while (!lib->stop && !lib->head)
            pthread_cond_wait(&lib->cv, &lib->mu);
        if (lib->stop)
            break;
        job = lib->head;
        lib->head = job->next;
        if (!lib->head)
            lib->tail = NULL;
        job->next = NULL;
        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&lib->mu);

        job->started = gn_time_wall();
        t0 = gn_time_mono();
        rc = lib->builtin ? lib->builtin(lib->builtin_ctx, &job->in, &job->out)
                          : lib->fn(&job->in, &job->out);
        job->duration = gn_time_mono() - t0;
        job->finished = gn_time_wall();

        pthread_mutex_lock(&lib->mu);
        job->rc = rc;
        job->state = JOB_DONE;
        atomic_store(&job->done, 1);
        lib->busy--;
        pthread_mutex_unlock(&lib->mu);
        wake(lib);
        pthread_mutex_lock(&lib->mu);
    }
    pthread_mutex_unlock(&lib->mu);
    return NULL;
}

/* Starts one more worker, with every signal blocked. Under lib->mu. */
static int spawn_worker(gn_lib *lib)
{
    sigset_t all, old;
    int rc;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&lib->threads[lib->n_threads], NULL, worker_main, lib);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return rc;
    lib->n_threads++;
    return 0;
}

/* The pool without a function: threads array, names, wake pipe. */
static gn_status lib_alloc(const gn_spec *spec, long slots, const char *shown, const char *function,
                           gn_lib **out, gn_err *err)
{
    int pipefd[2];
    gn_lib *lib;

    *out = NULL;
    if (slots < 1)
        return gn_err_set(err, GN_ERR_INVALID, "slots must be >= 1 (got %ld)", slots);
    lib = gn_calloc(1, sizeof *lib);
    if (!lib)
        return gn_err_nomem(err);
    lib->wake_r = lib->wake_w = -1;
    if (pthread_mutex_init(&lib->mu, NULL) != 0) {
        gn_free(lib);
        return gn_err_set(err, GN_ERR_INTERNAL, "cannot create a mutex");
    }
    if (pthread_cond_init(&lib->cv, NULL) != 0) {
        pthread_mutex_destroy(&lib->mu);
        gn_free(lib);
        return gn_err_set(err, GN_ERR_INTERNAL, "cannot create a condition variable");
    }
    lib->spec = spec;
    lib->max_threads = (size_t)slots;
    lib->threads = gn_calloc(lib->max_threads, sizeof *lib->threads);
    lib->shown = gn_strdup(shown);
    lib->function = gn_strdup(function);
    *out = lib;
    if (!lib->threads || !lib->shown || !lib->function)
        return gn_err_nomem(err);
    if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
        return gn_err_set(err, GN_ERR_IO, "cannot create a pipe: %s", strerror(errno));
    lib->wake_r = pipefd[0];
    lib->wake_w = pipefd[1];
    return GN_OK;
}

gn_status gn__lib_new_builtin(const gn_spec *spec, long slots, gn_exec_builtin_fn fn, void *ctx,
                              const char *shown, gn_lib **out, gn_err *err)
{
    gn_lib *lib = NULL;
    gn_status st;

    *out = NULL;
    if (!fn)
        return gn_err_set(err, GN_ERR_INVALID, "no built-in runner function");
    st = lib_alloc(spec, slots, shown, shown, &lib, err);
    if (st != GN_OK) {
        gn__lib_free(lib);
        return st;
    }
    lib->builtin = fn;
    lib->builtin_ctx = ctx;
    *out = lib;
    return GN_OK;
}

gn_status gn__lib_new(const gn_spec *spec, long slots, gn_lib **out, gn_err *err)
{
    const gn_runner_spec *rs = &spec->runner;
    const char *base = spec->base_dir && *spec->base_dir ? spec->base_dir : ".";
    char *path = NULL;
    const char *why;
    void *sym;
    gn_lib *lib = NULL;
    gn_status st = GN_OK;

    *out = NULL;
    if (!rs->library || !*rs->library)
        return gn_err_set(err, GN_ERR_SPEC, "the runner has no library");
    st = lib_alloc(spec, slots, rs->library,
                   rs->function && *rs->function ? rs->function : "evaluate", &lib, err);
    if (st != GN_OK)
        goto fail;
    path = rs->library[0] == '/' ? gn_strdup(rs->library) : gn_asprintf("%s/%s", base, rs->library);
    if (!path) {
        st = gn_err_nomem(err);
        goto fail;
    }
    dlerror();
    lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle) {
        why = dlerror();
        st = gn_err_set(err, GN_ERR_RUNNER, "cannot load runner library '%s' (%s): %s", lib->shown,
                        path, why ? why : "unknown error");
        goto fail;
    }
    dlerror();
    sym = dlsym(lib->handle, lib->function);
    if (!sym) {
        why = dlerror();
        st = gn_err_set(err, GN_ERR_RUNNER, "runner library '%s' has no function '%s': %s",
                        lib->shown, lib->function, why ? why : "the symbol is NULL");
        goto fail;
    }
    memcpy(&lib->fn, &sym, sizeof lib->fn); /* POSIX: object pointer to function pointer */
    *out = lib;
    lib = NULL;
fail:
    gn_free(path);
    gn__lib_free(lib);
    return st;
}

int gn__lib_wake_fd(const gn_lib *lib) { return lib->wake_r; }

void gn__lib_wake_drain(gn_lib *lib)
{
    char buf[256];
    /* Read first, then clear: a call that ends from then on writes a new
     * byte, and one that ended while we read (and skipped its byte, as one
     * was pending) is seen by the done-flag check that follows every
     * drain. Clearing first lost wake-ups for good: a byte written after
     * the clear but read by this drain left wake_pending set with the pipe
     * empty, so no call wrote again and every later round slept its whole
     * poll slice (16 no-op library slots: 700/s instead of 15,000/s in
     * some runs). */
    while (read(lib->wake_r, buf, sizeof buf) > 0)
        ;
    atomic_store(&lib->wake_pending, 0);
}

gn_status gn__lib_submit(gn_lib *lib, const char *campaign, const gn_task *task, const char *workdir,
                         gn_lib_job **out, gn_err *err)
{
    const gn_spec *spec = lib->spec;
    size_t n = spec->n_params, i;
    char text[GN_SPEC_MAX_STRING + 1];
    gn_lib_job *job;
    gn_status st = GN_OK;
    int rc;

    *out = NULL;
    job = gn_calloc(1, sizeof *job);
    if (!job)
        return gn_err_nomem(err);
    job->names = gn_calloc(n, sizeof *job->names);
    job->labels = gn_calloc(n, sizeof *job->labels);
    job->values = gn_calloc(n, sizeof *job->values);
    job->workdir = gn_strdup(workdir);
    job->function = gn_strdup(lib->function);
    if (!job->names || !job->labels || !job->values || !job->workdir || !job->function) {
        st = gn_err_nomem(err);
        goto fail;
    }
    for (i = 0; i < n; i++) {
        const gn_param *p = &spec->params[i];
        double v = task->x[i];
        /* the checks of gn__runner_format_value, without formatting */
        if (!isfinite(v) || (p->type == GN_PARAM_CHOICE &&
                             (v < 0 || v >= (double)p->n_choices || v != floor(v)))) {
            st = gn__runner_format_value(p, v, text, sizeof text, err); /* says what is wrong */
            if (st == GN_OK)
                st = gn_err_set(err, GN_ERR_INVALID, "parameter '%s': bad value", p->name);
            goto fail;
        }
        job->names[i] = p->name;
        job->values[i] = task->x[i];
        job->labels[i] = p->type == GN_PARAM_CHOICE ? p->choices[(size_t)task->x[i]] : NULL;
    }
    if (task->params_json) {
        job->params_json = gn_strdup(task->params_json);
        if (!job->params_json) {
            st = gn_err_nomem(err);
            goto fail;
        }
    } else {
        st = gn__runner_params_json(spec, task->x, &job->params_json, err);
        if (st != GN_OK)
            goto fail;
    }
    job->experiment_id = task->experiment_id;
    job->attempt = task->attempt;
    job->timeout = spec->runner.timeout > 0 ? spec->runner.timeout : 0;
    job->in.campaign = campaign ? campaign : spec->name;
    job->in.experiment = task->number;
    job->in.attempt = task->attempt;
    job->in.n_params = n;
    job->in.names = job->names;
    job->in.values = job->values;
    job->in.labels = job->labels;
    job->in.params_json = job->params_json;
    job->in.workdir = job->workdir;
    job->in.internal_ = job;
    job->magic = JOB_MAGIC;
    job->state = JOB_PENDING;

    pthread_mutex_lock(&lib->mu);
    if (lib->n_threads <= lib->busy && lib->n_threads < lib->max_threads) {
        rc = spawn_worker(lib);
        if (rc != 0 && lib->n_threads == 0) {
            pthread_mutex_unlock(&lib->mu);
            st = gn_err_set(err, GN_ERR_RUNNER, "cannot start a runner thread: %s", strerror(rc));
            goto fail;
        }
        /* with some threads running, the job waits for one of them */
    }
    if (lib->tail)
        lib->tail->next = job;
    else
        lib->head = job;
    lib->tail = job;
    lib->busy++;
    pthread_cond_signal(&lib->cv);
    pthread_mutex_unlock(&lib->mu);
    *out = job;
    return GN_OK;
fail:
    gn__lib_job_free(job);
    return st;
}

int gn__lib_job_done(gn_lib *lib, gn_lib_job *job)
{
    (void)lib;
    return atomic_load(&job->done); /* set after the worker's last write to job */
}

void gn__lib_job_cancel(gn_lib *lib, gn_lib_job *job)
{
    gn_lib_job **pp;
    pthread_mutex_lock(&lib->mu);
    if (job->state != JOB_DONE)
        job->cancelled = 1;
    if (job->state == JOB_PENDING) {
        for (pp = &lib->head; *pp; pp = &(*pp)->next)
            if (*pp == job) {
                *pp = job->next;
                break;
            }
        lib->tail = NULL;
        for (pp = &lib->head; *pp; pp = &(*pp)->next)
            lib->tail = *pp;
        job->next = NULL;
        job->state = JOB_DONE;
        atomic_store(&job->done, 1);
        job->rc = -1;
        job->started = job->finished = gn_time_wall();
        lib->busy--;
    }
    pthread_mutex_unlock(&lib->mu);
}

gn_status gn__lib_job_result(gn_lib_job *job, gn_exec_result *r, gn_err *err)
{
    char why[GN_RUNNER_REASON_MAX + 256];
    char *outcome = NULL;
    gn_status st;

    memset(r, 0, sizeof *r);
    why[0] = '\0';
    r->experiment_id = job->experiment_id;
    r->attempt = job->attempt;
    r->started = job->started;
    r->finished = job->finished;
    r->exit_code = job->rc; /* the function's return value */
    r->signal = 0;
    if (job->cancelled) {
        r->status = GN_ATT_CANCELLED;
        snprintf(why, sizeof why, "cancelled");
    } else if (job->timeout > 0 && job->duration > job->timeout) {
        r->status = GN_ATT_TIMEOUT;
        snprintf(why, sizeof why,
                 "timed out after %g s (the call to '%s' cannot be interrupted; it returned after "
                 "%.3g s and its outcome is discarded)",
                 job->timeout, job->function, job->duration);
    } else if (job->out.failed) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "%s", job->out.reason[0] ? job->out.reason
                 : "the runner called gn_runner_output_fail without a reason");
    } else if (job->rc != 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "'%s' returned %d", job->function, job->rc);
    } else if (job->out.nomem) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "out of memory while recording the outcome");
    } else if (job->out.n == 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "no outcome: '%s' returned 0 without calling gn_runner_output_set",
                 job->function);
    } else {
        st = gn__runner_outcome_from_values(job->out.names, job->out.values, job->out.n, &outcome,
                                            why, sizeof why);
        if (st == GN_ERR_NOMEM)
            goto nomem;
        r->status = st == GN_OK ? GN_ATT_SUCCEEDED : GN_ATT_FAILED;
    }
    r->stdout_tail = gn_strdup("");
    r->stderr_tail = gn_strdup("");
    if (!r->stdout_tail || !r->stderr_tail)
        goto nomem;
    if (r->status != GN_ATT_SUCCEEDED) {
        r->reason = gn_strdup(why);
        if (!r->reason)
            goto nomem;
    }
    r->outcome = outcome;
    return GN_OK;
nomem:
    gn_free(outcome);
    gn_exec_result_destroy(r);
    return gn_err_nomem(err);
}

void gn__lib_job_free(gn_lib_job *job)
{
    if (!job)
        return;
    job->magic = 0;
    output_destroy(&job->out);
    gn_free(job->names);
    gn_free(job->labels);
    gn_free(job->values);
    gn_free(job->params_json);
    gn_free(job->workdir);
    gn_free(job->function);
    gn_free(job);
}

void gn__lib_free(gn_lib *lib)
{
    size_t i;
    if (!lib)
        return;
    pthread_mutex_lock(&lib->mu);
    lib->stop = 1;
    pthread_cond_broadcast(&lib->cv);
    pthread_mutex_unlock(&lib->mu);
    for (i = 0; i < lib->n_threads; i++)
        pthread_join(lib->threads[i], NULL);
    if (lib->handle)
        dlclose(lib->handle);
    if (lib->wake_r >= 0)
        close(lib->wake_r);
    if (lib->wake_w >= 0)
        close(lib->wake_w);
    pthread_cond_destroy(&lib->cv);
    pthread_mutex_destroy(&lib->mu);
    gn_free(lib->threads);
    gn_free(lib->shown);
    gn_free(lib->function);
    gn_free(lib);
}
