#!/usr/bin/env python3
"""Rehearsal benchmark for scripts/bench: a generated schema the size of a
real project (300 tables with indexes and foreign keys, 20 of them with
50,000 rows so they count as large and travel without data), one pending
migration; `predeploy up --rehearse always` against `--rehearse never` on
the same state, each on a fresh copy of the database (CREATE DATABASE ...
TEMPLATE), medians of BENCH_REPS runs (default 5). The difference is what
the rehearsal adds (schema dump and restore, snapshots, the relay, the
migration on the shadow). The relay's own overhead is the migration timed
through the relay vs directly (psql, 200 runs each)."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine as be  # noqa: E402
import pgserver  # noqa: E402

RELAY = os.environ.get("PREDEPLOY_RELAY_DRIVER", os.path.join(be.ROOT, "build", "relay_driver"))


def schema_sql(n=300):
    out = []
    for i in range(n):
        ref = "t%03d" % (i - 1) if i else None
        out.append("CREATE TABLE t%03d (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz "
                   "DEFAULT now(), status text DEFAULT 'new'%s);" % (i, ", ref bigint REFERENCES %s (id)" % ref
                                                                      if ref else ""))
        out.append("CREATE INDEX t%03d_name ON t%03d (name);" % (i, i))
        if i < 20:
            out.append("INSERT INTO t%03d (id, name) SELECT g, 'n' || g FROM generate_series(1, 50000) g;" % i)
    out.append("ANALYZE;")
    return "\n".join(out)


def main():
    reps = int(os.environ.get("BENCH_REPS", "5"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-rehearsal-")
    info = pgserver.start()
    try:
        print("PostgreSQL %s, %s, %d cores\n" % (info["version"], os.uname().machine, os.cpu_count()))
        pgserver.psql(info, "postgres", "CREATE DATABASE bench_tpl")
        subprocess.run([os.path.join(info["bindir"], "psql"), "-X", "-q", "-h", info["sockdir"], "-p",
                        str(info["port"]), "-U", "postgres", "-d", "bench_tpl", "-v", "ON_ERROR_STOP=1"],
                       input=schema_sql(), text=True, check=True, stdout=subprocess.DEVNULL)
        os.makedirs(os.path.join(work, "migrations"))
        with open(os.path.join(work, "migrations", "0001_base.sql"), "w") as f:
            f.write("-- migrate:up\nSELECT 1;\n")
        env = be.clean_env()
        env["DATABASE_URL"] = pgserver.url(info, "bench_tpl")
        subprocess.run([be.BIN, "up", "--quiet", "--backup", "never"], cwd=work, env=env, check=True)
        with open(os.path.join(work, "migrations", "0002_pending.sql"), "w") as f:
            f.write("-- migrate:up\nALTER TABLE t150 ADD COLUMN note text;\nCREATE INDEX t150_note ON t150 (note);\n")
        print("### Rehearsal: 300 tables, one pending migration (median of %d)\n" % reps)
        print("| build | up --rehearse never | up --rehearse always | added by the rehearsal |")
        print("|---|---|---|---|")
        for label, binary in be.binaries():
            plain, rehearsed = [], []
            for i in range(reps):
                for mode, acc in (("never", plain), ("always", rehearsed)):
                    pgserver.psql(info, "postgres", 'DROP DATABASE IF EXISTS bench_run WITH (FORCE)')
                    pgserver.psql(info, "postgres", 'CREATE DATABASE bench_run TEMPLATE bench_tpl')
                    env["DATABASE_URL"] = pgserver.url(info, "bench_run")
                    acc.append(be.timed([binary, "up", "--quiet", "--backup", "never", "--rehearse", mode],
                                        env, work)[0])
            p, r = be.med(plain), be.med(rehearsed)
            print("| %s | %.0f ms | %.0f ms | %.0f ms |" % (label, p * 1000, r * 1000, (r - p) * 1000))
        print()
        # relay overhead on a migrator's own time: the same statements through psql, direct vs relayed
        if os.path.exists(RELAY):
            relay = subprocess.Popen([RELAY, "127.0.0.1", str(info["port"])], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
            port = int(relay.stdout.readline().split()[1])
            sql = "BEGIN; ALTER TABLE t150 ADD COLUMN x%d text; ALTER TABLE t150 DROP COLUMN x%d; ROLLBACK;"
            script = "\n".join(sql % (i, i) for i in range(200))
            times = {}
            for name, p in (("direct", info["port"]), ("relay", port)):
                url = pgserver.url(info, "bench_tpl").replace(":%d/" % info["port"], ":%d/" % p)
                ts = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    subprocess.run([os.path.join(info["bindir"], "psql"), "-X", "-q", url], input=script, text=True,
                                   check=True, stdout=subprocess.DEVNULL)
                    ts.append(time.perf_counter() - t0)
                times[name] = be.med(ts)
            relay.stdin.close()
            relay.wait()
            print("| 800 DDL statements via psql | direct | through the relay | ratio |")
            print("|---|---|---|---|")
            print("| median of %d | %.0f ms | %.0f ms | %.3f× |\n" % (reps, times["direct"] * 1000,
                                                                     times["relay"] * 1000,
                                                                     times["relay"] / times["direct"]))
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
