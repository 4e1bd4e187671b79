"""axe-core (through `axe-playwright-python`) in Chromium over every page type, as a
visitor and as a member, in English and French, on a desktop and on a 360-pixel phone:
no serious or critical violation.

Every page type is one line of PAGES: a new page is covered by adding its line there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from forum import (
    affiliations,
    catalog,
    demo_reviews,
    experiences,
    news,
    organisations,
    resources,
    sessions,
)
from forum.db import Database
from forum.experiences import Story
from forum.mail import tokens, unsubscribe
from forum.models import Role
from forum.organisation_fields import Activity, Profile
from forum.permissions import Actor
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
VISITOR, MEMBER, APPLICANT = "visitor", "member", "applicant"
MODERATOR, ADMIN = "moderator", "admin"  # the moderator moderates Africa, the thread's region
STAFF = (MODERATOR, ADMIN)
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("en", "fr")


@dataclass
class Site:
    """What the pages show: made once per module, through the API."""

    thread_id: int
    post_id: int  # an edited reply that quotes the first post
    own_posts: dict[str, int]  # per language: a post by that reading member, edited once
    own_post_id: int = 0  # the current reader's (set per test)
    experience_id: int = 0  # told and edited once by the readers' organisation
    verify_links: list[str] = field(default_factory=list)  # each opens once
    reset_link: str = ""  # usable until a password is saved through it
    application_id: int = 0  # an applicant's, naming the readers' organisation
    case_id: int = 0  # a reported post's open case, in africa
    member_id: int = 0  # a member the staff may suspend
    event_id: int = 0  # a published calendar event, in africa
    news_id: int = 0  # a published news item


ORGANISATION = "ligue-transparence"  # verified; the reading members are its representatives
OTHER_ORGANISATION = "haki-watch"  # nobody's: a member sees the form to join it
SECRET = "k" * 40  # `module_served`'s


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


def _form_error(form: str, fields: dict[str, str]) -> Callable[[Page], Awaitable[None]]:
    """`form` sent with `fields` as a browser that checks nothing itself would (the
    server's answer is what is tested): the page again, the error by its field."""

    async def send(page: Page) -> None:
        await page.eval_on_selector(form, "f => { f.noValidate = true; }")
        for name, value in fields.items():
            await page.fill(f"{form} [name={name}]", value)
        async with page.expect_navigation():
            await page.click(f"{form} button")
        await expect(page.locator("main [aria-invalid=true], main .error").first).to_be_visible()

    return send


async def _unfold(page: Page) -> None:
    """Every moderator's reason field open, as a moderator about to give one sees it."""
    await page.eval_on_selector_all("main details.reason", "ds => ds.forEach(d => d.open = true)")


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
    # A news item and a resource, each with its own result line.
    PageType("search-hub", lambda s: "/search?q=saly%20OR%20guide"),
    PageType("not-found", lambda s: "/threads/999999999", status=404),
    PageType("login", lambda s: "/login", readers=(VISITOR,)),
    PageType("login-refused", lambda s: "/login", readers=(VISITOR,), then=_wrong_login),
    PageType("register", lambda s: "/register", readers=(VISITOR,)),
    PageType("settings", lambda s: "/settings", readers=(MEMBER,)),
    PageType("sessions", lambda s: "/settings/sessions", readers=(MEMBER,)),
    PageType("notifications", lambda s: "/notifications", readers=(MEMBER,)),
    PageType("following", lambda s: "/following", readers=(MEMBER,)),
    PageType("member-profile", lambda s: "/members/amina_diallo"),  # "Amina Diallo"'s
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
    PageType("map", lambda s: "/map"),
    PageType("map-region", lambda s: "/map?region=africa"),
    PageType("country-events", lambda s: "/countries/SN"),
    PageType("region-filtered", lambda s: "/regions/africa?topic=public-procurement"),
    PageType("organisations", lambda s: "/organisations"),
    PageType("organisations-filtered", lambda s: "/organisations?country=SN"),
    PageType("organisation", lambda s: f"/organisations/{ORGANISATION}"),
    PageType("organisation-to-join", lambda s: f"/organisations/{OTHER_ORGANISATION}"),
    PageType(
        "organisation-unknown-colleague",
        lambda s: f"/organisations/{ORGANISATION}",
        readers=(MEMBER,),
        then=_form_error("form[action$='/members']", {"display_name": "Nobody by that name"}),
    ),
    PageType("organisation-edit", lambda s: f"/organisations/{ORGANISATION}/edit", (MEMBER,)),
    PageType(
        "organisation-edit-refused",
        lambda s: f"/organisations/{ORGANISATION}/edit",
        readers=(MEMBER,),
        then=_form_error("main form", {"languages": "French and Wolof"}),
    ),
    PageType("experiences", lambda s: "/experiences"),
    PageType("events", lambda s: "/events"),
    PageType("events-past", lambda s: "/events/past?region=africa"),
    PageType("event", lambda s: f"/events/{s.event_id}"),
    PageType("event-decide", lambda s: f"/events/{s.event_id}", STAFF),
    PageType("event-new", lambda s: "/events/new", (MEMBER,)),
    PageType(
        "event-new-refused",
        lambda s: "/events/new",
        readers=(MEMBER,),
        then=_form_error("main form", {"title": "T", "time_zone": "Nowhere/Else"}),
    ),
    PageType("event-edit", lambda s: f"/events/{s.event_id}/edit", (ADMIN,)),
    PageType(
        "event-edit-refused",
        lambda s: f"/events/{s.event_id}/edit",
        readers=(ADMIN,),
        then=_form_error("main form", {"time_zone": "Nowhere/Else"}),
    ),
    PageType(
        "event-decline-refused",
        lambda s: f"/events/{s.event_id}",
        readers=(MODERATOR,),
        then=_form_error("main form[action$='/decline']", {"reason": " "}),
    ),
    PageType("experiences-filtered", lambda s: "/experiences?country=SN"),
    PageType("experience", lambda s: f"/experiences/{s.experience_id}"),
    PageType(
        "experience-new", lambda s: f"/experiences/new?organisation={ORGANISATION}", (MEMBER,)
    ),
    PageType(
        "experience-new-refused",
        lambda s: f"/experiences/new?organisation={ORGANISATION}",
        readers=(MEMBER,),
        then=_form_error("main form", {"title": "A story", "uncac_articles": "99"}),
    ),
    PageType("experience-edit", lambda s: f"/experiences/{s.experience_id}/edit", (MEMBER,)),
    PageType(
        "experience-edit-refused",
        lambda s: f"/experiences/{s.experience_id}/edit",
        readers=(MEMBER,),
        then=_form_error("main form", {"year": "soon"}),
    ),
    PageType(
        "experience-revisions", lambda s: f"/experiences/{s.experience_id}/revisions", (MEMBER,)
    ),
    PageType("news", lambda s: "/news"),
    PageType("news-region", lambda s: "/news?region=africa"),
    PageType("news-item", lambda s: f"/news/{s.news_id}"),
    PageType("news-new", lambda s: "/news/new", readers=(MEMBER,)),
    PageType(
        "news-new-refused",
        lambda s: "/news/new",
        readers=(MEMBER,),
        then=_form_error("main form", {"title": "A story", "source_url": "not a link"}),
    ),
    PageType("news-edit", lambda s: f"/news/{s.news_id}/edit", readers=(ADMIN,)),
    PageType(
        "news-edit-refused",
        lambda s: f"/news/{s.news_id}/edit",
        readers=(ADMIN,),
        then=_form_error("main form", {"source_url": "not a link"}),
    ),
    PageType("resources", lambda s: "/resources"),
    PageType("resources-filtered", lambda s: "/resources?kind=guide&country=SN"),
    PageType("resource-new", lambda s: "/resources/new", readers=(ADMIN,)),
    PageType(
        "resource-new-refused",
        lambda s: "/resources/new",
        readers=(ADMIN,),
        then=_form_error("main form", {"title": "A guide", "url": "not a link"}),
    ),
    PageType("verified", lambda s: s.verify_links.pop(), readers=(VISITOR,)),
    PageType("verify-unusable", lambda s: "/verify/spent", readers=(VISITOR,), status=400),
    PageType(
        "unsubscribe",
        lambda s: "/unsubscribe/" + unsubscribe.token(SECRET, s.member_id),
        readers=(VISITOR,),
    ),
    PageType("unsubscribe-unusable", lambda s: "/unsubscribe/forged", (VISITOR,), status=400),
    PageType("password-forgot", lambda s: "/password/forgot", readers=(VISITOR,)),
    PageType("password-forgot-sent", lambda s: "/password/forgot?sent=1", readers=(VISITOR,)),
    PageType(
        "password-forgot-refused",
        lambda s: "/password/forgot",
        readers=(VISITOR,),
        then=_form_error("main form", {"email": "not an address"}),
    ),
    PageType("password-reset", lambda s: s.reset_link, readers=(VISITOR,)),
    PageType(
        "password-reset-refused",
        lambda s: s.reset_link,
        readers=(VISITOR,),
        then=_form_error("main form", {"new_password": "short"}),
    ),
    PageType("password-reset-unusable", lambda s: "/password/reset/spent", (VISITOR,), status=400),
    PageType("password-changed", lambda s: "/password/changed", readers=(VISITOR,)),
    PageType("apply", lambda s: "/apply", readers=(APPLICANT,)),
    PageType(
        "apply-refused",
        lambda s: "/apply",
        readers=(APPLICANT,),
        then=_form_error("form[action='/apply']", {"motivation": " "}),
    ),
    PageType("applications", lambda s: "/applications", readers=(MEMBER,)),
    PageType("applications-decided", lambda s: "/applications?status=approved", (MEMBER,)),
    PageType("application-refuse", lambda s: f"/applications/{s.application_id}/refuse", (MEMBER,)),
    PageType(
        "application-refuse-refused",
        lambda s: f"/applications/{s.application_id}/refuse",
        readers=(MEMBER,),
        then=_form_error("main form", {"reason": " "}),
    ),
    PageType("flag", lambda s: f"/posts/{s.post_id}/flag", readers=(MEMBER,)),
    PageType(
        "flag-refused",
        lambda s: f"/posts/{s.post_id}/flag",
        readers=(MEMBER,),
        then=_form_error("main form", {"text": " "}),
    ),
    PageType("moderation", lambda s: "/moderation", readers=(MODERATOR,)),
    PageType("flag-queue", lambda s: "/regions/africa/flags", readers=(MODERATOR,)),
    PageType("approval-queue", lambda s: "/regions/africa/approvals", readers=(MODERATOR,)),
    PageType("flag-case", lambda s: f"/flag-cases/{s.case_id}", readers=(MODERATOR,)),
    PageType(
        "flag-case-refused",
        lambda s: f"/flag-cases/{s.case_id}",
        readers=(MODERATOR,),
        then=_form_error("form[action$='/resolve']", {"reason": " "}),
    ),
    # The staff's pages, and a thread page with its moderator controls (reasons unfolded).
    PageType("audit", lambda s: "/audit", readers=STAFF),
    PageType("audit-filtered", lambda s: "/audit?action=post.hide", readers=STAFF),
    PageType("moderators", lambda s: "/admin/moderators", readers=(ADMIN,)),
    PageType("country-review", lambda s: "/countries/SN#review-1"),
    PageType("review-edit", lambda s: "/countries/SN/reviews/1/edit", readers=(ADMIN,)),
    PageType(
        "review-edit-refused",
        lambda s: "/countries/SN/reviews/1/edit",
        readers=(ADMIN,),
        then=_form_error("main form", {"reviewers": "XX"}),
    ),
    PageType("suspend", lambda s: f"/users/{s.member_id}/suspend", readers=STAFF),
    PageType("applications-staff", lambda s: "/applications", readers=STAFF),
    PageType("thread-moderated", lambda s: f"/threads/{s.thread_id}", STAFF, then=_unfold),
    PageType("split", lambda s: f"/threads/{s.thread_id}/split?post={s.post_id}", STAFF),
    PageType(
        "split-refused",
        lambda s: f"/threads/{s.thread_id}/split?post={s.post_id}",
        readers=STAFF,
        then=_form_error("main form", {"title": " "}),
    ),
    PageType("merge", lambda s: f"/threads/{s.thread_id}/merge", readers=STAFF),
    PageType(
        "merge-refused",
        lambda s: f"/threads/{s.thread_id}/merge",
        readers=STAFF,
        then=_form_error("main form", {"into": "nowhere"}),
    ),
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
async def applicants(module_served: Served) -> AsyncIterator[dict[str, Member]]:
    """A registered applicant per interface language, not yet approved."""
    made = {
        lang: await register(module_served, name=f"Candidate {lang}", language=lang, approved=False)
        for lang in LANGUAGES
    }
    yield made
    for m in made.values():
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


async def _organisations_and_links(
    database_url: str, readers: dict[str, Member], members: list[Member]
) -> tuple[int, list[str], str]:
    """Two organisations (the readers represent the first, which tells an experience and
    edits it once) and the links a message would carry: an experience id, verification
    links (one per page shown, each for its own account: confirming an address spends
    the account's other links) and a reset link."""
    admin = Actor(10**6, Role.ADMIN)
    writer = Actor(readers["en"].user_id, Role.MEMBER)
    db = Database(database_url, pool_size=1)
    digest = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2)).digest
    try:
        async with db.transaction() as s:
            known = await catalog.load(s)
            profile = Profile(
                "Ligue pour la transparence", "SN", "ngo", website="https://ligue.example.org",
                email="contact@ligue.example.org", email_visibility="public",
                phone="+221 33 800 0000", description="Suivi des marchés publics à Dakar.",
                languages=("fr", "wo"), topics=("public-procurement",), uncac_chapters=(2,),
                uncac_articles=(9, 13),
                activities=(Activity("Observatoire des marchés", date(2021, 3, 1)),),
            )  # fmt: skip
            await organisations.create(s, admin, known, ORGANISATION, profile, verified=True)
            await demo_reviews.load(s)  # SN's review in both cycles
            other = Profile("Haki Watch", "KE", "network")
            await organisations.create(s, admin, known, OTHER_ORGANISATION, other)
            for reader in readers.values():
                await affiliations.affiliate(s, admin, known, ORGANISATION, user_id=reader.user_id,
                                             role="representative", shown=True)  # fmt: skip
            story = Story(
                "Moto-taxi drivers refuse to pay", countries=("SN",), uncac_articles=(13, 15),
                context="Drivers paid at *every* checkpoint.", action="A hotline.", year=2019,
            )  # fmt: skip
            told = await experiences.create(s, writer, known, ORGANISATION, story)
            await experiences.update_story(s, writer, known, told.id, {"outcome": "Fewer bribes."})
            await resources.create(s, admin, known, resources.Entry(
                "Guide to the review mechanism", "https://example.org/guide", "guide",
                "For CSOs.", ("en", "fr"), ("SN",)))  # fmt: skip
            accounts = [m.user_id for m in [*members, *readers.values()]]
            assert len(accounts) >= len(LANGUAGES) * len(SCREENS)
            verify = [
                "/verify/" + await tokens.issue(s, digest, account, tokens.Purpose.VERIFY,
                                                timedelta(hours=1))
                for account in accounts[: len(LANGUAGES) * len(SCREENS)]
            ]  # fmt: skip
            reset = await tokens.issue(
                s, digest, members[0].user_id, tokens.Purpose.RESET, timedelta(hours=1)
            )
    finally:
        await db.dispose()
    return told.id, verify, "/password/reset/" + reset


