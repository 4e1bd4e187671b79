"""The OpenAPI 3.1 document, built from `web.routes.OPERATIONS` and the pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from forum import notifications
from forum.idempotency import MAX_KEY_LENGTH
from forum.pagination import MAX_CURSOR_LENGTH
from web import patterns, schemas
from web.inputs import MAX_PAGE
from web.routes import OPERATIONS, PREFIX

_QUERY_DOC = {
    "region": "Region slug (search: repeat to allow several)",
    "topic": "Topic slug (search: repeat to allow several)",
    "country": "ISO 3166-1 alpha-2 country code (search: repeat to allow several)",
    "cursor": "Opaque cursor from the previous page's next_cursor",
    "limit": "Page size (its bounds are in the schema; default 20, or 50 for some lists)",
    "q": 'Words to find, at most 500 characters: "a phrase", -excluded, a OR b',
    "kind": (
        "Search: thread, post, organisation, experience, news, event or resource "
        "(repeatable; default: every kind). Resources: the resource's kind"
    ),
    "author": "Author's user id (posts only)",
    "org": (
        "Organisation slug: the organisation, its experiences, and posts by members who "
        "show their affiliation with it (an affiliation a member keeps to themselves is "
        "never searched)"
    ),
    "uncac": "UNCAC article, 1 to 71 (repeatable; only organisations and experiences have any)",
    "from": "On or after this day (YYYY-MM-DD, UTC)",
    "to": "On or before this day (YYYY-MM-DD, UTC)",
    "page": "Result page, 1 to 50 (20 hits each)",
    "organisation": "Organisation slug",
    "moderator": "The acting moderator's or admin's user id",
    "action": "One action, such as post.hide or application.approve",
    "status": "Which ones by their state: applications pending (the default, oldest first), "
    "approved or refused (latest first); events published (the default), proposed or "
    "declined; news published or proposed (default: both, those you may read)",
    "when": "upcoming (the default, soonest first) or past (latest first)",
}
_ID = {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
# An empty value counts as left out (`web.inputs.query_text`).
_SLUG = {"type": "string", "pattern": "^[a-z0-9-]{0,64}$"}
_COUNTRY = {"type": "string", "pattern": "^([A-Za-z]{2})?$"}
_DAY = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _many(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item, "maxItems": 10}


# What each query parameter accepts, as `web.inputs` and the handlers check it. Refused
# nonetheless with 422, for lack of words to say so here: a cursor that is not one this
# API handed out (invalid_cursor) and `from` after `to` (invalid_range).
_QUERY_SCHEMA: dict[str, dict[str, Any]] = {
    "region": _SLUG,
    "topic": _SLUG,
    "country": _COUNTRY,
    "organisation": _SLUG,
    "cursor": {"type": "string", "maxLength": MAX_CURSOR_LENGTH,
               "pattern": "^[A-Za-z0-9_-]*$"},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "moderator": _ID,
    "action": {"type": "string", "maxLength": 40, "pattern": patterns.ANY_LINE},
    "from": _DAY,
    "to": _DAY,
    "when": {"type": "string", "enum": ["upcoming", "past"]},
}  # fmt: skip
# Where one route reads a parameter its own way.
_QUERY_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("/search", "q"): {"type": "string", "minLength": 1, "maxLength": 500,
                       "pattern": patterns.LINE},
    ("/search", "region"): _many({"type": "string", "pattern": "^[a-z0-9-]{1,64}$"}),
    ("/search", "topic"): _many({"type": "string", "pattern": "^[a-z0-9-]{1,64}$"}),
    ("/search", "country"): _many({"type": "string", "pattern": "^[A-Za-z]{2}$"}),
    ("/search", "kind"): _many({"type": "string", "enum": [
        "thread", "post", "organisation", "experience", "news", "event", "resource"]}),
    ("/search", "uncac"): _many({"type": "integer", "minimum": 1, "maximum": 71}),
    ("/search", "author"): _ID,
    ("/search", "org"): _SLUG,
    ("/search", "page"): {"type": "integer", "minimum": 1, "maximum": 50},
    ("/applications", "status"): {"type": "string", "enum": ["pending", "approved", "refused"]},
    ("/events", "status"): {"type": "string", "enum": ["published", "proposed", "declined"]},
    ("/notifications", "limit"): {"type": "integer", "minimum": 1,
                                  "maximum": notifications.MAX_PAGE},
    ("/news", "status"): {"type": "string", "enum": ["published", "proposed"]},
    ("/resources", "kind"): {"type": "string",
                             "enum": list(schemas.ResourceKindName.__args__)},
}  # fmt: skip
_REQUIRED_QUERY = {("/search", "q")}
_REF = "#/components/schemas/{model}"
# Path parameters are integer ids but these.
_PATH_SCHEMA = {
    "session_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    "slug": {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"},
    "code": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    # `forum.follows.parse`
    "target": {
        "type": "string",
        "maxLength": 120,
        "pattern": "^((thread|search):[0-9]{1,18}|(region|topic|country|organisation):[^/]+)$",
    },
}


def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {schemas.ErrorEnvelope}
    for op in OPERATIONS:
        models.update(m for m in (op.body, op.response) if m is not None)
    mode_of = {
        m: "validation" if issubclass(m, schemas.Request) else "serialization" for m in models
    }
    _, defs = models_json_schema(
        [(m, mode_of[m]) for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CSO anti-corruption forum",
            "version": "1",
            "description": (
                'Errors are always {"error": {"code", "message", "fields"}}. '
                "Cookie-authenticated state changes need the X-CSRF-Token header "
                "(the csrf_token from login or /auth/me)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "forum_session"}
            },
        },
    }


def _operation(op: Any) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": _PATH_SCHEMA.get(name, {"type": "integer"})}
        for name in re.findall(r"{(\w+)}", op.path)
    ]  # fmt: skip
    parameters += [
        {"name": q, "in": "query", "required": (op.path, q) in _REQUIRED_QUERY,
         "schema": _QUERY_OVERRIDES.get((op.path, q)) or _QUERY_SCHEMA[q],
         "description": _QUERY_DOC[q]}
        for q in op.query
    ]  # fmt: skip
    if op.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                # `forum.idempotency.check_key`: printable; HTTP trims the ends.
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": "^[!-~]([ -~]*[!-~])?$",
                },
                "description": "A retry with the same key returns the first answer",
            }
        )
    ok: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        ok["content"] = {
            "application/json": {"schema": {"$ref": _REF.format(model=op.response.__name__)}}
        }
    responses: dict[str, Any] = {str(op.status): ok}
    for status in op.errors:
        responses[str(status)] = {
            "description": "Error",
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model="ErrorEnvelope")}}
            },
        }
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.handler.__name__,
        "parameters": parameters,
        "responses": responses,
    }
    if 401 in op.errors:
        result["security"] = [{"session": []}]
    if op.body is not None:
        result["requestBody"] = {
            "required": not op.body_optional,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}
            },
        }
    return result
