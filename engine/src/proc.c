/* proc.c — worker processes: fork, framed messages over pipes, memory and time limits, how a worker ended. */
#define _GNU_SOURCE /* strsignal-free signal names are ours; _GNU_SOURCE for pipe2 */
#include "knob/proc.h"

#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "knob/parallel.h"
#include "knob/sysinfo.h"

struct knob_proc {
    pid_t pid;          /* the child's pid */
    int is_child;
    int rfd, wfd;       /* this side's read and write ends (-1 when closed) */
    double deadline;    /* parent: monotonic deadline, 0 = none */
    double time_limit;
    double memory_mb;
    pid_t owner_pid;    /* the parent's pid */
    int foreign;        /* a copy inherited by another worker: its fds are closed, it is never killed */
    struct knob_proc *next; /* the owner's list of live parent handles */
    int killed;         /* parent: killed by us (deadline or knob_proc_kill) */
    int timed_out;
    int reaped;
    char why[160];      /* parent: reason given to knob_proc_kill */
    char *buf;          /* parent: bytes read but not yet returned */
    size_t len, cap;
};

static knob_proc *live; /* parent handles of this process, so that a new child can drop its copies */

static void unlink_live(knob_proc *p)
{
    for (knob_proc **q = &live; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            return;
        }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The child's address-space size now, in bytes (0 if unknown). */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages = 0;
    int ok = fscanf(f, "%lu", &pages) == 1;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (size_t)pages * (size_t)page : 0;
}

static void limit_memory(double mb)
{
    double want = (double)vm_size() + mb * 1048576.0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return;
    rlim_t lim = want >= (double)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)want;
    if (rl.rlim_max != RLIM_INFINITY && lim > rl.rlim_max) lim = rl.rlim_max;
    rl.rlim_cur = lim;
    setrlimit(RLIMIT_AS, &rl);
}

int knob_proc_fork(knob_proc **out, int *is_child, const knob_proc_limits *limits, knob_err *err)
{
    if (!out || !is_child) return knob_err_set(err, KNOB_EINVAL, "proc.fork: out and is_child are required");
    *out = NULL;
    *is_child = 0;
    knob_proc_limits lim = {0, 0};
    if (limits) lim = *limits;
    if (!(lim.time_limit >= 0) || !(lim.memory_limit_mb >= 0) || isinf(lim.time_limit) || isinf(lim.memory_limit_mb))
        return knob_err_set(err, KNOB_EINVAL, "proc.fork: limits must be finite numbers >= 0 (time %g s, memory %g MB)",
                            lim.time_limit, lim.memory_limit_mb);
    knob_proc *p = calloc(1, sizeof *p);
    if (!p) return knob_err_set(err, KNOB_ENOMEM, "proc.fork: out of memory");
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) != 0) {
        free(p);
        return knob_err_set(err, KNOB_EIO, "proc.fork: pipe: %s", strerror(errno));
    }
    if (pipe2(down, O_CLOEXEC) != 0) {
        int e = errno;
        close(up[0]);
        close(up[1]);
        free(p);
        return knob_err_set(err, KNOB_EIO, "proc.fork: pipe: %s", strerror(e));
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        free(p);
        return knob_err_set(err, KNOB_EIO, "proc.fork: fork: %s", strerror(e));
    }
    p->owner_pid = parent;
    p->time_limit = lim.time_limit;
    p->memory_mb = lim.memory_limit_mb;
    if (pid == 0) {
        for (knob_proc *q = live; q; q = q->next) { /* the siblings' pipes are not this child's business */
            close_fd(&q->rfd);
            close_fd(&q->wfd);
            q->foreign = 1;
        }
        live = NULL;
        p->pid = getpid();
        p->is_child = 1;
        p->rfd = down[0];
        p->wfd = up[1];
        close(up[0]);
        close(down[1]);
        signal(SIGPIPE, SIG_IGN); /* a dead parent is an EIO from write, not a silent death */
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* nobody would enforce the deadline once the parent is gone */
        if (getppid() != p->owner_pid) _exit(1);
#endif
        if (lim.memory_limit_mb > 0) limit_memory(lim.memory_limit_mb);
        *is_child = 1;
    } else {
        p->pid = pid;
        p->next = live;
        live = p;
        p->rfd = up[0];
        p->wfd = down[1];
        close(up[1]);
        close(down[0]);
        set_nonblock(p->rfd);
        if (lim.time_limit > 0) p->deadline = knob_clock_now() + lim.time_limit;
    }
    *out = p;
    return KNOB_OK;
}

