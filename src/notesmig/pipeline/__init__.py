"""The migration pipeline, one Notes database at a time: the stage functions the Airflow DAG's
tasks and the command line both call, and :func:`migrate`, which runs them in order."""

from notesmig.pipeline.discover import discover_databases
from notesmig.pipeline.layout import DatabaseLayout
from notesmig.pipeline.migrate import MigrationSummary, migrate
from notesmig.pipeline.settings import StageSettings
from notesmig.pipeline.stages import (
    extract_database,
    load_database,
    transform_database,
    validate_database,
)
from notesmig.records import SourceDatabase

__all__ = [
    "DatabaseLayout",
    "MigrationSummary",
    "SourceDatabase",
    "StageSettings",
    "discover_databases",
    "extract_database",
    "load_database",
    "migrate",
    "transform_database",
    "validate_database",
]
