/*
 * test_data.c - datasets: CSV and HDF5 in and out, hashes, versions,
 * archive, classification, bad input, limits, the schema-2 migration.
 * One behaviour per case; every case works on its own database file.
 */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <sqlite3.h>

#include "gn_test.h"

#include "campaign/internal.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "genesis/genesis.h"

/* ---- helpers ------------------------------------------------------------------ */

static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/data-%s", GN_TEST_TMP, name);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* A fresh database for the case. */
static gn_db *fresh_db(const char *name, char *path, size_t size)
{
    char cmd[1200];
    gn_db *db = NULL;
    snprintf(path, size, "%s/data-%s.db", GN_TEST_TMP, name);
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'", path, path, path);
    assert_int_equal(system(cmd), 0);
    if (gn_db_open(path, &db) != GN_OK)
        fail_msg("open %s: %s", path, gn_db_errmsg(db));
    return db;
}

#define assert_ok(db, call)                                                   \
    do {                                                                      \
        gn_status st_ = (call);                                               \
        if (st_ != GN_OK)                                                     \
            fail_msg("%s -> %s: %s", #call, gn_status_str(st_), gn_db_errmsg(db)); \
    } while (0)

/* Imports text written to a file; returns the status. */
static gn_status import_text(gn_db *db, const char *file, const char *text,
                             const gn_dataset_options *o, char **info)
{
    char path[512];
    tmp_path(path, sizeof path, file);
    write_text(path, text);
    return gn_dataset_import(db, path, o, info);
}

static json_t *show(gn_db *db, const char *name, int64_t version, size_t rows)
{
    char *text = NULL;
    json_error_t jerr;
    json_t *j;
    assert_ok(db, gn_dataset_json_rows(db, name, version, rows, &text));
    j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    gn_string_free(text);
    return j;
}

static char *hash_of(gn_db *db, const char *name, int64_t version)
{
    json_t *j = show(db, name, version, 0);
    char *h = strdup(json_string_value(json_object_get(j, "content_hash")));
    json_decref(j);
    return h;
}

static size_t dataset_count(gn_db *db)
{
    char *text = NULL;
    json_error_t jerr;
    json_t *j;
    size_t n;
    assert_ok(db, gn_db_datasets_json_all(db, 1, &text));
    j = json_loads(text, 0, &jerr);
    n = json_array_size(j);
    json_decref(j);
    gn_string_free(text);
    return n;
}

/* Rows in the chunk table, read under the store with plain SQLite. */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void integrity_ok(gn_db *db)
{
    gn_err err;
    if (gn_store_check(db->store, &err) != GN_OK)
        fail_msg("integrity: %s", err.msg);
}

static const char *col_name(json_t *j, size_t i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(j, "columns"), i), "name"));
}

static const char *col_type(json_t *j, size_t i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(j, "columns"), i), "type"));
}

/* ---- CSV round trip ------------------------------------------------------------------ */

static void csv_roundtrip_byte_identical(void **state)
{
    static const char canon[] = "x,y,name\n"
                                "1,2.5,a\n"
                                "3,-0.125,\"b,c\"\n"
                                "280,1e-05,\"say \"\"hi\"\"\"\n"
                                "-7,0.1,\"two\nlines\"\n";
    char db_file[512], out[512], *got, *h1, *h2;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("roundtrip", db_file, sizeof db_file);
    size_t len;
    (void)state;

    o.name = "canon";
    assert_ok(db, import_text(db, "canon.csv", canon, &o, NULL));
    tmp_path(out, sizeof out, "canon-out.csv");
    assert_ok(db, gn_dataset_export(db, "canon", 0, "csv", out));
    got = read_all(out, &len);
    assert_int_equal(len, strlen(canon));
    assert_memory_equal(got, canon, len);
    /* the export imports to the same hash */
    o.name = "canon-again";
    assert_ok(db, gn_dataset_import(db, out, &o, NULL));
    h1 = hash_of(db, "canon", 0);
    h2 = hash_of(db, "canon-again", 0);
    assert_string_equal(h1, h2);
    assert_int_equal(strlen(h1), 64);
    free(h1);
    free(h2);
    free(got);
    gn_db_close(db);
}

/* A quoted CRLF file with a BOM and a semicolon delimiter reads as the
 * plain comma file does, to the same hash. */
static void csv_dialects_same_hash(void **state)
{
    char db_file[512], *h1, *h2, *h3;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("dialects", db_file, sizeof db_file);
    json_t *j;
    (void)state;

    o.name = "plain";
    assert_ok(db, import_text(db, "plain.csv", "a,b\n1,x y\n2,z\n", &o, NULL));
    o.name = "crlf";
    assert_ok(db, import_text(db, "crlf.csv", "\xEF\xBB\xBF\"a\";b\r\n1;\"x y\"\r\n\r\n2;z", &o, NULL));
    o.name = "tab";
    assert_ok(db, import_text(db, "tab.csv", "a\tb\n1\tx y\n2\tz\n", &o, NULL));
    h1 = hash_of(db, "plain", 0);
    h2 = hash_of(db, "crlf", 0);
    h3 = hash_of(db, "tab", 0);
    assert_string_equal(h1, h2);
    assert_string_equal(h1, h3);
    j = show(db, "crlf", 0, 10);
    assert_string_equal(col_name(j, 0), "a");
    assert_int_equal(json_integer_value(json_object_get(j, "n_rows")), 2);
    json_decref(j);
    free(h1);
    free(h2);
    free(h3);
    gn_db_close(db);
}

