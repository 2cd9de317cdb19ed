#!/usr/bin/env python3
# cost: 23
# shards: 2
"""Backups in an S3-compatible bucket (--backup-to s3://BUCKET/PREFIX):
s3rver behind a front that verifies every SigV4 signature with botocore and
injects faults (s3env.py); what predeploy wrote is read back with boto3.
Round trip, multipart, retries, clean aborts, kill -9, wrong credentials,
reuse, retention, and restore refusing changed bytes."""
import gzip
import hashlib
import json
import os
import signal
import sys
import time

from harness import case, main, Env
import s3env
from bkfixture import RICH, state, fill_random

S3 = None


def run(t, s3, *args, env=None, prefix="backups"):
    e = s3.env()
    e.update(env or {})
    return t.run(*args, "--backup-to", s3.url(prefix), env=e)


def ours(s3, prefix="backups"):
    return {k: v for k, v in s3.client("list").items() if k.startswith(prefix + "/")}



def fresh():
    global S3
    if S3:
        S3.close()
    S3 = s3env.S3()
    return S3


@case
def round_trip_through_the_bucket(t: Env):
    s3 = fresh()
    t.sql(RICH)
    before = state(t)
    r = run(t, s3, "backup", "--format", "json")
    t.expect(r, 0)
    out = json.loads(r.out)
    assert out["path"].startswith("s3://%s/backups/%s_" % (s3env.BUCKET, t.db)), out
    objs = ours(s3)
    name = out["path"].split("/", 3)[3]
    assert set(objs) == {name, name + ".json"}, objs
    body = s3.client("get", name)
    side = json.loads(s3.client("get", name + ".json"))
    assert hashlib.sha256(body).hexdigest() == side["sha256"] == out["sha256"]
    assert side["size"] == len(body) and side["raw_size"] == len(gzip.decompress(body))
    assert b"-- PostgreSQL database dump complete" in gzip.decompress(body)[-300:]
    assert s3env.LEAK_MARK.encode() not in body and s3env.LEAK_MARK.encode() not in s3.client("get", name + ".json")
    r = run(t, s3, "backups", "--format", "json")
    t.expect(r, 0)
    lst = json.loads(r.out)
    assert len(lst) == 1 and lst[0]["verified"] and lst[0]["sha256"] == side["sha256"], lst
    # every request went through the verifying front and was accepted
    reqs = s3.requests()
    assert reqs and all(l.endswith("-> 200") or l.endswith("-> 206") or l.endswith("-> 204") or l.endswith("-> 404") for l in reqs), reqs
    t.sql("drop table books cascade; delete from authors; drop schema side cascade")
    r = run(t, s3, "restore", "--backup", "0", "--force", "--no-backup")
    t.expect(r, 0)
    assert state(t) == before


@case
def large_dump_is_a_multipart_upload(t: Env):
    s3 = fresh()
    fill_random(t, 20)
    r = run(t, s3, "backup", "--verify-readback")
    t.expect(r, 0)
    reqs = s3.requests()
    parts = [l for l in reqs if "partNumber=" in l and l.startswith("PUT")]
    assert len(parts) == 3, reqs          # 8 + 8 + the rest, MiB
    assert any(l.startswith("POST") and "uploads=" in l for l in reqs)
    assert any(l.startswith("POST") and "uploadId=" in l for l in reqs)
    assert any(l.startswith("GET") and "backups/" in l for l in reqs), "--verify-readback read nothing"
    name = [k for k in ours(s3) if k.endswith(".sql.gz")][0]
    body = s3.client("get", name)
    side = json.loads(s3.client("get", name + ".json"))
    assert hashlib.sha256(body).hexdigest() == side["sha256"] and len(body) == side["size"]
    assert s3.uploads() == []


@case
def server_errors_are_retried(t: Env):
    s3 = fresh()
    fill_random(t, 10)
    s3.fault({"status": 500, "match": "partNumber=1", "times": 2})
    r = run(t, s3, "backup")
    t.expect(r, 0)
    reqs = s3.requests()
    p1 = [l for l in reqs if "partNumber=1&" in l]
    assert [l.rsplit(" ", 1)[1] for l in p1] == ["500", "500", "200"], reqs
    assert "retrying" in r.err
    s3.fault({"status": 429, "match": "uploads=", "times": 1})
    t.expect(run(t, s3, "backup"), 0)


@case
def dropped_connections_end_in_a_clean_abort(t: Env):
    s3 = fresh()
    fill_random(t, 20)
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    s3.fault({"drop": "partNumber=2", "times": 99})
    r = run(t, s3, "run")
    t.expect(r, 14)
    assert "partNumber" not in r.err or "S3" in r.err, r
    assert not [k for k in ours(s3)], ours(s3)
    assert s3.uploads() == []
    assert any(l.startswith("DELETE") and "uploadId=" in l for l in s3.requests())
    assert t.sql("select count(*) from pg_tables where tablename = 'a'") == "0"


