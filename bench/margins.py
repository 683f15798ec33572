"""Benchmark: what the edge margins add to a solve (issue #17), runs alternating with and without them.

    PYTHONPATH=. python bench/margins.py            # ~1 min

Random discrete networks (3 values, at most 2 parents, 3 environments x 1000
rows, sparse shifts) with ``search { graphs max_parents 2; top 1 }``, for
d = 6, 8 and 10 variables. Each repeat times ``solve_bound(bound)`` and
``solve_bound(bound, margins=False)`` one after the other (the order
alternating between repeats) on the same bound data; reported: medians and
their ratio, the number of edges margined, and the load average before and
after. Both runs must find the same best program.
"""

from __future__ import annotations

import argparse
import os
import time

from _common import discrete_spec, machine, median, random_network_data

import kdsl
from kdsl.verdict.solver import solve_bound


def case(d: int, seed: int):
    names, _, frames = random_network_data(d, 3, 2, 3, 1000, 2, seed)
    text = discrete_spec(names, 3, 3, 2, 1, "nml")
    return kdsl.load(text, data={f"d{e}": frame for e, frame in enumerate(frames)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine(["numpy", "networkx"]))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'d':>3} {'edges':>5} {'with margins':>13} {'without':>9} {'ratio':>6}")
    for d in (6, 8, 10):
        bound = case(d, seed=d)
        with_m, without = [], []
        for r in range(args.repeat):
            order = [True, False] if r % 2 == 0 else [False, True]
            results = {}
            for margins in order:
                start = time.perf_counter()
                results[margins] = solve_bound(bound, margins=margins)
                (with_m if margins else without).append(time.perf_counter() - start)
            a, b = results[True], results[False]
            assert a.best == b.best and a.program(a.best).edges == b.program(b.best).edges
        edges = len(results[True].edges_margin)
        print(f"{d:>3} {edges:>5} {median(with_m):>12.2f}s {median(without):>8.2f}s "
              f"{median(with_m) / median(without):>6.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
