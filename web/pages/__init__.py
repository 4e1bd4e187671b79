"""Server-rendered pages (Jinja2): every action is a real form, so they work without
JavaScript; the one script (`web/static/forum.js`) only enhances them."""

from __future__ import annotations

from web.pages import (
    accounts,
    approvals,
    audit,
    browse,
    calendar_events,
    experiences,
    flags,
    language,
    membership,
    moderation,
    moderators,
    news,
    organisations,
    posting,
    recovery,
    regions_admin,
    resources,
    reviews,
    revisions,
    search,
    splitting,
    suspensions,
    unsubscribe,
    world_map,
)

# posting first: its "/threads/new" is not a thread id for browse's "/threads/{thread_id}".
ROUTES = [
    *posting.ROUTES,
    *browse.ROUTES,
    *search.ROUTES,
    *language.ROUTES,
    *world_map.ROUTES,
    *accounts.ROUTES,
    *membership.ROUTES,
    *moderation.ROUTES,
    *flags.ROUTES,
    *audit.ROUTES,
    *moderators.ROUTES,
    *suspensions.ROUTES,
    *splitting.ROUTES,
    *recovery.ROUTES,
    *unsubscribe.ROUTES,
    *revisions.ROUTES,
    *organisations.ROUTES,
    *experiences.ROUTES,
    *approvals.ROUTES,
    *regions_admin.ROUTES,
    *reviews.ROUTES,
    *calendar_events.ROUTES,
    *resources.ROUTES,
    *news.ROUTES,
]
