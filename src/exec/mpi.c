/*
 * exec/mpi.c - the MPI executor (rank 0) and the worker loop (ranks > 0);
 * the public side is include/genesis/mpi.h, the design docs/mpi.md.
 *
 * Rank 0 runs gn_campaign_run with the executor `mpi`: submit packs the
 * task into one message to a worker rank with a free slot, wait collects
 * result messages. Each worker runs a local executor (exec/local.c) with
 * executor.slots_per_rank slots, so the runner contract, timeouts, retries
 * and process groups are exactly those of a single machine.
 *
 * Messages (tags below), on a duplicate of MPI_COMM_WORLD so an embedding
 * program's own traffic never mixes with ours:
 *
 *   0 -> w  START   spec text, its source and folder, campaign, work root,
 *                   slots per rank: a session begins
 *   w -> 0  READY   status, message, host name (the local executor exists)
 *   0 -> w  TASK    one attempt: ids, number, attempt, point, params JSON
 *   w -> 0  RESULTS every attempt that ended since the last such message
 *                   (or that could not be started), in the order they ended
 *   0 -> w  CANCEL  grace seconds: cancel every running attempt
 *   0 -> w  END     the session is over: kill what runs, reply ENDED
 *   w -> 0  ENDED
 *   0 -> w  STOP    gn_mpi_finalize: return from gn_mpi_worker_run
 *   w -> 0  FAILED  the worker cannot go on (out of memory, a malformed
 *                   message): its message; rank 0's run stops with it and
 *                   the worker's attempts stay "running" in the store, to
 *                   be rerun by `genesis resume`
 *
 * One message each way per attempt at most (RESULTS batches). Messages are
 * a flat byte format in the machine's byte order (a job's ranks share one
 * architecture); every length and count read is checked against the
 * message size before use. All sends are non-blocking into buffers reused
 * from one attempt to the next, and both sides keep receiving whenever
 * they wait, so two sides sending large messages at once cannot deadlock.
 *
 * Polling: MPI offers no file descriptor to poll, so both sides poll with
 * MPI_Iprobe: they spin (yielding the CPU) for SPIN_SECONDS after anything
 * happened, then sleep in short slices (rank 0) or in the local executor's
 * poll with a short timeout (workers), so an idle job costs little CPU and
 * a busy one sees each message within microseconds.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/timeutil.h"
#include "exec/executor.h"
#include "exec/wire.h"
#include "genesis/mpi.h"

/* Environment variables that tell an MPI launcher started us. */
static const char *const launcher_size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};

static int under_launcher(void)
{
    size_t i;
    for (i = 0; i < sizeof launcher_size_vars / sizeof *launcher_size_vars; i++)
        if (getenv(launcher_size_vars[i]))
            return 1;
    return 0;
}

static void set_errbuf(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s", msg);
}

#ifndef GN_HAVE_MPI

/* ---- a build without MPI ----------------------------------------------- */

static const char *const launcher_rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};

int gn_mpi_rank(void)
{
    size_t i;
    if (!under_launcher())
        return 0;
    /* Only rank 0 may open the database, even in a build that cannot talk
     * to the other ranks. */
    for (i = 0; i < sizeof launcher_rank_vars / sizeof *launcher_rank_vars; i++) {
        const char *v = getenv(launcher_rank_vars[i]);
        if (v && *v)
            return atoi(v) > 0 ? atoi(v) : 0;
    }
    return 0;
}

int gn_mpi_size(void) { return 1; }

int gn__mpi_job_size(void) { return 1; }

gn_status gn_mpi_worker_run(char *errbuf, size_t errlen)
{
    set_errbuf(errbuf, errlen,
               "this genesis was built without MPI (GN_MPI=OFF): it cannot be a worker rank; "
               "rebuild with Open MPI or run without mpirun");
    return GN_ERR_UNSUPPORTED;
}

void gn_mpi_finalize(void) {}

#else /* GN_HAVE_MPI */

#include <mpi.h>

#include "exec/runner.h"

enum {
    TAG_START = 101,
    TAG_READY,
    TAG_TASK,
    TAG_RESULTS,
    TAG_CANCEL,
    TAG_END,
    TAG_ENDED,
    TAG_STOP,
    TAG_FAILED
};

#define WIRE_VERSION 2u /* 2: results carry flags (not_started) */
#define SPIN_SECONDS 200e-6     /* busy-poll this long after activity */
#define RANK0_SLEEP_SECONDS 0.0005
#define WORKER_SLICE_SECONDS 0.0005
#define IDLE_SLEEP_SECONDS 0.002 /* a worker between campaigns */
#define RESULTS_PER_MESSAGE 64
#define HOST_MAX 256

/* Records in a RESULTS message. */
enum { REC_RESULT = 0, REC_START_ERROR = 1 };

