"""The block reader against Python's csv module on the whole text: records with quotes are
parsed a block's worth at a time (by Arrow with quoting where it reads them as csv does, else
one csv reader over the lines the block still wants), plain lines by Arrow; whatever the block
size and however the text arrives, the cells are csv's and every ragged row's note names its
own line."""

from __future__ import annotations

import csv
import random
import re

import pytest

from geoverify.io.delimited import stream_delimited


def _text(seed: int, line_end: str) -> str:
    rng = random.Random(seed)
    lines = ["id,lat,lon,claimed,note"]
    for i in range(400):
        q = rng.random()
        note = (f'"with, comma {i}"' if q < 0.2 else f'"two{line_end}lines {i}"' if q < 0.3
                else '"a ""quoted"" word"' if q < 0.35 else f"plain {i}")
        lines.append(f"{i},{50 + rng.random():.4f},{36 + rng.random():.4f},Sumy oblast,{note}")
        r = rng.random()
        if r < 0.03:
            lines.append("")
        elif r < 0.05:
            lines.append(f"x{i},1,2,extra,fields,here")  # ragged: too many
        elif r < 0.06:
            lines.append(f"y{i},1")  # ragged: too few
    return line_end.join(lines) + line_end


def _physical_lines(text: str) -> list[str]:
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
@pytest.mark.parametrize("block_rows", [1, 64, 100_000])
@pytest.mark.parametrize("piece", [7, None])
def test_blocks_equal_csv_on_the_whole_text(line_end, block_rows, piece):
    text = _text(block_rows, line_end)
    want = [r for r in csv.reader(_physical_lines(text)) if r][1:]
    chunks = [text] if piece is None else [text[i:i + piece] for i in range(0, len(text), piece)]
    got, notes, offset = [], {}, 0
    for raw in stream_delimited(iter(chunks), "t.csv", fmt="csv", block_rows=block_rows):
        cols = raw.data.to_dict("list")
        n = len(raw.data)
        for k, msgs in raw.row_notes.items():
            notes[offset + k] = msgs
        got += [[cols[c][i] for c in cols] for i in range(n)]
        offset += n
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == (w + [""] * 5)[:5]
    # every ragged row's note gives the physical line it starts on
    lines = _physical_lines(text)
    ragged = [i for i, w in enumerate(want) if len(w) != 5]
    assert ragged and sorted(notes) == ragged
    for i in ragged:
        m = re.search(r"\(line (\d+)\)", str(notes[i]))
        assert m, notes[i]
        assert lines[int(m.group(1)) - 1].startswith(want[i][0] + ",")
