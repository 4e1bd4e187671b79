"""The read side of notifications: unread first then newest, page by page; a count and
a page that only hold what the reader may see now; marking read; opening one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from forum import catalog, moderation, notifications
from forum.errors import DomainError, Kind
from forum.models import Application, Notification, Role
from forum.permissions import Actor

ADMIN = Actor(0, Role.ADMIN)


async def _notify(db, user_id: int, reason: str, subject: str, **values) -> int:
    async with db.transaction() as s:
        event_id = await s.scalar(select(func.coalesce(func.max(Notification.event_id), 0) + 1))
        return await s.scalar(
            insert(Notification)
            .values(user_id=user_id, event_id=event_id, reason=reason, subject=subject, **values)
            .returning(Notification.id)
        )


async def _refused(call, kind: Kind = Kind.NOT_FOUND) -> None:
    try:
        await call
    except DomainError as e:
        assert e.kind is kind
    else:
        raise AssertionError("accepted")


async def _page(db, actor, cursor=None, limit=20):
    async with db.transaction() as s:
        return await notifications.listing(s, actor, await catalog.load(s), cursor, limit)


async def _count(db, actor) -> int:
    async with db.transaction() as s:
        return await notifications.unread_count(s, actor, await catalog.load(s))


async def _post_notice(db, make, reader, reason="reply", **thread):
    started = await make.thread(**thread)
    tid, pid = started["thread"]["id"], started["post"]["id"]
    nid = await _notify(db, reader["id"], reason, f"post:{pid}", thread_id=tid, post_id=pid)
    return tid, pid, nid


async def test_a_reply_shows_title_excerpt_and_permalink(db, make):
    reader = await make.user()
    tid, pid, nid = await _post_notice(
        db, make, reader, title="Tenders in Dakar", body="Who has *open contracting* data?"
    )
    [item] = (await _page(db, reader["actor"])).items
    assert (item.id, item.reason, item.title) == (nid, "reply", "Tenders in Dakar")
    assert item.excerpt == "Who has open contracting data?"
    assert (item.url, item.thread_id, item.post_id, item.read) == (f"/posts/{pid}", tid, pid, False)
    assert await _count(db, reader["actor"]) == 1


async def test_unread_first_then_newest_page_by_page(db, make):
    reader = await make.user()
    started = await make.thread()
    tid, pid = started["thread"]["id"], started["post"]["id"]
    ids = [
        await _notify(db, reader["id"], "watching", f"post:{pid}", thread_id=tid, post_id=pid)
        for _ in range(5)
    ]
    async with db.transaction() as s:
        assert await notifications.mark_read(s, reader["actor"], [ids[3], ids[1]]) == 2
    seen, cursor = [], None
    while True:
        page = await _page(db, reader["actor"], cursor, limit=2)
        seen += [(i.id, i.read) for i in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == [
        (ids[4], False), (ids[2], False), (ids[0], False), (ids[3], True), (ids[1], True)
    ]  # fmt: skip
    assert await _count(db, reader["actor"]) == 3


async def test_someone_elses_notifications_are_not_mine(db, make):
    reader, other = await make.user(), await make.user()
    _, _, nid = await _post_notice(db, make, other)
    assert (await _page(db, reader["actor"])).items == []
    async with db.transaction() as s:
        assert await notifications.mark_read(s, reader["actor"], [nid]) == 0
        await _refused(notifications.open_one(s, reader["actor"], await catalog.load(s), nid))
    assert await _count(db, other["actor"]) == 1


async def test_canary_hidden_post_leaves_page_count_and_opening(db, make):
    reader = await make.user()
    _, pid, nid = await _post_notice(db, make, reader, body="canary-hidden-word")
    assert await _count(db, reader["actor"]) == 1
    async with db.transaction() as s:
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), pid, hidden=True)
    page = await _page(db, reader["actor"])
    assert page.items == [] and "canary" not in repr(page)
    assert await _count(db, reader["actor"]) == 0
    async with db.transaction() as s:
        await _refused(notifications.open_one(s, reader["actor"], await catalog.load(s), nid))


async def test_canary_members_only_region_after_suspension(db, make):
    reader = await make.user()
    await _post_notice(db, make, reader, region="staff-room", title="canary-members-title")
    assert [i.title for i in (await _page(db, reader["actor"])).items] == ["canary-members-title"]
    suspended = Actor(reader["id"], Role.MEMBER, suspended=True)
    applicant = Actor(reader["id"], Role.APPLICANT)
    for actor in (suspended, applicant):
        page = await _page(db, actor)
        assert page.items == [] and "canary" not in repr(page)
        assert await _count(db, actor) == 0


async def test_a_moderation_outcome_reaches_the_author_without_the_words(db, make):
    author = await make.user()
    started = await make.thread(author, title="My tender thread", body="canary-own-words")
    tid = started["thread"]["id"]
    reply = await make.reply(tid, author, body="canary-reply-words")
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_post_deleted(s, ADMIN, known, reply["id"], deleted=True)
    await _notify(db, author["id"], "moderation", f"post:{reply['id']}", thread_id=tid,
                  post_id=reply["id"], action="post.deleted")  # fmt: skip
    # the same subject for another reason (a reply) is dropped: the words are gone
    await _notify(db, author["id"], "reply", f"post:{reply['id']}", thread_id=tid,
                  post_id=reply["id"])  # fmt: skip
    [item] = (await _page(db, author["actor"])).items
    assert (item.reason, item.action, item.title, item.excerpt) == (
        "moderation",
        "post.deleted",
        "My tender thread",
        "",
    )


async def test_an_account_outcome_and_an_application_are_their_members(db, make):
    member = await make.user()
    await _notify(db, member["id"], "moderation", "account", action="user.suspended")
    applicant = await make.user(Role.APPLICANT)
    other = await make.user(Role.APPLICANT)
    async with db.transaction() as s:
        app_id = await s.scalar(
            insert(Application)
            .values(user_id=applicant["id"], country_code="KE", motivation="m")
            .returning(Application.id)
        )
    await _notify(db, applicant["id"], "application", f"application:{app_id}", action="approved")
    await _notify(db, other["id"], "application", f"application:{app_id}")
    assert [i.url for i in (await _page(db, member["actor"])).items] == ["/settings"]
    assert [i.url for i in (await _page(db, applicant["actor"])).items] == ["/apply"]
    assert (await _page(db, other["actor"])).items == []


async def test_a_review_of_a_country_in_a_readable_region(db, make):
    reader = await make.user()
    await _notify(db, reader["id"], "review", "country:KE:1")
    await _notify(db, reader["id"], "review", "country:ZZ:1")
    [item] = (await _page(db, reader["actor"])).items
    assert (item.title, item.url) == ("Kenya", "/countries/KE")


async def test_opening_marks_read_and_mark_all(db, make):
    reader = await make.user()
    _, pid, first = await _post_notice(db, make, reader)
    await _post_notice(db, make, reader)
    async with db.transaction() as s:
        item = await notifications.open_one(s, reader["actor"], await catalog.load(s), first)
    assert item.url == f"/posts/{pid}"
    assert await _count(db, reader["actor"]) == 1
    async with db.transaction() as s:
        assert await notifications.mark_read(s, reader["actor"], None) == 1
        assert await notifications.mark_read(s, reader["actor"], None) == 0
    assert await _count(db, reader["actor"]) == 0


async def test_actor_of_reads_role_and_suspension(db, make):
    member = await make.user(suspended_at=datetime.now(UTC))
    async with db.transaction() as s:
        found = await notifications.actor_of(s, member["id"])
        assert found == Actor(member["id"], Role.MEMBER, suspended=True)
        assert await notifications.actor_of(s, 10**12) is None


async def test_bad_input(db, make):
    reader = await make.user()
    for bad in ("nope", "x" * 600):
        await _refused(_page(db, reader["actor"], bad), Kind.INVALID)
    async with db.transaction() as s:
        for ids in ([0], list(range(1, 200))):
            await _refused(notifications.mark_read(s, reader["actor"], ids), Kind.INVALID)


async def test_upkeep_prunes_old_read_ones_and_keeps_each_members_newest_thousand(app, db, make):
    from sqlalchemy import text

    crowded, quiet = await make.user(), await make.user()

    async def add(user, count: int, *, days: int, read: bool) -> None:
        async with db.transaction() as s:
            await s.execute(
                text(
                    """
                    INSERT INTO notifications (user_id, event_id, reason, subject, created_at,
                                               read_at)
                    SELECT :user, 1000000 + coalesce((SELECT max(event_id) FROM notifications), 0)
                                  + g, 'reply', 'post:1', now() - make_interval(days => :days),
                           CASE WHEN :read THEN now() END
                    FROM generate_series(1, :count) g
                    """
                ),
                {"user": user["id"], "count": count, "days": days, "read": read},
            )

    async def left(user) -> list[tuple[int, bool]]:
        async with db.transaction() as s:
            rows = await s.execute(
                text(
                    "SELECT (now() - created_at) > interval '90 days', read_at IS NOT NULL, "
                    "count(*) FROM notifications WHERE user_id = :u GROUP BY 1, 2 ORDER BY 1, 2"
                ),
                {"u": user["id"]},
            )
            return [tuple(r) for r in rows]

    await add(quiet, 3, days=91, read=True)  # go
    await add(quiet, 2, days=91, read=False)  # unread: stay
    await add(quiet, 4, days=89, read=True)  # recent: stay
    await add(crowded, 1200, days=10, read=True)
    await add(crowded, 30, days=1, read=False)
    async with db.transaction() as s:
        newest = list(
            await s.scalars(
                text("SELECT id FROM notifications WHERE user_id = :u ORDER BY id DESC LIMIT 1000"),
                {"u": crowded["id"]},
            )
        )
    assert await app.state.notifier.prune() == 3 + 230
    assert await left(quiet) == [(False, True, 4), (True, False, 2)]
    async with db.transaction() as s:
        kept = list(
            await s.scalars(
                text("SELECT id FROM notifications WHERE user_id = :u ORDER BY id DESC"),
                {"u": crowded["id"]},
            )
        )
    assert kept == newest  # the 30 unread and the newest 970 read ones
    assert await app.state.notifier.prune() == 0  # nothing more, and nothing else changed
    assert await left(quiet) == [(False, True, 4), (True, False, 2)]


async def test_the_notifiers_run_prunes_on_its_own(app, db, make):
    import asyncio

    from sqlalchemy import text

    from forum.notifier import Notifier

    reader = await make.user()
    nid = await _notify(db, reader["id"], "reply", "post:1")
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE notifications SET read_at = now(), created_at = now() - "
                 "interval '91 days' WHERE id = :i"), {"i": nid})  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(
        Notifier(db, app.state.catalog, name="pruner", poll=0.01, prune_every=0.05).run(stop)
    )
    try:
        for _ in range(200):
            async with db.transaction() as s:
                if await s.scalar(select(func.count()).where(Notification.id == nid)) == 0:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("not pruned")
    finally:
        stop.set()
        await running
