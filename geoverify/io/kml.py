"""KML and KMZ: one row per Placemark, in document order.

Columns: ``name``, ``description`` (the text, HTML left as written), ``address``, ``when``
(``TimeStamp``), ``begin``/``end`` (``TimeSpan``) and ``style_url`` when any placemark has
them, every ``ExtendedData`` field (``Data``/``value`` and ``SchemaData``/``SimpleData``, in
order of first appearance; a field named like a built-in column gets a ``_2`` suffix), then
``folder``: the names of the enclosing ``Folder`` elements, outermost first, joined by
`` / ``. When the file is read without an adapter and no column is a clip column,
:func:`folder_as_clip` adds ``clip`` = ``folder``.

Geometry: a ``Point``'s ``coordinates`` ``lon,lat[,alt]`` (the text is kept). A placemark
without geometry keeps its row with no geometry; a ``LineString``, ``Polygon``... keeps its row
with a geometry problem. A ``MultiGeometry`` holding exactly one ``Point`` is that point.

Safety: elements nested more than :data:`~geoverify.io.limits.MAX_XML_DEPTH` levels deep
(256: Folders inside Folders...) are refused, so reading is linear in the file's size. XML is
parsed with :mod:`defusedxml`; a DTD that declares entities (the
"billion laughs" file) or refers to external entities is refused with
:class:`~geoverify.errors.ClaimsFileError` before anything is expanded or fetched. A KMZ is
read through :func:`read_zip_member`, which refuses members that decompress to more than
:data:`~geoverify.io.table.MAX_UNZIPPED_BYTES`.
"""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from geoverify.errors import ClaimsFileError
from geoverify.io import limits
from geoverify.io._zip import open_zip, read_zip_member
from geoverify.io.columns import map_columns
from geoverify.io.table import RawTable, records_table, short_text

#: Geometry elements a Placemark can hold (local names).
GEOMETRY_TAGS = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Model",
                 "Track", "MultiTrack")

_BUILTIN = ("name", "description", "address", "when", "begin", "end", "style_url")


