"""A schemathesis check loaded by `tests/web/test_api_fuzz.py` (SCHEMATHESIS_HOOKS).

`schema_valid_accepted`: a request the OpenAPI document calls valid is not refused as
malformed (400, 413, 415, 422). It is schemathesis' positive_data_acceptance with the
refusals no schema can state left out: values that only the forum's state makes valid
or not (a cursor it never handed out, a token it never mailed, a region or organisation
that does not exist, `from` after `to`). Each is refused with its own code, listed here.
"""

from __future__ import annotations

import json

import schemathesis

STATE_CODES = frozenset(
    {
        "invalid_cursor",  # opaque: only cursors the API handed out
        "invalid_range",  # from after to
        "token_unusable",  # a token the forum never mailed, or used
        "unknown_region",  # search filters name regions, topics, organisations that exist
        "unknown_topic",
        "unknown_org",
        "unknown_country",
        "wrong_password",  # deleting an account: the password is the account's
        "invalid_date",  # a news item's day: from 1990 to today, which moves
    }
)
MALFORMED = frozenset({400, 413, 415, 422})


@schemathesis.check
def schema_valid_accepted(ctx, response, case):  # type: ignore[no-untyped-def]
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in MALFORMED:
        return None
    try:
        code = json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code in STATE_CODES:
        return None
    raise AssertionError(
        f"A request valid by the document was refused: {response.status_code} {code}\n"
        f"{response.content[:500]!r}"
    )
