"""Tests for :mod:`geoverify.coords`.

Expected points are worked out independently of the code under test: by hand
arithmetic in the tables below (degrees + minutes / 60 + seconds / 3600, plus
code digit values), with the PyPI ``mgrs`` package and pyproj for MGRS, and
with pyproj Transformers for UTM and projected WKT.
"""

from __future__ import annotations

import math
from typing import Any

import mgrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geoverify.coords import (
    FORMAT_NOTATIONS,
    METRES_PER_DEGREE,
    NOTATIONS,
    Coordinate,
    format_coordinates,
    parse_coordinates,
)
from geoverify.errors import CoordinateError

UNPARSEABLE = "unparseable-coordinates"
OUT_OF_RANGE = "out-of-range"
TOLERANCE_DEG = 1e-6

# Grayvoron checkpoint, the running example.
G_LAT, G_LON = 50.43005, 35.59057
_GEOD = Geod(ellps="WGS84")


def dms(degrees: float, minutes: float = 0.0, seconds: float = 0.0) -> float:
    """Hand arithmetic for sexagesimal degrees."""
    return degrees + minutes / 60 + seconds / 3600


def utm_point(zone: int, north: bool, easting: float, northing: float) -> tuple[float, float]:
    """(lon, lat) of a UTM coordinate, straight from pyproj."""
    epsg = (32600 if north else 32700) + zone
    transformer = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(easting, northing)
    return float(lon), float(lat)


