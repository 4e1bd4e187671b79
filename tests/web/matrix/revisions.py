"""Rows: a moderator's edit of someone else's post (the page's form) and the post's
earlier versions (`forum.revisions`): reading them (the author, the moderators of its
region, admins) and redacting one (those moderators, admins). The earlier version's text
is the canary: on the revisions API and page to their readers until it is redacted, then
to nobody, and never on the thread, in search or in the thread channel's replay.
"""

from __future__ import annotations

from forum import posts, revisions
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    ELSEWHERE,
    HERE,
    NOT_YOUR_REGION,
    SEEN,
    TO_LOGIN,
    UNSEEN,
    Call,
    Make,
    Outcome,
    Row,
    Target,
    World,
    api,
    moderators_of_the_region,
    nothing_to_the_refused,
    on_page,
    page,
    post_target,
    readers,
    replay,
    search,
    shown_to,
    thread_of_post,
    with_reason,
    writers,
)

CHANGED = {"body": "Changed by a moderator"}


def edited_post_target(*, redacted: bool = False) -> Make:
    """A reply (by someone who is none of the roles) whose first version holds the canary,
    edited since by an admin (version 2); `redacted`: version 1 redacted too."""
    make_post = post_target()

    async def make(world: World, role: str) -> Target:
        target = await make_post(world, role)
        admin, pid = world.users[ADMIN]["actor"], int(target.path)
        async with world.db.transaction() as s:  # the core's: no rate limit on the setup
            await posts.edit(s, admin, pid, body=CHANGED["body"], language=None)
            if redacted:
                await revisions.redact(s, admin, pid, 1, reason="Matrix")
        return target

    return make


def redact(revision: int) -> Call:
    return api("POST", f"/posts/{{}}/revisions/{revision}/redact", with_reason)


# Earlier versions: the region's moderators and admins (the author is none of the roles).
VERSIONS = nothing_to_the_refused(
    {**readers(SEEN, Outcome(403, "revisions_private"), HERE, ADMIN), ELSEWHERE: NOT_YOUR_REGION}
)
REDACTED = {**VERSIONS, HERE: UNSEEN, ADMIN: UNSEEN}
MODERATOR_EDIT = {
    **writers(Outcome(403, "not_author")),
    HERE: SEEN,
    ELSEWHERE: NOT_YOUR_REGION,
    ADMIN: SEEN,
}

ROWS = [
    Row(
        "page: post edit form",
        post_target(),
        page("GET", "/posts/{}/edit"),
        nothing_to_the_refused({**on_page(MODERATOR_EDIT), ANONYMOUS: TO_LOGIN}),
    ),
    Row(
        "page: post edit",
        post_target(),
        page("POST", "/posts/{}/edit", CHANGED),
        on_page({**MODERATOR_EDIT, HERE: Outcome(200), ADMIN: Outcome(200)}),
    ),
    Row("revision redact", edited_post_target(), redact(1), moderators_of_the_region()),
    Row(
        "revision redact, current",
        edited_post_target(),
        redact(2),
        moderators_of_the_region(Outcome(409, "current_revision")),
    ),
    Row(
        "revision redact, redacted",
        edited_post_target(redacted=True),
        redact(1),
        moderators_of_the_region(Outcome(409, "already_redacted")),
    ),
    Row(
        "revision redact, none such",
        edited_post_target(),
        redact(9),
        moderators_of_the_region(Outcome(404, "revision_not_found")),
    ),
    Row(
        "page: revision redact",
        edited_post_target(),
        page("POST", "/posts/{}/revisions/1/redact", {"reason": "Matrix"}),
        on_page(moderators_of_the_region()),
    ),
    *(
        Row(f"{what}, {name}", edited_post_target(redacted=redacted), call, expected)
        for name, redacted, seen in (
            ("earlier version", False, VERSIONS),
            ("redacted version", True, REDACTED),
        )
        for what, call, expected in (
            ("revisions read", api("GET", "/posts/{}/revisions"), seen),
            ("page: revisions", page("GET", "/posts/{}/revisions"), on_page(seen)),
        )
    ),
    # Nowhere else: the thread shows the current version, search finds it alone, and the
    # thread channel's events carry ids only.
    Row(
        "page: thread, earlier version",
        thread_of_post(edited_post_target()),
        page("GET", "/threads/{}"),
        shown_to(),
    ),
    Row("search, earlier version", edited_post_target(), search(), shown_to()),
    Row(
        "replay thread, redacted version",
        thread_of_post(edited_post_target(redacted=True)),
        replay("thread:{}"),
        shown_to(),
    ),
]
