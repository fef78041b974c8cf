"""``--format junit`` against Jenkins' ``junit-10.xsd``, the schema strict consumers use
(issue 14, item 7): no ``file`` on ``<testcase>``, no ``skipped`` on ``<testsuites>``; the file
stays in the suite's ``file`` attribute and a ``<property>``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from gv_validate_helpers import csv_text, fixed_rows, init_repo, make_row, run

from geoverify.io.reports import to_junit
from geoverify.validation.validation import validate

xmlschema = pytest.importorskip("xmlschema")


@pytest.fixture(scope="module")
def schema(junit_xsd):
    return xmlschema.XMLSchema(str(junit_xsd))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Failures, findings below --fail-on (system-out), a check turned off (skipped) and an
    unreadable file (error), with hostile text."""
    root = init_repo(tmp_path_factory.mktemp("junit") / "repo")
    (root / "data").mkdir()
    rows = fixed_rows()[:5] + [
        make_row("b1", "50.425192", "35.527879", claimed="Belgorod oblast"),
        make_row("b2", "50.450100", "30.523400", source=""),
        make_row("b3", "50.450100", "30.523400", claimed="Narnia </failure>]]>\x01 & \"q\"")]
    (root / "data" / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    (root / "data" / "odd name, 100%.csv").write_text(csv_text(fixed_rows()[:3]),
                                                       encoding="utf-8")
    (root / ".geoverify.toml").write_text('[severity]\nnear-border = "off"\n', encoding="utf-8")
    (root / "data" / "broken.json").write_text("{ not json", encoding="utf-8")
    return validate([root / "data"], on_error="collect").to_dict()


def test_report__has_every_junit_element(report):
    xml = to_junit(report, "error")
    root = ET.fromstring(xml)
    for tag in ("failure", "error", "skipped", "system-out", "properties"):
        assert root.find(f".//{tag}") is not None, tag


@pytest.mark.parametrize("fail_on", ["error", "warning", "never"])
def test_to_junit__valid_against_jenkins_junit_10_xsd(schema, report, fail_on):
    xml = to_junit(report, fail_on)
    problems = [f"{e.path}: {e.reason}" for e in schema.iter_errors(xml)]
    assert problems == []


def test_to_junit__writes_nothing_pytests_copy_of_the_schema_adds(report):
    root = ET.fromstring(to_junit(report))
    assert all(s.get("version") is None for s in root.iter("testsuite"))
    assert all(s.get("time") is None for s in root.iter("testsuite"))


def test_to_junit__the_file_is_kept_on_the_suite_and_in_a_property(report):
    root = ET.fromstring(to_junit(report))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    for fr in report["files"]:
        suite = suites[fr["path"]]
        assert suite.get("file") == fr["path"]
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["file"] == fr["path"] and props["sha256"] == fr["sha256"]
        assert props["rows"] == str(fr["rows"])
        assert all(c.get("file") is None and c.get("classname") == fr["path"]
                   for c in suite.iter("testcase"))
    (err,) = [s for s in root.iter("testsuite") if s.find(".//error") is not None]
    assert err.get("file") == err.get("name") and err.get("name").endswith("broken.json")


def test_to_junit__totals_add_up_without_skipped_on_testsuites(report):
    root = ET.fromstring(to_junit(report))
    assert root.get("skipped") is None
    suites = list(root.iter("testsuite"))
    for k in ("tests", "failures", "errors"):
        assert int(root.get(k)) == sum(int(s.get(k)) for s in suites)
    assert sum(int(s.get("skipped")) for s in suites) == len(root.findall(".//skipped")) > 0


def test_cli_junit__valid_against_the_xsd(schema, report, tmp_path):
    data = tmp_path / "claims.csv"
    data.write_text(csv_text(fixed_rows()[:5] + [make_row("b1", "50.425192", "35.527879",
                                                          claimed="Belgorod oblast")]),
                    encoding="utf-8")
    r = run("validate", str(data), "--format", "junit")
    assert r.exit_code == 1
    assert [e.reason for e in schema.iter_errors(r.stdout)] == []
    assert json.dumps(r.stdout).count("<failure") == 1
