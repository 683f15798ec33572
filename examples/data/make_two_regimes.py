"""Generate the data of examples/two_regimes.kdsl (deterministic).

Rain causes wet ground. In every regime the effect's mechanism
P(wet | rain) is the same; the regimes differ only in the cause's
mechanism P(rain) (an intervention on the cause, e.g. cloud seeding).

Writes, next to this script:
  rain_observed.csv   the observational regime            (rain, wet)
  rain_seeded.csv     cloud seeding: rain made more likely (rain, wet)
  rain_more.csv       two more regimes in one file         (regime, rain, wet)

Run: python examples/data/make_two_regimes.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RAIN = ["no", "yes"]
WET = ["dry", "damp", "soaked"]
# P(wet | rain): invariant across regimes.
WET_GIVEN_RAIN = {"no": [0.75, 0.20, 0.05], "yes": [0.05, 0.35, 0.60]}
N = 300


def sample(rng, p_rain, n=N):
    rows = []
    for _ in range(n):
        rain = RAIN[int(rng.random() < p_rain)]
        wet = WET[rng.choice(3, p=WET_GIVEN_RAIN[rain])]
        rows.append((rain, wet))
    return rows


def write(name, header, rows):
    with open(HERE / name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    rng = np.random.default_rng(20240601)
    write("rain_observed.csv", ["rain", "wet"], sample(rng, 0.30))
    write("rain_seeded.csv", ["rain", "wet"], sample(rng, 0.80))
    more = [("drought", *r) for r in sample(rng, 0.05)]
    more += [("monsoon", *r) for r in sample(rng, 0.95)]
    write("rain_more.csv", ["regime", "rain", "wet"], more)


if __name__ == "__main__":
    main()
