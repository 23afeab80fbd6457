"""The redirector: ``/notes-links/{replica}/{unid}`` answers 302 to the document's SharePoint
item as soon as it is there, and until then a page (Japanese, ``?lang=en`` English) saying
which database it is of and why it is not there: excluded, held back, not yet migrated, or in
no export. ``/notes-links/{replica}`` does the same for view and database links.

The page names the database and the UNID, never the document's title or contents, and for a
document held back for its access restrictions only that it is held back: a link must not tell
a reader what Notes did not let them read. Served by ``notesmig serve-links`` (for staff
following links from SharePoint) and by the Airflow plugin behind Airflow's login.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notesmig import reasons
from notesmig.ledger import Ledger
from notesmig.ledger.links import IN_SHAREPOINT

_REPLICA = re.compile(r"[0-9A-Fa-f]{16}")
_UNID = re.compile(r"[0-9A-Fa-f]{32}")

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Notes リンクの転送 / Notes link", "Notes link / Notes リンク"),
    "other": ("English", "日本語"),
    "database": ("Notes データベース", "Notes database"),
    "document": ("文書 (UNID)", "Document (UNID)"),
    "unknown_database": ("（移行対象にないデータベース）", "(a database not being migrated)"),
    "why": ("理由", "Reason"),
    "not_yet": (
        "この文書はまだ SharePoint に移行されていません。"
        "移行されると、このリンクから直接開けます。",
        "This document is not in SharePoint yet. Once it is migrated, this link opens it.",
    ),
    "excluded": (
        "この文書は移行の対象外です。",
        "This document is not migrated (excluded by the mapping).",
    ),
    "held": (
        "この文書は移行を保留しています。",
        "This document is held back from the migration.",
    ),
    "held_access": (
        "この文書はアクセス制限を正確に移行できないため、保留しています。",
        "This document is held back: its access restrictions could not be carried over exactly.",
    ),
    "deleted": (
        "この文書は Notes で削除されました。",
        "This document was deleted in Notes.",
    ),
    "missing": (
        "リンク先の文書は、移行対象のどの Notes エクスポートにもありません。",
        "The document this link points to is in no Notes export being migrated.",
    ),
    "database_not_yet": (
        "このデータベースはまだ SharePoint に移行されていません。",
        "This database is not in SharePoint yet.",
    ),
    "database_missing": (
        "リンク先のデータベースは移行の対象にありません。",
        "The database this link points to is not being migrated.",
    ),
    "invalid": (
        "このリンクは Notes の文書を指していません。",
        "This link does not name a Notes document.",
    ),
    "ask": (
        "ご不明な点は移行チームにお問い合わせください。",
        "Please ask the migration team if you need this document.",
    ),
}


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("notesmig.links", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )


def render_explanation(
    situation: str,
    lang: str,
    *,
    database: str | None,
    database_title: str | None,
    document: str | None = None,
    why: str | None = None,
) -> str:
    position = 0 if lang == "ja" else 1
    return (
        _environment()
        .get_template("redirect.html.j2")
        .render(
            lang=lang,
            t=lambda key: LABELS[key][position],
            other="?lang=en" if lang == "ja" else "?lang=ja",
            situation=situation,
            database=database,
            database_title=database_title,
            document=document,
            why=why,
        )
    )


def _why(reason: str | None, lang: str) -> str | None:
    if not reason:
        return None
    return (reasons.japanese(reason) or reason) if lang == "ja" else reason


def router(ledger_url: Callable[[], str]) -> APIRouter:
    """The redirector's routes; ``ledger_url`` is asked on every request."""
    routes = APIRouter()
    ledgers: dict[str, Ledger] = {}

    def ledger() -> Ledger:
        url = ledger_url()
        if url not in ledgers:
            ledgers[url] = Ledger(url)
        return ledgers[url]

    def page(status: int, situation: str, lang: str, **facts: Any) -> HTMLResponse:
        return HTMLResponse(
            render_explanation(situation, lang, **facts),
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )

    @routes.get("/")
    def index(lang: str = "ja") -> Response:
        return page(404, "invalid", _lang(lang), database=None, database_title=None)

    @routes.get("/{replica}")
    def database_link(replica: str, lang: str = "ja") -> Response:
        lang = _lang(lang)
        if not _REPLICA.fullmatch(replica):
            return page(404, "invalid", lang, database=None, database_title=None)
        replica = replica.upper()
        found = ledger()
        titles = found.database_titles()
        if replica not in titles:
            return page(404, "database_missing", lang, database=replica, database_title=None)
        url = found.database_list_urls().get(replica)
        if url:
            return RedirectResponse(url, status_code=302)
        return page(200, "database_not_yet", lang, database=replica,
                    database_title=titles[replica])  # fmt: skip

    @routes.get("/{replica}/{unid}")
    def document_link(replica: str, unid: str, lang: str = "ja") -> Response:
        lang = _lang(lang)
        if not (_REPLICA.fullmatch(replica) and _UNID.fullmatch(unid)):
            return page(404, "invalid", lang, database=None, database_title=None)
        replica, unid = replica.upper(), unid.upper()
        found = ledger()
        facts = found.target_facts([(replica, unid)]).get((replica, unid))
        title = found.database_titles().get(replica)
        shown = {"database": replica, "database_title": title, "document": unid}
        if facts is None:
            return page(404, "missing", lang, **shown)
        if facts.web_url and (facts.state in IN_SHAREPOINT or facts.state == "deleted"):
            return RedirectResponse(facts.web_url, status_code=302)  # kept when deleted too
        if facts.state == "deleted":
            return page(410, "deleted", lang, **shown)
        if facts.state == "excluded":
            return page(200, "excluded", lang, why=_why(facts.reason, lang), **shown)
        if facts.state == "quarantined":
            if facts.reason and reasons.is_access(facts.reason):
                # Only that it is restricted: the detail names who may read it.
                return page(200, "held_access", lang, **shown)
            return page(200, "held", lang, why=_why(facts.reason, lang), **shown)
        return page(200, "not_yet", lang, **shown)

    return routes


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "ja"


def create_app(ledger_url: Callable[[], str], dependencies: Sequence[Any] = ()) -> FastAPI:
    """The redirector on its own (``notesmig serve-links``), under ``/notes-links``."""
    app = FastAPI(
        title="notesmig redirector",
        dependencies=list(dependencies),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(router(ledger_url), prefix="/notes-links")
    return app
