"""Loading into SharePoint Online through Microsoft Graph (msgraph-sdk)."""
