"""The fan-out: each reason gives its notification, to whom it concerns and may read it,
never to the author; the most specific follow wins and muted silences; at least once and
idempotent; one live event per post names the members told."""

from __future__ import annotations

from sqlalchemy import select, text, update

from forum import catalog, follows, moderation, posts, saved_searches
from forum.models import Notification, Role, User
from forum.permissions import Actor
from tests.notify import settle

ADMIN = Actor(0, Role.ADMIN)


async def told(app, user) -> list[tuple[str, str]]:
    """(reason, subject) of a member's notifications, oldest first."""
    await settle(app)
    async with app.state.db.transaction() as s:
        rows = await s.execute(
            select(Notification.reason, Notification.subject)
            .where(Notification.user_id == user["id"])
            .order_by(Notification.id)
        )
        return [tuple(r) for r in rows]


async def follow(db, user, target, level="watching", **kw):
    async with db.transaction() as s:
        return await follows.follow(s, user["actor"], await catalog.load(s), target, level, **kw)


async def test_a_reply_tells_the_parent_author_and_the_starter_not_the_author(app, db, make):
    starter, parent_author, replier = await make.user(), await make.user(), await make.user()
    tid = (await make.thread(starter))["thread"]["id"]
    parent = await make.reply(tid, parent_author)
    async with db.transaction() as s:
        reply = await posts.reply(s, replier["actor"], tid, body="Agreed", reply_to=parent["id"])
    assert (await told(app, parent_author))[-1] == ("reply", f"post:{reply['id']}")
    assert (await told(app, starter))[-1] == ("reply", f"post:{reply['id']}")
    assert ("reply", f"post:{reply['id']}") not in await told(app, replier)


async def test_watchers_the_most_specific_follow_wins_and_muted_silences(app, db, make):
    author = await make.user()
    watcher, muter, tracker, thread_watcher = [await make.user() for _ in range(4)]
    tid = (await make.thread(author, region="africa"))["thread"]["id"]
    await settle(app)  # follows count when the fan-out runs: these are for what follows
    await follow(db, watcher, "region:africa")
    await follow(db, muter, "region:africa")
    await follow(db, muter, f"thread:{tid}", "muted")
    await follow(db, tracker, "topic:public-procurement", "tracking")
    await follow(db, tracker, "region:africa")
    await follow(db, thread_watcher, "region:africa", "muted")
    await follow(db, thread_watcher, f"thread:{tid}")
    post = await make.reply(tid, author)
    subject = ("watching", f"post:{post['id']}")
    assert await told(app, watcher) == [subject]
    assert await told(app, muter) == []
    assert await told(app, tracker) == []  # tracking the topic, more specific than the region
    assert await told(app, thread_watcher) == [subject]
    assert await told(app, author) == []


async def test_a_new_thread_and_posting_watches_it(app, db, make):
    author, watcher = await make.user(), await make.user()
    await follow(db, watcher, "topic:whistleblower-protection")
    started = await make.thread(author, topic="whistleblower-protection")
    tid = started["thread"]["id"]
    assert await told(app, watcher) == [("new_thread", f"thread:{tid}")]
    async with db.transaction() as s:
        found = await follows.one_of(s, author["actor"], f"thread:{tid}")
    assert found is not None and found.level == "watching"
    # The starter now hears of replies by watching (and as the starter: one notice).
    other = await make.user()
    reply = await make.reply(tid, other)
    assert await told(app, author) == [("reply", f"post:{reply['id']}")]


async def test_mentions_only_reach_those_who_may_read(app, db, make):
    author = await make.user()
    member = await make.user(display_name="Kofi Annan")
    applicant = await make.user(Role.APPLICANT, display_name="Ada Applicant")
    body = "Thanks @kofi_annan and @ada_applicant, and @nobody_at_all"
    public = await make.thread(author, region="africa", body=body)
    secret = await make.thread(author, region="staff-room", title="canary-room", body=body)
    assert await told(app, member) == [
        ("mention", f"post:{public['post']['id']}"), ("mention", f"post:{secret['post']['id']}")
    ]  # fmt: skip
    # An applicant reads public threads only: nothing about the members' room.
    assert await told(app, applicant) == [("mention", f"post:{public['post']['id']}")]


