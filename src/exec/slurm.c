/*
 * exec/slurm.c - the Slurm executor: attempts as batch jobs, job arrays or
 * job steps; see executor.h and docs/slurm.md.
 *
 * jobs/array mode. Each attempt gets its working directory W (as every
 * executor does) and a sibling folder W.slurm holding a generated batch
 * script (job.sh), a random token, the job id, and what the script records
 * while it runs: each start (job id, SLURM_RESTART_COUNT, node, time), the
 * runner's standard output and error, and its exit status. Submitting is
 * `sbatch --parsable` (mode jobs: in submit, so the job id is recorded
 * with the attempt when it starts; mode array: attempts submitted together
 * become one `sbatch --array` at the next wait). wait polls
 * `squeue -r --states=all -j ...` every `executor.poll` seconds and
 * decides an attempt only when its job reached a terminal state, so a job
 * that Slurm requeues (node failure, preemption, `scontrol requeue`) and
 * runs again yields one result: the script empties W and the status files
 * at each start. A job gone from squeue is looked up with sacct, then in
 * the jobcomp/filetxt log; its files decide when it wrote an exit status.
 *
 * Jobs outlive genesis. cancel_all scancels them unless told to leave them
 * (cancel_on_stop: false, `--leave-jobs`); adopt re-attaches to the jobs of
 * attempts the store still records as running. A job that could have been
 * submitted without being recorded (genesis killed between sbatch and the
 * store's commit) is found by its working directory, under this campaign's
 * run folder, the first time wait or submit runs, and scancelled; and its
 * stale token keeps it from running the runner if it starts anyway.
 *
 * pilot mode. Inside an allocation ($SLURM_JOB_ID). launch workers (the
 * default): one long-lived step per slot runs `genesis pilot-worker`, and
 * attempts go to the workers over the steps' stdin/stdout (exec/pilot.c).
 * launch steps: each attempt is a job step: the local executor runs
 * `srun --exact -n1 -N1 -cC ... <runner>` with the runner contract's
 * environment, output capture, timeouts and cancelling, so steps behave
 * like local runners.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "core/alloc.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/timeutil.h"
#include "exec/executor.h"
#include "exec/pilot.h"
#include "exec/runner.h"

#define TOOL_TIMEOUT 120.0          /* seconds an sbatch, squeue, ... may take */
#define TOOL_OUTPUT_MAX (8u << 20)  /* bytes of a tool's output kept */
#define MISSING_POLLS 2             /* polls without a job before it is looked up elsewhere */
#define DEFAULT_SLOTS 100           /* jobs in flight when budget.parallel is not given */
#define MAX_ARRAY 1000              /* elements per sbatch --array (Slurm's MaxArraySize 1001) */
#define IDS_PER_CALL 500            /* job ids per squeue / scancel command line */
#define SDIR_SUFFIX ".slurm"

typedef enum { SJ_QUEUED = 0, SJ_SUBMITTED, SJ_DONE } sj_phase;

/* One attempt run as a batch job (or an array element). */
typedef struct sjob {
    sj_phase phase;
    int64_t experiment_id;
    int64_t number;
    int attempt;
    char *workdir;        /* the runner's folder */
    char *sdir;           /* workdir + ".slurm" */
    char job_id[64];      /* "123" or "123_4"; "" while queued */
    char state[32];       /* last state seen */
    char node[256];       /* node(s) it ran on, when seen */
    double submitted;     /* epoch */
    int cancelled;        /* scancelled by genesis */
    int missing;          /* consecutive polls that did not list it */
    gn_exec_result res;   /* SJ_DONE: the result to hand out */
    unsigned long long done_seq;
} sjob;

typedef struct slurm {
    const gn_exec_config *cfg;
    const gn_executor_spec *ex;
    gn_slurm_mode mode;   /* resolved: JOBS, ARRAY or PILOT */
    size_t slots;
    char *root;           /* realpath of cfg->work_root */
    char *time_arg;       /* --time, or NULL */
    char *job_name;
    sjob **jobs;
    size_t n_jobs, cap_jobs;
    double next_poll;     /* monotonic */
    int swept;
    unsigned long long seq;
    unsigned long long n_arrays;
    char jobcomp[PATH_MAX]; /* jobcomp/filetxt log, "" when none; looked up once */
    int jobcomp_known;
    double last_warn;
    /* pilot: job steps through a local executor with a rewritten command
     * (launch steps), or pilot worker steps (launch workers, exec/pilot.c) */
    char alloc[64];
    const gn_executor_type *ptype;
    void *local;
    gn_spec pilot_spec;
    char **pilot_cmd;
    size_t n_pilot_cmd;
    gn_exec_config pilot_cfg;
    /* job changes seen by poll_jobs (a job that started running, its node),
     * handed out by slurm_job_updates */
    gn_exec_job_update *updates;
    size_t n_updates, cap_updates;
} slurm;

/* ---- small helpers ------------------------------------------------------- */

/* Appends s to sb as one single-quoted shell word. */
static void sh_quote(gn_strbuf *sb, const char *s)
{
    gn_strbuf_putc(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            gn_strbuf_append(sb, "'\\''");
        else
            gn_strbuf_putc(sb, *s);
    }
    gn_strbuf_putc(sb, '\'');
}

/* Writes `text` to `path` through a temporary file and rename, so a reader
 * sees all of it or nothing. 0 or -1 (errno set). */
