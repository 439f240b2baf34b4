/*
 * fuzz_wire.c - libFuzzer target for the worker protocol of exec/wire.h:
 * the line reader, the line framing (magic, type letter, hex) and every
 * record decoder (start, ready, task, result, start error, cancel). Both
 * ends read it from another process (a pilot worker reads the controller's
 * tasks, the controller reads the workers' results; MPI ranks read the
 * records too), so any input must end in a decoded message or a clean
 * error: no crash, no leak, no read past the end.
 *
 * The input is a byte stream: byte 0 picks the size of the chunks it is
 * fed to the line reader in (so lines split across reads are explored)
 * and the point dimension tasks must have; every whole line is decoded as
 * the controller or the worker would. Lines without the magic are skipped
 * as stray output. Built with -fsanitize=fuzzer when GN_FUZZ is ON
 * (clang), and always linked into fuzz_wire_replay, which runs the seed
 * corpus as a unit test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "exec/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_error(const gn_err *e, gn_status st)
{
    check(st == GN_ERR_INTERNAL || st == GN_ERR_DATA || st == GN_ERR_NOMEM);
    check(e->status == st);
    check(e->msg[0] != '\0');
}

static void decode(char type, const gn__wbuf *payload, size_t dim)
{
    gn__rbuf r;
    gn_err e;
    gn_status st = GN_OK;

    memset(&r, 0, sizeof r);
    r.p = payload->p;
    r.len = payload->len;
    gn_err_clear(&e);
    switch (type) {
    case 'S': {
        gn__wire_start s;
        st = gn__wire_get_start(&r, &s, &e);
        if (st == GN_OK) {
            check(s.slots >= 1 && s.campaign && s.work_root && *s.work_root);
            check(s.text + s.text_len == payload->p + payload->len);
        }
        break;
    }
    case 'R': {
        gn__wire_ready w;
        st = gn__wire_get_ready(&r, &w, &e);
        if (st == GN_OK)
            check(w.msg && w.host && w.step && strlen(w.host) < 256 && strlen(w.step) < 64);
        break;
    }
    case 'T': {
        gn_task t;
        double *x = NULL;
        size_t cap = 0;
        st = gn__wire_get_task(&r, dim, &t, &x, &cap, &e);
        if (st == GN_OK)
            check(t.params_json && t.attempt >= 1 && cap >= dim && (dim == 0 || t.x == x));
        gn_free(x);
        break;
    }
    case 'D': {
        gn_exec_result res;
        st = gn__wire_get_result(&r, &res, &e);
        if (st == GN_OK) {
            check(res.stdout_tail && res.stderr_tail);
            check(res.status != GN_ATT_SUCCEEDED || res.outcome);
            gn_exec_result_destroy(&res);
        }
        break;
    }
    case 'E': {
        int64_t id;
        int attempt;
        gn_status code;
        const char *msg;
        st = gn__wire_get_start_error(&r, &id, &attempt, &code, &msg, &e);
        if (st == GN_OK)
            check(msg != NULL && code != GN_OK);
        break;
    }
    case 'C':
        (void)gn__rb_f64(&r);
        break;
    default:
        break;
    }
    if (st != GN_OK)
        check_error(&e, st);
    check(r.off <= r.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gn__linebuf lb;
    gn__wbuf payload;
    size_t chunk, dim, off;

    if (size < 1)
        return 0;
    chunk = (size_t)(data[0] & 0x3f) + 1;
    dim = (size_t)(data[0] >> 6);
    data++;
    size--;
    memset(&lb, 0, sizeof lb);
    memset(&payload, 0, sizeof payload);
    for (off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk, len;
        const char *line;
        if (gn__linebuf_push(&lb, (const char *)data + off, n) != 0)
            break;
        while ((line = gn__linebuf_next(&lb, &len)) != NULL) {
            char type = 0;
            gn_err e;
            gn_status st;
            check(memchr(line, '\n', len) == NULL);
            gn_err_clear(&e);
            st = gn__wire_line_get(line, len, &type, &payload, &e);
            if (st == GN_OK)
                decode(type, &payload, dim);
            else if (st != GN_ERR_NOT_FOUND)
                check_error(&e, st);
        }
    }
    /* a round trip of a task and a result through the framing */
    if (size >= 16) {
        gn__wbuf rec, line;
        gn_task t;
        double x[3] = {0.5, -1, 2};
        gn_exec_result res;
        char type = 0;
        gn_err e;
        memset(&rec, 0, sizeof rec);
        memset(&line, 0, sizeof line);
        memset(&t, 0, sizeof t);
        memcpy(&t.experiment_id, data, sizeof t.experiment_id);
        t.number = 1;
        t.attempt = 1;
        t.x = x;
        t.params_json = "{\"x\": 0.5}";
        gn__wire_put_task(&rec, &t, 3);
        gn__wire_line_put(&line, 'T', rec.p, rec.len);
        check(!line.failed && line.p[line.len - 1] == '\n');
        check(gn__wire_line_get(line.p, line.len - 1, &type, &payload, &e) == GN_OK && type == 'T');
        check(payload.len == rec.len && memcmp(payload.p, rec.p, rec.len) == 0);
        memset(&res, 0, sizeof res);
        res.status = GN_ATT_FAILED;
        res.reason = "exit status 3";
        rec.len = 0;
        gn__wire_put_result(&rec, &res);
        {
            gn__rbuf r;
            gn_exec_result back;
            memset(&r, 0, sizeof r);
            r.p = rec.p;
            r.len = rec.len;
            check(gn__wire_get_result(&r, &back, &e) == GN_OK);
            check(back.status == GN_ATT_FAILED && strcmp(back.reason, "exit status 3") == 0);
            gn_exec_result_destroy(&back);
        }
        gn__wb_free(&rec);
        gn__wb_free(&line);
    }
    gn__linebuf_free(&lb);
    gn__wb_free(&payload);
    return 0;
}
