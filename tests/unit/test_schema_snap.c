/* Unit tests of src/schema_snap (the diff of two snapshots) and
 * src/check_report (the GitHub annotation escaping). */
// cases: equal_is_empty missing_left_behind_changed empty_sides workflow_escaping
#include <stdlib.h>

#include "unit.h"
#include "schema_snap.h"
#include "util/strbuf.h"

static struct schema_obj O(const char *k, const char *b)
{
	struct schema_obj o = { (char *)k, (char *)b };
	return o;
}

static void equal_is_empty(void)
{
	struct schema_obj v[] = { O("column public.t.a", "integer position 1"), O("relation public.t", "table") };
	struct schema_snap a = { v, 2 }, b = { v, 2 };
	struct strlist d = { 0 };

	schema_snap_diff(&a, &b, &d);
	CHECK_INT(d.n, 0);
	strlist_clear(&d);
}

static void missing_left_behind_changed(void)
{
	struct schema_obj va[] = { O("column public.t.a", "integer default 0 position 1"),
				   O("index public.t_a", "CREATE INDEX t_a ON public.t USING btree (a)"),
				   O("relation public.t", "table") };
	struct schema_obj vb[] = { O("column public.t.a", "integer default 1 position 1"),
				   O("relation public.t", "table"), O("relation public.u", "table") };
	struct schema_snap a = { va, 3 }, b = { vb, 3 };
	struct strlist d = { 0 };

	schema_snap_diff(&a, &b, &d);
	CHECK_INT(d.n, 3);
	if (d.n == 3) {
		CHECK_STR(d.v[0], "changed: column public.t.a: integer default 0 position 1 -> integer default 1 position 1");
		CHECK_STR(d.v[1], "missing: index public.t_a (CREATE INDEX t_a ON public.t USING btree (a))");
		CHECK_STR(d.v[2], "left behind: relation public.u (table)");
	}
	strlist_clear(&d);
}

static void empty_sides(void)
{
	struct schema_obj v[] = { O("schema app", "") };
	struct schema_snap a = { v, 1 }, none = { NULL, 0 };
	struct strlist d = { 0 };

	schema_snap_diff(&a, &none, &d);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.n ? d.v[0] : NULL, "missing: schema app");
	strlist_clear(&d);
	schema_snap_diff(&none, &a, &d);
	CHECK_STR(d.n ? d.v[0] : NULL, "left behind: schema app");
	strlist_clear(&d);
}

static void workflow_escaping(void)
{
	struct strbuf sb = STRBUF_INIT;

	sb_add_workflow_escaped(&sb, "a:b,c%d\r\ne", 1);
	CHECK_STR(sb.buf, "a%3Ab%2Cc%25d%0D%0Ae");
	sb_reset(&sb);
	sb_add_workflow_escaped(&sb, "a:b,c%d\ne", 0);
	CHECK_STR(sb.buf, "a:b,c%25d%0Ae");
	sb_release(&sb);
}

UNIT_CASES(UNIT(equal_is_empty), UNIT(missing_left_behind_changed), UNIT(empty_sides), UNIT(workflow_escaping))
