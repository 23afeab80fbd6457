"""The Notes databases in a drop folder: its DXL exports grouped by the replica id they declare.

Only the beginning of each file is read. Several exports of one database (same replica id) are
one database; an export that declares no replica id is keyed by its path (it cannot be mapped,
and the transform says so), so nothing in the drop folder is silently skipped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from notesmig.dxl.scan import discover, peek_database
from notesmig.records import SourceDatabase


def file_key(path: Path) -> str:
    """The key of an export that declares no replica id: derived from its resolved path."""
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:12].upper()
    return f"FILE{digest}"


def discover_databases(paths: list[Path]) -> list[SourceDatabase]:
    """The databases in the files and folders given, in replica id order."""
    found: dict[str, list[Path]] = defaultdict(list)
    titles: dict[str, str | None] = {}
    replicas: dict[str, str | None] = {}
    for path in discover(paths):
        replica, title = peek_database(path)
        key = replica if replica else file_key(path)
        found[key].append(path)
        titles.setdefault(key, title)
        replicas[key] = replica
    return [
        SourceDatabase(
            key=key,
            replica_id=replicas[key],
            title=titles[key],
            files=[str(p) for p in sorted(files)],
        )
        for key, files in sorted(found.items())
    ]
