/* webhook: see webhook.h. */
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>

#include <curl/curl.h>

#include "context.h"
#include "log.h"
#include "util/backoff.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SLACK_TEXT_CAP 3000     /* Slack truncates long text; keep it readable */
#define DISCORD_TEXT_CAP 2000   /* Discord rejects content over 2000 characters */
#define DETAIL_BODY_CAP 300     /* response bytes quoted in an error detail */

/* A string member of arbitrary bytes: valid UTF-8 only (null when NULL). */
static void jw_text(struct json_w *j, const char *key, const char *s)
{
	struct strbuf clean = STRBUF_INIT;

	if (!s) {
		jw_null(j, key);
		return;
	}
	utf8_sanitize(s, strlen(s), &clean);
	jw_str(j, key, clean.buf ? clean.buf : "");
	sb_release(&clean);
}

void webhook_add_context(struct json_w *j)
{
	const struct context *c = context_get();

	jw_text(j, "host", c->host);
	jw_text(j, "commit", c->commit);
	jw_text(j, "commit_source", c->commit_source);
	jw_text(j, "predeploy_version", c->version);
}

/* ---------- body ---------- */

/* Redacted, valid UTF-8 copy of s (empty when NULL). */
static void clean_text(const char *s, struct strbuf *out)
{
	struct strbuf red = STRBUF_INIT;

	if (s)
		log_redact(s, &red);
	utf8_sanitize(red.buf, red.len, out);
	sb_release(&red);
}

/* Append text escaped for Slack's mrkdwn (&, <, > are control characters). */
static void add_slack_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			sb_adds(sb, "&amp;");
		else if (*s == '<')
			sb_adds(sb, "&lt;");
		else if (*s == '>')
			sb_adds(sb, "&gt;");
		else
			sb_addc(sb, *s);
	}
}

static void chat_text(enum webhook_format format, const struct webhook_msg *m,
		      struct strbuf *out)
{
	struct strbuf t = STRBUF_INIT, summary = STRBUF_INIT, details = STRBUF_INIT;
	const char *bold = format == WEBHOOK_SLACK ? "*" : "**";
	const struct context *c = context_get();
	size_t cap = format == WEBHOOK_SLACK ? SLACK_TEXT_CAP : DISCORD_TEXT_CAP;

	clean_text(m->summary ? m->summary : "", &summary);
	clean_text(m->details, &details);
	sb_addf(&t, "%spredeploy %s%s: %s", bold, m->type ? m->type : "event", bold, summary.buf);
	if (details.len)
		sb_addf(&t, "\n%s", details.buf);
	sb_addf(&t, "\nhost %s", c->host);
	if (c->commit)
		sb_addf(&t, " | commit %.12s", c->commit);
	sb_addf(&t, " | predeploy %s", c->version);

	if (format == WEBHOOK_SLACK) {
		struct strbuf esc = STRBUF_INIT;
		add_slack_escaped(&esc, t.buf);
		sb_reset(&t);
		sb_add(&t, esc.buf, esc.len);
		sb_release(&esc);
	}
	sb_add(out, t.buf, utf8_cut(t.buf, t.len, cap));
	sb_release(&t);
	sb_release(&summary);
	sb_release(&details);
}

void webhook_build_body(enum webhook_format format, const struct webhook_msg *m,
			time_t now, struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;
	struct json_w j;
	char ts[40];

	jw_init(&j, out, 0);
	jw_obj(&j, NULL);
	switch (format) {
	case WEBHOOK_SLACK:
		chat_text(format, m, &text);
		jw_str(&j, "text", text.buf ? text.buf : "");
		break;
	case WEBHOOK_DISCORD:
		chat_text(format, m, &text);
		jw_str(&j, "content", text.buf ? text.buf : "");
		/* Migration names or errors must not ping @everyone. */
		jw_obj(&j, "allowed_mentions");
		jw_arr(&j, "parse");
		jw_end(&j);
		jw_end(&j);
		break;
	case WEBHOOK_JSON:
	default:
		utc_iso8601(now, ts, sizeof(ts));
		jw_text(&j, "type", m->type ? m->type : "event");
		jw_str(&j, "timestamp", ts);
		if (m->data_json && *m->data_json) {
			clean_text(m->data_json, &text);
			jw_raw(&j, "data", text.buf);
		} else {
			jw_raw(&j, "data", "{}");
		}
		break;
	}
	jw_end(&j);
	sb_release(&text);
}