static int write_file(const char *path, const char *text, mode_t mode)
{
    char tmp[PATH_MAX + 8];
    size_t len = strlen(text), off = 0;
    int fd, saved;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t k = write(fd, text + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            goto fail;
        off += (size_t)k;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

/* The last `max` bytes of file `path` as a new string (NUL bytes shown as
 * '?'); *cut 1 when the file is longer. NULL with errno ENOENT when there is
 * no such file, NULL with ENOMEM when out of memory. */
static char *read_tail(const char *path, size_t max, size_t *len_out, int *cut)
{
    struct stat sb;
    char *buf;
    size_t len = 0, i;
    off_t start = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (cut)
        *cut = 0;
    if (len_out)
        *len_out = 0;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > max) {
        start = sb.st_size - (off_t)max;
        if (cut)
            *cut = 1;
    }
    buf = gn_malloc(max + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    if (start > 0 && lseek(fd, start, SEEK_SET) < 0)
        start = 0;
    while (len < max) {
        ssize_t k = read(fd, buf + len, max - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    for (i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = '?';
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

/* A small file's first line (at most size-1 bytes) into buf; 0 or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    int ok;
    if (!f)
        return -1;
    ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static char *path_join(const char *dir, const char *name)
{
    return gn_asprintf("%s/%s", dir, name);
}

/* Creates sdir, or empties it when a crashed run left it (flat files only). */
static gn_status sdir_fresh(const char *sdir, gn_err *err)
{
    DIR *d;
    struct dirent *e;
    if (mkdir(sdir, 0755) != 0 && errno != EEXIST)
        return gn_err_set(err, GN_ERR_IO, "cannot create %s: %s", sdir, strerror(errno));
    d = opendir(sdir);
    if (!d)
        return gn_err_set(err, GN_ERR_IO, "cannot open %s: %s", sdir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char *p;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = path_join(sdir, e->d_name);
        if (p)
            unlink(p);
        gn_free(p);
    }
    closedir(d);
    return GN_OK;
}

/* 64 random bits as hex. */
static void make_token(char *buf, size_t size, unsigned long long salt)
{
    unsigned long long v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    v ^= (unsigned long long)(gn_time_wall() * 1e6) ^ ((unsigned long long)getpid() << 32) ^ salt;
    snprintf(buf, size, "%016llx", v);
}

/* 1 when `prog` is found as an executable regular file in $PATH. */
static int in_path(const char *prog)
{
    char *p = gn__exec_which(prog);
    gn_free(p);
    return p != NULL;
}

/* ---- running Slurm's commands ------------------------------------------- */

typedef struct tool_out {
    gn_strbuf out, err;
    int status; /* exit status; -1 when killed or not run */
} tool_out;

static void tool_out_init(tool_out *t)
{
    gn_strbuf_init(&t->out);
    gn_strbuf_init(&t->err);
    t->status = -1;
}

static void tool_out_destroy(tool_out *t)
{
    gn_strbuf_destroy(&t->out);
    gn_strbuf_destroy(&t->err);
}

/* The first line of a tool's standard error (or output), for messages. */
static const char *tool_msg(const tool_out *t, char *buf, size_t size)
{
    const char *s = t->err.len ? t->err.data : t->out.len ? t->out.data : "";
    size_t n = strcspn(s, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!n)
        snprintf(buf, size, "no message");
    return buf;
}

/* Runs argv (argv[0] looked up in $PATH) with standard input from
 * /dev/null, collecting its output, for at most TOOL_TIMEOUT seconds.
 * GN_ERR_NOMEM or GN_ERR_IO (pipes, fork) when it could not be run at all;
 * otherwise GN_OK with t->status (127 when the program is missing, -1
 * when it was killed for taking too long). */
static gn_status run_tool(char *const *argv, tool_out *t, gn_err *err)
{
    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
    double deadline = gn_time_mono() + TOOL_TIMEOUT;
    char buf[8192];
    pid_t pid;
    int status, killed = 0;

    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0) {
        int e = errno;
        if (out_p[0] >= 0) {
            close(out_p[0]);
            close(out_p[1]);
        }
        return gn_err_set(err, GN_ERR_IO, "cannot run %s: pipes: %s", argv[0], strerror(e));
    }
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(out_p[0]);
        close(out_p[1]);
        close(err_p[0]);
        close(err_p[1]);
        return gn_err_set(err, GN_ERR_IO, "cannot run %s: fork: %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        sigset_t none;
        int devnull = open("/dev/null", O_RDONLY);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        signal(SIGPIPE, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_p[1], 1) < 0 || dup2(err_p[1], 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        {
            const char *m = strerror(errno);
            ssize_t k = write(2, argv[0], strlen(argv[0]));
            k = write(2, ": ", 2);
            k = write(2, m, strlen(m));
            k = write(2, "\n", 1);
            (void)k;
        }
        _exit(127);
    }
    close(out_p[1]);
    close(err_p[1]);
    for (;;) {
        struct pollfd fds[2];
        int nf = 0, i, timeout_ms;
        double left = deadline - gn_time_mono();
        if (out_p[0] >= 0)
            fds[nf++] = (struct pollfd){.fd = out_p[0], .events = POLLIN};
        if (err_p[0] >= 0)
            fds[nf++] = (struct pollfd){.fd = err_p[0], .events = POLLIN};
        if (nf == 0)
            break;
        if (left <= 0) {
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        timeout_ms = (int)(left * 1000) + 1;
        if (poll(fds, (nfds_t)nf, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        for (i = 0; i < nf; i++) {
            int *fdp = fds[i].fd == out_p[0] ? &out_p[0] : &err_p[0];
            gn_strbuf *sb = fds[i].fd == out_p[0] ? &t->out : &t->err;
            ssize_t k;
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            k = read(*fdp, buf, sizeof buf);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                close(*fdp);
                *fdp = -1;
                continue;
            }
            if (sb->len < TOOL_OUTPUT_MAX)
                gn_strbuf_append_n(sb, buf, (size_t)k);
        }
    }
    if (out_p[0] >= 0)
        close(out_p[0]);
    if (err_p[0] >= 0)
        close(err_p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (t->out.failed || t->err.failed)
        return gn_err_nomem(err);
    if (!t->out.data)
        gn_strbuf_append(&t->out, "");
    if (!t->err.data)
        gn_strbuf_append(&t->err, "");
    if (t->out.failed || t->err.failed)
        return gn_err_nomem(err);
    t->status = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (killed)
        gn_strbuf_appendf(&t->err, "%s took longer than %.0f s and was killed\n", argv[0],
                          TOOL_TIMEOUT);
    return GN_OK;
}

/* ---- jobs ---------------------------------------------------------------- */

static void sjob_free(sjob *j)
{
    if (!j)
        return;
    gn_exec_result_destroy(&j->res);
    gn_free(j->workdir);
    gn_free(j->sdir);
    gn_free(j);
}

static int push_job(slurm *s, sjob *j)
{
    if (s->n_jobs == s->cap_jobs) {
        size_t nc = s->cap_jobs ? 2 * s->cap_jobs : 16;
        sjob **p = gn_reallocarray(s->jobs, nc, sizeof *p);
        if (!p)
            return 0;
        s->jobs = p;
        s->cap_jobs = nc;
    }
    s->jobs[s->n_jobs++] = j;
    return 1;
}

/* Removes jobs[i] from the list (order is kept: results go out in order). */
static void drop_job(slurm *s, size_t i)
{
    memmove(s->jobs + i, s->jobs + i + 1, (s->n_jobs - i - 1) * sizeof *s->jobs);
    s->n_jobs--;
}

/* The part of a job id before '_' ("123" of "123_4"). */
static void base_id(const char *id, char *buf, size_t size)
{
    size_t n = strcspn(id, "_");
    if (n >= size)
        n = size - 1;
    memcpy(buf, id, n);
    buf[n] = '\0';
}

static int is_terminal(const char *state)
{
    static const char *const done[] = {"COMPLETED", "FAILED",        "CANCELLED", "TIMEOUT",
                                       "NODE_FAIL", "PREEMPTED",     "BOOT_FAIL", "DEADLINE",
                                       "OUT_OF_MEMORY", "REVOKED"};
    size_t i;
    for (i = 0; i < sizeof done / sizeof *done; i++)
        if (strcmp(state, done[i]) == 0)
            return 1;
    return 0;
}

/* What the job's last start recorded in W.slurm/starts: the epoch time it
 * started and its node. */
static void last_start(const sjob *j, double *started, char *node, size_t node_size)
{
    char *p = path_join(j->sdir, "starts");
    char *text = p ? read_tail(p, 4096, NULL, NULL) : NULL;
    char *line, *save = NULL, *last = NULL;
    gn_free(p);
    if (!text)
        return;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        last = line;
    if (last) {
        char id[64], host[256];
        long restarts;
        double t;
        if (sscanf(last, "%63s %ld %255s %lf", id, &restarts, host, &t) == 4) {
            *started = t;
            if (node && !node[0])
                snprintf(node, node_size, "%s", host);
        }
    }
    gn_free(text);
}

/* Reads the runner's outcome: W/outcome.json, else its standard output.
 * 1 found (outcome or why), 0 none, -1 out of memory. */
static int outcome_of(const sjob *j, char **outcome, char *why, size_t why_size)
{
    char *path = path_join(j->workdir, GN_EXEC_OUTCOME_FILE);
    char *text = NULL, *what = NULL;
    size_t len = 0;
    int cut = 0, rc;
    struct stat sb;

    if (!path)
        return -1;
    if (stat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode)) {
            snprintf(why, why_size, "outcome file %s is not a regular file", path);
            rc = 1;
        } else if ((unsigned long long)sb.st_size > GN_EXEC_OUTCOME_MAX_BYTES) {
            snprintf(why, why_size, "outcome file %s is larger than %u bytes", path,
                     GN_EXEC_OUTCOME_MAX_BYTES);
            rc = 1;
        } else {
            text = read_tail(path, GN_EXEC_OUTCOME_MAX_BYTES, &len, NULL);
            what = gn_asprintf("outcome file %s", path);
            if (!text || !what)
                rc = -1;
            else
                rc = gn__runner_outcome_parse(text, len, what, outcome, why, why_size) ==
                             GN_ERR_NOMEM
                         ? -1
                         : 1;
        }
        gn_free(text);
        gn_free(what);
        gn_free(path);
        return rc;
    }
    gn_free(path);
    path = path_join(j->sdir, "stdout");
    if (!path)
        return -1;
    text = read_tail(path, GN_EXEC_STDOUT_SEARCH_BYTES, &len, &cut);
    gn_free(path);
    if (!text)
        return errno == ENOMEM ? -1 : 0;
    rc = gn__runner_outcome_from_stdout(text, len, cut, outcome, why, why_size);
    gn_free(text);
    return rc;
}

/* Fills j->res for a job that ended in `state` (a terminal Slurm state, or
 * "" when unknown) and marks it done. Its files decide when the batch
 * script recorded the runner's exit status; otherwise the state does. */
static gn_status finish_job(slurm *s, sjob *j, const char *state, const char *reason, gn_err *err)
{
    gn_exec_result *r = &j->res;
    char why[1536], sig[32], line[64];
    char *path, *outcome = NULL;
    double started = j->submitted, finished = gn_time_wall();
    int have_exit = 0, rc = -1, timed_out = 0, found;
    struct stat sb;

    memset(r, 0, sizeof *r);
    why[0] = '\0';
    path = path_join(j->sdir, "exit");
    if (!path)
        return gn_err_nomem(err);
    if (read_line(path, line, sizeof line) == 0 && sscanf(line, "%d", &rc) == 1) {
        double t;
        have_exit = 1;
        if (sscanf(line, "%*d %lf", &t) == 1 && t > 0)
            finished = t;
        else if (stat(path, &sb) == 0)
            finished = (double)sb.st_mtime;
    }
    gn_free(path);
    path = path_join(j->sdir, "timedout");
    if (!path)
        return gn_err_nomem(err);
    timed_out = access(path, F_OK) == 0;
    gn_free(path);
    last_start(j, &started, j->node, sizeof j->node);
    if (finished < started)
        finished = started;

    r->experiment_id = j->experiment_id;
    r->attempt = j->attempt;
    r->started = started;
    r->finished = finished;
    r->exit_code = -1;
    if (j->cancelled && !have_exit) {
        r->status = GN_ATT_CANCELLED;
        snprintf(why, sizeof why, "cancelled");
        state = "CANCELLED";
    } else if (have_exit && timed_out) {
        r->status = GN_ATT_TIMEOUT;
        snprintf(why, sizeof why, "timed out after %g s", s->cfg->spec->runner.timeout);
    } else if (have_exit && rc > 128 && rc < 128 + 65) {
        r->status = GN_ATT_FAILED;
        r->signal = rc - 128;
        snprintf(why, sizeof why, "killed by signal %d (%s)", r->signal,
                 gn__runner_signal_name(r->signal, sig, sizeof sig));
    } else if (have_exit && rc != 0) {
        r->status = GN_ATT_FAILED;
        r->exit_code = rc;
        snprintf(why, sizeof why, "exit status %d", rc);
    } else if (have_exit) {
        r->exit_code = 0;
        found = outcome_of(j, &outcome, why, sizeof why);
        if (found < 0)
            goto nomem;
        if (found == 0)
            snprintf(why, sizeof why,
                     "no outcome: the runner did not write $GENESIS_OUTPUT (%s/%s) and no line in "
                     "the last %u bytes of its standard output is a JSON object",
                     j->workdir, GN_EXEC_OUTCOME_FILE, GN_EXEC_STDOUT_SEARCH_BYTES);
        r->status = outcome ? GN_ATT_SUCCEEDED : GN_ATT_FAILED;
    } else if (strcmp(state, "TIMEOUT") == 0) {
        r->status = GN_ATT_TIMEOUT;
        snprintf(why, sizeof why, "Slurm job %s reached its time limit%s%s%s (state TIMEOUT)",
                 j->job_id, s->time_arg ? " (--time=" : "", s->time_arg ? s->time_arg : "",
                 s->time_arg ? ")" : "");
    } else if (strcmp(state, "CANCELLED") == 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "Slurm job %s was cancelled outside genesis (state CANCELLED)",
                 j->job_id);
    } else if (strcmp(state, "COMPLETED") == 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why,
                 "Slurm job %s completed without running the runner to its end (see %s/job.out)",
                 j->job_id, j->sdir);
    } else if (strcmp(state, "NODE_FAIL") == 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "Slurm job %s: its node failed (state NODE_FAIL)", j->job_id);
    } else if (strcmp(state, "OUT_OF_MEMORY") == 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "Slurm job %s ran out of memory (state OUT_OF_MEMORY)", j->job_id);
    } else if (!*state) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why,
                 "Slurm job %s is no longer known to Slurm (squeue%s) and left no exit status in %s",
                 j->job_id, s->jobcomp[0] ? ", sacct, jobcomp log" : ", sacct", j->sdir);
        state = "UNKNOWN";
    } else {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "Slurm job %s ended in state %s%s%s", j->job_id, state,
                 reason && *reason && strcmp(reason, "None") != 0 ? ": " : "",
                 reason && *reason && strcmp(reason, "None") != 0 ? reason : "");
    }
    path = path_join(j->sdir, "stdout");
    r->stdout_tail = path ? read_tail(path, GN_EXEC_TAIL_BYTES, NULL, NULL) : NULL;
    gn_free(path);
    if (!r->stdout_tail && errno != ENOMEM)
        r->stdout_tail = gn_strdup("");
    /* without an exit status, what the batch script itself said is more useful */
    path = path_join(j->sdir, have_exit ? "stderr" : "job.out");
    r->stderr_tail = path ? read_tail(path, GN_EXEC_TAIL_BYTES, NULL, NULL) : NULL;
    gn_free(path);
    if (!r->stderr_tail && errno != ENOMEM)
        r->stderr_tail = gn_strdup("");
    r->job_id = gn_strdup(j->job_id[0] ? j->job_id : NULL);
    r->job_state = gn_strdup(state);
    r->node = j->node[0] ? gn_strdup(j->node) : NULL;
    if (!r->stdout_tail || !r->stderr_tail || (j->job_id[0] && !r->job_id) || !r->job_state ||
        (j->node[0] && !r->node))
        goto nomem;
    if (r->status != GN_ATT_SUCCEEDED) {
        r->reason = gn_strdup(why);
        if (!r->reason)
            goto nomem;
    }
    r->outcome = outcome;
    snprintf(j->state, sizeof j->state, "%s", state);
    j->phase = SJ_DONE;
    j->done_seq = ++s->seq;
    /* a stray rerun of this job (a late requeue) must not run the runner again */
    path = path_join(j->sdir, "token");
    if (path)
        unlink(path);
    gn_free(path);
    return GN_OK;
nomem:
    gn_free(outcome);
    gn_exec_result_destroy(r);
    memset(r, 0, sizeof *r);
    return gn_err_nomem(err);
}

