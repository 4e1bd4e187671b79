"""Demo resources: links to the Convention, the review mechanism and partners, told in
our own words from the brochure (../shared/seed). Added through `forum.resources` as an
editor would, only those whose address is not there yet, so `forum demo` stays
idempotent. The descriptions say they are demonstration entries."""

from __future__ import annotations

from sqlalchemy import select

from forum import catalog, resources
from forum.db import Database
from forum.models import Resource, Role
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


async def load(db: Database) -> int:
    """Add the demo resources that are missing; returns how many were added."""
    added = 0
    async with db.transaction() as session:
        known = await catalog.load(session)
        present = set(await session.scalars(select(Resource.url)))
        for entry in RESOURCES:
            if entry.url in present:
                continue
            await resources.create(session, _OPERATOR, known, entry)
            added += 1
    return added
