"""SharePoint's documented limits, and the loader and transform keeping within them."""

from __future__ import annotations

from datetime import UTC, timedelta

from notesmig.sharepoint import files
from notesmig.spfacts.limits import (
    EARLIEST_DATETIME,
    FRAGMENT_UNIT,
    LATEST_DATETIME,
    MAX_FRAGMENT,
    MAX_INTERNAL_NAME,
    MAX_NAME_LENGTH,
    MAX_UTC_OFFSET_MINUTES,
    OFFICE_PROMOTED,
    REWRITTEN_ON_UPLOAD,
    UNIQUE_SCOPES_RECOMMENDED,
    UNIQUE_SCOPES_SUPPORTED,
)
from notesmig.spfacts.names import encode_internal_name, safe_file_name


def test_the_loaders_upload_fragments_are_whole_units_under_the_cap() -> None:
    assert FRAGMENT_UNIT == 320 * 1024 and MAX_FRAGMENT == 60 * 1024 * 1024
    assert files.FRAGMENT % FRAGMENT_UNIT == 0 and files.FRAGMENT < MAX_FRAGMENT


def test_the_date_time_range_is_in_utc_and_in_order() -> None:
    assert EARLIEST_DATETIME.tzinfo is UTC and LATEST_DATETIME.tzinfo is UTC
    assert (EARLIEST_DATETIME.year, LATEST_DATETIME.year) == (1900, 8900)
    assert EARLIEST_DATETIME < LATEST_DATETIME
    assert timedelta(minutes=MAX_UTC_OFFSET_MINUTES) == timedelta(hours=14)


def test_rewritten_extensions_are_compared_as_lower_case_suffixes() -> None:
    for extension in REWRITTEN_ON_UPLOAD:
        assert extension.startswith(".") and extension == extension.lower()
    assert OFFICE_PROMOTED < REWRITTEN_ON_UPLOAD
    pictures = REWRITTEN_ON_UPLOAD - OFFICE_PROMOTED
    assert pictures == {".jpg", ".jpeg"}
    assert {".docx", ".xlsx", ".pptx"} <= OFFICE_PROMOTED and ".pdf" not in REWRITTEN_ON_UPLOAD


def test_names_are_cut_to_sharepoints_lengths() -> None:
    assert len(encode_internal_name("出張先の詳細な説明")) == MAX_INTERNAL_NAME
    assert len(encode_internal_name("A" * 100)) == MAX_INTERNAL_NAME
    # The transform's own cut leaves room under SharePoint's for a " (2)" beside a taken name.
    assert len(safe_file_name("x" * 400 + ".pdf") + " (2)") <= MAX_NAME_LENGTH


def test_the_recommended_unique_scopes_are_within_the_supported() -> None:
    assert UNIQUE_SCOPES_RECOMMENDED < UNIQUE_SCOPES_SUPPORTED == 50_000