/* ---------- signing ---------- */

static int secret_key(const char *secret, unsigned char **key, size_t *keylen, struct err *e)
{
	if (!strncmp(secret, "whsec_", 6)) {
		const char *b64 = secret + 6;
		size_t n = strlen(b64);
		unsigned char *k = xmalloc(3 * (n / 4) + 3);
		long got = base64_decode(b64, k);

		if (got <= 0) {
			free(k);
			err_set(e, EXIT_CONFIG, "invalid webhook secret: the part after "
				"\"whsec_\" is not base64");
			err_hint(e, "use the secret exactly as the receiver issued it, "
				 "or a raw secret without the whsec_ prefix");
			return -1;
		}
		*key = k;
		*keylen = (size_t)got;
		return 0;
	}
	*keylen = strlen(secret);
	*key = (unsigned char *)xstrndup(secret, *keylen);
	return 0;
}

int webhook_sign(const char *secret, const char *msg_id, long long timestamp,
		 const char *body, size_t body_len, struct strbuf *out, struct err *e)
{
	struct strbuf signed_content = STRBUF_INIT;
	unsigned char *key = NULL, mac[SHA256_LEN];
	char b64[4 * ((SHA256_LEN + 2) / 3) + 1];
	size_t keylen = 0;
	int ret = -1;

	if (secret_key(secret, &key, &keylen, e) < 0)
		goto out;
	sb_addf(&signed_content, "%s.%lld.", msg_id, timestamp);
	sb_add(&signed_content, body, body_len);
	hmac_sha256(key, keylen, signed_content.buf, signed_content.len, mac);
	base64_encode(mac, SHA256_LEN, b64);
	sb_adds(out, "v1,");
	sb_adds(out, b64);
	ret = 0;
out:
	if (key) {
		memset(key, 0, keylen);
		free(key);
	}
	memset(mac, 0, sizeof(mac));
	sb_release(&signed_content);
	return ret;
}

static void random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n) {
		/* No getrandom (old kernel, seccomp): ids and jitter need
		 * uniqueness, not secrecy. */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t r = read(fd, buf + got, n - got);
			if (r > 0)
				got += (size_t)r;
			close(fd);
		}
	}
	if (got < n) {
		unsigned long long x = (unsigned long long)now_ms() ^
				       ((unsigned long long)getpid() << 32);
		for (; got < n; got++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[got] = (unsigned char)(x >> 56);
		}
	}
}

void webhook_new_id(char *buf, size_t cap)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char id[29] = "msg_";
	int i = 4;

	while (i < 28) {
		unsigned char r[32];
		size_t j;

		random_bytes(r, sizeof(r));
		for (j = 0; j < sizeof(r) && i < 28; j++)
			if (r[j] < 248)     /* 248 = 4 * 62: no modulo bias */
				id[i++] = alnum[r[j] % 62];
	}
	id[28] = '\0';
	xstrlcpy(buf, id, cap);
}

/* ---------- URLs ---------- */

void webhook_url_display(const char *url, struct strbuf *out)
{
	const char *scheme_end = strstr(url, "://");
	const char *auth, *auth_end, *host, *path, *path_end, *seg_end;

	if (!scheme_end || scheme_end == url || strcspn(url, "/?#@") < (size_t)(scheme_end - url)) {
		sb_adds(out, "(invalid URL)");
		return;
	}
	auth = scheme_end + 3;
	auth_end = auth + strcspn(auth, "/?#");
	host = auth;
	for (const char *p = auth; p < auth_end; p++)
		if (*p == '@')
			host = p + 1;
	sb_add(out, url, (size_t)(auth - url));
	sb_add(out, host, (size_t)(auth_end - host));
	if (*auth_end != '/')
		return;
	path = auth_end;
	path_end = path + strcspn(path, "?#");
	seg_end = path + 1 + strcspn(path + 1, "/?#");
	sb_add(out, path, (size_t)(seg_end - path));
	if (seg_end < path_end && seg_end + 1 < path_end)
		sb_adds(out, "/...");
	else if (seg_end < path_end)
		sb_addc(out, '/');
}

/* http(s) with a host, and parsable the way libcurl will parse it when it
 * sends (an unclosed IPv6 bracket, a bad port: refused now, not at the end
 * of the deploy). */
