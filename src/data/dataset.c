/*
 * data/dataset.c - tables: chunks, their encoding, the content hash, the
 * CSV import (two reads: check and infer, then store) and the CSV export.
 */
#include "data/dataset.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csv.h"

#define CHUNK_CELLS (256 * 1024)
#define CHUNK_TEXT_BYTES (8u << 20) /* a chunk is cut when its text grows past this */

/* ---- columns ------------------------------------------------------------------ */

const char *gn_col_type_name(gn_col_type t) { return t == GN_COL_NUMERIC ? "numeric" : "categorical"; }

int gn_col_type_parse(const char *s, gn_col_type *out)
{
    if (s && !strcmp(s, "numeric"))
        *out = GN_COL_NUMERIC;
    else if (s && !strcmp(s, "categorical"))
        *out = GN_COL_CATEGORICAL;
    else
        return -1;
    return 0;
}

void gn_table_cols_free(gn_table_col *cols, size_t n)
{
    size_t i;
    if (!cols)
        return;
    for (i = 0; i < n; i++)
        gn_free(cols[i].name);
    gn_free(cols);
}

char *gn_table_cols_json(const gn_table_col *cols, size_t n)
{
    json_t *arr = json_array();
    char *text, *out = NULL;
    size_t i;

    if (!arr)
        return NULL;
    for (i = 0; i < n; i++)
        if (json_array_append_new(arr, json_pack("{s:s, s:s}", "name", cols[i].name, "type",
                                                 gn_col_type_name(cols[i].type))) != 0)
            goto out;
    text = json_dumps(arr, JSON_COMPACT);
    if (text) {
        out = gn_strdup(text);
        free(text);
    }
out:
    json_decref(arr);
    return out;
}

gn_status gn_table_cols_parse(const char *json, gn_table_col **cols, size_t *n, gn_err *err)
{
    json_error_t jerr;
    json_t *arr = json ? json_loads(json, 0, &jerr) : NULL, *o;
    gn_table_col *c = NULL;
    size_t i, count;
    gn_status st = GN_OK;

    *cols = NULL;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > GN_DATA_MAX_COLS) {
        st = gn_err_set(err, GN_ERR_STORE, "corrupt data: a dataset's columns are malformed");
        goto out;
    }
    count = json_array_size(arr);
    c = gn_calloc(count, sizeof *c);
    if (!c) {
        st = gn_err_nomem(err);
        goto out;
    }
    json_array_foreach(arr, i, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        if (!name || gn_col_type_parse(json_string_value(json_object_get(o, "type")), &c[i].type)) {
            st = gn_err_set(err, GN_ERR_STORE, "corrupt data: a dataset's columns are malformed");
            goto out;
        }
        c[i].name = gn_strdup(name);
        if (!c[i].name) {
            st = gn_err_nomem(err);
            goto out;
        }
    }
    *cols = c;
    *n = count;
    c = NULL;
out:
    gn_table_cols_free(c, json_array_size(arr));
    json_decref(arr);
    return st;
}

/* ---- chunks ---------------------------------------------------------------------- */

size_t gn_table_chunk_rows(size_t n_cols)
{
    size_t r = CHUNK_CELLS / (n_cols ? n_cols : 1);
    return r < 1 ? 1 : r > 4096 ? 4096 : r;
}

gn_status gn_table_chunk_init(gn_table_chunk *k, const gn_table_col *cols, size_t n_cols,
                              size_t cap, gn_err *err)
{
    size_t c;

    memset(k, 0, sizeof *k);
    k->cols = cols;
    k->n_cols = n_cols;
    k->cap = cap ? cap : 1;
    k->num = gn_calloc(n_cols ? n_cols : 1, sizeof *k->num);
    k->text = gn_calloc(n_cols ? n_cols : 1, sizeof *k->text);
    if (!k->num || !k->text)
        goto nomem;
    for (c = 0; c < n_cols; c++) {
        if (cols[c].type == GN_COL_NUMERIC)
            k->num[c] = gn_calloc(k->cap, sizeof **k->num);
        else
            k->text[c] = gn_calloc(k->cap, sizeof **k->text);
        if (!k->num[c] && !k->text[c])
            goto nomem;
    }
    return GN_OK;
nomem:
    gn_table_chunk_destroy(k);
    return gn_err_nomem(err);
}

