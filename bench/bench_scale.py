"""The whole migration at scale: the sample corpus at >= 100,000 documents and >= 5 GB of
attachments through ``notesmig migrate``'s pipeline into the emulator, time-compressed, beside
the same corpus at a tenth of the size (is memory flat as the corpus grows?).

Per stage (extract, transform, validate, load): seconds, documents/s, MB/s (of DXL for the
extract, of attachments for the others), and peak RSS: the process's high-water mark is reset
before each stage through /proc/self/clear_refs, so each stage's peak is its own, and "of it
the stage" is that peak less the RSS the stage started from (the libraries already imported). Then the resource units the load spent against the budget, what
was throttled, the ledger's and the emulator's sizes, and how long the same load would take
against a real tenant at 2,400 RU per minute (the city's licence band).

The emulator runs in its own process (its CPU share is printed: the budget, not the emulator,
must set the pace). Inputs are generated under build/bench/scale/ and reused.
At time scale 12 (480 RU/s) the loader and the emulator keep up on 2 cores; at 30 the loader's
own CPU, not the budget, would set the pace.
The corpus does not grow exactly with the scale (the bulletin board's threads do not): scale
1,221 gives 96,705 documents, 1,300 about 103,000.
Usage: python bench/bench_scale.py [--scales 122 1300] [--time-scale 12] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench_load import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench" / "scale"
TENANT_RU_PER_MINUTE = 2_400
F = TypeVar("F", bound=Callable[..., Any])


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _corpus(scale: int) -> Path:
    from notesmig.sample.corpus import generate

    folder = WORK / f"sample-{scale}"
    if not (folder / "users.csv").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        generate(partial, scale=scale, seed=2025)
        partial.rename(folder)
    return folder


def _mappings(sample: Path, into: Path) -> Path:
    from notesmig.mapping.suggest import suggest

    into.mkdir(parents=True)
    (into / "users.csv").write_bytes((sample / "users.csv").read_bytes())
    for path in sorted(sample.glob("*.dxl")):
        text = suggest(path).yaml.replace("  # file: users.csv", "  file: users.csv  #")
        (into / f"{path.stem}.yaml").write_text(
            text.replace("readers: hold", "readers: restrict"), encoding="utf-8"
        )
    return into


def run(scale: int, time_scale: float, keep: bool) -> dict[str, Any]:
    import importlib

    from notesmig.emulator.server import EmulatorProcess
    from notesmig.pipeline import StageSettings
    from notesmig.sharepoint.client import GraphEndpoint

    # The module, not the function notesmig.pipeline exports under the same name.
    pipeline = importlib.import_module("notesmig.pipeline.migrate")
    sample = _corpus(scale)
    dxl_bytes = sum(p.stat().st_size for p in sample.glob("*.dxl"))
    run_dir = WORK / f"run-{scale}"
    shutil.rmtree(run_dir, ignore_errors=True)
    mappings = _mappings(sample, run_dir / "mappings")
    stages: dict[str, dict[str, float]] = {}
    emulator_pid: list[int] = []

    def measured(name: str, function: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _reset_peak()
            before = _status_mib("VmRSS")
            started = time.perf_counter()
            busy = cpu_seconds(emulator_pid[0]) if emulator_pid else 0.0
            own = time.process_time()
            result = None
            try:
                result = function(*args, **kwargs)
                return result
            finally:
                entry = stages.setdefault(
                    name,
                    {"seconds": 0.0, "peak_mib": 0.0, "grew_mib": 0.0, "emulator_cpu": 0.0,
                     "cpu": 0.0},
                )  # fmt: skip
                entry["seconds"] += time.perf_counter() - started
                entry["cpu"] += time.process_time() - own
                if emulator_pid:
                    entry["emulator_cpu"] += cpu_seconds(emulator_pid[0]) - busy
                peak = _status_mib("VmHWM")
                entry["peak_mib"] = max(entry["peak_mib"], peak)
                entry["grew_mib"] = max(entry["grew_mib"], peak - before)
                if name == "load" and result is not None:
                    _progress(result, time.perf_counter() - started, time_scale)

        return wrapper  # type: ignore[return-value]

    originals = {
        name: getattr(pipeline, name)
        for name in ("extract_database", "transform_database", "validate_database", "load_database")
    }
    for name, function in originals.items():
        setattr(pipeline, name, measured(name.removesuffix("_database"), function))
    emulator = EmulatorProcess(
        run_dir / "emulator",
        options=("--users", str(sample / "users.csv"), "--groups",
                 str(sample / "entra-groups.csv"), "--ru-per-minute", str(TENANT_RU_PER_MINUTE),
                 "--time-scale", str(time_scale)),
    )  # fmt: skip
    ledger = run_dir / "ledger.sqlite3"
    with emulator.start() as running:
        settings = StageSettings(
            run_dir / "stages", mappings, f"sqlite:///{ledger}",
            graph=GraphEndpoint(running.graph_url, token="bench"),
            ru_per_minute=TENANT_RU_PER_MINUTE, window_seconds=60 / time_scale,
        )  # fmt: skip
        assert running.process is not None
        emulator_pid.append(running.process.pid)
        summary = pipeline.migrate([sample], settings)
        charged = running.charged("bench")
    for name, function in originals.items():
        setattr(pipeline, name, function)
    load = summary.load
    documents = summary.documents
    attachment_bytes = sum(e.attachment_bytes for e in summary.extracted)
    result = {
        "scale": scale, "documents": documents, "dxl_mb": round(dxl_bytes / 1e6),
        "attachments_gb": round(attachment_bytes / 1e9, 2),
        "rows": summary.rows, "held_back": summary.quarantined + load.items_quarantined,
        "items_created": load.items_created, "files_uploaded": load.files_uploaded,
        "stages": {
            name: {**entry, "docs_s": documents / entry["seconds"],
                   "mb_s": (dxl_bytes if name == "extract" else attachment_bytes)
                   / 1e6 / entry["seconds"]}
            for name, entry in stages.items()
        },
        "resource_units": load.resource_units,
        "budget_ratio": load.resource_units / stages["load"]["seconds"]
        / (TENANT_RU_PER_MINUTE * time_scale / 60),
        "requests": load.requests, "throttled": load.throttled,
        "emulator_units": charged["used"], "emulator_throttled": charged["throttled"],
        # Over the load alone: the share of a core the emulator needed to keep up with it.
        "emulator_cpu": stages["load"]["emulator_cpu"] / stages["load"]["seconds"],
        "loader_cpu": stages["load"]["cpu"] / stages["load"]["seconds"],
        "ledger_mb": round(_size(ledger) / 1e6, 1),
        "emulator_mb": round(_size(run_dir / "emulator") / 1e6),
        "tenant_hours": load.resource_units / TENANT_RU_PER_MINUTE / 60,
        "seconds": summary.seconds,
    }  # fmt: skip
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


def _progress(loaded: Any, seconds: float, time_scale: float) -> None:
    """One database's load, printed as it ends (a long run shows its figures as it goes)."""
    counts = loaded.counts
    ratio = counts.resource_units / seconds / (TENANT_RU_PER_MINUTE * time_scale / 60)
    print(f"  loaded {loaded.title}: {counts.items_created:,} items, {counts.files_uploaded:,} "
          f"files in {seconds:.0f} s; {counts.resource_units:,} RU = {ratio:.2f} of the budget; "
          f"throttled {counts.throttled:,} of {counts.requests:,}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[122, 1300])
    parser.add_argument("--time-scale", type=float, default=12.0)
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = [run(scale, args.time_scale, args.keep) for scale in args.scales]
    for r in results:
        print(f"scale {r['scale']}: {r['documents']:,} documents, {r['dxl_mb']:,} MB of DXL, "
              f"{r['attachments_gb']} GB of attachments; {r['rows']:,} rows, "
              f"{r['items_created']:,} items and {r['files_uploaded']:,} files loaded, "
              f"{r['held_back']:,} held back; {r['seconds'] / 60:.1f} min in all")  # fmt: skip
        print(f"  {'stage':<10}{'seconds':>9}{'docs/s':>9}{'MB/s':>9}{'peak RSS MiB':>14}"
              f"{'of it the stage MiB':>21}")  # fmt: skip
        for name, stage in r["stages"].items():
            print(f"  {name:<10}{stage['seconds']:>9.1f}{stage['docs_s']:>9.0f}"
                  f"{stage['mb_s']:>9.1f}{stage['peak_mib']:>14.0f}"
                  f"{stage['grew_mib']:>21.0f}")  # fmt: skip
        print(f"  load: {r['resource_units']:,} RU = {r['budget_ratio']:.2f} of the budget "
              f"(time scale {args.time_scale}); throttled {r['throttled']} of {r['requests']:,} "
              f"requests; CPU over the load: emulator {r['emulator_cpu']:.2f}, loader "
              f"{r['loader_cpu']:.2f} core-s/s; the emulator charged {r['emulator_units']:,} RU "
              f"and throttled {r['emulator_throttled']:,}")  # fmt: skip
        print(f"  ledger {r['ledger_mb']} MB, emulator {r['emulator_mb']:,} MB; against a "
              f"tenant at {TENANT_RU_PER_MINUTE:,} RU/min the load would take "
              f"{r['tenant_hours']:.1f} h of budget")  # fmt: skip
    (WORK / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    os.sync()


if __name__ == "__main__":
    main()
