/*
 * analyse/report.c - the report of an analysis: one self-contained HTML
 * page (inline CSS and SVG, no scripts, no external resources) or
 * Markdown with the same content in tables.
 *
 * Everything that comes from the database or the spec (names, units,
 * reasons, hosts, the spec text) is escaped on output.
 */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse/analyse.h"
#include "analyse/svg.h"
#include "core/alloc.h"
#include "core/timeutil.h"
#include "genesis/genesis.h"

#define C_BEST "#1f5fa8"
#define C_RANDOM "#d9661f"
#define C_OBS "#9a9a9a"
#define C_BAND "#6fa8dc"
#define C_ST "#1f4e79"
#define C_S1 "#6fa8dc"
#define C_ARD "#b7b7b7"
#define C_OK "#1f5fa8"
#define C_BAD "#d9381e"
#define PLOT_W 560.0
#define PLOT_H 340.0
#define IMPORTANCE_ROWS 12 /* parameters in the importance plot (the table has all) */

#define ESC(s) gn__html_escape(f, (s))

/* ---- shared helpers --------------------------------------------------------------------- */

typedef struct best_pair {
    double key;
    size_t row;
} best_pair;

static int cmp_best(const void *pa, const void *pb)
{
    const best_pair *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->row < b->row ? -1 : 1;
}

size_t gn__analyse_best_rows(const gn__analysis *a, size_t j, size_t *rows, size_t n)
{
    const gn__adata *d = &a->data;
    double s = a->c->spec->objectives[j].maximize ? 1.0 : -1.0;
    best_pair *p = gn_calloc(d->n + 1, sizeof *p);
    size_t i, k = 0;
    if (!p)
        return 0;
    for (i = 0; i < d->n; i++)
        if (d->feasible[i]) {
            p[k].key = s * d->y[i * d->m + j];
            p[k++].row = i;
        }
    qsort(p, k, sizeof *p, cmp_best);
    if (k > n)
        k = n;
    for (i = 0; i < k; i++)
        rows[i] = p[i].row;
    gn_free(p);
    return k;
}

static const char *fmt(double v, char *buf, size_t size)
{
    if (!isfinite(v))
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.4g", v);
    return buf;
}

static const char *pct(double v, char *buf, size_t size)
{
    if (!isfinite(v))
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.1f%%", 100 * v);
    return buf;
}

/* "name [unit]" of a parameter, plus "(log scale)". */
static void param_label(const gn_param *p, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s%s%s", p->name, p->unit ? " [" : "", p->unit ? p->unit : "", p->unit ? "]" : "",
             p->log_scale ? " (log scale)" : "");
}

/* The stopping sentence of objective j. */
static void stop_text(const gn__objective_analysis *o, char *buf, size_t size)
{
    if (!o->model_ok)
        snprintf(buf, size, "no suggestion: %s", o->model_note);
    else if (!o->has_ei)
        snprintf(buf, size, "no suggestion: no feasible experiment yet, or no feasible point to evaluate");
    else if (!(o->range > 0))
        snprintf(buf, size, "no suggestion: every observed value is the same");
    else if (o->stop)
        snprintf(buf, size,
                 "stop: the expected gain of further experiments is below %g%% of the range "
                 "(largest expected improvement %.3g, %.2f%% of the observed range %.4g)",
                 100 * GN_ANALYSE_STOP_REL, o->ei, 100 * o->ei_rel, o->range);
    else
        snprintf(buf, size,
                 "continue: one more experiment is expected to improve the best by %.3g "
                 "(%.1f%% of the observed range %.4g)",
                 o->ei, 100 * o->ei_rel, o->range);
}

/* ---- HTML: the plots ---------------------------------------------------------------------- */

static void figure_open(FILE *f, const char *title)
{
    fputs("<figure>\n<h4>", f);
    ESC(title);
    fputs("</h4>\n", f);
}

static void figure_close(FILE *f, const char *caption)
{
    fputs("<figcaption>", f);
    ESC(caption);
    fputs("</figcaption>\n</figure>\n", f);
}

static void plot_convergence(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn__adata *d = &a->data;
    const char *name = a->c->spec->objectives[j].name;
    double lo = INFINITY, hi = -INFINITY, *xs;
    size_t i;
    gn__plot p;
    char title[256], ylabel[128], cap[512];
    gn__legend_item leg[] = {{GN__MARK_LINE, C_BEST, "best so far"},
                             {GN__MARK_DASH, C_RANDOM, "random search: expected best of k draws from the same values"},
                             {GN__MARK_POINT, C_OBS, "each feasible outcome"}};

    snprintf(title, sizeof title, "Convergence: best %s so far", name);
    figure_open(f, title);
    if (o->n_conv == 0 || !o->has_best) {
        fputs("<p class=\"note\">No feasible outcome yet: nothing to plot.</p>\n", f);
        figure_close(f, "");
        return;
    }
    xs = gn_calloc(o->n_conv, sizeof *xs);
    if (!xs) {
        figure_close(f, "(out of memory)");
        return;
    }
    for (i = 0; i < o->n_conv; i++) {
        size_t r = o->conv_row[i];
        xs[i] = (double)(i + 1);
        if (d->feasible[r]) {
            lo = fmin(lo, d->y[r * d->m + j]);
            hi = fmax(hi, d->y[r * d->m + j]);
        }
    }
    gn__plot_begin(&p, f, PLOT_W, PLOT_H, 3, title);
    p.x0 = 0.5;
    p.x1 = (double)o->n_conv + 0.5;
    p.y0 = lo;
    p.y1 = hi;
    gn__range_pad(&p.y0, &p.y1, 0);
    snprintf(ylabel, sizeof ylabel, "%s (%s)", name, a->c->spec->objectives[j].maximize ? "maximised" : "minimised");
    gn__plot_axes(&p, "experiments finished (in experiment-number order)", ylabel, NULL, NULL);
    for (i = 0; i < o->n_conv; i++) {
        size_t r = o->conv_row[i];
        char tip[96];
        snprintf(tip, sizeof tip, "experiment %lld: %.6g", (long long)d->number[r], d->y[r * d->m + j]);
        if (d->feasible[r])
            gn__plot_point(&p, xs[i], d->y[r * d->m + j], 2.5, C_OBS, tip);
    }
    gn__plot_line(&p, xs, o->random_expect, o->n_conv, C_RANDOM, 1, 0);
    gn__plot_line(&p, xs, o->best_so_far, o->n_conv, C_BEST, 0, 1);
    gn__plot_legend(&p, leg, 3);
    gn__plot_end(&p);
    snprintf(cap, sizeof cap,
             "Best feasible %s after each finished experiment (failed and infeasible ones count as draws that "
             "found nothing). The dashed curve is what random search would be expected to reach after k "
             "experiments drawing from the same %zu finished experiments without replacement (exact order "
             "statistics): a planner that learns stays above it%s.",
             name, o->n_conv, a->c->spec->objectives[j].maximize ? "" : " (below it, when minimising)");
    figure_close(f, cap);
    gn_free(xs);
}

