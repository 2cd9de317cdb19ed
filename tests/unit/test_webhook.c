/* Unit tests of src/webhook: signing, bodies, context, URL display, config. */
// cases: sign_spec_vector sign_raw_secret sign_bad_whsec body_json body_escaping body_redacts slack_shape discord_shape chat_truncated context_fields url_display new_id check_config no_urls
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "log.h"
#include "webhook.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/strbuf.h"

/* 2021-02-26T13:42:10Z */
#define T0 ((time_t)1614346930)

static void sign_spec_vector(void)
{
	/* The published example of the Standard Webhooks specification. */
	const char *body = "{\"test\": 2432232314}";
	struct strbuf sig = STRBUF_INIT;
	struct err e = ERR_INIT;

	CHECK(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
			   1614265330, body, strlen(body), &sig, &e) == 0);
	CHECK_STR(sig.buf, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	sb_reset(&sig);
	/* one byte of body changed: a different signature */
	CHECK(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
			   1614265330, "{\"test\": 2432232315}", strlen(body), &sig, &e) == 0);
	CHECK(strcmp(sig.buf, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
	sb_release(&sig);
}

static void sign_raw_secret(void)
{
	/* A raw secret is the key itself: HMAC("Jefe", "id.1.body"). */
	struct strbuf sig = STRBUF_INIT, expect = STRBUF_INIT;
	struct err e = ERR_INIT;
	unsigned char mac[SHA256_LEN];
	char b64[64];

	CHECK(webhook_sign("Jefe", "msg_1", 1, "body", 4, &sig, &e) == 0);
	hmac_sha256("Jefe", 4, "msg_1.1.body", 12, mac);
	base64_encode(mac, SHA256_LEN, b64);
	sb_addf(&expect, "v1,%s", b64);
	CHECK_STR(sig.buf, expect.buf);
	/* "whsec_" + base64("Jefe") is the same key */
	sb_reset(&sig);
	CHECK(webhook_sign("whsec_SmVmZQ==", "msg_1", 1, "body", 4, &sig, &e) == 0);
	CHECK_STR(sig.buf, expect.buf);
	sb_release(&sig);
	sb_release(&expect);
}

static void sign_bad_whsec(void)
{
	struct strbuf sig = STRBUF_INIT;
	struct err e = ERR_INIT;

	CHECK(webhook_sign("whsec_not*base64!", "msg_1", 1, "x", 1, &sig, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "whsec_") != NULL);
	CHECK_INT(sig.len, 0);
	sb_release(&sig);
}

static void body_json(void)
{
	struct strbuf b = STRBUF_INIT;
	struct webhook_msg m = { "deploy.succeeded", "{\"status\":\"succeeded\",\"exit_code\":0}",
				 "applied 2 migrations", NULL };

	webhook_build_body(WEBHOOK_JSON, &m, T0, &b);
	CHECK_STR(b.buf, "{\"type\":\"deploy.succeeded\",\"timestamp\":\"2021-02-26T13:42:10Z\","
		  "\"data\":{\"status\":\"succeeded\",\"exit_code\":0}}");
	sb_reset(&b);
	m.data_json = NULL;
	webhook_build_body(WEBHOOK_JSON, &m, T0, &b);
	CHECK_STR(b.buf, "{\"type\":\"deploy.succeeded\",\"timestamp\":\"2021-02-26T13:42:10Z\","
		  "\"data\":{}}");
	sb_release(&b);
}

static void body_escaping(void)
{
	struct strbuf b = STRBUF_INIT;
	/* quotes, backslash, control characters and invalid UTF-8 in the type */
	struct webhook_msg m = { "a\"b\\c\n\x01\xff", "{}", "s", NULL };

	webhook_build_body(WEBHOOK_JSON, &m, T0, &b);
	CHECK_STR(b.buf, "{\"type\":\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\","
		  "\"timestamp\":\"2021-02-26T13:42:10Z\",\"data\":{}}");
	sb_release(&b);
}

static void body_redacts(void)
{
	struct strbuf b = STRBUF_INIT;
	struct webhook_msg m = { "deploy.failed",
		"{\"error\":\"could not connect to postgres://app:hunter2@db/app\",\"x\":\"s3cr3t-pw\"}",
		"failed with s3cr3t-pw", "postgres://app:hunter2@db/app" };

	log_add_secret("s3cr3t-pw");
	webhook_build_body(WEBHOOK_JSON, &m, T0, &b);
	CHECK(!strstr(b.buf, "hunter2"));
	CHECK(!strstr(b.buf, "s3cr3t-pw"));
	CHECK(strstr(b.buf, "postgres://app:****@db/app") != NULL);
	sb_reset(&b);
	webhook_build_body(WEBHOOK_SLACK, &m, T0, &b);
	CHECK(!strstr(b.buf, "hunter2"));
	CHECK(!strstr(b.buf, "s3cr3t-pw"));
	sb_release(&b);
}

static void slack_shape(void)
{
	struct strbuf b = STRBUF_INIT, expect = STRBUF_INIT;
	struct webhook_msg m = { "deploy.failed", "{\"ignored\":1}",
				 "migration 3 <users> & \"more\" failed", "line 2\nline 3" };
	char host[256];

	unsetenv("SOURCE_COMMIT");
	unsetenv("RENDER_GIT_COMMIT");
	unsetenv("GIT_COMMIT");
	setenv("GITHUB_SHA", "0123456789abcdef0123", 1);
	gethostname(host, sizeof(host));
	webhook_build_body(WEBHOOK_SLACK, &m, T0, &b);
	sb_addf(&expect, "{\"text\":\"*predeploy deploy.failed*: migration 3 &lt;users&gt; &amp; "
		"\\\"more\\\" failed\\nline 2\\nline 3\\nhost %s | commit 0123456789ab | "
		"predeploy " PREDEPLOY_VERSION "\"}", host);
	CHECK_STR(b.buf, expect.buf);
	CHECK(!strstr(b.buf, "ignored"));
	sb_release(&b);
	sb_release(&expect);
}

static void discord_shape(void)
{
	struct strbuf b = STRBUF_INIT, expect = STRBUF_INIT;
	struct webhook_msg m = { "deploy.succeeded", NULL, "applied 0002 <x> @everyone", NULL };
	char host[256];

	unsetenv("SOURCE_COMMIT");
	unsetenv("RENDER_GIT_COMMIT");
	unsetenv("GIT_COMMIT");
	unsetenv("GITHUB_SHA");
	gethostname(host, sizeof(host));
	webhook_build_body(WEBHOOK_DISCORD, &m, T0, &b);
	sb_addf(&expect, "{\"content\":\"**predeploy deploy.succeeded**: applied 0002 <x> @everyone"
		"\\nhost %s | predeploy " PREDEPLOY_VERSION "\","
		"\"allowed_mentions\":{\"parse\":[]}}", host);
	CHECK_STR(b.buf, expect.buf);
	sb_release(&b);
	sb_release(&expect);
}

static void chat_truncated(void)
{
	struct strbuf b = STRBUF_INIT, big = STRBUF_INIT;
	struct webhook_msg m = { "deploy.failed", NULL, "x", NULL };
	const char *p, *end;
	size_t i;

	for (i = 0; i < 3000; i++)
		sb_adds(&big, "\xc3\xa9");      /* é, 2 bytes: 6000 bytes */
	m.details = big.buf;
	webhook_build_body(WEBHOOK_DISCORD, &m, T0, &b);
	p = strstr(b.buf, "\"content\":\"") + 11;
	end = strstr(p, "\",\"allowed_mentions\"");
	CHECK(end != NULL);
	CHECK((size_t)(end - p) <= 2000);
	CHECK((size_t)(end - p) >= 1990);
	CHECK((unsigned char)end[-1] == 0xa9);  /* not cut inside é */
	sb_reset(&b);
	webhook_build_body(WEBHOOK_SLACK, &m, T0, &b);
	p = strstr(b.buf, "\"text\":\"") + 8;
	end = b.buf + b.len - 2;
	CHECK(!strcmp(end, "\"}"));
	CHECK((size_t)(end - p) <= 3000);
	CHECK((unsigned char)end[-1] == 0xa9);
	sb_release(&b);
	sb_release(&big);
}

/* The facts come from context.c, computed once per process: set the
 * variables before anything reads them (each case runs in its own process). */
static void context_fields(void)
{
	struct strbuf d = STRBUF_INIT, expect = STRBUF_INIT;
	struct json_w j;
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	unsetenv("SOURCE_COMMIT");
	setenv("RENDER_GIT_COMMIT", "", 1);     /* empty counts as unset */
	setenv("GIT_COMMIT", "bbb", 1);
	setenv("GITHUB_SHA", "ccc", 1);
	setenv("COMMIT_SHA", "ddd", 1);
	jw_init(&j, &d, 0);
	jw_obj(&j, NULL);
	jw_str(&j, "status", "ok");
	webhook_add_context(&j);
	jw_end(&j);
	sb_addf(&expect, "{\"status\":\"ok\",\"host\":\"%s\",\"commit\":\"bbb\","
		"\"commit_source\":\"GIT_COMMIT\",\"predeploy_version\":\""
		PREDEPLOY_VERSION "\"}", host);
	CHECK_STR(d.buf, expect.buf);
	sb_release(&d);
	sb_release(&expect);
}

static void url_display(void)
{
	static const char *const cases[][2] = {
		{ "http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook" },
		{ "https://user:pa55@example.com/hook?token=abc#x", "https://example.com/hook" },
		{ "https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/services/..." },
		{ "https://discord.com/api/webhooks/123/tok", "https://discord.com/api/..." },
		{ "https://example.com", "https://example.com" },
		{ "https://example.com/", "https://example.com/" },
		{ "https://example.com/a/", "https://example.com/a/" },
		{ "https://u:p@a@example.com?x=1", "https://example.com" },
		{ "example.com/hook", "(invalid URL)" },
		{ "user:pw@x/://y", "(invalid URL)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf d = STRBUF_INIT;
		webhook_url_display(cases[i][0], &d);
		CHECK_STR(d.buf, cases[i][1]);
		sb_release(&d);
	}
}

static void new_id(void)
{
	char a[32], b[32];
	size_t i;

	webhook_new_id(a, sizeof(a));
	webhook_new_id(b, sizeof(b));
	CHECK_INT(strlen(a), 28);
	CHECK(!strncmp(a, "msg_", 4));
	for (i = 4; i < 28; i++)
		CHECK((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
		      (a[i] >= '0' && a[i] <= '9'));
	CHECK(strcmp(a, b) != 0);
}

static void check_config(void)
{
	struct config cfg;
	struct err e = ERR_INIT;

	config_defaults(&cfg);
	strlist_add(&cfg.webhooks, "https://example.com/hook");
	CHECK(webhook_check_config(&cfg, &e) == 0);
	strlist_add(&cfg.webhooks, "ftp://user:secretpw@example.com/x");
	CHECK(webhook_check_config(&cfg, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "ftp://example.com/x") != NULL);
	CHECK(!strstr(e.msg, "secretpw"));
	strlist_clear(&cfg.webhooks);
	strlist_add(&cfg.webhooks, "http:///nohost");
	CHECK(webhook_check_config(&cfg, &e) < 0);
	strlist_clear(&cfg.webhooks);
	strlist_add(&cfg.webhooks, "HTTP://example.com");
	cfg.webhook_secret = strdup("whsec_!!");
	CHECK(webhook_check_config(&cfg, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	free(cfg.webhook_secret);
	cfg.webhook_secret = strdup("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	CHECK(webhook_check_config(&cfg, &e) == 0);
	cfg.webhook_ca_file = strdup("/nonexistent/ca.pem");
	CHECK(webhook_check_config(&cfg, &e) < 0);
	CHECK(strstr(e.msg, "/nonexistent/ca.pem") != NULL);
	CHECK(strstr(e.msg, "No such file") != NULL);
	config_release(&cfg);
}

static void no_urls(void)
{
	/* Nothing configured: nothing sent, success, curl never initialised. */
	struct config cfg;
	struct err e = ERR_INIT;
	struct webhook_msg m = { "deploy.succeeded", NULL, "ok", NULL };

	config_defaults(&cfg);
	CHECK(webhook_deliver(&cfg, &m, &e) == 0);
	CHECK_INT(e.code, 0);
	config_release(&cfg);
}

UNIT_CASES(UNIT(sign_spec_vector), UNIT(sign_raw_secret), UNIT(sign_bad_whsec), UNIT(body_json),
	   UNIT(body_escaping), UNIT(body_redacts), UNIT(slack_shape), UNIT(discord_shape),
	   UNIT(chat_truncated), UNIT(context_fields), UNIT(url_display), UNIT(new_id),
	   UNIT(check_config), UNIT(no_urls))
