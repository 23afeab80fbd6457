"""What the console script draws: the progress bar while DXL files are read, status as JSON."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from rich.console import Console

from notesmig.cli import render
from notesmig.dxl.source_process import can_fork


def test_the_reading_bar_draws_without_a_thread_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process with a second thread may not fork, and a large export is read by a forked child
    # (notesmig.dxl.source_process): the bar a terminal shows must not start rich's refresher.
    screen = io.StringIO()
    monkeypatch.setattr(render, "errors", Console(file=screen, force_terminal=True, width=100))
    monkeypatch.setattr(render, "_REDRAW_SECONDS", 0.0)
    export = tmp_path / "a.dxl"
    export.write_bytes(b"x" * (render.PROGRESS_THRESHOLD + 1))
    before = threading.active_count()
    with render.reading_progress([export], True) as advance:
        assert advance is not None
        assert threading.active_count() == before
        assert can_fork() == (before == 1)
        advance(render.PROGRESS_THRESHOLD // 2)
    assert "DXL 読み込み / reading DXL" in screen.getvalue()


def test_status_as_json_keeps_every_count_and_reason() -> None:
    import json

    from notesmig.ledger.values import DatabaseStatus

    found = [DatabaseStatus("C12575C3002B6B52", "掲示板", {"loaded": 3, "quarantined": 1}, 1, 0, 2,
                            reasons={"restricted": 1}, unknown_people=1, restricted_loaded=2,
                            unique_scopes=4)]  # fmt: skip
    shown = render.status_json(found)
    assert "掲示板" in shown  # Japanese as it is, not escaped
    assert json.loads(shown) == [{
        "replica_id": "C12575C3002B6B52", "title": "掲示板", "documents": 4,
        "states": {"loaded": 3, "quarantined": 1}, "quarantined": 1,
        "held_back": {"restricted": 1}, "errors": 0, "update_pending": 2, "unknown_people": 1,
        "restricted_loaded": 2, "unique_scopes": 4,
    }]  # fmt: skip
    assert render.status_json([]) == "[]"
