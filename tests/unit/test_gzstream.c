/* Unit tests of src/gzstream: round trips through a file, zlib interop
 * (gzip's own format), multi-member files (ours, zlib's, mixed), the
 * same bytes for any number of threads, an empty input, and the reader's
 * errors: truncation, flipped bytes, trailing garbage, not gzip at all,
 * lying member lengths. */
// cases: roundtrip interop_with_zlib truncated flipped trailing_garbage not_gzip multi_member_foreign mixed_members same_bytes_any_threads empty_input cut_at_member_boundary lying_lengths sink_failure_stops
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "gzstream.h"
#include "util/exitcode.h"
#include "util/sha256.h"

static char tmpl[] = "/tmp/predeploy-gz-XXXXXX";

/* A few MB of partly compressible data. */
static unsigned char *payload(size_t n)
{
	unsigned char *p = malloc(n);
	unsigned x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i / 4096) % 2 ? (unsigned char)(x >> 16) : (unsigned char)("abcdefgh\n"[i % 9]);
	}
	return p;
}

static int write_gz(const unsigned char *data, size_t n, size_t step)
{
	struct err e = ERR_INIT;
	struct gzw *w;
	size_t off;
	int fd;

	memcpy(tmpl + strlen(tmpl) - 6, "XXXXXX", 6);
	fd = mkstemp(tmpl);
	w = gzw_open(gz_method_find("gzip"), fd, 1, &e);

	CHECK(w != NULL);
	for (off = 0; off < n; off += step)
		CHECK(gzw_write(w, data + off, n - off < step ? n - off : step, &e) == 0);
	CHECK(gzw_finish(w, &e) == 0);
	CHECK_INT(gzw_counts(w)->raw, n);
	CHECK_INT(gzw_counts(w)->packed, lseek(fd, 0, SEEK_CUR));
	gzw_free(w);
	return fd;
}

/* Read it all back; returns the byte count or -1 with e. */
static long read_gz(int fd, unsigned char *out, size_t cap, struct err *e)
{
	struct gzr *r;
	size_t got = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	r = gzr_open(gz_method_find("gzip"), fd, e);
	while ((n = gzr_read(r, out + got, cap - got > 100000 ? 100000 : cap - got, e)) > 0)
		got += (size_t)n;
	gzr_free(r);
	return n < 0 ? -1 : (long)got;
}

static void roundtrip(void)
{
	size_t n = 3 * 1000 * 1000;
	unsigned char *in = payload(n), *out = malloc(n + 10);
	struct err e = ERR_INIT;
	int fd = write_gz(in, n, 77777);

	CHECK_INT(read_gz(fd, out, n + 10, &e), n);
	CHECK(memcmp(in, out, n) == 0);
	close(fd);
	unlink(tmpl);
	free(in);
	free(out);
}

static void interop_with_zlib(void)
{
	size_t n = 3 * 1000 * 1000;             /* three members */
	unsigned char *in = payload(n), *out = malloc(n);
	int fd = write_gz(in, n, n);
	gzFile g;
	int got;

	close(fd);
	g = gzopen(tmpl, "rb");
	got = gzread(g, out, (unsigned)n);
	CHECK_INT(got, n);
	CHECK(memcmp(in, out, n) == 0);
	gzclose(g);
	unlink(tmpl);
	free(in);
	free(out);
}

