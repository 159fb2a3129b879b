/* qmc.c — Sobol and Halton low-discrepancy sequences, optionally scrambled.
 *
 * Sobol. Dimension 1 is van der Corput in base 2. Dimension j >= 2 uses the (j-1)-th primitive polynomial
 * over GF(2), enumerated here by degree and then by the integer a whose bits are the inner coefficients
 * (x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1, a_1 the most significant bit of a) -- the ordering of
 * Joe & Kuo, "Constructing Sobol sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30
 * (2008). Its initial direction numbers m_1..m_s for dimensions 2..21 are those published in that paper
 * (typed below); dimensions beyond 21 use odd m_i < 2^i drawn from a fixed splitmix64 stream (a valid Sobol
 * sequence with less tuned projections). Points have 32 bits; random access by Gray code.
 *
 * Scrambling: Sobol by a random lower-triangular binary matrix applied to the direction numbers plus a random
 * digital shift (LMS + shift, as scipy.stats.qmc.Sobol); Halton by an independent random permutation of the
 * digits at every position of every base. */
#include "knob/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SOBOL_BITS 32
#define SOBOL_MAX_DIM 1111 /* primitive polynomials of degree <= 13: 1110, plus dimension 1 */
#define HALTON_MAX_DIM 1000

struct knob_qmc {
    int kind;
    size_t dim;
    /* Sobol */
    uint32_t *v;      /* dim x SOBOL_BITS direction numbers (scrambled when scrambling) */
    uint32_t *shift;  /* dim digital shifts (0 unscrambled) */
    /* Halton */
    uint32_t *base;   /* dim primes */
    size_t *n_digits; /* dim: digits handled per base */
    size_t *perm_off; /* dim: offset of the first permutation of the dimension in perm */
    uint16_t *perm;   /* concatenated permutations (NULL unscrambled) */
};

/* Joe & Kuo (2008), initial direction numbers m_1..m_s of dimensions 2..21 (degree s = count). */
static const uint32_t jk_m[20][7] = {
    {1},
    {1, 3},
    {1, 3, 1},
    {1, 1, 1},
    {1, 1, 3, 3},
    {1, 3, 5, 13},
    {1, 1, 5, 5, 17},
    {1, 1, 5, 5, 5},
    {1, 1, 7, 11, 19},
    {1, 1, 5, 1, 1},
    {1, 1, 1, 3, 11},
    {1, 3, 5, 5, 31},
    {1, 3, 3, 9, 7, 49},
    {1, 1, 1, 15, 21, 21},
    {1, 3, 1, 13, 27, 49},
    {1, 1, 1, 15, 7, 5},
    {1, 3, 1, 15, 13, 25},
    {1, 1, 5, 5, 19, 61},
    {1, 3, 7, 11, 23, 15, 103},
    {1, 3, 7, 13, 13, 15, 69},
};

size_t knob_qmc_max_dim(int kind)
{
    return kind == KNOB_QMC_SOBOL ? SOBOL_MAX_DIM : (kind == KNOB_QMC_HALTON ? HALTON_MAX_DIM : 0);
}

size_t knob_qmc_dim(const knob_qmc *q)
{
    return q->dim;
}

void knob_qmc_free(knob_qmc **qq)
{
    if (!qq || !*qq) return;
    knob_qmc *q = *qq;
    free(q->v);
    free(q->shift);
    free(q->base);
    free(q->n_digits);
    free(q->perm_off);
    free(q->perm);
    free(q);
    *qq = NULL;
}

/* (a * b) mod p over GF(2)[x], p of degree s (bit s set), a and b of degree < s. */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b, uint32_t p, int s)
{
    uint32_t r = 0;
    while (b) {
        if (b & 1) r ^= a;
        b >>= 1;
        a <<= 1;
        if (a & (1u << s)) a ^= p;
    }
    return r;
}

static uint32_t gf2_powmod_x(uint64_t e, uint32_t p, int s)
{
    uint32_t r = 1, base = s == 1 ? (2u ^ p) : 2u; /* x mod p */
    while (e) {
        if (e & 1) r = gf2_mulmod(r, base, p, s);
        base = gf2_mulmod(base, base, p, s);
        e >>= 1;
    }
    return r;
}

