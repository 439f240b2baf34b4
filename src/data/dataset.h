/*
 * data/dataset.h - tables in memory and in the store (internal).
 *
 * A table is a list of typed columns and rows. It moves in chunks
 * (gn_table_chunk: a few thousand rows, column by column) from a source
 * (a CSV or HDF5 reader) through the hash and the chunk encoding into the
 * store, and back out of the store to a sink (CSV, HDF5, JSON). Nothing
 * ever holds the whole table.
 *
 * Chunk encoding (the BLOB in dataset_chunks), little-endian:
 *   u32 n_rows, u32 n_cols, then per column a type byte (0 numeric,
 *   1 categorical) and: numeric: n_rows IEEE-754 doubles (8 bytes each);
 *   categorical: n_rows u32 lengths, then the bytes of the n_rows values.
 *
 * Content hash: BLAKE2b-256 of "genesis-table-1\n", then for each column
 * "<len>:<name><len>:<type>", then "\n", then for each row, for each cell
 * "<len>:<text>" (a number as printf "%.17g") and "\n"; as 64 hex digits.
 */
#ifndef GN_DATA_DATASET_H
#define GN_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "genesis/dataset.h"
#include "store/store.h"

#define GN_DATA_MAX_NAME 128
#define GN_DATA_MAX_COLS 4096
#define GN_DATA_MAX_ROWS 100000000L

typedef enum { GN_COL_NUMERIC = 0, GN_COL_CATEGORICAL = 1 } gn_col_type;

const char *gn_col_type_name(gn_col_type t); /* "numeric" | "categorical" */
int gn_col_type_parse(const char *s, gn_col_type *out); /* 0 ok, -1 unknown */

typedef struct gn_table_col {
    char *name;
    gn_col_type type;
} gn_table_col;

void gn_table_cols_free(gn_table_col *cols, size_t n);
/* The columns as JSON text [{"name", "type"}] (new string) or NULL. */
char *gn_table_cols_json(const gn_table_col *cols, size_t n);
/* Parses columns JSON from the store; GN_ERR_STORE when malformed. */
gn_status gn_table_cols_parse(const char *json, gn_table_col **cols, size_t *n, gn_err *err);

/* Up to `cap` rows of a table, column by column: num[c][r] for numeric
 * columns, text[c][r] (owned, NUL-terminated) for categorical ones. */
typedef struct gn_table_chunk {
    const gn_table_col *cols; /* borrowed */
    size_t n_cols, n_rows, cap;
    double **num;
    char ***text;
    size_t text_bytes; /* sum of text lengths held */
} gn_table_chunk;

gn_status gn_table_chunk_init(gn_table_chunk *k, const gn_table_col *cols, size_t n_cols,
                              size_t cap, gn_err *err);
void gn_table_chunk_destroy(gn_table_chunk *k);
void gn_table_chunk_clear(gn_table_chunk *k); /* back to 0 rows */
/* Stores a copy of text s (len bytes) in row r, column c. */
gn_status gn_table_chunk_set_text(gn_table_chunk *k, size_t r, size_t c, const char *s, size_t len,
                                  gn_err *err);
/* Rows per chunk for a table of n_cols columns (about 256k cells). */
size_t gn_table_chunk_rows(size_t n_cols);

/* Encodes the chunk into sb (replacing its contents). */
gn_status gn_table_chunk_encode(const gn_table_chunk *k, gn_strbuf *sb, gn_err *err);
/* Decodes a stored chunk of n_rows rows into k (initialised with the
 * table's columns and a cap >= n_rows, else it grows); GN_ERR_STORE when
 * the bytes do not match the columns. */
gn_status gn_table_chunk_decode(gn_table_chunk *k, const void *data, size_t size, int64_t n_rows,
                                gn_err *err);

typedef struct gn_table_hash {
    crypto_generichash_state st;
} gn_table_hash;

void gn_table_hash_init(gn_table_hash *h, const gn_table_col *cols, size_t n_cols);
void gn_table_hash_chunk(gn_table_hash *h, const gn_table_chunk *k);
void gn_table_hash_final(gn_table_hash *h, char hex[65]);

