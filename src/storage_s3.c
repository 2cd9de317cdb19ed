/*
 * storage_s3: the storage driver for an S3-compatible bucket (see
 * storage.h), s3://BUCKET/PREFIX.  Every request is signed by libcurl
 * (CURLOPT_AWS_SIGV4, never by hand), TLS is verified, and
 * x-amz-content-sha256 carries the real SHA-256 of each body.
 *
 * Writes stream: bytes gather in one part buffer (8 MiB, doubled every
 * 1,000 parts so that 10,000 parts reach several TB); a full buffer is
 * uploaded as the next part of a multipart upload created on the first
 * full part.  Commit uploads the last part and completes the upload (an
 * object smaller than one part is a single PutObject); abort sends
 * AbortMultipartUpload, so nothing is visible under the name unless the
 * commit succeeded.  Reads are ranged GETs of 8 MiB.  Every request is
 * retried with backoff on network errors, 5xx and 429 (5 attempts); a
 * SIGTERM/SIGINT (proc_stop_signal) stops a transfer, except the abort.
 *
 * Configuration: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or _FILE),
 * AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION (us-east-1),
 * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (https://s3.REGION.amazonaws.com),
 * AWS_CA_BUNDLE; --s3-path-style, --s3-sse, --s3-sse-kms-key-id,
 * --s3-storage-class.  Requests go through s3_http.h.  The secret key
 * is registered with the log's redaction and reaches nothing but libcurl.
 */
#include "storage.h"
#include "s3_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define PART_MIN ((size_t)8 << 20)
#define PART_MAX ((size_t)5 << 30)
#define PARTS_PER_STEP 1000


struct s3_w {
	struct storage_w base;
	char *name, *key;
	char *upload_id;                 /* NULL until the first part is full */
	unsigned char *buf;
	size_t len, cap;
	int parts;
	int failed;                      /* a part could not be uploaded */
	struct strbuf done;              /* <Part> elements for the completion */
};

struct s3_r {
	struct storage_r base;
	char *name, *key;
	int64_t size, off;
	struct strbuf chunk;
	size_t pos;
};

/* ---- the driver ---- */

static char *object_key(const struct s3 *s, const char *name)
{
	return *s->prefix ? xasprintf("%s/%s", s->prefix, name) : xstrdup(name);
}


static int s3_prepare(struct storage *st, int64_t dbsize, struct err *e)
{
	(void)st; (void)dbsize; (void)e;
	return 0;
}

static int s3_exists(struct storage *st, const char *name, struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	char *key = object_key(s, name);
	struct req r;
	int ret;

	s3_req_init(&r, "HEAD", key, NULL);
	ret = s3_request(s, &r, 1, EXIT_BACKUP, e);
	if (ret == 0)
		ret = r.status == 404 ? 0 : 1;
	sb_release(&r.resp);
	free(key);
	return ret;
}

static struct storage_w *s3_open_write(struct storage *st, const char *name, struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	struct s3_w *w = xcalloc(1, sizeof(*w));

	(void)e;
	w->name = xstrdup(name);
	w->key = object_key(s, name);
	w->cap = PART_MIN;
	sb_init(&w->done, 0);
	return &w->base;
}

/* Part n's size: 8 MiB for parts 1-1000, 16 MiB for 1001-2000, ... */
static size_t part_size(int n)
{
	size_t sz = PART_MIN;
	int step = (n - 1) / PARTS_PER_STEP;

	while (step-- > 0 && sz < PART_MAX)
		sz *= 2;
	return sz;
}

