#!/usr/bin/env python3
"""Build the embedded territorial-waters layer (``data/boundaries/waters.parquet``).

Usage::

    python scripts/build_waters.py [--cache DIR] [--out data/boundaries]

Input: npm ``@geo-maps/countries-maritime-10m`` 0.6.0 (OpenStreetMap maritime borders: each
country's land plus its territorial sea; data ODbL 1.0, package code MIT), fetched with
``npm pack`` into the cache and hashed. Each country's polygon is simplified by
``TOLERANCE_DEG``; overlaps are resolved with the same rules as the land layer
(``scripts/build_boundaries.py``): the disputed table gives Crimea's and Sevastopol's waters to
Ukraine, other overlaps go to the smaller unit. The layer is used only for points at sea.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_boundaries as bb  # noqa: E402

from geoverify.io.boundaries import read_layer, write_layer  # noqa: E402

PACKAGE = ("@geo-maps/countries-maritime-10m", "0.6.0")
TOLERANCE_DEG = 0.003
#: Stated accuracy of the territorial-sea lines (metres): the simplification plus OSM's error.
ACCURACY_M = 400.0


def main(argv: list[str] | None = None) -> int:
    import pycountry

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=ROOT / ".build-cache")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries")
    args = ap.parse_args(argv)

    tgz = bb.fetch_package(args.cache, *PACKAGE)
    doc = bb.read_json_member(tgz, "package/map.geo.json")
    countries = {}
    a3_to_a2 = {}
    for f in doc["features"]:
        a3 = f["properties"]["A3"]
        geom = shapely.make_valid(shape(f["geometry"]))
        geom = shapely.simplify(geom, TOLERANCE_DEG, preserve_topology=True)
        countries[a3] = bb.polygonal(shapely.make_valid(geom))
        a3_to_a2[a3] = "XK" if a3 == "XKX" else pycountry.countries.get(alpha_3=a3).alpha_2
    units = read_layer(args.out / "units.parquet")
    disputed = bb.read_disputed(args.out / "disputed.csv")
    bb.log("resolving overlaps")
    overlaps = bb.resolve_overlaps(countries, a3_to_a2, disputed, units)
    rows = [{"code": a3_to_a2[a3], "geometry": g} for a3, g in sorted(countries.items())
            if not g.is_empty]
    waters = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    waters["geometry"] = shapely.set_precision(waters.geometry.values, bb.GRID_DEG)
    path = args.out / "waters.parquet"
    write_layer(waters, path)
    bb.log("wrote", path, path.stat().st_size // 1024, "KiB",
           int(shapely.get_num_coordinates(waters.geometry.values).sum()), "vertices")

    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["inputs"] = [i for i in manifest["inputs"] if i.get("package") != f"npm:{PACKAGE[0]}"]
    manifest["inputs"].append({
        "package": f"npm:{PACKAGE[0]}", "version": PACKAGE[1], "file": tgz.name,
        "sha256": bb.sha256_file(tgz), "data_licence": "ODbL-1.0", "code_licence": "MIT",
        "attribution": "© OpenStreetMap contributors (ODbL 1.0), via "
                       "@geo-maps/countries-maritime-10m by Simone Primarosa",
        "used_for": "waters.parquet (scripts/build_waters.py)"})
    manifest["accuracy_m"]["territorial_waters"] = ACCURACY_M
    manifest["parameters"]["waters_tolerance_deg"] = TOLERANCE_DEG
    manifest["waters_overlaps_resolved"] = overlaps
    manifest["layers"]["waters.parquet"] = {"sha256": bb.sha256_file(path), "features": len(waters)}
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    bb.log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
