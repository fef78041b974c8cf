"""The detectors on a seeded corpus (real towns, defects derived programmatically), and the
rules of each detector on small hand-made cases."""

from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict

import pytest
from gv_validate_corpus import KINDS, TODAY, build
from gv_validate_helpers import csv_text

from geoverify.validation import detectors
from geoverify.validation.validation import validate

CLEAN = ("clean", "clean-border-town", "clean-checkpoint")


@pytest.fixture(scope="module")
def corpus_result(tmp_path_factory):
    corpus = build()
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    path.write_text(csv_text(corpus.rows), encoding="utf-8")
    result = validate([path], today=TODAY)
    by_row = defaultdict(list)
    for f in result.findings:
        by_row[f.row].append(f)
    return corpus, result, by_row


def test_detectors__corpus_every_defect_found_no_error_on_clean_rows(corpus_result):
    corpus, result, by_row = corpus_result
    rows = Counter(corpus.kinds)
    found: Counter = Counter()
    clean_findings: Counter = Counter()
    false_positives = []
    for i, kind in enumerate(corpus.kinds, start=1):
        codes = {f.code for f in by_row[i]}
        if kind in CLEAN:
            for f in by_row[i]:
                clean_findings[(f.code, f.severity)] += 1
                if f.severity == "error":
                    false_positives.append((kind, corpus.rows[i - 1], f.code, f.message))
        elif KINDS[kind] in codes:
            found[kind] += 1
    clean_total = sum(rows[k] for k in CLEAN)
    print(f"\nclean rows: {clean_total} ("
          + ", ".join(f"{k} {rows[k]}" for k in CLEAN) + ")")
    print("findings on clean rows: " + (", ".join(
        f"{code} ({sev}) {n}" for (code, sev), n in sorted(clean_findings.items())) or "none"))
    print(f"false positives (error findings on clean rows): {len(false_positives)}")
    print(f"{'defect kind':16} {'code':26} {'rows':>5} {'found':>6}")
    for kind, code in KINDS.items():
        print(f"{kind:16} {code:26} {rows[kind]:>5} {found[kind]:>6}")
    print(f"total rows: {len(corpus.rows)}")

    assert clean_total >= 200
    assert all(rows[k] >= 50 for k in KINDS)
    assert false_positives == []
    assert {k: found[k] for k in KINDS} == {k: rows[k] for k in KINDS}
    # on clean rows only the border-crossing points may be flagged, and never above warning
    assert {code for code, _ in clean_findings} <= {"near-border", "on-border", "near-coast"}
    assert clean_findings[("near-border", "warning")] == rows["clean-checkpoint"]
    assert result.errors == []


def test_detectors__corpus_no_clean_row_is_taken_for_a_repeat_or_a_conflict(corpus_result):
    corpus, _, by_row = corpus_result
    dup = [i for i, k in enumerate(corpus.kinds, start=1)
           if any(f.code in ("duplicate-row", "conflicting-location") for f in by_row[i])]
    assert {corpus.kinds[i - 1] for i in dup} <= {"duplicated", "conflicting"}


# ---------------------------------------------------------------------------
# dates

MIN, MAX = _dt.date(1990, 1, 1), _dt.date(2025, 6, 2)


@pytest.mark.parametrize("text, expected", [
    ("2023-05-22", _dt.date(2023, 5, 22)),
    ("2023-05-22T10:15:00Z", _dt.date(2023, 5, 22)),
    ("2023-05-22 10:15", _dt.date(2023, 5, 22)),
    ("2023/05/22", _dt.date(2023, 5, 22)),
    ("22.05.2023", _dt.date(2023, 5, 22)),
    ("22.05.23", _dt.date(2023, 5, 22)),
    ("22/05/2023", _dt.date(2023, 5, 22)),
    ("05/22/2023", _dt.date(2023, 5, 22)),
    ("20230522", _dt.date(2023, 5, 22)),
    ("2023-05", _dt.date(2023, 5, 1)),
    ("2023", _dt.date(2023, 1, 1)),
    ("22 May 2023", _dt.date(2023, 5, 22)),
    ("May 22, 2023", _dt.date(2023, 5, 22)),
    ("22nd May 2023", _dt.date(2023, 5, 22)),
    ("Sept 2023", _dt.date(2023, 9, 1)),
])
def test_parse_date__readable_dates(text, expected):
    assert detectors.parse_date(text) == expected
    assert detectors.date_problem(text, MIN, MAX) is None


