/* gzstream: see gzstream.h. */
#include "gzstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define GZ_BUF (256 * 1024)

struct gzw {
	struct gz_counts c;
	const struct gz_method *m;
	int fd;
	gz_sink_fn sink;            /* writes go here when set, else to fd */
	void *ctx;
	int zinit;
	int finished;
	z_stream zs;
	unsigned char buf[GZ_BUF];
};

struct gzr {
	struct gz_counts c;
	const struct gz_method *m;
	int fd;
	gz_source_fn source;        /* reads come from here when set, else from fd */
	void *ctx;
	int zinit;
	int done;                   /* stream end seen and checked */
	int in_eof;
	z_stream zs;
	struct sha256 sha;
	unsigned char buf[GZ_BUF];
};

static int write_all(struct gzw *gw, const unsigned char *p, size_t n, struct err *e)
{
	if (gw->sink)
		return n ? gw->sink(gw->ctx, p, n, e) : 0;
	while (n) {
		ssize_t w = write(gw->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, errno == ENOSPC || errno == EDQUOT ? EXIT_BACKUP : EXIT_INTERNAL,
				       errno, "could not write the backup file");
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t src_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	ssize_t n;

	if (r->source)
		return r->source(r->ctx, buf, cap, e);
	n = read(r->fd, buf, cap);
	if (n < 0 && errno != EINTR)
		err_sys(e, EXIT_INTERNAL, errno, "could not read the backup file");
	return n;
}

/* Fill the input buffer; 0 at end of file. */
static ssize_t fill(struct gzr *r, struct err *e)
{
	for (;;) {
		ssize_t n = src_read(r, r->buf, sizeof(r->buf), e);

		if (n < 0 && !r->source && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			r->in_eof = 1;
		sha256_update(&r->sha, r->buf, (size_t)n);
		r->c.packed += (uint64_t)n;
		return n;
	}
}

/* ---- gzip (zlib) ---- */

static struct gzw *gzip_wopen(int fd, int level, struct err *e)
{
	struct gzw *w = xcalloc(1, sizeof(*w));

	w->fd = fd;
	/* 15 + 16: a gzip header and trailer (CRC-32, ISIZE), not a zlib one. */
	if (deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		err_set(e, EXIT_INTERNAL, "could not initialize zlib (level %d)", level);
		free(w);
		return NULL;
	}
	w->zinit = 1;
	return w;
}

static int gzip_pump(struct gzw *w, int flush, struct err *e)
{
	int rc;

	do {
		w->zs.next_out = w->buf;
		w->zs.avail_out = sizeof(w->buf);
		rc = deflate(&w->zs, flush);
		if (rc == Z_STREAM_ERROR)
			return err_set(e, EXIT_INTERNAL, "could not compress: zlib stream error");
		if (write_all(w, w->buf, sizeof(w->buf) - w->zs.avail_out, e) < 0)
			return -1;
		w->c.packed += sizeof(w->buf) - w->zs.avail_out;
	} while (w->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

static int gzip_write(struct gzw *w, const void *data, size_t len, struct err *e)
{
	const unsigned char *p = data;

	while (len) {
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;

		w->zs.next_in = (unsigned char *)p;
		w->zs.avail_in = chunk;
		if (gzip_pump(w, Z_NO_FLUSH, e) < 0)
			return -1;
		p += chunk;
		len -= chunk;
		w->c.raw += chunk;
	}
	return 0;
}

static int gzip_finish(struct gzw *w, struct err *e)
{
	w->zs.next_in = NULL;
	w->zs.avail_in = 0;
	return gzip_pump(w, Z_FINISH, e);
}

static struct gzr *gzip_ropen(int fd, struct err *e)
{
	struct gzr *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	sha256_init(&r->sha);
	if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
		err_set(e, EXIT_INTERNAL, "could not initialize zlib");
		free(r);
		return NULL;
	}
	r->zinit = 1;
	return r;
}

static ssize_t gzip_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	if (cap > (1u << 30))
		cap = 1u << 30;
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)cap;
	while (!r->done && r->zs.avail_out == cap) {
		int rc;

		if (r->zs.avail_in == 0) {
			ssize_t n = fill(r, e);

			if (n < 0)
				return -1;
			if (n == 0) {
				err_set(e, EXIT_DATAERR, "the backup file is truncated (the gzip stream ends early)");
				return -1;
			}
			r->zs.next_in = r->buf;
			r->zs.avail_in = (uInt)n;
		}
		rc = inflate(&r->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			/* One member only, and nothing after it. */
			if (r->zs.avail_in > 0 || fill(r, e) != 0) {
				if (e->code == EXIT_INTERNAL)
					return -1;
				err_set(e, EXIT_DATAERR, "the backup file has data after the end of its gzip stream");
				return -1;
			}
			r->done = 1;
		} else if (rc == Z_BUF_ERROR && r->zs.avail_in == 0) {
			continue;
		} else if (rc != Z_OK) {
			err_set(e, EXIT_DATAERR, "the backup file is not a valid gzip stream: %s",
				r->zs.msg ? r->zs.msg : rc == Z_MEM_ERROR ? "out of memory" : "corrupt data");
			if (rc == Z_MEM_ERROR)
				e->code = EXIT_INTERNAL;
			return -1;
		}
	}
	r->c.raw += cap - r->zs.avail_out;
	return (ssize_t)(cap - r->zs.avail_out);
}

/* ---- none (identity; tests and benchmarks) ---- */

static struct gzw *none_wopen(int fd, int level, struct err *e)
{
	struct gzw *w = xcalloc(1, sizeof(*w));

	(void)level;
	(void)e;
	w->fd = fd;
	return w;
}

static int none_write(struct gzw *w, const void *data, size_t len, struct err *e)
{
	if (write_all(w, data, len, e) < 0)
		return -1;
	w->c.raw += len;
	w->c.packed += len;
	return 0;
}

static int none_finish(struct gzw *w, struct err *e)
{
	(void)w;
	(void)e;
	return 0;
}

static struct gzr *none_ropen(int fd, struct err *e)
{
	struct gzr *r = xcalloc(1, sizeof(*r));

	(void)e;
	r->fd = fd;
	sha256_init(&r->sha);
	return r;
}

static ssize_t none_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	for (;;) {
		ssize_t n = src_read(r, buf, cap, e);

		if (n < 0 && !r->source && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		sha256_update(&r->sha, buf, (size_t)n);
		r->c.raw += (uint64_t)n;
		r->c.packed += (uint64_t)n;
		return n;
	}
}

static const struct gz_method methods[] = {
	{ "gzip", ".gz", gzip_wopen, gzip_write, gzip_finish, gzip_ropen, gzip_read },
	{ "none", "", none_wopen, none_write, none_finish, none_ropen, none_read },
};

const struct gz_method *gz_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			return &methods[i];
	return NULL;
}

