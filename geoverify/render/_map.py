"""folium wiring of the evidence map (imported lazily: it imports folium)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import struct
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import folium
from branca.element import Element, Figure, MacroElement

from geoverify.gil import short_switch_interval
from geoverify.render import _assets, _html, _style
from geoverify.render._clock import map_build_time
from geoverify.render._data import FrameColumns, json_for_script, pack_frames
from geoverify.render._layers import display_layers

if TYPE_CHECKING:  # pragma: no cover
    from geopandas import GeoDataFrame

#: id of the ``<script type="application/json">`` holding the data.
DATA_ELEMENT_ID = "gv-data"
#: Prefix of the deterministic element ids.
ID_PREFIX = "gv"


class _Raw(Element):
    """A fragment inserted verbatim.

    folium's own elements re-compile their rendered output as a Jinja
    template; text from a claims file must never be a template (``{{ }}``
    in a clip name would be evaluated), so our fragments bypass Jinja.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _EvidenceLayer(MacroElement):
    """Adds the page's head, body and start-up script to the figure."""

    def __init__(self, head: str, body: str) -> None:
        super().__init__()
        self._name = "EvidenceLayer"
        self._head = head
        self._body = body

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the evidence layer must be inside a Figure"
        name = self.get_name()
        figure.header.add_child(_Raw(self._head), name=name)
        figure.html.add_child(_Raw(self._body), name=name)
        start = f"GeoverifyEvidenceMap.init({self._parent.get_name()}, {json_for_script(DATA_ELEMENT_ID)});"
        figure.script.add_child(_Raw(start), name=name)


class EvidenceMap(folium.Map):
    """A ``folium.Map`` whose page loads no CDN resources of folium's.

    folium's defaults (Leaflet, jQuery, Bootstrap, awesome-markers, Font
    Awesome from CDNs) are replaced by nothing: the evidence layer inlines
    what the page uses. Display in notebooks works as for any folium map.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._name = "Map"
        # Instance attributes, so folium's class-level lists are never mutated.
        self.default_js: list[tuple[str, str]] = []
        self.default_css: list[tuple[str, str]] = []
        self.gv_img_sources: tuple[str, ...] = ()


def _walk(element: Element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def stabilise_ids(root: Element) -> None:
    """Give every element under ``root`` an id from its position in the tree.

    folium/branca draw ids from ``os.urandom``; the ids end up as JavaScript
    variable names and element ids, so two builds would differ. Renaming also
    re-keys the fragments a previous render left in the figure, so rendering
    twice never duplicates them.
    """
    renamed: dict[str, str] = {}
    for position, element in enumerate(_walk(root)):
        new_id = f"{ID_PREFIX}{position}"
        if element._id != new_id:
            old = element.get_name()
            element._id = new_id
            renamed[old] = element.get_name()
    if isinstance(root, Figure) and renamed:
        for part in (root.header, root.html, root.script):
            part._children = OrderedDict(
                (renamed.get(key, key), child) for key, child in part._children.items()
            )
        for part in (root.header, root.html, root.script):
            for position, element in enumerate(part._children.values()):
                element._id = f"{ID_PREFIX}p{position}"


def _style_payload() -> dict[str, Any]:
    return {
        "verdictColours": dict(_style.VERDICT_COLOURS),
        "unknownColour": _style.UNKNOWN_VERDICT_COLOUR,
        "verdictLabels": dict(_style.VERDICT_LABELS),
        "ringOrder": list(_style.RING_ORDER),
        "shapes": [svg for _, svg in _style.SHAPES],
        "outlines": list(_style.OUTLINES),
        "border": _style.BORDER_COLOUR,
        "regionLine": _style.REGION_LINE_COLOUR,
        "claimed": _style.CLAIMED_COLOUR,
        "placeMinZoom": list(_style.PLACE_MIN_ZOOM),
    }


def _country_claims(claims: list[Any]) -> list[str]:
    """Codes of the countries some frame claims as a whole (their outline is drawn), from the
    frames' claim objects."""
    pairs = [(c.get("level"), c.get("code")) for c in claims if isinstance(c, Mapping)]
    return country_claim_codes([p[0] for p in pairs], [p[1] for p in pairs])


