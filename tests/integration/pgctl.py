#!/usr/bin/env python3
"""Start or stop the throwaway PostgreSQL server of one test run.

`pgctl.py start` runs initdb into a fresh temp dir (in memory when /dev/shm
allows, see data_dir_parent; as the `postgres` user when
run as root, because initdb refuses root), starts the server on a free
127.0.0.1 port and a private unix socket directory, creates a password role
for TCP tests, and writes the connection facts to $PREDEPLOY_IT_STATE/pg.json.
`pgctl.py stop` stops that server and removes its directory.  The server is
ours alone: it is stopped by its own pid file, never by name.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgserver  # noqa: E402


def data_dir_parent():
    """The tests' server lives in memory when it can: $PREDEPLOY_PG_DIR if
    set, else /dev/shm when it is a writable tmpfs with 2 GiB free. Creating
    a file (every table, index and database is files) can cost a millisecond
    on a virtual machine's disk (0.9 ms on the machine these tests were
    written on, 8 us on tmpfs); the tests exercise PostgreSQL's behaviour,
    not its disk's."""
    if os.environ.get("PREDEPLOY_PG_DIR"):
        return os.environ["PREDEPLOY_PG_DIR"]
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= 2 << 30:
            return shm
    except OSError:
        pass
    return None


def main():
    state_dir = os.environ.get("PREDEPLOY_IT_STATE") or sys.exit("PREDEPLOY_IT_STATE not set")
    state_file = os.path.join(state_dir, "pg.json")
    if sys.argv[1:] == ["start"]:
        if os.path.exists(state_file):
            pgserver.stop(json.load(open(state_file)))
            os.unlink(state_file)
        os.makedirs(state_dir, exist_ok=True)
        info = pgserver.start(base_dir=data_dir_parent())
        with open(state_file, "w") as f:
            json.dump(info, f)
        print("postgres %s on 127.0.0.1:%d, socket %s" % (info["version"], info["port"], info["sockdir"]))
    elif sys.argv[1:] == ["stop"]:
        if os.path.exists(state_file):
            pgserver.stop(json.load(open(state_file)))
            os.unlink(state_file)
        print("stopped")
    else:
        sys.exit("usage: pgctl.py start|stop")


if __name__ == "__main__":
    main()