/* A horizontal error bar in data units of the x axis, at y. */
static void hbar_err(gn__plot *p, double y, double lo, double hi)
{
    double a = gn__plot_x(p, lo < p->x0 ? p->x0 : lo), b = gn__plot_x(p, hi > p->x1 ? p->x1 : hi), Y = gn__plot_y(p, y);
    fprintf(p->f, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"#222\" fill=\"none\"/>\n",
            a, Y, b, Y, a, Y - 3, a, Y + 3, b, Y - 3, b, Y + 3);
}

static void hbar(gn__plot *p, double y, double h, double v, const char *color)
{
    double x0 = gn__plot_x(p, 0), x1 = gn__plot_x(p, v > 0 ? (v < p->x1 ? v : p->x1) : 0);
    fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x0,
            gn__plot_y(p, y + h / 2), x1 - x0, gn__plot_y(p, y - h / 2) - gn__plot_y(p, y + h / 2), color);
}

static void plot_importance(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn_spec *sp = a->c->spec;
    size_t n = a->data.dim < IMPORTANCE_ROWS ? a->data.dim : IMPORTANCE_ROWS, i, legn;
    const char *names[IMPORTANCE_ROWS];
    double xmax = 1.0, rowh;
    gn__plot p;
    char title[256], cap[700];
    gn__legend_item leg[] = {{GN__MARK_BAR, C_ST, "total Sobol' index ST (bar: estimate, whisker: \u00b11.96 SE)"},
                             {GN__MARK_BAR, C_S1, "first-order Sobol' index S1 (\u00b11.96 SE)"},
                             {GN__MARK_BAR, C_ARD, "ARD importance: 1/lengthscale, normalised to sum 1"}};

    snprintf(title, sizeof title, "Parameter importance for %s", sp->objectives[j].name);
    figure_open(f, title);
    for (i = 0; i < n; i++) {
        size_t q = o->rank[i];
        names[i] = sp->params[q].name;
        if (o->sobol_ok)
            xmax = fmax(xmax, o->sobol.st[q] + 1.96 * o->sobol.st_se[q]);
    }
    xmax = fmin(xmax, 1.5);
    legn = o->sobol_ok ? 3 : 1;
    gn__plot_begin(&p, f, PLOT_W, 70 + 12 + 17.0 * (double)legn + (o->sobol_ok ? 50.0 : 30.0) * (double)n, legn, title);
    p.ml = 130;
    p.x0 = 0;
    p.x1 = xmax;
    p.y0 = 0;
    p.y1 = (double)n;
    p.nycat = n;
    gn__plot_axes(&p, "share of the variance of the surrogate mean (ARD: share of 1/lengthscale)", "", NULL, names);
    rowh = o->sobol_ok ? 0.26 : 0.5;
    for (i = 0; i < n; i++) {
        size_t q = o->rank[i];
        double yc = (double)(n - i) - 0.5;
        if (o->sobol_ok) {
            hbar(&p, yc + rowh, rowh * 0.9, o->sobol.st[q], C_ST);
            hbar_err(&p, yc + rowh, o->sobol.st[q] - 1.96 * o->sobol.st_se[q], o->sobol.st[q] + 1.96 * o->sobol.st_se[q]);
            hbar(&p, yc, rowh * 0.9, o->sobol.s1[q], C_S1);
            hbar_err(&p, yc, o->sobol.s1[q] - 1.96 * o->sobol.s1_se[q], o->sobol.s1[q] + 1.96 * o->sobol.s1_se[q]);
            hbar(&p, yc - rowh, rowh * 0.9, o->ard[q], C_ARD);
        } else {
            hbar(&p, yc, rowh, o->ard[q], C_ARD);
        }
    }
    gn__plot_legend(&p, o->sobol_ok ? leg : leg + 2, legn);
    gn__plot_end(&p);
    snprintf(cap, sizeof cap,
             "Sobol' indices of the GP posterior mean over the whole search box (%zu base samples, %zu "
             "evaluations; whiskers: bootstrap standard errors over the samples, not the model's uncertainty). "
             "ST - S1 is the share due to interactions. Parameters ranked by %s%s.",
             o->sobol.N, o->sobol.N * (a->data.dim + 2), o->sobol_ok ? "ST" : "ARD importance",
             a->data.dim > IMPORTANCE_ROWS ? "; the table lists every parameter" : "");
    figure_close(f, cap);
}

