/* exec/process.c - the process runner: one attempt as a process group; see runner.h */
#include "exec/runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif


#include "core/alloc.h"
#include "core/timeutil.h"

extern char **environ;

/* Bytes read from one pipe per pump, so one chatty runner cannot starve the
 * others in the same poll loop. */
#define PUMP_BUDGET (4u << 20)

/* ---- 64 KiB blocks, kept for the next runners ---------------------------- */

/* A runner's stdout window (GN_EXEC_STDOUT_SEARCH_BYTES) and, on Linux, its
 * child's stack are 64 KiB each: allocating and freeing them per runner
 * grows and trims the heap every time (brk, fresh pages to fault in), so
 * up to BLOCKS_KEPT of them are kept for the next runners. */
#define BLOCK_BYTES (64u * 1024u)
#define BLOCKS_KEPT 32
_Static_assert(GN_EXEC_STDOUT_SEARCH_BYTES == BLOCK_BYTES, "the stdout window is one block");

static struct {
    pthread_mutex_t mu;
    void *free[BLOCKS_KEPT];
    int n;
} blocks = {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0};

static void *block_take(void)
{
    void *b = NULL;
    pthread_mutex_lock(&blocks.mu);
    if (blocks.n > 0)
        b = blocks.free[--blocks.n];
    pthread_mutex_unlock(&blocks.mu);
    return b ? b : gn_malloc(BLOCK_BYTES);
}

static void block_give(void *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&blocks.mu);
    if (blocks.n < BLOCKS_KEPT) {
        blocks.free[blocks.n++] = b;
        b = NULL;
    }
    pthread_mutex_unlock(&blocks.mu);
    gn_free(b);
}

/* ---- a bounded byte ring: the last `cap` bytes written ------------------- */

typedef struct ring {
    char *buf;
    size_t cap;
    size_t head;   /* where the next byte goes */
    size_t filled; /* min(total, cap) */
    unsigned long long total;
} ring;

static int ring_init(ring *r, size_t cap)
{
    r->buf = cap == BLOCK_BYTES ? block_take() : gn_malloc(cap);
    r->cap = cap;
    r->head = r->filled = 0;
    r->total = 0;
    return r->buf ? 0 : -1;
}

static void ring_destroy(ring *r)
{
    if (r->cap == BLOCK_BYTES)
        block_give(r->buf);
    else
        gn_free(r->buf);
    r->buf = NULL;
}

static void ring_put(ring *r, const char *p, size_t n)
{
    size_t first;
    r->total += n;
    if (n >= r->cap) {
        memcpy(r->buf, p + (n - r->cap), r->cap);
        r->head = 0;
        r->filled = r->cap;
        return;
    }
    first = r->cap - r->head;
    if (first > n)
        first = n;
    memcpy(r->buf + r->head, p, first);
    memcpy(r->buf, p + first, n - first);
    r->head = (r->head + n) % r->cap;
    r->filled = r->filled + n > r->cap ? r->cap : r->filled + n;
}

/* Copies the last min(k, filled) bytes, oldest first, to dst; returns the
 * count. */
static size_t ring_last(const ring *r, size_t k, char *dst)
{
    size_t n = k < r->filled ? k : r->filled;
    size_t start = (r->head + r->cap - n) % r->cap;
    size_t first = r->cap - start;
    if (first > n)
        first = n;
    memcpy(dst, r->buf + start, first);
    memcpy(dst + first, r->buf, n - first);
    return n;
}

/* ---- the process --------------------------------------------------------- */

/* What the child reports through the report pipe when it cannot exec. */
typedef struct child_failure {
    int stage; /* 0 exec, 1 chdir, 2 redirect */
    int error;
} child_failure;

/* Everything the child needs, prepared before it is started: the child
 * only makes system calls (see spawn_child). Lives in the gn_proc until the
 * runner is reaped, because the child may still read it after
 * gn__proc_start has returned. */
typedef struct launch {
    const char *path;
    char **argv;
    char **sh_argv; /* /bin/sh path args..., for scripts without #! (as execvp does) */
    char **envp;
    const char *workdir;
    int out_w, err_w, report_w; /* report_w: -1 when the child shares our memory */
    int make_workdir; /* mkdir workdir first (gn__runner_workdir_prepare) */
    pid_t parent;
    /* A child sharing our memory (GN_SPAWN_SHARED_VM) reports a failed
     * start here instead of through a pipe: read after it was reaped. */
    volatile int reported;
    volatile child_failure report;
} launch;

/* PROC_NEW (zero) until the runner was started: nothing to signal. */
typedef enum { PROC_NEW = 0, PROC_RUNNING, PROC_DRAINING, PROC_DONE } proc_phase;