/* A result for a job that never reached Slurm. */
static gn_status finish_unsubmitted(slurm *s, sjob *j, gn_att_status status, const char *why,
                                    gn_err *err)
{
    gn_exec_result *r = &j->res;
    memset(r, 0, sizeof *r);
    r->experiment_id = j->experiment_id;
    r->attempt = j->attempt;
    r->status = status;
    r->exit_code = -1;
    r->started = j->submitted;
    r->finished = gn_time_wall();
    r->reason = gn_strdup(why);
    r->stdout_tail = gn_strdup("");
    r->stderr_tail = gn_strdup("");
    if (!r->reason || !r->stdout_tail || !r->stderr_tail) {
        gn_exec_result_destroy(r);
        return gn_err_nomem(err);
    }
    j->phase = SJ_DONE;
    j->done_seq = ++s->seq;
    return GN_OK;
}

/* ---- the batch script ---------------------------------------------------- */

/* Resolves the runner program as the process runner does, but leaves bare
 * names to the job's $PATH. *out is new. */
static gn_status job_program(const slurm *s, const char *word, char **out, gn_err *err)
{
    const char *base = s->cfg->spec->base_dir && *s->cfg->spec->base_dir ? s->cfg->spec->base_dir : ".";
    char cwd[PATH_MAX];
    struct stat sb;

    *out = NULL;
    if (word[0] == '/') {
        *out = gn_strdup(word);
    } else if (strchr(word, '/')) {
        if (base[0] == '/')
            *out = gn_asprintf("%s/%s", base, word);
        else if (getcwd(cwd, sizeof cwd))
            *out = gn_asprintf("%s/%s/%s", cwd, base, word);
        else
            return gn_err_set(err, GN_ERR_RUNNER, "cannot start runner '%s': current directory: %s",
                              word, strerror(errno));
    } else {
        *out = gn_strdup(word);
        return *out ? GN_OK : gn_err_nomem(err);
    }
    if (!*out)
        return gn_err_nomem(err);
    if (stat(*out, &sb) != 0 || !S_ISREG(sb.st_mode) || access(*out, X_OK) != 0) {
        int e = errno;
        gn_status st = gn_err_set(err, GN_ERR_RUNNER, "cannot start runner '%s': %s", word,
                                  stat(*out, &sb) != 0 ? strerror(e)
                                  : !S_ISREG(sb.st_mode) ? "not a regular file"
                                                         : strerror(EACCES));
        gn_free(*out);
        *out = NULL;
        return st;
    }
    return GN_OK;
}

/* Writes W.slurm/job.sh for task t: checks the token, empties W and the
 * status files (a requeued job starts afresh), records its start, runs the
 * runner with the contract's environment and the runner timeout, records
 * the exit status, and exits with it. */
