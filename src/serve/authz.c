/*
 * serve/authz.c - who may do what (serve/identity.h): role and clearance
 * names, and the decisions. Pure functions of the principal: no store
 * access, so a decision costs a few string compares.
 *
 * Every doubtful input (NULL principal or project, a value outside its
 * enum) is decided as HIDDEN: fail closed, and say nothing about what
 * exists.
 */
#include <string.h>

#include "serve/identity.h"

static const char *const role_names[] = {"none", "viewer", "experimenter", "maintainer",
                                         "admin"};
static const char *const class_names[] = {"public", "internal", "controlled", "restricted"};

#define N_ROLES (sizeof role_names / sizeof role_names[0])
#define N_CLASSES (sizeof class_names / sizeof class_names[0])

const char *gn_role_name(gn_role r)
{
    if ((unsigned)r >= N_ROLES)
        return "none";
    return role_names[r];
}

int gn_role_parse(const char *s, gn_role *out)
{
    size_t i;
    if (!s)
        return -1;
    for (i = GN_ROLE_VIEWER; i < N_ROLES; i++) {
        if (!strcmp(s, role_names[i])) {
            if (out)
                *out = (gn_role)i;
            return 0;
        }
    }
    return -1;
}

const char *gn_class_name(gn_class c)
{
    if ((unsigned)c >= N_CLASSES)
        return "restricted"; /* never understate a label */
    return class_names[c];
}

int gn_class_parse(const char *s, gn_class *out)
{
    size_t i;
    if (!s)
        return -1;
    for (i = 0; i < N_CLASSES; i++) {
        if (!strcmp(s, class_names[i])) {
            if (out)
                *out = (gn_class)i;
            return 0;
        }
    }
    return -1;
}

gn_role gn_principal_role(const gn_principal *p, const char *project, gn_class *clearance)
{
    size_t i, n;

    if (clearance)
        *clearance = GN_CLASS_PUBLIC;
    if (!p || !project)
        return GN_ROLE_NONE;
    if (p->server_admin) {
        if (clearance)
            *clearance = GN_CLASS_RESTRICTED;
        return GN_ROLE_ADMIN;
    }
    n = p->n_projects < GN_PRINCIPAL_MAX_PROJECTS ? p->n_projects : GN_PRINCIPAL_MAX_PROJECTS;
    for (i = 0; i < n; i++) {
        const struct gn_membership *m = &p->projects[i];
        if (strcmp(m->project, project))
            continue;
        if ((unsigned)m->role > GN_ROLE_ADMIN || (unsigned)m->clearance > GN_CLASS_RESTRICTED)
            return GN_ROLE_NONE;
        if (clearance)
            *clearance = m->clearance;
        return m->role;
    }
    return GN_ROLE_NONE;
}

/* The least role for an action; NONE for an unknown action (then nobody
 * is allowed). */
static gn_role role_needed(gn_action act)
{
    switch (act) {
    case GN_ACT_READ: return GN_ROLE_VIEWER;
    case GN_ACT_EXPERIMENT: return GN_ROLE_EXPERIMENTER;
    case GN_ACT_MANAGE: return GN_ROLE_MAINTAINER;
    case GN_ACT_ADMIN: return GN_ROLE_ADMIN;
    }
    return GN_ROLE_NONE;
}

gn_authz gn_authorize(const gn_principal *p, gn_action act, const char *project, gn_class cls)
{
    gn_class clearance;
    gn_role role, need;

    if ((unsigned)cls > GN_CLASS_RESTRICTED)
        return GN_AUTHZ_HIDDEN;
    role = gn_principal_role(p, project, &clearance);
    if (role == GN_ROLE_NONE || cls > clearance)
        return GN_AUTHZ_HIDDEN;
    need = role_needed(act);
    if (need == GN_ROLE_NONE || role < need)
        return GN_AUTHZ_FORBIDDEN;
    return GN_AUTHZ_ALLOW;
}

gn_authz gn_authorize_create(const gn_principal *p, gn_action act, const char *project,
                             gn_class cls)
{
    gn_class clearance;
    gn_role role, need;

    role = gn_principal_role(p, project, &clearance);
    if (role == GN_ROLE_NONE)
        return GN_AUTHZ_HIDDEN;
    need = role_needed(act);
    if (need == GN_ROLE_NONE || role < need)
        return GN_AUTHZ_FORBIDDEN;
    if ((unsigned)cls > GN_CLASS_RESTRICTED || cls > clearance)
        return GN_AUTHZ_FORBIDDEN;
    return GN_AUTHZ_ALLOW;
}
