/*
 * s3_http: the requests of the S3 storage driver (storage_s3.c): one
 * signed HTTP request with retries, URI encoding, and reading fields of
 * S3's XML answers.
 *
 *   struct req r;
 *   s3_req_init(&r, "PUT", key, "partNumber=1&uploadId=...");
 *   r.body = buf; r.len = n;
 *   if (s3_request(s, &r, 0, EXIT_BACKUP, &err) < 0) ...   // r.status, r.etag, r.resp
 *   sb_release(&r.resp);
 *
 * Every request is signed by libcurl (CURLOPT_AWS_SIGV4), with TLS
 * verified and x-amz-content-sha256 set to the body's SHA-256; network
 * errors, 5xx and 429 are retried with backoff (S3_ATTEMPTS); a stop
 * signal (proc_stop_signal) ends a transfer unless r.unstoppable.
 */
#ifndef PREDEPLOY_S3_HTTP_H
#define PREDEPLOY_S3_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"
#include "util/err.h"
#include "util/strbuf.h"

#define READ_CHUNK ((int64_t)8 << 20)
#define RESPONSE_CAP ((size_t)READ_CHUNK + ((size_t)1 << 20))
#define ATTEMPTS 5
#define BACKOFF_MS 250
#define BACKOFF_MAX_MS 4000

struct s3 {
	struct storage base;
	char *bucket, *prefix;           /* prefix without leading or trailing '/' */
	char *base_url;                  /* ".../" before the key */
	char *sigv4;                     /* "aws:amz:REGION:s3" */
	char *akid, *secret, *token;
	char *sse, *kms_key, *storage_class, *ca_file;
	CURL *h;
};

/* One request and its answer. */
struct req {
	const char *method;
	const char *key;                 /* NULL: the bucket */
	const char *query;               /* canonical: sorted, encoded; may be NULL */
	const void *body;
	size_t len;
	const char *range;               /* "bytes=a-b" or NULL */
	int write_headers;               /* SSE and storage class (object creation) */
	int unstoppable;                 /* the abort: runs even after a signal */
	/* answer */
	long status;
	struct strbuf resp;              /* body, capped at RESPONSE_CAP */
	char etag[256];
	int64_t length;                  /* Content-Length of the answer */
};

void s3_curl_once(void);
/* RFC 3986 encoding as SigV4 wants it; '/' kept when keep_slash. */
void s3_uri_encode(struct strbuf *sb, const char *s, int keep_slash);
/* The text of <tag>...</tag> at or after *pos (pos may be NULL: from the
 * start) into out, entities decoded; *pos moves past it.  0 when found. */
int s3_xml_get(const char *xml, const char **pos, const char *tag, char *out, size_t cap);
void s3_req_init(struct req *r, const char *method, const char *key, const char *query);
/* 0 when the answer's status is 2xx (or 404 with allow_404); else -1 with
 * e filled: err_code, or 128+N after a stop signal. */
int s3_request(struct s3 *s, struct req *r, int allow_404, int err_code, struct err *e);

#endif
