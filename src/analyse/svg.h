/*
 * analyse/svg.h - small SVG plots for the report (not API).
 *
 * A gn__plot maps data coordinates to a fixed-size SVG canvas (scaled by
 * the page through its viewBox). Usage: gn__plot_begin, then
 * gn__plot_axes, then marks (lines, bands, points, bars), gn__plot_legend,
 * gn__plot_end. All text passes through gn__html_escape. Nothing here
 * allocates.
 */
#ifndef GN_ANALYSE_SVG_H
#define GN_ANALYSE_SVG_H

#include <stddef.h>
#include <stdio.h>

typedef struct gn__plot {
    FILE *f;
    double w, h;                 /* canvas */
    double ml, mr, mt, mb;       /* margins: axes labels and the legend live there */
    double x0, x1, y0, y1;       /* data ranges */
    int xlog;                    /* logarithmic x axis (x0 > 0) */
    size_t ncat;                 /* categorical x axis: categories 0..ncat-1 */
    size_t nycat;                /* categorical y axis: row i (from the top) centred at nycat-i-0.5 */
} gn__plot;

typedef enum { GN__MARK_LINE, GN__MARK_DASH, GN__MARK_BAND, GN__MARK_POINT, GN__MARK_BAR, GN__MARK_ERRBAR } gn__mark;

typedef struct gn__legend_item {
    gn__mark mark;
    const char *color;
    const char *label;
} gn__legend_item;

/* Writes s with &, <, >, " and ' escaped (NULL writes nothing). */
void gn__html_escape(FILE *f, const char *s);

/* Widens [lo, hi] by 5% on each side (a point range gets a sensible
 * width); for a log axis, in log space. */
void gn__range_pad(double *lo, double *hi, int log_axis);

/* Starts an <svg> of w x h with `n_legend` legend rows above the plot
 * area, and an accessible title. */
void gn__plot_begin(gn__plot *p, FILE *f, double w, double h, size_t n_legend, const char *title);
/* Frame, grid, ticks with labels, and axis labels (escaped; an empty or
 * NULL ylabel is left out). xcats / ycats: labels of a categorical x axis
 * (p->ncat of them) or y axis (p->nycat, top to bottom), else NULL. */
void gn__plot_axes(gn__plot *p, const char *xlabel, const char *ylabel, const char *const *xcats,
                   const char *const *ycats);
void gn__plot_legend(gn__plot *p, const gn__legend_item *items, size_t n);
void gn__plot_end(gn__plot *p);

double gn__plot_x(const gn__plot *p, double x);
double gn__plot_y(const gn__plot *p, double y);

/* A polyline through the finite points (NaN breaks it). dashed: 0/1;
 * step: 1 draws a staircase (value holds until the next x). */
void gn__plot_line(gn__plot *p, const double *x, const double *y, size_t n, const char *color, int dashed,
                   int step);
/* A band between lo and hi. */
void gn__plot_band(gn__plot *p, const double *x, const double *lo, const double *hi, size_t n, const char *color);
void gn__plot_point(gn__plot *p, double x, double y, double r, const char *color, const char *tooltip);
/* A vertical error bar from (x, lo) to (x, hi) with caps. */
void gn__plot_errbar(gn__plot *p, double x, double lo, double hi, const char *color);

#endif
