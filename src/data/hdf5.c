/*
 * data/hdf5.c - tables in HDF5 files: import and export.
 *
 * Import reads one dataset of the file:
 *  - a 1-D or 2-D dataset of integers or floats: each column becomes a
 *    numeric column, named from a string-array attribute "columns" when
 *    there is one (else col1, col2, ...);
 *  - a 1-D compound dataset: each field becomes a column, numeric for
 *    integer and float fields, categorical for string fields.
 * Rows are read in hyperslabs of a few thousand, never all at once.
 *
 * Export writes an all-numeric table as a 2-D float64 dataset "data" with
 * a "columns" attribute, and any other table as a compound dataset "data"
 * (float64 and variable-length UTF-8 string fields); metadata go into
 * string attributes. Files are written under a temporary name and renamed.
 */
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/alloc.h"

_Static_assert(sizeof(char *) <= 8, "a table slot holds a double or a pointer");

/* Silences HDF5's own printing of error stacks: errors are returned. */
static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* 1 when s[0..len) is valid UTF-8 without NUL. */
static int utf8_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need, k;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else
            return 0;
        if (len - i - 1 < need)
            return 0;
        for (k = 1; k <= need; k++) {
            unsigned char d = s[i + k];
            if (d < lo || d > hi)
                return 0;
            lo = 0x80;
            hi = 0xBF;
        }
        i += need + 1;
    }
    return 1;
}

/* ---- attributes ------------------------------------------------------------------ */

/* Reads a scalar string attribute (fixed or variable length) of obj into
 * a new string; *out NULL when there is no such attribute. */
static gn_status attr_string(hid_t obj, const char *name, char **out, gn_err *err)
{
    hid_t a = -1, t = -1, mt = -1, sp = -1;
    gn_status st = GN_OK;

    *out = NULL;
    if (H5Aexists(obj, name) <= 0)
        return GN_OK;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    t = a >= 0 ? H5Aget_type(a) : -1;
    sp = a >= 0 ? H5Aget_space(a) : -1;
    if (t < 0 || sp < 0 || H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1)
        goto out; /* not a single string: ignored */
    if (H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no character sets */
        if (H5Aread(a, mt, &v) >= 0 && v) {
            if (utf8_ok((const unsigned char *)v, strlen(v)))
                *out = gn_strdup(v);
            H5free_memory(v);
        }
    } else {
        size_t size = H5Tget_size(t);
        char *buf = size < 65536 ? gn_calloc(size + 1, 1) : NULL;
        if (buf) {
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, size + 1);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            H5Tset_cset(mt, H5Tget_cset(t));
            if (H5Aread(a, mt, buf) >= 0 && utf8_ok((const unsigned char *)buf, strlen(buf)))
                *out = gn_strdup(buf);
            gn_free(buf);
        }
    }
out:
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    return st;
}

/* Reads a 1-D string-array attribute of n strings into names (new
 * strings); 1 when it was there and usable, 0 otherwise. */
static int attr_names(hid_t obj, const char *name, size_t n, char **names)
{
    hid_t a = -1, t = -1, mt = -1, sp = -1;
    int ok = 0;
    size_t i;

    if (H5Aexists(obj, name) <= 0)
        return 0;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    t = a >= 0 ? H5Aget_type(a) : -1;
    sp = a >= 0 ? H5Aget_space(a) : -1;
    if (t < 0 || sp < 0 || H5Tget_class(t) != H5T_STRING ||
        H5Sget_simple_extent_npoints(sp) != (hssize_t)n)
        goto out;
    if (H5Tis_variable_str(t) > 0) {
        char **v = gn_calloc(n, sizeof *v);
        mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no character sets */
        if (v && H5Aread(a, mt, v) >= 0) {
            ok = 1;
            for (i = 0; i < n; i++) {
                if (ok && v[i] && *v[i] && utf8_ok((const unsigned char *)v[i], strlen(v[i])))
                    names[i] = gn_strdup(v[i]);
                else
                    ok = 0;
                if (v[i])
                    H5free_memory(v[i]);
            }
        }
        gn_free(v);
    } else {
        size_t size = H5Tget_size(t);
        char *buf = size < 65536 && n <= GN_DATA_MAX_COLS ? gn_calloc(n, size + 1) : NULL;
        mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, size + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (buf && H5Aread(a, mt, buf) >= 0) {
            ok = 1;
            for (i = 0; i < n && ok; i++) {
                const char *s = buf + i * (size + 1);
                if (*s && utf8_ok((const unsigned char *)s, strlen(s)))
                    names[i] = gn_strdup(s);
                else
                    ok = 0;
            }
        }
        gn_free(buf);
    }
    for (i = 0; ok && i < n; i++)
        if (!names[i])
            ok = 0;
    if (!ok)
        for (i = 0; i < n; i++) {
            gn_free(names[i]);
            names[i] = NULL;
        }
out:
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    return ok;
}

