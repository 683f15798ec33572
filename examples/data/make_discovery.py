"""Write examples/data/discovery.csv: six discrete variables, four regimes.

Ground truth (a DAG):  season -> rain -> wet <- sprinkler <- season,
                       wet -> slippery, slippery -> falls
Regimes: `base` (observational); `drought` changes rain's mechanism;
`broken_sprinkler` changes sprinkler's; `mats` changes slippery's and falls'.
Run from the repository root:  python examples/data/make_discovery.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROWS = 1500
OUT = Path(__file__).resolve().parent / "discovery.csv"
SEASONS = ["winter", "spring", "summer"]


def draw(rng, probs):
    """One categorical draw per row; probs has one row of probabilities per row."""
    u = rng.random(len(probs))[:, None]
    return (u > np.cumsum(probs, axis=1)).sum(axis=1)


def regime(rng, name):
    n = ROWS
    season = rng.choice(3, size=n, p=[0.3, 0.35, 0.35])
    p_rain = np.array([0.7, 0.5, 0.15])
    if name == "drought":
        p_rain = np.array([0.15, 0.05, 0.02])
    rain = (rng.random(n) < p_rain[season]).astype(int)
    p_spr = np.array([0.05, 0.4, 0.8])
    if name == "broken_sprinkler":
        p_spr = np.array([0.0, 0.0, 0.0])
    sprinkler = (rng.random(n) < p_spr[season]).astype(int)
    # wet in {dry, damp, soaked}
    wet_table = {(0, 0): [0.9, 0.08, 0.02], (0, 1): [0.2, 0.6, 0.2], (1, 0): [0.1, 0.4, 0.5], (1, 1): [0.02, 0.18, 0.8]}
    wet = draw(rng, np.array([wet_table[(r, s)] for r, s in zip(rain, sprinkler)]))
    p_slip = np.array([0.05, 0.5, 0.9])
    if name == "mats":
        p_slip = np.array([0.02, 0.1, 0.2])
    slippery = (rng.random(n) < p_slip[wet]).astype(int)
    p_fall = np.array([0.05, 0.4])
    if name == "mats":
        p_fall = np.array([0.3, 0.7])
    falls = (rng.random(n) < p_fall[slippery]).astype(int)
    return {
        "regime": [name] * n,
        "season": [SEASONS[s] for s in season],
        "rain": rain, "sprinkler": sprinkler,
        "wet": [["dry", "damp", "soaked"][w] for w in wet],
        "slippery": slippery, "falls": falls,
    }


def main() -> None:
    rng = np.random.default_rng(20261128)
    columns = ["regime", "season", "rain", "sprinkler", "wet", "slippery", "falls"]
    with OUT.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for name in ["base", "drought", "broken_sprinkler", "mats"]:
            data = regime(rng, name)
            for i in range(ROWS):
                writer.writerow([data[c][i] for c in columns])


if __name__ == "__main__":
    main()
