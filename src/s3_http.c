/* s3_http: see s3_http.h. */
#include "s3_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

void s3_curl_once(void)
{
	static int ready;

	if (!ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		ready = 1;
}

/* RFC 3986 encoding as SigV4 wants it; '/' kept when keep_slash. */
void s3_uri_encode(struct strbuf *sb, const char *s, int keep_slash)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
			sb_addc(sb, (char)c);
		else
			sb_addf(sb, "%%%02X", c);
	}
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n;

	if (r->resp.len + len > RESPONSE_CAP)
		return 0;                /* fails the transfer: CURLE_WRITE_ERROR */
	sb_add(&r->resp, p, len);
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n, k;

	if (len > 5 && !strncasecmp(p, "etag:", 5)) {
		const char *v = p + 5;

		while (*v == ' ')
			v++;
		for (k = 0; v + k < p + len && v[k] != '\r' && v[k] != '\n' && k + 1 < sizeof(r->etag); k++)
			r->etag[k] = v[k];
		r->etag[k] = '\0';
	}
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct req *r = arg;

	(void)a; (void)b; (void)c; (void)d;
	return !r->unstoppable && proc_stop_signal() ? 1 : 0;
}

/* The text of <tag>...</tag> after *pos into out (entities decoded);
 * *pos moves past it.  0 when found. */
int s3_xml_get(const char *xml, const char **pos, const char *tag, char *out, size_t cap)
{
	char open[64], close[64];
	const char *a, *b, *p = pos ? *pos : xml;
	size_t n = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(p, open);
	if (!a)
		return -1;
	a += strlen(open);
	b = strstr(a, close);
	if (!b)
		return -1;
	while (a < b && n + 1 < cap) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		size_t i, done = 0;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]) && !done; i++)
			if (!strncmp(a, ents[i].ent, strlen(ents[i].ent))) {
				out[n++] = ents[i].c;
				a += strlen(ents[i].ent);
				done = 1;
			}
		if (!done)
			out[n++] = *a++;
	}
	out[n] = '\0';
	if (pos)
		*pos = b + strlen(close);
	return 0;
}

static int retryable(CURLcode rc, long status)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return 0;
	if (rc != CURLE_OK)
		return rc != CURLE_WRITE_ERROR && rc != CURLE_OUT_OF_MEMORY && rc != CURLE_SSL_CACERT &&
		       rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_URL_MALFORMAT;
	return status >= 500 || status == 429;
}

/* "<METHOD> s3://bucket/key" for messages. */
static void describe(const struct s3 *s, const struct req *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s s3://%s/%s", r->method, s->bucket, r->key ? r->key : "");
}

/* Append a formatted header; the temporary copy is wiped (it may hold the
 * session token). */
static struct curl_slist *header(struct curl_slist *hs, const char *fmt, const char *v)
{
	struct strbuf sb = STRBUF_INIT;
	const char *pct = strstr(fmt, "%s");

	sb_add(&sb, fmt, (size_t)(pct - fmt));
	sb_adds(&sb, v);
	sb_adds(&sb, pct + 2);
	hs = curl_slist_append(hs, sb.buf);
	memset(sb.buf, 0, sb.len);
	sb_release(&sb);
	return hs;
}

static int attempt(struct s3 *s, struct req *r, char *errbuf, CURLcode *rc)
{
	struct curl_slist *hs = NULL;
	struct strbuf url = STRBUF_INIT;
	char sha[SHA256_HEX_LEN];
	CURL *h = s->h;

	sb_adds(&url, s->base_url);
	if (r->key)
		s3_uri_encode(&url, r->key, 1);
	if (r->query && *r->query) {
		sb_addc(&url, '?');
		sb_adds(&url, r->query);
	}
	sha256_hex_of(r->body ? r->body : "", r->body ? r->len : 0, sha);
	hs = header(hs, "x-amz-content-sha256: %s", sha);
	if (s->token)
		hs = header(hs, "x-amz-security-token: %s", s->token);
	if (r->range)
		hs = header(hs, "Range: %s", r->range);
	if (r->write_headers && s->sse)
		hs = header(hs, "x-amz-server-side-encryption: %s", s->sse);
	if (r->write_headers && s->sse && s->kms_key)
		hs = header(hs, "x-amz-server-side-encryption-aws-kms-key-id: %s", s->kms_key);
	if (r->write_headers && s->storage_class)
		hs = header(hs, "x-amz-storage-class: %s", s->storage_class);
	sb_reset(&r->resp);
	r->etag[0] = '\0';
	r->status = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->akid);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "predeploy/" PREDEPLOY_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		/* The body from memory, so that libcurl signs what it sends. */
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
	}
	errbuf[0] = '\0';
	*rc = curl_easy_perform(h);
	if (*rc == CURLE_OK) {
		curl_off_t cl = -1;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		r->length = (int64_t)cl;
	}
	curl_slist_free_all(hs);
	sb_release(&url);
	return 0;
}

/* Run r with retries.  0 when it got an answer with a status in
 * [200, 300) (or 404 when allow_404); else -1 with e filled (err_code,
 * 128+N when stopped by a signal). */
int s3_request(struct s3 *s, struct req *r, int allow_404, int err_code, struct err *e)
{
	char errbuf[CURL_ERROR_SIZE], what[1200];
	CURLcode rc = CURLE_OK;
	int i;

	describe(s, r, what, sizeof(what));
	for (i = 0; i < ATTEMPTS; i++) {
		int64_t wait = BACKOFF_MS << i;

		attempt(s, r, errbuf, &rc);
		if (rc == CURLE_OK && ((r->status >= 200 && r->status < 300) || (allow_404 && r->status == 404)))
			return 0;
		if (!retryable(rc, r->status) || i + 1 == ATTEMPTS)
			break;
		if (wait > BACKOFF_MAX_MS)
			wait = BACKOFF_MAX_MS;
		if (rc != CURLE_OK)
			log_warn("S3 %s: %s; retrying in %lldms", what, *errbuf ? errbuf : curl_easy_strerror(rc),
				 (long long)wait);
		else
			log_warn("S3 %s: HTTP %ld; retrying in %lldms", what, r->status, (long long)wait);
		sleep_ms(wait);
		if (!r->unstoppable && proc_stop_signal())
			break;
	}
	if (!r->unstoppable && proc_stop_signal())
		return err_set(e, 128 + proc_stop_signal(), "S3 %s stopped by signal %d", what, proc_stop_signal());
	if (rc != CURLE_OK)
		return err_set(e, err_code, "S3 %s failed: %s", what, *errbuf ? errbuf : curl_easy_strerror(rc));
	{
		char code[128] = "", msg[512] = "";

		s3_xml_get(r->resp.buf, NULL, "Code", code, sizeof(code));
		s3_xml_get(r->resp.buf, NULL, "Message", msg, sizeof(msg));
		err_set(e, err_code, "S3 %s failed: HTTP %ld%s%s%s%s", what, r->status, *code ? " " : "", code,
			*msg ? ": " : "", msg);
		if (r->status == 403)
			err_hint(e, "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the region (AWS_REGION) and "
				 "the bucket's policy");
	}
	return -1;
}

void s3_req_init(struct req *r, const char *method, const char *key, const char *query)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->key = key;
	r->query = query;
	sb_init(&r->resp, 0);
}
