"""User layer store: add a layer in any format/CRS, load it by name or path, provenance."""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from gv_boundaries_helpers import PROVENANCE_KEYS, data_dir, two_countries, ua_regions  # noqa: F401

from geoverify.boundaries import load_boundaries
from geoverify.boundaries.layers import add_layer, list_sets, remove_set
from geoverify.cli.boundaries import boundaries_group
from geoverify.engine.index import boundary_index
from geoverify.errors import BoundaryLayerError, ConfigError
from geoverify.io.boundaries import decode_topojson

TOPO = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.5], "translate": [28, 45]},
    "arcs": [[[4, 0], [0, 2]],
             [[4, 2], [4, 0], [0, -2], [-4, 0]],
             [[4, 0], [-4, 0], [0, 2], [4, 0]]],
    "objects": {"countries": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "arcs": [[0, 1]], "properties": {"iso": "UKR", "nm": "Ukraine"}},
        {"type": "Polygon", "arcs": [[-1, 2]], "properties": {"iso": "POL", "nm": "Poland"}},
    ]}},
}


def _write(fmt: str, tmp_path):
    g = two_countries()
    if fmt == "geojson":
        p = tmp_path / "c.geojson"
        g.to_file(p, driver="GeoJSON")
    elif fmt == "topojson":
        p = tmp_path / "c.topojson"
        p.write_text(json.dumps(TOPO))
    elif fmt == "gpkg-3857":
        p = tmp_path / "c.gpkg"
        g.to_crs(3857).to_file(p, driver="GPKG")
    elif fmt == "shp-zip-utm":
        d = tmp_path / "shp"
        d.mkdir()
        g.to_crs(32636).to_file(d / "c.shp", driver="ESRI Shapefile")
        p = tmp_path / "c.zip"
        with zipfile.ZipFile(p, "w") as z:
            for f in d.iterdir():
                z.write(f, f.name)
    elif fmt == "fgb":
        p = tmp_path / "c.fgb"
        g.to_file(p, driver="FlatGeobuf")
    elif fmt == "geoparquet-3035":
        p = tmp_path / "c.parquet"
        g.to_crs(3035).to_parquet(p)
    return p


def _where(bset, lon, lat):
    loc = boundary_index(bset).locate(np.array(lon, float), np.array(lat, float))
    return pd.DataFrame({"country": loc.country, "adm1": loc.adm1}, dtype=object)


def test_decode_topojson__shared_arc_gives_both_closed_polygons():
    g = decode_topojson(TOPO)
    assert list(g["iso"]) == ["UKR", "POL"]
    assert g.geometry[0].equals(shapely.box(30, 45, 32, 46))
    assert g.geometry[1].equals(shapely.box(28, 45, 30, 46))


@pytest.mark.parametrize("fmt", ["geojson", "topojson", "gpkg-3857", "shp-zip-utm", "fgb",
                                 "geoparquet-3035"])
def test_add_layer__every_format_and_crs_loads_by_name(fmt, tmp_path, data_dir):  # noqa: F811
    p = _write(fmt, tmp_path)
    add_layer(p, name="mine", level="ADM0", code_field="iso", name_field="nm", accuracy_m=50,
              licence="CC0-1.0", attribution="test")
    assert (data_dir / "boundaries" / "mine" / "manifest.json").exists()
    b = load_boundaries("mine")
    where = _where(b, [31.0, 29.0, 35.0], [45.5, 45.5, 45.5])
    assert list(where["country"]) == ["UA", "PL", None]  # ISO3 input mapped to ISO2
    ua = b.units.geometry[b.units["code"] == "UA"].iloc[0]
    assert np.allclose(ua.bounds, (30, 45, 32, 46), atol=1e-6)
    assert b.accuracy_m["country_border"] == 50.0


def test_add_layer__adm1_fitted_to_countries_and_provenance_has_embedded_keys(tmp_path):
    two_countries().to_file(tmp_path / "a0.geojson")
    r = ua_regions()
    r.loc[1, "geometry"] = shapely.box(31, 45, 32.5, 46)  # reaches 0.5 deg beyond UA
    r.to_file(tmp_path / "a1.geojson")
    add_layer(tmp_path / "a0.geojson", name="s", level="ADM0", code_field="iso",
              name_field="nm", accuracy_m=100, licence="CC-BY-4.0", attribution="Me")
    add_layer(tmp_path / "a1.geojson", name="s", level="ADM1", code_field="c", name_field="n",
              country_field="cc", accuracy_m=500)
    b = load_boundaries("s")
    assert sorted(b.units["code"]) == ["PL", "UA-E", "UA-W"]
    east = b.units.geometry[b.units["code"] == "UA-E"].iloc[0]
    assert np.allclose(east.bounds, (31, 45, 32, 46))  # clipped to its country
    assert b.accuracy_m["region_border"] == 500.0 and b.accuracy_m["country_border"] == 100.0
    emb_keys = set(load_boundaries().provenance[0])
    assert [set(p) for p in b.provenance] == [emb_keys, emb_keys] and emb_keys == PROVENANCE_KEYS
    sha = hashlib.sha256((tmp_path / "a0.geojson").read_bytes()).hexdigest()
    assert b.provenance[0]["sha256"] == sha
    assert b.provenance[0]["attribution"] == "Me"
    kinds = set(zip(b.borders["a"], b.borders["b"], b.borders["kind"]))
    assert ("PL", "UA-W", "country") in kinds and ("UA-E", "UA-W", "region") in kinds


