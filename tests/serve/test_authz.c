/*
 * test_authz.c - the authorisation decisions of serve/identity.h, over
 * every role x clearance x classification x membership x action (and the
 * server-admin flag), against the table as docs/serve.md states it; then
 * the same decisions for principals read from a real database.
 */
#include <stdio.h>
#include <string.h>

#include "identity_test_util.h"

static const gn_role all_roles[] = {GN_ROLE_NONE, GN_ROLE_VIEWER, GN_ROLE_EXPERIMENTER,
                                    GN_ROLE_MAINTAINER, GN_ROLE_ADMIN};
static const gn_class all_classes[] = {GN_CLASS_PUBLIC, GN_CLASS_INTERNAL, GN_CLASS_CONTROLLED,
                                       GN_CLASS_RESTRICTED};
static const gn_action all_actions[] = {GN_ACT_READ, GN_ACT_EXPERIMENT, GN_ACT_MANAGE,
                                        GN_ACT_ADMIN};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The least role per action, as the table in docs/serve.md lists it:
 * read viewer, suggest/tell experimenter, manage maintainer, admin admin. */
static int least_role(gn_action a)
{
    static const int table[] = {[GN_ACT_READ] = 1, [GN_ACT_EXPERIMENT] = 2,
                                [GN_ACT_MANAGE] = 3, [GN_ACT_ADMIN] = 4};
    return table[a];
}

/* A principal with one membership (or none, role NONE) in "p1", and an
 * unrelated admin membership in "p2" that must never leak into p1. */
static void principal(gn_principal *p, gn_role role, gn_class clearance, int server_admin)
{
    memset(p, 0, sizeof *p);
    p->user_id = 7;
    snprintf(p->user, sizeof p->user, "u");
    p->server_admin = server_admin;
    snprintf(p->projects[0].project, sizeof p->projects[0].project, "p2");
    p->projects[0].role = GN_ROLE_ADMIN;
    p->projects[0].clearance = GN_CLASS_RESTRICTED;
    p->n_projects = 1;
    if (role != GN_ROLE_NONE) {
        snprintf(p->projects[1].project, sizeof p->projects[1].project, "p1");
        p->projects[1].role = role;
        p->projects[1].clearance = clearance;
        p->n_projects = 2;
    }
}

/* What the rules say, written from the prose, not from the code. */
static gn_authz expected(gn_role role, gn_class clearance, int server_admin, int same_project,
                         gn_action act, gn_class cls)
{
    if (server_admin)
        return GN_AUTHZ_ALLOW;
    if (!same_project || role == GN_ROLE_NONE)
        return GN_AUTHZ_HIDDEN; /* not a member: the object does not exist for them */
    if (cls > clearance)
        return GN_AUTHZ_HIDDEN; /* above their clearance: does not exist either */
    if ((int)role < least_role(act))
        return GN_AUTHZ_FORBIDDEN;
    return GN_AUTHZ_ALLOW;
}

static gn_authz expected_create(gn_role role, gn_class clearance, int server_admin,
                                int same_project, gn_action act, gn_class cls)
{
    if (server_admin)
        return GN_AUTHZ_ALLOW;
    if (!same_project || role == GN_ROLE_NONE)
        return GN_AUTHZ_HIDDEN;
    if ((int)role < least_role(act) || cls > clearance)
        return GN_AUTHZ_FORBIDDEN; /* nobody creates what they could not see */
    return GN_AUTHZ_ALLOW;
}

static const char *dname(gn_authz d)
{
    return d == GN_AUTHZ_ALLOW ? "allow" : d == GN_AUTHZ_HIDDEN ? "hidden" : "forbidden";
}

/* 5 roles x 4 clearances x 2 admin flags x 2 projects x 4 actions x 4
 * classifications = 1280 decisions, each for an existing object and for
 * creating one. */
