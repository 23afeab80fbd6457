"""Reading mapping files: YAML with line numbers, the JSON Schema, then the cross-checks.

Every problem is reported before any work starts, each with the file, the line and the key
(``shutcho.yaml:42 forms.TripRequest.items.Amount.type: 次のいずれか... / must be one of: ...``).
A message never repeats what the file holds there: ``--mapping`` pointed at the wrong file (a
``.env``, a key file) must not print its contents into a terminal or a CI log.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from notesmig.cutoff import CutoffError, parse_cutoff
from notesmig.errors import TerminalError
from notesmig.mapping.model import (
    DEFAULT_MAX_DELETED_RATIO,
    DEFAULT_MAX_FAILURE_RATIO,
    SYSTEM_COLUMN_NAMES,
    AclPolicy,
    ColumnType,
    DeletionPolicy,
    FormMapping,
    ItemMapping,
    Mapping,
    UserPolicy,
    ValidationPolicy,
)
from notesmig.mapping.users import GroupDirectory, UserDirectory, UserMappingError
from notesmig.schemas import load_schema
from notesmig.spfacts.columns import is_system_field
from notesmig.spfacts.names import encode_internal_name

_NOTESMIG_COLUMNS = {name.casefold(): name for name in SYSTEM_COLUMN_NAMES}

KeyPath = tuple[str | int, ...]


class MappingError(TerminalError):
    """A mapping file that cannot be applied; lists every problem found, each located."""

    def __init__(self, path: Path, problems: list[tuple[int | None, str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = [
            f"{path}:{line if line is not None else '?'} {key or '(top)'}: {message}"
            for line, key, message in problems
        ]
        super().__init__("マッピングが正しくありません / invalid mapping:\n  " + "\n  ".join(lines))


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path)


MAX_MAPPING_BYTES = 2 << 20
#: Deeper than any mapping nests (forms.<form>.items.<item>.choices is 5): refused before
#: PyYAML's recursive composer would exhaust the stack.
MAX_DEPTH = 32
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A quoted piece of a PyYAML message longer than this is left out (it may be the file's text).
_QUOTED = re.compile(r"'[^']{13,}'")


def _utf16_without_bom(data: bytes) -> bool:
    """Whether bytes look like UTF-16 saved without a byte order mark: a NUL in every other
    byte for most characters (the ASCII of YAML keys and punctuation)."""
    if len(data) < 4 or b"\x00" not in data:
        return False
    half = len(data) // 2
    return max(data[0::2].count(0), data[1::2].count(0)) >= half * 0.3


def _text_of(path: Path) -> str:
    """The mapping's text. It must be UTF-8 (a Japanese editor may save Shift_JIS or UTF-16:
    the error says so), hold no control characters, and stay small."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(
            path, [(None, "", f"読めません / cannot be read: {exc.strerror or exc}")]
        ) from exc
    if len(data) > MAX_MAPPING_BYTES:
        raise MappingError(
            path, [(None, "", f"大きすぎます / {len(data)} bytes is too large for a mapping")]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MappingError(path, [(1, "", _UTF16)])
    if _utf16_without_bom(data):
        raise MappingError(path, [(1, "", _UTF16_PROBABLY)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = ("", "")
        try:
            data.decode("cp932")
            guess = ("（Shift_JIS のようです）", " (it reads as Shift_JIS)")
        except UnicodeDecodeError:
            pass
        raise MappingError(
            path,
            [(line, "", f"UTF-8 ではありません{guess[0]}。UTF-8 で保存してください / "
                        f"not UTF-8{guess[1]}; save the mapping as UTF-8")],
        ) from None  # fmt: skip
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        code = f"U+{ord(control.group()):04X}"
        raise MappingError(
            path, [(line, "", f"制御文字 ({code}) は使えません / a control character ({code}) "
                              "is not allowed")],
        )  # fmt: skip
    return text


_TOO_DEEP = (
    f"入れ子が深すぎます（{MAX_DEPTH} 段まで） / nested too deeply to be a mapping "
    f"(more than {MAX_DEPTH} levels)"
)
_UTF16 = (
    "UTF-16 で保存されています。UTF-8 で保存してください / the file is UTF-16 (expected UTF-8); "
    "save the mapping as UTF-8 (BOM or not)"
)
_UTF16_PROBABLY = (
    "UTF-16 のようです（BOM なし）。UTF-8 で保存してください / probably UTF-16 without a BOM "
    "(expected UTF-8); save the mapping as UTF-8"
)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """PyYAML's complaint as a line and a message: what is wrong and where (line:column),
    without the snippet of the file PyYAML's own message quotes."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return None, f"YAML として読めません / not valid YAML ({type(exc).__name__})"
    mark, context_mark = exc.problem_mark, exc.context_mark
    said = _QUOTED.sub("'...'", exc.problem or "a syntax error")
    if mark is not None:
        said += f" at {mark.line + 1}:{mark.column + 1}"
    if exc.context and context_mark is not None:
        context = _QUOTED.sub("'...'", exc.context)
        said += f" ({context} from {context_mark.line + 1}:{context_mark.column + 1})"
    line = mark.line + 1 if mark is not None else None
    return line, f"YAML として読めません / not valid YAML: {said}"


def _refuse_aliases(path: Path, text: str) -> None:
    """Anchors and aliases are refused: a mapping never needs them, and a few hundred bytes of
    nested aliases expand without end (or recurse). So is nesting deeper than any mapping's,
    found here, where PyYAML reads event by event without recursing, with its line."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent) or anchor is not None:
                raise MappingError(
                    path, [(line, "", "YAML のアンカーとエイリアス (&, *) は使えません / YAML "
                                      "anchors and aliases (&, *) are not allowed here")],
                )  # fmt: skip
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise MappingError(path, [(line, "", _TOO_DEEP)])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        line, message = _yaml_problem(exc)
        raise MappingError(path, [(line, "", message)]) from None


class _MappingLoader(yaml.SafeLoader):
    """YAML as a mapping means it: a date-like value (``cutoff: 2025-06-30``, a choice named
    ``2024-04-01``) stays the text written, never a date YAML made (or failed to make: the
    impossible ``2025-02-29`` would be a ValueError, not a located error)."""


_MappingLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    text = _text_of(path)
    _refuse_aliases(path, text)
    loader = _MappingLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        line, message = _yaml_problem(exc)
        raise MappingError(path, [(line, "", message)]) from None
    except RecursionError:
        # Depth is refused with its line before this; kept for any other way to recurse.
        raise MappingError(path, [(1, "", _TOO_DEEP)]) from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    duplicates: list[tuple[int | None, str, str]] = []

    def walk(current: yaml.Node | None, at: KeyPath) -> None:
        if current is None:
            return
        lines.setdefault(at, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in seen:
                    duplicates.append(
                        (
                            key_node.start_mark.line + 1,
                            _dotted((*at, key)),
                            "キーが二度ある / key appears twice",
                        )
                    )
                seen.add(key)
                lines[(*at, key)] = key_node.start_mark.line + 1
                walk(value_node, (*at, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, child in enumerate(current.value):
                walk(child, (*at, index))

    walk(node, ())
    if duplicates:
        raise MappingError(path, duplicates)
    return data, lines


def _line(lines: dict[KeyPath, int], at: KeyPath) -> int | None:
    while at not in lines and at:
        at = at[:-1]
    return lines.get(at)


def load_mapping(path: Path) -> Mapping:
    """Read, validate and cross-check one mapping file."""
    if not path.is_file():
        raise MappingError(
            path, [(None, "", "マッピング ファイルがない / the mapping file does not exist")]
        )
    data, lines = _read_yaml(path)
    validator = jsonschema.Draft202012Validator(load_schema("mapping"))
    problems = [p for error in validator.iter_errors(data) for p in _located(error, lines)]
    problems.sort(key=lambda p: (p[0] or 0, p[1]))
    if problems:
        raise MappingError(path, problems)
    cutoff = None
    if data.get("cutoff") is not None:
        try:
            cutoff = parse_cutoff(str(data["cutoff"]))
        except CutoffError as exc:
            raise MappingError(path, [(lines.get(("cutoff",)), "cutoff", str(exc))]) from exc
    mapping = dataclasses.replace(_build(path, data), cutoff=cutoff)
    problems = _cross_check(mapping, data, lines)
    if problems:
        raise MappingError(path, problems)
    return mapping


def _located(
    error: jsonschema.ValidationError, lines: dict[KeyPath, int]
) -> list[tuple[int | None, str, str]]:
    at = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = (
            set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        )
        unexpected = sorted(str(k) for k in error.instance if k not in allowed)
        if unexpected:  # each unexpected key on its own line, not on its parent's
            said = (
                f"このキーは使えません（使えるのは {', '.join(sorted(allowed))}） / unexpected "
                f"key (allowed here: {', '.join(sorted(allowed))})"
                if allowed
                else "このキーは使えません / unexpected key"
            )
            return [(_line(lines, (*at, key)), _dotted((*at, key)), said) for key in unexpected]
    return [(_line(lines, at), _dotted(at), _schema_message(error))]


#: JSON Schema's types as a mapping's reader knows them: (Japanese, English).
_KINDS = {
    "object": ("マッピング", "a mapping"),
    "array": ("リスト", "a list"),
    "string": ("文字列", "a string"),
    "integer": ("整数", "a whole number"),
    "number": ("数値", "a number"),
    "boolean": ("true か false", "true or false"),
    "null": ("空", "empty"),
}


def _kind(value: Any) -> tuple[str, str]:
    """What YAML made of a value, named without the value itself."""
    if value is None:
        return _KINDS["null"]
    for python, kind in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                         (list, "array"), (dict, "object")):  # fmt: skip
        if isinstance(value, python):
            return _KINDS[kind]
    if isinstance(value, bytes):
        return "バイナリ", "binary data"
    return type(value).__name__, type(value).__name__


def _schema_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's complaint rewritten from the schema's side alone: its own messages repeat
    the value (``'DB_PASSWORD=...' is not of type 'object'``), and the value may be a secret in
    a file that was never a mapping."""
    rule = error.validator
    limit: Any = error.validator_value
    if rule == "type":
        wanted = [limit] if isinstance(limit, str) else list(limit)
        ja = "／".join(_KINDS.get(w, (w, w))[0] for w in wanted)
        en = " or ".join(_KINDS.get(w, (w, w))[1] for w in wanted)
        found_ja, found_en = _kind(error.instance)
        return f"{ja}ではありません（{found_ja}） / not {en} (found {found_en})"
    if rule == "enum":
        choices = ", ".join(str(c) for c in limit)
        return f"次のいずれかにしてください: {choices} / must be one of: {choices}"
    if rule == "const":
        return f"{limit} にしてください / must be {limit}"
    if rule == "required":
        return f"必須のキーがありません / {error.message}"  # names the schema's key, not data
    if rule == "pattern":
        return f"形式が違います / does not match the expected form {limit}"
    if rule == "minLength":
        if limit == 1:
            return "空にはできません / must not be empty"
        return f"{limit} 文字以上にしてください / shorter than {limit} characters"
    if rule == "maxLength":
        return f"{limit} 文字以内にしてください / longer than {limit} characters"
    if rule == "minimum":
        return f"{limit} 以上にしてください / less than the minimum of {limit}"
    if rule == "maximum":
        return f"{limit} 以下にしてください / greater than the maximum of {limit}"
    if rule == "minProperties":
        return f"キーが {limit} 個以上必要です / needs at least {limit} key(s)"
    if rule == "uniqueItems":
        return "同じ値が繰り返されています / a value is repeated"
    return f"スキーマの規則 {rule} に合いません / does not satisfy the schema's {rule!r} rule"


def load_mappings(path: Path) -> dict[str, Mapping]:
    """Mappings by replica id, from one file or every ``*.yaml``/``*.yml`` in a folder."""
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    if not files:
        raise MappingError(
            path,
            [
                (
                    None,
                    "",
                    "このフォルダーにマッピング ファイル（*.yaml）がない"
                    " / no mapping files (*.yaml) in this folder",
                )
            ],
        )
    found: dict[str, Mapping] = {}
    for file in files:
        mapping = load_mapping(file)
        other = found.get(mapping.replica_id)
        if other is not None:
            clash = (
                f"同じデータベースが {other.path} でも対応付けられている / the same database is "
                f"also mapped by {other.path}"
            )
            raise MappingError(file, [(None, "database.replica_id", clash)])
        found[mapping.replica_id] = mapping
    return found


def _build(path: Path, data: dict[str, Any]) -> Mapping:
    users = data.get("users", {})
    user_file = users.get("file")
    groups_file = users.get("groups")
    acl = data.get("acl", {})
    forms = {}
    for form_name, form in data["forms"].items():
        items = {}
        for item_name, item in form["items"].items():
            items[item_name.casefold()] = ItemMapping(
                item=item_name,
                column=item["column"],
                type=ColumnType(item["type"]),
                display_name=item.get("display_name", item_name),
                join=item.get("join"),
                choices=tuple(item.get("choices", ())),
                allow_other=item.get("allow_other", False),
                keep_offset=item.get("keep_offset", False),
                true_values=tuple(item.get("true_values", ())),
                lookup_list=item.get("lookup_list"),
                required=item.get("required", False),
            )
        forms[form_name.casefold()] = FormMapping(
            form=form_name,
            list=form["list"],
            library=form.get("library"),
            attachment_folder=form.get("attachment_folder", "document"),
            exclude_items=frozenset(i.casefold() for i in form.get("exclude_items", ())),
            items=items,
        )
    return Mapping(
        path=path,
        replica_id=data["database"]["replica_id"].upper(),
        title=data["database"].get("title"),
        site=data["target"]["site"],
        users=UserPolicy(
            file=(path.parent / user_file) if user_file else None,
            unknown=users.get("unknown", "text"),
            fallback=users.get("fallback"),
            groups=(path.parent / groups_file) if groups_file else None,
        ),
        acl=AclPolicy(bool(acl.get("apply", False)), acl.get("everyone_else")),
        withdraw=data.get("withdraw", "restrict"),
        validation=ValidationPolicy(
            float(data.get("validation", {}).get("max_failure_ratio", DEFAULT_MAX_FAILURE_RATIO))
        ),
        deletions=DeletionPolicy(
            data.get("deletions", {}).get("policy", "recycle"),
            float(data.get("deletions", {}).get("max_ratio", DEFAULT_MAX_DELETED_RATIO)),
        ),
        readers=data.get("readers", "hold"),
        exclude_forms=frozenset(f.casefold() for f in data.get("exclude_forms", ())),
        forms=forms,
    )


def _reserved(column: str) -> str | None:
    """Why a column name cannot be mapped (SharePoint compares names case-insensitively)."""
    if column.casefold() == "title" and column != "Title":
        return (
            f"列 {column!r} は SharePoint のタイトル列: 'Title' と書いてください / column "
            f"{column!r} is SharePoint's Title field: write it as 'Title'"
        )
    if column.casefold() in _NOTESMIG_COLUMNS:
        return (
            f"列 {column!r} は notesmig が使う列です / "
            f"column {column!r} is notesmig's own {_NOTESMIG_COLUMNS[column.casefold()]!r} "
            f"(every migrated item has {', '.join(sorted(SYSTEM_COLUMN_NAMES))})"
        )
    if is_system_field(column):
        return (
            f"列 {column!r} は SharePoint が管理する列です。別の名前にしてください / "
            f"column {column!r} is a field SharePoint keeps itself (such as ID, Created, "
            "Modified, Author, Editor, ContentType, _UIVersionString, FileLeafRef): choose "
            "another name"
        )
    return None


def _cross_check(
    mapping: Mapping, data: dict[str, Any], lines: dict[KeyPath, int]
) -> list[tuple[int | None, str, str]]:
    problems: list[tuple[int | None, str, str]] = []

    def problem(at: KeyPath, message: str) -> None:
        problems.append((_line(lines, at), _dotted(at), message))

    if mapping.users.unknown == "fallback" and not mapping.users.fallback:
        problem(
            ("users", "unknown"),
            "unknown: fallback には users.fallback（UPN）が必要 / "
            "unknown: fallback needs users.fallback (a UPN)",
        )
    if mapping.users.file is not None and not mapping.users.file.is_file():
        problem(
            ("users", "file"),
            f"ユーザー対応表 {mapping.users.file} がない / the user "
            f"mapping {mapping.users.file} does not exist",
        )
    elif mapping.users.file is not None:
        try:
            UserDirectory.from_csv(mapping.users.file)
        except UserMappingError as exc:
            problem(("users", "file"), str(exc))
    if mapping.users.groups is not None:
        if not mapping.users.groups.is_file():
            problem(
                ("users", "groups"),
                f"グループ対応表 {mapping.users.groups} がない / the "
                f"group mapping {mapping.users.groups} does not exist",
            )
        else:
            try:
                GroupDirectory.from_csv(mapping.users.groups)
            except UserMappingError as exc:
                problem(("users", "groups"), str(exc))
    # Several forms may feed one list (topics and responses of a board) and then share a
    # column, but only if they define it the same way; one form may use a column once.
    columns: dict[str, dict[str, tuple[KeyPath, dict[str, Any]]]] = {}
    libraries = {f.library for f in mapping.forms.values() if f.library}
    for form_name, form in data["forms"].items():
        if form_name.casefold() in mapping.exclude_forms:
            problem(
                ("forms", form_name),
                "このフォームは対応付けと除外の両方にある / this form is both mapped and excluded",
            )
        if form["list"] in libraries:
            problem(
                ("forms", form_name, "list"),
                "リストとドキュメント ライブラリに同じ名前は使えない"
                " / a list and a document library cannot share a name",
            )
        used = columns.setdefault(form["list"], {})
        for item_name, item in form["items"].items():
            at: KeyPath = ("forms", form_name, "items", item_name, "column")
            spec = {k: v for k, v in item.items() if k not in ("display_name", "required")}
            mapped = mapping.forms[form_name.casefold()].items[item_name.casefold()]
            for column in (item["column"], *mapped.companion_columns):
                refused = _reserved(column)
                if refused:
                    problem(at, refused)
                    continue
                previous = used.get(column.casefold())
                if previous is None:
                    used[column.casefold()] = (at, spec)
                elif previous[0][1] == form_name or previous[1] != spec:
                    where = _dotted(previous[0][:-1])
                    if previous[0][1] == form_name:
                        problem(
                            at,
                            f"列 {column!r} は {where} で使用済み / column {column!r} "
                            f"is already used by {where}",
                        )
                    else:
                        problem(at, f"リスト {form['list']!r} の列 {column!r} は {where} で別の"
                                    f"定義 / column {column!r} of list {form['list']!r} is "
                                    f"already defined differently by {where}")  # fmt: skip
    problems.extend(_internal_name_clashes(mapping, lines))
    return problems


def _internal_name_clashes(
    mapping: Mapping, lines: dict[KeyPath, int]
) -> list[tuple[int | None, str, str]]:
    """Columns of one list whose SharePoint internal names (encoded, cut to 32 characters)
    would be the same: SharePoint would give the second another name, and its values would
    go nowhere."""
    problems: list[tuple[int | None, str, str]] = []
    by_list: dict[str, dict[str, tuple[str, KeyPath]]] = {}
    for form in mapping.forms.values():
        seen = by_list.setdefault(form.list, {
            encode_internal_name(name): (name, ()) for name in SYSTEM_COLUMN_NAMES
        })  # fmt: skip
        for spec in form.items.values():
            at: KeyPath = ("forms", form.form, "items", spec.item, "column")
            for column in (spec.column, *spec.companion_columns):
                internal = encode_internal_name(column)
                earlier = seen.get(internal)
                if earlier is not None and earlier[0] != column:
                    problems.append((
                        _line(lines, at),
                        _dotted(at),
                        f"列 {earlier[0]!r} と {column!r} は SharePoint で同じ内部名 "
                        f"{internal!r} になる（32 文字で切られる）: どちらかを短く / "
                        f"columns {earlier[0]!r} and {column!r} would both be {internal!r} in "
                        "SharePoint (internal names are cut to 32 characters): shorten one",
                    ))  # fmt: skip
                seen.setdefault(internal, (column, at))
    return problems
