"""Adapters: known export shapes mapped onto geoverify's columns.

An adapter looks at a :class:`~geoverify.io.claims.RawTable` as read and adds our column
names (``id``, ``clip``, ``frame``, ``date``, ``lat``/``lon`` or ``coordinates``,
``claimed``, ``source``, plus a few descriptive ones) **in front of** the original columns,
which are all kept. An original column whose name geoverify would otherwise read as one of
its roles (``location`` as coordinates, ``timestamp`` as a frame time, ``date``...) is
renamed ``<schema>:<name>`` so that only the adapter's columns carry roles; its values stay.
Roles an adapter does not map are passed through from the original columns unless the
adapter knows that column means something else in that export.

Adapters (``read_table(..., schema=...)``; sniffed from the columns when ``schema`` is not
given, except for a file that already has a ``claimed`` column; ``schema="none"`` to turn
sniffing off):

``geoconfirmed``
    GeoConfirmed KML/KMZ. The placemark name starts with the date (``22 MAY 2023 - Strike
    on ...``, ``2023-05-22 ...``, ``22.05.2023 ...``) -> ``date`` (ISO) and ``title``; the
    description's links -> ``source`` (first source link), ``sources`` (all of them) and
    ``geolocation_links`` (links after a "Geolocation" label); the folder -> ``category``;
    ``clip`` = the placemark name. No claim.
``cir``
    Centre for Information Resilience / Eyes on Russia CSV or GeoJSON, with ``country``,
    ``province`` (or ``oblast``), ``district`` and ``town`` (or ``city``) columns:
    ``claimed`` = ``province, country`` (the claim at region level, e.g. ``Donetsk,
    Ukraine``), ``place`` = every level, most specific first (``Bakhmut, Bakhmutskyi,
    Donetsk, Ukraine``); ``source`` = the ``url``/``link``/``source``; ``clip`` = that link
    (else the id); ``date`` ISO (``dd/mm/yyyy`` read day first).
``timemap``
    Bellingcat TimeMap events (JSON): ``date`` (``mm/dd/yyyy`` read month first, the
    TimeMap convention) -> ISO ``date``; ``latitude``/``longitude`` -> ``lat``/``lon``;
    ``location`` -> ``coordinates`` when it is a coordinate, else ``place`` and ``claimed``;
    ``sources`` (ids, URLs or objects, ids looked up in a top-level ``sources`` member) ->
    ``source`` (first URL) and ``sources``; ``clip`` = ``id``. ``time`` is the time of day
    of the event, not a frame time.
``acled``
    ACLED-style CSV: ``claimed`` = ``admin1, country``; ``event_date`` -> ISO ``date``;
    ``latitude``/``longitude``; ``source``; ``id`` and ``clip`` = ``event_id_cnty``;
    ``place`` = ``location, admin2, admin1, country``. ``location`` (a place name) and
    ``timestamp`` (when ACLED last changed the row) keep no role.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from geoverify.errors import ClaimsFileError, ConfigError
from geoverify.io.columns import ALIASES, column_key, map_columns
from geoverify.io.table import RawTable

#: Values of ``schema=`` that turn adapters off.
NO_SCHEMA = ("none", "raw", "plain")

_ALIAS_KEYS = {a for names in ALIASES.values() for a in names}
#: Our column name for each role (its normalised form is one of the role's aliases).
_ROLE_COLUMN = {role: role for role in ALIASES}


@dataclass(frozen=True)
class Adapter:
    """One export shape: how to recognise it and how to map it."""

    name: str
    title: str
    detect: Callable[[RawTable], bool]
    build: Callable[[RawTable], dict[str, list[str]]]
    required: tuple[tuple[str, ...], ...] = ()
    blocked: frozenset[str] = field(default_factory=frozenset)


# ---------------------------------------------------------------------------
# helpers


def _find(table: RawTable, *names: str) -> str | None:
    """The original column whose normalised name is one of ``names`` (in that order)."""
    keys = {column_key(c): c for c in reversed(list(table.data.columns))}
    for n in names:
        if column_key(n) in keys:
            return keys[column_key(n)]
    return None


def _values(table: RawTable, *names: str) -> list[str]:
    col = _find(table, *names)
    n = len(table.data)
    if col is None:
        return [""] * n
    return ["" if v is None else str(v).strip() for v in table.data[col].tolist()]


def _join(*parts: str, sep: str = ", ") -> str:
    out: list[str] = []
    for p in parts:
        p = (p or "").strip()
        if p and p not in out:
            out.append(p)
    return sep.join(out)


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_DMY_NAME_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-./]*([A-Za-z]{3,9})\.?[\s\-./,]*(\d{4})(?!\d)")
_MDY_NAME_RE = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_NUMERIC_RE = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})(?!\d)")


def _date(y: int, m: int, d: int) -> str | None:
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _month(word: str) -> int | None:
    w = word.lower().rstrip(".")
    for i, full in enumerate(_MONTH_NAMES, 1):
        if w in (full, full[:3]) or (i == 9 and w == "sept"):
            return i
    return None


def leading_date(text: str, *, order: str = "dmy") -> tuple[str | None, str]:
    """``(ISO date, rest)`` for text that starts with a date; ``(None, text)`` otherwise.

    Reads ``2023-05-22``, ``22 MAY 2023``, ``22-May-2023``, ``May 22, 2023``,
    ``22.05.2023`` and ``22/05/2023`` (``05/22/2023`` with ``order="mdy"``; a part above
    12 decides either way).
    """
    s = text.lstrip()
    for rx, kind in ((_ISO_RE, "iso"), (_DMY_NAME_RE, "dmy-name"), (_MDY_NAME_RE, "mdy-name"),
                     (_NUMERIC_RE, "numeric")):
        m = rx.match(s)
        if not m:
            continue
        iso = None
        if kind == "iso":
            iso = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif kind == "dmy-name":
            month = _month(m.group(2))
            iso = _date(int(m.group(3)), month, int(m.group(1))) if month else None
        elif kind == "mdy-name":
            month = _month(m.group(1))
            iso = _date(int(m.group(3)), month, int(m.group(2))) if month else None
        else:
            a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
            if m.group(2) == "." or a > 12:
                day, month_n = a, b
            elif b > 12 or order == "mdy":
                day, month_n = b, a
            else:
                day, month_n = a, b
            iso = _date(y, month_n, day)
        if iso:
            rest = re.sub(r"^(?:T[\d:.]+Z?)?[\s\-\u2013\u2014:|,]*", "", s[m.end():])
            return iso, rest
    return None, text


def iso_date(text: str, *, order: str = "dmy") -> str:
    """The ISO date a text starts with, else the text unchanged."""
    iso, _rest = leading_date(text or "", order=order)
    return iso or (text or "")


_LINK_RE = re.compile(
    r"""href\s*=\s*["']([^"']+)["']"""
    r"""|(https?://[^\s<>"']+)"""
    r"""|\b(sources?|geolocations?|geolocated|geoloc|geo)\b\s*:?""",
    re.IGNORECASE)


