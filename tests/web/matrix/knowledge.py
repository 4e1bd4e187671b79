"""Rows: the knowledge hub's read paths (`forum.calendar_events`, `forum.news`,
`forum.reviews`). A proposal (an event or a news item a member proposed) is read by its
proposer (none of the roles here) and those who may decide it: editors, the region's
moderators and admins; nobody else, on any path, and never in a shared feed. What is
published in a members-only region is read by its readers only (members, editors,
moderators, admins) on the API and the pages; the region has no iCalendar or Atom feed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from forum import calendar_events, catalog, news, reviews
from forum.models import Role
from tests.web.matrix.harness import (
    ADMIN,
    CREATED,
    EDITOR,
    HERE,
    MEMBERS,
    OK,
    SEEN,
    UNSEEN,
    Make,
    Outcome,
    Row,
    Target,
    World,
    api,
    canary_word,
    no_target,
    nothing_to_the_refused,
    page,
    readers,
    sql,
    writers,
)

# A proposal's readers: those who may decide it.
DECIDERS = (EDITOR, HERE, ADMIN)


def _read_by(who: tuple[str, ...], missing: str) -> dict[str, Outcome]:
    """Seen by `who`; anyone else is told there is no such thing (404), and sees nothing."""
    return nothing_to_the_refused(readers(SEEN, Outcome(404, missing), *who))


def _page_read_by(who: tuple[str, ...]) -> dict[str, Outcome]:
    return readers(SEEN, Outcome(404, sees=False), *who)


def event_target(*, region: str = "africa", published: bool = False) -> Make:
    """An event a member (none of the roles) proposed, its title the canary; published
    by the operator if `published`."""

    async def make(world: World, role: str) -> Target:
        canary = canary_word("quagga")
        proposer = await world.make.user()
        starts = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(days=30)
        details = calendar_events.Details(
            title=f"Workshop {canary}", region=region, starts=starts,
            ends=starts + timedelta(hours=3), time_zone="Africa/Dakar",
            description=f"The {canary} workshop.", online=True,
        )  # fmt: skip
        async with world.db.transaction() as s:
            known = await catalog.load(s)
            view = await calendar_events.propose(s, proposer["actor"], known, details)
            if published:
                await calendar_events.publish_as_operator(s, known, view.id)
        return Target(str(view.id), canary, [("calendar_events", view.id)])

    return make


def news_target(*, region: str = "africa", published: bool = False) -> Make:
    """A news item a member (none of the roles) proposed, or an editor published, its
    title the canary."""

    async def make(world: World, role: str) -> Target:
        canary = canary_word("serval")
        writer = await world.make.user(Role.EDITOR if published else Role.MEMBER)
        article = news.Article(
            title=f"Platform {canary} in the news", source_name="The Daily",
            source_url="https://news.example.org/a", published_on=date.today(), region=region,
        )  # fmt: skip
        async with world.db.transaction() as s:
            view = await news.create(s, writer["actor"], await catalog.load(s), article)
        return Target(str(view.id), canary, [("news", view.id)])

    return make


async def members_only_review(world: World, role: str) -> Target:
    """Greenland, in the members-only region, its first cycle's review citing the canary."""
    canary = canary_word("narwhal")
    await sql(
        world,
        "INSERT INTO countries (code, name, region_id) SELECT 'GL', 'Greenland', id "
        "FROM regions WHERE slug = 'staff-room' ON CONFLICT DO NOTHING",
    )
    for _ in range(200):  # the server's catalog takes the country in from its event
        r = await world.clients[ADMIN].get("/api/v1/countries/GL/reviews")
        if r.status_code == 200:
            break
        await asyncio.sleep(0.05)
    data = reviews.ReviewData(
        stages={"self_assessment": date(2024, 3, 1)},
        facts={"self_assessment_published": reviews.Fact("yes", f"https://x.example/{canary}")},
    )
    admin = world.users[ADMIN]
    async with world.db.transaction() as s:
        await reviews.set_review(s, admin["actor"], await catalog.load(s), "GL", 1, data)
    return Target("GL", canary)


EVENT_NOT_FOUND, NEWS_NOT_FOUND = "event_not_found", "news_not_found"
# The knowledge pages' curators: editors and admins.
CURATORS = {**writers(Outcome(403, "editors_only")), EDITOR: CREATED, ADMIN: CREATED}


