"""Notifications fan-out benchmark: prints figures, not a test.

1. **fan-out**: 10,000 members watch one region (`--followers`); a new post there is
   fanned out by `forum.notifier` (in this process, against the scratch database): the
   wall time and the CPU (this process, and PostgreSQL's process tree) of writing the
   10,000 notifications and the one live event that names them.
2. **posts/s**: `forum serve --workers 1` takes replies through the API from
   `--concurrency` clients, in a thread of the watched region, then in a thread of a region
   nobody follows: the write path must not wait for the followers (the fan-out runs after
   commit, in the background, in the same server process), so both rates are printed, and
   the notifications the first phase produced are counted once the notifier caught up.

    .venv/bin/python bench/fanout.py            # embedded PostgreSQL, ~2 minutes
    .venv/bin/python bench/fanout.py --quick    # 1,000 followers, fewer posts
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from _common import (
    API,
    add_database_arguments,
    cpu_seconds,
    expect,
    forum_server,
    header,
    prepare,
    register_members,
    say,
    scratch_database,
)

BENCH_DB = "forum_bench_fanout"
SECRET = "bench-secret-" + "x" * 32


def _cpu(pid: int) -> float:
    root = psutil.Process(pid)
    return sum(cpu_seconds([root, *root.children(recursive=True)]).values())


async def _followers(url: str, region: str, count: int) -> None:
    """`count` members (one statement), each watching `region`."""
    from sqlalchemy import text

    from forum.db import Database

    db = Database(url, pool_size=1)
    try:
        async with db.transaction() as s:
            await s.execute(
                text(
                    "INSERT INTO users (email, display_name, display_name_key, password_hash, "
                    "role, handle) SELECT 'f' || n || '@bench.example.org', 'Follower ' || n, "
                    "'follower ' || n, 'x', 'member', 'follower_' || n "
                    "FROM generate_series(1, :count) AS n"
                ),
                {"count": count},
            )
            await s.execute(
                text(
                    "INSERT INTO follows (user_id, target, level) SELECT id, :target, "
                    "'watching' FROM users WHERE email LIKE 'f%@bench.example.org'"
                ),
                {"target": f"region:{region}"},
            )
    finally:
        await db.dispose()


async def fan_out_once(url: str, region: str, topic: str, postmaster: int) -> list[str]:
    """One new post in the watched region, fanned out in this process."""
    from sqlalchemy import func, select

    from forum import catalog, threads
    from forum.catalog import CatalogCache
    from forum.db import Database
    from forum.models import Notification, Role, User
    from forum.notifier import Notifier
    from forum.permissions import Actor

    db = Database(url, pool_size=2)
    try:
        notifier = Notifier(db, CatalogCache(db), name="bench")
        await notifier.catch_up()  # takes its position: the head of the log
        async with db.transaction() as s:
            author = await s.scalar(select(User.id).where(User.role == "member").limit(1))
            await threads.create_thread(
                s, Actor(author, Role.MEMBER), await catalog.load(s), region=region,
                topic=topic, title="Fan-out", body="A new thread for every follower", countries=[],
            )  # fmt: skip
        cpu_self, cpu_pg = time.process_time(), _cpu(postmaster)
        started = time.perf_counter()
        written = await notifier.catch_up()
        wall = time.perf_counter() - started
        cpu_self, cpu_pg = time.process_time() - cpu_self, _cpu(postmaster) - cpu_pg
        async with db.transaction() as s:
            stored = await s.scalar(select(func.count()).select_from(Notification))
    finally:
        await db.dispose()
    return [
        f"fan-out of one new thread to its region's followers: {written} notifications "
        f"written ({stored} stored), {wall * 1000:.0f} ms wall, CPU {cpu_self * 1000:.0f} ms "
        f"in the notifier's process + {cpu_pg * 1000:.0f} ms in PostgreSQL",
    ]


async def _thread(client: httpx.AsyncClient, headers: dict, region: str, topic: str) -> int:
    r = await client.post(f"{API}/threads", headers=headers,
                          json={"region": region, "topic": topic, "title": "Bench",
                                "body": "Replies follow"})  # fmt: skip
    expect(r, 201)
    return int(r.json()["thread"]["id"])


async def posts_per_second(
    base: str, members: list, thread_id: int, posts: int, concurrency: int
) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(posts):
        queue.put_nowait(n)

    async def client(member) -> None:  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as c:
            while not queue.empty():
                n = queue.get_nowait()
                r = await c.post(f"{API}/threads/{thread_id}/posts", headers=member.headers(),
                                 json={"body": f"Reply {n}: *procurement* review"})  # fmt: skip
                expect(r, 201)

    started = time.perf_counter()
    await asyncio.gather(*(client(members[i % len(members)]) for i in range(concurrency)))
    return posts / (time.perf_counter() - started)


async def through_the_api(args: argparse.Namespace, url: str, regions: tuple[str, str],
                          topic: str, workdir: Path) -> list[str]:  # fmt: skip
    watched, quiet = regions
    async with forum_server(url, SECRET, 1, workdir) as (base, _proc):
        members = await register_members(base, url, args.concurrency)
        async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as c:
            loud_thread = await _thread(c, members[0].headers(), watched, topic)
            quiet_thread = await _thread(c, members[0].headers(), quiet, topic)
        # Warm up both paths, then measure, the quiet region first.
        for tid in (quiet_thread, loud_thread):
            await posts_per_second(base, members, tid, args.concurrency, args.concurrency)
        quiet_rate = await posts_per_second(base, members, quiet_thread, args.posts,
                                            args.concurrency)  # fmt: skip
        loud_rate = await posts_per_second(base, members, loud_thread, args.posts,
                                           args.concurrency)  # fmt: skip
        # How long the server's notifier took to catch up with the posts just written.
        started = time.perf_counter()
        expected = (args.posts + args.concurrency) * args.followers
        stored = await _wait_for_notifications(url, expected, within=args.catch_up_timeout)
        behind = time.perf_counter() - started
    return [
        f"posts/s through the API, {args.concurrency} clients, 1 worker: "
        f"{quiet_rate:.1f} in a region nobody follows, {loud_rate:.1f} in a region "
        f"{args.followers} members watch",
        f"the server's notifier: {stored} notifications from those posts, all stored "
        f"{behind:.1f} s after the last post was answered"
        + ("" if stored >= expected else f" (still behind: {expected} expected)"),
    ]


async def _wait_for_notifications(url: str, expected: int, within: float) -> int:
    import asyncpg

    from forum.db import driver_dsn

    conn = await asyncpg.connect(driver_dsn(url))
    try:
        deadline = time.monotonic() + within
        while True:
            found = await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE reason = 'watching'"
            )
            if found >= expected or time.monotonic() > deadline:
                return int(found)
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        async with scratch_database(args.database_url, Path(tmp), BENCH_DB) as db:
            say(f"database: {db.where}; migrating and loading demo data")
            version, postmaster = await prepare(db.url)
            from forum import catalog
            from forum.db import Database

            probe = Database(db.url, pool_size=1)
            async with probe.transaction() as s:
                known = await catalog.load(s)
            await probe.dispose()
            public = [r.slug for r in known.regions if r.visibility == "public"]
            regions, topic = (public[0], public[1]), known.topics[0].slug
            say(f"{args.followers} members watching region:{regions[0]}")
            await _followers(db.url, regions[0], args.followers)
            lines = await fan_out_once(db.url, regions[0], topic, postmaster)
            say("posts through the API")
            lines += await through_the_api(args, db.url, regions, topic, Path(tmp))
    for line in [*header(db.where, version), *lines]:
        print(line)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--followers", type=int, default=10_000, help="default 10,000")
    p.add_argument("--posts", type=int, default=200, help="replies per phase (200)")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent clients (8)")
    p.add_argument("--catch-up-timeout", type=float, default=300, help="seconds (300)")
    add_database_arguments(p, BENCH_DB)
    p.add_argument("--quick", action="store_true", help="1,000 followers, 40 posts")
    args = p.parse_args(argv)
    if args.quick:
        args.followers, args.posts, args.concurrency = 1000, 40, 4
    return args


def main() -> int:
    os.environ.setdefault("FORUM_SECRET_KEY", SECRET)
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