static gn_status write_job_script(slurm *s, const gn_task *t, sjob *j, const char *token,
                                  gn_err *err)
{
    const gn_spec *spec = s->cfg->spec;
    const gn_runner_spec *rs = &spec->runner;
    gn_strbuf sb;
    char *word = NULL, *prog = NULL, *params = NULL, *path = NULL;
    size_t i;
    gn_status st = GN_OK;

    gn_strbuf_init(&sb);
    if (t->params_json) {
        params = gn_strdup(t->params_json);
        if (!params) {
            st = gn_err_nomem(err);
            goto out;
        }
    } else {
        st = gn__runner_params_json(spec, t->x, &params, err);
        if (st != GN_OK)
            goto out;
    }
    gn_strbuf_appendf(&sb,
                      "#!/bin/sh\n"
                      "# genesis: campaign %s, experiment %lld, attempt %d (generated; see "
                      "docs/slurm.md)\n",
                      s->cfg->campaign ? s->cfg->campaign : spec->name, (long long)t->number,
                      t->attempt);
    gn_strbuf_append(&sb, "d=");
    sh_quote(&sb, j->sdir);
    gn_strbuf_append(&sb, "\nw=");
    sh_quote(&sb, j->workdir);
    gn_strbuf_appendf(&sb,
                      "\nif [ \"$(cat \"$d/token\" 2>/dev/null)\" != '%s' ]; then\n"
                      "  echo \"genesis: this job is stale (its attempt was resubmitted or "
                      "finished); not running\" >&2\n"
                      "  exit 0\n"
                      "fi\n"
                      "exec >>\"$d/job.out\" 2>&1\n"
                      "rm -f \"$d/exit\" \"$d/timedout\" \"$d/stdout\" \"$d/stderr\"\n"
                      "find \"$w\" -mindepth 1 -delete 2>/dev/null\n"
                      "mkdir -p \"$w\"\n"
                      "echo \"${SLURM_JOB_ID:-?} ${SLURM_RESTART_COUNT:-0} $(hostname) $(date "
                      "+%%s.%%N)\" >>\"$d/starts\"\n"
                      "cd \"$w\" || exit 1\n",
                      token);
    for (i = 0; i < s->ex->n_setup; i++) {
        gn_strbuf_append(&sb, s->ex->setup[i]);
        gn_strbuf_putc(&sb, '\n');
    }
    gn_strbuf_append(&sb, "GENESIS_CAMPAIGN=");
    sh_quote(&sb, s->cfg->campaign ? s->cfg->campaign : spec->name);
    gn_strbuf_appendf(&sb, "\nGENESIS_EXPERIMENT=%lld\nGENESIS_ATTEMPT=%d\nGENESIS_PARAMS=",
                      (long long)t->number, t->attempt);
    sh_quote(&sb, params);
    gn_strbuf_append(&sb, "\nGENESIS_OUTPUT=\"$w/" GN_EXEC_OUTCOME_FILE "\"\nGENESIS_WORKDIR=\"$w\"\n"
                          "export GENESIS_CAMPAIGN GENESIS_EXPERIMENT GENESIS_ATTEMPT "
                          "GENESIS_PARAMS GENESIS_OUTPUT GENESIS_WORKDIR\n");
    for (i = 0; i < rs->n_command; i++) {
        st = gn__runner_substitute(rs->command[i], spec, t->x, &word, err);
        if (st != GN_OK)
            goto out;
        if (i == 0) {
            st = job_program(s, word, &prog, err);
            if (st != GN_OK)
                goto out;
            sh_quote(&sb, prog);
        } else {
            gn_strbuf_putc(&sb, ' ');
            sh_quote(&sb, word);
        }
        gn_free(word);
        word = NULL;
    }
    gn_strbuf_append(&sb, " </dev/null >\"$d/stdout\" 2>\"$d/stderr\" &\npid=$!\n");
    if (rs->timeout > 0)
        gn_strbuf_appendf(&sb,
                          "( sleep %g; : >\"$d/timedout\"; kill -TERM $pid 2>/dev/null; sleep %g; "
                          "kill -KILL $pid 2>/dev/null ) </dev/null >/dev/null 2>&1 &\n"
                          "dog=$!\n",
                          rs->timeout, rs->kill_grace > 0 ? rs->kill_grace : 0.0);
    gn_strbuf_append(&sb, "wait $pid\nrc=$?\n");
    if (rs->timeout > 0)
        gn_strbuf_append(&sb, "kill $dog 2>/dev/null\n");
    gn_strbuf_append(&sb, "echo \"$rc $(date +%s.%N)\" >\"$d/exit.tmp\" && mv -f \"$d/exit.tmp\" "
                          "\"$d/exit\"\n"
                          "exit $rc\n");
    if (sb.failed) {
        st = gn_err_nomem(err);
        goto out;
    }
    path = path_join(j->sdir, "job.sh");
    if (!path) {
        st = gn_err_nomem(err);
        goto out;
    }
    if (write_file(path, sb.data, 0755) != 0)
        st = gn_err_set(err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
out:
    gn_free(path);
    gn_free(word);
    gn_free(prog);
    gn_free(params);
    gn_strbuf_destroy(&sb);
    return st;
}

/* sbatch's options from the spec (without the script), into argv[*n...]. */
static void sbatch_options(slurm *s, char **argv, size_t *n)
{
    const gn_executor_spec *e = s->ex;
    size_t i;
#define OPT(flag, val)                                          \
    do {                                                        \
        if (val)                                                \
            argv[(*n)++] = gn_asprintf("%s=%s", flag, val);     \
    } while (0)
#define OPTL(flag, val)                                         \
    do {                                                        \
        if (val > 0)                                            \
            argv[(*n)++] = gn_asprintf("%s=%ld", flag, val);    \
    } while (0)
    OPT("--partition", e->partition);
    OPT("--account", e->account);
    OPT("--qos", e->qos);
    OPT("--time", s->time_arg);
    OPT("--mem", e->mem);
    OPT("--gres", e->gres);
    OPT("--constraint", e->constraint);
    OPTL("--nodes", e->nodes);
    OPTL("--ntasks", e->ntasks);
    OPTL("--cpus-per-task", e->cpus_per_task);
#undef OPT
#undef OPTL
    for (i = 0; i < e->n_extra_args; i++)
        argv[(*n)++] = gn_strdup(e->extra_args[i]);
}

static void free_argv(char **argv, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        gn_free(argv[i]);
}

/* Runs sbatch with the spec's options plus `first` (NULL-terminated) and
 * the script `script`; the job id into id. GN_ERR_RUNNER with sbatch's
 * message when it refuses. */
static gn_status sbatch(slurm *s, const char *const *first, const char *script, char *id,
                        size_t id_size, gn_err *err)
{
    char *argv[64 + GN_SPEC_MAX_SLURM_ARGS];
    size_t n = 0, k, i;
    tool_out t;
    char msg[512];
    gn_status st;

    argv[n++] = gn_strdup("sbatch");
    argv[n++] = gn_strdup("--parsable");
    argv[n++] = gn_asprintf("--job-name=%s", s->job_name);
    for (i = 0; first[i]; i++)
        argv[n++] = gn_strdup(first[i]);
    sbatch_options(s, argv, &n);
    argv[n++] = gn_strdup(script);
    for (k = 0; k < n; k++)
        if (!argv[k]) {
            free_argv(argv, n);
            return gn_err_nomem(err);
        }
    argv[n] = NULL;
    tool_out_init(&t);
    st = run_tool(argv, &t, err);
    if (st == GN_OK && t.status != 0)
        st = gn_err_set(err, GN_ERR_RUNNER, "sbatch failed (%s %d): %s",
                        t.status < 0 ? "killed," : "exit status", t.status,
                        tool_msg(&t, msg, sizeof msg));
    if (st == GN_OK) {
        const char *p = t.out.data;
        size_t len = 0;
        while (*p && isspace((unsigned char)*p))
            p++;
        while (isdigit((unsigned char)p[len]))
            len++;
        if (len == 0 || len >= id_size)
            st = gn_err_set(err, GN_ERR_RUNNER, "sbatch did not print a job id: '%.200s'", t.out.data);
        else {
            memcpy(id, p, len);
            id[len] = '\0';
        }
    }
    tool_out_destroy(&t);
    free_argv(argv, n);
    return st;
}

static void write_job_id(const sjob *j)
{
    char *path = path_join(j->sdir, "job_id");
    char line[80];
    if (!path)
        return;
    snprintf(line, sizeof line, "%s\n", j->job_id);
    if (write_file(path, line, 0644) != 0)
        gn_log(GN_LOG_WARN, "slurm: cannot write %s: %s", path, strerror(errno));
    gn_free(path);
}

/* Submits the queued jobs (mode array): one job array per MAX_ARRAY, a
 * plain job when only one is queued. On failure the queued jobs become
 * CANCELLED results ("not submitted") and sbatch's error is returned. */
static gn_status flush_queued(slurm *s, gn_err *err)
{
    sjob *batch[MAX_ARRAY];
    size_t nb = 0, i;
    gn_status st = GN_OK;

    for (i = 0; i <= s->n_jobs && st == GN_OK; i++) {
        if (i < s->n_jobs && s->jobs[i]->phase == SJ_QUEUED && nb < MAX_ARRAY) {
            batch[nb++] = s->jobs[i];
            if (nb < MAX_ARRAY)
                continue;
        }
        if (nb == 0)
            continue;
        if (nb == 1) {
            char chdir_opt[PATH_MAX + 16], out_opt[PATH_MAX + 16];
            const char *first[3];
            char *script = path_join(batch[0]->sdir, "job.sh");
            snprintf(chdir_opt, sizeof chdir_opt, "--chdir=%s", batch[0]->workdir);
            snprintf(out_opt, sizeof out_opt, "--output=%s/job.out", batch[0]->sdir);
            first[0] = chdir_opt;
            first[1] = out_opt;
            first[2] = NULL;
            st = script ? sbatch(s, first, script, batch[0]->job_id, sizeof batch[0]->job_id, err)
                        : gn_err_nomem(err);
            gn_free(script);
            if (st == GN_OK) {
                batch[0]->phase = SJ_SUBMITTED;
                snprintf(batch[0]->state, sizeof batch[0]->state, "PENDING");
                write_job_id(batch[0]);
            }
        } else {
            gn_strbuf sb;
            char *script = NULL;
            char arr[64], id[48], chdir_opt[PATH_MAX + 16];
            const char *first[4];
            size_t k;
            gn_strbuf_init(&sb);
            gn_strbuf_append(&sb, "#!/bin/sh\n# genesis: a job array of attempts (generated)\n"
                                  "case \"${SLURM_ARRAY_TASK_ID:-}\" in\n");
            for (k = 0; k < nb; k++) {
                gn_strbuf_appendf(&sb, "%zu) exec /bin/sh ", k);
                {
                    char *js = path_join(batch[k]->sdir, "job.sh");
                    if (js)
                        sh_quote(&sb, js);
                    else
                        sb.failed = 1;
                    gn_free(js);
                }
                gn_strbuf_append(&sb, " ;;\n");
            }
            gn_strbuf_append(&sb, "esac\necho \"genesis: array task ${SLURM_ARRAY_TASK_ID:-?} is not "
                                  "one of this array's\" >&2\nexit 1\n");
            script = gn_asprintf("%s/.slurm/array-%lld-%llu.sh", s->root, (long long)getpid(),
                                 ++s->n_arrays);
            if (sb.failed || !script) {
                st = gn_err_nomem(err);
            } else {
                char *dir = path_join(s->root, ".slurm");
                if (!dir || (mkdir(dir, 0755) != 0 && errno != EEXIST))
                    st = dir ? gn_err_set(err, GN_ERR_IO, "cannot create %s: %s", dir, strerror(errno))
                             : gn_err_nomem(err);
                else if (write_file(script, sb.data, 0755) != 0)
                    st = gn_err_set(err, GN_ERR_IO, "cannot write %s: %s", script, strerror(errno));
                gn_free(dir);
            }
            if (st == GN_OK) {
                if (s->ex->array_max > 0)
                    snprintf(arr, sizeof arr, "--array=0-%zu%%%ld", nb - 1, s->ex->array_max);
                else
                    snprintf(arr, sizeof arr, "--array=0-%zu", nb - 1);
                snprintf(chdir_opt, sizeof chdir_opt, "--chdir=%s", s->root);
                first[0] = arr;
                first[1] = chdir_opt;
                first[2] = "--output=/dev/null";
                first[3] = NULL;
                st = sbatch(s, first, script, id, sizeof id, err);
            }
            if (st == GN_OK) {
                for (k = 0; k < nb; k++) {
                    batch[k]->phase = SJ_SUBMITTED;
                    snprintf(batch[k]->job_id, sizeof batch[k]->job_id, "%s_%zu", id, k);
                    snprintf(batch[k]->state, sizeof batch[k]->state, "PENDING");
                    write_job_id(batch[k]);
                }
            }
            gn_strbuf_destroy(&sb);
            gn_free(script);
        }
        nb = 0;
    }
    if (st != GN_OK) {
        gn_err keep = *err;
        char why[GN_ERR_MSG_MAX + 32];
        snprintf(why, sizeof why, "not submitted: %s", keep.msg);
        for (i = 0; i < s->n_jobs; i++)
            if (s->jobs[i]->phase == SJ_QUEUED &&
                finish_unsubmitted(s, s->jobs[i], GN_ATT_CANCELLED, why, NULL) != GN_OK)
                break;
        *err = keep;
    }
    return st;
}

/* ---- finding jobs again --------------------------------------------------- */

/* Looks job j up where Slurm keeps finished jobs: sacct (with accounting),
 * then the jobcomp/filetxt log. Writes its state or "". */
static void lookup_gone(slurm *s, sjob *j, char *state, size_t size)
{
    tool_out t;
    char *argv[10];
    gn_status st;

    state[0] = '\0';
    argv[0] = "sacct";
    argv[1] = "-n";
    argv[2] = "-P";
    argv[3] = "-X";
    argv[4] = "-o";
    argv[5] = "State,NodeList";
    argv[6] = "-j";
    argv[7] = j->job_id;
    argv[8] = NULL;
    tool_out_init(&t);
    st = run_tool(argv, &t, NULL);
    if (st == GN_OK && t.status == 0 && t.out.len > 0) {
        char line[512];
        size_t n = strcspn(t.out.data, "\n");
        if (n < sizeof line) {
            char *bar;
            memcpy(line, t.out.data, n);
            line[n] = '\0';
            bar = strchr(line, '|');
            if (bar) {
                *bar = '\0';
                if (!j->node[0] && bar[1] && strcmp(bar + 1, "None assigned") != 0)
                    snprintf(j->node, sizeof j->node, "%s", bar + 1);
            }
            line[strcspn(line, " ")] = '\0'; /* "CANCELLED by 0" */
            snprintf(state, size, "%s", line);
        }
    }
    tool_out_destroy(&t);
    if (state[0])
        return;
    if (!s->jobcomp_known) {
        char *cargv[] = {"scontrol", "show", "config", NULL};
        s->jobcomp_known = 1;
        tool_out_init(&t);
        if (run_tool(cargv, &t, NULL) == GN_OK && t.status == 0 &&
            strstr(t.out.data, "jobcomp/filetxt")) {
            const char *p = strstr(t.out.data, "\nJobCompLoc");
            if (p && (p = strchr(p, '=')) != NULL) {
                p++;
                while (*p == ' ')
                    p++;
                snprintf(s->jobcomp, sizeof s->jobcomp, "%.*s", (int)strcspn(p, "\n "), p);
            }
        }
        tool_out_destroy(&t);
    }
    if (s->jobcomp[0]) {
        /* the raw id: the job id of a plain job, else what the job's last
         * start recorded ($SLURM_JOB_ID) */
        char raw[64], key[80];
        char *text;
        snprintf(raw, sizeof raw, "%s", j->job_id);
        if (strchr(raw, '_')) {
            char *p = path_join(j->sdir, "starts"), line[128];
            raw[0] = '\0';
            if (p && read_line(p, line, sizeof line) == 0)
                sscanf(line, "%63s", raw);
            gn_free(p);
        }
        snprintf(key, sizeof key, "JobId=%s ", raw);
        text = raw[0] ? read_tail(s->jobcomp, 4u << 20, NULL, NULL) : NULL;
        if (text) {
            char *line, *save = NULL;
            for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *js;
                if (strncmp(line, key, strlen(key)) != 0 || !(js = strstr(line, " JobState=")))
                    continue;
                js += 10;
                snprintf(state, size, "%.*s", (int)strcspn(js, " "), js);
            }
            gn_free(text);
        }
    }
}

