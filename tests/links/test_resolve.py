"""Where each kind of Notes link goes, by where its target stands in the ledger."""

from __future__ import annotations

import pytest

from notesmig.ledger.links import TargetFacts
from notesmig.links.html import NotesTarget
from notesmig.links.resolve import LinkDirectory, LinkStatus

A = "58D6B8A63270688E"
B = "1E9675FC9921B17D"
LOADED, WAITING, HELD = "A" * 32, "B" * 32, "C" * 32
BASE = "https://links.city.example/notes-links"
ITEM = "https://contoso.sharepoint.com/sites/m/Lists/L/DispForm.aspx?ID=7"
DIRECTORY = LinkDirectory(
    BASE,
    {
        (A, LOADED): TargetFacts("verified", ITEM),
        (A, WAITING): TargetFacts("transformed", None),
        (A, HELD): TargetFacts("quarantined", None, "restricted"),
    },
    {A: "https://contoso.sharepoint.com/sites/m/Lists/L", B: None},
)


@pytest.mark.parametrize(
    ("target", "url", "status"),
    [
        (NotesTarget("doclink", A, None, LOADED), ITEM, LinkStatus.DIRECT),
        (NotesTarget("doclink", A, None, WAITING), f"{BASE}/{A}/{WAITING}", LinkStatus.PENDING),
        (NotesTarget("doclink", A, None, HELD), f"{BASE}/{A}/{HELD}", LinkStatus.PENDING),
        (NotesTarget("doclink", A, None, "D" * 32), f"{BASE}/{A}/{'D' * 32}", LinkStatus.BROKEN),
        (
            NotesTarget("doclink", "F" * 16, None, LOADED),
            f"{BASE}/{'F' * 16}/{LOADED}",
            LinkStatus.BROKEN,
        ),
        (NotesTarget("doclink", A, None, None), f"{BASE}/{A}", LinkStatus.BROKEN),
        (NotesTarget("doclink", None, None, None), f"{BASE}/", LinkStatus.BROKEN),
        (
            NotesTarget("viewlink", A, "E" * 32, None),
            "https://contoso.sharepoint.com/sites/m/Lists/L",
            LinkStatus.DIRECT,
        ),
        (NotesTarget("databaselink", B, None, None), f"{BASE}/{B}", LinkStatus.PENDING),
        (
            NotesTarget("databaselink", "F" * 16, None, None),
            f"{BASE}/{'F' * 16}",
            LinkStatus.BROKEN,
        ),
    ],
)
def test_each_target_goes_where_it_stands(
    target: NotesTarget, url: str, status: LinkStatus
) -> None:
    found = DIRECTORY.resolve(target)
    assert (found.url, found.status) == (url, status)
