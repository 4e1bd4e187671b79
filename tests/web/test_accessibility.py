"""axe-core (through `axe-playwright-python`) in Chromium over every page type, as a
visitor and as a member, in English and French, on a desktop and on a 360-pixel phone:
no serious or critical violation.

Every page type is one line of PAGES: a new page is covered by adding its line there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import pytest

from tests.servers import Served
from tests.web.browsers import (
    DESKTOP,
    PHONE,
    Member,
    new_context,
    register,
    skip_without_chromium,
    thread_with_posts,
)

skip_without_chromium()
axe_playwright = pytest.importorskip("axe_playwright_python.async_playwright")

from playwright.async_api import Page, expect  # noqa: E402

FAILING = ("serious", "critical")  # axe's impacts; "minor" and "moderate" are reported only
VISITOR, MEMBER = "visitor", "member"
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("en", "fr")


@dataclass
class Site:
    """What the pages show: made once per module, through the API."""

    thread_id: int
    post_id: int  # an edited reply that quotes the first post
    own_posts: dict[str, int]  # per language: a post by that reading member, edited once
    own_post_id: int = 0  # the current reader's (set per test)


async def _wrong_login(page: Page) -> None:
    """The login form sent with a wrong password: the page again, the error by the field."""
    await page.fill("#email", "nobody@example.org")
    await page.fill("#password", "not the right password")
    async with page.expect_navigation():
        await page.click("main form button")
    await expect(page.locator("main [aria-invalid=true], main .error").first).to_be_visible()


async def _preview(page: Page) -> None:
    """The new-thread form with its Markdown previewed (by the script, or by the server)."""
    await page.fill("#title", "Asset declarations: who checks them?")
    await page.fill("#body", "**Bold** claim, *emphasis*, and a [link](https://example.org).")
    await page.click("button[name=preview]")
    await expect(page.locator("section.preview strong")).to_have_text("Bold")


@dataclass(frozen=True)
class PageType:
    name: str
    path: Callable[[Site], str]
    readers: tuple[str, ...] = (VISITOR, MEMBER)
    status: int = 200
    then: Callable[[Page], Awaitable[None]] | None = None  # done on the page before axe runs


PAGES = [
    PageType("home", lambda s: "/"),
    PageType("region", lambda s: "/regions/africa"),
    PageType("thread", lambda s: f"/threads/{s.thread_id}"),
    PageType("search", lambda s: "/search?q=tender"),
    PageType("search-empty", lambda s: "/search"),
    PageType("search-filtered", lambda s: "/search?q=tender&region=africa&kind=post"),
    PageType("not-found", lambda s: "/threads/999999999", status=404),
    PageType("login", lambda s: "/login", readers=(VISITOR,)),
    PageType("login-refused", lambda s: "/login", readers=(VISITOR,), then=_wrong_login),
    PageType("register", lambda s: "/register", readers=(VISITOR,)),
    PageType("settings", lambda s: "/settings", readers=(MEMBER,)),
    PageType("sessions", lambda s: "/settings/sessions", readers=(MEMBER,)),
    PageType("new-thread", lambda s: "/threads/new", readers=(MEMBER,)),
    PageType("new-thread-preview", lambda s: "/threads/new", readers=(MEMBER,), then=_preview),
    PageType(
        "reply-quoting",
        lambda s: f"/threads/{s.thread_id}/reply?quote={s.post_id}",
        readers=(MEMBER,),
    ),
    PageType("edit-post", lambda s: f"/posts/{s.own_post_id}/edit", readers=(MEMBER,)),
    PageType("delete-post", lambda s: f"/posts/{s.own_post_id}/delete", readers=(MEMBER,)),
    PageType("revisions", lambda s: f"/posts/{s.own_post_id}/revisions", readers=(MEMBER,)),
    PageType("topics", lambda s: "/topics"),
    PageType("topic", lambda s: "/topics/public-procurement"),
    PageType("countries", lambda s: "/countries"),
    PageType("country", lambda s: "/countries/KE"),
    PageType("region-filtered", lambda s: "/regions/africa?topic=public-procurement"),
]


@pytest.fixture(scope="module")
async def members(module_served: Served) -> AsyncIterator[list[Member]]:
    """Two members who write the thread."""
    made = [
        await register(module_served, name="Amina Diallo"),
        await register(module_served, name="Jean-Baptiste Nkurunziza"),
    ]
    yield made
    for m in made:
        await m.api.aclose()


@pytest.fixture(scope="module")
async def readers(module_served: Served) -> AsyncIterator[dict[str, Member]]:
    """A reading member per interface language (a member's setting decides it)."""
    made = {
        lang: await register(module_served, name=f"Lectrice {lang}", language=lang)
        for lang in LANGUAGES
    }
    yield made
    for m in made.values():
        await m.api.aclose()


@pytest.fixture(scope="module")
async def site(members: list[Member], readers: dict[str, Member]) -> Site:
    """A thread with every state a post can be shown in: Markdown, edited, a reply to an
    earlier post, deleted, and Arabic (right to left)."""
    author, other = members
    thread_id = await thread_with_posts(members, 6)
    posts = f"/api/v1/threads/{thread_id}/posts"
    first = (await author.api.get(f"/api/v1/threads/{thread_id}")).json()["posts"][0]["id"]
    r = await other.api.post(posts, json={"body": "Quoting the *first* post.", "reply_to": first})
    assert r.status_code == 201, r.text
    quoting = r.json()["id"]
    r = await other.api.patch(f"/api/v1/posts/{quoting}", json={"body": "Edited: *first* post."})
    assert r.status_code == 200, r.text
    r = await author.api.post(posts, json={"body": "A reply its author withdrew."})
    assert r.status_code == 201, r.text
    assert (await author.api.delete(f"/api/v1/posts/{r.json()['id']}")).status_code == 200
    r = await author.api.post(
        posts, json={"body": "نحن نراقب **المشتريات العامة** في المنطقة.", "language": "ar"}
    )
    assert r.status_code == 201, r.text
    own = {}
    for lang, reader in readers.items():
        r = await reader.api.post(posts, json={"body": "My *own* reply, before an edit."})
        assert r.status_code == 201, r.text
        own[lang] = r.json()["id"]
        r = await reader.api.patch(f"/api/v1/posts/{own[lang]}", json={"body": "My *own* reply."})
        assert r.status_code == 200, r.text
    return Site(thread_id=thread_id, post_id=quoting, own_posts=own)


def _cases() -> list[object]:
    return [
        pytest.param(page, reader, lang, screen, id=f"{page.name}-{reader}-{lang}-{screen}")
        for page in PAGES
        for reader in page.readers
        for lang in LANGUAGES
        for screen in SCREENS
    ]


def describe(violations: list[dict]) -> str:
    """One paragraph per violation: its rule, impact, help, and the elements at fault."""
    out = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:8])
        out.append(
            f"{v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]\n"
            f"    {len(v['nodes'])} element(s): {targets}"
        )
    return "\n".join(out)


