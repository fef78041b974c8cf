"""Per-clip tallies and the one-line summary a researcher can quote."""

from __future__ import annotations

from collections import Counter
from typing import Any

NO_CLIP = "(no clip)"


def _region_label(adm1: dict[str, Any] | None, country: dict[str, Any] | None) -> str:
    if not adm1:
        return ""
    name = adm1.get("display") or adm1["name"]
    cc = country["code"] if country else adm1["code"].split("-")[0]
    return f"{name} ({cc})"


def tally_by_clip(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tally frames (dicts as in the JSON contract) per clip, in order of first appearance.

    Each clip gets ``rows``, ``by_country`` and ``by_adm1`` (located rows only, keyed by code),
    ``by_verdict``, ``by_role`` (role -> rows, by_country, by_adm1, by_verdict) and ``summary``.
    """
    order: list[Any] = []
    groups: dict[Any, list[dict[str, Any]]] = {}
    for f in frames:
        key = f.get("clip")
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    return [_tally_one(key, groups[key]) for key in order]


def _counts(frames: list[dict[str, Any]]) -> dict[str, Any]:
    by_country = Counter(f["country"]["code"] for f in frames if f.get("country"))
    by_adm1 = Counter(f["adm1"]["code"] for f in frames if f.get("adm1"))
    by_verdict = Counter(f["verdict"] for f in frames)
    return {
        "rows": len(frames),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_adm1": dict(sorted(by_adm1.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_verdict": dict(sorted(by_verdict.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _tally_one(clip: Any, frames: list[dict[str, Any]]) -> dict[str, Any]:
    counts = _counts(frames)
    roles = sorted({f.get("role") for f in frames if f.get("role")})
    by_role = {}
    for role in roles:
        by_role[role] = _counts([f for f in frames if f.get("role") == role])
    return {"clip": clip, **counts, "by_role": by_role, "summary": summarise(clip, frames, counts)}


def summarise(clip: Any, frames: list[dict[str, Any]], counts: dict[str, Any] | None = None) -> str:
    """E.g. "MoD clip: 6 locations; 4 in Sumy oblast (UA), 2 in Belgorod oblast (RU);
    4 of 6 contradict the claim 'Belgorod oblast'"."""
    counts = counts or _counts(frames)
    n = len(frames)
    label = clip if clip is not None else NO_CLIP
    frame_ids = [f.get("frame") for f in frames if f.get("frame") is not None]
    distinct = len(set(frame_ids))
    head = f"{label}: {n} location{'s' if n != 1 else ''}"
    if frame_ids and distinct < len(frame_ids):
        head += f" in {distinct} frame{'s' if distinct != 1 else ''}"
    places: Counter = Counter()
    labels: dict[str, str] = {}
    for f in frames:
        if f.get("adm1"):
            key = f["adm1"]["code"]
            labels[key] = _region_label(f["adm1"], f.get("country"))
        elif f.get("country"):
            key = f["country"]["code"]
            labels[key] = f"{f['country']['name']} ({key})"
        else:
            continue
        places[key] += 1
    parts = [head]
    if places:
        parts.append(", ".join(f"{c} in {labels[k]}" for k, c in
                               sorted(places.items(), key=lambda kv: (-kv[1], labels[kv[0]]))))
    v = counts["by_verdict"]
    claimed = {f.get("claimed") for f in frames if f.get("claimed")}
    judged = sum(v.get(k, 0) for k in ("match", "mismatch", "ambiguous", "outside", "disputed"))
    if judged:
        target = f"the claim '{next(iter(claimed))}'" if len(claimed) == 1 else "their claims"
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
