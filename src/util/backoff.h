/*
 * backoff: the one retry schedule (waiting for the database, for the
 * migration lock, after lock_timeout, between webhook attempts): a delay
 * that starts at `first` and doubles after each wait, up to `max`, never
 * longer than what is left of the caller's deadline.
 *
 *   struct backoff b = BACKOFF_INIT(100, 2000);
 *   for (;;) {
 *       if (try() == 0) break;
 *       left = deadline - now_ms();
 *       if (left <= 0) fail;
 *       sleep_ms(backoff_next(&b, left));    // 100, 200, 400, ... 2000, 2000
 *   }
 *
 * backoff_delay(first, max, n) is the n-th delay (from 0) without state.
 * Jitter, where replicas must not retry in step, is the caller's: it adds
 * it to the returned delay.
 */
#ifndef PREDEPLOY_BACKOFF_H
#define PREDEPLOY_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t next;
	int64_t max;
};

#define BACKOFF_INIT(first, max) { (first), (max) }

/* The delay to wait now, capped at `left` when left >= 0 (no deadline:
 * pass -1); the following call returns twice as much, up to max. */
int64_t backoff_next(struct backoff *b, int64_t left);
int64_t backoff_delay(int64_t first, int64_t max, int n);

#endif