/* Primitive iff x has multiplicative order exactly 2^s - 1 modulo p. */
static int gf2_primitive(uint32_t p, int s)
{
    uint64_t n = (1ull << s) - 1;
    if (gf2_powmod_x(n, p, s) != 1) return 0;
    uint64_t m = n;
    for (uint64_t f = 2; f * f <= m; f++) {
        if (m % f) continue;
        while (m % f == 0) m /= f;
        if (gf2_powmod_x(n / f, p, s) == 1) return 0;
    }
    if (m > 1 && m != n && gf2_powmod_x(n / m, p, s) == 1) return 0;
    return 1;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Direction numbers of dimensions 1..dim (unscrambled) into v (dim x SOBOL_BITS). */
static void sobol_directions(uint32_t *v, size_t dim)
{
    for (int j = 0; j < SOBOL_BITS; j++) v[j] = 1u << (SOBOL_BITS - 1 - j);
    size_t d = 1;
    uint64_t stream = 0x5eed50b01ULL;
    for (int s = 1; d < dim && s <= 13; s++) {
        for (uint32_t a = 0; a < (1u << (s - 1)) && d < dim; a++) {
            uint32_t poly = (1u << s) | (a << 1) | 1u;
            if (!gf2_primitive(poly, s)) continue;
            uint32_t m[SOBOL_BITS];
            for (int i = 0; i < s; i++) {
                if (d <= 20) {
                    m[i] = jk_m[d - 1][i];
                } else {
                    uint32_t half = 1u << i; /* odd m < 2^(i+1) */
                    m[i] = 2u * (uint32_t)(splitmix64(&stream) % half) + 1u;
                }
            }
            for (int k = s; k < SOBOL_BITS; k++) {
                uint32_t x = m[k - s] ^ (m[k - s] << s);
                for (int i = 1; i < s; i++)
                    if ((a >> (s - 1 - i)) & 1) x ^= m[k - i] << i;
                m[k] = x;
            }
            for (int k = 0; k < SOBOL_BITS; k++) v[d * SOBOL_BITS + k] = m[k] << (SOBOL_BITS - 1 - k);
            d++;
        }
    }
}

static int parity32(uint32_t x)
{
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return (int)(x & 1);
}

/* LMS: each direction number v becomes L v, L lower triangular with unit diagonal (bit 31 = row 0). */
static void sobol_scramble(knob_qmc *q, knob_rng *rng)
{
    uint32_t L[SOBOL_BITS];
    for (size_t d = 0; d < q->dim; d++) {
        for (int i = 0; i < SOBOL_BITS; i++) {
            uint32_t diag = 1u << (SOBOL_BITS - 1 - i);
            uint32_t higher = ~(diag | (diag - 1u));
            L[i] = ((uint32_t)knob_rng_u64(rng) & higher) | diag;
        }
        for (int j = 0; j < SOBOL_BITS; j++) {
            uint32_t in = q->v[d * SOBOL_BITS + j], outv = 0;
            for (int i = 0; i < SOBOL_BITS; i++)
                if (parity32(L[i] & in)) outv |= 1u << (SOBOL_BITS - 1 - i);
            q->v[d * SOBOL_BITS + j] = outv;
        }
        q->shift[d] = (uint32_t)knob_rng_u64(rng);
    }
}

static void first_primes(uint32_t *out, size_t n)
{
    size_t k = 0;
    for (uint32_t c = 2; k < n; c++) {
        int prime = 1;
        for (size_t i = 0; i < k && out[i] * out[i] <= c; i++)
            if (c % out[i] == 0) {
                prime = 0;
                break;
            }
        if (prime) out[k++] = c;
    }
}

static int halton_init(knob_qmc *q, int scramble, knob_rng *rng)
{
    size_t dim = q->dim;
    q->base = malloc(dim * sizeof *q->base);
    q->n_digits = malloc(dim * sizeof *q->n_digits);
    q->perm_off = malloc(dim * sizeof *q->perm_off);
    if (!q->base || !q->n_digits || !q->perm_off) return KNOB_ENOMEM;
    first_primes(q->base, dim);
    size_t total = 0;
    for (size_t d = 0; d < dim; d++) {
        /* enough digits that the rest is below double precision: b^n >= 2^53 */
        size_t n = 0;
        for (double p = 1; p < 9007199254740992.0; p *= q->base[d]) n++;
        q->n_digits[d] = n;
        q->perm_off[d] = total;
        total += n * q->base[d];
    }
    if (!scramble) return KNOB_OK;
    q->perm = malloc(total * sizeof *q->perm);
    if (!q->perm) return KNOB_ENOMEM;
    for (size_t d = 0; d < dim; d++) {
        uint32_t b = q->base[d];
        for (size_t j = 0; j < q->n_digits[d]; j++) {
            uint16_t *pm = q->perm + q->perm_off[d] + j * b;
            for (uint32_t i = 0; i < b; i++) pm[i] = (uint16_t)i;
            for (uint32_t i = b; i > 1; i--) {
                uint32_t r = (uint32_t)knob_rng_below(rng, i);
                uint16_t t = pm[i - 1];
                pm[i - 1] = pm[r];
                pm[r] = t;
            }
        }
    }
    return KNOB_OK;
}

int knob_qmc_new(knob_qmc **out, int kind, size_t dim, int scramble, uint64_t seed, knob_err *err)
{
    *out = NULL;
    size_t maxd = knob_qmc_max_dim(kind);
    if (maxd == 0) return knob_err_set(err, KNOB_EINVAL, "qmc: unknown kind %d", kind);
    if (dim < 1 || dim > maxd)
        return knob_err_set(err, KNOB_EINVAL, "qmc: dimension must be in 1..%zu (got %zu)", maxd, dim);
    knob_qmc *q = calloc(1, sizeof *q);
    if (!q) return knob_err_set(err, KNOB_ENOMEM, "qmc: out of memory");
    q->kind = kind;
    q->dim = dim;
    knob_rng rng;
    knob_rng_seed(&rng, seed);
    int rc = KNOB_OK;
    if (kind == KNOB_QMC_SOBOL) {
        q->v = malloc(dim * SOBOL_BITS * sizeof *q->v);
        q->shift = calloc(dim, sizeof *q->shift);
        if (!q->v || !q->shift) rc = KNOB_ENOMEM;
        else {
            sobol_directions(q->v, dim);
            if (scramble) sobol_scramble(q, &rng);
        }
    } else {
        rc = halton_init(q, scramble, &rng);
    }
    if (rc) {
        knob_qmc_free(&q);
        return knob_err_set(err, KNOB_ENOMEM, "qmc: out of memory (%zu dimensions)", dim);
    }
    *out = q;
    return KNOB_OK;
}

int knob_qmc_point(const knob_qmc *q, uint64_t index, double *out, knob_err *err)
{
    if (q->kind == KNOB_QMC_SOBOL) {
        if (index >= (1ull << SOBOL_BITS))
            return knob_err_set(err, KNOB_EINVAL, "qmc: Sobol index %llu is beyond 2^32 points",
                                (unsigned long long)index);
        uint64_t g = index ^ (index >> 1);
        for (size_t d = 0; d < q->dim; d++) {
            const uint32_t *v = q->v + d * SOBOL_BITS;
            uint32_t x = q->shift[d];
            for (int j = 0; g >> j; j++)
                if ((g >> j) & 1) x ^= v[j];
            out[d] = (double)x * 0x1.0p-32;
        }
        return KNOB_OK;
    }
    for (size_t d = 0; d < q->dim; d++) {
        uint32_t b = q->base[d];
        double inv = 1.0 / b, f = inv, x = 0;
        uint64_t i = index;
        if (!q->perm) {
            for (; i; i /= b, f *= inv) x += (double)(i % b) * f;
        } else {
            const uint16_t *pm = q->perm + q->perm_off[d];
            for (size_t j = 0; j < q->n_digits[d]; j++, i /= b, f *= inv) x += (double)pm[j * b + i % b] * f;
        }
        out[d] = x < 1.0 ? x : nextafter(1.0, 0.0);
    }
    return KNOB_OK;
}
