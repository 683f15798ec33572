"""Accuracy on simulated real-valued data with unknown soft interventions: kdsl vs pooled GES and CD-NOD.

    PYTHONPATH=. python bench/real_accuracy.py                       # 10 variables, 10 seeds, linear
    PYTHONPATH=. python bench/real_accuracy.py --nonlinear

Data: a random DAG over ``--vars`` variables (0..2 parents among the earlier
ones), one observational environment and ``--envs - 1`` more, in each of which
two random variables get a soft intervention (new weights and a shifted noise
mean and scale), unknown to every method; ``--rows`` rows per environment,
recorded to two decimals. Linear mechanisms, or with ``--nonlinear`` each
parent entering through x + 0.3 x^2 or tanh.

* kdsl: ``search { graphs max_parents 2 }`` over ``var Xi real step 0.01``,
  environments by a column, ``--code`` (default nml); intervention targets are
  the variables whose fits are not shared by all environments.
* kdsl pooled with an indicator: every row in one environment, the
  environment as a labelled variable E that no variable may cause (``tiers``),
  ``max_parents 3`` (one more slot for E); targets are E's children. The usual
  baseline for intervention data without environments.
* GES: causal-learn ``ges`` with its linear BIC on the pooled rows.
* CD-NOD: causal-learn ``cdnod`` with Fisher-z (alpha 0.05) and the
  environment index; targets are the variables adjacent to the index.

SHD: for every pair of variables, 1 if the two graphs' marks differ (missing,
extra, reversed, or undirected where the truth is directed). Mean ± sd over
seeds. Load average beside each row (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import kdsl


def simulate(d: int, envs: int, rows: int, seed: int, nonlinear: bool):
    rng = np.random.default_rng(seed)
    parents = [sorted(rng.choice(i, size=int(rng.integers(0, min(2, i) + 1)), replace=False).tolist()) if i else []
               for i in range(d)]

    def draw():
        return {"w": [rng.choice([-1, 1]) * rng.uniform(0.5, 1.5) for _ in range(3)], "mu": 0.0,
                "sd": rng.uniform(0.5, 1.0), "shape": [int(rng.integers(0, 2)) for _ in range(3)]}

    base = [draw() for _ in range(d)]
    targets: set[int] = set()
    cols = {f"X{i}": [] for i in range(d)}
    env_col = []
    for e in range(envs):
        mech = list(base)
        if e:
            for i in rng.choice(d, size=2, replace=False):
                new = draw()
                new["mu"], new["sd"] = rng.uniform(-2, 2), rng.uniform(0.5, 2.0)
                mech[int(i)] = new
                targets.add(int(i))
        x = np.zeros((rows, d))
        for i in range(d):
            signal = np.full(rows, mech[i]["mu"])
            for j, p in enumerate(parents[i]):
                v = x[:, p]
                if nonlinear:
                    v = v + 0.3 * v**2 if mech[i]["shape"][j] else 2 * np.tanh(v)
                signal += mech[i]["w"][j] * v
            x[:, i] = signal + rng.normal(0, mech[i]["sd"], rows)
        for i in range(d):
            cols[f"X{i}"].append(np.round(x[:, i], 2))
        env_col += [f"e{e}"] * rows
    data = {k: np.concatenate(v) for k, v in cols.items()}
    data["E"] = np.array(env_col)
    truth = {(f"X{p}", f"X{i}") for i in range(d) for p in parents[i]}
    return data, truth, {f"X{i}" for i in targets}


def _mark(a: str, b: str, edges: set, undirected: set) -> str:
    if (a, b) in edges:
        return "->"
    if (b, a) in edges:
        return "<-"
    return "--" if frozenset((a, b)) in undirected else ""


def shd(found: set[tuple[str, str]], undirected: set[frozenset], truth: set[tuple[str, str]], names) -> int:
    return sum(_mark(a, b, found, undirected) != _mark(a, b, truth, set())
               for i, a in enumerate(names) for b in names[i + 1:])


def run_kdsl(data, names, code):
    spec = "\n".join([*(f"var {v} real step 0.01" for v in names), "envs from d by E",
                      "search {\n graphs max_parents 2\n top 1\n}", f"code {code}"])
    result = kdsl.solve(spec, data={"d": data})
    best = result.programs[0]
    targets = {v for v, groups in best.shifts.items() if len(groups) > 1}
    return set(best.edges), set(), targets


def _from_graph(g, names):
    directed, undirected = set(), set()
    m = g.graph
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if m[j, i] == 1 and m[i, j] == -1:
                directed.add((names[i], names[j]))
            elif m[i, j] == 1 and m[j, i] == -1:
                directed.add((names[j], names[i]))
            elif m[i, j] == -1 and m[j, i] == -1:
                undirected.add(frozenset((names[i], names[j])))
    return directed, undirected


def run_kdsl_indicator(data, names, code):
    """kdsl on the pooled rows as ONE environment, with the environment as a labelled indicator variable E that
    no variable may cause (`tiers`); targets are E's children. The same free mechanisms, one more parent slot."""
    labels = sorted(set(data["E"].tolist()))
    spec = "\n".join([*(f"var {v} real step 0.01" for v in names), f"var E in {{{', '.join(labels)}}}", "env a from d",
                      f"search {{\n graphs max_parents 3\n top 1\n tiers {{E}} < {{{', '.join(names)}}}\n}}",
                      f"code {code}"])
    result = kdsl.solve(spec, data={"d": data})
    edges = set(result.programs[0].edges)
    return {e for e in edges if "E" not in e}, set(), {b for a, b in edges if a == "E"}


