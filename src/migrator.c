/* migrator: see migrator.h. */
#include "migrator.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SOURCE_CAP (4u * 1024 * 1024)   /* one migration source file */
#define TAIL_LINES 20

static const struct migrator_ops *const adapters[] = {
	&migrator_sql, &migrator_alembic, &migrator_mikro_orm, &migrator_prisma, &migrator_command,
};

#define NADAPTERS ((int)(sizeof(adapters) / sizeof(adapters[0])))

const struct migrator_ops *migrator_find(const char *name)
{
	int i;

	for (i = 0; i < NADAPTERS; i++)
		if (!strcmp(adapters[i]->name, name))
			return adapters[i];
	return NULL;
}

int migrator_is_sql(const struct migrator *m)
{
	return m->ops == &migrator_sql;
}

/* ---- the sql engine's entry: name and detection only ---- */

/* Files predeploy's engine does not read, and who probably does. */
static void warn_unread(const struct config *cfg)
{
	DIR *d = opendir(cfg->dir);
	struct dirent *de;
	const char *first = NULL, *who = NULL;
	char firstbuf[256];
	int n = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');
		const char *guess = NULL;

		if (!dot || de->d_name[0] == '.')
			continue;
		if (!strcmp(dot, ".py"))
			guess = "alembic";
		else if (!strcmp(dot, ".ts") || !strcmp(dot, ".js") || !strcmp(dot, ".mjs") || !strcmp(dot, ".cjs"))
			guess = !strncmp(de->d_name, "Migration", 9) ? "mikro-orm" : "command";
		if (!guess)
			continue;
		if (!n++) {
			xstrlcpy(firstbuf, de->d_name, sizeof(firstbuf));
			first = firstbuf;
			who = guess;
		}
	}
	closedir(d);
	if (n)
		log_warn("%d file%s in \"%s\" (\"%s\"%s) %s not read by predeploy's SQL engine; "
			 "if another tool owns these migrations, run it through predeploy with --migrator %s",
			 n, n == 1 ? "" : "s", cfg->dir, first, n > 1 ? ", ..." : "", n == 1 ? "is" : "are", who);
}

static int sql_detect(const struct config *cfg)
{
	(void)cfg;
	return 0;
}

static int sql_load(struct migrator *m, struct err *e)
{
	(void)e;
	warn_unread(m->cfg);
	return 0;
}

const struct migrator_ops migrator_sql = {
	"sql", NULL, NULL, NULL, sql_detect, sql_load, NULL, NULL, NULL, NULL, NULL,
};

/* ---- resolution ---- */

int migrator_open(struct migrator *m, const struct config *cfg, struct err *e)
{
	const char *want = cfg->migrator && *cfg->migrator ? cfg->migrator : "auto";
	const struct migrator_ops *found[NADAPTERS];
	int i, n = 0;

	m->cfg = cfg;
	if (!strcmp(want, "auto")) {
		for (i = 0; i < NADAPTERS; i++)
			if (adapters[i]->detect(cfg))
				found[n++] = adapters[i];
		if (n > 1) {
			err_set(e, EXIT_CONFIG, "--migrator auto found both %s and %s in this directory", found[0]->name,
				found[1]->name);
			err_hint(e, "say which tool applies the migrations: --migrator %s or --migrator %s "
				 "(PREDEPLOY_MIGRATOR)", found[0]->name, found[1]->name);
			return -1;
		}
		m->ops = n ? found[0] : &migrator_sql;
		m->auto_detected = 1;
		if (n)
			log_info("migrator: %s (detected in the working directory; --migrator to choose)", m->ops->name);
	} else {
		m->ops = migrator_find(want);
		if (!m->ops)
			return err_set(e, EXIT_CONFIG, "unknown migrator \"%s\"", want);
	}
	m->root = xstrdup(".");
	if (m->ops == &migrator_command && !cfg->migrate_cmd)
		return err_set(e, EXIT_CONFIG, "--migrator command needs --migrate-cmd (the command that applies "
			       "pending migrations)");
	return m->ops->load ? m->ops->load(m, e) : 0;
}

void mig_revs_free(struct mig_rev *v, int n)
{
	int i;
	char **p;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].path);
		for (p = v[i].parents; p && *p; p++)
			free(*p);
		free(v[i].parents);
	}
	free(v);
}

