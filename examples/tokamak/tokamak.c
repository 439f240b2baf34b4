/*
 * tokamak - a 0-D tokamak power balance with the IPB98(y,2) confinement
 * scaling, a Genesis command runner.
 *
 * Given the machine (R, aspect ratio, elongation, current, field) and the
 * plasma (density, auxiliary heating), it finds the steady-state
 * temperature at which the heating equals the losses,
 *
 *     P_aux + P_alpha(T) = P_brems(T) + W(T) / tau_E(P_L),
 *     P_L = P_aux + P_alpha - P_brems   (the loss power of the scaling),
 *
 * and reports the fusion gain Q = P_fus / P_aux with the operating limits
 * (Greenwald density, q95, Troyon beta, field on the coil).
 *
 *   tau_E  IPB98(y,2): ITER Physics Basis, Nucl. Fusion 39 (1999) 2175,
 *          ch. 2 eq. (20): tau_E = 0.0562 I^0.93 B^0.15 P^-0.69 n19^0.41
 *          M^0.19 R^1.97 eps^0.58 kappa^0.78 (s; MA, T, MW, 1e19 m^-3, amu, m)
 *   W      3 n T V (electrons and ions, n_e = n_i = n, T_e = T_i = T)
 *   V      2 pi^2 R a^2 kappa
 *   P_fus  (n/2)^2 <sigma v> 17.59 MeV V, 50:50 D-T; <sigma v> from
 *          Bosch & Hale, Nucl. Fusion 32 (1992) 611
 *   P_br   5.35e-37 Z_eff n^2 sqrt(T_keV) W/m^3 (NRL Plasma Formulary)
 *   n_GW   I / (pi a^2) in 1e20 m^-3 (Greenwald, Nucl. Fusion 28 (1988) 2199)
 *   q95    ITER Physics Design Guidelines (Uckan 1990), see README.md
 *   P_LH   L-H threshold, Martin et al., J. Phys. Conf. Ser. 123 (2008)
 *          012033, times 2/M for D-T: IPB98(y,2) is an H-mode scaling and
 *          holds only while P_L > P_LH (reported as lh_margin = P_L/P_LH)
 *
 * Usage: tokamak --R <m> --A <R/a> --I <MA> --B <T> --n <1e19/m^3>
 *                --P <MW> --kappa <k> [--heating NBI|ECRH|ICRH]
 *        tokamak ... --loss-power <MW>   (no power balance: the scaling at a
 *                                         given loss power, e.g. to check
 *                                         a published design point)
 *        tokamak --reactivity <keV>      (prints the D-T <sigma v>, m^3/s)
 *
 * The outcome (a JSON object of numbers) goes to $GENESIS_OUTPUT when set,
 * and to standard output otherwise. See README.md for the model and limits.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define KEV 1.602176634e-16   /* J per keV (exact, 2019 SI) */
#define MU0 1.25663706212e-6  /* vacuum permeability, N/A^2 (CODATA 2018) */
#define E_FUSION 17.589       /* MeV per D-T reaction */
#define E_ALPHA 3.517         /* MeV carried by the alpha particle */
#define MEV 1.602176634e-13   /* J per MeV */
#define MASS_AMU 2.5          /* mean ion mass of a 50:50 D-T fuel */
#define Z_EFF 1.0             /* pure D-T plasma (no impurities, no dilution) */
#define TRIANGULARITY 0.33    /* delta_95, ITER-like */
#define INBOARD_BUILD 1.4     /* m between plasma edge and TF peak field point */
#define MIN_BORE 0.5        /* m left inside that point for the TF legs and solenoid */
#define T_LOW 0.01            /* keV: the root search brackets [T_LOW, T_HIGH] */
#define T_HIGH 100.0          /* keV: upper validity of the Bosch-Hale fit */

/* D-T reactivity, Bosch & Hale (1992) Table IV / VII parametrisation for
 * T(d,n)4He, valid 0.2-100 keV, within 0.25% of the R-matrix values.
 * t in keV, result in m^3/s. */
static double bosch_hale_dt(double t)
{
    const double bg = 34.3827;        /* Gamow constant, keV^1/2 */
    const double mrc2 = 1124656.0;    /* reduced mass * c^2, keV */
    const double c1 = 1.17302e-9, c2 = 1.51361e-2, c3 = 7.51886e-2, c4 = 4.60643e-3,
                 c5 = 1.35000e-2, c6 = -1.06750e-4, c7 = 1.36600e-5;
    double theta = t / (1.0 - t * (c2 + t * (c4 + t * c6)) / (1.0 + t * (c3 + t * (c5 + t * c7))));
    double xi = cbrt(bg * bg / (4.0 * theta));
    double sv_cm3 = c1 * theta * sqrt(xi / (mrc2 * t * t * t)) * exp(-3.0 * xi);
    return sv_cm3 * 1e-6;
}