static void matrix_exhaustive(void **state)
{
    size_t r, c, a, k, total = 0, allowed = 0;
    int admin, same;
    gn_principal p;
    (void)state;

    for (r = 0; r < N(all_roles); r++)
        for (c = 0; c < N(all_classes); c++)
            for (admin = 0; admin <= 1; admin++)
                for (same = 0; same <= 1; same++)
                    for (a = 0; a < N(all_actions); a++)
                        for (k = 0; k < N(all_classes); k++) {
                            gn_role role = all_roles[r];
                            gn_class clr = all_classes[c], cls = all_classes[k];
                            gn_action act = all_actions[a];
                            const char *proj = same ? "p1" : "p3";
                            gn_authz want, got;

                            principal(&p, role, clr, admin);
                            want = expected(role, clr, admin, same, act, cls);
                            got = gn_authorize(&p, act, proj, cls);
                            if (got != want)
                                fail_msg("authorize role=%s clearance=%s admin=%d project=%s "
                                         "act=%d class=%s: got %s, want %s",
                                         gn_role_name(role), gn_class_name(clr), admin, proj,
                                         (int)act, gn_class_name(cls), dname(got), dname(want));
                            want = expected_create(role, clr, admin, same, act, cls);
                            got = gn_authorize_create(&p, act, proj, cls);
                            if (got != want)
                                fail_msg("create role=%s clearance=%s admin=%d project=%s "
                                         "act=%d class=%s: got %s, want %s",
                                         gn_role_name(role), gn_class_name(clr), admin, proj,
                                         (int)act, gn_class_name(cls), dname(got), dname(want));
                            total++;
                            allowed += got == GN_AUTHZ_ALLOW;
                        }
    assert_int_equal(total, 1280);
    assert_true(allowed > 0 && allowed < total);
}

/* A few rows spelled out, as a reader would check them by hand. */
static void matrix_spot_checks(void **state)
{
    gn_principal p;
    (void)state;

    principal(&p, GN_ROLE_VIEWER, GN_CLASS_INTERNAL, 0);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_ALLOW);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", GN_CLASS_INTERNAL), GN_AUTHZ_ALLOW);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", GN_CLASS_CONTROLLED), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_EXPERIMENT, "p1", GN_CLASS_INTERNAL),
                     GN_AUTHZ_FORBIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_EXPERIMENT, "p1", GN_CLASS_RESTRICTED),
                     GN_AUTHZ_HIDDEN); /* 404 before 403: no hint that it exists */
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p9", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);

    principal(&p, GN_ROLE_MAINTAINER, GN_CLASS_CONTROLLED, 0);
    assert_int_equal(gn_authorize(&p, GN_ACT_MANAGE, "p1", GN_CLASS_CONTROLLED), GN_AUTHZ_ALLOW);
    assert_int_equal(gn_authorize(&p, GN_ACT_ADMIN, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_FORBIDDEN);
    assert_int_equal(gn_authorize_create(&p, GN_ACT_MANAGE, "p1", GN_CLASS_RESTRICTED),
                     GN_AUTHZ_FORBIDDEN);
    assert_int_equal(gn_authorize_create(&p, GN_ACT_MANAGE, "p1", GN_CLASS_CONTROLLED),
                     GN_AUTHZ_ALLOW);
    assert_int_equal(gn_authorize_create(&p, GN_ACT_MANAGE, "nope", GN_CLASS_PUBLIC),
                     GN_AUTHZ_HIDDEN);

    principal(&p, GN_ROLE_NONE, GN_CLASS_PUBLIC, 1); /* server admin, member of nothing */
    assert_int_equal(gn_authorize(&p, GN_ACT_ADMIN, "anything", GN_CLASS_RESTRICTED),
                     GN_AUTHZ_ALLOW);
}

