#!/usr/bin/env python3
# cost: 4
"""Encrypted backups (--backup-key-file, PREDEPLOY_BACKUP_KEY[_FILE]) in a
directory: the round trip, the file's format as seen from outside, and
restore refusing a flipped byte, a cut file, a wrong or missing key with
nothing executed; key rotation and reuse; the key in no output, file,
webhook, termination message or history row.  The bucket's case is in
test_s3.py."""
import base64
import glob
import gzip
import hashlib
import json
import os
import subprocess

from harness import case, main, Env
import harness
from bkfixture import RICH, state, backups, fill_random
from receiver import Receiver

KEY = "5f1e0c2d9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f302112030405"
OTHER = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
KEY_B64 = base64.b64encode(bytes.fromhex(KEY)).decode()
# every output of every case is grepped for these (harness.check_no_password)
harness.SECRETS += [KEY, KEY.upper(), KEY_B64, KEY_B64.rstrip("="), OTHER]
MAGIC = b"\x89PDENC\r\n"
HEADER, TAG, CHUNK = 72, 16, 65536


def keyid(key_hex):
    """The key id as documented: HKDF-SHA256 with OpenSSL's own tool."""
    r = subprocess.run(["openssl", "kdf", "-keylen", "8", "-kdfopt", "digest:SHA256", "-kdfopt",
                        "hexkey:" + key_hex, "-kdfopt", "info:predeploy backup key id v1", "HKDF"],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip().replace(":", "").lower()


def keyfile(t, name, *keys):
    p = t.write(name, "".join(k + "\n" for k in keys))
    os.chmod(p, 0o600)
    return p


def enc_backup(t, *extra, key=None):
    r = t.run("backup", "--backup-key-file", key or keyfile(t, "k", KEY), *extra)
    t.expect(r, 0)
    path = r.out.strip()
    return path if os.path.isabs(path) else t.path(path)


def restore(t, *extra, env=None):
    return t.run("restore", "--force", "--no-backup", *extra, env=env)


def nothing_ran(t, r):
    """65 (or the given code) and the database untouched: the marker row
    added after the backup is still there, no restore in history."""
    assert "nothing was executed" in r.err, r
    assert t.sql("select count(*) from marker") == "1"
    assert t.sql("select count(*) from authors") == "3"


def set_sidecar_sha(path):
    """Make the sidecar agree with the changed file, so that only the
    chunks' tags can catch the change."""
    side = json.load(open(path + ".json"))
    side["sha256"] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    side["size"] = os.path.getsize(path)
    json.dump(side, open(path + ".json", "w"))


@case
def round_trip_encrypted(t: Env):
    t.sql(RICH)
    before = state(t)
    path = enc_backup(t)
    assert path.endswith(".sql.gz.enc"), path
    body = open(path, "rb").read()
    assert body.startswith(MAGIC) and body[12:20].hex() == keyid(KEY)
    # nothing of the dump readable: no gzip stream, no table name, no row
    assert b"\x1f\x8b" not in body[:HEADER + 2] and b"side.notes" not in body and b"big row" not in body
    side = json.load(open(path + ".json"))
    assert side["encryption"] == "AES-256-GCM" and side["key_id"] == keyid(KEY), side
    assert side["sha256"] == hashlib.sha256(body).hexdigest() and side["size"] == len(body)
    assert side["compression"] == "gzip" and side["raw_size"] > len(body)
    lst = backups(t)
    assert len(lst) == 1 and lst[0]["verified"] and lst[0]["encrypted"] and lst[0]["key_id"] == keyid(KEY), lst
    r = t.run("backups")
    t.expect(r, 0)
    assert "ENCRYPTED" in r.out and keyid(KEY) in r.out, r
    t.sql("drop table books cascade; delete from authors; drop schema side cascade")
    r = restore(t, "--backup", "0", "--backup-key-file", t.path("k"))
    t.expect(r, 0)
    assert state(t) == before
    # PREDEPLOY_BACKUP_KEY (the key's base64) and PREDEPLOY_BACKUP_KEY_FILE read it too
    t.sql("delete from authors where id = 3")
    t.expect(restore(t, "--backup", "0", env={"PREDEPLOY_BACKUP_KEY": KEY_B64}), 0)
    assert state(t) == before
    t.sql("delete from authors where id = 3")
    t.expect(restore(t, "--file", path, env={"PREDEPLOY_BACKUP_KEY_FILE": t.path("k")}), 0)
    assert state(t) == before


CRYPTREF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cryptref.py")


@case
def format_as_documented(t: Env):
    """An independent implementation of the documented format
    (cryptref.py: Python's cryptography package) decrypts predeploy's
    backup, and predeploy restores a file that implementation encrypted
    (with another chunk size)."""
    t.sql(RICH)
    before = state(t)
    path = enc_backup(t)
    side = json.load(open(path + ".json"))
    r = subprocess.run(["/usr/bin/python3", CRYPTREF, "decrypt", path, KEY], capture_output=True)
    assert r.returncode == 0, r.stderr
    dump = gzip.decompress(r.stdout)
    assert len(dump) == side["raw_size"] and b"-- PostgreSQL database dump complete" in dump[-300:]
    r = subprocess.run(["/usr/bin/python3", CRYPTREF, "decrypt", path, OTHER], capture_output=True)
    assert r.returncode == 1 and b"wrong key" in r.stderr
    # theirs, 16 KiB chunks, restored by predeploy
    plain = t.run("backup", "--backup-dir", "plain")
    t.expect(plain, 0)
    theirs = t.path("theirs.sql.gz.enc")
    with open(t.path(plain.out.strip()), "rb") as src, open(theirs, "wb") as dst:
        subprocess.run(["/usr/bin/python3", CRYPTREF, "encrypt", KEY, "14"], stdin=src, stdout=dst, check=True)
    t.sql("drop table books cascade")
    t.expect(restore(t, "--file", theirs, "--backup-key-file", t.path("k")), 0)
    assert state(t) == before


def marked(t):
    t.sql(RICH)
    fill_random(t, 1)                     # about 1 MB that does not compress: 16 chunks
    path = enc_backup(t)
    t.sql("create table marker(i int); insert into marker values (1)")
    return path


@case
def flipped_byte_refused_before_anything_runs(t: Env):
    path = marked(t)
    body = bytearray(open(path, "rb").read())
    for at in (HEADER + 10, len(body) // 2, len(body) - 3):     # first chunk, middle, last tag
        changed = bytearray(body)
        changed[at] ^= 0x01
        open(path, "wb").write(changed)
        # the chunk's tag fails while the file is checked (before its
        # SHA-256 is compared with the sidecar's)...
        r = restore(t, "--backup", "0", "--backup-key-file", t.path("k"))
        t.expect(r, 65)
        assert "failed authentication at chunk" in r.err, r
        nothing_ran(t, r)
        # ...also when the sidecar was changed to agree
        set_sidecar_sha(path)
        r = restore(t, "--backup", "0", "--backup-key-file", t.path("k"))
        t.expect(r, 65)
        assert "failed authentication at chunk" in r.err, r
        nothing_ran(t, r)
    os.remove(path + ".json")                                   # no sidecar at all
    r = restore(t, "--file", path, "--backup-key-file", t.path("k"))
    t.expect(r, 65)
    assert "failed authentication at chunk" in r.err, r
    nothing_ran(t, r)


@case
def truncated_file_refused(t: Env):
    path = marked(t)
    body = open(path, "rb").read()
    assert len(body) > HEADER + 2 * (CHUNK + TAG), "the dump should span several chunks"
    for cut, words in ((HEADER + CHUNK + TAG, "ends after chunk 0"), (HEADER + CHUNK // 2, "chunk 0"),
                       (len(body) - 1, "failed authentication"), (40, "encryption header")):
        open(path, "wb").write(body[:cut])
        set_sidecar_sha(path)
        r = restore(t, "--backup", "0", "--backup-key-file", t.path("k"))
        t.expect(r, 65)
        assert words in r.err and "truncated" in r.err or words == "failed authentication" and words in r.err, r
        nothing_ran(t, r)


@case
def wrong_or_missing_key(t: Env):
    path = marked(t)
    other = keyfile(t, "other", OTHER)
    r = restore(t, "--backup", "0", "--backup-key-file", other)
    t.expect(r, 65)
    assert "wrong key" in r.err and keyid(KEY) in r.err and keyid(OTHER) in r.err, r
    nothing_ran(t, r)
    r = restore(t, "--file", path)
    t.expect(r, 78)
    assert "is encrypted (key %s) and no backup key is configured" % keyid(KEY) in r.err, r
    nothing_ran(t, r)
    # rotation: the new key first, the old one after it
    both = keyfile(t, "both", OTHER, KEY)
    t.sql("drop table marker")
    t.expect(restore(t, "--backup", "0", "--backup-key-file", both), 0)
    assert t.sql("select to_regclass('marker') is null") == "t"
    newer = enc_backup(t, key=both)
    assert open(newer, "rb").read()[12:20].hex() == keyid(OTHER)


@case
def bad_key_configuration(t: Env):
    t.sql("create table x(i int)")
    bad = t.write("bad", "# keys\n%s\nnot-a-key-Tz9\n" % KEY)
    r = t.run("backup", "--backup-key-file", bad)
    t.expect(r, 78)
    assert 'backup key file "%s", line 3: not a key' % bad in r.err and "Tz9" not in r.err, r
    r = t.run("backup", "--backup-key-file", t.path("missing"))
    t.expect(r, 78)
    assert "missing" in r.err, r
    r = t.run("backup", env={"PREDEPLOY_BACKUP_KEY": KEY, "PREDEPLOY_BACKUP_KEY_FILE": bad})
    t.expect(r, 78)
    assert "set only one" in r.err, r
    r = t.run("backup", env={"PREDEPLOY_BACKUP_KEY": KEY[:-2]})
    t.expect(r, 78)
    assert "PREDEPLOY_BACKUP_KEY, line 1: not a key" in r.err, r
    t.expect(t.run("backups", "--backup-key-file", bad), 64)   # backups needs no key
    assert not glob.glob(t.path("backups", "*"))
    # a raw 32-byte key file
    raw = t.path("raw")
    open(raw, "wb").write(bytes.fromhex(KEY))
    os.chmod(raw, 0o600)
    path = enc_backup(t, key=raw)
    assert open(path, "rb").read()[12:20].hex() == keyid(KEY)


@case
def reuse_only_what_the_keys_read(t: Env):
    t.sql("create table x(i int)")
    k = keyfile(t, "k", KEY)
    t.write("migrations/001_bad.sql", "-- migrate:up\nselect 1/0;\n")
    t.expect(t.run("run", "--backup-key-file", k), 11)
    r = t.run("run", "--backup-key-file", k)
    t.expect(r, 11)
    assert "reusing backup" in r.err, r
    # without a key, the encrypted one is not reused: a new plain backup
    r = t.run("run")
    t.expect(r, 11)
    assert "reusing backup" not in r.err, r
    names = sorted(os.listdir(t.path("backups")))
    assert len([n for n in names if n.endswith(".sql.gz.enc")]) == 1, names
    assert len([n for n in names if n.endswith(".sql.gz")]) == 1, names
    # rotated keys (new first) still reuse the old key's backup
    r = t.run("run", "--backup-key-file", keyfile(t, "both", OTHER, KEY))
    t.expect(r, 11)
    assert "reusing backup" in r.err and ".sql.gz.enc" in r.err, r


@case
def key_never_in_any_output(t: Env):
    t.sql("create table x(i int)")
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    log = t.path("termination-log")
    with Receiver() as rx:
        r = t.run("run", "--webhook", rx.url, "--termination-log", log, "--verbose", "--backup", "always",
                  "--", "sh", "-c", 'echo "key=[$PREDEPLOY_BACKUP_KEY]"; echo STARTED', env={"PREDEPLOY_BACKUP_KEY": KEY_B64})
        t.expect(r, 0)
        # the app started by run does not inherit the key
        assert "STARTED" in r.out and "key=[]" in r.out, r
        bodies = [q["body"] for q in rx.wait_for(1, timeout=15)]
    r2 = t.run("run", "--log-format", "json", "--verbose", "--backup", "always",
               env={"PREDEPLOY_BACKUP_KEY_FILE": keyfile(t, "k", KEY)})
    t.expect(r2, 0)
    hist = t.sql("select h::text from predeploy_migrations_history h")
    files = [open(p, "rb").read().decode("latin-1") for p in glob.glob(t.path("backups", "*.json"))]
    assert len(files) == 2 and all('"key_id"' in f for f in files)
    haystacks = [r.out, r.err, r2.out, r2.err, open(log).read(), hist] + bodies + files
    for s in (KEY, KEY.upper(), KEY_B64, KEY_B64.rstrip("=")):
        for h in haystacks:
            assert s not in h, (s, h[:2000])
    # the pg_dump child never sees the key either (its argv is checked by
    # test_backup.py; the key goes only to predeploy's own process)
    assert "encrypted with key " + keyid(KEY) in r.err, r


if __name__ == "__main__":
    main()
