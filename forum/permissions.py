"""The one place that decides who may see and do what.

Every path asks here and nowhere else: the API and the pages, the core's actions, the
realtime hub (who may join a channel, which events reach whom, live and on resume) and
search (which regions a reader's hits, facets, totals and suggestions come from, and
which affiliations its documents carry).
Functions named `check_*` raise a `DomainError`; the others answer a question.
`allows(check_*, ...)` turns a check into a question, for pages that show a link only to
those who may follow it: the rule stays written once.

Audiences name who something is addressed to: `public` (anyone), `members` (approved
members), `staff` (moderators and admins) and `user:<id>` (one account). An event carries
the audience that may receive it; a reader belongs to the audiences `audiences` lists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from forum.errors import DomainError, Kind, forbidden, not_found
from forum.models import Role, Visibility

STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})

PUBLIC = "public"
MEMBERS = "members"
STAFF = "staff"
# Each account whose own channel (`user:<id>`) the event lists, and nobody else: only that
# account may join its channel (`check_can_listen`), so the channel names the audience.
# One event tells many members at once (`forum.notifier`: one row, not one per member).
# Such an event must list `user:` channels only (`recipients_channels`).
RECIPIENTS = "recipients"


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    role: Role | None = None
    # A suspended account reads like a visitor and writes nothing, whatever its role.
    suspended: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def member(self) -> bool:
        """An approved member in good standing: reads members-only content and takes part.
        An applicant (registered, not yet approved) reads what a visitor reads."""
        return self.authenticated and self.role is not Role.APPLICANT and not self.suspended

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES and not self.suspended


ANONYMOUS = Actor()


def user_audience(user_id: int) -> str:
    return f"user:{user_id}"


def audiences(actor: Actor) -> frozenset[str]:
    """The audiences this actor belongs to, i.e. the events it may receive."""
    found = {PUBLIC}
    if actor.user_id is not None:
        found.add(user_audience(actor.user_id))
        found.add(RECIPIENTS)
    if actor.member:
        found.add(MEMBERS)
    if actor.staff:
        found.add(STAFF)
    return frozenset(found)


def recipients_channels(user_ids: Collection[int]) -> list[str]:
    """The channels of a `RECIPIENTS` event: each listed account's own, nothing else."""
    return [user_audience(i) for i in user_ids]


@dataclass(frozen=True)
class Readers:
    """`audiences` for a query over many accounts: those who belong to an audience now.
    Queries filter `users u` with `(:any_role OR u.role = ANY(:roles)) AND (NOT
    :good_standing OR NOT <suspended now>) AND (:only IS NULL OR u.id = :only)`;
    `nobody` for an audience no account belongs to."""

    any_role: bool
    roles: tuple[str, ...]
    good_standing: bool
    only: int | None = None
    nobody: bool = False


def readers(audience: str) -> Readers:
    """Who among accounts receives what is addressed to `audience` (as `audiences` says
    for one actor): public, anyone; members, approved members in good standing; staff,
    moderators and admins in good standing; `user:<id>`, that account."""
    if audience == PUBLIC:
        return Readers(True, (), False)
    if audience == MEMBERS:
        member_roles = tuple(r.value for r in Role if r is not Role.APPLICANT)
        return Readers(False, member_roles, True)
    if audience == STAFF:
        return Readers(False, tuple(r.value for r in STAFF_ROLES), True)
    kind, _, number = audience.partition(":")
    if kind == "user" and number.isdigit():
        return Readers(True, (), False, only=int(number))
    return Readers(True, (), False, nobody=True)


def readable_visibilities(actor: Actor) -> frozenset[str]:
    """Region visibilities this actor may read; queries filter with `= ANY(...)`."""
    if actor.member:
        return frozenset({Visibility.PUBLIC.value, Visibility.MEMBERS.value})
    return frozenset({Visibility.PUBLIC.value})


def can_read_region(actor: Actor, visibility: str) -> bool:
    return visibility in readable_visibilities(actor)


def _is(actor: Actor, user_id: int | None) -> bool:
    """`actor` is that account (a visitor is nobody, even where no author is known)."""
    return actor.user_id is not None and actor.user_id == user_id


def reads_hidden_threads(actor: Actor) -> bool:
    """Whether hidden threads are readable to this actor; queries filter with it."""
    return actor.staff


