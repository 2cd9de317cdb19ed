#!/usr/bin/env python3
# cost: 1
"""The capture relay (src/relay.c, through tests/integration/relay_driver.c)
between real clients and the real server: psql's simple protocol, psycopg2
(Debian's, simple protocol), node-postgres (extended protocol: Parse/Bind/
Execute) when installed, two connections at once, SSLRequest answered 'N'
with sslmode=prefer, password authentication relayed (and never captured),
an oversized message refused with a clear error and no crash."""
import json
import os
import shutil
import socket
import struct
import subprocess
import threading

from harness import case, main, Env
import pgserver

DRIVER = os.environ.get("PREDEPLOY_RELAY_DRIVER", "")
NPM = os.path.expanduser(os.environ.get("PREDEPLOY_NPM_CACHE", "~/.cache/predeploy-npm"))


class Relay:
    def __init__(self, t: Env, *extra):
        self.p = subprocess.Popen([DRIVER, "127.0.0.1", str(t.pg["port"])] + [str(x) for x in extra],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line.startswith("port "), line
        self.port = int(line.split()[1])
        self.url = t.url.replace(":%d/" % t.pg["port"], ":%d/" % self.port)

    def stop(self):
        out, _ = self.p.communicate(timeout=30)
        assert self.p.returncode == 0, out
        lines = [json.loads(x) for x in out.splitlines() if x.strip()]
        return lines[:-1], lines[-1]


def psql(t: Env, url, sql):
    return subprocess.run([os.path.join(t.pg["bindir"], "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                           url, "-c", sql], capture_output=True, text=True, timeout=60)


@case
def psql_simple_protocol_and_ssl_prefer(t: Env):
    r = Relay(t)
    res = psql(t, r.url + "?sslmode=prefer", "create table a(id int); insert into a values (1); select count(*) from a")
    assert res.returncode == 0 and res.stdout.split()[-1] == "1", res
    stmts, tail = r.stop()
    sqls = [s["sql"] for s in stmts]
    assert "create table a(id int); insert into a values (1); select count(*) from a" in sqls, sqls
    assert all(s["kind"] == "Q" for s in stmts), stmts
    assert tail["error"] is None and tail["conns"] == 1, tail
    assert t.sql("select count(*) from a") == "1"
    # the password went through (scram) but was never captured
    assert pgserver.PASSWORD not in json.dumps(stmts)


@case
def psycopg2_and_two_connections(t: Env):
    r = Relay(t)
    prog = ("import psycopg2, sys\n"
            "a = psycopg2.connect(sys.argv[1]); b = psycopg2.connect(sys.argv[1])\n"
            "ca = a.cursor(); cb = b.cursor()\n"
            "ca.execute('create table p(id int primary key, v text)')\n"
            "cb.execute('select 1')\n"
            "ca.execute('insert into p values (%s, %s)', (1, 'x'))\n"
            "a.commit(); b.commit(); a.close(); b.close()\n")
    res = subprocess.run(["/usr/bin/python3", "-c", prog, r.url], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    stmts, tail = r.stop()
    by_conn = {}
    for s in stmts:
        by_conn.setdefault(s["conn"], []).append(s["sql"])
    assert tail["conns"] == 2 and tail["error"] is None, tail
    a = [c for c, v in by_conn.items() if any("create table p" in x for x in v)][0]
    assert by_conn[a].index("create table p(id int primary key, v text)") < \
        by_conn[a].index("insert into p values (1, 'x')"), by_conn
    assert any("select 1" in x for c, v in by_conn.items() if c != a for x in v), by_conn
    assert t.sql("select v from p") == "x"


@case
def node_postgres_extended_protocol(t: Env):
    node = shutil.which("node")
    pgmod = None
    for root, dirs, files in os.walk(NPM):
        if root.endswith(os.path.join("node_modules", "pg")) and "package.json" in files:
            pgmod = root
            break
        if root.count(os.sep) - NPM.count(os.sep) > 6:
            dirs[:] = []
    if not node or not pgmod:
        raise AssertionError("node-postgres is not installed (scripts/install-deps installs it)")
    r = Relay(t)
    prog = ("const { Client } = require(process.argv[2]);\n"
            "(async () => { const c = new Client({ connectionString: process.argv[1] });\n"
            "await c.connect();\n"
            "await c.query('create table n(id int, v text)');\n"
            "await c.query('insert into n values ($1, $2)', [7, 'seven']);\n"
            "await c.end(); })().catch(e => { console.error(e); process.exit(1); });\n")
    res = subprocess.run([node, "-e", prog, r.url, pgmod], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    stmts, tail = r.stop()
    kinds = {(s["kind"], s["sql"]) for s in stmts}
    assert ("P", "insert into n values ($1, $2)") in kinds, stmts
    assert t.sql("select v from n") == "seven"


@case
def oversized_message_is_refused(t: Env):
    r = Relay(t, 4096)
    res = psql(t, r.url, "select '" + "x" * 10000 + "'")
    assert res.returncode != 0, res
    # the relay is still alive and serves the next client
    res = psql(t, r.url, "select 42")
    assert res.stdout.strip() == "42", res
    stmts, tail = r.stop()
    assert "10014-byte Query message; the cap is 4096 bytes" in tail["error"], tail
    assert ["select 42"] == [s["sql"] for s in stmts], stmts


@case
def garbage_and_connection_cap(t: Env):
    r = Relay(t, 4096, 3)
    s = socket.create_connection(("127.0.0.1", r.port))
    s.sendall(struct.pack("!II", 3, 0))          # length below 8
    s.recv(1)
    s.close()
    s = socket.create_connection(("127.0.0.1", r.port))
    s.sendall(struct.pack("!II", 8, 80877103))   # SSLRequest
    assert s.recv(1) == b"N"
    s.close()
    assert psql(t, r.url, "select 1").returncode == 0
    assert psql(t, r.url, "select 2").returncode != 0     # the 4th connection
    stmts, tail = r.stop()
    assert "invalid startup packet" in tail["error"], tail


if __name__ == "__main__":
    main()
