"""Federated search as the fake Meilisearch answers it: filters (Meilisearch's syntax),
every query word present (the last one as a prefix), hits ranked by the first searchable
attribute that matches, `_formatted` with highlight and crop, facets per index or merged.
No typo tolerance or language processing: tests that need those run against a real server.
"""

from __future__ import annotations

import re
from typing import Any

from tests.search import fake_meili_filter

_WORDS = re.compile(r"\w+")


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _terms(text: str) -> list[str]:
    return [w.casefold() for w in _WORDS.findall(text)]


def _matches(word: str, terms: list[str]) -> bool:
    w = word.casefold()
    return w in terms[:-1] or w == terms[-1] or w.startswith(terms[-1])


def _rank(doc: dict[str, Any], terms: list[str], searchable: list[str]) -> int | None:
    """The position of the first searchable attribute holding a query word, if the document
    holds every word (the last one may be a prefix)."""
    if not terms:
        return 0
    attributes = [a for a in doc if a != "id"] if searchable == ["*"] else searchable
    texts = [(i, str(doc[a])) for i, a in enumerate(attributes) if doc.get(a) is not None]
    words = {w.casefold() for _, text in texts for w in _WORDS.findall(text)}
    if not all(t in words for t in terms[:-1]):
        return None
    if not any(w == terms[-1] or w.startswith(terms[-1]) for w in words):
        return None
    return min(i for i, text in texts if any(_matches(w, terms) for w in _WORDS.findall(text)))


def _crop(text: str, length: int, marker: str, terms: list[str]) -> str:
    words = text.split()
    if len(words) <= length:
        return text
    first = next((i for i, w in enumerate(words) if terms and _WORDS.search(w)
                  and any(_matches(x, terms) for x in _WORDS.findall(w))), 0)  # fmt: skip
    start = max(0, min(first - length // 2, len(words) - length))
    cropped = " ".join(words[start : start + length])
    return (marker if start else "") + cropped + (marker if start + length < len(words) else "")


def _highlight(text: str, terms: list[str], pre: str, post: str) -> str:
    if not terms:
        return text
    return _WORDS.sub(lambda m: pre + m.group() + post if _matches(m.group(), terms) else m.group(),
                      text)  # fmt: skip


def _hit(doc: dict[str, Any], query: dict[str, Any], terms: list[str]) -> dict[str, Any]:
    retrieve = query.get("attributesToRetrieve") or ["*"]
    shown = {k: v for k, v in doc.items() if "*" in retrieve or k in retrieve}
    hit = dict(shown)
    highlight = set(query.get("attributesToHighlight") or [])
    crop = set(query.get("attributesToCrop") or [])
    if highlight or crop:
        formatted = dict(shown)
        for attribute in sorted(highlight | crop):
            value = doc.get(attribute)
            if not isinstance(value, str):
                continue
            if attribute in crop:
                marker = query.get("cropMarker") or "…"
                value = _crop(value, query.get("cropLength") or 10, marker, terms)
            if attribute in highlight:
                pre = query.get("highlightPreTag") or "<em>"
                value = _highlight(value, terms, pre, query.get("highlightPostTag") or "</em>")
            formatted[attribute] = value
        hit["_formatted"] = formatted
    return hit


def federated(indexes: dict[str, Any], queries: list[dict[str, Any]], federation: dict[str, Any]):
    facets_by_index: dict[str, list[str]] = federation.get("facetsByIndex") or {}
    ranked: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    distributions: dict[str, dict[str, dict[str, int]]] = {}
    total = 0
    for position, query in enumerate(queries):
        index = indexes[query["indexUid"]]
        settings = index.settings
        filterable = set(settings["filterableAttributes"])
        predicate = fake_meili_filter.parse(query.get("filter"), filterable)
        terms = _terms(query.get("q") or "")
        matched = []
        for n, doc in enumerate(index.documents.values()):
            rank = _rank(doc, terms, settings["searchableAttributes"]) if predicate(doc) else None
            if rank is not None:
                matched.append(((rank, position, n), doc))
        total += min(len(matched), settings["pagination"]["maxTotalHits"])
        for order, doc in matched:
            hit = _hit(doc, query, terms)
            hit["_federation"] = {"indexUid": index.uid, "queriesPosition": position,
                                  "weightedRankingScore": 1 / (1 + order[0])}  # fmt: skip
            ranked.append((order, hit))
        if index.uid in facets_by_index:
            distribution: dict[str, dict[str, int]] = {}
            for facet in facets_by_index[index.uid]:
                if facet not in filterable:
                    raise Refused("invalid_multi_search_facets", f"`{facet}` is not filterable")
                counts = distribution.setdefault(facet, {})
                for _, doc in matched:
                    values = doc.get(facet)
                    for value in values if isinstance(values, list) else [values]:
                        if value is not None:
                            counts[str(value)] = counts.get(str(value), 0) + 1
            distributions[index.uid] = distribution
    ranked.sort(key=lambda pair: pair[0])
    offset, limit = federation.get("offset", 0), federation.get("limit", 20)
    result: dict[str, Any] = {
        "hits": [hit for _, hit in ranked[offset : offset + limit]],
        "processingTimeMs": 0,
        "limit": limit,
        "offset": offset,
        "estimatedTotalHits": total,
    }
    merge = federation.get("mergeFacets")
    if merge is not None and distributions:
        merged: dict[str, dict[str, int]] = {}
        for distribution in distributions.values():
            for facet, counts in distribution.items():
                into = merged.setdefault(facet, {})
                for value, count in counts.items():
                    into[value] = into.get(value, 0) + count
        cap = merge.get("maxValuesPerFacet") or 100
        result["facetDistribution"] = {
            facet: dict(sorted(counts.items())[:cap]) for facet, counts in merged.items()
        }
        result["facetStats"] = {}
    elif distributions:
        result["facetsByIndex"] = {
            uid: {"distribution": d, "stats": {}} for uid, d in distributions.items()
        }
    return result
