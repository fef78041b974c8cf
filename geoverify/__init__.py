"""geoverify: check where geolocated footage really was filmed against what was claimed.

The public API::

    import geoverify
    result = geoverify.check("claims.csv")
    result.frames      # GeoDataFrame, one row per input row
    result.clips       # per-clip tallies
    result.to_dict()   # the JSON report
"""

from geoverify._version import __version__
from geoverify.api import build_figure, build_map, check, example_claims, export, read_claims
from geoverify.core.findings import Finding
from geoverify.core.result import CheckResult
from geoverify.errors import (
    BoundaryLayerError,
    ClaimsFileError,
    ConfigError,
    CoordinateError,
    GeoverifyError,
)
from geoverify.render import render_html, save_figure  # light: folium/matplotlib load on first call
from geoverify.validation.validation import ValidationResult, validate

__all__ = [
    "BoundaryLayerError",
    "CheckResult",
    "ClaimsFileError",
    "ConfigError",
    "CoordinateError",
    "Finding",
    "GeoverifyError",
    "ValidationResult",
    "__version__",
    "build_figure",
    "build_map",
    "check",
    "example_claims",
    "export",
    "read_claims",
    "render_html",
    "save_figure",
    "validate",
]
