"""The heuristics' gap to the exact optimum, where both run (up to 15 variables): greedy, and order-based search.

    PYTHONPATH=. python bench/greedy_gap.py                # 6, 9, 12, 15 variables x 5 seeds
    PYTHONPATH=. python bench/greedy_gap.py --vars 8 --seeds 20

All searches use the same local scores (kdsl.search.local.local_scores), so the
gap is purely the search's: greedy hill climbing from the empty graph, and the
order-based search started from greedy's DAG on the exactly pruned candidates
(kdsl.search.milp.improve: what seeds the integer program, and what `method greedy`
returns), against the exact dynamic program over variable subsets.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from kdsl.api import load
from kdsl.search.exact import exact_best
from kdsl.search.greedy import greedy
from kdsl.search.local import local_scores
from kdsl.search.milp import candidate_sets, improve


def spec_and_data(d: int, envs: int, rows: int, seed: int) -> tuple[str, dict]:
    """A random DAG over d ternary variables (at most 2 parents), one table redrawn per environment."""
    rng = np.random.default_rng(seed)
    names = [f"V{i}" for i in range(d)]
    parents = {i: sorted(rng.choice(i, size=min(i, rng.integers(0, 3)), replace=False).tolist()) for i in range(d)}
    tables = {i: rng.dirichlet(np.ones(3), size=3 ** len(parents[i])) for i in range(d)}
    frame = {"env": []} | {n: [] for n in names}
    for e in range(envs):
        shifted = int(rng.integers(0, d)) if e > 0 else -1
        cols: list[np.ndarray] = []
        for i in range(d):
            table = rng.dirichlet(np.ones(3), size=len(tables[i])) if i == shifted else tables[i]
            config = np.zeros(rows, dtype=int)
            for p in parents[i]:
                config = config * 3 + cols[p]
            u = rng.random(rows)[:, None]
            cols.append((u > np.cumsum(table[config], axis=1)).sum(axis=1))
        frame["env"] += [f"e{e}"] * rows
        for n, c in zip(names, cols):
            frame[n] += c.tolist()
    spec = "\n".join(f"var {n} in 0..2" for n in names) + "\nenvs from f by env\nsearch {\n    graphs max_parents 2\n}\n"
    return spec, {"f": frame}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vars", type=int, nargs="*", default=[6, 9, 12, 15])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--envs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=500)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("variables  seed  exact bits     greedy bits    gap bits  gap %   exact s  greedy s  order gap  order s")
    for d in args.vars:
        gaps, order_gaps = [], []
        for seed in range(args.seeds):
            spec, data = spec_and_data(d, args.envs, args.rows, seed)
            bound = load(spec, data=data)
            local = local_scores(bound, bound.model.search)
            t = time.perf_counter()
            exact_bits = exact_best(local).bits
            t_exact = time.perf_counter() - t
            t = time.perf_counter()
            greedy_bits = greedy(local).bits
            t_greedy = time.perf_counter() - t
            t = time.perf_counter()
            order_bits = improve(local, candidate_sets(local), greedy(local)).bits
            t_order = time.perf_counter() - t
            gap = greedy_bits - exact_bits
            gaps.append(gap)
            order_gaps.append(order_bits - exact_bits)
            print(f"{d:9d}  {seed:4d}  {exact_bits:12.2f}  {greedy_bits:12.2f}  {gap:8.2f}  {100 * gap / exact_bits:5.2f}"
                  f"  {t_exact:7.3f}  {t_greedy:8.3f}  {order_gaps[-1]:9.2f}  {t_order:7.3f}")
        for name, values in (("greedy", gaps), ("order-based", order_gaps)):
            gaps_a = np.array(values)
            print(f"{d} variables: {name} optimal in {int((gaps_a < 1e-6).sum())}/{len(values)} seeds; "
                  f"mean gap {gaps_a.mean():.2f} bits, max {gaps_a.max():.2f} bits")


if __name__ == "__main__":
    main()
