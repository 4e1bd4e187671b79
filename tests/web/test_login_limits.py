"""Login limits (`forum.sessions`): every attempt is counted before its password is looked
at, per address, per account from an address and per account overall; the owner's own
device keeps a bucket strangers cannot fill."""

from __future__ import annotations

import asyncio

import httpx

from tests import factories
from web.auth import COOKIE, DEVICE_COOKIE

LOGIN = "/api/v1/auth/login"
WRONG = "not the password at all"


def _login(email: str, password: str = factories.PASSWORD) -> dict[str, str]:
    return {"email": email, "password": password}


def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "too_many_attempts"
    assert COOKIE not in r.cookies


async def test_parallel_wrong_passwords_reach_the_check_only_as_often_as_allowed(settings, db):
    async with factories.app_with_rates(settings, login_account_address=(5, 900)) as app:
        victim = await factories.Factory(app, db).user()
        async with factories.client(app, address="203.0.113.7") as attacker:
            answers = await asyncio.gather(
                *(attacker.post(LOGIN, json=_login(victim["email"], WRONG)) for _ in range(30))
            )
    statuses = sorted(r.status_code for r in answers)
    # Counted before the check and committed on their own: exactly five were checked.
    assert statuses == [401] * 5 + [429] * 25
    for r in answers:
        if r.status_code == 429:
            assert_refused(r)


async def test_the_owner_logs_in_from_their_device_while_strangers_are_refused(settings, db):
    async with factories.app_with_rates(
        settings, login_account=(4, 3600), login_account_address=(2, 900)
    ) as app:
        owner = await factories.Factory(app, db).user()
        async with factories.client(app, address="192.0.2.10") as laptop:
            r = await laptop.post(LOGIN, json=_login(owner["email"]))
            assert r.status_code == 200, r.text
            assert laptop.cookies.get(DEVICE_COOKIE)
            logout = {"X-CSRF-Token": r.json()["csrf_token"]}
            assert (await laptop.post("/api/v1/auth/logout", headers=logout)).status_code == 200

            # Strangers from many addresses fill the account's shared bucket...
            for n in range(1, 5):
                async with factories.client(app, address=f"203.0.113.{n}") as stranger:
                    for _ in range(2):
                        await stranger.post(LOGIN, json=_login(owner["email"], WRONG))
            # ...after which no unknown device gets in, with the right password or not.
            async with factories.client(app, address="203.0.113.99") as stranger:
                assert_refused(await stranger.post(LOGIN, json=_login(owner["email"])))
            async with factories.client(app, address="192.0.2.10") as new_browser:
                assert_refused(await new_browser.post(LOGIN, json=_login(owner["email"])))

            # The owner's own browser still logs in, from anywhere.
            r = await laptop.post(LOGIN, json=_login(owner["email"]))
            assert r.status_code == 200, r.text
            assert COOKIE in r.cookies
            async with factories.client(app, address="198.51.100.77") as travelling:
                travelling.cookies.set(DEVICE_COOKIE, laptop.cookies[DEVICE_COOKIE])
                assert (
                    await travelling.post(LOGIN, json=_login(owner["email"]))
                ).status_code == 200


async def test_a_device_cookie_counts_only_for_its_own_account(settings, db):
    async with factories.app_with_rates(settings, login_account_address=(2, 900)) as app:
        make = factories.Factory(app, db)
        mine, other = await make.user(), await make.user()
        async with factories.client(app, address="192.0.2.20") as browser:
            assert (await browser.post(LOGIN, json=_login(mine["email"]))).status_code == 200
            browser.cookies.delete(COOKIE)  # the session is over; the device cookie stays
            for _ in range(2):
                r = await browser.post(LOGIN, json=_login(other["email"], WRONG))
                assert r.status_code == 401
            assert_refused(await browser.post(LOGIN, json=_login(other["email"])))
            # A made-up cookie is no device either.
            browser.cookies.set(DEVICE_COOKIE, "made-up.cookie")
            assert_refused(await browser.post(LOGIN, json=_login(other["email"])))


async def test_the_device_cookie_names_nobody_a_person_could_read(settings, db, client, make):
    user = await make.user()
    r = await client.post(LOGIN, json=_login(user["email"]))
    device = r.cookies[DEVICE_COOKIE]
    random_id, mac = device.split(".")
    assert len(random_id) == 22 and len(mac) == 43  # 128 random bits, an HMAC-SHA256
    assert user["email"].split("@")[0] not in device
    client.cookies.delete(COOKIE)
    again = await client.post(LOGIN, json=_login(user["email"]))
    assert again.cookies[DEVICE_COOKIE] != device  # a fresh one at every login


async def test_one_address_is_limited_across_accounts(settings, db):
    async with factories.app_with_rates(settings, login_address=(3, 900)) as app:
        make = factories.Factory(app, db)
        users = [await make.user() for _ in range(4)]
        async with factories.client(app, address="203.0.113.50") as sprayer:
            for user in users[:3]:
                r = await sprayer.post(LOGIN, json=_login(user["email"], WRONG))
                assert r.status_code == 401
            assert_refused(await sprayer.post(LOGIN, json=_login(users[3]["email"])))
        async with factories.client(app, address="192.0.2.51") as elsewhere:
            assert (await elsewhere.post(LOGIN, json=_login(users[3]["email"]))).status_code == 200


async def test_an_unknown_email_is_answered_like_a_known_one(settings, db):
    async with factories.app_with_rates(settings, login_account_address=(2, 900)) as app:
        known = await factories.Factory(app, db).user()
        answers = {}
        for email in (known["email"], "nobody@example.org"):
            async with factories.client(app) as c:
                answers[email] = [await c.post(LOGIN, json=_login(email, WRONG)) for _ in range(3)]
    seen = [[(r.status_code, r.json()) for r in rs] for rs in answers.values()]
    assert seen[0] == seen[1]
    assert [status for status, _ in seen[0]] == [401, 401, 429]


async def test_counts_are_forgotten_after_the_window(settings, db):
    async with factories.app_with_rates(settings, login_account_address=(1, 3)) as app:
        user = await factories.Factory(app, db).user()
        async with factories.client(app) as c:
            assert (await c.post(LOGIN, json=_login(user["email"], WRONG))).status_code == 401
            r = await c.post(LOGIN, json=_login(user["email"]))
            assert_refused(r)
            await asyncio.sleep(int(r.headers["Retry-After"]))  # as the answer says
            assert (await c.post(LOGIN, json=_login(user["email"]))).status_code == 200
