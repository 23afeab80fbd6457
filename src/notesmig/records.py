"""The typed records that flow between stages, each with its JSON form and JSON Schema.

Stages hand each other these records, never dicts: the extract stage's summary
(:class:`ExtractSummary`, a report per export), the transform's rows for lists
(:class:`ItemRow`), files for libraries (:class:`FileRow`), access plans
(:class:`PermissionPlan`), held-back and excluded documents (:class:`Outcome`), doclinks
(:class:`LinkRow`); the loader's :class:`LoadOutcome` per document and the reconciler's
:class:`Verdict`. On disk each is one JSON line (``*.jsonl``); between Airflow tasks only the
stage results travel (paths and counts). Dicts exist at those two edges only.

Every record's schema is in ``schemas/<name>.schema.json`` (generated from these models and
checked by the tests, so the two cannot drift apart). Two schemas there are written by hand:
``mapping.schema.json`` (the YAML a person writes) and ``document.schema.json`` (a line of
``documents.jsonl``: documents are written by orjson on the extraction's hot path, not through
a model; the tests validate real extracts against it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from notesmig.errors import TerminalError

#: What a list item field holds on the way to SharePoint: text, a number, a truth value, a
#: date-time as ISO 8601 text, several texts (multi-choice, people), or a hyperlink.
FieldValue = str | int | float | bool | None | list[str] | dict[str, str]
Unid = Annotated[str, Field(min_length=1, max_length=64)]
ReplicaId = Annotated[str, Field(min_length=1, max_length=64)]


class RecordError(TerminalError, ValueError):
    """A record file that does not hold what its name says; names the file and line."""


class Record(BaseModel):
    """A stage record: immutable, strict about unknown keys, finite numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    #: The name of its schema file (``schemas/<schema_name>.schema.json``).
    schema_name: ClassVar[str] = ""

    def json_line(self) -> str:
        return self.model_dump_json()


R = TypeVar("R", bound=Record)


# -- discovery and extract ----------------------------------------------------------------


class SourceDatabase(Record):
    """One Notes database to migrate: its key (replica id), title and export files."""

    schema_name: ClassVar[str] = "source-database"
    key: ReplicaId
    replica_id: str | None
    title: str | None
    files: list[str]


class SourceFile(Record):
    """One DXL export read for a database."""

    path: str
    sha256: str | None
    bytes: int
    documents: int
    failed: bool = False


class ReadFault(Record):
    """A problem reading an export, located as precisely as the input allows; a fatal one
    stopped the reading (the export's later documents are missing)."""

    message: str
    line: int | None = None
    column: int | None = None
    document: str | None = None
    fatal: bool = False


class ExportAttachment(Record):
    """An attachment as the export held it (``error``: why its bytes could not be read)."""

    name: str
    size: int
    sha256: str | None
    document: str | None
    kind: str
    error: str | None


class ExportAclEntry(Record):
    """An entry of the database ACL an export carries."""

    name: str
    level: str
    type: str | None = None
    roles: list[str] = Field(default_factory=list)


class ExportReport(Record):
    """What one DXL export held and what went wrong reading it: a line of ``inspect --json``,
    and one of the files of the extract's ``summary.json``."""

    schema_name: ClassVar[str] = "export-report"
    file: str
    bytes: int
    #: sha256 of the whole file, when it was read to its end.
    sha256: str | None
    title: str | None
    replica_id: str | None
    documents: int
    responses: int
    forms: dict[str, int]
    item_types: dict[str, int]
    richtext_items: int
    attachments: list[ExportAttachment]
    attachment_bytes: int
    links: int
    unconverted: dict[str, int]
    design: dict[str, int]
    acl: list[ExportAclEntry]
    acl_roles: list[str]
    profile_documents: int
    readers_documents: int
    authors_documents: int
    errors: list[ReadFault]

    @property
    def failed(self) -> bool:
        """Whether reading stopped early (the export's later documents are missing)."""
        return any(error.fatal for error in self.errors)


class ExtractTotals(Record):
    """An extract's counts over all its exports."""

    files: int
    failed_files: int
    documents: int
    responses: int
    attachments: int
    attachment_bytes: int
    errors: int


class ExtractSummary(Record):
    """The extract's ``summary.json``: totals and every export's report (the transform reads
    the exports' ACLs, hashes and faults from it)."""

    schema_name: ClassVar[str] = "extract-summary"
    notesmig_version: str
    extracted_at: str
    totals: ExtractTotals
    files: list[ExportReport]

    def of_database(self, replica_id: str) -> list[ExportReport]:
        """The reports of one database's exports."""
        return [f for f in self.files if (f.replica_id or "").upper() == replica_id.upper()]


