"""HTTP API throughput: replies created per second and thread pages read per second.

Starts a scratch database (embedded PostgreSQL, or a database it creates on
`--database-url`), then for each worker count runs `forum serve` and drives it over
loopback with wrk (or a lean httpx client) from C concurrent clients. Prints one table.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
from _common import (
    API,
    WORDS,
    CpuMeter,
    Member,
    Result,
    add_database_arguments,
    add_profile_argument,
    expect,
    forum_server,
    header,
    markdown_body,
    prepare,
    print_results,
    profiled,
    register_members,
    run_wrk,
    say,
    scratch_database,
    wrk_label,
)

BENCH_DB = "forum_bench"
GOALS = {"create post": 500.0, "read thread": 1500.0}  # req/s with 2 workers
GOAL_P99_MS = 100.0


# ---------------------------------------------------------------------------- content


def post_plan(thread_ids: list[int], replies: int, clients: int, rng: random.Random) -> list:
    """Every thread gets `replies` replies, in random order, shared out among the clients."""
    plan = [t for t in thread_ids for _ in range(replies)]
    rng.shuffle(plan)
    return [plan[i::clients] for i in range(clients)]


# ---------------------------------------------------------------------------- setup via API


async def create_threads(
    base: str, members: list[Member], count: int, rng: random.Random, label: str
) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        regions = [r["slug"] for r in (await client.get(f"{API}/regions")).json()["regions"]]
        topics = [t["slug"] for t in (await client.get(f"{API}/topics")).json()["topics"]]
        countries: dict[str, list[str]] = {}
        for c in (await client.get(f"{API}/countries")).json()["countries"]:
            countries.setdefault(c["region"], []).append(c["code"])
        ids = []
        for i in range(count):
            region = rng.choice(regions)
            codes = countries.get(region, [])
            r = await client.post(
                f"{API}/threads",
                headers=rng.choice(members).headers(),
                json={
                    "region": region,
                    "topic": rng.choice(topics),
                    "title": f"Bench {label} #{i}: " + " ".join(rng.sample(WORDS, 5)),
                    "body": markdown_body(rng),
                    "countries": rng.sample(codes, min(len(codes), rng.randint(0, 2))),
                },
            )
            expect(r, 201)
            ids.append(r.json()["thread"]["id"])
    return ids


# ---------------------------------------------------------------------------- wrk

# Modes: "read" (random thread pages) or "post" (each thread's share of the reply plan,
# then it stops: its quota).
WRK_SCRIPT = r"""
local MODE = "@MODE@"