/* ---- HDF5 --------------------------------------------------------------------------- */

static void hdf5_roundtrip_same_hash(void **state)
{
    static const char table[] = "temperature,time,solvent,yield\n"
                                "300,1.5,water,0.25\n"
                                "350.5,10,ethanol,0.75\n"
                                "400,60,\"water, hot\",0.5\n";
    char db_file[512], h5[512], csv[512], *got, *h1, *h2;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("h5roundtrip", db_file, sizeof db_file);
    json_t *j;
    (void)state;

    o.name = "mixed";
    o.title = "A mixed table";
    o.license = "CC-BY-4.0";
    assert_ok(db, import_text(db, "mixed.csv", table, &o, NULL));
    tmp_path(h5, sizeof h5, "mixed.h5");
    assert_ok(db, gn_dataset_export(db, "mixed", 0, "hdf5", h5));
    memset(&o, 0, sizeof o);
    o.name = "mixed-h5";
    assert_ok(db, gn_dataset_import(db, h5, &o, NULL));
    h1 = hash_of(db, "mixed", 0);
    h2 = hash_of(db, "mixed-h5", 0);
    assert_string_equal(h1, h2);
    /* metadata came along as attributes */
    j = show(db, "mixed-h5", 0, 0);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "A mixed table");
    assert_string_equal(json_string_value(json_object_get(j, "license")), "CC-BY-4.0");
    assert_string_equal(col_type(j, 2), "categorical");
    json_decref(j);
    /* and back to the same CSV */
    tmp_path(csv, sizeof csv, "mixed-back.csv");
    assert_ok(db, gn_dataset_export(db, "mixed-h5", 0, "csv", csv));
    got = read_all(csv, NULL);
    assert_string_equal(got, table);
    free(got);
    free(h1);
    free(h2);
    gn_db_close(db);
}

static void hdf5_numeric_roundtrip(void **state)
{
    char db_file[512], h5[512], *h1, *h2;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("h5numeric", db_file, sizeof db_file);
    char src[512];
    (void)state;

    snprintf(src, sizeof src, "%s/tests/fuzz/corpus/csv/benzylation.csv", GN_SOURCE_DIR);
    o.name = "benz";
    assert_ok(db, gn_dataset_import(db, src, &o, NULL));
    tmp_path(h5, sizeof h5, "benz.h5");
    assert_ok(db, gn_dataset_export(db, "benz", 0, "hdf5", h5));
    o.name = "benz-h5";
    assert_ok(db, gn_dataset_import(db, h5, &o, NULL));
    h1 = hash_of(db, "benz", 0);
    h2 = hash_of(db, "benz-h5", 0);
    assert_string_equal(h1, h2);
    free(h1);
    free(h2);
    gn_db_close(db);
}

/* A 2-D integer dataset with a "columns" attribute, written with the HDF5
 * library directly, has the hash of the same table read from CSV. */
static void hdf5_2d_int_with_column_names(void **state)
{
    char db_file[512], h5[512], *h1, *h2;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("h5int", db_file, sizeof db_file);
    int data[3][2] = {{1, 2}, {3, 4}, {-5, 600}};
    const char *names[2] = {"alpha", "beta"};
    hsize_t dims[2] = {3, 2}, n = 2;
    hid_t f, sp, d, st, a, asp;
    json_t *j;
    (void)state;

    tmp_path(h5, sizeof h5, "int2d.h5");
    f = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Screate_simple(2, dims, NULL);
    d = H5Dcreate2(f, "table", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    asp = H5Screate_simple(1, &n, NULL);
    a = H5Acreate2(d, "columns", st, asp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, st, names) >= 0);
    H5Aclose(a);
    H5Sclose(asp);
    H5Tclose(st);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(f);

    o.name = "ints-h5";
    assert_ok(db, gn_dataset_import(db, h5, &o, NULL));
    o.name = "ints-csv";
    assert_ok(db, import_text(db, "ints.csv", "alpha,beta\n1,2\n3,4\n-5,600\n", &o, NULL));
    h1 = hash_of(db, "ints-h5", 0);
    h2 = hash_of(db, "ints-csv", 0);
    assert_string_equal(h1, h2);
    j = show(db, "ints-h5", 0, 5);
    assert_string_equal(col_name(j, 1), "beta");
    assert_near(json_number_value(json_array_get(json_array_get(json_object_get(j, "rows"), 2), 1)),
                600, 0);
    json_decref(j);
    free(h1);
    free(h2);
    gn_db_close(db);
}

/* A compound dataset: float and fixed-length string fields become numeric
 * and categorical columns. */
