"""The world map's shapes (`world.json`, written once by tools/make_map.py) and what a page
needs to draw them: which countries are links, their class, the part of the map to show.

The page says what each country is (`categories: {code: key}`) and what the keys mean
(`legend: [(key, label)]`); this module turns that into shapes, so colouring by another
thing (a UNCAC review stage, say) changes the handler only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

WORLD = Path(__file__).parent / "world.json"
SHADES = 8  # classes cat-0 … cat-7 in forum.css; the legend's keys take them in turn
MARGIN = 12.0  # viewBox units around a cropped view


@dataclass(frozen=True)
class Shape:
    code: str
    d: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class World:
    width: float
    height: float
    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Drawn:
    shape: Shape
    shade: str | None  # "cat-N", or None: drawn as plain land, no link, no name
    name: str | None


@functools.cache
def world() -> World:
    """Read once per process, on the first page that draws the map (about 75 KB)."""
    raw = json.loads(WORLD.read_text())
    shapes = tuple(
        Shape(code, found["d"], tuple(found["box"])) for code, found in raw["countries"].items()
    )
    return World(raw["width"], raw["height"], shapes)  # type: ignore[arg-type]


def shades(legend: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {key: f"cat-{i % SHADES}" for i, (key, _label) in enumerate(legend)}


def draw(
    categories: Mapping[str, str], legend: list[tuple[str, str]], names: Mapping[str, str]
) -> list[Drawn]:
    """Every shape, those with a category first named and shaded, the rest plain land.
    A country the reader may not see has no category: it is drawn as if the forum did not
    know it."""
    shade = shades(legend)
    drawn = []
    for shape in world().shapes:
        key = categories.get(shape.code)
        if key is None or key not in shade:
            drawn.append(Drawn(shape, None, None))
        else:
            drawn.append(Drawn(shape, shade[key], names.get(shape.code, shape.code)))
    return drawn


def view_box(codes: Iterable[str] | None = None) -> str:
    """The whole world, or the box around the shapes of `codes` (the whole world if none of
    them is on the map, as with small islands the 1:110m data leaves out)."""
    found = world()
    wanted = set(codes) if codes is not None else None
    boxes = [s.box for s in found.shapes if wanted is None or s.code in wanted]
    if wanted is None or not boxes:
        return f"0 0 {found.width:g} {found.height:g}"
    x0 = max(min(b[0] for b in boxes) - MARGIN, 0.0)
    y0 = max(min(b[1] for b in boxes) - MARGIN, 0.0)
    x1 = min(max(b[2] for b in boxes) + MARGIN, found.width)
    y1 = min(max(b[3] for b in boxes) + MARGIN, found.height)
    return f"{x0:g} {y0:g} {x1 - x0:g} {y1 - y0:g}"
