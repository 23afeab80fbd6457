"""SharePoint REST (``/_api/web``): what Microsoft Graph v1.0 cannot do.

Graph v1.0 cannot write hyperlink columns (400 "Invalid request": microsoft-graph-docs #12638,
msgraph-sdk-dotnet #2957), cannot set Created/Modified/Author/Editor, cannot add a user to a
site's User Information List, and has no list item permissions. SharePoint REST can:
``ensureuser``, ``ValidateUpdateListItem``, ``RegionalSettings/TimeZone``, site groups, role
definitions and role assignments.

Requests carry ``Accept: application/json;odata=nometadata``; both answer shapes (nometadata
and verbose ``{"d": ...}``) are read. Every request takes its resource units from the shared
budget first; 429 and 503 are retried after their ``Retry-After``, except SharePoint's 429 for
breaking inheritance on a list of more than 100,000 items, which no retry cures (Migration API
permission guidance) and is reported at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from notesmig.errors import TerminalError, TransientError
from notesmig.sharepoint.budget import ResourceBudget, retry_after
from notesmig.sharepoint.client import EMULATOR_TOKEN, GraphEndpoint
from notesmig.spfacts.costs import rest_cost
from notesmig.spfacts.limits import EARLIEST_DATETIME, LATEST_DATETIME

log = logging.getLogger("notesmig.sharepoint")

_ACCEPT = "application/json;odata=nometadata"
_RETRYABLE = {429, 500, 502, 503, 504}
#: Tenant hosts SharePoint Online is served from (commercial and national clouds).
SHAREPOINT_DOMAINS = (".sharepoint.com", ".sharepoint.us", ".sharepoint-mil.us", ".sharepoint.cn")
#: Words of SharePoint's answer when a list is too large to break inheritance on.
TOO_MANY_ITEMS = "more than 100,000 items"


class RestRequestError(TerminalError):
    """SharePoint REST refused a request; retrying the same request cannot help."""

    def __init__(self, status: int, code: str, message: str, what: str) -> None:
        super().__init__(f"{what}: {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class RestTransientError(TransientError):
    """SharePoint REST kept failing in ways a later retry may cure."""


class FieldUpdateError(TerminalError):
    """``ValidateUpdateListItem`` refused fields (each named, with SharePoint's words)."""

    def __init__(self, what: str, failures: list[tuple[str, str]]) -> None:
        detail = "; ".join(f"{name}: {message}" for name, message in failures)
        super().__init__(f"{what}: SharePoint refused {detail}")
        self.failures = failures


def login_name(upn: str) -> str:
    """The claims login SharePoint uses for an Entra ID user."""
    return f"i:0#.f|membership|{upn}"


def group_login(object_id: str) -> str:
    """The claims login of an Entra ID security group."""
    return f"c:0t.c|tenant|{object_id}"


@dataclass
class SiteClock:
    """A site's regional time, as SharePoint itself converts it (``RegionalSettings/TimeZone/
    UtcToLocalTime``): dates in ValidateUpdateListItem are site-local. The zone's ``Information``
    holds biases but not when daylight saving starts or ends (Tokyo reports a DaylightBias of
    -60 and has none: zenn.dev/karamem0/articles/2022_01_14_180000), so the offsets are asked:
    each year from January 15 has its offset there, in mid-July and at the next January 15; a
    change between two is found to the minute by halving (three requests a year without
    daylight saving, about forty with it)."""

    ask: Callable[[datetime], Awaitable[datetime]]
    #: Per year from January 15: (from this UTC instant, the local offset), in order.
    _years: dict[int, list[tuple[datetime, timedelta]]] = field(default_factory=dict)
    _asked: dict[datetime, timedelta] = field(default_factory=dict)
    _working: asyncio.Lock = field(default_factory=asyncio.Lock)  # one year asked once

    async def _offset(self, moment: datetime) -> timedelta:
        known = self._asked.get(moment)
        if known is None:
            known = await self.ask(moment) - moment.replace(tzinfo=None)
            self._asked[moment] = known
        return known

    async def _changes(self, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
        before, after = await self._offset(start), await self._offset(end)
        if before == after:
            return []
        low, high = start, end
        while high - low > timedelta(minutes=1):
            middle = (low + (high - low) / 2).replace(second=0, microsecond=0)
            if middle <= low:
                break
            if await self._offset(middle) == before:
                low = middle
            else:
                high = middle
        return [(high, after)]

    async def local(self, moment: datetime) -> datetime:
        """``moment`` (aware) as the site's local wall-clock time (naive)."""
        utc = moment.astimezone(UTC)
        year = utc.year if (utc.month, utc.day) >= (1, 15) else utc.year - 1
        async with self._working:
            segments = self._years.get(year) or await self._year(year)
        offset = next(o for since, o in reversed(segments) if since <= utc)
        return (utc + offset).replace(tzinfo=None)

    async def _year(self, year: int) -> list[tuple[datetime, timedelta]]:
        # Within what SharePoint holds (the transform refuses dates outside it).
        start = max(datetime(year, 1, 15, tzinfo=UTC), EARLIEST_DATETIME)
        middle = datetime(year, 7, 15, tzinfo=UTC)
        end = min(datetime(year + 1, 1, 15, tzinfo=UTC), LATEST_DATETIME)
        segments = [(start, await self._offset(start)),
                    *await self._changes(start, middle),
                    *await self._changes(middle, end)]  # fmt: skip
        self._years[year] = segments
        return segments


@dataclass(frozen=True)
class RestEndpoint:
    """Where a site's REST API is, and the token for it (pinned to the site's host)."""

    origin: str
    graph: GraphEndpoint
    site_host: str

    @classmethod
    def for_site(cls, graph: GraphEndpoint, site: str) -> RestEndpoint:
        host = site.partition(":")[0].lower()
        if graph.is_emulator:
            return cls(graph.origin, graph, host)
        if not host.endswith(SHAREPOINT_DOMAINS):
            raise TerminalError(
                f"{host!r} is not a SharePoint Online host: the tenant's token is not sent there"
            )
        return cls(f"https://{host}", graph, host)

    @property
    def token_host(self) -> str:
        return httpx.URL(self.origin).host


@dataclass
class RestStats:
    requests: int = 0
    throttled: int = 0
    retried: int = 0
    writes: int = 0


@dataclass
class SharePointRest:
    """The REST calls the loader needs, for the sites of one endpoint."""

    endpoint: RestEndpoint
    budget: ResourceBudget
    attempts: int = 8
    stats: RestStats = field(default_factory=RestStats)
    _client: httpx.AsyncClient | None = field(default=None, repr=False)
    _token: tuple[str, float] | None = field(default=None, repr=False)
    _clocks: dict[str, SiteClock] = field(default_factory=dict, repr=False)

    async def __aenter__(self) -> SharePointRest:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.endpoint.origin, timeout=120)
        return self._client

    async def _bearer(self) -> str:
        graph = self.endpoint.graph
        if graph.credentials is None:
            return graph.token or EMULATOR_TOKEN
        now = asyncio.get_running_loop().time()
        if self._token is not None and self._token[1] - 60 > now:
            return self._token[0]
        credential = graph.credentials.rest_credential()
        try:
            token = await credential.get_token(f"https://{self.endpoint.site_host}/.default")
        finally:
            await credential.close()
        lifetime = max(60.0, token.expires_on - datetime.now(UTC).timestamp())
        self._token = (str(token.token), now + lifetime)
        return self._token[0]

    async def call(
        self,
        method: str,
        site_path: str,
        path: str,
        body: Any = None,
        *,
        what: str = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One REST request on a site (``site_path`` like ``/sites/notes-migration``)."""
        url = f"{site_path.rstrip('/')}/_api/{path.lstrip('/')}"
        # What SharePoint charges for it, by the classification the emulator charges by too.
        units = rest_cost(method, path)
        what = what or f"{method} {url}"
        for attempt in range(self.attempts):
            await self.budget.take(units)
            self.stats.requests += 1
            if method != "GET":
                self.stats.writes += 1
            try:
                answer = await self._http().request(
                    method,
                    url,
                    json=body,
                    headers={
                        "Authorization": f"Bearer {await self._bearer()}",
                        "Accept": _ACCEPT,
                        "Content-Type": _ACCEPT,
                        "User-Agent": "NONISV|notesmig|notesmig",
                        **(headers or {}),
                    },
                )
            except httpx.TransportError as exc:
                self.stats.retried += 1
                wait = retry_after({}, attempt)
                log.warning("%s: %s; retrying in %.1f s", what, exc, wait)
                await asyncio.sleep(wait)
                continue
            if answer.status_code in _RETRYABLE:
                code, message = _error_of(answer)
                if answer.status_code == 429 and TOO_MANY_ITEMS in message:
                    raise RestRequestError(answer.status_code, code, message, what)
                self.stats.retried += 1
                self.stats.throttled += answer.status_code == 429
                wait = retry_after(dict(answer.headers), attempt)
                self.budget.pause(wait)
                await asyncio.sleep(wait)
                continue
            if answer.status_code >= 400:
                code, message = _error_of(answer)
                raise RestRequestError(answer.status_code, code, message, what)
            if not answer.content:
                return None
            return _unwrap(answer.json())
        raise RestTransientError(f"{what}: still failing after {self.attempts} attempts")

    # -- users and settings ---------------------------------------------------------------

    async def ensure_user(self, site_path: str, upn: str) -> int:
        """The site user id of an account, adding it to the site's user list if needed."""
        user = await self.call(
            "POST",
            site_path,
            "web/ensureuser",
            {"logonName": login_name(upn)},
            what=f"ensureuser {upn}",
        )
        return int(user["Id"])

    def clock(self, site_path: str) -> SiteClock:
        """The site's regional time (dates in ValidateUpdateListItem are site-local)."""
        known = self._clocks.get(site_path)
        if known is None:

            async def ask(moment: datetime) -> datetime:
                stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                answer = await self.call(
                    "GET", site_path, f"web/RegionalSettings/TimeZone/UtcToLocalTime('{stamp}')",
                    what=f"the site's local time of {stamp}",
                )  # fmt: skip
                text = answer.get("value") or answer.get("UTCToLocalTime")
                return datetime.fromisoformat(str(text).replace("Z", "")).replace(tzinfo=None)

            known = self._clocks[site_path] = SiteClock(ask)
        return known

    # -- items ----------------------------------------------------------------------------

    async def validate_update(
        self,
        site_path: str,
        list_id: str,
        item_id: str,
        values: dict[str, str],
        *,
        what: str,
    ) -> None:
        """Set fields with SharePoint's own parsing (``bNewDocumentUpdate``: no new version);
        every field's ``HasException`` is checked."""
        body = {
            "formValues": [{"FieldName": k, "FieldValue": v} for k, v in values.items()],
            "bNewDocumentUpdate": True,
        }
        answer = await self.call(
            "POST",
            site_path,
            f"web/lists(guid'{list_id}')/items({int(item_id)})/ValidateUpdateListItem()",
            body,
            what=what,
        )
        results = answer if isinstance(answer, list) else (answer or {}).get("value", [])
        failures = [
            (str(r.get("FieldName")), str(r.get("ErrorMessage") or "refused"))
            for r in results
            if r.get("HasException")
        ]
        if failures:
            raise FieldUpdateError(what, failures)

    # -- permissions ----------------------------------------------------------------------

    async def permission_call(
        self,
        method: str,
        site_path: str,
        path: str,
        body: Any = None,
        *,
        what: str,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """A permission operation (5 resource units: ``rest_cost`` knows it by its path)."""
        return await self.call(method, site_path, path, body, what=what, headers=headers)


def _unwrap(payload: Any) -> Any:
    """A verbose answer's ``d`` (and ``results``), or a nometadata answer as it is."""
    if isinstance(payload, dict) and set(payload) == {"d"}:
        inner = payload["d"]
        if isinstance(inner, dict) and set(inner) - {"__metadata"} == {"results"}:
            return inner["results"]
        if isinstance(inner, dict) and len(inner) == 1:
            (only,) = inner.values()
            if isinstance(only, dict) and "results" in only:
                return only["results"]
        return inner
    if (
        isinstance(payload, dict)
        and set(payload) == {"value"}
        and isinstance(payload["value"], list)
    ):
        return payload["value"]  # a nometadata collection
    return payload


def _error_of(answer: httpx.Response) -> tuple[str, str]:
    try:
        payload = answer.json()
    except ValueError:
        return "", answer.text[:300]
    error = payload.get("odata.error") or payload.get("error") or {}
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return str(error.get("code", "")), str(message or "")


def site_path_of(site: str) -> str:
    """``contoso.sharepoint.com:/sites/x`` -> ``/sites/x`` (percent-encoded as a URL path)."""
    path = site.partition(":")[2] or "/"
    return quote(path.rstrip("/")) or ""
