/* Unit tests of src/gzstream: round trips through a file, zlib interop
 * (gzip's own format), and the reader's errors: truncation, flipped bytes,
 * trailing garbage, not gzip at all. */
// cases: roundtrip interop_with_zlib truncated flipped trailing_garbage not_gzip
#include <fcntl.h>
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
	int fd = mkstemp(tmpl);
	struct err e = ERR_INIT;
	struct gzw *w = gzw_open(gz_method_find("gzip"), fd, 1, &e);
	size_t off;

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
	size_t n = 1000 * 1000;
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

UNIT_CASES(UNIT(roundtrip), UNIT(interop_with_zlib), UNIT(truncated), UNIT(flipped),
	   UNIT(trailing_garbage), UNIT(not_gzip))