struct gzw *gzw_open(const struct gz_method *m, int fd, int level, struct err *e)
{
	struct gzw *w = m->wopen(fd, level, e);

	if (w)
		w->m = m;
	return w;
}

struct gzw *gzw_open_sink(const struct gz_method *m, gz_sink_fn sink, void *ctx, int level, struct err *e)
{
	struct gzw *w = gzw_open(m, -1, level, e);

	if (w) {
		w->sink = sink;
		w->ctx = ctx;
	}
	return w;
}

int gzw_write(struct gzw *w, const void *data, size_t len, struct err *e)
{
	return w->m->write(w, data, len, e);
}

int gzw_finish(struct gzw *w, struct err *e)
{
	if (w->finished)
		return 0;
	if (w->m->finish(w, e) < 0)
		return -1;
	w->finished = 1;
	return 0;
}

const struct gz_counts *gzw_counts(const struct gzw *w)
{
	return &w->c;
}

void gzw_free(struct gzw *w)
{
	if (!w)
		return;
	if (w->zinit)
		deflateEnd(&w->zs);
	free(w);
}

struct gzr *gzr_open(const struct gz_method *m, int fd, struct err *e)
{
	struct gzr *r = m->ropen(fd, e);

	if (r)
		r->m = m;
	return r;
}

