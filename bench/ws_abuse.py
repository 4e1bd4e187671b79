"""Websocket abuse: how long well-behaved subscribers wait for a reply while one client
abuses the same `forum serve --workers 2`.

Well-behaved subscribers (anonymous, each from its own address through X-Forwarded-For,
as behind a proxy) follow one thread while a member posts replies at a steady pace. Each
phase runs the same posts, first with no abuse, then beside one abuse at a time, from a
separate process on 127.0.0.1:

- flood: connections sending subscribe/unsubscribe as fast as they can, reconnecting
  when closed (the server closes them with 1008);
- oversize: connections sending 1 MiB frames, reconnecting (closed with 1009);
- crowd: anonymous connections opened from one address until refused (429 past
  `MAX_ANONYMOUS_PER_ADDRESS` per worker), then held while new ones keep trying;
- never-read: connections following the thread that never read their socket (closed
  with 4008 once 512 frames wait, let go once they miss a ping).

Prints, per phase, the subscribers' delivery p50/p95 (from sending the reply to each
subscriber's receipt), how much p95 worsened against no abuse (goal: under 10 %), and
what the abuser got. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import psutil
from _common import (
    API,
    HOST,
    SHARED_SERVER,
    add_database_arguments,
    client_address,
    cpu_seconds,
    expect,
    forum_server,
    header,
    markdown_body,
    percentile,
    prepare,
    register_members,
    say,
    scratch_database,
    worker_pids,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

BENCH_DB = "forum_wsabuse"
PHASES = ("none", "flood", "oversize", "crowd", "never-read", "none again")
GOAL_WORSE = 0.10
LATE_WAIT = 60.0  # seconds a phase waits for its last replies to reach everyone


# ---------------------------------------------------------------------------- the abuser


def abuser_process(kind: str, url: str, channel: str, width: int, stop: Any, out: Any) -> None:
    out.put(asyncio.run(_abuse(kind, url, channel, width, stop)))


async def _abuse(kind: str, url: str, channel: str, width: int, stop: Any) -> dict[str, int]:
    tally: dict[str, int] = {}

    def count(what: str) -> None:
        tally[what] = tally.get(what, 0) + 1

    def stopping() -> bool:
        return stop.is_set()

    async def closed_code(ws: ClientConnection) -> None:
        try:
            async with asyncio.timeout(30):
                while True:
                    await ws.recv()
        except ConnectionClosed as closed:
            count(f"closed {closed.rcvd.code if closed.rcvd else 'without code'}")
        except TimeoutError:
            count("not closed in 30 s")

    # Each abuse from its own address (through X-Forwarded-For): the rate of new
    # connections one phase used up does not refuse the next phase's.
    headers = {"X-Forwarded-For": f"192.0.2.{1 + PHASES.index(kind)}"}

    async def opened(**options: Any) -> ClientConnection | None:
        try:
            ws = await connect(url, proxy=None, additional_headers=headers, **options)
        except InvalidStatus as refused:
            count(f"refused {refused.response.status_code}")
            await asyncio.sleep(0.01)  # and again: an abuser does not back off
            return None
        count("opened")
        return ws

    async def flood() -> None:
        names = [channel]
        while not stopping():
            if (ws := await opened()) is None:
                continue
            async with ws:
                with contextlib.suppress(ConnectionClosed):
                    for n in range(10_000):
                        op = "unsubscribe" if n % 2 else "subscribe"
                        await ws.send(orjson.dumps({"op": op, "channels": names}).decode())
                        count("messages sent")
                        if n % 50 == 0:
                            await asyncio.sleep(0)
                await closed_code(ws)

    async def oversize() -> None:
        big = "x" * (1 << 20)
        while not stopping():
            if (ws := await opened(max_size=None)) is None:
                continue
            async with ws:
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(big)
                    count("frames sent")
                await closed_code(ws)

    held: list[ClientConnection] = []

    async def crowd() -> None:
        while not stopping():
            if (ws := await opened()) is not None:
                held.append(ws)

    async def never_read() -> None:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, (HOST, urlsplit(url).port))
        if (ws := await opened(sock=raw, max_queue=1, ping_interval=None)) is None:
            raw.close()
            return
        await ws.send(orjson.dumps({"op": "subscribe", "channels": [channel]}).decode())
        held.append(ws)

    if kind == "crowd":
        await asyncio.gather(*(crowd() for _ in range(width)))
    elif kind == "never-read":
        await asyncio.gather(*(never_read() for _ in range(width)))
        await asyncio.to_thread(stop.wait)
    else:
        abuse = {"flood": flood, "oversize": oversize}[kind]
        await asyncio.gather(*(abuse() for _ in range(width)))
    for ws in held:
        if kind == "never-read":
            # Whether the server let it go: its transport is at the end of its stream.
            count("let go by the server" if ws.transport.is_closing() else "still held")
            ws.transport.abort()
        else:
            await ws.close()
    return tally


# ---------------------------------------------------------------------------- the subscribers


@dataclass
class Subscribers:
    """Well-behaved subscribers: post id -> monotonic ns of each receipt."""

    received: dict[int, list[int]] = field(default_factory=dict)
    sockets: list[ClientConnection] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closed: int = 0

    async def open(self, url: str, channel: str, count: int) -> None:
        async def one(n: int) -> None:
            address = client_address(n)
            ws = await connect(url, proxy=None, additional_headers={"X-Forwarded-For": address})
            await ws.send(orjson.dumps({"op": "subscribe", "channels": [channel]}).decode())
            while not (await ws.recv()).startswith('{"op":"subscribed"'):
                pass
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read(ws)))

        for start in range(0, count, 50):
            await asyncio.gather(*(one(n) for n in range(start, min(count, start + 50))))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                at = time.monotonic_ns()
                if '"post.created"' in message:
                    post = orjson.loads(message)["data"]["post"]["id"]
                    self.received.setdefault(post, []).append(at)
        except ConnectionClosed:
            pass
        self.closed += 1

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets))
        await asyncio.gather(*self.tasks, return_exceptions=True)


@dataclass
class Phase:
    name: str
    sent: dict[int, int] = field(default_factory=dict)  # post id -> monotonic ns sent
    delays_ms: list[float] = field(default_factory=list)
    missing: int = 0
    doubled: int = 0
    abuser: dict[str, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # seconds, the workers' (user + system)
    abuser_cpu: float = 0.0


def _cpu(pid: int | None) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


async def run_phase(
    args: argparse.Namespace,
    name: str,
    base: str,
    server_pid: int,
    writer: Any,
    thread: int,
    subs: Subscribers,
) -> Phase:
    phase = Phase(name)
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    kind = name if name in PHASES[1:-1] else None
    ws_url = base.replace("http://", "ws://") + "/ws"
    abuser = None
    if kind is not None:
        width = {"flood": args.flooders, "oversize": args.flooders, "crowd": 8}.get(
            kind, args.never_readers
        )
        abuser = ctx.Process(
            target=abuser_process, args=(kind, ws_url, f"thread:{thread}", width, stop, out)
        )
        abuser.start()
        await asyncio.sleep(args.settle)
    workers = [psutil.Process(pid) for pid in worker_pids(server_pid)]
    before = cpu_seconds(workers)
    abuser_before = _cpu(abuser.pid) if abuser is not None else 0.0
    rng = random.Random(name)
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        for _ in range(args.posts):
            sent = time.monotonic_ns()
            r = await client.post(
                f"{API}/threads/{thread}/posts",
                headers=writer.headers(),
                json={"body": markdown_body(rng)},
            )
            expect(r, 201)
            phase.sent[int(r.json()["id"])] = sent
            await asyncio.sleep(args.spacing)
    # Every reply reaches every subscriber (at most LATE_WAIT s more): what is still
    # missing then is lost, not late, and the next phase starts with nothing in flight.
    for _ in range(int(LATE_WAIT / 0.1)):
        if all(len(subs.received.get(post, ())) >= args.subscribers for post in phase.sent):
            break
        await asyncio.sleep(0.1)
    after = cpu_seconds(workers)
    phase.server_cpu = sum(after.values()) - sum(before.values())
    if abuser is not None:
        phase.abuser_cpu = _cpu(abuser.pid) - abuser_before
        stop.set()
        phase.abuser = await asyncio.to_thread(out.get, True, 120)
        await asyncio.to_thread(abuser.join, 30)
    for post, sent in phase.sent.items():
        got = subs.received.get(post, [])
        phase.missing += max(0, args.subscribers - len(got))
        phase.doubled += max(0, len(got) - args.subscribers)
        phase.delays_ms += [(at - sent) / 1e6 for at in got]
    return phase


async def main_async(args: argparse.Namespace) -> int:
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="forum-wsabuse-") as tmp:
        async with scratch_database(args.database_url, Path(tmp), BENCH_DB) as db:
            say(f"database: {db.where}; migrating and loading demo data")
            version, _ = await prepare(db.url)
            # New anonymous connections per address at their default rate: a flooder
            # reconnecting when closed meets it as it would in production.
            more = {"FORUM_LIMIT_WS_CONNECT": args.ws_connect}
            async with forum_server(db.url, "b" * 40, 2, Path(tmp), more) as (base, proc):
                writer = (await register_members(base, db.url, 1))[0]
                async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as c:
                    regions = (await c.get(f"{API}/regions")).json()["regions"]
                    topics = (await c.get(f"{API}/topics")).json()["topics"]
                    r = await c.post(
                        f"{API}/threads",
                        headers=writer.headers(),
                        json={
                            "region": next(x["slug"] for x in regions
                                           if x.get("visibility", "public") == "public"),
                            "topic": topics[0]["slug"],
                            "title": "Websocket abuse bench",
                            "body": "Followed by the well-behaved subscribers.",
                        },
                    )  # fmt: skip
                    expect(r, 201)
                    thread = int(r.json()["thread"]["id"])
                subs = Subscribers()
                say(f"opening {args.subscribers} well-behaved subscribers")
                await subs.open(base.replace("http://", "ws://") + "/ws", f"thread:{thread}",
                                args.subscribers)  # fmt: skip
                for name in PHASES:
                    say(f"phase: {name}")
                    phases.append(await run_phase(args, name, base, proc.pid, writer, thread, subs))
                dropped = subs.closed  # before the bench closes them itself
                await subs.close()
    lines = header(
        db.where,
        version,
        f"server: forum serve --workers 2, FORUM_LIMIT_WS_CONNECT={args.ws_connect} (other "
        "limits out of reach); the abuser in its own process on 127.0.0.1, on the same 2 "
        "cores (a real attacker's CPU is not the server's: here it competes with it)",
        f"work: {args.subscribers} subscribers of one thread (each its own X-Forwarded-For "
        f"address); per phase {args.posts} replies {args.spacing:g} s apart; abuse: "
        f"{args.flooders} flooding/oversize connections, 8 crowding tasks, "
        f"{args.never_readers} never-reading connections",
        "(the machine is shared: other processes may have been busy)",
    )
    print("\n".join(lines))
    base_p95 = percentile(phases[0].delays_ms, 95)
    failed = False
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"well-behaved subscribers closed by the server: {dropped}")
    print(f"{'phase':<12} {'p50 ms':>8} {'p95 ms':>8} {'vs none':>8} {'missing':>8} "
          f"{'doubled':>8} {'cpu srv':>8} {'cpu abuser':>10}  abuser")  # fmt: skip
    for p in phases:
        p95 = percentile(p.delays_ms, 95)
        worse = p95 / base_p95 - 1
        abuser = ", ".join(f"{k}: {v}" for k, v in sorted(p.abuser.items())) or "-"
        print(f"{p.name:<12} {percentile(p.delays_ms, 50):8.1f} {p95:8.1f} {worse:+8.0%} "
              f"{p.missing:8d} {p.doubled:8d} {p.server_cpu:7.1f}s {p.abuser_cpu:9.1f}s  "
              f"{abuser}")  # fmt: skip
        failed |= p.missing > 0 or p.doubled > 0
        if p.name in PHASES[1:-1] and worse >= GOAL_WORSE:
            print(f"goal missed: {p.name} worsens p95 by {worse:.0%} (goal: under 10 %)")
    # What an abusive act cost the workers: the phase's CPU beyond the first phase's, put
    # on each kind of act in turn (a phase mixes them: read each as an upper bound).
    print("server cpu per abusive act (the phase's cpu beyond 'none', over each count):")
    for p in phases[1:-1]:
        extra = p.server_cpu - phases[0].server_cpu
        acts = {k: n for k, n in sorted(p.abuser.items()) if n and k != "opened"
                and k.startswith(("closed 10", "refused", "messages"))}  # fmt: skip
        per = ", ".join(f"{k}: {extra / n * 1000:.3g} ms" for k, n in acts.items())
        print(f"  {p.name:<12} {extra:+5.1f} s  {per or '-'}")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subscribers", type=int, default=200)
    p.add_argument("--posts", type=int, default=60, help="replies per phase (60)")
    p.add_argument("--spacing", type=float, default=0.2, help="seconds between them (0.2)")
    p.add_argument("--flooders", type=int, default=20, help="flooding connections (20)")
    p.add_argument("--never-readers", type=int, default=50, help="(50)")
    p.add_argument(
        "--ws-connect", default="600/10m",
        help="FORUM_LIMIT_WS_CONNECT for the server (its default, 600/10m)",
    )  # fmt: skip
    p.add_argument("--settle", type=float, default=3, help="seconds of abuse before posting")
    add_database_arguments(p, BENCH_DB, server=SHARED_SERVER)
    args = p.parse_args(argv)
    return args


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(asyncio.run(main_async(parse_args())))
