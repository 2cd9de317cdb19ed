#!/usr/bin/env python3
# cost: 5
"""`predeploy copy --into`: a staging copy of the database, as another role,
anonymised in the restore's transaction, with expectations checked before
commit."""
import os
import signal
import time

from harness import case, main, Env
import pgserver

STG_PW = "stg-Pw9!Kx2secret"

PEOPLE = """
create table people(
  id bigint primary key, email text not null, full_name text, phone text, street text,
  birth_date date, last_ip inet, plan text not null);
insert into people
select i, 'user' || i || '@gmail.com', 'Person ' || i, '+33 6 12 34 ' || lpad(i::text, 5, '0'),
       i || ' rue de la Paix', date '1980-01-01' + (i % 9000), ('10.0.' || (i % 250) || '.' || (i % 250))::inet,
       case when i % 3 = 0 then 'pro' else 'free' end
from generate_series(1, 50000) i;
create table plans(name text primary key);
insert into plans values ('free'), ('pro');
"""

ANON = """-- the team's anonymisation: every category of personal data
update people set
  email = 'user' || id || '@example.invalid',
  full_name = 'Person ' || id,
  phone = '+00 000 ' || lpad(id::text, 7, '0'),
  street = 'Street ' || id,
  birth_date = date '1970-01-01' + (id % 365)::int,
  last_ip = '192.0.2.1';
-- predeploy:expect 0 rows
select id from people where email not like '%@example.invalid';
-- predeploy:expect 0 rows
select id from people where phone not like '+00 %';
-- predeploy:expect 2 rows
select name from plans;
"""


class Staging:
    def __init__(self, t: Env):
        self.t = t
        self.role = ("stg_%d" % os.getpid())[:60]
        self.db = ("stgdb_%s" % t.db)[:60]
        t.sql('drop database if exists "%s" with (force)' % self.db)
        t.sql("drop role if exists %s" % self.role)
        t.sql("create role %s login createdb password '%s'" % (self.role, STG_PW))
        self.url = "postgresql://%s:%s@127.0.0.1:%d/%s" % (
            self.role, STG_PW.replace("!", "%21"), t.pg["port"], self.db)

    def sql(self, q):
        return self.t.sql(q, db=self.db)

    def exists(self):
        return self.t.sql("select count(*) from pg_database where datname = '%s'" % self.db) == "1"

    def close(self):
        self.t.sql('drop database if exists "%s" with (force)' % self.db)
        self.t.sql("drop role if exists %s" % self.role)


def no_leak(t: Env):
    for r in t.outputs:
        assert STG_PW not in r.out + r.err and "Kx2secret" not in r.out + r.err, r


@case
def copy_50000_rows_as_another_role_anonymised(t: Env):
    t.sql(PEOPLE)
    t.sql("grant select on people to %s" % pgserver.ROLE)
    t.write("anonymize.sql", ANON)
    s = Staging(t)
    try:
        os.makedirs(t.path("tmp"))
        r = t.run("copy", "--into", s.url, "--no-owner", "--role-map", "%s=%s" % (pgserver.ROLE, s.role),
                  "--anonymize", "anonymize.sql", env={"TMPDIR": t.path("tmp")})
        t.expect(r, 0)
        assert t.path("tmp") in r.err, r
        assert "3 expectations met" in r.err, r
        assert s.exists()
        assert s.sql("select count(*) from people") == "50000"
        assert s.sql("select count(*) from people where email like '%gmail%' or phone like '+33%' "
                     "or street like '% rue %' or last_ip <> '192.0.2.1'") == "0"
        assert s.sql("select pg_get_userbyid(datdba) from pg_database where datname = current_database()") == s.role
        assert s.sql("select tableowner from pg_tables where tablename = 'people'") == s.role
        # the grant to the source's role went to the staging role
        assert s.sql("select has_table_privilege('%s', 'people', 'select')" % s.role) == "t"
        # the source is untouched, and no dump is left behind
        assert t.sql("select count(*) from people where email like '%gmail.com'") == "50000"
        assert os.listdir(t.path("tmp")) == []
        # copying again replaces the staging database's contents
        t.sql("insert into plans values ('team')")
        t.write("anonymize.sql", ANON.replace("expect 2 rows", "expect 3 rows"))
        # without --no-owner the dump's owner (postgres) is mapped to the staging role
        t.expect(t.run("copy", "--into", s.url, "--role-map", "postgres=%s,%s=%s" % (s.role, pgserver.ROLE, s.role),
                       "--anonymize", "anonymize.sql", "--no-backup"), 0)
        assert s.sql("select count(*) from plans") == "3"
        assert s.sql("select tableowner from pg_tables where tablename = 'plans'") == s.role
        # unmapped, the staging role cannot take the owner's place: nothing changes
        r = t.run("copy", "--into", s.url, "--no-backup")
        t.expect(r, 77)
        assert 'must be member of role "postgres"' in r.err and "--role-map" in r.err, r
        assert s.sql("select count(*) from plans") == "3"
        no_leak(t)
    finally:
        s.close()


