"""Real `forum` processes for tests that need a server: HTTP, websockets, the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import IO

import asyncpg
import httpx

FORUM = [sys.executable, "-m", "web.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forum_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(values)
    return env


START_WITHIN = 120  # seconds


class Served:
    def __init__(self, env: dict[str, str], *args: str, output: IO[str] | None = None) -> None:
        """`output`: where the server's output goes (by default a pipe `stop` reads)."""
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*FORUM, "serve", "--port", str(self.port), *args],
            env=env,
            stdout=output or subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Generous: on a loaded 2-core machine the workers' start and the first answer
        # (the catalog read, the templates compiled) can take many seconds.
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self.process.stdout.read() if self.process.stdout else ""
                raise AssertionError(f"forum serve exited ({self.process.returncode}): {said}")
            try:
                httpx.get(self.url + "/api/v1/regions", timeout=10)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        output = self.stop()
        raise AssertionError(f"forum serve did not answer within {START_WITHIN} s: {output}")

    def stop(self, sig: signal.Signals = signal.SIGINT) -> str:
        self.process.send_signal(sig)
        try:
            out, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


def run_forum(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FORUM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


async def admit(served: Served, email: str) -> None:
    """Make an applicant a member, as the operator's `forum approve` does (that command
    has its own tests; here it would cost a process per member)."""
    operator = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        await operator.execute(
            "UPDATE users SET role = 'member' WHERE lower(email) = lower($1) "
            "AND role = 'applicant'",
            email,
        )
    finally:
        await operator.close()
