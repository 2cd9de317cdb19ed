#!/usr/bin/env python3
"""Migrator benchmark for scripts/bench: `predeploy run --migrator alembic --
/bin/true` with nothing pending against `alembic upgrade head && /bin/true`,
on the same Alembic project (examples/alembic, 6 revisions, all
applied) and the same throwaway PostgreSQL, in the same run, both timed by
hyperfine (the Alembic chain under `sh -c`, whose start-up hyperfine
subtracts). predeploy answers "nothing pending" from alembic.ini, the
versions/*.py sources and alembic_version without starting Python."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine as be  # noqa: E402
import pgserver  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-migrator-")
    info = pgserver.start()
    try:
        app = os.path.join(work, "app")
        shutil.copytree(os.path.join(ROOT, "examples", "alembic"), app,
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = be.clean_env()
        env["DATABASE_URL"] = be.fresh_db(info, "bench_alembic")
        subprocess.run(["alembic", "upgrade", "head"], env=env, cwd=app, check=True, capture_output=True)
        print("PostgreSQL %s, %s, %d cores, %s\n" % (info["version"], os.uname().machine, os.cpu_count(),
              subprocess.run(["alembic", "--version"], capture_output=True, text=True).stdout.strip()))
        a = be.hyperfine(["alembic upgrade head >/dev/null 2>&1 && /bin/true"], env, app, runs=runs, shell=True)[0]
        print("### `run --migrator alembic -- /bin/true`, nothing pending (hyperfine, median of %d)\n" % runs)
        print("| command | wall | vs alembic |")
        print("|---|---|---|")
        for label, binary in be.binaries():
            w = be.hyperfine([[binary, "run", "--migrator", "alembic", "--quiet", "--backup", "never", "--",
                               "/bin/true"]], env, app, runs=runs)[0]
            print("| %s run --migrator alembic -- /bin/true | %.1f ms | %.3f× |" % (label, w * 1000, w / a))
        print("| alembic upgrade head && /bin/true | %.1f ms | 1.000× |\n" % (a * 1000))
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
