#!/bin/bash
# The ledger's database beside Airflow's own (docker-compose.yml): the same server, its own
# database and role, its password from NOTESMIG_LEDGER_PASSWORD (the compose file passes it to
# both this container and the ledger's connection).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -v password="${NOTESMIG_LEDGER_PASSWORD}" --username "$POSTGRES_USER" \
    --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE notesmig LOGIN PASSWORD :'password';
CREATE DATABASE notesmig OWNER notesmig;
SQL