function prepare()
  sent = 0
  members = {}
  for _, l in ipairs(lines(DIR .. "/members.txt")) do
    local cookie, csrf = l:match("([^\t]+)\t([^\t]+)")
    members[#members + 1] = {cookie = cookie, csrf = csrf}
  end
  if MODE == "post" then
    bodies = lines(DIR .. "/bodies.txt")
    plan = {}
    for id in (lines(DIR .. "/plan.txt")[idx] or ""):gmatch("%d+") do plan[#plan + 1] = id end
    quota = #plan
  else
    reads = {}
    for _, id in ipairs(lines(DIR .. "/threads.txt")) do
      reads[#reads + 1] = wrk.format("GET", "/api/v1/threads/" .. id .. "?limit=20",
                                     {Host = HOSTPORT})
    end
  end
end

function next_request()
  if MODE == "read" then return reads[math.random(#reads)] end
  sent = sent + 1
  local m = members[(idx - 1) % #members + 1]  -- each connection posts as one member
  local id = plan[sent] or plan[1]
  return wrk.format("POST", "/api/v1/threads/" .. id .. "/posts",
    {Host = HOSTPORT, Cookie = m.cookie, ["X-CSRF-Token"] = m.csrf,
     ["Content-Type"] = "application/json"},
    bodies[math.random(#bodies)])
end
"""


# ---------------------------------------------------------------------------- python client


async def run_python(
    base: str,
    result: Result,
    mode: str,
    seconds: float,
    cpu: CpuMeter,
    members: list[Member],
    work: list[list[int]],
    bodies: list[bytes],
) -> None:
    """The fallback load generator: one httpx client, C keep-alive connections."""
    c = result.concurrency
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    rng = random.Random(7)
    stop_at = time.monotonic() + seconds

    async def client_loop(http: httpx.AsyncClient, items: list[int], member: Member) -> None:
        i = 0
        while time.monotonic() < stop_at and (mode == "read" or i < len(items)):
            started = time.perf_counter()
            try:
                if mode == "read":
                    r = await http.get(f"{API}/threads/{rng.choice(items)}?limit=20")
                else:
                    headers = {**member.headers(), "Content-Type": "application/json"}
                    r = await http.post(
                        f"{API}/threads/{items[i]}/posts", headers=headers,
                        content=rng.choice(bodies),
                    )  # fmt: skip
            except httpx.HTTPError:
                result.socket_errors += 1
                continue
            finally:
                i += 1
            result.latencies_us.append((time.perf_counter() - started) * 1e6)
            result.requests += 1
            result.non2xx += not 200 <= r.status_code < 300

    with cpu.measure(result):
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            began = time.perf_counter()
            await asyncio.gather(
                *(
                    client_loop(http, items, members[k % len(members)])
                    for k, items in enumerate(work)
                )
            )
            result.seconds = time.perf_counter() - began


# ---------------------------------------------------------------------------- driver


@dataclass
class Bench:
    args: argparse.Namespace
    url: str
    postmaster: int
    workdir: Path
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    members: list[Member] = field(default_factory=list)

    async def run(self, workers: int) -> list[Result]:
        args, workdir, rng = self.args, self.workdir, self.rng
        async with forum_server(self.url, self.secret, workers, workdir) as (base, proc):
            if not self.members:  # their sessions outlive the server: same database, same key
                say(f"registering {args.users} members through the API")
                self.members = await register_members(base, self.url, args.users)
            lines = (f"{m.cookie}\t{m.csrf}\n" for m in self.members)
            (workdir / "members.txt").write_text("".join(lines))
            say(f"{workers} worker(s): creating {args.threads} threads through the API")
            ids = await create_threads(base, self.members, args.threads, rng, f"w{workers}")
            (workdir / "threads.txt").write_text("".join(f"{i}\n" for i in ids))
            plan = post_plan(ids, args.posts_per_thread - 1, args.concurrency, rng)
            (workdir / "plan.txt").write_text("".join(",".join(map(str, p)) + "\n" for p in plan))
            bodies = [orjson.dumps({"body": markdown_body(rng)}) for _ in range(256)]
            (workdir / "bodies.txt").write_bytes(b"\n".join(bodies) + b"\n")
            cpu = CpuMeter(proc.pid, self.postmaster, args.generator)

            async def phase(operation: str, mode: str, seconds: float, work: list) -> Result:
                result = Result(operation, workers, args.concurrency)
                label = f"w{workers}-{operation.replace(' ', '-')}"
                profile = args.profile if operation != "warm-up" else None
                with profiled(profile, proc.pid, label):
                    await self._drive(base, result, mode, seconds, cpu, work, bodies)
                return result

            reads = [ids] * args.concurrency
            say(f"{workers} worker(s): warming up ({args.warmup:g} s of reads)")
            await phase("warm-up", "read", args.warmup, reads)
            total = sum(map(len, plan))
            say(f"{workers} worker(s): {total} replies from {args.concurrency} clients")
            posts = await phase("create post", "post", args.post_timeout, plan)
            if posts.requests < total:
                say(f"WARNING: {posts.requests} of {total} replies in {args.post_timeout:g} s")
            say(f"{workers} worker(s): reading thread pages for {args.duration:g} s")
            return [posts, await phase("read thread", "read", args.duration, reads)]

    async def _drive(self, base: str, result: Result, mode: str, seconds: float,
                     cpu: CpuMeter, work: list, bodies: list[bytes]) -> None:  # fmt: skip
        if self.args.generator == "wrk":
            script = WRK_SCRIPT.replace("@MODE@", mode)
            await run_wrk(base, result, self.workdir, script, seconds, cpu, name=mode,
                          until_quota=mode == "post")  # fmt: skip
        else:
            await run_python(base, result, mode, seconds, cpu, self.members, work, bodies)


def report(results: list[Result], lines: list[str]) -> int:
    failed = print_results(results, lines)
    for r in results:
        if r.workers == 2 and r.operation in GOALS:
            ok = r.rate >= GOALS[r.operation] and r.percentile_ms(99) < GOAL_P99_MS
            print(
                f"goal {r.operation} (2 workers): >= {GOALS[r.operation]:.0f} req/s and "
                f"p99 < {GOAL_P99_MS:.0f} ms: {'met' if ok else 'NOT MET'}"
            )
    return failed


async def main_async(args: argparse.Namespace) -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        async with scratch_database(args.database_url, Path(tmp), BENCH_DB) as db:
            say(f"database: {db.where}; migrating and loading demo data")
            version, postmaster = await prepare(db.url)
            bench = Bench(args, db.url, postmaster, Path(tmp))
            for workers in args.workers:
                results += await bench.run(workers)
    lines = header(
        db.where,
        version,
        f"generator: {args.generator_label}",
        f"work: {args.threads} new threads x {args.posts_per_thread - 1} replies per worker "
        f"count; then anonymous GET /threads/{{id}}?limit=20 for {args.duration:g} s",
    )
    return report(results, lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="default: 1 2")
    p.add_argument("--threads", type=int, default=50, help="threads to reply to (default 50)")
    p.add_argument("--posts-per-thread", type=int, default=20, help="posts when done (20)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (32)")
    p.add_argument("--duration", type=float, default=10, help="seconds of reads (10)")
    p.add_argument("--warmup", type=float, default=2, help="seconds of reads first (2)")
    p.add_argument(
        "--users", type=int,
        help="members posting (default: one per client, each posting one reply at a time, "
        "as people do; with fewer, clients share members, whose replies then wait for "
        "each other's rate-limit row)",
    )  # fmt: skip
    p.add_argument("--post-timeout", type=float, default=120, help="bound on the post phase")
    add_database_arguments(p, BENCH_DB)
    p.add_argument("--generator", choices=("wrk", "python"), help="default: wrk if installed")
    p.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    add_profile_argument(p)
    args = p.parse_args(argv)
    if args.quick:
        args.threads, args.concurrency = 10, 8
        args.duration, args.warmup, args.post_timeout = 3, 1, 30
    if args.generator is None:
        args.generator = "wrk" if shutil.which("wrk") else "python"
        if args.generator == "python":
            say("wrk not found (apt-get install -y wrk); using the Python client")
    elif args.generator == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed (apt-get install -y wrk)")
    args.generator_label = "python (httpx.AsyncClient, HTTP/1.1 keep-alive)"
    if args.generator == "wrk":
        args.generator_label = wrk_label()
    args.users = args.users or args.concurrency
    if min(args.threads, args.concurrency, args.users, *args.workers) < 1:
        p.error("--threads, --concurrency, --users and --workers must be at least 1")
    if args.posts_per_thread < 2:
        p.error("--posts-per-thread must be at least 2")
    if args.concurrency > args.threads * (args.posts_per_thread - 1):
        p.error("--concurrency exceeds the number of replies to send")
    return args


def main() -> int:
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