static void plot_pd(const gn__analysis *a, size_t j, size_t t, FILE *f)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn__pd *pd = &o->pd[t];
    const gn__adata *d = &a->data;
    const gn_param *par = &a->c->spec->params[pd->param];
    const char *oname = a->c->spec->objectives[j].name;
    double lo[GN_ANALYSE_PD_GRID], hi[GN_ANALYSE_PD_GRID], ylo = INFINITY, yhi = -INFINITY, held;
    size_t i;
    gn__plot p;
    char title[256], xl[200], cap[600], hv[64];
    gn__legend_item leg[] = {{GN__MARK_LINE, C_BEST, "GP posterior mean"},
                             {GN__MARK_BAND, C_BAND, "mean \u00b1 2 sd (of the mean function)"},
                             {GN__MARK_DASH, C_RANDOM, "value at the held point"}};
    gn__legend_item legc[] = {{GN__MARK_ERRBAR, C_BEST, "GP posterior mean \u00b1 2 sd"},
                              {GN__MARK_POINT, C_RANDOM, "value at the held point"}};

    snprintf(title, sizeof title, "Partial dependence of %s on %s", oname, par->name);
    figure_open(f, title);
    for (i = 0; i < pd->len; i++) {
        lo[i] = pd->mean[i] - 2 * pd->sd[i];
        hi[i] = pd->mean[i] + 2 * pd->sd[i];
        ylo = fmin(ylo, lo[i]);
        yhi = fmax(yhi, hi[i]);
    }
    held = d->x[o->pd_row * d->dim + pd->param];
    gn__plot_begin(&p, f, PLOT_W, PLOT_H, par->type == GN_PARAM_CHOICE ? 2 : 3, title);
    p.y0 = ylo;
    p.y1 = yhi;
    gn__range_pad(&p.y0, &p.y1, 0);
    param_label(par, xl, sizeof xl);
    if (par->type == GN_PARAM_CHOICE) {
        p.ncat = pd->len;
        gn__plot_axes(&p, xl, oname, (const char *const *)par->choices, NULL);
        for (i = 0; i < pd->len; i++) {
            gn__plot_errbar(&p, (double)i, lo[i], hi[i], C_BEST);
            gn__plot_point(&p, (double)i, pd->mean[i], 4, (double)i == held ? C_RANDOM : C_BEST, NULL);
        }
        gn__plot_legend(&p, legc, 2);
    } else {
        p.xlog = par->log_scale;
        p.x0 = par->low;
        p.x1 = par->high;
        if (par->type == GN_PARAM_INT && !par->log_scale) { /* keep the end values off the frame */
            p.x0 -= 0.25;
            p.x1 += 0.25;
        }
        if (!(p.x1 > p.x0))
            gn__range_pad(&p.x0, &p.x1, p.xlog);
        gn__plot_axes(&p, xl, oname, NULL, NULL);
        gn__plot_band(&p, pd->x, lo, hi, pd->len, C_BAND);
        gn__plot_line(&p, pd->x, pd->mean, pd->len, C_BEST, 0, 0);
        for (i = 0; par->type == GN_PARAM_INT && i < pd->len; i++)
            gn__plot_point(&p, pd->x[i], pd->mean[i], 3.5, C_BEST, NULL); /* the values an int can take */
        {
            double X = gn__plot_x(&p, held);
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 4\"/>\n",
                    X, X, p.mt, p.h - p.mb, C_RANDOM);
        }
        /* rug: where experiments were run */
        for (i = 0; i < d->n; i++)
            if (d->complete[i]) {
                double X = gn__plot_x(&p, d->x[i * d->dim + pd->param]), B = p.h - p.mb;
                fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-opacity=\"0.6\"/>\n",
                        X, X, B, B - 6);
            }
        gn__plot_legend(&p, leg, 3);
    }
    gn__plot_end(&p);
    gn__analyse_value_text(a->c, pd->param, held, hv, sizeof hv);
    snprintf(cap, sizeof cap,
             "GP posterior mean of %s as %s varies, every other parameter held at its value in experiment %lld "
             "(%s; here %s = %s). The band is \u00b12 posterior sd of the mean function (observation noise "
             "excluded).%s",
             oname, par->name, (long long)d->number[o->pd_row], o->has_best ? "the best feasible one" : "the best one",
             par->name, hv, par->type == GN_PARAM_CHOICE ? "" : " Ticks at the bottom: values of completed experiments.");
    figure_close(f, cap);
}

static void plot_calibration(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__adata *d = &a->data;
    const gn__calib *k = &a->obj[j].calib;
    const char *oname = a->c->spec->objectives[j].name;
    double lo = INFINITY, hi = -INFINITY;
    size_t i;
    gn__plot p;
    char title[256], xl[200], yl[200], cap[600];
    gn__legend_item leg[] = {{GN__MARK_ERRBAR, C_OK, "prediction: mean \u00b1 1.96 sd (95% interval)"},
                             {GN__MARK_ERRBAR, C_BAD, "outcome outside its 95% interval"},
                             {GN__MARK_DASH, "#555", "y = x (perfect prediction)"}};

    snprintf(title, sizeof title, "Predicted vs observed %s", oname);
    figure_open(f, title);
    if (k->n == 0) {
        fputs("<p class=\"note\">No completed experiment has a stored prediction (an initial design, or a "
              "planner without a model).</p>\n",
              f);
        figure_close(f, "");
        return;
    }
    for (i = 0; i < d->n; i++) {
        double y = d->y[i * d->m + j], m = d->pmean[i * d->m + j], s = d->psd[i * d->m + j];
        if (!d->complete[i] || !isfinite(m) || !(s > 0))
            continue;
        lo = fmin(lo, fmin(y, m));
        hi = fmax(hi, fmax(y, m));
    }
    gn__plot_begin(&p, f, PLOT_W, PLOT_H + 40, 3, title);
    p.x0 = p.y0 = lo;
    p.x1 = p.y1 = hi;
    gn__range_pad(&p.x0, &p.x1, 0);
    {
        double pad = 0.15 * (p.x1 - p.x0);
        p.y0 = p.x0 - pad;
        p.y1 = p.x1 + pad;
    }
    snprintf(xl, sizeof xl, "observed %s", oname);
    snprintf(yl, sizeof yl, "predicted %s (before the experiment)", oname);
    gn__plot_axes(&p, xl, yl, NULL, NULL);
    {
        double a0 = fmax(p.x0, p.y0), a1 = fmin(p.x1, p.y1);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\n",
                gn__plot_x(&p, a0), gn__plot_y(&p, a0), gn__plot_x(&p, a1), gn__plot_y(&p, a1));
    }
    for (i = 0; i < d->n; i++) {
        double y = d->y[i * d->m + j], m = d->pmean[i * d->m + j], s = d->psd[i * d->m + j];
        const char *c;
        char tip[160];
        if (!d->complete[i] || !isfinite(m) || !(s > 0))
            continue;
        c = fabs(y - m) <= 1.959963984540054 * s ? C_OK : C_BAD;
        gn__plot_errbar(&p, y, fmax(m - 1.96 * s, p.y0), fmin(m + 1.96 * s, p.y1), c);
        snprintf(tip, sizeof tip, "experiment %lld: observed %.6g, predicted %.6g \u00b1 %.3g", (long long)d->number[i],
                 y, m, s);
        gn__plot_point(&p, y, m, 3, c, tip);
    }
    gn__plot_legend(&p, leg, 3);
    gn__plot_end(&p);
    snprintf(cap, sizeof cap,
             "Each completed experiment that had a prediction: the planner's prediction, stored before the "
             "experiment ran, against what was measured. %zu experiment%s without a prediction (initial design "
             "or manual) %s left out. Whiskers are clipped at the plot's edges.",
             k->n_excluded, k->n_excluded == 1 ? "" : "s", k->n_excluded == 1 ? "is" : "are");
    figure_close(f, cap);
}

