/*
 * reactor - an isothermal plug-flow reactor with consecutive-competing
 * reactions, a Genesis command runner.
 *
 *     A + B -> C      r1 = k1 [A][B]   (the desired product C)
 *     C + B -> D      r2 = k2 [C][B]   (consecutive: C is over-reacted)
 *     A     -> E      r3 = k3 [A]      (competing: A decomposes)
 *
 * with Arrhenius rate constants k_i = A_i exp(-Ea_i / (R T)). For an ideal
 * plug-flow reactor with a liquid feed of constant density (constant
 * volumetric flow), the mole balance dF_i/dV = r_i becomes dC_i/dtau = r_i
 * in the space time tau = V / v0 (Fogler, Elements of Chemical Reaction
 * Engineering, 5th ed., ch. 8; Levenspiel, Chemical Reaction Engineering,
 * 3rd ed., ch. 8 "series-parallel reactions"). The same equations describe
 * an isothermal batch reactor after a time tau. They are integrated with
 * GSL's variable-order BDF method (gsl_odeiv2_step_msbdf) and the analytic
 * Jacobian: at high temperature the decomposition and the over-reaction
 * make the system moderately stiff.
 *
 * Usage: reactor --T <K> --tau <min> --ca <mol/L> --cb <mol/L>
 *
 * The outcome (a JSON object of numbers) goes to $GENESIS_OUTPUT when that
 * is set, and to standard output otherwise. Bad arguments or a solver
 * failure print a message on standard error and exit with status 2 or 1.
 * See README.md beside this file for the chemistry, values and units.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_odeiv2.h>

#define R_GAS 8.314462618 /* J/(mol K), CODATA 2018 (exact since the 2019 SI) */

/* Kinetic data. Pre-exponential factors in minutes (the unit of tau):
 *   A1 = 4.0e4 L/(mol s), Ea1 =  60 kJ/mol   (bimolecular, polar TS)
 *   A2 = 1.0e6 L/(mol s), Ea2 =  75 kJ/mol   (over-reaction of C)
 *   A3 = 3.0e12 1/s,      Ea3 = 130 kJ/mol   (unimolecular decomposition)
 * Ea1 < Ea2 < Ea3: the side reactions gain on the main one as T rises, so
 * there is an optimal temperature and, at high T, an optimal tau. */
static const double A1 = 4.0e4 * 60.0;  /* L/(mol min) */
static const double A2 = 1.0e6 * 60.0;  /* L/(mol min) */
static const double A3 = 3.0e12 * 60.0; /* 1/min */
static const double EA1 = 60.0e3;       /* J/mol */
static const double EA2 = 75.0e3;
static const double EA3 = 130.0e3;

/* Cost model: $ per mol of C leaving the reactor (see README.md). */
static const double PRICE_A = 5.0;        /* $/mol of A fed */
static const double PRICE_B = 1.0;        /* $/mol of B fed */
static const double FEED_RHO = 0.9;       /* kg/L, organic solvent */
static const double FEED_CP = 2.0;        /* kJ/(kg K) */
static const double T_FEED = 298.15;      /* K, feed enters at 25 C */
static const double PRICE_HEAT = 0.02;    /* $/MJ of process heat (steam) */
static const double PRICE_VOLUME = 0.01;  /* $/(L min) of reactor occupancy */

/* Input ranges accepted (wider than the campaign's search space). */
#define T_MIN 250.0
#define T_MAX 600.0
#define TAU_MAX 1.0e4
#define C_MAX 20.0

enum { SP_A, SP_B, SP_C, SP_D, SP_E, N_SPECIES };

typedef struct rates {
    double k1, k2, k3;
} rates;

static double arrhenius(double a, double ea, double temp)
{
    return a * exp(-ea / (R_GAS * temp));
}

