"""Logs as JSON lines (`FORUM_LOG_FORMAT=json`), for a log shipper to read from stderr.

Through the standard `logging`: the forum's loggers and uvicorn's get one handler that
writes one JSON object a line, and `forum.requests` gets a line per request
(`web.observability`). The default ("text") leaves logging as uvicorn sets it up.

A line that cannot be written (a full disk, a closed pipe) is dropped and counted, never
raised: the forum goes on serving without its logs rather than stop for them. The same
holds for what `forum serve` itself prints (`forgive_failed_writes`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

import orjson

REQUESTS = logging.getLogger("forum.requests")
# Loggers whose lines go out as JSON: the forum's own and the server's.
LOGGERS = ("forum", "uvicorn", "uvicorn.error")
# Attributes every LogRecord has; anything else was passed as `extra` and is a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes lines; one it cannot write is counted in `dropped` and forgotten (the
    default prints a traceback to stderr, the very stream that just failed)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream or sys.stderr)
        self.dropped = 0
        self.setFormatter(JsonFormatter())

    def handleError(self, record: logging.LogRecord) -> None:
        self.dropped += 1


class _Forgiving:
    """A text stream whose writes that fail are dropped (what stays in its buffer goes out
    with a later write that succeeds, once there is room again)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def forgive_failed_writes() -> None:
    """Standard output and error that drop what they cannot write: `forum serve` starts,
    serves and stops as usual when the disk its output goes to is full (a failed `print`
    would otherwise end it, as it did before it started serving)."""
    if not isinstance(sys.stdout, _Forgiving):
        sys.stdout = _Forgiving(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, _Forgiving):
        sys.stderr = _Forgiving(sys.stderr)  # type: ignore[assignment]


def configure(log_format: str, stream: IO[str] | None = None) -> Handler | None:
    """Set the process's logging to `log_format`; returns the JSON handler, if any."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, Handler)]:
            logger.removeHandler(old)
    if log_format != "json":
        REQUESTS.setLevel(logging.WARNING)  # request lines only in JSON
        return None
    handler = Handler(stream)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for other in list(logger.handlers):
            logger.removeHandler(other)
        logger.addHandler(handler)
        logger.propagate = False
    logging.getLogger("forum").setLevel(logging.INFO)
    REQUESTS.setLevel(logging.INFO)
    return handler
