"""Domain errors: a stable `code` for programs, a message for people, a kind for transports.

`web/` maps each kind to an HTTP status in one table; the realtime protocol sends the
code in its `error` frames.
"""

from __future__ import annotations

import enum


class Kind(enum.Enum):
    INVALID = "invalid"  # the request is well-formed but its values are not acceptable
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # a service the request needs is down; retrying later helps


class DomainError(Exception):
    def __init__(
        self,
        kind: Kind,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.retry_after = retry_after


def not_found(what: str) -> DomainError:
    return DomainError(Kind.NOT_FOUND, f"{what}_not_found", f"No such {what}.")


def invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(Kind.INVALID, code, message, fields={field: message})


def forbidden(code: str, message: str) -> DomainError:
    return DomainError(Kind.FORBIDDEN, code, message)
