"""Column definitions (Graph ``columnDefinition``) and the checks SharePoint makes on values.

A column's type is one facet: text, number, dateTime, boolean, choice (multi-select when shown
as check boxes, as SharePoint does), personOrGroup, lookup or hyperlinkOrPicture. Person and
lookup values are written as ``{name}LookupId`` (a collection for multi-value columns).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from notesmig.emulator.graph_errors import GraphError, bad_request, unknown_property
from notesmig.emulator.odata import whole_number
from notesmig.spfacts.columns import COLUMN_FACETS

#: The largest integer SQLite stores; a larger id in a query is an OverflowError, not a miss.
SQLITE_MAX_INT = 2**63 - 1


def sqlite_id(value: object) -> int | None:
    """An item or lookup id as a request writes it (a whole number, or its digits as text),
    or None when it cannot be one: SQLite can look it up without raising."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= SQLITE_MAX_INT else None
    if isinstance(value, str):
        key = whole_number(value.strip(), SQLITE_MAX_INT)
        return key if key else None
    return None


_COMMON = {
    "name",
    "displayName",
    "description",
    "columnGroup",
    "enforceUniqueValues",
    "hidden",
    "indexed",
    "required",
    "readOnly",
    "id",
    "isDeletable",
    "isReorderable",
    "isSealed",
    "propagateChanges",
    "@odata.type",
}
_FACET_PROPERTIES = {
    "text": {
        "allowMultipleLines",
        "appendChangesToExistingText",
        "linesForEditing",
        "maxLength",
        "textType",
    },
    "number": {"decimalPlaces", "displayAs", "maximum", "minimum"},
    "dateTime": {"displayAs", "format"},
    "boolean": set(),
    "choice": {"allowTextEntry", "choices", "displayAs"},
    "personOrGroup": {"allowMultipleSelection", "chooseFromType", "displayAs"},
    "lookup": {
        "allowMultipleValues",
        "allowUnlimitedLength",
        "columnName",
        "listId",
        "primaryLookupColumnId",
    },
    "hyperlinkOrPicture": {"isPicture"},
}
SINGLE_LINE_MAX = 255
MULTI_LINE_MAX = 63_999


@dataclass
class Column:
    """One column of a list, with the facet that gives its type."""

    name: str
    display_name: str
    facet: str
    settings: dict[str, Any] = field(default_factory=dict)
    indexed: bool = False
    required: bool = False
    unique: bool = False
    read_only: bool = False
    hidden: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    builtin: bool = False

    @property
    def multi(self) -> bool:
        settings = self.settings
        return bool(
            (self.facet == "choice" and settings.get("displayAs") == "checkBoxes")
            or (self.facet == "personOrGroup" and settings.get("allowMultipleSelection"))
            or (self.facet == "lookup" and settings.get("allowMultipleValues"))
        )

    @property
    def uses_lookup_id(self) -> bool:
        return self.facet in ("personOrGroup", "lookup")

    def as_graph(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "columnGroup": "Custom Columns" if not self.builtin else "Core Columns",
            "description": "",
            "displayName": self.display_name,
            "enforceUniqueValues": self.unique,
            "hidden": self.hidden,
            "id": self.id,
            "indexed": self.indexed,
            "name": self.name,
            "readOnly": self.read_only,
            "required": self.required,
        }
        if self.facet != "hyperlinkOrPicture":
            # Graph reads a hyperlink column back without its facet (microsoft-graph-toolkit
            # #1614, alcionai/corso #4971): nothing says it is a hyperlink.
            body[self.facet] = dict(self.settings)
        return body


def parse_column(body: Any) -> tuple[Column, str]:
    """A new column from a create-column request body; returns it and its requested name."""
    if not isinstance(body, dict):
        raise bad_request("A column definition must be a JSON object.")
    unknown = set(body) - _COMMON - set(COLUMN_FACETS)
    if unknown:
        name = sorted(unknown)[0]
        raise unknown_property(name, "columnDefinition")
    facets = [f for f in COLUMN_FACETS if f in body]
    if len(facets) != 1:
        raise bad_request("A column definition needs exactly one type facet (text, number, ...).")
    facet = facets[0]
    settings = body[facet]
    if not isinstance(settings, dict):
        raise bad_request(f"'{facet}' must be an object.")
    extra = set(settings) - _FACET_PROPERTIES[facet]
    if extra:
        raise unknown_property(sorted(extra)[0], f"{facet}Column")
    requested = body.get("name")
    if not isinstance(requested, str) or not requested.strip():
        raise bad_request("The column 'name' is required and must be a non-empty string.")
    display = body.get("displayName", requested)
    flags = {}
    for key in ("indexed", "required", "enforceUniqueValues", "hidden", "readOnly"):
        value = body.get(key, False)
        if not isinstance(value, bool):
            raise bad_request(f"'{key}' must be a boolean.")
        flags[key] = value
    if not isinstance(display, str):
        raise bad_request("'displayName' must be a string.")
    # SharePoint's field titles hold at most 255 characters.
    if len(requested) > 255 or len(display) > 255:
        raise bad_request("A column name or display name holds at most 255 characters.")
    settings = dict(settings)
    if facet == "text":
        _check_text_settings(settings)
    elif facet == "choice":
        choices = settings.get("choices", [])
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise bad_request("'choice.choices' must be a list of strings.")
    elif facet == "lookup" and not isinstance(settings.get("listId"), str):
        raise bad_request("'lookup.listId' is required.")
    if flags["enforceUniqueValues"] and not flags["indexed"]:
        raise bad_request("A column that enforces unique values must be indexed.")
    column = Column(
        name=requested,
        display_name=display,
        facet=facet,
        settings=settings,
        indexed=flags["indexed"],
        required=flags["required"],
        unique=flags["enforceUniqueValues"],
        hidden=flags["hidden"],
        read_only=flags["readOnly"],
    )
    return column, requested


