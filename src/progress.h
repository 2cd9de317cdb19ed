/*
 * progress: how long work (backup, restore) reports how far it is.  src/
 * never prints: it calls the caller's callback, about four times a second
 * and once at the end; entrypoint/ draws it (bytes, rate, ETA on a
 * terminal).  A NULL struct progress, or one without fn, reports nothing.
 *
 *   const struct progress *p = ...;          // from the caller
 *   struct progress_state s = { "backup", raw, packed, estimate, elapsed_ms, 0 };
 *   progress_report(p, &s);
 */
#ifndef PREDEPLOY_PROGRESS_H
#define PREDEPLOY_PROGRESS_H

#include <stdint.h>

#define PROGRESS_INTERVAL_MS 250

struct progress_state {
	const char *what;           /* "backup", "restore" */
	int64_t done;               /* backup: bytes dumped; restore: bytes read */
	int64_t written;            /* backup: compressed bytes written; restore: 0 */
	int64_t total;              /* backup: database size; restore: file size; 0 = unknown */
	int64_t elapsed_ms;
	int final;                  /* 0 running, 1 finished, -1 failed */
};

struct progress {
	void (*fn)(void *ctx, const struct progress_state *s);
	void *ctx;
};

static inline void progress_report(const struct progress *p, const struct progress_state *s)
{
	if (p && p->fn)
		p->fn(p->ctx, s);
}

#endif
