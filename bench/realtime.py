"""Realtime fan-out: how fast a reply reaches every websocket subscriber of its thread.

Starts a scratch database and `forum serve --workers 2`, opens N anonymous websocket
connections to `/ws` from separate client processes, all subscribed to one thread, then
posts replies through the API and times each one to the last (and the median) subscriber.
Also: a sustained posting burst, the memory of idle connections, and the floor (a bare
`websockets` server broadcasting frames of the same size to the same clients).
Prints one table. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import websockets
from _common import (
    API,
    HOST,
    SHARED_SERVER,
    Member,
    add_database_arguments,
    add_profile_argument,
    client_address,
    cpu_seconds,
    expect,
    forum_server,
    free_port,
    header,
    markdown_body,
    percentile,
    prepare,
    profiled,
    register_members,
    say,
    scratch_database,
    worker_pids,
)
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import WebSocketURI, parse_uri

BENCH_DB = "forum_rtbench"
TOO_SLOW = 4008  # realtime.protocol.Close.TOO_SLOW
EVENT_PREFIX = b'{"op":"event"'  # orjson keeps key order: the hub's frames start so
SUBSCRIBED_PREFIX = b'{"op":"subscribed"'
PRESENCE_PREFIX = b'{"op":"presence"'

ALONE = 20  # replies with no subscriber, to measure what a reply alone costs the server
DELIVERY_WAIT = 15.0  # seconds, at most, for one spaced event to reach every subscriber
GOAL_SUBSCRIBERS = 1000
GOAL_P99_MS = 100.0
GOAL_FLOOR_RATIO = 2.0
GOAL_LOSSLESS_SUBSCRIBERS = 5000
GOAL_IDLE_KIB = 50.0


def raise_open_files() -> int:
    """The soft open-file limit up to the hard one; `forum serve` started from here inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


# ---------------------------------------------------------------------------- client process
#
# One process (or --client-procs of them) holds the subscribers, recording (post id,
# time.monotonic_ns()) for every post.created event frame. CLOCK_MONOTONIC is system-wide
# on Linux, so those times compare with the bench process's and the floor server's. The
# bench process drives it through a pipe.
#
# Each subscriber is `websockets`' sans-I/O client protocol on an asyncio protocol: a frame
# is read in the socket's callback, with no task, future or queue of its own. The clients
# share the machine's two cores with the server they measure: receiving the spaced
# replies at 5,000 subscribers, the asyncio client kept 0.63 cores busy, these 0.43.


@dataclass
class ClientState:
    count: int
    ok: int = 0
    failed: int = 0
    first_error: str = ""
    frames: int = 0  # every frame received (events, presence, ...)
    events: int = 0  # post.created frames since the last collect
    records: list[array] = field(default_factory=list)
    closed: dict[int, int | None] = field(default_factory=dict)  # index -> close code
    sizes: list[int] = field(default_factory=list)  # bytes of some event frames
    sockets: dict[int, Subscriber] = field(default_factory=dict)

    def fail(self, error: object) -> None:
        self.failed += 1
        self.first_error = self.first_error or repr(error)[:300]


class Subscriber(asyncio.Protocol):
    """One subscriber: handshakes, subscribes, then records the post.created frames."""

    def __init__(self, i: int, uri: WebSocketURI, subscribe: bytes, st: ClientState) -> None:
        self.i, self.st, self._subscribe = i, st, subscribe
        self.conn = ClientProtocol(uri, max_size=2**20)
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        request = self.conn.connect()
        request.headers["X-Forwarded-For"] = client_address(self.i)
        self.conn.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        t = time.monotonic_ns()
        self.conn.receive_data(data)
        for event in self.conn.events_received():
            if isinstance(event, Response):
                if self.conn.handshake_exc is not None:
                    self._settle(self.conn.handshake_exc)
                else:
                    self.conn.send_text(self._subscribe)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._text(bytes(event.data), t)
        self._flush()

    def _text(self, message: bytes, t: int) -> None:
        if not self.subscribed.done():
            if not message.startswith(PRESENCE_PREFIX):
                subscribed = message.startswith(SUBSCRIBED_PREFIX)
                self._settle(
                    None if subscribed else RuntimeError(f"not subscribed: {message[:200]!r}")
                )
            return
        st = self.st
        st.frames += 1
        if message.startswith(EVENT_PREFIX):
            event = orjson.loads(message)
            if event["type"] == "post.created":
                record = st.records[self.i]  # replaced at each collect
                record.append(event["data"]["post"]["id"])
                record.append(t)
                st.events += 1
                if len(st.sizes) < 100:
                    st.sizes.append(len(message))

    def _settle(self, error: BaseException | None) -> None:
        if self.subscribed.done():
            return
        if error is None:
            self.subscribed.set_result(None)
        else:
            self.subscribed.set_exception(error)

    def _flush(self) -> None:
        assert self._transport is not None
        for data in self.conn.data_to_send():
            if data:
                self._transport.write(data)
            elif self._transport.can_write_eof():
                self._transport.write_eof()

    def eof_received(self) -> None:
        self.conn.receive_eof()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._settle(ConnectionError("closed before subscribing"))
        if self.i in self.st.sockets:
            self.st.closed[self.i] = self.conn.close_code
        if not self.gone.done():
            self.gone.set_result(None)

    def close(self) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self.conn.send_close()
        self._flush()


