"""Small DXL databases shaped precisely for one test, written the way Domino writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from notesmig.sample.dxlbuild import DOCTYPE, DXL_NAMESPACE, E, noteinfo, stable_hex

JST = timezone(timedelta(hours=9))
CREATED = datetime(2024, 4, 1, 9, 15, 30, tzinfo=JST)
MODIFIED = datetime(2024, 4, 3, 17, 45, 10, tzinfo=JST)


def document(form: str, unid: str, *items: etree._Element, **extra: str) -> etree._Element:
    """A document note: its noteinfo (Created 2024-04-01 09:15:30 JST, Modified 2024-04-03
    17:45:10 JST), updatedby and items."""
    noteid = int(stable_hex("noteid", unid, length=6), 16) % 4096 + 8
    note: etree._Element = E.document(
        noteinfo(noteid, unid, CREATED, MODIFIED),
        E.updatedby(
            E.name("CN=山田 太郎/OU=情報政策課/O=Maebashi"),
            E.name("CN=佐藤 花子/OU=総務課/O=Maebashi"),
        ),
        *items,
        form=form,
        **extra,
    )
    return note


def database(path: Path, title: str, *notes: etree._Element, replica: str | None = None) -> str:
    """Write a database export; returns its replica id."""
    replica = replica or stable_hex("test-db", title, length=16)
    root = E.database(version="10.0", replicaid=replica, title=title, path=f"{title}.nsf")
    opening = etree.tostring(root, encoding="unicode").removesuffix("/>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as sink:
        sink.write(b"<?xml version='1.0' encoding='utf-8'?>\n" + DOCTYPE.encode() + b"\n")
        sink.write(f'{opening} xmlns="{DXL_NAMESPACE}">\n'.encode())
        for note in notes:
            sink.write(etree.tostring(note, encoding="utf-8") + b"\n")
        sink.write(b"</database>\n")
    return replica
