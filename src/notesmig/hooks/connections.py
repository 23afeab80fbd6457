"""Airflow connections as notesmig's endpoints, without Airflow: what a connection's fields mean.

Graph (conn type ``msgraph``, the microsoft-azure provider's convention): login = client id,
password = client secret, host = the Graph host (``graph.microsoft.com``; for an emulator its
address), schema = ``https`` (``http`` only for an emulator on a loopback address), port, and
extras ``tenant_id``, ``certificate_path`` (or ``certificate_data``, ``certificate_password``).
Without a client id the connection names an emulator. The token is pinned to the connection's
host: a run's settings cannot send it anywhere else.

The ledger: a ``postgres`` connection (host, port, login, password, schema = the database) as a
psycopg 3 URL, a ``sqlite`` connection (host = the file), or any connection whose extra
``sqlalchemy_url`` is the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from notesmig.errors import TerminalError
from notesmig.sharepoint.client import EMULATOR_TOKEN, GraphEndpoint
from notesmig.sharepoint.credentials import GraphCredentials


class ConnectionError_(TerminalError):
    """An Airflow connection that cannot say where notesmig should go (names it, no secret)."""


@dataclass(frozen=True)
class ConnectionFields:
    """The fields of an Airflow connection notesmig reads."""

    conn_id: str
    conn_type: str
    host: str | None = None
    schema: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, conn_id: str, connection: Any) -> ConnectionFields:
        """The fields of an Airflow ``Connection`` (Task SDK's or the metadata database's)."""
        return cls(
            conn_id=conn_id,
            conn_type=connection.conn_type or "",
            host=connection.host,
            schema=connection.schema,
            port=connection.port,
            login=connection.login,
            password=connection.password,
            extra=connection.extra_dejson,
        )


def graph_endpoint(fields: ConnectionFields, emulator_token: str = EMULATOR_TOKEN) -> GraphEndpoint:
    """The Graph endpoint a connection names, its token pinned to the connection's host."""
    host = (fields.host or "").strip()
    if "://" in host:
        raise ConnectionError_(
            f"connection {fields.conn_id!r}: host must be a host name, not a URL ({host!r})"
        )
    if fields.login:
        credentials = GraphCredentials.from_connection(
            fields.login, fields.password, fields.extra, host or None
        )
        if fields.schema and fields.schema != "https":
            raise ConnectionError_(
                f"connection {fields.conn_id!r}: a tenant's credentials go over https only"
            )
        return GraphEndpoint(credentials.graph_url, credentials)
    if not host:
        raise ConnectionError_(f"connection {fields.conn_id!r} names no host")
    scheme = fields.schema or "http"
    port = f":{fields.port}" if fields.port else ""
    return GraphEndpoint(f"{scheme}://{host}{port}/v1.0", None, emulator_token)


def ledger_url(fields: ConnectionFields) -> str:
    """The SQLAlchemy URL of the ledger a connection names."""
    explicit = fields.extra.get("sqlalchemy_url")
    if explicit:
        return str(explicit)
    kind = fields.conn_type.lower()
    if kind in ("postgres", "postgresql"):
        if not fields.host:
            raise ConnectionError_(f"connection {fields.conn_id!r} names no host")
        user = quote(fields.login or "", safe="")
        secret = f":{quote(fields.password, safe='')}" if fields.password else ""
        credentials = f"{user}{secret}@" if user else ""
        port = f":{fields.port}" if fields.port else ""
        return f"postgresql+psycopg://{credentials}{fields.host}{port}/{fields.schema or ''}"
    if kind == "sqlite":
        if not fields.host:
            raise ConnectionError_(f"connection {fields.conn_id!r} names no file")
        return f"sqlite:///{fields.host}"
    raise ConnectionError_(
        f"connection {fields.conn_id!r} of type {fields.conn_type!r}: the ledger needs a postgres "
        "or sqlite connection, or an extra 'sqlalchemy_url'"
    )