static void plot_zhist(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__calib *k = &a->obj[j].calib;
    double top = 1, ex[GN_ANALYSE_HIST_BINS], xc[GN_ANALYSE_HIST_BINS];
    size_t b;
    gn__plot p;
    char title[256];
    gn__legend_item leg[] = {{GN__MARK_BAR, C_S1, "standardised errors z = (observed - mean) / sd"},
                             {GN__MARK_DASH, C_RANDOM, "expected counts for a calibrated model, N(0, 1)"}};

    if (k->n == 0)
        return;
    snprintf(title, sizeof title, "Standardised errors of the predictions of %s", a->c->spec->objectives[j].name);
    figure_open(f, title);
    for (b = 0; b < GN_ANALYSE_HIST_BINS; b++) {
        double l = -4.0 + 0.5 * (double)b, h = l + 0.5;
        double pl = b == 0 ? 0.0 : gsl_cdf_ugaussian_P(l), ph = b == GN_ANALYSE_HIST_BINS - 1 ? 1.0 : gsl_cdf_ugaussian_P(h);
        ex[b] = (double)k->n * (ph - pl);
        xc[b] = l + 0.25;
        top = fmax(top, fmax((double)k->hist[b], ex[b]));
    }
    gn__plot_begin(&p, f, PLOT_W, PLOT_H - 40, 2, title);
    p.x0 = -4;
    p.x1 = 4;
    p.y0 = 0;
    p.y1 = top * 1.1;
    gn__plot_axes(&p, "z (the end bins include everything beyond \u00b14)", "experiments", NULL, NULL);
    for (b = 0; b < GN_ANALYSE_HIST_BINS; b++) {
        double l = -4.0 + 0.5 * (double)b;
        double x0 = gn__plot_x(&p, l) + 1, x1 = gn__plot_x(&p, l + 0.5) - 1, y = gn__plot_y(&p, (double)k->hist[b]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x0, y, x1 - x0,
                gn__plot_y(&p, 0) - y, C_S1);
    }
    gn__plot_line(&p, xc, ex, GN_ANALYSE_HIST_BINS, C_RANDOM, 1, 0);
    gn__plot_legend(&p, leg, 2);
    gn__plot_end(&p);
    figure_close(f, "A calibrated model's z follow a standard normal: 68% within \u00b11, 95% within \u00b11.96. "
                    "Too wide a histogram means overconfident predictions (sd too small); too narrow, underconfident.");
}

/* ---- HTML: the sections -------------------------------------------------------------------- */

static const char css[] =
    "<style>\n"
    ":root{--fg:#1b1b1b;--muted:#5a5a5a;--line:#d9d9d9;--bg:#f6f7f9;--accent:#1f5fa8}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif}\n"
    "main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}\n"
    "header{border-bottom:3px solid var(--accent);margin-bottom:18px;padding-bottom:10px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:30px 0 10px;border-bottom:1px solid var(--line);"
    "padding-bottom:4px}h3{font-size:17px;margin:20px 0 8px}h4{font-size:15px;margin:0 0 6px}\n"
    ".sub{color:var(--muted);margin:0}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 20px 16px;margin:18px 0}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px;margin:10px 0}\n"
    ".card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:#fafbfc}\n"
    ".card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:13px}\n"
    ".verdict{padding:10px 14px;border-radius:6px;margin:10px 0;border-left:5px solid var(--accent);"
    "background:#eef4fb}\n"
    ".verdict.stop{border-color:#2e7d32;background:#edf7ee}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(500px,1fr));gap:14px}\n"
    "figure{margin:0;padding:10px;border:1px solid var(--line);border-radius:6px;background:#fff;"
    "break-inside:avoid}\n"
    "figure svg{width:100%;max-width:720px;height:auto;display:block;margin:0 auto}\n"
    "figcaption{color:var(--muted);font-size:13px;margin-top:6px}\n"
    "table{border-collapse:collapse;margin:8px 0;font-size:14px}\n"
    "th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#f0f2f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".wide{overflow-x:auto}\ntable.compact{font-size:13px}table.compact td,table.compact th{padding:4px 6px}\n"
    "pre{background:#f4f4f4;border:1px solid var(--line);border-radius:6px;padding:10px;overflow-x:auto;"
    "font-size:13px;white-space:pre-wrap}\n"
    ".note{color:var(--muted)}\n"
    "@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}"
    "section{border:none;padding:0;margin:10px 0;break-inside:auto}"
    ".grid{grid-template-columns:1fr 1fr}figure{break-inside:avoid;border:none}"
    "h2{break-after:avoid}}\n"
    "</style>\n";

static void html_summary(const gn__analysis *a, FILE *f)
{
    const gn_campaign *c = a->c;
    const gn__adata *d = &a->data;
    size_t j;
    char b1[64], stop[600];

    fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n", f);
    fprintf(f, "<div class=\"card\"><b>%ld / %ld</b><span>experiments finished / budget</span></div>\n",
            a->counts.completed + a->counts.failed, c->rec.budget);
    fprintf(f, "<div class=\"card\"><b>%ld</b><span>completed</span></div>\n", a->counts.completed);
    fprintf(f, "<div class=\"card\"><b>%ld</b><span>failed (retries exhausted)</span></div>\n", a->counts.failed);
    if (d->q)
        fprintf(f, "<div class=\"card\"><b>%ld</b><span>meet every outcome constraint</span></div>\n", a->n_feasible);
    fprintf(f, "<div class=\"card\"><b>");
    ESC(c->rec.state);
    fputs("</b><span>campaign state</span></div>\n", f);
    for (j = 0; j < d->m; j++) {
        const gn__objective_analysis *o = &a->obj[j];
        fputs("<div class=\"card\"><b>", f);
        if (o->has_best)
            fprintf(f, "%s", fmt(d->y[o->best_row * d->m + j], b1, sizeof b1));
        else
            fputs("none yet", f);
        fprintf(f, "</b><span>best %s (%s)", "", c->spec->objectives[j].maximize ? "max" : "min");
        fputs(" of ", f);
        ESC(c->spec->objectives[j].name);
        if (o->has_best)
            fprintf(f, ", experiment %lld", (long long)d->number[o->best_row]);
        fputs("</span></div>\n", f);
    }
    fputs("</div>\n", f);
    for (j = 0; j < d->m; j++) {
        const gn__objective_analysis *o = &a->obj[j];
        stop_text(o, stop, sizeof stop);
        fprintf(f, "<div class=\"verdict%s\"><b>Should the campaign go on? (", o->stop ? " stop" : "");
        ESC(c->spec->objectives[j].name);
        fputs(")</b> ", f);
        ESC(stop);
        fputs("</div>\n", f);
    }
    fputs("</section>\n", f);
}