/* Doubtful input is decided HIDDEN or FORBIDDEN, never ALLOW. */
static void fail_closed(void **state)
{
    gn_principal p;
    gn_class cl;
    (void)state;

    principal(&p, GN_ROLE_ADMIN, GN_CLASS_RESTRICTED, 0);
    assert_int_equal(gn_authorize(NULL, GN_ACT_READ, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, NULL, GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", (gn_class)4), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", (gn_class)-1), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, (gn_action)9, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_FORBIDDEN);
    assert_int_equal(gn_authorize_create(&p, GN_ACT_MANAGE, "p1", (gn_class)7),
                     GN_AUTHZ_FORBIDDEN);
    assert_int_equal(gn_authorize_create(NULL, GN_ACT_MANAGE, "p1", GN_CLASS_PUBLIC),
                     GN_AUTHZ_HIDDEN);
    /* a corrupted membership grants nothing */
    p.projects[1].role = (gn_role)99;
    assert_int_equal(gn_principal_role(&p, "p1", &cl), GN_ROLE_NONE);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    /* n_projects past the array is clamped, not trusted */
    principal(&p, GN_ROLE_VIEWER, GN_CLASS_PUBLIC, 0);
    p.n_projects = 100000;
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1", GN_CLASS_PUBLIC), GN_AUTHZ_ALLOW);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "zz", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    /* project names are compared exactly */
    principal(&p, GN_ROLE_ADMIN, GN_CLASS_RESTRICTED, 0);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "P1", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p1 ", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
    assert_int_equal(gn_authorize(&p, GN_ACT_READ, "p", GN_CLASS_PUBLIC), GN_AUTHZ_HIDDEN);
}

static void names_round_trip(void **state)
{
    size_t i;
    gn_role r;
    gn_class c;
    (void)state;

    for (i = 1; i < N(all_roles); i++) {
        assert_int_equal(gn_role_parse(gn_role_name(all_roles[i]), &r), 0);
        assert_int_equal(r, all_roles[i]);
    }
    for (i = 0; i < N(all_classes); i++) {
        assert_int_equal(gn_class_parse(gn_class_name(all_classes[i]), &c), 0);
        assert_int_equal(c, all_classes[i]);
    }
    assert_string_equal(gn_role_name(GN_ROLE_NONE), "none");
    assert_int_equal(gn_role_parse("none", &r), -1);
    assert_int_equal(gn_role_parse("Admin", &r), -1);
    assert_int_equal(gn_role_parse(NULL, &r), -1);
    assert_int_equal(gn_class_parse("secret", &c), -1);
    assert_string_equal(gn_class_name((gn_class)42), "restricted");
}

/* The same matrix through the real path: memberships written to a
 * database, a token per user, the principal from gn_authenticate. */
static void matrix_through_database(void **state)
{
    static const char *const rnames[] = {"viewer", "experimenter", "maintainer", "admin"};
    static const char *const cnames[] = {"public", "internal", "controlled", "restricted"};
    char path[1024], user[64], secrets[16][GN_TOKEN_LEN + 1];
    gn_store *s = id_store(path, sizeof path, "authz_db");
    gn_principal p;
    gn_err err;
    size_t r, c, a, k, i = 0;
    (void)state;

    assert_ok(gn_store_project_add(s, "other", NULL, NULL, &err));
    for (r = 0; r < 4; r++)
        for (c = 0; c < 4; c++, i++) {
            snprintf(user, sizeof user, "u-%s-%s", rnames[r], cnames[c]);
            member(s, user, "p1", rnames[r], cnames[c]);
            assert_ok(gn_store_membership_set(s, user, "other", "admin", "restricted", &err));
            assert_ok(gn_token_create(s, user, NULL, 0, secrets[i], NULL, &err));
        }
    for (i = 0, r = 0; r < 4; r++)
        for (c = 0; c < 4; c++, i++) {
            assert_ok(gn_authenticate(s, secrets[i], &p, &err));
            for (a = 0; a < N(all_actions); a++)
                for (k = 0; k < N(all_classes); k++) {
                    gn_role role = all_roles[r + 1];
                    gn_class clr = all_classes[c], cls = all_classes[k];
                    assert_int_equal(gn_authorize(&p, all_actions[a], "p1", cls),
                                     expected(role, clr, 0, 1, all_actions[a], cls));
                    assert_int_equal(gn_authorize(&p, all_actions[a], "p3", cls),
                                     GN_AUTHZ_HIDDEN);
                }
        }
    gn_store_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(matrix_exhaustive),
    cmocka_unit_test(matrix_spot_checks),
    cmocka_unit_test(fail_closed),
    cmocka_unit_test(names_round_trip),
    cmocka_unit_test(matrix_through_database),
};

GN_TEST_MAIN(tests)
