/*
 * timeutil: durations ("500ms", "5s", "10m", "1h", combinations like "1m30s";
 * a bare number means seconds), monotonic clocks and UTC timestamps.
 */
#ifndef PREDEPLOY_TIMEUTIL_H
#define PREDEPLOY_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* The longest duration accepted: 100 years, so that deadlines computed as
 * now + duration can never overflow. */
#define DURATION_MAX_MS (100LL * 366 * 24 * 3600 * 1000)

/* Parse a duration into milliseconds. Returns 0, -1 on bad syntax, -2 when
 * it is longer than DURATION_MAX_MS (never undefined behaviour). */
int duration_parse(const char *s, int64_t *ms);
/* Format ms as "1.234s" / "250ms" / "2m3s" into buf. */
const char *duration_format(int64_t ms, char *buf, size_t cap);
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t now_ms(void);
/* "2026-11-21T17:03:04Z" (ISO 8601, UTC). */
void utc_iso8601(time_t t, char *buf, size_t cap);
/* "20261121T170304Z" (backup file names). */
void utc_compact(time_t t, char *buf, size_t cap);
/* "20261121170304" (predeploy new). */
void utc_version(time_t t, char *buf, size_t cap);
/* Sleep ms milliseconds; returns early (-1) when interrupted by a signal. */
int sleep_ms(int64_t ms);

#endif
