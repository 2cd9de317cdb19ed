#!/usr/bin/env python3
# cost: 7
"""Webhook delivery (src/webhook.c) against a real HTTP(S) receiver on 127.0.0.1.

The deliveries go through webhook_driver (tests/integration/webhook_driver.c),
a test-only program that loads the configuration like the CLI and calls
webhook_deliver(); `run` itself is tested in its own file with the same
receiver.  The retry cases shorten the limits (connect 3 s, 10 s per attempt,
4 attempts, backoff 1 s / 2 s / 4 s, Retry-After capped at 10 s, 30 s per URL)
through the test-only PREDEPLOY_TEST_WEBHOOK_LIMITS, and check the decisions
the delivery logs ("retrying in 1043ms", "no time left"), never wall-clock
time.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import time

from harness import case, main, Env
from receiver import Receiver, sign, verify

DRIVER = os.environ.get("PREDEPLOY_WEBHOOK_DRIVER", "")
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Sent:
    def __init__(self, code, result, err, seconds):
        self.code, self.result, self.err, self.seconds = code, result, err, seconds

    def __repr__(self):
        return "webhook_driver -> %d in %.1fs %r\n--- stderr\n%s" % (
            self.code, self.seconds, self.result, self.err)


def limits(**kw):
    """PREDEPLOY_TEST_WEBHOOK_LIMITS for env=: limits(backoff="100ms")."""
    return {"PREDEPLOY_TEST_WEBHOOK_LIMITS": ",".join(
        "%s=%s" % (k.replace("_", "-"), v) for k, v in kw.items())}


def retry_waits(err):
    """The waits (ms) the delivery chose before each retry, from its log."""
    return [int(x) for x in re.findall(r"retrying in (\d+)ms", err)]


def backoff_ok(waits, first_ms):
    """first_ms, doubled each time, each plus 0-25 % jitter."""
    return all(first_ms << i <= w <= (first_ms << i) * 5 // 4 for i, w in enumerate(waits))


def send(t: Env, *args, env=None, timeout=90):
    e = t.env(env)
    t0 = time.monotonic()
    r = subprocess.run([DRIVER] + list(args), cwd=t.dir, env=e, capture_output=True, text=True,
                       timeout=timeout, errors="replace")
    took = time.monotonic() - t0
    lines = r.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else None
    return Sent(r.returncode, result, r.stderr, took)


def expect(s: Sent, code):
    if s.code != code:
        raise AssertionError("expected exit %d, got %r" % (code, s))


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


@case
def receiver_verifies_spec_vector(t: Env):
    # The receiver's own verification against the Standard Webhooks example,
    # so a signature it accepts below is a correct one.
    body = b'{"test": 2432232314}'
    assert sign(WHSEC, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    h = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
         "webhook-signature": "v1,bogus v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    assert verify(WHSEC, h, body, now=1614265330 + 10)
    assert not verify(WHSEC, h, body + b" ", now=1614265330 + 10)
    assert not verify(WHSEC, h, body, now=1614265330 + 3600)        # stale


@case
def delivers_signed_json(t: Env):
    with Receiver(secret=WHSEC) as rx:
        s = send(t, "--webhook", rx.url, "--type", "deploy.succeeded", "--summary", "ok",
                 env={"PREDEPLOY_WEBHOOK_SECRET": WHSEC, "GITHUB_SHA": "abc123def",
                      "SOURCE_COMMIT": None})
        expect(s, 0)
        assert s.result == {"rc": 0, "code": 0, "msg": "", "detail": ""}, s
        (r,) = rx.wait_for(1, timeout=5)
        assert len(rx.snapshot()) == 1     # the driver has exited: no more will come
    assert r["method"] == "POST" and r["path"] == "/hook"
    assert r["signature_valid"] is True, r
    h = r["headers"]
    assert h["content-type"] == "application/json"
    assert h["user-agent"].startswith("predeploy/")
    assert re.fullmatch(r"msg_[A-Za-z0-9]{24}", h["webhook-id"]), h
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 30
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", h["webhook-signature"]), h
    body = r["json"]
    assert set(body) == {"type", "timestamp", "data"}, body
    assert body["type"] == "deploy.succeeded"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])
    d = body["data"]
    assert d["status"] == "test"
    assert d["commit"] == "abc123def" and d["commit_source"] == "GITHUB_SHA", d
    assert d["host"] == socket.gethostname()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", d["predeploy_version"])
    assert WHSEC not in s.err and "MfKQ9r8" not in s.err
    assert "delivered" in s.err


@case
def raw_secret_and_unsigned(t: Env):
    raw = "a raw secret, not base64!"
    with Receiver(secret=raw) as rx:
        expect(send(t, "--webhook", rx.url, env={"PREDEPLOY_WEBHOOK_SECRET": raw}), 0)
        (r,) = rx.wait_for(1, timeout=5)
        assert r["signature_valid"] is True, r
    # the same body verified as a whsec_ secret of other bytes does not pass
    assert not verify(WHSEC, r["headers"], r["body"].encode())
    # no secret: id and timestamp still sent (for dedupe), no signature
    with Receiver() as rx:
        expect(send(t, "--webhook", rx.url), 0)
        (r,) = rx.wait_for(1, timeout=5)
    assert "webhook-signature" not in r["headers"]
    assert r["headers"]["webhook-id"].startswith("msg_")
    assert r["headers"]["webhook-timestamp"].isdigit()


@case
def secret_from_file(t: Env):
    p = t.write("whsec.txt", WHSEC + "\n")
    with Receiver(secret=WHSEC) as rx:
        expect(send(t, "--webhook", rx.url, env={"PREDEPLOY_WEBHOOK_SECRET_FILE": p}), 0)
        (r,) = rx.wait_for(1, timeout=5)
        assert r["signature_valid"] is True


@case
def bad_whsec_is_config_error(t: Env):
    with Receiver() as rx:
        s = send(t, "--webhook", rx.url, env={"PREDEPLOY_WEBHOOK_SECRET": "whsec_***not base64***"})
        expect(s, 78)
        assert "whsec_" in s.result["msg"]
        assert rx.snapshot() == []


@case
def retries_500_then_delivers(t: Env):
    with Receiver(secret=WHSEC, script=["500", "500", "200"]) as rx:
        s = send(t, "--webhook", rx.url, env=dict(limits(backoff="100ms"), PREDEPLOY_WEBHOOK_SECRET=WHSEC))
        expect(s, 0)
        reqs = rx.wait_for(3, timeout=5)
        assert len(rx.snapshot()) == 3
    ids = {r["headers"]["webhook-id"] for r in reqs}
    assert len(ids) == 1, "webhook-id must be stable across retries: %r" % ids
    assert all(r["signature_valid"] for r in reqs), reqs
    assert len({r["body"] for r in reqs}) == 1
    # backoff 100 ms then 200 ms (+0-25 % jitter)
    waits = retry_waits(s.err)
    assert len(waits) == 2 and backoff_ok(waits, 100), s
    assert s.err.count("attempt") >= 3 and "HTTP 500" in s.err


@case
def no_retry_on_400(t: Env):
    with Receiver(script=["400"]) as rx:
        s = send(t, "--webhook", rx.url)
        expect(s, 15)
        assert len(rx.snapshot()) == 1     # and the driver has exited
    assert 'could not deliver webhook to "http://127.0.0.1:%d/hook": HTTP 400' % rx.port \
        == s.result["msg"], s
    assert "1 attempt in" in s.result["detail"] and '{"ok":false}' in s.result["detail"], s
    assert "not retried" in s.err


@case
def retry_after_honoured_and_capped(t: Env):
    # 1 s is neither the 100 ms backoff nor its jitter: the header was used.
    with Receiver(script=["429:1", "200"]) as rx:
        s = send(t, "--webhook", rx.url, env=limits(backoff="100ms"))
        expect(s, 0)
        assert len(rx.wait_for(2, timeout=5)) == 2
    assert retry_waits(s.err) == [1000], s
    # 503 with Retry-After: 3600 waits the cap, not an hour (the cap is 10 s;
    # shortened here to 300 ms)
    with Receiver(script=["503:3600", "200"]) as rx:
        s = send(t, "--webhook", rx.url, env=limits(retry_after_cap="300ms"))
        expect(s, 0)
        assert len(rx.wait_for(2, timeout=5)) == 2
    assert retry_waits(s.err) == [300], s


@case
def network_error_bounded_attempts(t: Env):
    port = closed_port()
    s = send(t, "--webhook", "http://127.0.0.1:%d/hook" % port, env=limits(backoff="50ms"))
    expect(s, 15)
    assert "4 attempts" in s.result["detail"], s
    # refusals are retried after 50, 100, 200 ms (+0-25 %), then no attempts left
    waits = retry_waits(s.err)
    assert len(waits) == 3 and backoff_ok(waits, 50), s
    assert "no attempts left" in s.err, s
    assert "127.0.0.1 port %d" % port in s.result["msg"] or "onnect" in s.result["msg"], s


@case
def hanging_receiver_bounded(t: Env):
    # The budget per URL bounds the attempts: with 1 s attempts, backoff
    # 100 ms and a 3 s budget (30 s, 10 s and 1 s by default) the third
    # attempt is cut to what is left, and no fourth starts.
    with Receiver(script=["hang"] * 10) as rx:
        s = send(t, "--webhook", rx.url, "--webhook-required",
                 env=limits(attempt="1s", backoff="100ms", budget="3s"))
        expect(s, 15)
        n = len(rx.snapshot())
    assert n == 3, (n, s)
    assert "no time left to retry within 3s" in s.err, s
    assert "timed out" in s.result["msg"].lower() or "timeout" in s.result["msg"].lower(), s


@case
def stop_flag_ends_retries(t: Env):
    # SIGTERM during the back-off (what `run` does on shutdown): no retry,
    # and the wait ends. The backoff is an hour here, so a wait that did not
    # end would outlast communicate()'s bound.
    with Receiver(script=["500"] * 10) as rx:
        p = subprocess.Popen([DRIVER, "--webhook", rx.url], cwd=t.dir,
                             env=t.env(limits(backoff="1h", budget="3h")),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rx.wait_for(1, timeout=10)
        p.send_signal(15)
        out, err = p.communicate(timeout=60)
        n = len(rx.snapshot())
    assert p.returncode == 15, (p.returncode, out, err)
    assert n == 1, n
    assert "1 attempt in" in json.loads(out.strip().splitlines()[-1])["detail"], out


@case
def connection_dropped_is_retried(t: Env):
    with Receiver(script=["close", "200"]) as rx:
        s = send(t, "--webhook", rx.url, env=limits(backoff="100ms"))
        expect(s, 0)
        assert len(rx.wait_for(2, timeout=5)) == 2


@case
def chat_formats(t: Env):
    with Receiver() as rx:
        expect(send(t, "--webhook", rx.url, "--webhook-format", "slack", "--type", "deploy.failed",
                    "--summary", "migration 0003 <users> failed", "--details", "exit 11",
                    env={"GITHUB_SHA": "0123456789abcdef", "SOURCE_COMMIT": None}), 0)
        expect(send(t, "--webhook", rx.url, "--webhook-format", "discord", "--type", "deploy.failed",
                    "--summary", "migration 0003 failed @everyone",
                    env={"GITHUB_SHA": None, "SOURCE_COMMIT": None}), 0)
        slack, discord = rx.wait_for(2, timeout=5)
    assert set(slack["json"]) == {"text"}, slack
    text = slack["json"]["text"]
    assert text.startswith("*predeploy deploy.failed*: migration 0003 &lt;users&gt; failed\nexit 11\n")
    assert "commit 0123456789ab |" in text and "host " + socket.gethostname() in text
    assert set(discord["json"]) == {"content", "allowed_mentions"}, discord
    assert discord["json"]["allowed_mentions"] == {"parse": []}
    assert discord["json"]["content"].startswith("**predeploy deploy.failed**: migration 0003 failed")
    assert "commit" not in discord["json"]["content"]


@case
def url_credentials_never_logged(t: Env):
    with Receiver(script=["500"] * 4) as rx:
        url = "http://deployer:t0pSecretPw@127.0.0.1:%d/hook/T000/XXXXtokenXXXX?sig=qqq" % rx.port
        s = send(t, "--webhook", url, env=limits(backoff="50ms"))
        expect(s, 15)
        reqs = rx.wait_for(4, timeout=5)
    # the userinfo is used for HTTP basic auth, and appears nowhere else
    assert reqs[0]["headers"]["authorization"].startswith("Basic ")
    out = s.err + json.dumps(s.result)
    for leak in ("t0pSecretPw", "deployer", "XXXXtoken", "qqq"):
        assert leak not in out, (leak, s)
    assert '"http://127.0.0.1:%d/hook/..."' % rx.port in out, s


@case
def password_never_in_payload(t: Env):
    with Receiver() as rx:
        data = '{"error":"could not connect to postgres://app:Zq8hunter@db:5432/app"}'
        expect(send(t, "--webhook", rx.url, "--data", data), 0)
        (r,) = rx.wait_for(1, timeout=5)
    assert "Zq8hunter" not in r["body"]
    assert r["json"]["data"]["error"] == "could not connect to postgres://app:****@db:5432/app"


@case
def several_urls(t: Env):
    with Receiver() as ok, Receiver(script=["404"]) as bad:
        s = send(t, "--webhook", ok.url, "--webhook", bad.url)
        expect(s, 15)
        (a,) = ok.wait_for(1, timeout=5)
        (b,) = bad.wait_for(1, timeout=5)
    assert a["headers"]["webhook-id"] == b["headers"]["webhook-id"]
    assert ":%d/hook" % bad.port in s.result["msg"] and "HTTP 404" in s.result["msg"], s
    assert "1 of 2 webhook URLs failed" in s.result["detail"], s
    # PREDEPLOY_WEBHOOK_URL: comma-separated
    with Receiver() as one, Receiver() as two:
        expect(send(t, env={"PREDEPLOY_WEBHOOK_URL": "%s, %s" % (one.url, two.url)}), 0)
        one.wait_for(1, timeout=5)
        two.wait_for(1, timeout=5)


def make_cert(t: Env):
    key, crt = t.path("key.pem"), t.path("cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key, "-out", crt, "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return crt, key


@case
def tls_verified(t: Env):
    # https to a plain-HTTP server: the handshake fails, no retry
    with Receiver() as plain:
        s = send(t, "--webhook", plain.url.replace("http://", "https://"))
        expect(s, 15)
        assert "1 attempt in" in s.result["detail"], s
    if not shutil.which("openssl"):
        print("SKIP tls_verified self-signed part: the openssl command is not installed")
        return
    crt, key = make_cert(t)
    with Receiver(secret=WHSEC, tls_cert=crt, tls_key=key) as rx:
        assert rx.url.startswith("https://127.0.0.1:")
        # self-signed, unknown to the system CAs: refused, nothing delivered
        s = send(t, "--webhook", rx.url, env={"PREDEPLOY_WEBHOOK_SECRET": WHSEC})
        expect(s, 15)
        assert "certificate" in s.result["msg"].lower(), s
        assert "1 attempt in" in s.result["detail"], s
        assert rx.snapshot() == []
        # trusted through --webhook-ca-file: delivered and signed
        s = send(t, "--webhook", rx.url, "--webhook-ca-file", crt,
                 env={"PREDEPLOY_WEBHOOK_SECRET": WHSEC})
        expect(s, 0)
        (r,) = rx.wait_for(1, timeout=5)
        assert r["signature_valid"] is True
    # a CA file that does not exist: configuration error before sending
    s = send(t, "--webhook", "https://127.0.0.1:1/x", "--webhook-ca-file", t.path("nope.pem"))
    expect(s, 78)


@case
def termination_log(t: Env):
    p = t.path("termination-log")
    msg = "predeploy: applied 2 migrations\nin 1.2s " + "\u00e9" * 3000
    s = send(t, "--termination-log", p, "--termination-message", msg)
    expect(s, 0)
    with open(p, "rb") as f:
        got = f.read()
    assert len(got) <= 4096 and len(got) >= 4094, len(got)
    text = got.decode("utf-8")                  # cut on a character boundary
    assert text.startswith("predeploy: applied 2 migrations in 1.2s \u00e9")
    assert "\n" not in text


@case
def test_limits_variable_checked(t: Env):
    # the test-only variable is strict: a typo must not silently keep 30 s
    for bad in ("budget=", "budget=fast", "nope=1s", "attempts=0", "budget"):
        s = send(t, "--webhook", "http://127.0.0.1:1/x", env={"PREDEPLOY_TEST_WEBHOOK_LIMITS": bad})
        expect(s, 78)
        assert "PREDEPLOY_TEST_WEBHOOK_LIMITS" in s.result["msg"], s


@case
def bad_urls_rejected(t: Env):
    for url in ("ftp://127.0.0.1/x", "127.0.0.1:8080/hook", "http:///x"):
        s = send(t, "--webhook", url)
        expect(s, 78)
        assert "invalid webhook URL" in s.result["msg"], s


if __name__ == "__main__":
    if not DRIVER:
        raise SystemExit("PREDEPLOY_WEBHOOK_DRIVER is not set (run through ctest)")
    main()