class ExtractedDatabase(Record):
    """What the extract stage produced for one Notes database (the next stage's input)."""

    schema_name: ClassVar[str] = "extracted-database"
    replica_id: ReplicaId
    title: str | None
    extract_dir: str
    files: list[SourceFile]
    documents: int
    attachments: int
    attachment_bytes: int
    errors: int


# -- transform ----------------------------------------------------------------------------


class ItemRow(Record):
    """One list item to create or update: the list, the fields, where it sits in the tree."""

    schema_name: ClassVar[str] = "item-row"
    database: ReplicaId
    unid: Unid
    list: str
    form: str | None = None
    fields: dict[str, FieldValue]
    parent_unid: str | None = None
    depth: int = 0
    sha256: str
    authorship: Authorship | None = None
    #: The audience folder a restricted document goes into (None: the list's root).
    audience: str | None = None


class FileRow(Record):
    """One file for a document library, with where its bytes are in the extract."""

    schema_name: ClassVar[str] = "file-row"
    database: ReplicaId
    unid: Unid
    library: str
    folder: str
    name: str
    original_name: str
    size: int
    sha256: str | None
    blob: str | None
    kind: str
    #: The file's identity within its document (item, original name, occurrence): its name in
    #: the library may differ, its key never does.
    key: str = ""
    created: str | None = None
    modified: str | None = None
    #: Generated files (rich text too long for a column) carry their text instead of a blob.
    content: str | None = None
    authorship: Authorship | None = None
    #: The audience folder of a restricted document's files (None: not restricted).
    audience: str | None = None


PrincipalKind = Literal["user", "group", "sitegroup", "everyone"]
RoleName = Literal["Read", "Contribute", "Edit", "Design", "Full Control"]


class Principal(Record):
    """Who a permission is for: a person (UPN), an Entra ID group, a site group (a Notes role)
    or every account of the tenant; with the Notes name it stands for."""

    kind: PrincipalKind
    name: str
    notes_name: str = ""


class Grant(Record):
    principal: Principal
    role: RoleName


class PermissionPlan(Record):
    """Who may read and who may edit one restricted document, as SharePoint principals; the
    audience is the folder (one per distinct set of grants) it is loaded into."""

    schema_name: ClassVar[str] = "permission-plan"
    database: ReplicaId
    unid: Unid
    grants: list[Grant]
    audience: str
    #: The Notes names of its Readers and Authors fields, as evidence.
    readers: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    #: What Notes' ACL changes in those names (Japanese / English): a reader the ACL keeps out,
    #: an edit right that cannot be proven and is carried as read.
    notes: list[str] = Field(default_factory=list)


class SiteGroupPlan(Record):
    """A Notes role as a site group: its title and the accounts of the ACL entries holding it."""

    title: str
    notes_role: str
    members: list[Principal]


class DatabaseAccess(Record):
    """A database's permissions in SharePoint: its ACL as list roles (when carried), its roles
    as site groups, and what could not be carried (said, never silently dropped)."""

    schema_name: ClassVar[str] = "database-access"
    database: ReplicaId
    title: str | None
    acl_apply: bool
    list_grants: list[Grant] = Field(default_factory=list)
    #: The ACL on its libraries: as on lists, but Author reads only (a library cannot limit
    #: editing to one's own files, and Notes Authors edit only the documents naming them).
    library_grants: list[Grant] = Field(default_factory=list)
    #: Whether its lists let Contribute edit only the items one created (SharePoint's
    #: WriteSecurity 2), as Notes limits Author access to one's own documents.
    own_items_only: bool = False
    site_groups: list[SiteGroupPlan] = Field(default_factory=list)
    unresolved: list[str] = Field(default_factory=list)


class Authorship(Record):
    """Who created and last changed a document in Notes, and when (UTC), as SharePoint's
    Created, Modified, Author (Created By) and Editor (Modified By) take them."""

    created: str | None = None
    modified: str | None = None
    author: str | None = None
    editor: str | None = None


class Outcome(Record):
    """Why a document did not become a row: held back (quarantined) or excluded."""

    schema_name: ClassVar[str] = "outcome"
    database: str
    unid: str
    form: str | None
    reason: str
    detail: str = ""


class LinkRow(Record):
    """A doclink, viewlink or database link found in a document's rich text."""

    schema_name: ClassVar[str] = "link-row"
    database: ReplicaId
    unid: Unid
    kind: str
    target_database: str | None
    target_view: str | None
    target_document: str | None


class DatabaseTotals(Record):
    """One database's transform counts: extracted = transformed + quarantined + excluded +
    merged (copies of one document in several exports count once)."""

    extracted: int = 0
    transformed: int = 0
    quarantined: int = 0
    excluded: int = 0
    merged: int = 0
    files: int = 0
    overflow_files: int = 0
    unmapped_items: dict[str, int] = Field(default_factory=dict)
    unknown_users: dict[str, int] = Field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.extracted == self.transformed + self.quarantined + self.excluded + self.merged