struct gzr *gzr_open_source(const struct gz_method *m, gz_source_fn source, void *ctx, struct err *e)
{
	struct gzr *r = gzr_open(m, -1, e);

	if (r) {
		r->source = source;
		r->ctx = ctx;
	}
	return r;
}

ssize_t gzr_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	return r->m->read(r, buf, cap, e);
}

const struct gz_counts *gzr_counts(const struct gzr *r)
{
	return &r->c;
}

void gzr_sha256(struct gzr *r, char out[SHA256_HEX_LEN])
{
	struct sha256 copy = r->sha;
	unsigned char d[SHA256_LEN];

	sha256_final(&copy, d);
	sha256_hex(d, out);
}

void gzr_free(struct gzr *r)
{
	if (!r)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	free(r);
}

/* ---- gzcheck: verify a gzip stream pushed through it ---- */

struct gzcheck {
	z_stream zs;
	struct sha256 sha;
	struct gz_counts c;
	gz_sink_fn on_raw;
	void *ctx;
	int done;
	int trailing;               /* bytes after the end of the stream */
	unsigned char out[GZ_BUF];
};

struct gzcheck *gzcheck_new(gz_sink_fn on_raw, void *ctx, struct err *e)
{
	struct gzcheck *g = xcalloc(1, sizeof(*g));

	if (inflateInit2(&g->zs, 15 + 16) != Z_OK) {
		err_set(e, EXIT_INTERNAL, "could not initialize zlib");
		free(g);
		return NULL;
	}
	sha256_init(&g->sha);
	g->on_raw = on_raw;
	g->ctx = ctx;
	return g;
}

int gzcheck_feed(struct gzcheck *g, const void *data, size_t len, struct err *e)
{
	sha256_update(&g->sha, data, len);
	g->c.packed += len;
	if (g->done) {
		g->trailing += len > 0;
		return 0;
	}
	g->zs.next_in = (unsigned char *)data;
	g->zs.avail_in = (uInt)len;
	while (g->zs.avail_in > 0 && !g->done) {
		int rc;
		size_t n;

		g->zs.next_out = g->out;
		g->zs.avail_out = sizeof(g->out);
		rc = inflate(&g->zs, Z_NO_FLUSH);
		n = sizeof(g->out) - g->zs.avail_out;
		g->c.raw += n;
		if (n && g->on_raw && g->on_raw(g->ctx, g->out, n, e) < 0)
			return -1;
		if (rc == Z_STREAM_END) {
			g->done = 1;
			if (g->zs.avail_in > 0)
				g->trailing = 1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return err_set(e, EXIT_DATAERR, "the backup is not a valid gzip stream: %s",
				       g->zs.msg ? g->zs.msg : "corrupt data");
		} else if (rc == Z_BUF_ERROR && g->zs.avail_out != 0) {
			break;
		}
	}
	return 0;
}

int gzcheck_finish(struct gzcheck *g, int64_t *raw, char sha256[SHA256_HEX_LEN], struct err *e)
{
	unsigned char d[SHA256_LEN];

	if (!g->done)
		return err_set(e, EXIT_DATAERR, "the backup is truncated (the gzip stream ends early)");
	if (g->trailing)
		return err_set(e, EXIT_DATAERR, "the backup has data after the end of its gzip stream");
	if (raw)
		*raw = (int64_t)g->c.raw;
	if (sha256) {
		struct sha256 copy = g->sha;

		sha256_final(&copy, d);
		sha256_hex(d, sha256);
	}
	return 0;
}

void gzcheck_free(struct gzcheck *g)
{
	if (!g)
		return;
	inflateEnd(&g->zs);
	free(g);
}
