"""Turn an untrusted coordinate string into a point, keeping the original text.

:func:`parse_coordinates` reads the notations people paste when they geolocate
footage and returns a :class:`Coordinate`; :func:`format_coordinates` writes a
point back out in most of those notations.

Conventions
-----------
* Points are ``(lon, lat)`` = ``(x, y)`` in code. Free text, however, is read
  as *latitude, longitude* (what people paste), unless hemisphere letters
  (``N``/``S``/``E``/``W`` or their Russian/Ukrainian forms) or labels
  (``lat``/``lon``) say otherwise. Plain decimal text whose first number cannot
  be a latitude (``|first| > 90``) while the second can is read as
  *longitude, latitude* with a ``possibly-swapped`` warning.
* Every pyproj :class:`~pyproj.Transformer` is built with ``always_xy=True``.
* Nothing is ever fetched. Short links (``maps.app.goo.gl/...``,
  ``goo.gl/maps/...``, ``yandex.ru/maps/-/...``) are refused with a message
  asking for the expanded URL or the coordinates.
* Every failure raises :class:`~geoverify.errors.CoordinateError` with code
  ``out-of-range`` (the text is a coordinate, but an impossible one: latitude
  beyond 90 degrees, minutes of 60 or more, an MGRS square that is not in its
  latitude band...) or ``unparseable-coordinates`` (anything else). No other
  exception type escapes :func:`parse_coordinates`, whatever the input. Input
  longer than :data:`MAX_INPUT_LENGTH` characters is refused before any
  pattern runs, and every pattern is linear in its input.

Notations read
--------------
``decimal``
    ``50.43005, 35.59057``, ``50.43005 35.59057``, ``(50.43, 35.59)``,
    ``[50.43, 35.59]``, decimal commas (``50,43005; 35,59057``,
    ``50,43005 35,59057``), optional degree signs and ``lat``/``lon`` labels.
``decimal-hemisphere``
    ``50.43005N 35.59057E``, ``N50.43 E35.59``, ``35.59E 50.43N``; ``S`` and
    ``W`` give negative values; letters fix the order wherever they stand.
``dms`` / ``ddm``
    Degrees-minutes-seconds and degrees-decimal-minutes with ASCII or
    typographic marks (``' " ′ ″ ’ ”`` and doubled ``''``), or bare numbers
    (``50 25 48.2 N, 35 35 26.1 E``). Hemispheres may also be written in
    Russian (``с.ш.``, ``ю.ш.``, ``в.д.``, ``з.д.``), Ukrainian (``пн. ш.``,
    ``пд. ш.``, ``сх. д.``, ``зх. д.``) or as Cyrillic letters
    (``С``/``Ю``/``В``/``З``, ``Пн``/``Пд``/``Сх``/``Зх``).
``mgrs``
    ``37U CQ 12345 67890``, ``36UXA12345678``, ``36U XA 1234 5678``, 0 to 5
    digits per axis, standard (WGS 84, "AA") lettering, 80S to 84N (no polar
    UPS). The point returned is the **centre** of the grid cell.
``utm``
    ``36U 412345 5587654`` (zone and latitude band) or ``36N 412345 5587654``
    (zone and hemisphere); ``mE``/``mN`` suffixes are allowed.
``plus-code``
    Open Location Codes, full (``9G2GFG2F+29``) or short with a ``reference``
    (``FG2F+29 Kyiv``); the point returned is the centre of the code area.
``google-maps-url``, ``osm-url``, ``bing-url``, ``yandex-url``, ``apple-maps-url``
    Links that carry the coordinates in them (see :func:`parse_coordinates`).
``geo-uri``
    RFC 5870 ``geo:50.43,35.59`` with optional ``;u=`` uncertainty.
``wkt``
    ``POINT (lon lat)``, ``POINT Z (...)``, ``SRID=4326;POINT(...)`` (other
    EPSG codes are reprojected with pyproj's offline database).
``geojson``
    ``{"type": "Point", "coordinates": [lon, lat]}`` or a ``Feature`` holding
    such a point.
``iso6709``
    The compact form in photo and video metadata: ``+50.43005+035.59057/``,
    ``+5025.803+03535.434/``, ``+502548.2+0353526.1/`` (altitude and ``CRS``
    suffix ignored).

Precision rule
--------------
``Coordinate.precision_m`` is the size, in metres, of one unit in the last
written digit, measured along a meridian with 1 degree = 111 320 m:

* decimal degrees with *d* decimals: ``111_320 * 10**-d`` (5 decimals is
  about 1.1 m, 0 decimals 111 km);
* decimal minutes with *d* decimals: ``111_320 / 60 * 10**-d`` (3 decimals is
  about 1.9 m);
* seconds with *d* decimals: ``111_320 / 3600 * 10**-d`` (0.1" is about
  3.1 m, whole seconds about 31 m);
* MGRS: the cell size (10 digits = 1 m, 6 digits = 100 m, 0 digits =
  100 km). The point is the cell centre, so the largest error is half the
  cell's diagonal, but the cell size is what is reported;
* UTM: one unit of the last written digit in metres (1 m for whole metres);
* plus codes: the longer side of the code area in degrees, times 111 320 m
  (a 10-character code is about 14 m);
* ``geo:`` URIs with ``u=``: that uncertainty in metres;
* projected WKT (an ``SRID`` other than a geographic one): one unit of the last
  written digit in the CRS's linear unit, in metres.

Where the two axes imply different precisions the coarser one is reported.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from pyproj import CRS, Transformer
from pyproj.enums import TransformDirection
from pyproj.exceptions import CRSError, ProjError

from geoverify.errors import CoordinateError

__all__ = [
    "FORMAT_NOTATIONS",
    "MAX_INPUT_LENGTH",
    "METRES_PER_DEGREE",
    "NOTATIONS",
    "Coordinate",
    "format_coordinates",
    "parse_coordinates",
]

#: Metres in one degree of latitude, used for every ``precision_m`` figure.
METRES_PER_DEGREE = 111_320.0

#: Longer input is refused as unparseable without being looked at further.
MAX_INPUT_LENGTH = 2000

#: Every value :attr:`Coordinate.notation` can take.
NOTATIONS = (
    "decimal",
    "decimal-hemisphere",
    "dms",
    "ddm",
    "mgrs",
    "utm",
    "plus-code",
    "google-maps-url",
    "osm-url",
    "bing-url",
    "yandex-url",
    "apple-maps-url",
    "geo-uri",
    "wkt",
    "geojson",
    "iso6709",
)

#: Notations :func:`format_coordinates` can write: all of them.
FORMAT_NOTATIONS = NOTATIONS

UNPARSEABLE = "unparseable-coordinates"
OUT_OF_RANGE = "out-of-range"

_SHOWN_CHARS = 80


@dataclass(frozen=True)
class Coordinate:
    """A point read from text.

    Attributes
    ----------
    lon
        Longitude in degrees (WGS 84), the x value.
    lat
        Latitude in degrees (WGS 84), the y value.
    notation
        How the text was written, one of :data:`NOTATIONS`.
    precision_m
        The precision the text implies, in metres (see the module docstring
        for the rule), or ``None`` if the text does not say.
    text
        The original string, untouched.
    warnings
        ``(finding_code, message)`` pairs about doubtful but readable text,
        e.g. ``("possibly-swapped", "...")``.
    """

    lon: float
    lat: float
    notation: str
    precision_m: float | None
    text: str
    warnings: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------------------
# internal plumbing


class _Reject(Exception):
    """Internal failure carrying a finding code and the reason, not the value."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class _Point:
    lon: float
    lat: float
    notation: str
    precision_m: float | None
    warnings: tuple[tuple[str, str], ...] = field(default=())


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _show(value: object) -> str:
    """Quote *value* for a message, cut to about 80 characters."""
    text = value if isinstance(value, str) else repr(value)
    text = _CONTROL_RE.sub(" ", text)
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 3] + "..."
    return f'"{text}"'


