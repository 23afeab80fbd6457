"""SharePoint REST against the emulator: users ensured on a site, fields set with SharePoint's
own parsing (every refusal named), both answer shapes read, and a refusal no retry cures
reported at once, and the site's clock as SharePoint keeps it, daylight saving included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.errors import TerminalError
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.sharepoint.credentials import GraphCredentials
from notesmig.sharepoint.rest import (
    FieldUpdateError,
    RestEndpoint,
    RestRequestError,
    SharePointRest,
    group_login,
    login_name,
    site_path_of,
)
from tests.emulator.helpers import new_list
from tests.migration import SITE

SITE_NAME = "contoso.sharepoint.com:/sites/notes-migration"
SITE_PATH = "/sites/notes-migration"
MEMBER = "yamada.taro@contoso.onmicrosoft.com"
NEWCOMER = "sato.hanako@contoso.onmicrosoft.com"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data = tmp_path_factory.mktemp("rest") / "emulator"
    options = ("--ru-per-minute", "0", "--site-member", MEMBER,
               "--break-inheritance-max-items", "1")  # fmt: skip
    with EmulatorProcess(data, options=options) as running:
        yield running


@pytest.fixture
def http(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"},
                      timeout=30) as client:  # fmt: skip
        yield client


def rest_for(emulator: EmulatorProcess) -> SharePointRest:
    return SharePointRest(RestEndpoint.for_site(GraphEndpoint(emulator.graph_url), SITE_NAME),
                          ResourceBudget(0))  # fmt: skip


@pytest.mark.anyio
async def test_a_user_is_ensured_on_the_site_once_and_an_unknown_one_refused(
    emulator: EmulatorProcess,
) -> None:
    async with rest_for(emulator) as rest:
        member = await rest.ensure_user(SITE_PATH, MEMBER)
        assert await rest.ensure_user(SITE_PATH, MEMBER.upper()) == member
        newcomer = await rest.ensure_user(SITE_PATH, NEWCOMER)
        assert newcomer not in (member, 0)
        users = await rest.call("GET", SITE_PATH, "web/siteusers")
        assert {u["Id"]: u["LoginName"] for u in users if u["Id"] in (member, newcomer)} == {
            member: login_name(MEMBER), newcomer: login_name(NEWCOMER)}  # fmt: skip
        with pytest.raises(RestRequestError, match=r"ensureuser ghost@contoso\.jp: 400") as caught:
            await rest.ensure_user(SITE_PATH, "ghost@contoso.jp")
        assert caught.value.status == 400 and "could not be found" in caught.value.message
        assert (rest.stats.requests, rest.stats.writes, rest.stats.retried) == (5, 4, 0)


@pytest.mark.anyio
async def test_verbose_and_nometadata_answers_read_alike(emulator: EmulatorProcess) -> None:
    verbose = {"Accept": "application/json;odata=verbose"}
    async with rest_for(emulator) as rest:
        plain = await rest.call("GET", SITE_PATH, "web/siteusers")
        wrapped = await rest.call("GET", SITE_PATH, "web/siteusers", headers=verbose)
        assert isinstance(plain, list) and plain == wrapped  # {"value": [...]}, {"d": {"results"}}
        zone = await rest.call("GET", SITE_PATH, "web/RegionalSettings", headers=verbose)
        assert "LocaleId" in zone  # {"d": {...}}: the object itself


@pytest.mark.anyio
async def test_fields_are_set_by_sharepoints_parsing_and_every_refusal_named(
    emulator: EmulatorProcess, http: httpx.Client
) -> None:
    site_id = http.get(SITE).json()["id"]
    target = new_list(http, site_id, [{"name": "Note", "text": {}},
                                      {"name": "Link", "hyperlinkOrPicture": {}}])  # fmt: skip
    item = http.post(f"/sites/{site_id}/lists/{target['id']}/items",
                     json={"fields": {"Title": "出張"}}).json()  # fmt: skip
    fields = f"/sites/{site_id}/lists/{target['id']}/items/{item['id']}/fields"
    async with rest_for(emulator) as rest:
        with pytest.raises(FieldUpdateError, match=r"^item 1: SharePoint refused Created: ") as e:
            await rest.validate_update(SITE_PATH, target["id"], item["id"],
                                       {"Note": "変更", "Created": "2024-04-01T09:15:30+09:00"},
                                       what="item 1")  # fmt: skip
        assert [name for name, _message in e.value.failures] == ["Created"]
        assert "Note" not in http.get(fields).json()  # one field refused: nothing changed
        await rest.validate_update(SITE_PATH, target["id"], item["id"],
                                   {"Note": "変更", "Link": "https://www.city.example.jp/a, 規程"},
                                   what="item 1")  # fmt: skip
    read = http.get(fields).json()
    assert read["Note"] == "変更"
    assert read["Link"] == {"Url": "https://www.city.example.jp/a", "Description": "規程"}


@pytest.mark.anyio
async def test_breaking_inheritance_on_a_list_too_large_is_refused_at_once(
    emulator: EmulatorProcess, http: httpx.Client
) -> None:
    site_id = http.get(SITE).json()["id"]
    target = new_list(http, site_id, [])
    for title in ("一", "二"):  # over the emulator's limit of one
        http.post(f"/sites/{site_id}/lists/{target['id']}/items", json={"fields": {"Title": title}})
    path = (f"web/lists(guid'{target['id']}')/breakroleinheritance(copyRoleAssignments=false,"
            "clearSubscopes=false)")  # fmt: skip
    async with rest_for(emulator) as rest:
        with pytest.raises(RestRequestError, match=r"more than 100,000 items") as caught:
            await rest.permission_call("POST", SITE_PATH, path, what="break inheritance")
        # A 429 retrying cannot cure: reported, not retried for minutes.
        assert caught.value.status == 429
        assert (rest.stats.requests, rest.stats.retried, rest.stats.throttled) == (1, 0, 0)


def test_the_rest_endpoint_of_a_site_the_token_pinned_to_its_host() -> None:
    emulator = GraphEndpoint("http://127.0.0.1:8765/v1.0")
    local = RestEndpoint.for_site(emulator, SITE_NAME)
    assert (local.origin, local.token_host, local.site_host) == (
        "http://127.0.0.1:8765", "127.0.0.1", "contoso.sharepoint.com")  # fmt: skip
    credentials = GraphCredentials("tenant", "app", "secret")
    tenant = GraphEndpoint(credentials.graph_url, credentials)
    found = RestEndpoint.for_site(tenant, "Contoso.SharePoint.com:/sites/notes-migration")
    assert (found.origin, found.token_host) == ("https://contoso.sharepoint.com",
                                                "contoso.sharepoint.com")  # fmt: skip
    assert RestEndpoint.for_site(tenant, "city.sharepoint.us:/sites/x").origin == (
        "https://city.sharepoint.us"
    )
    for host in ("evil.example", "contoso.sharepoint.com.evil.example"):
        with pytest.raises(TerminalError, match="not a SharePoint Online host"):
            RestEndpoint.for_site(tenant, f"{host}:/sites/x")


def test_claims_logins_and_site_paths() -> None:
    assert login_name("yamada@contoso.jp") == "i:0#.f|membership|yamada@contoso.jp"
    assert group_login("0d1f6b7e-0000") == "c:0t.c|tenant|0d1f6b7e-0000"
    assert site_path_of(SITE_NAME) == SITE_PATH
    assert site_path_of("contoso.sharepoint.com:/sites/notes migration/") == (
        "/sites/notes%20migration"
    )
    assert site_path_of("contoso.sharepoint.com") == ""  # the root site: /_api directly


@pytest.mark.anyio
@pytest.mark.parametrize(("zone", "summer", "winter"), [("20", 9, 9), ("2", 1, 0), ("10", -4, -5)])
async def test_the_sites_clock_is_sharepoints_daylight_saving_included(
    tmp_path: Path, zone: str, summer: int, winter: int
) -> None:
    from datetime import UTC, datetime, timedelta

    with EmulatorProcess(tmp_path / "e", options=("--ru-per-minute", "0", "--time-zone", zone)
                         ) as running:  # fmt: skip
        async with rest_for(running) as rest:
            clock = rest.clock(SITE_PATH)
            for moment, hours in ((datetime(2024, 7, 1, 12, tzinfo=UTC), summer),
                                  (datetime(2024, 12, 1, 12, tzinfo=UTC), winter),
                                  (datetime(1999, 2, 1, 12, tzinfo=UTC), winter)):  # fmt: skip
                local = await clock.local(moment)
                assert local == (moment + timedelta(hours=hours)).replace(tzinfo=None)
            asked = rest.stats.requests
            if zone == "2":
                # The change of 2024 found to the minute: 01:00 UTC on 31 March.
                before = await clock.local(datetime(2024, 3, 31, 0, 59, tzinfo=UTC))
                after = await clock.local(datetime(2024, 3, 31, 1, 0, tzinfo=UTC))
                assert (before, after) == (
                    datetime(2024, 3, 31, 0, 59),
                    datetime(2024, 3, 31, 2, 0),
                )
            else:
                await clock.local(datetime(2024, 8, 1, tzinfo=UTC))
            assert rest.stats.requests == asked  # each year asked once
