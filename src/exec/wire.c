/*
 * exec/wire.c - byte buffers, task and result records, and the line
 * framing shared by the MPI executor and the Slurm pilot workers; see
 * wire.h.
 */
#include <string.h>

#include "core/alloc.h"
#include "exec/wire.h"

/* ---- byte buffers ---------------------------------------------------------- */

void gn__wb_reserve(gn__wbuf *b, size_t more)
{
    size_t nc;
    char *p;
    if (b->failed)
        return;
    if (more > (size_t)INT32_MAX - b->len) {
        b->failed = 1; /* MPI counts are ints */
        return;
    }
    if (b->len + more <= b->cap)
        return;
    nc = b->cap ? b->cap : 1024;
    while (nc < b->len + more)
        nc *= 2;
    p = gn_realloc(b->p, nc);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = nc;
}

void gn__wb_put(gn__wbuf *b, const void *v, size_t n)
{
    gn__wb_reserve(b, n);
    if (b->failed)
        return;
    if (n)
        memcpy(b->p + b->len, v, n);
    b->len += n;
}

void gn__wb_i32(gn__wbuf *b, int32_t v) { gn__wb_put(b, &v, sizeof v); }
void gn__wb_i64(gn__wbuf *b, int64_t v) { gn__wb_put(b, &v, sizeof v); }
void gn__wb_f64(gn__wbuf *b, double v) { gn__wb_put(b, &v, sizeof v); }

void gn__wb_str(gn__wbuf *b, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    gn__wb_put(b, &n, sizeof n);
    if (s)
        gn__wb_put(b, s, (size_t)n + 1);
}

void gn__wb_free(gn__wbuf *b)
{
    gn_free(b->p);
    memset(b, 0, sizeof *b);
}

int gn__rb_get(gn__rbuf *r, void *v, size_t n)
{
    if (r->bad || r->off > r->len || n > r->len - r->off) {
        r->bad = 1;
        memset(v, 0, n);
        return 0;
    }
    if (n)
        memcpy(v, r->p + r->off, n);
    r->off += n;
    return 1;
}

int32_t gn__rb_i32(gn__rbuf *r)
{
    int32_t v;
    gn__rb_get(r, &v, sizeof v);
    return v;
}

int64_t gn__rb_i64(gn__rbuf *r)
{
    int64_t v;
    gn__rb_get(r, &v, sizeof v);
    return v;
}

double gn__rb_f64(gn__rbuf *r)
{
    double v;
    gn__rb_get(r, &v, sizeof v);
    return v;
}

const char *gn__rb_str(gn__rbuf *r)
{
    uint32_t n;
    const char *s;
    if (!gn__rb_get(r, &n, sizeof n) || n == UINT32_MAX)
        return NULL;
    if ((size_t)n >= r->len - r->off || r->p[r->off + n] != '\0') {
        r->bad = 1;
        return NULL;
    }
    s = r->p + r->off;
    r->off += (size_t)n + 1;
    return s;
}

/* ---- records ----------------------------------------------------------------- */

void gn__wire_put_task(gn__wbuf *b, const gn_task *t, size_t dim)
{
    gn__wb_i64(b, t->experiment_id);
    gn__wb_i64(b, t->number);
    gn__wb_i32(b, t->attempt);
    gn__wb_i32(b, (int32_t)dim);
    if (dim)
        gn__wb_put(b, t->x, dim * sizeof *t->x);
    gn__wb_str(b, t->params_json);
}

gn_status gn__wire_get_task(gn__rbuf *r, size_t dim, gn_task *t, double **x, size_t *x_cap,
                            gn_err *err)
{
    int32_t d;
    memset(t, 0, sizeof *t);
    t->experiment_id = gn__rb_i64(r);
    t->number = gn__rb_i64(r);
    t->attempt = gn__rb_i32(r);
    d = gn__rb_i32(r);
    if (r->bad)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed task message: too short");
    if (d < 0 || (size_t)d != dim)
        return gn_err_set(err, GN_ERR_INTERNAL,
                          "malformed task message: a point of %ld values, the spec has %zu "
                          "parameters",
                          (long)d, dim);
    if (t->attempt < 1 || t->number < 0)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed task message: experiment %lld attempt %d",
                          (long long)t->number, t->attempt);
    if (dim > *x_cap) {
        double *nx = gn_reallocarray(*x, dim, sizeof *nx);
        if (!nx)
            return gn_err_nomem(err);
        *x = nx;
        *x_cap = dim;
    }
    if (dim)
        gn__rb_get(r, *x, dim * sizeof **x);
    t->x = *x;
    t->params_json = gn__rb_str(r);
    if (r->bad || !t->params_json)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed task message: bad point or parameters");
    return GN_OK;
}

