"""Notes documents plus a mapping to SharePoint-ready rows, files and permission plans."""