void gn_table_chunk_clear(gn_table_chunk *k)
{
    size_t c, r;
    for (c = 0; c < k->n_cols && k->text; c++)
        if (k->text[c])
            for (r = 0; r < k->n_rows; r++) {
                gn_free(k->text[c][r]);
                k->text[c][r] = NULL;
            }
    k->n_rows = 0;
    k->text_bytes = 0;
}

void gn_table_chunk_destroy(gn_table_chunk *k)
{
    size_t c;
    if (!k)
        return;
    gn_table_chunk_clear(k);
    for (c = 0; c < k->n_cols; c++) {
        if (k->num)
            gn_free(k->num[c]);
        if (k->text)
            gn_free(k->text[c]);
    }
    gn_free(k->num);
    gn_free(k->text);
    memset(k, 0, sizeof *k);
}

/* Makes room for n rows (decode of a larger stored chunk). */
static gn_status chunk_reserve(gn_table_chunk *k, size_t n, gn_err *err)
{
    size_t c;
    if (n <= k->cap)
        return GN_OK;
    for (c = 0; c < k->n_cols; c++) {
        if (k->num[c]) {
            double *p = gn_reallocarray(k->num[c], n, sizeof *p);
            if (!p)
                return gn_err_nomem(err);
            k->num[c] = p;
        } else {
            char **p = gn_reallocarray(k->text[c], n, sizeof *p);
            if (!p)
                return gn_err_nomem(err);
            memset(p + k->cap, 0, (n - k->cap) * sizeof *p);
            k->text[c] = p;
        }
    }
    k->cap = n;
    return GN_OK;
}

gn_status gn_table_chunk_set_text(gn_table_chunk *k, size_t r, size_t c, const char *s, size_t len,
                                  gn_err *err)
{
    char *t = gn_strndup(s, len);
    if (!t)
        return gn_err_nomem(err);
    gn_free(k->text[c][r]);
    k->text[c][r] = t;
    k->text_bytes += len;
    return GN_OK;
}

