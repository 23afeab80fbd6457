"""``sites``: the root site and the configured sites, by id or path, made once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from notesmig.emulator.config import EmulatorConfig
from notesmig.emulator.graph_errors import GraphError
from notesmig.emulator.server import EmulatorProcess
from notesmig.emulator.tenant import Tenant
from notesmig.sharepoint.client import graph_client
from tests.emulator.helpers import SITE_PATH, assert_graph_error


@pytest.mark.anyio
async def test_site_by_path_as_the_sdk_encodes_it(emulator: EmulatorProcess) -> None:
    client, _ = graph_client(emulator.graph_url)
    site = await client.sites.by_site_id(SITE_PATH).get()
    assert site is not None and site.id is not None
    host, site_guid, web_guid = site.id.split(",")
    assert host == "contoso.sharepoint.com" and len(site_guid) == len(web_guid) == 36
    assert site.web_url == "https://contoso.sharepoint.com/sites/notes-migration"
    by_id = await client.sites.by_site_id(site.id).get()
    assert by_id is not None and by_id.web_url == site.web_url
    root = await client.sites.by_site_id("root").get()
    assert root is not None and root.web_url == "https://contoso.sharepoint.com"


def test_site_path_forms_and_unknown_sites(http: httpx.Client, emulator: EmulatorProcess) -> None:
    for path in (
        "/sites/contoso.sharepoint.com:/sites/notes-migration:",
        "/sites/contoso.sharepoint.com:/sites/notes-migration",
        # What the SDK sends: a doubled slash after its base URL, the path percent-encoded.
        f"{emulator.graph_url}//sites/contoso.sharepoint.com%3A%2Fsites%2Fnotes-migration%3A",
    ):
        assert http.get(path).json()["name"] == "notes-migration", path
    assert_graph_error(http.get("/sites/contoso.sharepoint.com:/sites/nope:"), 404, "itemNotFound")
    assert_graph_error(
        http.get("/sites/other.example.com:/sites/notes-migration:"), 404, "itemNotFound"
    )


def test_every_site_has_its_library_and_a_hidden_user_list(
    http: httpx.Client, site_id: str
) -> None:
    lists = {x["displayName"]: x for x in http.get(f"/sites/{site_id}/lists").json()["value"]}
    documents = lists["Documents"]
    assert documents["list"] == {"contentTypesEnabled": False, "hidden": False,
                                 "template": "documentLibrary"}  # fmt: skip
    assert (
        documents["webUrl"]
        == "https://contoso.sharepoint.com/sites/notes-migration/Shared%20Documents"
    )
    users = lists["User Information List"]
    assert users["list"]["hidden"] and users["list"]["template"] == "genericList"


def test_sites_are_made_once_with_ids_from_their_urls(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path, sites=("a", "b"))
    first = Tenant(config)
    ids = [first.site(config.hostname, f"/sites/{s}")["id"] for s in ("a", "b")]
    lists = {site: first.lists(site) for site in ids}
    first.db.close()
    again = Tenant(config)  # the same data directory: nothing is made twice
    assert [again.site(config.hostname, f"/sites/{s}")["id"] for s in ("a", "b")] == ids
    assert {site: again.lists(site) for site in ids} == lists
    assert again.site("root")["root"] == {} and "root" not in again.site(ids[0])
    other = Tenant(EmulatorConfig(data_dir=tmp_path / "other", sites=("a",)))
    assert other.site(config.hostname, "/sites/A/")["id"] == ids[0]  # case and slash ignored
    again.db.close()
    other.db.close()


def test_an_unknown_site_is_404(tenant: Tenant) -> None:
    for call in (lambda: tenant.site("contoso.sharepoint.com,x,y"), lambda: tenant.lists("nope"),
                 lambda: tenant.site("contoso.sharepoint.com", "/sites/nope")):  # fmt: skip
        with pytest.raises(GraphError) as caught:
            call()
        assert caught.value.status == 404 and caught.value.code == "itemNotFound"
