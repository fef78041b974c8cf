"""``geoverify boundaries ...``: list, inspect, add, check, compare and fetch boundary layers."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import click

from geoverify.cli.options import (
    Choice,
    Group,
    configure_logging,
    quiet_opt,
    set_current_file,
    verbose_opt,
)
from geoverify.io.limits import MAX_FETCH_BYTES
from geoverify.io.safety import neutralise_formula


def _fmt_opt(default: str = "table"):
    return click.option("-f", "--format", "fmt", type=Choice(["table", "json", "csv"]),
                        default=default, show_default=True, help="Output format on stdout.")


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (ValueError, AttributeError):
            return v
    return v


def _emit(records: list[dict[str, Any]], fmt: str, columns: list[str]) -> None:
    records = [{k: _clean(r.get(k)) for k in columns} for r in records]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False, default=str))
    elif fmt == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows({k: neutralise_formula(v) for k, v in r.items()} for r in records)
    else:
        if not records:
            click.echo("(none)")
            return
        text = [[("" if r[c] is None else f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]))
                 for c in columns] for r in records]
        widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
        for t in text:
            click.echo("  ".join(v.ljust(w) for v, w in zip(t, widths)).rstrip())


@click.group("boundaries", cls=Group)
def boundaries_group() -> None:
    """Boundary layer sets: the embedded one and your own (stored in the user data dir,
    or $GEOVERIFY_DATA_DIR)."""


@boundaries_group.command("list")
@_fmt_opt()
@verbose_opt
@quiet_opt
def list_cmd(fmt, verbose, quiet):
    """List the boundary sets usable with --boundaries NAME."""
    from geoverify.boundaries import load_boundaries
    from geoverify.boundaries.layers import list_sets

    configure_logging(verbose, quiet)
    emb = load_boundaries()
    rows = [{"name": "embedded", "levels": "ADM0+ADM1", "units": len(emb.units),
             "licence": emb.provenance[0]["licence"], "source": "shipped with geoverify"}]
    for m in list_sets():
        layers = m["layers"]
        rows.append({"name": m["name"], "levels": "+".join(sorted(layers)),
                     "units": sum(int(v.get("features", 0)) for v in layers.values()),
                     "licence": "; ".join(str(v.get("licence") or "unspecified")
                                          for v in layers.values()),
                     "source": "; ".join(str(v.get("source")) for v in layers.values())})
    _emit(rows, fmt, ["name", "levels", "units", "licence", "source"])


@boundaries_group.command("info")
@click.argument("name")
@click.option("-f", "--format", "fmt", type=Choice(["table", "json"]), default="table",
              show_default=True, help="Output format on stdout.")
@verbose_opt
@quiet_opt
def info_cmd(name, fmt, verbose, quiet):
    """Provenance of a set: source, version, licence, attribution, sha256, stated accuracy."""
    from geoverify.boundaries import load_boundaries

    configure_logging(verbose, quiet)
    b = load_boundaries(name)
    info = {"name": b.name, "countries": int(len(b.countries)),
            "regions": int((b.units["level"] == "adm1").sum()), "accuracy_m": b.accuracy_m,
            "layers": b.provenance}
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    click.echo(f"set: {b.name}  ({info['countries']} countries, {info['regions']} regions)")
    click.echo("stated accuracy (m): " + ", ".join(f"{k} {v:g}" for k, v in b.accuracy_m.items()))
    for p in b.provenance:
        click.echo(f"\n[{p['name']}] level {p['level']}")
        for k in ("source", "version", "licence", "attribution", "sha256"):
            click.echo(f"  {k}: {p[k]}")
        if p["accuracy_m"]:
            click.echo("  accuracy_m: " + ", ".join(f"{k} {v:g}" for k, v in p["accuracy_m"].items()))


@boundaries_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True, help="Name of the set (used as --boundaries NAME).")
@click.option("--level", required=True, type=Choice(["ADM0", "ADM1"]),
              help="What the layer's polygons are: ADM0 (countries) or ADM1 (regions: "
                   "oblasts, provinces, states). A set has at most one layer of each.")
@click.option("--code-field", default=None, help="Field holding each feature's code.")
@click.option("--name-field", default=None, help="Field holding each feature's name.")
@click.option("--country-field", default=None, help="ADM1: field holding the country code.")
@click.option("--layer", default=None, help="Layer inside a GeoPackage or TopoJSON object.")
@click.option("--accuracy-m", type=float, default=None,
              help="Stated positional accuracy of the layer's lines, metres.")
@click.option("--licence", default=None, help="Licence of the data (e.g. CC-BY-4.0).")
@click.option("--attribution", default=None, help="Attribution the licence requires.")
@click.option("--source", default=None, help="Where the file came from (URL or citation).")
@click.option("--version", "version", default=None, help="Version or date of the data.")
@verbose_opt
@quiet_opt
def add_cmd(path, name, level, code_field, name_field, country_field, layer, accuracy_m,
            licence, attribution, source, version, verbose, quiet):
    """Add (or replace) the ADM0 or ADM1 layer of a user set from PATH (GeoJSON, TopoJSON,
    GeoPackage, Shapefile or zipped Shapefile, FlatGeobuf, GeoParquet; any CRS)."""
    from geoverify.boundaries.layers import add_layer, set_dir

    configure_logging(verbose, quiet)
    set_current_file(path)
    m = add_layer(path, name=name, level=level.upper(), code_field=code_field,
                  name_field=name_field, country_field=country_field, accuracy_m=accuracy_m,
                  licence=licence, attribution=attribution, source=source, version=version,
                  layer=layer)
    e = m["layers"][level.upper()]
    for r in e.get("repaired", []):
        click.echo(f"geoverify: warning: repaired invalid geometry of {r['feature']}: "
                   f"{r['reason']}", err=True)
    click.echo(f"added {level.upper()} layer to set {name!r}: {e['features']} features, "
               f"sha256 {e['sha256']}, stored in {set_dir(name)}", err=True)


@boundaries_group.command("remove")
@click.argument("name")
def remove_cmd(name):
    """Delete a user set."""
    from geoverify.boundaries.layers import remove_set

    d = remove_set(name)
    click.echo(f"removed set {name!r} ({d})", err=True)


@boundaries_group.command("check")
@click.argument("name")
@_fmt_opt()
@verbose_opt
@quiet_opt
def check_cmd(name, fmt, verbose, quiet):
    """Quality of a user set: gaps, overlaps, regions outside their country, invalid shapes,
    with the area involved (km², equal-area). Exit 1 when there is any issue."""
    from geoverify.boundaries.layers import check_set
    from geoverify.boundaries.quality import ISSUE_COLUMNS

    configure_logging(verbose, quiet)
    issues = check_set(name)
    _emit(issues.to_dict("records"), fmt, ISSUE_COLUMNS)
    if len(issues):
        click.echo(f"{len(issues)} issue(s) in {name!r}", err=True)
        sys.exit(1)


def _read_points(claims):
    from geoverify.api import read_claims

    return read_claims(claims)


@boundaries_group.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--claims", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Claims file whose frames are located in both sets.")
@_fmt_opt()
@verbose_opt
@quiet_opt
def diff_cmd(a, b, claims, fmt, verbose, quiet):
    """Frames whose country or region differs between sets A and B, with distances."""
    from geoverify.boundaries import load_boundaries
    from geoverify.core.diff import DIFF_COLUMNS, diff_sets

    configure_logging(verbose, quiet)
    set_current_file(claims)
    pts = _read_points(claims)
    d = diff_sets(load_boundaries(a), load_boundaries(b), pts["lon"].astype(float),
                  pts["lat"].astype(float), rows=pts["row"].to_numpy())
    _emit(d.to_dict("records"), fmt, DIFF_COLUMNS)
    click.echo(f"{len(d)} of {len(pts)} frame(s) differ between {a} and {b}", err=True)


@boundaries_group.command("control")
@click.argument("layer", type=click.Path(exists=True, dir_okay=False))
@click.option("--claims", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Claims file whose frames (with their date column) are looked up in the "
                   "control LAYER.")
@_fmt_opt()
@verbose_opt
@quiet_opt
def control_cmd(layer, claims, fmt, verbose, quiet):
    """Who controlled each frame's location on the frame's own date, from a dated control
    LAYER (polygons with party, valid_from, valid_to)."""
    from geoverify.boundaries.control import control_report
    from geoverify.io.boundaries import read_vector

    configure_logging(verbose, quiet)
    set_current_file(layer)
    control = read_vector(layer)
    set_current_file(claims)
    rows = control_report(control, _read_points(claims))
    _emit(rows, fmt, ["row", "date", "lon", "lat", "controlled_by"])


@boundaries_group.command("worldviews")
@click.argument("name", default="embedded")
def worldviews_cmd(name):
    """Worldviews a set allows (use as --boundaries NAME@WORLDVIEW)."""
    from geoverify.boundaries import load_boundaries
    from geoverify.boundaries.control import worldview_names

    for w in worldview_names(load_boundaries(name).disputed):
        click.echo(w)


@boundaries_group.command("fetch")
@click.argument("source")
@click.argument("country")
@click.argument("level", type=Choice(["ADM0", "ADM1"]))
@click.option("--name", default=None, help="Set name (default SOURCE-COUNTRY).")
@click.option("--sha256", "sha256", default=None, help="Expected sha256 of the download.")
@click.option("--base-url", default=None, help="Override the source's base URL (mirrors).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=MAX_FETCH_BYTES,
              show_default=True,
              help="Refuse a download larger than this many bytes (checked against the "
                   "announced Content-Length before downloading, and while downloading).")
@verbose_opt
@quiet_opt
def fetch_cmd(source, country, level, name, sha256, base_url, max_bytes, verbose, quiet):
    """Download a layer (SOURCE: geoboundaries, gadm, ocha-cod-ab) and add it as a user set."""
    from geoverify.boundaries.fetch import fetch_layer

    configure_logging(verbose, quiet)
    m = fetch_layer(source, country, level.upper(), name=name, sha256=sha256, base_url=base_url,
                    progress=lambda msg: click.echo(msg, err=True, nl=False),
                    max_bytes=max_bytes)
    e = m["layers"][level.upper()]
    click.echo(f"\ninstalled {m['name']}:{level.upper()} ({e['features']} features, "
               f"sha256 {e['sha256']}); licence: {e['licence']}", err=True)
    if e.get("notice"):
        click.echo(f"geoverify: notice: {e['notice']}", err=True)
