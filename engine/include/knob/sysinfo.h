/**
 * @file sysinfo.h
 * @brief Timing and memory measurements: a monotonic clock, resident memory, CPU count.
 */
#ifndef KNOB_SYSINFO_H
#define KNOB_SYSINFO_H

#include <stddef.h>

/** Seconds on a monotonic clock (arbitrary origin; use differences). */
double knob_clock_now(void);

/** CPU time of this process (user + system), in seconds. */
double knob_cpu_time(void);

/** CPU time (user + system) of this process's children that have ended and been waited for, in seconds
 * (e.g. the worker processes of parallel trials). */
double knob_children_cpu_time(void);

/** Peak resident set size of this process so far, in bytes (0 if unknown). */
size_t knob_peak_rss(void);

/** Current resident set size of this process, in bytes (0 if unknown). */
size_t knob_current_rss(void);

/** Number of online CPUs (at least 1). */
int knob_cpu_count(void);

#endif
