"""Report formats of ``geoverify validate``: text, JSON, JUnit XML, SARIF 2.1.0, GitHub
workflow commands and a Markdown summary.

Every formatter takes the JSON report (:meth:`ValidationResult.to_dict`) and the
``--fail-on`` level, and returns text: nothing here decides what is wrong, only how to show it.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Any

from geoverify.codes import ALL_CODES, RANK
from geoverify.io.safety import escape_markdown, escape_text

VALIDATE_FORMATS = ("text", "json", "junit", "sarif", "github", "markdown")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
#: GitHub code scanning rejects a SARIF run with more results than this.
SARIF_MAX_RESULTS = 25_000
#: Where geoverify lives (SARIF ``informationUri``; rules link to ``docs/VALIDATE.md`` there).
#: The installed distribution's ``Home-page``/``Project-URL`` wins when it has one.
PROJECT_URL = "https://github.com/your-org/geoverify"
GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def is_failing(f: dict[str, Any], fail_on: str) -> bool:
    """A finding that fails the run at ``fail_on``: new, and at or above that severity."""
    return (fail_on != "never" and f["status"] == "new"
            and RANK[f["severity"]] >= RANK[fail_on])


def _order(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (f["file"], f["row"] or 0, f["line"] or 0,
                                           f["column"] or 0, f["code"]))


def _where(f: dict[str, Any]) -> str:
    out = f["file"]
    if f["line"] is not None:
        out += f":{f['line']}"
        if f["column"] is not None:
            out += f":{f['column']}"
    return out


def _oneline(text: Any) -> str:
    return escape_text(text)


# ---------------------------------------------------------------------------
# text and JSON


def to_text(report: dict[str, Any], fail_on: str = "error") -> str:
    """One line per new finding (``file:line:col: severity code: message``), then totals."""
    lines = []
    for f in _order([f for f in report["findings"] if f["status"] == "new"]):
        mark = "" if is_failing(f, fail_on) or fail_on == "never" else " (below --fail-on)"
        key = f" [id {_oneline(f['key'])}]" if f["key"] and not f["key"].startswith("sha256:") else ""
        lines.append(f"{_oneline(_where(f))}: {f['severity']} {f['code']}{mark}: "
                     f"{_oneline(f['message'])}"
                     + key)
    if lines:
        lines.append("")
    hidden = Counter(f["status"] for f in report["findings"] if f["status"] != "new")
    if hidden.get("baselined"):
        lines.append(f"{hidden['baselined']} finding(s) recorded in the baseline, not shown")
    allowed = [f for f in report["findings"] if f["status"] == "allowed"]
    for f in _order(allowed):
        lines.append(f"allowed: {_oneline(_where(f))} {f['code']} (id {_oneline(f['key'])}): "
                     f"{_oneline(f['reason'])}")
    for a in report["allow_unused"]:
        lines.append(f"unused allow entry in {a['config'] or 'the configuration'}: id {a['id']} "
                     f"{a['code']}" + (f" (file {a['file']})" if a.get("file") else "")
                     + " (no such finding any more; remove it)")
    for x in report.get("skipped", []):
        lines.append(f"skipped {x['path']}: {x['reason']}")
    base = report.get("baseline") or {}
    for b in base.get("boundaries_changed", []):
        lines.append(f"boundary layer {b['name']} changed since the baseline "
                     f"(sha256 {b['was'][:12]}… -> {str(b['now'])[:12]}…); verdicts may differ")
    for e in report["errors"]:
        lines.append(f"{_oneline(e['file'])}: could not be checked: {_oneline(e['message'])}")
    failing = sum(1 for f in report["findings"] if is_failing(f, fail_on))
    lines.append(report["summary"]["headline"]
                 + (f"; {failing} at or above --fail-on {fail_on}" if fail_on != "never" else ""))
    return "\n".join(lines) + "\n"


def to_json(report: dict[str, Any], fail_on: str = "error") -> str:
    """Exactly the Python API's ``ValidationResult.to_dict()``."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------
