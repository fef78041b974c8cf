"""Colours, shapes and labels of the evidence map (no third-party imports).

Kept in one place so the static HTML (legend, clip list) built in Python and
the markers drawn by the page's JavaScript use the same palette.
"""

from __future__ import annotations

#: Every verdict the core can emit, in legend order.
VERDICTS: tuple[str, ...] = (
    "match",
    "mismatch",
    "ambiguous",
    "disputed",
    "outside",
    "unresolved",
    "unclaimed",
    "unlocated",
)

#: Fill colour per verdict. Chosen to stay distinguishable for the common
#: colour-vision deficiencies (red/green pairs differ in lightness too).
VERDICT_COLOURS: dict[str, str] = {
    "match": "#1a9850",
    "mismatch": "#d73027",
    "ambiguous": "#fdb863",
    "disputed": "#c51b7d",
    "outside": "#5e3c99",
    "unresolved": "#8c8c8c",
    "unclaimed": "#4393c3",
    "unlocated": "#d9d9d9",
}

#: Order of the verdicts around a cluster's ring, clockwise from the top:
#: the contradictions first, so they are never hidden.
RING_ORDER: tuple[str, ...] = (
    "mismatch", "outside", "disputed", "ambiguous", "unresolved", "match", "unclaimed", "unlocated",
)

#: Smallest zoom at which a settlement of each population rank is labelled
#: (ranks: >=1M, >=250k, >=50k, >=10k, >=3k, smaller; see render._layers).
PLACE_MIN_ZOOM: tuple[int, ...] = (4, 6, 8, 10, 11, 12)

#: Colour for a verdict string this version does not know.
UNKNOWN_VERDICT_COLOUR = "#000000"

#: One-line explanation shown next to each verdict in the legend.
VERDICT_LABELS: dict[str, str] = {
    "match": "location agrees with the claim",
    "mismatch": "location contradicts the claim",
    "ambiguous": "cannot be decided (e.g. too close to a border)",
    "disputed": "in disputed territory",
    "outside": "outside every boundary polygon",
    "unresolved": "claimed place not recognised",
    "unclaimed": "no claim to check",
    "unlocated": "no usable coordinates (not on the map)",
}

#: Marker shapes, one per clip (cycled), as SVG fragments in a 20x20 box.
SHAPES: tuple[tuple[str, str], ...] = (
    ("circle", '<circle cx="10" cy="10" r="7.5"/>'),
    ("square", '<rect x="3" y="3" width="14" height="14"/>'),
    ("diamond", '<path d="M10 1.2L18.8 10L10 18.8L1.2 10Z"/>'),
    ("triangle", '<path d="M10 1.8L18.8 17.5H1.2Z"/>'),
    ("triangle-down", '<path d="M10 18.2L18.8 2.5H1.2Z"/>'),
    ("hexagon", '<path d="M5.6 2.4H14.4L18.8 10L14.4 17.6H5.6L1.2 10Z"/>'),
    ("star", '<path d="M10 1.2L12.6 7.1L19 7.6L14.1 11.8L15.6 18.1L10 14.8L4.4 18.1L5.9 11.8L1 7.6L7.4 7.1Z"/>'),
    ("pentagon", '<path d="M10 1.5L18.6 7.8L15.3 18H4.7L1.4 7.8Z"/>'),
)

#: Outline colours; clip ``i`` gets shape ``i % 8`` and outline ``i // 8``
#: (cycled), so the first 48 clips all look different.
OUTLINES: tuple[str, ...] = ("#1b1b1b", "#ffffff", "#1f4e9c", "#8a5a00", "#006d5b", "#7a0177")

#: Fill colours of country polygons (assigned by sorted country code).
COUNTRY_FILLS: tuple[str, ...] = ("#f4efe1", "#e3ecda", "#ece3ec", "#e1e9f1", "#f1e6dc", "#e6e6e6")

BORDER_COLOUR = "#1c1c1c"
REGION_LINE_COLOUR = "#7d7d7d"
CLAIMED_COLOUR = "#1f4e9c"
BACKGROUND_COLOUR = "#cfdde8"


def verdict_colour(verdict: str | None) -> str:
    """Fill colour for ``verdict`` (black for an unknown verdict)."""
    return VERDICT_COLOURS.get(verdict or "", UNKNOWN_VERDICT_COLOUR)


def clip_style(index: int) -> tuple[int, str]:
    """(shape index, outline colour) of the ``index``-th clip."""
    return index % len(SHAPES), OUTLINES[(index // len(SHAPES)) % len(OUTLINES)]


def marker_svg(shape: int, fill: str, outline: str, size: int = 18) -> str:
    """An inline SVG marker built only from the constants above (never user text)."""
    return (
        f'<svg class="gv-shape" viewBox="0 0 20 20" width="{size}" height="{size}" aria-hidden="true">'
        f'<g fill="{fill}" stroke="{outline}" stroke-width="1.6" stroke-linejoin="round">'
        f"{SHAPES[shape][1]}</g></svg>"
    )
