/* normal.c — standard normal CDF in log space, its inverse, and truncated-normal inversion sampling.
 *
 * Same case analysis as scipy's truncnorm (and Optuna 3.1's copy of it): work in the left tail, where
 * Phi is small and accurate, and mirror the right tail onto it. */
#include "normal.h"

#include <math.h>

#define LOG_SQRT_2PI 0.91893853320467274178032973640562
#define SQRT1_2 0.70710678118654752440084436210485

static double ndtr(double x)
{
    return 0.5 * erfc(-x * SQRT1_2);
}

double knob_normal_log_cdf(double x)
{
    if (x > 6) return log1p(-ndtr(-x));
    if (x > -20) return log(ndtr(x));
    if (x == -INFINITY) return -INFINITY;
    /* asymptotic series: Phi(x) ~ phi(x)/|x| * (1 - 1/x^2 + 3/x^4 - 15/x^6 ...) */
    double x2 = 1.0 / (x * x), term = 1.0, sum = 1.0, last;
    int i = 0;
    do {
        last = sum;
        i++;
        term *= -(2.0 * i - 1) * x2;
        sum += term;
    } while (fabs(sum - last) > 2.2e-16 * fabs(sum) && i < 100);
    return -0.5 * x * x - log(-x) - LOG_SQRT_2PI + log(sum);
}

static double log_diff(double lp, double lq)
{
    return lp + log1p(-exp(lq - lp));
}

double knob_normal_log_mass(double a, double b)
{
    if (b <= 0) return log_diff(knob_normal_log_cdf(b), knob_normal_log_cdf(a));
    if (a > 0) return log_diff(knob_normal_log_cdf(-a), knob_normal_log_cdf(-b));
    return log1p(-ndtr(a) - ndtr(-b));
}

/* Acklam's rational approximation of the normal quantile (relative error < 1.2e-9), refined by Newton. */
static double quantile_guess(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01,  -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
        double q = sqrt(-2 * log1p(-p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double knob_normal_inv_log_cdf(double y)
{
    if (!(y < 0)) return y == 0 ? INFINITY : NAN;
    if (y == -INFINITY) return -INFINITY;
    double x;
    if (y > -700) {
        x = quantile_guess(exp(y));
    } else {
        /* deep left tail: -x^2/2 - log(-x) - log(sqrt(2 pi)) = y */
        double t = -2 * y;
        x = -sqrt(t - log(t) - 2 * LOG_SQRT_2PI);
    }
    /* Newton on log Phi(x) - y; d/dx log Phi(x) = phi(x) / Phi(x) */
    for (int it = 0; it < 30; it++) {
        double lc = knob_normal_log_cdf(x);
        double slope = exp(-0.5 * x * x - LOG_SQRT_2PI - lc);
        if (!(slope > 0) || !isfinite(slope)) break;
        double dx = (lc - y) / slope;
        x -= dx;
        if (fabs(dx) <= 1e-15 * (1 + fabs(x))) break;
    }
    return x;
}

static double log_add_exp(double a, double b)
{
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

double knob_normal_trunc_inv(double a, double b, double u)
{
    int flip = a >= 0;
    double lu;
    if (flip) {
        double t = -a;
        a = -b;
        b = t;
        lu = log1p(-u);
    } else {
        lu = log(u);
    }
    double x = knob_normal_inv_log_cdf(log_add_exp(knob_normal_log_cdf(a), lu + knob_normal_log_mass(a, b)));
    if (!(x >= a)) x = a; /* also catches NaN */
    if (x > b) x = b;
    return flip ? -x : x;
}
