"""SharePoint's name rules: the regular expression a validation suite checks says exactly what
the rules say."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from notesmig.spfacts.names import REFUSED_NAME_PATTERN, decoded_path, invalid_name_reason

REFUSED = re.compile(REFUSED_NAME_PATTERN)
PIECES = st.sampled_from(["a", "出張", " ", ".", "CON", "lpt1", "~$", "_vti_", ":", "|", "\x07",
                          "desktop.ini", ".lock", "報告書.pdf", "x y", "Forms"])  # fmt: skip


@given(st.lists(PIECES, max_size=4).map("".join) | st.text(max_size=12))
def test_the_pattern_refuses_what_the_rules_refuse(name: str) -> None:
    assert bool(REFUSED.search(name)) == (invalid_name_reason(name) is not None), repr(name)


def test_known_names() -> None:
    for refused in ("CON", "con.txt", "a:b", "trailing.", " lead", "~$x.docx", "desktop.ini"):
        assert REFUSED.search(refused), refused
    for accepted in ("報告書.pdf", "a b.txt", "con2.txt", "Forms"):
        assert not REFUSED.search(accepted), accepted


def test_the_decoded_path_is_what_sharepoint_counts() -> None:
    assert decoded_path("/sites/notes-migration", "文書", "ABC", "a.pdf") == (
        "sites/notes-migration/文書/ABC/a.pdf"
    )
