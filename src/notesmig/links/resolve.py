"""Where a Notes link goes: its target's SharePoint URL when the target is there, otherwise the
redirector, which forwards as soon as it is (and explains until then)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from notesmig.ledger.links import IN_SHAREPOINT, TargetFacts
from notesmig.links.html import NotesTarget
from notesmig.links.urls import redirector_url


class LinkStatus(StrEnum):
    DIRECT = "direct"
    PENDING = "pending"
    BROKEN = "broken"


@dataclass(frozen=True)
class Resolution:
    url: str
    status: LinkStatus


@dataclass
class LinkDirectory:
    """What the ledger knows of link targets, and the redirector for the rest."""

    redirector: str
    #: (replica id, UNID), upper case -> where that document stands.
    documents: dict[tuple[str, str], TargetFacts] = field(default_factory=dict)
    #: Replica id (upper case) -> a list URL of that database (None: none in SharePoint yet).
    databases: dict[str, str | None] = field(default_factory=dict)

    def resolve(self, target: NotesTarget) -> Resolution:
        database, document = target.database, target.document
        if database is None:
            return Resolution(redirector_url(self.redirector, None), LinkStatus.BROKEN)
        if document is not None:
            facts = self.documents.get((database, document))
            redirect = redirector_url(self.redirector, database, document)
            if facts is None:
                return Resolution(redirect, LinkStatus.BROKEN)
            if facts.web_url and (facts.state in IN_SHAREPOINT or facts.state == "deleted"):
                # Deleted in Notes but kept (or its deletion held): its item is still there.
                return Resolution(facts.web_url, LinkStatus.DIRECT)
            return Resolution(redirect, LinkStatus.PENDING)
        if target.kind == "doclink":
            # A doclink that names no valid document goes nowhere Notes could say.
            return Resolution(redirector_url(self.redirector, database), LinkStatus.BROKEN)
        redirect = redirector_url(self.redirector, database)
        if database not in self.databases:
            return Resolution(redirect, LinkStatus.BROKEN)
        list_url = self.databases[database]
        if list_url:
            return Resolution(list_url, LinkStatus.DIRECT)
        return Resolution(redirect, LinkStatus.PENDING)
