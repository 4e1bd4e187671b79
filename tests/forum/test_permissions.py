"""Who may do what, as a matrix over the roles."""

from __future__ import annotations

import pytest

from forum import permissions as p
from forum.errors import DomainError
from forum.models import Role

ANON = p.ANONYMOUS
MEMBER = p.Actor(1, Role.MEMBER)
OTHER = p.Actor(2, Role.MEMBER)
MODERATOR = p.Actor(3, Role.MODERATOR)
ADMIN = p.Actor(4, Role.ADMIN)
SUSPENDED = p.Actor(5, Role.MEMBER, suspended=True)
APPLICANT = p.Actor(7, Role.APPLICANT)


def allowed(check, *args) -> bool:
    try:
        check(*args)
    except DomainError:
        return False
    return True


@pytest.mark.parametrize(
    ("actor", "public", "members", "hidden"),
    [
        (ANON, True, False, False),
        (MEMBER, True, True, False),
        (SUSPENDED, True, False, False),
        (APPLICANT, True, False, False),
        (MODERATOR, True, True, True),
        (ADMIN, True, True, True),
    ],
)
def test_reading(actor, public, members, hidden):
    assert p.can_read_thread(actor, "public", hidden=False) is public
    assert p.can_read_thread(actor, "members", hidden=False) is members
    assert p.can_read_thread(actor, "public", hidden=True) is hidden


@pytest.mark.parametrize(
    ("actor", "write", "reply_locked", "change_own", "change_others", "revisions_of_others"),
    [
        (ANON, False, False, False, False, False),
        (MEMBER, True, False, True, False, False),
        (SUSPENDED, False, False, False, False, False),
        (APPLICANT, False, False, False, False, False),
        (MODERATOR, True, True, True, False, True),
        (ADMIN, True, True, True, False, True),
    ],
)
def test_writing(actor, write, reply_locked, change_own, change_others, revisions_of_others):
    assert allowed(p.check_can_write, actor) is write
    assert allowed(p.check_can_reply, actor, False) is write
    assert allowed(p.check_can_reply, actor, True) is reply_locked
    assert allowed(p.check_can_change_post, actor, actor.user_id, False) is change_own
    assert allowed(p.check_can_change_post, actor, OTHER.user_id, False) is change_others
    assert allowed(p.check_can_read_revisions, actor, OTHER.user_id, 9, [9]) is (
        revisions_of_others
    )
    # Editing someone else's post: the moderators of its region (9), admins.
    assert allowed(p.check_can_edit_post, actor, OTHER.user_id, False, 9, [9]) is (
        revisions_of_others
    )
    assert allowed(p.check_can_edit_post, actor, actor.user_id, False, 9, []) is change_own


@pytest.mark.parametrize(
    ("actor", "elsewhere"), [(MODERATOR, False), (ADMIN, True), (MEMBER, False)]
)
def test_edit_read_revisions_and_redact_are_region_scoped(actor, elsewhere):
    """Issue 12: in a region the actor does not moderate (8; they moderate 9)."""
    for check, args in ((p.check_can_edit_post, (OTHER.user_id, False, 8, [9])),
                        (p.check_can_read_revisions, (OTHER.user_id, 8, [9])),
                        (p.check_can_redact, (8, [9]))):  # fmt: skip
        assert allowed(check, actor, *args) is elsewhere
    assert not allowed(p.check_can_edit_post, ADMIN, OTHER.user_id, True, 9, [9])
    assert allowed(p.check_can_read_revisions, SUSPENDED, SUSPENDED.user_id, 8, [])


def test_nobody_changes_a_deleted_post():
    for actor in (MEMBER, MODERATOR, ADMIN):
        assert not allowed(p.check_can_change_post, actor, actor.user_id, True)


def test_a_visitor_is_nobodys_author():
    # Where no author is known (a template copy, a removed account), a visitor whose
    # user id is also None must not pass for the author.
    assert not allowed(p.check_can_read_revisions, ANON, None, 9, [9])
    assert not p.can_see_post_content(ANON, None, hidden=True, deleted=False)