static int url_ok(const char *url)
{
	const char *host;
	CURLU *u;
	int ok;

	if (!strncasecmp(url, "http://", 7))
		host = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else
		return 0;
	if (strchr(host, '@'))
		host = strchr(host, '@') + 1;
	if (!*host || strchr("/?#:", *host))
		return 0;
	u = curl_url();
	ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
	curl_url_cleanup(u);
	return ok;
}

int webhook_check_config(const struct config *cfg, struct err *e)
{
	int i;

	for (i = 0; i < cfg->webhooks.n; i++) {
		if (!url_ok(cfg->webhooks.v[i])) {
			struct strbuf d = STRBUF_INIT;
			webhook_url_display(cfg->webhooks.v[i], &d);
			err_set(e, EXIT_CONFIG, "invalid webhook URL \"%s\": expected "
				"http:// or https:// and a host", d.buf);
			sb_release(&d);
			return -1;
		}
	}
	if (cfg->webhook_secret) {
		unsigned char *key = NULL;
		size_t keylen = 0;
		if (secret_key(cfg->webhook_secret, &key, &keylen, e) < 0)
			return -1;
		memset(key, 0, keylen);
		free(key);
	}
	if (cfg->webhook_ca_file && access(cfg->webhook_ca_file, R_OK) < 0)
		return err_sys(e, EXIT_CONFIG, errno, "could not read webhook CA file \"%s\"",
			       cfg->webhook_ca_file);
	return 0;
}

/* ---------- delivery ---------- */

static void curl_init_once(void)
{
	static int ready;

	if (ready)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		xdie("curl_global_init failed");
	atexit(curl_global_cleanup);
	ready = 1;
}

struct response {
	struct strbuf body;         /* the first WEBHOOK_RESPONSE_CAP bytes */
	size_t total;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;

	if (r->body.len < WEBHOOK_RESPONSE_CAP) {
		size_t keep = WEBHOOK_RESPONSE_CAP - r->body.len;
		sb_add(&r->body, data, n < keep ? n : keep);
	}
	r->total += n;
	return n;
}

/* Network-level failures worth another attempt.  TLS verification and
 * handshake failures, bad URLs and the like are configuration: retrying
 * does not help. */
static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* A short, printable, redacted excerpt of a response body for a detail. */
static void body_excerpt(const struct strbuf *body, struct strbuf *out)
{
	struct strbuf clean = STRBUF_INIT;
	size_t i, n = utf8_cut(body->buf, body->len, DETAIL_BODY_CAP);
	char *head = xstrndup(body->buf, n);

	clean_text(head, &clean);
	free(head);
	for (i = 0; i < clean.len; i++)
		if (clean.buf[i] == '\n' || clean.buf[i] == '\r' || clean.buf[i] == '\t')
			clean.buf[i] = ' ';
	sb_add(out, clean.buf, clean.len);
	if (body->len > n)
		sb_adds(out, "...");
	sb_release(&clean);
}

struct job {
	const struct config *cfg;
	const struct webhook_limits *lim;
	const char *url;
	const char *display;
	const char *msg_id;
	const char *body;
	size_t body_len;
	const char *type;
};

