#!/usr/bin/env python3
"""The deploy recipes, built and run in real containers (rootful podman,
configured under a temporary root: tests/containers/podenv.py).

    tests/containers/run.py [--bin build-static/predeploy] [-k PATTERN] [--keep]

What it builds, with no registry: a Debian bookworm base made by mmdebstrap
from Debian's archive (the tarball is cached, see base_tarball()), stand-ins
for the images the recipes pull (node, postgres) on top of it, then
docker/Dockerfile's `scratch` and `with-pg-dump` targets from the static
binary given and the base's pg_dump bundled by scripts/bundle-pg-dump, and
every example Dockerfile of examples/deploy/ around the small app in
tests/containers/app/. Then each image runs against a throwaway PostgreSQL on
the host network (tests/integration/pgserver.py), one database per case; the
compose recipe runs under podman-compose with its own database container;
the Kubernetes init-container manifest runs under `podman kube play`; every
Kubernetes manifest is validated against the Kubernetes schema
(kubernetes-models from npm, installed by scripts/install-deps).

Prints one line per case and "N passed, N failed"; exit 1 on any failure.
"""
import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, HERE)
import pgserver  # noqa: E402
import s3env  # noqa: E402
from podenv import Podman  # noqa: E402

try:
    import yaml
except ImportError:
    sys.exit("python3-yaml is missing: run scripts/install-deps")

EXAMPLES = os.path.join(SRC, "examples", "deploy")
BASE = "localhost/predeploy-test/debian"
NODE = "localhost/predeploy-test/node"
IMG = {  # what the tests build, by role
    "scratch": "localhost/predeploy:latest",     # the examples' default PREDEPLOY_IMAGE
    "pg": "localhost/predeploy:with-pg-dump",
    "docker": "localhost/predeploy-example/docker",
    "dokploy": "localhost/predeploy-example/dokploy",
    "render": "localhost/predeploy-example/render",
}

# ------------------------------------------------------------ base tarball
# Debian bookworm, minbase, with what the stand-in images need: nodejs (for
# node:22-bookworm-slim), postgresql-client (pg_dump, for the examples'
# pg_dump step) and postgresql (for postgres:16). Documentation,
# locales and the JIT's LLVM (a plugin the server loads only with jit=on;
# the stand-in runs with jit=off) are left out: 250 MB instead of 540 MB.
MMDEBSTRAP = [
    "mmdebstrap", "--variant=minbase", "--include=nodejs,postgresql-15,postgresql-client-15",
    "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*", "--dpkgopt=path-exclude=/usr/share/i18n/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM-14.so*",
    "--dpkgopt=path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*",
    "--dpkgopt=path-exclude=/usr/lib/postgresql/15/lib/llvmjit*",
    "--dpkgopt=path-exclude=/usr/lib/postgresql/15/lib/bitcode/*",
    # the package's own "main" cluster: the stand-in makes its own
    "--customize-hook=rm -rf \"$1\"/var/lib/postgresql/15/main \"$1\"/etc/postgresql/15/main",
    "--format=tar", "bookworm",
]