def test_post_content_visibility():
    assert p.can_see_post_content(ANON, 1, hidden=False, deleted=False)
    assert not p.can_see_post_content(ANON, 1, hidden=True, deleted=False)
    assert p.can_see_post_content(MEMBER, MEMBER.user_id, hidden=True, deleted=False)
    assert p.can_see_post_content(MODERATOR, 1, hidden=True, deleted=False)
    assert not p.can_see_post_content(MODERATOR, 1, hidden=False, deleted=True)


def test_thread_audience():
    assert p.thread_audience("public", thread_hidden=False) == "public"
    assert p.thread_audience("members", thread_hidden=False) == "members"
    assert p.thread_audience("public", thread_hidden=True) == "staff"


SUSPENDED_MODERATOR = p.Actor(6, Role.MODERATOR, suspended=True)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (ANON, {"public"}),
        (MEMBER, {"public", "members", "user:1", "recipients"}),
        (SUSPENDED, {"public", "user:5", "recipients"}),
        (SUSPENDED_MODERATOR, {"public", "user:6", "recipients"}),
        (APPLICANT, {"public", "user:7", "recipients"}),
        (MODERATOR, {"public", "members", "staff", "user:3", "recipients"}),
    ],
)
def test_audiences(actor, expected):
    assert p.audiences(actor) == expected


def _among(readers: p.Readers, actor: p.Actor) -> bool:
    """`readers`, as a query over accounts applies it, for one account."""
    return (
        not readers.nobody
        and (readers.any_role or (actor.role is not None and actor.role.value in readers.roles))
        and (not readers.good_standing or not actor.suspended)
        and (readers.only is None or readers.only == actor.user_id)
    )


@pytest.mark.parametrize("audience", ["public", "members", "staff", "user:1", "user:5", "x:1"])
@pytest.mark.parametrize(
    "actor", [MEMBER, SUSPENDED, SUSPENDED_MODERATOR, APPLICANT, MODERATOR, p.Actor(8, Role.ADMIN),
              p.Actor(9, Role.EDITOR)],
)  # fmt: skip
def test_readers_of_an_audience_agree_with_audiences(audience, actor):
    assert _among(p.readers(audience), actor) == (audience in p.audiences(actor))


def _listen(actor, target) -> bool:
    return allowed(p.check_can_listen, actor, target)


@pytest.mark.parametrize(
    ("actor", "public_thread", "members_thread", "hidden_thread", "own", "mod_queue"),
    [
        (ANON, True, False, False, False, False),
        (MEMBER, True, True, False, True, False),
        (SUSPENDED, True, False, False, True, False),
        (SUSPENDED_MODERATOR, True, False, False, True, False),
        (APPLICANT, True, False, False, True, False),
        (MODERATOR, True, True, True, True, True),
    ],
)
def test_listening(actor, public_thread, members_thread, hidden_thread, own, mod_queue):
    T = p.ChannelTarget
    assert _listen(actor, T("thread", region_visibility="public")) is public_thread
    assert _listen(actor, T("thread", region_visibility="members")) is members_thread
    hidden = T("thread", region_visibility="public", thread_hidden=True)
    assert _listen(actor, hidden) is hidden_thread
    assert _listen(actor, T("user", user_id=actor.user_id)) is own
    assert not _listen(actor, T("user", user_id=None))
    assert not _listen(actor, T("user", user_id=999))
    queue = T("mod", region_visibility="public", region_id=1)
    assert allowed(p.check_can_listen, actor, queue, [1]) is mod_queue
    assert _listen(actor, T("topic")) is True
    assert not _listen(actor, T("thread", exists=False))


def test_an_affiliation_is_shown_only_when_its_member_chose_to():
    assert p.affiliation_shown(True) is True
    assert p.affiliation_shown(False) is False
    # What search documents are built with (`forum.documents`): the same rule.
    assert p.shown_affiliations() == [True]


