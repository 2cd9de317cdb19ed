/* gzstream: see gzstream.h. */
#include "gzstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <libdeflate.h>

#include "gzmember.h"
#include "gzpar.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The reader's input buffer holds a whole member of ours (gzmember.h);
 * a member that does not fit goes through zlib.  Both buffers start small
 * and grow to what the file needs (IN_CAP and GZM_BLOCK at most): a small
 * file does not cost 2 MiB of memory to read. */
#define IN_CAP (GZM_BLOCK + GZM_BLOCK / 8)
#define IN_START ((size_t)64 * 1024)

static int gz_threads;              /* gz_set_threads; 0: one per CPU */

struct gzw {
	struct gz_counts c;
	const struct gz_method *m;
	int fd;
	gz_sink_fn sink;            /* writes go here when set, else to fd */
	void *ctx;
	int finished;
	struct gzpar *par;
	struct sha256 sha;          /* of every byte written */
};

enum rstate { R_MEMBER, R_ZLIB, R_DONE };

struct gzr {
	struct gz_counts c;
	const struct gz_method *m;
	int fd;
	gz_source_fn source;        /* reads come from here when set, else from fd */
	void *ctx;
	enum rstate state;          /* at a member's start, inside one zlib reads, at the end */
	int members;                /* members begun */
	int zinit;
	int in_eof;
	z_stream zs;
	struct libdeflate_decompressor *d;
	struct sha256 sha;
	unsigned char *in;          /* compressed bytes, in[in_pos..in_len) unread */
	size_t in_pos, in_len, in_cap;
	unsigned char *out;         /* a member inflated at once */
	size_t out_pos, out_len, out_cap;
};

void gz_set_threads(int n)
{
	gz_threads = n;
}

