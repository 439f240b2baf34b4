/*
 * bench_dispatch.c - dispatch overhead and throughput of gn_campaign_run
 * with a no-op runner and the sobol planner (bench/README.md, section 3).
 *
 *   bench_dispatch --case NAME --runner library|process
 *                  --executor local|mpi|slurm-jobs|slurm-array|slurm-pilot|slurm-pilot-steps
 *                  --n N [--warmup W] [--parallel P] [--slots-per-rank K] [--poll S]
 *                  --library PATH --program PATH --dir DIR --out FILE
 *   bench_dispatch --spawn-floor --program PATH --n N --parallel P --case NAME --out FILE
 *
 * A campaign of W experiments warms up (page cache, MPI connections, thread
 * pools), then a campaign of N experiments is timed: the wall time of
 * gn_campaign_run, as `genesis run` calls it (with progress and event
 * callbacks that do nothing, as `genesis run --quiet`). Both campaigns live
 * in a fresh database DIR/<case>.db with the store's usual durability
 * (WAL, synchronous=FULL). Under mpirun, ranks 1 to N-1 are the workers.
 * One JSON line is appended to FILE: case, n, wall_s, rate (experiments
 * per second), us_per_exp (wall time / N), cpu_us_per_exp (CPU time of
 * this process, all threads, / N), and the settings.
 *
 * --executor slurm-<mode> writes `executor: {kind: slurm, mode: <mode>,
 * poll: S}` (S from --poll, default 0.2 s) with budget.parallel P: jobs and
 * array submit from here (SLURM_CONF must name the cluster); pilot runs its
 * experiments in job steps, so this process must itself run inside an
 * allocation (bench/dispatch submits it with sbatch), and the line then also
 * records the allocation's job id and task count. slurm-pilot is `launch:
 * workers` (P long-lived `genesis pilot-worker` steps; $GENESIS_BIN must
 * name the genesis program, since this one is not), slurm-pilot-steps is
 * `launch: steps` (one srun step per experiment).
 *
 * --spawn-floor measures what the machine itself allows: N starts of the
 * process runner with posix_spawn and waitpid, from P threads, nothing else
 * (no pipes, no store): the ceiling of any process runner here.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <genesis/campaign.h>
#include <genesis/mpi.h>

extern char **environ;

typedef struct opts {
    const char *name, *runner, *executor, *library, *program, *dir, *out;
    long n, warmup, parallel, slots_per_rank;
    double poll;
    int spawn_floor;
} opts;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_dispatch --case NAME --runner library|process\n"
            "         --executor local|mpi|slurm-jobs|slurm-array|slurm-pilot|slurm-pilot-steps --n N\n"
            "         [--warmup W] [--parallel P] [--slots-per-rank K] [--poll S] --library PATH\n"
            "         --program PATH --dir DIR --out FILE\n"
            "       bench_dispatch --spawn-floor --program PATH --n N --parallel P --case NAME --out FILE\n");
}

static int parse(int argc, char **argv, opts *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->warmup = 1000;
    o->parallel = 2;
    o->slots_per_rank = 1;
    o->poll = 0.2;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--spawn-floor") == 0) {
            o->spawn_floor = 1;
            continue;
        }
        if (!v) {
            usage();
            return -1;
        }
        if (strcmp(a, "--case") == 0) o->name = v;
        else if (strcmp(a, "--runner") == 0) o->runner = v;
        else if (strcmp(a, "--executor") == 0) o->executor = v;
        else if (strcmp(a, "--library") == 0) o->library = v;
        else if (strcmp(a, "--program") == 0) o->program = v;
        else if (strcmp(a, "--dir") == 0) o->dir = v;
        else if (strcmp(a, "--out") == 0) o->out = v;
        else if (strcmp(a, "--n") == 0) o->n = atol(v);
        else if (strcmp(a, "--warmup") == 0) o->warmup = atol(v);
        else if (strcmp(a, "--parallel") == 0) o->parallel = atol(v);
        else if (strcmp(a, "--slots-per-rank") == 0) o->slots_per_rank = atol(v);
        else if (strcmp(a, "--poll") == 0) o->poll = atof(v);
        else {
            usage();
            return -1;
        }
        i++;
    }
    if (!o->name || !o->out || !o->program || o->n < 1 || o->parallel < 1 ||
        (!o->spawn_floor && (!o->runner || !o->executor || !o->dir || !o->library))) {
        usage();
        return -1;
    }
    return 0;
}

static int append_line(const char *path, const char *line)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "bench_dispatch: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs(line, f);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- the machine's floor for process runners --------------------------- */

typedef struct floor_lane {
    const opts *o;
    long count;
    int failed;
} floor_lane;

