/*
 * migrators/alembic: Alembic's state without starting Python.
 *
 * alembic.ini (in the working directory) gives script_location and
 * version_locations (%(here)s is the ini's directory; version_path_separator
 * is honoured).  Every .py file in a versions directory is read for its module-level
 * assignments: revision, down_revision (a string, None, or a tuple or list
 * for merges), branch_labels and depends_on, with or without a type
 * annotation (`down_revision: Union[str, None] = "a1"`), and the first line
 * of its docstring.  Only literals are understood; anything else is an error
 * naming the file and line.  Ids are free strings; file names do not matter.
 *
 * The graph's heads are the revisions nothing builds on.  Current = the rows
 * of alembic_version (several while branches are applied); applied = their
 * ancestors (down_revision and depends_on); pending = every other revision,
 * parents first: what `alembic upgrade heads` would run.  Several heads
 * without a merge revision fail unless --migrate-cmd says "heads".
 */
#include "migrator.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define INI_NAME "alembic.ini"
#define INI_CAP (1024 * 1024)

/* ---- alembic.ini ---- */

/* Value of `key` in [alembic], continuation lines joined with "\n"; NULL when
 * absent.  Caller frees. */
static char *ini_get(const char *text, const char *key)
{
	const char *p = text;
	int in_section = 0;
	struct strbuf v = STRBUF_INIT;
	int found = 0;

	while (*p) {
		const char *eol = p + strcspn(p, "\n");
		size_t len = (size_t)(eol - p);
		const char *q = p;

		if (found) {
			if (len && (*p == ' ' || *p == '\t')) {
				while (q < eol && (*q == ' ' || *q == '\t'))
					q++;
				if (q < eol && *q != '#' && *q != ';') {
					sb_addc(&v, '\n');
					sb_add(&v, q, (size_t)(eol - q));
				}
				p = *eol ? eol + 1 : eol;
				continue;
			}
			break;
		}
		if (*p == '[') {
			in_section = !strncmp(p, "[alembic]", 9);
		} else if (in_section && len && *p != '#' && *p != ';' && *p != ' ' && *p != '\t') {
			size_t kl = strcspn(p, "=:\n");
			const char *ke = p + kl;

			while (ke > p && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			if ((size_t)(ke - p) == strlen(key) && !strncmp(p, key, strlen(key)) && p[kl] && p[kl] != '\n') {
				q = p + kl + 1;
				while (q < eol && (*q == ' ' || *q == '\t'))
					q++;
				sb_add(&v, q, (size_t)(eol - q));
				found = 1;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	if (!found) {
		sb_release(&v);
		return NULL;
	}
	while (v.len && isspace((unsigned char)v.buf[v.len - 1]))
		sb_setlen(&v, v.len - 1);
	return sb_detach(&v, NULL);
}

/* %(here)s -> dir, %% -> %; relative results are relative to the cwd. */
static char *ini_interp(const char *v, const char *here)
{
	struct strbuf sb = STRBUF_INIT;

	while (*v) {
		if (!strncmp(v, "%(here)s", 8)) {
			sb_adds(&sb, here);
			v += 8;
		} else if (!strncmp(v, "%%", 2)) {
			sb_addc(&sb, '%');
			v += 2;
		} else {
			sb_addc(&sb, *v++);
		}
	}
	return sb_detach(&sb, NULL);
}

static void split_locations(const char *v, const char *sep, struct strlist *out)
{
	const char *seps = " ,\n";

	if (sep && !strcmp(sep, "os"))
		seps = ":\n";
	else if (sep && !strcmp(sep, "space"))
		seps = " \n";
	else if (sep && !strcmp(sep, "newline"))
		seps = "\n";
	else if (sep && (!strcmp(sep, ":") || !strcmp(sep, ";") || !strcmp(sep, ",")))
		seps = sep;
	while (*v) {
		size_t n = strcspn(v, seps);

		if (n) {
			char *s = xstrndup(v, n);
			strlist_add(out, s);
			free(s);
		}
		v += n;
		if (*v)
			v++;
	}
}

/* ---- a little Python ---- */

struct pyval {
	int kind;                   /* 0 absent, 1 None, 2 string(s) */
	struct strlist items;
	int line;
};

static int line_of(const char *src, const char *p)
{
	int n = 1;

	for (; src < p; src++)
		if (*src == '\n')
			n++;
	return n;
}

/* A string literal at *pp (prefixes r, u, b; single, double, triple
 * quotes); appends its text to out, advances *pp.  -1 when it is not one. */
static int py_string(const char **pp, struct strbuf *out)
{
	const char *p = *pp;
	int raw = 0;
	char q;
	int triple;

	while (*p == 'r' || *p == 'R' || *p == 'u' || *p == 'U' || *p == 'b' || *p == 'B') {
		if (*p == 'r' || *p == 'R')
			raw = 1;
		p++;
	}
	if (*p != '"' && *p != '\'')
		return -1;
	q = *p;
	triple = p[1] == q && p[2] == q;
	p += triple ? 3 : 1;
	for (;;) {
		if (!*p)
			return -1;
		if (triple ? (p[0] == q && p[1] == q && p[2] == q) : *p == q) {
			p += triple ? 3 : 1;
			break;
		}
		if (!triple && *p == '\n')
			return -1;
		if (*p == '\\' && p[1] && !raw) {
			p++;
			sb_addc(out, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
			p++;
			continue;
		}
		sb_addc(out, *p++);
	}
	*pp = p;
	return 0;
}

static const char *skip_blank(const char *p, int newlines)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || (newlines && *p == '\n'))
			p++;
		if (newlines && *p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		return p;
	}
}

/* The module-level assignment of `key`: `key = V` or `key: ANNOTATION = V`,
 * V a string, None, or a tuple/list of strings.  The last one wins, as in
 * Python.  -1 with e naming file and line for anything else. */
static int py_assignment(const char *src, const char *path, const char *key, struct pyval *out, struct err *e)
{
	const char *p = src;
	size_t kl = strlen(key);
	struct strbuf s = STRBUF_INIT;

	out->kind = 0;
	while (*p) {
		const char *line = p, *v;

		p += strcspn(p, "\n");
		if (*p)
			p++;
		if (strncmp(line, key, kl) || !(line[kl] == ' ' || line[kl] == '\t' || line[kl] == ':' || line[kl] == '='))
			continue;
		v = skip_blank(line + kl, 0);
		if (*v == ':') {
			int depth = 0;

			for (v++; *v && *v != '\n' && !(depth == 0 && *v == '='); v++) {
				if (*v == '[' || *v == '(')
					depth++;
				else if (*v == ']' || *v == ')')
					depth--;
			}
			if (*v != '=')
				continue;    /* an annotation without a value */
		}
		if (*v != '=' || v[1] == '=')
			continue;
		v = skip_blank(v + 1, 0);
		strlist_clear(&out->items);
		out->line = line_of(src, line);
		if (!strncmp(v, "None", 4) && !isalnum((unsigned char)v[4]) && v[4] != '_') {
			out->kind = 1;
		} else if (*v == '(' || *v == '[') {
			char close = *v == '(' ? ')' : ']';

			v++;
			for (;;) {
				v = skip_blank(v, 1);
				if (*v == close)
					break;
				sb_reset(&s);
				if (py_string(&v, &s) < 0)
					goto bad;
				strlist_add(&out->items, s.buf);
				v = skip_blank(v, 1);
				if (*v == ',')
					v++;
				else if (*v != close)
					goto bad;
			}
			out->kind = out->items.n ? 2 : 1;
		} else {
			sb_reset(&s);
			if (py_string(&v, &s) < 0)
				goto bad;
			strlist_add(&out->items, s.buf);
			out->kind = 2;
		}
		p = v;
		if (*p)
			p += strcspn(p, "\n");
	}
	sb_release(&s);
	return 0;
bad:
	sb_release(&s);
	err_set(e, EXIT_DATAERR, "could not read \"%s\" in \"%s\": only a string, None or a tuple of strings "
		"is understood", key, path);
	err_where(e, path, out->line);
	return -1;
}

/* The module docstring's first non-empty line. */
static char *py_docline(const char *src)
{
	const char *p = skip_blank(src, 1);
	struct strbuf s = STRBUF_INIT;
	const char *t;
	size_t n;
	char *r;

	if (py_string(&p, &s) < 0) {
		sb_release(&s);
		return xstrdup("");
	}
	t = s.buf;
	while (*t == '\n' || *t == ' ')
		t++;
	n = strcspn(t, "\n");
	while (n && isspace((unsigned char)t[n - 1]))
		n--;
	r = xstrndup(t, n);
	sb_release(&s);
	return r;
}

/* ---- loading ---- */

static int add_file(struct migrator *m, const char *path, int *alloc, struct err *e)
{
	struct strbuf src = STRBUF_INIT;
	struct pyval rev = { 0, { NULL, 0 }, 0 }, down = { 0, { NULL, 0 }, 0 }, dep = { 0, { NULL, 0 }, 0 };
	struct mig_rev *r;
	int i, k = 0, ret = -1;

	if (mig_read_source(path, &src, e) < 0)
		goto out;
	if (py_assignment(src.buf, path, "revision", &rev, e) < 0 ||
	    py_assignment(src.buf, path, "down_revision", &down, e) < 0 ||
	    py_assignment(src.buf, path, "depends_on", &dep, e) < 0)
		goto out;
	if (rev.kind != 2 || rev.items.n != 1 || !*rev.items.v[0]) {
		err_set(e, EXIT_DATAERR, "could not determine the revision id of \"%s\": no `revision = \"...\"` "
			"at the top level", path);
		err_hint(e, "Alembic needs it too; every file in a versions directory is a revision");
		goto out;
	}
	if (m->nrevs == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 32;
		m->revs = xrealloc(m->revs, (size_t)*alloc * sizeof(*m->revs));
	}
	r = &m->revs[m->nrevs++];
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(rev.items.v[0]);
	r->path = xstrdup(path);
	r->line = rev.line;
	r->name = py_docline(src.buf);
	r->parents = xcalloc((size_t)(down.items.n + dep.items.n + 1), sizeof(char *));
	for (i = 0; i < down.items.n; i++)
		r->parents[k++] = xstrdup(down.items.v[i]);
	r->ndown = k;
	for (i = 0; i < dep.items.n; i++)
		r->parents[k++] = xstrdup(dep.items.v[i]);
	ret = 0;
out:
	strlist_clear(&rev.items);
	strlist_clear(&down.items);
	strlist_clear(&dep.items);
	sb_release(&src);
	return ret;
}

static int load_dir(struct migrator *m, const char *dir, int *alloc, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strlist names = { 0 };
	int i, ret = 0;

	if (!d)
		return err_sys(e, EXIT_CONFIG, errno, "could not open the Alembic versions directory \"%s\"", dir);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 3 && !strcmp(de->d_name + n - 3, ".py") && de->d_name[0] != '.' &&
		    strcmp(de->d_name, "__init__.py"))
			strlist_add(&names, de->d_name);
	}
	closedir(d);
	for (i = 0; i < names.n && ret == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names.v[i]);

		ret = add_file(m, path, alloc, e);
		free(path);
	}
	strlist_clear(&names);
	return ret;
}