async def test_canary_a_non_member_following_a_members_region_hears_nothing(app, db, make):
    author = await make.user()
    member, suspended = await make.user(), await make.user()
    await follow(db, member, "region:staff-room")
    await follow(db, suspended, "region:staff-room")
    async with db.transaction() as s:
        await s.execute(
            update(User).where(User.id == suspended["id"]).values(suspended_at=text("now()"))
        )
    started = await make.thread(author, region="staff-room", title="canary-title")
    assert await told(app, member) == [("new_thread", f"thread:{started['thread']['id']}")]
    assert await told(app, suspended) == []


async def test_a_hidden_post_tells_its_author_and_nobody_else(app, db, make):
    author, watcher = await make.user(), await make.user()
    tid = (await make.thread(author))["thread"]["id"]
    await settle(app)
    await follow(db, watcher, f"thread:{tid}")
    async with db.transaction() as s:
        # Written and hidden in one go: the fan-out sees it hidden, and tells no watcher.
        post = await posts.reply(s, (await make.user())["actor"], tid, body="canary-hidden")
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), post["id"], hidden=True)
    assert await told(app, watcher) == []
    other = await make.reply(tid, author)
    async with db.transaction() as s:
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), other["id"], hidden=True)
    assert ("moderation", f"post:{other['id']}") in await told(app, author)


async def test_saved_search_matches_new_posts(app, db, make):
    searcher, author = await make.user(), await make.user()
    words = await app.state.search.words_of("procurement fraud")
    async with db.transaction() as s:
        known = await catalog.load(s)
        await saved_searches.create(
            s, searcher["actor"], known, name="Fraud", query="procurement fraud", words=words,
            region="africa",
        )  # fmt: skip
    tid = (await make.thread(author, region="south-east-asia", body="procurement fraud"))["thread"][
        "id"
    ]
    match = await make.thread(author, region="africa", body="Fraud in public procurement")
    await make.reply(tid, author, body="nothing to see")
    assert await told(app, searcher) == [("saved_search", f"post:{match['post']['id']}")]


async def test_replay_writes_nothing_twice_and_one_live_event_per_post(app, db, make):
    author = await make.user()
    watchers = [await make.user() for _ in range(3)]
    for w in watchers:
        await follow(db, w, "region:africa")
    await settle(app)
    before = await app.state.notifier.position()
    await make.thread(author)
    await settle(app)
    async with db.transaction() as s:
        count = await s.scalar(text("SELECT count(*) FROM notifications"))
        live = (
            await s.execute(
                text("SELECT channels, visibility FROM events WHERE type = 'notification.created'")
            )
        ).all()
    assert count == 3
    ids = sorted(w["id"] for w in watchers)
    assert live == [([f"user:{i}" for i in ids], "recipients")]
    await app.state.notifier._log.save(before)  # as after a crash before the position moved
    await settle(app)
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM notifications")) == 3


async def test_a_mailing_list_region_gives_list_post(app, db, make):
    author, listener = await make.user(), await make.user()
    await follow(db, listener, "region:africa", mailing_list=True)
    tid = (await make.thread(author))["thread"]["id"]
    reply = await make.reply(tid, author)
    assert await told(app, listener) == [
        ("list_post", f"post:{(await _first_post(db, tid))}"), ("list_post", f"post:{reply['id']}")
    ]  # fmt: skip


async def _first_post(db, thread_id: int) -> int:
    async with db.transaction() as s:
        return await s.scalar(
            text("SELECT id FROM posts WHERE thread_id = :t AND position = 1"), {"t": thread_id}
        )


