"""Every string of the interface is translated in every interface language, and the
compiled catalogs the app loads say what the `.po` files say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web import i18n

ROOT = Path(__file__).parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _extracted() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(
        ROOT / "web", method_map, options_map, keywords={"_": None, "N_": None,
        "gettext": None, "ngettext": (1, 2)},
    )  # fmt: skip
    return {_key(message) for _, _, message, *_ in found}


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _strings(string: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else tuple(string)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    messages = _extracted()
    assert len(messages) > 50  # the extraction itself works
    return messages


@pytest.mark.parametrize("locale", [code for code in i18n.LOCALES if code != i18n.DEFAULT])
def test_every_string_is_translated(locale, extracted):
    po_path = i18n.DIRECTORY / locale / "LC_MESSAGES" / "messages.po"
    with open(po_path, "rb") as f:
        catalog = read_po(f, locale=locale)
    translated = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key, strings = _key(message.id), _strings(message.string)
        if all(strings):
            translated[key] = strings
    missing = sorted(extracted - translated.keys())
    assert not missing, f"{locale}: not translated: {missing}"
    for key in extracted:
        for string in translated[key]:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(key)), key

    with open(po_path.with_suffix(".mo"), "rb") as f:
        compiled = read_mo(f)
    compiled_strings = {_key(m.id): _strings(m.string) for m in compiled if m.id}
    stale = sorted(key for key in extracted if compiled_strings.get(key) != translated[key])
    assert not stale, f"{locale}: messages.mo is older than messages.po: run pybabel compile"


def test_a_missing_string_is_noticed(tmp_path):
    """The check above would fail on a template string absent from the catalogs."""
    template = tmp_path / "templates" / "new.html"
    template.parent.mkdir()
    template.write_text('<p>{{ _("A sentence nobody translated") }}</p>')
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {m[2] for m in extract_from_dir(tmp_path, method_map, options_map)}
    assert found == {"A sentence nobody translated"}