/* dC/dtau = r for the three reactions; y and f hold N_SPECIES values. */
static int reactor_rhs(double t, const double y[], double f[], void *params)
{
    (void)t;
    const rates *k = params;
    double r1 = k->k1 * y[SP_A] * y[SP_B];
    double r2 = k->k2 * y[SP_C] * y[SP_B];
    double r3 = k->k3 * y[SP_A];
    f[SP_A] = -r1 - r3;
    f[SP_B] = -r1 - r2;
    f[SP_C] = r1 - r2;
    f[SP_D] = r2;
    f[SP_E] = r3;
    return GSL_SUCCESS;
}

/* The Jacobian d f_i / d y_j (row-major) and df/dtau = 0 (autonomous). */
static int reactor_jac(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
    (void)t;
    const rates *k = params;
    gsl_matrix_view m = gsl_matrix_view_array(dfdy, N_SPECIES, N_SPECIES);
    gsl_matrix *j = &m.matrix;
    double a = y[SP_A], b = y[SP_B], c = y[SP_C];
    gsl_matrix_set_zero(j);
    gsl_matrix_set(j, SP_A, SP_A, -k->k1 * b - k->k3);
    gsl_matrix_set(j, SP_A, SP_B, -k->k1 * a);
    gsl_matrix_set(j, SP_B, SP_A, -k->k1 * b);
    gsl_matrix_set(j, SP_B, SP_B, -k->k1 * a - k->k2 * c);
    gsl_matrix_set(j, SP_B, SP_C, -k->k2 * b);
    gsl_matrix_set(j, SP_C, SP_A, k->k1 * b);
    gsl_matrix_set(j, SP_C, SP_B, k->k1 * a - k->k2 * c);
    gsl_matrix_set(j, SP_C, SP_C, -k->k2 * b);
    gsl_matrix_set(j, SP_D, SP_B, k->k2 * c);
    gsl_matrix_set(j, SP_D, SP_C, k->k2 * b);
    gsl_matrix_set(j, SP_E, SP_A, k->k3);
    for (int i = 0; i < N_SPECIES; i++)
        dfdt[i] = 0.0;
    return GSL_SUCCESS;
}

/* Integrates from the feed y (in: feed, out: outlet) over tau minutes.
 * Returns a GSL status (GSL_SUCCESS = 0). */
static int reactor_solve(const rates *k, double tau, double y[N_SPECIES])
{
    gsl_odeiv2_system sys = {reactor_rhs, reactor_jac, N_SPECIES, (void *)k};
    /* Tight tolerances: the linear invariants (atom balances) are kept to
     * about the local error, and a 5-species BDF solve stays sub-ms. */
    gsl_odeiv2_driver *d =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_msbdf, 1e-6, 1e-12, 1e-10);
    if (!d)
        return GSL_ENOMEM;
    double t = 0.0;
    int status = gsl_odeiv2_driver_apply(d, &t, tau, y);
    gsl_odeiv2_driver_free(d);
    return status;
}

