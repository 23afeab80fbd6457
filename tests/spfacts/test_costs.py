"""What SharePoint charges per request, as the loader paces itself and the emulator charges."""

from __future__ import annotations

import pytest

from notesmig.spfacts.costs import graph_cost, rest_cost


@pytest.mark.parametrize(
    ("method", "path", "units"),
    [
        ("GET", "/sites/s/lists/l/items/7", 1),
        ("GET", "/sites/s/lists/l/items?$filter=fields/NotesUNID%20eq%20'A'", 2),
        ("GET", "/sites/s/lists/l/columns", 2),
        ("GET", "/drives/d/root:/申請/a.pdf:", 1),
        ("GET", "/drives/d/root:/items/permissions:", 1),  # names in a path are not the route
        ("GET", "/drives/d/root:/folder:/children", 2),
        ("PUT", "/drives/d/root:/folder/a.pdf:/content", 2),
        ("POST", "/sites/s/lists/l/items", 2),
        ("PATCH", "/sites/s/lists/l/items/7/fields", 2),
        ("POST", "/drives/d/items/i/invite", 5),
        ("GET", "/drives/d/items/i/permissions", 5),
    ],
)
def test_graph_requests_cost_what_sharepoint_publishes(method: str, path: str, units: int) -> None:
    assert graph_cost(method, path) == units


@pytest.mark.parametrize(
    ("method", "path", "units"),
    [
        ("GET", "web/lists(guid'x')/items(3)", 1),
        ("GET", "web/lists(guid'x')/items(3)?$expand=Editor", 1),
        ("GET", "web/lists(guid'x')/items?$filter=Id eq 3", 2),
        ("GET", "web/roledefinitions/getbyname('Read')", 1),
        ("GET", "web/RegionalSettings/TimeZone", 1),
        ("GET", "web/GetFolderByServerRelativePath(decodedurl='%2Fsites%2Fs%2Fl%2Fa')/ListItemAllFields", 1),
        ("GET", "web/lists(guid'x')/items(3)/roleassignments?$expand=Member", 5),
        ("GET", "web/sitegroups/getbyname('g')", 5),
        ("POST", "web/sitegroups(4)/users", 5),
        ("POST", "web/lists(guid'x')/breakroleinheritance(copyRoleAssignments=false,clearSubscopes=true)", 5),
        ("POST", "web/ensureuser", 2),
        ("POST", "web/lists(guid'x')/items(3)/ValidateUpdateListItem()", 2),
    ],
)  # fmt: skip
def test_rest_requests_cost_what_sharepoint_publishes(method: str, path: str, units: int) -> None:
    assert rest_cost(method, path) == units