@pytest.mark.parametrize("actor", [ANON, MEMBER, SUSPENDED, MODERATOR, ADMIN])
def test_visible_posts_for_queries_agree_with_the_rule_for_one_post(actor):
    scope = p.visible_posts(actor)
    for author in (MEMBER.user_id, OTHER.user_id):
        for hidden in (False, True):
            for deleted in (False, True):
                # What the query's condition says (see `PostScope`).
                counted = not deleted and (
                    not hidden or scope.all_hidden or author == scope.hidden_of
                )
                assert counted is p.can_see_post_content(actor, author, hidden, deleted)


@pytest.mark.parametrize(
    ("actor", "kept", "hidden_threads"),
    [(ANON, False, False), (MEMBER, True, False), (SUSPENDED, False, False),
     (MODERATOR, True, True), (ADMIN, True, True)],
)  # fmt: skip
def test_read_positions_are_kept_for_members(actor, kept, hidden_threads):
    assert p.keeps_read_positions(actor) is kept
    assert allowed(p.check_can_keep_read_positions, actor) is kept
    assert p.reads_hidden_threads(actor) is hidden_threads


# Organisations: `tie` is how the actor stands to the organisation.
NONE, OF_IT, REPRESENTS = p.NO_TIE, p.Tie(affiliated=True), p.Tie(True, representative=True)


@pytest.mark.parametrize(
    ("actor", "tie", "public", "members", "private"),
    [
        (ANON, NONE, True, False, False),
        (OTHER, NONE, True, True, False),
        (MODERATOR, NONE, True, True, False),  # moderating threads is not the organisation
        (MEMBER, OF_IT, True, True, True),
        (MEMBER, REPRESENTS, True, True, True),
        (SUSPENDED, OF_IT, True, False, False),
        (ADMIN, NONE, True, True, True),
    ],
)
def test_who_sees_an_organisations_contact_fields(actor, tie, public, members, private):
    assert p.may_see_contact(actor, "public", tie) is public
    assert p.may_see_contact(actor, "members", tie) is members
    assert p.may_see_contact(actor, "private", tie) is private


@pytest.mark.parametrize(
    ("actor", "tie", "hidden_of_member_1"),
    [
        (ANON, NONE, False),
        (OTHER, OF_IT, False),  # a fellow member does not see who keeps it to themselves
        (MEMBER, OF_IT, True),  # their own
        (OTHER, REPRESENTS, True),
        (ADMIN, NONE, True),
    ],
)
def test_whose_affiliation_shows(actor, tie, hidden_of_member_1):
    assert p.may_see_affiliation(actor, 1, True, tie)
    assert p.may_see_affiliation(actor, 1, False, tie) is hidden_of_member_1


@pytest.mark.parametrize(
    ("actor", "tie", "join", "name_self_rep", "add_other", "edit", "verify"),
    [
        (ANON, NONE, False, False, False, False, False),
        (MEMBER, NONE, True, False, False, False, False),
        (MEMBER, OF_IT, True, False, False, False, False),
        (MEMBER, REPRESENTS, True, True, True, True, False),
        (SUSPENDED, REPRESENTS, False, False, False, False, False),
        (MODERATOR, NONE, True, False, False, False, False),
        (ADMIN, NONE, True, True, True, True, True),
    ],
)
def test_who_changes_an_organisation(actor, tie, join, name_self_rep, add_other, edit, verify):
    me = actor.user_id or 0
    assert allowed(p.check_can_affiliate, actor, me, "member", tie) is join
    assert allowed(p.check_can_affiliate, actor, me, "representative", tie) is name_self_rep
    assert allowed(p.check_can_affiliate, actor, 99, "member", tie) is add_other
    assert allowed(p.check_can_edit_organisation, actor, tie) is edit
    assert allowed(p.check_can_verify_organisation, actor) is verify
    assert allowed(p.check_can_create_organisation, actor) is verify
    # Leaving is always one's own to do; removing someone else takes editing rights.
    assert allowed(p.check_can_end_affiliation, actor, 99, tie) is edit
    assert allowed(p.check_can_show_affiliation, actor, 99) is False


