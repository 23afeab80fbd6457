"""Conversion of Notes item values to the value of one SharePoint column.

Each column type takes the Notes values it can represent faithfully and refuses the rest with
:class:`ConversionError` (the document then goes to quarantine): no silent truncation, no
guessed types. Date-times go to UTC ISO 8601 (their original offset optionally kept beside).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import Item, ItemValue, as_text
from notesmig.errors import TerminalError
from notesmig.mapping.model import ColumnType, ItemMapping, UserPolicy
from notesmig.mapping.users import UserDirectory, abbreviate
from notesmig.spfacts.limits import EARLIEST_DATETIME, LATEST_DATETIME
from notesmig.spfacts.limits import MULTILINE_MAX_LENGTH as MULTILINE_LIMIT
from notesmig.spfacts.limits import TEXT_MAX_LENGTH as TEXT_LIMIT


class ConversionError(TerminalError):
    """A value that does not fit its column; names the item and why."""

    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"item {item!r}: {reason}")
        self.item = item
        self.reason = reason


@dataclass(frozen=True)
class Converted:
    """The column values one Notes item gives (its column and any companion columns)."""

    fields: dict[str, Any]
    unknown_users: tuple[str, ...] = ()


def utc_text(value: datetime | date, item: str = "(date-time)") -> str:
    """A date-time as SharePoint stores it (UTC, ISO 8601, four-digit years), or why not: a
    moment that cannot be placed in UTC, or one outside SharePoint's range (1900-01-01 to
    8900-12-31), is that document's error, never an exception for the whole run."""
    try:
        if isinstance(value, datetime):
            moment = value.astimezone(UTC)
        else:
            moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    except (OverflowError, ValueError):
        raise ConversionError(item, f"{value.isoformat()} cannot be placed in UTC") from None
    if not EARLIEST_DATETIME <= moment <= LATEST_DATETIME:
        raise ConversionError(
            item,
            f"{value.isoformat()} is outside SharePoint's date range (1900-01-01 to 8900-12-31)",
        )
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def offset_text(value: datetime) -> str:
    offset = value.strftime("%z")
    return f"{offset[:3]}:{offset[3:]}" if offset else ""


def convert(
    spec: ItemMapping,
    item: Item | None,
    html_value: str | None,
    users: UserDirectory,
    policy: UserPolicy,
) -> Converted:
    """The fields ``spec`` fills from ``item`` (absent item: empty fields)."""
    values = [v for v in (item.values if item is not None else []) if v != ""]
    column = spec.column
    kind = spec.type
    if kind is ColumnType.RICHTEXT:
        if html_value is not None:
            return Converted({column: html_value or None})
        text = "\n".join(_texts(spec, values))
        return Converted({column: _paragraphs(text) if text else None})
    if not values:
        empty: dict[str, Any] = {column: None}
        empty.update(dict.fromkeys(spec.companion_columns))
        return Converted(empty)
    if kind in (ColumnType.TEXT, ColumnType.MULTILINE):
        separator = (
            spec.join if spec.join is not None else ("; " if kind is ColumnType.TEXT else "\n")
        )
        text = separator.join(_texts(spec, values))
        limit = TEXT_LIMIT if kind is ColumnType.TEXT else MULTILINE_LIMIT
        if len(text) > limit:
            raise ConversionError(
                spec.item, f"{len(text)} characters do not fit a {kind} column ({limit})"
            )
        return Converted({column: text})
    if kind is ColumnType.NUMBER:
        return Converted({column: _number(spec, _single(spec, values))})
    if kind in (ColumnType.DATETIME, ColumnType.DATEONLY):
        value = _single(spec, values)
        if isinstance(value, str):
            value = _moment_of_text(spec, value)
        if not isinstance(value, datetime | date) or isinstance(value, DateTimeRange):
            raise ConversionError(spec.item, f"{as_text(value)!r} is not a date or date-time")
        if kind is ColumnType.DATEONLY:
            day = value.date() if isinstance(value, datetime) else value
            return Converted({column: utc_text(day, spec.item)})
        fields = {column: utc_text(value, spec.item)}
        if spec.keep_offset:
            fields[f"{column}Offset"] = offset_text(value) if isinstance(value, datetime) else ""
        return Converted(fields)
    if kind is ColumnType.BOOLEAN:
        value = _single(spec, values)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Converted({column: value != 0})
        truthy = {t.casefold() for t in (spec.true_values or ("1", "true", "yes", "はい", "y"))}
        return Converted({column: as_text(value).strip().casefold() in truthy})
    if kind in (ColumnType.CHOICE, ColumnType.MULTICHOICE):
        chosen = _texts(spec, values)
        outside = [c for c in chosen if c not in spec.choices]
        if outside and not spec.allow_other:
            raise ConversionError(spec.item, f"{outside[0]!r} is not one of the mapped choices")
        if kind is ColumnType.CHOICE:
            if len(chosen) > 1:
                raise ConversionError(spec.item, f"{len(chosen)} values for a single-choice column")
            return Converted({column: chosen[0]})
        return Converted({column: chosen})
    if kind.is_person:
        return _people(spec, values, users, policy)
    if kind is ColumnType.LOOKUP:
        return Converted({column: as_text(_single(spec, values)).strip()})
    if kind is ColumnType.HYPERLINK:
        url = as_text(_single(spec, values)).strip()
        if not url.lower().startswith(("http://", "https://", "mailto:", "notes://")):
            raise ConversionError(spec.item, f"{url!r} is not a link")
        return Converted({column: {"Url": url, "Description": url}})
    raise ConversionError(spec.item, f"no conversion to {kind}")


