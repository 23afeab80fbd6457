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
from urllib.parse import quote

from notesmig import reasons
from notesmig.ledger import Ledger
from notesmig.ledger.models import VALIDATE_STAGE
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
from notesmig.sharepoint.items import PARENT_LOOKUP, ItemWriter
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
        # A plan over SharePoint's unique-scope limit is refused before anything is written.
        for title, rows in rows_by_list.items():
            audiences = {plans[r.unid].audience for r in rows if r.unid in plans}
            warning = applier.check_scope_budget(Target(title, "", "", site.id, site.path),
                                                 len(audiences))  # fmt: skip
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
            rows = rows_by_list.get(title, [])
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
                    await applier.ensure_scope(target, item_id, plan.grants)
                    self._item_scope(database_id, target, item_id, plan.grants)

                ready = [r for r in restricted if plans[r.unid].audience not in audiences_refused]
                await writer.write_restricted(
                    database_id, target, ready, plans, view, folders, item_urls, restrict
                )
            await writer.set_deferred_lookups()
        await self._withdraw(database_id, lists, view, applier)
        counts = writer.counts.into(LoadCounts())
        files = [
            f
            for f in read_records(self.transform_dir / FILES_FILE, FileRow)
            if f.database == mapping.replica_id
        ]
        audience_grants = {plan.audience: plan for plan in plans.values()}

        async def audience_folder(target: Target, audience: str) -> None:
            await self._library_audience(database_id, applier, target, audience_grants[audience])

        uploader = FileUploader(
            self.graph, self.rest, self.ledger, self.content, progress=self.progress,
            authorship=writer.authorship, audience_folder=audience_folder,
        )  # fmt: skip
        attachments = self.ledger.attachment_view(mapping.replica_id)
        library_urls: dict[str, str] = {}
        libraries: dict[str, Target] = {}
        for title in sorted({f.library for f in mapping.forms.values() if f.library}):
            target = await self.provisioner.ensure(
                site, title, "documentLibrary", library_columns()
            )
            library_urls[title] = target.web_url
            libraries[title] = target
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
            }
        )

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
        """The database's ACL as the list's (or library's) own permissions."""
        await applier.ensure_scope(target, None, access.list_grants)
        self.ledger.record_scope(
            database_id, target.id, "list", item_id=None,
            grants_sha256=grants_digest(access.list_grants),
            grants=grants_json(access.list_grants), state="verified",
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
        view: dict[str, tuple[str, str | None, str]],
        applier: PermissionApplier,
    ) -> None:
        """Documents in SharePoint that the transform now holds back for their Readers field:
        restricted to nobody (only the app) or removed, as the mapping says, at once."""
        by_id = {target.id: target for target in lists.values()}
        list_of = self.ledger.item_lists(self.mapping.replica_id)
        for outcome in read_records(self.transform_dir / QUARANTINE_FILE, Outcome):
            if outcome.database != self.mapping.replica_id or not reasons.is_access(outcome.reason):
                continue
            _state, item_id, _sha = view.get(outcome.unid, ("", None, ""))
            target = by_id.get(list_of.get(outcome.unid, ""))
            if item_id is None or target is None:
                continue
            if self.mapping.withdraw == "remove":
                await self.graph.budget.take(COST_WRITE)
                try:
                    await self.graph.send(
                        "DELETE", f"/sites/{target.site_id}/lists/{target.id}/items/{item_id}"
                    )
                except GraphRequestError as exc:
                    if exc.status != 404:
                        raise
                self.ledger.set_access(database_id, outcome.unid, audience=None, state="withdrawn")
                self.ledger.forget_item(database_id, outcome.unid)
            else:
                await applier.ensure_scope(target, item_id, [])
                self._item_scope(database_id, target, item_id, [])
                self.ledger.set_access(
                    database_id, outcome.unid, audience=f"item:{item_id}", state="withdrawn"
                )
            self.ledger.quarantine(
                database_id, outcome.unid, "load", WITHDRAWN, f"{outcome.reason}: {outcome.detail}"
            )
