"""The mapping of one Notes database as typed objects (YAML form: schemas/mapping.schema.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path


class ColumnType(StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    RICHTEXT = "richtext"
    NUMBER = "number"
    DATETIME = "dateTime"
    DATEONLY = "dateOnly"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    PERSON = "person"
    MULTIPERSON = "multiperson"
    LOOKUP = "lookup"
    HYPERLINK = "hyperlink"

    @property
    def multi(self) -> bool:
        return self in (ColumnType.MULTICHOICE, ColumnType.MULTIPERSON)

    @property
    def is_person(self) -> bool:
        return self in (ColumnType.PERSON, ColumnType.MULTIPERSON)


@dataclass(frozen=True)
class SystemColumn:
    name: str
    type: ColumnType
    indexed: bool = False
    unique: bool = False


#: Columns every migrated list item carries, whatever the mapping says.
SYSTEM_COLUMNS: tuple[SystemColumn, ...] = (
    SystemColumn("NotesUNID", ColumnType.TEXT, indexed=True, unique=True),
    SystemColumn("NotesForm", ColumnType.TEXT),
    SystemColumn("NotesParentUNID", ColumnType.TEXT, indexed=True),
    # A response thread: its root's UNID (the document's own when it is no response) and the
    # document's depth in it; the parent itself is the NotesParent lookup and NotesParentLink.
    SystemColumn("NotesThreadRoot", ColumnType.TEXT, indexed=True),
    SystemColumn("NotesThreadDepth", ColumnType.NUMBER),
    SystemColumn("NotesParentLink", ColumnType.HYPERLINK),
    # When the sync saw the document deleted in Notes (deletions.policy: keep).
    SystemColumn("NotesDeletedInNotes", ColumnType.DATETIME),
    SystemColumn("NotesCreated", ColumnType.DATETIME),
    SystemColumn("NotesModified", ColumnType.DATETIME),
    SystemColumn("NotesAuthor", ColumnType.MULTILINE),
    SystemColumn("NotesDatabase", ColumnType.TEXT),
    SystemColumn("SourceSha256", ColumnType.TEXT),
)
SYSTEM_COLUMN_NAMES = frozenset(c.name for c in SYSTEM_COLUMNS)


@dataclass(frozen=True)
class ItemMapping:
    """One Notes item to one SharePoint column."""

    item: str
    column: str
    type: ColumnType
    display_name: str
    join: str | None = None
    choices: tuple[str, ...] = ()
    allow_other: bool = False
    keep_offset: bool = False
    true_values: tuple[str, ...] = ()
    lookup_list: str | None = None
    required: bool = False

    @property
    def companion_columns(self) -> tuple[str, ...]:
        """Extra columns this item also fills (original offset, original Notes names)."""
        if self.type.is_person:
            return (f"{self.column}Notes",)
        if self.keep_offset:
            return (f"{self.column}Offset",)
        return ()


@dataclass(frozen=True)
class FormMapping:
    """One Notes form to one list (and a library for its files)."""

    form: str
    list: str
    library: str | None
    attachment_folder: str
    exclude_items: frozenset[str]
    items: dict[str, ItemMapping]

    def item(self, name: str) -> ItemMapping | None:
        return self.items.get(name.casefold())

    def excludes(self, name: str) -> bool:
        return name.casefold() in self.exclude_items


@dataclass(frozen=True)
class UserPolicy:
    file: Path | None = None
    unknown: str = "text"
    fallback: str | None = None
    #: Notes groups to Entra ID groups (CSV), for Readers, Authors and the ACL.
    groups: Path | None = None


@dataclass(frozen=True)
class AclPolicy:
    """Whether the database ACL becomes the permissions of its lists and libraries."""

    apply: bool = False
    #: What -Default- maps to: an Entra ID group, "everyone", or None (nobody).
    everyone_else: str | None = None


#: The share of a database's rows that may fail validation before its load is stopped.
DEFAULT_MAX_FAILURE_RATIO = 0.05


@dataclass(frozen=True)
class ValidationPolicy:
    """How much failure the validation before the load tolerates for one database."""

    max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_failure_ratio <= 1.0:
            raise ValueError("validation.max_failure_ratio must be between 0 and 1")


#: The share of a database's documents one sync may delete before its deletions wait.
DEFAULT_MAX_DELETED_RATIO = 0.5
DELETION_POLICIES = ("recycle", "keep", "report")


@dataclass(frozen=True)
class DeletionPolicy:
    """What the load does with documents deleted, and attachments removed, in Notes."""

    policy: str = "recycle"
    max_ratio: float = DEFAULT_MAX_DELETED_RATIO

    def __post_init__(self) -> None:
        if self.policy not in DELETION_POLICIES:
            raise ValueError(f"deletions.policy must be one of {', '.join(DELETION_POLICIES)}")
        if not 0.0 <= self.max_ratio <= 1.0:
            raise ValueError("deletions.max_ratio must be between 0 and 1")


@dataclass(frozen=True)
class Mapping:
    """Everything decided about one Notes database."""

    path: Path
    replica_id: str
    title: str | None
    site: str
    users: UserPolicy
    readers: str
    exclude_forms: frozenset[str]
    forms: dict[str, FormMapping] = field(default_factory=dict)
    acl: AclPolicy = field(default_factory=AclPolicy)
    #: A loaded document that becomes restricted or held: "restrict" or "remove" it.
    withdraw: str = "restrict"
    validation: ValidationPolicy = field(default_factory=ValidationPolicy)
    deletions: DeletionPolicy = field(default_factory=DeletionPolicy)
    #: The day Notes is switched off for this database (None: the deployment's cutoff).
    cutoff: date | None = None

    def form(self, name: str | None) -> FormMapping | None:
        if name is None:
            return None
        return self.forms.get(name.casefold())

    def excludes_form(self, name: str | None) -> bool:
        return name is not None and name.casefold() in self.exclude_forms

    def column_types(self) -> dict[tuple[str, str], ColumnType]:
        """(list, column) -> its type, for every mapped column (the first form's wins)."""
        types: dict[tuple[str, str], ColumnType] = {}
        for form in self.forms.values():
            for spec in form.items.values():
                types.setdefault((form.list, spec.column), spec.type)
        return types