/* One squeue over every submitted job; finishes those that ended. */
/* Notes a change of a running job (state, node) for slurm_job_updates;
 * one entry per attempt is enough (the newest wins). Out of memory, the
 * change is dropped: the attempt's final record has it anyway. */
static void note_update(slurm *s, const sjob *j)
{
    gn_exec_job_update *u = NULL;
    size_t i;

    for (i = 0; i < s->n_updates && !u; i++)
        if (s->updates[i].experiment_id == j->experiment_id && s->updates[i].attempt == j->attempt)
            u = &s->updates[i];
    if (!u) {
        if (s->n_updates == s->cap_updates) {
            size_t nc = s->cap_updates ? s->cap_updates * 2 : 16;
            gn_exec_job_update *p = gn_reallocarray(s->updates, nc, sizeof *p);
            if (!p)
                return;
            s->updates = p;
            s->cap_updates = nc;
        }
        u = &s->updates[s->n_updates++];
    }
    memset(u, 0, sizeof *u);
    u->experiment_id = j->experiment_id;
    u->attempt = j->attempt;
    snprintf(u->job_id, sizeof u->job_id, "%s", j->job_id);
    snprintf(u->job_state, sizeof u->job_state, "%s", j->state);
    snprintf(u->node, sizeof u->node, "%s", j->node);
}

static size_t slurm_job_updates(void *state, gn_exec_job_update *out, size_t cap)
{
    slurm *s = state;
    size_t n = s->n_updates < cap ? s->n_updates : cap;

    if (n == 0)
        return 0;
    memcpy(out, s->updates, n * sizeof *out);
    memmove(s->updates, s->updates + n, (s->n_updates - n) * sizeof *s->updates);
    s->n_updates -= n;
    return n;
}