static void *floor_main(void *arg)
{
    floor_lane *lane = arg;
    posix_spawn_file_actions_t fa;
    char *argv[2];
    long i;

    argv[0] = (char *)lane->o->program;
    argv[1] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    for (i = 0; i < lane->count; i++) {
        pid_t pid;
        int status;
        if (posix_spawn(&pid, lane->o->program, &fa, NULL, argv, environ) != 0) {
            lane->failed = 1;
            break;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            lane->failed = 1;
    }
    posix_spawn_file_actions_destroy(&fa);
    return NULL;
}

static int spawn_floor(const opts *o)
{
    pthread_t th[64];
    floor_lane lanes[64];
    long p = o->parallel > 64 ? 64 : o->parallel, i;
    double t0, wall, cpu0;
    char line[1024];
    int failed = 0;

    cpu0 = cpu_seconds();
    t0 = mono();
    for (i = 0; i < p; i++) {
        lanes[i].o = o;
        lanes[i].count = o->n / p + (i < o->n % p ? 1 : 0);
        lanes[i].failed = 0;
        pthread_create(&th[i], NULL, floor_main, &lanes[i]);
    }
    for (i = 0; i < p; i++) {
        pthread_join(th[i], NULL);
        failed |= lanes[i].failed;
    }
    wall = mono() - t0;
    if (failed) {
        fprintf(stderr, "bench_dispatch: %s did not run cleanly\n", o->program);
        return 1;
    }
    snprintf(line, sizeof line,
             "{\"bench\": \"dispatch\", \"case\": \"%s\", \"system\": \"posix_spawn\", \"runner\": "
             "\"process\", \"executor\": \"none\", \"n\": %ld, \"parallel\": %ld, \"wall_s\": %.6f, "
             "\"rate\": %.3f, \"us_per_exp\": %.3f, \"cpu_us_per_exp\": %.3f}\n",
             o->name, o->n, p, wall, (double)o->n / wall, 1e6 * wall / (double)o->n,
             1e6 * (cpu_seconds() - cpu0) / (double)o->n);
    fputs(line, stdout);
    return append_line(o->out, line) == 0 ? 0 : 1;
}

/* ---- campaigns ----------------------------------------------------------- */

static long n_progress, n_events;

static void on_progress(const gn_progress *p, void *ctx)
{
    (void)p;
    (void)ctx;
    n_progress++;
}

static void on_event(const char *line, void *ctx)
{
    (void)line;
    (void)ctx;
    n_events++;
}

/* The spec of one campaign: two real parameters, one objective, sobol. */
static char *spec_text(const opts *o, const char *name, long budget)
{
    char runner[2048], executor[256], parallel[64];
    size_t size = 8192;
    char *text = malloc(size);

    if (!text)
        return NULL;
    if (strcmp(o->runner, "library") == 0)
        snprintf(runner, sizeof runner, "runner: {library: \"%s\", function: dispatch_noop}",
                 o->library);
    else
        snprintf(runner, sizeof runner, "runner: {command: [\"%s\"]}", o->program);
    if (strcmp(o->executor, "mpi") == 0) {
        snprintf(executor, sizeof executor, "executor: {kind: mpi, slots_per_rank: %ld}",
                 o->slots_per_rank);
        parallel[0] = '\0';
    } else if (strcmp(o->executor, "slurm-pilot-steps") == 0) {
        /* pilot mode, one srun step per experiment */
        snprintf(executor, sizeof executor,
                 "executor: {kind: slurm, mode: pilot, launch: steps, poll: %g}", o->poll);
        snprintf(parallel, sizeof parallel, ", parallel: %ld", o->parallel);
    } else if (strcmp(o->executor, "slurm-pilot") == 0) {
        /* pilot mode, long-lived worker steps (the genesis program named by
         * $GENESIS_BIN: this program is not genesis) */
        snprintf(executor, sizeof executor,
                 "executor: {kind: slurm, mode: pilot, launch: workers, poll: %g}", o->poll);
        snprintf(parallel, sizeof parallel, ", parallel: %ld", o->parallel);
    } else if (strncmp(o->executor, "slurm-", 6) == 0) {
        /* slurm-jobs, slurm-array: mode is what follows */
        snprintf(executor, sizeof executor, "executor: {kind: slurm, mode: %s, poll: %g}",
                 o->executor + 6, o->poll);
        snprintf(parallel, sizeof parallel, ", parallel: %ld", o->parallel);
    } else {
        snprintf(executor, sizeof executor, "executor: {kind: local}");
        snprintf(parallel, sizeof parallel, ", parallel: %ld", o->parallel);
    }
    snprintf(text, size,
             "name: %s\n"
             "parameters:\n"
             "  - {name: x1, type: real, low: 0, high: 1}\n"
             "  - {name: x2, type: real, low: 0, high: 1}\n"
             "objectives:\n"
             "  - {name: y, goal: minimize}\n"
             "%s\n"
             "planner: {strategy: sobol, seed: 1}\n"
             "budget: {experiments: %ld%s}\n"
             "%s\n",
             name, runner, budget, parallel, executor);
    return text;
}

/* Creates and runs one campaign; *wall and *cpu get its gn_campaign_run. */
static int run_campaign(gn_db *db, const opts *o, const char *name, long budget, double *wall,
                        double *cpu)
{
    gn_campaign *c = NULL;
    gn_run_options ro;
    char *text = spec_text(o, name, budget);
    long finished = 0;
    double t0, c0;
    gn_status st;
    int rc = 1;

    if (!text)
        return 1;
    st = gn_campaign_create_from_text(db, text, strlen(text), &c);
    if (st != GN_OK) {
        fprintf(stderr, "bench_dispatch: %s\n", gn_db_errmsg(db));
        goto out;
    }
    memset(&ro, 0, sizeof ro);
    ro.on_progress = on_progress;
    ro.on_event = on_event;
    ro.grace = -1;
    c0 = cpu_seconds();
    t0 = mono();
    st = gn_campaign_run(c, &ro);
    *wall = mono() - t0;
    *cpu = cpu_seconds() - c0;
    if (st != GN_OK) {
        fprintf(stderr, "bench_dispatch: %s: %s\n", name, gn_campaign_errmsg(c));
        goto out;
    }
    if (gn_campaign_finished_count(c, &finished) != GN_OK || finished != budget) {
        fprintf(stderr, "bench_dispatch: %s: %ld of %ld experiments finished\n", name, finished,
                budget);
        goto out;
    }
    rc = 0;
out:
    gn_campaign_close(c);
    free(text);
    return rc;
}

static int run_cases(const opts *o)
{
    char db_path[4096], line[2048], slurm[256] = "";
    gn_db *db = NULL;
    double wall = 0, cpu = 0;
    int rc = 1;

    /* a fresh database: an old one would hold the campaigns done already */
    snprintf(db_path, sizeof db_path, "%s/%s.db-wal", o->dir, o->name);
    unlink(db_path);
    snprintf(db_path, sizeof db_path, "%s/%s.db-shm", o->dir, o->name);
    unlink(db_path);
    snprintf(db_path, sizeof db_path, "%s/%s.db", o->dir, o->name);
    if (unlink(db_path) != 0 && errno != ENOENT) {
        fprintf(stderr, "bench_dispatch: cannot remove %s: %s\n", db_path, strerror(errno));
        goto out;
    }
    if (gn_db_open(db_path, &db) != GN_OK) {
        fprintf(stderr, "bench_dispatch: cannot open %s: %s\n", db_path, db ? gn_db_errmsg(db) : "?");
        goto out;
    }
    if (o->warmup > 0 && run_campaign(db, o, "warmup", o->warmup, &wall, &cpu) != 0)
        goto out;
    n_progress = n_events = 0;
    if (run_campaign(db, o, "measured", o->n, &wall, &cpu) != 0)
        goto out;
    if (strncmp(o->executor, "slurm-", 6) == 0) {
        const char *jid = getenv("SLURM_JOB_ID"), *nt = getenv("SLURM_NTASKS");
        snprintf(slurm, sizeof slurm, ", \"poll\": %g, \"slurm_job\": \"%s\", \"slurm_ntasks\": %ld",
                 o->poll, jid ? jid : "", nt ? atol(nt) : 0L);
    }
    snprintf(line, sizeof line,
             "{\"bench\": \"dispatch\", \"case\": \"%s\", \"system\": \"genesis\", \"runner\": \"%s\", "
             "\"executor\": \"%s\", \"ranks\": %d, \"parallel\": %ld, \"slots_per_rank\": %ld, "
             "\"n\": %ld, \"warmup\": %ld, \"wall_s\": %.6f, \"rate\": %.3f, \"us_per_exp\": %.3f, "
             "\"cpu_us_per_exp\": %.3f, \"progress_calls\": %ld, \"events\": %ld%s}\n",
             o->name, o->runner, o->executor, gn_mpi_size(), o->parallel, o->slots_per_rank, o->n,
             o->warmup, wall, (double)o->n / wall, 1e6 * wall / (double)o->n,
             1e6 * cpu / (double)o->n, n_progress, n_events, slurm);
    fputs(line, stdout);
    rc = append_line(o->out, line) == 0 ? 0 : 1;
out:
    gn_db_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    opts o;
    char msg[1024];
    int rank, rc;

    if (parse(argc, argv, &o) != 0)
        return 2;
    if (o.spawn_floor)
        return spawn_floor(&o);
    rank = gn_mpi_rank();
    if (rank < 0) {
        fprintf(stderr, "bench_dispatch: MPI could not be initialised\n");
        return 1;
    }
    if (rank > 0) {
        rc = gn_mpi_worker_run(msg, sizeof msg) == GN_OK ? 0 : 1;
        if (rc)
            fprintf(stderr, "bench_dispatch: rank %d: %s\n", rank, msg);
        gn_mpi_finalize();
        return rc;
    }
    rc = run_cases(&o);
    gn_mpi_finalize();
    return rc;
}
