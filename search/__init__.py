"""Cross-region search: one backend interface, PostgreSQL full-text and Meilisearch backends.

Owns: the backends and the Meilisearch indexer that drains the event log
(`forum.events.read`) with a stored cursor; the documents themselves are built by the
core that owns the posts (`forum.documents`).
"""
