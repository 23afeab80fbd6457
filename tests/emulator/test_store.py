"""``store``: the tenant's SQLite database, its transactions, and what survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.store import SCHEMA, Transaction, connect
from notesmig.emulator.tenant import Tenant
from tests.emulator.helpers import SITE_PATH, session, start


def test_a_failed_transaction_leaves_nothing_behind(tenant: Tenant) -> None:
    site_id = tenant.site("root")["id"]
    with pytest.raises(GraphError), tenant.transaction():
        tenant.create_list(site_id, {"displayName": "Half"})
        tenant.create_list(site_id, {"displayName": "half"})  # 409: the title is taken
    with pytest.raises(GraphError):
        tenant.get_list(site_id, "Half")
    with tenant.transaction():
        tenant.create_list(site_id, {"displayName": "Whole"})
    assert tenant.get_list(site_id, "Whole").display_name == "Whole"


def test_what_was_committed_survives_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path)
    first = Tenant(config)
    site_id = first.site("root")["id"]
    with first.transaction():
        created = first.create_list(site_id, {"displayName": "Kept"})
        first.create_item(first.get_list(site_id, "Kept"), {"fields": {"Title": "x"}})
    first.db.close()
    again = Tenant(config)
    assert again.get_list(site_id, "Kept").id == created["id"]
    row = again.get_list(site_id, "Kept")
    assert again.fields_json(row, again._item_row(row, 1), {"Title"})["Title"] == "x"
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.db.close()


def test_a_rollback_calls_back_and_a_commit_does_not(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", SCHEMA)
    calls: list[str] = []
    with Transaction(db, lambda: calls.append("rollback")):
        db.execute("INSERT INTO meta VALUES ('a', '1')")
    with pytest.raises(ZeroDivisionError), Transaction(db, lambda: calls.append("rollback")):
        db.execute("INSERT INTO meta VALUES ('b', '2')")
        _ = 1 / 0
    assert calls == ["rollback"]
    assert [tuple(r) for r in db.execute("SELECT key, value FROM meta")] == [("a", "1")]
    db.close()


@pytest.mark.slow
def test_state_survives_a_restart(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0") as first, session(first.graph_url) as client:
        site = client.get(f"/sites/{SITE_PATH}").json()["id"]
        created = client.post(
            f"/sites/{site}/lists",
            json={"displayName": "keep", "columns": [{"name": "K", "indexed": True, "text": {}}]},
        )
        items = f"/sites/{site}/lists/{created.json()['id']}/items"
        client.post(items, json={"fields": {"K": "survivor"}})
        drive = client.get(f"/sites/{site}/drive").json()["id"]
        client.put(f"/drives/{drive}/root:/kept.txt:/content", content=b"still here")
    with start(tmp_path, "--ru-per-minute", "0") as second, session(second.graph_url) as client:
        found = client.get(
            items, params={"$filter": "fields/K eq 'survivor'", "$expand": "fields"}
        ).json()
        assert [i["fields"]["K"] for i in found["value"]] == ["survivor"]
        assert client.get(f"/drives/{drive}/root:/kept.txt:/content").content == b"still here"
        assert client.post(items, json={"fields": {"K": "next"}}).json()["id"] == "2"
