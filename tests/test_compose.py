"""The deployment files (docker-compose.yml, Dockerfile) hold together.

Docker cannot run where the tests run, so these read the files and check what a deployer
relies on: the services start in the right order, secrets are never baked in, the app
serves with several workers as a non-root user, and every FORUM_* setting it is given is
one the code reads. No database is needed.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CONFIG = ROOT / "forum" / "config.py"

SERVICES = {"postgres", "meilisearch", "migrate", "app"}
SECRET_WORDS = ("KEY", "PASSWORD", "SECRET")
# `${NAME}`, `${NAME:-default}`, `${NAME:?message}`, ... (`$$` is a literal dollar).
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<modifier>[^}]*)\}")
REQUIRED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}")


def _is_secret_name(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS)


def _unescape(text: str) -> str:
    return text.replace("$$", "")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment, whichever of the two forms the file uses."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {name: None if value is None else str(value) for name, value in env.items()}
    pairs = (item.split("=", 1) for item in env)
    return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile():
        if keyword == "ENV":
            for word in shlex.split(rest):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def command_words(command: str | list[str]) -> list[str]:
    """The words of a command, looking inside `sh -c "exec ..."`."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if len(words) >= 3 and words[0] in {"sh", "/bin/sh", "bash", "/bin/bash"} and "-c" in words:
        words = shlex.split(words[words.index("-c") + 1])
    return words[1:] if words[:1] == ["exec"] else words


def app_command(services: dict) -> list[str]:
    """The command the app container runs: its compose command, else the image's CMD."""
    if "command" in services["app"]:
        return command_words(services["app"]["command"])
    cmds = [rest for keyword, rest in dockerfile() if keyword == "CMD"]
    assert cmds, "the Dockerfile has no CMD and the app service no command"
    cmd = cmds[-1]
    return command_words(json.loads(cmd) if cmd.startswith("[") else cmd)


def option(words: list[str], name: str) -> str:
    assert name in words, f"{name} missing from {' '.join(words)!r}"
    return words[words.index(name) + 1]


def resolve(value: str, services: dict) -> str:
    """A `$NAME` / `${NAME}` argument, as the app container sees it unless the deployer
    sets NAME: the compose environment's value or default, else the image's ENV."""
    match = re.fullmatch(r"\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?", value)
    if not match:
        return value
    name = match.group(1)
    given = environment(services["app"]).get(name)
    if given is None:
        image_env = dockerfile_env()
        assert name in image_env, f"{name} is set neither by compose nor by the Dockerfile"
        return image_env[name]
    interpolated = INTERPOLATION.fullmatch(given)
    if interpolated is None:
        return given
    default = re.fullmatch(r":?-(.*)", interpolated.group("modifier"))
    assert default, f"{name} has no default value"
    return default.group(1)


def config_variables() -> set[str]:
    tree = ast.parse(CONFIG.read_text())
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"FORUM_[A-Z0-9_]+", node.value)
    }


def test_the_production_services_are_defined(services: dict) -> None:
    assert set(services) >= SERVICES


def test_every_healthcheck_has_a_test_command(services: dict) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        if check is None:
            continue
        test = check.get("test")
        assert not check.get("disable"), name
        if isinstance(test, str):
            assert test.strip(), name
        else:
            assert isinstance(test, list), name
            assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, name


def test_services_waited_on_as_healthy_define_a_healthcheck(services: dict) -> None:
    for service in services.values():
        depends = service.get("depends_on") or {}
        if isinstance(depends, dict):
            for target, rule in depends.items():
                if rule.get("condition") == "service_healthy":
                    assert "healthcheck" in services[target], target