# JUnit XML

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml(text: Any) -> str:
    """Text XML 1.0 can hold: characters it forbids become U+FFFD (ElementTree escapes the
    rest: ``& < > "``)."""
    return _XML_BAD.sub("\ufffd", str(text))


def to_junit(report: dict[str, Any], fail_on: str = "error") -> str:
    """JUnit XML: one ``testsuite`` per file and one ``testcase`` per check (finding code).

    A check fails when it has findings at or above ``fail_on`` (one line each in the
    ``failure`` text); findings below it go to ``system-out``; checks turned off in the
    configuration are ``skipped``; a file that could not be checked is an ``error``.

    The document validates against Jenkins' ``junit-10.xsd``: the file is the suite's ``name``
    and ``file``, each case's ``classname`` and a ``file`` property of the suite (the schema
    has no ``file`` on ``testcase``), and skipped checks are counted per suite only.
    """
    root = ET.Element("testsuites", name="geoverify validate")
    totals = Counter()
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in report["findings"]:
        by_file[f["file"]].append(f)
    for fr in report["files"]:
        suite = ET.SubElement(root, "testsuite", name=_xml(fr["path"]), file=_xml(fr["path"]))
        _junit_properties(suite, file=fr["path"], format=fr["format"], rows=fr["rows"],
                          sha256=fr["sha256"], config=fr["config"])
        counts = Counter()
        file_findings = [f for f in by_file.get(fr["path"], []) if f["status"] == "new"]
        for code, check in fr["checks"].items():
            case = ET.SubElement(suite, "testcase", name=code, classname=_xml(fr["path"]))
            counts["tests"] += 1
            mine = _order([f for f in file_findings if f["code"] == code])
            bad = [f for f in mine if is_failing(f, fail_on)]
            below = [f for f in mine if not is_failing(f, fail_on)]
            if check["severity"] == "off":
                ET.SubElement(case, "skipped", message="turned off in the configuration")
                counts["skipped"] += 1
                continue
            if bad:
                fail = ET.SubElement(case, "failure", type=code,
                                     message=_xml(f"{len(bad)} {code} finding(s) at or "
                                                  f"above {fail_on}"))
                fail.text = _xml("\n".join(
                    f"{_where(f)}: {f['severity']}: {f['message']}" for f in bad))
                counts["failures"] += 1
            if below:
                out = ET.SubElement(case, "system-out")
                out.text = _xml("\n".join(
                    f"{_where(f)}: {f['severity']}: {f['message']}" for f in below))
        for k in ("tests", "failures", "errors", "skipped"):
            suite.set(k, str(counts[k]))
            totals[k] += counts[k]
    for e in report["errors"]:
        suite = ET.SubElement(root, "testsuite", name=_xml(e["file"]), tests="1", failures="0",
                              errors="1", skipped="0", file=_xml(e["file"]))
        _junit_properties(suite, file=e["file"])
        case = ET.SubElement(suite, "testcase", name="read", classname=_xml(e["file"]))
        err = ET.SubElement(case, "error", type="cannot-run", message=_xml(e["message"]))
        err.text = _xml(e["message"])
        totals["tests"] += 1
        totals["errors"] += 1
    for k in ("tests", "failures", "errors"):  # junit-10.xsd: no skipped on testsuites
        root.set(k, str(totals[k]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _junit_properties(suite: ET.Element, **values: Any) -> None:
    props = ET.SubElement(suite, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=_xml(value))


# ---------------------------------------------------------------------------
# SARIF 2.1.0


def _rule_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("-"))


def _fingerprint(f: dict[str, Any]) -> str:
    return hashlib.sha256(f"{f['file']}\x1f{f['key'] or ''}\x1f{f['code']}".encode()).hexdigest()


def project_url() -> str:
    """geoverify's home page: the installed distribution's, else :data:`PROJECT_URL`."""
    from importlib import metadata

    try:
        meta = metadata.metadata("geoverify")
    except metadata.PackageNotFoundError:
        return PROJECT_URL
    urls = [meta.get("Home-page") or ""]
    urls += [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
    return next((u for u in urls if u.startswith(("https://", "http://"))), PROJECT_URL)


def _sarif_rule(code: str, home: str) -> dict[str, Any]:
    from geoverify.codes import DESCRIPTIONS, FIX

    text = DESCRIPTIONS.get(code, code)
    fix = FIX.get(code)
    level = ALL_CODES.get(code, "warning")
    help_text = (f"{text}{' Fix: ' + fix + '.' if fix else ''} Default severity: {level}. "
                 "Change it, or allow-list a known exception, in the configuration; "
                 "see docs/VALIDATE.md in geoverify.")
    return {
        "id": code,
        "name": _rule_name(code),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": SARIF_LEVEL[level]},
        "helpUri": _docs_url(home),
        "help": {"text": help_text,
                 "markdown": f"**`{code}`** ({level} by default): {text}"
                             + (f"\n\nFix: {fix}." if fix else "")
                             + "\n\nChange its severity, or allow-list a known exception with "
                               "its reason, in `.geoverify.toml` (`[severity]`, `[[allow]]`)."},
        "properties": {"tags": ["geolocation", "data-quality"]},
    }


def _docs_url(home: str) -> str:
    """The list of checks in docs/VALIDATE.md, where the home page is a GitHub repository."""
    if home.startswith("https://github.com/") and home.rstrip("/").count("/") == 4:
        return f"{home.rstrip('/')}/blob/main/docs/VALIDATE.md#what-it-finds"
    return home


def _sarif_location(f: dict[str, Any], art_index: dict[str, int]) -> dict[str, Any]:
    """Where a finding is, as GitHub needs it: a repository-relative URI and a region with a
    start line; a finding without a line (about a whole file, or a row of a format without
    lines) points at line 1 (a delimited file's header)."""
    art = _artifact(f["file"])
    if f["file"] in art_index:
        art["index"] = art_index[f["file"]]
    region: dict[str, Any] = {"startLine": f["line"] if f["line"] is not None else 1}
    if f["line"] is not None and f["column"] is not None:
        region["startColumn"] = f["column"]
    return {"physicalLocation": {"artifactLocation": art, "region": region}}


def _artifact(path: str) -> dict[str, Any]:
    if path.startswith("/"):  # outside the repository and the working directory
        return {"uri": "file://" + _uri(path)}
    return {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}


def _sarif_rank(f: dict[str, Any]) -> tuple:
    """Which findings a capped SARIF run keeps first: new, then by severity."""
    return (f["status"] != "new", -RANK[f["severity"]])


def to_sarif(report: dict[str, Any], fail_on: str = "error") -> str:
    """SARIF 2.1.0: one run; one rule per finding code; one result per finding with the file,
    line and column; allow-listed findings carry a suppression with the reason, and with a
    baseline every result has a ``baselineState``.

    Every result meets GitHub code scanning's upload rules: a relative artifact URI, a region
    with a start line (line 1 for a finding about a whole file or a row of a format without
    lines), a rule id, a message and a fingerprint that does not depend on the line. Past
    GitHub's limit of results per run, new findings and higher severities are kept first and
    a notification says how many were left out.
    """
    from geoverify.codes import CHECKS

    home = project_url()
    extra = sorted({f["code"] for f in report["findings"]} - set(CHECKS))
    codes = (*CHECKS, *extra)
    index = {code: i for i, code in enumerate(codes)}
    rules = [_sarif_rule(code, home) for code in codes]
    artifacts = []
    art_index = {}
    for fr in report["files"]:
        art_index[fr["path"]] = len(artifacts)
        artifacts.append({"location": _artifact(fr["path"]), "hashes": {"sha-256": fr["sha256"]}})
    compared = report.get("baseline") is not None
    ordered = _order(report["findings"])
    left_out = 0
    if len(ordered) > SARIF_MAX_RESULTS:
        keep = sorted(range(len(ordered)), key=lambda i: (_sarif_rank(ordered[i]), i))
        keep = sorted(keep[:SARIF_MAX_RESULTS])
        left_out = len(ordered) - len(keep)
        ordered = [ordered[i] for i in keep]
    results = []
    for f in ordered:
        res: dict[str, Any] = {
            "ruleId": f["code"],
            "ruleIndex": index[f["code"]],
            "level": SARIF_LEVEL[f["severity"]],
            "message": {"text": f["message"]},
            "locations": [_sarif_location(f, art_index)],
            "partialFingerprints": {"geoverifyFinding/v1": _fingerprint(f)},
            "properties": {"row": f["row"], "line": f["line"], "field": f["field"],
                           "value": f["value"], "key": f["key"], "status": f["status"]},
        }
        if f["status"] == "allowed":
            res["suppressions"] = [{"kind": "external", "status": "accepted",
                                    "justification": f["reason"] or ""}]
        if compared:
            res["baselineState"] = "unchanged" if f["status"] == "baselined" else "new"
        results.append(res)
    notifications = [{"level": "error", "message": {"text": f"{e['file']}: {e['message']}"},
                      "locations": [{"physicalLocation": {"artifactLocation": _artifact(
                          e["file"])}}]}
                     for e in report["errors"]]
    if left_out:
        notifications.append({"level": "warning", "message": {"text": (
            f"{left_out} more finding(s) are not in this SARIF file: GitHub code scanning "
            f"accepts at most {SARIF_MAX_RESULTS} results per run (new findings and higher "
            "severities were kept); geoverify validate --format json lists them all")}})
    run = {
        "tool": {"driver": {"name": "geoverify", "version": report["geoverify_version"],
                            "semanticVersion": report["geoverify_version"],
                            "informationUri": home,
                            "rules": rules}},
        "invocations": [{"executionSuccessful": not report["errors"],
                         "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The top of the dataset's git repository (or the working directory)."}}},
        "artifacts": artifacts,
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"boundaries": [{"name": b["name"], "sha256": b["sha256"]}
                                      for b in report["boundaries"]],
                       "summary": report["summary"]["headline"]},
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/-._~")


# ---------------------------------------------------------------------------
# GitHub workflow commands


def escape_data(text: Any) -> str:
    """Escape a workflow command's message: ``%``, CR and LF."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: Any) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: dict[str, Any], fail_on: str = "error") -> str:
    """``::error file=...,line=...,col=...,title=...::message`` for every new finding (``notice``
    for info), and an error annotation for each file that could not be checked."""
    lines = []
    for f in _order([f for f in report["findings"] if f["status"] == "new"]):
        props = [f"file={escape_property(f['file'])}"]
        if f["line"] is not None:
            props.append(f"line={f['line']}")
            if f["column"] is not None:
                props.append(f"col={f['column']}")
        title = f"geoverify {f['code']}" + (f" (row {f['row']})" if f["row"] else "")
        props.append(f"title={escape_property(title)}")
        lines.append(f"::{GITHUB_COMMAND[f['severity']]} {','.join(props)}::"
                     f"{escape_data(f['message'])}")
    for e in report["errors"]:
        lines.append(f"::error file={escape_property(e['file'])},"
                     f"title={escape_property('geoverify could not check this file')}::"
                     f"{escape_data(e['message'])}")
    failing = sum(1 for f in report["findings"] if is_failing(f, fail_on))
    lines.append(escape_data(report["summary"]["headline"]
                             + (f"; {failing} at or above --fail-on {fail_on}"
                                if fail_on != "never" else "")))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Markdown

def md(text: Any) -> str:
    """Text safe in a Markdown table cell (no HTML, no links, no line breaks)."""
    return escape_markdown("" if text is None else text)


def to_markdown(report: dict[str, Any], fail_on: str = "error", limit: int = 100) -> str:
    """A summary for ``$GITHUB_STEP_SUMMARY``: totals, counts per check, the findings (up to
    ``limit``), comparisons, allow-listed rows and files that could not be checked."""
    s = report["summary"]
    failing = [f for f in report["findings"] if is_failing(f, fail_on)]
    if report["errors"]:
        status = "⚠️ some files could not be checked"
    elif failing:
        status = f"❌ {len(failing)} finding(s) at or above `{fail_on}`"
    else:
        status = "✅ nothing at or above " + (f"`{fail_on}`" if fail_on != "never" else "any level")
    out = ["## geoverify validate", "", f"**{status}**", "", md(s["headline"]), ""]
    if s["by_code"]:
        out += ["| check | severity | new findings |", "|---|---|---:|"]
        sev = {}
        for fr in report["files"]:
            for code, c in fr["checks"].items():
                sev.setdefault(code, c["severity"])
        for code, n in sorted(s["by_code"].items(), key=lambda kv: (-RANK.get(sev.get(kv[0], "info"), 0), kv[0])):
            out.append(f"| `{code}` | {sev.get(code, '')} | {n} |")
        out.append("")
    new = _order([f for f in report["findings"] if f["status"] == "new"])
    if new:
        out += ["### Findings", "", "| where | row | id | severity | check | message |",
                "|---|---:|---|---|---|---|"]
        for f in new[:limit]:
            out.append(f"| {md(_where(f))} | {f['row'] or ''} | {md(f['key'] or '')} | "
                       f"{f['severity']} | `{f['code']}` | {md(f['message'])} |")
        if len(new) > limit:
            out.append(f"\n… and {len(new) - limit} more (see the annotations or the JSON report)")
        out.append("")
    changes = s.get("changes") or {}
    if changes:
        out += ["### Changes", ""]
        if "since" in changes:
            c = changes["since"]
            out.append(f"- since `{md(c.get('ref'))}`: {c.get('new_rows', 0)} row(s) added, "
                       f"{c.get('changed_rows', 0)} changed, {c.get('removed_rows', 0)} removed; "
                       f"{c.get('region_changed', 0)} frame(s) changed oblast, "
                       f"{c.get('verdict_changed', 0)} changed verdict")
        if "baseline" in changes:
            c = changes["baseline"]
            out.append(f"- since the baseline: {c.get('region_changed', 0)} frame(s) changed "
                       f"oblast, {c.get('verdict_changed', 0)} changed verdict")
        out.append("")
    base = report.get("baseline") or {}
    if base:
        out.append(f"Baseline: {s['by_status']['baselined']} known finding(s) not counted.")
        for b in base.get("boundaries_changed", []):
            out.append(f"- boundary layer `{md(b['name'])}` changed since the baseline "
                       f"(`{b['was'][:12]}` → `{str(b['now'])[:12]}`)")
        out.append("")
    allowed = _order([f for f in report["findings"] if f["status"] == "allowed"])
    if allowed:
        out += ["### Allowed (known exceptions)", "", "| where | id | check | reason |",
                "|---|---|---|---|"]
        for f in allowed[:limit]:
            out.append(f"| {md(_where(f))} | {md(f['key'])} | `{f['code']}` | {md(f['reason'])} |")
        out.append("")
    if report["errors"]:
        out += ["### Could not be checked", ""]
        for e in report["errors"]:
            out.append(f"- {md(e['file'])}: {md(e['message'])}")
        out.append("")
    if report["boundaries"]:
        out.append("Boundaries: " + ", ".join(
            f"{md(b['name'])} `{b['sha256'][:12]}`" for b in report["boundaries"]))
    return "\n".join(out).rstrip("\n") + "\n"


FORMATTERS = {"text": to_text, "json": to_json, "junit": to_junit, "sarif": to_sarif,
              "github": to_github, "markdown": to_markdown}


def format_validation(report: dict[str, Any], fmt: str, fail_on: str = "error") -> str:
    """Render a validation report in one of :data:`VALIDATE_FORMATS`."""
    from geoverify.errors import ConfigError

    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise ConfigError(f"unknown format {fmt!r}; choose one of "
                          f"{', '.join(VALIDATE_FORMATS)}") from None
    return formatter(report, fail_on)


__all__ = ["PROJECT_URL", "SARIF_MAX_RESULTS", "VALIDATE_FORMATS", "escape_data",
           "escape_property", "format_validation", "md", "project_url", "to_github", "to_json",
           "to_junit", "to_markdown", "to_sarif", "to_text"]
