/*
 * fuzz_config: option values as flags and environment give them
 * (config_set, config_finish), durations, webhook URLs (validation and the
 * display form that hides credentials), the webhook body and signature,
 * and the log redaction of passwords.
 *
 * Input: records "<option>=<value>\0..." (an unknown option name: the
 * record's first byte picks one, the value is what follows it).  Each value
 * is set on its option; then the whole configuration is checked and a
 * webhook body is built from it.  Properties: errors carry a code and a
 * message; a parsed duration is not negative; a URL's display form never
 * contains its password; a registered secret never survives log_redact.
 */
#define _GNU_SOURCE 1   /* memmem */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "webhook.h"

#define SECRET "Zq8hunter2secret"

/* The password in "scheme://user:PASSWORD@host...", or NULL. */
static char *url_password(const char *url)
{
	const char *p = strstr(url, "://"), *colon, *at, *end;

	if (!p)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?#");
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return NULL;
	colon = memchr(p, ':', (size_t)(at - p));
	if (!colon || at - colon < 4)      /* short passwords match too much by chance */
		return NULL;
	return strndup(colon + 1, (size_t)(at - colon - 1));
}

static int alnum_only(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static void check_url(const char *url)
{
	struct strbuf d = STRBUF_INIT, rest = STRBUF_INIT;
	char *pw = url_password(url);

	webhook_url_display(url, &d);
	FUZZ_CHECK(strlen(d.buf) == d.len);
	if (pw && alnum_only(pw) && !strstr("(invalid URL)", pw)) {
		/* the URL without its userinfo: the display may show only that */
		const char *auth = strstr(url, "://") + 3;
		const char *auth_end = auth + strcspn(auth, "/?#"), *at = NULL;
		for (const char *q = auth; q < auth_end; q++)
			if (*q == '@')
				at = q;
		sb_add(&rest, url, (size_t)(auth - url));
		sb_adds(&rest, at + 1);
		if (!strstr(rest.buf, pw))
			FUZZ_CHECK(!strstr(d.buf, pw));
	}
	free(pw);
	sb_release(&d);
	sb_release(&rest);
}

static void check_redact(const char *s)
{
	struct strbuf out = STRBUF_INIT;

	log_redact(s, &out);
	FUZZ_CHECK(strlen(out.buf) == out.len);
	FUZZ_CHECK(!strstr(out.buf, SECRET));
	sb_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	struct config cfg;
	struct err e = ERR_INIT;
	const struct config_option *opts;
	int nopts;
	char *all = fuzz_cstr(data, size), *p = all, *end = all + size;

	if (!initialized) {
		log_init(LOG_TEXT, LOG_SILENT);
		log_add_secret(SECRET);
		initialized = 1;
	}
	opts = config_options(&nopts);
	config_defaults(&cfg);
	check_redact(all);
	while (p < end) {
		const struct config_option *o = NULL;
		char *rec = p, *value = strchr(rec, '='), *next = rec + strlen(rec) + 1;
		int64_t ms;

		if (value) {
			*value = '\0';
			o = config_option_find(rec);
			*value = '=';
		}
		if (o) {
			value++;
		} else {
			o = &opts[(unsigned char)*rec % nopts];
			value = rec + (*rec != '\0');
		}
		p = next;
		check_redact(value);
		check_url(value);
		if (duration_parse(value, &ms) == 0)
			FUZZ_CHECK(ms >= 0);
		err_clear(&e);
		if (config_set(&cfg, o->name, o->type == CT_BOOL && !*value ? NULL : value,
			       CONFIG_SRC_ENV, &e) < 0)
			FUZZ_CHECK(e.code != 0 && e.msg[0]);
	}
	err_clear(&e);
	if (config_finish(&cfg, &e) < 0 || webhook_check_config(&cfg, &e) < 0) {
		FUZZ_CHECK(e.code != 0 && e.msg[0]);
	} else {
		struct webhook_msg m = { "deploy.failed", NULL, all, cfg.dir };
		struct strbuf body = STRBUF_INIT, sig = STRBUF_INIT;

		webhook_build_body(cfg.webhook_format, &m, 1700000000, &body);
		FUZZ_CHECK(strlen(body.buf) == body.len);
		if (cfg.webhook_secret)
			FUZZ_CHECK(webhook_sign(cfg.webhook_secret, "msg_x", 1700000000, body.buf,
						body.len, &sig, &e) == 0);
		sb_release(&body);
		sb_release(&sig);
	}
	config_release(&cfg);
	free(all);
	return 0;
}
