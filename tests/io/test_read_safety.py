"""Hostile and broken claims files: each is refused with ClaimsFileError naming the file."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from geoverify.errors import ClaimsFileError, GeoverifyError
from geoverify.io import table as claims_module
from geoverify.io.claims import read_table

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE kml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>
<name>&lol9;</name><Point><coordinates>35.59,50.43</coordinates></Point>
</Placemark></Document></kml>
"""


def _external_entity(target: str) -> bytes:
    return (f"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "{target}">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>
<name>&secret;</name><Point><coordinates>35.59,50.43</coordinates></Point>
</Placemark></Document></kml>
""").encode()


SIMPLE_KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>a</name><Point><coordinates>35.59,50.43</coordinates></Point></Placemark>
</Document></kml>
"""


def _kmz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_claims_file_error__is_an_oserror_and_a_geoverify_error():
    assert issubclass(ClaimsFileError, OSError) and issubclass(ClaimsFileError, GeoverifyError)


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_read_table__billion_laughs_is_refused_quickly(tmp_path, suffix):
    path = tmp_path / f"laughs{suffix}"
    path.write_bytes(BILLION_LAUGHS if suffix == ".kml" else _kmz({"doc.kml": BILLION_LAUGHS}))
    started = time.perf_counter()
    with pytest.raises(ClaimsFileError, match=r"laughs\.km[lz].*unsafe XML"):
        read_table(path)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:9/secret.txt"])
def test_read_table__external_entity_is_refused(tmp_path, target):
    path = tmp_path / "xxe.kml"
    path.write_bytes(_external_entity(target))
    with pytest.raises(ClaimsFileError, match=r"xxe\.kml.*unsafe XML") as err:
        read_table(path)
    assert "root:" not in str(err.value)


def test_read_table__kml_that_is_not_xml(tmp_path):
    path = tmp_path / "broken.kml"
    path.write_bytes(b"<kml><Document><Placemark><name>a</name></Document></kml>")
    with pytest.raises(ClaimsFileError, match=r"broken\.kml, line 1, column \d+: not well-formed"):
        read_table(path)


def test_read_table__xml_that_is_not_kml(tmp_path):
    path = tmp_path / "track.kml"
    path.write_bytes(b'<?xml version="1.0"?><gpx version="1.1"><trk/></gpx>')
    with pytest.raises(ClaimsFileError, match=r"root element is <gpx>"):
        read_table(path)


def test_read_table__truncated_kmz(tmp_path):
    data = _kmz({"doc.kml": SIMPLE_KML * 50})
    path = tmp_path / "cut.kmz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ClaimsFileError, match=r"cut\.kmz.*(broken|truncated)"):
        read_table(path)


def test_read_table__kmz_with_corrupt_member(tmp_path):
    data = bytearray(_kmz({"doc.kml": SIMPLE_KML * 50}))
    start = data.index(b"doc.kml") + len("doc.kml")  # compressed bytes follow the local header
    for i in range(start + 10, start + 40):
        data[i] ^= 0xFF
    path = tmp_path / "flipped.kmz"
    path.write_bytes(bytes(data))
    with pytest.raises(ClaimsFileError, match=r"flipped\.kmz.*doc\.kml cannot be unpacked"):
        read_table(path)


def test_read_table__kmz_bomb_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(claims_module, "MAX_UNZIPPED_BYTES", 1_000_000)
    padding = b"<!--" + b" " * 2_000_000 + b"-->"
    path = tmp_path / "bomb.kmz"
    path.write_bytes(_kmz({"doc.kml": SIMPLE_KML.replace(b"<Document>", b"<Document>" + padding)}))
    assert path.stat().st_size < 100_000  # it really is a small file that inflates
    with pytest.raises(ClaimsFileError, match=r"bomb\.kmz: doc\.kml would decompress to \d+ "
                                              r"bytes, more than the 1000000 allowed"):
        read_table(path)


def test_read_table__kmz_without_kml(tmp_path):
    path = tmp_path / "icons.kmz"
    path.write_bytes(_kmz({"files/icon.png": b"\x89PNG"}))
    with pytest.raises(ClaimsFileError, match=r"no \.kml file \(files/icon\.png\)"):
        read_table(path)


@pytest.mark.parametrize("content", [
    b"PK\x03\x04 this is not really a zip archive",
    b"just some text saved with the wrong name",
])
def test_read_table__corrupt_xlsx(tmp_path, content):
    path = tmp_path / "claims.xlsx"
    path.write_bytes(content)
    with pytest.raises(ClaimsFileError, match=r"claims\.xlsx: not a readable XLSX"):
        read_table(path)


def test_read_table__xlsx_with_a_broken_sheet(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["lat", "lon"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut the sheet XML in half
            dst.writestr(info, data)
    path = tmp_path / "half.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(ClaimsFileError, match=r"half\.xlsx"):
        read_table(path)


def test_read_table__zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "claims.xlsx"
    path.write_bytes(_kmz({"readme.txt": b"hello"}))
    with pytest.raises(ClaimsFileError, match=r"not an Excel workbook"):
        read_table(path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".geojson", ".jsonl", ".kml",
                                    ".kmz", ".xlsx", ".gpkg", ".parquet", ".fgb", ""])
def test_read_table__empty_file(tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(ClaimsFileError, match=rf"empty{suffix}: empty file"):
        read_table(path)


def test_read_table__whitespace_only_csv(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n  \r\n\n", encoding="utf-8")
    with pytest.raises(ClaimsFileError, match=r"blank\.csv: empty file, expected a header row"):
        read_table(path)


@pytest.mark.parametrize("suffix,kind", [(".gpkg", "GeoPackage"), (".fgb", "FlatGeobuf"),
                                         (".parquet", "Parquet")])
def test_read_table__corrupt_binary_formats(tmp_path, suffix, kind):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(b"\x00\x01 definitely not " + kind.encode() + b" \xff" * 50)
    with pytest.raises(ClaimsFileError, match=rf"junk{suffix}: not a readable {kind}"):
        read_table(path)


def test_read_table__missing_file_and_directory(tmp_path):
    with pytest.raises(ClaimsFileError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ClaimsFileError, match="is a directory"):
        read_table(tmp_path)


@pytest.mark.parametrize("suffix,advice", [(".xls", "save it as .xlsx or .csv"),
                                           (".shp", "convert it to GeoPackage")])
def test_read_table__unsupported_binary_formats_say_what_to_do(tmp_path, suffix, advice):
    path = tmp_path / f"old{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ClaimsFileError, match=advice):
        read_table(path)


def test_read_table__unknown_format_name(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("lat,lon\n1,2\n")
    with pytest.raises(ClaimsFileError, match="unknown format 'shapefile'"):
        read_table(path, fmt="shapefile")


def test_read_table__damaged_files_raise_only_claims_file_error(belgorod_variants, tmp_path):
    # Truncate, overwrite or cut out bytes of every format (seeded, so failures reproduce):
    # a reader either returns a whole table or raises ClaimsFileError, never anything else.
    import random
    import warnings

    rng = random.Random(20230522)
    for name, (path, _) in sorted(belgorod_variants.items()):
        data = path.read_bytes()
        for k in range(12):
            b = bytearray(data)
            if k % 3 == 0:
                b = b[: rng.randrange(1, len(b))]
            elif k % 3 == 1:
                for _ in range(rng.randrange(1, 8)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
            else:
                i = rng.randrange(len(b))
                del b[i: i + rng.randrange(1, 200)]
            damaged = tmp_path / f"damaged-{path.name}"
            damaged.write_bytes(bytes(b))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    table = read_table(damaged)
            except ClaimsFileError as exc:
                assert str(damaged) in str(exc), (name, k, exc)
                continue
            except Exception as exc:  # pragma: no cover - the failure being tested for
                pytest.fail(f"{name}, damage {k}: {type(exc).__name__}: {exc}")
            if table.geometry is not None:
                assert len(table.geometry) == len(table.data), (name, k)
