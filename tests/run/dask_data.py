"""Synthetic claims for the Dask tests (several clips, mixed verdicts, bad rows)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

CLAIMS = ["Belgorod oblast", "Sumy oblast", "Kharkiv oblast", "Russia", "Ukraine",
          "Atlantis", "", "Kursk oblast", "Belgorod"]
BAD = [("", "35.6", ""), ("abc", "35.6", ""), ("95.0", "35.6", ""), ("", "", ""),
       ("", "", "50°26'N 35°35'E"), ("", "", "not a place"), ("50,45", "35,59", ""),
       ("50.4", "", "")]


def write_claims_csv(path: Path, n: int, *, seed: int = 7, clips: int = 9) -> Path:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "clip", "frame", "lat", "lon", "coordinates", "claimed",
                    "precision_m", "role", "date", "note"])
        for i in range(n):
            clip = f"clip-{rng.randrange(clips)}" if rng.random() > 0.03 else ""
            if rng.random() < 0.06:
                lat, lon, coords = rng.choice(BAD)
            else:
                lat = f"{rng.uniform(49.8, 51.8):.{rng.choice([2, 4, 6])}f}"
                lon = f"{rng.uniform(34.5, 38.5):.{rng.choice([3, 5, 6])}f}"
                coords = ""
            prec = rng.choice(["", "", "50", "1000", "-5", "x"])
            role = rng.choice(["", "", "camera", "target", "Driver"])
            w.writerow([f"r{i}", clip, f"00:{i % 60:02d}", lat, lon, coords,
                        rng.choice(CLAIMS), prec, role, "2023-05-22", f"note {i}"])
    return path
