"""A held post's events (`forum.approvals`): while it waits, what happens to it (its
author's edit, a redaction, its deletion) is told on its region's queue, `mod:<slug>`,
whose readers are those who may read it, never on its thread's channels, where the
audience `staff` reaches the moderators of every region (the permission matrix's
"replay thread, held post edited")."""

from __future__ import annotations

from sqlalchemy import text

from forum import posts, revisions
from forum.models import Role


async def test_a_held_posts_events_go_to_its_regions_queue_alone(make, db):
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
                text("SELECT type, channels FROM events WHERE payload->>'post_id' = :p "
                     "ORDER BY id"),
                {"p": str(post_id)},
            )
        ).all()  # fmt: skip
    assert [(r.type, r.channels) for r in told] == [
        ("post.held", ["mod:africa"]),
        ("post.edited", ["mod:africa"]),
        ("post.revision_redacted", ["mod:africa"]),
        ("post.deleted", ["mod:africa"]),
    ]
