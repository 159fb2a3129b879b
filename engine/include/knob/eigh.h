/**
 * @file eigh.h
 * @brief Symmetric eigen decomposition for the search layer (CMA-ES), through LAPACK's dsyev.
 */
#ifndef KNOB_EIGH_H
#define KNOB_EIGH_H

#include <stddef.h>

#include "knob/err.h"

/**
 * Eigen decomposition of a symmetric matrix (LAPACK dsyev): a = V diag(w) V^T, eigenvalues ascending.
 * @param a    n x n symmetric matrix, row-major (only its values are read; it is copied)
 * @param n    order (>= 1)
 * @param w    receives n eigenvalues, ascending
 * @param v    receives n x n eigenvectors, row-major, column j (v[i*n + j], i = 0..n-1) the j-th vector
 * @param err  filled on failure
 * @return KNOB_OK, KNOB_EINVAL (n = 0, a non-finite entry, an asymmetric matrix), KNOB_ENOMEM, or
 *         KNOB_EUNDEF (LAPACK did not converge)
 */
int knob_search_eigh(const double *a, size_t n, double *w, double *v, knob_err *err);

#endif