/* ---- MPI state of this process ---------------------------------------- */

static struct {
    int checked;      /* gn_mpi_rank ran */
    int active;       /* we use MPI: comm is valid */
    int initialised;  /* we called MPI_Init_thread (so we finalize) */
    int finalized;
    int rank, size;
    MPI_Comm comm;
} g_mpi;

int gn_mpi_rank(void)
{
    int flag = 0, provided = 0;

    if (g_mpi.checked)
        return g_mpi.rank;
    g_mpi.checked = 1;
    g_mpi.rank = 0;
    g_mpi.size = 1;
    if (!under_launcher())
        return 0;
    MPI_Initialized(&flag);
    if (!flag) {
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            g_mpi.rank = -1;
            return -1;
        }
        g_mpi.initialised = 1;
    }
    if (MPI_Comm_dup(MPI_COMM_WORLD, &g_mpi.comm) != MPI_SUCCESS) {
        g_mpi.rank = -1;
        return -1;
    }
    MPI_Comm_rank(g_mpi.comm, &g_mpi.rank);
    MPI_Comm_size(g_mpi.comm, &g_mpi.size);
    g_mpi.active = 1;
    return g_mpi.rank;
}

int gn_mpi_size(void)
{
    gn_mpi_rank();
    return g_mpi.size;
}

int gn__mpi_job_size(void)
{
    return g_mpi.active ? g_mpi.size : 1;
}

void gn_mpi_finalize(void)
{
    int r;
    if (!g_mpi.active || g_mpi.finalized)
        return;
    g_mpi.finalized = 1;
    if (g_mpi.rank == 0) {
        /* Zero-byte messages: buffered by MPI, they cannot block. */
        for (r = 1; r < g_mpi.size; r++)
            MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, g_mpi.comm);
    }
    MPI_Comm_free(&g_mpi.comm);
    if (g_mpi.initialised)
        MPI_Finalize();
}

/* ---- byte buffers: exec/wire.h ------------------------------------------ */

/* Receives the probed message into b (grown as needed). */
static gn_status recv_probed(MPI_Status *status, gn__wbuf *b, gn_err *err)
{
    int count = 0;
    MPI_Get_count(status, MPI_BYTE, &count);
    if (count < 0)
        count = 0;
    b->len = 0;
    b->failed = 0;
    gn__wb_reserve(b, (size_t)count + 1);
    if (b->failed) {
        /* Take it off the queue all the same, or it is probed forever. A
         * message cut short is an MPI error: the job ends by MPI's error
         * handler, as when a rank dies, and resume reruns what ran. */
        char dummy;
        MPI_Recv(&dummy, 0, MPI_BYTE, status->MPI_SOURCE, status->MPI_TAG, g_mpi.comm,
                 MPI_STATUS_IGNORE);
        return gn_err_nomem(err);
    }
    MPI_Recv(b->p, count, MPI_BYTE, status->MPI_SOURCE, status->MPI_TAG, g_mpi.comm,
             MPI_STATUS_IGNORE);
    b->len = (size_t)count;
    return GN_OK;
}

/* A send buffer and its request. */
typedef struct sendbuf {
    gn__wbuf b;
    MPI_Request req;
} sendbuf;

/* A send buffer of the set whose previous send has completed (waiting for
 * the oldest when none has: the peer always receives while it waits). */
static sendbuf *send_slot(sendbuf *set, size_t n, size_t *rotor)
{
    size_t i;
    int done;
    for (i = 0; i < n; i++) {
        sendbuf *s = &set[(*rotor + i) % n];
        if (s->req == MPI_REQUEST_NULL)
            goto found;
        MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
        if (done)
            goto found;
    }
    i = 0;
    MPI_Wait(&set[*rotor % n].req, MPI_STATUS_IGNORE);
found : {
    sendbuf *s = &set[(*rotor + i) % n];
    *rotor = (*rotor + i + 1) % n;
    s->b.len = 0;
    s->b.failed = 0;
    return s;
}
}

static void send_set_free(sendbuf *set, size_t n)
{
    size_t i;
    for (i = 0; set && i < n; i++) {
        if (set[i].req != MPI_REQUEST_NULL)
            MPI_Wait(&set[i].req, MPI_STATUS_IGNORE);
        gn__wb_free(&set[i].b);
    }
    gn_free(set);
}

static sendbuf *send_set_new(size_t n)
{
    sendbuf *set = gn_calloc(n, sizeof *set);
    size_t i;
    for (i = 0; set && i < n; i++)
        set[i].req = MPI_REQUEST_NULL;
    return set;
}

static void cpu_yield(void) { sched_yield(); }

