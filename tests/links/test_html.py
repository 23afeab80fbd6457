"""Notes links and inline pictures found in rich text and rewritten: idempotently, escaped, with
hostile attribute values leading nowhere but the redirector."""

from __future__ import annotations

from notesmig.dxl.richtext import sanitize_html
from notesmig.links.html import NotesTarget, notes_targets, picture_hashes, rewrite

DB = "58D6B8A63270688E"
VIEW = "56FAC242B2B14588EB6FDF0143373BE2"
DOC = "018F96E39A39B44CAAFB4EEE38D9C8D8"
SHA = "1f8c86f091e576aec11cd2c6c795d91cda4ce66a1eb01c3283aeb3e0d099ca93"
# As the extractor writes them, after nh3.
RICH = sanitize_html(
    f'<p>計画書: <a class="notes-link" href="notes:///{DB}/{VIEW}/{DOC}" title="計画書" '
    f'data-notes-link="doclink" data-notes-database="{DB}" data-notes-view="{VIEW}" '
    f'data-notes-document="{DOC}">計画書</a> と <a class="notes-link" data-notes-link="databaselink"'
    f' data-notes-database="{DB.lower()}">文書ライブラリ</a>'
    f'<img src="blobs/1f/{SHA}" alt="現場写真" data-notes-sha256="{SHA}"></p>'
)


def test_links_and_pictures_are_found_as_notes_wrote_them() -> None:
    assert notes_targets(RICH) == [
        NotesTarget("doclink", DB, VIEW, DOC),
        NotesTarget("databaselink", DB, None, None),  # ids are read in upper case
    ]
    assert picture_hashes(RICH) == [SHA]


def test_rewriting_sets_each_href_and_src_and_can_be_repeated() -> None:
    def link_url(target: NotesTarget) -> str:
        if target.document:
            return f"https://contoso.sharepoint.com/sites/m/Lists/L/DispForm.aspx?ID=5&x={target.document}"
        return "https://contoso.sharepoint.com/sites/m/Lists/L"

    once = rewrite(RICH, link_url, lambda sha: f"https://contoso.sharepoint.com/p/{sha[:6]}.png")
    assert "notes:///" not in once and 'src="blobs/' not in once
    assert (
        f'href="https://contoso.sharepoint.com/sites/m/Lists/L/DispForm.aspx?ID=5&amp;x={DOC}"'
        in once
    )
    assert 'href="https://contoso.sharepoint.com/sites/m/Lists/L"' in once  # added where none was
    assert 'src="https://contoso.sharepoint.com/p/1f8c86.png"' in once
    assert 'alt="現場写真"' in once and ">計画書</a>" in once  # the rest untouched
    # What a link is stays in its data attributes: rewriting the rewritten text gives the same.
    assert (
        rewrite(once, link_url, lambda sha: f"https://contoso.sharepoint.com/p/{sha[:6]}.png")
        == once
    )
    assert notes_targets(once) == notes_targets(RICH)


def test_a_picture_without_a_place_keeps_its_source() -> None:
    assert 'src="blobs/1f/' in rewrite(RICH, lambda _t: "https://x.example/", lambda _sha: None)


def test_hostile_attribute_values_are_no_target_and_cannot_break_out() -> None:
    hostile = sanitize_html(
        '<a data-notes-link="doclink" data-notes-database="&quot;&gt;&lt;script&gt;" '
        'data-notes-document="../../etc" href="javascript:alert(1)">x</a>'
    )
    [target] = notes_targets(hostile)
    assert (target.database, target.document) == (None, None)  # not ids: nothing to look up
    out = rewrite(hostile, lambda _t: 'https://r.example/"><script>', lambda _sha: None)
    assert "<script>" not in out and "javascript:" not in out
    assert 'href="https://r.example/&quot;&gt;&lt;script&gt;"' in out


def test_a_greater_than_sign_in_a_value_neither_ends_the_tag_nor_breaks_its_quotes() -> None:
    tricky = sanitize_html(
        f'<a class="notes-link" title="a > b href= c" data-notes-link="doclink" '
        f'data-notes-database="{DB}" data-notes-document="{DOC}">x</a>'
    )
    out = rewrite(tricky, lambda _t: "https://x.example/item", lambda _sha: None)
    assert notes_targets(out) == [NotesTarget("doclink", DB, None, DOC)]
    assert out.count('href="https://x.example/item"') == 1
    assert 'title="a &gt; b href= c"' in out or 'title="a > b href= c"' in out