/* Numbers as text: "%.17g" (hash) and the shortest "%.Ng" that reads back
 * to the same double (exports). buf: at least 32 bytes. */
void gn_num_format17(double v, char *buf, size_t size);
void gn_num_format_short(double v, char *buf, size_t size);

/* What a cell looks like: a finite number (*v set), a non-finite one
 * (nan, inf), an empty cell, or text. Surrounding spaces are ignored;
 * hexadecimal is text. */
typedef enum { GN_CELL_FINITE, GN_CELL_NONFINITE, GN_CELL_EMPTY, GN_CELL_TEXT } gn_cell_kind;
gn_cell_kind gn_cell_classify(const char *s, size_t len, double *v);

/* Copies at most ~40 bytes of s for a message (cut at a character
 * boundary, "..." appended when cut) into buf. */
void gn_cell_excerpt(const char *s, size_t len, char *buf, size_t size);

/* A table to import: columns known up front, rows in chunks. */
typedef struct gn_table_source gn_table_source;
struct gn_table_source {
    gn_table_col *cols; /* owned */
    size_t n_cols;
    /* metadata found in the file (HDF5 attributes); owned, may be NULL */
    char *title, *source, *license, *doi;
    /* Fills k (cleared, cap rows) with the next rows; 0 rows at the end. */
    gn_status (*next)(gn_table_source *src, gn_table_chunk *k, gn_err *err);
    void (*free)(gn_table_source *src); /* frees impl only */
    void *impl;
    /* CSV: whether a header row was used and the delimiter; else -1 / 0 */
    int header;
    char delimiter;
};

void gn_table_source_free(gn_table_source *src); /* NULL is a no-op */

/* Validates a dataset name (letters, digits, '.', '_', '-'; 1..128; not
 * starting with '-' or '.'). */
gn_status gn_data_name_check(const char *name, gn_err *err);

/* Opens a CSV file as a table source: reads it once to find the header,
 * the delimiter and the column types and to check every cell; rows come on
 * the second read. */
gn_status gn_data_csv_source(const char *path, const gn_dataset_options *o, gn_table_source **out,
                             gn_err *err);
/* Same over bytes in memory (the fuzz target). */
gn_status gn_data_csv_source_mem(const void *data, size_t len, const char *name,
                                 const gn_dataset_options *o, gn_table_source **out, gn_err *err);

/* hdf5.c: opens a 2-D numeric or compound dataset in an HDF5 file. */
gn_status gn_data_hdf5_source(const char *path, const gn_dataset_options *o,
                              gn_table_source **out, gn_err *err);

/* Stores src as a new version of rec->name (metadata from rec) in one
 * transaction, computing the content hash on the way; rec gets id,
 * version, n_rows, n_cols, columns, content_hash, imported_at. */
gn_status gn_data_store(gn_store *s, gn_dataset_rec *rec, gn_table_source *src, gn_err *err);

/* Reads a stored dataset back: calls sink with each decoded chunk (its
 * first row's index). A sink returning GN_ERR_INTERRUPTED stops the read
 * early with GN_OK. */
typedef gn_status (*gn_table_sink)(void *ctx, const gn_table_chunk *k, int64_t first_row,
                                   gn_err *err);
gn_status gn_data_read(gn_store *s, const gn_dataset_rec *rec, const gn_table_col *cols,
                       size_t n_cols, gn_table_sink sink, void *ctx, gn_err *err);

/* Writes a stored dataset as CSV to out. */
gn_status gn_data_export_csv(gn_store *s, const gn_dataset_rec *rec, FILE *out, gn_err *err);

/* hdf5.c: writes a stored dataset to an HDF5 file at path (complete or
 * not at all). */
gn_status gn_data_export_hdf5(gn_store *s, const gn_dataset_rec *rec, const char *path,
                              gn_err *err);

/* hdf5.c: writes an in-memory table (one chunk holding every row) to an
 * HDF5 file: dataset `dset` with string attributes attr_names/values. */
gn_status gn_data_hdf5_write_table(const char *path, const char *dset, const gn_table_chunk *k,
                                   const char *const *attr_names, const char *const *attr_values,
                                   size_t n_attrs, gn_err *err);

#endif
