#!/usr/bin/env python3
"""The map peer: what an analyst writes with plain folium, without geoverify.

    python benchmarks/peer_folium.py claims.csv out.html

``pandas.read_csv``, one ``folium.Marker`` with a popup (clip, frame, claim, coordinates) per
row in a ``MarkerCluster``, ``Map.save``. No boundaries, no verdicts, tiles from the network.
"""

from __future__ import annotations

import argparse
import html

import folium
import pandas as pd
from folium.plugins import MarkerCluster


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("claims")
    ap.add_argument("out")
    args = ap.parse_args()
    df = pd.read_csv(args.claims, dtype=str, keep_default_na=False)
    lat = pd.to_numeric(df["lat"], errors="coerce")
    lon = pd.to_numeric(df["lon"], errors="coerce")
    m = folium.Map(location=[float(lat.median()), float(lon.median())], zoom_start=7)
    cluster = MarkerCluster().add_to(m)
    for i in range(len(df)):
        if pd.isna(lat.iloc[i]) or pd.isna(lon.iloc[i]):
            continue
        text = "<br>".join(html.escape(f"{c}: {df[c].iloc[i]}") for c in
                           ("clip", "frame", "claimed") if c in df.columns)
        folium.Marker([float(lat.iloc[i]), float(lon.iloc[i])],
                      popup=folium.Popup(text, max_width=300)).add_to(cluster)
    m.save(args.out)


if __name__ == "__main__":
    main()
