"""Where each attachment goes in its library: a SharePoint-safe name, unique in its folder.

Names are made safe by :func:`notesmig.spfacts.names.safe_file_name`; a name already used
in the same folder (SharePoint compares case-insensitively) gets `` (2)``, `` (3)``... A name
once given stays with its file: placements recorded in the ledger are handed out again first,
and reserved, so a re-export in another order (or a folder per form shared by many documents)
never gives one document's file name to another's. The whole decoded path (site, library,
folder, name) is kept within SharePoint's 400 characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notesmig.errors import TerminalError
from notesmig.spfacts.limits import MAX_DECODED_PATH
from notesmig.spfacts.names import decoded_path, safe_file_name, shorten


class FolderPathError(TerminalError, ValueError):
    """A library folder whose path (site, library, folder) leaves no room for file names."""


#: A file's identity, whatever its name: (document UNID, file key).
FileIdentity = tuple[str, str]
#: Where a file was placed before: (library, folder, name).
Placement = tuple[str, str, str]


@dataclass
class FolderNames:
    """Names handed out per (library, folder), to resolve collisions deterministically."""

    site_path: str
    used: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: Placements from earlier runs (the ledger): given again to the same file.
    earlier: dict[FileIdentity, Placement] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for library, folder, name in self.earlier.values():
            self.used.setdefault((library, folder.casefold()), set()).add(name.casefold())

    def place(
        self, library: str, folder: str, original: str, identity: FileIdentity | None = None
    ) -> str:
        before = self.earlier.get(identity) if identity is not None else None
        if before is not None and (before[0], before[1].casefold()) == (library, folder.casefold()):
            return before[2]
        taken = self.used.setdefault((library, folder.casefold()), set())
        prefix = decoded_path(self.site_path, library, folder, "")
        budget = MAX_DECODED_PATH - len(prefix) - 1
        if budget < 12:
            raise FolderPathError(f"the folder path {prefix!r} leaves no room for file names")
        name = safe_file_name(original, max_length=min(128, budget))
        candidate, counter = name, 1
        while candidate.casefold() in taken:
            counter += 1
            stem, dot, suffix = name.rpartition(".")
            tag = f" ({counter})"
            if dot and stem:
                candidate = shorten(f"{stem}{tag}.{suffix}", budget)
                if not candidate.endswith(f"{tag}.{suffix}"):
                    candidate = f"{stem[: budget - len(tag) - len(suffix) - 1]}{tag}.{suffix}"
            else:
                candidate = f"{name[: budget - len(tag)]}{tag}"
        taken.add(candidate.casefold())
        return candidate


def folder_name(text: str) -> str:
    """A folder name SharePoint accepts (never 'forms', which is reserved at a library root)."""
    name = safe_file_name(text, max_length=64)
    return f"_{name}" if name.casefold() == "forms" else name
