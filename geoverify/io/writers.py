"""Report formats (table, csv, json, geojson, markdown) and atomic output files."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from geoverify.errors import ClaimsFileError, ConfigError

REPORT_FORMATS = ("table", "csv", "json", "geojson", "markdown")

CSV_COLUMNS = (
    "row", "id", "clip", "frame", "lon", "lat", "coordinates_text", "notation", "country_code",
    "country_name", "adm1_code", "adm1_name", "waters_code", "disputed_by", "distance_to_border_m",
    "distance_to_region_border_m", "claimed", "claim_level", "claim_code", "claim_name",
    "distance_to_claimed_m", "verdict", "finding_codes", "finding_messages", "source", "date",
    "precision_m", "role", "controlled_by",
)


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def flat_frame(f: dict[str, Any]) -> dict[str, str]:
    """One frame as a flat row of text (extra columns prefixed with ``extra.``)."""
    row = {
        "row": _s(f["row"]), "id": _s(f["id"]), "clip": _s(f["clip"]), "frame": _s(f["frame"]),
        "lon": _s(f["lon"]), "lat": _s(f["lat"]), "coordinates_text": _s(f["coordinates_text"]),
        "notation": _s(f.get("notation")),
        "country_code": _s((f["country"] or {}).get("code")),
        "country_name": _s((f["country"] or {}).get("name")),
        "adm1_code": _s((f["adm1"] or {}).get("code")),
        "adm1_name": _s((f["adm1"] or {}).get("name")),
        "waters_code": _s((f.get("waters") or {}).get("code")),
        "disputed_by": _s((f["disputed"] or {}).get("by")),
        "distance_to_border_m": _s(f["distance_to_border_m"]),
        "distance_to_region_border_m": _s(f["distance_to_region_border_m"]),
        "claimed": _s(f["claimed"]),
        "claim_level": _s((f["claim"] or {}).get("level")),
        "claim_code": _s((f["claim"] or {}).get("code")),
        "claim_name": _s((f["claim"] or {}).get("name")),
        "distance_to_claimed_m": _s(f["distance_to_claimed_m"]),
        "verdict": f["verdict"],
        "finding_codes": ";".join(x["code"] for x in f["findings"]),
        "finding_messages": " | ".join(x["message"] for x in f["findings"]),
        "source": _s(f.get("source")), "date": _s(f.get("date")),
        "precision_m": _s(f.get("precision_m")), "role": _s(f.get("role")),
        "controlled_by": _s(f.get("controlled_by")),
    }
    for k, v in (f.get("extra") or {}).items():
        row[f"extra.{k}"] = _s(v)
    return row


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(report: dict[str, Any]) -> str:
    rows = [flat_frame(f) for f in report["frames"]]
    extra: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("extra.") and k not in extra:
                extra.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*CSV_COLUMNS, *extra], lineterminator="\n",
                       extrasaction="raise", restval="")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def to_geojson(report: dict[str, Any]) -> str:
    feats = []
    for f in report["frames"]:
        geom = ({"type": "Point", "coordinates": [f["lon"], f["lat"]]}
                if f["lon"] is not None and f["lat"] is not None else None)
        feats.append({"type": "Feature", "geometry": geom, "properties": f})
    doc = {"type": "FeatureCollection", "geoverify_version": report["geoverify_version"],
           "input": report["input"], "boundaries": report["boundaries"],
           "clips": report["clips"], "features": feats}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _md_escape(v: Any) -> str:
    s = _s(v).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for ch in "<>`*_[]":
        s = s.replace(ch, "\\" + ch)
    return s


def _place(f: dict[str, Any]) -> str:
    if f["adm1"]:
        return f"{f['adm1']['name']} ({f['adm1']['code']})"
    if f["country"]:
        return f"{f['country']['name']} ({f['country']['code']})"
    return ""


def _km(v: Any) -> str:
    return "" if v is None else f"{v / 1000:.2f}"


def to_markdown(report: dict[str, Any]) -> str:
    out = ["# geoverify check", "", f"Input: `{_md_escape(report['input']['path'])}` "
           f"(sha256 `{report['input']['sha256']}`, {report['input']['rows']} rows)", ""]
    out.append("## Clips")
    out.append("")
    for c in report["clips"]:
        out.append(f"- {_md_escape(c['summary'])}")
    out += ["", "## Frames", "",
            "| row | clip | frame | found | border km | claimed | verdict | findings |",
            "|---:|---|---|---|---:|---|---|---|"]
    for f in report["frames"]:
        out.append("| " + " | ".join([
            str(f["row"]), _md_escape(f["clip"]), _md_escape(f["frame"]), _md_escape(_place(f)),
            _km(f["distance_to_border_m"]), _md_escape(f["claimed"]), f["verdict"],
            _md_escape(", ".join(x["code"] for x in f["findings"]))]) + " |")
    out += ["", "## Boundaries", ""]
    for b in report["boundaries"]:
        out.append(f"- {b['name']} ({b['level']}): {_md_escape(b['source'])}; licence "
                   f"{_md_escape(b['licence'])}; sha256 `{b['sha256'][:16]}…`")
    return "\n".join(out) + "\n"


def _clean_cell(v: Any, width: int = 28) -> str:
    s = " ".join(_s(v).split())
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    return s if len(s) <= width else s[: width - 1] + "…"


def to_table(report: dict[str, Any]) -> str:
    headers = ["row", "clip", "frame", "country", "region", "border_km", "claimed", "verdict"]
    rows = []
    for f in report["frames"]:
        rows.append([
            str(f["row"]), _clean_cell(f["clip"], 24), _clean_cell(f["frame"], 10),
            (f["country"] or {}).get("code", "") or "", _clean_cell(_place(f) if f["adm1"] else "", 26),
            _km(f["distance_to_border_m"]), _clean_cell(f["claimed"], 24), f["verdict"]])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    right = {0, 5}

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    lines.append("")
    for c in report["clips"]:
        lines.append(_clean_cell(c["summary"], 400))
    return "\n".join(lines) + "\n"


FORMATTERS = {"table": to_table, "csv": to_csv, "json": to_json, "geojson": to_geojson,
              "markdown": to_markdown}


def format_report(report: dict[str, Any], fmt: str) -> str:
    """Render a report dict in one of :data:`REPORT_FORMATS`."""
    try:
        return FORMATTERS[fmt](report)
    except KeyError:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(REPORT_FORMATS)}") from None


def write_text_atomic(path: str | Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    Raises
    ------
    ClaimsFileError
        When the file exists and ``overwrite`` is false, or it cannot be written.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise ClaimsFileError(f"output {p} exists; pass --overwrite to replace it")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent or Path("."))
    except OSError as exc:
        raise ClaimsFileError(f"output {p}: cannot write in {p.parent} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (see :func:`write_text_atomic`)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ClaimsFileError(f"output {p} exists; pass --overwrite to replace it")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent or Path("."))
    except OSError as exc:
        raise ClaimsFileError(f"output {p}: cannot write in {p.parent} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