static void corrupt_case(void (*mutate)(int fd, off_t size), const char *needle)
{
	size_t n = 500 * 1000;
	unsigned char *in = payload(n), *out = malloc(n + 10);
	struct err e = ERR_INIT;
	int fd = write_gz(in, n, 4096);
	off_t size = lseek(fd, 0, SEEK_END);

	mutate(fd, size);
	CHECK(read_gz(fd, out, n + 10, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	if (!strstr(e.msg, needle))
		fprintf(stderr, "message: %s\n", e.msg);
	CHECK(strstr(e.msg, needle) != NULL);
	close(fd);
	unlink(tmpl);
	free(in);
	free(out);
}

static void cut(int fd, off_t size) { CHECK(ftruncate(fd, size - 100) == 0); }
static void flip(int fd, off_t size)
{
	unsigned char b;

	CHECK(pread(fd, &b, 1, size / 2) == 1);
	b ^= 0x55;
	CHECK(pwrite(fd, &b, 1, size / 2) == 1);
}
static void append(int fd, off_t size) { CHECK(pwrite(fd, "junk", 4, size) == 4); }
static void garble(int fd, off_t size) { (void)size; CHECK(pwrite(fd, "PK\3\4", 4, 0) == 4); }

static void truncated(void) { corrupt_case(cut, "truncated"); }
static void flipped(void) { corrupt_case(flip, "not a valid gzip stream"); }
static void trailing_garbage(void) { corrupt_case(append, "after the end"); }
static void not_gzip(void) { corrupt_case(garble, "not a valid gzip stream"); }

/* One gzip member made by zlib (as gzip(1) would: no extra field). */
static size_t zlib_member(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	z_stream zs;
	size_t got;

	memset(&zs, 0, sizeof(zs));
	CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	got = zs.total_out;
	deflateEnd(&zs);
	return got;
}

static int tmpfile_with(const unsigned char *p, size_t n)
{
	int fd;

	memcpy(tmpl + strlen(tmpl) - 6, "XXXXXX", 6);
	fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	CHECK(write(fd, p, n) == (ssize_t)n);
	return fd;
}

/* `cat a.gz b.gz c.gz` made by gzip: three members, none of ours. */
static void multi_member_foreign(void)
{
	size_t n = 2500 * 1000, cap = 2 * n, len = 0, parts[] = { 700 * 1000, 1, 1799999 }, off = 0;
	unsigned char *in = payload(n), *gz = malloc(cap), *out = malloc(n + 10);
	struct err e = ERR_INIT;
	int i, fd;

	for (i = 0; i < 3; i++) {
		len += zlib_member(in + off, parts[i], gz + len, cap - len);
		off += parts[i];
	}
	fd = tmpfile_with(gz, len);
	CHECK_INT(read_gz(fd, out, n + 10, &e), n);
	CHECK(memcmp(in, out, n) == 0);
	close(fd);
	unlink(tmpl);
	free(in);
	free(gz);
	free(out);
}

static unsigned char *slurp(int fd, size_t *n)
{
	unsigned char *b;

	*n = (size_t)lseek(fd, 0, SEEK_END);
	b = malloc(*n + 1);
	CHECK(pread(fd, b, *n, 0) == (ssize_t)*n);
	return b;
}

/* Ours, then zlib's, then ours again (files concatenated by hand). */
static void mixed_members(void)
{
	size_t n = 1500 * 1000, m = 300 * 1000, cap = 4 * n, len, l2;
	unsigned char *in = payload(n), *gz = malloc(cap), *ours, *out = malloc(2 * n + m + 10);
	struct err e = ERR_INIT;
	int fd = write_gz(in, n, 65536);

	ours = slurp(fd, &l2);
	close(fd);
	unlink(tmpl);
	memcpy(gz, ours, l2);
	len = l2;
	len += zlib_member(in, m, gz + len, cap - len);
	memcpy(gz + len, ours, l2);
	len += l2;
	fd = tmpfile_with(gz, len);
	CHECK_INT(read_gz(fd, out, 2 * n + m + 10, &e), 2 * n + m);
	CHECK(memcmp(out, in, n) == 0);
	CHECK(memcmp(out + n, in, m) == 0);
	CHECK(memcmp(out + n + m, in, n) == 0);
	close(fd);
	unlink(tmpl);
	free(in);
	free(gz);
	free(ours);
	free(out);
}

static void same_bytes_any_threads(void)
{
	size_t n = 5 * 1000 * 1000, l1, l3;
	unsigned char *in = payload(n), *a, *b;
	int fd;

	gz_set_threads(1);
	fd = write_gz(in, n, 100001);
	a = slurp(fd, &l1);
	close(fd);
	unlink(tmpl);
	gz_set_threads(3);
	fd = write_gz(in, n, 333);
	b = slurp(fd, &l3);
	close(fd);
	unlink(tmpl);
	gz_set_threads(0);
	CHECK_INT(l1, l3);
	CHECK(l1 == l3 && memcmp(a, b, l1) == 0);
	free(in);
	free(a);
	free(b);
}

/* No input is still a valid .gz (one empty member). */
static void empty_input(void)
{
	struct err e = ERR_INIT;
	unsigned char out[16];
	int fd = write_gz((const unsigned char *)"", 0, 1);
	gzFile g;

	CHECK(lseek(fd, 0, SEEK_END) > 0);
	CHECK_INT(read_gz(fd, out, sizeof(out), &e), 0);
	close(fd);
	g = gzopen(tmpl, "rb");
	CHECK_INT(gzread(g, out, sizeof(out)), 0);
	gzclose(g);
	unlink(tmpl);
}

/* The lengths in our header: the first member's end. */
static size_t first_member_len(const unsigned char *gz)
{
	return 24 + ((size_t)gz[16] | (size_t)gz[17] << 8 | (size_t)gz[18] << 16 | (size_t)gz[19] << 24) + 8;
}

/* Cut at a member boundary, the rest reads as a shorter valid stream (as
 * gunzip sees it too): what is missing is told by the dump's completion
 * line (backup and restore check it). */
static void cut_at_member_boundary(void)
{
	size_t n = 3 * 1000 * 1000, len, first;
	unsigned char *in = payload(n), *out = malloc(n), *gz;
	struct err e = ERR_INIT;
	int fd = write_gz(in, n, n);

	gz = slurp(fd, &len);
	first = first_member_len(gz);
	CHECK(first < len);
	CHECK(ftruncate(fd, (off_t)first) == 0);
	CHECK_INT(read_gz(fd, out, n, &e), 1 << 20);
	CHECK(memcmp(in, out, 1 << 20) == 0);
	/* one byte more than a member: a truncated second one */
	CHECK(pwrite(fd, gz + first, 1, (off_t)first) == 1);
	CHECK(read_gz(fd, out, n, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	close(fd);
	unlink(tmpl);
	free(in);
	free(out);
	free(gz);
}

/* A header whose lengths do not match its data is refused, never read
 * past its buffers. */
static void lying_lengths(void)
{
	size_t n = 2 * 1000 * 1000, len;
	unsigned char *in = payload(n), *out = malloc(n), *gz;
	int k;

	for (k = 0; k < 4; k++) {
		struct err e = ERR_INIT;
		int fd = write_gz(in, n, n);
		uint32_t v;

		gz = slurp(fd, &len);
		/* 0: deflate length one short; 1: one long; 2: inflated length one
		 * short; 3: inflated length one long (more than a block) */
		v = (uint32_t)gz[16 + (k / 2) * 4] | (uint32_t)gz[17 + (k / 2) * 4] << 8 |
		    (uint32_t)gz[18 + (k / 2) * 4] << 16 | (uint32_t)gz[19 + (k / 2) * 4] << 24;
		v = k % 2 ? v + 1 : v - 1;
		gz[16 + (k / 2) * 4] = (unsigned char)v;
		gz[17 + (k / 2) * 4] = (unsigned char)(v >> 8);
		gz[18 + (k / 2) * 4] = (unsigned char)(v >> 16);
		gz[19 + (k / 2) * 4] = (unsigned char)(v >> 24);
		CHECK(pwrite(fd, gz, 24, 0) == 24);
		if (k == 3) {
			/* more than a block: not ours, zlib reads it and ignores the field */
			CHECK_INT(read_gz(fd, out, n, &e), n);
		} else {
			CHECK(read_gz(fd, out, n, &e) < 0);
			CHECK_INT(e.code, EXIT_DATAERR);
		}
		close(fd);
		unlink(tmpl);
		free(gz);
	}
	free(in);
	free(out);
}

/* A sink that fails after a few members: the error comes back from a
 * write or the finish, and freeing the writer with blocks still in the
 * workers' hands stops them (ASan, TSan: no leak, no race). */
static int failing_sink(void *ctx, const void *p, size_t n, struct err *e)
{
	size_t *left = ctx;

	(void)p;
	if (n > *left)
		return err_set(e, EXIT_BACKUP, "disk full (test)");
	*left -= n;
	return 0;
}

static void sink_failure_stops(void)
{
	size_t n = 8 * 1000 * 1000, left = 1000 * 1000, off;
	unsigned char *in = payload(n);
	struct err e = ERR_INIT;
	struct gzw *w;
	int rc = 0;

	gz_set_threads(3);
	w = gzw_open_sink(gz_method_find("gzip"), failing_sink, &left, 1, &e);
	CHECK(w != NULL);
	for (off = 0; off < n && rc == 0; off += 65536)
		rc = gzw_write(w, in + off, n - off < 65536 ? n - off : 65536, &e);
	if (rc == 0)
		rc = gzw_finish(w, &e);
	CHECK_INT(rc, -1);
	CHECK_INT(e.code, EXIT_BACKUP);
	CHECK_STR(e.msg, "disk full (test)");
	gzw_free(w);
	gz_set_threads(0);
	free(in);
}

UNIT_CASES(UNIT(roundtrip), UNIT(interop_with_zlib), UNIT(truncated), UNIT(flipped),
	   UNIT(trailing_garbage), UNIT(not_gzip), UNIT(multi_member_foreign), UNIT(mixed_members),
	   UNIT(same_bytes_any_threads), UNIT(empty_input), UNIT(cut_at_member_boundary),
	   UNIT(lying_lengths), UNIT(sink_failure_stops))
