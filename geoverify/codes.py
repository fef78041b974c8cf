"""The catalogue of finding codes: default severities, descriptions and the fix for each.

Codes are stable kebab-case slugs shared by ``check`` and ``validate`` and by every report
format (SARIF rules, JUnit test cases, Markdown). This module is data only, at the bottom of
the import graph, so readers, writers and the pipeline can all use it.
"""

from __future__ import annotations

#: Severities, weakest first.
SEVERITIES = ("info", "warning", "error")

#: Default severity of every finding code geoverify emits. Codes are stable kebab-case slugs;
#: ``validate`` configuration may override the severity.
CODES: dict[str, str] = {
    # coordinates (verdict ``unlocated``)
    "missing-coordinates": "error",
    "unparseable-coordinates": "error",
    "out-of-range": "error",
    "null-island": "error",
    # coordinate notation warnings
    "possibly-swapped": "warning",
    "latlon-swapped": "error",
    "equal-coordinates": "warning",
    "viewport-only": "info",
    "short-plus-code": "info",
    "ambiguous-utm-hemisphere": "warning",
    "low-precision": "warning",
    # claims (verdict ``unresolved``)
    "unknown-claim": "error",
    "claim-contradiction": "warning",
    "multiple-units": "info",
    # verdicts
    "claim-mismatch": "error",
    "near-border": "warning",
    "outside-boundaries": "warning",
    "disputed-area": "info",
    "on-border": "info",
    "near-coast": "info",
    "city-in-region": "info",
    # other fields
    "invalid-precision": "warning",
    "invalid-role": "warning",
    "invalid-date": "error",
    "missing-source": "warning",
    "invalid-url": "error",
    "duplicate-row": "warning",
    "conflicting-location": "error",
    # what the reader had to do to keep a row
    "ragged-row": "warning",
    "cell-too-long": "warning",
    "duplicate-column": "error",
}



#: Codes ``validate`` adds on top of :data:`geoverify.core.findings.CODES`, with their default
#: severity. Kept here (not in ``CODES``) because ``check`` never emits them.
VALIDATE_CODES: dict[str, str] = {
    "verdict-changed": "info",
    "latlon-swapped-file": "error",
}

#: Every code ``validate`` can report -> default severity.
ALL_CODES: dict[str, str] = {**CODES, **VALIDATE_CODES}

#: Severities, weakest first; ``off`` in the configuration drops a code entirely.
LEVELS = ("info", "warning", "error")
RANK = {"info": 0, "warning": 1, "error": 2}


#: Order in which codes are listed (per file: one JUnit test case each).
CHECK_ORDER = (
    "missing-coordinates", "unparseable-coordinates", "out-of-range", "null-island",
    "latlon-swapped", "possibly-swapped", "low-precision", "unknown-claim", "claim-contradiction",
    "multiple-units", "claim-mismatch", "near-border", "outside-boundaries", "disputed-area",
    "on-border", "duplicate-row", "conflicting-location", "invalid-date", "missing-source",
    "invalid-url", "invalid-precision", "invalid-role", "viewport-only", "short-plus-code",
    "ambiguous-utm-hemisphere", "ragged-row", "duplicate-column", "cell-too-long",
    "verdict-changed",
)
CHECKS = CHECK_ORDER + tuple(sorted(set(ALL_CODES) - set(CHECK_ORDER)))

#: One line per code, for reports (SARIF rules, JUnit, Markdown) and the docs.
DESCRIPTIONS = {
    "missing-coordinates": "The row has no coordinates.",
    "unparseable-coordinates": "The coordinates cannot be read as a point.",
    "out-of-range": "A latitude beyond ±90° or a longitude beyond ±180°.",
    "null-island": "The point is at 0°N 0°E, the value tools write when they have no location.",
    "latlon-swapped-file": "Most rows of the file (or of a clip) contradict their claims but fit "
                           "them with latitude and longitude swapped: the columns are swapped.",
    "equal-coordinates": "Latitude and longitude have the same value: one was probably copied "
                         "into the other.",
    "latlon-swapped": "Latitude and longitude are swapped: the swapped point fits the claim or "
                      "the rest of the file, the point as written does not.",
    "possibly-swapped": "Coordinate text read as longitude, latitude because the first number "
                        "cannot be a latitude.",
    "low-precision": "Coordinates rounded to whole or one-decimal degrees where the rest of the "
                     "file is precise.",
    "unknown-claim": "The claim names no known country or region.",
    "claim-contradiction": "The claim names a region that is not in the country it names.",
    "multiple-units": "The claim names several places; the row is judged against each.",
    "claim-mismatch": "The point is outside the claimed country or region, beyond the border "
                      "data's accuracy.",
    "near-border": "The point is too close to a border to tell whether it is in the claimed "
                   "place (verdict ambiguous).",
    "outside-boundaries": "The point is in no country's land area (at sea or off the map).",
    "disputed-area": "The point is in a disputed area and the claim names the other claimant.",
    "on-border": "The point lies exactly on a border and is assigned to neither side.",
    "city-in-region": "The point is in a city with special status that the claimed region "
                      "encloses (Kyiv in Kyiv Oblast), counted as that region because "
                      "`cities_in_regions` is on.",
    "near-coast": "The point is just off the simplified coastline, within its accuracy, and is "
                  "taken as on the nearest land.",
    "duplicate-row": "The same row appears twice.",
    "conflicting-location": "The same frame of the same source is placed at points farther "
                            "apart than their precision.",
    "invalid-date": "The date cannot be read, is in the future, or is before the dataset's "
                    "plausible range.",
    "missing-source": "No source link for the row (or no source column in the file).",
    "invalid-url": "The source is not an http(s) URL with a host.",
    "invalid-precision": "The precision column is not a non-negative number of metres.",
    "invalid-role": "The role is neither camera nor target.",
    "viewport-only": "A map link gives only the map's view, not a pinned point.",
    "short-plus-code": "A short plus code, read against its reference place.",
    "ambiguous-utm-hemisphere": "A UTM zone letter that may mean a hemisphere or a band.",
    "verdict-changed": "The row's verdict or region differs from the baseline or git ref.",
    "ragged-row": "The row has more or fewer fields than the header (extra values are kept in "
                  "extra columns, missing ones read as empty).",
    "cell-too-long": "A cell longer than geoverify keeps (1,048,576 characters) was cut.",
    "duplicate-column": "The header names the same column twice and the copies disagree on "
                        "this row; the first is used.",
}

#: What to do, appended to findings whose message from ``check`` does not say.
FIX = {
    "missing-coordinates": "fill in the coordinates or remove the row",
    "unparseable-coordinates": "write the coordinates as decimal degrees, e.g. 50.43005, 35.59057",
    "out-of-range": "check the values and their order (latitude is -90..90)",
    "unknown-claim": "fix the spelling, or use an ISO code such as UA-59 or RU-BEL",
    "claim-contradiction": "make the claim name one place",
    "possibly-swapped": "check the order of latitude and longitude",
    "equal-coordinates": "check the coordinates",
    "invalid-precision": "write the precision as a number of metres",
    "invalid-role": "use camera or target",
    "ragged-row": "quote values that contain the delimiter, or fix the row's field count",
    "duplicate-column": "remove or rename one of the columns",
}