def _local(tag: object) -> str:
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el: Element | None) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def parse_xml(data: bytes, name: str) -> Element:
    """Parse untrusted XML safely (no entity expansion, no external references)."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ClaimsFileError(
            f"claims file {name}: refused unsafe XML ({type(exc).__name__}): KML must not "
            "declare entities or refer to external files; export it again without a DTD") from exc
    except ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        where = f", line {line}, column {col}" if line else ""
        raise ClaimsFileError(f"claims file {name}{where}: not well-formed XML ({exc})") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ClaimsFileError(f"claims file {name}: cannot be parsed as XML ({exc})") from exc


def read_kml(data: bytes, name: str, digest: str, fmt: str = "kml") -> RawTable:
    """KML bytes -> :class:`RawTable` with one row per Placemark."""
    root = parse_xml(data, name)
    if _local(root.tag) != "kml" and _local(root.tag) not in ("Document", "Folder", "Placemark"):
        raise ClaimsFileError(
            f"claims file {name}: not KML (the root element is <{_local(root.tag)}>, not <kml>)")
    document = None
    records: list[dict[str, str]] = []
    geometry: list[tuple[float, float, str] | None] = []
    problems: dict[int, str] = {}
    extended_keys: list[str] = []
    has_links = False
    any_folder = False
    # Depth-first, document order, without recursion; nesting is capped, so the folder path
    # each element carries costs at most MAX_XML_DEPTH and the walk is linear in the file.
    cap = limits.MAX_XML_DEPTH
    stack: list[tuple[Element, tuple[str, ...], int]] = [(root, (), 1)]
    while stack:
        el, folders, depth = stack.pop()
        tag = _local(el.tag)
        if depth > cap:
            inside = f", {len(folders)} <Folder>s inside one another" if folders else ""
            raise ClaimsFileError(
                f"claims file {name}: XML elements nested more than {cap} levels deep{inside}; "
                "geoverify reads at most that (KML from Google Earth or GeoConfirmed nests a "
                "few levels)")
        if tag == "Placemark":
            rec, keys = _placemark(el)
            for k in keys:
                if k not in extended_keys:
                    extended_keys.append(k)
            if folders:
                any_folder = True
            rec["folder"] = " / ".join(folders)
            i = len(records)
            records.append(rec)
            g, problem = _geometry(el)
            geometry.append(g)
            if problem:
                problems[i] = problem
            continue
        if tag == "NetworkLink":
            has_links = True
        if tag == "Document" and document is None:
            document = _text(_child(el, "name"))
        inner = folders + ((_text(_child(el, "name")),) if tag == "Folder" else ())
        stack.extend((c, inner, depth + 1) for c in reversed(list(el)) if _local(c.tag))
    if not records and has_links:
        raise ClaimsFileError(
            f"claims file {name}: the KML holds no placemarks, only links to other files "
            "(NetworkLink); open the link in Google Earth and save the places it shows")
    present = [k for k in _BUILTIN if k in ("name", "description")
               or any(r.get(k) for r in records)]
    columns = present + _extended_names(extended_keys, present)
    if any_folder:
        columns.append("folder")
    rows = []
    for r in records:
        ext = r.pop("__extended__", {})
        row = {c: r.get(c, "") for c in present}
        for key, col in zip(extended_keys, columns[len(present):], strict=False):
            row[col] = ext.get(key, "")
        if any_folder:
            row["folder"] = r["folder"]
        rows.append(row)
    # KML coordinates are always WGS 84 longitude, latitude: nothing to transform.
    table = records_table(rows, name, digest, fmt, geometry, problems, None)
    if not rows:
        table.data = table.data.reindex(columns=columns)
    table.meta["document"] = document
    return table


def _extended_names(keys: list[str], taken: list[str]) -> list[str]:
    out, used = [], set(taken) | {"folder"}
    for k in keys:
        col, n = k, 2
        while col in used:
            col, n = f"{k}_{n}", n + 1
        used.add(col)
        out.append(col)
    return out


def _placemark(pm: Element) -> tuple[dict, list[str]]:
    rec: dict = {
        "name": _text(_child(pm, "name")),
        "description": _text(_child(pm, "description")),
        "address": _text(_child(pm, "address")),
        "style_url": _text(_child(pm, "styleUrl")),
    }
    ts, span = _child(pm, "TimeStamp"), _child(pm, "TimeSpan")
    rec["when"] = _text(_child(ts, "when")) if ts is not None else ""
    rec["begin"] = _text(_child(span, "begin")) if span is not None else ""
    rec["end"] = _text(_child(span, "end")) if span is not None else ""
    ext: dict[str, str] = {}
    keys: list[str] = []
    data = _child(pm, "ExtendedData")
    if data is not None:
        for el in data.iter():
            tag = _local(el.tag)
            if tag == "Data":
                key = el.get("name") or _text(_child(el, "displayName"))
                value = _text(_child(el, "value"))
            elif tag == "SimpleData":
                key = el.get("name") or ""
                value = _text(el)
            else:
                continue
            key = key.strip() or f"data_{len(keys) + 1}"
            if key not in ext:
                keys.append(key)
                ext[key] = value
    rec["__extended__"] = ext
    return rec, keys


def _geometry(pm: Element) -> tuple[tuple[float, float, str] | None, str | None]:
    geom = next((c for c in pm if _local(c.tag) in GEOMETRY_TAGS), None)
    if geom is None:
        return None, None
    tag = _local(geom.tag)
    if tag == "MultiGeometry":
        parts = [c for c in geom if _local(c.tag) in GEOMETRY_TAGS]
        if len(parts) == 1 and _local(parts[0].tag) == "Point":
            geom, tag = parts[0], "Point"
        else:
            kinds = ", ".join(sorted({_local(c.tag) for c in parts})) or "nothing"
            return ((math.nan, math.nan, short_text(_all_coordinates(geom))),
                    f"geometry is a MultiGeometry of {kinds}, not a Point")
    if tag != "Point":
        return ((math.nan, math.nan, short_text(f"{tag}: {_all_coordinates(geom)}")),
                f"geometry is a {tag}, not a Point")
    text = _text(_child(geom, "coordinates"))
    if not text:
        return None, None
    tuples = text.split()
    if len(tuples) != 1:
        return ((math.nan, math.nan, short_text(text)),
                f"Point has {len(tuples)} coordinate tuples; expected one 'lon,lat[,alt]'")
    parts = tuples[0].split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or not all(math.isfinite(v) for v in numbers):
        return ((math.nan, math.nan, text),
                f"Point coordinates {text!r} are not 'lon,lat[,alt]' numbers")
    return (numbers[0], numbers[1], text), None


def _all_coordinates(el: Element) -> str:
    return " ".join(_text(c) for c in el.iter() if _local(c.tag) == "coordinates")




# ---------------------------------------------------------------------------
# KMZ


def read_kmz(data: bytes, name: str, digest: str) -> RawTable:
    """KMZ bytes (a zip holding ``doc.kml`` or another ``.kml``) -> :class:`RawTable`."""
    with open_zip(data, name, "KMZ") as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        kmls = [i for i in infos if i.filename.lower().endswith(".kml")]
        if not kmls:
            listed = ", ".join(i.filename for i in infos[:10]) or "nothing"
            raise ClaimsFileError(f"claims file {name}: the KMZ holds no .kml file ({listed})")
        # doc.kml by convention; else the first .kml at the top level; else the first .kml
        chosen = (next((i for i in kmls if i.filename.lower() == "doc.kml"), None)
                  or next((i for i in kmls if "/" not in i.filename), None) or kmls[0])
        inner = read_zip_member(zf, chosen, name)
    table = read_kml(inner, name, digest, fmt="kmz")
    table.meta["member"] = chosen.filename
    return table


def folder_as_clip(table: RawTable) -> RawTable:
    """Add ``clip`` = ``folder`` (first) when no column already plays the clip role."""

    data = table.data
    if "folder" not in data.columns or "clip" in map_columns(list(data.columns)):
        return table
    if "clip" in data.columns:  # pragma: no cover - map_columns would have found it
        return table
    data = data.copy()
    data.insert(0, "clip", data["folder"])
    table.data = data
    table.meta["clip_from"] = "folder"
    return table


__all__ = ["folder_as_clip", "parse_xml", "read_kml", "read_kmz"]
