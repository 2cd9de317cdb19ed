/* cmd_status: `predeploy status [--exit-code]`: every migration's state
 * (applied, pending, modified, missing, out_of_order), text or JSON. With
 * --exit-code: 13 on drift, else 3 when something is pending, else 0. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "session.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

const struct cmd_opt opts_status[] = {
	{ "exit-code", 0, "exit 3 when migrations are pending, 13 on drift" },
	{ NULL, 0, NULL },
};

static void print_json(const struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	sb_adds(&sb, "{\"current\":");
	sb_add_json_str(&sb, s->plan.current[0] ? s->plan.current : NULL);
	sb_addf(&sb, ",\"applied\":%d,\"pending\":%d,\"modified\":%d,\"missing\":%d,\"out_of_order\":%d,"
		     "\"migrations\":[", s->plan.napplied, s->plan.npending, s->plan.nmodified,
		s->plan.nmissing, s->plan.nout_of_order);
	for (i = 0; i < s->plan.n; i++) {
		const struct plan_item *it = &s->plan.v[i];
		sb_adds(&sb, i ? ",{\"version\":" : "{\"version\":");
		sb_add_json_str(&sb, it->version);
		sb_adds(&sb, ",\"name\":");
		sb_add_json_str(&sb, it->m ? it->m->name : it->a->name);
		sb_adds(&sb, ",\"state\":");
		sb_add_json_str(&sb, mig_state_name(it->state));
		sb_adds(&sb, ",\"file\":");
		sb_add_json_str(&sb, it->m ? it->m->up.path : NULL);
		sb_adds(&sb, ",\"applied_at\":");
		sb_add_json_str(&sb, it->a ? it->a->applied_at : NULL);
		sb_adds(&sb, ",\"checksum\":");
		sb_add_json_str(&sb, it->m ? it->m->checksum : it->a->checksum);
		sb_adds(&sb, "}");
	}
	sb_adds(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_release(&sb);
}

static void print_text(const struct session *s)
{
	int i;

	printf("%-16s %-12s %-20s %s\n", "VERSION", "STATE", "APPLIED AT", "NAME");
	for (i = 0; i < s->plan.n; i++) {
		const struct plan_item *it = &s->plan.v[i];
		printf("%-16s %-12s %-20s %s\n", it->version, mig_state_name(it->state),
		       it->a ? it->a->applied_at : "-", it->m ? it->m->name : it->a->name);
	}
	printf("\ncurrent version: %s; %d applied, %d pending", s->plan.current[0] ? s->plan.current : "(none)",
	       s->plan.napplied, s->plan.npending);
	if (s->plan.nmodified || s->plan.nmissing || s->plan.nout_of_order)
		printf("; drift: %d modified, %d missing, %d out of order", s->plan.nmodified,
		       s->plan.nmissing, s->plan.nout_of_order);
	printf("\n");
}

CMD(status)
{
	struct session s = SESSION_INIT;
	struct err e = ERR_INIT;
	int rc = 0;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (session_open(&s, cfg, 0, &e) < 0) {
		rc = report_err(&e);
		goto out;
	}
	if (cfg->format == OUT_JSON)
		print_json(&s);
	else
		print_text(&s);
	if (args_has(args, "exit-code")) {
		if (s.plan.nmodified || s.plan.nmissing || s.plan.nout_of_order)
			rc = EXIT_DRIFT;
		else if (s.plan.npending)
			rc = EXIT_PENDING;
	}
out:
	session_close(&s);
	return rc;
}