def description_links(description: str) -> tuple[list[str], list[str]]:
    """``(source links, geolocation links)`` from a description (HTML or plain text).

    Links after a "Geolocation"/"Geo" label are geolocation links; all others (after a
    "Source" label or with no label) are source links. A link's text repeating its ``href``
    is counted once.
    """
    sources: list[str] = []
    geo: list[str] = []
    bucket = sources
    seen: set[str] = set()
    for m in _LINK_RE.finditer(description or ""):
        href, bare, label = m.groups()
        if label:
            bucket = geo if label.lower().startswith("geo") else sources
            continue
        url = html.unescape(href or bare).strip().rstrip(".,;)")
        if not url.lower().startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        bucket.append(url)
    return sources, geo


# ---------------------------------------------------------------------------
# the adapters


_DATE_IN_NAME = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[\s\-./]*[A-Za-z]{3,9}\.?[\s\-./,]*\d{4}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4})")


def _detect_geoconfirmed(t: RawTable) -> bool:
    if t.format not in ("kml", "kmz") or not len(t.data):
        return False
    marks = [str(t.meta.get("document") or "")]
    if "folder" in t.data.columns:
        marks += [str(v) for v in t.data["folder"].unique()[:50]]
    if any("geoconfirmed" in m.casefold() for m in marks):
        return True
    names = _values(t, "name")
    descs = _values(t, "description")
    dated = sum(1 for n in names if _DATE_IN_NAME.match(n) and leading_date(n)[0])
    linked = sum(1 for d in descs if "http" in d)
    return dated >= 0.5 * len(names) and linked >= 0.5 * len(descs)