void migrator_close(struct migrator *m)
{
	int i;

	mig_revs_free(m->revs, m->nrevs);
	for (i = 0; i < m->nheads; i++)
		free(m->heads[i]);
	free(m->heads);
	free(m->root);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}

void tool_state_release(struct tool_state *st)
{
	strlist_clear(&st->current_rows);
	free(st->pending);
	memset(st, 0, sizeof(*st));
}

const struct mig_rev *migrator_find_rev(const struct migrator *m, const char *id, struct err *e)
{
	const struct mig_rev *hit = NULL;
	size_t n = strlen(id);
	int i, matches = 0;

	for (i = 0; i < m->nrevs; i++)
		if (!strcmp(m->revs[i].id, id))
			return &m->revs[i];
	for (i = 0; n >= 4 && i < m->nrevs; i++)
		if (!strncmp(m->revs[i].id, id, n)) {
			hit = &m->revs[i];
			matches++;
		}
	if (matches == 1)
		return hit;
	if (matches > 1) {
		err_set(e, EXIT_USAGE, "revision \"%s\" is ambiguous: %d %s revisions start with it", id, matches,
			m->ops->name);
		return NULL;
	}
	err_set(e, EXIT_USAGE, "no %s revision \"%s\" in \"%s\"", m->ops->name, id, m->dir ? m->dir : ".");
	if (m->nrevs) {
		struct strbuf sb = STRBUF_INIT;

		for (i = 0; i < m->nrevs && i < 12; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", m->revs[i].id);
		if (m->nrevs > 12)
			sb_adds(&sb, ", ...");
		err_detail(e, "known revisions: %s", sb.buf);
		sb_release(&sb);
	}
	return NULL;
}

void mig_label(char *const *ids, int n, char *buf, size_t cap)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + len, cap - len, "%s%s", i ? "," : "", ids[i]);

		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
}

void mig_sanitize(const char *id, char *out, size_t cap)
{
	size_t i;

	for (i = 0; id[i] && i + 1 < cap; i++) {
		char ch = id[i];

		out[i] = isalnum((unsigned char)ch) || ch == '-' || (ch == '.' && i) ? ch : '-';
	}
	out[i] = '\0';
}

int mig_rev_cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct mig_rev *)a)->id, ((const struct mig_rev *)b)->id);
}

static int rev_index(const struct migrator *m, const char *id)
{
	struct mig_rev key, *hit;

	key.id = (char *)id;
	hit = bsearch(&key, m->revs, (size_t)m->nrevs, sizeof(*m->revs), mig_rev_cmp_id);
	return hit ? (int)(hit - m->revs) : -1;
}

int mig_topo_order(const struct migrator *m, const struct mig_rev **out)
{
	char *placed = xcalloc((size_t)m->nrevs + 1, 1);
	int n = 0, progress, i;

	do {
		progress = 0;
		for (i = 0; i < m->nrevs; i++) {
			char **p;
			int ready = !placed[i];

			for (p = m->revs[i].parents; ready && p && *p; p++) {
				int k = rev_index(m, *p);

				ready = k < 0 || placed[k] == 1;
			}
			if (ready) {
				placed[i] = 2;    /* this round's: children wait for the next */
				out[n++] = &m->revs[i];
				progress = 1;
			}
		}
		for (i = 0; i < m->nrevs; i++)
			if (placed[i] == 2)
				placed[i] = 1;
	} while (progress);
	free(placed);
	return n;
}

void mig_state_linear(struct migrator *m, struct tool_state *st)
{
	int i;

	if (st->current_rows.n)
		xstrlcpy(st->current, st->current_rows.v[st->current_rows.n - 1], sizeof(st->current));
	if (m->nrevs)
		xstrlcpy(st->target, m->revs[m->nrevs - 1].id, sizeof(st->target));
	st->pending = xcalloc((size_t)m->nrevs + 1, sizeof(*st->pending));
	for (i = 0; i < m->nrevs; i++) {
		m->revs[i].applied = strlist_has(&st->current_rows, m->revs[i].id);
		if (m->revs[i].applied)
			st->napplied++;
		else
			st->pending[st->npending++] = &m->revs[i];
	}
}

