"""Benchmark: kdsl's exact search over real variables (`code bic`, `classes linear`) vs causal-learn's
``bic_exact_search`` on the SAME continuous rows, one environment.

    PYTHONPATH=. python bench/real_vs_causallearn.py                    # 12 variables, 3 seeds
    PYTHONPATH=. python bench/real_vs_causallearn.py --vars 20 --seeds 1 --method dp

Data: a random linear-Gaussian DAG over ``--vars`` variables (each with 0..3
parents among the earlier ones, weights ±U(0.5, 1.5), noise sd U(0.5, 1.5)),
``--rows`` rows, recorded to two decimals, then every column centred (causal-
learn regresses without an intercept). Both tools get these centred values.

The two BIC conventions:

* causal-learn: ``n ln(RSS/n) + |S| ln n`` per variable (nats, the usual
  -2 log-likelihood scale, no intercept, sd not counted);
* kdsl ``bic``: ``n/2 log2(2 pi sigma^2) + RSS/(2 sigma^2 ln 2) - n log2 step +
  (r + 1)/2 log2 n`` bits, r coefficients including the intercept, sigma^2 =
  RSS/n (floored at one cell).

Times 2 ln 2, kdsl's score is causal-learn's plus a constant per variable (the
intercept of centred data fits 0, so the RSS are the same), so the optimal
equivalence classes agree; the script compares CPDAGs (same skeleton and same
v-structures) and times both searches end to end, alternating runs.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from _common import fmt_s, machine, median, timed

import kdsl


def linear_data(d: int, rows: int, seed: int) -> tuple[list[str], set[tuple[str, str]], np.ndarray]:
    rng = np.random.default_rng(seed)
    names = [f"X{i}" for i in range(d)]
    x = np.zeros((rows, d))
    edges = set()
    for i in range(d):
        k = int(rng.integers(0, min(3, i) + 1))
        parents = rng.choice(i, size=k, replace=False) if k else []
        signal = np.zeros(rows)
        for p in parents:
            signal += rng.choice([-1, 1]) * rng.uniform(0.5, 1.5) * x[:, p]
            edges.add((names[int(p)], names[i]))
        x[:, i] = signal + rng.normal(0, rng.uniform(0.5, 1.5), rows)
    x = np.round(x, 2)
    return names, edges, x - x.mean(0)


def cpdag_key(edges: set[tuple[int, int]] | set[tuple[str, str]]) -> tuple[frozenset, frozenset]:
    """A DAG's equivalence class: its skeleton and its v-structures (a -> c <- b, a and b not adjacent)."""
    skeleton = frozenset(frozenset(e) for e in edges)
    parents: dict = {}
    for a, b in edges:
        parents.setdefault(b, set()).add(a)
    vs = frozenset((frozenset((a, b)), c) for c, ps in parents.items() for a in ps for b in ps
                   if a != b and frozenset((a, b)) not in skeleton)
    return skeleton, vs


def run_kdsl(names: list[str], x: np.ndarray, method: str = "") -> set[tuple[str, str]]:
    """kdsl's exact search; ``method`` (e.g. ``dp`` or ``milp``) overrides its choice (here the dynamic program:
    real variables keep too many parent sets for the integer program, bench/REAL.md)."""
    how = f"\n method {method}" if method else ""
    spec = "\n".join([*(f"var {v} real step 0.01" for v in names), "env a from d",
                      f"search {{\n graphs max_parents 3\n classes linear\n top 1{how}\n}}", "code bic"])
    result = kdsl.solve(spec, data={"d": {v: x[:, i] for i, v in enumerate(names)}})
    return set(result.programs[0].edges)


def run_causallearn(names: list[str], x: np.ndarray) -> set[tuple[str, str]]:
    from causallearn.search.ScoreBased.ExactSearch import bic_exact_search

    dag, _ = bic_exact_search(x, search_method="astar", max_parents=3)
    return {(names[i], names[j]) for i in range(len(names)) for j in range(len(names)) if dag[i, j]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vars", type=int, default=12)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--method", default="", help="kdsl's search method (default: its own choice)")
    args = parser.parse_args()
    print(machine(["numpy", "causallearn"]))
    print(f"{args.vars} variables, {args.rows} rows, one environment, max 3 parents; seeds 0..{args.seeds - 1}")
    print("seed  kdsl time  causal-learn time  ratio (cl / kdsl)  same CPDAG  SHD-free vs truth (kdsl)  load")
    ratios = []
    for seed in range(args.seeds):
        names, truth, x = linear_data(args.vars, args.rows, seed)
        kd, t_kd = timed(lambda n=names, v=x: run_kdsl(n, v, args.method))
        cl, t_cl = timed(lambda n=names, v=x: run_causallearn(n, v))
        _, t_kd2 = timed(lambda n=names, v=x: run_kdsl(n, v, args.method))  # alternate: kdsl, causal-learn, kdsl
        t_k = median(t_kd + t_kd2)
        ratios.append(t_cl[0] / t_k)
        same = cpdag_key(kd) == cpdag_key(cl)
        print(f"{seed:4d}  {fmt_s(t_k):>9}  {fmt_s(t_cl[0]):>17}  {t_cl[0] / t_k:17.2f}  {str(same):>10}  "
              f"{str(cpdag_key(kd) == cpdag_key(truth)):>24}  {os.getloadavg()[0]:.2f}")
    print(f"median ratio (causal-learn time / kdsl time): {median(ratios):.2f}")


if __name__ == "__main__":
    main()
