"""A pipeline stage as an Airflow task runs it: the previous stage's record in, this stage's
out (XCom carries these records, never documents), and failures sorted for Airflow's retries:
transient errors are raised as they are (retried), everything else fails the task at once with
its reason. Airflow is imported when a task runs, not when a DAG file is parsed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from notesmig.pipeline.settings import StageSettings


def run_stage(stage: str, record: dict[str, Any], settings: StageSettings) -> dict[str, Any]:
    """Run ``notesmig.pipeline.stages.<stage>`` on ``record``; its result as JSON."""
    from airflow.exceptions import AirflowFailException  # noqa: PLC0415

    from notesmig.errors import DxlError, SourcePosition, is_transient  # noqa: PLC0415
    from notesmig.pipeline import stages  # noqa: PLC0415
    from notesmig.reasons import VERDICTS  # noqa: PLC0415
    from notesmig.records import (  # noqa: PLC0415
        ExtractedDatabase,
        LoadedDatabase,
        SourceDatabase,
        TransformedDatabase,
        ValidatedDatabase,
    )
    from notesmig.validate.stage import ValidationStoppedError, stop_message  # noqa: PLC0415

    inputs: dict[str, Any] = {
        "extract_database": SourceDatabase,
        "transform_database": ExtractedDatabase,
        "validate_database": TransformedDatabase,
        "load_database": ValidatedDatabase,
        "reconcile_database": LoadedDatabase,
    }
    try:
        result = getattr(stages, stage)(inputs[stage].model_validate(record), settings)
        if isinstance(result, tuple):
            result = result[0]
        if stage == "extract_database":
            broken = [f for f in result.files if f.failed]
            if broken:
                raise DxlError(
                    "the export could not be read to its end", SourcePosition(Path(broken[0].path))
                )
        if stage == "validate_database" and result.stopped:
            raise ValidationStoppedError(stop_message(result))
        if stage == "reconcile_database" and result.failed:
            found = ", ".join(
                f"{VERDICTS[k][0]} / {VERDICTS[k][1]} {n}"
                for k, n in result.verdicts.items()
                if k not in ("verified", "file-rewritten")
            )
            raise AirflowFailException(
                f"{result.replica_id}: 照合で不一致 / not verified: {found}; "
                f"次回の移行で修復 / the next load repairs {result.repairs}"
            )
        output: dict[str, Any] = result.model_dump(mode="json")
        return output
    except AirflowFailException:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
