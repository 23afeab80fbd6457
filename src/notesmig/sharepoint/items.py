"""List items upserted by ``NotesUNID``: exactly one item per document, whatever happens.

Rows are sent in ``$batch`` es of 20: created when the ledger has no item, patched when the
source changed, skipped when the ledger has them loaded with the same source hash. ``NotesUNID``
is unique in SharePoint, so a create repeated after a lost answer or a killed worker is refused;
how SharePoint words that refusal varies (400, 409 or 500, in different words), so any refused
create that may have met an existing item is answered by looking the item up by its UNID:
found, it is adopted (and patched if it differs); not found, a 400 quarantines the document with
SharePoint's reason, anything else is retried. A lookup that fails is never taken for "not
there". Values Graph cannot write (hyperlinks) go through SharePoint REST once the item exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from notesmig import reasons
from notesmig.errors import TerminalError
from notesmig.ledger import Ledger, State
from notesmig.links.urls import DEFAULT_REDIRECTOR, redirector_url
from notesmig.records import (
    Authorship,
    ItemRow,
    LoadAction,
    LoadCounts,
    LoadOutcome,
    PermissionPlan,
)
from notesmig.sharepoint.graph import (
    CREATE_RETRYABLE,
    Graph,
    GraphTransientError,
    SubRequest,
    SubResponse,
)
from notesmig.sharepoint.parallel import Bounded
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.provision import Target
from notesmig.sharepoint.rest import (
    FieldUpdateError,
    RestRequestError,
    SharePointRest,
    login_name,
)
from notesmig.spfacts.limits import BATCH_LIMIT

log = logging.getLogger("notesmig.sharepoint")

#: A response's parent: a lookup to the parent's item in the same list, and a link (through the
#: redirector) that leads to the parent wherever it is.
PARENT_LOOKUP = "NotesParent"
PARENT_LINK = "NotesParentLink"
PARENT_LINK_TEXT = "親文書 / Parent document"
#: When the sync saw a document deleted in Notes (deletions.policy: keep).
DELETED_MARK = "NotesDeletedInNotes"

#: Statuses with which SharePoint may refuse a create because the NotesUNID exists already.
_MAYBE_DUPLICATE = {400, 409, 500}


def odata_string(value: str) -> str:
    """An OData string literal (quotes doubled), percent-encoded for a URL query."""
    return quote("'" + value.replace("'", "''") + "'", safe="")


def hyperlink_value(url: str, description: str) -> str:
    """SharePoint's text form of a hyperlink field: ``url, description``; a comma followed by
    a space inside the URL is doubled so it is not taken for the separator."""
    return f"{url.replace(', ', ',, ')}, {description}"


@dataclass
class Counts:
    """What the writer did; merged into the load's :class:`LoadCounts`."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    duplicates_resolved: int = 0
    unknown_people: dict[str, int] = field(default_factory=dict)

    def into(self, counts: LoadCounts) -> LoadCounts:
        merged = dict(counts.unknown_people)
        for name, number in self.unknown_people.items():
            merged[name] = merged.get(name, 0) + number
        return counts.model_copy(
            update={
                "items_created": counts.items_created + self.created,
                "items_updated": counts.items_updated + self.updated,
                "items_unchanged": counts.items_unchanged + self.unchanged,
                "items_quarantined": counts.items_quarantined + self.quarantined,
                "duplicates_resolved": counts.duplicates_resolved + self.duplicates_resolved,
                "unknown_people": merged,
            }
        )


@dataclass(frozen=True)
class Prepared:
    """A row's fields as Graph takes them, and the ones only REST can write."""

    graph: dict[str, Any]
    rest: dict[str, str]


#: Items recorded as loaded in one ledger transaction.
_LOADED_PER_RECORD = 200


