/* log: see log.h. */
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "util/json.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define MAX_SECRETS 96

static enum log_format fmt = LOG_TEXT;
static enum log_level min = LOG_INFO;
static int color = -1;
static char *secrets[MAX_SECRETS];
static int nsecrets;

static const char *level_name[] = { "debug", "info", "warn", "error" };
static const char *level_color[] = { "\033[2m", "", "\033[33m", "\033[31m" };

void log_init(enum log_format format, enum log_level min_level)
{
	const char *nc = getenv("NO_COLOR");

	fmt = format;
	min = min_level;
	color = isatty(2) && !(nc && *nc) && format == LOG_TEXT;
}

void log_set_level(enum log_level min_level) { min = min_level; }
enum log_level log_get_level(void) { return min; }
enum log_format log_get_format(void) { return fmt; }

void log_add_secret(const char *secret)
{
	int i;

	if (!secret || !*secret || nsecrets == MAX_SECRETS)
		return;
	for (i = 0; i < nsecrets; i++)
		if (!strcmp(secrets[i], secret))
			return;
	secrets[nsecrets++] = xstrdup(secret);
}

/* Length of the password in a URI's userinfo starting at p (just after
 * "://"), or 0 when there is none.  Sets *start to the password. */
static size_t uri_password(const char *p, const char **start)
{
	const char *at, *colon, *end = p + strcspn(p, "/?# \t\n\"'");

	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return 0;
	colon = memchr(p, ':', (size_t)(at - p));
	if (!colon)
		return 0;
	*start = colon + 1;
	return (size_t)(at - colon - 1);
}

void log_redact(const char *in, struct strbuf *out)
{
	const char *p = in, *mask = NULL, *mask_end = NULL;
	char stops[MAX_SECRETS + 3];
	int ns = 0;

	/* the bytes where something can start: a secret's first byte, the ':'
	 * of "://", the 'p' of "password"; the runs between them are copied
	 * as they are */
	stops[ns++] = ':';
	stops[ns++] = 'p';
	for (int i = 0; i < nsecrets; i++)
		if (!memchr(stops, secrets[i][0], (size_t)ns))
			stops[ns++] = secrets[i][0];
	stops[ns] = '\0';
	while (*p) {
		int i, hit = 0;
		size_t run = strcspn(p, stops);

		if (mask && run > (size_t)(mask > p ? mask - p : 0))
			run = (size_t)(mask > p ? mask - p : 0);
		if (run) {
			sb_add(out, p, run);
			p += run;
			continue;
		}

		/* a URI password found ahead: the text before it still goes
		 * through the secret check below, the password itself never out */
		if (mask && p >= mask) {
			if (p < mask_end)
				p = mask_end;
			sb_adds(out, "****");
			mask = mask_end = NULL;
			continue;
		}

		for (i = 0; i < nsecrets; i++) {
			size_t n;
			if (*p != secrets[i][0])        /* cheap: this runs for every byte */
				continue;
			n = strlen(secrets[i]);
			if (!strncmp(p, secrets[i], n)) {
				sb_adds(out, "****");
				p += n;
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		if (*p == ':' && !strncmp(p, "://", 3)) {
			const char *pw;
			size_t n = uri_password(p + 3, &pw);
			if (n && !mask) {
				mask = pw;
				mask_end = pw + n;
				sb_add(out, p, 3);
				p += 3;
				continue;
			}
		}
		if (*p == 'p' && !strncmp(p, "password", 8) && (p == in || p[-1] == ' ' || p[-1] == '\t')) {
			const char *q = p + 8;
			while (*q == ' ')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ')
					q++;
				sb_add(out, p, (size_t)(q - p));
				sb_adds(out, "****");
				if (*q == '\'') {
					q++;
					while (*q && *q != '\'') {
						if (*q == '\\' && q[1])
							q++;
						q++;
					}
					if (*q)
						q++;
				} else {
					while (*q && *q != ' ' && *q != '\t' && *q != '\n')
						q++;
				}
				p = q;
				continue;
			}
		}
		sb_addc(out, *p++);
	}
}

/* Text logs: control characters (from file names, server messages) are
 * written as \xNN, so nothing in a message can move the cursor, recolour
 * the terminal or start a line that looks like a log entry of its own: the
 * continuation lines of a multi-line message are indented.  `multiline` 0
 * writes a newline as \n too. */
static void add_escaped(struct strbuf *out, const char *s, int multiline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n' && multiline)
			sb_adds(out, "\n    ");
		else if (c == '\n')
			sb_adds(out, "\\n");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			sb_addf(out, "\\x%02x", c);
		else
			sb_addc(out, (char)c);
	}
}

/* Redacted, then escaped (text format). */
static void add_text(struct strbuf *out, struct strbuf *tmp, const char *s, int multiline)
{
	sb_reset(tmp);
	log_redact(s, tmp);
	add_escaped(out, tmp->buf ? tmp->buf : "", multiline);
}

static void redact_field(char *field, size_t cap)
{
	struct strbuf sb = STRBUF_INIT;

	if (!*field)
		return;
	log_redact(field, &sb);
	xstrlcpy(field, sb.buf, cap);
	sb_release(&sb);
}