async def serious_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """The serious and critical ones; the others are printed (`pytest -s` shows them)."""
    results = await axe_playwright.Axe().run(page)
    found = results.response["violations"]
    others = [v for v in found if v["impact"] not in FAILING]
    if others:
        print(f"\naxe-core, not failing, on {page.url}:\n{describe(others)}")
    return [v for v in found if v["impact"] in FAILING]


@pytest.mark.parametrize(("page_type", "reader", "lang", "screen"), _cases())
async def test_no_serious_accessibility_violation(
    module_served: Served,
    browser,
    readers: dict[str, Member],
    site: Site,
    page_type: PageType,
    reader: str,
    lang: str,
    screen: str,
) -> None:
    member = readers[lang] if reader == MEMBER else None
    context = await new_context(
        browser, module_served, member=member, viewport=SCREENS[screen], locale=lang
    )
    page = await context.new_page()
    try:
        here = replace(site, own_post_id=site.own_posts[lang])
        response = await page.goto(module_served.url + page_type.path(here))
        assert response is not None and response.status == page_type.status
        if page_type.then is not None:
            await page_type.then(page)
        assert await page.get_attribute("html", "lang") == lang  # the page is in that language
        violations = await serious_violations(page)
        if violations:
            pytest.fail(
                f"axe-core on {page.url} ({reader}, {lang}, {screen}):\n{describe(violations)}",
                pytrace=False,
            )
    finally:
        await context.close()


async def test_the_keyboard_focus_is_always_visible(
    module_served: Served, browser, site: Site
) -> None:
    """Tabbing through a thread page, every element that takes the focus draws an outline
    of at least 2 px (on the dark header too)."""
    context = await new_context(browser, module_served, viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{module_served.url}/threads/{site.thread_id}")
    seen = []
    for _ in range(12):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            """() => {
                const e = document.activeElement, s = getComputedStyle(e);
                return [e.outerHTML.slice(0, 80), s.outlineStyle, parseFloat(s.outlineWidth)];
            }"""
        )
        seen.append(focused)
    await context.close()
    # (Past the last link the focus leaves the page: the body is then the active element.)
    unseen = [
        html
        for html, style, width in seen
        if not html.startswith("<body") and (style == "none" or width < 2)
    ]
    assert unseen == []
    assert len({html for html, _, _ in seen}) > 3  # the focus did move through the page
