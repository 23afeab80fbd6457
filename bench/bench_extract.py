"""Extractor throughput and memory, against raw lxml iterparse on the same files, in one run.

Inputs (generated under build/bench/, reused when present):
  documents  real Domino documents: ../shared/dxl-real/plomino-test_100docs.xml repeated to
             about 100 MB, each copy's UNIDs renumbered (distinct documents, not merged copies);
             skipped, with the reason printed, when ../shared is absent
  small      the sample corpus at scale 1 (~12 MB: four databases, mostly attachments)
  medium     the sample corpus at scale 8 (~100 MB)
  large      one document holding a 1 GiB attachment (~1.4 GB of DXL)

Every measurement runs in its own subprocess, so its peak RSS is its own. Per input, in turn
and best of ``--repeat``:
  raw          lxml.etree.iterparse over every element, clearing each document as it ends
               (the baseline of "ratio")
  raw-kept     the same without clearing: the whole tree stays (this benchmark's baseline
               until 2026-12-01, "vs kept")
  raw-tag      iterparse asked for document elements only, clearing them (libxml2 alone
               builds the rest, "vs tag")
  in-process   notesmig.extract.extract() timed after its imports, writing to memory (tmpfs);
               a file of 4 MiB or more is read by a forked child (notesmig.dxl.source_process)
  one process  the same with every file read in the one process (the child turned off)
  command      ``notesmig extract`` as a user runs it, start-up included, writing to memory
  to disk      the extractor writing to the work disk, beside "copy s": the time to copy the
               extractor's own output files onto that disk (the disk's cost for those files)
Peak RSS: "extract peak" is the extractor's process plus its reading child (the sum of the two
peaks, so a bound on them together); "cmd peak" is the command's largest process.
Usage: python bench/bench_extract.py [--repeat N] [--skip-large] [--only NAME...]
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
REAL_DOCUMENTS = ROOT.parent / "shared" / "dxl-real" / "plomino-test_100docs.xml"
DOCUMENT_HEAVY_BYTES = 100_000_000
DOCUMENT = "{http://www.lotus.com/dxl}document"


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
                if element.tag == DOCUMENT:
                    documents += 1
                    element.clear()
    elif mode == "raw-kept":
        for path in files:
            for _event, element in etree.iterparse(str(path), huge_tree=True):
                if element.tag == DOCUMENT:
                    documents += 1
    elif mode == "raw-tag":
        for path in files:
            for _event, element in etree.iterparse(str(path), tag=DOCUMENT, huge_tree=True):
                documents += 1
                element.clear()
    elif mode == "command":
        out = Path(tempfile.mkdtemp(dir=MEMORY))
        notesmig = Path(sys.executable).with_name("notesmig")
        started = time.perf_counter()
        subprocess.run(
            [str(notesmig), "extract", *map(str, files), "--out", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        documents = json.loads((out / "summary.json").read_text())["totals"]["documents"]
        shutil.rmtree(out)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({"seconds": seconds, "documents": documents, "peak_kib": peak_kib}))
        return
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
        if mode == "extract-single":
            from notesmig.dxl import source_process

            source_process.MIN_BYTES = 1 << 62
        out = Path(tempfile.mkdtemp(dir=WORK if mode == "extract-disk" else MEMORY))
        try:
            documents = extract(files, out).documents
        finally:
            shutil.rmtree(out)
    seconds = time.perf_counter() - started
    # This process and its reading child (the sum of their peaks: a bound on the two together).
    peak_kib = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
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
    heavy = WORK / "document-heavy.dxl"
    if REAL_DOCUMENTS.is_file():
        if not heavy.exists():
            write_real_documents(REAL_DOCUMENTS, heavy)
        inputs["documents"] = [heavy]
    else:
        print(f"documents: skipped, {REAL_DOCUMENTS} is absent (the real exports are in ../shared)")
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


def write_real_documents(source: Path, path: Path, copies: int | None = None) -> None:
    """The real export's documents repeated after its design notes (``copies`` times, or to
    about 100 MB); copy N has every UNID's last eight digits replaced by N in hex (the design
    notes stay once)."""
    import re

    text = source.read_text(encoding="utf-8")
    start = text.index("<document ")
    end = text.rindex("</document>") + len("</document>")
    body = text[start:end]
    copies = copies or max(1, DOCUMENT_HEAVY_BYTES // len(body.encode("utf-8")))
    unid = re.compile(r"unid='([0-9A-F]{24})[0-9A-F]{8}'")
    partial = path.with_suffix(".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("w", encoding="utf-8") as sink:
        sink.write(text[:start])
        for copy in range(copies):
            sink.write(unid.sub(rf"unid='\g<1>{copy:08X}'", body) + "\n")
        sink.write(text[end:])
    partial.rename(path)


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
    parser.add_argument("--only", nargs="+", help="inputs to measure (default: all)")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1:])
        return
    rows = []
    in_memory = MEMORY.is_dir()
    modes = ["raw", "raw-kept", "raw-tag", "extract-disk", "disk-write"] + (
        ["extract-memory", "extract-single", "command"] if in_memory else []
    )
    for name, files in _inputs(args.skip_large).items():
        if args.only and name not in args.only:
            continue
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

        def ratio(mode: str, raw: float | None) -> float | None:
            value = mb_s(mode)
            return round(value / raw, 2) if value and raw else None

        raw = mb_s("raw")
        main = "extract-memory" if "extract-memory" in best else "extract-disk"
        rows.append({
            "input": name, "mb": round(size / 1e6, 1), "documents": int(best[main]["documents"]),
            "raw_mb_s": raw, "raw_kept_mb_s": mb_s("raw-kept"), "raw_tag_mb_s": mb_s("raw-tag"),
            "kept_ratio": ratio("extract-memory", mb_s("raw-kept")),
            "extract_memory_mb_s": mb_s("extract-memory"), "ratio": ratio("extract-memory", raw),
            "single_mb_s": mb_s("extract-single"), "single_ratio": ratio("extract-single", raw),
            "command_mb_s": mb_s("command"), "command_ratio": ratio("command", raw),
            "tag_ratio": ratio("extract-memory", mb_s("raw-tag")),
            "extract_disk_mb_s": mb_s("extract-disk"), "disk_ratio": ratio("extract-disk", raw),
            "extract_disk_s": round(best["extract-disk"]["seconds"], 2),
            "copy_output_s": round(best["disk-write"]["seconds"], 2) if "disk-write" in best else None,
            "extract_docs_s": round(best[main]["documents"] / best[main]["seconds"]),
            "raw_peak_mib": round(peaks["raw"] / 1024) if "raw" in peaks else None,
            "refused": refused,
            "extract_peak_mib": round(max(peaks.get("extract-disk", 0),
                                          peaks.get("extract-memory", 0)) / 1024),
            "command_peak_mib": round(peaks["command"] / 1024) if "command" in peaks else None,
        })  # fmt: skip
    columns = [
        ("input", "input", 10), ("mb", "MB", 8), ("documents", "docs", 7),
        ("raw_mb_s", "raw MB/s", 10), ("raw_kept_mb_s", "kept MB/s", 10),
        ("raw_tag_mb_s", "tag MB/s", 10),
        ("extract_memory_mb_s", "in-process MB/s", 16), ("ratio", "ratio", 7),
        ("kept_ratio", "vs kept", 8), ("tag_ratio", "vs tag", 7),
        ("single_mb_s", "1-proc MB/s", 12), ("single_ratio", "1-proc", 7),
        ("command_mb_s", "command MB/s", 13), ("command_ratio", "cmd ratio", 10),
        ("extract_disk_mb_s", "to disk MB/s", 13), ("disk_ratio", "disk ratio", 11),
        ("extract_disk_s", "to disk s", 10), ("copy_output_s", "copy s", 8),
        ("extract_docs_s", "docs/s", 8),
        ("raw_peak_mib", "raw peak MiB", 13), ("extract_peak_mib", "extract peak MiB", 17),
        ("command_peak_mib", "cmd peak MiB", 13),
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
