"""The Meilisearch backend when the server fails: what is retried (connections refused or
reset, server errors, tasks failing for internal reasons), what is not (requests the
server refuses), and what a reader or the indexer is told."""

from __future__ import annotations

import asyncio

import httpx2
import pytest
from meilisearch_python_sdk.errors import MeilisearchApiError, MeilisearchCommunicationError

from search.backend import Filters, Query
from search.meili import MeiliBackend, SearchUnavailable, TaskFailed, transient
from search.retry import Backoff, retrying
from tests.search.fake_meili import KEY, QUICK, doc
from tests.search.readers import PUBLIC

FAST = QUICK["backoff"]


async def test_server_errors_are_retried_until_the_write_is_done(backend, meili):
    meili.fail_requests = 3
    await backend.index([doc(1)])
    assert set(meili.documents("t_posts")) == {1}
    assert len(meili.requests("POST", "/indexes/t_posts/documents")) == 4


async def test_a_search_is_retried_once(backend, meili):
    await backend.index([doc(1)])
    meili.fail_requests = 1
    assert [h.post_id for h in (await backend.search(Query("open", PUBLIC))).hits] == [1]
    meili.fail_requests = 2
    with pytest.raises(SearchUnavailable):
        await backend.search(Query("open", PUBLIC))
    assert len(meili.requests("POST", "/multi-search")) == 4


async def test_writes_wait_out_a_stopped_server(meili):
    patient = MeiliBackend(meili.url, KEY, **QUICK, attempts=1_000)
    await patient.start()
    await meili.stop()
    write = asyncio.create_task(patient.index([doc(1)]))
    await asyncio.sleep(0.05)
    assert not write.done()  # refused connections are retried, not reported as done
    await meili.start()
    await write
    assert set(meili.documents("posts")) == {1}
    await patient.close()


async def test_searching_a_stopped_server_is_unavailable(backend, meili):
    await meili.stop()
    with pytest.raises(SearchUnavailable):
        await backend.search(Query("open", PUBLIC))
    await meili.start()


async def test_tasks_failing_inside_meilisearch_are_retried_or_reported(backend, meili):
    meili.fail_tasks = [{"code": "internal", "type": "internal", "message": "disk hiccup"}]
    await backend.index([doc(1)])
    assert set(meili.documents("t_posts")) == {1}

    meili.seen.clear()
    meili.fail_tasks = [{"code": "invalid_document_id", "type": "invalid_request", "message": "x"}]
    with pytest.raises(TaskFailed) as failed:
        await backend.index([doc(2)])
    assert failed.value.code == "invalid_document_id"
    assert len(meili.requests("POST", "/indexes/t_posts/documents")) == 1


async def test_request_errors_are_not_retried(backend, meili):
    meili.indexes["t_posts"].settings["filterableAttributes"] = ["kind"]
    with pytest.raises(MeilisearchApiError) as refused:
        await backend.search(Query("open", PUBLIC, Filters(topics=("public-procurement",))))
    assert refused.value.code == "invalid_search_filter"
    assert len(meili.requests("POST", "/multi-search")) == 1


async def test_a_missing_index_makes_search_unavailable(backend, meili):
    del meili.indexes["t_posts"]
    with pytest.raises(SearchUnavailable):
        await backend.search(Query("open", PUBLIC))
    assert len(meili.requests("POST", "/multi-search")) == 1


def test_which_failures_are_worth_retrying():
    def api(status: int, code: str) -> MeilisearchApiError:
        response = httpx2.Response(status, json={"message": "m", "code": code, "type": "t"})
        return MeilisearchApiError("error", response)

    assert transient(MeilisearchCommunicationError("refused"))
    assert transient(api(503, "internal")) and transient(api(429, "too_many_requests"))
    assert not transient(api(400, "invalid_search_filter"))
    assert not transient(api(404, "index_not_found"))
    assert transient(httpx2.ReadTimeout("slow"))
    assert transient(TaskFailed(1, "failed", {"code": "io_error", "type": "system"}))
    assert not transient(TaskFailed(1, "failed", {"code": "bad", "type": "invalid_request"}))
    assert not transient(ValueError("a bug"))


async def test_retrying_stops_at_the_first_permanent_error_or_the_last_attempt():
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset")
        return "done"

    def is_transient(exc: BaseException) -> bool:
        return isinstance(exc, ConnectionError)

    assert await retrying(flaky, transient=is_transient, backoff=FAST, attempts=5) == "done"
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(ConnectionError):
        await retrying(flaky, transient=is_transient, backoff=FAST, attempts=2)
    assert len(calls) == 2
    calls.clear()
    with pytest.raises(ConnectionError):
        await retrying(flaky, transient=lambda e: False, backoff=FAST, attempts=5)
    assert len(calls) == 1


def test_backoff_grows_then_stays_under_its_cap():
    backoff = Backoff(base=1.0, cap=8.0)
    assert 0.5 <= backoff.delay(0) <= 1.0
    assert 2.0 <= backoff.delay(2) <= 4.0
    assert all(4.0 <= backoff.delay(n) <= 8.0 for n in (3, 10, 10_000))
