"""Provisioning lists, libraries and columns: idempotent, paged, never changing what exists."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from notesmig.sample.corpus import SampleFile
from tests.migration import (
    SITE,
    assert_exactly_once,
    emulator_for,
    mappings_for,
    migrate,
)


def test_an_existing_column_of_another_type_is_a_clear_error(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    from notesmig.errors import TerminalError
    from notesmig.sharepoint.provision import ProvisioningError

    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        client = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = client.get(SITE).json()["id"]
        # The customer already has a 出張申請 list whose Amount column holds text.
        made = client.post(f"/sites/{site}/lists", json={
            "displayName": "出張申請", "list": {"template": "genericList"},
            "columns": [{"name": "Amount", "text": {}}]})  # fmt: skip
        assert made.status_code == 201
        with pytest.raises(ProvisioningError) as caught:
            migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                    db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}", ru_per_minute=0)  # fmt: skip
        assert isinstance(caught.value, TerminalError)
        assert (
            "column 'Amount' of '出張申請' is text in SharePoint; the mapping needs number"
            in str(caught.value)
        )
        columns = client.get(f"/sites/{site}/lists/{made.json()['id']}/columns").json()["value"]
        assert (
            next(c for c in columns if c["name"] == "Amount")["text"] is not None
        )  # left as it was


def test_lists_and_columns_are_read_page_by_page(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    # SharePoint pages collections; the existing lists must be found past the first page, or a
    # second run tries to create them again.
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    drop = sample_corpus[0].path.parent
    with emulator_for(
        tmp_path, sample_corpus, "--ru-per-minute", "0", "--page-size", "2"
    ) as emulator:
        migrate(
            [drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url
        )
        http = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = http.get(SITE).json()["id"]
        first_page = http.get(f"/sites/{site}/lists").json()
        assert len(first_page["value"]) == 2 and "@odata.nextLink" in first_page
        again = migrate([drop], mappings, tmp_path / "work", graph_url=emulator.graph_url,
                        db_url=ledger_url)  # fmt: skip
        assert again.load.writes == 0
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
