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


def test_write_security_lets_contributors_edit_only_their_own_items(
    emulator: EmulatorProcess, http: httpx.Client, site_id: str
) -> None:
    target = new_list(http, site_id, [{"name": "Note", "text": {}}])
    lists = f"{REST}/lists(guid'{target['id']}')"
    client = rest(emulator)
    people = {}
    for upn in ("yamada.taro@contoso.onmicrosoft.com", "sato.hanako@contoso.onmicrosoft.com"):
        login = f"i:0#.f|membership|{upn}"
        people[upn] = client.post(f"{REST}/ensureuser", json={"logonName": login}).json()["Id"]
    contribute = client.get(f"{REST}/roledefinitions/getbyname('Contribute')").json()["Id"]
    design = client.get(f"{REST}/roledefinitions/getbyname('Design')").json()["Id"]
    assert client.post(f"{lists}/breakroleinheritance(copyRoleAssignments=false,"
                       "clearSubscopes=false)").status_code == 200  # fmt: skip
    for user_id in people.values():
        client.post(f"{lists}/roleassignments/addroleassignment(principalid={user_id},"
                    f"roledefid={contribute})")  # fmt: skip

    def as_user(upn: str) -> httpx.Client:
        return httpx.Client(base_url=emulator.graph_url, timeout=30,
                            headers={"Authorization": f"Bearer user:{upn}"})  # fmt: skip

    yamada, sato = (as_user(upn) for upn in people)
    items = f"/sites/{site_id}/lists/{target['id']}/items"
    own = yamada.post(items, json={"fields": {"Title": "山田の申請"}}).json()["id"]
    assert sato.patch(f"{items}/{own}/fields", json={"Note": "a"}).status_code == 200
    assert client.get(lists).json()["WriteSecurity"] == 1
    merge = {"X-HTTP-Method": "MERGE", "IF-MATCH": "*"}
    # Only a list manager changes it; only SharePoint's values are taken.
    assert httpx.post(f"{emulator.url}{lists}", json={"WriteSecurity": 2}, headers={
        **NOMETADATA, **merge, "Authorization": "Bearer user:sato.hanako@contoso.onmicrosoft.com",
    }).status_code == 403  # fmt: skip
    assert client.post(lists, json={"WriteSecurity": 3}, headers=merge).status_code == 400
    assert client.post(lists, json={"Title": "x"}, headers=merge).status_code == 400
    assert client.post(lists, json={"WriteSecurity": 2}, headers=merge).status_code == 204
    assert client.get(lists).json()["WriteSecurity"] == 2
    # Now a contributor edits (or deletes) only the items they created.
    assert sato.patch(f"{items}/{own}/fields", json={"Note": "b"}).status_code == 403
    assert sato.delete(f"{items}/{own}").status_code == 403
    assert yamada.patch(f"{items}/{own}/fields", json={"Note": "c"}).status_code == 200
    assert http.patch(f"{items}/{own}/fields", json={"Note": "d"}).status_code == 200  # the app
    assert sato.get(f"{items}/{own}").status_code == 200  # reading is unchanged
    # Cancel Checkout (Design and above) overrides it.
    client.post(f"{lists}/roleassignments/addroleassignment(principalid="
                f"{people['sato.hanako@contoso.onmicrosoft.com']},roledefid={design})")  # fmt: skip
    assert sato.patch(f"{items}/{own}/fields", json={"Note": "e"}).status_code == 200
