"""Emulator throughput: list-item creates per second through $batch, throttling off.

The emulator runs in its own process (one core; it is single-threaded); four concurrent
senders post batches of 20 creates, each item with a unique indexed NotesUNID and a few typed
columns, as the loader will. Reported: items/s over the whole run, and the emulator process's
CPU seconds per wall second (near 1.0 means the emulator itself was the limit).
Usage: python bench/bench_emulator.py [--items N] [--senders N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from notesmig.emulator.server import EmulatorProcess

COLUMNS = [
    {"name": "NotesUNID", "indexed": True, "enforceUniqueValues": True, "text": {"maxLength": 32}},
    {"name": "Subject", "text": {}},
    {"name": "Amount", "number": {}},
    {"name": "Due", "dateTime": {}},
]


async def run(items: int, senders: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as folder,
        EmulatorProcess(Path(folder) / "data", options=("--ru-per-minute", "0")) as emulator,
    ):
        headers = {"Authorization": "Bearer bench"}
        async with httpx.AsyncClient(
            base_url=emulator.graph_url, headers=headers, timeout=60
        ) as client:
            site = (
                await client.get("/sites/contoso.sharepoint.com:/sites/notes-migration:")
            ).json()["id"]
            created = await client.post(
                f"/sites/{site}/lists", json={"displayName": "bench", "columns": COLUMNS}
            )
            url = f"/sites/{site}/lists/{created.json()['id']}/items"
            batches = [list(range(start, min(start + 20, items))) for start in range(0, items, 20)]
            queue: asyncio.Queue[list[int]] = asyncio.Queue()
            for batch in batches:
                queue.put_nowait(batch)
            failures = 0

            async def sender() -> None:
                nonlocal failures
                while not queue.empty():
                    batch = queue.get_nowait()
                    requests = [{
                        "id": str(n), "method": "POST", "url": url,
                        "headers": {"Content-Type": "application/json"},
                        "body": {"fields": {"NotesUNID": f"{n:032X}", "Subject": f"件名 {n}",
                                            "Amount": n * 100, "Due": "2025-06-30T09:00:00+09:00"}},
                    } for n in batch]  # fmt: skip
                    answer = await client.post("/$batch", json={"requests": requests})
                    failures += sum(r["status"] != 201 for r in answer.json()["responses"])

            process = psutil.Process(emulator.process.pid)  # type: ignore[union-attr]
            cpu_before = sum(process.cpu_times()[:2])
            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(senders)))
            seconds = time.perf_counter() - started
            cpu = sum(process.cpu_times()[:2]) - cpu_before
    return {"items": items, "seconds": round(seconds, 2), "items_per_s": round(items / seconds),
            "emulator_cpu_per_wall_s": round(cpu / seconds, 2), "failed": failures}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(run(args.items, args.senders))
    print(f"{result['items']} list items created through $batch in {result['seconds']} s: "
          f"{result['items_per_s']} items/s; emulator CPU {result['emulator_cpu_per_wall_s']} s per s; "
          f"failed {result['failed']}")  # fmt: skip
    out = Path(__file__).resolve().parents[1] / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "emulator.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
