"""User Markdown to safe HTML, rendered once when a post is written.

markdown-it-py's `js-default` preset keeps raw HTML off (the default preset passes it
through); bleach then enforces the allowlist whatever the renderer produced, so a renderer
bug cannot become an injection. `sanitise` is the one seam to swap bleach for nh3.
"""

from __future__ import annotations

import asyncio
import html
import re
from functools import cache, partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
        "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "ol": ["start"]}
# No <img>: a remote image would tell its host who reads a thread, and some readers are
# whistleblowers. Links stay links.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# noreferrer: a click must not tell the linked site which thread the reader was on.
# Stored posts were rewritten by migration 0004; change both together.
LINK_REL = "nofollow ugc noopener noreferrer"
# The longest Markdown source a post (and so a preview) may have, in UTF-8 bytes.
MAX_SOURCE_BYTES = 64 * 1024


def _link_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


# `@handle` mentions a member (`forum.handles`): a link to their profile. Only where a
# word starts (not in "a@b.org" or "https://site/@name"), never inside code (code spans
# and blocks are not parsed for inline rules) or inside a link's text.
_MENTION = re.compile(r"@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_])")
_BEFORE_MENTION = frozenset("([{\"'“‘«¿¡*~")
MENTION_MARKUP = "mention"
MAX_MENTIONS = 20  # members one post notifies by mention; the rest are plain links


def _mention(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos > 0 and not (state.src[pos - 1].isspace() or state.src[pos - 1] in _BEFORE_MENTION):
        return False
    found = _MENTION.match(state.src, pos)
    if found is None:
        return False
    if not silent:
        opening = state.push("link_open", "a", 1)
        opening.attrs = {"href": f"/members/{found.group(1).lower()}"}
        opening.markup = MENTION_MARKUP
        state.push("text", "", 0).content = found.group(0)
        state.push("link_close", "a", -1).markup = MENTION_MARKUP
    state.pos = found.end()
    return True


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default").enable(["strikethrough", "table"])
    md.inline.ruler.before("emphasis", "mention", _mention)
    return md


def mentions(source: str) -> list[str]:
    """The handles a post's Markdown mentions (lower case, each once, in order, at most
    MAX_MENTIONS), as `render` links them."""
    found: dict[str, None] = {}
    for block in _markdown().parse(source):
        for token in block.children or ():
            if token.type == "link_open" and token.markup == MENTION_MARKUP:
                found[str(token.attrs["href"]).rsplit("/", 1)[1]] = None
    return list(found)[:MAX_MENTIONS]


async def mentions_off_loop(source: str) -> list[str]:
    """`mentions`, parsed in a worker thread (a long post takes a while); a text with no
    `@handle` anywhere has none, and most have none: for them, no parse at all (a second
    Markdown parse of every new post, 0.35 ms for a reply of 600 characters)."""
    if _MENTION.search(source) is None:
        return []
    return await asyncio.to_thread(mentions, source)


@cache
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        # Last step of cleaning: every link gets rel, bare URLs become links.
        filters=[partial(LinkifyFilter, callbacks=[_link_rel], skip_tags=["pre", "code"])],
    )


def sanitise(html: str) -> str:
    return _cleaner().clean(html)


def render(source: str) -> str:
    return sanitise(_markdown().render(source))


def too_long(source: str) -> bool:
    return len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES


async def render_off_loop(source: str) -> str:
    """`render`, in a worker thread. A body at the size limit can take over a second
    (a 64 KiB table: 1.6 s on the development machine), which must not stall every other
    request of the process while it runs."""
    return await asyncio.to_thread(render, source)


# A tag, or the start of one cut off at the end of the text.
_TAG = re.compile(r"<[^>]*(?:>|$)")
_SPACES = re.compile(r"\s+")


def text_of(body_html: str) -> str:
    """The text of sanitised HTML (a post's, or its beginning), tags as spaces."""
    return html.unescape(_TAG.sub(" ", body_html))


def shorten(text: str, limit: int) -> str:
    """Plain text on one line, at most `limit` characters (cut at a word, with an
    ellipsis)."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:") + "…"


def excerpt(body_html: str, limit: int) -> str:
    """A short plain-text beginning of sanitised HTML (`shorten`)."""
    return shorten(text_of(body_html[: limit * 32]), limit)
