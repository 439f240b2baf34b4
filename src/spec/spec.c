/*
 * spec/spec.c - loading, parsing and freeing campaign specs (see spec.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "spec/internal.h"
#include "spec/spec.h"

void gn_spec_free(gn_spec *spec)
{
    size_t i, j;
    if (!spec)
        return;
    gn_free(spec->name);
    gn_free(spec->description);
    gn_free(spec->source);
    gn_free(spec->base_dir);
    gn_free(spec->text);
    for (i = 0; i < spec->n_params; i++) {
        gn_param *p = &spec->params[i];
        gn_free(p->name);
        gn_free(p->unit);
        for (j = 0; j < p->n_choices; j++)
            gn_free(p->choices[j]);
        gn_free(p->choices);
    }
    gn_free(spec->params);
    for (i = 0; i < spec->n_constraints; i++) {
        gn_free(spec->constraints[i].text);
        gn_free(spec->constraints[i].coef);
    }
    gn_free(spec->constraints);
    for (i = 0; i < spec->n_objectives; i++)
        gn_free(spec->objectives[i].name);
    gn_free(spec->objectives);
    for (i = 0; i < spec->n_outcome_constraints; i++)
        gn_free(spec->outcome_constraints[i].name);
    gn_free(spec->outcome_constraints);
    for (i = 0; i < spec->runner.n_command; i++)
        gn_free(spec->runner.command[i]);
    gn_free(spec->runner.command);
    gn_free(spec->runner.library);
    gn_free(spec->runner.function);
    gn_free(spec->runner.lookup);
    gn_free(spec->candidates);
    gn_free(spec->candidates_dataset);
    gn_free(spec->prior_dataset);
    for (i = 0; i < spec->n_prior_map; i++) {
        gn_free(spec->prior_names[i]);
        gn_free(spec->prior_cols[i]);
    }
    gn_free(spec->prior_names);
    gn_free(spec->prior_cols);
    gn_free(spec->planner.strategy);
    gn_free(spec->planner.acquisition);
    gn_free(spec->planner.trust_region);
    gn_free(spec->planner.kernel);
    gn_free(spec->planner.warp);
    gn_free(spec->executor.kind);
    gn_free(spec->executor.partition);
    gn_free(spec->executor.account);
    gn_free(spec->executor.qos);
    gn_free(spec->executor.time);
    gn_free(spec->executor.mem);
    gn_free(spec->executor.gres);
    gn_free(spec->executor.constraint);
    gn_free(spec->executor.job_name);
    for (i = 0; i < spec->executor.n_extra_args; i++)
        gn_free(spec->executor.extra_args[i]);
    gn_free(spec->executor.extra_args);
    for (i = 0; i < spec->executor.n_step_args; i++)
        gn_free(spec->executor.step_args[i]);
    gn_free(spec->executor.step_args);
    for (i = 0; i < spec->executor.n_setup; i++)
        gn_free(spec->executor.setup[i]);
    gn_free(spec->executor.setup);
    gn_free(spec);
}

/* JSON when the first non-blank byte is '{'. */
static int looks_like_json(const char *text, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        return ch == '{';
    }
    return 0;
}

gn_status gn_spec_parse(const char *text, size_t len, const char *source,
                        const char *base_dir, gn_spec **out, gn_err *err)
{
    gn_spec *spec = NULL;
    gn__node *root = NULL;
    gn_status st;

    if (out)
        *out = NULL;
    if (!out || (!text && len > 0))
        return gn_err_set(err, GN_ERR_INVALID, "gn_spec_parse: no text or no output");
    if (!source)
        source = "<spec>";
    if (!base_dir)
        base_dir = ".";
    if (len > GN_SPEC_MAX_BYTES)
        return gn_err_set(err, GN_ERR_LIMIT,
                          "%s:1:1: (top level): the spec is %zu bytes, over the limit of %u "
                          "bytes (GN_SPEC_MAX_BYTES)",
                          source, len, GN_SPEC_MAX_BYTES);
    spec = gn_calloc(1, sizeof *spec);
    if (!spec) {
        st = gn_err_nomem(err);
        goto fail;
    }
    spec->source = gn_strdup(source);
    spec->base_dir = gn_strdup(base_dir);
    spec->text = gn_malloc(len + 1);
    if (!spec->source || !spec->base_dir || !spec->text) {
        st = gn_err_nomem(err);
        goto fail;
    }
    if (len)
        memcpy(spec->text, text, len);
    spec->text[len] = '\0';
    spec->text_len = len;
    spec->is_json = looks_like_json(text, len);

    st = gn__spec_tree_read(spec->text, len, spec->is_json, spec->source, &root, err);
    if (st)
        goto fail;
    st = gn__spec_validate(root, spec, err);
    if (st)
        goto fail;
    gn__node_free(root);
    *out = spec;
    return GN_OK;
fail:
    gn__node_free(root);
    gn_spec_free(spec);
    return st;
}

/* The folder part of path: "." when there is none, "/" for "/x". */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return gn_strdup(".");
    if (slash == path)
        return gn_strdup("/");
    return gn_strndup(path, (size_t)(slash - path));
}

gn_status gn_spec_load(const char *path, gn_spec **out, gn_err *err)
{
    FILE *f = NULL;
    char *buf = NULL, *dir = NULL;
    size_t len = 0, got;
    gn_status st;

    if (out)
        *out = NULL;
    if (!path || !out)
        return gn_err_set(err, GN_ERR_INVALID, "gn_spec_load: no path or no output");
    f = fopen(path, "rb");
    if (!f) {
        st = gn_err_set(err, GN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    /* one byte more than the limit tells a file over it */
    buf = gn_malloc((size_t)GN_SPEC_MAX_BYTES + 1);
    if (!buf) {
        st = gn_err_nomem(err);
        goto out;
    }
    while (len <= GN_SPEC_MAX_BYTES) {
        got = fread(buf + len, 1, (size_t)GN_SPEC_MAX_BYTES + 1 - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        st = gn_err_set(err, GN_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (len > GN_SPEC_MAX_BYTES) {
        st = gn_err_set(err, GN_ERR_LIMIT,
                        "%s:1:1: (top level): the spec is larger than the limit of %u bytes "
                        "(GN_SPEC_MAX_BYTES)",
                        path, GN_SPEC_MAX_BYTES);
        goto out;
    }
    dir = folder_of(path);
    if (!dir) {
        st = gn_err_nomem(err);
        goto out;
    }
    st = gn_spec_parse(buf, len, path, dir, out, err);
out:
    gn_free(dir);
    gn_free(buf);
    if (f)
        fclose(f);
    return st;
}

int gn_spec_param_index(const gn_spec *spec, const char *name)
{
    size_t i;
    if (!spec || !name)
        return -1;
    for (i = 0; i < spec->n_params; i++)
        if (spec->params[i].name && !strcmp(spec->params[i].name, name))
            return (int)i;
    return -1;
}

int gn_spec_objective_index(const gn_spec *spec, const char *name)
{
    size_t i;
    if (!spec || !name)
        return -1;
    for (i = 0; i < spec->n_objectives; i++)
        if (spec->objectives[i].name && !strcmp(spec->objectives[i].name, name))
            return (int)i;
    return -1;
}

int gn_spec_outcome_constraint_index(const gn_spec *spec, const char *name)
{
    size_t i;
    if (!spec || !name)
        return -1;
    for (i = 0; i < spec->n_outcome_constraints; i++)
        if (spec->outcome_constraints[i].name && !strcmp(spec->outcome_constraints[i].name, name))
            return (int)i;
    return -1;
}
