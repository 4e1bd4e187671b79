"""The database handle: one async engine (and its pool), owned by whoever starts it.

Pooled connections that the server has closed (a restart, an operator's
`pg_terminate_backend`) are noticed when they are taken from the pool, at no cost to a
request: asyncpg marks a connection closed as soon as the event loop sees the server
hang up, so the check reads a flag instead of pinging (`pool_pre_ping` would add a round
trip to every checkout). One closed connection means the others were most likely closed
with it: the whole pool is recycled, each connection reconnected at its next checkout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event, exc, text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import Executable


def json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


# A request waits this long at most for a pooled connection, and a new connection this
# long to be made, then it is answered 503 (`web.errors`): with SQLAlchemy's and
# asyncpg's defaults (30 s and 60 s) a server that stopped answering (a network cut, a
# host gone without a reset) held every request for a minute.
WAIT_FOR_CONNECTION = 5.0


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size // 2,
            pool_timeout=WAIT_FOR_CONNECTION,
            connect_args={"timeout": WAIT_FOR_CONNECTION},
            pool_pre_ping=False,
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        Core statements on a connection, not the ORM session: the session's bookkeeping
        cost more than the queries themselves on the hot paths.
        """
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for transactions in a row (`async with c.begin()` each):
        for work that must commit a first step before the next (`web.unit`)."""
        async with self.engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection's own asyncpg driver, outside any transaction, for the
        hottest read-only queries (`Prepared`): SQLAlchemy's execution and result layers
        cost more than those queries themselves (bench/README.md has the figures)."""
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            yield raw.driver_connection  # type: ignore[misc]

    async def dispose(self) -> None:
        await self.engine.dispose()


_KEEP_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")


async def keep_plans(connection: AsyncConnection) -> None:
    """Until the transaction ends, run each prepared statement on the plan made for it once,
    without its values. PostgreSQL plans a statement anew at each run while that plan looks
    dearer than one for the values at hand, and for some it always does; for statements
    whose plan is the same whatever the values (look-ups by key) that is all waste.
    Callers say why their statements are such."""
    await connection.execute(_KEEP_PLANS)


def _refuse_closed(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool replaces this connection and (InvalidatePoolError) every connection
        # made before now, then retries the checkout: the request never sees it.
        raise exc.InvalidatePoolError("the server closed this connection")


# What a lost or refused server looks like, from the pool (SQLAlchemy wraps the driver's
# error) or from a raw driver connection (`Database.reader`, the listener).
_AWAY = (
    asyncpg.PostgresConnectionError,  # the connection was lost
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, crashed
    ConnectionError,  # refused: nothing listens
    # Every connection slot of the server is taken (by other clients too, on a shared
    # server): seen as bare 500s on websocket handshakes under 5,000 connections.
    asyncpg.exceptions.TooManyConnectionsError,
    TimeoutError,  # asyncpg's connect timeout
    exc.TimeoutError,  # the pool had no connection to lend in time
)


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is away (down, restarting, unreachable): the
    request can be answered "try again later" instead of as a failure of ours."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, _AWAY):
            return True
        if isinstance(e, exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, asyncpg.InterfaceError) and "connection is closed" in str(e):
            return True
        if isinstance(e, FileNotFoundError) and ".s.PGSQL." in str(e):
            return True  # the server's socket file is gone: it is stopped
        pending += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return False


_DIALECT = asyncpg_dialect.dialect()


def driver_dsn(url: str) -> str:
    """The URL as asyncpg itself takes it (for connections outside the pool: LISTEN)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class Prepared:
    """A SQLAlchemy statement compiled once to asyncpg's SQL, run with `Database.reader`.

    The statement stays the single definition of the query; only execution is direct.
    """

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: Executable) -> Prepared:
        compiled = statement.compile(dialect=_DIALECT)
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def args(self, **values: Any) -> list[Any]:
        return [values[name] for name in self.names]
