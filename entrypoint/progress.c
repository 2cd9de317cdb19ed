/* progress: draws the library's progress reports (src/progress.h) on
 * stderr, one updating line: bytes, rate, ETA.  Only on a terminal:
 * progress_stderr() returns NULL otherwise. */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "util/banned.h"

static int drawn;

static void draw(void *ctx, const struct progress_state *s)
{
	double secs = s->elapsed_ms > 0 ? (double)s->elapsed_ms / 1000.0 : 0.001;
	double rate = (double)s->done / secs;
	char eta[48] = "";

	(void)ctx;
	if (s->final < 0) {
		if (drawn)
			fputc('\n', stderr);
		drawn = 0;
		return;
	}
	if (s->written || s->what[0] == 'b') {
		if (!s->final && s->total > s->done && rate > 0)
			snprintf(eta, sizeof(eta), ", ETA ~%.0fs", (double)(s->total - s->done) / rate);
		fprintf(stderr, "\r%s: %.1f MB dumped, %.1f MB written, %.1f MB/s%s   %s", s->what,
			(double)s->done / 1e6, (double)s->written / 1e6, rate / 1e6, eta, s->final ? "\n" : "");
	} else {
		if (!s->final && s->total > 0 && rate > 0)
			snprintf(eta, sizeof(eta), " (%.0f%%), ETA %.0fs", 100.0 * (double)s->done / (double)s->total,
				 (double)(s->total - s->done) / rate);
		fprintf(stderr, "\r%s: %.1f MB of %.1f MB read%s, %.1f MB/s   %s", s->what, (double)s->done / 1e6,
			(double)s->total / 1e6, eta, rate / 1e6, s->final ? "\n" : "");
	}
	drawn = !s->final;
	fflush(stderr);
}

const struct progress *progress_stderr(void)
{
	static const struct progress p = { draw, NULL };

	return isatty(2) ? &p : NULL;
}