static int write_all(void *ctx, const void *data, size_t n, struct err *e)
{
	struct gzw *gw = ctx;
	const unsigned char *p = data;

	sha256_update(&gw->sha, p, n);
	gw->c.packed += n;
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
	for (;;) {
		ssize_t n;

		if (r->source)
			return r->source(r->ctx, buf, cap, e);
		n = read(r->fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err_sys(e, EXIT_INTERNAL, errno, "could not read the backup file");
		return n;
	}
}

/* Read more input after in[in_len] (moving the unread bytes to the start
 * when the room after them is short of `want`); 0 at end of file. */
static ssize_t fill(struct gzr *r, size_t want, struct err *e)
{
	ssize_t n;

	if (r->in_eof)
		return 0;
	if (r->in_cap - r->in_pos < want || r->in_len == r->in_cap) {
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	if ((r->in_cap < want || r->in_len == r->in_cap) && r->in_cap < IN_CAP) {
		size_t cap = r->in_cap * 2 > want ? r->in_cap * 2 : want;

		r->in_cap = cap < IN_CAP ? cap : IN_CAP;
		r->in = xrealloc(r->in, r->in_cap);
	}
	if (r->in_len == r->in_cap)     /* callers only fill with room to fill */
		return err_set(e, EXIT_INTERNAL, "the backup reader's buffer is full");
	n = src_read(r, r->in + r->in_len, r->in_cap - r->in_len, e);
	if (n < 0)
		return -1;
	if (n == 0)
		r->in_eof = 1;
	sha256_update(&r->sha, r->in + r->in_len, (size_t)n);
	r->c.packed += (uint64_t)n;
	r->in_len += (size_t)n;
	return n;
}

/* At least `want` (<= IN_CAP) unread bytes, or all there are left:
 * returns how many are unread, -1 on a read error. */
static ssize_t ensure(struct gzr *r, size_t want, struct err *e)
{
	while (r->in_len - r->in_pos < want) {
		ssize_t n = fill(r, want, e);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
	}
	return (ssize_t)(r->in_len - r->in_pos);
}

static ssize_t truncated(struct err *e)
{
	return err_set(e, EXIT_DATAERR, "the backup file is truncated (the gzip stream ends early)");
}

static ssize_t corrupt(struct err *e, const char *why)
{
	return err_set(e, EXIT_DATAERR, "the backup file is not a valid gzip stream: %s", why);
}

/* ---- gzip: members of ours (libdeflate, in one call), others (zlib) ---- */

static struct gzw *gzip_wopen(int fd, int level, struct err *e)
{
	struct gzw *w = xcalloc(1, sizeof(*w));

	w->fd = fd;
	w->par = gzpar_new(level, gz_threads, write_all, w, e);
	if (!w->par) {
		free(w);
		return NULL;
	}
	return w;
}

static int gzip_write(struct gzw *w, const void *data, size_t len, struct err *e)
{
	if (gzpar_write(w->par, data, len, e) < 0)
		return -1;
	w->c.raw += len;
	return 0;
}

static int gzip_finish(struct gzw *w, struct err *e)
{
	return gzpar_finish(w->par, e);
}

static struct gzr *gzip_ropen(int fd, struct err *e)
{
	struct gzr *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	sha256_init(&r->sha);
	r->d = libdeflate_alloc_decompressor();
	if (!r->d) {
		err_set(e, EXIT_INTERNAL, "could not initialize libdeflate");
		sha256_release(&r->sha);
		free(r);
		return NULL;
	}
	r->in_cap = IN_START;
	r->in = xmalloc(r->in_cap);
	return r;
}

/* One of our members, whole in the buffer: inflate it into r->out. */
static int member_at_once(struct gzr *r, uint32_t clen, uint32_t rlen, struct err *e)
{
	size_t total = GZM_HEADER + clen + GZM_TRAILER, ain = 0, aout = 0;
	const unsigned char *m;
	ssize_t have = ensure(r, total, e);

	if (have < 0)
		return -1;
	if ((size_t)have < total)
		return (int)truncated(e);
	m = r->in + r->in_pos;
	if (!r->out || r->out_cap < rlen) {
		r->out_cap = rlen > GZM_BLOCK / 2 ? GZM_BLOCK : rlen;
		free(r->out);
		r->out = xmalloc(r->out_cap ? r->out_cap : 1);
	}
	if (libdeflate_deflate_decompress_ex(r->d, m + GZM_HEADER, clen, r->out, rlen, &ain, &aout) !=
	    LIBDEFLATE_SUCCESS || ain != clen || aout != rlen)
		return (int)corrupt(e, "invalid compressed data");
	if ((uint32_t)libdeflate_crc32(0, r->out, rlen) != gzm_get32(m + GZM_HEADER + clen))
		return (int)corrupt(e, "incorrect data check");
	if (gzm_get32(m + GZM_HEADER + clen + 4) != rlen)
		return (int)corrupt(e, "incorrect length check");
	r->in_pos += total;
	r->out_pos = 0;
	r->out_len = rlen;
	return 0;
}

/* At a member boundary: the next member begins (1), the input ended
 * after a member (0), or -1. */
static int next_member(struct gzr *r, struct err *e)
{
	ssize_t have = ensure(r, GZM_HEADER, e);
	const unsigned char *h = r->in + r->in_pos;
	uint32_t clen, rlen;

	if (have < 0)
		return -1;
	if (have == 0) {
		if (r->members == 0)
			return (int)truncated(e);
		r->state = R_DONE;
		return 0;
	}
	/* after a member only another member may follow */
	if (r->members > 0 && (h[0] != 0x1f || (have > 1 && h[1] != 0x8b) || have < 2))
		return err_set(e, EXIT_DATAERR, "the backup file has data after the end of its gzip stream");
	r->members++;
	if ((size_t)have >= GZM_HEADER && gzm_parse(h, IN_CAP - GZM_HEADER - GZM_TRAILER, &clen, &rlen))
		return member_at_once(r, clen, rlen, e) < 0 ? -1 : 1;
	if (!r->zinit) {
		if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
			return err_set(e, EXIT_INTERNAL, "could not initialize zlib");
		r->zinit = 1;
	} else if (inflateReset(&r->zs) != Z_OK) {
		return err_set(e, EXIT_INTERNAL, "could not reset zlib");
	}
	r->state = R_ZLIB;
	return 1;
}

/* Inflate the current member with zlib into buf; 0 when it ended
 * without more output (the state is then R_MEMBER). */
static ssize_t zlib_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	r->zs.next_out = buf;
	r->zs.avail_out = (uInt)cap;
	while (r->zs.avail_out == cap) {
		int rc;

		if (r->in_pos == r->in_len) {
			ssize_t n = fill(r, 1, e);

			if (n < 0)
				return -1;
			if (n == 0)
				return truncated(e);
		}
		r->zs.next_in = r->in + r->in_pos;
		r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
		rc = inflate(&r->zs, Z_NO_FLUSH);
		r->in_pos = r->in_len - r->zs.avail_in;
		if (rc == Z_STREAM_END) {
			r->state = R_MEMBER;
			break;
		}
		if (rc == Z_BUF_ERROR && r->zs.avail_in == 0)
			continue;
		if (rc != Z_OK) {
			if (rc == Z_MEM_ERROR)
				return err_set(e, EXIT_INTERNAL, "could not inflate the backup file: out of memory");
			return corrupt(e, r->zs.msg ? r->zs.msg : "corrupt data");
		}
	}
	return (ssize_t)(cap - r->zs.avail_out);
}

static ssize_t gzip_read(struct gzr *r, void *buf, size_t cap, struct err *e)
{
	if (cap > (1u << 30))
		cap = 1u << 30;
	for (;;) {
		ssize_t n;

		if (r->out_pos < r->out_len) {
			n = (ssize_t)(r->out_len - r->out_pos < cap ? r->out_len - r->out_pos : cap);
			memcpy(buf, r->out + r->out_pos, (size_t)n);
			r->out_pos += (size_t)n;
			r->c.raw += (uint64_t)n;
			return n;
		}
		if (r->state == R_DONE)
			return 0;
		if (r->state == R_ZLIB) {
			n = zlib_read(r, buf, cap, e);
			if (n != 0) {
				if (n > 0)
					r->c.raw += (uint64_t)n;
				return n;
			}
			continue;
		}
		if (next_member(r, e) < 0)
			return -1;
	}
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
	ssize_t n = src_read(r, buf, cap, e);

	if (n < 0)
		return -1;
	sha256_update(&r->sha, buf, (size_t)n);
	r->c.raw += (uint64_t)n;
	r->c.packed += (uint64_t)n;
	return n;
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

	if (w) {
		w->m = m;
		sha256_init(&w->sha);
	}
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

void gzw_sha256(const struct gzw *w, char out[SHA256_HEX_LEN])
{
	unsigned char d[SHA256_LEN];

	sha256_peek(&w->sha, d);
	sha256_hex(d, out);
}

void gzw_free(struct gzw *w)
{
	if (!w)
		return;
	gzpar_free(w->par);
	sha256_release(&w->sha);
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

void gzr_sha256(const struct gzr *r, char out[SHA256_HEX_LEN])
{
	unsigned char d[SHA256_LEN];

	sha256_peek(&r->sha, d);
	sha256_hex(d, out);
}

void gzr_free(struct gzr *r)
{
	if (!r)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	if (r->d)
		libdeflate_free_decompressor(r->d);
	sha256_release(&r->sha);
	free(r->in);
	free(r->out);
	free(r);
}
