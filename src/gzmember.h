/*
 * gzmember: the gzip members predeploy writes (private to gzstream.c and
 * gzpar.c).
 *
 * A backup is a sequence of independent gzip members (RFC 1952 allows
 * any number; gunzip and zlib-based readers inflate them one after the
 * other into one stream), each holding at most GZM_BLOCK bytes of the
 * dump.  Each member's header carries an extra field (FEXTRA) with the
 * subfield "PD" (8 bytes, little endian): the length of the member's
 * deflate data and of its inflated bytes.  gunzip ignores it; predeploy's
 * reader uses it to inflate the member in one call, without zlib's
 * streaming state (gzstream.c), and a member without it (a file from
 * another tool or an older predeploy) is inflated by zlib as before.
 *
 *   24-byte header: 1f 8b 08 04 | mtime 0 | xfl | os 3 | xlen 12 |
 *                   'P' 'D' 8 0 | deflate length | inflated length
 *   deflate data, then CRC-32 and ISIZE (8 bytes)
 */
#ifndef PREDEPLOY_GZMEMBER_H
#define PREDEPLOY_GZMEMBER_H

#include <stddef.h>
#include <stdint.h>

#define GZM_BLOCK ((size_t)1 << 20)     /* inflated bytes per member, at most */
#define GZM_HEADER 24
#define GZM_TRAILER 8

static inline void gzm_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t gzm_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The header of a member of `clen` deflate bytes inflating to `rlen`. */
static inline void gzm_header(unsigned char h[GZM_HEADER], uint32_t clen, uint32_t rlen, int fastest)
{
	static const unsigned char fixed[16] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 12, 0, 'P', 'D', 8, 0 };
	int i;

	for (i = 0; i < 16; i++)
		h[i] = fixed[i];
	h[8] = fastest ? 4 : 0;                 /* XFL */
	gzm_put32(h + 16, clen);
	gzm_put32(h + 20, rlen);
}

/* 1 when h (at least GZM_HEADER bytes) is such a header with lengths the
 * reader's buffers hold (clen <= cap), 0 otherwise (any other gzip
 * member: zlib reads it). */
static inline int gzm_parse(const unsigned char *h, size_t cap, uint32_t *clen, uint32_t *rlen)
{
	if (h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 || h[10] != 12 || h[11] != 0 ||
	    h[12] != 'P' || h[13] != 'D' || h[14] != 8 || h[15] != 0)
		return 0;
	*clen = gzm_get32(h + 16);
	*rlen = gzm_get32(h + 20);
	return *rlen <= GZM_BLOCK && *clen > 0 && *clen <= cap;
}

#endif