@pytest.mark.parametrize("text, words", [
    ("1527", "before 1990-01-01"),
    ("1660443452719468545", "tweet id"),
    ("2031-01-01", "future"),
    ("2023-13-45", "not a date"),
    ("31.02.2023", "not a date"),
    ("yesterday", "not a date"),
    ("45123", "a number"),
    ("0000-00-00", "not a date"),
])
def test_date_problem__unreadable_future_and_ancient_dates(text, words):
    assert words in detectors.date_problem(text, MIN, MAX)


# ---------------------------------------------------------------------------
# URLs


@pytest.mark.parametrize("text", [
    "https://example.org/v/1", "http://t.me/channel/123", "https://x.com/a/status/1?s=20#frag",
    "https://пример.рф/видео", "https://example.org/a https://example.org/b",
    "http://[2001:db8::1]/v", "https://example.org:8443/v", "https://my_blog.example.org/p",
])
def test_url_problem__http_links_with_a_host_pass(text):
    assert detectors.url_problem(text) is None


@pytest.mark.parametrize("text, words", [
    ("javascript:alert(1)", "javascript: scheme"),
    ("JaVaScRiPt:alert(1)", "javascript: scheme"),
    ("data:text/html,<script>", "data: scheme"),
    ("ftp://example.org/x", "ftp: scheme"),
    ("file:///etc/passwd", "file: scheme"),
    ("http://", "no host"),
    ("https:///path", "no host"),
    ("example.org/video", "not a link"),
    ("www.example.org/video", "not a link"),
    ("https://-bad-.example/x", "invalid host"),
    ("https://example..org/x", "invalid host"),
    ("https://exa mple.org/x", "not a link"),
    ("http://[::1/video", "not a valid URL"),
    ("https://example.org:99999/x", "not a valid URL"),
    ("https://example.org/a javascript:alert(1)", "javascript: scheme"),
])
def test_url_problem__other_schemes_and_hostless_links_fail(text, words):
    assert words in detectors.url_problem(text)


def test_url_problem__plain_citations_pass_only_when_urls_are_not_required():
    assert detectors.url_problem("Atlas News SITREP", require_url=False) is None
    assert "not a link" in detectors.url_problem("Atlas News SITREP", require_url=True)
    assert "javascript" in detectors.url_problem("javascript:x", require_url=False)


# ---------------------------------------------------------------------------
# precision, repeats, conflicts


@pytest.mark.parametrize("lat, lon, expected", [
    ("50.43005", "35.59057", 5), ("50", "35", 0), ("50.4", "35.59057", 1),
    ("50,43005", "35,5", 1), ("50.430050", "35.590570", 6),
])
def test_coordinate_decimals__fewest_decimals_of_the_pair(lat, lon, expected):
    assert detectors.coordinate_decimals(lat, lon, None, "decimal") == expected


def test_coordinate_decimals__from_text_and_geometry_and_not_from_dms():
    assert detectors.coordinate_decimals(None, None, "50.43, 35.5", "decimal") == 1
    assert detectors.coordinate_decimals(
        None, None, '{"coordinates": [35.59057, 50.4], "type": "Point"}', "geojson") == 1
    assert detectors.coordinate_decimals(None, None, "50°25'48\"N 35°35'26\"E", "dms") is None


def test_low_precision_rows__only_where_the_other_rows_are_precise():
    assert detectors.low_precision_rows([5, 5, 6, 5, 1, 0], 1, 3) == [4, 5]
    assert detectors.low_precision_rows([1, 1, 0, 1, 5], 1, 3) == []   # the file is coarse
    assert detectors.low_precision_rows([5, 5, 1], 1, 3) == []         # too few others
    assert detectors.low_precision_rows([5, None, 5, 5, 1], 1, 3) == [4]


def test_duplicate_rows__later_copies_point_at_the_first():
    assert detectors.duplicate_rows(["a", "b", "a", "c", "a"]) == {2: 0, 4: 0}


def test_conflicting_rows__one_frame_in_two_places_but_six_frames_of_one_clip_are_fine():
    groups = [("s", "f1"), ("s", "f2"), ("s", "f3"), ("s", "f1"), ("s", "f2"), None]
    lon = [30.0, 31.0, 32.0, 30.0005, 31.5, 30.0]
    lat = [50.0, 50.0, 50.0, 50.0, 50.0, 50.0]
    prec = [1.0] * 6
    out = detectors.conflicting_rows(groups, lon, lat, prec, tolerance_m=100.0)
    # row 3 (f1) is 36 m from row 0: within tolerance; row 4 (f2) is 36 km from row 1
    assert [(a, b) for a, b, *_ in out] == [(4, 1)]
    # a coarse precision widens what counts as the same place
    out = detectors.conflicting_rows(groups, lon, lat, [1.0, 40_000.0, 1, 1, 1, 1], 100.0)
    assert out == []
