"""What Meilisearch stores of a post and of everything searched beside posts (an
organisation, an experience, a news item, an event, a resource), and the index settings
(the same for every index) that make them searchable.

Meilisearch picks a tokenizer per attribute, not per document (`localizedAttributes`), so a
post's title and body go into attributes named for its language (`body_fra`); languages
without a mapping use plain `title` and `body` and Meilisearch detects the script itself.
"""

from __future__ import annotations

from typing import Any

from forum.documents import Document
from forum.knowledge_documents import KnowledgeDocument

# ISO 639-1, as posts carry it, to the ISO 639-3 locales Meilisearch takes.
LOCALES = {
    "en": "eng",
    "fr": "fra",
    "es": "spa",
    "pt": "por",
    "ru": "rus",
    "ar": "ara",
    "id": "ind",
}
_SUFFIXES = ("", *(f"_{locale}" for locale in LOCALES.values()))
TITLE_FIELDS = tuple(f"title{s}" for s in _SUFFIXES)
BODY_FIELDS = tuple(f"body{s}" for s in _SUFFIXES)

# What a hit needs to be shown; the body comes back cropped and marked in `_formatted`.
RETRIEVED = (
    "id",
    "kind",
    "thread_id",
    "position",
    "thread_title",
    "region",
    "topics",
    "countries",
    "author_id",
    "author_name",
    "created_at_iso",
    "language",
    "heading",
    "uncac_articles",
    "organisations",
    "organisation_name",
    "item_id",
    "ends_at_iso",
    "source",
    "url",
)

SETTINGS: dict[str, Any] = {
    # Attribute order is ranking order: a match in a title outranks one in a body.
    "searchableAttributes": [*TITLE_FIELDS, *BODY_FIELDS, "author_name"],
    "filterableAttributes": [
        "kind",
        "region",
        "topics",
        "countries",
        "uncac_articles",
        "author_id",
        "organisations",
        "created_at",
    ],
    "sortableAttributes": ["created_at"],
    "localizedAttributes": [
        {"attributePatterns": [f"title_{locale}", f"body_{locale}"], "locales": [locale]}
        for locale in LOCALES.values()
    ],
    "typoTolerance": {"enabled": True},
    "faceting": {"maxValuesPerFacet": 100},
    # Where counting stops: totals at this value are shown as "10,000+".
    "pagination": {"maxTotalHits": 10_000},
}

# Each facet of `search.backend.FACETS` and the attribute that counts it: lists, so that
# a document with several topics, countries or articles counts once under each.
FACET_ATTRIBUTES = {
    "region": "region",
    "topic": "topics",
    "kind": "kind",
    "country": "countries",
    "uncac": "uncac_articles",
}

# Lists Meilisearch may hand back in another order than they were written.
_UNORDERED = {"filterableAttributes", "sortableAttributes"}


def to_meili(doc: Document) -> dict[str, Any]:
    locale = LOCALES.get(doc.language)
    suffix = f"_{locale}" if locale else ""
    fields: dict[str, Any] = {
        "id": doc.id,
        "kind": doc.kind,
        "thread_id": doc.thread_id,
        "position": doc.position,
        "thread_title": doc.title,  # shown with every hit; searched on the opening post only
        f"body{suffix}": doc.body,
        "language": doc.language,
        "region": doc.region,
        "topics": [doc.topic],
        "countries": list(doc.countries),
        "author_id": doc.author_id,
        "author_name": doc.author_name,
        "organisations": list(doc.organisations),  # slugs, only where the author shows it
        # Filters compare numbers; the ISO text keeps the exact time for display.
        "created_at": int(doc.created_at.timestamp()),
        "created_at_iso": doc.created_at.isoformat(),
    }
    if doc.kind == "thread":
        # A reply is not found by its thread's title, as with the PostgreSQL backend.
        fields[f"title{suffix}"] = doc.title
    return fields


def knowledge_to_meili(doc: KnowledgeDocument) -> dict[str, Any]:
    """A document of `forum.knowledge_documents` in its kind's index, by the id of what it
    was built from (`KnowledgeDocument.key`): only what that module holds, so never an
    email or a phone, nor a proposal's text."""
    locale = LOCALES.get(doc.language)
    suffix = f"_{locale}" if locale else ""
    fields: dict[str, Any] = {
        "id": doc.key,
        "kind": doc.kind,
        "heading": doc.title,
        f"title{suffix}": doc.title,
        f"body{suffix}": doc.body,
        "language": doc.language,
        "topics": list(doc.topics),
        "countries": list(doc.countries),
        "uncac_articles": list(doc.uncac_articles),
        # The `org` filter matches the organisation itself and its experiences.
        "organisations": [doc.organisation] if doc.organisation else [],
        "organisation_name": doc.organisation_name,
        "item_id": doc.item_id,
        "ends_at_iso": doc.ends_at.isoformat() if doc.ends_at else None,
        "source": doc.source,
        "url": doc.url,
        "created_at": int(doc.created_at.timestamp()),
        "created_at_iso": doc.created_at.isoformat(),
    }
    # A resource has no region: no region filter matches it (`meili_filters.expression`).
    if doc.region is not None:
        fields["region"] = doc.region
    return fields


def settings_cover(current: Any, wanted: Any, key: str = "") -> bool:
    """Whether the settings Meilisearch reports already include everything we write
    (it reports more: defaults for what we leave alone)."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(
            settings_cover(current.get(k), v, k) for k, v in wanted.items()
        )
    if key in _UNORDERED and isinstance(current, list):
        return sorted(current) == sorted(wanted)
    return bool(current == wanted)
