/*
 * genesis/analyse.h - what a campaign has taught: analysis and reports.
 *
 * "A campaign is not finished until a person can see what was learned."
 * The analyst reads every experiment of a campaign (any state: running
 * campaigns can be analysed too, read-only) and computes, per objective:
 *
 *  - parameter importance: from the ARD lengthscales of a Gaussian process
 *    fitted to the completed experiments, and first-order and total Sobol'
 *    indices of its posterior mean, with bootstrap standard errors;
 *  - calibration of the planner's stored predictions: coverage of the
 *    68% and 95% intervals, standardised errors, mean absolute error;
 *  - convergence: best so far, the expected best of random search from the
 *    same values, and a stopping suggestion from expected improvement;
 *
 * plus outcome-constraint feasibility, failed experiments with their
 * reasons, and provenance. docs/analyse.md defines every number.
 *
 * The analysis is deterministic for a given database (its random numbers
 * come from the campaign's seed). It costs a GP fit per objective: well
 * under a second for a few hundred experiments.
 */
#ifndef GENESIS_ANALYSE_H
#define GENESIS_ANALYSE_H

#include "genesis/campaign.h"
#include "genesis/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The analysis as JSON text (the numbers of the report; layout in
 * docs/analyse.md). *json is new; free it with gn_string_free. On failure
 * *json is NULL and gn_campaign_errmsg(c) says why. */
GN_API gn_status gn_campaign_analyse_json(gn_campaign *c, char **json);

/* Writes a report of the analysis to the file at `path` (replaced if it
 * exists; written to a temporary file first, so a failed report leaves no
 * partial file):
 *   "html": one self-contained page (inline CSS and SVG plots, no scripts,
 *           no external resources; printable);
 *   "md":   the same content as Markdown tables (plots are in the HTML);
 *   "json": as gn_campaign_analyse_json.
 * GN_ERR_INVALID for another format, GN_ERR_IO when the file cannot be
 * written. */
GN_API gn_status gn_campaign_report(gn_campaign *c, const char *format, const char *path);

#ifdef __cplusplus
}
#endif
#endif
