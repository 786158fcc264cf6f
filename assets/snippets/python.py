# Verify a Dataspike webhook (X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>).
# Standard library only. Call it with the RAW request body bytes, before any JSON parsing:
# re-serialized JSON has other bytes, and its signature will not match.
import hashlib
import hmac
import time

TOLERANCE_S = 300  # Dataspike does not document one; 300 s is the industry default.


def verify_dataspike(raw_body: bytes, header: str, secrets: list, now=None, tolerance=TOLERANCE_S):
    """Returns the index of the secret that matched (0: the current one; 1: the old one while
    rotating). Raises ValueError with the reason when the delivery must be rejected (answer 400)."""
    t, sigs = None, []
    for item in (header or "").split(","):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise ValueError("malformed signature header")
        if name == "t":
            if t is not None:
                raise ValueError("duplicate t")
            if not (value.isascii() and value.isdigit() and 1 <= len(value) <= 10):
                raise ValueError("t is not a Unix time")
            t = int(value)
        elif name == "v1":
            sigs.append(value)
        # Other schemes (v0, ...) are ignored, never used instead.
    if t is None or not sigs:
        raise ValueError("signature header needs t and v1")
    now = int(time.time()) if now is None else now
    if abs(now - t) > tolerance:
        raise ValueError("timestamp outside the tolerance (replayed or clock skew)")
    signed = str(t).encode() + b"." + raw_body
    for i, secret in enumerate(secrets):
        key = bytes.fromhex(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
        expected = hmac.new(key, signed, hashlib.sha256).digest()
        for sig in sigs:
            try:
                got = bytes.fromhex(sig)
            except ValueError:
                continue
            # Whole 32-byte digests, compared in constant time: an empty or short v1 never passes.
            if len(got) == 32 and hmac.compare_digest(got, expected):
                return i
    raise ValueError("no secret matches the signature")
