/* context: see context.h. */
#include "context.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/xalloc.h"
#include "util/banned.h"

static struct context ctx;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void compute(void)
{
	static const char *const vars[] = { "SOURCE_COMMIT", "RENDER_GIT_COMMIT", "GIT_COMMIT", "GITHUB_SHA",
					    "COMMIT_SHA" };
	size_t i;

	if (gethostname(ctx.host, sizeof(ctx.host) - 1) < 0 || !ctx.host[0])
		xstrlcpy(ctx.host, "unknown", sizeof(ctx.host));
	ctx.host[sizeof(ctx.host) - 1] = '\0';
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]) && !ctx.commit; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			ctx.commit = v;
			ctx.commit_source = vars[i];
		}
	}
	ctx.version = PREDEPLOY_VERSION;
}

const struct context *context_get(void)
{
	pthread_once(&once, compute);
	return &ctx;
}

void context_who(const char *user, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s@%s", user && *user ? user : "unknown", context_get()->host);
}
