"""Where each stage of one database writes: one folder per database, named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from notesmig.errors import TerminalError
from notesmig.pipeline.layout import DatabaseLayout, LayoutError

REPLICA = "B82634FA404574D2"


def test_every_stage_has_its_folder_under_the_databases_own(tmp_path: Path) -> None:
    layout = DatabaseLayout(tmp_path, REPLICA)
    assert layout.root == tmp_path / REPLICA
    stages = {
        "extract": layout.extract,
        "transformed": layout.transformed,
        "validation": layout.validation,
        "reconcile": layout.reconcile,
        "report": layout.report,
    }
    assert stages == {name: tmp_path / REPLICA / name for name in stages}
    # Two databases never share a folder.
    assert DatabaseLayout(tmp_path, "1E9675FC9921B17D").root != layout.root


@pytest.mark.parametrize("key", ["shutcho", "file_key-2", "A" * 64])
def test_file_keys_are_accepted(tmp_path: Path, key: str) -> None:
    assert DatabaseLayout(tmp_path, key).root.name == key


@pytest.mark.parametrize("key", ["", "..", "../" + REPLICA, "a/b", "a\\b", "出張", "A" * 65, "a b"])
def test_a_key_that_could_leave_the_work_folder_or_name_no_folder_is_refused(
    tmp_path: Path, key: str
) -> None:
    with pytest.raises(LayoutError, match="is not a replica id") as caught:
        DatabaseLayout(tmp_path, key)
    assert isinstance(caught.value, TerminalError) and isinstance(caught.value, ValueError)