static void hdf5_compound_fields(void **state)
{
    typedef struct {
        double t;
        char name[8];
        float y;
    } rec_t;
    rec_t recs[2] = {{1.5, "Pd", 0.5f}, {2.5, "Ni", 0.25f}};
    char db_file[512], h5[512], *h1, *h2;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("h5compound", db_file, sizeof db_file);
    hsize_t dim = 2;
    hid_t f, sp, d, ct, s8;
    json_t *j;
    (void)state;

    tmp_path(h5, sizeof h5, "compound.h5");
    s8 = H5Tcopy(H5T_C_S1);
    H5Tset_size(s8, 8);
    ct = H5Tcreate(H5T_COMPOUND, sizeof(rec_t));
    H5Tinsert(ct, "t", HOFFSET(rec_t, t), H5T_NATIVE_DOUBLE);
    H5Tinsert(ct, "catalyst", HOFFSET(rec_t, name), s8);
    H5Tinsert(ct, "y", HOFFSET(rec_t, y), H5T_NATIVE_FLOAT);
    f = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Screate_simple(1, &dim, NULL);
    d = H5Dcreate2(f, "runs", ct, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Dwrite(d, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, recs) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(ct);
    H5Tclose(s8);
    H5Fclose(f);

    o.name = "runs";
    assert_ok(db, gn_dataset_import(db, h5, &o, NULL));
    j = show(db, "runs", 0, 5);
    assert_string_equal(col_name(j, 1), "catalyst");
    assert_string_equal(col_type(j, 0), "numeric");
    assert_string_equal(col_type(j, 1), "categorical");
    assert_string_equal(json_string_value(json_array_get(json_array_get(json_object_get(j, "rows"), 1), 1)),
                        "Ni");
    json_decref(j);
    o.name = "runs-csv";
    assert_ok(db, import_text(db, "runs.csv", "t,catalyst,y\n1.5,Pd,0.5\n2.5,Ni,0.25\n", &o, NULL));
    h1 = hash_of(db, "runs", 0);
    h2 = hash_of(db, "runs-csv", 0);
    assert_string_equal(h1, h2);
    free(h1);
    free(h2);
    gn_db_close(db);
}

static void hdf5_bad_files(void **state)
{
    char db_file[512], path[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("h5bad", db_file, sizeof db_file);
    (void)state;

    o.name = "x";
    tmp_path(path, sizeof path, "not.h5");
    write_text(path, "a,b\n1,2\n");
    assert_int_equal(gn_dataset_import(db, path, &o, NULL), GN_ERR_DATA);
    assert_non_null(strstr(gn_db_errmsg(db), "not an HDF5 file"));
    tmp_path(path, sizeof path, "missing.h5");
    unlink(path);
    assert_int_equal(gn_dataset_import(db, path, &o, NULL), GN_ERR_NOT_FOUND);
    assert_int_equal(dataset_count(db), 0);
    gn_db_close(db);
}

/* ---- header and types --------------------------------------------------------------- */

static void header_detection(void **state)
{
    static const struct {
        const char *text;
        int header_opt;
        const char *first_name;
        long rows;
    } cases[] = {
        {"a,b\n1,2\n3,4\n", GN_HEADER_DETECT, "a", 2},
        {"1,2\n3,4\n", GN_HEADER_DETECT, "col1", 2},
        {"x,1\ny,2\n", GN_HEADER_DETECT, "col1", 2},   /* text over text: data */
        {"id,name\n1,a\n2,b\n", GN_HEADER_DETECT, "id", 2},
        {"a,b\n1,2\n", GN_HEADER_NO, "col1", 2},
        {"1,2\n3,4\n", GN_HEADER_YES, "1", 1},
        {"a,b\n", GN_HEADER_DETECT, "col1", 1},         /* nothing below: data */
        {"a,b\n", GN_HEADER_YES, "a", 0},
    };
    char db_file[512], name[32];
    gn_db *db = fresh_db("header", db_file, sizeof db_file);
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gn_dataset_options o = {0};
        json_t *j;
        snprintf(name, sizeof name, "h%zu", i);
        o.name = name;
        o.header = cases[i].header_opt;
        assert_ok(db, import_text(db, "header.csv", cases[i].text, &o, NULL));
        j = show(db, name, 0, 0);
        if (strcmp(col_name(j, 0), cases[i].first_name) ||
            json_integer_value(json_object_get(j, "n_rows")) != cases[i].rows)
            fail_msg("case %zu: first column '%s', %lld rows", i, col_name(j, 0),
                     (long long)json_integer_value(json_object_get(j, "n_rows")));
        json_decref(j);
    }
    gn_db_close(db);
}

static void type_inference_and_overrides(void **state)
{
    static const char text[] = "id,name,v,code\n1,a,0.5,007\n2,b,1.5,010\n";
    char db_file[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("types", db_file, sizeof db_file);
    const char *over[] = {"code=categorical", "id=categorical"};
    const char *bad1[] = {"nope=numeric"};
    const char *bad2[] = {"id=integer"};
    const char *bad3[] = {"name=numeric"};
    json_t *j;
    (void)state;

    o.name = "inferred";
    assert_ok(db, import_text(db, "types.csv", text, &o, NULL));
    j = show(db, "inferred", 0, 2);
    assert_string_equal(col_type(j, 0), "numeric");
    assert_string_equal(col_type(j, 1), "categorical");
    assert_string_equal(col_type(j, 2), "numeric");
    assert_string_equal(col_type(j, 3), "numeric");
    json_decref(j);

    o.name = "overridden";
    o.column_types = over;
    o.n_column_types = 2;
    assert_ok(db, import_text(db, "types.csv", text, &o, NULL));
    j = show(db, "overridden", 0, 2);
    assert_string_equal(col_type(j, 0), "categorical");
    assert_string_equal(col_type(j, 3), "categorical");
    /* text is kept verbatim: leading zeros survive */
    assert_string_equal(json_string_value(json_array_get(json_array_get(json_object_get(j, "rows"), 0), 3)),
                        "007");
    json_decref(j);

    o.name = "bad";
    o.n_column_types = 1;
    o.column_types = bad1;
    assert_int_equal(import_text(db, "types.csv", text, &o, NULL), GN_ERR_INVALID);
    assert_non_null(strstr(gn_db_errmsg(db), "there is no column 'nope'"));
    o.column_types = bad2;
    assert_int_equal(import_text(db, "types.csv", text, &o, NULL), GN_ERR_INVALID);
    assert_non_null(strstr(gn_db_errmsg(db), "numeric or categorical"));
    o.column_types = bad3;
    assert_int_equal(import_text(db, "types.csv", text, &o, NULL), GN_ERR_DATA);
    assert_non_null(strstr(gn_db_errmsg(db), "row 2, column 'name': 'a' is not a number"));
    assert_int_equal(dataset_count(db), 2);
    gn_db_close(db);
}

/* ---- the bad-input table --------------------------------------------------------------- */

static void bad_input_table(void **state)
{
    static const struct {
        const char *text;
        size_t len;          /* 0: strlen */
        const char *numeric; /* --column X=numeric, or NULL */
        gn_status status;
        const char *message;
    } cases[] = {
        {"a,b,c\n1,2,3\n4,5,6\n7,8\n", 0, NULL, GN_ERR_DATA, "row 4 has 2 fields, expected 3"},
        {"a,b,c\n1,2,3\n4,5,6,7\n", 0, NULL, GN_ERR_DATA, "row 3 has 4 fields, expected 3"},
        {"temperature,p\n1,2\n3,4\nabc,5\n", 0, "temperature=numeric", GN_ERR_DATA,
         "row 4, column 'temperature': 'abc' is not a number"},
        {"t,p\n1,2\nNaN,3\n", 0, NULL, GN_ERR_DATA, "row 3, column 't': 'NaN' is not a finite number"},
        {"t,p\n1,2\n2,-inf\n", 0, NULL, GN_ERR_DATA, "row 3, column 'p': '-inf' is not a finite number"},
        {"t,p\n1,2\n,3\n", 0, NULL, GN_ERR_DATA, "row 3, column 't': the cell is empty"},
        {"a,b\n1,\xff\n", 0, NULL, GN_ERR_DATA, "invalid UTF-8 at byte offset 6 (row 2)"},
        {"a,b\n1,\xc3\x28\n", 0, NULL, GN_ERR_DATA, "invalid UTF-8 at byte offset 7 (row 2)"},
        {"a,b\n1,\xe2\x82", 0, NULL, GN_ERR_DATA, "the input ends inside a character"},
        {"a,b\n1,2\0\n", 9, NULL, GN_ERR_DATA, "a NUL byte at byte offset 7 (row 2)"},
        {"a,b\n1,\"x\n", 0, NULL, GN_ERR_DATA, "row 2, column 2: a quoted field is not closed"},
        {"a,b\n1,\"x\"y\n", 0, NULL, GN_ERR_DATA,
         "row 2, column 2: unexpected character after the closing quote"},
        {"a,a\n1,2\n", 0, NULL, GN_ERR_DATA, "column 1 and column 2 are both named 'a'"},
        {"", 0, NULL, GN_ERR_DATA, "the file holds no rows"},
        {"\n\n", 0, NULL, GN_ERR_DATA, "the file holds no rows"},
    };
    char db_file[512], name[32];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("bad", db_file, sizeof db_file);
    char path[512];
    size_t i;
    (void)state;

    o.name = "good";
    assert_ok(db, import_text(db, "good.csv", "a,b\n1,2\n", &o, NULL));
    tmp_path(path, sizeof path, "bad.csv");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *over[1];
        gn_status st;
        memset(&o, 0, sizeof o);
        snprintf(name, sizeof name, "bad%zu", i);
        o.name = name;
        if (cases[i].numeric) {
            over[0] = cases[i].numeric;
            o.column_types = over;
            o.n_column_types = 1;
        }
        write_bytes(path, cases[i].text, cases[i].len ? cases[i].len : strlen(cases[i].text));
        st = gn_dataset_import(db, path, &o, NULL);
        if (st != cases[i].status || !strstr(gn_db_errmsg(db), cases[i].message))
            fail_msg("case %zu: %s: '%s', wanted '%s'", i, gn_status_str(st), gn_db_errmsg(db),
                     cases[i].message);
        /* the message starts with the file */
        assert_non_null(strstr(gn_db_errmsg(db), "bad.csv"));
        assert_int_equal(dataset_count(db), 1);
        integrity_ok(db);
    }
    assert_int_equal(raw_int(db_file, "SELECT count(*) FROM dataset_chunks"), 1);
    gn_db_close(db);
}

static void limits_columns_and_cells(void **state)
{
    char db_file[512], path[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("limits", db_file, sizeof db_file);
    size_t n = 4097 * 3 + 70000 + 16, i;
    char *text = malloc(n), *p;
    (void)state;

    assert_non_null(text);
    o.name = "wide";
    tmp_path(path, sizeof path, "wide.csv");
    p = text;
    for (i = 0; i < 4097; i++)
        p += sprintf(p, "%s1", i ? "," : "");
    *p++ = '\n';
    write_bytes(path, text, (size_t)(p - text));
    assert_int_equal(gn_dataset_import(db, path, &o, NULL), GN_ERR_LIMIT);
    assert_non_null(strstr(gn_db_errmsg(db), "row 1 has more than 4096 columns (the limit)"));

    /* 4096 columns are fine */
    p = text;
    for (i = 0; i < 4096; i++)
        p += sprintf(p, "%s%zu", i ? "," : "", i);
    *p++ = '\n';
    write_bytes(path, text, (size_t)(p - text));
    assert_ok(db, gn_dataset_import(db, path, &o, NULL));

    o.name = "longcell";
    p = text;
    p += sprintf(p, "a,b\n1,");
    memset(p, 'x', 65537);
    p += 65537;
    *p++ = '\n';
    write_bytes(path, text, (size_t)(p - text));
    assert_int_equal(gn_dataset_import(db, path, &o, NULL), GN_ERR_LIMIT);
    assert_non_null(strstr(gn_db_errmsg(db), "row 2, column 2: a cell is longer than 65536 bytes"));
    assert_int_equal(dataset_count(db), 1);
    free(text);
    gn_db_close(db);
}

/* A file over 2 GiB is refused before it is read: a sparse file costs no disk. */
static void file_over_2gib_refused(void **state)
{
    char db_file[512], path[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("huge", db_file, sizeof db_file);
    int fd;
    (void)state;

    tmp_path(path, sizeof path, "huge.csv");
    fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(truncate(path, ((off_t)2 << 30) + 1), 0);
    o.name = "huge";
    assert_int_equal(gn_dataset_import(db, path, &o, NULL), GN_ERR_LIMIT);
    assert_non_null(strstr(gn_db_errmsg(db), "larger than the limit of 2 GiB"));
    assert_int_equal(dataset_count(db), 0);
    unlink(path);
    gn_db_close(db);
}

/* ---- scale and atomicity ------------------------------------------------------------------ */

typedef struct count_ctx {
    int64_t rows;
    double sum;
    int bad;
} count_ctx;

static gn_status count_sink(void *ctx, const gn_table_chunk *k, int64_t first, gn_err *err)
{
    count_ctx *c = ctx;
    size_t r;
    (void)err;
    if (first != c->rows)
        c->bad = 1;
    for (r = 0; r < k->n_rows; r++) {
        if (k->num[0][r] != (double)(first + (int64_t)r + 1))
            c->bad = 1;
        c->sum += k->num[1][r];
    }
    c->rows += (int64_t)k->n_rows;
    return GN_OK;
}

static void large_import_200k_rows(void **state)
{
    char db_file[512], path[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("large", db_file, sizeof db_file);
    gn_dataset_rec rec;
    gn_table_col *cols = NULL;
    size_t n_cols = 0;
    count_ctx cc = {0, 0, 0};
    gn_err err;
    FILE *f;
    long i;
    (void)state;

    tmp_path(path, sizeof path, "large.csv");
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "n,x,label\n");
    for (i = 1; i <= 200000; i++)
        fprintf(f, "%ld,%.6f,l%ld\n", i, 0.5, i % 7);
    fclose(f);
    o.name = "large";
    assert_ok(db, gn_dataset_import(db, path, &o, NULL));
    memset(&rec, 0, sizeof rec);
    assert_int_equal(gn_store_dataset_get(db->store, "large", 0, &rec, &err), GN_OK);
    assert_int_equal(rec.n_rows, 200000);
    assert_int_equal(gn_table_cols_parse(rec.columns, &cols, &n_cols, &err), GN_OK);
    assert_int_equal(gn_data_read(db->store, &rec, cols, n_cols, count_sink, &cc, &err), GN_OK);
    assert_int_equal(cc.rows, 200000);
    assert_false(cc.bad);
    assert_near(cc.sum, 100000.0, 1e-6);
    /* a few dozen chunks, not 200k rows */
    assert_true(raw_int(db_file, "SELECT count(*) FROM dataset_chunks") < 100);
    gn_table_cols_free(cols, n_cols);
    gn_dataset_rec_free(&rec);
    gn_db_close(db);
}

/* A source that fails after some chunks: nothing of it stays. */
static gn_status failing_next(gn_table_source *src, gn_table_chunk *k, gn_err *err)
{
    long *calls = src->impl;
    gn_table_chunk_clear(k);
    if (++*calls > 5)
        return gn_err_set(err, GN_ERR_IO, "the disk went away");
    for (k->n_rows = 0; k->n_rows < k->cap; k->n_rows++)
        k->num[0][k->n_rows] = (double)k->n_rows;
    return GN_OK;
}

static void failure_midway_leaves_nothing(void **state)
{
    char db_file[512];
    gn_db *db = fresh_db("midway", db_file, sizeof db_file);
    gn_table_col col = {(char *)"x", GN_COL_NUMERIC};
    gn_table_source src;
    gn_dataset_rec rec;
    long calls = 0;
    gn_err err;
    (void)state;

    memset(&src, 0, sizeof src);
    src.cols = &col;
    src.n_cols = 1;
    src.next = failing_next;
    src.impl = &calls;
    memset(&rec, 0, sizeof rec);
    rec.name = (char *)"midway";
    assert_int_equal(gn_data_store(db->store, &rec, &src, &err), GN_ERR_IO);
    assert_non_null(strstr(err.msg, "the disk went away"));
    assert_true(calls > 5);
    assert_int_equal(rec.id, 0);
    assert_int_equal(dataset_count(db), 0);
    assert_int_equal(raw_int(db_file, "SELECT count(*) FROM dataset_chunks"), 0);
    integrity_ok(db);
    gn_db_close(db);
}

/* ---- versions, archive, classification ------------------------------------------------------ */

static void versioning(void **state)
{
    char db_file[512], *info = NULL;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("versions", db_file, sizeof db_file);
    json_t *j;
    json_error_t jerr;
    (void)state;

    o.name = "runs";
    assert_ok(db, import_text(db, "v1.csv", "a,b\n1,2\n", &o, &info));
    j = json_loads(info, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    json_decref(j);
    gn_string_free(info);
    assert_ok(db, import_text(db, "v2.csv", "a,b\n1,2\n3,4\n", &o, NULL));
    j = show(db, "runs", 0, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "n_rows")), 2);
    json_decref(j);
    j = show(db, "runs", 1, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "n_rows")), 1);
    json_decref(j);
    /* the same content as the latest: refused, nothing written */
    assert_int_equal(import_text(db, "v2.csv", "a,b\n1,2\n3,4\n", &o, NULL), GN_ERR_EXISTS);
    assert_non_null(strstr(gn_db_errmsg(db), "dataset 'runs' version 2 has the same content"));
    assert_int_equal(dataset_count(db), 2);
    /* the same as an older version is a new version */
    assert_ok(db, import_text(db, "v1.csv", "a,b\n1,2\n", &o, NULL));
    j = show(db, "runs", 0, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
    json_decref(j);
    assert_int_equal(gn_dataset_json(db, "runs", 9, &info), GN_ERR_NOT_FOUND);
    assert_non_null(strstr(gn_db_errmsg(db), "dataset 'runs' has no version 9"));
    assert_int_equal(gn_dataset_json(db, "nope", 0, &info), GN_ERR_NOT_FOUND);
    assert_non_null(strstr(gn_db_errmsg(db), "no dataset named 'nope'"));
    integrity_ok(db);
    gn_db_close(db);
}

static void archive(void **state)
{
    char db_file[512], *text = NULL;
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("archive", db_file, sizeof db_file);
    json_t *j;
    json_error_t jerr;
    (void)state;

    o.name = "old";
    assert_ok(db, import_text(db, "a1.csv", "a\n1\n", &o, NULL));
    assert_ok(db, import_text(db, "a2.csv", "a\n2\n", &o, NULL));
    o.name = "kept";
    assert_ok(db, import_text(db, "a3.csv", "a\n3\n", &o, NULL));
    assert_ok(db, gn_dataset_archive(db, "old"));
    assert_ok(db, gn_db_datasets_json(db, &text));
    j = json_loads(text, 0, &jerr);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")), "kept");
    json_decref(j);
    gn_string_free(text);
    assert_int_equal(dataset_count(db), 3);
    /* still readable */
    j = show(db, "old", 1, 1);
    assert_true(json_is_true(json_object_get(j, "archived")));
    json_decref(j);
    assert_int_equal(gn_dataset_archive(db, "old"), GN_ERR_STATE);
    assert_non_null(strstr(gn_db_errmsg(db), "archived already"));
    assert_int_equal(gn_dataset_archive(db, "ghost"), GN_ERR_NOT_FOUND);
    gn_db_close(db);
}

static void classification_and_provenance(void **state)
{
    static const char *const labels[] = {"public", "internal", "controlled", "restricted"};
    char db_file[512], name[32], text[32];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("classification", db_file, sizeof db_file);
    json_t *j;
    size_t i;
    (void)state;

    o.name = "secret";
    o.classification = "secret";
    assert_int_equal(import_text(db, "c.csv", "a\n1\n", &o, NULL), GN_ERR_INVALID);
    assert_non_null(strstr(gn_db_errmsg(db), "classification 'secret' is not one of public, "
                                             "internal, controlled, restricted"));
    for (i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "c%zu", i);
        snprintf(text, sizeof text, "a\n%zu\n", i);
        o.name = name;
        o.classification = labels[i];
        o.project = i ? "fusion" : NULL;
        o.user = i ? "ada" : NULL;
        assert_ok(db, import_text(db, "c.csv", text, &o, NULL));
        j = show(db, name, 0, 0);
        assert_string_equal(json_string_value(json_object_get(j, "classification")), labels[i]);
        assert_string_equal(json_string_value(json_object_get(j, "project")), i ? "fusion" : "default");
        if (i)
            assert_string_equal(json_string_value(json_object_get(j, "imported_by")), "ada");
        else
            assert_true(strlen(json_string_value(json_object_get(j, "imported_by"))) > 0);
        json_decref(j);
    }
    o.name = "dflt";
    o.classification = NULL;
    assert_ok(db, import_text(db, "c.csv", "a\n9\n", &o, NULL));
    j = show(db, "dflt", 0, 0);
    assert_string_equal(json_string_value(json_object_get(j, "classification")), "internal");
    json_decref(j);
    gn_db_close(db);
}

