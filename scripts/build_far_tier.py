"""Build data/context/regions_far.parquet: every unit of the embedded boundary layer,
simplified as one coverage at the map's far-tier tolerance, for the evidence map.

The map draws regions beyond its mid zone at a tolerance of at least
``render._layers.FAR_TOLERANCE_DEG`` (more for wide extents). Simplifying the exact polygons of
the hundreds of regions a wide extent holds took 2-3 s of every such map; this file holds the
whole world's units simplified once, as one coverage (neighbours share their simplified
edges, no gaps), so a map takes its far tier from here and simplifies only these few vertices
further when its tolerance is larger. Derived from data/boundaries/units.parquet (ODbL, see its
manifest: the same licences and attribution); rows are the units in the same order, with their ``code`` and ``level`` so that a
reader can check it holds the set it is used with (the manifest records the sha256 of the
units file it was built from, and the map uses this file only for that file).

    python scripts/build_far_tier.py

Deterministic: the same units.parquet gives the same bytes. About 25 s.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    import geopandas as gpd
    import numpy as np
    import shapely

    from geoverify.boundaries.registry import load_embedded
    from geoverify.io.boundaries import read_layer, write_layer
    from geoverify.render._layers import FAR_TOLERANCE_DEG, _valid

    source = REPO / "data" / "boundaries" / "units.parquet"
    prov = next(p for p in load_embedded().provenance if p["name"] == "units")
    units = read_layer(source)
    exact = _valid(np.asarray(units.geometry.values, dtype=object))
    far = shapely.coverage_simplify(exact, FAR_TOLERANCE_DEG)
    out = gpd.GeoDataFrame({"code": units["code"].tolist(), "level": units["level"].tolist()},
                           geometry=list(far), crs="EPSG:4326")
    target = REPO / "data" / "context" / "regions_far.parquet"
    write_layer(out, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest_path = REPO / "data" / "context" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["regions_far"] = {
        "file": "regions_far.parquet",
        "sha256": digest,
        "rows": len(out),
        "vertices": int(np.sum(shapely.get_num_coordinates(far))),
        "columns": "code, level (as the units layer, same order), geometry (compact encoding, "
                   "EPSG:4326)",
        "generated_by": "scripts/build_far_tier.py",
        "input": {"file": "data/boundaries/units.parquet",
                  "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                  "data_licence": prov["licence"]},
        "parameters": {"coverage_simplify_deg": FAR_TOLERANCE_DEG},
        "attribution": prov["attribution"],
        "use": "display only: the map's far tier (regions beyond the mid zone), never for a "
               "verdict",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True)
                             + "\n")
    print(f"wrote {target} ({len(out)} units, sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
