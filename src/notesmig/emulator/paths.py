"""Graph URL paths as the service reads them, and SharePoint's rules for names.

Graph is routed on the raw, percent-encoded path: the SDK sends ``/sites/contoso.sharepoint.com
%3A%2Fsites%2FX%3A`` (an encoded ``/`` must not split a segment), and its base URL ends in
``/`` so paths arrive as ``/v1.0//sites/...``. Colon syntax addresses by path:
``root:/folder/file.txt:`` (encoded or not), ``{item-id}:/name:``, ``{host}:/sites/x:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from notesmig.emulator.graph_errors import bad_request


@dataclass(frozen=True)
class PathRef:
    """``base:/path:`` in a Graph URL: an item (or site) addressed by path from ``base``."""

    base: str
    path: str


Segment = str | PathRef


def split_path(raw_path: bytes) -> list[Segment]:
    """Segments of a raw request path, ``//`` collapsed, colon paths folded into PathRefs."""
    text = raw_path.decode("latin-1")
    raw_segments = [unquote(part, errors="strict") for part in text.split("/") if part]
    segments: list[Segment] = []
    index = 0
    while index < len(raw_segments):
        segment = raw_segments[index]
        base, colon, rest = segment.partition(":")
        if not colon:
            segments.append(segment)
            index += 1
            continue
        if rest:
            # Self-contained (the SDK encodes the slashes): "root:/a/b:" or "host:/sites/x".
            segments.append(PathRef(base, _clean(rest.removesuffix(":"))))
            index += 1
            continue
        # Raw form: "root:" then segments up to one that ends with ":" (or the end).
        closing = next(
            (j for j in range(index + 1, len(raw_segments)) if raw_segments[j].endswith(":")),
            None,
        )
        stop = len(raw_segments) - 1 if closing is None else closing
        inner = raw_segments[index + 1 : stop + 1]
        path = "/" + "/".join(inner)
        segments.append(PathRef(base, _clean(path.removesuffix(":"))))
        index = stop + 1
    return segments


def _clean(path: str) -> str:
    return "/" + "/".join(part for part in path.split("/") if part)


# -- names --------------------------------------------------------------------------------

_INVALID_CHARACTERS = set('"*:<>?/\\|')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
MAX_DECODED_PATH = 400


def check_item_name(name: str, *, at_library_root: bool, is_folder: bool) -> None:
    """Raise Graph's 400 for a file or folder name SharePoint refuses."""
    if not name:
        raise bad_request("The name cannot be empty.")
    if name != name.strip(" "):
        raise bad_request(
            f"The provided name cannot contain leading, or trailing, spaces: {name!r}"
        )
    if name.endswith("."):
        raise bad_request(f"The provided name cannot end with a period: {name!r}")
    bad = sorted(set(name) & _INVALID_CHARACTERS)
    if bad or any(ord(c) < 32 for c in name):
        shown = "".join(bad) or "control characters"
        raise bad_request(f"The provided name contains invalid characters ({shown}): {name!r}")
    lowered = name.lower()
    if (
        _RESERVED.match(name)
        or lowered in (".lock", "desktop.ini")
        or "_vti_" in lowered
        or name.startswith("~$")
    ):
        raise bad_request(f"The provided name is reserved and cannot be used: {name!r}")
    if is_folder and at_library_root and lowered == "forms":
        raise bad_request("A folder named 'forms' cannot be created at the root of a library.")


def check_path_length(decoded_path: str) -> None:
    if len(decoded_path) > MAX_DECODED_PATH:
        raise bad_request(
            f"The decoded path is {len(decoded_path)} characters long; SharePoint allows "
            f"{MAX_DECODED_PATH}: {decoded_path[:80]}..."
        )


# -- internal names -----------------------------------------------------------------------

MAX_INTERNAL_NAME = 32


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
        for unit in _utf16_units(char):
            out.append(f"_x{unit:04x}_")
    return "".join(out)[:MAX_INTERNAL_NAME]


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
