"""Generate the data of examples/greenhouse.kdsl (deterministic).

Five measurements in three greenhouses, recorded as a sensor would: light in
whole lux/100, temperature and soil moisture to 0.1, growth and yield to 0.01.

  light -> temperature -> growth -> yield,  moisture -> growth

Greenhouse g1 is left alone; g2 is heated (temperature's mechanism gets a
new offset); g3 is irrigated (moisture's distribution changes). The search
in the spec is not told which.

Run: python examples/data/make_greenhouse.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 250


def main() -> None:
    rng = np.random.default_rng(17)
    rows = []
    for house in ("g1", "g2", "g3"):
        light = np.round(rng.normal(40, 8, N))
        temperature = np.round(12 + 0.25 * light + (4.0 if house == "g2" else 0.0) + rng.normal(0, 1.0, N), 1)
        moisture = np.round(rng.normal(35 if house == "g3" else 25, 4, N), 1)
        growth = np.round(0.08 * temperature + 0.03 * moisture + rng.normal(0, 0.15, N), 2)
        yield_ = np.round(1.5 * growth + 0.2 * growth**2 + rng.normal(0, 0.2, N), 2)
        for row in zip(light, temperature, moisture, growth, yield_):
            rows.append((house, *(f"{v:g}" for v in row)))
    with open(HERE / "greenhouse.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("house", "light", "temperature", "moisture", "growth", "harvest"))
        writer.writerows(rows)


if __name__ == "__main__":
    main()