/* Deliver one message to one URL, with retries.  0 or -1 (e filled). */
static int deliver_one(const struct job *j, struct err *e)
{
	const struct webhook_limits *lim = j->lim;
	CURL *h = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct response resp = { STRBUF_INIT, 0 };
	char errbuf[CURL_ERROR_SIZE];
	struct strbuf last = STRBUF_INIT;   /* why the last attempt failed */
	int64_t start = now_ms();
	struct backoff backoff = BACKOFF_INIT(lim->backoff_ms, INT64_MAX / 4);
	int attempt = 0, ret = -1;
	long status = 0;

	if (!h) {
		err_set(e, EXIT_WEBHOOK, "could not deliver webhook to \"%s\": curl_easy_init failed",
			j->display);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, j->url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (j->cfg->webhook_ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, j->cfg->webhook_ca_file);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "predeploy/" PREDEPLOY_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	for (;;) {
		int64_t elapsed = now_ms() - start, remaining = lim->budget_ms - elapsed;
		/* at least 1 ms: 0 would mean "no timeout" to curl */
		int64_t timeout = remaining < 1 ? 1 : min64(lim->attempt_timeout_ms, remaining), wait;
		struct strbuf sig = STRBUF_INIT, hdr = STRBUF_INIT;
		long long ts = (long long)time(NULL);
		curl_off_t retry_after = 0;
		CURLcode rc;
		int retry;

		attempt++;
		curl_slist_free_all(headers);
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		/* id and timestamp also without a secret: receivers dedupe on the id */
		sb_addf(&hdr, "webhook-id: %s", j->msg_id);
		headers = curl_slist_append(headers, hdr.buf);
		sb_reset(&hdr);
		sb_addf(&hdr, "webhook-timestamp: %lld", ts);
		headers = curl_slist_append(headers, hdr.buf);
		if (j->cfg->webhook_secret) {
			if (webhook_sign(j->cfg->webhook_secret, j->msg_id, ts, j->body,
					 j->body_len, &sig, e) < 0) {
				sb_release(&sig);
				sb_release(&hdr);
				goto out;
			}
			sb_reset(&hdr);
			sb_addf(&hdr, "webhook-signature: %s", sig.buf);
			headers = curl_slist_append(headers, hdr.buf);
		}
		sb_release(&sig);
		sb_release(&hdr);
		if (!headers)
			xdie("out of memory");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)min64(lim->connect_timeout_ms, timeout));

		sb_reset(&resp.body);
		resp.total = 0;
		errbuf[0] = '\0';
		status = 0;
		log_debug("webhook %s to \"%s\": attempt %d", j->type, j->display, attempt);
		rc = curl_easy_perform(h);
		sb_reset(&last);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			if (status >= 200 && status < 300) {
				log_info("webhook %s delivered to \"%s\" (HTTP %ld, attempt %d)",
					 j->type, j->display, status, attempt);
				ret = 0;
				goto out;
			}
			sb_addf(&last, "HTTP %ld", status);
			retry = status == 429 || (status >= 500 && status <= 599);
			curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
		} else {
			sb_adds(&last, errbuf[0] ? errbuf : curl_easy_strerror(rc));
			retry = retryable_curl(rc);
		}

		if (!retry) {
			log_warn("webhook %s to \"%s\": attempt %d failed: %s; not retried",
				 j->type, j->display, attempt, last.buf);
			break;
		}
		if (attempt >= lim->max_attempts) {
			log_warn("webhook %s to \"%s\": attempt %d failed: %s; no attempts left",
				 j->type, j->display, attempt, last.buf);
			break;
		}
		if (retry_after > 0) {
			wait = min64((int64_t)retry_after * 1000, lim->retry_after_cap_ms);
		} else {
			unsigned char r[2];
			random_bytes(r, sizeof(r));
			/* +0-25% jitter so replicas do not retry in step */
			wait = backoff_next(&backoff, -1);
			wait += wait * ((r[0] << 8) | r[1]) / 65535 / 4;
		}
		remaining = lim->budget_ms - (now_ms() - start);
		if (wait + 100 >= remaining) {
			char budget[32];
			log_warn("webhook %s to \"%s\": attempt %d failed: %s; no time left "
				 "to retry within %s", j->type, j->display, attempt, last.buf,
				 duration_format(lim->budget_ms, budget, sizeof(budget)));
			break;
		}
		if (lim->stop && *lim->stop) {
			log_warn("webhook %s to \"%s\": attempt %d failed: %s; stopping",
				 j->type, j->display, attempt, last.buf);
			break;
		}
		log_warn("webhook %s to \"%s\": attempt %d failed: %s; retrying in %lldms",
			 j->type, j->display, attempt, last.buf, (long long)wait);
		{
			int64_t until = now_ms() + wait;
			while (now_ms() < until && !(lim->stop && *lim->stop))
				sleep_ms(until - now_ms());
		}
		if (lim->stop && *lim->stop)
			break;
	}

	err_set(e, EXIT_WEBHOOK, "could not deliver webhook to \"%s\": %s", j->display, last.buf);
	{
		struct strbuf d = STRBUF_INIT;
		char took[32];
		sb_addf(&d, "%d attempt%s in %s", attempt, attempt == 1 ? "" : "s",
			duration_format(now_ms() - start, took, sizeof(took)));
		if (status && resp.body.len) {
			sb_adds(&d, "; response: ");
			body_excerpt(&resp.body, &d);
		}
		err_detail(e, "%s", d.buf);
		sb_release(&d);
	}
