"""Every payload of the XSS corpus (`tests/web/xss_corpus.py`) through every place the
forum shows user text, rendered in Chromium with the CSP turned off (so a sanitiser bug
is not hidden by the header), every element hovered and focused.

A payload that runs calls `xss(N)` (or `alert`, `confirm`, `prompt`, `print`, all
recorded by an init script in every frame, and dialogs besides); the main frame leaving
the page, or a popup, fails too. Each page is also checked for what must never be there
whether or not it ran: an `on*` attribute, a script not from /static/, a frame, object,
embed, base or refresh, a URL attribute with a scheme other than http, https or mailto.

The data goes in through the real API of a real `forum serve` (what it refuses, a 422,
is counted and printed, never silently dropped): one account per display name, one
thread per title (its opening post the same payload), all payloads as replies in threads
of 50 (one page each), organisations and experiences carrying them in every field, news
items, calendar events and resources likewise (`tests/web/xss_writing.py`), a member
following the region (the notifications page, and the daily digest mail's HTML part,
loaded with `page.set_content`), another reading it in mailing-list mode (a mail per
post). Last, an open thread page receives the payloads as posts over the websocket, put
in place by the page script (`web/static/forum.js`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from forum import accounts
from forum.config import Settings, Smtp
from forum.db import Database, driver_dsn
from forum.models import Role, User
from tests import factories, mail
from tests.servers import Served, forum_env
from tests.web.browsers import skip_without_chromium
from tests.web.xss_corpus import CORPUS
from tests.web.xss_writing import SPAN, Knowledge, accepted, accepts, post_keeping, write_knowledge
from web import auth, schemas
from web.app import create_app

skip_without_chromium()
# Its world (about 5 minutes to write) is made once, in one test process; every test here,
# the one counting what the world holds too, is part of the browser run (`.ci/run`).
pytestmark = [pytest.mark.xdist_group("xss_corpus"), pytest.mark.browser]

from playwright.async_api import Browser, Page  # noqa: E402

from tests.web.xss_harness import RECORDER, Visitor  # noqa: E402

POSTS_PER_THREAD = 50  # one thread page (web.links.THREAD_PAGE)
# Every title and name is shown in the region and topic lists, search results and
# notifications; their own pages (a thread page per title, a profile per name) are one
# in STRIDE by default, to keep the run near 5 minutes on a loaded 2-core machine:
# XSS_CORPUS_FULL=1 visits all of them (about 9 minutes more here).
FULL = bool(os.environ.get("XSS_CORPUS_FULL"))
STRIDE = 1 if FULL else SPAN
# Live posts: all payloads over the websocket into one open thread page, SPAN to a post
# by default (one to a post in the full run), 25 posts an author (the posting limit).
LIVE_BATCH = 1 if FULL else SPAN
LIVE_PER_AUTHOR = 25
SEARCH_PAGES = 100 if FULL else 4  # of each knowledge kind's hits (their lists hold all)
SECRET = "k" * 40

# The data: written once for the module through the API of its server.


@dataclasses.dataclass
class World:
    served: Served
    names: list[tuple[int, dict]]  # (payload number, user) per accepted display name
    handles: list[str]  # theirs (given by the database from the name)
    refused_names: list[int]
    titled: dict[int, int]  # payload number -> thread id, for accepted titles
    refused_titles: list[int]
    chunks: list[int]  # threads holding every payload as a reply, 49 to a page
    refused_posts: list[int]
    organisations: list[str]
    refused_organisations: list[str]
    experiences: list[int]
    refused_experiences: list[str]
    knowledge: Knowledge
    watcher: httpx.AsyncClient
    live_authors: list[httpx.AsyncClient]  # named accounts, logged in to the served forum
    digest: str  # the HTML part of the watcher's daily digest
    list_mails: list[str]  # the HTML parts of the lister's mailing-list mails, a post each

    def summary(self) -> str:
        return (
            f"{len(CORPUS)} payloads; names accepted {len(self.names)}, refused "
            f"{len(self.refused_names)}; titles accepted {len(self.titled)}, refused "
            f"{len(self.refused_titles)}; posts refused {sorted(self.refused_posts)}; "
            f"organisations {len(self.organisations)} (fields refused: "
            f"{self.refused_organisations}); experiences {len(self.experiences)} (fields "
            f"refused: {self.refused_experiences}); {self.knowledge.summary()}; "
            f"list mails {len(self.list_mails)}"
        )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _live_bodies() -> list[str]:
    """The posts sent live: LIVE_BATCH payloads each, fewer where they would be too long."""
    bodies: list[list[str]] = [[]]
    for p in accepted(schemas.Body):
        joined = "\n\n".join([*bodies[-1], p.text]).encode("utf-8", "surrogatepass")
        if len(bodies[-1]) == LIVE_BATCH or len(joined) > schemas.MAX_BODY_BYTES:
            bodies.append([])
        bodies[-1].append(p.text)
    return ["\n\n".join(b) for b in bodies]


async def _served_client(served: Served, logged_in: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of the served forum with the session of `logged_in` (a Factory client)."""
    api = httpx.AsyncClient(
        base_url=served.url,
        timeout=120,
        headers={"X-CSRF-Token": logged_in.headers["X-CSRF-Token"]},
    )
    api.cookies.set(auth.COOKIE, logged_in.cookies[auth.COOKIE])
    await logged_in.aclose()
    return api


