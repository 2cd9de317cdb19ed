/*
 * status_report: what `predeploy status` shows for predeploy's own
 * migrations and the seeds, as text (a table and a summary line) or JSON,
 * appended to a strbuf that entrypoint/ prints.
 */
#ifndef PREDEPLOY_STATUS_REPORT_H
#define PREDEPLOY_STATUS_REPORT_H

#include "migrator.h"
#include "plan.h"
#include "seeds.h"
#include "util/strbuf.h"

void status_report_text(const struct plan *p, const struct seed_set *ss, struct strbuf *out);
void status_report_json(const struct plan *p, const struct seed_set *ss, struct strbuf *out);
/* A tool migrator's revisions (the order it runs them) and the seeds;
 * pending_cmd: --pending-cmd is set. */
void status_report_tool_json(const struct migrator *m, const struct tool_state *st, int pending_cmd,
			     const struct seed_set *ss, struct strbuf *out);
void status_report_tool_text(const struct migrator *m, const struct tool_state *st, int pending_cmd,
			     const struct seed_set *ss, struct strbuf *out);

#endif
