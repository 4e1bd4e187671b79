"""Rows: the moderators' actions on threads, posts and accounts, the applications, the
audit log, writing, and reading (members-only regions, hidden threads, hidden and
deleted posts) across the API, the pages, the websocket and search."""

from __future__ import annotations

from forum.models import Role
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    CHANNEL_FORBIDDEN,
    CHANNEL_MISSING,
    CREATED,
    ELSEWHERE,
    HERE,
    MEMBER,
    MEMBERS,
    MODERATORS_ONLY,
    NOT_YOUR_REGION,
    OK,
    ROLES,
    SEEN,
    STAFF,
    SUSPENDED,
    TO_LOGIN,
    UNSEEN,
    Outcome,
    Row,
    admins,
    any_moderator,
    api,
    application_target,
    audit_target,
    decided_application_target,
    listen,
    moderators_of_the_region,
    no_target,
    on_page,
    own_post_target,
    page,
    post_target,
    readers,
    search,
    shown_to,
    thread_of_post,
    thread_target,
    user_target,
    with_reason,
    writers,
)

MODERATION = (  # thread or post, the verb, its state before (so the action changes it)
    ("thread", "lock", {}),
    ("thread", "unlock", {"locked": True}),
    ("thread", "pin", {}),
    ("thread", "unpin", {"pinned": True}),
    ("post", "hide", {}),
    ("post", "show", {"hidden": True}),
    ("post", "delete", {}),
    ("post", "restore", {"deleted": True}),
)
MOVE = {"region": "africa", "topic": "whistleblower-protection", "reason": "Matrix"}

# The audit log: moderators read their regions' entries (and their own), admins all.
AUDIT_READERS = {**writers(MODERATORS_ONLY), HERE: SEEN, ELSEWHERE: UNSEEN, ADMIN: SEEN}

