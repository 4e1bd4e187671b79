"""The OpenAPI document describes every route, and real answers match what it declares."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route

from forum import accounts
from forum.models import Role
from tests import mail
from web import openapi as web_openapi
from web import schemas
from web.routes import OPERATIONS, PREFIX
from web.sections import every_route


async def test_document_lists_every_api_route(app, client):
    doc = (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    declared = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    mounted = {
        (method, r.path)
        for r in every_route(app.routes)
        if isinstance(r, Route) and r.path.startswith(PREFIX) and not r.path.endswith(".json")
        for method in r.methods - {"HEAD"}
    }
    assert declared == mounted
    for ref in _refs(doc):
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


async def test_answers_match_the_declared_shapes(make, client, settings):
    """Drive every operation once and check its answer against its response model."""
    c = await make.logged_in()
    by_key = {(op.method, op.path): op for op in OPERATIONS}
    checked = set()

    async def call(method, path, template, who=None, **kwargs):
        op = by_key[(method, template)]
        r = await (who or c).request(method, PREFIX + path, **kwargs)
        assert r.status_code == op.status, (method, path, r.text)
        if op.response is not None:
            op.response.model_validate_json(r.content)
        checked.add((method, template))
        return r.json()

    await call("GET", "/regions", "/regions")
    await call("GET", "/topics", "/topics")
    await call("GET", "/countries", "/countries")
    started = await call(
        "POST", "/threads", "/threads",
        json={"region": "africa", "topic": "public-procurement", "title": "T", "body": "B"},
    )  # fmt: skip
    tid = started["thread"]["id"]
    await call("GET", "/threads", "/threads")
    found = await call("GET", "/search?q=B", "/search")
    assert found["total"] == 1
    await call("GET", f"/threads/{tid}", "/threads/{thread_id}")
    await call("POST", f"/threads/{tid}/read", "/threads/{thread_id}/read", json={"position": 1})
    post = await call(
        "POST", f"/threads/{tid}/posts", "/threads/{thread_id}/posts", json={"body": "r"}
    )
    await call("PATCH", f"/posts/{post['id']}", "/posts/{post_id}", json={"body": "r2"})
    await call("GET", f"/posts/{post['id']}/revisions", "/posts/{post_id}/revisions")
    await call("DELETE", f"/posts/{post['id']}", "/posts/{post_id}")
    await call("POST", "/preview", "/preview", json={"body": "*hi*"})
    admin = await make.logged_in(await make.user(Role.ADMIN))
    await call(
        "POST",
        f"/posts/{post['id']}/revisions/1/redact",
        "/posts/{post_id}/revisions/{revision}/redact",
        admin,
        json={"reason": "R"},
    )
    org = {"slug": "o", "name": "O", "country": "SN", "kind": "ngo"}
    await call("POST", "/organisations", "/organisations", admin, json=org)
    await call("GET", "/organisations", "/organisations")
    await call("GET", "/organisations/o", "/organisations/{slug}")
    story = {"organisation": "o", "title": "S", "context": "C", "threads": [tid]}
    eid = (await call("POST", "/experiences", "/experiences", admin, json=story))["id"]
    await call("GET", "/experiences?organisation=o", "/experiences")
    await call("GET", f"/experiences/{eid}", "/experiences/{experience_id}")
    await call("PATCH", f"/experiences/{eid}", "/experiences/{experience_id}", admin,
               json={"year": 2020})  # fmt: skip
    await call("GET", f"/experiences/{eid}/revisions", "/experiences/{experience_id}/revisions",
               admin)  # fmt: skip
    await call("PATCH", "/organisations/o", "/organisations/{slug}", admin, json={"phone": "12345"})
    for verb in ("lock", "unlock", "pin", "unpin"):
        await call("POST", f"/threads/{tid}/{verb}", "/threads/{thread_id}/" + verb, admin,
                   json={"reason": "R"} if verb == "lock" else None)  # fmt: skip
    for verb in ("hide", "show", "delete", "restore"):
        await call("POST", f"/posts/{started['post']['id']}/{verb}", "/posts/{post_id}/" + verb,
                   admin)  # fmt: skip
    await call("POST", f"/threads/{tid}/move", "/threads/{thread_id}/move", admin,
               json={"region": "africa", "topic": "whistleblower-protection"})  # fmt: skip
    split = await call("POST", f"/threads/{tid}/split", "/threads/{thread_id}/split", admin,
                       json={"post_id": post["id"], "title": "Split off"})  # fmt: skip
    await call("POST", f"/threads/{split['id']}/merge", "/threads/{thread_id}/merge", admin,
               json={"into": tid})  # fmt: skip
    affiliations = "/organisations/{slug}/affiliations"
    await call("POST", "/organisations/o/affiliations", affiliations, json={"shown": True})
    await call("PATCH", "/organisations/o/affiliations/me", affiliations + "/me",
               json={"shown": False})  # fmt: skip
    await call("DELETE", f"/organisations/o/affiliations/{c.user['id']}",
               affiliations + "/{user_id}")  # fmt: skip
    await call("GET", "/auth/me", "/auth/me")
    await call("GET", "/auth/me/export", "/auth/me/export")
    await call("PATCH", "/auth/me", "/auth/me", json={"language": "fr"})
    await make.logged_in(c.user)  # another session of the same member, to end
    listed = await call("GET", "/auth/sessions", "/auth/sessions")
    other = next(s for s in listed["sessions"] if not s["current"])
    await call("DELETE", f"/auth/sessions/{other['id']}", "/auth/sessions/{session_id}")
    await call("POST", "/auth/sessions/end-others", "/auth/sessions/end-others")
    changed = await call(
        "POST", "/auth/password", "/auth/password",
        json={"current_password": "correct horse battery", "new_password": "another long one"},
    )  # fmt: skip
    c.headers["X-CSRF-Token"] = changed["csrf_token"]
    await call("POST", "/auth/logout", "/auth/logout")
    c.cookies.clear()
    del c.headers["X-CSRF-Token"]
    await call(
        "POST", "/auth/register", "/auth/register",
        json={"email": "new@example.org", "display_name": "New", "password": "long enough pw"},
    )  # fmt: skip
    c.cookies.clear()
    logged = await call(
        "POST", "/auth/login", "/auth/login",
        json={"email": "new@example.org", "password": "long enough pw"},
    )  # fmt: skip
    c.headers["X-CSRF-Token"] = logged["csrf_token"]
    await call("POST", "/auth/verify/resend", "/auth/verify/resend")
    token = await mail.link_to(make.app, settings.data_dir, "new@example.org", "verify")
    await call("POST", "/auth/verify", "/auth/verify", json={"token": token.rsplit("/", 1)[1]})
    await call("POST", "/auth/password/forgot", "/auth/password/forgot",
               json={"email": "new@example.org"})  # fmt: skip
    token = await mail.link_to(make.app, settings.data_dir, "new@example.org", "password/reset")
    await call(
        "POST", "/auth/password/reset", "/auth/password/reset",
        json={"token": token.rsplit("/", 1)[1], "new_password": "a new long password"},
    )  # fmt: skip
    c.cookies.clear()
    logged = await call(
        "POST", "/auth/login", "/auth/login",
        json={"email": "new@example.org", "password": "a new long password"},
    )  # fmt: skip
    c.headers["X-CSRF-Token"] = logged["csrf_token"]
    mine, decide = "/auth/me/application", "/applications/{application_id}"
    application = {"country": "SN", "organisation_name": "N", "motivation": "M"}
    applied = await call("PUT", mine, mine, json=application)
    await call("GET", mine, mine)
    await call("GET", "/applications", "/applications", admin)
    await call("GET", "/audit", "/audit", admin)
    await call("POST", f"/applications/{applied['id']}/refuse", decide + "/refuse", admin,
               json={"reason": "Which organisation?"})  # fmt: skip
    again = await call("PUT", mine, mine, json=application)
    await call("POST", f"/applications/{again['id']}/approve", decide + "/approve", admin)
    suspended = await make.user()
    who = f"/users/{suspended['id']}"
    await call("POST", who + "/suspend", "/users/{user_id}/suspend", admin,
               json={"reason": "Spam", "until": "2999-01-01"})  # fmt: skip
    await call("POST", who + "/reinstate", "/users/{user_id}/reinstate", admin, json={})
    await call("PUT", who + "/moderated-regions", "/users/{user_id}/moderated-regions", admin,
               json={"regions": ["africa"]})  # fmt: skip
    await call("GET", "/moderators", "/moderators", admin)
    editor = f"/users/{(await make.user())['id']}/editor"
    await call("PUT", editor, "/users/{user_id}/editor", admin, json={"editor": True})
    flagged = (await make.thread())["post"]["id"]
    await call("POST", f"/posts/{flagged}/flags", "/posts/{post_id}/flags",
               json={"reason": "other", "text": "T"})  # fmt: skip
    [case] = (await call("GET", "/regions/africa/flags", "/regions/{slug}/flags", admin))["cases"]
    one = f"/flag-cases/{case['id']}"
    await call("GET", one, "/flag-cases/{case_id}", admin)
    await call("POST", one + "/assign", "/flag-cases/{case_id}/assign", admin, json={"to": "me"})
    await call("POST", one + "/notes", "/flag-cases/{case_id}/notes", admin, json={"body": "N"})
    await call("POST", one + "/resolve", "/flag-cases/{case_id}/resolve", admin,
               json={"outcome": "dismiss", "reason": "R"})  # fmt: skip
    await call("GET", "/regions/settings", "/regions/settings", admin)
    await call("PUT", "/countries/SN/reviews/1", "/countries/{code}/reviews/{cycle}", admin,
               json={"stages": {"self_assessment": "2011-03-01"}, "reviewers": ["MA"]})  # fmt: skip
    await call("GET", "/countries/SN/reviews", "/countries/{code}/reviews")
    await call("PATCH", "/regions/africa", "/regions/{slug}", admin,
               json={"approve_new_members": True})  # fmt: skip
    resource = {"title": "Guide", "url": "https://example.org/g", "kind": "guide"}
    rid = (await call("POST", "/resources", "/resources", admin, json=resource))["id"]
    await call("GET", "/resources?kind=guide", "/resources")
    await call("GET", f"/resources/{rid}", "/resources/{resource_id}")
    await call("PATCH", f"/resources/{rid}", "/resources/{resource_id}", admin,
               json={"languages": ["fr"]})  # fmt: skip
    item = {"title": "N", "source_name": "S", "source_url": "https://example.org/n",
            "published_on": "2018-05-20", "region": "africa"}  # fmt: skip
    nid = (await call("POST", "/news", "/news", admin, json=item))["id"]
    await call("GET", "/news?region=africa", "/news")
    await call("GET", f"/news/{nid}", "/news/{news_id}")
    await call("PATCH", f"/news/{nid}", "/news/{news_id}", admin, json={"summary": "S"})
    proposer = await make.logged_in(await make.user())
    proposed = [(await proposer.post(PREFIX + "/news", json=item)).json()["id"] for _ in "ab"]
    await call("POST", f"/news/{proposed[0]}/approve", "/news/{news_id}/approve", admin)
    await call("POST", f"/news/{proposed[1]}/decline", "/news/{news_id}/decline", admin)
    newbie = await make.logged_in(await make.user())
    held = [(await newbie.post(PREFIX + f"/threads/{tid}/posts", json={"body": b})).json()["id"]
            for b in ("h1", "h2")]  # fmt: skip
    await call("GET", "/regions/africa/approvals", "/regions/{slug}/approvals", admin)
    await call("POST", f"/posts/{held[0]}/approve", "/posts/{post_id}/approve", admin,
               json={"body": "h1, edited"})  # fmt: skip
    await call("POST", f"/posts/{held[1]}/reject", "/posts/{post_id}/reject", admin,
               json={"reason": "Off topic"})  # fmt: skip
    event = {"title": "E", "region": "africa", "starts": "2099-05-14T09:00",
             "ends": "2099-05-14T17:00", "time_zone": "Africa/Dakar", "online": True}  # fmt: skip
    one_event = f"/events/{(await call('POST', '/events', '/events', json=event))['id']}"
    await call("PATCH", one_event, "/events/{event_id}", admin, json={"title": "E2"})
    await call("POST", one_event + "/publish", "/events/{event_id}/publish", admin)
    await call("GET", one_event, "/events/{event_id}")
    await call("GET", "/events", "/events")
    await call("POST", one_event + "/decline", "/events/{event_id}/decline", admin,
               json={"reason": "Cancelled"})  # fmt: skip
    follow = "/follows/{target}"
    await call("PUT", "/follows/region:africa", follow, json={"level": "watching"})
    await call("GET", "/me/follows", "/me/follows")
    await call("DELETE", "/follows/region:africa", follow)
    saved = await call("POST", "/saved-searches", "/saved-searches",
                       json={"name": "S", "q": "tenders", "region": "africa"})  # fmt: skip
    await call("GET", "/me/saved-searches", "/me/saved-searches")
    await call("DELETE", f"/saved-searches/{saved['id']}", "/saved-searches/{saved_id}")
    await call("GET", "/notifications", "/notifications")
    await call("GET", "/notifications/count", "/notifications/count")
    await call("POST", "/notifications/read", "/notifications/read", json={})
    await call("DELETE", "/auth/me", "/auth/me",
               json={"password": "a new long password", "keep_posts": False})  # fmt: skip
    assert checked == set(by_key)

    error = await c.get(PREFIX + "/threads/12345")
    schemas.ErrorEnvelope.model_validate_json(error.content)


# Path parameters that route somewhere real (any value would do for the 405 check).
_SAMPLE = {"session_id": "0123456789abcdef", "slug": "africa", "code": "SN",
           "target": "region:africa"}  # fmt: skip


async def test_a_refused_method_is_answered_with_the_methods_the_document_declares(client, make):
    """Every path answers a method it does not declare with 405 and `Allow` listing
    exactly the declared ones (HEAD with GET, which Starlette answers too), also where
    a path looks like another with a parameter (`/auth/sessions/end-others`)."""
    doc = (await client.get("/api/v1/openapi.json")).json()
    for template, operations in doc["paths"].items():
        path = template
        for name in re.findall(r"{(\w+)}", template):
            path = path.replace(f"{{{name}}}", _SAMPLE.get(name, "1"))
        declared = {m.upper() for m in operations}
        r = await client.options(path)
        assert r.status_code == 405, (path, r.status_code)
        schemas.ErrorEnvelope.model_validate_json(r.content)
        allowed = {m.strip() for m in r.headers["allow"].split(",")}
        assert allowed == declared | ({"HEAD"} if "GET" in declared else set()), path
    # A literal path is not a parameter's value for any method.
    member = await make.logged_in()
    for method, path, allow in (
        ("DELETE", "/auth/sessions/end-others", {"POST"}),
        ("PATCH", "/regions/settings", {"GET", "HEAD"}),
        ("DELETE", "/organisations/o/affiliations/me", {"PATCH"}),
    ):
        r = await member.request(method, PREFIX + path)
        assert r.status_code == 405, (method, path, r.text)
        assert {m.strip() for m in r.headers["allow"].split(",")} == allow


_TEXTS = ["a", " a ", "\u00e9t\u00e9", "\U0001f600", "a\u200bb", "\u200b", " ", "", "\t",
          "a\nb", "a\tb", "a\x07", "\x85x", "\u3000", "\u202ex", "x\u00ad", "\u2028x"]  # fmt: skip


def _documented(field: dict, key: str) -> Any:
    """`key` of a field's schema, or of its one non-null choice (an optional field)."""
    return field[key] if key in field else next(c[key] for c in field["anyOf"] if key in c)