static int flush_part(struct s3 *s, struct s3_w *w, struct err *e)
{
	struct req r;
	char *q;
	struct strbuf id = STRBUF_INIT;
	int ret;

	if (!w->upload_id) {
		char upload[1024];

		s3_req_init(&r, "POST", w->key, "uploads=");
		r.write_headers = 1;
		ret = s3_request(s, &r, 0, EXIT_BACKUP, e);
		if (ret == 0 && s3_xml_get(r.resp.buf, NULL, "UploadId", upload, sizeof(upload)) < 0)
			ret = err_set(e, EXIT_BACKUP, "S3 POST s3://%s/%s?uploads: no UploadId in the answer", s->bucket,
				      w->key);
		sb_release(&r.resp);
		if (ret < 0)
			return -1;
		w->upload_id = xstrdup(upload);
	}
	w->parts++;
	s3_uri_encode(&id, w->upload_id, 0);
	q = xasprintf("partNumber=%d&uploadId=%s", w->parts, id.buf);
	s3_req_init(&r, "PUT", w->key, q);
	r.body = w->buf;
	r.len = w->len;
	ret = s3_request(s, &r, 0, EXIT_BACKUP, e);
	if (ret == 0 && !r.etag[0])
		ret = err_set(e, EXIT_BACKUP, "S3 PUT s3://%s/%s part %d: no ETag in the answer", s->bucket, w->key,
			      w->parts);
	if (ret == 0) {
		char *etag = xstrdup(r.etag);
		struct strbuf esc = STRBUF_INIT;
		char *p;

		for (p = etag; *p; p++) {
			if (*p == '&')
				sb_adds(&esc, "&amp;");
			else if (*p == '"')
				sb_adds(&esc, "&quot;");
			else if (*p == '<')
				sb_adds(&esc, "&lt;");
			else
				sb_addc(&esc, *p);
		}
		sb_addf(&w->done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", w->parts, esc.buf);
		sb_release(&esc);
		free(etag);
		w->len = 0;
		w->cap = part_size(w->parts + 1);
	}
	sb_release(&r.resp);
	sb_release(&id);
	free(q);
	return ret;
}

static int s3_write(struct storage_w *sw, const void *data, size_t n, struct err *e)
{
	struct s3_w *w = (struct s3_w *)sw;
	const unsigned char *p = data;

	if (w->failed)
		return err_set(e, EXIT_BACKUP, "S3 upload of \"%s\" already failed", w->key);
	while (n) {
		size_t room, k;

		if (!w->buf || w->len == 0) {
			/* (re)size the buffer for this part; at most one part in memory */
			if (!w->buf || w->cap != PART_MIN) {
				free(w->buf);
				w->buf = xmalloc(w->cap);
			}
		}
		room = w->cap - w->len;
		k = n < room ? n : room;
		memcpy(w->buf + w->len, p, k);
		w->len += k;
		p += k;
		n -= k;
		if (w->len == w->cap && flush_part((struct s3 *)sw->st, w, e) < 0) {
			w->failed = 1;
			return -1;
		}
	}
	return 0;
}

static void s3_w_free(struct s3_w *w)
{
	free(w->name);
	free(w->key);
	free(w->upload_id);
	free(w->buf);
	sb_release(&w->done);
	free(w);
}

static void abort_upload(struct s3 *s, const char *key, const char *upload_id)
{
	struct strbuf id = STRBUF_INIT;
	struct err e = ERR_INIT;
	struct req r;
	char *q;

	s3_uri_encode(&id, upload_id, 0);
	q = xasprintf("uploadId=%s", id.buf);
	s3_req_init(&r, "DELETE", key, q);
	r.unstoppable = 1;
	if (s3_request(s, &r, 1, EXIT_BACKUP, &e) < 0)
		log_warn("could not abort the multipart upload of \"s3://%s/%s\": %s", s->bucket, key, e.msg);
	sb_release(&r.resp);
	sb_release(&id);
	free(q);
}

static int s3_commit(struct storage_w *sw, struct err *e)
{
	struct s3 *s = (struct s3 *)sw->st;
	struct s3_w *w = (struct s3_w *)sw;
	struct req r;
	int ret;

	if (!w->upload_id) {
		s3_req_init(&r, "PUT", w->key, NULL);
		r.body = w->buf;
		r.len = w->len;
		r.write_headers = 1;
		ret = s3_request(s, &r, 0, EXIT_BACKUP, e);
		sb_release(&r.resp);
		s3_w_free(w);
		return ret;
	}
	ret = w->len ? flush_part(s, w, e) : 0;
	if (ret == 0) {
		struct strbuf body = STRBUF_INIT, id = STRBUF_INIT;
		char *q;

		sb_adds(&body, "<CompleteMultipartUpload>");
		sb_add(&body, w->done.buf, w->done.len);
		sb_adds(&body, "</CompleteMultipartUpload>");
		s3_uri_encode(&id, w->upload_id, 0);
		q = xasprintf("uploadId=%s", id.buf);
		s3_req_init(&r, "POST", w->key, q);
		r.body = body.buf;
		r.len = body.len;
		ret = s3_request(s, &r, 0, EXIT_BACKUP, e);
		/* A 200 can still carry an error in its body. */
		if (ret == 0 && strstr(r.resp.buf, "<Error>")) {
			char code[128] = "";

			s3_xml_get(r.resp.buf, NULL, "Code", code, sizeof(code));
			ret = err_set(e, EXIT_BACKUP, "S3 could not complete the upload of \"s3://%s/%s\": %s", s->bucket,
				      w->key, code);
		}
		sb_release(&r.resp);
		sb_release(&body);
		sb_release(&id);
		free(q);
	}
	if (ret < 0)
		abort_upload(s, w->key, w->upload_id);
	s3_w_free(w);
	return ret;
}

static void s3_abort(struct storage_w *sw)
{
	struct s3_w *w = (struct s3_w *)sw;

	if (w->upload_id)
		abort_upload((struct s3 *)sw->st, w->key, w->upload_id);
	s3_w_free(w);
}

static struct storage_r *s3_open_read(struct storage *st, const char *name, int64_t *size, struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	struct s3_r *r = xcalloc(1, sizeof(*r));
	struct req q;
	int ret;

	r->name = xstrdup(name);
	r->key = object_key(s, name);
	sb_init(&r->chunk, 0);
	s3_req_init(&q, "HEAD", r->key, NULL);
	ret = s3_request(s, &q, 1, EXIT_INTERNAL, e);
	if (ret == 0 && q.status == 404)
		ret = err_set(e, EXIT_DATAERR, "could not open \"s3://%s/%s\": no such object", s->bucket, r->key);
	else if (ret == 0 && q.length < 0)
		ret = err_set(e, EXIT_INTERNAL, "S3 HEAD s3://%s/%s: no Content-Length", s->bucket, r->key);
	sb_release(&q.resp);
	if (ret < 0) {
		sb_release(&r->chunk);
		free(r->name);
		free(r->key);
		free(r);
		return NULL;
	}
	r->size = q.length;
	*size = r->size;
	return &r->base;
}

static ssize_t s3_read(struct storage_r *sr, void *buf, size_t cap, struct err *e)
{
	struct s3 *s = (struct s3 *)sr->st;
	struct s3_r *r = (struct s3_r *)sr;
	size_t k;

	if (r->pos == r->chunk.len) {
		struct req q;
		char range[64];
		int64_t end;

		if (r->off >= r->size)
			return 0;
		end = r->off + READ_CHUNK - 1 < r->size - 1 ? r->off + READ_CHUNK - 1 : r->size - 1;
		snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long)r->off, (long long)end);
		s3_req_init(&q, "GET", r->key, NULL);
		q.range = range;
		if (s3_request(s, &q, 0, EXIT_INTERNAL, e) < 0) {
			sb_release(&q.resp);
			return -1;
		}
		if ((int64_t)q.resp.len != end - r->off + 1) {
			err_set(e, EXIT_DATAERR, "S3 GET s3://%s/%s: %zu bytes for range %s (the object changed?)",
				s->bucket, r->key, q.resp.len, range);
			sb_release(&q.resp);
			return -1;
		}
		sb_release(&r->chunk);
		r->chunk = q.resp;
		r->pos = 0;
		r->off = end + 1;
	}
	k = r->chunk.len - r->pos < cap ? r->chunk.len - r->pos : cap;
	memcpy(buf, r->chunk.buf + r->pos, k);
	r->pos += k;
	return (ssize_t)k;
}

