/*
 * data/csv.c - the streaming CSV reader (see csv.h).
 *
 * Bytes come from a 64 KiB window over the file (or straight from the
 * caller's buffer); every byte goes through the UTF-8 check before the
 * record state machine sees it. A record's fields are kept NUL-separated
 * in one growable buffer, so a record costs two allocations at most, and
 * only while it is larger than any record before it.
 */
#include "data/csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

#define WINDOW 65536

struct gn_csv {
    char *name;
    FILE *fp;                  /* NULL when reading memory */
    const unsigned char *mem;  /* the caller's bytes, or the window */
    size_t mem_len;
    unsigned char *window;     /* file window */
    size_t pos, len;           /* read position and valid bytes in mem/window */
    int64_t offset;            /* byte offset of mem[pos] in the input */
    int64_t start;             /* offset of the first record (after a BOM) */
    int eof;
    char delim;

    /* UTF-8 check: continuation bytes still expected, and the range the
     * next one must fall in */
    int need;
    unsigned char lo, hi;

    int64_t row;               /* rows seen, blank lines included */
    int skip_lf;               /* the last record ended with CR */

    char *buf;                 /* fields, NUL-separated */
    size_t buf_len, buf_cap;
    size_t *starts;            /* field starts in buf */
    unsigned char *quoted;
    size_t n_fields, fields_cap;
};

/* ---- input ------------------------------------------------------------------ */

/* Makes bytes available; 0 when there are some, 1 at the end, -1 on a
 * read error (err filled). */
static int fill(gn_csv *r, gn_err *err)
{
    size_t got;

    if (r->pos < r->len)
        return 0;
    if (!r->fp || r->eof)
        return 1;
    got = fread(r->window, 1, WINDOW, r->fp);
    if (got == 0) {
        if (ferror(r->fp)) {
            gn_err_set(err, GN_ERR_IO, "%s: cannot read: %s", r->name, strerror(errno));
            return -1;
        }
        r->eof = 1;
        return 1;
    }
    r->len = got;
    r->pos = 0;
    return 0;
}

/* Checks byte c at r->offset for UTF-8 and NUL; 0 or -1 (err filled). */
static int check_byte(gn_csv *r, unsigned char c, gn_err *err)
{
    if (c == 0) {
        gn_err_set(err, GN_ERR_DATA, "%s: a NUL byte at byte offset %lld (row %lld)", r->name,
                   (long long)r->offset, (long long)(r->row ? r->row : 1));
        return -1;
    }
    if (r->need) {
        if (c < r->lo || c > r->hi)
            goto bad;
        r->need--;
        r->lo = 0x80;
        r->hi = 0xBF;
        return 0;
    }
    if (c < 0x80)
        return 0;
    r->lo = 0x80;
    r->hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        r->need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        r->need = 2;
        if (c == 0xE0)
            r->lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            r->hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        r->need = 3;
        if (c == 0xF0)
            r->lo = 0x90;
        else if (c == 0xF4)
            r->hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        goto bad;
    }
    return 0;
bad:
    gn_err_set(err, GN_ERR_DATA, "%s: invalid UTF-8 at byte offset %lld (row %lld)", r->name,
               (long long)r->offset, (long long)(r->row ? r->row : 1));
    return -1;
}

/* Next byte (0..255), -1 at the end, -2 on an error (err filled). */
static int get(gn_csv *r, gn_err *err)
{
    unsigned char c;
    int f = fill(r, err);

    if (f < 0)
        return -2;
    if (f > 0) {
        if (r->need) {
            gn_err_set(err, GN_ERR_DATA,
                       "%s: invalid UTF-8 at byte offset %lld: the input ends inside a character",
                       r->name, (long long)r->offset);
            return -2;
        }
        return -1;
    }
    if (r->offset >= GN_CSV_MAX_BYTES) {
        gn_err_set(err, GN_ERR_LIMIT, "%s: the input is larger than the limit of 2 GiB", r->name);
        return -2;
    }
    c = r->mem[r->pos];
    if (check_byte(r, c, err))
        return -2;
    r->pos++;
    r->offset++;
    return c;
}

