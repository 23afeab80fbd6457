"""Accounts as site users: those already on the site read once, others ensured once per run,
accounts SharePoint does not know remembered as unknown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import GraphEndpoint, graph_client
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.rest import RestEndpoint, RestRequestError, SharePointRest
from tests.migration import SITE

SITE_NAME = "contoso.sharepoint.com:/sites/notes-migration"
SITE_PATH = "/sites/notes-migration"
ADMIN = "admin@contoso.onmicrosoft.com"
MEMBER = "yamada.taro@contoso.onmicrosoft.com"
NEWCOMER = "sato.hanako@contoso.onmicrosoft.com"  # in the directory, not yet on the site
NEVER_ENSURED = "tanaka.jiro@contoso.onmicrosoft.com"  # in the directory; no test ensures it
TOKEN = "people-test-token"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    folder = tmp_path_factory.mktemp("people")
    users = folder / "users.csv"
    users.write_text("upn,display_name\n" + "".join(f"{u},{u}\n" for u in (
        ADMIN, MEMBER, NEWCOMER, NEVER_ENSURED)), encoding="utf-8")  # fmt: skip
    options = ("--ru-per-minute", "0", "--users", str(users), "--site-member", MEMBER,
               "--token", TOKEN)  # fmt: skip
    data = folder / "emulator"
    with EmulatorProcess(data, options=options) as running:
        yield running


def rest_for(emulator: EmulatorProcess, token: str = TOKEN) -> SharePointRest:
    endpoint = GraphEndpoint(emulator.graph_url, token=token)
    return SharePointRest(RestEndpoint.for_site(endpoint, SITE_NAME), ResourceBudget(0))


@pytest.fixture
async def people(emulator: EmulatorProcess) -> AsyncIterator[SitePeople]:
    _client, adapter = graph_client(emulator.graph_url, TOKEN)
    graph = Graph(adapter, ResourceBudget(0))
    site_id = (await graph.get_json(SITE))["id"]
    async with rest_for(emulator) as rest:
        yield await SitePeople(graph, rest, site_id, SITE_PATH).load()


@pytest.mark.anyio
async def test_accounts_already_on_the_site_are_read_once(people: SitePeople) -> None:
    assert {ADMIN, MEMBER} <= set(people.ids) and NEVER_ENSURED not in people.ids
    member = await people.id_of(MEMBER.upper())  # a UPN whatever its case
    assert member == people.ids[MEMBER]
    assert people.rest.stats.requests == 0  # no REST request for a known account


@pytest.mark.anyio
async def test_an_account_not_yet_on_the_site_is_ensured_once(
    people: SitePeople, emulator: EmulatorProcess
) -> None:
    found = await people.id_of(NEWCOMER)
    assert found is not None and found not in (people.ids[ADMIN], people.ids[MEMBER])
    assert await people.id_of(NEWCOMER) == found
    assert people.rest.stats.requests == 1
    # On the site now: the next run reads it with the others.
    again = await SitePeople(people.graph, people.rest, people.site_id, SITE_PATH).load()
    assert again.ids[NEWCOMER] == found


@pytest.mark.anyio
async def test_an_account_sharepoint_does_not_know_is_unknown_and_asked_once(
    people: SitePeople,
) -> None:
    assert await people.id_of("Ghost@contoso.jp") is None
    assert await people.id_of("ghost@contoso.jp") is None
    assert people.unknown == {"ghost@contoso.jp"}
    assert people.rest.stats.requests == 1


@pytest.mark.anyio
async def test_any_other_refusal_is_not_taken_for_an_unknown_account(
    people: SitePeople, emulator: EmulatorProcess
) -> None:
    async with rest_for(emulator, "a-token-the-emulator-refuses") as refused:
        locked_out = SitePeople(people.graph, refused, people.site_id, SITE_PATH)
        with pytest.raises(RestRequestError) as caught:
            await locked_out.id_of(NEVER_ENSURED)
    assert caught.value.status == 401 and locked_out.unknown == set()
