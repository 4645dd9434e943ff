/* A pool of worker threads over the indices of a task list, with results
 * handed to the calling thread in index order (a reorder buffer of
 * `window` slots). Workers never take a task more than `window` ahead of the
 * next result to emit, so memory stays bounded by the documents in flight. */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct cli_slot {
    int ready;
    void *result;
} cli_slot;

typedef struct cli_pool {
    const cli_pool_config *config;
    pthread_mutex_t lock;
    pthread_cond_t space;  /* a worker may take the next task */
    pthread_cond_t result; /* a result arrived */
    size_t next_take, next_emit;
    int stopping;
    cli_slot *slots;
} cli_pool;

static void *cli_worker_main(void *arg)
{
    cli_pool *pool = arg;
    const cli_pool_config *config = pool->config;
    cli_buffer scratch = {0};
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stopping && pool->next_take < config->count &&
               pool->next_take >= pool->next_emit + config->window)
            pthread_cond_wait(&pool->space, &pool->lock);
        if (pool->stopping || pool->next_take >= config->count) break;
        size_t index = pool->next_take++;
        pthread_mutex_unlock(&pool->lock);
        void *result = config->work(config->context, index, &scratch);
        pthread_mutex_lock(&pool->lock);
        cli_slot *slot = &pool->slots[index % config->window];
        slot->result = result;
        slot->ready = 1;
        pthread_cond_signal(&pool->result);
    }
    pthread_mutex_unlock(&pool->lock);
    cli_buffer_free(&scratch);
    return NULL;
}

static void cli_deadline(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    long long ns = (long long)ts->tv_nsec + (long long)(seconds * 1e9);
    ts->tv_sec += (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

/* Without threads (none could be started): the same contract, one by one. */
static size_t cli_pool_run_serial(const cli_pool_config *config)
{
    cli_buffer scratch = {0};
    size_t emitted = 0;
    for (size_t i = 0; i < config->count; i++) {
        void *result = config->work(config->context, i, &scratch);
        emitted++;
        int stop = config->emit(config->context, i, result);
        if (config->tick && config->tick(config->context)) stop = 1;
        if (stop) break;
    }
    cli_buffer_free(&scratch);
    return emitted;
}

size_t cli_pool_run(const cli_pool_config *input)
{
    cli_pool_config config = *input;
    if (config.count == 0) return 0;
    if (config.jobs < 1) config.jobs = 1;
    if ((size_t)config.jobs > config.count) config.jobs = (int)config.count;
    if (config.window < (size_t)config.jobs) config.window = (size_t)config.jobs;
    if (config.tick_seconds <= 0) config.tick_seconds = 0.25;

    cli_pool pool;
    memset(&pool, 0, sizeof pool);
    pool.config = &config;
    pool.slots = calloc(config.window, sizeof *pool.slots);
    if (!pool.slots) return cli_pool_run_serial(&config);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.space, NULL);
    pthread_cond_init(&pool.result, &attr);
    pthread_condattr_destroy(&attr);

    pthread_t *threads = calloc((size_t)config.jobs, sizeof *threads);
    int started = 0;
    while (threads && started < config.jobs &&
           pthread_create(&threads[started], NULL, cli_worker_main, &pool) == 0)
        started++;
    if (started == 0) {
        free(threads);
        free(pool.slots);
        pthread_mutex_destroy(&pool.lock);
        pthread_cond_destroy(&pool.space);
        pthread_cond_destroy(&pool.result);
        return cli_pool_run_serial(&config);
    }

    struct timespec next_tick;
    cli_deadline(&next_tick, config.tick_seconds);
    pthread_mutex_lock(&pool.lock);
    while (pool.next_emit < pool.next_take || (!pool.stopping && pool.next_emit < config.count)) {
        cli_slot *slot = &pool.slots[pool.next_emit % config.window];
        if (slot->ready) {
            void *result = slot->result;
            size_t index = pool.next_emit++;
            slot->ready = 0;
            slot->result = NULL;
            pthread_cond_broadcast(&pool.space);
            pthread_mutex_unlock(&pool.lock);
            int stop = config.emit(config.context, index, result);
            if (config.tick && config.tick(config.context)) stop = 1;
            pthread_mutex_lock(&pool.lock);
            if (stop && !pool.stopping) {
                pool.stopping = 1;
                pthread_cond_broadcast(&pool.space);
            }
            continue;
        }
        if (pthread_cond_timedwait(&pool.result, &pool.lock, &next_tick) == ETIMEDOUT) {
            pthread_mutex_unlock(&pool.lock);
            int stop = config.tick && config.tick(config.context);
            cli_deadline(&next_tick, config.tick_seconds);
            pthread_mutex_lock(&pool.lock);
            if (stop && !pool.stopping) {
                pool.stopping = 1;
                pthread_cond_broadcast(&pool.space);
            }
        }
    }
    size_t emitted = pool.next_emit;
    pthread_mutex_unlock(&pool.lock);

    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(pool.slots);
    pthread_mutex_destroy(&pool.lock);
    pthread_cond_destroy(&pool.space);
    pthread_cond_destroy(&pool.result);
    return emitted;
}
