"""Talking to the pages as a browser without JavaScript does: fetch a form, post it back
with its CSRF field, read the errors shown next to fields."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import httpx

_TOKEN = re.compile(r'<input type="hidden" name="csrf" value="([^"]+)">')
_ERROR = re.compile(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', re.S)


def token_in(page: str) -> str:
    found = _TOKEN.search(page)
    assert found, "the page holds no form with a CSRF field"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient,
    form_page: str,
    action: str,
    fields: dict[str, str] | list[tuple[str, str]],
) -> httpx.Response:
    """GET `form_page`, then POST `fields` to `action` with the page's CSRF token, as the
    browser would (Origin of the site itself); redirects are not followed."""
    page = await client.get(form_page)
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    return await client.post(
        action,
        content=urlencode([("csrf", token_in(page.text)), *pairs]),
        headers={
            "Origin": str(client.base_url).rstrip("/"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def field_errors(page: str) -> dict[str, str]:
    return {name: html.unescape(text) for name, text in _ERROR.findall(page)}