def test_check__report_with_user_set_carries_its_provenance(tmp_path):
    from geoverify.api import check

    two_countries().to_file(tmp_path / "a0.geojson")
    add_layer(tmp_path / "a0.geojson", name="s", level="ADM0", code_field="iso", name_field="nm",
              licence="CC0-1.0")
    df = pd.DataFrame({"id": ["a", "b"], "coordinates": ["45.5, 31.0", "45.5, 29.0"],
                       "claimed": ["Ukraine", "Ukraine"]})
    r = check(df, boundaries="s").to_dict()
    assert [f["verdict"] for f in r["frames"]] == ["match", "mismatch"]
    assert [p["name"] for p in r["boundaries"]] == ["s:ADM0"]
    assert r["boundaries"][0]["licence"] == "CC0-1.0"


def test_add_layer__invalid_geometry_is_repaired_with_a_warning_naming_it(tmp_path, caplog):
    g = two_countries()
    g.loc[1, "geometry"] = shapely.Polygon([(28, 45), (30, 46), (30, 45), (28, 46)])  # bowtie
    g.to_file(tmp_path / "bad.geojson")
    with caplog.at_level(logging.WARNING, logger="geoverify"):
        m = add_layer(tmp_path / "bad.geojson", name="b", level="ADM0", code_field="iso",
                      name_field="nm")
    assert "POL" in caplog.text and "Self-intersection" in caplog.text
    assert [r["feature"] for r in m["layers"]["ADM0"]["repaired"]] == ["POL"]
    assert load_boundaries("b").units.geometry.is_valid.all()


def test_load_boundaries__layer_file_path_with_guessed_fields(tmp_path):
    g = two_countries().rename(columns={"iso": "shapeGroup", "nm": "shapeName"})
    g.to_file(tmp_path / "gb.geojson")
    b = load_boundaries(str(tmp_path / "gb.geojson"))
    assert sorted(b.countries["code"]) == ["PL", "UA"]


@pytest.mark.parametrize("name, error", [("no-such-set", BoundaryLayerError),
                                         ("../evil", BoundaryLayerError)])
def test_load_boundaries__unknown_name_lists_available(name, error):
    with pytest.raises(error, match="available: embedded"):
        load_boundaries(name)


@pytest.mark.parametrize("kwargs, message", [
    ({"code_field": "nope", "name_field": "nm"}, "--code-field 'nope'"),
    ({"code_field": "iso", "name_field": "nm", "name": "embedded"}, "invalid boundary set name"),
])
def test_add_layer__bad_options_are_config_errors(kwargs, message, tmp_path, data_dir):  # noqa: F811
    two_countries().to_file(tmp_path / "a0.geojson")
    kw = {"name": "x", **kwargs}
    with pytest.raises(ConfigError, match=message):
        add_layer(tmp_path / "a0.geojson", level="ADM0", **kw)
    assert not list_sets()


def test_remove_set__deletes_it(tmp_path):
    two_countries().to_file(tmp_path / "a0.geojson")
    add_layer(tmp_path / "a0.geojson", name="x", level="ADM0", code_field="iso", name_field="nm")
    remove_set("x")
    assert list_sets() == []


def test_cli_add_list_info__round_trip(tmp_path):
    two_countries().to_file(tmp_path / "a0.geojson")
    run = CliRunner()
    r = run.invoke(boundaries_group, ["add", str(tmp_path / "a0.geojson"), "--name", "cli",
                                      "--level", "ADM0", "--code-field", "iso", "--name-field",
                                      "nm", "--accuracy-m", "75", "--licence", "ODbL-1.0",
                                      "--attribution", "© contributors"])
    assert r.exit_code == 0, r.output
    r = run.invoke(boundaries_group, ["list", "-f", "json"])
    names = [x["name"] for x in json.loads(r.stdout)]
    assert names == ["embedded", "cli"]
    r = run.invoke(boundaries_group, ["info", "cli"])
    assert r.exit_code == 0
    assert "licence: ODbL-1.0" in r.stdout and "attribution: © contributors" in r.stdout
    assert "country_border 75" in r.stdout
    r = run.invoke(boundaries_group, ["info", "nope"])
    assert r.exit_code == 3 and "unknown boundary layer set 'nope'" in r.stderr


def test_build_map__footer_carries_user_set_provenance(tmp_path):
    from geoverify.api import build_map, check
    from geoverify.render import render_html

    two_countries().to_file(tmp_path / "a0.geojson")
    add_layer(tmp_path / "a0.geojson", name="mine", level="ADM0", code_field="iso",
              name_field="nm", licence="CC0-1.0", attribution="Survey of Somewhere")
    df = pd.DataFrame({"coordinates": ["45.5, 31.0"], "claimed": ["Ukraine"]})
    result = check(df, boundaries="mine")
    sha = result.to_dict()["boundaries"][0]["sha256"]
    page = render_html(build_map(result, boundaries="mine"))
    footer = page[page.index('id="gv-footer"'):] if 'id="gv-footer"' in page else page
    assert "mine:ADM0" in footer and "CC0-1.0" in footer and "Survey of Somewhere" in footer
    assert sha in footer