def _build_geoconfirmed(t: RawTable) -> dict[str, list[str]]:
    names = _values(t, "name")
    out: dict[str, list[str]] = {"clip": names, "date": [], "title": [], "source": [],
                                 "sources": [], "geolocation_links": []}
    for name, desc in zip(names, _values(t, "description"), strict=True):
        iso, rest = leading_date(name)
        out["date"].append(iso or "")
        out["title"].append(rest if iso else name)
        src, geo = description_links(desc)
        out["source"].append(src[0] if src else "")
        out["sources"].append(" ".join(src))
        out["geolocation_links"].append(" ".join(geo))
    if "folder" in t.data.columns:
        out["category"] = _values(t, "folder")
    return out


_CIR_PROVINCE = ("province", "oblast", "region", "admin1", "state")
_CIR_DISTRICT = ("district", "raion", "rayon", "admin2")
_CIR_TOWN = ("town", "city", "settlement", "village", "locality", "place")


def _detect_cir(t: RawTable) -> bool:
    return (_find(t, "country") is not None and _find(t, "province", "oblast") is not None
            and _find(t, *_CIR_DISTRICT, *_CIR_TOWN) is not None)


def _build_cir(t: RawTable) -> dict[str, list[str]]:
    country = _values(t, "country")
    province = _values(t, *_CIR_PROVINCE)
    district = _values(t, *_CIR_DISTRICT)
    town = _values(t, *_CIR_TOWN)
    ids = _values(t, "id", "uid", "cir_id", "identifier")
    links = _values(t, "url", "source_url", "link", "source", "sourceurl", "video_url")
    out: dict[str, list[str]] = {
        "id": ids,
        "clip": [link or i for link, i in zip(links, ids, strict=True)],
        "date": [iso_date(d, order="dmy") for d in _values(t, "date", "date_of_event",
                                                           "event_date")],
        "claimed": [_join(p, c) for p, c in zip(province, country, strict=True)],
        "place": [_join(a, b, c, d) for a, b, c, d in zip(town, district, province, country,
                                                          strict=True)],
        "source": links,
    }
    lat, lon = _find(t, "latitude", "lat"), _find(t, "longitude", "lon", "lng", "long")
    if lat is not None and lon is not None:
        out["lat"], out["lon"] = _values(t, lat), _values(t, lon)
    return out


def _detect_acled(t: RawTable) -> bool:
    return all(_find(t, c) is not None for c in ("event_date", "admin1", "country",
                                                "latitude", "longitude"))


def _build_acled(t: RawTable) -> dict[str, list[str]]:
    ids = _values(t, "event_id_cnty", "event_id", "data_id", "id")
    return {
        "id": ids,
        "clip": ids,
        "date": [iso_date(d, order="dmy") for d in _values(t, "event_date")],
        "lat": _values(t, "latitude"),
        "lon": _values(t, "longitude"),
        "claimed": [_join(a, c) for a, c in zip(_values(t, "admin1"), _values(t, "country"),
                                                strict=True)],
        "place": [_join(*p) for p in zip(_values(t, "location"), _values(t, "admin3"),
                                         _values(t, "admin2"), _values(t, "admin1"),
                                         _values(t, "country"), strict=True)],
        "source": _values(t, "source"),
    }


def _detect_timemap(t: RawTable) -> bool:
    has_point = (_find(t, "latitude") is not None and _find(t, "longitude") is not None) or \
        _find(t, "location") is not None
    return (t.format in ("json", "jsonl", "geojson") and _find(t, "sources") is not None
            and _find(t, "date") is not None and has_point)


def _looks_like_coordinates(text: str) -> bool:
    if not re.search(r"\d", text):
        return False
    from geoverify.coords import parse_coordinates
    from geoverify.errors import CoordinateError

    try:
        parse_coordinates(text)
    except CoordinateError:
        return False
    return True


