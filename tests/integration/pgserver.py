"""A throwaway PostgreSQL server: initdb into a temp dir, 127.0.0.1 and a
private unix socket only, run as `postgres` when we are root.  Used by the
test fixture (pgctl.py), scripts/demo and scripts/bench."""
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time

PASSWORD = "pw-Zq8!x#TopSecret"  # the tests grep all output for this
ROLE = "predeploy_test"


def bindir():
    env = os.environ.get("PREDEPLOY_PG_BINDIR")
    if env:
        return env
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if not cands:
        raise SystemExit("no PostgreSQL server found (apt-get install postgresql)")
    return os.path.dirname(cands[-1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_server_user(argv):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


def start(extra_conf=None, port=None, base_dir=None):
    """base_dir: where the server's temp dir goes (default $PREDEPLOY_PG_DIR,
    else the system's temp dir)."""
    base = tempfile.mkdtemp(prefix="predeploy-pg-", dir=base_dir or os.environ.get("PREDEPLOY_PG_DIR") or None)
    os.chmod(base, 0o755)
    data = os.path.join(base, "data")
    sock = os.path.join(base, "sock")
    os.mkdir(sock)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
    b = bindir()
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as f:
        f.write("postgres-superuser-pw\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    subprocess.run(_as_server_user([os.path.join(b, "initdb"), "-D", data, "-U", "postgres",
                                    "--auth-local=trust", "--auth-host=scram-sha-256",
                                    "--pwfile", pwfile, "-E", "UTF8", "--locale=C.UTF-8",
                                    "--no-sync"]),
                   check=True, stdout=subprocess.DEVNULL)
    os.unlink(pwfile)
    # the password role exists before the server listens, so a client that
    # is already waiting never sees a server without it
    subprocess.run(_as_server_user([os.path.join(b, "postgres"), "--single", "-D", data, "-F", "postgres"]),
                   input="CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s';\n" % (ROLE, PASSWORD),
                   text=True, check=True, stdout=subprocess.DEVNULL)
    port = port or free_port()
    conf = [
        "listen_addresses = '127.0.0.1'",
        "port = %d" % port,
        "unix_socket_directories = '%s'" % sock,
        "fsync = off", "synchronous_commit = off", "full_page_writes = off",
        "max_connections = 200", "shared_buffers = 128MB",
        "log_min_messages = warning", "logging_collector = off",
    ] + list(extra_conf or [])
    with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
        f.write("\n".join(conf) + "\n")
    logfile = os.path.join(base, "server.log")
    subprocess.run(_as_server_user([os.path.join(b, "pg_ctl"), "-D", data, "-l", logfile,
                                    "-w", "-t", "60", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    info = {"base": base, "data": data, "sockdir": sock, "port": port, "bindir": b,
            "role": ROLE, "password": PASSWORD}
    info["version"] = psql(info, "postgres", "SHOW server_version").strip()
    return info


def stop(info):
    b = info["bindir"]
    if os.path.exists(os.path.join(info["data"], "postmaster.pid")):
        subprocess.run(_as_server_user([os.path.join(b, "pg_ctl"), "-D", info["data"], "-m",
                                        "immediate", "-w", "-t", "60", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(info["base"], ignore_errors=True)


class _Libpq:
    """libpq through ctypes, for psql() below: one connection per call,
    the results printed as `psql -X -At -v ON_ERROR_STOP=1 -c` prints them.
    A psql process costs 3.8 ms of CPU to start, and the suite runs about
    two thousand of them (docs/HACKING.md)."""

    def __init__(self):
        import ctypes
        import ctypes.util
        self.c = ctypes
        lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for name, res, args in (
                ("PQconnectdbParams", vp, [ctypes.POINTER(cp), ctypes.POINTER(cp), i]),
                ("PQstatus", i, [vp]), ("PQerrorMessage", cp, [vp]), ("PQfinish", None, [vp]),
                ("PQsendQuery", i, [vp, cp]), ("PQgetResult", vp, [vp]), ("PQresultStatus", i, [vp]),
                ("PQntuples", i, [vp]), ("PQnfields", i, [vp]), ("PQgetvalue", cp, [vp, i, i]),
                ("PQgetisnull", i, [vp, i, i]), ("PQcmdStatus", cp, [vp]),
                ("PQresultErrorMessage", cp, [vp]), ("PQclear", None, [vp]),
                ("PQsetNoticeProcessor", vp, [vp, vp, vp])):
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
        self.lib = lib
        # notices and warnings are psql's stderr, which psql() drops too
        self.quiet = ctypes.CFUNCTYPE(None, vp, cp)(lambda arg, msg: None)

    def run(self, info, dbname, sql):
        """(stdout, error message or None)."""
        c, lib = self.c, self.lib
        kw = [b"host", b"port", b"user", b"dbname", b"fallback_application_name", None]
        val = [info["sockdir"].encode(), str(info["port"]).encode(), b"postgres", dbname.encode(), b"psql", None]
        conn = lib.PQconnectdbParams((c.c_char_p * 6)(*kw), (c.c_char_p * 6)(*val), 0)
        out, err = [], None
        try:
            if lib.PQstatus(conn) != 0:                       # CONNECTION_OK
                return "", (lib.PQerrorMessage(conn) or b"").decode("utf-8", "replace")
            lib.PQsetNoticeProcessor(conn, c.cast(self.quiet, c.c_void_p), None)
            if not lib.PQsendQuery(conn, sql.encode()):
                return "", (lib.PQerrorMessage(conn) or b"").decode("utf-8", "replace")
            while True:
                r = lib.PQgetResult(conn)
                if not r:
                    break
                st = lib.PQresultStatus(r)
                if st == 2 and err is None:                   # PGRES_TUPLES_OK
                    for row in range(lib.PQntuples(r)):
                        out.append("|".join(
                            "" if lib.PQgetisnull(r, row, col) else lib.PQgetvalue(r, row, col).decode()
                            for col in range(lib.PQnfields(r))) + "\n")
                elif st == 1 and err is None:                 # PGRES_COMMAND_OK: psql prints the tag
                    tag = lib.PQcmdStatus(r).decode()
                    if tag:
                        out.append(tag + "\n")
                elif st in (5, 7) and err is None:            # BAD_RESPONSE, FATAL_ERROR
                    err = (lib.PQresultErrorMessage(r) or b"").decode("utf-8", "replace")
                lib.PQclear(r)
            return "".join(out), err
        finally:
            lib.PQfinish(conn)


_libpq = None


def psql(info, dbname, sql, check=True):
    """Run SQL as the superuser over the unix socket; returns what
    `psql -X -At -v ON_ERROR_STOP=1 -c SQL` prints on stdout. In this
    process through libpq (_Libpq) except for COPY and backslash commands,
    which the psql program runs."""
    global _libpq
    if not re.search(r"\bcopy\b|^\s*\\", sql, re.I):
        try:
            if _libpq is None:
                _libpq = _Libpq()
        except OSError:
            _libpq = False
        if _libpq:
            out, err = _libpq.run(info, dbname, sql)
            if check and err is not None:
                raise RuntimeError("psql failed: %s\n%s" % (sql[:200], err))
            return out
    r = subprocess.run([os.path.join(info["bindir"], "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                        "-h", info["sockdir"], "-p", str(info["port"]), "-U", "postgres",
                        "-d", dbname, "-c", sql],
                       capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("psql failed: %s\n%s" % (sql[:200], r.stderr))
    return r.stdout


def url(info, dbname, password=True):
    if password:
        return "postgresql://%s:%s@127.0.0.1:%d/%s" % (
            ROLE, PASSWORD.replace("!", "%21").replace("#", "%23"), info["port"], dbname)
    return "postgresql://%s@127.0.0.1:%d/%s" % (ROLE, info["port"], dbname)
