/*
 * data/api.c - the public dataset API (include/genesis/dataset.h) over the
 * store and the table code.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign/internal.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "data/dataset.h"
#include "genesis/genesis.h"

#define SHOW_ROWS 10

/* Checks db and clears its error; GN_ERR_INVALID/STATE otherwise. */
static gn_status db_ready(gn_db *db)
{
    if (!db)
        return GN_ERR_INVALID;
    gn_err_clear(&db->err);
    if (!db->store)
        return gn_err_set(&db->err, GN_ERR_STATE, "the database is not open");
    return GN_OK;
}

/* Writes JSON to a new gn_ string (caller frees with gn_string_free). */
static gn_status dump(json_t *j, char **out, gn_err *err)
{
    char *text;
    if (!j)
        return gn_err_nomem(err);
    text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!text)
        return gn_err_nomem(err);
    *out = gn_strdup(text);
    free(text);
    return *out ? GN_OK : gn_err_nomem(err);
}

/* "csv" or "hdf5" from the option or the file's extension. */
static const char *import_format(const char *path, const char *given)
{
    const char *dot;
    if (given)
        return !strcmp(given, "csv") ? "csv"
               : (!strcmp(given, "hdf5") || !strcmp(given, "h5")) ? "hdf5"
                                                                   : NULL;
    dot = strrchr(path, '.');
    if (dot && (!strcasecmp(dot, ".h5") || !strcasecmp(dot, ".hdf5") || !strcasecmp(dot, ".he5")))
        return "hdf5";
    return "csv";
}

static char *os_user(void)
{
    struct passwd *pw = getpwuid(geteuid());
    if (pw && pw->pw_name)
        return gn_strdup(pw->pw_name);
    return gn_asprintf("uid:%lu", (unsigned long)geteuid());
}

static json_t *dataset_object(const gn_dataset_rec *r)
{
    json_error_t jerr;
    char when[40];
    json_t *cols = json_loads(r->columns ? r->columns : "[]", 0, &jerr);

    return json_pack("{s:s, s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:I, s:I, s:o, s:s, s:s?, "
                     "s:s, s:b}",
                     "name", r->name, "version", (json_int_t)r->version, "title", r->title,
                     "source", r->source, "license", r->license, "doi", r->doi,
                     "classification", r->classification, "project", r->project, "n_rows",
                     (json_int_t)r->n_rows, "n_cols", (json_int_t)r->n_cols, "columns",
                     cols ? cols : json_array(), "content_hash", r->content_hash, "imported_by",
                     r->imported_by, "imported_at",
                     gn_time_iso8601(r->imported_at, when, sizeof when), "archived", r->archived);
}

gn_status gn_dataset_import(gn_db *db, const char *path, const gn_dataset_options *opts,
                            char **info_json)
{
    gn_table_source *src = NULL;
    gn_dataset_rec rec;
    char *user = NULL;
    const char *format;
    json_t *info = NULL;
    gn_status st;

    if (info_json)
        *info_json = NULL;
    st = db_ready(db);
    if (st != GN_OK)
        return st;
    memset(&rec, 0, sizeof rec);
    if (!path || !opts)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_dataset_import: no file or options");
    st = gn_data_name_check(opts->name, &db->err);
    if (st != GN_OK)
        return st;
    if (opts->classification && !gn_store_classification_valid(opts->classification))
        return gn_err_set(&db->err, GN_ERR_INVALID,
                          "classification '%s' is not one of public, internal, controlled, "
                          "restricted",
                          opts->classification);
    if (opts->header < GN_HEADER_DETECT || opts->header > GN_HEADER_NO)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_dataset_import: bad header option");
    if (opts->project && !*opts->project)
        return gn_err_set(&db->err, GN_ERR_INVALID, "the project name is empty");
    format = import_format(path, opts->format);
    if (!format)
        return gn_err_set(&db->err, GN_ERR_INVALID, "unknown format '%s': expected csv or hdf5",
                          opts->format);
    if (!strcmp(format, "csv"))
        st = gn_data_csv_source(path, opts, &src, &db->err);
    else
        st = gn_data_hdf5_source(path, opts, &src, &db->err);
    if (st != GN_OK)
        return st;

    user = opts->user ? gn_strdup(opts->user) : os_user();
    if (!user) {
        st = gn_err_nomem(&db->err);
        goto out;
    }
    rec.name = (char *)opts->name;
    rec.title = (char *)(opts->title ? opts->title : src->title);
    rec.source = (char *)(opts->source ? opts->source : src->source);
    rec.license = (char *)(opts->license ? opts->license : src->license);
    rec.doi = (char *)(opts->doi ? opts->doi : src->doi);
    rec.classification = (char *)(opts->classification ? opts->classification : "internal");
    rec.project = (char *)(opts->project ? opts->project : "default");
    rec.imported_by = user;
    st = gn_data_store(db->store, &rec, src, &db->err);
    if (st != GN_OK)
        goto out;
    if (info_json) {
        json_error_t jerr;
        char delim[2] = {src->delimiter, '\0'};
        info = json_pack("{s:s, s:I, s:I, s:o, s:s, s:s}", "name", rec.name, "version",
                         (json_int_t)rec.version, "n_rows", (json_int_t)rec.n_rows, "columns",
                         json_loads(rec.columns, 0, &jerr), "content_hash", rec.content_hash,
                         "format", format);
        if (info && src->header >= 0) {
            json_object_set_new(info, "header", json_boolean(src->header));
            json_object_set_new(info, "delimiter", json_string(delim));
        }
        st = dump(info, info_json, &db->err);
    }
out:
    json_decref(info);
    gn_free(rec.columns);
    gn_free(rec.content_hash);
    gn_free(user);
    gn_table_source_free(src);
    return st;
}