static void put_u32(gn_strbuf *sb, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    gn_strbuf_append_n(sb, (const char *)b, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

gn_status gn_table_chunk_encode(const gn_table_chunk *k, gn_strbuf *sb, gn_err *err)
{
    size_t c, r;

    sb->len = 0;
    sb->failed = 0;
    put_u32(sb, (uint32_t)k->n_rows);
    put_u32(sb, (uint32_t)k->n_cols);
    for (c = 0; c < k->n_cols; c++) {
        gn_strbuf_putc(sb, (char)k->cols[c].type);
        if (k->cols[c].type == GN_COL_NUMERIC) {
            for (r = 0; r < k->n_rows; r++) {
                uint64_t u;
                unsigned char b[8];
                int i;
                memcpy(&u, &k->num[c][r], 8);
                for (i = 0; i < 8; i++)
                    b[i] = (unsigned char)(u >> (8 * i));
                gn_strbuf_append_n(sb, (const char *)b, 8);
            }
        } else {
            for (r = 0; r < k->n_rows; r++)
                put_u32(sb, (uint32_t)strlen(k->text[c][r] ? k->text[c][r] : ""));
            for (r = 0; r < k->n_rows; r++)
                if (k->text[c][r])
                    gn_strbuf_append(sb, k->text[c][r]);
        }
    }
    return sb->failed ? gn_err_nomem(err) : GN_OK;
}

gn_status gn_table_chunk_decode(gn_table_chunk *k, const void *data, size_t size, int64_t n_rows,
                                gn_err *err)
{
    const unsigned char *p = data, *end = p + size;
    size_t c, r, n;
    gn_status st;

    gn_table_chunk_clear(k);
    if (size < 8 || get_u32(p) != (uint64_t)n_rows || get_u32(p + 4) != k->n_cols || n_rows < 1)
        goto corrupt;
    n = (size_t)n_rows;
    st = chunk_reserve(k, n, err);
    if (st != GN_OK)
        return st;
    k->n_rows = n; /* text cells are NULL until set; clear frees what was set */
    p += 8;
    for (c = 0; c < k->n_cols; c++) {
        if (p >= end || *p != (unsigned char)k->cols[c].type)
            goto corrupt;
        p++;
        if (k->cols[c].type == GN_COL_NUMERIC) {
            if ((size_t)(end - p) / 8 < n)
                goto corrupt;
            for (r = 0; r < n; r++, p += 8) {
                uint64_t u = 0;
                int i;
                for (i = 7; i >= 0; i--)
                    u = u << 8 | p[i];
                memcpy(&k->num[c][r], &u, 8);
            }
        } else {
            const unsigned char *lens = p, *text;
            if ((size_t)(end - p) / 4 < n)
                goto corrupt;
            text = p + 4 * n;
            for (r = 0; r < n; r++) {
                uint32_t len = get_u32(lens + 4 * r);
                if ((size_t)(end - text) < len || memchr(text, 0, len))
                    goto corrupt;
                st = gn_table_chunk_set_text(k, r, c, (const char *)text, len, err);
                if (st != GN_OK)
                    return st;
                text += len;
            }
            p = text;
        }
    }
    if (p != end)
        goto corrupt;
    return GN_OK;
corrupt:
    return gn_err_set(err, GN_ERR_STORE, "corrupt data: a dataset chunk does not match its columns");
}

/* ---- numbers and cells ----------------------------------------------------------- */

void gn_num_format17(double v, char *buf, size_t size) { snprintf(buf, size, "%.17g", v); }

void gn_num_format_short(double v, char *buf, size_t size)
{
    int prec, x;
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* %g turns 280 into 2.8e+02 at precision 2: write whole numbers below
     * 1e17 out in full */
    x = v != 0 ? (int)floor(log10(fabs(v))) : 0;
    if (x >= prec && x < 17)
        prec = x + 1;
    snprintf(buf, size, "%.*g", prec, v);
}

gn_cell_kind gn_cell_classify(const char *s, size_t len, double *v)
{
    char tmp[128], *end;
    size_t i;
    double d;

    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return GN_CELL_EMPTY;
    if (len >= sizeof tmp)
        return GN_CELL_TEXT;
    for (i = 0; i < len; i++)
        if (s[i] == 'x' || s[i] == 'X' || s[i] == '(')
            return GN_CELL_TEXT; /* hexadecimal and nan(...) are not data numbers */
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    d = strtod(tmp, &end);
    if (end == tmp || *end)
        return GN_CELL_TEXT;
    if (!isfinite(d))
        return GN_CELL_NONFINITE;
    if (v)
        *v = d;
    return GN_CELL_FINITE;
}

void gn_cell_excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = len;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(buf, size, "%.*s%s", (int)n, s, n < len ? "..." : "");
}

/* ---- hashing ------------------------------------------------------------------------ */

static void hash_field(gn_table_hash *h, const char *s, size_t len)
{
    char pre[32];
    int n = snprintf(pre, sizeof pre, "%zu:", len);
    crypto_generichash_update(&h->st, (const unsigned char *)pre, (unsigned long long)n);
    crypto_generichash_update(&h->st, (const unsigned char *)s, (unsigned long long)len);
}

void gn_table_hash_init(gn_table_hash *h, const gn_table_col *cols, size_t n_cols)
{
    static const char magic[] = "genesis-table-1\n";
    size_t c;

    crypto_generichash_init(&h->st, NULL, 0, 32);
    crypto_generichash_update(&h->st, (const unsigned char *)magic, sizeof magic - 1);
    for (c = 0; c < n_cols; c++) {
        const char *t = gn_col_type_name(cols[c].type);
        hash_field(h, cols[c].name, strlen(cols[c].name));
        hash_field(h, t, strlen(t));
    }
    crypto_generichash_update(&h->st, (const unsigned char *)"\n", 1);
}

void gn_table_hash_chunk(gn_table_hash *h, const gn_table_chunk *k)
{
    size_t r, c;
    char num[40];

    for (r = 0; r < k->n_rows; r++) {
        for (c = 0; c < k->n_cols; c++) {
            if (k->cols[c].type == GN_COL_NUMERIC) {
                gn_num_format17(k->num[c][r], num, sizeof num);
                hash_field(h, num, strlen(num));
            } else {
                const char *t = k->text[c][r] ? k->text[c][r] : "";
                hash_field(h, t, strlen(t));
            }
        }
        crypto_generichash_update(&h->st, (const unsigned char *)"\n", 1);
    }
}

void gn_table_hash_final(gn_table_hash *h, char hex[65])
{
    unsigned char out[32];
    crypto_generichash_final(&h->st, out, sizeof out);
    sodium_bin2hex(hex, 65, out, sizeof out);
}

/* ---- sources ------------------------------------------------------------------------- */

void gn_table_source_free(gn_table_source *src)
{
    if (!src)
        return;
    if (src->free)
        src->free(src);
    gn_table_cols_free(src->cols, src->n_cols);
    gn_free(src->title);
    gn_free(src->source);
    gn_free(src->license);
    gn_free(src->doi);
    gn_free(src);
}

gn_status gn_data_name_check(const char *name, gn_err *err)
{
    size_t i, n = name ? strlen(name) : 0;

    if (n == 0)
        return gn_err_set(err, GN_ERR_INVALID, "a dataset needs a name (--name)");
    if (n > GN_DATA_MAX_NAME)
        return gn_err_set(err, GN_ERR_INVALID, "a dataset name is at most %d characters",
                          GN_DATA_MAX_NAME);
    if (name[0] == '-' || name[0] == '.')
        goto bad;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            goto bad;
    }
    return GN_OK;
bad:
    return gn_err_set(err, GN_ERR_INVALID,
                      "dataset name '%s': use letters, digits, '.', '_' and '-', not starting "
                      "with '-' or '.'",
                      name);
}