def run_ges(data, names):
    from causallearn.search.ScoreBased.GES import ges

    x = np.column_stack([data[v] for v in names])
    record = ges(x, score_func="local_score_BIC")
    d, u = _from_graph(record["G"], names)
    return d, u, set()


def run_cdnod(data, names):
    from causallearn.search.ConstraintBased.CDNOD import cdnod

    x = np.column_stack([data[v] for v in names])
    c = np.unique(data["E"], return_inverse=True)[1].astype(float).reshape(-1, 1)
    g = cdnod(x, c, alpha=0.05, indep_test="fisherz", show_progress=False)
    m = g.G.graph
    k = len(names)
    targets = {names[i] for i in range(k) if m[k, i] != 0 or m[i, k] != 0}
    sub = type("G", (), {"graph": m[:k, :k]})
    d, u = _from_graph(sub, names)
    return d, u, targets


def mean_sd(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs) if len(xs) > 1 else 0.0:.2f}" if xs else "—"


def print_table(stats: dict, first: str) -> None:
    """One row per method: SHD, target precision and recall, seconds (mean ± sd over seeds)."""
    print(f"| {first} | SHD | target precision | target recall | seconds |")
    print("|---|---|---|---|---|")
    for name, s in stats.items():
        print(f"| {name} | {mean_sd(s['shd'])} | {mean_sd(s['prec'])} | {mean_sd(s['rec'])} | {mean_sd(s['time'])} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vars", type=int, default=10)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--code", default="nml")
    parser.add_argument("--nonlinear", action="store_true")
    args = parser.parse_args()
    names = [f"X{i}" for i in range(args.vars)]
    methods = {"kdsl": lambda data: run_kdsl(data, names, args.code),
               "kdsl pooled, environment indicator E": lambda data: run_kdsl_indicator(data, names, args.code),
               "GES (pooled, BIC)": lambda data: run_ges(data, names),
               "CD-NOD (fisherz, env index)": lambda data: run_cdnod(data, names)}
    stats = {m: {"shd": [], "prec": [], "rec": [], "time": []} for m in methods}
    kind = "nonlinear" if args.nonlinear else "linear"
    print(f"{kind}, {args.vars} variables, {args.envs} environments x {args.rows} rows, 2 soft targets per shifted "
          f"environment, kdsl code {args.code}; load average at start {os.getloadavg()[0]:.2f}")
    for seed in range(args.seeds):
        data, truth, targets = simulate(args.vars, args.envs, args.rows, seed, args.nonlinear)
        for name, fn in methods.items():
            start = time.perf_counter()
            directed, undirected, found = fn(data)
            stats[name]["time"].append(time.perf_counter() - start)
            stats[name]["shd"].append(shd(directed, undirected, truth, names))
            if name != "GES (pooled, BIC)":
                stats[name]["prec"].append(len(found & targets) / len(found) if found else 1.0)
                stats[name]["rec"].append(len(found & targets) / len(targets) if targets else 1.0)
        print(f"seed {seed}: " + ", ".join(f"{n.split(',')[0]} SHD {s['shd'][-1]}" for n, s in stats.items())
              + f"; load {os.getloadavg()[0]:.2f}")

    print_table(stats, "method")


if __name__ == "__main__":
    main()
