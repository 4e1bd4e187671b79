"""The real `forum` command: serving on a server database and, as a newcomer does, on the
embedded one with demo data; migrations, admin creation and demo loading."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

FORUM = [sys.executable, "-m", "forum.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(values)
    return env


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Served:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*FORUM, "serve", "--port", str(self.port), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"forum serve exited: {self.process.stdout.read()}")
            try:
                httpx.get(self.url + "/api/v1/regions", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("forum serve did not answer within 60 s")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FORUM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def server_env(database_url: str) -> dict[str, str]:
    return _env(FORUM_DATABASE_URL=_plain(database_url), FORUM_SECRET_KEY="k" * 40)


def test_serve_on_a_server_database_with_two_workers(server_env):
    served = Served(server_env, "--workers", "2")
    try:
        with httpx.Client(base_url=served.url) as c:
            r = c.post(
                "/api/v1/auth/register",
                json={"email": "w@example.org", "display_name": "W", "password": "long enough pw"},
            )
            assert r.status_code == 201, r.text
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
    env = _env(FORUM_DATABASE_URL=_plain(empty_database_url), FORUM_SECRET_KEY="k" * 40)
    result = _run(env, "serve", "--port", str(_free_port()))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "forum: error: the database schema is out of date: run `forum migrate`"
    ]
    migrated = _run(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert _run(env, "migrate").returncode == 0  # and again: nothing to do
    served = Served(env)
    try:
        assert httpx.get(served.url + "/api/v1/regions").json() == {"regions": []}
    finally:
        served.stop()


def test_missing_secret_is_one_clear_line(server_env):
    env = {k: v for k, v in server_env.items() if k != "FORUM_SECRET_KEY"}
    result = _run(env, "migrate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "FORUM_SECRET_KEY" in result.stderr


def test_create_admin_and_demo_are_idempotent(server_env):
    result = _run(
        server_env, "create-admin", "--email", "chief@example.org", stdin="a long admin password\n"
    )
    assert result.returncode == 0, result.stderr
    again = _run(
        server_env, "create-admin", "--email", "CHIEF@example.org", stdin="another long password\n"
    )
    assert again.returncode == 0, again.stderr
    weak = _run(server_env, "create-admin", "--email", "x@example.org", stdin="short\n")
    assert weak.returncode == 1 and "at least" in weak.stderr

    first = _run(server_env, "demo")
    assert first.returncode == 0, first.stderr
    second = _run(server_env, "demo")
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


def test_newcomer_serves_demo_on_embedded_postgres_shared_by_two_processes(tmp_path: Path):
    env = _env(FORUM_DATA_DIR=str(tmp_path / "data"))
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