ROWS = [
    # Moderation actions: the region's moderators and admins.
    *(
        Row(
            f"{what}.{verb}",
            (thread_target if what == "thread" else post_target)(**state),
            api("POST", f"/{what}s/{{}}/{verb}", with_reason),
            moderators_of_the_region(),
        )
        for what, verb, state in MODERATION
    ),
    Row(
        "thread.move",
        thread_target(),
        api("POST", "/threads/{}/move", lambda t: MOVE),
        moderators_of_the_region(),
    ),
    Row(
        "page: thread lock",
        thread_target(),
        page("POST", "/threads/{}/moderate", {"do": "lock"}),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: post hide",
        post_target(),
        page("POST", "/posts/{}/moderate", {"do": "hide"}),
        on_page(moderators_of_the_region()),
    ),
    # Accounts: suspension all over the forum (moderators: members), the moderators (admins).
    Row(
        "user.suspend",
        user_target(),
        api("POST", "/users/{}/suspend", with_reason),
        any_moderator(),
    ),
    Row(
        "user.reinstate",
        user_target(suspended=True),
        api("POST", "/users/{}/reinstate", with_reason),
        any_moderator(),
    ),
    Row(
        "user.suspend a moderator",
        user_target(Role.MODERATOR),
        api("POST", "/users/{}/suspend", with_reason),
        {**any_moderator(Outcome(403, "staff_account")), ADMIN: OK},
    ),
    Row(
        "moderator.assign",
        user_target(),
        api("PUT", "/users/{}/moderated-regions", lambda t: {"regions": ["africa"]}),
        admins(),
    ),
    Row("moderators read", no_target, api("GET", "/moderators"), admins()),
    # Applications: the moderators of the applicant's region and admins; to anyone else
    # the application does not exist.
    *(
        Row(
            f"application.{verb}",
            application_target,
            api("POST", f"/applications/{{}}/{verb}", with_reason),
            {**writers(Outcome(404, "application_not_found")), HERE: OK, ADMIN: OK},
        )
        for verb in ("approve", "refuse")
    ),
    Row(
        "applications read",
        decided_application_target,
        api("GET", "/applications?status=refused"),
        {**writers(Outcome(403, "not_an_approver")), HERE: SEEN, ELSEWHERE: UNSEEN, ADMIN: SEEN},
    ),
    Row("audit read", audit_target, api("GET", "/audit"), AUDIT_READERS),
    Row(
        "page: audit",
        audit_target,
        page("GET", "/audit"),
        {**on_page(AUDIT_READERS), ANONYMOUS: TO_LOGIN},
    ),
    # Posts: writing is taking part; changing a post is its author's (none of the roles).
    Row(
        "thread create",
        no_target,
        api(
            "POST",
            "/threads",
            lambda t: {
                "region": "africa",
                "topic": "public-procurement",
                "title": "Matrix",
                "body": "x",
            },
        ),
        writers(CREATED),
    ),
    Row(
        "post reply",
        thread_target(),
        api("POST", "/threads/{}/posts", lambda t: {"body": "x"}),
        writers(CREATED),
    ),
    Row(
        "post reply, locked",
        thread_target(locked=True),
        api("POST", "/threads/{}/posts", lambda t: {"body": "x"}),
        {**writers(Outcome(403, "thread_locked")), **dict.fromkeys(STAFF, CREATED)},
    ),
    Row(
        "post edit",
        post_target(),
        api("PATCH", "/posts/{}", lambda t: {"body": "Changed"}),
        {**writers(Outcome(403, "not_author")), HERE: OK, ELSEWHERE: NOT_YOUR_REGION, ADMIN: OK},
    ),
    Row(
        "post delete",
        post_target(),
        api("DELETE", "/posts/{}"),
        writers(Outcome(403, "not_author")),
    ),
    Row(
        "post edit, own",
        own_post_target(),
        api("PATCH", "/posts/{}", lambda t: {"body": "Mine"}),
        writers(OK),
    ),
    Row("post delete, own", own_post_target(), api("DELETE", "/posts/{}"), writers(OK)),
    Row(
        "revisions read, own",
        own_post_target(),
        api("GET", "/posts/{}/revisions"),
        readers(OK, Outcome(403, "revisions_private"), *MEMBERS, SUSPENDED),
    ),
    Row(
        "revisions read",
        post_target(),
        api("GET", "/posts/{}/revisions"),
        {**readers(OK, Outcome(403, "revisions_private"), HERE, ADMIN), ELSEWHERE: NOT_YOUR_REGION},
    ),
    Row("thread read, public", thread_target(), api("GET", "/threads/{}"), shown_to(*ROLES)),
    # Reading threads: members-only regions to members, hidden threads to the staff; to
    # anyone else they do not exist (404, nothing of them told) on every path. Search:
    # hits, snippets and totals; hidden and deleted content leaves the search documents
    # (`forum.documents`), so nobody finds it there, moderators included (they read
    # hidden posts in their thread).
    *(
        Row(f"{what}, {name}", make, call, expected)
        for name, make, who in (
            ("members-only", thread_target(region="staff-room"), MEMBERS),
            ("hidden thread", thread_target(hidden=True), STAFF),
        )
        for what, call, expected in (
            (
                "thread read",
                api("GET", "/threads/{}"),
                shown_to(*who, refused=Outcome(404, "thread_not_found", sees=False)),
            ),
            (
                "page: thread",
                page("GET", "/threads/{}"),
                shown_to(*who, refused=Outcome(404, sees=False)),
            ),
            ("listen", listen("thread:{}"), readers(OK, CHANNEL_MISSING, *who)),
            ("search", search(), shown_to(*who) if MEMBER in who else shown_to()),
        )
    ),
    Row(
        "thread list, members-only region",
        thread_target(region="staff-room"),
        api("GET", "/threads?region=staff-room"),
        shown_to(*MEMBERS, refused=Outcome(404, "region_not_found", sees=False)),
    ),
    *(
        Row(f"{what}, a hidden thread", thread_target(hidden=True), call, shown_to(*STAFF))
        for what, call in (
            ("thread list", api("GET", "/threads?region=africa&limit=50")),
            ("page: region", page("GET", "/regions/africa")),
        )
    ),
    # A hidden post's text: to the staff (and its author); a deleted one's: to nobody.
    *(
        Row(f"{what}, {name}", thread_of_post(post_target(**state)), call, expected)
        for name, state, expected in (
            ("hidden post", {"hidden": True}, shown_to(*STAFF)),
            ("deleted post", {"deleted": True}, shown_to()),
        )
        for what, call in (
            ("thread read", api("GET", "/threads/{}")),
            ("page: thread", page("GET", "/threads/{}")),
        )
    ),
    *(
        Row(f"search, {name}", post_target(**state), search(), shown_to())
        for name, state in (("hidden post", {"hidden": True}), ("deleted post", {"deleted": True}))
    ),
    # The websocket: the moderators' queue of a region is its moderators' (and admins').
    Row(
        "listen mod:africa",
        no_target,
        listen("mod:africa"),
        {**readers(CHANNEL_FORBIDDEN, CHANNEL_FORBIDDEN), HERE: OK, ADMIN: OK},
    ),
    Row(
        "listen user, another's",
        user_target(),
        listen("user:{}"),
        readers(CHANNEL_FORBIDDEN, CHANNEL_FORBIDDEN),
    ),
]
