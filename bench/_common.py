"""What the benchmarks share: a scratch database, `forum serve` in a subprocess, members
registered through the API, wrk driven by a Lua script that times every request, and the
figures (latency percentiles, CPU per process group).

Imported by the bench scripts (`bench/` is on `sys.path` when one runs) and by the
processes `bench/realtime.py` spawns, which need none of the application: the `forum`
package, SQLAlchemy and asyncpg are imported by the functions that use them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
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
import time
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import httpx
import psutil

if TYPE_CHECKING:
    import asyncpg

API = "/api/v1"
HOST = "127.0.0.1"
PASSWORD = "bench-password-2026"
DONE_MARK = "bench-thread-done"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: with 50 values, p99 is the largest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def header(where: str, version: str, *more: str) -> list[str]:
    """The lines every report starts with: when, on what, against which database, how."""
    return [
        f"date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}), Python "
        f"{platform.python_version()}",
        f"database: {where}, PostgreSQL {version}",
        f"command: {' '.join(sys.argv)}",
        *more,
    ]


def client_address(n: int) -> str:
    """The n-th benchmark client's own address, sent as X-Forwarded-For (the server trusts
    it from loopback, as from a proxy): limits per address then see many visitors, as in
    real use, not one address holding every socket."""
    return f"10.{n // 250 % 250}.{n % 250}.{1 + n // 62500}"


SHARED_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def add_database_arguments(
    parser: argparse.ArgumentParser,
    database: str,
    *,
    server: str | None = None,
    keep: bool = False,
) -> None:
    """`--database-url`: the loopback server to create `database` on. Without `server`,
    the default is an embedded PostgreSQL (`args.database_url` None); with it, `server`
    is the default and `--embedded` takes a temporary embedded one instead. `keep`: the
    script's `--keep` leaves the database (and an embedded server's data) in place."""
    dropped = "dropped first and at the end" + (", unless --keep" if keep else "")
    default = server or ("an embedded" if keep else "a temporary embedded") + " PostgreSQL"
    parser.add_argument(
        "--database-url", default=server,
        help=f"a loopback PostgreSQL server to create '{database}' on ({dropped}); "
        f"default: {default}",
    )  # fmt: skip
    if server is not None:
        parser.add_argument(
            "--embedded", dest="database_url", action="store_const", const=None,
            help="a temporary embedded PostgreSQL",
        )  # fmt: skip


def add_profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="record each worker with py-spy during each measured phase (collapsed stacks) "
        "into DIR",
    )  # fmt: skip


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
        return self.group_ms("server") + self.group_ms("postgres")

    def group_ms(self, group: str) -> float:
        """CPU per request of one process group ("server", "postgres")."""
        busy = self.cpu.get(group, 0.0)
        return busy * self.cpu_seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies_us, q) / 1000

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
                groups[name] = cpu_seconds([root, *root.children(recursive=True)])
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


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            seconds[p.pid] = t.user + t.system
    return seconds


COLUMNS = ("workers", "conc", "operation", "requests", "req/s", "p50 ms", "p99 ms", "errors",
           "cpu srv", "cpu pg", "cpu gen", "cpu other", "cpu ms/req")  # fmt: skip


def print_results(results: list[Result], lines: list[str]) -> int:
    """The header lines, one row per phase, and loud warnings: returns 1 if any request
    failed (a non-2xx answer or a socket error), else 0."""
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

    print("\n" + "\n".join(lines) + "\n")
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
    if not failed:
        print("errors: none (every response was 2xx, no socket errors)")
    return failed


# ---------------------------------------------------------------------------- database


@dataclass
class ScratchDatabase:
    """A database of the bench's own on a loopback server, created and dropped by it."""

    admin_dsn: str  # asyncpg DSN of the server's maintenance database
    name: str
    url: str  # the application's URL (postgresql+asyncpg) of the scratch database
    where: str

    async def exists(self) -> bool:
        admin = await _connect(self.admin_dsn)
        try:
            found = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self.name)
            return found is not None
        finally:
            await admin.close()

    async def create(self) -> None:
        """An empty database: dropped first if it exists."""
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{self.name}"')

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def _admin(self, sql: str) -> None:
        admin = await _connect(self.admin_dsn)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()


async def _connect(dsn: str) -> asyncpg.Connection:
    import asyncpg

    return await asyncpg.connect(dsn)


@contextlib.asynccontextmanager
async def scratch_database(
    url: str | None, workdir: Path, name: str, *, keep: bool = False
) -> AsyncIterator[ScratchDatabase]:
    """The database `name` on the loopback server at `url`, or on an embedded PostgreSQL
    in `workdir` when `url` is None: created empty, dropped at the end.

    With `keep`, an existing database is left as it is and nothing is dropped at the end
    (the embedded server's data then lives in the user's cache directory): the caller
    decides whether to reuse it, `ScratchDatabase.create` starts it afresh.
    """
    from platformdirs import user_cache_path
    from sqlalchemy.engine import make_url

    from forum import embedded

    embedded_data = None
    if url is None:
        embedded_data = user_cache_path("forum-bench") / name if keep else workdir / "pg"
        url = await asyncio.to_thread(embedded.start, embedded_data, "postgres")
        where = f"embedded PostgreSQL ({embedded_data if keep else 'temporary'}; {name})"
    else:
        host = make_url(url).host
        if not _loopback(host):
            raise SystemExit(f"bench: refusing non-loopback database host {host!r}")
        where = f"{host} ({name})"
    parsed = make_url(url)
    db = ScratchDatabase(
        admin_dsn=parsed.set(drivername="postgresql").render_as_string(hide_password=False),
        name=name,
        url=parsed.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        ),
        where=where,
    )
    try:
        if not keep or not await db.exists():
            await db.create()
        yield db
    finally:
        if not keep and embedded_data is not None:
            # Also the postmaster a fault run restarted (`fault_load.Postgres.restart`).
            embedded.stop(embedded_data)
        elif not keep:
            await db.drop()