async def _build(served: Served, app: Any, db: Database) -> World:
    # Accounts and posts go in through the core, as `tests.factories` does (the API's
    # own validators decide what is accepted); over HTTP on this loaded machine the
    # argon2 hash of each registration alone took 1-2 s. Organisations, experiences and
    # follows go through the API.
    make = factories.Factory(app, db)
    watcher_user = await make.user(
        email="watcher@example.org",
        display_name="The watcher",
        email_verified_at=datetime.now(UTC),
        email_mode="daily",
    )
    watcher = await _served_client(served, await make.logged_in(watcher_user))
    r = await watcher.put("/api/v1/follows/region:africa", json={"level": "watching"})
    assert r.status_code in (200, 201), r.text
    admin = await _served_client(served, await make.logged_in(await make.user(Role.ADMIN)))

    # One account per display name the API accepts.
    names, refused_names = [], []
    for p in CORPUS:
        if accepts(schemas.DisplayName, p.text, accounts.clean_display_name):
            names.append((p.number, await make.user(display_name=p.text.strip())))
        else:
            refused_names.append(p.number)
    assert len(names) > 400
    authors = [user for _, user in names]
    async with db.transaction() as s:
        found = await s.execute(
            select(User.handle).where(User.id.in_([u["id"] for u in authors])).order_by(User.id)
        )
        handles = list(found.scalars())

    # One thread per title the API accepts, its opening post the same payload.
    titled, refused_titles = {}, []
    for i, p in enumerate(CORPUS):
        if not accepts(schemas.Title, p.text):
            refused_titles.append(p.number)
            continue
        made = await make.thread(
            authors[i % len(authors)], topic="whistleblower-protection", title=p.text,
            body=p.text,
        )  # fmt: skip
        titled[p.number] = made["thread"]["id"]

    # A member reading the region in mailing-list mode from here on: a mail per reply
    # (and perhaps for some titles, their notifications made after this).
    lister = await _served_client(served, await make.logged_in(await make.user(
        email="lister@example.org", email_verified_at=datetime.now(UTC),
        email_mode="immediately",
    )))  # fmt: skip
    r = await lister.put(
        "/api/v1/follows/region:africa", json={"level": "watching", "mailing_list": True}
    )
    assert r.status_code in (200, 201), r.text
    await lister.aclose()

    # Every payload as a reply, 49 to a thread (one page), by the named accounts in turn.
    chunks, refused_posts = [], []
    for c, group in enumerate(_chunks(CORPUS, POSTS_PER_THREAD - 1)):
        made = await make.thread(
            authors[c % len(authors)],
            title=f"Corpus replies {group[0].number} to {group[-1].number}",
            body="The replies below are the corpus.",
        )
        chunks.append(made["thread"]["id"])
        for i, p in enumerate(group):
            if accepts(schemas.Body, p.text):
                await make.reply(chunks[-1], authors[(c + i) % len(authors)], body=p.text)
            else:
                refused_posts.append(p.number)

    # Organisations: a name each, the description and activities carrying the rest.
    organisations, refused_organisations = [], []
    # Texts a post may hold (a control character would get the whole field refused),
    # short enough for twelve to fit a description.
    postable = accepted(schemas.Body)
    groups = _chunks([p.text for p in postable if len(p.text) <= 800], 12)
    for i, p in enumerate(accepted(schemas.Organisation)[::10]):
        group = groups[i % len(groups)]
        body = {
            "slug": f"org-{p.number}",
            "name": p.text,
            "country": "SN",
            "kind": "ngo",
            "website": f'https://example.org/"onmouseover="xss({p.number})"',
            "description": "\n\n".join(group)[:10_000],
            "activities": [
                {"title": t if accepts(schemas.Title, t) else f"Activity {j}",
                 "started_on": "2024-01-01", "description": t}
                for j, t in enumerate(group)
            ],
        }  # fmt: skip
        r = await post_keeping(admin, "/api/v1/organisations", body, refused_organisations)
        if r.status_code == 422:  # the name itself
            continue
        assert r.status_code == 201, f"organisation {p.number}: {r.text[:500]}"
        organisations.append(body["slug"])
    assert len(organisations) > 40
    r = await admin.post(f"/api/v1/organisations/{organisations[0]}/affiliations", json={})
    assert r.status_code in (200, 201), r.text

    # Experiences: a title each, every Markdown text carrying payloads.
    experiences, refused_experiences = [], []
    texts = _chunks([p.text for p in postable], 20)
    fields = ("context", "action", "obstacles", "outcome", "lessons")
    for i, p in enumerate(accepted(schemas.Title)[::15]):
        group = texts[i % len(texts)]
        body = {"organisation": organisations[0], "title": p.text, "countries": ["SN"],
                **{f: "\n\n".join(group[k::5]) for k, f in enumerate(fields)}}  # fmt: skip
        r = await post_keeping(admin, "/api/v1/experiences", body, refused_experiences)
        assert r.status_code == 201, f"experience {p.number}: {r.text[:500]}"
        experiences.append(int(r.json()["id"]))

    knowledge = await write_knowledge(admin, watcher, organisations)
    await admin.aclose()
    live_authors = [
        await _served_client(served, await make.logged_in(user))
        for user in authors[: -(-len(_live_bodies()) // LIVE_PER_AUTHOR)]
    ]

    return World(
        served, names, handles, refused_names, titled, refused_titles, chunks, refused_posts,
        organisations, refused_organisations, experiences, refused_experiences, knowledge,
        watcher, live_authors, "", [],
    )  # fmt: skip


@pytest.fixture(scope="module")
async def world(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY=SECRET,
        FORUM_DATA_DIR=str(tmp_path_factory.mktemp("served")),
    )
    inbox = mail.Inbox()
    port = mail.free_port()
    smtp = mail.smtp_server(inbox, port)
    # Either app may send a mail of the outbox.
    env |= {"FORUM_SMTP_URL": f"smtp://127.0.0.1:{port}", "FORUM_MAIL_FROM": "forum@forum.test"}
    served = await asyncio.to_thread(Served, env)
    # An app of our own on the same database: its factories write the data, and it
    # makes the daily digest when told (the served one mails only at the digest hour).
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("app"),
        secret_key=SECRET,
        database_url=module_database_url,
        smtp=Smtp("127.0.0.1", port),
        mail_from="CSO Forum <forum@forum.test>",
        public_url="https://forum.test",
    )
    app = create_app(settings)
    db = Database(module_database_url, pool_size=2)
    try:
        async with app.router.lifespan_context(app):
            await app.state.mail_sender.stop()
            await app.state.notices.stop()
            built = await _build(served, app, db)
            await _notified(served, len(built.titled) + len(built.chunks))
            await app.state.notices.drain(datetime.now(UTC) + timedelta(days=1, hours=1))
            await mail.settle(app, rounds=4000)  # a thousand mails or more
            [digest] = inbox.to("watcher@example.org")
            built.digest = mail.html_of(digest)
            built.list_mails = [mail.html_of(m) for m in inbox.to("lister@example.org")]
            yield built
            for api in (built.watcher, *built.live_authors):
                await api.aclose()
    finally:
        await db.dispose()
        smtp.stop()
        await asyncio.to_thread(served.stop)


async def _notified(served: Served, at_least: int, within: float = 240) -> None:
    """Waits until the watcher has `at_least` notifications and they stop growing (the
    fan-out, a background task of either app, has gone through the log)."""
    conn = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    clock = asyncio.get_running_loop().time
    try:
        last, steady, deadline = -1, 0, clock() + within
        while steady < 4 and clock() < deadline:
            count = await conn.fetchval(
                "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id "
                "WHERE u.email = 'watcher@example.org'"
            )
            steady = steady + 1 if count == last and count >= at_least else 0
            last = count
            await asyncio.sleep(0.5)
        assert steady >= 4, f"the watcher has {last} notifications, expected {at_least}"
    finally:
        await conn.close()


@pytest.fixture
async def visitor(browser: Browser, world: World) -> AsyncIterator[Visitor]:
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    await context.add_init_script(RECORDER)
    await context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": world.served.url}
            for c in world.watcher.cookies.jar
        ]
    )
    yield Visitor(context)
    await context.close()