class ItemWriter:
    """Upserts the rows of one list."""

    def __init__(
        self,
        graph: Graph,
        rest: SharePointRest,
        ledger: Ledger,
        people: SitePeople,
        *,
        progress: Callable[[int], None] | None = None,
        redirector: str = DEFAULT_REDIRECTOR,
        items: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.graph = graph
        self.rest = rest
        self.ledger = ledger
        self.people = people
        self.progress = progress or (lambda _done: None)
        self.counts = Counts()
        self.redirector = redirector
        #: UNID -> (list id, item id) of the database's documents in SharePoint: a response's
        #: NotesParent lookup needs its parent's item id.
        self.items: dict[str, tuple[str, str]] = dict(items or {})
        #: Responses written before their parent (a restricted parent goes in after the open
        #: documents of its list): their lookups are set once the parent is there.
        self.deferred: list[tuple[Target, ItemRow, str]] = []
        #: Items written and not yet recorded as loaded (database id -> UNID -> values): the
        #: ledger takes them a batch at a time, and by the end of each write() they are all in.
        #: One lost to a crash is found again by its NotesUNID on the next run.
        self._written: dict[int, dict[str, LoadOutcome]] = {}

    def _thread(
        self, target: Target, row: ItemRow, out: dict[str, Any], rest: dict[str, str]
    ) -> None:
        """A response's parent: the NotesParent lookup (when the parent is an item of this
        list already) and NotesParentLink through the redirector (wherever the parent is: in
        another list, not migrated yet, or held back, the redirector says)."""
        if not row.parent_unid:
            return
        link = target.column(PARENT_LINK)
        if link is not None:
            url = redirector_url(self.redirector, row.database.upper(), row.parent_unid.upper())
            rest[link.internal] = hyperlink_value(url, PARENT_LINK_TEXT)
        lookup = target.column(PARENT_LOOKUP)
        if lookup is None:
            return
        parent = self.items.get(row.parent_unid)
        if parent is not None and parent[0] == target.id:
            out[f"{lookup.internal}LookupId"] = parent[1]

    async def prepare(
        self, target: Target, fields: dict[str, Any], *, creating: bool, row: ItemRow | None = None
    ) -> Prepared:
        """Graph's fields under SharePoint's internal names; person names as site user ids."""
        out: dict[str, Any] = {}
        rest: dict[str, str] = {}
        if row is not None:
            self._thread(target, row, out, rest)
        mark = target.column(DELETED_MARK)
        if mark is not None and not creating:
            out[mark.internal] = None  # back in Notes: no longer marked deleted
        for name, value in fields.items():
            column = target.column(name)
            if column is None:
                continue  # a value of a form whose other columns went to another list
            key = column.internal
            if column.facet == "personOrGroup":
                ids = []
                for upn in value if isinstance(value, list) else ([value] if value else []):
                    found = await self.people.id_of(str(upn))
                    if found is None:
                        self.counts.unknown_people[upn] = self.counts.unknown_people.get(upn, 0) + 1
                    else:
                        ids.append(str(found))
                if column.multi:
                    out[f"{key}LookupId@odata.type"] = "Collection(Edm.String)"
                    out[f"{key}LookupId"] = ids
                elif ids or not creating:
                    out[f"{key}LookupId"] = ids[0] if ids else None
                continue
            if column.facet == "hyperlinkOrPicture":
                # Graph refuses hyperlink values (microsoft-graph-docs #12638): REST writes them.
                if isinstance(value, dict) and value.get("Url"):
                    rest[key] = hyperlink_value(value["Url"], value.get("Description") or "")
                elif not creating:
                    rest[key] = ""
                continue
            if value is None and creating:
                continue
            if isinstance(value, list):
                out[f"{key}@odata.type"] = "Collection(Edm.String)"
            out[key] = value
        return Prepared(out, rest)

    async def write(
        self,
        database_id: int,
        target: Target,
        rows: list[ItemRow],
        view: dict[str, tuple[str, str | None, str]],
        item_urls: dict[str, str],
    ) -> None:
        """Upsert ``rows`` into ``target``; every outcome is recorded in the ledger."""
        todo: list[tuple[ItemRow, str | None]] = []
        for row in rows:
            _state, item_id, _sha = view.get(row.unid, ("", None, ""))
            if is_in_place(view, row) and item_id:
                self.counts.unchanged += 1
                item_urls[row.unid] = _display_url(target, item_id)
                continue
            todo.append((row, item_id))
        try:
            async with Bounded() as pool:
                depth: int | None = None
                for chunk in _by_depth(todo):
                    if depth is not None and chunk[0][0].depth != depth:
                        await pool.settle(0)  # every parent's item id known before its responses
                    depth = chunk[0][0].depth
                    await self._write_chunk(database_id, target, chunk, item_urls, pool)
        finally:
            self.record_loaded()

    async def _write_chunk(
        self,
        database_id: int,
        target: Target,
        chunk: list[tuple[ItemRow, str | None]],
        item_urls: dict[str, str],
        pool: Bounded,
    ) -> None:
        """One ``$batch`` of creates and patches; each written item's REST update (its
        hyperlinks and Notes authorship) goes on in ``pool`` while the next batch is sent."""
        base = f"/sites/{target.site_id}/lists/{target.id}/items"
        prepared = [
            await self.prepare(target, row.fields, creating=item_id is None, row=row)
            for row, item_id in chunk
        ]
        requests = [
            SubRequest(str(n), "POST", base, {"fields": p.graph}, retry=CREATE_RETRYABLE)
            if item_id is None
            else SubRequest(str(n), "PATCH", f"{base}/{item_id}/fields", p.graph)
            for n, ((_row, item_id), p) in enumerate(zip(chunk, prepared, strict=True))
        ]
        answers = await self.graph.batch(requests)
        self.progress(len(chunk))
        unresolved: list[tuple[ItemRow, Prepared, SubResponse, bool]] = []
        for number, ((row, item_id), fields) in enumerate(zip(chunk, prepared, strict=True)):
            answer = answers[str(number)]
            if answer.ok:
                new_id = str(
                    (answer.body.get("id") if isinstance(answer.body, dict) else None) or item_id
                )
                if item_id is None:
                    self.counts.created += 1
                else:
                    self.counts.updated += 1
                action: LoadAction = "created" if item_id is None else "updated"
                await pool.start(
                    self._loaded(database_id, row, target, new_id, fields, item_urls, action)
                )
            elif item_id is None and answer.status in _MAYBE_DUPLICATE:
                unresolved.append((row, fields, answer, True))
            elif item_id is not None and answer.status == 404:
                unresolved.append((row, fields, answer, False))  # deleted in SharePoint
            else:
                self._refused(database_id, row, answer)
        if unresolved:
            await self._resolve(database_id, target, unresolved, item_urls)

    async def find(self, target: Target, unids: list[str]) -> dict[str, dict[str, Any] | None]:
        """The items with these UNIDs (None: not there). A failed lookup raises."""
        base = f"/sites/{target.site_id}/lists/{target.id}/items"
        key = target.column("NotesUNID")
        column = key.internal if key else "NotesUNID"
        found: dict[str, dict[str, Any] | None] = {}

        async def look_up(chunk: list[str]) -> None:
            answers = await self.graph.batch(
                [
                    SubRequest(
                        str(n),
                        "GET",
                        f"{base}?$filter=fields/{column}%20eq%20{odata_string(unid)}"
                        f"&$expand=fields(select={column},SourceSha256,NotesDatabase)",
                    )
                    for n, unid in enumerate(chunk)
                ]
            )
            for number, unid in enumerate(chunk):
                answer = answers[str(number)]
                if not answer.ok:
                    raise GraphTransientError(
                        f"looking up NotesUNID {unid} failed: {answer.status} {answer.error_code}"
                    )
                values = answer.body.get("value", []) if isinstance(answer.body, dict) else []
                found[unid] = values[0] if values else None

        async with Bounded() as pool:  # batches of lookups, several at once
            for start in range(0, len(unids), BATCH_LIMIT):
                await pool.start(look_up(unids[start : start + BATCH_LIMIT]))
        return found

    async def _resolve(
        self,
        database_id: int,
        target: Target,
        unresolved: list[tuple[ItemRow, Prepared, SubResponse, bool]],
        item_urls: dict[str, str],
        rounds: int = 3,
    ) -> None:
        """Creates refused (or patches of deleted items): adopt what exists, create what
        does not, quarantine what SharePoint refuses for a reason of its own. A create refused
        again as a possible duplicate (its first attempt's answer lost, say: the item is there
        now) is looked up again, up to ``rounds`` times."""
        base = f"/sites/{target.site_id}/lists/{target.id}/items"
        existing = await self.find(target, [row.unid for row, *_ in unresolved])
        creates: list[tuple[ItemRow, Prepared]] = []
        patches: list[tuple[ItemRow, str]] = []
        for row, fields, answer, was_create in unresolved:
            item = existing[row.unid]
            if item is None:
                if was_create and answer.status == 400:
                    # Not a duplicate after all: refused for a reason of its own (a value, a
                    # column), in SharePoint's words.
                    self._refused(database_id, row, answer)
                else:
                    creates.append(
                        (row, await self.prepare(target, row.fields, creating=True, row=row))
                    )
                continue
            holder = (item.get("fields") or {}).get("NotesDatabase")
            if holder and holder != row.database:
                # Two databases mapped to one list share a UNID (a copy of a database, a
                # document pasted across): never let one overwrite the other.
                self.counts.quarantined += 1
                self.ledger.quarantine(
                    database_id,
                    row.unid,
                    "load",
                    str(reasons.UNID_IN_OTHER_DATABASE),
                    f"list {target.title!r} item {item['id']} holds NotesUNID {row.unid} of "
                    f"database {holder}; this document is of database {row.database}",
                )
                continue
            self.counts.duplicates_resolved += 1
            item_id = str(item["id"])
            if (item.get("fields") or {}).get("SourceSha256") == row.sha256:
                self.counts.unchanged += 1
                await self._loaded(
                    database_id, row, target, item_id, fields, item_urls, "unchanged"
                )
            else:
                patches.append((row, item_id))
        again: list[tuple[ItemRow, Prepared, SubResponse, bool]] = []
        for start in range(0, len(creates), BATCH_LIMIT):
            chunk = creates[start : start + BATCH_LIMIT]
            answers = await self.graph.batch(
                [
                    SubRequest(str(n), "POST", base, {"fields": p.graph}, retry=CREATE_RETRYABLE)
                    for n, (_r, p) in enumerate(chunk)
                ]
            )
            for number, (row, fields) in enumerate(chunk):
                answer = answers[str(number)]
                if answer.ok and isinstance(answer.body, dict):
                    self.counts.created += 1
                    await self._loaded(
                        database_id, row, target, str(answer.body["id"]), fields, item_urls,
                        "created",
                    )  # fmt: skip
                elif answer.status in _MAYBE_DUPLICATE and answer.status != 400:
                    if rounds <= 1:
                        # Still neither created nor found: a later run picks it up again.
                        raise GraphTransientError(
                            f"NotesUNID {row.unid}: SharePoint neither created nor holds the "
                            f"item ({answer.status} {answer.error_code})"
                        )
                    again.append((row, fields, answer, True))
                else:
                    self._refused(database_id, row, answer)
        if again:
            await self._resolve(database_id, target, again, item_urls, rounds - 1)
        for start in range(0, len(patches), BATCH_LIMIT):
            chunk_patches = patches[start : start + BATCH_LIMIT]
            prepared = [
                await self.prepare(target, row.fields, creating=False, row=row)
                for row, _ in chunk_patches
            ]
            answers = await self.graph.batch(
                [
                    SubRequest(str(n), "PATCH", f"{base}/{item_id}/fields", p.graph)
                    for n, ((_row, item_id), p) in enumerate(
                        zip(chunk_patches, prepared, strict=True)
                    )
                ]
            )
            for number, ((row, item_id), fields) in enumerate(
                zip(chunk_patches, prepared, strict=True)
            ):
                answer = answers[str(number)]
                if answer.ok:
                    self.counts.updated += 1
                    await self._loaded(
                        database_id, row, target, item_id, fields, item_urls, "updated"
                    )
                else:
                    self._refused(database_id, row, answer)

    async def write_restricted(
        self,
        database_id: int,
        target: Target,
        rows: list[ItemRow],
        plans: dict[str, PermissionPlan],
        view: dict[str, tuple[str, str | None, str]],
        audiences: dict[str, str],
        item_urls: dict[str, str],
        restrict: Callable[[Target, str, PermissionPlan], Awaitable[None]],
        *,
        placed: set[str],
    ) -> None:
        """Restricted documents: created inside their audience folder (whose permissions are
        already set and verified), never where the list's readers could see them. A document
        already in SharePoint elsewhere (loaded openly before it gained its Readers field, or
        found without the ledger knowing) gets its own unique permissions first, then its
        content. ``audiences`` maps each audience to its folder's server-relative path;
        ``placed`` holds the documents whose item already stands as their plan says (an
        unchanged document whose readers changed is placed again, not skipped)."""
        unknown = [r.unid for r in rows if not view.get(r.unid, ("", None, ""))[1]]
        found = await self.find(target, unknown) if unknown else {}
        try:
            async with Bounded() as pool:
                depth: int | None = None
                for row in rows:
                    if depth is not None and row.depth != depth:
                        # Parents first, as in write(): a response then gets its NotesParent with
                        # its content, not in a later PATCH that would add a version.
                        await pool.settle(0)
                    depth = row.depth
                    _state, item_id, _sha = view.get(row.unid, ("", None, ""))
                    if is_in_place(view, row) and item_id and row.unid in placed:
                        self.counts.unchanged += 1
                        item_urls[row.unid] = _display_url(target, item_id)
                        continue
                    one = self._write_restricted_one(
                        database_id, target, row, plans[row.unid], item_id,
                        found.get(row.unid), audiences, item_urls, restrict,
                    )  # fmt: skip
                    await pool.start(one)
        finally:
            self.record_loaded()

    async def _write_restricted_one(
        self,
        database_id: int,
        target: Target,
        row: ItemRow,
        plan: PermissionPlan,
        item_id: str | None,
        existing: dict[str, Any] | None,
        audiences: dict[str, str],
        item_urls: dict[str, str],
        restrict: Callable[[Target, str, PermissionPlan], Awaitable[None]],
    ) -> None:
        """One restricted document: its item where only its audience can read it, then its
        content (a sequence of dependent calls; several documents go at once)."""
        base = f"/sites/{target.site_id}/lists/{target.id}/items"
        folder = audiences[plan.audience]
        adopted = item_id is None and existing is not None
        if adopted:
            assert existing is not None
            holder = (existing.get("fields") or {}).get("NotesDatabase")
            if holder and holder != row.database:
                # Another database's document with this UNID: never restricted, nor
                # overwritten, by this one.
                self.counts.quarantined += 1
                self.ledger.quarantine(
                    database_id, row.unid, "load", str(reasons.UNID_IN_OTHER_DATABASE),
                    f"list {target.title!r} item {existing['id']} holds NotesUNID {row.unid} "
                    f"of database {holder}; this document is of database {row.database}",
                )  # fmt: skip
                return
            item_id = str(existing["id"])
            self.counts.duplicates_resolved += 1
        created = item_id is None
        try:
            if item_id is None:
                item_id = await self._create_in(target, folder, row)
                self.counts.created += 1
                audience = plan.audience
            elif (placed := await self._folder_of(target, item_id))[0] == folder:
                audience = plan.audience  # already inside its audience's folder
                if placed[1]:
                    # Given permissions of its own in SharePoint (shared by hand): back to
                    # its audience's, which are what Notes allowed.
                    await self.rest.permission_call(
                        "POST", target.site_path,
                        f"web/lists(guid'{target.id}')/items({int(item_id)})"
                        "/resetroleinheritance",
                        what=f"{target.title} item {item_id}: inherit its folder's",
                    )  # fmt: skip
            else:
                # Loaded openly before it became restricted (or found without the ledger
                # knowing where): its own unique permissions before anything else changes.
                await restrict(target, item_id, plan)
                audience = f"item:{item_id}"
        except (TerminalError, RestRequestError) as exc:
            self.counts.quarantined += 1
            self.ledger.quarantine(
                database_id, row.unid, "load", str(reasons.PERMISSIONS_REFUSED), str(exc)
            )
            return
        # Applied: the item stands in a scope whose permissions were set and read back.
        self.ledger.set_access(database_id, row.unid, audience=audience, state="applied")
        if adopted and (existing or {}).get("fields", {}).get("SourceSha256") == row.sha256:
            self.counts.unchanged += 1
            await self._loaded(
                database_id, row, target, item_id, Prepared({}, {}), item_urls, "unchanged"
            )
            self.ledger.set_access(database_id, row.unid, audience=audience, state="verified")
            return
        if self.ledger.access_of(database_id, row.unid) != (audience, "applied"):
            # Content goes only where the ledger records the plan applied, never on faith.
            self.counts.quarantined += 1
            self.ledger.quarantine(
                database_id, row.unid, "load", str(reasons.PERMISSIONS_REFUSED),
                f"its permissions are not recorded as applied to {audience}",
            )  # fmt: skip
            return
        prepared = await self.prepare(target, row.fields, creating=False, row=row)
        answers = await self.graph.batch(
            [SubRequest("0", "PATCH", f"{base}/{item_id}/fields", prepared.graph)]
        )
        self.progress(1)
        answer = answers["0"]
        if not answer.ok:
            self._refused(database_id, row, answer)
            return
        if not created:
            self.counts.updated += 1
        await self._loaded(
            database_id, row, target, item_id, prepared, item_urls,
            "created" if created else "updated",
        )  # fmt: skip
        self.ledger.set_access(database_id, row.unid, audience=audience, state="verified")

    async def _folder_of(self, target: Target, item_id: str) -> tuple[str, bool]:
        """The server-relative folder an item is in (REST ``FileDirRef``), and whether it has
        permissions of its own."""
        found = await self.rest.call(
            "GET",
            target.site_path,
            f"web/lists(guid'{target.id}')/items({int(item_id)})",
            what=f"{target.title} item {item_id}",
        )
        found = found or {}
        return str(found.get("FileDirRef", "")), bool(found.get("HasUniqueRoleAssignments"))

    async def _create_in(self, target: Target, folder: str, row: ItemRow) -> str:
        """An item in a folder (SharePoint REST: Graph cannot create items in folders), with
        only its UNID: the content follows through Graph."""
        key = target.column("NotesUNID")
        try:
            answer = await self.rest.call(
                "POST",
                target.site_path,
                f"web/lists(guid'{target.id}')/AddValidateUpdateItemUsingPath",
                {
                    "listItemCreateInfo": {
                        "FolderPath": {"DecodedUrl": folder},
                        "UnderlyingObjectType": 0,
                    },
                    "formValues": [
                        {"FieldName": key.internal if key else "NotesUNID", "FieldValue": row.unid}
                    ],
                    "bNewDocumentUpdate": False,
                },
                what=f"NotesUNID {row.unid}: create in {folder}",
            )
        except RestRequestError as exc:
            # SharePoint words a unique-value violation its own way, and may answer 409 or
            # 500: an item found by its UNID is the one an earlier attempt made.
            if exc.status not in _MAYBE_DUPLICATE:
                raise
            again = (await self.find(target, [row.unid])).get(row.unid)
            if again is None:
                raise
            return str(again["id"])
        results = answer if isinstance(answer, list) else (answer or {}).get("value", [])
        failures = [(str(r.get("FieldName")), str(r.get("ErrorMessage"))) for r in results
                    if r.get("HasException")]  # fmt: skip
        if failures or not results:
            again = (await self.find(target, [row.unid])).get(row.unid)
            if again is not None:  # created by an attempt whose answer was lost
                return str(again["id"])
            raise FieldUpdateError(f"NotesUNID {row.unid}", failures or [("(item)", "not created")])
        return str(results[0]["ItemId"])

    def _refused(self, database_id: int, row: ItemRow, answer: SubResponse) -> None:
        self.counts.quarantined += 1
        self.ledger.quarantine(
            database_id,
            row.unid,
            "load",
            reasons.ITEM_REFUSED(answer=f"{answer.status} {answer.error_code}".rstrip()),
            answer.error_message,
        )

    async def authorship(self, site_path: str, authorship: Authorship | None) -> dict[str, str]:
        """Created, Modified, Author and Editor as ValidateUpdateListItem takes them: dates in
        the site's local time, people as claims (only accounts SharePoint knows)."""
        if authorship is None:
            return {}
        clock = self.rest.clock(site_path)
        values: dict[str, str] = {}
        for name, moment in (("Created", authorship.created), ("Modified", authorship.modified)):
            if moment:
                local = await clock.local(datetime.fromisoformat(moment.replace("Z", "+00:00")))
                values[name] = local.strftime("%Y-%m-%d %H:%M:%S")
        for name, upn in (("Author", authorship.author), ("Editor", authorship.editor)):
            if not upn:
                continue
            if await self.people.id_of(upn) is None:
                # Left as SharePoint sets it (the app), and counted: never silently.
                self.counts.unknown_people[upn] = self.counts.unknown_people.get(upn, 0) + 1
                continue
            values[name] = f"[{{'Key':'{login_name(upn)}'}}]"
        return values

    async def _loaded(
        self,
        database_id: int,
        row: ItemRow,
        target: Target,
        item_id: str,
        fields: Prepared,
        item_urls: dict[str, str],
        action: LoadAction,
    ) -> None:
        # Graph cannot write hyperlinks nor Created/Modified/Author/Editor: one REST update
        # sets them all (without a new version), after the content.
        values = {**fields.rest, **await self.authorship(target.site_path, row.authorship)}
        if values:
            try:
                await self.rest.validate_update(
                    target.site_path,
                    target.id,
                    item_id,
                    values,
                    what=f"NotesUNID {row.unid}",
                )
            except (FieldUpdateError, RestRequestError) as exc:
                self.counts.quarantined += 1
                self.ledger.quarantine(
                    database_id, row.unid, "load", str(reasons.FIELD_REFUSED), str(exc)
                )
                return
        url = _display_url(target, item_id)
        item_urls[row.unid] = url
        self.items[row.unid] = (target.id, item_id)
        lookup = target.column(PARENT_LOOKUP)
        if (
            row.parent_unid
            and lookup is not None
            and f"{lookup.internal}LookupId" not in fields.graph
        ):
            self.deferred.append((target, row, item_id))
        written = self._written.setdefault(database_id, {})
        written[row.unid] = LoadOutcome(
            database=row.database, unid=row.unid, action=action, list_id=target.id,
            list_title=target.title, item_id=item_id, web_url=url, expected_fields=row.fields,
        )  # fmt: skip
        if len(written) >= _LOADED_PER_RECORD:
            self.record_loaded()

    def record_loaded(self) -> None:
        """Record every item written so far as loaded, in one transaction per database."""
        written, self._written = self._written, {}
        for database_id, outcomes in written.items():
            self.ledger.record_loaded(database_id, outcomes.values())

    async def set_deferred_lookups(self) -> None:
        """The NotesParent lookups of responses written before their parents, now that the
        parents are there (a parent in another list, or not loaded, has none: its link is
        NotesParentLink, through the redirector)."""
        waiting: list[tuple[ItemRow, SubRequest]] = []
        deferred = self.deferred
        for target, row, item_id in deferred:
            parent = self.items.get(row.parent_unid or "")
            lookup = target.column(PARENT_LOOKUP)
            if parent is None or parent[0] != target.id or lookup is None:
                continue
            path = f"/sites/{target.site_id}/lists/{target.id}/items/{item_id}/fields"
            body = {f"{lookup.internal}LookupId": parent[1]}
            waiting.append((row, SubRequest(str(len(waiting) % BATCH_LIMIT), "PATCH", path, body)))
        self.deferred = []
        where = {row.unid: (target, item_id) for target, row, item_id in deferred}
        async with Bounded() as pool:
            for start in range(0, len(waiting), BATCH_LIMIT):
                chunk = waiting[start : start + BATCH_LIMIT]
                answers = await self.graph.batch([request for _row, request in chunk])
                for row, request in chunk:
                    answer = answers[request.id]
                    if answer.ok:
                        # Graph's PATCH made the app its editor, now: the Notes ones again.
                        await pool.start(self._reauthor(*where[row.unid], row))
                    else:
                        log.warning(
                            "NotesUNID %s: its NotesParent lookup was refused (%s %s); "
                            "NotesParentLink still leads to the parent",
                            row.unid, answer.status, answer.error_code,
                        )  # fmt: skip

    async def _reauthor(self, target: Target, item_id: str, row: ItemRow) -> None:
        values = await self.authorship(target.site_path, row.authorship)
        if not values:
            return
        try:
            await self.rest.validate_update(
                target.site_path, target.id, item_id, values,
                what=f"NotesUNID {row.unid}: authorship",
            )  # fmt: skip
        except (FieldUpdateError, RestRequestError) as exc:
            log.warning("NotesUNID %s: %s", row.unid, exc)


def _by_depth(
    todo: list[tuple[ItemRow, str | None]],
) -> list[list[tuple[ItemRow, str | None]]]:
    """Batches of rows of one depth each: a response never shares a batch with its parent, so
    the parent's item id is known when the response is written."""
    chunks: list[list[tuple[ItemRow, str | None]]] = []
    for entry in todo:
        if (
            not chunks
            or len(chunks[-1]) == BATCH_LIMIT
            or chunks[-1][-1][0].depth != entry[0].depth
        ):
            chunks.append([])
        chunks[-1].append(entry)
    return chunks


def is_in_place(view: dict[str, tuple[str, str | None, str]], row: ItemRow) -> bool:
    """Whether the ledger has this very version of the row in SharePoint: loaded (or verified)
    with the source hash it carries now. The state alone is not enough."""
    state, item_id, sha = view.get(row.unid, ("", None, ""))
    return state in (State.LOADED, State.VERIFIED) and bool(item_id) and sha == row.sha256


def _display_url(target: Target, item_id: str) -> str:
    return f"{target.web_url}/DispForm.aspx?ID={item_id}"
