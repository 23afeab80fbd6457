"""The reconciliation of one database: SharePoint read back and compared with the ledger.

It reads SharePoint, not the ledger's idea of it: every list and library the database was
loaded into is paged through Graph (``@odata.nextLink`` followed, ``$top`` only a hint), and
each document the ledger expects there is looked for by its NotesUNID, its fields compared
with the values loaded, its files with their sizes and hashes, and a restricted document's
permissions with its plan (read through SharePoint REST). What SharePoint holds that the
ledger does not know is reported too. Nothing is written to SharePoint; the verdicts (and the
repairs they call for, done by the next load) go to the ledger.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from notesmig import reasons
from notesmig.ledger import Ledger, State
from notesmig.ledger.evidence import DocumentFact, FileFact, Repair, ScopeFact
from notesmig.mapping.model import ColumnType
from notesmig.reconcile.compare import FieldPlan, differences
from notesmig.records import Difference, TargetList, TargetPlan, Verdict, VerdictKind
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.permissions import PermissionApplier, expected_assignments
from notesmig.sharepoint.provision import (
    LIBRARY_FILE_KEY,
    LIBRARY_UNID,
    Provisioner,
    SiteRef,
    Target,
    library_columns,
    plan_columns,
)
from notesmig.sharepoint.rest import SharePointRest
from notesmig.spfacts.limits import REWRITTEN_ON_UPLOAD

log = logging.getLogger("notesmig.reconcile")

#: From the worst finding to the best: a document's verdict is its worst finding.
SEVERITY: tuple[VerdictKind, ...] = (
    "missing",
    "duplicate",
    "permissions-wrong",
    "changed",
    "file-missing",
    "file-altered",
    "file-rewritten",
    "verified",
)
#: Documents the ledger expects in SharePoint (held-back and excluded ones are not).
EXPECTED_STATES = frozenset({State.EXTRACTED, State.TRANSFORMED, State.LOADED, State.VERIFIED})


@dataclass
class Finding:
    """What was found for one document so far."""

    kinds: set[VerdictKind] = field(default_factory=set)
    differences: list[Difference] = field(default_factory=list)
    web_url: str | None = None
    rewrite_item: bool = False
    item_gone: bool = False
    attachments: list[int] = field(default_factory=list)

    def add(self, kind: VerdictKind, *found: Difference) -> None:
        self.kinds.add(kind)
        self.differences.extend(found)

    @property
    def verdict(self) -> VerdictKind:
        return next(k for k in SEVERITY if k in self.kinds or k == "verified")


@dataclass
class ReconcileResult:
    verdicts: list[Verdict]
    repairs: list[Repair]

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(v.verdict for v in self.verdicts).items()))


class Reconciler:
    """Reconciles one database's documents with what SharePoint holds."""

    def __init__(
        self, graph: Graph, rest: SharePointRest, ledger: Ledger, plan: TargetPlan
    ) -> None:
        self.graph = graph
        self.rest = rest
        self.ledger = ledger
        self.plan = plan
        self.provisioner = Provisioner(graph)
        #: Role assignments read, per (list, item): an audience folder is read once.
        self._scope_cache: dict[tuple[str, str | None], set[tuple[str, str]]] = {}
        self._libraries: dict[str, Target] = {}

    async def run(self) -> ReconcileResult:
        plan = self.plan
        site = await self.provisioner.site(plan.site)
        people = await SitePeople(self.graph, self.rest, site.id, site.path).load()
        upn_of = {uid: key for key, uid in sorted(people.ids.items()) if "@" in key}
        applier = PermissionApplier(self.rest, people, site)
        documents = self.ledger.documents_of(plan.replica_id)
        scopes = {(s.target, s.key): s for s in self.ledger.scopes_of(plan.replica_id)}
        findings: dict[str, Finding] = {}
        verdicts: list[Verdict] = []
        expected = [d for d in documents if d.state in EXPECTED_STATES]
        own = {d.unid: d for d in documents}
        by_list: dict[str, list[DocumentFact]] = defaultdict(list)
        for document in expected:
            title = document.list_title or plan.forms.get((document.form or "").casefold())
            if title is not None:
                by_list[title].append(document)
        present: dict[str, tuple[Target, dict[str, list[dict[str, Any]]]]] = {}
        strays: list[tuple[Target, dict[str, Any], str]] = []
        planned = {planned.title: planned for planned in plan.lists}
        for title, planned_list in sorted(planned.items()):
            target = await self.provisioner.existing(site, title, plan_columns(planned_list))
            items: dict[str, list[dict[str, Any]]] = defaultdict(list)
            if target is not None:
                key = target.column("NotesUNID")
                for item in await self._items(target, "fields"):
                    fields = item.get("fields") or {}
                    if fields.get("ContentType") == "Folder":
                        continue
                    unid = str(fields.get(key.internal if key else "NotesUNID") or "")
                    if unid in own:
                        items[unid].append(item)
                    else:
                        strays.append((target, item, unid))
                present[title] = (target, items)
        # What a shared list holds of another database is that database's to account for; its
        # NotesDatabase column is not asked, since anyone can type into it.
        elsewhere = self._elsewhere(unid for _t, _i, unid in strays)
        for target, item, unid in strays:
            if unid not in elsewhere:
                verdicts.append(self._unexpected(target, item, unid))
        # Excluded or held-back documents are in SharePoint only by hand or from an earlier
        # load: an auditor must see them, not find them by chance.
        for target, items in present.values():
            for unid, found_items in sorted(items.items()):
                why = _not_expected(own[unid])
                if why is None:
                    continue
                for item in found_items:
                    verdicts.append(self._unexpected(target, item, unid, why))
        for title, docs in by_list.items():
            target, items = present.get(title, (None, {}))
            plans = (
                self._plans(target, planned[title])
                if target is not None and title in planned
                else {}
            )
            for document in docs:
                finding = findings.setdefault(document.unid, Finding(web_url=document.web_url))
                found = items.get(document.unid, [])
                copies = [
                    f"{other} #{item['id']}"
                    for other, (_target, its) in sorted(present.items())
                    if other != title
                    for item in its.get(document.unid, [])
                ]
                if copies:  # once in SharePoint means once in all of the database's lists
                    finding.add(
                        "duplicate", Difference(field="item", expected=title, actual=copies)
                    )
                if not found:
                    finding.add("missing", Difference(field="item", expected=title, actual=None))
                    finding.rewrite_item = finding.item_gone = True
                    continue
                if len(found) > 1:
                    ids = sorted(str(i["id"]) for i in found)
                    finding.add("duplicate", Difference(field="item", expected=1, actual=ids))
                item = next((i for i in found if str(i["id"]) == document.item_id), found[0])
                finding.web_url = item.get("webUrl") or finding.web_url
                if str(item["id"]) != (document.item_id or ""):
                    finding.add(
                        "changed",
                        Difference(
                            field="item id", expected=document.item_id, actual=str(item["id"])
                        ),
                    )
                    finding.rewrite_item = True
                if document.expected_fields is None:
                    finding.add(
                        "changed",
                        Difference(
                            field="(ledger)", expected="loaded", actual="not recorded as loaded"
                        ),
                    )
                    finding.rewrite_item = True
                else:
                    changed = differences(
                        document.expected_fields, item.get("fields") or {}, plans, upn_of
                    )
                    if changed:
                        finding.add("changed", *changed)
                        finding.rewrite_item = True
                if target is not None and document.audience:
                    await self._item_access(applier, target, document, item, scopes, finding)
        await self._held_but_present(applier, documents, present, scopes, findings)
        await self._files(site, own, findings, verdicts, scopes, applier)
        await self._list_scopes(applier, present, scopes, verdicts)
        repairs: list[Repair] = []
        for unid, finding in sorted(findings.items()):
            verdicts.append(
                Verdict(
                    database=plan.replica_id,
                    unid=unid,
                    verdict=finding.verdict,
                    differences=finding.differences,
                    web_url=finding.web_url,
                    subject=unid,
                )
            )
            if finding.rewrite_item or finding.attachments:
                repairs.append(
                    Repair(
                        unid,
                        rewrite_item=finding.rewrite_item,
                        item_gone=finding.item_gone,
                        attachment_ids=tuple(finding.attachments),
                    )
                )
        return ReconcileResult(verdicts, repairs)

    # -- reading --------------------------------------------------------------------------

    async def _items(self, target: Target, expand: str) -> list[dict[str, Any]]:
        """Every item of a list, page by page (``$top`` is a hint: the service may page less)."""
        return await self.graph.pages(
            f"/sites/{target.site_id}/lists/{target.id}/items?$expand={expand}&$top=5000"
        )

    def _plans(self, target: Target, planned: TargetList) -> dict[str, FieldPlan]:
        """How each planned column is found (its internal name) and compared (its type)."""
        return {
            column.name: FieldPlan(
                column.name,
                target.column(column.name),
                ColumnType(column.kind) if column.kind else None,
            )
            for column in planned.columns
        } | {
            name: FieldPlan(name, info, None)
            for name, info in target.columns.items()
            if name not in {c.name for c in planned.columns}
        }

    def _elsewhere(self, unids: Iterable[str]) -> set[str]:
        """Of these UNIDs (none of this database's), those the ledger has in another database."""
        holders = self.ledger.databases_holding(u for u in unids if u)
        return {unid for unid, replicas in holders.items() if replicas - {self.plan.replica_id}}

    def _unexpected(
        self, target: Target, item: dict[str, Any], unid: str, why: str | None = None
    ) -> Verdict:
        found = [Difference(field="item", expected=None, actual=f"{target.title} #{item['id']}")]
        if why is not None:
            found.append(Difference(field="(ledger)", expected=why, actual="in SharePoint"))
        return Verdict(
            database=self.plan.replica_id,
            unid=unid,
            verdict="unexpected",
            differences=found,
            web_url=item.get("webUrl"),
            subject=f"item:{target.id}:{item['id']}",
        )

    # -- permissions ----------------------------------------------------------------------

    async def _item_access(
        self,
        applier: PermissionApplier,
        target: Target,
        document: DocumentFact,
        item: dict[str, Any],
        scopes: dict[tuple[str, str], ScopeFact],
        finding: Finding,
    ) -> None:
        """A restricted document's item: in its audience's folder, inheriting the folder's
        permissions (which are its plan's), or with its own that are its plan's."""
        audience = str(document.audience)
        state = await self.rest.call(
            "GET",
            target.site_path,
            f"web/lists(guid'{target.id}')/items({int(item['id'])})",
            what=f"{target.title} item {item['id']}",
        )
        own = bool((state or {}).get("HasUniqueRoleAssignments"))
        if audience.startswith("item:"):
            scope = scopes.get((target.id, f"item:{item['id']}"))
            if not own or scope is None:
                finding.add(
                    "permissions-wrong",
                    Difference(
                        field="permissions",
                        expected="its own (restricted)",
                        actual="unique" if own else "inherited from the list",
                    ),
                )
                finding.rewrite_item = True
                return
            await self._scope_matches(applier, target, str(item["id"]), scope, finding)
            return
        folder = f"{applier.list_path(target)}/{audience}"
        if str((state or {}).get("FileDirRef", "")) != folder:
            finding.add(
                "permissions-wrong",
                Difference(field="folder", expected=folder, actual=(state or {}).get("FileDirRef")),
            )
            finding.rewrite_item = True
        if own:
            finding.add(
                "permissions-wrong",
                Difference(
                    field="permissions",
                    expected="inherited from its audience folder",
                    actual="its own",
                ),
            )
            finding.rewrite_item = True
        scope = scopes.get((target.id, audience))
        if scope is not None and scope.item_id:
            await self._scope_matches(applier, target, scope.item_id, scope, finding, cache=True)

    async def _scope_matches(
        self,
        applier: PermissionApplier,
        target: Target,
        item_id: str | None,
        scope: ScopeFact,
        finding: Finding,
        *,
        cache: bool = False,
    ) -> None:
        cache_key = (target.id, item_id)
        if cache and cache_key in self._scope_cache:
            actual = self._scope_cache[cache_key]
        else:
            actual = await applier.assignments(target, item_id)
            self._scope_cache[cache_key] = actual
        wanted = expected_assignments(scope.grants)
        if actual != wanted:
            finding.add(
                "permissions-wrong",
                Difference(
                    field=f"permissions of {scope.key}",
                    expected=sorted(map(list, wanted)),
                    actual=sorted(map(list, actual)),
                ),
            )
            finding.rewrite_item = True

    async def _held_but_present(
        self,
        applier: PermissionApplier,
        documents: list[DocumentFact],
        present: dict[str, tuple[Target, dict[str, list[dict[str, Any]]]]],
        scopes: dict[tuple[str, str], ScopeFact],
        findings: dict[str, Finding],
    ) -> None:
        """A document held back for its access that is still in SharePoint must be withdrawn
        (its own permissions: nobody's but the app's); else it is readable where it must not be."""
        for document in documents:
            if not _held_for_access(document):
                continue
            for target, items in present.values():
                for item in items.get(document.unid, []):
                    finding = findings.setdefault(
                        document.unid, Finding(web_url=item.get("webUrl"))
                    )
                    scope = scopes.get((target.id, f"item:{item['id']}"))
                    if document.access_state != "withdrawn" or scope is None:
                        finding.add(
                            "permissions-wrong",
                            Difference(
                                field="permissions",
                                expected="withdrawn (held back for its access)",
                                actual="readable in SharePoint",
                            ),
                        )
                        continue
                    await self._scope_matches(applier, target, str(item["id"]), scope, finding)

    async def _list_scopes(
        self,
        applier: PermissionApplier,
        present: dict[str, tuple[Target, dict[str, list[dict[str, Any]]]]],
        scopes: dict[tuple[str, str], ScopeFact],
        verdicts: list[Verdict],
    ) -> None:
        """Each list's (and library's) own permissions, where the database ACL was applied."""
        targets = {t.id: t for t, _ in present.values()} | self._libraries
        for (target_id, key), scope in sorted(scopes.items()):
            target = targets.get(target_id)
            if key != "list" or target is None:
                continue
            finding = Finding()
            await self._scope_matches(applier, target, None, scope, finding)
            if finding.kinds:
                verdicts.append(
                    Verdict(
                        database=self.plan.replica_id,
                        unid="",
                        verdict="permissions-wrong",
                        differences=finding.differences,
                        web_url=target.web_url,
                        subject=f"list:{target.id}",
                    )
                )

    # -- files ----------------------------------------------------------------------------

    async def _files(
        self,
        site: SiteRef,
        own: dict[str, DocumentFact],
        findings: dict[str, Finding],
        verdicts: list[Verdict],
        scopes: dict[tuple[str, str], ScopeFact],
        applier: PermissionApplier,
    ) -> None:
        wanted: dict[str, list[tuple[DocumentFact, FileFact]]] = defaultdict(list)
        for document in own.values():
            if document.state not in EXPECTED_STATES:
                continue
            for file in document.files:
                wanted[file.library].append((document, file))
        known_ids = {f.drive_item_id for docs in wanted.values() for _d, f in docs}
        libraries = self.plan.libraries
        for title in libraries:
            target = await self.provisioner.existing(site, title, library_columns())
            if target is not None:
                self._libraries[target.id] = target
            entries: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
            if target is not None:
                unid_column = target.column(LIBRARY_UNID)
                key_column = target.column(LIBRARY_FILE_KEY)
                for item in await self._items(target, "fields,driveItem"):
                    drive_item = item.get("driveItem") or {}
                    fields = item.get("fields") or {}
                    if "folder" in drive_item or fields.get("ContentType") == "Folder":
                        continue
                    entries[str(drive_item.get("id", ""))] = (item, drive_item)
                strays: list[tuple[str, dict[str, Any], dict[str, Any], str]] = []
                for drive_id, (item, drive_item) in entries.items():
                    if drive_id in known_ids:
                        continue
                    fields = item.get("fields") or {}
                    unid = str(
                        fields.get(unid_column.internal if unid_column else LIBRARY_UNID) or ""
                    )
                    strays.append((drive_id, fields, drive_item, unid))
                elsewhere = self._elsewhere(u for *_rest, u in strays if u not in own)
                for drive_id, fields, drive_item, unid in strays:
                    if unid in elsewhere:
                        continue  # another database's file in a shared library
                    owner = own.get(unid)
                    if owner is not None and owner.state == State.DELETED:
                        continue  # its deletion policy decides what stays of it
                    if owner is not None and _held_for_access(owner):
                        # Its file must not stay readable, as its item must not; a withdrawn
                        # one's are the withdrawal's to restrict.
                        if owner.access_state != "withdrawn":
                            findings.setdefault(
                                unid, Finding(web_url=drive_item.get("webUrl"))
                            ).add(
                                "permissions-wrong",
                                Difference(
                                    field=f"file {drive_item.get('name')}",
                                    expected="withdrawn (held back for its access)",
                                    actual="readable in SharePoint",
                                ),
                            )
                        continue
                    noted = [
                        Difference(
                            field="file",
                            expected=None,
                            actual=fields.get(key_column.internal if key_column else "")
                            or drive_item.get("name"),
                        )
                    ]
                    if owner is not None and owner.state not in EXPECTED_STATES:
                        noted.append(
                            Difference(
                                field="(ledger)",
                                expected=_ledger_state(owner),
                                actual="in SharePoint",
                            )
                        )
                    verdicts.append(
                        Verdict(
                            database=self.plan.replica_id,
                            unid=unid,
                            verdict="unexpected",
                            differences=noted,
                            web_url=drive_item.get("webUrl"),
                            subject=f"file:{drive_id}",
                        )
                    )
            for document, file in wanted.get(title, []):
                finding = findings.setdefault(document.unid, Finding(web_url=document.web_url))
                where = f"{file.folder}/{file.name}"
                found = entries.get(file.drive_item_id or "")
                # A file waiting for its repair is still the one the ledger knows: it is
                # judged as it stands (altered, say), not as missing beside a stray.
                if found is None:
                    finding.add(
                        "file-missing",
                        Difference(field=f"file {where}", expected="present", actual=None),
                    )
                    finding.attachments.append(file.id)
                    continue
                drive_item = found[1]
                current = ((drive_item.get("file") or {}).get("hashes") or {}).get("quickXorHash")
                size = drive_item.get("size")
                # SharePoint's own rewrite changes the size: the hash it returned at upload is
                # the check then (the ledger keeps the source's size, not the rewritten one).
                sized = not _rewritten(file)
                if current != file.quickxor or (sized and size != file.size):
                    wanted_file: dict[str, Any] = {"quickXorHash": file.quickxor}
                    if sized:
                        wanted_file["size"] = file.size
                    finding.add(
                        "file-altered",
                        Difference(
                            field=f"file {where}",
                            expected=wanted_file,
                            actual={"quickXorHash": current, "size": size},
                        ),
                    )
                    finding.attachments.append(file.id)
                    continue
                parent = str((drive_item.get("parentReference") or {}).get("path", ""))
                if file.folder and not parent.endswith(f"/{file.folder}"):
                    finding.add(
                        "permissions-wrong",
                        Difference(
                            field=f"file {where}", expected=f"in {file.folder}", actual=parent
                        ),
                    )
                    finding.attachments.append(file.id)
                    continue
                if file.source_quickxor and file.source_quickxor != file.quickxor:
                    finding.add(
                        "file-rewritten",
                        Difference(
                            field=f"file {where}",
                            expected={"quickXorHash": file.source_quickxor, "size": file.size},
                            actual={"quickXorHash": current, "size": drive_item.get("size")},
                        ),
                    )
                audience = file.folder.split("/", 1)[0] if document.audience else None
                if target is None or audience is None:
                    continue
                scope = scopes.get((target.id, audience))
                if scope is not None and scope.item_id:
                    await self._scope_matches(
                        applier, target, scope.item_id, scope, finding, cache=True
                    )