/* ---- import ------------------------------------------------------------------------- */

/* One column's place in the memory record of a compound read. */
typedef struct h5_field {
    size_t offset;
    int fixed_str;   /* fixed-length string of `size` bytes (+1 for the NUL) */
    size_t size;
    H5T_cset_t cset; /* strings: the file's character set (HDF5 converts none) */
} h5_field;

typedef struct h5_src {
    hid_t file, dset, memtype;
    char *dset_name;
    int compound;
    hsize_t n_rows, next_row;
    size_t rec_size;   /* compound: bytes per memory record */
    h5_field *fields;
    unsigned char *buf;
    char *name;        /* the file, for messages */
} h5_src;

static void h5_src_free(gn_table_source *src)
{
    h5_src *h = src->impl;
    if (!h)
        return;
    if (h->memtype >= 0)
        H5Tclose(h->memtype);
    if (h->dset >= 0)
        H5Dclose(h->dset);
    if (h->file >= 0)
        H5Fclose(h->file);
    gn_free(h->dset_name);
    gn_free(h->fields);
    gn_free(h->buf);
    gn_free(h->name);
    gn_free(h);
    src->impl = NULL;
}

static gn_status nonfinite(const h5_src *h, const gn_table_source *src, hsize_t row, size_t c,
                           double v, gn_err *err)
{
    return gn_err_set(err, GN_ERR_DATA,
                      "%s: dataset '%s': row %llu, column '%s': %s is not a finite number; NaN "
                      "and infinity are not stored",
                      h->name, h->dset_name, (unsigned long long)row + 1, src->cols[c].name,
                      isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
}

static gn_status h5_next(gn_table_source *src, gn_table_chunk *k, gn_err *err)
{
    h5_src *h = src->impl;
    hsize_t start[2] = {h->next_row, 0}, count[2], n;
    hid_t fsp = -1, msp = -1;
    gn_status st = GN_OK;
    size_t r, c;
    int vlen_read = 0;

    gn_table_chunk_clear(k);
    if (h->next_row >= h->n_rows)
        return GN_OK;
    n = h->n_rows - h->next_row;
    if (n > k->cap)
        n = k->cap;
    count[0] = n;
    count[1] = src->n_cols;
    fsp = H5Dget_space(h->dset);
    if (fsp < 0)
        goto h5fail;
    if (h->compound) {
        msp = H5Screate_simple(1, count, NULL);
        if (msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            goto h5fail;
        memset(h->buf, 0, (size_t)n * h->rec_size);
        if (H5Dread(h->dset, h->memtype, msp, fsp, H5P_DEFAULT, h->buf) < 0)
            goto h5fail;
        vlen_read = 1;
        for (r = 0; r < n; r++) {
            const unsigned char *rec = h->buf + r * h->rec_size;
            k->n_rows = r + 1;
            for (c = 0; c < src->n_cols; c++) {
                const h5_field *f = &h->fields[c];
                if (src->cols[c].type == GN_COL_NUMERIC) {
                    double v;
                    memcpy(&v, rec + f->offset, sizeof v);
                    if (!isfinite(v)) {
                        st = nonfinite(h, src, h->next_row + r, c, v, err);
                        goto out;
                    }
                    k->num[c][r] = v;
                } else {
                    const char *s;
                    if (f->fixed_str)
                        s = (const char *)rec + f->offset;
                    else
                        memcpy(&s, rec + f->offset, sizeof s);
                    if (!s)
                        s = "";
                    if (strlen(s) > 65536 || !utf8_ok((const unsigned char *)s, strlen(s))) {
                        st = gn_err_set(err, GN_ERR_DATA,
                                        "%s: dataset '%s': row %llu, column '%s': the text is "
                                        "not valid UTF-8 or longer than 65536 bytes",
                                        h->name, h->dset_name,
                                        (unsigned long long)(h->next_row + r + 1),
                                        src->cols[c].name);
                        goto out;
                    }
                    st = gn_table_chunk_set_text(k, r, c, s, strlen(s), err);
                    if (st != GN_OK)
                        goto out;
                }
            }
        }
    } else {
        double *vals = (double *)(void *)h->buf;
        int rank = H5Sget_simple_extent_ndims(fsp);
        msp = H5Screate_simple(rank, count, NULL);
        if (msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            goto h5fail;
        if (H5Dread(h->dset, H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, vals) < 0)
            goto h5fail;
        for (r = 0; r < n; r++)
            for (c = 0; c < src->n_cols; c++) {
                double v = vals[r * src->n_cols + c];
                if (!isfinite(v)) {
                    st = nonfinite(h, src, h->next_row + r, c, v, err);
                    goto out;
                }
                k->num[c][r] = v;
            }
        k->n_rows = (size_t)n;
    }
    h->next_row += n;
    goto out;
h5fail:
    st = gn_err_set(err, GN_ERR_DATA, "%s: dataset '%s': cannot read rows %llu to %llu", h->name,
                    h->dset_name, (unsigned long long)h->next_row + 1,
                    (unsigned long long)(h->next_row + n));
out:
    if (vlen_read && msp >= 0)
        H5Dvlen_reclaim(h->memtype, msp, H5P_DEFAULT, h->buf);
    if (msp >= 0)
        H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    if (st != GN_OK)
        gn_table_chunk_clear(k);
    return st;
}

/* Names the dataset to read: the option, else "data", else the only
 * dataset in the root group. */
static gn_status pick_dataset(hid_t file, const char *path, const char *want, char **out,
                              gn_err *err)
{
    H5G_info_t info;
    hsize_t i;
    char name[256], found[256];
    int n_found = 0;

    *out = NULL;
    if (want) {
        if (H5Lexists(file, want, H5P_DEFAULT) <= 0)
            return gn_err_set(err, GN_ERR_NOT_FOUND, "%s: there is no dataset '%s' in the file",
                              path, want);
        *out = gn_strdup(want);
        return *out ? GN_OK : gn_err_nomem(err);
    }
    if (H5Lexists(file, "data", H5P_DEFAULT) > 0) {
        *out = gn_strdup("data");
        return *out ? GN_OK : gn_err_nomem(err);
    }
    if (H5Gget_info(file, &info) < 0)
        return gn_err_set(err, GN_ERR_DATA, "%s: cannot list the root group", path);
    for (i = 0; i < info.nlinks && i < 10000; i++) {
        H5O_info_t oi;
        ssize_t len = H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                         sizeof name, H5P_DEFAULT);
        if (len <= 0 || (size_t)len >= sizeof name)
            continue;
        if (H5Oget_info_by_name(file, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_DATASET)
            continue;
        if (n_found++ == 0)
            snprintf(found, sizeof found, "%s", name);
    }
    if (n_found == 0)
        return gn_err_set(err, GN_ERR_DATA, "%s: the file holds no dataset in its root group",
                          path);
    if (n_found > 1)
        return gn_err_set(err, GN_ERR_INVALID,
                          "%s: the file holds %d datasets and none is called 'data'; name one "
                          "(--dataset)",
                          path, n_found);
    *out = gn_strdup(found);
    return *out ? GN_OK : gn_err_nomem(err);
}

/* Sets up a compound read: columns from the fields. */
static gn_status setup_compound(h5_src *h, gn_table_source *src, hid_t ftype, gn_err *err)
{
    int nm = H5Tget_nmembers(ftype), i;
    size_t off = 0;

    if (nm < 1 || nm > GN_DATA_MAX_COLS)
        return gn_err_set(err, nm < 1 ? GN_ERR_DATA : GN_ERR_LIMIT,
                          "%s: dataset '%s' has %d fields (1 to %d are read)", h->name,
                          h->dset_name, nm, GN_DATA_MAX_COLS);
    src->cols = gn_calloc((size_t)nm, sizeof *src->cols);
    h->fields = gn_calloc((size_t)nm, sizeof *h->fields);
    if (!src->cols || !h->fields)
        return gn_err_nomem(err);
    src->n_cols = (size_t)nm;
    for (i = 0; i < nm; i++) {
        char *fname = H5Tget_member_name(ftype, (unsigned)i);
        H5T_class_t cls = H5Tget_member_class(ftype, (unsigned)i);
        gn_status st = GN_OK;

        if (!fname)
            return gn_err_set(err, GN_ERR_DATA, "%s: cannot read a field name", h->name);
        if (!*fname || !utf8_ok((const unsigned char *)fname, strlen(fname)))
            st = gn_err_set(err, GN_ERR_DATA, "%s: field %d has an empty or invalid name",
                            h->name, i + 1);
        else if (!(src->cols[i].name = gn_strdup(fname)))
            st = gn_err_nomem(err);
        else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            src->cols[i].type = GN_COL_NUMERIC;
            h->fields[i].offset = off;
            off += 8;
        } else if (cls == H5T_STRING) {
            hid_t mt = H5Tget_member_type(ftype, (unsigned)i);
            src->cols[i].type = GN_COL_CATEGORICAL;
            h->fields[i].offset = off;
            h->fields[i].cset = mt >= 0 ? H5Tget_cset(mt) : H5T_CSET_ASCII;
            if (mt >= 0 && H5Tis_variable_str(mt) > 0) {
                off += 8;
            } else if (mt >= 0) {
                h->fields[i].fixed_str = 1;
                h->fields[i].size = H5Tget_size(mt);
                if (h->fields[i].size > 65536)
                    st = gn_err_set(err, GN_ERR_LIMIT, "%s: field '%s' is wider than 65536 bytes",
                                    h->name, fname);
                off += (h->fields[i].size + 1 + 7) / 8 * 8;
            }
            if (mt >= 0)
                H5Tclose(mt);
        } else {
            st = gn_err_set(err, GN_ERR_DATA,
                            "%s: dataset '%s': field '%s' is neither a number nor a string",
                            h->name, h->dset_name, fname);
        }
        H5free_memory(fname);
        if (st != GN_OK)
            return st;
    }
    h->rec_size = off ? off : 8;
    h->memtype = H5Tcreate(H5T_COMPOUND, h->rec_size);
    if (h->memtype < 0)
        return gn_err_set(err, GN_ERR_DATA, "%s: cannot build a memory type", h->name);
    for (i = 0; i < nm; i++) {
        hid_t mt;
        herr_t rc;
        if (src->cols[i].type == GN_COL_NUMERIC) {
            rc = H5Tinsert(h->memtype, src->cols[i].name, h->fields[i].offset, H5T_NATIVE_DOUBLE);
        } else {
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, h->fields[i].fixed_str ? h->fields[i].size + 1 : H5T_VARIABLE);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            H5Tset_cset(mt, h->fields[i].cset == H5T_CSET_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
            rc = H5Tinsert(h->memtype, src->cols[i].name, h->fields[i].offset, mt);
            H5Tclose(mt);
        }
        if (rc < 0)
            return gn_err_set(err, GN_ERR_DATA, "%s: field '%s' cannot be read (duplicate name?)",
                              h->name, src->cols[i].name);
    }
    return GN_OK;
}

gn_status gn_data_hdf5_source(const char *path, const gn_dataset_options *o,
                              gn_table_source **out, gn_err *err)
{
    gn_table_source *src = NULL;
    h5_src *h = NULL;
    hid_t ftype = -1, fsp = -1;
    hsize_t dims[2] = {0, 1};
    int rank;
    size_t c, chunk;
    struct stat sb;
    gn_status st = GN_OK;

    *out = NULL;
    quiet();
    if (stat(path, &sb) != 0)
        return gn_err_set(err, errno == ENOENT ? GN_ERR_NOT_FOUND : GN_ERR_IO,
                          "%s: cannot open: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return gn_err_set(err, GN_ERR_DATA, "%s: not an HDF5 file", path);
    src = gn_calloc(1, sizeof *src);
    h = gn_calloc(1, sizeof *h);
    if (!src || !h) {
        gn_free(src);
        gn_free(h);
        return gn_err_nomem(err);
    }
    h->file = h->dset = h->memtype = -1;
    src->impl = h;
    src->free = h5_src_free;
    src->next = h5_next;
    src->header = -1;
    h->name = gn_strdup(path);
    if (!h->name) {
        st = gn_err_nomem(err);
        goto out;
    }
    h->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (h->file < 0) {
        st = gn_err_set(err, GN_ERR_DATA, "%s: cannot open the HDF5 file", path);
        goto out;
    }
    st = pick_dataset(h->file, path, o->hdf5_dataset, &h->dset_name, err);
    if (st != GN_OK)
        goto out;
    h->dset = H5Dopen2(h->file, h->dset_name, H5P_DEFAULT);
    if (h->dset < 0) {
        st = gn_err_set(err, GN_ERR_DATA, "%s: '%s' is not a dataset", path, h->dset_name);
        goto out;
    }
    ftype = H5Dget_type(h->dset);
    fsp = H5Dget_space(h->dset);
    rank = fsp >= 0 ? H5Sget_simple_extent_ndims(fsp) : -1;
    if (ftype < 0 || rank < 1 || rank > 2 || H5Sget_simple_extent_dims(fsp, dims, NULL) < 0) {
        st = gn_err_set(err, GN_ERR_DATA,
                        "%s: dataset '%s' is not a table (it has %d dimensions; 1 or 2 are read)",
                        path, h->dset_name, rank);
        goto out;
    }
    h->n_rows = dims[0];
    if (dims[0] > (hsize_t)GN_DATA_MAX_ROWS) {
        st = gn_err_set(err, GN_ERR_LIMIT, "%s: dataset '%s' has %llu rows, more than the limit "
                        "of %ld", path, h->dset_name, (unsigned long long)dims[0], GN_DATA_MAX_ROWS);
        goto out;
    }
    switch (H5Tget_class(ftype)) {
    case H5T_COMPOUND:
        if (rank != 1) {
            st = gn_err_set(err, GN_ERR_DATA, "%s: compound dataset '%s' must be 1-D", path,
                            h->dset_name);
            goto out;
        }
        h->compound = 1;
        st = setup_compound(h, src, ftype, err);
        if (st != GN_OK)
            goto out;
        break;
    case H5T_INTEGER:
    case H5T_FLOAT:
        if (dims[1] < 1 || dims[1] > GN_DATA_MAX_COLS) {
            st = gn_err_set(err, GN_ERR_LIMIT, "%s: dataset '%s' has %llu columns (1 to %d are "
                            "read)", path, h->dset_name, (unsigned long long)dims[1],
                            GN_DATA_MAX_COLS);
            goto out;
        }
        src->n_cols = (size_t)dims[1];
        src->cols = gn_calloc(src->n_cols, sizeof *src->cols);
        if (!src->cols) {
            st = gn_err_nomem(err);
            goto out;
        }
        {
            char **names = gn_calloc(src->n_cols, sizeof *names);
            if (!names) {
                st = gn_err_nomem(err);
                goto out;
            }
            attr_names(h->dset, "columns", src->n_cols, names);
            for (c = 0; c < src->n_cols; c++) {
                src->cols[c].type = GN_COL_NUMERIC;
                src->cols[c].name = names[c] ? names[c] : gn_asprintf("col%zu", c + 1);
                if (!src->cols[c].name)
                    st = gn_err_nomem(err);
            }
            gn_free(names);
            if (st != GN_OK)
                goto out;
        }
        h->rec_size = 8 * src->n_cols;
        break;
    default:
        st = gn_err_set(err, GN_ERR_DATA,
                        "%s: dataset '%s' holds neither numbers nor a compound of fields", path,
                        h->dset_name);
        goto out;
    }
    for (c = 0; c < src->n_cols; c++) {
        size_t i;
        for (i = 0; i < c; i++)
            if (!strcmp(src->cols[i].name, src->cols[c].name)) {
                st = gn_err_set(err, GN_ERR_DATA, "%s: column %zu and column %zu are both named "
                                "'%s'; column names must be unique", path, i + 1, c + 1,
                                src->cols[c].name);
                goto out;
            }
    }
    chunk = gn_table_chunk_rows(src->n_cols);
    h->buf = gn_calloc(chunk, h->rec_size);
    if (!h->buf) {
        st = gn_err_nomem(err);
        goto out;
    }
    if ((st = attr_string(h->dset, "title", &src->title, err)) != GN_OK ||
        (st = attr_string(h->dset, "source", &src->source, err)) != GN_OK ||
        (st = attr_string(h->dset, "license", &src->license, err)) != GN_OK ||
        (st = attr_string(h->dset, "doi", &src->doi, err)) != GN_OK)
        goto out;
out:
    if (ftype >= 0)
        H5Tclose(ftype);
    if (fsp >= 0)
        H5Sclose(fsp);
    if (st != GN_OK) {
        gn_table_source_free(src);
        return st;
    }
    *out = src;
    return GN_OK;
}

/* ---- export ------------------------------------------------------------------------- */

typedef struct h5_writer {
    hid_t file, dset, memtype, filetype;
    const gn_table_col *cols;
    size_t n_cols;
    int compound;
    unsigned char *buf;
    size_t buf_rows;
    char tmp[4096];
    const char *path;
} h5_writer;

static hid_t vlstr_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0) {
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
    }
    return t;
}

static gn_status write_attr_string(hid_t obj, const char *name, const char *value, gn_err *err)
{
    hid_t t = vlstr_type(), sp = H5Screate(H5S_SCALAR), a = -1;
    gn_status st = GN_OK;

    if (t < 0 || sp < 0 || (a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, t, &value) < 0)
        st = gn_err_set(err, GN_ERR_IO, "cannot write the HDF5 attribute '%s'", name);
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

static gn_status write_attr_strings(hid_t obj, const char *name, const char *const *values,
                                    size_t n, gn_err *err)
{
    hsize_t dim = n;
    hid_t t = vlstr_type(), sp = H5Screate_simple(1, &dim, NULL), a = -1;
    gn_status st = GN_OK;

    if (t < 0 || sp < 0 || (a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, t, values) < 0)
        st = gn_err_set(err, GN_ERR_IO, "cannot write the HDF5 attribute '%s'", name);
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

static void writer_abort(h5_writer *w)
{
    if (w->memtype >= 0)
        H5Tclose(w->memtype);
    if (w->filetype >= 0)
        H5Tclose(w->filetype);
    if (w->dset >= 0)
        H5Dclose(w->dset);
    if (w->file >= 0)
        H5Fclose(w->file);
    w->memtype = w->filetype = w->dset = w->file = -1;
    if (w->tmp[0])
        unlink(w->tmp);
    w->tmp[0] = '\0';
    gn_free(w->buf);
    w->buf = NULL;
}

/* Creates the temporary file and the dataset `dset` of n_rows rows, with
 * the column names and types as attributes. */
static gn_status writer_open(h5_writer *w, const char *path, const char *dset,
                             const gn_table_col *cols, size_t n_cols, hsize_t n_rows, gn_err *err)
{
    hsize_t dims[2] = {n_rows, n_cols};
    hid_t sp = -1;
    const char **names = NULL, **types = NULL;
    size_t c, off = 0;
    gn_status st = GN_OK;
    int fd;

    memset(w, 0, sizeof *w);
    w->file = w->dset = w->memtype = w->filetype = -1;
    w->cols = cols;
    w->n_cols = n_cols;
    w->path = path;
    quiet();
    for (c = 0; c < n_cols; c++)
        if (cols[c].type != GN_COL_NUMERIC)
            w->compound = 1;
    if (snprintf(w->tmp, sizeof w->tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof w->tmp)
        return gn_err_set(err, GN_ERR_INVALID, "%s: the path is too long", path);
    fd = mkstemp(w->tmp);
    if (fd < 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        w->tmp[0] = '\0';
        return st;
    }
    {
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask); /* as fopen would have made it */
    }
    close(fd);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot create the HDF5 file %s", w->tmp);
        goto fail;
    }
    if (w->compound) {
        w->memtype = H5Tcreate(H5T_COMPOUND, 8 * n_cols);
        w->filetype = H5Tcreate(H5T_COMPOUND, 8 * n_cols);
        for (c = 0; c < n_cols && w->memtype >= 0 && w->filetype >= 0; c++, off += 8) {
            if (cols[c].type == GN_COL_NUMERIC) {
                if (H5Tinsert(w->memtype, cols[c].name, off, H5T_NATIVE_DOUBLE) < 0 ||
                    H5Tinsert(w->filetype, cols[c].name, off, H5T_IEEE_F64LE) < 0)
                    break;
            } else {
                hid_t t = vlstr_type();
                herr_t a = H5Tinsert(w->memtype, cols[c].name, off, t),
                       b = H5Tinsert(w->filetype, cols[c].name, off, t);
                H5Tclose(t);
                if (a < 0 || b < 0)
                    break;
            }
        }
        if (c < n_cols) {
            st = gn_err_set(err, GN_ERR_IO, "cannot build the HDF5 record type");
            goto fail;
        }
        sp = H5Screate_simple(1, dims, NULL);
    } else {
        sp = H5Screate_simple(2, dims, NULL);
    }
    if (sp < 0)
        goto h5fail;
    w->dset = H5Dcreate2(w->file, dset, w->compound ? w->filetype : H5T_IEEE_F64LE, sp,
                         H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    if (w->dset < 0)
        goto h5fail;
    names = gn_calloc(n_cols, sizeof *names);
    types = gn_calloc(n_cols, sizeof *types);
    if (!names || !types) {
        st = gn_err_nomem(err);
        goto fail;
    }
    for (c = 0; c < n_cols; c++) {
        names[c] = cols[c].name;
        types[c] = gn_col_type_name(cols[c].type);
    }
    st = write_attr_strings(w->dset, "columns", names, n_cols, err);
    if (st == GN_OK)
        st = write_attr_strings(w->dset, "column_types", types, n_cols, err);
    if (st != GN_OK)
        goto fail;
    w->buf_rows = gn_table_chunk_rows(n_cols);
    w->buf = gn_calloc(w->buf_rows, 8 * n_cols);
    if (!w->buf) {
        st = gn_err_nomem(err);
        goto fail;
    }
    gn_free(names);
    gn_free(types);
    return GN_OK;
h5fail:
    st = gn_err_set(err, GN_ERR_IO, "cannot create the HDF5 dataset '%s' in %s", dset, path);
fail:
    gn_free(names);
    gn_free(types);
    writer_abort(w);
    return st;
}

/* Writes rows [first, first + k->n_rows) from a chunk. */
static gn_status writer_rows(h5_writer *w, const gn_table_chunk *k, int64_t first, gn_err *err)
{
    size_t done = 0;

    while (done < k->n_rows) {
        size_t n = k->n_rows - done, r, c;
        hsize_t start[2] = {(hsize_t)first + done, 0}, count[2];
        hid_t fsp, msp;
        herr_t rc;

        if (n > w->buf_rows)
            n = w->buf_rows;
        count[0] = n;
        count[1] = w->n_cols;
        for (r = 0; r < n; r++)
            for (c = 0; c < w->n_cols; c++) {
                unsigned char *slot = w->buf + (r * w->n_cols + c) * 8;
                if (k->cols[c].type == GN_COL_NUMERIC) {
                    memcpy(slot, &k->num[c][done + r], 8);
                } else {
                    const char *s = k->text[c][done + r] ? k->text[c][done + r] : "";
                    memcpy(slot, &s, sizeof s);
                }
            }
        fsp = H5Dget_space(w->dset);
        msp = H5Screate_simple(w->compound ? 1 : 2, count, NULL);
        rc = fsp < 0 || msp < 0 ? -1 : H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
        if (rc >= 0)
            rc = H5Dwrite(w->dset, w->compound ? w->memtype : H5T_NATIVE_DOUBLE, msp, fsp,
                          H5P_DEFAULT, w->buf);
        if (msp >= 0)
            H5Sclose(msp);
        if (fsp >= 0)
            H5Sclose(fsp);
        if (rc < 0)
            return gn_err_set(err, GN_ERR_IO, "cannot write rows to the HDF5 file %s", w->path);
        done += n;
    }
    return GN_OK;
}

/* Closes the file and renames it into place. */
static gn_status writer_finish(h5_writer *w, gn_err *err)
{
    herr_t a = H5Dclose(w->dset), b;
    w->dset = -1;
    b = H5Fclose(w->file);
    w->file = -1;
    if (a < 0 || b < 0) {
        writer_abort(w);
        return gn_err_set(err, GN_ERR_IO, "cannot write the HDF5 file %s", w->path);
    }
    if (rename(w->tmp, w->path) != 0) {
        gn_status st = gn_err_set(err, GN_ERR_IO, "cannot write %s: %s", w->path, strerror(errno));
        writer_abort(w);
        return st;
    }
    w->tmp[0] = '\0';
    writer_abort(w); /* releases the rest */
    return GN_OK;
}

static gn_status h5_sink(void *ctx, const gn_table_chunk *k, int64_t first_row, gn_err *err)
{
    return writer_rows(ctx, k, first_row, err);
}

gn_status gn_data_export_hdf5(gn_store *s, const gn_dataset_rec *rec, const char *path,
                              gn_err *err)
{
    gn_table_col *cols = NULL;
    size_t n = 0;
    h5_writer w;
    char version[32];
    gn_status st;

    st = gn_table_cols_parse(rec->columns, &cols, &n, err);
    if (st != GN_OK)
        return st;
    st = writer_open(&w, path, "data", cols, n, (hsize_t)rec->n_rows, err);
    if (st != GN_OK)
        goto out;
    snprintf(version, sizeof version, "%lld", (long long)rec->version);
    {
        const char *names[] = {"name", "version", "title", "source", "license", "doi",
                               "classification", "project", "content_hash", "imported_by"};
        const char *values[] = {rec->name, version, rec->title, rec->source, rec->license,
                                rec->doi, rec->classification, rec->project, rec->content_hash,
                                rec->imported_by};
        size_t i;
        for (i = 0; st == GN_OK && i < sizeof names / sizeof names[0]; i++)
            if (values[i])
                st = write_attr_string(w.dset, names[i], values[i], err);
    }
    if (st == GN_OK)
        st = gn_data_read(s, rec, cols, n, h5_sink, &w, err);
    if (st == GN_OK)
        st = writer_finish(&w, err);
    else
        writer_abort(&w);
out:
    gn_table_cols_free(cols, n);
    return st;
}

gn_status gn_data_hdf5_write_table(const char *path, const char *dset, const gn_table_chunk *k,
                                   const char *const *attr_names, const char *const *attr_values,
                                   size_t n_attrs, gn_err *err)
{
    h5_writer w;
    size_t i;
    gn_status st;

    st = writer_open(&w, path, dset, k->cols, k->n_cols, (hsize_t)k->n_rows, err);
    if (st != GN_OK)
        return st;
    for (i = 0; st == GN_OK && i < n_attrs; i++)
        if (attr_values[i])
            st = write_attr_string(w.dset, attr_names[i], attr_values[i], err);
    if (st == GN_OK)
        st = writer_rows(&w, k, 0, err);
    if (st == GN_OK)
        return writer_finish(&w, err);
    writer_abort(&w);
    return st;
}
