/*
 * exec/runner.h - the runner contract (docs/runner.md), shared by the
 * process runner and the library runner, and the process runner itself.
 *
 * Internal to src/exec/. Contract helpers (gn__runner_*) turn a task into
 * what a runner sees: placeholder-substituted arguments, the parameters as
 * JSON, a fresh working directory; and turn what a runner reports into an
 * outcome text or a failure reason. The process runner (gn__proc_*) starts
 * one attempt as a process group and is driven by the local executor's
 * poll loop: it never blocks except in gn__proc_free.
 */
#ifndef GN_EXEC_RUNNER_H
#define GN_EXEC_RUNNER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "exec/executor.h"
#include "spec/spec.h"

/* The outcome line must lie within this much of the end of stdout. */
#define GN_EXEC_STDOUT_SEARCH_BYTES (64u * 1024u)
/* $GENESIS_OUTPUT larger than this is a failure. */
#define GN_EXEC_OUTCOME_MAX_BYTES (1u << 20)
/* After the runner exits (and its group is killed), its pipes are read
 * until end of file or for at most this long. */
#define GN_EXEC_DRAIN_SECONDS 1.0
/* Name of the outcome file inside the working directory. */
#define GN_EXEC_OUTCOME_FILE "outcome.json"

/* ---- contract helpers ---------------------------------------------------- */

/* Writes the text of parameter value v as a runner sees it: a real as the
 * shortest of "%.15g", "%.16g", "%.17g" that reads back as v; an int as a
 * whole number; a choice as its value's text (v is the index). GN_ERR_INVALID
 * for a non-finite value or a choice index out of range; GN_ERR_LIMIT when
 * buf is too small. */
gn_status gn__runner_format_value(const gn_param *p, double v, char *buf, size_t size, gn_err *err);

/* Replaces every {name} in `word` with the value of parameter `name` of x
 * ("{{" and "}}" are literal braces). *out is a new string (gn_free).
 * GN_ERR_SPEC for an unknown name, an unclosed '{' or a single '}'. */
gn_status gn__runner_substitute(const char *word, const gn_spec *spec, const double *x, char **out,
                                gn_err *err);

/* The parameters of x as a JSON object text {"name": value} (values as
 * gn__runner_format_value writes them, choices as strings). New string
 * (gn_free). */
gn_status gn__runner_params_json(const gn_spec *spec, const double *x, char **out, gn_err *err);

/* Creates root/<number>/<attempt>/ (parents as needed) and makes sure it
 * is empty: the contents of a directory left by an earlier, crashed run are
 * removed. Writes its absolute path to `path` (size bytes). GN_ERR_IO with
 * the path and the reason on failure. */
gn_status gn__runner_workdir(const char *root, int64_t number, int attempt, char *path, size_t size,
                             gn_err *err);

/* The two halves of gn__runner_workdir, for the executors' hot path.
 * gn__runner_workdir_path writes root/<number>/<attempt> to `path` without
 * touching the file system (root must be absolute and resolved: the
 * executor resolves it once); GN_ERR_LIMIT when it does not fit.
 * gn__runner_workdir_make creates that directory, its parent as needed
 * (the whole chain only when root itself is missing), and empties it when
 * it exists already; GN_ERR_IO with the path and the reason on failure.
 * Thread-safe (library runners create their directory on a worker thread,
 * when they ask for it: gn_runner_workdir). */
gn_status gn__runner_workdir_path(const char *root, int64_t number, int attempt, char *path,
                                  size_t size, gn_err *err);
gn_status gn__runner_workdir_make(const char *path, gn_err *err);

/* `prog` as an executable file: itself when it has a '/', else the first
 * executable regular file of that name in $PATH (default
 * /usr/local/bin:/usr/bin:/bin). A new string (gn_free), or NULL. */
char *gn__exec_which(const char *prog);

/* gn__runner_workdir_make for a process runner, whose child can make the
 * last directory itself (off this thread's path): creates the parent of
 * `path`; when that folder is new, `path` cannot exist, and *leave_last is
 * set to 1 with nothing more done (pass it to gn__proc_start as
 * make_workdir). Otherwise does what gn__runner_workdir_make does and sets
 * *leave_last to 0. */
gn_status gn__runner_workdir_prepare(const char *path, int *leave_last, gn_err *err);

