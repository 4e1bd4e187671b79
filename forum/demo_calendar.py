"""Demo calendar events (`forum demo`): two workshops and a conference of the past, and
International Anti-Corruption Day to come, told in our own words from the seed's facts.
Proposed by a demo member and published from the command line; added only if missing
(by title), so loading again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from forum import calendar_events, catalog
from forum.calendar_events import Details
from forum.db import Database
from forum.models import CalendarEvent, Role
from forum.permissions import Actor

PROPOSER = "aminata.diallo@demo.example.org"


def _anti_corruption_day(today: datetime) -> int:
    """The year of the next 9 December (this year's until it is over)."""
    return today.year if (today.month, today.day) <= (12, 9) else today.year + 1


def events(today: datetime) -> list[Details]:
    day = _anti_corruption_day(today)
    return [
        Details(
            title="Multi-stakeholder workshop on the UNCAC review mechanism, Saly (demo)",
            region="africa", starts=datetime(2018, 5, 8, 9), ends=datetime(2018, 5, 10, 17),
            time_zone="Africa/Dakar", place="Saly", country="SN", countries=("SN",),
            language="fr",
            description="Government officials, civil society and the private sector of "
            "Senegal and neighbouring countries learnt together how the **UNCAC review "
            "mechanism** works and how CSOs can take part in it. *Demonstration data.*",
        ),
        Details(
            title="South-East Europe workshop on the Convention and its review (demo)",
            region="south-east-europe", starts=datetime(2017, 9, 26, 9),
            ends=datetime(2017, 9, 28, 17), time_zone="Europe/Sarajevo", place="Sarajevo",
            country="BA", countries=("BA",),
            description="About sixty people from civil society, governments and business "
            "across the region built skills on the UNCAC and its review mechanism, and "
            "kept talking afterwards. *Demonstration data.*",
        ),
        Details(
            title="Seventh session of the Conference of the States Parties to the UNCAC (demo)",
            region="global", starts=datetime(2017, 11, 6, 10), ends=datetime(2017, 11, 10, 18),
            time_zone="Europe/Vienna", place="Vienna",
            description="Civil society spoke at the plenary and held side events, among "
            "them one on government–CSO pairings from Mauritius and Bosnia and "
            "Herzegovina during their country reviews. *Demonstration data.*",
        ),
        Details(
            title=f"International Anti-Corruption Day {day} (demo)",
            region="global", starts=datetime(day, 12, 9, 0), ends=datetime(day, 12, 9, 23, 59),
            time_zone="UTC", online=True, place="Everywhere",
            description="Every 9 December, CSOs organise events and awareness campaigns on "
            "how corruption holds back the Sustainable Development Goals. Tell the forum "
            "about yours. *Demonstration data.*",
        ),
    ]  # fmt: skip


async def load(db: Database, members: dict[str, int]) -> int:
    """Add the demo events that are missing; how many were added."""
    added = 0
    for details in events(datetime.now(UTC)):
        async with db.transaction() as session:
            title = details.title
            if await session.scalar(select(CalendarEvent.id).where(CalendarEvent.title == title)):
                continue
            known = await catalog.load(session)
            proposer = Actor(members[PROPOSER], Role.MEMBER)
            made = await calendar_events.propose(session, proposer, known, details)
            await calendar_events.publish_as_operator(session, known, made.id)
            added += 1
    return added
