"""Screenshots of the forum's main pages for the README: desktop (1280 px wide) and phone
(360 px), English and French, from `forum serve --demo` on a temporary data directory
(embedded PostgreSQL, demo data). A script, not a test:

    .venv/bin/python docs/screenshots.py            # writes docs/screenshots/*.png

Needs Playwright (the test extras) and Debian's Chromium at /usr/bin/chromium. Each
picture is the first screen of the page (not the whole page), so the files stay small.
A page that does not exist yet (404) is skipped with a note.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
LANGUAGES = {"en": "en-GB", "fr": "fr-FR"}
PASSWORD = "a long demo password"
NAMES = {  # who looks, in each language
    ("en", "member"): "Awa Ndiaye", ("fr", "member"): "Aminata Koné",
    ("en", "applicant"): "Esi Boateng", ("fr", "applicant"): "Mariama Touré",
}  # fmt: skip


@dataclass(frozen=True)
class Shot:
    name: str
    path: str  # "{thread}" is the demo thread with the most replies
    # Who looks: a visitor, a newly registered applicant, or an approved member.
    who: str = "visitor"


SHOTS = [
    Shot("home", "/"),
    Shot("region", "/regions/africa"),
    Shot("thread", "/threads/{thread}"),
    Shot("search", "/search?q=procurement"),
    Shot("login", "/login"),
    Shot("register", "/register"),
    Shot("apply", "/apply", who="applicant"),
    Shot("new-thread", "/threads/new", who="member"),
]
WHO = ("visitor", "applicant", "member")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forum_env(data_dir: Path, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(FORUM_DATA_DIR=str(data_dir), FORUM_SECRET_KEY=secret)
    return env


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "web.cli", "serve", "--demo", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=HERE.parent)
    deadline = time.monotonic() + 180  # the first start initialises PostgreSQL
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"forum serve exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/regions", timeout=2).is_success:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("forum serve did not answer within 180 s")


def busiest_thread(base: str) -> int:
    threads = httpx.get(f"{base}/api/v1/threads?limit=50").json()["threads"]
    return max(threads, key=lambda t: t["reply_count"])["id"]


def account_cookies(base: str, env: dict[str, str], lang: str, who: str) -> list[dict[str, str]]:
    """A new account whose interface language is `lang` (a member's setting wins over the
    browser's): an applicant, or a member admitted with `forum approve`."""
    email = f"screenshots-{who}-{lang}@example.org"
    with httpx.Client(base_url=base) as client:
        r = client.post(
            "/api/v1/auth/register",
            json={"email": email, "display_name": NAMES[lang, who],
                  "password": PASSWORD, "language": lang},
        )  # fmt: skip
        r.raise_for_status()
        if who == "member":
            command = [sys.executable, "-m", "web.cli", "approve", email]
            subprocess.run(command, env=env, cwd=HERE.parent, check=True, capture_output=True)
        return [{"name": c.name, "value": c.value or "", "url": base} for c in client.cookies.jar]


def take(base: str, env: dict[str, str], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    thread = busiest_thread(base)
    cookies = {
        (lang, who): account_cookies(base, env, lang, who) for lang in LANGUAGES for who in WHO[1:]
    }
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for lang, locale in LANGUAGES.items():
            for screen, viewport in SCREENS.items():
                contexts = {}
                for who in WHO:
                    contexts[who] = browser.new_context(viewport=viewport, locale=locale)
                    if who != "visitor":
                        contexts[who].add_cookies(cookies[lang, who])  # type: ignore[arg-type]
                for shot in SHOTS:
                    page = contexts[shot.who].new_page()
                    response = page.goto(base + shot.path.format(thread=thread))
                    if response is None or response.status == 404:
                        print(f"skipped {shot.name}: {shot.path} does not exist yet")
                        page.close()
                        continue
                    page.wait_for_load_state("networkidle")
                    path = out / f"{shot.name}-{screen}-{lang}.png"
                    page.screenshot(path=str(path))
                    written.append(path)
                    page.close()
                for context in contexts.values():
                    context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="forum-screenshots-") as tmp:
        port = free_port()
        env = forum_env(Path(tmp), secrets.token_urlsafe(40))
        process = serve(env, port)
        try:
            written = take(f"http://127.0.0.1:{port}", env, args.out)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    for path in written:
        print(f"{path.relative_to(HERE.parent)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
