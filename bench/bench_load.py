"""Load throughput under SharePoint's resource-unit budget, against a naive loader, in one run.

The emulator, in its own process, enforces a budget of --ru-per-minute units per minute,
time-compressed by --time-scale (at 30 a budget minute lasts 2 s). notesmig's loader spends
its own budget just under that; the naive loader posts one item at a time through the SDK with
its defaults (its retry handler waits out every 429). Both load the same transformed sample
items into a fresh emulator each; notesmig then also loads the sample's attachments (small
files several at once) for the MB/s figure. The CPU each process used per second of the run
is printed, so a reader can see the budget, not the emulator, is the limit.
Usage: python bench/bench_load.py [--scale N] [--ru-per-minute N] [--time-scale X]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_item import ListItem

from notesmig.emulator.server import EmulatorProcess
from notesmig.mapping.suggest import suggest
from notesmig.pipeline import StageSettings, discover_databases
from notesmig.pipeline.stages import extract_database, load_database, transform_database
from notesmig.records import ExtractedDatabase, ItemRow, LoadCounts, read_records
from notesmig.sample.corpus import generate
from notesmig.sharepoint.budget import ResourceBudget
from notesmig.sharepoint.client import GraphEndpoint, graph_client
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.provision import Provisioner, list_columns

ROOT = Path(__file__).resolve().parents[1]


def prepare(work: Path, scale: int) -> tuple[Path, Path, list[ExtractedDatabase]]:
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
    settings = StageSettings(work / "stages", mappings, f"sqlite:///{work / 'prep.sqlite3'}")
    extracted = [extract_database(d, settings) for d in discover_databases([sample])]
    return sample, mappings, extracted


def cpu_seconds(pid: int) -> float:
    """CPU time a process (and its waited-for children) used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


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
    mappings: Path,
    extracted: list[ExtractedDatabase],
    sample: Path,
    ru: int,
    scale: float,
    with_files: bool,
) -> dict[str, float]:
    with emulator(work, name, sample, ru, scale) as running:
        settings = StageSettings(
            work / f"{name}-stages",
            mappings,
            f"sqlite:///{work / f'{name}.sqlite3'}",
            graph=GraphEndpoint(running.graph_url, token="bench"),
            ru_per_minute=ru,
            window_seconds=60 / scale,
        )
        transformed = [transform_database(e, settings)[0] for e in extracted]
        if not with_files:
            for t in transformed:
                (Path(t.transform_dir) / "files.jsonl").write_text("")
        time.sleep(60 / scale)  # start with a full budget window on both sides
        assert running.process is not None
        emulator_cpu = cpu_seconds(running.process.pid)
        loader_cpu = time.process_time()
        started = time.perf_counter()
        counts = [load_database(t, settings).counts for t in transformed]
        seconds = time.perf_counter() - started
        emulator_cpu = cpu_seconds(running.process.pid) - emulator_cpu
        loader_cpu = time.process_time() - loader_cpu
        charged = running.charged("bench")
    total = LoadCounts(
        **{
            k: sum(getattr(c, k) for c in counts)
            for k in LoadCounts.model_fields
            if k != "unknown_people"
        }
    )
    budget_per_s = ru * scale / 60
    return {
        "items": total.items_created,
        "seconds": seconds,
        "items_per_s": total.items_created / seconds,
        "mb_per_s": total.bytes_uploaded / 1e6 / seconds,
        "ru_per_s": total.resource_units / seconds,
        "budget_ratio": total.resource_units / seconds / budget_per_s,
        "requests": total.requests,
        "throttled": total.throttled,
        "throttled_share": total.throttled / max(1, total.requests),
        # What the emulator charged, beside what the loader believes it spent.
        "emulator_units": charged["used"],
        "emulator_throttled": charged["throttled"],
        "loader_units": total.resource_units,
        # CPU seconds per second: 1.0 is one core busy the whole time (2 cores here).
        "emulator_cpu": emulator_cpu / seconds,
        "loader_cpu": loader_cpu / seconds,
    }


def naive(work: Path, mappings_dir: Path, sample: Path, ru: int, scale: float) -> dict[str, float]:
    settings = StageSettings(work / "ours-stages", mappings_dir, "sqlite://")
    mappings = settings.load_mappings()
    rows = [
        (row.list, row)
        for path in sorted(settings.work.glob("*/transformed/items/*.jsonl"))
        for row in read_records(path, ItemRow)
    ]
    with emulator(work, "naive", sample, ru, scale) as running:

        async def run() -> float:
            client, adapter = graph_client(running.graph_url, "bench")
            provisioner = Provisioner(Graph(adapter, ResourceBudget(0)))
            site = await provisioner.site(next(iter(mappings.values())).site)
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
                    for k, v in row.fields.items()
                    if k in target.columns
                    and v is not None
                    and target.columns[k].facet not in ("personOrGroup", "hyperlinkOrPicture")
                }
                await (
                    client.sites.by_site_id(site.id)
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
        sample, mappings, extracted = prepare(work, args.scale)
        items = ours(work, "ours", mappings, extracted, sample, args.ru_per_minute,
                     args.time_scale, False)  # fmt: skip
        files = ours(work, "files", mappings, extracted, sample, args.ru_per_minute,
                     args.time_scale, True)  # fmt: skip
        plain = naive(work, mappings, sample, args.ru_per_minute, args.time_scale)
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
        f"notesmig with attachments: {files['items']} items, {files['mb_per_s']:.1f} MB/s, "
        f"{files['budget_ratio']:.2f} of the budget, throttled {files['throttled_share']:.1%}"
    )
    for name, run in (("items", items), ("with attachments", files)):
        print(
            f"units ({name}): the loader spent {run['loader_units']:,.0f} RU, the emulator "
            f"charged {run['emulator_units']:,.0f} and throttled {run['emulator_throttled']:.0f}"
        )
        print(
            f"CPU ({name}): emulator {run['emulator_cpu']:.2f}, loader {run['loader_cpu']:.2f} "
            "core-seconds per second (below 1.0 each: the budget, not a process, sets the pace)"
        )
    print(
        f"naive (one POST per item, sequential, SDK defaults): {plain['items']} items in {plain['seconds']:.1f} s "
        f"= {plain['items_per_s']:.1f} items/s"
    )
    print(
        f"notesmig / naive: {items['items_per_s'] / plain['items_per_s']:.1f}x items/s; notesmig "
        f"also writes authorship and permissions ({items['requests'] / items['items']:.1f} "
        "requests per item against the naive loader's 1) and is held to the budget, while the "
        "naive loader is held only by the emulator's round trips (a few ms here)"
    )
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
