/* sha256: see sha256.h. */
#include "util/sha256.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_X86 1
#endif

#include "util/banned.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block_portable(uint32_t s[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s[0]; b = s[1]; c = s[2]; d = s[3]; e = s[4]; f = s[5]; g = s[6]; h = s[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

#ifdef SHA256_X86
/* The x86 SHA extensions (SHA-NI): about 7 times the portable code's speed
 * on the backups' multi-MB files.  The state is kept as the two halves
 * ABEF and CDGH that sha256rnds2 works on; each 16-byte group of the
 * schedule is built from the four before it (msg1, alignr, msg2). */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t s[8], const unsigned char *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, abef, cdgh, m[4];
	int g;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s[0]), 0xB1);   /* CDAB */
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s[4]), 0x1B);  /* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);                                           /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0);                                        /* CDGH */
	while (nblocks--) {
		abef = s0;
		cdgh = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			t = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, t);
			if (g >= 3 && g <= 14)  /* group g+1 from msg1(g-3, g-2), g-1 and g */
				m[(g + 1) & 3] = _mm_sha256msg2_epu32(
					_mm_add_epi32(m[(g + 1) & 3], _mm_alignr_epi8(m[g & 3], m[(g - 1) & 3], 4)),
					m[g & 3]);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(t, 0x0E));
			if (g >= 1 && g <= 12)
				m[(g - 1) & 3] = _mm_sha256msg1_epu32(m[(g - 1) & 3], m[g & 3]);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
		p += 64;
	}
	t = _mm_shuffle_epi32(s0, 0x1B);            /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);           /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xF0);          /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);             /* HGFE */
	_mm_storeu_si128((__m128i *)&s[0], s0);
	_mm_storeu_si128((__m128i *)&s[4], s1);
}

static int cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}
#endif

/* -1: not decided yet; then 0 (portable) or 1 (SHA-NI).  Threads may
 * decide at once: they store the same answer (atomically). */
static int use_cpu = -1;

int sha256_use_cpu(int on)
{
	int v = 0;

#ifdef SHA256_X86
	v = on && cpu_has_sha();
#else
	(void)on;
#endif
	__atomic_store_n(&use_cpu, v, __ATOMIC_RELAXED);
	return v;
}

static void blocks(uint32_t s[8], const unsigned char *p, size_t nblocks)
{
	int cpu = __atomic_load_n(&use_cpu, __ATOMIC_RELAXED);

	if (cpu < 0)
		cpu = sha256_use_cpu(1);
#ifdef SHA256_X86
	if (cpu) {
		blocks_ni(s, p, nblocks);
		return;
	}
#endif
	for (; nblocks; nblocks--, p += 64)
		block_portable(s, p);
}

void sha256_init(struct sha256 *h)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(h->state, iv, sizeof(iv));
	h->bits = 0;
	h->fill = 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	h->bits += (uint64_t)len * 8;
	if (h->fill) {
		size_t n = 64 - h->fill < len ? 64 - h->fill : len;
		memcpy(h->block + h->fill, p, n);
		h->fill += n;
		p += n;
		len -= n;
		if (h->fill < 64)
			return;
		blocks(h->state, h->block, 1);
		h->fill = 0;
	}
	if (len >= 64) {
		blocks(h->state, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	if (len) {
		memcpy(h->block, p, len);
		h->fill = len;
	}
}

void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	uint64_t bits = h->bits;
	int i;

	h->block[h->fill++] = 0x80;
	if (h->fill > 56) {
		memset(h->block + h->fill, 0, 64 - h->fill);
		blocks(h->state, h->block, 1);
		h->fill = 0;
	}
	memset(h->block + h->fill, 0, 56 - h->fill);
	for (i = 0; i < 8; i++)
		h->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	blocks(h->state, h->block, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(h->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)h->state[i];
	}
}

void sha256_hex(const unsigned char d[SHA256_LEN], char out[SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void sha256_hex_of(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	struct sha256 h;
	unsigned char d[SHA256_LEN];

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final(&h, d);
	sha256_hex(d, out);
}

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		 unsigned char out[SHA256_LEN])
{
	unsigned char k[64], pad[64], inner[SHA256_LEN];
	struct sha256 h;
	int i;

	memset(k, 0, sizeof(k));
	if (keylen > 64) {
		sha256_init(&h);
		sha256_update(&h, key, keylen);
		sha256_final(&h, k);
	} else {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&h);
	sha256_update(&h, pad, 64);
	sha256_update(&h, msg, msglen);
	sha256_final(&h, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&h);
	sha256_update(&h, pad, 64);
	sha256_update(&h, inner, SHA256_LEN);
	sha256_final(&h, out);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = b64[in[i] >> 2];
		out[o++] = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = b64[in[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = b64[in[i] >> 2];
		if (i + 1 < len) {
			out[o++] = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = b64[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = b64[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

long base64_decode(const char *in, unsigned char *out)
{
	unsigned long acc = 0;
	int bits = 0;
	long o = 0;
	const char *p;

	for (p = in; *p && *p != '='; p++) {
		const char *q = strchr(b64, *p);
		if (!q || !*p)
			return -1;
		acc = (acc << 6) | (unsigned long)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	for (; *p == '='; p++)
		;
	if (*p)
		return -1;
	return o;
}