@case
def wrong_credentials_refused(t: Env):
    s3 = fresh()
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    r = run(t, s3, "run", env={"AWS_SECRET_ACCESS_KEY": "wrong-secret"})
    t.expect(r, 14)
    assert "SignatureDoesNotMatch" in r.err, r
    assert t.sql("select count(*) from pg_tables where tablename = 'a'") == "0"
    s3.fault({"deny": 1})
    r = run(t, s3, "backup")
    t.expect(r, 14)
    assert "AccessDenied" in r.err and "403" in r.err, r
    s3.fault({})
    assert ours(s3) == {}
    r = run(t, s3, "backup", env={"AWS_SECRET_ACCESS_KEY": None})
    t.expect(r, 78)


@case
def kill_9_mid_upload_then_next_run_cleans_up(t: Env):
    s3 = fresh()
    fill_random(t, 40)
    e = s3.env()
    p = t.spawn("backup", "--backup-to", s3.url(), env=e)
    deadline = time.time() + 60
    while time.time() < deadline and not any("partNumber=1&" in l and l.endswith("200") for l in s3.requests()):
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.communicate()
    assert not [k for k in ours(s3) if k.endswith(".json")], ours(s3)
    assert len(s3.uploads()) == 1, "the killed upload should be left behind"
    r = run(t, s3, "backup")
    t.expect(r, 0)
    assert "unfinished upload" in r.err, r
    assert s3.uploads() == []
    assert len([k for k in ours(s3) if k.endswith(".sql.gz")]) == 1


@case
def reuse_and_retention_on_the_bucket(t: Env):
    s3 = fresh()
    t.sql("create table x(i int)")
    s3.client("put", "backups/notes.txt", input=b"keep me")
    s3.client("put", "backups/nested/%s_20200101T000000Z_0.sql.gz" % t.db, input=b"x")
    s3.client("put", "elsewhere/%s_20200101T000000Z_0.sql.gz" % t.db, input=b"x")
    # a restart loop: the migration fails, the container starts again
    t.write("migrations/001_bad.sql", "-- migrate:up\nselect 1/0;\n")
    t.expect(run(t, s3, "run"), 11)
    r = run(t, s3, "run")
    t.expect(r, 11)
    assert "reusing backup" in r.err, r
    assert len([k for k in ours(s3) if k.endswith(".sql.gz")]) == 2   # one backup + the nested object
    os.remove(t.path("migrations/001_bad.sql"))
    for _ in range(3):
        t.expect(run(t, s3, "backup", "--keep", "2"), 0)
    objs = s3.client("list")
    mine = sorted(k for k in objs if k.startswith("backups/%s_" % t.db))
    assert len(mine) == 4, objs             # two backups and their sidecars
    for k in ("backups/notes.txt", "backups/nested/%s_20200101T000000Z_0.sql.gz" % t.db,
              "elsewhere/%s_20200101T000000Z_0.sql.gz" % t.db):
        assert k in objs, k