/* ---- opening ------------------------------------------------------------------ */

/* Positions at the start: skips a BOM, forgets any record. */
static gn_status start(gn_csv *r, gn_err *err)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    int f;

    r->need = 0;
    r->row = 0;
    r->skip_lf = 0;
    r->n_fields = 0;
    f = fill(r, err);
    if (f < 0)
        return err ? err->status : GN_ERR_IO;
    if (f == 0 && r->len - r->pos >= 3 && !memcmp(r->mem + r->pos, bom, 3)) {
        r->pos += 3;
        r->offset += 3;
    }
    r->start = r->offset;
    return GN_OK;
}

/* Picks the delimiter from the first line in the current window. */
static char detect(const gn_csv *r)
{
    size_t i, count[3] = {0, 0, 0};
    static const char cand[3] = {',', ';', '\t'};
    int in_quotes = 0, best = 0, k;

    for (i = r->pos; i < r->len; i++) {
        char c = (char)r->mem[i];
        if (c == '"')
            in_quotes = !in_quotes;
        else if (!in_quotes && (c == '\n' || c == '\r'))
            break;
        else if (!in_quotes)
            for (k = 0; k < 3; k++)
                if (c == cand[k])
                    count[k]++;
    }
    for (k = 1; k < 3; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

static gn_status finish_open(gn_csv *r, char delimiter, gn_csv **out, gn_err *err)
{
    gn_status st;

    if (delimiter && delimiter != ',' && delimiter != ';' && delimiter != '\t') {
        st = gn_err_set(err, GN_ERR_INVALID,
                        "%s: the delimiter must be ',', ';' or a tab, not '%c'", r->name,
                        delimiter);
        goto fail;
    }
    st = start(r, err);
    if (st != GN_OK)
        goto fail;
    r->delim = delimiter ? delimiter : detect(r);
    *out = r;
    return GN_OK;
fail:
    gn_csv_free(r);
    return st;
}

gn_status gn_csv_open_file(const char *path, char delimiter, gn_csv **out, gn_err *err)
{
    gn_csv *r;
    struct stat sb;

    gn_err_clear(err);
    if (!out || !path)
        return gn_err_set(err, GN_ERR_INVALID, "gn_csv_open_file: invalid argument");
    *out = NULL;
    r = gn_calloc(1, sizeof *r);
    if (!r)
        return gn_err_nomem(err);
    r->name = gn_strdup(path);
    r->window = gn_malloc(WINDOW);
    if (!r->name || !r->window) {
        gn_csv_free(r);
        return gn_err_nomem(err);
    }
    r->mem = r->window;
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        gn_status st = gn_err_set(err, errno == ENOENT ? GN_ERR_NOT_FOUND : GN_ERR_IO,
                                  "%s: cannot open: %s", path, strerror(errno));
        gn_csv_free(r);
        return st;
    }
    if (fstat(fileno(r->fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (int64_t)sb.st_size > GN_CSV_MAX_BYTES) {
        gn_err_set(err, GN_ERR_LIMIT,
                   "%s: the file is %lld bytes, larger than the limit of 2 GiB (%lld bytes)", path,
                   (long long)sb.st_size, (long long)GN_CSV_MAX_BYTES);
        gn_csv_free(r);
        return GN_ERR_LIMIT;
    }
    return finish_open(r, delimiter, out, err);
}

gn_status gn_csv_open_mem(const void *data, size_t len, const char *name, char delimiter,
                          gn_csv **out, gn_err *err)
{
    gn_csv *r;

    gn_err_clear(err);
    if (!out || (!data && len))
        return gn_err_set(err, GN_ERR_INVALID, "gn_csv_open_mem: invalid argument");
    *out = NULL;
    if ((uint64_t)len > (uint64_t)GN_CSV_MAX_BYTES)
        return gn_err_set(err, GN_ERR_LIMIT, "%s: the input is larger than the limit of 2 GiB",
                          name ? name : "(memory)");
    r = gn_calloc(1, sizeof *r);
    if (!r)
        return gn_err_nomem(err);
    r->name = gn_strdup(name ? name : "(memory)");
    if (!r->name) {
        gn_free(r);
        return gn_err_nomem(err);
    }
    r->mem = data;
    r->len = r->mem_len = len;
    return finish_open(r, delimiter, out, err);
}

void gn_csv_free(gn_csv *r)
{
    if (!r)
        return;
    if (r->fp)
        fclose(r->fp);
    gn_free(r->window);
    gn_free(r->name);
    gn_free(r->buf);
    gn_free(r->starts);
    gn_free(r->quoted);
    gn_free(r);
}

gn_status gn_csv_rewind(gn_csv *r, gn_err *err)
{
    gn_err_clear(err);
    if (r->fp) {
        if (fseek(r->fp, 0, SEEK_SET) != 0)
            return gn_err_set(err, GN_ERR_IO, "%s: cannot rewind: %s", r->name, strerror(errno));
        clearerr(r->fp);
        r->eof = 0;
        r->len = r->pos = 0;
    } else {
        r->pos = 0;
        r->len = r->mem_len;
    }
    r->offset = 0;
    return start(r, err);
}

/* ---- records ---------------------------------------------------------------------- */

static int buf_put(gn_csv *r, char c)
{
    if (r->buf_len == r->buf_cap) {
        size_t cap = r->buf_cap ? r->buf_cap * 2 : 1024;
        char *p = gn_realloc(r->buf, cap);
        if (!p)
            return -1;
        r->buf = p;
        r->buf_cap = cap;
    }
    r->buf[r->buf_len++] = c;
    return 0;
}

/* Starts field number r->n_fields. */
static gn_status field_begin(gn_csv *r, int quoted, gn_err *err)
{
    if (r->n_fields >= GN_CSV_MAX_COLS)
        return gn_err_set(err, GN_ERR_LIMIT, "%s: row %lld has more than %d columns (the limit)",
                          r->name, (long long)r->row, GN_CSV_MAX_COLS);
    if (r->n_fields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
        size_t *s = gn_reallocarray(r->starts, cap, sizeof *s);
        unsigned char *q;
        if (!s)
            return gn_err_nomem(err);
        r->starts = s;
        q = gn_realloc(r->quoted, cap);
        if (!q)
            return gn_err_nomem(err);
        r->quoted = q;
        r->fields_cap = cap;
    }
    r->starts[r->n_fields] = r->buf_len;
    r->quoted[r->n_fields] = (unsigned char)quoted;
    r->n_fields++;
    return GN_OK;
}

/* Appends byte c to the current field, minding the cell limit. */
static gn_status field_put(gn_csv *r, int c, gn_err *err)
{
    if (r->buf_len - r->starts[r->n_fields - 1] >= GN_CSV_MAX_CELL)
        return gn_err_set(err, GN_ERR_LIMIT,
                          "%s: row %lld, column %zu: a cell is longer than %d bytes (the limit)",
                          r->name, (long long)r->row, r->n_fields, GN_CSV_MAX_CELL);
    if (buf_put(r, (char)c))
        return gn_err_nomem(err);
    return GN_OK;
}

static gn_status field_end(gn_csv *r, gn_err *err)
{
    return buf_put(r, '\0') ? gn_err_nomem(err) : GN_OK;
}

enum { S_FIELD, S_PLAIN, S_QUOTED, S_QUOTE };

gn_status gn_csv_next(gn_csv *r, size_t *n, gn_err *err)
{
    int state = S_FIELD, c;
    gn_status st;

    gn_err_clear(err);
    *n = 0;
    r->n_fields = 0;
    r->buf_len = 0;
    if (r->skip_lf) {
        r->skip_lf = 0;
        if (fill(r, err) < 0)
            return err ? err->status : GN_ERR_IO;
        if (r->pos < r->len && r->mem[r->pos] == '\n') {
            r->pos++;
            r->offset++;
        }
    }
    /* blank lines are skipped but counted */
    for (;;) {
        if (fill(r, err) < 0)
            return err ? err->status : GN_ERR_IO;
        if (r->pos >= r->len)
            return GN_OK; /* the end */
        c = r->mem[r->pos];
        if (c != '\n' && c != '\r')
            break;
        r->row++;
        r->pos++;
        r->offset++;
        if (c == '\r') {
            if (fill(r, err) < 0)
                return err ? err->status : GN_ERR_IO;
            if (r->pos < r->len && r->mem[r->pos] == '\n') {
                r->pos++;
                r->offset++;
            }
        }
    }
    if (r->row >= GN_CSV_MAX_ROWS)
        return gn_err_set(err, GN_ERR_LIMIT, "%s: more than %ld rows (the limit)", r->name,
                          GN_CSV_MAX_ROWS);
    r->row++;
    st = field_begin(r, 0, err);
    if (st != GN_OK)
        return st;
    for (;;) {
        c = get(r, err);
        if (c == -2)
            return err ? err->status : GN_ERR_DATA;
        switch (state) {
        case S_FIELD:
        case S_PLAIN:
            if (state == S_FIELD && c == '"') {
                r->quoted[r->n_fields - 1] = 1;
                state = S_QUOTED;
            } else if (c == r->delim) {
                if ((st = field_end(r, err)) != GN_OK || (st = field_begin(r, 0, err)) != GN_OK)
                    return st;
                state = S_FIELD;
            } else if (c == '\n' || c == '\r' || c == -1) {
                goto record_end;
            } else {
                if ((st = field_put(r, c, err)) != GN_OK)
                    return st;
                state = S_PLAIN;
            }
            break;
        case S_QUOTED:
            if (c == -1)
                return gn_err_set(err, GN_ERR_DATA,
                                  "%s: row %lld, column %zu: a quoted field is not closed before "
                                  "the end of the input",
                                  r->name, (long long)r->row, r->n_fields);
            if (c == '"')
                state = S_QUOTE;
            else if ((st = field_put(r, c, err)) != GN_OK)
                return st;
            break;
        case S_QUOTE:
            if (c == '"') {
                if ((st = field_put(r, c, err)) != GN_OK)
                    return st;
                state = S_QUOTED;
            } else if (c == r->delim) {
                if ((st = field_end(r, err)) != GN_OK || (st = field_begin(r, 0, err)) != GN_OK)
                    return st;
                state = S_FIELD;
            } else if (c == '\n' || c == '\r' || c == -1) {
                goto record_end;
            } else {
                return gn_err_set(err, GN_ERR_DATA,
                                  "%s: row %lld, column %zu: unexpected character after the "
                                  "closing quote of a field",
                                  r->name, (long long)r->row, r->n_fields);
            }
            break;
        }
    }
record_end:
    if (c == '\r')
        r->skip_lf = 1;
    st = field_end(r, err);
    if (st != GN_OK)
        return st;
    *n = r->n_fields;
    return GN_OK;
}

const char *gn_csv_field(const gn_csv *r, size_t i, size_t *len)
{
    size_t end;
    if (i >= r->n_fields)
        return NULL;
    end = i + 1 < r->n_fields ? r->starts[i + 1] - 1 : r->buf_len - 1;
    if (len)
        *len = end - r->starts[i];
    return r->buf + r->starts[i];
}

int gn_csv_field_quoted(const gn_csv *r, size_t i) { return i < r->n_fields && r->quoted[i]; }
int64_t gn_csv_row(const gn_csv *r) { return r->row; }
char gn_csv_delimiter(const gn_csv *r) { return r->delim; }
const char *gn_csv_name(const gn_csv *r) { return r->name; }
