"""Notes links and inline pictures in migrated rich text, found and pointed somewhere a browser
opens.

The extractor writes every doclink, viewlink and database link as ``<a class="notes-link"
href="notes:///..." data-notes-link=KIND data-notes-database=... data-notes-view=...
data-notes-document=...>`` and every inline picture as ``<img src="blobs/..."
data-notes-sha256=...>``, and nh3 then writes each attribute double-quoted and escaped. So the
``data-notes-*`` attributes say what a link or picture is whatever its ``href`` or ``src`` says
now: rewriting is idempotent, and a link rewritten once (to the redirector) can be rewritten
again (to its target) when the target arrives.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

# A start tag as nh3 writes it: attribute values double-quoted, with '"' escaped but '>' not,
# so a '>' inside a value does not end the tag.
_TAG_REST = r'(?:[^>"]|"[^"]*")*'
_ANCHOR = re.compile(rf"<a(?=\s){_TAG_REST}\sdata-notes-link=\"[^\"]*\"{_TAG_REST}>")
_PICTURE = re.compile(rf"<img(?=\s){_TAG_REST}\sdata-notes-sha256=\"[^\"]*\"{_TAG_REST}>")
_ATTRIBUTE = re.compile(r"\s([a-z][a-z0-9-]*)=\"([^\"]*)\"")
_HEX16 = re.compile(r"[0-9A-Fa-f]{16}")
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class NotesTarget:
    """What a Notes link points at: a document, a view or a database (ids as Notes wrote them;
    a part that is not a well-formed id is None)."""

    kind: str
    database: str | None
    view: str | None
    document: str | None

    @classmethod
    def of(
        cls, kind: str, database: str | None, view: str | None, document: str | None
    ) -> NotesTarget:
        return cls(
            kind,
            database.upper() if database and _HEX16.fullmatch(database) else None,
            view.upper() if view and _HEX32.fullmatch(view) else None,
            document.upper() if document and _HEX32.fullmatch(document) else None,
        )


def _attributes(tag: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def _target_of(tag: str) -> NotesTarget:
    found = _attributes(tag)
    return NotesTarget.of(
        found.get("data-notes-link", ""),
        found.get("data-notes-database"),
        found.get("data-notes-view"),
        found.get("data-notes-document"),
    )


def has_links_or_pictures(text: str) -> bool:
    """Whether a value may hold a Notes link or an inline picture (a cheap test first)."""
    return "data-notes-link=" in text or "data-notes-sha256=" in text


def notes_targets(text: str) -> list[NotesTarget]:
    """The Notes links in a piece of rich text, in order."""
    return [_target_of(match.group(0)) for match in _ANCHOR.finditer(text)]


def picture_hashes(text: str) -> list[str]:
    """The SHA-256 of each inline picture in a piece of rich text, in order."""
    hashes = []
    for match in _PICTURE.finditer(text):
        sha = _attributes(match.group(0)).get("data-notes-sha256", "")
        if _SHA256.fullmatch(sha):
            hashes.append(sha)
    return hashes


def _with_attribute(tag: str, name: str, value: str) -> str:
    """``tag`` with attribute ``name`` set to ``value`` (escaped), replaced or added. Only whole
    attributes are looked at (``href=`` inside another attribute's value is that value)."""
    quoted = f'{name}="{html.escape(value, quote=True)}"'
    head = re.match(r"<[a-z]+", tag)
    assert head is not None
    parts = [head.group(0)]
    replaced = False
    for attribute, raw in _ATTRIBUTE.findall(tag[head.end() :]):
        if attribute == name and not replaced:
            parts.append(quoted)
            replaced = True
        else:
            parts.append(f'{attribute}="{raw}"')
    if not replaced:
        parts.append(quoted)
    return " ".join(parts) + ">"


def rewrite(
    text: str,
    link_url: Callable[[NotesTarget], str],
    picture_url: Callable[[str], str | None],
) -> str:
    """``text`` with each Notes link's ``href`` set to ``link_url(target)`` and each inline
    picture's ``src`` to ``picture_url(sha256)`` (a picture without one keeps its source)."""

    def anchor(match: re.Match[str]) -> str:
        return _with_attribute(match.group(0), "href", link_url(_target_of(match.group(0))))

    def picture(match: re.Match[str]) -> str:
        sha = _attributes(match.group(0)).get("data-notes-sha256", "")
        url = picture_url(sha) if _SHA256.fullmatch(sha) else None
        return match.group(0) if url is None else _with_attribute(match.group(0), "src", url)

    return _PICTURE.sub(picture, _ANCHOR.sub(anchor, text))
