"""A corpus of XSS payloads written for this forum, for `test_xss_corpus.py`.

Each payload calls a marker with its own number when it runs (`xss(17)`, or `alert(17)`,
`confirm(17)`, `prompt(17)`, `print()`): a browser run that records the calls says which
payload fired. Payloads are built systematically: every obfuscation of a dangerous URL
scheme in every Markdown and HTML place a URL can go, every tag that runs script with
every event handler it fires, ways out of an attribute, entities and double encoding,
Unicode look-alikes and invisible characters, Markdown structures around all of these,
mentions mixed with HTML, and long or deeply nested texts. Numbers are given in the order
built, so they are the same every run.

`{N}` in a template is the payload's number; `{{` and `}}` are literal braces.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Payload:
    number: int
    family: str
    text: str

    @property
    def one_line(self) -> bool:
        return "\n" not in self.text and "\r" not in self.text


# A dangerous URL whose script calls the marker, as written in every obfuscation.
# `js` is the code (`xss(N)`), already in the form the scheme needs.
def _entities(text: str, style: str) -> str:
    forms = {
        "dec": lambda c: f"&#{ord(c)};",
        "hex": lambda c: f"&#x{ord(c):x};",
        "HEX": lambda c: f"&#X{ord(c):X};",
        "pad": lambda c: f"&#{ord(c):07d};",
        "xpad": lambda c: f"&#x{ord(c):06x};",
        "nosemi": lambda c: f"&#{ord(c)}",
    }
    return "".join(forms[style](c) for c in text)


_SCHEMES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("plain", lambda js: f"javascript:{js}"),
    ("upper", lambda js: f"JAVASCRIPT:{js}"),
    ("mixed case", lambda js: f"JaVaScRiPt:{js}"),
    ("leading space", lambda js: f" javascript:{js}"),
    ("leading tab", lambda js: f"\tjavascript:{js}"),
    ("tab inside", lambda js: f"java\tscript:{js}"),
    ("newline inside", lambda js: f"java\nscript:{js}"),
    ("carriage return inside", lambda js: f"java\rscript:{js}"),
    ("entity tab inside", lambda js: f"java&#x09;script:{js}"),
    ("named tab inside", lambda js: f"java&Tab;script:{js}"),
    ("named newline inside", lambda js: f"java&NewLine;script:{js}"),
    ("entity newline inside", lambda js: f"jav&#x0A;ascript:{js}"),
    ("entity CR inside", lambda js: f"jav&#x0D;ascript:{js}"),
    ("first letter decimal", lambda js: f"&#106;avascript:{js}"),
    ("first letter hex", lambda js: f"&#x6A;avascript:{js}"),
    ("all decimal", lambda js: _entities("javascript:", "dec") + js),
    ("all hex", lambda js: _entities("javascript:", "hex") + js),
    ("all upper hex", lambda js: _entities("javascript:", "HEX") + js),
    ("all padded decimal", lambda js: _entities("javascript:", "pad") + js),
    ("all padded hex", lambda js: _entities("javascript:", "xpad") + js),
    ("decimal without semicolons", lambda js: _entities("javascript:", "nosemi") + js),
    ("colon entity", lambda js: f"javascript&colon;{js}"),
    ("colon decimal", lambda js: f"javascript&#58;{js}"),
    ("colon hex", lambda js: f"javascript&#x3A;{js}"),
    ("percent first letter", lambda js: f"%6Aavascript:{js}"),
    ("percent colon", lambda js: f"javascript%3A{js}"),
    ("percent tab inside", lambda js: f"java%09script:{js}"),
    ("percent whole", lambda js: quote(f"javascript:{js}", safe="")),
    ("double entity", lambda js: f"&amp;#106;avascript:{js}"),
    ("control char first", lambda js: f"\x01javascript:{js}"),
    ("NUL entity inside", lambda js: f"java&#0;script:{js}"),
    ("comment then newline", lambda js: f"javascript://%0A{js}"),
    ("comment then entity newline", lambda js: f"javascript://&#10;{js}"),
    ("full-width", lambda js: f"ｊａｖａｓｃｒｉｐｔ：{js}"),
    ("cyrillic a", lambda js: f"j\u0430vascript:{js}"),
    ("zero-width space first", lambda js: f"\u200bjavascript:{js}"),
    ("zero-width joiner inside", lambda js: f"java\u200dscript:{js}"),
    ("byte order mark first", lambda js: f"\ufeffjavascript:{js}"),
    ("vbscript", lambda js: f"vbscript:{js}"),
    ("livescript", lambda js: f"livescript:{js}"),
    ("data html", lambda js: f"data:text/html,<script>{js}</script>"),
    (
        "data base64",
        lambda js: (
            "data:text/html;base64," + base64.b64encode(f"<script>{js}</script>".encode()).decode()
        ),
    ),
    ("data upper", lambda js: f"DATA:text/html,<svg onload={js}>"),
    ("data svg", lambda js: f"data:image/svg+xml,<svg onload='{js}'></svg>"),
)

# Every place Markdown or HTML takes a URL. `u` is the URL, `n` the number.
_URL_PLACES: tuple[tuple[str, Callable[[str, int], str]], ...] = (
    ("inline link", lambda u, n: f"[link {n}]({u})"),
    ("inline link in angle brackets", lambda u, n: f"[link {n}](<{u}>)"),
    ("inline link with title", lambda u, n: f'[link {n}]({u} "title {n}")'),
    ("image", lambda u, n: f"![image {n}]({u})"),
    ("reference link", lambda u, n: f"[link {n}][ref{n}]\n\n[ref{n}]: {u}"),
    ("autolink", lambda u, n: f"<{u}>"),
    ("raw anchor", lambda u, n: f'<a href="{u}">link {n}</a>'),
)
# Places whose URL cannot hold a space or newline: only obfuscations without one.
_NO_SPACE_PLACES = {"autolink"}


def _marker(n: int) -> str:
    return f"xss({n})"


def _url_payloads() -> Iterator[tuple[str, str | Callable[[int], str]]]:
    for scheme_name, scheme in _SCHEMES:
        for place_name, place in _URL_PLACES:
            if place_name in _NO_SPACE_PLACES and any(c in scheme("") for c in " \t\n\r"):
                continue

            def make(n: int, scheme=scheme, place=place) -> str:
                return place(scheme(_marker(n)), n)

            yield f"scheme {scheme_name} in {place_name}", make


# Tags that run script through an attribute or an event, each with how it fires unaided
# (or when hovered or focused, which the test does to every element).
_HANDLER_TAGS: tuple[str, ...] = (
    "<img src=x onerror={js}>",
    '<img src=x onerror="{js}">',
    "<IMG SRC=x OnErRoR={js}>",
    "<img/src=x/onerror={js}>",
    "<img src=x onerror\n={js}>",
    "<img src=x onerror=&#x78;&#x73;&#x73;&#x28;{N}&#x29;>",
    "<img src=x onerror='{js}'//",
    "<img src=`x`onerror={js}>",
    "<image src=x onerror={js}>",
    "<svg onload={js}>",
    "<svg/onload={js}>",
    "<svg><script>{js}</script></svg>",
    "<svg><animate onbegin={js} attributeName=x dur=1s>",
    "<svg><set attributeName=onmouseover to={js} />",
    '<svg><a xlink:href="javascript:{js}"><text x="20" y="20">svg link {N}</text></a></svg>',
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='{js}'/></svg>#x\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror={js}>",
    '<math href="javascript:{js}">math link {N}</math>',
    "<math><maction actiontype=statusline xlink:href=javascript:{js}>x</maction></math>",
    '<iframe src="javascript:{js}"></iframe>',
    '<iframe srcdoc="&lt;script&gt;parent.{js}&lt;/script&gt;"></iframe>',
    "<iframe onload={js}></iframe>",
    '<object data="javascript:{js}"></object>',
    '<object data="data:text/html,<script>parent.{js}</script>"></object>',
    '<embed src="javascript:{js}">',
    '<embed src="data:text/html,<script>parent.{js}</script>">',
    '<form action="javascript:{js}"><button id=f{N}>send {N}</button></form>',
    '<form><button formaction="javascript:{js}">send {N}</button></form>',
    "<input autofocus onfocus={js}>",
    "<select autofocus onfocus={js}></select>",
    "<textarea autofocus onfocus={js}></textarea>",
    "<keygen autofocus onfocus={js}>",
    "<details open ontoggle={js}>",
    "<video src=x onerror={js}></video>",
    "<video><source onerror={js}></video>",
    "<audio src=x onerror={js}></audio>",
    "<body onload={js}>",
    "<body onpageshow={js}>",
    "<marquee onstart={js}>marquee {N}</marquee>",
    "<div onmouseover={js}>hover {N}</div>",
    "<a onmouseover={js}>hover link {N}</a>",
    "<a href=# onfocus={js} autofocus>focus {N}</a>",
    "<p onclick={js} onmouseenter={js}>enter {N}</p>",
    '<div style="animation-name:spin" onanimationstart={js}>spin {N}</div>',
    "<div tabindex=1 onfocusin={js}>focusin {N}</div>",
    "<x onpointerover={js}>pointer {N}</x>",
    "<script>{js}</script>",
    "<SCRIPT>{js}</SCRIPT>",
    "<script src=data:,{js}></script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<script>{js}//",
    "<<script>{js};//<</script>",
    '<base href="javascript:{js}//"><a href=/x>base {N}</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    '<meta http-equiv="refresh" content="0;url=data:text/html,<script>{js}</script>">',
    '<link rel=stylesheet href="javascript:{js}">',
    "<style>@import 'javascript:{js}';</style>",
    '<style>body{{background:url("javascript:{js}")}}</style>',
    '<div style="background-image:url(javascript:{js})">style url {N}</div>',
    '<div style="width:expression({js})">expression {N}</div>',
    '<div style="behavior:url(#default#time2)" onbegin={js}>behavior {N}</div>',
    '<table background="javascript:{js}"><tr><td>table {N}</td></tr></table>',
    '<td background="javascript:{js}">cell {N}</td>',
    "<isindex action=javascript:{js} type=image>",
    "<xmp><img src=x onerror={js}></xmp>",
    '<noscript><p title="</noscript><img src=x onerror={js}>">',
    '<noembed><img title="</noembed><img src=x onerror={js}>"></noembed>',
    "<title><img src=x onerror={js}></title>",
    '<textarea><img title="</textarea><img src=x onerror={js}>"></textarea>',
    "<template><img src=x onerror={js}></template>",
    '<svg></p><style><a id="</style><img src=1 onerror={js}>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror={js}>",
    '<!--<img src="--><img src=x onerror={js}//">',
    "<![CDATA[><img src=x onerror={js}>]]>",
    '<?xml version="1.0"?><img src=x onerror={js}>',
    '<a href="javascript&colon;{js}">colon {N}</a>',
    '<a href="  javascript:{js}">spaced {N}</a>',
    "<a href=javascript:{js}>bare {N}</a>",
    '<a href="java&#x09;script:{js}">tab {N}</a>',
    '<a href="#" title="x" onclick="{js}">click {N}</a>',
    '<abbr title="x" onmouseover={js}>abbr {N}</abbr>',
    "<ol start=1 onmouseover={js}><li>list {N}</li></ol>",
    '<a href="https://example.org" rel="opener" target=_blank onmouseover={js}>t {N}</a>',
    '<a href="https://example.org/" style="position:fixed;inset:0" onmouseover={js}>s</a>',
    '<a/href="javascript:{js}">slash {N}</a>',
    '<a href="javascript:void(0)" onmouseover={js}>void {N}</a>',
    '<applet code="javascript:{js}"></applet>',
    "<frameset onload={js}>",
    '<bgsound src="javascript:{js}">',
    '<object type="text/x-scriptlet" data="javascript:{js}"></object>',
    '<portal src="javascript:{js}"></portal>',
    "<img src=x onerror=alert({N})>",
    "<img src=x onerror=confirm({N})>",
    "<img src=x onerror=prompt({N})>",
    "<img src=x onerror=print()>",
    "<img src=x onerror=\"top['xs'+'s']({N})\">",
    "<img src=x onerror=xss`{N}`>",
    "<img src=x onerror=\"window.location='javascript:{js}'\">",
    "<img src=x onerror=\"eval(atob('{b64}'))\">",
    '<img src=x onerror="\\u0078ss({N})">',
)


def _html_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    for template in _HANDLER_TAGS:

        def make(n: int, template=template) -> str:
            js = _marker(n)
            b64 = base64.b64encode(js.encode()).decode()
            return template.format(js=js, N=n, b64=b64)

        yield "html " + template.split(">")[0][:40], make


# Ways out of an attribute value or a URL: quotes, backticks, slashes, spaces, through
# every place the renderer writes an attribute (href, title, a mention's href).
_BREAKOUTS: tuple[str, ...] = (
    '[q {N}](https://example.org/"onmouseover="{js})',
    "[q {N}](https://example.org/'onmouseover='{js})",
    "[q {N}](https://example.org/`onmouseover=`{js})",
    '[q {N}](https://example.org/" onmouseover="{js}" x=")',
    '[q {N}](<https://example.org/" onmouseover="{js}">)',
    '[q {N}](https://example.org "t" onmouseover="{js}")',
    '[q {N}](https://example.org "t\\" onmouseover=\\"{js}")',
    "[q {N}](https://example.org 't' onmouseover='{js}')",
    "[q {N}](https://example.org (t) onmouseover={js})",
    '[q {N}](https://example.org "&quot; onmouseover=&quot;{js}")',
    '[q {N}](https://example.org "&#34; onmouseover=&#34;{js}")',
    "[q {N}](https://example.org/&quot;onmouseover=&quot;{js})",
    "[q {N}](https://example.org/%22onmouseover=%22{js})",
    "[q {N}](https://example.org/><img src=x onerror={js}>)",
    "[q {N}](https://example.org/%3E%3Cimg%20src=x%20onerror={js}%3E)",
    '[q {N}](//example.org/" onmouseover="{js})',
    "[q {N}](/\\/example.org/'onmouseover='{js})",
    '![q {N}](https://example.org/x.png" onerror="{js})',
    '![q" onerror="{js}](https://example.org/x.png)',
    "![q' onerror='{js}](x)",
    '[q" onmouseover="{js}](https://example.org)',
    "[<img src=x onerror={js}>](https://example.org)",
    "[q {N}](https://example.org/?a=1&b=<svg/onload={js}>)",
    'https://example.org/"onmouseover="{js}"',
    "https://example.org/'onmouseover='{js}'",
    "https://example.org/<img src=x onerror={js}>",
    'https://example.org/?q="><svg onload={js}>',
    'www.example.org/"><svg onload={js}>',
    'www.example.org/" onmouseover="{js}',
    'mail{N}@example.org"onmouseover="{js}',
    'mailto:mail{N}@example.org?subject="><img src=x onerror={js}>',
    '<a href="https://example.org" title="x" onmouseover="{js}">t {N}</a>',
    "<a href='https://example.org' title='x' onmouseover='{js}'>t {N}</a>",
    "<a href=https://example.org title=x` onmouseover={js}>t {N}</a>",
    '<a title="a" href="https://example.org/"onmouseover="{js}">t {N}</a>',
    '<a href="https://example.org/"/onmouseover="{js}">t {N}</a>',
    '<a href="https://example.org/" title="\\" onmouseover=\\"{js}">t {N}</a>',
    '<abbr title="x"" onmouseover="{js}">a {N}</abbr>',
    '<abbr title="&quot; onmouseover=&quot;{js}">a {N}</abbr>',
    '<ol start="1" onmouseover="{js}"><li>o {N}</li></ol>',
    '<ol start="1"onmouseover="{js}"><li>o {N}</li></ol>',
    "<ol start=1/onmouseover={js}><li>o {N}</li></ol>",
    '"><img src=x onerror={js}>',
    "'><img src=x onerror={js}>",
    "`><img src=x onerror={js}>",
    '" onmouseover="{js}" x="',
    "' onmouseover='{js}' x='",
    '" autofocus onfocus="{js}" x="',
    "</textarea><img src=x onerror={js}>",
    "</title><img src=x onerror={js}>",
    "</template><img src=x onerror={js}>",
    "</bdi><img src=x onerror={js}>",
    "</script><img src=x onerror={js}>",
    "--><img src=x onerror={js}>",
    "]]><img src=x onerror={js}>",
    "</style><img src=x onerror={js}>",
    "</noscript><img src=x onerror={js}>",
    "</button><img src=x onerror={js}>",
    "</a><img src=x onerror={js}>",
)


def _breakout_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    for template in _BREAKOUTS:

        def make(n: int, template=template) -> str:
            return template.format(js=_marker(n), N=n)

        yield "breakout " + template[:30], make


# Entities and encodings that a careless decoding step (text_of, an excerpt, a mail)
# could turn back into markup.
_ENCODED: tuple[str, ...] = (
    "&lt;img src=x onerror={js}&gt;",
    "&amp;lt;img src=x onerror={js}&amp;gt;",
    "&amp;amp;lt;img src=x onerror={js}&amp;amp;gt;",
    "&#60;img src=x onerror={js}&#62;",
    "&#x3C;img src=x onerror={js}&#x3E;",
    "&#x003C;svg onload={js}&#x003E;",
    "&#0000060;svg onload={js}&#0000062;",
    "&lt;script&gt;{js}&lt;/script&gt;",
    "&LT;script&GT;{js}&LT;/script&GT;",
    "&lt&lt;img src=x onerror={js}&gt",
    "%3Cimg%20src=x%20onerror={js}%3E",
    "%253Cimg%2520src=x%2520onerror={js}%253E",
    "\\u003cimg src=x onerror={js}\\u003e",
    "\\x3cimg src=x onerror={js}\\x3e",
    "\\<img src=x onerror={js}\\>",
    "&lt;a href=&quot;javascript:{js}&quot;&gt;e {N}&lt;/a&gt;",
    "&lt;iframe srcdoc=&quot;&amp;lt;script&amp;gt;parent.{js}&amp;lt;/script&amp;gt;&quot;&gt;",
    "+ADw-script+AD4-{js}+ADw-/script+AD4-",
    "<img src=x onerror=&#x27;{js}&#x27;>",
    "<img src=x onerror=&quot;{js}&quot;>",
    "&#x3C;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3E;{js}&#x3C;/script&#x3E;",
    "&lt;img src=x onerror={js}&gt; and `&lt;img src=x onerror={js}&gt;`",
    "<code>&lt;img src=x onerror={js}&gt;</code>",
    "<pre>&lt;svg onload={js}&gt;</pre>",
    "&lt;![CDATA[<img src=x onerror={js}>]]&gt;",
    "&#x26;lt;img src=x onerror={js}&#x26;gt;",
    '<a href="https://example.org/&lt;svg onload={js}&gt;">e {N}</a>',
    "[e {N}](https://example.org/&lt;svg/onload={js}&gt;)",
    "&lt;img src=x onerror={js}&gt;" * 3,
    "\\&lt;img src=x onerror={js}\\&gt;",
)


def _encoded_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    for template in _ENCODED:

        def make(n: int, template=template) -> str:
            return template.format(js=_marker(n), N=n)

        yield "encoded " + template[:30], make


# Unicode: look-alike angle brackets and schemes, invisible and reordering characters
# around markup, characters that change length or meaning when case-folded or normalised.
_UNICODE: tuple[str, ...] = (
    "＜script＞{js}＜/script＞",
    "＜img src=x onerror={js}＞",
    "﹤img src=x onerror={js}﹥",
    "〈img src=x onerror={js}〉",
    "‹img src=x onerror={js}›",
    "\u02c2img src=x onerror={js}\u02c3",
    "<img src=x onerror=\uff58\uff53\uff53({N})>",
    "\u202e<img src=x onerror={js}>",
    "<img src=x \u202eonerror={js}>",
    "\u202e)N(ssx=rorreno x=crs gmi<".replace("N", "{N}"),
    "[\u202elink {N}](javascript:{js})",
    "<img\u200bsrc=x onerror={js}>",
    "<img src=x on\u200derror={js}>",
    "<scr\u200dipt>{js}</scr\u200dipt>",
    "<\u200bscript>{js}</script>",
    "<\ufeffimg src=x onerror={js}>",
    "<img src=x onerror={js}\u2028>",
    "<img src=x\u00a0onerror={js}>",
    "<img src=x\u3000onerror={js}>",
    "<img src=x\u0085onerror={js}>",
    "<img src=x\u000conerror={js}>",
    "<ſcript>{js}</ſcript>",
    "<ſvg onload={js}>",
    "<\u0130mg src=x onerror={js}>",
    "<ımg src=x onerror={js}>",
    "<img src=x onerror={js}>\u0338",
    "<img src=x onerror={js}\u0338>",
    "<\u0301img src=x onerror={js}>",
    "[h {N}](\u0458avascript:{js})",
    "[h {N}](javascr\u0456pt:{js})",
    "[h {N}](ʲavascript:{js})",
    "[h {N}](ｊavascript:{js})",
    "[h {N}](javascript\uff1a{js})",
    "[h {N}](javascript\ufe55{js})",
    "[h {N}](java\u00adscript:{js})",
    "[h {N}](\u2060javascript:{js})",
    "[h {N}](\u180ejavascript:{js})",
    '<a href="\u0458avascript:{js}">h {N}</a>',
    '<a href="java\u00adscript:{js}">h {N}</a>',
    '<a href="\u2028javascript:{js}">h {N}</a>',
    '<a href="\u00a0javascript:{js}">h {N}</a>',
    "\U0001d5f7avascript:{js}",
    "Ⓙavascript:{js}",
    "\u0000<img src=x onerror={js}>",
    "<im\u0000g src=x onerror={js}>",
    '<img src=x onerror="{js}\u0000">',
    "\ud7ff<svg onload={js}>\ue000",
    "\u200f\u202b<svg onload={js}>\u202c",
    "\u2066<img src=x onerror={js}>\u2069",
    "\u061c<img src=x onerror={js}>",
    "مرحبا <img src=x onerror={js}> עברית",
    "Тендер <svg/onload={js}> 招标",
    "\U0001f600<img src=x onerror={js}>\U0001f600",
    "e\u0301\u0301\u0301\u0301<img src=x onerror={js}>",
)


def _unicode_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    for template in _UNICODE:

        def make(n: int, template=template) -> str:
            return template.format(js=_marker(n), N=n)

        yield "unicode " + template[:20], make


# Markdown structures around markup and dangerous links: code spans and fences, quotes,
# lists, tables, emphasis, headings, nested brackets, HTML blocks, and mentions.
_MARKDOWN: tuple[str, ...] = (
    "`<img src=x onerror={js}>`",
    "`` ` ``<img src=x onerror={js}>",
    "`[c {N}](javascript:{js})`",
    "[`c {N}`](javascript:{js})",
    "`code`[c {N}](javascript:{js})`code`",
    "```\n<img src=x onerror={js}>\n```",
    "```html\n</code></pre><img src=x onerror={js}>\n```",
    "```<img src=x onerror={js}>\ncode\n```",
    "    <img src=x onerror={js}>",
    "~~~\n</pre><svg onload={js}>\n~~~",
    "<pre><code>\n</code></pre><img src=x onerror={js}>",
    "> [c {N}](javascript:{js})",
    "> > > <img src=x onerror={js}>",
    ">>> `<svg onload={js}>` > <svg onload={js}>",
    "- [c {N}](javascript:{js})\n  - <img src=x onerror={js}>",
    "1. <svg onload={js}>\n2. [c {N}](javascript:{js})",
    "| a | b |\n|---|---|\n| [c {N}](javascript:{js}) | <img src=x onerror={js}> |",
    "| <svg onload={js}> |\n|---|",
    "**[c {N}](javascript:{js})**",
    "*<img src=x onerror={js}>*",
    "_<img src=x onerror={js}>_",
    "~~<svg onload={js}>~~",
    "# <img src=x onerror={js}>",
    "Heading {N}\n===\n<svg onload={js}>",
    "[[c {N}](javascript:{js})](https://example.org)",
    "[c {N}](https://example.org)(javascript:{js})",
    "[c {N}]\n\n[c {N}]: javascript:{js}",
    "[c {N}]\n\n[C {N}]: <javascript:{js}>",
    '[c {N}][]\n\n[c {N}]: javascript:{js} "title"',
    "![c {N}][img{N}]\n\n[img{N}]: javascript:{js}",
    "[c {N}](javascript:{js} 'a')",
    '[c {N}](javascript:{js}"")',
    "[c {N}](javascript:%0a{js})",
    "[c {N}](javascript:/*)*/{js})",
    "[c {N}](javascript:\\u0078ss({N}))",
    "[c {N}](\\javascript:{js})",
    "[c {N}](javascript\\:{js})",
    "[c {N}](javas&#99;ript:{js})",
    "[c {N}](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A{js})",
    "[c {N}](  javascript:{js}  )",
    "[c {N}](<java\nscript:{js}>)",
    "[c {N}]( <javascript:{js}> )",
    "<div>\n\n[c {N}](javascript:{js})\n\n</div>",
    "<div markdown=1><img src=x onerror={js}></div>",
    "<details><summary>s {N}</summary><img src=x onerror={js}></details>",
    "*[c {N}](javascript:{js})*_[c](javascript:{js})_",
    "\\[c {N}](javascript:{js})",
    "[c {N}\\](javascript:{js})",
    "[c {N}](javascript:{js}\\)",
    "<javascript:{js}>",
    "<JAVASCRIPT:{js}>",
    "<data:text/html,<script>{js}</script>>",
    "<vbscript:{js}>",
    '<https://example.org/"onmouseover="{js}>',
    '<mail{N}@example.org" onmouseover="{js}>',
    "javascript:{js}",
    "www.example.org/javascript:{js}",
    "@admin<img src=x onerror={js}>",
    "@admin_{N}<svg onload={js}>",
    "@<script>{js}</script>",
    "[@admin](javascript:{js})",
    '@admin"onmouseover="{js}',
    "@admin'onmouseover='{js}",
    "(@admin)<svg onload={js}>",
    "@admin](javascript:{js})",
    "[x @admin](javascript:{js})",
    "@admin<a href=javascript:{js}>m {N}</a>",
    "**@admin**<img src=x onerror={js}>",
    "`@admin`<img src=x onerror={js}>",
    "> @admin <svg onload={js}>",
    "@ad\u200dmin<svg onload={js}>",
    "@ａｄｍｉｎ<svg onload={js}>",
    "{{{{constructor.constructor('{js}')()}}}}",
    "${{{js}}}",
    "#{{{js}}}",
    "{{{{{js}}}}}",
    "<%= {js} %>",
    '[%23 {N}](#"onmouseover="{js})',
    '[f {N}](#post-1"><img src=x onerror={js}>)',
    '[f {N}](/members/x"><svg onload={js}>)',
    '[f {N}](?q="><svg onload={js}>)',
)


def _markdown_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    for template in _MARKDOWN:

        def make(n: int, template=template) -> str:
            return template.format(js=_marker(n), N=n)

        yield "markdown " + template[:30], make


def _long_payloads() -> Iterator[tuple[str, Callable[[int], str]]]:
    yield (
        "long: angle brackets then tag",
        lambda n: "<" * 5000 + f"<img src=x onerror={_marker(n)}>",
    )
    yield (
        "long: brackets nested",
        lambda n: "[" * 2000 + f"x](javascript:{_marker(n)})" + "]" * 2000,
    )
    yield "long: quotes nested", lambda n: "> " * 300 + f"<svg onload={_marker(n)}>"
    yield "long: emphasis", lambda n: "*" * 3000 + f"<img src=x onerror={_marker(n)}>" + "*" * 3000
    yield (
        "long: list nested",
        lambda n: (
            "".join("  " * i + f"- l{i}\n" for i in range(200)) + f"<svg onload={_marker(n)}>"
        ),
    )
    yield (
        "long: attribute",
        lambda n: (
            f'<a href="https://example.org/{"a" * 20000}" onmouseover="{_marker(n)}">long {n}</a>'
        ),
    )
    yield (
        "long: URL",
        lambda n: f'[long {n}](https://example.org/{"b" * 30000}"onmouseover="{_marker(n)})',
    )
    yield (
        "long: table",
        lambda n: (
            "|" + "a|" * 300 + "\n|" + "-|" * 300 + "\n|" + (f"<svg onload={_marker(n)}>|" * 300)
        ),
    )
    yield (
        "long: many links",
        lambda n: " ".join(f"[l{i}](javascript:{_marker(n)})" for i in range(400)),
    )
    yield "long: backticks", lambda n: "`" * 1000 + f"<img src=x onerror={_marker(n)}>" + "`" * 999
    yield (
        "long: many mentions",
        lambda n: " ".join(f"@user_{i}<svg onload={_marker(n)}>" for i in range(150)),
    )
    yield "long: entities", lambda n: "&#x26;" * 5000 + f"lt;img src=x onerror={_marker(n)}&gt;"
    yield "long: unclosed comment", lambda n: "<!--" * 500 + f"--><img src=x onerror={_marker(n)}>"


def build() -> list[Payload]:
    """Every payload, numbered from 1 in the order built."""
    makers = [
        *_url_payloads(),
        *_html_payloads(),
        *_breakout_payloads(),
        *_encoded_payloads(),
        *_unicode_payloads(),
        *_markdown_payloads(),
        *_long_payloads(),
    ]
    return [Payload(n, family, make(n)) for n, (family, make) in enumerate(makers, start=1)]


CORPUS = build()