int mig_read_source(const char *path, struct strbuf *out, struct err *e)
{
	sb_reset(out);
	return fs_read_file(path, SOURCE_CAP, out, EXIT_DATAERR, e);
}

/* ---- the command line ---- */

char **argv_split(const char *cmd, const char *what, struct err *e)
{
	struct strlist words = { 0 };
	struct strbuf w = STRBUF_INIT;
	const char *p = cmd;
	char **argv;
	int i;

	for (;;) {
		int in_word = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		sb_reset(&w);
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\n')) {
			in_word = 1;
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');

				if (!end)
					goto unterminated;
				sb_add(&w, p + 1, (size_t)(end - p - 1));
				p = end + 1;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
						p++;
					sb_addc(&w, *p);
				}
				if (*p != '"')
					goto unterminated;
				p++;
			} else if (*p == '\\' && p[1]) {
				sb_addc(&w, p[1]);
				p += 2;
			} else {
				sb_addc(&w, *p++);
			}
		}
		if (in_word)
			strlist_add(&words, w.buf);
	}
	sb_release(&w);
	if (!words.n) {
		err_set(e, EXIT_CONFIG, "%s is empty", what);
		return NULL;
	}
	argv = xcalloc((size_t)words.n + 1, sizeof(*argv));
	for (i = 0; i < words.n; i++)
		argv[i] = words.v[i];
	free(words.v);
	return argv;
unterminated:
	sb_release(&w);
	strlist_clear(&words);
	err_set(e, EXIT_CONFIG, "%s has an unterminated quote: %s", what, cmd);
	return NULL;
}

void argv_free(char **argv)
{
	char **p;

	for (p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

/* ---- the child's environment ---- */

static void url_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			sb_addc(sb, (char)c);
		else
			sb_addf(sb, "%%%02X", c);
	}
}

/* postgresql://user:password@host:port/dbname, each part percent-encoded;
 * sslmode and friends ride along as parameters. */
static char *conn_url(struct db *db, const char *pw)
{
	static const char *const carried[] = { "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", NULL };
	PQconninfoOption *opts = PQconninfo(db->conn), *o;
	struct strbuf sb = STRBUF_INIT;
	int i, nparam = 0;

	sb_adds(&sb, "postgresql://");
	url_escape(&sb, db->user);
	if (pw) {
		sb_addc(&sb, ':');
		url_escape(&sb, pw);
	}
	sb_addc(&sb, '@');
	if (db->host[0] != '/') {
		url_escape(&sb, db->host);
		if (db->port[0])
			sb_addf(&sb, ":%s", db->port);
	}
	sb_addc(&sb, '/');
	url_escape(&sb, db->dbname);
	if (db->host[0] == '/') {
		/* a unix socket: the ?host= form that libpq, psycopg2, SQLAlchemy and
		 * node-postgres all read (a percent-encoded path as host is not) */
		sb_adds(&sb, "?host=");
		url_escape(&sb, db->host);
		if (db->port[0])
			sb_addf(&sb, "&port=%s", db->port);
		nparam = 2;
	}
	for (o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		for (i = 0; carried[i]; i++)
			if (!strcmp(o->keyword, carried[i]) && !(!strcmp(o->keyword, "sslmode") && !strcmp(o->val, "prefer"))) {
				sb_addc(&sb, nparam++ ? '&' : '?');
				sb_addf(&sb, "%s=", o->keyword);
				url_escape(&sb, o->val);
			}
	}
	if (opts)
		PQconninfoFree(opts);
	return sb_detach(&sb, NULL);
}

static void template_expand(const char *t, struct db *db, const char *pw, const char *url, struct strbuf *out)
{
	while (*t) {
		const char *v = NULL;
		size_t skip = 0;

		if (*t == '{') {
			static const char *const keys[] = { "{host}", "{port}", "{user}", "{password}", "{dbname}", "{url}" };
			const char *vals[6];
			int i;

			vals[0] = db->host;
			vals[1] = db->port;
			vals[2] = db->user;
			vals[3] = pw ? pw : "";
			vals[4] = db->dbname;
			vals[5] = url;
			for (i = 0; i < 6; i++)
				if (!strncmp(t, keys[i], strlen(keys[i]))) {
					v = vals[i];
					skip = strlen(keys[i]);
				}
		}
		if (v) {
			sb_adds(out, v);
			t += skip;
		} else {
			sb_addc(out, *t++);
		}
	}
}

