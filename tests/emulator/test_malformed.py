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


def snapshot(http: httpx.Client, targets: dict[str, str]) -> tuple[object, ...]:
    """What the fuzzed requests could change: the item, the list's items and columns."""
    item = http.get(targets["fields"]).json()
    items = http.get(targets["items"], params={"$top": "5000"}).json()["value"]
    columns = http.get(targets["columns"]).json()["value"]
    return item, [i["id"] for i in items], [c["name"] for c in columns]


query_options = st.dictionaries(
    st.sampled_from(["$top", "$skiptoken", "$expand", "$select", "$filter", "$orderby", "$x",
                     "token", "$count"]) | st.text(max_size=6),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x3000), max_size=30), max_size=3,
)  # fmt: skip
headers = st.dictionaries(
    st.sampled_from(["If-Match", "Prefer", "Content-Type", "Accept", "Content-Range",
                     "client-request-id"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    max_size=3,
)  # fmt: skip


@FUZZ
@given(body=json_values, query=query_options, extra=headers)
def test_a_refused_request_changes_nothing(
    http: httpx.Client, targets: dict[str, str], body: object, query: dict[str, str],
    extra: dict[str, str],
) -> None:  # fmt: skip
    before = snapshot(http, targets)
    for method, name in (("PATCH", "fields"), ("POST", "items"), ("POST", "columns"),
                         ("GET", "items"), ("DELETE", "fields")):  # fmt: skip
        response = http.request(method, targets[name], json=body, params=query, headers=extra)
        assert_client_error(response)
        if response.status_code >= 400:
            assert snapshot(http, targets) == before, (method, name, response.text)
        else:
            before = snapshot(http, targets)


@pytest.mark.parametrize(
    ("kind", "make"),
    [("deep JSON", lambda: "[" * 50_000 + "]" * 50_000),
     ("deep objects", lambda: '{"a":' * 30_000 + "1" + "}" * 30_000),
     ("huge list name", lambda: '{"displayName": "' + "あ" * 100_000 + '"}'),
     ("many columns", lambda: '{"displayName": "wide", "columns": ['
      + ",".join(f'{{"name": "c{n}", "text": {{}}}}' for n in range(5_000)) + "]}")],
)  # fmt: skip
def test_hostile_bodies_are_refused_at_once(
    http: httpx.Client, targets: dict[str, str], kind: str, make: object
) -> None:
    import time

    started = time.perf_counter()
    response = http.post(
        targets["lists"], content=make(), headers={"Content-Type": "application/json"}
    )  # type: ignore[operator]
    assert response.status_code == 400, (kind, response.text[:200])
    assert_client_error(response)
    # Another client is served at once afterwards: nothing was left blocking the server.
    assert http.get(targets["columns"]).status_code == 200
    assert time.perf_counter() - started < 30, kind


@pytest.mark.parametrize("top", ["-1", "abc", "0", "1e3", ""])
def test_top_is_a_positive_integer_on_every_resource(
    http: httpx.Client, targets: dict[str, str], top: str
) -> None:
    for name in ("lists", "columns", "items"):
        response = http.get(targets[name], params={"$top": top})
        assert response.status_code == 400, (name, top, response.text)
