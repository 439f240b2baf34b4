/*
 * exec/wire.h - the messages an executor exchanges with its workers: byte
 * buffers, the task and result records, and a line framing for byte
 * streams.
 *
 * Two transports use them. MPI (exec/mpi.c) sends records as MPI messages
 * between rank 0 and the worker ranks. The Slurm pilot workers
 * (exec/pilot.c) send them over the stdin/stdout of `srun` job steps,
 * which srun forwards; slurmstepd forwards a task's output a line at a
 * time, so each message is one text line:
 *
 *     GNW1 <type letter> <payload as lower-case hex>\n
 *
 * Lines that do not start with "GNW1 " are not ours (something else wrote
 * to the step's stdout) and are skipped by the reader, never parsed.
 *
 * Records are a flat byte format in the machine's byte order (the workers
 * of a job share one architecture). Every length and count read is
 * checked against the message size before use: a malformed message is an
 * error with a message, never a read past the end.
 */
#ifndef GN_EXEC_WIRE_H
#define GN_EXEC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "exec/executor.h"

/* ---- byte buffers ---------------------------------------------------------- */

/* A growing buffer. Zero-initialise; gn__wb_free releases it. */
typedef struct gn__wbuf {
    char *p;
    size_t len, cap;
    int failed; /* an allocation failed (or it would pass INT32_MAX bytes): content incomplete */
} gn__wbuf;

void gn__wb_reserve(gn__wbuf *b, size_t more);
void gn__wb_put(gn__wbuf *b, const void *v, size_t n);
void gn__wb_i32(gn__wbuf *b, int32_t v);
void gn__wb_i64(gn__wbuf *b, int64_t v);
void gn__wb_f64(gn__wbuf *b, double v);
/* A string: u32 length (UINT32_MAX for NULL), the bytes and a NUL. */
void gn__wb_str(gn__wbuf *b, const char *s);
void gn__wb_free(gn__wbuf *b);

/* Reading a message of len bytes at p (borrowed). Every read past the end
 * marks it bad and yields zeros; check `bad` once after a record. */
typedef struct gn__rbuf {
    const char *p;
    size_t len, off;
    int bad;
} gn__rbuf;

int gn__rb_get(gn__rbuf *r, void *v, size_t n);
int32_t gn__rb_i32(gn__rbuf *r);
int64_t gn__rb_i64(gn__rbuf *r);
double gn__rb_f64(gn__rbuf *r);
/* A borrowed pointer into the message (NUL-terminated), or NULL for a NULL
 * string; a length past the end or a missing NUL marks r bad. */
const char *gn__rb_str(gn__rbuf *r);

/* ---- records ----------------------------------------------------------------- */

/* A task: experiment id, number, attempt, dim, the point, params JSON. */
void gn__wire_put_task(gn__wbuf *b, const gn_task *t, size_t dim);
/* Reads a task whose point must have `dim` values into *t; the point goes
 * to *x (grown with gn_reallocarray, *x_cap values; the caller frees it)
 * and params_json points into the message. GN_ERR_INTERNAL when malformed
 * (err says what), GN_ERR_NOMEM. */
gn_status gn__wire_get_task(gn__rbuf *r, size_t dim, gn_task *t, double **x, size_t *x_cap,
                            gn_err *err);

/* A finished attempt: experiment id, attempt, status, exit code, signal,
 * started, finished, reason, stdout and stderr tails, outcome, and flags
 * (bit 0: not_started, the runner could not be started on the worker, so
 * the run stops with its reason). The job fields are not sent. */
void gn__wire_put_result(gn__wbuf *b, const gn_exec_result *res);
/* Reads one into *res (heap strings, gn_exec_result_destroy). On
 * GN_ERR_INTERNAL (malformed: a bad status, a length past the end) or
 * GN_ERR_NOMEM nothing is allocated; r's cursor is wherever it stopped,
 * so a caller that retries saves it first. */
gn_status gn__wire_get_result(gn__rbuf *r, gn_exec_result *res, gn_err *err);

/* The session a pilot worker runs: what the controller sends first. */
typedef struct gn__wire_start {
    long slots;            /* attempts at once, 1 to GN_SPEC_MAX_PARALLEL */
    const char *campaign;  /* $GENESIS_CAMPAIGN */
    const char *work_root; /* attempts run in work_root/<number>/<attempt> */
    const char *source;    /* the spec's file name, for messages (may be NULL) */
    const char *base_dir;  /* its folder (may be NULL) */
    const char *text;      /* the spec text (text_len bytes, not NUL-terminated) */
    size_t text_len;
} gn__wire_start;

#define GN__WIRE_VERSION 2 /* 2: results carry flags (not_started) */

void gn__wire_put_start(gn__wbuf *b, const gn__wire_start *s);
/* Strings point into the message. GN_ERR_INTERNAL when malformed or of
 * another version (err says which). */
gn_status gn__wire_get_start(gn__rbuf *r, gn__wire_start *s, gn_err *err);

/* The worker's answer to a start: the status of its set-up (GN_OK, or the
 * error with its message), its node and its Slurm step ("1234.7"). */
typedef struct gn__wire_ready {
    int32_t status;
    const char *msg, *host, *step;
} gn__wire_ready;

void gn__wire_put_ready(gn__wbuf *b, const gn__wire_ready *w);
gn_status gn__wire_get_ready(gn__rbuf *r, gn__wire_ready *w, gn_err *err);

/* A task that could not be started: experiment id, attempt, status, message. */
void gn__wire_put_start_error(gn__wbuf *b, int64_t experiment_id, int attempt, gn_status code,
                              const char *msg);
gn_status gn__wire_get_start_error(gn__rbuf *r, int64_t *experiment_id, int *attempt,
                                   gn_status *code, const char **msg, gn_err *err);

/* ---- lines ------------------------------------------------------------------- */

#define GN__WIRE_MAGIC "GNW1 "
/* Longest line accepted (hex doubles the payload): 16 MiB. */
#define GN__WIRE_LINE_MAX (16u << 20)

/* Appends one line "GNW1 <type> <hex of payload>\n" to out. */
void gn__wire_line_put(gn__wbuf *out, char type, const char *payload, size_t len);

/* Parses one line (len bytes, without its '\n'; a trailing '\r' is
 * ignored): *type and the decoded payload in *payload (replacing its
 * content). GN_ERR_NOT_FOUND for a line that is not ours (no magic);
 * GN_ERR_DATA for a malformed one (err says why); GN_ERR_NOMEM. */
gn_status gn__wire_line_get(const char *line, size_t len, char *type, gn__wbuf *payload,
                            gn_err *err);

/* Collects bytes from a stream and hands out whole lines. */
typedef struct gn__linebuf {
    gn__wbuf b;
    size_t start; /* first byte not handed out yet */
    int overflow; /* a line longer than GN__WIRE_LINE_MAX arrived */
} gn__linebuf;

/* Appends n bytes; 0, or -1 when out of memory or when a line grows past
 * GN__WIRE_LINE_MAX (overflow set: the stream is broken). */
int gn__linebuf_push(gn__linebuf *lb, const char *data, size_t n);
/* The next whole line (without '\n', borrowed until the next call), its
 * length in *len; NULL when no whole line is buffered. */
const char *gn__linebuf_next(gn__linebuf *lb, size_t *len);
void gn__linebuf_free(gn__linebuf *lb);

#endif