def client_process(pipe: Pipe, url: str, count: int, channel: str, concurrency: int) -> None:
    asyncio.run(_client_main(pipe, url, count, channel, concurrency))


async def _client_main(pipe: Pipe, url: str, count: int, channel: str, concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def on_command() -> None:
        try:
            commands.put_nowait(pipe.recv())
        except (EOFError, OSError):  # the bench process went away
            loop.remove_reader(pipe.fileno())
            commands.put_nowait("close")

    loop.add_reader(pipe.fileno(), on_command)
    st = ClientState(count, records=[array("q") for _ in range(count)])
    subscribe = orjson.dumps({"op": "subscribe", "channels": [channel]})
    gate = asyncio.Semaphore(concurrency)
    uri = parse_uri(url)
    tasks = [asyncio.create_task(_subscribe(i, uri, subscribe, gate, st)) for i in range(count)]
    while True:
        command = await asyncio.wait_for(commands.get(), 3600)
        if command == "status":
            closed = len(st.closed)
            pipe.send((st.ok, st.failed, st.first_error, st.frames, st.events, closed))
        elif command == "collect":
            records = [r.tobytes() for r in st.records]
            pipe.send((records, dict(st.closed), st.sizes, sorted(st.sockets)))
            st.records = [array("q") for _ in range(count)]
            st.events, st.sizes = 0, []
        elif command == "close":
            break
    # Close from the client side, all at once, bounded; then whatever is left is dropped.
    for sub in st.sockets.values():
        sub.close()
    gone = [sub.gone for sub in st.sockets.values()]
    if gone:
        await asyncio.wait(gone, timeout=30)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    loop.remove_reader(pipe.fileno())
    with contextlib.suppress(OSError):
        pipe.send("closed")


async def _subscribe(
    i: int, uri: WebSocketURI, subscribe: bytes, gate: asyncio.Semaphore, st: ClientState
) -> None:
    loop = asyncio.get_running_loop()
    async with gate:  # a bounded number of handshakes at a time
        sub = Subscriber(i, uri, subscribe, st)
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(lambda: sub, uri.host, uri.port), 60
            )
        except Exception as exc:
            st.fail(exc)
            return
        try:
            await asyncio.wait_for(sub.subscribed, 60)
        except Exception as exc:
            st.fail(exc)
            transport.abort()
            return
    st.ok += 1
    st.sockets[i] = sub


@dataclass
class Collected:
    records: list[array]  # per connection: post id, receipt ns, post id, receipt ns, ...
    closed: dict[int, int | None]  # connections closed so far -> close code
    sizes: list[int]  # bytes of some event frames
    subscribed: list[int]  # connections that subscribed