static void nap(double seconds)
{
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* ---- rank 0: the executor ---------------------------------------------- */

typedef struct worker {
    int rank;
    int live;                 /* a session runs there: it must get END */
    size_t used;              /* tasks whose result wait has not returned */
    char host[HOST_MAX];      /* "node7 rank 3" */
    sendbuf *sends;
    size_t n_sends, rotor;
} worker;

typedef struct mpi_exec {
    const gn_exec_config *cfg;
    worker *w;
    size_t n_w;
    size_t per_rank, slots, running, next;
    char *work_root;          /* absolute */
    gn__wbuf rx;                  /* the last RESULTS message received ... */
    gn__rbuf cur;                 /* ... and how far it is decoded */
    uint32_t cur_left;        /* records left in it */
    worker *cur_from;
} mpi_exec;

static void mpi_destroy(void *state);

static worker *worker_of(mpi_exec *s, int rank)
{
    return rank >= 1 && (size_t)rank <= s->n_w ? &s->w[rank - 1] : NULL;
}

/* Packs the START message of a session. */
static void pack_start(const mpi_exec *s, gn__wbuf *b)
{
    const gn_spec *spec = s->cfg->spec;
    gn__wb_i32(b, (int32_t)WIRE_VERSION);
    gn__wb_i64(b, (int64_t)s->per_rank);
    gn__wb_str(b, s->cfg->campaign);
    gn__wb_str(b, s->work_root);
    gn__wb_str(b, spec->source);
    gn__wb_str(b, spec->base_dir);
    gn__wb_i64(b, (int64_t)spec->text_len);
    gn__wb_put(b, spec->text, spec->text_len);
}

/* Sends START to every worker and waits for every READY. On failure the
 * workers that did start are ended by mpi_destroy. */
static gn_status start_sessions(mpi_exec *s, gn_err *err)
{
    gn__wbuf b;
    MPI_Request *reqs = NULL;
    gn_status st = GN_OK;
    size_t i, got = 0;

    memset(&b, 0, sizeof b);
    pack_start(s, &b);
    reqs = gn_calloc(s->n_w, sizeof *reqs);
    if (b.failed || !reqs) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (i = 0; i < s->n_w; i++)
        MPI_Isend(b.p, (int)b.len, MPI_BYTE, s->w[i].rank, TAG_START, g_mpi.comm, &reqs[i]);
    while (got < s->n_w) {
        MPI_Status status;
        gn__wbuf in;
        gn__rbuf r;
        worker *w;
        int32_t wst;
        const char *msg, *host;

        memset(&in, 0, sizeof in);
        MPI_Probe(MPI_ANY_SOURCE, TAG_READY, g_mpi.comm, &status);
        if (recv_probed(&status, &in, st == GN_OK ? err : NULL) != GN_OK) {
            st = GN_ERR_NOMEM;
            got++;
            continue;
        }
        got++;
        memset(&r, 0, sizeof r);
        r.p = in.p;
        r.len = in.len;
        wst = gn__rb_i32(&r);
        msg = gn__rb_str(&r);
        host = gn__rb_str(&r);
        w = worker_of(s, status.MPI_SOURCE);
        if (r.bad || !w) {
            if (st == GN_OK)
                st = gn_err_set(err, GN_ERR_INTERNAL, "mpi executor: malformed READY from rank %d",
                                status.MPI_SOURCE);
        } else if (wst != GN_OK) {
            if (st == GN_OK)
                st = gn_err_set(err, (gn_status)wst, "rank %d (%s): %s", w->rank, host ? host : "?",
                                msg ? msg : "cannot start");
        } else {
            w->live = 1;
            snprintf(w->host, sizeof w->host, "%s rank %d", host ? host : "?", w->rank);
        }
        gn__wb_free(&in);
    }
    MPI_Waitall((int)s->n_w, reqs, MPI_STATUSES_IGNORE);
out:
    gn_free(reqs);
    gn__wb_free(&b);
    return st;
}

static gn_status mpi_create(const gn_exec_config *cfg, void **state, gn_err *err)
{
    const gn_spec *spec = cfg ? cfg->spec : NULL;
    mpi_exec *s = NULL;
    gn_status st = GN_OK;
    size_t i;
    int rank;

    *state = NULL;
    if (!spec)
        return gn_err_set(err, GN_ERR_INVALID, "mpi executor: no spec");
    if (!cfg->work_root || !*cfg->work_root)
        return gn_err_set(err, GN_ERR_INVALID, "mpi executor: no work directory root");
    if (spec->runner.kind != GN_RUNNER_COMMAND && spec->runner.kind != GN_RUNNER_LIBRARY)
        return gn_err_set(err, GN_ERR_SPEC,
                          "campaign '%s' has no runner: there is nothing for an executor to run",
                          spec->name ? spec->name : "?");
    rank = gn_mpi_rank();
    if (rank != 0 || !g_mpi.active || g_mpi.size < 2)
        return gn_err_set(err, GN_ERR_STATE,
                          "executor mpi needs an MPI job of at least 2 ranks, and runs on rank 0: "
                          "start it with `mpirun -n N genesis run ...` or `srun -n N genesis run "
                          "...` (rank 0 plans, ranks 1 to N-1 run experiments)%s",
                          rank > 0 ? "" : g_mpi.active ? " (this job has 1 rank)" : " (not started by an MPI launcher)");
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->cfg = cfg;
    s->per_rank = spec->executor.slots_per_rank > 0 ? (size_t)spec->executor.slots_per_rank : 1;
    s->n_w = (size_t)g_mpi.size - 1;
    s->slots = s->n_w * s->per_rank;
    if (spec->budget.parallel > 0 && (size_t)spec->budget.parallel < s->slots)
        s->slots = (size_t)spec->budget.parallel;
    s->work_root = realpath(cfg->work_root, NULL);
    if (!s->work_root) {
        st = gn_err_set(err, GN_ERR_IO, "cannot resolve the run folder %s: %s", cfg->work_root,
                        strerror(errno));
        goto fail;
    }
    s->w = gn_calloc(s->n_w, sizeof *s->w);
    if (!s->w) {
        st = gn_err_nomem(err);
        goto fail;
    }
    for (i = 0; i < s->n_w; i++) {
        s->w[i].rank = (int)i + 1;
        s->w[i].n_sends = s->per_rank + 2;
        s->w[i].sends = send_set_new(s->w[i].n_sends);
        if (!s->w[i].sends) {
            st = gn_err_nomem(err);
            goto fail;
        }
    }
    st = start_sessions(s, err);
    if (st != GN_OK)
        goto fail;
    *state = s;
    return GN_OK;
fail:
    mpi_destroy(s);
    return st;
}

static size_t mpi_running(void *state) { return ((mpi_exec *)state)->running; }

static size_t mpi_free_slots(void *state)
{
    mpi_exec *s = state;
    return s->slots - s->running;
}

static gn_status mpi_submit(void *state, const gn_task *task, gn_task_started *started, gn_err *err)
{
    mpi_exec *s = state;
    const gn_spec *spec = s->cfg->spec;
    worker *w = NULL;
    sendbuf *sb;
    size_t i, dim = spec->n_params;

    if (!task || !started || (dim > 0 && !task->x))
        return gn_err_set(err, GN_ERR_INVALID, "mpi executor: submit without a task or point");
    if (task->attempt < 1)
        return gn_err_set(err, GN_ERR_INVALID, "mpi executor: attempt must be >= 1 (got %d)",
                          task->attempt);
    if (s->running >= s->slots)
        return gn_err_set(err, GN_ERR_STATE, "mpi executor: all %zu slots are busy", s->slots);
    /* the least busy worker, round robin among equals */
    for (i = 0; i < s->n_w; i++) {
        worker *c = &s->w[(s->next + i) % s->n_w];
        if (c->live && c->used < s->per_rank && (!w || c->used < w->used))
            w = c;
    }
    if (!w)
        return gn_err_set(err, GN_ERR_STATE, "mpi executor: no worker has a free slot");
    s->next = (size_t)w->rank % s->n_w;

    memset(started, 0, sizeof *started);
    snprintf(started->host, sizeof started->host, "%s", w->host);
    if ((size_t)snprintf(started->workdir, sizeof started->workdir, "%s/%lld/%d", s->work_root,
                         (long long)task->number, task->attempt) >= sizeof started->workdir)
        return gn_err_set(err, GN_ERR_LIMIT, "work directory path under '%s' is longer than %zu bytes",
                          s->work_root, sizeof started->workdir - 1);
    started->started = gn_time_wall();

    sb = send_slot(w->sends, w->n_sends, &w->rotor);
    gn__wire_put_task(&sb->b, task, dim);
    if (sb->b.failed)
        return gn_err_nomem(err);
    MPI_Isend(sb->b.p, (int)sb->b.len, MPI_BYTE, w->rank, TAG_TASK, g_mpi.comm, &sb->req);
    w->used++;
    s->running++;
    return GN_OK;
}

/* Decodes the next record of the current RESULTS message into r (the
 * status of the call) or, for a task that could not be started, returns
 * its error with *was_error set. The cursor only moves when the record was
 * taken, so GN_ERR_NOMEM loses nothing. */
static gn_status decode_record(mpi_exec *s, gn_exec_result *r, int *was_error, gn_err *err)
{
    gn__rbuf save = s->cur;
    gn__rbuf *rb = &s->cur;
    int32_t kind = gn__rb_i32(rb);
    worker *w = s->cur_from;
    gn_status st;

    *was_error = 0;
    memset(r, 0, sizeof *r);
    if (kind == REC_START_ERROR) {
        int32_t code;
        const char *msg;
        r->experiment_id = gn__rb_i64(rb);
        r->attempt = gn__rb_i32(rb);
        code = gn__rb_i32(rb);
        msg = gn__rb_str(rb);
        if (rb->bad)
            goto bad;
        *was_error = 1;
        return gn_err_set(err, code > 0 ? (gn_status)code : GN_ERR_RUNNER, "%s: %s", w->host,
                          msg ? msg : "cannot start the attempt");
    }
    if (kind != REC_RESULT)
        goto bad;
    st = gn__wire_get_result(rb, r, err);
    if (st == GN_ERR_NOMEM) {
        s->cur = save;
        return st;
    }
    if (st != GN_OK)
        goto bad;
    return GN_OK;
bad:
    s->cur_left = 0;
    return gn_err_set(err, GN_ERR_INTERNAL, "mpi executor: malformed result message from %s",
                      w->host);
}

/* Takes records of the current message into out[] until it is used up or
 * out is full. A start error is returned on its own (only when out[] is
 * still empty): the caller stops the run. */
static gn_status take_records(mpi_exec *s, gn_exec_result *out, size_t cap, size_t *n, gn_err *err)
{
    while (s->cur_left > 0 && *n < cap) {
        int was_error = 0;
        gn_status st;
        if (*n > 0) {
            /* peek: a start error waits for the next wait */
            gn__rbuf peek = s->cur;
            if (gn__rb_i32(&peek) == REC_START_ERROR)
                return GN_OK;
        }
        st = decode_record(s, &out[*n], &was_error, err);
        if (st == GN_ERR_NOMEM || (st != GN_OK && !was_error))
            return st;
        s->cur_left--;
        s->cur_from->used--;
        s->running--;
        if (was_error)
            return st;
        (*n)++;
    }
    return GN_OK;
}

/* A FAILED message from rank `from` is in s->rx: that worker is gone; its
 * attempts will never report (they stay "running" in the store and are
 * rerun on resume), so they leave the count of running attempts. */
static gn_status worker_failed(mpi_exec *s, int from, gn_err *err)
{
    worker *w = worker_of(s, from);
    int len = s->rx.len > 1000 ? 1000 : (int)s->rx.len;
    if (!w)
        return gn_err_set(err, GN_ERR_INTERNAL, "mpi executor: message from unknown rank %d", from);
    s->running -= w->used;
    w->used = 0;
    w->live = 0;
    if (s->cur_from == w)
        s->cur_left = 0;
    return gn_err_set(err, GN_ERR_IO, "%s stopped: %.*s", w->host, len, s->rx.p ? s->rx.p : "");
}

/* Starts decoding a RESULTS message just received into s->rx. */
static gn_status open_results(mpi_exec *s, int from, gn_err *err)
{
    uint32_t count;
    worker *w = worker_of(s, from);
    if (!w)
        return gn_err_set(err, GN_ERR_INTERNAL, "mpi executor: message from unknown rank %d", from);
    memset(&s->cur, 0, sizeof s->cur);
    s->cur.p = s->rx.p;
    s->cur.len = s->rx.len;
    gn__rb_get(&s->cur, &count, sizeof count);
    if (s->cur.bad || count > w->used)
        return gn_err_set(err, GN_ERR_INTERNAL,
                          "mpi executor: malformed result message from rank %d", from);
    s->cur_left = count;
    s->cur_from = w;
    return GN_OK;
}

static gn_status mpi_wait(void *state, double max_wait, volatile int *interrupt, gn_exec_result *out,
                          size_t cap, size_t *n, gn_err *err)
{
    mpi_exec *s = state;
    double now = gn_time_mono();
    double deadline = now + (max_wait > 0 ? max_wait : 0), last_activity = now;
    gn_status st = GN_OK;

    *n = 0;
    for (;;) {
        MPI_Status status;
        int flag = 0;

        st = take_records(s, out, cap, n, err);
        if (st != GN_OK || *n >= cap || s->cur_left > 0)
            break;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, g_mpi.comm, &flag, &status);
        if (flag) {
            st = recv_probed(&status, &s->rx, err);
            if (st != GN_OK)
                break;
            if (status.MPI_TAG == TAG_RESULTS) {
                st = open_results(s, status.MPI_SOURCE, err);
                if (st != GN_OK)
                    break;
            } else if (status.MPI_TAG == TAG_FAILED) {
                st = worker_failed(s, status.MPI_SOURCE, err);
                break;
            }
            /* anything else is stale (a late READY or ENDED): dropped */
            last_activity = gn_time_mono();
            continue;
        }
        if (*n > 0 || (interrupt && *interrupt))
            break;
        now = gn_time_mono();
        if (now >= deadline)
            break;
        if (now - last_activity < SPIN_SECONDS)
            cpu_yield();
        else
            nap(deadline - now < RANK0_SLEEP_SECONDS ? deadline - now : RANK0_SLEEP_SECONDS);
    }
    /* results already handed out must not be lost to a later failure */
    return *n > 0 ? GN_OK : st;
}