def _message(code: str, value: object, reason: str) -> str:
    if code == OUT_OF_RANGE:
        return f"coordinates {_show(value)} are out of range: {reason}"
    return f"cannot read coordinates from {_show(value)}: {reason}"


def _unparseable(reason: str) -> _Reject:
    return _Reject(UNPARSEABLE, reason)


def _out_of_range(reason: str) -> _Reject:
    return _Reject(OUT_OF_RANGE, reason)


def _decimals(number: str) -> int:
    """Count the decimals a number is written with (exponents allowed)."""
    try:
        exponent = Decimal(number).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0
    if not isinstance(exponent, int):
        return 0
    return min(max(-exponent, 0), 20)


def _degree_precision(*numbers: str) -> float:
    """Precision of decimal-degree numbers: the coarsest of them."""
    return max(METRES_PER_DEGREE / 10 ** _decimals(n) for n in numbers)


def _check_range(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _out_of_range("the values are not finite numbers")
    if abs(lat) > 90:
        raise _out_of_range(f"latitude {lat:.6g} is beyond 90 degrees")
    if abs(lon) > 180:
        raise _out_of_range(f"longitude {lon:.6g} is beyond 180 degrees")


def _fmt_point(lon: float, lat: float) -> str:
    return f"({lon:.6f}, {lat:.6f})"


# ---------------------------------------------------------------------------
# public entry points


def parse_coordinates(text: str, *, reference: tuple[float, float] | None = None) -> Coordinate:
    """Read a point from untrusted text.

    Parameters
    ----------
    text
        What the user wrote: decimal degrees, DMS/DDM, MGRS, UTM, a plus code,
        a map link, a ``geo:`` URI, WKT or GeoJSON (see the module docstring).
        Surrounding whitespace, quotes and brackets are ignored.
    reference
        ``(lon, lat)`` near the point, used only to complete a short plus code
        (e.g. the row's claimed place). The nearest matching full code wins.

    Returns
    -------
    Coordinate
        The point, how it was written, the precision it implies and the
        original *text*. For MGRS and plus codes the point is the centre of
        the cell or code area.

    Raises
    ------
    CoordinateError
        ``out-of-range`` when the text is a coordinate that cannot exist,
        ``unparseable-coordinates`` for anything else (with a message that
        quotes the value). This is the only exception raised, for any input.

    Notes
    -----
    Map links read (the pin is preferred over the map view when both exist;
    a link that only gives the view centre gets a ``viewport-only`` warning):

    * Google Maps: ``!3d<lat>!4d<lon>`` pins, ``q=``, ``query=``, ``ll=``,
      ``viewpoint=``, ``cbll=``, ``destination=``, ``center=``, coordinates in
      ``/place/``, ``/search/`` or ``/dir/`` paths, and ``/@lat,lon,zoom``.
    * OpenStreetMap: ``mlat=``/``mlon=`` markers, then ``#map=zoom/lat/lon``.
    * Bing: ``sp=point.lat_lon``, ``where1=``, ``q=``, then ``cp=lat~lon``.
    * Yandex (longitude first): ``pt=lon,lat``, ``whatshere[point]=``,
      ``text=``, then ``ll=lon,lat``.
    * Apple Maps: ``ll=``, ``coordinate=``, ``q=``, ``sll=``, ``center=``.

    Examples
    --------
    >>> c = parse_coordinates("50.43005, 35.59057")
    >>> (c.lon, c.lat, c.notation)
    (35.59057, 50.43005, 'decimal')
    """
    try:
        point = _parse(text, reference)
    except _Reject as exc:
        raise CoordinateError(exc.code, _message(exc.code, text, exc.reason), text) from None
    except CoordinateError:
        raise
    except Exception as exc:
        reason = f"the text could not be interpreted ({type(exc).__name__})"
        raise CoordinateError(UNPARSEABLE, _message(UNPARSEABLE, text, reason), text) from exc
    assert isinstance(text, str)  # _parse rejects anything else
    return Coordinate(
        lon=point.lon,
        lat=point.lat,
        notation=point.notation,
        precision_m=point.precision_m,
        text=text,
        warnings=point.warnings,
    )


def _parse(text: object, reference: object) -> _Point:
    if not isinstance(text, str):
        raise _unparseable(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_INPUT_LENGTH:
        raise _unparseable(
            f"the text is {len(text)} characters long; coordinates never need more "
            f"than {MAX_INPUT_LENGTH}"
        )
    s = _INVISIBLE_RE.sub("", text).strip()
    if not s:
        raise _unparseable("the text is empty")
    if s.startswith("{"):
        point = _parse_geojson(s)
    else:
        s = _strip_enclosing(s)
        if not s:
            raise _unparseable("there is nothing inside the brackets or quotes")
        point = _dispatch(s, reference)
    _check_range(point.lon, point.lat)
    return point


_ENCLOSING = {
    "(": ")",
    "[": "]",
    "<": ">",
    '"': '"',
    "'": "'",
    "\u201c": "\u201d",
    "\u2018": "\u2019",
    "\u00ab": "\u00bb",
    "\u201e": "\u201c",
    "`": "`",
}


def _strip_enclosing(s: str) -> str:
    for _ in range(5):
        if len(s) >= 2 and s[0] in _ENCLOSING and s[-1] == _ENCLOSING[s[0]]:
            s = s[1:-1].strip()
        else:
            break
    return s


_URL_START_RE = re.compile(r"^(?:https?://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?/)")
_LABEL_RE = re.compile(r"^(?:mgrs|utm)\s*[:=]?\s*", re.IGNORECASE)


def _dispatch(s: str, reference: object) -> _Point:
    low = s.lower()
    if _URL_START_RE.match(low[:300]):
        return _parse_url(s)
    if low.startswith("geo:"):
        return _parse_geo_uri(s)
    if low.startswith(("point", "srid")):
        return _parse_wkt(s)
    grid = _LABEL_RE.sub("", " ".join(s.split()).upper(), count=1)
    m = _MGRS_RE.match(grid)
    if m:
        return _parse_mgrs(m)
    m = _UTM_RE.match(grid)
    if m:
        return _parse_utm(m)
    m = _PLUS_RE.match(s)
    if m:
        return _parse_plus_code(m, reference)
    m = _ISO6709_RE.match(s)
    if m:
        return _parse_iso6709(m)
    return _parse_degrees(s)


# ---------------------------------------------------------------------------
# degrees: decimal, hemisphere letters, DMS, DDM

_DEGREE_MARKS = "\u00b0\u00ba\u02da\u1d52\u2070"
_MINUTE_MARKS = "\u2032\u2019\u2018\u00b4`\u02b9\u201b"
_SECOND_MARKS = "\u2033\u201d\u201c\u02ba\u02dd\u201f"
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys(_DEGREE_MARKS, "\u00b0"),
        **dict.fromkeys(_MINUTE_MARKS, "'"),
        **dict.fromkeys(_SECOND_MARKS, '"'),
        "\u2212": "-",
        "\uff0c": ",",
        "\uff1b": ";",
    }
)
_EN_DASH_MINUS_RE = re.compile(r"[\u2013\u2012](?=[0-9])")