class Clients:
    """The subscriber processes, driven from the bench process."""

    def __init__(self, url: str, count: int, channel: str, procs: int, concurrency: int) -> None:
        ctx = mp.get_context("spawn")
        shares = [count // procs + (k < count % procs) for k in range(procs)]
        self.count = count
        self.pipes: list[Pipe] = []
        self.procs: list[Any] = []
        for share in shares:
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=client_process,
                args=(theirs, url, share, channel, max(1, concurrency // procs)),
                daemon=True,
            )
            proc.start()
            theirs.close()
            self.pipes.append(mine)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def ask(self, command: str, within: float = 60) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(command)
        return [await asyncio.to_thread(_recv, pipe, within) for pipe in self.pipes]

    async def status(self) -> tuple[int, int, str, int, int, int]:
        answers = await self.ask("status")
        ok, failed, frames, events, closed = (sum(a[k] for a in answers) for k in (0, 1, 3, 4, 5))
        error = next((a[2] for a in answers if a[2]), "")
        return ok, failed, error, frames, events, closed

    async def connected(self, within: float) -> tuple[int, int, str, float]:
        """Wait until every connection is subscribed or failed: (ok, failed, error, seconds)."""
        began = time.monotonic()
        deadline = began + within
        while True:
            ok, failed, error, *_ = await self.status()
            if ok + failed >= self.count or time.monotonic() > deadline:
                return ok, failed, error, time.monotonic() - began
            await asyncio.sleep(0.25)

    async def delivered(self, events: int, within: float) -> bool:
        """Wait until `events` post.created frames arrived (since the last collect)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if (await self.status())[4] >= events:
                return True
            await asyncio.sleep(0.01)
        return False

    async def settle(self, expect_events: int | None, quiet: float, within: float) -> int:
        """Wait until `expect_events` arrived, or no frame came for `quiet` seconds."""
        deadline = time.monotonic() + within
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            *_, frames, events, _closed = await self.status()
            if expect_events is not None and events >= expect_events:
                return events
            if frames != last:
                last, since = frames, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return events
            await asyncio.sleep(0.1)
        return events

    async def collect(self) -> Collected:
        records: list[array] = []
        closed: dict[int, int | None] = {}
        sizes: list[int] = []
        subscribed: list[int] = []
        for answer in await self.ask("collect", within=120):
            raw, their_closed, their_sizes, their_subscribed = answer
            base = len(records)
            subscribed += [base + i for i in their_subscribed]
            for chunk in raw:
                a = array("q")
                a.frombytes(chunk)
                records.append(a)
            closed.update({base + i: code for i, code in their_closed.items()})
            sizes += their_sizes
        return Collected(records, closed, sizes, subscribed)

    async def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send("close")
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(_recv, pipe, 60)
        for proc in self.procs:
            await asyncio.to_thread(proc.join, 10)
            if proc.is_alive():
                proc.kill()
                await asyncio.to_thread(proc.join, 5)


def _recv(pipe: Pipe, timeout: float) -> Any:
    if not pipe.poll(timeout):
        raise TimeoutError(f"client process did not answer within {timeout:g} s")
    return pipe.recv()


# ---------------------------------------------------------------------------- the floor
#
# A bare `websockets` server in one process: subscribers say "subscribe" and get
# "subscribed"; on "go <seq> <bytes> <channel>" from the control connection it builds an
# event-like frame of that size, notes time.monotonic_ns() and broadcasts it with the
# library's `broadcast`, then answers the control connection with that time.


def floor_frame(seq: int, size: int, channel: str) -> str:
    frame: dict[str, Any] = {
        "op": "event",
        "id": f"{seq}-0",
        "channel": channel,
        "type": "post.created",
        "at": "2026-01-01T00:00:00.000000+00:00",
        "data": {"post": {"id": seq, "body_html": ""}},
    }
    pad = size - len(orjson.dumps(frame))
    frame["data"]["post"]["body_html"] = "x" * max(0, pad)
    return orjson.dumps(frame).decode()


def floor_process(pipe: Pipe, port: int) -> None:
    asyncio.run(_floor_main(pipe, port))


async def _floor_main(pipe: Pipe, port: int) -> None:
    subscribers: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for message in ws:
                _, seq, size, channel = str(message).split()
                frame = floor_frame(int(seq), int(size), channel)
                sent_at = time.monotonic_ns()
                broadcast(subscribers, frame)
                await ws.send(str(sent_at))
            return
        try:
            async for message in ws:
                request = orjson.loads(message)
                if request.get("op") == "subscribe":
                    subscribers.add(ws)
                    reply = {"op": "subscribed", "channels": request["channels"], "head": "0"}
                    await ws.send(orjson.dumps(reply).decode())
        finally:
            subscribers.discard(ws)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(pipe.fileno(), stop.set)  # any message, or the bench going away
    async with serve(
        handler,
        HOST,
        port,
        compression=None,
        backlog=2048,
        max_size=16 * 1024,
        ping_interval=20,
        ping_timeout=20,
    ):
        pipe.send("ready")
        await asyncio.wait_for(stop.wait(), 3600)


@contextlib.asynccontextmanager
async def floor_server() -> Any:
    port = free_port()
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=floor_process, args=(theirs, port), daemon=True)
    proc.start()
    theirs.close()
    try:
        if await asyncio.to_thread(_recv, mine, 30) != "ready":
            raise SystemExit("bench: the floor server did not start")
        yield port, proc
    finally:
        with contextlib.suppress(OSError):
            mine.send("stop")
        await asyncio.to_thread(proc.join, 10)
        if proc.is_alive():
            proc.kill()
            await asyncio.to_thread(proc.join, 5)


# ---------------------------------------------------------------------------- measuring


@dataclass
class Delivery:
    """Per post: from its origin time to each subscriber's receipt."""

    posts: int = 0
    last_ms: list[float] = field(default_factory=list)
    median_ms: list[float] = field(default_factory=list)
    missing: int = 0
    duplicates: int = 0
    first_ns: int = 0
    last_ns: int = 0
    received: int = 0

    def p(self, q: float, which: str = "last") -> float:
        return percentile(self.last_ms if which == "last" else self.median_ms, q)


def deliveries(
    records: list[array], origins: dict[int, int], expected: list[int] | None = None
) -> Delivery:
    """`origins`: post id -> monotonic ns. `expected`: connections that must get every post."""
    receipts: dict[int, list[int]] = {post: [] for post in origins}
    result = Delivery(posts=len(origins))
    for conn in expected if expected is not None else range(len(records)):
        seen: set[int] = set()
        record = records[conn]
        for k in range(0, len(record), 2):
            post, t = record[k], record[k + 1]
            if post not in receipts:
                continue  # an event of another phase
            if post in seen:
                result.duplicates += 1
                continue
            seen.add(post)
            receipts[post].append(t)
        result.missing += len(origins) - len(seen)
    times = [t for ts in receipts.values() for t in ts]
    result.received = len(times)
    if times:
        result.first_ns, result.last_ns = min(times), max(times)
    for post, origin in origins.items():
        ts = receipts[post]
        if ts:
            result.last_ms.append((max(ts) - origin) / 1e6)
            result.median_ms.append((statistics.median(ts) - origin) / 1e6)
    return result


class Cpu:
    """Cores kept busy per process group between two samples (psutil, per process)."""

    def __init__(self, groups: dict[str, list[int]], trees: dict[str, int]) -> None:
        self.groups = groups
        self.trees = trees

    def _sample(self) -> tuple[float, dict[str, dict[int, float]], float, tuple[float, float]]:
        found: dict[str, dict[int, float]] = {}
        for name, pid in self.trees.items():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                found[name] = cpu_seconds([root, *root.children(recursive=True)])
        for name, pids in self.groups.items():
            procs = []
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    procs.append(psutil.Process(pid))
            found[name] = cpu_seconds(procs)
        machine = psutil.cpu_times()
        steal, softirq = getattr(machine, "steal", 0.0), getattr(machine, "softirq", 0.0)
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0) - steal - softirq
        return time.monotonic(), found, busy, (softirq, steal)

    @contextlib.contextmanager
    def measure(self, into: dict[str, float]) -> Any:
        t0, before, busy0, (softirq0, steal0) = self._sample()
        yield
        t1, after, busy1, (softirq1, steal1) = self._sample()
        wall = max(t1 - t0, 1e-9)
        for name, pids in after.items():
            old = before.get(name, {})
            into[name] = sum(s - old.get(pid, 0.0) for pid, s in pids.items()) / wall
        into["other"] = max(0.0, (busy1 - busy0) / wall - sum(into.values()))
        # Loopback TCP is largely processed in softirq context, charged to no process.
        into["softirq"] = (softirq1 - softirq0) / wall
        # A virtual machine's "steal": time the hypervisor gave our vCPUs to someone else.
        into["steal"] = (steal1 - steal0) / wall
        into["_seconds"] = wall


def rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total


def connections_per_worker(pids: list[int], port: int) -> list[int]:
    counts = []
    for pid in pids:
        n = 0
        with contextlib.suppress(psutil.Error):
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                n += c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
        counts.append(n)
    return counts


# ---------------------------------------------------------------------------- one size


@dataclass
class Row:
    subscribers: int
    connected: int = 0
    connect_failed: int = 0
    connect_error: str = ""
    connect_seconds: float = 0.0
    per_worker: list[int] = field(default_factory=list)
    frame_bytes: int = 0
    ours: Delivery = field(default_factory=Delivery)
    floor: Delivery = field(default_factory=Delivery)
    floor_connected: int = 0
    floor_failed: int = 0
    idle_kib: float = float("nan")
    rss_base_mib: float = 0.0
    rss_idle_mib: float = 0.0
    sustained_seconds: float = 0.0
    sustained_posts: int = 0
    sustained_post_errors: int = 0
    sustained_received: int = 0
    sustained_rate: float = 0.0
    sustained_offered: int = 0
    sustained_lag_p99_ms: float = float("nan")
    dropped_slow: int = 0
    dropped_other: int = 0
    missed_kept: int = 0  # events missing on connections that were not dropped
    duplicates_sustained: int = 0
    reply_cpu_ms: float = 0.0  # server CPU per reply with no subscriber
    connect_frames: int = 0  # frames (presence) received while connecting
    cpu_connect: dict[str, float] = field(default_factory=dict)
    cpu_spaced: dict[str, float] = field(default_factory=dict)
    cpu_sustained: dict[str, float] = field(default_factory=dict)
    cpu_floor: dict[str, float] = field(default_factory=dict)

    @property
    def ratio_p99(self) -> float:
        floor = self.floor.p(99)
        return self.ours.p(99) / floor if floor > 0 else float("nan")

    @property
    def lossless(self) -> bool:
        return (
            self.connect_failed == 0
            and self.connected == self.subscribers
            and self.ours.missing == 0
            and self.ours.duplicates == 0
        )


@dataclass
class Bench:
    args: argparse.Namespace
    url: str
    postmaster: int
    workdir: Path
    secret: str = field(default_factory=lambda: os.urandom(36).hex())
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    members: list[Member] = field(default_factory=list)

    async def run(self, n: int) -> Row:
        args = self.args
        row = Row(n)
        async with forum_server(self.url, self.secret, 2, self.workdir) as (base, proc):
            if not self.members:  # sessions outlive the server: same database, same key
                say(f"registering {args.posters} members through the API")
                self.members = await register_members(base, self.url, args.posters)
            thread = await create_public_thread(base, self.members[0], self.rng, n)
            channel = f"thread:{thread}"
            port = int(base.rsplit(":", 1)[1])
            ws_url = f"ws://{HOST}:{port}/ws"
            workers = worker_pids(proc.pid)
            if len(workers) != 2:
                say(f"WARNING: expected 2 worker processes, found {len(workers)}")
            # Zero connections, after a few have come and gone (lazy imports, first queries).
            await warm_up(ws_url, channel)
            await asyncio.sleep(1.5)
            base_rss = rss(workers)
            row.rss_base_mib = base_rss / 2**20
            # What a reply costs the server with nobody listening: subtracted from the
            # spaced phase to leave the cost of fan-out per frame.
            member, alone = self.members[0], {}
            await spaced_posts(base, member, thread, args, self.rng, None, 0, 3)  # warm-up
            with Cpu({"server": workers}, {}).measure(alone):
                await spaced_posts(base, member, thread, args, self.rng, None, 0, ALONE)
            row.reply_cpu_ms = alone["server"] * alone["_seconds"] * 1000 / ALONE

            say(f"{n} subscribers: connecting to {ws_url} ({channel})")
            clients = Clients(ws_url, n, channel, args.client_procs, args.connect_concurrency)
            try:
                cpu = Cpu(
                    {"server": workers, "clients": clients.pids, "bench": [os.getpid()]},
                    {"pg": self.postmaster},
                )
                with (
                    profiled(args.profile, proc.pid, f"n{n}-connect"),
                    cpu.measure(row.cpu_connect),
                ):
                    ok, failed, error, seconds = await clients.connected(within=60 + n / 10)
                row.connected, row.connect_failed = ok, failed
                row.connect_error, row.connect_seconds = error, seconds
                say(f"{n} subscribers: {ok} subscribed, {failed} failed in {seconds:.1f} s")
                if error:
                    say(f"first connection error: {error}")
                # Idle: the presence frames of all those joins have been delivered.
                await clients.settle(None, quiet=2.0, within=120)
                row.connect_frames = (await clients.status())[3]
                row.per_worker = connections_per_worker(workers, port)
                idle_rss = rss(workers)
                row.rss_idle_mib = idle_rss / 2**20
                if ok:
                    row.idle_kib = (idle_rss - base_rss) / ok / 1024
                await clients.collect()  # nothing of interest yet; start clean

                say(f"{n} subscribers: {args.posts} replies, one at a time")
                with profiled(args.profile, proc.pid, f"n{n}-spaced"):
                    with cpu.measure(row.cpu_spaced):
                        origins = await spaced_posts(
                            base, self.members[0], thread, args, self.rng, clients, ok
                        )
                    await clients.settle(ok * len(origins), quiet=3.0, within=60)
                got = await clients.collect()
                row.frame_bytes = int(statistics.median(got.sizes)) if got.sizes else 0
                # Every connection counts: one that failed or closed got nothing, a loss.
                row.ours = deliveries(got.records, origins)

                say(f"{n} subscribers: posting flat out from {args.posters} clients")
                with (
                    profiled(args.profile, proc.pid, f"n{n}-sustained"),
                    cpu.measure(row.cpu_sustained),
                ):
                    began = time.monotonic_ns()
                    posted, errors = await sustained_posts(
                        base, self.members, thread, args, self.rng
                    )
                    ended = time.monotonic_ns()
                    await clients.settle(ok * len(posted), quiet=3.0, within=120)
                self._sustained(row, await clients.collect(), posted, errors, began, ended)
            finally:
                await clients.close()

        if row.frame_bytes:
            await self.floor(row, channel)
        return row

    def _sustained(
        self,
        row: Row,
        got: Collected,
        posted: dict[int, int],
        errors: int,
        began: int,
        ended: int,
    ) -> None:
        row.sustained_seconds = (ended - began) / 1e9
        row.sustained_posts, row.sustained_post_errors = len(posted), errors
        row.dropped_slow = sum(code == TOO_SLOW for code in got.closed.values())
        row.dropped_other = len(got.closed) - row.dropped_slow
        row.sustained_offered = len(posted) * row.connected
        kept = [i for i in got.subscribed if i not in got.closed]
        everyone = deliveries(got.records, posted, got.subscribed)
        row.sustained_received = everyone.received
        row.duplicates_sustained = everyone.duplicates
        row.missed_kept = deliveries(got.records, posted, kept).missing
        if everyone.received:
            row.sustained_rate = everyone.received / ((everyone.last_ns - began) / 1e9)
        row.sustained_lag_p99_ms = everyone.p(99)

    async def floor(self, row: Row, channel: str) -> None:
        args, n = self.args, row.subscribers
        async with floor_server() as (port, proc):
            say(f"floor, {n} subscribers: bare websockets server on port {port}")
            clients = Clients(
                f"ws://{HOST}:{port}/", n, channel, args.client_procs, args.connect_concurrency
            )
            try:
                ok, failed, error, _ = await clients.connected(within=60 + n / 20)
                row.floor_connected, row.floor_failed = ok, failed
                if error:
                    say(f"floor: first connection error: {error}")
                await clients.settle(None, quiet=1.0, within=30)
                await clients.collect()
                cpu = Cpu(
                    {"server": [proc.pid], "clients": clients.pids, "bench": [os.getpid()]}, {}
                )
                with cpu.measure(row.cpu_floor):
                    async with connect(
                        f"ws://{HOST}:{port}/control", compression=None, proxy=None
                    ) as control:

                        async def send(k: int) -> tuple[int, int]:
                            await control.send(f"go {k + 1} {row.frame_bytes} {channel}")
                            return k + 1, int(await asyncio.wait_for(control.recv(), 30))

                        origins = await spaced(send, clients, ok, args)
                    await clients.settle(ok * len(origins), quiet=3.0, within=60)
                row.floor = deliveries((await clients.collect()).records, origins)
            finally:
                await clients.close()


async def create_public_thread(base: str, member: Member, rng: random.Random, n: int) -> int:
    """A thread anonymous readers may follow: in a region the anonymous region list shows."""
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        regions = (await client.get(f"{API}/regions")).json()["regions"]
        public = [r["slug"] for r in regions if r.get("visibility", "public") == "public"]
        topics = [t["slug"] for t in (await client.get(f"{API}/topics")).json()["topics"]]
        r = await client.post(
            f"{API}/threads",
            headers=member.headers(),
            json={
                "region": (public or [r["slug"] for r in regions])[0],
                "topic": topics[0],
                "title": f"Realtime bench, {n} subscribers",
                "body": markdown_body(rng),
            },
        )
        expect(r, 201)
        return int(r.json()["thread"]["id"])


async def warm_up(ws_url: str, channel: str, count: int = 20) -> None:
    subscribe = orjson.dumps({"op": "subscribe", "channels": [channel]}).decode()

    async def one() -> None:
        async with connect(ws_url, compression=None, proxy=None, open_timeout=30) as ws:
            await ws.send(subscribe)
            async with asyncio.timeout(30):
                while not (await ws.recv(decode=False)).startswith(SUBSCRIBED_PREFIX):
                    pass

    await asyncio.gather(*(one() for _ in range(count)))


def _post_id(response: httpx.Response) -> int:
    body = response.json()
    return int(body.get("post", body)["id"])


async def spaced(
    send: Callable[[int], Awaitable[tuple[int, int]]],
    clients: Clients | None,
    subscribed: int,
    args: argparse.Namespace,
    count: int | None = None,
) -> dict[int, int]:
    """`--posts` events one at a time; id -> origin time (monotonic ns).

    The next one goes `--spacing` seconds after the previous one reached every subscriber
    (or after `DELIVERY_WAIT` seconds; after one such miss, only the spacing), so that
    deliveries never overlap even when one takes longer than the spacing.
    """
    origins: dict[int, int] = {}
    waiting = clients is not None
    for k in range(args.posts if count is None else count):
        key, origin = await send(k)
        origins[key] = origin
        if waiting:
            assert clients is not None
            waiting = await clients.delivered(subscribed * len(origins), DELIVERY_WAIT)
        await asyncio.sleep(args.spacing)
    return origins


async def spaced_posts(
    base: str,
    member: Member,
    thread: int,
    args: argparse.Namespace,
    rng: random.Random,
    clients: Clients | None,
    subscribed: int,
    count: int | None = None,
) -> dict[int, int]:
    """Replies one at a time; post id -> time.monotonic_ns() just after its response."""
    bodies = [markdown_body(rng) for _ in range(args.posts if count is None else count)]
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:

        async def send(k: int) -> tuple[int, int]:
            r = await client.post(
                f"{API}/threads/{thread}/posts", headers=member.headers(), json={"body": bodies[k]}
            )
            arrived = time.monotonic_ns()
            expect(r, 201)
            return _post_id(r), arrived

        return await spaced(send, clients, subscribed, args, count)


async def sustained_posts(
    base: str, members: list[Member], thread: int, args: argparse.Namespace, rng: random.Random
) -> tuple[dict[int, int], int]:
    """`--posters` clients reply as fast as they can for `--sustained` seconds."""
    bodies = [orjson.dumps({"body": markdown_body(rng)}) for _ in range(64)]
    origins: dict[int, int] = {}
    errors = 0
    stop_at = time.monotonic() + args.sustained
    limits = httpx.Limits(max_connections=args.posters, max_keepalive_connections=args.posters)

    async def poster(client: httpx.AsyncClient, k: int) -> None:
        nonlocal errors
        member = members[k % len(members)]
        headers = {**member.headers(), "Content-Type": "application/json"}
        for i in range(100_000):
            if time.monotonic() >= stop_at:
                return
            try:
                r = await client.post(
                    f"{API}/threads/{thread}/posts",
                    headers=headers,
                    content=bodies[(k + i) % len(bodies)],
                )
            except httpx.HTTPError:
                errors += 1
                continue
            arrived = time.monotonic_ns()
            if r.status_code == 201:
                origins[_post_id(r)] = arrived
            else:
                errors += 1

    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=limits, trust_env=False
    ) as client:
        await asyncio.gather(*(poster(client, k) for k in range(args.posters)))
    return origins, errors


