"""Mail: the rate the sender hands messages to a local SMTP server, and the rate
notifications become outbox messages.

1. notices: `--members` members with one unmailed notification each (a reply to a post
   of the demo data); one `Notices.drain()` turns them into outbox messages (each checked
   through `notifications.shown`, one transaction per member). Prints members/s.
2. sender: for each count in `--senders`, `--messages` notification mails (three items
   each, rendered from the templates, text + HTML) queued, then that many `Sender`s
   drain the outbox at once (SKIP LOCKED shares it) into an aiosmtpd server on loopback
   (`python -m aiosmtpd`, its `Sink` handler, in a process of its own). Prints
   messages/s, and this process's CPU per message (rendering and the SMTP client).

A script that prints figures, not a test; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import add_database_arguments, free_port, header, prepare, say, scratch_database

# bench/ is first on sys.path, and its search.py would hide the `search` package that
# the web layer (the mail renderer) imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

BENCH_DB = "forum_bench_mail"
SITE = "https://forum.example.org"
FROM = "CSO Forum <forum@forum.example.org>"


def smtp_sink(port: int) -> subprocess.Popen:
    """aiosmtpd in its own process, accepting and dropping every message."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("bench: aiosmtpd did not start")


async def _members(db: Any, count: int) -> list[int]:
    from sqlalchemy import insert, select

    from forum.models import Notification, Post, User

    now = datetime.now(UTC)  # their addresses confirmed: others get no notification mail
    async with db.transaction() as s:
        post = (await s.execute(select(Post.id, Post.thread_id).limit(1))).one()
        rows = [
            {"email": f"bench{n}@example.org", "display_name": f"Bench member {n}",
             "password_hash": "-", "role": "member", "email_verified_at": now}
            for n in range(count)
        ]  # fmt: skip
        ids = list(await s.scalars(insert(User).returning(User.id), rows))
        await s.execute(
            insert(Notification),
            [
                {"user_id": i, "event_id": n, "reason": "reply", "subject": f"post:{post.id}",
                 "thread_id": post.thread_id, "post_id": post.id}
                for n, i in enumerate(ids)
            ],
        )  # fmt: skip
    return ids


async def _queue(db: Any, count: int) -> None:
    from forum.mail import outbox

    items = [
        {"reason": "reply", "action": None, "title": "Monitoring public tenders in Dakar",
         "excerpt": "Open contracting data helped us find three tenders awarded to one "
                    "company owned by an official's brother.", "url": f"/posts/{n}",
         "at": "2026-12-01T06:00:00+00:00"}
        for n in range(3)
    ]  # fmt: skip
    params = {
        "name": "Bench member", "settings": SITE + "/settings", "mode": "immediately",
        "items": items, "more": 0, "unsubscribe": SITE + "/unsubscribe/1.0.abc",
        "headers": {"List-Id": "<forum.forum.example.org>",
                    "List-Unsubscribe": f"<{SITE}/unsubscribe/1.0.abc>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }  # fmt: skip
    async with db.transaction() as s:
        for n in range(count):
            await outbox.enqueue(
                s, kind="notices", recipient=f"bench{n}@example.org", language="fr",
                params=params, mail_from=FROM,
            )  # fmt: skip


async def main_async(args: argparse.Namespace) -> int:
    from forum.catalog import CatalogCache
    from forum.config import Smtp
    from forum.db import Database
    from forum.mail.notices import Notices
    from forum.mail.sender import Sender, SmtpTransport
    from web import mail

    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="forum-bench-mail-") as tmp:
        async with scratch_database(args.database_url, Path(tmp), BENCH_DB) as scratch:
            say(f"database: {scratch.where}; migrating and loading demo data")
            version, _ = await prepare(scratch.url)
            db = Database(scratch.url, pool_size=10)
            port = args.smtp_port or free_port()
            sink = smtp_sink(port)
            try:
                await _members(db, args.members)
                notices = Notices(
                    db, CatalogCache(db), secret="b" * 40, mail_from=FROM, link_base=SITE
                )
                cpu, wall = time.process_time(), time.perf_counter()
                queued = await notices.drain()
                assert queued == args.members, f"{queued} of {args.members} members mailed"
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                lines.append(
                    f"notices: {queued:,} members' notifications to outbox messages in "
                    f"{wall:.2f} s: {queued / wall:,.0f} members/s, "
                    f"{cpu / queued * 1000:.2f} ms CPU (this process) per member"
                )
                async with db.transaction() as s:
                    await s.exec_driver_sql("DELETE FROM outbox")
                render = mail.renderer(SITE)
                transport = SmtpTransport(Smtp("127.0.0.1", port))
                for senders in args.senders:
                    await _queue(db, args.messages)
                    workers = [Sender(db, render, FROM, transport) for _ in range(senders)]
                    cpu, wall = time.process_time(), time.perf_counter()
                    sent = sum(await asyncio.gather(*(w.drain() for w in workers)))
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    assert sent == args.messages, sent
                    lines.append(
                        f"sender x{senders}: {sent:,} messages handed to aiosmtpd in "
                        f"{wall:.2f} s: {sent / wall:,.0f} messages/s, "
                        f"{cpu / sent * 1000:.2f} ms CPU (this process) per message"
                    )
            finally:
                sink.terminate()
                sink.wait()
                await db.dispose()
    print("\n".join(header(scratch.where, version) + lines))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(p, BENCH_DB)
    p.add_argument("--members", type=int, default=2000)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--senders", type=int, nargs="+", default=[1, 2])
    p.add_argument("--smtp-port", type=int, default=0, help="default: a free port")
    return p.parse_args(argv)


def main() -> int:
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