void gn__wire_put_result(gn__wbuf *b, const gn_exec_result *res)
{
    gn__wb_i64(b, res->experiment_id);
    gn__wb_i32(b, res->attempt);
    gn__wb_i32(b, (int32_t)res->status);
    gn__wb_i32(b, res->exit_code);
    gn__wb_i32(b, res->signal);
    gn__wb_f64(b, res->started);
    gn__wb_f64(b, res->finished);
    gn__wb_str(b, res->reason);
    gn__wb_str(b, res->stdout_tail);
    gn__wb_str(b, res->stderr_tail);
    gn__wb_str(b, res->outcome);
    gn__wb_i32(b, res->not_started ? 1 : 0); /* flags: bit 0, the runner could not be started */
}

static char *dup_or(const char *s, int keep_null)
{
    if (!s)
        return keep_null ? NULL : gn_strdup("");
    return gn_strdup(s);
}

gn_status gn__wire_get_result(gn__rbuf *r, gn_exec_result *res, gn_err *err)
{
    const char *reason, *out_tail, *err_tail, *outcome;
    int32_t status, flags;

    memset(res, 0, sizeof *res);
    res->experiment_id = gn__rb_i64(r);
    res->attempt = gn__rb_i32(r);
    status = gn__rb_i32(r);
    res->exit_code = gn__rb_i32(r);
    res->signal = gn__rb_i32(r);
    res->started = gn__rb_f64(r);
    res->finished = gn__rb_f64(r);
    reason = gn__rb_str(r);
    out_tail = gn__rb_str(r);
    err_tail = gn__rb_str(r);
    outcome = gn__rb_str(r);
    flags = gn__rb_i32(r);
    if (r->bad)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed result message: too short");
    if (flags & ~1)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed result message: flags %ld",
                          (long)flags);
    if (status != GN_ATT_SUCCEEDED && status != GN_ATT_FAILED && status != GN_ATT_TIMEOUT &&
        status != GN_ATT_CANCELLED)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed result message: attempt status %ld",
                          (long)status);
    if (status == GN_ATT_SUCCEEDED && !outcome)
        return gn_err_set(err, GN_ERR_INTERNAL,
                          "malformed result message: a succeeded attempt without an outcome");
    res->status = (gn_att_status)status;
    res->not_started = flags & 1;
    res->reason = dup_or(reason, 1);
    res->stdout_tail = dup_or(out_tail, 0);
    res->stderr_tail = dup_or(err_tail, 0);
    res->outcome = dup_or(outcome, 1);
    if ((reason && !res->reason) || !res->stdout_tail || !res->stderr_tail ||
        (outcome && !res->outcome)) {
        gn_exec_result_destroy(res);
        memset(res, 0, sizeof *res);
        return gn_err_nomem(err);
    }
    return GN_OK;
}

void gn__wire_put_start(gn__wbuf *b, const gn__wire_start *s)
{
    gn__wb_i32(b, GN__WIRE_VERSION);
    gn__wb_i64(b, (int64_t)s->slots);
    gn__wb_str(b, s->campaign);
    gn__wb_str(b, s->work_root);
    gn__wb_str(b, s->source);
    gn__wb_str(b, s->base_dir);
    gn__wb_i64(b, (int64_t)s->text_len);
    gn__wb_put(b, s->text, s->text_len);
}

gn_status gn__wire_get_start(gn__rbuf *r, gn__wire_start *s, gn_err *err)
{
    int32_t version = gn__rb_i32(r);
    int64_t slots, text_len;
    memset(s, 0, sizeof *s);
    if (!r->bad && version != GN__WIRE_VERSION)
        return gn_err_set(err, GN_ERR_INTERNAL,
                          "start message of wire version %ld, this worker speaks %d (the "
                          "controller and the worker run different genesis versions)",
                          (long)version, GN__WIRE_VERSION);
    slots = gn__rb_i64(r);
    s->campaign = gn__rb_str(r);
    s->work_root = gn__rb_str(r);
    s->source = gn__rb_str(r);
    s->base_dir = gn__rb_str(r);
    text_len = gn__rb_i64(r);
    if (r->bad || !s->campaign || !s->work_root || !*s->work_root)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed start message");
    if (slots < 1 || slots > GN_SPEC_MAX_PARALLEL)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed start message: %lld slots",
                          (long long)slots);
    if (text_len < 0 || (uint64_t)text_len != (uint64_t)(r->len - r->off))
        return gn_err_set(err, GN_ERR_INTERNAL,
                          "malformed start message: spec of %lld bytes, %zu left",
                          (long long)text_len, r->len - r->off);
    s->slots = (long)slots;
    s->text = r->p + r->off;
    s->text_len = (size_t)text_len;
    r->off = r->len;
    return GN_OK;
}

void gn__wire_put_ready(gn__wbuf *b, const gn__wire_ready *w)
{
    gn__wb_i32(b, w->status);
    gn__wb_str(b, w->msg);
    gn__wb_str(b, w->host);
    gn__wb_str(b, w->step);
}

