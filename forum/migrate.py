"""Schema migrations (Alembic), run over the app's async engine."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "forum:migrations")
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there)."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")

    async with engine.begin() as connection:
        await connection.run_sync(run)


@functools.cache
def heads() -> frozenset[str]:
    """The revisions this code expects (read from the migration files once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def pending(engine: AsyncEngine) -> bool:
    """Whether the database lacks migrations this code expects."""

    def check(connection: Connection) -> bool:
        current = set(MigrationContext.configure(connection).get_current_heads())
        return current != heads()

    async with engine.connect() as connection:
        return await connection.run_sync(check)
