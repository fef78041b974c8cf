"""Display layers, opening view and frame order, without a browser (tiny geometry built here)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from geoverify.render._data import frame_sequence, frame_sort_key, opening_view
from geoverify.render._layers import (
    MID_TOLERANCE_DEG,
    decode_line,
    display_layers,
    encode_line,
    place_rank,
    zones_of,
)


def wavy_neighbours() -> tuple[Any, Any]:
    """Two regions sharing a finely wavy edge (2000 vertices) along lon 36."""
    import geopandas as gpd
    from shapely.geometry import Polygon

    edge = [(36.0 + 0.0004 * math.sin(i / 3.0), 49.0 + i * 0.001) for i in range(2001)]  # lat 49..51
    west = Polygon([(34.0, 49.0), *edge, (34.0, 51.0)])
    east = Polygon([(38.0, 49.0), (38.0, 51.0), *reversed(edge)])
    adm1 = gpd.GeoDataFrame({"code": ["W-1", "E-1"], "name": ["West", "East"], "country": ["WW", "EE"]},
                            geometry=[west, east], crs="EPSG:4326")
    return adm1, edge


def shapes_of(region: dict[str, Any]) -> Any:
    import shapely

    polys = [shapely.Polygon(decode_line(rings[0]), [decode_line(r) for r in rings[1:]]) for rings in region["polys"]]
    return shapely.union_all(polys)


def test_encode_line__round_trips_at_a_tenth_of_a_metre() -> None:
    coords = [(35.5905712, 50.4300549), (35.5905713, 50.4300549), (35.6, 50.5), (-179.9999994, -85.0)]
    flat = encode_line(coords)
    assert flat[:2] == [35590571, 50430055]
    back = decode_line(flat)
    assert len(back) == 3  # the second point rounds onto the first: dropped
    assert back[1] == (35.6, 50.5) and back[2] == (-179.999999, -85.0)


def test_zones_of__every_frame_is_a_cell_inside_the_exact_zone() -> None:
    import shapely

    zones = zones_of([35.5843, 36.2], [50.4201, 49.99])
    for lon, lat in [(35.5843, 50.4201), (36.2, 49.99)]:
        assert shapely.distance(shapely.Point(lon, lat), zones.near.boundary) >= 0.09
        assert zones.mid.contains(zones.near)
    assert zones_of([], []).extent is None


def test_display_layers__exact_near_frames_simplified_away_and_no_slivers() -> None:
    import shapely

    adm1, edge = wavy_neighbours()
    # one frame 60 m west of the wavy edge, near its south end
    layers = display_layers([35.9992], [49.1], adm1=adm1)
    west, east = (shapes_of(r) for r in layers["regions"])
    original_west, original_east = adm1.geometry.iloc[0], adm1.geometry.iloc[1]
    # near the frame the drawn edge is the exact one: every vertex of the edge there is kept
    near = [p for p in edge if abs(p[1] - 49.1) < 0.05]
    drawn = {(round(x, 6), round(y, 6)) for x, y in shapely.get_coordinates(west)}
    assert all((round(x, 6), round(y, 6)) in drawn for x, y in near)
    # far away it is simplified: fewer vertices than the original edge
    assert shapely.get_num_coordinates(west) < len(edge) * 0.8
    # no sliver: the neighbours neither overlap nor leave a gap between them
    assert shapely.intersection(west, east).area < 1e-9
    covered = shapely.union_all([west, east])
    box = shapely.box(34.0, 49.0, 38.0, 51.0)
    assert shapely.difference(box, covered).area < 1e-9
    # and the frame is on the same side as in the exact geometry
    frame = shapely.Point(35.9992, 49.1)
    assert original_west.contains(frame) and west.contains(frame) and not east.contains(frame)
    # far from the frames the drawn edge stays within the mid tolerance of the exact one
    far_part = shapely.intersection(west.boundary, shapely.box(35.5, 50.5, 36.5, 51.0))
    assert shapely.hausdorff_distance(far_part, shapely.intersection(original_west.boundary,
                                                                     shapely.box(35.5, 50.5, 36.5, 51.0))) < 0.03
    # simplification moves the edge by less than the wave's amplitude
    assert shapely.symmetric_difference(original_east, east).area < 2 * 0.0004 * 2.0


def test_display_layers__label_anchor_is_inside_and_never_in_a_hole() -> None:
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    oblast = box(29.0, 49.5, 32.0, 51.5).difference(box(30.2, 50.3, 30.8, 50.7))  # a hole: the city
    city = box(30.2, 50.3, 30.8, 50.7)
    adm1 = gpd.GeoDataFrame({"code": ["X-32", "X-30"], "name": ["Oblast", "City"], "country": ["XX", "XX"]},
                            geometry=[oblast, city], crs="EPSG:4326")
    layers = display_layers([30.5], [50.5], adm1=adm1)
    by_code = {r["code"]: r for r in layers["regions"]}
    for lon, lat, _radius in by_code["X-32"]["anchors"]:
        point = shapely.Point(lon, lat)
        assert oblast.contains(point) and not city.contains(point)
    lon, lat, _ = by_code["X-30"]["anchors"][0]
    assert city.contains(shapely.Point(lon, lat))


def test_display_layers__places_near_frames_biggest_first_with_ranks() -> None:
    import pandas as pd

    places = pd.DataFrame({"name": ["Far", "Big", "Small"], "population": [500_000, 400_000, 1200],
                           "lon": [10.0, 36.58, 35.68], "lat": [10.0, 50.6, 50.48]})
    layers = display_layers([35.59], [50.43], places=places)
    assert [p[0] for p in layers["places"]] == ["Big", "Small"]
    assert [p[3] for p in layers["places"]] == [place_rank(400_000), place_rank(1200)] == [1, 5]


def test_display_layers__borders_only_between_two_countries() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    borders = gpd.GeoDataFrame(
        {"a_country": ["RU", "RU"], "b_country": ["UA", "RU"], "kind": ["country", "country"]},
        geometry=[LineString([(35.5, 50.0), (35.6, 51.0)]), LineString([(36.0, 50.0), (36.5, 51.0)])],
        crs="EPSG:4326")
    layers = display_layers([35.59], [50.43], borders=borders)
    drawn = [decode_line(line) for line in layers["borders"]]
    assert drawn and all(35.49 <= x <= 35.61 for line in drawn for x, _ in line)


def test_opening_view__outliers_do_not_set_the_extent() -> None:
    lat = [50.0 + i * 0.001 for i in range(100)] + [43.1, 61.0]
    lon = [36.0 + i * 0.001 for i in range(100)] + [131.9, 27.0]
    view = opening_view(lat, lon, [0] * 102)
    (south, west), (north, east) = view["bounds"]
    assert 49.9 < south < 50.0 and 50.1 < north < 50.2 and 35.9 < west < 36.0 and 36.1 < east < 36.2
    assert view["outside"] == 2


def test_opening_view__small_file_opens_on_its_largest_clip() -> None:
    lat = [50.43, 50.45, 50.44, 43.5, 44.6]
    lon = [35.59, 35.65, 35.53, 32.5, 33.5]
    view = opening_view(lat, lon, [0, 0, 0, 1, 1])
    assert view["bounds"] == [[50.43, 35.53], [50.45, 35.65]] and view["outside"] == 2
    assert opening_view([None], [None], [0]) is None


@pytest.mark.parametrize(("frames", "expected"), [
    (["00:01:02", "00:00:12", "00:00:31"], [3, 1, 2]),
    (["10", "9", "100"], [2, 1, 3]),
    (["b", None, "00:00:05", "a"], [3, 4, 1, 2]),
    (["00:00:05", "00:00:05"], [1, 2]),  # ties keep input order
])
def test_frame_sequence__frame_order_within_each_clip(frames: list[Any], expected: list[int]) -> None:
    assert frame_sequence([{"frame": f} for f in frames], [0] * len(frames)) == expected


def test_frame_sequence__numbers_restart_per_clip() -> None:
    frames = [{"frame": "00:00:09"}, {"frame": "00:00:01"}, {"frame": "00:00:05"}]
    assert frame_sequence(frames, [0, 1, 0]) == [2, 1, 1]
    assert frame_sort_key("1:00:00") > frame_sort_key("59:59")


def test_frame_sequence__on_arrays_equals_sorting_each_clip() -> None:
    """The sequence is ranked on arrays; it equals sorting each clip's frames by
    ``frame_sort_key`` with ties in input order, for any mix of values (numbers and their
    text, timecodes, NaN, lists, dicts, None)."""
    import random

    import pyarrow as pa

    from geoverify.render._data import sequence_in_clips

    def by_sorting(values: list[Any], clips: list[int]) -> list[int]:
        order = sorted(range(len(values)), key=lambda i: (clips[i], frame_sort_key(values[i]), i))
        seq, last, position = [0] * len(values), None, 0
        for i in order:
            position = position + 1 if clips[i] == last else 1
            last = clips[i]
            seq[i] = position
        return seq

    rng = random.Random(3)
    pool: list[Any] = ["00:00:15", "0:15", "15", "15.0", 15, 15.0, "1:00:00", "59:59", "b", "a",
                       "", None, "nan", "inf", float("nan"), 1e300, [1], {"a": 1}, " 00:01 ", -2]
    for _ in range(2000):
        n = rng.randint(0, 30)
        values = [rng.choice(pool) for _ in range(n)]
        clips = [rng.randint(0, 3) for _ in range(n)]
        assert sequence_in_clips(values, clips) == by_sorting(values, clips), (values, clips)
        texts = [v if v is None or isinstance(v, str) else None for v in values]
        assert sequence_in_clips(pa.array(texts, type=pa.string()), clips) == by_sorting(texts, clips)


def test_display_layers__tolerances_are_finer_than_the_verdicts() -> None:
    assert MID_TOLERANCE_DEG * 111_000 < 150  # metres; the exact zone covers every frame


def test_display_layers__regions_left_out_of_the_mid_tier_still_tile_without_slivers() -> None:
    """A small region wholly inside the near zone has no mid tier, so the mid coverage is
    simplified without it: the pieces of every tier must still tile the land."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import Polygon

    # a wavy island (B) inside A, and C east of A across a wavy edge along lon 36
    island = [(35.5 + 0.03 * math.cos(t / 40 * math.pi) + 0.0003 * math.sin(t), 50.5 + 0.03 * math.sin(t / 40 * math.pi))
              for t in range(80)]
    edge = [(36.0 + 0.0004 * math.sin(i / 3.0), 48.0 + i * 0.002) for i in range(2001)]  # lat 48..52
    a = Polygon([(33.0, 48.0), *edge, (33.0, 52.0)], [island])
    b = Polygon(island)
    c = Polygon([(39.0, 48.0), (39.0, 52.0), *reversed(edge)])
    adm1 = gpd.GeoDataFrame({"code": ["A-1", "B-1", "C-1"], "name": ["A", "B", "C"], "country": ["XX"] * 3},
                            geometry=[a, b, c], crs="EPSG:4326")
    layers = display_layers([35.5], [50.5], adm1=adm1)
    drawn = {r["code"]: shapes_of(r) for r in layers["regions"]}
    assert set(drawn) == {"A-1", "B-1", "C-1"}
    box = shapely.box(33.0, 48.0, 39.0, 52.0)
    assert shapely.difference(box, shapely.union_all(list(drawn.values()))).area < 1e-8  # no gap
    for x, y in (("A-1", "B-1"), ("A-1", "C-1"), ("B-1", "C-1")):
        assert shapely.intersection(drawn[x], drawn[y]).area < 1e-8  # no overlap
    # B is drawn exactly: every vertex of its outline is kept
    kept = {(round(x, 6), round(y, 6)) for x, y in shapely.get_coordinates(drawn["B-1"])}
    assert all((round(x, 6), round(y, 6)) in kept for x, y in island)
    # and the wavy edge far from the frame (beyond the near zone) is simplified
    assert shapely.get_num_coordinates(drawn["C-1"]) < len(edge) * 0.8
