"""Every shell command shown in README.md and docs/*.md runs (issue 13), so the docs cannot
drift from the tool.

The fenced ``sh`` blocks are parsed line by line; each block runs, in order, in a fresh
directory holding copies of the embedded example under the names the docs use (claims.csv,
claims.geojson, claims.kmz, data/, a.csv, b.geojson, events.csv, export.csv with other column
names, ukr-adm1.gpkg in OCHA's field names, control.gpkg),
a git repository with an ``origin/main`` ref, and a local HTTP server standing in for
``boundaries fetch``'s source. A command passes when it exits 0 or 1 (findings) without a
traceback, and exactly 1 where its comment says "exit 1". The few commands that cannot run here
are listed in SKIP with the reason.
"""

from __future__ import annotations

import http.server
import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoverify.cli.main import cli
from tests.conftest import EXAMPLE, ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Commands that are not run here: pattern -> reason. Keep this list short.
SKIP = {
    r"^make test\b": "runs this very test suite",
    r"^make demo\b": "its command is run by test_readme__make_demo_output_is_what_it_quotes",
    r"^make lint\b": "sets up .venv and runs ruff: the lint step of CI",
    r"^make boundaries\b": "needs npm and the network",
    r"^python benchmarks/": "benchmarks take minutes and are timings, not pass/fail",
    r"^python scripts/screenshots.py|^make screenshots\b": "drives Chromium over generated "
        "datasets for minutes; tests/render drives the same pages",
    r"^python scripts/|^make context\b": "data builds: need npm and the network",
    r"--engine dask": "starts (or needs) a Dask cluster; tests/run/test_dask_check.py runs the "
                      "same code",
}

_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def sh_blocks() -> list[tuple[str, list[str]]]:
    out = []
    for doc in DOCS:
        for k, m in enumerate(_BLOCK.finditer(doc.read_text(encoding="utf-8")), start=1):
            lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
            out.append((f"{doc.name}#{k}", lines))
    return out


BLOCKS = sh_blocks()


def skip_reason(line: str) -> str | None:
    return next((why for pat, why in SKIP.items() if re.search(pat, line)), None)


# ---------------------------------------------------------------------------
# the example, under the names the docs use


