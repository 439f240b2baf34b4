/*
 * cli/cli.h - what the subcommands of `genesis` share.
 *
 * The CLI uses only the public API (include/genesis/); it links the shared
 * library, whose other symbols are hidden.
 */
#ifndef GN_CLI_H
#define GN_CLI_H

#include "genesis/genesis.h"

/* Exit codes (documented in `genesis --help` and docs/cli.md). */
enum {
    GN_EXIT_OK = 0,
    GN_EXIT_ERROR = 1,       /* a runtime error: store, runner, I/O */
    GN_EXIT_USAGE = 2,       /* bad command line */
    GN_EXIT_SPEC = 3,        /* invalid campaign spec */
    GN_EXIT_NOT_FOUND = 4,   /* no such campaign or experiment */
    GN_EXIT_CONFLICT = 5,    /* exists already / not allowed in this state */
    GN_EXIT_INTERRUPTED = 130
};

/* Maps a status to an exit code. */
int gn_cli_exit_code(gn_status st);

/* Prints "genesis <cmd>: <message>" to stderr. */
void gn_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the database (path NULL: $GENESIS_DB or ./genesis.db) and, if
 * name is non-NULL, the campaign. On failure prints the error and returns
 * the exit code; on success 0. */
int gn_cli_open(const char *cmd, const char *db_path, const char *name, gn_db **db, gn_campaign **c);

/* Runs a campaign with the progress line (terminal) or log lines, Ctrl-C
 * handling, and the final summary. Returns the exit code. */
int gn_cli_run_campaign(const char *cmd, gn_db *db, gn_campaign *c, double grace, int quiet);

/* --leave-jobs of `run` and `resume`: batch jobs (executor slurm) keep
 * running when genesis stops; set by gn_cli_run_options. */
extern int gn_cli_leave_jobs;

/* Parses the options of `run` and `resume` (--db, --grace, --quiet,
 * --leave-jobs, --help) and checks for one positional word, at argv[optind]. Returns -1
 * to go on, or the exit code to return (help printed: 0). */
int gn_cli_run_options(const char *cmd, const char *help, int argc, char **argv, const char **db_path,
                       double *grace, int *quiet);

/* The options of the subcommands that share gn_cli_parse; each command
 * says which it takes by their letters (GN_OPT_*). */
typedef struct gn_cli_opts {
    const char *db;       /* --db PATH */
    int json;             /* --json */
    const char *format;   /* --format F (NULL: not given) */
    const char *output;   /* -o, --output FILE (NULL: not given) */
    int admin, remove;    /* --admin, --remove */
    const char *description, *role, *clearance, *name, *expires, *user, *action;
    long limit;           /* --limit N, 1..100000 (default 50) */
    const char *anchor;   /* --anchor SEQ:HASH */
} gn_cli_opts;

enum {
    GN_OPT_DB = 'd', GN_OPT_JSON = 'j', GN_OPT_FORMAT = 'f', GN_OPT_OUTPUT = 'o',
    GN_OPT_ADMIN = 'a', GN_OPT_REMOVE = 'R', GN_OPT_DESC = 'D', GN_OPT_ROLE = 'r',
    GN_OPT_CLEAR = 'c', GN_OPT_NAME = 'n', GN_OPT_EXPIRES = 'e', GN_OPT_USER = 'u',
    GN_OPT_ACTION = 'A', GN_OPT_LIMIT = 'l', GN_OPT_ANCHOR = 'H'
};

/* Parses argv (argv[0] is the leaf command word) allowing -h/--help and
 * the options whose letters are in `allowed`, and expecting n_pos..max_pos
 * positional words, which go to pos[] (NULL past the last). An option that
 * exists but is not allowed here, an unknown one, or a wrong count of
 * words is a usage error: a message and the help on stderr. Returns -1 to
 * go on, else the exit code to return (help: 0). */
int gn_cli_parse(const char *cmd, const char *help, const char *allowed, int argc, char **argv,
                 int n_pos, int max_pos, gn_cli_opts *o, const char **pos);

/* Runs `rank0(argc, argv)` on MPI rank 0 (or without MPI) and the MPI
 * worker loop on every other rank, then finalises MPI. Returns the exit
 * code. */
int gn_cli_with_mpi_ranks(const char *cmd, int (*rank0)(int, char **), int argc, char **argv);

/* Prints the best experiment ("best: #12 yield=0.83 at temperature=...")
 * to stdout; nothing if there is none. */
void gn_cli_print_best(gn_campaign *c);

int gn_cmd_run(int argc, char **argv);
/* Hidden: the worker of Slurm pilot mode (cli/pilot_worker.c). */
int gn_cmd_pilot_worker(int argc, char **argv);
int gn_cmd_resume(int argc, char **argv);
int gn_cmd_status(int argc, char **argv);
int gn_cmd_list(int argc, char **argv);
int gn_cmd_show(int argc, char **argv);
int gn_cmd_export(int argc, char **argv);
int gn_cmd_suggest(int argc, char **argv);
int gn_cmd_observe(int argc, char **argv);
int gn_cmd_analyse(int argc, char **argv);
int gn_cmd_report(int argc, char **argv);
int gn_cmd_data(int argc, char **argv);
int gn_cmd_serve(int argc, char **argv); /* cli/serve.c */
/* cli/identity.c: users, projects, tokens, the audit log */
int gn_cmd_user(int argc, char **argv);
int gn_cmd_project(int argc, char **argv);
int gn_cmd_token(int argc, char **argv);
int gn_cmd_audit(int argc, char **argv);

#endif