static void s3_close_read(struct storage_r *sr)
{
	struct s3_r *r = (struct s3_r *)sr;

	sb_release(&r->chunk);
	free(r->name);
	free(r->key);
	free(r);
}

static void add_obj(struct storage_objs *out, int *alloc, const char *name, int64_t size, time_t mtime)
{
	if (out->n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		out->v = xrealloc(out->v, (size_t)*alloc * sizeof(*out->v));
	}
	out->v[out->n].name = xstrdup(name);
	out->v[out->n].size = size;
	out->v[out->n].mtime = mtime;
	out->n++;
}

/* The query of a listing: sorted by name, values encoded. */
static char *list_query(const struct s3 *s, const char *kind, const char *token)
{
	struct strbuf q = STRBUF_INIT, pfx = STRBUF_INIT;

	if (*s->prefix)
		sb_addf(&pfx, "%s/", s->prefix);
	else
		sb_adds(&pfx, "");
	if (!strcmp(kind, "objects")) {
		if (token) {
			sb_adds(&q, "continuation-token=");
			s3_uri_encode(&q, token, 0);
			sb_addc(&q, '&');
		}
		sb_adds(&q, "delimiter=%2F&list-type=2&prefix=");
		s3_uri_encode(&q, pfx.buf, 0);
	} else {
		if (token) {
			sb_adds(&q, "key-marker=");
			s3_uri_encode(&q, token, 0);
			sb_addc(&q, '&');
		}
		sb_adds(&q, "prefix=");
		s3_uri_encode(&q, pfx.buf, 0);
		sb_adds(&q, "&uploads=");
	}
	sb_release(&pfx);
	return sb_detach(&q, NULL);
}