def _not_expected(document: DocumentFact) -> str | None:
    """Why a document of this database should not be in SharePoint (None: it may be: it is
    expected there, deleted in Notes, whose deletion policy decides, or held back for its
    access, whose withdrawal is checked on its own)."""
    state = document.state
    if state in EXPECTED_STATES or state == State.DELETED or _held_for_access(document):
        return None
    return _ledger_state(document)


#: The loader's own reasons for holding a restricted document back (after the transform's).
_LOADER_ACCESS_REASONS = (reasons.WITHDRAWN, reasons.PERMISSIONS_REFUSED, reasons.FILES_REFUSED)


def _held_for_access(document: DocumentFact) -> bool:
    """Held back for its access: by the transform, or by the loader (a withdrawal records its
    own reason over the transform's, and must still be checked as one)."""
    if document.state != State.QUARANTINED:
        return False
    text = document.error or ""
    return (
        document.access_state == "withdrawn"
        or reasons.is_access(text)
        or any(reason.japanese(text) is not None for reason in _LOADER_ACCESS_REASONS)
    )


def _ledger_state(document: DocumentFact) -> str:
    return f"{document.state}: {document.error}" if document.error else str(document.state)


def _rewritten(file: FileFact) -> bool:
    """A file SharePoint rewrote on upload (its size is SharePoint's, not the source's); with
    no source hash recorded, one of the kinds it rewrites is taken to be."""
    if file.source_quickxor is not None:
        return file.source_quickxor != file.quickxor
    return PurePosixPath(file.name).suffix.lower() in REWRITTEN_ON_UPLOAD
