"""Handles: a default from the display name (deduplicated, backfilled for existing
accounts), changeable with the old one still leading to its member and to nobody else."""

from __future__ import annotations

from sqlalchemy import text

from forum import handles, migrate
from forum.db import Database
from forum.errors import DomainError, Kind
from tests.forum.test_migrations import _to


async def _handle(db, user_id: int) -> str:
    async with db.transaction() as s:
        return await s.scalar(text("SELECT handle FROM users WHERE id = :id"), {"id": user_id})


async def _change(db, actor, wanted: str) -> str:
    async with db.transaction() as s:
        return await handles.change(s, actor, wanted)


async def _refused(call, code: str) -> None:
    try:
        await call
    except DomainError as e:
        assert e.code == code, e.code
    else:
        raise AssertionError("accepted")


async def test_default_from_the_display_name_deduplicated(db, make):
    first = await make.user(display_name="Amínata Diallo")
    second = await make.user(display_name="Aminata-Diallo!")
    other_script = await make.user(display_name="Анна")
    assert await _handle(db, first["id"]) == "aminata_diallo"
    assert await _handle(db, second["id"]) == "aminata_diallo_2"
    assert await _handle(db, other_script["id"]) == f"member_{other_script['id']}"


async def test_change_keeps_the_old_one_leading_to_its_member(db, make):
    amina = await make.user(display_name="Amina")
    bob = await make.user(display_name="Bob Bob")
    assert await _change(db, amina["actor"], "@Amina_KE") == "amina_ke"
    async with db.transaction() as s:
        assert (await handles.resolve(s, "AMINA")) == handles.Found(amina["id"], "amina_ke", True)
        assert (await handles.resolve(s, "amina_ke")).moved is False
        assert await handles.members(s, ["amina", "amina_ke", "bob_bob", "nobody"]) == {
            "amina": amina["id"], "amina_ke": amina["id"], "bob_bob": bob["id"]
        }  # fmt: skip
    # Nobody else takes a handle in use, or one that still leads to someone.
    await _refused(_change(db, bob["actor"], "amina"), "handle_taken")
    await _refused(_change(db, bob["actor"], "amina_ke"), "handle_taken")
    # Its member takes it back.
    assert await _change(db, amina["actor"], "amina") == "amina"
    async with db.transaction() as s:
        assert (await handles.resolve(s, "amina_ke")) == handles.Found(amina["id"], "amina", True)


async def test_bad_handles_are_refused_and_change_nothing(db, make):
    member = await make.user(display_name="Claire")
    for bad in ("ab", "x" * 31, "claire dupont", "clairé", ""):
        try:
            await _change(db, member["actor"], bad)
        except DomainError as e:
            assert e.kind is Kind.INVALID and e.code == "invalid_handle"
        else:
            raise AssertionError(bad)
    assert await _handle(db, member["id"]) == "claire"


async def test_existing_accounts_get_handles(empty_database_url):
    db = Database(empty_database_url, pool_size=1)
    try:
        await _to(db, "0025")
        async with db.transaction() as s:
            for n, name in enumerate(["Jean Dupont", "Jean  Dupont!", "Li", "Ébène ONG"]):
                await s.execute(
                    text(
                        "INSERT INTO users (email, display_name, display_name_key, "
                        "password_hash) VALUES (:email, :name, :key, 'x')"
                    ),
                    {"email": f"{n}@example.org", "name": name, "key": f"k{n}"},
                )
        await migrate.upgrade(db.engine)
        async with db.transaction() as s:
            found = (await s.scalars(text("SELECT handle FROM users ORDER BY id"))).all()
        assert found == ["jean_dupont", "jean_dupont_2", "member_3", "ebene_ong"]
    finally:
        await db.dispose()
