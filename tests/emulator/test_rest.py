"""SharePoint REST on the emulator's state: users, regional settings, ValidateUpdateListItem."""

from __future__ import annotations

import httpx

from notesmig.emulator.server import EmulatorProcess
from tests.emulator.helpers import new_list

REST = "/sites/notes-migration/_api/web"
NOMETADATA = {"Authorization": "Bearer t", "Accept": "application/json;odata=nometadata"}


def rest(emulator: EmulatorProcess) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, headers=NOMETADATA, timeout=30)


def test_ensureuser_adds_a_directory_account_once(emulator: EmulatorProcess) -> None:
    client = rest(emulator)
    login = "i:0#.f|membership|yamada.taro@contoso.onmicrosoft.com"
    first = client.post(f"{REST}/ensureuser", json={"logonName": login})
    again = client.post(f"{REST}/ensureuser", json={"logonName": login})
    assert first.status_code == 200 and first.json()["Id"] == again.json()["Id"]
    assert first.json()["LoginName"] == login and first.json()["PrincipalType"] == 1
    unknown = client.post(f"{REST}/ensureuser", json={"logonName": "i:0#.f|membership|ghost@x.jp"})
    assert unknown.status_code == 400
    assert "could not be found" in unknown.json()["odata.error"]["message"]["value"]
    verbose = client.get(f"{REST}/siteusers", headers={"Accept": "application/json;odata=verbose"})
    assert login in {u["LoginName"] for u in verbose.json()["d"]["results"]}


def test_regional_settings_are_tokyo(emulator: EmulatorProcess) -> None:
    zone = rest(emulator).get(f"{REST}/RegionalSettings/TimeZone").json()
    assert zone["Id"] == 20 and zone["Information"]["Bias"] == -540


def test_validate_update_sets_authorship_in_site_local_time(
    emulator: EmulatorProcess, http: httpx.Client, site_id: str
) -> None:
    target = new_list(http, site_id, [{"name": "Link", "hyperlinkOrPicture": {}},
                                      {"name": "Note", "text": {}}])  # fmt: skip
    item = http.post(f"/sites/{site_id}/lists/{target['id']}/items",
                     json={"fields": {"Title": "出張"}}).json()  # fmt: skip
    path = f"{REST}/lists(guid'{target['id']}')/items({item['id']})/ValidateUpdateListItem()"
    client = rest(emulator)
    refused = client.post(path, json={"formValues": [
        {"FieldName": "Note", "FieldValue": "変更"},
        {"FieldName": "Created", "FieldValue": "2024-04-01T09:15:30+09:00"}],
        "bNewDocumentUpdate": True}).json()["value"]  # fmt: skip
    assert [r["HasException"] for r in refused] == [False, True]
    unchanged = http.get(f"/sites/{site_id}/lists/{target['id']}/items/{item['id']}/fields").json()
    assert "Note" not in unchanged  # one field failed: nothing was changed
    author = "[{'Key':'i:0#.f|membership|sato.hanako@contoso.onmicrosoft.com'}]"
    done = client.post(path, json={"formValues": [
        {"FieldName": "Created", "FieldValue": "2024-04-01 09:15:30"},
        {"FieldName": "Modified", "FieldValue": "2024-04-03 17:45:10"},
        {"FieldName": "Author", "FieldValue": author}, {"FieldName": "Editor", "FieldValue": author},
        {"FieldName": "Link", "FieldValue": "https://www.city.example.jp/a,, b, 市の規程"}],
        "bNewDocumentUpdate": True}).json()["value"]  # fmt: skip
    assert not any(r["HasException"] for r in done)
    read = http.get(f"/sites/{site_id}/lists/{target['id']}/items/{item['id']}",
                    params={"$expand": "fields"}).json()  # fmt: skip
    assert read["createdDateTime"] == "2024-04-01T00:15:30Z"  # 09:15:30 Tokyo
    assert read["lastModifiedDateTime"] == "2024-04-03T08:45:10Z"
    assert read["createdBy"]["user"]["email"] == "sato.hanako@contoso.onmicrosoft.com"
    assert read["lastModifiedBy"]["user"]["email"] == "sato.hanako@contoso.onmicrosoft.com"
    assert read["fields"]["Link"] == {
        "Url": "https://www.city.example.jp/a, b",
        "Description": "市の規程",
    }
    assert (
        read["fields"]["_UIVersionString"] == item["fields"]["_UIVersionString"]
    )  # no new version