/* Parses a finite number in [lo, hi] from text; 0 on success. */
static int parse_number(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "reactor: %s: '%s' is not a number\n", opt, text);
        return -1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "reactor: %s: %g is outside [%g, %g]\n", opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: reactor --T <K> --tau <min> --ca <mol/L> --cb <mol/L>\n"
               "  --T    temperature, K (%g..%g)\n"
               "  --tau  residence (space) time, min (>0..%g)\n"
               "  --ca   feed concentration of A, mol/L (>0..%g)\n"
               "  --cb   feed concentration of B, mol/L (>0..%g)\n"
               "Writes a JSON object to $GENESIS_OUTPUT, or to stdout if unset.\n",
            T_MIN, T_MAX, TAU_MAX, C_MAX, C_MAX);
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"--T", "--tau", "--ca", "--cb"};
    double v[4] = {0.0, 0.0, 0.0, 0.0};
    int have[4] = {0, 0, 0, 0};
    const double lo[4] = {T_MIN, 1e-9, 1e-9, 1e-9};
    const double hi[4] = {T_MAX, TAU_MAX, C_MAX, C_MAX};

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        const char *arg = argv[i], *val = NULL;
        size_t len = strlen(arg);
        const char *eq = strchr(arg, '=');
        if (eq) {
            len = (size_t)(eq - arg);
            val = eq + 1;
        }
        int which = -1;
        for (int k = 0; k < 4; k++)
            if (strlen(names[k]) == len && !strncmp(arg, names[k], len))
                which = k;
        if (which < 0) {
            fprintf(stderr, "reactor: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "reactor: %s needs a value\n", names[which]);
                return 2;
            }
            val = argv[++i];
        }
        if (parse_number(names[which], val, lo[which], hi[which], &v[which]))
            return 2;
        have[which] = 1;
    }
    for (int k = 0; k < 4; k++) {
        if (!have[k]) {
            fprintf(stderr, "reactor: %s is required\n", names[k]);
            usage(stderr);
            return 2;
        }
    }
    double temp = v[0], tau = v[1], ca0 = v[2], cb0 = v[3];

    gsl_set_error_handler_off(); /* report errors, never abort() */
    rates k = {arrhenius(A1, EA1, temp), arrhenius(A2, EA2, temp), arrhenius(A3, EA3, temp)};
    double y[N_SPECIES] = {ca0, cb0, 0.0, 0.0, 0.0};
    int status = reactor_solve(&k, tau, y);
    if (status != GSL_SUCCESS) {
        fprintf(stderr, "reactor: ODE solver failed: %s\n", gsl_strerror(status));
        return 1;
    }

    /* Roundoff can leave a concentration at -1e-17; the ratios are
     * fractions by construction, so clamp them to [0, 1]. */
    double cc = fmax(y[SP_C], 0.0);
    double reacted = ca0 - y[SP_A];
    double conversion = fmin(fmax(reacted / ca0, 0.0), 1.0);
    double yield = fmin(cc / ca0, 1.0);
    double selectivity = reacted > 0.0 ? fmin(cc / reacted, 1.0) : 0.0;

    /* Cost per litre of feed, then per mol of C produced. A tiny floor on
     * [C] keeps the number finite where (almost) nothing reacted. */
    double feed = PRICE_A * ca0 + PRICE_B * cb0;
    double heat = FEED_RHO * FEED_CP * fmax(temp - T_FEED, 0.0) * 1e-3 * PRICE_HEAT;
    double occupancy = PRICE_VOLUME * tau;
    double per_litre = feed + heat + occupancy;
    double cost = per_litre / fmax(cc, 1e-9);

    struct {
        const char *name;
        double value;
    } out[] = {
        {"yield", yield},
        {"selectivity", selectivity},
        {"conversion", conversion},
        {"cost", cost},
        {"cost_per_litre", per_litre},
        {"productivity", cc / tau},
        {"c_a", y[SP_A]},
        {"c_b", y[SP_B]},
        {"c_c", y[SP_C]},
        {"c_d", y[SP_D]},
        {"c_e", y[SP_E]},
        {"k1", k.k1},
        {"k2", k.k2},
        {"k3", k.k3},
    };
    size_t n_out = sizeof out / sizeof out[0];
    for (size_t i = 0; i < n_out; i++) {
        if (!isfinite(out[i].value)) {
            fprintf(stderr, "reactor: %s is not finite\n", out[i].name);
            return 1;
        }
    }

    const char *path = getenv("GENESIS_OUTPUT");
    FILE *f = stdout;
    if (path && *path) {
        f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "reactor: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    fputc('{', f);
    for (size_t i = 0; i < n_out; i++)
        fprintf(f, "%s\"%s\": %.17g", i ? ", " : "", out[i].name, out[i].value);
    fputs("}\n", f);
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
        fprintf(stderr, "reactor: writing the outcome failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