_LETTER = r"[^\W\d_]"
_CYRILLIC_HEMI_RE = re.compile(
    rf"(?<!{_LETTER})(пн|пд|сх|зх|с|ю|в|з)(?:\.\s?|\s)?(ш|д)?\.?(?!{_LETTER})",
    re.IGNORECASE,
)
_CYRILLIC_LETTER = {
    "пн": "N",
    "пд": "S",
    "сх": "E",
    "зх": "W",
    "с": "N",
    "ю": "S",
    "в": "E",
    "з": "W",
}
_ENGLISH_HEMI_RE = re.compile(rf"(?<!{_LETTER})(north|south|east|west)(?!{_LETTER})", re.IGNORECASE)

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[+-]?[0-9]+(?:\.[0-9]+)?)
  | (?P<deg>\u00b0)
  | (?P<min>')
  | (?P<sec>")
  | (?P<sep>[,;])
  | (?P<word>[^\W\d_]+)
  | (?P<colon>[:=])
    """,
    re.VERBOSE,
)
_UNIT_SLOT = {"deg": 0, "min": 1, "sec": 2}
_AXIS_WORDS = {
    "lat": "lat",
    "latitude": "lat",
    "широта": "lat",
    "lon": "lon",
    "lng": "lon",
    "long": "lon",
    "longitude": "lon",
    "долгота": "lon",
    "довгота": "lon",
}
_DEGREE_WORDS = {"deg", "degree", "degrees"}
_HEMI_AXIS = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}
_MAX_NUMBER_CHARS = 40


def _replace_cyrillic(match: re.Match[str]) -> str:
    hemi = _CYRILLIC_LETTER[match.group(1).lower()]
    axis_letter = (match.group(2) or "").lower()
    if axis_letter:
        axis = "lat" if axis_letter == "ш" else "lon"
        if _HEMI_AXIS[hemi] != axis:
            raise _unparseable(f"{match.group(0).strip()!r} mixes a hemisphere with the wrong axis")
    return f" {hemi} "


def _normalise_degrees(s: str) -> str:
    s = s.translate(_TRANSLATE)
    s = _EN_DASH_MINUS_RE.sub("-", s)
    s = s.replace("''", '"')
    s = _CYRILLIC_HEMI_RE.sub(_replace_cyrillic, s)
    s = _ENGLISH_HEMI_RE.sub(lambda m: f" {m.group(1)[0].upper()} ", s)
    # Decimal commas: with a semicolon the semicolon separates the pair;
    # otherwise commas between digits are decimals only when no decimal point
    # is used and the text still holds two or more numbers afterwards.
    if ";" in s:
        s = re.sub(r"(?<=[0-9]),(?=[0-9])", ".", s)
    elif not re.search(r"[0-9]\.[0-9]", s) and re.search(r"[0-9],[0-9]", s):
        candidate = re.sub(r"(?<=[0-9]),(?=[0-9])", ".", s)
        if len(re.findall(r"[0-9]+(?:\.[0-9]+)?", candidate)) >= 2 and not re.search(
            r"[0-9]\.[0-9]+\.", candidate
        ):
            s = candidate
    return s


def _tokenise(s: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN_RE.match(s, pos)
        if m is None:
            raise _unparseable(f"unexpected character {s[pos]!r}")
        kind = m.lastgroup or ""
        value = m.group()
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "num" and len(value) > _MAX_NUMBER_CHARS:
            raise _unparseable("a number is far too long")
        if kind == "word":
            word = value.lower()
            if word in {"n", "s", "e", "w"}:
                tokens.append(("hemi", word.upper()))
            elif word in _AXIS_WORDS:
                tokens.append(("axis", _AXIS_WORDS[word]))
            elif word in _DEGREE_WORDS:
                tokens.append(("deg", "\u00b0"))
            else:
                shown = value if len(value) <= 20 else value[:17] + "..."
                raise _unparseable(f"unexpected word {shown!r}")
            continue
        tokens.append((kind, value))
    return tokens


@dataclass
class _Group:
    parts: list[tuple[str, int | None]] = field(default_factory=list)
    prefix: str | None = None
    suffix: str | None = None
    axis: str | None = None

    def empty(self) -> bool:
        return not self.parts and self.prefix is None and self.axis is None


@dataclass(frozen=True)
class _Value:
    value: float
    axis: str | None
    hemisphere: bool
    slot: int
    precision_m: float


def _group_tokens(tokens: list[tuple[str, str]]) -> tuple[list[_Group], bool]:
    groups: list[_Group] = []
    cur = _Group()
    had_separator = False
    last_kind = ""
    i = 0
    n = len(tokens)
    while i < n:
        kind, value = tokens[i]
        if kind == "sep":
            if cur.parts:
                groups.append(cur)
                cur = _Group()
            elif not cur.empty():
                raise _unparseable("a hemisphere letter or label has no number")
            elif last_kind in ("", "sep"):
                raise _unparseable("a separator has no number before it")
            had_separator = True
        elif kind == "hemi":
            if cur.parts:
                if cur.prefix is not None:
                    groups.append(cur)
                    cur = _Group(prefix=value)
                else:
                    cur.suffix = value
                    groups.append(cur)
                    cur = _Group()
            elif cur.prefix is not None:
                raise _unparseable("two hemisphere letters in a row")
            else:
                cur.prefix = value
        elif kind == "axis":
            if cur.parts:
                groups.append(cur)
                cur = _Group()
            if cur.axis is not None:
                raise _unparseable("two labels in a row")
            cur.axis = value
            if i + 1 < n and tokens[i + 1][0] == "colon":
                i += 1
        elif kind == "num":
            unit: int | None = None
            if i + 1 < n and tokens[i + 1][0] in _UNIT_SLOT:
                unit = _UNIT_SLOT[tokens[i + 1][0]]
                i += 1
            last_unit = cur.parts[-1][1] if cur.parts else None
            if cur.parts and (
                last_unit == 2
                or unit == 0
                or value[0] in "+-"
                or (unit is not None and last_unit is not None and unit <= last_unit)
            ):
                groups.append(cur)
                cur = _Group()
            cur.parts.append((value, unit))
        elif kind in _UNIT_SLOT:
            raise _unparseable("a degree, minute or second mark has no number")
        else:
            raise _unparseable(f"unexpected {value!r}")
        last_kind = kind
        i += 1
    if cur.parts:
        groups.append(cur)
    elif not cur.empty():
        raise _unparseable("a hemisphere letter or label has no number")
    return groups, had_separator


def _evaluate_group(group: _Group) -> _Value:
    parts = group.parts
    if len(parts) > 3:
        raise _unparseable("too many numbers for one coordinate")
    slots: list[int] = []
    previous = -1
    for _, unit in parts:
        slot = previous + 1 if unit is None else unit
        if slot <= previous:
            raise _unparseable("degree, minute and second marks are out of order")
        slots.append(slot)
        previous = slot
    if slots != list(range(len(parts))):
        if slots[0] != 0:
            raise _unparseable("minutes or seconds are given without degrees")
        raise _unparseable("seconds are given without minutes")
    for text, _ in parts[1:]:
        if text[0] in "+-":
            raise _unparseable("only the degrees may carry a sign")
    for text, _ in parts[:-1]:
        if "." in text:
            raise _unparseable("only the last of degrees, minutes and seconds may have decimals")
    numbers = [abs(float(text)) for text, _ in parts]
    for number, slot in zip(numbers[1:], slots[1:], strict=True):
        if number >= 60:
            name = "minutes" if slot == 1 else "seconds"
            raise _out_of_range(f"{name} must be below 60, got {number:g}")
    value = numbers[0] + sum(x / 60.0**slot for x, slot in zip(numbers[1:], slots[1:], strict=True))
    last_text, _ = parts[-1]
    last_slot = slots[-1]
    precision = METRES_PER_DEGREE / 60**last_slot / 10 ** _decimals(last_text.lstrip("+-"))
    negative = parts[0][0].startswith("-")
    hemi = group.prefix or group.suffix
    axis = group.axis
    if hemi is not None:
        if negative:
            raise _unparseable("a value has both a minus sign and a hemisphere letter")
        hemi_axis = _HEMI_AXIS[hemi]
        if axis is not None and axis != hemi_axis:
            raise _unparseable(f"a {axis} label is given with hemisphere {hemi}")
        axis = hemi_axis
        negative = hemi in "SW"
    return _Value(
        value=-value if negative else value,
        axis=axis,
        hemisphere=hemi is not None,
        slot=last_slot,
        precision_m=precision,
    )


def _parse_degrees(s: str) -> _Point:
    tokens = _tokenise(_normalise_degrees(s))
    if not tokens:
        raise _unparseable("there are no numbers")
    groups, had_separator = _group_tokens(tokens)
    if (
        len(groups) == 1
        and not had_separator
        and groups[0].prefix is None
        and groups[0].suffix is None
        and groups[0].axis is None
        and len(groups[0].parts) in (2, 4, 6)
        and all(unit is None for _, unit in groups[0].parts)
    ):
        half = len(groups[0].parts) // 2
        groups = [_Group(parts=groups[0].parts[:half]), _Group(parts=groups[0].parts[half:])]
    if not groups:
        raise _unparseable("there are no numbers")
    if len(groups) == 1 and len(groups[0].parts) > 3:
        raise _unparseable(f"found {len(groups[0].parts)} numbers; expected latitude and longitude")
    if len(groups) == 1:
        raise _unparseable("only one value found; both latitude and longitude are needed")
    if len(groups) > 2:
        raise _unparseable(f"found {len(groups)} values; expected latitude and longitude")
    first, second = (_evaluate_group(g) for g in groups)
    warnings: tuple[tuple[str, str], ...] = ()
    if first.axis is not None and second.axis is not None:
        if first.axis == second.axis:
            word = "latitudes" if first.axis == "lat" else "longitudes"
            raise _unparseable(f"both values are {word}")
        lat_v, lon_v = (first, second) if first.axis == "lat" else (second, first)
    elif first.axis is not None:
        lat_v, lon_v = (first, second) if first.axis == "lat" else (second, first)
    elif second.axis is not None:
        lat_v, lon_v = (second, first) if second.axis == "lat" else (first, second)
    elif abs(first.value) > 90 and abs(second.value) <= 90:
        lat_v, lon_v = second, first
        warnings = (
            (
                "possibly-swapped",
                (
                    f"the first number ({first.value:g}) cannot be a latitude, so the text "
                    "was read as longitude, latitude; check the order"
                ),
            ),
        )
    else:
        lat_v, lon_v = first, second
    top_slot = max(first.slot, second.slot)
    if top_slot == 2:
        notation = "dms"
    elif top_slot == 1:
        notation = "ddm"
    elif first.hemisphere or second.hemisphere:
        notation = "decimal-hemisphere"
    else:
        notation = "decimal"
    return _Point(
        lon=lon_v.value,
        lat=lat_v.value,
        notation=notation,
        precision_m=max(first.precision_m, second.precision_m),
        warnings=warnings,
    )


def _try_degrees(s: str) -> _Point | None:
    """Parse *s* as degree text inside a URL; ``None`` if it is not one."""
    s = s.strip()
    if not s:
        return None
    try:
        point = _parse_degrees(_strip_enclosing(s))
        _check_range(point.lon, point.lat)
    except _Reject:
        return None
    return point


# ---------------------------------------------------------------------------
# ISO 6709 (photo and video metadata): +DD.D+DDD.D/, +DDMM.M+DDDMM.M/, +DDMMSS.S+DDDMMSS.S/

_ISO6709_RE = re.compile(
    r"^([+-])(\d{2}|\d{4}|\d{6})(\.\d{1,12})?([+-])(\d{3}|\d{5}|\d{7})(\.\d{1,12})?"
    r"(?:[+-]\d{1,8}(?:\.\d{1,6})?)?(?:CRS[A-Za-z0-9_:]{1,40})?/?$"
)


def _iso6709_value(
    sign: str, whole: str, fraction: str | None, degree_digits: int
) -> tuple[float, float]:
    fraction = fraction or ""
    fields = [whole[:degree_digits]] + [
        whole[i : i + 2] for i in range(degree_digits, len(whole), 2)
    ]
    fields[-1] += fraction
    numbers = [float(x) for x in fields]
    for number in numbers[1:]:
        if number >= 60:
            raise _out_of_range(f"minutes and seconds must be below 60, got {number:g}")
    value = sum(x / 60.0**slot for slot, x in enumerate(numbers))
    precision = METRES_PER_DEGREE / 60 ** (len(fields) - 1) / 10 ** max(len(fraction) - 1, 0)
    return (-value if sign == "-" else value), precision


def _parse_iso6709(m: re.Match[str]) -> _Point:
    lat, lat_precision = _iso6709_value(m.group(1), m.group(2), m.group(3), 2)
    lon, lon_precision = _iso6709_value(m.group(4), m.group(5), m.group(6), 3)
    return _Point(
        lon=lon, lat=lat, notation="iso6709", precision_m=max(lat_precision, lon_precision)
    )


# ---------------------------------------------------------------------------
# UTM and MGRS

_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_COLUMN_SETS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
_ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
_MGRS_RE = re.compile(r"^(\d{1,2}) ?([A-Z]) ?([A-Z])([A-Z]) ?(\d{0,10})(?: (\d{1,5}))?$")
_UTM_RE = re.compile(
    r"^(\d{1,2}) ?([A-Z]),? ?(\d{6}(?:\.\d{1,6})?) ?(?:M ?E|E)?,? ?(\d{1,8}(?:\.\d{1,6})?) ?(?:M ?N|N)?$"
)
_BAND_TOLERANCE_DEG = 1.0


@lru_cache(maxsize=256)
def _utm_transformer(zone: int, south: bool) -> Transformer:
    """UTM (zone, hemisphere) -> WGS 84 lon/lat; run INVERSE for the reverse."""
    epsg = (32700 if south else 32600) + zone
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _band_limits(band: str) -> tuple[float, float]:
    south = -80.0 + 8.0 * _BANDS.index(band)
    north = 84.0 if band == "X" else south + 8.0
    return south, north


def _distance_outside(lat: float, limits: tuple[float, float]) -> float:
    lo, hi = limits
    if lat < lo:
        return lo - lat
    if lat > hi:
        return lat - hi
    return 0.0


def _check_zone_band(zone: int, band: str, what: str) -> None:
    if band in "ABYZ":
        raise _unparseable(f"polar UPS {what} references (band {band}) are not supported")
    if band not in _BANDS:
        raise _unparseable(f"{band!r} is not an MGRS/UTM latitude band (C to X, without I and O)")
    if not 1 <= zone <= 60:
        raise _out_of_range(f"UTM zone {zone} does not exist (zones run from 1 to 60)")
    if band == "X" and zone in (32, 34, 36):
        raise _out_of_range(f"zone {zone}X does not exist (Svalbard uses 31X, 33X, 35X and 37X)")


def _parse_mgrs(m: re.Match[str]) -> _Point:
    """Read an MGRS reference and return the CENTRE of its grid cell.

    Standard WGS 84 MGRS ("AA" lettering): column letters cycle A-H, J-R, S-Z
    for zones 1, 2, 3 (mod 3); row letters A-V (no I, O) start at A on the
    equator in odd zones and at F in even zones, repeating every 2000 km. The
    old Bessel-based "AL" lettering (rows offset by 10 letters) is not read.
    The repeating row letters leave the northing ambiguous by multiples of
    2000 km; the candidate whose latitude falls in the latitude band wins, and
    a square that is not in its band at all is out of range. Polar UPS
    references (bands A, B, Y, Z) are refused.
    """
    zone = int(m.group(1))
    band, column, row = m.group(2), m.group(3), m.group(4)
    first, second = m.group(5), m.group(6)
    _check_zone_band(zone, band, "MGRS")
    if second is not None:
        if len(first) != len(second):
            raise _unparseable("the easting and northing have different numbers of digits")
        east_digits, north_digits = first, second
    else:
        if len(first) % 2:
            raise _unparseable("an MGRS reference needs an even number of digits")
        half = len(first) // 2
        east_digits, north_digits = first[:half], first[half:]
    columns = _COLUMN_SETS[(zone - 1) % 3]
    if column not in columns:
        raise _unparseable(
            f"column letter {column} is not used in zone {zone} (it uses {columns[0]}-{columns[-1]})"
        )
    if row not in _ROW_LETTERS:
        raise _unparseable(f"{row} is not an MGRS row letter (A to V, without I and O)")
    digits = len(east_digits)
    size = 10.0 ** (5 - digits)
    easting = (columns.index(column) + 1) * 100_000.0 + size / 2
    row_offset = 5 if zone % 2 == 0 else 0
    northing = ((_ROW_LETTERS.index(row) - row_offset) % 20) * 100_000.0 + size / 2
    if digits:
        easting += int(east_digits) * size
        northing += int(north_digits) * size
    south = band < "N"
    candidates = [northing + k * 2_000_000.0 for k in range(5)]
    lons, lats = _utm_transformer(zone, south).transform([easting] * len(candidates), candidates)
    limits = _band_limits(band)
    best = min(range(len(candidates)), key=lambda k: _distance_outside(lats[k], limits))
    if _distance_outside(lats[best], limits) > _BAND_TOLERANCE_DEG:
        raise _out_of_range(f"100 km square {column}{row} does not occur in zone {zone}{band}")
    return _Point(lon=float(lons[best]), lat=float(lats[best]), notation="mgrs", precision_m=size)


def _parse_utm(m: re.Match[str]) -> _Point:
    zone = int(m.group(1))
    letter = m.group(2)
    east_text, north_text = m.group(3), m.group(4)
    easting, northing = float(east_text), float(north_text)
    if letter not in ("N", "S"):
        _check_zone_band(zone, letter, "UTM")
    elif not 1 <= zone <= 60:
        raise _out_of_range(f"UTM zone {zone} does not exist (zones run from 1 to 60)")
    if not 100_000 <= easting < 1_000_000:
        raise _out_of_range(f"UTM easting {east_text} is outside 100000-999999 m")
    if not 0 <= northing <= 10_000_000:
        raise _out_of_range(f"UTM northing {north_text} is outside 0-10000000 m")
    precision = 10.0 ** -min(_decimals(east_text), _decimals(north_text))
    warnings: tuple[tuple[str, str], ...] = ()
    if letter == "N":
        south = False
    elif letter == "S":
        lon, lat = _utm_transformer(zone, False).transform(easting, northing)
        if _distance_outside(lat, _band_limits("S")) <= 0.5:
            south = False
            warnings = (
                (
                    "ambiguous-utm-hemisphere",
                    (
                        f"'{zone}S' was read as latitude band S (32N-40N); if the southern "
                        "hemisphere was meant, the point is elsewhere"
                    ),
                ),
            )
        else:
            south = True
    else:
        south = letter < "N"
    lon, lat = _utm_transformer(zone, south).transform(easting, northing)
    if letter not in ("N", "S") and _distance_outside(lat, _band_limits(letter)) > 0.5:
        raise _out_of_range(
            f"northing {north_text} in zone {zone} lies at latitude {lat:.2f}, outside band {letter}"
        )
    return _Point(
        lon=float(lon), lat=float(lat), notation="utm", precision_m=precision, warnings=warnings
    )


def _utm_zone(lon: float, lat: float) -> int:
    """UTM zone of a point, with the Norway and Svalbard exceptions."""
    lon = (lon + 180.0) % 360.0 - 180.0
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    if 56 <= lat < 64 and 3 <= lon < 12:
        return 32
    if 72 <= lat <= 84 and 0 <= lon < 42:
        if lon < 9:
            return 31
        if lon < 21:
            return 33
        if lon < 33:
            return 35
        return 37
    return zone


def _band_letter(lat: float) -> str:
    return _BANDS[min(int((lat + 80.0) // 8.0), 19)]


def _to_utm(lon: float, lat: float) -> tuple[int, str, float, float]:
    if not -80 <= lat <= 84:
        raise CoordinateError(
            OUT_OF_RANGE,
            f"latitude {lat:g} is outside the UTM/MGRS range 80S-84N (UPS is not supported)",
            _fmt_point(lon, lat),
        )
    zone = _utm_zone(lon, lat)
    band = _band_letter(lat)
    # The hemisphere follows the band letter so that the text stays consistent
    # even for latitudes that round to the equator.
    easting, northing = _utm_transformer(zone, band < "N").transform(
        lon, lat, direction=TransformDirection.INVERSE
    )
    northing = float(northing)
    if band >= "N" and northing < 0:  # a hair south of the equator, rounded into band N
        northing = 0.0
    return zone, band, float(easting), northing


def _format_mgrs(lon: float, lat: float, digits: int) -> str:
    zone, band, easting, northing = _to_utm(lon, lat)
    columns = _COLUMN_SETS[(zone - 1) % 3]
    column_index = min(max(int(easting // 100_000), 1), 8)
    column = columns[column_index - 1]
    row_offset = 5 if zone % 2 == 0 else 0
    row = _ROW_LETTERS[(int(northing // 100_000) + row_offset) % 20]
    square = f"{zone}{band} {column}{row}"
    if digits == 0:
        return square
    size = 10 ** (5 - digits)
    east = int((easting - column_index * 100_000) // size)
    north = int((northing % 100_000) // size)
    east = min(max(east, 0), 10**digits - 1)
    return f"{square} {east:0{digits}d} {north:0{digits}d}"


# ---------------------------------------------------------------------------
# plus codes (Open Location Code)

_OLC_ALPHABET = "23456789CFGHJMPQRVWX"
_PLUS_RE = re.compile(
    r"^([23456789CFGHJMPQRVWX0]{2,8})\+([23456789CFGHJMPQRVWX]{0,7})(?:[\s,]+(.*))?$",
    re.IGNORECASE | re.DOTALL,
)
# Integer grid: latitude in 1/25 000 000 degree, longitude in 1/8 192 000 degree,
# the finest cell of a 15-character code.
_LAT_UNITS = 25_000_000
_LON_UNITS = 8_192_000
_LAT_PAIR = (500_000_000, 25_000_000, 1_250_000, 62_500, 3_125)
_LON_PAIR = (163_840_000, 8_192_000, 409_600, 20_480, 1_024)
_LAT_GRID = (625, 125, 25, 5, 1)
_LON_GRID = (256, 64, 16, 4, 1)


def _olc_decode(digits: str) -> tuple[float, float, float, float]:
    """Decode plus-code digits (no ``+``, no padding).

    Returns
    -------
    tuple of float
        ``(lat_south, lon_west, lat_height, lon_width)`` in degrees.
    """
    lat = lon = 0
    lat_size, lon_size = 180 * _LAT_UNITS, 360 * _LON_UNITS
    for k in range(min(len(digits), 10) // 2):
        lat += _OLC_ALPHABET.index(digits[2 * k]) * _LAT_PAIR[k]
        lon += _OLC_ALPHABET.index(digits[2 * k + 1]) * _LON_PAIR[k]
        lat_size, lon_size = _LAT_PAIR[k], _LON_PAIR[k]
    for j, char in enumerate(digits[10:15]):
        row, col = divmod(_OLC_ALPHABET.index(char), 4)
        lat += row * _LAT_GRID[j]
        lon += col * _LON_GRID[j]
        lat_size, lon_size = _LAT_GRID[j], _LON_GRID[j]
    return (
        lat / _LAT_UNITS - 90.0,
        lon / _LON_UNITS - 180.0,
        lat_size / _LAT_UNITS,
        lon_size / _LON_UNITS,
    )


def _olc_encode(lat: float, lon: float, length: int) -> str:
    """Encode a point as a plus code of *length* digits (2, 4, 6, 8 or 10-15)."""
    lat = min(max(lat, -90.0), 90.0)
    lon = (lon + 180.0) % 360.0 - 180.0
    lat_i = min(math.floor(round((lat + 90.0) * _LAT_UNITS, 6)), 180 * _LAT_UNITS - 1)
    lon_i = math.floor(round((lon + 180.0) * _LON_UNITS, 6)) % (360 * _LON_UNITS)
    chars: list[str] = []
    for k in range(5):
        chars.append(_OLC_ALPHABET[(lat_i // _LAT_PAIR[k]) % 20])
        chars.append(_OLC_ALPHABET[(lon_i // _LON_PAIR[k]) % 20])
    for j in range(5):
        row = (lat_i // _LAT_GRID[j]) % 5
        col = (lon_i // _LON_GRID[j]) % 4
        chars.append(_OLC_ALPHABET[row * 4 + col])
    code = "".join(chars[:length])
    if length < 8:
        return code + "0" * (8 - length) + "+"
    return code[:8] + "+" + code[8:]


def _check_reference(reference: object) -> tuple[float, float]:
    if (
        not isinstance(reference, Sequence)
        or isinstance(reference, (str, bytes))
        or len(reference) != 2
    ):
        raise _unparseable("the reference location must be a (lon, lat) pair")
    try:
        lon, lat = float(reference[0]), float(reference[1])
    except (TypeError, ValueError):
        raise _unparseable("the reference location must be a (lon, lat) pair of numbers") from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        raise _unparseable(
            f"the reference location ({lon:g}, {lat:g}) is not a valid (lon, lat) point"
        )
    return lon, lat


def _parse_plus_code(m: re.Match[str], reference: object) -> _Point:
    before, after = m.group(1).upper(), m.group(2).upper()
    if len(after) == 1:
        raise _unparseable("a plus code needs two or more characters after '+'")
    if "0" in before:
        pad = before.index("0")
        if pad == 0 or pad % 2 or len(before) != 8 or before[pad:] != "0" * (8 - pad) or after:
            raise _unparseable("the plus code's '0' padding is malformed")
        digits = before[:pad]
    elif len(before) == 8:
        digits = before + after
    elif len(before) % 2 == 0:
        return _parse_short_plus_code(before, after, reference)
    else:
        raise _unparseable("a plus code has an even number of characters before '+'")
    if _OLC_ALPHABET.index(digits[0]) > 8 or _OLC_ALPHABET.index(digits[1]) > 17:
        raise _out_of_range(f"plus code {before}+{after} lies outside the world")
    south, west, height, width = _olc_decode(digits)
    return _Point(
        lon=west + width / 2,
        lat=south + height / 2,
        notation="plus-code",
        precision_m=max(height, width) * METRES_PER_DEGREE,
    )


def _parse_short_plus_code(before: str, after: str, reference: object) -> _Point:
    code = f"{before}+{after}"
    if reference is None:
        raise _unparseable(
            f"{code} is a short plus code; a short plus code needs a reference location "
            "(e.g. the row's claimed place) or the full code"
        )
    ref_lon, ref_lat = _check_reference(reference)
    missing = 8 - len(before)
    resolution = 20.0 ** (2 - missing // 2)
    prefix = _olc_encode(ref_lat, ref_lon, 10)[:missing]
    south, west, height, width = _olc_decode(prefix + before + after)
    lat = south + height / 2
    lon = west + width / 2
    half = resolution / 2
    if ref_lat + half < lat and lat - resolution >= -90:
        lat -= resolution
    elif ref_lat - half > lat and lat + resolution <= 90:
        lat += resolution
    if ref_lon + half < lon:
        lon -= resolution
    elif ref_lon - half > lon:
        lon += resolution
    lon = (lon + 180.0) % 360.0 - 180.0
    warning = (
        "short-plus-code",
        (
            f"short plus code {code} was completed using the reference location "
            f"{_fmt_point(ref_lon, ref_lat)}"
        ),
    )
    return _Point(
        lon=lon,
        lat=lat,
        notation="plus-code",
        precision_m=max(height, width) * METRES_PER_DEGREE,
        warnings=(warning,),
    )


# ---------------------------------------------------------------------------
# URLs and geo: URIs

_SHORT_LINK_HOSTS = {
    "goo.gl",
    "maps.app.goo.gl",
    "app.goo.gl",
    "g.co",
    "maps.apple",
    "bit.ly",
    "t.co",
    "tinyurl.com",
    "is.gd",
    "ow.ly",
}
_GOOGLE_HOST_RE = re.compile(r"^(?:maps\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?$")
_YANDEX_HOST_RE = re.compile(r"^(?:maps\.)?yandex\.[a-z]{2,3}(?:\.[a-z]{2})?$")
_NUM = r"[+-]?\d{1,3}(?:\.\d{1,20})?"
_GOOGLE_PIN_RE = re.compile(rf"!3d({_NUM})!4d({_NUM})")
_GOOGLE_AT_RE = re.compile(rf"/@({_NUM}),({_NUM})(?:,([0-9.]{{1,12}})([a-z]))?")
_PAIR_RE = re.compile(rf"^\s*({_NUM})\s*[,~_ ]\s*({_NUM})\s*$")
_VIEWPORT = (
    "viewport-only",
    "the link gives only the centre of the map view, not a dropped pin; the point may be approximate",
)

_Query = dict[str, list[str]]


def _pair(text: str | None, *, lon_first: bool = False) -> tuple[float, float, float] | None:
    """Read ``"a,b"`` as (lon, lat, precision) or ``None``."""
    if not text:
        return None
    m = _PAIR_RE.match(text)
    if not m:
        return None
    a, b = m.group(1), m.group(2)
    lon_text, lat_text = (a, b) if lon_first else (b, a)
    return float(lon_text), float(lat_text), _degree_precision(a, b)


def _from_pair(
    pair: tuple[float, float, float], notation: str, *, viewport: bool = False
) -> _Point:
    lon, lat, precision = pair
    return _Point(
        lon=lon,
        lat=lat,
        notation=notation,
        precision_m=precision,
        warnings=(_VIEWPORT,) if viewport else (),
    )


def _renamed(point: _Point, notation: str, *, viewport: bool = False) -> _Point:
    warnings = point.warnings + ((_VIEWPORT,) if viewport else ())
    return _Point(point.lon, point.lat, notation, point.precision_m, warnings)


def _first(query: _Query, key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _clean_query_value(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("loc:"):
        value = value[4:]
    value = re.sub(r"\s*\([^()]{0,200}\)\s*$", "", value)
    return value


def _parse_url(s: str) -> _Point:
    url = s if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]{0,20}://", s) else "https://" + s
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise _unparseable(f"{parts.scheme}: links are not map links")
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.")
    path = parts.path
    query: _Query = parse_qs(parts.query)
    short = "it is a short link; resolving it needs the network; paste the expanded URL or the coordinates"
    if host in _SHORT_LINK_HOSTS or host.endswith((".goo.gl", ".page.link")):
        raise _unparseable(short)
    if _YANDEX_HOST_RE.match(host) and path.startswith(("/maps/-/", "/-/")):
        raise _unparseable(short)
    if host == "osm.org" and path.startswith("/go/"):
        raise _unparseable(
            "OpenStreetMap short links (osm.org/go/...) are not supported; paste the full "
            "URL or the coordinates"
        )
    if _GOOGLE_HOST_RE.match(host) and (path.startswith("/maps") or host.startswith("maps.")):
        return _parse_google(url, path, query)
    if host in ("openstreetmap.org", "osm.org") or host.endswith(".openstreetmap.org"):
        return _parse_osm(parts.fragment, query)
    if host == "bing.com" and path.lower().startswith("/maps"):
        return _parse_bing(query)
    if _YANDEX_HOST_RE.match(host) and (path.startswith("/maps") or host.startswith("maps.")):
        return _parse_yandex(query)
    if host == "maps.apple.com":
        return _parse_apple(query)
    raise _unparseable(
        "not a map link geoverify can read (Google Maps, OpenStreetMap, Bing, Yandex "
        "or Apple Maps links with coordinates in them)"
    )


def _parse_google(url: str, path: str, query: _Query) -> _Point:
    notation = "google-maps-url"
    pins = _GOOGLE_PIN_RE.findall(unquote(url))
    if pins:
        lat_text, lon_text = pins[-1]
        return _from_pair(
            (float(lon_text), float(lat_text), _degree_precision(lat_text, lon_text)), notation
        )
    for key in ("q", "query", "ll", "viewpoint", "cbll", "destination", "center", "daddr"):
        value = _first(query, key)
        if value:
            point = _try_degrees(_clean_query_value(value))
            if point is not None:
                return _renamed(point, notation)
    segments = [unquote(seg.replace("+", " ")) for seg in path.split("/")]
    for i, segment in enumerate(segments[:-1]):
        if segment in ("place", "search", "dir"):
            following = [
                seg for seg in segments[i + 1 :] if seg and not seg.startswith(("@", "data="))
            ]
            if segment == "dir":
                following.reverse()
            for candidate in following[:10]:
                point = _try_degrees(candidate)
                if point is not None:
                    return _renamed(point, notation)
            break
    m = _GOOGLE_AT_RE.search(path)
    if m:
        lat_text, lon_text = m.group(1), m.group(2)
        street_view = m.group(4) == "a"
        return _from_pair(
            (float(lon_text), float(lat_text), _degree_precision(lat_text, lon_text)),
            notation,
            viewport=not street_view,
        )
    raise _unparseable(
        "the Google Maps link holds no coordinates (only a place name or ID); open it and "
        "copy the coordinates"
    )


def _parse_osm(fragment: str, query: _Query) -> _Point:
    notation = "osm-url"
    mlat, mlon = _first(query, "mlat"), _first(query, "mlon")
    if mlat and mlon:
        pair = _pair(f"{mlat},{mlon}")
        if pair is not None:
            return _from_pair(pair, notation)
    map_value = _first(parse_qs(fragment), "map")
    if map_value:
        pieces = map_value.split("/")
        if len(pieces) == 3:
            pair = _pair(f"{pieces[1]},{pieces[2]}")
            if pair is not None:
                return _from_pair(pair, notation, viewport=True)
    lat, lon = _first(query, "lat"), _first(query, "lon")
    if lat and lon:
        pair = _pair(f"{lat},{lon}")
        if pair is not None:
            return _from_pair(pair, notation, viewport=True)
    raise _unparseable("the OpenStreetMap link holds no coordinates (no mlat/mlon or #map=)")


def _parse_bing(query: _Query) -> _Point:
    notation = "bing-url"
    sp = _first(query, "sp")
    if sp:
        m = re.match(rf"^point\.({_NUM})_({_NUM})", sp.strip())
        if m:
            lat_text, lon_text = m.group(1), m.group(2)
            return _from_pair(
                (float(lon_text), float(lat_text), _degree_precision(lat_text, lon_text)), notation
            )
    for key in ("where1", "q"):
        value = _first(query, key)
        if value:
            point = _try_degrees(value)
            if point is not None:
                return _renamed(point, notation)
    pair = _pair(_first(query, "cp"))
    if pair is not None:
        return _from_pair(pair, notation, viewport=True)
    raise _unparseable("the Bing Maps link holds no coordinates (no sp=point., where1= or cp=)")


def _parse_yandex(query: _Query) -> _Point:
    notation = "yandex-url"
    pt = _first(query, "pt")
    if pt:
        pieces = pt.split("~")[0].split(",")
        if len(pieces) >= 2:
            pair = _pair(f"{pieces[0]},{pieces[1]}", lon_first=True)
            if pair is not None:
                return _from_pair(pair, notation)
    pair = _pair(_first(query, "whatshere[point]"), lon_first=True)
    if pair is not None:
        return _from_pair(pair, notation)
    text = _first(query, "text")
    if text:
        point = _try_degrees(text)
        if point is not None:
            return _renamed(point, notation)
    pair = _pair(_first(query, "ll"), lon_first=True)
    if pair is not None:
        return _from_pair(pair, notation, viewport=True)
    raise _unparseable("the Yandex Maps link holds no coordinates (no pt= or ll=)")


def _parse_apple(query: _Query) -> _Point:
    notation = "apple-maps-url"
    for key in ("ll", "coordinate", "q", "sll", "center"):
        value = _first(query, key)
        if value:
            point = _try_degrees(value)
            if point is not None:
                return _renamed(point, notation, viewport=key == "center")
    raise _unparseable("the Apple Maps link holds no coordinates (no ll=, coordinate= or q=)")


_GEO_RE = re.compile(
    rf"^geo:\s*({_NUM})\s*,\s*({_NUM})(?:\s*,\s*([+-]?\d{{1,6}}(?:\.\d{{1,20}})?))?"
    r"((?:;[^;?#]{0,200}){0,10})(?:\?([^#]{0,1000}))?(?:#.*)?$",
    re.IGNORECASE | re.DOTALL,
)


def _parse_geo_uri(s: str) -> _Point:
    m = _GEO_RE.match(s)
    if not m:
        raise _unparseable("not a valid geo: URI (expected geo:lat,lon)")
    lat_text, lon_text = m.group(1), m.group(2)
    lat, lon = float(lat_text), float(lon_text)
    precision: float | None = _degree_precision(lat_text, lon_text)
    for param in (m.group(4) or "").split(";"):
        if not param:
            continue
        key, _, value = param.partition("=")
        key, value = key.strip().lower(), unquote(value.strip())
        if key == "crs" and value.lower() != "wgs84":
            raise _unparseable(f"geo: URIs in crs={value} are not supported (only wgs84)")
        if key == "u":
            try:
                uncertainty = float(value)
            except ValueError:
                raise _unparseable(f"the geo: URI uncertainty u={value} is not a number") from None
            if not math.isfinite(uncertainty) or uncertainty < 0:
                raise _unparseable(f"the geo: URI uncertainty u={value} is not a distance")
            precision = uncertainty
    if lat == 0 and lon == 0 and m.group(5):
        q = _first(parse_qs(m.group(5)), "q")
        if q:
            point = _try_degrees(_clean_query_value(q))
            if point is None:
                raise _unparseable("the geo: URI only names a place; it holds no coordinates")
            return _renamed(point, "geo-uri")
    return _Point(lon=lon, lat=lat, notation="geo-uri", precision_m=precision)


# ---------------------------------------------------------------------------
# WKT and GeoJSON

_WKT_NUM = r"[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,3})?"
_WKT_RE = re.compile(
    rf"^(?:SRID\s*=\s*(\d{{1,6}})\s*;\s*)?POINT\s*(ZM|Z|M)?\s*\(\s*({_WKT_NUM})\s+({_WKT_NUM})"
    rf"(?:\s+({_WKT_NUM}))?(?:\s+({_WKT_NUM}))?\s*\)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=32)
def _srid_transformer(srid: int) -> tuple[Transformer, float | None]:
    """Transformer from EPSG:*srid* to WGS 84 and the metres per CRS unit (None if angular)."""
    crs = CRS.from_epsg(srid)
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    if crs.is_geographic:
        return transformer, None
    axis = crs.axis_info[0] if crs.axis_info else None
    return transformer, (axis.unit_conversion_factor if axis else None)


def _parse_wkt(s: str) -> _Point:
    m = _WKT_RE.match(s.strip())
    if not m:
        if re.search(r"empty", s, re.IGNORECASE):
            raise _unparseable("an empty WKT point has no coordinates")
        raise _unparseable("not a valid WKT POINT (expected POINT (lon lat))")
    srid_text, dims = m.group(1), (m.group(2) or "").upper()
    numbers = [g for g in m.group(3, 4, 5, 6) if g is not None]
    expected = {"": (2, 3), "Z": (3,), "M": (3,), "ZM": (4,)}[dims]
    if len(numbers) not in expected:
        raise _unparseable(f"POINT {dims} needs {expected[0]} numbers, got {len(numbers)}")
    x_text, y_text = numbers[0], numbers[1]
    x, y = float(x_text), float(y_text)
    srid = int(srid_text) if srid_text else 4326
    if srid in (4326, 4979, 4258):
        return _Point(lon=x, lat=y, notation="wkt", precision_m=_degree_precision(x_text, y_text))
    try:
        transformer, metres_per_unit = _srid_transformer(srid)
        lon, lat = transformer.transform(x, y)
    except (CRSError, ProjError, ValueError, TypeError, OverflowError):
        raise _unparseable(f"SRID={srid} is not a coordinate system geoverify knows") from None
    if metres_per_unit is None:
        precision = _degree_precision(x_text, y_text)
    else:
        precision = metres_per_unit * 10.0 ** -min(_decimals(x_text), _decimals(y_text))
    return _Point(lon=float(lon), lat=float(lat), notation="wkt", precision_m=precision)


def _reject_json_constant(name: str) -> None:
    raise ValueError(f"{name} is not a coordinate")


def _parse_geojson(s: str) -> _Point:
    try:
        obj = json.loads(
            s, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_json_constant
        )
    except (ValueError, RecursionError):
        raise _unparseable("it starts with '{' but is not valid JSON") from None
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or obj.get("type") != "Point":
        raise _unparseable(
            "only GeoJSON Point geometries (or Features holding one) are coordinates"
        )
    coords = obj.get("coordinates")
    if (
        not isinstance(coords, list)
        or len(coords) not in (2, 3)
        or not all(isinstance(c, Decimal) for c in coords)
    ):
        raise _unparseable('a GeoJSON Point needs "coordinates": [lon, lat]')
    lon, lat = float(coords[0]), float(coords[1])
    precision = _degree_precision(str(coords[0]), str(coords[1]))
    return _Point(lon=lon, lat=lat, notation="geojson", precision_m=precision)


# ---------------------------------------------------------------------------
# formatting

_DEFAULT_DIGITS = {
    "decimal": 6,
    "decimal-hemisphere": 6,
    "dms": 1,
    "ddm": 3,
    "mgrs": 5,
    "utm": 0,
    "plus-code": 10,
}
_DIGIT_LIMITS = {
    "mgrs": (0, 5),
    "utm": (0, 6),
    "plus-code": (2, 15),
    "dms": (0, 6),
    "ddm": (0, 8),
}


def _fmt_sexagesimal(
    value: float, positive: str, negative: str, digits: int, with_seconds: bool
) -> str:
    hemi = positive if value >= 0 else negative
    scale = 10**digits
    per_degree = (3600 if with_seconds else 60) * scale
    total = round(abs(value) * per_degree)
    degrees, rest = divmod(total, per_degree)
    if with_seconds:
        minutes, seconds = divmod(rest, 60 * scale)
        whole, frac = divmod(seconds, scale)
        tail = f"{whole:02d}.{frac:0{digits}d}" if digits else f"{whole:02d}"
        return f"{degrees}\u00b0{minutes:02d}'{tail}\"{hemi}"
    whole, frac = divmod(rest, scale)
    tail = f"{whole:02d}.{frac:0{digits}d}" if digits else f"{whole:02d}"
    return f"{degrees}\u00b0{tail}'{hemi}"


def format_coordinates(lon: float, lat: float, notation: str, *, digits: int | None = None) -> str:
    """Write a point in one notation; :func:`parse_coordinates` reads it back.

    Parameters
    ----------
    lon, lat
        The point in degrees (WGS 84).
    notation
        One of :data:`FORMAT_NOTATIONS`.
    digits
        What "digits" means depends on the notation:

        * ``decimal``, ``decimal-hemisphere``, the URLs, ``geo-uri``, ``wkt``,
          ``geojson`` and ``iso6709``: decimal places of the degrees (default 6);
        * ``dms``: decimals of the seconds (default 1);
        * ``ddm``: decimals of the minutes (default 3);
        * ``mgrs``: digits per axis, 0 to 5 (default 5, a 1 m cell);
        * ``utm``: decimals of the metres (default 0);
        * ``plus-code``: code length, 2, 4, 6, 8 or 10 to 15 (default 10).

    Returns
    -------
    str
        The text. Free-text notations are written latitude first.

    Raises
    ------
    CoordinateError
        ``out-of-range`` if the point is not on the globe, or outside 80S-84N
        for ``mgrs`` and ``utm``.
    ValueError
        For an unknown notation or bad *digits*.
    """
    if notation not in FORMAT_NOTATIONS:
        raise ValueError(
            f"unknown notation {notation!r}; expected one of {', '.join(FORMAT_NOTATIONS)}"
        )
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int)):
        raise ValueError(f"digits must be an integer, got {digits!r}")
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        raise CoordinateError(
            OUT_OF_RANGE, f"({lon}, {lat}) is not a valid (lon, lat) point", _fmt_point(lon, lat)
        )
    d = _DEFAULT_DIGITS.get(notation, 6) if digits is None else digits
    low, high = _DIGIT_LIMITS.get(notation, (0, 15))
    if not low <= d <= high or (notation == "plus-code" and d < 10 and d % 2):
        raise ValueError(f"digits={d} is not valid for {notation}")
    writer = _WRITERS[notation]
    return writer(lon, lat, d)


def _write_decimal(lon: float, lat: float, d: int) -> str:
    return f"{lat:.{d}f}, {lon:.{d}f}"


def _write_decimal_hemisphere(lon: float, lat: float, d: int) -> str:
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.{d}f}\u00b0{ns} {abs(lon):.{d}f}\u00b0{ew}"


def _write_dms(lon: float, lat: float, d: int) -> str:
    return f"{_fmt_sexagesimal(lat, 'N', 'S', d, True)} {_fmt_sexagesimal(lon, 'E', 'W', d, True)}"


def _write_ddm(lon: float, lat: float, d: int) -> str:
    return (
        f"{_fmt_sexagesimal(lat, 'N', 'S', d, False)} {_fmt_sexagesimal(lon, 'E', 'W', d, False)}"
    )


def _write_utm(lon: float, lat: float, d: int) -> str:
    zone, band, easting, northing = _to_utm(lon, lat)
    return f"{zone}{band} {easting:.{d}f} {northing:.{d}f}"


def _write_plus_code(lon: float, lat: float, d: int) -> str:
    return _olc_encode(lat, lon, d)


def _write_google(lon: float, lat: float, d: int) -> str:
    return f"https://www.google.com/maps/search/?api=1&query={lat:.{d}f},{lon:.{d}f}"


def _write_osm(lon: float, lat: float, d: int) -> str:
    la, lo = f"{lat:.{d}f}", f"{lon:.{d}f}"
    return f"https://www.openstreetmap.org/?mlat={la}&mlon={lo}#map=17/{la}/{lo}"


def _write_bing(lon: float, lat: float, d: int) -> str:
    la, lo = f"{lat:.{d}f}", f"{lon:.{d}f}"
    return f"https://www.bing.com/maps?cp={la}~{lo}&lvl=17&sp=point.{la}_{lo}"


def _write_yandex(lon: float, lat: float, d: int) -> str:
    la, lo = f"{lat:.{d}f}", f"{lon:.{d}f}"
    return f"https://yandex.com/maps/?ll={lo},{la}&pt={lo},{la}&z=17"


def _write_apple(lon: float, lat: float, d: int) -> str:
    return f"https://maps.apple.com/?ll={lat:.{d}f},{lon:.{d}f}"


def _write_geo(lon: float, lat: float, d: int) -> str:
    return f"geo:{lat:.{d}f},{lon:.{d}f}"


def _write_wkt(lon: float, lat: float, d: int) -> str:
    return f"POINT ({lon:.{d}f} {lat:.{d}f})"


def _write_iso6709(lon: float, lat: float, d: int) -> str:
    width = d + 1 if d else 0
    return f"{lat:+0{width + 3}.{d}f}{lon:+0{width + 4}.{d}f}/"


def _write_geojson(lon: float, lat: float, d: int) -> str:
    return f'{{"type": "Point", "coordinates": [{lon:.{d}f}, {lat:.{d}f}]}}'


_WRITERS: dict[str, Callable[[float, float, int], str]] = {
    "decimal": _write_decimal,
    "decimal-hemisphere": _write_decimal_hemisphere,
    "dms": _write_dms,
    "ddm": _write_ddm,
    "mgrs": lambda lon, lat, d: _format_mgrs(lon, lat, d),
    "utm": _write_utm,
    "plus-code": _write_plus_code,
    "google-maps-url": _write_google,
    "osm-url": _write_osm,
    "bing-url": _write_bing,
    "yandex-url": _write_yandex,
    "apple-maps-url": _write_apple,
    "geo-uri": _write_geo,
    "wkt": _write_wkt,
    "geojson": _write_geojson,
    "iso6709": _write_iso6709,
}