def _source_urls(value: str, lookup: dict) -> list[str]:
    """URLs from a TimeMap ``sources`` cell (JSON text of a list, or one string)."""
    try:
        items = json.loads(value) if value.startswith(("[", "{")) else [value]
    except ValueError:
        items = [value]
    if isinstance(items, dict):
        items = [items]
    urls: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, str) and item in lookup:
            item = lookup[item]
        if isinstance(item, dict):
            for key in ("url", "path", "paths", "link", "href", "src"):
                v = item.get(key)
                if isinstance(v, list):
                    urls += [str(x) for x in v if isinstance(x, str)]
                elif isinstance(v, str) and v:
                    urls.append(v)
        elif isinstance(item, str) and item:
            urls.append(item)
    return [u for u in dict.fromkeys(urls) if u.strip()]


def _build_timemap(t: RawTable) -> dict[str, list[str]]:
    lookup = (t.meta.get("members") or {}).get("sources") or {}
    if isinstance(lookup, list):
        lookup = {str(s.get("id")): s for s in lookup if isinstance(s, dict) and "id" in s}
    ids = _values(t, "id")
    locations = _values(t, "location")
    coordinates, places = [], []
    for loc in locations:
        if loc and _looks_like_coordinates(loc):
            coordinates.append(loc)
            places.append("")
        else:
            coordinates.append("")
            places.append(loc)
    all_urls = [_source_urls(v, lookup) if v else [] for v in _values(t, "sources")]
    links = [[u for u in urls if u.lower().startswith(("http://", "https://"))] or urls
             for urls in all_urls]
    out: dict[str, list[str]] = {
        "id": ids,
        "clip": ids,
        "date": [iso_date(d, order="mdy") for d in _values(t, "date")],
        "lat": _values(t, "latitude", "lat"),
        "lon": _values(t, "longitude", "lon", "lng"),
        "coordinates": coordinates,
        "claimed": places,
        "place": places,
        "source": [u[0] if u else "" for u in links],
        "sources": [" ".join(u) for u in all_urls],
    }
    return out


#: Adapters in the order they are tried when sniffing.
ADAPTERS: dict[str, Adapter] = {
    "acled": Adapter("acled", "ACLED-style events CSV", _detect_acled, _build_acled,
                     (("event_date",), ("admin1",), ("country",), ("latitude",),
                      ("longitude",)), frozenset({"frame", "coordinates"})),
    "cir": Adapter("cir", "CIR / Eyes on Russia", _detect_cir, _build_cir,
                   (("country",), _CIR_PROVINCE)),
    "timemap": Adapter("timemap", "Bellingcat TimeMap events", _detect_timemap, _build_timemap,
                       (("date",), ("sources",)), frozenset({"frame", "coordinates"})),
    "geoconfirmed": Adapter("geoconfirmed", "GeoConfirmed KML", _detect_geoconfirmed,
                            _build_geoconfirmed, (("name",), ("description",))),
}

_SCHEMA_ALIASES = {"eyesonrussia": "cir", "eyes-on-russia": "cir", "bellingcat": "timemap",
                   "bellingcat-timemap": "timemap", "geo-confirmed": "geoconfirmed"}


def check_schema_name(schema: str) -> str:
    """The canonical adapter name for ``schema`` (or ``"none"``); :class:`ConfigError` if
    unknown."""
    s = str(schema).strip().lower()
    if s in NO_SCHEMA:
        return "none"
    s = _SCHEMA_ALIASES.get(s, s)
    if s not in ADAPTERS:
        raise ConfigError(
            f"schema={schema!r} is not known; use one of {', '.join(ADAPTERS)} or 'none'")
    return s


def sniff_schema(table: RawTable) -> str | None:
    """The first adapter whose shape the table has, or ``None``.

    A table that already has a claim column in geoverify's own vocabulary (``claimed``...) is
    taken to be in geoverify's shape and gets no adapter unless one is asked for.
    """
    if "claimed" in map_columns([str(c) for c in table.data.columns]):
        return None
    for name, adapter in ADAPTERS.items():
        if adapter.detect(table):
            return name
    return None