def country_claim_codes(levels: list[Any], codes: list[Any]) -> list[str]:
    """Codes of the countries claimed as a whole, from the claims' levels and codes."""
    return sorted({str(code) for level, code in zip(levels, codes)
                   if level in ("adm0", "country") and code})


class DataWriter:
    """The page's data: JSON, gzip-compressed (no timestamp: reproducible), base64.

    The JSON is written in pieces (``write``) and compressed at :meth:`close`, as one gzip
    member: a fixed header (mtime 0, OS 255, whichever Python runs), one raw deflate stream,
    CRC-32 and size. The deflate stream is made of pieces of :data:`CHUNK` bytes of text,
    compressed side by side on two threads (zlib releases the GIL), each primed with the 32 KB
    of text before it (so it refers back into it as one stream would) and ended with a sync
    flush, the last one finished: one valid stream, whose bytes depend on the text only, not
    on how it was written. 100,000 frames (44 MB of text): 0.6 s instead of 1.1 s, 1 KB more.

    zlib's default level 6: for the 44 MB of data of a 100,000-frame page it takes 1.7 s
    where level 9 takes 6.5 s, for a page 3 % larger (9.9 MB instead of 9.5 MB)."""

    LEVEL = 6
    #: Bytes of text per piece of the deflate stream.
    CHUNK = 8 << 20
    #: Bytes of text before a piece that prime its compressor (deflate's window).
    WINDOW = 32 << 10

    def __init__(self) -> None:
        self._raw: list[bytes] = []

    def write(self, text: str) -> None:
        self._raw.append(text.encode("utf-8"))

    def close(self) -> str:
        data = b"".join(self._raw)
        self._raw = [data]
        view = memoryview(data)
        starts = list(range(0, len(data), self.CHUNK)) or [0]

        def piece(start: int) -> bytes:
            end = min(start + self.CHUNK, len(data))
            primer = data[max(0, start - self.WINDOW):start]
            deflate = (zlib.compressobj(self.LEVEL, zlib.DEFLATED, -15, zdict=primer) if primer
                       else zlib.compressobj(self.LEVEL, zlib.DEFLATED, -15))
            out = deflate.compress(view[start:end])
            return out + deflate.flush(zlib.Z_FINISH if end == len(data) else zlib.Z_SYNC_FLUSH)

        if len(starts) > 1:
            with ThreadPoolExecutor(max_workers=2) as pool:
                pieces = list(pool.map(piece, starts))
        else:
            pieces = [piece(0)]
        # magic, deflate, no flags, mtime 0, no extra flags (level 6), OS unknown (255)
        header = b"\x1f\x8b\x08\x00" + struct.pack("<L", 0) + b"\x00\xff"
        trailer = struct.pack("<LL", zlib.crc32(data), len(data) & 0xFFFFFFFF)
        return base64.b64encode(b"".join([header, *pieces, trailer])).decode("ascii")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_data(data: Mapping[str, Any]) -> str:
    """The page's data (see :class:`DataWriter`) of one JSON object."""
    writer = DataWriter()
    writer.write(_json(data))
    return writer.close()


def decode_data(text: str) -> dict[str, Any]:
    """Inverse of :func:`encode_data` (for tests and tools)."""
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))


#: The interpreter's switch interval (seconds) while the frames are packed and the layers cut
#: side by side (see :func:`build_map`).
GIL_SWITCH_S = 1e-4