def _example_rows() -> list[dict[str, str]]:
    import csv

    with open(EXAMPLE, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _geojson(rows) -> str:
    feats = []
    for r in rows:
        geom = ({"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]}
                if r["lat"] and r["lon"] else None)
        props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return json.dumps({"type": "FeatureCollection", "features": feats})


def _kml(rows) -> str:
    from xml.sax.saxutils import escape

    marks = []
    for r in rows:
        point = (f"<Point><coordinates>{r['lon']},{r['lat']}</coordinates></Point>"
                 if r["lat"] and r["lon"] else "")
        marks.append(f"<Placemark><name>{escape(r['id'])}</name><ExtendedData>"
                     f"<Data name=\"claimed\"><value>{escape(r['claimed'])}</value></Data>"
                     f"<Data name=\"clip\"><value>{escape(r['clip'])}</value></Data>"
                     f"</ExtendedData>{point}</Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document>{''.join(marks)}</Document></kml>")


def _layers(d: Path) -> None:
    import geopandas as gpd
    import shapely

    gpd.GeoDataFrame({"ADM0_PCODE": ["UA", "UA"], "ADM1_PCODE": ["UA59", "UA63"],
                      "ADM1_EN": ["Sumska", "Kharkivska"]},
                     geometry=[shapely.box(33.0, 50.0, 35.4, 52.4),
                               shapely.box(35.4, 48.5, 38.5, 50.43)],
                     crs="EPSG:4326").to_file(d / "ukr-adm1.gpkg", driver="GPKG")
    gpd.GeoDataFrame({"party": ["RU", "UA"], "valid_from": ["2022-02-24", "2022-09-11"],
                      "valid_to": ["2022-09-11", "2030-01-01"]},
                     geometry=[shapely.box(35.0, 49.0, 38.0, 51.0)] * 2,
                     crs="EPSG:4326").to_file(d / "control.gpkg", driver="GPKG")


def _git(d: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(d), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("docs-template")
    rows = _example_rows()
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in ("claims.csv", "a.csv", "events.csv"):
        (d / name).write_text(text, encoding="utf-8")
    (d / "export.csv").write_text(text.replace(",lat,lon,", ",latitude_deg,longitude_deg,", 1),
                                  encoding="utf-8")
    (d / "claims.geojson").write_text(_geojson(rows), encoding="utf-8")
    (d / "b.geojson").write_text(_geojson(rows), encoding="utf-8")
    with zipfile.ZipFile(d / "claims.kmz", "w") as z:
        z.writestr("doc.kml", _kml(rows))
    (d / "data" / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLE, d / "data" / "examples" / EXAMPLE.name)
    shutil.copy(EXAMPLE, d / "data" / "claims.csv")  # a dataset repository's layout
    (d / "data" / "README.md").write_text("# the dataset\n", encoding="utf-8")
    _layers(d)
    _git(d, "init", "-q")
    _git(d, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(d, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "data")
    _git(d, "update-ref", "refs/remotes/origin/main", "HEAD")
    return d


def _layer_geojson() -> bytes:
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({"shapeISO": ["UA-59", "UA-63"], "shapeName": ["Sumy", "Kharkiv"],
                             "shapeGroup": ["UKR", "UKR"]},
                            geometry=[shapely.box(33.0, 50.0, 35.4, 52.4),
                                      shapely.box(35.4, 48.5, 38.5, 50.43)],
                            crs="EPSG:4326").to_json().encode()


@pytest.fixture(scope="module")
def source_server():
    body = _layer_geojson()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


# ---------------------------------------------------------------------------
# running one line


def _run_line(line: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    words = shlex.split(line, comments=True)
    stdin = None
    if "<" in words:
        i = words.index("<")
        stdin = (cwd / words[i + 1]).read_bytes()
        words = words[:i] + words[i + 2:]
    if words[0] == "geoverify":
        r = CliRunner().invoke(cli, words[1:], input=stdin, env=env, catch_exceptions=False)
        return r.exit_code, r.output
    if words[:3] == ["python", "-m", "geoverify"]:
        p = subprocess.run([sys.executable, *words[1:]], input=stdin, cwd=cwd,
                           capture_output=True, env={**_os_env(), **env}, timeout=300)
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    if words[0] == "git":
        p = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                            *words[1:]], cwd=cwd, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr
    raise AssertionError(f"a command the doc-test does not know how to run: {line!r}; run it "
                         "here or add it to SKIP with the reason")


def _os_env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.mark.parametrize("where, lines", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_docs__every_shell_command_runs(where, lines, template, source_server, tmp_path,
                                        monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(template, work, symlinks=True)
    env = {"GEOVERIFY_DATA_DIR": str(tmp_path / "user-data"),
           "GEOVERIFY_FETCH_BASE_URL": source_server}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(work)
    ran = 0
    for line in lines:
        if skip_reason(line):
            continue
        for part in re.split(r"\s+&&\s+", line):
            code, output = _run_line(part, work, env)
            assert "Traceback" not in output, f"{where}: {part}\n{output}"
            expected = {1} if re.search(r"#.*\bexit 1\b", part) else {0, 1}
            assert code in expected, f"{where}: {part} exited {code}\n{output}"
            ran += 1
    if ran == 0:
        pytest.skip("every command of this block is in SKIP: "
                    + "; ".join(sorted({skip_reason(ln) for ln in lines})))


def test_docs__the_skip_list_is_short_and_used():
    lines = [ln for _, block in BLOCKS for ln in block]
    assert len(SKIP) <= 8
    for pattern in SKIP:
        assert any(re.search(pattern, ln) for ln in lines), f"unused SKIP entry {pattern!r}"
    skipped = [ln for ln in lines if skip_reason(ln)]
    assert len(skipped) < len(lines) / 3


def test_readme__make_demo_output_is_what_it_quotes(monkeypatch):
    """`make demo` runs `geoverify check $(EXAMPLE)`; the README quotes how its output ends."""
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    example = re.search(r"^EXAMPLE := (\S+)$", make, re.M).group(1)
    recipe = re.search(r"^demo:.*\n\t(.+)$", make, re.M).group(1)
    assert recipe == "$(BIN)/geoverify check $(EXAMPLE)"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"`make demo` runs .*? It ends with\n\n```\n(.*?)```", readme,
                       re.S).group(1)
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(cli, ["check", example], catch_exceptions=False)
    assert r.exit_code == 0
    assert r.stdout.endswith(quoted)
    assert f"`make demo` runs `geoverify check {example}`" in readme


def test_readme__python_version_matches_setup_cfg():
    cfg = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    version = re.search(r"python_requires = >=(\d+\.\d+)", cfg).group(1)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Python {version}+" in readme
    assert not re.search(r"Python 3\.\d+\+", readme.replace(f"Python {version}+", ""))


def test_readme__every_notation_example_is_the_checkpoint():
    """The notation table's examples all write the Grayvoron checkpoint (50.43005, 35.59057)."""
    from geoverify.coords import parse_coordinates

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| notation | example |"):]
    table = table[:table.index("\n\n")]
    checked = 0
    for row in table.splitlines()[2:]:
        notation, example = [c.strip() for c in row.strip("|").split("|", 1)]
        if notation == "map links":
            continue  # URL patterns (`/@lat,lon,z`), not examples
        for text in re.findall(r"`([^`]+)`", example):
            c = parse_coordinates(text)
            d = _haversine(c.lon, c.lat, 35.59057, 50.43005)
            assert d < 50, f"{notation}: {text} is {d:.0f} m from the checkpoint"
            checked += 1
    assert checked >= 10


def _haversine(lon1, lat1, lon2, lat2) -> float:
    import math

    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))
