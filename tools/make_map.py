"""Write web/map/world.json: the world's country shapes as SVG path data, run once.

Source: Natural Earth 1:110m (public domain) as packaged in the npm `world-atlas` 2.x
(`countries-110m.json`, TopoJSON). Fetch it without npm's help if need be:

    npm pack world-atlas && tar xzf world-atlas-*.tgz   # package/countries-110m.json
    pip install -e ".[map]"                              # pycountry, this script only
    python tools/make_map.py package/countries-110m.json

The map is drawn on the server (web/pages/world_map.py), so the shapes are projected here, once:
Equal Earth (Šavrič, Patterson and Jenny 2018), an equal-area projection, so no country
looks bigger than it is. Coordinates are rounded to a tenth of a unit in a 1000-unit-wide
box and written as relative moves: the file stays far under the 100 KB gzip budget the
page has (tests/web/test_map.py checks it).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "web" / "map" / "world.json"
WIDTH = 1000.0  # viewBox units across
PRECISION = 1  # decimals kept: a tenth of a unit is ~0.04° of longitude at the equator
# TopoJSON features Natural Earth gives no ISO number; Kosovo uses the user-assigned XK.
# Northern Cyprus and Somaliland are drawn without a link (no ISO code of their own).
NAMELESS = {"Kosovo": "XK"}
LEFT_OUT = {"AQ"}  # Antarctica: half the map's height for no country of the forum

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, -y  # SVG's y grows downwards


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute longitude/latitude points of each arc (quantized, delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]  # a negative index is the arc reversed
        points.extend(arc[1:] if points else arc)  # arcs share their end points
    return points


def split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring as it is, or, if it crosses the 180th meridian (Russia's east, Fiji), its two
    halves: world-atlas leaves such rings whole for spherical renderers, which a flat
    projection would draw as a band across the map."""
    if not any(abs(b[0] - a[0]) > 180 for a, b in itertools.pairwise(points)):
        return [points]
    east = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]
    west = [(lon - 360 if lon > 0 else lon, lat) for lon, lat in points]
    halves = [_clip(east, lambda lon: lon <= 180, 180), _clip(west, lambda lon: lon >= -180, -180)]
    return [h for h in halves if len(h) >= 4]


def _clip(points: list[tuple[float, float]], inside, edge: float) -> list[tuple[float, float]]:
    """The part of a closed ring on one side of the meridian `edge` (Sutherland-Hodgman)."""
    kept: list[tuple[float, float]] = []
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        if inside(x1):
            kept.append((x1, y1))
        if inside(x1) != inside(x2):
            kept.append((edge, y1 + (y2 - y1) * (edge - x1) / (x2 - x1)))
    return kept + kept[:1]


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def alpha2(geometry: dict) -> str | None:
    number = geometry.get("id")
    if number is None:
        return NAMELESS.get(geometry["properties"]["name"])
    found = pycountry.countries.get(numeric=number)
    return found.alpha_2 if found else None


def path_data(rings: list[list[tuple[float, float]]], scale: float, x0: float, y0: float) -> str:
    """Relative SVG path data: `M x y l dx dy …z` per ring, repeated points dropped."""
    parts = []
    q = 10**PRECISION
    for points in rings:
        grid = [(round((x - x0) * scale * q), round((y - y0) * scale * q)) for x, y in points]
        kept = [grid[0]] + [p for prev, p in itertools.pairwise(grid) if p != prev]
        if len(kept) < 4:  # smaller than a tenth of a unit: invisible at this scale
            continue
        (x, y), moves = kept[0], []
        for px, py in kept[1:-1]:  # the last point repeats the first: `z` closes it
            moves.append(f"{_num(px - x, q)} {_num(py - y, q)}")
            x, y = px, py
        parts.append(f"M{_num(kept[0][0], q)} {_num(kept[0][1], q)}l" + " ".join(moves) + "z")
    return "".join(parts).replace(" -", "-")


def _num(value: int, q: int) -> str:
    text = f"{value / q:.{PRECISION}f}".rstrip("0").rstrip(".")
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = alpha2(geometry)
        if code is None or code in LEFT_OUT:
            continue
        rings = [
            [equal_earth(lon, lat) for lon, lat in half]
            for polygon in polygons(geometry)
            for r in polygon
            for half in split_at_antimeridian(ring(arcs, r))
        ]
        shapes.setdefault(code, []).extend(rings)
    xs = [x for rings in shapes.values() for r in rings for x, _ in r]
    ys = [y for rings in shapes.values() for r in rings for _, y in r]
    x0, y0 = min(xs), min(ys)
    scale = WIDTH / (max(xs) - x0)
    countries = {}
    for code, rings in sorted(shapes.items()):
        box = [
            round((min(x for r in rings for x, _ in r) - x0) * scale, 1),
            round((min(y for r in rings for _, y in r) - y0) * scale, 1),
            round((max(x for r in rings for x, _ in r) - x0) * scale, 1),
            round((max(y for r in rings for _, y in r) - y0) * scale, 1),
        ]
        countries[code] = {"d": path_data(rings, scale, x0, y0), "box": box}
    world = {
        "source": "Natural Earth 1:110m via world-atlas 2.0.2 (public domain)",
        "projection": "Equal Earth",
        "width": WIDTH,
        "height": round((max(ys) - y0) * scale, 1),
        "countries": countries,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(world, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(countries)} countries, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "package/countries-110m.json")
