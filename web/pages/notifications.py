"""Notifications and following in the browser: the notifications page (unread first;
opening one is a form that marks it read and goes to it, Post/Redirect/Get; "mark all
read"), the page of what one follows (and saved searches), the Follow control's form
(`_follow.html`, on thread, region, topic, country and organisation pages) and "Save this
search" (`_save_search.html`, on the search page). The rules are the core's
(`forum.notifications`, `forum.follows`, `forum.saved_searches`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import follows, notifications, saved_searches
from forum.errors import DomainError, Kind
from forum.permissions import check_signed_in
from web import forms
from web.i18n import N_
from web.inputs import path_id, query_text
from web.pages.view import not_found, render, viewer
from web.unit import unit

PAGE = "/notifications"
FOLLOWING = "/following"
STOP = "stop"

# What a notification says, by reason (and, for outcomes, by what happened); `%(title)s`
# is the title of what it is about.
LABELS = {
    "reply": N_("A reply to you in “%(title)s”"),
    "mention": N_("You were mentioned in “%(title)s”"),
    "watching": N_("A new post in “%(title)s”"),
    "list_post": N_("A new post in “%(title)s”"),
    "saved_search": N_("A new post matching your saved search, in “%(title)s”"),
    "new_thread": N_("A new thread: “%(title)s”"),
    "review": N_("The UNCAC review of %(title)s changed"),
    "calendar_event": N_("A new event: %(title)s"),
    "news": N_("News: %(title)s"),
    "experience": N_("A new experience from an organisation you follow: “%(title)s”"),
    "moderation": N_("A moderator acted on something of yours"),
    "application": N_("Your application was decided"),
}
# Where what it is about changes what it says (the kind of its subject).
ABOUT = {
    ("saved_search", "experience"): N_("A new experience matching your saved search: “%(title)s”"),
}
OUTCOMES = {
    "post.hidden": N_("A moderator hid your post in “%(title)s”"),
    "post.shown": N_("A moderator showed your post again in “%(title)s”"),
    "post.deleted": N_("A moderator deleted your post in “%(title)s”"),
    "post.restored": N_("A moderator restored your post in “%(title)s”"),
    "approval.approved": N_("Your post in “%(title)s” was approved"),
    "approval.rejected": N_("Your post was not approved"),
    "flag.reviewed": N_("A moderator reviewed your report"),
    "thread.locked": N_("A moderator locked your thread “%(title)s”"),
    "thread.unlocked": N_("A moderator unlocked your thread “%(title)s”"),
    "user.suspended": N_("Your account was suspended"),
    "user.reinstated": N_("Your account was reinstated"),
    "approved": N_("Your application was approved: welcome"),
    "refused": N_("Your application was refused"),
}
LEVELS = {
    "watching": N_("Watching: every new post notifies you"),
    "tracking": N_("Tracking: counts only"),
    "muted": N_("Muted: nothing, even where you follow more broadly"),
}


def label(item: notifications.Shown) -> str:
    """The msgid of what the item says (a title missing: the one without it)."""
    if item.action in OUTCOMES and (item.title or "%(title)s" not in OUTCOMES[item.action]):
        return OUTCOMES[item.action]
    found = ABOUT.get((item.reason, item.subject.partition(":")[0])) or LABELS[item.reason]
    if "%(title)s" in found and not item.title:
        return LABELS["moderation"] if item.reason == "moderation" else N_("Something new")
    return found


async def page(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
        found = await notifications.listing(
            u.session, u.actor, await u.catalog(), query_text(request, "cursor")
        )
    return render(request, reader, "notifications.html", items=found.items, more=found.next,
                  label=label)  # fmt: skip


async def open_one(request: Request) -> Response:
    notification_id = path_id(request, "notification_id", "notification")
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        try:
            item = await notifications.open_one(
                u.session, u.actor, await u.catalog(), notification_id
            )
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found(request, reader)
            raise
    return forms.redirect(item.url)


async def mark_all_read(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        await notifications.mark_read(u.session, u.actor, None)
    return forms.redirect(PAGE + "?read=all")


async def following(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
        known = await u.catalog()
        found = await follows.mine(u.session, u.actor)
        named = await follows.names(u.session, u.actor, known, [f.target for f in found])
        searches = await saved_searches.mine(u.session, u.actor, known)
    saved = request.query_params.get("saved")
    return render(request, reader, "following.html", follows=found, named=named,
                  searches=searches, levels=LEVELS, saved=saved)  # fmt: skip


async def change_follow(request: Request) -> Response:
    """The Follow control: a level, or `stop`; back to the page it was on."""
    form = await forms.read_form(request)
    target, level = form.get("target"), form.get("level")
    back = forms.local_path(form.get("next"), FOLLOWING)
    async with unit(request, form_token=form.token) as u:
        if level == STOP:
            await follows.unfollow(u.session, u.actor, target)
        else:
            await follows.follow(u.session, u.actor, await u.catalog(), target, level,
                                 mailing_list=form.get("mailing_list") == "1")  # fmt: skip
    return forms.redirect(back)


async def save_search(request: Request) -> Response:
    form = await forms.read_form(request)
    query = form.get("q")
    words = await request.app.state.search.words_of(query) if query.strip() else None
    async with unit(request, form_token=form.token) as u:
        known = await u.catalog()
        saved = await saved_searches.create(
            u.session, u.actor, known, name=form.get("name") or query, query=query,
            words=words, region=form.get("region") or None, topic=form.get("topic") or None,
            country=form.get("country") or None, kind=form.get("kind") or None,
        )  # fmt: skip
    return forms.redirect(f"{FOLLOWING}?saved={saved.id}")


async def delete_search(request: Request) -> Response:
    saved_id = path_id(request, "saved_id", "saved_search")
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        await saved_searches.remove(u.session, u.actor, saved_id)
    return forms.redirect(FOLLOWING)


ROUTES = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/read", mark_all_read, methods=["POST"]),
    Route(PAGE + "/{notification_id}/open", open_one, methods=["POST"]),
    Route(FOLLOWING, following, methods=["GET"]),
    Route("/follows", change_follow, methods=["POST"]),
    Route("/saved-searches", save_search, methods=["POST"]),
    Route("/saved-searches/{saved_id}/delete", delete_search, methods=["POST"]),
]
