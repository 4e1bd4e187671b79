"""HTML pages per second: a thread page of 20 posts (anonymous and logged in) and a region
page, as browsers ask for them (gzip accepted), through `forum serve --workers 2`.

Starts a scratch database (embedded PostgreSQL, or a database it creates on
`--database-url`) with the demo data, writes threads of 20 posts through the API, then
drives the pages over loopback with wrk (or a lean httpx client). Prints one table, the
pages' sizes and the goals. See bench/README.md, "Pages".
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
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

BENCH_DB = "forum_pages_bench"
REGION = "africa"  # the demo's region where the bench's threads go
GOAL_RATE = 1000.0  # thread pages per second with 2 workers, logged in or not
GOAL_P99_MS = 100.0
# What a phase asks for: its path (per thread id or fixed) and whether it sends a cookie.
PHASES = {
    "thread page, visitor": ("thread", False),
    "thread page, member": ("thread", True),
    "region page, visitor": ("region", False),
}


# ---------------------------------------------------------------------------- setup via API


async def create_threads(
    base: str, members: list[Member], count: int, posts: int, rng: random.Random
) -> list[int]:
    """`count` threads of `posts` posts in REGION, written by the members in turn."""
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        ids = []
        for i in range(count):
            r = await client.post(
                f"{API}/threads",
                headers=members[i % len(members)].headers(),
                json={
                    "region": REGION,
                    "topic": "public-procurement",
                    "title": f"Pages bench #{i}: " + " ".join(rng.sample(WORDS, 5)),
                    "body": markdown_body(rng),
                },
            )
            expect(r, 201)
            ids.append(r.json()["thread"]["id"])
        replies = [(t, n) for t in ids for n in range(posts - 1)]

        async def write(share: list[tuple[int, int]], member: Member) -> None:
            for thread_id, _ in share:
                r = await client.post(
                    f"{API}/threads/{thread_id}/posts",
                    headers=member.headers(),
                    json={"body": markdown_body(rng)},
                )
                expect(r, 201)

        # One writer per member at a time, so positions are dense and no limit is near.
        await asyncio.gather(*(write(replies[i :: len(members)], m) for i, m in enumerate(members)))
    return ids


@dataclass(frozen=True)
class Size:
    page: str
    raw: int
    gzip: int  # as served to a client that accepts gzip
    gzip9: int  # the same HTML at gzip's best level, for comparison


async def page_sizes(base: str, thread_id: int, member: Member) -> list[Size]:
    sizes = []
    pages = [
        ("thread page (20 posts), visitor", f"/threads/{thread_id}", {}),
        ("thread page (20 posts), member", f"/threads/{thread_id}", {"Cookie": member.cookie}),
        (f"region page ({REGION}), visitor", f"/regions/{REGION}", {}),
    ]
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
        for name, path, headers in pages:
            plain = await client.get(path, headers={**headers, "Accept-Encoding": "identity"})
            expect(plain, 200)
            async with client.stream(
                "GET", path, headers={**headers, "Accept-Encoding": "gzip"}
            ) as packed:
                expect(packed, 200)
                sent = b"".join([chunk async for chunk in packed.aiter_raw()])
                encoding = packed.headers.get("content-encoding", "identity")
            if encoding != "gzip":
                say(f"WARNING: {name} was not compressed ({encoding})")
            sizes.append(
                Size(name, len(plain.content), len(sent), len(gzip.compress(plain.content, 9)))
            )
    return sizes


# ---------------------------------------------------------------------------- load


WRK_SCRIPT = r"""
local KIND, COOKIE, GZIP = "@KIND@", @COOKIE@, @GZIP@

function prepare()
  cookies = lines(DIR .. "/cookies.txt")
  ids = lines(DIR .. "/threads.txt")
end