class TransformedDatabase(Record):
    """What the transform stage produced for one database (the next stage's input)."""

    schema_name: ClassVar[str] = "transformed-database"
    replica_id: ReplicaId
    title: str | None
    extract_dir: str
    transform_dir: str
    totals: DatabaseTotals


# -- validate -----------------------------------------------------------------------------


class ValidatedDatabase(Record):
    """What the validation before the load found for one database (the load's go or stop)."""

    schema_name: ClassVar[str] = "validated-database"
    replica_id: ReplicaId
    title: str | None
    extract_dir: str
    transform_dir: str
    validated_dir: str
    #: Documents (rows) checked, and those held back because they failed a check.
    rows: int
    failed_rows: int
    expectations: int
    failed_expectations: int
    max_failure_ratio: float
    #: The load of this database is stopped (too many failures, or totals that do not balance).
    stopped: bool
    stop_reason: str = ""
    #: The Data Docs site's index page.
    data_docs: str | None = None


# -- load ---------------------------------------------------------------------------------

LoadAction = Literal["created", "updated", "unchanged", "held", "failed"]


class LoadOutcome(Record):
    """What the loader did with one document: where its item now stands and the values it
    wrote there (the reconciler's expectation), as the ledger records it."""

    schema_name: ClassVar[str] = "load-outcome"
    database: ReplicaId
    unid: Unid
    action: LoadAction
    list_id: str | None = None
    list_title: str | None = None
    item_id: str | None = None
    web_url: str | None = None
    expected_fields: dict[str, FieldValue] = Field(default_factory=dict)
    reason: str = ""


class LoadCounts(Record):
    """A load's counts (one database, or several summed)."""

    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_quarantined: int = 0
    duplicates_resolved: int = 0
    files_uploaded: int = 0
    files_unchanged: int = 0
    bytes_uploaded: int = 0
    #: Files SharePoint rewrote on upload (property promotion): both hashes are in the ledger.
    files_rewritten: int = 0
    resource_units: int = 0
    throttled: int = 0
    retried: int = 0
    #: Unique permission scopes set up (lists, audience folders, withdrawn items).
    unique_scopes: int = 0
    requests: int = 0
    writes: int = 0
    #: Documents whose Notes links or pictures the link pass rewrote, and what their links
    #: became at that moment: direct (SharePoint URLs), pending (the redirector) or broken (in
    #: no export yet); documents of other databases whose links into this one were upgraded.
    links_rewritten: int = 0
    links_direct: int = 0
    links_pending: int = 0
    links_broken: int = 0
    pictures_linked: int = 0
    links_upgraded: int = 0
    #: Documents deleted in Notes: items recycled, kept (marked NotesDeletedInNotes) or only
    #: reported; deletions held (more than deletions.max_ratio at once); files removed.
    deleted_recycled: int = 0
    deleted_kept: int = 0
    deleted_reported: int = 0
    deletions_held: int = 0
    files_removed: int = 0
    unknown_people: dict[str, int] = Field(default_factory=dict)
    #: What the migration team should know (a list near SharePoint's recommended unique-scope
    #: limit, ACL entries not carried, Author access narrowed to one's own items).
    warnings: list[str] = Field(default_factory=list)


class LoadedDatabase(Record):
    """What the load stage did for one database."""

    schema_name: ClassVar[str] = "loaded-database"
    replica_id: ReplicaId
    title: str | None
    transform_dir: str
    counts: LoadCounts


class TargetColumn(Record):
    """A column of a target list: its name, SharePoint facet and (mapped columns) its type."""

    name: str
    facet: str
    kind: str | None = None


class TargetList(Record):
    title: str
    columns: list[TargetColumn]


class TargetPlan(Record):
    """Where a database went in SharePoint, as the load was told (kept in the ledger, so the
    reconciler needs nothing but the ledger and SharePoint): site, lists with their columns,
    libraries, and the list of each form."""

    schema_name: ClassVar[str] = "target-plan"
    replica_id: ReplicaId
    site: str
    forms: dict[str, str]
    lists: list[TargetList]
    libraries: list[str]


# -- reconcile ----------------------------------------------------------------------------

VerdictKind = Literal[
    "verified",
    "missing",
    "changed",
    "file-missing",
    "file-altered",
    "file-rewritten",
    "duplicate",
    "permissions-wrong",
    "unexpected",
]


class Difference(Record):
    """One field or property that differs between the source and SharePoint."""

    field: str
    expected: Any = None
    actual: Any = None