def can_read_thread(
    actor: Actor,
    region_visibility: str,
    hidden: bool,
    *,
    pending: bool = False,
    author_id: int | None = None,
) -> bool:
    """A thread awaiting approval (`pending`) is hidden, and read by its author too."""
    if not can_read_region(actor, region_visibility):
        return False
    return not hidden or reads_hidden_threads(actor) or (pending and _is(actor, author_id))


def can_see_post_content(actor: Actor, author_id: int | None, hidden: bool, deleted: bool) -> bool:
    if deleted:
        return False
    return not hidden or actor.staff or _is(actor, author_id)


@dataclass(frozen=True)
class PostState:
    """A post and its thread as the database holds them now: what `can_read_post` needs."""

    region_visibility: str
    thread_hidden: bool
    thread_pending: bool
    thread_author_id: int | None
    author_id: int | None
    hidden: bool
    deleted: bool
    pending: bool
    region_id: int


def can_read_post(actor: Actor, post: PostState, moderated: Collection[int] = ()) -> bool:
    """Whether `actor` may read this post's words now, wherever they would reach them
    (a notification, a mail): its thread readable, the post findable and its content
    visible, and, awaiting approval, readable as such (`moderated`: the actor's regions)."""
    if not can_read_thread(
        actor,
        post.region_visibility,
        post.thread_hidden,
        pending=post.thread_pending,
        author_id=post.thread_author_id,
    ):
        return False
    if not can_find_post(actor, post.author_id, post.pending):
        return False
    if not can_see_post_content(actor, post.author_id, post.hidden, post.deleted):
        return False
    if post.pending or post.thread_pending:
        author = post.author_id if post.pending else post.thread_author_id
        return can_read_pending(actor, author, post.region_id in moderated)
    return True


def hears_outcome(actor: Actor, author_id: int | None, region_visibility: str) -> bool:
    """A moderation outcome about what `author_id` wrote (hidden, deleted, approved, ...)
    is told to its author while they may read its region, even when what it is about is
    hidden from them now: it is their own writing. What the notice shows of it still
    follows the rules: a thread's title to its readers and its author, a post's words
    as `can_read_post` says."""
    return _is(actor, author_id) and can_read_region(actor, region_visibility)


def can_find_post(actor: Actor, author_id: int | None, pending: bool) -> bool:
    """A post awaiting approval (`forum.approvals`) is held hidden and has no place in
    its thread: to anyone but its author and moderators it does not exist (no
    tombstone, no count, no event), where a hidden post keeps its place."""
    return not pending or actor.staff or _is(actor, author_id)


def can_read_pending(actor: Actor, author_id: int | None, moderates_region: bool) -> bool:
    """A post or thread awaiting approval: its author, admins, and the moderators of its
    region (`moderates_region`) read it; nobody else, moderators of other regions
    included."""
    if _is(actor, author_id):
        return True
    return actor.staff and (actor.role is Role.ADMIN or moderates_region)


@dataclass(frozen=True)
class PendingScope:
    """`can_read_pending` for a query over many threads or posts: all of them
    (`everywhere`), else those `of` wrote and those of the regions `of` moderates (when
    `moderated`). Queries filter with `NOT pending OR :everywhere OR author_id = :of OR
    (:moderated AND region_id IN (regions :of moderates))`."""

    everywhere: bool
    of: int | None
    moderated: bool


def pending_scope(actor: Actor) -> PendingScope:
    admin = actor.staff and actor.role is Role.ADMIN
    return PendingScope(everywhere=admin, of=actor.user_id, moderated=actor.staff)


def holds_posts(actor: Actor, approve_new_members: bool, trusted: bool) -> bool:
    """Whether what `actor` writes in a region waits for a moderator's approval: in a
    region that approves new members' posts, until one of theirs was approved or
    published (`trusted`); moderators and admins are always trusted."""
    return approve_new_members and not trusted and not actor.staff


def post_audience(
    region_visibility: str, thread_hidden: bool, pending: bool, author_id: int | None
) -> str:
    """Who may receive what happens to a post now: its thread's audience; while it awaits
    approval, its author only. The moderators of its region find it in their queue
    (`mod:<region>`); any other reader of the thread, moderators of other regions
    included, must not learn that it exists."""
    return thread_audience(
        region_visibility, thread_hidden, pending_author=author_id if pending else None
    )


def check_can_change_region_settings(actor: Actor) -> None:
    """A region's settings (its description, whether it approves new members' posts)."""
    check_can_administer(actor)


@dataclass(frozen=True)
class PostScope:
    """`can_see_post_content` for a query over many posts: never a deleted one; a hidden
    one if `all_hidden`, or if `hidden_of` wrote it. Queries filter with
    `deleted_at IS NULL AND (NOT hidden OR :all_hidden OR author_id = :hidden_of)`."""

    all_hidden: bool
    hidden_of: int | None