struct gn_proc {
    pid_t pid;
    proc_phase phase;
    int fd_out, fd_err;     /* read ends, -1 once closed */
    int pidfd;              /* readable when the runner exits (Linux), else -1 */
    int exit_seen;          /* poll said the pidfd is readable: worth a waitid */
    ring out, err;          /* stdout: the outcome search window; stderr: the tail */
    char *shown;            /* command[0] as written, for messages */
    char *output_path;      /* $GENESIS_OUTPUT */
    double timeout, grace;  /* from the spec (timeout 0 = none) */
    double t_start;         /* monotonic */
    double started, finished; /* epoch */
    double kill_at;         /* monotonic time to send SIGKILL, 0 = not planned */
    int term_sent, kill_sent;
    int timed_out, cancelled;
    int wstatus;
    int lost;               /* someone else reaped the runner: exit status unknown */
    double drain_until;     /* monotonic */
    /* Starting: what the child reads until it execs (spawn_child), kept
     * until the runner is reaped; the read end of the report pipe; what it
     * reported (failed: the runner never ran). */
    launch l;
    size_t n_argv;
    char **argv, **sh_argv, **envp;
    char *path;
    char *mine[6];          /* N_GENESIS_VARS */
    char *workdir;
    void *stack;
    int fd_report;
    int start_failed;
    child_failure failure;
};

#if defined(__SANITIZE_ADDRESS__)
#define GN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define GN_ASAN 1
#endif
#endif

/* The child's system calls, as raw system calls where we know how to make
 * them: they return -errno on failure and never touch errno or anything
 * else of the C library. That is what lets the child share our memory
 * while this thread keeps running (spawn_child): its errno would be ours. */
#if defined(__linux__) && defined(__x86_64__)
#define GN_RAW_SYSCALLS 1
static inline long child_sys(long n, long a, long b, long c, long d)
{
    register long r10 __asm__("r10") = d;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__linux__) && defined(__aarch64__)
#define GN_RAW_SYSCALLS 1
static inline long child_sys(long n, long a, long b, long c, long d)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
#elif defined(__linux__)
static long child_sys(long n, long a, long b, long c, long d)
{
    long r = syscall(n, a, b, c, d); /* only in a fork()ed child: errno is its own */
    return r < 0 ? -errno : r;
}
#endif

/* Shared memory and no waiting (spawn_child) needs the raw calls; under
 * AddressSanitizer (whose interceptors do not expect a child sharing the
 * parent's memory) and elsewhere, fork(). */
#if defined(GN_RAW_SYSCALLS) && !defined(GN_ASAN) && !defined(GN_NO_VFORK)
#define GN_SPAWN_SHARED_VM 1
#endif

static void child_report(launch *l, int stage, int error)
{
    child_failure f;
    f.stage = stage;
    f.error = error;
#ifdef __linux__
    if (l->report_w < 0) { /* our memory is the parent's: it reads this once we are reaped */
        l->report.stage = stage;
        l->report.error = error;
        l->reported = 1;
    } else {
        child_sys(SYS_write, l->report_w, (long)&f, (long)sizeof f, 0); /* a pipe: all or nothing */
    }
    child_sys(SYS_exit_group, 127, 0, 0, 0);
    for (;;)
        ;
#else
    if (write(l->report_w, &f, sizeof f) < 0) {
        /* nothing to be done: the parent sees exit status 127 */
    }
    _exit(127);
#endif
}

#ifdef __linux__
/* The kernel's struct sigaction (x86-64 and arm64 alike; the generic one
 * elsewhere has no restorer but ignores what follows the mask's start). */
struct child_kernel_sigaction {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    unsigned long mask;
};

/* In the child: own process group, die with the parent, default signals,
 * standard streams, work directory, exec. Only system calls: no
 * allocation, no locks, no errno. Never returns. */
