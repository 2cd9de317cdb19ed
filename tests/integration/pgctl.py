#!/usr/bin/env python3
"""Start or stop the throwaway PostgreSQL server of one test run.

`pgctl.py start` runs initdb into a fresh temp dir (as the `postgres` user when
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


def main():
    state_dir = os.environ.get("PREDEPLOY_IT_STATE") or sys.exit("PREDEPLOY_IT_STATE not set")
    state_file = os.path.join(state_dir, "pg.json")
    if sys.argv[1:] == ["start"]:
        if os.path.exists(state_file):
            pgserver.stop(json.load(open(state_file)))
            os.unlink(state_file)
        os.makedirs(state_dir, exist_ok=True)
        info = pgserver.start()
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
