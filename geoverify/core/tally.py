"""Per-clip tallies and the one-line summary a researcher can quote.

:class:`Tally` counts frames per clip batch by batch (in memory, streaming and Dask runs feed it
the same way; tallies of partitions merge in input order), so the counts never need the frames
kept. Distinct frame ids, which the summary's "in N frames" needs, are kept as 64-bit hashes
per clip: memory grows with the number of distinct frame ids (8 bytes each), never with rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

NO_CLIP = "(no clip)"
_NONE = "\x00none"  # stands for a missing clip/role/claim inside pandas group keys

#: Columns of the per-clip table, in order.
CLIP_COLUMNS = ["clip", "rows", "by_country", "by_adm1", "by_verdict", "by_role", "summary"]


def _counts_dict(c: Counter) -> dict[str, int]:
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class _Counts:
    rows: int = 0
    by_country: Counter = field(default_factory=Counter)
    by_adm1: Counter = field(default_factory=Counter)
    by_verdict: Counter = field(default_factory=Counter)

    def merge(self, o: _Counts) -> None:
        self.rows += o.rows
        self.by_country.update(o.by_country)
        self.by_adm1.update(o.by_adm1)
        self.by_verdict.update(o.by_verdict)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "by_country": _counts_dict(self.by_country),
                "by_adm1": _counts_dict(self.by_adm1),
                "by_verdict": _counts_dict(self.by_verdict)}


@dataclass
class _Clip:
    counts: _Counts = field(default_factory=_Counts)
    roles: dict[str, _Counts] = field(default_factory=dict)
    places: Counter = field(default_factory=Counter)
    labels: dict[str, str] = field(default_factory=dict)
    claimed: list[str] = field(default_factory=list)
    n_frames: int = 0
    frame_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))

    def merge(self, o: _Clip) -> None:
        self.counts.merge(o.counts)
        for r, c in o.roles.items():
            self.roles.setdefault(r, _Counts()).merge(c)
        self.places.update(o.places)
        for k, v in o.labels.items():
            self.labels.setdefault(k, v)
        for t in o.claimed:
            if t not in self.claimed and len(self.claimed) < 2:
                self.claimed.append(t)
        self.n_frames += o.n_frames
        self.frame_hashes = np.union1d(self.frame_hashes, o.frame_hashes)


def _col(values, n: int) -> np.ndarray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(values, dtype=object) if values is not None else np.full(n, None, object)


class Tally:
    """Per-clip tallies, accumulated from frame columns in input order."""

    def __init__(self) -> None:
        self.clips: dict[Any, _Clip] = {}

    def add(self, columns: dict[str, Any]) -> None:
        """Count a batch of frames (the columns of :class:`~geoverify.core.batch.Frames`)."""
        n = len(columns["row"])
        if n == 0:
            return
        clip = _col(columns["clip"], n)
        df = pd.DataFrame({
            "clip": np.where(pd.isna(clip), _NONE, clip),
            "country": _col(columns["country_code"], n),
            "country_name": _col(columns["country_name"], n),
            "adm1": _col(columns["adm1_code"], n),
            "adm1_name": _col(columns["adm1_name"], n),
            "verdict": _col(columns["verdict"], n),
            "role": _col(columns["role"], n),
            "claimed": _col(columns["claimed"], n),
            "frame": _col(columns["frame"], n),
        })
        keys = pd.unique(df["clip"].to_numpy())
        for k in keys.tolist():
            key = None if k == _NONE else k
            if key not in self.clips:
                self.clips[key] = _Clip()
        part = {None if k == _NONE else k: _Clip() for k in keys.tolist()}

        def each(cols, fn):
            g = df.groupby(cols, sort=False, dropna=False).size()
            for idx, c in g.items():
                k = idx[0] if isinstance(idx, tuple) else idx
                fn(part[None if k == _NONE else k], idx, int(c))

        each(["clip"], lambda p, i, c: setattr(p.counts, "rows", c))
        located = df[df["country"].notna()]
        for col, attr in (("country", "by_country"), ("adm1", "by_adm1")):
            sub = df[df[col].notna()]
            if len(sub):
                for (k, v), c in sub.groupby(["clip", col], sort=False).size().items():
                    getattr(part[None if k == _NONE else k].counts, attr)[v] += int(c)
        for (k, v), c in df.groupby(["clip", "verdict"], sort=False).size().items():
            part[None if k == _NONE else k].counts.by_verdict[v] += int(c)
        roles = df[df["role"].notna()]
        if len(roles):
            for (k, r), c in roles.groupby(["clip", "role"], sort=False).size().items():
                p = part[None if k == _NONE else k]
                p.roles.setdefault(r, _Counts()).rows += int(c)
            for col, attr in (("country", "by_country"), ("adm1", "by_adm1"),
                              ("verdict", "by_verdict")):
                sub = roles[roles[col].notna()]
                if len(sub):
                    for (k, r, v), c in sub.groupby(["clip", "role", col], sort=False).size().items():
                        getattr(part[None if k == _NONE else k].roles[r], attr)[v] += int(c)
        del located
        # places: the region, else the country
        place = df["adm1"].where(df["adm1"].notna(), df["country"])
        has = place.notna()
        if has.any():
            pl = df[has].assign(place=place[has])
            cc = pl["country"].to_numpy(dtype=object).copy()
            no_cc = pd.isna(cc)
            if no_cc.any():  # a region on a border between countries: its code's prefix
                cc[no_cc] = [str(a).split("-")[0] for a in pl["adm1"].to_numpy()[no_cc]]
            name = np.where(pl["adm1"].notna(), pl["adm1_name"].to_numpy(dtype=object),
                            pl["country_name"].to_numpy(dtype=object))
            pl["label"] = [f"{a} ({c})" for a, c in zip(name.tolist(), cc.tolist())]
            for (k, key, label), c in pl.groupby(["clip", "place", "label"],
                                                 sort=False).size().items():
                p = part[None if k == _NONE else k]
                p.places[key] += int(c)
                p.labels.setdefault(key, label)
        cl = df[df["claimed"].notna()].drop_duplicates(["clip", "claimed"])
        for k, t in zip(cl["clip"].tolist(), cl["claimed"].tolist()):
            p = part[None if k == _NONE else k]
            if len(p.claimed) < 2:
                p.claimed.append(t)
        fr = df[df["frame"].notna()]
        if len(fr):
            h = pd.util.hash_array(fr["frame"].to_numpy(dtype=object)).astype(np.uint64)
            for k, idx in fr.groupby("clip", sort=False).indices.items():
                p = part[None if k == _NONE else k]
                p.n_frames += len(idx)
                p.frame_hashes = np.unique(h[idx])
        for key, p in part.items():
            self.clips[key].merge(p)

    def merge(self, other: Tally) -> None:
        """Add another tally of later rows (clip order: first appearance in this one first)."""
        for key, p in other.clips.items():
            if key not in self.clips:
                self.clips[key] = _Clip()
            self.clips[key].merge(p)

    def records(self) -> list[dict[str, Any]]:
        """One dict per clip, in order of first appearance (the JSON report's ``clips``)."""
        out = []
        for key, p in self.clips.items():
            counts = p.counts.as_dict()
            by_role = {r: p.roles[r].as_dict() for r in sorted(p.roles)}
            out.append({"clip": key, **counts, "by_role": by_role,
                        "summary": summarise(key, p, counts)})
        return out

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records(), dtype=object, columns=CLIP_COLUMNS)


