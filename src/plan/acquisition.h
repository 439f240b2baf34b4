/*
 * plan/acquisition.h - acquisition functions of the bo planner, as pure
 * functions of a posterior mean and standard deviation.
 *
 * Everything here works on one Gaussian N(mean, sd^2) in the model's
 * standardised units, in the maximisation sense (the planner negates
 * objectives to be minimised before they reach a model). Each function
 * returns its value and, through non-NULL pointers, its partial derivatives
 * with respect to mean and sd; the planner chains them with the model's
 * gradients to get the gradient in the unit cube.
 *
 * LogEI follows Ament, Daulton, Eriksson, Balandat and Bakshy, "Unexpected
 * Improvements to Expected Improvement for Bayesian Optimization" (NeurIPS
 * 2023), as BoTorch's log_ei: the value is log EI computed in log space, so
 * it neither underflows to -inf nor loses its gradient far from the
 * incumbent (z = -40, where EI itself is about 1e-350, is an ordinary
 * number here).
 */
#ifndef GN_PLAN_ACQUISITION_H
#define GN_PLAN_ACQUISITION_H

/* log h(z) with h(z) = phi(z) + z Phi(z) (EI of a unit Gaussian with
 * incumbent -z); *dz = d log h / dz = Phi(z) / h(z) when dz is non-NULL.
 * Finite for every finite z. For z > -3 h is computed directly (its
 * cancellation costs at most a factor 10 in relative accuracy there); for
 * z <= -3, with x = -z, h(z) = phi(x) t / (x + t) where
 * t = 1/(x + 2/(x + 3/(x + ...))) is the tail of Laplace's continued
 * fraction of the Mills ratio, evaluated backwards over 60 terms (relative
 * error below 1e-16 for x >= 3), so log h = log phi(x) + log t - log(x + t)
 * has no cancellation at all and d log h / dz = 1/t. */
double gn_acq_log_h(double z, double *dz);

/* log EI(mean, sd; best) = log h(z) + log sd, z = (mean - best) / sd, the
 * log of E[max(f - best, 0)] for f ~ N(mean, sd^2). sd must be > 0. */
double gn_acq_log_ei(double mean, double sd, double best, double *dmean, double *dsd);

/* log Phi(z) and d/dz = phi(z)/Phi(z), accurate in both tails: erfc for
 * z > -3, the same continued fraction as gn_acq_log_h below that
 * (Phi(-x) = phi(x) / (x + t)). Not GSL's log_erfc/hazard: those report
 * underflow through GSL's error handler, which aborts by default. */
double gn_acq_log_cdf(double z, double *dz);

/* log P(lo <= f <= hi) for f ~ N(mean, sd^2); lo may be -INFINITY and hi
 * INFINITY (a one-sided bound). Computed from whichever tails are small so
 * that a probability of 1e-300 is still a finite log. sd must be > 0 and
 * lo < hi. */
double gn_acq_log_prob_between(double mean, double sd, double lo, double hi, double *dmean, double *dsd);

/* Upper confidence bound mean + sqrt(beta) sd. */
double gn_acq_ucb(double mean, double sd, double beta, double *dmean, double *dsd);

#endif
