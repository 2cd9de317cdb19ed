"""The real tools' projects the tests run: the Alembic project in
examples/alembic (copied into a test's directory, the alembic CLI run
against the test's database) and the MikroORM project in
tests/fixtures/mikro-orm with the npm packages scripts/install-deps puts
outside the repository.  Shared by test_migrators.py and test_rehearse.py."""
import os
import shutil
import subprocess

from harness import SRC, Env

FIXTURE = os.path.join(SRC, "examples", "alembic")
MIKRO_FIXTURE = os.path.join(SRC, "tests", "fixtures", "mikro-orm")


def mikro_modules():
    """node_modules of MikroORM 6.6.16 as scripts/install-deps installs it
    (outside the repository)."""
    cache = os.environ.get("PREDEPLOY_NPM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ["HOME"], ".cache"), "predeploy-npm")
    mods = os.path.join(cache, "mikro-orm-6.6.16", "node_modules")
    if not os.path.exists(os.path.join(mods, ".bin", "mikro-orm")):
        raise AssertionError("MikroORM is not installed in %s: run scripts/install-deps" % mods)
    return mods


HEAD = "e5f6a7b8c9d0"
ALL = ["initial_snapshot", "a1b2c3d4e5f6", "20260206_exercises_idx", "c0ffee000001", "d4e5f6a7b804", HEAD]


def alembic_project(t: Env, sub="app"):
    """A copy of the fixture project in the test's directory; returns its path."""
    dst = t.path(sub)
    shutil.copytree(FIXTURE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def alembic(t: Env, cwd, *args):
    r = subprocess.run(["alembic"] + list(args), cwd=cwd, env=t.env(), capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def add_revision(app, rev, down, body, comment=""):
    """A new revision file after `down` whose upgrade() runs `body` (op.* lines)."""
    path = os.path.join(app, "migrations", "versions", "%s_rehearsed.py" % rev)
    with open(path, "w") as f:
        f.write('"""%s\n\nRevision ID: %s\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                'revision = "%s"\ndown_revision = "%s"\nbranch_labels = None\ndepends_on = None\n\n\n'
                'def upgrade() -> None:\n%s%s\n\n\ndef downgrade() -> None:\n    pass\n'
                % (rev, rev, rev, down, ("    # %s\n" % comment) if comment else "", body))
    return path
