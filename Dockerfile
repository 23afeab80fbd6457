# notesmig inside the official Airflow image: the Python dependencies from uv.lock (the same
# versions the tests ran), the GX Data Docs assets from the npm lock file, the DAGs and the
# plugin. Build: docker compose build (docker-compose.yml uses this file).
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

FROM node:20-bookworm-slim AS datadocs
WORKDIR /datadocs
COPY vendor/datadocs/package.json vendor/datadocs/package-lock.json vendor/datadocs/.npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM ${AIRFLOW_IMAGE} AS locked
COPY --from=uv /uv /tmp/uv
COPY pyproject.toml uv.lock /tmp/notesmig/
# The lock as pins (the airflow extra included, development tools left out).
RUN cd /tmp/notesmig && /tmp/uv export --frozen --no-dev --extra airflow --no-emit-project \
    --no-hashes -o /tmp/requirements.txt

FROM ${AIRFLOW_IMAGE}
COPY --from=locked /tmp/requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/notesmig/
COPY --chown=airflow:root src /opt/notesmig/src
COPY --chown=airflow:root schemas /opt/notesmig/schemas
RUN pip install --no-cache-dir --no-deps /opt/notesmig
COPY --from=datadocs --chown=airflow:root /datadocs/node_modules /opt/notesmig/datadocs
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
# The folders the compose file mounts volumes on, writable by Airflow's user (uid 50000, gid 0).
USER root
RUN mkdir -p /data/drop /data/mappings /data/work /data/emulator \
    && chown -R 50000:0 /data && chmod -R g+rwX /data
USER airflow
ENV NOTESMIG_DATADOCS_ASSETS=/opt/notesmig/datadocs \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
