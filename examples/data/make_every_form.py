"""Generate the CSV data of examples/every_form.kdsl (deterministic).

Every environment of that spec provides every variable:
  K, K2 in 0..3, D in -3..3, S in {low, mid, high}, B in bits(1) (written as
  the integer 0 or 1), R real (2 decimals), T real step 0.001 (3 decimals).

Writes, next to this script:
  every_obs.csv    one environment                    (K, K2, D, S, B, R, T)
  every_sites.csv  two environments, column `site`    (site, K, ..., T)
  lab.csv          caller-supplied data (`lab_df`);   also an `id` column,
                   which kdsl ignores

Run: python examples/data/make_every_form.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COLUMNS = ["K", "K2", "D", "S", "B", "R", "T"]
LABELS = ["low", "mid", "high"]


def sample(rng, n, rate):
    rows = []
    for _ in range(n):
        k = min(int(rng.poisson(rate)), 3)
        k2 = int(rng.binomial(3, min(0.9, max(0.1, 0.1 + 0.2 * k))))
        b = int(rng.random() < 0.4)
        d = int(np.clip(np.rint(rng.normal(k - 1.5, 1.0)), -3, 3))
        # S depends on D only through |D| (the reflection D -> -D).
        s = LABELS[min(abs(d), 2)] if rng.random() < 0.8 else LABELS[rng.integers(3)]
        r = rng.normal(0.5 * d, 1.0)
        t = rng.normal(r * r / 4, 0.6)
        rows.append([k, k2, d, s, b, f"{r:.2f}", f"{t:.3f}"])
    return rows


def write(name, header, rows):
    with open(HERE / name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    rng = np.random.default_rng(12345)
    write("every_obs.csv", COLUMNS, sample(rng, 30, 1.0))
    sites = [["north", *r] for r in sample(rng, 20, 0.5)]
    sites += [["south", *r] for r in sample(rng, 20, 2.5)]
    write("every_sites.csv", ["site", *COLUMNS], sites)
    lab = [[i + 1, *r] for i, r in enumerate(sample(rng, 25, 1.5))]
    write("lab.csv", ["id", *COLUMNS], lab)


if __name__ == "__main__":
    main()