def deciders(missing: str) -> dict[str, Outcome]:
    """Deciding a proposal: those who may (editors, the region's moderators, admins);
    to anyone else it is not there."""
    return readers(OK, Outcome(404, missing), *DECIDERS)


REVIEW = {"stages": {"self_assessment": "2024-03-01"}, "facts": {}}
RESOURCE = {"title": "The Convention", "url": "https://www.unodc.org/uncac",
            "kind": "convention_text"}  # fmt: skip
NEVER = readers(UNSEEN, UNSEEN)
# A feed is what a visitor reads (a feed reader carries no cookie): a members-only region
# has none, whoever asks.
FEED_OF_NO_REGION = readers(UNSEEN, Outcome(404, sees=False))

ROWS = [
    # A proposed event: its deciders, on every path; never in the region's shared feed.
    Row("event, proposed", event_target(), api("GET", "/events/{}"),
        _read_by(DECIDERS, EVENT_NOT_FOUND)),
    Row("page: event, proposed", event_target(), page("GET", "/events/{}"),
        _page_read_by(DECIDERS)),
    Row("event, proposed, iCalendar", event_target(), page("GET", "/events/{}.ics"),
        _page_read_by(DECIDERS)),
    Row("events listed, proposed", event_target(), api("GET", "/events?status=proposed&limit=100"),
        readers(SEEN, UNSEEN, *DECIDERS)),
    Row("region's calendar feed, proposed", event_target(),
        page("GET", "/regions/africa/events.ics"),
        NEVER),
    # A published event of the members-only region: its readers.
    Row("event, members-only region", event_target(region="staff-room", published=True),
        api("GET", "/events/{}"), _read_by(MEMBERS, EVENT_NOT_FOUND)),
    Row("page: event, members-only region", event_target(region="staff-room", published=True),
        page("GET", "/events/{}"), _page_read_by(MEMBERS)),
    Row("event, members-only region, iCalendar",
        event_target(region="staff-room", published=True),
        page("GET", "/events/{}.ics"), _page_read_by(MEMBERS)),
    Row("region's calendar feed, members-only region",
        event_target(region="staff-room", published=True),
        page("GET", "/regions/staff-room/events.ics"), FEED_OF_NO_REGION),
    # A proposed news item, as a proposed event; never in the region's Atom feed.
    Row("news, proposed", news_target(), api("GET", "/news/{}"),
        _read_by(DECIDERS, NEWS_NOT_FOUND)),
    Row("page: news, proposed", news_target(), page("GET", "/news/{}"), _page_read_by(DECIDERS)),
    Row("news listed, proposed", news_target(), api("GET", "/news?status=proposed&limit=100"),
        readers(SEEN, UNSEEN, *DECIDERS)),
    Row("page: news listed, proposed", news_target(), page("GET", "/news"),
        readers(SEEN, UNSEEN, *DECIDERS)),
    Row("region's Atom feed, proposed", news_target(), page("GET", "/regions/africa/news.atom"),
        NEVER),
    # Published news of the members-only region: its readers.
    Row("news, members-only region", news_target(region="staff-room", published=True),
        api("GET", "/news/{}"), _read_by(MEMBERS, NEWS_NOT_FOUND)),
    Row("page: news, members-only region", news_target(region="staff-room", published=True),
        page("GET", "/news/{}"), _page_read_by(MEMBERS)),
    Row("region's Atom feed, members-only region",
        news_target(region="staff-room", published=True),
        page("GET", "/regions/staff-room/news.atom"), FEED_OF_NO_REGION),
    # A country of the members-only region: its review is its readers'.
    Row("country review, members-only region", members_only_review,
        api("GET", "/countries/{}/reviews"), _read_by(MEMBERS, "country_not_found")),
    Row("page: country, members-only region", members_only_review,
        page("GET", "/countries/{}"), _page_read_by(MEMBERS)),
    # The curators' and deciders' actions.
    Row("review edit", no_target, api("PUT", "/countries/SN/reviews/1", lambda t: REVIEW),
        {**CURATORS, EDITOR: OK, ADMIN: OK}),
    Row("resource add", no_target, api("POST", "/resources", lambda t: RESOURCE), CURATORS),
    Row("event publish", event_target(), api("POST", "/events/{}/publish"),
        deciders(EVENT_NOT_FOUND)),
    Row("news approve", news_target(), api("POST", "/news/{}/approve"),
        deciders(NEWS_NOT_FOUND)),
]  # fmt: skip
