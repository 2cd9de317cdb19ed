/* Unit tests of src/termlog and src/util/utf8: the termination message. */
// cases: short_kept newlines_flattened cut_at_4096 cut_on_utf8_boundary writes_file missing_dir_logged default_path_skipped utf8_cut_cases utf8_sanitize_cases
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "termlog.h"
#include "util/fsutil.h"
#include "util/exitcode.h"
#include "util/utf8.h"

static void short_kept(void)
{
	struct strbuf b = STRBUF_INIT;

	termlog_format("predeploy: applied 2 migrations (0002, 0003) in 1.2s", &b);
	CHECK_STR(b.buf, "predeploy: applied 2 migrations (0002, 0003) in 1.2s");
	sb_release(&b);
}

static void newlines_flattened(void)
{
	struct strbuf b = STRBUF_INIT;

	termlog_format("failed:\r\nline two\nthree", &b);
	CHECK_STR(b.buf, "failed:  line two three");
	sb_release(&b);
}

static void cut_at_4096(void)
{
	struct strbuf in = STRBUF_INIT, b = STRBUF_INIT;
	size_t i;

	for (i = 0; i < 5000; i++)
		sb_addc(&in, (char)('a' + i % 26));
	termlog_format(in.buf, &b);
	CHECK_INT(b.len, 4096);
	CHECK(!memcmp(b.buf, in.buf, 4096));
	sb_reset(&b);
	sb_setlen(&in, 4096);
	termlog_format(in.buf, &b);
	CHECK_INT(b.len, 4096);
	sb_release(&in);
	sb_release(&b);
}

static void cut_on_utf8_boundary(void)
{
	struct strbuf in = STRBUF_INIT, b = STRBUF_INIT;
	size_t i;

	/* "x" then 3-byte characters: 1 + 3k bytes; 4096 = 1 + 3*1365 exactly */
	sb_addc(&in, 'x');
	for (i = 0; i < 2000; i++)
		sb_adds(&in, "\xe2\x82\xac");           /* € */
	termlog_format(in.buf, &b);
	CHECK_INT(b.len, 4096);
	sb_reset(&b);
	/* "xy" then 3-byte characters: 4096 falls inside one, so 4095 */
	sb_reset(&in);
	sb_adds(&in, "xy");
	for (i = 0; i < 2000; i++)
		sb_adds(&in, "\xe2\x82\xac");
	termlog_format(in.buf, &b);
	CHECK_INT(b.len, 4094);
	CHECK(!memcmp(b.buf + b.len - 3, "\xe2\x82\xac", 3));
	sb_reset(&b);
	/* 4-byte characters: 4096 = 4*1024, then one byte more shifts the cut */
	sb_reset(&in);
	sb_addc(&in, 'z');
	for (i = 0; i < 1100; i++)
		sb_adds(&in, "\xf0\x9f\x9a\x80");       /* U+1F680 */
	termlog_format(in.buf, &b);
	CHECK_INT(b.len, 4093);
	CHECK(!memcmp(b.buf + b.len - 4, "\xf0\x9f\x9a\x80", 4));
	sb_release(&in);
	sb_release(&b);
}

static void writes_file(void)
{
	char dir[] = "/tmp/predeploy-termlog-XXXXXX", path[256];
	struct strbuf in = STRBUF_INIT, got = STRBUF_INIT;
	struct err e = ERR_INIT;
	size_t i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/termination-log", dir);
	CHECK_INT(termlog_write(path, "first, longer message"), 1);
	CHECK_INT(termlog_write(path, "second"), 1);        /* truncates, not appends */
	CHECK(fs_read_file(path, 1 << 20, &got, EXIT_INTERNAL, &e) == 0);
	CHECK_STR(got.buf, "second");
	for (i = 0; i < 10000; i++)
		sb_addc(&in, 'q');
	CHECK_INT(termlog_write(path, in.buf), 1);
	sb_reset(&got);
	CHECK(fs_read_file(path, 1 << 20, &got, EXIT_INTERNAL, &e) == 0);
	CHECK_INT(got.len, 4096);
	unlink(path);
	rmdir(dir);
	sb_release(&in);
	sb_release(&got);
}

static void missing_dir_logged(void)
{
	/* not fatal: -1, a warning on stderr, nothing created */
	CHECK_INT(termlog_write("/nonexistent-dir/termination-log", "x"), -1);
	CHECK(access("/nonexistent-dir", F_OK) < 0);
}

static void default_path_skipped(void)
{
	/* outside Kubernetes (no /dev/termination-log) nothing is written */
	if (access(TERMLOG_DEFAULT_PATH, F_OK) == 0) {
		fprintf(stderr, "skip: %s exists on this machine\n", TERMLOG_DEFAULT_PATH);
		return;
	}
	CHECK_INT(termlog_write(NULL, "x"), 0);
	CHECK(access(TERMLOG_DEFAULT_PATH, F_OK) < 0);
}

static void utf8_cut_cases(void)
{
	const char *s = "a\xc3\xa9" "b";   /* a é b */

	CHECK_INT(utf8_cut(s, 4, 10), 4);
	CHECK_INT(utf8_cut(s, 4, 3), 3);
	CHECK_INT(utf8_cut(s, 4, 2), 1);
	CHECK_INT(utf8_cut(s, 4, 0), 0);
	/* invalid bytes count as one byte each and never block a cut */
	CHECK_INT(utf8_cut("\xff\xff\xff", 3, 2), 2);
	CHECK_INT(utf8_cut("\xe2\x82", 2, 1), 1);
}

static void utf8_sanitize_cases(void)
{
	struct strbuf b = STRBUF_INIT;

	CHECK_INT(utf8_sanitize("ok \xc3\xa9 \xf0\x9f\x9a\x80", 10, &b), 0);
	CHECK_STR(b.buf, "ok \xc3\xa9 \xf0\x9f\x9a\x80");
	sb_reset(&b);
	CHECK_INT(utf8_sanitize("\xff", 1, &b), 1);                 /* never valid */
	CHECK_STR(b.buf, "\xef\xbf\xbd");
	sb_reset(&b);
	CHECK_INT(utf8_sanitize("\xc0\xaf", 2, &b), 2);             /* overlong '/' */
	sb_reset(&b);
	CHECK_INT(utf8_sanitize("\xed\xa0\x80", 3, &b), 3);         /* surrogate */
	sb_reset(&b);
	CHECK_INT(utf8_sanitize("\xf4\x90\x80\x80", 4, &b), 4);     /* > U+10FFFF */
	sb_reset(&b);
	CHECK_INT(utf8_sanitize("a\xe2\x82", 3, &b), 2);            /* truncated */
	CHECK_STR(b.buf, "a\xef\xbf\xbd\xef\xbf\xbd");
	sb_release(&b);
}

UNIT_CASES(UNIT(short_kept), UNIT(newlines_flattened), UNIT(cut_at_4096), UNIT(cut_on_utf8_boundary),
	   UNIT(writes_file), UNIT(missing_dir_logged), UNIT(default_path_skipped),
	   UNIT(utf8_cut_cases), UNIT(utf8_sanitize_cases))