def test_an_applicant_sees_no_members_only_contact_and_keeps_no_read_positions():
    assert not p.may_see_contact(APPLICANT, "members", p.NO_TIE)
    assert p.may_see_contact(APPLICANT, "public", p.NO_TIE)
    assert not p.keeps_read_positions(APPLICANT)
    p.check_can_change_settings(APPLICANT, renaming=True)  # an applicant names themselves
    assert allowed(p.check_can_apply, APPLICANT)
    assert not allowed(p.check_can_apply, MEMBER)
    assert not allowed(p.check_can_apply, ANON)


def test_who_decides_an_application():
    africa, asia, verified = 1, 2, 10
    admin = p.approver(ADMIN, (), ())
    moderator = p.approver(MODERATOR, [africa], ())
    representative = p.approver(MEMBER, (), [verified])
    assert p.check_can_decide_application(admin, asia, None) == "admin"
    assert p.check_can_decide_application(moderator, africa, None) == "moderator"
    assert p.check_can_decide_application(representative, asia, verified) == "representative"
    for scope, region, organisation in ((moderator, asia, None), (representative, asia, 11)):
        assert not allowed(p.check_can_decide_application, scope, region, organisation)
    # Regions count for moderators only; nobody decides while suspended or applying.
    assert not p.approver(MEMBER, [africa], ()).regions
    assert not p.approver(SUSPENDED, (), [verified]).anyone
    assert not p.approver(APPLICANT, [africa], [verified]).anyone


def test_moderators_act_in_their_regions_admins_everywhere():
    africa, asia = 1, 2
    assert allowed(p.check_can_moderate_in, MODERATOR, africa, [africa])
    assert not allowed(p.check_can_moderate_in, MODERATOR, asia, [africa])
    assert allowed(p.check_can_moderate_in, ADMIN, asia, [])
    assert not allowed(p.check_can_moderate_in, MEMBER, africa, [africa])
    assert not allowed(p.check_can_moderate_in, SUSPENDED_MODERATOR, africa, [africa])


def test_a_regions_moderation_queue_is_for_its_moderators_and_admins():
    queue = p.ChannelTarget("mod", region_visibility="public", region_id=1)
    assert allowed(p.check_can_listen, MODERATOR, queue, [1, 2])
    assert not allowed(p.check_can_listen, MODERATOR, queue, [2])  # another region's
    assert allowed(p.check_can_listen, ADMIN, queue, [])
    with pytest.raises(DomainError) as refused:
        p.check_can_listen(MODERATOR, queue, [2])
    assert refused.value.code == "channel_forbidden"


def test_a_thread_awaiting_approval_is_listened_to_by_its_regions_moderators_and_admins():
    held = p.ChannelTarget("thread", region_visibility="public", thread_hidden=True,
                           thread_pending=True, author_id=MEMBER.user_id, region_id=1)  # fmt: skip
    assert allowed(p.check_can_listen, MODERATOR, held, [1, 2])
    assert allowed(p.check_can_listen, ADMIN, held, [])
    with pytest.raises(DomainError) as refused:
        p.check_can_listen(MODERATOR, held, [2])  # another region's: as for its API, none
    assert refused.value.code == "channel_not_found"
    assert not allowed(p.check_can_listen, OTHER, held, [])


def test_editors_and_admins_edit_the_knowledge_pages():
    editor = p.Actor(8, Role.EDITOR)
    suspended_editor = p.Actor(9, Role.EDITOR, suspended=True)
    may = {actor: allowed(p.check_can_edit_knowledge, actor)
           for actor in (ANON, APPLICANT, MEMBER, SUSPENDED, MODERATOR, editor,
                         suspended_editor, ADMIN)}  # fmt: skip
    assert [a for a, yes in may.items() if yes] == [editor, ADMIN]
    # An editor is a member otherwise: reads members-only content, moderates nothing.
    assert editor.member and not editor.staff
