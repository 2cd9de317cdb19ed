/*
 * webhook: tell a receiver how the deploy went, with one signed HTTP POST per
 * configured URL (libcurl).
 *
 *   struct strbuf data = STRBUF_INIT;
 *   struct json_w j;
 *   jw_init(&j, &data, 0);
 *   jw_obj(&j, NULL);
 *   jw_str(&j, "status", "failed"); jw_int(&j, "exit_code", 11);
 *   webhook_add_context(&j);             // "host":...,"commit":...,...
 *   jw_end(&j);
 *   struct webhook_msg m = { "deploy.failed", data.buf,
 *                            "migration 0003_users failed", NULL };
 *   if (webhook_deliver(&cfg, &m, &err) < 0 && cfg.webhook_required)
 *           return err.code;              // EXIT_WEBHOOK
 *
 * Body (--webhook-format json): {"type":...,"timestamp":"<ISO 8601 UTC>",
 * "data":<data_json>}.  slack: {"text":...}; discord: {"content":...,
 * "allowed_mentions":{"parse":[]}}, built from the summary, the details and
 * the context (host, commit, predeploy version).
 *
 * Headers (Standard Webhooks): webhook-id ("msg_" + 24 random alphanumerics,
 * the same for every URL and every retry of one message) and
 * webhook-timestamp (unix seconds of the attempt) always; when
 * cfg->webhook_secret is set also webhook-signature "v1,<base64
 * HMAC-SHA256(key, id.timestamp.body)>".  A "whsec_<base64>" secret's key is the decoded
 * base64; any other secret is used as raw bytes.
 *
 * Delivery (per URL, URLs one after the other): connect timeout 3 s, 10 s per
 * attempt, at most 4 attempts, retried on network errors, 429 and 5xx after
 * 1 s, 2 s, 4 s (+0-25% jitter) or the response's Retry-After (capped at
 * 10 s), all within a 30 s budget per URL.  Any other status outside 2xx
 * (including 3xx: redirects are not followed) fails at once.  TLS is
 * verified; cfg->webhook_ca_file replaces the system CA bundle.  Only http
 * and https.  Response bodies are read up to 4 KiB (the rest is discarded).
 *
 * Tests only: PREDEPLOY_TEST_WEBHOOK_LIMITS="budget=2s,backoff=100ms,..."
 * (keys connect, attempt, attempts, backoff, retry-after-cap, budget; the
 * others keep their values) shortens these limits so the test suite does not
 * wait out 30 s budgets.  It is not a user option and is not documented in
 * the help; a malformed value is a configuration error (78).
 *
 * Secrets: data_json, summary and details pass through the log redaction
 * (log_redact) before they are sent, so a registered password cannot reach a
 * receiver.  URLs are never logged whole: see webhook_url_display().
 *
 * Failures are logged with log_warn; the caller decides whether they are
 * fatal (cfg->webhook_required -> exit 15).
 */
#ifndef PREDEPLOY_WEBHOOK_H
#define PREDEPLOY_WEBHOOK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strbuf.h"

struct webhook_msg {
	const char *type;       /* "deploy.started", "deploy.succeeded", "deploy.failed" */
	const char *data_json;  /* a JSON object, sent as "data"; NULL = {} */
	const char *summary;    /* one human line (chat formats, logs) */
	const char *details;    /* optional extra lines for chat formats, or NULL */
};

/* Delivery limits; webhook_deliver() uses WEBHOOK_LIMITS_DEFAULT. */
struct webhook_limits {
	int64_t connect_timeout_ms;
	int64_t attempt_timeout_ms;
	int max_attempts;
	int64_t backoff_ms;             /* first retry delay, doubled each time */
	int64_t retry_after_cap_ms;
	int64_t budget_ms;              /* per URL, all attempts and waits */
	/* When non-NULL and non-zero, no retry starts and a wait between
	 * attempts ends (a SIGTERM handler's flag).  The first attempt is always
	 * made, so the failure webhook of a stopped run still goes out once. */
	const volatile sig_atomic_t *stop;
};

#define WEBHOOK_LIMITS_DEFAULT { 3000, 10000, 4, 1000, 10000, 30000, NULL }

/* Cap on the response body kept (for the error message). */
#define WEBHOOK_RESPONSE_CAP 4096

/*
 * POST m to every cfg->webhooks URL.  Returns 0 when all answered 2xx (or
 * there is no URL).  Otherwise -1 with e->code = EXIT_WEBHOOK naming the
 * first URL that failed (as webhook_url_display) and why; every failed URL
 * is also logged with log_warn.  A secret that is not valid whsec_ base64
 * fails with EXIT_CONFIG before anything is sent.
 */
int webhook_deliver(const struct config *cfg, const struct webhook_msg *m, struct err *e);
int webhook_deliver_limits(const struct config *cfg, const struct webhook_msg *m,
			   const struct webhook_limits *lim, struct err *e);

/*
 * Check the webhook options before anything runs: every URL is http:// or
 * https:// with a host, the secret decodes, the CA file is readable.
 * -1 with EXIT_CONFIG otherwise.  Sends nothing.
 */
int webhook_check_config(const struct config *cfg, struct err *e);

/*
 * Add the common context members to the JSON object open in j: "host",
 * "commit" (src/context.h: null when none), "commit_source" (the variable's
 * name, or null) and "predeploy_version".
 */
void webhook_add_context(struct json_w *j);

/* --- building blocks, exposed for the unit tests --- */

/* The body for cfg's format, timestamped `now`, into out (appended). */
void webhook_build_body(enum webhook_format format, const struct webhook_msg *m,
			time_t now, struct strbuf *out);

/*
 * Standard Webhooks signature header value "v1,<base64>" for
 * "<msg_id>.<timestamp>.<body>" into out (appended).  -1 with EXIT_CONFIG
 * when secret starts with "whsec_" and the rest is not base64.
 */
int webhook_sign(const char *secret, const char *msg_id, long long timestamp,
		 const char *body, size_t body_len, struct strbuf *out, struct err *e);

/* A fresh message id: "msg_" + 24 random alphanumerics; buf holds >= 29. */
void webhook_new_id(char *buf, size_t cap);

/*
 * What a log line may show of a URL: scheme://host[:port] and the path's
 * first segment, "/..." when there are more (Slack and Discord put their
 * credential in the path).  Userinfo, query and fragment never appear.
 */
void webhook_url_display(const char *url, struct strbuf *out);

#endif
