/*
 * fuzz_migration: the migration file parser (migration_parse, both formats
 * and plain files) and the statement split of every section it returns.
 *
 * Input: one byte choosing the file name (and so the format), then the
 * file's content.  Properties: a parsed section lies inside the file, its
 * line is within the file's lines, its checksum is the SHA-256 of the up
 * section; every statement of the split lies inside its section.
 */
#define _GNU_SOURCE 1   /* memmem */
#include <string.h>

#include "fuzz.h"
#include "migration.h"
#include "sqlsplit.h"
#include "util/sha256.h"

static const char *const names[] = {
	"migrations/20240101120000_create.sql", "migrations/7_x.up.sql",
	"migrations/7_x.down.sql", "schema.sql", "3.sql",
};

static int count_lines(const char *s, size_t n)
{
	int lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

static void check_section(const struct section *sec, const char *file, size_t size, int lines)
{
	struct sql_stmt *v = NULL;
	struct err e = ERR_INIT;
	int n = 0;

	if (!sec->present)
		return;
	FUZZ_CHECK(sec->len <= size);
	FUZZ_CHECK(strlen(sec->sql) == sec->len);
	FUZZ_CHECK(memmem(file, size, sec->sql, sec->len) != NULL);
	FUZZ_CHECK(sec->line >= 1 && sec->line <= lines + 1);
	if (sql_split(sec->sql, sec->len, &v, &n, &e) == 0) {
		size_t prev = 0;
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(v[i].off >= prev && v[i].off + v[i].len <= sec->len);
			FUZZ_CHECK(v[i].line >= 1);
			prev = v[i].off + v[i].len;
		}
	} else {
		FUZZ_CHECK(e.code != 0 && e.msg[0]);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct migration m;
	struct err e = ERR_INIT;
	const char *name;
	const char *file;
	int lines;

	if (size < 1)
		return 0;
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	file = (const char *)data + 1;
	size--;
	lines = count_lines(file, size);
	if (migration_parse(name, file, size, &m, &e) < 0) {
		FUZZ_CHECK(e.code != 0 && e.msg[0]);
		return 0;
	}
	FUZZ_CHECK(m.up.present || m.down.present);
	check_section(&m.up, file, size, lines);
	check_section(&m.down, file, size, lines);
	if (m.up.present) {
		char hex[SHA256_HEX_LEN];
		sha256_hex_of(m.up.sql, m.up.len, hex);
		FUZZ_CHECK(!strcmp(hex, m.checksum));
	}
	migration_release(&m);
	return 0;
}
