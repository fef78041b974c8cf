"""Resolving claim text ("Belgorod oblast, Russia", "RU-BEL", "Сумська обл.") to units.

Names come from the boundary data itself (every name and alternate Natural Earth carries for a
region, the ISO names of countries) plus a small curated alias table
(``data/boundaries/aliases.csv``) for transliterations and native spellings. Matching is done
on a normalised key: case-folded, accents and apostrophes removed, punctuation turned into
spaces and generic words ("oblast", "область", "region", "province"...) dropped.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Generic words that say what kind of unit a name is, not which one.
GENERIC_WORDS = frozenset("""
oblast oblasti oblasts obl region regione province provincia prov governorate gouvernorat
krai kray territory okrug autonomous republic respublika voblasts voblast state county
district raion rayon municipality city misto
область обл області облась край республика республіка регион регіон район край
округ автономная автономна місто город м г
""".split())

#: Words that say a claim names a region (oblast, krai, voblasts...), not a city of its own.
REGION_WORDS = frozenset("""
oblast oblasti oblasts obl region regione province provincia prov governorate krai kray
territory okrug voblasts voblast voblasc voblasts oblastʹ
область обл області облась край регион регіон округ вобласць вобл
""".split())

#: Words that say a claim names a city (Kyiv City, Minsk city, м. Київ, г. Москва).
CITY_WORDS = frozenset("""
city misto horad gorod
місто м город г горад
""".split())

#: Bump when :func:`normalise` or the stored name table changes: precomputed tables carry it.
NORMALISER_VERSION = "3"

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʹ\"“”«»"), None)


def normalise(text: str, *, drop_generic: bool = True) -> str:
    """Normalised matching key for a place name."""
    s = unicodedata.normalize("NFKC", str(text)).casefold().translate(_APOSTROPHES)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = re.sub(r"[^\w]+", " ", s).strip()
    if drop_generic:
        words = s.split()
        kept = [w for w in words if w not in GENERIC_WORDS]
        s = " ".join(kept) if kept else s
    return s


@dataclass(frozen=True)
class Unit:
    """A boundary unit a claim can name.

    ``kind`` is ``country``, ``region`` or ``city`` (a city that is a region of its own: Kyiv,
    Sevastopol, Moscow, Saint Petersburg, Minsk...). A claim that says which kind it means
    ("Moscow Oblast", "Kyiv City") is never resolved to a unit of the other kind.
    """

    level: str  # "country" or "adm1"
    code: str
    name: str
    country: str  # ISO alpha-2 of the unit's country (itself for a country)
    kind: str = "region"

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "name": self.name}


@dataclass
class Resolution:
    """What a claim text resolves to.

    ``units`` are the candidates at the most specific level named (several when the name is
    shared, e.g. Georgia); ``problems`` are (code, message) pairs for findings.
    """

    text: str
    units: list[Unit]
    problems: list[tuple[str, str]]


class _KeyTable(MutableMapping):
    """``by_key`` of a :class:`NameIndex` read from its stored table: the table's rows stay
    in arrays sorted by key, and a key's set of units is made the first time it is asked
    for (a check asks for a handful of its ~100,000 names). Keys added later (aliases) live
    beside them."""

    def __init__(self, keys, level, code) -> None:
        order = np.argsort(keys, kind="stable")
        self._keys, self._level, self._code = keys[order], level[order], code[order]
        self._made: dict[str, set[tuple[str, str]]] = {}

    def __getitem__(self, key):
        got = self._made.get(key)
        if got is None:
            if not isinstance(key, str):
                raise KeyError(key)
            lo = int(np.searchsorted(self._keys, key, side="left"))
            hi = int(np.searchsorted(self._keys, key, side="right"))
            if lo == hi:
                raise KeyError(key)
            got = self._made[key] = set(zip(self._level[lo:hi].tolist(),
                                            self._code[lo:hi].tolist()))
        return got

    def __setitem__(self, key, value) -> None:
        self._made[key] = value

    def __delitem__(self, key) -> None:
        raise TypeError("names are not removed from a name index")

    def __iter__(self):
        return iter(dict.fromkeys([*self._keys.tolist(), *self._made]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self._keys.tolist(), *self._made]))


class NameIndex:
    """Lookup from normalised names and codes to units."""

    def __init__(self, countries=None, adm1=None, aliases=None, *, table=None) -> None:
        self.units: dict[tuple[str, str], Unit] = {}
        self.by_key: dict[str, set[tuple[str, str]]] = {}
        self.display: dict[str, str] = {}
        if table is not None:
            self._load_table(table)
        else:
            for row in countries.itertuples(index=False):
                unit = Unit("country", row.code, row.name, row.code, "country")
                self._add_unit(unit, [row.code, row.iso_a3, row.name, *_names(row)],
                               codes=(row.code, row.iso_a3))
            for row in adm1.itertuples(index=False):
                kind = getattr(row, "kind", None)
                unit = Unit("adm1", row.code, row.name, row.country,
                            kind if kind in ("region", "city") else "region")
                codes = [row.code]
                if isinstance(row.adm1_code, str):
                    codes.extend(c for c in row.adm1_code.split("|") if c)
                self._add_unit(unit, [*codes, row.name, *_names(row)], codes=codes)
        if aliases is not None:
            for row in aliases.itertuples(index=False):
                unit = self.units.get((row.level, row.code))
                if unit is not None:
                    self._add_name(unit, row.alias)

    def to_table(self):
        """The index as a DataFrame (``key, level, code, name, country, display, kind``), to store."""
        import pandas as pd

        rows = []
        for key, hits in sorted(self.by_key.items()):
            for level, code in sorted(hits):
                u = self.units[(level, code)]
                rows.append((key, level, code, u.name, u.country, self.display.get(key, ""), u.kind))
        return pd.DataFrame(rows, columns=["key", "level", "code", "name", "country", "display",
                                           "kind"])

    def _load_table(self, table) -> None:
        cols = ["key", "level", "code", "name", "country", "display", "kind"]
        t = table[cols]
        first = ~t.duplicated(["level", "code"]).to_numpy()
        self.units = {(lv, cd): Unit(lv, cd, nm, ct, kd) for lv, cd, nm, ct, kd in zip(
            *(t[c].to_numpy(dtype=object)[first].tolist()
              for c in ("level", "code", "name", "country", "kind")))}
        keys = t["key"].to_numpy(dtype=object)
        level = t["level"].to_numpy(dtype=object)
        code = t["code"].to_numpy(dtype=object)
        self.by_key = _KeyTable(keys, level, code)
        disp = t["display"].to_numpy(dtype=object)
        has = np.flatnonzero(pd.notna(disp) & (disp != ""))[::-1]  # the first one wins
        self.display = dict(zip(keys[has].tolist(), disp[has].tolist()))

    def _add_unit(self, unit: Unit, names: list[str], codes) -> None:
        self.units[(unit.level, unit.code)] = unit
        for c in codes:
            if isinstance(c, str) and c:
                self.by_key.setdefault("#" + c.upper(), set()).add((unit.level, unit.code))
        for n in names:
            self._add_name(unit, n)

    def _add_name(self, unit: Unit, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            return
        for key in {normalise(name), normalise(name, drop_generic=False)}:
            if key:
                self.by_key.setdefault(key, set()).add((unit.level, unit.code))
                self.display.setdefault(key, name)

    def lookup(self, text: str) -> list[Unit]:
        """Units a single name or code denotes (empty when unknown)."""
        raw = str(text).strip()
        hits = self.by_key.get("#" + raw.upper())
        if not hits:
            # the full name first ("Kiev oblast" is the oblast), then without generic words
            hits = self.by_key.get(normalise(raw, drop_generic=False)) or self.by_key.get(normalise(raw))
        if not hits:
            return []
        units = sorted((self.units[h] for h in hits), key=lambda u: (u.level != "country", u.code))
        kind = claimed_kind(raw)
        if kind is not None:
            # "Moscow Oblast" is the oblast alone, "Kyiv City" the city alone: a kind word in
            # the claim is never overridden by a shared name
            same = [u for u in units if u.kind == kind]
            if same:
                units = same
        return units

    def closest(self, text: str, n: int = 3) -> list[str]:
        """The ``n`` closest known names, for an ``unknown-claim`` finding."""
        key = normalise(text)
        # misspellings keep their first letter and roughly their length: compare those first
        # (difflib over every one of ~50,000 names takes seconds)
        keys = [k for k in self.by_key if not k.startswith("#")]
        near = [k for k in keys if k[:1] == key[:1] and abs(len(k) - len(key)) <= max(3, len(key) // 2)]
        best = difflib.get_close_matches(key, near, n=n * 4, cutoff=0.6)
        for pool, cutoff in ((keys, 0.6), (near if near and len(keys) > 5000 else keys, 0.0)):
            if len(best) >= n:
                break
            best += [k for k in difflib.get_close_matches(key, pool, n=n * 4, cutoff=cutoff)
                     if k not in best]
        out: list[str] = []
        for k in best:
            for level, code in sorted(self.by_key[k]):
                u = self.units[(level, code)]
                label = f"{u.name} ({u.code})"
                if label not in out:
                    out.append(label)
        return out[:n]

    def resolve(self, text: str) -> Resolution:
        """Resolve a claim, judging it at its most specific level."""
        text = str(text)
        units = self.lookup(text)
        if units:
            return Resolution(text, units, self._multi(text, units))
        parts = [p.strip() for p in re.split(r"[,;/]|\s+-\s+", text) if p.strip()]
        if len(parts) < 2:
            return Resolution(text, [], [("unknown-claim", self._unknown(text))])
        resolved = [(p, self.lookup(p)) for p in parts]
        unknown = [p for p, u in resolved if not u]
        known = [(p, u) for p, u in resolved if u]
        problems: list[tuple[str, str]] = []
        if not known:
            return Resolution(text, [], [("unknown-claim", self._unknown(text))])
        countries = {u.code for _, us in known for u in us if u.level == "country"}
        regions = [u for _, us in known for u in us if u.level == "adm1"]
        if unknown:
            problems.append(("unknown-claim", "part of the claim is not a known place: "
                             + "; ".join(self._unknown(p) for p in unknown)))
            if not regions:
                # "Donestk Oblast, Ukraine": the unknown part is the more specific claim;
                # judging the country alone would silently weaken it, so it stays unresolved
                problems[-1] = (problems[-1][0], problems[-1][1] + "; not judged against "
                                + ", ".join(sorted(countries)) + " alone, which would weaken "
                                "the claim")
                return Resolution(text, [], problems)
        if regions:
            # keep regions consistent with a named country when there is one
            fitting = [r for r in regions if not countries or r.country in countries]
            if countries and not fitting:
                names = ", ".join(sorted(countries))
                problems.append(("claim-contradiction",
                                 f"the claim {text!r} names region(s) "
                                 + ", ".join(f"{r.name} ({r.code})" for r in regions)
                                 + f" that are not in {names}; judged against the region"))
                fitting = regions
            units = _dedupe(fitting)
        else:
            units = _dedupe([u for _, us in known for u in us])
        problems.extend(self._multi(text, units))
        return Resolution(text, units, problems)

    def _multi(self, text: str, units: list[Unit]) -> list[tuple[str, str]]:
        if len(units) < 2:
            return []
        listed = ", ".join(f"{u.name} ({u.code}, {'country' if u.level == 'country' else 'region'})" for u in units)
        return [("multiple-units", f"the claim {text!r} names {len(units)} units: {listed}; "
                 "checked against each")]

    def _unknown(self, text: str) -> str:
        near = self.closest(text)
        return f"no known country or region is called {text!r}; closest: " + ", ".join(near)


def claimed_kind(text: str) -> str | None:
    """``region`` or ``city`` when the claim says which kind of unit it names, else None."""
    words = set(normalise(text, drop_generic=False).split())
    if words & CITY_WORDS:
        return "city"
    if words & REGION_WORDS:
        return "region"
    return None


def _dedupe(units: list[Unit]) -> list[Unit]:
    seen, out = set(), []
    for u in units:
        if (u.level, u.code) not in seen:
            seen.add((u.level, u.code))
            out.append(u)
    return out


def _names(row) -> list[str]:
    raw = getattr(row, "names", None)
    if isinstance(raw, str) and raw.startswith("["):
        try:
            return [n for n in json.loads(raw) if isinstance(n, str)]
        except ValueError:
            return []
    return []


def name_index(boundaries) -> NameIndex:
    """The (cached) name index of a boundary set."""
    idx = boundaries._cache.get("names")
    if idx is None:
        table = getattr(boundaries, "names", None)
        if table is not None and getattr(table, "attrs", {}).get("normaliser") == NORMALISER_VERSION:
            idx = NameIndex(aliases=boundaries.aliases, table=table)
        else:
            idx = NameIndex(boundaries.countries, boundaries.adm1, boundaries.aliases)
        boundaries._cache["names"] = idx
    return idx
