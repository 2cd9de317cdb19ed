/*
 * webhook_driver: a test-only program (never installed) that sends one
 * webhook through the real library path, so tests/integration/test_webhook.py
 * can exercise src/webhook.c against a loopback receiver before `run` exists,
 * and independently of it afterwards.
 *
 *   webhook_driver [--type T] [--summary S] [--details D] [--data JSON]
 *                  [--termination-message M] [any config option: --webhook URL,
 *                  --webhook-secret S, --webhook-format F, --webhook-ca-file F,
 *                  --termination-log PATH, ...]
 *
 * The configuration is loaded like the CLI's: PREDEPLOY_* variables, then the
 * flags.  "data" is {"status":"test"} plus webhook_add_context().  Prints one
 * JSON line {"rc","code","msg","detail"} to stdout; exits with err.code (0 on
 * success).  With --termination-message it also calls termlog_write().
 * SIGTERM sets the limits' stop flag (no retry after it), as `run` does.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "termlog.h"
#include "webhook.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct webhook_limits lim = WEBHOOK_LIMITS_DEFAULT;
	struct sigaction sa;
	struct config cfg;
	struct err e = ERR_INIT;
	struct strbuf data = STRBUF_INIT, out = STRBUF_INIT;
	struct webhook_msg m = { "deploy.succeeded", NULL, "test delivery", NULL };
	const char *data_arg = NULL, *term = NULL;
	int i, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	lim.stop = &stop;
	log_init(LOG_TEXT, LOG_DEBUG);
	config_defaults(&cfg);
	if (config_load_env(&cfg, &e) < 0)
		goto out;
	for (i = 1; i < argc; i++) {
		const char *name = argv[i] + 2, *val = i + 1 < argc ? argv[i + 1] : NULL;
		const struct config_option *o = config_option_find(name);
		const char **own = !strcmp(name, "type") ? &m.type :
				   !strcmp(name, "summary") ? &m.summary :
				   !strcmp(name, "details") ? &m.details :
				   !strcmp(name, "data") ? &data_arg :
				   !strcmp(name, "termination-message") ? &term : NULL;

		if (strncmp(argv[i], "--", 2) || (!own && !o)) {
			err_set(&e, EXIT_USAGE, "bad argument \"%s\"", argv[i]);
			goto out;
		}
		if (o && o->type == CT_BOOL) {
			if (config_set(&cfg, name, NULL, CONFIG_SRC_FLAG, &e) < 0)
				goto out;
			continue;
		}
		if (!val) {
			err_set(&e, EXIT_USAGE, "\"%s\" needs a value", argv[i]);
			goto out;
		}
		if (own)
			*own = val;
		else if (config_set(&cfg, name, val, CONFIG_SRC_FLAG, &e) < 0)
			goto out;
		i++;
	}
	if (config_finish(&cfg, &e) < 0 || webhook_check_config(&cfg, &e) < 0)
		goto out;
	if (data_arg) {
		sb_adds(&data, data_arg);
	} else {
		struct json_w j;

		jw_init(&j, &data, 0);
		jw_obj(&j, NULL);
		jw_str(&j, "status", "test");
		webhook_add_context(&j);
		jw_end(&j);
	}
	m.data_json = data.buf;
	rc = webhook_deliver_limits(&cfg, &m, &lim, &e);
	if (term)
		termlog_write(cfg.termination_log, term);
out:
	sb_addf(&out, "{\"rc\":%d,\"code\":%d,\"msg\":", rc, e.code);
	sb_add_json_str(&out, e.msg);
	sb_adds(&out, ",\"detail\":");
	sb_add_json_str(&out, e.detail);
	sb_adds(&out, "}\n");
	fwrite(out.buf, 1, out.len, stdout);
	if (e.code)
		log_err(&e);
	sb_release(&out);
	sb_release(&data);
	config_release(&cfg);
	return rc == 0 ? 0 : (e.code ? e.code : EXIT_INTERNAL);
}
