"""The HTML pages work without JavaScript and show user text as text."""

from __future__ import annotations

import re


async def test_home_region_and_thread_pages(make, client):
    started = await make.thread(
        title="<script>alert('t')</script> Procurement", body="Plain **words**", countries=("SN",)
    )
    tid = started["thread"]["id"]
    await make.reply(tid, body="<img src=x onerror=alert(1)> second")

    home = await client.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Procurement" in home.text
    assert "<script>" not in home.text

    region = await client.get("/regions/africa")
    assert f'href="/threads/{tid}"' in region.text

    page = await client.get(f"/threads/{tid}")
    assert page.status_code == 200
    assert "<strong>words</strong>" in page.text
    assert "onerror" not in page.text.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert re.findall(r'<script src="/static/forum.js\?v=\w+" defer>', page.text)
    assert len(re.findall(r"<script", page.text)) == 1


async def test_missing_and_private_pages_are_404(make, client):
    private = await make.thread(region="staff-room")
    for path in [
        "/regions/atlantis",
        "/threads/999",
        "/threads/x",
        f"/threads/{private['thread']['id']}",
        "/regions/staff-room",
    ]:
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "Not found" in r.text


async def test_thread_page_is_light(make, client):
    started = await make.thread()
    for i in range(19):
        await make.reply(started["thread"]["id"], body=f"Reply number {i} " * 20)
    page = await client.get(f"/threads/{started['thread']['id']}")
    [css_url] = re.findall(r'href="(/static/forum.css\?v=\w+)"', page.text)
    [script_url] = re.findall(r'src="(/static/forum.js\?v=\w+)"', page.text)
    css, script = await client.get(css_url), await client.get(script_url)
    # Versioned: a slow link fetches them once, not on every page.
    for asset in (css, script):
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "cache-control" not in (await client.get("/static/forum.css")).headers
    # A page of 20 posts, its only stylesheet and its only script, before compression:
    # slow links matter.
    assert len(page.content) + len(css.content) + len(script.content) < 60_000
    assert len(re.findall(r"<script", page.text)) == 1


async def test_hostile_page_paths_are_404_not_errors(client):
    for path in ["/regions/%00", "/regions/%FF%FE", "/regions/" + "a" * 5000, "/threads/%00",
                 "/threads/99999999999999999999999"]:  # fmt: skip
        r = await client.get(path)
        assert r.status_code == 404, path