static void html_best_table(const gn__analysis *a, FILE *f)
{
    const gn__adata *d = &a->data;
    const gn_spec *sp = a->c->spec;
    size_t rows[GN_ANALYSE_BEST_ROWS], n, i, k;
    char buf[64];

    n = gn__analyse_best_rows(a, 0, rows, GN_ANALYSE_BEST_ROWS);
    fputs("<section id=\"best\">\n<h2>Best experiments</h2>\n", f);
    if (n == 0) {
        fputs("<p class=\"note\">No completed experiment meets every outcome constraint yet.</p>\n</section>\n", f);
        return;
    }
    fprintf(f, "<p class=\"sub\">The %zu best experiments on %s%s, best first.</p>\n<div class=\"wide\"><table>\n"
               "<tr><th>rank</th><th>experiment</th>",
            n, sp->objectives[0].name, sp->n_outcome_constraints ? " among those that meet every outcome constraint" : "");
    for (k = 0; k < d->m; k++) {
        fputs("<th>", f);
        ESC(sp->objectives[k].name);
        fputs("</th>", f);
    }
    for (k = 0; k < d->dim; k++) {
        char lab[200];
        param_label(&sp->params[k], lab, sizeof lab);
        fputs("<th>", f);
        ESC(lab);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (i = 0; i < n; i++) {
        size_t r = rows[i];
        fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"n\">%lld</td>", i + 1, (long long)d->number[r]);
        for (k = 0; k < d->m; k++)
            fprintf(f, "<td class=\"n\">%s</td>", fmt(d->y[r * d->m + k], buf, sizeof buf));
        for (k = 0; k < d->dim; k++) {
            gn__analyse_value_text(a->c, k, d->x[r * d->dim + k], buf, sizeof buf);
            fputs("<td class=\"n\">", f);
            ESC(buf);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
}

static void html_importance_table(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn_spec *sp = a->c->spec;
    size_t t;
    char b[6][48];

    fputs("<div class=\"wide\"><table class=\"compact\">\n<tr><th>parameter</th><th>ST \u00b1 SE</th><th>S1 \u00b1 SE</th>"
          "<th>ARD</th><th>length&shy;scale</th></tr>\n",
          f);
    for (t = 0; t < a->data.dim; t++) {
        size_t q = o->rank[t];
        fputs("<tr><td>", f);
        ESC(sp->params[q].name);
        if (o->sobol_ok)
            fprintf(f, "</td><td class=\"n\">%.3f \u00b1 %.3f</td><td class=\"n\">%.3f \u00b1 %.3f</td>",
                    fabs(o->sobol.st[q]) < 5e-4 ? 0.0 : o->sobol.st[q], o->sobol.st_se[q],
                    fabs(o->sobol.s1[q]) < 5e-4 ? 0.0 : o->sobol.s1[q], o->sobol.s1_se[q]);
        else
            fputs("</td><td class=\"n\">n/a</td><td class=\"n\">n/a</td>", f);
        fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n", pct(o->ard[q], b[4], 48),
                fmt(o->lengthscale[q], b[5], 48));
    }
    fputs("</table></div>\n<p class=\"note\">ST: total Sobol' index (the share of the surrogate's variance that "
          "involves the parameter); S1: first-order index (its share alone); SE: bootstrap standard error. ARD: "
          "1/lengthscale normalised to sum 1; lengthscale in the unit-cube encoding (a choice: the quadratic "
          "mean over its values, see docs/analyse.md).</p>\n",
          f);
}

static void html_calibration_table(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__calib *k = &a->obj[j].calib;
    char b[8][48];
    fprintf(f,
            "<table>\n<tr><th>predictions checked</th><td class=\"n\">%zu</td></tr>\n"
            "<tr><th>excluded: no prediction (initial design, manual)</th><td class=\"n\">%zu</td></tr>\n"
            "<tr><th>coverage of the 68%% interval (mean \u00b1 1 sd)</th><td class=\"n\">%s (a calibrated model: %s"
            "\u2013%s)</td></tr>\n"
            "<tr><th>coverage of the 95%% interval (mean \u00b1 1.96 sd)</th><td class=\"n\">%s (calibrated: %s\u2013%s)"
            "</td></tr>\n",
            k->n, k->n_excluded, pct(k->cover68, b[0], 48), pct(k->lo68, b[1], 48), pct(k->hi68, b[2], 48),
            pct(k->cover95, b[3], 48), pct(k->lo95, b[4], 48), pct(k->hi95, b[5], 48));
    fprintf(f,
            "<tr><th>standardised error z: mean, sd (calibrated: 0, 1)</th><td class=\"n\">%s, %s</td></tr>\n",
            fmt(k->z_mean, b[0], 48), fmt(k->z_sd, b[1], 48));
    fprintf(f, "<tr><th>mean absolute error, RMSE</th><td class=\"n\">%s, %s</td></tr>\n", fmt(k->mae, b[0], 48),
            fmt(k->rmse, b[1], 48));
    fprintf(f, "<tr><th>verdict</th><td><b>%s</b></td></tr>\n</table>\n", k->verdict);
}

static void html_objective(const gn__analysis *a, size_t j, FILE *f)
{
    const gn__objective_analysis *o = &a->obj[j];
    const gn_spec *sp = a->c->spec;
    size_t t;
    char b[4][48];

    fputs("<section class=\"objective\">\n<h2>Objective: ", f);
    ESC(sp->objectives[j].name);
    fprintf(f, " (%s)</h2>\n", sp->objectives[j].maximize ? "maximise" : "minimise");

    fputs("<h3 id=\"convergence\">Convergence</h3>\n<div class=\"grid\">\n", f);
    plot_convergence(a, j, f);
    fputs("</div>\n", f);

    fputs("<h3 id=\"importance\">Parameter importance</h3>\n", f);
    if (!o->model_ok) {
        fputs("<p class=\"note\">No model: ", f);
        ESC(o->model_note);
        fputs(".</p>\n", f);
    } else {
        fprintf(f,
                "<p class=\"sub\">A Gaussian process (Mat\u00e9rn-5/2, ARD, MAP hyperparameters) fitted to %zu "
                "completed experiments; inputs encoded as the bo planner does: reals and ints on [0,1] (log-scale "
                "ones in log space), choices one-hot. Noise variance %s and output scale %s, both in standardised "
                "units.</p>\n<div class=\"grid\">\n",
                o->n_train, fmt(o->noise, b[0], 48), fmt(o->outputscale, b[1], 48));
        plot_importance(a, j, f);
        fputs("<div>\n", f);
        html_importance_table(a, j, f);
        fputs("</div>\n</div>\n", f);
        fputs("<h3 id=\"partial-dependence\">Partial dependence of the most important parameters</h3>\n"
              "<div class=\"grid\">\n",
              f);
        for (t = 0; t < o->n_pd; t++)
            plot_pd(a, j, t, f);
        fputs("</div>\n", f);
    }

    fputs("<h3 id=\"calibration\">Calibration: how well did the agent know the system?</h3>\n<div class=\"grid\">\n",
          f);
    plot_calibration(a, j, f);
    if (o->calib.n)
        plot_zhist(a, j, f);
    fputs("</div>\n", f);
    html_calibration_table(a, j, f);
    fputs("</section>\n", f);
}

static void html_feasibility(const gn__analysis *a, FILE *f)
{
    const gn_spec *sp = a->c->spec;
    size_t j;
    char b1[48], b2[48];

    fputs("<section id=\"feasibility\">\n<h2>Outcome constraints</h2>\n", f);
    if (sp->n_outcome_constraints == 0) {
        fprintf(f, "<p class=\"note\">The spec has no outcome constraints: all %ld completed experiments count.</p>\n",
                a->n_complete);
    } else {
        fprintf(f, "<p>%ld of %ld completed experiments meet every outcome constraint.</p>\n", a->n_feasible,
                a->n_complete);
        fputs("<table>\n<tr><th>outcome</th><th>bounds</th><th>met</th><th>violated</th><th>missing</th></tr>\n", f);
        for (j = 0; j < sp->n_outcome_constraints; j++) {
            const gn_outcome_constraint *oc = &sp->outcome_constraints[j];
            fputs("<tr><td>", f);
            ESC(oc->name);
            fprintf(f, "</td><td>%s%s%s%s</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td></tr>\n",
                    oc->has_min ? "\u2265 " : "", oc->has_min ? fmt(oc->min, b1, sizeof b1) : "",
                    oc->has_min && oc->has_max ? ", \u2264 " : oc->has_max ? "\u2264 " : "",
                    oc->has_max ? fmt(oc->max, b2, sizeof b2) : "", a->oc_ok[j], a->oc_bad[j], a->oc_missing[j]);
        }
        fputs("</table>\n", f);
    }
    if (a->n_incomplete_outcome)
        fprintf(f, "<p class=\"note\">%ld completed experiment(s) lack an objective value and are left out.</p>\n",
                a->n_incomplete_outcome);
    fputs("</section>\n", f);
}

static void html_failures(const gn__analysis *a, FILE *f)
{
    const gn__adata *d = &a->data;
    size_t i, n = 0;

    fputs("<section id=\"failures\">\n<h2>Failed and abandoned experiments</h2>\n", f);
    for (i = 0; i < d->n; i++)
        n += d->reasons[i] != NULL;
    if (n == 0) {
        fputs("<p class=\"note\">None.</p>\n</section>\n", f);
        return;
    }
    fputs("<table>\n<tr><th>experiment</th><th>status</th><th>attempts</th><th>reasons (from its attempts)</th></tr>\n",
          f);
    for (i = 0; i < d->n; i++) {
        if (!d->reasons[i])
            continue;
        fprintf(f, "<tr><td class=\"n\">%lld</td><td>%s</td><td class=\"n\">%d</td><td>", (long long)d->number[i],
                gn_exp_status_name(d->status[i]), d->attempts[i]);
        ESC(d->reasons[i]);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</section>\n", f);
}

static void html_provenance(const gn__analysis *a, FILE *f)
{
    const gn_campaign *c = a->c;
    const gn__adata *d = &a->data;
    size_t i;
    char t1[40], t2[40];

    fputs("<section id=\"provenance\">\n<h2>Provenance</h2>\n<table>\n", f);
    fprintf(f, "<tr><th>Genesis version</th><td>%s</td></tr>\n", gn_version());
    fputs("<tr><th>planner</th><td>", f);
    ESC(gn_planner_name(c->planner));
    fprintf(f, "</td></tr>\n<tr><th>planner seed</th><td>%llu</td></tr>\n", (unsigned long long)c->rec.seed);
    fputs("<tr><th>database</th><td>", f);
    ESC(a->db_path);
    fputs("</td></tr>\n<tr><th>spec file</th><td>", f);
    ESC(c->rec.spec_path ? c->rec.spec_path : "(given as text)");
    fprintf(f, "</td></tr>\n<tr><th>campaign created / updated</th><td>%s / %s</td></tr>\n",
            gn_time_iso8601(c->rec.created, t1, sizeof t1), gn_time_iso8601(c->rec.updated, t2, sizeof t2));
    fprintf(f, "<tr><th>attempts</th><td>%ld", d->n_attempts);
    fputs("</td></tr>\n<tr><th>hosts (attempts)</th><td>", f);
    for (i = 0; i < d->n_hosts; i++) {
        fputs(i ? ", " : "", f);
        ESC(d->hosts[i]);
        fprintf(f, " (%ld)", d->host_attempts[i]);
    }
    if (d->n_hosts == 0)
        fputs("none yet", f);
    fputs("</td></tr>\n<tr><th>datasets</th><td>", f);
    for (i = 0; i < c->n_used; i++) {
        fputs(i ? "<br>" : "", f);
        ESC(c->used[i].role);
        fputs(": ", f);
        ESC(c->used[i].name);
        fprintf(f, " version %lld, %lld rows, BLAKE2b-256 <code>", (long long)c->used[i].version,
                (long long)c->used[i].rows);
        ESC(c->used[i].hash);
        fputs("</code>", f);
        if (!strcmp(c->used[i].role, "prior"))
            fprintf(f, " (warm start: %zu prior rows told to the planner before its first proposal; "
                       "they are not experiments of this campaign and are not in the plots)",
                    c->n_prior);
    }
    if (c->n_used == 0)
        fputs("none", f);
    fputs("</td></tr>\n", f);
    fprintf(f, "<tr><th>report generated</th><td>%s, analysis took %.2f s</td></tr>\n</table>\n",
            gn_time_iso8601(gn_time_wall(), t1, sizeof t1), a->seconds);
    fprintf(f, "<h3>Campaign spec (verbatim, %s)</h3>\n<pre>", c->rec.spec_format);
    ESC(c->rec.spec_text);
    fputs("</pre>\n</section>\n", f);
}

gn_status gn__report_html(const gn__analysis *a, FILE *f, gn_err *err)
{
    const gn_campaign *c = a->c;
    size_t j;

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Genesis report: ",
          f);
    ESC(c->rec.name);
    fprintf(f, "</title>\n<meta name=\"generator\" content=\"genesis %s\">\n%s</head>\n<body>\n<main>\n<header>\n",
            gn_version(), css);
    fputs("<h1>Campaign ", f);
    ESC(c->rec.name);
    fputs(": what was learned</h1>\n", f);
    if (c->spec->description) {
        fputs("<p class=\"sub\">", f);
        ESC(c->spec->description);
        fputs("</p>\n", f);
    }
    fprintf(f, "<p class=\"sub\">planner ");
    ESC(gn_planner_name(c->planner));
    fprintf(f, ", %zu parameter%s, %zu objective%s; Genesis %s</p>\n</header>\n", a->data.dim,
            a->data.dim == 1 ? "" : "s", a->data.m, a->data.m == 1 ? "" : "s", gn_version());
    html_summary(a, f);
    html_best_table(a, f);
    for (j = 0; j < a->data.m; j++)
        html_objective(a, j, f);
    html_feasibility(a, f);
    html_failures(a, f);
    html_provenance(a, f);
    fputs("</main>\n</body>\n</html>\n", f);
    if (ferror(f))
        return gn_err_set(err, GN_ERR_IO, "cannot write the report");
    return GN_OK;
}

/* ---- Markdown ------------------------------------------------------------------------------ */

/* Writes s for a Markdown table cell: | and newlines escaped, HTML
 * special characters escaped (renderers pass HTML through). */
static void md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
}

