"""Writing the XSS corpus through the API of a served forum: what the API accepts, a
POST that keeps going when a field is refused, and the knowledge pages' items (news,
calendar events, resources) carrying the payloads in every field they show.

Knowledge item i carries payload i in each short field (title, source, place, address)
and payloads i to i + SPAN - 1 in its long text, so one item page in SPAN (the default
stride of the pages visited) still shows every payload in that text."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from forum.errors import DomainError
from tests.web.xss_corpus import CORPUS, Payload
from web import schemas

SPAN = 8
AT_ONCE = 4  # requests in flight to the served forum
REFUSED_ADDRESS = "https://example.org/refused"
RESOURCE_KINDS = ("convention_text", "review_report", "guide", "training_material",
                  "partner_organisation")  # fmt: skip


def accepted(kind: Any) -> list[Payload]:
    return [p for p in CORPUS if accepts(kind, p.text)]


def accepts(kind: Any, text: str, clean: Callable[[str], object] | None = None) -> bool:
    """Whether the API takes `text` as a value of `kind` (its schema type, then the core's
    own check): data written through the core asks the same."""
    try:
        TypeAdapter(kind).validate_python(text)
        if clean is not None:
            clean(text)
    except (ValidationError, DomainError):
        return False
    return True


async def post_keeping(
    api: httpx.AsyncClient, path: str, body: dict[str, Any], refused: list[str]
) -> httpx.Response:
    """POST `body`; where a field is refused (422), put a plain text (an address, for an
    address) in its place, note it in `refused` and try again (a title or name refused
    stays refused)."""
    for _ in range(4):
        r = await api.post(path, json=body)
        fields = r.json()["error"]["fields"] if r.status_code == 422 else {}
        if not fields or {"title", "name"} & set(fields):
            return r
        refused.append(f"{body.get('slug') or body['title'][:20]!r}: {fields}")
        for name in fields:
            body[name] = (
                []
                if name == "activities"
                else REFUSED_ADDRESS
                if name.endswith("url")
                else f"The {name} was refused."
            )
    return r


@dataclasses.dataclass
class Knowledge:
    """Ids in the order of the payloads they carry (see SPAN)."""

    news: list[int]
    events: list[int]  # all, their proposer reads each: published (upcoming and past) ...
    declined: list[int]  # ... declined with a payload as the reason ...
    proposed: int  # ... or left proposed
    resources: int
    refused: list[str]  # fields refused, replaced by a plain text

    def summary(self) -> str:
        return (
            f"news {len(self.news)}; events {len(self.events)}, {len(self.declined)} of them "
            f"declined, {self.proposed} proposed; resources {self.resources} (fields "
            f"refused: {len(self.refused)})"
        )


def _title(p: Payload, what: str) -> str:
    return p.text if accepts(schemas.Title, p.text) else f"{what} {p.number}"


def _address(p: Payload) -> str:
    """The payload if it is an address the API takes, else one breaking out of `href`."""
    if accepts(schemas.WebAddress, p.text):
        return p.text
    return f'https://example.org/{p.number}"onmouseover="xss({p.number})"'


def _text(i: int, limit: int) -> str:
    """Payloads i to i + SPAN - 1 that a post may hold, as paragraphs, cut at `limit`."""
    return "\n\n".join(p.text for p in CORPUS[i : i + SPAN] if accepts(schemas.Body, p.text))[
        :limit
    ]


def _when(i: int) -> tuple[str, str]:
    """Item i's local start and end: one in ten in the past, the rest next year."""
    year = datetime.now(UTC).year + (-2 if i % 10 == 0 else 1)
    start = datetime(year, 1, 1, 9) + timedelta(hours=13 * i)
    return f"{start:%Y-%m-%dT%H:%M}", f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}"


async def write_knowledge(
    editor: httpx.AsyncClient, member: httpx.AsyncClient, organisations: list[str]
) -> Knowledge:
    """A news item, an event (proposed by `member`, organised by one of `organisations`)
    and a resource per payload; one event in twenty declined, one left proposed."""
    made = Knowledge([], [], [], 0, 0, [])
    news_ids: dict[int, int] = {}
    event_ids: dict[int, int] = {}
    gate = asyncio.Semaphore(AT_ONCE)

    async def created(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> int:
        r = await post_keeping(api, path, body, made.refused)
        assert r.status_code == 201, f"{path} {body['title'][:40]!r}: {r.text[:500]}"
        return int(r.json()["id"])

    async def news(i: int, p: Payload) -> None:
        news_ids[i] = await created(editor, "/api/v1/news", {
            "title": _title(p, "News"), "summary": _text(i, 2000),
            "source_name": p.text.strip()[:200] or "Source", "source_url": _address(p),
            "published_on": "2024-05-20", "region": "africa", "countries": ["SN"],
            "language": "en",
        })  # fmt: skip

    async def event(i: int, p: Payload) -> None:
        starts, ends = _when(i)
        event_id = event_ids[i] = await created(member, "/api/v1/events", {
            "title": _title(p, "Event"), "region": "africa", "starts": starts, "ends": ends,
            "time_zone": "Africa/Dakar", "description": _text(i, 20_000), "online": i % 7 == 3,
            "place": p.text[:200], "country": "SN", "language": "en",
            "organisation": organisations[i % len(organisations)],
            "registration_url": _address(p),
        })  # fmt: skip
        if i % 20 == 15:
            made.proposed += 1
            return
        if i % 20 == 5:
            reason = p.text if accepts(schemas.Reason, p.text) else f"Declined {p.number}"
            r = await editor.post(f"/api/v1/events/{event_id}/decline", json={"reason": reason})
            made.declined.append(event_id)
        else:
            r = await editor.post(f"/api/v1/events/{event_id}/publish")
        assert r.status_code == 200, r.text

    async def resource(i: int, p: Payload) -> None:
        await created(editor, "/api/v1/resources", {
            "title": _title(p, "Resource"), "url": _address(p),
            "kind": RESOURCE_KINDS[i % len(RESOURCE_KINDS)], "description": _text(i, 2000),
            "languages": ["en"], "countries": ["SN"],
        })  # fmt: skip
        made.resources += 1

    async def each(i: int, p: Payload, write: Callable[[int, Payload], Awaitable[None]]) -> None:
        async with gate:
            await write(i, p)

    await asyncio.gather(
        *(each(i, p, w) for w in (news, event, resource) for i, p in enumerate(CORPUS))
    )
    made.news = [news_ids[i] for i in sorted(news_ids)]
    made.events = [event_ids[i] for i in sorted(event_ids)]
    return made
