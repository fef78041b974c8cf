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

from geoverify.render import _assets, _html, _style
from geoverify.render._clock import map_build_time
from geoverify.render._cutting import LayerCutting, country_claims, located_points
from geoverify.render._data import FrameColumns, json_for_script, pack_frames

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


class DataWriter:
    """The page's data: JSON, gzip-compressed (no timestamp: reproducible), base64.

    The JSON is written in pieces (``write``) and compressed as one gzip member: a fixed header
    (mtime 0, OS 255, whichever Python runs), one raw deflate stream, CRC-32 and size. The
    deflate stream is made of pieces of :data:`CHUNK` bytes of text, compressed side by side on
    two threads (zlib releases the GIL), each primed with the 32 KB of text before it (so it
    refers back into it as one stream would) and ended with a sync flush, the last one
    finished: one valid stream, whose bytes depend on the text only, not on how it was written.
    100,000 frames (44 MB of text): 0.6 s instead of 1.1 s, 1 KB more.

    A piece is compressed as soon as text beyond its end has been written, while the caller
    encodes the rest of the JSON; :meth:`close` compresses the last one and waits for the
    others. A context manager: leaving it without :meth:`close` stops the threads.

    zlib's default level 6: for the 44 MB of data of a 100,000-frame page it takes 1.7 s
    where level 9 takes 6.5 s, for a page 3 % larger (9.9 MB instead of 9.5 MB)."""

    LEVEL = 6
    #: Bytes of text per piece of the deflate stream.
    CHUNK = 8 << 20
    #: Bytes of text before a piece that prime its compressor (deflate's window).
    WINDOW = 32 << 10

    def __init__(self) -> None:
        self._text = bytearray()
        self._crc = 0
        self._pieces: list[Any] = []  # the futures of the pieces handed to the threads
        self._pool: ThreadPoolExecutor | None = None

    def write(self, text: str) -> None:
        raw = text.encode("utf-8")
        self._crc = zlib.crc32(raw, self._crc)
        self._text += raw
        # every piece that ends before the text does is not the last one: it can be compressed
        while len(self._text) > (len(self._pieces) + 1) * self.CHUNK:
            start = len(self._pieces) * self.CHUNK
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="geoverify-deflate")
            with memoryview(self._text) as view:
                primer = bytes(view[max(0, start - self.WINDOW):start])
                body = bytes(view[start:start + self.CHUNK])
            self._pieces.append(self._pool.submit(self._deflate, primer, body, False))

    def _deflate(self, primer: bytes, body: bytes, last: bool) -> bytes:
        deflate = (zlib.compressobj(self.LEVEL, zlib.DEFLATED, -15, zdict=primer) if primer
                   else zlib.compressobj(self.LEVEL, zlib.DEFLATED, -15))
        out = deflate.compress(body)
        return out + deflate.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    def close(self) -> str:
        """The data as base64 text (once: the writer is used up)."""
        size = len(self._text)
        start = len(self._pieces) * self.CHUNK
        with memoryview(self._text) as view:
            last = self._deflate(bytes(view[max(0, start - self.WINDOW):start]),
                                 bytes(view[start:]), True)
        self._text = bytearray()
        try:
            pieces = [f.result() for f in self._pieces] + [last]
        finally:
            self._stop()
        # magic, deflate, no flags, mtime 0, no extra flags (level 6), OS unknown (255)
        header = b"\x1f\x8b\x08\x00" + struct.pack("<L", 0) + b"\x00\xff"
        trailer = struct.pack("<LL", self._crc, size & 0xFFFFFFFF)
        return base64.b64encode(b"".join([header, *pieces, trailer])).decode("ascii")

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pieces = []

    def __enter__(self) -> DataWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_json(writer: DataWriter, value: Any, *, depth: int = 1, close: bool = True) -> None:
    """Write ``_json(value)`` to ``writer`` in pieces: the members of objects and arrays down to
    ``depth`` levels one at a time (the text is the same). ``close=False`` leaves the outermost
    object or array open, for more members."""
    if depth > 0 and isinstance(value, dict) and all(type(k) is str for k in value):  # noqa: E721
        writer.write("{")
        for i, (key, item) in enumerate(value.items()):
            writer.write(("," if i else "") + _json(key) + ":")
            write_json(writer, item, depth=depth - 1)
        if close:
            writer.write("}")
    elif depth > 0 and isinstance(value, list):
        writer.write("[")
        for i, item in enumerate(value):
            if i:
                writer.write(",")
            write_json(writer, item, depth=depth - 1)
        if close:
            writer.write("]")
    else:
        text = _json(value)
        writer.write(text if close else text[:-1])


def encode_data(data: Mapping[str, Any]) -> str:
    """The page's data (see :class:`DataWriter`) of one JSON object."""
    with DataWriter() as writer:
        writer.write(_json(data))
        return writer.close()


def decode_data(text: str) -> dict[str, Any]:
    """Inverse of :func:`encode_data` (for tests and tools)."""
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))


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
        cutting = LayerCutting(located_lon, located_lat, country_claims(cols.get("claim")),
                               adm0=adm0, adm1=adm1, borders=borders, places=places, world=world,
                               world_borders=world_borders, country_names=country_names,
                               far_base_tolerance=far_base_tolerance)
    with cutting, DataWriter() as writer:
        packed = pack_frames(result, cols)
        # the data is one object: the packed frames' keys, then "geo" and the page's settings;
        # written a column at a time, so that its first pieces are compressed while the rest
        # is encoded
        write_json(writer, packed, depth=2, close=False)
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
        data_text = writer.close()

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
            f"{data_text}</script>",
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
