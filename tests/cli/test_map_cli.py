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