@case
def restore_refuses_changed_bytes(t: Env):
    s3 = fresh()
    t.sql("create table x(i int); insert into x values (1)")
    t.expect(run(t, s3, "backup"), 0)
    name = [k for k in ours(s3) if k.endswith(".sql.gz")][0]
    body = bytearray(s3.client("get", name))
    body[len(body) // 2] ^= 0x01
    s3.client("put", name, input=bytes(body))
    t.sql("insert into x values (2)")
    r = run(t, s3, "restore", "--backup", "0", "--force")
    t.expect(r, 65)
    assert "nothing was executed" in r.err, r
    assert t.sql("select count(*) from x") == "2"
    assert len([k for k in ours(s3) if k.endswith(".sql.gz")]) == 1    # no pre-restore backup either


@case
def encrypted_round_trip_through_the_bucket(t: Env):
    """--backup-key-file on a bucket: the object is sealed before upload,
    the in-stream check decrypts what was sent (no GET), restore decrypts
    the GET stream; a byte changed in the bucket (its sidecar made to
    agree) fails a chunk's tag before any statement runs."""
    import base64
    import harness
    key_hex = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
    harness.SECRETS += [key_hex, base64.b64encode(bytes.fromhex(key_hex)).decode()]
    s3 = fresh()
    t.sql(RICH)
    fill_random(t, 1)
    before = state(t)
    key = t.write("k", key_hex + "\n")
    os.chmod(key, 0o600)
    r = run(t, s3, "backup", "--format", "json", "--backup-key-file", key)
    t.expect(r, 0)
    out = json.loads(r.out)
    name = out["path"].split("/", 3)[3]
    assert name.endswith(".sql.gz.enc") and set(ours(s3)) == {name, name + ".json"}, (name, ours(s3))
    got = [l for l in s3.requests() if l.startswith("GET") and (name + " ") in l]
    assert not got, ("verified without reading the object back", got)
    body = s3.client("get", name)
    side = json.loads(s3.client("get", name + ".json"))
    assert body.startswith(b"\x89PDENC\r\n") and b"side.notes" not in body
    assert hashlib.sha256(body).hexdigest() == side["sha256"] == out["sha256"] and side["size"] == len(body)
    assert side["encryption"] == "AES-256-GCM" and side["key_id"] == out["key_id"] == body[12:20].hex(), side
    lst = json.loads(run(t, s3, "backups", "--format", "json").out)
    assert len(lst) == 1 and lst[0]["encrypted"] and lst[0]["verified"] and lst[0]["key_id"] == side["key_id"]
    # --verify-readback decrypts the object read back
    r = run(t, s3, "backup", "--verify-readback", "--backup-key-file", key)
    t.expect(r, 0)
    assert any(l.startswith("GET") and ".sql.gz.enc " in l for l in s3.requests())
    t.sql("drop table books cascade; delete from authors; drop schema side cascade")
    r = run(t, s3, "restore", "--backup", "1", "--force", "--no-backup", "--backup-key-file", key)
    t.expect(r, 0)
    assert state(t) == before
    # a changed byte, the sidecar rewritten to match it
    changed = bytearray(body)
    changed[len(changed) // 2] ^= 0x20
    s3.client("put", name, input=bytes(changed))
    side["sha256"] = hashlib.sha256(bytes(changed)).hexdigest()
    s3.client("put", name + ".json", input=json.dumps(side).encode())
    t.sql("create table marker(i int)")
    r = run(t, s3, "restore", "--backup", "1", "--force", "--no-backup", "--backup-key-file", key)
    t.expect(r, 65)
    assert "failed authentication at chunk" in r.err and "nothing was executed" in r.err, r
    assert t.sql("select to_regclass('marker') is not null") == "t"
    # without the key: 78, naming the key id
    r = run(t, s3, "restore", "--backup", "0", "--force", "--no-backup")
    t.expect(r, 78)
    assert "no backup key is configured" in r.err and side["key_id"] in r.err, r


def libcurl_version(t):
    r = t.run("version")
    t.expect(r, 0)
    v = [l.split()[1] for l in r.out.splitlines() if l.startswith("libcurl ")][0]
    return tuple(int(x) for x in v.split(".")[:3])


def storage_header_writes(s3):
    """The writes of one backup: the multipart initiation and the sidecar PUT."""
    lines = s3.storage_headers()
    init = [l for l in lines if l.startswith("POST") and "uploads=" in l.split(" ")[1]]
    side = [l for l in lines if l.startswith("PUT") and ".json " in l]
    assert init and side, lines
    assert not [l for l in lines if l.startswith(("GET", "HEAD", "DELETE"))], lines
    return init + side


@case
def sse_and_storage_class_headers_are_sent_and_signed(t: Env):
    """--s3-sse and --s3-storage-class reach every request that writes an
    object (the multipart initiation and the sidecar PUT), inside the SigV4
    signature the verifying front recomputes; reads carry none."""
    s3 = fresh()
    fill_random(t, 10)
    r = run(t, s3, "backup", "--s3-sse", "aws:kms", "--s3-storage-class", "STANDARD_IA")
    t.expect(r, 0)
    for l in storage_header_writes(s3):
        assert "x-amz-server-side-encryption=aws:kms signed" in l, l
        assert "x-amz-storage-class=STANDARD_IA signed" in l, l
    s3b = fresh()
    t.expect(run(t, s3b, "backup", "--s3-sse", "AES256"), 0)
    for l in storage_header_writes(s3b):
        assert "x-amz-server-side-encryption=AES256 signed" in l and "storage-class" not in l, l


@case
def sse_kms_key_id_needs_a_libcurl_that_signs_it_in_order(t: Env):
    """With a KMS key id the two x-amz-server-side-encryption headers are a
    name and its prefix, which libcurl before 8.10.0 signs in the wrong
    order (S3 answers SignatureDoesNotMatch, as the verifying front did):
    refused up front as a configuration error, nothing sent, nothing
    applied; a fixed libcurl sends both, signed."""
    s3 = fresh()
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a(id int);\n")
    r = t.run("run", "--backup-to", s3.url(), "--s3-sse", "aws:kms", "--s3-sse-kms-key-id", "alias/predeploy-test",
              "--", "true", env=s3.env())
    if libcurl_version(t) < (8, 10, 0):
        t.expect(r, 78)
        assert "--s3-sse-kms-key-id cannot be used with libcurl" in r.err and "8.10.0" in r.err, r
        assert "bucket's default encryption" in r.err, r
        assert s3.requests() == [], s3.requests()
        assert t.sql("select count(*) from pg_tables where tablename = 'a'") == "0"
    else:
        t.expect(r, 0)
        for l in storage_header_writes(s3):
            assert "x-amz-server-side-encryption-aws-kms-key-id=alias/predeploy-test signed" in l, l


if __name__ == "__main__":
    if not s3env.available():
        print("FAIL: s3rver or python3-botocore/boto3 missing: run scripts/install-deps")
        sys.exit(1)
    try:
        main()
    finally:
        if S3:
            S3.close()