def apply_schema(table: RawTable, schema: str | None = None) -> RawTable:
    """Apply the adapter ``schema`` names (sniffed when ``None``; none for ``"none"``)."""
    if schema is None:
        name = sniff_schema(table)
        if name is None:
            return table
        sniffed = True
    else:
        name = check_schema_name(schema)
        if name == "none":
            return table
        sniffed = False
        adapter = ADAPTERS[name]
        missing = [" or ".join(alts) for alts in adapter.required
                   if _find(table, *alts) is None]
        if missing:
            raise ClaimsFileError(
                f"claims file {table.path}: schema {name!r} ({adapter.title}) needs the "
                f"column(s) {', '.join(missing)}, which the file does not have; its columns "
                f"are {', '.join(map(str, table.data.columns)) or 'none'}")
    return _apply(table, ADAPTERS[name], sniffed)


def _apply(table: RawTable, adapter: Adapter, sniffed: bool) -> RawTable:
    original = list(table.data.columns)
    mapped = adapter.build(table)
    # Pass through roles the adapter does not map, unless it knows they mean something else.
    mapped_roles = set(map_columns(list(mapped)))
    for role, col in map_columns(original).items():
        target = _ROLE_COLUMN[role]
        if role in mapped_roles or role in adapter.blocked or target in mapped:
            continue
        mapped[target] = ["" if v is None else str(v) for v in table.data[col].tolist()]
    # Drop mapped columns that came out empty for every row (keeps tables tidy).
    mapped = {k: v for k, v in mapped.items() if any(x for x in v) or k in ("clip", "claimed")}
    columns: dict[str, list[str]] = dict(mapped)
    renamed: dict[str, str] = {}
    for col in original:
        new = col
        if col in columns or column_key(col) in _ALIAS_KEYS:
            new = f"{adapter.name}:{col}"
            n = 2
            while new in columns:
                new, n = f"{adapter.name}:{col}_{n}", n + 1
            renamed[col] = new
        columns[new] = ["" if v is None else str(v) for v in table.data[col].tolist()]
    data = pd.DataFrame(columns, index=range(len(table.data)), dtype=object)
    if not len(table.data):
        data = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    numeric = {renamed.get(c, c) for c in table.numeric_columns}
    for col, values in mapped.items():  # a mapped column copied from a numeric one
        if any(values == columns[renamed.get(c, c)] for c in table.numeric_columns
               if renamed.get(c, c) in columns):
            numeric.add(col)
    out = RawTable(data, table.path, table.sha256, table.format, table.geometry,
                   dict(table.geometry_problems), table.crs, schema=adapter.name,
                   row_notes=dict(table.row_notes), meta=dict(table.meta),
                   numeric_columns=frozenset(numeric))
    out.meta["schema_sniffed"] = sniffed
    out.meta["renamed"] = renamed
    out.meta["column_sources"] = _column_sources(table, mapped, adapter)
    return out


#: What an adapter's derived columns are made of, for the report's ``input.columns``.
DERIVED = {
    "geoconfirmed": {"clip": "name", "date": "name (leading date)", "title": "name",
                     "source": "description (first source link)", "category": "folder"},
    "cir": {"claimed": "province, country", "place": "town, district, province, country",
            "clip": "url (else id)", "date": "date (day first)"},
    "timemap": {"date": "date (month first)", "claimed": "location (a place name)",
                "coordinates": "location (a coordinate)", "source": "sources (first URL)"},
    "acled": {"claimed": "admin1, country", "date": "event_date", "clip": "event_id_cnty",
              "place": "location, admin3, admin2, admin1, country"},
}


def _column_sources(table: RawTable, mapped: dict[str, list[str]], adapter: Adapter):
    """Each column the adapter made -> the original column it copies, else how it was made."""
    out: dict[str, str] = {}
    originals = {c: ["" if v is None else str(v).strip() for v in table.data[c].tolist()]
                 for c in table.data.columns}
    for col, values in mapped.items():
        same = next((c for c, v in originals.items() if v == values and any(values)), None)
        if same is not None:
            out[col] = str(same)
        elif col in DERIVED.get(adapter.name, {}):
            out[col] = f"{DERIVED[adapter.name][col]} ({adapter.name} adapter)"
    return out


__all__ = ["ADAPTERS", "Adapter", "apply_schema", "check_schema_name", "description_links",
           "iso_date", "leading_date", "sniff_schema"]
