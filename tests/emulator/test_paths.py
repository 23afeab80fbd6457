"""``paths``: Graph URL paths as the service reads them (raw and percent-encoded, colon
syntax), and SharePoint's rules for file and folder names and path lengths."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.paths import PathRef, check_item_name, check_path_length, split_path
from notesmig.spfacts.limits import MAX_DECODED_PATH
from tests.emulator.helpers import SITE_PATH, assert_graph_error, new_list


def test_a_site_path_as_the_sdk_encodes_it_and_raw() -> None:
    site = PathRef("contoso.sharepoint.com", "/sites/notes-migration")
    # The SDK's base URL ends in '/', and it encodes the slashes of the colon path.
    assert split_path(b"/v1.0//sites/contoso.sharepoint.com%3A%2Fsites%2Fnotes-migration%3A") == [
        "v1.0", "sites", site]  # fmt: skip
    assert split_path(b"/v1.0/sites/contoso.sharepoint.com:/sites/notes-migration:/lists") == [
        "v1.0", "sites", site, "lists"]  # fmt: skip


def test_colon_paths_into_drives_fold_into_one_segment() -> None:
    raw = b"/v1.0/drives/d/root:/2024/a%20b.txt:/content"
    expected = ["v1.0", "drives", "d", PathRef("root", "/2024/a b.txt"), "content"]
    assert split_path(raw) == expected
    # Encoded whole (as the SDK sends it) or segment by segment (as httpx does): one path.
    whole = "/v1.0/drives/d/" + quote("root:/報告/2024年度/a b.txt:", safe="") + "/content"
    parts = "/v1.0/drives/d/root:" + quote("/報告/2024年度/a b.txt") + ":/content"
    expected = ["v1.0", "drives", "d", PathRef("root", "/報告/2024年度/a b.txt"), "content"]
    assert split_path(whole.encode()) == split_path(parts.encode()) == expected
    assert split_path(b"/v1.0/drives/d/items/01ABC:/x.txt:") == [
        "v1.0", "drives", "d", "items", PathRef("01ABC", "/x.txt")]  # fmt: skip
    # To the end of the path when no segment closes it; empty segments dropped.
    assert split_path(b"/drives/d/root:/a//b") == ["drives", "d", PathRef("root", "/a/b")]
    # An encoded slash inside a name is part of it, never a new segment.
    assert split_path(b"/v1.0/drives/d/items/x%2Fy") == ["v1.0", "drives", "d", "items", "x/y"]


def test_a_colon_in_a_function_call_is_no_path() -> None:
    segment = "UtcToLocalTime('2024-04-01T00:00:00Z')"
    assert split_path(f"/_api/web/RegionalSettings/TimeZone/{segment}".encode()) == [
        "_api", "web", "RegionalSettings", "TimeZone", segment]  # fmt: skip


def test_a_path_that_is_not_utf8_cannot_be_read() -> None:
    with pytest.raises(UnicodeDecodeError):
        split_path(b"/v1.0/sites/%FF%FE")


@pytest.mark.parametrize(
    ("name", "root", "folder", "allowed"),
    [("report.txt", True, False, True), ("a:b.txt", False, False, False),
     ("forms", True, True, False), ("forms", False, True, True), ("CON", False, False, False),
     (" lead.txt", False, False, False), ("~$draft.docx", False, False, False),
     ("報告書.docx", True, False, True)],
)  # fmt: skip
def test_names_sharepoint_takes_and_refuses(
    name: str, root: bool, folder: bool, allowed: bool
) -> None:
    if allowed:
        check_item_name(name, at_library_root=root, is_folder=folder)
        return
    with pytest.raises(GraphError) as caught:
        check_item_name(name, at_library_root=root, is_folder=folder)
    assert (caught.value.status, caught.value.code) == (400, "invalidRequest")
    assert caught.value.message


def test_a_decoded_path_of_more_than_400_characters_is_400() -> None:
    check_path_length("/" + "あ" * (MAX_DECODED_PATH - 1))
    with pytest.raises(GraphError) as caught:
        check_path_length("/" + "あ" * MAX_DECODED_PATH)
    assert caught.value.status == 400
    assert f"{MAX_DECODED_PATH + 1} characters long" in caught.value.message
    assert len(caught.value.message) < 300  # the path itself is cut short


def test_the_service_reads_paths_as_the_sdk_and_browsers_send_them(
    http: httpx.Client, site_id: str
) -> None:
    encoded = quote(SITE_PATH, safe="")
    assert http.get(f"/sites/{encoded}").json()["id"] == site_id
    doubled = f"{http.base_url}/sites/{encoded}"  # the SDK's '/v1.0//sites/...'
    assert "/v1.0//sites/" in doubled and http.get(doubled).json()["id"] == site_id
    library = new_list(http, site_id, [], "documentLibrary")
    drive = http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()["id"]
    put = http.put(f"/drives/{drive}/root:/{quote('フォルダー/a b.txt')}:/content", content=b"x")
    assert put.status_code == 201, put.text
    by_raw = http.get(f"/drives/{drive}/root:/フォルダー/a b.txt:")
    assert by_raw.json()["id"] == put.json()["id"]
    assert_graph_error(http.get("/sites/%FF%FE"), 400, "invalidRequest")
