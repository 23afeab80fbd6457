"""The transform stage: typed documents and their mappings to rows, files and plans.

For every document exactly one outcome, so totals always add up (extracted = transformed +
quarantined + excluded): a row for its list (and rows for its files), or quarantine with the
reason, or exclusion (form excluded or not mapped). Documents with a Readers field are never
planned into a place others can read: held back (``readers: hold``) or planned with unique
permissions whose every reader resolved (``readers: restrict``), else held back too.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from notesmig import reasons
from notesmig.dxl.model import Item, NotesDocument
from notesmig.dxl.records import document_sha256
from notesmig.mapping.model import FormMapping, Mapping
from notesmig.mapping.users import GroupDirectory, UserDirectory, abbreviate
from notesmig.records import (
    Authorship,
    DatabaseAccess,
    DatabaseTotals,
    FileRow,
    ItemRow,
    LinkRow,
    Outcome,
    PermissionPlan,
)
from notesmig.spfacts.limits import MULTILINE_MAX_LENGTH
from notesmig.transform.access import AccessPlanner, AccessRefused, DatabaseAcl
from notesmig.transform.files import FileIdentity, FolderNames, Placement, folder_name
from notesmig.transform.values import ConversionError, convert, utc_text

_ALWAYS_IGNORED = {"form", "$file", "$revisions", "$updatedby", "$ref", "$conflict"}
#: Items that restrict access by their name alone, whatever their flags say.
_READERS_ITEMS = frozenset({"$readers"})
_AUTHORS_ITEMS = frozenset({"$authors"})


def _where(document: NotesDocument) -> str:
    """The document's place in its export (``file:line``)."""
    return f"{document.source.name}:{document.line}" if document.line else document.source.name


def _is_readers(item: Item) -> bool:
    return item.readers or item.name.casefold() in _READERS_ITEMS


def _is_authors(item: Item) -> bool:
    return item.authors or item.name.casefold() in _AUTHORS_ITEMS


def _access_names(document: NotesDocument, *, readers: bool) -> list[str]:
    wanted = _is_readers if readers else _is_authors
    return [
        value
        for item in document.items
        if wanted(item)
        for value in item.values
        if isinstance(value, str) and value.strip()
    ]


def _unreadable_access(document: NotesDocument) -> list[str]:
    """Why the document's Readers/Authors items cannot be trusted (empty: they can)."""
    access = {
        item.name.casefold() for item in document.items if _is_readers(item) or _is_authors(item)
    }
    problems = [
        f"{issue.item}: {issue.message}"
        for issue in document.errors
        if issue.item is not None and issue.item.casefold() in access
    ]
    for item in document.items:
        if (_is_readers(item) or _is_authors(item)) and any(
            not isinstance(value, str) for value in item.values
        ):
            problems.append(f"{item.name}: holds {item.type} values, not names")
    return problems


@dataclass
class _Counts:
    """One database's counts while its documents are transformed."""

    extracted: int = 0
    transformed: int = 0
    quarantined: int = 0
    excluded: int = 0
    merged: int = 0
    files: int = 0
    overflow_files: int = 0
    unmapped_items: Counter[str] = field(default_factory=Counter)

    @property
    def balanced(self) -> bool:
        return self.extracted == self.transformed + self.quarantined + self.excluded + self.merged


