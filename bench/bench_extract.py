"""Extractor throughput and memory, against raw lxml iterparse on the same files, in one run.

Inputs (generated under build/bench/, reused when present):
  small   the sample corpus at scale 1 (~12 MB: four databases, mostly attachments)
  medium  the sample corpus at scale 8 (~100 MB)
  large   one document holding a 1 GiB attachment (~1.4 GB of DXL)

Every measurement runs in its own subprocess, so its peak RSS is its own. For each input the
raw parse and the full extractor (documents.jsonl + blobs + summary) run alternately, best of
``--repeat``. The extractor writes its output twice over: to memory (tmpfs, /dev/shm), which
measures the extractor, and to the work disk, which also measures the disk. Raw iterparse
writes nothing, so "ratio" compares it with the in-memory run; "disk ratio" shows what this
machine's disk allows, next to "copy s": the time to copy the extractor's own output files
onto that disk with shutil.copytree, i.e. the disk's cost for those files alone.
Usage: python bench/bench_extract.py [--repeat N] [--skip-large]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench"
LARGE_ATTACHMENT = 1 << 30


MEMORY = Path("/dev/shm")


def _child(mode: str, paths: list[str]) -> None:
    from lxml import etree

    from notesmig.extract import extract

    files = [Path(p) for p in paths]
    started = time.perf_counter()  # after imports: both sides are timed on their work alone
    documents = 0
    if mode == "raw":
        for path in files:
            for _event, element in etree.iterparse(str(path), huge_tree=True):
                if element.tag == "{http://www.lotus.com/dxl}document":
                    documents += 1
    elif mode == "disk-write":
        # The extractor's own output files, copied plainly onto the work disk: what the disk
        # itself costs for that many files and bytes.

        memory_out = Path(tempfile.mkdtemp(dir=MEMORY))
        disk_out = Path(tempfile.mkdtemp(dir=WORK)) / "copy"
        extract(files, memory_out)
        started = time.perf_counter()
        shutil.copytree(memory_out, disk_out)
        seconds = time.perf_counter() - started
        shutil.rmtree(memory_out)
        shutil.rmtree(disk_out.parent)
        print(json.dumps({"seconds": seconds, "documents": 0, "peak_kib": 0}))
        return
    else:
        out = Path(tempfile.mkdtemp(dir=MEMORY if mode == "extract-memory" else WORK))
        try:
            documents = extract(files, out).documents
        finally:
            shutil.rmtree(out)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "documents": documents, "peak_kib": peak_kib}))


class Refused(Exception):
    """The measured program could not process the input at all (its last error line)."""


def _measure(mode: str, files: list[Path]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Refused(done.stderr.strip().splitlines()[-1])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _inputs(skip_large: bool) -> dict[str, list[Path]]:
    from notesmig.sample.corpus import generate

    WORK.mkdir(parents=True, exist_ok=True)
    inputs = {}
    for name, scale in (("small", 1), ("medium", 8)):
        folder = WORK / f"{name}-scale{scale}"
        if not (folder / "genmen.dxl").exists():
            generate(folder, scale=scale, seed=2025)
        inputs[name] = sorted(folder.glob("*.dxl"))
    if not skip_large:
        large = WORK / "large-attachment.dxl"
        if not large.exists():
            _write_large(large)
        inputs["large"] = [large]
    return inputs


def _write_large(path: Path) -> None:
    """One document with a 1 GiB attachment, base64 streamed out in 76-character lines."""
    import base64

    block = os.urandom(57 * 1024 * 16)  # a multiple of 57 bytes: whole base64 lines per block
    head = (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<database xmlns='http://www.lotus.com/dxl' title='large' replicaid='0123456789ABCDEF'>\n"
        "<document form='Big'><noteinfo noteid='1' unid='00000000000000000000000000000001'>"
        "<created><datetime>20240401T091500,00+09</datetime></created></noteinfo>\n"
        "<item name='$FILE'><object><file hosttype='msdos' compression='none' name='big.bin' "
        f"size='{LARGE_ATTACHMENT}'><created><datetime>20240401T091500,00+09</datetime></created>"
        "<modified><datetime>20240401T091500,00+09</datetime></modified><filedata>\n"
    )
    with path.open("wb") as sink:
        sink.write(head.encode())
        written = 0
        while written < LARGE_ATTACHMENT:
            piece = block[: LARGE_ATTACHMENT - written]
            sink.write(base64.encodebytes(piece))
            written += len(piece)
        sink.write(b"</filedata></file></object></item></document>\n</database>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1:])
        return
    rows = []
    in_memory = MEMORY.is_dir()
    modes = ["raw", "extract-disk", "disk-write"] + (["extract-memory"] if in_memory else [])
    for name, files in _inputs(args.skip_large).items():
        size = sum(p.stat().st_size for p in files)
        repeat = 1 if name == "large" else args.repeat
        run_modes = ["raw", "extract-disk"] if name == "large" else modes
        best: dict[str, dict[str, float]] = {}
        peaks: dict[str, float] = {}
        refused: dict[str, str] = {}
        with contextlib.suppress(Refused):
            _measure("raw", files)  # warm the page cache so every run reads from memory
        for _ in range(repeat):
            for mode in run_modes:
                if mode in refused:
                    continue
                try:
                    result = _measure(mode, files)
                except Refused as exc:
                    refused[mode] = str(exc)
                    continue
                peaks[mode] = max(peaks.get(mode, 0), result["peak_kib"])
                if mode not in best or result["seconds"] < best[mode]["seconds"]:
                    best[mode] = result

        def mb_s(
            mode: str, size: int = size, best: dict[str, dict[str, float]] = best
        ) -> float | None:
            return round(size / 1e6 / best[mode]["seconds"], 1) if mode in best else None

        raw = mb_s("raw")
        memory, disk = mb_s("extract-memory"), mb_s("extract-disk")
        main = "extract-memory" if "extract-memory" in best else "extract-disk"
        rows.append({
            "input": name, "mb": round(size / 1e6, 1), "documents": int(best[main]["documents"]),
            "raw_mb_s": raw, "extract_memory_mb_s": memory,
            "ratio": round(memory / raw, 2) if memory and raw else None,
            "extract_disk_mb_s": disk, "disk_ratio": round(disk / raw, 2) if disk and raw else None,
            "extract_disk_s": round(best["extract-disk"]["seconds"], 2),
            "copy_output_s": round(best["disk-write"]["seconds"], 2) if "disk-write" in best else None,
            "extract_docs_s": round(best[main]["documents"] / best[main]["seconds"]),
            "raw_peak_mib": round(peaks["raw"] / 1024) if "raw" in peaks else None,
            "refused": refused,
            "extract_peak_mib": round(max(peaks.get("extract-disk", 0),
                                          peaks.get("extract-memory", 0)) / 1024),
        })  # fmt: skip
    columns = [
        ("input", "input", 7), ("mb", "MB", 8), ("documents", "docs", 6), ("raw_mb_s", "raw MB/s", 10),
        ("extract_memory_mb_s", "extract MB/s", 13), ("ratio", "ratio", 7),
        ("extract_disk_mb_s", "to disk MB/s", 13), ("disk_ratio", "disk ratio", 11),
        ("extract_disk_s", "to disk s", 10), ("copy_output_s", "copy s", 8),
        ("extract_docs_s", "docs/s", 8),
        ("raw_peak_mib", "raw peak MiB", 13), ("extract_peak_mib", "extract peak MiB", 17),
    ]  # fmt: skip
    print("".join(f"{title:>{width}}" for _key, title, width in columns))
    for row in rows:
        print("".join(f"{'-' if row[key] is None else row[key]!s:>{width}}"
                      for key, _title, width in columns))  # fmt: skip
    for row in rows:
        for mode, reason in row["refused"].items():  # type: ignore[attr-defined]
            print(f"{row['input']}: {mode} could not process the input: {reason}")
    (WORK / "extract.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