static void mpi_cancel_all(void *state, double grace)
{
    mpi_exec *s = state;
    size_t i;
    for (i = 0; i < s->n_w; i++) {
        worker *w = &s->w[i];
        sendbuf *sb;
        if (!w->live || w->used == 0)
            continue;
        sb = send_slot(w->sends, w->n_sends, &w->rotor);
        gn__wb_f64(&sb->b, grace);
        if (!sb->b.failed)
            MPI_Isend(sb->b.p, (int)sb->b.len, MPI_BYTE, w->rank, TAG_CANCEL, g_mpi.comm, &sb->req);
    }
}

/* Ends the session on every worker that has one: END, then receive (and
 * drop) whatever each sends until its ENDED, so no message is left
 * undelivered and no worker is blocked sending. Workers kill their runners
 * and wait for running library calls. */
static void mpi_destroy(void *state)
{
    mpi_exec *s = state;
    size_t i, live = 0;
    gn__wbuf in;

    if (!s)
        return;
    memset(&in, 0, sizeof in);
    for (i = 0; s->w && i < s->n_w; i++) {
        if (!s->w[i].live)
            continue;
        MPI_Send(NULL, 0, MPI_BYTE, s->w[i].rank, TAG_END, g_mpi.comm);
        live++;
    }
    while (live > 0) {
        MPI_Status status;
        worker *w;
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, g_mpi.comm, &status);
        if (recv_probed(&status, &in, NULL) != GN_OK)
            continue; /* received as 0 bytes: dropped all the same */
        w = worker_of(s, status.MPI_SOURCE);
        if ((status.MPI_TAG == TAG_ENDED || status.MPI_TAG == TAG_FAILED) && w && w->live) {
            w->live = 0;
            live--;
        }
    }
    gn__wb_free(&in);
    for (i = 0; s->w && i < s->n_w; i++)
        send_set_free(s->w[i].sends, s->w[i].n_sends);
    gn_free(s->w);
    gn__wb_free(&s->rx);
    free(s->work_root); /* realpath's allocation */
    gn_free(s);
}

