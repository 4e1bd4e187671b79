"""A held post's events (`forum.approvals`): while it waits, what happens to it (its
author's edit, a redaction, its deletion) is addressed to its author alone, on its
thread's channels, where the audience `staff` would reach the moderators of every region
(the permission matrix's "replay thread, held post edited"); its region's moderators are
told on their queue, `mod:<slug>`, that it awaits them, ids only."""

from __future__ import annotations

from sqlalchemy import text

from forum import posts, revisions
from forum.models import Role


async def test_a_held_posts_events_are_its_authors_and_its_regions_queue(make, db):
    thread_id = (await make.thread())["thread"]["id"]
    author, admin = await make.user(), await make.user(Role.ADMIN)
    async with db.transaction() as s:
        await s.execute(text("UPDATE regions SET approve_new_members = true WHERE slug = 'africa'"))
    post_id = (await make.reply(thread_id, author, body="Held, first"))["id"]
    async with db.transaction() as s:
        await posts.edit(s, author["actor"], post_id, body="Held, edited", language=None)
    async with db.transaction() as s:
        await revisions.redact(s, admin["actor"], post_id, 1, reason="Names a witness")
    async with db.transaction() as s:
        await posts.delete(s, author["actor"], post_id)
        told = (
            await s.execute(
                text("SELECT type, channels, visibility FROM events "
                     "WHERE payload->>'post_id' = :p ORDER BY id"),
                {"p": str(post_id)},
            )
        ).all()  # fmt: skip
    thread = [f"thread:{thread_id}", "region:africa", "topic:public-procurement"]
    own = f"user:{author['id']}"
    assert [(r.type, r.channels, r.visibility) for r in told] == [
        ("approval.held", ["mod:africa"], "staff"),
        ("post.edited", thread, own),
        ("post.revision_redacted", thread, own),
        ("post.deleted", thread, own),
    ]