def _clean(visitor: Visitor, what: str) -> None:
    print(f"{what}: {visitor.visited} pages")
    assert visitor.popups == [], visitor.popups
    assert visitor.findings == [], visitor.report()


# The sinks.


async def test_the_harness_sees_what_runs_and_what_could(browser: Browser) -> None:
    """The control: a page where payloads do run is caught, by each of the three means."""
    context = await browser.new_context(bypass_csp=True)
    await context.add_init_script(RECORDER)
    visitor = Visitor(context)
    await visitor.html(
        "control",
        "<img src=x onerror=xss(1)><div onmouseover=alert(2)>hover</div>"
        '<a href="javascript:xss(3)">link</a><iframe srcdoc="<script>parent.xss(4)</script>">'
        "</iframe><script>setTimeout(() => location.href = 'about:blank#away', 50)</script>",
    )
    await context.close()
    [found] = visitor.findings
    assert sorted(x.split(" in ")[0] for x in found.fired) == ["alert(2)", "xss(1)", "xss(4)"]
    assert {"img onerror=xss(1)", "a href=javascript:xss(3)", "<iframe>"} <= set(found.present)
    assert found.navigated == ["about:blank#away"]


async def test_the_corpus_is_large_and_each_payload_names_itself(world: World) -> None:
    print(world.summary())
    assert len(CORPUS) >= 500
    assert len({p.text for p in CORPUS}) == len(CORPUS)
    # Most payloads reach every sink that can hold them; what the API refused is printed.
    assert len(world.refused_posts) < len(CORPUS) // 20, world.refused_posts
    assert len(world.titled) > 400
    assert len(world.names) > 400


