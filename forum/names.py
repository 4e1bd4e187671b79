"""Names people read: which characters they may hold, and when two are the same name.

Display names, thread titles and organisation names sit next to what people write, so a
character that prints nothing can make one look like another, or reorder the text around
it (U+202E turns "Transparency" into a mirror image). Format characters (Unicode category
Cf) print nothing and are refused, with one exception: ZWNJ and ZWJ (U+200C, U+200D)
between two visible characters, where Persian and Indic spelling and emoji sequences need
them. Emails refuse them too: an address is never spelt with them.

Two display names are the same name when they match after NFKD, with combining marks
and format characters removed, case folded and whitespace collapsed: "Amínata  DIALLO"
is "aminata diallo". Letters of other scripts that look alike (Cyrillic "а" for Latin
"a") are not folded: that needs the Unicode confusables table.
"""

from __future__ import annotations

import unicodedata

JOINERS = frozenset("\u200c\u200d")


def _visible(ch: str) -> bool:
    # Separators, controls and format characters print nothing; marks belong to a letter.
    return unicodedata.category(ch)[0] not in "ZC"


def invisible(value: str, *, joiners: bool = True) -> str | None:
    """The first character `value` must not hold, written "U+202E", or None.

    `joiners` keeps ZWNJ and ZWJ between two visible characters (names, titles).
    """
    for i, ch in enumerate(value):
        if unicodedata.category(ch) != "Cf":
            continue
        if (
            joiners
            and ch in JOINERS
            and 0 < i < len(value) - 1
            and _visible(value[i - 1])
            and _visible(value[i + 1])
        ):
            continue
        return f"U+{ord(ch):04X}"
    return None


def key(name: str) -> str:
    """What two display names must not share (see the module docstring)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    kept = "".join(
        ch for ch in folded if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )
    return " ".join(kept.split())
