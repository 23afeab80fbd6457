"""Every text of the Migration view in Japanese and English: each the page asks for exists, and
every count of a database's progress has its words."""

from __future__ import annotations

import re
from pathlib import Path

from notesmig import ui
from notesmig.ui.labels import LABELS
from notesmig.ui.progress import DatabaseProgress

TEMPLATE = Path(ui.__file__).parent / "templates" / "progress.html.j2"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def test_every_label_the_page_asks_for_exists() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    keys = set(re.findall(r"""\bt\(\s*["']([a-z_-]+)["']\s*\)""", text))
    assert len(keys) > 40  # the page was read
    assert sorted(keys - set(LABELS)) == []
    # Nothing asks for a label by a computed key: every t(...) is one of those read above.
    assert len(re.findall(r"\bt\(", text)) == len(re.findall(r"""\bt\(\s*["'][a-z_-]+["']""", text))


def test_every_count_of_a_databases_progress_has_its_words() -> None:
    counts = {"documents", "verified", "loaded", "held", "excluded", "deleted", "waiting",
              "failed", "files", "files_done", "done"}  # fmt: skip
    assert counts <= set(DatabaseProgress.model_fields) | {"done"}
    assert sorted(counts - set(LABELS)) == []


def test_every_text_has_japanese_first_and_english_beside() -> None:
    for key, (ja, en) in LABELS.items():
        if key == "language":  # the switch names the other language
            assert (ja, en) == ("English", "日本語")
            continue
        assert JAPANESE.search(ja) or (ja, en) == ("MB", "MB"), key
        assert en.strip() and not JAPANESE.search(en), key
