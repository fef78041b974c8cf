"""The user cache: what geoverify derives once from the boundary layers and keeps between runs.

``$GEOVERIFY_CACHE_DIR``, or the platform's user cache directory (``~/.cache/geoverify`` on
Linux). Everything in it can be deleted at any time: it is rebuilt on the next run that needs
it. Two things live there: the locating engine's quadtree (``engine/``,
:func:`geoverify.engine.quadtree.engine_for`) and the decoded coordinates of the embedded
units layer (``units/``, :func:`geoverify.io.boundaries.read_polygons_lazily`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where derived data is kept: ``$GEOVERIFY_CACHE_DIR`` or the user cache directory."""
    env = os.environ.get("GEOVERIFY_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("geoverify"))
    except ImportError:  # pragma: no cover
        return Path.home() / ".cache" / "geoverify"
