"""SharePoint Online's rules for names: column internal names, file and folder names, paths.

One definition serves both sides: the emulator refuses what SharePoint refuses, and the
transform produces names that SharePoint accepts.
"""

from __future__ import annotations

import re
import unicodedata

from notesmig.spfacts.limits import MAX_INTERNAL_NAME

INVALID_CHARACTERS = frozenset('"*:<>?/\\|')
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


#: A file or folder name SharePoint refuses (not counting the library-root "forms" rule), as one
#: regular expression: what a validation suite can check without calling into notesmig.
REFUSED_NAME_PATTERN = (
    r'(?i)^$|^ | $|\.$|["*:<>?/\\|\x00-\x1f]'
    r"|^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\..*)?$|^\.lock$|^desktop\.ini$|_vti_|^~\$"
)


def decoded_path(site_path: str, library: str, folder: str, name: str) -> str:
    """A file's decoded path as SharePoint counts it against its 400 characters."""
    return "/".join(p for p in (site_path.strip("/"), library, folder, name) if p)


def encode_internal_name(name: str) -> str:
    """SharePoint's internal (API) name for a column: ``Notes UNID`` -> ``Notes_x0020_UNID``,
    ``出張先`` -> ``_x51fa__x5f35__x5148_``, cut to 32 characters."""
    out: list[str] = []
    for position, char in enumerate(name):
        keep = char == "_" or (char.isascii() and char.isalpha())
        keep = keep or (char.isascii() and char.isdigit() and position > 0)
        if keep:
            out.append(char)
            continue
        data = char.encode("utf-16-le")
        for index in range(0, len(data), 2):
            out.append(f"_x{int.from_bytes(data[index : index + 2], 'little'):04x}_")
    return "".join(out)[:MAX_INTERNAL_NAME]


def invalid_name_reason(
    name: str, *, at_library_root: bool = False, is_folder: bool = False
) -> str | None:
    """Why SharePoint refuses a file or folder name, or None when it accepts it."""
    if not name:
        return "The name cannot be empty."
    if name != name.strip(" "):
        return f"The provided name cannot contain leading, or trailing, spaces: {name!r}"
    if name.endswith("."):
        return f"The provided name cannot end with a period: {name!r}"
    bad = sorted(set(name) & INVALID_CHARACTERS)
    if bad or any(ord(c) < 32 for c in name):
        shown = "".join(bad) or "control characters"
        return f"The provided name contains invalid characters ({shown}): {name!r}"
    lowered = name.lower()
    if (
        _RESERVED.match(name)
        or lowered in (".lock", "desktop.ini")
        or "_vti_" in lowered
        or name.startswith("~$")
    ):
        return f"The provided name is reserved and cannot be used: {name!r}"
    if is_folder and at_library_root and lowered == "forms":
        return "A folder named 'forms' cannot be created at the root of a library."
    return None


def safe_file_name(name: str, *, max_length: int = 128) -> str:
    """A name SharePoint accepts, as close to ``name`` as possible (never empty).

    Invalid characters become ``_``, control characters are dropped, leading and trailing
    blanks and dots go, reserved names get a ``_`` prefix, ``_vti_`` is broken up, and the stem
    is shortened (keeping the extension) to ``max_length`` characters.
    """
    text = unicodedata.normalize("NFC", name)
    # Control characters go, and so do bidirectional overrides and invisible characters: they
    # exist in a file name only to disguise it ("invoice\u202efdp.exe" shows as an .pdf).
    text = "".join(c for c in text if ord(c) >= 32 and c not in _INVISIBLE)
    text = "".join("_" if c in INVALID_CHARACTERS else c for c in text)
    text = re.sub(r"_vti_", "_vti-", text, flags=re.IGNORECASE)
    text = text.strip(" .")
    if text.startswith("~$"):
        text = "_" + text[2:]
    if not text:
        text = "file"
    if _RESERVED.match(text) or text.lower() in (".lock", "desktop.ini"):
        text = "_" + text
    return shorten(text, max_length)


def shorten(name: str, max_length: int) -> str:
    """Cut a name to ``max_length`` characters, keeping its extension."""
    if len(name) <= max_length:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 16 or not stem:
        return name[:max_length].rstrip(" .") or "file"
    keep = max(1, max_length - len(suffix) - 1)
    return f"{stem[:keep].rstrip(' .')}.{suffix}"