static void name_validation(void **state)
{
    static const char *const bad[] = {"", "-x", ".hidden", "a b", "a/b", "é"};
    char db_file[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("names", db_file, sizeof db_file);
    size_t i;
    (void)state;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.name = bad[i];
        assert_int_equal(import_text(db, "n.csv", "a\n1\n", &o, NULL), GN_ERR_INVALID);
    }
    o.name = "Olympus_agnp-2.v1";
    assert_ok(db, import_text(db, "n.csv", "a\n1\n", &o, NULL));
    gn_db_close(db);
}

/* ---- store schema ---------------------------------------------------------------------------- */

/* A database written by the schema-1 genesis (tests/data/fixtures/
 * schema-v1.db: campaign 'legacy', two experiments, one observed) is
 * upgraded in place and keeps everything. */
static void migration_from_schema1(void **state)
{
    char db_file[512], cmd[2048];
    gn_dataset_options o = {0};
    gn_campaign *c = NULL;
    gn_db *db = NULL;
    long done = 0;
    (void)state;

    snprintf(db_file, sizeof db_file, "%s/data-migrate.db", GN_TEST_TMP);
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm' && cp '%s/tests/data/fixtures/schema-v1.db' '%s'",
             db_file, db_file, db_file, GN_SOURCE_DIR, db_file);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(raw_int(db_file, "PRAGMA user_version"), 1);
    assert_int_equal(gn_db_open(db_file, &db), GN_OK);
    assert_int_equal(raw_int(db_file, "PRAGMA user_version"), GN_STORE_SCHEMA_VERSION);
    assert_ok(db, gn_campaign_open(db, "legacy", &c));
    assert_int_equal(gn_campaign_finished_count(c, &done), GN_OK);
    assert_int_equal(done, 1);
    gn_campaign_close(c);
    assert_int_equal(raw_int(db_file, "SELECT count(*) FROM experiments"), 2);
    o.name = "after";
    assert_ok(db, import_text(db, "m.csv", "a,b\n1,2\n", &o, NULL));
    assert_int_equal(dataset_count(db), 1);
    integrity_ok(db);
    gn_db_close(db);
    /* opening again changes nothing */
    assert_int_equal(gn_db_open(db_file, &db), GN_OK);
    assert_int_equal(dataset_count(db), 1);
    gn_db_close(db);
}