gn_status gn__wire_get_ready(gn__rbuf *r, gn__wire_ready *w, gn_err *err)
{
    memset(w, 0, sizeof *w);
    w->status = gn__rb_i32(r);
    w->msg = gn__rb_str(r);
    w->host = gn__rb_str(r);
    w->step = gn__rb_str(r);
    if (r->bad || !w->msg || !w->host || !w->step || w->status < 0 || w->status > 1000)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed ready message");
    if (strlen(w->host) > 255 || strlen(w->step) > 63)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed ready message: host or step too long");
    return GN_OK;
}

void gn__wire_put_start_error(gn__wbuf *b, int64_t experiment_id, int attempt, gn_status code,
                              const char *msg)
{
    gn__wb_i64(b, experiment_id);
    gn__wb_i32(b, attempt);
    gn__wb_i32(b, (int32_t)code);
    gn__wb_str(b, msg);
}

gn_status gn__wire_get_start_error(gn__rbuf *r, int64_t *experiment_id, int *attempt,
                                   gn_status *code, const char **msg, gn_err *err)
{
    int32_t c;
    *experiment_id = gn__rb_i64(r);
    *attempt = gn__rb_i32(r);
    c = gn__rb_i32(r);
    *msg = gn__rb_str(r);
    if (r->bad || !*msg)
        return gn_err_set(err, GN_ERR_INTERNAL, "malformed start-error message");
    *code = c > 0 && c < 1000 ? (gn_status)c : GN_ERR_RUNNER;
    return GN_OK;
}

/* ---- lines ------------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

void gn__wire_line_put(gn__wbuf *out, char type, const char *payload, size_t len)
{
    size_t i, at;
    char head[8];
    memcpy(head, GN__WIRE_MAGIC, 5);
    head[5] = type;
    head[6] = ' ';
    gn__wb_put(out, head, 7);
    if (len > ((size_t)INT32_MAX - 1) / 2) {
        out->failed = 1;
        return;
    }
    gn__wb_reserve(out, 2 * len + 1);
    if (out->failed)
        return;
    at = out->len;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)payload[i];
        out->p[at++] = hexdig[c >> 4];
        out->p[at++] = hexdig[c & 15];
    }
    out->p[at++] = '\n';
    out->len = at;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

gn_status gn__wire_line_get(const char *line, size_t len, char *type, gn__wbuf *payload,
                            gn_err *err)
{
    size_t i, n;
    const char *h;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len < 5 || memcmp(line, GN__WIRE_MAGIC, 5) != 0)
        return gn_err_set(err, GN_ERR_NOT_FOUND, "not a worker message");
    if (len < 7 || line[6] != ' ' || line[5] < 'A' || line[5] > 'Z')
        return gn_err_set(err, GN_ERR_DATA, "malformed worker message: no type letter");
    if (len > GN__WIRE_LINE_MAX)
        return gn_err_set(err, GN_ERR_DATA, "malformed worker message: longer than %u bytes",
                          GN__WIRE_LINE_MAX);
    h = line + 7;
    n = len - 7;
    if (n % 2)
        return gn_err_set(err, GN_ERR_DATA, "malformed worker message: odd number of hex digits");
    *type = line[5];
    payload->len = 0;
    payload->failed = 0;
    gn__wb_reserve(payload, n / 2 + 1);
    if (payload->failed)
        return gn_err_nomem(err);
    for (i = 0; i < n; i += 2) {
        int a = hexval(h[i]), b = hexval(h[i + 1]);
        if (a < 0 || b < 0)
            return gn_err_set(err, GN_ERR_DATA,
                              "malformed worker message: not a hex digit at byte %zu", i + 7);
        payload->p[payload->len++] = (char)(a << 4 | b);
    }
    return GN_OK;
}

int gn__linebuf_push(gn__linebuf *lb, const char *data, size_t n)
{
    if (lb->overflow)
        return -1;
    /* drop what was handed out before growing */
    if (lb->start > 0 && (lb->start == lb->b.len || lb->b.len + n > lb->b.cap)) {
        memmove(lb->b.p, lb->b.p + lb->start, lb->b.len - lb->start);
        lb->b.len -= lb->start;
        lb->start = 0;
    }
    if (lb->b.len - lb->start + n > (size_t)GN__WIRE_LINE_MAX + 2 &&
        !memchr(lb->b.p ? lb->b.p + lb->start : "", '\n', lb->b.len - lb->start) &&
        !memchr(data, '\n', n)) {
        lb->overflow = 1;
        return -1;
    }
    gn__wb_put(&lb->b, data, n);
    if (lb->b.failed) {
        lb->overflow = 1;
        return -1;
    }
    return 0;
}

const char *gn__linebuf_next(gn__linebuf *lb, size_t *len)
{
    const char *s, *nl;
    if (lb->start >= lb->b.len)
        return NULL;
    s = lb->b.p + lb->start;
    nl = memchr(s, '\n', lb->b.len - lb->start);
    if (!nl)
        return NULL;
    *len = (size_t)(nl - s);
    lb->start += *len + 1;
    return s;
}

void gn__linebuf_free(gn__linebuf *lb)
{
    gn__wb_free(&lb->b);
    lb->start = 0;
    lb->overflow = 0;
}