static struct mig_rev *rev_get(struct migrator *m, const char *id)
{
	struct mig_rev key;

	key.id = (char *)id;
	return bsearch(&key, m->revs, (size_t)m->nrevs, sizeof(*m->revs), mig_rev_cmp_id);
}

static int build_graph(struct migrator *m, struct err *e)
{
	int i, j, k;
	char **p;

	qsort(m->revs, (size_t)m->nrevs, sizeof(*m->revs), mig_rev_cmp_id);
	for (i = 1; i < m->nrevs; i++)
		if (!strcmp(m->revs[i].id, m->revs[i - 1].id)) {
			err_set(e, EXIT_DATAERR, "revision \"%s\" is defined twice: \"%s\" and \"%s\"", m->revs[i].id,
				m->revs[i - 1].path, m->revs[i].path);
			return -1;
		}
	for (i = 0; i < m->nrevs; i++) {
		struct mig_rev *x = &m->revs[i];
		int w = 0;

		/* depends_on may name a branch label: only revision ids order the graph */
		for (k = 0; x->parents[k]; k++) {
			if (k >= x->ndown && !rev_get(m, x->parents[k])) {
				free(x->parents[k]);
				continue;
			}
			x->parents[w++] = x->parents[k];
		}
		x->parents[w] = NULL;
	}
	for (i = 0; i < m->nrevs; i++)
		for (p = m->revs[i].parents; p && *p; p++)
			if (!rev_get(m, *p)) {
				err_set(e, EXIT_DATAERR, "revision \"%s\" builds on \"%s\", which no file in the versions "
					"directories defines", m->revs[i].id, *p);
				err_where(e, m->revs[i].path, 0);
				return -1;
			}
	for (i = 0; i < m->nrevs; i++) {
		int child = 0;

		for (j = 0; j < m->nrevs && !child; j++)
			for (k = 0; k < m->revs[j].ndown && !child; k++)
				child = !strcmp(m->revs[j].parents[k], m->revs[i].id);
		if (!child) {
			m->heads = xrealloc(m->heads, (size_t)(m->nheads + 1) * sizeof(char *));
			m->heads[m->nheads++] = xstrdup(m->revs[i].id);
		}
	}
	return 0;
}