def cache_dir():
    d = os.environ.get("PREDEPLOY_CONTAINERS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "predeploy-containers")
    os.makedirs(d, exist_ok=True)
    return d


def base_tarball(log):
    """The mmdebstrap tarball, from the cache when one of this month exists
    for the same recipe (so a CI cache of the directory is reused for a
    month; the archive's updates in between do not matter to the tests)."""
    d = cache_dir()
    key = hashlib.sha256("\0".join(MMDEBSTRAP).encode()).hexdigest()[:16]
    name = "debian-bookworm-%s-%s.tar" % (time.strftime("%Y%m", time.gmtime()), key)
    path = os.path.join(d, name)
    with open(os.path.join(d, "lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if os.path.exists(path):
            log("base image: cached %s" % path)
            return path
        t0 = time.time()
        part = path + ".partial"
        r = subprocess.run(MMDEBSTRAP[:-2] + MMDEBSTRAP[-2:] + [part],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("mmdebstrap failed:\n" + r.stderr[-4000:])
        os.rename(part, path)
        for old in glob.glob(os.path.join(d, "debian-bookworm-*.tar*")):
            if old != path:
                os.unlink(old)
        log("base image: built %s in %.0fs" % (path, time.time() - t0))
        return path


# ------------------------------------------------------------ harness
free_port = pgserver.free_port


def wait_for(what, fn, timeout=60.0, step=0.2):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


class Ctx:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="predeploy-containers-")
        self.pod = Podman(os.path.join(self.tmp, "podman"))
        self.pg = None
        self._s3 = None
        self.outputs = []      # every text the tests saw: the password must be in none
        self.ndb = 0

    def log(self, msg):
        print("   " + msg, flush=True)

    def podman(self, *args, check=True, timeout=600):
        r = self.pod.run(*args, check=False, timeout=timeout)
        self.outputs.append((args, (r.stdout or "") + (r.stderr or "")))
        if check and r.returncode != 0:
            raise AssertionError("podman %s -> %d\n%s%s" % (" ".join(args), r.returncode,
                                                            r.stdout, r.stderr))
        return r

    def logs(self, name):
        r = self.podman("logs", name, check=False)
        return (r.stdout or "") + (r.stderr or "")

    def database(self):
        self.ndb += 1
        name = "ct_%d" % self.ndb
        pgserver.psql(self.pg, "postgres", "CREATE DATABASE %s" % name)
        return name, pgserver.url(self.pg, name)

    def sql(self, db, q):
        return pgserver.psql(self.pg, db, q).strip()

    def build(self, tag, dockerfile, context, build_args=(), target=None):
        args = ["build", "--isolation", "chroot", "--network", "host", "--pull=never",
                "--format", "docker", "--layers", "-t", tag, "-f", dockerfile]
        for a in build_args:
            args += ["--build-arg", a]
        if target:
            args += ["--target", target]
        t0 = time.time()
        self.podman(*(args + [context]), timeout=900)
        self.log("built %s in %.1fs" % (tag, time.time() - t0))

    def s3(self):
        """The S3-compatible server of the integration tests (s3rver behind
        a front that checks every SigV4 signature), on 127.0.0.1."""
        if not self._s3:
            assert s3env.available(), "s3rver or boto3 missing: run scripts/install-deps"
            self._s3 = s3env.S3()
        return self._s3

    def s3_env(self, keys, backup_to):
        """The recipe's AWS_* / PREDEPLOY_BACKUP_TO variables with this
        server's values (path-style addressing, as for any local store)."""
        e = self.s3().env()
        out = {k: e[k] for k in keys if k in e}
        out.update(PREDEPLOY_BACKUP_TO=backup_to, AWS_ENDPOINT_URL_S3=e["AWS_ENDPOINT_URL_S3"],
                   PREDEPLOY_S3_PATH_STYLE="1", AWS_REGION=e["AWS_REGION"])
        return out

    def s3_backups(self, prefix, db):
        keys = self.s3().client("list")
        return sorted(k for k in keys if k.startswith(prefix + "/" + db + "_") and k.endswith(".sql.gz")), keys

    def close(self):
        if self._s3:
            self._s3.close()
        if self.args.keep:
            print("kept " + self.tmp)
            return
        self.pod.close()
        if self.pg:
            pgserver.stop(self.pg)
        shutil.rmtree(self.tmp, ignore_errors=True)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def applied(c, db):
    return c.sql(db, "select string_agg(version, ',' order by version) from predeploy_migrations")


ALL = "20260101090000,20260102090000,20260103090000"


def backups_in(path):
    return sorted(f for f in os.listdir(path) if f.endswith(".sql.gz"))


def volume_path(c, name):
    return c.podman("volume", "inspect", "--format", "{{.Mountpoint}}", name).stdout.strip()


# ------------------------------------------------------------ images
def setup(c):
    t0 = time.time()
    tar = base_tarball(c.log)
    c.podman("import", tar, BASE)
    c.log("imported the base in %.1fs" % (time.time() - t0))
    c.pod.calibrate_ulimits(BASE)
    imgs = os.path.join(HERE, "images")
    c.build(NODE, os.path.join(imgs, "node.Containerfile"), imgs)
    c.build("docker.io/library/postgres:16", os.path.join(imgs, "postgres.Containerfile"), imgs)

    # docker/Dockerfile's two preparation stages start from local images:
    # the build stage from one that already holds the static binary given
    # (which it keeps), the pg_dump stage from the Debian base, whose pg_dump
    # scripts/bundle-pg-dump bundles there
    ctx = os.path.join(c.tmp, "build-image")
    os.makedirs(ctx)
    shutil.copy2(c.args.bin, os.path.join(ctx, "predeploy"))
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM %s\nCOPY predeploy /out/predeploy\n" % BASE)
    c.build("localhost/predeploy-test/build", os.path.join(ctx, "Containerfile"), ctx)
    df = os.path.join(SRC, "docker", "Dockerfile")
    stages = ["BUILD_IMAGE=localhost/predeploy-test/build", "PG_DUMP_IMAGE=" + BASE,
              "PG_DUMP_PATH=/usr/lib/postgresql/15/bin/pg_dump"]
    c.build(IMG["scratch"], df, SRC, stages, target="scratch")
    c.build(IMG["pg"], df, SRC, stages, target="with-pg-dump")
    app = os.path.join(HERE, "app")
    # PREDEPLOY_IMAGE keeps its default (predeploy:latest, built just above);
    # the stand-in node image has pg_dump already (Debian's)
    for ex in ("docker", "dokploy"):
        c.build(IMG[ex], os.path.join(EXAMPLES, ex, "Dockerfile"), app,
                ["NODE_IMAGE=" + NODE, "PG_DUMP_APT=no"])
    c.build(IMG["render"], os.path.join(EXAMPLES, "render", "Dockerfile"), app,
            ["NODE_IMAGE=" + NODE, "PG_DUMP_APT=no"])
    c.log("images ready in %.0fs" % (time.time() - t0))


# ------------------------------------------------------------ cases
@case
def scratch_version(c):
    r = c.podman("run", "--rm", IMG["scratch"], "--version")
    assert r.stdout.startswith("predeploy "), r.stdout
    r = c.podman("run", "--rm", IMG["scratch"], check=False)  # CMD ["--help"]
    assert r.returncode == 0 and "run" in r.stdout, r
    r = c.podman("image", "inspect", "--format", "{{json .Config.Entrypoint}}", IMG["scratch"])
    assert json.loads(r.stdout) == ["/predeploy"], r.stdout
    # nothing else in the image; the pg_dump variant adds pg_dump and the
    # shared libraries it loads, and still no shell
    assert image_files(c, IMG["scratch"]) == ["predeploy"], image_files(c, IMG["scratch"])
    files = image_files(c, IMG["pg"])
    assert "predeploy" in files and "usr/bin/pg_dump" in files, files
    others = [f for f in files if f not in ("predeploy", "usr/bin/pg_dump")]
    assert others and all(re.search(r"\.so(\.[0-9.]+)?$", f) for f in others), others


def image_files(c, image):
    """The regular files and links of an image, relative to its root."""
    root = c.podman("image", "mount", image).stdout.strip()
    try:
        out = []
        for d, dirs, names in os.walk(root):
            out += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return sorted(out)
    finally:
        c.podman("image", "unmount", image)


@case
def scratch_run_migrates(c):
    db, url = c.database()
    mig = os.path.join(HERE, "app", "migrations")
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-e", "PREDEPLOY_BACKUP=never", "-v", mig + ":/migrations:ro,Z",
                 IMG["scratch"], "run", "--dir", "/migrations", check=False)
    assert r.returncode == 0, r
    assert applied(c, db) == ALL


@case
def with_pg_dump_backup(c):
    db, url = c.database()
    mig = os.path.join(HERE, "app", "migrations")
    bk = os.path.join(c.tmp, "bk-pg")
    os.makedirs(bk)
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-v", mig + ":/migrations:ro", "-v", bk + ":/backups",
                 IMG["pg"], "run", "--dir", "/migrations", "--backup", "always",
                 "--backup-dir", "/backups", check=False)
    assert r.returncode == 0, r
    assert applied(c, db) == ALL
    files = backups_in(bk)
    assert len(files) == 1 and os.path.exists(os.path.join(bk, files[0] + ".json")), os.listdir(bk)
    meta = json.load(open(os.path.join(bk, files[0] + ".json")))
    assert "pg_dump" in json.dumps(meta), meta
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-v", bk + ":/backups", IMG["pg"], "backups", "--backup-dir", "/backups")
    assert files[0] in r.stdout, r.stdout


def start_app(c, name, image, url, extra=(), cmd=()):
    port = free_port()
    c.podman("run", "-d", "--name", name, "--network", "host", "-e", "DATABASE_URL=" + url,
             "-e", "PORT=%d" % port, *extra, image, *cmd)
    wait_for(name + " to listen", lambda: "app listening" in c.logs(name) or
             c.podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip() != "true")
    logs = c.logs(name)
    assert "app listening" in logs, logs
    return port, logs


@case
def docker_example_exec_and_sigterm(c):
    db, url = c.database()
    port, logs = start_app(c, "ex-docker", IMG["docker"], url)
    # predeploy exec'd the app in its own process: the app is PID 1
    assert "app listening pid=1 " in logs, logs
    assert "database_url=set" in logs, logs
    assert applied(c, db) == ALL
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as resp:
        assert resp.status == 200
    # the backup (pg_dump from the app base) went to the image's volume
    r = c.podman("exec", "ex-docker", "sh", "-c", "ls /var/lib/predeploy/backups")
    assert len([f for f in r.stdout.split() if f.endswith(".sql.gz")]) == 1, r.stdout
    r = c.podman("top", "ex-docker", "pid", "user", "args")
    assert re.search(r"^\s*1\s+node\s+node server\.js\s*$", r.stdout, re.M), r.stdout
    # podman stop sends SIGTERM to PID 1: the app itself receives it
    c.podman("stop", "-t", "20", "ex-docker")
    logs = c.logs("ex-docker")
    assert "app got SIGTERM pid=1" in logs, logs
    code = c.podman("inspect", "--format", "{{.State.ExitCode}}", "ex-docker").stdout.strip()
    assert code == "0", code
    # a restart finds nothing pending: no second backup
    c.podman("start", "ex-docker")
    wait_for("the restarted app", lambda: c.logs("ex-docker").count("app listening") == 2)
    r = c.podman("exec", "ex-docker", "sh", "-c", "ls /var/lib/predeploy/backups")
    assert len([f for f in r.stdout.split() if f.endswith(".sql.gz")]) == 1, r.stdout
    c.podman("rm", "-f", "-t", "0", "ex-docker")


@case
def termination_log(c):
    db, url = c.database()
    mig = os.path.join(HERE, "app", "migrations")
    tl = os.path.join(c.tmp, "termination-log")
    open(tl, "w").close()
    common = ["run", "--rm", "--network", "host", "-v", mig + ":/migrations:ro",
              "-v", tl + ":/dev/termination-log", "-e", "PREDEPLOY_BACKUP=never"]
    r = c.podman(*common, "-e", "DATABASE_URL=" + url, IMG["scratch"], "run", "--dir", "/migrations",
                 check=False)
    assert r.returncode == 0, r
    msg = open(tl).read()
    assert msg.startswith("deploy succeeded") and "3 applied" in msg and "\n" not in msg.rstrip("\n"), msg
    # a refused password: 77, said in the termination message, without the password
    bad = url.replace(pgserver.PASSWORD.replace("!", "%21").replace("#", "%23"), "wrong-password")
    assert bad != url
    r = c.podman(*common, "-e", "DATABASE_URL=" + bad, IMG["scratch"], "run", "--dir", "/migrations",
                 check=False)
    assert r.returncode == 77, r
    msg = open(tl).read()
    c.outputs.append((("termination-log",), msg))
    assert msg.startswith("deploy failed") and "77" in msg, msg
    assert "wrong-password" not in msg, msg


@case
def backup_dir_not_writable_names_the_fix(c):
    # a volume the image's user (node, uid 1000) cannot write to: what a
    # Kubernetes volume is without fsGroup
    db, url = c.database()
    vol = os.path.join(c.tmp, "root-owned")
    os.makedirs(vol)
    os.chmod(vol, 0o755)
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-e", "PREDEPLOY_BACKUP_DIR=/backups", "-v", vol + ":/backups", IMG["docker"],
                 check=False, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 14, r
    assert 'cannot write into the backup directory "/backups"' in out, out
    assert "uid 1000" in out and "fsGroup" in out, out
    assert "app listening" not in out
    assert c.sql(db, "select count(*) from pg_tables where tablename = 'items'") == "0"
    # the same under a subdirectory it cannot create
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-e", "PREDEPLOY_BACKUP_DIR=/backups/predeploy", "-v", vol + ":/backups", IMG["docker"],
                 check=False, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 14 and '"/backups" must be writable by uid 1000' in out, r


@case
def dokploy_image_backup_and_healthcheck(c):
    db, url = c.database()
    port, logs = start_app(c, "ex-dokploy", IMG["dokploy"], url)
    assert "app listening pid=1 " in logs and "database_url=set" in logs, logs
    assert applied(c, db) == ALL
    # pg_dump is in the image: the backup before the migrations was taken
    r = c.podman("exec", "ex-dokploy", "sh", "-c", "ls /var/lib/predeploy/backups; command -v pg_dump")
    assert len([f for f in r.stdout.split() if f.endswith(".sql.gz")]) == 1, r.stdout
    # no systemd here to run the HEALTHCHECK on its timer: run it by hand,
    # with the image's retries (a loaded machine may start node slower than
    # the image's 3 s timeout once)
    for _ in range(3):
        r = c.podman("healthcheck", "run", "ex-dokploy", check=False)
        if r.returncode == 0:
            break
    assert r.returncode == 0, r
    r = c.podman("inspect", "--format", "{{json .Config.Healthcheck}}", "ex-dokploy")
    assert "300000000000" in r.stdout, r.stdout   # --start-period=5m
    c.podman("stop", "-t", "20", "ex-dokploy")
    assert "app got SIGTERM pid=1" in c.logs("ex-dokploy")
    c.podman("rm", "-f", "-t", "0", "ex-dokploy")


@case
def dokploy_healthcheck_fails_when_predeploy_refuses(c):
    db, url = c.database()
    mig = os.path.join(c.tmp, "drift")
    shutil.copytree(os.path.join(HERE, "app", "migrations"), mig)
    # applied, then the file changes: drift, exit 13, the app never starts
    r = c.podman("run", "--rm", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-v", mig + ":/app/migrations:ro", IMG["dokploy"], "true", check=False)
    assert r.returncode == 0, r
    p = os.path.join(mig, "20260101090000_create_items.sql")
    with open(p) as f:
        text = f.read()
    with open(p, "w") as f:
        f.write(text.replace("name text not null", "name text"))
    r = c.podman("run", "--name", "ex-dokploy-drift", "--network", "host", "-e", "DATABASE_URL=" + url,
                 "-v", mig + ":/app/migrations:ro", IMG["dokploy"], check=False, timeout=120)
    assert r.returncode == 13, r
    assert "app listening" not in r.stdout + r.stderr
    c.podman("rm", "-f", "ex-dokploy-drift")


@case
def render_predeploy_command_then_app(c):
    db, url = c.database()
    bp = yaml.safe_load(open(os.path.join(EXAMPLES, "render", "render.yaml")))
    svc = [s for s in bp["services"] if s.get("preDeployCommand")][0]
    keys = {e["key"]: e for e in svc["envVars"]}
    # the backup goes to a bucket: the blueprint's variables, with this
    # machine's S3 server in place of the bucket and credentials set in
    # Render's dashboard
    assert keys["PREDEPLOY_BACKUP_TO"]["value"].startswith("s3://"), keys
    assert keys["AWS_SECRET_ACCESS_KEY"].get("sync") is False, keys
    values = {k: e["value"] for k, e in keys.items() if "value" in e}
    values.update(c.s3_env(keys, "s3://%s/render" % s3env.BUCKET), DATABASE_URL=url)
    env = [a for k, v in sorted(values.items()) for a in ("-e", "%s=%s" % (k, v))]
    # Render runs the pre-deploy command in its own container from the image,
    # as one command with its arguments (no shell)
    r = c.podman("run", "--rm", "--network", "host", *env, IMG["render"],
                 *svc["preDeployCommand"].split(), check=False)
    assert r.returncode == 0, r
    assert applied(c, db) == ALL
    files, listing = c.s3_backups("render", db)
    assert len(files) == 1 and files[0] + ".json" in listing, listing
    # then the service starts with the image's plain CMD: the app alone
    port, logs = start_app(c, "ex-render", IMG["render"], url)
    assert "app listening pid=1 " in logs and "predeploy" not in logs, logs
    c.podman("rm", "-f", "-t", "0", "ex-render")


@case
def compose_recipe(c):
    proj = "pdcompose"
    d = os.path.join(c.tmp, "compose")
    shutil.copytree(os.path.join(HERE, "app"), d)
    shutil.copy2(os.path.join(EXAMPLES, "compose", "docker-compose.yml"), d)
    shutil.copy2(os.path.join(EXAMPLES, "docker", "Dockerfile"), d)
    # `build: .` is this Dockerfile: built here (podman-compose would build it
    # without the build arguments a machine with no registry needs)
    c.podman("tag", IMG["docker"], "localhost/%s_app" % proj)
    # the example's host port (3000) may be taken on this machine
    pw = "compose-Pw-9xQ"
    env = dict(c.pod.env, POSTGRES_PASSWORD=pw, APP_PORT=str(free_port()))

    def compose(*args, check=True):
        # (its output echoes the podman command lines, the URL included: not
        # predeploy's output, so not added to what the password check reads)
        r = subprocess.run(["podman-compose", "-p", proj, "-f", "docker-compose.yml"] + list(args),
                           cwd=d, env=env, capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError("podman-compose %s -> %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
        return r

    try:
        compose("up", "-d")
        app = "%s_app_1" % proj
        wait_for("the compose app", lambda: "app listening" in c.logs(app) or
                 c.podman("inspect", "--format", "{{.State.Status}}", app).stdout.strip() == "exited",
                 timeout=120)
        logs = c.logs(app)
        assert "app listening pid=1 " in logs, logs
        q = ["exec", "%s_db_1" % proj, "psql", "-U", "app", "-d", "app", "-Atc"]
        r = c.podman(*q, "select count(*) from predeploy_migrations")
        assert r.stdout.strip() == "3", r.stdout
        bk = volume_path(c, "%s_backups" % proj)
        files = backups_in(bk)
        assert len(files) == 1 and os.path.exists(os.path.join(bk, files[0] + ".json")), os.listdir(bk)
        # a restart finds nothing pending: no new backup, the app starts again
        c.podman("restart", "-t", "20", app)
        wait_for("the restarted compose app", lambda: c.logs(app).count("app listening") == 2, timeout=60)
        assert backups_in(bk) == files
        logs = c.logs(app)
        assert "app got SIGTERM" in logs, logs
        assert pw not in logs, "the database password is in the app container's log"
    finally:
        compose("down", "-v", check=False)


def k8s_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


@case
def kubernetes_init_container_kube_play(c):
    db, url = c.database()
    dep = k8s_docs(os.path.join(EXAMPLES, "kubernetes", "init-container.yaml"))[0]
    pod = dep["spec"]["template"]["spec"]
    image = pod["initContainers"][0]["image"]
    c.podman("tag", IMG["docker"], image)
    port = free_port()
    # what podman 4.3 cannot do as a cluster would: secretKeyRef values are
    # inlined, the database is on this host's loopback (hostNetwork), one
    # replica, the app on a free port
    dep["spec"]["replicas"] = 1
    pod["hostNetwork"] = True
    # podman 4.3 applies the pod's restart policy (a Deployment's: Always) to
    # init containers too, so one that succeeded would run again and again
    pod["restartPolicy"] = "OnFailure"
    init_env = {e["name"]: e for e in pod["initContainers"][0]["env"]}
    assert init_env["PREDEPLOY_BACKUP_TO"]["value"].startswith("s3://"), init_env
    s3vars = c.s3_env(init_env, "s3://%s/k8s" % s3env.BUCKET)
    for ctr in pod["initContainers"] + pod["containers"]:
        env = []
        for e in ctr.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if e["name"] == "DATABASE_URL":
                env.append({"name": "DATABASE_URL", "value": url})
            elif e["name"] in s3vars:
                env.append({"name": e["name"], "value": s3vars.pop(e["name"])})
            elif not ref:
                env.append(e)
        if ctr is pod["initContainers"][0]:
            env += [{"name": k, "value": v} for k, v in s3vars.items()]   # endpoint, path style
        ctr["env"] = env + [{"name": "PORT", "value": str(port)}]
        ctr.pop("readinessProbe", None)
        ctr.pop("ports", None)           # host network: no port mapping
    man = os.path.join(c.tmp, "init-container.yaml")
    with open(man, "w") as f:
        yaml.safe_dump(dep, f)
    try:
        c.podman("kube", "play", "--start", man, timeout=300)
        names = c.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
        # podman 4.3 names the pod "<deployment>-pod-0" and its containers
        # "<pod>-<container>"
        app = [n for n in names if n.endswith("-" + pod["containers"][0]["name"])]
        assert len(app) == 1, names
        app = app[0]
        init = app[:-len(pod["containers"][0]["name"])] + pod["initContainers"][0]["name"]
        wait_for("the app container", lambda: "app listening" in c.logs(app), timeout=120)
        assert applied(c, db) == ALL
        files, listing = c.s3_backups("k8s", db)
        assert len(files) == 1 and files[0] + ".json" in listing, listing
        logs = c.logs(app)
        assert "predeploy" not in logs, logs
        # the init container ran predeploy and exited 0 before the app started
        # (podman removes a finished "once" init container)
        r = c.podman("ps", "-a", "--format", "{{.Names}} {{.Status}}")
        assert not [l for l in r.stdout.splitlines() if l.startswith(init + " ") and
                    "Exited (0)" not in l], r.stdout
    finally:
        c.podman("kube", "play", "--down", man, check=False)


@case
def kubernetes_job_pod_kube_play(c):
    # podman 4.3 cannot play a Job: its pod template, as a Pod, is what runs
    db, url = c.database()
    job = k8s_docs(os.path.join(EXAMPLES, "kubernetes", "migrate-job.yaml"))[0]
    spec = job["spec"]["template"]["spec"]
    ctr = spec["containers"][0]
    c.podman("tag", IMG["docker"], ctr["image"])
    spec["hostNetwork"] = True
    ctr["env"] = [{"name": "DATABASE_URL", "value": url}] + [
        e for e in ctr["env"] if "valueFrom" not in e]
    claim = spec["volumes"][0]["persistentVolumeClaim"]["claimName"]
    if c.podman("volume", "exists", claim, check=False).returncode != 0:
        c.podman("volume", "create", claim)
    vp = volume_path(c, claim)
    os.chown(vp, -1, spec["securityContext"]["fsGroup"])   # what the kubelet does for fsGroup
    os.chmod(vp, 0o2775)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": job["metadata"]["name"]}, "spec": spec}
    man = os.path.join(c.tmp, "migrate-job-pod.yaml")
    with open(man, "w") as f:
        yaml.safe_dump(pod, f)
    try:
        c.podman("kube", "play", man, timeout=300)
        name = job["metadata"]["name"] + "-" + ctr["name"]
        wait_for("the migration pod", lambda: c.podman(
            "inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "exited", timeout=120)
        code = c.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert code == "0", (code, c.logs(name))
        assert applied(c, db) == ALL
        files = [f for f in backups_in(os.path.join(vp, "predeploy")) if f.startswith(db + "_")]
        assert len(files) == 1, files
    finally:
        c.podman("kube", "play", "--down", man, check=False)


@case
def kubernetes_manifests_match_the_schema(c):
    npm = os.environ.get("PREDEPLOY_NPM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "predeploy-npm")
    mods = os.path.join(npm, "kubernetes-models-4.5.1", "node_modules")
    assert os.path.isdir(os.path.join(mods, "kubernetes-models")), \
        "kubernetes-models missing in %s: run scripts/install-deps" % mods
    docs = []
    for p in sorted(glob.glob(os.path.join(EXAMPLES, "kubernetes", "*.y*ml"))):
        for d in k8s_docs(p):
            docs.append({"file": os.path.relpath(p, SRC), "doc": d})
    assert len(docs) >= 2, docs
    # the validator can fail: a mistyped enum and a scalar where a list goes
    bad = json.loads(json.dumps(docs[-1]))
    bad["file"] = "mutant"
    bad["doc"]["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes"
    r = subprocess.run(["node", os.path.join(HERE, "k8s_validate.js")],
                       input=json.dumps(docs + [bad]), capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=mods), timeout=60)
    out = r.stdout + r.stderr
    for d in docs:
        assert "ok %s %s" % (d["file"], d["doc"]["kind"]) in out, out
    assert "FAIL mutant" in out and "restartPolicy" in out, out
    assert r.returncode == 1, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(SRC, "build-static", "predeploy"),
                    help="the static predeploy binary (scripts/build-static)")
    ap.add_argument("-k", default="", help="run only the cases whose name contains one of these (a,b)")
    ap.add_argument("--keep", action="store_true", help="keep the podman root and server")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("tests/containers/run.py: rootful podman needs root")
    if not os.access(args.bin, os.X_OK):
        sys.exit("tests/containers/run.py: no static binary at %s (scripts/build-static)" % args.bin)
    c = Ctx(args)
    # stopped from outside (ctest timeout, ^C): clean up all the same
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    t0 = time.time()
    passed = failed = 0
    try:
        c.pg = pgserver.start()
        setup(c)
        for fn in CASES:
            if not any(k in fn.__name__ for k in args.k.split(",")):
                continue
            t1 = time.time()
            try:
                fn(c)
                passed += 1
                print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t1), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s (%.1fs)\n%s" % (fn.__name__, time.time() - t1, traceback.format_exc()),
                      flush=True)
        leaks = [a for a, text in c.outputs
                 if pgserver.PASSWORD in text or "Zq8" in text or s3env.LEAK_MARK in text]
        if leaks:
            failed += 1
            print("FAIL the test password appeared in the output of: %r" % leaks[:5])
    except (Exception, KeyboardInterrupt):
        failed += 1
        print("FAIL setup\n" + traceback.format_exc(), flush=True)
    finally:
        c.close()
    print("%d passed, %d failed (%.0fs)" % (passed, failed, time.time() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
