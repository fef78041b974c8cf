"""Helpers shared by the ``validate`` tests: throwaway git repositories, a seeded dataset with
one instance of every finding, and running the CLI."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from click.testing import CliRunner

from geoverify.cli.main import cli

HEADER = ["id", "clip", "frame", "lat", "lon", "claimed", "source", "date"]


def run(*args: str):
    """``geoverify ARGS`` through click's runner (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "user.name=geoverify tests",
                          "-c", "user.email=tests@example.org", "-c", "commit.gpgsign=false",
                          *args], capture_output=True, text=True, check=True)
    return out.stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def csv_text(rows: list[dict[str, str]], header=HEADER) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


@lru_cache(maxsize=1)
def near_border_point() -> tuple[str, str]:
    """A point about 20 m north-east of a vertex of the Ukraine-Russia border near Sumy/Belgorod
    (taken from the embedded border lines, so it stays within the data's 200 m accuracy)."""
    import shapely

    from geoverify.boundaries import load_boundaries

    b = load_boundaries().borders
    pair = {"UA", "RU"}
    lines = b[(b["kind"] == "country") & b.apply(
        lambda r: {r["a_country"], r["b_country"]} == pair, axis=1)]
    target = shapely.Point(35.58, 50.42)
    best = min((shapely.get_coordinates(g) for g in lines.geometry),
               key=lambda c: ((c[:, 0] - target.x) ** 2 + (c[:, 1] - target.y) ** 2).min())
    i = ((best[:, 0] - target.x) ** 2 + (best[:, 1] - target.y) ** 2).argmin()
    lon, lat = best[i]
    return f"{lat + 0.00015:.6f}", f"{lon + 0.00015:.6f}"


def make_row(rid, lat, lon, claimed="Ukraine", source=None, date="2023-05-22", clip=None,
         frame="00:00:05"):
    return {"id": rid, "clip": clip or f"clip {rid}", "frame": frame, "lat": lat, "lon": lon,
            "claimed": claimed, "source": f"https://example.org/v/{rid}" if source is None
            else source, "date": date}


#: (row, code, severity) seeded in :func:`seeded_rows` (rows 1-5 are clean).
SEEDED = [
    (6, "claim-mismatch", "error"),
    (7, "near-border", "warning"),
    (8, "outside-boundaries", "warning"),
    (9, "unparseable-coordinates", "error"),
    (10, "missing-coordinates", "error"),
    (11, "out-of-range", "error"),
    (12, "null-island", "error"),
    (13, "latlon-swapped", "error"),
    (14, "low-precision", "warning"),
    (15, "duplicate-row", "warning"),   # row 15 repeats row 1 (same id)
    (16, "conflicting-location", "error"),
    (17, "invalid-date", "error"),
    (18, "missing-source", "warning"),
    (19, "invalid-url", "error"),
    (20, "unknown-claim", "error"),
]


def seeded_rows() -> list[dict[str, str]]:
    """20 rows: 5 clean, then one instance of every finding ``validate`` must report."""
    nb_lat, nb_lon = near_border_point()
    rows = [
        make_row("r01", "50.450100", "30.523400"),                       # Kyiv
        make_row("r02", "49.993500", "36.230400", clip="strike clip", frame="00:00:12",
             source="https://example.org/v/strike"),                  # Kharkiv
        make_row("r03", "50.595400", "36.587300", claimed="Belgorod oblast"),
        make_row("r04", "53.902300", "27.561800", claimed="Belarus"),
        make_row("r05", "52.229700", "21.012200", claimed="Poland"),
        make_row("r06", "50.425192", "35.527879", claimed="Belgorod oblast"),   # in Sumy oblast
        make_row("r07", nb_lat, nb_lon),                                  # on the UA-RU border
        make_row("r08", "43.512345", "32.498765"),                        # the Black Sea
        make_row("r09", "fifty", "30.523400"),
        make_row("r10", "", ""),
        make_row("r11", "95.123456", "30.523400"),
        make_row("r12", "0.000000", "0.000000"),
        make_row("r13", "30.523400", "50.450100"),                        # Kyiv, swapped
        make_row("r14", "50.4", "30.5"),                                  # Kyiv, rounded
    ]
    rows.append(dict(rows[0]))                                        # row 15: row 1 again
    rows += [
        make_row("r16", "49.588300", "34.551400", clip="strike clip", frame="00:00:12",
             source="https://example.org/v/strike"),                  # row 2's frame, Poltava
        make_row("r17", "50.450100", "30.523400", date="1527"),
        make_row("r18", "50.450100", "30.523400", source=""),
        make_row("r19", "50.450100", "30.523400", source="javascript:alert(1)"),
        make_row("r20", "50.450100", "30.523400", claimed="Narnia"),
    ]
    return rows


def fixed_rows() -> list[dict[str, str]]:
    """The seeded rows with every problem fixed (and the repeated row removed)."""
    rows = [dict(r) for r in seeded_rows()]
    fixes = {
        "r06": {"lat": "50.595400", "lon": "36.587300"},
        "r07": {"lat": "50.907700", "lon": "34.798100"},   # Sumy
        "r08": {"lat": "46.482500", "lon": "30.723300"},   # Odesa
        "r09": {"lat": "48.464700", "lon": "35.046200"},   # Dnipro
        "r10": {"lat": "47.838800", "lon": "35.139600"},   # Zaporizhzhia
        "r11": {"lat": "49.842500", "lon": "24.032200"},   # Lviv
        "r12": {"lat": "46.975000", "lon": "31.994600"},   # Mykolaiv
        "r13": {"lat": "50.450100", "lon": "30.523400"},
        "r14": {"lat": "50.451230", "lon": "30.522110"},
        "r16": {"frame": "00:00:40"},
        "r17": {"date": "2023-05-27"},
        "r18": {"source": "https://example.org/v/r18"},
        "r19": {"source": "https://example.org/v/r19"},
        "r20": {"claimed": "Ukraine"},
    }
    out = []
    for i, r in enumerate(rows):
        if i == 14:
            continue  # the repeated row
        r.update(fixes.get(r["id"], {}))
        out.append(r)
    return out


ROOT = Path(__file__).resolve().parents[2]


def copy_worktree(dest: Path) -> Path:
    """A copy of this working tree's files (tracked, and new files git does not ignore), as a
    checkout of the action or a clone of the hook repository would have them, uncommitted
    changes included."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    for name in filter(None, listed.decode("utf-8").split("\0")):
        src = ROOT / name
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a real client run in a scratch repository: no GIT_* variables from
    an enclosing git process, a fixed author, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="geoverify tests", GIT_AUTHOR_EMAIL="tests@example.org",
               GIT_COMMITTER_NAME="geoverify tests", GIT_COMMITTER_EMAIL="tests@example.org",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    env.update(extra)
    return env