void log_redact_err(struct err *e)
{
	redact_field(e->msg, sizeof(e->msg));
	redact_field(e->detail, sizeof(e->detail));
	redact_field(e->hint, sizeof(e->hint));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void add_secret_n(const char *p, size_t n)
{
	char *s = xstrndup(p, n);

	log_add_secret(s);
	free(s);
}

/* The password of a URI's userinfo, as written and percent-decoded (as far
 * as it decodes).  libpq ends the userinfo at the first '@' or '/'; a user
 * may have meant the last '@': both readings are registered. */
static void uri_secrets(const char *uri)
{
	const char *auth = strstr(uri, "://"), *end, *at, *colon;
	int pass;

	if (!auth)
		return;
	auth += 3;
	end = auth + strcspn(auth, "?#");
	for (pass = 0; pass < 2; pass++) {
		at = NULL;
		if (pass == 0) {
			const char *q = auth + strcspn(auth, "@/");
			at = *q == '@' ? q : NULL;
		} else {
			for (const char *q = auth; q < end; q++)
				if (*q == '@')
					at = q;
		}
		if (!at)
			continue;
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (!colon || at == colon + 1)
			continue;
		add_secret_n(colon + 1, (size_t)(at - colon - 1));
		{
			struct strbuf dec = STRBUF_INIT;

			for (const char *q = colon + 1; q < at; q++) {
				if (*q == '%' && q + 2 < at && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
					sb_addc(&dec, (char)(hexval(q[1]) * 16 + hexval(q[2])));
					q += 2;
				} else {
					sb_addc(&dec, *q);
				}
			}
			log_add_secret(dec.buf);
			sb_release(&dec);
		}
	}
}

static void keyword_secrets(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "password")) != NULL) {
		const char *q = p + 8;

		if (p != s && !isspace((unsigned char)p[-1])) {
			p = q;
			continue;
		}
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '=') {
			p = q;
			continue;
		}
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q == '\'') {
			struct strbuf v = STRBUF_INIT;

			for (q++; *q && *q != '\''; q++) {
				if (*q == '\\' && q[1])
					q++;
				sb_addc(&v, *q);
			}
			log_add_secret(v.buf);
			sb_release(&v);
		} else {
			/* the value, then every following word without '=' */
			for (;;) {
				size_t n = strcspn(q, " \t\r\n");

				if (n)
					add_secret_n(q, n);
				q += n;
				while (isspace((unsigned char)*q))
					q++;
				if (!*q || memchr(q, '=', strcspn(q, " \t\r\n")))
					break;
			}
		}
		p = q;
	}
}

void log_add_conninfo_secrets(const char *conninfo)
{
	if (!conninfo)
		return;
	if (!strncmp(conninfo, "postgresql://", 13) || !strncmp(conninfo, "postgres://", 11))
		uri_secrets(conninfo);
	else
		keyword_secrets(conninfo);
}

/* Member `key` with the redacted text of val; omitted when val is empty
 * (except the message, always present). */
static void json_redacted(struct json_w *j, const char *key, const char *val, struct strbuf *tmp)
{
	if (!val[0] && strcmp(key, "msg"))
		return;
	sb_reset(tmp);
	log_redact(val, tmp);
	jw_str(j, key, tmp->buf ? tmp->buf : "");
}

static void emit(enum log_level level, const char *msg, const struct err *e)
{
	struct strbuf line = STRBUF_INIT, red = STRBUF_INIT;
	char ts[40];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	if (fmt == LOG_JSON) {
		struct json_w j;
		char stamp[72];

		snprintf(stamp, sizeof(stamp), "%s.%03dZ", ts, (int)(tv.tv_usec / 1000) % 1000);
		jw_init(&j, &line, 0);
		jw_obj(&j, NULL);
		jw_str(&j, "ts", stamp);
		jw_str(&j, "level", level_name[level]);
		json_redacted(&j, "msg", msg, &red);
		if (e) {
			json_redacted(&j, "detail", e->detail, &red);
			json_redacted(&j, "hint", e->hint, &red);
			json_redacted(&j, "sqlstate", e->sqlstate, &red);
			json_redacted(&j, "file", e->file, &red);
			if (e->line)
				jw_int(&j, "line", e->line);
			if (e->code)
				jw_int(&j, "exit_code", e->code);
		}
		jw_end(&j);
		sb_addc(&line, '\n');
	} else {
		sb_addf(&line, "%s%s %-5s predeploy: ", color ? level_color[level] : "", ts,
			level_name[level]);
		if (e && e->file[0]) {
			add_text(&line, &red, e->file, 0);
			if (e->line)
				sb_addf(&line, ":%d", e->line);
			sb_adds(&line, ": ");
		}
		add_text(&line, &red, msg, 1);
		if (e && e->sqlstate[0])
			sb_addf(&line, " (SQLSTATE %s)", e->sqlstate);
		if (e && e->detail[0]) {
			sb_adds(&line, "\n    detail: ");
			add_text(&line, &red, e->detail, 1);
		}
		if (e && e->hint[0]) {
			sb_adds(&line, "\n    hint: ");
			add_text(&line, &red, e->hint, 1);
		}
		if (color)
			sb_adds(&line, "\033[0m");
		sb_addc(&line, '\n');
	}
	fwrite(line.buf, 1, line.len, stderr);
	fflush(stderr);
	sb_release(&line);
	sb_release(&red);
}

void log_vmsg(enum log_level level, const char *f, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	if (level < min || level > LOG_ERROR)
		return;
	sb_vaddf(&sb, f, ap);
	emit(level, sb.buf, NULL);
	sb_release(&sb);
}

void log_msg(enum log_level level, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	log_vmsg(level, f, ap);
	va_end(ap);
}

void log_err(const struct err *e)
{
	if (LOG_ERROR < min)
		return;
	emit(LOG_ERROR, e->msg[0] ? e->msg : "unknown error", e);
}
