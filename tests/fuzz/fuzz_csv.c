/*
 * fuzz_csv.c - libFuzzer target for the CSV reader and the CSV table
 * source (header detection, type inference, cell checks).
 *
 * Any input must end in a table or a clean error: no crash, no leak, no
 * undefined behaviour, and the invariants below. The first byte picks the
 * options (header mode, delimiter) so both paths are explored. Built with
 * -fsanitize=fuzzer when GN_FUZZ is ON (clang), and always linked into
 * fuzz_csv_replay, which runs the seed corpus as a unit test.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"
#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bug in the reader: stop so the fuzzer records the input. */
static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_error(const gn_err *err, gn_status st)
{
    check(st == GN_ERR_DATA || st == GN_ERR_LIMIT || st == GN_ERR_INVALID || st == GN_ERR_NOMEM);
    check(err->status == st);
    check(err->msg[0] != '\0');
    check(strncmp(err->msg, "fuzz.csv", 8) == 0 || st == GN_ERR_NOMEM || st == GN_ERR_INVALID);
}

/* The raw reader: every record's fields are NUL-free and bounded. */
static void run_reader(const uint8_t *data, size_t size, char delim)
{
    gn_csv *r = NULL;
    gn_err err;
    size_t n, i, len;
    int64_t last_row = 0;
    gn_status st = gn_csv_open_mem(data, size, "fuzz.csv", delim, &r, &err);

    if (st != GN_OK) {
        check(r == NULL);
        return;
    }
    for (;;) {
        st = gn_csv_next(r, &n, &err);
        if (st != GN_OK) {
            check_error(&err, st);
            break;
        }
        if (n == 0)
            break;
        check(n <= GN_CSV_MAX_COLS);
        check(gn_csv_row(r) > last_row);
        last_row = gn_csv_row(r);
        for (i = 0; i < n; i++) {
            const char *f = gn_csv_field(r, i, &len);
            check(f != NULL && len <= GN_CSV_MAX_CELL && strlen(f) == len);
        }
        check(gn_csv_field(r, n, NULL) == NULL);
    }
    gn_csv_free(r);
}

/* The table source: columns are named and typed, numeric cells finite. */
static void run_source(const uint8_t *data, size_t size, int header, char delim)
{
    gn_dataset_options o;
    gn_table_source *src = NULL;
    gn_table_chunk k;
    gn_err err;
    gn_status st;
    size_t c, r, total = 0;

    memset(&o, 0, sizeof o);
    o.header = header;
    o.delimiter = delim;
    st = gn_data_csv_source_mem(data, size, "fuzz.csv", &o, &src, &err);
    if (st != GN_OK) {
        check(src == NULL);
        check_error(&err, st);
        return;
    }
    check(src->n_cols >= 1 && src->n_cols <= GN_CSV_MAX_COLS);
    for (c = 0; c < src->n_cols; c++) {
        check(src->cols[c].name && src->cols[c].name[0]);
        check(src->cols[c].type == GN_COL_NUMERIC || src->cols[c].type == GN_COL_CATEGORICAL);
    }
    if (gn_table_chunk_init(&k, src->cols, src->n_cols, 64, &err) == GN_OK) {
        for (;;) {
            st = src->next(src, &k, &err);
            /* the first read checked everything: the second never fails
             * except for memory */
            check(st == GN_OK || st == GN_ERR_NOMEM);
            if (st != GN_OK || k.n_rows == 0)
                break;
            total += k.n_rows;
            for (c = 0; c < k.n_cols; c++)
                for (r = 0; r < k.n_rows; r++)
                    check(k.cols[c].type == GN_COL_NUMERIC ? isfinite(k.num[c][r]) != 0
                                                           : k.text[c][r] != NULL);
        }
        gn_table_chunk_destroy(&k);
    }
    (void)total;
    gn_table_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[4] = {0, ',', ';', '\t'};
    int header = GN_HEADER_DETECT;
    char delim = 0;

    if (size > 0 && data[0] >= 0xF0) {
        /* an options byte: 0xF0 | header << 2 | delimiter */
        header = (data[0] >> 2) & 3;
        if (header > GN_HEADER_NO)
            header = GN_HEADER_DETECT;
        delim = delims[data[0] & 3];
        data++;
        size--;
    }
    run_reader(data, size, delim);
    run_source(data, size, header, delim);
    return 0;
}
