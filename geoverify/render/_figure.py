"""The static figure for articles and reports (matplotlib, imported lazily).

One figure: the boundary layers around the frames (exact near them, as on the
page), the international land border, the claimed region dashed, the frames as
numbered circles in verdict colours (numbers = frame order within the clip,
as in the page's frame table), settlement names, a legend with counts, a tally
caption, a scale bar, the data attribution and a provenance line.

``save_figure`` writes SVG byte-reproducibly when ``SOURCE_DATE_EPOCH`` is set:
matplotlib's ``svg.hashsalt`` is fixed (stable element ids) and the ``Date``
metadata is the build time. Text from the claims file is never parsed as
mathtext (``parse_math=False``) and matplotlib escapes it in SVG.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

from geoverify.errors import ConfigError
from geoverify.render import _html, _style
from geoverify.render._clock import map_build_time
from geoverify.render._data import as_text, clip_key, frame_sequence, opening_view
from geoverify.render._layers import decode_line, display_layers

#: The salt of matplotlib's SVG ids: fixed, so the same figure gives the same bytes.
SVG_HASHSALT = "geoverify"
FIGURE_SIZE_IN = (8.0, 7.0)


def _frames_of(result: Mapping[str, Any], clip: str | None) -> list[Mapping[str, Any]]:
    frames = list(result.get("frames") or [])
    if clip is None:
        return frames
    chosen = [f for f in frames if clip_key(f.get("clip")) == clip]
    if not chosen:
        names = sorted({clip_key(f.get("clip")) or _html.NO_CLIP for f in frames})
        shown = ", ".join(repr(n) for n in names[:8]) + (" ..." if len(names) > 8 else "")
        raise ConfigError(f"no clip named {clip!r} in this result; clips: {shown}")
    return chosen


def _path_of(polys: list[list[list[int]]], box: Any = None, tolerance: float = 0.0) -> Any:
    """A matplotlib Path of encoded polygons (holes as inner rings), cut to ``box``
    (a shapely box) so the file holds only what the figure shows, and simplified by
    ``tolerance`` (a fraction of a printed pixel: invisible, but the file stays small)."""
    import shapely
    from matplotlib.path import Path

    shapes = []
    for rings in polys:
        coords = [decode_line(r) for r in rings]
        if len(coords[0]) >= 3:
            shapes.append(shapely.Polygon(coords[0], [c for c in coords[1:] if len(c) >= 3]))
    if not shapes:
        return None
    geom = shapely.make_valid(shapely.MultiPolygon(shapes)) if len(shapes) > 1 else shapely.make_valid(shapes[0])
    if box is not None:
        geom = shapely.intersection(geom, box)
    if tolerance:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    vertices: list[tuple[float, float]] = []
    codes: list[int] = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        for ring in (part.exterior, *part.interiors):
            points = [(round(x, 6), round(y, 6)) for x, y in ring.coords[:-1]]
            if len(points) < 3:
                continue
            vertices += points + [points[0]]
            codes += [Path.MOVETO] + [Path.LINETO] * (len(points) - 1) + [Path.CLOSEPOLY]
    return (Path(vertices, codes), geom) if vertices else None


def _lines_in(line: list[int], box: Any, tolerance: float = 0.0) -> list[list[tuple[float, float]]]:
    import shapely

    cut = shapely.intersection(shapely.LineString(decode_line(line)), box)
    if tolerance:
        cut = shapely.simplify(cut, tolerance)
    return [list(part.coords) for part in shapely.get_parts(cut)
            if part.geom_type == "LineString" and not part.is_empty]


def _nice_length(km: float) -> float:
    """A round length (1, 2 or 5 x 10^k km) not longer than ``km``."""
    if km <= 0:
        return 0.0
    exponent = math.floor(math.log10(km))
    for step in (5, 2, 1):
        value = step * 10 ** exponent
        if value <= km:
            return value
    return 10 ** exponent


def build_figure(
    result: Mapping[str, Any],
    *,
    adm0: Any = None,
    adm1: Any = None,
    borders: Any = None,
    places: Any = None,
    context_attribution: str | None = None,
    world: Any = None,
    world_borders: Any = None,
    country_names: Mapping[str, str] | None = None,
    clip: str | None = None,
    title: str | None = None,
    size: tuple[float, float] = FIGURE_SIZE_IN,
) -> Any:
    """A matplotlib Figure of ``result`` (all frames, or one ``clip``).

    Layers as for :func:`geoverify.render.build_map`. Raises
    :class:`~geoverify.errors.ConfigError` for an unknown clip.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch


    frames = _frames_of(result, clip)
    clip_names: dict[str | None, int] = {}
    clip_of = [clip_names.setdefault(clip_key(f.get("clip")), len(clip_names)) for f in frames]
    seq = frame_sequence(frames, clip_of)
    located = [(i, float(f["lon"]), float(f["lat"])) for i, f in enumerate(frames)
               if isinstance(f.get("lon"), (int, float)) and isinstance(f.get("lat"), (int, float))
               and math.isfinite(f["lon"]) and math.isfinite(f["lat"])]
    lons = [p[1] for p in located]
    lats = [p[2] for p in located]

    claims = sorted({str(f["claim"]["code"]) for f in frames
                     if isinstance(f.get("claim"), Mapping) and f["claim"].get("code")})
    country_claims = sorted({str(f["claim"]["code"]) for f in frames if isinstance(f.get("claim"), Mapping)
                             and f["claim"].get("level") in ("adm0", "country") and f["claim"].get("code")})
    geo = display_layers(lons, lats, adm0=adm0, adm1=adm1, borders=borders, places=places,
                         fills=_style.COUNTRY_FILLS, outline_codes=country_claims, world=world,
                         world_borders=world_borders,
                         country_names=dict(country_names or {}))

    # the texts under the map, laid out from the bottom up (inches): provenance, attribution (every
    # word of it: the licences ask for it, as many lines as it takes), caption; the map takes the rest
    input_info = result.get("input") or {}
    file_name = _html.file_name(input_info.get("path")) or "claims"
    wrap_small = max(60, int(size[0] * 72 * 0.96 / (6.5 * 0.6)))  # characters per line at 6.5 pt
    credits = [as_text(b.get("attribution")) for b in result.get("boundaries") or []
               if isinstance(b, Mapping) and b.get("attribution")]
    built = _html.format_time(map_build_time())
    sha = as_text(input_info.get("sha256")) or ""
    provenance_lines = textwrap.wrap(
        f"geoverify {as_text(result.get('geoverify_version')) or ''} · input {file_name}"
        f" sha256 {sha[:16]}{'…' if len(sha) > 16 else ''} · built {built} · borders exact within ~10 km"
        " of each frame (display; verdicts use the full-precision layers)", wrap_small)
    # room for the attribution with the place names' credit, which is added when a name is drawn
    credit_room = len(textwrap.wrap("Map data: " + "; ".join(dict.fromkeys(
        c for c in [*credits, context_attribution] if c)), wrap_small))
    small_h = 6.5 * 1.3 / 72.0
    caption_h = 9 * 1.35 / 72.0
    provenance_top = 0.10 + small_h * len(provenance_lines)
    credit_top = provenance_top + 0.06 + small_h * credit_room
    caption_top = credit_top + 0.10 + caption_h * 3  # tally (two lines at most) and one note line
    map_bottom = (caption_top + 0.12) / size[1]
    map_height = 0.91 - map_bottom

    fig = Figure(figsize=size, dpi=100)
    ax = fig.add_axes((0.02, map_bottom, 0.70, map_height))
    side = fig.add_axes((0.74, map_bottom, 0.24, map_height))
    side.set_axis_off()
    ax.set_facecolor(_style.BACKGROUND_COLOUR)
    ax.set_xticks([])
    ax.set_yticks([])

    # the view: the frames (the bulk of them), padded, never smaller than ~2 km
    if located:
        if clip is None:
            view = opening_view([p[2] for p in located], [p[1] for p in located], [clip_of[p[0]] for p in located])
            (south, west), (north, east) = view["bounds"]
        else:
            south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    else:
        south, north, west, east = 44.0, 56.0, 28.0, 42.0
    mid_lat = (south + north) / 2
    aspect = 1 / max(0.05, math.cos(math.radians(mid_lat)))
    pad_y = max((north - south) * 0.15, 0.01)
    pad_x = max((east - west) * 0.15, 0.01 * aspect)
    south, north, west, east = south - pad_y, north + pad_y, west - pad_x, east + pad_x
    # the box the axes show, in the figure's aspect
    box_w, box_h = 0.70 * size[0], map_height * size[1]
    span_x, span_y = east - west, (north - south) * aspect
    if span_x / span_y < box_w / box_h:
        grow = (span_y * box_w / box_h - span_x) / 2
        west, east = west - grow, east + grow
    else:
        grow = (span_x * box_h / box_w - span_y) / 2 / aspect
        south, north = south - grow, north + grow
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(aspect)
    import shapely

    margin_x, margin_y = (east - west) * 0.05, (north - south) * 0.05
    box = shapely.box(west - margin_x, south - margin_y, east + margin_x, north + margin_y)
    # half a pixel of the PNG at 200 dpi: lines are exact to what can be printed
    tolerance = (east - west) / (box_w * 200) / 2

    for item in geo.get("backdrop", []):
        made = _path_of(item["polys"], box, tolerance)
        if made is not None:
            ax.add_patch(PathPatch(made[0], facecolor=item["fill"], edgecolor="none", zorder=1))
    view_box = shapely.box(west, south, east, north)
    region_labels = []
    for region in geo["regions"]:
        made = _path_of(region["polys"], box, tolerance)
        if made is None:
            continue
        path, shape = made
        visible = shapely.intersection(shape, view_box)
        if region["name"] and visible.area > view_box.area * 0.03:
            circle = shapely.maximum_inscribed_circle(visible, max(1e-5, math.sqrt(visible.area) / 100))
            centre = shapely.get_point(circle, 0)
            text = region["name"] + (f" ({region['country']})" if region.get("country") else "")
            region_labels.append((centre.x, centre.y, text))
        # one path for the fill and the region line (the file holds each polygon once)
        ax.add_patch(PathPatch(path, facecolor=region["fill"],
                               edgecolor=_style.REGION_LINE_COLOUR if region.get("stroke", True) else "none",
                               linewidth=0.5, zorder=2))
    claimed_paths = [r["polys"] for r in geo["regions"] if r["code"] in claims and r["level"] == "adm1"]
    claimed_paths += [c["polys"] for c in geo["countries"] if c["code"] in claims and c["polys"]]
    for polys in claimed_paths:
        made = _path_of(polys, box, tolerance)
        if made is not None:
            ax.add_patch(PathPatch(made[0], facecolor=(0.12, 0.31, 0.61, 0.10), edgecolor="none", zorder=4))
            # dashed over the border: where the claimed region ends at the border, both show
            ax.add_patch(PathPatch(made[0], facecolor="none", edgecolor=_style.CLAIMED_COLOUR, linewidth=1.3,
                                   linestyle=(0, (5, 3)), zorder=6.5))
    for line in geo.get("thinBorders", []):
        for part in _lines_in(line, box, tolerance):
            xs, ys = zip(*part)
            ax.plot(xs, ys, color="#6f6f6f", linewidth=0.6, zorder=3)
    for line in geo["borders"]:
        for part in _lines_in(line, box, tolerance):
            xs, ys = zip(*part)
            ax.plot(xs, ys, color="#ffffff", linewidth=3.2, zorder=5, solid_capstyle="round")
            ax.plot(xs, ys, color=_style.BORDER_COLOUR, linewidth=1.5, zorder=6, solid_capstyle="round")

    for x, y, text in region_labels:
        ax.text(x, y, text, fontsize=9, fontstyle="italic", color="#444444", ha="center", va="center", zorder=7,
                parse_math=False, clip_on=True,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.6, "edgecolor": "none"})

    # settlements in view, biggest first, without overlapping each other
    placed: list[tuple[float, float, float, float]] = []
    deg_per_pt_x = (east - west) / (box_w * 72)
    deg_per_pt_y = (north - south) / (box_h * 72)
    for name, lon, lat, rank, _pop in geo["places"]:
        if not (west < lon < east and south < lat < north) or len(placed) >= 25:
            continue
        width = (len(name) * 5.2 + 8) * deg_per_pt_x
        height = 10 * deg_per_pt_y
        box = (lon, lat - height / 2, lon + width, lat + height / 2)
        if any(box[0] < b[2] and box[2] > b[0] and box[1] < b[3] and box[3] > b[1] for b in placed):
            continue
        placed.append(box)
        ax.plot([lon], [lat], marker="o", markersize=2.5, color="#333333", zorder=7)
        ax.text(lon, lat, " " + name, fontsize=8 if rank > 2 else 9, color="#222222", va="center", ha="left",
                zorder=7, parse_math=False, clip_on=True,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.55, "edgecolor": "none"})

    # frames: numbered circles in verdict colours (frame order within the clip)
    number = clip is not None or len(located) <= 60
    counts: dict[str, int] = {}
    for f in frames:
        verdict = as_text(f.get("verdict")) or "unlocated"
        counts[verdict] = counts.get(verdict, 0) + 1
    order = sorted(located, key=lambda p: (clip_of[p[0]], seq[p[0]]))
    if not number:  # many frames: one scatter per verdict (contradictions drawn last, on top)
        groups: dict[str, list[tuple[float, float]]] = {}
        for i, lon, lat in order:
            groups.setdefault(as_text(frames[i].get("verdict")) or "unlocated", []).append((lon, lat))
        ranked = sorted(groups, key=lambda v: -_style.RING_ORDER.index(v) if v in _style.RING_ORDER else 0)
        for z, verdict in enumerate(ranked):
            xs, ys = zip(*groups[verdict])
            ax.scatter(xs, ys, s=22, c=_style.verdict_colour(verdict), edgecolors="#1b1b1b", linewidths=0.5,
                       zorder=10 + z * 0.01, rasterized=len(order) > 2000)  # thousands: an image inside the SVG
        order = []
    for k, (i, lon, lat) in enumerate(order):
        verdict = as_text(frames[i].get("verdict")) or "unlocated"
        colour = _style.verdict_colour(verdict)
        ax.plot([lon], [lat], marker="o", markersize=13 if number else 6, markerfacecolor=colour,
                markeredgecolor="#1b1b1b", markeredgewidth=0.9, zorder=10 + k * 1e-6, linestyle="none")
        if number:
            label = str(seq[i]) if clip is not None or len(clip_names) == 1 else str(k + 1)
            dark = verdict in ("ambiguous", "unlocated", "unclaimed")
            ax.text(lon, lat, label, fontsize=7.5, fontweight="bold", color="#111111" if dark else "white",
                    ha="center", va="center", zorder=11, parse_math=False)

    # scale bar (bottom left of the map)
    km_per_deg = 111.32 * math.cos(math.radians(mid_lat))
    length_km = _nice_length((east - west) * km_per_deg * 0.25)
    if length_km > 0:
        x0 = west + (east - west) * 0.04
        y0 = south + (north - south) * 0.04
        x1 = x0 + length_km / km_per_deg
        ax.plot([x0, x1], [y0, y0], color="#1b1b1b", linewidth=3, zorder=20, solid_capstyle="butt")
        label = f"{length_km:g} km" if length_km >= 1 else f"{length_km * 1000:g} m"
        ax.text((x0 + x1) / 2, y0 + (north - south) * 0.012, label, ha="center", va="bottom", fontsize=8,
                zorder=20, bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "alpha": 0.8, "edgecolor": "none"})

    # legend with counts
    handles = []
    for verdict in [*_style.VERDICTS, *sorted(v for v in counts if v not in _style.VERDICTS)]:
        if not counts.get(verdict):
            continue
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=9,
                              markerfacecolor=_style.verdict_colour(verdict), markeredgecolor="#1b1b1b",
                              label=f"{verdict}: {counts[verdict]}"))
    handles.append(Line2D([], [], color=_style.BORDER_COLOUR, linewidth=2, label="international border"))
    handles.append(Line2D([], [], color=_style.REGION_LINE_COLOUR, linewidth=0.8, label="region border"))
    handles.append(Line2D([], [], color=_style.CLAIMED_COLOUR, linewidth=1.4, linestyle=(0, (5, 3)),
                          label="claimed region"))
    legend = side.legend(handles=handles, loc="upper left", frameon=False, fontsize=8.5, title="Verdicts",
                         title_fontsize=9.5, alignment="left")
    for text in legend.get_texts():
        text.set_parse_math(False)

    # title, caption (tally), attribution and provenance
    if title is None:
        title = f"{clip}" if clip is not None else f"Geolocated frames: {file_name}"
    fig.text(0.02, 0.965, title, fontsize=12, fontweight="bold", va="top", parse_math=False)
    summary = None
    if clip is not None:
        for entry in result.get("clips") or []:
            if clip_key(entry.get("clip")) == clip and entry.get("summary"):
                summary = as_text(entry["summary"])
    if summary is None:
        parts = [f"{counts[v]} {v}" for v in _style.VERDICTS if counts.get(v)]
        summary = f"{len(frames)} frames" + (f" in {len(clip_names)} clips" if len(clip_names) > 1 else "") + \
            ": " + ", ".join(parts)
    caption = "\n".join(textwrap.wrap(summary, 105, max_lines=2, placeholder=" ..."))
    outside = sum(1 for _, lon, lat in located if not (west <= lon <= east and south <= lat <= north))
    notes = []
    if outside:
        notes.append(f"{outside} located frame{'s' if outside != 1 else ''} outside this view.")
    if number:
        notes.append("Numbers: frame order" + (" within the clip." if clip is not None else "."))
    if notes:
        caption += "\n" + " ".join(notes)
    fig.text(0.02, caption_top / size[1], caption, fontsize=9, va="top", parse_math=False, linespacing=1.35)
    if context_attribution and placed:  # credited when a place name is on the figure
        credits.append(context_attribution)
    credit = "Map data: " + "; ".join(dict.fromkeys(c for c in credits if c))
    fig.text(0.02, credit_top / size[1], "\n".join(textwrap.wrap(credit, wrap_small)), fontsize=6.5,
             color="#333333", va="top", parse_math=False, linespacing=1.3)
    fig.text(0.02, provenance_top / size[1], "\n".join(provenance_lines), fontsize=6.5, color="#555555",
             va="top", parse_math=False, linespacing=1.3)
    return fig


def save_figure(fig: Any, target: Any, *, fmt: str | None = None) -> None:
    """Write ``fig`` to ``target`` (a path or binary file); SVG/PDF/PNG by suffix or ``fmt``."""
    import matplotlib


    if fmt is None:
        name = str(getattr(target, "name", target))
        fmt = name.rsplit(".", 1)[-1].lower() if "." in name else "svg"
    fmt = fmt.lower()
    when = map_build_time()
    if fmt == "svg":
        metadata: dict[str, Any] = {"Date": _html.format_time(when), "Creator": "geoverify (matplotlib)"}
    elif fmt == "pdf":
        metadata = {"CreationDate": when, "ModDate": when, "Creator": "geoverify (matplotlib)", "Producer": None}
    elif fmt == "png":
        metadata = {"Software": "geoverify (matplotlib)"}
    else:
        raise ConfigError(f"figure format must be svg, png or pdf, got {fmt!r}")
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        fig.savefig(target, format=fmt, metadata=metadata, dpi=200 if fmt == "png" else 100)
