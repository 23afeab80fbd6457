"""The settings every stage runs with: checked when made, the ledger's password never shown,
the tenant's budget split between the loads, and the mappings they load."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from notesmig.links.urls import RedirectorUrlError
from notesmig.mapping import MappingError
from notesmig.pipeline.settings import SettingsError, StageSettings, mask_url

REPLICA = "B82634FA404574D2"
SECRET = "s3cr3t-pass"
MAPPING = f"""\
version: 1
database:
  replica_id: {REPLICA.lower()}
target:
  site: contoso.sharepoint.com:/sites/notes-migration
forms:
  Memo:
    list: メモ
    items: {{}}
"""


def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "memo.yaml").write_text(textwrap.dedent(MAPPING), encoding="utf-8")
    return folder


def settings(tmp_path: Path, **values: Any) -> StageSettings:
    return StageSettings(
        work=tmp_path / "work", mappings=tmp_path / "mappings", ledger_url="sqlite://", **values
    )


def test_the_work_folder_is_absolute_and_the_redirector_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    made = StageSettings(
        work=Path("work"),
        mappings=Path("mappings"),
        ledger_url="sqlite://",
        redirector="https://links.example/notes-links/",
    )
    assert made.work == tmp_path / "work" and made.work.is_absolute()
    assert made.redirector == "https://links.example/notes-links"
    with pytest.raises(RedirectorUrlError):
        settings(tmp_path, redirector="links.example/notes-links")


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"ru_per_minute": -1}, "ru_per_minute must be 0"),
        ({"concurrent_loads": 0}, "concurrent_loads must be at least 1"),
        ({"site": "contoso.sharepoint.com/sites/x"}, "is not host:/sites/NAME"),
        ({"window_seconds": 0.0}, "window_seconds must be positive"),
    ],
)
def test_settings_that_describe_no_working_migration_are_refused(
    tmp_path: Path, values: dict[str, object], says: str
) -> None:
    with pytest.raises(SettingsError, match=says):
        settings(tmp_path, **values)


def test_each_load_takes_an_equal_share_of_the_tenants_budget(tmp_path: Path) -> None:
    assert settings(tmp_path, ru_per_minute=2_400, concurrent_loads=3).load_budget == 800
    assert settings(tmp_path, ru_per_minute=2_400).load_budget == 2_400
    assert settings(tmp_path, ru_per_minute=0, concurrent_loads=4).load_budget == 0  # no pacing


def test_the_ledgers_password_is_never_shown(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://notesmig:{SECRET}@db:5432/ledger"
    assert mask_url(url) == "postgresql+psycopg://notesmig:***@db:5432/ledger"
    assert mask_url("sqlite:////data/ledger.sqlite3") == "sqlite:////data/ledger.sqlite3"
    # Unparseable: only what comes before the first colon.
    assert mask_url(f"nonsense:{SECRET} x") == "nonsense:***"
    made = StageSettings(work=tmp_path, mappings=tmp_path, ledger_url=url)
    assert SECRET not in repr(made) and "notesmig:***@db" in repr(made)


def test_mappings_are_found_by_replica_id_and_the_site_overridden(tmp_path: Path) -> None:
    mappings(tmp_path)
    own = settings(tmp_path)
    assert own.mapping_for(REPLICA.lower()).site == "contoso.sharepoint.com:/sites/notes-migration"
    moved = settings(tmp_path, site="fabrikam.sharepoint.com:/sites/rehearsal")
    assert moved.mapping_for(REPLICA).site == "fabrikam.sharepoint.com:/sites/rehearsal"
    assert {m.site for m in moved.load_mappings().values()} == {
        "fabrikam.sharepoint.com:/sites/rehearsal"
    }
    with pytest.raises(MappingError, match="no mapping for database 1E9675FC9921B17D"):
        own.mapping_for("1E9675FC9921B17D")