/* ---- campaign results ------------------------------------------------------------------------- */

static void campaign_export_hdf5(void **state)
{
    static const char spec[] = "name: h5c\n"
                               "parameters:\n"
                               "  - {name: x, type: real, low: 0, high: 1}\n"
                               "  - {name: cat, type: choice, values: [Pd, Ni]}\n"
                               "objectives:\n"
                               "  - {name: y, goal: minimize}\n"
                               "planner: {strategy: sobol, seed: 5}\n"
                               "budget: {experiments: 4}\n";
    char db_file[512], h5[512];
    gn_dataset_options o = {0};
    gn_db *db = fresh_db("campaign", db_file, sizeof db_file);
    gn_campaign *c = NULL;
    int64_t ids[2];
    double x[4];
    size_t got;
    const char *names[] = {"y", "extra"};
    double vals[2] = {0.25, 7};
    json_t *j;
    (void)state;

    assert_ok(db, gn_campaign_create_from_text(db, spec, strlen(spec), &c));
    assert_int_equal(gn_campaign_ask(c, 2, ids, x, NULL, NULL, &got), GN_OK);
    assert_int_equal(got, 2);
    assert_int_equal(gn_campaign_tell(c, ids[0], 2, names, vals), GN_OK);
    vals[0] = 0.5;
    assert_int_equal(gn_campaign_tell(c, ids[1], 2, names, vals), GN_OK);
    tmp_path(h5, sizeof h5, "campaign.h5");
    if (gn_campaign_export_hdf5(c, h5) != GN_OK)
        fail_msg("%s", gn_campaign_errmsg(c));
    assert_int_equal(gn_campaign_export_hdf5(c, NULL), GN_ERR_INVALID);
    gn_campaign_close(c);

    o.name = "h5c-results";
    o.hdf5_dataset = "experiments";
    assert_ok(db, gn_dataset_import(db, h5, &o, NULL));
    j = show(db, "h5c-results", 0, 5);
    assert_int_equal(json_integer_value(json_object_get(j, "n_rows")), 2);
    assert_string_equal(col_name(j, 0), "number");
    assert_string_equal(col_name(j, 1), "status");
    assert_string_equal(col_name(j, 2), "x");
    assert_string_equal(col_name(j, 3), "cat");
    assert_string_equal(col_type(j, 3), "categorical");
    assert_string_equal(col_name(j, 4), "y");
    assert_string_equal(col_name(j, 5), "extra");
    assert_string_equal(json_string_value(json_array_get(json_array_get(json_object_get(j, "rows"), 0), 1)),
                        "completed");
    assert_near(json_number_value(json_array_get(json_array_get(json_object_get(j, "rows"), 1), 4)), 0.5,
                0);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "h5c");
    json_decref(j);
    gn_db_close(db);
}

