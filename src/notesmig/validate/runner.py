"""Running a database's checks with GX Core, and building its Data Docs.

GX is called directly (its Airflow provider cannot be installed beside Airflow 3.3), in an
ephemeral context: nothing of GX's is kept but the Data Docs site written into the database's
``validated`` folder, and the findings, which go to the ledger.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from notesmig.validate.checks import DOCUMENT, TOTALS_KEY, Check
from notesmig.validate.datadocs import vendor_site
from notesmig.validate.frames import Tables

log = logging.getLogger("notesmig.validate")

SITE_NAME = "notesmig"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: passed or not, how many values failed, and some of them."""

    check: Check
    success: bool
    evaluated: int
    unexpected: int
    #: Up to 20 failing values with their document, as evidence.
    examples: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.check.key,
            "table": self.check.table,
            "column": self.check.column,
            "ja": self.check.ja,
            "en": self.check.en,
            "success": self.success,
            "evaluated": self.evaluated,
            "unexpected": self.unexpected,
            "examples": [list(e) for e in self.examples],
            "error": self.error,
        }


@dataclass
class Findings:
    """What the checks found: per check its result, per document the checks it failed."""

    results: list[CheckResult] = field(default_factory=list)
    #: UNID -> (check label, what failed) for every document that failed something.
    failures: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    #: Checks that failed for the database as a whole (the totals), with why.
    database_failures: list[tuple[str, str]] = field(default_factory=list)
    data_docs: Path | None = None


def run_checks(name: str, tables: Tables, checks: list[Check], site_dir: Path | None) -> Findings:
    """Run ``checks`` on ``tables`` (one GX suite per table); build Data Docs in ``site_dir``."""
    import great_expectations as gx  # noqa: PLC0415 - GX takes seconds to import
    from great_expectations.checkpoint.actions import (  # noqa: PLC0415
        UpdateDataDocsAction,
        ValidationAction,
    )
    from great_expectations.data_context.types.base import (  # noqa: PLC0415
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # In memory, and without GX's default Data Docs site in a temporary folder: the one site is
    # the database's own.
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
        ),
    )
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if site_dir is not None:
        site_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=SITE_NAME,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
            },
        )
    source = context.data_sources.add_pandas(f"{name} rows")
    by_table: dict[str, list[Check]] = defaultdict(list)
    for check in checks:
        by_table[check.table].append(check)
    definitions = []
    frames: dict[str, pd.DataFrame] = {}
    for number, (table, table_checks) in enumerate(sorted(by_table.items())):
        frame = tables.frames.get(table)
        if frame is None:
            continue
        suite_name = suite_name_of(name, table, number)
        asset = source.add_dataframe_asset(suite_name)
        batch = asset.add_batch_definition_whole_dataframe("all rows")
        suite = context.suites.add(
            gx.ExpectationSuite(name=suite_name, meta={"notesmig_table": table})
        )
        for check in table_checks:
            suite.add_expectation(check.build())
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
            )
        )
        frames[suite_name] = frame
    findings = Findings()
    if not definitions:
        return findings
    actions: list[ValidationAction] = (
        [UpdateDataDocsAction(name="data docs", site_names=[SITE_NAME])]
        if site_dir is not None
        else []
    )
    for definition in definitions:
        key = TOTALS_KEY if definition.suite.meta.get("notesmig_table") == "totals" else DOCUMENT
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{definition.name} checkpoint",
                validation_definitions=[definition],
                actions=actions,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [key]},
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": frames[definition.name]})
        for result in run.run_results.values():
            for outcome in result.results:
                _collect(findings, outcome, checks, key)
    if site_dir is not None:
        vendor_site(site_dir)
        findings.data_docs = site_dir / "index.html"
    return findings


def suite_name_of(name: str, table: str, number: int) -> str:
    """A suite's name, shown in Data Docs and used by GX for file names: no dots (GX counts
    them to find its static files) and no slashes."""
    shown = re.sub(r"[./\\]", "・", f"{name} {table}")
    return f"{number:02d} {shown}"


def _collect(findings: Findings, outcome: Any, checks: list[Check], key: str) -> None:
    meta = outcome.expectation_config.meta or {}
    check = next(
        c
        for c in checks
        if c.key == meta.get("notesmig_check") and c.table == meta.get("notesmig_table")
        and c.column == outcome.expectation_config.kwargs.get("column")
    )  # fmt: skip
    result = outcome.result or {}
    info = outcome.exception_info or {}
    error = None
    if info.get("raised_exception"):
        error = str(info.get("exception_message"))
    else:
        error = next(
            (
                str(v.get("exception_message"))
                for v in info.values()
                if isinstance(v, dict) and v.get("raised_exception")
            ),
            None,
        )
    failed: list[tuple[str, str]] = []
    for entry in result.get("unexpected_index_list") or []:
        if not isinstance(entry, dict):
            continue
        subject = str(entry.get(key, ""))
        shown = {k: _shown(v) for k, v in entry.items() if k != key}
        failed.append((subject, ", ".join(f"{k}={v}" for k, v in shown.items())))
    findings.results.append(
        CheckResult(
            check=check,
            success=bool(outcome.success),
            evaluated=int(result.get("element_count") or 0),
            unexpected=len(failed) if failed else int(result.get("unexpected_count") or 0),
            examples=tuple(failed[:20]),
            error=error,
        )
    )
    if outcome.success:
        return
    if error is not None and not failed:
        # The check could not run at all: it holds the database, not some documents.
        findings.database_failures.append((check.label, error))
        return
    for subject, detail in failed:
        if key == TOTALS_KEY:
            findings.database_failures.append((check.label, detail))
        else:
            findings.failures[subject].append((check.label, detail))
    if not failed and key == TOTALS_KEY:
        findings.database_failures.append((check.label, "failed"))


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "(empty)"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