typedef struct machine {
    double R, A, I, B, n19, kappa; /* inputs */
    double a, eps, volume;         /* derived geometry */
    double p_aux;                  /* MW, absorbed auxiliary heating */
} machine;

/* tau_E = tau_coef * P_L^-0.69: everything in IPB98(y,2) but the power. */
static double ipb98_coef(const machine *m)
{
    return 0.0562 * pow(m->I, 0.93) * pow(m->B, 0.15) * pow(m->n19, 0.41) * pow(MASS_AMU, 0.19) *
           pow(m->R, 1.97) * pow(m->eps, 0.58) * pow(m->kappa, 0.78);
}

static double density(const machine *m) { return m->n19 * 1e19; } /* m^-3 */

static double stored_energy_mj(const machine *m, double t_kev)
{
    return 3.0 * density(m) * t_kev * KEV * m->volume * 1e-6;
}

static double fusion_power_mw(const machine *m, double t_kev)
{
    double nd = 0.5 * density(m);
    return nd * nd * bosch_hale_dt(t_kev) * E_FUSION * MEV * m->volume * 1e-6;
}

static double brems_power_mw(const machine *m, double t_kev)
{
    double n = density(m);
    return 5.35e-37 * Z_EFF * n * n * sqrt(t_kev) * m->volume * 1e-6;
}

/* The loss power that confines W(T) under IPB98: W = coef * P^0.31. */
static double loss_power_needed_mw(const machine *m, double t_kev)
{
    return pow(stored_energy_mj(m, t_kev) / ipb98_coef(m), 1.0 / 0.31);
}

/* Net heating at temperature T: positive while the plasma would heat up. */
static double power_excess(double t_kev, void *params)
{
    const machine *m = params;
    double p_alpha = fusion_power_mw(m, t_kev) * (E_ALPHA / E_FUSION);
    return m->p_aux + p_alpha - brems_power_mw(m, t_kev) - loss_power_needed_mw(m, t_kev);
}

/* Finds the steady-state temperature reached by heating from cold: the
 * first zero of power_excess above T_LOW (a lower root is the stable one
 * on the way up; a hotter ignited branch above it is not reached). Returns
 * 0 and *t_kev, or -1 with a message on stderr. */
static int solve_temperature(machine *m, double *t_kev)
{
    if (power_excess(T_LOW, m) <= 0.0) {
        fprintf(stderr, "tokamak: bremsstrahlung exceeds the heating already at %g keV\n", T_LOW);
        return -1;
    }
    /* scan a log grid for the first sign change, then refine with Brent */
    const int steps = 400;
    double lo = T_LOW, hi = 0.0;
    for (int i = 1; i <= steps; i++) {
        double t = T_LOW * pow(T_HIGH / T_LOW, (double)i / steps);
        if (power_excess(t, m) <= 0.0) {
            hi = t;
            break;
        }
        lo = t;
    }
    if (hi == 0.0) {
        fprintf(stderr, "tokamak: no steady state below %g keV (heating exceeds every loss)\n",
                T_HIGH);
        return -1;
    }
    gsl_function f = {power_excess, m};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) {
        fprintf(stderr, "tokamak: out of memory\n");
        return -1;
    }
    int status = gsl_root_fsolver_set(s, &f, lo, hi);
    for (int iter = 0; status == GSL_SUCCESS && iter < 200; iter++) {
        status = gsl_root_fsolver_iterate(s);
        if (status != GSL_SUCCESS)
            break;
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                        0.0, 1e-12);
        if (status == GSL_SUCCESS)
            break;
        if (status == GSL_CONTINUE)
            status = GSL_SUCCESS;
    }
    *t_kev = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    if (status != GSL_SUCCESS) {
        fprintf(stderr, "tokamak: temperature solve failed: %s\n", gsl_strerror(status));
        return -1;
    }
    return 0;
}

typedef struct heating_kind {
    const char *name;
    double wall_plug; /* electric-to-absorbed efficiency, indicative */
} heating_kind;

