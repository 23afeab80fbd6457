"""Is what SharePoint holds what was loaded? Field values compared after normalisation.

SharePoint gives values back in its own forms: people as site user ids, date-times in UTC with
its own precision, rich text with its own markup, numbers as floats. Each is brought to one
form before comparing, so a difference is a real one: text exactly (line ends aside), rich
text by what it says, numbers by value, date-times as moments, choices as sets when several,
people by account, links by address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.etree
import lxml.html

from notesmig.mapping.model import ColumnType
from notesmig.records import Difference
from notesmig.sharepoint.provision import ColumnInfo

#: Columns every item carries whose values are moments.
MOMENT_COLUMNS = frozenset({"NotesCreated", "NotesModified"})


@dataclass(frozen=True)
class FieldPlan:
    """How one expected field is found and compared: its internal name and kind."""

    column: str
    info: ColumnInfo | None
    kind: ColumnType | None


def actual_value(fields: dict[str, Any], plan: FieldPlan) -> Any:
    """The value SharePoint reports for a field (people and lookups by their ids)."""
    if plan.info is None:
        return None
    key = plan.info.internal
    if plan.info.facet in ("personOrGroup", "lookup"):
        return fields.get(f"{key}LookupId")
    return fields.get(key)


def normalise(value: Any, plan: FieldPlan, upn_of: dict[int, str]) -> Any:
    """One value in the one form both sides are compared in."""
    kind = plan.kind
    facet = plan.info.facet if plan.info is not None else None
    if value in (None, "", []):
        return None
    if facet == "personOrGroup":
        ids = value if isinstance(value, list) else [value]
        return frozenset(upn_of.get(int(i), f"#{i}") for i in ids if str(i).strip())
    if kind is ColumnType.RICHTEXT:
        return _text_of_html(str(value))
    if kind in (ColumnType.DATETIME, ColumnType.DATEONLY) or plan.column in MOMENT_COLUMNS:
        return _moment(value)
    if kind is ColumnType.NUMBER or facet == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value)
    if kind is ColumnType.BOOLEAN or facet == "boolean":
        return bool(value)
    if kind is ColumnType.HYPERLINK or facet == "hyperlinkOrPicture":
        return str(value.get("Url") or "") if isinstance(value, dict) else str(value)
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return str(value).replace("\r\n", "\n")


def expected_people(value: Any, known: set[str]) -> Any:
    """The accounts an expected person field should hold: those SharePoint knows (a name
    without an account was never written; its Notes form is in the companion column)."""
    names = value if isinstance(value, list) else [value] if value else []
    found = frozenset(str(n).lower() for n in names if str(n).lower() in known)
    return found or None


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    return bool(expected == actual)


def differences(
    expected_fields: dict[str, Any],
    fields: dict[str, Any],
    plans: dict[str, FieldPlan],
    upn_of: dict[int, str],
) -> list[Difference]:
    """Every expected field whose value in SharePoint differs (after normalisation)."""
    known = {upn.lower() for upn in upn_of.values()}
    found: list[Difference] = []
    for column, value in sorted(expected_fields.items()):
        plan = plans.get(column)
        if plan is None or plan.info is None:
            if value not in (None, "", []):
                found.append(Difference(field=column, expected=_shown(value), actual="(no column)"))
            continue
        if plan.info.facet == "personOrGroup":
            want = expected_people(value, known)
            got = normalise(actual_value(fields, plan), plan, upn_of)
            if got is not None:
                got = frozenset(g.lower() for g in got)
        else:
            want = normalise(value, plan, upn_of)
            got = normalise(actual_value(fields, plan), plan, upn_of)
        if not same(want, got):
            found.append(Difference(field=column, expected=_shown(want), actual=_shown(got)))
    return found


def _text_of_html(markup: str) -> str:
    try:
        text = lxml.html.fragment_fromstring(markup, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError):
        text = markup
    return " ".join(text.split())


def _moment(value: Any) -> Any:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _shown(value: Any) -> Any:
    """A value as the ledger and the report keep it (JSON)."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str) and len(value) > 300:
        return value[:297] + "..."
    return value
