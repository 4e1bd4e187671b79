"""Server-rendered pages (Jinja2): every action is a real form, so they work without
JavaScript; the one script (`web/static/live.js`) only enhances them."""

from __future__ import annotations

from web.pages import accounts, browse, language, search

ROUTES = [*browse.ROUTES, *search.ROUTES, *language.ROUTES, *accounts.ROUTES]
