"""User Markdown becomes safe HTML: formatting survives, active content never does."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from forum.markup import ALLOWED_TAGS, mentions, mentions_off_loop, render


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](https://tracker.example/p.gif)",
    '<a href="https://x.example" onclick="steal()">x</a>',
    '<div style="position:fixed">overlay</div>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "[x](vbscript:msgbox(1))",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "[x](jav&#x09;ascript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` in code is text",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_active_content_never_survives(source):
    # Whatever the payload, it may survive only as text: every element is allowlisted,
    # no attribute is a handler or a style, and links go only to web or mail addresses
    # (or are relative, like a link to another thread).
    for tag, attrs in elements(render(source)):
        assert tag in ALLOWED_TAGS
        assert set(attrs) <= {"href", "title", "rel", "start"}, attrs
        scheme = urlsplit(attrs.get("href") or "").scheme.lower()
        assert scheme in {"", "http", "https", "mailto"}, attrs


def test_formatting_survives():
    html = render("**bold** _it_ `code`\n\n- one\n- two\n\n> quoted\n\n~~gone~~")
    for tag in ["<strong>bold</strong>", "<em>it</em>", "<code>code</code>", "<li>one</li>",
                "<blockquote>", "<s>gone</s>"]:  # fmt: skip
        assert tag in html


def test_links_are_marked_user_generated():
    html = render("[UNCAC](https://www.unodc.org/) and https://example.org")
    assert html.count('rel="nofollow ugc noopener noreferrer"') == 2


def test_code_blocks_show_html_as_text():
    assert "&lt;b&gt;" in render("```\n<b>not bold</b>\n```")


@pytest.mark.parametrize(
    ("source", "linked"),
    [
        ("hi @Amina and @bob_2!", ["amina", "bob_2"]),
        ("(@amina) **@claire**", ["amina", "claire"]),
        ("@amina @amina", ["amina"]),
        ("write to a@b.org", []),
        ("https://medium.com/@user", []),
        ("`@code` and", []),
        ("    @block", []),
        ("```\n@fenced\n```", []),
        ("[see @amina](https://x.org)", []),
        ("@ab is too short", []),
        ("é@amina", []),
        ("[x](mailto:ab@c.org) then (@amina)", ["amina"]),
        ("no handle at all, only a plain @ sign", []),
    ],
)
async def test_mentions_link_to_profiles_outside_code_links_and_addresses(source, linked):
    assert mentions(source) == linked
    # The notifier's path, which skips the parse where no handle could be.
    assert await mentions_off_loop(source) == linked
    hrefs = [a["href"] for t, a in elements(render(source)) if t == "a"]
    assert list(dict.fromkeys(h for h in hrefs if h.startswith("/"))) == [
        f"/members/{h}" for h in linked
    ]
