/* normal.h — standard normal CDF helpers in log space (internal to engine/src/search). */
#ifndef KNOB_SEARCH_NORMAL_H
#define KNOB_SEARCH_NORMAL_H

/** log Phi(x), accurate in both tails. */
double knob_normal_log_cdf(double x);

/** log(Phi(b) - Phi(a)) for a <= b, without cancellation in the tails (-inf when a == b). */
double knob_normal_log_mass(double a, double b);

/** The x with log Phi(x) = y (y <= 0; +inf for y >= 0). */
double knob_normal_inv_log_cdf(double y);

/** A draw from the standard normal truncated to [a, b] (a < b) by inversion of the uniform u in [0, 1). */
double knob_normal_trunc_inv(double a, double b, double u);

#endif