const gn_executor_type gn_executor_mpi = {
    "mpi",
    mpi_create,
    mpi_free_slots,
    mpi_submit,
    mpi_wait,
    mpi_running,
    mpi_cancel_all,
    mpi_destroy,
    NULL, /* adopt: attempts die with genesis */
    NULL, /* job_updates: no batch jobs */
};

/* ---- workers ----------------------------------------------------------- */

typedef struct session {
    gn_spec *spec;
    gn_exec_config cfg;
    char *campaign, *work_root;
    void *local;              /* the local executor's state */
    gn__wbuf out;                 /* RESULTS being built */
    uint32_t n_out;
    sendbuf *sends;           /* two: one in flight, one being filled */
    size_t n_sends, rotor;
    double *x;                /* scratch for a task's point */
    size_t x_cap;
    gn_exec_result res[RESULTS_PER_MESSAGE];
} session;

static void out_begin(session *ss)
{
    uint32_t zero = 0;
    if (ss->n_out == 0) {
        ss->out.len = 0;
        ss->out.failed = 0;
        gn__wb_put(&ss->out, &zero, sizeof zero);
    }
}

static void out_result(session *ss, const gn_exec_result *r)
{
    out_begin(ss);
    gn__wb_i32(&ss->out, REC_RESULT);
    gn__wire_put_result(&ss->out, r);
    ss->n_out++;
}

