"""Ledger URLs: a SQLite file, and a fresh PostgreSQL schema (127.0.0.1:5432, database test);
and a SQLite ledger ready to use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from notesmig.ledger import Ledger

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_DSN):
            return None
    except Exception as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    problem = _postgres_available()
    if problem is not None:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (database test) is not reachable: {problem}")
    import psycopg

    schema = f"nm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A real SQLite ledger in the test's folder, at the current schema."""
    made = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    made.upgrade()
    yield made
    made.close()
