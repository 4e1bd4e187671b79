"""Reply addresses: signed, lower case, expiring; anything else is not ours."""

from datetime import date, timedelta

from forum.mail import reply_address as ra

SECRET = "a-secret-long-enough-for-the-forum-0123456789"
FROM = "CSO Forum <forum@forum.example.org>"


def test_an_address_names_its_member_and_thread():
    address = ra.address(SECRET, FROM, 42, 1_000_003)
    local, _, domain = address.partition("@")
    assert domain == "forum.example.org"
    assert len(local) <= 64 and local == local.lower()
    found = ra.target(SECRET, f"Someone <{address}>")
    assert (found.user_id, found.thread_id) == (42, 1_000_003)


def test_relays_that_change_case_do_not_break_it():
    address = ra.address(SECRET, FROM, 7, 9)
    assert ra.target(SECRET, address.upper()) == ra.target(SECRET, address)


def test_a_changed_id_another_key_or_another_shape_is_refused():
    address = ra.address(SECRET, FROM, 7, 9)
    local, _, domain = address.partition("@")
    user, thread, days, mac = local.removeprefix("reply+").split(".")
    assert ra.target(SECRET, f"reply+8.{thread}.{days}.{mac}@{domain}") is None
    assert ra.target(SECRET, f"reply+{user}.a.{days}.{mac}@{domain}") is None
    assert ra.target("another-secret-long-enough-0123456789abcdef", address) is None
    for bad in ("forum@forum.example.org", "reply+@x", "reply+1.2.3@x", "reply+1.2.3.4.5@x",
                "reply+-1.2.3.abc@x", "", "not an address"):  # fmt: skip
        assert ra.target(SECRET, bad) is None


def test_an_address_expires():
    issued = date(2026, 1, 1)
    token = ra.token(SECRET, 7, 9, today=issued)
    address = f"reply+{token}@forum.example.org"
    last_day = issued + ra.LIFETIME
    assert ra.target(SECRET, address, today=last_day).expires == last_day
    assert ra.target(SECRET, address, today=last_day + timedelta(days=1)) is None