class Verdict(Record):
    """The reconciler's finding for one document (or one unknown SharePoint item)."""

    schema_name: ClassVar[str] = "verdict"
    database: str
    unid: str
    verdict: VerdictKind
    differences: list[Difference] = Field(default_factory=list)
    web_url: str | None = None
    #: What the verdict is about: the UNID, or ``item:<list>:<id>`` / ``file:<drive item>`` for
    #: something SharePoint holds that the ledger does not know.
    subject: str = ""


class ReconciledDatabase(Record):
    """What the reconciliation found for one database."""

    schema_name: ClassVar[str] = "reconciled-database"
    replica_id: ReplicaId
    title: str | None
    #: Verdicts by kind (documents, and SharePoint items or files the ledger does not know).
    verdicts: dict[str, int] = Field(default_factory=dict)
    #: Documents the next load repairs (missing, changed, their files).
    repairs: int = 0

    @property
    def verified(self) -> int:
        return self.verdicts.get("verified", 0) + self.verdicts.get("file-rewritten", 0)

    @property
    def failed(self) -> int:
        """Verdicts that are not verified (a file SharePoint rewrote is not a failure)."""
        return sum(n for k, n in self.verdicts.items() if k not in ("verified", "file-rewritten"))


class WrittenReport(Record):
    """Where a report was written and what it says in brief."""

    schema_name: ClassVar[str] = "written-report"
    folder: str
    index: str
    pages: int
    #: Documents (and unknown SharePoint items) that are not verified: exceptions.csv's rows.
    exceptions: int
    balanced: bool


# -- discovery ----------------------------------------------------------------------------

#: The discovery's class of a database (``notesmig.pipeline.inventory`` says why).
Complexity = Literal[
    "simple-list", "document-library", "workflow-with-security", "needs-design-work"
]


class AclFact(Record):
    name: str
    level: str
    roles: list[str] = Field(default_factory=list)


class InventoryEntry(Record):
    """One Notes database found in the drop folder."""

    key: str
    replica_id: str | None
    title: str | None
    files: list[str]
    bytes: int
    documents: int
    forms: dict[str, int]
    responses: int
    attachments: int
    attachment_bytes: int
    richtext_items: int
    unconverted: dict[str, int]
    readers_documents: int
    authors_documents: int
    acl: list[AclFact]
    roles: list[str]
    errors: int
    complexity: Complexity
    #: Why this class (Japanese / English).
    reasons: list[str]
    #: The mapping file for it, and the draft written when it had none.
    mapping: str | None = None
    draft: str | None = None


class Inventory(Record):
    """The discovery's inventory of a drop folder (``inventory.json``)."""

    schema_name: ClassVar[str] = "inventory"
    generated_at: str
    drop_folder: str
    databases: list[InventoryEntry]


#: Every record with a schema of its own, by schema name.
SCHEMA_RECORDS: tuple[type[Record], ...] = (
    SourceDatabase,
    ExportReport,
    ExtractSummary,
    ExtractedDatabase,
    ItemRow,
    FileRow,
    PermissionPlan,
    DatabaseAccess,
    Outcome,
    LinkRow,
    TransformedDatabase,
    ValidatedDatabase,
    LoadOutcome,
    LoadedDatabase,
    TargetPlan,
    Verdict,
    ReconciledDatabase,
    WrittenReport,
    Inventory,
)


def json_schema(record: type[Record]) -> dict[str, Any]:
    """The JSON Schema of a record, as kept in ``schemas/``."""
    schema = record.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://notesmig.example/schemas/{record.schema_name}.schema.json",
        **schema,
    }


# -- JSON lines ---------------------------------------------------------------------------


def write_records(path: Path, records: Iterable[Record]) -> int:
    """Write records as JSON lines, whole or not at all (temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as sink:
        for record in records:
            sink.write(record.json_line())
            sink.write("\n")
            count += 1
    os.replace(partial, path)
    return count


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"{where}: {first['msg']}"


def read_records(path: Path, kind: type[R]) -> Iterator[R]:
    """The records of a JSON lines file (none if the file does not exist)."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                yield kind.model_validate_json(line)
            except ValidationError as exc:
                raise RecordError(
                    f"{path}:{number}: not a {kind.__name__} record: {_first_error(exc)}"
                ) from None


def read_record(path: Path, kind: type[R]) -> R:
    """The record a JSON file holds (a summary), or a :class:`RecordError` naming the file."""
    try:
        return kind.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise RecordError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except ValidationError as exc:
        raise RecordError(f"{path}: not a {kind.__name__} record: {_first_error(exc)}") from None


def schema_text(record: type[Record]) -> str:
    return json.dumps(json_schema(record), ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every record's schema into ``folder`` (``python -m notesmig.records schemas``)."""
    written = []
    for record in SCHEMA_RECORDS:
        path = folder / f"{record.schema_name}.schema.json"
        path.write_text(schema_text(record), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for written_path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(written_path)
