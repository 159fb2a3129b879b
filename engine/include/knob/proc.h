/**
 * @file proc.h
 * @brief Worker processes for whole trials (POSIX): fork a child, exchange framed messages over pipes,
 *        limit its memory and its wall time, and say in words how it ended.
 *
 * The parent forks with knob_proc_fork; both sides then hold a knob_proc. The child sends messages up
 * (knob_proc_send) and may block for a reply (knob_proc_recv with block = 1); the parent polls all its
 * workers (knob_proc_poll), drains their messages without blocking (knob_proc_recv with block = 0), answers
 * on the down pipe (knob_proc_send), and once a worker's pipe is closed reaps it (knob_proc_reap), which
 * fills a knob_proc_end with the cause in words ("killed by signal 11 (SIGSEGV)", "exceeded the trial time
 * limit of 2 s", ...). A message is a length-prefixed frame (4 bytes little-endian + payload, at most
 * KNOB_PROC_MAX_MESSAGE bytes); the payload is opaque bytes.
 *
 * Limits. The memory limit caps the growth of the child's address space: RLIMIT_AS is set in the child to
 * its size at fork plus the limit, so the parent's data already mapped (shared copy-on-write) does not count
 * and a sanitizer's shadow reservation does not make every allocation fail; an allocation beyond it fails
 * (malloc returns NULL). The time limit is a deadline kept by the parent: knob_proc_poll sends SIGKILL to a
 * worker past its deadline, and knob_proc_reap reports it as such.
 *
 * The child must end with knob_proc_child_exit (_exit: no atexit handlers, no flushing of stdio buffers
 * copied from the parent, no destructors of the parent's objects). knob_proc_fork flushes stdio and resets
 * the core's thread pool in the child (its worker threads are not copied by fork).
 */
#ifndef KNOB_PROC_H
#define KNOB_PROC_H

#include <stddef.h>

#include "knob/err.h"

/** Largest payload of one message, in bytes (64 MiB). */
#define KNOB_PROC_MAX_MESSAGE ((size_t)64 << 20)

/** One side of a worker process: the parent's handle on a child, or the child's handle on its parent. */
typedef struct knob_proc knob_proc;

/** Limits for a worker (0 = none). */
typedef struct {
    double time_limit;      /**< seconds of wall time from the fork, enforced by the parent (SIGKILL) */
    double memory_limit_mb; /**< growth of the child's address space, in MiB (RLIMIT_AS in the child) */
} knob_proc_limits;

/** How a worker ended (filled by knob_proc_reap). */
typedef struct {
    int exited;         /**< 1 when it exited normally (see code) */
    int code;           /**< exit status when exited */
    int signal;         /**< the signal that killed it, else 0 */
    int timed_out;      /**< 1 when the parent killed it at its deadline */
    char reason[160];   /**< the cause in words, "" for exit status 0 */
} knob_proc_end;

/**
 * Fork a worker process with pipes up (child to parent) and down (parent to child).
 * @param out      receives the handle (in both processes); free it with knob_proc_free (parent) or end
 *                 the child with knob_proc_child_exit
 * @param is_child receives 1 in the child, 0 in the parent
 * @param limits   limits of the child (NULL = none); a negative or NaN limit is KNOB_EINVAL
 * @param err      error record
 * @return KNOB_OK, KNOB_EINVAL (bad limits), KNOB_EIO (pipe or fork failed) or KNOB_ENOMEM
 */
int knob_proc_fork(knob_proc **out, int *is_child, const knob_proc_limits *limits, knob_err *err);

/**
 * Send one message to the other side (blocks until written).
 * @param p   the handle
 * @param msg payload bytes
 * @param n   payload length (<= KNOB_PROC_MAX_MESSAGE)
 * @param err error record
 * @return KNOB_OK, KNOB_EINVAL (too long, or a closed handle) or KNOB_EIO (the other side is gone)
 */
int knob_proc_send(knob_proc *p, const void *msg, size_t n, knob_err *err);

/**
 * Receive one message from the other side.
 * @param p     the handle
 * @param msg   receives a malloc'd payload (the caller frees it), or NULL when none is returned
 * @param n     receives the payload length
 * @param block 1: wait until a whole message or end of stream arrives; 0: read what is available
 * @param err   error record
 * @return 1 a message was returned, 0 none is complete yet (block = 0 only), -1 end of stream (the other
 *         side closed its end or died), or a negative knob_status below -1 on failure (KNOB_EIO,
 *         KNOB_EPARSE for a frame longer than KNOB_PROC_MAX_MESSAGE, KNOB_ENOMEM)
 */
int knob_proc_recv(knob_proc *p, char **msg, size_t *n, int block, knob_err *err);

/**
 * Parent: wait until a worker has something to read (a message or end of stream), at most @p max_wait
 * seconds (< 0: no bound other than the deadlines). Workers past their deadline are killed (SIGKILL) and
 * count as ready.
 * @param ps       parent handles (NULL entries are skipped)
 * @param n        number of entries
 * @param max_wait seconds to wait at most
 * @param ready    array of n flags, set to 1 for the ready workers (may be NULL)
 * @param err      error record
 * @return the number of ready workers (0 after max_wait), or a negative knob_status
 */
int knob_proc_poll(knob_proc *const *ps, size_t n, double max_wait, int *ready, knob_err *err);

/**
 * Parent: wait for a worker to end (after its pipe reached end of stream) and describe how it ended.
 * @param p   parent handle
 * @param end receives the outcome
 * @param err error record
 * @return KNOB_OK, KNOB_ESTATE (not a parent handle, or already reaped) or KNOB_EIO
 */
int knob_proc_reap(knob_proc *p, knob_proc_end *end, knob_err *err);

/**
 * Parent: kill a worker now (SIGKILL); knob_proc_reap then reports @p why when it is non-NULL.
 * @param p   parent handle
 * @param why the reason to report (copied), or NULL for the signal's description
 */
void knob_proc_kill(knob_proc *p, const char *why);

/**
 * The worker's process id (the child's pid in both processes).
 * @param p the handle
 * @return the pid
 */
long knob_proc_pid(const knob_proc *p);

/**
 * Parent: free a handle, killing and reaping the worker if it is still there; NULLs *p.
 * @param p the handle (may point to NULL)
 */
void knob_proc_free(knob_proc **p);

/**
 * Child: end the worker process now with status @p code (_exit; never returns).
 * @param p    the child's handle (freed)
 * @param code exit status
 */
void knob_proc_child_exit(knob_proc **p, int code);

/**
 * Crash the calling process with @p sig (SIGSEGV, SIGABRT, ...), for tests of the crash handling.
 * @param sig a signal number
 */
void knob_proc_crash(int sig);

/**
 * Plan the threads of this process: the core's thread pool default (knob_parallel_set_default_threads) and
 * OpenBLAS's thread count (openblas_set_num_threads). A worker calls it with its share of the cores.
 * @param threads threads per parallel region; <= 0 restores the automatic choice (all CPUs)
 */
void knob_proc_set_threads(int threads);

/**
 * The thread counts this process would use now.
 * @param pool receives the core pool's default thread count (may be NULL)
 * @param blas receives OpenBLAS's thread count (may be NULL)
 */
void knob_proc_get_threads(int *pool, int *blas);

#endif
