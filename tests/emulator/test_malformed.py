"""Malformed requests get Graph's 400-class errors in Graph's shape: never a 500, never a traceback."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator.helpers import new_list

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
field_sets = st.dictionaries(
    st.sampled_from(["Title", "Amount", "Due", "Flag", "Choice", "PersonLookupId", "Nope", "Created",
                     "Amount@odata.type", "Link"]) | st.text(max_size=8),
    json_values, max_size=5,
)  # fmt: skip
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def targets(emulator) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer t"}) as http:
        site = http.get("/sites/contoso.sharepoint.com:/sites/notes-migration:").json()["id"]
        generic = new_list(http, site, [
            {"name": "Amount", "number": {}}, {"name": "Due", "dateTime": {}}, {"name": "Flag", "boolean": {}},
            {"name": "Choice", "choice": {"choices": ["a"]}}, {"name": "Person", "personOrGroup": {}},
            {"name": "Link", "hyperlinkOrPicture": {}},
        ])  # fmt: skip
        library = new_list(http, site, [], "documentLibrary")
        drive = http.get(f"/sites/{site}/lists/{library['id']}/drive").json()["id"]
        item = http.post(f"/sites/{site}/lists/{generic['id']}/items", json={"fields": {}}).json()[
            "id"
        ]
    return {
        "lists": f"/sites/{site}/lists",
        "items": f"/sites/{site}/lists/{generic['id']}/items",
        "fields": f"/sites/{site}/lists/{generic['id']}/items/{item}/fields",
        "columns": f"/sites/{site}/lists/{generic['id']}/columns",
        "session": f"/drives/{drive}/root:/fuzz.bin:/createUploadSession",
        "folder": f"/drives/{drive}/root/children",
    }


def assert_client_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "innerError"} <= set(body["error"])
        assert "Traceback" not in response.text


@FUZZ
@given(body=json_values)
def test_any_json_body(http: httpx.Client, targets: dict[str, str], body: object) -> None:
    for name in ("lists", "items", "columns", "session", "folder"):
        assert_client_error(http.post(targets[name], json=body))
    assert_client_error(http.patch(targets["fields"], json=body))
    assert_client_error(http.post("/$batch", json=body))


@FUZZ
@given(fields=field_sets)
def test_any_field_values(http: httpx.Client, targets: dict[str, str], fields: dict) -> None:  # type: ignore[type-arg]
    assert_client_error(http.post(targets["items"], json={"fields": fields}))
    assert_client_error(http.patch(targets["fields"], json=fields))


@FUZZ
@given(
    raw=st.binary(max_size=64),
    content_range=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
def test_any_bytes_and_ranges(
    http: httpx.Client, targets: dict[str, str], raw: bytes, content_range: str
) -> None:
    assert_client_error(
        http.post(targets["items"], content=raw, headers={"Content-Type": "application/json"})
    )
    session = http.post(targets["session"], json={}).json()["uploadUrl"]
    assert_client_error(
        httpx.put(session, content=raw, headers={"Content-Range": content_range.strip()})
    )


@pytest.mark.parametrize(
    "query",
    ["$top=abc", "$top=999999999999", "$skiptoken=x", "$filter=fields/", "$filter=fields/Amount eq",
     "$filter=startswith(fields/Title", "$expand=children", "$filter=fields/Amount%20eq%20'%27"],
)  # fmt: skip
def test_bad_query_strings(http: httpx.Client, targets: dict[str, str], query: str) -> None:
    response = http.get(f"{targets['items']}?{query}")
    assert_client_error(response)
    assert response.status_code == 400


def test_bad_paths_and_methods(http: httpx.Client, targets: dict[str, str]) -> None:
    for method, path in (("GET", "/nothing"), ("DELETE", targets["columns"]), ("PUT", targets["items"]),
                         ("GET", "/sites/%FF%FE"), ("GET", "/drives/nope/root"), ("POST", "/sites/root")):  # fmt: skip
        response = http.request(method, path)
        assert_client_error(response)
        assert 400 <= response.status_code < 500
    assert http.get("/../beta/sites/root").status_code == 400  # only v1.0 is served