def test_app_starts_after_healthy_stores_and_a_finished_migration(services: dict) -> None:
    depends = services["app"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["meilisearch"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_forum_migrate_once(services: dict) -> None:
    migrate = services["migrate"]
    assert command_words(migrate["command"])[:2] == ["forum", "migrate"]
    # Quoted in YAML: a bare `no` would be read as false.
    assert migrate.get("restart") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_database_url_points_at_the_postgres_service(services: dict) -> None:
    url = environment(services["app"])["FORUM_DATABASE_URL"]
    assert url is not None
    # An interpolation may hold `?` or `:`, which would confuse the URL parser.
    parts = urlsplit(INTERPOLATION.sub("placeholder", _unescape(url)))
    assert parts.scheme in {"postgresql", "postgres", "postgresql+asyncpg"}
    assert parts.hostname == "postgres"
    assert "postgres" in services


def test_database_password_comes_from_a_required_variable(services: dict) -> None:
    url = environment(services["app"])["FORUM_DATABASE_URL"] or ""
    found = REQUIRED.findall(url)
    assert len(found) == 1
    parts = urlsplit(url.replace(found[0], "placeholder"))
    assert parts.password == "placeholder"


def test_secret_settings_are_required_interpolations(services: dict) -> None:
    for service_name, service in services.items():
        for name, value in environment(service).items():
            if _is_secret_name(name):
                assert value is not None and REQUIRED.fullmatch(value), (service_name, name)


def test_secret_variables_never_fall_back_to_a_default() -> None:
    text = _unescape(COMPOSE.read_text())
    for match in INTERPOLATION.finditer(text):
        if _is_secret_name(match.group("name")):
            assert match.group("modifier").startswith(":?"), match.group(0)


def test_app_serves_with_several_workers(services: dict) -> None:
    words = app_command(services)
    assert words[:2] == ["forum", "serve"]
    assert int(resolve(option(words, "--workers"), services)) > 1


def test_app_listens_on_the_published_port(services: dict) -> None:
    words = app_command(services)
    assert option(words, "--host") == "0.0.0.0"
    port = resolve(option(words, "--port"), services)
    published = [
        str(mapping["target"]) if isinstance(mapping, dict) else str(mapping).rsplit(":", 1)[-1]
        for mapping in services["app"]["ports"]
    ]
    published = [target.split("/")[0] for target in published]
    assert port in published


def test_app_healthcheck_requests_an_existing_route(services: dict) -> None:
    from web.routes import OPERATIONS, PREFIX

    test = " ".join(services["app"]["healthcheck"]["test"])
    match = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[^'\"\s]*)", test)
    assert match, test
    assert match.group(1) == resolve(option(app_command(services), "--port"), services)
    routes = {PREFIX + op.path for op in OPERATIONS if op.method == "GET"}
    assert match.group(2) in routes


def test_named_volumes_are_declared(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                if volume.get("type", "volume") != "volume":
                    continue
                source = volume.get("source")
            else:
                source = volume.split(":", 1)[0] if ":" in volume else None
            if source and not source.startswith((".", "/", "~", "$")):
                assert source in declared, (name, source)


def test_service_images_are_pinned(services: dict) -> None:
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        assert "@sha256:" in image or re.search(r":v?\d", image), (name, image)


def test_dockerfile_base_image_is_pinned() -> None:
    bases = [
        next(word for word in rest.split() if not word.startswith("--"))
        for keyword, rest in dockerfile()
        if keyword == "FROM"
    ]
    assert bases
    for image in bases:
        assert "@sha256:" in image or re.search(r":\d+(\.\d+)+", image), image


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [rest for keyword, rest in dockerfile() if keyword == "USER"]
    assert users, "the Dockerfile never switches away from root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_every_forum_variable_given_is_read_by_the_config(services: dict) -> None:
    known = config_variables()
    assert "FORUM_DATABASE_URL" in known  # the parse found the settings at all
    given = {name for name in dockerfile_env() if name.startswith("FORUM_")}
    for service in services.values():
        given |= {name for name in environment(service) if name.startswith("FORUM_")}
    assert given
    assert given <= known, sorted(given - known)
