"""Demo news and resources, told in our own words from the brochure (../shared/seed): the
Saly workshop (May 2018), the Sarajevo workshop (September 2017), the seventh Conference
of the States Parties, International Anti-Corruption Day (9 December); links to the
Convention, the review mechanism and partners. Added through `forum.news` and
`forum.resources` as an editor would, only what is missing (by title, by address), so
`forum demo` stays idempotent. Each says it is a demonstration entry; the sources'
addresses are placeholders under example.org."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from forum import catalog, news, resources
from forum.db import Database
from forum.models import NewsItem, Resource, Role
from forum.news import Article
from forum.permissions import Actor
from forum.resources import Entry

# The loader acts as an operator: whoever runs `forum demo` holds the database itself.
_OPERATOR = Actor(user_id=0, role=Role.ADMIN)
_DEMO = " (Demonstration entry.)"

RESOURCES = (
    Entry(
        "The United Nations Convention against Corruption",
        "https://www.unodc.org/unodc/en/corruption/uncac.html",
        "convention_text",
        "The text of the Convention and the states that are party to it." + _DEMO,
        ("en", "fr", "es", "ar", "ru", "zh"),
    ),
    Entry(
        "How the UNCAC review mechanism works",
        "https://www.unodc.org/unodc/en/corruption/implementation-review-mechanism.html",
        "guide",
        "Set up in 2009 by the Conference of the States Parties (resolution 3/1), the "
        "mechanism has each state reviewed by its peers; governments are encouraged to "
        "consult civil society along the way." + _DEMO,
        ("en", "fr", "es"),
    ),
    Entry(
        "Country review reports and executive summaries",
        "https://www.unodc.org/unodc/en/corruption/country-profile/index.html",
        "review_report",
        "Each reviewed state's profile, with the reports of the first and second cycles "
        "where they are published." + _DEMO,
        ("en", "fr", "es"),
    ),
    Entry(
        "Training for CSOs on the Convention and its review",
        "https://www.unodc.org/unodc/en/corruption/civil-society.html",
        "training_material",
        "Material from the multi-stakeholder workshops held with the UNCAC Coalition, such "
        "as the one in Saly, Senegal in May 2018 and the one in Sarajevo in September "
        "2017." + _DEMO,
        ("en", "fr"),
        ("SN", "BA"),
    ),
    Entry(
        "UNCAC Coalition",
        "https://uncaccoalition.org/",
        "partner_organisation",
        "A global network of civil-society organisations working for the Convention's "
        "implementation, which co-organises the trainings." + _DEMO,
        ("en", "fr", "es"),
    ),
)


NEWS = (
    Article(
        "Senegal: CSOs and officials learn the UNCAC review together in Saly",
        "Demonstration source",
        "https://example.org/demo/saly-2018",
        date(2018, 5, 31),
        "africa",
        "A multi-stakeholder workshop in Saly brought government officials, civil society "
        "and the private sector together to work through the Convention and how its "
        "review can involve CSOs." + _DEMO,
        ("SN",),
        ("uncac-review-mechanism",),
    ),
    Article(
        "Sarajevo hosts the first South-East Europe workshop on the review mechanism",
        "Demonstration source",
        "https://example.org/demo/sarajevo-2017",
        date(2017, 9, 29),
        "south-east-europe",
        "About sixty participants from civil society, governments and business met in "
        "Sarajevo; afterwards, Transparency International Bosnia was asked to take a full "
        "part in the country's review." + _DEMO,
        ("BA",),
        ("uncac-review-mechanism",),
    ),
    Article(
        "Civil society at the seventh Conference of the States Parties",
        "Demonstration source",
        "https://example.org/demo/cosp7",
        date(2017, 11, 10),
        "africa",
        "Some 145 civil-society representatives attended; a side event showed how "
        "government and CSO pairs from Mauritius and Bosnia and Herzegovina worked "
        "together during their reviews." + _DEMO,
        ("MU",),
        ("conference-of-states-parties",),
    ),
    Article(
        "9 December: International Anti-Corruption Day campaigns across the region",
        "Demonstration source",
        "https://example.org/demo/iacd",
        date(2018, 12, 9),
        "africa",
        "Marches, radio debates and school contests marked International Anti-Corruption "
        "Day." + _DEMO,
        (),
        ("anti-corruption-day-campaigns",),
    ),
)


async def load(db: Database) -> int:
    """Add the demo news and resources that are missing; returns how many were added."""
    added = 0
    async with db.transaction() as session:
        known = await catalog.load(session)
        titles = set(await session.scalars(select(NewsItem.title)))
        for article in NEWS:
            if article.title not in titles:
                await news.create(session, _OPERATOR, known, article)
                added += 1
        present = set(await session.scalars(select(Resource.url)))
        for entry in RESOURCES:
            if entry.url in present:
                continue
            await resources.create(session, _OPERATOR, known, entry)
            added += 1
    return added