/* ---- the reader on its own ------------------------------------------------------------------- */

static void csv_reader_fields_and_rows(void **state)
{
    static const char text[] = "\xEF\xBB\xBF"
                               "a,\"b \"\"q\"\"\",c\r\n"
                               "\n"
                               "1,\"x\r\ny\",\n";
    gn_csv *r = NULL;
    size_t n, len;
    gn_err err;
    (void)state;

    assert_int_equal(gn_csv_open_mem(text, strlen(text), "mem", 0, &r, &err), GN_OK);
    assert_int_equal(gn_csv_delimiter(r), ',');
    assert_int_equal(gn_csv_next(r, &n, &err), GN_OK);
    assert_int_equal(n, 3);
    assert_string_equal(gn_csv_field(r, 0, &len), "a");
    assert_string_equal(gn_csv_field(r, 1, &len), "b \"q\"");
    assert_int_equal(len, 5);
    assert_true(gn_csv_field_quoted(r, 1));
    assert_int_equal(gn_csv_next(r, &n, &err), GN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(gn_csv_row(r), 3); /* the blank line counts */
    assert_string_equal(gn_csv_field(r, 1, NULL), "x\r\ny");
    assert_string_equal(gn_csv_field(r, 2, &len), "");
    assert_int_equal(gn_csv_next(r, &n, &err), GN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(gn_csv_rewind(r, &err), GN_OK);
    assert_int_equal(gn_csv_next(r, &n, &err), GN_OK);
    assert_string_equal(gn_csv_field(r, 0, NULL), "a");
    gn_csv_free(r);
}

static void number_formats(void **state)
{
    static const double vals[] = {280, 0.1, 1e-05, -0.125, 1e20, 123456789012, 2.5e-300, 1.0 / 3};
    char buf[40];
    size_t i;
    double v;
    (void)state;

    gn_num_format_short(280, buf, sizeof buf);
    assert_string_equal(buf, "280");
    gn_num_format_short(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    gn_num_format_short(123456789012, buf, sizeof buf);
    assert_string_equal(buf, "123456789012");
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        gn_num_format_short(vals[i], buf, sizeof buf);
        assert_true(strtod(buf, NULL) == vals[i]);
    }
    assert_int_equal(gn_cell_classify(" 1.5 ", 5, &v), GN_CELL_FINITE);
    assert_int_equal(gn_cell_classify("0x10", 4, &v), GN_CELL_TEXT);
    assert_int_equal(gn_cell_classify("inf", 3, &v), GN_CELL_NONFINITE);
    assert_int_equal(gn_cell_classify("  ", 2, &v), GN_CELL_EMPTY);
    assert_int_equal(gn_cell_classify("1,5", 3, &v), GN_CELL_TEXT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(csv_roundtrip_byte_identical),
    cmocka_unit_test(csv_dialects_same_hash),
    cmocka_unit_test(hdf5_roundtrip_same_hash),
    cmocka_unit_test(hdf5_numeric_roundtrip),
    cmocka_unit_test(hdf5_2d_int_with_column_names),
    cmocka_unit_test(hdf5_compound_fields),
    cmocka_unit_test(hdf5_bad_files),
    cmocka_unit_test(header_detection),
    cmocka_unit_test(type_inference_and_overrides),
    cmocka_unit_test(bad_input_table),
    cmocka_unit_test(limits_columns_and_cells),
    cmocka_unit_test(file_over_2gib_refused),
    cmocka_unit_test(large_import_200k_rows),
    cmocka_unit_test(failure_midway_leaves_nothing),
    cmocka_unit_test(versioning),
    cmocka_unit_test(archive),
    cmocka_unit_test(classification_and_provenance),
    cmocka_unit_test(name_validation),
    cmocka_unit_test(migration_from_schema1),
    cmocka_unit_test(campaign_export_hdf5),
    cmocka_unit_test(csv_reader_fields_and_rows),
    cmocka_unit_test(number_formats),
};

GN_TEST_MAIN(tests)
