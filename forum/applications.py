"""Membership: registering makes an applicant, approval makes a member.

An applicant reads what a visitor reads (`permissions.Actor.member`) and applies: their
organisation (one of the directory's, or by name), their country and a short
motivation. An approver decides (`permissions.approver`): an admin any application, a
moderator those from the regions they moderate, a representative of a verified
organisation those naming it. Approval needs the applicant's address verified
(`forum.verification`); a refusal needs a reason, which the applicant is sent. Every
decision records who decided, in which capacity and when; the applicant is told by email
(through the outbox, in the decision's transaction) and their open sessions and sockets
follow at once (`user.approved`, on their own channel: `realtime.sweep` checks them).

Applications are the applicant's own data: the applicant and those who may decide them
read them, anyone else gets 404. Tables `applications` and `moderated_regions`, through
SQLAlchemy Core only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import accounts, audit, editors, events, moderators, organisations, pagination
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.mail.outbox import Mailer
from forum.models import (
    Affiliation,
    AffiliationRole,
    Application,
    ApplicationStatus,
    Country,
    Organisation,
    Role,
    User,
)
from forum.permissions import (
    Actor,
    Approver,
    approver,
    check_can_apply,
    check_can_decide_application,
    check_can_write,
    user_audience,
)

MAX_MOTIVATION = 2000  # characters
MAX_REASON = 1000
APPROVED_KIND = "approved"  # the emails' kinds (`web.mail`)
REFUSED_KIND = "refused"


def _text(value: str, field: str, limit: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise invalid(field, f"Write {what}.", f"blank_{field}")
    if len(value) > limit:
        raise invalid(field, f"Keep it under {limit} characters.", "too_long")
    return value


async def submit(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    country: str,
    motivation: str,
    organisation: str | None = None,
    organisation_name: str | None = None,
) -> dict[str, Any]:
    """Apply, or change the pending application. `organisation` is a directory slug;
    `organisation_name` names one the directory does not hold (one of the two)."""
    check_can_apply(actor)
    (code,) = catalog.country_codes([country], field="country")
    motivation = _text(motivation, "motivation", MAX_MOTIVATION, "why you want to join")
    organisation_id = None
    if organisation:
        try:
            organisation_id = (await organisations.find(session, actor, catalog, organisation)).id
        except DomainError as exc:
            if exc.kind is not Kind.NOT_FOUND:
                raise
            raise invalid("organisation", "No such organisation.", "unknown_organisation") from None
        organisation_name = None
    elif organisation_name and organisation_name.strip():
        organisation_name = organisation_name.strip()[:200]
        accounts.check_name(organisation_name, "organisation_name")
    else:
        raise invalid("organisation", "Choose your organisation, or name it.", "blank_organisation")
    values = {"organisation_id": organisation_id, "organisation_name": organisation_name,
              "country_code": code, "motivation": motivation}  # fmt: skip
    await session.execute(
        upsert(Application)
        .values(user_id=actor.user_id, **values)
        .on_conflict_do_update(
            index_elements=[Application.user_id],
            index_where=Application.status == ApplicationStatus.PENDING.value,
            set_={**values, "submitted_at": func.now()},
        )
    )
    await _tell(session, "application.submitted", actor.user_id or 0)
    found = await mine(session, actor)
    assert found is not None
    return found


def _columns() -> tuple[Any, ...]:
    return (
        Application.id, Application.user_id, Application.organisation_id,
        User.display_name.label("name"),
        User.email_verified_at.isnot(None).label("email_verified"),
        Application.country_code.label("country"), Country.region_id,
        Organisation.slug.label("organisation"),
        func.coalesce(Organisation.name, Application.organisation_name).label(
            "organisation_name"),
        Application.motivation, Application.status, Application.submitted_at,
        Application.decided_at, Application.decided_as, Application.reason,
    )  # fmt: skip


def _query() -> Any:
    return (
        select(*_columns())
        .join(User, User.id == Application.user_id)
        .join(Country, Country.code == Application.country_code)
        .outerjoin(Organisation, Organisation.id == Application.organisation_id)
    )


def _view(row: Any) -> dict[str, Any]:
    found = dict(row._mapping)
    del found["region_id"], found["organisation_id"]
    return found


async def mine(session: AsyncConnection, actor: Actor) -> dict[str, Any] | None:
    """The actor's latest application (pending, or the last decided), or None."""
    if actor.user_id is None:
        return None
    row = (
        await session.execute(
            _query()
            .where(Application.user_id == actor.user_id)
            .order_by(Application.id.desc())
            .limit(1)
        )
    ).first()
    return _view(row) if row else None


