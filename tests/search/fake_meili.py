"""A stand-in Meilisearch for tests: the documented HTTP API the backend uses, served over
real HTTP (uvicorn on a free port) so the real client talks to it.

Writes answer 202 with a task summary and take effect at once; `GET /tasks/{uid}` reports
the task `processing` on its first poll and then its outcome, so clients must wait as
with the real server. Errors carry Meilisearch's `{"message","code","type","link"}`.

Faults to inject: `fail_requests` (the next n requests answer `status`), `fail_tasks`
(the next tasks fail with a given error), `stop()`/`start()` (connections refused).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forum.documents import Document
from search.retry import Backoff
from tests.search.fake_meili_filter import FilterError
from tests.search.fake_meili_search import Refused, federated
from tests.servers import free_port

DEFAULTS: dict[str, Any] = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "stopWords": [],
    "synonyms": {},
    "distinctAttribute": None,
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
    },
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "localizedAttributes": None,
}
_FEDERATED_REFUSED = ("facets", "page", "hitsPerPage", "limit", "offset")


class MeiliError(Exception):
    def __init__(self, status: int, code: str, message: str, type_: str = "invalid_request"):
        super().__init__(message)
        self.status, self.code, self.type = status, code, type_

    def body(self) -> dict[str, str]:
        link = f"https://docs.meilisearch.com/errors#{self.code}"
        return {"message": str(self), "code": self.code, "type": self.type, "link": link}


@dataclass
class Index:
    uid: str
    primary_key: str | None = None
    settings: dict[str, Any] = field(default_factory=lambda: _merge(DEFAULTS, {}))
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: _now())


@dataclass
class Seen:
    method: str
    path: str
    query: str
    body: Any


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "synonyms":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _not_found(uid: str) -> MeiliError:
    return MeiliError(404, "index_not_found", f"Index `{uid}` not found.")


class FakeMeili:
    def __init__(self, key: str | None = None) -> None:
        self.key = key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.indexes: dict[str, Index] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.seen: list[Seen] = []
        self.fail_requests = 0
        self.fail_status = 503
        self.fail_tasks: list[dict[str, str]] = []
        # (method, path): the next such request is carried out, but its answer is lost on
        # the way back (the client sees a 503), as when the server goes down just then. A
        # task's state is also known by its type: ("GET", "/tasks/indexSwap").
        self.lose_answers: list[tuple[str, str]] = []
        self._uids = itertools.count()
        self._polled: set[int] = set()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = Starlette(
            routes=[
                Route("/health", self._health),
                Route("/indexes", self._create_index, methods=["POST"]),
                Route("/indexes/{uid}", self._index, methods=["GET", "DELETE"]),
                Route("/indexes/{uid}/settings", self._settings, methods=["GET", "PATCH"]),
                Route("/indexes/{uid}/documents", self._add_documents, methods=["POST"]),
                Route("/indexes/{uid}/documents/delete-batch", self._delete, methods=["POST"]),
                Route("/tasks/{uid:int}", self._get_task),
                Route("/swap-indexes", self._swap, methods=["POST"]),
                Route("/multi-search", self._multi_search, methods=["POST"]),
            ]
        )
        self.app.add_middleware(_Gate, fake=self)

    # -- running ------------------------------------------------------------------------

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
            ws="none", access_log=False,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    # -- what tests look at -------------------------------------------------------------

    def documents(self, uid: str) -> dict[int, dict[str, Any]]:
        return {int(k): v for k, v in self.indexes[uid].documents.items()}

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and re.fullmatch(path, s.path)]

    # -- tasks --------------------------------------------------------------------------

    def _enqueue(self, type_: str, uid: str | None, apply: Any) -> JSONResponse:
        task_uid = next(self._uids)
        task: dict[str, Any] = {
            "uid": task_uid, "indexUid": uid, "type": type_, "status": "succeeded",
            "details": {}, "error": None, "duration": "PT0.001S", "enqueuedAt": _now(),
            "startedAt": _now(), "finishedAt": _now(),
        }  # fmt: skip
        try:
            if self.fail_tasks:
                error = self.fail_tasks.pop(0)
                raise MeiliError(500, error["code"], error["message"], error["type"])
            apply()
        except MeiliError as exc:
            task.update(status="failed", error=exc.body())
        self.tasks[task_uid] = task
        summary = {"taskUid": task_uid, "indexUid": uid, "status": "enqueued", "type": type_}
        return JSONResponse({**summary, "enqueuedAt": task["enqueuedAt"]}, status_code=202)

    async def _get_task(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if uid not in self.tasks:
            raise MeiliError(404, "task_not_found", f"Task `{uid}` not found.")
        if uid not in self._polled:  # the first look finds it still at work
            self._polled.add(uid)
            return JSONResponse({**self.tasks[uid], "status": "processing", "error": None})
        return JSONResponse(self.tasks[uid])

    # -- indexes, settings, documents ---------------------------------------------------

    def _get(self, uid: str) -> Index:
        if uid not in self.indexes:
            raise _not_found(uid)
        return self.indexes[uid]

    def _info(self, index: Index) -> dict[str, Any]:
        return {"uid": index.uid, "primaryKey": index.primary_key,
                "createdAt": index.created_at, "updatedAt": index.created_at}  # fmt: skip

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "available"})

    async def _create_index(self, request: Request) -> Response:
        body = await request.json()
        uid = body["uid"]

        def apply() -> None:
            if uid in self.indexes:
                raise MeiliError(409, "index_already_exists", f"Index `{uid}` already exists.")
            self.indexes[uid] = Index(uid, body.get("primaryKey"))

        return self._enqueue("indexCreation", uid, apply)

    async def _index(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if request.method == "GET":
            return JSONResponse(self._info(self._get(uid)))
        return self._enqueue("indexDeletion", uid, lambda: self.indexes.pop(self._get(uid).uid))

    async def _settings(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        if request.method == "GET":
            return JSONResponse(self._get(uid).settings)
        patch = await request.json()
        unknown = set(patch) - set(DEFAULTS)
        if unknown:
            raise MeiliError(400, "bad_request", f"Unknown field `{sorted(unknown)[0]}`")

        def apply() -> None:
            index = self.indexes.setdefault(uid, Index(uid))
            index.settings = _merge(index.settings, patch)

        return self._enqueue("settingsUpdate", uid, apply)

    async def _add_documents(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        documents = await request.json()
        primary_key = request.query_params.get("primaryKey")

        def apply() -> None:
            index = self.indexes.setdefault(uid, Index(uid))
            index.primary_key = index.primary_key or primary_key
            if index.primary_key is None:
                raise MeiliError(400, "index_primary_key_no_candidate_found", "No primary key.")
            for document in documents:
                index.documents[str(document[index.primary_key])] = document

        return self._enqueue("documentAdditionOrUpdate", uid, apply)

    async def _delete(self, request: Request) -> Response:
        uid = request.path_params["uid"]
        ids = [str(i) for i in await request.json()]

        def apply() -> None:
            for i in ids:
                self._get(uid).documents.pop(i, None)

        return self._enqueue("documentDeletion", uid, apply)

    async def _swap(self, request: Request) -> Response:
        pairs = [entry["indexes"] for entry in await request.json()]

        def apply() -> None:
            for a, b in pairs:
                left, right = self._get(a), self._get(b)
                self.indexes[a], self.indexes[b] = right, left
                left.uid, right.uid = b, a

        return self._enqueue("indexSwap", None, apply)

    async def _multi_search(self, request: Request) -> Response:
        body = await request.json()
        if body.get("federation") is None:
            raise MeiliError(501, "not_implemented", "The fake answers federated searches only.")
        for n, query in enumerate(body["queries"]):
            refused = [k for k in _FEDERATED_REFUSED if query.get(k) is not None]
            if refused:
                raise MeiliError(
                    400,
                    "invalid_multi_search_query_pagination",
                    f"Inside `.queries[{n}]`: `{refused[0]}` is not allowed in federated search",
                )
            if query["indexUid"] not in self.indexes:
                error = _not_found(query["indexUid"])
                raise MeiliError(400, error.code, f"Inside `.queries[{n}]`: {error}")
        try:
            return JSONResponse(federated(self.indexes, body["queries"], body["federation"]))
        except FilterError as exc:
            raise MeiliError(400, "invalid_search_filter", str(exc)) from exc
        except Refused as exc:
            raise MeiliError(400, exc.code, str(exc)) from exc


class _Gate:
    """Records every request, applies injected failures and the API key, and turns
    `MeiliError` into Meilisearch's error responses."""

    def __init__(self, app: Any, fake: FakeMeili) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        raw = await request.body()
        fake = self.fake
        body = orjson.loads(raw) if raw else None
        fake.seen.append(Seen(request.method, request.url.path, request.url.query, body))

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            if fake.fail_requests > 0:
                fake.fail_requests -= 1
                raise MeiliError(fake.fail_status, "internal", "Injected failure.", "internal")
            auth = request.headers.get("authorization")
            if fake.key is not None and auth is None:
                raise MeiliError(401, "missing_authorization_header", "No key.", "auth")
            if fake.key is not None and auth != f"Bearer {fake.key}":
                raise MeiliError(403, "invalid_api_key", "The provided API key is invalid.", "auth")
            lost = _known_as(fake, request.method, request.url.path) & set(fake.lose_answers)
            if lost:
                fake.lose_answers.remove(lost.pop())
                await self.app(scope, replay, _discard)
                raise MeiliError(503, "internal", "Injected lost answer.", "internal")
            await self.app(scope, replay, send)
        except MeiliError as exc:
            await JSONResponse(exc.body(), status_code=exc.status)(scope, receive, send)


