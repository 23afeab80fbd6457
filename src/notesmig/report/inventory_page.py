"""The discovery's inventory as a page (Japanese, and English under ``en/``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notesmig.report.labels import LABELS

if TYPE_CHECKING:
    from notesmig.records import Inventory


def render_inventory(inventory: Inventory, folder: Path) -> None:
    from notesmig.pipeline.inventory import COMPLEXITY  # noqa: PLC0415

    env = Environment(
        loader=PackageLoader("notesmig.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        Path(__file__).parent / "static" / "report.css", folder / "assets" / "report.css"
    )
    for lang, position in (("ja", 0), ("en", 1)):
        target = folder if lang == "ja" else folder / "en"
        target.mkdir(parents=True, exist_ok=True)
        page = env.get_template("inventory.html.j2").render(
            lang=lang,
            t=lambda key, p=position: LABELS[key][p],
            complexity=lambda key, p=position: COMPLEXITY[key][p],
            root="" if lang == "ja" else "../",
            other="en/index.html" if lang == "ja" else "../index.html",
            generated=inventory.generated_at,
            ledger="—",
            inventory=inventory,
        )
        (target / "index.html").write_text(page, encoding="utf-8")
