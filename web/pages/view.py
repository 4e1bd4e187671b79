"""Rendering a page for a reader: who they are, their language, their form token.

Every page goes through `render`, which gives templates the viewer, the catalog of the
viewer's language (`_`, `ngettext`), the locale's date and number filters and the masked
form token (`web.auth`), and sets the visitor's form cookie when it is new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
from babel.support import NullTranslations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from forum.errors import Kind
from forum.leaving import FORMER_MEMBER
from forum.permissions import ANONYMOUS, Actor
from forum.sessions import Current
from web import assets, auth, i18n
from web.i18n import N_
from web.pages import fragments, offer
from web.pages.fixed_text import FixedText

TEMPLATES = Path(__file__).parent.parent / "templates"
# What an edit form answers a reader who may not use it: the 404 page, as if there were
# no such form (a visitor is not asked to log in for it either).
NO_FORM = frozenset({Kind.NOT_FOUND, Kind.FORBIDDEN, Kind.UNAUTHENTICATED})


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    name: str | None  # a member's display name
    locale: str
    token: str  # what this reader's forms must send back (`web.auth.form_token`)
    new_token: bool

    def gettext(self, message: str) -> str:
        return i18n.translations(self.locale).gettext(message)


def viewer(request: Request, current: Current | None) -> Viewer:
    token, new = auth.form_token(request, current)
    locale = i18n.choose(
        current.language if current else None,
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )
    found = Viewer(
        current.actor if current else ANONYMOUS,
        current.name if current else None,
        locale,
        token,
        new,
    )
    request.state.viewer = found  # for error pages raised later in this request
    return found


async def reader_viewer(request: Request, reader: asyncpg.Connection | None = None) -> Viewer:
    """The viewer of a page that only reads: no database for a visitor without a session
    cookie, the session checked on a reader connection otherwise (no transaction): on
    `reader` when the page holds one already (one pool checkout for the whole page)."""
    if not request.cookies.get(auth.COOKIE):
        return viewer(request, None)
    if reader is not None:
        return viewer(request, await auth.current_on_reader(request, reader))
    async with request.app.state.db.reader() as connection:
        return viewer(request, await auth.current_on_reader(request, connection))


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja reads `a.b` as `getattr(a, "b")`, then `a["b"]` after its AttributeError. The
    core's records are dicts, so a thread page of 20 posts raised and caught some 200
    exceptions: 7% of its CPU. For a dict and a name no dict attribute has, the item is
    what Jinja would have returned anyway; it is now looked up first."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


_GETTEXT_CACHE = 1024  # messages kept per locale (templates hold a few hundred)


def _gettext(translations: NullTranslations) -> Callable[..., Markup]:
    """`_()` as Jinja's newstyle gettext answers it in an autoescaped template (every
    template here is HTML): the translation as Markup, the variables escaped into it, `%%`
    read as `%`. Jinja resolves and calls it through the template's context twice per call,
    some 30 calls a page (a quarter of a thread page's rendering); here a message without
    variables is a dict look-up."""
    known: dict[str, Markup] = {}

    def gettext(message: str, **variables: Any) -> Markup:
        if variables:
            return Markup(translations.gettext(message)) % variables
        try:
            return known[message]
        except KeyError:
            found = Markup(translations.gettext(message)) % {}
            if len(known) < _GETTEXT_CACHE:
                known[message] = found
            return found

    return gettext


# For the catalogs: the API's fixed name of a deleted account (`FORMER_MEMBER`).
N_("A former member")


def _author(translations: NullTranslations) -> Callable[[str | None], str]:
    """`author(name)`: an author's name as a page shows it. A deleted account's name is a
    constant in the API (`forum.leaving.FORMER_MEMBER`, and None in an experience whose
    teller is gone); pages say it in the reader's language."""
    former = translations.gettext(FORMER_MEMBER)

    def author(name: str | None) -> str:
        return former if name is None or name == FORMER_MEMBER else name

    return author


@cache
def _env(locale: str) -> Environment:
    env = _Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        _=_gettext(i18n.translations(locale)), gettext=_gettext(i18n.translations(locale))
    )
    formats = i18n.Formats(locale)
    env.filters.update(datetime=formats.datetime, date=formats.date, number=formats.number)
    env.globals.update(asset=assets.url, locale=locale, locales=i18n.NAMES, offer=offer)
    env.globals.update(author=_author(i18n.translations(locale)), former_member=FORMER_MEMBER)
    env.globals.update(fragments.remembering())
    env.add_extension(FixedText)  # after `_` is this language's: it folds `{{ _("...") }}`
    return env


def render(
    request: Request, viewer: Viewer, template: str, status: int = 200, **context: object
) -> HTMLResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = (
        _env(viewer.locale)
        .get_template(template)
        .render(
            viewer=viewer,
            csrf_field=_csrf_field(viewer),
            here=here,
            unread=getattr(request.state, "unread", None),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if viewer.new_token:
        auth.set_form_cookie(request, response, viewer.token)
    return response


def _csrf_field(viewer: Viewer) -> Markup:
    token = auth.mask(viewer.token)  # URL-safe base64: nothing to escape
    return Markup(f'<input type="hidden" name="{auth.FORM_FIELD}" value="{token}">')


def not_found(request: Request, viewer: Viewer) -> HTMLResponse:
    return render(request, viewer, "not_found.html", status=404)
