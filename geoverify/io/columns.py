"""Column roles of a claims table: which header names mean clip, frame, lat, lon, claimed...

Header names are compared case-insensitively after dropping spaces, dashes, underscores, dots
and brackets (:func:`column_key`).
"""

from __future__ import annotations

import re

#: Column role -> accepted header names (compared after lower-casing and stripping
#: spaces, dashes and underscores).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "rowid", "uid", "identifier", "fid"),
    "clip": ("clip", "clipid", "video", "videoid", "videourl", "clipname", "videoname"),
    "frame": ("frame", "frametime", "timestamp", "time", "timecode", "framenumber", "frameno", "t"),
    "lat": ("lat", "latitude", "y", "latdd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "londd"),
    "coordinates": ("coordinates", "coordinate", "coords", "coord", "latlon", "latlng",
                    "location", "position", "point", "geolocation"),
    "claimed": ("claimed", "claim", "claimedlocation", "claimedplace", "claimedregion",
                "claimedcountry"),
    "source": ("source", "sourceurl", "url", "link", "sourcelink"),
    "date": ("date", "eventdate", "day"),
    "precision_m": ("precisionm", "precision", "accuracym", "accuracy", "uncertaintym"),
    "role": ("role",),
}

#: Values of the ``role`` column.
ROLES = ("camera", "target")


def column_key(header: str) -> str:
    """A header name as compared against :data:`ALIASES`."""
    return re.sub(r"[\s_\-\.()\[\]]+", "", str(header).strip().lower())


def map_columns(columns: list[str]) -> dict[str, str]:
    """Role -> column name, for the columns that have a role."""
    found: dict[str, str] = {}
    keys = {c: column_key(c) for c in columns}
    for role, names in ALIASES.items():
        for name in names:
            hit = next((c for c in columns if keys[c] == name and c not in found.values()), None)
            if hit is not None:
                found[role] = hit
                break
    return found


__all__ = ["ALIASES", "ROLES", "column_key", "map_columns"]