static int alembic_load(struct migrator *m, struct err *e)
{
	struct strbuf ini = STRBUF_INIT;
	struct strlist locs = { 0 };
	char *script = NULL, *vl = NULL, *sep = NULL, *here = NULL, cwd[4096];
	int i, alloc = 0, ret = -1;

	if (fs_read_file(INI_NAME, INI_CAP, &ini, EXIT_CONFIG, e) < 0)
		goto out;
	if (!getcwd(cwd, sizeof(cwd))) {
		err_sys(e, EXIT_INTERNAL, errno, "could not get the working directory");
		goto out;
	}
	here = xstrdup(cwd);
	script = ini_get(ini.buf, "script_location");
	if (!script || !*script) {
		err_set(e, EXIT_CONFIG, "\"%s\" has no script_location in its [alembic] section", INI_NAME);
		goto out;
	}
	vl = ini_get(ini.buf, "version_locations");
	sep = ini_get(ini.buf, "version_path_separator");
	if (sep)
		sep[strcspn(sep, " \t")] = '\0';   /* "os  # a comment" in new projects' alembic.ini */
	if (vl && *vl) {
		char *x = ini_interp(vl, here);

		split_locations(x, sep, &locs);
		free(x);
	} else {
		char *x = ini_interp(script, here), *v = xasprintf("%s/versions", x);

		strlist_add(&locs, v);
		free(v);
		free(x);
	}
	m->dir = xstrdup(locs.n ? locs.v[0] : ".");
	for (i = 0; i < locs.n; i++)
		if (load_dir(m, locs.v[i], &alloc, e) < 0)
			goto out;
	ret = build_graph(m, e);
out:
	free(script);
	free(vl);
	free(sep);
	free(here);
	strlist_clear(&locs);
	sb_release(&ini);
	return ret;
}

