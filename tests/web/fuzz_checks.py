"""A schemathesis check loaded by `tests/web/test_api_fuzz.py` (SCHEMATHESIS_HOOKS).

`schema_valid_accepted`: a request the OpenAPI document calls valid is not refused as
malformed (400, 413, 415, 422). It is schemathesis' positive_data_acceptance with the
refusals no schema can state left out: values that only the forum's state, the clock or
another field make valid or not. Each is refused with its own code (and field), listed
here; anything else is a gap between the document and the API.
"""

from __future__ import annotations

import json

import schemathesis

ANY = None
EXEMPT: dict[str, set[str] | None] = {
    "invalid_cursor": ANY,  # opaque: only cursors the API handed out
    "token_unusable": ANY,  # a token the forum never mailed, or one used already
    "wrong_password": ANY,  # deleting an account: the password is the account's
    "unknown_region": ANY,  # names of regions, topics, countries, organisations that
    "unknown_topic": ANY,  # exist now
    "unknown_country": ANY,
    "unknown_org": ANY,
    "unknown_organisation": ANY,
    "invalid_range": {"from"},  # from after to
    "invalid_date": {"published_on"},  # a news item's day: from 1990 to today, which moves
    "until_not_future": {"until"},  # a suspension's last day: after today, which moves
    "not_a_region": {"mailing_list"},  # a follow's mailing list: regions (path and body)
    "invalid_dates": {"activities"},  # an organisation's activity ends after it starts
    "ends_before_start": {"ends"},  # an event's end and start, each in its time zone
    "too_long": {"ends"},  # an event lasts at most a year
    "required": {"place"},  # an edited event keeps a place unless online (its state)
}
MALFORMED = frozenset({400, 413, 415, 422})


def _exempt(content: bytes) -> bool:
    try:
        error = json.loads(content)["error"]
        code, fields = error["code"], set(error.get("fields") or ())
    except (ValueError, KeyError, TypeError):
        return False
    if code not in EXEMPT:
        return False
    allowed = EXEMPT[code]
    return allowed is ANY or (bool(fields) and fields <= allowed)


def _integers_with_a_point(value: object) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_integers_with_a_point(v) for v in value.values())
    if isinstance(value, list):
        return any(_integers_with_a_point(v) for v in value)
    return False


def _only_not_integers(content: bytes) -> bool:
    try:
        fields = json.loads(content)["error"]["fields"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(fields) and all(m == "Input should be a valid integer" for m in fields.values())


@schemathesis.check
def schema_valid_accepted(ctx, response, case):  # type: ignore[no-untyped-def]
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in MALFORMED or _exempt(response.content):
        return None
    if _integers_with_a_point(case.body) and _only_not_integers(response.content):
        # JSON Schema's "integer" takes 227.0; the API takes integers only as written
        # without a point (tests/web/test_bad_input.py refuses 1.0 and 1e2 as ids), which
        # no schema can say.
        return None
    if case.body is not None and not isinstance(case.body, dict):
        # Every body the document declares is an object. The coverage phase, varying a
        # header at its bounds (Idempotency-Key), was seen sending the body `0` as
        # "positive" (schemathesis 4.32): not a request the document calls valid.
        return None
    raise AssertionError(
        f"A request valid by the document was refused with {response.status_code}:\n"
        f"{response.content[:500]!r}"
    )