static gn_status poll_jobs(slurm *s, gn_err *err)
{
    size_t i, start = 0;
    gn_status st = GN_OK;

    while (start < s->n_jobs) {
        char *argv[12];
        gn_strbuf ids;
        tool_out t;
        size_t count = 0, end;
        int invalid = 0;

        gn_strbuf_init(&ids);
        for (end = start; end < s->n_jobs && count < IDS_PER_CALL; end++) {
            char b[64];
            if (s->jobs[end]->phase != SJ_SUBMITTED)
                continue;
            base_id(s->jobs[end]->job_id, b, sizeof b);
            /* arrays: one id for all their elements */
            if (count && end > start && s->jobs[end - 1]->phase == SJ_SUBMITTED) {
                char pb[64];
                base_id(s->jobs[end - 1]->job_id, pb, sizeof pb);
                if (strcmp(pb, b) == 0)
                    continue;
            }
            gn_strbuf_appendf(&ids, "%s%s", count ? "," : "", b);
            count++;
        }
        if (count == 0) {
            gn_strbuf_destroy(&ids);
            break;
        }
        if (ids.failed) {
            gn_strbuf_destroy(&ids);
            return gn_err_nomem(err);
        }
        argv[0] = "squeue";
        argv[1] = "-h";
        argv[2] = "-r";
        argv[3] = "--states=all";
        argv[4] = "-o";
        argv[5] = "%i|%T|%N|%r";
        argv[6] = "-j";
        argv[7] = ids.data;
        argv[8] = NULL;
        tool_out_init(&t);
        st = run_tool(argv, &t, err);
        gn_strbuf_destroy(&ids);
        if (st != GN_OK) {
            tool_out_destroy(&t);
            return st;
        }
        if (t.status != 0) {
            invalid = strstr(t.err.data, "Invalid job id") != NULL;
            if (!invalid) {
                char msg[512];
                double now = gn_time_mono();
                if (now - s->last_warn > 60) {
                    gn_log(GN_LOG_WARN, "slurm: squeue failed (%d): %s; retrying", t.status,
                           tool_msg(&t, msg, sizeof msg));
                    s->last_warn = now;
                }
                tool_out_destroy(&t);
                return GN_OK; /* the controller may be restarting: try again later */
            }
        }
        for (i = start; i < end && st == GN_OK; i++) {
            sjob *j = s->jobs[i];
            const char *line = t.out.data;
            char field[4][256];
            int found = 0;
            if (j->phase != SJ_SUBMITTED)
                continue;
            while (!invalid && line && *line) {
                size_t n = strcspn(line, "\n"), idl = strcspn(line, "|");
                if (idl < n && idl == strlen(j->job_id) && strncmp(line, j->job_id, idl) == 0) {
                    const char *p = line;
                    int f;
                    for (f = 0; f < 4; f++) {
                        size_t fl = strcspn(p, "|\n");
                        if (fl >= sizeof field[f])
                            fl = sizeof field[f] - 1;
                        memcpy(field[f], p, fl);
                        field[f][fl] = '\0';
                        p += strcspn(p, "|\n");
                        if (*p == '|')
                            p++;
                    }
                    found = 1;
                    break;
                }
                line += n;
                if (*line == '\n')
                    line++;
            }
            if (found) {
                int changed = strcmp(j->state, field[1]) != 0;
                j->missing = 0;
                snprintf(j->state, sizeof j->state, "%s", field[1]);
                if (field[2][0] && strcmp(field[2], "(null)") != 0 && strcmp(j->node, field[2])) {
                    snprintf(j->node, sizeof j->node, "%s", field[2]);
                    changed = 1;
                }
                if (changed && !is_terminal(j->state))
                    note_update(s, j);
                if (is_terminal(j->state))
                    st = finish_job(s, j, j->state, field[3], err);
            } else if (++j->missing >= MISSING_POLLS) {
                char state[32];
                lookup_gone(s, j, state, sizeof state);
                if (state[0] && !is_terminal(state))
                    continue; /* sacct says it still runs: squeue will see it */
                st = finish_job(s, j, state, NULL, err);
            }
        }
        tool_out_destroy(&t);
        start = end;
    }
    return st;
}

/* Once per executor, before it submits anything: scancels the jobs under
 * this campaign's run folder that nobody tracks (submitted by a genesis
 * killed before it could record them). */
static void sweep_orphans(slurm *s)
{
    char *argv[8], uid[32];
    gn_strbuf ids;
    tool_out t;
    const char *line;
    size_t rootlen = strlen(s->root), n = 0;

    s->swept = 1;
    snprintf(uid, sizeof uid, "%ld", (long)getuid());
    argv[0] = "squeue";
    argv[1] = "-h";
    argv[2] = "-r";
    argv[3] = "-u";
    argv[4] = uid;
    argv[5] = "-o";
    argv[6] = "%i|%Z";
    argv[7] = NULL;
    tool_out_init(&t);
    gn_strbuf_init(&ids);
    if (run_tool(argv, &t, NULL) != GN_OK || t.status != 0)
        goto out;
    for (line = t.out.data; *line;) {
        size_t len = strcspn(line, "\n"), idl = strcspn(line, "|");
        if (idl < len) {
            const char *dir = line + idl + 1;
            size_t dl = len - idl - 1, i;
            char id[64], b[64];
            int known = 0;
            snprintf(id, sizeof id, "%.*s", (int)(idl < 63 ? idl : 63), line);
            base_id(id, b, sizeof b);
            if (dl >= rootlen && strncmp(dir, s->root, rootlen) == 0 &&
                (dl == rootlen || dir[rootlen] == '/') && strcmp(b, s->alloc) != 0) {
                for (i = 0; i < s->n_jobs && !known; i++) {
                    char jb[64];
                    base_id(s->jobs[i]->job_id, jb, sizeof jb);
                    known = strcmp(jb, b) == 0;
                }
                if (!known) {
                    gn_strbuf_appendf(&ids, "%s%s", n ? "," : "", id);
                    n++;
                }
            }
        }
        line += len;
        if (*line == '\n')
            line++;
    }
    if (n && !ids.failed) {
        char *cargv[] = {"scancel", ids.data, NULL};
        tool_out c;
        gn_log(GN_LOG_WARN,
               "slurm: cancelling %zu job(s) under %s that no attempt records (left by a genesis "
               "that stopped while submitting): %s",
               n, s->root, ids.data);
        tool_out_init(&c);
        (void)run_tool(cargv, &c, NULL);
        tool_out_destroy(&c);
    }
out:
    gn_strbuf_destroy(&ids);
    tool_out_destroy(&t);
}

/* ---- the executor ---------------------------------------------------------- */

static void slurm_destroy(void *state);

/* Pilot mode. launch workers: the pilot worker executor (exec/pilot.c).
 * launch steps: a local executor whose runner command is rewritten to
 * srun --exact -n1 -N1 [-cC] --job-name=N --quiet [step_args] <program> <args>. */
static gn_status pilot_setup(slurm *s, gn_err *err)
{
    const gn_spec *spec = s->cfg->spec;
    const gn_executor_spec *e = s->ex;
    size_t n = 0, i, cap = spec->runner.n_command + e->n_step_args + 8;
    char **cmd = gn_calloc(cap, sizeof *cmd);
    gn_status st = GN_OK;

    if (!cmd)
        return gn_err_nomem(err);
    if (e->launch == GN_SLURM_LAUNCH_WORKERS) {
        gn_free(cmd);
        s->ptype = &gn__executor_pilot_workers;
        s->pilot_cfg = *s->cfg;
        s->pilot_cfg.slots = (long)s->slots;
        return s->ptype->create(&s->pilot_cfg, &s->local, err);
    }
    s->ptype = &gn_executor_local;
    s->pilot_cmd = cmd;
    cmd[n++] = gn_strdup("srun");
    cmd[n++] = gn_strdup("--exact");
    cmd[n++] = gn_strdup("-n1");
    cmd[n++] = gn_strdup("-N1");
    if (e->cpus_per_task > 0)
        cmd[n++] = gn_asprintf("--cpus-per-task=%ld", e->cpus_per_task);
    cmd[n++] = gn_strdup("--quiet");
    for (i = 0; i < e->n_step_args; i++)
        cmd[n++] = gn_strdup(e->step_args[i]);
    /* the program: relative paths are relative to the spec's folder, and
     * srun starts it in the attempt's folder, so make them absolute */
    for (i = 0; i < spec->runner.n_command; i++) {
        const char *w = spec->runner.command[i];
        if (i == 0 && w[0] != '/' && strchr(w, '/')) {
            const char *base = spec->base_dir && *spec->base_dir ? spec->base_dir : ".";
            char cwd[PATH_MAX];
            gn_strbuf sb;
            const char *b;
            gn_strbuf_init(&sb);
            if (base[0] != '/' && getcwd(cwd, sizeof cwd)) {
                for (b = cwd; *b; b++)
                    gn_strbuf_append(&sb, *b == '{' ? "{{" : *b == '}' ? "}}" : (char[]){*b, 0});
                gn_strbuf_putc(&sb, '/');
            }
            for (b = base; *b; b++)
                gn_strbuf_append(&sb, *b == '{' ? "{{" : *b == '}' ? "}}" : (char[]){*b, 0});
            gn_strbuf_putc(&sb, '/');
            gn_strbuf_append(&sb, w);
            cmd[n++] = gn_strbuf_take(&sb);
        } else {
            cmd[n++] = gn_strdup(w);
        }
    }
    s->n_pilot_cmd = n;
    for (i = 0; i < n; i++)
        if (!cmd[i])
            return gn_err_nomem(err);
    s->pilot_spec = *spec;
    s->pilot_spec.runner.command = cmd;
    s->pilot_spec.runner.n_command = n;
    s->pilot_cfg = *s->cfg;
    s->pilot_cfg.spec = &s->pilot_spec;
    s->pilot_cfg.slots = (long)s->slots;
    st = s->ptype->create(&s->pilot_cfg, &s->local, err);
    return st;
}