char **migrator_child_env(const struct migrator *m, struct db *db, struct err *e)
{
	static const char *const cleared[] = { "PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE",
					       "PGSERVICE", "PGPASSFILE", NULL };
	struct strlist env = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char *pw = db_password(db), *url = conn_url(db, pw);
	const char *const *v;
	int i;

	(void)e;
	for (v = cleared; *v; v++)
		strlist_add(&env, *v);
	sb_addf(&sb, "DATABASE_URL=%s", url);
	strlist_add(&env, sb.buf);
	for (v = m->ops->url_vars; v && *v; v++) {
		sb_reset(&sb);
		sb_addf(&sb, "%s=%s", *v, url);
		strlist_add(&env, sb.buf);
	}
	for (i = 0; i < m->cfg->migrate_env.n; i++) {
		const char *t = m->cfg->migrate_env.v[i];
		size_t nl = strcspn(t, "=");

		sb_reset(&sb);
		sb_add(&sb, t, nl + 1);
		template_expand(t + nl + 1, db, pw, url, &sb);
		strlist_add(&env, sb.buf);
	}
	memset(sb.buf, 0, sb.len);
	sb_release(&sb);
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	memset(url, 0, strlen(url));
	free(url);
	return env.v;
}

void env_free(char **env)
{
	char **p;

	for (p = env; p && *p; p++) {
		memset(*p, 0, strlen(*p));
		free(*p);
	}
	free(env);
}

/* ---- running the tool ---- */

struct capture {
	struct strbuf *out;
	size_t cap;
};

static int capture_stdout(void *arg, const void *buf, size_t n, struct err *e)
{
	struct capture *c = arg;

	if (c->out->len + n > c->cap)
		return err_set(e, EXIT_MIGRATION, "the tool printed more than %zu bytes", c->cap);
	sb_add(c->out, buf, n);
	return 0;
}

static int spawn_tool_out(struct migrator *m, struct db *db, char **argv, const char *prefix, int64_t timeout_ms,
			  struct capture *cap, struct proc_result *r, struct err *e)
{
	struct proc_spawn_opts o = PROC_SPAWN_OPTS_INIT;
	char **env = migrator_child_env(m, db, e);
	int rc;

	if (!env)
		return -1;
	if (cap) {
		o.on_stdout = capture_stdout;
		o.arg = cap;
	}
	o.argv = (const char *const *)argv;
	o.env = (const char *const *)env;
	o.cwd = m->root;
	o.log_prefix = prefix;
	o.timeout_ms = timeout_ms;
	o.tail_lines = TAIL_LINES;
	o.fail_code = EXIT_MIGRATION;
	rc = proc_spawn(&o, r, e);
	env_free(env);
	return rc;
}

static int spawn_tool(struct migrator *m, struct db *db, char **argv, const char *prefix, int64_t timeout_ms,
		      struct proc_result *r, struct err *e)
{
	return spawn_tool_out(m, db, argv, prefix, timeout_ms, NULL, r, e);
}

int migrator_capture(struct migrator *m, struct db *db, char **argv, struct strbuf *out, size_t cap, struct err *e)
{
	struct proc_result r = PROC_RESULT_INIT;
	struct capture c = { out, cap };
	char prefix[64];
	int ret = -1;

	snprintf(prefix, sizeof(prefix), "%s: ", argv[0]);
	if (spawn_tool_out(m, db, argv, prefix, m->cfg->migrate_timeout_ms, &c, &r, e) == 0) {
		if (r.exited && r.exit_status == 0)
			ret = 0;
		else
			err_set(e, EXIT_MIGRATION, "\"%s\" failed (%s %d)", argv[0], r.exited ? "exit status" : "signal",
				r.exited ? r.exit_status : r.termsig);
	}
	proc_result_release(&r);
	return ret;
}

/* The tool's lines go on to the error, the webhook, the termination message
 * and history: a tool that prints its connection string must not carry the
 * password there. */