def visible_posts(actor: Actor) -> PostScope:
    return PostScope(all_hidden=actor.staff, hidden_of=actor.user_id)


def keeps_read_positions(actor: Actor) -> bool:
    """Whether the forum keeps how far this actor has read each thread, and so tells them
    what is new: members only (a suspended account writes nothing, this included)."""
    return actor.member


def check_can_keep_read_positions(actor: Actor) -> None:
    check_can_write(actor)


def affiliation_shown(shown: bool) -> bool:
    """Whether a member's affiliation may be shown to others, given the member's choice
    (`affiliations.shown`). Search's `org` filter matches an author's posts only then,
    asked at each query, so it can never tell who belongs to an organisation that is
    not shown. The answer is the same for every reader."""
    return shown


def shown_affiliations() -> list[bool]:
    """The values of `affiliations.shown` whose affiliation is shown; queries filter with
    `= ANY(...)`."""
    return [flag for flag in (False, True) if affiliation_shown(flag)]


def thread_audience(
    region_visibility: str, thread_hidden: bool, *, pending_author: int | None = None
) -> str:
    """Who may receive what happens in a thread, as the thread and its region are now. A
    thread awaiting approval (`pending_author` wrote it): its author only, since no
    audience names its region's moderators and other moderators must not read its title."""
    if pending_author is not None:
        return user_audience(pending_author)
    if thread_hidden:
        return STAFF
    return PUBLIC if region_visibility == Visibility.PUBLIC.value else MEMBERS


@dataclass(frozen=True)
class ChannelTarget:
    """What a realtime channel is about, as the database says now (`forum.channels`)."""

    kind: str  # thread, region, topic, user, mod
    exists: bool = True
    region_visibility: str | None = None  # thread, region, mod
    thread_hidden: bool = False  # thread
    thread_pending: bool = False  # thread (awaiting approval, `forum.approvals`)
    author_id: int | None = None  # thread
    user_id: int | None = None  # user
    region_id: int | None = None  # thread, mod


def check_can_listen(actor: Actor, target: ChannelTarget, moderated: Collection[int] = ()) -> None:
    """Raise unless `actor` may join the channel; one it may not read looks missing.
    `moderated`: the regions `actor` moderates (a region's queue, `mod:<slug>`, is its
    moderators' and the admins', as a thread awaiting approval is)."""
    if not target.exists:
        raise not_found("channel")
    if target.kind == "thread":
        assert target.region_visibility is not None
        if not can_read_thread(actor, target.region_visibility, target.thread_hidden):
            raise not_found("channel")
        # Awaiting approval: hidden, and among the staff its region's moderators' alone.
        moderates = target.region_id in moderated
        if target.thread_pending and not can_read_pending(actor, target.author_id, moderates):
            raise not_found("channel")
    elif target.kind in ("region", "mod"):
        assert target.region_visibility is not None
        if not can_read_region(actor, target.region_visibility):
            raise not_found("channel")
        if target.kind == "mod":
            assert target.region_id is not None
            if not allows(check_can_handle_case, actor, target.region_id, moderated):
                raise forbidden("channel_forbidden", "The moderation queue is for moderators.")
    elif target.kind == "user" and (actor.user_id is None or actor.user_id != target.user_id):
        raise forbidden("channel_forbidden", "These notifications belong to someone else.")
    # topic: anyone; what reaches them is still filtered event by event (`audiences`).


