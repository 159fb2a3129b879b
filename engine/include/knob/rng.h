/**
 * @file rng.h
 * @brief The only source of randomness in knob: a seeded xoshiro256** generator.
 *
 * The same seed gives the same stream on every machine (no platform RNG, no floating-point differences in
 * the integer paths). Never call rand().
 */
#ifndef KNOB_RNG_H
#define KNOB_RNG_H

#include <stddef.h>
#include <stdint.h>

/** Generator state; plain data, copy it to fork a stream. */
typedef struct {
    uint64_t s[4];
    int has_spare;      /**< a cached second normal deviate is available */
    double spare;
} knob_rng;

/**
 * Seed a generator (the state is expanded from @p seed with splitmix64).
 * @param rng  generator to initialize
 * @param seed any 64-bit value
 */
void knob_rng_seed(knob_rng *rng, uint64_t seed);

/** Next raw 64-bit output. */
uint64_t knob_rng_u64(knob_rng *rng);

/** Uniform double in [0, 1) with 53 random bits. */
double knob_rng_uniform(knob_rng *rng);

/** Uniform integer in [0, @p n) without modulo bias; returns 0 when @p n is 0. */
uint64_t knob_rng_below(knob_rng *rng, uint64_t n);

/** Standard normal deviate (Marsaglia polar method). */
double knob_rng_normal(knob_rng *rng);

/** Shuffle @p a[0..n-1] in place (Fisher-Yates). */
void knob_rng_shuffle(knob_rng *rng, size_t *a, size_t n);

/** Fill @p a with a random permutation of 0..n-1. */
void knob_rng_permutation(knob_rng *rng, size_t *a, size_t n);

#endif
