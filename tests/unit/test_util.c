/* Unit tests of src/util: durations, sha256/hmac, base64, strbuf, fs. */
// cases: duration_forms duration_rejects sha256_vectors sha256_pieces_match_one_shot hmac_vector base64_roundtrip strbuf_json text_array_literal fs_read_cap
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "unit.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

static void duration_forms(void)
{
	int64_t ms = -1;

	CHECK(duration_parse("500ms", &ms) == 0); CHECK_INT(ms, 500);
	CHECK(duration_parse("5s", &ms) == 0); CHECK_INT(ms, 5000);
	CHECK(duration_parse("10m", &ms) == 0); CHECK_INT(ms, 600000);
	CHECK(duration_parse("1h", &ms) == 0); CHECK_INT(ms, 3600000);
	CHECK(duration_parse("1m30s", &ms) == 0); CHECK_INT(ms, 90000);
	CHECK(duration_parse("7", &ms) == 0); CHECK_INT(ms, 7000);
	CHECK(duration_parse("0s", &ms) == 0); CHECK_INT(ms, 0);
}

static void duration_rejects(void)
{
	int64_t ms;

	CHECK(duration_parse("", &ms) < 0);
	CHECK(duration_parse("5x", &ms) < 0);
	CHECK(duration_parse("s", &ms) < 0);
	CHECK(duration_parse("-5s", &ms) < 0);
	CHECK(duration_parse("5 s", &ms) < 0);
	CHECK(duration_parse("99999999999999999999h", &ms) == -2);
	/* each part in range, the sum is not (was signed overflow) */
	CHECK(duration_parse("4611686018427387903ms4611686018427387903ms", &ms) == -2);
	CHECK(duration_parse("876000h876000h", &ms) == -2);
	CHECK(duration_parse("99999999999999999999999999999999999999", &ms) == -2);
	CHECK(duration_parse("99999999999999999999999999999999999999x", &ms) == -1);
	CHECK(duration_parse("876000h", &ms) == 0);
	CHECK_INT(ms, 876000LL * 3600000);
}

static void sha256_vectors(void)
{
	char hex[SHA256_HEX_LEN];
	struct sha256 h;
	unsigned char d[SHA256_LEN];
	int i;

	sha256_hex_of("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex_of("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_init(&h);
	for (i = 0; i < 1000000; i++)
		sha256_update(&h, "a", 1);
	sha256_final(&h, d);
	sha256_hex(d, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* peek: the digest so far, and the context goes on */
	sha256_init(&h);
	sha256_update(&h, "ab", 2);
	sha256_peek(&h, d);
	sha256_hex(d, hex);
	CHECK_STR(hex, "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
	sha256_update(&h, "c", 1);
	sha256_final(&h, d);
	sha256_hex(d, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_release(&h);                                   /* safe after final */
}

/* Streaming in uneven pieces gives the one-shot digest at every length
 * around the block size and on unaligned multi-block updates. */
static void sha256_pieces_match_one_shot(void)
{
	static unsigned char buf[70016];
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN];
	unsigned x = 7;
	size_t i, lens[] = { 0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 65537, 69999 };

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct sha256 h;
		unsigned char d[SHA256_LEN];
		size_t off, step;

		sha256_hex_of(buf + 3, lens[i], b);
		sha256_init(&h);
		for (off = 0; off < lens[i]; off += step) {
			step = 1 + off % 97 * 13;
			if (step > lens[i] - off)
				step = lens[i] - off;
			sha256_update(&h, buf + 3 + off, step);
		}
		sha256_final(&h, d);
		sha256_hex(d, a);
		CHECK_STR(a, b);
	}
}

static void hmac_vector(void)
{
	/* RFC 4231 test case 2 */
	unsigned char d[SHA256_LEN];
	char hex[SHA256_HEX_LEN];

	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	sha256_hex(d, hex);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void base64_roundtrip(void)
{
	char out[64];
	unsigned char back[64];

	base64_encode((const unsigned char *)"foobar", 6, out);
	CHECK_STR(out, "Zm9vYmFy");
	base64_encode((const unsigned char *)"fooba", 5, out);
	CHECK_STR(out, "Zm9vYmE=");
	base64_encode((const unsigned char *)"f", 1, out);
	CHECK_STR(out, "Zg==");
	CHECK_INT(base64_decode("Zm9vYmE=", back), 5);
	CHECK(!memcmp(back, "fooba", 5));
	CHECK(base64_decode("Zm9v!mE=", back) < 0);
	CHECK_INT(base64_decode("Zm9vYmE", back), 5);       /* padding left out */
	CHECK(!memcmp(back, "fooba", 5));
	CHECK_INT(base64_decode("Zg", back), 1);
	CHECK_INT(back[0], 'f');
	CHECK_INT(base64_decode("", back), 0);
	CHECK(base64_decode("Zm9vY", back) < 0);              /* a lone sixth of a byte */
	CHECK(base64_decode("Zg==x", back) < 0);              /* after the padding */
	CHECK(base64_decode("Zg===", back) < 0);
	CHECK(base64_decode("Zm9v YmE=", back) < 0);          /* no blanks inside */
}

/* db_text_array: what a text[] parameter is sent as */
static void text_array_literal(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *v[] = { "0001", "a \"quoted\" name", "back\\slash", NULL, "", "{,}" };

	db_text_array(&sb, v, 6);
	CHECK_STR(sb.buf, "{\"0001\",\"a \\\"quoted\\\" name\",\"back\\\\slash\",NULL,\"\",\"{,}\"}");
	sb_release(&sb);
	db_text_array(&sb, v, 0);
	CHECK_STR(sb.buf, "{}");
	sb_release(&sb);
}

static void strbuf_json(void)
{
	struct strbuf sb = STRBUF_INIT;

	sb_add_json_str(&sb, "a\"b\\c\n\x01");
	CHECK_STR(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\"");
	sb_release(&sb);
	sb_release(&sb);
	CHECK_INT(sb.len, 0);
}

static void fs_read_cap(void)
{
	char path[] = "/tmp/predeploy-unit-XXXXXX";
	int fd = mkstemp(path);
	struct strbuf sb = STRBUF_INIT;
	struct err e = ERR_INIT;

	CHECK(fd >= 0);
	CHECK(write(fd, "hello world", 11) == 11);
	close(fd);
	CHECK(fs_read_file(path, 100, &sb, EXIT_DATAERR, &e) == 0);
	CHECK_STR(sb.buf, "hello world");
	sb_reset(&sb);
	CHECK(fs_read_file(path, 5, &sb, EXIT_DATAERR, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK(strstr(e.msg, "too large") != NULL);
	unlink(path);
	CHECK(fs_read_file(path, 5, &sb, EXIT_DATAERR, &e) < 0);
	CHECK(strstr(e.msg, "No such file") != NULL);
	sb_release(&sb);
}

UNIT_CASES(UNIT(duration_forms), UNIT(duration_rejects), UNIT(sha256_vectors), UNIT(sha256_pieces_match_one_shot),
	   UNIT(hmac_vector),
	   UNIT(base64_roundtrip), UNIT(strbuf_json), UNIT(text_array_literal), UNIT(fs_read_cap))
