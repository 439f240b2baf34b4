/*
 * data/csv.h - a streaming RFC 4180 CSV reader.
 *
 * Reads a file (or a buffer) one record at a time without loading it whole:
 * quoted fields with "" escapes and embedded line breaks, CRLF, LF or CR
 * line ends, a leading UTF-8 byte order mark (skipped). The delimiter is
 * ',', ';' or tab, given or detected from the first line. Every byte is
 * checked: invalid UTF-8 and NUL bytes are errors naming the byte offset.
 * Completely empty lines are skipped (they still count as rows, as a
 * spreadsheet numbers them).
 *
 * Errors are GN_ERR_DATA (malformed input), GN_ERR_LIMIT (a limit below),
 * GN_ERR_IO or GN_ERR_NOMEM; messages start with the source name and give
 * the row (1-based) and, where there is one, the column (1-based).
 */
#ifndef GN_DATA_CSV_H
#define GN_DATA_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define GN_CSV_MAX_BYTES ((int64_t)2 << 30) /* 2 GiB */
#define GN_CSV_MAX_COLS 4096
#define GN_CSV_MAX_CELL 65536               /* bytes */
#define GN_CSV_MAX_ROWS 100000000L

typedef struct gn_csv gn_csv;

/* Opens the file at path for reading. delimiter 0 means detect (',' ';'
 * or tab: whichever occurs most often outside quotes on the first line;
 * ',' when none does). A file larger than GN_CSV_MAX_BYTES is refused
 * (GN_ERR_LIMIT) before anything is read. *out is NULL on failure. */
gn_status gn_csv_open_file(const char *path, char delimiter, gn_csv **out, gn_err *err);

/* As gn_csv_open_file over len bytes at data (borrowed: they must outlive
 * the reader); name is used in messages. */
gn_status gn_csv_open_mem(const void *data, size_t len, const char *name, char delimiter,
                          gn_csv **out, gn_err *err);

void gn_csv_free(gn_csv *r); /* NULL is a no-op */

/* Reads the next record. *n is its number of fields (>= 1), or 0 at the end
 * of the input. The fields stay valid until the next call. */
gn_status gn_csv_next(gn_csv *r, size_t *n, gn_err *err);

/* Field i (0-based) of the current record, NUL-terminated (a field never
 * holds a NUL byte); its length goes to *len when len is non-NULL.
 * 1 when field i was quoted in the input. */
const char *gn_csv_field(const gn_csv *r, size_t i, size_t *len);
int gn_csv_field_quoted(const gn_csv *r, size_t i);

/* The row number (1-based, blank lines included) of the current record. */
int64_t gn_csv_row(const gn_csv *r);
char gn_csv_delimiter(const gn_csv *r);
const char *gn_csv_name(const gn_csv *r);

/* Starts again from the first record (a file is re-read from disk). */
gn_status gn_csv_rewind(gn_csv *r, gn_err *err);

#endif
