"""Load throughput under SharePoint's resource-unit budget, against a naive loader, in one run.

The emulator enforces a budget of --ru-per-minute units per minute, time-compressed by
--time-scale (at 30 a budget minute lasts 2 s). notesmig's loader spends its own budget just
under that; the naive loader posts one item at a time through the SDK with its defaults
(its retry handler waits out every 429). Both load the same transformed sample items into a
fresh emulator each; notesmig then also loads the sample's attachments for the MB/s figure.
Usage: python bench/bench_load.py [--scale N] [--ru-per-minute N] [--time-scale X]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem

from notesmig.emulator.server import EmulatorProcess
from notesmig.extract import extract
from notesmig.ledger import Ledger
from notesmig.mapping import load_mappings
from notesmig.mapping.suggest import suggest
from notesmig.pipeline import load
from notesmig.sample.corpus import generate
from notesmig.sharepoint.client import graph_client
from notesmig.sharepoint.graph import Graph, ResourceBudget
from notesmig.sharepoint.provision import Provisioner, list_columns
from notesmig.transform.stage import run_transform

ROOT = Path(__file__).resolve().parents[1]


def prepare(work: Path, scale: int) -> tuple[Path, Path, Path, dict[str, Any]]:
    sample = work / "sample"
    generate(sample, scale=scale, seed=2025)
    mappings = work / "mappings"
    mappings.mkdir()
    (mappings / "users.csv").write_bytes((sample / "users.csv").read_bytes())
    for path in sorted(sample.glob("*.dxl")):
        text = suggest(path).yaml.replace("  # file: users.csv", "  file: users.csv  #")
        (mappings / f"{path.stem}.yaml").write_text(
            text.replace("readers: hold", "readers: restrict"), encoding="utf-8"
        )
    extract(sorted(sample.glob("*.dxl")), work / "extract")
    loaded = load_mappings(mappings)
    ledger = Ledger(f"sqlite:///{work / 'prep.sqlite3'}")
    ledger.upgrade()
    run_transform(work / "extract", loaded, work / "transformed", ledger)
    ledger.close()
    return sample, work / "extract", work / "transformed", loaded


def emulator(work: Path, name: str, sample: Path, ru: int, scale: float) -> EmulatorProcess:
    return EmulatorProcess(
        work / name,
        options=(
            "--users",
            str(sample / "users.csv"),
            "--ru-per-minute",
            str(ru),
            "--time-scale",
            str(scale),
        ),
    ).start()


def ours(
    work: Path,
    name: str,
    extract_dir: Path,
    transformed: Path,
    mappings: dict[str, Any],
    sample: Path,
    ru: int,
    scale: float,
    with_files: bool,
) -> dict[str, float]:
    source = transformed
    if not with_files:
        source = work / f"{name}-items-only"
        shutil.copytree(transformed, source)
        (source / "files.jsonl").write_text("")
    ledger = Ledger(f"sqlite:///{work / f'{name}.sqlite3'}")
    ledger.upgrade()
    # The ledger must know the documents: replay the transform records into this fresh ledger.
    run_transform(extract_dir, mappings, work / f"{name}-t", ledger)
    with emulator(work, name, sample, ru, scale) as running:
        time.sleep(60 / scale)  # start with a full budget window on both sides
        started = time.perf_counter()
        summary, stats, units = asyncio.run(
            load(
                extract_dir,
                source,
                mappings,
                ledger,
                running.graph_url,
                "bench",
                ru,
                window_seconds=60 / scale,
            )
        )
        seconds = time.perf_counter() - started
    ledger.close()
    budget_per_s = ru * scale / 60
    return {
        "items": summary.items_created,
        "seconds": seconds,
        "items_per_s": summary.items_created / seconds,
        "mb_per_s": summary.bytes_uploaded / 1e6 / seconds,
        "ru_per_s": units / seconds,
        "budget_ratio": units / seconds / budget_per_s,
        "requests": stats.requests + stats.writes,
        "throttled": stats.throttled,
        "throttled_share": stats.throttled / max(1, stats.requests + stats.writes),
    }


def naive(
    work: Path, transformed: Path, mappings: dict[str, Any], sample: Path, ru: int, scale: float
) -> dict[str, float]:
    rows = []
    for path in sorted((transformed / "items").glob("*.jsonl")):
        rows += [
            (path.stem, json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
        ]
    with emulator(work, "naive", sample, ru, scale) as running:

        async def run() -> float:
            client, adapter = graph_client(running.graph_url, "bench")
            provisioner = Provisioner(Graph(adapter, ResourceBudget(0)))
            site = await provisioner.site_id(next(iter(mappings.values())).site)
            targets = {}
            for mapping in mappings.values():
                for title in {f.list for f in mapping.forms.values()}:
                    target = await provisioner.ensure(
                        site, title, "genericList", list_columns(mapping, title)
                    )
                    targets[title] = target
            time.sleep(60 / scale)
            started = time.perf_counter()
            for title, row in rows:  # one POST per item, in order, the SDK's defaults
                target = targets[title]
                fields = {
                    k: v
                    for k, v in row["fields"].items()
                    if k in target.columns
                    and v is not None
                    and target.columns[k] != "personOrGroup"
                }
                await (
                    client.sites.by_site_id(site)
                    .lists.by_list_id(target.id)
                    .items.post(ListItem(fields=FieldValueSet(additional_data=fields)))
                )
            return time.perf_counter() - started

        seconds = asyncio.run(run())
    return {"items": len(rows), "seconds": seconds, "items_per_s": len(rows) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=6)
    parser.add_argument("--ru-per-minute", type=int, default=1_200)
    parser.add_argument("--time-scale", type=float, default=30.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        sample, extract_dir, transformed, mappings = prepare(work, args.scale)
        items = ours(
            work,
            "ours",
            extract_dir,
            transformed,
            mappings,
            sample,
            args.ru_per_minute,
            args.time_scale,
            False,
        )
        files = ours(
            work,
            "files",
            extract_dir,
            transformed,
            mappings,
            sample,
            args.ru_per_minute,
            args.time_scale,
            True,
        )
        plain = naive(work, transformed, mappings, sample, args.ru_per_minute, args.time_scale)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    budget = args.ru_per_minute * args.time_scale / 60
    print(f"budget {args.ru_per_minute} RU/min at time scale {args.time_scale} = {budget:.0f} RU/s")
    print(
        f"notesmig: {items['items']} items in {items['seconds']:.1f} s = {items['items_per_s']:.1f} items/s; "
        f"{items['ru_per_s']:.0f} RU/s = {items['budget_ratio']:.2f} of the budget; "
        f"throttled {items['throttled']:.0f} of {items['requests']:.0f} requests ({items['throttled_share']:.1%})"
    )
    print(
        f"notesmig with attachments: {files['mb_per_s']:.1f} MB/s, {files['budget_ratio']:.2f} of the budget, "
        f"throttled {files['throttled_share']:.1%}"
    )
    print(
        f"naive (one POST per item, sequential, SDK defaults): {plain['items']} items in {plain['seconds']:.1f} s "
        f"= {plain['items_per_s']:.1f} items/s"
    )
    print(f"notesmig / naive: {items['items_per_s'] / plain['items_per_s']:.1f}x")
    (ROOT / "build" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "bench" / "load.json").write_text(
        json.dumps(
            {"budget_ru_per_s": budget, "ours": items, "with_files": files, "naive": plain},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
