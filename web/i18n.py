"""The interface languages: which one a reader gets, its catalog, and its formats.

The language is, in order: the member's setting; the switcher's cookie (visitors); the
best match in `Accept-Language`; English. Catalogs are gettext's, managed with Babel
(README, "Translations"); dates and numbers are Babel's for the locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("en", "fr", "es")
DEFAULT = "en"
# Each language named in itself, for the switcher.
NAMES = {"en": "English", "fr": "Français", "es": "Español"}
COOKIE = "forum_language"
DIRECTORY = Path(__file__).parent / "translations"
_HEADER_LIMIT = 40  # language ranges read from Accept-Language


def N_(message: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(DIRECTORY, [locale])


def choose(setting: str | None, cookie: str | None, accept_language: str | None) -> str:
    for chosen in (setting, cookie):
        if chosen in LOCALES:
            return chosen
    return _negotiate(accept_language or "")


@lru_cache(maxsize=256)
def _negotiate(header: str) -> str:
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:_HEADER_LIMIT]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else DEFAULT


@dataclass(frozen=True)
class Formats:
    """Dates and numbers as the locale writes them. Times are shown in UTC (the script
    rewrites them in the reader's own time zone)."""

    locale: str

    def datetime(self, value: datetime) -> str:
        return _datetime(value, self.locale)

    def date(self, value: datetime) -> str:
        return _date(value, self.locale)

    def number(self, value: int) -> str:
        return _number(value, self.locale)


# A thread page formats each post's date: the same dates come back page after page.
@lru_cache(maxsize=8192)
def _datetime(value: datetime, locale: str) -> str:
    # The locale's medium date and short time, joined its way ("30 nov. 2026, 16:05").
    joined = Locale.parse(locale).datetime_formats["medium"]
    when = format_time(value, "short", tzinfo=UTC, locale=locale)
    return joined.format(when, format_date(value, "medium", locale=locale)) + " UTC"


@lru_cache(maxsize=8192)
def _date(value: datetime, locale: str) -> str:
    return format_date(value, "medium", locale=locale)


# Counts of replies, threads and members: a region page formats a few per thread row
# (Babel formats one in 14 us, 6% of the page), and the same few numbers recur.
@lru_cache(maxsize=8192)
def _number(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)