static const heating_kind HEATING[] = {
    {"NBI", 0.30},  /* neutral beams: ion source, neutraliser, beamline */
    {"ECRH", 0.40}, /* gyrotrons ~50% with depressed collector, transmission */
    {"ICRH", 0.50}, /* RF amplifiers and matching/transmission */
};

/* Parses a finite number in [lo, hi] from text; 0 on success. */
static int parse_number(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "tokamak: %s: '%s' is not a number\n", opt, text);
        return -1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "tokamak: %s: %g is outside [%g, %g]\n", opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tokamak --R <m> --A <R/a> --I <MA> --B <T> --n <1e19/m^3> --kappa <k>\n"
            "               (--P <MW> [--heating NBI|ECRH|ICRH] | --loss-power <MW>)\n"
            "       tokamak --reactivity <keV>\n"
            "  --R      major radius, m              --A      aspect ratio R/a\n"
            "  --I      plasma current, MA           --B      toroidal field on axis, T\n"
            "  --n      density, 1e19 m^-3           --kappa  elongation\n"
            "  --P      absorbed auxiliary heating, MW (steady-state power balance)\n"
            "  --heating  NBI, ECRH or ICRH (wall-plug efficiency; default NBI)\n"
            "  --loss-power  use this loss power in the scaling, no power balance\n"
            "Writes a JSON object to $GENESIS_OUTPUT, or to stdout if unset.\n");
}

typedef struct outcome {
    const char *name;
    double value;
} outcome;

/* Writes the outcomes as one JSON object to $GENESIS_OUTPUT or stdout.
 * Returns the process exit status. */
