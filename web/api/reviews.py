"""Countries' UNCAC reviews: read one country's, set one cycle's (`forum.reviews`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import reviews
from forum.errors import not_found
from web import schemas
from web.inputs import read_json
from web.responses import JSON
from web.unit import unit


def review_data(data: schemas.ReviewIn) -> reviews.ReviewData:
    """The API's and the form's body as the core takes it."""
    return reviews.ReviewData(
        stages=data.stages.model_dump(),
        reviewers=tuple(data.reviewers),
        facts={
            name: reviews.Fact(fact.value, fact.url)
            for name, fact in ((n, getattr(data.facts, n)) for n in reviews.FACTS)
        },
        demo=data.demo,
    )


async def list_reviews(request: Request) -> JSON:
    code = request.path_params["code"].upper()
    async with unit(request) as u:
        found = await reviews.for_country(u.session, u.actor, await u.catalog(), code)
    return JSON({"country": code, "reviews": [reviews.as_dict(r) for r in found]})


async def set_review(request: Request) -> JSON:
    code = request.path_params["code"].upper()
    cycle = cycle_number(request)
    if cycle is None:
        raise not_found("cycle")
    data, _ = await read_json(request, schemas.ReviewIn)
    async with unit(request) as u:
        found = await reviews.set_review(
            u.session, u.actor, await u.catalog(), code, cycle, review_data(data)
        )
    return JSON(reviews.as_dict(found))


def cycle_number(request: Request) -> int | None:
    """The path's cycle number; None for anything that cannot be one (not found)."""
    raw = request.path_params["cycle"]
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else None
