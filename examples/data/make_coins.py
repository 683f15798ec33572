"""Generate the data of examples/coins.kdsl (deterministic).

Three classrooms each flip their own first coin (its bias differs from
class to class); a second coin, glued to a magnet under the desk, shows
the first coin's face 80% of the time in every class. So the first coin's
mechanism shifts across classrooms and the second's, given the first, is
invariant: first -> second.

Writes coins.csv (class, first, second), 120 flips per class, next to
this script. Run: python examples/data/make_coins.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HEADS = {"monday": 0.2, "tuesday": 0.5, "wednesday": 0.85}  # P(first = heads) per class
COPY = 0.8  # P(second shows the first coin's face), every class
FLIPS = 120


def main() -> None:
    rng = np.random.default_rng(7)
    with open(HERE / "coins.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["class", "first", "second"])
        for room, p in HEADS.items():
            first = np.where(rng.random(FLIPS) < p, "heads", "tails")
            same = rng.random(FLIPS) < COPY
            second = np.where(same, first, np.where(first == "heads", "tails", "heads"))
            out.writerows(zip([room] * FLIPS, first, second))


if __name__ == "__main__":
    main()
