"""Benchmark: the exact dynamic program's time and traced peak memory against ``estimate()``.

    PYTHONPATH=. python bench/dp_memory.py                   # 16, 18, 20 variables (~10 s)
    PYTHONPATH=. python bench/dp_memory.py --vars 22 24      # larger (24: ~1 min, ~2 GiB)

Local scores are random (every parent set of at most ``--max-parents``
parents gets a random length), since the dynamic program's memory and time
do not depend on the data; ``--reuse`` adds one reuse class of that many
variables. The peak is ``tracemalloc``'s (numpy reports its arrays to it)
over ``exact_best`` alone; ``estimate`` is the ``dp_bytes`` that the search
compares with its memory budget.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
import tracemalloc

import numpy as np
from _common import command_line, machine

from kdsl.search.exact import _dp_bytes, exact_best
from kdsl.search.local import LocalScores, ReuseScores
from kdsl.search.run import MEMORY_BUDGET


def random_scores(d: int, max_parents: int, reuse: int, seed: int) -> LocalScores:
    rng = np.random.default_rng(seed)
    entries = []
    for v in range(d):
        others = [u for u in range(d) if u != v]
        row = {}
        for size in range(max_parents + 1):
            for parents in itertools.combinations(others, size):
                row[sum(1 << u for u in parents)] = (float(100 - 3 * size + rng.random() * 10), None, None)
        entries.append(row)
    blocks = []
    if reuse:
        block = ReuseScores("s", tuple(range(reuse)))
        others = range(reuse, d)
        for size in range(max_parents + 1):
            for parents in itertools.combinations(others, size):
                block.entries[sum(1 << u for u in parents)] = (float(reuse * 95 + rng.random() * 10), ())
        blocks.append(block)
    return LocalScores([f"V{i}" for i in range(d)], entries, True, blocks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, nargs="+", default=[16, 18, 20])
    ap.add_argument("--max-parents", type=int, default=2)
    ap.add_argument("--reuse", type=int, default=0, help="size of one reuse class (0: none)")
    args = ap.parse_args(argv)
    print("Exact DP: time and traced peak memory against estimate()")
    print(machine(["numpy"]))
    print(f"command: {command_line()}")
    print(f"default budget {MEMORY_BUDGET / 2**30:.1f} GiB")
    print("| variables | reuse | DP time (s) | traced peak (MiB) | estimate (MiB) | estimate / peak |")
    print("|---|---|---|---|---|---|")
    for d in args.vars:
        local = random_scores(d, args.max_parents, args.reuse, d)
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        program = exact_best(local)
        wall = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        assert program is not None and math.isfinite(program.bits)
        est = _dp_bytes(d, [args.reuse] if args.reuse else [])
        print(f"| {d} | {args.reuse or '-'} | {wall:.2f} | {peak / 2**20:.0f} | {est / 2**20:.0f} | {est / peak:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
