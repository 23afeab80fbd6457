"""The Migration view as a FastAPI app: the progress page (Japanese, ``?lang=en`` English), the
same figures as JSON, the auditors' report and the inventory the DAGs wrote, and the Notes link
redirector (``/notes-links/...``).

The app authenticates nothing by itself: whoever mounts it passes the dependencies that do
(the Airflow plugin passes Airflow's own), and every route, files included, sits behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notesmig.ledger import Ledger
from notesmig.links.redirector import router as links_router
from notesmig.pipeline.settings import mask_url
from notesmig.reasons import japanese
from notesmig.ui.forecast import Forecast
from notesmig.ui.forecast import forecast as make_forecast
from notesmig.ui.labels import LABELS
from notesmig.ui.progress import MigrationProgress, ProgressFilter, migration_progress

STYLESHEET = Path(__file__).resolve().parents[1] / "report" / "static" / "report.css"
#: Under the work folder, what the view may hand out (the DAGs' HTML output, nothing else).
PUBLISHED = {"reports": "report", "inventory": "inventory"}


@dataclass(frozen=True)
class ViewSettings:
    """Where the view reads: the ledger, the work folder, the tenant's budget."""

    ledger_url: str
    work: Path
    budget_per_minute: int = 0
    #: The day Notes is switched off: the view then forecasts whether the rest fits.
    cutoff: date | None = None

    def __post_init__(self) -> None:
        if self.budget_per_minute < 0:
            raise ValueError("budget_per_minute must not be negative")


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("notesmig.ui", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_progress(
    progress: MigrationProgress, lang: str, ledger: str, forecast: Forecast | None = None
) -> str:
    position = 0 if lang == "ja" else 1
    kept = {k: v for k, v in progress.filter.model_dump().items() if v and k != "reason"}
    other = "?" + urlencode({"lang": "en" if lang == "ja" else "ja", **kept})
    prefix = "reports/" if lang == "ja" else "reports/en/"

    def reason(text: str) -> str:
        return (japanese(text) or text) if lang == "ja" else text

    return (
        _environment()
        .get_template("progress.html.j2")
        .render(
            lang=lang,
            t=lambda key: LABELS[key][position],
            reason=reason,
            reason_link=lambda text: "?" + urlencode({"lang": lang, **kept, "reason": text}),
            progress=progress,
            forecast=forecast,
            ledger=ledger,
            other=other,
            reports=f"{prefix}index.html",
            inventory="inventory/index.html" if lang == "ja" else "inventory/en/index.html",
            database_report=lambda replica: f"{prefix}db/{replica}.html",
        )
    )


def _published(work: Path, kind: str, path: str) -> Path:
    """A file the DAGs published under ``work``; 404 for anything else (no way out of it)."""
    root = (work / PUBLISHED[kind]).resolve()
    target = (root / (path or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404, detail="not found")
    return target


def chosen_filter(
    database: str | None = Query(None, max_length=64),
    wave: str | None = Query(None, max_length=64),
    reason: str | None = Query(None, max_length=500),
) -> ProgressFilter:
    """The view's filter from the query string (module level: FastAPI resolves it by name)."""
    return ProgressFilter(database=database or None, wave=wave or None, reason=reason or None)


#: The filter as a dependency of a route.
ChosenFilter = Annotated[ProgressFilter, Depends(chosen_filter)]


def create_app(settings: Callable[[], ViewSettings], dependencies: Sequence[Any] = ()) -> FastAPI:
    """The view; ``settings`` is asked on every request (a deployment may change its ledger),
    ``dependencies`` guard every route."""
    app = FastAPI(
        title="notesmig Migration view",
        dependencies=list(dependencies),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    ledgers: dict[str, Ledger] = {}

    def ledger_for(current: ViewSettings) -> Ledger:
        if current.ledger_url not in ledgers:
            ledger = Ledger(current.ledger_url)
            # Before the first run the ledger may not exist yet: the view shows it empty.
            ledger.upgrade()
            ledgers[current.ledger_url] = ledger
        return ledgers[current.ledger_url]

    def progress(chosen: ProgressFilter) -> tuple[MigrationProgress, ViewSettings]:
        current = settings()
        found = migration_progress(
            ledger_for(current), chosen, budget_per_minute=current.budget_per_minute
        )
        return found, current

    @app.get("/", response_class=HTMLResponse)
    def page(
        chosen: ChosenFilter,
        lang: str = Query("ja", pattern="^(ja|en)$"),
    ) -> HTMLResponse:
        found, current = progress(chosen)
        ahead = None
        if current.cutoff is not None:
            everything = (
                found if found.filter == ProgressFilter() else progress(ProgressFilter())[0]
            )
            ahead = make_forecast(everything, cutoff=current.cutoff,
                                  today=found.generated_at.date(),
                                  budget_per_minute=current.budget_per_minute)  # fmt: skip
        html = render_progress(found, lang, mask_url(current.ledger_url), ahead)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/api/progress")
    def figures(chosen: ChosenFilter) -> dict[str, Any]:
        found, _current = progress(chosen)
        data = found.model_dump(mode="json")
        data["totals"] = found.totals.model_dump(mode="json")
        data["throughput"].update(
            documents_per_minute=found.throughput.documents_per_minute,
            megabytes_per_minute=found.throughput.megabytes_per_minute,
            units_per_minute=found.throughput.units_per_minute,
            budget_share=found.throughput.budget_share,
        )
        return data

    @app.get("/assets/report.css")
    def stylesheet() -> FileResponse:
        return FileResponse(STYLESHEET, media_type="text/css")

    @app.get("/reports/{path:path}")
    def report(path: str) -> FileResponse:
        return FileResponse(_published(settings().work, "reports", path))

    @app.get("/inventory/{path:path}")
    def inventory(path: str) -> FileResponse:
        return FileResponse(_published(settings().work, "inventory", path))

    # The redirector for the migration team, behind the same guard as the rest of the view.
    app.include_router(links_router(lambda: settings().ledger_url), prefix="/notes-links")
    return app
