"""Fetch end to end against a local HTTP server: install, truncation, checksum, offline.

Never touches the internet: every URL points at 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from gv_boundaries_helpers import data_dir  # noqa: F401

from geoverify.boundaries import load_boundaries
from geoverify.boundaries.fetch import FetchError, fetch_layer, read_sources, source_url
from geoverify.boundaries.layers import list_sets, read_set_manifest, store_dir
from geoverify.cli.boundaries import boundaries_group


def _layer_bytes(codes=("UA-W", "UA-E")) -> bytes:
    g = gpd.GeoDataFrame({"shapeISO": list(codes), "shapeName": ["West", "East"][:len(codes)],
                          "shapeGroup": ["UKR"] * len(codes)},
                         geometry=[shapely.box(30, 45, 31, 46), shapely.box(31, 45, 32, 46)][:len(codes)],
                         crs="EPSG:4326")
    return g.to_json().encode("utf-8")


GOOD = _layer_bytes()
GADM = gpd.GeoDataFrame({"GID_1": ["UKR.1_1"], "NAME_1": ["Cherkasy"], "GID_0": ["UKR"]},
                        geometry=[shapely.box(30, 45, 31, 46)], crs=4326).to_json().encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path.startswith("/good/"):
            body = GOOD
        elif self.path.startswith("/gadm/"):
            body = GADM
        elif self.path.startswith("/trunc/"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[: len(GOOD) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _leftovers(data_dir):  # noqa: F811
    """Anything in the data dir besides installed sets: temp or half-written files."""
    out = [p.name for p in data_dir.iterdir() if p.name != "boundaries"] if data_dir.exists() else []
    if store_dir().exists():
        out += [p.name for p in store_dir().iterdir() if p.name.startswith(".")]
    return out


def test_sources__every_pattern_is_marked_unverified():
    src = read_sources()
    assert {"geoboundaries", "gadm", "ocha-cod-ab"} <= set(src)
    assert all(s["verified"] is False for s in src.values())
    assert source_url(src["geoboundaries"], "UA", "ADM1", "http://x") == \
        "http://x/UKR/ADM1/geoBoundaries-UKR-ADM1.geojson"
    assert source_url(src["gadm"], "UKR", "ADM1", "http://x") == "http://x/gadm41_UKR_1.json"


def test_fetch_layer__installs_with_checksum_and_licence(server, data_dir):  # noqa: F811
    msgs = []
    m = fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/good",
                    sha256=hashlib.sha256(GOOD).hexdigest(), progress=msgs.append)
    e = m["layers"]["ADM1"]
    assert e["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert e["licence"].startswith("CC-BY-4.0") and e["url_verified"] is False
    assert e["source"] == f"{server}/good/UKR/ADM1/geoBoundaries-UKR-ADM1.geojson"
    assert msgs and "100.0%" in msgs[-1]
    b = load_boundaries("geoboundaries-UKR")
    assert sorted(b.units["code"]) == ["UA-E", "UA-W"]
    assert set(b.units["country"]) == {"UA"}
    assert _leftovers(data_dir) == []


def test_fetch_layer__env_var_points_at_the_mirror(server, monkeypatch):
    monkeypatch.setenv("GEOVERIFY_FETCH_BASE_URL", server + "/good")
    fetch_layer("geoboundaries", "UA", "ADM1", name="gb")
    assert [m["name"] for m in list_sets()] == ["gb"]


def test_fetch_layer__truncated_download_installs_nothing(server, data_dir):  # noqa: F811
    with pytest.raises(FetchError, match="cut off after .* bytes; nothing was installed"):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/trunc")
    assert list_sets() == [] and _leftovers(data_dir) == []


def test_fetch_layer__checksum_mismatch_installs_nothing(server, data_dir):  # noqa: F811
    with pytest.raises(FetchError, match="checksum mismatch .* expected sha256 0{64}"):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/good", sha256="0" * 64)
    assert list_sets() == [] and _leftovers(data_dir) == []


def test_fetch_layer__offline_is_a_clear_error(closed_port, data_dir):  # noqa: F811
    with pytest.raises(FetchError, match="refused.*offline.*geoverify boundaries add"):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=f"http://127.0.0.1:{closed_port}")
    assert list_sets() == [] and _leftovers(data_dir) == []


def test_fetch_layer__failed_refetch_keeps_the_installed_set(server, closed_port):
    fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/good", name="gb")
    before = read_set_manifest(store_dir() / "gb")
    with pytest.raises(FetchError):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/trunc", name="gb")
    assert read_set_manifest(store_dir() / "gb") == before
    assert len(load_boundaries("gb").units) == 2


def test_fetch_layer__http_404_names_the_url(server):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=server + "/missing")


def test_cli_fetch__gadm_warns_it_cannot_be_redistributed(server):
    r = CliRunner().invoke(boundaries_group, ["fetch", "gadm", "UKR", "ADM1", "--base-url",
                                              server + "/gadm"])
    assert r.exit_code == 0, r.output
    assert "downloading" in r.stderr and "may not be redistributed" in r.stderr
    info = CliRunner().invoke(boundaries_group, ["info", "gadm-UKR", "-f", "json"])
    layer = json.loads(info.stdout)["layers"][0]
    assert "redistribution" in layer["licence"] and layer["attribution"].startswith("GADM")


def test_cli_fetch__offline_exits_3(closed_port):
    r = CliRunner().invoke(boundaries_group, ["fetch", "geoboundaries", "UKR", "ADM1",
                                              "--base-url", f"http://127.0.0.1:{closed_port}"])
    assert r.exit_code == 3 and "cannot download" in r.stderr
