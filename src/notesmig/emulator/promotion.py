"""SharePoint's property promotion, rehearsed: an Office file uploaded to a library comes back
with SharePoint's metadata written into it, so its bytes, size and quickXorHash are no longer
the source's (OneDrive/onedrive-api-docs #935, abraunegg/onedrive #2654). Off by default;
``--rewrite-office-files`` turns it on.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from notesmig.spfacts.limits import OFFICE_PROMOTED

_CUSTOM = "docProps/custom.xml"


def is_promoted(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in OFFICE_PROMOTED


def promote(data: bytes, *, item_id: str) -> bytes:
    """The bytes SharePoint keeps for an Office file: an OOXML package gains (or has replaced)
    its custom properties part; any other file gets the properties appended, as the legacy
    formats' property streams grow."""
    properties = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2"'
        ' name="_dlc_DocIdItemGuid">'
        f"<vt:lpwstr>{item_id}</vt:lpwstr></property></Properties>"
    ).encode()
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
    except zipfile.BadZipFile:
        return data + b"\r\n" + properties
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            if name != _CUSTOM:
                target.writestr(source.getinfo(name), source.read(name))
        target.writestr(zipfile.ZipInfo(_CUSTOM, date_time=(2026, 1, 1, 0, 0, 0)), properties)
    return out.getvalue()
