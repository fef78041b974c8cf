"""Loading a boundary set by name: the embedded set, a user set, a set directory or a layer
file, each optionally with ``@WORLDVIEW`` (``embedded@de-facto``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geoverify.boundaries.control import apply_worldview
from geoverify.boundaries.layers import _NAME_RE, load_file, load_set_dir, set_dir, store_dir
from geoverify.boundaries.model import EMBEDDED, BoundarySet
from geoverify.boundaries.registry import load_embedded


def load_boundaries(name: str | BoundarySet | None = EMBEDDED) -> BoundarySet:
    """Load a boundary set: ``embedded``, a user set added with ``geoverify boundaries add``,
    a set directory or a layer file, optionally with ``@WORLDVIEW`` (e.g. ``embedded@de-facto``).
    A :class:`BoundarySet` is returned as it is.

    Raises
    ------
    BoundaryLayerError
        When the name is unknown or the files are missing or corrupt.
    """
    if isinstance(name, BoundarySet):
        return name
    return load_named(name or EMBEDDED)


_WORLDVIEWS: dict[tuple[str, str], tuple[Any, Any]] = {}


def load_named(name_or_path: str):
    """Resolve ``--boundaries``: a user set name, a set directory, a layer file, each optionally
    followed by ``@WORLDVIEW`` (e.g. ``embedded@de-facto``)."""
    base, _, worldview = name_or_path.partition("@")
    if worldview:
        base_set = load_named(base)
        hit = _WORLDVIEWS.get((base, worldview))
        if hit is None or hit[0] is not base_set:  # (re)built when the base set changed
            hit = (base_set, apply_worldview(base_set, worldview))
            _WORLDVIEWS[(base, worldview)] = hit
        return hit[1]
    if base == EMBEDDED:
        return load_embedded()
    p = Path(base).expanduser()
    if _NAME_RE.match(base) and (store_dir() / base / "manifest.json").exists():
        return load_set_dir(store_dir() / base)
    if p.is_dir() and (p / "manifest.json").exists():
        return load_set_dir(p)
    if p.is_file():
        return load_file(p)
    set_dir(base)  # raises the "unknown set" error listing what is available
    raise AssertionError("unreachable")
