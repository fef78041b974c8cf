"""A report written in pieces, with its clips taken from an iterator, is the same text as
the report written at once."""

from __future__ import annotations

import pytest

from geoverify.io.writers import json_chunks, to_json


@pytest.mark.parametrize("clips", [
    [],
    [{"clip": "a", "by_role": {}, "rows": 1}],
    [{"clip": None, "nested": {"x": [1, {"y": "ü\n\t\"q\""}]}}, {"clip": "b", "s": ""}],
])
def test_json_chunks_match_to_json(clips):
    report = {
        "geoverify_version": "x",
        # text that looks like the key being filled in must not confuse it
        "input": {"path": 'odd "clips": [] name', "rows": 3},
        "clips": clips,
        "output": {"path": "o.csv", "rows": []},
    }
    whole = to_json(report)
    pieces = "".join(json_chunks({**report, "clips": iter(clips)}, "clips"))
    assert pieces == whole
