"""The redirector's addresses: its base URL checked, and the address of each database and
document under it."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from notesmig.errors import TerminalError
from notesmig.links.urls import (
    DEFAULT_REDIRECTOR,
    RedirectorUrlError,
    redirector_base,
    redirector_url,
)

BASE = "https://links.city.example/notes-links"
REPLICA = "58D6B8A63270688E"
UNID = "0123456789ABCDEF0123456789ABCDEF"


@pytest.mark.parametrize("bad", ["ftp://x/notes-links", "links.example", "https://x/?a=1", ""])
def test_a_redirector_url_links_cannot_be_made_from_is_refused(bad: str) -> None:
    with pytest.raises(RedirectorUrlError, match="redirector"):
        redirector_base(bad)


def test_the_redirector_base_loses_its_trailing_slash() -> None:
    assert redirector_base(" https://x.example/notes-links/ ") == "https://x.example/notes-links"


def test_the_default_redirector_is_a_valid_base_and_the_error_is_terminal() -> None:
    assert redirector_base(DEFAULT_REDIRECTOR) == DEFAULT_REDIRECTOR
    assert issubclass(RedirectorUrlError, TerminalError)
    assert issubclass(RedirectorUrlError, ValueError)  # settings validation catches ValueError


def test_the_address_of_the_redirector_a_database_and_a_document() -> None:
    assert redirector_url(BASE, None) == f"{BASE}/"
    assert redirector_url(BASE, None, UNID) == f"{BASE}/"  # no database: the index
    assert redirector_url(BASE, REPLICA) == f"{BASE}/{REPLICA}"
    assert redirector_url(BASE, REPLICA, UNID) == f"{BASE}/{REPLICA}/{UNID}"


def test_names_that_are_not_url_safe_are_percent_encoded() -> None:
    url = redirector_url(BASE, "出張 申請", "a#b?c")
    parts = urlsplit(url)
    assert (parts.query, parts.fragment) == ("", "")  # nothing leaks into query or fragment
    assert " " not in url and "出張" not in url
    assert unquote(parts.path) == "/notes-links/出張 申請/a#b?c"
