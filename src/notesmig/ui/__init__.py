"""The Migration view: the ledger's progress as a web page (Japanese first), served by the
Airflow plugin behind Airflow's own authentication."""
