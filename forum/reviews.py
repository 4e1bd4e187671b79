"""Countries' UNCAC reviews: per country and review cycle, the date each stage was
reached, the reviewing States and the civil-society facts with their sources.

One way to the tables: SQLAlchemy Core on `models.ReviewCycle`, `CountryReview` and
`CountryReviewChange`. Reading is public where the country's region is readable (the
caller passes the catalog's readable countries); editing is for editors and admins
(`permissions.check_can_edit_knowledge`). Each change writes the row, a history entry
(who, when, the fields before and after), an audit entry and a `country.review_changed`
event (ids only) in one transaction; a PUT that changes nothing records nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from babel import Locale
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, events
from forum.catalog import Catalog, CountryEntry
from forum.errors import invalid, not_found
from forum.models import CountryReview, CountryReviewChange, ReviewCycle, User
from forum.permissions import Actor, check_can_edit_knowledge, region_audience

# In the order a review reaches them.
STAGES = ("self_assessment", "country_visit", "executive_summary", "full_report", "follow_up")
FACTS = ("self_assessment_published", "civil_society_consulted", "visit_met_civil_society",
         "full_report_published")  # fmt: skip
ANSWERS = ("yes", "no", "unknown")
MAX_REVIEWERS = 10
MAX_URL = 500
HISTORY = 50  # the newest changes shown per review
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$")
# ISO 3166-1 alpha-2 codes as Babel's CLDR data knows them (no new dependency).
_STATES = frozenset(c for c in Locale("en").territories if len(c) == 2 and c.isalpha())


@dataclass(frozen=True)
class Fact:
    value: str = "unknown"
    url: str | None = None


@dataclass(frozen=True)
class ReviewData:
    """What an editor sets: the whole review of one country in one cycle."""

    stages: dict[str, date | None] = field(default_factory=dict)
    reviewers: tuple[str, ...] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    demo: bool = False


@dataclass(frozen=True)
class Change:
    at: datetime
    actor_id: int | None
    actor_name: str | None
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class Review:
    cycle: int
    chapters: tuple[int, ...]
    recorded: bool  # False: nothing entered for this cycle yet
    data: ReviewData
    stage: str | None  # the latest stage reached, None before the first
    updated_at: datetime | None
    history: tuple[Change, ...] = ()


def check(data: ReviewData) -> ReviewData:
    """The data as stored, or `invalid(field, ...)` naming the first wrong field."""
    unknown = set(data.stages) - set(STAGES)
    if unknown:
        raise invalid("stages", f"Unknown stage: {sorted(unknown)[0]}.", "unknown_stage")
    if set(data.facts) - set(FACTS):
        raise invalid("facts", f"Choose among: {', '.join(FACTS)}.", "unknown_fact")
    reviewers = tuple(dict.fromkeys(code.upper() for code in data.reviewers))
    if len(reviewers) > MAX_REVIEWERS:
        raise invalid("reviewers", f"Name at most {MAX_REVIEWERS} States.", "too_many")
    if any(code not in _STATES for code in reviewers):
        raise invalid("reviewers", "Use ISO 3166-1 two-letter country codes.", "unknown_country")
    facts = {}
    for name in FACTS:
        fact = data.facts.get(name, Fact())
        if fact.value not in ANSWERS:
            raise invalid(name, "Choose yes, no or unknown.", "invalid_answer")
        url = (fact.url or "").strip() or None
        if url is not None and (len(url) > MAX_URL or not _URL.match(url)):
            raise invalid(f"{name}_url", "Give a web address starting with http:// or https://.",
                          "invalid_url")  # fmt: skip
        facts[name] = Fact(fact.value, url)
    stages = {name: data.stages.get(name) for name in STAGES}
    return ReviewData(stages, reviewers, facts, data.demo)


def columns(data: ReviewData) -> dict[str, Any]:
    values: dict[str, Any] = {f"{s}_on": data.stages.get(s) for s in STAGES}
    values["reviewers"] = list(data.reviewers)
    for name, fact in data.facts.items():
        values[name], values[f"{name}_url"] = fact.value, fact.url
    values["demo"] = data.demo
    return values


def _data(row: Any) -> ReviewData:
    return ReviewData(
        {s: getattr(row, f"{s}_on") for s in STAGES}, tuple(row.reviewers),
        {f: Fact(getattr(row, f), getattr(row, f"{f}_url")) for f in FACTS}, row.demo,
    )  # fmt: skip


def stage_reached(data: ReviewData, today: date) -> str | None:
    """The latest stage whose date has come; a date ahead is planned, not reached."""
    reached = [s for s in STAGES if (on := data.stages.get(s)) is not None and on <= today]
    return reached[-1] if reached else None


async def _today(session: AsyncConnection) -> date:
    return (await session.execute(select(func.current_date()))).scalar_one()


async def stage_by_country(session: AsyncConnection, cycle: int) -> dict[str, str]:
    """The latest stage each country reached in `cycle` (for the map); countries with
    nothing reached yet are left out. Public data: the caller keeps to readable countries."""
    # Uses index: ix_country_reviews_cycle
    rows = await session.execute(select(CountryReview).where(CountryReview.cycle == cycle))
    today = await _today(session)
    found = {row.country_code: stage_reached(_data(row), today) for row in rows}
    return {code: stage for code, stage in found.items() if stage is not None}


async def cycles(session: AsyncConnection) -> list[tuple[int, tuple[int, ...]]]:
    rows = await session.execute(select(ReviewCycle).order_by(ReviewCycle.number))
    return [(r.number, tuple(r.chapters)) for r in rows]


def _country(catalog: Catalog, actor: Actor, code: str) -> CountryEntry:
    found = next((c for c in catalog.readable_countries(actor) if c.code == code.upper()), None)
    if found is None:
        raise not_found("country")
    return found


async def for_country(
    session: AsyncConnection, actor: Actor, catalog: Catalog, code: str
) -> list[Review]:
    """Every cycle's review of a country the actor may read (an empty one where nothing
    is recorded), oldest cycle first, each with its newest changes."""
    country = _country(catalog, actor, code)
    rows = {
        r.cycle: r
        for r in await session.execute(
            select(CountryReview).where(CountryReview.country_code == country.code)
        )
    }
    history: dict[int, list[Change]] = {}
    if rows:
        ranked = (
            select(
                CountryReviewChange.review_id, CountryReviewChange.at,
                CountryReviewChange.actor_id, User.display_name.label("actor_name"),
                CountryReviewChange.before, CountryReviewChange.after,
                func.row_number().over(
                    partition_by=CountryReviewChange.review_id,
                    order_by=(CountryReviewChange.at.desc(), CountryReviewChange.id.desc()),
                ).label("n"),
            )
            .outerjoin(User, User.id == CountryReviewChange.actor_id)
            .where(CountryReviewChange.review_id.in_([r.id for r in rows.values()]))
            .subquery()
        )  # fmt: skip
        for c in await session.execute(
            select(ranked).where(ranked.c.n <= HISTORY).order_by(ranked.c.n)
        ):
            history.setdefault(c.review_id, []).append(
                Change(c.at, c.actor_id, c.actor_name, c.before, c.after)
            )
    today = await _today(session)
    found = []
    for number, chapters in await cycles(session):
        row = rows.get(number)
        if row is None:
            found.append(Review(number, chapters, False, check(ReviewData()), None, None))
            continue
        data = _data(row)
        found.append(Review(number, chapters, True, data, stage_reached(data, today),
                            row.updated_at, tuple(history.get(row.id, ()))))  # fmt: skip
    return found


async def set_review(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    code: str,
    cycle: int,
    data: ReviewData,
) -> Review:
    """Set a country's review in one cycle, whole; the review as it is now."""
    check_can_edit_knowledge(actor)
    country = _country(catalog, actor, code)
    known = dict(await cycles(session))
    if cycle not in known:
        raise not_found("cycle")
    data = check(data)
    wanted = columns(data)
    row = (
        await session.execute(
            select(CountryReview)
            .where(CountryReview.country_code == country.code, CountryReview.cycle == cycle)
            .with_for_update()
        )
    ).first()
    was = columns(_data(row)) if row is not None else columns(check(ReviewData()))
    changed = {k for k in wanted if wanted[k] != was[k]}
    if row is None:
        review_id = (
            await session.execute(
                insert(CountryReview)
                .values(country_code=country.code, cycle=cycle, **wanted)
                .returning(CountryReview.id)
            )
        ).scalar_one()
    elif changed:
        review_id = row.id
        await session.execute(
            update(CountryReview)
            .where(CountryReview.id == review_id)
            .values(**wanted, updated_at=func.now())
        )
    if row is None or changed:
        before = {k: _plain(was[k]) for k in sorted(changed)}
        after = {k: _plain(wanted[k]) for k in sorted(changed)}
        await session.execute(
            insert(CountryReviewChange).values(
                review_id=review_id, actor_id=actor.user_id, before=before, after=after
            )
        )
        region = catalog.region_by_id(country.region_id)
        assert region is not None
        await audit.record(session, actor, "review.edit", ("review", review_id),
                           region_id=region.id, before=before, after=after)  # fmt: skip
        await events.append(
            session, "country.review_changed", [f"region:{region.slug}"],
            region_audience(region.visibility), {"country": country.code, "cycle": cycle},
        )  # fmt: skip
    reviews = await for_country(session, actor, catalog, country.code)
    return next(r for r in reviews if r.cycle == cycle)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def as_dict(review: Review) -> dict[str, Any]:
    """A review in JSON's terms (dates as ISO strings), for the API."""
    return {
        "cycle": review.cycle,
        "chapters": list(review.chapters),
        "recorded": review.recorded,
        "stage": review.stage,
        "stages": {s: _plain(review.data.stages.get(s)) for s in STAGES},
        "reviewers": list(review.data.reviewers),
        "facts": {name: asdict(fact) for name, fact in review.data.facts.items()},
        "demo": review.data.demo,
        "updated_at": review.updated_at,
        "history": [asdict(c) for c in review.history],
    }
