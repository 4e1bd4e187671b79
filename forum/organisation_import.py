"""`forum import-organisations FILE.csv`: load an existing list of organisations.

One row per organisation, a header naming the columns (any order):
`slug,name,country,kind` are required; `website,email,email_visibility,phone,
phone_visibility,description,languages,topics,uncac_chapters,uncac_articles,verified`
are optional. Lists (languages, topic slugs, UNCAC chapters and articles) are separated
by `;`. `country` is an ISO 3166-1 alpha-2 code from the countries table; `verified` is
yes/no (left out or empty: unchanged, new ones unverified). Activities are not imported.

Every row is checked first, each error reported with its line number; one bad row and
nothing is written. Rows are matched by slug, so importing the same file twice changes
nothing the second time (an unchanged row appends no event). `dry_run` checks and
counts, and writes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import organisations
from forum.catalog import Catalog
from forum.errors import DomainError
from forum.models import Organisation
from forum.organisation_fields import Profile, check_profile, check_slug
from forum.permissions import Actor

MAX_ROWS = 10_000
REQUIRED = ("slug", "name", "country", "kind")
OPTIONAL = (
    "website", "email", "email_visibility", "phone", "phone_visibility", "description",
    "languages", "topics", "uncac_chapters", "uncac_articles", "verified",
)  # fmt: skip
_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "": None}


@dataclass(frozen=True)
class Row:
    line: int
    slug: str
    profile: Profile
    verified: bool | None


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line 4: country: Unknown ..."


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _numbers(value: str, name: str) -> tuple[int, ...]:
    items = _list(value)
    if not all(i.isascii() and i.isdigit() and len(i) < 4 for i in items):
        raise ValueError(f"{name}: use whole numbers separated by ;")
    return tuple(int(i) for i in items)


def _row(values: dict[str, str], catalog: Catalog) -> tuple[str, Profile, bool | None]:
    def get(name: str, default: str = "") -> str:
        return (values.get(name) or default).strip()

    if get("verified").lower() not in _YES:
        raise ValueError("verified: use yes or no")
    profile = Profile(
        name=get("name"),
        country=get("country"),
        kind=get("kind").lower(),
        website=get("website") or None,
        email=get("email") or None,
        email_visibility=get("email_visibility", "members").lower(),
        phone=get("phone") or None,
        phone_visibility=get("phone_visibility", "private").lower(),
        description=values.get("description") or "",
        languages=tuple(x.lower() for x in _list(get("languages"))),
        topics=_list(get("topics")),
        uncac_chapters=_numbers(get("uncac_chapters"), "uncac_chapters"),
        uncac_articles=_numbers(get("uncac_articles"), "uncac_articles"),
    )
    return check_slug(get("slug")), check_profile(profile, catalog), _YES[get("verified").lower()]


def parse(text: str, catalog: Catalog) -> tuple[list[Row], list[str]]:
    """The rows, and every error with its line number (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = [f"missing columns: {', '.join(missing)}"] if missing else []
        problems += [f"unknown columns: {', '.join(unknown)}"] if unknown else []
        return [], [f"line 1: {'; '.join(problems)}"]
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    try:
        for values in reader:
            start, line = line + 1, reader.line_num
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append(f"line {start}: more than {MAX_ROWS} rows; split the file")
                break
            if None in values:
                errors.append(f"line {start}: more values than columns")
                continue
            try:
                slug, profile, verified = _row(values, catalog)
            except DomainError as exc:
                detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
                errors.append(f"line {start}: {detail}")
                continue
            except ValueError as exc:
                errors.append(f"line {start}: {exc}")
                continue
            if slug in seen:
                errors.append(f"line {start}: slug {slug} is on line {seen[slug]} already")
                continue
            seen[slug] = start
            rows.append(Row(start, slug, profile, verified))
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: {exc}")
    return rows, errors


async def run(
    session: AsyncConnection, actor: Actor, catalog: Catalog, text: str, *, dry_run: bool
) -> Report:
    """Check every row, then (unless `dry_run` or any error) create or update each."""
    report = Report()
    rows, report.errors = parse(text, catalog)
    if report.errors:
        return report
    existing = set(
        await session.scalars(
            select(Organisation.slug).where(Organisation.slug.in_([r.slug for r in rows]))
        )
    )
    for row in rows:
        if row.slug not in existing:
            report.created.append(row.slug)
            if not dry_run:
                await organisations.create(
                    session, actor, catalog, row.slug, row.profile, verified=bool(row.verified)
                )
            continue
        before = await organisations.current_profile(session, catalog, row.slug)
        # Activities are not in the file: the stored ones stay.
        wanted = {**_fields(row.profile), "activities": before.activities}
        verified_now = await session.scalar(
            select(Organisation.verified).where(Organisation.slug == row.slug)
        )
        flips = row.verified is not None and row.verified != verified_now
        if Profile(**wanted) == before and not flips:
            report.unchanged.append(row.slug)
            continue
        report.updated.append(row.slug)
        if not dry_run:
            await organisations.update_profile(
                session, actor, catalog, row.slug, wanted, verified=row.verified
            )
    return report


def _fields(profile: Profile) -> dict[str, object]:
    return {name: getattr(profile, name) for name in Profile.__dataclass_fields__}
