"""Write a large, realistic, made-up claims file for map tests, benchmarks and screenshots.

The real CIR dataset is not redistributable here, so this makes one of the same
shape: thousands of clips, most of one frame, some of up to 12, around places along the front
line in Ukraine (with the free-text columns such exports carry: a description, a
geolocation link, a level, tags), the Russia-Ukraine border (Belgorod, Kursk, Bryansk / Sumy,
Kharkiv, Chernihiv), Crimea, Kyiv and Odesa, with a few far outliers (Moscow,
St Petersburg, the Finnish border, Vladivostok) and some frames without
coordinates. Claims name the region the place is in, its country, or (about one
clip in six) the region across the border, so every verdict occurs. Frames of a
clip are within a few kilometres of each other, in frame order.

    python scripts/make_large_dataset.py 6650 -o large-6650.csv
    python scripts/make_large_dataset.py 100000 -o large-100k.csv --seed 3

Deterministic for a given size and seed. Nothing here is real footage.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

# (lon, lat, region claim, the claim across the border or None, country claim)
HOTSPOTS: tuple[tuple[float, float, str, str | None, str], ...] = (
    (35.59, 50.43, "Belgorod oblast", "Sumy oblast", "Russia"),       # Grayvoron / Velyka Pysarivka
    (35.90, 50.30, "Belgorod oblast", "Kharkiv oblast", "Russia"),
    (36.58, 50.60, "Belgorod oblast", None, "Russia"),                # Belgorod
    (37.05, 50.30, "Belgorod oblast", "Kharkiv oblast", "Russia"),    # Shebekino
    (35.33, 51.30, "Kursk oblast", "Sumy oblast", "Russia"),          # Sudzha
    (34.80, 51.60, "Kursk oblast", "Sumy oblast", "Russia"),
    (33.90, 52.20, "Bryansk oblast", "Chernihiv oblast", "Russia"),
    (34.80, 50.91, "Sumy oblast", "Kursk oblast", "Ukraine"),          # Sumy
    (35.10, 50.60, "Sumy oblast", "Belgorod oblast", "Ukraine"),
    (36.23, 49.99, "Kharkiv oblast", "Belgorod oblast", "Ukraine"),    # Kharkiv
    (36.95, 50.28, "Kharkiv oblast", "Belgorod oblast", "Ukraine"),    # Vovchansk
    (37.61, 49.71, "Kharkiv oblast", None, "Ukraine"),                 # Kupiansk
    (38.00, 48.59, "Donetsk oblast", "Luhansk oblast", "Ukraine"),     # Bakhmut
    (37.74, 48.14, "Donetsk oblast", None, "Ukraine"),                 # Avdiivka
    (37.80, 48.00, "Donetsk oblast", None, "Ukraine"),                 # Donetsk
    (38.30, 48.90, "Luhansk oblast", "Donetsk oblast", "Ukraine"),
    (35.90, 47.45, "Zaporizhzhia oblast", "Dnipropetrovsk oblast", "Ukraine"),
    (35.14, 47.84, "Zaporizhzhia oblast", None, "Ukraine"),
    (32.62, 46.64, "Kherson oblast", "Mykolaiv oblast", "Ukraine"),
    (33.37, 46.75, "Kherson oblast", None, "Ukraine"),
    (34.10, 44.95, "Crimea", None, "Ukraine"),
    (30.52, 50.45, "Kyiv", "Kyiv oblast", "Ukraine"),
    (30.73, 46.48, "Odesa oblast", None, "Ukraine"),
)
# Far outliers: (lon, lat, claim)
OUTLIERS = ((37.62, 55.75, "Moscow"), (30.32, 59.94, "Saint Petersburg"), (28.70, 61.20, "Leningrad oblast"),
            (131.88, 43.12, "Primorsky krai"))
EVENTS = ("shelling", "drone strike", "artillery fire", "ambush", "convoy", "damaged vehicle", "air defence",
          "explosion", "troop movement", "destroyed building", "fire at a depot", "helicopter")
PLACES = ("a village", "the checkpoint", "a farm", "the railway station", "a bridge", "the outskirts",
          "a forest edge", "an industrial site", "the main road", "a school")
CHANNELS = ("MoD", "Rybar", "WarGonzo", "DeepState", "ButusovPlus", "Ukr Brigade", "Ukr Border Guard",
            "Local news", "Telegram repost")


def rows(n: int, seed: int = 1) -> list[dict[str, str]]:
    """``n`` claims rows (as text), grouped into clips of 1-12 frames."""
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    clip_no = 0
    outliers_left = list(OUTLIERS)
    while len(out) < n:
        clip_no += 1
        size = min(n - len(out), rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 6, 12)))
        day = 1 + rng.randrange(700)
        date = f"{2022 + (day // 365)}-{1 + (day % 365) // 31:02d}-{1 + (day % 31) % 28:02d}"
        channel = rng.choice(CHANNELS)
        name = f"{channel} {date} #{clip_no:05d}"
        if outliers_left and clip_no % 997 == 0:
            lon0, lat0, claim = outliers_left.pop(0)
            region_claim, spread = claim, 0.02
        else:
            lon0, lat0, region, other, country = rng.choice(HOTSPOTS)
            roll = rng.random()
            region_claim = (other if (other and roll < 0.17) else country if roll > 0.85 else region)
            spread = rng.choice((0.01, 0.03, 0.08, 0.2))
            lon0 += rng.gauss(0, 0.25)
            lat0 += rng.gauss(0, 0.15)
        seconds = 0
        for k in range(size):
            seconds += rng.randrange(2, 40)
            timecode = f"00:{seconds // 60:02d}:{seconds % 60:02d}"
            lon = lon0 + rng.gauss(0, spread)
            lat = lat0 + rng.gauss(0, spread * 0.7)
            row = {"id": f"c{clip_no}-{k + 1}", "clip": name, "frame": timecode, "date": date,
                   "claimed": region_claim, "source": f"https://example.org/v/{clip_no}",
                   "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                   # free-text columns as in CIR / Eyes on Russia exports (carried to the popups)
                   "description": (f"{channel} footage of {rng.choice(EVENTS)} near {rng.choice(PLACES)}, "
                                   f"posted {date} {rng.randrange(24):02d}:{rng.randrange(60):02d}; "
                                   f"{rng.randrange(1, 40)} s clip, {rng.choice(('day', 'night', 'dusk'))}, "
                                   f"ref {rng.getrandbits(40):010x}"),
                   "geolocation": f"https://example.org/geo/{rng.getrandbits(48):012x}",
                   "violence_level": rng.choice(("1", "2", "3", "4")),
                   "tags": ";".join(sorted(rng.sample(EVENTS, rng.randrange(1, 4))))}
            if rng.random() < 0.004:
                row["lat"] = row["lon"] = ""  # coordinates not recoverable
            out.append(row)
    return out[:n]


def write_csv(path: Path, n: int, seed: int = 1) -> Path:
    import csv

    fields = ["id", "clip", "frame", "date", "lat", "lon", "claimed", "source", "description", "geolocation",
              "violence_level", "tags"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows(n, seed))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of rows")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write_csv(args.output, args.n, args.seed)
    print(f"wrote {args.output} ({args.n} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