def _loopback(host: str | None) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def prepare(url: str) -> tuple[str, int]:
    """Migrate and load the demo data; returns the server version and postmaster pid."""
    from forum import demo, migrate
    from forum.db import Database

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


def forum_command() -> list[str]:
    """The `forum` command as pyproject.toml declares it, run by this interpreter: an
    installed `forum` script still points where the command lived when it was installed."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    module, function = project["project"]["scripts"]["forum"].split(":")
    run = f"import sys; from {module} import {function}; sys.exit({function}())"
    return [sys.executable, "-c", run]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def forum_server(
    url: str, secret: str, workers: int, workdir: Path, more_env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen]]:
    """`forum serve --workers W` on a free loopback port, once it answers: (base URL, process).
    `more_env` overrides the environment below (a limit set back to its default, say)."""
    from forum.config import Rates

    port = free_port()
    command = [*forum_command(), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers)]
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": secret,
        "FORUM_DATA_DIR": str(workdir / "data"),
        # A bench is one address and a few members writing flat out: every limit is
        # still counted (its cost is measured) but set far beyond what a bench sends.
        **{f"FORUM_LIMIT_{f.name.upper()}": "999999999/1m" for f in dataclasses.fields(Rates)},
        **(more_env or {}),
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
    async with httpx.AsyncClient(base_url=base, timeout=2, trust_env=False) as client:
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


# ---------------------------------------------------------------------------- members and replies


@dataclass(frozen=True)
class Member:
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}


async def register_members(base: str, database_url: str, count: int) -> list[Member]:
    """`count` new members, registered through the API and admitted as an operator would
    (`forum approve`: registering makes an applicant)."""
    import asyncpg

    from forum.db import driver_dsn

    members, ids = [], []
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client:
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
            expect(r, 201)
            ids.append(r.json()["user"]["id"])
            members.append(
                Member(f"forum_session={r.cookies['forum_session']}", r.json()["csrf_token"])
            )
    operator = await asyncpg.connect(driver_dsn(database_url))
    try:
        await operator.execute("UPDATE users SET role = 'member' WHERE id = ANY($1)", ids)
    finally:
        await operator.close()
    return members


def expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(
            f"bench: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )


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


# ---------------------------------------------------------------------------- wrk
#
# One connection per wrk thread, so a thread's request() and response() pair up and the
# script times every request itself; wrk's own histogram "corrects" for coordinated
# omission, which a closed-loop test does not want. A bench's script is WRK_BEGIN, its own
# `prepare()` (run once per thread) and `next_request()`, then WRK_END. `quota`, when a
# bench's prepare() sets it, is how many responses a thread waits for before it stops.

WRK_BEGIN = r"""
-- Generated by a bench/ script: see bench/_common.py.
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

local DIR, HOSTPORT = [[@DIR@]], "@HOSTPORT@"

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
"""

WRK_END = r"""
function init(args)
  math.randomseed(idx * 7919)
  lat, n, non2xx = {}, 0, 0
  prepare()
end

function request()
  started = now_us()
  t_first = t_first or started
  return next_request()
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


def wrk_label() -> str | None:
    """The load generator's description for a report, or None when wrk is not installed."""
    if not shutil.which("wrk"):
        return None
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    return f"wrk {version[1]} + Lua, one connection per wrk thread"


async def run_wrk(
    base: str,
    result: Result,
    workdir: Path,
    script: str,
    seconds: float,
    cpu: CpuMeter,
    *,
    name: str,
    until_quota: bool = False,
) -> None:
    """Run wrk with `result.concurrency` connections for `seconds` (or, `until_quota`,
    until every thread has had its quota of responses) and read its timings into `result`.

    `script`: this bench's Lua between WRK_BEGIN and WRK_END, its own placeholders filled.
    """
    (workdir / "result.txt").unlink(missing_ok=True)
    path = workdir / f"{name}.lua"
    path.write_text(
        (WRK_BEGIN + script + WRK_END)
        .replace("@DIR@", str(workdir))
        .replace("@HOSTPORT@", base.removeprefix("http://"))
        .replace("@DONE@", DONE_MARK)
    )
    c = result.concurrency
    command = ["wrk", "-t", str(c), "-c", str(c), "-d", f"{math.ceil(seconds)}s"]
    command += ["--timeout", "30s", "-s", str(path), base + "/"]
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
            if until_quota and finished == c:
                # Every thread has had its share; wake wrk's main thread from its sleep.
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
