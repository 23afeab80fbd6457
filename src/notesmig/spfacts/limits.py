"""SharePoint Online's documented limits that a migration meets.

Sources: "SharePoint limits" (learn.microsoft.com, office365/servicedescriptions/
sharepoint-online-service-description/sharepoint-online-limits), the Migration API permission
guidance, "Restrictions and limitations in OneDrive and SharePoint" (support.microsoft.com),
and Graph's json-batching and driveitem-createuploadsession pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: Items a list view may scan before SharePoint refuses unindexed queries.
LIST_VIEW_THRESHOLD = 5_000
#: Unique permission scopes per list or library: supported, and the recommended general limit.
UNIQUE_SCOPES_SUPPORTED = 50_000
UNIQUE_SCOPES_RECOMMENDED = 5_000
#: Role assignments (ACL entries) per scope.
ROLE_ASSIGNMENTS_PER_SCOPE = 5_000
#: Above this many items, inheritance cannot be broken on the list, library or folder; SharePoint
#: answers 429 and retrying does not help.
BREAK_INHERITANCE_MAX_ITEMS = 100_000
#: Single line of text and multiple lines of text (in lists), in characters.
TEXT_MAX_LENGTH = 255
MULTILINE_MAX_LENGTH = 63_999
#: Column internal names are cut to this many characters.
MAX_INTERNAL_NAME = 32
#: List and library display names (SharePoint's title field).
MAX_LIST_TITLE = 255
#: Columns a list may hold (fields per list, well under SharePoint's row-size limit).
MAX_COLUMNS_PER_LIST = 500
#: The decoded path of a file (site, library, folders, name), in characters.
MAX_DECODED_PATH = 400
#: One file or folder name (one segment of that path), in characters. SharePoint Online
#: documents only the 400-character path; on-premises SharePoint refused names over 128
#: (SPUtility.MaxLeafNameLength), and Windows (NTFS), where staff sync and download the files,
#: holds 255 per name: a longer one could be read in the browser only. The transform cuts
#: names to 128 (leaving room for a `` (2)`` beside a name already taken).
MAX_NAME_LENGTH = 255
#: The largest file SharePoint Online takes (250 GB since 2021).
MAX_FILE_SIZE = 250 * 1024**3
#: Requests in one Graph $batch.
BATCH_LIMIT = 20
#: "Write requests in Microsoft Graph API have a size limit of 4 MB" (learn.microsoft.com,
#: graph/use-the-api); larger file content goes through upload sessions, which are not JSON.
MAX_JSON_BODY = 4 * 1024 * 1024
#: Upload session fragments: multiples of 320 KiB (except the last), each under 60 MiB.
FRAGMENT_UNIT = 327_680
MAX_FRAGMENT = 60 * 1024 * 1024
#: The range a SharePoint date-time column holds.
EARLIEST_DATETIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(8900, 12, 31, 23, 59, 59, tzinfo=UTC)
#: UTC offsets a time zone can have.
MAX_UTC_OFFSET_MINUTES = 14 * 60

#: Files SharePoint may rewrite on upload (property promotion writes its metadata into Office
#: documents; some JPEGs are re-encoded), so their bytes and quickXorHash differ from the
#: source's: OneDrive/onedrive-api-docs #935, abraunegg/onedrive #2654 (doc, docx, xls, xlsx),
#: microsoftgraph/microsoft-graph-docs-contrib #8903 (JPEG headers).
REWRITTEN_ON_UPLOAD = frozenset(
    {".doc", ".docx", ".docm", ".dotx", ".xls", ".xlsx", ".xlsm", ".xltx", ".ppt", ".pptx",
     ".pptm", ".potx", ".jpg", ".jpeg"}
)  # fmt: skip
OFFICE_PROMOTED = frozenset(e for e in REWRITTEN_ON_UPLOAD if e not in (".jpg", ".jpeg"))
