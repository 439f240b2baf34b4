/* exec/runner.c - the runner contract helpers; see runner.h and docs/runner.md */
#include "exec/runner.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/strbuf.h"

/* ---- values and placeholders --------------------------------------------- */

/* Shortest of %.15g..%.17g that reads back exactly as v. */
static void format_real(double v, char *buf, size_t size)
{
    int prec;
    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

gn_status gn__runner_format_value(const gn_param *p, double v, char *buf, size_t size, gn_err *err)
{
    int n;
    if (!isfinite(v))
        return gn_err_set(err, GN_ERR_INVALID, "parameter '%s': value is not a finite number",
                          p->name);
    switch (p->type) {
    case GN_PARAM_REAL:
        format_real(v, buf, size);
        n = (int)strlen(buf);
        break;
    case GN_PARAM_INT:
        if (fabs(v) < 9.0e18)
            n = snprintf(buf, size, "%lld", (long long)llround(v));
        else
            n = snprintf(buf, size, "%.0f", v);
        break;
    case GN_PARAM_CHOICE:
        if (v < 0 || v >= (double)p->n_choices || v != floor(v))
            return gn_err_set(err, GN_ERR_INVALID,
                              "parameter '%s': choice index %g is not one of its %zu values",
                              p->name, v, p->n_choices);
        n = snprintf(buf, size, "%s", p->choices[(size_t)v]);
        break;
    default:
        return gn_err_set(err, GN_ERR_INVALID, "parameter '%s': unknown type %d", p->name,
                          (int)p->type);
    }
    if (n < 0 || (size_t)n >= size)
        return gn_err_set(err, GN_ERR_LIMIT, "parameter '%s': value text longer than %zu bytes",
                          p->name, size - 1);
    return GN_OK;
}

/* Index of the parameter whose name is the n bytes at `name`, or -1. */
static int param_index_n(const gn_spec *spec, const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < spec->n_params; i++)
        if (strlen(spec->params[i].name) == n && memcmp(spec->params[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

gn_status gn__runner_substitute(const char *word, const gn_spec *spec, const double *x, char **out,
                                gn_err *err)
{
    gn_strbuf sb;
    const char *p = word;
    char value[GN_SPEC_MAX_STRING + 1];
    gn_status st = GN_OK;

    *out = NULL;
    gn_strbuf_init(&sb);
    while (*p) {
        if (p[0] == '{' && p[1] == '{') {
            gn_strbuf_putc(&sb, '{');
            p += 2;
        } else if (p[0] == '}' && p[1] == '}') {
            gn_strbuf_putc(&sb, '}');
            p += 2;
        } else if (p[0] == '{') {
            const char *close = strchr(p + 1, '}');
            int idx;
            if (!close) {
                st = gn_err_set(err, GN_ERR_SPEC,
                                "runner argument '%s': unclosed '{' (write '{{' for a literal brace)",
                                word);
                goto out;
            }
            idx = param_index_n(spec, p + 1, (size_t)(close - p - 1));
            if (idx < 0) {
                st = gn_err_set(err, GN_ERR_SPEC, "runner argument '%s': no parameter named '%.*s'",
                                word, (int)(close - p - 1), p + 1);
                goto out;
            }
            st = gn__runner_format_value(&spec->params[idx], x[idx], value, sizeof value, err);
            if (st != GN_OK)
                goto out;
            gn_strbuf_append(&sb, value);
            p = close + 1;
        } else if (p[0] == '}') {
            st = gn_err_set(err, GN_ERR_SPEC,
                            "runner argument '%s': single '}' (write '}}' for a literal brace)", word);
            goto out;
        } else {
            gn_strbuf_putc(&sb, *p);
            p++;
        }
    }
    /* an empty word must still give an (empty) string */
    gn_strbuf_append(&sb, "");
    *out = gn_strbuf_take(&sb);
    if (!*out)
        st = gn_err_nomem(err);
out:
    gn_strbuf_destroy(&sb);
    return st;
}

/* Appends s as a JSON string literal. Returns 0, or -1 when s is not valid
 * UTF-8 or out of memory. */
static int append_json_string(gn_strbuf *sb, const char *s)
{
    json_t *j;
    const char *c;
    char *t;
    /* printable ASCII without quotes or backslashes needs no escaping:
     * the common case (names), without jansson's allocations */
    for (c = s; *c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\'; c++)
        ;
    if (*c == '\0') {
        gn_strbuf_putc(sb, '"');
        gn_strbuf_append(sb, s);
        gn_strbuf_putc(sb, '"');
        return 0;
    }
    j = json_string(s);
    if (!j)
        return -1;
    t = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    if (!t)
        return -1;
    gn_strbuf_append(sb, t);
    free(t); /* jansson's allocation */
    return 0;
}

gn_status gn__runner_params_json(const gn_spec *spec, const double *x, char **out, gn_err *err)
{
    gn_strbuf sb;
    char value[GN_SPEC_MAX_STRING + 1];
    size_t i;
    gn_status st = GN_OK;

    *out = NULL;
    gn_strbuf_init(&sb);
    gn_strbuf_putc(&sb, '{');
    for (i = 0; i < spec->n_params; i++) {
        const gn_param *p = &spec->params[i];
        st = gn__runner_format_value(p, x[i], value, sizeof value, err);
        if (st != GN_OK)
            goto out;
        if (i)
            gn_strbuf_append(&sb, ", ");
        if (append_json_string(&sb, p->name) != 0) {
            st = gn_err_set(err, GN_ERR_INVALID, "parameter name '%s' is not valid UTF-8", p->name);
            goto out;
        }
        gn_strbuf_append(&sb, ": ");
        if (p->type == GN_PARAM_CHOICE) {
            if (append_json_string(&sb, value) != 0) {
                st = gn_err_set(err, GN_ERR_INVALID, "parameter '%s': value '%s' is not valid UTF-8",
                                p->name, value);
                goto out;
            }
        } else {
            gn_strbuf_append(&sb, value);
        }
    }
    gn_strbuf_putc(&sb, '}');
    *out = gn_strbuf_take(&sb);
    if (!*out)
        st = gn_err_nomem(err);
out:
    gn_strbuf_destroy(&sb);
    return st;
}

/* ---- working directories ------------------------------------------------- */

/* mkdir -p: creates `path` and its missing parents (path is modified
 * temporarily, restored on return). */
static int mkdir_parents(char *path)
{
    char *s;
    struct stat stb;
    for (s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            *s = '/';
            return -1;
        }
        *s = '/';
    }
    if (mkdir(path, 0777) != 0) {
        if (errno != EEXIST)
            return -1;
        if (stat(path, &stb) != 0)
            return -1;
        if (!S_ISDIR(stb.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
    }
    return 0;
}

/* nftw callback: removes everything below the root (level 0 stays). */
static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    if (ftw->level == 0)
        return 0;
    if (flag == FTW_DP || flag == FTW_D)
        return rmdir(path) == 0 ? 0 : -1;
    return unlink(path) == 0 ? 0 : -1;
}

gn_status gn__runner_workdir(const char *root, int64_t number, int attempt, char *path, size_t size,
                             gn_err *err)
{
    char *dir = NULL;
    char *abs = NULL;
    gn_status st = GN_OK;

    if (!root || !*root)
        return gn_err_set(err, GN_ERR_INVALID, "no work directory root given");
    dir = gn_asprintf("%s/%lld/%d", root, (long long)number, attempt);
    if (!dir)
        return gn_err_nomem(err);
    if (mkdir_parents(dir) != 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot create work directory '%s': %s", dir,
                        strerror(errno));
        goto out;
    }
    /* A directory left by a crashed run: start from nothing. */
    errno = 0;
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
        st = gn_err_set(err, GN_ERR_IO, "cannot empty stale work directory '%s': %s", dir,
                        strerror(errno ? errno : EIO));
        goto out;
    }
    abs = realpath(dir, NULL);
    if (!abs) {
        st = gn_err_set(err, GN_ERR_IO, "cannot resolve work directory '%s': %s", dir,
                        strerror(errno));
        goto out;
    }
    if (strlen(abs) >= size) {
        st = gn_err_set(err, GN_ERR_LIMIT, "work directory path '%s' is longer than %zu bytes", abs,
                        size - 1);
        goto out;
    }
    memcpy(path, abs, strlen(abs) + 1);
out:
    free(abs); /* realpath's allocation */
    gn_free(dir);
    return st;
}

gn_status gn__runner_workdir_path(const char *root, int64_t number, int attempt, char *path,
                                  size_t size, gn_err *err)
{
    int n;
    if (!root || root[0] != '/')
        return gn_err_set(err, GN_ERR_INVALID, "work directory root '%s' is not absolute",
                          root ? root : "");
    n = snprintf(path, size, "%s/%lld/%d", root, (long long)number, attempt);
    if (n < 0 || (size_t)n >= size)
        return gn_err_set(err, GN_ERR_LIMIT, "work directory path under '%s' is longer than %zu bytes",
                          root, size - 1);
    return GN_OK;
}

gn_status gn__runner_workdir_prepare(const char *path, int *leave_last, gn_err *err)
{
    char buf[4096];
    char *slash;
    size_t len = strlen(path);

    *leave_last = 0;
    if (len >= sizeof buf)
        return gn_err_set(err, GN_ERR_LIMIT, "work directory path '%s' is too long", path);
    memcpy(buf, path, len + 1);
    slash = strrchr(buf, '/');
    if (slash && slash != buf) {
        *slash = '\0';
        if (mkdir(buf, 0777) == 0) {
            *leave_last = 1; /* a new folder: the attempt's directory cannot exist yet */
            return GN_OK;
        }
    }
    return gn__runner_workdir_make(path, err);
}

gn_status gn__runner_workdir_make(const char *path, gn_err *err)
{
    char buf[4096];
    char *slash;
    struct stat stb;
    size_t len = strlen(path);

    if (len >= sizeof buf)
        return gn_err_set(err, GN_ERR_LIMIT, "work directory path '%s' is too long", path);
    memcpy(buf, path, len + 1);
    /* The experiment's folder first: new for most attempts (a first
     * attempt), and an existing one costs only a look-up. Two calls where
     * trying the attempt's directory first would make three. */
    slash = strrchr(buf, '/');
    if (slash && slash != buf) {
        *slash = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST && (errno != ENOENT || mkdir_parents(buf) != 0)) {
            *slash = '/';
            goto fail;
        }
        *slash = '/';
    }
    if (mkdir(buf, 0777) == 0)
        return GN_OK; /* new, so empty */
    if (errno != EEXIST)
        goto fail;
    if (stat(buf, &stb) != 0)
        goto fail;
    if (!S_ISDIR(stb.st_mode)) {
        errno = ENOTDIR;
        goto fail;
    }
    /* A directory left by a crashed run: start from nothing. */
    errno = 0;
    if (nftw(buf, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
        int e = errno ? errno : EIO;
        gn_err_set(err, GN_ERR_IO, "cannot empty stale work directory '%s': %s", buf, strerror(e));
        errno = e;
        return GN_ERR_IO;
    }
    return GN_OK;
fail : {
    int e = errno;
    gn_err_set(err, GN_ERR_IO, "cannot create work directory '%s': %s", buf, strerror(e));
    errno = e; /* for gn_runner_workdir */
    return GN_ERR_IO;
}
}

/* ---- outcomes ------------------------------------------------------------ */

/* Appends the value as JSON number text: an integer exactly, a real in its
 * shortest round-trip form. */
static void append_number(gn_strbuf *sb, double v)
{
    char buf[64];
    format_real(v, buf, sizeof buf);
    gn_strbuf_append(sb, buf);
}

/* Shared end of the two outcome builders: hands the text built in sb to
 * *outcome, or says that memory ran out. */
static gn_status write_outcome(gn_strbuf *sb, char **outcome, char *why, size_t why_size)
{
    *outcome = gn_strbuf_take(sb);
    if (!*outcome) {
        snprintf(why, why_size, "out of memory while recording the outcome");
        return GN_ERR_NOMEM;
    }
    return GN_OK;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "a number";
    }
}

gn_status gn__runner_outcome_parse(const char *text, size_t len, const char *what, char **outcome,
                                   char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *root;
    const char *key;
    json_t *val;
    gn_strbuf sb;
    int first = 1;
    gn_status st = GN_ERR_OUTCOME;

    *outcome = NULL;
    gn_strbuf_init(&sb);
    root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        snprintf(why, why_size, "%s is not valid JSON: line %d column %d: %s", what, jerr.line,
                 jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        snprintf(why, why_size, "%s is %s, not a JSON object of numbers", what,
                 json_type_name(root));
        goto out;
    }
    gn_strbuf_putc(&sb, '{');
    json_object_foreach(root, key, val) {
        if (!*key) {
            snprintf(why, why_size, "%s has an empty key", what);
            goto out;
        }
        if (!json_is_number(val)) {
            snprintf(why, why_size, "%s: value of \"%.64s\" is %s, not a number", what, key,
                     json_type_name(val));
            goto out;
        }
        if (!isfinite(json_number_value(val))) {
            snprintf(why, why_size, "%s: value of \"%.64s\" is not a finite number", what, key);
            goto out;
        }
        if (!first)
            gn_strbuf_putc(&sb, ',');
        first = 0;
        if (append_json_string(&sb, key) != 0) {
            snprintf(why, why_size, "out of memory while recording the outcome");
            st = GN_ERR_NOMEM;
            goto out;
        }
        gn_strbuf_putc(&sb, ':');
        if (json_is_integer(val))
            gn_strbuf_appendf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
        else
            append_number(&sb, json_real_value(val));
    }
    gn_strbuf_putc(&sb, '}');
    st = write_outcome(&sb, outcome, why, why_size);
out:
    gn_strbuf_destroy(&sb);
    json_decref(root);
    return st;
}

static int outcome_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int gn__runner_outcome_from_stdout(const char *buf, size_t len, int cut, char **outcome, char *why,
                                   size_t why_size)
{
    size_t start = 0, line_end, ls, a, b;
    json_t *j;

    *outcome = NULL;
    if (cut)
        while (start < len && buf[start] != '\n')
            start++;
    line_end = len;
    while (line_end > start) {
        ls = line_end;
        while (ls > start && buf[ls - 1] != '\n')
            ls--;
        a = ls;
        b = line_end;
        while (a < b && outcome_blank(buf[a]))
            a++;
        while (b > a && outcome_blank(buf[b - 1]))
            b--;
        if (b > a && buf[a] == '{' && buf[b - 1] == '}') {
            j = json_loadb(buf + a, b - a, 0, NULL);
            if (j && json_is_object(j)) {
                json_decref(j);
                return gn__runner_outcome_parse(buf + a, b - a, "outcome on standard output",
                                                outcome, why, why_size) == GN_ERR_NOMEM
                           ? -1
                           : 1;
            }
            json_decref(j);
        }
        if (ls == start)
            break;
        line_end = ls - 1;
    }
    return 0;
}

gn_status gn__runner_outcome_from_values(char *const *names, const double *values, size_t n,
                                         char **outcome, char *why, size_t why_size)
{
    gn_strbuf sb;
    size_t i;
    gn_status st = GN_ERR_OUTCOME;

    *outcome = NULL;
    gn_strbuf_init(&sb);
    gn_strbuf_putc(&sb, '{');
    for (i = 0; i < n; i++) {
        if (!names[i] || !*names[i]) {
            snprintf(why, why_size, "outcome has an empty name");
            goto out;
        }
        if (!isfinite(values[i])) {
            snprintf(why, why_size, "outcome \"%.64s\" is not a finite number", names[i]);
            goto out;
        }
        if (i)
            gn_strbuf_putc(&sb, ',');
        if (append_json_string(&sb, names[i]) != 0) {
            snprintf(why, why_size, "outcome name \"%.64s\" is not valid UTF-8", names[i]);
            goto out;
        }
        gn_strbuf_putc(&sb, ':');
        append_number(&sb, values[i]);
    }
    gn_strbuf_putc(&sb, '}');
    st = write_outcome(&sb, outcome, why, why_size);
out:
    gn_strbuf_destroy(&sb);
    return st;
}

const char *gn__runner_signal_name(int sig, char *buf, size_t size)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
        {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
        {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
        {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGSYS, "SIGSYS"},
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) {
            snprintf(buf, size, "%s", names[i].name);
            return buf;
        }
    snprintf(buf, size, "signal %d", sig);
    return buf;
}

char *gn__exec_which(const char *prog)
{
    const char *dirs = getenv("PATH"), *d;
    char cand[PATH_MAX];
    struct stat sb;
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? gn_strdup(prog) : NULL;
    if (!dirs || !*dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    for (d = dirs;;) {
        const char *end = strchr(d, ':');
        size_t len = end ? (size_t)(end - d) : strlen(d);
        if (len && snprintf(cand, sizeof cand, "%.*s/%s", (int)len, d, prog) < (int)sizeof cand &&
            stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
            return gn_strdup(cand);
        if (!end)
            return NULL;
        d = end + 1;
    }
}
