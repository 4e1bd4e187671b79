"""Property-based testing of the whole API from its OpenAPI document (schemathesis), as
anonymous, applicant, member, moderator and admin, against a real `forum serve`.

Every operation of `/api/v1/openapi.json` gets generated requests, valid and not, and
every answer must keep the document's contract: no 5xx, a status the operation declares,
the declared content type and body schema, an `Allow` header naming exactly the
methods of the path, and no request valid by the document refused as malformed
(`tests/web/fuzz_checks.py`). Bounded here by FORUM_FUZZ_EXAMPLES (cases per operation
and phase, default 2) and a fixed seed (FORUM_FUZZ_SEED); README.md has the longer run.
Rate limits are raised through their own settings (FORUM_LIMIT_*), so no answer is a 429
a test user earned by being fast.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from forum.db import driver_dsn
from forum.limits import Rule
from tests.servers import Served, forum_env
from web import auth

EXAMPLES = int(os.environ.get("FORUM_FUZZ_EXAMPLES", "2"))
SEED = int(os.environ.get("FORUM_FUZZ_SEED", "15"))
# The coverage phase (boundary values, every undeclared method) costs over two minutes per
# role on this machine: the bounded run leaves it to the longer one (README.md), and
# tests/web/test_openapi.py checks every path's 405 and `Allow` itself.
PHASES = os.environ.get("FORUM_FUZZ_PHASES", "fuzzing")
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "allow_header_conformance",
        "unsupported_method",
        "schema_valid_accepted",
    )
)
ROLES = ("anonymous", "applicant", "member", "moderator", "admin")
PASSWORD = "a long enough password"
UNLIMITED = {f"FORUM_LIMIT_{rule.name}": "100000000/1s" for rule in Rule}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def fuzzed(module_database_url: str) -> AsyncIterator[Served]:
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY="f" * 40,
        **UNLIMITED,
    )
    server = await asyncio.to_thread(Served, env, "--demo")
    yield server
    await asyncio.to_thread(server.stop)


async def _log_in_as(served: Served, role: str) -> list[str]:
    """Headers of a real session of a new account holding `role` (none: anonymous)."""
    if role == "anonymous":
        return []
    email = f"fuzz-{role}@example.org"
    async with httpx.AsyncClient(base_url=served.url, timeout=60) as c:
        r = await c.post(
            "/api/v1/auth/register",
            json={"email": email, "display_name": f"Fuzz {role}", "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        token, cookie = r.json()["csrf_token"], r.cookies[auth.COOKIE]
    operator = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        if role != "applicant":
            given = "moderator" if role == "moderator" else role
            await operator.execute("UPDATE users SET role = $1 WHERE email = $2", given, email)
        if role == "moderator":
            await operator.execute(
                "INSERT INTO moderated_regions (user_id, region_id) "
                "SELECT u.id, r.id FROM users u, regions r WHERE u.email = $1",
                email,
            )
    finally:
        await operator.close()
    return ["-H", f"Cookie: {auth.COOKIE}={cookie}", "-H", f"X-CSRF-Token: {token}"]


def _schemathesis(served: Served, role: str, headers: list[str], report: Path):
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        served.url + "/api/v1/openapi.json",
        "--checks", CHECKS,
        "--phases", PHASES,
        "--max-examples", str(EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--request-timeout", "30",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report),
        *headers,
    ]  # fmt: skip
    if role != "anonymous":
        # A logged-in run must stay logged in: logging out would leave the rest anonymous.
        command += ["--exclude-path", "/api/v1/auth/logout"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.web.fuzz_checks", "NO_COLOR": "1"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_keeps_the_documented_contract(
    fuzzed: Served, role: str, tmp_path: Path
) -> None:
    headers = await _log_in_as(fuzzed, role)
    report = tmp_path / "junit.xml"
    done = await asyncio.to_thread(_schemathesis, fuzzed, role, headers, report)
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    print(f"{role}: {summary}")
    assert done.returncode == 0, done.stdout[-30000:] + done.stderr[-5000:]
    assert "generated" in summary and report.exists()