/* The longest run of backticks in s, so a code fence can be longer. */
static size_t max_backticks(const char *s)
{
    size_t run = 0, best = 0;
    for (; s && *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

gn_status gn__report_md(const gn__analysis *a, FILE *f, gn_err *err)
{
    const gn_campaign *c = a->c;
    const gn_spec *sp = c->spec;
    const gn__adata *d = &a->data;
    size_t rows[GN_ANALYSE_BEST_ROWS], n, i, j, k, t, fence;
    char b[8][64], stop[600], t1[40];

    fputs("# Campaign ", f);
    md_cell(f, c->rec.name);
    fputs(": what was learned\n\n", f);
    if (sp->description) {
        md_cell(f, sp->description);
        fputs("\n\n", f);
    }
    fputs("> The plots (convergence, importance, partial dependence, calibration) are in the HTML report: see "
          "the HTML report (`genesis report NAME -o report.html`).\n\n## Summary\n\n| | |\n|---|---|\n",
          f);
    fprintf(f, "| experiments finished / budget | %ld / %ld |\n| completed | %ld |\n| failed | %ld |\n",
            a->counts.completed + a->counts.failed, c->rec.budget, a->counts.completed, a->counts.failed);
    fputs("| state | ", f);
    md_cell(f, c->rec.state);
    fputs(" |\n", f);
    for (j = 0; j < d->m; j++) {
        const gn__objective_analysis *o = &a->obj[j];
        fputs("| best ", f);
        md_cell(f, sp->objectives[j].name);
        if (o->has_best)
            fprintf(f, " | %s (experiment %lld) |\n", fmt(d->y[o->best_row * d->m + j], b[0], 64),
                    (long long)d->number[o->best_row]);
        else
            fputs(" | none yet |\n", f);
        stop_text(o, stop, sizeof stop);
        fputs("| should it go on? (", f);
        md_cell(f, sp->objectives[j].name);
        fputs(") | ", f);
        md_cell(f, stop);
        fputs(" |\n", f);
    }

    fputs("\n## Best experiments\n\n", f);
    n = gn__analyse_best_rows(a, 0, rows, GN_ANALYSE_BEST_ROWS);
    if (n == 0) {
        fputs("No completed experiment meets every outcome constraint yet.\n", f);
    } else {
        fputs("| rank | experiment |", f);
        for (k = 0; k < d->m; k++) {
            fputc(' ', f);
            md_cell(f, sp->objectives[k].name);
            fputs(" |", f);
        }
        for (k = 0; k < d->dim; k++) {
            char lab[200];
            param_label(&sp->params[k], lab, sizeof lab);
            fputc(' ', f);
            md_cell(f, lab);
            fputs(" |", f);
        }
        fputs("\n|---|---|", f);
        for (k = 0; k < d->m + d->dim; k++)
            fputs("---|", f);
        fputc('\n', f);
        for (i = 0; i < n; i++) {
            size_t r = rows[i];
            fprintf(f, "| %zu | %lld |", i + 1, (long long)d->number[r]);
            for (k = 0; k < d->m; k++)
                fprintf(f, " %s |", fmt(d->y[r * d->m + k], b[0], 64));
            for (k = 0; k < d->dim; k++) {
                gn__analyse_value_text(c, k, d->x[r * d->dim + k], b[0], 64);
                fputc(' ', f);
                md_cell(f, b[0]);
                fputs(" |", f);
            }
            fputc('\n', f);
        }
    }

    for (j = 0; j < d->m; j++) {
        const gn__objective_analysis *o = &a->obj[j];
        const gn__calib *cb = &o->calib;
        fputs("\n## Objective: ", f);
        md_cell(f, sp->objectives[j].name);
        fprintf(f, " (%s)\n\n### Convergence\n\n", sp->objectives[j].maximize ? "maximise" : "minimise");
        fputs("*Plot: see the HTML report.* Best so far and the expected best of random search (k draws without "
              "replacement from the same finished experiments):\n\n| finished | experiment | best so far | random "
              "search (expected) |\n|---|---|---|---|\n",
              f);
        for (i = 0; i < o->n_conv; i++) {
            /* about ten rows: the first, every step, the last */
            size_t stepn = o->n_conv > 10 ? o->n_conv / 10 : 1;
            if (i != 0 && i + 1 != o->n_conv && (i + 1) % stepn)
                continue;
            fprintf(f, "| %zu | %lld | %s | %s |\n", i + 1, (long long)d->number[o->conv_row[i]],
                    fmt(o->best_so_far[i], b[0], 64), fmt(o->random_expect[i], b[1], 64));
        }
        stop_text(o, stop, sizeof stop);
        fputs("\n**Stopping:** ", f);
        md_cell(f, stop);
        fputs("\n\n### Parameter importance\n\n", f);
        if (!o->model_ok) {
            fputs("No model: ", f);
            md_cell(f, o->model_note);
            fputs(".\n", f);
        } else {
            fprintf(f,
                    "*Plot: see the HTML report.* GP (Matern-5/2 ARD, MAP) on %zu completed experiments; Sobol' "
                    "indices of its posterior mean from %zu base samples, \u00b1 bootstrap standard errors; inputs "
                    "encoded as the bo planner does (choices one-hot).\n\n| parameter | total index ST | "
                    "first-order S1 | ARD importance | lengthscale |\n|---|---|---|---|---|\n",
                    o->n_train, o->sobol.N);
            for (t = 0; t < d->dim; t++) {
                size_t q = o->rank[t];
                fputs("| ", f);
                md_cell(f, sp->params[q].name);
                if (o->sobol_ok)
                    fprintf(f, " | %s \u00b1 %s | %s \u00b1 %s |", fmt(o->sobol.st[q], b[0], 64),
                            fmt(o->sobol.st_se[q], b[1], 64), fmt(o->sobol.s1[q], b[2], 64),
                            fmt(o->sobol.s1_se[q], b[3], 64));
                else
                    fputs(" | n/a | n/a |", f);
                fprintf(f, " %s | %s |\n", pct(o->ard[q], b[4], 64), fmt(o->lengthscale[q], b[5], 64));
            }
            fprintf(f, "\nPartial dependence (*plots: see the HTML report*): other parameters held at experiment "
                       "%lld.\n",
                    (long long)d->number[o->pd_row]);
        }
        fputs("\n### Calibration of the stored predictions\n\n*Plot: see the HTML report.*\n\n| | |\n|---|---|\n", f);
        fprintf(f, "| predictions checked | %zu |\n| excluded (no prediction) | %zu |\n", cb->n, cb->n_excluded);
        fprintf(f, "| coverage 68%% (mean \u00b1 1 sd) | %s (calibrated: %s\u2013%s) |\n", pct(cb->cover68, b[0], 64),
                pct(cb->lo68, b[1], 64), pct(cb->hi68, b[2], 64));
        fprintf(f, "| coverage 95%% (mean \u00b1 1.96 sd) | %s (calibrated: %s\u2013%s) |\n",
                pct(cb->cover95, b[0], 64), pct(cb->lo95, b[1], 64), pct(cb->hi95, b[2], 64));
        fprintf(f, "| z mean, sd | %s, %s |\n| MAE, RMSE | %s, %s |\n| verdict | %s |\n", fmt(cb->z_mean, b[0], 64),
                fmt(cb->z_sd, b[1], 64), fmt(cb->mae, b[2], 64), fmt(cb->rmse, b[3], 64), cb->verdict);
    }

    fputs("\n## Outcome constraints\n\n", f);
    if (d->q == 0) {
        fprintf(f, "None: all %ld completed experiments count.\n", a->n_complete);
    } else {
        fprintf(f, "%ld of %ld completed experiments meet every outcome constraint.\n\n| outcome | min | max | met | "
                   "violated | missing |\n|---|---|---|---|---|---|\n",
                a->n_feasible, a->n_complete);
        for (k = 0; k < d->q; k++) {
            const gn_outcome_constraint *oc = &sp->outcome_constraints[k];
            fputs("| ", f);
            md_cell(f, oc->name);
            fprintf(f, " | %s | %s | %ld | %ld | %ld |\n", oc->has_min ? fmt(oc->min, b[0], 64) : "",
                    oc->has_max ? fmt(oc->max, b[1], 64) : "", a->oc_ok[k], a->oc_bad[k], a->oc_missing[k]);
        }
    }

    fputs("\n## Failed and abandoned experiments\n\n", f);
    for (i = 0, n = 0; i < d->n; i++)
        n += d->reasons[i] != NULL;
    if (n == 0) {
        fputs("None.\n", f);
    } else {
        fputs("| experiment | status | attempts | reasons |\n|---|---|---|---|\n", f);
        for (i = 0; i < d->n; i++) {
            if (!d->reasons[i])
                continue;
            fprintf(f, "| %lld | %s | %d | ", (long long)d->number[i], gn_exp_status_name(d->status[i]),
                    d->attempts[i]);
            md_cell(f, d->reasons[i]);
            fputs(" |\n", f);
        }
    }

    fputs("\n## Provenance\n\n| | |\n|---|---|\n", f);
    fprintf(f, "| Genesis version | %s |\n| planner | ", gn_version());
    md_cell(f, gn_planner_name(c->planner));
    fprintf(f, " |\n| planner seed | %llu |\n| database | ", (unsigned long long)c->rec.seed);
    md_cell(f, a->db_path);
    fputs(" |\n| spec file | ", f);
    md_cell(f, c->rec.spec_path ? c->rec.spec_path : "(given as text)");
    fputs(" |\n| hosts (attempts) | ", f);
    for (i = 0; i < d->n_hosts; i++) {
        fputs(i ? ", " : "", f);
        md_cell(f, d->hosts[i]);
        fprintf(f, " (%ld)", d->host_attempts[i]);
    }
    fputs(" |\n| datasets | ", f);
    for (i = 0; i < c->n_used; i++) {
        fputs(i ? "; " : "", f);
        md_cell(f, c->used[i].role);
        fputs(": ", f);
        md_cell(f, c->used[i].name);
        fprintf(f, " version %lld, %lld rows, BLAKE2b-256 `%s`", (long long)c->used[i].version,
                (long long)c->used[i].rows, c->used[i].hash);
    }
    if (c->n_used == 0)
        fputs("none", f);
    fprintf(f, " |\n| report generated | %s |\n\n", gn_time_iso8601(gn_time_wall(), t1, sizeof t1));
    fence = max_backticks(c->rec.spec_text) + 1;
    if (fence < 3)
        fence = 3;
    fputs("Campaign spec (verbatim):\n\n", f);
    for (i = 0; i < fence; i++)
        fputc('`', f);
    fprintf(f, "%s\n%s%s", c->rec.spec_format, c->rec.spec_text,
            c->rec.spec_text[0] && c->rec.spec_text[strlen(c->rec.spec_text) - 1] == '\n' ? "" : "\n");
    for (i = 0; i < fence; i++)
        fputc('`', f);
    fputc('\n', f);
    if (ferror(f))
        return gn_err_set(err, GN_ERR_IO, "cannot write the report");
    return GN_OK;
}
