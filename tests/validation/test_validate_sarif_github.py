"""SARIF for GitHub code scanning: the official SARIF 2.1.0 schema, and GitHub's upload rules
for every result (issue 14, item 6).

GitHub's ingestion rules are the "GitHub" rule set of Microsoft's SARIF Multitool
(``sarif validate --rule-kinds Ghas``) and the required properties in GitHub's "SARIF support
for code scanning" page; :func:`github_upload_problems` writes each one as an explicit check,
named by its Multitool rule id. Files whose findings have no line (GeoJSON rows, a file
without a source column) are in the dataset on purpose: that is where region-less results
came from.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jsonschema
import pytest
from gv_validate_helpers import csv_text, fixed_rows, init_repo, make_row, run

from geoverify.io.reports import to_sarif
from geoverify.validation.validation import baseline_document, validate

#: GitHub's upload limits ("SARIF support for code scanning": a file over one is rejected).
MAX_RUNS, MAX_RESULTS, MAX_RULES, MAX_LOCATIONS = 20, 25_000, 25_000, 1_000


def _text(obj, key="text") -> str:
    return obj.get(key) if isinstance(obj, dict) and isinstance(obj.get(key), str) else ""


def github_upload_problems(doc: dict) -> list[str]:
    """Every way ``doc`` breaks GitHub's SARIF upload rules, one line each (empty: accepted)."""
    out: list[str] = []
    schema = doc.get("$schema", "")
    # GH1011 ReferenceFinalSchema, GH1013 ProvideRequiredSarifLogProperties
    if not re.search(r"2\.1\.0(-rtm\.5)?(\.json)?$", schema):
        out.append(f"GH1011: $schema {schema!r} is not the final SARIF 2.1.0 schema")
    if doc.get("version") != "2.1.0":
        out.append(f"GH1013: version {doc.get('version')!r} is not 2.1.0")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs or len(runs) > MAX_RUNS:
        return out + [f"GH1013: runs must hold 1 to {MAX_RUNS} runs"]
    for r, run_ in enumerate(runs):
        at = f"runs[{r}]"
        # GH1014 ProvideRequiredRunProperties
        if "tool" not in run_ or not isinstance(run_.get("results"), list):
            out.append(f"GH1014: {at} needs tool and results")
            continue
        driver = run_["tool"].get("driver") or {}
        # GH1018 ProvideRequiredToolProperties (+ SARIF2005: informationUri)
        if not _text(driver, "name").strip():
            out.append(f"GH1018: {at}.tool.driver.name is missing")
        info = driver.get("informationUri", "")
        if urlsplit(info).scheme not in ("http", "https") or not urlsplit(info).netloc:
            out.append(f"GH1018: {at}.tool.driver.informationUri {info!r} is not an absolute URL")
        rules = driver.get("rules")
        if not isinstance(rules, list):
            out.append(f"GH1018: {at}.tool.driver.rules is missing")
            rules = []
        if len(rules) > MAX_RULES:
            out.append(f"GH1004: {len(rules)} rules > {MAX_RULES}")
        ids = [x.get("id") for x in rules]
        if len(set(ids)) != len(ids):
            out.append(f"GH2012: {at} rule ids are not unique")
        for i, rule in enumerate(rules):
            # GH2012 ProvideRequiredReportingDescriptorProperties
            where = f"{at}.rules[{i}] ({rule.get('id')})"
            if not str(rule.get("id") or "").strip():
                out.append(f"GH2012: {where} has no id")
            for key, limit in (("shortDescription", 1024), ("fullDescription", 1024)):
                t = _text(rule.get(key))
                if not t.strip() or len(t) > limit:
                    out.append(f"GH2012: {where}.{key}.text is empty or over {limit} characters")
            if not _text(rule.get("help")).strip():
                out.append(f"GH2012: {where}.help.text is missing")
            if len(rule.get("name", "")) > 255:
                out.append(f"GH2012: {where}.name is over 255 characters")
        results = run_["results"]
        if len(results) > MAX_RESULTS:
            out.append(f"GH1004: {len(results)} results > {MAX_RESULTS}")
        for k, res in enumerate(results):
            where = f"{at}.results[{k}] ({res.get('ruleId')})"
            # ruleId: how code scanning files the alert
            if res.get("ruleId") not in ids:
                out.append(f"GH1015: {where} ruleId is not one of the driver's rules")
            elif "ruleIndex" in res and ids[res["ruleIndex"]] != res["ruleId"]:
                out.append(f"GH1015: {where} ruleIndex points at another rule")
            # GH1015 ProvideRequiredResultProperties, GH1007 ProvideFullyFormattedMessageStrings
            if not _text(res.get("message")).strip():
                out.append(f"GH1007: {where} message.text is empty")
            if not isinstance(res.get("partialFingerprints"), dict) or not res["partialFingerprints"]:
                out.append(f"GH1015: {where} has no partialFingerprints")
            locs = res.get("locations")
            if not isinstance(locs, list) or not locs:
                out.append(f"GH1001: {where} has no locations")
                continue
            if len(locs) > MAX_LOCATIONS:
                out.append(f"GH1004: {where} has {len(locs)} locations > {MAX_LOCATIONS}")
            for j, loc in enumerate(locs):
                lw = f"{where}.locations[{j}]"
                phys = loc.get("physicalLocation")
                if not isinstance(phys, dict):  # GH1016 ProvideRequiredLocationProperties
                    out.append(f"GH1016: {lw} has no physicalLocation")
                    continue
                uri = (phys.get("artifactLocation") or {}).get("uri")
                if not uri:  # GH1001 ProvideRequiredLocationProperties, GH1017
                    out.append(f"GH1001: {lw} has no physicalLocation.artifactLocation.uri")
                elif urlsplit(uri).scheme or uri.startswith("/"):
                    # GH1005 LocationsMustBeRelativeUrisOrFilePaths, GH1006 ProvideCheckoutPath
                    out.append(f"GH1005: {lw} uri {uri!r} is not relative to the repository")
                region = phys.get("region")
                if not isinstance(region, dict):  # GH1003 ProvideRequiredRegionProperties
                    out.append(f"GH1003: {lw} has no region")
                    continue
                start = region.get("startLine")
                if not isinstance(start, int) or start < 1:
                    out.append(f"GH1003: {lw} region.startLine {start!r} is not a line >= 1")
                    continue
                # SARIF1007 RegionPropertiesMustBeConsistent
                if region.get("endLine", start) < start:
                    out.append(f"SARIF1007: {lw} endLine precedes startLine")
                if any(region.get(c, 1) < 1 for c in ("startColumn", "endColumn")):
                    out.append(f"SARIF1007: {lw} a column is below 1")
    return out


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Findings with a line and column (CSV), with a row but no line (GeoJSON), and about a
    whole file (a CSV without a source column); an allow-listed row; an unreadable file."""
    root = init_repo(tmp_path_factory.mktemp("sarif") / "repo")
    data = root / "data"
    data.mkdir()
    rows = fixed_rows()[:5] + [
        make_row("b1", "50.425192", "35.527879", claimed="Belgorod oblast"),
        make_row("b2", "50.450100", "30.523400", source="javascript:alert(1)"),
        make_row("b3", "50.450100", "30.523400", date="1527")]
    (data / "claims.csv").write_text(csv_text(rows), encoding="utf-8")
    header = ["id", "lat", "lon", "claimed"]
    (data / "no-source.csv").write_text(csv_text(
        [{k: r[k] for k in header} for r in fixed_rows()[:3]], header=header), encoding="utf-8")
    (data / "points.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5234, 50.4501]},
         "properties": {"id": "g1", "claimed": "Russia", "source": "https://example.org/g"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.5234, 50.4501]},
         "properties": {"id": "g2", "claimed": "Ukraine"}},
    ]}), encoding="utf-8")
    (root / ".geoverify.toml").write_text(
        '[[allow]]\nid = "b1"\ncode = "claim-mismatch"\nreason = "known"\n', encoding="utf-8")
    (root / "broken.json").write_text("{ not json", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def reports(dataset):
    result = validate([dataset / "data", dataset / "broken.json"], on_error="collect")
    doc = baseline_document(result)
    doc["findings_index"] = [k for k in doc["findings_index"] if k[2] != "invalid-url"]
    baselined = validate([dataset / "data"], baseline=doc)
    return {"plain": result.to_dict(), "baselined": baselined.to_dict()}


def test_dataset__has_findings_without_a_line(reports):
    findings = reports["plain"]["findings"]
    assert any(f["row"] is None and f["line"] is None for f in findings)  # the whole file
    assert any(f["row"] is not None and f["line"] is None for f in findings)  # GeoJSON rows
    assert {f["status"] for f in findings} == {"new", "allowed"}


@pytest.mark.parametrize("which", ["plain", "baselined"])
@pytest.mark.parametrize("fail_on", ["error", "never"])
def test_to_sarif__passes_the_official_schema_and_githubs_upload_rules(
        sarif_schema, reports, which, fail_on):
    doc = json.loads(to_sarif(reports[which], fail_on))
    validator = jsonschema.Draft4Validator(
        sarif_schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    assert [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)] == []
    assert github_upload_problems(doc) == []
    assert len(doc["runs"][0]["results"]) == len(reports[which]["findings"])


def test_to_sarif__a_finding_about_a_whole_file_points_at_line_1(reports):
    doc = json.loads(to_sarif(reports["plain"]))
    (res,) = [r for r in doc["runs"][0]["results"]
              if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
              == "data/no-source.csv"]
    assert res["ruleId"] == "missing-source"
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert res["properties"]["row"] is None


def test_to_sarif__a_row_without_a_line_points_at_line_1_and_names_the_row(reports):
    doc = json.loads(to_sarif(reports["plain"]))
    geo = [r for r in doc["runs"][0]["results"]
           if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
           == "data/points.geojson"]
    assert geo and all(r["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
                       for r in geo)
    assert {r["properties"]["row"] for r in geo} == {1, 2}
    assert all(re.match(r"row \d", r["message"]["text"]) for r in geo)


def test_to_sarif__driver_and_rules_carry_links_and_help(reports):
    driver = json.loads(to_sarif(reports["plain"]))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    for rule in driver["rules"]:
        assert rule["helpUri"].startswith(driver["informationUri"].rstrip("/"))
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"**`{rule['id']}`**")


def test_to_sarif__fingerprints_stay_put_when_rows_move(dataset, reports):
    doc = json.loads(to_sarif(reports["plain"]))
    prints = [r["partialFingerprints"] for r in doc["runs"][0]["results"]]
    assert len({json.dumps(p, sort_keys=True) for p in prints}) == len(prints)
    # the same findings, one line lower: the fingerprints do not change
    moved = json.loads(json.dumps(reports["plain"]))
    for f in moved["findings"]:
        f["line"] = None if f["line"] is None else f["line"] + 1
    assert [r["partialFingerprints"] for r in json.loads(to_sarif(moved))["runs"][0]["results"]] \
        == prints


def test_to_sarif__results_over_githubs_limit_are_cut_with_a_notice(reports):
    big = json.loads(json.dumps(reports["plain"]))
    template = next(f for f in big["findings"] if f["code"] == "invalid-date")
    big["findings"] = [dict(template, key=f"k{i}", row=i + 1, line=i + 2,
                            severity="error" if i % 2 else "warning")
                       for i in range(MAX_RESULTS + 10)]
    doc = json.loads(to_sarif(big))
    run_ = doc["runs"][0]
    assert len(run_["results"]) == MAX_RESULTS
    assert github_upload_problems(doc) == []
    # errors are kept first, and the cut is said
    assert sum(r["level"] == "error" for r in run_["results"]) == (MAX_RESULTS + 10) // 2
    notes = [n["message"]["text"] for n in run_["invocations"][0]["toolExecutionNotifications"]]
    assert any("10 more finding(s)" in n and "--format json" in n for n in notes)


def test_cli_sarif__the_documented_command_writes_an_uploadable_file(dataset, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(dataset)
    out = tmp_path / "geoverify.sarif"
    r = run("validate", "data", "--format", "sarif", "-o", str(out), "--fail-on", "never")
    assert r.exit_code == 0, r.stderr
    assert github_upload_problems(json.loads(out.read_text(encoding="utf-8"))) == []