/* ---- CSV import ------------------------------------------------------------------------ */

/* What the first read learns about one column. */
typedef struct col_scan {
    int64_t text_row;     /* first row (after row 1) holding text, 0 if none */
    int64_t nonfin_row;   /* first row (after row 1) empty, nan or inf, 0 if none */
    char text_cell[64], nonfin_cell[64];
    int64_t finite;       /* finite numbers after row 1 */
    gn_cell_kind first;   /* row 1's cell */
    char first_cell[64];
} col_scan;

typedef struct csv_src {
    gn_csv *r;
    int header;
    size_t n_cols;
    int started;
} csv_src;

static void csv_src_free(gn_table_source *src)
{
    csv_src *c = src->impl;
    if (!c)
        return;
    gn_csv_free(c->r);
    gn_free(c);
    src->impl = NULL;
}

/* Error for a cell that cannot go into numeric column c. */
static gn_status bad_number(const char *name, int64_t row, const char *col, gn_cell_kind kind,
                            const char *cell, gn_err *err)
{
    if (kind == GN_CELL_EMPTY)
        return gn_err_set(err, GN_ERR_DATA,
                          "%s: row %lld, column '%s': the cell is empty; a numeric column needs "
                          "a number in every row (or declare it --column %s=categorical)",
                          name, (long long)row, col, col);
    if (kind == GN_CELL_NONFINITE)
        return gn_err_set(err, GN_ERR_DATA,
                          "%s: row %lld, column '%s': '%s' is not a finite number; NaN and "
                          "infinity are not stored",
                          name, (long long)row, col, cell);
    return gn_err_set(err, GN_ERR_DATA, "%s: row %lld, column '%s': '%s' is not a number", name,
                      (long long)row, col, cell);
}

