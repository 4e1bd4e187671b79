"""The real `forum` command: serving on a server database and, as a newcomer does, on the
embedded one with demo data; migrations, admin creation and demo loading."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from forum.db import driver_dsn
from tests.servers import Served, forum_env, free_port, run_forum


def test_serve_on_a_server_database_with_two_workers(server_env):
    served = Served(server_env, "--workers", "2")
    try:
        with httpx.Client(base_url=served.url) as c:
            r = c.post(
                "/api/v1/auth/register",
                json={"email": "w@example.org", "display_name": "W", "password": "long enough pw"},
            )
            assert r.status_code == 201, r.text
            assert run_forum(server_env, "approve", "w@example.org").returncode == 0
            csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
            r = c.post(
                "/api/v1/threads",
                headers=csrf,
                json={
                    "region": "africa",
                    "topic": "public-procurement",
                    "title": "Live",
                    "body": "x",
                },
            )
            assert r.status_code == 201, r.text
            # Whichever worker answers, the session and the thread are there.
            for _ in range(6):
                assert c.get("/api/v1/auth/me").status_code == 200
                assert c.get(f"/api/v1/threads/{r.json()['thread']['id']}").status_code == 200
    finally:
        served.stop()


def test_serve_refuses_an_unmigrated_server_database_until_migrated(empty_database_url):
    env = forum_env(FORUM_DATABASE_URL=driver_dsn(empty_database_url), FORUM_SECRET_KEY="k" * 40)
    result = run_forum(env, "serve", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "forum: error: the database schema is out of date: run `forum migrate`"
    ]
    migrated = run_forum(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert run_forum(env, "migrate").returncode == 0  # and again: nothing to do
    served = Served(env)
    try:
        assert httpx.get(served.url + "/api/v1/regions").json() == {"regions": []}
    finally:
        served.stop()


def test_missing_secret_is_one_clear_line(server_env):
    env = {k: v for k, v in server_env.items() if k != "FORUM_SECRET_KEY"}
    result = run_forum(env, "migrate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "FORUM_SECRET_KEY" in result.stderr


def test_create_admin_and_demo_are_idempotent(server_env):
    result = run_forum(
        server_env, "create-admin", "--email", "chief@example.org", stdin="a long admin password\n"
    )
    assert result.returncode == 0, result.stderr
    again = run_forum(
        server_env, "create-admin", "--email", "CHIEF@example.org", stdin="another long password\n"
    )
    assert again.returncode == 0, again.stderr
    weak = run_forum(server_env, "create-admin", "--email", "x@example.org", stdin="short\n")
    assert weak.returncode == 1 and "at least" in weak.stderr

    first = run_forum(server_env, "demo")
    assert first.returncode == 0, first.stderr
    second = run_forum(server_env, "demo")
    assert "0 threads added" in second.stdout

    served = Served(server_env)
    try:
        with httpx.Client(base_url=served.url) as c:
            r = c.post(
                "/api/v1/auth/login",
                json={"email": "chief@example.org", "password": "another long password"},
            )
            assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
            threads = c.get("/api/v1/threads", params={"limit": 100}).json()["threads"]
            assert len({t["title"] for t in threads}) == len(threads) >= 10
            assert {t["region"] for t in threads} >= {"africa", "south-east-europe"}
    finally:
        served.stop()


def test_an_operator_closes_and_opens_a_region_while_the_forum_runs(server_env):
    served = Served(server_env)
    try:

        def visible() -> set[str]:
            return {r["slug"] for r in httpx.get(served.url + "/api/v1/regions").json()["regions"]}

        assert "africa" in visible()
        closed = run_forum(server_env, "region", "africa", "--visibility", "members")
        assert closed.returncode == 0, closed.stderr
        # The running app hears of it through the event log, without a restart.
        deadline = time.monotonic() + 10
        while "africa" in visible() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "africa" not in visible()
        assert run_forum(server_env, "region", "africa", "--visibility", "public").returncode == 0
        unknown = run_forum(server_env, "region", "atlantis", "--visibility", "public")
        assert unknown.returncode == 1 and "No such region" in unknown.stderr
    finally:
        served.stop()


def test_newcomer_serves_demo_on_embedded_postgres_shared_by_two_processes(tmp_path: Path):
    env = forum_env(FORUM_DATA_DIR=str(tmp_path / "data"))
    first = Served(env, "--demo", "--workers", "2")
    second = Served(env)
    pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    try:
        for served in (first, second):
            threads = httpx.get(served.url + "/api/v1/threads").json()["threads"]
            assert threads, "demo threads are served"
            page = httpx.get(served.url + f"/threads/{threads[0]['id']}")
            assert page.status_code == 200 and "<article" in page.text
        assert "serving on http://127.0.0.1:" in first.stop()
        # The other process keeps the shared server running.
        assert httpx.get(second.url + "/api/v1/regions").status_code == 200
        assert int(pid_file.read_text().split()[0]) == postmaster
    finally:
        first.stop() if first.process.poll() is None else None
        second.stop()
    # The last one out stops the embedded server.
    deadline = time.monotonic() + 20
    while _alive(postmaster) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(postmaster)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_the_embedded_postgres_it_started(tmp_path: Path, workers: str):
    # What systemd and Docker send to stop a service.
    env = forum_env(FORUM_DATA_DIR=str(tmp_path / "data"))
    served = Served(env, "--workers", workers)
    pgdata = (tmp_path / "data" / "postgres").resolve()
    try:
        assert _postgres_of(pgdata), "the embedded server runs while serving"
    finally:
        out = served.stop(signal.SIGTERM)
    assert served.process.returncode == 0, out
    assert _postgres_of(pgdata) == []


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL processes serving `pgdata`: the postmaster names it on its command line,
    and every process of the server works in it."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "cwd", "status"]):
        info = proc.info
        if info["name"] != "postgres" or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if str(pgdata) in (info["cmdline"] or []) or info["cwd"] == str(pgdata):
            found.append(proc)
    return found


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 64 KiB tmpfs, full: the place a log file can no longer grow."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs takes root")
    where = tmp_path / "full"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        with contextlib.suppress(OSError), (where / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_forum_serve_keeps_serving_with_its_output_on_a_full_disk(
    server_env, full_disk, log_format
):
    # Before, the line `forum serve` prints on starting failed and ended it (exit 1).
    with (full_disk / "forum.log").open("w") as log:
        env = {**server_env, "FORUM_LOG_FORMAT": log_format}
        served = Served(env, "--workers", "2", output=log)
        try:
            with httpx.Client(base_url=served.url) as c:
                for _ in range(20):  # a line per request in JSON, every one of them lost
                    assert c.get("/api/v1/regions").status_code == 200
                    assert c.get("/api/v1/threads/999999").status_code == 404
                    assert c.get("/").status_code == 200
        finally:
            served.stop(signal.SIGTERM)
    assert served.process.returncode == 0
    assert (full_disk / "forum.log").stat().st_size == 0
