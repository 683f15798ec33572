"""Multiplicative (log-normal) data: kdsl on the raw recordings vs on their logarithms.

    PYTHONPATH=. python bench/real_lognormal.py            # 8 variables, 4 environments x 500 rows, 10 seeds

Data: ``bench/real_accuracy.py``'s random DAGs with unknown soft interventions,
simulated on the log scale (linear mechanisms, halved), then exponentiated:
every variable is a product of powers of its parents times a log-normal
noise factor, recorded to three decimals (step 0.001), as a positive
measurement (a concentration, an intensity) often is. kdsl runs the same
search (``graphs max_parents 2``, ``code nml``, no templates) twice:

* raw: ``var Xi real step 0.001`` over the recorded values;
* logs: a new column log(Xi) per variable, declared ``var Xi real step
  0.001`` (a cell of 0.001 in log units is a relative resolution of 0.1 %),
  as docs/regression.md ("Multiplicative data") says to do.

Mean ± sd over seeds of SHD and intervention-target precision and recall,
load average beside each seed.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from real_accuracy import print_table, shd, simulate

import kdsl


def run(data: dict, names: list[str]) -> tuple[set, set]:
    spec = "\n".join([*(f"var {v} real step 0.001" for v in names), "envs from d by E",
                      "search {\n graphs max_parents 2\n top 1\n}", "code nml"])
    best = kdsl.solve(spec, data={"d": data}).programs[0]
    return set(best.edges), {v for v, groups in best.shifts.items() if len(groups) > 1}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vars", type=int, default=8)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    names = [f"X{i}" for i in range(args.vars)]
    stats = {m: {"shd": [], "prec": [], "rec": [], "time": []} for m in ("raw", "logs")}
    print(f"{args.vars} variables, {args.envs} environments x {args.rows} rows; load at start {os.getloadavg()[0]:.2f}")
    for seed in range(args.seeds):
        logs, truth, targets = simulate(args.vars, args.envs, args.rows, seed, nonlinear=False)
        raw = {v: np.round(np.exp(logs[v] / 2), 3) for v in names}
        if min(float(c.min()) for c in raw.values()) <= 0:
            raise SystemExit(f"seed {seed}: a value recorded as 0; lower the scale")
        versions = {"raw": {**raw, "E": logs["E"]}, "logs": {**{v: np.log(raw[v]) for v in names}, "E": logs["E"]}}
        for name, data in versions.items():
            start = time.perf_counter()
            edges, found = run(data, names)
            stats[name]["time"].append(time.perf_counter() - start)
            stats[name]["shd"].append(shd(edges, set(), truth, names))
            stats[name]["prec"].append(len(found & targets) / len(found) if found else 1.0)
            stats[name]["rec"].append(len(found & targets) / len(targets) if targets else 1.0)
        print(f"seed {seed}: raw SHD {stats['raw']['shd'][-1]}, logs SHD {stats['logs']['shd'][-1]}; "
              f"load {os.getloadavg()[0]:.2f}", flush=True)

    print_table(stats, "kdsl on")

if __name__ == "__main__":
    main()
