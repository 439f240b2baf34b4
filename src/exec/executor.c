/* exec/executor.c - the executor registry and its dispatch; see executor.h */
#include "exec/executor.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"

struct gn_executor {
    const gn_executor_type *type;
    void *state;
};

/* Back ends by name. */
static const gn_executor_type *const executor_types[] = {
    &gn_executor_local,
#ifdef GN_HAVE_MPI
    &gn_executor_mpi,
#endif
    &gn_executor_slurm,
};

#define N_EXECUTOR_TYPES (sizeof executor_types / sizeof executor_types[0])

void gn_exec_result_destroy(gn_exec_result *r)
{
    if (!r)
        return;
    gn_free(r->reason);
    gn_free(r->stdout_tail);
    gn_free(r->stderr_tail);
    gn_free(r->outcome);
    gn_free(r->job_id);
    gn_free(r->job_state);
    gn_free(r->node);
    r->reason = r->stdout_tail = r->stderr_tail = r->outcome = NULL;
    r->job_id = r->job_state = r->node = NULL;
}

gn_status gn_executor_new(const gn_exec_config *cfg, gn_executor **out, gn_err *err)
{
    const char *kind;
    const gn_executor_type *type = NULL;
    gn_executor *e;
    size_t i;
    gn_status st;

    *out = NULL;
    if (!cfg || !cfg->spec)
        return gn_err_set(err, GN_ERR_INVALID, "executor: no configuration or spec");
    kind = cfg->spec->executor.kind;
    if (!kind || !*kind)
        kind = "local";
    for (i = 0; i < N_EXECUTOR_TYPES; i++)
        if (strcmp(executor_types[i]->name, kind) == 0)
            type = executor_types[i];
    if (!type) {
        char names[128];
        size_t len = 0;
        names[0] = '\0';
        for (i = 0; i < N_EXECUTOR_TYPES && len < sizeof names; i++) {
            int w = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                             executor_types[i]->name);
            if (w < 0)
                break;
            len += (size_t)w;
        }
        return gn_err_set(err, GN_ERR_UNSUPPORTED,
                          "executor '%s' is not available in this build (available: %s)", kind, names);
    }
    e = gn_calloc(1, sizeof *e);
    if (!e)
        return gn_err_nomem(err);
    e->type = type;
    st = type->create(cfg, &e->state, err);
    if (st != GN_OK) {
        gn_free(e);
        return st;
    }
    *out = e;
    return GN_OK;
}

size_t gn_executor_free_slots(gn_executor *e) { return e->type->free_slots(e->state); }

size_t gn_executor_running(gn_executor *e) { return e->type->running(e->state); }

gn_status gn_executor_submit(gn_executor *e, const gn_task *task, gn_task_started *started, gn_err *err)
{
    return e->type->submit(e->state, task, started, err);
}

gn_status gn_executor_wait(gn_executor *e, double max_wait, volatile int *interrupt,
                           gn_exec_result *out, size_t cap, size_t *n, gn_err *err)
{
    return e->type->wait(e->state, max_wait, interrupt, out, cap, n, err);
}

void gn_executor_cancel_all(gn_executor *e, double grace) { e->type->cancel_all(e->state, grace); }

gn_status gn_executor_adopt(gn_executor *e, const gn_task *task, const gn_attempt_rec *att,
                            gn_err *err)
{
    if (!e->type->adopt)
        return gn_err_set(err, GN_ERR_UNSUPPORTED,
                          "executor %s cannot re-attach to attempts of an earlier run",
                          e->type->name);
    return e->type->adopt(e->state, task, att, err);
}

size_t gn_executor_job_updates(gn_executor *e, gn_exec_job_update *out, size_t cap)
{
    if (!e || !out || cap == 0 || !e->type->job_updates)
        return 0;
    return e->type->job_updates(e->state, out, cap);
}

int gn_executor_kind_adopts(const char *kind)
{
    size_t i;
    if (!kind || !*kind)
        kind = "local";
    for (i = 0; i < N_EXECUTOR_TYPES; i++)
        if (strcmp(executor_types[i]->name, kind) == 0)
            return executor_types[i]->adopt != NULL;
    return 0;
}

void gn_executor_free(gn_executor *e)
{
    if (!e)
        return;
    e->type->destroy(e->state);
    gn_free(e);
}

int gn_exec_host_is_local(const char *host)
{
    char here[256];
    size_t len;
    if (!host || !*host)
        return 1;
    if (gethostname(here, sizeof here) != 0)
        return 0;
    here[sizeof here - 1] = '\0';
    len = strcspn(host, " ");
    return strlen(here) == len && strncmp(here, host, len) == 0;
}
