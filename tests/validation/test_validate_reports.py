"""Report formats of ``validate``: SARIF against the official schema, JUnit counts, GitHub
workflow-command escaping, Markdown, text, and JSON equal to the Python API."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from gv_validate_helpers import (
    SEEDED,
    csv_text,
    fixed_rows,
    init_repo,
    make_row,
    run,
    seeded_rows,
)

from geoverify.io.reports import (
    escape_data,
    escape_property,
    format_validation,
    to_github,
    to_junit,
    to_markdown,
    to_sarif,
)
from geoverify.validation.validation import validate

HOSTILE = "Narnia </failure>]]><x a=\"1\">&amp; 100% a:b,c\x01\x1b[31m | *bold*"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Two claims files (one with an odd name and hostile text), a configuration with an
    allow-list, and a corrupt file in a sibling directory."""
    root = init_repo(tmp_path_factory.mktemp("reports") / "repo")
    data = root / "data"
    data.mkdir()
    (data / "claims.csv").write_text(csv_text(seeded_rows()), encoding="utf-8")
    odd = [
        make_row("o1", "50.450100", "30.523400", claimed=HOSTILE),
        make_row("o2", "50.450100", "30.523400", source="https://example.org/a\nsecond line"),
        make_row("o3", "50.450100", "30.523400", date="1660443452719468545"),
    ]
    (data / "odd,name:100%.csv").write_text(csv_text(odd), encoding="utf-8")
    (data / "points.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5234, 50.4501]},
         "properties": {"id": "g1", "claimed": "Russia", "source": "https://example.org/g"}},
    ]}), encoding="utf-8")
    (root / ".geoverify.toml").write_text(
        '[[allow]]\nid = "r06"\ncode = "claim-mismatch"\n'
        'reason = "the MoD claim is the one being debunked"\n', encoding="utf-8")
    broken = root / "broken"
    broken.mkdir()
    (broken / "bad.json").write_text("{ not json", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def result(dataset):
    return validate([dataset / "data", dataset / "broken"], on_error="collect")


@pytest.fixture(scope="module")
def report(result):
    return result.to_dict()


@pytest.fixture(scope="module")
def baselined_report(dataset, result):
    from geoverify.validation.validation import baseline_document

    doc = baseline_document(result)
    doc["findings_index"] = [k for k in doc["findings_index"] if k[2] != "invalid-date"]
    return validate([dataset / "data"], baseline=doc).to_dict()


def test_report__fixture_has_every_kind_of_result(report, baselined_report):
    statuses = {f["status"] for f in report["findings"]}
    assert statuses == {"new", "allowed"}
    assert {f["status"] for f in baselined_report["findings"]} == {"new", "baselined", "allowed"}
    assert [e["file"].endswith("broken/bad.json") for e in report["errors"]] == [True]
    assert any(f["line"] is None and f["row"] for f in report["findings"])  # GeoJSON rows


# ---------------------------------------------------------------------------
# SARIF


@pytest.mark.parametrize("which", ["plain", "baselined"])
def test_to_sarif__valid_against_the_official_2_1_0_schema(sarif_schema, report,
                                                          baselined_report, which):
    rep = report if which == "plain" else baselined_report
    doc = json.loads(to_sarif(rep))
    validator = jsonschema.Draft4Validator(sarif_schema,
                                           format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    problems = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in problems] == []
    assert doc["version"] == "2.1.0"


def test_to_sarif__rules_are_codes_and_results_point_at_file_line_column(report):
    doc = json.loads(to_sarif(report))
    run_ = doc["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    results = run_["results"]
    assert len(results) == len(report["findings"])
    for res in results:
        assert rules[res["ruleIndex"]] == res["ruleId"]
    mismatch = next(r for r in results if r["ruleId"] == "claim-mismatch"
                    and r["properties"]["row"] == 6)
    loc = mismatch["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "data/claims.csv"
    assert loc["region"] == {"startLine": 7, "startColumn": 43}
    assert mismatch["suppressions"][0]["justification"] == "the MoD claim is the one being debunked"
    odd = next(r for r in results if r["properties"]["key"] == "o1")
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "data/odd%2Cname%3A100%25.csv"
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["near-border"] == "warning" and levels["invalid-url"] == "error"
    assert run_["invocations"][0]["executionSuccessful"] is False
    assert "bad.json" in run_["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_to_sarif__baseline_state_marks_new_and_known_results(baselined_report):
    results = json.loads(to_sarif(baselined_report))["runs"][0]["results"]
    states = {(r["ruleId"], r["baselineState"]) for r in results}
    assert ("invalid-date", "new") in states and ("claim-mismatch", "unchanged") in states


# ---------------------------------------------------------------------------
# JUnit


def test_to_junit__one_case_per_file_check_and_counts_match_findings(report):
    for fail_on in ("error", "warning", "never"):
        root = ET.fromstring(to_junit(report, fail_on))
        assert root.tag == "testsuites"
        n_files = len(report["files"])
        checks = {fr["path"]: len(fr["checks"]) for fr in report["files"]}
        assert int(root.get("tests")) == sum(checks.values()) + len(report["errors"])
        failing = [f for f in report["findings"] if f["status"] == "new" and fail_on != "never"
                   and {"error": 2, "warning": 1, "info": 0}[f["severity"]]
                   >= {"error": 2, "warning": 1}[fail_on]]
        failures = root.findall(".//testcase/failure")
        assert int(root.get("failures")) == len(failures) == len({(f["file"], f["code"])
                                                                   for f in failing})
        assert sum(len(x.text.splitlines()) for x in failures) == len(failing)
        assert sum(int(re.match(r"\d+", x.get("message")).group()) for x in failures) == len(failing)
        assert int(root.get("errors")) == len(report["errors"]) == 1
        suites = root.findall("testsuite")
        assert len(suites) == n_files + 1
        for suite in suites[:n_files]:
            cases = suite.findall("testcase")
            assert len(cases) == checks[suite.get("name")]
            assert int(suite.get("tests")) == len(cases)
            assert len({c.get("name") for c in cases}) == len(cases)


def test_to_junit__hostile_text_is_escaped_and_still_parses(report):
    xml_text = to_junit(report, "warning")
    root = ET.fromstring(xml_text)  # would raise on a broken document
    assert "\x01" not in xml_text and "\x1b" not in xml_text
    texts = " ".join(x.text or "" for x in root.iter("failure"))
    assert "Narnia </failure>]]><x a=\"1\">&amp; 100% a:b,c" in texts


def test_to_junit__checks_turned_off_are_skipped(dataset, tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[tool.geoverify.severity]\nnear-border = "off"\n', encoding="utf-8")
    rep = validate([dataset / "data" / "claims.csv"], config=cfg).to_dict()
    root = ET.fromstring(to_junit(rep))
    skipped = root.findall(".//testcase[skipped]")
    assert [c.get("name") for c in skipped] == ["near-border"]
    assert root.find("testsuite").get("skipped") == "1"


# ---------------------------------------------------------------------------
# GitHub workflow commands


@pytest.mark.parametrize("raw, data, prop", [
    ("plain", "plain", "plain"),
    ("100%", "100%25", "100%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
    ("%0A", "%250A", "%250A"),
])
def test_escape__workflow_command_data_and_properties(raw, data, prop):
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_to_github__one_annotation_per_new_finding_with_escaped_properties(report):
    out = to_github(report).splitlines()
    commands = [line for line in out if line.startswith("::")]
    new = [f for f in report["findings"] if f["status"] == "new"]
    assert len(commands) == len(new) + len(report["errors"])
    pattern = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")
    for line in commands:
        m = pattern.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        assert set(props) <= {"file", "line", "col", "title"}
        assert "\n" not in m.group(3) and "\r" not in m.group(3)
    assert not any("line=7,col=43" in c for c in commands)  # r06 is allow-listed
    assert ("::error file=data/claims.csv,line=20,col=51,title=geoverify invalid-url (row 19)"
            "::row 19: 'javascript:alert(1)' uses the javascript: scheme") in "\n".join(commands)
    odd = [c for c in commands if "odd" in c]
    assert odd and all("file=data/odd%2Cname%3A100%25.csv" in c for c in odd)
    assert any(c.startswith("::notice ") for c in commands) or not any(
        f["severity"] == "info" for f in new)
    assert not out[-1].startswith("::")  # the closing summary is a plain log line


def test_to_github__line_of_a_multiline_cell_row(report):
    # o2's source spans two physical lines: o3 starts one line later than row + 1
    by = {(f["key"], f["code"]): f for f in report["findings"]}
    assert by[("o2", "invalid-url")]["line"] == 3
    assert by[("o3", "invalid-date")]["line"] == 5


# ---------------------------------------------------------------------------
# Markdown, text, JSON


def test_to_markdown__summary_counts_findings_and_escapes_cells(report):
    md = to_markdown(report)
    assert md.startswith("## geoverify validate")
    assert report["summary"]["headline"].split(":")[0] in md
    assert "| `claim-mismatch` | error |" in md
    assert "Narnia </failure>" not in md and "Narnia \\</failure\\>" in md
    # every finding row keeps its 6 cells: pipes inside messages are escaped
    findings = md.split("### Findings", 1)[1].split("###", 1)[0]
    rows = [line for line in findings.splitlines() if line.startswith("| data/")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", line)) == 7 for line in rows)
    assert "### Allowed (known exceptions)" in md and "being debunked" in md
    assert "### Could not be checked" in md


def test_format_validation__text_lists_file_line_column_severity_code(report):
    text = format_validation(report, "text")
    assert "data/claims.csv:7:43: error claim-mismatch" not in text  # allowed
    assert "allowed: data/claims.csv:7:43 claim-mismatch (id r06)" in text
    assert "data/claims.csv:20:51: error invalid-url: row 19: 'javascript:alert(1)'" in text
    assert "could not be checked" in text


def test_cli_json__equals_the_python_api(dataset, report):
    r = run("validate", str(dataset / "data"), str(dataset / "broken"), "--format", "json")
    assert r.exit_code == 3  # the broken file; the report is printed all the same
    assert json.loads(r.stdout) == json.loads(json.dumps(report))
    assert len(report["findings"]) >= len(SEEDED)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small dataset with two findings and no unknown claim (those are slow to look up)."""
    root = init_repo(tmp_path_factory.mktemp("small") / "repo")
    rows = fixed_rows()[:6] + [
        make_row("b1", "50.425192", "35.527879", claimed="Belgorod oblast"),
        make_row("b2", "50.450100", "30.523400", source="javascript:alert(1)")]
    (root / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif", "github", "markdown"])
def test_cli__every_format_to_a_file_and_never_overwrites(small, tmp_path, fmt, monkeypatch):
    monkeypatch.chdir(small)
    out = tmp_path / f"report.{fmt}"
    r = run("validate", "claims.csv", "--format", fmt, "-o", str(out))
    assert r.exit_code == 1 and r.stdout == ""
    assert out.read_text(encoding="utf-8") == format_validation(
        validate(["claims.csv"]).to_dict(), fmt, "error")
    r = run("validate", "claims.csv", "--format", fmt, "-o", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.stderr
    assert out.read_text(encoding="utf-8") != ""


def test_cli__overwrite_replaces_the_report(small, tmp_path, monkeypatch):
    monkeypatch.chdir(small)
    out = tmp_path / "report.txt"
    out.write_text("old\n", encoding="utf-8")
    r = run("validate", "claims.csv", "-o", str(out), "--overwrite", "--fail-on", "never")
    assert r.exit_code == 0
    assert "claims.csv:8:41: error claim-mismatch: row 7" in out.read_text(encoding="utf-8")


def test_cli__summary_appends_markdown(small, tmp_path, monkeypatch):
    monkeypatch.chdir(small)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    r = run("validate", "claims.csv", "--format", "github", "--summary", str(summary))
    assert r.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## geoverify validate")
