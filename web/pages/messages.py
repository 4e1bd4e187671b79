"""What a page says when a form or an action fails, in the reader's language.

Domain errors are translated by their stable `code`, schema errors by pydantic's error
type; anything not listed falls back to a general message for its field, so a page never
shows an untranslated English sentence.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from forum.errors import DomainError, Kind
from web.i18n import N_

Gettext = Callable[[str], str]
FORM = "form"  # the key of an error about the whole form rather than one field

BY_CODE = {
    "password_too_short": N_("Use at least 10 characters."),
    "password_too_long": N_("This password is too long."),
    "invalid_email": N_("Enter a valid email address."),
    "email_taken": N_("An account already uses this email address."),
    "display_name_taken": N_("Someone already uses this name: choose another."),
    "handle_taken": N_("Another member has this handle, or had it."),
    "invalid_handle": N_("Use 3 to 30 letters a-z, digits and underscores."),
    "too_many_saved_searches": N_("You have 50 saved searches already: delete some first."),
    "invalid_query": N_("Search for some words first."),
    "blank_name": N_("Enter a name."),
    "name_too_long": N_("Use at most 80 characters."),
    "control_character": N_("Use a name on one line."),
    "invisible_character": N_("Remove the invisible formatting character."),
    "unknown_language": N_("Choose one of the languages offered."),
    "wrong_password": N_("The current password is wrong."),
    "choose_posts": N_("Choose what happens to your posts."),
    "invalid_credentials": N_("The email address or the password is wrong."),
    "unknown_region": N_("Choose one of the regions offered."),
    "unknown_topic": N_("Choose one of the topics offered."),
    "unknown_country": N_("Choose countries from the list."),
    "unknown_post": N_("The post you quoted is not in this thread."),
    "invalid_cursor": N_("This page link is no longer valid."),
    "login_required": N_("Log in to take part."),
    "account_suspended": N_("This account is suspended."),
    "thread_locked": N_("This thread is locked and takes no replies."),
    "not_author": N_("Only the author may change this post."),
    "moderators_only": N_("Only moderators may do this."),
    "not_your_region": N_("You do not moderate this region."),
    "text_erased": N_("This post's text was erased: it cannot be restored."),
    "post_deleted": N_("This post has been deleted."),
    "revisions_private": N_("Only the author and moderators see earlier versions."),
    "csrf_failed": N_("This form has expired or was not sent from this forum: try again."),
    "bad_origin": N_("This form was not sent from this forum."),
    "query_too_long": N_("Use fewer words: the search is too long."),
    "invalid_q": N_("The search holds characters that cannot be searched."),
    "empty_query": N_("Type at least one word to search for."),
    "invalid_range": N_("The start date is after the end date."),
    "invalid_from": N_("Use a date like 2026-11-28."),
    "invalid_to": N_("Use a date like 2026-11-28."),
    "invalid_page": N_("Use a whole number for the page, from 1 up."),
    "invalid_org": N_("The organisation name is not valid."),
    "not_representative": N_("Only the organisation's representatives may do this."),
    "invalid_phone": N_("Use a phone number with digits, spaces and an optional +."),
    "invalid_website": N_("Use a web address starting with https:// or http://."),
    "uncac_articles": N_("Use UNCAC article numbers from 1 to 71, separated by commas."),
    "uncac_chapters": N_("Use UNCAC chapter numbers from 1 to 8."),
    "unknown_member": N_("No member has this name."),
    "invalid_role": N_("Choose member or representative."),
    "affiliation_not_found": N_("You are not a member of this organisation."),
    "required": N_("This field is required."),
    "too_long": N_("This is too long."),
    "too_many": N_("Too many chosen."),
    "year": N_("Give a year such as 2019."),
    "language": N_("Use a two-letter language code, such as fr."),
    "unknown_thread": N_("Give the numbers of threads of this forum that you can read."),
    "not_affiliated": N_("Only members of the organisation may write its experiences."),
    "numbers": N_("Use whole numbers separated by commas."),
    "not_approved": N_("Your membership has not been approved yet: you can read public content."),
    "already_member": N_("This account is a member already."),
    "email_unverified": N_("The applicant has not confirmed their email address yet."),
    "already_decided": N_("This application is decided already."),
    "not_an_approver": N_("Only those who approve members see applications."),
    "blank_motivation": N_("Write a few words about why you want to join."),
    "blank_reason": N_("Write the reason the applicant will read."),
    "blank_organisation": N_("Choose your organisation, or name it."),
    "unknown_organisation": N_("Choose an organisation from the list."),
    "reason_required": N_("Write the reason the member will read."),
    "until_not_future": N_("Choose a day after today."),
    "not_suspended": N_("This account is not suspended."),
    "not_yourself": N_("You cannot suspend or reinstate yourself."),
    "staff_account": N_("Only administrators suspend moderators and administrators."),
    "not_approved_yet": N_("An applicant must be approved as a member first."),
    "cannot_split_at_first": N_("Choose a post after the first: a thread starts with it."),
    "merge_into_itself": N_("Choose another thread: a thread cannot be merged into itself."),
    "thread_pending": N_("This thread awaits approval: approve or reject it first."),
    "already_flagged": N_("You have reported this post already."),
    "own_post": N_("You cannot report your own post."),
    "text_required": N_("Say what is wrong."),
    "case_closed": N_("This case has been resolved."),
    "blank_redaction_reason": N_("Say why this version is redacted."),
    "current_revision": N_("This is the current version: edit the post to change it."),
    "already_redacted": N_("This version is already redacted."),
}

BY_TYPE = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("Too many chosen."),
}

BY_KIND = {
    Kind.INVALID: N_("This value is not valid."),
    Kind.UNAUTHENTICATED: N_("Log in to take part."),
    Kind.FORBIDDEN: N_("You may not do this."),
    Kind.NOT_FOUND: N_("This no longer exists."),
    Kind.CONFLICT: N_("This conflicts with the current state: reload and try again."),
    Kind.RATE_LIMITED: N_("You are going too fast: wait a few minutes and try again."),
    Kind.UNAVAILABLE: N_("The forum cannot do this right now: try again in a moment."),
}


# Failures a form answers next to its fields; any other kind (a rate limit, a CSRF
# failure, a suspension) is the error page's.
SHOWN_IN_FORM = frozenset({Kind.INVALID, Kind.CONFLICT})


def for_form(failure: DomainError | ValidationError, gettext: Gettext) -> dict[str, str]:
    """`explain` for a failure a form shows next to its fields; any other is raised
    again, for the error page."""
    if isinstance(failure, DomainError) and failure.kind not in SHOWN_IN_FORM:
        raise failure
    return explain(failure, gettext)


def explain(failure: DomainError | ValidationError, gettext: Gettext) -> dict[str, str]:
    """Field name (or `FORM`) to a message for the reader."""
    if isinstance(failure, ValidationError):
        errors: dict[str, str] = {}
        for error in failure.errors(include_url=False, include_input=False):
            field = str(error["loc"][0]) if error["loc"] else FORM
            message = BY_TYPE.get(error["type"], BY_KIND[Kind.INVALID])
            errors.setdefault(field, gettext(message))
        return errors
    message = gettext(BY_CODE.get(failure.code, BY_KIND[failure.kind]))
    if not failure.fields:
        return {FORM: message}
    return dict.fromkeys(failure.fields, message)