static int emit(const outcome *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(out[i].value)) {
            fprintf(stderr, "tokamak: %s is not finite\n", out[i].name);
            return 1;
        }
    }
    const char *path = getenv("GENESIS_OUTPUT");
    FILE *f = stdout;
    if (path && *path) {
        f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "tokamak: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    fputc('{', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\"%s\": %.17g", i ? ", " : "", out[i].name, out[i].value);
    fputs("}\n", f);
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
        fprintf(stderr, "tokamak: writing the outcome failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

enum { O_R, O_A, O_I, O_B, O_N, O_KAPPA, O_P, O_LOSS, O_REACT, N_NUMERIC };

int main(int argc, char **argv)
{
    static const char *const names[N_NUMERIC] = {"--R", "--A", "--I", "--B", "--n",
                                                 "--kappa", "--P", "--loss-power", "--reactivity"};
    const double lo[N_NUMERIC] = {0.5, 1.2, 0.01, 0.1, 0.01, 1.0, 0.01, 0.01, 0.2};
    const double hi[N_NUMERIC] = {20.0, 10.0, 50.0, 20.0, 100.0, 3.0, 1000.0, 5000.0, 100.0};
    double v[N_NUMERIC] = {0};
    int have[N_NUMERIC] = {0};
    const heating_kind *heating = &HEATING[0];

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
        int which = -1, is_heating = (len == 9 && !strncmp(arg, "--heating", 9));
        for (int k = 0; k < N_NUMERIC; k++)
            if (strlen(names[k]) == len && !strncmp(arg, names[k], len))
                which = k;
        if (which < 0 && !is_heating) {
            fprintf(stderr, "tokamak: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tokamak: %.*s needs a value\n", (int)len, arg);
                return 2;
            }
            val = argv[++i];
        }
        if (is_heating) {
            heating = NULL;
            for (size_t k = 0; k < sizeof HEATING / sizeof HEATING[0]; k++)
                if (!strcmp(val, HEATING[k].name))
                    heating = &HEATING[k];
            if (!heating) {
                fprintf(stderr, "tokamak: --heating: '%s' is not NBI, ECRH or ICRH\n", val);
                return 2;
            }
            continue;
        }
        if (parse_number(names[which], val, lo[which], hi[which], &v[which]))
            return 2;
        have[which] = 1;
    }

    gsl_set_error_handler_off(); /* report errors, never abort() */

    if (have[O_REACT]) {
        outcome out[] = {{"sigma_v", bosch_hale_dt(v[O_REACT])}};
        return emit(out, 1);
    }
    for (int k = O_R; k <= O_KAPPA; k++) {
        if (!have[k]) {
            fprintf(stderr, "tokamak: %s is required\n", names[k]);
            usage(stderr);
            return 2;
        }
    }
    if (have[O_P] == have[O_LOSS]) {
        fprintf(stderr, "tokamak: give exactly one of --P and --loss-power\n");
        return 2;
    }

    machine m = {.R = v[O_R], .A = v[O_A], .I = v[O_I], .B = v[O_B], .n19 = v[O_N],
                 .kappa = v[O_KAPPA], .p_aux = v[O_P]};
    m.a = m.R / m.A;
    m.eps = 1.0 / m.A;
    m.volume = 2.0 * M_PI * M_PI * m.R * m.a * m.a * m.kappa;
    double gap = m.R - m.a - INBOARD_BUILD;
    if (gap < MIN_BORE) {
        fprintf(stderr, "tokamak: no room inboard: R - a = %.3g m < %.3g m of blanket, shield, "
                        "coil and central solenoid\n", m.R - m.a, INBOARD_BUILD + MIN_BORE);
        return 1;
    }

    double t_kev, p_loss, tau_e;
    if (have[O_LOSS]) {
        p_loss = v[O_LOSS];
        tau_e = ipb98_coef(&m) * pow(p_loss, -0.69);
        t_kev = p_loss * tau_e * 1e6 / (3.0 * density(&m) * KEV * m.volume);
        if (t_kev < 0.2 || t_kev > T_HIGH) {
            fprintf(stderr, "tokamak: T = %g keV is outside the 0.2-100 keV of the fit\n", t_kev);
            return 1;
        }
    } else {
        if (solve_temperature(&m, &t_kev))
            return 1;
        p_loss = loss_power_needed_mw(&m, t_kev);
        tau_e = ipb98_coef(&m) * pow(p_loss, -0.69);
    }

    double w = stored_energy_mj(&m, t_kev);
    double p_fus = fusion_power_mw(&m, t_kev);
    double p_alpha = p_fus * (E_ALPHA / E_FUSION);
    double p_brems = brems_power_mw(&m, t_kev);
    double n_gw = m.I / (M_PI * m.a * m.a);     /* 1e20 m^-3 */
    double greenwald = 0.1 * m.n19 / n_gw;
    double d = TRIANGULARITY;
    double shape = (1.0 + m.kappa * m.kappa * (1.0 + 2.0 * d * d - 1.2 * d * d * d)) / 2.0;
    double q95 = 5.0 * m.a * m.a * m.B / (m.R * m.I) * shape * (1.17 - 0.65 * m.eps) /
                 ((1.0 - m.eps * m.eps) * (1.0 - m.eps * m.eps));
    double pressure = 2.0 * density(&m) * t_kev * KEV;            /* Pa */
    double beta_t = pressure / (m.B * m.B / (2.0 * MU0));
    double beta_n = 100.0 * beta_t * m.a * m.B / m.I;
    double b_coil = m.B * m.R / gap;
    /* plasma surface of an elongated torus (ellipse perimeter approx.) */
    double surface = 4.0 * M_PI * M_PI * m.R * m.a * sqrt((1.0 + m.kappa * m.kappa) / 2.0);
    double p_lh = 0.0488 * pow(0.1 * m.n19, 0.717) * pow(m.B, 0.803) * pow(surface, 0.941) *
                  (2.0 / MASS_AMU);
    double triple = density(&m) * t_kev * tau_e / 1e21;            /* 1e21 keV s m^-3 */

    outcome out[24];
    size_t n = 0;
    if (!have[O_LOSS]) {
        out[n++] = (outcome){"fusion_gain", p_fus / m.p_aux};
        out[n++] = (outcome){"wall_plug_power", m.p_aux / heating->wall_plug};
    } else {
        /* the auxiliary power this point implies; <= 0 means ignited */
        out[n++] = (outcome){"aux_power", p_loss + p_brems - p_alpha};
    }
    out[n++] = (outcome){"triple_product", triple};
    out[n++] = (outcome){"tau_e", tau_e};
    out[n++] = (outcome){"temperature", t_kev};
    out[n++] = (outcome){"stored_energy", w};
    out[n++] = (outcome){"fusion_power", p_fus};
    out[n++] = (outcome){"alpha_power", p_alpha};
    out[n++] = (outcome){"brems_power", p_brems};
    out[n++] = (outcome){"loss_power", p_loss};
    out[n++] = (outcome){"greenwald_fraction", greenwald};
    out[n++] = (outcome){"q95", q95};
    out[n++] = (outcome){"beta_n", beta_n};
    out[n++] = (outcome){"b_coil", b_coil};
    out[n++] = (outcome){"lh_margin", p_loss / p_lh};
    out[n++] = (outcome){"volume", m.volume};
    out[n++] = (outcome){"minor_radius", m.a};
    return emit(out, n);
}
