/*
 * fuzz_gzip: the gzip reader that verifies and restores backups
 * (gzstream.c), and the writer it must agree with.
 *
 * Input: one mode byte, then the bytes.  Mode even: the bytes are a gzip
 * file; reading ends with 0 (a complete stream, counts and SHA-256 of what
 * was read match the file) or -1 with EXIT_DATAERR, whatever the bytes.
 * Mode odd: the bytes are compressed by gzw and read back by gzr, in
 * read sizes from the mode byte; the output equals the input.  Files live
 * in memory (memfd), since the stream API takes a file descriptor.
 */
#define _GNU_SOURCE 1   /* memfd_create */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "gzstream.h"
#include "util/exitcode.h"
#include "util/sha256.h"

static int mem_file(const void *data, size_t size)
{
	int fd = memfd_create("fuzz_gzip", MFD_CLOEXEC);

	FUZZ_CHECK(fd >= 0);
	if (size)
		FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* Read the whole stream; 0 or -1 as gzr_read's end, output appended to out. */
static int read_all(int fd, size_t piece, unsigned char *out, size_t out_cap, size_t *out_len,
		    struct gzr **rp, struct err *e)
{
	static unsigned char buf[65536];
	const struct gz_method *m = gz_method_find("gzip");
	struct gzr *r = gzr_open(m, fd, e);
	ssize_t n;

	*rp = r;
	*out_len = 0;
	if (!r)
		return -1;
	if (piece > sizeof(buf))
		piece = sizeof(buf);
	while ((n = gzr_read(r, buf, piece, e)) > 0) {
		FUZZ_CHECK((size_t)n <= piece);
		if (out && *out_len + (size_t)n <= out_cap)
			memcpy(out + *out_len, buf, (size_t)n);
		*out_len += (size_t)n;
	}
	return n < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct gzr *r = NULL;
	size_t out_len, piece;
	int fd, rc;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	piece = 1 + (size_t)(mode >> 1) * 97;
	if (!(mode & 1)) {
		fd = mem_file(data, size);
		rc = read_all(fd, piece, NULL, 0, &out_len, &r, &e);
		if (rc == 0) {
			char got[SHA256_HEX_LEN], want[SHA256_HEX_LEN];
			FUZZ_CHECK(gzr_counts(r)->packed == size);
			FUZZ_CHECK(gzr_counts(r)->raw == out_len);
			gzr_sha256(r, got);
			sha256_hex_of(data, size, want);
			FUZZ_CHECK(!strcmp(got, want));
		} else {
			FUZZ_CHECK(e.code == EXIT_DATAERR && e.msg[0]);
		}
	} else {
		const struct gz_method *m = gz_method_find("gzip");
		struct gzw *w;
		unsigned char *back = malloc(size + 1);

		FUZZ_CHECK(back);
		fd = mem_file(NULL, 0);
		w = gzw_open(m, fd, 1 + mode % 9, &e);
		FUZZ_CHECK(w);
		/* written in two pieces, so the writer's buffering is crossed */
		FUZZ_CHECK(gzw_write(w, data, size / 2, &e) == 0);
		FUZZ_CHECK(gzw_write(w, data + size / 2, size - size / 2, &e) == 0);
		FUZZ_CHECK(gzw_finish(w, &e) == 0);
		FUZZ_CHECK(gzw_counts(w)->raw == size);
		gzw_free(w);
		FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
		rc = read_all(fd, piece, back, size, &out_len, &r, &e);
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(out_len == size && !memcmp(back, data, size));
		free(back);
	}
	gzr_free(r);
	close(fd);
	return 0;
}
