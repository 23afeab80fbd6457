"""Transform memory and speed as the number of documents grows, in one run.

Real Domino documents (``../shared/dxl-real/plomino-test_100docs.xml``, its 100 documents
repeated with renumbered UNIDs) at 10,000 and 100,000 documents are extracted once, mapped by
``map suggest``, then transformed into a SQLite ledger, each run in its own process for its own
peak RSS:
  streamed    the stage as the pipeline runs it (``run_transform``: one document at a time,
              outcomes recorded in the ledger in batches)
  in memory   every document read into a list first and ``Transformer.transform`` over it (the
              way the stage worked before it streamed), for contrast; ``--skip-in-memory`` to leave
              it out
Usage: python bench/bench_transform.py [--sizes 10000 100000] [--skip-in-memory]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_extract import REAL_DOCUMENTS, write_real_documents

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench" / "transform"


def _child(mode: str, extract_dir: Path, mapping: Path) -> None:
    from notesmig.ledger import Ledger
    from notesmig.mapping.loader import load_mapping
    from notesmig.transform.documents import Transformer
    from notesmig.transform.stage import read_documents, run_transform

    loaded = load_mapping(mapping)
    mappings = {loaded.replica_id: loaded}
    with tempfile.TemporaryDirectory(dir=WORK) as folder:
        started = time.perf_counter()
        if mode == "streamed":
            ledger = Ledger(f"sqlite:///{Path(folder) / 'ledger.sqlite3'}")
            ledger.upgrade()
            outcome = run_transform(extract_dir, mappings, Path(folder) / "out", ledger)
            ledger.close()
            rows = outcome.rows
        else:
            result = Transformer(mappings).transform(list(read_documents(extract_dir)))
            rows = len(result.rows)
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_kib": peak_kib}))


def _prepare(documents: int) -> tuple[Path, Path]:
    from notesmig.extract import extract
    from notesmig.mapping.suggest import suggest

    folder = WORK / f"docs-{documents}"
    extract_dir = folder / "extract"
    mapping = folder / "mapping.yaml"
    if not (extract_dir / "summary.json").is_file():
        dxl = folder / "documents.dxl"
        write_real_documents(REAL_DOCUMENTS, dxl, copies=documents // 100)
        extract([dxl], extract_dir)
        mapping.write_text(suggest(dxl).yaml, encoding="utf-8")
        dxl.unlink()  # the extract is what the transform reads
    return extract_dir, mapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip-in-memory", action="store_true")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    if not REAL_DOCUMENTS.is_file():
        print(f"skipped: {REAL_DOCUMENTS} is absent (the real exports are in ../shared)")
        return
    WORK.mkdir(parents=True, exist_ok=True)
    modes = ["streamed"] + ([] if args.skip_in_memory else ["in-memory"])
    rows = []
    for documents in args.sizes:
        extract_dir, mapping = _prepare(documents)
        for mode in modes:
            done = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(extract_dir), str(mapping)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"documents": documents, "mode": mode, "rows": result["rows"],
                         "seconds": round(result["seconds"], 1),
                         "docs_s": round(documents / result["seconds"]),
                         "peak_mib": round(result["peak_kib"] / 1024)})  # fmt: skip
    print(f"{'documents':>10}{'mode':>11}{'rows':>9}{'seconds':>9}{'docs/s':>8}{'peak MiB':>10}")
    for row in rows:
        print(f"{row['documents']:>10}{row['mode']:>11}{row['rows']:>9}{row['seconds']:>9}"
              f"{row['docs_s']:>8}{row['peak_mib']:>10}")  # fmt: skip
    (WORK / "transform.json").write_text(json.dumps(rows, indent=2) + "\n")
    shutil.rmtree(WORK / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
