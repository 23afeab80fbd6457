"""OData query options as the emulator reads them: ``$top``, ``$skiptoken``, ``$expand``,
``$select``, ``$filter`` (``eq ne gt ge lt le``, ``startswith``, ``and``) and next links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from notesmig.emulator.graph_errors import bad_request
from notesmig.emulator.http import Request

_FILTER_TERM = re.compile(
    r"""^\s*(?:fields/(?P<field>\w+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<value>'(?:[^']|'')*'|[^\s)]+)
         |startswith\(\s*fields/(?P<sfield>\w+)\s*,\s*(?P<svalue>'(?:[^']|'')*')\s*\))\s*$""",
    re.VERBOSE,
)


def whole_number(text: str, maximum: int) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None. ASCII digits only: ``'²'`` and
    ``'٣'`` pass ``str.isdigit()``, and int() refuses the first; the length is checked before
    int() is called, which refuses more than 4,300 digits."""
    if not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if value <= maximum else None


def int_param(query: dict[str, str], name: str, default: int, *, maximum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, maximum)
    if value is None:
        raise bad_request(f"The query parameter {name} must be a whole number up to {maximum}.")
    return value


def expand_fields(query: dict[str, str]) -> tuple[bool, set[str] | None]:
    """``$expand=fields`` or ``fields(select=...)``: whether fields are expanded, and which."""
    expansion = expansions(query)
    return expansion.fields, expansion.select


@dataclass(frozen=True)
class Expansion:
    fields: bool = False
    select: set[str] | None = None
    drive_item: bool = False


def expansions(query: dict[str, str]) -> Expansion:
    """A list item's ``$expand``: ``fields`` (or ``fields(select=...)``) and ``driveItem`` (a
    library item's file), comma-separated as Graph takes them."""
    expand = query.get("$expand", "")
    if not expand.strip():
        return Expansion()
    fields, chosen, drive_item = False, None, False
    for part in re.split(r",(?![^(]*\))", expand):
        match = re.fullmatch(r"\s*fields(?:\(\s*\$?select\s*=\s*([^)]*)\))?\s*", part)
        if match is not None:
            fields = True
            if match.group(1) is not None:
                chosen = {name.strip() for name in match.group(1).split(",") if name.strip()}
            continue
        if part.strip() == "driveItem":
            drive_item = True
            continue
        raise bad_request(
            f"$expand={expand} is not supported here; use fields, fields(select=...) or driveItem."
        )
    return Expansion(fields, chosen, drive_item)


def select(query: dict[str, str]) -> set[str] | None:
    raw = query.get("$select")
    return {s.strip() for s in raw.split(",") if s.strip()} if raw else None


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    if not text.strip():
        return []
    conditions = []
    for term in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", text):
        match = _FILTER_TERM.match(term)
        if match is None:
            raise bad_request(f"Invalid filter clause: {term.strip()!r}")
        if match.group("sfield"):
            conditions.append((match.group("sfield"), "startswith", literal(match.group("svalue"))))
        else:
            conditions.append(
                (match.group("field"), match.group("op"), literal(match.group("value")))
            )
    return conditions


def literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise bad_request(f"Invalid literal in filter: {text!r}") from None


def next_link(request: Request, changes: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    query = {k: v for k, v in request.query.items() if k not in drop}
    query.update(changes)
    path = request.raw_path.decode("latin-1")
    path = re.sub("/{2,}", "/", path)
    return f"{request.origin}{path}?{urlencode(query, quote_via=quote, safe='$(),=')}"


#: The query options Graph knows; any other ``$`` option is refused, as Graph does.
_KNOWN_OPTIONS = {
    "$top", "$skiptoken", "$expand", "$select", "$filter", "$orderby", "$count", "$search",
    "$skip", "$format",
}  # fmt: skip


#: The largest ``$top`` read at all (a resource then caps it at its own page size).
_MAX_TOP = 999_999_999


def check_query_options(query: dict[str, str]) -> None:
    """Graph's 400 for an unknown ``$`` option or a ``$top`` that is not a positive integer
    (checked on every request, whatever the resource reads)."""
    for name in query:
        if name.startswith("$") and name not in _KNOWN_OPTIONS:
            raise bad_request(f"Query option '{name}' is not allowed.")
    top = query.get("$top")
    if top is not None and (whole_number(top, _MAX_TOP) or 0) < 1:
        shown = top if len(top) <= 40 else top[:40] + "..."
        raise bad_request(f"Invalid value '{shown}' for $top: a positive integer is expected.")
