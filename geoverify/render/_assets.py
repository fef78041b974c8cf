"""Leaflet and the page's own script and style.

The page clusters its frames itself (so that clusters can show their verdict
mix); Leaflet.markercluster is no longer used.

Offline (default): every file is read from the installed xstatic packages and
inlined, images as ``data:`` URIs, source-map comments removed, so the page
loads nothing. Online (``cdn=True``): ``<script src>``/``<link>`` tags to
unpkg with the same versions.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from importlib import resources
from pathlib import Path

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S*\s*$")
_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")


class AssetError(RuntimeError):
    """A bundled script or style is missing or cannot be inlined safely."""


def _xstatic_dirs() -> tuple[Path, str]:
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise AssetError(
            "the offline map needs the package XStatic-Leaflet; install it or use cdn=True"
        ) from exc
    return Path(leaflet.BASE_DIR), leaflet.VERSION


def versions() -> dict[str, str]:
    """Versions of the bundled libraries, e.g. ``{"leaflet": "1.9.3"}``."""
    _, lv = _xstatic_dirs()
    return {"leaflet": lv}


def _script_safe(js: str, name: str) -> str:
    """Inline-able script text: no source map, no early ``</script``."""
    js = _SOURCE_MAP.sub("\n", js.replace("\r\n", "\n").replace("\r", "\n"))
    # "<\/" means "</" in every JavaScript context where "</" can occur
    # (strings, regexes, comments), and the HTML parser no longer sees an end tag.
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    if "<!--" in js:
        raise AssetError(f"{name} contains '<!--' and cannot be inlined safely")
    return js


def _style_safe(css: str, name: str) -> str:
    css = css.replace("\r\n", "\n").replace("\r", "\n")
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    if re.search(r"</style", css, flags=re.IGNORECASE):
        raise AssetError(f"{name} contains '</style' and cannot be inlined safely")
    return css


def _inline_images(css: str, base: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        path = base / match.group(2)
        if not path.is_file():  # pragma: no cover - broken install
            raise AssetError(f"missing image {path}")
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{encoded}")'

    css = _CSS_URL.sub(data_uri, css)
    # Old-IE VML behaviour rule; harmless but it is a URL, so drop it.
    return css.replace("behavior: url(#default#VML);", "")


def own_file(name: str) -> str:
    """Text of a file shipped in ``geoverify/render/static``."""
    return resources.files("geoverify.render").joinpath("static", name).read_text(encoding="utf-8")


@functools.cache
def inline_head() -> str:
    """``<style>`` and ``<script>`` elements with the libraries inlined."""
    leaflet_dir, _ = _xstatic_dirs()
    parts = []
    css = _inline_images((leaflet_dir / "leaflet.css").read_text(encoding="utf-8"), leaflet_dir)
    parts.append(f"<style>{_style_safe(css, 'leaflet.css')}</style>")
    js = (leaflet_dir / "leaflet.js").read_text(encoding="utf-8")
    parts.append(f"<script>{_script_safe(js, 'leaflet.js')}</script>")
    return "\n".join(parts)


def _sri(path: Path) -> str:
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


#: Host the online variant loads the libraries from (also used in the CSP).
CDN_ORIGIN = "https://unpkg.com"


@functools.cache
def cdn_head() -> str:
    """``<link>``/``<script src>`` elements for the online variant.

    Leaflet's files in XStatic-Leaflet are byte-identical to the release on
    npm (their hashes equal the ones published on leafletjs.com), so they get
    Subresource Integrity hashes computed from the local copy.
    """
    leaflet_dir, lv = _xstatic_dirs()
    leaflet = f"{CDN_ORIGIN}/leaflet@{lv}/dist"
    return "\n".join(
        [
            f'<link rel="stylesheet" href="{leaflet}/leaflet.css" '
            f'integrity="{_sri(leaflet_dir / "leaflet.css")}" crossorigin="anonymous">',
            f'<script src="{leaflet}/leaflet.js" '
            f'integrity="{_sri(leaflet_dir / "leaflet.js")}" crossorigin="anonymous"></script>',
        ]
    )


@functools.cache
def app_head() -> str:
    """The page's own style and script (always inlined)."""
    css = _style_safe(own_file("evidence_map.css"), "evidence_map.css")
    js = _script_safe(own_file("evidence_map.js"), "evidence_map.js")
    return f"<style>{css}</style>\n<script>{js}</script>"