async def test_post_bodies_and_their_authors_names_on_thread_pages(
    world: World, visitor: Visitor
) -> None:
    base = world.served.url
    await visitor.each("thread", (f"{base}/threads/{t}" for t in world.chunks))
    _clean(visitor, "thread pages of the corpus replies")


async def test_titles_and_names_in_the_region_and_topic_lists(
    world: World, visitor: Visitor
) -> None:
    base = world.served.url
    pages = await visitor.pages("region", f"{base}/regions/africa")
    pages += await visitor.pages("topic", f"{base}/topics/whistleblower-protection")
    assert pages >= 2 * len(world.titled) // 30
    _clean(visitor, "region and topic lists")


async def test_titles_and_opening_posts_on_their_thread_pages(
    world: World, visitor: Visitor
) -> None:
    base = world.served.url
    threads = list(world.titled.values())[::STRIDE]
    print(f"thread pages of {len(threads)} titles of {len(world.titled)} (one in {STRIDE})")
    await visitor.each("titled thread", (f"{base}/threads/{t}" for t in threads))
    _clean(visitor, "thread pages of the titles")


async def test_display_names_on_member_profiles(world: World, visitor: Visitor) -> None:
    base = world.served.url
    handles = world.handles[::STRIDE]
    print(f"profiles of {len(handles)} names of {len(world.handles)} (one in {STRIDE})")
    await visitor.each("profile", (f"{base}/members/{h}" for h in handles))
    _clean(visitor, "member profiles")


