"""``graph``: Graph v1.0's SharePoint resources routed on the raw path: what each answers, to
which methods, paged how, and Graph's errors for what it does not serve."""

from __future__ import annotations

from pathlib import Path

import httpx

from notesmig.emulator.graph import is_collection, route_names
from notesmig.emulator.paths import split_path
from tests.emulator.helpers import SITE_PATH, assert_graph_error, new_list, session, start


def test_routes_are_named_for_their_cost() -> None:
    # The loader prices a request by these names: a path reference is ':' whatever it holds.
    route = split_path(b"/drives/d/root:/a/b.txt:/content")
    assert route_names(route) == ["drives", "d", ":", "content"]
    assert is_collection(split_path(b"/sites/s/lists/l/items"))
    assert not is_collection(split_path(b"/sites/s/lists/l/items/1"))


def test_what_graph_does_not_serve(http: httpx.Client, site_id: str) -> None:
    assert_graph_error(http.get("/"), 404, "itemNotFound")
    error = assert_graph_error(http.get("/users"), 400, "BadRequest")
    assert error["message"] == "Resource not found for the segment 'users'."
    assert_graph_error(http.get(f"/sites/{site_id}/pages"), 400, "BadRequest")
    target = new_list(http, site_id, [])
    item = f"/sites/{site_id}/lists/{target['id']}/items"
    created = http.post(item, json={"fields": {"Title": "x"}}).json()
    assert_graph_error(http.get(f"{item}/{created['id']}/versions"), 400, "BadRequest")
    refused = assert_graph_error(http.delete(f"/sites/{site_id}"), 405, "methodNotAllowed")
    assert refused["message"] == "The method DELETE is not allowed here."
    assert_graph_error(
        http.post(f"{item}/{created['id']}/fields", json={}), 405, "methodNotAllowed"
    )
    assert_graph_error(http.put(f"/sites/{site_id}/drive"), 405, "methodNotAllowed")


def test_a_site_lists_its_libraries_as_drives(http: httpx.Client, site_id: str) -> None:
    library = new_list(http, site_id, [], "documentLibrary")
    drives = http.get(f"/sites/{site_id}/drives").json()["value"]
    by_id = {d["id"]: d for d in drives}
    own = http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()
    assert own["id"] in by_id and by_id[own["id"]]["name"] == library["displayName"]
    default = http.get(f"/sites/{site_id}/drive").json()
    assert default["id"] in by_id and default["name"] == "Documents"
    # A drive's list is the library it belongs to.
    assert http.get(f"/drives/{own['id']}/list").json()["id"] == library["id"]


def test_lists_are_paged_with_a_next_link(http: httpx.Client, site_id: str) -> None:
    for _ in range(3):
        new_list(http, site_id, [])
    everything = http.get(f"/sites/{site_id}/lists", params={"$top": "5000"}).json()
    assert "@odata.nextLink" not in everything
    page = http.get(f"/sites/{site_id}/lists", params={"$top": "2"}).json()
    seen = []
    while True:
        assert len(page["value"]) <= 2
        seen += [entry["id"] for entry in page["value"]]
        if "@odata.nextLink" not in page:
            break
        assert "%24top=2" in page["@odata.nextLink"] or "$top=2" in page["@odata.nextLink"]
        page = http.get(page["@odata.nextLink"]).json()
    assert seen == [entry["id"] for entry in everything["value"]]


def test_a_drives_root_and_folders_take_no_content(http: httpx.Client, site_id: str) -> None:
    library = new_list(http, site_id, [], "documentLibrary")
    drive = "/drives/" + http.get(f"/sites/{site_id}/lists/{library['id']}/drive").json()["id"]
    root = http.get(f"{drive}/root").json()
    error = assert_graph_error(http.delete(f"{drive}/items/{root['id']}"), 403, "accessDenied")
    assert error["message"] == "The root of a drive cannot be deleted."
    folder = http.post(f"{drive}/root/children", json={"name": "f", "folder": {}}).json()
    for target in (root, folder):  # before: a folder's content became a new file, "f 1"
        error = assert_graph_error(http.put(f"{drive}/items/{target['id']}/content", content=b"x"),
                                   400, "invalidRequest")  # fmt: skip
        assert error["message"] == "Content cannot be written to a folder."
    assert_graph_error(http.get(f"{drive}/items/{folder['id']}/content"), 400, "invalidRequest")
    assert [c["name"] for c in http.get(f"{drive}/root/children").json()["value"]] == ["f"]
    assert http.put(f"{drive}/root:/a.txt:/content", content=b"a").status_code == 201
    error = assert_graph_error(http.put(f"{drive}/root:/a.txt/b.txt:/content", content=b"b"),
                               400, "invalidRequest")  # fmt: skip
    assert error["message"] == "'a.txt' is a file, not a folder."
    # Folders on the way to a path upload are made as needed; a file's content is replaced.
    assert http.put(f"{drive}/root:/x/y/c.txt:/content", content=b"c").status_code == 201
    assert [c["name"] for c in http.get(f"{drive}/root:/x:/children").json()["value"]] == ["y"]
    stored = http.get(f"{drive}/root:/x/y/c.txt").json()
    assert http.put(f"{drive}/items/{stored['id']}/content", content=b"cc").status_code == 200
    assert http.get(f"{drive}/items/{stored['id']}/content").content == b"cc"
    assert http.delete(f"{drive}/items/{stored['id']}").status_code == 204
    assert_graph_error(http.get(f"{drive}/root:/x/y/c.txt"), 404, "itemNotFound")


def test_no_page_is_longer_than_the_tenants_cap_whatever_top_asks(tmp_path: Path) -> None:
    with start(tmp_path, "--ru-per-minute", "0", "--max-page-size", "2") as emulator:
        client = session(emulator.graph_url)
        site_id = client.get(f"/sites/{SITE_PATH}").json()["id"]
        target = new_list(client, site_id, [{"name": f"C{n}", "text": {}} for n in range(3)])
        items = f"/sites/{site_id}/lists/{target['id']}/items"
        for n in range(3):
            client.post(items, json={"fields": {"Title": str(n)}})
        drive = client.get(f"/sites/{site_id}/drive").json()["id"]
        for name in "abc":
            client.put(f"/drives/{drive}/root:/{name}.txt:/content", content=b"x")
        for url in (f"/sites/{site_id}/lists", f"/sites/{site_id}/lists/{target['id']}/columns",
                    items, f"/drives/{drive}/root/children"):  # fmt: skip
            page = client.get(url, params={"$top": "5000"}).json()
            assert len(page["value"]) == 2 and "@odata.nextLink" in page, url
            rest = client.get(page["@odata.nextLink"]).json()["value"]
            assert rest and {e["id"] for e in rest}.isdisjoint(e["id"] for e in page["value"])
