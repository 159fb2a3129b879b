/* parallel.c — a lazily started pool of worker threads serving knob_parallel_for. */
#define _POSIX_C_SOURCE 200809L
#include "knob/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "knob/sysinfo.h"

#define MAX_THREADS 256

static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;  /* one parallel_for at a time */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int n_workers;                 /* started worker threads */
static unsigned long generation;      /* bumped for each job */
static int job_workers;               /* workers taking part in the current job */
static int active;                    /* workers that joined the current job and are still running it */
static int job_open;                  /* workers may still join the current job */
static knob_task_fn job_fn;
static void *job_ctx;
static size_t job_n;
static atomic_size_t next_task;
static int default_threads;
static _Thread_local int in_task;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* In a forked child (knob.core.proc workers) the pool's threads do not exist: forget them, so the next
 * parallel for starts its own, and start from fresh locks (a worker may have held one at the fork). */
static void after_fork_child(void)
{
    n_workers = 0;
    job_workers = active = job_open = 0;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    call_lock = lock = m;
    wake = done = c;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}

static void run_tasks(int worker)
{
    in_task = 1;
    for (;;) {
        size_t t = atomic_fetch_add(&next_task, 1);
        if (t >= job_n) break;
        job_fn(job_ctx, t, worker);
    }
    in_task = 0;
}

static void *worker_main(void *arg)
{
    int slot = (int)(size_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (generation == seen || slot > job_workers) pthread_cond_wait(&wake, &lock);
        seen = generation;
        if (!job_open) continue; /* the caller already ran every task: nothing to join */
        active++;
        pthread_mutex_unlock(&lock);
        run_tasks(slot);
        pthread_mutex_lock(&lock);
        if (--active == 0) pthread_cond_signal(&done);
    }
    return NULL;
}

int knob_parallel_default_threads(void)
{
    if (default_threads > 0) return default_threads;
    const char *env = getenv("KNOB_THREADS");
    int n = env ? atoi(env) : 0;
    return n > 0 ? n : knob_cpu_count();
}

void knob_parallel_set_default_threads(int threads)
{
    default_threads = threads > 0 ? threads : 0;
}

void knob_parallel_for(size_t n_tasks, int threads, knob_task_fn fn, void *ctx)
{
    if (threads <= 0) threads = knob_parallel_default_threads();
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if ((size_t)threads > n_tasks) threads = (int)n_tasks;
    if (threads <= 1 || in_task) {
        for (size_t t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&call_lock);
    pthread_mutex_lock(&lock);
    while (n_workers < threads - 1) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int ok = pthread_create(&th, &attr, worker_main, (void *)(size_t)(n_workers + 1)) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        n_workers++;
    }
    if (threads - 1 > n_workers) threads = n_workers + 1;
    job_fn = fn;
    job_ctx = ctx;
    job_n = n_tasks;
    atomic_store(&next_task, 0);
    job_workers = threads - 1;
    active = 0;
    job_open = 1;
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    run_tasks(0);
    /* Every task is taken once run_tasks returns; wait only for the workers that joined (a worker the
     * scheduler has not run yet must not hold up the caller: under load that can take milliseconds). */
    pthread_mutex_lock(&lock);
    job_open = 0;
    while (active > 0) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&call_lock);
}
