"""The embedded Belgorod example written in every format geoverify reads.

Shared by the reader tests and the end-to-end check tests (through fixtures in conftest.py);
files are written into a temporary directory, never committed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "examples" / "belgorod-2023.csv"
DATA = REPO / "tests" / "data"

#: Columns of the example other than the coordinates.
FIELDS = ("id", "clip", "frame", "claimed", "place", "note")

#: A Cyrillic column added to the encoding variants, to prove they decode.
CYRILLIC_COLUMN = "примечание"
CYRILLIC_VALUE = "Белгородская область, Грайворонский район"


def example_rows() -> list[dict[str, str]]:
    """The example as written, read with the standard library (not with geoverify)."""
    with open(EXAMPLE, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _csv_text(rows, columns, delimiter=",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
    return buf.getvalue()


def _with_cyrillic(rows):
    return [{**r, CYRILLIC_COLUMN: CYRILLIC_VALUE} for r in rows]


def located(r: dict[str, str]) -> bool:
    """Whether an example row has coordinates (the "unlocated" exercise row has none)."""
    return bool(r["lat"].strip() and r["lon"].strip())


def _coordinate_rows(rows, notation, digits):
    from geoverify.coords import format_coordinates

    return [{**r, "coordinates": format_coordinates(float(r["lon"]), float(r["lat"]), notation,
                                                     digits=digits) if located(r) else ""}
            for r in rows]


def _kml(rows) -> str:
    """One Folder per run of rows of the same clip (the folder name becomes the clip)."""
    folders: list[tuple[str, list[str]]] = []
    for r in rows:
        data = "".join(
            f'<Data name="{k}"><value>{escape(r[k])}</value></Data>'
            for k in ("id", "frame", "claimed", "place", "note"))
        point = (f"<Point><coordinates>{r['lon']},{r['lat']},0</coordinates></Point>"
                 if located(r) else "")
        mark = (f"<Placemark><name>{escape(r['id'])}</name>"
                f"<description>{escape(r['place'])}</description>"
                f"<ExtendedData>{data}</ExtendedData>{point}</Placemark>")
        if not folders or folders[-1][0] != r["clip"]:
            folders.append((r["clip"], []))
        folders[-1][1].append(mark)
    body = "".join(f"<Folder><name>{escape(clip)}</name>{''.join(marks)}</Folder>"
                   for clip, marks in folders)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Belgorod 2023</name>'
            f"{body}</Document></kml>\n")


def _geodataframe(rows, crs=4326):
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {k: [r[k] for r in rows] for k in FIELDS},
        geometry=[Point(float(r["lon"]), float(r["lat"])) if located(r) else None for r in rows],
        crs=4326)
    return gdf if crs == 4326 else gdf.to_crs(crs)


def build_variants(d: Path) -> dict[str, tuple[Path, float]]:
    """name -> (file, tolerance in metres) for the example in every format."""
    from pyproj import Transformer

    rows = example_rows()
    cols = list(rows[0])
    out: dict[str, tuple[Path, float]] = {}

    def put(name: str, filename: str, data: bytes | str, tol: float = 0.01) -> None:
        p = d / filename
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        out[name] = (p, tol)

    put("csv-utf8", "utf8.csv", EXAMPLE.read_bytes())
    cyr = _with_cyrillic(rows)
    cyr_cols = cols + [CYRILLIC_COLUMN]
    # What Russian-locale Excel writes for "CSV (разделители - точка с запятой)": cp1251, ";"
    # and decimal commas.
    excel = [{**r, "lat": r["lat"].replace(".", ","), "lon": r["lon"].replace(".", ",")}
             for r in cyr]
    put("csv-cp1251-excel", "cp1251.csv", _csv_text(excel, cyr_cols, ";").encode("cp1251"))
    put("csv-utf8-bom", "bom.csv", _csv_text(cyr, cyr_cols).encode("utf-8-sig"))
    put("tsv-utf16-le", "utf16le.txt",
        b"\xff\xfe" + _csv_text(cyr, cyr_cols, "\t").encode("utf-16-le"))
    put("csv-utf16-be", "utf16be.csv",
        b"\xfe\xff" + _csv_text(cyr, cyr_cols, "|").encode("utf-16-be"))

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Claims"
    ws.append(cols)
    for r in rows:
        h, m, s = (int(x) for x in r["frame"].split(":"))
        lat, lon = (float(r["lat"]), float(r["lon"])) if located(r) else (None, None)
        ws.append([r["id"], r["clip"], dt.time(h, m, s), lat, lon, r["claimed"] or None,
                   r["place"], r["note"]])
    wb.create_sheet("Notes").append(["nothing here"])
    p = d / "example.xlsx"
    wb.save(p)
    out["xlsx"] = (p, 0.01)

    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]}
                 if located(r) else None,
                 "properties": {k: r[k] for k in FIELDS}} for r in rows]
    put("geojson", "example.geojson", json.dumps({"type": "FeatureCollection",
                                                  "features": features}, ensure_ascii=False))
    merc = Transformer.from_crs(4326, 3857, always_xy=True)
    legacy = []
    for f in features:
        if f["geometry"] is None:
            legacy.append(f)
            continue
        x, y = merc.transform(*f["geometry"]["coordinates"])
        legacy.append({**f, "geometry": {"type": "Point", "coordinates": [x, y]}})
    put("geojson-legacy-crs-3857", "mercator.geojson", json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": legacy}))
    put("json-records", "records.json", json.dumps(rows, ensure_ascii=False))
    put("jsonl", "records.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))

    kml = _kml(rows)
    put("kml", "example.kml", kml)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml)
        zf.writestr("files/readme.txt", "icons would live here")
    put("kmz", "example.kmz", buf.getvalue())

    gdf = _geodataframe(rows)
    gdf.to_file(d / "example.gpkg", layer="claims")
    out["gpkg"] = (d / "example.gpkg", 0.01)
    _geodataframe(rows, 32636).to_file(d / "utm36n.gpkg", layer="claims")
    out["gpkg-utm36n"] = (d / "utm36n.gpkg", 0.01)
    gdf.to_parquet(d / "example.parquet")
    out["geoparquet"] = (d / "example.parquet", 0.01)
    _geodataframe(rows, 3857).to_parquet(d / "mercator.parquet")
    out["geoparquet-3857"] = (d / "mercator.parquet", 0.01)
    # A FlatGeobuf spatial index stores features in spatial (Hilbert) order; without one the
    # file keeps the order it was given, which is what row numbers are compared against.
    gdf.to_file(d / "example.fgb", driver="FlatGeobuf", SPATIAL_INDEX="NO")
    out["flatgeobuf"] = (d / "example.fgb", 0.01)

    coord_cols = [c for c in cols if c not in ("lat", "lon")] + ["coordinates"]
    for name, notation, digits, tol in (("google-maps-url", "google-maps-url", 6, 0.11),
                                        ("mgrs-10-digit", "mgrs", 5, 1.0),
                                        ("dms-0.1s", "dms", 1, 3.2)):
        put(name, f"{name}.csv", _csv_text(_coordinate_rows(rows, notation, digits), coord_cols),
            tol)
    return out


#: Every variant :func:`build_variants` writes.
VARIANTS = (
    "csv-utf8", "csv-cp1251-excel", "csv-utf8-bom", "tsv-utf16-le", "csv-utf16-be", "xlsx",
    "geojson", "geojson-legacy-crs-3857", "json-records", "jsonl", "kml", "kmz", "gpkg",
    "gpkg-utm36n", "geoparquet", "geoparquet-3857", "flatgeobuf", "google-maps-url",
    "mgrs-10-digit", "dms-0.1s",
)