# ---------------------------------------------------------------------------- report


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def cores(cpu: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if not k.startswith("_"))


def cpu_per_frame_us(cpu: dict[str, float], frames: int, replies: float = 0.0) -> float:
    """Server CPU time per delivered frame: what fan-out costs, whatever the client costs.

    `replies`: CPU milliseconds spent on handling the replies themselves, taken off.
    """
    if not frames or "server" not in cpu:
        return float("nan")
    return (cpu["server"] * cpu["_seconds"] * 1e3 - replies) * 1e3 / frames


COLUMNS = ("subs", "ours p50", "ours p99", "med p99", "floor p50", "floor p99", "p99 ratio",
           "missing", "dup", "sust ev/s", "dropped", "missed", "KiB/conn", "us/frame",
           "floor us/fr")  # fmt: skip


def report(rows: list[Row], lines: list[str]) -> int:
    table = [
        (str(r.subscribers), fmt(r.ours.p(50)), fmt(r.ours.p(99)), fmt(r.ours.p(99, "median")),
         fmt(r.floor.p(50)), fmt(r.floor.p(99)), fmt(r.ratio_p99, 2), str(r.ours.missing),
         str(r.ours.duplicates), f"{r.sustained_rate:.0f}", str(r.dropped_slow + r.dropped_other),
         str(r.missed_kept), fmt(r.idle_kib),
         fmt(cpu_per_frame_us(r.cpu_spaced, r.ours.received, r.ours.posts * r.reply_cpu_ms), 0),
         fmt(cpu_per_frame_us(r.cpu_floor, r.floor.received), 0))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(COLUMNS)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))

    print("\n" + "\n".join(lines) + "\n")
    print(line(COLUMNS))
    for values in table:
        print(line(values))
    print(
        "(ms; ours: API response -> receipt by the LAST subscriber, p50/p99 over the replies;"
        " med: to the median subscriber;\n floor: bare websockets broadcast -> last receipt;"
        " missing/dup: spaced replies, all subscribers; sust ev/s: event frames received\n"
        " per second by all subscribers while posting flat out; dropped: connections the"
        " server closed by then (4008 = too slow);\n missed: events missing on connections"
        " not dropped;"
        " KiB/conn: server RSS growth per idle subscribed connection;\n us/frame: server CPU"
        " time per event frame delivered in the spaced phase, less the CPU of the replies"
        " themselves (measured\n with no subscriber); floor us/fr: the same for the floor)\n"
    )
    for r in rows:
        spent = r.sustained_posts * r.reply_cpu_ms
        print(
            f"{r.subscribers} subscribers: connected {r.connected} ({r.connect_failed} failed) in "
            f"{r.connect_seconds:.1f} s, per worker {'/'.join(map(str, r.per_worker))}, "
            f"{r.connect_frames} frames (presence) received meanwhile; event frame "
            f"{r.frame_bytes} B; server RSS {r.rss_base_mib:.0f} -> {r.rss_idle_mib:.0f} MiB\n"
            f"    cores while connecting: {cores(r.cpu_connect)}; a reply alone costs the "
            f"server {r.reply_cpu_ms:.1f} ms CPU\n"
            f"  spaced: {r.ours.posts} replies, p50/p99 to median subscriber "
            f"{fmt(r.ours.p(50, 'median'))}/{fmt(r.ours.p(99, 'median'))} ms; "
            f"cores: {cores(r.cpu_spaced)}\n"
            f"  sustained: {r.sustained_posts} replies in {r.sustained_seconds:.1f} s "
            f"({r.sustained_posts / max(r.sustained_seconds, 1e-9):.0f}/s, "
            f"{r.sustained_post_errors} errors), {r.sustained_received} of "
            f"{r.sustained_offered} frames received, lag to last subscriber p99 "
            f"{fmt(r.sustained_lag_p99_ms, 0)} ms; dropped {r.dropped_slow} too slow (4008), "
            f"{r.dropped_other} other; {r.duplicates_sustained} duplicates; server CPU "
            f"{fmt(cpu_per_frame_us(r.cpu_sustained, r.sustained_received, spent), 0)} us per "
            "frame (less the replies)\n"
            f"    cores: {cores(r.cpu_sustained)}\n"
            f"  floor: {r.floor_connected} connected ({r.floor_failed} failed), missing "
            f"{r.floor.missing}, dup {r.floor.duplicates}; cores: {cores(r.cpu_floor)}"
        )
    print()
    failed = 0
    for r in rows:
        if not r.lossless or r.floor.missing or r.floor.duplicates:
            failed = 1
            print(
                f"!!! {r.subscribers} subscribers: {r.connect_failed} connections failed, "
                f"{r.ours.missing} deliveries missing, {r.ours.duplicates} duplicated "
                f"(floor: {r.floor.missing} missing, {r.floor.duplicates} duplicated) !!!"
            )
    for r in rows:
        phases = {"connecting": r.cpu_connect, "spaced": r.cpu_spaced,
                  "sustained": r.cpu_sustained, "floor": r.cpu_floor}  # fmt: skip
        for phase, cpu in phases.items():
            if cpu.get("other", 0.0) > 0.25:
                print(
                    f"warning: {r.subscribers} subscribers, {phase}: other processes kept "
                    f"{cpu['other']:.2f} cores busy; the machine was not quiet"
                )
    goal = next((r for r in rows if r.subscribers == GOAL_SUBSCRIBERS), None)
    if goal is not None:
        met = goal.ours.p(99) < GOAL_P99_MS and goal.ratio_p99 <= GOAL_FLOOR_RATIO
        print(
            f"goal {GOAL_SUBSCRIBERS} subscribers: p99 < {GOAL_P99_MS:.0f} ms "
            f"({fmt(goal.ours.p(99))}) and within {GOAL_FLOOR_RATIO:g}x the floor "
            f"({fmt(goal.ratio_p99, 2)}x): {'met' if met else 'NOT MET'}"
        )
    goal = next((r for r in rows if r.subscribers == GOAL_LOSSLESS_SUBSCRIBERS), None)
    if goal is not None:
        print(
            f"goal {GOAL_LOSSLESS_SUBSCRIBERS} subscribers delivered without loss (spaced "
            f"replies): {'met' if goal.lossless else 'NOT MET'}; posting flat out: "
            f"{goal.dropped_slow + goal.dropped_other} dropped, {goal.missed_kept} missed"
        )
    idle = [r.idle_kib for r in rows]
    print(
        f"goal idle connection < {GOAL_IDLE_KIB:.0f} KiB: "
        f"{'met' if all(k < GOAL_IDLE_KIB for k in idle) else 'NOT MET'} "
        f"({', '.join(f'{r.subscribers}: {fmt(r.idle_kib)}' for r in rows)})"
    )
    print(
        "note: the floor is ONE process; ours is 2 worker processes. Both share the 2 cores "
        "with the client process(es)."
    )
    return failed


