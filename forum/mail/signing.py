"""Signed tokens that need no table: a payload of base-36 numbers and an HMAC over it,
with a key derived from the forum's secret for one purpose (a reply address, an
unsubscribe link), so a token made for one purpose is worthless for another.

Tokens are lower case letters, digits and dots only: they survive mail relays that
change the case of an address's local part, and URLs unescaped.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MAC_CHARS = 20  # 100 bits of base36


def base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = ALPHABET[rest] + digits
        if number == 0:
            return digits


def _key(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


def mac(secret: str, purpose: bytes, payload: str) -> str:
    digest = hmac.new(_key(secret, purpose), payload.encode(), hashlib.sha256).digest()
    return base36(int.from_bytes(digest[:16]))[-MAC_CHARS:].rjust(MAC_CHARS, "0")


def sign(secret: str, purpose: bytes, numbers: tuple[int, ...]) -> str:
    """`numbers` in base 36, dot-separated, then their signature."""
    payload = ".".join(base36(n) for n in numbers)
    return f"{payload}.{mac(secret, purpose, payload)}"


def verified(secret: str, purpose: bytes, token: str, count: int) -> tuple[int, ...] | None:
    """The `count` numbers a token made by `sign` for `purpose` carries; None when it is
    malformed or its signature is wrong."""
    parts = token.lower().split(".")
    if len(parts) != count + 1 or not all(p and set(p) <= set(ALPHABET) for p in parts):
        return None
    if any(len(p) > 26 for p in parts[:-1]):  # far beyond any id; keeps int() cheap
        return None
    payload, signature = ".".join(parts[:-1]), parts[-1]
    if not hmac.compare_digest(signature, mac(secret, purpose, payload)):
        return None
    return tuple(int(p, 36) for p in parts[:-1])
