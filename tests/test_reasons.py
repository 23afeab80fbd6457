"""Every recorded reason reads in Japanese first, with the English the ledger keeps."""

from __future__ import annotations

import re

import pytest

from notesmig import reasons


def test_a_reason_with_a_value_reads_back_in_japanese() -> None:
    recorded = reasons.FORM_NOT_MAPPED(form="'出張'")
    assert recorded == "form '出張' is not mapped"
    assert (
        reasons.bilingual(recorded)
        == "フォーム '出張' がマッピングにない / form '出張' is not mapped"
    )
    refused = reasons.ITEM_REFUSED(answer="400 invalidRequest")
    assert reasons.japanese(refused) == "SharePoint がアイテムを拒否：400 invalidRequest"


def test_every_catalogued_reason_has_its_own_japanese() -> None:
    japanese = [r.ja for r in reasons.CATALOG]
    assert len(set(japanese)) == len(japanese) >= 20
    for reason in reasons.CATALOG:
        text = reason(**{name: "x" for name in re.findall(r"\{(\w+)\}", reason.en)})
        assert reasons.japanese(text) is not None, reason.en


def test_an_uncatalogued_text_stays_as_recorded() -> None:
    assert reasons.bilingual("something older") == "something older"
    assert not reasons.is_access("value does not fit its column")
    assert reasons.is_access(str(reasons.READER_NO_ACCOUNT))


def test_a_reason_whose_japanese_drops_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="same values"):
        reasons.Reason("form {form} is odd", "フォームが変")
