"""`geoverify map`: writes one self-contained page, never overwrites without --overwrite."""

from __future__ import annotations

import re

from click.testing import CliRunner

from geoverify.cli.main import cli
from tests.conftest import EXAMPLE


def test_map__writes_self_contained_page(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1684713600")
    out = tmp_path / "map.html"
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert "2023-05-22" in page  # build time from SOURCE_DATE_EPOCH
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)
    assert "© OpenStreetMap contributors" in page
    again = tmp_path / "again.html"
    CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(again)], catch_exceptions=False)
    assert again.read_bytes() == out.read_bytes()


def test_map__exit_2_when_output_exists(tmp_path):
    out = tmp_path / "map.html"
    out.write_text("keep")
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(out)])
    assert r.exit_code == 2
    assert out.read_text() == "keep"


def test_map__exit_3_on_missing_input(tmp_path):
    r = CliRunner().invoke(cli, ["map", str(tmp_path / "none.csv"), "-o", str(tmp_path / "m.html")])
    assert r.exit_code == 3


def test_map__svg_figure_is_byte_reproducible_under_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1684713600")
    outs = []
    for name in ("a.svg", "b.svg"):
        out = tmp_path / name
        r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(out), "--clip", "MoD 2023-05-22 clip"],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    svg = outs[0].decode("utf-8")
    assert "<dc:date>2023-05-22T00:00:00Z</dc:date>" in svg
    # legend with counts, tally caption, scale bar, attribution and provenance are text in the SVG
    for text in ("mismatch: 4", "match: 2", "MoD 2023-05-22 clip: 6 locations", "contradict", "km", "OpenStreetMap contributors",
                 "geoverify", "sha256 d79066fff9b41d28", "Sumy Oblast (UA)", "Belgorod Oblast (RU)"):
        assert text in svg, text
    # the numbers 1..6 of the clip's frames, in frame order
    for number in range(1, 7):
        assert f">{number}</text>" in svg, number


def test_build_figure__names_places_in_view_and_credits_them(tmp_path):
    import geoverify

    result = geoverify.check(str(EXAMPLE)).to_dict()
    for frame in result["frames"]:  # widen the view: one frame of the clip at Grayvoron
        if frame["id"] == "mod-2":
            frame["lon"], frame["lat"] = 35.70, 50.50
    fig = geoverify.build_figure(result, clip="MoD 2023-05-22 clip")
    out = tmp_path / "f.svg"
    geoverify.save_figure(fig, out)
    svg = out.read_text(encoding="utf-8")
    assert "Grayvoron" in svg and "Place names: GeoNames (CC BY 4.0)" in svg


def test_map__png_figure_of_all_frames(tmp_path):
    out = tmp_path / "fig.png"
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_map__unknown_clip_names_the_clips(tmp_path):
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(tmp_path / "f.svg"), "--clip", "nope"])
    assert r.exit_code == 3
    assert "no clip named 'nope'" in r.output and "MoD 2023-05-22 clip" in r.output
    assert not (tmp_path / "f.svg").exists()


def test_map__clip_option_is_for_figures_and_suffix_must_be_known(tmp_path):
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(tmp_path / "m.html"), "--clip", "x"])
    assert r.exit_code == 2 and "--clip is for a figure" in r.output
    r = CliRunner().invoke(cli, ["map", str(EXAMPLE), "-o", str(tmp_path / "m.txt")])
    assert r.exit_code == 2 and ".svg/.png/.pdf" in r.output


def test_check__kml_and_gpkg_exports_read_back_with_their_verdicts(tmp_path):
    import geoverify
    from geoverify.api import check

    expected = {f["id"]: f["verdict"] for f in check(str(EXAMPLE)).to_dict()["frames"]}
    kml = tmp_path / "frames.kml"
    r = CliRunner().invoke(cli, ["check", str(EXAMPLE), "--format", "kml", "-o", str(kml)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    gpkg = tmp_path / "frames.gpkg"
    r = CliRunner().invoke(cli, ["check", str(EXAMPLE), "--format", "gpkg", "-o", str(gpkg)], catch_exceptions=False)
    assert r.exit_code == 0, r.output

    back = geoverify.read_claims(str(kml))
    located = {k: v for k, v in expected.items() if k != "ex-6"}  # KML holds the located frames
    assert len(back) == len(located)
    assert {row["id"]: row["extra"]["verdict"] for _, row in back.iterrows()} == located
    assert set(back["clip"]) == {"MoD 2023-05-22 clip", "Exercise clip (synthetic)"}
    assert (back["claimed"].iloc[0], back["frame"].iloc[0]) == ("Belgorod oblast", "00:00:04")

    back = geoverify.read_claims(str(gpkg))
    assert len(back) == len(expected)  # every frame, located or not
    assert {row["id"]: row["extra"]["verdict"] for _, row in back.iterrows()} == expected
    first = back.iloc[0]
    assert (first["lat"], first["lon"]) == (50.43005, 35.59057)
    assert first["extra"]["distance_to_border_m"] == "278.3" or float(first["extra"]["distance_to_border_m"]) > 0


def test_check__gpkg_needs_an_output_file():
    r = CliRunner().invoke(cli, ["check", str(EXAMPLE), "--format", "gpkg"])
    assert r.exit_code == 2 and "-o FILE.gpkg" in r.output


def test_check__kml_to_stdout_is_text():
    r = CliRunner().invoke(cli, ["check", str(EXAMPLE), "--format", "kml"], catch_exceptions=False)
    assert r.exit_code == 0
    assert r.output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">')
    assert r.output.count("<Placemark>") == 11
    assert "#verdict-mismatch" in r.output
