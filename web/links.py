"""Links to pages, built in one place so the API, the pages and search agree."""

from __future__ import annotations

from forum import pagination

THREAD_PAGE = 50  # posts per thread page


def post_url(thread_id: int, position: int, post_id: int) -> str:
    """The thread page holding this post, scrolled to it."""
    before = (position - 1) // THREAD_PAGE * THREAD_PAGE
    page = f"?cursor={pagination.encode(before)}" if before else ""
    return f"/threads/{thread_id}{page}#post-{post_id}"