static int write_all(int fd, const unsigned char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* write_all with SIGPIPE blocked: a worker that died makes the write fail with EPIPE instead of killing the
 * parent (a pending SIGPIPE it raised is consumed before unblocking). */
static int write_frame(int fd, const unsigned char *hdr, const void *msg, size_t n)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = write_all(fd, hdr, 4) == 0 && write_all(fd, msg, n) == 0 ? 0 : -1;
    int e = errno;
    if (rc != 0 && e == EPIPE) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE) {}
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return rc;
}

int knob_proc_send(knob_proc *p, const void *msg, size_t n, knob_err *err)
{
    if (!p || p->wfd < 0) return knob_err_set(err, KNOB_EINVAL, "proc.send: the handle is closed");
    if (n > KNOB_PROC_MAX_MESSAGE)
        return knob_err_set(err, KNOB_EINVAL, "proc.send: a message of %zu bytes is longer than the limit of %zu", n,
                            KNOB_PROC_MAX_MESSAGE);
    unsigned char hdr[4] = {(unsigned char)(n & 0xff), (unsigned char)((n >> 8) & 0xff),
                            (unsigned char)((n >> 16) & 0xff), (unsigned char)((n >> 24) & 0xff)};
    if (write_frame(p->wfd, hdr, msg, n) != 0)
        return knob_err_set(err, KNOB_EIO, "proc.send: %s", strerror(errno));
    return KNOB_OK;
}

/* A whole frame at the start of p->buf? Then hand it out and shift the rest. */
static int take_frame(knob_proc *p, char **msg, size_t *n, knob_err *err)
{
    if (p->len < 4) return 0;
    const unsigned char *h = (const unsigned char *)p->buf;
    size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
    if (len > KNOB_PROC_MAX_MESSAGE)
        return knob_err_set(err, KNOB_EPARSE, "proc.recv: a frame announces %zu bytes (limit %zu)", len,
                            KNOB_PROC_MAX_MESSAGE);
    if (p->len < 4 + len) return 0;
    char *m = malloc(len + 1);
    if (!m) return knob_err_set(err, KNOB_ENOMEM, "proc.recv: out of memory");
    memcpy(m, p->buf + 4, len);
    m[len] = '\0';
    memmove(p->buf, p->buf + 4 + len, p->len - 4 - len);
    p->len -= 4 + len;
    *msg = m;
    *n = len;
    return 1;
}

int knob_proc_recv(knob_proc *p, char **msg, size_t *n, int block, knob_err *err)
{
    if (!msg || !n) return knob_err_set(err, KNOB_EINVAL, "proc.recv: msg and n are required");
    *msg = NULL;
    *n = 0;
    if (!p) return knob_err_set(err, KNOB_EINVAL, "proc.recv: the handle is closed");
    for (;;) {
        int got = take_frame(p, msg, n, err);
        if (got != 0) return got;
        if (p->rfd < 0) return -1;
        if (p->cap - p->len < 65536) {
            size_t cap = p->cap ? p->cap * 2 : 65536 + 4;
            char *b = realloc(p->buf, cap);
            if (!b) return knob_err_set(err, KNOB_ENOMEM, "proc.recv: out of memory");
            p->buf = b;
            p->cap = cap;
        }
        if (block) {
            struct pollfd pf = {p->rfd, POLLIN, 0};
            if (poll(&pf, 1, -1) < 0 && errno != EINTR) return knob_err_set(err, KNOB_EIO, "proc.recv: %s", strerror(errno));
        }
        ssize_t r = read(p->rfd, p->buf + p->len, p->cap - p->len);
        if (r > 0) {
            p->len += (size_t)r;
            continue;
        }
        if (r == 0) {
            close_fd(&p->rfd);
            if (p->len > 0) return knob_err_set(err, KNOB_EPARSE, "proc.recv: the stream ended inside a message");
            return -1;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (block) continue;
            return 0;
        }
        return knob_err_set(err, KNOB_EIO, "proc.recv: %s", strerror(errno));
    }
}