class LayerCutting:
    """The boundary layers of a page, cut on a thread of their own from the moment the frames'
    coordinates are known (see :func:`build_map`), under a short switch interval
    (:data:`GIL_SWITCH_S`) until :meth:`result` or :meth:`close`; a context manager.

    ``lon``/``lat`` are the located frames, ``outline_codes`` the countries claimed as a whole,
    the rest as :func:`~geoverify.render._layers.display_layers` takes them.
    """

    def __init__(self, lon: list[float], lat: list[float], outline_codes: list[str], *,
                 adm0: Any = None, adm1: Any = None, borders: Any = None, places: Any = None,
                 world: Any = None, world_borders: Any = None,
                 country_names: Mapping[str, str] | None = None,
                 far_base_tolerance: float | None = None) -> None:
        self._switch = short_switch_interval(GIL_SWITCH_S)
        self._switch.__enter__()
        self._pool = ThreadPoolExecutor(max_workers=1)
        try:
            self._future = self._pool.submit(
                display_layers, lon, lat, adm0=adm0, adm1=adm1, borders=borders, places=places,
                fills=_style.COUNTRY_FILLS, outline_codes=outline_codes, world=world,
                world_borders=world_borders, country_names=dict(country_names or {}),
                far_base_tolerance=far_base_tolerance)
        except BaseException:
            self.close()
            raise

    def result(self) -> dict[str, Any]:
        """The layers (waits for them); the switch interval is restored."""
        try:
            return self._future.result()
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the thread and restore the switch interval (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
            self._switch.__exit__(None, None, None)

    def __enter__(self) -> LayerCutting:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def located_points(cols: FrameColumns) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes of the located frames (6 decimals, as the page stores them)."""
    lat_col, lon_col = cols.coordinates()
    return [v for v in lon_col if v is not None], [v for v in lat_col if v is not None]


def build_map(
    result: Mapping[str, Any],
    *,
    adm0: GeoDataFrame | None = None,
    adm1: GeoDataFrame | None = None,
    borders: GeoDataFrame | None = None,
    places: Any = None,
    context_attribution: str | None = None,
    world: Any = None,
    world_borders: Any = None,
    country_names: Mapping[str, str] | None = None,
    title: str | None = None,
    cdn: bool = False,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    build_time: datetime | None = None,
    columns: FrameColumns | None = None,
    far_base_tolerance: float | None = None,
    cutting: LayerCutting | None = None,
) -> folium.Map:

    if build_time is None:
        build_time = map_build_time()
    cols = columns if columns is not None else FrameColumns.of_report(result)
    located_lon, located_lat = located_points(cols)
    # The boundary layers (mostly GEOS, which releases the GIL) are cut on a second thread
    # while this one packs the frames (Python): 100,000 frames, 11 s and 4 s side by side.
    # The cutting thread makes thousands of short GEOS calls, each releasing the GIL and then
    # waiting to get it back from the packing thread, which hands it over only every switch
    # interval (5 ms by default): a shorter interval while both run. 100,000 frames, six runs
    # alternating with the code before: median 13.0 s instead of 13.4 s (a small gain on this
    # noisy machine; the check's batch threads gained nothing from the same change).
    # ``geoverify.build_map`` starts the cutting itself (``cutting``), as soon as the check
    # has located the frames, before their columns are gathered for packing.
    if cutting is None:
        cutting = LayerCutting(located_lon, located_lat, _country_claims(cols.get("claim")),
                               adm0=adm0, adm1=adm1, borders=borders, places=places, world=world,
                               world_borders=world_borders, country_names=country_names,
                               far_base_tolerance=far_base_tolerance)
    with cutting:
        packed = pack_frames(result, cols)
        # the data is one object: the packed frames' keys, then "geo" and the page's settings
        writer = DataWriter()
        writer.write(_json(packed)[:-1])
        geo = cutting.result()

    boundaries = [b for b in result.get("boundaries") or [] if isinstance(b, Mapping)]
    credits = [_html.esc(b.get("attribution")) for b in boundaries if b.get("attribution")]
    if context_attribution and geo["places"]:
        credits.append(_html.esc(context_attribution))
    attribution = " | ".join(dict.fromkeys(credits))
    settings = {
        "geo": geo,
        "style": _style_payload(),
        # Escaped in Python; Leaflet inserts attributions as HTML.
        "attributionHtml": attribution or None,
        "noClipName": _html.NO_CLIP,
        "hasTiles": bool(tiles),
    }
    writer.write("," + _json(settings)[1:])  # packed's "{...", then these keys and the "}"

    view = packed.get("view")
    if view is None:
        location, zoom = [20.0, 0.0], 2
    else:
        (south, west), (north, east) = view["bounds"]
        location, zoom = [(south + north) / 2, (west + east) / 2], 8
    m = EvidenceMap(
        location=location,
        zoom_start=zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # the page adds its own, clear of the attribution
    )
    m.options["max_zoom"] = 18
    m.options["min_zoom"] = 2
    tiles_note = None
    if tiles:
        layer = folium.TileLayer(tiles=tiles, attr=tiles_attribution, max_zoom=18)
        m.add_child(layer, name="tiles")
        m.gv_img_sources = ("https:",)
        tiles_note = tiles_attribution or tiles  # the map itself shows the provider's credit

    verdict_counts: dict[str, int] = {}
    for index in packed["columns"]["verdict"]:
        verdict = packed["verdicts"][index]
        verdict_counts[verdict] = verdict_counts.get(verdict, 0) + 1
    located = len(located_lat)
    page_title = title if title is not None else _html.default_title(result)

    head = "\n".join(
        [
            f"<title>{_html.esc(page_title)}</title>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',
            _assets.cdn_head() if cdn else _assets.inline_head(),
            _assets.app_head(),
        ]
    )
    body = "".join(
        [
            _html.header_html(page_title, _html.subtitle_text(packed["n"], len(packed["clips"]), located)),
            '<aside id="gv-panel" aria-label="Legend and clips">',
            _html.legend_html(packed["verdicts"], verdict_counts),
            _html.filters_html(packed["dateRange"]),
            _html.tally_html(packed["n"], len(packed["clips"])),
            "</aside>",
            _html.footer_html(
                result,
                build_time=build_time,
                library_versions=_assets.versions(),
                tiles_note=tiles_note,
                context_note=context_attribution if geo["places"] else None,
            ),
            f'<script type="application/octet-stream" id="{DATA_ELEMENT_ID}" data-encoding="gzip+base64">'
            f"{writer.close()}</script>",
        ]
    )
    m.add_child(_EvidenceLayer(head, body), name="evidence")
    stabilise_ids(m.get_root())
    return m


_BARE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\ssrc=\"(https?://[^\"/]+)", re.IGNORECASE)
_LINK_HREF = re.compile(r"<link\b[^>]*\shref=\"(https?://[^\"/]+)", re.IGNORECASE)


def _csp(page: str, m: Any) -> str:
    """A Content-Security-Policy for the rendered ``page``.

    Scripts: the hash of every inline script, plus the origins of any
    ``<script src>`` in the page (only with ``cdn=True`` or elements a caller
    added). Styles: inline, plus linked origins. Images: ``data:`` (and the
    tile server when tiles were asked for). Nothing else may load.
    """
    hashes = []
    for body in _BARE_SCRIPT.findall(page):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        token = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if token not in hashes:
            hashes.append(token)
    script_origins = sorted(set(_SCRIPT_SRC.findall(page)))
    style_origins = sorted(set(_LINK_HREF.findall(page)))
    scripts = " ".join(hashes + script_origins)
    styles = " ".join(["'unsafe-inline'", *style_origins])
    images = " ".join(("data:", *getattr(m, "gv_img_sources", ())))
    fonts = " ".join(style_origins) or "'none'"
    policy = (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; img-src {images}; "
        f"font-src {fonts}; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def render_html(m: folium.Map) -> str:
    root = m.get_root()
    stabilise_ids(root)
    page = root.render()
    if isinstance(m, EvidenceMap):
        # The policy lists a hash of every inline script, so no injected
        # script or event-handler attribute could run, and nothing but
        # data: images (plus tiles, when asked for) may be loaded.
        meta = _csp(page, m)
        page = page.replace("<head>", "<head>\n" + meta, 1)
    return page