def _known_as(fake: FakeMeili, method: str, path: str) -> set[tuple[str, str]]:
    names = {(method, path)}
    if (task := re.fullmatch(r"/tasks/(\d+)", path)) and int(task[1]) in fake.tasks:
        names.add((method, f"/tasks/{fake.tasks[int(task[1])]['type']}"))
    return names


async def _discard(message: Any) -> None:
    pass


@asynccontextmanager
async def running(key: str | None = None) -> AsyncIterator[FakeMeili]:
    fake = FakeMeili(key=key)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


# What the tests build on: quick retries, and a document like the core builds.
KEY = "test-master-key"
FAST = Backoff(base=0.001, cap=0.005)
QUICK = {"backoff": FAST, "task_poll": 0.002}


def doc(post_id: int, body: str = "open contracting data", **values: object) -> Document:
    fields: dict[str, object] = {
        "id": post_id,
        "kind": "thread",
        "thread_id": post_id,
        "position": 1,
        "title": f"Thread {post_id}",
        "body": body,
        "language": "en",
        "region": "africa",
        "topic": "public-procurement",
        "countries": ("SN",),
        "author_id": 7,
        "author_name": "Awa",
        "organisations": (),
        "created_at": datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC),
        **values,
    }
    return Document(**fields)  # type: ignore[arg-type]
