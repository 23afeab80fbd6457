"""Start-up: how long a user waits before notesmig does anything, against a bare interpreter,
and how long Airflow takes to parse the DAG files, in one run.

Measured side by side, best of ``--repeat``, each a fresh process:
  python -c pass       the interpreter alone (the floor)
  notesmig --help      the command line's start-up (imports, the help page)
  notesmig inspect     start-up plus the smallest real command (a 1 KB DXL file)
  DAG files            each file in dags/ executed after ``airflow.sdk`` is imported (what the
                       DAG processor pays per file; Airflow's own import is printed apart)
Usage: python bench/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTESMIG = Path(sys.executable).with_name("notesmig")

_DAG_PARSE = """
import json, runpy, sys, time
started = time.perf_counter()
import airflow.sdk
imported = time.perf_counter() - started
times = {}
for path in sys.argv[1:]:
    started = time.perf_counter()
    runpy.run_path(path, run_name="dag_file")
    times[path] = time.perf_counter() - started
print(json.dumps({"airflow_sdk_import": imported, "files": times}))
"""


def _best(command: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        best = min(best, time.perf_counter() - started)
    return best


def _small_dxl(folder: Path) -> Path:
    path = folder / "one.dxl"
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<database xmlns='http://www.lotus.com/dxl' title='one' replicaid='0123456789ABCDEF'>"
        "<document form='Memo'><noteinfo noteid='8' unid='0123456789ABCDEF0123456789ABCDEF'>"
        "<created><datetime>20240401T091500,00+09</datetime></created></noteinfo>"
        "<item name='Subject'><text>一件</text></item></document></database>\n",
        encoding="utf-8",
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small = _small_dxl(Path(folder))
        bare = _best([sys.executable, "-c", "pass"], args.repeat)
        help_page = _best([str(NOTESMIG), "--help"], args.repeat)
        inspect = _best([str(NOTESMIG), "inspect", str(small)], args.repeat)
        env = {**os.environ, "AIRFLOW_HOME": folder, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "NOTESMIG_WORK": folder}  # fmt: skip
        dag_files = sorted(str(p) for p in (ROOT / "dags").glob("*.py"))
        parsed: dict[str, dict[str, float]] = {}
        for _ in range(min(args.repeat, 3)):
            done = subprocess.run(
                [sys.executable, "-c", _DAG_PARSE, *dag_files],
                check=True, capture_output=True, text=True, env=env,
            )  # fmt: skip
            run = json.loads(done.stdout.strip().splitlines()[-1])
            for key, value in [("airflow.sdk import", run["airflow_sdk_import"]),
                               *run["files"].items()]:  # fmt: skip
                parsed.setdefault(key, {"best": float("inf")})
                parsed[key]["best"] = min(parsed[key]["best"], value)
    print(f"{'measured':<36}{'best s':>9}{'over bare python s':>20}")
    print(f"{'python -c pass':<36}{bare:>9.3f}{0:>20.3f}")
    print(f"{'notesmig --help':<36}{help_page:>9.3f}{help_page - bare:>20.3f}")
    print(f"{'notesmig inspect (1 KB file)':<36}{inspect:>9.3f}{inspect - bare:>20.3f}")
    for key, value in parsed.items():
        print(f"{Path(key).name if key.endswith('.py') else key:<36}{value['best']:>9.3f}")
    figures = {"python": bare, "help": help_page, "inspect": inspect,
               "dag_parse": {Path(k).name: v["best"] for k, v in parsed.items()}}  # fmt: skip
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
