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

The two skeletons of a live post (the reader's own and anyone else's, which the script
fills) are the `post` macro too, and are remembered the same way, by the thread, whether
the reader may quote, and what they may do with each.

The blank reply form under the posts is the same for every reader of a thread but for two
values: the reader's CSRF field (masked afresh for each page) and the form's once-only
key. It is remembered with placeholders where they go, filled in for each page.
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
_CSRF, _ONCE = "\x00csrf\x00", "\x00once\x00"  # no escaping changes them; no text has them


class _Remembered:
    """The last `size` fragments rendered, by key (least recently used first out)."""

    def __init__(self, size: int) -> None:
        self._found: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._size = size

    def get(self, key: tuple[Any, ...], render: Callable[[], Markup]) -> Markup:
        try:
            self._found.move_to_end(key)
            return self._found[key]
        except KeyError:
            html = self._found[key] = render()
            if len(self._found) > self._size:
                self._found.popitem(last=False)
            return html


def remembering(size: int = SIZE) -> dict[str, Callable[..., Markup]]:
    """For one template environment (one interface language):
    `remembered(post, p, thread, quote, on_page, moderate, reported)`, which is
    `post(p, thread, quote, on_page, moderate=moderate, reported=reported)`, and
    `remembered_skeletons(skeletons, thread, quote, moderate)`, which is
    `skeletons(thread, quote, moderate)`, and `remembered_reply_form(reply_form, thread)`,
    which is `reply_form(thread, live=true)`, each rendered once per distinct key."""
    posts, skeletons, replies = _Remembered(size), _Remembered(size), _Remembered(size)

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
        return posts.get(key, lambda: post(p, thread, quote, on_page))

    @pass_context
    def remembered_skeletons(
        context: Context,
        render: Callable[..., Markup],
        thread: Mapping[str, Any],
        quote: bool,
        moderate: bool,
    ) -> Markup:
        if moderate:
            return render(thread, quote, moderate)
        actor = context["viewer"].actor
        mine = offer.on_post(actor, actor.user_id or 0, False, False)
        others = offer.on_post(actor, -1, False, False)
        key = (thread["id"], quote, mine, others)
        return skeletons.get(key, lambda: render(thread, quote, moderate))

    @pass_context
    def remembered_reply_form(
        context: Context, render: Callable[..., Markup], thread: Mapping[str, Any]
    ) -> Markup:
        csrf = str(context["csrf_field"])

        def blank() -> Markup:
            html = str(render(thread, values={"once": _ONCE}, live=True))
            assert html.count(csrf) == 1 and html.count(_ONCE) == 1
            return Markup(html.replace(csrf, _CSRF))

        html = str(replies.get((thread["id"],), blank))  # str: Markup.replace would escape
        return Markup(html.replace(_CSRF, csrf).replace(_ONCE, offer.form_key()))

    return {
        "remembered": remembered,
        "remembered_skeletons": remembered_skeletons,
        "remembered_reply_form": remembered_reply_form,
    }
