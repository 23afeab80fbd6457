"""The validation before the load: a database's rows checked with GX Core against what its
mapping and SharePoint require, failing rows held back, Data Docs that work offline."""