static gn_status slurm_create(const gn_exec_config *cfg, void **state, gn_err *err)
{
    const gn_spec *spec = cfg ? cfg->spec : NULL;
    const char *jid = getenv("SLURM_JOB_ID");
    slurm *s;
    gn_status st = GN_OK;

    *state = NULL;
    if (!spec)
        return gn_err_set(err, GN_ERR_INVALID, "slurm executor: no spec");
    if (spec->runner.kind == GN_RUNNER_LIBRARY) {
        /* pilot workers are genesis processes on the nodes: each loads the
         * library and calls it, as the local executor does */
        gn_slurm_mode m = spec->executor.mode;
        if (m == GN_SLURM_AUTO)
            m = jid && *jid ? GN_SLURM_PILOT : GN_SLURM_ARRAY;
        if (m != GN_SLURM_PILOT || spec->executor.launch != GN_SLURM_LAUNCH_WORKERS)
            return gn_err_set(err, GN_ERR_SPEC,
                              "executor slurm runs a runner.library only in pilot workers (mode "
                              "pilot, launch: workers, inside an allocation: submit `genesis run` "
                              "with sbatch); batch jobs and job steps run runner.command programs "
                              "(docs/slurm.md)");
    } else if (spec->runner.kind != GN_RUNNER_COMMAND) {
        return gn_err_set(err, GN_ERR_SPEC,
                          "executor slurm runs runner.command programs as Slurm jobs and "
                          "runner.library in pilot workers; a lookup runner runs inside genesis "
                          "(use executor kind local)");
    } else if (spec->runner.n_command == 0) {
        return gn_err_set(err, GN_ERR_SPEC, "runner.command is empty");
    }
    if (!cfg->work_root || !*cfg->work_root)
        return gn_err_set(err, GN_ERR_INVALID, "slurm executor: no work directory root");
    if (cfg->slots < 1)
        return gn_err_set(err, GN_ERR_INVALID, "slurm executor: slots must be >= 1 (got %ld)",
                          cfg->slots);
    s = gn_calloc(1, sizeof *s);
    if (!s)
        return gn_err_nomem(err);
    s->cfg = cfg;
    s->ex = &spec->executor;
    s->mode = s->ex->mode;
    if (s->mode == GN_SLURM_AUTO)
        s->mode = jid && *jid ? GN_SLURM_PILOT : GN_SLURM_ARRAY;
    if (jid && *jid)
        snprintf(s->alloc, sizeof s->alloc, "%s", jid);
    s->root = realpath(cfg->work_root, NULL);
    if (!s->root) {
        st = gn_err_set(err, GN_ERR_IO, "slurm executor: run folder %s: %s", cfg->work_root,
                        strerror(errno));
        goto fail;
    }
    {
        /* realpath's buffer comes from malloc: keep ours on gn_ */
        char *r = gn_strdup(s->root);
        free(s->root);
        s->root = r;
        if (!r) {
            st = gn_err_nomem(err);
            goto fail;
        }
    }
    s->job_name = gn_strdup(s->ex->job_name ? s->ex->job_name
                                            : cfg->campaign ? cfg->campaign : spec->name);
    if (!s->job_name) {
        st = gn_err_nomem(err);
        goto fail;
    }
    if (s->ex->time) {
        s->time_arg = gn_strdup(s->ex->time);
    } else if (spec->runner.timeout > 0) {
        double secs = spec->runner.timeout + (spec->runner.kill_grace > 0 ? spec->runner.kill_grace : 0);
        s->time_arg = gn_asprintf("%ld", (long)ceil(secs / 60.0) + 1);
    }
    if ((s->ex->time || spec->runner.timeout > 0) && !s->time_arg) {
        st = gn_err_nomem(err);
        goto fail;
    }
    if (s->mode == GN_SLURM_PILOT) {
        if (!s->alloc[0]) {
            st = gn_err_set(err, GN_ERR_STATE,
                            "executor slurm mode pilot runs experiments as job steps inside a "
                            "Slurm allocation, and this is not one ($SLURM_JOB_ID is not set): "
                            "submit `genesis run` with sbatch (docs/slurm.md)");
            goto fail;
        }
        if (!in_path("srun")) {
            st = gn_err_set(err, GN_ERR_UNSUPPORTED,
                            "executor slurm mode pilot needs srun, which is not in $PATH");
            goto fail;
        }
        if (!cfg->slots_default) {
            s->slots = (size_t)cfg->slots;
        } else {
            const char *nt = getenv("SLURM_NTASKS");
            long v = nt ? strtol(nt, NULL, 10) : 0;
            s->slots = v > 0 ? (size_t)v : 1;
        }
        if (s->ex->launch == GN_SLURM_LAUNCH_WORKERS) {
            /* a worker holds its step's CPUs for the whole run: workers
             * beyond the allocation's tasks would wait for a step forever */
            const char *nt = getenv("SLURM_NTASKS");
            long v = nt ? strtol(nt, NULL, 10) : 0;
            size_t i;
            int overlap = 0;
            for (i = 0; i < s->ex->n_step_args; i++)
                if (strncmp(s->ex->step_args[i], "--overlap", 9) == 0 ||
                    strncmp(s->ex->step_args[i], "--oversubscribe", 15) == 0)
                    overlap = 1;
            if (v > 0 && (size_t)v < s->slots && !overlap) {
                gn_log(GN_LOG_INFO,
                       "slurm: %zu pilot workers for budget.parallel %zu: the allocation has %ld "
                       "task(s) ($SLURM_NTASKS)",
                       (size_t)v, s->slots, v);
                s->slots = (size_t)v;
            }
        }
        st = pilot_setup(s, err);
        if (st != GN_OK)
            goto fail;
    } else {
        if (!in_path("sbatch") || !in_path("squeue") || !in_path("scancel")) {
            st = gn_err_set(err, GN_ERR_UNSUPPORTED,
                            "executor slurm needs sbatch, squeue and scancel in $PATH (run genesis "
                            "where Slurm's commands work, e.g. a login node)");
            goto fail;
        }
        s->slots = cfg->slots_default ? DEFAULT_SLOTS : (size_t)cfg->slots;
    }
    *state = s;
    return GN_OK;
fail:
    slurm_destroy(s);
    return st;
}

static size_t local_running(const slurm *s)
{
    return s->local ? s->ptype->running(s->local) : 0;
}

static size_t slurm_running(void *state)
{
    slurm *s = state;
    return s->n_jobs + local_running(s);
}

static size_t slurm_free_slots(void *state)
{
    slurm *s = state;
    size_t used = slurm_running(s);
    return used >= s->slots ? 0 : s->slots - used;
}

static gn_status slurm_submit(void *state, const gn_task *task, gn_task_started *started, gn_err *err)
{
    slurm *s = state;
    sjob *j = NULL;
    char workdir[4096], token[32];
    char *tok_path = NULL;
    gn_status st;

    if (slurm_free_slots(s) == 0)
        return gn_err_set(err, GN_ERR_STATE, "slurm executor: no free slot");
    if (s->mode == GN_SLURM_PILOT) {
        st = s->ptype->submit(s->local, task, started, err);
        return st;
    }
    if (!s->swept)
        sweep_orphans(s);
    st = gn__runner_workdir(s->root, task->number, task->attempt, workdir, sizeof workdir, err);
    if (st != GN_OK)
        return st;
    j = gn_calloc(1, sizeof *j);
    if (!j)
        return gn_err_nomem(err);
    j->experiment_id = task->experiment_id;
    j->number = task->number;
    j->attempt = task->attempt;
    j->submitted = gn_time_wall();
    j->workdir = gn_strdup(workdir);
    j->sdir = gn_asprintf("%s" SDIR_SUFFIX, workdir);
    if (!j->workdir || !j->sdir) {
        st = gn_err_nomem(err);
        goto fail;
    }
    st = sdir_fresh(j->sdir, err);
    if (st != GN_OK)
        goto fail;
    make_token(token, sizeof token, (unsigned long long)task->experiment_id * 1000003u + (unsigned)task->attempt);
    tok_path = path_join(j->sdir, "token");
    if (!tok_path) {
        st = gn_err_nomem(err);
        goto fail;
    }
    if (write_file(tok_path, token, 0644) != 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot write %s: %s", tok_path, strerror(errno));
        goto fail;
    }
    st = write_job_script(s, task, j, token, err);
    if (st != GN_OK)
        goto fail;
    if (s->mode == GN_SLURM_JOBS) {
        char chdir_opt[PATH_MAX + 16], out_opt[PATH_MAX + 16];
        const char *first[3];
        char *script = path_join(j->sdir, "job.sh");
        snprintf(chdir_opt, sizeof chdir_opt, "--chdir=%s", j->workdir);
        snprintf(out_opt, sizeof out_opt, "--output=%s/job.out", j->sdir);
        first[0] = chdir_opt;
        first[1] = out_opt;
        first[2] = NULL;
        st = script ? sbatch(s, first, script, j->job_id, sizeof j->job_id, err) : gn_err_nomem(err);
        gn_free(script);
        if (st != GN_OK)
            goto fail;
        j->phase = SJ_SUBMITTED;
        snprintf(j->state, sizeof j->state, "PENDING");
        write_job_id(j);
    } else {
        j->phase = SJ_QUEUED;
        snprintf(j->state, sizeof j->state, "SUBMITTING");
    }
    if (!push_job(s, j)) {
        st = gn_err_nomem(err);
        if (j->phase == SJ_SUBMITTED) {
            char *cargv[] = {"scancel", j->job_id, NULL};
            tool_out c;
            tool_out_init(&c);
            (void)run_tool(cargv, &c, NULL);
            tool_out_destroy(&c);
        }
        goto fail;
    }
    memset(started, 0, sizeof *started);
    snprintf(started->workdir, sizeof started->workdir, "%s", j->workdir);
    snprintf(started->job_id, sizeof started->job_id, "%s", j->job_id);
    snprintf(started->job_state, sizeof started->job_state, "%s", j->state);
    started->started = j->submitted;
    s->next_poll = 0;
    gn_free(tok_path);
    return GN_OK;
fail:
    if (tok_path)
        unlink(tok_path);
    gn_free(tok_path);
    sjob_free(j);
    return st;
}