def mgrs_cell_centre(reference: str) -> tuple[float, float]:
    """(lon, lat) of the CENTRE of an MGRS cell, via the ``mgrs`` package and pyproj.

    ``mgrs`` gives the cell's UTM position; it is snapped to the cell's
    south-west corner and moved by half a cell, so the expectation does not
    depend on whether the package returns the corner or the centre.
    """
    zone, hemisphere, easting, northing = mgrs.MGRS().MGRSToUTM(reference)
    letters_end = 5 if reference[1].isdigit() else 4
    digits = (len(reference) - letters_end) // 2
    size = 10 ** (5 - digits)
    easting = (easting // size) * size + size / 2
    northing = (northing // size) * size + size / 2
    return utm_point(zone, hemisphere == "N", easting, northing)


G_DMS_LAT, G_DMS_LON = dms(50, 25, 48.2), dms(35, 35, 26.1)
G_DMS0_LAT, G_DMS0_LON = dms(50, 25, 48), dms(35, 35, 26)
G_DDM_LAT, G_DDM_LON = dms(50, 25.803), dms(35, 35.434)

# Plus codes by hand: latitude digits at 20, 1, 0.05, 0.0025, 0.000125 degrees
# from -90, longitude digits likewise from -180; alphabet 23456789CFGHJMPQRVWX
# (2 = 0 ... X = 19); the centre is half a cell further on.
KYIV_PLUS_LAT = -90 + 7 * 20 + 0 * 1 + 9 * 0.05 + 0 * 0.0025 + 0 * 0.000125 + 0.000125 / 2
KYIV_PLUS_LON = -180 + 10 * 20 + 10 * 1 + 10 * 0.05 + 9 * 0.0025 + 7 * 0.000125 + 0.000125 / 2
ZURICH_PLUS_LAT = -90 + 6 * 20 + 17 * 1 + 7 * 0.05 + 6 * 0.0025 + 4 * 0.000125 + 0.000125 / 2
ZURICH_PLUS_LON = -180 + 9 * 20 + 8 * 1 + 10 * 0.05 + 9 * 0.0025 + 18 * 0.000125 + 0.000125 / 2
# 11th character X = 19 = row 4, column 3 of the 5 x 4 grid refinement.
KYIV11_LAT = -90 + 140 + 9 * 0.05 + 4 * (0.000125 / 5) + (0.000125 / 5) / 2
KYIV11_LON = (
    -180 + 200 + 10 + 0.5 + 9 * 0.0025 + 7 * 0.000125 + 3 * (0.000125 / 4) + (0.000125 / 4) / 2
)

# (text, expected lon, expected lat, expected notation)
VALID: list[Any] = [
    # --- plain decimal, lat first
    ("50.43005, 35.59057", G_LON, G_LAT, "decimal"),
    ("50.43005 35.59057", G_LON, G_LAT, "decimal"),
    ("50.43005,35.59057", G_LON, G_LAT, "decimal"),
    ("  50.43005 ,  35.59057  ", G_LON, G_LAT, "decimal"),
    ("50.43005,35.59057,", G_LON, G_LAT, "decimal"),
    ("50,43005; 35,59057", G_LON, G_LAT, "decimal"),
    ("50,43005 35,59057", G_LON, G_LAT, "decimal"),
    ("50.43005°, 35.59057°", G_LON, G_LAT, "decimal"),
    ("(50.43005, 35.59057)", G_LON, G_LAT, "decimal"),
    ("[50.43005, 35.59057]", G_LON, G_LAT, "decimal"),
    ("'50.43005, 35.59057'", G_LON, G_LAT, "decimal"),
    ('"50.43005, 35.59057"', G_LON, G_LAT, "decimal"),
    ("\u200e50.43005, 35.59057\u00a0", G_LON, G_LAT, "decimal"),
    ("-33.8688, 151.2093", 151.2093, -33.8688, "decimal"),
    ("+46.6354, +32.6169", 32.6169, 46.6354, "decimal"),
    ("47.0951; 37.5413", 37.5413, 47.0951, "decimal"),
    ("−33.8688, 151.2093", 151.2093, -33.8688, "decimal"),
    ("Lat: 48.5953, Lon: 37.9999", 37.9999, 48.5953, "decimal"),
    ("lon=37.9999 lat=48.5953", 37.9999, 48.5953, "decimal"),
    # --- |first| > 90: read as lon, lat (with a possibly-swapped warning)
    ("151.2093, -33.8688", 151.2093, -33.8688, "decimal"),
    ("91, 30", 91.0, 30.0, "decimal"),
    # --- decimal with hemisphere letters
    ("50.43005N 35.59057E", G_LON, G_LAT, "decimal-hemisphere"),
    ("N50.43005 E35.59057", G_LON, G_LAT, "decimal-hemisphere"),
    ("35.59057E 50.43005N", G_LON, G_LAT, "decimal-hemisphere"),
    ("50.43005° N, 35.59057° E", G_LON, G_LAT, "decimal-hemisphere"),
    ("33.8688 S 151.2093 E", 151.2093, -33.8688, "decimal-hemisphere"),
    ("40.7128N 74.0060W", -74.0060, 40.7128, "decimal-hemisphere"),
    ("W74.0060 N40.7128", -74.0060, 40.7128, "decimal-hemisphere"),
    ("Пн 50.45 Сх 30.52", 30.52, 50.45, "decimal-hemisphere"),
    ("50.45 north, 30.52 east", 30.52, 50.45, "decimal-hemisphere"),
    # --- degrees, minutes, seconds
    ("50°25'48.2\"N 35°35'26.1\"E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50 25 48.2 N, 35 35 26.1 E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50°25′48.2″N 35°35′26.1″E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50°25’48.2”N 35°35’26.1”E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50°25'48.2''N 35°35'26.1''E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("N 50° 25' 48.2\" E 35° 35' 26.1\"", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50°25'48.2\" 35°35'26.1\"", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50 25 48,2 N, 35 35 26,1 E", G_DMS_LON, G_DMS_LAT, "dms"),
    ("50°25′48″ с.ш. 35°35′26″ в.д.", G_DMS0_LON, G_DMS0_LAT, "dms"),
    ("50°25′48″ пн. ш. 35°35′26″ сх. д.", G_DMS0_LON, G_DMS0_LAT, "dms"),
    ("С 50°25′48″ В 35°35′26″", G_DMS0_LON, G_DMS0_LAT, "dms"),
    ("50°25′48″ ю.ш. 35°35′26″ з.д.", -G_DMS0_LON, -G_DMS0_LAT, "dms"),
    ("50°25′48″ пд. ш. 35°35′26″ зх. д.", -G_DMS0_LON, -G_DMS0_LAT, "dms"),
    ("33°52'7.7\"S 151°12'33.5\"E", dms(151, 12, 33.5), -dms(33, 52, 7.7), "dms"),
    ("-50°25'48.2\", 35°35'26.1\"", G_DMS_LON, -G_DMS_LAT, "dms"),
    # --- degrees, decimal minutes
    ("50°25.803'N 35°35.434'E", G_DDM_LON, G_DDM_LAT, "ddm"),
    ("N 50° 25.803' E 35° 35.434'", G_DDM_LON, G_DDM_LAT, "ddm"),
    ("50 25.803 N 35 35.434 E", G_DDM_LON, G_DDM_LAT, "ddm"),
    ("48°35.718′ N 37°59.994′ E", dms(37, 59.994), dms(48, 35.718), "ddm"),
    ("50°25,803'N 35°35,434'E", G_DDM_LON, G_DDM_LAT, "ddm"),
    # --- MGRS: the expectation is the CENTRE of the grid cell
    ("37U CQ 12345 67890", *mgrs_cell_centre("37UCQ1234567890"), "mgrs"),
    ("36UXA12345678", *mgrs_cell_centre("36UXA12345678"), "mgrs"),
    ("36U XA 1234 5678", *mgrs_cell_centre("36UXA12345678"), "mgrs"),
    ("36UXA839896", *mgrs_cell_centre("36UXA839896"), "mgrs"),
    ("36uxa 83985 89654", *mgrs_cell_centre("36UXA8398589654"), "mgrs"),
    ("MGRS: 37UCR0149741584", *mgrs_cell_centre("37UCR0149741584"), "mgrs"),
    ("37U DP 2625 8295", *mgrs_cell_centre("37UDP26258295"), "mgrs"),
    ("36TVS706647", *mgrs_cell_centre("36TVS706647"), "mgrs"),
    ("36R XV 39 86", *mgrs_cell_centre("36RXV3986"), "mgrs"),
    ("37SBT41", *mgrs_cell_centre("37SBT41"), "mgrs"),
    ("56HLH", *mgrs_cell_centre("56HLH"), "mgrs"),
    ("21HUB7331770036", *mgrs_cell_centre("21HUB7331770036"), "mgrs"),
    ("33XWG14278335", *mgrs_cell_centre("33XWG14278335"), "mgrs"),
    ("32VKN973006", *mgrs_cell_centre("32VKN973006"), "mgrs"),
    ("17MQV8180", *mgrs_cell_centre("17MQV8180"), "mgrs"),
    ("06VUN4424790536", *mgrs_cell_centre("06VUN4424790536"), "mgrs"),
    # --- UTM
    ("36U 412345 5587654", *utm_point(36, True, 412345, 5587654), "utm"),
    ("36N 412345 5587654", *utm_point(36, True, 412345, 5587654), "utm"),
    ("36U 412345mE 5587654mN", *utm_point(36, True, 412345, 5587654), "utm"),
    ("37S 412345 3587654", *utm_point(37, True, 412345, 3587654), "utm"),
    ("56H 334368 6250948", *utm_point(56, False, 334368, 6250948), "utm"),
    ("56S 334368 6250948", *utm_point(56, False, 334368, 6250948), "utm"),
    # --- plus codes (centre of the code area)
    ("9G2GFG2F+29", KYIV_PLUS_LON, KYIV_PLUS_LAT, "plus-code"),
    ("9g2gfg2f+29", KYIV_PLUS_LON, KYIV_PLUS_LAT, "plus-code"),
    ("9G2GFG2F+29 Kyiv, Ukraine", KYIV_PLUS_LON, KYIV_PLUS_LAT, "plus-code"),
    ("8FVC9G8F+6W", ZURICH_PLUS_LON, ZURICH_PLUS_LAT, "plus-code"),
    ("9G2GFG2F+29X", KYIV11_LON, KYIV11_LAT, "plus-code"),
    ("9G2G0000+", -180 + 200 + 10 + 0.5, -90 + 140 + 0.5, "plus-code"),
    # --- Google Maps
    ("https://www.google.com/maps/@50.43005,35.59057,15z", G_LON, G_LAT, "google-maps-url"),
    ("https://www.google.com/maps?q=50.43005,35.59057", G_LON, G_LAT, "google-maps-url"),
    ("https://www.google.com/maps?ll=50.43005,35.59057&z=15", G_LON, G_LAT, "google-maps-url"),
    (
        (
            "https://www.google.com/maps/place/Grayvoron/@50.4,35.5,17z/data=!3m1!4b1!4m6!3m5"
            "!1s0x0:0x0!8m2!3d50.43005!4d35.59057!16s%2Fm%2F0abc"
        ),
        G_LON,
        G_LAT,
        "google-maps-url",
    ),
    ("maps.google.com/?q=50.43005,35.59057", G_LON, G_LAT, "google-maps-url"),
    (
        "https://www.google.com/maps/search/?api=1&query=50.43005%2C35.59057",
        G_LON,
        G_LAT,
        "google-maps-url",
    ),
    (
        (
            "https://www.google.com/maps/place/50%C2%B025'48.2%22N+35%C2%B035'26.1%22E"
            "/@50.4300548,35.5883951,17z"
        ),
        G_DMS_LON,
        G_DMS_LAT,
        "google-maps-url",
    ),
    (
        "https://www.google.com.ua/maps/@50.43005,35.59057,3a,75y,90t/data=!3m6!1e1",
        G_LON,
        G_LAT,
        "google-maps-url",
    ),
    # --- OpenStreetMap
    ("https://www.openstreetmap.org/#map=17/50.43005/35.59057", G_LON, G_LAT, "osm-url"),
    (
        "https://www.openstreetmap.org/?mlat=50.43005&mlon=35.59057#map=12/50.4/35.5",
        G_LON,
        G_LAT,
        "osm-url",
    ),
    # --- Bing
    ("https://www.bing.com/maps?cp=50.43005~35.59057&lvl=15", G_LON, G_LAT, "bing-url"),
    ("https://www.bing.com/maps?where1=50.43005%2C35.59057", G_LON, G_LAT, "bing-url"),
    (
        "https://www.bing.com/maps?sp=point.50.43005_35.59057_Checkpoint&cp=50.4~35.5",
        G_LON,
        G_LAT,
        "bing-url",
    ),
    # --- Yandex: longitude first
    ("https://yandex.ru/maps/?ll=35.59057%2C50.43005&z=15", G_LON, G_LAT, "yandex-url"),
    ("https://yandex.ru/maps/?ll=35.5,50.4&pt=35.59057,50.43005&z=15", G_LON, G_LAT, "yandex-url"),
    # --- Apple Maps
    ("https://maps.apple.com/?ll=50.43005,35.59057", G_LON, G_LAT, "apple-maps-url"),
    ("https://maps.apple.com/?q=50.43005,35.59057", G_LON, G_LAT, "apple-maps-url"),
    ("https://maps.apple.com/?q=Checkpoint&sll=50.43005,35.59057", G_LON, G_LAT, "apple-maps-url"),
    # --- geo: URIs
    ("geo:50.43005,35.59057", G_LON, G_LAT, "geo-uri"),
    ("geo:50.43005,35.59057;u=30", G_LON, G_LAT, "geo-uri"),
    ("geo:50.43005,35.59057,120;crs=wgs84", G_LON, G_LAT, "geo-uri"),
    ("geo:0,0?q=50.43005,35.59057(Checkpoint)", G_LON, G_LAT, "geo-uri"),
    # --- WKT
    ("POINT (35.59057 50.43005)", G_LON, G_LAT, "wkt"),
    ("POINT(35.59057 50.43005)", G_LON, G_LAT, "wkt"),
    ("SRID=4326;POINT(35.59057 50.43005)", G_LON, G_LAT, "wkt"),
    ("POINT Z (35.59057 50.43005 120)", G_LON, G_LAT, "wkt"),
    ("point z(35.59057 50.43005 120)", G_LON, G_LAT, "wkt"),
    # --- ISO 6709 (photo/video metadata)
    ("+50.43005+035.59057/", G_LON, G_LAT, "iso6709"),
    ("+50.43005+035.59057+150.5/", G_LON, G_LAT, "iso6709"),
    ("+5025.803+03535.434/", G_DDM_LON, G_DDM_LAT, "iso6709"),
    ("+502548.2+0353526.1/", G_DMS_LON, G_DMS_LAT, "iso6709"),
    ("-3352.128+15112.558/", dms(151, 12.558), -dms(33, 52.128), "iso6709"),
    ("50 deg 25' 48.20\" N, 35 deg 35' 26.10\" E", G_DMS_LON, G_DMS_LAT, "dms"),
    # --- GeoJSON
    ('{"type":"Point","coordinates":[35.59057,50.43005]}', G_LON, G_LAT, "geojson"),
    (
        (
            '{"type": "Feature", "properties": {}, '
            '"geometry": {"type": "Point", "coordinates": [35.59057, 50.43005, 120]}}'
        ),
        G_LON,
        G_LAT,
        "geojson",
    ),
]

_WEB_MERCATOR = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
VALID.append(
    ("SRID=3857;POINT(3961967 6521960)", *_WEB_MERCATOR.transform(3961967, 6521960), "wkt")
)

# (text, expected code)
INVALID: list[tuple[str, str]] = [
    ("", UNPARSEABLE),
    ("   ", UNPARSEABLE),
    ("()", UNPARSEABLE),
    ("hello world", UNPARSEABLE),
    ("Grayvoron checkpoint", UNPARSEABLE),
    ("50.43005", UNPARSEABLE),
    ("50.43005 N", UNPARSEABLE),
    ("N 50° 25' 48.2\"", UNPARSEABLE),
    ("50.43, 35.59, 120", UNPARSEABLE),
    ("50.43005 N 35.59057 S", UNPARSEABLE),
    ("-50.43 S, 35.59 E", UNPARSEABLE),
    ("50°25'48.2\"N 35°35'26.1\"E; 12", UNPARSEABLE),
    ("25'48\" N, 35°35'26\" E", UNPARSEABLE),
    ("NaN, NaN", UNPARSEABLE),
    ("inf, -inf", UNPARSEABLE),
    (",50.43005,35.59057", UNPARSEABLE),
    ("50,43005,35,59057", UNPARSEABLE),
    ("1e5, 3", UNPARSEABLE),
    ("x" * 100_000, UNPARSEABLE),
    ("50.43005, 35.59057 " * 6000, UNPARSEABLE),
    ("91 N, 30 E", OUT_OF_RANGE),
    ("lat 91, lon 30", OUT_OF_RANGE),
    ("50, 181", OUT_OF_RANGE),
    ("-91, 200", OUT_OF_RANGE),
    ("50°61'N 35°00'E", OUT_OF_RANGE),
    ("50°25'61\"N 35°35'26\"E", OUT_OF_RANGE),
    ("50 60 00 N, 35 00 00 E", OUT_OF_RANGE),
    ("https://maps.app.goo.gl/AbCdEf123", UNPARSEABLE),
    ("https://goo.gl/maps/AbCdEf123", UNPARSEABLE),
    ("https://yandex.ru/maps/-/CCUabcd", UNPARSEABLE),
    ("https://www.google.com/maps/place/Kyiv", UNPARSEABLE),
    ("https://example.com/?q=50.43,35.59", UNPARSEABLE),
    ("https://www.openstreetmap.org/node/123", UNPARSEABLE),
    ("FG2F+29", UNPARSEABLE),
    ("FG2F+29 Kyiv", UNPARSEABLE),
    ("9G2GFG2F+2", UNPARSEABLE),
    ("9G2G00FG+", UNPARSEABLE),
    ("XG2GFG2F+29", OUT_OF_RANGE),
    ("36UXA123", UNPARSEABLE),
    ("36U XA 123 45", UNPARSEABLE),
    ("36UAA1234", UNPARSEABLE),
    ("36UXI1234", UNPARSEABLE),
    ("36ZXA1234", UNPARSEABLE),
    ("32XNS1234", OUT_OF_RANGE),
    ("61U XA 1234 5678", OUT_OF_RANGE),
    ("36U 412345 9587654", OUT_OF_RANGE),
    ("61U 412345 5587654", OUT_OF_RANGE),
    ("POINT EMPTY", UNPARSEABLE),
    ("POINT (35.59)", UNPARSEABLE),
    ("POINT Z (35.59 50.43)", UNPARSEABLE),
    ("SRID=999999;POINT(1 2)", UNPARSEABLE),
    ("POINT (200 50)", OUT_OF_RANGE),
    ('{"type":"LineString","coordinates":[[0,0],[1,1]]}', UNPARSEABLE),
    ('{"type":"Point","coordinates":[NaN, 1]}', UNPARSEABLE),
    ('{"type":"Point","coordinates":["35.5", "50.4"]}', UNPARSEABLE),
    ('{"type":', UNPARSEABLE),
    ('{"type":"Point","coordinates":[35.59, 95.0]}', OUT_OF_RANGE),
    ("geo:50.43,35.59;crs=epsg3857", UNPARSEABLE),
    ("geo:0,0?q=Grayvoron", UNPARSEABLE),
    ("geo:95,35", OUT_OF_RANGE),
    ("+5061.803+03535.434/", OUT_OF_RANGE),
    ("+95.0+035.0/", OUT_OF_RANGE),
]


# ---------------------------------------------------------------------------
# the table


@pytest.mark.parametrize(
    ("text", "lon", "lat", "notation"), VALID, ids=[str(v[0])[:50] for v in VALID]
)
def test_parse_coordinates__valid_table(text: str, lon: float, lat: float, notation: str) -> None:
    coord = parse_coordinates(text)
    assert isinstance(coord, Coordinate)
    assert coord.lon == pytest.approx(lon, abs=TOLERANCE_DEG)
    assert coord.lat == pytest.approx(lat, abs=TOLERANCE_DEG)
    assert coord.notation == notation
    assert coord.notation in NOTATIONS
    assert coord.text == text
    assert coord.precision_m is None or coord.precision_m > 0


def test_parse_coordinates__table_sizes() -> None:
    assert len(VALID) >= 60
    assert len(INVALID) >= 20
    assert {v[3] for v in VALID} == set(NOTATIONS)


@pytest.mark.parametrize(("text", "code"), INVALID, ids=[t[:40] for t, _ in INVALID])
def test_parse_coordinates__invalid_table(text: str, code: str) -> None:
    with pytest.raises(CoordinateError) as info:
        parse_coordinates(text)
    assert info.value.code == code
    assert info.value.value == text
    shown = text if len(text) <= 80 else text[:77]
    assert shown.strip()[:20] in info.value.message or not text.strip()


# ---------------------------------------------------------------------------
# specific behaviour


def test_parse_coordinates__swapped_order_warns() -> None:
    coord = parse_coordinates("151.2093, -33.8688")
    assert [code for code, _ in coord.warnings] == ["possibly-swapped"]
    assert parse_coordinates("-33.8688, 151.2093").warnings == ()


def test_parse_coordinates__ambiguous_plain_decimal_is_lat_lon() -> None:
    coord = parse_coordinates("35.59057, 50.43005")
    assert (coord.lon, coord.lat) == (50.43005, 35.59057)
    assert coord.warnings == ()


def test_parse_coordinates__hemisphere_letters_fix_order() -> None:
    coord = parse_coordinates("35.59057E 50.43005N")
    assert (coord.lon, coord.lat) == (G_LON, G_LAT)
    coord = parse_coordinates("35.59057 E, 50.43005 S")
    assert (coord.lon, coord.lat) == (G_LON, -G_LAT)


def test_parse_coordinates__grayvoron_mgrs_100m() -> None:
    reference = mgrs.MGRS().toMGRS(G_LAT, G_LON, MGRSPrecision=3)
    assert reference == "36UXA839896"
    coord = parse_coordinates(reference)
    assert coord.notation == "mgrs"
    assert coord.precision_m == 100
    # The point is the cell centre: within half the cell's diagonal of the checkpoint.
    _, _, distance = _GEOD.inv(G_LON, G_LAT, coord.lon, coord.lat)
    assert distance <= 100 * math.sqrt(2) / 2


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("36UXA8398589654", 1),
        ("36UXA83988965", 10),
        ("36UXA839896", 100),
        ("36UXA8389", 1_000),
        ("36UXA88", 10_000),
        ("36UXA", 100_000),
    ],
)
def test_parse_coordinates__mgrs_precision_is_cell_size(text: str, precision: float) -> None:
    coord = parse_coordinates(text)
    assert coord.precision_m == precision
    assert (coord.lon, coord.lat) == pytest.approx(mgrs_cell_centre(text), abs=TOLERANCE_DEG)


def test_parse_coordinates__precision_rules() -> None:
    assert parse_coordinates("50.43005, 35.59057").precision_m == pytest.approx(1.1132)
    assert parse_coordinates("50.4, 35.6").precision_m == pytest.approx(11_132)
    assert parse_coordinates("50, 35.59057").precision_m == pytest.approx(111_320)
    assert parse_coordinates("50°25'48.2\"N 35°35'26.1\"E").precision_m == pytest.approx(
        111_320 / 36_000
    )
    assert parse_coordinates("50°25'48\"N 35°35'26\"E").precision_m == pytest.approx(111_320 / 3600)
    assert parse_coordinates("50°25.803'N 35°35.434'E").precision_m == pytest.approx(
        111_320 / 60_000
    )
    assert parse_coordinates("geo:50.43005,35.59057;u=30").precision_m == 30
    assert parse_coordinates("9G2GFG2F+29").precision_m == pytest.approx(0.000125 * 111_320)
    assert parse_coordinates("36U 412345 5587654").precision_m == 1
    assert parse_coordinates("SRID=3857;POINT(3961967.5 6521960.5)").precision_m == pytest.approx(
        0.1
    )


def test_parse_coordinates__viewport_only_links_warn() -> None:
    viewport = parse_coordinates("https://www.google.com/maps/@50.43005,35.59057,15z")
    assert [code for code, _ in viewport.warnings] == ["viewport-only"]
    pinned = parse_coordinates(
        "https://www.google.com/maps/place/X/@50.4,35.5,17z/data=!3m1!4b1!8m2!3d50.43005!4d35.59057"
    )
    assert pinned.warnings == ()
    assert (pinned.lon, pinned.lat) == (G_LON, G_LAT)


def test_parse_coordinates__osm_marker_beats_map_view() -> None:
    coord = parse_coordinates(
        "https://www.openstreetmap.org/?mlat=50.43&mlon=35.59#map=10/49.0/30.0"
    )
    assert (coord.lon, coord.lat) == (35.59, 50.43)
    assert coord.warnings == ()


def test_parse_coordinates__yandex_pt_beats_ll() -> None:
    coord = parse_coordinates(
        "https://yandex.ua/maps/?ll=30.0,49.0&pt=35.59057,50.43005,pm2rdm&z=15"
    )
    assert (coord.lon, coord.lat) == (G_LON, G_LAT)


@pytest.mark.parametrize(
    "text",
    [
        "https://maps.app.goo.gl/AbCdEf123",
        "maps.app.goo.gl/AbCdEf123",
        "https://goo.gl/maps/AbCdEf123",
        "https://yandex.ru/maps/-/CCUabcd",
        "https://yandex.com/maps/-/CCUabcd",
    ],
)
def test_parse_coordinates__short_links_need_network(text: str) -> None:
    with pytest.raises(CoordinateError) as info:
        parse_coordinates(text)
    assert info.value.code == UNPARSEABLE
    assert "short link" in info.value.message
    assert "needs the network" in info.value.message
    assert f'"{text}"' in info.value.message


def test_parse_coordinates__short_plus_code_without_reference() -> None:
    with pytest.raises(CoordinateError) as info:
        parse_coordinates("FG2F+29 Kyiv")
    assert info.value.code == UNPARSEABLE
    assert "reference location" in info.value.message


def test_parse_coordinates__short_plus_code_with_reference() -> None:
    coord = parse_coordinates("FG2F+29 Kyiv", reference=(30.5, 50.4))
    assert (coord.lon, coord.lat) == pytest.approx(
        (KYIV_PLUS_LON, KYIV_PLUS_LAT), abs=TOLERANCE_DEG
    )
    assert coord.notation == "plus-code"
    assert [code for code, _ in coord.warnings] == ["short-plus-code"]


def test_parse_coordinates__short_plus_code_picks_nearest_cell() -> None:
    # Reference 50.98N: the 1-degree block from the reference gives 50.45N,
    # but the same code one block north (51.45N) is nearer.
    coord = parse_coordinates("FG2F+29", reference=(30.52, 50.98))
    assert coord.lat == pytest.approx(KYIV_PLUS_LAT + 1, abs=TOLERANCE_DEG)
    assert coord.lon == pytest.approx(KYIV_PLUS_LON, abs=TOLERANCE_DEG)
    # Two missing digits (20-degree blocks).
    coord = parse_coordinates("2GFG2F+29", reference=(30.0, 50.0))
    assert (coord.lon, coord.lat) == pytest.approx(
        (KYIV_PLUS_LON, KYIV_PLUS_LAT), abs=TOLERANCE_DEG
    )


def test_parse_coordinates__bad_reference_is_coordinate_error() -> None:
    with pytest.raises(CoordinateError):
        parse_coordinates("FG2F+29", reference=(float("nan"), 50.0))
    with pytest.raises(CoordinateError):
        parse_coordinates("FG2F+29", reference="Kyiv")  # type: ignore[arg-type]


def test_parse_coordinates__message_quotes_and_truncates() -> None:
    text = "nonsense " * 50
    with pytest.raises(CoordinateError) as info:
        parse_coordinates(text)
    assert '"nonsense nonsense' in info.value.message
    assert text not in info.value.message
    assert len(info.value.message) < 250


def test_parse_coordinates__minutes_61_is_out_of_range() -> None:
    with pytest.raises(CoordinateError) as info:
        parse_coordinates("50°61.5'N 35°10.0'E")
    assert info.value.code == OUT_OF_RANGE


@pytest.mark.parametrize("value", [None, 50.43, b"50.43, 35.59", ["50.43", "35.59"], object()])
def test_parse_coordinates__non_text_is_coordinate_error(value: Any) -> None:
    with pytest.raises(CoordinateError) as info:
        parse_coordinates(value)
    assert info.value.code == UNPARSEABLE


def test_parse_coordinates__keeps_text_untouched() -> None:
    text = "  (50°25'48.2\"N 35°35'26.1\"E)  "
    assert parse_coordinates(text).text == text


# ---------------------------------------------------------------------------
# format_coordinates


def test_format_coordinates__examples() -> None:
    assert format_coordinates(G_LON, G_LAT, "decimal", digits=5) == "50.43005, 35.59057"
    assert format_coordinates(G_LON, G_LAT, "dms") == "50°25'48.2\"N 35°35'26.1\"E"
    assert format_coordinates(G_LON, G_LAT, "ddm") == "50°25.803'N 35°35.434'E"
    assert format_coordinates(G_LON, G_LAT, "mgrs", digits=3) == "36U XA 839 896"
    assert format_coordinates(30.5234375, 50.4500625, "plus-code") == "9G2GFG2F+29"
    assert format_coordinates(30.5234375, 50.4500625, "plus-code", digits=4) == "9G2G0000+"
    assert format_coordinates(G_LON, G_LAT, "wkt", digits=5) == "POINT (35.59057 50.43005)"
    assert format_coordinates(G_LON, G_LAT, "geo-uri", digits=5) == "geo:50.43005,35.59057"
    assert "ll=35.59057,50.43005" in format_coordinates(G_LON, G_LAT, "yandex-url", digits=5)
    assert format_coordinates(-0.5, -0.5, "dms", digits=0) == "0°30'00\"S 0°30'00\"W"


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_format_coordinates__mgrs_matches_mgrs_package(digits: int) -> None:
    for lat, lon in [
        (G_LAT, G_LON),
        (-33.8688, 151.2093),
        (60.3913, 5.3221),
        (78.2232, 15.6267),
        (0.5, -78.4),
    ]:
        ours = format_coordinates(lon, lat, "mgrs", digits=digits).replace(" ", "")
        theirs = mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=digits).lstrip("0")
        assert ours == theirs


