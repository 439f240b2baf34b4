/*
 * cli/data.c - `genesis data add|list|show|export|archive`: datasets.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: genesis data <add|list|show|export|archive> [options]\n"
    "\n"
    "Datasets are immutable tables of prior measurements, kept in the database\n"
    "with their metadata, a content hash and a version.\n"
    "\n"
    "  data add FILE --name N [options]   import a CSV or HDF5 file (a new version)\n"
    "  data list [--all] [--json]         the datasets (--all: archived ones too)\n"
    "  data show NAME [--version V]       metadata, columns and the first rows\n"
    "  data export NAME [--version V] --format csv|hdf5 -o FILE\n"
    "  data archive NAME                  hide every version from listings\n"
    "\n"
    "Each takes --db PATH (default: $GENESIS_DB, else ./genesis.db) and --help.\n"
    "exit status: 0 ok, 1 error, 2 usage, 3 invalid data file or limit,\n"
    "             4 not found, 5 conflict (same content, archived already)\n";

static const char help_add[] =
    "usage: genesis data add FILE --name N [options]\n"
    "\n"
    "Imports FILE (CSV, or HDF5 for .h5/.hdf5) as a new version of dataset N,\n"
    "in one transaction: a bad file leaves the database unchanged and the\n"
    "error names the row and column. The same content as the latest version\n"
    "is refused (exit 5).\n"
    "\n"
    "  --name N            dataset name (letters, digits, '.', '_', '-')\n"
    "  --title T, --source S, --license L, --doi D   metadata\n"
    "  --classification C  public, internal (default), controlled or restricted\n"
    "  --project P         owning project (default: default)\n"
    "  --user U            who imports (default: the operating-system user)\n"
    "  --format F          csv or hdf5 (default: from the extension)\n"
    "  --header, --no-header  CSV: the first row is (not) a header (default: detect)\n"
    "  --delimiter X       CSV: ',', ';' or 'tab' (default: detect)\n"
    "  --column NAME=TYPE  force a column numeric or categorical (repeatable)\n"
    "  --dataset PATH      HDF5: the dataset to read (default: 'data' or the only one)\n"
    "  --json              print the result as JSON\n"
    "  --db PATH           database file\n"
    "  -h, --help          this help\n";

static const char help_list[] =
    "usage: genesis data list [--all] [--json] [--db PATH]\n"
    "\n"
    "Lists the datasets: name, version, rows, columns, classification, title.\n"
    "  --all       archived datasets too\n"
    "  --json      print JSON instead of a table\n"
    "  --db PATH   database file\n"
    "  -h, --help  this help\n";

static const char help_show[] =
    "usage: genesis data show NAME [--version V] [--rows N] [--json] [--db PATH]\n"
    "\n"
    "Shows a dataset version (default: the latest): metadata, columns and the\n"
    "first N rows (default 10).\n";

static const char help_export[] =
    "usage: genesis data export NAME [--version V] --format csv|hdf5 -o FILE [--db PATH]\n"
    "\n"
    "Writes a dataset version (default: the latest). csv: a header row, then\n"
    "the rows (-o - or no -o: standard output). hdf5: dataset 'data' with the\n"
    "metadata as attributes (needs -o).\n";

static const char help_archive[] =
    "usage: genesis data archive NAME [--db PATH]\n"
    "\n"
    "Archives every version of dataset NAME: hidden from `data list`, still\n"
    "readable with `data show` and `data export`.\n";

/* Parses --version V (>= 1); -1 on error (message printed). */
static long long parse_version(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 1) {
        gn_cli_error("data", "--version expects a number >= 1, got '%s'", s);
        return -1;
    }
    return v;
}

static int fail(const char *sub, gn_db *db, gn_status st)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "data %s", sub);
    gn_cli_error(cmd, "%s", gn_db_errmsg(db));
    return gn_cli_exit_code(st);
}