static void out_start_error(session *ss, int64_t experiment_id, int attempt, const gn_err *e)
{
    out_begin(ss);
    gn__wb_i32(&ss->out, REC_START_ERROR);
    gn__wb_i64(&ss->out, experiment_id);
    gn__wb_i32(&ss->out, attempt);
    gn__wb_i32(&ss->out, (int32_t)(e->status != GN_OK ? e->status : GN_ERR_RUNNER));
    gn__wb_str(&ss->out, e->msg);
    ss->n_out++;
}

/* Sends the RESULTS built so far: swaps the buffer with a free send slot. */
static gn_status out_flush(session *ss)
{
    sendbuf *sb;
    gn__wbuf t;
    if (ss->n_out == 0)
        return GN_OK;
    if (ss->out.failed)
        return GN_ERR_NOMEM;
    memcpy(ss->out.p, &ss->n_out, sizeof ss->n_out);
    sb = send_slot(ss->sends, ss->n_sends, &ss->rotor);
    t = sb->b;
    sb->b = ss->out;
    ss->out = t;
    MPI_Isend(sb->b.p, (int)sb->b.len, MPI_BYTE, 0, TAG_RESULTS, g_mpi.comm, &sb->req);
    ss->n_out = 0;
    return GN_OK;
}

/* Runs one TASK message: submits it to the local executor. A task that
 * cannot start is reported as a start error. */
