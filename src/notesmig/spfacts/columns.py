"""SharePoint list columns: the type facets Graph knows, and the fields SharePoint owns.

A mapping may not target a field SharePoint owns (a system or internal field): writing it is
refused, or worse, silently ignored. The list covers the fields every list and library has
(SharePoint's base content types and their computed variants), compared case-insensitively,
since SharePoint's internal names are case-insensitive.
"""

from __future__ import annotations

#: Graph's columnDefinition type facets: exactly one of them says what a column holds.
COLUMN_FACETS = (
    "text",
    "number",
    "dateTime",
    "boolean",
    "choice",
    "personOrGroup",
    "lookup",
    "hyperlinkOrPicture",
)

#: Fields of every list item and file SharePoint keeps itself (read-only or computed).
SYSTEM_FIELDS = frozenset(
    {
        "ID", "id", "Created", "Modified", "Author", "Editor", "AuthorLookupId",
        "EditorLookupId", "ContentType", "ContentTypeId", "_UIVersionString", "_UIVersion",
        "Attachments", "Edit", "LinkTitle", "LinkTitleNoMenu", "LinkTitle2", "ItemChildCount",
        "FolderChildCount", "DocIcon", "FileSizeDisplay", "LinkFilename", "LinkFilenameNoMenu",
        "LinkFilename2", "_ComplianceFlags", "_ComplianceTag", "_ComplianceTagWrittenTime",
        "_ComplianceTagUserId", "_IsRecord", "FileLeafRef", "FileRef", "FileDirRef", "FSObjType",
        "File_x0020_Type", "File_x0020_Size", "SortBehavior", "PermMask", "UniqueId", "GUID",
        "ProgId", "ScopeId", "HTML_x0020_File_x0020_Type", "_EditMenuTableStart",
        "_EditMenuTableStart2", "_EditMenuTableEnd", "ServerUrl", "EncodedAbsUrl", "BaseName",
        "MetaInfo", "_Level", "_IsCurrentVersion", "Restricted", "OriginatorId", "NoExecute",
        "ContentVersion", "_VirusStatus", "_VirusVendorID", "_VirusInfo", "AppAuthor",
        "AppEditor", "SMTotalSize", "SMLastModifiedDate", "SMTotalFileStreamSize",
        "SMTotalFileCount", "SelectTitle", "SelectFilename", "owshiddenversion",
        "_ModerationStatus",
        "_ModerationComments", "InstanceID", "Order", "WorkflowVersion", "WorkflowInstanceID",
        "ParentVersionString", "ParentLeafName", "DocConcurrencyNumber", "ParentUniqueId",
        "StreamHash", "ComplianceAssetId", "_CopySource", "_HasCopyDestinations",
        "CheckoutUser", "CheckedOutUserId", "CheckedOutTitle", "IsCheckedoutToLocal",
        "_CheckinComment", "LinkCheckedOutTitle", "Created_x0020_Date", "Last_x0020_Modified",
        "Created_x0020_By", "Modified_x0020_By", "_SourceUrl", "_SharedFileIndex",
        "TemplateUrl", "xd_ProgID", "xd_Signature", "_ShortcutUrl", "_ShortcutSiteId",
        "_ShortcutWebId", "_ShortcutUniqueId", "Thumbnail", "Preview", "_DisplayName",
        "_ColorTag", "_ColorHex", "_Emoji", "_CommentFlags", "_CommentCount", "_LikeCount",
        "_RmsTemplateId", "_IpLabelId", "_IpLabelAssignmentMethod", "_DraftOwnerId",
        "MediaServiceFastMetadata", "AccessPolicy", "_StubFile", "_ExpirationDate",
    }
)  # fmt: skip
_SYSTEM_FOLDED = frozenset(name.casefold() for name in SYSTEM_FIELDS)


def is_system_field(name: str) -> bool:
    """Whether ``name`` is (case-insensitively) a field SharePoint owns."""
    return name.casefold() in _SYSTEM_FOLDED