async def scope(session: AsyncConnection, actor: Actor) -> Approver:
    """Whose applications `actor` decides (`permissions.approver`)."""
    if actor.user_id is None:
        return approver(actor, (), ())
    moderated = await moderators.regions_of(session, actor)
    represented = await session.scalars(
        select(Affiliation.organisation_id)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(
            Affiliation.user_id == actor.user_id,
            Affiliation.role == AffiliationRole.REPRESENTATIVE.value,
            Organisation.verified,
        )
    )
    return approver(actor, moderated, list(represented))


def _within(found: Approver) -> Any:
    """The applications `found` covers, as a condition on `_query()`."""
    if found.everyone:
        return Application.id.isnot(None)
    return or_(
        Country.region_id.in_(sorted(found.regions)) if found.regions else false(),
        Application.organisation_id.in_(sorted(found.organisations))
        if found.organisations
        else false(),
    )


async def queue(
    session: AsyncConnection,
    actor: Actor,
    *,
    status: str = ApplicationStatus.PENDING.value,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], str | None]:
    """The applications `actor` decides, oldest pending first (decided ones: latest
    decision first); 403 for anyone who decides none."""
    check_can_write(actor)
    found = await scope(session, actor)
    if not found.anyone:
        raise DomainError(
            Kind.FORBIDDEN, "not_an_approver", "Only those who approve members see applications."
        )
    if status not in {s.value for s in ApplicationStatus}:
        raise invalid("status", "Choose pending, approved or refused.", "invalid_status")
    query = _query().where(Application.status == status, _within(found))
    pending = status == ApplicationStatus.PENDING.value
    order = Application.submitted_at if pending else Application.decided_at
    if cursor is not None:
        key = pagination.decode(cursor, datetime, int)
        position = tuple_(order, Application.id)
        query = query.where(position > key if pending else position < key)
    query = query.order_by(
        *((order, Application.id) if pending else (order.desc(), Application.id.desc()))
    ).limit(limit + 1)
    rows = (await session.execute(query)).all()
    page = rows[:limit]
    following = None
    if len(rows) > limit:
        last = page[-1]
        following = pagination.encode(last.submitted_at if pending else last.decided_at, last.id)
    return [_view(r) for r in page], following


async def one(session: AsyncConnection, actor: Actor, application_id: int) -> dict[str, Any]:
    """An application `actor` decides (404 for any other)."""
    check_can_write(actor)
    found = await scope(session, actor)
    row = (await session.execute(_query().where(Application.id == application_id))).first()
    if row is None:
        raise not_found("application")
    check_can_decide_application(found, row.region_id, row.organisation_id)
    return _view(row)


