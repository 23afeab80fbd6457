"""Every text of the report in Japanese and English: each a template asks for exists, and every
outcome, link status, permission level and permission state the report shows has its words."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from notesmig.records import RoleName
from notesmig.report import data
from notesmig.report.labels import ACCESS_STATES, LABELS, ROLES

TEMPLATES = Path(data.__file__).parent / "templates"
#: Words that are the same in both languages.
SAME_IN_BOTH = {"sha256"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def asked_for() -> set[str]:
    """The label keys the report's templates name literally (``t("key")``)."""
    keys: set[str] = set()
    for template in TEMPLATES.glob("*.j2"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_-]+)["']\s*\)""", template.read_text("utf-8")))
    return keys


def test_every_label_a_template_asks_for_exists() -> None:
    keys = asked_for()
    assert len(keys) > 50  # the templates were read
    assert sorted(keys - set(LABELS)) == []


def test_the_labels_asked_for_by_a_computed_key_exist() -> None:
    # t(outcome) for every outcome, t("links_" + status), t(key) for the two reason tables.
    computed = {*data.OUTCOMES, "links_direct", "links_pending", "links_broken", "held",
                "left_out"}  # fmt: skip
    assert sorted(computed - set(LABELS)) == []


@pytest.mark.parametrize("table", [LABELS, ROLES, ACCESS_STATES])
def test_every_text_has_japanese_first_and_english_beside(
    table: dict[str, tuple[str, str]],
) -> None:
    for key, (ja, en) in table.items():
        if key == "language":  # the switch names the other language
            assert (ja, en) == ("English", "日本語")
            continue
        assert JAPANESE.search(ja) or key in SAME_IN_BOTH, key
        assert en.strip() and not JAPANESE.search(en), key


def test_every_permission_level_and_state_the_ledger_holds_is_named() -> None:
    assert set(ROLES) == set(typing.get_args(RoleName))
    assert ROLES["Read"] == ("閲覧", "Read") and ROLES["Full Control"][0] == "フル コントロール"
    assert set(ACCESS_STATES) == {"planned", "applied", "verified", "withdrawn"}
