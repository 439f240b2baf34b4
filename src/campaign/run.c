/*
 * campaign/run.c - gn_campaign_run: the loop on one machine.
 *
 *   planner.ask -> store (proposed) -> executor.submit -> store (running)
 *   executor.wait -> store (attempt finished, committed) -> planner.tell
 *
 * in turns (run_turn): the results that arrived, the experiments started in
 * the slots they freed, then ONE transaction that records those starts and
 * finishes, then reports and the planner. So one durable commit serves a
 * whole turn, and runners work while it is written.
 *
 * Order matters for crash safety: an experiment is recorded before it is
 * started, and an outcome is committed before anything reports it or the
 * planner hears of it. A process killed at any instant leaves the store in
 * a state that gn_campaign_run, called again, completes without losing a
 * finished experiment or running one twice: experiments left "running"
 * become "proposed" again (their leftover processes are killed) and are
 * rerun in a fresh directory.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "exec/executor.h"

/* An experiment waiting to run or running. */
typedef struct run_item {
    gn_experiment_rec rec; /* owned copy */
    double *x;             /* dim values */
    int failures;          /* failed or timed-out attempts so far */
    int attempt;           /* number of the current / last attempt */
    int64_t attempt_id;    /* store id of the running attempt */
    gn_task_started started;
} run_item;

typedef struct run_state {
    gn_campaign *c;
    const gn_run_options *opts;
    gn_executor *exec;
    run_item **queue;   /* to run, in order: queue[q_head .. q_head + n_queue) */
    size_t q_head, n_queue, cap_queue;
    /* Submitted this turn, their start not yet recorded: committed with the
     * turn's finished attempts in one transaction (run_record). */
    run_item **starting;
    gn_attempt_rec *start_recs;
    size_t n_starting, cap_starting;
    int propose_ahead;  /* the planner ignores outcomes: propose in large batches */
    run_item **running;
    size_t n_running, cap_running;
    double *pending;    /* scratch: points of queued + running items */
    long busy;          /* experiments not abandoned (count against the budget) */
    long n_issued;      /* highest experiment number */
    long completed, failed, failed_attempts, finished_here;
    int has_best;
    double best;
    double t0, last_progress;
} run_state;

static void item_free(run_item *it)
{
    if (!it)
        return;
    gn_experiment_rec_free(&it->rec);
    gn_free(it->x);
    gn_free(it);
}

static int push(run_item ***arr, size_t *n, size_t *cap, run_item *it)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        run_item **p = gn_reallocarray(*arr, nc, sizeof *p);
        if (!p)
            return 0;
        *arr = p;
        *cap = nc;
    }
    (*arr)[(*n)++] = it;
    return 1;
}

/* Appends to the queue, reusing the room before q_head first. */
static int queue_push(run_state *rs, run_item *it)
{
    if (rs->q_head + rs->n_queue == rs->cap_queue) {
        if (rs->q_head > 0) {
            memmove(rs->queue, rs->queue + rs->q_head, rs->n_queue * sizeof *rs->queue);
            rs->q_head = 0;
        } else {
            size_t nc = rs->cap_queue ? rs->cap_queue * 2 : 16;
            run_item **p = gn_reallocarray(rs->queue, nc, sizeof *p);
            if (!p)
                return 0;
            rs->queue = p;
            rs->cap_queue = nc;
        }
    }
    rs->queue[rs->q_head + rs->n_queue++] = it;
    return 1;
}

static run_item *queue_pop(run_state *rs)
{
    run_item *it = rs->queue[rs->q_head];
    rs->n_queue--;
    rs->q_head = rs->n_queue ? rs->q_head + 1 : 0;
    return it;
}

/* Copies an experiment record into a new item with its point parsed. */
static gn_status item_new(run_state *rs, const gn_experiment_rec *e, run_item **out, gn_err *err)
{
    run_item *it = gn_calloc(1, sizeof *it);
    gn_status st;

    *out = NULL;
    if (!it)
        return gn_err_nomem(err);
    it->rec = *e;
    it->rec.params = gn_strdup(e->params);
    it->rec.prediction = gn_strdup(e->prediction);
    it->rec.outcome = NULL;
    it->rec.reason = NULL;
    it->rec.origin = gn_strdup(e->origin);
    it->x = gn_calloc(rs->c->space.dim ? rs->c->space.dim : 1, sizeof *it->x);
    it->attempt = e->attempts;
    if (!it->rec.params || (e->prediction && !it->rec.prediction) || (e->origin && !it->rec.origin) ||
        !it->x) {
        item_free(it);
        return gn_err_nomem(err);
    }
    st = gn__campaign_point(rs->c, &it->rec, it->x, err);
    if (st != GN_OK) {
        item_free(it);
        return st;
    }
    *out = it;
    return GN_OK;
}