async def decide(
    session: AsyncConnection,
    actor: Actor,
    mailer: Mailer,
    application_id: int,
    *,
    approve: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve or refuse a pending application. 404 for one the actor does not decide,
    409 when it is decided already or (approving) the address is not verified."""
    check_can_write(actor)
    found = await scope(session, actor)
    row = (
        await session.execute(
            _query().where(Application.id == application_id).with_for_update(of=Application)
        )
    ).first()
    if row is None:
        raise not_found("application")
    capacity = check_can_decide_application(found, row.region_id, row.organisation_id)
    if row.status != ApplicationStatus.PENDING.value:
        raise DomainError(Kind.CONFLICT, "already_decided", "This application is decided already.")
    if approve:
        if not row.email_verified:
            raise DomainError(
                Kind.CONFLICT,
                "email_unverified",
                "The applicant has not confirmed their email address yet.",
            )
        reason = None
    else:
        reason = _text(reason or "", "reason", MAX_REASON, "the reason the applicant will read")
    await _record(session, row, approve, actor.user_id, capacity, reason)
    await _admit_or_tell(session, mailer, row, approve, reason)
    await audit.record(
        session, actor, "application.approve" if approve else "application.refuse",
        ("application", row.id), region_id=row.region_id, reason=reason,
        after={"user_id": row.user_id, "decided_as": capacity},
    )  # fmt: skip
    return await _one(session, application_id)


async def _record(
    session: AsyncConnection,
    row: Any,
    approve: bool,
    decided_by: int | None,
    capacity: str,
    reason: str | None,
) -> None:
    status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REFUSED
    await session.execute(
        update(Application)
        .where(Application.id == row.id)
        .values(status=status.value, decided_at=func.now(), decided_by=decided_by,
                decided_as=capacity, reason=reason)
    )  # fmt: skip


async def _admit_or_tell(
    session: AsyncConnection, mailer: Mailer, row: Any, approve: bool, reason: str | None
) -> None:
    """The decision's effects: the account becomes a member (with the affiliation it
    named) or stays an applicant; the applicant is told by email and on their channel."""
    if approve:
        await _admit(session, row.user_id)
        if row.organisation_id is not None:  # a plain member, not shown until they say so
            await session.execute(
                upsert(Affiliation)
                .values(user_id=row.user_id, organisation_id=row.organisation_id)
                .on_conflict_do_nothing()
            )
    await _tell(session, "user.approved" if approve else "user.refused", row.user_id)
    await _mail(session, mailer, row.user_id, APPROVED_KIND if approve else REFUSED_KIND,
                {"reason": reason} if reason else {})  # fmt: skip


async def _admit(session: AsyncConnection, user_id: int) -> bool:
    """Make an applicant a member; False when the account was not an applicant."""
    admitted = await session.scalar(
        update(User)
        .where(User.id == user_id, User.role == Role.APPLICANT.value)
        .values(role=Role.MEMBER.value)
        .returning(User.id)
    )
    return admitted is not None


async def _mail(
    session: AsyncConnection, mailer: Mailer, user_id: int, kind: str, params: dict[str, Any]
) -> None:
    user = (
        await session.execute(
            select(User.email, User.display_name, User.language).where(User.id == user_id)
        )
    ).one()
    await mailer.enqueue(
        session, kind, user.email, user.language, {"name": user.display_name, **params}
    )


async def _tell(session: AsyncConnection, type_: str, user_id: int) -> None:
    """On the applicant's own channel only: nothing about an application reaches anyone
    else live; `user.*` has their sockets' sessions checked at once."""
    audience = user_audience(user_id)
    await events.append(session, type_, [audience], audience, {"user_id": user_id})


async def _one(session: AsyncConnection, application_id: int) -> dict[str, Any]:
    row = (await session.execute(_query().where(Application.id == application_id))).one()
    return _view(row)


async def approve_by_operator(session: AsyncConnection, mailer: Mailer, email: str) -> bool:
    """`forum approve EMAIL`: whoever runs the forum admits an applicant (their pending
    application, if any, is recorded as decided by the operator). False if the account
    was a member already; 404 for an unknown address."""
    user_id = await _by_email(session, email)
    if not await _admit(session, user_id):
        return False
    await session.execute(
        update(Application)
        .where(
            and_(
                Application.user_id == user_id,
                Application.status == ApplicationStatus.PENDING.value,
            )
        )
        .values(status=ApplicationStatus.APPROVED.value, decided_at=func.now(),
                decided_as="operator")
    )  # fmt: skip
    await _tell(session, "user.approved", user_id)
    await _mail(session, mailer, user_id, APPROVED_KIND, {})
    await audit.record(session, None, "application.approve", ("user", user_id),
                       after={"user_id": user_id, "decided_as": "operator"})  # fmt: skip
    return True


async def make_moderator(
    session: AsyncConnection, catalog: Catalog, email: str, regions: list[str]
) -> None:
    """`forum moderator`: the account moderates these regions (`moderators.assign`)."""
    await moderators.assign(session, None, catalog, await _by_email(session, email), regions)


async def make_editor(session: AsyncConnection, email: str, editor: bool) -> None:
    """`forum editor`: the account edits the knowledge pages, or no more (`editors`)."""
    await editors.set_editor(session, None, await _by_email(session, email), editor)


async def _by_email(session: AsyncConnection, email: str) -> int:
    user_id = await session.scalar(
        select(User.id).where(func.lower(User.email) == email.strip().lower())
    )
    if user_id is None:
        raise not_found("user")
    return user_id