async def test_search_results_and_snippets(world: World, visitor: Visitor) -> None:
    base = world.served.url
    pages = 0
    for topic in ("whistleblower-protection", "public-procurement"):
        pages += await visitor.pages("search", f"{base}/search?q=xss&topic={topic}")
    assert pages >= 10
    _clean(visitor, "search results")


async def test_notifications_page_and_the_digest_mail(world: World, visitor: Visitor) -> None:
    base = world.served.url
    pages = await visitor.pages("notifications", f"{base}/notifications")
    assert pages >= 2
    assert "xss(" in world.digest
    await visitor.html("digest mail", world.digest)
    _clean(visitor, "notifications and digest mail")


async def test_organisations_and_experiences(world: World, visitor: Visitor) -> None:
    base = world.served.url
    await visitor.pages("organisations", f"{base}/organisations")
    await visitor.each("organisation", (f"{base}/organisations/{s}" for s in world.organisations))
    await visitor.pages("experiences", f"{base}/experiences")
    await visitor.each("experience", (f"{base}/experiences/{e}" for e in world.experiences))
    _clean(visitor, "organisations and experiences")


async def test_news_events_and_resources(world: World, visitor: Visitor) -> None:
    base, made = world.served.url, world.knowledge
    lists = 0
    for path in ("/news", "/events", "/events/past", "/events?status=proposed", "/resources"):
        lists += await visitor.pages(path, base + path)
    assert lists >= 3 * len(CORPUS) // 50
    await visitor.each("country", [f"{base}/countries/SN"])
    for kind in ("news", "event", "resource"):
        await visitor.pages(f"search {kind}", f"{base}/search?q=xss&kind={kind}", SEARCH_PAGES)
    # One in STRIDE, each with SPAN payloads in its text: all of them; and the reasons.
    news, events = made.news[::STRIDE], sorted({*made.events[::STRIDE], *made.declined})
    print(f"{len(news)} news and {len(events)} event pages of {made.summary()}")
    await visitor.each("news item", (f"{base}/news/{n}" for n in news))
    await visitor.each("event", (f"{base}/events/{e}" for e in events))
    _clean(visitor, "news, events and resources")


async def test_mailing_list_mails(world: World, visitor: Visitor) -> None:
    mails = world.list_mails
    assert len(mails) >= len(CORPUS) - len(world.refused_posts)
    assert sum("xss(" in m for m in mails) > len(mails) // 2
    chosen = mails[::STRIDE]
    print(f"{len(chosen)} mailing-list mails of {len(mails)} (one in {STRIDE})")
    await asyncio.gather(*(visitor.html(f"list mail {i}", m) for i, m in enumerate(chosen)))
    _clean(visitor, "mailing-list mails")


async def test_posts_arriving_live_on_an_open_thread_page(world: World, visitor: Visitor) -> None:
    """The page script inserts each post the websocket brings; then everything is hovered."""
    bodies = _live_bodies()
    authors = world.live_authors
    r = await authors[0].post("/api/v1/threads", json={
        "region": "africa", "topic": "public-procurement", "title": "Live corpus",
        "body": "The replies arrive while this page is open.",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    url = f"{world.served.url}/threads/{r.json()['thread']['id']}"
    path = f"/api/v1/threads/{r.json()['thread']['id']}/posts"

    async def replies(api: httpx.AsyncClient, mine: list[str]) -> None:
        for body in mine:
            r = await api.post(path, json={"body": body})
            assert r.status_code == 201, r.text

    async def load(page: Page) -> None:
        response = await page.goto(url, wait_until="load")
        assert response is not None and response.status == 200
        # Posted after the page was rendered: the script receives them all (it resumes
        # from the page's cursor), live.
        await asyncio.gather(*(replies(api, bodies[i::len(authors)])
                               for i, api in enumerate(authors)))  # fmt: skip
        await page.wait_for_function(
            "n => document.querySelectorAll('#posts > .fresh').length >= n", arg=len(bodies),
            timeout=120_000,
        )  # fmt: skip

    page, _ = await visitor.look("live thread", load, url)
    arrived = await page.eval_on_selector_all("#posts > .fresh .body", "b => b.length")
    await page.close()
    print(f"{len(bodies)} live posts ({LIVE_BATCH} payloads each) by {len(authors)} authors")
    assert arrived == len(bodies)
    _clean(visitor, "live posts")
