"""build_map shortens the interpreter's switch interval only while it packs and cuts side by
side, and puts it back, also when the cutting fails."""

from __future__ import annotations

import sys

import pytest

from geoverify.render import _cutting, _map


def _report():
    return {"frames": [{"row": 1, "lat": 50.6, "lon": 36.6, "verdict": "match"}], "clips": []}


def test_switch_interval_is_short_while_cutting_and_restored(monkeypatch) -> None:
    before = sys.getswitchinterval()
    seen = []
    real = _cutting.display_layers

    def spy(*args, **kwargs):
        seen.append(sys.getswitchinterval())
        return real(*args, **kwargs)

    monkeypatch.setattr(_cutting, "display_layers", spy)
    _map.build_map(_report())
    assert seen == [pytest.approx(_cutting.GIL_SWITCH_S)]
    assert sys.getswitchinterval() == pytest.approx(before)


def test_switch_interval_restored_when_cutting_fails(monkeypatch) -> None:
    before = sys.getswitchinterval()

    def broken(*args, **kwargs):
        raise RuntimeError("cutting failed")

    monkeypatch.setattr(_cutting, "display_layers", broken)
    with pytest.raises(RuntimeError, match="cutting failed"):
        _map.build_map(_report())
    assert sys.getswitchinterval() == pytest.approx(before)


def test_cutting_started_early_is_closed_when_packing_fails(monkeypatch) -> None:
    """geoverify.build_map starts cutting the layers before it gathers the frame columns; an
    error there still waits for the cutting thread and restores the switch interval."""
    import threading

    from geoverify import api

    result = api.check(api.example_claims())
    before = sys.getswitchinterval()
    threads = threading.active_count()

    def broken(*args, **kwargs):
        assert sys.getswitchinterval() == pytest.approx(_cutting.GIL_SWITCH_S)
        raise RuntimeError("packing failed")

    monkeypatch.setattr(api, "record_columns", broken)
    with pytest.raises(RuntimeError, match="packing failed"):
        api.build_map(result)
    assert sys.getswitchinterval() == pytest.approx(before)
    assert threading.active_count() == threads
