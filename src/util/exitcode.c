/* exitcode: see exitcode.h. */
#include "util/exitcode.h"

const char *exitcode_name(int code)
{
	switch (code) {
	case EXIT_OK: return "ok";
	case EXIT_PENDING: return "pending";
	case EXIT_BLOCKED: return "blocked";
	case EXIT_MIGRATION: return "migration_failed";
	case EXIT_PARTIAL: return "partial_migration";
	case EXIT_DRIFT: return "drift";
	case EXIT_BACKUP: return "backup_failed";
	case EXIT_WEBHOOK: return "webhook_failed";
	case EXIT_ROUNDTRIP: return "roundtrip_failed";
	case EXIT_USAGE: return "usage";
	case EXIT_DATAERR: return "bad_input";
	case EXIT_UNAVAILABLE: return "unavailable";
	case EXIT_INTERNAL: return "internal";
	case EXIT_TEMPFAIL: return "lock_timeout";
	case EXIT_NOPERM: return "permission_denied";
	case EXIT_CONFIG: return "config";
	default:
		if (code > 128 && code < 128 + 65)
			return "signal";
		return "unknown";
	}
}