static void emit(run_state *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(run_state *rs, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (!rs->opts || !rs->opts->on_event)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    rs->opts->on_event(line, rs->opts->ctx);
}

static void progress(run_state *rs, int force)
{
    gn_progress p;
    double now = gn_time_mono(), elapsed, interval;

    if (!rs->opts || !rs->opts->on_progress)
        return;
    interval = rs->opts->progress_interval > 0 ? rs->opts->progress_interval : 0.5;
    if (!force && now - rs->last_progress < interval)
        return;
    rs->last_progress = now;
    memset(&p, 0, sizeof p);
    p.finished = rs->completed + rs->failed;
    p.budget = rs->c->rec.budget;
    p.running = (long)rs->n_running;
    p.completed = rs->completed;
    p.failed = rs->failed;
    p.failed_attempts = rs->failed_attempts;
    p.has_best = rs->has_best;
    p.best = rs->best;
    p.objective = rs->c->spec->objectives[0].name;
    elapsed = now - rs->t0;
    p.rate = elapsed > 0 ? (double)rs->finished_here / elapsed : 0.0;
    p.eta = p.rate > 0 ? (double)(p.budget - p.finished) / p.rate : -1.0;
    rs->opts->on_progress(&p, rs->opts->ctx);
}

static void note_best(run_state *rs, const char *outcome)
{
    double y[GN_SPEC_MAX_OBJECTIVES];
    double sign = rs->c->spec->objectives[0].maximize ? 1.0 : -1.0;
    if (!gn__campaign_feasible_outcome(rs->c, outcome, y))
        return;
    if (!rs->has_best || sign * y[0] > sign * rs->best) {
        rs->best = y[0];
        rs->has_best = 1;
    }
}

/* note_best from the values of an outcome already read (run_record). */
static void note_best_values(run_state *rs, const double *y, const double *cv)
{
    const gn_spec *spec = rs->c->spec;
    double sign = spec->objectives[0].maximize ? 1.0 : -1.0;
    size_t j;
    for (j = 0; j < spec->n_outcome_constraints; j++) {
        const gn_outcome_constraint *oc = &spec->outcome_constraints[j];
        if ((oc->has_min && cv[j] < oc->min) || (oc->has_max && cv[j] > oc->max))
            return; /* infeasible */
    }
    if (!rs->has_best || sign * y[0] > sign * rs->best) {
        rs->best = y[0];
        rs->has_best = 1;
    }
}

/* Counts the failed and timed-out attempts of a stored experiment (for the
 * retry budget of experiments that resume after earlier attempts). */
static gn_status count_failures(run_state *rs, run_item *it, gn_err *err)
{
    gn_attempt_rec *atts = NULL;
    size_t n = 0, i;
    gn_status st = gn_store_attempt_list(rs->c->db->store, it->rec.id, &atts, &n, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < n; i++)
        if (atts[i].status == GN_ATT_FAILED || atts[i].status == GN_ATT_TIMEOUT)
            it->failures++;
    gn_attempt_rec_array_free(atts, n);
    return GN_OK;
}

/* Loads the campaign: recovers interrupted attempts, tells the planner
 * what finished, queues what was proposed. */
static gn_status run_load(run_state *rs, gn_err *err)
{
    gn_campaign *c = rs->c;
    gn_attempt_rec *stale = NULL;
    gn_experiment_rec *exps = NULL;
    size_t n_stale = 0, n = 0, i;
    gn_status st;

    /* batch jobs outlive genesis: run_adopt re-attaches to them */
    st = gn_executor_kind_adopts(c->spec->executor.kind)
             ? gn_store_recover_interrupted_keep_jobs(c->db->store, c->rec.id,
                                                      "genesis stopped while the attempt was running",
                                                      &stale, &n_stale, err)
             : gn_store_recover_interrupted(c->db->store, c->rec.id,
                                            "genesis stopped while the attempt was running", &stale,
                                            &n_stale, err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n_stale; i++) {
        /* a pid means something only on the host that recorded it */
        if (stale[i].pid > 0 && gn_exec_host_is_local(stale[i].host) &&
            gn_exec_kill_stale(stale[i].pid, stale[i].pid_start))
            emit(rs, "stopped a leftover runner (process group %lld) of experiment attempt %d",
                 (long long)stale[i].pid, stale[i].number);
    }
    if (n_stale)
        emit(rs, "%zu experiment(s) were running when genesis stopped; they will be rerun", n_stale);
    st = gn_store_experiment_list(c->db->store, c->rec.id, NULL, &exps, &n, err);
    if (st != GN_OK)
        goto out;
    st = gn__campaign_tell_new(c, exps, n, err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n; i++) {
        run_item *it;
        if (exps[i].status != GN_EXP_ABANDONED)
            rs->busy++;
        rs->n_issued = (long)exps[i].number;
        if (exps[i].status == GN_EXP_COMPLETED) {
            rs->completed++;
            note_best(rs, exps[i].outcome);
        } else if (exps[i].status == GN_EXP_FAILED) {
            rs->failed++;
        }
        if (exps[i].status != GN_EXP_PROPOSED)
            continue;
        st = item_new(rs, &exps[i], &it, err);
        if (st == GN_OK && it->rec.attempts > 0)
            st = count_failures(rs, it, err);
        if (st == GN_OK && !queue_push(rs, it))
            st = gn_err_nomem(err);
        if (st != GN_OK) {
            item_free(it);
            goto out;
        }
    }
out:
    gn_attempt_rec_array_free(stale, n_stale);
    gn_experiment_rec_array_free(exps, n);
    return st;
}

/* Re-attaches the executor to the attempts run_load left running (batch
 * jobs of an earlier genesis, see gn_store_recover_interrupted_keep_jobs):
 * they become running items whose results come from wait as usual. An
 * attempt the executor cannot find (never submitted) is recorded as
 * interrupted and its experiment queued again. */
static gn_status run_adopt(run_state *rs, gn_err *err)
{
    gn_campaign *c = rs->c;
    gn_exp_status running = GN_EXP_RUNNING;
    gn_experiment_rec *exps = NULL;
    size_t n = 0, i, j, adopted = 0;
    gn_status st;

    st = gn_store_experiment_list(c->db->store, c->rec.id, &running, &exps, &n, err);
    for (i = 0; i < n && st == GN_OK; i++) {
        gn_attempt_rec *atts = NULL, *a = NULL;
        size_t n_atts = 0;
        run_item *it = NULL;
        gn_task task;

        st = gn_store_attempt_list(c->db->store, exps[i].id, &atts, &n_atts, err);
        for (j = 0; st == GN_OK && j < n_atts; j++)
            if (atts[j].status == GN_ATT_RUNNING)
                a = &atts[j];
        if (st == GN_OK && a)
            st = item_new(rs, &exps[i], &it, err);
        if (st == GN_OK && a)
            st = count_failures(rs, it, err);
        if (st == GN_OK && a) {
            it->attempt = a->number;
            it->attempt_id = a->id;
            snprintf(it->started.workdir, sizeof it->started.workdir, "%s", a->workdir ? a->workdir : "");
            snprintf(it->started.host, sizeof it->started.host, "%s", a->host ? a->host : "");
            snprintf(it->started.job_id, sizeof it->started.job_id, "%s", a->job_id ? a->job_id : "");
            it->started.pid = a->pid;
            it->started.pid_start = a->pid_start;
            it->started.started = a->started;
            memset(&task, 0, sizeof task);
            task.experiment_id = it->rec.id;
            task.number = it->rec.number;
            task.attempt = a->number;
            task.x = it->x;
            task.params_json = it->rec.params;
            st = gn_executor_adopt(rs->exec, &task, a, err);
            if (st == GN_OK) {
                if (!push(&rs->running, &rs->n_running, &rs->cap_running, it))
                    st = gn_err_nomem(err); /* adopted: the executor reports it, unknown here */
                else
                    adopted++;
                it = NULL;
            } else if (st == GN_ERR_NOT_FOUND) {
                gn_attempt_finish fin;
                emit(rs, "experiment %lld: %s; it will run again", (long long)it->rec.number, err->msg);
                a->status = GN_ATT_INTERRUPTED;
                a->finished = 0;
                gn_free(a->reason);
                a->reason = gn_strdup("genesis stopped before the attempt's job was submitted");
                fin.attempt = a;
                fin.exp_status = GN_EXP_PROPOSED;
                fin.exp_outcome = NULL;
                st = a->reason ? gn_store_attempts_finish(c->db->store, &fin, 1, err) : gn_err_nomem(err);
                if (st == GN_OK && !queue_push(rs, it))
                    st = gn_err_nomem(err);
                else if (st == GN_OK)
                    it = NULL;
            }
        }
        item_free(it);
        gn_attempt_rec_array_free(atts, n_atts);
    }
    gn_experiment_rec_array_free(exps, n);
    if (st == GN_OK && adopted)
        emit(rs, "re-attached to %zu %s job(s) of an earlier run, still queued, running or done",
             adopted, c->spec->executor.kind);
    return st;
}

/* Proposes up to `want` experiments into the queue. */
static gn_status run_propose(run_state *rs, size_t want, gn_err *err)
{
    gn_campaign *c = rs->c;
    size_t d = c->space.dim, np = 0, i;
    gn_experiment_rec *fresh = NULL;
    double *p;
    gn_status st;

    p = gn_reallocarray(rs->pending, (rs->n_queue + rs->n_running + 1) * (d ? d : 1), sizeof *p);
    if (!p)
        return gn_err_nomem(err);
    rs->pending = p;
    for (i = 0; i < rs->n_running; i++, np++)
        memcpy(p + np * d, rs->running[i]->x, d * sizeof *p);
    for (i = 0; i < rs->n_queue; i++, np++)
        memcpy(p + np * d, rs->queue[rs->q_head + i]->x, d * sizeof *p);
    st = gn__campaign_propose(c, p, np, rs->n_issued, want, &fresh, err);
    if (st != GN_OK)
        return st;
    for (i = 0; i < want && st == GN_OK; i++) {
        run_item *it;
        rs->busy++;
        rs->n_issued = (long)fresh[i].number;
        st = item_new(rs, &fresh[i], &it, err);
        if (st == GN_OK && !queue_push(rs, it)) {
            item_free(it);
            st = gn_err_nomem(err);
        }
    }
    gn_experiment_rec_array_free(fresh, want);
    return st;
}

static const char *runner_kind(const run_state *rs)
{
    return rs->c->spec->runner.kind == GN_RUNNER_COMMAND ? "command" : "library";
}

/* Submits queued experiments while the executor has free slots. Their
 * starts are only noted (rs->starting): run_record commits them, with the
 * attempts that finished, in one transaction before anything else happens.
 * A crash before that commit leaves these experiments "proposed" (their
 * runners die with genesis), so they are rerun on resume. A runner that
 * cannot be started at all (missing program, bad library) stops the run
 * with the error: it is a set-up problem, not an experiment's failure, and
 * nothing is recorded for it. */
static gn_status run_submit(run_state *rs, gn_err *err)
{
    size_t free_slots = gn_executor_free_slots(rs->exec);
    gn_status st;

    while (rs->n_queue > 0 && free_slots > 0) {
        run_item *it = rs->queue[rs->q_head];
        gn_attempt_rec *a;
        gn_task task;

        if (rs->n_starting == rs->cap_starting) {
            size_t nc = rs->cap_starting ? rs->cap_starting * 2 : 64;
            run_item **pi = gn_reallocarray(rs->starting, nc, sizeof *pi);
            gn_attempt_rec *pa;
            if (!pi)
                return gn_err_nomem(err);
            rs->starting = pi;
            pa = gn_reallocarray(rs->start_recs, nc, sizeof *pa);
            if (!pa)
                return gn_err_nomem(err);
            rs->start_recs = pa;
            rs->cap_starting = nc;
        }
        /* room first: a submitted attempt must never go untracked */
        if (rs->n_running == rs->cap_running) {
            size_t nc = rs->cap_running ? rs->cap_running * 2 : 16;
            run_item **pr = gn_reallocarray(rs->running, nc, sizeof *pr);
            if (!pr)
                return gn_err_nomem(err);
            rs->running = pr;
            rs->cap_running = nc;
        }
        memset(&task, 0, sizeof task);
        task.experiment_id = it->rec.id;
        task.number = it->rec.number;
        task.attempt = it->attempt + 1;
        task.x = it->x;
        task.params_json = it->rec.params;
        memset(&it->started, 0, sizeof it->started);
        st = gn_executor_submit(rs->exec, &task, &it->started, err);
        if (st == GN_ERR_STATE) {
            /* no slot after all (a batch worker ended between free_slots
             * and submit): the experiment waits in the queue for the next
             * turn */
            gn_err_clear(err);
            break;
        }
        if (st != GN_OK)
            return gn_err_prefix(err, "experiment %lld", (long long)it->rec.number);
        free_slots--;
        queue_pop(rs);
        it->attempt = task.attempt;
        it->attempt_id = 0; /* until run_record commits the start */
        push(&rs->running, &rs->n_running, &rs->cap_running, it); /* has room: cannot fail */
        a = &rs->start_recs[rs->n_starting];
        memset(a, 0, sizeof *a);
        a->experiment_id = it->rec.id;
        a->number = task.attempt;
        a->status = GN_ATT_RUNNING;
        a->runner = (char *)runner_kind(rs);
        a->host = it->started.host;
        a->pid = it->started.pid;
        a->pid_start = it->started.pid_start;
        a->workdir = it->started.workdir;
        a->started = it->started.started;
        a->exit_code = -1;
        a->job_id = it->started.job_id[0] ? it->started.job_id : NULL;          /* slurm */
        a->job_state = it->started.job_state[0] ? it->started.job_state : NULL;
        rs->starting[rs->n_starting++] = it;
    }
    return GN_OK;
}

static run_item *take_running(run_state *rs, int64_t experiment_id)
{
    size_t i;
    for (i = 0; i < rs->n_running; i++)
        if (rs->running[i]->rec.id == experiment_id) {
            run_item *it = rs->running[i];
            rs->running[i] = rs->running[--rs->n_running];
            return it;
        }
    return NULL;
}

/* "yield=0.82, cost=12" from the values of an outcome: the objectives and
 * outcome constraints, for event lines (the rest is in the store). */
static void outcome_summary(const gn_campaign *c, const double *y, const double *cv, char *buf,
                            size_t size)
{
    size_t j, len = 0;
    int w;

    buf[0] = '\0';
    for (j = 0; j < c->spec->n_objectives + c->spec->n_outcome_constraints; j++) {
        int is_obj = j < c->spec->n_objectives;
        size_t k = is_obj ? j : j - c->spec->n_objectives;
        w = snprintf(buf + len, size - len, "%s%s=%.6g", len ? ", " : "",
                     is_obj ? c->spec->objectives[k].name : c->spec->outcome_constraints[k].name,
                     is_obj ? y[k] : cv[k]);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

/* Records the starts noted by run_submit and the n finished attempts in
 * res in ONE transaction (one durable commit per turn of the loop), then
 * requeues retries, tells the planner and reports: an outcome is committed
 * before anything hears of it. */
static gn_status run_record(run_state *rs, gn_exec_result *res, size_t n, gn_err *err)
{
    gn_campaign *c = rs->c;
    run_item *items[64];
    gn_attempt_rec atts[64];
    gn_attempt_finish fin[64];
    char reasons[64][GN_ERR_MSG_MAX];
    gn_experiment_rec told[64];
    const double *told_x[64], *told_y[64], *told_cv[64];
    double ys[64][GN_SPEC_MAX_OBJECTIVES], cvs[64][GN_SPEC_MAX_OUTCOME_CONSTRAINTS];
    size_t i, k = 0, n_told = 0;
    run_item *not_started = NULL; /* the first whose runner could not be started */
    int unstarted[64];
    char not_started_why[GN_ERR_MSG_MAX];
    gn_status st = GN_OK;

    if (n > 64)
        return gn_err_set(err, GN_ERR_INTERNAL, "run_record: %zu results at once", n);
    for (i = 0; i < n; i++) {
        run_item *it = take_running(rs, res[i].experiment_id);
        gn_attempt_rec *a = &atts[k];
        gn_err why;

        if (!it)
            return gn_err_set(err, GN_ERR_INTERNAL, "executor returned an unknown experiment %lld",
                              (long long)res[i].experiment_id);
        if (it->attempt_id == 0) {
            /* its start was never recorded (a failed commit): nor is its
             * end; the experiment is still proposed and a resume reruns it */
            item_free(it);
            continue;
        }
        items[k] = it;
        memset(a, 0, sizeof *a);
        a->id = it->attempt_id;
        a->experiment_id = it->rec.id;
        a->number = it->attempt;
        a->status = res[i].status;
        a->runner = (char *)runner_kind(rs);
        a->host = it->started.host;
        a->pid = it->started.pid;
        a->pid_start = it->started.pid_start;
        a->workdir = it->started.workdir;
        a->started = res[i].started;
        a->finished = res[i].finished;
        a->exit_code = res[i].exit_code;
        a->signal = res[i].signal;
        a->reason = res[i].reason;
        a->stdout_tail = res[i].stdout_tail;
        a->stderr_tail = res[i].stderr_tail;
        a->outcome = res[i].outcome;
        a->job_id = res[i].job_id; /* batch executors: the job, its state, its node */
        a->job_state = res[i].job_state;
        if (res[i].node)
            a->host = res[i].node;
        fin[k].attempt = a;
        fin[k].exp_outcome = NULL;
        unstarted[k] = res[i].not_started;
        k++;
        if (a->status == GN_ATT_SUCCEEDED) {
            gn_err_clear(&why);
            if (gn__campaign_outcome_values(c, res[i].outcome, ys[k - 1], cvs[k - 1], &why) == GN_OK) {
                fin[k - 1].exp_status = GN_EXP_COMPLETED;
                fin[k - 1].exp_outcome = res[i].outcome;
                continue;
            }
            a->status = GN_ATT_FAILED;
            snprintf(reasons[k - 1], sizeof reasons[k - 1], "%s", why.msg);
            a->reason = reasons[k - 1];
        }
        if (a->status == GN_ATT_CANCELLED) {
            fin[k - 1].exp_status = GN_EXP_PROPOSED; /* rerun on resume; not a failure */
            continue;
        }
        if (res[i].not_started) {
            /* exec failed after submit (local process runner): a set-up
             * problem like a missing program at submit, which stops the run;
             * the experiment is not to blame and runs again on resume */
            fin[k - 1].exp_status = GN_EXP_PROPOSED;
            if (!not_started) {
                not_started = it;
                snprintf(not_started_why, sizeof not_started_why, "experiment %lld: %s",
                         (long long)it->rec.number, a->reason ? a->reason : "cannot start runner");
            }
            continue;
        }
        it->failures++;
        rs->failed_attempts++;
        fin[k - 1].exp_status =
            it->failures <= c->spec->runner.retries ? GN_EXP_PROPOSED : GN_EXP_FAILED;
    }
    n = k;
    if (rs->n_starting || n)
        st = gn_store_attempts_record(c->db->store, rs->start_recs, rs->n_starting, fin, n, err);
    if (st != GN_OK) {
        /* Not recorded: forget the finished items (a resume reruns them);
         * the started ones keep running unrecorded (attempt_id 0). */
        rs->n_starting = 0;
        for (i = 0; i < n; i++)
            item_free(items[i]);
        return st;
    }
    /* Committed: now report, requeue and tell. */
    for (i = 0; i < rs->n_starting; i++) {
        run_item *it = rs->starting[i];
        it->attempt_id = rs->start_recs[i].id;
        if (!rs->opts || !rs->opts->on_event)
            continue;
        if (it->attempt > 1)
            emit(rs, "experiment %lld started (attempt %d)", (long long)it->rec.number, it->attempt);
        else
            emit(rs, "experiment %lld started", (long long)it->rec.number);
    }
    rs->n_starting = 0;
    for (i = 0; i < n && st == GN_OK; i++) {
        run_item *it = items[i];
        double secs = atts[i].finished - atts[i].started;
        if (fin[i].exp_status == GN_EXP_COMPLETED) {
            rs->completed++;
            rs->finished_here++;
            note_best_values(rs, ys[i], cvs[i]);
            if (rs->opts && rs->opts->on_event) {
                char summary[512];
                outcome_summary(c, ys[i], cvs[i], summary, sizeof summary);
                emit(rs, "experiment %lld completed in %.2f s: %s", (long long)it->rec.number, secs,
                     summary);
            }
        } else if (fin[i].exp_status == GN_EXP_FAILED) {
            rs->failed++;
            rs->finished_here++;
            emit(rs, "experiment %lld failed after %d attempt(s): %s", (long long)it->rec.number,
                 it->failures, atts[i].reason ? atts[i].reason : "failed");
        } else if (atts[i].status == GN_ATT_CANCELLED) {
            emit(rs, "experiment %lld stopped; it will run again on resume", (long long)it->rec.number);
        } else if (unstarted[i]) {
            emit(rs, "experiment %lld: %s", (long long)it->rec.number,
                 atts[i].reason ? atts[i].reason : "cannot start runner");
        } else {
            emit(rs, "experiment %lld attempt %d failed: %s; retrying", (long long)it->rec.number,
                 it->attempt, atts[i].reason ? atts[i].reason : "failed");
        }
        if (fin[i].exp_status == GN_EXP_PROPOSED) {
            if (!queue_push(rs, it)) {
                item_free(it);
                st = gn_err_nomem(err);
            }
            items[i] = NULL;
            continue;
        }
        told[n_told] = it->rec;
        told[n_told].status = fin[i].exp_status;
        told[n_told].outcome = (char *)fin[i].exp_outcome;
        told_x[n_told] = it->x;
        told_y[n_told] = fin[i].exp_status == GN_EXP_COMPLETED ? ys[i] : NULL;
        told_cv[n_told] = cvs[i];
        n_told++;
    }
    if (st == GN_OK && n_told)
        st = gn__campaign_tell_known(c, told, told_x, told_y, told_cv, n_told, err);
    for (i = 0; i < n; i++)
        if (items[i])
            item_free(items[i]);
    if (st == GN_OK && not_started)
        st = gn_err_set(err, GN_ERR_RUNNER, "%s", not_started_why);
    return st;
}

/* How many proposals to ask for at once when the planner ignores outcomes
 * (random, sobol): they wait in the queue, so a proposal costs a store
 * transaction per PROPOSE_AHEAD experiments, not per turn. */
#define PROPOSE_AHEAD 1024

/* Records what the executor saw of running attempts' batch jobs (Slurm: a
 * job that started running, and on which node). An attempt whose start
 * still waits for its commit gets the change into its start record. */
static gn_status run_job_updates(run_state *rs, gn_err *err)
{
    gn_exec_job_update u[16];
    gn_attempt_job jobs[16];
    size_t n, i, j, k;
    gn_status st = GN_OK;

    while (st == GN_OK && (n = gn_executor_job_updates(rs->exec, u, 16)) > 0) {
        for (i = 0, k = 0; i < n; i++) {
            run_item *it = NULL;
            for (j = 0; j < rs->n_running && !it; j++)
                if (rs->running[j]->rec.id == u[i].experiment_id)
                    it = rs->running[j];
            if (!it || it->attempt != u[i].attempt)
                continue; /* already finished, or an older attempt */
            if (u[i].job_id[0])
                snprintf(it->started.job_id, sizeof it->started.job_id, "%s", u[i].job_id);
            if (u[i].job_state[0])
                snprintf(it->started.job_state, sizeof it->started.job_state, "%s",
                         u[i].job_state);
            if (u[i].node[0])
                snprintf(it->started.host, sizeof it->started.host, "%s", u[i].node);
            emit(rs, "experiment %lld: job %s %s%s%s", (long long)it->rec.number,
                 it->started.job_id[0] ? it->started.job_id : "?",
                 it->started.job_state[0] ? it->started.job_state : "?",
                 u[i].node[0] ? " on " : "", u[i].node);
            if (it->attempt_id == 0)
                continue; /* its start record, not yet committed, carries it */
            jobs[k].attempt_id = it->attempt_id;
            jobs[k].job_id = u[i].job_id[0] ? it->started.job_id : NULL;
            jobs[k].job_state = u[i].job_state[0] ? it->started.job_state : NULL;
            jobs[k].host = u[i].node[0] ? it->started.host : NULL;
            k++;
        }
        if (k)
            st = gn_store_attempts_job_update(rs->c->db->store, jobs, k, err);
    }
    return st;
}

/* One turn of the loop:
 *   wait for finished attempts (not at all when nothing runs, briefly when
 *   queued experiments wait for the slots that finishing frees);
 *   start_new: submit queued experiments to the free slots;
 *   ONE transaction: those starts and the finished attempts (run_record);
 *   report, requeue, tell the planner;
 *   start_new: propose what the free slots will need next turn.
 * The results are always released; returns the first error. */
static gn_status run_turn(run_state *rs, double max_wait, volatile int *interrupt, int start_new,
                          gn_err *err)
{
    gn_campaign *c = rs->c;
    gn_exec_result res[64];
    size_t n = 0, i, free_slots, started;
    long allowed;
    gn_status st = GN_OK, st2;

    if (gn_executor_running(rs->exec) > 0) {
        if (start_new && rs->n_queue > 0 && gn_executor_free_slots(rs->exec) > 0)
            max_wait = 0;
        st = gn_executor_wait(rs->exec, max_wait, interrupt, res, 64, &n, err);
        if (st != GN_OK)
            return st;
    }
    for (i = 0; i < n && start_new; i++)
        if (res[i].not_started)
            start_new = 0; /* run_record stops the run: start nothing more */
    if (start_new)
        st = run_submit(rs, err); /* what it did submit is recorded all the same */
    if (st == GN_OK)
        st = run_job_updates(rs, err);
    started = rs->n_starting;
    st2 = run_record(rs, res, n, st == GN_OK ? err : NULL);
    if (st == GN_OK)
        st = st2;
    for (i = 0; i < n; i++)
        gn_exec_result_destroy(&res[i]);
    if (st == GN_OK && start_new && !c->stop_requests) {
        free_slots = gn_executor_free_slots(rs->exec);
        allowed = c->rec.budget - rs->busy;
        if (free_slots > rs->n_queue && allowed > 0) {
            size_t want = free_slots - rs->n_queue;
            if (rs->propose_ahead && want < PROPOSE_AHEAD)
                want = PROPOSE_AHEAD;
            if ((long)want > allowed)
                want = (size_t)allowed;
            st = run_propose(rs, want, err);
        }
    }
    if (st == GN_OK)
        progress(rs, n > 0 || started > 0);
    return st;
}

/* Collects results until nothing runs (after cancel_all); keeps going
 * after an error so that no process is left behind, and returns the first. */
static gn_status run_drain(run_state *rs, gn_err *err)
{
    gn_status st = GN_OK, st2;
    while (gn_executor_running(rs->exec) > 0) {
        size_t before = gn_executor_running(rs->exec);
        st2 = run_turn(rs, 0.2, NULL, 0, st == GN_OK ? err : NULL);
        if (st2 != GN_OK && st == GN_OK)
            st = st2;
        if (st2 != GN_OK && gn_executor_running(rs->exec) == before)
            break; /* the executor itself fails: nothing more will come */
    }
    return st;
}

static void run_free(run_state *rs)
{
    size_t i;
    for (i = 0; i < rs->n_queue; i++)
        item_free(rs->queue[rs->q_head + i]);
    for (i = 0; i < rs->n_running; i++)
        item_free(rs->running[i]);
    gn_free(rs->queue);
    gn_free(rs->running);
    gn_free(rs->starting);
    gn_free(rs->start_recs);
    gn_free(rs->pending);
    gn_executor_free(rs->exec);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t i, len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char save = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            buf[i] = save;
        }
    }
    return 0;
}

gn_status gn_campaign_run(gn_campaign *c, const gn_run_options *opts)
{
    run_state rs;
    gn_exec_config cfg;
    char *workdir = NULL;
    gn_err *err;
    gn_status st;
    double grace;

    if (!c)
        return GN_ERR_INVALID;
    err = &c->err;
    gn_err_clear(err);
    memset(&rs, 0, sizeof rs);
    rs.c = c;
    rs.opts = opts;
    rs.t0 = gn_time_mono();
    c->stop_requests = 0;
    grace = opts && opts->grace != 0 ? opts->grace : 10.0;
    if (c->spec->runner.kind == GN_RUNNER_NONE) {
        st = gn_err_set(err, GN_ERR_STATE,
                        "campaign '%s' has no runner in its spec: experiments are done by hand "
                        "(`genesis suggest` and `genesis observe`)",
                        c->rec.name);
        goto out;
    }
    workdir = opts && opts->work_dir ? gn_strdup(opts->work_dir) : gn__campaign_default_workdir(c);
    if (!workdir) {
        st = gn_err_nomem(err);
        goto out;
    }
    if (make_dirs(workdir) != 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot create the run folder %s: %s", workdir, strerror(errno));
        goto out;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.spec = c->spec;
    if (c->lookup) {
        if (c->spec->executor.kind && strcmp(c->spec->executor.kind, "local") != 0) {
            st = gn_err_set(err, GN_ERR_UNSUPPORTED,
                            "runner.lookup runs in this process: use the local executor, not %s",
                            c->spec->executor.kind);
            goto out;
        }
        cfg.builtin = gn__lookup_run;
        cfg.builtin_ctx = c->lookup;
    }
    cfg.campaign = c->rec.name;
    cfg.work_root = workdir;
    cfg.slots = c->spec->budget.parallel > 0 ? c->spec->budget.parallel : sysconf(_SC_NPROCESSORS_ONLN);
    if (cfg.slots < 1)
        cfg.slots = 1;
    cfg.slots_default = c->spec->budget.parallel <= 0;
    cfg.leave_jobs = opts ? opts->leave_jobs : 0;
    st = run_load(&rs, err);
    if (st != GN_OK)
        goto out;
    /* planners whose proposals do not depend on outcomes */
    rs.propose_ahead = strcmp(gn_planner_name(c->planner), "random") == 0 ||
                       strcmp(gn_planner_name(c->planner), "sobol") == 0;
    st = gn_executor_new(&cfg, &rs.exec, err);
    if (st == GN_OK && gn_executor_kind_adopts(c->spec->executor.kind))
        st = run_adopt(&rs, err);
    if (st != GN_OK)
        goto out;
    if (gn__mpi_job_size() > 1 && strcmp(c->spec->executor.kind, "mpi") != 0)
        emit(&rs, "warning: started with %d MPI ranks but the executor is %s: ranks 1 to %d stay "
                  "idle (set `executor: {kind: mpi}` in the spec)",
             gn__mpi_job_size(), c->spec->executor.kind, gn__mpi_job_size() - 1);
    if (rs.completed + rs.failed < c->rec.budget)
        emit(&rs, "campaign %s: %ld of %ld experiments done, running up to %zu at a time", c->rec.name,
             rs.completed + rs.failed, c->rec.budget, gn_executor_free_slots(rs.exec));
    progress(&rs, 1);

    while (!c->stop_requests) {
        if (rs.n_running == 0 && rs.n_queue == 0 && c->rec.budget - rs.busy <= 0)
            break; /* budget reached */
        st = run_turn(&rs, 0.25, (volatile int *)&c->stop_requests, 1, err);
        if (st != GN_OK)
            goto stop;
    }

    if (c->stop_requests) {
        /* Graceful stop: no new experiments; running ones get `grace`
         * seconds (a second request ends them at once). */
        double deadline = gn_time_mono() + (grace > 0 ? grace : 0);
        if (rs.n_running)
            emit(&rs, "stopping: waiting up to %.0f s for %zu running experiment(s); press Ctrl-C "
                      "again to stop them now",
                 grace > 0 ? grace : 0, rs.n_running);
        while (rs.n_running > 0 && c->stop_requests < 2 && gn_time_mono() < deadline) {
            st = run_turn(&rs, 0.2, NULL, 0, err);
            if (st != GN_OK)
                goto stop;
        }
        if (rs.n_running > 0) {
            gn_executor_cancel_all(rs.exec, c->spec->runner.kill_grace);
            st = run_drain(&rs, err);
            if (st != GN_OK)
                goto out;
            if (rs.n_running > 0) /* batch jobs left running (--leave-jobs) */
                emit(&rs, "left %zu %s job(s) running; `genesis resume %s` re-attaches to them",
                     rs.n_running, c->spec->executor.kind, c->rec.name);
        }
        progress(&rs, 1);
        st = gn_err_set(err, GN_ERR_INTERRUPTED,
                        "campaign '%s' stopped with %ld of %ld experiments done; `genesis resume %s` "
                        "continues it",
                        c->rec.name, rs.completed + rs.failed, c->rec.budget, c->rec.name);
        goto out;
    }
    if (rs.completed + rs.failed >= c->rec.budget && strcmp(c->rec.state, "completed") != 0) {
        char *state = gn_strdup("completed");
        st = gn_store_campaign_set_state(c->db->store, c->rec.id, "completed", err);
        if (st != GN_OK || !state) {
            gn_free(state);
            if (st == GN_OK)
                st = gn_err_nomem(err);
            goto out;
        }
        gn_free(c->rec.state);
        c->rec.state = state;
    }
    progress(&rs, 1);
    st = GN_OK;
    goto out;

stop:
    /* An error: stop what runs (recording it as cancelled if the store
     * still works), keep the error message. */
    if (rs.exec && gn_executor_running(rs.exec) > 0) {
        gn_err keep = *err;
        gn_executor_cancel_all(rs.exec, c->spec->runner.kill_grace);
        run_drain(&rs, NULL);
        *err = keep;
    }
out:
    run_free(&rs);
    gn_free(workdir);
    return st;
}

void gn_campaign_request_stop(gn_campaign *c)
{
    if (c)
        c->stop_requests++;
}
