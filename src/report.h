/*
 * report: what a `run` tells the outside world when it ends: the webhook's
 * `data` object and a one-line summary (log, chat formats, Kubernetes
 * termination message).  Never contains the password: only the database
 * name and host are reported.
 */
#ifndef PREDEPLOY_REPORT_H
#define PREDEPLOY_REPORT_H

#include <stdint.h>

#include "deploy.h"
#include "util/err.h"
#include "util/strbuf.h"

struct report {
	const char *status;            /* succeeded, failed, blocked, skipped, started */
	int exit_code;
	const char *database;          /* may be NULL */
	const char *db_host;
	const struct deploy_result *result;   /* may be NULL */
	const struct err *error;       /* NULL on success */
	int64_t duration_ms;
};

/* Append the JSON object (with braces) for the webhook's "data". */
void report_data_json(const struct report *r, struct strbuf *out);
/* One line: "deploy succeeded on app: 3 applied (001 -> 003) in 1.2s". */
void report_summary(const struct report *r, struct strbuf *out);
/* The app commit from SOURCE_COMMIT, RENDER_GIT_COMMIT, GIT_COMMIT or
 * GITHUB_SHA, or NULL. */
const char *report_app_commit(void);

#endif
