/**
 * @file parallel.h
 * @brief The core's one thread pool: a parallel for over task indices.
 *
 * Work is split into tasks [0, n_tasks); each task is run exactly once by some thread. To keep results
 * identical for any thread count, make each task's output depend only on its index (e.g. one task per
 * feature or per fixed-size row block, reduced afterwards in index order) — never on which thread ran it.
 */
#ifndef KNOB_PARALLEL_H
#define KNOB_PARALLEL_H

#include <stddef.h>

/** A task body: run task @p task (0-based); @p worker is the running thread's slot in [0, threads). */
typedef void (*knob_task_fn)(void *ctx, size_t task, int worker);

/**
 * Run @p fn for every task in [0, n_tasks) on up to @p threads threads (the caller's thread is one of them)
 * and wait for all. @p threads <= 0 means knob_parallel_default_threads(). Calls from inside a task run
 * serially (no nested parallelism). Thread-safe: concurrent calls from different threads are serialized.
 */
void knob_parallel_for(size_t n_tasks, int threads, knob_task_fn fn, void *ctx);

/** The default thread count: $KNOB_THREADS if set, else the number of online CPUs. */
int knob_parallel_default_threads(void);

/** Set the default thread count (0 restores the automatic choice). */
void knob_parallel_set_default_threads(int threads);

#endif