static void child_exec(launch *l)
{
    struct child_kernel_sigaction sa;
    unsigned long none = 0;
    long fds[3], r;
    int i;

    child_sys(SYS_setpgid, 0, 0, 0, 0);
    child_sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
    if (child_sys(SYS_getppid, 0, 0, 0, 0) != l->parent) /* the parent died before prctl */
        child_sys(SYS_exit_group, 127, 0, 0, 0);
    sa.handler = (unsigned long)SIG_DFL;
    sa.flags = 0;
    sa.restorer = 0;
    sa.mask = 0;
    /* ignored signals would stay ignored across exec, and a handler of ours
     * must not run here once the mask is cleared; SIGKILL and SIGSTOP just
     * fail */
    for (i = 1; i < NSIG; i++)
        child_sys(SYS_rt_sigaction, i, (long)&sa, 0, (long)sizeof none);
    child_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, (long)sizeof none);

    /* Move the three ends above 2 first, so that dup onto 0..2 cannot
     * clobber one of them (the parent may have run with 0..2 closed). */
    r = child_sys(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY | O_CLOEXEC, 0);
    fds[0] = r < 0 ? r : child_sys(SYS_fcntl, r, F_DUPFD_CLOEXEC, 3, 0);
    fds[1] = child_sys(SYS_fcntl, l->out_w, F_DUPFD_CLOEXEC, 3, 0);
    fds[2] = child_sys(SYS_fcntl, l->err_w, F_DUPFD_CLOEXEC, 3, 0);
    for (i = 0; i < 3; i++) {
        r = fds[i] < 0 ? fds[i] : child_sys(SYS_dup3, fds[i], i, 0, 0);
        /* the pipes were made non-blocking for our read ends: the
         * runner's writes block as usual */
        if (r >= 0 && i > 0)
            r = child_sys(SYS_fcntl, i, F_SETFL, 0, 0);
        if (r < 0)
            child_report(l, 2, (int)-r);
    }
    r = l->make_workdir ? child_sys(SYS_mkdirat, AT_FDCWD, (long)l->workdir, 0777, 0) : 0;
    if (r >= 0)
        r = child_sys(SYS_chdir, (long)l->workdir, 0, 0, 0);
    if (r < 0)
        child_report(l, 1, (int)-r);
    r = child_sys(SYS_execve, (long)l->path, (long)l->argv, (long)l->envp, 0);
    if (r == -ENOEXEC)
        r = child_sys(SYS_execve, (long)"/bin/sh", (long)l->sh_argv, (long)l->envp, 0);
    child_report(l, 0, (int)-r);
}
#else
/* In the fork()ed child: as above with the C library's calls. */
static void child_exec(launch *l)
{
    struct sigaction sa;
    sigset_t none;
    int fds[3];
    int i;

    setpgid(0, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (i = 1; i < NSIG; i++)
        sigaction(i, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    i = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fds[0] = i < 0 ? -1 : fcntl(i, F_DUPFD_CLOEXEC, 3);
    fds[1] = fcntl(l->out_w, F_DUPFD_CLOEXEC, 3);
    fds[2] = fcntl(l->err_w, F_DUPFD_CLOEXEC, 3);
    for (i = 0; i < 3; i++)
        if (fds[i] < 0 || dup2(fds[i], i) < 0 || (i > 0 && fcntl(i, F_SETFL, 0) < 0))
            child_report(l, 2, errno);
    if ((l->make_workdir && mkdir(l->workdir, 0777) != 0) || chdir(l->workdir) != 0)
        child_report(l, 1, errno);
    execve(l->path, l->argv, l->envp);
    if (errno == ENOEXEC)
        execve("/bin/sh", l->sh_argv, l->envp);
    child_report(l, 0, errno);
}
#endif

#ifdef GN_SPAWN_SHARED_VM
#define CHILD_STACK_BYTES BLOCK_BYTES
static int child_entry(void *arg)
{
    child_exec(arg);
    return 127;
}
#endif

/* Starts the child: child_exec in a new process, and returns at once,
 * without waiting for the exec: whether it worked comes through the launch
 * (shared memory) or the report pipe (fork), read when the runner is reaped. On Linux (x86-64, arm64) the child
 * shares our memory until it execs (clone with CLONE_VM, like posix_spawn,
 * but without CLONE_VFORK's wait), on its own small stack (`stack`,
 * CHILD_STACK_BYTES, kept by the caller until the child is reaped): no page
 * tables are copied, no copy-on-write faults follow, and this thread goes on
 * starting the next runner or recording a turn while the kernel execs this
 * one on the other core. That is safe because child_exec only makes raw
 * system calls: it allocates nothing, takes no lock and leaves errno and
 * the rest of our thread-local storage alone, and only reads the launch,
 * which the caller keeps until the child is reaped. Every signal is
 * blocked around the clone, so no handler of ours can run in the child;
 * child_exec resets the handlers before unblocking. Elsewhere, fork().
 * Returns the pid, or -1 with errno. */
static pid_t spawn_child(launch *l, void *stack)
{
#ifdef GN_SPAWN_SHARED_VM
    sigset_t all, old;
    pid_t pid;
    int e;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(child_entry, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | SIGCHLD, (void *)l);
    e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid;
#else
    pid_t pid;
    (void)stack;
    pid = fork();
    if (pid == 0)
        child_exec(l);
    return pid;
#endif
}

/* Resolves the program: absolute as is; with a '/' against base_dir (made
 * absolute, since the runner starts in its work directory); otherwise the
 * first executable regular file in $PATH. *path is new (gn_free). */
static gn_status resolve_program(const char *word, const char *base_dir, char **path, gn_err *err)
{
    const char *dirs, *d;
    char cwd[PATH_MAX];
    struct stat sb;

    *path = NULL;
    if (word[0] == '/') {
        *path = gn_strdup(word);
    } else if (strchr(word, '/')) {
        const char *base = base_dir && *base_dir ? base_dir : ".";
        if (base[0] == '/') {
            *path = gn_asprintf("%s/%s", base, word);
        } else {
            if (!getcwd(cwd, sizeof cwd))
                return gn_err_set(err, GN_ERR_RUNNER, "cannot start runner '%s': current directory: %s",
                                  word, strerror(errno));
            *path = gn_asprintf("%s/%s/%s", cwd, base, word);
        }
    } else {
        dirs = getenv("PATH");
        if (!dirs || !*dirs)
            dirs = "/usr/local/bin:/usr/bin:/bin";
        for (d = dirs; ; ) {
            const char *end = strchr(d, ':');
            size_t len = end ? (size_t)(end - d) : strlen(d);
            char *cand = len ? gn_asprintf("%.*s/%s", (int)len, d, word) : gn_asprintf("./%s", word);
            if (!cand)
                return gn_err_nomem(err);
            if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0) {
                if (cand[0] != '/') { /* an empty PATH entry means the current directory */
                    char *abs = getcwd(cwd, sizeof cwd) ? gn_asprintf("%s/%s", cwd, word) : NULL;
                    gn_free(cand);
                    cand = abs;
                    if (!cand)
                        return gn_err_nomem(err);
                }
                *path = cand;
                return GN_OK;
            }
            gn_free(cand);
            if (!end)
                break;
            d = end + 1;
        }
        return gn_err_set(err, GN_ERR_RUNNER,
                          "cannot start runner '%s': No such file or directory (searched $PATH)", word);
    }
    return *path ? GN_OK : gn_err_nomem(err);
}

static const char *const genesis_vars[] = {
    "GENESIS_CAMPAIGN", "GENESIS_EXPERIMENT", "GENESIS_ATTEMPT",
    "GENESIS_PARAMS",   "GENESIS_OUTPUT",     "GENESIS_WORKDIR",
};
#define N_GENESIS_VARS (sizeof genesis_vars / sizeof genesis_vars[0])
_Static_assert(sizeof genesis_vars / sizeof genesis_vars[0] ==
                   sizeof ((struct gn_proc *)0)->mine / sizeof(char *),
               "gn_proc.mine holds one entry per GENESIS_* variable");

static int is_genesis_var(const char *entry)
{
    size_t i, n;
    for (i = 0; i < N_GENESIS_VARS; i++) {
        n = strlen(genesis_vars[i]);
        if (strncmp(entry, genesis_vars[i], n) == 0 && entry[n] == '=')
            return 1;
    }
    return 0;
}

/* The environment of the runner: ours minus any inherited GENESIS_* of the
 * contract, plus `mine` (N_GENESIS_VARS entries). The array is new; its
 * strings are borrowed. */
static char **build_env(char **mine)
{
    size_t n = 0, k = 0, i;
    char **env;
    for (i = 0; environ && environ[i]; i++)
        n++;
    env = gn_calloc(n + N_GENESIS_VARS + 1, sizeof *env);
    if (!env)
        return NULL;
    for (i = 0; i < n; i++)
        if (!is_genesis_var(environ[i]))
            env[k++] = environ[i];
    for (i = 0; i < N_GENESIS_VARS; i++)
        env[k++] = mine[i];
    env[k] = NULL;
    return env;
}

/* Signals the whole process group of the runner. Never with a pid <= 0:
 * kill(0, ...) and kill(-1, ...) would hit us or everything. */
static void signal_group(pid_t pid, int sig)
{
    if (pid > 0)
        kill(-pid, sig);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void free_words(char **words, size_t n)
{
    size_t i;
    if (!words)
        return;
    for (i = 0; i < n; i++)
        gn_free(words[i]);
    gn_free(words);
}

/* Frees what the child of a runner may read until it execs: call only
 * once the runner was reaped (or never started). The program's path and
 * the work directory stay for messages until gn__proc_free. */
static void launch_free(gn_proc *p)
{
    size_t i;
    for (i = 0; i < N_GENESIS_VARS; i++) {
        gn_free(p->mine[i]);
        p->mine[i] = NULL;
    }
    gn_free(p->envp);
    gn_free(p->sh_argv);
    free_words(p->argv, p->n_argv);
    block_give(p->stack);
    p->envp = p->sh_argv = p->argv = NULL;
    p->stack = NULL;
}

void gn__proc_free(gn_proc *p)
{
    int status;
    if (!p)
        return;
    if (p->phase == PROC_RUNNING && !p->lost && p->pid > 0) {
        signal_group(p->pid, SIGKILL);
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    close_fd(&p->fd_out);
    close_fd(&p->fd_err);
    close_fd(&p->pidfd);
    close_fd(&p->fd_report);
    ring_destroy(&p->out);
    ring_destroy(&p->err);
    launch_free(p);
    gn_free(p->path);
    gn_free(p->workdir);
    gn_free(p->shown);
    gn_free(p->output_path);
    gn_free(p);
}

/* What the child of a runner that was reaped reported: 1 and *f filled
 * when it could not exec, 0 when it did. From the launch (a child that
 * shared our memory) or the report pipe (non-blocking; end of file when
 * it exec'd). */
static int read_child_report(const gn_proc *p, int fd, child_failure *f)
{
    ssize_t n;
    if (p->l.reported) {
        f->stage = p->l.report.stage;
        f->error = p->l.report.error;
        return 1;
    }
    if (fd < 0)
        return 0;
    do {
        n = read(fd, f, sizeof *f);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *f;
}

/* "cannot start runner '<cmd>': <reason>" for a child that could not exec. */
static void start_failure_text(const gn_proc *p, const child_failure *cf, char *buf, size_t size)
{
    if (cf->stage == 1)
        snprintf(buf, size, "cannot start runner '%s': work directory '%s': %s", p->shown,
                 p->workdir ? p->workdir : "?", strerror(cf->error));
    else if (cf->stage == 2)
        snprintf(buf, size, "cannot start runner '%s': redirecting its output: %s", p->shown,
                 strerror(cf->error));
    else if (p->path && strcmp(p->path, p->shown) != 0)
        snprintf(buf, size, "cannot start runner '%s': %s (resolved to %s)", p->shown,
                 strerror(cf->error), p->path);
    else
        snprintf(buf, size, "cannot start runner '%s': %s", p->shown, strerror(cf->error));
}

gn_status gn__proc_start(const gn_exec_config *cfg, const gn_task *task, const char *workdir,
                         int make_workdir, gn_task_started *started, gn_proc **out, gn_err *err)
{
    const gn_spec *spec = cfg->spec;
    const gn_runner_spec *rs = &spec->runner;
    size_t n = rs->n_command, i;
    char *params = NULL;
    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, rep_p[2] = {-1, -1};
    gn_proc *p = NULL;
    child_failure cf;
    char why[GN_ERR_MSG_MAX];
    pid_t pid;
    gn_status st = GN_OK;

    *out = NULL;
    if (n == 0)
        return gn_err_set(err, GN_ERR_SPEC, "the runner command is empty");
    p = gn_calloc(1, sizeof *p);
    if (!p)
        return gn_err_nomem(err);
    p->fd_out = p->fd_err = p->pidfd = p->fd_report = -1;
    p->n_argv = n;
    p->argv = gn_calloc(n + 1, sizeof *p->argv);
    p->sh_argv = gn_calloc(n + 2, sizeof *p->sh_argv);
    p->workdir = gn_strdup(workdir);
#ifdef GN_SPAWN_SHARED_VM
    p->stack = block_take();
    if (!p->stack) {
        st = gn_err_nomem(err);
        goto fail;
    }
#endif
    if (!p->argv || !p->sh_argv || !p->workdir) {
        st = gn_err_nomem(err);
        goto fail;
    }
    if (ring_init(&p->out, GN_EXEC_STDOUT_SEARCH_BYTES) != 0 ||
        ring_init(&p->err, GN_EXEC_TAIL_BYTES) != 0) {
        st = gn_err_nomem(err);
        goto fail;
    }
    for (i = 0; i < n; i++) {
        st = gn__runner_substitute(rs->command[i], spec, task->x, &p->argv[i], err);
        if (st != GN_OK)
            goto fail;
    }
    p->shown = gn_strdup(p->argv[0]);
    if (!p->shown) {
        st = gn_err_nomem(err);
        goto fail;
    }
    st = resolve_program(p->argv[0], spec->base_dir, &p->path, err);
    if (st != GN_OK)
        goto fail;
    /* The usual set-up mistakes (no such program, not executable) are
     * reported here, at submit; what only exec itself can tell comes with
     * the attempt's result (the child does not make us wait for its exec). */
    if (access(p->path, X_OK) != 0) {
        cf.stage = 0;
        cf.error = errno;
        start_failure_text(p, &cf, why, sizeof why);
        st = gn_err_set(err, GN_ERR_RUNNER, "%s", why);
        goto fail;
    }
    p->sh_argv[0] = "/bin/sh";
    p->sh_argv[1] = p->path;
    for (i = 1; i < n; i++)
        p->sh_argv[i + 1] = p->argv[i];

    if (task->params_json) {
        params = gn_strdup(task->params_json);
        if (!params) {
            st = gn_err_nomem(err);
            goto fail;
        }
    } else {
        st = gn__runner_params_json(spec, task->x, &params, err);
        if (st != GN_OK)
            goto fail;
    }
    p->output_path = gn_asprintf("%s/%s", workdir, GN_EXEC_OUTCOME_FILE);
    p->mine[0] = gn_asprintf("GENESIS_CAMPAIGN=%s", cfg->campaign ? cfg->campaign : spec->name);
    p->mine[1] = gn_asprintf("GENESIS_EXPERIMENT=%lld", (long long)task->number);
    p->mine[2] = gn_asprintf("GENESIS_ATTEMPT=%d", task->attempt);
    p->mine[3] = gn_asprintf("GENESIS_PARAMS=%s", params);
    p->mine[4] = gn_asprintf("GENESIS_OUTPUT=%s", p->output_path ? p->output_path : "");
    p->mine[5] = gn_asprintf("GENESIS_WORKDIR=%s", workdir);
    for (i = 0; i < N_GENESIS_VARS; i++)
        if (!p->mine[i])
            break;
    if (i < N_GENESIS_VARS || !p->output_path || !(p->envp = build_env(p->mine))) {
        st = gn_err_nomem(err);
        goto fail;
    }

    /* non-blocking at both ends: the child makes its write ends blocking;
     * it opens /dev/null (its stdin) itself; a child sharing our memory
     * reports a failed start in the launch, a forked one through a pipe */
    if (pipe2(out_p, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(err_p, O_CLOEXEC | O_NONBLOCK) != 0
#ifndef GN_SPAWN_SHARED_VM
        || pipe2(rep_p, O_CLOEXEC | O_NONBLOCK) != 0
#endif
    ) {
        st = gn_err_set(err, GN_ERR_IO, "cannot start runner '%s': pipes: %s", p->shown,
                        strerror(errno));
        goto fail;
    }
    p->l.path = p->path;
    p->l.argv = p->argv;
    p->l.sh_argv = p->sh_argv;
    p->l.envp = p->envp;
    p->l.workdir = p->workdir;
    p->l.out_w = out_p[1];
    p->l.err_w = err_p[1];
    p->l.report_w = rep_p[1];
    p->l.make_workdir = make_workdir;
    p->l.parent = getpid();

    pid = spawn_child(&p->l, p->stack);
    if (pid < 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot start runner '%s': fork: %s", p->shown,
                        strerror(errno));
        goto fail;
    }

    /* Also from here: the group exists before we could signal it (EACCES
     * once the child has exec'd: it did it itself then). */
    setpgid(pid, pid);
    p->pid = pid;
    p->phase = PROC_RUNNING; /* from now on, gn__proc_free kills and reaps it */
    p->started = gn_time_wall();
    p->t_start = gn_time_mono();
    /* the child has its own copies of these (no CLONE_FILES) */
    close_fd(&out_p[1]);
    close_fd(&err_p[1]);
    close_fd(&rep_p[1]);
#ifdef SYS_pidfd_open
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec; -1 (ENOSYS) before 5.3 */
#endif
    p->fd_out = out_p[0];
    p->fd_err = err_p[0];
    p->fd_report = rep_p[0];
    out_p[0] = err_p[0] = rep_p[0] = -1;
    p->timeout = rs->timeout > 0 ? rs->timeout : 0;
    p->grace = rs->kill_grace > 0 ? rs->kill_grace : 0;
    started->pid = pid;
    started->pid_start = gn__proc_start_time(pid);
    started->started = p->started;
    *out = p;
    p = NULL;

fail:
    close_fd(&out_p[0]);
    close_fd(&out_p[1]);
    close_fd(&err_p[0]);
    close_fd(&err_p[1]);
    close_fd(&rep_p[0]);
    close_fd(&rep_p[1]);
    gn_free(params);
    gn__proc_free(p);
    return st;
}

int gn__proc_pollfds(const gn_proc *p, struct pollfd *fds)
{
    int n = 0;
    if (p->fd_out >= 0) {
        fds[n].fd = p->fd_out;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    if (p->fd_err >= 0) {
        fds[n].fd = p->fd_err;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    if (p->pidfd >= 0 && p->phase == PROC_RUNNING) {
        fds[n].fd = p->pidfd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

/* Reads up to PUMP_BUDGET bytes from *fd into r; closes *fd at end of file
 * or on an error. revents is what poll said of it: after POLLHUP (every
 * writer gone) a read shorter than asked emptied the pipe for good, so it
 * is closed without the read that would only say end of file. */
static void pump_fd(int *fd, ring *r, short revents)
{
    char buf[64 * 1024];
    size_t budget = PUMP_BUDGET;
    ssize_t k;
    if ((revents & POLLHUP) && !(revents & POLLIN)) {
        close_fd(fd);
        return;
    }
    while (budget > 0) {
        k = read(*fd, buf, sizeof buf);
        if (k > 0) {
            ring_put(r, buf, (size_t)k);
            budget -= (size_t)k < budget ? (size_t)k : budget;
            if ((revents & POLLHUP) && (size_t)k < sizeof buf) {
                close_fd(fd);
                return;
            }
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            close_fd(fd);
            return;
        }
    }
}

void gn__proc_pump(gn_proc *p, const struct pollfd *fds, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == p->fd_out)
            pump_fd(&p->fd_out, &p->out, fds[i].revents);
        else if (fds[i].fd == p->fd_err)
            pump_fd(&p->fd_err, &p->err, fds[i].revents);
        else if (fds[i].fd == p->pidfd)
            p->exit_seen = 1;
    }
}

int gn__proc_step(gn_proc *p, double now)
{
    siginfo_t si;
    int rc;

    if (p->phase == PROC_RUNNING) {
        memset(&si, 0, sizeof si);
        rc = 0;
        /* WNOWAIT: the zombie keeps the pid (and so the group id) ours
         * while we kill what is left of the group. With a pidfd, only once
         * poll said it is readable (the runner exited): one waitid per
         * runner instead of one per round. */
        if (p->pidfd < 0 || p->exit_seen) {
            do {
                rc = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
            } while (rc < 0 && errno == EINTR);
        }
        if (rc == 0 && si.si_pid == p->pid) {
            signal_group(p->pid, SIGKILL); /* grandchildren holding our pipes */
            while (waitpid(p->pid, &p->wstatus, 0) < 0 && errno == EINTR)
                ;
            p->start_failed = read_child_report(p, p->fd_report, &p->failure);
            close_fd(&p->fd_report);
            launch_free(p); /* the child is gone: nothing reads it any more */
            p->finished = gn_time_wall();
            p->phase = PROC_DRAINING;
            p->drain_until = now + GN_EXEC_DRAIN_SECONDS;
            close_fd(&p->pidfd);
        } else if (rc < 0 && errno == ECHILD) {
            /* reaped behind our back (a SIGCHLD handler with waitpid(-1)) */
            signal_group(p->pid, SIGKILL);
            p->start_failed = read_child_report(p, p->fd_report, &p->failure);
            close_fd(&p->fd_report);
            p->lost = 1;
            p->finished = gn_time_wall();
            p->phase = PROC_DRAINING;
            p->drain_until = now + GN_EXEC_DRAIN_SECONDS;
        } else {
            if (p->timeout > 0 && !p->term_sent && now >= p->t_start + p->timeout) {
                p->timed_out = !p->cancelled;
                p->term_sent = 1;
                signal_group(p->pid, SIGTERM);
                p->kill_at = now + p->grace;
            }
            if (p->kill_at > 0 && !p->kill_sent && now >= p->kill_at) {
                p->kill_sent = 1;
                signal_group(p->pid, SIGKILL);
            }
        }
    }
    if (p->phase == PROC_DRAINING &&
        ((p->fd_out < 0 && p->fd_err < 0) || now >= p->drain_until)) {
        close_fd(&p->fd_out);
        close_fd(&p->fd_err);
        p->phase = PROC_DONE;
    }
    return p->phase == PROC_DONE;
}

void gn__proc_cancel(gn_proc *p, double grace, double now)
{
    double at;
    if (p->phase != PROC_RUNNING)
        return;
    if (!p->timed_out)
        p->cancelled = 1;
    p->term_sent = 1;
    signal_group(p->pid, SIGTERM);
    at = now + (grace > 0 ? grace : 0);
    if (p->kill_at == 0 || at < p->kill_at)
        p->kill_at = at;
}

/* Copies the last `k` bytes of r into a new string; NUL bytes become '?'
 * so the text is not cut short. */
static char *ring_text(const ring *r, size_t k)
{
    char *s = gn_malloc(k + 1);
    size_t n, i;
    if (!s)
        return NULL;
    n = ring_last(r, k, s);
    for (i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = '?';
    s[n] = '\0';
    return s;
}

/* Reads the outcome file. Returns 1 and fills *outcome or `why` (failure)
 * when the file exists, 0 when it does not; -1 out of memory. */
static int outcome_from_file(const gn_proc *p, char **outcome, char *why, size_t why_size)
{
    struct stat sb;
    char *text = NULL, *what = NULL;
    size_t len = 0;
    ssize_t k;
    int fd, rc = 1;

    fd = open(p->output_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, why_size, "cannot read outcome file %s: %s", p->output_path, strerror(errno));
        return 1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, why_size, "outcome file %s is not a regular file", p->output_path);
        goto out;
    }
    if ((unsigned long long)sb.st_size > GN_EXEC_OUTCOME_MAX_BYTES) {
        snprintf(why, why_size, "outcome file %s is larger than %u bytes", p->output_path,
                 GN_EXEC_OUTCOME_MAX_BYTES);
        goto out;
    }
    text = gn_malloc(GN_EXEC_OUTCOME_MAX_BYTES + 1);
    what = gn_asprintf("outcome file %s", p->output_path);
    if (!text || !what) {
        rc = -1;
        goto out;
    }
    for (;;) {
        k = read(fd, text + len, GN_EXEC_OUTCOME_MAX_BYTES + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(why, why_size, "cannot read outcome file %s: %s", p->output_path,
                     strerror(errno));
            goto out;
        }
        if (k == 0)
            break;
        len += (size_t)k;
        if (len > GN_EXEC_OUTCOME_MAX_BYTES) {
            snprintf(why, why_size, "outcome file %s is larger than %u bytes", p->output_path,
                     GN_EXEC_OUTCOME_MAX_BYTES);
            goto out;
        }
    }
    if (gn__runner_outcome_parse(text, len, what, outcome, why, why_size) == GN_ERR_NOMEM)
        rc = -1;
out:
    close(fd);
    gn_free(what);
    gn_free(text);
    return rc;
}

/* Searches the kept end of stdout, last line first, for a line that parses
 * as a JSON object (the rule of gn__runner_outcome_from_stdout). Returns 1
 * and fills *outcome or `why` when one is found, 0 when none, -1 out of
 * memory. */
static int outcome_from_stdout(const gn_proc *p, char **outcome, char *why, size_t why_size)
{
    char *buf = gn_malloc(GN_EXEC_STDOUT_SEARCH_BYTES + 1);
    size_t len;
    int rc;

    if (!buf)
        return -1;
    len = ring_last(&p->out, GN_EXEC_STDOUT_SEARCH_BYTES, buf);
    /* when more was written than kept, the first kept line is cut */
    rc = gn__runner_outcome_from_stdout(buf, len, p->out.total > len, outcome, why, why_size);
    gn_free(buf);
    return rc;
}

gn_status gn__proc_result(gn_proc *p, int64_t experiment_id, int attempt, gn_exec_result *r,
                          gn_err *err)
{
    char why[1024];
    char sig[32];
    char *outcome = NULL;
    int found;

    memset(r, 0, sizeof *r);
    why[0] = '\0';
    r->experiment_id = experiment_id;
    r->attempt = attempt;
    r->started = p->started;
    r->finished = p->finished;
    r->exit_code = -1;
    if (!p->lost && WIFEXITED(p->wstatus))
        r->exit_code = WEXITSTATUS(p->wstatus);
    if (!p->lost && WIFSIGNALED(p->wstatus))
        r->signal = WTERMSIG(p->wstatus);

    if (p->start_failed) {
        /* nothing of the runner ran: a set-up problem, not the experiment's */
        r->status = GN_ATT_FAILED;
        r->not_started = 1;
        r->exit_code = -1;
        start_failure_text(p, &p->failure, why, sizeof why);
    } else if (p->cancelled) {
        r->status = GN_ATT_CANCELLED;
        snprintf(why, sizeof why, "cancelled");
    } else if (p->timed_out) {
        r->status = GN_ATT_TIMEOUT;
        snprintf(why, sizeof why, "timed out after %g s", p->timeout);
    } else if (p->lost) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "exit status unknown: the runner was reaped by someone else");
    } else if (r->signal) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "killed by signal %d (%s)", r->signal,
                 gn__runner_signal_name(r->signal, sig, sizeof sig));
    } else if (r->exit_code != 0) {
        r->status = GN_ATT_FAILED;
        snprintf(why, sizeof why, "exit status %d", r->exit_code);
    } else {
        found = outcome_from_file(p, &outcome, why, sizeof why);
        if (found == 0)
            found = outcome_from_stdout(p, &outcome, why, sizeof why);
        if (found < 0)
            goto nomem;
        if (found == 0)
            snprintf(why, sizeof why,
                     "no outcome: the runner did not write $GENESIS_OUTPUT (%s) and no line in the "
                     "last %u bytes of its standard output is a JSON object",
                     p->output_path, GN_EXEC_STDOUT_SEARCH_BYTES);
        r->status = outcome ? GN_ATT_SUCCEEDED : GN_ATT_FAILED;
    }
    r->stdout_tail = ring_text(&p->out, GN_EXEC_TAIL_BYTES);
    r->stderr_tail = ring_text(&p->err, GN_EXEC_TAIL_BYTES);
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

/* ---- /proc --------------------------------------------------------------- */

/* Reads state, process group and start time of `pid` from /proc. Returns 0
 * on success, -1 when there is no such process (or no /proc). */
static int read_stat(long long pid, char *state, long long *pgrp, long long *start)
{
    char path[64], buf[1024];
    char *s, *tok, *save = NULL;
    ssize_t k;
    size_t n;
    int fd, field;

    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    do { /* one read: the kernel writes the whole line at once */
        k = read(fd, buf, sizeof buf - 1);
    } while (k < 0 && errno == EINTR);
    close(fd);
    if (k <= 0)
        return -1;
    n = (size_t)k;
    buf[n] = '\0';
    s = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!s)
        return -1;
    *state = '?';
    *pgrp = *start = 0;
    for (field = 3, tok = strtok_r(s + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 3)
            *state = tok[0];
        else if (field == 5)
            *pgrp = strtoll(tok, NULL, 10);
        else if (field == 22) {
            *start = strtoll(tok, NULL, 10);
            return 0;
        }
    }
    return -1;
}

int64_t gn__proc_start_time(int64_t pid)
{
    char state;
    long long pgrp, start;
    if (pid <= 0 || read_stat((long long)pid, &state, &pgrp, &start) != 0)
        return 0;
    return (int64_t)start;
}

/* The leader `pgid` is gone; kills what is left of its group: live members
 * that started no earlier than the leader did. A group id cannot be reused
 * while the group has members, so these are the leader's descendants. */
static int kill_group_remnants(long long pgid, long long leader_start)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char state;
    long long pgrp, start;
    int found = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long long pid = strtoll(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        if (read_stat(pid, &state, &pgrp, &start) == 0 && pgrp == pgid && state != 'Z' &&
            start >= leader_start) {
            found = 1;
            break;
        }
    }
    closedir(d);
    return found && kill(-(pid_t)pgid, SIGKILL) == 0;
}

int gn_exec_kill_stale(int64_t pid, int64_t pid_start)
{
    int64_t now_start;
    if (pid <= 1 || pid > INT_MAX || pid_start <= 0)
        return 0; /* never signal what we cannot identify */
    now_start = gn__proc_start_time(pid);
    if (now_start != 0) {
        if (now_start != pid_start)
            return 0; /* the pid was reused by another process */
        if (kill(-(pid_t)pid, SIGKILL) == 0)
            return 1;
        return kill((pid_t)pid, SIGKILL) == 0;
    }
    return kill_group_remnants((long long)pid, (long long)pid_start);
}
