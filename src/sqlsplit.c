/* sqlsplit: see sqlsplit.h.  A thin loop over sqllex's statement layer. */
#include "sqlsplit.h"

#include <stdlib.h>

#include "sqllex.h"
#include "util/xalloc.h"
#include "util/banned.h"

int sql_split(const char *sql, size_t len, struct sql_stmt **out, int *n, struct err *e)
{
	struct sqllex lx;
	struct sqllex_stmt st;
	struct sql_stmt *v = NULL;
	int cnt = 0, cap = 0, r;

	sqllex_init(&lx, 0);
	while ((r = sqllex_statement(&lx, sql, len, 1, &st, e)) == SQLLEX_STATEMENT) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, sizeof(*v) * (size_t)cap);
		}
		v[cnt].off = st.off;
		v[cnt].len = st.len;
		v[cnt].line = (int)st.line;
		cnt++;
	}
	sqllex_release(&lx);
	if (r < 0) {
		free(v);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}
