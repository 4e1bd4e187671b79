"""The ASGI application factory. Everything with a lifetime is built in `lifespan`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp

from forum import embedded, languages, migrate
from forum.catalog import CatalogCache
from forum.config import ConfigError, Settings
from forum.db import Database, driver_dsn
from forum.limits import Limiter
from forum.mail.notices import Notices
from forum.mail.outbox import Mailer
from forum.mail.sender import Sender, transport_for
from forum.notifier import Notifier
from forum.sessions import Policy
from realtime.service import Realtime
from search.service import Search
from web import health, logs, mail, metrics, pages, sections, ws
from web.assets import Assets
from web.compression import Compression
from web.headers import SecurityHeaders
from web.observability import Observability
from web.openapi import document
from web.pages import failures
from web.responses import JSON
from web.routes import PREFIX, api_routes


class SchemaOutOfDate(ConfigError):
    pass


class Forum(Starlette):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so that a 500 gets the headers too,
        # and is counted and logged with its request id.
        stack = SecurityHeaders(super().build_middleware_stack())
        # Outermost: an abuser's refused handshake costs nothing of the layers within.
        return ws.EarlyRefusal(Observability(stack, self.state.metrics))


def create_app(settings: Settings | None = None) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal settings
        settings = settings or Settings.from_env()
        logs.configure(settings.log_format)
        url = settings.database_url or await asyncio.to_thread(embedded.start, settings.data_dir)
        db = Database(url, pool_size=settings.pool_size)
        try:
            if await migrate.pending(db.engine):
                raise SchemaOutOfDate("the database schema is out of date: run `forum migrate`")
            app.state.settings = settings
            app.state.db = db
            app.state.policy = Policy.of(settings)
            app.state.limiter = Limiter(db, settings.rates, app.state.policy.digest)
            app.state.openapi = document()
            app.state.catalog = catalog = CatalogCache(db)
            app.state.realtime = Realtime(
                db,
                driver_dsn(url),
                keep_days=settings.events_keep_days,
                keep_count=settings.events_keep_count,
                on_events=catalog.notice,
                policy=app.state.policy,
                limiter=app.state.limiter,
                catalog=catalog,
            )
            app.state.search = Search(db, settings, catalog)
            app.state.notifier = Notifier(db, catalog)
            app.state.mailer = Mailer(app.state.policy.digest, settings.mail_from)
            app.state.mail_sender = Sender(
                db,
                mail.renderer(settings.link_base),
                settings.mail_from,
                transport_for(settings),
                secret=settings.secret_key,
            )
            app.state.notices = Notices(
                db,
                catalog,
                secret=settings.secret_key,
                mail_from=settings.mail_from,
                link_base=settings.link_base,
            )
            await asyncio.to_thread(languages.prepare)
            app.state.search.on_searched = app.state.metrics.observe_search
            await app.state.metrics.start(settings.metrics_dir)
            await app.state.realtime.start()
            await app.state.search.start()
            await app.state.limiter.start()
            await app.state.mail_sender.start()
            await app.state.notifier.start()
            await app.state.notices.start()
            try:
                yield
            finally:
                await app.state.notices.stop()
                await app.state.mail_sender.stop()
                await app.state.limiter.stop()
                await app.state.notifier.stop()
                await app.state.search.stop()
                await app.state.realtime.stop()
                await app.state.metrics.stop()
        finally:
            await db.dispose()

    async def openapi(request: Request) -> JSON:
        return JSON(request.app.state.openapi)

    routes = api_routes()
    routes += [
        Route(PREFIX + "/openapi.json", openapi, methods=["GET"]),
        WebSocketRoute(ws.PATH, ws.endpoint),
        *health.ROUTES,
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        *pages.ROUTES,
        Mount("/static", Assets(), name="static"),
    ]
    app = Forum(
        routes=sections.grouped(routes),
        lifespan=lifespan,
        exception_handlers=failures.handlers(),
        middleware=[Middleware(Compression)],
    )
    app.state.metrics = metrics.Metrics()
    return app
