"""Rows: revisions."""

from __future__ import annotations

from tests.web.matrix.harness import Row

ROWS: list[Row] = []
