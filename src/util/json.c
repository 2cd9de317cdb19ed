/* json: see json.h. */
#include "util/json.h"

#include <string.h>

#include "util/sha256.h"
#include "util/banned.h"

/* ---- writer ---- */

void jw_init(struct json_w *j, struct strbuf *sb, int flags)
{
	memset(j, 0, sizeof(*j));
	j->sb = sb;
	j->flags = flags;
}

/* Separator and key before a value at the current depth. */
static void member(struct json_w *j, const char *key)
{
	if (j->depth > 0) {
		int n = j->depth <= JW_MAX_DEPTH ? j->count[j->depth - 1]++ : 1;

		if ((j->flags & JW_PRETTY) && j->depth == 1)
			sb_adds(j->sb, n ? ",\n  " : "\n  ");
		else if (n)
			sb_adds(j->sb, (j->flags & JW_PRETTY) ? ", " : ",");
	}
	if (key) {
		sb_add_json_str(j->sb, key);
		sb_adds(j->sb, (j->flags & JW_PRETTY) ? ": " : ":");
	}
}

static void open_container(struct json_w *j, const char *key, char c)
{
	member(j, key);
	sb_addc(j->sb, c);
	if (j->depth < JW_MAX_DEPTH) {
		j->count[j->depth] = 0;
		j->close[j->depth] = c == '{' ? '}' : ']';
	}
	j->depth++;
}

void jw_obj(struct json_w *j, const char *key)
{
	open_container(j, key, '{');
}

void jw_arr(struct json_w *j, const char *key)
{
	open_container(j, key, '[');
}

void jw_end(struct json_w *j)
{
	if (j->depth <= 0)
		return;
	j->depth--;
	if ((j->flags & JW_PRETTY) && j->depth == 0 && j->count[0])
		sb_addc(j->sb, '\n');
	sb_addc(j->sb, j->depth < JW_MAX_DEPTH ? j->close[j->depth] : '}');
}

void jw_str(struct json_w *j, const char *key, const char *v)
{
	member(j, key);
	if (v)
		sb_add_json_str(j->sb, v);
	else
		sb_adds(j->sb, "null");
}

void jw_int(struct json_w *j, const char *key, long long v)
{
	member(j, key);
	sb_addf(j->sb, "%lld", v);
}

void jw_bool(struct json_w *j, const char *key, int v)
{
	member(j, key);
	sb_adds(j->sb, v ? "true" : "false");
}

void jw_null(struct json_w *j, const char *key)
{
	member(j, key);
	sb_adds(j->sb, "null");
}

void jw_raw(struct json_w *j, const char *key, const char *json)
{
	member(j, key);
	sb_adds(j->sb, json);
}

/* ---- reader ---- */

#define MAX_NEST 64

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static void put(char *out, size_t cap, size_t *n, char c)
{
	if (out && *n + 1 < cap)
		out[*n] = c;
	(*n)++;
}

/* A string at p (the opening quote): unescaped into out (when not NULL).
 * Returns the position after the closing quote, NULL when malformed. */
static const char *string(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	for (p++; *p != '"'; p++) {
		unsigned cp;
		int i;

		if (!*p || (unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\') {
			put(out, cap, &n, *p);
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/': put(out, cap, &n, *p); break;
		case 'b': put(out, cap, &n, '\b'); break;
		case 'f': put(out, cap, &n, '\f'); break;
		case 'n': put(out, cap, &n, '\n'); break;
		case 'r': put(out, cap, &n, '\r'); break;
		case 't': put(out, cap, &n, '\t'); break;
		case 'u':
			cp = 0;
			for (i = 1; i <= 4; i++) {
				int h = hex_digit(p[i]);

				if (h < 0)
					return NULL;
				cp = cp * 16 + (unsigned)h;
			}
			p += 4;
			/* Surrogates are not paired up: we never write them (UTF-8 is
			 * passed through); a lone one becomes U+FFFD. */
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			if (cp < 0x80) {
				put(out, cap, &n, (char)cp);
			} else if (cp < 0x800) {
				put(out, cap, &n, (char)(0xc0 | (cp >> 6)));
				put(out, cap, &n, (char)(0x80 | (cp & 0x3f)));
			} else {
				put(out, cap, &n, (char)(0xe0 | (cp >> 12)));
				put(out, cap, &n, (char)(0x80 | ((cp >> 6) & 0x3f)));
				put(out, cap, &n, (char)(0x80 | (cp & 0x3f)));
			}
			break;
		default:
			return NULL;
		}
	}
	if (out && cap)
		out[n < cap ? n : cap - 1] = '\0';
	return p + 1;
}

/* A scalar other than a string: its text up to a delimiter. */
static const char *scalar(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	while (*p && !strchr(",]} \n\t\r:", *p)) {
		if (*p == '"' || *p == '{' || *p == '[')
			return NULL;
		put(out, cap, &n, *p++);
	}
	if (!n)
		return NULL;
	if (out && cap)
		out[n < cap ? n : cap - 1] = '\0';
	return p;
}

static const char *value(const char *p, int depth);

/* Object or array at p; returns the position after it. */
static const char *container(const char *p, int depth)
{
	char close = *p == '{' ? '}' : ']';
	int obj = *p == '{';

	if (depth >= MAX_NEST)
		return NULL;
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (*p != '"' || !(p = string(p, NULL, 0)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = value(p, depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *value(const char *p, int depth)
{
	p = ws(p);
	if (*p == '"')
		return string(p, NULL, 0);
	if (*p == '{' || *p == '[')
		return container(p, depth);
	return scalar(p, NULL, 0);
}

/* The value of member `key` of the top-level object, NULL when missing. */
static const char *find(const char *json, const char *key)
{
	const char *p = ws(json);
	size_t klen = strlen(key);

	if (*p++ != '{')
		return NULL;
	p = ws(p);
	if (*p == '}')
		return NULL;
	for (;;) {
		char k[256];
		const char *v;

		if (*p != '"' || !(p = string(p, k, sizeof(k))))
			return NULL;
		p = ws(p);
		if (*p++ != ':')
			return NULL;
		v = ws(p);
		if (strlen(k) == klen && !strcmp(k, key))
			return v;
		if (!(p = value(v, 1)))
			return NULL;
		p = ws(p);
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

int json_get(const char *json, const char *key, char *out, size_t cap, int *is_string)
{
	const char *v = find(json, key);

	if (!v || !cap)
		return -1;
	if (is_string)
		*is_string = *v == '"';
	if (*v == '"')
		return string(v, out, cap) ? 0 : -1;
	if (*v == '{' || *v == '[')
		return -1;
	if (!scalar(v, out, cap))
		return -1;
	if (!strcmp(out, "null"))
		out[0] = '\0';
	return 0;
}

int json_get_array(const char *json, const char *key, void (*fn)(void *ctx, const char *v), void *ctx)
{
	const char *p = find(json, key);
	char buf[1024];
	int n = 0;

	if (!p || *p != '[')
		return -1;
	p = ws(p + 1);
	if (*p == ']')
		return 0;
	for (;;) {
		if (*p == '"')
			p = string(p, buf, sizeof(buf));
		else
			p = scalar(p, buf, sizeof(buf));
		if (!p)
			return -1;
		fn(ctx, buf);
		n++;
		p = ws(p);
		if (*p == ']')
			return n;
		if (*p++ != ',')
			return -1;
		p = ws(p);
	}
}
