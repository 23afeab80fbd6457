"""The link pass, after a database's items and files are in SharePoint: every Notes link in its
rich text points at its target's SharePoint URL (or at the redirector while the target is not
there), and every inline picture at its uploaded file. Documents of other databases whose links
wait for this one's are upgraded in the same pass.

Only what changes is written (the rich text columns of a document, through REST so that its
Modified and Editor stay the Notes ones), so a second pass writes nothing; the values written
become what the reconciler expects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from notesmig.ledger import Ledger
from notesmig.ledger.links import LinkHolder, LinkRecord, LinkResult
from notesmig.links.html import NotesTarget, has_links_or_pictures, notes_targets, rewrite
from notesmig.links.resolve import LinkDirectory, LinkStatus
from notesmig.links.urls import redirector_url
from notesmig.sharepoint.parallel import Bounded
from notesmig.sharepoint.rest import FieldUpdateError, RestRequestError, SharePointRest
from notesmig.spfacts.limits import MULTILINE_MAX_LENGTH
from notesmig.spfacts.names import encode_internal_name

log = logging.getLogger("notesmig.sharepoint")

#: How long an upgrade of another database's links may hold that database (renewed by nothing:
#: an upgrade is a few writes).
_UPGRADE_LEASE_SECONDS = 600.0
#: Documents whose link results are recorded in one ledger transaction.
_RECORDS_PER_FLUSH = 200


@dataclass
class LinkCounts:
    """What a pass did: documents of this database rewritten and what their links became;
    documents of other databases whose links into this one it upgraded."""

    documents_rewritten: int = 0
    direct: int = 0
    pending: int = 0
    broken: int = 0
    pictures: int = 0
    upgraded: int = 0


@dataclass(frozen=True)
class _Rewritten:
    holder: LinkHolder
    fields: dict[str, Any]
    changed: dict[str, str]
    results: list[LinkResult]


class LinkPass:
    """Rewrites the links of one database's documents, and of those linking into it."""

    def __init__(
        self,
        rest: SharePointRest,
        ledger: Ledger,
        redirector: str,
        *,
        site_paths: dict[str, str],
        library_urls: dict[str, str],
        lease_holder: str = "links",
    ) -> None:
        self.rest = rest
        self.ledger = ledger
        self.redirector = redirector
        #: Replica id (upper case) -> the server-relative path of its lists' site (for REST).
        self.site_paths = site_paths
        #: This database's libraries: title -> web URL (where its pictures are).
        self.library_urls = library_urls
        self.counts = LinkCounts()
        #: What the pass did, recorded in the ledger a batch at a time (a document whose record
        #: is lost to a crash is simply rewritten again by the next pass).
        self._records: list[LinkRecord] = []
        self.replica_id = ""
        #: Who takes another database's lease while upgrading its documents' links.
        self.lease_holder = lease_holder

    def _directory(self, holders: list[LinkHolder]) -> LinkDirectory:
        wanted: set[tuple[str, str]] = set()
        for holder in holders:
            for value in holder.fields.values():
                if isinstance(value, str) and has_links_or_pictures(value):
                    for target in notes_targets(value):
                        if target.database and target.document:
                            wanted.add((target.database, target.document))
        return LinkDirectory(
            self.redirector, self.ledger.target_facts(wanted), self.ledger.database_list_urls()
        )

    async def run(self, replica_id: str) -> LinkCounts:
        self.replica_id = replica_id.upper()
        holders = self.ledger.link_holders(replica_id)
        if not holders:
            return self.counts
        directory = self._directory(holders)
        pictures = self.ledger.uploaded_pictures(replica_id)
        todo: list[_Rewritten] = []
        try:
            for holder in holders:
                if holder.database.upper() != self.replica_id:
                    continue  # another database's: upgraded under its lease, below
                rewritten = self._rewrite(holder, directory, pictures)
                if rewritten.changed:
                    todo.append(rewritten)
                else:
                    self._record(LinkRecord(holder.document_id, None, rewritten.results))
            async with Bounded() as pool:  # each a read, then a write that depends on it
                for rewritten in todo:
                    await pool.start(self._write(rewritten))
        finally:
            self._flush()
        others = {h.database for h in holders if h.database.upper() != self.replica_id}
        for database in sorted(others):
            if database.upper() in self.site_paths:  # one no mapping names: its own load does it
                await self._upgrade(database)
        return self.counts

    async def _upgrade(self, database: str) -> None:
        """Another database's documents waiting on this one, under that database's lease: while
        its own load runs (its pass will find this database's items there) they are left to
        it, and they are read again once the lease is held, so a document its load has just
        changed is never written back as it was. A frozen database is left as it is."""
        if self.ledger.frozen_at(database) is not None:
            return
        holder = f"{self.lease_holder}:links-for:{self.replica_id}"
        if self.ledger.acquire_lease(database, holder, _UPGRADE_LEASE_SECONDS) is not None:
            log.info("%s is being loaded: its own link pass upgrades its links", database)
            return
        try:
            holders = [h for h in self.ledger.link_holders(self.replica_id)
                       if h.database == database]  # fmt: skip
            directory = self._directory(holders)
            async with Bounded() as pool:
                for holder_document in holders:
                    # Pictures are their own database's files: never looked up across databases.
                    rewritten = self._rewrite(holder_document, directory, {})
                    if rewritten.changed:
                        await pool.start(self._write(rewritten))
                    else:
                        self._record(
                            LinkRecord(holder_document.document_id, None, rewritten.results)
                        )
        finally:
            try:
                self._flush()  # under the database's lease, as its writes were
            finally:
                self.ledger.release_lease(database, holder)

    def _record(self, record: LinkRecord) -> None:
        self._records.append(record)
        if len(self._records) >= _RECORDS_PER_FLUSH:
            self._flush()

    def _flush(self) -> None:
        records, self._records = self._records, []
        if records:
            self.ledger.record_many_links(records)

    def _rewrite(
        self,
        holder: LinkHolder,
        directory: LinkDirectory,
        pictures: dict[tuple[str, str], tuple[str, str, str]],
    ) -> _Rewritten:
        results: list[LinkResult] = []

        def link_url(target: NotesTarget) -> str:
            resolution = directory.resolve(target)
            return _noted(results, target, resolution.url, resolution.status)

        def picture_url(sha256: str) -> str | None:
            place = pictures.get((holder.unid, sha256))
            if place is None:
                return None
            library, folder, name = place
            base = self.library_urls.get(library)
            if base is None:
                return None
            self.counts.pictures += 1
            path = "/".join(quote(part) for part in (*folder.split("/"), name) if part)
            return f"{base.rstrip('/')}/{path}"

        fields = dict(holder.fields)
        changed: dict[str, str] = {}
        for name, value in holder.fields.items():
            if not isinstance(value, str) or not has_links_or_pictures(value):
                continue
            pictures_before = self.counts.pictures
            before = len(results)
            new = rewrite(value, link_url, picture_url)
            if len(new) > MULTILINE_MAX_LENGTH:
                # Longer URLs would push it past SharePoint's limit: the redirector's shorter
                # address for every link of it (the redirector forwards to the same places).
                del results[before:]
                self.counts.pictures = pictures_before
                new = rewrite(value, lambda t: self._redirect(t, results), lambda _sha: None)
            if new != value:
                fields[name] = new
                changed[name] = new
        own = holder.database.upper() == self.replica_id
        for result in results if own else ():
            if result.status == LinkStatus.DIRECT:
                self.counts.direct += 1
            elif result.status == LinkStatus.PENDING:
                self.counts.pending += 1
            else:
                self.counts.broken += 1
        return _Rewritten(holder, fields, changed, results)

    def _redirect(self, target: NotesTarget, results: list[LinkResult]) -> str:
        url = redirector_url(self.redirector, target.database, target.document)
        return _noted(results, target, url, LinkStatus.PENDING)

    async def _write(self, rewritten: _Rewritten) -> None:
        """The changed rich text through ValidateUpdateListItem, with the item's Modified and
        Editor as they are: a link pass is no edit, and Graph's PATCH would make it one (the
        migration account, today), losing the Notes authorship the load set."""
        holder = rewritten.holder
        site_path = self.site_paths[holder.database.upper()]
        where = f"web/lists(guid'{holder.list_id}')/items({int(holder.item_id)})"
        what = f"{holder.list_title} NotesUNID {holder.unid}: links"
        try:
            current = await self.rest.call("GET", site_path, f"{where}?$expand=Editor", what=what)
            values = {encode_internal_name(k): v for k, v in rewritten.changed.items()}
            modified = (current or {}).get("Modified")
            if modified:
                moment = datetime.fromisoformat(str(modified).replace("Z", "+00:00"))
                local = await self.rest.clock(site_path).local(moment)
                values["Modified"] = local.strftime("%Y-%m-%d %H:%M:%S")
            editor = ((current or {}).get("Editor") or {}).get("Name")
            if editor:
                values["Editor"] = f"[{{'Key':'{editor}'}}]"
            await self.rest.validate_update(
                site_path, holder.list_id, holder.item_id, values, what=what
            )
        except (FieldUpdateError, RestRequestError) as exc:
            # The item keeps its links as they were, and so does the ledger: the next pass
            # tries again.
            log.warning("%s: not rewritten (%s)", what, exc)
            return
        if holder.database.upper() == self.replica_id:
            self.counts.documents_rewritten += 1
        else:
            self.counts.upgraded += 1
        self._record(LinkRecord(holder.document_id, rewritten.fields, rewritten.results))


def _noted(results: list[LinkResult], target: NotesTarget, url: str, status: LinkStatus) -> str:
    """``url``, with what the link became noted in ``results``."""
    results.append(
        LinkResult(target.kind, target.database, target.view, target.document, url, str(status))
    )
    return url
