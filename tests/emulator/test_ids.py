"""``ids``: the drive item ids and timestamps the service hands out, as clients see them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from notesmig.emulator.ids import new_item_id, now_text
from tests.emulator.helpers import new_list

DRIVE_ITEM_ID = re.compile(r"01[0-9A-Z]{32}")


def test_drive_item_ids_are_sharepoints_form_and_never_repeat() -> None:
    made = {new_item_id() for _ in range(1_000)}
    assert len(made) == 1_000
    assert all(re.fullmatch(r"01[0-9A-F]{32}", item_id) for item_id in made)


def test_now_is_utc_to_the_second_with_a_z() -> None:
    text = now_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    stamp = datetime.fromisoformat(text)
    assert stamp.tzinfo == UTC and abs(datetime.now(UTC) - stamp) < timedelta(seconds=5)


def test_what_graph_returns_carries_them(http: httpx.Client, site_id: str) -> None:
    library = new_list(http, site_id, [], "documentLibrary")
    drive = http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()["id"]
    root = http.get(f"/drives/{drive}/root").json()
    uploaded = http.put(f"/drives/{drive}/root:/a.txt:/content", content=b"a").json()
    folder = http.post(f"/drives/{drive}/root/children", json={"name": "f", "folder": {}}).json()
    ids = [root["id"], uploaded["id"], folder["id"]]
    assert all(DRIVE_ITEM_ID.fullmatch(item_id) for item_id in ids) and len(set(ids)) == 3
    for stamp in (uploaded["createdDateTime"], uploaded["lastModifiedDateTime"],
                  library["createdDateTime"]):  # fmt: skip
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