static gn_status worker_task(session *ss, const gn__wbuf *in)
{
    gn__rbuf r;
    gn_task task;
    gn_task_started started;
    gn_err e;
    gn_status st;

    memset(&r, 0, sizeof r);
    r.p = in->p;
    r.len = in->len;
    gn_err_clear(&e);
    st = gn__wire_get_task(&r, ss->spec->n_params, &task, &ss->x, &ss->x_cap, &e);
    if (st != GN_OK)
        return st;
    gn_err_clear(&e);
    if (gn_executor_local.submit(ss->local, &task, &started, &e) != GN_OK)
        out_start_error(ss, task.experiment_id, task.attempt, &e);
    return GN_OK;
}

static void session_free(session *ss)
{
    if (ss->local)
        gn_executor_local.destroy(ss->local);
    send_set_free(ss->sends, ss->n_sends);
    gn__wb_free(&ss->out);
    gn_spec_free(ss->spec);
    gn_free(ss->campaign);
    gn_free(ss->work_root);
    gn_free(ss->x);
}

/* Sets up a session from a START message and answers READY. Returns
 * GN_OK when the session runs; otherwise the READY carried the error. */
static gn_status session_start(session *ss, const gn__wbuf *in, gn_err *e)
{
    gn__rbuf r;
    int32_t version;
    int64_t per_rank, text_len;
    const char *campaign, *work_root, *source, *base_dir;
    char host[HOST_MAX];
    gn__wbuf ready;
    gn_status st = GN_OK;

    memset(&r, 0, sizeof r);
    r.p = in->p;
    r.len = in->len;
    version = gn__rb_i32(&r);
    per_rank = gn__rb_i64(&r);
    campaign = gn__rb_str(&r);
    work_root = gn__rb_str(&r);
    source = gn__rb_str(&r);
    base_dir = gn__rb_str(&r);
    text_len = gn__rb_i64(&r);
    if (r.bad || version != (int32_t)WIRE_VERSION || per_rank < 1 || per_rank > GN_SPEC_MAX_PARALLEL ||
        !campaign || !work_root || text_len < 0 || (uint64_t)text_len != r.len - r.off) {
        st = gn_err_set(e, GN_ERR_INTERNAL,
                        "malformed START message (rank 0 and this rank run different genesis "
                        "versions?)");
        goto ready;
    }
    ss->campaign = gn_strdup(campaign);
    ss->work_root = gn_strdup(work_root);
    if (!ss->campaign || !ss->work_root) {
        st = gn_err_nomem(e);
        goto ready;
    }
    st = gn_spec_parse(r.p + r.off, (size_t)text_len, source, base_dir, &ss->spec, e);
    if (st != GN_OK)
        goto ready;
    ss->cfg.spec = ss->spec;
    ss->cfg.campaign = ss->campaign;
    ss->cfg.work_root = ss->work_root;
    ss->cfg.slots = (long)per_rank;
    ss->n_sends = 2;
    ss->sends = send_set_new(ss->n_sends);
    if (!ss->sends) {
        st = gn_err_nomem(e);
        goto ready;
    }
    st = gn_executor_local.create(&ss->cfg, &ss->local, e);
ready:
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    memset(&ready, 0, sizeof ready);
    gn__wb_i32(&ready, (int32_t)st);
    gn__wb_str(&ready, st == GN_OK ? "" : e->msg);
    gn__wb_str(&ready, host);
    if (ready.failed) {
        /* tell rank 0 at least that it failed */
        int32_t nomem = GN_ERR_NOMEM;
        MPI_Send(&nomem, (int)sizeof nomem, MPI_BYTE, 0, TAG_READY, g_mpi.comm);
    } else {
        MPI_Send(ready.p, (int)ready.len, MPI_BYTE, 0, TAG_READY, g_mpi.comm);
    }
    gn__wb_free(&ready);
    return st;
}

/* Runs a session until END: tasks in, results out. Returns GN_OK at END
 * (also after STOP, with *stop set), else an error that ends the worker. */
