"""The language a post is written in: the author's choice, else detected, else unknown
(the author's interface language then stands in, in SQL: `insert_post`).

Search stems the languages in `STEMMED` (migration 0002 maps each to its PostgreSQL
configuration, `forum_ts_config`); every other language is indexed word for word.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

STEMMED = frozenset({"en", "fr", "es", "pt", "ru", "ar", "id"})

# Written right to left: Arabic, Hebrew, Persian, Urdu. The one list; pages give it to
# the script too, so a post added live is laid out as a reloaded one.
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur"})

# What the forms offer for a post's language (ISO 639-1): the forum's regions' languages.
# The API takes any code; detection may find others.
OFFERED = frozenset(
    {"ar", "bg", "bs", "el", "en", "es", "fa", "fr", "he", "hr", "id", "mk", "ms", "pt", "ro",
     "ru", "sq", "sr", "sw", "th", "tl", "tr", "uk", "ur", "vi", "zh"}
)  # fmt: skip

# Below this, detection guesses: a short reply ("Merci !", "+1") says too little.
_MIN_LETTERS = 24
_MIN_CONFIDENCE = 0.8


@cache
def prepare() -> LanguageIdentifier:
    """Load the detection model: most of a second, once per process; apps call this at
    start (in a thread) so no request waits for it."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when unsure."""
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return None
    code, confidence = prepare().classify(text)
    return str(code) if confidence >= _MIN_CONFIDENCE else None


def of_post(chosen: str | None, body: str) -> str | None:
    return chosen or detect(body)


def direction(code: str | None) -> str:
    """The `dir` of text in this language: "rtl" or "ltr"."""
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"
