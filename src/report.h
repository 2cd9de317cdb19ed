/*
 * report: what a `run` tells the outside world when it ends: the webhook's
 * `data` object and a one-line summary (log, chat formats, Kubernetes
 * termination message).  Never contains the password: only the database
 * name and host are reported.
 */
#ifndef PREDEPLOY_REPORT_H
#define PREDEPLOY_REPORT_H

#include <stdint.h>

#include "config.h"
#include "deploy.h"
#include "util/err.h"
#include "util/strbuf.h"

struct report {
	const char *action;            /* "deploy" (NULL) or "restore": the summary's first word */
	const char *status;            /* succeeded, failed, blocked, skipped, started */
	int exit_code;
	const char *database;          /* may be NULL */
	const char *db_host;
	const struct deploy_result *result;   /* may be NULL */
	const struct err *error;       /* NULL on success */
	const char *file, *sha256;     /* restore: the backup restored (may be NULL) */
	int64_t duration_ms;
};

/* Append the JSON object (with braces) for the webhook's "data". */
void report_data_json(const struct report *r, struct strbuf *out);
/* One line: "deploy succeeded on app: 3 applied (001 -> 003) in 1.2s". */
void report_summary(const struct report *r, struct strbuf *out);
/* Send r as the webhook "<action>.succeeded" / "<action>.failed" when
 * webhooks are configured (a failed delivery is logged).  Returns
 * r->exit_code, or EXIT_WEBHOOK when delivery failed, --webhook-required is
 * set and r->exit_code is 0. */
int report_deliver(const struct config *cfg, const struct report *r);

#endif
