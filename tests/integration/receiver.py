#!/usr/bin/env python3
"""A real webhook receiver on 127.0.0.1 for the tests and the demo (stdlib only).

It records every request, verifies Standard Webhooks signatures when given the
secret, and answers from a script, so a test can say "500 twice, then 200".

In a test:

    from receiver import Receiver
    with Receiver(secret="whsec_...", script=["500", "500", "200"]) as rx:
        ... run predeploy with --webhook rx.url ...
        reqs = rx.wait_for(1, timeout=30)      # bounded
        assert all(r["signature_valid"] for r in reqs)
        body = reqs[-1]["json"]

Script steps, one per request in order (after the last step: the default, 200):
    "200", "500", "400", ...   answer with that status
    "429:1", "503:2"           that status with "Retry-After: <seconds>"
    "hang"                     never answer (until the receiver stops)
    "close"                    drop the connection without an answer

Each recorded request is a dict: n (1-based), t (time.monotonic()), method,
path, headers (lower-case names), body (text), json (parsed or None),
signature_valid (True/False; None without a secret), answered (status, or
"hang"/"close").  With log=PATH each request is also appended to PATH as one
JSON line.

From a shell (scripts/demo):
    python3 tests/integration/receiver.py [--port 0] [--secret S] [--script 500,200]
        [--log FILE] [--tls-cert C --tls-key K] [--max-seconds 600]
prints "listening on http://127.0.0.1:PORT/hook", then one block per request
(signature verdict and pretty-printed body); stops on SIGTERM/SIGINT or after
--max-seconds.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

TOLERANCE_S = 300        # Standard Webhooks: reject timestamps older/newer than 5 minutes
MAX_BODY = 1 << 20       # requests larger than this are refused (413)
HANG_LIMIT_S = 120       # a "hang" step never outlives this


def secret_key(secret):
    """The HMAC key of a Standard Webhooks secret: whsec_<base64> or raw bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def sign(secret, msg_id, timestamp, body):
    """The "v1,<base64>" signature for body (bytes), as a sender computes it."""
    mac = hmac.new(secret_key(secret), b"%s.%d." % (msg_id.encode(), int(timestamp)) + body,
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret, headers, body, now=None):
    """True when the webhook-* headers carry a valid, fresh signature of body."""
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not (msg_id and ts and sigs):
        return False
    try:
        ts_i = int(ts)
    except ValueError:
        return False
    if abs((now or time.time()) - ts_i) > TOLERANCE_S:
        return False
    expected = sign(secret, msg_id, ts_i, body)
    # The header may list several space-separated signatures (key rotation).
    return any(hmac.compare_digest(s, expected) for s in sigs.split(" "))


class Receiver:
    def __init__(self, secret=None, script=None, log=None, tls_cert=None, tls_key=None,
                 port=0, path="/hook", echo=False):
        self.secret = secret
        self.script = list(script or [])
        self.log = log
        self.echo = echo
        self.requests = []
        self.lock = threading.Condition()
        self.stopping = threading.Event()
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                rx._handle(self)

            do_GET = do_PUT = do_POST

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)
        # shutdown() waits for serve_forever's next poll: keep it short
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    # -- lifecycle
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- queries
    def wait_for(self, n, timeout):
        """The first n requests, waiting at most timeout seconds for them."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("receiver: expected %d requests within %ss, got %d: %r"
                                         % (n, timeout, len(self.requests), self.requests))
                self.lock.wait(left)
            return list(self.requests[:n])

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    # -- the handler
    def _next_step(self):
        with self.lock:
            return self.script.pop(0) if self.script else "200"

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            h.send_error(413)
            return
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        step = self._next_step()
        try:
            parsed = json.loads(body.decode("utf-8"))
        except ValueError:
            parsed = None
        rec = {
            "t": time.monotonic(), "method": h.command, "path": h.path, "headers": headers,
            "body": body.decode("utf-8", "replace"), "json": parsed,
            "signature_valid": verify(self.secret, headers, body) if self.secret else None,
            "answered": step,
        }
        with self.lock:
            rec["n"] = len(self.requests) + 1
            self.requests.append(rec)
            self.lock.notify_all()
        if self.log:
            with open(self.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if self.echo:
            self._print(rec)

        if step == "hang":
            self.stopping.wait(HANG_LIMIT_S)
            h.close_connection = True
            return
        if step == "close":
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, _, retry_after = step.partition(":")
        reply = b'{"ok":%s}' % (b"true" if status.startswith("2") else b"false")
        h.send_response(int(status))
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(reply)))
        if retry_after:
            h.send_header("Retry-After", retry_after)
        h.end_headers()
        h.wfile.write(reply)

    def _print(self, rec):
        sig = {None: "unsigned", True: "signature valid", False: "SIGNATURE INVALID"}
        print("webhook #%d %s %s (%s), answered %s" % (
            rec["n"], rec["method"], rec["path"], sig[rec["signature_valid"]], rec["answered"]))
        for k in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            if k in rec["headers"]:
                print("  %s: %s" % (k, rec["headers"][k]))
        if rec["json"] is not None:
            print("  " + json.dumps(rec["json"], indent=2).replace("\n", "\n  "))
        else:
            print("  " + rec["body"])
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description="loopback webhook receiver")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret", default=os.environ.get("PREDEPLOY_WEBHOOK_SECRET"))
    ap.add_argument("--script", default="", help="comma-separated steps, e.g. 500,500,200")
    ap.add_argument("--log")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    rx = Receiver(secret=a.secret, script=[s for s in a.script.split(",") if s], log=a.log,
                  tls_cert=a.tls_cert, tls_key=a.tls_key, port=a.port, echo=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    rx.start()
    print("listening on %s" % rx.url, flush=True)
    done.wait(a.max_seconds)
    rx.stop()


if __name__ == "__main__":
    main()
