"""What the request validators refuse in free text, said as JSON Schema for the OpenAPI
document (`web.schemas` attaches these; they change no validation).

The validators (`web.schemas`, `forum.names`) refuse C0 and C1 control characters (tabs
and line breaks are allowed in multi-line text), text that is blank (only whitespace and
format characters, Unicode category Cf), and in names and titles any format character.
A property-based client (schemathesis) generates requests from these patterns, so each
one must admit nothing the API refuses. Two simplifications keep them portable (ECMA-262
and Python `re`, without Unicode property escapes): the format characters listed are
those of the Basic Multilingual Plane (the rest are named in prose), and names and titles
admit no ZWNJ or ZWJ at all, although the API takes them between two visible characters.
"""

from __future__ import annotations

import unicodedata


def _ranges(codes: list[int]) -> str:
    parts, start = [], None
    for i, code in enumerate(codes):
        start = code if start is None else start
        if i + 1 == len(codes) or codes[i + 1] != code + 1:
            parts.append(f"\\u{start:04x}" + (f"-\\u{code:04x}" if code != start else ""))
            start = None
    return "".join(parts)


_FORMAT = _ranges([c for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"])
_CONTROLS = r"\u0000-\u001f\u007f-\u009f"
_LINE_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
# Whitespace that is not a control character (`str.isspace`): what "blank" may be made of.
_SPACES = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LINE_SPACES = r"\t\n\r" + _SPACES

# One line, not blank, no format character (titles, display names, organisation names).
NAME = f"^[{_SPACES}]*[^{_SPACES}{_CONTROLS}{_FORMAT}][^{_CONTROLS}{_FORMAT}]*$"
# One line, not blank (a search query, a saved search's name).
LINE = f"^[{_SPACES}{_FORMAT}]*[^{_SPACES}{_CONTROLS}{_FORMAT}][^{_CONTROLS}]*$"
# Paragraphs, not blank (posts, reasons, motivations).
PARAGRAPHS = f"^[{_LINE_SPACES}{_FORMAT}]*[^{_SPACES}{_CONTROLS}{_FORMAT}][^{_LINE_CONTROLS}]*$"
# Paragraphs, possibly empty (descriptions).
ANY_PARAGRAPHS = f"^[^{_LINE_CONTROLS}]*$"
# One line, possibly empty (a password, a login's address).
ANY_LINE = f"^[^{_CONTROLS}]*$"
# `forum.accounts.EMAIL`, without what the validators refuse besides.
_ATOM = f"@\\s{_CONTROLS}{_FORMAT}"
EMAIL = f"^[^{_ATOM}]{{1,64}}@[^{_ATOM}]{{1,190}}\\.[^{_ATOM}.]{{2,63}}$"

# An http(s) address with a host name (`forum.resources.check_url`: urlsplit must find a
# host, and the address holds no whitespace); international names in their ASCII form.
WEB = f"^https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?([/?#][^\\s{_CONTROLS}{_FORMAT}]*)?$"
OPTIONAL_WEB = f"^$|{WEB}"
# `forum.organisation_fields._PHONE`, with no space at either end (they are trimmed).
PHONE = r"^$|^\+?[0-9().-][0-9 ().-]{2,37}[0-9().-]$"


def text(pattern: str, *, min_length: int = 1) -> dict[str, object]:
    """The document's words for a free-text field (for pydantic's `json_schema_extra`)."""
    return {"minLength": min_length, "pattern": pattern} if min_length else {"pattern": pattern}