/* Hands out finished jobs' results, oldest first. */
static size_t take_done(slurm *s, gn_exec_result *out, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        size_t i, best = s->n_jobs;
        for (i = 0; i < s->n_jobs; i++)
            if (s->jobs[i]->phase == SJ_DONE &&
                (best == s->n_jobs || s->jobs[i]->done_seq < s->jobs[best]->done_seq))
                best = i;
        if (best == s->n_jobs)
            break;
        out[n] = s->jobs[best]->res;
        memset(&s->jobs[best]->res, 0, sizeof s->jobs[best]->res);
        sjob_free(s->jobs[best]);
        drop_job(s, best);
        n++;
    }
    return n;
}

static int any_phase(const slurm *s, sj_phase p)
{
    size_t i;
    for (i = 0; i < s->n_jobs; i++)
        if (s->jobs[i]->phase == p)
            return 1;
    return 0;
}

/* Adds the job fields to the results of pilot steps. */
static gn_status tag_steps(slurm *s, gn_exec_result *r, size_t n, gn_err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const char *state = r[i].status == GN_ATT_SUCCEEDED ? "COMPLETED"
                            : r[i].status == GN_ATT_TIMEOUT  ? "TIMEOUT"
                            : r[i].status == GN_ATT_CANCELLED ? "CANCELLED"
                                                              : "FAILED";
        if (!r[i].job_id)
            r[i].job_id = gn_strdup(s->alloc);
        if (!r[i].job_state)
            r[i].job_state = gn_strdup(state);
        if (!r[i].job_id || !r[i].job_state)
            return gn_err_nomem(err);
    }
    return GN_OK;
}

static gn_status slurm_wait(void *state, double max_wait, volatile int *interrupt,
                            gn_exec_result *out, size_t cap, size_t *n, gn_err *err)
{
    slurm *s = state;
    double deadline = gn_time_mono() + (max_wait > 0 ? max_wait : 0);
    double interval = s->ex->poll > 0 ? s->ex->poll : 2.0;
    gn_status st;

    *n = 0;
    if (cap == 0)
        return GN_OK;
    if (s->mode != GN_SLURM_PILOT && !s->swept)
        sweep_orphans(s);
    if (any_phase(s, SJ_QUEUED)) {
        st = flush_queued(s, err);
        if (st != GN_OK)
            return st;
    }
    for (;;) {
        double now, slice;
        *n += take_done(s, out + *n, cap - *n);
        if (*n > 0)
            return GN_OK;
        now = gn_time_mono();
        if (any_phase(s, SJ_SUBMITTED) && now >= s->next_poll) {
            s->next_poll = now + interval;
            st = poll_jobs(s, err);
            if (st != GN_OK)
                return st;
            continue;
        }
        if (interrupt && *interrupt)
            return GN_OK;
        now = gn_time_mono();
        if (now >= deadline)
            return GN_OK;
        slice = deadline - now;
        if (any_phase(s, SJ_SUBMITTED) && s->next_poll - now < slice)
            slice = s->next_poll - now;
        if (slice < 0.001)
            slice = 0.001;
        if (local_running(s) > 0) {
            size_t k = 0;
            st = s->ptype->wait(s->local, slice, interrupt, out, cap, &k, err);
            if (st == GN_OK)
                st = tag_steps(s, out, k, err);
            *n = k;
            if (st != GN_OK || k > 0)
                return st;
        } else {
            gn_time_sleep(slice < 0.1 ? slice : 0.1, interrupt);
        }
    }
}

static void slurm_cancel_all(void *state, double grace)
{
    slurm *s = state;
    int leave = s->cfg->leave_jobs || !s->ex->cancel_on_stop;
    gn_strbuf ids;
    size_t i, n = 0;

    if (s->local)
        s->ptype->cancel_all(s->local, grace);
    for (i = 0; i < s->n_jobs; i++)
        if (s->jobs[i]->phase == SJ_QUEUED)
            (void)finish_unsubmitted(s, s->jobs[i], GN_ATT_CANCELLED, "cancelled (not submitted)",
                                     NULL);
    if (leave) {
        /* detach: the attempts stay running in the store, for resume */
        for (i = 0; i < s->n_jobs;) {
            if (s->jobs[i]->phase == SJ_SUBMITTED) {
                sjob_free(s->jobs[i]);
                drop_job(s, i);
                n++;
            } else {
                i++;
            }
        }
        if (n)
            gn_log(GN_LOG_INFO, "slurm: left %zu job(s) running; `genesis resume` re-attaches", n);
        return;
    }
    gn_strbuf_init(&ids);
    for (i = 0; i < s->n_jobs; i++) {
        if (s->jobs[i]->phase != SJ_SUBMITTED)
            continue;
        gn_strbuf_appendf(&ids, "%s%s", n ? "," : "", s->jobs[i]->job_id);
        s->jobs[i]->cancelled = 1;
        n++;
        if (n % IDS_PER_CALL == 0 || i + 1 == s->n_jobs) {
            char *cargv[] = {"scancel", ids.data, NULL};
            tool_out c;
            tool_out_init(&c);
            if (!ids.failed)
                (void)run_tool(cargv, &c, NULL);
            tool_out_destroy(&c);
            gn_strbuf_destroy(&ids);
            gn_strbuf_init(&ids);
            n = 0;
        }
    }
    if (n && !ids.failed) {
        char *cargv[] = {"scancel", ids.data, NULL};
        tool_out c;
        tool_out_init(&c);
        (void)run_tool(cargv, &c, NULL);
        tool_out_destroy(&c);
    }
    gn_strbuf_destroy(&ids);
    /* results now: an attempt that wrote its exit status keeps it, the
     * others are cancelled (Slurm finishes killing them on its own) */
    for (i = 0; i < s->n_jobs; i++)
        if (s->jobs[i]->phase == SJ_SUBMITTED)
            (void)finish_job(s, s->jobs[i], "CANCELLED", NULL, NULL);
}

static gn_status slurm_adopt(void *state, const gn_task *task, const gn_attempt_rec *att,
                             gn_err *err)
{
    slurm *s = state;
    sjob *j;
    char id[64] = "";

    if (!att || !att->workdir || !*att->workdir)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "attempt %d of experiment %lld has no work folder",
                          att ? att->number : 0, (long long)task->number);
    if (att->job_id && *att->job_id) {
        snprintf(id, sizeof id, "%s", att->job_id);
    } else {
        char *p = gn_asprintf("%s" SDIR_SUFFIX "/job_id", att->workdir);
        if (!p)
            return gn_err_nomem(err);
        if (read_line(p, id, sizeof id) != 0)
            id[0] = '\0';
        gn_free(p);
    }
    if (!id[0] || !isdigit((unsigned char)id[0]))
        return gn_err_set(err, GN_ERR_NOT_FOUND,
                          "attempt %d of experiment %lld was never submitted to Slurm",
                          att->number, (long long)task->number);
    j = gn_calloc(1, sizeof *j);
    if (!j)
        return gn_err_nomem(err);
    j->phase = SJ_SUBMITTED;
    j->experiment_id = task->experiment_id;
    j->number = task->number;
    j->attempt = task->attempt;
    j->submitted = att->started;
    snprintf(j->job_id, sizeof j->job_id, "%s", id);
    snprintf(j->state, sizeof j->state, "%s", att->job_state ? att->job_state : "PENDING");
    j->workdir = gn_strdup(att->workdir);
    j->sdir = gn_asprintf("%s" SDIR_SUFFIX, att->workdir);
    if (!j->workdir || !j->sdir || !push_job(s, j)) {
        sjob_free(j);
        return gn_err_nomem(err);
    }
    s->next_poll = 0;
    return GN_OK;
}

static void slurm_destroy(void *state)
{
    slurm *s = state;
    size_t i;
    if (!s)
        return;
    if (s->local && s->ptype)
        s->ptype->destroy(s->local);
    for (i = 0; i < s->n_jobs; i++)
        sjob_free(s->jobs[i]);
    gn_free(s->jobs);
    if (s->pilot_cmd) {
        for (i = 0; i < s->n_pilot_cmd; i++)
            gn_free(s->pilot_cmd[i]);
        gn_free(s->pilot_cmd);
    }
    gn_free(s->root);
    gn_free(s->time_arg);
    gn_free(s->job_name);
    gn_free(s->updates);
    gn_free(s);
}

const gn_executor_type gn_executor_slurm = {
    "slurm",
    slurm_create,
    slurm_free_slots,
    slurm_submit,
    slurm_wait,
    slurm_running,
    slurm_cancel_all,
    slurm_destroy,
    slurm_adopt,
    slurm_job_updates,
};
