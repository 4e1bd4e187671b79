"""Links to pages, built in one place so the API, the pages and search agree."""

from __future__ import annotations

from forum import pagination
from search.backend import Hit, Kind

THREAD_PAGE = 50  # posts per thread page


def post_url(thread_id: int, position: int | None, post_id: int) -> str:
    """The thread page holding this post, scrolled to it (a post awaiting approval has
    no place yet: every page of its thread shows it to those who may see it)."""
    if position is None:
        return f"/threads/{thread_id}#post-{post_id}"
    before = (position - 1) // THREAD_PAGE * THREAD_PAGE
    page = f"?cursor={pagination.encode(before)}" if before else ""
    return f"/threads/{thread_id}{page}#post-{post_id}"


def organisation_url(slug: str) -> str:
    """An organisation's profile."""
    return f"/organisations/{slug}"


def experience_url(experience_id: int) -> str:
    return f"/experiences/{experience_id}"


def news_url(news_id: int) -> str:
    return f"/news/{news_id}"


def event_url(event_id: int) -> str:
    return f"/events/{event_id}"


def hit_url(hit: Hit) -> str:
    """The page a search hit names: the thread at the post, the profile, the story, the
    news item, the event; a resource's own address (as the resources page links it)."""
    if hit.post_id is not None:
        assert hit.thread_id is not None and hit.position is not None
        return post_url(hit.thread_id, hit.position, hit.post_id)
    if hit.experience_id is not None:
        return experience_url(hit.experience_id)
    if hit.kind is Kind.RESOURCE:
        return hit.url
    if hit.item_id is not None:
        return (news_url if hit.kind is Kind.NEWS else event_url)(hit.item_id)
    assert hit.organisation is not None
    return organisation_url(hit.organisation)
