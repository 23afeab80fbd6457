"""Rich text conversion details and the sanitizer's guarantees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from notesmig.dxl.richtext import RichTextConverter, sanitize_html

NS = "http://www.lotus.com/dxl"


def convert(body: str) -> tuple[str, RichTextConverter]:
    element = etree.fromstring(f"<richtext xmlns='{NS}'>{body}</richtext>")
    converter = RichTextConverter("Body", lambda _text: None)
    result = converter.convert(element)
    return result.html, converter


def test_fonts_alignment_and_breaks() -> None:
    html, _ = convert(
        "<pardef id='1' align='center'/><par def='1'><run><font style='bold italic underline "
        "strikethrough' color='#ff0000' size='14pt' name='MS Gothic'/>見出し</run><break/>次</par>"
        "<par>inherits center</par>"
    )
    assert html == (
        '<p style="text-align:center"><span style="color:#ff0000;font-size:14pt;'
        'font-family:&quot;MS Gothic&quot;"><strong><em><u><s>見出し</s></u></em></strong></span><br>次</p>'
        '<p style="text-align:center">inherits center</p>'
    )


def test_table_spans_and_widths() -> None:
    html, _ = convert(
        "<table><tablecolumn width='1in'/><tablecolumn width='2in'/><tablerow>"
        "<tablecell columnspan='2' bgcolor='#eeeeee'><par>合計</par></tablecell></tablerow>"
        "<tablerow><tablecell rowspan='2'><par>a</par></tablecell><tablecell><par>b</par>"
        "</tablecell></tablerow></table>"
    )
    assert '<col style="width:1in"><col style="width:2in">' in html
    assert '<td colspan="2" style="background-color:#eeeeee"><p>合計</p></td>' in html
    assert '<td rowspan="2"><p>a</p></td>' in html


def test_links_keep_notes_targets() -> None:
    html, _ = convert(
        "<par><doclink database='AAAA0000BBBB1111' view='V1' document='D1' description='規程'>"
        "<run>旅費規程</run></doclink> <viewlink database='AAAA0000BBBB1111' view='V2'/> "
        "<urllink href='https://example.jp/a?b=1&amp;c=2'><run>site</run></urllink></par>"
    )
    assert (
        '<a class="notes-link" href="notes:///AAAA0000BBBB1111/V1/D1" title="規程" '
        'data-notes-link="doclink" data-notes-database="AAAA0000BBBB1111" data-notes-view="V1" '
        'data-notes-document="D1" rel="noopener noreferrer">旅費規程</a>'
    ) in html
    assert 'href="notes:///AAAA0000BBBB1111/V2"' in html and ">[viewlink]</a>" in html
    assert '<a href="https://example.jp/a?b=1&amp;c=2" rel="noopener noreferrer">site</a>' in html


def test_unconverted_elements_leave_markers_and_counts() -> None:
    html, converter = convert(
        "<par><button>承認<code event='click'><formula>@Command([FileSave])</formula></code>"
        "</button><computedtext><code event='value'><formula>@Now</formula></code></computedtext>"
        "<embeddedview/></par>"
    )
    assert "[Notes button: 承認]" in html
    assert "[Notes computed text]" in html and "[Notes embedded view]" in html
    assert "@Command" not in html and "@Now" not in html
    assert converter._result.unconverted == {"button": 1, "computedtext": 1, "embeddedview": 1}


def test_hostile_links_and_markup_are_neutralised() -> None:
    html, _ = convert(
        "<par><urllink href='javascript:alert(1)'><run>x</run></urllink>"
        "<urllink href='JaVaScRiPt:alert(1)'><run>y</run></urllink>"
        "&lt;script&gt;alert(1)&lt;/script&gt;<run><font name='x;background:url(javascript:1)'/>z"
        "</run></par>"
    )
    assert "javascript" not in html.lower()
    assert "&lt;script&gt;" in html and "<script" not in html


@settings(max_examples=300)
@given(st.text())
def test_sanitizer_never_lets_script_through(text: str) -> None:
    attacks = [
        f"<script>{text}</script>",
        f"<img src=x onerror='{text}'>",
        f"<a href='javascript:{text}'>x</a>",
        f"<p style='background:url(javascript:{text})'>x</p>",
        f"<iframe src='{text}'></iframe>{text}",
        f"<svg onload=alert(1)>{text}</svg>",
    ]
    for attack in attacks:
        cleaned = sanitize_html(attack).lower()
        assert "<script" not in cleaned
        assert "<iframe" not in cleaned and "<svg" not in cleaned
        assert "onerror=" not in cleaned and "onload=" not in cleaned
        assert "javascript:" not in cleaned or "javascript:" in text.lower()
        assert 'href="javascript' not in cleaned


#: Every character XML 1.0 lets a DXL text hold, and the ones html5ever treats specially.
_XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)).filter(
        lambda c: c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
        or c >= "\U00010000"
    )
    | st.sampled_from(list("\r\n\u00a0&<>\"' \x85\x9f\ufdd0\u200b\ufeff")),
    max_size=40,
)  # fmt: skip
_ALIGNS = st.sampled_from(["", *(f' style="text-align:{a}"' for a in ("center", "right",
                                                                     "justify", "left"))])  # fmt: skip


@settings(max_examples=2_000, deadline=None)
@given(st.lists(st.tuples(_ALIGNS, _XML_TEXT), max_size=5))
def test_plain_paragraphs_skip_nh3_with_exactly_its_answer(
    paragraphs: list[tuple[str, str]],
) -> None:
    from notesmig.dxl.richtext import nh3_clean

    def escaped(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    markup = "".join(f"<p{a}>{escaped(t) if t else '<br>'}</p>" for a, t in paragraphs)
    assert sanitize_html(markup) == nh3_clean(markup)


def test_anything_but_plain_paragraphs_goes_through_nh3() -> None:
    # A paragraph with more than text, or text whose '&' is not one of the converter's own
    # escapes, is not plain: nh3 sees it.
    assert sanitize_html("<p>a<script>x</script></p>") == "<p>a</p>"
    assert sanitize_html("<p>&#60;script&#62;</p>") == "<p>&lt;script&gt;</p>"
    assert sanitize_html('<p style="color:red" onclick="x()">a</p>') == '<p style="color:red">a</p>'


#: Elements around the two things the attribute filter changes (remote pictures, scheme-less
#: links), spelt every way HTML parsing reads them: tag and attribute case, separators, quotes,
#: blanks and character references before the value.
_VALUE = st.builds(
    lambda lead, rest: "".join(lead) + rest,
    st.lists(st.sampled_from(["", " ", "\t", "\n", "\u3000", "\u00a0", "&#32;", "&#x20;", "&Tab;",
                              "&nbsp;", "&#47;", "&sol;", "&#x2F;", "/", "\\", "\x01", "\x1f",
                              "&#1;", "/\t", "&#92;"]), max_size=3),
    st.sampled_from(["//host/x", "/x", "x", "https://host/x", "http://host", "javascript:alert(1)",
                     "data:image/png;base64,AA", "notes:///1/2", "mailto:a@b", "?q", "#f"]),
)  # fmt: skip
_ATTRIBUTE = st.builds(
    lambda name, eq, quote, value: f"{name}{eq}{quote}{value}{quote}",
    st.sampled_from(["href", "HREF", "hRef", "src", "SRC", "title", "alt", "style"]),
    st.sampled_from(["=", " = ", "\n=", "= "]),
    st.sampled_from(['"', "'", ""]),
    _VALUE,
)
_ELEMENT = st.builds(
    lambda tag, separator, attributes: f"<{tag}{separator}{separator.join(attributes)}>x</{tag}>",
    st.sampled_from(["a", "A", "img", "IMG", "image", "IMAGE", "p", "span", "td"]),
    st.sampled_from([" ", "\n", "/", "\t"]),
    st.lists(_ATTRIBUTE, min_size=1, max_size=3),
)


@settings(max_examples=3_000, deadline=None)
@given(st.lists(_ELEMENT, min_size=1, max_size=3).map("".join))
def test_markup_cleaned_without_the_attribute_filter_gets_what_the_filter_gives(
    markup: str,
) -> None:
    from notesmig.dxl.richtext import _FILTER_NEEDED, _cleaner

    if _FILTER_NEEDED.search(markup) is None:
        assert _cleaner(filtered=False).clean(markup) == _cleaner(filtered=True).clean(markup)


def test_the_attribute_filter_still_runs_where_it_changes_something() -> None:
    assert sanitize_html('<p><a href=" //evil.example/x">x</a></p>') == (
        '<p><a href="https://evil.example/x" rel="noopener noreferrer">x</a></p>'
    )
    assert sanitize_html('<p><a href="&#47;/evil.example/">x</a></p>') == (
        '<p><a href="https://evil.example/" rel="noopener noreferrer">x</a></p>'
    )
    picture = sanitize_html('<p><image src="https://evil.example/t.gif"></p>')
    assert 'src="' not in picture and "remote image not shown: evil.example" in picture


@pytest.mark.parametrize(
    "source",
    ["\\\\evil.example/t.gif", "/\\evil.example/t.gif", "/&#9;/evil.example/t.gif",
     "&#1;//evil.example/t.gif", " \n//evil.example/t.gif", "ht&#10;tps://evil.example/t.gif"],
)  # fmt: skip
def test_a_remote_picture_is_refused_however_a_browser_would_read_its_address(
    source: str,
) -> None:
    # A browser's URL parser drops tabs and line breaks anywhere and leading control
    # characters, and reads a backslash as a slash: each of these is a picture from another host.
    cleaned = sanitize_html(f'<p><img src="{source}" alt="t"></p>')
    picture, marker = cleaned.split("<span", 1)
    assert "evil" not in picture and 'alt="t"' in picture
    assert "remote image not shown: evil.example" in marker


def test_a_scheme_less_link_is_made_https_however_a_browser_would_read_it() -> None:
    for written in ("\\\\evil.example/x", "/&#9;/evil.example/x", "&#1;//evil.example/x"):
        cleaned = sanitize_html(f'<p><a href="{written}">x</a></p>')
        assert 'href="https://evil.example/x"' in cleaned, written
