/*
 * analyse/svg.c - small SVG plots for the report (see svg.h).
 */
#include "analyse/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT 12.0
#define LEGEND_ROW 17.0
#define MAX_TICKS 64

void gn__html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void gn__range_pad(double *lo, double *hi, int log_axis)
{
    double a = *lo, b = *hi, d;
    if (!isfinite(a) || !isfinite(b)) {
        *lo = log_axis ? 1.0 : 0.0;
        *hi = log_axis ? 10.0 : 1.0;
        return;
    }
    if (log_axis) {
        a = log10(a);
        b = log10(b);
    }
    d = b - a;
    if (!(d > 1e-12 * (fabs(a) + fabs(b)))) {
        d = fabs(a) > 0 ? fabs(a) * 0.1 : 1.0;
        a -= d;
        b += d;
    } else {
        a -= 0.05 * d;
        b += 0.05 * d;
    }
    *lo = log_axis ? pow(10.0, a) : a;
    *hi = log_axis ? pow(10.0, b) : b;
}

double gn__plot_x(const gn__plot *p, double x)
{
    double t;
    if (p->ncat)
        t = (x + 0.5) / (double)p->ncat;
    else if (p->xlog)
        t = (log10(x) - log10(p->x0)) / (log10(p->x1) - log10(p->x0));
    else
        t = (x - p->x0) / (p->x1 - p->x0);
    return p->ml + t * (p->w - p->ml - p->mr);
}

double gn__plot_y(const gn__plot *p, double y)
{
    return p->h - p->mb - (y - p->y0) / (p->y1 - p->y0) * (p->h - p->mt - p->mb);
}

/* Tick values of a linear axis over [lo, hi]: multiples of 1, 2 or 5
 * times a power of ten, about five of them. Returns the count. */
static size_t nice_ticks(double lo, double hi, double *t, double *step_out)
{
    double raw = (hi - lo) / 5.0, mag, f, step, v;
    size_t n = 0;
    if (!(raw > 0)) {
        t[0] = lo;
        *step_out = 1;
        return 1;
    }
    mag = pow(10.0, floor(log10(raw)));
    f = raw / mag;
    step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    for (v = ceil(lo / step) * step; v <= hi + 1e-9 * step && n < MAX_TICKS; v += step)
        t[n++] = fabs(v) < 1e-9 * step ? 0.0 : v;
    *step_out = step;
    return n;
}

/* Ticks of a log axis: decades, and 2 and 5 times them over short ranges. */
static size_t log_ticks(double lo, double hi, double *t)
{
    static const double mult[] = {1, 2, 5};
    int e, k, decades = (int)(floor(log10(hi)) - floor(log10(lo)));
    size_t n = 0;
    for (e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)) && n < MAX_TICKS; e++)
        for (k = 0; k < 3; k++) {
            double v = mult[k] * pow(10.0, e);
            if ((k && decades > 2) || v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9))
                continue;
            t[n++] = v;
        }
    if (n < 2) { /* under a factor of ten: linear ticks read better */
        double step;
        n = nice_ticks(lo, hi, t, &step);
    }
    return n;
}

static void tick_label(double v, double step, char *buf, size_t size)
{
    double a = fabs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3))
        snprintf(buf, size, "%.3g", v);
    else if (step >= 1 || step <= 0)
        snprintf(buf, size, "%.6g", v);
    else
        snprintf(buf, size, "%.*f", (int)ceil(-log10(step) - 1e-9), v);
}

void gn__plot_begin(gn__plot *p, FILE *f, double w, double h, size_t n_legend, const char *title)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->w = w;
    p->h = h;
    p->ml = 70;
    p->mr = 18;
    p->mt = 12 + LEGEND_ROW * (double)n_legend;
    p->mb = 48;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
               "role=\"img\" font-family=\"system-ui, sans-serif\" font-size=\"%.0f\"><title>",
            w, h, w, h, FONT);
    gn__html_escape(f, title);
    fputs("</title>\n", f);
}

void gn__plot_axes(gn__plot *p, const char *xlabel, const char *ylabel, const char *const *xcats,
                   const char *const *ycats)
{
    FILE *f = p->f;
    double t[MAX_TICKS], step = 1, L = p->ml, R = p->w - p->mr, T = p->mt, B = p->h - p->mb;
    size_t n, i;
    char buf[48];

    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#888\"/>\n", L, T,
            R - L, B - T);
    n = ycats ? 0 : nice_ticks(p->y0, p->y1, t, &step);
    for (i = 0; ycats && i < p->nycat; i++) {
        double y = gn__plot_y(p, (double)(p->nycat - i) - 0.5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#222\">",
                L - 7, y);
        gn__html_escape(f, ycats[i]);
        fputs("</text>\n", f);
    }
    for (i = 0; i < n; i++) {
        double y = gn__plot_y(p, t[i]);
        tick_label(t[i], step, buf, sizeof buf);
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#333\">%s</text>\n",
                L, R, y, y, L - 4, L, y, y, L - 7, y, buf);
    }
    if (xcats) {
        for (i = 0; i < p->ncat; i++) {
            double x = gn__plot_x(p, (double)i);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", x, B + 16);
            gn__html_escape(f, xcats[i]);
            fputs("</text>\n", f);
        }
    } else {
        n = p->xlog ? log_ticks(p->x0, p->x1, t) : nice_ticks(p->x0, p->x1, t, &step);
        if (p->xlog)
            step = 0;
        for (i = 0; i < n; i++) {
            double x = gn__plot_x(p, t[i]);
            tick_label(t[i], step, buf, sizeof buf);
            fprintf(f,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">%s</text>\n",
                    x, x, T, B, x, x, B, B + 4, x, B + 16, buf);
        }
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#111\">", (L + R) / 2, p->h - 10);
    gn__html_escape(f, xlabel);
    fputs("</text>\n", f);
    if (ylabel && *ylabel) {
        fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#111\">",
                (T + B) / 2);
        gn__html_escape(f, ylabel);
        fputs("</text>\n", f);
    }
}