static gn_status csv_next(gn_table_source *src, gn_table_chunk *k, gn_err *err)
{
    csv_src *c = src->impl;
    size_t n, i;
    gn_status st;

    gn_table_chunk_clear(k);
    while (k->n_rows < k->cap && k->text_bytes < CHUNK_TEXT_BYTES) {
        st = gn_csv_next(c->r, &n, err);
        if (st != GN_OK)
            return st;
        if (n == 0)
            break;
        if (!c->started) {
            c->started = 1;
            if (c->header)
                continue;
        }
        if (n != c->n_cols)
            return gn_err_set(err, GN_ERR_DATA, "%s: row %lld has %zu fields, expected %zu",
                              gn_csv_name(c->r), (long long)gn_csv_row(c->r), n, c->n_cols);
        for (i = 0; i < n; i++) {
            size_t len;
            const char *f = gn_csv_field(c->r, i, &len);
            if (src->cols[i].type == GN_COL_NUMERIC) {
                gn_cell_kind kind = gn_cell_classify(f, len, &k->num[i][k->n_rows]);
                if (kind != GN_CELL_FINITE) {
                    char ex[64];
                    gn_cell_excerpt(f, len, ex, sizeof ex);
                    return bad_number(gn_csv_name(c->r), gn_csv_row(c->r), src->cols[i].name,
                                      kind, ex, err);
                }
            } else {
                st = gn_table_chunk_set_text(k, k->n_rows, i, f, len, err);
                if (st != GN_OK) {
                    k->n_rows++; /* so clear frees this row's cells */
                    return st;
                }
            }
        }
        k->n_rows++;
    }
    return GN_OK;
}

/* Applies --column name=type overrides to the inferred types. */
static gn_status apply_overrides(const gn_dataset_options *o, gn_table_col *cols, size_t n,
                                 unsigned char *forced, gn_err *err)
{
    size_t i, c;

    for (i = 0; i < o->n_column_types; i++) {
        const char *spec = o->column_types[i], *eq = spec ? strrchr(spec, '=') : NULL;
        gn_col_type t;
        if (!eq || eq == spec)
            return gn_err_set(err, GN_ERR_INVALID,
                              "column type '%s': expected NAME=numeric or NAME=categorical",
                              spec ? spec : "(null)");
        if (gn_col_type_parse(eq + 1, &t))
            return gn_err_set(err, GN_ERR_INVALID,
                              "column type '%s': the type must be numeric or categorical", spec);
        for (c = 0; c < n; c++)
            if (strlen(cols[c].name) == (size_t)(eq - spec) &&
                !memcmp(cols[c].name, spec, (size_t)(eq - spec)))
                break;
        if (c == n)
            return gn_err_set(err, GN_ERR_INVALID, "column type '%s': there is no column '%.*s'",
                              spec, (int)(eq - spec), spec);
        cols[c].type = t;
        forced[c] = 1;
    }
    return GN_OK;
}

