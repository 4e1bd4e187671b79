"""The language switcher: a visitor's choice, kept in a cookie for a year."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web import forms, i18n
from web.unit import unit

YEAR = 365 * 86400


async def choose(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token):
        pass
    response = forms.redirect(forms.local_path(form.get("next")))
    language = form.get("language")
    if language in i18n.LOCALES:
        response.set_cookie(
            i18n.COOKIE,
            language,
            max_age=YEAR,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


ROUTES = [Route("/language", choose, methods=["POST"])]
