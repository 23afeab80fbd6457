"""The extract stage's sanitizer: nh3 on another thread, the same HTML as inline."""

from __future__ import annotations

from pathlib import Path

from notesmig.dxl.model import NotesDocument
from notesmig.dxl.richtext import sanitize_html
from notesmig.dxl.sanitizing import BackgroundSanitizer

FRAGMENTS = [
    "<p>出張申請 <b>承認</b></p>",
    '<img src="https://tracker.example/x.gif" onerror="alert(1)">',
    '<script>alert(1)</script><a href="javascript:alert(1)">x</a>',
    "<p>1 &lt; 2 &amp; 0 in text</p>",
]


def test_tokens_resolve_to_what_inline_sanitizing_gives() -> None:
    document = NotesDocument(unid="A" * 32, noteid=None, form="Trip", parent_unid=None,
                             source=Path("x.dxl"), line=1)  # fmt: skip
    with BackgroundSanitizer() as sanitize:
        # Two items, one of them built from three fragments (rich text and MIME parts).
        document.html["Body"] = sanitize(FRAGMENTS[0]) + sanitize(FRAGMENTS[1])
        document.html["Body"] += sanitize(FRAGMENTS[2])
        document.html["Notes"] = sanitize(FRAGMENTS[3])
        assert "\x00" in document.html["Body"]  # not sanitized yet: a token
        sanitize.finish(document)
    assert document.html == {
        "Body": "".join(sanitize_html(f) for f in FRAGMENTS[:3]),
        "Notes": sanitize_html(FRAGMENTS[3]),
    }
    assert "onerror" not in document.html["Body"] and "<script" not in document.html["Body"]


def test_what_nh3_cannot_take_is_refused_on_the_readers_thread() -> None:
    import pytest

    with BackgroundSanitizer() as sanitize, pytest.raises(UnicodeEncodeError):
        # A lone surrogate (a MIME part decoded as UTF-7): the reader records it on its item.
        sanitize("<p>\ud800</p>")
