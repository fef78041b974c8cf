"""The boundary layers of a page, cut on a thread of their own while the frames are packed.

Kept apart from ``_map`` so that it imports no folium: ``geoverify.build_map`` starts the cutting
as soon as the frames are located, and folium and branca (about 0.25 s to import) are loaded
while the layers are cut.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from geoverify.gil import short_switch_interval
from geoverify.render import _style
from geoverify.render._layers import display_layers

if TYPE_CHECKING:  # pragma: no cover
    from geoverify.render._data import FrameColumns

__all__ = ["GIL_SWITCH_S", "LayerCutting", "country_claim_codes", "country_claims", "located_points"]


def country_claims(claims: list[Any]) -> list[str]:
    """Codes of the countries some frame claims as a whole (their outline is drawn), from the
    frames' claim objects."""
    pairs = [(c.get("level"), c.get("code")) for c in claims if isinstance(c, Mapping)]
    return country_claim_codes([p[0] for p in pairs], [p[1] for p in pairs])


def country_claim_codes(levels: list[Any], codes: list[Any]) -> list[str]:
    """Codes of the countries claimed as a whole, from the claims' levels and codes."""
    return sorted({str(code) for level, code in zip(levels, codes)
                   if level in ("adm0", "country") and code})


#: The interpreter's switch interval (seconds) while the frames are packed and the layers cut
#: side by side (see :func:`geoverify.render._map.build_map`).
GIL_SWITCH_S = 1e-4


class LayerCutting:
    """The boundary layers of a page, cut on a thread of their own from the moment the frames'
    coordinates are known (see :func:`geoverify.render._map.build_map`), under a short switch interval
    (:data:`GIL_SWITCH_S`) until :meth:`result` or :meth:`close`; a context manager.

    ``lon``/``lat`` are the located frames, ``outline_codes`` the countries claimed as a whole,
    the rest as :func:`~geoverify.render._layers.display_layers` takes them; or ``prepare``, a
    function that returns a mapping holding them (its other keys are not used), called on the
    cutting thread first: the layers are read and selected there, not before it starts.
    """

    def __init__(self, lon: list[float], lat: list[float], outline_codes: list[str], *,
                 adm0: Any = None, adm1: Any = None, borders: Any = None, places: Any = None,
                 world: Any = None, world_borders: Any = None,
                 country_names: Mapping[str, str] | None = None,
                 far_base_tolerance: float | None = None,
                 prepare: Callable[[], Mapping[str, Any]] | None = None) -> None:
        given = {"adm0": adm0, "adm1": adm1, "borders": borders, "places": places, "world": world,
                 "world_borders": world_borders, "country_names": country_names,
                 "far_base_tolerance": far_base_tolerance}

        def cut() -> dict[str, Any]:
            layers = dict(given)
            if prepare is not None:
                layers.update((k, v) for k, v in prepare().items() if k in given)
            return display_layers(lon, lat, fills=_style.COUNTRY_FILLS, outline_codes=outline_codes,
                                  **{**layers, "country_names": dict(layers["country_names"] or {})})

        self._switch = short_switch_interval(GIL_SWITCH_S)
        self._switch.__enter__()
        self._pool = ThreadPoolExecutor(max_workers=1)
        try:
            self._future = self._pool.submit(cut)
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
