/* envexpand: see envexpand.h. */
#include "util/envexpand.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

char *env_expand(const char *s, const char *what, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = s;

	while (*p) {
		const char *end, *val;
		char *name;

		if (p[0] != '$' || p[1] != '{') {
			sb_addc(&sb, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (!end || end == p + 2) {
			err_set(e, EXIT_CONFIG, "%s: unterminated or empty \"${\" reference", what);
			sb_release(&sb);
			return NULL;
		}
		name = xstrndup(p + 2, (size_t)(end - p - 2));
		val = getenv(name);
		if (!val) {
			err_set(e, EXIT_CONFIG, "%s references ${%s}, which is not set", what, name);
			free(name);
			sb_release(&sb);
			return NULL;
		}
		free(name);
		sb_adds(&sb, val);
		p = end + 1;
	}
	return sb_detach(&sb, NULL);
}