async def test_review_news_event_and_application_notify_who_follows_or_applied(app, db, make):
    from datetime import date, datetime

    from forum import applications, calendar_events, news, reviews
    from forum.calendar_events import Details
    from forum.news import Article

    editor = await make.user(Role.EDITOR)
    follower = await make.user()
    await follow(db, follower, "country:KE")
    await follow(db, follower, "region:africa")
    async with db.transaction() as s:
        known = await catalog.load(s)
        cycle = (await reviews.cycles(s))[0][0]
        stages = reviews.ReviewData(stages={"self_assessment": date(2020, 1, 1)})
        await reviews.set_review(s, editor["actor"], known, "KE", cycle, stages)
        item = await news.create(s, editor["actor"], known, Article(
            title="CSOs in Nairobi", source_name="S", source_url="https://example.org/n",
            published_on=date(2024, 5, 1), region="africa"))  # fmt: skip
        proposed = await calendar_events.propose(s, (await make.user())["actor"], known, Details(
            title="Workshop", region="africa", starts=datetime(2099, 5, 14, 9),
            ends=datetime(2099, 5, 14, 17), time_zone="Africa/Nairobi", online=True))  # fmt: skip
        await calendar_events.publish_as_operator(s, known, proposed.id)
    assert set(await told(app, follower)) == {
        ("review", f"country:KE:{cycle}"), ("news", f"news:{item.id}"),
        ("calendar_event", f"calendar_event:{proposed.id}"),
    }  # fmt: skip
    applicant = await make.user(Role.APPLICANT)
    async with db.transaction() as s:
        known = await catalog.load(s)
        found = await applications.submit(s, applicant["actor"], known, country="KE",
                                          motivation="I work on procurement.",
                                          organisation_name="Haki")  # fmt: skip
        await applications.approve_by_operator(s, app.state.mailer, applicant["email"])
    assert await told(app, applicant) == [("application", f"application:{found['id']}")]
    async with db.transaction() as s:
        action = await s.scalar(
            select(Notification.action).where(Notification.user_id == applicant["id"])
        )
    assert action == "approved"


async def test_outcomes_tell_whom_they_concern(app, db, make):
    author = await make.user()
    tid = (await make.thread(author))["thread"]["id"]
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_thread_flag(s, ADMIN, known, tid, "locked", True)
        await moderation.set_suspended(s, ADMIN, app.state.mailer, author["id"], suspended=True,
                                       reason="Spam")  # fmt: skip
    assert await told(app, author) == [("moderation", f"thread:{tid}"), ("moderation", "account")]


async def _organisation(db, admin, writer, slug: str, country: str) -> None:
    from forum import affiliations, organisations
    from forum.organisation_fields import Profile

    async with db.transaction() as s:
        known = await catalog.load(s)
        await organisations.create(
            s, admin["actor"], known, slug, Profile(name=slug.upper(), country=country, kind="ngo")
        )
        await affiliations.affiliate(s, admin["actor"], known, slug, user_id=writer["id"])


async def _experience(db, writer, slug: str, title: str, **story):
    from forum import experiences
    from forum.experiences import Story

    story = {"context": "Drivers paid bribes at every checkpoint.", "topics": (), **story}
    async with db.transaction() as s:
        return await experiences.create(
            s, writer["actor"], await catalog.load(s), slug, Story(title=title, **story)
        )


