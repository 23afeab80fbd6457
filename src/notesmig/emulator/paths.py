"""Graph URL paths as the service reads them, and SharePoint's rules for names.

Graph is routed on the raw, percent-encoded path: the SDK sends ``/sites/contoso.sharepoint.com
%3A%2Fsites%2FX%3A`` (an encoded ``/`` must not split a segment), and its base URL ends in
``/`` so paths arrive as ``/v1.0//sites/...``. Colon syntax addresses by path:
``root:/folder/file.txt:`` (encoded or not), ``{item-id}:/name:``, ``{host}:/sites/x:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from notesmig.emulator.graph_errors import bad_request
from notesmig.spfacts.limits import MAX_DECODED_PATH
from notesmig.spfacts.names import invalid_name_reason


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
        if not colon or "(" in base:
            # A colon inside a function call's arguments (REST's ``UtcToLocalTime('...T00:00Z')``)
            # is no path syntax: Graph's path bases (root, item ids, hosts) hold no parentheses.
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


def check_item_name(name: str, *, at_library_root: bool, is_folder: bool) -> None:
    """Raise Graph's 400 for a file or folder name SharePoint refuses."""
    reason = invalid_name_reason(name, at_library_root=at_library_root, is_folder=is_folder)
    if reason is not None:
        raise bad_request(reason)


def check_path_length(decoded_path: str) -> None:
    if len(decoded_path) > MAX_DECODED_PATH:
        raise bad_request(
            f"The decoded path is {len(decoded_path)} characters long; SharePoint allows "
            f"{MAX_DECODED_PATH}: {decoded_path[:80]}..."
        )
