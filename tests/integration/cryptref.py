#!/usr/bin/python3
"""An independent implementation of the encrypted backup format of
docs/backups.md "Encryption", written from the documentation with the
`cryptography` package (Debian's python3-cryptography, OpenSSL underneath
but none of predeploy's code), so the tests check the format as documented
and not only predeploy against itself.

    python3 cryptref.py decrypt FILE KEYHEX  > plaintext    (exit 1: refused)
    python3 cryptref.py encrypt KEYHEX [SHIFT] < plain > file
"""
import hashlib
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89PDENC\r\n"


def hkdf(key, salt, info, n):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info).derive(key)


def key_id(key):
    return hkdf(key, None, b"predeploy backup key id v1", 8)


def nonce(base, i):
    ctr = i.to_bytes(8, "big")
    return base[:4] + bytes(a ^ b for a, b in zip(base[4:], ctr))


def decrypt(data, key):
    h = data[:72]
    if len(h) < 72 or h[:8] != MAGIC or h[8] != 1 or h[9] != 1 or h[11] != 0:
        raise ValueError("not a version 1 encrypted backup")
    if hashlib.sha256(h[:64]).digest()[:8] != h[64:72]:
        raise ValueError("header checksum")
    if key_id(key) != h[12:20]:
        raise ValueError("wrong key")
    dk = AESGCM(hkdf(key, h[20:52], b"predeploy backup v1 aes-256-gcm", 32))
    rec = (1 << h[10]) + 16
    body, out, i, pos = data[72:], [], 0, 0
    while True:
        final = pos + rec >= len(body)
        aad = h + i.to_bytes(8, "big") + (b"\x01" if final else b"\x00")
        out.append(dk.decrypt(nonce(h[52:64], i), body[pos:pos + rec], aad))
        pos += rec
        i += 1
        if final:
            return b"".join(out)


def encrypt(plain, key, shift=16):
    h = MAGIC + bytes([1, 1, shift, 0]) + key_id(key) + os.urandom(32 + 12)
    h += hashlib.sha256(h).digest()[:8]
    dk = AESGCM(hkdf(key, h[20:52], b"predeploy backup v1 aes-256-gcm", 32))
    chunk = 1 << shift
    pieces = [plain[p:p + chunk] for p in range(0, len(plain), chunk)] or [b""]
    out = [h]
    for i, piece in enumerate(pieces):
        final = i == len(pieces) - 1
        out.append(dk.encrypt(nonce(h[52:64], i), piece, h + i.to_bytes(8, "big") + (b"\x01" if final else b"\x00")))
    return b"".join(out)


if __name__ == "__main__":
    if sys.argv[1] == "decrypt":
        try:
            sys.stdout.buffer.write(decrypt(open(sys.argv[2], "rb").read(), bytes.fromhex(sys.argv[3])))
        except Exception as ex:  # refused: the reason on stderr
            print("refused: %s %s" % (type(ex).__name__, ex), file=sys.stderr)
            sys.exit(1)
    else:
        sys.stdout.buffer.write(encrypt(sys.stdin.buffer.read(), bytes.fromhex(sys.argv[2]),
                                        int(sys.argv[3]) if len(sys.argv) > 3 else 16))