@case
def failed_expectation_is_11_and_nothing_committed(t: Env):
    t.sql(PEOPLE)
    # forgets the phone numbers
    t.write("anonymize.sql", ANON.replace("  phone = '+00 000 ' || lpad(id::text, 7, '0'),\n", ""))
    s = Staging(t)
    try:
        r = t.run("copy", "--into", s.url, "--no-owner", "--anonymize", "anonymize.sql")
        t.expect(r, 11)
        assert "anonymize.sql:11" in r.err and "returned 50000 rows, expected 0" in r.err, r
        assert "nothing of the copy was committed" in r.err, r
        # the target holds no personal data: created empty, or not at all
        if s.exists():
            assert s.sql("select count(*) from pg_tables where schemaname = 'public'") == "0"
        no_leak(t)
    finally:
        s.close()


@case
def copy_into_a_name_on_the_same_server(t: Env):
    t.sql("create table a(x int); insert into a values (1), (2)")
    target = ("c_%s" % t.db)[:60]
    try:
        r = t.run("copy", "--into", target)
        t.expect(r, 0)
        assert t.sql("select count(*) from a", db=target) == "2"
        # into itself: refused
        t.expect(t.run("copy", "--into", t.db), 64)
        t.expect(t.run("copy"), 64)
    finally:
        t.sql('drop database if exists "%s" with (force)' % target)


@case
def bad_anonymize_file_touches_nothing(t: Env):
    t.sql("create table a(x int)")
    s = Staging(t)
    try:
        t.write("a1.sql", "update a set x = 1;\ncommit;\n")
        r = t.run("copy", "--into", s.url, "--anonymize", "a1.sql")
        t.expect(r, 65)
        assert "a1.sql:2" in r.err and "commit" in r.err.lower(), r
        t.write("a2.sql", "-- predeploy:expect some rows\nselect 1;\n")
        r = t.run("copy", "--into", s.url, "--anonymize", "a2.sql")
        t.expect(r, 65)
        assert "a2.sql:1" in r.err, r
        t.write("a3.sql", "select 1;\n-- predeploy:expect 0 rows\n")
        t.expect(t.run("copy", "--into", s.url, "--anonymize", "a3.sql"), 65)
        t.expect(t.run("copy", "--into", s.url, "--role-map", "nonsense"), 64)
        assert not s.exists()
        no_leak(t)
    finally:
        s.close()


@case
def sigterm_mid_copy_commits_nothing(t: Env):
    t.sql(PEOPLE)
    t.write("anonymize.sql", ANON.replace("-- predeploy:expect 2 rows", "select pg_sleep(60);\n-- predeploy:expect 2 rows"))
    s = Staging(t)
    try:
        os.makedirs(t.path("tmp"))
        p = t.spawn("copy", "--into", s.url, "--no-owner", "--anonymize", "anonymize.sql",
                    env={"TMPDIR": t.path("tmp")})
        deadline = time.time() + 60
        while time.time() < deadline:
            if t.sql("select count(*) from pg_stat_activity where query like 'select pg_sleep(60)%'") != "0":
                break
            time.sleep(0.05)
        else:
            p.kill()
            raise AssertionError("the copy never reached the anonymisation")
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
        assert s.sql("select count(*) from pg_tables where schemaname = 'public'") == "0"
        assert STG_PW not in err
        assert os.listdir(t.path("tmp")) == []
    finally:
        s.close()


@case
def password_never_in_pg_dump_argv(t: Env):
    t.sql("create table a(x int)")
    real = os.path.join(t.pg["bindir"], "pg_dump")
    t.write("pg_dump_spy", "#!/bin/sh\nprintf '%%s\\n' \"$0\" \"$@\" >> \"%s\"\n"
            "test -n \"$PGPASSWORD\" && echo has-env >> \"%s\"\nexec \"%s\" \"$@\"\n"
            % (t.path("argv.log"), t.path("argv.log"), real))
    os.chmod(t.path("pg_dump_spy"), 0o755)
    target = ("c_%s" % t.db)[:60]
    try:
        t.expect(t.run("copy", "--into", target, "--pg-dump", t.path("pg_dump_spy")), 0)
        log = open(t.path("argv.log")).read()
        assert "has-env" in log and "--dbname" in log, log
        assert pgserver.PASSWORD not in log and "Zq8" not in log, log
    finally:
        t.sql('drop database if exists "%s" with (force)' % target)


@case
def restore_into_url_with_anonymize(t: Env):
    t.sql(PEOPLE)
    t.write("anonymize.sql", ANON)
    t.expect(t.run("backup"), 0)
    s = Staging(t)
    try:
        r = t.run("restore", "--force", "--into", s.url, "--no-owner", "--anonymize", "anonymize.sql")
        t.expect(r, 0)
        assert s.sql("select count(*) from people where email like '%@example.invalid'") == "50000"
        no_leak(t)
    finally:
        s.close()


if __name__ == "__main__":
    main()
