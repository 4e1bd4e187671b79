"""Cross-region search: one backend interface, PostgreSQL full-text and Meilisearch backends.

Owns: the search documents built from core rows, the backends, and the Meilisearch indexer
that drains the event log (`forum.events.read`) with a stored cursor. Built in issue #4.
"""
