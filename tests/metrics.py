"""Reading a `/metrics` scrape (Prometheus text format) in tests."""

from __future__ import annotations


def series(body: str, name: str, **labels: str) -> float | None:
    """The sum of the series named `name` whose labels include `labels`; None when the
    scrape has no such series."""
    total, found = 0.0, False
    for line in body.splitlines():
        if not line.startswith(name + "{"):
            continue
        key, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in key for k, v in labels.items()):
            total, found = total + float(value), True
    return total if found else None
