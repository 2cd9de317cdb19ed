#!/usr/bin/env python3
"""Rehearsal benchmark for scripts/bench (docs/BENCHMARKS.md, "Rehearsal").

A project the size of a real one: 350 migrations (300 CREATE TABLE with a
primary key, an index and a foreign key, then 50 that add columns and
indexes) applied by `predeploy up`; 20 tables hold 50,000 rows so they count
as large and travel without data, the others are small and copied with
theirs. One migration is pending.

1. What the rehearsal adds: `up --rehearse always` against `up --rehearse
   never`, each on a fresh copy of that database (DROP and CREATE DATABASE
   ... TEMPLATE, then a CHECKPOINT, so that the copy's 100 MB of WAL are not
   flushed during the measured run), and `up --dry-run` (the rehearsal
   alone, nothing applied). PREDEPLOY_PG_DIR puts the server's data
   directory elsewhere (/dev/shm: in memory). Wall medians, and a load-independent measure:
   the CPU seconds (user+sys) of predeploy with its children (pg_dump, the
   migrator) and of the PostgreSQL server's processes, per run.
2. Where its time goes: the phases `--verbose` logs (live snapshot, shadow
   database, schema copy = pg_dump streamed into the shadow, shadow
   snapshot, migrator, capture/lint/diff, drop), median of BENCH_REPS runs.
3. The relay's overhead on a migrator's own time: a real migrator, Alembic
   (examples/alembic plus 60 generated revisions of 3 DDL statements each),
   upgrading a fresh database to head directly and through the relay
   (tests' relay_driver, the relay predeploy runs), hyperfine with a fresh
   database before each run (--prepare), BENCH_RELAY_RUNS runs each. Then
   the worst case for a relay: psql sending 800 tiny DDL statements (inside
   transactions that roll back), one round trip each, nothing else to do.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine as be  # noqa: E402
import pgserver  # noqa: E402

RELAY = os.environ.get("PREDEPLOY_RELAY_DRIVER", os.path.join(be.ROOT, "build", "relay_driver"))
TICK = os.sysconf("SC_CLK_TCK")


def write_migrations(d, ntables=300, nalter=50):
    os.makedirs(d)
    v = 0
    for i in range(ntables):
        v += 1
        ref = ", ref bigint REFERENCES t%03d (id)" % (i - 1) if i else ""
        body = ("CREATE TABLE t%03d (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz "
                "DEFAULT now(), status text DEFAULT 'new'%s);\nCREATE INDEX t%03d_name ON t%03d (name);\n"
                % (i, ref, i, i))
        if i < 20:
            body += "INSERT INTO t%03d (id, name) SELECT g, 'n' || g FROM generate_series(1, 50000) g;\n" % i
        elif i % 3 == 0:
            body += "INSERT INTO t%03d (id, name) SELECT g, 'ref' || g FROM generate_series(1, 40) g;\n" % i
        with open(os.path.join(d, "%04d_t%03d.sql" % (v, i)), "w") as f:
            f.write("-- migrate:up\n" + body)
    for k in range(nalter):
        v += 1
        t = 20 + (k * 5) % 280
        with open(os.path.join(d, "%04d_alter_t%03d.sql" % (v, t)), "w") as f:
            f.write("-- migrate:up\nALTER TABLE t%03d ADD COLUMN extra%d text;\n"
                    "CREATE INDEX t%03d_extra%d ON t%03d (extra%d);\n" % (t, k, t, k, t, k))
    return v


def alembic_app(work, n=60):
    """examples/alembic plus n revisions after its head, 3 DDL statements each."""
    app = os.path.join(work, "alembic-app")
    shutil.copytree(os.path.join(be.ROOT, "examples", "alembic"), app, ignore=shutil.ignore_patterns("__pycache__"))
    down = "e5f6a7b8c9d0"
    for i in range(n):
        rev = "bench%07d" % i
        with open(os.path.join(app, "migrations", "versions", "%s_bench.py" % rev), "w") as f:
            f.write('from alembic import op\n\nrevision = "%s"\ndown_revision = "%s"\nbranch_labels = None\n'
                    'depends_on = None\n\n\ndef upgrade():\n'
                    '    op.execute("CREATE TABLE bench_%d (id bigint PRIMARY KEY, name text)")\n'
                    '    op.execute("ALTER TABLE bench_%d ADD COLUMN note text")\n'
                    '    op.execute("CREATE INDEX bench_%d_name ON bench_%d (name)")\n\n\n'
                    'def downgrade():\n    op.execute("DROP TABLE bench_%d")\n' % (rev, down, i, i, i, i, i))
        down = rev
    return app


def relay_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / TICK


def file_create_us(d, n=500):
    """What creating an empty file costs where the server keeps its data
    (each table, index and database is files)."""
    t0 = time.perf_counter()
    for i in range(n):
        os.close(os.open(os.path.join(d, "probe%d" % i), os.O_CREAT | os.O_WRONLY, 0o600))
    us = (time.perf_counter() - t0) / n * 1e6
    for i in range(n):
        os.unlink(os.path.join(d, "probe%d" % i))
    return us


def server_cpu(info):
    """CPU seconds of the server so far: its live processes plus what it
    reaped (backends that ended are in the postmaster's cutime/cstime)."""
    pm = int(open(os.path.join(info["data"], "postmaster.pid")).readline())
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, ut, stt, cut, cst = int(st[1]), int(st[11]), int(st[12]), int(st[13]), int(st[14])
        if int(pid) == pm:
            total += ut + stt + cut + cst
        elif ppid == pm:
            total += ut + stt
    return total / TICK


def run_measured(argv, env, cwd, info):
    """Wall, client CPU (predeploy and its children) and server CPU of one run."""
    s0 = server_cpu(info)
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S"] + argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("benchmark command failed: %s\n%s" % (" ".join(argv), r.stderr[-3000:]))
    u, s = (float(x) for x in r.stderr.strip().splitlines()[-1].split())
    return wall, u + s, server_cpu(info) - s0, r.stderr


PHASES = ["live snapshot", "shadow database", "schema copy", "shadow snapshot", "relay and connection", "migrator",
          "capture/lint/diff", "drop"]


def phases_of(log):
    out = {}
    m = re.search(r"rehearsal timing \(ms\): (.*)", log)
    if m:
        for part in m.group(1).split(", "):
            name, ms = part.rsplit(" ", 1)
            out[name] = int(ms)
    return out


def main():
    reps = int(os.environ.get("BENCH_REPS", "5"))
    relay_runs = int(os.environ.get("BENCH_RELAY_RUNS", "30"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-rehearsal-")
    info = pgserver.start()
    try:
        print("PostgreSQL %s, %s, %d cores; load average at the start: %s; data directory under %s, where "
              "creating a file takes %.0f µs\n"
              % (info["version"], os.uname().machine, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
                 os.path.dirname(info["base"]), file_create_us(info["base"])))
        pgserver.psql(info, "postgres", "CREATE DATABASE bench_tpl")
        mig = os.path.join(work, "migrations")
        n = write_migrations(mig)
        env = be.clean_env()
        env["DATABASE_URL"] = pgserver.url(info, "bench_tpl")
        subprocess.run([be.BIN, "up", "--quiet", "--backup", "never", "--rehearse", "never"], cwd=work, env=env,
                       check=True)
        pgserver.psql(info, "bench_tpl", "ANALYZE")
        with open(os.path.join(mig, "%04d_pending.sql" % (n + 1)), "w") as f:
            f.write("-- migrate:up\nALTER TABLE t150 ADD COLUMN note text;\nCREATE INDEX t150_note ON t150 (note);\n")
        psql = os.path.join(info["bindir"], "psql")
        fresh = ("%s -X -q -h %s -p %d -U postgres -d postgres -c 'DROP DATABASE IF EXISTS bench_run WITH (FORCE)' "
                 "-c 'CREATE DATABASE bench_run TEMPLATE bench_tpl' -c CHECKPOINT" % (psql, info["sockdir"], info["port"]))

        print("### Rehearsal: %d applied migrations, 300 tables, one pending (median of %d)\n" % (n, reps))
        print("| build | command | wall | predeploy + children CPU | server CPU |")
        print("|---|---|---|---|---|")
        phases = []
        for label, binary in be.binaries():
            res = {}
            for name, args in (("up --rehearse never", ["up", "--rehearse", "never"]),
                               ("up --rehearse always", ["up", "--rehearse", "always"]),
                               ("up --dry-run", ["up", "--dry-run", "--verbose"])):
                walls, cpus, scpus = [], [], []
                for _ in range(reps):
                    subprocess.run(fresh, shell=True, check=True, stdout=subprocess.DEVNULL)
                    env["DATABASE_URL"] = pgserver.url(info, "bench_run")
                    w, c, s, log = run_measured([binary, "--backup", "never"] + args, env, work, info)
                    walls.append(w), cpus.append(c), scpus.append(s)
                    if name == "up --dry-run":
                        phases.append(phases_of(log))
                res[name] = (be.med(walls), be.med(cpus), be.med(scpus))
                print("| %s | `%s` | %.0f ms | %.2f s | %.2f s |" % (label, name, res[name][0] * 1000, res[name][1],
                                                                   res[name][2]))
            a, b = res["up --rehearse always"], res["up --rehearse never"]
            print("| %s | **added by the rehearsal** | **%.0f ms** | %.2f s | %.2f s |\n"
                  % (label, (a[0] - b[0]) * 1000, a[1] - b[1], a[2] - b[2]))
        if phases and phases[0]:
            print("Where the rehearsal's time goes (`up --dry-run --verbose`, median ms of %d runs):\n" % len(phases))
            keys = PHASES
            print("| " + " | ".join(keys) + " |")
            print("|" + "---|" * len(keys))
            print("| " + " | ".join("%d" % statistics.median(p.get(k, 0) for p in phases) for k in keys) + " |\n")

        # the relay's overhead on the migrator's own time
        if os.path.exists(RELAY):
            # the relay's defaults but for the connection cap (64 in a rehearsal): every run connects
            relay = subprocess.Popen([RELAY, "127.0.0.1", str(info["port"]), str(16 << 20), "100000"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            port = int(relay.stdout.readline().split()[1])
            app = alembic_app(work)
            fresh_a = ("%s -X -q -h %s -p %d -U postgres -d postgres -c 'DROP DATABASE IF EXISTS bench_alembic WITH "
                       "(FORCE)' -c 'CREATE DATABASE bench_alembic'" % (psql, info["sockdir"], info["port"]))
            cmds = []
            for p in (info["port"], port):
                url = pgserver.url(info, "bench_alembic").replace(":%d/" % info["port"], ":%d/" % p)
                cmds.append("DATABASE_URL='%s' alembic upgrade head >/dev/null 2>&1" % url)
            c0 = relay_cpu_s(relay.pid)
            direct, relayed = be.hyperfine(cmds, env, app, runs=relay_runs, shell=True, prepare=fresh_a)
            with open(os.path.join(app, "hyperfine.json")) as f:
                hf = json.load(f)["results"]
            rcpu = (relay_cpu_s(relay.pid) - c0) / (relay_runs + 5)
            print("Relay overhead on a migrator's own time: `alembic upgrade head` of 66 revisions (60 of them "
                  "3 DDL statements each) on a fresh database, directly and through the relay, hyperfine, "
                  "median of %d runs:\n" % relay_runs)
            print("| direct | through the relay | ratio | alembic CPU per run | relay CPU per run |")
            print("|---|---|---|---|---|")
            print("| %.0f ms | %.0f ms | %.3f× | %.0f ms | %.1f ms |\n"
                  % (direct * 1000, relayed * 1000, relayed / direct, (hf[0]["user"] + hf[0]["system"]) * 1000,
                     rcpu * 1000))
            relay.communicate()
            relay = subprocess.Popen([RELAY, "127.0.0.1", str(info["port"]), str(16 << 20), "100000"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            port = int(relay.stdout.readline().split()[1])
            sql = "BEGIN; ALTER TABLE t150 ADD COLUMN x%d text; ALTER TABLE t150 DROP COLUMN x%d; ROLLBACK;\n"
            script = os.path.join(work, "ddl.sql")
            with open(script, "w") as f:
                f.write("".join(sql % (i, i) for i in range(200)))
            cmds = []
            for p in (info["port"], port):
                url = pgserver.url(info, "bench_tpl").replace(":%d/" % info["port"], ":%d/" % p)
                cmds.append([psql, "-X", "-q", "-f", script, url])
            direct, relayed = be.hyperfine(cmds, env, work, runs=relay_runs)
            with open(os.path.join(work, "hyperfine.json")) as f:
                hf = json.load(f)["results"]
            # the relay's own CPU, load-independent: its process's user+sys over
            # every relayed run (hyperfine's 5 warm-ups included)
            with open("/proc/%d/stat" % relay.pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            relay_cpu = (int(st[11]) + int(st[12])) / TICK / (relay_runs + 5)
            relay.communicate()         # closes its stdin; it prints what it captured: drain it
            print("The relay's worst case: psql running 800 DDL statements (200 transactions, rolled back), hyperfine, "
                  "median of %d runs:\n" % relay_runs)
            print("| direct | through the relay | ratio | psql CPU per run | relay CPU per run |")
            print("|---|---|---|---|---|")
            print("| %.0f ms | %.0f ms | %.3f× | %.0f ms | %.0f ms |\n"
                  % (direct * 1000, relayed * 1000, relayed / direct, (hf[0]["user"] + hf[0]["system"]) * 1000,
                     relay_cpu * 1000))
        print("Load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
