/*
 * plan/space.h - the search space of a campaign, as planners see it.
 *
 * A point is a vector x of n_params doubles in spec order: the value of a
 * real parameter, the (whole) value of an int parameter, and the index
 * (0-based) of a choice parameter's value.
 *
 * Every parameter also has one coordinate in the unit cube [0,1)^d, so that
 * design-of-experiments planners can map a unit point to a point:
 *   real:   low + u*(high-low), or exp(log(low) + u*(log(high)-log(low)))
 *           with scale: log;
 *   int:    floor of the same over [low, high+1) (log: [low, high+1) in log
 *           space), clamped to [low, high];
 *   choice: floor(u * n_choices), clamped.
 * so each of the k values of an int or choice parameter gets an equal share
 * of the unit interval.
 */
#ifndef GN_PLAN_SPACE_H
#define GN_PLAN_SPACE_H

#include <stddef.h>

#include "core/err.h"
#include "spec/spec.h"

typedef struct gn_space {
    const gn_spec *spec; /* borrowed; must outlive the space */
    size_t dim;          /* = spec->n_params */
} gn_space;

/* Initialises a space over spec's parameters and linear constraints. */
void gn_space_init(gn_space *space, const gn_spec *spec);

/* Maps a unit point u (dim entries in [0,1]) to a point x (dim entries). */
void gn_space_from_unit(const gn_space *space, const double *u, double *x);

/* Maps a point back to the centre of its unit cell (inverse of from_unit
 * for reals; the middle of the value's share for ints and choices). */
void gn_space_to_unit(const gn_space *space, const double *x, double *u);

/* 1 if x is within bounds, ints are whole, choice indexes are valid and
 * every linear constraint holds (with a relative tolerance of 1e-9). */
int gn_space_feasible(const gn_space *space, const double *x);

/* Draws up to `max_tries` unit points from `draw` until one maps to a
 * feasible point; writes it to x and returns GN_OK, or returns
 * GN_ERR_INFEASIBLE with a message naming the constraints that were never
 * satisfied ("the feasible region looks empty: ..."). `draw(ctx, u)` fills
 * u with dim numbers in [0,1). max_tries <= 0 means GN_SPACE_MAX_TRIES.
 * The message names the constraints no tried point satisfied ("... no point
 * of 100000 tried satisfies 'a + b <= -5'"), or, when each held at some
 * point, two that never held together ("... satisfies 'x <= 0' and 'x >= 1'
 * together (each holds alone)"), or all of them. */
gn_status gn_space_sample_feasible(const gn_space *space,
                                   void (*draw)(void *ctx, double *u), void *ctx,
                                   long max_tries, double *x, gn_err *err);

/* Default number of rejection tries before a region is declared empty. */
#define GN_SPACE_MAX_TRIES 100000L

/* Writes the parameters of x as a JSON object text {"name": value, ...}
 * (choice values as strings, ints without a fraction). Returns a new string
 * (gn_free) or NULL when out of memory. Reals are written in the shortest
 * form that reads back as the same double (0.1, not 0.10000000000000001). */
char *gn_space_params_json(const gn_space *space, const double *x);

/* Parses a JSON object of parameter values (as written by params_json, or
 * typed by a person) into x. Every parameter must be present, in bounds and
 * of the right type; unknown names are errors. Linear constraints are not
 * checked (a person may run a point outside them on purpose). An int may be
 * written 3 or 3.0; a choice value as its text, or as a number whose
 * shortest text is one of the values (YAML "values: [1, 2, 4]"). Errors are
 * GN_ERR_INVALID with messages such as "parameter 'stages': expected a
 * whole number between 1 and 5, got 2.5", "parameter 'catalyst': expected
 * one of \"Pd\", \"Ni\", \"Cu\", got \"Pt\"", "unknown parameter 'p' (the
 * parameters are ...)", "missing parameter 'stages'". x is undefined after
 * an error. */
gn_status gn_space_params_parse(const gn_space *space, const char *json, double *x, gn_err *err);

#endif
