/* confirm: the question `restore` asks on a terminal before it replaces a
 * database's contents (declared in cmd.h). */
#include <stdio.h>

#include "cmd.h"
#include "restore_prepare.h"
#include "util/banned.h"

int confirm_restore(const char *target, const struct db *db, const struct restore_source *s)
{
	char answer[64];

	fprintf(stderr, "Restore into database \"%s\" on %s:%s (user %s)\n", target, db->host, db->port, db->user);
	fprintf(stderr, "  from   %s%s\n", s->path, s->sha256[0] ? " (SHA-256 checked)" : "");
	if (s->listed)
		fprintf(stderr, "  taken  %s from database \"%s\", schema version %s, %.1f MB\n", s->when, s->database,
			s->version, (double)s->size / 1e6);
	if (s->at_risk)
		fprintf(stderr, "An at-risk backup: only the tables named above are restored, as said there. Continue? [y/N] ");
	else
		fprintf(stderr, "Everything in \"%s\" is replaced by the backup's state. Continue? [y/N] ", target);
	fflush(stderr);
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}
