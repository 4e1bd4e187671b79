"""Notification mail, end to end: notification rows (as the fan-out writes them) become
mail through the real outbox and sender to a real SMTP server in the test process
(aiosmtpd): batching, digests, mailing-list threading, one-click unsubscribe, the
member's language, and nothing a member may no longer read."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Text, cast, func, insert, select, update

from forum import follows, posts
from forum.catalog import load as load_catalog
from forum.mail import reply_address
from forum.mail.notices import last_digest
from forum.models import Follow, Notification, Outbox, Role, User
from forum.moderation import set_post_hidden
from forum.permissions import Actor
from tests import factories, mail
from tests.forum.test_notifier import settle as notified
from tests.pages import submit
from tests.web.conftest import SITE
from web.i18n import translations

_events = itertools.count(1)
MODERATOR = Actor(0, Role.ADMIN)  # acts in every region


@pytest.fixture
async def by_hand(smtp_app: Any, app: Any) -> Any:
    """The app sending to the test SMTP server, with the fan-out of both apps stopped:
    the test writes notification rows itself, as `forum.notifier` would, and no other."""
    await app.state.notifier.stop()
    await smtp_app.state.notifier.stop()
    return smtp_app


async def _member(make: Any, *args: Any, **values: Any) -> dict:
    """A member whose address is confirmed (unconfirmed ones get no notification mail)."""
    return await make.user(*args, email_verified_at=datetime.now(UTC), **values)


async def _notify(db: Any, user: dict, reason: str, subject: str, thread_id: int | None = None,
                  post_id: int | None = None) -> int:  # fmt: skip
    """A notification row as the fan-out (`forum.notifier`) writes it."""
    async with db.transaction() as s:
        return await s.scalar(
            insert(Notification)
            .values(
                user_id=user["id"],
                event_id=next(_events),
                reason=reason,
                subject=subject,
                thread_id=thread_id,
                post_id=post_id,
            )
            .returning(Notification.id)
        )


async def _about_post(db: Any, user: dict, reason: str, post: dict) -> int:
    return await _notify(db, user, reason, f"post:{post['id']}", post["thread_id"], post["id"])


async def _mailed(app: Any, now: datetime | None = None) -> int:
    queued = await app.state.notices.drain(now)
    await mail.settle(app)
    return queued


async def _user_row(db: Any, user: dict) -> Any:
    async with db.transaction() as s:
        return (await s.execute(select(User).where(User.id == user["id"]))).one()


def _by_post(messages: list[EmailMessage]) -> list[EmailMessage]:
    """Mailing-list mails in the order of their posts (`<post-ID.thread-ID.USER@...>`)."""
    return sorted(messages, key=lambda m: int(m["Message-ID"].split(".")[0][len("<post-") :]))


def _whole(message: EmailMessage) -> str:
    return message.as_string()


async def test_two_notifications_within_five_minutes_make_one_mail(by_hand, make, db, inbox):
    member = await _member(make, display_name="Amina")
    start = await make.thread(member, title="Tenders in Dakar")
    first = await make.reply(start["thread"]["id"], body="The first answer about tenders")
    second = await make.reply(start["thread"]["id"], body="The second answer about tenders")
    await _about_post(db, member, "reply", first)
    await _about_post(db, member, "mention", second)
    now = datetime.now(UTC)
    assert await _mailed(by_hand, now) == 1
    [message] = inbox.to(member["email"])
    assert message["Subject"] == "2 new notifications on the forum"
    text = mail.text_of(message)
    assert "The first answer about tenders" in text
    assert "The second answer about tenders" in text
    assert "A reply to your post: Tenders in Dakar" in text
    assert f"{SITE}/posts/{first['id']}" in text
    assert f"{SITE}/settings" in text
    assert "The first answer about tenders" in mail.html_of(message)
    # The list headers (RFC 2919, RFC 8058).
    assert message["List-Id"] == "<forum.forum.test>"
    unsubscribe = message["List-Unsubscribe"].strip()  # a long header is folded
    assert unsubscribe.startswith(f"<{SITE}/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in text
    # Both are about one thread: a reply to the mail is a reply there, as this member.
    secret = by_hand.state.settings.secret_key
    found = reply_address.target(secret, message["Reply-To"])
    assert found is not None
    assert (found.user_id, found.thread_id) == (member["id"], start["thread"]["id"])

    # A third within 5 minutes waits, then goes alone.
    third = await make.reply(start["thread"]["id"], body="A third answer")
    await _about_post(db, member, "watching", third)
    assert await _mailed(by_hand, now + timedelta(minutes=1)) == 0
    assert len(inbox.to(member["email"])) == 1
    assert await _mailed(by_hand, now + timedelta(minutes=6)) == 1
    latest = inbox.to(member["email"])[-1]
    assert "A third answer" in mail.text_of(latest)
    assert "The first answer" not in mail.text_of(latest)
    assert latest["Subject"] == "1 new notification on the forum"


async def test_a_digest_gathers_a_days_posts_of_a_followed_region(by_hand, make, db, inbox):
    member = await _member(make, email_mode="daily")
    async with db.transaction() as s:
        await s.execute(
            insert(Follow).values(user_id=member["id"], target="region:africa", level="watching")
        )
    titles = ["Asset declarations", "Beneficial ownership", "Court monitoring"]
    for title in titles:
        made = await make.thread(title=title, body=f"Opening words on {title.lower()}")
        thread_id = made["thread"]["id"]
        await _notify(
            db, member, "new_thread", f"thread:{thread_id}", thread_id, made["post"]["id"]
        )
    now = datetime.now(UTC)
    # Not before the digest's hour: nothing yet.
    assert await _mailed(by_hand, now) == 0
    next_digest = last_digest(now, "daily") + timedelta(days=1, minutes=1)
    assert await _mailed(by_hand, next_digest) == 1
    [message] = inbox.to(member["email"])
    assert message["Subject"] == "Your daily digest from the forum"
    text = mail.text_of(message)
    for title in titles:
        assert f"A new thread in what you watch: {title}" in text
        assert f"Opening words on {title.lower()}" in text
    assert message["List-Id"] == "<forum.forum.test>"
    assert message["Reply-To"] is None  # about several threads: nowhere to reply
    # Sent once.
    assert await _mailed(by_hand, next_digest + timedelta(hours=1)) == 0


def test_digests_go_at_six_utc_and_weekly_ones_on_mondays():
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert last_digest(tuesday_noon, "daily") == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert last_digest(tuesday_noon, "weekly") == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    early = datetime(2026, 11, 30, 5, 59, tzinfo=UTC)  # a Monday, before six
    assert last_digest(early, "daily") == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert last_digest(early, "weekly") == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


async def test_mailing_list_mode_threads_each_post(by_hand, make, db, inbox):
    # A daily digest for the rest, but the region's posts go at once, one per mail.
    member = await _member(make, email_mode="daily")
    other = await _member(make, language="es")  # the same posts, in their own thread ids
    async with db.transaction() as s:
        for who in (member, other):
            await s.execute(
                insert(Follow).values(
                    user_id=who["id"], target="region:africa", level="watching", mailing_list=True
                )
            )
    author = await make.user(display_name="Kofi")
    start = await make.thread(author, title="Whistleblower laws", body="Which laws work?\n\nTell.")
    thread_id = start["thread"]["id"]
    second = await make.reply(thread_id, body="Ghana's law of 2006")
    async with db.transaction() as s:
        third = await posts.reply(
            s, author["actor"], thread_id, body="And its reform", reply_to=second["id"]
        )
    for post in (start["post"], second, third):
        await _about_post(db, member, "list_post", post)
        await _about_post(db, other, "list_post", post)
    assert await _mailed(by_hand) == 6
    one, two, three = _by_post(inbox.to(member["email"]))
    ids = [f"<post-{p['id']}.thread-{thread_id}.{member['id']}@forum.test>"
           for p in (start["post"], second, third)]  # fmt: skip
    assert [one["Message-ID"], two["Message-ID"], three["Message-ID"]] == ids
    assert one["Subject"] == "[Africa] Whistleblower laws"
    assert two["Subject"] == three["Subject"] == "Re: [Africa] Whistleblower laws"
    assert one["In-Reply-To"] is None and one["References"] is None
    assert two["In-Reply-To"] == ids[0] and two["References"] == ids[0]
    assert three["In-Reply-To"] == ids[1] and three["References"] == f"{ids[0]} {ids[1]}"
    assert "Kofi wrote:" in mail.text_of(one)
    theirs = _by_post(inbox.to(other["email"]))[2]
    assert (
        theirs["In-Reply-To"]
        == f"<post-{second['id']}.thread-{thread_id}.{other['id']}@forum.test>"
    )
    assert "Kofi escribió:" in mail.text_of(theirs) and "And its reform" in mail.text_of(theirs)
    assert "Which laws work?\n\nTell." in mail.text_of(one).replace("\r\n", "\n")
    for message in (one, two, three):
        assert message["List-Id"] == "<africa.forum.forum.test>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        found = reply_address.target(by_hand.state.settings.secret_key, message["Reply-To"])
        assert found is not None and found.thread_id == thread_id

    # Its one-click unsubscribe stops this region's list mail, and only that.
    link = three["List-Unsubscribe"].strip()[1:-1]
    assert (await factories.client(by_hand).post(mail.path_of(link))).status_code == 200
    async with db.transaction() as s:
        listed = await s.scalar(select(Follow.mailing_list).where(Follow.user_id == member["id"]))
    assert listed is False
    assert (await _user_row(db, member)).email_mode == "daily"


async def test_a_title_holding_line_separators_is_mailed_on_one_subject_line(
    by_hand, make, db, inbox
):
    # U+2028 and U+2029 pass as title text, but a mail header refuses them like a newline:
    # the mail must still go (it was retried for ever), its subject on one line.
    member = await _member(make)
    async with db.transaction() as s:
        await s.execute(
            insert(Follow).values(
                user_id=member["id"], target="region:africa", level="watching", mailing_list=True
            )
        )
    start = await make.thread(title="Tenders\u2028in Lagos\u2029today", body="Who bid?")
    await _about_post(db, member, "list_post", start["post"])
    assert await _mailed(by_hand) == 1
    (message,) = inbox.to(member["email"])
    assert message["Subject"] == "[Africa] Tenders in Lagos today"
    assert "Who bid?" in mail.text_of(message)


async def test_one_post_unsubscribes_with_no_login_and_a_get_does_not(by_hand, make, db, inbox):
    member = await _member(make)
    start = await make.thread(title="Procurement data")
    await _notify(
        db, member, "new_thread", f"thread:{start['thread']['id']}", start["thread"]["id"],
        start["post"]["id"],
    )  # fmt: skip
    assert await _mailed(by_hand) == 1
    [message] = inbox.to(member["email"])
    path = mail.path_of(message["List-Unsubscribe"].strip()[1:-1])
    visitor = factories.client(by_hand)
    # A link scanner's GET changes nothing; the page holds the button.
    page = await visitor.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text and "<button>" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert (await _user_row(db, member)).email_mode == "immediately"
    # What a mail client sends (RFC 8058): one POST, no cookie, no CSRF token.
    done = await visitor.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert (await _user_row(db, member)).email_mode == "none"
    # Again: still fine, nothing more to do.
    assert (await visitor.post(path)).status_code == 200
    # A forged or altered token changes nothing.
    other = await make.user()
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    for bad in (forged, "/unsubscribe/nope", "/unsubscribe/" + "x" * 300):
        assert (await visitor.post(bad)).status_code == 400
    assert (await _user_row(db, other)).email_mode == "immediately"
    # No more mail: new notifications are marked mailed, none is sent.
    await _notify(
        db, member, "new_thread", f"thread:{start['thread']['id']}", start["thread"]["id"],
        start["post"]["id"],
    )  # fmt: skip
    assert await _mailed(by_hand, datetime.now(UTC) + timedelta(minutes=10)) == 0
    assert len(inbox.to(member["email"])) == 1
    async with db.transaction() as s:
        unmailed = await s.scalar(
            select(func.count()).where(
                Notification.user_id == member["id"], Notification.mailed_at.is_(None)
            )
        )
    assert unmailed == 0


async def test_the_mail_is_in_the_members_language(by_hand, make, db, inbox):
    member = await _member(make, language="fr")
    start = await make.thread(title="Marchés publics")
    reply = await make.reply(start["thread"]["id"], body="Une réponse")
    await _about_post(db, member, "reply", reply)
    assert await _mailed(by_hand) == 1
    [message] = inbox.to(member["email"])
    french = translations("fr")
    subject = french.ngettext(
        "%(num)d new notification on the forum", "%(num)d new notifications on the forum", 1
    ) % {"num": 1}
    assert message["Subject"] == subject != "1 new notification on the forum"
    assert message["Content-Language"] == "fr"
    assert french.gettext("A reply to your post") in mail.text_of(message)
    assert 'lang="fr"' in mail.html_of(message)


async def test_canary_what_the_member_may_no_longer_read_is_not_mailed(by_hand, make, db, inbox):
    member = await _member(make)
    listed = await _member(make)  # mailing-list mode
    async with db.transaction() as s:
        await s.execute(
            insert(Follow).values(
                user_id=listed["id"], target="region:africa", level="watching", mailing_list=True
            )
        )
    start = await make.thread(title="Open thread")
    visible = await make.reply(start["thread"]["id"], body="Nothing secret here")
    hidden = await make.reply(start["thread"]["id"], body="The CANARYHIDDEN evidence")
    secret = await make.thread(
        title="CANARYTITLE plans", region="staff-room", body="The CANARYMEMBERS minutes"
    )
    for who in (member, listed):
        await _about_post(db, who, "watching" if who is member else "list_post", visible)
        await _about_post(db, who, "watching" if who is member else "list_post", hidden)
    await _about_post(db, member, "watching", secret["post"])
    # Before the mail goes: the post is hidden, and the member loses the members' region.
    async with db.transaction() as s:
        await set_post_hidden(s, MODERATOR, await load_catalog(s), hidden["id"], hidden=True)
        await s.execute(
            update(User).where(User.id == member["id"]).values(role=Role.APPLICANT.value)
        )
    assert await _mailed(by_hand) == 2  # one batch, one list post
    [batch] = inbox.to(member["email"])
    [post] = inbox.to(listed["email"])
    assert "Nothing secret here" in mail.text_of(batch) and "Nothing secret here" in mail.text_of(
        post
    )
    for message in inbox.messages:
        for word in ("CANARYHIDDEN", "CANARYTITLE", "CANARYMEMBERS"):
            assert word not in _whole(message)
            assert word not in mail.text_of(message) and word not in mail.html_of(message)
    # Dropped, not waiting: they will never go.
    async with db.transaction() as s:
        waiting = await s.scalar(
            select(func.count()).select_from(Notification).where(Notification.mailed_at.is_(None))
        )
        # Sent mail keeps no words in the outbox.
        kept = await s.scalar(
            select(func.count()).where(cast(Outbox.params, Text).contains("Nothing secret"))
        )
    assert waiting == 0 and kept == 0


async def test_a_failing_address_gets_no_mail(by_hand, make, db, inbox):
    member = await _member(make, mail_failing_since=datetime.now(UTC))
    start = await make.thread()
    await _about_post(db, member, "reply", start["post"])
    assert await _mailed(by_hand) == 0
    assert inbox.to(member["email"]) == []


async def test_two_workers_mail_each_member_once(by_hand, make, db, inbox):
    start = await make.thread()
    members = [await _member(make) for _ in range(6)]
    for member in members:
        await _about_post(db, member, "reply", start["post"])
    notices = by_hand.state.notices
    counts = await asyncio.gather(notices.drain(), notices.drain(), notices.drain())
    assert sum(counts) == 6
    await mail.settle(by_hand)
    assert sorted(m["To"] for m in inbox.messages) == sorted(m["email"] for m in members)


async def test_the_email_mode_is_a_setting(app, make):
    c = await make.logged_in()
    me = await c.get("/api/v1/auth/me")
    assert me.json()["user"]["email_mode"] == "immediately"
    changed = await c.patch("/api/v1/auth/me", json={"email_mode": "weekly"})
    assert changed.status_code == 200 and changed.json()["user"]["email_mode"] == "weekly"
    bad = await c.patch("/api/v1/auth/me", json={"email_mode": "hourly", "language": "fr"})
    assert bad.status_code == 422
    assert "email_mode" in bad.json()["error"]["fields"]
    assert (await c.get("/api/v1/auth/me")).json()["user"]["language"] == "en"
    page = await c.get("/settings")
    assert 'name="email_mode"' in page.text
    assert '<option value="weekly" selected>' in page.text
    saved = await submit(c, "/settings", "/settings/mail", {"email_mode": "daily"})
    assert saved.status_code == 303 and saved.headers["location"] == "/settings?saved=mail"
    assert (await c.get("/api/v1/auth/me")).json()["user"]["email_mode"] == "daily"


async def test_through_the_notifier_a_mention_and_a_mailing_list_are_mailed(
    smtp_app, make, db, inbox
):
    """The whole way: posts written, the fan-out (`forum.notifier`) tells, the mail goes."""
    mentioned = await _member(make, display_name="Kofi Annan")  # handle kofi_annan
    applicant = await _member(make, Role.APPLICANT, display_name="Ada Applicant")
    listed = await _member(make)
    async with db.transaction() as s:
        await follows.follow(
            s, listed["actor"], await load_catalog(s), "region:africa", "watching",
            mailing_list=True,
        )  # fmt: skip
    author = await make.user(display_name="Awa")
    start = await make.thread(author, title="Court watch", body="Ask @kofi_annan about it")
    await make.reply(start["thread"]["id"], author, body="More on the court")
    # A members-only thread naming an applicant: it reaches them by no path.
    await make.thread(
        author, region="staff-room", title="CANARYROOM", body="@ada_applicant CANARYWORDS"
    )
    await notified(smtp_app)
    await _mailed(smtp_app)
    [mention] = inbox.to(mentioned["email"])
    assert "You were mentioned: Court watch" in mail.text_of(mention)
    found = reply_address.target(smtp_app.state.settings.secret_key, mention["Reply-To"])
    assert found is not None and found.thread_id == start["thread"]["id"]
    first, second = _by_post(inbox.to(listed["email"]))
    assert first["Subject"] == "[Africa] Court watch"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert "More on the court" in mail.text_of(second)
    assert inbox.to(applicant["email"]) == []
    for message in inbox.messages:
        assert "CANARY" not in _whole(message) and "CANARY" not in mail.text_of(message)


async def test_an_unconfirmed_address_gets_no_notification_mail(by_hand, make, db, inbox):
    # Anyone may register with someone else's address: what they follow is not mailed
    # there until the address is confirmed.
    stranger = await make.user()
    start = await make.thread()
    await _about_post(db, stranger, "reply", start["post"])
    assert await _mailed(by_hand) == 0
    assert inbox.to(stranger["email"]) == []


async def test_new_experiences_are_mailed_as_such_and_a_hidden_one_is_not(by_hand, make, db, inbox):
    from sqlalchemy import insert as add

    from forum.models import Country
    from tests.forum.test_notifier import _experience, _organisation

    admin, writer = await make.user(Role.ADMIN), await make.user()
    member = await _member(make, language="fr")
    applicant = await _member(make, Role.APPLICANT)
    async with db.transaction() as s:
        await s.execute(add(Country).values(code="QM", name="Quietland", region_id=3))
    await _organisation(db, admin, writer, "olcac", "SN")
    await _organisation(db, admin, writer, "quiet", "QM")
    open_one = await _experience(db, writer, "olcac", "Moto-taxi drivers refuse to pay")
    secret = await _experience(db, writer, "quiet", "CANARYEXPERIENCE title",
                               context="The CANARYWORDS of it")  # fmt: skip
    await _notify(db, member, "experience", f"experience:{open_one.id}")
    await _notify(db, member, "saved_search", f"experience:{secret.id}")
    await _notify(db, applicant, "saved_search", f"experience:{open_one.id}")
    await _notify(db, applicant, "experience", f"experience:{secret.id}")
    assert await _mailed(by_hand) == 2
    french = translations("fr")
    [to_member] = inbox.to(member["email"])
    text = mail.text_of(to_member)
    assert f"{french.gettext('A new experience from an organisation you follow')}: " \
           f"Moto-taxi drivers refuse to pay" in text  # fmt: skip
    assert french.gettext("A new experience matching your saved search") in text
    assert "CANARYEXPERIENCE" in text and f"{SITE}/experiences/{secret.id}" in text
    [to_applicant] = inbox.to(applicant["email"])
    text = mail.text_of(to_applicant)
    assert "A new experience matching your saved search: Moto-taxi drivers refuse to pay" in text
    assert "Drivers paid bribes" in text  # the excerpt
    for word in ("CANARYEXPERIENCE", "CANARYWORDS", "Quietland"):
        assert word not in _whole(to_applicant)
