"""Static parts of the evidence page: header, legend, clip tally, footer.

Built in Python so the numbers and the provenance are readable even where
JavaScript does not run (an archived copy, a text browser). Every value that
comes from the claims file or a boundary layer goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from geoverify.render import _style
from geoverify.render._data import as_text

NO_CLIP = "(no clip)"


def esc(value: Any) -> str:
    """HTML-escape any value (``None`` becomes the empty string)."""
    text = as_text(value)
    return "" if text is None else html.escape(text, quote=True)


def safe_http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL, else ``None``.

    Anything else (``javascript:``, ``data:``, relative paths, URLs with
    whitespace or control characters) is not allowed to become a link.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def link_or_text(value: Any) -> str:
    """An ``<a>`` opening in a new tab for http(s) URLs, escaped text otherwise."""
    url = safe_http_url(value)
    if url is None:
        return esc(value)
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'


def format_time(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` and whole seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(value: Any) -> str:
    if isinstance(value, bool):
        return esc(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return esc(value)


def _swatch(fill: str, shape: int = 0, outline: str = "#1b1b1b") -> str:
    return _style.marker_svg(shape, fill, outline, size=14)


def header_html(title: str, subtitle: str) -> str:
    return (
        '<header id="gv-header">'
        f'<h1 id="gv-title">{esc(title)}</h1>'
        f'<p id="gv-subtitle">{esc(subtitle)}</p>'
        '<p id="gv-status" role="status" aria-live="polite"></p>'
        "</header>"
    )


def legend_html(verdicts: Sequence[str], counts: Mapping[str, int]) -> str:
    items = []
    meanings = []
    for verdict in verdicts:
        colour = _style.verdict_colour(verdict)
        label = _style.VERDICT_LABELS.get(verdict, "verdict not known to this version of the map")
        items.append(
            f'<li class="gv-legend-item" data-verdict="{esc(verdict)}" title="{esc(label)}" role="button" '
            f'tabindex="0" aria-pressed="false">'
            f"{_swatch(colour)}"
            f'<span class="gv-legend-name">{esc(verdict)}</span>'
            f'<span class="gv-count" data-verdict="{esc(verdict)}">{_count(counts.get(verdict, 0))}</span>'
            "</li>"
        )
        meanings.append(f"<dt>{esc(verdict)}</dt><dd>{esc(label)}</dd>")
    lines = (
        '<ul id="gv-legend-lines">'
        f'<li><span class="gv-line gv-line-border" style="border-color:{_style.BORDER_COLOUR}"></span>'
        "International land border</li>"
        f'<li><span class="gv-line gv-line-region" style="border-color:{_style.REGION_LINE_COLOUR}"></span>'
        "Region border</li>"
        f'<li><span class="gv-line gv-line-claimed" style="border-color:{_style.CLAIMED_COLOUR}"></span>'
        "Claimed region of the shown frames</li>"
        "</ul>"
    )
    return (
        '<section id="gv-legend-section" aria-labelledby="gv-legend-heading">'
        '<h2 id="gv-legend-heading">Verdicts</h2>'
        '<p class="gv-note">Click a verdict to show only it; click others to add them.</p>'
        f'<ul id="gv-legend">{"".join(items)}</ul>'
        '<button type="button" id="gv-verdict-reset" hidden>All verdicts</button>'
        '<details class="gv-meanings"><summary>What the verdicts mean</summary>'
        f'<dl>{"".join(meanings)}</dl></details>'
        f"{lines}</section>"
    )


def filters_html(date_range: Sequence[str] | None) -> str:
    if not date_range:
        return ""
    lo, hi = (esc(d) for d in date_range)
    return (
        '<section id="gv-filters" aria-labelledby="gv-filters-heading">'
        '<h2 id="gv-filters-heading">Dates</h2>'
        '<div class="gv-date-row">'
        f'<label>From <input type="date" id="gv-date-from" min="{lo}" max="{hi}"></label>'
        f'<label>To <input type="date" id="gv-date-to" min="{lo}" max="{hi}"></label>'
        "</div>"
        '<label class="gv-check"><input type="checkbox" id="gv-date-undated" checked> '
        "include frames without a date</label> "
        '<button type="button" id="gv-date-reset">All dates</button>'
        f'<p class="gv-note">Dates in this file: {lo} to {hi}.</p>'
        "</section>"
    )


def tally_html(total: int, clip_count: int) -> str:
    """The clip panel: search, sort, the list (filled by the page's script) and the selected clip."""
    return (
        '<section id="gv-tally" aria-labelledby="gv-tally-heading">'
        '<h2 id="gv-tally-heading">Clips</h2>'
        '<div class="gv-clip-tools">'
        '<input type="search" id="gv-clip-search" placeholder="Search clips" aria-label="Search clips" '
        'autocomplete="off" spellcheck="false">'
        '<label class="gv-sort">Sort <select id="gv-clip-sort" aria-label="Sort clips">'
        '<option value="file">as in the file</option>'
        '<option value="mismatch">most mismatches</option>'
        '<option value="frames">most frames</option>'
        '<option value="name">by name</option>'
        "</select></label></div>"
        f'<p class="gv-note" id="gv-clip-matches">{clip_count} clips</p>'
        '<button type="button" class="gv-clip-option gv-clip-all gv-selected" data-clip-index="" '
        f'aria-pressed="true"><span class="gv-clip-name">All clips</span>'
        f'<span class="gv-clip-rows">{total} frames</span></button>'
        '<div id="gv-clip-detail" hidden></div>'
        '<ol class="gv-clip-list" id="gv-clip-list"></ol>'
        '<button type="button" id="gv-clip-more" hidden>Show more</button>'
        "<noscript><p>The clip list and the map need JavaScript; the verdict counts above do not.</p></noscript>"
        "</section>"
    )


def _accuracy(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{esc(k)}: {esc(v)}" for k, v in value.items())
    return esc(value)


def footer_html(
    result: Mapping[str, Any],
    *,
    build_time: datetime,
    library_versions: Mapping[str, str],
    tiles_note: str | None,
    context_note: str | None = None,
) -> str:
    source = result.get("input") or {}
    boundaries = [b for b in result.get("boundaries") or [] if isinstance(b, Mapping)]
    version = result.get("geoverify_version")
    when = format_time(build_time)
    line = [
        f'Built <time datetime="{when}">{when}</time> by geoverify <span class="gv-version">{esc(version)}</span>.',
        # Only the file name: a local absolute path has no place in a published page.
        f' Input <code class="gv-input-path">{esc(file_name(source.get("path")))}</code>',
        f' sha256 <code class="gv-sha256">{esc(source.get("sha256"))}</code>',
    ]
    if source.get("rows") is not None:
        line.append(f" ({_count(source.get('rows'))} rows)")
    line.append(".")
    attributions = list(dict.fromkeys(esc(b.get("attribution")) for b in boundaries
                                      if b.get("attribution")))
    if attributions:
        line.append(f' Boundaries: <span class="gv-credits">{" · ".join(attributions)}</span>.')
    if context_note:
        line.append(f' Context: <span class="gv-context-attribution">{esc(context_note)}</span>.')
    if tiles_note:
        line.append(f" Background tiles: {esc(tiles_note)}.")

    rows = []
    for layer in boundaries:
        rows.append(
            "<tr>"
            f"<td>{esc(layer.get('name'))}</td>"
            f"<td>{esc(layer.get('level'))}</td>"
            f"<td>{esc(layer.get('version'))}</td>"
            f"<td>{esc(layer.get('licence'))}</td>"
            f"<td>{link_or_text(layer.get('source'))}</td>"
            f"<td>{esc(layer.get('attribution'))}</td>"
            f"<td><code>{esc(layer.get('sha256'))}</code></td>"
            f"<td>{_accuracy(layer.get('accuracy_m'))}</td>"
            "</tr>"
        )
    table = (
        '<table class="gv-provenance"><thead><tr><th>Layer</th><th>Level</th><th>Version</th>'
        "<th>Licence</th><th>Source</th><th>Attribution</th><th>sha256</th><th>Accuracy (m)</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No boundary layers were recorded in the result.</p>"
    )
    libs = ", ".join(f"{esc(k)} {esc(v)}" for k, v in library_versions.items())
    return (
        '<footer id="gv-footer">'
        f'<p class="gv-footer-line">{"".join(line)}</p>'
        '<details id="gv-provenance"><summary>Boundary provenance and build details</summary>'
        f"{table}"
        "<p>Boundaries are drawn exactly as the verdicts used them within about 10 km of every "
        "frame, simplified to about 100 m within about 100 km, and coarser further away (display "
        "only). The dark line is the international land border the distances were measured to. "
        "Verdicts were computed by geoverify on the full-precision layers.</p>"
        f"<p>Map libraries (embedded): {libs}. Build time is taken from SOURCE_DATE_EPOCH when set.</p>"
        "</details></footer>"
    )


def subtitle_text(frames: int, clip_count: int, located: int) -> str:
    return f"{frames} frames in {clip_count} clips; {located} with coordinates on the map."


def file_name(path: Any) -> str | None:
    """The last component of a path given as text (either slash)."""
    text = as_text(path)
    if not text:
        return None
    return text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or text


def default_title(result: Mapping[str, Any]) -> str:
    name = file_name((result.get("input") or {}).get("path"))
    return f"Geolocation evidence map: {name}" if name else "Geolocation evidence map"
