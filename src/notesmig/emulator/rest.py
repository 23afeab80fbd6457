"""SharePoint REST (``/_api/web``) on the same tenant state as Graph: what the loader needs.

Served: ``ensureuser``, ``siteusers``, ``RegionalSettings`` and ``RegionalSettings/TimeZone``,
and ``lists(guid'...')/items(n)/ValidateUpdateListItem()``, which sets fields with SharePoint's
own parsing, including the system fields Author, Editor, Created and Modified that Graph cannot
write. Answers follow ``Accept``: ``odata=nometadata`` (plain JSON, collections as ``value``) or
``odata=verbose`` (``{"d": ...}``, collections as ``results``); errors are
``{"odata.error": {"code", "message": {"lang", "value"}}}``.

ValidateUpdateListItem parses values as the site's regional settings say (sp-dev-docs
``working-with-lists-and-list-items-with-rest.md``; SPFieldDateTime.ParseAndSetValue: "in the
website's local time and calendar"): date-times in site-local time as ``yyyy-MM-dd HH:mm:ss``
or the locale's own form; ISO 8601 with ``T``, ``Z`` or an offset is refused. People are
``[{'Key': 'i:0#.f|membership|upn'}]``, hyperlinks ``url, description``. Each field reports
``HasException``; when any field fails, nothing is changed. ``bNewDocumentUpdate: true``
updates without a new version.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from notesmig.emulator.columns import Column, normalise_value
from notesmig.emulator.graph_errors import GraphError, RestError
from notesmig.emulator.http import JSON_TYPE, Request, Response
from notesmig.emulator.paths import Segment
from notesmig.emulator.tenant import ListRow, Tenant

#: The demo tenant's regional settings: Japanese, Tokyo Standard Time (UTC+09:00, no DST).
LOCALE_ID = 1041
TIME_ZONE = {
    "Description": "(UTC+09:00) Osaka, Sapporo, Tokyo",
    "Id": 20,
    "Information": {"Bias": -540, "DaylightBias": 0, "StandardBias": 0},
}
VALIDATE_UPDATE = "ValidateUpdateListItem()"
_CLAIMS = re.compile(r"^i:0#\.f\|membership\|(?P<upn>[^|]+)$", re.IGNORECASE)
_GROUP_CLAIMS = re.compile(r"^c:0t\.c\|tenant\|(?P<group>.+)$", re.IGNORECASE)
_BIAS_MINUTES = -540
_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def rest_route(segments: list[Segment]) -> tuple[str, list[str]] | None:
    """``(site path, segments after _api)`` for a REST path, or None for any other."""
    plain = [s for s in segments if isinstance(s, str)]
    if len(plain) != len(segments):
        return None
    if plain[:1] == ["_api"]:
        return "", plain[1:]
    if len(plain) >= 3 and plain[0] == "sites" and plain[2] == "_api":
        return f"/sites/{plain[1]}", plain[3:]
    return None


def _verbose(request: Request) -> bool:
    return "odata=verbose" in request.headers.get("accept", "").lower()


def _answer(request: Request, payload: Any, *, collection: bool = False) -> Response:
    if _verbose(request):
        if collection:
            payload = {"d": {"results": payload}}
        else:
            payload = {"d": payload}
        content_type = "application/json;odata=verbose;charset=utf-8"
    else:
        if collection:
            payload = {"value": payload}
        content_type = "application/json;odata=nometadata;charset=utf-8"
    response = Response.of(200, payload)
    response.headers["Content-Type"] = content_type if payload is not None else JSON_TYPE
    return response


def not_found(message: str) -> RestError:
    return RestError(404, "-2130575338, Microsoft.SharePoint.SPException", message)


def bad(message: str) -> RestError:
    return RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", message)


class RestRoutes:
    """The REST API of every site of one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def route(self, request: Request, site_path: str, api: list[str]) -> Response:
        site = self.tenant.site(self.tenant.config.hostname, site_path or "/")
        site_id = str(site["id"])
        method = request.method
        if api[:1] != ["web"]:
            raise not_found(f"Cannot find resource for the request {'/'.join(api)}.")
        rest = api[1:]
        if rest == ["RegionalSettings"] and method == "GET":
            return _answer(request, {"LocaleId": LOCALE_ID, "TimeZone": TIME_ZONE})
        if rest == ["RegionalSettings", "TimeZone"] and method == "GET":
            return _answer(request, TIME_ZONE)
        if rest == ["ensureuser"] and method == "POST":
            return _answer(request, self._ensure_user(site_id, request))
        if rest == ["siteusers"] and method == "GET":
            return _answer(
                request,
                [self._user(site_id, uid, f) for uid, f in self.tenant.site_users(site_id)],
                collection=True,
            )
        if (
            len(rest) == 3
            and rest[0].startswith("lists(")
            and rest[2] == "ValidateUpdateListItem()"
        ):
            row = self.tenant.get_list(site_id, _guid(rest[0]))
            item_id = _item_id(rest[1])
            return _answer(request, self._validate_update(row, item_id, request), collection=True)
        raise not_found(f"Cannot find resource for the request {'/'.join(api)}.")

    # -- users ----------------------------------------------------------------------------

    def _ensure_user(self, site_id: str, request: Request) -> dict[str, Any]:
        body = request.json()
        logon = body.get("logonName") if isinstance(body, dict) else None
        if not isinstance(logon, str) or not logon:
            raise bad("ensureuser takes {'logonName': 'i:0#.f|membership|upn'}.")
        upn = principal_of(logon)
        try:
            user_id = self.tenant.ensure_site_user(site_id, upn)
        except GraphError as exc:
            raise RestError(exc.status, exc.code, exc.message) from None
        fields = self.tenant.site_user(site_id, user_id) or {}
        return self._user(site_id, user_id, fields)

    @staticmethod
    def _user(site_id: str, user_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        group = fields.get("PrincipalKind") == "group"
        upn = str(fields.get("UserName", ""))
        return {
            "Id": user_id,
            "LoginName": f"c:0t.c|tenant|{upn}" if group else f"i:0#.f|membership|{upn}",
            "Title": fields.get("Title"),
            "Email": fields.get("EMail"),
            "PrincipalType": 4 if group else 1,
            "IsSiteAdmin": user_id == 1,
            "UserPrincipalName": None if group else upn,
        }

    # -- ValidateUpdateListItem -----------------------------------------------------------

    def _validate_update(
        self, row: ListRow, item_id: int, request: Request
    ) -> list[dict[str, Any]]:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("formValues"), list):
            raise bad("ValidateUpdateListItem takes {'formValues': [...], 'bNewDocumentUpdate'}.")
        unknown = set(body) - {"formValues", "bNewDocumentUpdate", "checkInComment", "datesInUTC"}
        if unknown:
            raise bad(f"The property '{sorted(unknown)[0]}' does not exist on this method.")
        new_version = not bool(body.get("bNewDocumentUpdate", False))
        self.tenant._item_row(row, item_id)
        columns = {c.name: c for c in self.tenant.columns(row.id)}
        results: list[dict[str, Any]] = []
        parsed: dict[str, Any] = {}
        for entry in body["formValues"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("FieldName"), str):
                raise bad("Every form value is {'FieldName', 'FieldValue'}.")
            name, raw = entry["FieldName"], entry.get("FieldValue")
            text = "" if raw is None else str(raw)
            try:
                parsed[name] = self._parse(row, columns, name, text)
                failure = None
            except ValueError as exc:
                failure = str(exc)
            results.append(
                {
                    "ErrorCode": 0 if failure is None else -2146232832,
                    "ErrorMessage": failure,
                    "FieldName": name,
                    "FieldValue": text,
                    "HasException": failure is not None,
                    "ItemId": item_id,
                }
            )
        if not any(r["HasException"] for r in results):
            self.tenant.set_system_fields(row, item_id, parsed, new_version=new_version)
        return results

    def _parse(self, row: ListRow, columns: dict[str, Column], name: str, text: str) -> Any:
        if name in ("Created", "Modified"):
            return _local_datetime(text)
        if name in ("Author", "Editor"):
            people = self._people(row.site_id, text)
            if len(people) != 1:
                raise ValueError("The user does not exist or is not unique.")
            return people[0]
        column = columns.get(name)
        if column is None or column.read_only or (column.builtin and name != "Title"):
            raise ValueError(
                f"Column '{name}' does not exist. It may have been deleted by another user."
            )
        if text == "":
            if column.required:
                raise ValueError("You must specify a value for this required field.")
            return None
        facet = column.facet
        if facet == "hyperlinkOrPicture":
            url, separator, description = text.replace(",, ", "\0").partition(", ")
            url = url.replace("\0", ", ")
            if not url.lower().startswith(("http://", "https://", "mailto:", "/")):
                raise ValueError("Invalid URL: the value must start with http:// or https://.")
            return {
                "Url": url,
                "Description": (description if separator else url).replace("\0", ", "),
            }
        if facet == "personOrGroup":
            people = self._people(row.site_id, text)
            if not column.multi and len(people) > 1:
                raise ValueError("This field allows only one person.")
            return people if column.multi else people[0]
        if facet == "dateTime":
            return _local_datetime(text)
        if facet == "number":
            try:
                value: Any = float(text.replace(",", ""))
            except ValueError:
                raise ValueError(f"'{text}' is not a number.") from None
            return int(value) if value.is_integer() else value
        if facet == "boolean":
            if text.lower() not in ("1", "0", "yes", "no", "true", "false"):
                raise ValueError(f"'{text}' is not Yes or No.")
            return text.lower() in ("1", "yes", "true")
        if facet == "choice" and column.multi:
            value = [v for v in text.split(";#") if v]
        else:
            value = text
        try:
            return normalise_value(column, value, set(), set())
        except GraphError as exc:
            raise ValueError(exc.message) from None

    def _people(self, site_id: str, text: str) -> list[int]:
        try:
            entries = ast.literal_eval(text) if text.strip().startswith("[") else json.loads(text)
        except (ValueError, SyntaxError):
            raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].") from None
        if not isinstance(entries, list) or not entries:
            raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].")
        found = []
        for entry in entries:
            key = entry.get("Key") if isinstance(entry, dict) else None
            if not isinstance(key, str):
                raise ValueError("A person value is [{'Key': 'i:0#.f|membership|upn'}].")
            try:
                found.append(self.tenant.ensure_site_user(site_id, principal_of(key)))
            except GraphError:
                raise ValueError("The user does not exist or is not unique.") from None
        return found


def principal_of(login: str) -> str:
    """The UPN or group name in a claims login (a plain UPN passes through)."""
    for pattern, group in ((_CLAIMS, "upn"), (_GROUP_CLAIMS, "group")):
        match = pattern.match(login.strip())
        if match:
            return match.group(group)
    return login.strip()


def _local_datetime(text: str) -> str:
    """A site-local date-time (Tokyo) as SharePoint stores it: UTC, ISO 8601."""
    if "T" in text or text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text):
        raise ValueError(
            f"'{text}' is not a valid date/time value for this site's regional settings."
        )
    for pattern in _LOCAL_FORMATS:
        try:
            local = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        utc = local + timedelta(minutes=_BIAS_MINUTES)
        return utc.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"'{text}' is not a valid date/time for this site's regional settings.")


def _guid(segment: str) -> str:
    match = re.fullmatch(r"lists\(guid'([0-9a-fA-F-]{36})'\)", segment)
    if match is None:
        raise bad(f"'{segment}' does not name a list by its id.")
    return match.group(1)


def _item_id(segment: str) -> int:
    match = re.fullmatch(r"items\((\d{1,10})\)", segment)
    if match is None:
        raise bad(f"'{segment}' does not name an item.")
    return int(match.group(1))
