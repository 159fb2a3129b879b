/* rng.c — xoshiro256** (Blackman & Vigna) seeded through splitmix64; normal deviates by the polar method. */
#include "knob/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void knob_rng_seed(knob_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
    rng->has_spare = 0;
    rng->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t knob_rng_u64(knob_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double knob_rng_uniform(knob_rng *rng)
{
    return (double)(knob_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t knob_rng_below(knob_rng *rng, uint64_t n)
{
    if (n == 0) return 0;
    /* rejection sampling on the top of the range: exact and portable */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = knob_rng_u64(rng);
    while (r >= limit);
    return r % n;
}

double knob_rng_normal(knob_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * knob_rng_uniform(rng) - 1.0;
        v = 2.0 * knob_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    rng->spare = v * m;
    rng->has_spare = 1;
    return u * m;
}

void knob_rng_shuffle(knob_rng *rng, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)knob_rng_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

void knob_rng_permutation(knob_rng *rng, size_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = i;
    knob_rng_shuffle(rng, a, n);
}
