"""Rendered posts remembered by everything they are made from.

A thread page renders the same posts for every reader who may do the same things with
them: the `post` macro was a third of a logged-in thread page's CPU. The page's rows are
still read from the database on every request (what the reader may see now is decided
there); only turning a row into HTML is remembered, keyed by the whole row as read, what
the reader may do with it (`offer.on_post`), and the macro's other arguments. A change to
any of them is a different key, so nothing stale can be served; a row no page shows any
more simply ages out.

The `post` macro must read nothing else from the page's context that varies between
readers or requests. The things it uses that do, the CSRF field of the moderators' forms
and a post's open report case, are for the region's moderators, whose posts are rendered
afresh (`moderate`, `reported`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

import orjson
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from web.pages import offer

SIZE = 2048  # posts per interface language (about 2 KB each)


def remembering(size: int = SIZE) -> Callable[..., Markup]:
    """`remembered(post, p, thread, quote, on_page, moderate, reported)` for one template
    environment (one interface language): `post(p, thread, quote, on_page,
    moderate=moderate, reported=reported)`, rendered once per distinct key."""
    found: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()

    @pass_context
    def remembered(
        context: Context,
        post: Callable[..., Markup],
        p: Mapping[str, Any],
        thread: Mapping[str, Any],
        quote: bool,
        on_page: Collection[int],
        moderate: bool,
        reported: object | None,
    ) -> Markup:
        if moderate or reported is not None:
            return post(p, thread, quote, on_page, moderate=moderate, reported=reported)
        may = offer.on_post(context["viewer"].actor, p["author"]["id"], p["deleted"], False)
        key = (orjson.dumps(p), thread["id"], quote, p.get("reply_to") in on_page, may)
        try:
            found.move_to_end(key)
            return found[key]
        except KeyError:
            html = found[key] = post(p, thread, quote, on_page)
            if len(found) > size:
                found.popitem(last=False)
            return html

    return remembered