out:
	curl_slist_free_all(headers);
	if (h)
		curl_easy_cleanup(h);
	sb_release(&resp.body);
	sb_release(&last);
	return ret;
}

/* PREDEPLOY_TEST_WEBHOOK_LIMITS (see webhook.h): "key=duration,..." over
 * the caller's limits, for the test suite.  0, or -1 with EXIT_CONFIG. */
static int limits_from_env(struct webhook_limits *lim, struct err *e)
{
	static const char var[] = "PREDEPLOY_TEST_WEBHOOK_LIMITS";
	const char *s = getenv(var);
	char item[64];

	while (s && *s) {
		size_t n = strcspn(s, ",");
		char *val;
		int64_t ms, *dst = NULL;

		if (n >= sizeof(item))
			goto bad;
		memcpy(item, s, n);
		item[n] = '\0';
		s += n + (s[n] == ',');
		val = strchr(item, '=');
		if (!val)
			goto bad;
		*val++ = '\0';
		if (!strcmp(item, "attempts")) {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end || v < 1 || v > 100)
				goto bad;
			lim->max_attempts = (int)v;
			continue;
		}
		dst = !strcmp(item, "connect") ? &lim->connect_timeout_ms :
		      !strcmp(item, "attempt") ? &lim->attempt_timeout_ms :
		      !strcmp(item, "backoff") ? &lim->backoff_ms :
		      !strcmp(item, "retry-after-cap") ? &lim->retry_after_cap_ms :
		      !strcmp(item, "budget") ? &lim->budget_ms : NULL;
		if (!dst || duration_parse(val, &ms) < 0 || ms < 1)
			goto bad;
		*dst = ms;
	}
	return 0;
bad:
	err_set(e, EXIT_CONFIG, "invalid %s \"%s\"", var, getenv(var));
	return -1;
}

int webhook_deliver_limits(const struct config *cfg, const struct webhook_msg *m,
			   const struct webhook_limits *caller_lim, struct err *e)
{
	struct webhook_limits limits = *caller_lim, *lim = &limits;
	struct strbuf body = STRBUF_INIT, display = STRBUF_INIT;
	char msg_id[32];
	int i, failed = 0, ret = -1;
	struct err first = ERR_INIT;
	struct sigaction ign, old_pipe;

	if (!cfg->webhooks.n)
		return 0;
	if (webhook_check_config(cfg, e) < 0 || limits_from_env(lim, e) < 0)
		return -1;
	curl_init_once();
	/* CURLOPT_NOSIGNAL leaves SIGPIPE to us: a receiver that closes the
	 * connection mid-write must not kill the process. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	webhook_new_id(msg_id, sizeof(msg_id));
	webhook_build_body(cfg->webhook_format, m, time(NULL), &body);

	for (i = 0; i < cfg->webhooks.n; i++) {
		struct err one = ERR_INIT;
		struct job j;

		sb_reset(&display);
		webhook_url_display(cfg->webhooks.v[i], &display);
		j.cfg = cfg;
		j.lim = lim;
		j.url = cfg->webhooks.v[i];
		j.display = display.buf;
		j.msg_id = msg_id;
		j.body = body.buf;
		j.body_len = body.len;
		j.type = m->type ? m->type : "event";
		if (deliver_one(&j, &one) < 0) {
			if (one.code == EXIT_CONFIG) {
				*e = one;
				goto out;
			}
			if (!failed++)
				first = one;
		}
	}
	if (failed) {
		*e = first;
		if (cfg->webhooks.n > 1) {
			char d[sizeof(e->detail)];
			xstrlcpy(d, e->detail, sizeof(d));
			err_detail(e, "%s; %d of %d webhook URLs failed", d, failed,
				   cfg->webhooks.n);
		}
		goto out;
	}
	ret = 0;
out:
	sigaction(SIGPIPE, &old_pipe, NULL);
	sb_release(&body);
	sb_release(&display);
	return ret;
}

int webhook_deliver(const struct config *cfg, const struct webhook_msg *m, struct err *e)
{
	static const struct webhook_limits lim = WEBHOOK_LIMITS_DEFAULT;

	return webhook_deliver_limits(cfg, m, &lim, e);
}
