/*
 * context: facts about this run that reports, history rows, backup sidecars
 * and webhooks all carry, computed once so they cannot disagree: the host
 * name, the app's commit (from the first of SOURCE_COMMIT,
 * RENDER_GIT_COMMIT, GIT_COMMIT, GITHUB_SHA, COMMIT_SHA that is set; and
 * which variable it was), predeploy's version, and who ran it.
 *
 *   const struct context *c = context_get();
 *   c->host         // gethostname, or "unknown"
 *   c->commit       // NULL when none of the variables is set
 *   context_who("app", buf, sizeof(buf));   // "app@host"
 */
#ifndef PREDEPLOY_CONTEXT_H
#define PREDEPLOY_CONTEXT_H

#include <stddef.h>

struct context {
	char host[256];
	const char *commit;
	const char *commit_source;  /* the variable it came from */
	const char *version;        /* PREDEPLOY_VERSION */
};

const struct context *context_get(void);
/* "user@host" (user "unknown" when empty or NULL). */
void context_who(const char *user, char *buf, size_t cap);

#endif
