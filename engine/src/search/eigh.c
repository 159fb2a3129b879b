/*
 * eigh.c — symmetric eigen decomposition through LAPACK's dsyev (eigh.h), for CMA-ES.
 */
#include "knob/eigh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS); the trailing size_t are gfortran's hidden string lengths */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
            const int *lwork, int *info, size_t jobz_len, size_t uplo_len);

int knob_search_eigh(const double *a, size_t n, double *w, double *v, knob_err *err)
{
    if (n == 0 || !a || !w || !v) return knob_err_set(err, KNOB_EINVAL, "eigh: empty matrix");
    if (n > 46340) return knob_err_set(err, KNOB_EINVAL, "eigh: order %zu is too large", n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double x = a[i * n + j], y = a[j * n + i];
            if (!isfinite(x))
                return knob_err_set(err, KNOB_EINVAL, "eigh: entry (%zu, %zu) is not finite", i + 1, j + 1);
            if (fabs(x - y) > 1e-9 * (fabs(x) + fabs(y)) + 1e-300)
                return knob_err_set(err, KNOB_EINVAL, "eigh: the matrix is not symmetric at (%zu, %zu)", i + 1, j + 1);
        }
    int in = (int)n, info = 0, lwork = -1;
    double query = 0;
    /* column-major copy: a symmetric matrix is its own transpose, so the row-major data serves as is */
    memcpy(v, a, n * n * sizeof *v);
    dsyev_("V", "U", &in, v, &in, w, &query, &lwork, &info, 1, 1);
    lwork = info == 0 && query >= 1 ? (int)query : 3 * in;
    double *work = malloc((size_t)lwork * sizeof *work);
    if (!work) return knob_err_set(err, KNOB_ENOMEM, "eigh: out of memory (order %zu)", n);
    dsyev_("V", "U", &in, v, &in, w, work, &lwork, &info, 1, 1);
    free(work);
    if (info != 0) return knob_err_set(err, KNOB_EUNDEF, "eigh: LAPACK dsyev failed (info %d)", info);
    /* v is column-major with the eigenvectors as columns; transpose to row-major (vector j in column j) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = v[i * n + j];
            v[i * n + j] = v[j * n + i];
            v[j * n + i] = t;
        }
    return KNOB_OK;
}
