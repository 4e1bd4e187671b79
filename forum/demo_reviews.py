"""Demonstration UNCAC review status: a dozen countries in the two cycles, every row
marked `demo` (the country page says it is not a real status). Dates and facts are
illustrative, drawn loosely from how the Review Mechanism runs; loading is idempotent
and never overwrites a review an editor has entered."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import reviews
from forum.models import Country, CountryReview

# The UNODC country profiles, where published reviews are listed.
PROFILES = "https://www.unodc.org/unodc/en/corruption/country-profile/index.html"

# (code, cycle, the month each stage was reached in order, reviewers,
#  the facts as y/n/u in `reviews.FACTS` order)
_REVIEWS: tuple[tuple[str, int, tuple[str | None, ...], tuple[str, ...], str], ...] = (
    ("SN", 1, ("2011-02", "2011-11", "2012-06", "2013-03", "2015-05"), ("MR", "GN"), "yyyy"),
    ("SN", 2, ("2017-03", "2018-05", "2019-06", None, None), ("CV", "TG"), "yyyu"),
    ("CI", 1, ("2012-01", "2012-09", "2013-06", None, None), ("BJ", "NE"), "nuuu"),
    ("CI", 2, ("2018-02", None, None, None, None), ("BF", "ML"), "uuuu"),
    ("KE", 1, ("2010-06", "2011-02", "2011-09", "2012-04", "2014-09"), ("GB", "ZM"), "yyny"),
    ("KE", 2, ("2016-09", "2017-10", "2019-01", "2020-03", None), ("SC", "UG"), "yyyy"),
    ("NG", 1, ("2011-05", "2012-03", "2013-02", None, None), ("ST", "SL"), "uyuu"),
    ("GH", 2, ("2017-06", "2018-11", None, None, None), ("LR", "TZ"), "yyyu"),
    ("BA", 1, ("2010-09", "2011-04", "2012-01", "2012-07", None), ("ME", "AT"), "yyyy"),
    ("BA", 2, ("2017-01", "2017-09", "2018-10", None, None), ("MK", "LU"), "yyyu"),
    ("RS", 1, ("2010-07", "2011-03", "2011-12", "2012-05", "2015-01"), ("SK", "TJ"), "yyyy"),
    ("AL", 2, ("2016-10", "2017-09", None, None, None), ("HR", "GE"), "nyuu"),
    ("MK", 1, ("2011-01", "2011-10", "2012-09", None, None), ("AL", "BG"), "yuuu"),
    ("ID", 1, ("2010-08", "2011-03", "2011-10", "2012-05", None), ("GB", "UZ"), "yyyy"),
    ("ID", 2, ("2017-02", "2017-11", "2018-09", "2020-02", None), ("YE", "GH"), "yyyy"),
    ("MY", 2, ("2016-11", "2017-07", "2018-06", None, None), ("PH", "TR"), "nnuu"),
    ("PH", 1, ("2011-03", "2012-02", None, None, None), ("FR", "TH"), "uuuu"),
)  # fmt: skip
_ANSWER = {"y": "yes", "n": "no", "u": "unknown"}


def _data(
    dates: tuple[str | None, ...], reviewers: tuple[str, ...], facts: str
) -> reviews.ReviewData:
    stages = {
        s: date.fromisoformat(f"{d}-01") if d else None
        for s, d in zip(reviews.STAGES, dates, strict=True)
    }
    answers = {
        name: reviews.Fact(_ANSWER[a], PROFILES if a == "y" else None)
        for name, a in zip(reviews.FACTS, facts, strict=True)
    }
    return reviews.check(reviews.ReviewData(stages, reviewers, answers, demo=True))


async def load(session: AsyncConnection) -> None:
    """Add the demonstration reviews that are missing, for the countries loaded."""
    known = set(await session.scalars(select(Country.code)))
    for code, cycle, dates, reviewers, facts in _REVIEWS:
        if code not in known:
            continue
        values = reviews.columns(_data(dates, reviewers, facts))
        await session.execute(
            insert(CountryReview)
            .values(country_code=code, cycle=cycle, **values)
            .on_conflict_do_nothing(index_elements=["country_code", "cycle"])
        )
