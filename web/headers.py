"""Security headers on every HTTP answer, from one small pure-ASGI middleware.

- `Content-Security-Policy`: scripts, styles, fonts, frames and connections from the
  forum itself only, no inline script or style, no plugins, no `<base>`, forms post only
  to the forum, and no other site may frame it. Images may also be `data:` URLs (the
  empty favicon); posts hold no images. `connect-src 'self'` covers the same-origin
  websocket (`ws:`/`wss:` to this host and port) in current browsers.
- `Referrer-Policy: same-origin`: a link to another site sends no `Referer`, so it
  learns nothing of which thread the reader was on. `no-referrer` would be stricter in
  name only: browsers then send `Origin: null` on the forum's own form posts, and the
  Origin check that guards every state change (`web.auth.check_origin`) would refuse
  them.
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (older browsers'
  `frame-ancestors`).
- `Strict-Transport-Security` when the request came over HTTPS (the scheme after the
  proxy's headers), never over plain HTTP, where it means nothing and would be sent on a
  development machine.
- `Cache-Control: no-store` on personal answers, so no browser, proxy or shared
  computer keeps a copy: every answer under `/api/v1/auth/`, every answer that sets a
  cookie, and every answer to a request carrying a session cookie (live or not: whether
  it is live is known only deeper down, and a dead one costs only a cache miss). Static
  assets are the same for everyone and keep their long cache.

The headers are built once; per request the work is a scan of the request's headers for
the cookie and a copy of the answer's header list.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.auth import COOKIE

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_ALWAYS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_NO_STORE = (b"cache-control", b"no-store")
_SESSION = COOKIE.encode() + b"="
_PERSONAL_PATHS = ("/api/v1/auth/",)
_STATIC = "/static/"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        personal = path.startswith(_PERSONAL_PATHS) or (
            not path.startswith(_STATIC) and has_session_cookie(scope)
        )
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if personal or any(name == b"set-cookie" for name, _ in headers):
                    headers = [h for h in headers if h[0] != b"cache-control"]
                    headers.append(_NO_STORE)
                # A header the page set itself is kept.
                own = {name for name, _ in headers}
                headers += [h for h in _ALWAYS if h[0] not in own]
                if https:
                    headers.append(_HSTS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def has_session_cookie(scope: Scope) -> bool:
    return any(name == b"cookie" and _SESSION in value for name, value in scope["headers"])