/* The first read: structure, header, names, types, numeric cells. */
static gn_status csv_scan(gn_csv *r, const gn_dataset_options *o, gn_table_source *src,
                          gn_err *err)
{
    col_scan *scan = NULL;
    char **first = NULL;
    unsigned char *forced = NULL;
    size_t n_cols = 0, n, i, c;
    int header;
    int64_t rows = 0;
    gn_status st;
    const char *name = gn_csv_name(r);

    st = gn_csv_next(r, &n_cols, err);
    if (st != GN_OK)
        goto out;
    if (n_cols == 0) {
        st = gn_err_set(err, GN_ERR_DATA, "%s: the file holds no rows", name);
        goto out;
    }
    scan = gn_calloc(n_cols, sizeof *scan);
    first = gn_calloc(n_cols, sizeof *first);
    forced = gn_calloc(n_cols, 1);
    if (!scan || !first || !forced) {
        st = gn_err_nomem(err);
        goto out;
    }
    for (c = 0; c < n_cols; c++) {
        size_t len;
        const char *f = gn_csv_field(r, c, &len);
        first[c] = gn_strndup(f, len);
        if (!first[c]) {
            st = gn_err_nomem(err);
            goto out;
        }
        scan[c].first = gn_cell_classify(f, len, NULL);
        gn_cell_excerpt(f, len, scan[c].first_cell, sizeof scan[c].first_cell);
    }
    rows = 1;
    for (;;) {
        st = gn_csv_next(r, &n, err);
        if (st != GN_OK)
            goto out;
        if (n == 0)
            break;
        rows++;
        if (n != n_cols) {
            st = gn_err_set(err, GN_ERR_DATA, "%s: row %lld has %zu fields, expected %zu", name,
                            (long long)gn_csv_row(r), n, n_cols);
            goto out;
        }
        for (c = 0; c < n_cols; c++) {
            size_t len;
            const char *f = gn_csv_field(r, c, &len);
            gn_cell_kind kind = gn_cell_classify(f, len, NULL);
            if (kind == GN_CELL_FINITE) {
                scan[c].finite++;
            } else if (kind == GN_CELL_TEXT) {
                if (!scan[c].text_row) {
                    scan[c].text_row = gn_csv_row(r);
                    gn_cell_excerpt(f, len, scan[c].text_cell, sizeof scan[c].text_cell);
                }
            } else if (!scan[c].nonfin_row) {
                scan[c].nonfin_row = gn_csv_row(r);
                gn_cell_excerpt(f, len, scan[c].nonfin_cell, sizeof scan[c].nonfin_cell);
            }
        }
    }

    /* header: given, or a first row with text in a column that holds
     * numbers further down */
    if (o->header == GN_HEADER_YES)
        header = 1;
    else if (o->header == GN_HEADER_NO)
        header = 0;
    else
        for (header = 0, c = 0; c < n_cols; c++)
            if (scan[c].first == GN_CELL_TEXT && scan[c].finite > 0)
                header = 1;
    if (header && rows - 1 > GN_DATA_MAX_ROWS) {
        st = gn_err_set(err, GN_ERR_LIMIT, "%s: more than %ld rows (the limit)", name,
                        GN_DATA_MAX_ROWS);
        goto out;
    }

    src->cols = gn_calloc(n_cols, sizeof *src->cols);
    if (!src->cols) {
        st = gn_err_nomem(err);
        goto out;
    }
    src->n_cols = n_cols;
    for (c = 0; c < n_cols; c++) {
        if (header && first[c][0])
            src->cols[c].name = gn_strdup(first[c]);
        else
            src->cols[c].name = gn_asprintf("col%zu", c + 1);
        if (!src->cols[c].name) {
            st = gn_err_nomem(err);
            goto out;
        }
        for (i = 0; i < c; i++)
            if (!strcmp(src->cols[i].name, src->cols[c].name)) {
                st = gn_err_set(err, GN_ERR_DATA,
                                "%s: row 1: column %zu and column %zu are both named '%s'; "
                                "column names must be unique",
                                name, i + 1, c + 1, src->cols[c].name);
                goto out;
            }
    }

    /* types: numeric when every data cell looks like a number and some
     * are finite; empty/nan/inf cells in such a column are errors below */
    for (c = 0; c < n_cols; c++) {
        int64_t finite = scan[c].finite + (!header && scan[c].first == GN_CELL_FINITE);
        int text = scan[c].text_row || (!header && scan[c].first == GN_CELL_TEXT);
        src->cols[c].type = !text && finite > 0 ? GN_COL_NUMERIC : GN_COL_CATEGORICAL;
    }
    st = apply_overrides(o, src->cols, n_cols, forced, err);
    if (st != GN_OK)
        goto out;

    /* the first bad cell of a numeric column, in reading order */
    {
        int64_t best_row = 0;
        size_t best_c = 0;
        gn_cell_kind best_kind = GN_CELL_TEXT;
        const char *best_cell = NULL;
        for (c = 0; c < n_cols; c++) {
            int64_t row = 0;
            gn_cell_kind kind = GN_CELL_TEXT;
            const char *cell = NULL;
            if (src->cols[c].type != GN_COL_NUMERIC)
                continue;
            if (!header && scan[c].first != GN_CELL_FINITE) {
                row = 1;
                kind = scan[c].first;
                cell = scan[c].first_cell;
            } else {
                if (scan[c].text_row) {
                    row = scan[c].text_row;
                    cell = scan[c].text_cell;
                }
                if (scan[c].nonfin_row && (!row || scan[c].nonfin_row < row)) {
                    row = scan[c].nonfin_row;
                    cell = scan[c].nonfin_cell;
                    kind = gn_cell_classify(cell, strlen(cell), NULL);
                }
            }
            if (row && (!best_row || row < best_row)) {
                best_row = row;
                best_c = c;
                best_kind = kind;
                best_cell = cell;
            }
        }
        if (best_row) {
            st = bad_number(name, best_row, src->cols[best_c].name, best_kind, best_cell, err);
            goto out;
        }
    }
    src->header = header;
    src->delimiter = gn_csv_delimiter(r);
out:
    if (first)
        for (c = 0; c < n_cols; c++)
            gn_free(first[c]);
    gn_free(first);
    gn_free(scan);
    gn_free(forced);
    return st;
}

