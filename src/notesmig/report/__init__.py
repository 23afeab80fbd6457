"""The auditors' report: static pages in Japanese and English, exceptions.csv and evidence.json,
made from the ledger alone."""
