"""The reconciliation after the load: SharePoint read back through Graph (and REST for
permissions) and compared with the ledger, a verdict per document, repairs for the next load."""