static int s3_list(struct storage *st, struct storage_objs *out, struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	char *token = NULL;
	size_t plen = *s->prefix ? strlen(s->prefix) + 1 : 0;
	int alloc = 0, ret = 0;

	for (;;) {
		char *q = list_query(s, "objects", token), next[1024], trunc[16] = "";
		const char *p;
		struct req r;

		s3_req_init(&r, "GET", NULL, q);
		ret = s3_request(s, &r, 0, EXIT_INTERNAL, e);
		free(q);
		if (ret < 0) {
			sb_release(&r.resp);
			break;
		}
		p = r.resp.buf;
		for (;;) {
			char block[4096], key[1024], size[32], mod[64];
			const char *b;

			if (s3_xml_get(r.resp.buf, &p, "Contents", block, sizeof(block)) < 0)
				break;
			b = block;
			if (s3_xml_get(block, &b, "Key", key, sizeof(key)) < 0 ||
			    s3_xml_get(block, NULL, "Size", size, sizeof(size)) < 0)
				continue;
			if (s3_xml_get(block, NULL, "LastModified", mod, sizeof(mod)) < 0)
				mod[0] = '\0';
			if (strlen(key) <= plen || strchr(key + plen, '/'))
				continue;
			add_obj(out, &alloc, key + plen, strtoll(size, NULL, 10), 0);
		}
		free(token);
		token = NULL;
		s3_xml_get(r.resp.buf, NULL, "IsTruncated", trunc, sizeof(trunc));
		if (!strcmp(trunc, "true") &&
		    s3_xml_get(r.resp.buf, NULL, "NextContinuationToken", next, sizeof(next)) == 0)
			token = xstrdup(next);
		sb_release(&r.resp);
		if (!token)
			break;
	}
	free(token);
	if (ret < 0)
		storage_objs_release(out);
	return ret;
}

