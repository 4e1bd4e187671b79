"""The XSS corpus's browser side: a CSP-free Chromium context recording every script
run, dialog, navigation and popup, and each page checked for markup that could run
(`Visitor`). The data and the sinks are in `tests/web/test_xss_corpus.py`."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from playwright.async_api import BrowserContext, Page

from tests.web.xss_corpus import CORPUS

OPEN_PAGES = 3  # pages loaded at once
SETTLE_MS = 150  # after the hover pass: time for late handlers (image errors, timers)

RECORDER = """
(() => {
  let fired;
  try { fired = window.top.__xss || (window.top.__xss = []); }
  catch (e) { fired = window.__xss = []; }
  const record = (how) => function (...args) {
    fired.push(how + '(' + args.map(String).join(',') + ') in ' + location.href.slice(0, 80));
  };
  window.xss = record('xss');
  for (const name of ['alert', 'confirm', 'prompt', 'print']) window[name] = record(name);
})();
"""

# Everything a payload could use to run, looked for whether or not it ran; and the hover
# and focus pass over every element.
INSPECT = """
() => {
  const found = [];
  const safe = /^(https?:|mailto:)/i;
  // Mail HTML is loaded with set_content: about:blank, against which no path parses.
  const base = location.protocol.startsWith('http') ? location.href : 'https://mail.invalid/';
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href',
                    'background', 'poster', 'codebase', 'cite', 'ping'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${tag} ${name}=${a.value}`);
      if (name === 'srcdoc') found.push(`${tag} srcdoc`);
      if (name === 'style') found.push(`${tag} style=${a.value}`);
      // The forum's own `<link rel="icon" href="data:,">` (no favicon request).
      const icon = tag === 'link' && el.rel === 'icon' && a.value === 'data:,';
      if (urlAttrs.includes(name) && !icon) {
        const url = new URL(a.value, base);
        if (!safe.test(url.protocol)) found.push(`${tag} ${name}=${a.value.slice(0, 80)}`);
      }
    }
    if (['iframe', 'frame', 'object', 'embed', 'base', 'applet', 'portal'].includes(tag))
      found.push(`<${tag}>`);
    if (tag === 'meta' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh')
      found.push('<meta refresh>');
    if (tag === 'script' && !(el.getAttribute('src') || '').startsWith('/static/'))
      found.push(`<script> ${el.textContent.slice(0, 80)}`);
  }
  const events = ['mouseover', 'mouseenter', 'mousemove', 'pointerover', 'pointerenter',
                  'focus', 'focusin', 'mouseout', 'blur'];
  for (const el of document.querySelectorAll('body *')) {
    for (const type of events) el.dispatchEvent(new Event(type, {bubbles: true}));
    if (el.tabIndex >= 0 && typeof el.focus === 'function') el.focus();
  }
  return found;
}
"""


@dataclasses.dataclass
class Finding:
    where: str
    fired: list[str]
    present: list[str]
    navigated: list[str]


class Visitor:
    """Loads pages (or mail HTML) in one CSP-free context and keeps what each did."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.findings: list[Finding] = []
        self.visited = 0
        self.popups: list[str] = []
        self._open = asyncio.Semaphore(OPEN_PAGES)
        context.on("page", self._popup)

    async def _popup(self, page: Page) -> None:
        # A page the forum opened itself (window.open, a target=_blank click): ours
        # have no opener.
        if await page.opener() is not None:
            self.popups.append(page.url)

    async def look(
        self, where: str, load: Callable[[Page], Awaitable[None]], url: str
    ) -> tuple[Page, Finding]:
        """Load with `load`, hover and focus everything; returns the page (close it).
        `url` is where the page must stay: a script may leave before `load` returns."""
        async with self._open:
            page = await self.context.new_page()
            dialogs: list[str] = []
            navigated: list[str] = []

            async def dialog(d: Any) -> None:
                dialogs.append(f"{d.type}: {d.message}")
                await d.dismiss()

            page.on("dialog", dialog)
            await load(page)
            if page.url != url:  # left during the load (a refresh, a script)
                navigated.append(page.url)
            page.on(
                "framenavigated",
                lambda f: (
                    navigated.append(f.url) if f == page.main_frame and f.url != url else None
                ),
            )
            present = await page.evaluate(INSPECT)
            await page.wait_for_timeout(SETTLE_MS)
            try:
                fired = await page.evaluate("window.__xss || []")
            except Exception as exc:  # the page went away: a navigation
                fired = [f"page gone: {exc}"]
            finding = Finding(where, fired + dialogs, present, navigated)
            self.visited += 1
            if finding.fired or finding.present or finding.navigated:
                self.findings.append(finding)
            return page, finding

    async def url(self, where: str, url: str) -> Page:
        async def load(page: Page) -> None:
            response = await page.goto(url, wait_until="load")
            assert response is not None and response.status == 200, f"{url}: {response}"

        page, _ = await self.look(where, load, url)
        return page

    async def pages(self, where: str, url: str, limit: int = 100) -> int:
        """A listing and every next page of it; how many pages."""
        count = 0
        while url and count < limit:
            page = await self.url(f"{where} {count + 1}", url)
            count += 1
            url = await page.evaluate(
                """() => { const a = document.querySelector('a[rel=next]')
                   || [...document.querySelectorAll('a[href*="cursor="]')].pop();
                   return a ? a.href : null; }"""
            )
            await page.close()
        return count

    async def each(self, where: str, urls: Iterable[str]) -> int:
        async def one(url: str) -> None:
            page = await self.url(f"{where} {url}", url)
            await page.close()

        urls = list(urls)
        await asyncio.gather(*(one(u) for u in urls))
        return len(urls)

    async def html(self, where: str, content: str) -> None:
        async def load(page: Page) -> None:
            await page.set_content(content, wait_until="load")

        # Content set on a new page stays at its first address.
        page, _ = await self.look(where, load, "about:blank")
        await page.close()

    def report(self) -> str:
        lines = []
        numbers = re.compile(r"\((\d+)")
        for f in self.findings:
            lines.append(f"{f.where}: fired={f.fired} present={f.present[:5]} nav={f.navigated}")
            for n in {int(m) for x in f.fired for m in numbers.findall(x)}:
                if 0 < n <= len(CORPUS):
                    lines.append(f"    payload {n}: {CORPUS[n - 1].text[:200]!r}")
        return "\n".join(lines)