@dataclass
class TransformTally:
    """What every transform keeps whatever its size: counts, access plans, unknown names."""

    #: Per database, its ACL and roles as SharePoint permissions.
    access: dict[str, DatabaseAccess] = field(default_factory=dict)
    counts: dict[str, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    unknown_users: Counter[str] = field(default_factory=Counter)

    @property
    def totals(self) -> dict[str, DatabaseTotals]:
        """Per database: extracted = transformed + quarantined + excluded, and what was seen."""
        return {
            database: DatabaseTotals(
                extracted=counts.extracted,
                transformed=counts.transformed,
                quarantined=counts.quarantined,
                excluded=counts.excluded,
                merged=counts.merged,
                files=counts.files,
                overflow_files=counts.overflow_files,
                unmapped_items=dict(counts.unmapped_items.most_common()),
                unknown_users=dict(self.unknown_users.most_common()),
            )
            for database, counts in sorted(self.counts.items())
        }


class TransformSink(Protocol):
    """Where the transform puts each document's outcome as it goes: in memory
    (:class:`TransformResult`) or straight into the output files (the stage)."""

    tally: TransformTally

    def add_row(self, row: ItemRow, document: NotesDocument) -> None: ...
    def add_files(self, files: list[FileRow]) -> None: ...
    def add_permission(self, plan: PermissionPlan) -> None: ...
    def add_links(self, links: list[LinkRow]) -> None: ...
    def add_held(self, outcome: Outcome) -> None: ...
    def add_excluded(self, outcome: Outcome) -> None: ...
    def add_merged(self, outcome: Outcome, copy: NotesDocument) -> None: ...
    def seen(self, document: NotesDocument, row: ItemRow | None) -> None:
        """Called once per kept document after its outcome (its row, if it became one)."""


@dataclass
class TransformResult:
    """A whole transform in memory (tests, small inputs); the stage streams instead."""

    rows: list[ItemRow] = field(default_factory=list)
    files: list[FileRow] = field(default_factory=list)
    permissions: list[PermissionPlan] = field(default_factory=list)
    quarantined: list[Outcome] = field(default_factory=list)
    excluded: list[Outcome] = field(default_factory=list)
    #: Copies of documents read more than once (several exports), merged into one.
    merged: list[Outcome] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    tally: TransformTally = field(default_factory=TransformTally)
    pending: list[tuple[ItemRow, NotesDocument]] = field(default_factory=list, repr=False)

    @property
    def access(self) -> dict[str, DatabaseAccess]:
        return self.tally.access

    @property
    def counts(self) -> dict[str, _Counts]:
        return self.tally.counts

    @property
    def unknown_users(self) -> Counter[str]:
        return self.tally.unknown_users

    @property
    def totals(self) -> dict[str, DatabaseTotals]:
        return self.tally.totals

    def add_row(self, row: ItemRow, document: NotesDocument) -> None:
        self.pending.append((row, document))

    def add_files(self, files: list[FileRow]) -> None:
        self.files.extend(files)

    def add_permission(self, plan: PermissionPlan) -> None:
        self.permissions.append(plan)

    def add_links(self, links: list[LinkRow]) -> None:
        self.links.extend(links)

    def add_held(self, outcome: Outcome) -> None:
        self.quarantined.append(outcome)

    def add_excluded(self, outcome: Outcome) -> None:
        self.excluded.append(outcome)

    def add_merged(self, outcome: Outcome, copy: NotesDocument) -> None:
        self.merged.append(outcome)

    def seen(self, document: NotesDocument, row: ItemRow | None) -> None:
        pass  # the documents are the caller's, in memory already

    def finish(self) -> None:
        """Rows in load order: parents before children, then by creation."""
        rows = [row for row, _document in self.pending]
        threads = row_threads(
            [r.database for r in rows], [r.unid for r in rows], [r.parent_unid for r in rows]
        )
        created = [_created(document) for _row, document in self.pending]
        order = sorted(range(len(rows)), key=lambda i: (threads[i][0], created[i], rows[i].unid))
        self.rows = [threaded(self.pending[i][0], *threads[i]) for i in order]
        self.pending = []


def _created(document: NotesDocument) -> float:
    return document.created.timestamp() if document.created else 0.0


def row_threads(
    databases: Sequence[str], unids: Sequence[str], parents: Sequence[str | None]
) -> list[tuple[int, str]]:
    """Each row's depth in its response tree and the UNID of the tree's root, counting only
    parents that are rows too (rows given as parallel sequences: database, UNID, parent)."""
    parent_of: dict[str, dict[str, str | None]] = {}
    for database, unid, parent in zip(databases, unids, parents, strict=True):
        parent_of.setdefault(database, {})[unid] = parent

    def thread(database: str, unid: str) -> tuple[int, str]:
        tree = parent_of[database]
        seen = {unid}
        level = 0
        root = unid
        current = tree.get(unid)
        while current and current in tree and current not in seen:
            seen.add(current)
            level += 1
            root = current
            current = tree[current]
        return level, root

    return [thread(d, u) for d, u in zip(databases, unids, strict=True)]


def threaded(row: ItemRow, depth: int, root: str) -> ItemRow:
    """The row with its place in its response thread: depth, and the root's UNID (the document
    itself when it is no response) as columns, so a thread is one filter in SharePoint."""
    return row.model_copy(
        update={
            "depth": depth,
            "fields": {**row.fields, "NotesThreadRoot": root, "NotesThreadDepth": depth},
        }
    )


class Transformer:
    """Applies mappings (by replica id) to documents."""

    def __init__(
        self,
        mappings: dict[str, Mapping],
        users: dict[str, UserDirectory] | None = None,
        placements: dict[str, dict[FileIdentity, Placement]] | None = None,
        acls: dict[str, DatabaseAcl] | None = None,
    ) -> None:
        self.mappings = {k.upper(): v for k, v in mappings.items()}
        #: Per database, where earlier runs placed each file (names stay with their files).
        self.placements = placements or {}
        #: Per database, its ACL as the export holds it (roles, levels).
        self.acls = {k.upper(): v for k, v in (acls or {}).items()}
        self._planners: dict[str, AccessPlanner] = {}
        self.users = (
            users
            if users is not None
            else {k.upper(): UserDirectory.from_csv(m.users.file) for k, m in mappings.items()}
        )

    def transform(self, documents: Iterable[NotesDocument]) -> TransformResult:
        """Transform documents held in memory (the stage streams them: :meth:`run`)."""
        result = TransformResult()
        groups: dict[tuple[str, str], list[NotesDocument]] = defaultdict(list)
        kept: list[NotesDocument] = []
        for document in documents:
            database = (document.database_replica or "").upper()
            result.counts[database].extracted += 1
            if document.unid is None:
                kept.append(document)
            else:
                groups[(database, document.unid)].append(document)
        conflicts: dict[tuple[str, str | None], str] = {}
        for (database, unid), copies in groups.items():
            winner, conflict = merge_copies(database, unid, copies, result)
            kept.append(winner)
            if conflict is not None:
                conflicts[(database, unid)] = conflict
        self.run(kept, conflicts, result)
        result.finish()
        return result

    def run(
        self,
        kept: Iterable[NotesDocument],
        conflicts: dict[tuple[str, str | None], str],
        sink: TransformSink,
    ) -> None:
        """Transform each kept document (one per UNID, after :func:`merge_copies`) into
        ``sink``, one at a time; then the databases' access plans and unknown names."""
        names: dict[str, FolderNames] = {}
        tally = sink.tally
        for document in kept:
            database = (document.database_replica or "").upper()
            if (database, document.unid) in conflicts:
                tally.counts[database].quarantined += 1
                sink.add_held(
                    Outcome(database=database, unid=document.key, form=document.form,
                            reason=str(reasons.CONFLICT),
                            detail=conflicts[(database, document.unid)])
                )  # fmt: skip
                sink.seen(document, None)
                continue
            row = self._document(document, database, sink, names)
            if row is not None:
                sink.add_row(row, document)
            sink.seen(document, row)
        for database in tally.counts:
            if database in self.mappings:
                tally.access[database] = self.planner(database).database_access()
        for directory in self.users.values():
            tally.unknown_users.update(directory.unknown)

    # -- one document ---------------------------------------------------------------------

    def _document(
        self,
        document: NotesDocument,
        database: str,
        sink: TransformSink,
        names: dict[str, FolderNames],
    ) -> ItemRow | None:
        unid = document.key
        totals = sink.tally.counts[database]
        mapping = self.mappings.get(database)

        def exclude(reason: str) -> None:
            totals.excluded += 1
            sink.add_excluded(
                Outcome(database=database, unid=unid, form=document.form, reason=reason)
            )

        def hold(reason: str, detail: str = "") -> None:
            totals.quarantined += 1
            sink.add_held(
                Outcome(
                    database=database, unid=unid, form=document.form, reason=reason, detail=detail
                )
            )

        if mapping is None:
            exclude(reasons.NO_MAPPING(database=database or "(unknown)"))
            return None
        if mapping.excludes_form(document.form):
            exclude(str(reasons.FORM_EXCLUDED))
            return None
        form = mapping.form(document.form)
        if form is None:
            exclude(reasons.FORM_NOT_MAPPED(form=repr(document.form)))
            return None
        if document.unid is None:
            why = next((e.message for e in document.errors if e.code == "bad-unid"), "none")
            hold(
                str(reasons.NO_UNID),
                f"{_where(document)}: {why}; a document without a universal id cannot be "
                "tracked or loaded",
            )
            return None
        users = self.users[database]
        unreadable = _unreadable_access(document)
        if unreadable:
            # Counting an unreadable Readers item as "no readers" would load it openly.
            hold(str(reasons.ACCESS_UNREADABLE), "; ".join(unreadable))
            return None
        readers = _access_names(document, readers=True)
        authors = _access_names(document, readers=False)
        plan: PermissionPlan | None = None
        if readers:
            if mapping.readers == "hold":
                hold(
                    str(reasons.READERS_HELD),
                    ", ".join(abbreviate(r) for r in readers),
                )
                return None
            try:
                plan = self.planner(database).plan(unid, readers, authors)
            except AccessRefused as refused:
                hold(refused.reason, refused.detail)
                return None
        broken = [a for a in document.attachments if a.error is not None]
        if broken:
            hold(
                str(reasons.ATTACHMENT_UNREADABLE),
                "; ".join(f"{a.name}: {a.error}" for a in broken),
            )
            return None
        mapped = {spec.item.casefold() for spec in form.items.values()}
        failed = [e for e in document.errors if e.item is None or e.item.casefold() in mapped]
        if failed:
            hold(str(reasons.EXTRACTION_ERROR), "; ".join(e.message for e in failed))
            return None
        try:
            fields = self._fields(document, mapping, form, users, totals)
            files = self._files(document, database, mapping, form, fields, names, hold, plan)
        except ConversionError as exc:
            hold(str(reasons.VALUE_DOES_NOT_FIT), f"{_where(document)}: {exc}")
            return None
        if files is None:
            return None
        authorship = self._authorship(document, fields, database)
        audience = plan.audience if plan is not None else None
        # A file without dates of its own (an inline picture) takes its document's.
        files = [
            f.model_copy(update={
                "created": f.created or authorship.created,
                "modified": f.modified or authorship.modified,
                "authorship": authorship.model_copy(update={
                    "created": f.created or authorship.created,
                    "modified": f.modified or authorship.modified}),
                "audience": audience})
            for f in files
        ]  # fmt: skip
        if files:
            sink.add_files(files)
        totals.files += len(files)
        totals.overflow_files += sum(1 for f in files if f.kind == "richtext-overflow")
        if plan is not None:
            sink.add_permission(plan)
        links = [
            LinkRow(
                database=database,
                unid=unid,
                kind=link.kind,
                # Ids that cannot be Notes ids (a replica id is 16 hex digits, a view or
                # document UNID 32) point nowhere: the link is broken, not a ledger failure.
                target_database=_notes_id(link.database, 16),
                target_view=_notes_id(link.view, 64),
                target_document=_notes_id(link.document, 64),
            )
            for link in document.links
        ]
        if links:
            sink.add_links(links)
        totals.transformed += 1
        return ItemRow(
            database=database,
            unid=unid,
            list=form.list,
            form=document.form,
            fields=fields,
            parent_unid=document.parent_unid,
            depth=0,
            sha256=fields["SourceSha256"],
            authorship=authorship,
            audience=audience,
        )

    def planner(self, database: str) -> AccessPlanner:
        """The access planner of a database (its ACL, users and groups)."""
        found = self._planners.get(database)
        if found is None:
            mapping = self.mappings[database]
            found = AccessPlanner(
                mapping,
                self.users[database],
                GroupDirectory.from_csv(mapping.users.groups),
                self.acls.get(database, DatabaseAcl()),
            )
            self._planners[database] = found
        return found

    def _authorship(
        self, document: NotesDocument, fields: dict[str, Any], database: str
    ) -> Authorship:
        users = self.users[database]
        first = users.lookup(document.updatedby[0]) if document.updatedby else None
        last = users.lookup(document.updatedby[-1]) if document.updatedby else None
        return Authorship(
            created=fields.get("NotesCreated"),
            modified=fields.get("NotesModified"),
            author=first.upn if first else None,
            editor=last.upn if last else None,
        )

    def _fields(
        self,
        document: NotesDocument,
        mapping: Mapping,
        form: FormMapping,
        users: UserDirectory,
        totals: _Counts,
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "NotesUNID": document.unid,
            "NotesForm": document.form,
            "NotesParentUNID": document.parent_unid,
            "NotesCreated": utc_text(document.created, "created") if document.created else None,
            "NotesModified": (
                utc_text(document.modified, "modified") if document.modified else None
            ),
            "NotesAuthor": abbreviate(document.updatedby[0]) if document.updatedby else None,
            "NotesDatabase": mapping.replica_id,
            "SourceSha256": document_sha256(document),
        }
        for spec in form.items.values():
            item = document.item(spec.item)
            # Document-level MIME (``<mime>``) is HTML without an item of its own ($MIME).
            html_value = document.html.get(item.name if item else spec.item)
            converted = convert(spec, item, html_value, users, mapping.users)
            if spec.required and converted.fields.get(spec.column) in (None, "", []):
                raise ConversionError(spec.item, "required by the mapping but empty")
            fields.update(converted.fields)
        for item in document.items:
            key = item.name.casefold()
            if (
                form.item(item.name) is None
                and not form.excludes(item.name)
                and key not in _ALWAYS_IGNORED
                and not key.startswith("$")
                and not _is_readers(item)
                and not _is_authors(item)
            ):
                totals.unmapped_items[item.name] += 1
        items = {item.name.casefold() for item in document.items}
        for name in document.html:
            if name.casefold() not in items and form.item(name) is None:
                totals.unmapped_items[name] += 1  # a MIME body nobody mapped: shown, not lost
        return fields

    def _files(
        self,
        document: NotesDocument,
        database: str,
        mapping: Mapping,
        form: FormMapping,
        fields: dict[str, Any],
        names: dict[str, FolderNames],
        hold: Any,
        plan: PermissionPlan | None = None,
    ) -> list[FileRow] | None:
        unid = str(document.unid)
        overflow = [
            spec
            for spec in form.items.values()
            if spec.type == "richtext"
            and isinstance(fields.get(spec.column), str)
            and len(fields[spec.column]) > MULTILINE_MAX_LENGTH
        ]
        if not document.attachments and not overflow:
            return []
        if form.library is None:
            hold(
                str(reasons.NO_LIBRARY),
                f"{len(document.attachments)} attachment(s), "
                f"{len(overflow)} long rich text item(s)",
            )
            return None
        placer = names.get(database)
        if placer is None:
            placer = FolderNames(
                mapping.site.split(":", 1)[1], earlier=dict(self.placements.get(database, {}))
            )
            names[database] = placer
        folder = folder_name(unid if form.attachment_folder == "document" else form.form)
        if plan is not None:
            # A restricted document's files go into its audience's folder, whose permissions
            # are set before anything is put in it.
            folder = f"{plan.audience}/{folder}"
        rows = []
        seen: Counter[str] = Counter()
        for attachment in document.attachments:
            identity = f"{attachment.item}/{attachment.name}"
            seen[identity] += 1
            key = f"{identity}#{seen[identity]}"
            name = placer.place(form.library, folder, attachment.name, (unid, key))
            rows.append(
                FileRow(
                    database=database,
                    unid=unid,
                    library=form.library,
                    folder=folder,
                    name=name,
                    original_name=attachment.name,
                    size=attachment.size,
                    sha256=attachment.sha256,
                    blob=attachment.blob,
                    kind=attachment.kind,
                    key=key,
                    created=(
                        utc_text(attachment.created, f"{attachment.name} (created)")
                        if attachment.created
                        else None
                    ),
                    modified=(
                        utc_text(attachment.modified, f"{attachment.name} (modified)")
                        if attachment.modified
                        else None
                    ),
                )
            )
        for spec in overflow:
            content = str(fields[spec.column])
            key = f"{spec.item}/overflow.html#1"
            name = placer.place(form.library, folder, f"{spec.column}.html", (unid, key))
            rows.append(
                FileRow(
                    database=database,
                    unid=unid,
                    library=form.library,
                    folder=folder,
                    name=name,
                    original_name=f"{spec.item}.html",
                    size=len(content.encode("utf-8")),
                    sha256=None,
                    blob=None,
                    kind="richtext-overflow",
                    key=key,
                    created=fields.get("NotesCreated"),
                    modified=fields.get("NotesModified"),
                    content=content,
                )
            )
            # The item name and file name come from data: escaped where the HTML is built.
            target = html.escape(f"{folder}/{name}", quote=True)
            fields[spec.column] = (
                f'<p><a class="notes-overflow" data-notes-overflow="{target}">'
                f"{html.escape(spec.item)}: 全文は {html.escape(name)} にあります / the full text "
                f"is in {html.escape(name)}</a></p>"
            )
        return rows


def merge_copies(
    database: str, unid: str, copies: list[NotesDocument], sink: TransformSink
) -> tuple[NotesDocument, str | None]:
    """Copies of one document (the same UNID in two exports of a database, or twice in one)
    are one document: the latest modification wins and the others are counted as merged, with
    where they were. Two copies modified at the same moment with the same sequence number but
    different content are a conflict (returned): neither is loaded."""
    if len(copies) == 1:
        return copies[0], None
    epoch = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(copies, key=lambda d: (d.modified or d.created or epoch, d.sequence or 0))
    winner = ordered[-1]
    winner_sha = document_sha256(winner)
    conflict = None
    for copy in ordered[:-1]:
        same_moment = (copy.modified, copy.sequence) == (winner.modified, winner.sequence)
        if same_moment and document_sha256(copy) != winner_sha:
            conflict = (
                f"{_where(copy)} and {_where(winner)} differ, both modified "
                f"{winner.modified} with sequence {winner.sequence}"
            )
        sink.tally.counts[database].merged += 1
        sink.add_merged(
            Outcome(database=database, unid=unid, form=copy.form,
                    reason=str(reasons.MERGED_COPY),
                    detail=f"{_where(copy)}: merged into {_where(winner)}"),
            copy,
        )  # fmt: skip
    return winner, conflict


def _notes_id(value: str | None, longest: int) -> str | None:
    """A link target's id as the ledger holds it, None when no Notes id could be that long."""
    return value if value is not None and len(value) <= longest else None