def summarise(clip: Any, p: _Clip, counts: dict[str, Any]) -> str:
    """E.g. "MoD clip: 6 locations; 4 in Sumy Oblast (UA), 2 in Belgorod Oblast (RU);
    4 of 6 contradict the claim 'Belgorod oblast'"."""
    n = counts["rows"]
    label = clip if clip is not None else NO_CLIP
    distinct = len(p.frame_hashes)
    head = f"{label}: {n} location{'s' if n != 1 else ''}"
    if p.n_frames and distinct < p.n_frames:
        head += f" in {distinct} frame{'s' if distinct != 1 else ''}"
    parts = [head]
    if p.places:
        parts.append(", ".join(f"{c} in {p.labels[k]}" for k, c in
                               sorted(p.places.items(), key=lambda kv: (-kv[1], p.labels[kv[0]]))))
    v = counts["by_verdict"]
    judged = sum(v.get(k, 0) for k in ("match", "mismatch", "ambiguous", "outside", "disputed"))
    if judged:
        target = f"the claim '{p.claimed[0]}'" if len(p.claimed) == 1 else "their claims"
        bits = [f"{v.get('mismatch', 0) + v.get('outside', 0)} of {n} contradict {target}"]
        if v.get("ambiguous"):
            bits.append(f"{v['ambiguous']} too close to a border to tell")
        if v.get("disputed"):
            bits.append(f"{v['disputed']} in disputed territory")
        parts.append("; ".join(bits))
    rest = [f"{v[k]} {k}" for k in ("unlocated", "unresolved", "unclaimed") if v.get(k)]
    if rest:
        parts.append(", ".join(rest))
    return "; ".join(parts)


def tally_by_clip(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tally frames given as dicts of the JSON report (kept for callers with such dicts)."""
    cols = {
        "row": [f.get("row") for f in frames], "clip": [f.get("clip") for f in frames],
        "country_code": [(f.get("country") or {}).get("code") for f in frames],
        "country_name": [(f.get("country") or {}).get("name") for f in frames],
        "adm1_code": [(f.get("adm1") or {}).get("code") for f in frames],
        "adm1_name": [(f.get("adm1") or {}).get("display") or (f.get("adm1") or {}).get("name")
                      for f in frames],
        "verdict": [f.get("verdict") for f in frames], "role": [f.get("role") for f in frames],
        "claimed": [f.get("claimed") for f in frames], "frame": [f.get("frame") for f in frames],
    }
    t = Tally()
    t.add(cols)
    return t.records()