@pytest.fixture(scope="module")
async def site(
    members: list[Member],
    readers: dict[str, Member],
    applicants: dict[str, Member],
    module_database_url: str,
) -> Site:
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
    experience_id, verify, reset = await _organisations_and_links(
        module_database_url, readers, members
    )
    application = {"country": "SN", "organisation": ORGANISATION,
                   "motivation": "Je suis les *marchés publics* à Thiès."}  # fmt: skip
    for applicant in applicants.values():
        r = await applicant.api.put("/api/v1/auth/me/application", json=application)
        assert r.status_code == 200, r.text
    application_id = r.json()["id"]
    reported = {"reason": "other", "text": "It names a witness."}
    r = await readers["en"].api.post(f"/api/v1/posts/{first}/flags", json=reported)
    assert r.status_code == 201, r.text
    event = {"title": "Saly workshop", "region": "africa", "starts": "2099-05-14T09:00",
             "ends": "2099-05-16T17:00", "time_zone": "Africa/Dakar", "place": "Saly",
             "description": "Three days on *parallel reports*.", "country": "SN"}  # fmt: skip
    made = await readers["en"].api.post("/api/v1/events", json=event)
    assert made.status_code == 201, made.text
    db = Database(module_database_url, pool_size=1)
    try:
        async with db.transaction() as s:
            case_id = await s.scalar(text("SELECT case_id FROM flags WHERE id = :f"),
                                     {"f": r.json()["id"]})  # fmt: skip
            # Published as an editor would (the pages shown, not the decision, are tested).
            await s.execute(text("UPDATE calendar_events SET status = 'published' WHERE id = :e"),
                            {"e": made.json()["id"]})  # fmt: skip
            article = news.Article("Des OSC au cœur de l'examen", "Le Soleil",
                                   "https://example.org/a", date(2018, 5, 25), "africa",
                                   "Un atelier à Saly.", ("SN",), language="fr")  # fmt: skip
            published = await news.create(s, Actor(10**6, Role.ADMIN), await catalog.load(s),
                                          article)  # fmt: skip
    finally:
        await db.dispose()
    return Site(thread_id, quoting, own, experience_id=experience_id, verify_links=verify,
                reset_link=reset, application_id=application_id, case_id=case_id,
                member_id=other.user_id, event_id=made.json()["id"],
                news_id=published.id)  # fmt: skip