static gn_status csv_source_finish(gn_csv *r, const gn_dataset_options *o, gn_table_source **out,
                                   gn_err *err)
{
    gn_table_source *src;
    csv_src *c;
    gn_status st;

    src = gn_calloc(1, sizeof *src);
    c = gn_calloc(1, sizeof *c);
    if (!src || !c) {
        gn_free(src);
        gn_free(c);
        gn_csv_free(r);
        return gn_err_nomem(err);
    }
    c->r = r;
    src->impl = c;
    src->free = csv_src_free;
    src->next = csv_next;
    st = csv_scan(r, o, src, err);
    if (st == GN_OK)
        st = gn_csv_rewind(r, err);
    if (st != GN_OK) {
        gn_table_source_free(src);
        return st;
    }
    c->header = src->header;
    c->n_cols = src->n_cols;
    *out = src;
    return GN_OK;
}

gn_status gn_data_csv_source(const char *path, const gn_dataset_options *o, gn_table_source **out,
                             gn_err *err)
{
    gn_csv *r;
    gn_status st;

    *out = NULL;
    st = gn_csv_open_file(path, o->delimiter, &r, err);
    if (st != GN_OK)
        return st;
    return csv_source_finish(r, o, out, err);
}

gn_status gn_data_csv_source_mem(const void *data, size_t len, const char *name,
                                 const gn_dataset_options *o, gn_table_source **out, gn_err *err)
{
    gn_csv *r;
    gn_status st;

    *out = NULL;
    st = gn_csv_open_mem(data, len, name, o->delimiter, &r, err);
    if (st != GN_OK)
        return st;
    return csv_source_finish(r, o, out, err);
}

/* ---- storing --------------------------------------------------------------------------- */

/* The chunk source handed to the store: pulls rows from the table source,
 * hashes and encodes them. */
typedef struct store_feed {
    gn_table_source *src;
    gn_table_chunk k;
    gn_table_hash h;
    gn_strbuf sb;
    gn_dataset_rec *rec;
    char hex[65];
    int64_t rows;
} store_feed;

static gn_status feed_next(void *ctx, const void **data, size_t *size, int64_t *n_rows, gn_err *err)
{
    store_feed *f = ctx;
    gn_status st;

    st = f->src->next(f->src, &f->k, err);
    if (st != GN_OK)
        return st;
    if (f->k.n_rows == 0) {
        gn_table_hash_final(&f->h, f->hex);
        f->rec->content_hash = f->hex;
        f->rec->n_rows = f->rows;
        *n_rows = 0;
        return GN_OK;
    }
    if (f->rows + (int64_t)f->k.n_rows > GN_DATA_MAX_ROWS)
        return gn_err_set(err, GN_ERR_LIMIT, "more than %ld rows (the limit)", GN_DATA_MAX_ROWS);
    gn_table_hash_chunk(&f->h, &f->k);
    st = gn_table_chunk_encode(&f->k, &f->sb, err);
    if (st != GN_OK)
        return st;
    f->rows += (int64_t)f->k.n_rows;
    *data = f->sb.data;
    *size = f->sb.len;
    *n_rows = (int64_t)f->k.n_rows;
    return GN_OK;
}

gn_status gn_data_store(gn_store *s, gn_dataset_rec *rec, gn_table_source *src, gn_err *err)
{
    store_feed f;
    char *cols_json = NULL;
    gn_status st;

    memset(&f, 0, sizeof f);
    gn_strbuf_init(&f.sb);
    f.src = src;
    f.rec = rec;
    st = gn_table_chunk_init(&f.k, src->cols, src->n_cols, gn_table_chunk_rows(src->n_cols), err);
    if (st != GN_OK)
        return st;
    cols_json = gn_table_cols_json(src->cols, src->n_cols);
    if (!cols_json) {
        st = gn_err_nomem(err);
        goto out;
    }
    gn_table_hash_init(&f.h, src->cols, src->n_cols);
    rec->columns = cols_json;
    rec->n_cols = (int64_t)src->n_cols;
    rec->content_hash = NULL;
    st = gn_store_dataset_add(s, rec, feed_next, &f, err);
    /* the caller's record must not keep pointers into this frame */
    rec->columns = NULL;
    rec->content_hash = NULL;
    if (st == GN_OK) {
        rec->columns = cols_json;
        rec->content_hash = gn_strdup(f.hex);
        cols_json = NULL;
        if (!rec->content_hash)
            st = gn_err_nomem(err);
    }
out:
    gn_free(cols_json);
    gn_strbuf_destroy(&f.sb);
    gn_table_chunk_destroy(&f.k);
    return st;
}

