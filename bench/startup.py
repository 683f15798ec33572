"""Benchmark: ``kdsl check`` of a small spec and CSV as a whole process, against ``python -c "import numpy"``.

    PYTHONPATH=. python bench/startup.py [--old /tmp/kdsl-fbfbe71]

Both run as fresh processes, alternating, ``--repeat`` times each (with
``--old``, the older checkout's ``kdsl check`` joins the rotation). Byte
code is compiled first (``compileall``), as an installed package has it.
The spec declares two variables, reads a 3-row CSV file and states one
hypothesis of tables.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, command_line, machine, median, process_env


def timed_process(args: list[str], cwd: Path, pythonpath: Path | None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, env=process_env(pythonpath), check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, help="a checkout of an older commit, timed too")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    print("Start-up: kdsl check of a small spec as a whole process, against a bare numpy import")
    print(machine(["numpy"]))
    print(f"command: {command_line()}")
    checkouts = {"kdsl check (this checkout)": ROOT}
    if args.old:
        checkouts[f"kdsl check ({args.old.name})"] = args.old
    for checkout in checkouts.values():
        compileall.compile_dir(checkout / "kdsl", quiet=1)
    times: dict[str, list[float]] = {"python -c 'import numpy'": [], **{name: [] for name in checkouts}}
    loads = []
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        (cwd / "d.csv").write_text("X,Y\n0,1\n1,0\n1,1\n")
        (cwd / "s.kdsl").write_text('var X in 0..1\nvar Y in 0..1\nenv a from "d.csv"\n'
                                    "hypothesis h {\n    X ~ table\n    Y ~ table(X)\n}\n")
        timed_process(["-c", "import numpy"], cwd, None)  # warm the file cache
        for _ in range(args.repeat):
            times["python -c 'import numpy'"].append(timed_process(["-c", "import numpy"], cwd, None))
            for name, checkout in checkouts.items():
                times[name].append(timed_process(["-m", "kdsl.cli", "check", "s.kdsl"], cwd, checkout))
            loads.append(os.getloadavg()[0])
    base = median(times["python -c 'import numpy'"])
    print("| process | median (s) | ratio to numpy | load average (min-max) |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {median(values):.3f} | {median(values) / base:.1f}x | {min(loads):.2f}-{max(loads):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