async def test_a_new_experience_tells_its_organisations_watchers_not_its_author(app, db, make):
    admin, writer = await make.user(Role.ADMIN), await make.user()
    watcher, tracker, muter = await make.user(), await make.user(), await make.user()
    await _organisation(db, admin, writer, "olcac", "SN")
    await follow(db, watcher, "organisation:olcac")
    await follow(db, tracker, "organisation:olcac", "tracking")
    await follow(db, muter, "organisation:olcac", "muted")
    await follow(db, writer, "organisation:olcac")
    made = await _experience(db, writer, "olcac", "Moto-taxi drivers refuse to pay")
    assert await told(app, watcher) == [("experience", f"experience:{made.id}")]
    assert await told(app, tracker) == [] and await told(app, muter) == []
    assert await told(app, writer) == []
    # An edit is not a new experience.
    from forum import experiences

    async with db.transaction() as s:
        await experiences.update_story(
            s, writer["actor"], await catalog.load(s), made.id, {"title": "Drivers refuse"}
        )
    assert await told(app, watcher) == [("experience", f"experience:{made.id}")]


async def test_saved_searches_match_new_experiences_by_words_kind_and_filters(app, db, make):
    admin, writer = await make.user(Role.ADMIN), await make.user()
    await _organisation(db, admin, writer, "olcac", "SN")
    words = await app.state.search.words_of("checkpoint bribes")
    searchers = {}
    for name, filters in [
        ("any", {}), ("experiences", {"kind": "experience"}), ("posts", {"kind": "post"}),
        ("africa", {"region": "africa"}), ("asia", {"region": "south-east-asia"}),
        ("topic", {"topic": "public-procurement"}),
        ("other-topic", {"topic": "whistleblower-protection"}),
        ("senegal", {"country": "SN"}), ("kenya", {"country": "KE"}),
    ]:  # fmt: skip
        searchers[name] = user = await make.user()
        async with db.transaction() as s:
            known = await catalog.load(s)
            await saved_searches.create(
                s, user["actor"], known, name=name, query="checkpoint bribes", words=words,
                **filters,
            )  # fmt: skip
    off_words = await make.user()
    async with db.transaction() as s:
        await saved_searches.create(
            s, off_words["actor"], await catalog.load(s), name="x", query="whistleblowing",
            words=await app.state.search.words_of("whistleblowing"),
        )  # fmt: skip
    made = await _experience(db, writer, "olcac", "Checkpoints", countries=("SN",),
                             topics=("public-procurement",))  # fmt: skip
    hit = [("saved_search", f"experience:{made.id}")]
    for name in ("any", "experiences", "africa", "topic", "senegal"):
        assert await told(app, searchers[name]) == hit, name
    for name in ("posts", "asia", "other-topic", "kenya"):
        assert await told(app, searchers[name]) == [], name
    assert await told(app, off_words) == []


async def test_saved_search_kind_must_be_one_that_notifies(db, make):
    import pytest

    from forum.errors import DomainError

    user = await make.user()
    for kind in ("news", "organisation", "nonsense"):
        with pytest.raises(DomainError) as refused:
            async with db.transaction() as s:
                await saved_searches.create(s, user["actor"], await catalog.load(s), name="x",
                                            query="fraud", words="'fraud'", kind=kind)  # fmt: skip
        assert refused.value.code == "invalid_kind"
    async with db.transaction() as s:
        assert await saved_searches.mine(s, user["actor"], await catalog.load(s)) == []


