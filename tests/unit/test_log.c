/* Unit tests of src/log.c: redaction of secrets, URIs and conninfo. */
// cases: redacts_secret redacts_uri redacts_conninfo keeps_plain secret_inside_uri_userinfo
#include "unit.h"
#include "log.h"

static char out[512];

static const char *red(const char *in)
{
	struct strbuf sb = STRBUF_INIT;
	snprintf(out, sizeof(out), "%s", (log_redact(in, &sb), sb.buf));
	sb_release(&sb);
	return out;
}

static void redacts_secret(void)
{
	log_add_secret("hunter2");
	CHECK_STR(red("pw is hunter2, again hunter2"), "pw is ****, again ****");
}

static void redacts_uri(void)
{
	CHECK_STR(red("postgres://app:s3cret@db:5432/x"), "postgres://app:****@db:5432/x");
	CHECK_STR(red("url=postgresql://u:p%40ss@h/d?sslmode=require"),
		  "url=postgresql://u:****@h/d?sslmode=require");
	CHECK_STR(red("postgres://app@db/x"), "postgres://app@db/x");
}

static void redacts_conninfo(void)
{
	CHECK_STR(red("host=db password=abc user=x"), "host=db password=**** user=x");
	CHECK_STR(red("host=db password = 'a b\\'c' user=x"), "host=db password = **** user=x");
}

/* Found by the config fuzzer: a registered secret in a URI's user name,
 * before the password, was copied out with the URI's prefix. */
static void secret_inside_uri_userinfo(void)
{
	log_add_secret("Zq8hunter2secret");
	CHECK_STR(red("postgres:://Zq8hunter2secretuser:pw12345@127.0.0.1/x"), "postgres:://****user:****@127.0.0.1/x");
	CHECK_STR(red("postgres://Zq8hunter2secret:pw12345@h/x"), "postgres://****:****@h/x");
	CHECK_STR(red("postgres://app:Zq8hunter2secret@h/x"), "postgres://app:****@h/x");
}

static void keeps_plain(void)
{
	CHECK_STR(red("nothing to hide: password_hash column"), "nothing to hide: password_hash column");
}

UNIT_CASES(UNIT(redacts_secret), UNIT(redacts_uri), UNIT(redacts_conninfo), UNIT(keeps_plain), UNIT(secret_inside_uri_userinfo))