gn_status gn_db_datasets_json_all(gn_db *db, int include_archived, char **json)
{
    gn_dataset_rec *recs = NULL;
    size_t n = 0, i;
    json_t *arr = NULL;
    gn_status st;

    if (!json)
        return GN_ERR_INVALID;
    *json = NULL;
    st = db_ready(db);
    if (st != GN_OK)
        return st;
    st = gn_store_dataset_list(db->store, include_archived, &recs, &n, &db->err);
    if (st != GN_OK)
        return st;
    arr = json_array();
    for (i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, dataset_object(&recs[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    st = dump(arr, json, &db->err);
    json_decref(arr);
    gn_dataset_rec_array_free(recs, n);
    return st;
}

gn_status gn_db_datasets_json(gn_db *db, char **json) { return gn_db_datasets_json_all(db, 0, json); }

/* Collects the first rows of a dataset as JSON arrays. */
typedef struct rows_ctx {
    json_t *rows;
    size_t max;
} rows_ctx;

static gn_status rows_sink(void *ctx, const gn_table_chunk *k, int64_t first_row, gn_err *err)
{
    rows_ctx *rc = ctx;
    size_t r, c;

    (void)first_row;
    for (r = 0; r < k->n_rows; r++) {
        json_t *row;
        if (json_array_size(rc->rows) >= rc->max)
            return GN_ERR_INTERRUPTED;
        row = json_array();
        for (c = 0; row && c < k->n_cols; c++)
            json_array_append_new(row, k->cols[c].type == GN_COL_NUMERIC
                                           ? json_real(k->num[c][r])
                                           : json_string(k->text[c][r] ? k->text[c][r] : ""));
        if (!row || json_array_append_new(rc->rows, row) != 0)
            return gn_err_nomem(err);
    }
    return json_array_size(rc->rows) >= rc->max ? GN_ERR_INTERRUPTED : GN_OK;
}

gn_status gn_dataset_json_rows(gn_db *db, const char *name, int64_t version, size_t max_rows,
                               char **json)
{
    gn_dataset_rec rec;
    gn_table_col *cols = NULL;
    size_t n = 0;
    rows_ctx rc = {NULL, max_rows};
    json_t *o = NULL;
    gn_status st;

    if (!json)
        return GN_ERR_INVALID;
    *json = NULL;
    st = db_ready(db);
    if (st != GN_OK)
        return st;
    if (!name || version < 0)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_dataset_json: no name or bad version");
    memset(&rec, 0, sizeof rec);
    st = gn_store_dataset_get(db->store, name, version, &rec, &db->err);
    if (st != GN_OK)
        return st;
    st = gn_table_cols_parse(rec.columns, &cols, &n, &db->err);
    if (st != GN_OK)
        goto out;
    rc.rows = json_array();
    o = dataset_object(&rec);
    if (!rc.rows || !o) {
        st = gn_err_nomem(&db->err);
        goto out;
    }
    if (max_rows > 0) {
        st = gn_data_read(db->store, &rec, cols, n, rows_sink, &rc, &db->err);
        if (st != GN_OK)
            goto out;
    }
    json_object_set(o, "rows", rc.rows);
    st = dump(o, json, &db->err);
out:
    json_decref(o);
    json_decref(rc.rows);
    gn_table_cols_free(cols, n);
    gn_dataset_rec_free(&rec);
    return st;
}

gn_status gn_dataset_json(gn_db *db, const char *name, int64_t version, char **json)
{
    return gn_dataset_json_rows(db, name, version, SHOW_ROWS, json);
}

/* Writes the CSV to a temporary file next to path, then renames it. */
static gn_status export_csv_file(gn_db *db, const gn_dataset_rec *rec, const char *path)
{
    char tmp[4096];
    FILE *out;
    gn_status st;
    int fd;

    if (!path || !strcmp(path, "-")) {
        st = gn_data_export_csv(db->store, rec, stdout, &db->err);
        if (st == GN_OK && fflush(stdout) != 0)
            st = gn_err_set(&db->err, GN_ERR_IO, "cannot write the CSV: %s", strerror(errno));
        return st;
    }
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return gn_err_set(&db->err, GN_ERR_INVALID, "%s: the path is too long", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        return gn_err_set(&db->err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    {
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        unlink(tmp);
        return gn_err_set(&db->err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    st = gn_data_export_csv(db->store, rec, out, &db->err);
    if (fclose(out) != 0 && st == GN_OK)
        st = gn_err_set(&db->err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    if (st == GN_OK && rename(tmp, path) != 0)
        st = gn_err_set(&db->err, GN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    if (st != GN_OK)
        unlink(tmp);
    return st;
}

gn_status gn_dataset_export(gn_db *db, const char *name, int64_t version, const char *format,
                            const char *path)
{
    gn_dataset_rec rec;
    gn_status st;

    st = db_ready(db);
    if (st != GN_OK)
        return st;
    if (!name || version < 0 || !format)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_dataset_export: invalid argument");
    if (strcmp(format, "csv") && strcmp(format, "hdf5") && strcmp(format, "h5"))
        return gn_err_set(&db->err, GN_ERR_INVALID, "unknown export format '%s': expected csv or "
                          "hdf5", format);
    if (format[0] == 'h' && (!path || !strcmp(path, "-")))
        return gn_err_set(&db->err, GN_ERR_INVALID, "an HDF5 export needs a file (-o FILE)");
    memset(&rec, 0, sizeof rec);
    st = gn_store_dataset_get(db->store, name, version, &rec, &db->err);
    if (st != GN_OK)
        return st;
    if (format[0] == 'c')
        st = export_csv_file(db, &rec, path);
    else
        st = gn_data_export_hdf5(db->store, &rec, path, &db->err);
    gn_dataset_rec_free(&rec);
    return st;
}

gn_status gn_dataset_archive(gn_db *db, const char *name)
{
    gn_status st = db_ready(db);
    if (st != GN_OK)
        return st;
    if (!name)
        return gn_err_set(&db->err, GN_ERR_INVALID, "gn_dataset_archive: no name");
    return gn_store_dataset_archive(db->store, name, &db->err);
}

/* ---- campaign results to HDF5 ----------------------------------------------------------- */

static json_t *parse_or_null(const char *text)
{
    json_error_t jerr;
    return text ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;
}

/* Adds column `name` unless present; returns 0, or -1 when out of memory. */
static int add_col(gn_table_col **cols, size_t *n, size_t *cap, const char *name, gn_col_type t)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (!strcmp((*cols)[i].name, name))
            return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        gn_table_col *p = gn_reallocarray(*cols, nc, sizeof *p);
        if (!p)
            return -1;
        *cols = p;
        *cap = nc;
    }
    (*cols)[*n].name = gn_strdup(name);
    (*cols)[*n].type = t;
    if (!(*cols)[*n].name)
        return -1;
    (*n)++;
    return 0;
}

gn_status gn_campaign_export_hdf5(gn_campaign *c, const char *path)
{
    gn_experiment_rec *exps = NULL;
    gn_table_col *cols = NULL;
    gn_table_chunk k;
    gn_table_hash h;
    size_t n_exp = 0, n_cols = 0, cap = 0, i, j, n_params;
    char hash[65], created[40], exported[40];
    gn_status st;

    if (!c)
        return GN_ERR_INVALID;
    gn_err_clear(&c->err);
    memset(&k, 0, sizeof k);
    if (!path || !*path || !strcmp(path, "-"))
        return gn_err_set(&c->err, GN_ERR_INVALID, "an HDF5 export needs a file (-o FILE)");
    st = gn_store_experiment_list(c->db->store, c->rec.id, NULL, &exps, &n_exp, &c->err);
    if (st != GN_OK)
        return st;

    /* columns: number, status, parameters, objectives, outcome
     * constraints, then every other outcome name seen */
    n_params = c->spec->n_params;
    if (add_col(&cols, &n_cols, &cap, "number", GN_COL_NUMERIC) ||
        add_col(&cols, &n_cols, &cap, "status", GN_COL_CATEGORICAL))
        goto nomem;
    for (j = 0; j < n_params; j++)
        if (add_col(&cols, &n_cols, &cap, c->spec->params[j].name,
                    c->spec->params[j].type == GN_PARAM_CHOICE ? GN_COL_CATEGORICAL
                                                               : GN_COL_NUMERIC))
            goto nomem;
    for (j = 0; j < c->spec->n_objectives; j++)
        if (add_col(&cols, &n_cols, &cap, c->spec->objectives[j].name, GN_COL_NUMERIC))
            goto nomem;
    for (j = 0; j < c->spec->n_outcome_constraints; j++)
        if (add_col(&cols, &n_cols, &cap, c->spec->outcome_constraints[j].name, GN_COL_NUMERIC))
            goto nomem;
    for (i = 0; i < n_exp; i++) {
        json_t *o = parse_or_null(exps[i].outcome), *v;
        const char *key;
        int bad = 0;
        json_object_foreach(o, key, v)
        {
            if (n_cols < GN_DATA_MAX_COLS && add_col(&cols, &n_cols, &cap, key, GN_COL_NUMERIC))
                bad = 1;
        }
        json_decref(o);
        if (bad)
            goto nomem;
    }

    st = gn_table_chunk_init(&k, cols, n_cols, n_exp ? n_exp : 1, &c->err);
    if (st != GN_OK)
        goto out;
    for (i = 0; i < n_exp; i++) {
        json_t *p = parse_or_null(exps[i].params), *o = parse_or_null(exps[i].outcome);
        k.n_rows = i + 1;
        k.num[0][i] = (double)exps[i].number;
        st = gn_table_chunk_set_text(&k, i, 1, gn_exp_status_name(exps[i].status),
                                     strlen(gn_exp_status_name(exps[i].status)), &c->err);
        for (j = 2; st == GN_OK && j < n_cols; j++) {
            json_t *v = json_object_get(j < 2 + n_params ? p : o, cols[j].name);
            if (cols[j].type == GN_COL_NUMERIC) {
                k.num[j][i] = json_is_number(v) ? json_number_value(v) : NAN;
            } else {
                const char *s = json_is_string(v) ? json_string_value(v) : "";
                st = gn_table_chunk_set_text(&k, i, j, s, strlen(s), &c->err);
            }
        }
        json_decref(p);
        json_decref(o);
        if (st != GN_OK)
            goto out;
    }
    gn_table_hash_init(&h, cols, n_cols);
    gn_table_hash_chunk(&h, &k);
    gn_table_hash_final(&h, hash);
    gn_time_iso8601(c->rec.created, created, sizeof created);
    gn_time_iso8601(gn_time_wall(), exported, sizeof exported);
    {
        const char *names[] = {"campaign", "title", "source", "spec", "created", "exported_at",
                               "content_hash", "genesis_version"};
        const char *values[] = {c->rec.name, c->rec.name, "genesis", c->rec.spec_text, created,
                                exported, hash, gn_version()};
        st = gn_data_hdf5_write_table(path, "experiments", &k, names, values,
                                      sizeof names / sizeof names[0], &c->err);
    }
    goto out;
nomem:
    st = gn_err_nomem(&c->err);
out:
    gn_table_chunk_destroy(&k);
    gn_table_cols_free(cols, n_cols);
    gn_experiment_rec_array_free(exps, n_exp);
    return st;
}
