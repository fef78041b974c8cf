"""Dataset checks that look at one value or at rows side by side: dates, source URLs, the
precision of coordinates, repeated rows and frames placed in two places.

Pure functions on plain values: they return what is wrong (messages, pairs of rows), and
:mod:`geoverify.validation.validation` turns that into findings.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Hashable, Sequence
from urllib.parse import urlsplit

# ---------------------------------------------------------------------------
# dates

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_NUMERIC_FORMATS = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[.](\d{1,2})[.](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{1,2})[.](\d{1,2})[.](\d{2})"), ("d", "m", "yy")),
    (re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), ("y", "m", "d")),
    (re.compile(r"(\d{4})[-/.](\d{1,2})"), ("y", "m")),
    (re.compile(r"(\d{4})"), ("y",)),
)
_NAMED = (
    re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})"),  # 22 May 2023
    re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"),  # May 22, 2023
    re.compile(r"([A-Za-z]+)\.?,?\s+(\d{4})"),  # May 2023
)
_TIME_TAIL = re.compile(r"(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?")


def parse_date(text: str) -> _dt.date | None:
    """The calendar date a date cell names (its first day for a month or a year), or ``None``.

    Read: ISO dates and date-times (``2023-05-22``, ``2023-05-22T10:00:00Z``), ``2023/05/22``,
    ``20230522``, ``22.05.2023``, ``22.05.23``, ``22/05/2023`` (day first, else month first),
    ``2023-05``, ``2023``, ``22 May 2023``, ``May 22, 2023``, ``May 2023``.
    """
    s = str(text).strip()
    if not s:
        return None
    try:
        return _dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for rx, order in _NUMERIC_FORMATS:
        m = rx.fullmatch(s) or _with_time(rx, s)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups())))
            if "yy" in parts:
                parts["y"] = 2000 + parts.pop("yy")
            d = _make(parts.get("y"), parts.get("m", 1), parts.get("d", 1))
            if d is None and order[:2] == ("d", "m"):
                d = _make(parts.get("y"), parts.get("d", 1), parts.get("m", 1))  # month first
            return d
    for i, rx in enumerate(_NAMED):
        m = rx.fullmatch(s) or _with_time(rx, s)
        if not m:
            continue
        g = m.groups()
        if i == 0:
            day, month, year = int(g[0]), _MONTHS.get(g[1].lower()), int(g[2])
        elif i == 1:
            month, day, year = _MONTHS.get(g[0].lower()), int(g[1]), int(g[2])
        else:
            month, day, year = _MONTHS.get(g[0].lower()), 1, int(g[1])
        if month is None:
            return None
        return _make(year, month, day)
    return None


def _with_time(rx: re.Pattern, s: str):
    m = rx.match(s)
    if m and _TIME_TAIL.fullmatch(s[m.end():]) and s[m.end():].strip():
        return m
    return None


def _make(y: int | None, m: int, d: int) -> _dt.date | None:
    if y is None or y < 1:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def date_problem(text: str, min_date: _dt.date, max_date: _dt.date) -> str | None:
    """What is wrong with a date cell (``None`` when it is a plausible date)."""
    s = str(text).strip()
    digits = s.isdigit()
    d = parse_date(s)
    if d is None:
        if digits and 15 <= len(s) <= 20:
            return (f"{s!r} is a {len(s)}-digit number, not a date (it looks like a post or "
                    "tweet id pasted into the date column); write the date as YYYY-MM-DD")
        if digits:
            return f"{s!r} is a number, not a date; write the date as YYYY-MM-DD"
        return f"{s!r} is not a date this tool can read; write it as YYYY-MM-DD"
    if d < min_date:
        return (f"{s!r} is before {min_date.isoformat()}, the start of the dataset's plausible "
                "range; fix the date (or set min_date in the configuration)")
    if d > max_date:
        return (f"{s!r} is in the future (after {max_date.isoformat()}); fix the date")
    return None


# ---------------------------------------------------------------------------
# source URLs

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
#: Host names: dot-separated labels of letters, digits, ``-`` and ``_`` (seen in real
#: subdomains), not starting or ending with ``-``; a trailing dot is allowed.
_HOST = re.compile(r"\w(?:[\w\-]*\w)?(?:\.\w(?:[\w\-]*\w)?)*\.?")


def url_problem(text: str, *, require_url: bool = True) -> str | None:
    """What is wrong with a source cell (``None`` when every link in it is an http(s) URL with a
    host). Several links may be separated by white space. With ``require_url=False`` text
    without a scheme (a plain citation) is accepted."""
    parts = [p.rstrip(",;") for p in str(text).split()]
    parts = [p for p in parts if p]
    if not parts:
        return None
    for part in parts:
        m = _SCHEME.match(part)
        if m is None or (m.group(1).isdigit()):
            if require_url or part.lower().startswith(("www.", "//")):
                return (f"{part!r} is not a link; a source must be an http:// or https:// URL"
                        + ("" if require_url else " (or plain text without a link)"))
            continue
        scheme = m.group(1).lower()
        if scheme not in ("http", "https"):
            return (f"{part!r} uses the {scheme}: scheme; only http:// and https:// links are "
                    "accepted as sources")
        if any(ord(c) < 32 or c == "\x7f" for c in part):
            return f"{part!r} contains control characters; fix the link"
        try:
            u = urlsplit(part)
            host = u.hostname
            u.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            return f"{part!r} is not a valid URL (bad host or port); fix the link"
        if not u.netloc or not host:
            return f"{part!r} has no host name; a source must be a full URL such as https://example.org/..."
        if not (host.startswith("[") or _HOST.fullmatch(host) or _is_ipv6(host)):
            return f"{part!r} has an invalid host name {host!r}; fix the link"
    return None


def _is_ipv6(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(host)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------
# precision

_NUM_DOT_OR_COMMA = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_NUM_DOT = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def decimals(text: str) -> int | None:
    """Decimals written in one plain number (``50.430`` -> 3, ``50`` -> 0), else ``None``."""
    s = str(text).strip().replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(?:\.\d*)?", s):
        return None
    return len(s.split(".", 1)[1]) if "." in s else 0


def coordinate_decimals(lat_text: str | None, lon_text: str | None, coordinates_text: str | None,
                        notation: str | None) -> int | None:
    """The fewest decimals of a row's latitude and longitude as written, or ``None`` when the
    notation says nothing about it (DMS, MGRS, a map URL...)."""
    if lat_text is not None and lon_text is not None:
        a, b = decimals(lat_text), decimals(lon_text)
        if a is not None and b is not None:
            return min(a, b)
    if coordinates_text is None:
        return None
    if notation in ("decimal", "decimal-hemisphere"):
        nums = _NUM_DOT_OR_COMMA.findall(coordinates_text)
    elif notation == "geojson":
        nums = _NUM_DOT.findall(coordinates_text.split('"coordinates"', 1)[-1])
        if any("e" in n.lower() for n in nums[:2]):
            return None
    else:
        return None
    if len(nums) < 2:
        return None
    ds = [decimals(n) for n in nums[:2]]
    return None if None in ds else min(ds)  # type: ignore[type-var]


def low_precision_rows(decs: Sequence[int | None], low: int, precise: int,
                       min_others: int = 3) -> list[int]:
    """Indexes of rows with at most ``low`` decimals while the median of the *other* rows'
    decimals is at least ``precise``."""
    known = [d for d in decs if d is not None]
    if len(known) < min_others + 1:
        return []
    ordered = sorted(known)
    median_without: dict[int, float] = {}
    for d in set(ordered):
        rest = list(ordered)
        rest.remove(d)
        n = len(rest)
        median_without[d] = (rest[n // 2] if n % 2 else (rest[n // 2 - 1] + rest[n // 2]) / 2)
    return [i for i, d in enumerate(decs)
            if d is not None and d <= low and median_without[d] >= precise]


# ---------------------------------------------------------------------------
# rows side by side


def duplicate_rows(keys: Sequence[Hashable]) -> dict[int, int]:
    """Later row index -> index of the first row with the same key."""
    first: dict[Hashable, int] = {}
    out: dict[int, int] = {}
    for i, k in enumerate(keys):
        if k in first:
            out[i] = first[k]
        else:
            first[k] = i
    return out


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres on a sphere of radius 6,371,008.8 m."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def conflicting_rows(groups: Sequence[Hashable | None], lon: Sequence[float], lat: Sequence[float],
                     precision_m: Sequence[float], tolerance_m: float
                     ) -> list[tuple[int, int, float, float]]:
    """``(later, earlier, distance_m, allowed_m)`` for rows of the same group (same source and
    frame) placed farther apart than their precision plus ``tolerance_m``. Rows with group
    ``None`` or without a point take no part; each later row is paired with the first earlier
    row it conflicts with."""
    members: dict[Hashable, list[int]] = {}
    out = []
    for i, g in enumerate(groups):
        if g is None or math.isnan(lon[i]) or math.isnan(lat[i]):
            continue
        for j in members.get(g, []):
            d = haversine_m(lon[i], lat[i], lon[j], lat[j])
            allowed = max(precision_m[i], precision_m[j]) + tolerance_m
            if d > allowed:
                out.append((i, j, d, allowed))
                break
        members.setdefault(g, []).append(i)
    return out


__all__ = ["conflicting_rows", "coordinate_decimals", "date_problem", "decimals",
           "duplicate_rows", "haversine_m", "low_precision_rows", "parse_date", "url_problem"]
