"""The thread page shows the moderators of its region (and admins) a "Reported (N)" link
on each post with an open case, found in one query for the page; nobody else gets any
trace of it, and it goes when the case is resolved."""

from __future__ import annotations

import re

from sqlalchemy import event

from forum import cases, moderators
from forum.models import Role
from tests.web.test_audit import _moderator, _region_id
from tests.web.test_flags import _flag, _flag_events


def _article(html: str, post_id: int) -> str:
    found = re.search(rf'<article class="post" id="post-{post_id}".*?</article>', html, re.S)
    assert found, post_id
    return found.group(0)


async def _reported_thread(make, db):  # type: ignore[no-untyped-def]
    """A thread whose opening post two members reported and whose reply nobody did:
    (thread id, reported post, the other post, case id, the reporters' clients)."""
    made = await make.thread(title="Procurement in Lagos")
    tid, pid = made["thread"]["id"], made["post"]["id"]
    quiet = (await make.reply(tid))["id"]
    reporters = [await make.logged_in(), await make.logged_in()]
    for c, reason in zip(reporters, ("spam", "abuse"), strict=True):
        assert (await _flag(c, pid, reason)).status_code == 201
    case_id = (await _flag_events(db))[0][3]["case_id"]
    return tid, pid, quiet, case_id, reporters


async def test_the_regions_moderators_see_reported_posts_link_to_their_case(make, db):
    tid, pid, quiet, case_id, _ = await _reported_thread(make, db)
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    for c in (moderator, admin):
        page = (await c.get(f"/threads/{tid}")).text
        shown = _article(page, pid)
        assert f'<a href="/flag-cases/{case_id}">Reported (2)</a>' in shown
        assert "/flag-cases/" not in _article(page, quiet)
    r = await moderator.post(f"/api/v1/flag-cases/{case_id}/resolve",
                             json={"outcome": "dismiss", "reason": "Fair comment"})  # fmt: skip
    assert r.status_code == 200, r.text
    page = (await moderator.get(f"/threads/{tid}")).text
    assert "/flag-cases/" not in page and "Reported (" not in page


async def test_nobody_else_gets_a_trace_of_a_case(make, db, client):
    tid, _, _, case_id, reporters = await _reported_thread(make, db)
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    readers = [client, reporters[0], await make.logged_in(), elsewhere,
               await make.logged_in(await make.user(Role.APPLICANT))]  # fmt: skip
    for c in readers:
        page = await c.get(f"/threads/{tid}")
        assert page.status_code == 200
        for trace in ("/flag-cases/", "Reported (", 'class="reported"', f">{case_id}<"):
            assert trace not in page.text, (c, trace)


async def test_one_query_for_the_page_and_none_for_others(make, db):
    posts = []
    for n in range(3):
        made = await make.thread(title=f"T{n}")
        posts.append(made["post"]["id"])
        assert (await _flag(await make.logged_in(), posts[-1], "spam")).status_code == 201
    africa = await _region_id(db, "africa")
    moderator = (await _moderator(make, db, "africa"))["actor"]
    member = (await make.user())["actor"]
    counts = {}
    for name, actor in (("moderator", moderator), ("member", member)):
        statements: list[str] = []
        async with db.transaction() as s:
            moderated = await moderators.regions_of(s, actor)
            sync = s.sync_connection
            assert sync is not None

            def seen(conn, cursor, statement, *args, into=statements):  # type: ignore[no-untyped-def]
                into.append(statement)

            event.listen(sync, "before_cursor_execute", seen)
            found = await cases.reported(s, actor, africa, moderated, posts)
            event.remove(sync, "before_cursor_execute", seen)
        counts[name] = (len(statements), {p: r.open for p, r in found.items()})
    assert counts == {"moderator": (1, dict.fromkeys(posts, 1)), "member": (0, {})}
    # Posts of another region are left out whatever the caller passes.
    asia = await _region_id(db, "south-east-asia")
    admin = (await make.user(Role.ADMIN))["actor"]
    async with db.transaction() as s:
        assert await cases.reported(s, admin, asia, [], posts) == {}