static gn_status session_run(session *ss, int *stop, gn_err *e)
{
    gn__wbuf in;
    double last_activity = gn_time_mono();
    gn_status st = GN_OK;

    memset(&in, 0, sizeof in);
    for (;;) {
        MPI_Status status;
        int flag = 0, msgs = 0;
        size_t n = 0, i;
        double idle;

        /* every message waiting, up to a bound so results keep flowing */
        while (msgs < 4 * RESULTS_PER_MESSAGE) {
            MPI_Iprobe(0, MPI_ANY_TAG, g_mpi.comm, &flag, &status);
            if (!flag)
                break;
            msgs++;
            st = recv_probed(&status, &in, e);
            if (st != GN_OK)
                goto out;
            if (status.MPI_TAG == TAG_TASK) {
                st = worker_task(ss, &in);
                if (st == GN_ERR_INTERNAL)
                    st = gn_err_set(e, st, "malformed TASK message from rank 0");
                else if (st == GN_ERR_NOMEM)
                    st = gn_err_nomem(e);
                if (st != GN_OK)
                    goto out;
            } else if (status.MPI_TAG == TAG_CANCEL) {
                double grace = 0;
                if (in.len == sizeof grace)
                    memcpy(&grace, in.p, sizeof grace);
                gn_executor_local.cancel_all(ss->local, grace);
            } else if (status.MPI_TAG == TAG_END || status.MPI_TAG == TAG_STOP) {
                *stop = status.MPI_TAG == TAG_STOP;
                goto out;
            }
        }
        if (msgs)
            last_activity = gn_time_mono();
        idle = gn_time_mono() - last_activity;
        if (gn_executor_local.running(ss->local) > 0) {
            gn_err werr;
            gn_status wst = gn_executor_local.wait(ss->local, idle < SPIN_SECONDS ? 0 : WORKER_SLICE_SECONDS,
                                                   NULL, ss->res, RESULTS_PER_MESSAGE, &n, &werr);
            (void)wst; /* NOMEM loses nothing: the next wait returns it */
            for (i = 0; i < n; i++) {
                out_result(ss, &ss->res[i]);
                gn_exec_result_destroy(&ss->res[i]);
            }
            if (n)
                last_activity = gn_time_mono();
            else if (idle < SPIN_SECONDS)
                cpu_yield();
        } else if (!msgs) {
            if (idle < SPIN_SECONDS)
                cpu_yield();
            else
                nap(idle < 0.05 ? WORKER_SLICE_SECONDS : IDLE_SLEEP_SECONDS);
        }
        st = out_flush(ss);
        if (st != GN_OK) {
            st = gn_err_nomem(e);
            goto out;
        }
    }
out:
    gn__wb_free(&in);
    return st;
}

/* ENDED to rank 0 once the local executor is gone (runners killed). */
static void session_end(session *ss)
{
    if (ss->local) {
        gn_executor_local.destroy(ss->local);
        ss->local = NULL;
    }
    send_set_free(ss->sends, ss->n_sends);
    ss->sends = NULL;
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ENDED, g_mpi.comm);
}

gn_status gn_mpi_worker_run(char *errbuf, size_t errlen)
{
    struct sigaction ign, old_int, old_term;
    gn__wbuf in;
    gn_err e;
    gn_status st = GN_OK;
    int rank = gn_mpi_rank(), stop = 0;

    gn_err_clear(&e);
    if (rank < 0) {
        set_errbuf(errbuf, errlen, "MPI could not be initialised");
        return GN_ERR_IO;
    }
    if (rank == 0 || !g_mpi.active) {
        set_errbuf(errbuf, errlen,
                   "gn_mpi_worker_run is for ranks 1 to N-1 of an MPI job; this process is rank 0 "
                   "or not under MPI");
        return GN_ERR_STATE;
    }
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGTERM, &ign, &old_term);
    memset(&in, 0, sizeof in);
    while (!stop) {
        MPI_Status status;
        int flag = 0;
        MPI_Iprobe(0, MPI_ANY_TAG, g_mpi.comm, &flag, &status);
        if (!flag) {
            nap(IDLE_SLEEP_SECONDS);
            continue;
        }
        st = recv_probed(&status, &in, &e);
        if (st != GN_OK)
            break;
        if (status.MPI_TAG == TAG_STOP) {
            stop = 1;
        } else if (status.MPI_TAG == TAG_START) {
            session ss;
            memset(&ss, 0, sizeof ss);
            if (session_start(&ss, &in, &e) == GN_OK) {
                st = session_run(&ss, &stop, &e);
                if (st == GN_OK)
                    session_end(&ss);
                else
                    MPI_Send(e.msg, (int)strlen(e.msg), MPI_BYTE, 0, TAG_FAILED, g_mpi.comm);
            }
            session_free(&ss);
            if (st != GN_OK)
                break;
            gn_err_clear(&e); /* a failed start was reported to rank 0 */
        } else if (status.MPI_TAG == TAG_END) {
            /* END for a session that failed to start: nothing runs */
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ENDED, g_mpi.comm);
        }
        /* a late TASK or CANCEL of an ended session: dropped */
    }
    gn__wb_free(&in);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (st != GN_OK)
        set_errbuf(errbuf, errlen, e.msg);
    return st;
}

#endif /* GN_HAVE_MPI */