def test_the_documented_text_patterns_admit_nothing_the_api_refuses():
    """A value the document's pattern admits is one the request models take (the
    property-based run generates from these patterns)."""
    doc = web_openapi.document()["components"]["schemas"]
    fields = [
        (schemas.ThreadCreate, "title", {"region": "a", "topic": "a", "body": "b"}),
        (schemas.ThreadCreate, "body", {"region": "a", "topic": "a", "title": "t"}),
        (schemas.Register, "display_name", {"email": "a@b.org", "password": "x" * 10}),
        (schemas.Refusal, "reason", {}),
        (schemas.SavedSearchIn, "q", {"name": "n"}),
        (schemas.ExperienceCreate, "outcome", {"organisation": "o", "title": "t"}),
        (schemas.LoginRequest, "email", {"password": "p"}),
    ]
    for model, name, others in fields:
        pattern = re.compile(_documented(doc[model.__name__]["properties"][name], "pattern"))
        for text in [*_TEXTS, *(t + "@example.org" for t in _TEXTS)]:
            if pattern.search(text) and len(text) >= 1:
                model.model_validate({**others, name: text})  # raises if refused
    email = re.compile(doc["Register"]["properties"]["email"]["pattern"])
    for text in ("a@example.org", "é@exämple.org", " a@example.org", "a@b", "a\u200b@x.org"):
        if email.search(text):
            accounts.normalise_email(text)


async def test_a_saved_search_takes_every_kind_the_document_names_and_no_other(make):
    """The long schemathesis run sent kinds the document allowed (any string) and the
    API refused (422 invalid_kind); the document now names them."""
    field = web_openapi.document()["components"]["schemas"]["SavedSearchIn"]["properties"]
    kinds = _documented(field["kind"], "enum")
    member = await make.logged_in()
    for kind in kinds:
        r = await member.post("/api/v1/saved-searches", json={"name": kind, "q": "t", "kind": kind})
        assert r.status_code == 201, r.text
    r = await member.post("/api/v1/saved-searches", json={"name": "n", "q": "t", "kind": "news"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_kind"
    assert "news" not in kinds