static int s3_remove(struct storage *st, const char *name, struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	char *key = object_key(s, name);
	struct req r;
	int ret;

	s3_req_init(&r, "DELETE", key, NULL);
	ret = s3_request(s, &r, 1, EXIT_INTERNAL, e);
	sb_release(&r.resp);
	free(key);
	return ret;
}

static int s3_cleanup(struct storage *st, int (*match)(void *ctx, const char *name), void *ctx,
		      struct err *e)
{
	struct s3 *s = (struct s3 *)st;
	size_t plen = *s->prefix ? strlen(s->prefix) + 1 : 0;
	char *q = list_query(s, "uploads", NULL);
	const char *p;
	struct req r;
	int ret;

	s3_req_init(&r, "GET", NULL, q);
	ret = s3_request(s, &r, 0, EXIT_BACKUP, e);
	free(q);
	p = ret == 0 ? r.resp.buf : NULL;
	while (p) {
		char block[4096], key[1024], id[1024];

		if (s3_xml_get(r.resp.buf, &p, "Upload", block, sizeof(block)) < 0)
			break;
		if (s3_xml_get(block, NULL, "Key", key, sizeof(key)) < 0 ||
		    s3_xml_get(block, NULL, "UploadId", id, sizeof(id)) < 0)
			continue;
		if (strlen(key) <= plen || strchr(key + plen, '/') || !match(ctx, key + plen))
			continue;
		log_info("aborting an unfinished upload of \"s3://%s/%s\" (a backup that was interrupted)",
			 s->bucket, key);
		abort_upload(s, key, id);
	}
	sb_release(&r.resp);
	return ret;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void s3_free(struct storage *st)
{
	struct s3 *s = (struct s3 *)st;

	if (s->h)
		curl_easy_cleanup(s->h);
	free(s->base.where);
	free(s->bucket);
	free(s->prefix);
	free(s->base_url);
	free(s->sigv4);
	free(s->akid);
	wipe_free(s->secret);
	wipe_free(s->token);
	free(s->sse);
	free(s->kms_key);
	free(s->storage_class);
	free(s->ca_file);
	free(s);
}

static const struct storage_ops s3_ops = {
	"s3", s3_prepare, s3_exists, s3_open_write, s3_write, s3_commit, s3_abort,
	s3_open_read, s3_read, s3_close_read, s3_list, s3_remove, s3_free, s3_cleanup,
};

static const char *env_first(const char *a, const char *b)
{
	const char *v = getenv(a);

	if (v && *v)
		return v;
	v = b ? getenv(b) : NULL;
	return v && *v ? v : NULL;
}

/*
 * SigV4 sorts the signed headers by name.  libcurl before 8.10.0 sorted the
 * whole "name:value" lines, so a name that is a prefix of another (only
 * x-amz-server-side-encryption and its -aws-kms-key-id among ours) came
 * second, and the server's signature differed (curl's fix: pull request
 * 14370).  Whether this libcurl has the fix, by its version at run time.
 */
static int sigv4_orders_prefixed_headers(void)
{
	return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080a00;
}

struct storage *storage_s3_open(const char *dest, const struct config *cfg, struct err *e)
{
	struct s3 *s = xcalloc(1, sizeof(*s));
	const char *p = dest + 5, *slash = strchr(p, '/'), *endpoint, *region;
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY"), *secret_file = getenv("AWS_SECRET_ACCESS_KEY_FILE");
	size_t n;