int knob_proc_poll(knob_proc *const *ps, size_t n, double max_wait, int *ready, knob_err *err)
{
    struct pollfd fds[64];
    if (n > 64) return knob_err_set(err, KNOB_EINVAL, "proc.poll: at most 64 workers (got %zu)", n);
    for (size_t i = 0; i < n; i++)
        if (ready) ready[i] = 0;
    for (;;) {
        double now = knob_clock_now(), wait = max_wait;
        int n_ready = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            knob_proc *p = ps[i];
            fds[i].fd = -1;
            fds[i].events = POLLIN;
            fds[i].revents = 0;
            if (!p || p->is_child || p->foreign) continue;
            if (p->rfd < 0 || p->len >= 4) { /* end of stream already seen, or a frame may be buffered */
                if (ready) ready[i] = 1;
                n_ready++;
                continue;
            }
            if (p->deadline > 0 && !p->killed) {
                if (now >= p->deadline) {
                    kill(p->pid, SIGKILL);
                    p->killed = p->timed_out = 1;
                } else if (wait < 0 || p->deadline - now < wait) {
                    wait = p->deadline - now;
                }
            }
            fds[i].fd = p->rfd;
            m++;
        }
        if (n_ready > 0 || m == 0) return n_ready;
        int ms = wait < 0 ? -1 : (int)ceil(wait * 1000.0);
        int r = poll(fds, (nfds_t)n, ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            return knob_err_set(err, KNOB_EIO, "proc.poll: %s", strerror(errno));
        }
        for (size_t i = 0; i < n; i++) {
            if (fds[i].fd >= 0 && fds[i].revents) {
                if (ready) ready[i] = 1;
                n_ready++;
            }
        }
        if (n_ready > 0) return n_ready;
        if (max_wait >= 0 && knob_clock_now() - now >= max_wait) return 0;
        max_wait = max_wait < 0 ? max_wait : max_wait - (knob_clock_now() - now);
        if (max_wait == 0) return 0;
    }
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGXCPU: return "SIGXCPU";
    default: return "?";
    }
}

int knob_proc_reap(knob_proc *p, knob_proc_end *end, knob_err *err)
{
    if (!p || p->is_child || p->foreign || p->reaped)
        return knob_err_set(err, KNOB_ESTATE, "proc.reap: no worker to reap");
    if (!end) return knob_err_set(err, KNOB_EINVAL, "proc.reap: end is required");
    memset(end, 0, sizeof *end);
    int st = 0;
    pid_t r;
    while ((r = waitpid(p->pid, &st, 0)) < 0 && errno == EINTR) {}
    if (r < 0) return knob_err_set(err, KNOB_EIO, "proc.reap: waitpid(%ld): %s", (long)p->pid, strerror(errno));
    p->reaped = 1;
    close_fd(&p->rfd);
    close_fd(&p->wfd);
    end->timed_out = p->timed_out;
    if (WIFEXITED(st)) {
        end->exited = 1;
        end->code = WEXITSTATUS(st);
        if (end->code != 0) snprintf(end->reason, sizeof end->reason, "the worker process exited with status %d", end->code);
    } else if (WIFSIGNALED(st)) {
        end->signal = WTERMSIG(st);
        snprintf(end->reason, sizeof end->reason, "killed by signal %d (%s)", end->signal, signal_name(end->signal));
    }
    if (p->timed_out) {
        snprintf(end->reason, sizeof end->reason, "exceeded the trial time limit of %g s", p->time_limit);
    } else if (p->killed && p->why[0]) {
        snprintf(end->reason, sizeof end->reason, "%s", p->why);
    } else if (p->memory_mb > 0 && (end->signal != 0 || end->code != 0)) {
        size_t k = strlen(end->reason);
        snprintf(end->reason + k, sizeof end->reason - k, " (under the memory limit of %g MB)", p->memory_mb);
    }
    return KNOB_OK;
}

void knob_proc_kill(knob_proc *p, const char *why)
{
    if (!p || p->is_child || p->foreign || p->reaped) return;
    kill(p->pid, SIGKILL);
    p->killed = 1;
    if (why) snprintf(p->why, sizeof p->why, "%s", why);
}

long knob_proc_pid(const knob_proc *p)
{
    return p ? (long)p->pid : -1;
}

void knob_proc_free(knob_proc **pp)
{
    if (!pp || !*pp) return;
    knob_proc *p = *pp;
    if (!p->is_child && !p->foreign) {
        unlink_live(p);
        if (!p->reaped) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
        }
    }
    close_fd(&p->rfd);
    close_fd(&p->wfd);
    free(p->buf);
    free(p);
    *pp = NULL;
}

void knob_proc_child_exit(knob_proc **pp, int code)
{
    if (pp && *pp) {
        close_fd(&(*pp)->rfd);
        close_fd(&(*pp)->wfd);
        free((*pp)->buf);
        free(*pp);
        *pp = NULL;
    }
    _exit(code);
}

void knob_proc_crash(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

void knob_proc_set_threads(int threads)
{
    knob_parallel_set_default_threads(threads);
    openblas_set_num_threads(threads > 0 ? threads : knob_cpu_count());
}

void knob_proc_get_threads(int *pool, int *blas)
{
    if (pool) *pool = knob_parallel_default_threads();
    if (blas) *blas = openblas_get_num_threads();
}
