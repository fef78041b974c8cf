"""Downloading boundary layers from known sources (geoBoundaries, GADM, OCHA COD-AB).

URL patterns live in ``sources.json`` next to this module, each marked ``"verified": false``
until checked against the real service. A fetch downloads into a temporary directory (progress
on stderr through a callback), checks the length and, when known, the sha256, then installs the
layer with :func:`geoverify.boundaries.layers.add_layer` (itself atomic). Whatever fails, nothing
is left half-installed and the temporary files are removed.

``$GEOVERIFY_FETCH_BASE_URL`` (or ``base_url=``) replaces every source's base URL: mirrors, and
the tests' local server.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geoverify.errors import BoundaryLayerError, ConfigError
from geoverify.io import limits
from geoverify.io.tempfiles import sweep_stale, temp_path

CHUNK = 64 * 1024


class FetchError(BoundaryLayerError):
    """A download failed (offline, refused, truncated, checksum mismatch)."""


def read_sources(path: Path | None = None) -> dict[str, Any]:
    """The known sources (``sources.json``)."""
    p = path or Path(__file__).with_name("sources.json")
    data = json.loads(p.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def source_url(source: dict[str, Any], country: str, level: str,
               base_url: str | None = None) -> str:
    """The download URL of ``country`` (ISO alpha-3 or alpha-2) at ``level`` for a source."""
    from geoverify.boundaries.registry import embedded_countries

    c = country.upper()
    table = embedded_countries()
    if len(c) == 2:
        m = dict(zip(table["code"], table["iso_a3"]))
        iso2, iso3 = c, m.get(c)
    else:
        m = dict(zip(table["iso_a3"], table["code"]))
        iso2, iso3 = m.get(c), c
    if not iso3 or not iso2:
        raise ConfigError(f"unknown country {country!r}: give an ISO 3166-1 code such as UKR or UA")
    base = (base_url or os.environ.get("GEOVERIFY_FETCH_BASE_URL") or source["base_url"]).rstrip("/")
    return source["url"].format(base=base, iso3=iso3, iso2=iso2, level=level, n=level[-1])


def _too_big(url: str, cap: int, what: str) -> FetchError:
    return FetchError(
        f"download of {url} refused: {what}, more than the {limits.size_text(cap)} a boundary "
        "layer may have (--max-bytes); nothing was installed; if the layer really is that "
        "large, raise --max-bytes, or download it yourself and install it with `geoverify "
        "boundaries add FILE --name NAME --level LEVEL`")


def download(url: str, dest: Path, *, sha256: str | None = None, timeout: float = 60.0,
             progress: Callable[[str], None] | None = None,
             max_bytes: int | None = None) -> str:
    """Download ``url`` to ``dest`` (streamed to disk); returns its sha256.

    At most ``max_bytes`` (default :data:`geoverify.io.limits.MAX_FETCH_BYTES`, 1 GiB) are
    accepted: a ``Content-Length`` above it is refused before the body is read, and a body
    that grows past it is cut off there.

    Raises
    ------
    FetchError
        Offline or refused, HTTP error, truncated body, larger than ``max_bytes``, or sha256
        different from ``sha256``.
    """
    try:
        return _download(url, dest, sha256=sha256, timeout=timeout, progress=progress,
                         max_bytes=max_bytes)
    except BaseException:
        Path(dest).unlink(missing_ok=True)  # never leave a partial download behind
        raise


def _download(url: str, dest: Path, *, sha256, timeout, progress, max_bytes) -> str:
    cap = limits.MAX_FETCH_BYTES if max_bytes is None else int(max_bytes)
    h = hashlib.sha256()
    got = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            if total is not None and total > cap:
                raise _too_big(url, cap, f"the server announces {total:,} bytes")
            with open(dest, "wb") as out:
                while True:
                    try:
                        block = resp.read(CHUNK)
                    except http.client.IncompleteRead as exc:
                        raise FetchError(
                            f"download of {url} was cut off after {got + len(exc.partial)} of "
                            f"{total} bytes; nothing was installed, try again") from exc
                    if not block:
                        break
                    got += len(block)
                    if got > cap:
                        raise _too_big(url, cap, f"the body passed {cap:,} bytes")
                    out.write(block)
                    h.update(block)
                    if progress:
                        pct = f" {100 * got / total:5.1f}%" if total else ""
                        progress(f"\rdownloading {url}: {got / 1e6:.2f} MB{pct}")
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError(f"cannot download {url}: HTTP {exc.code} {exc.reason}; check the "
                         "country and level, or the source's URL pattern in sources.json "
                         "(unverified)") from exc
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"cannot download {url}: {reason}. This machine may be offline or the server "
            "unreachable; download the file yourself and install it with "
            "`geoverify boundaries add FILE --name NAME --level LEVEL`") from exc
    if total is not None and got != total:
        raise FetchError(f"download of {url} was cut off after {got} of {total} bytes; nothing "
                         "was installed, try again")
    digest = h.hexdigest()
    if sha256 and digest != sha256.lower():
        raise FetchError(f"checksum mismatch for {url}: expected sha256 {sha256.lower()}, got "
                         f"{digest}; the file may be corrupt or changed upstream; nothing was "
                         "installed")
    return digest


def fetch_layer(source: str, country: str, level: str, *, name: str | None = None,
                sha256: str | None = None, base_url: str | None = None,
                sources: dict[str, Any] | None = None, timeout: float = 60.0,
                progress: Callable[[str], None] | None = None,
                max_bytes: int | None = None) -> dict[str, Any]:
    """Download one country's ``level`` layer from ``source`` and add it as a user set.

    ``max_bytes`` caps the download (default :data:`geoverify.io.limits.MAX_FETCH_BYTES`).

    Returns the set's manifest. The layer entry records the URL, the download's sha256, the
    source's licence and attribution, and a ``notice`` when the licence forbids redistribution.
    """
    from geoverify.boundaries.layers import add_layer, data_root

    known = sources or read_sources()
    if source not in known:
        raise ConfigError(f"unknown source {source!r}; choose one of {', '.join(sorted(known))}")
    src = known[source]
    level = level.upper()
    if level not in ("ADM0", "ADM1"):
        raise ConfigError(f"level must be ADM0 or ADM1, not {level!r}")
    url = source_url(src, country, level, base_url)
    name = name or f"{source}-{country.upper()}"
    fields = src.get("fields", {}).get(level, {})
    root = data_root()
    root.mkdir(parents=True, exist_ok=True)
    sweep_stale(root, "download")  # downloads of killed runs
    tmp = temp_path(root / "download")
    tmp.mkdir()
    try:
        dest = tmp / f"{source}-{country.upper()}-{level}.{src.get('format', 'geojson')}"
        digest = download(url, dest, sha256=sha256, timeout=timeout, progress=progress,
                          max_bytes=max_bytes)
        acc = src.get("accuracy_m", {}).get(level)
        return add_layer(
            dest, name=name, level=level, code_field=fields.get("code"),
            name_field=fields.get("name"), country_field=fields.get("country"),
            accuracy_m=acc, licence=src.get("licence"), attribution=src.get("attribution"),
            source=url, version=src.get("version"),
            extra={"fetched_from": source, "download_sha256": digest,
                   "url_verified": bool(src.get("verified")),
                   "redistribution": bool(src.get("redistribution", True)),
                   "notice": src.get("notice")})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
