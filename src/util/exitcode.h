/*
 * exitcode: the stable process exit codes of SPEC.md "Signals to the
 * orchestrator".  Library errors carry one of these in `struct err.code`.
 */
#ifndef PREDEPLOY_EXITCODE_H
#define PREDEPLOY_EXITCODE_H

enum {
	EXIT_OK = 0,
	EXIT_PENDING = 3,        /* status --exit-code: something is pending */
	EXIT_BLOCKED = 10,       /* risky migration blocked; nothing changed */
	EXIT_MIGRATION = 11,     /* migration failed, rolled back */
	EXIT_PARTIAL = 12,       /* non-transactional migration failed part-way */
	EXIT_DRIFT = 13,
	EXIT_BACKUP = 14,
	EXIT_WEBHOOK = 15,
	EXIT_ROUNDTRIP = 16,     /* check: a migration does not round-trip */
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,       /* bad input file */
	EXIT_UNAVAILABLE = 69,   /* database unreachable */
	EXIT_INTERNAL = 70,
	EXIT_TEMPFAIL = 75,      /* lock / lock_timeout retries exhausted */
	EXIT_NOPERM = 77,
	EXIT_CONFIG = 78,
};

/* Short name of an exit code ("blocked", "drift", ...), "unknown" otherwise. */
const char *exitcode_name(int code);

#endif