static int cmd_add(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},       {"name", required_argument, NULL, 'n'},
        {"title", required_argument, NULL, 't'},    {"source", required_argument, NULL, 's'},
        {"license", required_argument, NULL, 'l'},  {"doi", required_argument, NULL, 'D'},
        {"classification", required_argument, NULL, 'c'},
        {"project", required_argument, NULL, 'p'},  {"user", required_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'f'},   {"header", no_argument, NULL, 'H'},
        {"no-header", no_argument, NULL, 'N'},      {"delimiter", required_argument, NULL, 'x'},
        {"column", required_argument, NULL, 'C'},   {"dataset", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    gn_dataset_options o;
    const char *db_path = NULL;
    const char **cols = NULL;
    int opt, rc = GN_EXIT_OK, as_json = 0;
    gn_db *db = NULL;
    char *info = NULL;
    gn_status st;

    memset(&o, 0, sizeof o);
    cols = calloc((size_t)argc + 1, sizeof *cols);
    if (!cols) {
        gn_cli_error("data add", "out of memory");
        return GN_EXIT_ERROR;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'n': o.name = optarg; break;
        case 't': o.title = optarg; break;
        case 's': o.source = optarg; break;
        case 'l': o.license = optarg; break;
        case 'D': o.doi = optarg; break;
        case 'c': o.classification = optarg; break;
        case 'p': o.project = optarg; break;
        case 'u': o.user = optarg; break;
        case 'f': o.format = optarg; break;
        case 'H': o.header = GN_HEADER_YES; break;
        case 'N': o.header = GN_HEADER_NO; break;
        case 'S': o.hdf5_dataset = optarg; break;
        case 'j': as_json = 1; break;
        case 'C': cols[o.n_column_types++] = optarg; break;
        case 'x':
            if (!strcmp(optarg, ",") || !strcmp(optarg, ";"))
                o.delimiter = optarg[0];
            else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t") || !strcmp(optarg, "\\t"))
                o.delimiter = '\t';
            else {
                gn_cli_error("data add", "--delimiter expects ',', ';' or 'tab', got '%s'", optarg);
                rc = GN_EXIT_USAGE;
                goto out;
            }
            break;
        case 'h': fputs(help_add, stdout); goto out;
        default: fputs(help_add, stderr); rc = GN_EXIT_USAGE; goto out;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("data add", "expected one file");
        fputs(help_add, stderr);
        rc = GN_EXIT_USAGE;
        goto out;
    }
    if (!o.name) {
        gn_cli_error("data add", "--name is required");
        rc = GN_EXIT_USAGE;
        goto out;
    }
    o.column_types = cols;
    rc = gn_cli_open("data add", db_path, NULL, &db, NULL);
    if (rc)
        goto out;
    st = gn_dataset_import(db, argv[optind], &o, &info);
    if (st != GN_OK) {
        rc = fail("add", db, st);
        goto out;
    }
    if (as_json) {
        printf("%s\n", info);
    } else {
        json_error_t jerr;
        json_t *j = json_loads(info, 0, &jerr);
        printf("imported %s version %lld: %lld rows, %zu columns (hash %.16s...)\n", o.name,
               (long long)json_integer_value(json_object_get(j, "version")),
               (long long)json_integer_value(json_object_get(j, "n_rows")),
               json_array_size(json_object_get(j, "columns")),
               json_string_value(json_object_get(j, "content_hash")));
        json_decref(j);
    }
out:
    gn_string_free(info);
    gn_db_close(db);
    free(cols);
    return rc;
}