static void redact_tail(struct strbuf *tail)
{
	struct strbuf red = STRBUF_INIT;

	log_redact(tail->buf, &red);
	sb_reset(tail);
	sb_add(tail, red.buf, red.len);
	sb_release(&red);
}

int migrator_run(struct migrator *m, struct db *db, struct migrator_run *res, struct err *e)
{
	return migrator_run_cmd(m, db, m->cfg->migrate_cmd ? m->cfg->migrate_cmd : m->ops->default_cmd,
				"--migrate-cmd", m->cfg->migrate_timeout_ms, res, e);
}

int migrator_run_cmd(struct migrator *m, struct db *db, const char *cmd, const char *option, int64_t timeout_ms,
		     struct migrator_run *res, struct err *e)
{
	struct proc_result r = PROC_RESULT_INIT;
	char **argv = argv_split(cmd, option, e), prefix[64], dur[32];
	int ret = -1;

	sb_init(&res->tail, 0);
	if (!argv)
		return -1;
	snprintf(prefix, sizeof(prefix), "%s: ", argv[0]);
	log_info("running \"%s\" (%s)", cmd, strcmp(option, "--migrate-cmd") ? option + 2 : m->ops->name);
	if (spawn_tool(m, db, argv, prefix, timeout_ms, &r, e) < 0) {
		redact_tail(&r.tail);
		if (r.exec_errno == ENOENT)
			err_hint(e, "install %s in the image, or set %s to the right command", argv[0], option);
		if (r.tail.len && e->code < 128)
			err_detail(e, "%s", r.tail.buf);
		goto out;
	}
	redact_tail(&r.tail);
	if (!r.exited || r.exit_status) {
		if (r.termsig)
			err_set(e, EXIT_MIGRATION, "\"%s\" was killed by signal %d after %s", cmd, r.termsig,
				duration_format(r.duration_ms, dur, sizeof(dur)));
		else
			err_set(e, EXIT_MIGRATION, "\"%s\" failed (exit status %d) after %s", cmd, r.exit_status,
				duration_format(r.duration_ms, dur, sizeof(dur)));
		if (r.tail.len)
			err_detail(e, "%s", r.tail.buf);
		goto out;
	}
	ret = 0;
out:
	res->duration_ms = r.duration_ms;
	sb_adds(&res->tail, r.tail.buf);
	proc_result_release(&r);
	argv_free(argv);
	return ret;
}

void migrator_run_release(struct migrator_run *res)
{
	sb_release(&res->tail);
}

int migrator_pending_cmd(struct migrator *m, struct db *db, struct err *e)
{
	struct proc_result r = PROC_RESULT_INIT;
	char **argv = argv_split(m->cfg->pending_cmd, "--pending-cmd", e), prefix[64];
	int ret = -1;

	if (!argv)
		return -1;
	snprintf(prefix, sizeof(prefix), "%s: ", argv[0]);
	if (spawn_tool(m, db, argv, prefix, m->cfg->migrate_timeout_ms, &r, e) < 0)
		goto out;
	if (r.exited && (r.exit_status == 0 || r.exit_status == 3)) {
		ret = r.exit_status == 3;
		goto out;
	}
	err_set(e, EXIT_MIGRATION, "--pending-cmd \"%s\" exited with status %d; expected 0 (up to date) "
		"or 3 (pending)", m->cfg->pending_cmd, r.exited ? r.exit_status : 128 + r.termsig);
	if (r.tail.len)
		err_detail(e, "%s", r.tail.buf);
out:
	proc_result_release(&r);
	argv_free(argv);
	return ret;
}

/* ---- command: any tool ---- */

static int command_detect(const struct config *cfg)
{
	(void)cfg;
	return 0;
}

static int command_read_state(struct migrator *m, struct db *db, struct tool_state *st, struct err *e)
{
	int rc;

	if (!m->cfg->pending_cmd) {
		st->pending_unknown = 1;
		return 0;
	}
	rc = migrator_pending_cmd(m, db, e);
	if (rc < 0)
		return -1;
	st->pending_unknown = rc;    /* pending, but which revisions the tool does not say */
	return 0;
}

const struct migrator_ops migrator_command = {
	"command", NULL, NULL, NULL, command_detect, NULL, command_read_state, NULL, NULL, NULL, NULL,
};
