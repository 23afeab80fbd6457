"""Property-based checks that hostile input never escapes: whatever a Notes document, a mapping
or a date holds, the result is safe HTML, a value in range or a located error, never a crash."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notesmig.dxl.datetimes import NotesDateTimeError, parse_notes_datetime
from notesmig.dxl.model import Item, ItemType, NotesDocument
from notesmig.dxl.richtext import sanitize_html
from notesmig.mapping.loader import MappingError, load_mapping
from notesmig.mapping.model import ColumnType, FormMapping, ItemMapping, Mapping, UserPolicy
from notesmig.mapping.users import UserDirectory
from notesmig.spfacts.limits import EARLIEST_DATETIME, LATEST_DATETIME
from notesmig.transform.documents import Transformer
from notesmig.transform.values import ConversionError, convert, utc_text

EXECUTABLE_TAGS = {"script", "iframe", "object", "embed", "style", "link", "meta", "base", "form",
                   "frame", "frameset", "svg", "math", "template"}  # fmt: skip
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
PROPERTIES = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
hostile_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80
) | st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
    "javascript:alert(1)", "</a><a href=javascript:x>", "<style>*{}</style>", "&lt;b&gt;",
    "<iframe src=//evil>", "' onmouseover='x", "<a href=\"data:text/html,<script>\">x</a>",
])  # fmt: skip


def assert_not_executable(markup: str) -> None:
    """The HTML parses, and nothing in it can run or fetch on its own."""
    for fragment in lxml.html.fragments_fromstring(f"<div>{markup}</div>"):
        if not isinstance(fragment, lxml.html.HtmlElement):
            continue
        for element in fragment.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.tag.lower() not in EXECUTABLE_TAGS, markup
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), markup
                if name.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                    cleaned = "".join(value.split()).lower()
                    assert not cleaned.startswith(UNSAFE_SCHEMES), markup
                if name.lower() == "src":  # no picture from another host
                    assert re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|\\\\)", cleaned) is None, markup


@PROPERTIES
@given(hostile_text)
def test_the_sanitizer_leaves_nothing_executable(markup: str) -> None:
    assert_not_executable(sanitize_html(markup))
    assert_not_executable(
        sanitize_html(f'<p><img src="{markup}"><a href="{markup}">{markup}</a></p>')
    )


def _mapping(items: dict[str, ItemMapping]) -> Mapping:
    form = FormMapping("Memo", "Memos", "Memo Files", "document", frozenset(),
                       {k.casefold(): v for k, v in items.items()})  # fmt: skip
    return Mapping(Path("m.yaml"), "0123456789ABCDEF", "t", "contoso.sharepoint.com:/sites/x",
                   UserPolicy(), "hold", frozenset(), {"memo": form})  # fmt: skip


@PROPERTIES
@given(item=hostile_text.filter(lambda t: t.strip() != ""), text=hostile_text)
def test_every_html_builder_escapes_what_comes_from_data(item: str, text: str) -> None:
    # The overflow placeholder (rich text over 63,999 characters) names the item and its file.
    spec = ItemMapping(item, "Body", ColumnType.RICHTEXT, item)
    mapping = _mapping({item: spec})
    document = NotesDocument(unid="A" * 32, noteid="1", form="Memo", parent_unid=None,
                             source=Path("x.dxl"), line=1, database_replica="0123456789ABCDEF",
                             items=[Item(item, ItemType.RICHTEXT, [])],
                             html={item: "<p>" + "x" * 64_000 + "</p>"})  # fmt: skip
    result = Transformer({mapping.replica_id: mapping}, {mapping.replica_id: UserDirectory()}
                         ).transform([document])  # fmt: skip
    # The placeholder is built (an empty result would check nothing), and it is safe.
    assert len(result.rows) == 1
    body = str(result.rows[0].fields["Body"])
    assert 'class="notes-overflow"' in body and "data-notes-overflow=" in body
    assert_not_executable(body)
    # Plain text turned into paragraphs for a rich text column.
    plain = ItemMapping("Note", "Note", ColumnType.RICHTEXT, "Note")
    made = convert(plain, Item("Note", ItemType.TEXT, [text]), None, UserDirectory(), UserPolicy())
    assert_not_executable(str(made.fields["Note"] or ""))


notes_datetimes = st.builds(
    lambda y, mo, d, h, mi, s, f, zone: f"{y:04d}{mo:02d}{d:02d}T{h:02d}{mi:02d}{s:02d},{f:02d}{zone}",
    st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61), st.integers(0, 99),
    st.sampled_from(["", "Z", "+09", "-05", "+14", "-14", "+15", "-23", "+0530", "+09:00", "+99"]),
)  # fmt: skip


@PROPERTIES
@given(st.one_of(notes_datetimes, st.text(max_size=30)))
def test_any_notes_date_time_is_a_value_in_range_or_a_located_error(text: str) -> None:
    try:
        value = parse_notes_datetime(text)
    except NotesDateTimeError:
        return
    if not isinstance(value, datetime | date):
        return  # a time alone: not a date-time column's value
    if isinstance(value, datetime):
        offset = value.utcoffset()
        assert offset is not None and abs(offset.total_seconds()) <= 14 * 3600
    try:
        stored = utc_text(value, "Due")
    except ConversionError as exc:
        assert exc.item == "Due"  # noqa: PT017 (either outcome is a valid answer)
        return
    moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    assert EARLIEST_DATETIME <= moment <= LATEST_DATETIME
    assert len(stored) == 20 and stored[4] == "-"  # four-digit years, always


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), hostile_text,
                         st.sampled_from(["*a", "&a x", "!!python/object:os.system", "\x00"]))  # fmt: skip
yaml_trees = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["version", "database", "target", "forms", "users", "list",
                                       "items", "column", "type", "replica_id", "site", "file"])
                      | hostile_text, children, max_size=4),
    max_leaves=15,
)  # fmt: skip


def _as_yaml(tree: object, depth: int = 0) -> str:
    import json

    return json.dumps(tree, ensure_ascii=False)  # JSON is YAML, with any string in it


@PROPERTIES
@given(st.one_of(yaml_trees.map(_as_yaml), hostile_text,
                 st.sampled_from(["a: &x [*x]", "a: &a [*a, *a]\nb: &b [*a, *a, *a]\nc: [*b, *b]",
                                  "[" * 5_000 + "]" * 5_000, "version: 1\n\x00", "{a: !!binary x}"])),
       st.sampled_from(["utf-8", "utf-16", "shift_jis", "utf-8-sig"]))  # fmt: skip
def test_any_yaml_is_a_mapping_or_a_located_error(tmp_path_factory: pytest.TempPathFactory,
                                                  text: str, encoding: str) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("m") / "m.yaml"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8"))
    try:
        load_mapping(path)
    except MappingError as exc:
        assert str(path) in str(exc) and exc.problems  # noqa: PT017 (either outcome is valid)
        for line, _key, message in exc.problems:
            assert line is None or line >= 1
            assert message


def test_hostile_mappings_exit_2_with_the_place(tmp_path: Path) -> None:
    import subprocess
    import sys

    notesmig = str(Path(sys.executable).with_name("notesmig"))
    cases = {
        "alias.yaml": (b"a: &x [*x]\n", "m:1"),
        "bomb.yaml": (b"a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n", ":1 "),
        "sjis.yaml": ("version: 1\ndatabase: {title: 出張申請}\n".encode("shift_jis"), "Shift_JIS"),
        "utf16.yaml": ("version: 1\n".encode("utf-16"), "UTF-16"),
        "nul.yaml": (b'version: 1\nforms: {A: {list: "x\x00y"}}\n', "U+0000"),
        "utf16le.yaml": (
            "version: 1\n".encode("utf-16-le"),
            "utf16le.yaml:1 (top): UTF-16 のようです",
        ),
        "deep.yaml": (
            b"version: 1\nforms: " + b"[" * 5_000 + b"]" * 5_000,
            "deep.yaml:2 (top): 入れ子",
        ),
        # --mapping given a .env: its values never reach the terminal (or a CI log).
        "a.env": (b"DB_PASSWORD=Hunter2-secret\n", "a.env:1 (top): マッピングではありません"),
        "syntax.env": (b"API_KEY: [Hunter2-secret\n", "syntax.env:2 (top): YAML"),
    }
    for name, (data, says) in cases.items():
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        (folder / name).write_bytes(data)
        done = subprocess.run([notesmig, "transform", str(tmp_path), "--mapping", str(folder / name),
                               "--out", str(tmp_path / "out")], capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 2, (name, done.stderr)
        assert f"{name}:" in done.stderr and says.replace("m:1", f"{name}:1") in done.stderr, (
            done.stderr
        )
        assert "Traceback" not in done.stderr and "Hunter2" not in done.stderr + done.stdout


def test_a_users_file_that_is_not_a_user_mapping_is_never_echoed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("DB_PASSWORD=Hunter2-never-shown\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text('version: 1\ndatabase: {replica_id: "0123456789ABCDEF"}\n'
                       'target: {site: "contoso.sharepoint.com:/sites/x"}\n'
                       "users: {file: secret.txt}\nforms: {A: {list: L, items: {}}}\n",
                       encoding="utf-8")  # fmt: skip
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping)
    assert "Hunter2" not in str(caught.value) and "must name notes_name and upn" in str(
        caught.value
    )
