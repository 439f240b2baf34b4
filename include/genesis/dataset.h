/*
 * genesis/dataset.h - datasets: immutable tables of prior measurements.
 *
 * A dataset is imported from a CSV or HDF5 file into the database, with
 * metadata (title, source, license, DOI/URL, classification, project), a
 * content hash (BLAKE2b-256 over a canonical form of the table, the same
 * whichever format it came from) and a version: importing a name again
 * makes version N+1, unless the content equals the latest version's.
 * Versions never change; archiving hides a dataset from listings.
 *
 * Every call reports failure through its status and gn_db_errmsg(db).
 * Data errors name the row and column (1-based, as a spreadsheet shows
 * them) and leave the database unchanged. docs/data.md has the details.
 */
#ifndef GENESIS_DATASET_H
#define GENESIS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "genesis/campaign.h"
#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Header row of a CSV file. */
enum { GN_HEADER_DETECT = 0, GN_HEADER_YES = 1, GN_HEADER_NO = 2 };

/* What gn_dataset_import needs besides the file. Zero-initialise and set
 * what you need: every NULL/0 field takes its default. */
typedef struct gn_dataset_options {
    const char *name;           /* required: letters, digits, '.', '_', '-' (<= 128) */
    const char *format;         /* "csv" | "hdf5" ("h5"); NULL: from the file extension */
    const char *title, *source, *license, *doi; /* NULL: none (HDF5: the file's attributes) */
    const char *classification; /* public | internal | controlled | restricted; NULL: internal */
    const char *project;        /* NULL: "default" */
    const char *user;           /* who imports; NULL: the operating-system user */
    int header;                 /* CSV: GN_HEADER_DETECT (default), _YES or _NO */
    char delimiter;             /* CSV: ',', ';' or '\t'; 0: detect */
    const char *const *column_types; /* "name=numeric" or "name=categorical" overrides */
    size_t n_column_types;
    const char *hdf5_dataset;   /* HDF5: path of the table in the file; NULL: "data", or
                                   the only dataset in the root group */
} gn_dataset_options;

/* Imports the file at path as a new version of dataset opts->name, in one
 * transaction. On success *info_json (may be NULL) receives a JSON object:
 * name, version, n_rows, columns [{name, type}], content_hash, header,
 * delimiter (CSV); free it with gn_string_free. GN_ERR_DATA or GN_ERR_LIMIT
 * for a bad file, GN_ERR_EXISTS when the content equals the latest
 * version's (nothing is imported), GN_ERR_INVALID for bad options. */
GN_API gn_status gn_dataset_import(gn_db *db, const char *path, const gn_dataset_options *opts,
                                   char **info_json);

/* The datasets (latest and older versions, not archived ones unless
 * include_archived) as a JSON array of metadata objects. */
GN_API gn_status gn_db_datasets_json(gn_db *db, char **json);
GN_API gn_status gn_db_datasets_json_all(gn_db *db, int include_archived, char **json);

/* One dataset version (0: the latest) as JSON: its metadata, columns and
 * up to `max_rows` first rows ("rows": [[...], ...]). */
GN_API gn_status gn_dataset_json(gn_db *db, const char *name, int64_t version, char **json);
GN_API gn_status gn_dataset_json_rows(gn_db *db, const char *name, int64_t version,
                                      size_t max_rows, char **json);

/* Writes a dataset version (0: the latest) to path as "csv" (a header row,
 * then the rows; numbers in the shortest form that reads back exactly; path
 * NULL or "-" is standard output) or "hdf5" (see docs/data.md). The file is
 * written under a temporary name and renamed, so a failure leaves no
 * half-written file. */
GN_API gn_status gn_dataset_export(gn_db *db, const char *name, int64_t version,
                                   const char *format, const char *path);

/* Archives every version of dataset `name` (hidden from listings, still
 * readable by name and version). GN_ERR_STATE if it is archived already. */
GN_API gn_status gn_dataset_archive(gn_db *db, const char *name);

/* Writes a campaign's experiments to an HDF5 file at path: a compound
 * dataset "experiments" (number, status, one field per parameter, one per
 * outcome name) with the campaign's metadata as attributes. Errors go to
 * gn_campaign_errmsg(c). */
GN_API gn_status gn_campaign_export_hdf5(gn_campaign *c, const char *path);

#ifdef __cplusplus
}
#endif
#endif
