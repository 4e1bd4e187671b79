"""`forum mail-gateway`: the command a mail relay forwards replies and bounces to."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from typing import Any

import aiosmtplib
import pytest

from forum.db import driver_dsn
from forum.mail import reply_address
from tests import mail
from tests.servers import FORUM, forum_env
from tests.web.test_mail_gateway import message, posts_in

SECRET = "k" * 40
FROM = "CSO Forum <forum@forum.test>"


def _env(database_url: str, gateway: str) -> dict[str, str]:
    return forum_env(FORUM_DATABASE_URL=driver_dsn(database_url), FORUM_SECRET_KEY=SECRET,
                     FORUM_MAIL_FROM=FROM, FORUM_MAIL_GATEWAY=gateway)  # fmt: skip


async def test_the_command_listens_where_configured_and_posts_replies(
    database_url: str, make: Any, app: Any
):
    port = mail.free_port()
    # A stop that hangs (seen once in CI's server pass) then shows where: SIGABRT makes
    # Python print every thread's stack.
    env = _env(database_url, f"127.0.0.1:{port}") | {"PYTHONFAULTHANDLER": "1"}
    process = await asyncio.create_subprocess_exec(
        *FORUM, "mail-gateway", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"mail gateway listening on 127.0.0.1:{port}" in line, line
        member = await make.user()
        tid = (await make.thread())["thread"]["id"]
        to = reply_address.address(SECRET, FROM, member["id"], tid)
        await aiosmtplib.send(message(member["email"], to, "By mail."), hostname="127.0.0.1",
                              port=port)  # fmt: skip
        assert [p.body_source for p in await posts_in(app.state.db, tid)][1:] == ["By mail."]
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            stranger = message(member["email"], "postmaster@forum.test", "Hello")
            await aiosmtplib.send(stranger, hostname="127.0.0.1", port=port)
    finally:
        process.send_signal(signal.SIGINT)
        talk = asyncio.ensure_future(process.communicate())
        try:
            out, _ = await asyncio.wait_for(asyncio.shield(talk), 30)
        except TimeoutError:
            process.send_signal(signal.SIGABRT)
            out, _ = await asyncio.wait_for(talk, 30)
            pytest.fail(f"not stopped 30 s after SIGINT; its stacks:\n{out.decode()}")
    assert process.returncode == 130, out


def test_a_bad_address_stops_it_with_one_clear_line(database_url: str):
    done = subprocess.run([*FORUM, "mail-gateway"], env=_env(database_url, "localhost"),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "forum: error: FORUM_MAIL_GATEWAY must be host:port such as 127.0.0.1:8025, got 'localhost'"
    ]