static int alembic_detect(const struct config *cfg)
{
	struct stat st;

	(void)cfg;
	return stat(INI_NAME, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- state ---- */

static int mark_applied(struct migrator *m, struct mig_rev *r)
{
	char **p;
	int n = 0;

	if (r->applied)
		return 0;
	r->applied = 1;
	n++;
	for (p = r->parents; p && *p; p++)
		n += mark_applied(m, rev_get(m, *p));
	return n;
}

static int alembic_read_state(struct migrator *m, struct db *db, struct tool_state *st, struct err *e)
{
	const char *cmd = m->cfg->migrate_cmd ? m->cfg->migrate_cmd : m->ops->default_cmd;
	const struct mig_rev **order;
	PGresult *r;
	int i, n;

	for (i = 0; i < m->nrevs; i++)
		m->revs[i].applied = 0;
	r = db_query(db, "SELECT pg_catalog.to_regclass('alembic_version') IS NOT NULL", 0, NULL, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	st->tracking_exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (st->tracking_exists) {
		r = db_query(db, "SELECT version_num FROM alembic_version ORDER BY 1", 0, NULL, EXIT_INTERNAL, e);
		if (!r)
			return -1;
		for (i = 0; i < PQntuples(r); i++)
			strlist_add(&st->current_rows, PQgetvalue(r, i, 0));
		PQclear(r);
	}
	for (i = 0; i < st->current_rows.n; i++) {
		struct mig_rev *cur = rev_get(m, st->current_rows.v[i]);

		if (!cur) {
			err_set(e, EXIT_DRIFT, "the database is at Alembic revision \"%s\", which no file in \"%s\" defines",
				st->current_rows.v[i], m->dir);
			err_hint(e, "deploy the code that has this revision, or point alembic.ini at the right "
				 "versions directory; \"alembic upgrade\" would fail the same way");
			return -1;
		}
		st->napplied += mark_applied(m, cur);
	}
	mig_label(st->current_rows.v, st->current_rows.n, st->current, sizeof(st->current));
	mig_label(m->heads, m->nheads, st->target, sizeof(st->target));
	/* parents first (ties by id): the order `upgrade heads` runs them in */
	order = xcalloc((size_t)m->nrevs + 1, sizeof(*order));
	n = mig_topo_order(m, order);
	st->pending = xcalloc((size_t)m->nrevs + 1, sizeof(*st->pending));
	for (i = 0; i < n; i++)
		if (!order[i]->applied)
			st->pending[st->npending++] = (struct mig_rev *)order[i];
	free(order);
	if (n != m->nrevs) {
		err_set(e, EXIT_DATAERR, "the Alembic revisions in \"%s\" form a cycle", m->dir);
		return -1;
	}
	if (st->npending && m->nheads > 1 && !strstr(cmd, "heads")) {
		err_set(e, EXIT_DATAERR, "the Alembic revisions have %d heads (%s) and no merge revision; "
			"\"%s\" would fail", m->nheads, st->target, cmd);
		err_hint(e, "merge them (alembic merge -m \"merge\" %s) or, when the branches are meant to stay "
			 "apart, set --migrate-cmd 'alembic upgrade heads'", st->target);
		return -1;
	}
	return 0;
}

static int alembic_reset_to(struct migrator *m, struct db *db, const struct mig_rev *rev, struct err *e)
{
	const char *params[1];
	PGresult *r;

	(void)m;
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
		    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))", EXIT_INTERNAL, e) < 0 ||
	    db_exec(db, "DELETE FROM alembic_version", EXIT_INTERNAL, e) < 0)
		return -1;
	if (!rev)
		return 0;
	params[0] = rev->id;
	r = db_query(db, "INSERT INTO alembic_version (version_num) VALUES ($1)", 1, params, EXIT_INTERNAL, e);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* `alembic upgrade FROM:head --sql`: offline mode prints the SQL of every
 * pending revision after a "-- Running upgrade A -> B" line, without a
 * database.  Only with the default command (a custom --migrate-cmd may run
 * Alembic some other way) and one current revision (FROM:head cannot start
 * from several branches). */
static int alembic_offline_sql(struct migrator *m, struct db *db, const struct tool_state *st, struct strbuf *out,
			       struct err *e)
{
	char range[600];
	char *argv[] = { "alembic", "upgrade", range, "--sql", NULL };

	if (m->cfg->migrate_cmd)
		return err_set(e, EXIT_CONFIG, "offline mode needs the default command (--migrate-cmd is set)");
	if (strchr(st->current, ','))
		return err_set(e, EXIT_CONFIG, "offline mode cannot start from several branches (%s)", st->current);
	if (m->nheads != 1)
		return err_set(e, EXIT_CONFIG, "offline mode needs one head");
	if (st->current[0])
		snprintf(range, sizeof(range), "%s:head", st->current);
	else
		snprintf(range, sizeof(range), "head");
	return migrator_capture(m, db, argv, out, 64u << 20, e);
}

static const char *const tracking_writes[] = {
	"INSERT INTO alembic_version", "UPDATE alembic_version", "-DELETE FROM alembic_version", NULL,
};

const struct migrator_ops migrator_alembic = {
	"alembic", "alembic_version", "alembic upgrade head", tracking_writes,
	alembic_detect, alembic_load, alembic_read_state, alembic_reset_to, NULL, NULL, alembic_offline_sql,
};
