"""Settings come from FORUM_* variables; bad ones stop the program with one clear line."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest

from forum.config import ConfigError, Rate, Rates, Settings

SECRET = "s" * 40


def test_defaults_use_the_embedded_database_with_a_kept_secret(tmp_path):
    first = Settings.from_env({"FORUM_DATA_DIR": str(tmp_path)})
    assert first.embedded and first.database_url is None
    assert len(first.secret_key) >= 32
    again = Settings.from_env({"FORUM_DATA_DIR": str(tmp_path)})
    assert again.secret_key == first.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_server_url_is_normalised_for_asyncpg(tmp_path):
    s = Settings.from_env(
        {"FORUM_DATABASE_URL": "postgres://u@db/forum", "FORUM_SECRET_KEY": SECRET}
    )
    assert s.database_url == "postgresql+asyncpg://u@db/forum"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FORUM_DATABASE_URL": "postgresql://db/forum"}, "FORUM_SECRET_KEY must be set"),
        ({"FORUM_DATABASE_URL": "postgresql://db/f", "FORUM_SECRET_KEY": "short"}, "at least 32"),
        ({"FORUM_DATABASE_URL": "mysql://db/forum", "FORUM_SECRET_KEY": SECRET}, "postgresql://"),
        ({"FORUM_PORT": "http"}, "FORUM_PORT must be a whole number"),
        ({"FORUM_PORT": "70000"}, "FORUM_PORT must be between 1 and 65535"),
        ({"FORUM_LIMIT_POST": "fast"}, "FORUM_LIMIT_POST must be a count per window"),
        ({"FORUM_LIMIT_POST": "0/1m"}, "FORUM_LIMIT_POST must be a count per window"),
        ({"FORUM_LIMIT_LOGIN_DEVICE": "5/0s"}, "FORUM_LIMIT_LOGIN_DEVICE must be a count"),
        ({"FORUM_LIMIT_REGISTER": "5/31d"}, "at most 30d"),
        ({"FORUM_LIMIT_WS_CONNECT": "5 a minute"}, "got '5 a minute'"),
    ],
)
def test_bad_settings_fail_with_one_line(env, message, tmp_path):
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_env({"FORUM_DATA_DIR": str(tmp_path), **env})
    assert "\n" not in str(caught.value)


def test_allowed_origins_are_a_list(tmp_path):
    s = Settings.from_env(
        {
            "FORUM_DATA_DIR": str(tmp_path),
            "FORUM_ALLOWED_ORIGINS": "https://a.example.org/, https://b.example.org",
        }
    )
    assert s.allowed_origins == ("https://a.example.org", "https://b.example.org")


def test_the_secret_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    # The mode it is created with, seen before anything is written to it: a file made
    # readable and narrowed afterwards could be opened by another user in between.
    real_open, modes = os.open, []

    def watched_open(path, flags, mode=0o777, *args, **kwargs):
        fd = real_open(path, flags, mode, *args, **kwargs)
        if str(path).startswith(str(tmp_path)):
            modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(os, "open", watched_open)
    old_umask = os.umask(0)  # the most permissive an operator's shell could have
    try:
        settings = Settings.from_env({"FORUM_DATA_DIR": str(tmp_path)})
    finally:
        os.umask(old_umask)
    assert modes == [0o600]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # nothing left aside
    assert (tmp_path / "secret_key").read_text() == settings.secret_key


def test_limits_are_read_from_forum_limit_variables(tmp_path):
    s = Settings.from_env(
        {
            "FORUM_DATA_DIR": str(tmp_path),
            "FORUM_LIMIT_POST": "5/90s",
            "FORUM_LIMIT_REGISTER": "3/2h",
            "FORUM_LIMIT_LOGIN_DEVICE": " 7 / 15m ",
            "FORUM_LIMIT_WS_BACKLOG": "100/60",
            "FORUM_LIMIT_EDIT": "",  # empty: the default
        }
    )
    assert s.rates.post == Rate(5, timedelta(seconds=90))
    assert s.rates.register == Rate(3, timedelta(hours=2))
    assert s.rates.login_device == Rate(7, timedelta(minutes=15))
    assert s.rates.ws_backlog == Rate(100, timedelta(minutes=1))
    assert s.rates.edit == Rates().edit
    assert Settings.from_env({"FORUM_DATA_DIR": str(tmp_path)}).rates == Rates()
