"""A thread page of 20 posts, as a reader on a slow, paid phone link gets it: under 60 KB
on the wire in all (HTML, stylesheet, script, websocket frames, headers included), from
the forum's own host only, and readable on a 360-pixel-wide screen without scrolling
sideways. Measured in Chromium over the DevTools protocol; the sizes are deterministic
(the same posts every run)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from tests.servers import Served
from tests.web.browsers import PHONE, Member, new_context, register, thread_with_posts

BUDGET = 60_000  # bytes, everything the page costs on a first visit (empty cache)
POSTS = 20


@pytest.fixture(scope="module")
async def writers(module_served: Served) -> list[Member]:
    members = [
        await register(module_served, name="Amina Diallo"),
        await register(module_served, name="Jean-Baptiste Nkurunziza"),
    ]
    yield members
    for m in members:
        await m.api.aclose()


@pytest.fixture(scope="module")
async def thread_id(writers: list[Member]) -> int:
    return await thread_with_posts(writers, POSTS)


class Wire:
    """Every request a page makes and the bytes each brought in, as Chromium counts them
    (`encodedDataLength`: compressed body plus headers) and every websocket frame."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.decoded: dict[str, int] = {}
        self.frames = 0

    async def attach(self, context, page, *, cache: bool = False) -> None:  # type: ignore[no-untyped-def]
        cdp = await context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.webSocketCreated", self._request)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketFrameSent", self._frame)
        await cdp.send("Network.enable")
        await cdp.send("Network.setCacheDisabled", {"cacheDisabled": not cache})

    def _request(self, e: dict) -> None:
        self.urls[e["requestId"]] = e["request"]["url"] if "request" in e else e["url"]

    def _finished(self, e: dict) -> None:
        self.bytes[e["requestId"]] = int(e["encodedDataLength"])

    def _data(self, e: dict) -> None:
        self.decoded[e["requestId"]] = self.decoded.get(e["requestId"], 0) + e["dataLength"]

    def _frame(self, e: dict) -> None:
        self.frames += len(e["response"]["payloadData"].encode())

    @property
    def total(self) -> int:
        return sum(self.bytes.values()) + self.frames

    def report(self) -> str:
        lines = [
            f"{n:>7,} B  {self.urls.get(rid, rid)} ({self.decoded.get(rid, 0):,} B decoded)"
            for rid, n in self.bytes.items()
        ]
        lines.append(f"{self.frames:>7,} B  websocket frames")
        lines.append(f"{self.total:>7,} B  in all")
        return "\n".join(lines)


@pytest.mark.parametrize("reader", ["visitor", "member"])
async def test_a_thread_page_of_20_posts_is_light_local_and_fits_a_phone(
    module_served: Served, browser, thread_id: int, reader: str
) -> None:
    member = await register(module_served) if reader == "member" else None
    context = await new_context(browser, module_served, member=member, viewport=PHONE)
    page = await context.new_page()
    wire = Wire()
    await wire.attach(context, page)
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("websocket", lambda ws: seen.append(ws.url))

    response = await page.goto(f"{module_served.url}/threads/{thread_id}", wait_until="load")
    assert response is not None and response.status == 200
    assert await page.locator("#posts > article.post").count() == POSTS
    await page.wait_for_load_state("networkidle")
    await asyncio.sleep(0.5)  # the live script's first frames (subscribe, presence)

    print(f"\nthread page of {POSTS} posts, {reader}, first visit:\n{wire.report()}")
    assert response.headers.get("content-encoding") == "gzip"
    assert 0 < wire.total < BUDGET, wire.report()

    # Nothing but the forum itself: no CDN, no font, no analytics, no image elsewhere.
    ours = urlsplit(module_served.url).netloc
    foreign = [u for u in seen if not u.startswith("data:") and urlsplit(u).netloc != ours]
    assert seen and foreign == []

    # Readable on a 360-pixel screen: nothing wider than the screen, so no sideways scroll.
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert widths[2] == PHONE["width"]
    assert max(widths[:2]) <= PHONE["width"], widths
    await context.close()
    if member is not None:
        await member.api.aclose()


async def test_a_second_page_costs_only_its_html(
    module_served: Served, browser, thread_id: int
) -> None:
    """The stylesheet and the script are versioned and cached for good: a reader's next
    page fetches neither again, not even to ask whether they changed."""
    context = await new_context(browser, module_served, viewport=PHONE)
    first = await context.new_page()
    await first.goto(f"{module_served.url}/threads/{thread_id}", wait_until="networkidle")
    await first.close()
    page = await context.new_page()
    wire = Wire()
    await wire.attach(context, page, cache=True)
    await page.goto(f"{module_served.url}/", wait_until="networkidle")
    print(f"\nthe home page after a thread page:\n{wire.report()}")
    fetched = {wire.urls[rid] for rid, n in wire.bytes.items() if n > 0}
    assert fetched == {f"{module_served.url}/"}, wire.report()
    await context.close()