async def test_canary_an_experience_in_a_members_region_reaches_members_only(app, db, make):
    from sqlalchemy import insert

    from forum import notifications
    from forum.models import Country

    admin, writer = await make.user(Role.ADMIN), await make.user()
    member, applicant = await make.user(), await make.user(Role.APPLICANT)
    async with db.transaction() as s:
        await s.execute(insert(Country).values(code="QM", name="Quietland", region_id=3))
    await _organisation(db, admin, writer, "hidden-org", "QM")
    await _organisation(db, admin, writer, "open-org", "SN")
    await follow(db, member, "organisation:hidden-org")
    await follow(db, applicant, "organisation:open-org")  # then the organisation moves
    words = await app.state.search.words_of("canaryword")
    for user in (member, applicant):
        async with db.transaction() as s:
            await saved_searches.create(s, user["actor"], await catalog.load(s), name="c",
                                        query="canaryword", words=words)  # fmt: skip
    secret = await _experience(db, writer, "hidden-org", "canaryword story")
    assert await told(app, member) == [("experience", f"experience:{secret.id}")]
    assert await told(app, applicant) == []
    # Told while the organisation was public; shown no more once it is not.
    shown_before = await _experience(db, writer, "open-org", "Open story")
    assert await told(app, applicant) == [("experience", f"experience:{shown_before.id}")]

    async def listed(user):
        async with db.transaction() as s:
            page = await notifications.listing(s, user["actor"], await catalog.load(s))
            count = await notifications.unread_count(s, user["actor"], await catalog.load(s))
        return [(n.title, n.url) for n in page.items], count

    assert await listed(applicant) == ([("Open story", f"/experiences/{shown_before.id}")], 1)
    async with db.transaction() as s:
        await s.execute(update(Country).where(Country.code == "SN").values(region_id=3))
    assert await listed(applicant) == ([], 0)
    assert (await listed(member))[0] == [("canaryword story", f"/experiences/{secret.id}")]


async def test_an_edit_tells_only_the_members_it_mentions_for_the_first_time(app, db, make):
    author = await make.user(display_name="Author Self")
    kofi = await make.user(display_name="Kofi Annan")
    ama = await make.user(display_name="Ama Ata")
    applicant = await make.user(Role.APPLICANT, display_name="Ada Applicant")
    tid = (await make.thread(author))["thread"]["id"]
    post = await make.reply(tid, author, body="Thanks @kofi_annan")
    await settle(app)

    async def edit(body: str, who=author) -> None:
        async with db.transaction() as s:
            await posts.edit(s, who["actor"], post["id"], body=body)

    subject = ("mention", f"post:{post['id']}")
    await edit("Thanks @kofi_annan and @ama_ata")
    assert await told(app, ama) == [subject]
    assert await told(app, kofi) == [subject]  # once, for the post itself
    # Two edits fanned out together; a mention dropped then written again.
    await edit("Thanks @ama_ata")
    await edit("Thanks @ama_ata and @kofi_annan, and @author_self")
    assert await told(app, ama) == [subject] and await told(app, kofi) == [subject]
    assert await told(app, author) == []
    # A members' room: an applicant mentioned by an edit hears nothing of it.
    secret = await make.thread(author, region="staff-room", title="canary-room", body="Notes")
    async with db.transaction() as s:
        await posts.edit(s, author["actor"], secret["post"]["id"], body="cc @ada_applicant")
    assert await told(app, applicant) == []


async def test_an_edit_of_a_hidden_post_tells_nobody(app, db, make):
    author, ama = await make.user(), await make.user(display_name="Ama Ata")
    tid = (await make.thread(author))["thread"]["id"]
    post = await make.reply(tid, author, body="Draft")
    async with db.transaction() as s:
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), post["id"], hidden=True)
        await posts.edit(s, author["actor"], post["id"], body="cc @ama_ata")
    assert await told(app, ama) == []


async def test_a_saved_search_of_a_kind_hears_only_of_that_kind(app, db, make):
    author = await make.user()
    words = await app.state.search.words_of("tender")
    threads, replies = await make.user(), await make.user()
    for user, kind in ((threads, "thread"), (replies, "post")):
        async with db.transaction() as s:
            await saved_searches.create(s, user["actor"], await catalog.load(s), name=kind,
                                        query="tender", words=words, kind=kind)  # fmt: skip
    started = await make.thread(author, body="A tender in Dakar")
    reply = await make.reply(started["thread"]["id"], author, body="Another tender")
    assert await told(app, threads) == [("saved_search", f"post:{started['post']['id']}")]
    assert await told(app, replies) == [("saved_search", f"post:{reply['id']}")]
    async with db.transaction() as s:
        [saved] = await saved_searches.mine(s, threads["actor"], await catalog.load(s))
    assert saved.kind == "thread"
