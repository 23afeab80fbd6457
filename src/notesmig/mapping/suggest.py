"""Drafting a mapping from a Notes database: its form designs and what its documents hold.

The draft is for a person to review, and it must be correct to run as drafted: every choice
list holds the values seen, text that ran over 255 characters is multi-line, values seen more
than once per document are joined or multi-valued, and each item's line in the YAML carries a
comment saying what was seen. Column names are SharePoint-safe ASCII, unique per list; the Notes
item name stays as the display name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from notesmig.dxl.blobs import BlobStore
from notesmig.dxl.datetimes import DateTimeRange
from notesmig.dxl.model import DatabaseInfo, NotesDocument, as_text
from notesmig.dxl.scan import peek_database, scan_file
from notesmig.errors import TerminalError
from notesmig.mapping.model import SYSTEM_COLUMN_NAMES, ColumnType
from notesmig.spfacts.columns import is_system_field
from notesmig.spfacts.limits import TEXT_MAX_LENGTH as TEXT_LIMIT

DEFAULT_SITE = "contoso.sharepoint.com:/sites/notes-migration"
_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_TITLE_ITEMS = ("subject", "title", "件名", "タイトル", "表題")
_MAX_CHOICES = 12
#: A document's own MIME content (``<mime>``), read as the HTML of this pseudo-item.
MIME_BODY = "$MIME"


@dataclass
class ItemStats:
    name: str
    documents: int = 0
    types: Counter[str] = field(default_factory=Counter)
    multi: bool = False
    max_length: int = 0
    values: Counter[str] = field(default_factory=Counter)
    names: bool = False
    readers: bool = False
    authors: bool = False
    has_time: bool = False
    ranges: bool = False
    html: bool = False


@dataclass
class FormStats:
    name: str
    documents: int = 0
    responses_to: Counter[str] = field(default_factory=Counter)
    files: int = 0
    items: dict[str, ItemStats] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    replica_id: str
    title: str | None
    yaml: str
    documents: int
    #: The file name the draft is written under in a mappings folder.
    file_name: str = "mapping.yaml"


class SuggestError(TerminalError, ValueError):
    """An export a mapping cannot be drafted from (names the file and why)."""


def suggest(path: Path, *, site: str = DEFAULT_SITE) -> Suggestion:
    """Read one DXL export and draft its mapping."""
    return suggest_files([path], site=site)


def suggest_files(paths: list[Path], *, site: str = DEFAULT_SITE) -> Suggestion:
    """Draft one mapping from every export of one database (what all of them hold)."""
    forms: dict[str, FormStats] = {}
    form_of: dict[str, str] = {}
    parents: list[tuple[str, str]] = []
    info: DatabaseInfo | None = None
    for path in paths:
        report, documents = scan_file(path, BlobStore(None))
        for document in documents:
            _observe(document, forms, form_of, parents)
        if report.failed:
            raise SuggestError(
                f"{path}: cannot draft a mapping from a file that does not read: "
                f"{report.errors[-1].message}"
            )
        found = report.database or DatabaseInfo(source=path)
        if info is None or (not info.design and found.design):
            info = found
        elif found.design:
            info.design.extend(found.design)
    for form_name, parent in parents:
        parent_form = form_of.get(parent)
        if parent_form is not None:
            forms[form_name].responses_to[parent_form] += 1
    assert info is not None
    replica = (info.replica_id or "").upper()
    if not re.fullmatch(r"[0-9A-F]{16}", replica):
        raise SuggestError(f"{paths[0]}: the export carries no replica id; a mapping needs one")
    yaml_text = _render(paths, info, forms, _design_fields(info), site)
    count = sum(f.documents for f in forms.values())
    return Suggestion(replica, info.title, yaml_text, count, f"{paths[0].stem}.yaml")


def suggest_databases(
    files: list[Path], *, site: str = DEFAULT_SITE
) -> Iterator[Suggestion | SuggestError]:
    """One draft per database (several exports of one replica id are one database), or why
    not. Each draft's file name is its first export's stem, with the replica id added where
    two databases share a stem."""
    by_replica: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        replica, _title = peek_database(path)
        by_replica[replica or f"?{path}"].append(path)
    stems = Counter(paths[0].stem for paths in by_replica.values())
    for paths in by_replica.values():
        try:
            drafted = suggest_files(paths, site=site)
        except SuggestError as exc:
            yield exc
            continue
        yield dataclasses.replace(
            drafted, file_name=draft_file_name(paths[0], drafted.replica_id, stems)
        )


def draft_file_name(first: Path, replica_id: str, stems: Counter[str]) -> str:
    """A draft's file name: its database's first export's stem, with the replica id added
    where several databases (``stems``: their first exports' stems) share that stem."""
    if stems[first.stem] > 1:
        return f"{first.stem}-{replica_id}.yaml"
    return f"{first.stem}.yaml"


def _observe(
    document: NotesDocument,
    forms: dict[str, FormStats],
    form_of: dict[str, str],
    parents: list[tuple[str, str]],
) -> None:
    form = forms.setdefault(document.form or "(no form)", FormStats(document.form or "(no form)"))
    form.documents += 1
    if document.unid:
        form_of[document.unid] = form.name
    if document.parent_unid:
        parents.append((form.name, document.parent_unid))
    form.files += len(document.attachments)
    if MIME_BODY in document.html and document.item(MIME_BODY) is None:
        stats = form.items.setdefault(MIME_BODY.casefold(), ItemStats(MIME_BODY))
        stats.documents += 1
        stats.types["mime"] += 1
        stats.html = True
    for item in document.items:
        stats = form.items.setdefault(item.name.casefold(), ItemStats(item.name))
        stats.documents += 1
        stats.types[str(item.type)] += 1
        stats.names |= item.names
        stats.readers |= item.readers
        stats.authors |= item.authors
        stats.html |= item.name in document.html
        values = [v for v in item.values if v != ""]
        stats.multi |= len(values) > 1 or item.occurrences > 1
        for value in values:
            if isinstance(value, DateTimeRange):
                stats.ranges = True
            if isinstance(value, datetime):
                stats.has_time = True
            try:
                text = as_text(value)
            except TypeError:
                continue
            stats.max_length = max(stats.max_length, len(text))
            if len(stats.values) < 200:
                stats.values[text] += 1
        if len(values) > 1:
            joined = "; ".join(as_text(v) for v in values if not isinstance(v, bytes | bytearray))
            stats.max_length = max(stats.max_length, len(joined))


def _design_fields(info: DatabaseInfo) -> dict[tuple[str, str], str]:
    fields = {}
    for note in info.design:
        if note.kind == "form" and note.name:
            for design in note.fields:
                fields[(note.name.casefold(), design.name.casefold())] = design.type
    return fields


def _column_type(
    stats: ItemStats, design_type: str | None, documents: int
) -> tuple[ColumnType, dict[str, object]] | None:
    kinds = set(stats.types)
    if kinds & {"object", "rawitemdata", "formula"} and not stats.html:
        return None
    if stats.html or "richtext" in kinds:
        return ColumnType.RICHTEXT, {}
    if stats.names:
        return (
            ColumnType.MULTIPERSON
            if stats.multi or (design_type in ("names",) and stats.multi)
            else ColumnType.PERSON
        ), {}
    if stats.ranges or len(kinds) > 1:
        return _text_type(stats, join="\n")
    kind = next(iter(kinds)) if kinds else "text"
    if kind in ("number", "numberlist"):
        return (ColumnType.NUMBER, {}) if not stats.multi else _text_type(stats, join="; ")
    if kind in ("datetime", "datetimelist", "datetimepair"):
        if stats.multi:
            return _text_type(stats, join="\n")
        return (ColumnType.DATETIME if stats.has_time else ColumnType.DATEONLY), {}
    distinct = len(stats.values)
    # A choice only where values really repeat: at most a third as many values as documents.
    repeated = stats.documents >= 3 and distinct <= _MAX_CHOICES and distinct * 3 <= stats.documents
    if (
        (design_type == "keyword" or repeated)
        and 0 < distinct <= _MAX_CHOICES
        and stats.max_length <= TEXT_LIMIT
    ):
        choices = sorted(stats.values)
        # Values seen later (changes synced until the cutoff) are accepted, not held back.
        options: dict[str, object] = {"choices": choices, "allow_other": True}
        return (ColumnType.MULTICHOICE if stats.multi else ColumnType.CHOICE), options
    return _text_type(stats, join="; " if stats.max_length <= TEXT_LIMIT else "\n")


def _text_type(stats: ItemStats, join: str) -> tuple[ColumnType, dict[str, object]]:
    options: dict[str, object] = {"join": join} if stats.multi else {}
    return (
        ColumnType.TEXT
        if stats.max_length <= TEXT_LIMIT and "\n" not in join
        else ColumnType.MULTILINE
    ), options


def _column_name(item: str, taken: set[str]) -> str:
    base = item.lstrip("$")
    if not _SAFE.match(base):
        ascii_part = re.sub(r"[^A-Za-z0-9_]", "", base)
        digest = hashlib.sha1(item.encode("utf-8")).hexdigest()[:6]  # noqa: S324 (a name, not security)
        base = f"{ascii_part[:20]}_{digest}" if ascii_part else f"Item_{digest}"
        if base[0].isdigit():
            base = f"N{base}"
    if (
        is_system_field(base)
        or base.casefold() in {c.casefold() for c in SYSTEM_COLUMN_NAMES}
        or base.casefold() == "title"
    ):
        base = f"Notes{base}"[:32]
    candidate, counter = base, 2
    while candidate.casefold() in taken:
        candidate = f"{base[:30]}{counter}"
        counter += 1
    taken.add(candidate.casefold())
    return candidate


def _list_of(form: FormStats, forms: dict[str, FormStats], title: str) -> str:
    """Response forms go to their parents' list, so a discussion stays one list."""
    seen = {form.name}
    current = form
    while (
        current.responses_to
        and current.documents
        and sum(current.responses_to.values()) == current.documents
    ):
        parent_name = current.responses_to.most_common(1)[0][0]
        if parent_name in seen:
            break
        seen.add(parent_name)
        current = forms[parent_name]
    main_forms = [f for f in forms.values() if not f.responses_to]
    return title if len(main_forms) <= 1 else f"{title} {current.name}"


def _render(
    paths: list[Path],
    info: DatabaseInfo,
    forms: dict[str, FormStats],
    design: dict[tuple[str, str], str],
    site: str,
) -> str:
    path = paths[0]
    title = (info.title or path.stem).strip() or path.stem
    names = ", ".join(p.name for p in paths)
    lines = [
        f"# notesmig mapping drafted by `notesmig map suggest` from {names}.",
        f"# {title}: {sum(f.documents for f in forms.values())} documents in {len(forms)} form(s).",
        "# Review every list, column and type; the draft runs as it is.",
        "version: 1",
        "database:",
        f"  replica_id: {_q((info.replica_id or '').upper())}",
        f"  title: {_q(title)}",
        f"  source: {_q(names)}",
        "target:",
        f"  site: {_q(site)}",
        "users:",
        "  # file: users.csv   # notes_name,upn[,display_name]; without it names stay text",
        "  # groups: groups.csv   # notes_group,entra_group[,display_name]: Notes groups",
        "  unknown: text",
        "# Documents with a Readers field are held back; `restrict` loads them into folders",
        "# whose unique permissions (their readers, their authors) are set first.",
        "readers: hold",
        *_acl_lines(info),
        "# Rows failing validation are held back; above this share the load stops.",
        "validation:",
        "  max_failure_ratio: 0.05",
        "# Notes で削除された文書・添付: recycle（ごみ箱へ）/ keep（残して印）/ report（報告のみ）",
        "# Documents deleted (attachments removed) in Notes: recycle | keep | report; above",
        "# max_ratio of the database in one sync nothing is deleted (an incomplete export?).",
        "deletions:",
        "  policy: recycle",
        "  max_ratio: 0.5",
        "forms:",
    ]
    columns_per_list: dict[str, set[str]] = defaultdict(set)
    titles_per_list: dict[str, str] = {}
    # Forms sharing a list (topics and responses) share a column for the same item when they
    # define it the same way: one field stays one column.
    shared: dict[tuple[str, str], tuple[str, ColumnType, dict[str, object]]] = {}
    for form in forms.values():
        target = _list_of(form, forms, title)
        taken = columns_per_list[target]
        has_files = form.files > 0 or any(
            s.html or "richtext" in s.types for s in form.items.values()
        )
        lines.append(f"  {_q(form.name)}:")
        lines.append(
            f"    # {form.documents} documents"
            + (f", {form.files} attachments" if form.files else "")
        )
        if form.responses_to:
            parents = ", ".join(sorted(form.responses_to))
            lines.append(f"    # 応答文書（親: {parents}）: 親へのルックアップ NotesParent は自動")
            lines.append(
                f"    # responses to {parents}: the NotesParent lookup to the parent, its link "
                "and the thread columns come by themselves"
            )
        lines.append(f"    list: {_q(target)}")
        if has_files:
            lines.append(f"    library: {_q(target + ' ファイル')}")
            lines.append("    attachment_folder: document")
        excluded: list[tuple[str, str]] = []
        item_lines: list[str] = []
        for key, stats in sorted(form.items.items(), key=lambda kv: kv[1].name.casefold()):
            if stats.readers or stats.authors:
                excluded.append((stats.name, "Readers/Authors: drives permissions"))
                continue
            if (key.startswith("$") and key != MIME_BODY.casefold()) or key == "form":
                excluded.append((stats.name, "Notes system item"))
                continue
            decided = _column_type(stats, design.get((form.name.casefold(), key)), form.documents)
            if decided is None:
                excluded.append((stats.name, f"{'/'.join(sorted(stats.types))}: no column type"))
                continue
            kind, options = decided
            earlier = shared.get((target, key))
            if earlier is not None and earlier[1:] == (kind, options):
                column = earlier[0]
            elif (
                kind is ColumnType.TEXT
                and key in _TITLE_ITEMS
                and titles_per_list.get(target, key) == key
                and not stats.multi
            ):
                column = "Title"
                titles_per_list[target] = key
            else:
                column = _column_name(stats.name, taken)
            shared.setdefault((target, key), (column, kind, options))
            seen = (
                f"in {stats.documents}/{form.documents} documents; "
                f"{'/'.join(sorted(stats.types))}; longest {stats.max_length}; "
                f"{len(stats.values)} distinct" + ("; several values" if stats.multi else "")
            )
            item_lines.append(f"      # {seen}")
            item_lines.append(f"      {_q(stats.name)}:")
            item_lines.append(f"        column: {_q(column)}")
            item_lines.append(f"        type: {kind}")
            for option, value in options.items():
                item_lines.append(f"        {option}: {_q(value)}")
        if excluded:
            lines.append("    exclude_items:")
            lines.extend(f"      - {_q(name)}  # {why}" for name, why in excluded)
        lines.append("    items:" + ("" if item_lines else " {}"))
        lines.extend(item_lines)
    return "\n".join(lines) + "\n"


def _acl_lines(info: DatabaseInfo) -> list[str]:
    """The ACL part of a draft: carried when the export has one."""
    entries = [e for e in info.acl if e.name]
    if not entries:
        return ["# The export carries no ACL: the site's permissions are kept.", "acl:",
                "  apply: false"]  # fmt: skip
    default = next((e.level for e in entries if e.name.casefold() == "-default-"), "noaccess")
    roles = sorted({r for e in entries for r in e.roles} | set(info.roles))
    everyone = _q("everyone") if default.lower() not in ("noaccess", "depositor") else "null"
    return [
        f"# The database ACL: {len(entries)} entries"
        + (f", roles {', '.join(roles)}" if roles else "")
        + f"; -Default- is {default}.",
        "# Carried as the lists' and libraries' own permissions; each role becomes a site",
        "# group. everyone_else: what -Default- becomes (an Entra ID group, 'everyone', or null).",
        "acl:",
        "  apply: true",
        f"  everyone_else: {everyone}",
    ]


def _q(value: object) -> str:
    """A YAML scalar (JSON is valid YAML and quotes everything safely)."""
    if isinstance(value, date):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)
