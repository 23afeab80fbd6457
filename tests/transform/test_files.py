"""Where each attachment goes in its library: a name SharePoint accepts, unique in its folder
whatever the case, kept by its file from run to run, and a whole path within 400 characters."""

from __future__ import annotations

import pytest

from notesmig.errors import NotesmigError
from notesmig.spfacts.limits import MAX_DECODED_PATH
from notesmig.spfacts.names import decoded_path, invalid_name_reason
from notesmig.transform.files import FolderNames, FolderPathError, folder_name

SITE = "sites/notes-migration"
LIBRARY = "メモ ファイル"
UNID = "A" * 32


def test_names_are_made_safe_and_unique_in_their_folder_whatever_the_case() -> None:
    names = FolderNames(SITE)
    placed = [names.place(LIBRARY, "Memo", n) for n in
              ("報告:4月.docx", "報告_4月.docx", "報告_4月.DOCX", "CON.txt", "README", "readme")]  # fmt: skip
    assert placed == ["報告_4月.docx", "報告_4月 (2).docx", "報告_4月 (3).DOCX", "_CON.txt",
                      "README", "readme (2)"]  # fmt: skip
    assert all(invalid_name_reason(name) is None for name in placed)
    # Folders compare without case too; another folder or library is another namespace.
    assert names.place(LIBRARY, "MEMO", "README") == "README (3)"
    assert names.place(LIBRARY, "Other", "README") == "README"
    assert names.place("別のライブラリ", "Memo", "README") == "README"


def test_a_name_once_given_is_given_again_to_its_file_and_to_no_other() -> None:
    earlier = {(UNID, "$FILE/report.txt#1"): (LIBRARY, "Memo", "report (2).txt")}
    names = FolderNames(SITE, earlier=earlier)
    # Another file arriving first cannot take the name the earlier run gave.
    assert names.place(LIBRARY, "Memo", "report (2).txt", ("B" * 32, "$FILE/report (2).txt#1")) == (
        "report (2) (2).txt"
    )
    assert names.place(LIBRARY, "memo", "report.txt", (UNID, "$FILE/report.txt#1")) == (
        "report (2).txt"
    )
    assert names.place(LIBRARY, "Memo", "report.txt", ("C" * 32, "$FILE/report.txt#1")) == (
        "report.txt"
    )
    # Moved to another folder (its mapping changed), the file is placed anew there.
    assert names.place(LIBRARY, "Archive", "report.txt", (UNID, "$FILE/report.txt#1")) == (
        "report.txt"
    )


def test_the_whole_path_stays_within_sharepoints_400_characters() -> None:
    site = "sites/" + "深" * 200
    folder = "F" * 150
    names = FolderNames(site)
    first = names.place(LIBRARY, folder, "報" * 200 + ".pdf")
    second = names.place(LIBRARY, folder, "報" * 200 + ".pdf")
    for name in (first, second):
        assert len(decoded_path(site, LIBRARY, folder, name)) <= MAX_DECODED_PATH
        assert name.endswith(".pdf")
    assert second.endswith(" (2).pdf") and second.casefold() != first.casefold()
    # Never more than 128 characters, however much room the path leaves.
    assert len(FolderNames(SITE).place(LIBRARY, "x", "y" * 300 + ".txt")) == 128


def test_a_folder_path_without_room_for_names_is_a_terminal_error() -> None:
    names = FolderNames("sites/" + "深" * 380)
    with pytest.raises(FolderPathError, match="leaves no room for file names") as raised:
        names.place("ファイル", "F" * 32, "a.txt")
    # Still a ValueError for callers that catch one.
    assert isinstance(raised.value, NotesmigError) and isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("text", "name"),
    [(UNID, UNID), ("出張申請", "出張申請"), ("Forms", "_Forms"), ("forms", "_forms"),
     ("a/b", "a_b"), ("x" * 100, "x" * 64)],
)  # fmt: skip
def test_folder_names_are_ones_sharepoint_accepts_at_a_library_root(text: str, name: str) -> None:
    assert folder_name(text) == name
    assert invalid_name_reason(name, at_library_root=True, is_folder=True) is None