/* Checks that `text` (len bytes) is a JSON object whose values are all
 * finite numbers, with non-empty keys. On success *outcome is the object
 * as compact JSON text (gn_free). On failure returns GN_ERR_OUTCOME and
 * writes the reason to `why`; `what` names the source in the reason
 * ("outcome file /x/outcome.json"). A repeated key keeps its last value. */
gn_status gn__runner_outcome_parse(const char *text, size_t len, const char *what, char **outcome,
                                   char *why, size_t why_size);

/* Searches `len` bytes of the end of a runner's standard output, last line
 * first, for a line that parses as a JSON object (blanks around it
 * ignored) and checks it with gn__runner_outcome_parse. `cut`: the text is
 * the tail of a longer output, so its first line is incomplete and skipped.
 * Returns 1 with *outcome or `why` filled when such a line exists, 0 when
 * none does, -1 out of memory. (The same rule as the process runner; used
 * where the output was captured to a file, exec/slurm.c.) */
int gn__runner_outcome_from_stdout(const char *buf, size_t len, int cut, char **outcome, char *why,
                                   size_t why_size);

/* Outcome JSON text from n names and values (the library runner). Same
 * rules and results as gn__runner_outcome_parse. */
gn_status gn__runner_outcome_from_values(char *const *names, const double *values, size_t n,
                                         char **outcome, char *why, size_t why_size);

/* "SIGSEGV", "SIGKILL", ...; "signal N" style names are written to buf for
 * signals without a name. Returns buf. */
const char *gn__runner_signal_name(int sig, char *buf, size_t size);

/* ---- process runner ------------------------------------------------------ */

typedef struct gn_proc gn_proc;

/* Starts the runner command of cfg->spec for `task` in the fresh working
 * directory `workdir` (absolute; already created, or with make_workdir
 * created by the runner's process before it execs, which fails the
 * attempt with not_started if it cannot): placeholders
 * substituted, GENESIS_* in the environment, stdin from /dev/null, its own
 * process group, output through non-blocking pipes. Fills `started`
 * (pid, pid_start, started; workdir and host are the caller's).
 * GN_ERR_RUNNER with "cannot start runner '<cmd>': <reason>" when the
 * program cannot be found or executed (nothing runs then). */
gn_status gn__proc_start(const gn_exec_config *cfg, const gn_task *task, const char *workdir,
                         int make_workdir, gn_task_started *started, gn_proc **out, gn_err *err);

/* Adds the process's open pipe ends and, on Linux while it runs, a pidfd
 * that becomes readable when it exits, to fds (at most GN_PROC_POLLFDS)
 * with POLLIN, and returns how many. Without the pidfd a runner that has
 * closed its output but not yet exited would only be noticed at the end of
 * the caller's poll slice. */
#define GN_PROC_POLLFDS 3
int gn__proc_pollfds(const gn_proc *p, struct pollfd *fds);

/* Reads what is available on the `n` pollfd entries `fds` that
 * gn__proc_pollfds added. Never blocks. */
void gn__proc_pump(gn_proc *p, const struct pollfd *fds, int n);

/* Advances the process's clock-driven state at monotonic time `now`: reaps
 * the runner, sends SIGTERM at the timeout and SIGKILL after the grace,
 * kills the group when the runner exited. Returns 1 when the attempt is
 * over (runner reaped, pipes drained or drain time up), else 0. */
int gn__proc_step(gn_proc *p, double now);

/* Stops the attempt: SIGTERM to its group now, SIGKILL `grace` seconds
 * later (sent by gn__proc_step). Its result will be CANCELLED unless it
 * had ended already. */
void gn__proc_cancel(gn_proc *p, double grace, double now);

/* Fills r (fields owned by r) for an attempt that is over (gn__proc_step
 * returned 1): status, exit code, signal, times, tails, reason, outcome.
 * GN_ERR_NOMEM leaves r empty and p unchanged, so it can be retried. */
gn_status gn__proc_result(gn_proc *p, int64_t experiment_id, int attempt, gn_exec_result *r,
                          gn_err *err);

/* Frees p. A runner still running is killed (SIGKILL to its group) and
 * reaped, so no zombie is left. NULL is a no-op. */
void gn__proc_free(gn_proc *p);

/* Start time of process `pid` (field 22 of /proc/<pid>/stat, clock ticks
 * since boot), or 0 when unknown. */
int64_t gn__proc_start_time(int64_t pid);

#endif
