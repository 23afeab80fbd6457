"""Notes links and inline pictures after the move: found in rich text, resolved through the
ledger, rewritten to SharePoint URLs or to the redirector, and the redirector itself."""
