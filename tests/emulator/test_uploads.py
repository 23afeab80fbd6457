"""``uploads``: simple uploads and upload sessions as SharePoint takes them: the session's
properties, ``Content-Range``, deferred commits, where an interrupted upload stands, and 503s
for fragments."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.uploads import conflict_behaviour, content_range, iso, mime_type
from notesmig.spfacts.limits import FRAGMENT_UNIT, MAX_FILE_SIZE
from tests.emulator.helpers import SITE_PATH, assert_graph_error, new_list, session, start


@pytest.fixture
def drive(http: httpx.Client, site_id: str) -> str:
    library = new_list(http, site_id, [], "documentLibrary")
    drive_id = http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()["id"]
    return f"/drives/{drive_id}"


def fragment(url: str, data: bytes, start: int, end: int) -> httpx.Response:
    return httpx.put(url, content=data[start : end + 1],
                     headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"})  # fmt: skip


def test_content_range_is_bytes_start_end_total() -> None:
    assert content_range("bytes 0-9/10") == (0, 9, 10)
    assert content_range("  bytes 0010-0019/20 ") == (10, 19, 20)
    for header, status in (("bytes 5-4/10", 416), ("bytes 0-10/10", 416), ("0-9/10", 400),
                           ("bytes 0-9/*", 400), (None, 400), ("bytes=0-9/10", 400)):  # fmt: skip
        with pytest.raises(GraphError) as caught:
            content_range(header)
        assert caught.value.status == status, header
    # A total longer than the largest file is refused unread (the session checks the rest).
    with pytest.raises(GraphError) as caught:
        content_range(f"bytes 0-9/{MAX_FILE_SIZE * 10}")
    assert caught.value.status == 400 and caught.value.code == "maxFileSizeExceeded"


def test_conflicts_names_and_times() -> None:
    assert [conflict_behaviour(v) for v in ("fail", "replace", "rename")] == [
        "fail", "replace", "rename"]  # fmt: skip
    with pytest.raises(GraphError, match="fail, replace or rename, not 'overwrite'"):
        conflict_behaviour("overwrite")
    assert mime_type("報告.pdf") == "application/pdf" and mime_type("a.unknown") == (
        "application/octet-stream")  # fmt: skip
    assert iso(0) == "1970-01-01T00:00:00.000000Z"


def test_a_session_takes_only_uploadable_properties(http: httpx.Client, drive: str) -> None:
    url = f"{drive}/root:/a.bin:/createUploadSession"
    error = assert_graph_error(http.post(url, json={"item": {"size": 3}}), 400, "invalidRequest")
    assert error["message"] == (
        "The property 'size' does not exist on type 'microsoft.graph.driveItemUploadableProperties'.")  # fmt: skip
    for body, fragment_ in (({"item": {"name": "b.bin"}}, "does not match"),
                            ({"item": {"fileSize": -1}}, "'fileSize' must be"),
                            ({"deferCommit": "yes"}, "'deferCommit' must be a boolean"),
                            ({"item": {"fileSystemInfo": {"createdDateTime": 5}}}, "fileSystemInfo"),
                            ({"other": 1}, "createUploadSession takes")):  # fmt: skip
        message = assert_graph_error(http.post(url, json=body), 400, "invalidRequest")["message"]
        assert fragment_ in message, body
    too_big = http.post(url, json={"item": {"fileSize": MAX_FILE_SIZE + 1}})
    assert_graph_error(too_big, 400, "maxFileSizeExceeded")
    made = http.post(url, json={"item": {"name": "a.bin", "fileSize": 3}})
    assert made.status_code == 200 and made.json()["nextExpectedRanges"] == ["0-"]
    expires = datetime.strptime(made.json()["expirationDateTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    left = expires.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(minutes=59) < left <= timedelta(hours=1)


def test_an_interrupted_upload_says_where_it_stands(http: httpx.Client, drive: str) -> None:
    data = os.urandom(2 * FRAGMENT_UNIT + 10)
    url = http.post(f"{drive}/root:/resume.bin:/createUploadSession", json={}).json()["uploadUrl"]
    assert httpx.get(url).json()["nextExpectedRanges"] == ["0-"]
    assert fragment(url, data, 0, FRAGMENT_UNIT - 1).status_code == 202
    assert httpx.get(url).json()["nextExpectedRanges"] == [f"{FRAGMENT_UNIT}-{len(data) - 1}"]
    # A client that lost the answer and resends the same fragment is told it overlaps.
    assert_graph_error(fragment(url, data, 0, FRAGMENT_UNIT - 1), 416, "invalidRange")
    done = fragment(url, data, FRAGMENT_UNIT, len(data) - 1)
    assert done.status_code == 201 and done.json()["size"] == len(data)
    assert http.get(f"{drive}/items/{done.json()['id']}/content").content == data
    assert_graph_error(httpx.delete(url), 404, "itemNotFound")  # completed: no session left


def test_a_deferred_commit_waits_for_its_post(http: httpx.Client, drive: str) -> None:
    data = b"deferred content"
    made = http.post(f"{drive}/root:/later.txt:/createUploadSession", json={"deferCommit": True})
    url = made.json()["uploadUrl"]
    assert_graph_error(httpx.post(url), 400, "invalidRequest")  # nothing received yet
    last = fragment(url, data, 0, len(data) - 1)
    assert last.status_code == 202 and last.json()["nextExpectedRanges"] == []
    assert httpx.get(url).json()["nextExpectedRanges"] == []
    assert_graph_error(http.get(f"{drive}/root:/later.txt"), 404, "itemNotFound")  # not yet
    committed = httpx.post(url)
    assert committed.status_code == 201, committed.text
    assert http.get(f"{drive}/root:/later.txt:/content").content == data
    plain = http.post(f"{drive}/root:/now.txt:/createUploadSession", json={}).json()["uploadUrl"]
    refused = assert_graph_error(httpx.post(plain), 400, "invalidRequest")
    assert "does not await a commit" in refused["message"]


def test_a_simple_upload_takes_the_conflict_behaviour_from_the_query(
    http: httpx.Client, drive: str
) -> None:
    path = f"{drive}/root:/same.txt:/content"
    assert http.put(path, content=b"1").status_code == 201
    replaced = http.put(path, content=b"22")  # replace, by default
    assert replaced.status_code == 200 and replaced.json()["size"] == 2
    assert replaced.json()["file"]["mimeType"] == "text/plain"
    bad = http.put(path, params={"@microsoft.graph.conflictBehavior": "keep"}, content=b"3")
    assert_graph_error(bad, 400, "invalidRequest")
    assert http.get(path).content == b"22"


def test_failing_fragments_answer_503_and_leave_the_session_whole(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--fail-fragments", "2") as emulator:
        client = session(emulator.graph_url)
        drive = client.get(f"/sites/{SITE_PATH}/drive").json()["id"]
        url = client.post(f"/drives/{drive}/root:/flaky.bin:/createUploadSession",
                          json={}).json()["uploadUrl"]  # fmt: skip
        data = b"x" * 10
        for _ in range(2):
            failed = fragment(url, data, 0, 9)
            assert_graph_error(failed, 503, "serviceNotAvailable")
            assert failed.headers["Retry-After"] == "1"
            assert httpx.get(url).json()["nextExpectedRanges"] == ["0-"]
        assert fragment(url, data, 0, 9).status_code == 201
