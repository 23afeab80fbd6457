"""The redirector's addresses: its base URL (checked) and the address of each Notes database
and document under it. Light to import: the settings and the CLI read it."""

from __future__ import annotations

from urllib.parse import quote

from notesmig.errors import TerminalError

#: Where ``notesmig serve-links`` answers by default (the CLI's and the demo's redirector).
DEFAULT_REDIRECTOR = "http://127.0.0.1:8790/notes-links"


class RedirectorUrlError(TerminalError, ValueError):
    """A redirector base URL that links cannot be made from."""


def redirector_base(url: str) -> str:
    """The redirector's base URL, checked: http(s), no query or fragment, no trailing slash."""
    base = url.strip().rstrip("/")
    if not base.startswith(("https://", "http://")) or "?" in base or "#" in base:
        raise RedirectorUrlError(
            f"リダイレクターの URL が不正です / the redirector URL {url!r} must be an http(s) "
            "URL without query or fragment"
        )
    return base


def redirector_url(base: str, database: str | None, document: str | None = None) -> str:
    """The redirector's address for a database, or a document of it."""
    if database is None:
        return f"{base}/"
    if document is None:
        return f"{base}/{quote(database)}"
    return f"{base}/{quote(database)}/{quote(document)}"
