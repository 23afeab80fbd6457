"""Drives and files: uploads, conflicts, names, hashes, list item fields, upload sessions."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import quickxorhash
from kiota_abstractions.api_error import APIError
from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (
    CreateUploadSessionPostRequestBody,
)
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.drive_item_uploadable_properties import DriveItemUploadableProperties
from msgraph_core.tasks.large_file_upload import LargeFileUploadTask

from notesmig.emulator.server import EmulatorProcess
from notesmig.sharepoint.client import graph_client
from notesmig.spfacts.limits import FRAGMENT_UNIT
from tests.emulator.helpers import assert_graph_error, new_list, start


def reference_hash(data: bytes) -> str:
    """QuickXorHash by an independent implementation (the C package on PyPI)."""
    hasher = quickxorhash.quickxorhash()
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode()


@pytest.fixture
def drive(http: httpx.Client, site_id: str) -> str:
    library = new_list(
        http, site_id, [{"name": "NotesUNID", "indexed": True, "text": {}}], "documentLibrary"
    )
    drive_id = http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()["id"]
    return f"/drives/{drive_id}"


def test_simple_upload_replace_fail_rename(http: httpx.Client, drive: str) -> None:
    data = "出張報告書".encode() * 1000
    created = http.put(f"{drive}/root:/報告/2024年度/report.txt:/content", content=data)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["size"] == len(data) and item["name"] == "report.txt"
    assert item["file"]["hashes"]["quickXorHash"] == reference_hash(data)
    assert item["parentReference"]["path"] == "/drive/root:/報告/2024年度"
    assert item["webUrl"].endswith("/%E5%A0%B1%E5%91%8A/2024%E5%B9%B4%E5%BA%A6/report.txt")
    assert http.get(f"{drive}/items/{item['id']}/content").content == data
    by_path = http.get(f"{drive}/root:/報告/2024年度/report.txt").json()
    assert by_path["id"] == item["id"]
    replaced = http.put(
        f"{drive}/items/{item['parentReference']['id']}:/report.txt:/content", content=b"v2"
    )
    assert replaced.status_code == 200 and replaced.json()["id"] == item["id"]
    assert replaced.json()["size"] == 2
    parent = item["parentReference"]["id"]
    refused = http.put(f"{drive}/items/{parent}:/report.txt:/content",
                       params={"@microsoft.graph.conflictBehavior": "fail"}, content=b"v3")  # fmt: skip
    assert_graph_error(refused, 409, "nameAlreadyExists")
    renamed = http.put(f"{drive}/items/{parent}:/report.txt:/content",
                       params={"@microsoft.graph.conflictBehavior": "rename"}, content=b"v3")  # fmt: skip
    assert renamed.status_code == 201 and renamed.json()["name"] == "report 1.txt"
    children = http.get(f"{drive}/items/{parent}/children").json()["value"]
    assert sorted(c["name"] for c in children) == ["report 1.txt", "report.txt"]
    assert_graph_error(http.get(f"{drive}/root:/報告/none.txt"), 404, "itemNotFound")


def test_file_list_item_fields_both_ways(http: httpx.Client, drive: str) -> None:
    item = http.put(f"{drive}/root:/a.pdf:/content", content=b"%PDF").json()
    patched = http.patch(
        f"{drive}/items/{item['id']}/listItem/fields", json={"NotesUNID": "A" * 32}
    )
    assert patched.status_code == 200 and patched.json()["NotesUNID"] == "A" * 32
    expanded = http.get(f"{drive}/items/{item['id']}", params={"$expand": "listItem"}).json()
    list_item_id = expanded["listItem"]["id"]
    assert expanded["listItem"]["fields"]["FileLeafRef"] == "a.pdf"
    again = http.patch(f"{drive}/list/items/{list_item_id}/fields", json={"Title": "報告書"})
    assert again.status_code == 200 and again.json()["NotesUNID"] == "A" * 32
    assert again.json()["Title"] == "報告書"
    assert_graph_error(http.patch(f"{drive}/list/items/{list_item_id}/fields", json={"Nope": 1}),
                       400, "invalidRequest")  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ['a"b.txt', "a*b.txt", "a:b.txt", "a<b.txt", "a>b.txt", "a?b.txt", "a|b.txt", " lead.txt",
     "trail.txt ", "CON", "con.txt", "PRN", "AUX", "NUL", "COM1", "LPT9", ".lock", "desktop.ini",
     "x_vti_y.txt", "~$draft.docx"],
)  # fmt: skip
def test_names_sharepoint_refuses(http: httpx.Client, drive: str, name: str) -> None:
    response = http.put(f"{drive}/items/root:/{quote(name, safe='')}:/content", content=b"x")
    assert_graph_error(response, 400, "invalidRequest")


def test_forms_folder_and_path_length(http: httpx.Client, drive: str) -> None:
    assert_graph_error(http.post(f"{drive}/root/children", json={"name": "forms", "folder": {}}),
                       400, "invalidRequest")  # fmt: skip
    nested = http.post(f"{drive}/root/children", json={"name": "sub", "folder": {}})
    assert nested.status_code == 201
    inner = http.post(
        f"{drive}/items/{nested.json()['id']}/children", json={"name": "forms", "folder": {}}
    )
    assert inner.status_code == 201  # only the library root reserves "forms"
    deep = "/".join(["階層フォルダー" * 5] * 12)
    error = assert_graph_error(
        http.put(f"{drive}/root:/{deep}/f.txt:/content", content=b"x"), 400, "invalidRequest"
    )
    assert "400" in error["message"]


@pytest.mark.anyio
async def test_large_file_upload_task_of_the_sdk(
    emulator: EmulatorProcess, http: httpx.Client, drive: str
) -> None:
    client, adapter = graph_client(emulator.graph_url)
    drive_id = drive.removeprefix("/drives/")
    data = os.urandom(12 * 1024 * 1024 + 5)
    body = CreateUploadSessionPostRequestBody(
        item=DriveItemUploadableProperties(
            additional_data={"@microsoft.graph.conflictBehavior": "replace"}
        )
    )
    session = (
        await client.drives.by_drive_id(drive_id)
        .items.by_drive_item_id("root:/big.bin:")
        .create_upload_session.post(body)
    )
    assert session is not None and session.upload_url is not None
    task = LargeFileUploadTask(
        session, adapter, io.BytesIO(data), DriveItem, max_chunk_size=32 * FRAGMENT_UNIT
    )
    # The SDK re-sends the final fragment after the upload completed; SharePoint answers 400
    # (msgraph-sdk-python-core #716, #718) and so does the emulator. The file is complete.
    with pytest.raises(APIError) as caught:
        await task.upload()
    assert caught.value.response_status_code == 400
    stored = http.get(f"{drive}/root:/big.bin").json()
    assert stored["size"] == len(data)
    assert stored["file"]["hashes"]["quickXorHash"] == reference_hash(data)


def test_upload_session_protocol(http: httpx.Client, drive: str) -> None:
    data = os.urandom(3 * FRAGMENT_UNIT + 1000)
    created = http.post(f"{drive}/root:/session.bin:/createUploadSession", json={"item": {
        "@microsoft.graph.conflictBehavior": "fail",
        "fileSystemInfo": {"createdDateTime": "2009-05-27T09:54:15Z", "lastModifiedDateTime": "2009-05-27T11:54:04Z"},
    }})  # fmt: skip
    assert created.status_code == 200, created.text
    url = created.json()["uploadUrl"]
    assert created.json()["nextExpectedRanges"] == ["0-"]
    raw = httpx.Client(timeout=30)  # the upload URL is pre-authenticated: no Authorization

    def put(
        start: int, end: int, total: int = len(data), body: bytes | None = None
    ) -> httpx.Response:
        chunk = data[start : end + 1] if body is None else body
        return raw.put(
            url, content=chunk, headers={"Content-Range": f"bytes {start}-{end}/{total}"}
        )

    odd = put(0, FRAGMENT_UNIT + 9)
    error = assert_graph_error(odd, 400, "invalidRequest")
    assert "320 KiB" in error["message"]
    first = put(0, 2 * FRAGMENT_UNIT - 1)
    assert first.status_code == 202
    assert first.json()["nextExpectedRanges"] == [f"{2 * FRAGMENT_UNIT}-{len(data) - 1}"]
    assert_graph_error(put(FRAGMENT_UNIT, 2 * FRAGMENT_UNIT - 1), 416, "invalidRange")
    assert_graph_error(put(3 * FRAGMENT_UNIT, len(data) - 1), 416, "invalidRange")
    assert_graph_error(
        put(2 * FRAGMENT_UNIT, 3 * FRAGMENT_UNIT - 1, total=len(data) + 1), 400, "invalidRequest"
    )
    assert_graph_error(raw.put(url, content=b"x"), 400, "invalidRequest")  # no Content-Range
    authorised = raw.put(url, content=data[2 * FRAGMENT_UNIT :],
                         headers={"Content-Range": f"bytes {2 * FRAGMENT_UNIT}-{len(data) - 1}/{len(data)}",
                                  "Authorization": "Bearer ignored"})  # fmt: skip
    assert authorised.status_code == 201, authorised.text
    item = authorised.json()
    assert item["size"] == len(data) and item["file"]["hashes"]["quickXorHash"] == reference_hash(
        data
    )
    assert item["fileSystemInfo"] == {"createdDateTime": "2009-05-27T09:54:15Z",
                                      "lastModifiedDateTime": "2009-05-27T11:54:04Z"}  # fmt: skip
    assert_graph_error(put(2 * FRAGMENT_UNIT, len(data) - 1), 400, "invalidRequest")  # completed
    again = http.post(f"{drive}/root:/session.bin:/createUploadSession",
                      json={"item": {"@microsoft.graph.conflictBehavior": "fail"}})  # fmt: skip
    assert_graph_error(again, 409, "nameAlreadyExists")
    cancelled = http.post(f"{drive}/root:/other.bin:/createUploadSession", json={}).json()[
        "uploadUrl"
    ]
    assert raw.delete(cancelled).status_code == 204
    assert_graph_error(
        raw.put(cancelled, content=b"x", headers={"Content-Range": "bytes 0-0/1"}),
        404,
        "itemNotFound",
    )
    assert_graph_error(raw.put(url.rsplit("/", 1)[0] + "/nosuchsession", content=b"x",
                               headers={"Content-Range": "bytes 0-0/1"}), 404, "itemNotFound")  # fmt: skip


def test_upload_sessions_expire(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--upload-session-seconds", "1") as emulator:
        client = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"})
        site = client.get("/sites/contoso.sharepoint.com:/sites/notes-migration:").json()["id"]
        drive = client.get(f"/sites/{site}/drive").json()["id"]
        url = client.post(f"/drives/{drive}/root:/late.bin:/createUploadSession", json={}).json()[
            "uploadUrl"
        ]
        time.sleep(1.5)
        late = httpx.put(url, content=b"x", headers={"Content-Range": "bytes 0-0/1"})
        assert_graph_error(late, 404, "itemNotFound")


def test_impossible_sizes_are_refused_and_leave_the_session_whole(
    http: httpx.Client, drive: str
) -> None:
    data = os.urandom(FRAGMENT_UNIT + 1000)
    session = http.post(f"{drive}/root:/sizes.bin:/createUploadSession",
                        json={"item": {"fileSize": len(data)}})  # fmt: skip
    assert session.status_code == 200, session.text
    url = session.json()["uploadUrl"]
    for total in (10**30, 2**63):
        # Before: 500, and the fragment's bytes stayed in the session.
        refused = httpx.put(url, content=data[:FRAGMENT_UNIT],
                            headers={"Content-Range": f"bytes 0-{FRAGMENT_UNIT - 1}/{total}"})  # fmt: skip
        assert_graph_error(refused, 400, "maxFileSizeExceeded")
    lying = httpx.put(url, content=data[:FRAGMENT_UNIT],
                      headers={"Content-Range": f"bytes 0-{FRAGMENT_UNIT - 1}/{len(data) + 5}"})  # fmt: skip
    assert "created for" in assert_graph_error(lying, 400, "invalidRequest")["message"]
    assert httpx.get(url).json()["nextExpectedRanges"] == ["0-"]
    for first, end in ((0, FRAGMENT_UNIT - 1), (FRAGMENT_UNIT, len(data) - 1)):
        sent = httpx.put(url, content=data[first : end + 1],
                         headers={"Content-Range": f"bytes {first}-{end}/{len(data)}"})  # fmt: skip
    assert sent.status_code == 201
    assert sent.json()["size"] == len(data)
    assert sent.json()["file"]["hashes"]["quickXorHash"] == reference_hash(data)