def _check_text_settings(settings: dict[str, Any]) -> None:
    multiline = settings.setdefault("allowMultipleLines", False)
    if not isinstance(multiline, bool):
        raise bad_request("'text.allowMultipleLines' must be a boolean.")
    default = MULTI_LINE_MAX if multiline else SINGLE_LINE_MAX
    length = settings.setdefault("maxLength", default)
    if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= default:
        raise bad_request(f"'text.maxLength' must be an integer from 1 to {default}.")
    text_type = settings.setdefault("textType", "plain")
    if text_type not in ("plain", "richText"):
        raise bad_request("'text.textType' must be 'plain' or 'richText'.")
    settings.setdefault("appendChangesToExistingText", False)
    settings.setdefault("linesForEditing", 6 if multiline else 0)


# -- values -------------------------------------------------------------------------------


def _wrong_type(column: Column, expected: str, value: Any) -> GraphError:
    return bad_request(
        f"Field '{column.name}' expects {expected}; the value {value!r} cannot be converted."
    )


def normalise_value(column: Column, value: Any, user_ids: set[int], lookup_ids: set[int]) -> Any:
    """The stored form of a value written to ``column``, or Graph's 400 saying why not."""
    if value is None:
        return None
    if column.multi:
        if not isinstance(value, list):
            raise _wrong_type(column, "a collection", value)
        return [_single(column, v, user_ids, lookup_ids) for v in value]
    return _single(column, value, user_ids, lookup_ids)


def _single(column: Column, value: Any, user_ids: set[int], lookup_ids: set[int]) -> Any:
    facet = column.facet
    if facet == "text":
        if not isinstance(value, str):
            raise _wrong_type(column, "text", value)
        limit = column.settings.get("maxLength", SINGLE_LINE_MAX)
        if len(value) > limit:
            raise bad_request(
                f"The value of field '{column.name}' is {len(value)} characters long; "
                f"the column allows {limit}."
            )
        return value
    if facet == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(column, "a number", value)
        low, high = column.settings.get("minimum"), column.settings.get("maximum")
        if (isinstance(low, int | float) and value < low) or (
            isinstance(high, int | float) and value > high
        ):
            raise bad_request(f"The value {value} of field '{column.name}' is out of range.")
        return value
    if facet == "boolean":
        if not isinstance(value, bool):
            raise _wrong_type(column, "a boolean", value)
        return value
    if facet == "dateTime":
        return _datetime_value(column, value)
    if facet == "choice":
        if not isinstance(value, str):
            raise _wrong_type(column, "a choice (text)", value)
        choices = column.settings.get("choices", [])
        if choices and value not in choices and not column.settings.get("allowTextEntry"):
            raise bad_request(f"'{value}' is not one of the choices of field '{column.name}'.")
        return value
    if facet in ("personOrGroup", "lookup"):
        try:
            key = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(Infinity)
            raise _wrong_type(column, "a lookup id", value) from None
        if isinstance(value, bool) or key < 1:
            raise _wrong_type(column, "a lookup id", value)
        known = user_ids if facet == "personOrGroup" else lookup_ids
        if key not in known:
            raise bad_request(f"The lookup id {key} of field '{column.name}' does not exist.")
        return key
    if facet == "hyperlinkOrPicture":
        if isinstance(value, str):
            value = {"Url": value}
        if not isinstance(value, dict) or not isinstance(value.get("Url"), str):
            raise _wrong_type(column, "a link ({'Url', 'Description'})", value)
        if set(value) - {"Url", "Description"}:
            raise bad_request(f"Field '{column.name}' accepts only 'Url' and 'Description'.")
        return {"Url": value["Url"], "Description": value.get("Description", value["Url"])}
    raise bad_request(f"Field '{column.name}' cannot be written.")


def _datetime_value(column: Column, value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong_type(column, "a date-time (ISO 8601 text)", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise _wrong_type(column, "a date-time (ISO 8601 text)", value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
