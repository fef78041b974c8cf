"""Exports of a check report for the tools researchers already use: KML and GeoPackage.

* :func:`to_kml` - one Placemark per located frame, in a Folder per clip,
  styled by verdict (colour and label), the evidence in the description
  (HTML, every value escaped, so Google Earth shows text, never markup from
  the claims file) and every frame field in ``ExtendedData``. A balloon style
  shows only the description. Opens in Google Earth; reads back with
  ``geoverify.read_claims`` (clip, frame and claim columns; verdict in extra).
* :func:`write_gpkg` - one ``frames`` layer with every frame field (the
  columns of ``--format csv``) and a point per located frame (EPSG:4326), and
  a ``clips`` table with the tallies. Opens in QGIS.

Both take the report dict (``CheckResult.to_dict()``), nothing else.
"""

from __future__ import annotations

import html
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from geoverify.errors import ClaimsFileError
from geoverify.io.writers import flat_frame

EXPORT_FORMATS = ("kml", "gpkg")

#: KML colours (aabbggrr) per verdict: the map's palette.
_VERDICT_RGB = {
    "match": "1a9850", "mismatch": "d73027", "ambiguous": "fdb863", "disputed": "c51b7d",
    "outside": "5e3c99", "unresolved": "8c8c8c", "unclaimed": "4393c3", "unlocated": "d9d9d9",
}
_ICON = "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
KML_NS = "http://www.opengis.net/kml/2.2"

#: ExtendedData fields of each Placemark (the coordinates are the Point).
KML_FIELDS = ("row", "id", "clip", "frame", "claimed", "verdict", "country_code", "country_name", "adm1_code",
              "adm1_name", "distance_to_border_m", "distance_to_region_border_m", "distance_to_claimed_m",
              "coordinates_text", "date", "source", "role", "finding_codes")


def _kml_colour(rgb: str) -> str:
    return "ff" + rgb[4:6] + rgb[2:4] + rgb[0:2]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def _metres(value: str) -> str:
    try:
        metres = float(value)
    except ValueError:
        return value
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.2f} km"


def _description(flat: dict[str, str], finding_messages: str) -> str:
    """The evidence as HTML; every value HTML-escaped (ElementTree then XML-escapes the whole)."""
    rows = [
        ("Verdict", flat["verdict"]),
        ("Clip", flat["clip"]),
        ("Frame", flat["frame"]),
        ("Claimed", flat["claimed"]),
        ("Claim read as", " ".join(x for x in (flat["claim_name"], f"({flat['claim_code']})" if flat["claim_code"]
                                               else "") if x)),
        ("Found country", " ".join(x for x in (flat["country_name"], f"({flat['country_code']})"
                                               if flat["country_code"] else "") if x)),
        ("Found region", " ".join(x for x in (flat["adm1_name"], f"({flat['adm1_code']})" if flat["adm1_code"]
                                              else "") if x)),
        ("To country border", _metres(flat["distance_to_border_m"]) if flat["distance_to_border_m"] else ""),
        ("To claimed place", _metres(flat["distance_to_claimed_m"]) if flat["distance_to_claimed_m"] else ""),
        ("Coordinates", f"{flat['lat']}, {flat['lon']}"),
        ("As given", flat["coordinates_text"]),
        ("Date", flat["date"]),
        ("Source", flat["source"]),
        ("Findings", finding_messages),
        ("Row", flat["row"]),
    ]
    cells = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows if v)
    return f"<table>{cells}</table>"


def to_kml(report: dict[str, Any]) -> str:
    """The located frames of ``report`` as a KML document (text)."""
    ET.register_namespace("", KML_NS)
    kml = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(kml, "Document")
    source = (report.get("input") or {}).get("path") or "claims"
    _sub(doc, "name", f"geoverify: {Path(str(source)).name}")
    _sub(doc, "description", f"Verdicts by geoverify {report.get('geoverify_version', '')}; input sha256 "
                             f"{(report.get('input') or {}).get('sha256', '')}")
    for verdict, rgb in _VERDICT_RGB.items():
        style = _sub(doc, "Style", id=f"verdict-{verdict}")
        icon_style = _sub(style, "IconStyle")
        _sub(icon_style, "color", _kml_colour(rgb))
        _sub(icon_style, "scale", "1.1")
        icon = _sub(icon_style, "Icon")
        _sub(icon, "href", _ICON)
        label = _sub(style, "LabelStyle")
        _sub(label, "color", _kml_colour(rgb))
        _sub(label, "scale", "0.8")
        balloon = _sub(style, "BalloonStyle")
        _sub(balloon, "text", "$[description]")
    folders: dict[str, ET.Element] = {}
    for frame in report.get("frames") or []:
        if frame.get("lat") is None or frame.get("lon") is None:
            continue
        flat = flat_frame(frame)
        clip = flat["clip"]
        if clip not in folders:
            folders[clip] = _sub(doc, "Folder")
            _sub(folders[clip], "name", clip or "(no clip)")
        pm = _sub(folders[clip], "Placemark")
        name = " ".join(x for x in (flat["frame"], flat["verdict"]) if x)
        _sub(pm, "name", name)
        _sub(pm, "description", _description(flat, flat.get("finding_messages", "")))
        verdict = flat["verdict"]
        _sub(pm, "styleUrl", f"#verdict-{verdict}" if verdict in _VERDICT_RGB else "#verdict-unresolved")
        extended = _sub(pm, "ExtendedData")
        for key in KML_FIELDS:
            data = _sub(extended, "Data", name=key)
            _sub(data, "value", flat.get(key, ""))
        point = _sub(pm, "Point")
        _sub(point, "coordinates", f"{flat['lon']},{flat['lat']}")
    ET.indent(kml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode") + "\n"


def write_gpkg(report: dict[str, Any], path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``report`` as a GeoPackage: layer ``frames`` (points, every field) and ``clips``.

    Written to a temporary file next to ``path`` and renamed, so a failed
    write leaves no half file. Raises :class:`ClaimsFileError` when ``path``
    exists and ``overwrite`` is false.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    target = Path(path)
    if target.exists() and not overwrite:
        raise ClaimsFileError(f"output {target} exists; pass --overwrite to replace it")
    frames = report.get("frames") or []
    rows = [flat_frame(f) for f in frames]
    table = pd.DataFrame(rows).fillna("") if rows else pd.DataFrame(columns=["row", "verdict"])
    for column in ("row",):
        if column in table:
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in ("lon", "lat", "distance_to_border_m", "distance_to_region_border_m", "distance_to_claimed_m",
                   "precision_m"):
        if column in table:
            table[column] = pd.to_numeric(table[column].replace("", None), errors="coerce")
    points = [shapely.Point(f["lon"], f["lat"]) if f.get("lat") is not None and f.get("lon") is not None
              else None for f in frames]
    gdf = gpd.GeoDataFrame(table, geometry=points, crs="EPSG:4326")
    clips = pd.DataFrame([
        {"clip": "" if c.get("clip") is None else str(c.get("clip")), "rows": c.get("rows"),
         "summary": c.get("summary") or "",
         **{f"verdict_{k}": v for k, v in (c.get("by_verdict") or {}).items()}}
        for c in report.get("clips") or []
    ])
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".gpkg", dir=target.parent or Path("."))
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        gdf.to_file(tmp, layer="frames", driver="GPKG")
        if len(clips):
            import pyogrio

            pyogrio.write_dataframe(clips, tmp, layer="clips", driver="GPKG", append=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