	s->base.ops = &s3_ops;
	s->bucket = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
	s->prefix = xstrdup(slash ? slash + 1 : "");
	n = strlen(s->prefix);
	while (n && s->prefix[n - 1] == '/')
		s->prefix[--n] = '\0';
	s->base.where = *s->prefix ? xasprintf("s3://%s/%s", s->bucket, s->prefix) : xasprintf("s3://%s", s->bucket);
	if (!*s->bucket || strchr(s->bucket, '?') || strchr(s->bucket, '#')) {
		err_set(e, EXIT_CONFIG, "invalid --backup-to \"%s\": expected s3://BUCKET/PREFIX", dest);
		goto fail;
	}
	s->akid = xstrdup(getenv("AWS_ACCESS_KEY_ID") ? getenv("AWS_ACCESS_KEY_ID") : "");
	if (secret && *secret && secret_file && *secret_file) {
		err_set(e, EXIT_CONFIG, "AWS_SECRET_ACCESS_KEY and AWS_SECRET_ACCESS_KEY_FILE are both set");
		goto fail;
	}
	if (secret_file && *secret_file) {
		s->secret = config_read_secret_file(secret_file, "AWS_SECRET_ACCESS_KEY_FILE", e);
		if (!s->secret)
			goto fail;
	} else if (secret && *secret) {
		s->secret = xstrdup(secret);
	}
	if (!*s->akid || !s->secret || !*s->secret) {
		err_set(e, EXIT_CONFIG, "--backup-to %s needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
			"(or AWS_SECRET_ACCESS_KEY_FILE)", s->base.where);
		goto fail;
	}
	log_add_secret(s->secret);
	if (env_first("AWS_SESSION_TOKEN", NULL)) {
		s->token = xstrdup(getenv("AWS_SESSION_TOKEN"));
		log_add_secret(s->token);
	}
	region = env_first("AWS_REGION", "AWS_DEFAULT_REGION");
	if (!region)
		region = "us-east-1";
	s->sigv4 = xasprintf("aws:amz:%s:s3", region);
	endpoint = env_first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
	{
		char *ep = endpoint ? xstrdup(endpoint) : xasprintf("https://s3.%s.amazonaws.com", region);
		char *host = strstr(ep, "://");

		n = strlen(ep);
		while (n && ep[n - 1] == '/')
			ep[--n] = '\0';
		if (!host || (strncmp(ep, "https://", 8) && strncmp(ep, "http://", 7))) {
			err_set(e, EXIT_CONFIG, "invalid S3 endpoint \"%s\": expected http(s)://HOST[:PORT]", ep);
			free(ep);
			goto fail;
		}
		if (cfg->s3_path_style)
			s->base_url = xasprintf("%s/%s/", ep, s->bucket);
		else
			s->base_url = xasprintf("%.*s%s.%s/", (int)(host + 3 - ep), ep, s->bucket, host + 3);
		free(ep);
	}
	if (cfg->s3_sse_kms_key_id && !sigv4_orders_prefixed_headers()) {
		/* x-amz-server-side-encryption-aws-kms-key-id would be signed
		 * before x-amz-server-side-encryption: every write refused */
		err_set(e, EXIT_CONFIG, "--s3-sse-kms-key-id cannot be used with libcurl %s: its SigV4 signing puts "
			"x-amz-server-side-encryption-aws-kms-key-id before x-amz-server-side-encryption, so S3 "
			"would refuse every upload with SignatureDoesNotMatch (fixed in libcurl 8.10.0)",
			curl_version_info(CURLVERSION_NOW)->version);
		err_hint(e, "set the KMS key as the bucket's default encryption and use --s3-sse aws:kms alone "
			 "(docs/backups.md \"Object storage\")");
		goto fail;
	}
	s->sse = cfg->s3_sse ? xstrdup(cfg->s3_sse) : NULL;
	s->kms_key = cfg->s3_sse_kms_key_id ? xstrdup(cfg->s3_sse_kms_key_id) : NULL;
	s->storage_class = cfg->s3_storage_class ? xstrdup(cfg->s3_storage_class) : NULL;
	s->ca_file = env_first("AWS_CA_BUNDLE", NULL) ? xstrdup(getenv("AWS_CA_BUNDLE")) : NULL;
	s3_curl_once();
	s->h = curl_easy_init();
	if (!s->h) {
		err_set(e, EXIT_INTERNAL, "curl_easy_init failed");
		goto fail;
	}
	return &s->base;
fail:
	s3_free(&s->base);
	return NULL;
}
