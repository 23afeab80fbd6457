"""The load stage for one Notes database: its transform output into SharePoint.

In order: provisioning (site, lists, libraries, columns); the database's Notes roles as site
groups; the database ACL on its lists and libraries (when the mapping carries it); then each
list's open documents, and its restricted documents inside audience folders whose permissions
are set and read back first; then the files of each library (a restricted document's files in
its audience's folder, protected the same way before any byte is uploaded); then what Notes
deleted (recycled, marked or reported, as the mapping says); then the link pass (Notes links
and inline pictures pointed at SharePoint, or at the redirector). A document loaded
openly that has become restricted, or whose mapping now holds it back, is withdrawn before
anything else changes. Every outcome lands in the ledger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

from notesmig import reasons
from notesmig.errors import TerminalError
from notesmig.ledger import Ledger
from notesmig.ledger.models import VALIDATE_STAGE, State
from notesmig.links.urls import DEFAULT_REDIRECTOR
from notesmig.mapping.model import Mapping
from notesmig.records import (
    DatabaseAccess,
    FileRow,
    Grant,
    ItemRow,
    LoadCounts,
    Outcome,
    PermissionPlan,
    read_records,
)
from notesmig.sharepoint.deletions import DeletionSync
from notesmig.sharepoint.files import FileContent, FileUploader
from notesmig.sharepoint.graph import Graph, GraphRequestError
from notesmig.sharepoint.items import PARENT_LOOKUP, ItemWriter, odata_string
from notesmig.sharepoint.linkpass import LinkPass
from notesmig.sharepoint.parallel import Bounded
from notesmig.sharepoint.people import SitePeople
from notesmig.sharepoint.permissions import (
    PermissionApplier,
    PermissionError_,
    grants_digest,
    grants_json,
)
from notesmig.sharepoint.provision import (
    LIBRARY_UNID,
    Provisioner,
    SiteRef,
    Target,
    library_columns,
    list_columns,
    target_plan,
)
from notesmig.sharepoint.rest import RestRequestError, SharePointRest
from notesmig.spfacts.costs import COST_WRITE
from notesmig.transform.stage import (
    ACCESS_FILE,
    FILES_FILE,
    ITEMS_DIR,
    PERMISSIONS_FILE,
    QUARANTINE_FILE,
)

log = logging.getLogger("notesmig.sharepoint")

PERMISSIONS_REFUSED = str(reasons.PERMISSIONS_REFUSED)
FILES_REFUSED = str(reasons.FILES_REFUSED)
WITHDRAWN = str(reasons.WITHDRAWN)
PLAN_MISSING = "its row is restricted but permissions.jsonl has no plan for it"


class Loader:
    """Loads one database's transform output (``transform_dir``) as its mapping says."""

    def __init__(
        self,
        graph: Graph,
        rest: SharePointRest,
        ledger: Ledger,
        extract_dir: Path,
        transform_dir: Path,
        mapping: Mapping,
        *,
        progress: Callable[[int], None] | None = None,
        redirector: str = DEFAULT_REDIRECTOR,
        sites: dict[str, str] | None = None,
        lease_holder: str = "notesmig",
    ) -> None:
        self.graph = graph
        self.rest = rest
        self.ledger = ledger
        self.extract_dir = extract_dir
        self.transform_dir = transform_dir
        self.mapping = mapping
        self.progress = progress or (lambda _done: None)
        self.provisioner = Provisioner(graph)
        self.warnings: list[str] = []
        #: The UNIDs of the rows this load handled (for the wave they belong to).
        self.unids: list[str] = []
        self.redirector = redirector
        #: Every mapped database's site (replica id -> ``host:/sites/name``): the link pass
        #: upgrades their documents' links into this database.
        self.sites = {**(sites or {}), mapping.replica_id: mapping.site}
        self.lease_holder = lease_holder

    def rows_by_list(self) -> dict[str, list[ItemRow]]:
        """The database's rows per list, but those the validation held back (nor their files:
        a file goes only with its loaded document)."""
        held = self.ledger.held_at(self.mapping.replica_id, VALIDATE_STAGE)
        rows: dict[str, list[ItemRow]] = defaultdict(list)
        for path in sorted((self.transform_dir / ITEMS_DIR).glob("*.jsonl")):
            for row in read_records(path, ItemRow):
                if row.database == self.mapping.replica_id and row.unid not in held:
                    rows[row.list].append(row)
        return rows

    def content(self, file: FileRow) -> FileContent:
        if file.content is not None:
            return FileContent.of_bytes(file.content.encode("utf-8"))
        return FileContent.of_file(self.extract_dir / "blobs" / str(file.blob))

    def _access(self) -> DatabaseAccess:
        for access in read_records(self.transform_dir / ACCESS_FILE, DatabaseAccess):
            if access.database == self.mapping.replica_id:
                return access
        return DatabaseAccess(database=self.mapping.replica_id, title=self.mapping.title,
                              acl_apply=False)  # fmt: skip

    async def load(self) -> LoadCounts:
        mapping = self.mapping
        database_id = self.ledger.database_id(mapping.replica_id)
        if database_id is None:
            return LoadCounts()  # nothing of this database was transformed
        self.ledger.record_target(database_id, target_plan(mapping))
        site = await self.provisioner.site(mapping.site)
        people = await SitePeople(self.graph, self.rest, site.id, site.path).load()
        applier = PermissionApplier(self.rest, people, site)
        access = self._access()
        plans = {
            plan.unid: plan
            for plan in read_records(self.transform_dir / PERMISSIONS_FILE, PermissionPlan)
            if plan.database == mapping.replica_id
        }
        view = self.ledger.load_view(mapping.replica_id)
        lists_of = self.ledger.item_lists(mapping.replica_id)
        writer = ItemWriter(
            self.graph, self.rest, self.ledger, people, progress=self.progress,
            redirector=self.redirector,
            items={unid: (lists_of[unid], item) for unid, (_s, item, _h) in view.items()
                   if item and unid in lists_of},
        )  # fmt: skip
        item_urls: dict[str, str] = {}
        rows_by_list = self.rows_by_list()
        self.unids = [row.unid for rows in rows_by_list.values() for row in rows]
        self.ledger.plan_access(database_id, plans)
        unplanned = self._hold_unplanned(database_id, rows_by_list, plans)
        writer.counts.quarantined += len(unplanned)
        # A plan over SharePoint's unique-scope limit is refused before anything is written.
        files = [
            f
            for f in read_records(self.transform_dir / FILES_FILE, FileRow)
            if f.database == mapping.replica_id
        ]
        needed = await self._scopes_in_use(site)
        for title, rows in rows_by_list.items():
            needed.setdefault(title, set()).update(
                plans[r.unid].audience for r in rows if r.unid in plans
            )
        for file in files:
            if file.audience is not None:
                needed.setdefault(file.library, set()).add(file.audience)
        for title, scopes in sorted(needed.items()):
            warning = applier.check_scope_budget(
                Target(title, "", "", site.id, site.path), len(scopes)
            )
            if warning:
                self.warnings.append(warning)
        groups_refused: str | None = None
        if plans or access.acl_apply:
            try:
                await applier.ensure_site_groups(access)
            except (PermissionError_, RestRequestError) as exc:
                log.error("%s: %s", mapping.replica_id, exc)
                groups_refused = str(exc)
        for note in access.unresolved:
            self.warnings.append(f"{mapping.replica_id}: {note}")
        lists: dict[str, Target] = {}
        for title in sorted({form.list for form in mapping.forms.values()}):
            target = await self.provisioner.ensure(
                site, title, "genericList", list_columns(mapping, title)
            )
            await self.provisioner.ensure_self_lookup(target, PARENT_LOOKUP)
            lists[title] = target
        libraries: dict[str, Target] = {}
        for title in sorted({f.library for f in mapping.forms.values() if f.library}):
            libraries[title] = await self.provisioner.ensure(
                site, title, "documentLibrary", library_columns()
            )
        # Before any content changes: nothing Notes now keeps from someone stays readable
        # where it stands in SharePoint (items and files alike).
        await self._withdraw(
            database_id, lists, libraries, view, applier, plans, rows_by_list, unplanned
        )
        placed = self._in_place(plans, view)
        for title, target in lists.items():
            rows = [r for r in rows_by_list.get(title, []) if r.unid not in unplanned]
            acl_refused = groups_refused
            if access.acl_apply and acl_refused is None:
                try:
                    await self._list_acl(database_id, applier, target, access)
                except (PermissionError_, RestRequestError) as exc:
                    acl_refused = str(exc)
            if acl_refused is not None and (access.acl_apply or any(r.unid in plans for r in rows)):
                # Without its permissions the list is the site's: nothing is put into it
                # that Notes did not let everyone read.
                for row in rows:
                    if access.acl_apply or row.unid in plans:
                        writer.counts.quarantined += 1
                        self.ledger.quarantine(
                            database_id, row.unid, "load", PERMISSIONS_REFUSED, acl_refused
                        )
                rows = [] if access.acl_apply else [r for r in rows if r.unid not in plans]
            await writer.write(
                database_id, target, [r for r in rows if r.unid not in plans], view, item_urls
            )
            restricted = [r for r in rows if r.unid in plans]
            if restricted:
                folders, audiences_refused = await self._audiences(
                    database_id, applier, target, restricted, plans
                )
                for row in restricted:
                    if plans[row.unid].audience in audiences_refused:
                        writer.counts.quarantined += 1
                        self.ledger.quarantine(
                            database_id, row.unid, "load", PERMISSIONS_REFUSED,
                            audiences_refused[plans[row.unid].audience],
                        )  # fmt: skip

                async def restrict(target: Target, item_id: str, plan: PermissionPlan) -> None:
                    try:
                        await applier.ensure_scope(target, item_id, plan.grants)
                    except (TerminalError, RestRequestError):
                        # Standing where others can read it and not restrictable to its
                        # readers: shut (to nobody, or removed) before the refusal is told.
                        await self._shut(database_id, target, item_id, plan.unid, applier)
                        raise
                    self._item_scope(database_id, target, item_id, plan.grants)

                ready = [r for r in restricted if plans[r.unid].audience not in audiences_refused]
                await writer.write_restricted(
                    database_id, target, ready, plans, view, folders, item_urls, restrict,
                    placed=placed,
                )  # fmt: skip
            await writer.set_deferred_lookups()
        counts = writer.counts.into(LoadCounts())
        audience_grants = {plan.audience: plan for plan in plans.values()}

        async def audience_folder(target: Target, audience: str) -> None:
            await self._library_audience(database_id, applier, target, audience_grants[audience])

        uploader = FileUploader(
            self.graph, self.rest, self.ledger, self.content, progress=self.progress,
            authorship=writer.authorship, audience_folder=audience_folder,
        )  # fmt: skip
        attachments = self.ledger.attachment_view(mapping.replica_id)
        library_urls: dict[str, str] = {}
        for title, target in libraries.items():
            library_urls[title] = target.web_url
            if access.acl_apply:
                try:
                    await self._list_acl(database_id, applier, target, access)
                except (PermissionError_, RestRequestError) as exc:
                    log.error("%s: %s", title, exc)
                    continue  # its documents' files stay out of a library others could read
            wanted = [f for f in files if f.library == title]
            await uploader.upload_all(target, wanted, attachments, item_urls)
        for unid, why in uploader.refused.items():
            counts = counts.model_copy(update={"items_quarantined": counts.items_quarantined + 1})
            self.ledger.quarantine(database_id, unid, "load", FILES_REFUSED, why)
        deletions = DeletionSync(self.graph, self.ledger, mapping.replica_id, mapping.deletions)
        deleted = await deletions.run(lists, libraries)
        self.warnings.extend(deletions.warnings)
        links = await LinkPass(
            self.rest, self.ledger, self.redirector,
            site_paths=self._site_paths(site), library_urls=library_urls,
            lease_holder=self.lease_holder,
        ).run(mapping.replica_id)  # fmt: skip
        if writer.counts.unknown_people:
            self.ledger.record_unknown_people(database_id, writer.counts.unknown_people)
        for warning in self.warnings:
            log.warning("%s", warning)
        return counts.model_copy(
            update={
                "files_uploaded": uploader.counts.uploaded,
                "files_unchanged": uploader.counts.unchanged,
                "bytes_uploaded": uploader.counts.bytes,
                "files_rewritten": uploader.counts.rewritten,
                "unique_scopes": applier.scopes_applied,
                "links_rewritten": links.documents_rewritten,
                "links_direct": links.direct,
                "links_pending": links.pending,
                "links_broken": links.broken,
                "pictures_linked": links.pictures,
                "links_upgraded": links.upgraded,
                "deleted_recycled": deleted.recycled,
                "deleted_kept": deleted.kept,
                "deleted_reported": deleted.reported,
                "deletions_held": deleted.held,
                "files_removed": deleted.files_removed,
                "warnings": list(dict.fromkeys(self.warnings)),
            }
        )

    def _hold_unplanned(
        self, database_id: int, rows_by_list: dict[str, list[ItemRow]],
        plans: dict[str, PermissionPlan],
    ) -> set[str]:  # fmt: skip
        """Rows the transform put in an audience but whose plan is not in ``permissions.jsonl``
        (a file lost or out of step): held back, never loaded openly."""
        unplanned = {r.unid for rows in rows_by_list.values() for r in rows
                     if r.audience is not None and r.unid not in plans}  # fmt: skip
        for unid in sorted(unplanned):
            self.ledger.quarantine(database_id, unid, "load", PERMISSIONS_REFUSED, PLAN_MISSING)
        return unplanned

    async def _scopes_in_use(self, site: SiteRef) -> dict[str, set[str]]:
        """List title -> the unique scopes notesmig already keeps in it (audience folders and
        items' own), read from the ledger without creating or changing anything."""
        ids = {str(e.get("displayName", "")).casefold(): str(e["id"])
               for e in await self.graph.pages(f"/sites/{site.id}/lists")}  # fmt: skip
        kept: dict[str, set[str]] = defaultdict(set)
        for (list_id, key), _sha in self.ledger.scope_digests(self.mapping.replica_id).items():
            kept[list_id].add(key)
        return {title: kept.get(ids.get(title.casefold(), ""), set()) - {"list"}
                for title in {f.list for f in self.mapping.forms.values()}
                | {f.library for f in self.mapping.forms.values() if f.library}}  # fmt: skip

    def _site_paths(self, own: SiteRef) -> dict[str, str]:
        """Replica id (upper case) -> its site's server-relative path, for every mapped
        database (from the mapping's ``host:/sites/name``: a site not there yet, for a later
        wave, costs this load nothing)."""
        paths = {replica.upper(): quote(spec.partition(":")[2].rstrip("/"))
                 for replica, spec in self.sites.items()}  # fmt: skip
        paths[self.mapping.replica_id.upper()] = own.path
        return paths

    # -- permissions ----------------------------------------------------------------------

    async def _list_acl(
        self, database_id: int, applier: PermissionApplier, target: Target, access: DatabaseAccess
    ) -> None:
        """The database's ACL as the list's (or library's) own permissions; on a list, Notes
        Authors edit only their own items."""
        library = target.drive_id is not None
        grants = access.library_grants if library else access.list_grants
        if not library:
            # Before the grants: Contribute never edits others' items, not even for a moment.
            await applier.ensure_write_security(target, 2 if access.own_items_only else 1)
        await applier.ensure_scope(target, None, grants)
        self.ledger.record_scope(
            database_id, target.id, "list", item_id=None,
            grants_sha256=grants_digest(grants), grants=grants_json(grants), state="verified",
        )  # fmt: skip

    def _item_scope(
        self, database_id: int, target: Target, item_id: str, grants: list[Grant]
    ) -> None:
        """An item's own permissions (restricted where it stands, or withdrawn to nobody)."""
        self.ledger.record_scope(
            database_id, target.id, f"item:{item_id}", item_id=item_id,
            grants_sha256=grants_digest(grants), grants=grants_json(grants), state="verified",
        )  # fmt: skip

    async def _audiences(
        self,
        database_id: int,
        applier: PermissionApplier,
        target: Target,
        rows: list[ItemRow],
        plans: dict[str, PermissionPlan],
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Each audience's folder in the list, its permissions verified: audience -> folder
        path, and the audiences whose permissions could not be applied (audience -> why)."""
        audiences = {plans[r.unid].audience: plans[r.unid] for r in rows}
        folders: dict[str, str] = {}
        refused: dict[str, str] = {}

        async def one(audience: str, plan: PermissionPlan) -> None:
            try:
                folders[audience] = await self._audience(database_id, applier, target, plan)
            except (PermissionError_, RestRequestError) as exc:
                log.error("%s: %s", target.title, exc)
                refused[audience] = str(exc)

        async with Bounded() as pool:  # each folder a sequence of dependent calls
            for audience, plan in sorted(audiences.items()):
                await pool.start(one(audience, plan))
        return folders, refused

    async def _audience(
        self, database_id: int, applier: PermissionApplier, target: Target, plan: PermissionPlan
    ) -> str:
        audience = plan.audience
        folder = await applier.list_folder(target, audience)
        self.ledger.record_scope(
            database_id, target.id, audience, item_id=folder,
            grants_sha256=grants_digest(plan.grants), grants=grants_json(plan.grants),
            state="applied",
        )  # fmt: skip
        await applier.ensure_scope(target, folder, plan.grants)
        self.ledger.record_scope(
            database_id, target.id, audience, item_id=folder,
            grants_sha256=grants_digest(plan.grants), grants=grants_json(plan.grants),
            state="verified",
        )  # fmt: skip
        return f"{applier.list_path(target)}/{audience}"

    async def _library_audience(
        self, database_id: int, applier: PermissionApplier, target: Target, plan: PermissionPlan
    ) -> None:
        """An audience's folder at a library's root, its permissions verified before files."""
        drive = f"/drives/{target.drive_id}"
        try:
            folder = await self.graph.write_json(
                "POST",
                f"{drive}/root/children",
                {"name": plan.audience, "folder": {}, "@microsoft.graph.conflictBehavior": "fail"},
            )
        except GraphRequestError as exc:
            if exc.status != 409:
                raise
            folder = await self.graph.get_json(f"{drive}/root:/{quote(plan.audience)}:")
        found = await self.graph.get_json(f"{drive}/items/{folder['id']}?$expand=listItem")
        item_id = str(found["listItem"]["id"])
        await applier.ensure_scope(target, item_id, plan.grants)
        self.ledger.record_scope(
            database_id, target.id, plan.audience, item_id=item_id,
            grants_sha256=grants_digest(plan.grants), grants=grants_json(plan.grants),
            state="verified",
        )  # fmt: skip

    async def _withdraw(
        self,
        database_id: int,
        lists: dict[str, Target],
        libraries: dict[str, Target],
        view: dict[str, tuple[str, str | None, str]],
        applier: PermissionApplier,
        plans: dict[str, PermissionPlan],
        rows_by_list: dict[str, list[ItemRow]],
        unplanned: set[str],
    ) -> None:
        """Before any content is written: a document the transform now holds back for its
        access is shut where it stands (restricted to nobody but the app, or removed, as the
        mapping says), its files too; a restricted document standing outside its plan (loaded
        openly before it gained its Readers field, or in the folder of readers it no longer
        has) gets its planned permissions on its item, and its files outside its audience's
        folder go (they are uploaded again inside it)."""
        by_id = {target.id: target for target in lists.values()}
        list_of = self.ledger.item_lists(self.mapping.replica_id)
        placed = self._in_place(plans, view)
        held = {
            outcome.unid: f"{outcome.reason}: {outcome.detail}"
            for outcome in read_records(self.transform_dir / QUARANTINE_FILE, Outcome)
            if outcome.database == self.mapping.replica_id and reasons.is_access(outcome.reason)
        }
        held.update({unid: PLAN_MISSING for unid in unplanned})
        access = self.ledger.access_view(self.mapping.replica_id)
        for unid, why in sorted(held.items()):
            _state, item_id, _sha = view.get(unid, ("", None, ""))
            if item_id is None:
                continue  # never loaded (or already removed): nothing stands anywhere
            if access.get(unid) == (f"item:{item_id}", "withdrawn"):
                continue  # shut by an earlier run, item and files: nothing to ask again
            # Files first: the item's "withdrawn", recorded last, says both are shut.
            await self._shut_files(database_id, libraries, unid, None, applier)
            target = by_id.get(list_of.get(unid, ""))
            if target is not None:
                await self._shut(database_id, target, item_id, unid, applier)
            self.ledger.quarantine(database_id, unid, "load", WITHDRAWN, why)
        for rows in rows_by_list.values():
            for row in rows:
                plan = plans.get(row.unid)
                _state, item_id, _sha = view.get(row.unid, ("", None, ""))
                if plan is None or item_id is None or row.unid in placed:
                    continue
                target = by_id.get(list_of.get(row.unid, ""))
                if target is not None:
                    try:
                        await applier.ensure_scope(target, item_id, plan.grants)
                    except (TerminalError, RestRequestError) as exc:
                        log.error("%s: %s", row.unid, exc)
                        await self._shut(database_id, target, item_id, row.unid, applier)
                    else:
                        self._item_scope(database_id, target, item_id, plan.grants)
                        self.ledger.set_access(
                            database_id, row.unid, audience=f"item:{item_id}", state="verified"
                        )
                await self._shut_files(database_id, libraries, row.unid, plan.audience, applier)

    def _in_place(
        self, plans: dict[str, PermissionPlan], view: dict[str, tuple[str, str | None, str]]
    ) -> set[str]:
        """The restricted documents whose item stands where their plan puts it: in their
        audience's folder, or with exactly the planned grants as its own (read back)."""
        access = self.ledger.access_view(self.mapping.replica_id)
        digests = self.ledger.scope_digests(self.mapping.replica_id)
        list_of = self.ledger.item_lists(self.mapping.replica_id)
        placed: set[str] = set()
        for unid, plan in plans.items():
            audience, state = access.get(unid, (None, None))
            item_id = view.get(unid, ("", None, ""))[1]
            if state not in ("applied", "verified") or audience is None:
                continue
            if audience == plan.audience or (
                audience == f"item:{item_id}"
                and digests.get((list_of.get(unid, ""), audience)) == grants_digest(plan.grants)
            ):
                placed.add(unid)
        return placed

    async def _shut(
        self, database_id: int, target: Target, item_id: str, unid: str,
        applier: PermissionApplier,
    ) -> None:  # fmt: skip
        """An item that must not stay readable where it stands: restricted to nobody but the
        app (the mapping's ``withdraw: restrict``), or removed (``remove``, and whenever
        SharePoint refuses the permissions: never left open)."""
        if self.mapping.withdraw != "remove":
            try:
                await applier.ensure_scope(target, item_id, [])
            except (TerminalError, RestRequestError) as exc:
                log.error("%s item %s: %s; removed instead", target.title, item_id, exc)
            else:
                self._item_scope(database_id, target, item_id, [])
                self.ledger.set_access(
                    database_id, unid, audience=f"item:{item_id}", state="withdrawn"
                )
                return
        await self._delete(target, item_id)
        self.ledger.set_access(database_id, unid, audience=None, state="withdrawn")
        self.ledger.forget_item(database_id, unid)

    async def _delete(self, target: Target, item_id: str) -> None:
        await self.graph.budget.take(COST_WRITE)
        try:
            await self.graph.send(
                "DELETE", f"/sites/{target.site_id}/lists/{target.id}/items/{item_id}"
            )
        except GraphRequestError as exc:
            if exc.status != 404:  # already gone: what was wanted
                raise

    async def _shut_files(
        self, database_id: int, libraries: dict[str, Target], unid: str, audience: str | None,
        applier: PermissionApplier,
    ) -> bool:  # fmt: skip
        """The document's files in SharePoint outside ``audience``'s folder (all of them when
        None): restricted to nobody or removed, as the mapping says (a file removed here is
        uploaded again where it belongs). Whether there were any."""
        found = False
        gone: set[str] = set()
        for target in libraries.values():
            for entry in await self.graph.pages(
                f"/sites/{target.site_id}/lists/{target.id}/items"
                f"?$filter=fields/{LIBRARY_UNID}%20eq%20{odata_string(unid)}"
                f"&$expand=fields(select={LIBRARY_UNID}),driveItem"
            ):
                parent = str(((entry.get("driveItem") or {}).get("parentReference") or {})
                             .get("path", ""))  # fmt: skip
                folder = unquote(parent.partition("root:")[2]).strip("/")
                if audience is not None and folder.split("/")[0] == audience:
                    continue
                found = True
                item_id = str(entry["id"])
                if audience is None and self.mapping.withdraw != "remove":
                    try:
                        await applier.ensure_scope(target, item_id, [])
                        self._item_scope(database_id, target, item_id, [])
                        continue
                    except (TerminalError, RestRequestError) as exc:
                        log.error("%s file %s: %s; removed instead", target.title, item_id, exc)
                await self._delete(target, item_id)
                gone.add(str((entry.get("driveItem") or {}).get("id", "")))
        if gone:
            attachments = self.ledger.attachment_view(self.mapping.replica_id)
            self.ledger.update_attachments({
                a.id: {"state": State.TRANSFORMED, "drive_item_id": None, "quickxor": None}
                for (owner, *_place), a in attachments.items()
                if owner == unid and a.drive_item_id in gone
            })  # fmt: skip
        return found