def test_format_coordinates__bad_arguments() -> None:
    with pytest.raises(ValueError):
        format_coordinates(G_LON, G_LAT, "semaphore")
    with pytest.raises(ValueError):
        format_coordinates(G_LON, G_LAT, "mgrs", digits=6)
    with pytest.raises(ValueError):
        format_coordinates(G_LON, G_LAT, "plus-code", digits=9)
    with pytest.raises(CoordinateError) as info:
        format_coordinates(G_LON, 85.0, "mgrs")
    assert info.value.code == OUT_OF_RANGE
    with pytest.raises(CoordinateError):
        format_coordinates(200.0, 0.0, "decimal")


# ---------------------------------------------------------------------------
# properties

_LAT = st.floats(min_value=-90, max_value=90, allow_nan=False)
_LON = st.floats(min_value=-180, max_value=180, allow_nan=False)
_GRID_LAT = st.floats(min_value=-80, max_value=84, allow_nan=False)
_DEGREE_NOTATIONS = [
    n for n in FORMAT_NOTATIONS if n not in ("mgrs", "utm", "plus-code", "dms", "ddm")
]


def _lon_diff(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@settings(max_examples=300, deadline=None)
@given(
    lon=_LON,
    lat=_LAT,
    notation=st.sampled_from(_DEGREE_NOTATIONS),
    digits=st.integers(min_value=0, max_value=8),
)
def test_format_coordinates__roundtrip_decimal_family(
    lon: float, lat: float, notation: str, digits: int
) -> None:
    coord = parse_coordinates(format_coordinates(lon, lat, notation, digits=digits))
    assert coord.notation == notation
    assert coord.precision_m == pytest.approx(METRES_PER_DEGREE * 10.0**-digits)
    bound = coord.precision_m / METRES_PER_DEGREE / 2 + 1e-9
    assert abs(coord.lat - lat) <= bound
    assert _lon_diff(coord.lon, lon) <= bound


@settings(max_examples=300, deadline=None)
@given(
    lon=_LON,
    lat=_LAT,
    notation=st.sampled_from(["dms", "ddm"]),
    digits=st.integers(min_value=0, max_value=4),
)
def test_format_coordinates__roundtrip_sexagesimal(
    lon: float, lat: float, notation: str, digits: int
) -> None:
    coord = parse_coordinates(format_coordinates(lon, lat, notation, digits=digits))
    assert coord.notation == notation
    per_unit = 3600 if notation == "dms" else 60
    assert coord.precision_m == pytest.approx(METRES_PER_DEGREE / per_unit * 10.0**-digits)
    bound = 0.5 * 10.0**-digits / per_unit + 1e-9
    assert abs(coord.lat - lat) <= bound
    assert _lon_diff(coord.lon, lon) <= bound


@settings(max_examples=300, deadline=None)
@given(lon=_LON, lat=_GRID_LAT, digits=st.integers(min_value=0, max_value=5))
def test_format_coordinates__roundtrip_mgrs(lon: float, lat: float, digits: int) -> None:
    text = format_coordinates(lon, lat, "mgrs", digits=digits)
    coord = parse_coordinates(text)
    assert coord.notation == "mgrs"
    size = 10.0 ** (5 - digits)
    assert coord.precision_m == size
    _, _, distance = _GEOD.inv(lon, lat, coord.lon, coord.lat)
    # Centre of the cell: at most half the diagonal away (plus UTM scale error).
    assert distance <= size * math.sqrt(2) / 2 * 1.01 + 0.01


@settings(max_examples=200, deadline=None)
@given(lon=_LON, lat=_GRID_LAT, digits=st.integers(min_value=0, max_value=2))
def test_format_coordinates__roundtrip_utm(lon: float, lat: float, digits: int) -> None:
    coord = parse_coordinates(format_coordinates(lon, lat, "utm", digits=digits))
    assert coord.notation == "utm"
    assert coord.precision_m == pytest.approx(10.0**-digits)
    _, _, distance = _GEOD.inv(lon, lat, coord.lon, coord.lat)
    assert distance <= coord.precision_m


@settings(max_examples=300, deadline=None)
@given(lon=_LON, lat=_LAT, length=st.sampled_from([2, 4, 6, 8, 10, 11, 12, 13, 14, 15]))
def test_format_coordinates__roundtrip_plus_code(lon: float, lat: float, length: int) -> None:
    coord = parse_coordinates(format_coordinates(lon, lat, "plus-code", digits=length))
    assert coord.notation == "plus-code"
    assert coord.precision_m is not None
    bound = coord.precision_m / METRES_PER_DEGREE / 2 + 1e-9
    assert abs(coord.lat - lat) <= bound
    assert _lon_diff(coord.lon, lon) <= bound


@settings(max_examples=200, deadline=None)
@given(lon=_LON, lat=_LAT)
def test_parse_coordinates__short_plus_code_roundtrip(lon: float, lat: float) -> None:
    full = format_coordinates(lon, lat, "plus-code")
    short = full[4:]
    # Any reference within a few km of the point recovers the same full code.
    reference = (lon + 0.01, max(min(lat - 0.01, 90.0), -90.0))
    reference = (((reference[0] + 180) % 360) - 180, reference[1])
    coord = parse_coordinates(short, reference=reference)
    expected = parse_coordinates(full)
    assert coord.lat == pytest.approx(expected.lat, abs=1e-9)
    assert _lon_diff(coord.lon, expected.lon) <= 1e-9


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_coordinates__random_text_only_raises_coordinate_error(text: str) -> None:
    try:
        coord = parse_coordinates(text)
    except CoordinateError as exc:
        assert exc.code in (UNPARSEABLE, OUT_OF_RANGE)
    else:
        assert -90 <= coord.lat <= 90 and -180 <= coord.lon <= 180
        assert coord.text == text


_COORDINATE_ALPHABET = st.sampled_from(
    [*"0123456789.,;:-+ °'\"′″’”NSEWnsewUXACQ()[]{}/?=&#@!~_"]
    + ["с.ш.", "в.д.", "geo:", "POINT", "https://www.google.com/maps/@", "3d", "4d", "9G2G"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_COORDINATE_ALPHABET, max_size=30).map("".join))
def test_parse_coordinates__coordinate_like_noise_only_raises_coordinate_error(text: str) -> None:
    try:
        coord = parse_coordinates(text)
    except CoordinateError as exc:
        assert exc.code in (UNPARSEABLE, OUT_OF_RANGE)
        assert exc.value == text
    else:
        assert -90 <= coord.lat <= 90 and -180 <= coord.lon <= 180
