"""Signed addresses: `<prefix><token>@<domain>`, the token naming a few ids and the day
it stops working, signed, and stored nowhere.

The token is the ids and the expiry day (days since 2020-01-01) in base 36, dot
separated, then an HMAC over them with a key derived from the forum's secret and the
address's purpose, so a reply address is never a valid bounce address and back. It is
lower case letters and digits only, because mail relays may change the case of a local
part, and it stays well under the 64 characters a local part may have.

Two kinds use it: reply addresses (`reply_address`, member and thread) and the VERP
envelope sender of outgoing mail (`bounces`, the member), to which bounces come back.
The unsubscribe links of notification mail (`unsubscribe`) carry a bare token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

_EPOCH = date(2020, 1, 1)
_MAC_CHARS = 20  # 100 bits of base32
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Kind:
    """One kind of signed address: its local part's prefix, how many ids its token
    names, how long it works, and the purpose its key is derived for."""

    prefix: str
    ids: int
    lifetime: timedelta
    purpose: bytes

    def token(self, secret: str, ids: tuple[int, ...], today: date | None = None) -> str:
        assert len(ids) == self.ids
        expires = (today or _today()) + self.lifetime
        payload = ".".join(_base36(n) for n in (*ids, (expires - _EPOCH).days))
        return f"{payload}.{self._mac(secret, payload)}"

    def address(self, secret: str, mail_from: str, ids: tuple[int, ...]) -> str:
        """The address naming `ids`, at the domain of `mail_from`."""
        return f"{self.prefix}{self.token(secret, ids)}@{domain_of(mail_from)}"

    def looks_like(self, recipient: str) -> bool:
        """Whether `recipient` is of this kind by its shape (its signature unchecked)."""
        return parseaddr(recipient)[1].lower().startswith(self.prefix)

    def opened(
        self, secret: str, recipient: str, today: date | None = None
    ) -> tuple[tuple[int, ...], date] | None:
        """The ids a message to `recipient` names, and the day it expires; None when the
        address is not of this kind, its signature is wrong, or it has expired."""
        local = parseaddr(recipient)[1].rpartition("@")[0].lower()
        if not local.startswith(self.prefix):
            return None
        return self.opened_token(secret, local[len(self.prefix) :], today)

    def opened_token(
        self, secret: str, token: str, today: date | None = None
    ) -> tuple[tuple[int, ...], date] | None:
        """`opened` for a bare token (one carried in a link rather than an address)."""
        parts = token.lower().split(".")
        if len(parts) != self.ids + 2 or not all(p and set(p) <= set(_ALPHABET) for p in parts):
            return None
        payload, mac = ".".join(parts[:-1]), parts[-1]
        if not hmac.compare_digest(mac, self._mac(secret, payload)):
            return None
        *ids, days = (int(p, 36) for p in parts[:-1])
        expires = _EPOCH + timedelta(days=days)
        if expires < (today or _today()):
            return None
        return tuple(ids), expires

    def _mac(self, secret: str, payload: str) -> str:
        key = hmac.new(secret.encode(), self.purpose, hashlib.sha256).digest()
        digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
        return _base36(int.from_bytes(digest[:16]))[-_MAC_CHARS:].rjust(_MAC_CHARS, "0")


def domain_of(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2].lower() or "localhost"


def _today() -> date:
    return datetime.now(UTC).date()


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _ALPHABET[rest] + digits
        if number == 0:
            return digits
