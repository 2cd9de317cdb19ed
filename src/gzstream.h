/*
 * gzstream: streaming compression of backup files, one method table per
 * compression method (after pg_dump's compress_io.h).  Only gzip (RFC
 * 1952) is built in; "none" exists for tests and benchmarks.
 *
 *   struct gzw *w = gzw_open(gz_method_find("gzip"), fd, 1, &err);
 *   gzw_write(w, buf, n, &err); ...
 *   gzw_finish(w, &err);           // the last members; does not close fd
 *   gzw_free(w);                   // accepts NULL
 *
 *   struct gzr *r = gzr_open(gz_method_find("gzip"), fd, &err);
 *   while ((n = gzr_read(r, buf, sizeof(buf), &err)) > 0) ...
 *   // 0 = end of the input after a complete member (CRC and length
 *   // checked, nothing but members before it); -1 = corrupt, truncated
 *   // or trailing garbage (EXIT_DATAERR) or an I/O error (EXIT_INTERNAL)
 *   gzr_free(r);
 *
 * gzw_open_sink() / gzr_open_source() take a callback instead of a file
 * descriptor (backups written to or read from a storage object).
 *
 * The writer cuts the input into blocks of 1 MiB, each its own gzip
 * member, compressed by libdeflate on worker threads and checked by
 * inflating it again (gzpar.h, gzmember.h); the output is one valid .gz
 * for gunzip.  The reader takes any sequence of gzip members: one of
 * ours is inflated in one libdeflate call, any other (gzip, pigz, an
 * older predeploy's single member) by zlib, streaming.  A file cut at a
 * member boundary reads as a shorter valid stream, as with gunzip: the
 * dump's completion line is what tells (backup.c, restore.c).
 *
 * Memory is fixed: the writer's blocks (about 11 MiB with 2 threads); the
 * reader's 2.1 MiB of buffers and zlib's state.  Both hash the compressed
 * bytes (SHA-256) and count both sides, so a verify pass needs one read
 * of the file.
 */
#ifndef PREDEPLOY_GZSTREAM_H
#define PREDEPLOY_GZSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/sha256.h"

struct gzw;
struct gzr;

/* Where compressed bytes go / come from instead of a file descriptor (a
 * storage object).  A source returns 0 at the end, -1 with e filled. */
typedef int (*gz_sink_fn)(void *ctx, const void *p, size_t n, struct err *e);
typedef ssize_t (*gz_source_fn)(void *ctx, void *buf, size_t cap, struct err *e);

struct gz_method {
	const char *name;           /* "gzip", "none" */
	const char *suffix;         /* ".gz", "" */
	struct gzw *(*wopen)(int fd, int level, struct err *e);
	int (*write)(struct gzw *w, const void *data, size_t len, struct err *e);
	int (*finish)(struct gzw *w, struct err *e);
	struct gzr *(*ropen)(int fd, struct err *e);
	ssize_t (*read)(struct gzr *r, void *buf, size_t cap, struct err *e);
};

/* Common counters at the start of both handles. */
struct gz_counts {
	uint64_t raw;               /* uncompressed bytes */
	uint64_t packed;            /* compressed bytes written / read */
};

const struct gz_method *gz_method_find(const char *name);

struct gzw *gzw_open(const struct gz_method *m, int fd, int level, struct err *e);
struct gzw *gzw_open_sink(const struct gz_method *m, gz_sink_fn sink, void *ctx, int level, struct err *e);
int gzw_write(struct gzw *w, const void *data, size_t len, struct err *e);
int gzw_finish(struct gzw *w, struct err *e);
const struct gz_counts *gzw_counts(const struct gzw *w);
/* SHA-256 (hex) of every compressed byte written so far. */
void gzw_sha256(const struct gzw *w, char out[SHA256_HEX_LEN]);
void gzw_free(struct gzw *w);
/* Compression threads of the gzip writers opened after it (0, the
 * default: one per online CPU, at most 4); the bytes written are the same
 * for any number.  For tests and benchmarks. */
void gz_set_threads(int n);

struct gzr *gzr_open(const struct gz_method *m, int fd, struct err *e);
struct gzr *gzr_open_source(const struct gz_method *m, gz_source_fn source, void *ctx, struct err *e);
ssize_t gzr_read(struct gzr *r, void *buf, size_t cap, struct err *e);
const struct gz_counts *gzr_counts(const struct gzr *r);
/* SHA-256 (hex) of every compressed byte read so far; call after EOF. */
void gzr_sha256(const struct gzr *r, char out[SHA256_HEX_LEN]);
void gzr_free(struct gzr *r);

#endif
