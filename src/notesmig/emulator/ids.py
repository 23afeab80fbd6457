"""Identifiers and timestamps the emulated service hands out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def now_text() -> str:
    """Now, as Graph writes timestamps (UTC, seconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_item_id() -> str:
    """A drive item id in SharePoint's form (``01`` and 32 upper-case hex digits)."""
    return "01" + uuid.uuid4().hex.upper()[:32]