@pytest.fixture(scope="module")
async def staff(
    module_served: Served, module_database_url: str, site: Site
) -> AsyncIterator[dict[str, dict[str, Member]]]:
    """A moderator of Africa and an admin per interface language; the audit log holds
    their actions (a post hidden and shown again, a member suspended and reinstated)."""
    made = {
        role: {
            lang: await register(module_served, name=f"{role.title()} {lang}", language=lang)
            for lang in LANGUAGES
        }
        for role in STAFF
    }
    db = Database(module_database_url, pool_size=1)
    try:
        async with db.transaction() as s:
            for role, members in made.items():
                for m in members.values():
                    await s.execute(text("UPDATE users SET role = :r WHERE id = :u"),
                                    {"r": role, "u": m.user_id})  # fmt: skip
            for m in made[MODERATOR].values():
                await s.execute(text("INSERT INTO moderated_regions SELECT :u, id FROM regions "
                                     "WHERE slug = 'africa'"), {"u": m.user_id})  # fmt: skip
    finally:
        await db.dispose()
    moderator = made[MODERATOR]["en"].api
    for verb in ("hide", "show"):
        r = await moderator.post(f"/api/v1/posts/{site.post_id}/{verb}", json={"reason": "Checked"})
        assert r.status_code == 200, r.text
    for verb, body in (("suspend", {"reason": "Spam links"}), ("reinstate", {})):
        r = await moderator.post(f"/api/v1/users/{site.member_id}/{verb}", json=body)
        assert r.status_code == 200, r.text
    yield made
    for members in made.values():
        for m in members.values():
            await m.api.aclose()


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


async def serious_violations(page, every: bool = False) -> list[dict]:  # type: ignore[no-untyped-def]
    """The serious and critical ones (`every`: all of them); the others are printed
    (`pytest -s` shows them)."""
    results = await axe_playwright.Axe().run(page)
    found = results.response["violations"]
    others = [v for v in found if v["impact"] not in FAILING]
    if others and not every:
        print(f"\naxe-core, not failing, on {page.url}:\n{describe(others)}")
    return [v for v in found if every or v["impact"] in FAILING]


@pytest.mark.parametrize(("page_type", "reader", "lang", "screen"), _cases())
async def test_no_serious_accessibility_violation(
    module_served: Served,
    browser,
    readers: dict[str, Member],
    applicants: dict[str, Member],
    staff: dict[str, dict[str, Member]],
    site: Site,
    page_type: PageType,
    reader: str,
    lang: str,
    screen: str,
) -> None:
    member = {MEMBER: readers, APPLICANT: applicants, **staff}.get(reader, {}).get(lang)
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
        # The staff's pages are new and held to none at all.
        violations = await serious_violations(page, every=reader in STAFF)
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