void gn__plot_legend(gn__plot *p, const gn__legend_item *items, size_t n)
{
    FILE *f = p->f;
    size_t i;
    for (i = 0; i < n; i++) {
        double y = 6 + LEGEND_ROW * (double)i + LEGEND_ROW / 2, x = p->ml;
        const char *c = items[i].color;
        switch (items[i].mark) {
        case GN__MARK_LINE:
        case GN__MARK_DASH:
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>", x,
                    x + 24, y, y, c, items[i].mark == GN__MARK_DASH ? " stroke-dasharray=\"6 4\"" : "");
            break;
        case GN__MARK_BAND:
        case GN__MARK_BAR:
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"%s\"%s/>", x, y - 5, c,
                    items[i].mark == GN__MARK_BAND ? " fill-opacity=\"0.35\"" : "");
            break;
        case GN__MARK_POINT:
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", x + 12, y, c);
            break;
        case GN__MARK_ERRBAR:
            fprintf(f,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                    x + 12, x + 12, y - 6, y + 6, c, x + 8, x + 16, y - 6, y - 6, c, x + 8, x + 16, y + 6, y + 6, c,
                    x + 12, y, c);
            break;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\" fill=\"#222\">", x + 32, y);
        gn__html_escape(f, items[i].label);
        fputs("</text>\n", f);
    }
}

void gn__plot_end(gn__plot *p) { fputs("</svg>\n", p->f); }

void gn__plot_line(gn__plot *p, const double *x, const double *y, size_t n, const char *color, int dashed,
                   int step)
{
    FILE *f = p->f;
    size_t i;
    int open = 0;
    double last_y = 0;
    for (i = 0; i <= n; i++) {
        int ok = i < n && isfinite(x[i]) && isfinite(y[i]);
        if (!ok) {
            if (open)
                fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", color,
                        dashed ? " stroke-dasharray=\"6 4\"" : "");
            open = 0;
            continue;
        }
        if (!open) {
            fprintf(f, "<path d=\"M%.1f %.1f", gn__plot_x(p, x[i]), gn__plot_y(p, y[i]));
            open = 1;
        } else {
            if (step)
                fprintf(f, " L%.1f %.1f", gn__plot_x(p, x[i]), last_y);
            fprintf(f, " L%.1f %.1f", gn__plot_x(p, x[i]), gn__plot_y(p, y[i]));
        }
        last_y = gn__plot_y(p, y[i]);
    }
}

void gn__plot_band(gn__plot *p, const double *x, const double *lo, const double *hi, size_t n, const char *color)
{
    size_t i;
    if (n == 0)
        return;
    fputs("<path d=\"", p->f);
    for (i = 0; i < n; i++)
        fprintf(p->f, "%s%.1f %.1f ", i ? "L" : "M", gn__plot_x(p, x[i]), gn__plot_y(p, hi[i]));
    for (i = n; i-- > 0;)
        fprintf(p->f, "L%.1f %.1f ", gn__plot_x(p, x[i]), gn__plot_y(p, lo[i]));
    fprintf(p->f, "Z\" fill=\"%s\" fill-opacity=\"0.35\" stroke=\"none\"/>\n", color);
}

void gn__plot_point(gn__plot *p, double x, double y, double r, const char *color, const char *tooltip)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.85\">",
            gn__plot_x(p, x), gn__plot_y(p, y), r, color);
    if (tooltip) {
        fputs("<title>", p->f);
        gn__html_escape(p->f, tooltip);
        fputs("</title>", p->f);
    }
    fputs("</circle>\n", p->f);
}

void gn__plot_errbar(gn__plot *p, double x, double lo, double hi, const char *color)
{
    double X = gn__plot_x(p, x), a = gn__plot_y(p, lo), b = gn__plot_y(p, hi);
    if (!isfinite(X) || !isfinite(a) || !isfinite(b))
        return;
    fprintf(p->f,
            "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" "
            "stroke-width=\"1.2\" fill=\"none\"/>\n",
            X, a, X, b, X - 3, a, X + 3, a, X - 3, b, X + 3, b, color);
}
