/* Unit tests of src/context.c (host, commit, who: computed once) and
 * src/util/backoff.c (the one retry schedule). */
// cases: commit_sha_only no_commit order_and_once who backoff_doubles_to_max backoff_capped_by_deadline backoff_delay_by_attempt
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "context.h"
#include "util/backoff.h"

static void clear_commit_vars(void)
{
	unsetenv("SOURCE_COMMIT");
	unsetenv("RENDER_GIT_COMMIT");
	unsetenv("GIT_COMMIT");
	unsetenv("GITHUB_SHA");
	unsetenv("COMMIT_SHA");
}

/* Before: the webhook's list lacked COMMIT_SHA, so deploy.started and the
 * chat text carried no commit while the end report did. */
static void commit_sha_only(void)
{
	clear_commit_vars();
	setenv("COMMIT_SHA", "abc123", 1);
	CHECK_STR(context_get()->commit, "abc123");
	CHECK_STR(context_get()->commit_source, "COMMIT_SHA");
}

static void no_commit(void)
{
	char host[256] = "";

	clear_commit_vars();
	CHECK(context_get()->commit == NULL);
	CHECK(context_get()->commit_source == NULL);
	gethostname(host, sizeof(host) - 1);
	CHECK_STR(context_get()->host, host[0] ? host : "unknown");
	CHECK_STR(context_get()->version, PREDEPLOY_VERSION);
}

static void order_and_once(void)
{
	clear_commit_vars();
	setenv("RENDER_GIT_COMMIT", "", 1);     /* empty counts as unset */
	setenv("GIT_COMMIT", "bbb", 1);
	setenv("GITHUB_SHA", "ccc", 1);
	CHECK_STR(context_get()->commit, "bbb");
	/* computed once: a later change does not make two reports disagree */
	setenv("SOURCE_COMMIT", "aaa", 1);
	CHECK_STR(context_get()->commit, "bbb");
}

static void who(void)
{
	char buf[600], expect[600];

	snprintf(expect, sizeof(expect), "app@%s", context_get()->host);
	context_who("app", buf, sizeof(buf));
	CHECK_STR(buf, expect);
	snprintf(expect, sizeof(expect), "unknown@%s", context_get()->host);
	context_who("", buf, sizeof(buf));
	CHECK_STR(buf, expect);
}

static void backoff_doubles_to_max(void)
{
	struct backoff b = BACKOFF_INIT(100, 2000);
	static const int64_t want[] = { 100, 200, 400, 800, 1600, 2000, 2000 };
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_INT(backoff_next(&b, -1), want[i]);
}

static void backoff_capped_by_deadline(void)
{
	struct backoff b = BACKOFF_INIT(50, 1000);

	CHECK_INT(backoff_next(&b, 30), 30);     /* less left than the delay */
	CHECK_INT(backoff_next(&b, 1000), 100);  /* the schedule went on */
	CHECK_INT(backoff_next(&b, 0), 0);
}

static void backoff_delay_by_attempt(void)
{
	/* lock_timeout retries: 500ms, 1s, 2s, 4s, 8s, 8s */
	CHECK_INT(backoff_delay(500, 8000, 0), 500);
	CHECK_INT(backoff_delay(500, 8000, 1), 1000);
	CHECK_INT(backoff_delay(500, 8000, 4), 8000);
	CHECK_INT(backoff_delay(500, 8000, 9), 8000);
	CHECK_INT(backoff_delay(3000, 1000, 0), 1000);
	/* no overflow with a huge max */
	CHECK(backoff_delay(1000, INT64_MAX / 4, 80) <= INT64_MAX / 4);
}

UNIT_CASES(UNIT(commit_sha_only), UNIT(no_commit), UNIT(order_and_once), UNIT(who),
	   UNIT(backoff_doubles_to_max), UNIT(backoff_capped_by_deadline), UNIT(backoff_delay_by_attempt))
