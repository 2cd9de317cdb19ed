/*
 * rules: every lint rule as data (docs/rules.md has one section per id).
 *
 * A message names the lock the statement takes and what that lock blocks,
 * or the data that is lost; the help names the safe alternative.  "{}" in a
 * message is replaced by the quoted object name.  Severities: errors block
 * (data loss, backward-incompatible changes, statements that would fail),
 * warnings inform (lock and rewrite risks, type advice).
 */
#include <string.h>

#include "lint/lint_int.h"
#include "util/banned.h"

#define E LINT_ERROR
#define W LINT_WARNING

static const struct lint_rule rules[] = {
	/* data loss and backward-incompatible changes */
	{ "drop_table", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "DROP TABLE {} deletes the table and all its rows; it takes an ACCESS EXCLUSIVE lock and running code that still uses the table fails",
	  "stop using the table in a release first, take a backup, then drop it in a later migration (acknowledge with -- predeploy:allow drop_table)" },
	{ "drop_column", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "DROP COLUMN {} deletes the column's data; running code that still reads or writes it fails",
	  "remove every use of the column in a release first, then drop it in a later migration (acknowledge with -- predeploy:allow drop_column)" },
	{ "drop_schema", E, LR_DESTRUCTIVE,
	  "DROP SCHEMA {} deletes the schema (with CASCADE: every table in it and their rows)",
	  "drop the objects one by one in reviewed migrations, or acknowledge with -- predeploy:allow drop_schema" },
	{ "drop_database", E, LR_DESTRUCTIVE,
	  "DROP DATABASE {} deletes a whole database; it cannot run inside a transaction either",
	  "drop databases by hand, not in a migration" },
	{ "drop_owned", E, LR_DESTRUCTIVE,
	  "DROP OWNED BY {} drops every object the role owns, tables and their rows included, whatever their names",
	  "drop the objects one by one in reviewed migrations (REASSIGN OWNED first for the ones that must stay), or acknowledge with -- predeploy:allow drop_owned" },
	{ "truncate", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "TRUNCATE {} deletes every row and takes an ACCESS EXCLUSIVE lock that blocks all reads and writes of the table",
	  "delete the rows you mean with a WHERE clause, in batches, or acknowledge with -- predeploy:allow truncate" },
	{ "rename_table", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "renaming table {} breaks running code that still uses the old name (ACCESS EXCLUSIVE lock, brief)",
	  "create the new table or a view with the new name, move code over, then drop the old name in a later release" },
	{ "rename_column", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "renaming column {} breaks running code that still uses the old name (ACCESS EXCLUSIVE lock, brief)",
	  "add the new column, write both and backfill, move readers over, then drop the old column in a later release" },
	{ "set_schema", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "SET SCHEMA moves {}: running code that uses the old qualified name, or finds the table through search_path, fails (ACCESS EXCLUSIVE lock, brief)",
	  "leave a view under the old name until no code uses it, or move code to the new name first" },
	{ "drop_constraint", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "dropping constraint {} lets invalid data in, and it takes an ACCESS EXCLUSIVE lock on the table",
	  "make sure no code relies on the constraint, then acknowledge with -- predeploy:allow drop_constraint" },
	{ "set_not_null", E, LR_LOCK | LR_NEWOK,
	  "SET NOT NULL on {} scans the whole table under an ACCESS EXCLUSIVE lock that blocks all reads and writes, and fails if a NULL exists",
	  "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check" },
	{ "change_column_type", E, LR_DESTRUCTIVE | LR_LOCK | LR_NEWOK,
	  "changing the type of {} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock that blocks all reads and writes, and can break running code",
	  "add a new column of the new type, backfill it in batches, switch code over, then drop the old column" },
	{ "change_column_type_unverified", W, LR_DESTRUCTIVE | LR_LOCK,
	  "changing the type of {} could rewrite the table and its indexes under an ACCESS EXCLUSIVE lock that blocks all reads and writes: lint does not know the old type (no database, and no earlier migration in this run declares the column)",
	  "lint with a database configured (the real old type decides: varchar(n) to a longer varchar or text is safe), or add a new column, backfill, switch code over and drop the old one" },
	{ "add_required_column", E, LR_NEWOK,
	  "adding NOT NULL column {} without a default fails on a table with rows, and running code that inserts without it breaks",
	  "add the column with a DEFAULT (a constant default is instant since PostgreSQL 11), or add it nullable, backfill, then add the constraint" },
	{ "delete_without_where", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "DELETE without WHERE on {} deletes every row and holds row locks on all of them until the migration commits",
	  "add a WHERE clause (delete in batches for large tables), or acknowledge with -- predeploy:allow delete_without_where" },
	{ "update_without_where", E, LR_DESTRUCTIVE | LR_NEWOK,
	  "UPDATE without WHERE on {} overwrites every row and holds row locks on all of them until the migration commits",
	  "add a WHERE clause and backfill in batches, or acknowledge with -- predeploy:allow update_without_where" },
	{ "concurrently_in_transaction", E, 0,
	  "{} cannot run inside a transaction block, and this migration runs in one: it would fail",
	  "put the statement in its own migration with \"-- migrate:up transaction:false\" (or first line \"-- predeploy:no-transaction\" in a .up.sql file)" },
	{ "transaction_control", E, 0,
	  "{} inside a migration ends or nests the transaction predeploy runs it in, so the migration is no longer atomic and its tracking row can be lost",
	  "remove BEGIN/COMMIT/ROLLBACK; predeploy wraps every migration in a transaction (use transaction:false for statements that need none)" },

	/* lock and rewrite risks */
	{ "create_index_nonconcurrent", W, LR_LOCK | LR_NEWOK,
	  "CREATE INDEX on {} without CONCURRENTLY takes a SHARE lock that blocks all writes (INSERT, UPDATE, DELETE) until the index is built",
	  "CREATE INDEX CONCURRENTLY in a migration with transaction:false" },
	{ "drop_index_nonconcurrent", W, LR_LOCK,
	  "DROP INDEX {} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, blocking all reads and writes while it waits and runs",
	  "DROP INDEX CONCURRENTLY in a migration with transaction:false" },
	{ "reindex_nonconcurrent", W, LR_LOCK | LR_NEWOK,
	  "REINDEX {} without CONCURRENTLY blocks writes to the table and reads that use the index until it finishes",
	  "REINDEX ... CONCURRENTLY (PostgreSQL 12+) in a migration with transaction:false" },
	{ "add_foreign_key_validating", W, LR_LOCK | LR_NEWOK,
	  "adding foreign key {} without NOT VALID scans the whole table while holding a SHARE ROW EXCLUSIVE lock on it and the referenced table, blocking writes to both",
	  "ADD CONSTRAINT ... NOT VALID now, then VALIDATE CONSTRAINT in a later migration (it only takes SHARE UPDATE EXCLUSIVE)" },
	{ "add_check_validating", W, LR_LOCK | LR_NEWOK,
	  "adding check constraint {} without NOT VALID scans the whole table under an ACCESS EXCLUSIVE lock that blocks all reads and writes",
	  "ADD CONSTRAINT ... CHECK (...) NOT VALID now, then VALIDATE CONSTRAINT in a later migration" },
	{ "validate_in_same_transaction", W, LR_LOCK,
	  "VALIDATE CONSTRAINT {} runs in the same transaction that added it NOT VALID, so the ACCESS EXCLUSIVE lock of the ADD is held during the whole scan",
	  "move VALIDATE CONSTRAINT to a later migration" },
	{ "add_unique_constraint", W, LR_LOCK | LR_NEWOK,
	  "adding unique constraint {} builds an index under an ACCESS EXCLUSIVE lock that blocks all reads and writes of the table",
	  "CREATE UNIQUE INDEX CONCURRENTLY (transaction:false), then ADD CONSTRAINT ... UNIQUE USING INDEX" },
	{ "add_primary_key_existing_table", W, LR_LOCK | LR_NEWOK,
	  "adding a primary key to existing table {} builds an index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock that blocks all reads and writes",
	  "CREATE UNIQUE INDEX CONCURRENTLY (transaction:false), then ADD CONSTRAINT ... PRIMARY KEY USING INDEX" },
	{ "add_exclusion_constraint", W, LR_LOCK | LR_NEWOK,
	  "adding exclusion constraint {} builds an index and checks every row under an ACCESS EXCLUSIVE lock that blocks all reads and writes",
	  "add exclusion constraints while the table is small or in a maintenance window; there is no concurrent form" },
	{ "add_column_volatile_default", W, LR_LOCK | LR_NEWOK,
	  "adding column {} with a volatile default rewrites the whole table under an ACCESS EXCLUSIVE lock that blocks all reads and writes",
	  "add the column without a default (or with a constant one), set the default separately, backfill existing rows in batches" },
	{ "add_column_serial_or_stored", W, LR_LOCK | LR_NEWOK,
	  "adding serial, identity or stored generated column {} rewrites the whole table under an ACCESS EXCLUSIVE lock that blocks all reads and writes",
	  "add a plain nullable column, backfill it in batches, then attach the sequence default or the trigger" },
	{ "missing_lock_timeout", W, LR_LOCK | LR_NEWOK,
	  "{} waits for its lock without a lock_timeout; while it waits, every query on the table queues behind it",
	  "SET lock_timeout = '5s' before the first statement (predeploy does this for every migration it runs; this file is plain SQL)" },
	{ "table_rewrite", W, LR_LOCK,
	  "the rehearsal saw {} rewritten (a new relfilenode): on the live table the rewrite holds an ACCESS EXCLUSIVE lock that blocks all reads and writes until it finishes",
	  "find the statement that rewrites it (a type change, a volatile default, SET LOGGED/UNLOGGED...) and use the non-rewriting alternative docs/rules.md gives for it" },
	{ "vacuum_full_or_cluster", W, LR_LOCK | LR_NEWOK,
	  "{} rewrites the table under an ACCESS EXCLUSIVE lock that blocks all reads and writes until it finishes",
	  "use pg_repack or plain VACUUM; run rewrites in a maintenance window, not in a migration" },
	{ "detach_partition_nonconcurrent", W, LR_LOCK | LR_NEWOK,
	  "DETACH PARTITION {} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the parent table, blocking all reads and writes",
	  "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) in a migration with transaction:false" },
	{ "dynamic_sql", W, LR_DESTRUCTIVE,
	  "{} runs dynamic SQL (EXECUTE): lint cannot see the statements it builds, so their locks and data loss are not checked",
	  "write the statements out in the migration where possible; otherwise review what EXECUTE runs and acknowledge with -- predeploy:allow dynamic_sql" },
	{ "drop_not_null", W, LR_NEWOK,
	  "DROP NOT NULL on {} lets NULLs in; running code that assumes the column is never NULL may break (ACCESS EXCLUSIVE lock, brief)",
	  "make sure readers handle NULL before deploying the change" },
	{ "fk_without_index", W, 0,
	  "foreign key {} has no index on its referencing columns in this migration: deletes and key updates on the referenced table scan this table",
	  "CREATE INDEX CONCURRENTLY on the referencing columns (acknowledge if an index already exists)" },
	{ "json_column", W, 0,
	  "column {} uses json: it keeps the text verbatim, cannot be indexed or compared",
	  "use jsonb" },
	{ "prefer_bigint", W, 0,
	  "key column {} is a 32-bit (or 16-bit) integer; it can run out of values, and widening it later rewrites the table",
	  "use bigint (bigint GENERATED ALWAYS AS IDENTITY for ids)" },
	{ "prefer_text_over_varchar", W, 0,
	  "column {} is varchar(n): changing n later can need an ACCESS EXCLUSIVE lock and a scan, and text is stored the same way",
	  "use text, with a CHECK (char_length(col) <= n) constraint if a limit is needed" },
	{ "prefer_timestamptz", W, 0,
	  "column {} is timestamp without time zone: values lose their time zone and compare wrongly across zones",
	  "use timestamptz" },
	{ "prefer_identity", W, 0,
	  "column {} uses serial: the sequence is a separate object with its own ownership and permissions",
	  "use bigint GENERATED ALWAYS AS IDENTITY" },
	{ "non_idempotent_no_transaction", W, 0,
	  "{} in a migration without a transaction is not idempotent: if a later statement fails, a retry fails here because this one already ran",
	  "use IF NOT EXISTS / IF EXISTS in non-transactional migrations (and one statement per migration where possible)" },

	/* input problems */
	{ "syntax_error", E, LR_NOACK,
	  "{}",
	  "fix the SQL; predeploy parses with the PostgreSQL 15 grammar" },
	{ "statement_too_complex", E, 0,
	  "{}",
	  "split the statement; lint refuses to analyse statements nested this deeply" },
	{ "unknown_rule", W, LR_NOACK,
	  "annotation names unknown rule {}; nothing is acknowledged by it",
	  "check the rule id against docs/rules.md" },
};

#define NRULES ((int)(sizeof(rules) / sizeof(rules[0])))

const struct lint_rule *lint_rule_find(const char *id)
{
	int i;

	for (i = 0; i < NRULES; i++)
		if (!strcmp(rules[i].id, id))
			return &rules[i];
	return NULL;
}

int lint_rule_known(const char *id)
{
	const struct lint_rule *r = lint_rule_find(id);

	return r && !(r->flags & LR_NOACK);
}

const struct lint_rule_info *lint_rules(int *n)
{
	static struct lint_rule_info info[NRULES];
	int i;

	for (i = 0; i < NRULES; i++) {
		info[i].id = rules[i].id;
		info[i].severity = rules[i].severity;
		info[i].summary = rules[i].help;
	}
	*n = NRULES;
	return info;
}
