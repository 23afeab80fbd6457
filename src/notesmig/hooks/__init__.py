"""Airflow hooks: Microsoft Graph and the ledger through Airflow connections. Importing
:mod:`notesmig.hooks.airflow` needs Airflow; :mod:`notesmig.hooks.connections` does not."""
