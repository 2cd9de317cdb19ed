/* timeutil: see timeutil.h. */
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

int duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0;
	const char *p = s;
	int too_long = 0;

	if (!s || !*s)
		return -1;
	while (*p) {
		int64_t n = 0, mult;
		int digits = 0;

		while (*p >= '0' && *p <= '9') {
			if (n <= DURATION_MAX_MS)    /* keep counting digits, stop growing */
				n = n * 10 + (*p - '0');
			p++;
			digits++;
		}
		if (!digits)
			return -1;
		if (!*p && p == s + digits) {
			mult = 1000; /* bare number: seconds */
		} else if (!strncmp(p, "ms", 2)) {
			mult = 1; p += 2;
		} else if (*p == 's') {
			mult = 1000; p++;
		} else if (*p == 'm') {
			mult = 60000; p++;
		} else if (*p == 'h') {
			mult = 3600000; p++;
		} else {
			return -1;
		}
		if (n > DURATION_MAX_MS / mult || total > DURATION_MAX_MS - n * mult)
			too_long = 1;
		else
			total += n * mult;
	}
	if (too_long)
		return -2;
	*ms = total;
	return 0;
}

const char *duration_format(int64_t ms, char *buf, size_t cap)
{
	if (ms < 1000)
		snprintf(buf, cap, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, cap, "%.3gs", (double)ms / 1000.0);
	else
		snprintf(buf, cap, "%lldm%llds", (long long)(ms / 60000), (long long)(ms % 60000 / 1000));
	return buf;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fmt_utc(time_t t, const char *fmt, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(buf, cap, fmt, &tm) && cap)
		buf[0] = '\0';
}

void utc_iso8601(time_t t, char *buf, size_t cap)
{
	fmt_utc(t, "%Y-%m-%dT%H:%M:%SZ", buf, cap);
}

void utc_compact(time_t t, char *buf, size_t cap)
{
	fmt_utc(t, "%Y%m%dT%H%M%SZ", buf, cap);
}

void utc_version(time_t t, char *buf, size_t cap)
{
	fmt_utc(t, "%Y%m%d%H%M%S", buf, cap);
}

int sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	if (ms <= 0)
		return 0;
	if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
		return -1;
	return 0;
}
