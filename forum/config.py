"""Settings, read once from `FORUM_*` environment variables into one typed object."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from email.utils import parseaddr
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import platformdirs

MIN_SECRET_LENGTH = 32
_SECRET_FILE = "secret_key"


class ConfigError(Exception):
    """A missing or invalid setting; its message is one line meant for an operator."""


@dataclass(frozen=True)
class Rate:
    """At most `count` hits per `window`, per whoever a rule counts (`forum.limits`)."""

    count: int
    window: timedelta


@dataclass(frozen=True)
class Rates:
    """The rate limits, one field per rule of `forum.limits.Rule`, each settable as
    `FORUM_LIMIT_<FIELD>` (e.g. `FORUM_LIMIT_POST=30/10m`).

    The defaults are far above what a person does through the forum's pages: they are
    there to stop scripts, and an office or a mobile operator may put many people behind
    one address.
    """

    # accounts created per client address
    register: Rate = Rate(30, timedelta(hours=1))
    # login attempts from a client address, whatever the account
    login_address: Rate = Rate(100, timedelta(minutes=15))
    # ... for one account from one address
    login_account_address: Rate = Rate(10, timedelta(minutes=15))
    # ... for one account from every device it does not know, together
    login_account: Rate = Rate(50, timedelta(hours=1))
    # ... for one account from one device that logged in to it before
    login_device: Rate = Rate(10, timedelta(minutes=15))
    # threads and replies per member
    post: Rate = Rate(30, timedelta(minutes=10))
    # post edits per member
    edit: Rate = Rate(60, timedelta(minutes=10))
    # Markdown previews per member (rendering a long body costs up to a second of CPU)
    preview: Rate = Rate(120, timedelta(minutes=10))
    # password changes per member, counted before the current password is checked
    password: Rate = Rate(5, timedelta(minutes=15))
    # verification emails a member asks to be sent again
    verify_resend: Rate = Rate(5, timedelta(hours=1))
    # password reset requests from a client address, whatever the address asked for
    reset_address: Rate = Rate(20, timedelta(hours=1))
    # ... for one email address (an account or not: the answer must not tell)
    reset_account: Rate = Rate(5, timedelta(hours=1))
    # anonymous websocket connections per client address
    ws_connect: Rate = Rate(600, timedelta(minutes=10))
    # subscriptions with `since` (a backlog read) per member, or per address if anonymous
    ws_backlog: Rate = Rate(600, timedelta(minutes=10))
    # answers the mail gateway sends to one address about replies it could not post
    mail_answer: Rate = Rate(3, timedelta(hours=1))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Rates:
        given = {}
        for f in fields(cls):
            name = f"FORUM_LIMIT_{f.name.upper()}"
            if env.get(name):
                given[f.name] = _rate_setting(name, env[name])
        return cls(**given)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secret_key: str
    database_url: str | None = None
    meili_url: str | None = None
    meili_key: str | None = None
    allowed_origins: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    session_idle: timedelta = timedelta(days=14)
    session_absolute: timedelta = timedelta(days=60)
    pool_size: int = field(default=20)
    events_keep_days: int = 7
    events_keep_count: int = 100_000
    rates: Rates = field(default_factory=Rates)
    # Where outgoing mail goes; None: into the Maildir `data_dir/mail` (`forum.mail`).
    smtp: Smtp | None = None
    mail_from: str = "CSO Forum <forum@localhost>"
    # The address people reach the forum at, for links in emails.
    public_url: str = ""
    # Where `forum mail-gateway` listens for replies and bounces (`forum.mail.gateway`).
    mail_gateway: tuple[str, int] = ("127.0.0.1", 8025)
    # "json": one JSON object a line on stderr, with a line per request (`web.logs`).
    log_format: str = "text"
    # Who may read /metrics: these networks, or whoever sends the bearer token.
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = (
        ip_network("127.0.0.1"),
        ip_network("::1"),
    )
    metrics_token: str | None = None
    # Where the workers of one `forum serve` share their counters (it sets this itself).
    metrics_dir: Path | None = None

    @property
    def link_base(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(
            env.get("FORUM_DATA_DIR") or platformdirs.user_data_path("cso-forum")
        ).expanduser()
        database_url = _normalise_database_url(env.get("FORUM_DATABASE_URL"))
        secret_key = env.get("FORUM_SECRET_KEY", "")
        if not secret_key:
            if database_url is not None:
                raise ConfigError(
                    "FORUM_SECRET_KEY must be set when FORUM_DATABASE_URL is "
                    f"(at least {MIN_SECRET_LENGTH} random characters)"
                )
            # The embedded database is a single-machine setup: keep a generated secret
            # beside its data so that sessions survive restarts.
            secret_key = _local_secret(data_dir)
        if len(secret_key) < MIN_SECRET_LENGTH or secret_key in {"changeme", "secret"}:
            raise ConfigError(
                f"FORUM_SECRET_KEY must be at least {MIN_SECRET_LENGTH} random characters"
            )
        smtp = _smtp_setting(env.get("FORUM_SMTP_URL") or None)
        mail_from = env.get("FORUM_MAIL_FROM") or ""
        if smtp is not None and not mail_from:
            raise ConfigError("FORUM_MAIL_FROM must be set when FORUM_SMTP_URL is")
        if mail_from and "@" not in parseaddr(mail_from)[1]:
            raise ConfigError(f"FORUM_MAIL_FROM must be an address such as forum@example.org, "
                              f"got {mail_from!r}")  # fmt: skip
        public_url = (env.get("FORUM_PUBLIC_URL") or "").rstrip("/")
        if public_url and not re.match(r"^https?://[^/\s]+(/\S*)?$", public_url):
            raise ConfigError(f"FORUM_PUBLIC_URL must be an http(s):// address, got {public_url!r}")
        return cls(
            mail_gateway=_address_setting("FORUM_MAIL_GATEWAY", env.get("FORUM_MAIL_GATEWAY")),
            smtp=smtp,
            mail_from=mail_from or cls.mail_from,
            public_url=public_url,
            data_dir=data_dir,
            secret_key=secret_key,
            database_url=database_url,
            meili_url=env.get("FORUM_MEILI_URL") or None,
            meili_key=env.get("FORUM_MEILI_KEY") or None,
            allowed_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("FORUM_ALLOWED_ORIGINS", "").split(",")
                if o.strip()
            ),
            host=env.get("FORUM_HOST", "127.0.0.1"),
            port=_int_setting(env, "FORUM_PORT", 8000, 1, 65535),
            session_idle=timedelta(
                seconds=_int_setting(env, "FORUM_SESSION_IDLE_SECONDS", 14 * 86400, 60, 10**8)
            ),
            session_absolute=timedelta(
                seconds=_int_setting(env, "FORUM_SESSION_MAX_SECONDS", 60 * 86400, 60, 10**9)
            ),
            pool_size=_int_setting(env, "FORUM_DB_POOL_SIZE", 20, 1, 200),
            events_keep_days=_int_setting(env, "FORUM_EVENTS_KEEP_DAYS", 7, 1, 3650),
            events_keep_count=_int_setting(env, "FORUM_EVENTS_KEEP_COUNT", 100_000, 1000, 10**9),
            rates=Rates.from_env(env),
            log_format=_choice(env, "FORUM_LOG_FORMAT", ("text", "json")),
            metrics_allow=_networks(env.get("FORUM_METRICS_ALLOW")) or cls.metrics_allow,
            metrics_token=env.get("FORUM_METRICS_TOKEN") or None,
            metrics_dir=Path(env["FORUM_METRICS_DIR"]) if env.get("FORUM_METRICS_DIR") else None,
        )


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _networks(raw: str | None) -> tuple[IPv4Network | IPv6Network, ...]:
    found = []
    for part in (raw or "").split(","):
        if part.strip():
            try:
                found.append(ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"FORUM_METRICS_ALLOW must list addresses or networks such as "
                    f"10.0.0.0/8, got {part.strip()!r}"
                ) from None
    return tuple(found)


@dataclass(frozen=True)
class Smtp:
    """Where `FORUM_SMTP_URL` sends mail: `smtp://[user:password@]host[:port]` (STARTTLS
    when the server offers it; `?starttls=required` refuses a server that does not) or
    `smtps://...` (TLS from the first byte)."""

    host: str
    port: int
    tls: bool = False
    starttls_required: bool = False
    username: str | None = None
    password: str | None = None


def _smtp_setting(raw: str | None) -> Smtp | None:
    if raw is None:
        return None
    problem = "FORUM_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465"
    url = urlsplit(raw)
    try:
        port = url.port
    except ValueError:
        raise ConfigError(problem + f", got a bad port in {url.netloc!r}") from None
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ConfigError(problem)
    query = parse_qs(url.query)
    starttls = query.get("starttls", [""])[0]
    if set(query) - {"starttls"} or starttls not in ("", "required"):
        raise ConfigError(problem + " (the only option is ?starttls=required)")
    tls = url.scheme == "smtps"
    return Smtp(
        host=url.hostname,
        port=port or (465 if tls else 587),
        tls=tls,
        starttls_required=starttls == "required",
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
    )


def _address_setting(name: str, raw: str | None) -> tuple[str, int]:
    """`host:port` (an IPv6 host in brackets: `[::1]:8025`)."""
    if not raw:
        return Settings.mail_gateway
    found = re.match(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$", raw.strip())
    if found is None or not 1 <= int(found[2]) <= 65535:
        raise ConfigError(f"{name} must be host:port such as 127.0.0.1:8025, got {raw!r}")
    return found[1].strip("[]"), int(found[2])


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,7})\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_WINDOW = 30 * 86400


def _rate_setting(name: str, raw: str) -> Rate:
    found = _RATE.match(raw)
    seconds = int(found[2]) * _UNIT_SECONDS[found[3]] if found else 0
    if found is None or int(found[1]) < 1 or not 1 <= seconds <= _MAX_WINDOW:
        raise ConfigError(
            f"{name} must be a count per window such as 10/15m (window in s, m, h or d, "
            f"at most 30d), got {raw!r}"
        )
    return Rate(int(found[1]), timedelta(seconds=seconds))


def _normalise_database_url(url: str | None) -> str | None:
    if not url:
        return None
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ConfigError("FORUM_DATABASE_URL must be a postgresql:// URL")


def _local_secret(data_dir: Path) -> str:
    path = data_dir / _SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    # Written aside then linked into place: link fails if the name exists, so when two
    # processes start at once exactly one secret wins and nobody reads a half-written file.
    # The file is created owner-only (O_EXCL: never someone else's file or link under that
    # name), so no other user can open it between its creation and a later chmod.
    tmp = data_dir / f".{_SECRET_FILE}.{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
