"""The tenant's SQLite database: its tables, the connection, and transactions.

Kept in WAL mode inside the data directory, so the state survives restarts (file content is
on disk by sha256, next to it). Permissions keep their own tables (``permissions.SCHEMA``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY, path TEXT UNIQUE NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    id TEXT PRIMARY KEY, site_id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
    template TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0, drive_id TEXT,
    created TEXT NOT NULL, modified TEXT NOT NULL, next_item INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS lists_title ON lists (site_id, display_name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS columns (
    list_id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (list_id, name));
CREATE TABLE IF NOT EXISTS items (
    list_id TEXT NOT NULL, id INTEGER NOT NULL, fields TEXT, version INTEGER NOT NULL,
    created TEXT NOT NULL, modified TEXT NOT NULL, change INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, drive_item TEXT, guid TEXT NOT NULL,
    author INTEGER, editor INTEGER, parent_item INTEGER, is_folder INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, id));
CREATE INDEX IF NOT EXISTS items_parent ON items (list_id, parent_item);
CREATE INDEX IF NOT EXISTS items_change ON items (list_id, change);
CREATE INDEX IF NOT EXISTS items_folder_name
    ON items (list_id, parent_item, lower(json_extract(fields, '$.FileLeafRef')))
    WHERE is_folder = 1;
CREATE TABLE IF NOT EXISTS item_values (
    list_id TEXT NOT NULL, column TEXT NOT NULL, value TEXT NOT NULL, item INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS item_values_key ON item_values (list_id, column, value);
CREATE INDEX IF NOT EXISTS item_values_item ON item_values (list_id, item);
CREATE TABLE IF NOT EXISTS drive_items (
    id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, parent TEXT, name TEXT NOT NULL,
    folder INTEGER NOT NULL, size INTEGER NOT NULL DEFAULT 0, sha256 TEXT, quickxor TEXT,
    mime TEXT, created TEXT NOT NULL, modified TEXT NOT NULL, fs_created TEXT,
    fs_modified TEXT, list_item INTEGER, version INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS drive_items_name
    ON drive_items (drive_id, parent, name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS drive_items_list_item ON drive_items (drive_id, list_item);
CREATE INDEX IF NOT EXISTS drive_items_parent ON drive_items (parent);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, drive_id TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
    conflict TEXT NOT NULL, fs_info TEXT, expires REAL NOT NULL, total INTEGER,
    received INTEGER NOT NULL DEFAULT 0, completed INTEGER NOT NULL DEFAULT 0,
    declared_size INTEGER, defer_commit INTEGER NOT NULL DEFAULT 0);
"""


def connect(path: Path, *schemas: str) -> sqlite3.Connection:
    """The database at ``path`` (autocommit, rows by name, WAL), with these tables made."""
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for schema in schemas:
        db.executescript(schema)
    return db


class Transaction:
    """``with tenant.transaction():`` one atomic unit (BEGIN IMMEDIATE ... COMMIT).

    A rolled-back transaction calls ``on_rollback`` (to drop what was cached from the
    database, which may no longer be in it)."""

    def __init__(self, db: sqlite3.Connection, on_rollback: Callable[[], None]) -> None:
        self._db = db
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
        if kind is not None:
            self._on_rollback()
