"""Names, titles and emails refuse invisible characters with a 422 naming the field; a
display name that reads like another member's is refused with 409."""

from __future__ import annotations

import pytest

from forum import accounts
from forum.errors import DomainError

API = "/api/v1"
ACCOUNT = {"email": "aminata@example.org", "display_name": "Aminata Diallo",
           "password": "a long passphrase"}  # fmt: skip
THREAD = {"region": "africa", "topic": "public-procurement", "title": "Tenders", "body": "x"}
INVISIBLE = ["\u202e", "\u200b", "\u2066", "\u2069", "\ufeff", "\u00ad"]


def assert_refused(r, field: str, char: str) -> None:
    assert r.status_code == 422, r.text
    message = r.json()["error"]["fields"][field]
    assert f"U+{ord(char):04X}" in message and "invisible" in message


@pytest.mark.parametrize("char", INVISIBLE)
async def test_invisible_characters_are_refused_in_names_and_emails(client, char):
    for field, value in [
        ("display_name", f"Ami{char}nata"),
        ("organisation", f"Transparency{char} International"),
        ("email", f"ami{char}nata@example.org"),
    ]:
        r = await client.post(f"{API}/auth/register", json={**ACCOUNT, field: value})
        assert_refused(r, field, char)


@pytest.mark.parametrize("char", INVISIBLE)
async def test_invisible_characters_are_refused_in_titles(make, char):
    member = await make.logged_in()
    r = await member.post(f"{API}/threads", json={**THREAD, "title": f"Tend{char}ers"})
    assert_refused(r, "title", char)


async def test_joiners_inside_words_are_kept_and_refused_in_emails(client):
    persian = "می\u200cخواهم"
    r = await client.post(f"{API}/auth/register", json={**ACCOUNT, "display_name": persian})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["display_name"] == persian
    client.cookies.clear()
    r = await client.post(
        f"{API}/auth/register",
        json={**ACCOUNT, "email": "a\u200db@example.org", "display_name": "Other"},
    )
    assert_refused(r, "email", "\u200d")


@pytest.mark.parametrize(
    "lookalike", ["aminata diallo", "AMINATA  DIALLO", "Amínata Diallo", "Ami\u200dnata Diallo"]
)
async def test_a_name_that_reads_like_a_members_is_taken(client, lookalike):
    assert (await client.post(f"{API}/auth/register", json=ACCOUNT)).status_code == 201
    client.cookies.clear()
    r = await client.post(
        f"{API}/auth/register",
        json={**ACCOUNT, "email": "impostor@example.org", "display_name": lookalike},
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "display_name_taken"
    assert set(r.json()["error"]["fields"]) == {"display_name"}
    client.cookies.clear()
    r = await client.post(
        f"{API}/auth/register",
        json={**ACCOUNT, "email": "another@example.org", "display_name": "Aminata Diallo (KE)"},
    )
    assert r.status_code == 201


@pytest.mark.parametrize("name", ["A former member", "a  former MEMBER", "A förmer member"])
async def test_nobody_takes_the_name_of_deleted_accounts(client, make, name):
    r = await client.post(f"{API}/auth/register", json={**ACCOUNT, "display_name": name})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "display_name_taken"), r.text
    r = await (await make.logged_in()).patch(f"{API}/auth/me", json={"display_name": name})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "display_name_taken"), r.text


async def test_the_core_refuses_them_too(db):
    # The command line creates admins through the core, not through the API's schemas.
    async with db.transaction() as session:
        with pytest.raises(DomainError) as caught:
            await accounts.create_admin(
                session, email="chief@example.org", display_name="Chi\u202eef", password="x" * 12
            )
    assert caught.value.fields.keys() == {"display_name"}
