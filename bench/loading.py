"""Benchmark: loading CSV files in-process, kdsl against ``pandas.read_csv`` on the same files.

    PYTHONPATH=. python bench/loading.py                 # 1,000,000 rows x 10 variables x 4 environments (~20 s)
    PYTHONPATH=. python bench/loading.py --rows 100000   # smaller

Four files of ``rows / 4`` rows each (one environment each, ``env eN from
"eN.csv"``), 10 integer columns with values 0..2. kdsl's time is
``kdsl.load`` of the spec (parse, check, read, convert and domain-check
every cell); pandas' is ``read_csv`` of the four files. Runs alternate,
``--repeat`` times each; the table gives medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import command_line, machine, median

import kdsl


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--vars", type=int, default=10)
    ap.add_argument("--envs", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    import pandas as pd

    print("Loading CSV: kdsl.load against pandas.read_csv, same files, alternating runs")
    print(machine(["kdsl", "numpy", "pandas"]))
    print(f"command: {command_line()}")
    rng = np.random.default_rng(0)
    names = [f"X{i}" for i in range(args.vars)]
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for e in range(args.envs):
            values = rng.integers(0, 3, size=(args.rows // args.envs, args.vars))
            path = Path(folder) / f"e{e}.csv"
            np.savetxt(path, values, fmt="%d", delimiter=",", header=",".join(names), comments="")
            files.append(path)
        spec = Path(folder) / "spec.kdsl"
        spec.write_text("\n".join(f"var {n} in 0..2" for n in names) + "\n"
                        + "".join(f'env e{e} from "e{e}.csv"\n' for e in range(args.envs)))
        times: dict[str, list[float]] = {"kdsl": [], "pandas": []}
        for _ in range(args.repeat):
            start = time.perf_counter()
            bound = kdsl.load(spec)
            times["kdsl"].append(time.perf_counter() - start)
            start = time.perf_counter()
            frames = [pd.read_csv(path) for path in files]
            times["pandas"].append(time.perf_counter() - start)
        assert sum(e.rows for e in bound.environments) == sum(len(f) for f in frames)
        assert all((bound.environments[e].columns["X0"] == frames[e]["X0"].to_numpy()).all() for e in range(args.envs))
    k, p = median(times["kdsl"]), median(times["pandas"])
    print("| rows | variables | environments | kdsl.load (s) | pandas.read_csv (s) | ratio | load average |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {args.rows:,} | {args.vars} | {args.envs} | {k:.2f} | {p:.2f} | {k / p:.2f}x | {os.getloadavg()[0]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