static int cmd_list(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"all", no_argument, NULL, 'a'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    int opt, rc, all = 0, as_json = 0;
    gn_db *db = NULL;
    char *text = NULL;
    json_t *arr = NULL, *o;
    json_error_t jerr;
    size_t i;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'a': all = 1; break;
        case 'j': as_json = 1; break;
        case 'h': fputs(help_list, stdout); return GN_EXIT_OK;
        default: fputs(help_list, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(help_list, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("data list", db_path, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_db_datasets_json_all(db, all, &text);
    if (st != GN_OK) {
        rc = fail("list", db, st);
        goto out;
    }
    if (as_json) {
        printf("%s\n", text);
        goto out;
    }
    arr = json_loads(text, 0, &jerr);
    if (json_array_size(arr) == 0) {
        printf("no datasets in %s\n", gn_db_path(db));
        goto out;
    }
    printf("%-24s %7s %10s %5s %-12s %s\n", "NAME", "VERSION", "ROWS", "COLS", "CLASS", "TITLE");
    json_array_foreach(arr, i, o)
    {
        const char *title = json_string_value(json_object_get(o, "title"));
        printf("%-24s %7lld %10lld %5lld %-12s %s%s\n",
               json_string_value(json_object_get(o, "name")),
               (long long)json_integer_value(json_object_get(o, "version")),
               (long long)json_integer_value(json_object_get(o, "n_rows")),
               (long long)json_integer_value(json_object_get(o, "n_cols")),
               json_string_value(json_object_get(o, "classification")), title ? title : "",
               json_is_true(json_object_get(o, "archived")) ? " (archived)" : "");
    }
out:
    json_decref(arr);
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}

static void print_value(json_t *v)
{
    if (json_is_string(v))
        printf("%s", json_string_value(v));
    else if (json_is_number(v))
        printf("%.10g", json_number_value(v));
}

static int cmd_show(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"version", required_argument, NULL, 'v'},
                                             {"rows", required_argument, NULL, 'r'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    long long version = 0, rows = 10;
    int opt, rc, as_json = 0;
    gn_db *db = NULL;
    char *text = NULL, *end;
    json_t *o = NULL, *v, *row;
    json_error_t jerr;
    size_t i, k;
    gn_status st;
    static const char *const fields[] = {"title", "source", "license", "doi", "classification",
                                         "project", "content_hash", "imported_by", "imported_at"};

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'v':
            if ((version = parse_version(optarg)) < 0)
                return GN_EXIT_USAGE;
            break;
        case 'r':
            rows = strtoll(optarg, &end, 10);
            if (!*optarg || *end || rows < 0 || rows > 1000000) {
                gn_cli_error("data show", "--rows expects a number from 0 to 1000000");
                return GN_EXIT_USAGE;
            }
            break;
        case 'j': as_json = 1; break;
        case 'h': fputs(help_show, stdout); return GN_EXIT_OK;
        default: fputs(help_show, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("data show", "expected one dataset name");
        fputs(help_show, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("data show", db_path, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_dataset_json_rows(db, argv[optind], version, (size_t)rows, &text);
    if (st != GN_OK) {
        rc = fail("show", db, st);
        goto out;
    }
    if (as_json) {
        printf("%s\n", text);
        goto out;
    }
    o = json_loads(text, 0, &jerr);
    printf("%s version %lld%s: %lld rows, %lld columns\n",
           json_string_value(json_object_get(o, "name")),
           (long long)json_integer_value(json_object_get(o, "version")),
           json_is_true(json_object_get(o, "archived")) ? " (archived)" : "",
           (long long)json_integer_value(json_object_get(o, "n_rows")),
           (long long)json_integer_value(json_object_get(o, "n_cols")));
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((v = json_object_get(o, fields[i])) && json_is_string(v))
            printf("  %-15s %s\n", fields[i], json_string_value(v));
    printf("columns:\n");
    json_array_foreach(json_object_get(o, "columns"), i, v)
    printf("  %-24s %s\n", json_string_value(json_object_get(v, "name")),
           json_string_value(json_object_get(v, "type")));
    if (json_array_size(json_object_get(o, "rows")) > 0) {
        printf("first rows:\n");
        json_array_foreach(json_object_get(o, "columns"), i, v)
        printf("%s%s", i ? "\t" : "  ", json_string_value(json_object_get(v, "name")));
        printf("\n");
        json_array_foreach(json_object_get(o, "rows"), i, row)
        {
            json_array_foreach(row, k, v)
            {
                printf("%s", k ? "\t" : "  ");
                print_value(v);
            }
            printf("\n");
        }
    }
out:
    json_decref(o);
    gn_string_free(text);
    gn_db_close(db);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"version", required_argument, NULL, 'v'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL, *format = NULL, *path = NULL;
    long long version = 0;
    int opt, rc;
    gn_db *db = NULL;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'f': format = optarg; break;
        case 'o': path = optarg; break;
        case 'v':
            if ((version = parse_version(optarg)) < 0)
                return GN_EXIT_USAGE;
            break;
        case 'h': fputs(help_export, stdout); return GN_EXIT_OK;
        default: fputs(help_export, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("data export", "expected one dataset name");
        fputs(help_export, stderr);
        return GN_EXIT_USAGE;
    }
    if (!format || (strcmp(format, "csv") && strcmp(format, "hdf5") && strcmp(format, "h5"))) {
        gn_cli_error("data export", "--format expects csv or hdf5");
        return GN_EXIT_USAGE;
    }
    if (format[0] == 'h' && (!path || !strcmp(path, "-"))) {
        gn_cli_error("data export", "--format hdf5 needs -o FILE");
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("data export", db_path, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_dataset_export(db, argv[optind], version, format, path);
    if (st != GN_OK)
        rc = fail("export", db, st);
    gn_db_close(db);
    return rc;
}

static int cmd_archive(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db_path = NULL;
    int opt, rc;
    gn_db *db = NULL;
    gn_status st;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'h': fputs(help_archive, stdout); return GN_EXIT_OK;
        default: fputs(help_archive, stderr); return GN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        gn_cli_error("data archive", "expected one dataset name");
        fputs(help_archive, stderr);
        return GN_EXIT_USAGE;
    }
    rc = gn_cli_open("data archive", db_path, NULL, &db, NULL);
    if (rc)
        return rc;
    st = gn_dataset_archive(db, argv[optind]);
    if (st != GN_OK)
        rc = fail("archive", db, st);
    else
        printf("archived dataset %s\n", argv[optind]);
    gn_db_close(db);
    return rc;
}

int gn_cmd_data(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {{"add", cmd_add},
                {"list", cmd_list},
                {"show", cmd_show},
                {"export", cmd_export},
                {"archive", cmd_archive}};
    size_t i;

    if (argc < 2) {
        fputs(help, stderr);
        return GN_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(help, stdout);
        return GN_EXIT_OK;
    }
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    gn_cli_error("data", "unknown subcommand '%s'", argv[1]);
    fputs(help, stderr);
    return GN_EXIT_USAGE;
}