def _moment_of_text(spec: ItemMapping, text: str) -> date | datetime:
    """A date or date-time written as text: a date alone is a day (as a Notes date is); a
    date-time without a UTC offset is a wall-clock time in an unknown zone, refused for a
    date-time column rather than read in whatever zone the machine running the transform is in."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConversionError(spec.item, f"{text!r} is not a date-time") from None
    if moment.tzinfo is None and spec.type is ColumnType.DATETIME:
        raise ConversionError(
            spec.item, f"{text!r} has no UTC offset: the moment it means cannot be known"
        )
    return moment


def _texts(spec: ItemMapping, values: list[ItemValue]) -> list[str]:
    try:
        return [as_text(v) for v in values]
    except TypeError as exc:
        raise ConversionError(spec.item, str(exc)) from None


def _single(spec: ItemMapping, values: list[ItemValue]) -> ItemValue:
    if len(values) > 1:
        raise ConversionError(
            spec.item, f"{len(values)} values for a single-value {spec.type} column"
        )
    return values[0]


def _number(spec: ItemMapping, value: ItemValue) -> int | float:
    if isinstance(value, bool):
        raise ConversionError(spec.item, "a truth value is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError(spec.item, f"{value} is not a number SharePoint can hold")
        return value
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "")) if "." in value else int(value.replace(",", ""))
        except ValueError:
            pass
        else:
            if isinstance(number, float) and not math.isfinite(number):
                raise ConversionError(spec.item, f"{value!r} is not a number SharePoint can hold")
            return number
    raise ConversionError(spec.item, f"{as_text(value)!r} is not a number")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n"))


def _people(
    spec: ItemMapping, values: list[ItemValue], users: UserDirectory, policy: UserPolicy
) -> Converted:
    names = [n.strip() for n in _texts(spec, values) if n.strip()]
    if spec.type is ColumnType.PERSON and len(names) > 1:
        raise ConversionError(spec.item, f"{len(names)} names for a single-person column")
    accounts: list[str] = []
    unknown: list[str] = []
    for name in names:
        resolution = users.resolve(name, unknown=policy.unknown, fallback=policy.fallback)
        if resolution.account is None or resolution.fallback:
            unknown.append(name)
            if policy.unknown == "fail":
                raise ConversionError(spec.item, f"{name!r} has no account and the policy is fail")
        if resolution.account is not None and resolution.account.upn not in accounts:
            accounts.append(resolution.account.upn)
    value: Any = (
        accounts if spec.type is ColumnType.MULTIPERSON else (accounts[0] if accounts else None)
    )
    notes_names = "\n".join(abbreviate(n) for n in names)
    return Converted({spec.column: value, f"{spec.column}Notes": notes_names}, tuple(unknown))