/* ---- reading back ------------------------------------------------------------------------ */

typedef struct read_ctx {
    gn_table_chunk k;
    gn_table_sink sink;
    void *ctx;
    int stopped;
} read_ctx;

static gn_status read_chunk(void *ctx, int64_t first_row, const void *data, size_t size,
                            int64_t n_rows, gn_err *err)
{
    read_ctx *rc = ctx;
    gn_status st = gn_table_chunk_decode(&rc->k, data, size, n_rows, err);
    if (st != GN_OK)
        return st;
    st = rc->sink(rc->ctx, &rc->k, first_row, err);
    if (st == GN_ERR_INTERRUPTED)
        rc->stopped = 1;
    return st;
}

gn_status gn_data_read(gn_store *s, const gn_dataset_rec *rec, const gn_table_col *cols,
                       size_t n_cols, gn_table_sink sink, void *ctx, gn_err *err)
{
    read_ctx rc;
    gn_status st;

    memset(&rc, 0, sizeof rc);
    rc.sink = sink;
    rc.ctx = ctx;
    st = gn_table_chunk_init(&rc.k, cols, n_cols, gn_table_chunk_rows(n_cols), err);
    if (st != GN_OK)
        return st;
    st = gn_store_dataset_rows(s, rec->id, read_chunk, &rc, err);
    if (st == GN_ERR_INTERRUPTED && rc.stopped) {
        gn_err_clear(err);
        st = GN_OK;
    }
    gn_table_chunk_destroy(&rc.k);
    return st;
}

/* ---- CSV export -------------------------------------------------------------------------- */

static void csv_write_field(FILE *out, const char *s)
{
    size_t len = strlen(s);
    int quote = strpbrk(s, ",;\t\"\r\n") != NULL ||
                (len && (s[0] == ' ' || s[len - 1] == ' '));
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static gn_status csv_sink(void *ctx, const gn_table_chunk *k, int64_t first_row, gn_err *err)
{
    FILE *out = ctx;
    size_t r, c;
    char num[40];

    (void)first_row;
    for (r = 0; r < k->n_rows; r++) {
        for (c = 0; c < k->n_cols; c++) {
            if (c)
                fputc(',', out);
            if (k->cols[c].type == GN_COL_NUMERIC) {
                gn_num_format_short(k->num[c][r], num, sizeof num);
                fputs(num, out);
            } else {
                csv_write_field(out, k->text[c][r] ? k->text[c][r] : "");
            }
        }
        fputc('\n', out);
    }
    if (ferror(out))
        return gn_err_set(err, GN_ERR_IO, "cannot write the CSV: %s", strerror(errno));
    return GN_OK;
}

gn_status gn_data_export_csv(gn_store *s, const gn_dataset_rec *rec, FILE *out, gn_err *err)
{
    gn_table_col *cols = NULL;
    size_t n = 0, c;
    gn_status st;

    st = gn_table_cols_parse(rec->columns, &cols, &n, err);
    if (st != GN_OK)
        return st;
    for (c = 0; c < n; c++) {
        if (c)
            fputc(',', out);
        csv_write_field(out, cols[c].name);
    }
    fputc('\n', out);
    st = gn_data_read(s, rec, cols, n, csv_sink, out, err);
    if (st == GN_OK && ferror(out))
        st = gn_err_set(err, GN_ERR_IO, "cannot write the CSV: %s", strerror(errno));
    gn_table_cols_free(cols, n);
    return st;
}
