// A pool of helper threads that spin briefly between jobs, for the many short parallel kernels of
// a training step (sub-millisecond convolutions, element-wise passes): waking parked threads
// through the OS for every call took 10-40 µs per call, a fifth of a 0.2 ms convolution.
#include "CEmoKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

enum { MAX_HELPERS = 63 };
/// How long a helper spins for the next job before parking: calls of a training step follow each
/// other within microseconds, and a parked helper costs the next call a wake-up.
static const long SPIN_NANOSECONDS = 100000;

static struct {
    pthread_mutex_t busy;  // one job at a time; a second caller gets 0 and runs its parts elsewhere
    pthread_mutex_t park_lock;
    pthread_cond_t park;
    atomic_int parked;
    // The job: (generation << 32) | next unclaimed part. Parts are claimed by compare-and-swap, so
    // a helper late from an earlier generation can never claim a part of the current one.
    _Atomic uint64_t ticket;
    atomic_int done;
    atomic_int parts;  // read by late helpers while the next job is set up (relaxed)
    emo_part_fn body;
    void *context;
    int helpers;
    atomic_int started;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void pause_briefly(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

/// Claims and runs parts of generation `generation` until none is left.
static void run_parts(uint32_t generation) {
    for (;;) {
        uint64_t ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
        if ((uint32_t)(ticket >> 32) != generation) return;
        const uint32_t part = (uint32_t)ticket;
        if (part >= (uint32_t)atomic_load_explicit(&pool.parts, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        pool.body(pool.context, (int)part);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *helper_main(void *unused) {
    (void)unused;
    uint32_t seen = 0;
    for (;;) {
        uint32_t generation = (uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_acquire) >> 32);
        if (generation == seen) {
            const long deadline = now_nanoseconds() + SPIN_NANOSECONDS;
            for (int spins = 0; generation == seen; spins++) {
                pause_briefly();
                generation = (uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_acquire) >> 32);
                if (generation != seen || (spins & 63) || now_nanoseconds() < deadline) continue;
                // Park until the next job.
                pthread_mutex_lock(&pool.park_lock);
                atomic_fetch_add(&pool.parked, 1);
                while ((generation = (uint32_t)(atomic_load(&pool.ticket) >> 32)) == seen)
                    pthread_cond_wait(&pool.park, &pool.park_lock);
                atomic_fetch_sub(&pool.parked, 1);
                pthread_mutex_unlock(&pool.park_lock);
            }
        }
        seen = generation;
        run_parts(generation);
    }
    return NULL;
}

/// Starts the helpers once (under `busy`).
static void start_helpers(int threads) {
    if (atomic_load(&pool.started)) return;
    pool.helpers = 0;
    for (int i = 0; i < threads - 1 && i < MAX_HELPERS; i++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, helper_main, NULL) == 0) pool.helpers++;
        pthread_attr_destroy(&attributes);
    }
    atomic_store(&pool.started, 1);
}

int emo_pool_run(int threads, int parts, emo_part_fn body, void *context) {
    if (parts <= 0) return 1;
    if (threads <= 1 || parts == 1) {
        for (int part = 0; part < parts; part++) body(context, part);
        return 1;
    }
    if (pthread_mutex_trylock(&pool.busy) != 0) return 0;
    start_helpers(threads);
    if (pool.helpers == 0) {
        pthread_mutex_unlock(&pool.busy);
        return 0;
    }
    pool.body = body;
    pool.context = context;
    atomic_store_explicit(&pool.parts, parts, memory_order_relaxed);
    atomic_store(&pool.done, 0);
    const uint32_t generation = (uint32_t)(atomic_load(&pool.ticket) >> 32) + 1;
    atomic_store(&pool.ticket, (uint64_t)generation << 32);
    if (atomic_load(&pool.parked) > 0) {
        pthread_mutex_lock(&pool.park_lock);
        pthread_cond_broadcast(&pool.park);
        pthread_mutex_unlock(&pool.park_lock);
    }
    run_parts(generation);
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < parts) pause_briefly();
    pthread_mutex_unlock(&pool.busy);
    return 1;
}