function next_request()
  local headers = {Host = HOSTPORT}
  if GZIP then headers["Accept-Encoding"] = "gzip" end
  if COOKIE then headers["Cookie"] = cookies[math.random(#cookies)] end
  if KIND == "region" then return wrk.format("GET", "/regions/@REGION@", headers) end
  return wrk.format("GET", "/threads/" .. ids[math.random(#ids)], headers)
end
"""


async def run_python(
    base: str, result: Result, paths: list[str], cookies: list[str], gzip_ok: bool,
    seconds: float, cpu: CpuMeter,
) -> None:  # fmt: skip
    """The fallback load generator: one httpx client, C keep-alive connections."""
    c = result.concurrency
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    rng = random.Random(7)
    stop_at = time.monotonic() + seconds
    encoding = {"Accept-Encoding": "gzip" if gzip_ok else "identity"}

    async def client_loop(http: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            headers = {**encoding, **({"Cookie": rng.choice(cookies)} if cookies else {})}
            started = time.perf_counter()
            try:
                r = await http.get(rng.choice(paths), headers=headers)
            except httpx.HTTPError:
                result.socket_errors += 1
                continue
            result.latencies_us.append((time.perf_counter() - started) * 1e6)
            result.requests += 1
            result.non2xx += not 200 <= r.status_code < 300

    with cpu.measure(result):
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            began = time.perf_counter()
            await asyncio.gather(*(client_loop(http) for _ in range(c)))
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
    sizes: list[Size] = field(default_factory=list)

    async def run(self, workers: int) -> list[Result]:
        args, workdir = self.args, self.workdir
        async with forum_server(self.url, self.secret, workers, workdir) as (base, proc):
            say(f"registering {args.users} members through the API")
            members = await register_members(base, self.url, args.users)
            (workdir / "cookies.txt").write_text("".join(f"{m.cookie}\n" for m in members))
            say(f"writing {args.threads} threads of {args.posts} posts through the API")
            ids = await create_threads(base, members, args.threads, args.posts, self.rng)
            (workdir / "threads.txt").write_text("".join(f"{i}\n" for i in ids))
            self.sizes = await page_sizes(base, ids[0], members[0])
            cpu = CpuMeter(proc.pid, self.postmaster, args.generator)
            cookies = [m.cookie for m in members]

            async def phase(operation: str, seconds: float, *, measured: bool = True) -> Result:
                kind, logged_in = PHASES[operation]
                result = Result(operation, workers, args.concurrency)
                label = f"w{workers}-{operation.replace(', ', '-').replace(' ', '-')}"
                with profiled(args.profile if measured else None, proc.pid, label):
                    if args.generator == "wrk":
                        script = (
                            WRK_SCRIPT.replace("@KIND@", kind)
                            .replace("@COOKIE@", "true" if logged_in else "false")
                            .replace("@GZIP@", "false" if args.identity else "true")
                            .replace("@REGION@", REGION)
                        )
                        await run_wrk(base, result, workdir, script, seconds, cpu, name=kind)
                    else:
                        paths = [f"/threads/{i}" for i in ids] if kind == "thread" else [
                            f"/regions/{REGION}"
                        ]  # fmt: skip
                        await run_python(
                            base, result, paths, cookies if logged_in else [],
                            not args.identity, seconds, cpu,
                        )  # fmt: skip
                return result

            results = []
            for operation in PHASES:
                say(f"{workers} worker(s): {operation}: {args.warmup:g} s warm-up, "
                    f"{args.duration:g} s measured")  # fmt: skip
                await phase(operation, args.warmup, measured=False)
                results.append(await phase(operation, args.duration))
            return results


def report(results: list[Result], lines: list[str], sizes: list[Size]) -> int:
    failed = print_results(results, lines)
    print("\npage sizes (bytes of HTML; as served with gzip; the same at gzip level 9):")
    for s in sizes:
        print(f"  {s.page:<36} {s.raw:>7,}  {s.gzip:>6,}  {s.gzip9:>6,}")
    for r in results:
        if r.workers == 2 and r.operation.startswith("thread page"):
            ok = r.rate >= GOAL_RATE and r.percentile_ms(99) < GOAL_P99_MS
            print(
                f"goal {r.operation} (2 workers): >= {GOAL_RATE:,.0f} req/s and "
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
        f"work: {args.threads} threads of {args.posts} posts in '{REGION}' (Markdown bodies of "
        f"300-800 characters); GET /threads/{{id}} at random and GET /regions/{REGION}, "
        f"{'Accept-Encoding: identity' if args.identity else 'Accept-Encoding: gzip'}; "
        f"members send a session cookie; {args.duration:g} s per phase after "
        f"{args.warmup:g} s of warm-up",
    )
    return report(results, lines, bench.sizes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, nargs="+", default=[2], help="default: 2")
    p.add_argument("--threads", type=int, default=30, help="threads to read (default 30)")
    p.add_argument("--posts", type=int, default=20, help="posts per thread (20)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (32)")
    p.add_argument("--duration", type=float, default=10, help="seconds per phase (10)")
    p.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per phase (2)")
    p.add_argument("--users", type=int, default=8, help="members reading and writing (8)")
    p.add_argument("--identity", action="store_true", help="do not accept gzip")
    add_database_arguments(p, BENCH_DB)
    p.add_argument("--generator", choices=("wrk", "python"), help="default: wrk if installed")
    p.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    add_profile_argument(p)
    args = p.parse_args(argv)
    if args.quick:
        args.threads, args.concurrency, args.users = 5, 8, 2
        args.duration, args.warmup = 3, 1
    if args.generator is None:
        args.generator = "wrk" if shutil.which("wrk") else "python"
        if args.generator == "python":
            say("wrk not found (apt-get install -y wrk); using the Python client")
    elif args.generator == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed (apt-get install -y wrk)")
    args.generator_label = "python (httpx.AsyncClient, HTTP/1.1 keep-alive)"
    if args.generator == "wrk":
        args.generator_label = wrk_label()
    if min(args.threads, args.concurrency, args.users, args.posts, *args.workers) < 1:
        p.error("--threads, --posts, --concurrency, --users and --workers must be at least 1")
    return args


def main() -> int:
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