def _check_in_good_standing(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(Kind.UNAUTHENTICATED, "login_required", "Log in to take part.")
    if actor.suspended:
        raise forbidden("account_suspended", "This account is suspended.")


def check_can_write(actor: Actor) -> None:
    """Taking part (posting, and every write but one's own account's): approved members."""
    _check_in_good_standing(actor)
    if actor.role is Role.APPLICANT:
        raise forbidden(
            "not_approved",
            "Your membership has not been approved yet: you can read public content.",
        )


def check_signed_in(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(Kind.UNAUTHENTICATED, "login_required", "Log in first.")


def check_can_change_settings(actor: Actor, *, renaming: bool) -> None:
    """One's own settings. A display name shows next to what one wrote, so a suspended
    member keeps theirs (an applicant, who wrote nothing yet, chooses theirs); the
    interface language is one's own affair."""
    if renaming:
        _check_in_good_standing(actor)
    else:
        check_signed_in(actor)


def check_can_manage_sessions(actor: Actor) -> None:
    """Seeing and ending one's own sessions: a suspended member may too (it protects the
    account and shows nothing to anyone else)."""
    check_signed_in(actor)


def check_can_export(actor: Actor) -> None:
    """Downloading what the forum holds about oneself: anyone signed in, suspended too."""
    check_signed_in(actor)


def check_can_delete_account(actor: Actor) -> None:
    """Deleting one's own account (with one's password): anyone signed in, a suspended
    member too; their posts go, or stay under no name, like anyone's."""
    check_signed_in(actor)


def check_can_reply(actor: Actor, locked: bool) -> None:
    check_can_write(actor)
    if locked and not actor.staff:
        raise forbidden("thread_locked", "This thread is locked and takes no replies.")


def check_can_change_post(actor: Actor, author_id: int | None, deleted: bool) -> None:
    check_can_write(actor)
    if not _is(actor, author_id):
        raise forbidden("not_author", "Only the author may change this post.")
    if deleted:
        raise DomainError(Kind.CONFLICT, "post_deleted", "This post has been deleted.")


def check_can_edit_post(
    actor: Actor, author_id: int | None, deleted: bool, region_id: int, moderated: Collection[int]
) -> None:
    """Authors edit their posts; the moderators of the post's region (`moderated`: the
    actor's regions) and admins edit anyone's there. Nobody edits a deleted post."""
    if _is(actor, author_id) or not actor.staff:
        check_can_change_post(actor, author_id, deleted)
        return
    check_can_moderate_in(actor, region_id, moderated)
    if deleted:
        raise DomainError(Kind.CONFLICT, "post_deleted", "This post has been deleted.")


def check_can_read_revisions(
    actor: Actor, author_id: int | None, region_id: int, moderated: Collection[int]
) -> None:
    """Edits often remove something the author regrets publishing (a name, a place):
    earlier versions are for the author, the moderators of the post's region and admins."""
    if _is(actor, author_id):
        return
    if not actor.staff:
        raise forbidden("revisions_private", "Only the author and moderators see earlier versions.")
    check_can_moderate_in(actor, region_id, moderated)


def check_can_redact(actor: Actor, region_id: int, moderated: Collection[int]) -> None:
    """Purging an earlier version's text for good: moderators of the post's region, admins."""
    check_can_moderate_in(actor, region_id, moderated)


def check_can_moderate(actor: Actor) -> None:
    check_can_write(actor)
    if not actor.staff:
        raise forbidden("moderators_only", "Only moderators may do this.")


def check_can_moderate_in(actor: Actor, region_id: int, moderated: Collection[int]) -> None:
    """Moderators act in the regions they moderate (`moderated`), admins everywhere."""
    check_can_moderate(actor)
    if actor.role is not Role.ADMIN and region_id not in moderated:
        raise forbidden("not_your_region", "You do not moderate this region.")


def check_can_suspend(actor: Actor, user_id: int, role: Role) -> None:
    """Suspending or reinstating the account `user_id` (whose role is `role`), all over
    the forum: moderators do it to members and applicants, admins to anyone; nobody to
    themselves."""
    check_can_moderate(actor)
    if _is(actor, user_id):
        raise forbidden("not_yourself", "You cannot suspend or reinstate yourself.")
    if actor.role is not Role.ADMIN and role in STAFF_ROLES:
        raise forbidden(
            "staff_account", "Only administrators suspend moderators and administrators."
        )


def check_can_flag(actor: Actor, author_id: int | None) -> None:
    """Reporting a post one may read (the caller finds it readable): members in good
    standing, not on their own posts."""
    check_can_write(actor)
    if _is(actor, author_id):
        raise forbidden("own_post", "You cannot report your own post.")


def check_can_handle_case(actor: Actor, region_id: int, moderated: Collection[int]) -> None:
    """Reading and handling the reports on a post of the region `region_id` (who
    reported it, why, the notes), and its region's queue: its moderators and admins."""
    check_can_moderate_in(actor, region_id, moderated)


def check_can_edit_knowledge(actor: Actor) -> None:
    """The knowledge pages (UNCAC review status, news, events, resources): editors curate
    them, admins too."""
    check_can_write(actor)
    if actor.role not in (Role.EDITOR, Role.ADMIN):
        raise forbidden("editors_only", "Only editors may do this.")


def check_can_administer(actor: Actor) -> None:
    check_can_write(actor)
    if actor.role is not Role.ADMIN:
        raise forbidden("admin_only", "Only administrators may do this.")


def allows(check: Callable[..., None], *args: object) -> bool:
    """Whether `check(*args)` passes."""
    try:
        check(*args)
    except DomainError:
        return False
    return True


# Organisations (CSO profiles, `forum.organisations`)


@dataclass(frozen=True)
class Tie:
    """How an actor stands to one organisation: `affiliated` (any role) and
    `representative`. A visitor has no tie."""

    affiliated: bool = False
    representative: bool = False


NO_TIE = Tie()


def can_read_organisation(actor: Actor, region_visibility: str) -> bool:
    """A profile is read where its country's region is: an organisation working in a
    members-only region is not told to visitors."""
    return can_read_region(actor, region_visibility)


def may_see_contact(actor: Actor, visibility: str, tie: Tie) -> bool:
    """Whether `actor` sees an email or phone the organisation made `visibility`: public
    to anyone who reads the profile, members-only to members, private to the
    organisation's own members and admins (so a private number never leaves them)."""
    if visibility == "public":
        return True
    if visibility == "members":
        return actor.member
    return (actor.member and tie.affiliated) or (actor.role is Role.ADMIN and not actor.suspended)


def may_see_affiliation(actor: Actor, user_id: int, shown: bool, tie: Tie) -> bool:
    """A member's affiliation shows to whoever reads the profile if the member chose to
    show it; otherwise only to that member, the organisation's representatives (who name
    and remove members) and admins."""
    if shown:
        return True
    if _is(actor, user_id):
        return True
    return (actor.member and tie.representative) or (
        actor.role is Role.ADMIN and not actor.suspended
    )


def region_audience(region_visibility: str) -> str:
    """Who may receive the events of a thing read wherever its region is (an
    organisation, an experience, a country's review, a published event or news item):
    the region's readers. Such events carry ids and nothing a reader of the thing may
    not see (no email, no phone)."""
    return PUBLIC if region_visibility == Visibility.PUBLIC.value else MEMBERS


def affiliation_audience(user_id: int, shown: bool, region_visibility: str) -> str:
    """An affiliation's change reaches the profile's readers only if it is shown; else
    only the member."""
    if shown:
        return region_audience(region_visibility)
    return user_audience(user_id)


def check_can_create_organisation(actor: Actor) -> None:
    check_can_administer(actor)


def check_can_edit_organisation(actor: Actor, tie: Tie) -> None:
    """Admins and the organisation's representatives edit its profile."""
    check_can_write(actor)
    if actor.role is not Role.ADMIN and not tie.representative:
        raise forbidden(
            "not_representative", "Only the organisation's representatives may do this."
        )


def check_can_verify_organisation(actor: Actor) -> None:
    """Verification says the forum vouches for the organisation: admins only."""
    check_can_administer(actor)


def check_can_affiliate(actor: Actor, user_id: int, role: str, tie: Tie) -> None:
    """A member adds themselves as a plain member; admins and representatives add anyone
    with either role (a representative vouches for their own organisation only)."""
    check_can_write(actor)
    if _is(actor, user_id) and role == "member":
        return
    check_can_edit_organisation(actor, tie)


def check_can_show_affiliation(actor: Actor, user_id: int) -> None:
    """Whether one's affiliation is shown is the member's own choice."""
    check_signed_in(actor)
    if not _is(actor, user_id):
        raise forbidden("not_yours", "Only the member chooses whether it is shown.")


def check_can_end_affiliation(actor: Actor, user_id: int, tie: Tie) -> None:
    """A member leaves on their own (suspended too: it only removes a tie); admins and
    representatives remove others."""
    if _is(actor, user_id):
        return
    check_can_edit_organisation(actor, tie)


# Experiences (CSO case stories, `forum.experiences`)


def can_read_experience(actor: Actor, region_visibility: str) -> bool:
    """An experience is read where its organisation is: whoever reads the profile (public
    regions: anyone; a members-only region: members). The countries it names do not
    widen or narrow that; the threads it links to are each filtered as threads."""
    return can_read_organisation(actor, region_visibility)


def check_can_write_experience(actor: Actor, tie: Tie) -> None:
    """The organisation's own members (any role) write and edit its experiences; admins
    too. Anyone else, moderators included, may not speak for the organisation."""
    check_can_write(actor)
    if not tie.affiliated and actor.role is not Role.ADMIN:
        raise forbidden(
            "not_affiliated", "Only members of the organisation may write its experiences."
        )


def check_can_read_experience_revisions(actor: Actor, tie: Tie) -> None:
    """Earlier versions (an edit may remove a name or a place) are for the organisation's
    members and moderators, as a post's are for its author and moderators."""
    if not ((actor.member and tie.affiliated) or actor.staff):
        raise forbidden(
            "revisions_private",
            "Only the organisation's members and moderators see earlier versions.",
        )


# Membership applications (`forum.applications`)


def check_can_apply(actor: Actor) -> None:
    """Applying (and changing a pending application) is for applicants."""
    check_signed_in(actor)
    if actor.role is not Role.APPLICANT:
        raise DomainError(Kind.CONFLICT, "already_member", "This account is a member already.")


@dataclass(frozen=True)
class Approver:
    """Whose applications an actor decides: everyone's (admins), those from the `regions`
    they moderate (moderators), those naming one of the verified `organisations` they
    represent (a representative vouches for their own organisation's staff only)."""

    everyone: bool = False
    regions: frozenset[int] = frozenset()
    organisations: frozenset[int] = frozenset()

    @property
    def anyone(self) -> bool:
        return self.everyone or bool(self.regions) or bool(self.organisations)


NO_APPROVER = Approver()


def approver(
    actor: Actor, moderated: Collection[int], represented_verified: Collection[int]
) -> Approver:
    """What `actor` may decide, given the regions they moderate and the verified
    organisations they represent (`forum.applications` reads both)."""
    if not actor.member:
        return NO_APPROVER
    if actor.role is Role.ADMIN:
        return Approver(everyone=True)
    regions = frozenset(moderated) if actor.role is Role.MODERATOR else frozenset()
    return Approver(regions=regions, organisations=frozenset(represented_verified))


def check_can_decide_application(
    scope: Approver, region_id: int, organisation_id: int | None
) -> str:
    """The capacity in which the approver decides this application (recorded with the
    decision); one who may not decide it gets 404 (it is the applicant's own data)."""
    if scope.everyone:
        return "admin"
    if region_id in scope.regions:
        return "moderator"
    if organisation_id is not None and organisation_id in scope.organisations:
        return "representative"
    raise not_found("application")


# The audit log (`forum.audit`)


def audit_regions(actor: Actor, moderated: Collection[int]) -> frozenset[int] | None:
    """The regions whose audit entries `actor` reads (None: every entry, for admins); a
    moderator reads those of the regions they moderate, and their own entries. Anyone
    else reads none (403)."""
    check_can_moderate(actor)
    if actor.role is Role.ADMIN:
        return None
    return frozenset(moderated)


# Proposals: calendar events (`forum.calendar_events`) and news (`forum.news`)


def check_can_propose(actor: Actor) -> None:
    """Members in good standing propose events and news items; they wait for a decision."""
    check_can_write(actor)


def check_can_decide_proposal(actor: Actor, region_id: int, moderated: Collection[int]) -> None:
    """Publishing, declining and editing what members propose (events, news items):
    editors (and admins) everywhere, the region's moderators in theirs."""
    if allows(check_can_edit_knowledge, actor):
        return
    check_can_moderate_in(actor, region_id, moderated)


def can_read_proposal(
    actor: Actor, proposer_id: int | None, region_id: int, moderated: Collection[int]
) -> bool:
    """A proposal (an event or news item not yet published, or declined): its proposer
    in good standing and those who may decide it; nobody else."""
    return (_is(actor, proposer_id) and not actor.suspended) or allows(
        check_can_decide_proposal, actor, region_id, moderated
    )


def can_read_event(
    actor: Actor,
    region_id: int,
    region_visibility: str,
    published: bool,
    proposer_id: int | None,
    moderated: Collection[int],
) -> bool:
    """A published event is read wherever its region is; one proposed or declined only by
    its proposer and those who may decide it."""
    if not can_read_region(actor, region_visibility):
        return False
    return published or can_read_proposal(actor, proposer_id, region_id, moderated)


@dataclass(frozen=True)
class ProposalScope:
    """Which proposals (events, news items) a reader's lists include, besides their own:
    all (`everywhere`) or those of `regions` (`can_read_proposal` for many rows)."""

    everywhere: bool
    regions: frozenset[int]


def proposal_scope(actor: Actor, moderated: Collection[int]) -> ProposalScope:
    if allows(check_can_edit_knowledge, actor):
        return ProposalScope(True, frozenset())
    if not allows(check_can_moderate, actor):
        return ProposalScope(False, frozenset())
    return ProposalScope(False, frozenset(moderated))
