"""Benchmark: count tables for every (variable, parent set of at most 2), against the count before issue #12.

    PYTHONPATH=. python bench/counting.py          # 10 variables x 4 environments x 250,000 rows: 460 tables

The workload of a search with ``graphs max_parents 2`` over 10 variables
with 3 values: each variable given each parent set of 0, 1 or 2 of the other
9 (1 + 9 + 36 = 46 sets, 460 tables). ``before`` is the count of commit
fbfbe71 (one ``bincount`` per table over an int64 index built from int64
codes), written out here; ``now`` is :func:`kdsl.mechanisms.tables.count_tables` on a
freshly bound model each run (so its shared joint counts start empty).
Runs alternate; every table must be identical.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

import numpy as np
from _common import command_line, machine, median, ratio_row

import kdsl
from kdsl.mechanisms.tables import count_tables


def count_before(bound, child, parents):
    """The count of commit fbfbe71 (no symmetry): one int64 index and one bincount per table."""
    index, j_total = bound.environment_index(), 1
    for var in parents:
        index, j_total = index * var.size + bound.codes(var.name), j_total * var.size
    pooled = np.bincount(index * child.size + bound.codes(child.name),
                         minlength=len(bound.environments) * j_total * child.size)
    return pooled.reshape(len(bound.environments), j_total, child.size).astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, default=10)
    ap.add_argument("--envs", type=int, default=4)
    ap.add_argument("--rows", type=int, default=250_000, help="rows per environment")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print("Counting: every table of a max-2-parent search, now against before issue #12")
    print(machine(["numpy"]))
    print(f"command: {command_line()}")
    rng = np.random.default_rng(0)
    names = [f"X{i}" for i in range(args.vars)]
    spec = "\n".join(f"var {n} in 0..2" for n in names) + "\n" + "".join(
        f"env e{e} from d{e}\n" for e in range(args.envs))
    data = {f"d{e}": {n: rng.integers(0, 3, args.rows) for n in names} for e in range(args.envs)}
    times: dict[str, list[float]] = {"before": [], "now": []}
    loads = []
    for _ in range(args.repeat):
        results = {}
        for name, count in (("before", count_before), ("now", count_tables)):
            bound = kdsl.load(spec, data=data)
            bound.codes(names[0]), bound.environment_index()  # the joined int64 columns exist before either
            variables = list(bound.model.variables.values())
            work = [(child, list(parents)) for child in variables for size in range(3)
                    for parents in itertools.combinations([v for v in variables if v is not child], size)]
            start = time.perf_counter()
            results[name] = [count(bound, child, parents) for child, parents in work]
            times[name].append(time.perf_counter() - start)
            loads.append(os.getloadavg()[0])
        assert all(np.array_equal(a, b) for a, b in zip(results["before"], results["now"]))
    before, now = median(times["before"]), median(times["now"])
    rows = args.envs * args.rows
    print(f"{len(work)} tables, identical")
    print("| tables | rows | before (s) | now (s) | speed-up | load average (min-max) |")
    print("|---|---|---|---|---|---|")
    print(ratio_row([len(work), f"{rows:,}", f"{before:.2f}", f"{now:.2f}", f"{before / now:.1f}x",
                     f"{min(loads):.2f}-{max(loads):.2f}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
