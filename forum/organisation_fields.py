"""What an organisation's profile holds, checked value by value, for the API, the pages
and the CSV import alike (`forum.organisations` writes it).

Each check raises `invalid(field, ...)` naming the field, so every channel shows the
error next to it (the import adds the line number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from forum.catalog import Catalog
from forum.errors import invalid
from forum.models import FieldVisibility, OrganisationKind
from forum.names import invisible

MAX_NAME = 200
MAX_WEBSITE = 300
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_DESCRIPTION = 10_000
MAX_ACTIVITIES = 50
MAX_LIST = 20
UNCAC_CHAPTERS = range(1, 9)  # the Convention's eight chapters
UNCAC_ARTICLES = range(1, 72)  # and its 71 articles
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{4,40}$")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Activity:
    title: str
    started_on: date
    ended_on: date | None = None  # None: still going on
    description: str = ""


@dataclass(frozen=True)
class Profile:
    """Every field an organisation's profile holds but its slug and verification."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    kind: str
    website: str | None = None
    email: str | None = None
    email_visibility: str = FieldVisibility.MEMBERS.value
    phone: str | None = None
    phone_visibility: str = FieldVisibility.PRIVATE.value
    description: str = ""
    languages: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # topic slugs
    uncac_chapters: tuple[int, ...] = ()
    uncac_articles: tuple[int, ...] = ()
    activities: tuple[Activity, ...] = field(default=())


PROFILE_FIELDS = frozenset(f.name for f in fields(Profile))


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise invalid(
            "slug", "Use 1 to 64 lower-case letters, digits and inner hyphens.", "invalid_slug"
        )
    return slug


def _line(value: str, name: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise invalid(name, "This field is required.", "required")
    if len(value) > limit:
        raise invalid(name, f"Use at most {limit} characters.", "too_long")
    if _CONTROLS.search(value) or invisible(value) is not None:
        raise invalid(name, "Remove control and invisible characters.", "invalid_characters")
    return value


def _optional(value: str | None, name: str, limit: int, pattern: re.Pattern[str]) -> str | None:
    if value is None or not value.strip():
        return None
    value = _line(value, name, limit)
    if not pattern.match(value):
        raise invalid(name, "This does not look right.", f"invalid_{name}")
    return value


def _choice(value: str, name: str, allowed: type[Any]) -> str:
    if value not in {a.value for a in allowed}:
        choices = ", ".join(a.value for a in allowed)
        raise invalid(name, f"Choose one of: {choices}.", f"invalid_{name}")
    return value


def _numbers(values: tuple[int, ...], name: str, allowed: range) -> tuple[int, ...]:
    if any(type(v) is not int or v not in allowed for v in values):
        raise invalid(name, f"Use numbers from {allowed.start} to {allowed.stop - 1}.", name)
    return tuple(sorted(set(values)))


def _activity(a: Activity) -> Activity:
    title = _line(a.title, "activities", MAX_NAME, required=True)
    if a.ended_on is not None and a.ended_on < a.started_on:
        raise invalid("activities", "An activity ends after it starts.", "invalid_dates")
    if len(a.description) > MAX_DESCRIPTION or _LINE_CONTROLS.search(a.description):
        raise invalid("activities", "The description is too long or holds control characters.")
    return Activity(title, a.started_on, a.ended_on, a.description.strip())


def check_profile(profile: Profile, catalog: Catalog) -> Profile:
    """The profile with its values normalised, or the first field that is wrong."""
    website = _optional(profile.website, "website", MAX_WEBSITE, re.compile(r"^https?://\S+$"))
    description = profile.description.strip()
    if len(description) > MAX_DESCRIPTION or _LINE_CONTROLS.search(description):
        raise invalid("description", f"Use at most {MAX_DESCRIPTION} characters.", "too_long")
    if len(profile.languages) > MAX_LIST or not all(_LANGUAGE.match(x) for x in profile.languages):
        raise invalid("languages", "Use two-letter language codes (ISO 639-1).", "languages")
    if len(profile.topics) > MAX_LIST:
        raise invalid("topics", f"Choose at most {MAX_LIST} topics.", "topics")
    topics = tuple(sorted({catalog.topic(t, field="topics").slug for t in profile.topics}))
    if len(profile.activities) > MAX_ACTIVITIES:
        raise invalid("activities", f"List at most {MAX_ACTIVITIES} activities.", "activities")
    (country,) = catalog.country_codes([profile.country], field="country")
    return Profile(
        name=_line(profile.name, "name", MAX_NAME, required=True),
        country=country,
        kind=_choice(profile.kind, "kind", OrganisationKind),
        website=website,
        email=_optional(profile.email, "email", MAX_EMAIL, _EMAIL),
        email_visibility=_choice(profile.email_visibility, "email_visibility", FieldVisibility),
        phone=_optional(profile.phone, "phone", MAX_PHONE, _PHONE),
        phone_visibility=_choice(profile.phone_visibility, "phone_visibility", FieldVisibility),
        description=description,
        languages=tuple(sorted(set(profile.languages))),
        topics=topics,
        uncac_chapters=_numbers(profile.uncac_chapters, "uncac_chapters", UNCAC_CHAPTERS),
        uncac_articles=_numbers(profile.uncac_articles, "uncac_articles", UNCAC_ARTICLES),
        activities=tuple(_activity(a) for a in profile.activities),
    )
