"""The `forum` command: serve, migrate, create-admin, approve, moderator, demo, reindex,
search, indexer, import-organisations, check-links, mail-gateway, backup, restore.

It lives in `web`, the top of the import graph, because it drives every package.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import html
import os
import re
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from forum import (
    accounts,
    applications,
    backup,
    catalog,
    demo,
    embedded,
    link_check,
    migrate,
    organisation_import,
)
from forum.catalog import CatalogCache
from forum.config import ConfigError, Settings
from forum.db import Database
from forum.errors import DomainError
from forum.limits import Limiter
from forum.mail.gateway import Gateway
from forum.mail.outbox import Mailer
from forum.models import Role, Visibility
from forum.permissions import Actor
from forum.sessions import Policy
from search.backend import Filters
from search.service import Search
from web.links import hit_url

T = TypeVar("T")
# Who the commands act as: whoever can run them holds the database itself.
OPERATOR = Actor(user_id=0, role=Role.ADMIN)
MAX_CSV_BYTES = 20 * 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forum", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="bind address (default FORUM_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FORUM_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="load the demo data first")

    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("demo", help="load the demo data (idempotent)")

    admin = commands.add_parser("create-admin", help="create an admin, or promote an account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator", help="display name for a new account")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    approve = commands.add_parser(
        "approve", help="admit an applicant as a member (they are told by email)"
    )
    approve.add_argument("email")
    moderate = commands.add_parser(
        "moderator", help="make an account a moderator of these regions (replacing its list)"
    )
    moderate.add_argument("email")
    moderate.add_argument(
        "--region", action="append", default=[], required=True, help="region slug (repeatable)"
    )

    edit = commands.add_parser(
        "editor", help="make an account an editor of the knowledge pages (or a member again)"
    )
    edit.add_argument("email")
    edit.add_argument("--remove", action="store_true", help="make them a member again")

    commands.add_parser(
        "reindex", help="rebuild the search documents (and Meilisearch indexes); search stays up"
    )
    find = commands.add_parser("search", help="search as an administrator sees it")
    find.add_argument("words", help="the query, e.g. '\"public procurement\" -draft'")
    find.add_argument("--region", action="append", default=[], help="region slug (repeatable)")
    find.add_argument("--page", type=int, default=1)
    commands.add_parser("indexer", help="run the Meilisearch indexer alone (FORUM_MEILI_URL)")
    region = commands.add_parser("region", help="open a region to everyone or close it to members")
    region.add_argument("slug")
    region.add_argument("--visibility", required=True, choices=[v.value for v in Visibility])

    orgs = commands.add_parser(
        "import-organisations",
        help="load organisations from a CSV file (idempotent by slug)",
    )
    orgs.add_argument("file", help="a UTF-8 CSV file with a header row")
    orgs.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    links = commands.add_parser(
        "check-links", help="report resources whose address no longer answers"
    )
    links.add_argument(
        "--mark", action="store_true", help="record the outcome (otherwise nothing changes)"
    )
    links.add_argument(
        "--delay", type=float, default=1.0, help="seconds between two requests to one host"
    )
    links.add_argument("--timeout", type=float, default=10.0, help="seconds per request")

    commands.add_parser(
        "mail-gateway",
        help="receive replies by email and bounces over SMTP (at FORUM_MAIL_GATEWAY, "
        "default 127.0.0.1:8025), from the mail server that forwards them",
    )

    save = commands.add_parser(
        "backup", help="write the database and the secret key to one file (owner-only)"
    )
    save.add_argument("file", nargs="?", help="default: forum-backup-<UTC time>.tar here")
    load = commands.add_parser(
        "restore", help="restore a backup into an empty data folder or an empty database"
    )
    load.add_argument("file")

    args = parser.parse_args(argv)
    # SIGTERM (systemd, Docker) unwinds like Ctrl-C: Python's default for it ends the
    # process on the spot, skipping the exit handlers, and one of those stops the embedded
    # PostgreSQL this process started. Uvicorn takes both signals over while it serves,
    # shuts down gracefully, then raises the signal again: it arrives here as
    # KeyboardInterrupt, which `uvicorn.run` swallows for SIGINT and now for SIGTERM alike.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "migrate":
            _with_db(settings, lambda db: migrate.upgrade(db.engine))
            print("forum: database schema is up to date")
        elif args.command == "demo":
            added = _with_db(settings, _prepared(demo.load))
            print(f"forum: demo data loaded ({added} threads added)")
        elif args.command == "create-admin":
            password = _read_password(args.password_stdin)
            user = _with_db(settings, _prepared(lambda db: _create_admin(db, args, password)))
            print(f"forum: {user['email']} is an admin")
        elif args.command == "approve":
            admitted = _with_db(settings, _prepared(lambda db: _approve(db, settings, args.email)))
            print(f"forum: {args.email} is a member{'' if admitted else ' already'}")
        elif args.command == "moderator":
            _with_db(settings, _prepared(lambda db: _moderator(db, args.email, args.region)))
            print(f"forum: {args.email} moderates {', '.join(args.region)}")
        elif args.command == "editor":
            _with_db(settings, _prepared(lambda db: _editor(db, args.email, not args.remove)))
            print(f"forum: {args.email} is {'a member' if args.remove else 'an editor'} now")
        elif args.command == "reindex":
            count = _with_db(settings, _prepared(lambda db: _search_of(db, settings).rebuild()))
            print(f"forum: search rebuilt ({count} documents)")
        elif args.command == "search":
            _with_db(settings, _prepared(lambda db: _search(db, settings, args)))
        elif args.command == "region":
            _with_db(settings, _prepared(lambda db: _set_visibility(db, args)))
            print(f"forum: region {args.slug} is {args.visibility} now")
        elif args.command == "import-organisations":
            text = _read_csv(args.file)
            report = _with_db(settings, _prepared(lambda db: _import(db, text, args.dry_run)))
            return _print_import(report, args.dry_run)
        elif args.command == "check-links":
            return _check_links(settings, args)
        elif args.command == "mail-gateway":
            _with_db(settings, _prepared(lambda db: _run_mail_gateway(db, settings)))
        elif args.command == "backup":
            _backup(settings, args.file)
        elif args.command == "restore":
            _restore(settings, args.file)
        elif args.command == "indexer":
            if not settings.meili_url:
                raise ConfigError("the indexer feeds Meilisearch: set FORUM_MEILI_URL")
            _with_db(settings, _prepared(lambda db: _run_indexer(db, settings)))
    except ConfigError as exc:
        print(f"forum: error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"forum: error: {exc.message} {exc.fields or ''}".rstrip(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("forum: interrupted", file=sys.stderr)
        return 130
    return 0


def _search_of(db: Database, settings: Settings) -> Search:
    return Search(db, settings, CatalogCache(db))


def _database_url(settings: Settings) -> str:
    return settings.database_url or embedded.start(settings.data_dir)


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    return _with_url(_database_url(settings), work)


def _with_url(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(url, pool_size=2)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _prepared(work: Callable[[Database], Awaitable[T]]) -> Callable[[Database], Awaitable[T]]:
    """Refuse to touch a database whose schema lags this code."""

    async def run(db: Database) -> T:
        if await migrate.pending(db.engine):
            raise ConfigError("the database schema is out of date: run `forum migrate`")
        return await work(db)

    return run


async def _create_admin(db: Database, args: argparse.Namespace, password: str) -> dict:
    async with db.transaction() as session:
        return await accounts.create_admin(
            session, email=args.email, display_name=args.name, password=password
        )


async def _approve(db: Database, settings: Settings, email: str) -> bool:
    mailer = Mailer(Policy.of(settings).digest, settings.mail_from)
    async with db.transaction() as session:
        return await applications.approve_by_operator(session, mailer, email)


async def _moderator(db: Database, email: str, regions: list[str]) -> None:
    async with db.transaction() as session:
        await applications.make_moderator(session, await catalog.load(session), email, regions)


async def _editor(db: Database, email: str, editor: bool) -> None:
    async with db.transaction() as session:
        await applications.make_editor(session, email, editor)


async def _search(db: Database, settings: Settings, args: argparse.Namespace) -> None:
    search = _search_of(db, settings)
    try:
        filters = Filters(regions=tuple(args.region))
        results = await search.find(OPERATOR, args.words, filters, args.page)
    finally:
        await search.stop()
    more = "" if results.exact else "+"
    print(f"{results.total}{more} results ({search.backend.name})")
    if results.suggestion:
        print(f"{'showing results for' if results.corrected else 'did you mean'}: "
              f"{results.suggestion}")  # fmt: skip
    for hit in results.hits:
        snippet = " ".join(re.sub(r"</?mark>", "*", html.unescape(hit.snippet)).split())
        topics = " ".join(hit.topics)
        where = f"{hit.kind}, {hit.region or '-'}, {topics}, {hit.created_at:%Y-%m-%d}"
        print(f"\n{hit.title} [{where}]\n  {hit_url(hit)}\n  {snippet}")


async def _set_visibility(db: Database, args: argparse.Namespace) -> None:
    async with db.transaction() as session:
        await catalog.set_region_visibility(
            session, OPERATOR, args.slug, Visibility(args.visibility)
        )


async def _run_indexer(db: Database, settings: Settings) -> None:
    search = _search_of(db, settings)
    assert search.indexer is not None
    print("forum: indexing into Meilisearch; Ctrl-C stops", flush=True)
    try:
        await search.indexer.run()
    finally:
        await search.stop()


async def _run_mail_gateway(db: Database, settings: Settings) -> None:
    policy = Policy.of(settings)
    limiter = Limiter(db, settings.rates, policy.digest)
    mailer = Mailer(policy.digest, settings.mail_from)
    gateway = Gateway(db, limiter, mailer, settings.secret_key)
    host, port = settings.mail_gateway
    try:
        await gateway.start(host, port)
    except OSError as exc:
        problem = f"FORUM_MAIL_GATEWAY: cannot listen on {host}:{port}: {exc.strerror}"
        raise ConfigError(problem) from None
    print(f"forum: mail gateway listening on {host}:{port}, for replies to "
          f"reply+...@{gateway.domain} and bounces to bounce+...@{gateway.domain}; "
          "Ctrl-C stops", flush=True)  # fmt: skip
    try:
        await asyncio.Event().wait()
    finally:
        await gateway.stop()


def _read_csv(path: str) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_CSV_BYTES:
        raise ConfigError(f"{path} is over {MAX_CSV_BYTES // 2**20} MiB; split it")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 (byte {exc.start})") from None


async def _import(db: Database, text: str, dry_run: bool) -> organisation_import.Report:
    async with db.transaction() as session:
        found = await catalog.load(session)
        return await organisation_import.run(session, OPERATOR, found, text, dry_run=dry_run)


def _print_import(report: organisation_import.Report, dry_run: bool) -> int:
    for error in report.errors:
        print(f"forum: error: {error}", file=sys.stderr)
    if report.errors:
        print("forum: nothing imported", file=sys.stderr)
        return 1
    would = "would be " if dry_run else ""
    note = " (dry run: nothing written)" if dry_run else ""
    print(f"forum: {len(report.created)} {would}created, {len(report.updated)} {would}updated, "
          f"{len(report.unchanged)} unchanged{note}")  # fmt: skip
    return 0


def _check_links(settings: Settings, args: argparse.Namespace) -> int:
    """Broken links on standard output, one a line; exit status 1 if any."""
    if args.delay < 0 or args.timeout <= 0:
        raise ConfigError("--delay must be 0 or more and --timeout more than 0")
    results = _with_db(settings, _prepared(lambda db: link_check.run(
        db, mark=args.mark, delay=args.delay, per_request=args.timeout)))  # fmt: skip
    broken = [r for r in results if r.broken]
    for r in broken:
        print(f"broken\t{r.id}\t{r.url}\t{r.status if r.status is not None else r.error}")
    marked = " (marked)" if args.mark else ""
    print(f"forum: {len(results)} links checked, {len(broken)} broken{marked}")
    return 1 if broken else 0


def _backup(settings: Settings, file: str | None) -> None:
    out = Path(file or f"forum-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar")
    if out.exists():
        raise ConfigError(f"{out} exists already: name another file")
    if not out.resolve().parent.is_dir():
        raise ConfigError(f"{out.parent} is not a folder")
    made = backup.backup(_database_url(settings), settings.secret_key, out)
    print(f"forum: backed up to {out} (schema {made.schema_revision}, "
          f"PostgreSQL {made.postgres_major}); it holds the secret key: keep it safe")  # fmt: skip


def _restore(settings: Settings, file: str) -> None:
    path = Path(file)
    backup.read_manifest(path)  # a wrong file is refused before any server starts
    manifest, secret = backup.restore(path, _database_url(settings))
    print(f"forum: restored the backup of {manifest.created_at} "
          f"(schema {manifest.schema_revision})")  # fmt: skip
    if manifest.schema_revision not in migrate.heads():
        print("forum: the backup's schema is not this version's: run `forum migrate` "
              "(a backup from a newer forum needs that newer version)")  # fmt: skip
    if settings.embedded:
        backup.keep_secret(settings.data_dir, secret)
        print(f"forum: secret key restored into {settings.data_dir}")
    elif secret != settings.secret_key:
        kept = backup.keep_secret(settings.data_dir, secret)
        print(f"forum: FORUM_SECRET_KEY differs from the backup's key, written to {kept}: "
              "set FORUM_SECRET_KEY to it, or logins and emailed links made before the "
              "backup stop working")  # fmt: skip


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ConfigError("the passwords differ")
    return first


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from web import logs

    logs.forgive_failed_writes()

    from realtime.protocol import MAX_FRAME
    from web.shutdown import GoingAway

    async def prepare(db: Database) -> None:
        # The embedded database is ours to upgrade; an external one is the operator's.
        if settings.embedded:
            await migrate.upgrade(db.engine)
        await _prepared(demo.load if args.demo else _nothing)(db)

    url = _database_url(settings)
    _with_url(url, prepare)
    # Workers get the server this process runs (and holds) instead of each joining the
    # embedded server: they exit without running atexit, so they could never let go of it.
    os.environ["FORUM_DATABASE_URL"] = url
    os.environ["FORUM_SECRET_KEY"] = settings.secret_key
    host = args.host or settings.host
    port = args.port or settings.port
    # Links in emails name the address served here unless the operator says otherwise.
    os.environ.setdefault("FORUM_PUBLIC_URL", f"http://{host}:{port}")
    print(f"forum: serving on http://{host}:{port}/", flush=True)
    # The workers share their counters for /metrics through this folder (`web.metrics`);
    # it is removed when this process exits.
    shared = tempfile.TemporaryDirectory(prefix="forum-metrics-")
    os.environ["FORUM_METRICS_DIR"] = shared.name
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        # The sans-I/O implementation of the same `websockets` library: about a third less
        # work per frame. No per-message compression: it doubles the cost of fan-out, and
        # events are small. Protocol pings notice dead connections within 40 s. At a stop,
        # sockets close with 1001 (`web.shutdown`).
        ws=GoingAway,
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        log_level="warning",
        proxy_headers=True,
        # A stop waits for requests in flight, not for ever for one that hangs.
        timeout_graceful_shutdown=30,
        # The supervisor replaces a worker that does not answer its ping in time. A new
        # worker answers only once it has imported the app, which on a loaded machine
        # (or without bytecode caches, PYTHONDONTWRITEBYTECODE) took over uvicorn's 5 s:
        # each worker was killed while starting, again and again, and none ever served.
        timeout_worker_healthcheck=60,
    )
    shared.cleanup()
    return 0


async def _nothing(db: Database) -> None:
    return None


if __name__ == "__main__":
    sys.exit(main())
