"""What the browser tests share: Debian's Chromium, the two screens a reader has, members
registered through the API, and browser contexts that carry a member's login.

Playwright is imported inside the functions that need it, so that `tests/web/conftest.py`
(which imports this module) loads where Playwright is not installed; the fixtures then
skip (`browser_or_skip`).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests import servers

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext

    from tests.servers import Served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}  # a small Android phone, the narrowest we design for
PASSWORD = "long enough password"
# Playwright's locale sets both `navigator.language` and the Accept-Language header.
LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}

_numbers = itertools.count(1)


def skip_without_chromium() -> None:
    """Skips the calling test, fixture or module where Playwright or Chromium is missing."""
    pytest.importorskip("playwright.async_api")
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}", allow_module_level=True)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Member:
    """A registered, logged-in member: an API client that sends its CSRF token, and the
    cookies a browser needs to be the same member."""

    api: httpx.AsyncClient
    email: str
    name: str
    password: str
    user_id: int

    def cookies(self, url: str) -> list[dict[str, Any]]:
        return [{"name": c.name, "value": c.value or "", "url": url} for c in self.api.cookies.jar]


async def register(
    served: Served,
    *,
    name: str | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    language: str | None = None,
    approved: bool = True,
) -> Member:
    """A new member, registered (and so logged in) through the API, then admitted as
    the operator would (`forum approve`); an applicant if not `approved`. Close
    `member.api`."""
    n = next(_numbers)
    email = email or f"member{n}@example.org"
    name = name or f"Member {n}"
    body: dict[str, Any] = {"email": email, "display_name": name, "password": password}
    if language:
        body["language"] = language
    api = httpx.AsyncClient(base_url=served.url)
    r = await api.post("/api/v1/auth/register", json=body)
    if r.status_code != 201:
        await api.aclose()
        raise AssertionError(f"registering {email}: {r.status_code} {r.text}")
    api.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    user_id = int(r.json()["user"]["id"])
    if approved:
        await servers.admit(served, email)
    return Member(api, email, name, password, user_id)


async def new_context(
    browser: Browser,
    served: Served,
    *,
    member: Member | None = None,
    viewport: dict[str, int] = DESKTOP,
    locale: str = "en",
    javascript: bool = True,
    **options: Any,
) -> BrowserContext:
    """A fresh browser context on the served forum: logged in as `member` if given, with
    the screen and language asked for (`locale` is a key of LOCALES or a full tag)."""
    context = await browser.new_context(
        viewport=viewport,
        locale=LOCALES.get(locale, locale),
        java_script_enabled=javascript,
        **options,
    )
    if member is not None:
        await context.add_cookies(member.cookies(served.url))  # type: ignore[arg-type]
    return context


@asynccontextmanager
async def member_context(
    browser: Browser, served: Served, **options: Any
) -> AsyncIterator[tuple[BrowserContext, Member]]:
    """A context logged in as a member registered for it, and that member's API client;
    both closed at the end. `options` are those of `new_context`, plus `name`, `email`,
    `password` and `language` for the member."""
    who = {k: options.pop(k) for k in ("name", "email", "password", "language") if k in options}
    member = await register(served, **who)
    try:
        context = await new_context(browser, served, member=member, **options)
        try:
            yield context, member
        finally:
            await context.close()
    finally:
        await member.api.aclose()


# Posts as members write them: paragraphs, emphasis, lists, quotes, links (some long bare
# URLs, which must wrap on a phone), accented French, 400-1,300 characters each. Words are
# drawn at random from a few hundred, so the text compresses about as well as real prose
# (repeated sentences would make gzip look better than it is).
_VOCABULARY = """
access accountability accounts action advocacy agency allegations amendment analysis
annual anonymous appeal asset assessment audit authority award bank beneficial bill
board bribery budget cabinet campaign capacity case central channel checklist citizens
civil coalition code commission committee community complaint compliance conflict
consultation contract convention cooperation corruption council country court coverage
data deadline declaration decree defence democracy department deputy disclosure
district donor draft duty education election embezzlement enforcement evidence
executive expenditure experience extractive federal feedback finance focal follow-up
forum framework fraud funding gap government governor grant guidance health hearing
implementation independent indicator information inquiry integrity interest
investigation journalist judge judiciary justice land law lawyer leadership
legislation licence local media meeting minister ministry mining monitoring municipal
network office officer official open openness oversight ownership panel parliament
participation partner party payment penalty petition platform police policy portal
press prevention procurement programme project prosecution prosecutor protection
province public publication recommendation record recovery reform region register
regulation report reporting request resource response review rights risk rule
safeguards sanction school secretariat sector service shadow society source standard
statement strategy submission survey tax tender territory training transparency
treasury tribunal trust UNCAC union verification victim vote watchdog whistleblower
witness women workshop youth société civile rapport examen marchés publics déclaration
patrimoine lanceur alerte justice enquête collectivité budget citoyens presse réforme
transparência denúncia corrupção contratação ouvidoria
"""
_WORDS = tuple(_VOCABULARY.split())
_LINKS = (
    "https://www.unodc.org/unodc/en/treaties/CAC/country-profile/index.html",
    "https://uncaccoalition.org/resources/uncac-review-process-civil-society-participation"
    "-guide-2025-edition-final-version.pdf",
)


def markdown_bodies(count: int, seed: int = 10) -> list[str]:
    """`count` realistic Markdown posts, the same ones every run (sizes are asserted)."""
    import random

    rng = random.Random(seed)

    def sentence() -> str:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 18))]
        i = rng.randrange(len(words))
        words[i] = rng.choice(("**{}**", "*{}*", "`{}`", "{}", "{}")).format(words[i])
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 2026)))
        if rng.random() < 0.08:
            link = rng.choice(_LINKS)
            words.append(rng.choice((f"[{rng.choice(_WORDS)}]({link})", link)))
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice(".....?!")

    bodies = []
    for _ in range(count):
        parts: list[str] = []
        target = rng.randint(300, 900)
        while sum(len(p) + 2 for p in parts) < target:
            kind = rng.random()
            if kind < 0.15:
                parts.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 4))))
            elif kind < 0.25:
                parts.append("> " + sentence())
            else:
                parts.append(" ".join(sentence() for _ in range(rng.randint(1, 4))))
        bodies.append("\n\n".join(parts))
    return bodies


async def thread_with_posts(
    writers: list[Member],
    posts: int,
    *,
    title: str = "Following tender 2024/117 from award to payment",
    region: str = "africa",
    topic: str = "public-procurement",
) -> int:
    """A thread of `posts` posts (its opening post included) written in turn by `writers`
    through the API; returns its id."""
    bodies = markdown_bodies(posts)
    r = await writers[0].api.post(
        "/api/v1/threads",
        json={"region": region, "topic": topic, "title": title, "body": bodies[0]},
    )
    assert r.status_code == 201, r.text
    thread_id = int(r.json()["thread"]["id"])
    for i, body in enumerate(bodies[1:], start=1):
        r = await writers[i % len(writers)].api.post(
            f"/api/v1/threads/{thread_id}/posts", json={"body": body}
        )
        assert r.status_code == 201, r.text
    return thread_id
