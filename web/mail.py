"""Emails' words: the renderer the app gives the mail sender (`forum.mail.message.Render`).

The outbox holds a message's kind, the recipient's interface language and parameters;
this turns them into a subject and text + HTML bodies with the templates in
`templates/mail/` and the pages' catalogs, at send time (the core knows neither)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape

from forum import applications, approvals, cases, notifications, resets, suspensions, verification
from forum.mail import notices, replies
from forum.mail.message import Render, Rendered
from web import i18n
from web.i18n import N_
from web.pages.view import TEMPLATES

SUBJECTS = {
    verification.KIND: N_("Confirm your email address"),
    resets.KIND: N_("Reset your password"),
    applications.APPROVED_KIND: N_("Welcome: you are a member of the forum"),
    applications.REFUSED_KIND: N_("Your application to the forum"),
    suspensions.KIND: N_("Your account on the forum is suspended"),
    cases.KIND: N_("The post you reported has been reviewed"),
    approvals.REJECTED_KIND: N_("Your post was not approved"),
    replies.ANSWER_KIND: N_("Your reply by email was not posted"),
}
LINKS = {verification.KIND: "/verify/", resets.KIND: "/password/reset/"}
# Why each notification in a notice mail reached the member.
REASONS = {
    notifications.REPLY: N_("A reply to your post"),
    notifications.MENTION: N_("You were mentioned"),
    notifications.WATCHING: N_("A new post in what you watch"),
    notifications.LIST_POST: N_("A new post in what you watch"),
    notifications.SAVED_SEARCH: N_("A new post matching your saved search"),
    notifications.NEW_THREAD: N_("A new thread in what you watch"),
    notifications.MODERATION: N_("A moderator's decision that concerns you"),
    notifications.REVIEW: N_("A country's review status changed"),
    notifications.CALENDAR_EVENT: N_("A new event in a region you follow"),
    notifications.NEWS: N_("News in a region you follow"),
    notifications.APPLICATION: N_("A decision on your application"),
    notifications.EXPERIENCE: N_("A new experience from an organisation you follow"),
}
# Where what it is about (the kind of its subject) changes why it reached the member.
ABOUT = {
    (notifications.SAVED_SEARCH, "experience"): N_("A new experience matching your saved search"),
}
DIGESTS = {
    "daily": N_("Your daily digest from the forum"),
    "weekly": N_("Your weekly digest from the forum"),
}


@cache
def _env(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # HTML bodies are escaped, text bodies are not.
        autoescape=select_autoescape(["html"], default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    # A day sent as YYYY-MM-DD, written the recipient's way ("5 décembre 2026").
    env.filters["day"] = lambda iso: format_date(date.fromisoformat(iso), "long", locale=locale)
    return env


def renderer(link_base: str) -> Render:
    """`link_base`: where readers reach the forum (`Settings.link_base`)."""

    def render(kind: str, language: str, params: dict[str, Any]) -> Rendered:
        locale = language if language in i18n.LOCALES else i18n.DEFAULT
        env = _env(locale)
        link = link_base + LINKS[kind] + params["token"] if "token" in params else None
        context = {**params, "name": params.get("name", ""), "link": link, "site": link_base}
        words = i18n.translations(locale)
        if kind == notices.NOTICES:
            context["items"] = [{**i, "why": _why(words, i)} for i in params["items"]]
        context["mail_subject"] = subject = _subject(words, kind, params)
        return Rendered(
            subject=subject,
            text=env.get_template(f"mail/{kind}.txt").render(context),
            html=env.get_template(f"mail/{kind}.html").render(context, locale=locale),
            link=link,
        )

    return render


def _why(words: Any, item: dict[str, Any]) -> str:
    """Why a notification in a notice mail reached the member (mail queued before
    `about` was written says it by its reason alone)."""
    return words.gettext(ABOUT.get((item["reason"], item.get("about"))) or REASONS[item["reason"]])


def _subject(words: Any, kind: str, params: dict[str, Any]) -> str:
    if kind == notices.LIST_POST:
        return params["subject"]
    if kind == notices.NOTICES:
        if params["mode"] in DIGESTS:
            return words.gettext(DIGESTS[params["mode"]])
        count = len(params["items"]) + params["more"]
        return words.ngettext(
            "%(num)d new notification on the forum", "%(num)d new notifications on the forum", count
        ) % {"num": count}
    return words.gettext(SUBJECTS[kind])
