"""The machine's PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379), as tests
that need a real multi-process backend find them: a fresh database per test, dropped after it."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_DSN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test connect_timeout=3"
REDIS = ("127.0.0.1", 6379)


def require_postgres() -> None:
    try:
        import psycopg

        with psycopg.connect(PG_DSN):
            return
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable: {exc}")


def require_redis() -> None:
    try:
        with socket.create_connection(REDIS, timeout=3) as connection:
            connection.sendall(b"PING\r\n")
            if not connection.recv(16).startswith(b"+PONG"):
                pytest.skip(f"Redis at {REDIS[0]}:{REDIS[1]} did not answer PING")
    except OSError as exc:
        pytest.skip(f"Redis at {REDIS[0]}:{REDIS[1]} is not reachable: {exc}")


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database (its name); dropped, with whatever is connected, afterwards."""
    require_postgres()
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