async def main_async(args: argparse.Namespace) -> int:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="forum-rtbench-") as tmp:
        async with scratch_database(args.database_url, Path(tmp), BENCH_DB) as db:
            say(f"database: {db.where}; migrating and loading demo data")
            version, postmaster = await prepare(db.url)
            bench = Bench(args, db.url, postmaster, Path(tmp))
            for n in args.subscribers:
                rows.append(await bench.run(n))
    import uvicorn

    lines = header(
        db.where,
        version,
        f"open files: {args.nofile}",
        f"server: forum serve --workers 2 (uvicorn {uvicorn.__version__}, websockets-sansio, "
        f"no compression); clients: websockets {websockets.__version__} sans-I/O client in "
        f"{args.client_procs} process(es)",
        f"work: {args.posts} replies one at a time, each {args.spacing:g} s after the previous "
        "one reached every subscriber; then "
        f"{args.posters} posters flat out for {args.sustained:g} s",
    )
    return report(rows, lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000])
    p.add_argument("--posts", type=int, default=50, help="spaced replies per size (50)")
    p.add_argument("--spacing", type=float, default=0.2, help="seconds between them (0.2)")
    p.add_argument("--sustained", type=float, default=10, help="seconds of flat-out posting")
    p.add_argument("--posters", type=int, default=8, help="concurrent posters then (8)")
    p.add_argument(
        "--client-procs", type=int, default=2,
        help="subscriber processes (2: one cannot keep up with 5,000 connections)",
    )  # fmt: skip
    p.add_argument("--connect-concurrency", type=int, default=64, help="handshakes at once")
    add_database_arguments(p, BENCH_DB, server=SHARED_SERVER)
    p.add_argument("--quick", action="store_true", help="200 subscribers, 10 replies, 3 s flat out")
    add_profile_argument(p)
    args = p.parse_args(argv)
    if args.quick:
        args.subscribers, args.posts, args.sustained = [200], 10, 3
    if min(*args.subscribers, args.posts, args.posters, args.client_procs) < 1:
        p.error("--subscribers, --posts, --posters and --client-procs must be at least 1")
    if args.spacing < 0 or args.sustained <= 0:
        p.error("--spacing must be >= 0 and --sustained > 0")
    return args


def main() -> int:
    args = parse_args()
    args.nofile = raise_open_files()
    need = max(args.subscribers) + 1024
    if args.nofile < need:
        say(f"WARNING: open-file limit {args.nofile} < {need}; connections may fail")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
