"""SharePoint's resource units: what each request costs against the tenant's per-app budget.

Source: "Avoid getting throttled or blocked in SharePoint Online" (SharePoint/sp-dev-docs,
how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online.md): 1 unit for a single-item
read (and a delta query with a token), 2 for a multi-item read or any create, update, delete or
upload, 5 for any permission operation. Every request inside $batch counts on its own. The
per-minute budget by licence count: 1,200 / 2,400 / 3,600 / 4,800 / 6,000.

:func:`request_cost` and :func:`rest_cost` classify a request: the emulator charges with them and
the loader paces itself with them, so the two can never disagree on what a request costs (when
they did, the loader spent what it believed was 99% of the budget while the emulator counted
more, and throttled 2% of the uploads of a 12,000-document load).
"""

from __future__ import annotations

from collections.abc import Sequence

COST_READ = 1
COST_LIST = 2
COST_WRITE = 2
COST_PERMISSION = 5
#: The per-app budget per minute of a tenant with 1,000 to 5,000 licences (the city's band).
DEFAULT_RU_PER_MINUTE = 2_400

#: Path segments that make a request a permission operation (Graph and SharePoint REST).
_PERMISSION_SEGMENTS = ("permissions", "invite", "grant", "roleassignments", "sitegroups")
_PERMISSION_CALLS = ("breakroleinheritance", "resetroleinheritance", "addroleassignment",
                     "removeroleassignment", "getbyprincipalid", "sitegroups(")  # fmt: skip
#: The last segment of a Graph read that returns a collection.
_GRAPH_COLLECTIONS = frozenset(
    ("lists", "items", "columns", "children", "delta", "delta()", "drives")
)
#: The last segment of a REST read that returns a collection ("multi-item query"); a read of
#: one thing (``items(3)``, ``getbyname('x')``, ``ListItemAllFields``) is a single-item read.
_REST_COLLECTIONS = frozenset(
    ("items", "lists", "fields", "views", "folders", "files", "users", "siteusers", "sitegroups",
     "roleassignments", "roledefinitions", "getitems")
)  # fmt: skip


def request_cost(method: str, segments: Sequence[str], *, collection: bool) -> int:
    """Resource units one request costs (``collection``: a read of many items)."""
    lowered = [s.lower() for s in segments]
    if any(s in _PERMISSION_SEGMENTS or s.startswith(_PERMISSION_CALLS) for s in lowered):
        return COST_PERMISSION
    if method.upper() == "GET":
        return COST_LIST if collection else COST_READ
    return COST_WRITE


def graph_collection(segments: Sequence[str]) -> bool:
    """Whether a Graph read (segments after ``v1.0``) is of a collection."""
    return bool(segments) and segments[-1] in _GRAPH_COLLECTIONS


def graph_cost(method: str, path: str) -> int:
    """Resource units one Graph request costs (its path after ``/v1.0``, query and all)."""
    segments = graph_segments(path)
    return request_cost(method, segments, collection=graph_collection(segments))


def graph_segments(path: str) -> list[str]:
    """A Graph path's segments with each ``base:/a/b:`` path reference as one ``":"`` (a file
    or folder named ``items`` or ``permissions`` is a name, not part of the route)."""
    segments: list[str] = []
    inside = False
    for segment in rest_segments(path):
        if inside:
            inside = not segment.endswith(":")
            continue
        _base, colon, rest = segment.partition(":")
        if colon:
            segments.append(":")
            inside = not rest  # "root:" opens a reference; "root:%2Fa%2Fb:" is one segment
            continue
        segments.append(segment)
    return segments


def rest_segments(path: str) -> list[str]:
    """The segments of a REST or Graph path (its query left out)."""
    return [s for s in path.split("?", 1)[0].split("/") if s]


def rest_collection(segments: Sequence[str]) -> bool:
    """Whether a SharePoint REST read (segments after ``_api``) is of a collection."""
    return bool(segments) and segments[-1].lower() in _REST_COLLECTIONS


def rest_cost(method: str, path: str) -> int:
    """Resource units one SharePoint REST request costs (its path after ``_api/``)."""
    segments = rest_segments(path)
    return request_cost(method, segments, collection=rest_collection(segments))
